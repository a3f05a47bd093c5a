//! Executing one [`Op`].

use super::{sdk_error, Aws, AwsError};
use crate::model::{AlarmSpec, FilterSpec, Op, Tags, TrailSpec};
use aws_smithy_types::error::operation::BuildError;
use serde_json::Value;

pub(super) fn build_error(api: &str, err: BuildError) -> AwsError {
    AwsError::Other(format!("{api}: invalid request: {err}"))
}

fn to_json(api: &str, value: &Value) -> Result<String, AwsError> {
    serde_json::to_string(value)
        .map_err(|e| AwsError::Other(format!("{api}: cannot serialize the policy: {e}")))
}

fn some_if_any<T>(items: Vec<T>) -> Option<Vec<T>> {
    (!items.is_empty()).then_some(items)
}

/// The error a create answers when the resource exists: after a retried request whose first
/// attempt succeeded (its response lost to a 5xx or a timeout), or a concurrent apply.
fn already_exists(op: &Op, err: &AwsError) -> bool {
    let code = err.code().unwrap_or_default();
    match op {
        Op::CreateBucket { .. } => code == "BucketAlreadyOwnedByYou",
        Op::CreateRole { .. } => code == "EntityAlreadyExists",
        Op::CreateLogGroup { .. } => code == "ResourceAlreadyExistsException",
        Op::CreateTrail { .. } => code == "TrailAlreadyExistsException",
        _ => false,
    }
}

impl Aws {
    /// Performs one write. Errors carry `op.api()` and the AWS error code.
    ///
    /// A create answered "already exists" counts as done when the resource is the one asked
    /// for: tagged as trailwarden's (the tags are part of the create request, so a resource
    /// created by an earlier attempt or by another trailwarden run carries them), or for a
    /// bucket, owned by this account (`BucketAlreadyOwnedByYou`; its tags are written by the
    /// next request of the same change). Anything else stays an error.
    pub async fn execute(&self, op: &Op) -> Result<(), AwsError> {
        match self.execute_once(op).await {
            Err(e) if already_exists(op, &e) => match self.created_as_asked(op).await {
                Ok(true) => Ok(()),
                Ok(false) => Err(e),
                Err(read) => Err(AwsError::Other(format!(
                    "{e}; and it could not be read back to tell whether it is trailwarden's: {read}"
                ))),
            },
            other => other,
        }
    }

    /// After "already exists": is the existing resource trailwarden's? Read a few times, as IAM
    /// and CloudTrail reads can lag behind the create that made it (eventual consistency).
    async fn created_as_asked(&self, op: &Op) -> Result<bool, AwsError> {
        if matches!(op, Op::CreateBucket { .. }) {
            return Ok(true);
        }
        let mut last = Ok(false);
        for attempt in 0..3 {
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
            last = self
                .existing_tags(op)
                .await
                .map(|tags| tags.is_some_and(|t| crate::model::is_managed(&t)));
            if matches!(last, Ok(true)) {
                break;
            }
        }
        last
    }

    /// The tags of the resource a create op names; `None` when it cannot be found.
    async fn existing_tags(&self, op: &Op) -> Result<Option<Tags>, AwsError> {
        use super::read::absent;
        match op {
            Op::CreateRole { role, .. } => {
                let out = self.iam.get_role().role_name(role).send().await;
                Ok(absent(out.map_err(|e| sdk_error("iam:GetRole", e)))?
                    .and_then(|o| o.role)
                    .map(|r| {
                        r.tags()
                            .iter()
                            .map(|t| (t.key().to_string(), t.value().to_string()))
                            .collect()
                    }))
            }
            Op::CreateLogGroup { log_group, .. } => {
                let arn = crate::arn::log_group(
                    crate::model::partition_of(self.region()),
                    self.region(),
                    &self.bucket_owner().unwrap_or_default(),
                    log_group,
                );
                let out = self
                    .logs
                    .list_tags_for_resource()
                    .resource_arn(arn)
                    .send()
                    .await;
                Ok(
                    absent(out.map_err(|e| sdk_error("logs:ListTagsForResource", e)))?
                        .map(|o| o.tags.unwrap_or_default().into_iter().collect()),
                )
            }
            Op::CreateTrail { trail } => {
                let out = self
                    .cloudtrail
                    .list_tags()
                    .resource_id_list(&trail.arn)
                    .send()
                    .await;
                Ok(
                    absent(out.map_err(|e| sdk_error("cloudtrail:ListTags", e)))?.map(|o| {
                        o.resource_tag_list()
                            .iter()
                            .flat_map(|r| r.tags_list())
                            .map(|t| {
                                (
                                    t.key().to_string(),
                                    t.value().unwrap_or_default().to_string(),
                                )
                            })
                            .collect()
                    }),
                )
            }
            _ => Ok(None),
        }
    }

    async fn execute_once(&self, op: &Op) -> Result<(), AwsError> {
        let api = op.api();
        match op {
            Op::CreateBucket { bucket, region } => self.create_bucket(api, bucket, region).await,
            Op::PutBucketTagging { bucket, tags } => {
                use aws_sdk_s3::types::{Tag, Tagging};
                let tag_set = tags
                    .iter()
                    .map(|(k, v)| Tag::builder().key(k).value(v).build())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| build_error(api, e))?;
                let tagging = Tagging::builder()
                    .set_tag_set(Some(tag_set))
                    .build()
                    .map_err(|e| build_error(api, e))?;
                self.s3_for(bucket)
                    .0
                    .put_bucket_tagging()
                    .bucket(bucket)
                    .set_expected_bucket_owner(self.bucket_owner())
                    .tagging(tagging)
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| sdk_error(api, e))
            }
            Op::PutBucketPolicy { bucket, policy } => self
                .s3_for(bucket)
                .0
                .put_bucket_policy()
                .bucket(bucket)
                .set_expected_bucket_owner(self.bucket_owner())
                .policy(to_json(api, policy)?)
                .send()
                .await
                .map(drop)
                .map_err(|e| sdk_error(api, e)),
            Op::PutPublicAccessBlock { bucket } => {
                let config = aws_sdk_s3::types::PublicAccessBlockConfiguration::builder()
                    .block_public_acls(true)
                    .ignore_public_acls(true)
                    .block_public_policy(true)
                    .restrict_public_buckets(true)
                    .build();
                self.s3_for(bucket)
                    .0
                    .put_public_access_block()
                    .bucket(bucket)
                    .set_expected_bucket_owner(self.bucket_owner())
                    .public_access_block_configuration(config)
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| sdk_error(api, e))
            }
            Op::PutBucketEncryption { bucket, kms_key_id } => {
                self.put_bucket_encryption(api, bucket, kms_key_id.as_deref())
                    .await
            }
            Op::PutBucketVersioning { bucket } => {
                use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
                self.s3_for(bucket)
                    .0
                    .put_bucket_versioning()
                    .bucket(bucket)
                    .set_expected_bucket_owner(self.bucket_owner())
                    .versioning_configuration(
                        VersioningConfiguration::builder()
                            .status(BucketVersioningStatus::Enabled)
                            .build(),
                    )
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| sdk_error(api, e))
            }
            Op::CreateRole {
                role,
                trust_policy,
                tags,
            } => self
                .iam
                .create_role()
                .role_name(role)
                .assume_role_policy_document(to_json(api, trust_policy)?)
                .set_tags(some_if_any(iam_tags(api, tags)?))
                .send()
                .await
                .map(drop)
                .map_err(|e| sdk_error(api, e)),
            Op::UpdateAssumeRolePolicy { role, trust_policy } => self
                .iam
                .update_assume_role_policy()
                .role_name(role)
                .policy_document(to_json(api, trust_policy)?)
                .send()
                .await
                .map(drop)
                .map_err(|e| sdk_error(api, e)),
            Op::PutRolePolicy {
                role,
                policy_name,
                policy,
            } => self
                .iam
                .put_role_policy()
                .role_name(role)
                .policy_name(policy_name)
                .policy_document(to_json(api, policy)?)
                .send()
                .await
                .map(drop)
                .map_err(|e| sdk_error(api, e)),
            Op::TagRole { role, tags } => self
                .iam
                .tag_role()
                .role_name(role)
                .set_tags(Some(iam_tags(api, tags)?))
                .send()
                .await
                .map(drop)
                .map_err(|e| sdk_error(api, e)),
            Op::CreateLogGroup { log_group, tags } => self
                .logs
                .create_log_group()
                .log_group_name(log_group)
                .set_tags((!tags.is_empty()).then(|| tags.clone().into_iter().collect()))
                .send()
                .await
                .map(drop)
                .map_err(|e| sdk_error(api, e)),
            Op::PutRetentionPolicy { log_group, days } => self
                .logs
                .put_retention_policy()
                .log_group_name(log_group)
                .retention_in_days(*days)
                .send()
                .await
                .map(drop)
                .map_err(|e| sdk_error(api, e)),
            Op::TagLogGroup { arn, tags } => self
                .logs
                .tag_resource()
                .resource_arn(arn.trim_end_matches(":*"))
                .set_tags(Some(tags.clone().into_iter().collect()))
                .send()
                .await
                .map(drop)
                .map_err(|e| sdk_error(api, e)),
            Op::CreateTrail { trail } => self.create_trail(api, trail).await,
            Op::UpdateTrail { trail } => self.update_trail(api, trail).await,
            Op::PutEventSelectors { trail, selectors } => {
                self.put_event_selectors(api, trail, selectors).await
            }
            Op::StartLogging { trail } => self
                .cloudtrail
                .start_logging()
                .name(trail)
                .send()
                .await
                .map(drop)
                .map_err(|e| sdk_error(api, e)),
            Op::AddTrailTags { arn, tags } => self
                .cloudtrail
                .add_tags()
                .resource_id(arn)
                .set_tags_list(Some(trail_tags(api, tags)?))
                .send()
                .await
                .map(drop)
                .map_err(|e| sdk_error(api, e)),
            Op::CreateTopic { topic, tags } => {
                let tags = tags
                    .iter()
                    .map(|(k, v)| aws_sdk_sns::types::Tag::builder().key(k).value(v).build())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| build_error(api, e))?;
                self.sns
                    .create_topic()
                    .name(topic)
                    .set_tags(some_if_any(tags))
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| sdk_error(api, e))
            }
            Op::SetTopicAttribute {
                topic_arn,
                name,
                value,
            } => self
                .sns
                .set_topic_attributes()
                .topic_arn(topic_arn)
                .attribute_name(name)
                .attribute_value(value)
                .send()
                .await
                .map(drop)
                .map_err(|e| sdk_error(api, e)),
            Op::Subscribe {
                topic_arn,
                subscription,
            } => self
                .sns
                .subscribe()
                .topic_arn(topic_arn)
                .protocol(subscription.protocol.as_str())
                .endpoint(&subscription.endpoint)
                .return_subscription_arn(false)
                .send()
                .await
                .map(drop)
                .map_err(|e| sdk_error(api, e)),
            Op::PutMetricFilter { filter } => self.put_metric_filter(api, filter).await,
            Op::CreateChatChannel { channel } => self.create_chat_channel(api, channel).await,
            Op::UpdateChatChannel { arn, channel } => {
                self.update_chat_channel(api, arn, channel).await
            }
            Op::DeleteMetricFilter { .. }
            | Op::DeleteAlarm { .. }
            | Op::DeleteTopic { .. }
            | Op::Unsubscribe { .. }
            | Op::StopLogging { .. }
            | Op::DeleteTrail { .. }
            | Op::DeleteRolePolicy { .. }
            | Op::DeleteRole { .. }
            | Op::DeleteLogGroup { .. }
            | Op::EmptyBucket { .. }
            | Op::DeleteBucket { .. } => self.delete(op).await,
            Op::PutMetricAlarm {
                alarm,
                ok_actions,
                insufficient_data_actions,
            } => {
                self.put_metric_alarm(api, alarm, ok_actions, insufficient_data_actions)
                    .await
            }
        }
    }

    async fn create_bucket(&self, api: &str, bucket: &str, region: &str) -> Result<(), AwsError> {
        use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
        // us-east-1 is the default location and must not be named.
        let configuration = (region != "us-east-1").then(|| {
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region))
                .build()
        });
        self.s3_in(region)
            .create_bucket()
            .bucket(bucket)
            .set_create_bucket_configuration(configuration)
            .send()
            .await
            .map_err(|e| sdk_error(api, e))?;
        if region != self.region() {
            self.remember_bucket_region(bucket, region);
        }
        Ok(())
    }

    async fn put_bucket_encryption(
        &self,
        api: &str,
        bucket: &str,
        kms_key_id: Option<&str>,
    ) -> Result<(), AwsError> {
        use aws_sdk_s3::types::{
            ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
            ServerSideEncryptionRule,
        };
        let default = match kms_key_id {
            Some(key) => ServerSideEncryptionByDefault::builder()
                .sse_algorithm(ServerSideEncryption::AwsKms)
                .kms_master_key_id(key),
            None => {
                ServerSideEncryptionByDefault::builder().sse_algorithm(ServerSideEncryption::Aes256)
            }
        }
        .build()
        .map_err(|e| build_error(api, e))?;
        let rule = ServerSideEncryptionRule::builder()
            .apply_server_side_encryption_by_default(default)
            .set_bucket_key_enabled(kms_key_id.map(|_| true))
            .build();
        let configuration = ServerSideEncryptionConfiguration::builder()
            .rules(rule)
            .build()
            .map_err(|e| build_error(api, e))?;
        self.s3_for(bucket)
            .0
            .put_bucket_encryption()
            .bucket(bucket)
            .set_expected_bucket_owner(self.bucket_owner())
            .server_side_encryption_configuration(configuration)
            .send()
            .await
            .map(drop)
            .map_err(|e| sdk_error(api, e))
    }

    /// A new trail: multi-region, global service events, log file validation, CloudWatch Logs
    /// delivery. It does not log until StartLogging.
    async fn create_trail(&self, api: &str, trail: &TrailSpec) -> Result<(), AwsError> {
        self.cloudtrail
            .create_trail()
            .name(&trail.name)
            .s3_bucket_name(&trail.s3_bucket)
            .set_s3_key_prefix(trail.s3_prefix.clone())
            .is_multi_region_trail(true)
            .include_global_service_events(true)
            .enable_log_file_validation(true)
            .set_is_organization_trail(trail.organization.then_some(true))
            .cloud_watch_logs_log_group_arn(&trail.cw_log_group_arn)
            .cloud_watch_logs_role_arn(&trail.cw_role_arn)
            .set_kms_key_id(trail.kms_key_id.clone())
            .set_sns_topic_name(trail.sns_topic.clone())
            .set_tags_list(some_if_any(trail_tags(api, &trail.tags)?))
            .send()
            .await
            .map(drop)
            .map_err(|e| sdk_error(api, e))
    }

    /// Brings an existing trail to the spec's settings. A missing key prefix or SNS topic clears
    /// the trail's; a KMS key is never removed implicitly (that would turn log encryption off).
    async fn update_trail(&self, api: &str, trail: &TrailSpec) -> Result<(), AwsError> {
        self.cloudtrail
            .update_trail()
            .name(&trail.name)
            .s3_bucket_name(&trail.s3_bucket)
            .s3_key_prefix(trail.s3_prefix.clone().unwrap_or_default())
            .is_multi_region_trail(true)
            .include_global_service_events(true)
            .enable_log_file_validation(true)
            // Only ever turned on: a trail that is an organization trail while the configuration
            // does not ask for one is left as it is (turning it off stops every member account's
            // logging).
            .set_is_organization_trail(trail.organization.then_some(true))
            .cloud_watch_logs_log_group_arn(&trail.cw_log_group_arn)
            .cloud_watch_logs_role_arn(&trail.cw_role_arn)
            .set_kms_key_id(trail.kms_key_id.clone())
            .sns_topic_name(trail.sns_topic.clone().unwrap_or_default())
            .send()
            .await
            .map(drop)
            .map_err(|e| sdk_error(api, e))
    }

    async fn put_metric_filter(&self, api: &str, filter: &FilterSpec) -> Result<(), AwsError> {
        let transformation = aws_sdk_cloudwatchlogs::types::MetricTransformation::builder()
            .metric_name(&filter.metric_name)
            .metric_namespace(&filter.namespace)
            .metric_value(&filter.metric_value)
            .set_dimensions(
                (!filter.dimensions.is_empty())
                    .then(|| filter.dimensions.clone().into_iter().collect()),
            )
            .build()
            .map_err(|e| build_error(api, e))?;
        self.logs
            .put_metric_filter()
            .log_group_name(&filter.log_group)
            .filter_name(&filter.name)
            .filter_pattern(&filter.pattern)
            .metric_transformations(transformation)
            .send()
            .await
            .map(drop)
            .map_err(|e| sdk_error(api, e))
    }

    async fn put_metric_alarm(
        &self,
        api: &str,
        alarm: &AlarmSpec,
        ok_actions: &[String],
        insufficient_data_actions: &[String],
    ) -> Result<(), AwsError> {
        use aws_sdk_cloudwatch::types::{ComparisonOperator, MetricDataQuery, Statistic, Tag};
        let request = self
            .cloudwatch
            .put_metric_alarm()
            .alarm_name(&alarm.name)
            .alarm_description(&alarm.description);
        let request = match &alarm.query {
            // A Metrics Insights alarm: the query and its period in one returned data query,
            // no metric, statistic or period of the alarm's own ("PutMetricAlarm", Metrics).
            Some(query) => request.metrics(
                MetricDataQuery::builder()
                    .id("accounts")
                    .expression(query)
                    .period(alarm.period)
                    .return_data(true)
                    .build(),
            ),
            None => {
                let request = request
                    .metric_name(&alarm.metric_name)
                    .namespace(&alarm.namespace)
                    .period(alarm.period);
                // Percentiles (`p99`, `tm90`, ...) are extended statistics.
                if Statistic::values().contains(&alarm.statistic.as_str()) {
                    request.statistic(Statistic::from(alarm.statistic.as_str()))
                } else {
                    request.extended_statistic(&alarm.statistic)
                }
            }
        };
        request
            .evaluation_periods(alarm.evaluation_periods)
            .datapoints_to_alarm(alarm.datapoints_to_alarm)
            .threshold(alarm.threshold)
            .comparison_operator(ComparisonOperator::from(alarm.comparison.as_str()))
            .treat_missing_data(&alarm.treat_missing_data)
            .actions_enabled(true)
            .set_alarm_actions(Some(alarm.actions.clone()))
            .set_ok_actions(some_if_any(ok_actions.to_vec()))
            .set_insufficient_data_actions(some_if_any(insufficient_data_actions.to_vec()))
            .set_tags(some_if_any(
                alarm
                    .tags
                    .iter()
                    .map(|(k, v)| Tag::builder().key(k).value(v).build())
                    .collect(),
            ))
            .send()
            .await
            .map(drop)
            .map_err(|e| sdk_error(api, e))
    }
}

fn iam_tags(api: &str, tags: &Tags) -> Result<Vec<aws_sdk_iam::types::Tag>, AwsError> {
    tags.iter()
        .map(|(k, v)| aws_sdk_iam::types::Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| build_error(api, e))
}

fn trail_tags(api: &str, tags: &Tags) -> Result<Vec<aws_sdk_cloudtrail::types::Tag>, AwsError> {
    tags.iter()
        .map(|(k, v)| {
            aws_sdk_cloudtrail::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| build_error(api, e))
}
