use super::*;
use crate::apply::{apply, NoProgress, RetryPolicy};
use crate::config::{self, Overrides};
use crate::fake::FakeAccount;
use std::time::Duration;

pub(crate) const ACCOUNT: &str = "111122223333";

pub(crate) fn desired_from(text: &str) -> Desired {
    let cfg = config::from_str("test.toml", text, &Overrides::default()).expect("valid config");
    crate::desired::build(&cfg, &Target::new(ACCOUNT, "us-east-1"), None)
}

pub(crate) fn basic() -> Desired {
    desired_from("emails = [\"sec@example.com\"]\n")
}

pub(crate) fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
}

pub(crate) fn no_wait() -> RetryPolicy {
    RetryPolicy {
        attempts: 5,
        first_delay: Duration::ZERO,
        max_delay: Duration::ZERO,
    }
}

/// An account where everything was applied by trailwarden.
pub(crate) fn applied(d: &Desired) -> FakeAccount {
    let fake = FakeAccount::new(Actual::default());
    let p = plan(d, &fake.snapshot());
    let out = rt().block_on(apply(&p, &fake, &no_wait(), &mut NoProgress));
    assert!(out.failed.is_none(), "{out:?}");
    fake
}

pub(crate) fn kinds(p: &Plan) -> Vec<DriftKind> {
    p.changes
        .iter()
        .flat_map(|c| c.diffs.iter().map(|d| d.kind))
        .collect()
}

#[test]
fn empty_account_plans_every_resource_in_dependency_order() {
    let d = basic();
    let p = plan(&d, &Actual::default());
    let addrs: Vec<&str> = p.changes.iter().map(|c| c.address.as_str()).collect();
    assert_eq!(
        addrs,
        vec![
            "s3_bucket.trailwarden-cloudtrail-111122223333-us-east-1",
            "iam_role.trailwarden-cloudtrail-to-logs",
            "log_group.trailwarden-cloudtrail",
            "sns_topic.trailwarden-alarms",
            "sns_subscription.trailwarden-alarms/sec@example.com",
            "trail.trailwarden",
            "metric_filter.RootAccountUsage",
            "metric_filter.ApiActivityWithoutMFA",
            "metric_filter.ConsoleSignInWithoutMfa",
            "alarm.RootAccountUsageAlarm",
            "alarm.ApiActivityWithoutMFAAlarm",
            "alarm.ConsoleSignInWithoutMfaAlarm",
        ]
    );
    assert!(p.changes.iter().all(|c| c.action == Action::Create));
    let apis: Vec<&str> = p.ops().map(|o| o.api()).collect();
    let pos = |a: &str| apis.iter().position(|x| *x == a).unwrap();
    assert!(pos("s3:PutBucketPolicy") < pos("cloudtrail:CreateTrail"));
    assert!(pos("iam:PutRolePolicy") < pos("cloudtrail:CreateTrail"));
    assert!(pos("cloudtrail:CreateTrail") < pos("cloudtrail:StartLogging"));
    assert!(pos("sns:CreateTopic") < pos("cloudwatch:PutMetricAlarm"));
    assert!(p.conflicts.is_empty() && p.warnings.is_empty());
}

#[test]
fn aws_docs_filters_are_the_guide_verbatim() {
    let d = basic();
    let f: Vec<(&str, &str, &str)> = d
        .filters
        .iter()
        .map(|f| (f.name.as_str(), f.metric_name.as_str(), f.pattern.as_str()))
        .collect();
    assert_eq!(
        f,
        vec![
            (
                "RootAccountUsage",
                "RootAccountUsageCount",
                r#"{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }"#
            ),
            (
                "ApiActivityWithoutMFA",
                "ApiActivityWithoutMFACount",
                r#"{ $.userIdentity.sessionContext.attributes.mfaAuthenticated != "true" }"#
            ),
            (
                "ConsoleSignInWithoutMfa",
                "ConsoleSignInWithoutMfaCount",
                r#"{ $.eventName = "ConsoleLogin" && $.additionalEventData.MFAUsed = "No" }"#
            ),
        ]
    );
    assert!(d
        .filters
        .iter()
        .all(|f| f.namespace == "CloudTrailMetrics" && f.metric_value == "1"));
    for a in &d.alarms {
        assert_eq!(
            (
                a.statistic.as_str(),
                a.period,
                a.evaluation_periods,
                a.threshold,
                a.comparison.as_str(),
                a.treat_missing_data.as_str()
            ),
            (
                "Sum",
                300,
                1,
                1.0,
                "GreaterThanOrEqualToThreshold",
                "notBreaching"
            )
        );
        assert_eq!(
            a.actions,
            vec!["arn:aws:sns:us-east-1:111122223333:trailwarden-alarms".to_string()]
        );
    }
}

#[test]
fn apply_then_plan_gives_no_changes() {
    for text in [
        "emails = [\"a@example.com\"]\n",
        "emails = [\"a@example.com\", \"b@example.com\"]\n[bucket]\nprefix = \"org/logs\"\nkms_key_id = \"arn:aws:kms:us-east-1:111122223333:key/abc\"\n[log_group]\nretention_days = 90\n[trail]\ndelivery_topic = \"ct-delivery\"\n",
        "emails = [\"a@example.com\"]\n[topics.critical]\nemails = [\"oncall@example.com\"]\n[controls.root-account-usage]\ntopic = \"critical\"\nthreshold = 2\n",
    ] {
        let d = desired_from(text);
        let fake = applied(&d);
        let again = plan(&d, &fake.snapshot());
        assert!(again.is_empty(), "{text}: {:#?}", again.changes);
    }
}

#[test]
fn unchanged_model_plans_zero_requests() {
    let d = basic();
    let fake = applied(&d);
    let p = plan(&d, &fake.snapshot());
    assert_eq!(p.ops().count(), 0);
}

pub(crate) fn drift_after(mutate: impl FnOnce(&mut Actual)) -> (Desired, FakeAccount, Plan) {
    let d = basic();
    let fake = applied(&d);
    mutate(&mut fake.state.lock().unwrap());
    let p = plan(&d, &fake.snapshot());
    (d, fake, p)
}

#[test]
fn each_drift_is_named_and_repaired_by_apply() {
    type Mutation = Box<dyn Fn(&mut Actual)>;
    let cases: Vec<(DriftKind, Mutation)> = vec![
        (
            DriftKind::MetricFilterMissing,
            Box::new(|a| a.filters.retain(|f| f.name != "RootAccountUsage")),
        ),
        (
            DriftKind::MetricFilterPattern,
            Box::new(|a| a.filters[0].pattern = "{ $.x = 1 }".into()),
        ),
        (
            DriftKind::MetricFilterNamespace,
            Box::new(|a| a.filters[1].metric_transformations[0].namespace = "Other".into()),
        ),
        (
            DriftKind::MetricFilterMetricName,
            Box::new(|a| a.filters[1].metric_transformations[0].metric_name = "X".into()),
        ),
        (
            DriftKind::MetricFilterValue,
            Box::new(|a| a.filters[2].metric_transformations[0].metric_value = "2".into()),
        ),
        (
            DriftKind::AlarmMissing,
            Box::new(|a| {
                a.alarms.remove("RootAccountUsageAlarm");
            }),
        ),
        (
            DriftKind::AlarmThreshold,
            Box::new(|a| a.alarms.get_mut("RootAccountUsageAlarm").unwrap().threshold = Some(5.0)),
        ),
        (
            DriftKind::AlarmStatistic,
            Box::new(|a| {
                a.alarms.get_mut("RootAccountUsageAlarm").unwrap().statistic =
                    Some("Average".into())
            }),
        ),
        (
            DriftKind::AlarmPeriod,
            Box::new(|a| a.alarms.get_mut("RootAccountUsageAlarm").unwrap().period = Some(60)),
        ),
        (
            DriftKind::AlarmEvaluationPeriods,
            Box::new(|a| {
                a.alarms
                    .get_mut("RootAccountUsageAlarm")
                    .unwrap()
                    .evaluation_periods = Some(3)
            }),
        ),
        (
            DriftKind::AlarmComparison,
            Box::new(|a| {
                a.alarms
                    .get_mut("RootAccountUsageAlarm")
                    .unwrap()
                    .comparison = Some("GreaterThanThreshold".into())
            }),
        ),
        (
            DriftKind::AlarmTreatMissingData,
            Box::new(|a| {
                a.alarms
                    .get_mut("RootAccountUsageAlarm")
                    .unwrap()
                    .treat_missing_data = Some("missing".into())
            }),
        ),
        (
            DriftKind::AlarmActions,
            Box::new(|a| {
                a.alarms
                    .get_mut("RootAccountUsageAlarm")
                    .unwrap()
                    .alarm_actions
                    .clear()
            }),
        ),
        (
            DriftKind::AlarmActionsDisabled,
            Box::new(|a| {
                a.alarms
                    .get_mut("RootAccountUsageAlarm")
                    .unwrap()
                    .actions_enabled = false
            }),
        ),
        (
            DriftKind::AlarmDescription,
            Box::new(|a| {
                a.alarms
                    .get_mut("RootAccountUsageAlarm")
                    .unwrap()
                    .description = Some("Root account usage, managed by trailwarden".into())
            }),
        ),
        (
            DriftKind::AlarmMetricMismatch,
            Box::new(|a| {
                a.alarms.get_mut("RootAccountUsageAlarm").unwrap().namespace =
                    Some("CISBenchmark".into())
            }),
        ),
        (DriftKind::TopicMissing, Box::new(|a| a.topics.clear())),
        (
            DriftKind::SubscriptionMissing,
            Box::new(|a| a.topics.values_mut().for_each(|t| t.subscriptions.clear())),
        ),
        (
            DriftKind::TopicPolicy,
            Box::new(|a| a.topics.values_mut().for_each(|t| t.policy = None)),
        ),
        (
            DriftKind::TopicAwsManagedKey,
            Box::new(|a| {
                a.topics
                    .values_mut()
                    .for_each(|t| t.kms_key_id = Some("alias/aws/sns".into()))
            }),
        ),
        (DriftKind::TrailMissing, Box::new(|a| a.trails.clear())),
        (
            DriftKind::TrailNotLogging,
            Box::new(|a| a.trails[0].is_logging = Some(false)),
        ),
        (
            DriftKind::TrailMultiRegion,
            Box::new(|a| a.trails[0].multi_region = false),
        ),
        (
            DriftKind::TrailGlobalEvents,
            Box::new(|a| a.trails[0].include_global_events = false),
        ),
        (
            DriftKind::TrailLogFileValidation,
            Box::new(|a| a.trails[0].log_file_validation = false),
        ),
        (
            DriftKind::TrailNoCloudwatchLogs,
            Box::new(|a| {
                a.trails[0].cw_log_group_arn = None;
            }),
        ),
        (
            DriftKind::TrailLogGroup,
            Box::new(|a| {
                a.trails[0].cw_log_group_arn =
                    Some("arn:aws:logs:us-east-1:111122223333:log-group:other:*".into())
            }),
        ),
        (
            DriftKind::TrailRole,
            Box::new(|a| {
                a.trails[0].cw_role_arn = Some("arn:aws:iam::111122223333:role/other".into())
            }),
        ),
        (DriftKind::LogGroupMissing, Box::new(|a| a.log_group = None)),
        (
            DriftKind::LogGroupRetention,
            Box::new(|a| a.log_group.as_mut().unwrap().retention_days = Some(7)),
        ),
        (
            DriftKind::BucketPolicyCloudtrail,
            Box::new(|a| {
                let b = a.bucket.as_mut().unwrap();
                b.policy = Some(merge_statements(
                    None,
                    &[b.policy.as_ref().unwrap()["Statement"][2].clone()],
                ));
            }),
        ),
        (
            DriftKind::BucketPolicyTlsDeny,
            Box::new(|a| {
                let b = a.bucket.as_mut().unwrap();
                let p = b.policy.as_mut().unwrap();
                p["Statement"].as_array_mut().unwrap().truncate(2);
            }),
        ),
        (
            DriftKind::BucketPublicAccessBlock,
            Box::new(|a| {
                a.bucket.as_mut().unwrap().public_access_block = Some([true, false, true, true])
            }),
        ),
        (
            DriftKind::BucketEncryption,
            Box::new(|a| a.bucket.as_mut().unwrap().encryption = None),
        ),
        (
            DriftKind::BucketVersioning,
            Box::new(|a| a.bucket.as_mut().unwrap().versioning = Some("Suspended".into())),
        ),
        (DriftKind::RoleMissing, Box::new(|a| a.role = None)),
        (
            DriftKind::RoleTrust,
            Box::new(|a| {
                a.role.as_mut().unwrap().trust_policy = serde_json::json!({"Statement": []})
            }),
        ),
        (
            DriftKind::RolePolicy,
            Box::new(|a| a.role.as_mut().unwrap().policy = None),
        ),
    ];
    for (kind, mutate) in cases {
        let (d, fake, p) = drift_after(|a| mutate(a));
        assert!(kinds(&p).contains(&kind), "{kind}: got {:?}", kinds(&p));
        assert!(p.conflicts.is_empty(), "{kind}: {:?}", p.conflicts);
        let out = rt().block_on(apply(&p, &fake, &no_wait(), &mut NoProgress));
        assert!(out.failed.is_none());
        let after = plan(&d, &fake.snapshot());
        assert!(
            after.is_empty(),
            "{kind} not repaired: {:#?}",
            after.changes
        );
    }
}

#[test]
fn pending_subscription_is_a_warning_not_a_change() {
    let d = basic();
    let fake = FakeAccount {
        subscriptions_pending: true,
        ..FakeAccount::new(Actual::default())
    };
    let p = plan(&d, &fake.snapshot());
    rt().block_on(apply(&p, &fake, &no_wait(), &mut NoProgress));
    let again = plan(&d, &fake.snapshot());
    assert!(again.is_empty());
    assert_eq!(again.warnings.len(), 1);
    assert_eq!(again.warnings[0].code, "subscription-pending");
}

#[test]
fn foreign_bucket_statements_survive_the_merge() {
    let d = desired_from("emails = [\"a@example.com\"]\n[bucket]\nname = \"my-existing-logs\"\n");
    let foreign = serde_json::json!({"Sid": "KeepMe", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::my-existing-logs/*"});
    let actual = Actual {
        bucket: Some(BucketState {
            name: "my-existing-logs".into(),
            policy: Some(
                serde_json::json!({"Version": "2012-10-17", "Statement": [foreign.clone()]}),
            ),
            ..Default::default()
        }),
        ..Default::default()
    };
    let p = plan(&d, &actual);
    let policy = p
        .ops()
        .find_map(|o| match o {
            Op::PutBucketPolicy { policy, .. } => Some(policy.clone()),
            _ => None,
        })
        .unwrap();
    let stmts = policy["Statement"].as_array().unwrap();
    assert_eq!(stmts[0], foreign);
    assert_eq!(stmts.len(), 4);
    // An adopted bucket is not re-tagged and not re-created.
    assert!(!p
        .ops()
        .any(|o| matches!(o, Op::PutBucketTagging { .. } | Op::CreateBucket { .. })));
}

#[test]
fn foreign_trail_is_a_conflict_unless_adopted() {
    let d = basic();
    let foreign = TrailState {
        name: "trailwarden".into(),
        arn: "arn:aws:cloudtrail:us-east-1:111122223333:trail/trailwarden".into(),
        home_region: Some("us-east-1".into()),
        ..Default::default()
    };
    let p = plan(
        &d,
        &Actual {
            trails: vec![foreign],
            ..Default::default()
        },
    );
    assert_eq!(p.conflicts.len(), 1);
    assert_eq!(p.conflicts[0].code, "foreign-trail");
    assert!(!p
        .ops()
        .any(|o| matches!(o, Op::UpdateTrail { .. } | Op::CreateTrail { .. })));
}

#[test]
fn existing_multi_region_trail_is_reported_and_left_alone() {
    let d = basic();
    let other = TrailState {
        name: "org-trail".into(),
        arn: "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail".into(),
        home_region: Some("us-east-1".into()),
        multi_region: true,
        is_logging: Some(true),
        ..Default::default()
    };
    let p = plan(
        &d,
        &Actual {
            trails: vec![other],
            ..Default::default()
        },
    );
    assert!(p
        .warnings
        .iter()
        .any(|w| w.code == "existing-multi-region-trail"
            && w.message.contains("--adopt-trail org-trail")));
    assert!(p.ops().all(|o| match o {
        Op::UpdateTrail { trail } | Op::CreateTrail { trail } => trail.name == "trailwarden",
        Op::StartLogging { trail } => trail == "trailwarden",
        _ => true,
    }));
}

#[test]
fn adopted_trail_with_logs_keeps_its_bucket_group_and_role() {
    let cfg = config::from_str(
        "t.toml",
        "emails = [\"a@example.com\"]\n[trail]\nname = \"main\"\nadopt = true\n",
        &Overrides::default(),
    )
    .unwrap();
    let existing = TrailState {
        name: "main".into(),
        arn: "arn:aws:cloudtrail:us-east-1:111122223333:trail/main".into(),
        home_region: Some("us-east-1".into()),
        multi_region: true,
        include_global_events: true,
        log_file_validation: false,
        s3_bucket: Some("their-bucket".into()),
        cw_log_group_arn: Some(
            "arn:aws:logs:us-east-1:111122223333:log-group:their-group:*".into(),
        ),
        cw_role_arn: Some("arn:aws:iam::111122223333:role/their-role".into()),
        is_logging: Some(true),
        ..Default::default()
    };
    let d = crate::desired::build(&cfg, &Target::new(ACCOUNT, "us-east-1"), Some(&existing));
    assert!(d.bucket.is_none() && d.role.is_none());
    assert_eq!(d.log_group.name, "their-group");
    assert!(d.filters.iter().all(|f| f.log_group == "their-group"));
    let actual = Actual {
        trails: vec![existing],
        log_group: Some(LogGroupState {
            name: "their-group".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let p = plan(&d, &actual);
    assert!(p.conflicts.is_empty());
    let trail_change = p
        .changes
        .iter()
        .find(|c| c.resource == Resource::Trail)
        .unwrap();
    assert_eq!(
        kinds(&Plan {
            changes: vec![trail_change.clone()],
            ..Default::default()
        }),
        vec![DriftKind::TrailLogFileValidation]
    );
    // No bucket, role or log group is created for an adopted trail that already delivers.
    assert!(!p.ops().any(|o| matches!(
        o,
        Op::CreateBucket { .. } | Op::CreateRole { .. } | Op::CreateLogGroup { .. }
    )));
}

#[test]
fn eventual_consistency_errors_are_retried() {
    let d = basic();
    let fake = FakeAccount::new(Actual::default());
    fake.fail_next(
        "cloudtrail:CreateTrail",
        "InvalidCloudWatchLogsRoleArnException",
        2,
    );
    fake.fail_next(
        "cloudtrail:CreateTrail",
        "InsufficientS3BucketPolicyException",
        1,
    );
    let p = plan(&d, &fake.snapshot());
    let out = rt().block_on(apply(&p, &fake, &no_wait(), &mut NoProgress));
    assert!(out.failed.is_none(), "{out:?}");
    let trail = out
        .applied
        .iter()
        .find(|a| a.address == "trail.trailwarden")
        .unwrap();
    assert_eq!(trail.retries, 3);
    assert!(plan(&d, &fake.snapshot()).is_empty());
}

#[test]
fn eventual_consistency_gives_up_after_the_retry_budget() {
    let d = basic();
    let fake = FakeAccount::new(Actual::default());
    fake.fail_next(
        "cloudtrail:CreateTrail",
        "InvalidCloudWatchLogsLogGroupArnException",
        10,
    );
    let p = plan(&d, &fake.snapshot());
    let out = rt().block_on(apply(&p, &fake, &no_wait(), &mut NoProgress));
    let f = out.failed.unwrap();
    assert_eq!(f.api, "cloudtrail:CreateTrail");
    assert!(f
        .error
        .contains("InvalidCloudWatchLogsLogGroupArnException"));
}

#[test]
fn a_half_finished_apply_is_completed_by_the_next() {
    let d = basic();
    let fake = FakeAccount::new(Actual::default());
    fake.fail_next("logs:PutMetricFilter", "AccessDeniedException", 1);
    let first = plan(&d, &fake.snapshot());
    let out = rt().block_on(apply(&first, &fake, &no_wait(), &mut NoProgress));
    assert_eq!(out.failed.as_ref().unwrap().api, "logs:PutMetricFilter");
    let second = plan(&d, &fake.snapshot());
    let addrs: Vec<&str> = second.changes.iter().map(|c| c.address.as_str()).collect();
    assert_eq!(addrs[0], "metric_filter.RootAccountUsage");
    assert!(addrs
        .iter()
        .all(|a| a.starts_with("metric_filter.") || a.starts_with("alarm.")));
    let out = rt().block_on(apply(&second, &fake, &no_wait(), &mut NoProgress));
    assert!(out.failed.is_none());
    assert!(plan(&d, &fake.snapshot()).is_empty());
}

#[test]
fn non_transient_errors_are_not_retried() {
    let d = basic();
    let fake = FakeAccount::new(Actual::default());
    fake.fail_next("s3:CreateBucket", "BucketAlreadyExists", 1);
    let p = plan(&d, &fake.snapshot());
    let out = rt().block_on(apply(&p, &fake, &no_wait(), &mut NoProgress));
    assert!(out.failed.is_some());
    assert_eq!(fake.requests(), vec!["s3:CreateBucket".to_string()]);
}

#[test]
fn policies_compare_as_aws_rewrites_them() {
    let a = serde_json::json!({"Action": ["s3:GetBucketAcl"], "Resource": ["b", "a"], "Condition": {"Bool": {"aws:SecureTransport": false}}});
    let b = serde_json::json!({"Action": "s3:GetBucketAcl", "Resource": ["a", "b"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}});
    assert_eq!(normalize(&a), normalize(&b));
}

#[test]
fn combined_presets_provision_identical_filters_once() {
    let cfg = config::from_str(
        "t.toml",
        "emails = [\"a@example.com\"]\npresets = [\"aws-docs\", \"aws-docs\"]\n",
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(cfg.controls.len(), 3);
}

const ROUTED: &str = "emails = [\"sec@example.com\"]\n[topics.critical]\nemails = [\"oncall@example.com\"]\nhttps = [\"https://events.pagerduty.com/integration/PDKEY/enqueue\"]\nsms = [\"+14155550100\"]\nlambdas = [\"arn:aws:lambda:us-east-1:111122223333:function:notify\"]\n";

#[test]
fn every_protocol_is_subscribed_then_in_sync() {
    let d = desired_from(ROUTED);
    let p = plan(&d, &Actual::default());
    let subscribed: Vec<(String, String)> = p
        .ops()
        .filter_map(|o| match o {
            Op::Subscribe {
                topic_arn,
                subscription,
            } => Some((
                crate::arn::name(topic_arn).to_string(),
                format!("{}:{}", subscription.protocol, subscription.endpoint),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        subscribed,
        vec![
            (
                "trailwarden-alarms-critical".to_string(),
                "email:oncall@example.com".to_string()
            ),
            (
                "trailwarden-alarms-critical".into(),
                "https:https://events.pagerduty.com/integration/PDKEY/enqueue".into()
            ),
            (
                "trailwarden-alarms-critical".into(),
                "sms:+14155550100".into()
            ),
            (
                "trailwarden-alarms-critical".into(),
                "lambda:arn:aws:lambda:us-east-1:111122223333:function:notify".into()
            ),
            ("trailwarden-alarms".into(), "email:sec@example.com".into()),
        ]
    );
    // The integration key is in the request, never in what a plan shows.
    let shown =
        serde_json::to_string(&p.changes.iter().map(|c| &c.address).collect::<Vec<_>>()).unwrap();
    assert!(!shown.contains("PDKEY"), "{shown}");
    assert!(shown.contains(
        "sns_subscription.trailwarden-alarms-critical/https:https://events.pagerduty.com/…#"
    ));
    let fake = applied(&d);
    assert!(plan(&d, &fake.snapshot()).is_empty());
}

#[test]
fn pending_https_is_a_warning_that_says_what_the_endpoint_must_do() {
    let d = desired_from(ROUTED);
    let fake = FakeAccount {
        subscriptions_pending: true,
        ..FakeAccount::new(Actual::default())
    };
    let p = plan(&d, &fake.snapshot());
    rt().block_on(apply(&p, &fake, &no_wait(), &mut NoProgress));
    let again = plan(&d, &fake.snapshot());
    assert!(again.is_empty());
    // Two emails and the HTTPS endpoint wait; SMS and a same-account Lambda do not.
    let pending: Vec<&str> = again
        .warnings
        .iter()
        .filter(|w| w.code == "subscription-pending")
        .map(|w| w.message.as_str())
        .collect();
    assert_eq!(pending.len(), 3, "{pending:#?}");
    assert!(pending
        .iter()
        .any(|m| m.contains("SubscribeURL") && !m.contains("PDKEY")));
}

#[test]
fn a_phone_number_written_differently_is_the_same_subscriber() {
    let d = desired_from(ROUTED);
    let fake = applied(&d);
    fake.state
        .lock()
        .unwrap()
        .topics
        .values_mut()
        .flat_map(|t| t.subscriptions.iter_mut())
        .filter(|s| s.protocol == "sms")
        .for_each(|s| s.endpoint = "+1 415 555 0100".into());
    assert!(plan(&d, &fake.snapshot()).is_empty());
    // But a different number is a missing subscriber, and on a topic trailwarden created the
    // number no longer configured is unsubscribed.
    fake.state
        .lock()
        .unwrap()
        .topics
        .values_mut()
        .flat_map(|t| t.subscriptions.iter_mut())
        .filter(|s| s.protocol == "sms")
        .for_each(|s| s.endpoint = "+14155550199".into());
    assert_eq!(
        kinds(&plan(&d, &fake.snapshot())),
        vec![
            DriftKind::SubscriptionMissing,
            DriftKind::SubscriptionOrphan
        ]
    );
}

const SEVERITY_ROUTED: &str = "emails = [\"sec@example.com\"]\n[topics.pager]\nhttps = [\"https://events.pagerduty.com/integration/K/enqueue\"]\n[topics.chat]\nemails = [\"chat@example.com\"]\n[severities.critical]\ntopics = [\"pager\", \"chat\"]\nok_actions = true\n[severities.high]\ntopics = [\"chat\"]\n[controls.console-signin-without-mfa]\nseverity = \"low\"\n";

#[test]
fn severities_route_alarms_to_their_topics_with_ok_actions() {
    let d = desired_from(SEVERITY_ROUTED);
    let alarm = |name: &str| d.alarms.iter().find(|a| a.name == name).unwrap();
    let topic = |key: &str| format!("arn:aws:sns:us-east-1:{ACCOUNT}:trailwarden-alarms-{key}");
    let default = format!("arn:aws:sns:us-east-1:{ACCOUNT}:trailwarden-alarms");
    // Root usage is critical in the preset: both topics, and told when it recovers.
    let root = alarm("RootAccountUsageAlarm");
    assert_eq!(root.severity, AlarmSeverity::Critical);
    assert_eq!(root.actions, vec![topic("pager"), topic("chat")]);
    assert_eq!(root.ok_actions, root.actions);
    assert!(root
        .description
        .starts_with("[CRITICAL] Root account usage"));
    // Overridden to low, which has no route: the default topic, no OK actions.
    let console = alarm("ConsoleSignInWithoutMfaAlarm");
    assert_eq!(console.severity, AlarmSeverity::Low);
    assert_eq!(console.actions, vec![default.clone()]);
    assert!(console.ok_actions.is_empty());
    // Medium, no route: the default topic.
    let api = alarm("ApiActivityWithoutMFAAlarm");
    assert_eq!(api.actions, vec![default]);

    let p = plan(&d, &Actual::default());
    let root_op = p
        .ops()
        .find_map(|o| match o {
            Op::PutMetricAlarm {
                alarm, ok_actions, ..
            } if alarm.name == "RootAccountUsageAlarm" => Some(ok_actions.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(root_op, vec![topic("pager"), topic("chat")]);
    let fake = applied(&d);
    assert!(plan(&d, &fake.snapshot()).is_empty());

    // OK actions someone removed are drift, repaired without dropping the ones they added.
    fake.state
        .lock()
        .unwrap()
        .alarms
        .get_mut("RootAccountUsageAlarm")
        .unwrap()
        .ok_actions = vec!["arn:aws:sns:us-east-1:111122223333:theirs".into()];
    let p = plan(&d, &fake.snapshot());
    assert_eq!(kinds(&p), vec![DriftKind::AlarmOkActions]);
    let ok = p
        .ops()
        .find_map(|o| match o {
            Op::PutMetricAlarm { ok_actions, .. } => Some(ok_actions.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        ok,
        vec![
            "arn:aws:sns:us-east-1:111122223333:theirs".to_string(),
            topic("pager"),
            topic("chat")
        ]
    );
}

#[test]
fn unknown_severities_and_routes_to_unknown_topics_are_errors() {
    let text = "emails = [\"a@example.com\"]\n[severities.urgent]\ntopics = [\"default\"]\n[severities.high]\ntopics = [\"nope\"]\n[severities.low]\ntopics = []\n[controls.root-account-usage]\nseverity = \"huge\"\n";
    let errors: Vec<String> = match config::from_str("t.toml", text, &Overrides::default()) {
        Ok(_) => vec![],
        Err(d) => d.errors().map(|e| e.to_string()).collect(),
    };
    let has = |needle: &str| errors.iter().any(|e| e.contains(needle));
    assert!(
        has("severity-unknown") && has("unknown severity `urgent`"),
        "{errors:#?}"
    );
    assert!(has("severity `high` names topic `nope`"), "{errors:#?}");
    assert!(has("severity `low` routes to no topic"), "{errors:#?}");
    assert!(has("unknown severity `huge`"), "{errors:#?}");
    assert_eq!(errors.len(), 4, "{errors:#?}");
}

const CHAT: &str = "emails = [\"sec@example.com\"]\n[topics.chat]\nemails = [\"c@example.com\"]\n[chat.secops]\nslack_workspace_id = \"T07EA123LEP\"\nslack_channel_id = \"C07EZ1ABC23\"\ntopics = [\"chat\", \"default\"]\niam_role_arn = \"arn:aws:iam::111122223333:role/chatbot-notifications\"\n[chat.soc]\nteams_tenant_id = \"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee\"\nteams_team_id = \"11111111-2222-3333-4444-555555555555\"\nteams_channel_id = \"19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2\"\niam_role_arn = \"arn:aws:iam::111122223333:role/chatbot-notifications\"\n";

fn authorized() -> Actual {
    Actual {
        chat: ChatState {
            authorized: vec![
                "T07EA123LEP".into(),
                "11111111-2222-3333-4444-555555555555".into(),
            ],
            channels: vec![],
        },
        ..Actual::default()
    }
}

#[test]
fn chat_channels_are_created_read_only_with_their_topics_then_in_sync() {
    let d = desired_from(CHAT);
    let fake = FakeAccount::new(authorized());
    let p = plan(&d, &fake.snapshot());
    let created: Vec<&ChatChannelSpec> = p
        .ops()
        .filter_map(|o| match o {
            Op::CreateChatChannel { channel } => Some(channel),
            _ => None,
        })
        .collect();
    assert_eq!(created.len(), 2);
    let slack = created.iter().find(|c| c.client.is_slack()).unwrap();
    assert_eq!(slack.name, "trailwarden-secops");
    assert_eq!(
        slack.topic_arns,
        vec![
            format!("arn:aws:sns:us-east-1:{ACCOUNT}:trailwarden-alarms-chat"),
            format!("arn:aws:sns:us-east-1:{ACCOUNT}:trailwarden-alarms"),
        ]
    );
    // Never the default AdministratorAccess guardrail.
    assert_eq!(
        slack.guardrail_policy_arns,
        vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".to_string()]
    );
    assert!(is_managed(&slack.tags));
    let teams = created.iter().find(|c| !c.client.is_slack()).unwrap();
    assert_eq!(
        teams.topic_arns,
        vec![format!(
            "arn:aws:sns:us-east-1:{ACCOUNT}:trailwarden-alarms"
        )]
    );
    assert_eq!(
        p.ops()
            .filter(|o| o.api().starts_with("chatbot:"))
            .map(|o| o.api())
            .collect::<Vec<_>>(),
        vec![
            "chatbot:CreateSlackChannelConfiguration",
            "chatbot:CreateMicrosoftTeamsChannelConfiguration"
        ]
    );
    rt().block_on(apply(&p, &fake, &no_wait(), &mut NoProgress));
    assert!(plan(&d, &fake.snapshot()).is_empty());
}

#[test]
fn a_chat_workspace_not_authorized_is_drift_apply_cannot_repair() {
    let d = desired_from(CHAT);
    let p = plan(&d, &Actual::default());
    assert!(!p.ops().any(|o| o.api().starts_with("chatbot:")));
    let unauthorized: Vec<&Change> = p
        .changes
        .iter()
        .filter(|c| c.resource == Resource::ChatChannel)
        .collect();
    assert_eq!(unauthorized.len(), 2);
    assert!(unauthorized
        .iter()
        .all(|c| c.diffs[0].kind == DriftKind::ChatWorkspaceUnauthorized && c.ops.is_empty()));
    assert!(p
        .warnings
        .iter()
        .any(|w| w.code == "chat-workspace-unauthorized"
            && w.message.contains("Slack workspace `T07EA123LEP`")));
}

#[test]
fn chat_drift_is_repaired_keeping_topics_added_by_hand_and_foreign_configurations_are_left_alone() {
    let d = desired_from(CHAT);
    let fake = FakeAccount::new(authorized());
    rt().block_on(apply(
        &plan(&d, &fake.snapshot()),
        &fake,
        &no_wait(),
        &mut NoProgress,
    ));
    let theirs = "arn:aws:sns:us-east-1:111122223333:theirs".to_string();
    {
        let mut s = fake.state.lock().unwrap();
        let slack = s
            .chat
            .channels
            .iter_mut()
            .find(|c| c.client.is_slack())
            .unwrap();
        slack.topic_arns = vec![theirs.clone()];
        slack.role_arn = "arn:aws:iam::111122223333:role/other".into();
    }
    let p = plan(&d, &fake.snapshot());
    assert_eq!(kinds(&p), vec![DriftKind::ChatTopics, DriftKind::ChatRole]);
    rt().block_on(apply(&p, &fake, &no_wait(), &mut NoProgress));
    let s = fake.snapshot();
    let slack = s
        .chat
        .channels
        .iter()
        .find(|c| c.client.is_slack())
        .unwrap();
    assert_eq!(slack.topic_arns[0], theirs);
    assert_eq!(slack.topic_arns.len(), 3);
    assert!(plan(&d, &s).is_empty());
    // A configuration of that name made by someone else: a conflict, nothing written.
    fake.state
        .lock()
        .unwrap()
        .chat
        .channels
        .iter_mut()
        .for_each(|c| c.tags.clear());
    let p = plan(&d, &fake.snapshot());
    assert_eq!(p.conflicts.len(), 2);
    assert!(!p.ops().any(|o| o.api().starts_with("chatbot:")));
}

#[test]
fn each_bad_chat_table_is_reported_at_its_place() {
    let text = "emails = [\"a@example.com\"]\n[chat.a]\nslack_workspace_id = \"t-lower\"\nslack_channel_id = \"C 1\"\niam_role_arn = \"arn:aws:iam::111122223333:user/x\"\n[chat.b]\nslack_workspace_id = \"T1\"\nteams_team_id = \"x\"\n[chat.c]\nteams_tenant_id = \"not-a-uuid\"\nteams_team_id = \"11111111-2222-3333-4444-555555555555\"\nteams_channel_id = \"19%3ax%40thread.tacv2\"\niam_role_arn = \"arn:aws:iam::111122223333:role/r\"\ntopics = [\"nope\"]\n[chat.\"bad key\"]\nslack_workspace_id = \"T1\"\nslack_channel_id = \"C1\"\niam_role_arn = \"arn:aws:iam::111122223333:role/r\"\n";
    let errors: Vec<String> = match config::from_str("t.toml", text, &Overrides::default()) {
        Ok(_) => vec![],
        Err(d) => d.errors().map(|e| e.to_string()).collect(),
    };
    let has = |needle: &str| errors.iter().any(|e| e.contains(needle));
    assert!(
        has("t.toml:3:22: `chat.a`: `t-lower` is not a Slack workspace"),
        "{errors:#?}"
    );
    assert!(
        has("`chat.a`: `C 1` is not a Slack channel id"),
        "{errors:#?}"
    );
    assert!(
        has("`chat.a`: `iam_role_arn` must be the ARN of the IAM role"),
        "{errors:#?}"
    );
    assert!(
        has("`chat.b`: give either slack_workspace_id"),
        "{errors:#?}"
    );
    assert!(has("`chat.c`: `not-a-uuid` is not an id"), "{errors:#?}");
    assert!(has("chat `c` names topic `nope`"), "{errors:#?}");
    assert!(has("`chat.bad key`: the key must be"), "{errors:#?}");
    assert_eq!(errors.len(), 8, "{errors:#?}");
}

#[test]
fn the_subscription_aws_chatbot_makes_for_a_chat_channel_is_never_removed() {
    let d = desired_from(CHAT);
    let fake = FakeAccount::new(authorized());
    rt().block_on(apply(
        &plan(&d, &fake.snapshot()),
        &fake,
        &no_wait(),
        &mut NoProgress,
    ));
    for t in fake.state.lock().unwrap().topics.values_mut() {
        t.subscriptions.push(Subscription {
            protocol: "https".into(),
            endpoint: "https://global.sns-api.chatbot.amazonaws.com".into(),
            arn: format!("{}:chatbot", t.arn),
        });
        // A retired webhook on the same topic is removed.
        t.subscriptions.push(Subscription {
            protocol: "https".into(),
            endpoint: "https://hooks.example.com/old".into(),
            arn: format!("{}:old", t.arn),
        });
    }
    let p = plan(&d, &fake.snapshot());
    let removed: Vec<&String> = p
        .ops()
        .filter_map(|o| match o {
            Op::Unsubscribe { subscription_arn } => Some(subscription_arn),
            _ => None,
        })
        .collect();
    assert!(!removed.is_empty());
    assert!(removed.iter().all(|a| a.ends_with(":old")), "{removed:?}");
}
