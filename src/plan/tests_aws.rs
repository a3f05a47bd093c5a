//! Planner decisions that follow what real AWS does where the emulator is lenient (each test
//! names the AWS behaviour it follows).

use super::tests::{applied, basic, desired_from, drift_after, kinds, no_wait, rt};
use super::*;
use crate::apply::{apply, NoProgress};
use crate::config;
use crate::fake::FakeAccount;
use serde_json::{json, Value};

#[test]
fn the_role_trusts_cloudtrail_without_a_condition() {
    // "Role policy document for CloudTrail to use CloudWatch Logs for monitoring": the role
    // policy does not support aws:SourceArn / aws:SourceAccount.
    let d = basic();
    let trust = &d.role.as_ref().unwrap().trust_policy;
    assert_eq!(
        trust["Statement"][0]["Principal"]["Service"],
        "cloudtrail.amazonaws.com"
    );
    assert!(trust["Statement"][0].get("Condition").is_none(), "{trust}");
    assert!(policy::trusts_cloudtrail(trust));
}

#[test]
fn a_trust_condition_written_earlier_is_drift_and_repaired() {
    let conditioned = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}}]});
    let (d, fake, p) = drift_after(|a| a.role.as_mut().unwrap().trust_policy = conditioned);
    assert_eq!(kinds(&p), vec![DriftKind::RoleTrust]);
    let out = rt().block_on(apply(&p, &fake, &no_wait(), &mut NoProgress));
    assert!(out.failed.is_none());
    let trust = fake.snapshot().role.unwrap().trust_policy;
    assert!(policy::trusts_cloudtrail(&trust), "{trust}");
    assert!(plan(&d, &fake.snapshot()).is_empty());
}

#[test]
fn any_documented_trust_form_is_in_sync_and_other_principals_are_kept() {
    // An adopted role may trust CloudTrail with an array of services, an array of actions,
    // and other principals: in sync.
    let other = json!({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"});
    let documented = json!({"Statement": [other.clone(), {
        "Effect": "Allow",
        "Principal": {"Service": ["logs.amazonaws.com", "cloudtrail.amazonaws.com"]},
        "Action": ["sts:AssumeRole"]}]});
    let (_, _, p) = drift_after(|a| a.role.as_mut().unwrap().trust_policy = documented);
    assert!(p.is_empty(), "{:#?}", p.changes);

    // Conditioned on aws:SourceArn: repaired, the ec2 statement kept.
    let conditioned = json!({"Statement": [other.clone(), {
        "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:cloudtrail:*:111122223333:trail/*"}}}]});
    let (_, _, p) = drift_after(|a| a.role.as_mut().unwrap().trust_policy = conditioned);
    let repaired = p
        .ops()
        .find_map(|o| match o {
            Op::UpdateAssumeRolePolicy { trust_policy, .. } => Some(trust_policy.clone()),
            _ => None,
        })
        .expect("trust repaired");
    let stmts = repaired["Statement"].as_array().unwrap();
    assert_eq!(stmts.len(), 2, "{repaired}");
    assert_eq!(stmts[0], other);
    assert!(policy::trusts_cloudtrail(&repaired));
}

#[test]
fn each_region_has_its_own_inline_policy_on_the_one_role() {
    let cfg = config::from_str(
        "t.toml",
        "emails = [\"a@example.com\"]\n",
        &config::Overrides::default(),
    )
    .unwrap();
    let east = crate::desired::build(&cfg, &Target::new("111122223333", "us-east-1"), None);
    let west = crate::desired::build(&cfg, &Target::new("111122223333", "eu-west-1"), None);
    let (e, w) = (east.role.unwrap(), west.role.unwrap());
    assert_eq!(e.name, w.name);
    assert_ne!(e.policy_name, w.policy_name);
    assert!(e.policy.to_string().contains(":logs:us-east-1:"));
    assert!(w.policy.to_string().contains(":logs:eu-west-1:"));
}

#[test]
fn an_adopted_role_with_a_path_is_named_by_its_real_arn() {
    let d = desired_from("emails = [\"a@example.com\"]\n[role]\nname = \"ct-logs\"\n");
    let real = "arn:aws:iam::111122223333:role/service-role/ct-logs";
    let fake = applied(&d);
    {
        let mut s = fake.state.lock().unwrap();
        s.role.as_mut().unwrap().arn = real.into();
    }
    let p = plan(&d, &fake.snapshot());
    // The trail was created with the ARN built from the name: it is repointed at the real one.
    let update = p
        .ops()
        .find_map(|o| match o {
            Op::UpdateTrail { trail } => Some(trail.cw_role_arn.clone()),
            _ => None,
        })
        .expect("trail repointed");
    assert_eq!(update, real);
    let out = rt().block_on(apply(&p, &fake, &no_wait(), &mut NoProgress));
    assert!(out.failed.is_none());
    assert!(plan(&d, &fake.snapshot()).is_empty());
}

#[test]
fn a_deleted_subscription_is_subscribed_again() {
    // After an unsubscribe, ListSubscriptionsByTopic can list the address with the ARN
    // `Deleted`: nobody is notified, and it is not waiting for a confirmation either.
    let (_, _, p) = drift_after(|a| {
        for t in a.topics.values_mut() {
            for s in &mut t.subscriptions {
                s.arn = "Deleted".into();
            }
        }
    });
    assert_eq!(kinds(&p), vec![DriftKind::SubscriptionMissing]);
    assert!(p.ops().any(|o| matches!(o, Op::Subscribe { .. })));
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
}

#[test]
fn an_alarm_repair_keeps_the_ok_and_insufficient_data_actions() {
    let extra = "arn:aws:sns:us-east-1:111122223333:ops-recovered".to_string();
    let (_, fake, p) = drift_after(|a| {
        let alarm = a.alarms.values_mut().next().unwrap();
        alarm.threshold = Some(5.0);
        alarm.ok_actions = vec![extra.clone()];
        alarm.insufficient_data_actions = vec![extra.clone()];
    });
    let kept: Vec<_> = p
        .ops()
        .filter_map(|o| match o {
            Op::PutMetricAlarm {
                ok_actions,
                insufficient_data_actions,
                ..
            } => Some((ok_actions.clone(), insufficient_data_actions.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(kept, vec![(vec![extra.clone()], vec![extra.clone()])]);
    rt().block_on(apply(&p, &fake, &no_wait(), &mut NoProgress));
    let after = fake.snapshot();
    assert!(after
        .alarms
        .values()
        .any(|a| a.ok_actions == vec![extra.clone()]));
}

#[test]
fn patterns_compare_as_cloudwatch_logs_stores_them() {
    // CloudWatch Logs keeps a pattern without surrounding whitespace.
    let (_, _, p) = drift_after(|a| {
        for f in &mut a.filters {
            f.pattern = format!("  {}\n", f.pattern);
        }
    });
    assert!(p.is_empty(), "{:#?}", p.changes);
}

#[test]
fn new_bucket_configuration_calls_are_retried_while_s3_catches_up() {
    let d = basic();
    let fake = FakeAccount::new(Actual::default());
    // S3 right after CreateBucket: the bucket's configuration calls can answer NoSuchBucket or
    // OperationAborted for a while.
    fake.fail_next("s3:PutBucketTagging", "NoSuchBucket", 4);
    fake.fail_next("s3:PutBucketPolicy", "OperationAborted", 2);
    let p = plan(&d, &fake.snapshot());
    let out = rt().block_on(apply(&p, &fake, &no_wait(), &mut NoProgress));
    assert!(out.failed.is_none(), "{out:?}");
    assert_eq!(out.applied[0].retries, 6);
    assert!(plan(&d, &fake.snapshot()).is_empty());

    // CreateBucket itself is not retried on NoSuchBucket, and the budget ends.
    let fake = FakeAccount::new(Actual::default());
    fake.fail_next("s3:PutBucketVersioning", "NoSuchBucket", 50);
    let out = rt().block_on(apply(&p, &fake, &no_wait(), &mut NoProgress));
    assert_eq!(out.failed.unwrap().api, "s3:PutBucketVersioning");
    let fake = FakeAccount::new(Actual::default());
    fake.fail_next("s3:CreateBucket", "NoSuchBucket", 1);
    let out = rt().block_on(apply(&p, &fake, &no_wait(), &mut NoProgress));
    assert_eq!(out.failed.unwrap().api, "s3:CreateBucket");
}

fn basic_selector(rw: &str, mgmt: bool, data: bool, excluded: &[&str]) -> BasicSelector {
    BasicSelector {
        read_write_type: rw.into(),
        include_management_events: mgmt,
        data_resources: if data {
            vec![("AWS::S3::Object".into(), vec!["arn:aws:s3".into()])]
        } else {
            vec![]
        },
        exclude_management_event_sources: excluded.iter().map(|s| s.to_string()).collect(),
    }
}

fn management(read_only: Option<&str>, not_sources: &[&str]) -> AdvancedSelector {
    let mut fields = vec![FieldSelector {
        field: "eventCategory".into(),
        equals: vec!["Management".into()],
        ..Default::default()
    }];
    if let Some(r) = read_only {
        fields.push(FieldSelector {
            field: "readOnly".into(),
            equals: vec![r.into()],
            ..Default::default()
        });
    }
    if !not_sources.is_empty() {
        fields.push(FieldSelector {
            field: "eventSource".into(),
            not_equals: not_sources.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        });
    }
    AdvancedSelector {
        name: None,
        field_selectors: fields,
    }
}

#[test]
fn management_event_coverage_of_basic_and_advanced_selectors() {
    use EventSelectors::{Advanced, Basic};
    let s3_data = AdvancedSelector {
        name: Some("data".into()),
        field_selectors: vec![FieldSelector {
            field: "eventCategory".into(),
            equals: vec!["Data".into()],
            ..Default::default()
        }],
    };
    let cases: Vec<(EventSelectors, bool, &str)> = vec![
        (
            Basic(vec![basic_selector("All", true, false, &[])]),
            true,
            "read and write management events",
        ),
        (
            Basic(vec![basic_selector("WriteOnly", true, false, &[])]),
            false,
            "write-only management events",
        ),
        (
            Basic(vec![basic_selector("All", false, true, &[])]),
            false,
            "no management events",
        ),
        (Basic(vec![]), false, "no management events"),
        (
            Basic(vec![basic_selector(
                "All",
                true,
                false,
                &["kms.amazonaws.com"],
            )]),
            false,
            "read and write management events except from kms.amazonaws.com",
        ),
        (
            Basic(vec![
                basic_selector("ReadOnly", true, false, &[]),
                basic_selector("WriteOnly", true, true, &[]),
            ]),
            true,
            "read and write management events",
        ),
        (
            Advanced(vec![management(None, &[])]),
            true,
            "read and write management events",
        ),
        (
            Advanced(vec![management(Some("false"), &[])]),
            false,
            "write-only management events",
        ),
        (
            Advanced(vec![s3_data.clone()]),
            false,
            "no management events",
        ),
        (
            Advanced(vec![management(None, &["rdsdata.amazonaws.com"])]),
            false,
            "read and write management events except from rdsdata.amazonaws.com",
        ),
    ];
    for (selectors, complete, text) in cases {
        let c = selectors.management_coverage();
        assert_eq!(
            (c.is_complete(), c.describe().as_str()),
            (complete, text),
            "{selectors:?}"
        );
        let repaired = selectors.with_all_management_events();
        assert!(repaired.management_coverage().is_complete(), "{repaired:?}");
    }
    // Repair keeps data selectors (their events and cost) and drops none.
    let repaired = Advanced(vec![management(Some("false"), &[]), s3_data.clone()])
        .with_all_management_events();
    let Advanced(list) = repaired else { panic!() };
    assert_eq!(list.len(), 2);
    assert_eq!(list[1], s3_data);
    let Basic(list) =
        Basic(vec![basic_selector("WriteOnly", true, true, &[])]).with_all_management_events()
    else {
        panic!()
    };
    assert_eq!(list.len(), 2);
    assert_eq!(list[1].data_resources.len(), 1);
    assert!(!list[1].include_management_events);
}

#[test]
fn a_trail_recording_only_write_events_is_drift_and_repaired() {
    let (d, fake, p) = drift_after(|a| {
        a.trails[0].selectors = Some(EventSelectors::Basic(vec![basic_selector(
            "WriteOnly",
            true,
            false,
            &[],
        )]))
    });
    assert_eq!(kinds(&p), vec![DriftKind::TrailManagementEvents]);
    let out = rt().block_on(apply(&p, &fake, &no_wait(), &mut NoProgress));
    assert!(out.failed.is_none());
    assert!(plan(&d, &fake.snapshot()).is_empty());
}

#[test]
fn a_delivery_error_is_drift_with_aws_text() {
    let (_, _, p) = drift_after(|a| {
        a.trails[0].delivery_errors = vec![DeliveryError {
            field: "LatestCloudWatchLogsDeliveryError".into(),
            message: "CloudWatchLogs: AccessDenied".into(),
        }]
    });
    assert_eq!(kinds(&p), vec![DriftKind::TrailDeliveryError]);
    let d = &p.changes[0].diffs[0];
    assert_eq!(d.field, "LatestCloudWatchLogsDeliveryError");
    assert_eq!(d.actual, json!("CloudWatchLogs: AccessDenied"));
    // Nothing trailwarden writes repairs it: no request is planned for it.
    assert_eq!(p.ops().count(), 0);
}

fn key(arn: &str, policy: Option<Value>) -> KmsKey {
    KmsKey {
        arn: arn.into(),
        manager: "CUSTOMER".into(),
        policy,
    }
}

#[test]
fn a_trail_key_given_as_an_alias_is_in_sync_once_resolved() {
    // DescribeTrails reports the key's ARN whatever the trail was given.
    let d =
        desired_from("emails = [\"a@example.com\"]\n[trail]\nkms_key_id = \"alias/cloudtrail\"\n");
    let arn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let grants = json!({"Statement": [{"Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": ["kms:GenerateDataKey*", "kms:DescribeKey"], "Resource": "*"}]});
    let fake = applied(&d);
    {
        let mut s = fake.state.lock().unwrap();
        s.trails[0].kms_key_id = Some(arn.into());
        s.kms_keys
            .insert("alias/cloudtrail".into(), key(arn, Some(grants.clone())));
    }
    let p = plan(&d, &fake.snapshot());
    assert!(p.is_empty() && p.conflicts.is_empty(), "{:#?}", p);

    // The key policy loses CloudTrail's statement: drift, with no write to repair it.
    fake.state.lock().unwrap().kms_keys.insert(
        "alias/cloudtrail".into(),
        key(arn, Some(json!({"Statement": []}))),
    );
    let p = plan(&d, &fake.snapshot());
    assert_eq!(kinds(&p), vec![DriftKind::KmsKeyPolicy]);
    assert_eq!(p.ops().count(), 0);

    // Unreadable policy: a warning, not drift.
    fake.state
        .lock()
        .unwrap()
        .kms_keys
        .insert("alias/cloudtrail".into(), key(arn, None));
    let p = plan(&d, &fake.snapshot());
    assert!(p.is_empty());
    assert_eq!(p.warnings[0].code, "kms-key-policy-unreadable");
}

#[test]
fn a_missing_key_or_a_key_the_service_cannot_use_stops_a_fresh_apply() {
    let d = desired_from(
        "emails = [\"a@example.com\"]\n[topics.default]\nkms_key_id = \"alias/alarms\"\n[bucket]\nkms_key_id = \"alias/logs\"\n",
    );
    let mut actual = Actual::default();
    let p = plan(&d, &actual);
    let codes: Vec<&str> = p.conflicts.iter().map(|c| c.code).collect();
    assert_eq!(codes, vec!["kms-key-missing", "kms-key-missing"]);
    actual.kms_keys.insert(
        "alias/logs".into(),
        key("arn:aws:kms:us-east-1:111122223333:key/l", Some(json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:GenerateDataKey*", "Resource": "*"}]}))),
    );
    actual.kms_keys.insert(
        "alias/alarms".into(),
        key("arn:aws:kms:us-east-1:111122223333:key/a", Some(json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"}, "Action": "kms:Decrypt", "Resource": "*"}]}))),
    );
    let p = plan(&d, &actual);
    assert_eq!(p.conflicts.len(), 1, "{:#?}", p.conflicts);
    assert_eq!(p.conflicts[0].code, "kms-key-policy");
    assert!(
        p.conflicts[0].message.contains("kms:GenerateDataKey"),
        "{}",
        p.conflicts[0].message
    );
}

#[test]
fn limits_are_conflicts_before_anything_is_written() {
    let d = basic();
    // Four trails of this account in the region and one multi-region trail from elsewhere.
    let mut actual = Actual::default();
    for (i, home, multi) in [
        (1, "us-east-1", false),
        (2, "us-east-1", false),
        (3, "us-east-1", false),
        (4, "us-east-1", true),
        (5, "eu-west-1", true),
    ] {
        actual.trails.push(TrailState {
            name: format!("t{i}"),
            arn: format!(
                "arn:aws:cloudtrail:{home}:{}:trail/t{i}",
                super::tests::ACCOUNT
            ),
            home_region: Some(home.into()),
            multi_region: multi,
            ..Default::default()
        });
    }
    let p = plan(&d, &actual);
    assert_eq!(
        p.conflicts.iter().map(|c| c.code).collect::<Vec<_>>(),
        vec!["trail-limit"]
    );
    // Another region's single-region trail, or another account's organization trail, does not count.
    actual.trails[4].multi_region = false;
    assert!(plan(&d, &actual).conflicts.is_empty());
    actual.trails[4].multi_region = true;
    actual.trails[4].arn = "arn:aws:cloudtrail:eu-west-1:999999999999:trail/org".into();
    assert!(plan(&d, &actual).conflicts.is_empty());

    // 98 foreign filters on the group and 3 from aws-docs: 101.
    let mut actual = Actual::default();
    for i in 0..98 {
        actual.filters.push(FilterState {
            name: format!("theirs-{i}"),
            ..Default::default()
        });
    }
    let p = plan(&d, &actual);
    assert_eq!(
        p.conflicts.iter().map(|c| c.code).collect::<Vec<_>>(),
        vec!["metric-filter-limit"]
    );
    actual.filters.pop();
    assert!(plan(&d, &actual).conflicts.is_empty());
}

#[test]
fn an_adopted_organization_trails_role_may_write_member_account_streams() {
    // Organization trails deliver member accounts' events to `o-ORGID_*` streams ("Role policy
    // document for CloudTrail to use CloudWatch Logs for monitoring").
    let cfg = config::from_str(
        "t.toml",
        "emails = [\"a@example.com\"]\n[trail]\nname = \"org\"\nadopt = true\n",
        &config::Overrides::default(),
    )
    .unwrap();
    let target = Target::new(super::tests::ACCOUNT, "us-east-1");
    let org_trail = TrailState {
        name: "org".into(),
        arn: "arn:aws:cloudtrail:us-east-1:111122223333:trail/org".into(),
        organization_trail: true,
        s3_bucket: Some("org-logs".into()),
        ..Default::default()
    };
    let d = crate::desired::build(&cfg, &target, Some(&org_trail));
    let policy = d.role.unwrap().policy.to_string();
    assert!(policy.contains("log-stream:o-*_*"), "{policy}");
    assert!(
        policy.contains("log-stream:111122223333_CloudTrail_us-east-1*"),
        "{policy}"
    );
    let plain = crate::desired::build(
        &cfg,
        &target,
        Some(&TrailState {
            organization_trail: false,
            ..org_trail
        }),
    );
    assert!(!plain.role.unwrap().policy.to_string().contains("o-*"));
}
