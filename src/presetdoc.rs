//! Human rendering of presets: `presets show` and the generated docs/presets.md.

use std::fmt::Write;

#[cfg(test)]
use crate::diag::Diagnostics;
#[cfg(test)]
use crate::preset;
use crate::preset::Preset;
use crate::report::counted;

pub(crate) fn render_preset(p: &Preset) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} — {}", p.name, p.title);
    if !p.description.is_empty() {
        let _ = writeln!(out, "{}\n", p.description);
    }
    for c in &p.controls {
        let ctl = &c.control;
        let a = &c.resolved_alarm;
        let _ = writeln!(out, "[{}] {}", ctl.id, ctl.title);
        let _ = writeln!(
            out,
            "  filter:   {} -> {}/{} (value 1)",
            ctl.filter_name, c.namespace, ctl.metric_name
        );
        let _ = writeln!(out, "  pattern:  {}", ctl.pattern);
        let _ = writeln!(
            out,
            "  alarm:    {} — {} over {} s, {} of {}, {} {}, missing data {}",
            c.alarm_name,
            a.statistic,
            a.period,
            a.datapoints_to_alarm,
            counted(a.evaluation_periods as usize, "period"),
            comparison_symbol(&a.comparison),
            a.threshold,
            a.treat_missing_data
        );
        if !ctl.references.cis.is_empty() || !ctl.references.securityhub.is_empty() {
            let mut refs: Vec<String> = ctl
                .references
                .cis
                .iter()
                .map(|r| format!("CIS {r}"))
                .collect();
            refs.extend(
                ctl.references
                    .securityhub
                    .iter()
                    .map(|r| format!("Security Hub {r}")),
            );
            let _ = writeln!(out, "  refs:     {}", refs.join(", "));
        }
        let _ = writeln!(
            out,
            "  accepted: {}",
            if ctl.auditors.is_empty() {
                "(no auditor checks this pattern)".to_string()
            } else {
                ctl.auditors.join(", ")
            }
        );
        let _ = writeln!(out, "  severity: {}", ctl.severity.unwrap_or_default());
        if !ctl.rationale.is_empty() {
            let _ = writeln!(out, "  why:      {}", one_line(&ctl.rationale));
        }
        if let Some(n) = &ctl.notes {
            let _ = writeln!(out, "  notes:    {}", one_line(n));
        }
        for alt in &ctl.alternatives {
            let _ = writeln!(
                out,
                "  alternative `{}`: {} — {}",
                alt.id,
                alt.title,
                one_line(&alt.tradeoff)
            );
        }
        let _ = writeln!(out, "  examples: {} (match / no match)", ctl.examples.len());
        out.push('\n');
    }
    out
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn comparison_symbol(c: &str) -> &str {
    match c {
        "GreaterThanOrEqualToThreshold" => ">=",
        "GreaterThanThreshold" => ">",
        "LessThanThreshold" => "<",
        "LessThanOrEqualToThreshold" => "<=",
        other => other,
    }
}

/// docs/presets.md, generated from the built-in preset files (a test keeps the file in sync).
#[cfg(test)]
pub(crate) fn markdown() -> String {
    let mut out = String::new();
    out.push_str("# Built-in presets\n\n");
    out.push_str("<!-- Generated from presets/*.toml by `cargo test` (presetdoc::markdown); do not edit by hand. -->\n\n");
    out.push_str("Each control is a CloudWatch Logs metric filter on the trail's log group and an alarm on its metric that notifies the SNS topic. Alarm defaults: Sum over 300 s, 1 of 1 period, `>= 1`, missing data not breaching. `accepted by` names the auditors whose checks pass with the control's exact pattern.\n\n");
    for name in preset::builtin_names() {
        let mut d = Diagnostics::default();
        let Some(p) = preset::load(name, &mut d) else {
            continue;
        };
        let _ = writeln!(out, "## `{}` — {}\n", p.name, p.title);
        if !p.description.is_empty() {
            let _ = writeln!(out, "{}\n", one_line(&p.description));
        }
        if let Some(n) = &p.notes {
            let _ = writeln!(out, "{}\n", one_line(n));
        }
        out.push_str("| id | filter / metric | references | accepted by |\n|---|---|---|---|\n");
        for c in &p.controls {
            let ctl = &c.control;
            let mut refs: Vec<String> = ctl
                .references
                .cis
                .iter()
                .map(|r| format!("CIS {r}"))
                .collect();
            refs.extend(ctl.references.securityhub.iter().cloned());
            let _ = writeln!(
                out,
                "| `{}` | `{}` / `{}` | {} | {} |",
                ctl.id,
                ctl.filter_name,
                ctl.metric_name,
                refs.join("; "),
                if ctl.auditors.is_empty() {
                    "—".into()
                } else {
                    ctl.auditors.join(", ")
                }
            );
        }
        out.push('\n');
        for c in &p.controls {
            let ctl = &c.control;
            let _ = writeln!(out, "### {} `{}`\n", ctl.title, ctl.id);
            let _ = writeln!(out, "Severity: {}.\n", ctl.severity.unwrap_or_default());
            if !ctl.rationale.is_empty() {
                let _ = writeln!(out, "{}\n", one_line(&ctl.rationale));
            }
            let _ = writeln!(out, "```\n{}\n```\n", ctl.pattern);
            let a = &c.resolved_alarm;
            let _ = writeln!(
                out,
                "Alarm `{}`: {} over {} s, {} of {}, `{} {}`, missing data {}.\n",
                c.alarm_name,
                a.statistic,
                a.period,
                a.datapoints_to_alarm,
                counted(a.evaluation_periods as usize, "period"),
                comparison_symbol(&a.comparison),
                a.threshold,
                a.treat_missing_data
            );
            if let Some(n) = &ctl.notes {
                let _ = writeln!(out, "Notes: {}\n", one_line(n));
            }
            for alt in &ctl.alternatives {
                let _ = write!(out, "- Alternative `{}` ({}):", alt.id, alt.title);
                if let Some(p) = &alt.pattern {
                    let _ = write!(out, " pattern `{}`;", p.replace('|', "\\|"));
                }
                if let Some(t) = alt.threshold {
                    let _ = write!(out, " threshold {t};");
                }
                if let Some(t) = alt.period {
                    let _ = write!(out, " period {t} s;");
                }
                let _ = writeln!(out, " {}", one_line(&alt.tradeoff));
            }
            if !ctl.alternatives.is_empty() {
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn docs_presets_md_is_in_sync_with_the_preset_files() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/presets.md");
        let want = super::markdown();
        let have = std::fs::read_to_string(path).unwrap_or_default();
        if std::env::var_os("TRAILWARDEN_BLESS").is_some() {
            std::fs::write(path, &want).unwrap();
            return;
        }
        assert!(
            have == want,
            "docs/presets.md is out of date: run `TRAILWARDEN_BLESS=1 cargo test --lib presetdoc` and commit it"
        );
    }
}
