//! The planner: a pure comparison of [`Desired`] with [`Actual`], producing a [`Plan`] of
//! changes in dependency order, each carrying the write requests ([`Op`]s) that realize it.
//!
//! Deterministic and free of I/O, so every decision is unit-tested without a network. `check`
//! renders the same data as drift; `apply` executes the ops.

mod policy;

pub use policy::{merge_statements, normalize, statement_by_sid};

use serde::Serialize;
use serde_json::{json, Value};

use crate::desired;
use crate::model::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    Replace,
    Delete,
}

impl Action {
    pub fn symbol(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Delete => "-",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

/// One field that differs: what trailwarden wants and what the account has.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldDiff {
    pub field: String,
    /// Stable drift kind, e.g. `alarm.threshold`, `trail.not-logging`, `missing`.
    pub kind: String,
    pub expected: Value,
    pub actual: Value,
    pub severity: Severity,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub address: String,
    pub resource: &'static str,
    pub action: Action,
    pub diffs: Vec<FieldDiff>,
    /// The write requests, in order.
    pub ops: Vec<Op>,
}

/// Something to tell the user that is not a change: a pending subscription, an existing
/// multi-region trail, a resource trailwarden will not touch.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub warnings: Vec<Finding>,
    /// Problems that stop `apply` (e.g. a resource of the same name that trailwarden did not
    /// create and the user did not adopt).
    pub conflicts: Vec<Finding>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn ops(&self) -> impl Iterator<Item = &Op> {
        self.changes.iter().flat_map(|c| c.ops.iter())
    }
}

fn diff(field: &str, kind: &str, expected: Value, actual: Value, severity: Severity) -> FieldDiff {
    FieldDiff {
        field: field.to_string(),
        kind: kind.to_string(),
        expected,
        actual,
        severity,
    }
}

fn missing(resource: &str) -> FieldDiff {
    diff(
        "exists",
        &format!("{resource}.missing"),
        json!(true),
        json!(false),
        Severity::High,
    )
}

struct Planner<'a> {
    d: &'a Desired,
    a: &'a Actual,
    plan: Plan,
}

/// Compare and plan. Unchanged model ⇒ empty plan.
pub fn plan(d: &Desired, a: &Actual) -> Plan {
    let mut p = Planner {
        d,
        a,
        plan: Plan::default(),
    };
    p.bucket();
    p.role();
    p.log_group();
    p.topics();
    p.trail();
    p.filters();
    p.alarms();
    p.plan
}

impl Planner<'_> {
    fn push(
        &mut self,
        address: String,
        resource: &'static str,
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

    fn conflict(&mut self, code: &'static str, address: &str, message: String) {
        self.plan.conflicts.push(Finding {
            code,
            address: Some(address.to_string()),
            message,
        });
    }

    fn warn(&mut self, code: &'static str, address: Option<&str>, message: String) {
        self.plan.warnings.push(Finding {
            code,
            address: address.map(str::to_string),
            message,
        });
    }

    fn bucket(&mut self) {
        let Some(spec) = &self.d.bucket else { return };
        let address = format!("s3_bucket.{}", spec.name);
        let wanted_policy = desired::policy_doc(spec.statements.clone());
        let Some(actual) = &self.a.bucket else {
            let mut ops = vec![Op::CreateBucket {
                bucket: spec.name.clone(),
                region: self.d.target.region.clone(),
            }];
            if !spec.adopted {
                ops.push(Op::PutBucketTagging {
                    bucket: spec.name.clone(),
                    tags: spec.tags.clone(),
                });
            }
            ops.extend([
                Op::PutPublicAccessBlock {
                    bucket: spec.name.clone(),
                },
                Op::PutBucketEncryption {
                    bucket: spec.name.clone(),
                    kms_key_id: spec.kms_key_id.clone(),
                },
                Op::PutBucketVersioning {
                    bucket: spec.name.clone(),
                },
                Op::PutBucketPolicy {
                    bucket: spec.name.clone(),
                    policy: wanted_policy,
                },
            ]);
            self.push(
                address,
                "s3_bucket",
                Action::Create,
                vec![missing("bucket")],
                ops,
            );
            return;
        };
        let mut diffs = Vec::new();
        let mut ops = Vec::new();
        // Default-named buckets carry the account id and region in their name, so one that
        // exists is this tool's own (possibly from an apply cut short before tagging).
        if !spec.adopted && !is_managed(&actual.tags) {
            let mut tags = actual.tags.clone();
            tags.extend(spec.tags.clone());
            diffs.push(diff(
                "tags",
                "bucket.tags",
                json!(spec.tags),
                json!(actual.tags),
                Severity::Low,
            ));
            ops.push(Op::PutBucketTagging {
                bucket: spec.name.clone(),
                tags,
            });
        }
        let mut policy_changed = false;
        for stmt in &spec.statements {
            let sid = stmt["Sid"].as_str().unwrap_or_default();
            let have = actual
                .policy
                .as_ref()
                .and_then(|p| statement_by_sid(p, sid));
            if have.map(normalize) != Some(normalize(stmt)) {
                policy_changed = true;
                let kind = if sid == desired::BUCKET_SID_TLS {
                    "bucket.policy-tls-deny"
                } else {
                    "bucket.policy-cloudtrail"
                };
                diffs.push(diff(
                    &format!("policy.Statement[{sid}]"),
                    kind,
                    stmt.clone(),
                    have.cloned().unwrap_or(Value::Null),
                    Severity::High,
                ));
            }
        }
        if policy_changed {
            ops.push(Op::PutBucketPolicy {
                bucket: spec.name.clone(),
                policy: merge_statements(actual.policy.as_ref(), &spec.statements),
            });
        }
        if actual.public_access_block != Some([true; 4]) {
            diffs.push(diff(
                "public_access_block",
                "bucket.public-access-block",
                json!([true, true, true, true]),
                json!(actual.public_access_block),
                Severity::High,
            ));
            ops.push(Op::PutPublicAccessBlock {
                bucket: spec.name.clone(),
            });
        }
        let enc_ok = match (&actual.encryption, &spec.kms_key_id) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(e), Some(k)) => {
                e.algorithm.starts_with("aws:kms")
                    && e.kms_key_id
                        .as_deref()
                        .is_some_and(|have| same_key(have, k))
            }
        };
        if !enc_ok {
            diffs.push(diff(
                "encryption",
                "bucket.encryption",
                match &spec.kms_key_id {
                    Some(k) => json!({"algorithm": "aws:kms", "kms_key_id": k}),
                    None => json!({"algorithm": "AES256 or aws:kms"}),
                },
                json!(actual.encryption),
                Severity::Medium,
            ));
            ops.push(Op::PutBucketEncryption {
                bucket: spec.name.clone(),
                kms_key_id: spec.kms_key_id.clone(),
            });
        }
        if actual.versioning.as_deref() != Some("Enabled") {
            diffs.push(diff(
                "versioning",
                "bucket.versioning",
                json!("Enabled"),
                json!(actual.versioning),
                Severity::Medium,
            ));
            ops.push(Op::PutBucketVersioning {
                bucket: spec.name.clone(),
            });
        }
        self.push(address, "s3_bucket", Action::Update, diffs, ops);
    }

    fn role(&mut self) {
        let Some(spec) = &self.d.role else { return };
        let address = format!("iam_role.{}", spec.name);
        let Some(actual) = &self.a.role else {
            self.push(
                address,
                "iam_role",
                Action::Create,
                vec![missing("role")],
                vec![
                    Op::CreateRole {
                        role: spec.name.clone(),
                        trust_policy: spec.trust_policy.clone(),
                        tags: spec.tags.clone(),
                    },
                    Op::PutRolePolicy {
                        role: spec.name.clone(),
                        policy_name: spec.policy_name.clone(),
                        policy: spec.policy.clone(),
                    },
                ],
            );
            return;
        };
        if !spec.adopted && !is_managed(&actual.tags) {
            self.conflict(
                "foreign-role",
                &address,
                format!(
                    "IAM role `{}` exists but was not created by trailwarden; name it in the config (`[role] name = \"{}\"`) to adopt it, or choose another name",
                    spec.name, spec.name
                ),
            );
            return;
        }
        let mut diffs = Vec::new();
        let mut ops = Vec::new();
        if normalize(&actual.trust_policy) != normalize(&spec.trust_policy) {
            diffs.push(diff(
                "trust_policy",
                "role.trust",
                spec.trust_policy.clone(),
                actual.trust_policy.clone(),
                Severity::High,
            ));
            ops.push(Op::UpdateAssumeRolePolicy {
                role: spec.name.clone(),
                trust_policy: spec.trust_policy.clone(),
            });
        }
        if actual.policy.as_ref().map(normalize) != Some(normalize(&spec.policy)) {
            diffs.push(diff(
                &format!("policy[{}]", spec.policy_name),
                "role.policy",
                spec.policy.clone(),
                actual.policy.clone().unwrap_or(Value::Null),
                Severity::High,
            ));
            ops.push(Op::PutRolePolicy {
                role: spec.name.clone(),
                policy_name: spec.policy_name.clone(),
                policy: spec.policy.clone(),
            });
        }
        self.push(address, "iam_role", Action::Update, diffs, ops);
    }

    fn log_group(&mut self) {
        let spec = &self.d.log_group;
        let address = format!("log_group.{}", spec.name);
        let Some(actual) = &self.a.log_group else {
            let mut ops = vec![Op::CreateLogGroup {
                log_group: spec.name.clone(),
                tags: spec.tags.clone(),
            }];
            if let Some(days) = spec.retention_days {
                ops.push(Op::PutRetentionPolicy {
                    log_group: spec.name.clone(),
                    days,
                });
            }
            self.push(
                address,
                "log_group",
                Action::Create,
                vec![missing("log_group")],
                ops,
            );
            return;
        };
        if spec.managed && !spec.adopted && !is_managed(&actual.tags) {
            self.conflict(
                "foreign-log-group",
                &address,
                format!(
                    "log group `{}` exists but was not created by trailwarden; name it in the config (`[log_group] name = \"{}\"`) to adopt it, or choose another name",
                    spec.name, spec.name
                ),
            );
            return;
        }
        let mut diffs = Vec::new();
        let mut ops = Vec::new();
        if let Some(days) = spec.retention_days {
            if actual.retention_days != Some(days) {
                diffs.push(diff(
                    "retention_days",
                    "log_group.retention",
                    json!(days),
                    json!(actual.retention_days),
                    Severity::Medium,
                ));
                ops.push(Op::PutRetentionPolicy {
                    log_group: spec.name.clone(),
                    days,
                });
            }
        }
        self.push(address, "log_group", Action::Update, diffs, ops);
    }

    fn topics(&mut self) {
        for spec in &self.d.topics {
            let address = format!("sns_topic.{}", spec.name);
            let ours: Vec<Value> = spec.policy["Statement"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            match self.a.topics.get(&spec.name) {
                None => {
                    let mut statements = vec![default_topic_statement(&self.d.target, &spec.arn)];
                    statements.extend(ours.clone());
                    let mut ops = vec![
                        Op::CreateTopic {
                            topic: spec.name.clone(),
                            tags: spec.tags.clone(),
                        },
                        Op::SetTopicAttribute {
                            topic_arn: spec.arn.clone(),
                            name: "Policy".into(),
                            value: desired::policy_doc(statements).to_string(),
                        },
                    ];
                    if let Some(k) = &spec.kms_key_id {
                        ops.push(Op::SetTopicAttribute {
                            topic_arn: spec.arn.clone(),
                            name: "KmsMasterKeyId".into(),
                            value: k.clone(),
                        });
                    }
                    self.push(
                        address,
                        "sns_topic",
                        Action::Create,
                        vec![missing("topic")],
                        ops,
                    );
                    for email in &spec.emails {
                        self.push(
                            format!("sns_subscription.{}/{}", spec.name, email),
                            "sns_subscription",
                            Action::Create,
                            vec![missing("subscription")],
                            vec![Op::Subscribe {
                                topic_arn: spec.arn.clone(),
                                email: email.clone(),
                            }],
                        );
                    }
                }
                Some(actual) => {
                    if !spec.adopted && !is_managed(&actual.tags) {
                        self.conflict(
                            "foreign-topic",
                            &address,
                            format!(
                                "SNS topic `{}` exists but was not created by trailwarden; name it in the config (`[topics.{}] name = \"{}\"`) to adopt it, or choose another name",
                                spec.name, spec.key, spec.name
                            ),
                        );
                        continue;
                    }
                    let mut diffs = Vec::new();
                    let mut ops = Vec::new();
                    let mut policy_changed = false;
                    for stmt in &ours {
                        let sid = stmt["Sid"].as_str().unwrap_or_default();
                        let have = actual
                            .policy
                            .as_ref()
                            .and_then(|p| statement_by_sid(p, sid));
                        if have.map(normalize) != Some(normalize(stmt)) {
                            policy_changed = true;
                            diffs.push(diff(
                                &format!("policy.Statement[{sid}]"),
                                "topic.policy",
                                stmt.clone(),
                                have.cloned().unwrap_or(Value::Null),
                                Severity::High,
                            ));
                        }
                    }
                    if policy_changed {
                        ops.push(Op::SetTopicAttribute {
                            topic_arn: actual.arn.clone(),
                            name: "Policy".into(),
                            value: merge_statements(actual.policy.as_ref(), &ours).to_string(),
                        });
                    }
                    let aws_managed = actual
                        .kms_key_id
                        .as_deref()
                        .is_some_and(|k| k == "alias/aws/sns" || k.ends_with(":alias/aws/sns"));
                    let kms_wrong = match (&spec.kms_key_id, &actual.kms_key_id) {
                        (Some(want), Some(have)) => !same_key(have, want),
                        (Some(_), None) => true,
                        _ => false,
                    };
                    if aws_managed || kms_wrong {
                        diffs.push(diff(
                            "kms_master_key_id",
                            if aws_managed {
                                "topic.aws-managed-key"
                            } else {
                                "topic.kms-key"
                            },
                            json!(spec.kms_key_id),
                            json!(actual.kms_key_id),
                            Severity::High,
                        ));
                        // The AWS-managed key cannot be used by CloudWatch: notifications are
                        // dropped. Use the configured customer key, or turn SSE off.
                        ops.push(Op::SetTopicAttribute {
                            topic_arn: actual.arn.clone(),
                            name: "KmsMasterKeyId".into(),
                            value: spec.kms_key_id.clone().unwrap_or_default(),
                        });
                    }
                    self.push(address, "sns_topic", Action::Update, diffs, ops);
                    for email in &spec.emails {
                        let sub = actual.subscriptions.iter().find(|s| {
                            s.protocol == "email" && s.endpoint.eq_ignore_ascii_case(email)
                        });
                        let sub_address = format!("sns_subscription.{}/{}", spec.name, email);
                        match sub {
                            None => self.push(
                                sub_address,
                                "sns_subscription",
                                Action::Create,
                                vec![missing("subscription")],
                                vec![Op::Subscribe {
                                    topic_arn: actual.arn.clone(),
                                    email: email.clone(),
                                }],
                            ),
                            Some(s) if s.pending() => self.warn(
                                "subscription-pending",
                                Some(&sub_address),
                                format!(
                                    "{email} has not confirmed the subscription to `{}` yet: nobody is notified until the link in AWS's email is clicked",
                                    spec.name
                                ),
                            ),
                            Some(_) => {}
                        }
                    }
                }
            }
        }
    }

    fn trail(&mut self) {
        let spec = &self.d.trail;
        let region = &self.d.target.region;
        let address = format!("trail.{}", spec.name);
        let actual = self.a.trails.iter().find(|t| {
            (t.name == spec.name || t.arn == spec.arn)
                && t.home_region.as_deref().is_none_or(|r| r == region)
        });
        let others: Vec<&TrailState> = self
            .a
            .trails
            .iter()
            .filter(|t| t.name != spec.name && t.arn != spec.arn && t.multi_region)
            .collect();
        let Some(actual) = actual else {
            if spec.adopted {
                self.conflict(
                    "adopted-trail-missing",
                    &address,
                    format!(
                        "trail `{}` named for adoption does not exist in {region}",
                        spec.name
                    ),
                );
                return;
            }
            if let Some(other) = others.first() {
                self.warn(
                    "existing-multi-region-trail",
                    Some(&address),
                    format!(
                        "the account already has multi-region trail `{}`{}; a second trail records management events again and is billed — reuse it with `--adopt-trail {}` (or `[trail] name = \"{}\"` and `adopt = true`)",
                        other.name,
                        if other.organization_trail { " (an organization trail)" } else { "" },
                        other.name,
                        other.name
                    ),
                );
            }
            self.push(
                address,
                "trail",
                Action::Create,
                vec![missing("trail")],
                vec![
                    Op::CreateTrail {
                        trail: spec.clone(),
                    },
                    Op::StartLogging {
                        trail: spec.name.clone(),
                    },
                ],
            );
            return;
        };
        if !spec.adopted && !is_managed(&actual.tags) {
            self.conflict(
                "foreign-trail",
                &address,
                format!(
                    "trail `{}` exists but was not created by trailwarden; adopt it with `--adopt-trail {}` or choose another name",
                    spec.name, spec.name
                ),
            );
            return;
        }
        let mut diffs = Vec::new();
        let mut update = false;
        let check = |field: &str,
                     kind: &str,
                     want: Value,
                     have: Value,
                     sev: Severity,
                     diffs: &mut Vec<FieldDiff>| {
            if want != have {
                diffs.push(diff(field, kind, want, have, sev));
                true
            } else {
                false
            }
        };
        update |= check(
            "multi_region",
            "trail.multi-region",
            json!(true),
            json!(actual.multi_region),
            Severity::High,
            &mut diffs,
        );
        update |= check(
            "include_global_service_events",
            "trail.global-events",
            json!(true),
            json!(actual.include_global_events),
            Severity::High,
            &mut diffs,
        );
        update |= check(
            "log_file_validation",
            "trail.log-file-validation",
            json!(true),
            json!(actual.log_file_validation),
            Severity::Medium,
            &mut diffs,
        );
        // `...:log-group:NAME:*` and `...:log-group:NAME` name the same group.
        let have_group = actual
            .cw_log_group_arn
            .as_deref()
            .map(|a| a.trim_end_matches(":*"));
        if have_group != Some(spec.cw_log_group_arn.trim_end_matches(":*")) {
            diffs.push(diff(
                "cloudwatch_logs_log_group_arn",
                if have_group.is_none() {
                    "trail.no-cloudwatch-logs"
                } else {
                    "trail.log-group"
                },
                json!(spec.cw_log_group_arn),
                json!(actual.cw_log_group_arn),
                Severity::High,
            ));
            update = true;
        }
        update |= check(
            "cloudwatch_logs_role_arn",
            "trail.role",
            json!(spec.cw_role_arn),
            json!(actual.cw_role_arn),
            Severity::High,
            &mut diffs,
        );
        if !spec.adopted {
            update |= check(
                "s3_bucket_name",
                "trail.bucket",
                json!(spec.s3_bucket),
                json!(actual.s3_bucket),
                Severity::High,
                &mut diffs,
            );
            update |= check(
                "s3_key_prefix",
                "trail.bucket-prefix",
                json!(spec.s3_prefix),
                json!(actual.s3_prefix.clone().filter(|p| !p.is_empty())),
                Severity::Medium,
                &mut diffs,
            );
        }
        if let Some(k) = &spec.kms_key_id {
            if !actual
                .kms_key_id
                .as_deref()
                .is_some_and(|have| same_key(have, k))
            {
                diffs.push(diff(
                    "kms_key_id",
                    "trail.kms-key",
                    json!(k),
                    json!(actual.kms_key_id),
                    Severity::Medium,
                ));
                update = true;
            }
        }
        if let Some(t) = &spec.sns_topic {
            let name = t.rsplit(':').next().unwrap_or(t);
            let have = actual
                .sns_topic_arn
                .as_deref()
                .map(|a| a.rsplit(':').next().unwrap_or(a));
            if have != Some(name) {
                diffs.push(diff(
                    "sns_topic",
                    "trail.sns-topic",
                    json!(t),
                    json!(actual.sns_topic_arn),
                    Severity::Low,
                ));
                update = true;
            }
        }
        let mut ops = Vec::new();
        if update {
            ops.push(Op::UpdateTrail {
                trail: spec.clone(),
            });
        }
        if actual.is_logging == Some(false) {
            diffs.push(diff(
                "is_logging",
                "trail.not-logging",
                json!(true),
                json!(false),
                Severity::High,
            ));
            ops.push(Op::StartLogging {
                trail: spec.name.clone(),
            });
        }
        if actual.organization_trail && spec.adopted {
            self.warn(
                "organization-trail",
                Some(&address),
                format!("trail `{}` is an organization trail; its settings are managed from the management account", spec.name),
            );
        }
        self.push(address, "trail", Action::Update, diffs, ops);
    }

    fn filters(&mut self) {
        for spec in &self.d.filters {
            let address = format!("metric_filter.{}", spec.name);
            let actual = self.a.filters.iter().find(|f| f.name == spec.name);
            let op = Op::PutMetricFilter {
                filter: spec.clone(),
            };
            let Some(actual) = actual else {
                self.push(
                    address,
                    "metric_filter",
                    Action::Create,
                    vec![missing("metric_filter")],
                    vec![op],
                );
                continue;
            };
            let mut diffs = Vec::new();
            if actual.pattern != spec.pattern {
                diffs.push(diff(
                    "pattern",
                    "metric_filter.pattern",
                    json!(spec.pattern),
                    json!(actual.pattern),
                    Severity::High,
                ));
            }
            let mt = actual.metric_transformations.first();
            let fields: [(&str, &str, &String, Option<&String>); 3] = [
                (
                    "metric_name",
                    "metric_filter.metric-name",
                    &spec.metric_name,
                    mt.map(|m| &m.metric_name),
                ),
                (
                    "namespace",
                    "metric_filter.namespace",
                    &spec.namespace,
                    mt.map(|m| &m.namespace),
                ),
                (
                    "metric_value",
                    "metric_filter.value",
                    &spec.metric_value,
                    mt.map(|m| &m.metric_value),
                ),
            ];
            for (field, kind, want, have) in fields {
                if Some(want) != have {
                    diffs.push(diff(field, kind, json!(want), json!(have), Severity::High));
                }
            }
            let ops = if diffs.is_empty() { vec![] } else { vec![op] };
            self.push(address, "metric_filter", Action::Update, diffs, ops);
        }
    }

    fn alarms(&mut self) {
        for spec in &self.d.alarms {
            let address = format!("alarm.{}", spec.name);
            let op = Op::PutMetricAlarm {
                alarm: spec.clone(),
            };
            let Some(a) = self.a.alarms.get(&spec.name) else {
                self.push(
                    address,
                    "alarm",
                    Action::Create,
                    vec![missing("alarm")],
                    vec![op],
                );
                continue;
            };
            let mut diffs = Vec::new();
            let mut cmp = |field: &str, kind: &str, want: Value, have: Value, sev: Severity| {
                if want != have {
                    diffs.push(diff(field, kind, want, have, sev));
                }
            };
            // An alarm on a metric no filter emits never fires: the chain is broken.
            cmp(
                "metric_name",
                "alarm.metric-mismatch",
                json!(spec.metric_name),
                json!(a.metric_name),
                Severity::High,
            );
            cmp(
                "namespace",
                "alarm.metric-mismatch",
                json!(spec.namespace),
                json!(a.namespace),
                Severity::High,
            );
            cmp(
                "statistic",
                "alarm.statistic",
                json!(spec.statistic),
                json!(a.statistic),
                Severity::Medium,
            );
            cmp(
                "period",
                "alarm.period",
                json!(spec.period),
                json!(a.period),
                Severity::Medium,
            );
            cmp(
                "evaluation_periods",
                "alarm.evaluation-periods",
                json!(spec.evaluation_periods),
                json!(a.evaluation_periods),
                Severity::Medium,
            );
            cmp(
                "datapoints_to_alarm",
                "alarm.datapoints-to-alarm",
                json!(spec.datapoints_to_alarm),
                json!(a.datapoints_to_alarm.or(a.evaluation_periods)),
                Severity::Medium,
            );
            cmp(
                "threshold",
                "alarm.threshold",
                json!(spec.threshold),
                json!(a.threshold),
                Severity::Medium,
            );
            cmp(
                "comparison",
                "alarm.comparison",
                json!(spec.comparison),
                json!(a.comparison),
                Severity::Medium,
            );
            cmp(
                "treat_missing_data",
                "alarm.treat-missing-data",
                json!(spec.treat_missing_data),
                json!(a
                    .treat_missing_data
                    .clone()
                    .unwrap_or_else(|| "missing".into())),
                Severity::Low,
            );
            cmp(
                "actions_enabled",
                "alarm.actions-disabled",
                json!(true),
                json!(a.actions_enabled),
                Severity::High,
            );
            let mut want_actions = spec.actions.clone();
            want_actions.sort();
            let mut have_actions = a.alarm_actions.clone();
            have_actions.sort();
            cmp(
                "alarm_actions",
                "alarm.actions",
                json!(want_actions),
                json!(have_actions),
                Severity::High,
            );
            let ops = if diffs.is_empty() { vec![] } else { vec![op] };
            self.push(address, "alarm", Action::Update, diffs, ops);
        }
    }
}

/// A key given as id, ARN or alias matches the key read back when one ends with the other.
fn same_key(have: &str, want: &str) -> bool {
    have == want || have.ends_with(&format!("/{want}")) || want.ends_with(&format!("/{have}"))
}

/// The statement SNS puts on a new topic: the owning account may manage it.
fn default_topic_statement(target: &Target, topic_arn: &str) -> Value {
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

#[cfg(test)]
mod tests;
