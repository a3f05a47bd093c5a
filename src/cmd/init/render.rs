//! The answers of `init` and the configuration file they make: every key explained by a comment,
//! the defaults left visible as commented-out lines.

use std::fmt::Write;

use super::survey::TrailChoice;
use crate::config::{self, FileConfig};
use crate::model::Tags;

/// Everything `init` decided, asked or carried over from an existing file.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Answers {
    pub region: String,
    pub profile: Option<String>,
    pub presets: Vec<String>,
    /// Control ids (or filter names) left out.
    pub disabled: Vec<String>,
    pub emails: Vec<String>,
    pub trail: TrailChoice,
    /// Organization mode (`[trail] organization = true`): offered in a management account.
    pub organization: bool,
    /// An adopted trail that already delivers to this log group: the filters go there, and its
    /// bucket, retention and key stay as they are.
    pub adopted_log_group: Option<String>,
    /// `None`: the default bucket name.
    pub bucket: Option<String>,
    /// The default bucket name, shown as a comment.
    pub default_bucket: String,
    pub retention_days: i32,
    /// SSE-KMS key for the log files.
    pub kms_key_id: Option<String>,
    /// An existing SNS topic for the alarms; `None`: trailwarden's own.
    pub topic: Option<String>,
    /// Kept from an existing file (not asked).
    pub kept: Kept,
}

/// Settings `init` does not ask about, kept from an existing file.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Kept {
    pub bucket_prefix: Option<String>,
    pub bucket_kms_key_id: Option<String>,
    pub log_group_name: Option<String>,
    pub role_name: Option<String>,
    pub delivery_topic: Option<String>,
    pub tags: Tags,
}

impl Kept {
    pub(super) fn from_file(f: &FileConfig) -> Kept {
        Kept {
            bucket_prefix: f.bucket.prefix.clone(),
            bucket_kms_key_id: f.bucket.kms_key_id.clone(),
            log_group_name: f.log_group.name.clone(),
            role_name: f.role.name.clone(),
            delivery_topic: f.trail.delivery_topic.clone(),
            tags: f.tags.clone(),
        }
    }
}

/// Settings of an existing file that `init` would not write again, by key.
pub(super) fn dropped_keys(f: &FileConfig) -> Vec<String> {
    let mut keys = Vec::new();
    if f.endpoint_url.is_some() {
        keys.push("endpoint_url".to_string());
    }
    for (key, t) in &f.topics {
        if key != config::DEFAULT_TOPIC_KEY || t.emails.is_some() || t.kms_key_id.is_some() {
            keys.push(format!("[topics.{key}]"));
        }
    }
    for (key, c) in &f.controls {
        let tuned = config::ControlOverride {
            disabled: c.disabled,
            ..Default::default()
        } != *c;
        if tuned {
            keys.push(format!("[controls.{key}]"));
        }
    }
    keys
}

/// A TOML string literal.
fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn list(items: &[String]) -> String {
    format!(
        "[{}]",
        items.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ")
    )
}

/// The configuration file text.
pub(super) fn render(a: &Answers) -> String {
    let mut o = String::new();
    let w = &mut o;
    let _ = writeln!(
        w,
        "# trailwarden configuration, written by `trailwarden init`."
    );
    let _ = writeln!(
        w,
        "# `trailwarden plan` shows what `trailwarden apply` would change;"
    );
    let _ = writeln!(
        w,
        "# `trailwarden check` reports drift. Every key: docs/configuration.md."
    );
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "# Home region of the trail, and region of the log group, metric filters,"
    );
    let _ = writeln!(w, "# alarms and topic.");
    let _ = writeln!(w, "region = {}", q(&a.region));
    if let Some(p) = &a.profile {
        let _ = writeln!(w, "# AWS shared-config profile the credentials come from.");
        let _ = writeln!(w, "profile = {}", q(p));
    }
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "# Sets of controls (a metric filter and an alarm each), combined in order."
    );
    let _ = writeln!(
        w,
        "# Built in: {}.",
        crate::preset::builtin_names().join(", ")
    );
    let _ = writeln!(w, "# `trailwarden presets show NAME` lists their controls.");
    let _ = writeln!(w, "presets = {}", list(&a.presets));
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "# Subscribed to the alarm topic. AWS emails each address a confirmation"
    );
    let _ = writeln!(w, "# link; alarms reach nobody until it is clicked.");
    let _ = writeln!(w, "emails = {}", list(&a.emails));
    if !a.kept.tags.is_empty() {
        let _ = writeln!(w);
        let _ = writeln!(
            w,
            "# Added to every resource created, besides managed-by = \"trailwarden\"."
        );
        let tags: Vec<String> = a
            .kept
            .tags
            .iter()
            .map(|(k, v)| format!("{} = {}", q(k), q(v)))
            .collect();
        let _ = writeln!(w, "tags = {{ {} }}", tags.join(", "));
    }

    let _ = writeln!(w);
    let _ = writeln!(w, "[trail]");
    match &a.trail {
        TrailChoice::Create { name } => {
            let _ = writeln!(
                w,
                "# The multi-region trail trailwarden creates and keeps in shape."
            );
            let _ = writeln!(w, "name = {}", q(name));
        }
        TrailChoice::Adopt { name } => {
            let _ = writeln!(
                w,
                "# An existing trail, reused: trailwarden turns on what it lacks"
            );
            let _ = writeln!(
                w,
                "# (multi-region, global-service events, log file validation,"
            );
            let _ = writeln!(w, "# logging) and leaves its bucket as it is.");
            let _ = writeln!(w, "name = {}", q(name));
            let _ = writeln!(w, "adopt = true");
        }
    }
    if a.organization {
        let _ = writeln!(
            w,
            "# The organization trail: every account's events, one log group, alarms naming"
        );
        let _ = writeln!(w, "# the account (docs/organizations.md).");
        let _ = writeln!(w, "organization = true");
    }
    let _ = writeln!(
        w,
        "# SSE-KMS key for the log files (the key policy must let CloudTrail use"
    );
    let _ = writeln!(
        w,
        "# it); without one, S3-managed keys (SSE-S3) encrypt them."
    );
    match &a.kms_key_id {
        Some(k) => {
            let _ = writeln!(w, "kms_key_id = {}", q(k));
        }
        None => {
            let _ = writeln!(
                w,
                "# kms_key_id = \"arn:aws:kms:{}:ACCOUNT:key/...\"",
                a.region
            );
        }
    }
    if let Some(t) = &a.kept.delivery_topic {
        let _ = writeln!(w, "# SNS topic told of each log file delivery.");
        let _ = writeln!(w, "delivery_topic = {}", q(t));
    }

    let adopted = matches!(a.trail, TrailChoice::Adopt { .. });
    let _ = writeln!(w);
    let _ = writeln!(w, "[bucket]");
    if adopted {
        let _ = writeln!(
            w,
            "# Not used: the reused trail keeps writing to its own bucket."
        );
    } else {
        let _ = writeln!(
            w,
            "# S3 bucket for the log files; naming an existing bucket adopts it."
        );
        match &a.bucket {
            Some(b) => {
                let _ = writeln!(w, "name = {}", q(b));
            }
            None => {
                let _ = writeln!(w, "# Default, created by trailwarden:");
                let _ = writeln!(w, "# name = {}", q(&a.default_bucket));
            }
        }
        let _ = writeln!(w, "# Key prefix before AWSLogs/.");
        match &a.kept.bucket_prefix {
            Some(p) => {
                let _ = writeln!(w, "prefix = {}", q(p));
            }
            None => {
                let _ = writeln!(w, "# prefix = \"cloudtrail\"");
            }
        }
        if let Some(k) = &a.kept.bucket_kms_key_id {
            let _ = writeln!(w, "# KMS key for the bucket's default encryption.");
            let _ = writeln!(w, "kms_key_id = {}", q(k));
        }
    }

    let _ = writeln!(w);
    let _ = writeln!(w, "[log_group]");
    match &a.adopted_log_group {
        Some(g) => {
            let _ = writeln!(
                w,
                "# The reused trail already delivers to CloudWatch Logs group {g}:"
            );
            let _ = writeln!(
                w,
                "# the metric filters go there, and its retention is left as it is."
            );
        }
        None => {
            let _ = writeln!(
                w,
                "# CloudWatch Logs log group the trail delivers to; the metric filters"
            );
            let _ = writeln!(w, "# watch it.");
            match &a.kept.log_group_name {
                Some(n) => {
                    let _ = writeln!(w, "name = {}", q(n));
                }
                None => {
                    let _ = writeln!(w, "# name = {}", q(config::DEFAULT_LOG_GROUP));
                }
            }
            let _ = writeln!(w, "# Days events are kept: {}.", retention_list());
            let _ = writeln!(w, "retention_days = {}", a.retention_days);
        }
    }
    if let Some(r) = &a.kept.role_name {
        let _ = writeln!(w);
        let _ = writeln!(w, "[role]");
        let _ = writeln!(
            w,
            "# IAM role CloudTrail assumes to write to the log group."
        );
        let _ = writeln!(w, "name = {}", q(r));
    }

    if let Some(t) = &a.topic {
        let _ = writeln!(w);
        let _ = writeln!(w, "[topics.default]");
        let _ = writeln!(
            w,
            "# An existing SNS topic the alarms notify (adopted; the emails above are"
        );
        let _ = writeln!(w, "# subscribed to it).");
        let _ = writeln!(w, "name = {}", q(t));
    }

    if !a.disabled.is_empty() {
        let _ = writeln!(w);
        let _ = writeln!(
            w,
            "# Controls left out. Delete a table to turn its control on again."
        );
        for id in &a.disabled {
            let _ = writeln!(w, "[controls.{}]", table_key(id));
            let _ = writeln!(w, "disabled = true");
        }
    }
    o
}

/// A table key: bare when it can be.
fn table_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        k.to_string()
    } else {
        q(k)
    }
}

fn retention_list() -> String {
    let days = config::RETENTION_DAYS;
    let n = days.len();
    format!(
        "{}, ... {}",
        days[..6]
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        days[n - 3..]
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// A retention choice as shown.
pub(super) fn retention_label(days: i32) -> String {
    match days {
        365 => "365 days (1 year)".to_string(),
        731 => "731 days (2 years)".to_string(),
        1096 => "1096 days (3 years)".to_string(),
        1827 => "1827 days (5 years)".to_string(),
        2557 => "2557 days (7 years)".to_string(),
        3653 => "3653 days (10 years)".to_string(),
        1 => "1 day".to_string(),
        d => format!("{d} days"),
    }
}

/// Email addresses as typed: separated by commas, semicolons or spaces, each valid, duplicates
/// dropped.
pub(super) fn parse_emails(text: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for e in text
        .split([',', ';', ' ', '\t'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        if !config::valid_email(e) {
            return Err(format!("`{e}` is not a valid email address"));
        }
        if !out.iter().any(|o| o.eq_ignore_ascii_case(e)) {
            out.push(e.to_string());
        }
    }
    if out.is_empty() {
        return Err(
            "at least one address is needed: alarms without a subscriber notify nobody".into(),
        );
    }
    Ok(out)
}

/// A KMS key as CloudTrail accepts it: key ARN, alias ARN, alias name or key id.
pub(super) fn check_kms_key(k: &str) -> Result<(), String> {
    let ok = (k.starts_with("arn:")
        && k.contains(":kms:")
        && (k.contains(":key/") || k.contains(":alias/")))
        || (k.starts_with("alias/") && k.len() > 6)
        || (k.len() == 36 && k.chars().all(|c| c.is_ascii_hexdigit() || c == '-'));
    if ok {
        Ok(())
    } else {
        Err("expected a key ARN, an alias (alias/NAME or its ARN) or a key id".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Overrides;

    fn answers() -> Answers {
        Answers {
            region: "eu-west-1".into(),
            profile: None,
            presets: vec!["aws-docs".into()],
            disabled: vec![],
            emails: vec!["sec@example.com".into()],
            trail: TrailChoice::Create {
                name: "trailwarden".into(),
            },
            organization: false,
            adopted_log_group: None,
            bucket: None,
            default_bucket: "trailwarden-cloudtrail-111122223333-eu-west-1".into(),
            retention_days: 365,
            kms_key_id: None,
            topic: None,
            kept: Kept::default(),
        }
    }

    fn valid(text: &str) -> config::Config {
        config::from_str("trailwarden.toml", text, &Overrides::default())
            .unwrap_or_else(|d| panic!("{text}\n{:?}", d.items))
    }

    #[test]
    fn the_defaults_make_a_valid_commented_file() {
        let text = render(&answers());
        let c = valid(&text);
        assert_eq!(c.region.as_deref(), Some("eu-west-1"));
        assert_eq!(c.emails(), vec!["sec@example.com".to_string()]);
        assert_eq!(c.trail.name.as_deref(), Some("trailwarden"));
        assert!(!c.trail.adopt);
        assert_eq!(c.bucket.name, None, "the default bucket stays managed");
        assert_eq!(c.retention_days, 365);
        assert!(text.contains("# name = \"trailwarden-cloudtrail-111122223333-eu-west-1\""));
        assert!(text.lines().filter(|l| l.starts_with('#')).count() > 15);
    }

    #[test]
    fn every_choice_is_written() {
        let mut a = answers();
        a.presets = vec!["cis".into(), "aws-docs".into()];
        a.disabled = vec!["vpc-changes".into(), "route-table-changes".into()];
        a.emails = vec!["a@example.com".into(), "b\"q@example.com".into()];
        a.bucket = Some("my-logs".into());
        a.retention_days = 90;
        a.kms_key_id = Some("alias/cloudtrail".into());
        a.topic = Some("security-alerts".into());
        a.profile = Some("prod".into());
        a.kept.tags.insert("team".into(), "security".into());
        a.kept.bucket_prefix = Some("org".into());
        a.kept.role_name = Some("ct-logs".into());
        let text = render(&a);
        // Quoted so that it reads back as typed (and is then rejected as an email).
        let back: FileConfig = toml::from_str(&text).unwrap();
        assert_eq!(back.emails.unwrap()[1], "b\"q@example.com");
        a.emails.pop();
        let c = valid(&render(&a));
        assert_eq!(c.presets.len(), 2);
        assert!(!c
            .controls
            .iter()
            .any(|x| x.id == "vpc-changes" || x.id == "route-table-changes"));
        assert_eq!(c.bucket.name.as_deref(), Some("my-logs"));
        assert_eq!(c.bucket.prefix.as_deref(), Some("org"));
        assert_eq!(c.retention_days, 90);
        assert_eq!(c.trail.kms_key_id.as_deref(), Some("alias/cloudtrail"));
        assert_eq!(c.topics[0].name, "security-alerts");
        assert_eq!(c.profile.as_deref(), Some("prod"));
        assert_eq!(c.role_name.as_deref(), Some("ct-logs"));
        assert_eq!(c.tags.get("team").map(String::as_str), Some("security"));
    }

    #[test]
    fn an_adopted_trail_keeps_its_bucket_and_log_group() {
        let mut a = answers();
        a.trail = TrailChoice::Adopt {
            name: "main".into(),
        };
        a.adopted_log_group = Some("ct-main".into());
        let text = render(&a);
        let c = valid(&text);
        assert!(c.trail.adopt);
        assert_eq!(c.trail.name.as_deref(), Some("main"));
        assert!(!text.contains("retention_days ="), "{text}");
        assert!(
            !text.contains("\nname = \"trailwarden-cloudtrail"),
            "{text}"
        );
    }

    #[test]
    fn emails_are_split_checked_and_deduplicated() {
        assert_eq!(
            parse_emails(" a@example.com, b@example.org;A@example.com  c@example.net").unwrap(),
            vec!["a@example.com", "b@example.org", "c@example.net"]
        );
        assert!(parse_emails("a@example.com, nope")
            .unwrap_err()
            .contains("`nope`"));
        assert!(parse_emails("  ").unwrap_err().contains("at least one"));
    }

    #[test]
    fn kms_keys() {
        for ok in [
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:kms:us-east-1:111122223333:alias/ct",
            "alias/ct",
            "1234abcd-12ab-34cd-56ef-1234567890ab",
        ] {
            assert!(check_kms_key(ok).is_ok(), "{ok}");
        }
        for bad in ["", "alias/", "key", "arn:aws:s3:::bucket"] {
            assert!(check_kms_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn files_settings_not_asked_about_are_kept_or_named() {
        let text = "emails = [\"a@example.com\"]\ntags = { team = \"sec\" }\n[bucket]\nprefix = \"p\"\n[topics.critical]\nemails = [\"p@example.com\"]\n[controls.root-account-usage]\nthreshold = 2\n[controls.console-signin-without-mfa]\ndisabled = true\n";
        let f: FileConfig = toml::from_str(text).unwrap();
        let kept = Kept::from_file(&f);
        assert_eq!(kept.bucket_prefix.as_deref(), Some("p"));
        assert_eq!(kept.tags.len(), 1);
        assert_eq!(
            dropped_keys(&f),
            vec![
                "[topics.critical]".to_string(),
                "[controls.root-account-usage]".to_string()
            ]
        );
    }
}
