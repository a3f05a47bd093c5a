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

/// Apply a config where root usage is critical and pages through its own topic, told again
/// when it recovers; everything else goes to the default topic.
fn apply_routed(account: &str) -> String {
    let text = "emails = [\"sec@example.com\"]\n\
         [topics.pager]\n\
         emails = [\"oncall@example.com\"]\n\
         https = [\"https://events.pagerduty.com/integration/PDKEY0002/enqueue\"]\n\
         [severities.critical]\n\
         topics = [\"pager\"]\n\
         ok_actions = true\n";
    let dir = std::env::temp_dir().join(format!("tw-test-alarm-{account}"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("trailwarden.toml");
    std::fs::write(&path, text).unwrap();
    let config = path.to_str().unwrap().to_string();
    let out = tw(account, &["apply", "--config", &config, "--yes"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    config
}

async fn alarm_state(cfg: &aws_config::SdkConfig, name: &str) -> String {
    aws_sdk_cloudwatch::Client::new(cfg)
        .describe_alarms()
        .alarm_names(name)
        .send()
        .await
        .unwrap()
        .metric_alarms()[0]
        .state_value()
        .unwrap()
        .as_str()
        .to_string()
}

#[tokio::test]
async fn test_alarm_is_dry_by_default_then_drives_the_alarm_to_alarm_and_back() {
    let account = unique_account();
    let config = apply_routed(&account);
    let emu = Emulator::shared();
    let cfg = emu.sdk_config(&account, "us-east-1").await;
    let pager = format!("arn:aws:sns:us-east-1:{account}:trailwarden-alarms-pager");
    let before = emu.write_requests_for_account(&account).len();
    let requests_before = emu.requests_for_account(&account).len();

    // Dry: says what it would do, sends nothing, changes nothing.
    let dry = tw(
        &account,
        &["test-alarm", "root-account-usage", "--config", &config],
    );
    assert_eq!(dry.code, 0, "{}\n{}", dry.stdout, dry.stderr);
    assert!(
        dry.stdout.contains("would set it to ALARM"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout
            .contains("ALARM -> topic trailwarden-alarms-pager"),
        "{}",
        dry.stdout
    );
    assert!(dry.stdout.contains("Nothing sent"), "{}", dry.stdout);
    assert!(!dry.stdout.contains("PDKEY0002"), "{}", dry.stdout);
    assert_eq!(emu.write_requests_for_account(&account).len(), before);
    assert!(emu.published(&pager).is_empty());

    // Sent: ALARM, the notification published to the pager topic, back to OK (told too).
    let run = tw(
        &account,
        &[
            "test-alarm",
            "root-account-usage",
            "--config",
            &config,
            "--yes",
            "--output",
            "json",
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    assert_eq!(report["format_version"], "1");
    assert_eq!(report["sent"], true);
    assert_eq!(report["ok"], true, "{report:#}");
    let alarm = &report["alarms"][0];
    assert_eq!(alarm["alarm"], "RootAccountUsageAlarm");
    assert_eq!(alarm["severity"], "critical");
    assert_eq!(alarm["returned_to_ok"], true);
    assert_eq!(alarm["topics"][0]["topic_arn"], pager.as_str());
    assert_eq!(alarm["topics"][0]["published"], "published");
    assert_eq!(alarm["ok_topics"][0]["published"], "published");
    let destinations = alarm["topics"][0]["destinations"].as_array().unwrap();
    assert!(destinations
        .iter()
        .any(|d| d["protocol"] == "https" && d["confirmed"] == false));
    assert!(destinations
        .iter()
        .any(|d| d["endpoint"] == "oncall@example.com" && d["confirmed"] == true));

    // Proof of delivery to the topic, read back from moto: the ALARM then the OK notification,
    // each CloudWatch's JSON naming the alarm and the test reason.
    let published = emu.published(&pager);
    assert_eq!(published.len(), 2, "{published:#?}");
    let first: Value = serde_json::from_str(published[0]["message"].as_str().unwrap()).unwrap();
    assert_eq!(first["AlarmName"], "RootAccountUsageAlarm");
    assert_eq!(first["NewStateValue"], "ALARM");
    assert!(first["NewStateReason"]
        .as_str()
        .unwrap()
        .contains("trailwarden test-alarm"));
    assert!(first["AlarmDescription"]
        .as_str()
        .unwrap()
        .starts_with("[CRITICAL] Root account usage"));
    let second: Value = serde_json::from_str(published[1]["message"].as_str().unwrap()).unwrap();
    assert_eq!(second["NewStateValue"], "OK");
    // The default topic was not paged: the test is routed like the real alarm.
    let default = format!("arn:aws:sns:us-east-1:{account}:trailwarden-alarms");
    assert!(emu.published(&default).is_empty());
    assert_eq!(alarm_state(&cfg, "RootAccountUsageAlarm").await, "OK");

    // The requests made are the ones `permissions --for test-alarm` allows.
    let policy = tw(&account, &["permissions", "--for", "test-alarm"]).json();
    let allowed: Vec<String> = policy["Statement"][0]["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    for r in emu
        .requests_for_account(&account)
        .iter()
        .skip(requests_before)
    {
        let action = trailwarden::aws::iam_action_for(
            r["service"].as_str().unwrap(),
            r["operation"].as_str().unwrap(),
        )
        .unwrap_or_else(|| panic!("no IAM action for {r}"));
        assert!(
            allowed.iter().any(|a| a == action),
            "{action} not in the policy"
        );
    }
}

#[tokio::test]
async fn test_alarm_reports_a_topic_that_drops_the_notification() {
    let account = unique_account();
    let config = apply_routed(&account);
    let emu = Emulator::shared();
    let cfg = emu.sdk_config(&account, "us-east-1").await;
    // The pager topic is deleted behind trailwarden's back: CloudWatch's publish fails.
    let pager = format!("arn:aws:sns:us-east-1:{account}:trailwarden-alarms-pager");
    aws_sdk_sns::Client::new(&cfg)
        .delete_topic()
        .topic_arn(&pager)
        .send()
        .await
        .unwrap();
    let run = tw(
        &account,
        &[
            "test-alarm",
            "RootAccountUsageAlarm",
            "--config",
            &config,
            "--yes",
            "--wait",
            "5",
        ],
    );
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("ALARM -> topic trailwarden-alarms-pager: FAILED (Failed to execute action"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("NOBODY"), "{}", run.stdout);
    // Back to OK all the same.
    assert_eq!(alarm_state(&cfg, "RootAccountUsageAlarm").await, "OK");

    // An alarm already in ALARM is not tested: that would hide a real breach.
    aws_sdk_cloudwatch::Client::new(&cfg)
        .set_alarm_state()
        .alarm_name("ApiActivityWithoutMFAAlarm")
        .state_value(aws_sdk_cloudwatch::types::StateValue::Alarm)
        .state_reason("real")
        .send()
        .await
        .unwrap();
    let run = tw(
        &account,
        &[
            "test-alarm",
            "api-activity-without-mfa",
            "--config",
            &config,
            "--yes",
        ],
    );
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("not tested: the alarm is in ALARM now"),
        "{}",
        run.stdout
    );
    assert_eq!(
        alarm_state(&cfg, "ApiActivityWithoutMFAAlarm").await,
        "ALARM"
    );

    // An unknown control is refused before any request.
    let before = emu.requests_for_account(&account).len();
    let run = tw(
        &account,
        &["test-alarm", "nope", "--config", &config, "--yes"],
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("no alarm for `nope`"), "{}", run.stderr);
    assert_eq!(emu.requests_for_account(&account).len(), before);
}

const ROOT_LOGIN: &str = r#"{"eventVersion":"1.08","userIdentity":{"type":"Root","principalId":"ACCOUNT","arn":"arn:aws:iam::ACCOUNT:root","accountId":"ACCOUNT"},"eventTime":"TIME","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.23","userAgent":"Mozilla/5.0 (X11; Linux x86_64)","responseElements":{"ConsoleLogin":"Success"},"eventType":"AwsConsoleSignIn","recipientAccountId":"ACCOUNT"}"#;
const ROOT_DENIED: &str = r#"{"eventVersion":"1.08","userIdentity":{"type":"Root","principalId":"ACCOUNT","arn":"arn:aws:iam::ACCOUNT:root","accountId":"ACCOUNT"},"eventTime":"TIME","eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userAgent":"aws-cli/2.15.30","errorCode":"AccessDenied","eventType":"AwsApiCall","recipientAccountId":"ACCOUNT"}"#;
/// Root, but an AWS service acting for it: the control's pattern excludes it.
const ROOT_BY_SERVICE: &str = r#"{"eventVersion":"1.08","userIdentity":{"type":"Root","principalId":"ACCOUNT","arn":"arn:aws:iam::ACCOUNT:root","accountId":"ACCOUNT","invokedBy":"support.amazonaws.com"},"eventTime":"TIME","eventSource":"support.amazonaws.com","eventName":"DescribeCases","eventType":"AwsApiCall","recipientAccountId":"ACCOUNT"}"#;
const USER_CALL: &str = r#"{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::ACCOUNT:user/anaya","accountId":"ACCOUNT","userName":"anaya"},"eventTime":"TIME","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"eu-west-1","sourceIPAddress":"192.0.2.10","userAgent":"aws-cli/2.15.30","eventType":"AwsApiCall","recipientAccountId":"ACCOUNT"}"#;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Seeds the chain's log group with CloudTrail records (PutLogEvents), at `minutes_ago`.
async fn seed(cfg: &aws_config::SdkConfig, account: &str, records: &[(&str, i64)]) {
    let logs = aws_sdk_cloudwatchlogs::Client::new(cfg);
    let group = "trailwarden-cloudtrail";
    let stream = format!("{account}_CloudTrail_us-east-1");
    let _ = logs
        .create_log_stream()
        .log_group_name(group)
        .log_stream_name(&stream)
        .send()
        .await;
    let now = now_ms();
    let mut events: Vec<(i64, String)> = records
        .iter()
        .map(|(template, minutes_ago)| {
            let t = now - minutes_ago * 60_000;
            let secs = t / 1000;
            let time = rfc3339(secs);
            (
                t,
                template.replace("ACCOUNT", account).replace("TIME", &time),
            )
        })
        .collect();
    events.sort();
    let mut put = logs
        .put_log_events()
        .log_group_name(group)
        .log_stream_name(&stream);
    for (t, message) in events {
        put = put.log_events(
            aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp(t)
                .message(message)
                .build()
                .unwrap(),
        );
    }
    put.send().await.unwrap();
}

/// `2024-05-14T09:13:10Z` from epoch seconds (no date crate in the tests).
fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[tokio::test]
async fn why_returns_exactly_the_events_the_pattern_matches_even_when_the_server_returns_more() {
    let account = unique_account();
    let out = tw(&account, &["apply", "--email", "sec@example.com", "--yes"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let emu = Emulator::shared();
    let cfg = emu.sdk_config(&account, "us-east-1").await;
    seed(
        &cfg,
        &account,
        &[
            (ROOT_LOGIN, 3),
            (ROOT_DENIED, 2),
            (ROOT_BY_SERVICE, 2),
            (USER_CALL, 1),
            (ROOT_LOGIN, 40),
            (ROOT_LOGIN, 60 * 30),
        ],
    )
    .await;

    // Given window: the last hour. moto's FilterLogEvents ignores JSON patterns and returns all
    // five events in it; trailwarden's engine keeps the three root ones the pattern matches.
    let run = tw(
        &account,
        &[
            "why",
            "root-account-usage",
            "--email",
            "sec@example.com",
            "--since",
            "1h",
            "--output",
            "json",
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let r = run.json();
    assert_eq!(r["window_from"], "given");
    assert_eq!(r["fetched"], 5, "{r:#}");
    assert_eq!(r["rejected"], 2, "{r:#}");
    let names: Vec<&str> = r["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec!["ConsoleLogin", "ConsoleLogin", "CreateAccessKey"]
    );
    let denied = &r["events"][2];
    assert_eq!(denied["error_code"], "AccessDenied");
    assert_eq!(denied["source_ip"], "203.0.113.9");
    assert_eq!(denied["user_agent"], "aws-cli/2.15.30");
    assert_eq!(denied["principal"], format!("arn:aws:iam::{account}:root"));
    assert_eq!(denied["recipient_account"], account.as_str());
    assert_eq!(r["summary"]["principals"][0][1], 3);

    // No window: the alarm's breach decides it. A real breach now: only the events of its
    // evaluation window (5 minutes, and a minute of slack), not the one 40 minutes ago.
    aws_sdk_cloudwatch::Client::new(&cfg)
        .set_alarm_state()
        .alarm_name("RootAccountUsageAlarm")
        .state_value(aws_sdk_cloudwatch::types::StateValue::Alarm)
        .state_reason("Threshold Crossed: 1 datapoint [2.0] was greater than or equal to the threshold (1.0).")
        .send()
        .await
        .unwrap();
    let run = tw(
        &account,
        &["why", "RootAccountUsageAlarm", "--email", "sec@example.com"],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("around the alarm's breaches"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("2 matching events (4 returned by CloudWatch Logs; 2 left out"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("Who:       arn:aws:iam::"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("What:      ConsoleLogin (1), CreateAccessKey (1)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("Errors:    AccessDenied (1)"),
        "{}",
        run.stdout
    );

    // --matches: the events themselves, one JSON per line, on stdout; the summary on stderr.
    let run = tw(
        &account,
        &[
            "why",
            "root-account-usage",
            "--email",
            "sec@example.com",
            "--since",
            "1h",
            "--matches",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert!(lines.iter().all(|e| e["userIdentity"]["type"] == "Root"));
    assert!(run.stderr.contains("3 matching events"), "{}", run.stderr);

    // The requests are the ones `permissions --for why` allows, and none writes.
    let policy = tw(&account, &["permissions", "--for", "why"]).json();
    let allowed = policy["Statement"][0]["Action"].as_array().unwrap().clone();
    let before = emu.requests_for_account(&account).len();
    let run = tw(
        &account,
        &["why", "root-account-usage", "--email", "sec@example.com"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    for r in emu.requests_for_account(&account).iter().skip(before) {
        let op = r["operation"].as_str().unwrap();
        assert!(common::is_read_only(op), "why wrote: {r}");
        let action = trailwarden::aws::iam_action_for(r["service"].as_str().unwrap(), op)
            .unwrap_or_else(|| panic!("no IAM action for {r}"));
        assert!(
            allowed.iter().any(|a| a == action),
            "{action} not in the policy"
        );
    }
}

#[test]
fn why_refuses_bad_input_before_any_request() {
    let account = unique_account();
    let emu = Emulator::shared();
    let before = emu.requests_for_account(&account).len();
    for (args, message) in [
        (vec!["why", "nope"], "no alarm for `nope`"),
        (
            vec!["why", "root-account-usage", "--since", "2w"],
            "s, m, h or d",
        ),
        (
            vec![
                "why",
                "root-account-usage",
                "--since",
                "1h",
                "--until",
                "2h",
            ],
            "--since must be before --until",
        ),
        (
            vec!["why", "root-account-usage", "--matches", "--output", "json"],
            "leave out --output",
        ),
    ] {
        let mut args = args;
        args.extend(["--email", "sec@example.com"]);
        let run = tw(&account, &args);
        assert_eq!(run.code, 1, "{args:?}: {}\n{}", run.stdout, run.stderr);
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty());
    }
    assert_eq!(emu.requests_for_account(&account).len(), before);
}

#[tokio::test]
async fn ok_actions_a_severity_asks_for_are_drift_when_removed_and_repaired() {
    let account = unique_account();
    let config = apply_routed(&account);
    let cfg = Emulator::shared().sdk_config(&account, "us-east-1").await;
    let cw = aws_sdk_cloudwatch::Client::new(&cfg);
    let alarm = cw
        .describe_alarms()
        .alarm_names("RootAccountUsageAlarm")
        .send()
        .await
        .unwrap()
        .metric_alarms()[0]
        .clone();
    let pager = format!("arn:aws:sns:us-east-1:{account}:trailwarden-alarms-pager");
    assert_eq!(alarm.ok_actions(), std::slice::from_ref(&pager));
    assert!(alarm
        .alarm_description()
        .unwrap()
        .starts_with("[CRITICAL] Root account usage"));
    // Someone replaces the alarm without its OK action, with one of their own.
    let theirs = format!("arn:aws:sns:us-east-1:{account}:theirs");
    cw.put_metric_alarm()
        .alarm_name("RootAccountUsageAlarm")
        .alarm_description(alarm.alarm_description().unwrap())
        .metric_name("RootAccountUsageCount")
        .namespace("CloudTrailMetrics")
        .statistic(aws_sdk_cloudwatch::types::Statistic::Sum)
        .period(300)
        .evaluation_periods(1)
        .datapoints_to_alarm(1)
        .threshold(1.0)
        .comparison_operator(
            aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanOrEqualToThreshold,
        )
        .treat_missing_data("notBreaching")
        .alarm_actions(&pager)
        .ok_actions(&theirs)
        .send()
        .await
        .unwrap();
    let check = tw(
        &account,
        &["check", "--config", &config, "--output", "json"],
    );
    assert_eq!(check.code, 2, "{}\n{}", check.stdout, check.stderr);
    let kinds: Vec<String> = check.json()["drift"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, vec!["alarm.ok-actions"]);
    let repair = tw(&account, &["apply", "--config", &config, "--yes"]);
    assert_eq!(repair.code, 0, "{}\n{}", repair.stdout, repair.stderr);
    let ok: Vec<String> = cw
        .describe_alarms()
        .alarm_names("RootAccountUsageAlarm")
        .send()
        .await
        .unwrap()
        .metric_alarms()[0]
        .ok_actions()
        .to_vec();
    // Theirs kept, ours back.
    assert_eq!(ok, vec![theirs, pager]);
    let after = tw(&account, &["check", "--config", &config]);
    assert_eq!(after.code, 0, "{}\n{}", after.stdout, after.stderr);
}

#[tokio::test]
async fn why_stops_at_the_bound_and_says_so() {
    let account = unique_account();
    let out = tw(&account, &["apply", "--email", "sec@example.com", "--yes"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let cfg = Emulator::shared().sdk_config(&account, "us-east-1").await;
    let records: Vec<(&str, i64)> = (0..5).map(|_| (ROOT_LOGIN, 5)).collect();
    seed(&cfg, &account, &records).await;
    let run = tw(
        &account,
        &[
            "why",
            "root-account-usage",
            "--email",
            "sec@example.com",
            "--since",
            "1h",
            "--max-events",
            "3",
            "--output",
            "json",
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let r = run.json();
    assert_eq!(r["events"].as_array().unwrap().len(), 3, "{r:#}");
    assert_eq!(r["truncated"], true, "{r:#}");
}

const TENANT: &str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
const TEAM: &str = "11111111-2222-3333-4444-555555555555";

fn chat_config(account: &str) -> String {
    let text = format!(
        "emails = [\"sec@example.com\"]\n\
         [topics.chat]\n\
         emails = [\"chat@example.com\"]\n\
         [chat.secops]\n\
         slack_workspace_id = \"T07EA123LEP\"\n\
         slack_channel_id = \"C07EZ1ABC23\"\n\
         topics = [\"chat\", \"default\"]\n\
         iam_role_arn = \"arn:aws:iam::{account}:role/chatbot-notifications\"\n\
         [chat.soc]\n\
         teams_tenant_id = \"{TENANT}\"\n\
         teams_team_id = \"{TEAM}\"\n\
         teams_channel_id = \"19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2\"\n\
         iam_role_arn = \"arn:aws:iam::{account}:role/chatbot-notifications\"\n"
    );
    let dir = std::env::temp_dir().join(format!("tw-chat-{account}"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("trailwarden.toml");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn drift_kinds(run: &common::Run) -> Vec<String> {
    run.json()["drift"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} {}",
                d["kind"].as_str().unwrap(),
                d["address"].as_str().unwrap()
            )
        })
        .collect()
}

/// AWS Chatbot is not in moto: tests/emulator/chatbot.py answers its calls over HTTP, so the real
/// SDK client (signing for a region the Chatbot API serves) is exercised end to end.
#[tokio::test]
async fn slack_and_teams_channels_wait_for_authorization_then_are_created_checked_and_repaired() {
    let account = unique_account();
    let config = chat_config(&account);
    let emu = Emulator::shared();

    // Not authorized yet: the chain is applied, the channels are not, and check says what to do.
    let out = tw(&account, &["apply", "--config", &config, "--yes"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let check = tw(
        &account,
        &["check", "--config", &config, "--output", "json"],
    );
    assert_eq!(check.code, 2, "{}\n{}", check.stdout, check.stderr);
    assert_eq!(
        drift_kinds(&check),
        vec![
            "chat.workspace-unauthorized chat_channel.trailwarden-secops",
            "chat.workspace-unauthorized chat_channel.trailwarden-soc",
        ]
    );
    assert!(
        check.stdout.contains("authorize it once in the console"),
        "{}",
        check.stdout
    );
    assert!(!emu
        .requests_for_account(&account)
        .iter()
        .any(
            |r| r["operation"].as_str().unwrap_or("").starts_with("Create")
                && r["service"] == "chatbot"
        ));

    // Authorized in the console: apply creates both configurations.
    emu.authorize_chat(&account, &["T07EA123LEP"], &[(TENANT, TEAM)]);
    let out = tw(&account, &["apply", "--config", &config, "--yes"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let check = tw(&account, &["check", "--config", &config]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    let chatbot_requests: Vec<Value> = emu
        .requests_for_account(&account)
        .into_iter()
        .filter(|r| r["service"] == "chatbot")
        .collect();
    assert!(
        chatbot_requests.iter().all(|r| r["region"] == "us-east-2"),
        "{chatbot_requests:#?}"
    );

    let cfg = emu.sdk_config(&account, "us-east-2").await;
    let chatbot = aws_sdk_chatbot::Client::new(&cfg);
    let slack = chatbot
        .describe_slack_channel_configurations()
        .send()
        .await
        .unwrap()
        .slack_channel_configurations()[0]
        .clone();
    assert_eq!(slack.configuration_name(), Some("trailwarden-secops"));
    assert_eq!(slack.slack_channel_id(), "C07EZ1ABC23");
    assert_eq!(
        slack.sns_topic_arns(),
        [
            format!("arn:aws:sns:us-east-1:{account}:trailwarden-alarms-chat"),
            format!("arn:aws:sns:us-east-1:{account}:trailwarden-alarms"),
        ]
    );
    assert_eq!(
        slack.guardrail_policy_arns(),
        ["arn:aws:iam::aws:policy/ReadOnlyAccess".to_string()]
    );
    assert!(slack
        .tags()
        .iter()
        .any(|t| t.tag_key() == "managed-by" && t.tag_value() == "trailwarden"));
    let teams = chatbot
        .list_microsoft_teams_channel_configurations()
        .send()
        .await
        .unwrap()
        .team_channel_configurations()[0]
        .clone();
    assert_eq!(teams.team_id(), TEAM);
    assert_eq!(teams.tenant_id(), TENANT);

    // Drift: a topic taken off the Slack channel in the console, one of theirs added.
    let theirs = format!("arn:aws:sns:us-east-1:{account}:theirs");
    chatbot
        .update_slack_channel_configuration()
        .chat_configuration_arn(slack.chat_configuration_arn())
        .slack_channel_id("C07EZ1ABC23")
        .sns_topic_arns(&theirs)
        .send()
        .await
        .unwrap();
    let check = tw(
        &account,
        &["check", "--config", &config, "--output", "json"],
    );
    assert_eq!(check.code, 2, "{}\n{}", check.stdout, check.stderr);
    assert_eq!(
        drift_kinds(&check),
        vec!["chat.topics chat_channel.trailwarden-secops"]
    );
    let out = tw(&account, &["apply", "--config", &config, "--yes"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let topics = chatbot
        .describe_slack_channel_configurations()
        .send()
        .await
        .unwrap()
        .slack_channel_configurations()[0]
        .sns_topic_arns()
        .to_vec();
    assert_eq!(topics.len(), 3);
    assert_eq!(topics[0], theirs);
    let check = tw(&account, &["check", "--config", &config]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);

    // Every Chatbot request is in the apply policy.
    let policy = tw(&account, &["permissions", "--for", "apply"]).json();
    let allowed = policy["Statement"][0]["Action"].as_array().unwrap().clone();
    for r in emu.requests_for_account(&account) {
        if r["service"] != "chatbot" {
            continue;
        }
        let action = trailwarden::aws::iam_action_for("chatbot", r["operation"].as_str().unwrap())
            .unwrap_or_else(|| panic!("no IAM action for {r}"));
        assert!(
            allowed.iter().any(|a| a == action),
            "{action} not in the policy"
        );
    }
}
