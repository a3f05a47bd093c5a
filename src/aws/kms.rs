//! Reading the KMS keys the chain depends on: DescribeKey resolves an alias or key id to the
//! key's ARN (what DescribeTrails, GetBucketEncryption and SNS report), GetKeyPolicy reads the
//! policy so the planner can tell whether CloudTrail and CloudWatch may use the key.

use super::read::{absent, join_all, parse_policy};
use super::{sdk_error, Aws, AwsError};
use crate::model::KmsKey;
use std::collections::BTreeMap;

impl Aws {
    pub(super) async fn read_kms_keys(
        &self,
        ids: &[String],
    ) -> Result<BTreeMap<String, KmsKey>, AwsError> {
        let keys = join_all(ids.iter().map(|id| self.read_kms_key(id)).collect()).await;
        let mut found = BTreeMap::new();
        for (id, key) in ids.iter().zip(keys) {
            if let Some(key) = key? {
                found.insert(id.clone(), key);
            }
        }
        Ok(found)
    }

    async fn read_kms_key(&self, id: &str) -> Result<Option<KmsKey>, AwsError> {
        let out = self.kms.describe_key().key_id(id).send().await;
        let Some(meta) =
            absent(out.map_err(|e| sdk_error("kms:DescribeKey", e)))?.and_then(|o| o.key_metadata)
        else {
            return Ok(None);
        };
        let arn = meta.arn().unwrap_or(id).to_string();
        let manager = meta
            .key_manager()
            .map(|m| m.as_str().to_string())
            .unwrap_or_default();
        // GetKeyPolicy works only in the key's own account; AWS-managed keys' policies are
        // AWS's. Either way an unreadable policy is reported as unknown, not as an error.
        let policy = match self
            .kms
            .get_key_policy()
            .key_id(&arn)
            .policy_name("default")
            .send()
            .await
        {
            Ok(out) => out.policy().map(parse_policy),
            Err(_) => None,
        };
        Ok(Some(KmsKey {
            arn,
            manager,
            policy,
        }))
    }
}
