//! Configuration: the config file (`trailwarden.toml`) and command-line flags, merged into one
//! validated [`Config`] before any request is made. Every problem is reported at once.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::diag::{Code, Diagnostic, Diagnostics, Source};
use crate::model::{AlarmSeverity, Protocol, SubscriptionSpec, Tags};
use crate::preset::{self, Preset};

mod alerts;
mod controls;
mod resolve;
mod validate;

pub use controls::with_exclusions;
use resolve::resolve;
pub use resolve::Purpose;
pub use validate::*;

pub const DEFAULT_CONFIG_FILE: &str = "trailwarden.toml";
pub const DEFAULT_PRESET: &str = "aws-docs";
pub const DEFAULT_TRAIL: &str = "trailwarden";
pub const DEFAULT_LOG_GROUP: &str = "trailwarden-cloudtrail";
pub const DEFAULT_ROLE: &str = "trailwarden-cloudtrail-to-logs";
pub const DEFAULT_TOPIC: &str = "trailwarden-alarms";
pub const DEFAULT_TOPIC_KEY: &str = "default";
pub const DEFAULT_RETENTION_DAYS: i32 = 365;

/// Retention values CloudWatch Logs accepts (days).
pub const RETENTION_DAYS: &[i32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

pub use crate::aws::REGIONS;

/// The config file as written. Unknown keys are errors.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    pub preset: Option<String>,
    pub presets: Option<Vec<String>>,
    pub emails: Option<Vec<String>>,
    #[serde(default)]
    pub tags: Tags,
    #[serde(default)]
    pub bucket: BucketConfig,
    #[serde(default)]
    pub trail: TrailConfig,
    #[serde(default)]
    pub log_group: LogGroupConfig,
    #[serde(default)]
    pub role: RoleConfig,
    #[serde(default)]
    pub topics: BTreeMap<String, TopicConfig>,
    #[serde(default)]
    pub controls: BTreeMap<String, ControlOverride>,
    /// Routing by severity: `[severities.critical] topics = ["pager"]`.
    #[serde(default)]
    pub severities: BTreeMap<String, SeverityRoute>,
    /// Slack / Microsoft Teams channels through AWS Chatbot: `[chat.secops]`.
    #[serde(default)]
    pub chat: BTreeMap<String, ChatConfig>,
    /// Overrides of the cost estimate's price table (`src/cost/prices.toml`), by entry name.
    #[serde(default)]
    pub prices: BTreeMap<String, f64>,
}

/// A Slack channel (`slack_workspace_id` + `slack_channel_id`) or a Microsoft Teams channel
/// (`teams_tenant_id` + `teams_team_id` + `teams_channel_id`) told of topics' notifications.
#[derive(Debug, Default, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ChatConfig {
    pub slack_workspace_id: Option<String>,
    pub slack_channel_id: Option<String>,
    pub teams_tenant_id: Option<String>,
    pub teams_team_id: Option<String>,
    pub teams_channel_id: Option<String>,
    /// Keys of `[topics.KEY]` tables; `["default"]` when not given.
    pub topics: Option<Vec<String>>,
    /// The IAM role the channel configuration uses (trusted by `chatbot.amazonaws.com`).
    pub iam_role_arn: Option<String>,
}

/// A validated `[chat.KEY]`.
#[derive(Debug, Clone)]
pub struct ChatSettings {
    pub key: String,
    pub client: crate::model::ChatClient,
    pub topic_keys: Vec<String>,
    pub role_arn: String,
}

/// Where the alarms of one severity go.
#[derive(Debug, Default, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeverityRoute {
    /// Keys of `[topics.KEY]` tables; `["default"]` when not given.
    pub topics: Option<Vec<String>>,
    /// Tell the same topics when the alarm returns to OK.
    #[serde(default)]
    pub ok_actions: bool,
}

#[derive(Debug, Default, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BucketConfig {
    pub name: Option<String>,
    pub prefix: Option<String>,
    pub kms_key_id: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TrailConfig {
    pub name: Option<String>,
    /// Reuse the existing trail `name` (created outside trailwarden) instead of creating one.
    #[serde(default)]
    pub adopt: bool,
    pub kms_key_id: Option<String>,
    /// SNS topic name notified by CloudTrail of each log file delivery.
    pub delivery_topic: Option<String>,
    /// Organization mode: the trail is the organization's trail (`IsOrganizationTrail`), set up
    /// from the management account (`--organization`).
    #[serde(default)]
    pub organization: bool,
}

#[derive(Debug, Default, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LogGroupConfig {
    pub name: Option<String>,
    pub retention_days: Option<i32>,
}

#[derive(Debug, Default, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RoleConfig {
    pub name: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TopicConfig {
    pub name: Option<String>,
    pub emails: Option<Vec<String>>,
    /// HTTPS endpoints (PagerDuty's and Opsgenie's SNS integration URLs).
    #[serde(default)]
    pub https: Vec<String>,
    /// Phone numbers in E.164 form.
    #[serde(default)]
    pub sms: Vec<String>,
    /// Lambda function ARNs.
    #[serde(default)]
    pub lambdas: Vec<String>,
    pub kms_key_id: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ControlOverride {
    #[serde(default)]
    pub disabled: bool,
    pub threshold: Option<f64>,
    pub period: Option<i32>,
    pub evaluation_periods: Option<i32>,
    pub datapoints_to_alarm: Option<i32>,
    pub treat_missing_data: Option<String>,
    /// Key of a `[topics.KEY]` table to notify instead of the severity's topics.
    pub topic: Option<String>,
    /// `critical`, `high`, `medium` or `low`, instead of the preset's.
    pub severity: Option<String>,
    /// Id of one of the control's documented alternatives to use.
    pub alternative: Option<String>,
    /// Extra JSON-pattern conditions ANDed to the control's pattern, e.g.
    /// `'$.sourceIPAddress != "config.amazonaws.com"'`.
    #[serde(default)]
    pub exclusions: Vec<String>,
}

/// Values given on the command line; they override the file.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    pub presets: Vec<String>,
    pub emails: Vec<String>,
    pub bucket: Option<String>,
    pub trail: Option<String>,
    pub adopt_trail: Option<String>,
    pub log_group: Option<String>,
    pub retention_days: Option<i32>,
    /// `--organization`.
    pub organization: bool,
}

#[derive(Debug, Clone)]
pub struct TopicSettings {
    pub key: String,
    pub name: String,
    /// Every subscriber, validated: emails first, then HTTPS, SMS and Lambda, each in the order
    /// written, duplicates left out.
    pub subscriptions: Vec<SubscriptionSpec>,
    pub kms_key_id: Option<String>,
    pub explicit: bool,
}

/// A control as it will be provisioned: preset definition + user overrides.
#[derive(Debug, Clone)]
pub struct EffectiveControl {
    pub preset: String,
    pub id: String,
    pub title: String,
    pub filter_name: String,
    pub metric_name: String,
    pub namespace: String,
    pub pattern: String,
    pub alarm_name: String,
    pub alarm: preset::Alarm,
    pub severity: AlarmSeverity,
    /// The `[topics.KEY]` keys the alarm notifies: the control's `topic`, else its severity's
    /// `topics`, else `default`.
    pub topic_keys: Vec<String>,
    /// Notify the same topics when the alarm returns to OK (the severity's `ok_actions`).
    pub ok_actions: bool,
    /// Why the control matters, from the preset (for the alarm's description).
    pub rationale: String,
    /// The pattern differs from the preset's text (exclusions or an alternative).
    pub pattern_modified: bool,
    pub auditors: Vec<String>,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub config_path: Option<PathBuf>,
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    pub presets: Vec<Preset>,
    pub controls: Vec<EffectiveControl>,
    pub bucket: BucketConfig,
    pub trail: TrailConfig,
    pub log_group_name: Option<String>,
    pub retention_days: i32,
    pub role_name: Option<String>,
    pub topics: Vec<TopicSettings>,
    pub chats: Vec<ChatSettings>,
    pub tags: Tags,
    /// The price table of the cost estimate, with the configuration's overrides.
    pub prices: crate::cost::Prices,
    /// Non-fatal findings (lints, auditor notes) to show with the plan.
    pub warnings: Vec<Diagnostic>,
}

impl Config {
    /// How to reach AWS, as configured.
    pub fn connect_options(&self) -> crate::aws::ConnectOptions {
        crate::aws::ConnectOptions {
            region: self.region.clone(),
            profile: self.profile.clone(),
            endpoint_url: self.endpoint_url.clone(),
            fallback_region: None,
        }
    }

    pub fn emails(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .topics
            .iter()
            .flat_map(|t| t.subscriptions.iter())
            .filter(|s| s.protocol == Protocol::Email)
            .map(|s| s.endpoint.clone())
            .collect();
        all.sort();
        all.dedup();
        all
    }
}

pub use crate::diag::read_input_file;

/// Load the config file (if any), merge the flags, and validate everything. `Err` carries every
/// problem found.
pub fn load(ov: &Overrides) -> Result<Config, Diagnostics> {
    load_for(ov, Purpose::Chain)
}

/// [`load`] for a purpose: `scan` needs the controls only, and no email.
pub fn load_for(ov: &Overrides, purpose: Purpose) -> Result<Config, Diagnostics> {
    let mut diags = Diagnostics::default();
    let (path, text) = match &ov.config {
        Some(p) => match read_input_file(p) {
            Ok(t) => (Some(p.clone()), t),
            Err(e) => {
                diags.push(Diagnostic::error(
                    Code::ConfigUnreadable,
                    format!("cannot read config file {}: {e}", p.display()),
                ));
                return Err(diags);
            }
        },
        None => {
            // No ./trailwarden.toml is fine; one that cannot be read (permissions, a directory,
            // not UTF-8) is an error, not silently left out.
            let p = Path::new(DEFAULT_CONFIG_FILE);
            match read_input_file(p) {
                Ok(t) => (Some(p.to_path_buf()), t),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => (None, String::new()),
                Err(e) => {
                    diags.push(Diagnostic::error(
                        Code::ConfigUnreadable,
                        format!("cannot read config file {}: {e}", p.display()),
                    ));
                    return Err(diags);
                }
            }
        }
    };
    let name = path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "command line".to_string());
    let source = Source::new(&name, &text);
    let Some(file) = parse_file(&source, &mut diags) else {
        return Err(diags);
    };
    let cfg = resolve(file, ov, &source, path.clone(), purpose, &mut diags);
    if diags.has_errors() {
        Err(diags)
    } else {
        let mut cfg = cfg;
        cfg.warnings.extend(diags.warnings().cloned());
        Ok(cfg)
    }
}

/// Parse a config text (for tests and `init`), with the flags merged.
pub fn from_str(name: &str, text: &str, ov: &Overrides) -> Result<Config, Diagnostics> {
    from_str_for(name, text, ov, Purpose::Chain)
}

/// [`from_str`] for a purpose.
pub fn from_str_for(
    name: &str,
    text: &str,
    ov: &Overrides,
    purpose: Purpose,
) -> Result<Config, Diagnostics> {
    let mut diags = Diagnostics::default();
    let source = Source::new(name, text);
    let Some(file) = parse_file(&source, &mut diags) else {
        return Err(diags);
    };
    let mut cfg = resolve(
        file,
        ov,
        &source,
        Some(PathBuf::from(name)),
        purpose,
        &mut diags,
    );
    if diags.has_errors() {
        Err(diags)
    } else {
        cfg.warnings.extend(diags.warnings().cloned());
        Ok(cfg)
    }
}

/// Parse the file key by key, so that every wrong key or value is reported, not just the first.
/// Only a TOML syntax error stops the parse.
fn parse_file(src: &Source, diags: &mut Diagnostics) -> Option<FileConfig> {
    let table: toml::Table = match src.text.parse() {
        Ok(t) => t,
        Err(e) => {
            diags.push(src.toml_error(Code::ConfigSyntax, &e));
            return None;
        }
    };
    let mut fc = FileConfig::default();
    for (key, value) in table {
        let at = src.key_at(&key);
        match key.as_str() {
            "region" => fc.region = take(value, &key, at, src, diags),
            "profile" => fc.profile = take(value, &key, at, src, diags),
            "endpoint_url" => fc.endpoint_url = take(value, &key, at, src, diags),
            "preset" => fc.preset = take(value, &key, at, src, diags),
            "presets" => fc.presets = take(value, &key, at, src, diags),
            "emails" => fc.emails = take(value, &key, at, src, diags),
            "tags" => fc.tags = take(value, &key, at, src, diags).unwrap_or_default(),
            "bucket" => fc.bucket = take(value, &key, at, src, diags).unwrap_or_default(),
            "trail" => fc.trail = take(value, &key, at, src, diags).unwrap_or_default(),
            "log_group" => fc.log_group = take(value, &key, at, src, diags).unwrap_or_default(),
            "role" => fc.role = take(value, &key, at, src, diags).unwrap_or_default(),
            "prices" => fc.prices = take(value, &key, at, src, diags).unwrap_or_default(),
            "topics" | "controls" | "severities" | "chat" => {
                let toml::Value::Table(entries) = value else {
                    diags.push(src.error_at(Code::ConfigType, at, format!("`{key}` must be a table of tables")));
                    continue;
                };
                for (name, v) in entries {
                    let path = format!("{key}.{name}");
                    let at = src.key_at(&path).or(at);
                    if key == "topics" {
                        if let Some(t) = take(v, &path, at, src, diags) {
                            fc.topics.insert(name, t);
                        }
                    } else if key == "chat" {
                        if let Some(c) = take(v, &path, at, src, diags) {
                            fc.chat.insert(name, c);
                        }
                    } else if key == "severities" {
                        if let Some(r) = take(v, &path, at, src, diags) {
                            fc.severities.insert(name, r);
                        }
                    } else if let Some(c) = take(v, &path, at, src, diags) {
                        fc.controls.insert(name, c);
                    }
                }
            }
            _ => diags.push(src.error_at(
                Code::ConfigUnknownKey,
                at,
                format!(
                    "unknown key `{key}` (expected one of: region, profile, endpoint_url, preset, presets, emails, tags, bucket, trail, log_group, role, topics, controls, severities, chat, prices)"
                ),
            )),
        }
    }
    Some(fc)
}

fn take<T: serde::de::DeserializeOwned>(
    value: toml::Value,
    path: &str,
    at: Option<usize>,
    src: &Source,
    diags: &mut Diagnostics,
) -> Option<T> {
    match T::deserialize(value) {
        Ok(v) => Some(v),
        Err(e) => {
            let msg = e.message().trim().replace('\n', " ");
            diags.push(src.error_at(Code::ConfigValue, at, format!("`{path}`: {msg}")));
            None
        }
    }
}

#[cfg(test)]
mod tests;
