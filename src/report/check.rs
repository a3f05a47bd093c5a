//! The drift report of `check`: JSON, human, JUnit XML and GitHub annotations.

use serde::Serialize;
use serde_json::Value;
use std::fmt::Write;

use super::{counted, short, FORMAT_VERSION};
use crate::plan::{DriftKind, Finding, Plan, Severity};

#[derive(Debug, Clone, Serialize)]
pub(crate) struct DriftEntry {
    pub address: String,
    pub kind: DriftKind,
    pub field: String,
    pub expected: Value,
    pub actual: Value,
    pub severity: Severity,
}

impl DriftEntry {
    /// `FIELD (KIND): expected X, actual Y`, or for a leftover what it is.
    fn describe(&self) -> String {
        if self.kind.is_orphan() {
            format!(
                "{}: created by trailwarden, no longer in the configuration; apply removes it",
                self.kind
            )
        } else {
            format!(
                "{} ({}): expected {}, actual {}",
                self.field,
                self.kind,
                short(&self.expected),
                short(&self.actual)
            )
        }
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct CheckReport {
    pub format_version: &'static str,
    pub account_id: String,
    pub region: String,
    pub in_sync: bool,
    pub drift: Vec<DriftEntry>,
    pub warnings: Vec<Finding>,
    pub errors: Vec<Finding>,
    pub requests: u64,
}

impl CheckReport {
    pub(crate) fn new(
        account_id: &str,
        region: &str,
        plan: &Plan,
        strict: bool,
        requests: u64,
    ) -> CheckReport {
        let mut drift: Vec<DriftEntry> = Vec::new();
        for c in &plan.changes {
            for d in &c.diffs {
                drift.push(DriftEntry {
                    address: c.address.clone(),
                    kind: d.kind,
                    field: d.field.clone(),
                    expected: d.expected.clone(),
                    actual: d.actual.clone(),
                    severity: d.severity,
                });
            }
        }
        let mut warnings = Vec::new();
        for w in &plan.warnings {
            if strict && w.code == "subscription-pending" {
                drift.push(DriftEntry {
                    address: w.address.clone().unwrap_or_default(),
                    kind: DriftKind::SubscriptionPending,
                    field: "subscription_arn".into(),
                    expected: Value::String("confirmed".into()),
                    actual: Value::String("PendingConfirmation".into()),
                    severity: Severity::Medium,
                });
            } else {
                warnings.push(w.clone());
            }
        }
        CheckReport {
            format_version: FORMAT_VERSION,
            account_id: account_id.to_string(),
            region: region.to_string(),
            in_sync: drift.is_empty() && plan.conflicts.is_empty(),
            drift,
            warnings,
            errors: plan.conflicts.clone(),
            requests,
        }
    }

    pub(crate) fn human(&self) -> String {
        let mut out = String::new();
        let mut last = "";
        for d in &self.drift {
            if d.address != last {
                let symbol = if d.kind.is_missing() {
                    "+"
                } else if d.kind.is_orphan() {
                    "-"
                } else {
                    "~"
                };
                let _ = writeln!(out, "{symbol} {}", d.address);
                last = &d.address;
            }
            if d.kind.is_orphan() {
                let _ = writeln!(
                    out,
                    "    [{}] {}: created by trailwarden, no longer in the configuration",
                    d.severity.as_str(),
                    d.kind
                );
                continue;
            }
            let _ = writeln!(
                out,
                "    [{}] {} ({}): expected {}, actual {}",
                d.severity.as_str(),
                d.field,
                d.kind,
                short(&d.expected),
                short(&d.actual)
            );
        }
        for e in &self.errors {
            let _ = writeln!(out, "! {}", e.message);
        }
        for w in &self.warnings {
            let _ = writeln!(out, "warning: {}", w.message);
        }
        let resources = {
            let mut a: Vec<&str> = self.drift.iter().map(|d| d.address.as_str()).collect();
            a.dedup();
            a.len()
        };
        if self.in_sync {
            let _ = writeln!(
                out,
                "In sync: account {} ({}) matches the configuration; {}, {}.",
                self.account_id,
                self.region,
                counted(self.warnings.len(), "warning"),
                counted(self.requests as usize, "request")
            );
        } else {
            let _ = writeln!(
                out,
                "Drift: {} on {}, {}, {}; run `trailwarden apply` to repair.",
                counted(self.drift.len(), "difference"),
                counted(resources, "resource"),
                counted(self.errors.len(), "error"),
                counted(self.warnings.len(), "warning")
            );
        }
        out
    }

    /// One test case per drifted resource, plus one passing case when in sync, so CI test
    /// report viewers show the drift as failures.
    pub(crate) fn junit(&self) -> String {
        let mut cases: Vec<(String, Vec<&DriftEntry>)> = Vec::new();
        for d in &self.drift {
            match cases.iter_mut().find(|(a, _)| *a == d.address) {
                Some((_, v)) => v.push(d),
                None => cases.push((d.address.clone(), vec![d])),
            }
        }
        let failures = cases.len() + self.errors.len();
        let tests = failures.max(1);
        let mut out = String::new();
        let _ = writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
        let _ = writeln!(
            out,
            r#"<testsuites name="trailwarden check" tests="{tests}" failures="{failures}">"#
        );
        let _ = writeln!(
            out,
            r#"  <testsuite name="{}" tests="{tests}" failures="{failures}">"#,
            xml(&format!("account {} {}", self.account_id, self.region))
        );
        for (address, entries) in &cases {
            let _ = writeln!(
                out,
                r#"    <testcase classname="trailwarden.drift" name="{}">"#,
                xml(address)
            );
            let text: Vec<String> = entries.iter().map(|d| d.describe()).collect();
            let _ = writeln!(
                out,
                r#"      <failure message="{}" type="drift">{}</failure>"#,
                xml(&counted(entries.len(), "difference")),
                xml(&text.join("\n"))
            );
            let _ = writeln!(out, "    </testcase>");
        }
        for e in &self.errors {
            let _ = writeln!(
                out,
                r#"    <testcase classname="trailwarden.error" name="{}"><failure message="{}" type="{}"/></testcase>"#,
                xml(e.address.as_deref().unwrap_or(e.code)),
                xml(&e.message),
                e.code
            );
        }
        if failures == 0 {
            let _ = writeln!(
                out,
                r#"    <testcase classname="trailwarden" name="in-sync"/>"#
            );
        }
        let _ = writeln!(out, "  </testsuite>\n</testsuites>");
        out
    }

    /// GitHub Actions workflow commands: one `::error` per drift entry, `::warning` per warning.
    pub(crate) fn github(&self) -> String {
        let mut out = String::new();
        for d in &self.drift {
            let _ = writeln!(
                out,
                "::error title=trailwarden drift: {}::{} {}",
                gh(&d.address),
                gh(&d.address),
                gh(&d.describe())
            );
        }
        for e in &self.errors {
            let _ = writeln!(out, "::error title=trailwarden::{}", gh(&e.message));
        }
        for w in &self.warnings {
            let _ = writeln!(out, "::warning title=trailwarden::{}", gh(&w.message));
        }
        let _ = writeln!(
            out,
            "{}",
            if self.in_sync {
                "trailwarden: in sync"
            } else {
                "trailwarden: drift found"
            }
        );
        out
    }
}

pub(super) fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

pub(super) fn gh(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
        .replace("::", "%3A%3A")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Action, Change, FieldDiff};

    fn plan() -> Plan {
        Plan {
            changes: vec![Change {
                address: "alarm.RootAccountUsageAlarm".into(),
                resource: crate::plan::Resource::Alarm,
                action: Action::Update,
                diffs: vec![FieldDiff {
                    field: "threshold".into(),
                    kind: DriftKind::AlarmThreshold,
                    expected: serde_json::json!(1.0),
                    actual: serde_json::json!(5.0),
                    severity: Severity::Medium,
                }],
                ops: vec![],
            }],
            warnings: vec![Finding {
                code: "subscription-pending",
                address: Some("sns_subscription.t/a@example.com".into()),
                message: "a@example.com has not confirmed".into(),
            }],
            conflicts: vec![],
        }
    }

    #[test]
    fn pending_subscriptions_are_warnings_unless_strict() {
        let lax = CheckReport::new("111122223333", "us-east-1", &plan(), false, 19);
        assert_eq!(lax.drift.len(), 1);
        assert_eq!(lax.warnings.len(), 1);
        let strict = CheckReport::new("111122223333", "us-east-1", &plan(), true, 19);
        assert_eq!(strict.drift.len(), 2);
        assert!(strict.warnings.is_empty());
        assert_eq!(strict.drift[1].kind, DriftKind::SubscriptionPending);
        let json = serde_json::to_value(&strict).unwrap();
        for key in ["format_version", "in_sync", "drift", "warnings", "requests"] {
            assert!(json.get(key).is_some(), "{key}");
        }
        assert_eq!(json["drift"][0]["severity"], "medium");
    }

    #[test]
    fn only_pending_subscriptions_is_in_sync_unless_strict() {
        let mut p = plan();
        p.changes.clear();
        assert!(CheckReport::new("1", "r", &p, false, 1).in_sync);
        assert!(!CheckReport::new("1", "r", &p, true, 1).in_sync);
    }

    #[test]
    fn junit_and_github_escape_and_count() {
        let r = CheckReport::new("111122223333", "us-east-1", &plan(), true, 19);
        let x = r.junit();
        assert!(x.contains(r#"tests="2" failures="2""#), "{x}");
        assert!(x.contains("alarm.RootAccountUsageAlarm"));
        let g = r.github();
        assert_eq!(
            g.lines().filter(|l| l.starts_with("::error")).count(),
            2,
            "{g}"
        );
        assert!(g.ends_with("trailwarden: drift found\n"));
    }
}
