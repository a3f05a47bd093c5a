//! Removals, `destroy` and the cost estimate against the emulator, through the binary: what
//! trailwarden created and the configuration no longer asks for goes, nothing without the
//! ownership tag is touched, and log data stays unless deleted on purpose.

mod common;

use common::{unique_account, Emulator};
use serde_json::Value;

const EMAIL: &str = "security@example.com";
const ALL: &str = "emails = [\"security@example.com\"]\n";
const WITHOUT_ROOT: &str =
    "emails = [\"security@example.com\"]\n[controls.root-account-usage]\ndisabled = true\n";
const GROUP: &str = "trailwarden-cloudtrail";

fn tw(account: &str, args: &[&str]) -> common::Run {
    common::trailwarden(account, args)
}

fn config(account: &str, name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("tw-lifecycle-{account}"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn run_ok(account: &str, args: &[&str]) -> common::Run {
    let out = tw(account, args);
    assert_eq!(out.code, 0, "{args:?}\n{}\n{}", out.stdout, out.stderr);
    out
}

async fn sdk(account: &str) -> aws_config::SdkConfig {
    Emulator::shared().sdk_config(account, "us-east-1").await
}

async fn filter_names(cfg: &aws_config::SdkConfig) -> Vec<String> {
    let out = aws_sdk_cloudwatchlogs::Client::new(cfg)
        .describe_metric_filters()
        .log_group_name(GROUP)
        .send()
        .await
        .unwrap();
    out.metric_filters()
        .iter()
        .filter_map(|f| f.filter_name().map(str::to_string))
        .collect()
}

async fn alarm_names(cfg: &aws_config::SdkConfig) -> Vec<String> {
    let out = aws_sdk_cloudwatch::Client::new(cfg)
        .describe_alarms()
        .send()
        .await
        .unwrap();
    out.metric_alarms()
        .iter()
        .filter_map(|a| a.alarm_name().map(str::to_string))
        .collect()
}

fn deletes(plan: &Value) -> Vec<String> {
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] == "delete")
        .map(|c| c["address"].as_str().unwrap().to_string())
        .collect()
}

/// Disable a control → plan deletes its filter and alarm → apply → check in sync, both gone.
#[tokio::test]
async fn a_disabled_control_loses_its_filter_and_alarm() {
    let account = unique_account();
    let all = config(&account, "all.toml", ALL);
    let fewer = config(&account, "fewer.toml", WITHOUT_ROOT);
    run_ok(&account, &["apply", "--config", &all, "--yes"]);
    let cfg = sdk(&account).await;
    assert!(filter_names(&cfg)
        .await
        .contains(&"RootAccountUsage".into()));

    let plan = tw(&account, &["plan", "--config", &fewer, "--output", "json"]);
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    assert_eq!(
        deletes(&plan.json()),
        [
            "metric_filter.RootAccountUsage",
            "alarm.RootAccountUsageAlarm"
        ]
    );
    let human = tw(&account, &["plan", "--config", &fewer]);
    assert!(
        human.stdout.contains("- alarm.RootAccountUsageAlarm"),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains("2 to delete"), "{}", human.stdout);

    let check = tw(&account, &["check", "--config", &fewer, "--output", "json"]);
    assert_eq!(check.code, 2);
    let kinds: Vec<String> = check.json()["drift"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["metric_filter.orphan", "alarm.orphan"]);

    run_ok(&account, &["apply", "--config", &fewer, "--yes"]);
    run_ok(&account, &["check", "--config", &fewer]);
    assert!(!filter_names(&cfg)
        .await
        .contains(&"RootAccountUsage".into()));
    assert!(!alarm_names(&cfg)
        .await
        .contains(&"RootAccountUsageAlarm".into()));
    // The other controls are untouched.
    assert_eq!(filter_names(&cfg).await.len(), 2);
    assert_eq!(alarm_names(&cfg).await.len(), 2);
}

/// An alarm of the same name that trailwarden did not create (no `managed-by` tag) survives, and
/// so does the filter that feeds it.
#[tokio::test]
async fn a_same_named_alarm_without_the_tag_survives() {
    let account = unique_account();
    let all = config(&account, "all.toml", ALL);
    let fewer = config(&account, "fewer.toml", WITHOUT_ROOT);
    run_ok(&account, &["apply", "--config", &all, "--yes"]);
    let cfg = sdk(&account).await;
    let cw = aws_sdk_cloudwatch::Client::new(&cfg);
    // Someone replaces the alarm with their own, untagged, under the same name.
    cw.delete_alarms()
        .alarm_names("RootAccountUsageAlarm")
        .send()
        .await
        .unwrap();
    cw.put_metric_alarm()
        .alarm_name("RootAccountUsageAlarm")
        .metric_name("RootAccountUsageCount")
        .namespace("CloudTrailMetrics")
        .statistic(aws_sdk_cloudwatch::types::Statistic::Sum)
        .period(300)
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(
            aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanOrEqualToThreshold,
        )
        .send()
        .await
        .unwrap();

    let plan = tw(&account, &["plan", "--config", &fewer, "--output", "json"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    assert!(deletes(&plan.json()).is_empty());
    run_ok(&account, &["apply", "--config", &fewer, "--yes"]);
    assert!(alarm_names(&cfg)
        .await
        .contains(&"RootAccountUsageAlarm".into()));
    assert!(filter_names(&cfg)
        .await
        .contains(&"RootAccountUsage".into()));
}

/// An in-sync check reads no alarm's tags: the request count does not grow with the alarms.
#[tokio::test]
async fn an_in_sync_check_reads_no_alarm_tags() {
    let account = unique_account();
    run_ok(&account, &["apply", "--email", EMAIL, "--yes"]);
    let emu = Emulator::shared();
    let before = emu.requests_for_account(&account).len();
    run_ok(&account, &["check", "--email", EMAIL]);
    let seen = emu.requests_for_account(&account);
    let tags: Vec<&Value> = seen[before..]
        .iter()
        .filter(|r| r["operation"] == "ListTagsForResource" && r["service"] == "cloudwatch")
        .collect();
    assert!(tags.is_empty(), "{tags:?}");
}

/// An address removed from the configuration is unsubscribed from the topic trailwarden created.
#[tokio::test]
async fn a_removed_address_is_unsubscribed() {
    let account = unique_account();
    run_ok(
        &account,
        &[
            "apply",
            "--email",
            EMAIL,
            "--email",
            "old@example.com",
            "--yes",
        ],
    );
    let plan = tw(&account, &["plan", "--email", EMAIL, "--output", "json"]);
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    assert_eq!(
        deletes(&plan.json()),
        ["sns_subscription.trailwarden-alarms/old@example.com"]
    );
    run_ok(&account, &["apply", "--email", EMAIL, "--yes"]);
    run_ok(&account, &["check", "--email", EMAIL]);
    let cfg = sdk(&account).await;
    let topic = format!("arn:aws:sns:us-east-1:{account}:trailwarden-alarms");
    let subs = aws_sdk_sns::Client::new(&cfg)
        .list_subscriptions_by_topic()
        .topic_arn(topic)
        .send()
        .await
        .unwrap();
    let endpoints: Vec<&str> = subs
        .subscriptions()
        .iter()
        .filter_map(|s| s.endpoint())
        .collect();
    assert_eq!(endpoints, [EMAIL]);
}
