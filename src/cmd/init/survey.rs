//! What the discovered account means for the setup: which trails can be reused, what to warn
//! about, who the caller is. Pure functions over the discovery.

use crate::model::{TrailState, MANAGED_TAG_KEY, MANAGED_TAG_VALUE};

/// Global-service events (console sign-ins, IAM, STS) are delivered in this region only.
pub(super) const GLOBAL_EVENTS_REGION: &str = "us-east-1";

/// Whether trailwarden created the trail.
pub(super) fn managed(t: &TrailState) -> bool {
    t.tags.get(MANAGED_TAG_KEY).map(String::as_str) == Some(MANAGED_TAG_VALUE)
}

use crate::arn::{account as arn_account, log_group_name, region as arn_region};

/// The trail's home region (where it can be changed).
pub(super) fn home_region(t: &TrailState) -> Option<&str> {
    t.home_region.as_deref().or_else(|| arn_region(&t.arn))
}

/// The trail belongs to this account (an organization trail seen from a member account does not).
fn own(t: &TrailState, account: &str) -> bool {
    arn_account(&t.arn).is_none_or(|a| a == account)
}

/// One line about a trail: scope, status, where its events go.
pub(super) fn describe(t: &TrailState) -> String {
    let mut parts = Vec::new();
    let home = home_region(t).unwrap_or("unknown region");
    parts.push(if t.multi_region {
        format!("multi-region (home {home})")
    } else {
        format!("single-region ({home})")
    });
    parts.push(
        match t.is_logging {
            Some(true) => "logging",
            Some(false) => "NOT logging",
            None => "status unknown",
        }
        .to_string(),
    );
    parts.push(match &t.cw_log_group_arn {
        Some(g) => format!("CloudWatch Logs: {}", log_group_name(g)),
        None => "no CloudWatch Logs delivery".to_string(),
    });
    if let Some(b) = &t.s3_bucket {
        parts.push(format!("bucket {b}"));
    }
    if t.organization_trail {
        parts.push("organization trail".to_string());
    }
    if managed(t) {
        parts.push("created by trailwarden".to_string());
    }
    format!("{}: {}", t.name, parts.join(", "))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TrailChoice {
    /// A trail trailwarden creates and manages (or already created).
    Create { name: String },
    /// An existing trail reused as it is, with what is missing turned on.
    Adopt { name: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TrailOption {
    pub label: String,
    pub choice: TrailChoice,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TrailAdvice {
    pub options: Vec<TrailOption>,
    pub default: usize,
    /// Warnings and explanations to show before the question.
    pub notes: Vec<String>,
}

impl TrailAdvice {
    /// Only one way to go: no need to ask.
    pub(super) fn obvious(&self) -> bool {
        self.options.len() == 1
    }
}

/// The trail options for `account` in `region`, the one to propose, and what to tell the user.
/// `previous` is the choice of an existing configuration file, proposed again when still valid.
pub(super) fn advise(
    trails: &[TrailState],
    account: &str,
    region: &str,
    previous: Option<&TrailChoice>,
) -> TrailAdvice {
    let here = |t: &&TrailState| own(t, account) && home_region(t).is_none_or(|r| r == region);
    let managed_here: Vec<&TrailState> =
        trails.iter().filter(here).filter(|t| managed(t)).collect();
    let mut adoptable: Vec<&TrailState> =
        trails.iter().filter(here).filter(|t| !managed(t)).collect();
    // Best candidates first: multi-region, logging, already delivering to CloudWatch Logs.
    adoptable.sort_by_key(|t| {
        (
            !t.multi_region,
            t.is_logging != Some(true),
            t.cw_log_group_arn.is_none(),
            t.name.clone(),
        )
    });

    let mut options = Vec::new();
    for t in &managed_here {
        options.push(TrailOption {
            label: format!("Keep trailwarden's trail `{}`", t.name),
            choice: TrailChoice::Create {
                name: t.name.clone(),
            },
        });
    }
    for t in &adoptable {
        let what = if t.multi_region {
            "multi-region"
        } else {
            "single-region, made multi-region"
        };
        let delivery = match &t.cw_log_group_arn {
            Some(g) => format!("filters on its log group {}", log_group_name(g)),
            None => "CloudWatch Logs delivery added".to_string(),
        };
        options.push(TrailOption {
            label: format!("Reuse `{}` ({what}; {delivery})", t.name),
            choice: TrailChoice::Adopt {
                name: t.name.clone(),
            },
        });
    }
    if managed_here.is_empty() {
        let taken = |n: &str| trails.iter().filter(here).any(|t| t.name == n);
        let name = std::iter::once(crate::config::DEFAULT_TRAIL.to_string())
            .chain((2..).map(|i| format!("{}-{i}", crate::config::DEFAULT_TRAIL)))
            .find(|n| !taken(n))
            .unwrap_or_default();
        options.push(TrailOption {
            label: format!("Create a new multi-region trail `{name}`"),
            choice: TrailChoice::Create { name },
        });
    }

    let default = previous
        .and_then(|p| options.iter().position(|o| &o.choice == p))
        .or_else(|| (!managed_here.is_empty()).then_some(0))
        .or_else(|| {
            adoptable
                .iter()
                .position(|t| t.multi_region)
                .map(|i| i + managed_here.len())
        })
        .unwrap_or(options.len() - 1);

    TrailAdvice {
        notes: notes(trails, account, region, &managed_here, &adoptable),
        options,
        default,
    }
}

fn notes(
    trails: &[TrailState],
    account: &str,
    region: &str,
    managed_here: &[&TrailState],
    adoptable: &[&TrailState],
) -> Vec<String> {
    let mut notes = Vec::new();
    if trails.is_empty() {
        notes.push(
            "No trail records this account's API activity yet: a multi-region trail is needed."
                .to_string(),
        );
        return notes;
    }
    if managed_here.is_empty() {
        if let Some(t) = adoptable.iter().find(|t| t.multi_region) {
            notes.push(format!(
                "`{}` already records every region. A second multi-region trail records every \
                 management event again: the first copy is free, each further copy is billed \
                 (USD 2 per 100,000 events). Reusing `{}` avoids that.",
                t.name, t.name
            ));
        }
        if !adoptable.is_empty() {
            notes.push(
                "Reusing a trail keeps its bucket; trailwarden turns on what it lacks \
                 (multi-region, global-service events, log file validation, logging) and adds \
                 CloudWatch Logs delivery if it has none."
                    .to_string(),
            );
        }
    }
    for t in trails {
        let home = home_region(t).unwrap_or_default();
        if !own(t, account) {
            let owner = arn_account(&t.arn).unwrap_or("another account");
            notes.push(format!(
                "`{}` is {} of account {owner}: it records this account's events into that \
                 account's bucket and log group, where no metric filter can be added from here; \
                 alarms in this account need a trail of this account.",
                t.name,
                if t.organization_trail {
                    "an organization trail"
                } else {
                    "a trail"
                }
            ));
            continue;
        }
        if home != region && !home.is_empty() {
            if t.multi_region {
                notes.push(format!(
                    "`{}` is a multi-region trail whose home is {home}: to reuse it, run init \
                     with --region {home}.",
                    t.name
                ));
            }
            continue;
        }
        if !t.multi_region {
            if home == GLOBAL_EVENTS_REGION && t.include_global_events {
                notes.push(format!(
                    "`{}` records {home} only: activity in the other regions goes unseen.",
                    t.name
                ));
            } else {
                notes.push(format!(
                    "`{}` records {home} only and misses global-service events (console \
                     sign-ins, IAM, STS), which CloudTrail delivers in {GLOBAL_EVENTS_REGION}.",
                    t.name
                ));
            }
        }
        if t.is_logging == Some(false) {
            notes.push(format!("`{}` is not logging.", t.name));
        }
    }
    notes
}

/// Who the caller is, from the ARN STS returned.
pub(super) fn describe_principal(arn: &str) -> String {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or(arn);
    let mut parts = resource.split('/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("root"), None, _) => "the root user".to_string(),
        (Some("user"), Some(_), _) => {
            format!(
                "IAM user {}",
                resource.rsplit('/').next().unwrap_or_default()
            )
        }
        (Some("assumed-role"), Some(role), Some(session)) => {
            match role.strip_prefix("AWSReservedSSO_") {
                Some(set) => {
                    let set = set.rsplit_once('_').map_or(set, |(s, _)| s);
                    format!("IAM Identity Center (SSO) user {session}, permission set {set}")
                }
                None => format!("role {role}, session {session}"),
            }
        }
        (Some("federated-user"), Some(name), _) => format!("federated user {name}"),
        _ => resource.to_string(),
    }
}

/// Where the credentials come from, as far as the configuration tells: the SDK's default chain
/// tries the environment variables first, then the profile, web identity, the container and the
/// instance metadata. The caller's ARN completes it (an SSO role says SSO).
pub(super) fn credential_source(
    profile_flag: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
    arn: &str,
) -> String {
    let set = |k: &str| env(k).is_some_and(|v| !v.is_empty());
    let sso = arn.contains(":assumed-role/AWSReservedSSO_");
    if set("AWS_ACCESS_KEY_ID") && set("AWS_SECRET_ACCESS_KEY") {
        return if set("AWS_SESSION_TOKEN") {
            "environment variables (temporary: AWS_SESSION_TOKEN)".to_string()
        } else {
            "environment variables (AWS_ACCESS_KEY_ID)".to_string()
        };
    }
    let profile = profile_flag
        .map(|p| (p.to_string(), "--profile"))
        .or_else(|| {
            env("AWS_PROFILE")
                .filter(|p| !p.is_empty())
                .map(|p| (p, "AWS_PROFILE"))
        });
    if let Some((p, from)) = profile {
        return match sso {
            true => format!("profile {p} ({from}), IAM Identity Center (SSO)"),
            false => format!("profile {p} ({from})"),
        };
    }
    if set("AWS_WEB_IDENTITY_TOKEN_FILE") {
        return "web identity token (AWS_WEB_IDENTITY_TOKEN_FILE)".to_string();
    }
    if set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") || set("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
        return "container credentials".to_string();
    }
    match sso {
        true => "profile default, IAM Identity Center (SSO)".to_string(),
        false => "profile default or the instance's role".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Tags;

    const ACCOUNT: &str = "111122223333";

    fn trail(name: &str, home: &str, multi: bool) -> TrailState {
        TrailState {
            name: name.into(),
            arn: format!("arn:aws:cloudtrail:{home}:{ACCOUNT}:trail/{name}"),
            home_region: Some(home.into()),
            multi_region: multi,
            include_global_events: true,
            log_file_validation: true,
            organization_trail: false,
            s3_bucket: Some(format!("{name}-logs")),
            s3_prefix: None,
            cw_log_group_arn: None,
            cw_role_arn: None,
            kms_key_id: None,
            sns_topic_arn: None,
            is_logging: Some(true),
            tags: Tags::new(),
            ..Default::default()
        }
    }

    #[test]
    fn an_empty_account_gets_a_new_trail_without_a_question() {
        let a = advise(&[], ACCOUNT, "eu-west-1", None);
        assert!(a.obvious());
        assert_eq!(
            a.options[0].choice,
            TrailChoice::Create {
                name: "trailwarden".into()
            }
        );
        assert!(a.notes[0].contains("No trail"), "{:?}", a.notes);
    }

    #[test]
    fn an_existing_multi_region_trail_is_proposed_for_reuse_with_the_cost_of_a_second() {
        let mut cw = trail("main", "eu-west-1", true);
        cw.cw_log_group_arn = Some(format!(
            "arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:ct-main:*"
        ));
        let single = trail("old", "eu-west-1", false);
        let a = advise(&[single, cw], ACCOUNT, "eu-west-1", None);
        assert_eq!(a.options.len(), 3);
        assert_eq!(
            a.options[a.default].choice,
            TrailChoice::Adopt {
                name: "main".into()
            }
        );
        assert!(a.options[a.default].label.contains("log group ct-main"));
        assert!(a.options[1].label.contains("made multi-region"));
        let notes = a.notes.join("\n");
        assert!(notes.contains("second multi-region trail"), "{notes}");
        assert!(
            notes.contains("`old` records eu-west-1 only and misses global-service events"),
            "{notes}"
        );
    }

    #[test]
    fn a_single_region_trail_is_not_proposed_by_default() {
        let a = advise(
            &[trail("old", "us-east-1", false)],
            ACCOUNT,
            "us-east-1",
            None,
        );
        assert_eq!(
            a.options[a.default].choice,
            TrailChoice::Create {
                name: "trailwarden".into()
            }
        );
        // In us-east-1 with global events it sees them, but not the other regions.
        assert!(a
            .notes
            .iter()
            .any(|n| n.contains("records us-east-1 only: activity in the other regions")));
    }

    #[test]
    fn trailwardens_own_trail_is_kept_and_a_taken_name_avoided() {
        let mut ours = trail("trailwarden", "us-east-1", true);
        ours.tags
            .insert(MANAGED_TAG_KEY.into(), MANAGED_TAG_VALUE.into());
        let a = advise(&[ours], ACCOUNT, "us-east-1", None);
        assert!(a.obvious());
        assert_eq!(a.options[0].label, "Keep trailwarden's trail `trailwarden`");

        let theirs = trail("trailwarden", "us-east-1", false);
        let a = advise(&[theirs], ACCOUNT, "us-east-1", None);
        assert_eq!(
            a.options.last().unwrap().choice,
            TrailChoice::Create {
                name: "trailwarden-2".into()
            }
        );
    }

    #[test]
    fn other_accounts_and_other_home_regions_are_explained_not_offered() {
        let mut org = trail("org", "us-east-1", true);
        org.arn = "arn:aws:cloudtrail:us-east-1:999999999999:trail/org".into();
        org.organization_trail = true;
        let elsewhere = trail("eu", "eu-west-1", true);
        let a = advise(&[org, elsewhere], ACCOUNT, "us-east-1", None);
        assert!(a.obvious());
        let notes = a.notes.join("\n");
        assert!(
            notes.contains("`org` is an organization trail of account 999999999999"),
            "{notes}"
        );
        assert!(
            notes.contains("run init with --region eu-west-1"),
            "{notes}"
        );
    }

    #[test]
    fn the_previous_choice_is_proposed_again() {
        let trails = [trail("main", "us-east-1", true)];
        let previous = TrailChoice::Create {
            name: "trailwarden".into(),
        };
        let a = advise(&trails, ACCOUNT, "us-east-1", Some(&previous));
        assert_eq!(a.options[a.default].choice, previous);
    }

    #[test]
    fn principals() {
        assert_eq!(
            describe_principal("arn:aws:iam::111122223333:root"),
            "the root user"
        );
        assert_eq!(
            describe_principal("arn:aws:iam::111122223333:user/ops/anaya"),
            "IAM user anaya"
        );
        assert_eq!(
            describe_principal("arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123abcd/anaya@example.com"),
            "IAM Identity Center (SSO) user anaya@example.com, permission set Admin"
        );
        assert_eq!(
            describe_principal("arn:aws:sts::111122223333:assumed-role/deploy/ci-42"),
            "role deploy, session ci-42"
        );
    }

    #[test]
    fn credential_sources() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let user = "arn:aws:iam::111122223333:user/anaya";
        let sso = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_01/anaya";
        assert_eq!(
            credential_source(
                None,
                env(&[("AWS_ACCESS_KEY_ID", "A"), ("AWS_SECRET_ACCESS_KEY", "S")]),
                user
            ),
            "environment variables (AWS_ACCESS_KEY_ID)"
        );
        assert_eq!(
            credential_source(Some("prod"), env(&[]), sso),
            "profile prod (--profile), IAM Identity Center (SSO)"
        );
        assert_eq!(
            credential_source(None, env(&[("AWS_PROFILE", "dev")]), user),
            "profile dev (AWS_PROFILE)"
        );
        assert_eq!(
            credential_source(None, env(&[]), user),
            "profile default or the instance's role"
        );
    }

    #[test]
    fn trail_lines() {
        let mut t = trail("main", "us-east-1", true);
        t.cw_log_group_arn = Some(format!("arn:aws:logs:us-east-1:{ACCOUNT}:log-group:ct:*"));
        assert_eq!(
            describe(&t),
            "main: multi-region (home us-east-1), logging, CloudWatch Logs: ct, bucket main-logs"
        );
    }
}
