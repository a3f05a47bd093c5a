//! Planning `destroy`: everything trailwarden created for this configuration, removed in reverse
//! dependency order, keeping log data unless asked otherwise.
//!
//! What goes, in order:
//! 1. metric filters feeding an alarm trailwarden created, then topics trailwarden created that
//!    no remaining alarm (and no remaining trail) uses, then those alarms: the alarm carries the
//!    ownership tag, so it goes last and a destroy cut short finds the rest through it again;
//! 2. with `--stop-logging` only: the trail trailwarden created (StopLogging, then DeleteTrail),
//!    then this region's inline policy on its role, and the role once no region's policy is left;
//! 3. with `--delete-log-data` only (which needs `--stop-logging`): the log group, then every
//!    object version in the bucket and the bucket.
//!
//! Without `--stop-logging` the trail keeps recording and delivering (to the bucket and the log
//! group, through the role): deleting it would leave the account unmonitored, which a tool that
//! guards monitoring must never do by default. Adopted resources are released: the changes
//! trailwarden made to them are listed, and left as they are.

use std::collections::BTreeSet;

use super::*;
use crate::desired::{TOPIC_SID_ALARMS, TOPIC_SID_DELIVERY};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct DestroyOptions {
    pub stop_logging: bool,
    pub delete_log_data: bool,
}

/// One resource `destroy` deletes: `-` in the plan; no drift, the resource is as configured.
fn gone(address: String, resource: Resource, ops: Vec<Op>) -> Change {
    Change {
        address,
        resource,
        action: Action::Delete,
        diffs: Vec::new(),
        ops,
    }
}

/// Why log data trailwarden created stays.
fn why_kept(delete_asked: bool) -> &'static str {
    if delete_asked {
        "a trail that is not deleted still delivers to it"
    } else {
        "pass --delete-log-data to delete them"
    }
}

/// Created by trailwarden. `apply` tags only what it creates (under a configured name too) and
/// never tags what it adopts, so the tag is the proof; a name given in the configuration says
/// nothing either way.
fn ours(tags: &Tags) -> bool {
    is_managed(tags)
}

pub(crate) fn destroy(d: &Desired, a: &Actual, opts: DestroyOptions) -> Plan {
    let mut p = Planner {
        d,
        a,
        plan: Plan::default(),
    };
    let trail = a.trails.iter().find(|t| {
        (t.name == d.trail.name || t.arn == d.trail.arn)
            && t.home_region
                .as_deref()
                .is_none_or(|r| r == d.target.region)
    });
    let trail_goes = opts.stop_logging && trail.is_some_and(|t| ours(&t.tags));
    p.destroy_alarms_chain(trail.filter(|_| !trail_goes));
    if let Some(t) = trail {
        p.destroy_trail(t, trail_goes);
    }
    let trail_gone = trail.is_none() || trail_goes;
    // Any other trail visible from this region (another trail of the account, the same trail's
    // shadow when its home region is another, an organization's trail) that delivers to the
    // bucket, the log group or through the role keeps them: deleting them would break its
    // delivery and, for the bucket and the log group, delete its log data.
    let others: Vec<&TrailState> = a
        .trails
        .iter()
        .filter(|t| !(trail_goes && trail.is_some_and(|g| g.arn == t.arn)))
        .collect();
    p.destroy_role(trail_gone, &others);
    p.destroy_log_data(trail_gone, opts.delete_log_data, &others);
    p.plan
}

/// The role's name in a trail's `CloudWatchLogsRoleArn` (`arn:aws:iam::ACCOUNT:role[/PATH]/NAME`).
fn role_of(arn: &str) -> Option<&str> {
    arn.contains(":role/").then(|| arn.rsplit('/').next())?
}

/// The log group's name in a trail's `CloudWatchLogsLogGroupArn`
/// (`arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*`).
fn log_group_of(arn: &str) -> Option<&str> {
    let rest = arn.split_once(":log-group:")?.1;
    Some(rest.strip_suffix(":*").unwrap_or(rest))
}

impl<'a> Planner<'a> {
    /// Filters, topics and alarms; `staying_trail` is the trail that keeps running, whose
    /// delivery topic must stay.
    fn destroy_alarms_chain(&mut self, staying_trail: Option<&TrailState>) {
        let going: Vec<&AlarmState> = self
            .a
            .alarms
            .values()
            .chain(self.a.undesired_alarms.values())
            .filter(|x| x.tags.as_ref().is_some_and(is_managed))
            .collect();
        let names: BTreeSet<&str> = going.iter().map(|x| x.name.as_str()).collect();
        let metric = |x: &AlarmState| (x.namespace.clone(), x.metric_name.clone());
        let going_metrics: BTreeSet<_> = going.iter().map(|x| metric(x)).collect();
        // Metrics of the going alarms the configuration no longer names: their filters are
        // not configured either, so any unconfigured filter feeding them is the removed
        // control's (the removal rule). A configured alarm's metric is fed by the configured
        // filter, and only that one goes: a filter of another name publishing the same metric
        // (a hand-made CIS filter on the same log group, say) is not trailwarden's.
        let undesired_going: BTreeSet<_> = going
            .iter()
            .filter(|x| !self.a.alarms.contains_key(&x.name))
            .map(|x| metric(x))
            .collect();
        let staying_metrics: BTreeSet<_> = self
            .a
            .alarms
            .values()
            .chain(self.a.undesired_alarms.values())
            .filter(|x| !names.contains(x.name.as_str()))
            .map(metric)
            .collect();
        let mut changes = Vec::new();
        for f in &self.a.filters {
            let configured = self.d.filters.iter().any(|d| d.name == f.name);
            let feeds = f.metric_transformations.iter().any(|m| {
                let key = (Some(m.namespace.clone()), Some(m.metric_name.clone()));
                let ours = if configured {
                    going_metrics.contains(&key)
                } else {
                    undesired_going.contains(&key)
                };
                ours && !staying_metrics.contains(&key)
            });
            if feeds {
                changes.push(gone(
                    format!("metric_filter.{}", f.name),
                    Resource::MetricFilter,
                    vec![Op::DeleteMetricFilter {
                        log_group: f.log_group.clone(),
                        filter: f.name.clone(),
                    }],
                ));
            }
        }
        // Every alarm that routes to a topic, after the destroy: those that stay.
        let routed_by_staying = |arn: &str| {
            self.a
                .alarms
                .values()
                .chain(self.a.undesired_alarms.values())
                .filter(|x| !names.contains(x.name.as_str()))
                .any(|x| x.topics().any(|t| t == arn))
                || self
                    .a
                    .topic_routes
                    .get(arn)
                    .is_some_and(|r| r.iter().any(|n| !names.contains(n.as_str())))
        };
        let notified_by_trail =
            |arn: &str| staying_trail.is_some_and(|t| t.sns_topic_arn.as_deref() == Some(arn));
        for spec in &self.d.topics {
            let Some(t) = self.a.topics.get(&spec.name) else {
                continue;
            };
            if !ours(&t.tags) {
                if spec.adopted {
                    self.release(
                        &format!("sns_topic.{}", spec.name),
                        format!(
                            "trailwarden added its policy statements ({TOPIC_SID_ALARMS}, {TOPIC_SID_DELIVERY} when set) and the configured subscribers; they stay"
                        ),
                    );
                }
                continue;
            }
            let address = format!("sns_topic.{}", spec.name);
            if self.kept_for_subscribers(&address, &super::removals::foreign_subscriptions(t)) {
                continue;
            }
            if routed_by_staying(&t.arn) || notified_by_trail(&t.arn) {
                self.warn(
                    "kept",
                    Some(&format!("sns_topic.{}", spec.name)),
                    format!(
                        "SNS topic `{}` stays: an alarm trailwarden did not create, or the trail that keeps running, still notifies it",
                        spec.name
                    ),
                );
                continue;
            }
            changes.push(gone(
                format!("sns_topic.{}", spec.name),
                Resource::SnsTopic,
                vec![Op::DeleteTopic {
                    topic_arn: t.arn.clone(),
                }],
            ));
        }
        for t in self.a.undesired_topics.values() {
            if is_managed(&t.tags) && !routed_by_staying(&t.arn) && !notified_by_trail(&t.arn) {
                let address = format!("sns_topic.{}", t.name);
                if self.kept_for_subscribers(&address, &super::removals::foreign_subscriptions(t)) {
                    continue;
                }
                changes.push(gone(
                    format!("sns_topic.{}", t.name),
                    Resource::SnsTopic,
                    vec![Op::DeleteTopic {
                        topic_arn: t.arn.clone(),
                    }],
                ));
            }
        }
        for x in going {
            changes.push(gone(
                format!("alarm.{}", x.name),
                Resource::Alarm,
                vec![Op::DeleteAlarm {
                    alarm: x.name.clone(),
                }],
            ));
        }
        self.plan.changes.extend(changes);
    }

    fn destroy_trail(&mut self, t: &TrailState, goes: bool) {
        let address = format!("trail.{}", t.name);
        if goes {
            let mut ops = Vec::new();
            if t.is_logging != Some(false) {
                ops.push(Op::StopLogging {
                    trail: t.name.clone(),
                });
            }
            // By name, as every other trail request: the trail found is the one whose home
            // region is this region.
            ops.push(Op::DeleteTrail {
                trail: t.name.clone(),
            });
            self.plan.changes.push(gone(address, Resource::Trail, ops));
        } else if !is_managed(&t.tags) {
            self.release(
                &address,
                "trailwarden turned on multi-region logging, global service events, log file validation, logging and delivery to CloudWatch Logs (its log group and role); they stay".into(),
            );
        } else {
            self.warn(
                "kept",
                Some(&address),
                format!(
                    "trail `{}` keeps recording and delivering to the bucket and the log group (its role stays too): pass --stop-logging to delete it, which leaves the account unmonitored",
                    t.name
                ),
            );
        }
    }

    fn destroy_role(&mut self, trail_gone: bool, others: &[&TrailState]) {
        let (Some(spec), Some(role)) = (&self.d.role, &self.a.role) else {
            return;
        };
        let address = format!("iam_role.{}", spec.name);
        if !ours(&role.tags) {
            if role.policy.is_some() {
                self.release(
                    &address,
                    format!(
                        "trailwarden added the inline policy `{}` (CloudTrail's delivery to the log group); it stays",
                        spec.policy_name
                    ),
                );
            }
            return;
        }
        if !trail_gone {
            return;
        }
        if let Some(t) = others
            .iter()
            .find(|t| t.cw_role_arn.as_deref().and_then(role_of) == Some(spec.name.as_str()))
        {
            self.warn(
                "kept",
                Some(&address),
                format!(
                    "IAM role `{}` stays: trail `{}` delivers to CloudWatch Logs through it",
                    spec.name, t.name
                ),
            );
            return;
        }
        let mut ops = Vec::new();
        if role.policy.is_some() {
            ops.push(Op::DeleteRolePolicy {
                role: spec.name.clone(),
                policy_name: spec.policy_name.clone(),
            });
        }
        // The role is global; each region applied puts its own inline policy on it. It goes
        // when this region's was the last.
        let others = self
            .a
            .role_policies
            .iter()
            .flatten()
            .any(|n| n != &spec.policy_name);
        if others {
            self.warn(
                "kept",
                Some(&address),
                format!(
                    "IAM role `{}` stays: other regions' delivery policies are still on it",
                    spec.name
                ),
            );
        } else {
            ops.push(Op::DeleteRole {
                role: spec.name.clone(),
            });
        }
        if !ops.is_empty() {
            self.plan
                .changes
                .push(gone(address, Resource::IamRole, ops));
        }
    }

    fn destroy_log_data(&mut self, trail_gone: bool, delete: bool, others: &[&TrailState]) {
        let group = self.a.log_group.as_ref();
        let group_ours = group.is_some_and(|g| self.d.log_group.managed && ours(&g.tags));
        let bucket = self.a.bucket.as_ref();
        // An adopted trail's bucket is not in the desired state: never trailwarden's.
        let bucket_ours = self.d.bucket.is_some() && bucket.is_some_and(|b| ours(&b.tags));
        if let Some(g) = group {
            let address = format!("log_group.{}", g.name);
            if !group_ours {
                self.release(
                    &address,
                    "trailwarden set its retention (when configured) and put the metric filters on it; it stays".into(),
                );
            } else if let Some(t) = others
                .iter()
                .find(|t| t.cw_log_group_arn.as_deref().and_then(log_group_of) == Some(&g.name))
                .filter(|_| delete && trail_gone)
            {
                self.warn(
                    "kept",
                    Some(&address),
                    format!(
                        "log group `{}` and its log events stay: trail `{}` still delivers to it",
                        g.name, t.name
                    ),
                );
            } else if delete && trail_gone {
                self.plan.changes.push(gone(
                    address,
                    Resource::LogGroup,
                    vec![Op::DeleteLogGroup {
                        log_group: g.name.clone(),
                    }],
                ));
            } else {
                self.warn(
                    "kept",
                    Some(&address),
                    format!(
                        "log group `{}` and its log events stay ({})",
                        g.name,
                        why_kept(delete)
                    ),
                );
            }
        }
        if let Some(b) = bucket {
            let address = format!("s3_bucket.{}", b.name);
            if !bucket_ours {
                self.release(
                    &address,
                    "trailwarden added its bucket policy statements, default encryption, versioning and Block Public Access; they stay".into(),
                );
            } else if let Some(t) = others
                .iter()
                .find(|t| t.s3_bucket.as_deref() == Some(b.name.as_str()))
                .filter(|_| delete && trail_gone)
            {
                self.warn(
                    "kept",
                    Some(&address),
                    format!(
                        "bucket `{}` and its log files stay: trail `{}` still delivers to it",
                        b.name, t.name
                    ),
                );
            } else if delete && trail_gone {
                self.plan.changes.push(gone(
                    address,
                    Resource::S3Bucket,
                    vec![
                        Op::EmptyBucket {
                            bucket: b.name.clone(),
                        },
                        Op::DeleteBucket {
                            bucket: b.name.clone(),
                        },
                    ],
                ));
            } else {
                self.warn(
                    "kept",
                    Some(&address),
                    format!(
                        "bucket `{}` and its log files stay ({})",
                        b.name,
                        why_kept(delete)
                    ),
                );
            }
        }
    }

    fn release(&mut self, address: &str, what: String) {
        self.warn(
            "released",
            Some(address),
            format!("{address} is adopted, not trailwarden's: released, not deleted; {what}"),
        );
    }
}
