//! trailwarden against the strict emulator: what real AWS enforces and moto alone would not
//! (tests/emulator/fidelity.py), and the faults AWS shows that moto cannot (per-account switches
//! of tests/emulator/server.py). Each test names the AWS behaviour it follows.

mod common;

use common::{unique_account, Emulator};
use serde_json::{json, Value};

const EMAIL: &str = "security@example.com";

fn tw(account: &str, args: &[&str]) -> common::Run {
    common::trailwarden(account, args)
}

fn apply_ok(account: &str, extra: &[&str]) -> common::Run {
    let mut args = vec!["apply", "--email", EMAIL, "--yes"];
    args.extend_from_slice(extra);
    let out = tw(account, &args);
    assert_eq!(out.code, 0, "apply failed:\n{}\n{}", out.stdout, out.stderr);
    out
}

fn check(account: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["check", "--email", EMAIL, "--output", "json"];
    args.extend_from_slice(extra);
    let out = tw(account, &args);
    let report = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", out.stdout, out.stderr));
    (out.code, report)
}

fn assert_in_sync(account: &str, extra: &[&str]) {
    let (code, report) = check(account, extra);
    assert_eq!(code, 0, "not in sync: {report}");
}

fn drift_kinds(report: &Value) -> Vec<String> {
    report["drift"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap().to_string())
        .collect()
}

fn config_file(account: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("tw-fidelity-{account}"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("trailwarden.toml");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

/// A fresh apply converges on the strict emulator (which refuses CreateTrail unless the bucket
/// policy, the role's trust and the log group are as AWS requires), records all management
/// events, and a second apply writes nothing.
#[tokio::test]
async fn a_fresh_apply_converges_under_aws_rules() {
    let account = unique_account();
    apply_ok(&account, &[]);
    assert_in_sync(&account, &[]);
    let before = Emulator::shared()
        .write_requests_for_account(&account)
        .len();
    apply_ok(&account, &[]);
    assert_eq!(
        Emulator::shared()
            .write_requests_for_account(&account)
            .len(),
        before
    );
    let cfg = Emulator::shared().sdk_config(&account, "us-east-1").await;
    let selectors = aws_sdk_cloudtrail::Client::new(&cfg)
        .get_event_selectors()
        .trail_name("trailwarden")
        .send()
        .await
        .unwrap();
    let s = &selectors.event_selectors()[0];
    assert_eq!(s.read_write_type().unwrap().as_str(), "All");
    assert_eq!(s.include_management_events(), Some(true));
}

/// S3 right after CreateBucket: the bucket's configuration calls can answer NoSuchBucket for a
/// while ("Amazon S3 data consistency model"). The emulator answers the first two that way;
/// apply retries and converges.
#[tokio::test]
async fn apply_waits_for_a_new_bucket_to_be_visible() {
    let account = unique_account();
    let emu = Emulator::shared();
    emu.set_faults(&account, json!({"s3_not_yet_created": 2}));
    let out = apply_ok(&account, &[]);
    assert!(out.stderr.contains("NoSuchBucket"), "{}", out.stderr);
    let faults = emu.faults(&account);
    assert_eq!(faults["buckets_not_yet_created"], json!({}), "{faults}");
    assert_in_sync(&account, &[]);
}

/// A create whose first attempt succeeded but whose response was lost (HTTP 500, then the SDK's
/// retry) comes back as "already exists": it is trailwarden's (tagged in the create request), so
/// the apply goes on and converges, with one subscription, not two.
#[tokio::test]
async fn a_create_whose_response_was_lost_counts_as_done() {
    let account = unique_account();
    let emu = Emulator::shared();
    emu.set_faults(
        &account,
        json!({"lost_responses": [
            "s3:CreateBucket", "iam:CreateRole", "logs:CreateLogGroup",
            "cloudtrail:CreateTrail", "sns:CreateTopic", "sns:Subscribe"]}),
    );
    apply_ok(&account, &[]);
    let faults = emu.faults(&account);
    assert_eq!(
        faults["lost_responses_pending"],
        json!([]),
        "every lost response fired: {faults}"
    );
    assert_in_sync(&account, &[]);
    let cfg = emu.sdk_config(&account, "us-east-1").await;
    let subs = aws_sdk_sns::Client::new(&cfg)
        .list_subscriptions_by_topic()
        .topic_arn(format!(
            "arn:aws:sns:us-east-1:{account}:trailwarden-alarms"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(subs.subscriptions().len(), 1, "{subs:?}");
}

/// "Already exists" for a resource trailwarden did not create stays an error: a role of the
/// same name made between plan and apply is not taken for ours.
#[tokio::test]
async fn an_existing_role_that_is_not_ours_is_never_taken_as_created() {
    let account = unique_account();
    let emu = Emulator::shared();
    let cfg = emu.sdk_config(&account, "us-east-1").await;
    let trust = common::cloudtrail_trust_policy();
    aws_sdk_iam::Client::new(&cfg)
        .create_role()
        .role_name("trailwarden-cloudtrail-to-logs")
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .unwrap();
    let out = tw(&account, &["apply", "--email", EMAIL, "--yes"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("foreign-role") || out.stdout.contains("not created by trailwarden"),
        "{}",
        out.stdout
    );
}

/// The role is global, its policy names one region's log group: a second region gets its own
/// inline policy on the same role, and the first region's delivery stays allowed.
#[tokio::test]
async fn two_regions_share_the_role_without_cutting_each_other_off() {
    let account = unique_account();
    apply_ok(&account, &["--region", "us-east-1"]);
    apply_ok(
        &account,
        &["--region", "eu-west-1", "--trail", "trailwarden-eu"],
    );
    assert_in_sync(&account, &["--region", "us-east-1"]);
    assert_in_sync(
        &account,
        &["--region", "eu-west-1", "--trail", "trailwarden-eu"],
    );
    let cfg = Emulator::shared().sdk_config(&account, "us-east-1").await;
    let mut names = aws_sdk_iam::Client::new(&cfg)
        .list_role_policies()
        .role_name("trailwarden-cloudtrail-to-logs")
        .send()
        .await
        .unwrap()
        .policy_names()
        .to_vec();
    names.sort();
    assert_eq!(
        names,
        vec![
            "cloudtrail-to-cloudwatch-logs-eu-west-1",
            "cloudtrail-to-cloudwatch-logs-us-east-1"
        ]
    );
}

/// An adopted role with a path (`/service-role/`): the trail is given the ARN IAM reports. The
/// emulator, like CloudTrail, refuses a role ARN that names no role.
#[tokio::test]
async fn an_adopted_role_with_a_path_is_given_to_the_trail_by_its_real_arn() {
    let account = unique_account();
    let cfg = Emulator::shared().sdk_config(&account, "us-east-1").await;
    let trust = common::cloudtrail_trust_policy();
    aws_sdk_iam::Client::new(&cfg)
        .create_role()
        .role_name("ct-logs")
        .path("/service-role/")
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .unwrap();
    let config = config_file(
        &account,
        &format!("emails = [\"{EMAIL}\"]\n[role]\nname = \"ct-logs\"\n"),
    );
    apply_ok(&account, &["--config", &config]);
    assert_in_sync(&account, &["--config", &config]);
    let trail = aws_sdk_cloudtrail::Client::new(&cfg)
        .get_trail()
        .name("trailwarden")
        .send()
        .await
        .unwrap();
    assert_eq!(
        trail.trail().unwrap().cloud_watch_logs_role_arn(),
        Some(format!("arn:aws:iam::{account}:role/service-role/ct-logs").as_str())
    );
}

/// A trail that records only write events (or advanced selectors without read events) is drift:
/// the filters never see read-only root activity. apply restores all management events and
/// keeps the data-event selector.
#[tokio::test]
async fn a_trail_that_stops_recording_read_events_is_drift_and_repaired() {
    use aws_sdk_cloudtrail::types::{
        AdvancedEventSelector, AdvancedFieldSelector, EventSelector, ReadWriteType,
    };
    let account = unique_account();
    apply_ok(&account, &[]);
    let cfg = Emulator::shared().sdk_config(&account, "us-east-1").await;
    let ct = aws_sdk_cloudtrail::Client::new(&cfg);
    ct.put_event_selectors()
        .trail_name("trailwarden")
        .event_selectors(
            EventSelector::builder()
                .read_write_type(ReadWriteType::WriteOnly)
                .include_management_events(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let (code, report) = check(&account, &[]);
    assert_eq!(code, 2, "{report}");
    assert_eq!(drift_kinds(&report), vec!["trail.management-events"]);
    apply_ok(&account, &[]);
    assert_in_sync(&account, &[]);

    // Advanced selectors: management write events only, plus S3 data events.
    let field = |f: &str, v: &str| {
        AdvancedFieldSelector::builder()
            .field(f)
            .equals(v)
            .build()
            .unwrap()
    };
    let data = AdvancedEventSelector::builder()
        .name("s3 data")
        .field_selectors(field("eventCategory", "Data"))
        .field_selectors(field("resources.type", "AWS::S3::Object"))
        .build()
        .unwrap();
    ct.put_event_selectors()
        .trail_name("trailwarden")
        .advanced_event_selectors(
            AdvancedEventSelector::builder()
                .name("writes")
                .field_selectors(field("eventCategory", "Management"))
                .field_selectors(field("readOnly", "false"))
                .build()
                .unwrap(),
        )
        .advanced_event_selectors(data)
        .send()
        .await
        .unwrap();
    let (code, report) = check(&account, &[]);
    assert_eq!(code, 2, "{report}");
    assert_eq!(drift_kinds(&report), vec!["trail.management-events"]);
    apply_ok(&account, &[]);
    assert_in_sync(&account, &[]);
    let after = ct
        .get_event_selectors()
        .trail_name("trailwarden")
        .send()
        .await
        .unwrap();
    let names: Vec<_> = after
        .advanced_event_selectors()
        .iter()
        .map(|s| s.name().unwrap_or_default().to_string())
        .collect();
    assert!(names.contains(&"s3 data".to_string()), "{names:?}");
}

/// PutMetricAlarm replaces the whole alarm: a repair keeps the OK action a user added.
#[tokio::test]
async fn an_alarm_repair_keeps_a_users_ok_action() {
    let account = unique_account();
    apply_ok(&account, &[]);
    let cfg = Emulator::shared().sdk_config(&account, "us-east-1").await;
    let cw = aws_sdk_cloudwatch::Client::new(&cfg);
    let topic = format!("arn:aws:sns:us-east-1:{account}:trailwarden-alarms");
    let alarm = cw
        .describe_alarms()
        .alarm_names("RootAccountUsageAlarm")
        .send()
        .await
        .unwrap()
        .metric_alarms()[0]
        .clone();
    cw.put_metric_alarm()
        .alarm_name("RootAccountUsageAlarm")
        .metric_name(alarm.metric_name().unwrap())
        .namespace(alarm.namespace().unwrap())
        .statistic(alarm.statistic().unwrap().clone())
        .period(alarm.period().unwrap())
        .evaluation_periods(1)
        .threshold(3.0)
        .comparison_operator(alarm.comparison_operator().unwrap().clone())
        .alarm_actions(&topic)
        .ok_actions(&topic)
        .send()
        .await
        .unwrap();
    let (code, report) = check(&account, &[]);
    assert_eq!(code, 2, "{report}");
    assert!(drift_kinds(&report).contains(&"alarm.threshold".to_string()));
    apply_ok(&account, &[]);
    assert_in_sync(&account, &[]);
    let after = cw
        .describe_alarms()
        .alarm_names("RootAccountUsageAlarm")
        .send()
        .await
        .unwrap()
        .metric_alarms()[0]
        .clone();
    assert_eq!(after.threshold(), Some(1.0));
    assert_eq!(after.ok_actions(), [topic]);
}

/// Tags outside AWS's charset (IAM: `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`; the emulator refuses them
/// at CreateRole as IAM does) and the reserved `managed-by` key fail validation before the
/// first request, instead of after the bucket exists.
#[tokio::test]
async fn tags_aws_refuses_are_refused_before_any_request() {
    let account = unique_account();
    for tags in [
        "owner = \"Jane <jane@example.com>\"",
        "\"managed-by\" = \"me\"",
        "\"aws:owner\" = \"x\"",
    ] {
        let config = config_file(
            &account,
            &format!("emails = [\"{EMAIL}\"]\ntags = {{ {tags} }}\n"),
        );
        let out = tw(&account, &["apply", "--config", &config, "--yes"]);
        assert_eq!(out.code, 1, "{tags}: {}\n{}", out.stdout, out.stderr);
        assert!(out.stderr.contains("tag-invalid"), "{tags}: {}", out.stderr);
    }
    assert!(
        Emulator::shared().requests_for_account(&account).is_empty(),
        "no request may be made"
    );
}

/// Two applies at once on an empty account (two CI jobs): each create the other made first
/// comes back "already exists" and is trailwarden's, so both succeed and leave one chain.
#[tokio::test]
async fn two_applies_at_once_leave_one_chain() {
    let account = unique_account();
    let runs: Vec<common::Run> = std::thread::scope(|s| {
        let a = s.spawn(|| tw(&account, &["apply", "--email", EMAIL, "--yes"]));
        let b = s.spawn(|| tw(&account, &["apply", "--email", EMAIL, "--yes"]));
        vec![a.join().unwrap(), b.join().unwrap()]
    });
    for run in &runs {
        assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    }
    assert_in_sync(&account, &[]);
    let cfg = Emulator::shared().sdk_config(&account, "us-east-1").await;
    let trails = aws_sdk_cloudtrail::Client::new(&cfg)
        .describe_trails()
        .send()
        .await
        .unwrap();
    assert_eq!(trails.trail_list().len(), 1);
    let filters = aws_sdk_cloudwatchlogs::Client::new(&cfg)
        .describe_metric_filters()
        .log_group_name("trailwarden-cloudtrail")
        .send()
        .await
        .unwrap();
    assert_eq!(filters.metric_filters().len(), 3);
}

/// The default bucket name is predictable: a bucket of that name in another account must never
/// be read or written as ours. Every S3 request names this account as the expected owner
/// ("Verifying bucket ownership with bucket owner condition", Amazon S3 User Guide); S3 (and
/// the emulator) answer 403, and apply stops before writing anything.
#[tokio::test]
async fn a_bucket_of_our_name_in_another_account_is_never_used() {
    let ours = unique_account();
    let squatter = unique_account();
    let cfg = Emulator::shared().sdk_config(&squatter, "us-east-1").await;
    common::s3_client(&cfg)
        .create_bucket()
        .bucket(format!("trailwarden-cloudtrail-{ours}-us-east-1"))
        .send()
        .await
        .unwrap();
    let out = tw(&ours, &["apply", "--email", EMAIL, "--yes"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("another account"), "{}", out.stderr);
    assert!(
        Emulator::shared()
            .write_requests_for_account(&ours)
            .is_empty(),
        "nothing may be written"
    );
}

/// A region that is not enabled for the account rejects requests as if the credentials were
/// invalid ("Specify which AWS Regions your account can use"): the error says which it is.
#[tokio::test]
async fn a_region_that_is_not_enabled_is_named_as_such() {
    let account = unique_account();
    Emulator::shared().set_faults(&account, json!({"disabled_regions": ["ap-east-1"]}));
    let out = tw(
        &account,
        &["check", "--email", EMAIL, "--region", "ap-east-1"],
    );
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("region ap-east-1 is not enabled"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("credentials were rejected"),
        "{}",
        out.stderr
    );
}

/// Reads lag behind writes on AWS. With subscriptions listed only seconds after Subscribe, a
/// check right after apply reads again before reporting drift, and a second apply does not
/// subscribe the address again (AWS would send the confirmation email again).
#[tokio::test]
async fn reads_right_after_writes_do_not_cause_false_drift_or_a_second_subscription() {
    let settle = [("TRAILWARDEN_SETTLE", "4")];
    let no_settle = [("TRAILWARDEN_SETTLE", "0")];
    let emu = Emulator::shared();
    let subscribes = |account: &str| {
        emu.write_requests_for_account(account)
            .iter()
            .filter(|r| r["operation"] == "Subscribe")
            .count()
    };
    let apply = |account: &str, env: &[(&str, &str)]| {
        let out = common::trailwarden_with(account, &["apply", "--email", EMAIL, "--yes"], env);
        assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    };

    let account = unique_account();
    emu.set_faults(&account, json!({"subscription_lag_seconds": 3}));
    apply(&account, &settle);
    let out = common::trailwarden_with(&account, &["check", "--email", EMAIL], &settle);
    assert_eq!(out.code, 0, "false drift:\n{}\n{}", out.stdout, out.stderr);
    apply(&account, &settle);
    assert_eq!(subscribes(&account), 1);

    // Without the second read, both go wrong: the test can fail.
    let account = unique_account();
    emu.set_faults(&account, json!({"subscription_lag_seconds": 3}));
    apply(&account, &no_settle);
    let out = common::trailwarden_with(&account, &["check", "--email", EMAIL], &no_settle);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    apply(&account, &no_settle);
    assert_eq!(subscribes(&account), 2);
}
