//! Planning the bucket, the role and the log group.

use serde_json::{json, Value};

use super::*;
use crate::desired;

impl Planner<'_> {
    pub(super) fn bucket(&mut self) {
        let Some(spec) = &self.d.bucket else { return };
        let address = format!("s3_bucket.{}", spec.name);
        let wanted_policy = desired::policy_doc(spec.statements.clone());
        let Some(actual) = &self.a.bucket else {
            if let Some(k) = &spec.kms_key_id {
                self.key_policy_before_create(&address, k, &kms::BUCKET_KEY);
            }
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
                Resource::S3Bucket,
                Action::Create,
                vec![missing(DriftKind::BucketMissing)],
                ops,
            );
            return;
        };
        let mut diffs = Diffs::default();
        let mut ops = Vec::new();
        // Default-named buckets carry the account id and region in their name, so one that
        // exists is this tool's own (possibly from an apply cut short before tagging).
        if !spec.adopted && !is_managed(&actual.tags) {
            let mut tags = actual.tags.clone();
            tags.extend(spec.tags.clone());
            diffs.push(
                "tags",
                DriftKind::BucketTags,
                json!(spec.tags),
                json!(actual.tags),
                Severity::Low,
            );
            ops.push(Op::PutBucketTagging {
                bucket: spec.name.clone(),
                tags,
            });
        }
        let policy_kind = |sid: &str| {
            if sid == desired::BUCKET_SID_TLS {
                DriftKind::BucketPolicyTlsDeny
            } else {
                DriftKind::BucketPolicyCloudtrail
            }
        };
        if diffs.statements(actual.policy.as_ref(), &spec.statements, policy_kind) {
            ops.push(Op::PutBucketPolicy {
                bucket: spec.name.clone(),
                policy: merge_statements(actual.policy.as_ref(), &spec.statements),
            });
        }
        if diffs.compare(
            "public_access_block",
            DriftKind::BucketPublicAccessBlock,
            json!([true, true, true, true]),
            json!(actual.public_access_block),
            Severity::High,
        ) {
            ops.push(Op::PutPublicAccessBlock {
                bucket: spec.name.clone(),
            });
        }
        if let Some(k) = &spec.kms_key_id {
            self.key_policy(&address, k, &kms::BUCKET_KEY, &mut diffs);
        }
        let enc_ok = match (&actual.encryption, &spec.kms_key_id) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(e), Some(k)) => {
                e.algorithm.starts_with("aws:kms")
                    && e.kms_key_id
                        .as_deref()
                        .is_some_and(|have| self.is_key(have, k))
            }
        };
        if !enc_ok {
            diffs.push(
                "encryption",
                DriftKind::BucketEncryption,
                match &spec.kms_key_id {
                    Some(k) => json!({"algorithm": "aws:kms", "kms_key_id": k}),
                    None => json!({"algorithm": "AES256 or aws:kms"}),
                },
                json!(actual.encryption),
                Severity::Medium,
            );
            ops.push(Op::PutBucketEncryption {
                bucket: spec.name.clone(),
                kms_key_id: spec.kms_key_id.clone(),
            });
        }
        if diffs.compare(
            "versioning",
            DriftKind::BucketVersioning,
            json!("Enabled"),
            json!(actual.versioning),
            Severity::Medium,
        ) {
            ops.push(Op::PutBucketVersioning {
                bucket: spec.name.clone(),
            });
        }
        self.push(address, Resource::S3Bucket, Action::Update, diffs.0, ops);
    }

    pub(super) fn role(&mut self) {
        let Some(spec) = &self.d.role else { return };
        let address = format!("iam_role.{}", spec.name);
        let Some(actual) = &self.a.role else {
            self.push(
                address,
                Resource::IamRole,
                Action::Create,
                vec![missing(DriftKind::RoleMissing)],
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
        let mut diffs = Diffs::default();
        let mut ops = Vec::new();
        // Any trust policy that lets CloudTrail assume the role as AWS documents is in sync
        // (an adopted role may trust other principals too); a conditioned or missing CloudTrail
        // statement is replaced, other statements kept.
        if !policy::trusts_cloudtrail(&actual.trust_policy) {
            diffs.push(
                "trust_policy",
                DriftKind::RoleTrust,
                spec.trust_policy.clone(),
                actual.trust_policy.clone(),
                Severity::High,
            );
            ops.push(Op::UpdateAssumeRolePolicy {
                role: spec.name.clone(),
                trust_policy: policy::repair_trust(&actual.trust_policy, &spec.trust_policy),
            });
        }
        if actual.policy.as_ref().map(normalize) != Some(normalize(&spec.policy)) {
            diffs.push(
                &format!("policy[{}]", spec.policy_name),
                DriftKind::RolePolicy,
                spec.policy.clone(),
                actual.policy.clone().unwrap_or(Value::Null),
                Severity::High,
            );
            ops.push(Op::PutRolePolicy {
                role: spec.name.clone(),
                policy_name: spec.policy_name.clone(),
                policy: spec.policy.clone(),
            });
        }
        self.push(address, Resource::IamRole, Action::Update, diffs.0, ops);
    }

    pub(super) fn log_group(&mut self) {
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
                Resource::LogGroup,
                Action::Create,
                vec![missing(DriftKind::LogGroupMissing)],
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
        let mut diffs = Diffs::default();
        let mut ops = Vec::new();
        if let Some(days) = spec.retention_days {
            if diffs.compare(
                "retention_days",
                DriftKind::LogGroupRetention,
                json!(days),
                json!(actual.retention_days),
                Severity::Medium,
            ) {
                ops.push(Op::PutRetentionPolicy {
                    log_group: spec.name.clone(),
                    days,
                });
            }
        }
        self.push(address, Resource::LogGroup, Action::Update, diffs.0, ops);
    }
}
