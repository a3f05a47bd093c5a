//! `trailwarden pattern test|explain` and `presets` commands: contracts other tools rely on.

use std::io::Write;
use std::process::{Command, Stdio};

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn tw(args: &[&str], stdin: &str) -> Out {
    let mut child = Command::new(env!("CARGO_BIN_EXE_trailwarden"))
        .args(args)
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `pattern test PATTERN INPUTS... --output json`, which must succeed: its JSON report.
fn pattern_json(pattern: &str, inputs: &[&str], stdin: &str) -> serde_json::Value {
    let mut args = vec!["pattern", "test", pattern];
    args.extend_from_slice(inputs);
    args.extend(["--output", "json"]);
    let out = tw(&args, stdin);
    assert_eq!(out.code, 0, "{}", out.stderr);
    serde_json::from_str(&out.stdout).unwrap()
}

const ROOT_MFA: &str = r#"{"eventVersion":"1.05","userIdentity":{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"},"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"YES"},"eventType":"AwsConsoleSignIn"}"#;
const USER_NO_MFA: &str = r#"{"eventVersion":"1.05","userIdentity":{"type":"IAMUser","userName":"anaya"},"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"No"},"eventType":"AwsConsoleSignIn"}"#;
const USER_MFA: &str = r#"{"eventVersion":"1.05","userIdentity":{"type":"IAMUser","userName":"anaya"},"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"Yes"},"eventType":"AwsConsoleSignIn"}"#;

#[test]
fn pattern_test_reads_json_lines_from_stdin() {
    let input = format!("{ROOT_MFA}\n{USER_NO_MFA}\n{USER_MFA}\n");
    let out = tw(
        &[
            "pattern",
            "test",
            r#"{ $.eventName = "ConsoleLogin" && $.additionalEventData.MFAUsed != "Yes" }"#,
            "--output",
            "json",
        ],
        &input,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    // CIS's `!= "Yes"` also fires on the root sign-in that used MFA ("YES").
    assert_eq!(
        v,
        serde_json::json!({"format_version": "1", "events": 3, "matched": 2, "matches": [0, 1]})
    );
    assert!(out.stderr.contains("mfa-used-case"), "{}", out.stderr);
}

#[test]
fn pattern_test_reads_cloudtrail_files_plain_and_gzipped() {
    let dir = std::env::temp_dir().join(format!("tw-pattern-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let doc = format!(r#"{{"Records":[{ROOT_MFA},{USER_NO_MFA},{USER_MFA}]}}"#);
    let plain = dir.join("log.json");
    std::fs::write(&plain, &doc).unwrap();
    let gz = dir.join("log.json.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(doc.as_bytes()).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let pattern = r#"{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }"#;
    for file in [&plain, &gz] {
        let v = pattern_json(pattern, &[file.to_str().unwrap()], "");
        assert_eq!(
            v,
            serde_json::json!({"format_version": "1", "events": 3, "matched": 1, "matches": [0]}),
            "{file:?}"
        );
    }
    let human = tw(&["pattern", "test", pattern, plain.to_str().unwrap()], "");
    assert!(
        human.stdout.contains("1 of 3 events matched"),
        "{}",
        human.stdout
    );
    // Several files: events are numbered across them, in the order given.
    let both = [plain.to_str().unwrap(), gz.to_str().unwrap()];
    let v = pattern_json(pattern, &both, "");
    assert_eq!(
        v,
        serde_json::json!({"format_version": "1", "events": 6, "matched": 2, "matches": [0, 3]})
    );
    let human = tw(&[&["pattern", "test", pattern][..], &both].concat(), "");
    let numbers: Vec<&str> = human
        .stdout
        .lines()
        .filter_map(|l| l.split(':').next().filter(|n| n.starts_with('#')))
        .collect();
    assert_eq!(numbers, ["#0", "#3"], "{}", human.stdout);
    assert!(
        human.stdout.ends_with("2 of 6 events matched\n"),
        "{}",
        human.stdout
    );
    // `-` among them is standard input, read in its turn.
    let v = pattern_json(
        pattern,
        &[plain.to_str().unwrap(), "-"],
        &format!("{USER_MFA}\n{ROOT_MFA}\n"),
    );
    assert_eq!(
        v,
        serde_json::json!({"format_version": "1", "events": 5, "matched": 2, "matches": [0, 4]})
    );
    // A missing file among them: nothing is printed.
    let missing = tw(
        &[
            "pattern",
            "test",
            pattern,
            plain.to_str().unwrap(),
            "/nonexistent/second.json",
        ],
        "",
    );
    assert_eq!(missing.code, 1);
    assert!(missing.stdout.is_empty(), "{}", missing.stdout);
    assert!(
        missing.stderr.contains("/nonexistent/second.json"),
        "{}",
        missing.stderr
    );
}

#[test]
fn pattern_test_matches_plain_text_events() {
    let v = pattern_json(
        "ERROR -timeout",
        &[],
        "ERROR disk full\nERROR timeout\nINFO ok\n",
    );
    assert_eq!(v["matches"], serde_json::json!([0]));
}

#[test]
fn invalid_pattern_or_input_exits_1_with_the_reason() {
    let out = tw(
        &["pattern", "test", r#"{ userIdentity.type = "Root" }"#],
        "",
    );
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("column"), "{}", out.stderr);
    let out = tw(&["pattern", "test", r#"{ $.a = 1 "#], "");
    assert_eq!(out.code, 1);
    let out = tw(
        &[
            "pattern",
            "test",
            r#"{ $.a = 1 }"#,
            "/nonexistent/file.json",
        ],
        "",
    );
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("/nonexistent/file.json"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn explain_says_which_clause_failed() {
    let dir = std::env::temp_dir().join(format!("tw-explain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("event.json");
    std::fs::write(&f, USER_MFA).unwrap();
    let out = tw(
        &[
            "pattern",
            "explain",
            r#"{ $.eventName = "ConsoleLogin" && $.additionalEventData.MFAUsed = "No" }"#,
            f.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("MFAUsed"), "{}", out.stdout);
    assert!(out.stdout.contains("\"Yes\""), "{}", out.stdout);
    let json = tw(
        &[
            "pattern",
            "explain",
            r#"{ $.a = 1 || $.b = 2 && $.c = 3 }"#,
            "--output",
            "json",
        ],
        "",
    );
    assert_eq!(json.code, 0);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert!(
        v["lints"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["code"] == "and-or-precedence"),
        "{v}"
    );
}

#[test]
fn presets_list_show_and_test() {
    let list = tw(&["presets", "list", "--output", "json"], "");
    assert_eq!(list.code, 0);
    let v: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    let names: Vec<&str> = v["presets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["aws-docs", "cis", "cis-sso", "securityhub"]);
    let show = tw(&["presets", "show", "cis"], "");
    assert_eq!(show.code, 0);
    assert!(
        show.stdout.contains("[unauthorized-api-calls]") && show.stdout.contains("accepted:"),
        "{}",
        show.stdout
    );
    let test = tw(&["presets", "test"], "");
    assert_eq!(test.code, 0, "{}", test.stdout);
    assert!(test.stdout.contains(" 0 failed"), "{}", test.stdout);
}

#[test]
fn a_user_preset_extends_a_builtin_and_a_wrong_example_fails_presets_test() {
    let dir = std::env::temp_dir().join(format!("tw-userpreset-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("ours.toml");
    std::fs::write(
        &good,
        r#"name = "ours"
extends = "aws-docs"
remove = ["api-activity-without-mfa"]

[[controls]]
id = "console-signin-without-mfa"
title = "Console sign-in without MFA, root's YES included"
filter_name = "ConsoleSignInWithoutMfa"
metric_name = "ConsoleSignInWithoutMfaCount"
pattern = '{ $.eventName = "ConsoleLogin" && $.additionalEventData.MFAUsed != "Yes" && $.additionalEventData.MFAUsed != "YES" }'
alarm = { threshold = 2 }

[[controls.examples]]
name = "user without MFA"
matches = true
event = '{"eventName":"ConsoleLogin","additionalEventData":{"MFAUsed":"No"}}'
"#,
    )
    .unwrap();
    let show = tw(
        &[
            "presets",
            "show",
            good.to_str().unwrap(),
            "--output",
            "json",
        ],
        "",
    );
    assert_eq!(show.code, 0, "{}", show.stderr);
    let v: serde_json::Value = serde_json::from_str(&show.stdout).unwrap();
    let ids: Vec<&str> = v["preset"]["controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["root-account-usage", "console-signin-without-mfa"]);
    assert_eq!(
        v["preset"]["controls"][1]["resolved_alarm"]["threshold"],
        2.0
    );
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        std::fs::read_to_string(&good)
            .unwrap()
            .replace("matches = true", "matches = false"),
    )
    .unwrap();
    let test = tw(&["presets", "test", bad.to_str().unwrap()], "");
    assert_eq!(test.code, 1, "{}", test.stdout);
    assert!(test.stdout.contains("example-mismatch"), "{}", test.stdout);
}

#[test]
fn completions_and_man_page_come_from_the_cli_definition() {
    let bash = tw(&["completions", "bash"], "");
    assert_eq!(bash.code, 0);
    assert!(
        bash.stdout.contains("--adopt-trail") && bash.stdout.contains("permissions"),
        "{}",
        &bash.stdout[..200.min(bash.stdout.len())]
    );
    let man = tw(&["manpage"], "");
    assert_eq!(man.code, 0);
    assert!(man.stdout.contains(".TH trailwarden 1"));
}
