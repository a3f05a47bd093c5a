//! Executing the removals: the delete [`Op`]s of `apply` (what the configuration no longer asks
//! for) and of `destroy`.
//!
//! Every delete is idempotent: "does not exist" counts as done, so a removal cut short (or a
//! retried request whose first attempt went through) is finished by the next run.

use super::{is_not_found_code, sdk_error, Aws, AwsError};
use crate::model::Op;

/// DeleteObjects takes at most 1,000 keys ("DeleteObjects", Amazon S3 API Reference,
/// https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html).
const KEYS_PER_DELETE: usize = 1000;

impl Aws {
    pub(super) async fn delete(&self, op: &Op) -> Result<(), AwsError> {
        let api = op.api();
        match self.still_ours(op).await {
            Ok(Ownership::Gone) => return Ok(()),
            Ok(Ownership::NotOurs) => {
                return Err(AwsError::Other(format!(
                    "{api}: not deleted: it no longer carries trailwarden's managed-by tag (it changed after the account was read); run the command again to see the new plan"
                )))
            }
            Ok(Ownership::Ours | Ownership::Unchecked) => {}
            Err(e) => return Err(e),
        }
        let result = match op {
            Op::DeleteMetricFilter { log_group, filter } => self
                .logs
                .delete_metric_filter()
                .log_group_name(log_group)
                .filter_name(filter)
                .send()
                .await
                .map(drop)
                .map_err(|e| sdk_error(api, e)),
            // DeleteAlarms answers success for names that do not exist ("DeleteAlarms", Amazon
            // CloudWatch API Reference: "no error is returned if ... the alarm does not exist";
            // https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DeleteAlarms.html).
            Op::DeleteAlarm { alarm } => self
                .cloudwatch
                .delete_alarms()
                .alarm_names(alarm)
                .send()
                .await
                .map(drop)
                .map_err(|e| sdk_error(api, e)),
            // Deleting a topic deletes its subscriptions; deleting one that does not exist is not
            // an error ("DeleteTopic", Amazon SNS API Reference,
            // https://docs.aws.amazon.com/sns/latest/api/API_DeleteTopic.html).
            Op::DeleteTopic { topic_arn } => self
                .sns
                .delete_topic()
                .topic_arn(topic_arn)
                .send()
                .await
                .map(drop)
                .map_err(|e| sdk_error(api, e)),
            Op::Unsubscribe { subscription_arn } => self
                .sns
                .unsubscribe()
                .subscription_arn(subscription_arn)
                .send()
                .await
                .map(drop)
                .map_err(|e| sdk_error(api, e)),
            Op::StopLogging { trail } => self
                .cloudtrail
                .stop_logging()
                .name(trail)
                .send()
                .await
                .map(drop)
                .map_err(|e| sdk_error(api, e)),
            Op::DeleteTrail { trail } => self
                .cloudtrail
                .delete_trail()
                .name(trail)
                .send()
                .await
                .map(drop)
                .map_err(|e| sdk_error(api, e)),
            Op::DeleteRolePolicy { role, policy_name } => self
                .iam
                .delete_role_policy()
                .role_name(role)
                .policy_name(policy_name)
                .send()
                .await
                .map(drop)
                .map_err(|e| sdk_error(api, e)),
            Op::DeleteRole { role } => self
                .iam
                .delete_role()
                .role_name(role)
                .send()
                .await
                .map(drop)
                .map_err(|e| sdk_error(api, e)),
            Op::DeleteLogGroup { log_group } => self
                .logs
                .delete_log_group()
                .log_group_name(log_group)
                .send()
                .await
                .map(drop)
                .map_err(|e| sdk_error(api, e)),
            Op::EmptyBucket { bucket } => self.empty_bucket(api, bucket).await,
            Op::DeleteBucket { bucket } => self
                .s3_for(bucket)
                .0
                .delete_bucket()
                .bucket(bucket)
                .set_expected_bucket_owner(self.bucket_owner())
                .send()
                .await
                .map(drop)
                .map_err(|e| sdk_error(api, e)),
            other => Err(AwsError::Other(format!("{}: not a removal", other.api()))),
        };
        match result {
            Err(e) if e.code().is_some_and(is_not_found_code) => Ok(()),
            other => other,
        }
    }

    /// The ownership proof, read again right before an alarm or a topic is deleted: the plan was
    /// made from a read that can be minutes old (the confirmation prompt waits for a person),
    /// and someone may have replaced the alarm or the topic under the same name meanwhile. The
    /// trail, role, log group and bucket are checked by the plan only: they are not replaced
    /// by name without breaking the delivery the plan read.
    async fn still_ours(&self, op: &Op) -> Result<Ownership, AwsError> {
        use super::read::absent;
        let tags: Option<crate::model::Tags> = match op {
            Op::DeleteAlarm { alarm } => {
                let out = self
                    .cloudwatch
                    .describe_alarms()
                    .alarm_names(alarm)
                    .send()
                    .await
                    .map_err(|e| sdk_error("cloudwatch:DescribeAlarms", e))?;
                let Some(arn) = out
                    .metric_alarms()
                    .iter()
                    .filter_map(|a| a.alarm_arn())
                    .chain(out.composite_alarms().iter().filter_map(|a| a.alarm_arn()))
                    .next()
                    .map(str::to_string)
                else {
                    return Ok(Ownership::Gone);
                };
                let out = self
                    .cloudwatch
                    .list_tags_for_resource()
                    .resource_arn(arn)
                    .send()
                    .await;
                absent(out.map_err(|e| sdk_error("cloudwatch:ListTagsForResource", e)))?.map(|o| {
                    o.tags()
                        .iter()
                        .map(|t| {
                            (
                                t.key().unwrap_or_default().to_string(),
                                t.value().unwrap_or_default().to_string(),
                            )
                        })
                        .collect()
                })
            }
            Op::DeleteTopic { topic_arn } => {
                let out = self
                    .sns
                    .list_tags_for_resource()
                    .resource_arn(topic_arn)
                    .send()
                    .await;
                absent(out.map_err(|e| sdk_error("sns:ListTagsForResource", e)))?.map(|o| {
                    o.tags()
                        .iter()
                        .map(|t| (t.key().to_string(), t.value().to_string()))
                        .collect()
                })
            }
            _ => return Ok(Ownership::Unchecked),
        };
        Ok(match tags {
            None => Ownership::Gone,
            Some(tags) if crate::model::is_managed(&tags) => Ownership::Ours,
            Some(_) => Ownership::NotOurs,
        })
    }

    /// Deletes every object version and delete marker of a versioned bucket, a page at a time
    /// (ListObjectVersions, then DeleteObjects), so DeleteBucket can follow: S3 refuses to
    /// delete a bucket that holds any version ("DeleteBucket": "All objects (including all
    /// object versions and delete markers) in the bucket must be deleted before the bucket
    /// itself can be deleted", https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucket.html).
    async fn empty_bucket(&self, api: &str, bucket: &str) -> Result<(), AwsError> {
        use aws_sdk_s3::types::{Delete, ObjectIdentifier};
        let s3 = self.s3_for(bucket).0;
        loop {
            let page = s3
                .list_object_versions()
                .bucket(bucket)
                .set_expected_bucket_owner(self.bucket_owner())
                .max_keys(KEYS_PER_DELETE as i32)
                .send()
                .await
                .map_err(|e| sdk_error("s3:ListBucketVersions", e))?;
            let mut ids = Vec::new();
            for (key, version) in page
                .versions()
                .iter()
                .map(|v| (v.key(), v.version_id()))
                .chain(
                    page.delete_markers()
                        .iter()
                        .map(|m| (m.key(), m.version_id())),
                )
            {
                let Some(key) = key else { continue };
                ids.push(
                    ObjectIdentifier::builder()
                        .key(key)
                        .set_version_id(version.map(str::to_string))
                        .build()
                        .map_err(|e| super::write::build_error(api, e))?,
                );
            }
            if ids.is_empty() {
                return Ok(());
            }
            let delete = Delete::builder()
                .set_objects(Some(ids))
                .quiet(true)
                .build()
                .map_err(|e| super::write::build_error(api, e))?;
            let out = s3
                .delete_objects()
                .bucket(bucket)
                .set_expected_bucket_owner(self.bucket_owner())
                .delete(delete)
                .send()
                .await
                .map_err(|e| sdk_error(api, e))?;
            if let Some(err) = out.errors().first() {
                return Err(AwsError::Other(format!(
                    "{api}: {} could not be deleted: {} {}",
                    err.key().unwrap_or_default(),
                    err.code().unwrap_or_default(),
                    err.message().unwrap_or_default()
                )));
            }
        }
    }
}

enum Ownership {
    Ours,
    NotOurs,
    /// Deleted meanwhile: the delete is done.
    Gone,
    /// Not a resource checked at delete time.
    Unchecked,
}
