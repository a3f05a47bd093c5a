//! Configuration: the config file (`trailwarden.toml`) and command-line flags, merged into one
//! validated [`Config`] before any request is made. Every problem is reported at once.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, Diagnostics, Source};
use crate::model::Tags;
use crate::pattern::Pattern;
use crate::preset::{self, AlarmSettings, Preset};

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
        if k.is_empty() || k.len() > 128 || v.len() > 256 || k.starts_with("aws:") {
            diags.push(src.error_at(
                "tag-invalid",
                src.find(k),
                format!("invalid tag `{k}` (keys 1–128 characters, not starting with aws:; values up to 256)"),
            ));
        }
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

fn effective_controls(
    presets: &[Preset],
    overrides: &BTreeMap<String, ControlOverride>,
    topics: &[TopicSettings],
    src: &Source,
    diags: &mut Diagnostics,
) -> Vec<EffectiveControl> {
    let mut out: Vec<EffectiveControl> = Vec::new();
    let mut used_overrides = std::collections::BTreeSet::new();
    for p in presets {
        for rc in &p.controls {
            let c = &rc.control;
            // An override is keyed by control id or filter name.
            let key = if overrides.contains_key(&c.id) {
                Some(c.id.clone())
            } else if overrides.contains_key(&c.filter_name) {
                Some(c.filter_name.clone())
            } else {
                None
            };
            let ov = key.as_ref().map(|k| {
                used_overrides.insert(k.clone());
                overrides[k].clone()
            });
            let ov = ov.unwrap_or_default();
            if ov.disabled {
                continue;
            }
            let at = key
                .as_ref()
                .and_then(|k| src.find(&format!("[controls.{k}]")).or(src.find(k)));
            let mut pattern = c.pattern.clone();
            let mut alarm_settings = c.alarm.clone();
            let mut modified = false;
            if let Some(alt_id) = &ov.alternative {
                match c.alternatives.iter().find(|a| &a.id == alt_id) {
                    Some(alt) => {
                        if let Some(p) = &alt.pattern {
                            pattern = p.clone();
                            modified = true;
                        }
                        alarm_settings = alarm_settings.merged(&AlarmSettings {
                            threshold: alt.threshold,
                            period: alt.period,
                            ..Default::default()
                        });
                    }
                    None => diags.push(src.error_at(
                        "alternative-unknown",
                        at,
                        format!(
                            "control `{}` has no alternative `{alt_id}` (it offers: {})",
                            c.id,
                            if c.alternatives.is_empty() {
                                "none".to_string()
                            } else {
                                c.alternatives
                                    .iter()
                                    .map(|a| a.id.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            }
                        ),
                    )),
                }
            }
            if !ov.exclusions.is_empty() {
                match with_exclusions(&pattern, &ov.exclusions) {
                    Ok(p) => {
                        pattern = p;
                        modified = true;
                        diags.push(src.warning_at(
                            "exclusions-break-exact-match",
                            at,
                            format!(
                                "control `{}`: exclusions change the pattern text; auditors that compare exact strings (Security Hub) will no longer accept it",
                                c.id
                            ),
                        ));
                    }
                    Err(e) => diags.push(src.error_at(
                        "exclusion-invalid",
                        at,
                        format!("control `{}`: {e}", c.id),
                    )),
                }
            }
            alarm_settings = alarm_settings.merged(&AlarmSettings {
                threshold: ov.threshold,
                period: ov.period,
                evaluation_periods: ov.evaluation_periods,
                datapoints_to_alarm: ov.datapoints_to_alarm,
                statistic: None,
                comparison: None,
                treat_missing_data: ov.treat_missing_data.clone(),
            });
            let alarm = alarm_settings.resolve();
            preset::validate_alarm(&alarm, &format!("control `{}`", c.id), src, at, diags);
            let topic_key = ov
                .topic
                .clone()
                .unwrap_or_else(|| DEFAULT_TOPIC_KEY.to_string());
            if !topics.iter().any(|t| t.key == topic_key) {
                diags.push(src.error_at(
                    "topic-unknown",
                    at,
                    format!("control `{}` names topic `{topic_key}`, but there is no [topics.{topic_key}] table", c.id),
                ));
            }
            if let Ok(p) = Pattern::parse(&pattern) {
                for lint in p.lints() {
                    diags.push(Diagnostic::warning(
                        "pattern-lint",
                        format!(
                            "control `{}` ({}): {}: {}",
                            c.id, c.filter_name, lint.code, lint.message
                        ),
                    ));
                }
            }
            let eff = EffectiveControl {
                preset: p.name.clone(),
                id: c.id.clone(),
                title: c.title.clone(),
                filter_name: c.filter_name.clone(),
                metric_name: c.metric_name.clone(),
                namespace: rc.namespace.clone(),
                pattern,
                alarm_name: rc.alarm_name.clone(),
                alarm,
                topic_key,
                pattern_modified: modified,
                auditors: c.auditors.clone(),
            };
            match out.iter().find(|e| e.filter_name == eff.filter_name) {
                Some(prev) => {
                    // Combined presets: the same filter asked for twice is provisioned once; the
                    // same name with a different definition cannot be.
                    if prev.pattern != eff.pattern
                        || prev.metric_name != eff.metric_name
                        || prev.namespace != eff.namespace
                        || prev.alarm != eff.alarm
                        || prev.topic_key != eff.topic_key
                    {
                        diags.push(Diagnostic::error(
                            "filter-conflict",
                            format!(
                                "presets `{}` and `{}` both define filter `{}` but differently; disable one of them with [controls.{}] disabled = true",
                                prev.preset, eff.preset, eff.filter_name, eff.id
                            ),
                        ));
                    }
                }
                None => {
                    if let Some(prev) = out.iter().find(|e| e.alarm_name == eff.alarm_name) {
                        diags.push(Diagnostic::error(
                            "alarm-conflict",
                            format!(
                                "controls `{}` and `{}` both use alarm name `{}`",
                                prev.id, eff.id, eff.alarm_name
                            ),
                        ));
                    }
                    out.push(eff)
                }
            }
        }
    }
    for k in overrides.keys() {
        if !used_overrides.contains(k) {
            diags.push(src.error_at(
                "control-unknown",
                src.find(&format!("[controls.{k}]")).or(src.find(k)),
                format!(
                    "[controls.{k}] matches no control id or filter name of the chosen presets"
                ),
            ));
        }
    }
    if out.len() > 100 {
        diags.push(Diagnostic::error(
            "too-many-filters",
            format!(
                "{} metric filters requested; CloudWatch Logs allows 100 per log group",
                out.len()
            ),
        ));
    }
    out
}

/// AND extra conditions into a JSON pattern: `{ (ORIGINAL) && (EXTRA) ... }`.
pub fn with_exclusions(pattern: &str, extra: &[String]) -> Result<String, String> {
    let t = pattern.trim();
    if !(t.starts_with('{') && t.ends_with('}')) {
        return Err("exclusions can only be added to JSON patterns `{ ... }`".into());
    }
    let inner = t[1..t.len() - 1].trim();
    let mut out = format!("{{ ({inner})");
    for e in extra {
        let e = e.trim();
        if let Err(err) = Pattern::parse(&format!("{{ {e} }}")) {
            return Err(format!(
                "exclusion `{e}` is not a valid JSON-pattern condition: {err}"
            ));
        }
        out.push_str(&format!(" && ({e})"));
    }
    out.push_str(" }");
    Pattern::parse(&out).map_err(|e| format!("pattern with exclusions does not parse: {e}"))?;
    if out.len() > 1024 {
        return Err("pattern with exclusions is longer than 1024 characters".into());
    }
    Ok(out)
}

pub fn valid_email(e: &str) -> bool {
    let Some((local, domain)) = e.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && !local.contains(char::is_whitespace)
        && !local.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

/// S3 bucket naming rules (general purpose buckets).
pub fn check_bucket_name(b: &str) -> Result<(), &'static str> {
    if b.len() < 3 || b.len() > 63 {
        return Err("must be 3–63 characters long");
    }
    if !b
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
    {
        return Err("only lower-case letters, digits, `.` and `-` are allowed");
    }
    let first = b.as_bytes()[0];
    let last = b.as_bytes()[b.len() - 1];
    if !first.is_ascii_alphanumeric() || !last.is_ascii_alphanumeric() {
        return Err("must begin and end with a letter or digit");
    }
    if b.contains("..") {
        return Err("must not contain two adjacent periods");
    }
    if b.split('.').count() == 4 && b.split('.').all(|p| p.parse::<u8>().is_ok()) {
        return Err("must not be formatted as an IP address");
    }
    if b.starts_with("xn--")
        || b.starts_with("sthree-")
        || b.ends_with("-s3alias")
        || b.ends_with("--ol-s3")
    {
        return Err("uses a prefix or suffix reserved by S3");
    }
    Ok(())
}

pub fn valid_trail_name(t: &str) -> bool {
    (3..=128).contains(&t.len())
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        && t.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && t.chars().last().is_some_and(|c| c.is_ascii_alphanumeric())
        && !t.contains("..")
        && !t.contains("._")
        && !t.contains("_.")
        && !t.contains("-.")
        && !t.contains(".-")
}

pub fn valid_log_group_name(g: &str) -> bool {
    (1..=512).contains(&g.len())
        && g.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-/.#".contains(c))
        && !g.starts_with("aws/")
}

pub fn valid_topic_name(t: &str) -> bool {
    (1..=256).contains(&t.len())
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<String> {
        match from_str("cfg.toml", text, &Overrides::default()) {
            Ok(_) => vec![],
            Err(d) => d.errors().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn a_minimal_config_is_valid_with_defaults() {
        let c = from_str(
            "c.toml",
            "emails = [\"sec@example.com\"]\n",
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(c.presets[0].name, "aws-docs");
        assert_eq!(c.retention_days, 365);
        assert_eq!(c.controls.len(), 3);
        assert_eq!(c.emails(), vec!["sec@example.com".to_string()]);
    }

    #[test]
    fn every_problem_is_reported_at_once_with_its_line() {
        let text = "region = \"mars-1\"\nemails = [\"not-an-email\"]\nretention = 3\n[bucket]\nname = \"Bad_Bucket\"\n[log_group]\nretention_days = 42\n[controls.root-account-usage]\nthreshold = \"lots\"\n[controls.nope]\ndisabled = true\n";
        let e = errors(text);
        let has = |needle: &str| e.iter().any(|x| x.contains(needle));
        assert!(has("cfg.toml:1:1: unknown region `mars-1`"), "{e:#?}");
        assert!(
            has("cfg.toml:2:") && has("`not-an-email` is not a valid email address"),
            "{e:#?}"
        );
        assert!(has("cfg.toml:3:1: unknown key `retention`"), "{e:#?}");
        assert!(
            has("cfg.toml:5:") && has("invalid bucket name `Bad_Bucket`"),
            "{e:#?}"
        );
        assert!(has("retention of 42 days"), "{e:#?}");
        assert!(has("cfg.toml:8:1: `controls.root-account-usage`"), "{e:#?}");
        assert!(has("[controls.nope] matches no control"), "{e:#?}");
        assert!(e.len() >= 7, "{e:#?}");
    }

    #[test]
    fn syntax_errors_point_at_the_line() {
        let e = errors("emails = [\"a@example.com\"\nregion = 1\n");
        assert_eq!(e.len(), 1);
        assert!(e[0].contains("cfg.toml:"), "{e:?}");
    }

    #[test]
    fn flags_override_the_file_and_are_validated_too() {
        let ov = Overrides {
            emails: vec!["x@".into()],
            region: Some("eu-west-1".into()),
            ..Default::default()
        };
        let d = from_str(
            "c.toml",
            "region = \"us-east-1\"\nemails = [\"a@example.com\"]\n",
            &ov,
        )
        .unwrap_err();
        let msgs: Vec<String> = d.errors().map(|e| e.to_string()).collect();
        assert!(
            msgs.iter()
                .any(|m| m.contains("command line: `x@` is not a valid email")),
            "{msgs:?}"
        );
        let ok = Overrides {
            region: Some("eu-west-1".into()),
            ..Default::default()
        };
        let c = from_str(
            "c.toml",
            "region = \"us-east-1\"\nemails = [\"a@example.com\"]\n",
            &ok,
        )
        .unwrap();
        assert_eq!(c.region.as_deref(), Some("eu-west-1"));
    }

    #[test]
    fn missing_email_is_an_error() {
        assert!(errors("")
            .iter()
            .any(|e| e.contains("no notification email")));
    }

    #[test]
    fn overrides_tune_alarms_topics_and_patterns() {
        let text = r#"
emails = ["a@example.com"]
[topics.critical]
emails = ["oncall@example.com"]
[controls.root-account-usage]
topic = "critical"
threshold = 3
period = 600
evaluation_periods = 2
datapoints_to_alarm = 1
[controls.ApiActivityWithoutMFA]
disabled = true
[controls.console-signin-without-mfa]
exclusions = ['$.userIdentity.type = "IAMUser"']
"#;
        let c = from_str("c.toml", text, &Overrides::default()).unwrap();
        assert_eq!(c.controls.len(), 2);
        let root = &c.controls[0];
        assert_eq!(
            (
                root.alarm.threshold,
                root.alarm.period,
                root.alarm.evaluation_periods,
                root.alarm.datapoints_to_alarm
            ),
            (3.0, 600, 2, 1)
        );
        assert_eq!(root.topic_key, "critical");
        let console = &c.controls[1];
        assert_eq!(
            console.pattern,
            r#"{ ($.eventName = "ConsoleLogin" && $.additionalEventData.MFAUsed = "No") && ($.userIdentity.type = "IAMUser") }"#
        );
        assert!(console.pattern_modified);
        assert!(c
            .warnings
            .iter()
            .any(|w| w.code == "exclusions-break-exact-match"));
    }

    #[test]
    fn invalid_overrides_are_errors() {
        let e = errors("emails = [\"a@example.com\"]\n[controls.root-account-usage]\nperiod = 45\ntopic = \"pager\"\nexclusions = ['$.a = (']\n");
        assert!(
            e.iter().any(|x| x.contains("period 45 s is not valid")),
            "{e:#?}"
        );
        assert!(
            e.iter().any(|x| x.contains("no [topics.pager] table")),
            "{e:#?}"
        );
        assert!(e.iter().any(|x| x.contains("exclusion")), "{e:#?}");
    }

    #[test]
    fn unknown_preset_is_an_error() {
        let e = errors("emails = [\"a@example.com\"]\npreset = \"nist\"\n");
        assert!(
            e.iter().any(|x| x.contains("unknown preset `nist`")),
            "{e:#?}"
        );
    }

    #[test]
    fn bucket_names_follow_s3_rules() {
        for ok in ["abc", "my.logs-1", "a".repeat(63).as_str()] {
            assert!(check_bucket_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "Abc",
            "a_b",
            "-ab",
            "ab-",
            "a..b",
            "192.168.1.1",
            "xn--abc",
            "a".repeat(64).as_str(),
        ] {
            assert!(check_bucket_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_are_checked() {
        for ok in ["a@example.com", "first.last+tag@sub.example.org"] {
            assert!(valid_email(ok), "{ok}");
        }
        for bad in [
            "",
            "a",
            "a@",
            "@example.com",
            "a@example",
            "a b@example.com",
            "a@exa_mple.com",
            "a@.example.com",
        ] {
            assert!(!valid_email(bad), "{bad}");
        }
    }
}
