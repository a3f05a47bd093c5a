//! `trailwarden init` driven through a pseudo-terminal against the emulator: the prompts a person
//! sees (compared with the expected lists below), the file written, and the chain it sets up.

mod common;

use common::{access_key_for, unique_account, Emulator, SECRET_ACCESS_KEY};
use regex::Regex;
use rexpect::process::WaitStatus;
use rexpect::reader::{Options, ReadUntil};
use rexpect::session::{spawn_with_options, PtySession};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The prompts of a first run in an empty account, accepting every default.
const FRESH_ACCOUNT_PROMPTS: &[&str] = &[
    "Presets",
    "Controls to set up",
    "Email addresses for the alarms (comma-separated)",
    // Asked again: the first answer holds an invalid address.
    "Email addresses for the alarms (comma-separated)",
    "S3 bucket for the log files (an existing one is adopted)",
    "Keep the events in CloudWatch Logs for",
    "Encrypt the log files with your own KMS key instead of S3-managed keys",
    "Apply these changes now",
];

/// The prompts of a second run over the file the first one wrote, the chain applied.
const RERUN_PROMPTS: &[&str] = &[
    "Replace trailwarden.toml when done",
    "Presets",
    "Controls to set up",
    "Email addresses for the alarms (comma-separated)",
    "S3 bucket for the log files (an existing one is adopted)",
    "Keep the events in CloudWatch Logs for",
    "Encrypt the log files with your own KMS key instead of S3-managed keys",
];

/// The prompts in an account that already has a multi-region trail and an SNS topic.
const EXISTING_TRAIL_PROMPTS: &[&str] = &[
    "Trail",
    "Presets",
    "Controls to set up",
    "Email addresses for the alarms (comma-separated)",
    "SNS topic for the alarms",
    "Keep the events in CloudWatch Logs for",
    "Apply these changes now",
    // No question after the apply: the emulator confirms subscriptions at once.
];

const ENTER: &str = "\r";

fn scratch(account: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tw-init-{name}-{account}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The binary as `account` against the shared emulator, nothing from the caller's environment.
fn command(account: Option<&str>, dir: &Path, args: &[&str]) -> Command {
    let emu = Emulator::shared();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trailwarden"));
    cmd.args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("TERM", "xterm")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", &emu.endpoint)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", dir.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("no-aws-credentials"),
        );
    if let Some(account) = account {
        cmd.env("AWS_ACCESS_KEY_ID", access_key_for(account))
            .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY);
    }
    cmd
}

/// `trailwarden init` in a pseudo-terminal.
fn spawn_init(account: Option<&str>, dir: &Path, args: &[&str]) -> PtySession {
    let mut all = vec!["init"];
    all.extend_from_slice(args);
    spawn_with_options(
        command(account, dir, &all),
        Options::new()
            .timeout_ms(Some(60_000))
            .strip_ansi_escape_codes(true),
    )
    .expect("spawn trailwarden init in a pty")
}

struct Transcript {
    prompts: Vec<String>,
    output: String,
    code: i32,
}

/// Answers every prompt until the process ends. `answers` are consumed in order by the first
/// prompt with their text; any other prompt gets Enter, its default. A prompt is
/// `? TEXT [default or hint]:` at the start of a line.
fn drive(mut p: PtySession, answers: &[(&str, &str)]) -> Transcript {
    let prompt = Regex::new(r"(?:^|[\r\n])\? ([^\r\n\[]+?)(?: \[[^\]\r\n]*\])?:").unwrap();
    let mut answers: Vec<(String, String)> = answers
        .iter()
        .map(|(q, a)| (q.to_string(), a.to_string()))
        .collect();
    let mut prompts = Vec::new();
    let mut output = String::new();
    loop {
        let found = p.exp_any(vec![ReadUntil::Regex(prompt.clone()), ReadUntil::EOF]);
        let (before, matched) = match found {
            Ok(m) => m,
            Err(e) => panic!("{e}\nprompts so far: {prompts:#?}\noutput so far:\n{output}"),
        };
        output.push_str(&before);
        output.push_str(&matched);
        let Some(caps) = prompt.captures(&matched) else {
            break; // end of output
        };
        let text = caps[1].trim().to_string();
        let keys = match answers.iter().position(|(q, _)| *q == text) {
            Some(i) => answers.remove(i).1,
            None => ENTER.to_string(),
        };
        prompts.push(text);
        // Let the prompt switch the terminal to raw mode before typing.
        std::thread::sleep(Duration::from_millis(150));
        p.send(&keys).unwrap();
        p.flush().unwrap();
    }
    assert!(
        answers.is_empty(),
        "prompts never asked: {answers:?}\nseen: {prompts:#?}\n{output}"
    );
    let code = match p.process().wait().unwrap() {
        WaitStatus::Exited(_, code) => code,
        other => panic!("init did not exit normally: {other:?}\n{output}"),
    };
    Transcript {
        prompts,
        output,
        code,
    }
}

fn run(account: &str, dir: &Path, args: &[&str]) -> (i32, String) {
    let out = command(Some(account), dir, args)
        .stdin(Stdio::null())
        .output()
        .expect("run trailwarden");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn defaults_and_an_email_make_a_config_that_applies_and_checks_in_sync() {
    let account = unique_account();
    let dir = scratch(&account, "defaults");
    let t = drive(
        spawn_init(Some(&account), &dir, &[]),
        &[
            (
                "Email addresses for the alarms (comma-separated)",
                "security@example.com, not-an-address\r",
            ),
            (
                "Email addresses for the alarms (comma-separated)",
                "security@example.com, oncall@example.com\r",
            ),
        ],
    );
    assert_eq!(t.prompts, FRESH_ACCOUNT_PROMPTS, "\n{}", t.output);
    assert_eq!(t.code, 0, "{}", t.output);
    for shown in [
        &format!("Account      {account}"),
        "Credentials  environment variables (AWS_ACCESS_KEY_ID)",
        "Region       us-east-1 (from AWS_REGION",
        "Trails: none",
        "-> Create a new multi-region trail `trailwarden`",
        "accepted by: prowler, steampipe",
        "`not-an-address` is not a valid email address",
        "+ trail.trailwarden",
        "Plan: 13 to create",
        "Estimated cost: USD",
        "log volume: 1 GB a month (default",
        "Wrote trailwarden.toml",
        "Not applied. When ready: trailwarden apply --config trailwarden.toml",
    ] {
        assert!(
            t.output.contains(shown),
            "missing {shown:?} in:\n{}",
            t.output
        );
    }

    let path = dir.join("trailwarden.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("emails = [\"security@example.com\", \"oncall@example.com\"]"),
        "{text}"
    );
    assert!(text.contains("presets = [\"aws-docs\"]"), "{text}");
    assert!(text.contains("retention_days = 365"), "{text}");
    assert!(
        text.lines().filter(|l| l.starts_with('#')).count() >= 15,
        "{text}"
    );
    // Written whole, nothing left beside it.
    let files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files, ["trailwarden.toml"]);

    let (code, out) = run(
        &account,
        &dir,
        &["apply", "--config", "trailwarden.toml", "--yes"],
    );
    assert_eq!(code, 0, "{out}");
    let (code, out) = run(&account, &dir, &["check", "--config", "trailwarden.toml"]);
    assert_eq!(code, 0, "check is not in sync:\n{out}");

    // Run again: the file's values are the defaults, so Enter everywhere writes the same file,
    // and there is nothing left to apply.
    let again = drive(
        spawn_init(Some(&account), &dir, &[]),
        &[("Replace trailwarden.toml when done", "y")],
    );
    assert_eq!(again.prompts, RERUN_PROMPTS, "\n{}", again.output);
    assert_eq!(again.code, 0, "{}", again.output);
    assert!(
        again
            .output
            .contains("Keep trailwarden's trail `trailwarden`"),
        "{}",
        again.output
    );
    assert!(
        again.output.contains("Nothing to apply"),
        "{}",
        again.output
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

#[tokio::test]
async fn an_existing_trail_is_reused_and_applied_from_init() {
    let account = unique_account();
    let dir = scratch(&account, "reuse");
    let cfg = Emulator::shared().sdk_config(&account, "us-east-1").await;
    let (bucket, ct) = common::legacy_trail(&cfg, &account).await;
    ct.start_logging().name("legacy").send().await.unwrap();
    let sns = aws_sdk_sns::Client::new(&cfg);
    sns.create_topic()
        .name("security-alerts")
        .send()
        .await
        .unwrap();

    let config = dir.join("conf").join("monitoring.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    let t = tokio::task::spawn_blocking({
        let dir = dir.clone();
        let account = account.clone();
        move || {
            drive(
                spawn_init(Some(&account), &dir, &["--config", "conf/monitoring.toml"]),
                &[
                    (
                        "Email addresses for the alarms (comma-separated)",
                        "security@example.com\r",
                    ),
                    ("SNS topic for the alarms", "\x1b[B\r"),
                    ("Apply these changes now", "y"),
                ],
            )
        }
    })
    .await
    .unwrap();
    assert_eq!(t.prompts, EXISTING_TRAIL_PROMPTS, "\n{}", t.output);
    assert_eq!(t.code, 0, "{}", t.output);
    for shown in [
        "legacy: multi-region (home us-east-1), logging, no CloudWatch Logs delivery",
        "A second multi-region trail records every",
        "Trail: Reuse `legacy`",
        "SNS topics: security-alerts",
        "Wrote conf/monitoring.toml",
        "Apply complete",
        "Every email subscription is confirmed.",
    ] {
        assert!(
            t.output.contains(shown),
            "missing {shown:?} in:\n{}",
            t.output
        );
    }
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("name = \"legacy\"\nadopt = true"), "{text}");
    assert!(text.contains("[topics.default]"), "{text}");
    assert!(text.contains("name = \"security-alerts\""), "{text}");

    let (code, out) = run(
        &account,
        &dir,
        &["check", "--config", "conf/monitoring.toml"],
    );
    assert_eq!(code, 0, "check is not in sync:\n{out}");
    let trail = ct.get_trail().name("legacy").send().await.unwrap();
    assert_eq!(
        trail.trail().unwrap().s3_bucket_name(),
        Some(bucket.as_str())
    );
}

#[test]
fn ctrl_c_at_a_prompt_writes_nothing() {
    let account = unique_account();
    let dir = scratch(&account, "ctrl-c");
    let mut p = spawn_init(Some(&account), &dir, &[]);
    for question in ["? Presets", "? Controls to set up"] {
        p.exp_string(question).unwrap();
        std::thread::sleep(Duration::from_millis(150));
        p.send(ENTER).unwrap();
        p.flush().unwrap();
    }
    p.exp_string("? Email addresses for the alarms").unwrap();
    std::thread::sleep(Duration::from_millis(150));
    p.send("half-typed@exa").unwrap();
    p.flush().unwrap();
    std::thread::sleep(Duration::from_millis(150));
    p.send_control('c').unwrap();
    p.exp_string("init cancelled: nothing was written.")
        .unwrap();
    p.exp_eof().unwrap();
    match p.process().wait().unwrap() {
        WaitStatus::Exited(_, code) => assert_eq!(code, 130),
        other => panic!("{other:?}"),
    }
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn without_a_terminal_or_with_no_input_init_refuses_with_a_hint() {
    let account = unique_account();
    let dir = scratch(&account, "no-tty");
    let (code, out) = run(&account, &dir, &["init"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("there is no terminal to ask on"), "{out}");
    assert!(
        out.contains("trailwarden apply --preset aws-docs --email"),
        "{out}"
    );

    let mut p = spawn_init(Some(&account), &dir, &["--no-input"]);
    let rest = p.exp_eof().unwrap();
    assert!(rest.contains("--no-input was given"), "{rest}");
    match p.process().wait().unwrap() {
        WaitStatus::Exited(_, code) => assert_eq!(code, 1),
        other => panic!("{other:?}"),
    }
    assert!(std::fs::read_dir(&dir).unwrap().next().is_none());
}

#[test]
fn an_existing_file_is_kept_unless_replacing_it_is_confirmed() {
    let account = unique_account();
    let dir = scratch(&account, "keep");
    let path = dir.join("trailwarden.toml");
    std::fs::write(&path, "emails = [\"a@example.com\"]\n").unwrap();
    let t = drive(spawn_init(Some(&account), &dir, &[]), &[]);
    assert_eq!(
        t.prompts,
        ["Replace trailwarden.toml when done"],
        "{}",
        t.output
    );
    assert_eq!(t.code, 0, "{}", t.output);
    assert!(
        t.output.contains("trailwarden.toml left as it is"),
        "{}",
        t.output
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "emails = [\"a@example.com\"]\n"
    );
}

#[test]
fn without_credentials_init_says_how_to_provide_them() {
    let dir = scratch("000000000000", "no-credentials");
    let mut p = spawn_init(None, &dir, &[]);
    let rest = p.exp_eof().unwrap();
    assert!(rest.contains("no usable AWS credentials"), "{rest}");
    assert!(rest.contains("AWS_ACCESS_KEY_ID"), "{rest}");
    assert!(rest.contains("--profile"), "{rest}");
    match p.process().wait().unwrap() {
        WaitStatus::Exited(_, code) => assert_eq!(code, 1),
        other => panic!("{other:?}"),
    }
    assert!(std::fs::read_dir(&dir).unwrap().next().is_none());
}

#[test]
fn without_a_region_init_asks_for_one() {
    let account = unique_account();
    let dir = scratch(&account, "region");
    let mut cmd = command(Some(&account), &dir, &["init"]);
    cmd.env_remove("AWS_REGION");
    let p = spawn_with_options(
        cmd,
        Options::new()
            .timeout_ms(Some(60_000))
            .strip_ansi_escape_codes(true),
    )
    .unwrap();
    // Ctrl-C at the presets: the region was taken, nothing is written.
    let t = drive(
        p,
        &[("Region to set up", "eu-west-1\r"), ("Presets", "\x03")],
    );
    assert_eq!(t.prompts, ["Region to set up", "Presets"], "{}", t.output);
    assert!(
        t.output
            .contains("Region       eu-west-1 (from your answer"),
        "{}",
        t.output
    );
    assert_eq!(t.code, 130, "{}", t.output);
    assert!(std::fs::read_dir(&dir).unwrap().next().is_none());
}

#[tokio::test]
async fn in_a_member_account_the_organization_trail_is_shown_and_its_status_not_asked_for() {
    // The management account's organization trail, as a member account sees it: DescribeTrails
    // lists it; GetTrailStatus / ListTags on its ARN answer CloudTrailARNInvalidException.
    let management = unique_account();
    let cfg = Emulator::shared()
        .sdk_config(&management, "us-east-1")
        .await;
    let orgs = aws_sdk_organizations::Client::new(&cfg);
    let org = orgs.create_organization().send().await.unwrap();
    let org_id = org.organization().unwrap().id().unwrap().to_string();
    let member = orgs
        .create_account()
        .account_name("member")
        .email("member@example.com")
        .send()
        .await
        .unwrap()
        .create_account_status()
        .unwrap()
        .account_id()
        .unwrap()
        .to_string();
    let bucket = format!("org-trail-{management}");
    let s3 = common::s3_client(&cfg);
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let mut policy = common::cloudtrail_bucket_policy(&bucket, &management);
    policy["Statement"][1]["Resource"] = format!("arn:aws:s3:::{bucket}/AWSLogs/{org_id}/*").into();
    s3.put_bucket_policy()
        .bucket(&bucket)
        .policy(policy.to_string())
        .send()
        .await
        .unwrap();
    let ct = aws_sdk_cloudtrail::Client::new(&cfg);
    ct.create_trail()
        .name("org")
        .s3_bucket_name(&bucket)
        .is_multi_region_trail(true)
        .is_organization_trail(true)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "{}",
                aws_smithy_types::error::display::DisplayErrorContext(&e)
            )
        });

    let dir = scratch(&member, "member");
    let t = tokio::task::spawn_blocking({
        let dir = dir.clone();
        let member = member.clone();
        move || {
            drive(
                spawn_init(Some(&member), &dir, &[]),
                &[
                    (
                        "Email addresses for the alarms (comma-separated)",
                        "security@example.com\r",
                    ),
                    ("Apply these changes now", "n"),
                ],
            )
        }
    })
    .await
    .unwrap();
    assert!(!t.output.contains("CloudTrailARNInvalid"), "{}", t.output);
    assert!(
        !t.prompts
            .iter()
            .any(|p| p.starts_with("Set up the organization trail")),
        "{:?}",
        t.prompts
    );
    assert!(
        t.output.replace("\r\n  ", " ").contains(&format!(
            "is a member of organization {org_id}, managed from account {management}"
        )),
        "{}",
        t.output
    );
    assert!(
        t.output.contains(&format!(
            "`org` is an organization trail of account {management}"
        )),
        "{}",
        t.output
    );
    assert_eq!(t.code, 0, "{}", t.output);
}

#[tokio::test]
async fn in_a_management_account_init_offers_the_organization_trail() {
    let management = unique_account();
    let cfg = Emulator::shared()
        .sdk_config(&management, "us-east-1")
        .await;
    let orgs = aws_sdk_organizations::Client::new(&cfg);
    orgs.create_organization().send().await.unwrap();
    let dir = scratch(&management, "management");
    let t = tokio::task::spawn_blocking({
        let dir = dir.clone();
        let management = management.clone();
        move || {
            drive(
                spawn_init(Some(&management), &dir, &[]),
                &[
                    ("Set up the organization trail, for every account", "y"),
                    (
                        "Email addresses for the alarms (comma-separated)",
                        "security@example.com\r",
                    ),
                    ("Apply these changes now", "y"),
                ],
            )
        }
    })
    .await
    .unwrap();
    assert_eq!(t.code, 0, "{}", t.output);
    assert_eq!(
        t.prompts[0],
        "Set up the organization trail, for every account"
    );
    let text = std::fs::read_to_string(dir.join("trailwarden.toml")).unwrap();
    assert!(text.contains("organization = true"), "{text}");
    let trail = aws_sdk_cloudtrail::Client::new(&cfg)
        .get_trail()
        .name("trailwarden")
        .send()
        .await
        .unwrap();
    assert_eq!(trail.trail().unwrap().is_organization_trail(), Some(true));
    let (code, out) = run(&management, &dir, &["check"]);
    assert_eq!(code, 0, "check is not in sync:\n{out}");
}
