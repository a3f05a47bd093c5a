//! Alerts against the emulator: topics with subscribers of every protocol, created, checked and
//! repaired; `test-alarm` driving an alarm to ALARM and back; `why` over seeded log events.

mod common;

use common::{unique_account, Emulator};
use serde_json::Value;

const PAGERDUTY: &str = "https://events.pagerduty.com/integration/PDKEY0001/enqueue";
const OPSGENIE: &str = "https://api.opsgenie.com/v1/json/amazonsns?apiKey=OGKEY0001";

/// A config routing to two topics with subscribers of every protocol.
fn routed_config(account: &str) -> std::path::PathBuf {
    let text = format!(
        "emails = [\"sec@example.com\"]\n\
         [topics.critical]\n\
         emails = [\"oncall@example.com\"]\n\
         https = [\"{PAGERDUTY}\", \"{OPSGENIE}\"]\n\
         sms = [\"+14155550100\"]\n\
         lambdas = [\"arn:aws:lambda:us-east-1:{account}:function:notify\"]\n\
         [controls.root-account-usage]\n\
         topic = \"critical\"\n"
    );
    let dir = std::env::temp_dir().join(format!("tw-alerts-{account}"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("trailwarden.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn tw(account: &str, args: &[&str]) -> common::Run {
    common::trailwarden(account, args)
}

fn critical_topic(account: &str) -> String {
    format!("arn:aws:sns:us-east-1:{account}:trailwarden-alarms-critical")
}

async fn listed(sns: &aws_sdk_sns::Client, topic: &str) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = sns
        .list_subscriptions_by_topic()
        .topic_arn(topic)
        .send()
        .await
        .unwrap()
        .subscriptions()
        .iter()
        .map(|s| {
            (
                s.protocol().unwrap_or_default().to_string(),
                s.endpoint().unwrap_or_default().to_string(),
                s.subscription_arn().unwrap_or_default().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn subscribers_of_every_protocol_are_created_checked_and_repaired() {
    let account = unique_account();
    let config = routed_config(&account);
    let config = config.to_str().unwrap();
    let out = tw(&account, &["apply", "--config", config, "--yes"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    // What a person reads after apply: how each new kind of subscriber gets confirmed.
    assert!(out.stdout.contains("SubscribeURL"), "{}", out.stdout);
    assert!(
        out.stdout.contains("lambda add-permission"),
        "{}",
        out.stdout
    );
    // No integration key on stdout or stderr.
    assert!(
        !out.stdout.contains("PDKEY0001") && !out.stderr.contains("PDKEY0001"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    assert!(!out.stdout.contains("OGKEY0001") && !out.stderr.contains("OGKEY0001"));

    let cfg = Emulator::shared().sdk_config(&account, "us-east-1").await;
    let sns = aws_sdk_sns::Client::new(&cfg);
    let subs = listed(&sns, &critical_topic(&account)).await;
    let kinds: Vec<(&str, &str)> = subs
        .iter()
        .map(|(p, e, _)| (p.as_str(), e.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("email", "oncall@example.com"),
            ("https", OPSGENIE),
            ("https", PAGERDUTY),
            (
                "lambda",
                format!("arn:aws:lambda:us-east-1:{account}:function:notify").as_str()
            ),
            ("sms", "+14155550100"),
        ]
    );
    // The HTTPS endpoints wait for their confirmation, as on AWS.
    assert!(subs
        .iter()
        .filter(|(p, _, _)| p == "https")
        .all(|(_, _, arn)| arn == "PendingConfirmation"));

    // In sync, with the pending HTTPS endpoints as warnings, and as drift with --strict.
    let check = tw(&account, &["check", "--config", config, "--output", "json"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    let report = check.json();
    let warnings: Vec<&Value> = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["code"] == "subscription-pending")
        .collect();
    assert_eq!(warnings.len(), 2, "{report:#}");
    assert!(!check.stdout.contains("PDKEY0001"), "{}", check.stdout);
    let strict = tw(&account, &["check", "--config", config, "--strict"]);
    assert_eq!(strict.code, 2, "{}", strict.stdout);

    // Drift: the SMS subscriber is removed in the console.
    let (_, _, sms_arn) = subs.iter().find(|(p, _, _)| p == "sms").unwrap();
    sns.unsubscribe()
        .subscription_arn(sms_arn)
        .send()
        .await
        .unwrap();
    let drift = tw(&account, &["check", "--config", config, "--output", "json"]);
    assert_eq!(drift.code, 2, "{}\n{}", drift.stdout, drift.stderr);
    let drift = drift.json();
    let found: Vec<(String, String)> = drift["drift"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["kind"].as_str().unwrap().to_string(),
                d["address"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![(
            "subscription.missing".to_string(),
            "sns_subscription.trailwarden-alarms-critical/sms:+14155550100".to_string()
        )],
        "{drift:#}"
    );
    let repair = tw(&account, &["apply", "--config", config, "--yes"]);
    assert_eq!(repair.code, 0, "{}\n{}", repair.stdout, repair.stderr);
    let after = tw(&account, &["check", "--config", config]);
    assert_eq!(after.code, 0, "{}\n{}", after.stdout, after.stderr);
    assert!(listed(&sns, &critical_topic(&account))
        .await
        .iter()
        .any(|(p, e, arn)| p == "sms" && e == "+14155550100" && arn.starts_with("arn:")));
}
