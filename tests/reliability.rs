//! What holds under faults: hostile input, transient errors, lost responses, a process killed
//! at any request, an endpoint that never answers, concurrent runs. Each guarantee is stated in
//! docs/reliability.md next to the test that proves it.

mod common;

use common::{unique_account, Emulator};

const EMAIL: &str = "security@example.com";

fn tw(account: &str, args: &[&str]) -> common::Run {
    common::trailwarden(account, args)
}

fn scratch(account: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tw-reliability-{account}"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Broken or hostile input: exit 1, a message naming the file (with line and column where there
/// is one) or the flag, no AWS request, no panic.
#[test]
fn hostile_input_is_refused_before_any_request() {
    let account = unique_account();
    let dir = scratch(&account);
    let file = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_str().unwrap().to_string()
    };
    let big = {
        let mut text = b"emails = [\"a@example.com\"]\n".to_vec();
        text.extend(b"# filler\n".repeat(200_000));
        text
    };
    std::fs::create_dir_all(dir.join("a-directory.toml")).unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--config".into(), file("syntax.toml", b"emails = [\n")],
            "syntax.toml:1:",
        ),
        (
            vec!["--config".into(), file("types.toml", b"emails = \"a@example.com\"\n")],
            "types.toml:1:1: `emails`: invalid type",
        ),
        (
            vec!["--config".into(), file("unknown.toml", b"emails = [\"a@example.com\"]\nbogus = 1\n")],
            "unknown.toml:2:1: unknown key `bogus`",
        ),
        (
            vec!["--config".into(), file("binary.toml", b"\x00\xff\xfe\x00 not text")],
            "binary.toml: it is not UTF-8 text",
        ),
        (
            vec!["--config".into(), file("big.toml", &big)],
            "big.toml: it is larger than 1024 KiB",
        ),
        (
            vec!["--config".into(), dir.join("a-directory.toml").to_str().unwrap().into()],
            "a-directory.toml: it is a directory",
        ),
        (
            vec!["--config".into(), dir.join("missing.toml").to_str().unwrap().into()],
            "missing.toml: No such file",
        ),
        (
            vec!["--preset".into(), file("preset.toml", b"name = \"p\"\n[[controls]]\nid = \"x\"\n"), "--email".into(), EMAIL.into()],
            "preset.toml:",
        ),
        (
            vec!["--preset".into(), file("pattern.toml", b"name = \"p\"\n[[controls]]\nid = \"x\"\nfilter_name = \"X\"\nmetric_name = \"XCount\"\npattern = '{ $.a = '\n"), "--email".into(), EMAIL.into()],
            "pattern.toml:6:11: control `x`: invalid filter pattern",
        ),
        (vec!["--email".into(), "".into()], "command line: `` is not a valid email address"),
        (
            vec!["--email".into(), EMAIL.into(), "--retention-days".into(), "42".into()],
            "command line: retention of 42 days",
        ),
    ];
    for command in ["check", "apply", "plan"] {
        for (args, needle) in &cases {
            let mut all: Vec<&str> = vec![command];
            all.extend(args.iter().map(String::as_str));
            if command == "apply" {
                all.push("--yes");
            }
            let out = tw(&account, &all);
            assert_eq!(out.code, 1, "{all:?}:\n{}\n{}", out.stdout, out.stderr);
            assert!(
                out.stderr.contains(needle),
                "{all:?}: `{needle}` not in\n{}",
                out.stderr
            );
            assert!(!out.stderr.contains("panicked"), "{all:?}: {}", out.stderr);
        }
    }
    // A flag value no command takes is a usage error: exit 1, never 2 (which means drift).
    for args in [
        vec!["check", "--email", EMAIL, "--output", "yaml"],
        vec!["apply", "--email", EMAIL, "--unknown-flag"],
        vec!["plan", "--settle", "-3"],
    ] {
        let out = tw(&account, &args);
        assert_eq!(out.code, 1, "{args:?}:\n{}", out.stderr);
    }
    // The environment is input too.
    let out = common::trailwarden_with(
        &account,
        &["check", "--email", EMAIL],
        &[("AWS_REGION", "us-east-99")],
    );
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("unknown region `us-east-99`"),
        "{}",
        out.stderr
    );
    assert!(
        Emulator::shared().requests_for_account(&account).is_empty(),
        "invalid input must not reach AWS"
    );
}

/// No secret reaches the output: not the secret access key, not a session token, not a
/// request signature — whatever goes wrong.
#[test]
fn credentials_never_appear_in_output() {
    let account = unique_account();
    let secret = "wJalrXUtnFEMIK7MDENGbPxRfiCYSECRETMARKER";
    let token = "FwoGZXIvYXdzEXAMPLESESSIONTOKENMARKER";
    Emulator::shared().set_faults(
        &account,
        serde_json::json!({"disabled_regions": ["ap-east-1"]}),
    );
    let env = [
        ("AWS_SECRET_ACCESS_KEY", secret),
        ("AWS_SESSION_TOKEN", token),
    ];
    for args in [
        vec!["check", "--email", EMAIL, "--region", "ap-east-1"],
        vec!["apply", "--email", EMAIL, "--yes", "--output", "json"],
        vec![
            "check",
            "--email",
            EMAIL,
            "--endpoint-url",
            "http://127.0.0.1:9",
        ],
        vec!["scan", "s3://no-such-bucket-anywhere/AWSLogs/"],
    ] {
        let out = common::trailwarden_with(&account, &args, &env);
        for (what, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            for marker in [secret, token, "Signature=", "x-amz-security-token"] {
                assert!(
                    !text.contains(marker),
                    "{args:?}: {marker} in {what}:\n{text}"
                );
            }
        }
    }
}
