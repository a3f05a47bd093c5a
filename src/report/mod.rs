//! Renderers: every report is one data structure that serializes to JSON and renders to text
//! from the same fields.

pub(crate) mod alerts;
pub(crate) mod check;
pub(crate) mod fanout;

use serde::Serialize;
use serde_json::Value;
use std::fmt::Write;

use crate::apply::ApplyOutcome;
use crate::plan::{Change, Finding, Plan};

/// Bumped when a field is removed or changes meaning; new fields may appear at any time.
pub(crate) const FORMAT_VERSION: &str = "1";

#[derive(Debug, Serialize)]
pub(crate) struct PlanReport<'a> {
    pub format_version: &'static str,
    pub command: &'static str,
    pub account_id: &'a str,
    pub region: &'a str,
    pub changes: Vec<ChangeView<'a>>,
    pub warnings: &'a [Finding],
    pub conflicts: &'a [Finding],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<&'a ApplyOutcome>,
    /// `plan` only: what the configured chain costs a month.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimate: Option<&'a crate::cost::Estimate>,
    pub requests: crate::aws::RequestStats,
}

#[derive(Debug, Serialize)]
pub(crate) struct ChangeView<'a> {
    pub address: &'a str,
    pub resource: crate::plan::Resource,
    pub action: crate::plan::Action,
    pub diffs: &'a [crate::plan::FieldDiff],
    /// The write requests this change makes, by API name.
    pub requests: Vec<&'static str>,
}

impl<'a> PlanReport<'a> {
    pub(crate) fn new(
        command: &'static str,
        account_id: &'a str,
        region: &'a str,
        plan: &'a Plan,
        requests: crate::aws::RequestStats,
    ) -> Self {
        PlanReport {
            format_version: FORMAT_VERSION,
            command,
            account_id,
            region,
            changes: plan.changes.iter().map(ChangeView::from).collect(),
            warnings: &plan.warnings,
            conflicts: &plan.conflicts,
            outcome: None,
            estimate: None,
            requests,
        }
    }
}

impl<'a> From<&'a Change> for ChangeView<'a> {
    fn from(c: &'a Change) -> Self {
        ChangeView {
            address: &c.address,
            resource: c.resource,
            action: c.action,
            diffs: &c.diffs,
            requests: c.ops.iter().map(|o| o.api()).collect(),
        }
    }
}

/// `1 warning`, `2 warnings`, `3 policies`: a count and its noun, singular or plural.
pub(crate) fn counted(n: usize, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else if let Some(stem) = one.strip_suffix('y') {
        format!("{n} {stem}ies")
    } else {
        format!("{n} {one}s")
    }
}

pub(crate) fn short(v: &Value) -> String {
    let s = match v {
        Value::String(s) => format!("{s:?}"),
        Value::Null => "(none)".to_string(),
        other => other.to_string(),
    };
    if s.chars().count() > 120 {
        let cut: String = s.chars().take(117).collect();
        format!("{cut}...")
    } else {
        s
    }
}

/// What a plan deletes, by address, for the confirmation prompt.
pub(crate) fn deletions(plan: &Plan) -> Vec<&str> {
    plan.changes
        .iter()
        .filter(|c| c.action == crate::plan::Action::Delete)
        .map(|c| c.address.as_str())
        .collect()
}

/// `+ create`, `~ update`, `- delete` lines with the fields that differ, then warnings and a summary.
pub(crate) fn render_plan(plan: &Plan) -> String {
    let mut out = String::new();
    for c in &plan.changes {
        let _ = writeln!(out, "{} {}", c.action.symbol(), c.address);
        if c.action == crate::plan::Action::Update {
            for d in &c.diffs {
                let _ = writeln!(
                    out,
                    "    {}: {} -> {}",
                    d.field,
                    short(&d.actual),
                    short(&d.expected)
                );
            }
        }
    }
    for f in &plan.conflicts {
        let _ = writeln!(out, "! {}", f.message);
    }
    for w in &plan.warnings {
        let _ = writeln!(out, "warning: {}", w.message);
    }
    if plan.changes.is_empty() {
        let _ = writeln!(
            out,
            "No changes. The monitoring chain matches the configuration."
        );
    } else {
        let count = |a| plan.changes.iter().filter(|c| c.action == a).count();
        let _ = writeln!(
            out,
            "Plan: {} to create, {} to update, {} to delete, {} requests.",
            count(crate::plan::Action::Create),
            count(crate::plan::Action::Update),
            count(crate::plan::Action::Delete),
            plan.ops().count()
        );
    }
    out
}

#[cfg(test)]
pub(crate) fn render_outcome(outcome: &ApplyOutcome) -> String {
    render_outcome_of("apply", outcome)
}

/// The outcome of `apply` or `destroy` (`command`), as [`render_outcome`].
pub(crate) fn render_outcome_of(command: &str, outcome: &ApplyOutcome) -> String {
    let title = match command {
        "destroy" => "Destroy",
        _ => "Apply",
    };
    let mut out = String::new();
    let requests: usize = outcome.applied.iter().map(|a| a.requests).sum();
    let done = counted(outcome.applied.len(), "resource");
    match &outcome.failed {
        None if outcome.interrupted => {
            let _ = writeln!(
                out,
                "{title} interrupted before the next write: {done} changed ({requests} requests); not done yet:"
            );
        }
        None => {
            let _ = writeln!(
                out,
                "{title} complete: {} resources changed, {} requests.",
                outcome.applied.len(),
                requests
            );
        }
        Some(f) => {
            let _ = writeln!(
                out,
                "{title} stopped at {} ({}): {}\n{} resources were changed before that; run {command} again to complete the rest.",
                f.address,
                f.api,
                f.error,
                outcome.applied.len()
            );
        }
    }
    if outcome.interrupted {
        for address in &outcome.left {
            let _ = writeln!(out, "  {address}");
        }
        let _ = writeln!(out, "Run {command} again to complete it.");
    }
    out
}

/// The plan of `destroy`: `- ADDRESS` for each resource deleted, then what stays and why (kept,
/// released), and a summary.
pub(crate) fn render_destroy(plan: &Plan) -> String {
    let mut out = String::new();
    for c in &plan.changes {
        let _ = writeln!(out, "- {}", c.address);
    }
    for w in &plan.warnings {
        let _ = writeln!(out, "{}: {}", w.code, w.message);
    }
    if plan.changes.is_empty() {
        let _ = writeln!(out, "Nothing to destroy.");
    } else {
        let _ = writeln!(
            out,
            "Destroy: {} to delete, {}.",
            plan.changes.len(),
            counted(plan.ops().count(), "request")
        );
    }
    out
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

#[cfg(test)]
mod snapshots_tests;

#[cfg(test)]
mod tests {
    use super::counted;

    #[test]
    fn counts_are_singular_or_plural() {
        assert_eq!(counted(0, "warning"), "0 warnings");
        assert_eq!(counted(1, "warning"), "1 warning");
        assert_eq!(counted(2, "difference"), "2 differences");
        assert_eq!(counted(3, "policy"), "3 policies");
        assert_eq!(counted(1, "policy"), "1 policy");
    }
}
