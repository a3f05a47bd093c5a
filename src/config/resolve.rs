//! From the parsed file and the flags to one [`Config`]: each setting resolved and checked by a
//! small function of its own, every problem reported with the place it was written (the TOML
//! parser's spans, see [`Source::at`]) or `command line` for a flag.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::controls::effective_controls;
use super::validate::{self, *};
use super::*;

/// What the configuration is for. `scan` needs only the controls: no email, no resource names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `plan`, `apply`, `check`, `init`: the whole chain.
    Chain,
    /// `scan`: the controls and the AWS connection settings.
    Controls,
}

pub(super) fn resolve(
    file: FileConfig,
    ov: &Overrides,
    src: &Source,
    path: Option<PathBuf>,
    purpose: Purpose,
    diags: &mut Diagnostics,
) -> Config {
    let region = region(&file, ov, src, diags);
    let endpoint_url = endpoint_url(&file, ov, src, diags);
    let presets = presets(&file, ov, src, path.as_deref(), diags);
    let topics = topics(&file, ov, src, purpose, diags);
    let bucket = bucket(&file, ov, src, diags);
    let trail = trail(&file, ov, src, diags);
    let log_group_name = log_group_name(&file, ov, src, diags);
    let retention_days = retention_days(&file, ov, src, diags);
    role_name(&file, src, diags);
    tags(&file, src, diags);
    // Controls: presets combined, identical filters provisioned once, overrides applied.
    let routes = severity_routes(&file, &topics, src, diags);
    let chats = chats(&file, &topics, src, diags);
    let controls = effective_controls(&presets, &file.controls, &topics, &routes, src, diags);
    Config {
        config_path: path,
        region,
        profile: ov.profile.clone().or(file.profile.clone()),
        endpoint_url,
        presets,
        controls,
        bucket,
        trail,
        log_group_name,
        retention_days,
        role_name: file.role.name.clone(),
        topics,
        chats,
        tags: file.tags.clone(),
        warnings: Vec::new(),
    }
}

/// A diagnostic at `path` in the file, or at `command line` when the value came from a flag.
fn at_or_flag(src: &Source, from_flag: bool, code: Code, path: &str, msg: String) -> Diagnostic {
    if from_flag {
        let mut d = Diagnostic::error(code, msg);
        d.location = Some("command line".into());
        d
    } else {
        src.error_at(code, src.at(path), msg)
    }
}

fn region(
    file: &FileConfig,
    ov: &Overrides,
    src: &Source,
    diags: &mut Diagnostics,
) -> Option<String> {
    let region = ov.region.clone().or(file.region.clone());
    if let Some(r) = &region {
        if !REGIONS.contains(&r.as_str()) {
            diags.push(at_or_flag(
                src,
                ov.region.is_some(),
                Code::RegionUnknown,
                "region",
                format!("unknown region `{r}` (expected e.g. us-east-1, eu-west-1)"),
            ));
        }
    }
    region
}

fn endpoint_url(
    file: &FileConfig,
    ov: &Overrides,
    src: &Source,
    diags: &mut Diagnostics,
) -> Option<String> {
    let url = ov.endpoint_url.clone().or(file.endpoint_url.clone());
    if let Some(u) = &url {
        if !(u.starts_with("http://") || u.starts_with("https://")) {
            diags.push(at_or_flag(
                src,
                ov.endpoint_url.is_some(),
                Code::EndpointUrl,
                "endpoint_url",
                format!("endpoint URL `{u}` must start with http:// or https://"),
            ));
        }
    }
    url
}

/// The presets to combine: the flags' list replaces the file's; paths in the file are relative
/// to the file.
fn presets(
    file: &FileConfig,
    ov: &Overrides,
    src: &Source,
    path: Option<&Path>,
    diags: &mut Diagnostics,
) -> Vec<Preset> {
    let specs: Vec<String> = if !ov.presets.is_empty() {
        ov.presets.clone()
    } else {
        match (&file.presets, &file.preset) {
            (Some(list), Some(_)) => {
                diags.push(src.error_at(
                    Code::ConfigPresetTwice,
                    src.at("preset"),
                    "use either `preset` or `presets`, not both",
                ));
                list.clone()
            }
            (Some(list), None) => list.clone(),
            (None, Some(one)) => vec![one.clone()],
            (None, None) => vec![DEFAULT_PRESET.to_string()],
        }
    };
    let base_dir = path.and_then(Path::parent);
    let mut presets = Vec::new();
    for spec in &specs {
        let spec_path = match base_dir {
            Some(dir)
                if ov.presets.is_empty()
                    && spec.ends_with(".toml")
                    && Path::new(spec).is_relative()
                    && !dir.as_os_str().is_empty() =>
            {
                dir.join(spec).display().to_string()
            }
            _ => spec.clone(),
        };
        if let Some(p) = preset::load(&spec_path, diags) {
            presets.push(p);
        }
    }
    presets
}

/// The default topic and every `[topics.KEY]`, with their subscribers.
fn topics(
    file: &FileConfig,
    ov: &Overrides,
    src: &Source,
    purpose: Purpose,
    diags: &mut Diagnostics,
) -> Vec<TopicSettings> {
    let default_emails: Vec<String> = if !ov.emails.is_empty() {
        ov.emails.clone()
    } else {
        file.emails.clone().unwrap_or_default()
    };
    let mut topic_cfgs = file.topics.clone();
    topic_cfgs.entry(DEFAULT_TOPIC_KEY.to_string()).or_default();
    let mut topics: Vec<TopicSettings> = Vec::new();
    for (key, t) in &topic_cfgs {
        let explicit = t.name.is_some();
        let name = t.name.clone().unwrap_or_else(|| {
            if key == DEFAULT_TOPIC_KEY {
                DEFAULT_TOPIC.to_string()
            } else {
                format!("{DEFAULT_TOPIC}-{key}")
            }
        });
        if !valid_topic_name(&name) {
            diags.push(src.error_at(
                Code::TopicName,
                src.at(&format!("topics.{key}.name")),
                format!("SNS topic name `{name}` must be 1–256 letters, digits, `-` or `_`"),
            ));
        }
        // The topic's own list, else the flags', else the file's top-level `emails`.
        let (emails, listed_at, from_flag) = match &t.emails {
            Some(e) => (e.clone(), format!("topics.{key}.emails"), false),
            None => (
                default_emails.clone(),
                "emails".to_string(),
                !ov.emails.is_empty(),
            ),
        };
        let mut subscriptions: Vec<SubscriptionSpec> = Vec::new();
        let mut add = |s: SubscriptionSpec| {
            if !subscriptions
                .iter()
                .any(|have| have.protocol == s.protocol && have.is(&as_listed(&s)))
            {
                subscriptions.push(s);
            }
        };
        for (i, e) in emails.iter().enumerate() {
            if valid_email(e) {
                add(SubscriptionSpec::new(Protocol::Email, e));
            } else {
                diags.push(at_or_flag(
                    src,
                    from_flag,
                    Code::EmailInvalid,
                    &format!("{listed_at}[{i}]"),
                    format!("`{e}` is not a valid email address"),
                ));
            }
        }
        let others: [(&str, Protocol, &Vec<String>, EndpointCheck); 3] = [
            ("https", Protocol::Https, &t.https, check_https_endpoint),
            ("sms", Protocol::Sms, &t.sms, check_phone_number),
            ("lambdas", Protocol::Lambda, &t.lambdas, check_lambda_arn),
        ];
        for (field, protocol, list, check) in others {
            for (i, endpoint) in list.iter().enumerate() {
                match check(endpoint) {
                    Ok(()) => add(SubscriptionSpec::new(protocol, endpoint)),
                    Err(why) => diags.push(src.error_at(
                        Code::SubscriberInvalid,
                        src.at(&format!("topics.{key}.{field}[{i}]")),
                        format!(
                            "`topics.{key}.{field}[{i}]` {why} (got `{}`)",
                            crate::model::display_endpoint(protocol.as_str(), endpoint)
                        ),
                    )),
                }
            }
        }
        topics.push(TopicSettings {
            key: key.clone(),
            name,
            subscriptions,
            kms_key_id: t.kms_key_id.clone(),
            explicit,
        });
    }
    if purpose == Purpose::Chain && topics.iter().all(|t| t.subscriptions.is_empty()) {
        diags.push(Diagnostic::error(
            Code::EmailMissing,
            "no one to notify: give --email ADDRESS (repeatable), `emails = [...]` in the config file, or subscribers in a [topics.KEY] table (emails, https, sms, lambdas); alarms without a subscriber notify nobody",
        ));
    }
    topics
}

/// Each severity's topics and OK actions, checked: known severities, known topic keys.
fn severity_routes(
    file: &FileConfig,
    topics: &[TopicSettings],
    src: &Source,
    diags: &mut Diagnostics,
) -> BTreeMap<AlarmSeverity, SeverityRoute> {
    let mut routes = BTreeMap::new();
    for (name, route) in &file.severities {
        let at = src.at(&format!("severities.{name}"));
        let Some(severity) = AlarmSeverity::parse(name) else {
            diags.push(src.error_at(
                Code::SeverityUnknown,
                at,
                format!("unknown severity `{name}` (expected one of: critical, high, medium, low)"),
            ));
            continue;
        };
        for (i, key) in route.topics.iter().flatten().enumerate() {
            if !topics.iter().any(|t| &t.key == key) {
                diags.push(src.error_at(
                    Code::TopicUnknown,
                    src.at(&format!("severities.{name}.topics[{i}]")).or(at),
                    format!("severity `{name}` names topic `{key}`, but there is no [topics.{key}] table"),
                ));
            }
        }
        if route.topics.as_ref().is_some_and(Vec::is_empty) {
            diags.push(src.error_at(
                Code::TopicUnknown,
                at,
                format!("severity `{name}` routes to no topic: its alarms would notify nobody"),
            ));
        }
        routes.insert(severity, route.clone());
    }
    routes
}

/// Each `[chat.KEY]`: one client (Slack or Teams) with its ids as AWS Chatbot takes them, a
/// role, known topics.
/// <https://docs.aws.amazon.com/chatbot/latest/APIReference/API_CreateSlackChannelConfiguration.html>
fn chats(
    file: &FileConfig,
    topics: &[TopicSettings],
    src: &Source,
    diags: &mut Diagnostics,
) -> Vec<ChatSettings> {
    let mut out = Vec::new();
    for (key, c) in &file.chat {
        let at = |field: &str| {
            src.at(&format!("chat.{key}.{field}"))
                .or(src.at(&format!("chat.{key}")))
        };
        let mut error = |field: &str, msg: String| {
            diags.push(src.error_at(Code::ChatInvalid, at(field), format!("`chat.{key}`: {msg}")));
        };
        // The configuration's name, `trailwarden-KEY`: letters, digits, `-` and `_`, 128 at most.
        if key.is_empty()
            || key.len() > 128 - "trailwarden-".len()
            || !key
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
        {
            error(
                "",
                "the key must be letters, digits, `-` or `_` (it names the channel configuration)"
                    .into(),
            );
        }
        let slack = (&c.slack_workspace_id, &c.slack_channel_id);
        let teams = (&c.teams_tenant_id, &c.teams_team_id, &c.teams_channel_id);
        let any_slack = slack.0.is_some() || slack.1.is_some();
        let any_teams = teams.0.is_some() || teams.1.is_some() || teams.2.is_some();
        let client = match (any_slack, any_teams) {
            (true, true) | (false, false) => {
                error("", "give either slack_workspace_id and slack_channel_id, or teams_tenant_id, teams_team_id and teams_channel_id".into());
                None
            }
            (true, false) => match slack {
                (Some(w), Some(ch)) => {
                    if !(1..=255).contains(&w.len())
                        || !w
                            .chars()
                            .all(|x| x.is_ascii_digit() || x.is_ascii_uppercase())
                    {
                        error("slack_workspace_id", format!("`{w}` is not a Slack workspace (team) id: upper-case letters and digits, e.g. T07EA123LEP, as the Chatbot console shows it"));
                    }
                    if !(1..=255).contains(&ch.len())
                        || !ch.chars().all(|x| x.is_ascii_alphanumeric())
                    {
                        error("slack_channel_id", format!("`{ch}` is not a Slack channel id: letters and digits, e.g. C07EZ1ABC23 (the end of the channel's link)"));
                    }
                    Some(crate::model::ChatClient::Slack {
                        workspace_id: w.clone(),
                        channel_id: ch.clone(),
                    })
                }
                _ => {
                    error(
                        "",
                        "a Slack channel needs both slack_workspace_id and slack_channel_id".into(),
                    );
                    None
                }
            },
            (false, true) => {
                match teams {
                    (Some(tenant), Some(team), Some(ch)) => {
                        for (field, v) in [("teams_tenant_id", tenant), ("teams_team_id", team)] {
                            if !is_uuid(v) {
                                error(field, format!("`{v}` is not an id of the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"));
                            }
                        }
                        if ch.is_empty() || ch.len() > 255 || ch.contains(char::is_whitespace) {
                            error("teams_channel_id", format!("`{ch}` is not a Teams channel id (from the channel's link, e.g. 19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2)"));
                        }
                        Some(crate::model::ChatClient::Teams {
                            tenant_id: tenant.clone(),
                            team_id: team.clone(),
                            channel_id: ch.clone(),
                        })
                    }
                    _ => {
                        error("", "a Teams channel needs teams_tenant_id, teams_team_id and teams_channel_id".into());
                        None
                    }
                }
            }
        };
        let role = c.iam_role_arn.clone().unwrap_or_default();
        let role_ok = role.starts_with("arn:aws")
            && role.split(':').nth(2) == Some("iam")
            && role
                .split(':')
                .nth(4)
                .is_some_and(|a| a.len() == 12 && a.chars().all(|x| x.is_ascii_digit()))
            && role
                .split(':')
                .nth(5)
                .is_some_and(|r| r.starts_with("role/") && r.len() > 5);
        if !role_ok {
            error("iam_role_arn", "`iam_role_arn` must be the ARN of the IAM role the channel uses (trusted by chatbot.amazonaws.com), e.g. arn:aws:iam::111122223333:role/chatbot-notifications".into());
        }
        let topic_keys = c
            .topics
            .clone()
            .unwrap_or_else(|| vec![DEFAULT_TOPIC_KEY.to_string()]);
        if topic_keys.is_empty() {
            error(
                "topics",
                "`topics` is empty: the channel would show nothing".into(),
            );
        }
        for (i, t) in topic_keys.iter().enumerate() {
            if !topics.iter().any(|x| &x.key == t) {
                diags.push(src.error_at(
                    Code::TopicUnknown,
                    src.at(&format!("chat.{key}.topics[{i}]")).or(at("topics")),
                    format!("chat `{key}` names topic `{t}`, but there is no [topics.{t}] table"),
                ));
            }
        }
        if let Some(client) = client {
            out.push(ChatSettings {
                key: key.clone(),
                client,
                topic_keys,
                role_arn: role,
            });
        }
    }
    out
}

fn is_uuid(v: &str) -> bool {
    let parts: Vec<&str> = v.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// One protocol's endpoint check (`validate::check_https_endpoint`, ...).
type EndpointCheck = fn(&str) -> Result<(), &'static str>;

/// A configured subscriber as SNS would list it, to compare two configured ones the way a
/// listed one is compared (emails without regard to case, phone numbers on their digits).
fn as_listed(s: &SubscriptionSpec) -> crate::model::Subscription {
    crate::model::Subscription {
        protocol: s.protocol.as_str().to_string(),
        endpoint: s.endpoint.clone(),
        arn: String::new(),
    }
}

fn bucket(
    file: &FileConfig,
    ov: &Overrides,
    src: &Source,
    diags: &mut Diagnostics,
) -> BucketConfig {
    let bucket = BucketConfig {
        name: ov.bucket.clone().or(file.bucket.name.clone()),
        ..file.bucket.clone()
    };
    if let Some(b) = &bucket.name {
        if let Err(why) = check_bucket_name(b) {
            diags.push(at_or_flag(
                src,
                ov.bucket.is_some(),
                Code::BucketName,
                "bucket.name",
                format!("invalid bucket name `{b}`: {why}"),
            ));
        }
    }
    if let Some(p) = &bucket.prefix {
        if p.starts_with('/') || p.ends_with('/') || p.contains("AWSLogs") || p.len() > 200 {
            diags.push(src.error_at(
                Code::BucketPrefix,
                src.at("bucket.prefix"),
                format!("bucket prefix `{p}` must not start or end with `/` nor contain AWSLogs"),
            ));
        }
    }
    bucket
}

fn trail(file: &FileConfig, ov: &Overrides, src: &Source, diags: &mut Diagnostics) -> TrailConfig {
    let mut trail = file.trail.clone();
    if let Some(a) = &ov.adopt_trail {
        trail.name = Some(a.clone());
        trail.adopt = true;
    } else if let Some(t) = &ov.trail {
        trail.name = Some(t.clone());
    }
    if trail.adopt && trail.name.is_none() {
        diags.push(src.error_at(
            Code::TrailAdoptName,
            src.at("trail.adopt"),
            "`adopt = true` needs the name of the existing trail: `[trail] name = \"...\"`",
        ));
    }
    if let Some(t) = &trail.name {
        if !valid_trail_name(t) {
            diags.push(at_or_flag(
                src,
                ov.trail.is_some() || ov.adopt_trail.is_some(),
                Code::TrailName,
                "trail.name",
                format!("invalid trail name `{t}`: 3–128 letters, digits, `.`, `_` or `-`, starting and ending with a letter or digit"),
            ));
        }
    }
    if let Some(t) = &trail.delivery_topic {
        if !valid_topic_name(t) {
            diags.push(src.error_at(
                Code::TopicName,
                src.at("trail.delivery_topic"),
                format!("SNS topic name `{t}` must be 1–256 letters, digits, `-` or `_`"),
            ));
        }
    }
    trail
}

fn log_group_name(
    file: &FileConfig,
    ov: &Overrides,
    src: &Source,
    diags: &mut Diagnostics,
) -> Option<String> {
    let name = ov.log_group.clone().or(file.log_group.name.clone());
    if let Some(g) = &name {
        if !valid_log_group_name(g) {
            diags.push(at_or_flag(
                src,
                ov.log_group.is_some(),
                Code::LogGroupName,
                "log_group.name",
                format!("invalid log group name `{g}`: 1–512 of letters, digits, `_ - / . #`"),
            ));
        }
    }
    name
}

fn retention_days(file: &FileConfig, ov: &Overrides, src: &Source, diags: &mut Diagnostics) -> i32 {
    let days = ov
        .retention_days
        .or(file.log_group.retention_days)
        .unwrap_or(DEFAULT_RETENTION_DAYS);
    if !RETENTION_DAYS.contains(&days) {
        diags.push(at_or_flag(
            src,
            ov.retention_days.is_some(),
            Code::RetentionDays,
            "log_group.retention_days",
            format!(
                "retention of {days} days is not one CloudWatch Logs accepts ({})",
                RETENTION_DAYS
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    days
}

fn role_name(file: &FileConfig, src: &Source, diags: &mut Diagnostics) {
    if let Some(r) = &file.role.name {
        if r.is_empty()
            || r.len() > 64
            || !r
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
        {
            diags.push(src.error_at(
                Code::RoleName,
                src.at("role.name"),
                format!("invalid IAM role name `{r}`"),
            ));
        }
    }
}

fn tags(file: &FileConfig, src: &Source, diags: &mut Diagnostics) {
    for (k, v) in &file.tags {
        if let Err(why) = validate::check_tag(k, v) {
            diags.push(src.error_at(
                Code::TagInvalid,
                src.at(&format!("tags.{k}")),
                format!("invalid tag `{k}` = `{v}`: {why}"),
            ));
        }
    }
    if file.tags.len() > validate::MAX_USER_TAGS {
        diags.push(src.error_at(
            Code::TagInvalid,
            src.at("tags"),
            format!(
                "{} tags given; at most {} (AWS allows 50 per resource, and trailwarden adds `{}`)",
                file.tags.len(),
                validate::MAX_USER_TAGS,
                crate::model::MANAGED_TAG_KEY
            ),
        ));
    }
}
