//! Planning SNS topics, their policy and encryption, and their subscriptions (email, HTTPS,
//! SMS, Lambda).

use serde_json::{json, Value};

use super::*;
use crate::desired;
use crate::model::{Protocol, SubscriptionSpec};

impl Planner<'_> {
    pub(super) fn topics(&mut self) {
        for spec in &self.d.topics {
            let address = format!("sns_topic.{}", spec.name);
            let ours: Vec<Value> = spec.policy["Statement"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            match self.a.topics.get(&spec.name) {
                None => {
                    if let Some(k) = &spec.kms_key_id {
                        self.key_policy_before_create(&address, k, &kms::TOPIC_KEY);
                    }
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
                        Resource::SnsTopic,
                        Action::Create,
                        vec![missing(DriftKind::TopicMissing)],
                        ops,
                    );
                    for sub in &spec.subscriptions {
                        self.push(
                            subscription_address(&spec.name, sub),
                            Resource::SnsSubscription,
                            Action::Create,
                            vec![missing(DriftKind::SubscriptionMissing)],
                            vec![Op::Subscribe {
                                topic_arn: spec.arn.clone(),
                                subscription: sub.clone(),
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
                    let mut diffs = Diffs::default();
                    let mut ops = Vec::new();
                    let policy_changed =
                        diffs.statements(actual.policy.as_ref(), &ours, |_| DriftKind::TopicPolicy);
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
                    if let Some(k) = &spec.kms_key_id {
                        self.key_policy(&address, k, &kms::TOPIC_KEY, &mut diffs);
                    }
                    let kms_wrong = match (&spec.kms_key_id, &actual.kms_key_id) {
                        (Some(want), Some(have)) => !self.is_key(have, want),
                        (Some(_), None) => true,
                        _ => false,
                    };
                    if aws_managed || kms_wrong {
                        diffs.push(
                            "kms_master_key_id",
                            if aws_managed {
                                DriftKind::TopicAwsManagedKey
                            } else {
                                DriftKind::TopicKmsKey
                            },
                            json!(spec.kms_key_id),
                            json!(actual.kms_key_id),
                            Severity::High,
                        );
                        // The AWS-managed key cannot be used by CloudWatch: notifications are
                        // dropped. Use the configured customer key, or turn SSE off.
                        ops.push(Op::SetTopicAttribute {
                            topic_arn: actual.arn.clone(),
                            name: "KmsMasterKeyId".into(),
                            value: spec.kms_key_id.clone().unwrap_or_default(),
                        });
                    }
                    self.push(address, Resource::SnsTopic, Action::Update, diffs.0, ops);
                    for want in &spec.subscriptions {
                        let sub = actual
                            .subscriptions
                            .iter()
                            .find(|s| want.is(s) && !s.deleted());
                        let sub_address = subscription_address(&spec.name, want);
                        match sub {
                            None => self.push(
                                sub_address,
                                Resource::SnsSubscription,
                                Action::Create,
                                vec![missing(DriftKind::SubscriptionMissing)],
                                vec![Op::Subscribe {
                                    topic_arn: actual.arn.clone(),
                                    subscription: want.clone(),
                                }],
                            ),
                            Some(s) if s.pending() => self.warn(
                                "subscription-pending",
                                Some(&sub_address),
                                pending_message(want, &spec.name),
                            ),
                            Some(_) => {}
                        }
                    }
                    self.removed_subscribers(spec, actual);
                }
            }
        }
    }

    /// On a topic trailwarden created (its tag: apply never tags a topic it adopts), confirmed
    /// subscriptions of the protocols the configuration manages (email, HTTPS, SMS, Lambda)
    /// whose endpoint it no longer lists: an address removed from `emails`, a retired webhook. An adopted topic's
    /// subscribers, and other protocols (SQS, Firehose, ...), are someone else's.
    ///
    /// A pending subscription has no ARN to unsubscribe ("PendingConfirmation" is listed in its
    /// place; Unsubscribe takes a SubscriptionArn,
    /// https://docs.aws.amazon.com/sns/latest/api/API_Unsubscribe.html): SNS deletes it itself
    /// when it is never confirmed, so it is left alone.
    fn removed_subscribers(&mut self, spec: &TopicSpec, actual: &TopicState) {
        if !is_managed(&actual.tags) {
            return;
        }
        for s in &actual.subscriptions {
            let Some(protocol) = Protocol::parse(&s.protocol) else {
                continue;
            };
            if s.deleted()
                || s.pending()
                || spec.subscriptions.iter().any(|w| w.is(s))
                || is_chatbot_endpoint(s)
            {
                continue;
            }
            let sub = SubscriptionSpec::new(protocol, &s.endpoint);
            self.plan.changes.push(removals::removal(
                subscription_address(&spec.name, &sub),
                Resource::SnsSubscription,
                DriftKind::SubscriptionOrphan,
                vec![Op::Unsubscribe {
                    subscription_arn: s.arn.clone(),
                }],
            ));
        }
    }
}

/// `sns_subscription.TOPIC/ENDPOINT`, the endpoint as [`SubscriptionSpec::display`] shows it
/// (an HTTPS endpoint's key never appears in a plan). Email addresses stay bare, as before
/// other protocols existed; the others are prefixed with their protocol.
pub(crate) fn subscription_address(topic: &str, sub: &SubscriptionSpec) -> String {
    match sub.protocol {
        Protocol::Email => format!("sns_subscription.{topic}/{}", sub.endpoint),
        p => format!("sns_subscription.{topic}/{p}:{}", sub.display()),
    }
}

/// What is missing for a pending subscription to be notified, by protocol.
fn pending_message(sub: &SubscriptionSpec, topic: &str) -> String {
    let who = sub.display();
    match sub.protocol {
        Protocol::Email => format!(
            "{who} has not confirmed the subscription to `{topic}` yet: nobody is notified until the link in AWS's email is clicked"
        ),
        Protocol::Https => format!(
            "{who} has not confirmed the subscription to `{topic}` yet: the endpoint must visit the SubscribeURL SNS sent it (PagerDuty and Opsgenie do so themselves; if they did not, check the integration URL)"
        ),
        // SMS and same-account Lambda subscriptions are confirmed at once; a function of another
        // account must be confirmed by its owner.
        Protocol::Sms | Protocol::Lambda => format!(
            "{who} has not confirmed the subscription to `{topic}` yet: the endpoint's owner must confirm it (ConfirmSubscription)"
        ),
    }
}

/// AWS Chatbot subscribes a channel configuration's topics itself, over HTTPS to its own endpoint
/// (`https://global.sns-api.chatbot.amazonaws.com`): that subscription is the chat channel's (a
/// `[chat.KEY]` table or one made in the console), never a removed subscriber.
fn is_chatbot_endpoint(s: &crate::model::Subscription) -> bool {
    (s.protocol == "https" || s.protocol == "http")
        && s.endpoint
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split(['/', '?', ':']).next())
            .is_some_and(|host| {
                host == "chatbot.amazonaws.com" || host.ends_with(".chatbot.amazonaws.com")
            })
}
