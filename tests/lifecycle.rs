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

/// Every request `account` made since the `before`-th is allowed by `permissions --for FOR`.
fn assert_allowed(account: &str, before: usize, for_: &str) {
    let policy = run_ok(account, &["permissions", "--for", for_]).json();
    let allowed: Vec<&str> = policy["Statement"][0]["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let seen = Emulator::shared().requests_for_account(account);
    assert!(seen.len() > before, "no request made");
    for r in &seen[before..] {
        let (service, op) = (
            r["service"].as_str().unwrap_or_default(),
            r["operation"].as_str().unwrap_or_default(),
        );
        let action = trailwarden::aws::iam_action_for(service, op)
            .unwrap_or_else(|| panic!("no IAM action known for {service} {op}"));
        assert!(allowed.contains(&action), "{for_} policy lacks {action}");
    }
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

    let before = Emulator::shared().requests_for_account(&account).len();
    run_ok(&account, &["apply", "--config", &fewer, "--yes"]);
    assert_allowed(&account, before, "apply");
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
    let check = run_ok(&account, &["check", "--email", EMAIL, "--output", "json"]);
    let seen = emu.requests_for_account(&account);
    eprintln!("in-sync check: {} requests", seen.len() - before);
    assert_eq!(check.json()["requests"], (seen.len() - before) as u64);
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
    let before = Emulator::shared().requests_for_account(&account).len();
    run_ok(&account, &["apply", "--email", EMAIL, "--yes"]);
    assert_allowed(&account, before, "apply");
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

async fn bucket_exists(cfg: &aws_config::SdkConfig, bucket: &str) -> bool {
    common::s3_client(cfg)
        .head_bucket()
        .bucket(bucket)
        .send()
        .await
        .is_ok()
}

async fn log_group_exists(cfg: &aws_config::SdkConfig) -> bool {
    let out = aws_sdk_cloudwatchlogs::Client::new(cfg)
        .describe_log_groups()
        .log_group_name_prefix(GROUP)
        .send()
        .await
        .unwrap();
    out.log_groups()
        .iter()
        .any(|g| g.log_group_name() == Some(GROUP))
}

async fn trail_names(cfg: &aws_config::SdkConfig) -> Vec<String> {
    let out = aws_sdk_cloudtrail::Client::new(cfg)
        .describe_trails()
        .send()
        .await
        .unwrap();
    out.trail_list()
        .iter()
        .filter_map(|t| t.name().map(str::to_string))
        .collect()
}

async fn topic_count(cfg: &aws_config::SdkConfig) -> usize {
    aws_sdk_sns::Client::new(cfg)
        .list_topics()
        .send()
        .await
        .unwrap()
        .topics()
        .len()
}

fn bucket_of(account: &str) -> String {
    format!("trailwarden-cloudtrail-{account}-us-east-1")
}

/// Plain `destroy`: the alarms, filters and topic go; the trail keeps recording into the bucket
/// and the log group, which keep their data; a second destroy has nothing to do.
#[tokio::test]
async fn destroy_keeps_the_trail_and_the_log_data() {
    let account = unique_account();
    run_ok(&account, &["apply", "--email", EMAIL, "--yes"]);
    let cfg = sdk(&account).await;

    // Without --yes and without a terminal: refused, nothing written.
    let emu = Emulator::shared();
    let writes = emu.write_requests_for_account(&account).len();
    let refused = tw(&account, &["destroy", "--email", EMAIL]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(refused.stderr.contains("--yes"), "{}", refused.stderr);
    assert_eq!(emu.write_requests_for_account(&account).len(), writes);

    let out = run_ok(
        &account,
        &["destroy", "--email", EMAIL, "--yes", "--output", "json"],
    );
    let report = out.json();
    assert_eq!(report["command"], "destroy");
    assert!(report["outcome"]["failed"].is_null(), "{report}");
    assert!(alarm_names(&cfg).await.is_empty());
    assert!(filter_names(&cfg).await.is_empty());
    assert_eq!(topic_count(&cfg).await, 0);
    assert!(bucket_exists(&cfg, &bucket_of(&account)).await);
    assert!(log_group_exists(&cfg).await);
    assert_eq!(trail_names(&cfg).await, ["trailwarden"]);

    let again = run_ok(&account, &["destroy", "--email", EMAIL, "--yes"]);
    assert!(
        again.stdout.contains("Nothing to destroy."),
        "{}",
        again.stdout
    );
    assert!(again.stdout.contains("--stop-logging"), "{}", again.stdout);
}

/// `--delete-log-data` is the only way to remove the bucket and the log group, and needs the
/// bucket's name; with it, nothing trailwarden created is left.
#[tokio::test]
async fn destroy_deletes_log_data_only_when_the_bucket_is_named() {
    let account = unique_account();
    run_ok(&account, &["apply", "--email", EMAIL, "--yes"]);
    let cfg = sdk(&account).await;
    let bucket = bucket_of(&account);
    let s3 = common::s3_client(&cfg);
    // Two versions of a log file (the bucket is versioned).
    for body in ["one", "two"] {
        s3.put_object()
            .bucket(&bucket)
            .key(format!(
                "AWSLogs/{account}/CloudTrail/us-east-1/log.json.gz"
            ))
            .body(body.as_bytes().to_vec().into())
            .send()
            .await
            .unwrap();
    }
    let emu = Emulator::shared();
    let writes = emu.write_requests_for_account(&account).len();
    let unnamed = tw(
        &account,
        &[
            "destroy",
            "--email",
            EMAIL,
            "--stop-logging",
            "--delete-log-data",
            "--yes",
        ],
    );
    assert_eq!(unnamed.code, 1, "{}", unnamed.stderr);
    assert!(
        unnamed.stderr.contains("--confirm-bucket"),
        "{}",
        unnamed.stderr
    );
    let wrong = tw(
        &account,
        &[
            "destroy",
            "--email",
            EMAIL,
            "--stop-logging",
            "--delete-log-data",
            "--yes",
            "--confirm-bucket",
            "another-bucket",
        ],
    );
    assert_eq!(wrong.code, 1, "{}", wrong.stderr);
    assert_eq!(emu.write_requests_for_account(&account).len(), writes);
    // Usage: --delete-log-data without --stop-logging.
    let usage = tw(
        &account,
        &["destroy", "--email", EMAIL, "--delete-log-data", "--yes"],
    );
    assert_eq!(usage.code, 1, "{}", usage.stderr);

    let before = emu.requests_for_account(&account).len();
    let out = run_ok(
        &account,
        &[
            "destroy",
            "--email",
            EMAIL,
            "--stop-logging",
            "--delete-log-data",
            "--yes",
            "--confirm-bucket",
            &bucket,
        ],
    );
    assert!(out.stderr.contains("UNMONITORED"), "{}", out.stderr);
    // Every request it made is allowed by `permissions --for destroy`.
    assert_allowed(&account, before, "destroy");
    assert!(!bucket_exists(&cfg, &bucket).await);
    assert!(!log_group_exists(&cfg).await);
    assert!(trail_names(&cfg).await.is_empty());
    let iam = aws_sdk_iam::Client::new(&cfg);
    assert!(iam
        .get_role()
        .role_name("trailwarden-cloudtrail-to-logs")
        .send()
        .await
        .is_err());
    assert!(alarm_names(&cfg).await.is_empty());
    assert_eq!(topic_count(&cfg).await, 0);
}

/// A destroy killed (SIGKILL) while a request is in flight, at several points, is finished by
/// the next one.
#[tokio::test]
async fn a_destroy_killed_half_way_is_finished_by_the_next() {
    let emu = Emulator::shared();
    let args = ["destroy", "--email", EMAIL, "--stop-logging", "--yes"];
    // The reference: how many requests a whole destroy makes.
    let reference = unique_account();
    run_ok(&reference, &["apply", "--email", EMAIL, "--yes"]);
    let before = emu.requests_for_account(&reference).len();
    let writes_before = emu.write_requests_for_account(&reference).len();
    run_ok(&reference, &args);
    let requests = emu.requests_for_account(&reference).len() - before;
    let writes = emu.write_requests_for_account(&reference).len() - writes_before;
    let reads = requests - writes;
    assert!(writes >= 8, "{writes}");
    // Killed while the first, a middle and the last-but-one write are in flight.
    for k in [reads, reads + writes / 2, requests - 2] {
        let account = unique_account();
        run_ok(&account, &["apply", "--email", EMAIL, "--yes"]);
        let seen = emu.requests_for_account(&account).len();
        emu.set_faults(
            &account,
            serde_json::json!({"stall_after": k, "stall_seconds": 60}),
        );
        let mut child = common::spawn_trailwarden(&account, &args, &[]);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !emu.requests_for_account(&account)[seen..]
            .iter()
            .any(|r| r["fault"] == "stall")
        {
            assert!(
                child.try_wait().unwrap().is_none(),
                "finished before request {k}"
            );
            assert!(
                std::time::Instant::now() < deadline,
                "request {k} never came"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let _ = child.kill();
        let _ = child.wait();
        emu.set_faults(&account, serde_json::json!({}));
        let cfg = sdk(&account).await;
        let out = run_ok(&account, &args);
        assert!(
            !out.stdout.contains("Nothing to destroy."),
            "kill at {k} of {requests}: the first destroy had finished"
        );
        assert!(alarm_names(&cfg).await.is_empty(), "kill at {k}");
        assert!(filter_names(&cfg).await.is_empty(), "kill at {k}");
        assert!(
            trail_names(&cfg).await.is_empty(),
            "kill at {k}: {}\n{}",
            out.stdout,
            out.stderr
        );
        assert_eq!(topic_count(&cfg).await, 0, "kill at {k}");
        assert!(log_group_exists(&cfg).await, "kill at {k}");
        let again = run_ok(&account, &args);
        assert!(
            again.stdout.contains("Nothing to destroy."),
            "{}",
            again.stdout
        );
    }
}

/// `destroy` in a pseudo-terminal, as `account`.
fn spawn_destroy(account: &str, args: &[&str]) -> rexpect::session::PtySession {
    let mut all = vec!["destroy"];
    all.extend_from_slice(args);
    spawn_pty(account, &all)
}

/// The binary in a pseudo-terminal, as `account` against the shared emulator.
fn spawn_pty(account: &str, args: &[&str]) -> rexpect::session::PtySession {
    let emu = Emulator::shared();
    let dir = std::env::temp_dir();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_trailwarden"));
    cmd.args(args)
        .current_dir(&dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &dir)
        .env("TERM", "xterm")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", &emu.endpoint)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", dir.join("trailwarden-no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("trailwarden-no-aws-credentials"),
        )
        .env("AWS_ACCESS_KEY_ID", common::access_key_for(account))
        .env("AWS_SECRET_ACCESS_KEY", common::SECRET_ACCESS_KEY)
        .env("TRAILWARDEN_SETTLE", "0");
    rexpect::session::spawn_with_options(
        cmd,
        rexpect::reader::Options::new()
            .timeout_ms(Some(60_000))
            .strip_ansi_escape_codes(true),
    )
    .expect("spawn trailwarden destroy in a pty")
}

/// Waits for `prompt`, lets it switch the terminal to raw mode, then types `keys`.
fn answer(p: &mut rexpect::session::PtySession, prompt: &str, keys: &str) {
    p.exp_string(prompt).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(150));
    p.send(keys).unwrap();
    p.flush().unwrap();
}

fn exit_code(p: &mut rexpect::session::PtySession) -> i32 {
    match p.process().wait().unwrap() {
        rexpect::process::WaitStatus::Exited(_, code) => code,
        other => panic!("trailwarden did not exit normally: {other:?}"),
    }
}

/// At a terminal, `destroy` names every resource it deletes and asks; `--delete-log-data`
/// also asks for the bucket's name, and a wrong name changes nothing.
#[tokio::test]
async fn destroy_asks_and_names_what_goes() {
    let account = unique_account();
    run_ok(&account, &["apply", "--email", EMAIL, "--yes"]);
    let cfg = sdk(&account).await;
    let bucket = bucket_of(&account);
    let emu = Emulator::shared();
    let writes = emu.write_requests_for_account(&account).len();
    let args = ["--email", EMAIL, "--stop-logging", "--delete-log-data"];

    // A wrong bucket name: refused after both questions, nothing deleted.
    let mut p = spawn_destroy(&account, &args);
    p.exp_string("This deletes 11 resources:").unwrap();
    p.exp_string(&format!("  - s3_bucket.{bucket}")).unwrap();
    answer(&mut p, "Destroy these 11 resources?", "y");
    answer(&mut p, "Type the bucket's name", "not-the-bucket\r");
    p.exp_string("not the bucket's").unwrap();
    assert_eq!(exit_code(&mut p), 1);
    assert_eq!(emu.write_requests_for_account(&account).len(), writes);

    // Declined: nothing deleted.
    let mut p = spawn_destroy(&account, &args);
    answer(&mut p, "Destroy these 11 resources?", "n");
    p.exp_string("cancelled").unwrap();
    assert_eq!(exit_code(&mut p), 1);
    assert_eq!(emu.write_requests_for_account(&account).len(), writes);

    // The right name: everything goes.
    let mut p = spawn_destroy(&account, &args);
    answer(&mut p, "Destroy these 11 resources?", "y");
    answer(&mut p, "Type the bucket's name", &format!("{bucket}\r"));
    p.exp_string("Destroy complete").unwrap();
    assert_eq!(exit_code(&mut p), 0);
    assert!(!bucket_exists(&cfg, &bucket).await);
}

/// At a terminal, an apply that removes leftovers lists them before asking.
#[tokio::test]
async fn apply_names_what_it_deletes_before_asking() {
    let account = unique_account();
    let all = config(&account, "all.toml", ALL);
    let fewer = config(&account, "fewer.toml", WITHOUT_ROOT);
    run_ok(&account, &["apply", "--config", &all, "--yes"]);
    let mut p = spawn_pty(&account, &["apply", "--config", &fewer]);
    p.exp_string("This deletes 2 resources that trailwarden created and the configuration no longer asks for:")
        .unwrap();
    p.exp_string("  - metric_filter.RootAccountUsage").unwrap();
    p.exp_string("  - alarm.RootAccountUsageAlarm").unwrap();
    answer(
        &mut p,
        "Apply these changes (2 requests), deleting 2 resources?",
        "y",
    );
    p.exp_string("Apply complete").unwrap();
    assert_eq!(exit_code(&mut p), 0);
    let cfg = sdk(&account).await;
    assert!(!alarm_names(&cfg)
        .await
        .contains(&"RootAccountUsageAlarm".into()));
}

/// A delivery topic the configuration no longer names stays while the trail notifies it (the
/// trail's SNS setting is left as it is): deleting it would break the trail's notifications.
#[tokio::test]
async fn a_topic_the_trail_still_notifies_stays() {
    let account = unique_account();
    let with = config(
        &account,
        "with.toml",
        "emails = [\"security@example.com\"]\n[trail]\ndelivery_topic = \"tw-deliveries\"\n",
    );
    let without = config(&account, "without.toml", ALL);
    run_ok(&account, &["apply", "--config", &with, "--yes"]);
    run_ok(&account, &["check", "--config", &with]);
    let plan = tw(
        &account,
        &["plan", "--config", &without, "--output", "json"],
    );
    assert_eq!(plan.code, 0, "{}", plan.stdout);
    assert!(deletes(&plan.json()).is_empty());
    assert_eq!(topic_count(&sdk(&account).await).await, 2);
}

/// SIGTERM during a destroy: the delete in flight finishes, nothing after it is sent, exit 143
/// with what is left; the next destroy finishes.
#[test]
fn a_destroy_stopped_by_sigterm_stops_before_the_next_delete() {
    let emu = Emulator::shared();
    let account = unique_account();
    run_ok(&account, &["apply", "--email", EMAIL, "--yes"]);
    let args = ["destroy", "--email", EMAIL, "--yes"];
    // Held: the second delete (after the reads of destroy).
    let reads = {
        let reference = unique_account();
        run_ok(&reference, &["apply", "--email", EMAIL, "--yes"]);
        let before = emu.requests_for_account(&reference).len();
        let writes = emu.write_requests_for_account(&reference).len();
        run_ok(&reference, &args);
        let all = emu.requests_for_account(&reference).len() - before;
        all - (emu.write_requests_for_account(&reference).len() - writes)
    };
    let seen = emu.requests_for_account(&account).len();
    emu.set_faults(
        &account,
        serde_json::json!({"stall_after": reads + 1, "stall_seconds": 60}),
    );
    let mut child = common::spawn_trailwarden(&account, &args, &[]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !emu.requests_for_account(&account)[seen..]
        .iter()
        .any(|r| r["fault"] == "stall")
    {
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before the stall"
        );
        assert!(std::time::Instant::now() < deadline, "no request was held");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    std::thread::sleep(std::time::Duration::from_millis(300));
    let writes_before = emu.write_requests_for_account(&account).len();
    emu.set_faults(&account, serde_json::json!({}));
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(143), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("Destroy interrupted before the next write"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Run destroy again to complete it."),
        "{stdout}"
    );
    let after = emu.write_requests_for_account(&account).len() - writes_before;
    assert!(after <= 1, "{after} writes after the signal");
    let again = run_ok(&account, &args);
    assert!(
        !again.stdout.contains("Nothing to destroy."),
        "{}",
        again.stdout
    );
    assert!(run_ok(&account, &args)
        .stdout
        .contains("Nothing to destroy."));
}

/// Someone else's subscription (an SQS queue) on a topic trailwarden created keeps the topic, in
/// a removal and in `destroy`: DeleteTopic would delete the subscription with it.
#[tokio::test]
async fn a_topic_someone_else_subscribed_to_stays() {
    let account = unique_account();
    let all = config(
        &account,
        "all.toml",
        "emails = [\"security@example.com\"]\n[topics.critical]\n[controls.root-account-usage]\ntopic = \"critical\"\n",
    );
    let fewer = config(&account, "fewer.toml", WITHOUT_ROOT);
    run_ok(&account, &["apply", "--config", &all, "--yes"]);
    let cfg = sdk(&account).await;
    let sns = aws_sdk_sns::Client::new(&cfg);
    let topics = sns.list_topics().send().await.unwrap();
    let arns: Vec<String> = topics
        .topics()
        .iter()
        .filter_map(|t| t.topic_arn().map(str::to_string))
        .collect();
    assert_eq!(arns.len(), 2, "{arns:?}");
    for arn in &arns {
        sns.subscribe()
            .topic_arn(arn)
            .protocol("sqs")
            .endpoint(format!("arn:aws:sqs:us-east-1:{account}:their-queue"))
            .send()
            .await
            .unwrap();
    }

    let plan = tw(&account, &["plan", "--config", &fewer, "--output", "json"]);
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    assert_eq!(
        deletes(&plan.json()),
        [
            "metric_filter.RootAccountUsage",
            "alarm.RootAccountUsageAlarm"
        ]
    );
    run_ok(&account, &["apply", "--config", &fewer, "--yes"]);
    assert_eq!(topic_count(&cfg).await, 2);

    let out = run_ok(&account, &["destroy", "--config", &fewer, "--yes"]);
    assert!(alarm_names(&cfg).await.is_empty());
    assert_eq!(topic_count(&cfg).await, 2, "{}", out.stdout);
    assert!(out.stdout.contains("their-queue"), "{}", out.stdout);
}

/// The ownership tag is read again at delete time: an alarm replaced by someone else's, under
/// the same name, while `destroy` waited for its confirmation, is not deleted.
#[tokio::test]
async fn an_alarm_replaced_after_the_read_is_not_deleted() {
    let account = unique_account();
    run_ok(&account, &["apply", "--email", EMAIL, "--yes"]);
    let cfg = sdk(&account).await;
    let cw = aws_sdk_cloudwatch::Client::new(&cfg);

    let mut p = spawn_destroy(&account, &["--email", EMAIL]);
    p.exp_string("  - alarm.RootAccountUsageAlarm").unwrap();
    p.exp_string("Destroy these").unwrap();
    // Replaced while the question waits: same name, no tag.
    cw.delete_alarms()
        .alarm_names("RootAccountUsageAlarm")
        .send()
        .await
        .unwrap();
    cw.put_metric_alarm()
        .alarm_name("RootAccountUsageAlarm")
        .metric_name("TheirMetric")
        .namespace("TheirNamespace")
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
    std::thread::sleep(std::time::Duration::from_millis(150));
    p.send("y").unwrap();
    p.flush().unwrap();
    p.exp_string("managed-by tag").unwrap();
    assert_eq!(exit_code(&mut p), 1);
    assert!(alarm_names(&cfg)
        .await
        .contains(&"RootAccountUsageAlarm".into()));
}
