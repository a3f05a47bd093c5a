//! The cost estimate of `plan` against the emulator: the log volume measured from the log
//! group's IncomingBytes metric, else from the last complete day of log files in S3, else the
//! stated default.

mod common;

use common::{unique_account, Emulator};
use serde_json::Value;
use std::time::{SystemTime, UNIX_EPOCH};

const EMAIL: &str = "security@example.com";
const DAY: u64 = 86_400;
const GB: f64 = 1e9;
const DAYS_PER_MONTH: f64 = 30.4375;

fn plan_estimate(account: &str) -> Value {
    let out = common::trailwarden(account, &["plan", "--email", EMAIL, "--output", "json"]);
    assert!(out.code == 0 || out.code == 2, "{}", out.stderr);
    out.json()["estimate"].clone()
}

fn apply(account: &str) {
    let out = common::trailwarden(account, &["apply", "--email", EMAIL, "--yes"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

fn today() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / DAY
        * DAY
}

fn ymd(secs: u64) -> String {
    let t = aws_smithy_types::DateTime::from_secs(secs as i64)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap();
    format!("{}/{}/{}", &t[0..4], &t[5..7], &t[8..10])
}

/// Equal as the JSON report rounds amounts (8 decimals).
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 0.6e-8
}

#[tokio::test]
async fn a_fresh_account_uses_the_stated_default() {
    let account = unique_account();
    let e = plan_estimate(&account);
    assert_eq!(e["volume"]["method"], "default", "{e}");
    assert_eq!(e["volume"]["gb_month"], 1.0);
    assert_eq!(e["currency"], "USD");
    assert!(e["total_month"].as_f64().unwrap() > 1.0);
    assert!(!e["not_counted"].as_array().unwrap().is_empty());
    // The human form says the same, with its table's date.
    let out = common::trailwarden(&account, &["plan", "--email", EMAIL]);
    assert!(out.stdout.contains("Estimated cost: USD"), "{}", out.stdout);
    assert!(
        out.stdout.contains("prices of 2026-02 for us-east-1"),
        "{}",
        out.stdout
    );
}

/// IncomingBytes of the log group, seeded with PutMetricData as CloudWatch Logs publishes it:
/// the average of the complete days that have data; today's partial day is left out.
#[tokio::test]
async fn incoming_bytes_of_the_last_complete_days() {
    use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit};
    let account = unique_account();
    apply(&account);
    let cfg = Emulator::shared().sdk_config(&account, "us-east-1").await;
    let cw = aws_sdk_cloudwatch::Client::new(&cfg);
    let t = today();
    for (at, bytes) in [
        (t - DAY + 3600, 300_000_000.0),
        (t - 2 * DAY + 3600, 100_000_000.0),
        (t + 60, 9_000_000_000.0),
    ] {
        cw.put_metric_data()
            .namespace("AWS/Logs")
            .metric_data(
                MetricDatum::builder()
                    .metric_name("IncomingBytes")
                    .dimensions(
                        Dimension::builder()
                            .name("LogGroupName")
                            .value("trailwarden-cloudtrail")
                            .build(),
                    )
                    .timestamp(aws_smithy_types::DateTime::from_secs(at as i64))
                    .value(bytes)
                    .unit(StandardUnit::Bytes)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }
    let e = plan_estimate(&account);
    assert_eq!(e["volume"]["method"], "incoming-bytes", "{e}");
    let gb = (300_000_000.0 + 100_000_000.0) / 2.0 * DAYS_PER_MONTH / GB;
    assert!(close(e["volume"]["gb_month"].as_f64().unwrap(), gb), "{e}");
    let ingestion = e["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["item"] == "logs-ingestion")
        .unwrap();
    assert!(close(ingestion["month"].as_f64().unwrap(), gb * 0.5), "{e}");
}

/// Without the metric: the size of yesterday's log files, every region, in the trail's bucket.
#[tokio::test]
async fn log_files_of_the_last_complete_day() {
    let account = unique_account();
    apply(&account);
    let cfg = Emulator::shared().sdk_config(&account, "us-east-1").await;
    let s3 = common::s3_client(&cfg);
    let bucket = format!("trailwarden-cloudtrail-{account}-us-east-1");
    let yesterday = ymd(today() - DAY);
    let today = ymd(today());
    let files = [
        (format!("us-east-1/{yesterday}/a.json.gz"), 1000usize),
        (format!("eu-west-1/{yesterday}/b.json.gz"), 500),
        (format!("us-east-1/{today}/c.json.gz"), 70_000),
    ];
    for (key, size) in &files {
        s3.put_object()
            .bucket(&bucket)
            .key(format!("AWSLogs/{account}/CloudTrail/{key}"))
            .body(vec![b'x'; *size].into())
            .send()
            .await
            .unwrap();
    }
    let e = plan_estimate(&account);
    assert_eq!(e["volume"]["method"], "s3-day", "{e}");
    // 1,500 gzip bytes, about ten times that ingested.
    let gb = 1500.0 * 10.0 * DAYS_PER_MONTH / GB;
    assert!(close(e["volume"]["gb_month"].as_f64().unwrap(), gb), "{e}");
    assert!(e["assumptions"].to_string().contains("gzip"), "{e}");
}

/// `plan`'s measurement reads only what `permissions --for check` (the read-only policy) allows.
#[tokio::test]
async fn the_measurement_is_allowed_by_the_read_only_policy() {
    let account = unique_account();
    apply(&account);
    let emu = Emulator::shared();
    let before = emu.requests_for_account(&account).len();
    plan_estimate(&account);
    let out = common::trailwarden(&account, &["permissions", "--for", "check"]);
    let policy: Value = serde_json::from_str(&out.stdout).unwrap();
    let allowed: Vec<&str> = policy["Statement"][0]["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let seen = emu.requests_for_account(&account);
    assert!(seen[before..]
        .iter()
        .any(|r| r["operation"] == "GetMetricStatistics"));
    for r in &seen[before..] {
        let (service, op) = (
            r["service"].as_str().unwrap_or_default(),
            r["operation"].as_str().unwrap_or_default(),
        );
        let action = trailwarden::aws::iam_action_for(service, op)
            .unwrap_or_else(|| panic!("no IAM action known for {service} {op}"));
        assert!(allowed.contains(&action), "read-only policy lacks {action}");
    }
}
