//! Removals: what trailwarden created and the configuration no longer asks for.

use super::tests::{applied, desired_from, kinds, no_wait, rt};
use super::*;
use crate::apply::{apply, NoProgress};

const ALL: &str = "emails = [\"sec@example.com\"]\n[topics.critical]\n[controls.root-account-usage]\ntopic = \"critical\"\n";
const WITHOUT_ROOT: &str =
    "emails = [\"sec@example.com\"]\n[controls.root-account-usage]\ndisabled = true\n";

/// The account as `aws::read` sees it for `d`: alarms the configuration does not name, in a
/// managed namespace, become candidates with their tags (trailwarden's when `tagged`); topics
/// outside the configuration that an alarm routes to become candidate topics.
pub(crate) fn read_for(a: &Actual, d: &Desired, tagged: bool) -> Actual {
    let mut a = a.clone();
    let wanted = |name: &str| d.alarms.iter().any(|s| s.name == name);
    let all: Vec<AlarmState> = a
        .alarms
        .values()
        .chain(a.undesired_alarms.values())
        .cloned()
        .collect();
    a.alarms.clear();
    a.undesired_alarms.clear();
    for mut alarm in all {
        if wanted(&alarm.name) {
            alarm.tags = None;
            a.alarms.insert(alarm.name.clone(), alarm);
        } else if alarm
            .namespace
            .as_ref()
            .is_some_and(|n| d.namespaces.contains(n))
        {
            alarm.tags = Some(if tagged {
                managed_tags(&Tags::new())
            } else {
                Tags::new()
            });
            a.undesired_alarms.insert(alarm.name.clone(), alarm);
        }
    }
    let topics = std::mem::take(&mut a.topics);
    for (name, t) in topics {
        if d.topics.iter().any(|s| s.name == name) {
            a.topics.insert(name, t);
            continue;
        }
        let arn = crate::arn::topic("aws", "us-east-1", super::tests::ACCOUNT, &name);
        let routes: Vec<String> = a
            .alarms
            .values()
            .chain(a.undesired_alarms.values())
            .filter(|x| x.alarm_actions.contains(&arn))
            .map(|x| x.name.clone())
            .collect();
        if !routes.is_empty() {
            a.topic_routes.insert(arn.clone(), routes);
            a.undesired_topics
                .insert(arn.clone(), TopicState { arn, ..t });
        }
    }
    a
}

fn removed(p: &Plan) -> Vec<&str> {
    p.changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .map(|c| c.address.as_str())
        .collect()
}

#[test]
fn a_disabled_control_removes_its_filter_then_its_topic_then_its_alarm() {
    let before = desired_from(ALL);
    let fake = applied(&before);
    let after = desired_from(WITHOUT_ROOT);
    let p = plan(&after, &read_for(&fake.snapshot(), &after, true));
    assert_eq!(
        removed(&p),
        [
            "metric_filter.RootAccountUsage",
            "sns_topic.trailwarden-alarms-critical",
            "alarm.RootAccountUsageAlarm"
        ],
        "{p:#?}"
    );
    // The removals come last, each one request, and nothing else changes.
    assert!(p.changes.iter().all(|c| c.action == Action::Delete));
    assert_eq!(
        kinds(&p),
        [
            DriftKind::MetricFilterOrphan,
            DriftKind::TopicOrphan,
            DriftKind::AlarmOrphan
        ]
    );
    let apis: Vec<&str> = p.ops().map(Op::api).collect();
    assert_eq!(
        apis,
        [
            "logs:DeleteMetricFilter",
            "sns:DeleteTopic",
            "cloudwatch:DeleteAlarms"
        ]
    );
    // Applied, the account matches the smaller configuration.
    let out = rt().block_on(apply(&p, &fake, &no_wait(), &mut NoProgress));
    assert!(out.failed.is_none());
    let again = plan(&after, &read_for(&fake.snapshot(), &after, true));
    assert!(again.is_empty(), "{again:#?}");
}

#[test]
fn an_alarm_without_the_ownership_tag_and_its_filter_survive() {
    let fake = applied(&desired_from(ALL));
    let after = desired_from(WITHOUT_ROOT);
    let p = plan(&after, &read_for(&fake.snapshot(), &after, false));
    assert!(removed(&p).is_empty(), "{p:#?}");
    assert!(p.is_empty());
}

#[test]
fn a_filter_another_alarm_still_uses_stays() {
    let fake = applied(&desired_from(ALL));
    let after = desired_from(WITHOUT_ROOT);
    let mut a = read_for(&fake.snapshot(), &after, true);
    // Someone's own alarm on the same metric, without the tag.
    let mut theirs = a.undesired_alarms["RootAccountUsageAlarm"].clone();
    theirs.name = "MyRootAlarm".into();
    theirs.alarm_actions.clear();
    theirs.tags = Some(Tags::new());
    a.undesired_alarms.insert(theirs.name.clone(), theirs);
    let p = plan(&after, &a);
    assert_eq!(
        removed(&p),
        [
            "sns_topic.trailwarden-alarms-critical",
            "alarm.RootAccountUsageAlarm"
        ]
    );
}

#[test]
fn a_topic_another_alarm_routes_to_stays() {
    let fake = applied(&desired_from(ALL));
    let after = desired_from(WITHOUT_ROOT);
    let mut a = read_for(&fake.snapshot(), &after, true);
    let arn = a.undesired_topics.keys().next().unwrap().clone();
    a.topic_routes
        .get_mut(&arn)
        .unwrap()
        .push("SomeoneElsesAlarm".into());
    let p = plan(&after, &a);
    assert_eq!(
        removed(&p),
        [
            "metric_filter.RootAccountUsage",
            "alarm.RootAccountUsageAlarm"
        ]
    );
    // And one trailwarden did not create is never deleted.
    let mut a = read_for(&fake.snapshot(), &after, true);
    a.undesired_topics.values_mut().for_each(|t| t.tags.clear());
    assert!(!removed(&plan(&after, &a)).contains(&"sns_topic.trailwarden-alarms-critical"));
}

#[test]
fn a_topic_configured_alarms_move_away_from_goes_once_they_moved() {
    // The control stays but its topic goes: the alarm is updated, then the topic deleted.
    let fake = applied(&desired_from(ALL));
    let after = desired_from("emails = [\"sec@example.com\"]\n");
    let p = plan(&after, &read_for(&fake.snapshot(), &after, true));
    let addresses: Vec<&str> = p.changes.iter().map(|c| c.address.as_str()).collect();
    assert_eq!(
        addresses,
        [
            "alarm.RootAccountUsageAlarm",
            "sns_topic.trailwarden-alarms-critical"
        ]
    );
    assert_eq!(p.changes[0].action, Action::Update);
    assert_eq!(p.changes[1].action, Action::Delete);
}

#[test]
fn a_removal_cut_short_is_finished_by_the_next_apply() {
    let before = desired_from(ALL);
    let fake = applied(&before);
    let after = desired_from(WITHOUT_ROOT);
    fake.fail_next("cloudwatch:DeleteAlarms", "InternalServiceError", 1);
    let p = plan(&after, &read_for(&fake.snapshot(), &after, true));
    let out = rt().block_on(apply(
        &p,
        &fake,
        &crate::apply::RetryPolicy {
            attempts: 1,
            ..no_wait()
        },
        &mut NoProgress,
    ));
    assert!(out.failed.is_some());
    // The filter and the topic are gone; the alarm, which proves ownership, is still there.
    let p = plan(&after, &read_for(&fake.snapshot(), &after, true));
    assert_eq!(removed(&p), ["alarm.RootAccountUsageAlarm"]);
    rt().block_on(apply(&p, &fake, &no_wait(), &mut NoProgress));
    assert!(plan(&after, &read_for(&fake.snapshot(), &after, true)).is_empty());
}

#[test]
fn a_removed_address_is_unsubscribed_from_a_topic_trailwarden_created() {
    let two = desired_from("emails = [\"sec@example.com\", \"old@example.com\"]\n");
    let fake = applied(&two);
    let one = desired_from("emails = [\"sec@example.com\"]\n");
    let p = plan(&one, &read_for(&fake.snapshot(), &one, true));
    assert_eq!(
        removed(&p),
        ["sns_subscription.trailwarden-alarms/old@example.com"]
    );
    assert_eq!(kinds(&p), [DriftKind::SubscriptionOrphan]);
    rt().block_on(apply(&p, &fake, &no_wait(), &mut NoProgress));
    let subs = &fake.snapshot().topics["trailwarden-alarms"].subscriptions;
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0].endpoint, "sec@example.com");
    assert!(plan(&one, &read_for(&fake.snapshot(), &one, true)).is_empty());

    // Pending (no ARN to unsubscribe), another protocol, or an adopted topic: left alone.
    let mut a = read_for(&applied(&two).snapshot(), &one, true);
    let topic = a.topics.get_mut("trailwarden-alarms").unwrap();
    topic.subscriptions[1].arn = "PendingConfirmation".into();
    topic.subscriptions.push(Subscription {
        protocol: "sqs".into(),
        endpoint: "arn:aws:sqs:us-east-1:111122223333:q".into(),
        arn: "arn:aws:sns:us-east-1:111122223333:trailwarden-alarms:q".into(),
    });
    assert!(removed(&plan(&one, &a)).is_empty());
    let adopted = desired_from(
        "emails = [\"sec@example.com\"]\n[topics.default]\nname = \"trailwarden-alarms\"\n",
    );
    let mut a = read_for(&applied(&two).snapshot(), &adopted, true);
    // Adopted: it existed before, without trailwarden's tag.
    a.topics.values_mut().for_each(|t| t.tags.clear());
    assert!(removed(&plan(&adopted, &a)).is_empty());
}

#[test]
fn converging_never_deletes_the_trail_its_role_or_log_data() {
    // Everything renamed: the old trail, role, log group and bucket are no longer configured,
    // yet `plan` only creates the new ones; removing those is `destroy`'s, on request.
    let fake = applied(&desired_from(ALL));
    let renamed = desired_from(
        "emails = [\"sec@example.com\"]\n[trail]\nname = \"other\"\n[bucket]\nname = \"other-bucket-111122223333\"\n[log_group]\nname = \"other-group\"\n[role]\nname = \"other-role\"\n",
    );
    let p = plan(&renamed, &read_for(&fake.snapshot(), &renamed, true));
    assert!(!p.ops().any(|op| matches!(
        op,
        Op::StopLogging { .. }
            | Op::DeleteTrail { .. }
            | Op::DeleteRolePolicy { .. }
            | Op::DeleteRole { .. }
            | Op::DeleteLogGroup { .. }
            | Op::EmptyBucket { .. }
            | Op::DeleteBucket { .. }
    )));
}

#[test]
fn a_topic_a_trail_notifies_stays() {
    let fake = applied(&desired_from(ALL));
    let after = desired_from(WITHOUT_ROOT);
    let mut a = read_for(&fake.snapshot(), &after, true);
    let arn = a.undesired_topics.keys().next().unwrap().clone();
    a.trails[0].sns_topic_arn = Some(arn);
    assert_eq!(
        removed(&plan(&after, &a)),
        [
            "metric_filter.RootAccountUsage",
            "alarm.RootAccountUsageAlarm"
        ]
    );
}
