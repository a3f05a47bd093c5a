//! Planning removals: what trailwarden created and the configuration no longer asks for.
//!
//! Ownership is proved by the alarm: only an alarm carrying trailwarden's `managed-by` tag is
//! removed, and with it the metric filters on the managed log group that feed its metric (a
//! filter has no tags of its own), and the topics trailwarden created that no remaining alarm
//! routes to. A same-named alarm without the tag, and everything it uses, is left alone.
//!
//! Order: filters, then topics, then the alarm. The alarm carries the proof, so it goes last: a
//! removal cut short leaves the alarm behind, and the next run finds the rest through it again.

use std::collections::BTreeSet;

use serde_json::json;

use super::*;

/// The change that removes one resource: `-` in the plan, `RESOURCE.orphan` in `check`.
pub(crate) fn removal(
    address: String,
    resource: Resource,
    kind: DriftKind,
    ops: Vec<Op>,
) -> Change {
    Change {
        address,
        resource,
        action: Action::Delete,
        diffs: vec![diff(
            "exists",
            kind,
            json!(false),
            json!(true),
            Severity::Low,
        )],
        ops,
    }
}

/// The subscriptions on a topic trailwarden created that it never makes: protocols it does not
/// subscribe (SQS, Firehose, HTTP, mobile push), so someone else's. DeleteTopic deletes a
/// topic's subscriptions with it ("DeleteTopic", Amazon SNS API Reference: "Deletes a topic and
/// all its subscriptions", https://docs.aws.amazon.com/sns/latest/api/API_DeleteTopic.html),
/// so a topic that has any stays.
pub(super) fn foreign_subscriptions(t: &TopicState) -> Vec<String> {
    t.subscriptions
        .iter()
        .filter(|s| !s.deleted() && Protocol::parse(&s.protocol).is_none())
        .map(|s| format!("{} {}", s.protocol, s.endpoint))
        .collect()
}

impl<'a> Planner<'a> {
    /// Warns that a topic stays for the subscribers `foreign`; `false` when there are none.
    pub(super) fn kept_for_subscribers(&mut self, address: &str, foreign: &[String]) -> bool {
        if foreign.is_empty() {
            return false;
        }
        self.warn(
            "kept",
            Some(address),
            format!(
                "{address} stays: deleting it would delete subscriptions trailwarden did not make ({}); remove them, then run again",
                foreign.join(", ")
            ),
        );
        true
    }

    pub(super) fn removals(&mut self) {
        let owned: Vec<&AlarmState> = self
            .a
            .undesired_alarms
            .values()
            .filter(|a| a.tags.as_ref().is_some_and(is_managed))
            .collect();
        let removed: BTreeSet<&str> = owned.iter().map(|a| a.name.as_str()).collect();
        let mut changes = Vec::new();
        for filter in self.orphan_filters(&owned) {
            changes.push(removal(
                format!("metric_filter.{}", filter.name),
                Resource::MetricFilter,
                DriftKind::MetricFilterOrphan,
                vec![Op::DeleteMetricFilter {
                    log_group: filter.log_group.clone(),
                    filter: filter.name.clone(),
                }],
            ));
        }
        for topic in self.orphan_topics(&removed) {
            let address = format!("sns_topic.{}", topic.name);
            if self.kept_for_subscribers(&address, &foreign_subscriptions(topic)) {
                continue;
            }
            changes.push(removal(
                format!("sns_topic.{}", topic.name),
                Resource::SnsTopic,
                DriftKind::TopicOrphan,
                vec![Op::DeleteTopic {
                    topic_arn: topic.arn.clone(),
                }],
            ));
        }
        for alarm in owned {
            changes.push(removal(
                format!("alarm.{}", alarm.name),
                Resource::Alarm,
                DriftKind::AlarmOrphan,
                vec![Op::DeleteAlarm {
                    alarm: alarm.name.clone(),
                }],
            ));
        }
        self.plan.changes.extend(changes);
    }

    /// Filters on the managed log group, not configured, that feed the metric of an alarm being
    /// removed, and of no alarm that stays (a same-named untagged alarm, a configured one).
    fn orphan_filters(&self, owned: &[&AlarmState]) -> Vec<&'a FilterState> {
        let metric = |a: &AlarmState| (a.namespace.clone(), a.metric_name.clone());
        let going: BTreeSet<_> = owned.iter().map(|a| metric(a)).collect();
        let staying: BTreeSet<_> = self
            .a
            .alarms
            .values()
            .chain(
                self.a
                    .undesired_alarms
                    .values()
                    .filter(|a| !a.tags.as_ref().is_some_and(is_managed)),
            )
            .map(metric)
            .chain(
                self.d
                    .alarms
                    .iter()
                    .map(|a| (Some(a.namespace.clone()), Some(a.metric_name.clone()))),
            )
            .collect();
        self.a
            .filters
            .iter()
            .filter(|f| !self.d.filters.iter().any(|d| d.name == f.name))
            .filter(|f| {
                f.metric_transformations.iter().any(|m| {
                    let key = (Some(m.namespace.clone()), Some(m.metric_name.clone()));
                    going.contains(&key) && !staying.contains(&key)
                })
            })
            .collect()
    }

    /// Topics outside the configuration, created by trailwarden, that no alarm will route to once
    /// the plan is applied (alarms being removed, configured alarms being moved to another
    /// topic), and that no trail notifies.
    fn orphan_topics(&self, removed: &BTreeSet<&str>) -> Vec<&'a TopicState> {
        self.a
            .undesired_topics
            .values()
            .filter(|t| is_managed(&t.tags))
            .filter(|t| {
                let routes = self.a.topic_routes.get(&t.arn);
                routes.into_iter().flatten().all(|alarm| {
                    removed.contains(alarm.as_str())
                        || self
                            .d
                            .alarms
                            .iter()
                            .any(|d| &d.name == alarm && !d.actions.contains(&t.arn))
                })
            })
            // A trail that notifies it keeps it: converging leaves a trail's SNS topic that
            // the configuration does not name as it is.
            .filter(|t| {
                self.a
                    .trails
                    .iter()
                    .all(|trail| trail.sns_topic_arn.as_deref() != Some(&t.arn))
            })
            .collect()
    }
}
