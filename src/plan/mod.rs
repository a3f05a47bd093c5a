//! The planner: a pure comparison of [`Desired`] with [`Actual`], producing a [`Plan`] of
//! changes in dependency order, each carrying the write requests ([`Op`]s) that realize it.
//!
//! Deterministic and free of I/O, so every decision is unit-tested without a network. `check`
//! renders the same data as drift; `apply` executes the ops.

mod destroy;
mod kinds;
mod kms;
mod metrics;
mod notify;
mod policy;
mod removals;
mod storage;
mod trail;

pub(crate) use destroy::{destroy, DestroyOptions};
pub(crate) use kinds::{DriftKind, Resource};
pub(crate) use policy::{merge_statements, normalize, statement_by_sid};

use serde::Serialize;
use serde_json::{json, Value};

use crate::model::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Action {
    Create,
    Update,
    Delete,
}

impl Action {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update => "~",
            Action::Delete => "-",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

/// One field that differs: what trailwarden wants and what the account has.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct FieldDiff {
    pub field: String,
    /// Stable drift kind, e.g. `alarm.threshold`, `trail.not-logging`.
    pub kind: DriftKind,
    pub expected: Value,
    pub actual: Value,
    pub severity: Severity,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Change {
    pub address: String,
    pub resource: Resource,
    pub action: Action,
    pub diffs: Vec<FieldDiff>,
    /// The write requests, in order.
    pub ops: Vec<Op>,
}

/// Something to tell the user that is not a change: a pending subscription, an existing
/// multi-region trail, a resource trailwarden will not touch.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Finding {
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct Plan {
    pub changes: Vec<Change>,
    pub warnings: Vec<Finding>,
    /// Problems that stop `apply` (e.g. a resource of the same name that trailwarden did not
    /// create and the user did not adopt).
    pub conflicts: Vec<Finding>,
}

impl Plan {
    pub(crate) fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub(crate) fn ops(&self) -> impl Iterator<Item = &Op> {
        self.changes.iter().flat_map(|c| c.ops.iter())
    }
}

pub(crate) fn diff(
    field: &str,
    kind: DriftKind,
    expected: Value,
    actual: Value,
    severity: Severity,
) -> FieldDiff {
    FieldDiff {
        field: field.to_string(),
        kind,
        expected,
        actual,
        severity,
    }
}

/// The differences of one resource, found field by field.
#[derive(Debug, Default)]
pub(crate) struct Diffs(pub(crate) Vec<FieldDiff>);

impl Diffs {
    /// Records a difference when `want` and `have` differ; says whether they did.
    pub(crate) fn compare(
        &mut self,
        field: &str,
        kind: DriftKind,
        want: Value,
        have: Value,
        severity: Severity,
    ) -> bool {
        let differs = want != have;
        if differs {
            self.push(field, kind, want, have, severity);
        }
        differs
    }

    pub(crate) fn push(
        &mut self,
        field: &str,
        kind: DriftKind,
        want: Value,
        have: Value,
        severity: Severity,
    ) {
        self.0.push(diff(field, kind, want, have, severity));
    }

    /// Our statements (each with a `Sid`) that `policy` lacks or holds otherwise, compared as
    /// AWS rewrites policies; says whether any did.
    pub(crate) fn statements(
        &mut self,
        policy: Option<&Value>,
        ours: &[Value],
        kind: impl Fn(&str) -> DriftKind,
    ) -> bool {
        let mut changed = false;
        for stmt in ours {
            let sid = stmt["Sid"].as_str().unwrap_or_default();
            let have = policy.and_then(|p| statement_by_sid(p, sid));
            if have.map(normalize) != Some(normalize(stmt)) {
                changed = true;
                self.push(
                    &format!("policy.Statement[{sid}]"),
                    kind(sid),
                    stmt.clone(),
                    have.cloned().unwrap_or(Value::Null),
                    Severity::High,
                );
            }
        }
        changed
    }
}

pub(crate) fn missing(kind: DriftKind) -> FieldDiff {
    debug_assert!(kind.is_missing());
    diff("exists", kind, json!(true), json!(false), Severity::High)
}

pub(crate) struct Planner<'a> {
    pub(crate) d: &'a Desired,
    pub(crate) a: &'a Actual,
    pub(crate) plan: Plan,
}

/// Compare and plan. Unchanged model ⇒ empty plan.
pub(crate) fn plan(d: &Desired, a: &Actual) -> Plan {
    let d = &resolved(d, a);
    let mut p = Planner {
        d,
        a,
        plan: Plan::default(),
    };
    if p.adopts_another_accounts_trail() {
        return p.plan;
    }
    p.bucket();
    p.role();
    p.log_group();
    p.topics();
    p.trail();
    p.filters();
    p.alarms();
    p.removals();
    p.plan
}

/// The desired state with what only the account can tell: an existing role's ARN as IAM reports
/// it (a role adopted with a path, `role/service-role/NAME`, has an ARN that cannot be rebuilt
/// from its name).
fn resolved(d: &Desired, a: &Actual) -> Desired {
    let mut d = d.clone();
    if let (Some(spec), Some(actual)) = (d.role.as_mut(), a.role.as_ref()) {
        if !actual.arn.is_empty() && actual.arn != spec.arn {
            if d.trail.cw_role_arn == spec.arn {
                d.trail.cw_role_arn = actual.arn.clone();
            }
            spec.arn = actual.arn.clone();
        }
    }
    d
}

impl Planner<'_> {
    pub(crate) fn push(
        &mut self,
        address: String,
        resource: Resource,
        action: Action,
        diffs: Vec<FieldDiff>,
        ops: Vec<Op>,
    ) {
        if !ops.is_empty() || !diffs.is_empty() {
            self.plan.changes.push(Change {
                address,
                resource,
                action,
                diffs,
                ops,
            });
        }
    }

    pub(crate) fn conflict(&mut self, code: &'static str, address: &str, message: String) {
        self.plan.conflicts.push(Finding {
            code,
            address: Some(address.to_string()),
            message,
        });
    }

    pub(crate) fn warn(&mut self, code: &'static str, address: Option<&str>, message: String) {
        self.plan.warnings.push(Finding {
            code,
            address: address.map(str::to_string),
            message,
        });
    }
}

/// A key given as id, ARN or alias matches the key read back when one ends with the other.
pub(crate) fn same_key(have: &str, want: &str) -> bool {
    have == want || have.ends_with(&format!("/{want}")) || want.ends_with(&format!("/{have}"))
}

/// The statement SNS puts on a new topic: the owning account may manage it.
pub(crate) fn default_topic_statement(target: &Target, topic_arn: &str) -> Value {
    json!({
        "Sid": "__default_statement_ID",
        "Effect": "Allow",
        "Principal": { "AWS": "*" },
        "Action": [
            "SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
            "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
            "SNS:ListSubscriptionsByTopic", "SNS:Publish"
        ],
        "Resource": topic_arn,
        "Condition": { "StringEquals": { "AWS:SourceOwner": target.account_id } }
    })
}

/// Its helpers (`desired_from`, `applied`, `basic`, ...) also build the report snapshots' inputs.
#[cfg(test)]
pub(crate) mod tests;
#[cfg(test)]
mod tests_aws;
#[cfg(test)]
pub(crate) mod tests_destroy;
#[cfg(test)]
mod tests_org;
#[cfg(test)]
pub(crate) mod tests_removals;
