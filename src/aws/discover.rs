//! Discovery reads for `init`: what the account already has before any configuration exists
//! (every trail visible from the region, every SNS topic), and the state of a topic's
//! subscriptions while waiting for their confirmation. Read-only.

use super::read::{absent, join_all};
use super::{sdk_error, Aws, AwsError};
use crate::model::{Subscription, TrailState};

/// What the account holds that `init` can build on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Discovery {
    /// Every trail visible from the region, shadow trails of other regions included, with its
    /// logging status (`None` when another region's trail did not answer).
    pub trails: Vec<TrailState>,
    /// Every SNS topic of the region.
    pub topics: Vec<TopicSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSummary {
    pub name: String,
    pub arn: String,
}

impl TopicSummary {
    pub fn from_arn(arn: &str) -> TopicSummary {
        TopicSummary {
            name: arn.rsplit(':').next().unwrap_or(arn).to_string(),
            arn: arn.to_string(),
        }
    }
}

impl Aws {
    /// Trails and topics, read at once.
    pub async fn discover(&self) -> Result<Discovery, AwsError> {
        let (trails, topics) = tokio::join!(self.list_trails(), self.list_topics());
        Ok(Discovery {
            trails: trails?,
            topics: topics?,
        })
    }

    /// Every trail visible from this region, with status and tags (see `read_trails`).
    pub async fn list_trails(&self) -> Result<Vec<TrailState>, AwsError> {
        // No trail is wanted yet: an empty ARN asks for no early status read.
        self.read_trails("", true).await
    }

    /// What a member account's coverage needs: every trail visible from the region
    /// (DescribeTrails: the organization trail included), and what this account's own trails
    /// record (GetEventSelectors, home-region trails only: another account's trail is refused
    /// and another region's answers in its home region).
    pub async fn coverage_trails(&self) -> Result<Vec<TrailState>, AwsError> {
        let mut trails = self.read_trails("", false).await?;
        let me = self.bucket_owner();
        let own: Vec<usize> = trails
            .iter()
            .enumerate()
            .filter(|(_, t)| {
                crate::arn::account(&t.arn).is_some_and(|a| me.as_deref() == Some(a))
                    && t.home_region.as_deref().is_none_or(|r| r == self.region())
            })
            .map(|(i, _)| i)
            .collect();
        let selectors = join_all(
            own.iter()
                .map(|i| self.event_selectors(&trails[*i].arn))
                .collect(),
        )
        .await;
        for (i, s) in own.into_iter().zip(selectors) {
            trails[i].selectors = absent(s)?;
        }
        Ok(trails)
    }

    /// Every SNS topic of the region, sorted by name (SNS ListTopics, all pages).
    pub async fn list_topics(&self) -> Result<Vec<TopicSummary>, AwsError> {
        let mut topics = Vec::new();
        let mut pages = self.sns.list_topics().into_paginator().send();
        while let Some(page) = pages.next().await {
            let out = page.map_err(|e| sdk_error("sns:ListTopics", e))?;
            topics.extend(
                out.topics()
                    .iter()
                    .filter_map(|t| t.topic_arn())
                    .map(TopicSummary::from_arn),
            );
        }
        topics.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(topics)
    }

    /// The subscriptions of a topic (all pages); empty when the topic does not exist.
    pub async fn subscriptions(&self, topic_arn: &str) -> Result<Vec<Subscription>, AwsError> {
        let mut subscriptions = Vec::new();
        let mut pages = self
            .sns
            .list_subscriptions_by_topic()
            .topic_arn(topic_arn)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let Some(out) = absent(page.map_err(|e| sdk_error("sns:ListSubscriptionsByTopic", e)))?
            else {
                break;
            };
            subscriptions.extend(out.subscriptions().iter().map(|s| Subscription {
                protocol: s.protocol().unwrap_or_default().to_string(),
                endpoint: s.endpoint().unwrap_or_default().to_string(),
                arn: s.subscription_arn().unwrap_or_default().to_string(),
            }));
        }
        Ok(subscriptions)
    }

    /// Email subscriptions still waiting for their confirmation, over several topics:
    /// `(topic ARN, address)`.
    pub async fn pending_email_subscriptions(
        &self,
        topic_arns: &[String],
    ) -> Result<Vec<(String, String)>, AwsError> {
        let all = join_all(
            topic_arns
                .iter()
                .map(|arn| self.subscriptions(arn))
                .collect(),
        )
        .await;
        let mut pending = Vec::new();
        for (arn, subscriptions) in topic_arns.iter().zip(all) {
            for s in subscriptions? {
                if s.protocol == "email" && s.pending() {
                    pending.push((arn.clone(), s.endpoint));
                }
            }
        }
        Ok(pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names_come_from_the_arn() {
        let t = TopicSummary::from_arn("arn:aws:sns:eu-west-1:111122223333:security-alerts");
        assert_eq!(t.name, "security-alerts");
        assert_eq!(t.arn, "arn:aws:sns:eu-west-1:111122223333:security-alerts");
    }
}
