//! An in-memory account behind the [`Executor`] port, for tests of planning and applying that
//! need AWS behaviour the emulator cannot show: eventual-consistency errors right after a role
//! or bucket policy is created, failures half-way through an apply, pending subscriptions.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde_json::Value;

use crate::apply::Executor;
use crate::aws::AwsError;
use crate::model::*;

#[derive(Default)]
pub(crate) struct FakeAccount {
    pub state: Mutex<Actual>,
    /// Errors to return, in order, for the next requests to the named API (e.g.
    /// `cloudtrail:CreateTrail`): `(api, error code)`.
    pub faults: Mutex<VecDeque<(String, String)>>,
    /// Every executed request's API name, failed ones included.
    pub log: Mutex<Vec<String>>,
    /// New email and HTTPS subscriptions stay pending, as on AWS until the endpoint confirms.
    pub subscriptions_pending: bool,
}

impl FakeAccount {
    pub(crate) fn new(state: Actual) -> FakeAccount {
        FakeAccount {
            state: Mutex::new(state),
            ..Default::default()
        }
    }

    pub(crate) fn fail_next(&self, api: &str, code: &str, times: usize) {
        let mut f = self.faults.lock().unwrap();
        for _ in 0..times {
            f.push_back((api.to_string(), code.to_string()));
        }
    }

    pub(crate) fn snapshot(&self) -> Actual {
        self.state.lock().unwrap().clone()
    }

    pub(crate) fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    fn apply_op(&self, op: &Op) {
        let mut s = self.state.lock().unwrap();
        match op {
            Op::CreateBucket { bucket, .. } => {
                s.bucket = Some(BucketState {
                    name: bucket.clone(),
                    ..Default::default()
                })
            }
            Op::PutBucketTagging { tags, .. } => {
                if let Some(b) = s.bucket.as_mut() {
                    b.tags = tags.clone()
                }
            }
            Op::PutBucketPolicy { policy, .. } => {
                if let Some(b) = s.bucket.as_mut() {
                    b.policy = Some(policy.clone())
                }
            }
            Op::PutPublicAccessBlock { .. } => {
                if let Some(b) = s.bucket.as_mut() {
                    b.public_access_block = Some([true; 4])
                }
            }
            Op::PutBucketEncryption { kms_key_id, .. } => {
                if let Some(b) = s.bucket.as_mut() {
                    b.encryption = Some(Encryption {
                        algorithm: if kms_key_id.is_some() {
                            "aws:kms"
                        } else {
                            "AES256"
                        }
                        .into(),
                        kms_key_id: kms_key_id.clone(),
                    })
                }
            }
            Op::PutBucketVersioning { .. } => {
                if let Some(b) = s.bucket.as_mut() {
                    b.versioning = Some("Enabled".into())
                }
            }
            Op::CreateRole {
                role,
                trust_policy,
                tags,
            } => {
                s.role = Some(RoleState {
                    name: role.clone(),
                    // Unknown, like the other ARNs here: the planner keeps the one it built.
                    arn: String::new(),
                    trust_policy: trust_policy.clone(),
                    policy: None,
                    tags: tags.clone(),
                })
            }
            Op::UpdateAssumeRolePolicy { trust_policy, .. } => {
                if let Some(r) = s.role.as_mut() {
                    r.trust_policy = trust_policy.clone()
                }
            }
            Op::PutRolePolicy { policy, .. } => {
                if let Some(r) = s.role.as_mut() {
                    r.policy = Some(policy.clone())
                }
            }
            Op::TagRole { tags, .. } => {
                if let Some(r) = s.role.as_mut() {
                    r.tags.extend(tags.clone())
                }
            }
            Op::CreateLogGroup { log_group, tags } => {
                s.log_group = Some(LogGroupState {
                    name: log_group.clone(),
                    arn: String::new(),
                    retention_days: None,
                    tags: tags.clone(),
                })
            }
            Op::PutRetentionPolicy { days, .. } => {
                if let Some(g) = s.log_group.as_mut() {
                    g.retention_days = Some(*days)
                }
            }
            Op::TagLogGroup { tags, .. } => {
                if let Some(g) = s.log_group.as_mut() {
                    g.tags.extend(tags.clone())
                }
            }
            Op::CreateTrail { trail } | Op::UpdateTrail { trail } => {
                let created = matches!(op, Op::CreateTrail { .. });
                let existing = s.trails.iter().position(|t| t.name == trail.name);
                let mut t = existing.map(|i| s.trails[i].clone()).unwrap_or_default();
                t.name = trail.name.clone();
                t.arn = trail.arn.clone();
                t.multi_region = true;
                t.include_global_events = true;
                t.log_file_validation = true;
                t.s3_bucket = Some(trail.s3_bucket.clone());
                t.s3_prefix = trail.s3_prefix.clone();
                t.cw_log_group_arn = Some(trail.cw_log_group_arn.clone());
                t.cw_role_arn = Some(trail.cw_role_arn.clone());
                t.kms_key_id = trail.kms_key_id.clone();
                // As UpdateTrail: IsOrganizationTrail is only ever turned on.
                t.organization_trail |= trail.organization;
                t.sns_topic_arn = trail.sns_topic.clone();
                if created {
                    // CloudTrail's default for a new trail: all management events.
                    t.selectors = Some(EventSelectors::Basic(vec![BasicSelector {
                        read_write_type: "All".into(),
                        include_management_events: true,
                        data_resources: Vec::new(),
                        exclude_management_event_sources: Vec::new(),
                    }]));
                    t.is_logging = Some(false);
                    t.tags = trail.tags.clone();
                }
                match existing {
                    Some(i) => s.trails[i] = t,
                    None => s.trails.push(t),
                }
            }
            Op::PutEventSelectors { trail, selectors } => {
                if let Some(t) = s.trails.iter_mut().find(|t| &t.name == trail) {
                    t.selectors = Some(selectors.clone())
                }
            }
            Op::StartLogging { trail } => {
                if let Some(t) = s.trails.iter_mut().find(|t| &t.name == trail) {
                    t.is_logging = Some(true)
                }
            }
            Op::AddTrailTags { arn, tags } => {
                if let Some(t) = s.trails.iter_mut().find(|t| &t.arn == arn) {
                    t.tags.extend(tags.clone())
                }
            }
            Op::CreateTopic { topic, tags } => {
                s.topics.insert(
                    topic.clone(),
                    TopicState {
                        name: topic.clone(),
                        arn: String::new(),
                        tags: tags.clone(),
                        ..Default::default()
                    },
                );
            }
            Op::SetTopicAttribute {
                topic_arn,
                name,
                value,
            } => {
                let topic = crate::arn::name(topic_arn).to_string();
                if let Some(t) = s.topics.get_mut(&topic) {
                    t.arn = topic_arn.clone();
                    match name.as_str() {
                        "Policy" => t.policy = serde_json::from_str::<Value>(value).ok(),
                        "KmsMasterKeyId" => {
                            t.kms_key_id = Some(value.clone()).filter(|v| !v.is_empty())
                        }
                        _ => {}
                    }
                }
            }
            Op::Subscribe {
                topic_arn,
                subscription,
            } => {
                let topic = crate::arn::name(topic_arn).to_string();
                // SMS and same-account Lambda subscriptions are confirmed at once, as on AWS.
                let pending =
                    self.subscriptions_pending && subscription.protocol.always_confirmed_by_owner();
                if let Some(t) = s.topics.get_mut(&topic) {
                    t.arn = topic_arn.clone();
                    let n = t.subscriptions.len();
                    t.subscriptions.push(Subscription {
                        protocol: subscription.protocol.as_str().into(),
                        endpoint: subscription.endpoint.clone(),
                        arn: if pending {
                            "PendingConfirmation".into()
                        } else {
                            format!("{topic_arn}:sub-{n}")
                        },
                    });
                }
            }
            Op::PutMetricFilter { filter } => {
                let f = FilterState {
                    name: filter.name.clone(),
                    log_group: filter.log_group.clone(),
                    pattern: filter.pattern.clone(),
                    metric_transformations: vec![MetricTransformation {
                        metric_name: filter.metric_name.clone(),
                        namespace: filter.namespace.clone(),
                        metric_value: filter.metric_value.clone(),
                        dimensions: filter.dimensions.clone(),
                    }],
                };
                match s.filters.iter_mut().find(|x| x.name == f.name) {
                    Some(slot) => *slot = f,
                    None => s.filters.push(f),
                }
            }
            Op::CreateChatChannel { channel } => s.chat.channels.push(ChatChannelState {
                arn: format!(
                    "arn:aws:chatbot::111122223333:chat-configuration/{}",
                    channel.name
                ),
                name: Some(channel.name.clone()),
                client: channel.client.clone(),
                topic_arns: channel.topic_arns.clone(),
                role_arn: channel.role_arn.clone(),
                tags: channel.tags.clone(),
            }),
            Op::UpdateChatChannel { arn, channel } => {
                if let Some(c) = s.chat.channels.iter_mut().find(|c| &c.arn == arn) {
                    c.client = channel.client.clone();
                    c.topic_arns = channel.topic_arns.clone();
                    c.role_arn = channel.role_arn.clone();
                }
            }
            Op::PutMetricAlarm {
                alarm,
                ok_actions,
                insufficient_data_actions,
            } => {
                s.alarms.insert(
                    alarm.name.clone(),
                    AlarmState {
                        name: alarm.name.clone(),
                        arn: String::new(),
                        // A query alarm has no metric of its own, as DescribeAlarms shows it.
                        metric_name: alarm.query.is_none().then(|| alarm.metric_name.clone()),
                        namespace: alarm.query.is_none().then(|| alarm.namespace.clone()),
                        statistic: alarm.query.is_none().then(|| alarm.statistic.clone()),
                        query: alarm.query.clone(),
                        period: Some(alarm.period),
                        evaluation_periods: Some(alarm.evaluation_periods),
                        datapoints_to_alarm: Some(alarm.datapoints_to_alarm),
                        threshold: Some(alarm.threshold),
                        comparison: Some(alarm.comparison.clone()),
                        treat_missing_data: Some(alarm.treat_missing_data.clone()),
                        description: Some(alarm.description.clone()),
                        state: Some("OK".into()),
                        actions_enabled: true,
                        alarm_actions: alarm.actions.clone(),
                        ok_actions: ok_actions.clone(),
                        insufficient_data_actions: insufficient_data_actions.clone(),
                        tags: None,
                    },
                );
            }
            Op::DeleteMetricFilter { filter, .. } => s.filters.retain(|f| &f.name != filter),
            Op::DeleteAlarm { alarm } => {
                s.alarms.remove(alarm);
                s.undesired_alarms.remove(alarm);
                for routes in s.topic_routes.values_mut() {
                    routes.retain(|a| a != alarm);
                }
            }
            Op::DeleteTopic { topic_arn } => {
                s.topics.retain(|_, t| &t.arn != topic_arn);
                s.undesired_topics.remove(topic_arn);
                s.topic_routes.remove(topic_arn);
            }
            Op::Unsubscribe { subscription_arn } => {
                for t in s.topics.values_mut() {
                    t.subscriptions.retain(|x| &x.arn != subscription_arn);
                }
            }
            Op::StopLogging { trail } => {
                if let Some(t) = s.trails.iter_mut().find(|t| &t.name == trail) {
                    t.is_logging = Some(false)
                }
            }
            Op::DeleteTrail { trail } => s.trails.retain(|t| &t.name != trail),
            Op::DeleteRolePolicy { .. } => {
                if let Some(r) = s.role.as_mut() {
                    r.policy = None
                }
            }
            Op::DeleteRole { .. } => s.role = None,
            Op::DeleteLogGroup { .. } => {
                s.log_group = None;
                s.filters.clear();
            }
            Op::EmptyBucket { .. } => {}
            Op::DeleteBucket { .. } => s.bucket = None,
        }
    }
}

impl Executor for FakeAccount {
    async fn execute(&self, op: &Op) -> Result<(), AwsError> {
        let api = op.api().to_string();
        self.log.lock().unwrap().push(api.clone());
        let fault = {
            let mut faults = self.faults.lock().unwrap();
            match faults.iter().position(|(a, _)| *a == api) {
                Some(i) => faults.remove(i),
                None => None,
            }
        };
        if let Some((_, code)) = fault {
            return Err(AwsError::Service {
                api,
                code: code.clone(),
                message: format!("injected {code}"),
            });
        }
        self.apply_op(op);
        Ok(())
    }
}
