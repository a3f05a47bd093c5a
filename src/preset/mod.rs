//! Presets: named sets of controls (metric filter + alarm), built in or from a file.
//!
//! Built-in presets are TOML files under `presets/`, embedded in the binary. A user preset file
//! may `extends` a built-in (or another file) and replace, add or remove controls.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

use crate::diag::{Code, Diagnostic, Diagnostics, Source};
use crate::pattern::{Event, Pattern};

/// The built-in presets, name and TOML text.
pub const BUILTIN: &[(&str, &str)] = &[
    ("aws-docs", include_str!("../../presets/aws-docs.toml")),
    ("cis", include_str!("../../presets/cis.toml")),
    ("cis-sso", include_str!("../../presets/cis-sso.toml")),
    (
        "securityhub",
        include_str!("../../presets/securityhub.toml"),
    ),
];

pub const DEFAULT_NAMESPACE: &str = "CloudTrailMetrics";

/// A preset file as written.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PresetFile {
    pub name: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    /// A built-in preset name or a path (relative to this file) whose controls this one starts from.
    #[serde(default)]
    pub extends: Option<String>,
    /// Control ids of the base preset to leave out.
    #[serde(default)]
    pub remove: Vec<String>,
    #[serde(default)]
    pub controls: Vec<Control>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Control {
    pub id: String,
    #[serde(default)]
    pub title: String,
    pub filter_name: String,
    pub metric_name: String,
    pub pattern: String,
    #[serde(default)]
    pub rationale: String,
    /// How urgent the alarm is (`critical`, `high`, `medium`, `low`); `medium` when not given.
    /// The configuration may override it and routes each severity to topics.
    #[serde(default)]
    pub severity: Option<crate::model::AlarmSeverity>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub alarm_name: Option<String>,
    #[serde(default)]
    pub auditors: Vec<String>,
    #[serde(default)]
    pub references: References,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub alarm: AlarmSettings,
    #[serde(default)]
    pub examples: Vec<Example>,
    #[serde(default)]
    pub alternatives: Vec<Alternative>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct References {
    #[serde(default)]
    pub cis: Vec<String>,
    #[serde(default)]
    pub securityhub: Vec<String>,
}

/// Alarm settings; every field is optional and falls back to [`AlarmSettings::DEFAULT`].
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AlarmSettings {
    pub threshold: Option<f64>,
    pub period: Option<i32>,
    pub evaluation_periods: Option<i32>,
    pub datapoints_to_alarm: Option<i32>,
    pub statistic: Option<String>,
    pub comparison: Option<String>,
    pub treat_missing_data: Option<String>,
}

/// Fully resolved alarm settings.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Alarm {
    pub threshold: f64,
    pub period: i32,
    pub evaluation_periods: i32,
    pub datapoints_to_alarm: i32,
    pub statistic: String,
    pub comparison: String,
    pub treat_missing_data: String,
}

impl AlarmSettings {
    /// Layer `over` on top of `self`.
    pub fn merged(&self, over: &AlarmSettings) -> AlarmSettings {
        AlarmSettings {
            threshold: over.threshold.or(self.threshold),
            period: over.period.or(self.period),
            evaluation_periods: over.evaluation_periods.or(self.evaluation_periods),
            datapoints_to_alarm: over.datapoints_to_alarm.or(self.datapoints_to_alarm),
            statistic: over.statistic.clone().or_else(|| self.statistic.clone()),
            comparison: over.comparison.clone().or_else(|| self.comparison.clone()),
            treat_missing_data: over
                .treat_missing_data
                .clone()
                .or_else(|| self.treat_missing_data.clone()),
        }
    }

    /// Defaults of the AWS guide and the CIS benchmark: Sum over 300 s, one period, `>= 1`,
    /// missing data not breaching (a quiet account is OK, not INSUFFICIENT_DATA).
    pub fn resolve(&self) -> Alarm {
        let evaluation_periods = self.evaluation_periods.unwrap_or(1);
        Alarm {
            threshold: self.threshold.unwrap_or(1.0),
            period: self.period.unwrap_or(300),
            evaluation_periods,
            datapoints_to_alarm: self.datapoints_to_alarm.unwrap_or(evaluation_periods),
            statistic: self.statistic.clone().unwrap_or_else(|| "Sum".into()),
            comparison: self
                .comparison
                .clone()
                .unwrap_or_else(|| "GreaterThanOrEqualToThreshold".into()),
            treat_missing_data: self
                .treat_missing_data
                .clone()
                .unwrap_or_else(|| "notBreaching".into()),
        }
    }
}

pub const STATISTICS: &[&str] = &["SampleCount", "Average", "Sum", "Minimum", "Maximum"];
pub const COMPARISONS: &[&str] = &[
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
];
pub const TREAT_MISSING: &[&str] = &["breaching", "notBreaching", "ignore", "missing"];
pub const AUDITORS: &[&str] = &["prowler", "steampipe", "securityhub"];

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Example {
    pub name: String,
    pub matches: bool,
    pub event: String,
}

/// A documented, offered variant of a noisy control, with its trade-off.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Alternative {
    pub id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub pattern: Option<String>,
    #[serde(default)]
    pub threshold: Option<f64>,
    #[serde(default)]
    pub period: Option<i32>,
    pub tradeoff: String,
}

/// A loaded, resolved (extends applied) and validated preset.
#[derive(Debug, Clone, Serialize)]
pub struct Preset {
    pub name: String,
    pub title: String,
    pub description: String,
    pub notes: Option<String>,
    /// `builtin` or the file path.
    pub origin: String,
    pub controls: Vec<ResolvedControl>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResolvedControl {
    #[serde(flatten)]
    pub control: Control,
    pub namespace: String,
    pub alarm_name: String,
    pub resolved_alarm: Alarm,
}

pub fn builtin_names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(n, _)| *n).collect()
}

pub fn builtin_text(name: &str) -> Option<&'static str> {
    BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// Load a preset by built-in name or file path. Every problem is added to `diags`; `None` when
/// the preset could not be read at all.
pub fn load(spec: &str, diags: &mut Diagnostics) -> Option<Preset> {
    load_depth(spec, None, diags, 0)
}

fn load_depth(
    spec: &str,
    base_dir: Option<&Path>,
    diags: &mut Diagnostics,
    depth: usize,
) -> Option<Preset> {
    if depth > 8 {
        diags.push(Diagnostic::error(
            Code::PresetExtendsCycle,
            format!("preset `{spec}`: `extends` chain deeper than 8 (a cycle?)"),
        ));
        return None;
    }
    let looks_like_path = spec.ends_with(".toml") || spec.contains('/') || spec.contains('\\');
    let (text, origin, source_name): (String, String, String) = match builtin_text(spec) {
        Some(t) if !looks_like_path => (t.to_string(), "builtin".into(), format!("preset {spec}")),
        _ => {
            let path = match base_dir {
                Some(dir) if Path::new(spec).is_relative() => dir.join(spec),
                _ => Path::new(spec).to_path_buf(),
            };
            if !looks_like_path && !path.exists() {
                diags.push(Diagnostic::error(
                    Code::UnknownPreset,
                    format!(
                        "unknown preset `{spec}`: built-in presets are {}; a preset file path must end in .toml",
                        builtin_names().join(", ")
                    ),
                ));
                return None;
            }
            match crate::diag::read_input_file(&path) {
                Ok(t) => (t, path.display().to_string(), path.display().to_string()),
                Err(e) => {
                    diags.push(Diagnostic::error(
                        Code::PresetUnreadable,
                        format!("cannot read preset file {}: {e}", path.display()),
                    ));
                    return None;
                }
            }
        }
    };
    let source = Source::new(&source_name, &text);
    let file: PresetFile = match toml::from_str(&text) {
        Ok(f) => f,
        Err(e) => {
            diags.push(source.toml_error(Code::PresetInvalid, &e));
            return None;
        }
    };
    let base = match &file.extends {
        Some(parent) => {
            let dir = Path::new(&origin).parent().map(Path::to_path_buf);
            let dir = if origin == "builtin" { None } else { dir };
            Some(load_depth(parent, dir.as_deref(), diags, depth + 1)?)
        }
        None => None,
    };
    let default_ns = file
        .namespace
        .clone()
        .unwrap_or_else(|| DEFAULT_NAMESPACE.to_string());
    let mut controls: Vec<ResolvedControl> = Vec::new();
    if let Some(base) = base {
        for id in &file.remove {
            // Removing an id the base does not have is almost certainly a typo.
            if !base.controls.iter().any(|c| &c.control.id == id) {
                let span = (0..)
                    .map(|i| format!("remove[{i}]"))
                    .map_while(|p| source.at(&p))
                    .find(|at| {
                        source.text[*at..]
                            .trim_start_matches(['"', '\''])
                            .starts_with(id.as_str())
                    });
                diags.push(source.error_at(
                    Code::PresetRemoveUnknown,
                    span,
                    format!("`remove` names control `{id}`, which the base preset does not have"),
                ));
            }
        }
        controls.extend(
            base.controls
                .into_iter()
                .filter(|c| !file.remove.contains(&c.control.id)),
        );
    } else if !file.remove.is_empty() {
        diags.push(Diagnostic::error(
            Code::PresetRemoveWithoutExtends,
            format!(
                "preset `{}`: `remove` only makes sense with `extends`",
                file.name
            ),
        ));
    }
    for c in &file.controls {
        let resolved = ResolvedControl {
            namespace: c.namespace.clone().unwrap_or_else(|| default_ns.clone()),
            alarm_name: c
                .alarm_name
                .clone()
                .unwrap_or_else(|| format!("{}Alarm", c.filter_name)),
            resolved_alarm: c.alarm.resolve(),
            control: c.clone(),
        };
        match controls.iter_mut().find(|x| x.control.id == c.id) {
            Some(slot) => *slot = resolved,
            None => controls.push(resolved),
        }
    }
    let preset = Preset {
        name: file.name.clone(),
        title: file.title.clone(),
        description: file.description.trim().to_string(),
        notes: file.notes.clone(),
        origin,
        controls,
    };
    validate(&preset, &source, diags);
    Some(preset)
}

/// The path (`controls[3]`) of the `[[controls]]` entry of this file whose id is `id`; `None`
/// for a control inherited from the base preset.
fn control_path(source: &Source, id: &str) -> Option<String> {
    (0..)
        .map(|i| format!("controls[{i}]"))
        .take_while(|p| source.at(p).is_some())
        .find(|p| {
            source.at(&format!("{p}.id")).is_some_and(|at| {
                let rest = &source.text[at..];
                rest.starts_with(&format!("\"{id}\"")) || rest.starts_with(&format!("'{id}'"))
            })
        })
}

/// Checks that need the whole resolved preset: ids, names, patterns, alarm settings, examples.
fn validate(preset: &Preset, source: &Source, diags: &mut Diagnostics) {
    let mut ids = BTreeMap::new();
    let mut filters = BTreeMap::new();
    for c in &preset.controls {
        let ctl = &c.control;
        let path = control_path(source, &ctl.id);
        let field_at = |field: &str| {
            path.as_ref()
                .and_then(|p| source.at(&format!("{p}.{field}")))
        };
        let at = field_at("id");
        if ctl.id.is_empty()
            || !ctl
                .id
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
        {
            diags.push(source.error_at(
                Code::ControlId,
                at,
                format!("control id `{}` must be lower-case kebab-case", ctl.id),
            ));
        }
        if ids.insert(ctl.id.clone(), ()).is_some() {
            diags.push(source.error_at(
                Code::ControlDuplicate,
                at,
                format!("control id `{}` appears twice", ctl.id),
            ));
        }
        if let Some(prev) = filters.insert(ctl.filter_name.clone(), ctl.id.clone()) {
            diags.push(source.error_at(
                Code::FilterDuplicate,
                at,
                format!(
                    "controls `{prev}` and `{}` both use filter name `{}`",
                    ctl.id, ctl.filter_name
                ),
            ));
        }
        // PutMetricFilter: filterName `[^:*]*`; metricName and metricNamespace `[^:*$]*`
        // (CloudWatch Logs API Reference, MetricTransformation).
        check_name(source, at, "filter_name", &ctl.filter_name, 512, "", diags);
        check_name(source, at, "metric_name", &ctl.metric_name, 255, "$", diags);
        check_name(source, at, "namespace", &c.namespace, 255, "$", diags);
        check_name(source, at, "alarm_name", &c.alarm_name, 255, "", diags);
        if c.namespace.starts_with("AWS/") {
            diags.push(source.error_at(
                Code::NamespaceReserved,
                at,
                format!(
                    "control `{}`: namespaces starting with AWS/ are reserved",
                    ctl.id
                ),
            ));
        }
        for a in &ctl.auditors {
            if !AUDITORS.contains(&a.as_str()) {
                diags.push(source.error_at(
                    Code::AuditorUnknown,
                    at,
                    format!(
                        "control `{}`: unknown auditor `{a}` (known: {})",
                        ctl.id,
                        AUDITORS.join(", ")
                    ),
                ));
            }
        }
        let pattern_at = field_at("pattern").or(at);
        match Pattern::parse(&ctl.pattern) {
            Err(e) => diags.push(source.error_at(
                Code::PatternInvalid,
                pattern_at,
                format!("control `{}`: invalid filter pattern: {e}", ctl.id),
            )),
            Ok(p) => {
                for (i, ex) in ctl.examples.iter().enumerate() {
                    let event = Event::from_text(ex.event.trim());
                    let got = p.matches(&event);
                    if got != ex.matches {
                        diags.push(source.error_at(
                            Code::ExampleMismatch,
                            field_at(&format!("examples[{i}].name")).or(at),
                            format!(
                                "control `{}`: example `{}` should {}match but {}",
                                ctl.id,
                                ex.name,
                                if ex.matches { "" } else { "not " },
                                if got { "matches" } else { "does not match" }
                            ),
                        ));
                    }
                }
            }
        }
        for (i, alt) in ctl.alternatives.iter().enumerate() {
            if let Some(pat) = &alt.pattern {
                if let Err(e) = Pattern::parse(pat) {
                    diags.push(source.error_at(
                        Code::PatternInvalid,
                        field_at(&format!("alternatives[{i}].pattern")).or(at),
                        format!(
                            "control `{}` alternative `{}`: invalid filter pattern: {e}",
                            ctl.id, alt.id
                        ),
                    ));
                }
            }
        }
        validate_alarm(
            &c.resolved_alarm,
            &format!("control `{}`", ctl.id),
            source,
            at,
            diags,
        );
    }
}

pub fn validate_alarm(
    a: &Alarm,
    what: &str,
    source: &Source,
    at: Option<usize>,
    diags: &mut Diagnostics,
) {
    // The metric counts matching events (metric value 1): a negative threshold either always
    // or never breaches, whatever happens in the account.
    if !a.threshold.is_finite() || a.threshold < 0.0 {
        diags.push(source.error_at(
            Code::AlarmThreshold,
            at,
            format!(
                "{what}: threshold must be a number of events, 0 or more (got {})",
                a.threshold
            ),
        ));
    }
    // CloudWatch accepts 10, 30 and multiples of 60 seconds.
    if !(a.period == 10 || a.period == 30 || (a.period >= 60 && a.period % 60 == 0))
        || a.period > 86_400
    {
        diags.push(source.error_at(
            Code::AlarmPeriod,
            at,
            format!(
                "{what}: period {} s is not valid (10, 30, or a multiple of 60 up to 86400)",
                a.period
            ),
        ));
    }
    if a.evaluation_periods < 1 || a.evaluation_periods as i64 * a.period as i64 > 7 * 86_400 {
        diags.push(source.error_at(
            Code::AlarmEvaluationPeriods,
            at,
            format!("{what}: evaluation_periods must be at least 1 and cover at most 7 days"),
        ));
    }
    if a.datapoints_to_alarm < 1 || a.datapoints_to_alarm > a.evaluation_periods {
        diags.push(source.error_at(
            Code::AlarmDatapoints,
            at,
            format!(
                "{what}: datapoints_to_alarm ({}) must be between 1 and evaluation_periods ({})",
                a.datapoints_to_alarm, a.evaluation_periods
            ),
        ));
    }
    for (field, value, allowed) in [
        ("statistic", &a.statistic, STATISTICS),
        ("comparison", &a.comparison, COMPARISONS),
        ("treat_missing_data", &a.treat_missing_data, TREAT_MISSING),
    ] {
        if !allowed.contains(&value.as_str()) {
            diags.push(source.error_at(
                Code::AlarmSetting,
                at,
                format!(
                    "{what}: {field} `{value}` is not one of {}",
                    allowed.join(", ")
                ),
            ));
        }
    }
}

fn check_name(
    source: &Source,
    at: Option<usize>,
    field: &str,
    value: &str,
    max: usize,
    also_forbidden: &str,
    diags: &mut Diagnostics,
) {
    let forbidden = |c: char| c == ':' || c == '*' || also_forbidden.contains(c);
    if value.is_empty() || value.len() > max || value.contains(forbidden) {
        let listed: Vec<String> = [":", "*"]
            .into_iter()
            .map(String::from)
            .chain(also_forbidden.chars().map(String::from))
            .map(|c| format!("`{c}`"))
            .collect();
        diags.push(source.error_at(
            Code::NameInvalid,
            at,
            format!(
                "{field} `{value}` must be 1–{max} characters without {}",
                listed.join(" or ")
            ),
        ));
    }
}
