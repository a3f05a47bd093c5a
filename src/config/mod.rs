//! Configuration: the config file (`trailwarden.toml`) and command-line flags, merged into one
//! validated [`Config`] before any request is made. Every problem is reported at once.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, Diagnostics, Source};
use crate::model::Tags;
use crate::preset::{self, Preset};

mod controls;
mod validate;

use controls::effective_controls;
pub use controls::with_exclusions;
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

/// Regions that have CloudTrail, CloudWatch and SNS.
pub const REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-south-1",
    "eu-south-2",
    "eu-north-1",
    "il-central-1",
    "me-south-1",
    "me-central-1",
    "mx-central-1",
    "sa-east-1",
    "us-gov-east-1",
    "us-gov-west-1",
    "cn-north-1",
    "cn-northwest-1",
];

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
    /// Key of a `[topics.KEY]` table to notify instead of the default topic.
    pub topic: Option<String>,
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
}

#[derive(Debug, Clone)]
pub struct TopicSettings {
    pub key: String,
    pub name: String,
    pub emails: Vec<String>,
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
    pub topic_key: String,
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
    pub tags: Tags,
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
        let mut all: Vec<String> = self.topics.iter().flat_map(|t| t.emails.clone()).collect();
        all.sort();
        all.dedup();
        all
    }
}

/// Load the config file (if any), merge the flags, and validate everything. `Err` carries every
/// problem found.
pub fn load(ov: &Overrides) -> Result<Config, Diagnostics> {
    let mut diags = Diagnostics::default();
    let (path, text) = match &ov.config {
        Some(p) => match std::fs::read_to_string(p) {
            Ok(t) => (Some(p.clone()), t),
            Err(e) => {
                diags.push(Diagnostic::error(
                    "config-unreadable",
                    format!("cannot read config file {}: {e}", p.display()),
                ));
                return Err(diags);
            }
        },
        None => {
            let p = Path::new(DEFAULT_CONFIG_FILE);
            match std::fs::read_to_string(p) {
                Ok(t) => (Some(p.to_path_buf()), t),
                Err(_) => (None, String::new()),
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
    let cfg = resolve(file, ov, &source, path.clone(), &mut diags);
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
    let mut diags = Diagnostics::default();
    let source = Source::new(name, text);
    let Some(file) = parse_file(&source, &mut diags) else {
        return Err(diags);
    };
    let mut cfg = resolve(file, ov, &source, Some(PathBuf::from(name)), &mut diags);
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
            diags.push(src.toml_error("config-syntax", &e));
            return None;
        }
    };
    let mut fc = FileConfig::default();
    for (key, value) in table {
        let at = src.find_key(&key);
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
            "topics" | "controls" => {
                let toml::Value::Table(entries) = value else {
                    diags.push(src.error_at("config-type", at, format!("`{key}` must be a table of tables")));
                    continue;
                };
                for (name, v) in entries {
                    let path = format!("{key}.{name}");
                    let at = src.find(&format!("[{path}]")).or(at);
                    if key == "topics" {
                        if let Some(t) = take(v, &path, at, src, diags) {
                            fc.topics.insert(name, t);
                        }
                    } else if let Some(c) = take(v, &path, at, src, diags) {
                        fc.controls.insert(name, c);
                    }
                }
            }
            _ => diags.push(src.error_at(
                "config-unknown-key",
                at,
                format!(
                    "unknown key `{key}` (expected one of: region, profile, endpoint_url, preset, presets, emails, tags, bucket, trail, log_group, role, topics, controls)"
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
            diags.push(src.error_at("config-value", at, format!("`{path}`: {msg}")));
            None
        }
    }
}

fn resolve(
    file: FileConfig,
    ov: &Overrides,
    src: &Source,
    path: Option<PathBuf>,
    diags: &mut Diagnostics,
) -> Config {
    let region = ov.region.clone().or(file.region.clone());
    if let Some(r) = &region {
        if !REGIONS.contains(&r.as_str()) {
            let at = if ov.region.is_some() {
                None
            } else {
                src.find_key("region")
            };
            diags.push(at_or_flag(
                src,
                ov.region.is_some(),
                "region-unknown",
                at,
                format!("unknown region `{r}` (expected e.g. us-east-1, eu-west-1)"),
            ));
        }
    }
    let endpoint_url = ov.endpoint_url.clone().or(file.endpoint_url.clone());
    if let Some(u) = &endpoint_url {
        if !(u.starts_with("http://") || u.starts_with("https://")) {
            diags.push(at_or_flag(
                src,
                ov.endpoint_url.is_some(),
                "endpoint-url",
                src.find_key("endpoint_url"),
                format!("endpoint URL `{u}` must start with http:// or https://"),
            ));
        }
    }

    // Presets: flags replace the file's list.
    let preset_specs: Vec<String> = if !ov.presets.is_empty() {
        ov.presets.clone()
    } else {
        match (&file.presets, &file.preset) {
            (Some(_), Some(_)) => {
                diags.push(src.error_at(
                    "config-preset-twice",
                    src.find_key("preset"),
                    "use either `preset` or `presets`, not both",
                ));
                file.presets.clone().unwrap_or_default()
            }
            (Some(list), None) => list.clone(),
            (None, Some(one)) => vec![one.clone()],
            (None, None) => vec![DEFAULT_PRESET.to_string()],
        }
    };
    let base_dir = path
        .as_ref()
        .and_then(|p| p.parent().map(Path::to_path_buf));
    let mut presets = Vec::new();
    for spec in &preset_specs {
        // Preset paths in a config file are relative to the file.
        let spec_path = match &base_dir {
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

    // Topics and emails.
    let default_emails: Vec<String> = if !ov.emails.is_empty() {
        ov.emails.clone()
    } else {
        file.emails.clone().unwrap_or_default()
    };
    let mut topics: Vec<TopicSettings> = Vec::new();
    let mut topic_cfgs = file.topics.clone();
    topic_cfgs.entry(DEFAULT_TOPIC_KEY.to_string()).or_default();
    for (key, t) in &topic_cfgs {
        let explicit = t.name.is_some();
        let name = t.name.clone().unwrap_or_else(|| {
            if key == DEFAULT_TOPIC_KEY {
                DEFAULT_TOPIC.to_string()
            } else {
                format!("{DEFAULT_TOPIC}-{key}")
            }
        });
        let emails = match (&t.emails, key.as_str()) {
            (Some(e), _) => e.clone(),
            (None, DEFAULT_TOPIC_KEY) => default_emails.clone(),
            (None, _) => default_emails.clone(),
        };
        if !valid_topic_name(&name) {
            diags.push(src.error_at(
                "topic-name",
                src.find(&format!("\"{name}\"")),
                format!("SNS topic name `{name}` must be 1–256 letters, digits, `-` or `_`"),
            ));
        }
        for e in &emails {
            if !valid_email(e) {
                let from_flag = !ov.emails.is_empty() && t.emails.is_none();
                diags.push(at_or_flag(
                    src,
                    from_flag,
                    "email-invalid",
                    src.find(&format!("\"{e}\"")),
                    format!("`{e}` is not a valid email address"),
                ));
            }
        }
        topics.push(TopicSettings {
            key: key.clone(),
            name,
            emails,
            kms_key_id: t.kms_key_id.clone(),
            explicit,
        });
    }
    if topics.iter().all(|t| t.emails.is_empty()) {
        diags.push(Diagnostic::error(
            "email-missing",
            "no notification email: give --email ADDRESS (repeatable) or `emails = [...]` in the config file; alarms without a subscriber notify nobody",
        ));
    }

    // Names.
    let bucket = BucketConfig {
        name: ov.bucket.clone().or(file.bucket.name.clone()),
        ..file.bucket.clone()
    };
    if let Some(b) = &bucket.name {
        if let Err(why) = check_bucket_name(b) {
            diags.push(at_or_flag(
                src,
                ov.bucket.is_some(),
                "bucket-name",
                src.find(&format!("\"{b}\"")),
                format!("invalid bucket name `{b}`: {why}"),
            ));
        }
    }
    if let Some(p) = &bucket.prefix {
        if p.starts_with('/') || p.ends_with('/') || p.contains("AWSLogs") || p.len() > 200 {
            diags.push(src.error_at(
                "bucket-prefix",
                src.find_key("prefix"),
                format!("bucket prefix `{p}` must not start or end with `/` nor contain AWSLogs"),
            ));
        }
    }
    let mut trail = file.trail.clone();
    if let Some(a) = &ov.adopt_trail {
        trail.name = Some(a.clone());
        trail.adopt = true;
    } else if let Some(t) = &ov.trail {
        trail.name = Some(t.clone());
    }
    if trail.adopt && trail.name.is_none() {
        diags.push(src.error_at(
            "trail-adopt-name",
            src.find_key("adopt"),
            "`adopt = true` needs the name of the existing trail: `[trail] name = \"...\"`",
        ));
    }
    if let Some(t) = &trail.name {
        if !valid_trail_name(t) {
            diags.push(at_or_flag(
                src,
                ov.trail.is_some() || ov.adopt_trail.is_some(),
                "trail-name",
                src.find(&format!("\"{t}\"")),
                format!("invalid trail name `{t}`: 3–128 letters, digits, `.`, `_` or `-`, starting and ending with a letter or digit"),
            ));
        }
    }
    if let Some(t) = &trail.delivery_topic {
        if !valid_topic_name(t) {
            diags.push(src.error_at(
                "topic-name",
                src.find_key("delivery_topic"),
                format!("SNS topic name `{t}` must be 1–256 letters, digits, `-` or `_`"),
            ));
        }
    }
    let log_group_name = ov.log_group.clone().or(file.log_group.name.clone());
    if let Some(g) = &log_group_name {
        if !valid_log_group_name(g) {
            diags.push(at_or_flag(
                src,
                ov.log_group.is_some(),
                "log-group-name",
                src.find(&format!("\"{g}\"")),
                format!("invalid log group name `{g}`: 1–512 of letters, digits, `_ - / . #`"),
            ));
        }
    }
    let retention_days = ov
        .retention_days
        .or(file.log_group.retention_days)
        .unwrap_or(DEFAULT_RETENTION_DAYS);
    if !RETENTION_DAYS.contains(&retention_days) {
        diags.push(at_or_flag(
            src,
            ov.retention_days.is_some(),
            "retention-days",
            src.find_key("retention_days"),
            format!(
                "retention of {retention_days} days is not one CloudWatch Logs accepts ({})",
                RETENTION_DAYS
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    if let Some(r) = &file.role.name {
        if r.is_empty()
            || r.len() > 64
            || !r
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
        {
            diags.push(src.error_at(
                "role-name",
                src.find(&format!("\"{r}\"")),
                format!("invalid IAM role name `{r}`"),
            ));
        }
    }
    for (k, v) in &file.tags {
        if let Err(why) = validate::check_tag(k, v) {
            diags.push(src.error_at(
                "tag-invalid",
                src.find(k),
                format!("invalid tag `{k}` = `{v}`: {why}"),
            ));
        }
    }
    if file.tags.len() > validate::MAX_USER_TAGS {
        diags.push(src.error_at(
            "tag-invalid",
            src.find_key("tags"),
            format!(
                "{} tags given; at most {} (AWS allows 50 per resource, and trailwarden adds `{}`)",
                file.tags.len(),
                validate::MAX_USER_TAGS,
                crate::model::MANAGED_TAG_KEY
            ),
        ));
    }

    // Controls: presets combined, identical filters provisioned once, overrides applied.
    let controls = effective_controls(&presets, &file.controls, &topics, src, diags);

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
        tags: file.tags.clone(),
        warnings: Vec::new(),
    }
}

fn at_or_flag(
    src: &Source,
    from_flag: bool,
    code: &'static str,
    at: Option<usize>,
    msg: String,
) -> Diagnostic {
    if from_flag {
        let mut d = Diagnostic::error(code, msg);
        d.location = Some("command line".into());
        d
    } else {
        src.error_at(code, at, msg)
    }
}

#[cfg(test)]
mod tests;
