//! Reading the monitoring chain into [`Actual`], every independent request at once.

use super::objects::{bucket_region, RegionHint};
use super::{is_not_found_code, sdk_error, Aws, AwsError};
use crate::model::{
    Actual, AlarmState, BucketSpec, BucketState, Desired, Encryption, FilterState, LogGroupSpec,
    LogGroupState, MetricTransformation, RoleSpec, RoleState, TopicSpec, TopicState,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

/// DescribeAlarms answers at most 100 alarms a page.
const ALARMS_PER_PAGE: i32 = 100;

/// Runs the futures concurrently on the current task; results in input order.
pub(crate) async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut results: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, result) in futures.iter_mut().zip(results.iter_mut()) {
            if result.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *result = Some(value),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    results.into_iter().flatten().collect()
}

/// What one round of bucket reads found.
enum BucketRead {
    Found(BucketState),
    Missing,
    /// S3 says the bucket is in this other region.
    Elsewhere(String),
}

/// `Ok(None)` for the error codes that mean "does not exist".
pub(crate) fn absent<T>(result: Result<T, AwsError>) -> Result<Option<T>, AwsError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.code().is_some_and(is_not_found_code) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Parses a policy document as IAM returns it (URL-encoded JSON) or as S3/SNS return it (JSON).
pub(crate) fn parse_policy(text: &str) -> Value {
    if let Ok(value) = serde_json::from_str(text) {
        return value;
    }
    match urlencoding::decode(text) {
        Ok(decoded) => {
            serde_json::from_str(&decoded).unwrap_or(Value::String(decoded.into_owned()))
        }
        Err(_) => Value::String(text.to_string()),
    }
}

pub(crate) fn non_empty(value: Option<&str>) -> Option<String> {
    value.filter(|v| !v.is_empty()).map(str::to_string)
}

impl Aws {
    /// Reads everything `desired` names. Missing resources are `None` / absent, never errors.
    pub async fn read(&self, desired: &Desired) -> Result<Actual, AwsError> {
        if desired.target.region != self.region {
            return Err(AwsError::Other(format!(
                "the plan targets region {} but the AWS clients use region {}",
                desired.target.region, self.region
            )));
        }
        let kms_ids = desired.kms_key_ids();
        let (bucket, role, log_group, trails, topics, filters, listed, kms_keys, chat) = tokio::join!(
            self.read_bucket(desired.bucket.as_ref()),
            self.read_role(desired.role.as_ref()),
            self.read_log_group(&desired.log_group),
            self.read_trails(&desired.trail.arn, false),
            self.read_topics(&desired.topics),
            self.read_filters(&desired.log_group.name),
            self.list_alarms(),
            self.read_kms_keys(&kms_ids),
            async {
                if desired.chats.is_empty() {
                    Ok(crate::model::ChatState::default())
                } else {
                    self.read_chat(desired).await
                }
            },
        );
        let sorted = sort_alarms(listed?, desired);
        let (undesired_alarms, undesired_topics) = tokio::join!(
            self.with_alarm_tags(sorted.candidates),
            self.read_topic_tags(sorted.topic_routes.keys().cloned().collect()),
        );
        let undesired_topics = undesired_topics?;
        let mut topic_routes = sorted.topic_routes;
        topic_routes.retain(|arn, _| undesired_topics.contains_key(arn));
        Ok(Actual {
            bucket: bucket?,
            role: role?,
            log_group: log_group?,
            trails: trails?,
            topics: topics?,
            filters: filters?,
            alarms: sorted.desired,
            undesired_alarms: undesired_alarms?,
            undesired_topics,
            topic_routes,
            role_policies: None,
            kms_keys: kms_keys?,
            chat: chat?,
        })
    }

    /// What `destroy` needs besides [`Aws::read`]: the configured alarms' tags (the proof that
    /// they are trailwarden's) and the names of the role's inline policies (the role is global:
    /// it goes only when no other region's delivery policy is left on it).
    pub async fn read_for_destroy(&self, desired: &Desired) -> Result<Actual, AwsError> {
        let mut actual = self.read(desired).await?;
        let alarms = std::mem::take(&mut actual.alarms).into_values().collect();
        let role = desired.role.as_ref().filter(|_| actual.role.is_some());
        let (alarms, policies) = tokio::join!(self.with_alarm_tags(alarms), async {
            match role {
                Some(r) => self.role_policy_names(&r.name).await.map(Some),
                None => Ok(None),
            }
        });
        actual.alarms = alarms?;
        actual.role_policies = policies?;
        Ok(actual)
    }

    async fn role_policy_names(&self, role: &str) -> Result<Vec<String>, AwsError> {
        let mut names = Vec::new();
        let mut pages = self
            .iam
            .list_role_policies()
            .role_name(role)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let Some(out) = absent(page.map_err(|e| sdk_error("iam:ListRolePolicies", e)))? else {
                break;
            };
            names.extend(out.policy_names().iter().cloned());
        }
        Ok(names)
    }

    async fn read_bucket(
        &self,
        spec: Option<&BucketSpec>,
    ) -> Result<Option<BucketState>, AwsError> {
        let Some(spec) = spec else {
            return Ok(None);
        };
        let name = spec.name.as_str();
        let (s3, region) = self.s3_for(name);
        match self.read_bucket_with(&s3, &region, name).await? {
            BucketRead::Found(state) => Ok(Some(state)),
            BucketRead::Missing => Ok(None),
            // The bucket lives in another region: ask there, and send later writes there too.
            BucketRead::Elsewhere(actual) => {
                self.remember_bucket_region(name, &actual);
                let s3 = self.s3_in(&actual);
                match self.read_bucket_with(&s3, &actual, name).await? {
                    BucketRead::Found(state) => Ok(Some(state)),
                    BucketRead::Missing => Ok(None),
                    BucketRead::Elsewhere(again) => Err(AwsError::Other(format!(
                        "bucket {name}: S3 points to region {actual}, then to {again}"
                    ))),
                }
            }
        }
    }

    /// One round of bucket reads through `s3` (a client for `region`).
    async fn read_bucket_with(
        &self,
        s3: &aws_sdk_s3::Client,
        region: &str,
        name: &str,
    ) -> Result<BucketRead, AwsError> {
        let owner = self.bucket_owner();
        let (head, policy, pab, encryption, versioning, tagging) = tokio::join!(
            s3.head_bucket()
                .bucket(name)
                .set_expected_bucket_owner(owner.clone())
                .send(),
            async {
                let out = s3
                    .get_bucket_policy()
                    .bucket(name)
                    .set_expected_bucket_owner(owner.clone())
                    .send()
                    .await;
                absent(out.map_err(|e| sdk_error("s3:GetBucketPolicy", e)))
            },
            async {
                let out = s3
                    .get_public_access_block()
                    .bucket(name)
                    .set_expected_bucket_owner(owner.clone())
                    .send()
                    .await;
                absent(out.map_err(|e| sdk_error("s3:GetBucketPublicAccessBlock", e)))
            },
            async {
                let out = s3
                    .get_bucket_encryption()
                    .bucket(name)
                    .set_expected_bucket_owner(owner.clone())
                    .send()
                    .await;
                absent(out.map_err(|e| sdk_error("s3:GetEncryptionConfiguration", e)))
            },
            async {
                let out = s3
                    .get_bucket_versioning()
                    .bucket(name)
                    .set_expected_bucket_owner(owner.clone())
                    .send()
                    .await;
                absent(out.map_err(|e| sdk_error("s3:GetBucketVersioning", e)))
            },
            async {
                let out = s3
                    .get_bucket_tagging()
                    .bucket(name)
                    .set_expected_bucket_owner(owner.clone())
                    .send()
                    .await;
                absent(out.map_err(|e| sdk_error("s3:GetBucketTagging", e)))
            },
        );
        // The bucket lives in another region: S3 says so on the HeadBucket answer (or names no
        // region on a redirect, and then GetBucketLocation is asked).
        let hint = match &head {
            Ok(out) => RegionHint::named(out.bucket_region()),
            Err(e) => RegionHint::of_error(e),
        };
        if let Some(actual) = bucket_region(s3, name, region, &hint, owner).await? {
            return Ok(BucketRead::Elsewhere(actual));
        }
        if let Err(e) = head {
            let status = e.raw_response().map(|r| r.status().as_u16());
            if status == Some(404) || e.as_service_error().is_some_and(|s| s.is_not_found()) {
                return Ok(BucketRead::Missing);
            }
            let err = sdk_error("s3:HeadBucket", e);
            if err.code().is_some_and(is_not_found_code) {
                return Ok(BucketRead::Missing);
            }
            if status == Some(403) {
                return Err(AwsError::Other(format!(
                    "bucket {name} exists but these credentials cannot use it (another \
                     account's bucket, or s3:ListBucket denied): {err}"
                )));
            }
            return Err(err);
        }
        let encryption = encryption?.and_then(|out| {
            let rule = out
                .server_side_encryption_configuration()?
                .rules()
                .first()?;
            let default = rule.apply_server_side_encryption_by_default()?;
            Some(Encryption {
                algorithm: default.sse_algorithm().as_str().to_string(),
                kms_key_id: non_empty(default.kms_master_key_id()),
            })
        });
        let public_access_block = pab?.and_then(|out| {
            let c = out.public_access_block_configuration()?;
            Some([
                c.block_public_acls().unwrap_or(false),
                c.ignore_public_acls().unwrap_or(false),
                c.block_public_policy().unwrap_or(false),
                c.restrict_public_buckets().unwrap_or(false),
            ])
        });
        Ok(BucketRead::Found(BucketState {
            name: name.to_string(),
            policy: policy?.and_then(|out| out.policy().map(parse_policy)),
            public_access_block,
            encryption,
            versioning: versioning?.and_then(|out| out.status().map(|s| s.as_str().to_string())),
            tags: tagging?
                .map(|out| {
                    out.tag_set()
                        .iter()
                        .map(|t| (t.key().to_string(), t.value().to_string()))
                        .collect()
                })
                .unwrap_or_default(),
        }))
    }

    async fn read_role(&self, spec: Option<&RoleSpec>) -> Result<Option<RoleState>, AwsError> {
        let Some(spec) = spec else {
            return Ok(None);
        };
        let (role, policy) = tokio::join!(
            async {
                let out = self.iam.get_role().role_name(&spec.name).send().await;
                absent(out.map_err(|e| sdk_error("iam:GetRole", e)))
            },
            async {
                let out = self
                    .iam
                    .get_role_policy()
                    .role_name(&spec.name)
                    .policy_name(&spec.policy_name)
                    .send()
                    .await;
                absent(out.map_err(|e| sdk_error("iam:GetRolePolicy", e)))
            },
        );
        let Some(role) = role?.and_then(|out| out.role) else {
            return Ok(None);
        };
        Ok(Some(RoleState {
            name: role.role_name().to_string(),
            arn: role.arn().to_string(),
            trust_policy: role
                .assume_role_policy_document()
                .map(parse_policy)
                .unwrap_or(Value::Null),
            policy: policy?.map(|out| parse_policy(out.policy_document())),
            tags: role
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect(),
        }))
    }

    async fn read_log_group(&self, spec: &LogGroupSpec) -> Result<Option<LogGroupState>, AwsError> {
        let (group, tags) = tokio::join!(
            async {
                let mut pages = self
                    .logs
                    .describe_log_groups()
                    .log_group_name_prefix(&spec.name)
                    .into_paginator()
                    .send();
                while let Some(page) = pages.next().await {
                    let Some(out) =
                        absent(page.map_err(|e| sdk_error("logs:DescribeLogGroups", e)))?
                    else {
                        break;
                    };
                    let found = out
                        .log_groups()
                        .iter()
                        .find(|g| g.log_group_name() == Some(spec.name.as_str()))
                        .cloned();
                    if found.is_some() {
                        return Ok(found);
                    }
                }
                Ok::<_, AwsError>(None)
            },
            async {
                let out = self
                    .logs
                    .list_tags_for_resource()
                    .resource_arn(&spec.arn)
                    .send()
                    .await;
                absent(out.map_err(|e| sdk_error("logs:ListTagsForResource", e)))
            },
        );
        let Some(group) = group? else {
            return Ok(None);
        };
        let arn = group
            .log_group_arn()
            .map(str::to_string)
            .or_else(|| group.arn().map(|a| a.trim_end_matches(":*").to_string()))
            .unwrap_or_else(|| spec.arn.clone());
        Ok(Some(LogGroupState {
            name: spec.name.clone(),
            arn,
            retention_days: group.retention_in_days(),
            tags: tags?
                .and_then(|out| out.tags)
                .map(|t| t.into_iter().collect())
                .unwrap_or_default(),
        }))
    }

    async fn read_topic(&self, spec: &TopicSpec) -> Result<Option<TopicState>, AwsError> {
        let arn = spec.arn.as_str();
        let (attributes, subscriptions, tags) = tokio::join!(
            async {
                let out = self.sns.get_topic_attributes().topic_arn(arn).send().await;
                absent(out.map_err(|e| sdk_error("sns:GetTopicAttributes", e)))
            },
            self.subscriptions(arn),
            async {
                let out = self
                    .sns
                    .list_tags_for_resource()
                    .resource_arn(arn)
                    .send()
                    .await;
                absent(out.map_err(|e| sdk_error("sns:ListTagsForResource", e)))
            },
        );
        let Some(attributes) = attributes? else {
            return Ok(None);
        };
        let attributes = attributes.attributes.unwrap_or_default();
        Ok(Some(TopicState {
            name: spec.name.clone(),
            arn: attributes
                .get("TopicArn")
                .cloned()
                .unwrap_or_else(|| arn.to_string()),
            policy: attributes.get("Policy").map(|p| parse_policy(p)),
            kms_key_id: non_empty(attributes.get("KmsMasterKeyId").map(String::as_str)),
            subscriptions: subscriptions?,
            tags: tags?
                .map(|out| {
                    out.tags()
                        .iter()
                        .map(|t| (t.key().to_string(), t.value().to_string()))
                        .collect()
                })
                .unwrap_or_default(),
        }))
    }

    async fn read_topics(
        &self,
        specs: &[TopicSpec],
    ) -> Result<BTreeMap<String, TopicState>, AwsError> {
        let results = join_all(specs.iter().map(|s| self.read_topic(s)).collect()).await;
        let mut topics = BTreeMap::new();
        for topic in results {
            if let Some(topic) = topic? {
                topics.insert(topic.name.clone(), topic);
            }
        }
        Ok(topics)
    }

    async fn read_filters(&self, log_group: &str) -> Result<Vec<FilterState>, AwsError> {
        let mut filters = Vec::new();
        let mut pages = self
            .logs
            .describe_metric_filters()
            .log_group_name(log_group)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let Some(out) = absent(page.map_err(|e| sdk_error("logs:DescribeMetricFilters", e)))?
            else {
                break;
            };
            filters.extend(
                out.metric_filters()
                    .iter()
                    .filter(|f| f.log_group_name().is_none_or(|g| g == log_group))
                    .map(|f| FilterState {
                        name: f.filter_name().unwrap_or_default().to_string(),
                        log_group: log_group.to_string(),
                        pattern: f.filter_pattern().unwrap_or_default().to_string(),
                        metric_transformations: f
                            .metric_transformations()
                            .iter()
                            .map(|m| MetricTransformation {
                                metric_name: m.metric_name().to_string(),
                                namespace: m.metric_namespace().to_string(),
                                metric_value: m.metric_value().to_string(),
                                dimensions: m
                                    .dimensions()
                                    .map(|d| {
                                        d.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
                                    })
                                    .unwrap_or_default(),
                            })
                            .collect(),
                    }),
            );
        }
        Ok(filters)
    }

    /// Every metric alarm in the region, page by page (DescribeAlarms without names: one request
    /// for up to 100 alarms). Listing rather than asking by name is what finds the alarms the
    /// configuration no longer names; only those candidates' tags are read afterwards.
    async fn list_alarms(&self) -> Result<Vec<AlarmState>, AwsError> {
        let mut alarms = Vec::new();
        let mut pages = self
            .cloudwatch
            .describe_alarms()
            .alarm_types(aws_sdk_cloudwatch::types::AlarmType::MetricAlarm)
            .max_records(ALARMS_PER_PAGE)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let out = page.map_err(|e| sdk_error("cloudwatch:DescribeAlarms", e))?;
            alarms.extend(out.metric_alarms().iter().map(|a| {
                // A query alarm keeps its query and period in its one returned data query.
                let query = a.metrics().iter().find(|m| m.return_data() != Some(false));
                AlarmState {
                    query: query.and_then(|q| non_empty(q.expression())),
                    name: a.alarm_name().unwrap_or_default().to_string(),
                    arn: a.alarm_arn().unwrap_or_default().to_string(),
                    metric_name: non_empty(a.metric_name()),
                    namespace: non_empty(a.namespace()),
                    statistic: a
                        .statistic()
                        .map(|s| s.as_str().to_string())
                        .or_else(|| non_empty(a.extended_statistic())),
                    period: a.period().or(query.and_then(|q| q.period())),
                    evaluation_periods: a.evaluation_periods(),
                    datapoints_to_alarm: a.datapoints_to_alarm(),
                    threshold: a.threshold(),
                    comparison: a.comparison_operator().map(|c| c.as_str().to_string()),
                    treat_missing_data: non_empty(a.treat_missing_data()),
                    description: a.alarm_description().map(str::to_string),
                    state: a.state_value().map(|s| s.as_str().to_string()),
                    actions_enabled: a.actions_enabled().unwrap_or(false),
                    alarm_actions: a.alarm_actions().to_vec(),
                    ok_actions: a.ok_actions().to_vec(),
                    insufficient_data_actions: a.insufficient_data_actions().to_vec(),
                    tags: None,
                }
            }));
        }
        Ok(alarms)
    }

    /// The candidates with their tags (ListTagsForResource, one request each, at once). An
    /// alarm deleted between the listing and this read is left out.
    async fn with_alarm_tags(
        &self,
        candidates: Vec<AlarmState>,
    ) -> Result<BTreeMap<String, AlarmState>, AwsError> {
        let reads = join_all(
            candidates
                .iter()
                .map(|a| async {
                    let out = self
                        .cloudwatch
                        .list_tags_for_resource()
                        .resource_arn(&a.arn)
                        .send()
                        .await;
                    absent(out.map_err(|e| sdk_error("cloudwatch:ListTagsForResource", e)))
                })
                .collect(),
        )
        .await;
        let mut alarms = BTreeMap::new();
        for (mut alarm, tags) in candidates.into_iter().zip(reads) {
            let Some(out) = tags? else { continue };
            alarm.tags = Some(
                out.tags()
                    .iter()
                    .map(|t| {
                        (
                            t.key().unwrap_or_default().to_string(),
                            t.value().unwrap_or_default().to_string(),
                        )
                    })
                    .collect(),
            );
            alarms.insert(alarm.name.clone(), alarm);
        }
        Ok(alarms)
    }

    /// Tags of topics the configuration does not name; a topic that does not exist is absent.
    async fn read_topic_tags(
        &self,
        arns: Vec<String>,
    ) -> Result<BTreeMap<String, TopicState>, AwsError> {
        let reads = join_all(
            arns.iter()
                .map(|arn| async move {
                    let out = self
                        .sns
                        .list_tags_for_resource()
                        .resource_arn(arn)
                        .send()
                        .await;
                    absent(out.map_err(|e| sdk_error("sns:ListTagsForResource", e)))
                })
                .collect(),
        )
        .await;
        let mut topics = BTreeMap::new();
        for (arn, tags) in arns.into_iter().zip(reads) {
            let Some(out) = tags? else { continue };
            topics.insert(
                arn.clone(),
                TopicState {
                    name: crate::arn::name(&arn).to_string(),
                    arn,
                    tags: out
                        .tags()
                        .iter()
                        .map(|t| (t.key().to_string(), t.value().to_string()))
                        .collect(),
                    ..Default::default()
                },
            );
        }
        // The subscribers of those trailwarden created, the only ones that can be deleted:
        // DeleteTopic deletes every subscription with the topic, so one that someone else
        // added (an SQS queue, say) keeps it.
        let managed: Vec<String> = topics
            .values()
            .filter(|t| crate::model::is_managed(&t.tags))
            .map(|t| t.arn.clone())
            .collect();
        let subscriptions =
            join_all(managed.iter().map(|arn| self.subscriptions(arn)).collect()).await;
        for (arn, subs) in managed.iter().zip(subscriptions) {
            if let Some(t) = topics.get_mut(arn) {
                t.subscriptions = subs?;
            }
        }
        Ok(topics)
    }
}

/// The listed alarms sorted out: the configured ones, the removal candidates, and the topics
/// outside the configuration that any of them routes to (with every alarm routing there).
struct SortedAlarms {
    desired: BTreeMap<String, AlarmState>,
    candidates: Vec<AlarmState>,
    topic_routes: BTreeMap<String, Vec<String>>,
}

fn sort_alarms(listed: Vec<AlarmState>, desired: &Desired) -> SortedAlarms {
    let wanted = |name: &str| desired.alarms.iter().any(|a| a.name == name);
    let managed_ns = |a: &AlarmState| {
        a.namespace
            .as_ref()
            .is_some_and(|ns| desired.namespaces.contains(ns))
    };
    // Only this account's topics in this region can be trailwarden's (and have readable tags).
    let t = &desired.target;
    let ours_topic = |arn: &str| {
        desired.topics.iter().any(|s| s.arn == arn)
            || crate::arn::account(arn) != Some(t.account_id.as_str())
            || crate::arn::region(arn) != Some(t.region.as_str())
    };
    let mut sorted = SortedAlarms {
        desired: BTreeMap::new(),
        candidates: Vec::new(),
        topic_routes: BTreeMap::new(),
    };
    // Topics outside the configuration that a configured or candidate alarm routes to.
    for a in listed.iter().filter(|a| wanted(&a.name) || managed_ns(a)) {
        for t in a.topics().filter(|t| !ours_topic(t)) {
            sorted.topic_routes.entry(t.clone()).or_default();
        }
    }
    for a in &listed {
        for t in a.topics() {
            if let Some(routes) = sorted.topic_routes.get_mut(t) {
                if !routes.contains(&a.name) {
                    routes.push(a.name.clone());
                }
            }
        }
    }
    for a in listed {
        if wanted(&a.name) {
            sorted.desired.insert(a.name.clone(), a);
        } else if managed_ns(&a) {
            sorted.candidates.push(a);
        }
    }
    sorted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_parse_encoded_or_plain() {
        let plain = r#"{"Version":"2012-10-17","Statement":[]}"#;
        let encoded = urlencoding::encode(plain);
        assert_eq!(parse_policy(plain), parse_policy(&encoded));
        assert_eq!(parse_policy(plain)["Version"], "2012-10-17");
        assert_eq!(parse_policy("not json"), Value::String("not json".into()));
    }

    #[tokio::test]
    async fn join_all_keeps_order() {
        let futures: Vec<_> = (0..5u64)
            .map(|i| async move {
                tokio::time::sleep(std::time::Duration::from_millis(10 * (5 - i))).await;
                i
            })
            .collect();
        assert_eq!(join_all(futures).await, vec![0, 1, 2, 3, 4]);
    }
}
