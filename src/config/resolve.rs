//! From the parsed file and the flags to one [`Config`]: each setting resolved and checked by a
//! small function of its own, every problem reported with the place it was written (the TOML
//! parser's spans, see [`Source::at`]) or `command line` for a flag.

use std::path::{Path, PathBuf};

use super::alerts::{chats, severity_routes};
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
    /// `export`: the whole chain, but email addresses may be left to the template's parameters.
    Export,
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
    let prices = prices(&file, src, diags);
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
        prices,
        warnings: Vec::new(),
    }
}

/// The price table with the file's `[prices]` overrides: known entries, finite, not negative.
fn prices(file: &FileConfig, src: &Source, diags: &mut Diagnostics) -> crate::cost::Prices {
    let mut prices = crate::cost::Prices::builtin();
    for (key, value) in &file.prices {
        let at = src.at(&format!("prices.{key}"));
        if !value.is_finite() || *value < 0.0 {
            diags.push(src.error_at(
                Code::PriceInvalid,
                at,
                format!("prices.{key} = {value}: a price or assumption is a number, 0 or more"),
            ));
        } else if !prices.set(key, *value) {
            diags.push(src.error_at(
                Code::PriceInvalid,
                at,
                format!(
                    "unknown price `{key}`; one of: {}",
                    crate::cost::Prices::KEYS.join(", ")
                ),
            ));
        }
    }
    prices
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
    trail.organization |= ov.organization;
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
