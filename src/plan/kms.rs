//! KMS keys the chain depends on: resolving aliases, and whether a key's policy lets the
//! service that must use it do so. Without the grant, CloudTrail's log delivery or CloudWatch's
//! notifications fail without an error anyone sees.

use serde_json::{json, Value};

use super::*;

/// Who must be able to use a key, and for what.
pub(crate) struct KeyUse {
    pub service: &'static str,
    pub actions: &'static [&'static str],
}

/// The trail's log file key: CloudTrail encrypts with it and describes it ("Configure AWS KMS
/// key policies for CloudTrail", AWS CloudTrail User Guide).
pub(crate) const TRAIL_KEY: KeyUse = KeyUse {
    service: "cloudtrail.amazonaws.com",
    actions: &["kms:GenerateDataKey", "kms:DescribeKey"],
};

/// The bucket's default encryption key: CloudTrail writes the objects, so S3 asks KMS for a data
/// key on its behalf.
pub(crate) const BUCKET_KEY: KeyUse = KeyUse {
    service: "cloudtrail.amazonaws.com",
    actions: &["kms:GenerateDataKey"],
};

/// A topic's key: CloudWatch publishes the alarm notifications ("Encryption at rest", Amazon SNS
/// Developer Guide: the key policy must allow the publishing service kms:GenerateDataKey* and
/// kms:Decrypt).
pub(crate) const TOPIC_KEY: KeyUse = KeyUse {
    service: "cloudwatch.amazonaws.com",
    actions: &["kms:GenerateDataKey", "kms:Decrypt"],
};

/// `pattern` (an IAM action with `*` and `?` wildcards) matches `action`, case-insensitively.
fn glob(pattern: &str, action: &str) -> bool {
    fn go(p: &[u8], a: &[u8]) -> bool {
        match (p.first(), a.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], a) || (!a.is_empty() && go(p, &a[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &a[1..]),
            (Some(x), Some(y)) if x.eq_ignore_ascii_case(y) => go(&p[1..], &a[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), action.as_bytes())
}

fn any_string(value: &Value, test: impl Fn(&str) -> bool) -> bool {
    match value {
        Value::String(s) => test(s),
        Value::Array(items) => items.iter().filter_map(Value::as_str).any(test),
        _ => false,
    }
}

/// The actions of `need` that no Allow statement of `policy` grants to its service.
pub(crate) fn missing_grants(policy: &Value, need: &KeyUse) -> Vec<&'static str> {
    let grants = |stmt: &Value, action: &str| {
        let principal = &stmt["Principal"];
        let to_service = principal == "*"
            || any_string(&principal["AWS"], |p| p == "*")
            || any_string(&principal["Service"], |s| s == need.service);
        stmt["Effect"] == "Allow"
            && to_service
            && any_string(&stmt["Action"], |pattern| glob(pattern, action))
    };
    need.actions
        .iter()
        .copied()
        .filter(|action| {
            !policy::statements(policy)
                .into_iter()
                .any(|s| grants(s, action))
        })
        .collect()
}

impl Planner<'_> {
    /// `have` (as a service reports the key, usually its ARN) is the key configured as `want`
    /// (an id, ARN or alias, resolved by DescribeKey).
    pub(crate) fn is_key(&self, have: &str, want: &str) -> bool {
        same_key(have, want)
            || self
                .a
                .kms_keys
                .get(want)
                .is_some_and(|k| same_key(have, &k.arn))
    }

    /// Diffs for a configured key that `need.service` cannot use; a conflict when the key does
    /// not exist, a warning when its policy cannot be read.
    pub(crate) fn key_policy(
        &mut self,
        address: &str,
        key_id: &str,
        need: &KeyUse,
        diffs: &mut Diffs,
    ) {
        let Some(key) = self.a.kms_keys.get(key_id) else {
            self.conflict(
                "kms-key-missing",
                address,
                format!(
                    "KMS key `{key_id}` does not exist in {} (kms:DescribeKey found no such key or alias); create it or fix the configuration",
                    self.d.target.region
                ),
            );
            return;
        };
        let Some(policy) = &key.policy else {
            self.warn(
                "kms-key-policy-unreadable",
                Some(address),
                format!(
                    "cannot read the policy of KMS key `{key_id}` (another account's key, or kms:GetKeyPolicy denied): make sure it lets {} use {}",
                    need.service,
                    need.actions.join(" and ")
                ),
            );
            return;
        };
        let missing = missing_grants(policy, need);
        if !missing.is_empty() {
            diffs.push(
                "kms_key_policy",
                DriftKind::KmsKeyPolicy,
                json!(format!(
                    "{} may use {}",
                    need.service,
                    need.actions.join(", ")
                )),
                json!(format!(
                    "{key_id}: no Allow for {} on {}",
                    need.service,
                    missing.join(", ")
                )),
                Severity::High,
            );
        }
    }
}

impl Planner<'_> {
    /// Before creating a resource that uses a key: a key its service cannot use is a conflict,
    /// so nothing is written (CreateTrail would fail half-way with
    /// `InsufficientEncryptionPolicyException`; a bucket or topic would fail silently later).
    pub(crate) fn key_policy_before_create(&mut self, address: &str, key_id: &str, need: &KeyUse) {
        let mut diffs = Diffs::default();
        self.key_policy(address, key_id, need, &mut diffs);
        for d in diffs.0 {
            self.conflict(
                "kms-key-policy",
                address,
                format!(
                    "KMS key policy: {} ({}); add the statement AWS documents for it, then apply again",
                    d.actual.as_str().unwrap_or_default(),
                    d.expected.as_str().unwrap_or_default()
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_globs() {
        assert!(glob("kms:GenerateDataKey*", "kms:GenerateDataKey"));
        assert!(glob("kms:*", "kms:Decrypt"));
        assert!(glob("*", "kms:Decrypt"));
        assert!(glob("KMS:decrypt", "kms:Decrypt"));
        assert!(!glob("kms:Encrypt", "kms:Decrypt"));
        assert!(!glob(
            "kms:GenerateDataKeyWithoutPlaintext",
            "kms:GenerateDataKey"
        ));
    }

    #[test]
    fn key_policies_grant_the_service_or_not() {
        let cloudtrail = json!({"Statement": [
            {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
             "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
            {"Sid": "Allow CloudTrail to encrypt logs", "Effect": "Allow",
             "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:GenerateDataKey*",
             "Resource": "*", "Condition": {"StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:111122223333:trail/*"}}},
            {"Effect": "Allow", "Principal": {"Service": ["cloudtrail.amazonaws.com"]},
             "Action": "kms:DescribeKey", "Resource": "*"}]});
        assert!(missing_grants(&cloudtrail, &TRAIL_KEY).is_empty());
        assert!(missing_grants(&cloudtrail, &BUCKET_KEY).is_empty());
        assert_eq!(
            missing_grants(&cloudtrail, &TOPIC_KEY),
            vec!["kms:GenerateDataKey", "kms:Decrypt"]
        );
        // The account root may use the key, CloudWatch may not: notifications are dropped.
        let root_only = json!({"Statement": {"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}});
        assert_eq!(missing_grants(&root_only, &TOPIC_KEY).len(), 2);
        let denied = json!({"Statement": [{"Effect": "Deny",
            "Principal": {"Service": "cloudwatch.amazonaws.com"}, "Action": "kms:*", "Resource": "*"}]});
        assert_eq!(missing_grants(&denied, &TOPIC_KEY).len(), 2);
    }
}
