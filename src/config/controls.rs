//! Controls as they will be provisioned: the chosen presets combined, identical filters kept
//! once, and the user's per-control overrides applied and validated.

use std::collections::BTreeMap;

use super::{ControlOverride, EffectiveControl, SeverityRoute, TopicSettings, DEFAULT_TOPIC_KEY};
use crate::diag::{Code, Diagnostic, Diagnostics, Source};
use crate::model::AlarmSeverity;
use crate::pattern::Pattern;
use crate::preset::{self, AlarmSettings, Preset};

pub(super) fn effective_controls(
    presets: &[Preset],
    overrides: &BTreeMap<String, ControlOverride>,
    topics: &[TopicSettings],
    routes: &BTreeMap<AlarmSeverity, SeverityRoute>,
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
            let at = key.as_ref().and_then(|k| src.at(&format!("controls.{k}")));
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
                        Code::AlternativeUnknown,
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
                            Code::ExclusionsBreakExactMatch,
                            at,
                            format!(
                                "control `{}`: exclusions change the pattern text; auditors that compare exact strings (Security Hub) will no longer accept it",
                                c.id
                            ),
                        ));
                    }
                    Err(e) => diags.push(src.error_at(
                        Code::ExclusionInvalid,
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
            let severity = match &ov.severity {
                None => c.severity.unwrap_or_default(),
                Some(s) => AlarmSeverity::parse(s).unwrap_or_else(|| {
                    diags.push(src.error_at(
                        Code::SeverityUnknown,
                        key.as_ref().and_then(|k| src.at(&format!("controls.{k}.severity"))).or(at),
                        format!("control `{}`: unknown severity `{s}` (expected one of: critical, high, medium, low)", c.id),
                    ));
                    c.severity.unwrap_or_default()
                }),
            };
            let route = routes.get(&severity);
            // The control's own `topic` wins; then its severity's topics; then the default topic.
            let topic_keys = match (&ov.topic, route.and_then(|r| r.topics.clone())) {
                (Some(t), _) => vec![t.clone()],
                (None, Some(keys)) => keys,
                (None, None) => vec![DEFAULT_TOPIC_KEY.to_string()],
            };
            if let Some(topic_key) = &ov.topic {
                if !topics.iter().any(|t| &t.key == topic_key) {
                    diags.push(src.error_at(
                        Code::TopicUnknown,
                        at,
                        format!("control `{}` names topic `{topic_key}`, but there is no [topics.{topic_key}] table", c.id),
                    ));
                }
            }
            if let Ok(p) = Pattern::parse(&pattern) {
                for lint in p.lints() {
                    diags.push(Diagnostic::warning(
                        Code::PatternLint,
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
                severity,
                topic_keys,
                ok_actions: route.is_some_and(|r| r.ok_actions),
                rationale: c.rationale.clone(),
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
                        || prev.topic_keys != eff.topic_keys
                        || prev.severity != eff.severity
                    {
                        diags.push(Diagnostic::error(
                            Code::FilterConflict,
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
                            Code::AlarmConflict,
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
                Code::ControlUnknown,
                src.at(&format!("controls.{k}")),
                format!(
                    "[controls.{k}] matches no control id or filter name of the chosen presets"
                ),
            ));
        }
    }
    if out.len() > 100 {
        diags.push(Diagnostic::error(
            Code::TooManyFilters,
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
