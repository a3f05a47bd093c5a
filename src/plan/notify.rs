//! Planning SNS topics, their policy and encryption, and email subscriptions.

use serde_json::{json, Value};

use super::*;
use crate::desired;

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
                    for email in &spec.emails {
                        self.push(
                            format!("sns_subscription.{}/{}", spec.name, email),
                            Resource::SnsSubscription,
                            Action::Create,
                            vec![missing(DriftKind::SubscriptionMissing)],
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
                    for email in &spec.emails {
                        let sub = actual.subscriptions.iter().find(|s| {
                            s.protocol == "email"
                                && s.endpoint.eq_ignore_ascii_case(email)
                                && !s.deleted()
                        });
                        let sub_address = format!("sns_subscription.{}/{}", spec.name, email);
                        match sub {
                            None => self.push(
                                sub_address,
                                Resource::SnsSubscription,
                                Action::Create,
                                vec![missing(DriftKind::SubscriptionMissing)],
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
}
