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

/// What an account holds after an apply, to compare runs: every resource counted once.
async fn inventory(account: &str) -> Vec<String> {
    let cfg = Emulator::shared().sdk_config(account, "us-east-1").await;
    let mut items = Vec::new();
    let trails = aws_sdk_cloudtrail::Client::new(&cfg)
        .describe_trails()
        .send()
        .await
        .unwrap();
    for t in trails.trail_list() {
        items.push(format!("trail {}", t.name().unwrap_or_default()));
    }
    let topics = aws_sdk_sns::Client::new(&cfg)
        .list_topics()
        .send()
        .await
        .unwrap();
    for t in topics.topics() {
        let arn = t.topic_arn().unwrap_or_default();
        items.push(format!(
            "topic {}",
            arn.rsplit(':').next().unwrap_or_default()
        ));
        let subs = aws_sdk_sns::Client::new(&cfg)
            .list_subscriptions_by_topic()
            .topic_arn(arn)
            .send()
            .await
            .unwrap();
        for s in subs.subscriptions() {
            items.push(format!("subscription {}", s.endpoint().unwrap_or_default()));
        }
    }
    let filters = aws_sdk_cloudwatchlogs::Client::new(&cfg)
        .describe_metric_filters()
        .send()
        .await
        .unwrap();
    for f in filters.metric_filters() {
        items.push(format!("filter {}", f.filter_name().unwrap_or_default()));
    }
    let alarms = aws_sdk_cloudwatch::Client::new(&cfg)
        .describe_alarms()
        .send()
        .await
        .unwrap();
    for a in alarms.metric_alarms() {
        items.push(format!("alarm {}", a.alarm_name().unwrap_or_default()));
    }
    items.sort();
    items
}

/// A fresh `apply` killed (SIGKILL) after any of its requests — every index, not a sample —
/// leaves an account that the next plain `apply` completes: the whole chain, nothing twice,
/// `check` in sync.
#[tokio::test]
async fn an_apply_killed_after_any_request_is_completed_by_the_next() {
    let emu = Emulator::shared();
    // The reference: an apply that is not interrupted, and what it leaves.
    let reference = unique_account();
    let out = tw(&reference, &["apply", "--email", EMAIL, "--yes"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let requests = emu.requests_for_account(&reference).len();
    let expected = inventory(&reference).await;
    assert!(requests > 30, "{requests}");

    let kill_at = |k: usize| {
        let account = unique_account();
        emu.set_faults(
            &account,
            serde_json::json!({"stall_after": k, "stall_seconds": 60}),
        );
        let mut child =
            common::spawn_trailwarden(&account, &["apply", "--email", EMAIL, "--yes"], &[]);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let mut finished = false;
        loop {
            if emu
                .requests_for_account(&account)
                .iter()
                .any(|r| r["fault"] == "stall")
            {
                break;
            }
            if child.try_wait().unwrap().is_some() {
                finished = true;
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "request {k} never came"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let _ = child.kill();
        let _ = child.wait();
        emu.set_faults(&account, serde_json::json!({}));
        (account, finished)
    };
    let mut completed_early = 0;
    let accounts: Vec<(usize, String, bool)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|w| {
                s.spawn(move || {
                    (0..=requests)
                        .filter(|k| k % 4 == w)
                        .map(|k| {
                            let (account, finished) = kill_at(k);
                            let out = tw(&account, &["apply", "--email", EMAIL, "--yes"]);
                            assert_eq!(out.code, 0, "after a kill at request {k}:\n{}", out.stderr);
                            let check = tw(&account, &["check", "--email", EMAIL]);
                            assert_eq!(
                                check.code, 0,
                                "kill at {k}: not in sync:\n{}",
                                check.stdout
                            );
                            (k, account, finished)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    for (k, account, finished) in &accounts {
        completed_early += usize::from(*finished);
        assert_eq!(&inventory(account).await, &expected, "kill at request {k}");
    }
    eprintln!(
        "{} kill points (0..={requests}); {completed_early} applies finished before their kill point",
        accounts.len()
    );
    assert!(
        completed_early <= 1,
        "only the last index may complete before the kill"
    );
}

/// 20% of writes executed and then answered 500 (the response lost): the SDK retries them, the
/// creates come back "already exists" and count as done, and the apply converges.
#[tokio::test]
async fn apply_converges_when_a_fifth_of_the_writes_lose_their_response() {
    let emu = Emulator::shared();
    let reference = unique_account();
    assert_eq!(
        tw(&reference, &["apply", "--email", EMAIL, "--yes"]).code,
        0
    );
    let expected = inventory(&reference).await;
    for seed in 1..=3 {
        let account = unique_account();
        emu.set_faults(
            &account,
            serde_json::json!({"lost_share": {"share": 0.2, "seed": seed}}),
        );
        let out = tw(&account, &["apply", "--email", EMAIL, "--yes"]);
        assert_eq!(out.code, 0, "seed {seed}:\n{}", out.stderr);
        let lost = emu
            .requests_for_account(&account)
            .iter()
            .filter(|r| r["fault"] == "lost_share")
            .count();
        assert!(lost > 0, "seed {seed}: no write lost its response");
        emu.set_faults(&account, serde_json::json!({}));
        assert_eq!(
            tw(&account, &["check", "--email", EMAIL]).code,
            0,
            "seed {seed}"
        );
        assert_eq!(inventory(&account).await, expected, "seed {seed}");
    }
}

/// 30% of requests throttled (each protocol's own error: `Throttling`, `ThrottlingException`,
/// S3's `503 SlowDown`): apply and check succeed on the SDK's retries, and the report says how
/// many it took.
#[tokio::test]
async fn apply_and_check_succeed_with_30_percent_of_requests_throttled() {
    let emu = Emulator::shared();
    for seed in 1..=3 {
        let account = unique_account();
        emu.set_faults(
            &account,
            serde_json::json!({"throttle": {"share": 0.3, "seed": seed}}),
        );
        let out = tw(
            &account,
            &["apply", "--email", EMAIL, "--yes", "--output", "json"],
        );
        assert_eq!(out.code, 0, "seed {seed}:\n{}", out.stderr);
        let report = out.json();
        let retries = report["requests"]["retries"].as_u64().unwrap();
        let throttled = emu
            .requests_for_account(&account)
            .iter()
            .filter(|r| r["fault"] == "throttle")
            .count() as u64;
        assert!(throttled > 5, "seed {seed}: {throttled}");
        assert_eq!(
            retries, throttled,
            "seed {seed}: every throttled request retried once more"
        );
        let out = tw(&account, &["check", "--email", EMAIL, "--output", "json"]);
        assert_eq!(out.code, 0, "seed {seed}:\n{}\n{}", out.stdout, out.stderr);
    }
}

/// An endpoint that accepts connections and never answers: `check` fails within the timeouts
/// (here 1 s per attempt, 2 attempts), with a message that says so, instead of hanging.
#[test]
fn an_endpoint_that_never_answers_fails_in_bounded_time() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let account = unique_account();
    let started = std::time::Instant::now();
    let out = common::trailwarden_with(
        &account,
        &["check", "--email", EMAIL],
        &[
            ("AWS_ENDPOINT_URL", &format!("http://127.0.0.1:{port}")),
            ("TRAILWARDEN_READ_TIMEOUT", "1"),
            ("AWS_MAX_ATTEMPTS", "2"),
        ],
    );
    let elapsed = started.elapsed();
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("no answer in time"), "{}", out.stderr);
    assert!(elapsed < std::time::Duration::from_secs(15), "{elapsed:?}");
    eprintln!("black hole: failed after {elapsed:.1?}");
}

fn send(child: &std::process::Child, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits until the emulator holds one of the account's requests (the client is mid-request).
fn wait_for_stall(account: &str, child: &mut std::process::Child) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !Emulator::shared()
        .requests_for_account(account)
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
}

fn finish(child: std::process::Child) -> common::Run {
    let started = std::time::Instant::now();
    let out = child.wait_with_output().unwrap();
    common::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: started.elapsed(),
    }
}

/// The first SIGTERM (or Ctrl-C) during an apply lets the request in flight finish, stops
/// before the next write, says what is left, and exits 143 (130); a second one exits at once.
/// `check` stops at once.
#[test]
fn an_interrupted_apply_stops_before_the_next_write() {
    let emu = Emulator::shared();
    let apply = ["apply", "--email", EMAIL, "--yes"];

    // One signal: the held request is answered, the apply stops, the next apply completes it.
    let account = unique_account();
    emu.set_faults(
        &account,
        serde_json::json!({"stall_after": 32, "stall_seconds": 60}),
    );
    let mut child = common::spawn_trailwarden(&account, &apply, &[]);
    wait_for_stall(&account, &mut child);
    send(&child, "TERM");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let writes_before = emu.write_requests_for_account(&account).len();
    emu.set_faults(&account, serde_json::json!({})); // the request in flight gets its answer
    let out = finish(child);
    assert_eq!(out.code, 143, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("SIGTERM: stopping once the request in flight has finished"),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout
            .contains("Apply interrupted before the next write"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("Run apply again to complete it."),
        "{}",
        out.stdout
    );
    // Only the held request was retried once answered; nothing after it was sent.
    let after = emu.write_requests_for_account(&account).len() - writes_before;
    assert!(after <= 1, "{after} writes after the signal");
    assert_eq!(tw(&account, &apply).code, 0);
    assert_eq!(tw(&account, &["check", "--email", EMAIL]).code, 0);

    // Two signals: the second exits at once, the held request still held.
    let account = unique_account();
    emu.set_faults(
        &account,
        serde_json::json!({"stall_after": 32, "stall_seconds": 60}),
    );
    let mut child = common::spawn_trailwarden(&account, &apply, &[]);
    wait_for_stall(&account, &mut child);
    send(&child, "INT");
    std::thread::sleep(std::time::Duration::from_millis(200));
    send(&child, "INT");
    let out = finish(child);
    assert_eq!(out.code, 130, "{}", out.stderr);
    assert!(
        out.elapsed < std::time::Duration::from_secs(5),
        "{:?}",
        out.elapsed
    );
    emu.set_faults(&account, serde_json::json!({}));

    // check: at once.
    let account = unique_account();
    emu.set_faults(
        &account,
        serde_json::json!({"stall_after": 0, "stall_seconds": 60}),
    );
    let mut child = common::spawn_trailwarden(&account, &["check", "--email", EMAIL], &[]);
    wait_for_stall(&account, &mut child);
    send(&child, "TERM");
    let out = finish(child);
    assert_eq!(out.code, 143, "{}", out.stderr);
    assert!(out.elapsed < std::time::Duration::from_secs(5));
    emu.set_faults(&account, serde_json::json!({}));
}
