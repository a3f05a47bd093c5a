//! `destroy`: what goes, in which order, and what stays.

use super::tests::{applied, basic, no_wait, rt, ACCOUNT};
use super::*;
use crate::apply::{apply, NoProgress};
use crate::config::{self, Overrides};

/// The account as `aws::read_for_destroy` sees it: the configured alarms with their tags, the
/// role's inline policies listed.
pub(crate) fn read_for_destroy(a: &Actual, d: &Desired) -> Actual {
    let mut a = a.clone();
    for alarm in a.alarms.values_mut() {
        alarm.tags = Some(managed_tags(&Tags::new()));
    }
    if let (Some(role), Some(spec)) = (&a.role, &d.role) {
        a.role_policies = Some(if role.policy.is_some() {
            vec![spec.policy_name.clone()]
        } else {
            Vec::new()
        });
    }
    a
}

fn addresses(p: &Plan) -> Vec<&str> {
    p.changes.iter().map(|c| c.address.as_str()).collect()
}

fn codes(p: &Plan) -> Vec<(&str, &str)> {
    p.warnings
        .iter()
        .map(|w| (w.code, w.address.as_deref().unwrap_or_default()))
        .collect()
}

const EVERYTHING: DestroyOptions = DestroyOptions {
    stop_logging: true,
    delete_log_data: true,
};

#[test]
fn by_default_the_alarms_go_and_the_trail_and_log_data_stay() {
    let d = basic();
    let fake = applied(&d);
    let p = destroy(
        &d,
        &read_for_destroy(&fake.snapshot(), &d),
        DestroyOptions::default(),
    );
    assert_eq!(
        addresses(&p),
        [
            "metric_filter.RootAccountUsage",
            "metric_filter.ApiActivityWithoutMFA",
            "metric_filter.ConsoleSignInWithoutMfa",
            "sns_topic.trailwarden-alarms",
            "alarm.ApiActivityWithoutMFAAlarm",
            "alarm.ConsoleSignInWithoutMfaAlarm",
            "alarm.RootAccountUsageAlarm",
        ]
    );
    assert!(p.changes.iter().all(|c| c.action == Action::Delete));
    assert_eq!(
        codes(&p),
        [
            ("kept", "trail.trailwarden"),
            ("kept", "log_group.trailwarden-cloudtrail"),
            (
                "kept",
                "s3_bucket.trailwarden-cloudtrail-111122223333-us-east-1"
            ),
        ]
    );
    // Nothing that holds or delivers log data is touched.
    assert!(!p.ops().any(|o| matches!(
        o,
        Op::StopLogging { .. }
            | Op::DeleteTrail { .. }
            | Op::DeleteRole { .. }
            | Op::DeleteRolePolicy { .. }
            | Op::DeleteLogGroup { .. }
            | Op::EmptyBucket { .. }
            | Op::DeleteBucket { .. }
    )));
}

#[test]
fn everything_goes_in_reverse_dependency_order_and_a_second_destroy_has_nothing_to_do() {
    let d = basic();
    let fake = applied(&d);
    let p = destroy(&d, &read_for_destroy(&fake.snapshot(), &d), EVERYTHING);
    let apis: Vec<&str> = p.ops().map(Op::api).collect();
    assert_eq!(
        apis[7..],
        [
            "cloudtrail:StopLogging",
            "cloudtrail:DeleteTrail",
            "iam:DeleteRolePolicy",
            "iam:DeleteRole",
            "logs:DeleteLogGroup",
            "s3:DeleteObjectVersion",
            "s3:DeleteBucket",
        ]
    );
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let out = rt().block_on(apply(&p, &fake, &no_wait(), &mut NoProgress));
    assert!(out.failed.is_none());
    let after = fake.snapshot();
    assert!(after.bucket.is_none() && after.log_group.is_none() && after.role.is_none());
    assert!(after.trails.is_empty() && after.alarms.is_empty() && after.topics.is_empty());
    assert!(destroy(&d, &read_for_destroy(&after, &d), EVERYTHING).is_empty());
}

#[test]
fn a_destroy_cut_short_is_finished_by_the_next() {
    let d = basic();
    let fake = applied(&d);
    fake.fail_next("iam:DeleteRole", "ServiceFailure", 1);
    let p = destroy(&d, &read_for_destroy(&fake.snapshot(), &d), EVERYTHING);
    let strict = crate::apply::RetryPolicy {
        attempts: 1,
        ..no_wait()
    };
    let out = rt().block_on(apply(&p, &fake, &strict, &mut NoProgress));
    assert!(out.failed.is_some());
    let p = destroy(&d, &read_for_destroy(&fake.snapshot(), &d), EVERYTHING);
    assert_eq!(
        addresses(&p),
        [
            "iam_role.trailwarden-cloudtrail-to-logs",
            "log_group.trailwarden-cloudtrail",
            "s3_bucket.trailwarden-cloudtrail-111122223333-us-east-1",
        ]
    );
    rt().block_on(apply(&p, &fake, &no_wait(), &mut NoProgress));
    assert!(destroy(&d, &read_for_destroy(&fake.snapshot(), &d), EVERYTHING).is_empty());
}

#[test]
fn the_role_stays_while_another_region_delivers_through_it() {
    let d = basic();
    let fake = applied(&d);
    let mut a = read_for_destroy(&fake.snapshot(), &d);
    a.role_policies = Some(vec![
        "cloudtrail-to-cloudwatch-logs-us-east-1".into(),
        "cloudtrail-to-cloudwatch-logs-eu-west-1".into(),
    ]);
    let p = destroy(&d, &a, EVERYTHING);
    let role = p
        .changes
        .iter()
        .find(|c| c.resource == Resource::IamRole)
        .unwrap();
    let apis: Vec<&str> = role.ops.iter().map(Op::api).collect();
    assert_eq!(apis, ["iam:DeleteRolePolicy"]);
    assert!(codes(&p).contains(&("kept", "iam_role.trailwarden-cloudtrail-to-logs")));
}

#[test]
fn untagged_alarms_and_adopted_resources_are_released_not_deleted() {
    // An adopted trail that delivers to its own log group: its filters and alarms were
    // trailwarden's; the trail, log group and (adopted) topic are not.
    let cfg = config::from_str(
        "t.toml",
        "emails = [\"a@example.com\"]\n[trail]\nname = \"main\"\nadopt = true\n[topics.default]\nname = \"their-topic\"\n",
        &Overrides::default(),
    )
    .unwrap();
    let existing = TrailState {
        name: "main".into(),
        arn: "arn:aws:cloudtrail:us-east-1:111122223333:trail/main".into(),
        home_region: Some("us-east-1".into()),
        multi_region: true,
        s3_bucket: Some("their-bucket".into()),
        cw_log_group_arn: Some(
            "arn:aws:logs:us-east-1:111122223333:log-group:their-group:*".into(),
        ),
        cw_role_arn: Some("arn:aws:iam::111122223333:role/their-role".into()),
        is_logging: Some(true),
        ..Default::default()
    };
    let d = crate::desired::build(&cfg, &Target::new(ACCOUNT, "us-east-1"), Some(&existing));
    let fake = applied(&d);
    {
        let mut s = fake.state.lock().unwrap();
        s.trails = vec![existing];
        s.log_group = Some(LogGroupState {
            name: "their-group".into(),
            ..Default::default()
        });
        // The topic existed before: it carries no trailwarden tag.
        s.topics.values_mut().for_each(|t| t.tags.clear());
    }
    let mut a = read_for_destroy(&fake.snapshot(), &d);
    // Someone's own alarm of a configured name, without the tag.
    a.alarms.get_mut("RootAccountUsageAlarm").unwrap().tags = Some(Tags::new());
    let p = destroy(&d, &a, EVERYTHING);
    assert_eq!(
        addresses(&p),
        [
            "metric_filter.ApiActivityWithoutMFA",
            "metric_filter.ConsoleSignInWithoutMfa",
            "alarm.ApiActivityWithoutMFAAlarm",
            "alarm.ConsoleSignInWithoutMfaAlarm",
        ]
    );
    let released: Vec<&str> = codes(&p)
        .into_iter()
        .filter(|(c, _)| *c == "released")
        .map(|(_, a)| a)
        .collect();
    assert_eq!(
        released,
        [
            "sns_topic.their-topic",
            "trail.main",
            "log_group.their-group"
        ]
    );
}

#[test]
fn log_data_and_the_role_stay_while_another_trail_delivers_to_them() {
    let d = basic();
    let fake = applied(&d);
    let mut a = read_for_destroy(&fake.snapshot(), &d);
    let ours = a.trails[0].clone();
    // Another team's trail, pointed at trailwarden's bucket, log group and role.
    a.trails.push(TrailState {
        name: "their-trail".into(),
        arn: "arn:aws:cloudtrail:us-east-1:111122223333:trail/their-trail".into(),
        home_region: Some("us-east-1".into()),
        tags: Tags::new(),
        ..ours.clone()
    });
    let p = destroy(&d, &a, EVERYTHING);
    let apis: Vec<&str> = p.ops().map(Op::api).collect();
    assert!(apis.contains(&"cloudtrail:DeleteTrail"), "{apis:?}");
    assert!(
        !apis.iter().any(|a| matches!(
            *a,
            "iam:DeleteRolePolicy"
                | "iam:DeleteRole"
                | "logs:DeleteLogGroup"
                | "s3:DeleteObjectVersion"
                | "s3:DeleteBucket"
        )),
        "{apis:?}"
    );
    let kept: Vec<&str> = codes(&p)
        .into_iter()
        .filter(|(c, _)| *c == "kept")
        .map(|(_, a)| a)
        .collect();
    assert_eq!(
        kept,
        [
            "iam_role.trailwarden-cloudtrail-to-logs",
            "log_group.trailwarden-cloudtrail",
            "s3_bucket.trailwarden-cloudtrail-111122223333-us-east-1",
        ]
    );
    assert!(p.warnings.iter().all(|w| w.message.contains("their-trail")));

    // The same trail seen from a region that is not its home: not this region's to delete, and
    // it still delivers, so nothing it uses goes either.
    let mut a = read_for_destroy(&fake.snapshot(), &d);
    a.trails[0].home_region = Some("eu-west-1".into());
    let p = destroy(&d, &a, EVERYTHING);
    assert!(
        !p.ops().any(|o| matches!(
            o,
            Op::DeleteTrail { .. }
                | Op::DeleteRole { .. }
                | Op::DeleteLogGroup { .. }
                | Op::DeleteBucket { .. }
        )),
        "{:?}",
        p.ops().map(Op::api).collect::<Vec<_>>()
    );
}

#[test]
fn deletes_refused_for_a_concurrent_update_are_retried() {
    let d = basic();
    let fake = applied(&d);
    fake.fail_next("logs:DeleteMetricFilter", "OperationAbortedException", 1);
    fake.fail_next("cloudtrail:DeleteTrail", "ConflictException", 2);
    fake.fail_next("iam:DeleteRole", "ConcurrentModification", 1);
    fake.fail_next("s3:DeleteBucket", "OperationAborted", 1);
    let p = destroy(&d, &read_for_destroy(&fake.snapshot(), &d), EVERYTHING);
    let out = rt().block_on(apply(&p, &fake, &no_wait(), &mut NoProgress));
    assert!(out.failed.is_none(), "{:?}", out.failed);
    let retried: Vec<(&str, u32)> = out
        .applied
        .iter()
        .filter(|a| a.retries > 0)
        .map(|a| (a.address.as_str(), a.retries))
        .collect();
    assert_eq!(
        retried,
        [
            ("metric_filter.RootAccountUsage", 1),
            ("trail.trailwarden", 2),
            ("iam_role.trailwarden-cloudtrail-to-logs", 1),
            ("s3_bucket.trailwarden-cloudtrail-111122223333-us-east-1", 1),
        ]
    );
    assert!(destroy(&d, &read_for_destroy(&fake.snapshot(), &d), EVERYTHING).is_empty());

    // Not a concurrent update: not retried.
    let fake = applied(&d);
    fake.fail_next("iam:DeleteRole", "DeleteConflict", 1);
    let p = destroy(&d, &read_for_destroy(&fake.snapshot(), &d), EVERYTHING);
    let out = rt().block_on(apply(&p, &fake, &no_wait(), &mut NoProgress));
    assert_eq!(out.failed.map(|f| f.api), Some("iam:DeleteRole".into()));
}

#[test]
fn a_filter_of_another_name_publishing_a_configured_metric_stays() {
    let d = basic();
    let fake = applied(&d);
    let mut a = read_for_destroy(&fake.snapshot(), &d);
    let mut theirs = a
        .filters
        .iter()
        .find(|f| f.name == "RootAccountUsage")
        .unwrap()
        .clone();
    theirs.name = "TheirRootUsageFilter".into();
    a.filters.push(theirs);
    let p = destroy(&d, &a, DestroyOptions::default());
    let names: Vec<&str> = p.changes.iter().map(|c| c.address.as_str()).collect();
    assert!(
        names.contains(&"metric_filter.RootAccountUsage"),
        "{names:?}"
    );
    assert!(
        !names.contains(&"metric_filter.TheirRootUsageFilter"),
        "{names:?}"
    );
}
