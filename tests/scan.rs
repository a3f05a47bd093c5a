//! `trailwarden scan` end to end: generated CloudTrail data with known ground truth, local
//! files (plain, gzip, JSON lines, CloudWatch Logs exports), corrupt files, time ranges, the
//! config file, S3 input against the emulator, and against a small fake S3 endpoint for what the
//! emulator cannot show (a bucket in another region, throttling, an object that cannot be read,
//! a download cut short, an object larger than the memory the process may use).

mod common;
#[path = "common/fake_s3.rs"]
mod fake_s3;

use common::{access_key_for, unique_account, Emulator, SECRET_ACCESS_KEY};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const FILTERS: [&str; 3] = [
    "RootAccountUsage",
    "ApiActivityWithoutMFA",
    "ConsoleSignInWithoutMfa",
];

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// A fresh empty directory for one test.
/// The generator, an example of this package (built by `cargo test`, never installed): next to
/// the test binary's directory, in `examples/`.
fn gen_cloudtrail() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target directory");
    dir.join("examples")
        .join(format!("gen-cloudtrail{}", std::env::consts::EXE_SUFFIX))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tw-scan-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the generator into `out`; returns its ground truth.
fn generate(out: &Path, args: &[&str]) -> Value {
    let truth = out.with_extension("truth.json");
    let status = Command::new(gen_cloudtrail())
        .arg("--out")
        .arg(out)
        .arg("--truth")
        .arg(&truth)
        .args(args)
        .stderr(Stdio::null())
        .status()
        .expect("run gen-cloudtrail");
    assert!(status.success());
    serde_json::from_str(&std::fs::read_to_string(truth).unwrap()).unwrap()
}

/// Runs `trailwarden` in `cwd` with a clean environment plus `env`.
fn tw_in(cwd: &Path, args: &[&str], env: &[(&str, String)]) -> Out {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trailwarden"));
    cmd.args(args);
    isolate(&mut cmd, cwd, env);
    let out = cmd.output().expect("run trailwarden");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs in `cwd` with a clean environment (none of this machine's AWS configuration or
/// credentials, no instance metadata, no stdin) plus `env`.
fn isolate(cmd: &mut Command, cwd: &Path, env: &[(&str, String)]) {
    cmd.current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", cwd)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", cwd.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            cwd.join("no-aws-credentials"),
        )
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
}

fn scan(cwd: &Path, args: &[&str]) -> Out {
    let mut all = vec!["scan", "--output", "json"];
    all.extend_from_slice(args);
    tw_in(cwd, &all, &[])
}

fn filter<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["filters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no filter {name} in {report}"))
}

/// Every aws-docs filter has the truth's matches and breaching periods (threshold 1, one
/// period: one breaching period per 5-minute period with a match).
fn assert_truth(report: &Value, truth: &Value) {
    for name in FILTERS {
        let f = filter(report, name);
        let t = &truth["filters"][name];
        assert_eq!(f["matches"], t["matches"], "{name} matches");
        assert_eq!(
            f["breaching_periods"], t["breaching_periods"],
            "{name} breaching periods"
        );
    }
}

fn arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn counts_match_the_ground_truth_exactly() {
    let dir = scratch("truth");
    let data = dir.join("data");
    let truth = generate(
        &data,
        &[
            "--events",
            "30000",
            "--hours",
            "6",
            "--root",
            "7",
            "--console-nomfa",
            "11",
            "--gzip",
            "--seed",
            "3",
        ],
    );
    assert_eq!(truth["filters"]["RootAccountUsage"]["matches"], 7);
    assert_eq!(truth["filters"]["ConsoleSignInWithoutMfa"]["matches"], 11);
    let out = scan(&dir, &["--preset", "aws-docs", arg(&data)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let r = out.json();
    assert_eq!(r["format_version"], "1");
    assert_eq!(r["events"], truth["events"]);
    assert_eq!(r["files"], truth["files"]);
    assert_eq!(r["bytes"], truth["bytes"]);
    assert_eq!(r["errors"], serde_json::json!([]));
    assert_truth(&r, &truth);
    assert_eq!(r["filters"].as_array().unwrap().len(), 3);

    // The alarm intervals cover exactly the truth's periods.
    for name in FILTERS {
        let f = filter(&r, name);
        let periods = truth["filters"][name]["periods"].as_object().unwrap();
        let covered: u64 = f["alarm_intervals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["periods"].as_u64().unwrap())
            .sum();
        assert_eq!(covered, periods.len() as u64, "{name}");
        for i in f["alarm_intervals"].as_array().unwrap() {
            let start = i["start"].as_str().unwrap();
            assert!(periods.contains_key(start), "{name}: {start}");
        }
        let in_intervals: u64 = f["alarm_intervals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["matches"].as_u64().unwrap())
            .sum();
        assert_eq!(in_intervals, f["matches"].as_u64().unwrap(), "{name}");
    }
    // On whom.
    let root = filter(&r, "RootAccountUsage");
    assert_eq!(
        root["top_principals"][0],
        serde_json::json!({"value": "arn:aws:iam::111122223333:root", "count": 7})
    );
    assert_eq!(root["control"], "root-account-usage");
    assert_eq!(root["alarm"]["period"], 300);
    let api = filter(&r, "ApiActivityWithoutMFA");
    assert_eq!(api["top_principals"].as_array().unwrap().len(), 5);
    assert!(api["top_principals"][0]["value"]
        .as_str()
        .unwrap()
        .starts_with("arn:aws:sts::111122223333:assumed-role/"));
    assert!(!api["top_source_ips"].as_array().unwrap().is_empty());
    assert!(!api["top_event_names"].as_array().unwrap().is_empty());

    // Human output: a summary table and a table per filter with matches.
    let out = tw_in(&dir, &["scan", arg(&data)], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("FILTER"), "{}", out.stdout);
    assert!(out.stdout.contains("BREACHING PERIODS"));
    assert!(out.stdout.contains("arn:aws:iam::111122223333:root"));
    for name in FILTERS {
        assert!(out.stdout.contains(name));
    }
    // No progress bar when stderr is not a terminal.
    assert!(!out.stderr.contains('\r'));
}

#[test]
fn gzip_and_plain_files_give_identical_results() {
    let dir = scratch("gz");
    let args = ["--events", "8000", "--hours", "3", "--seed", "9"];
    let plain_truth = generate(&dir.join("plain"), &args);
    let mut gz_args = args.to_vec();
    gz_args.push("--gzip");
    let gz_truth = generate(&dir.join("gz"), &gz_args);
    assert_eq!(plain_truth["filters"], gz_truth["filters"]);
    let plain = scan(&dir, &[arg(&dir.join("plain"))]).json();
    let gz = scan(&dir, &[arg(&dir.join("gz")), "--jobs", "1"]).json();
    assert_eq!(plain["filters"], gz["filters"]);
    assert_eq!(plain["events"], gz["events"]);
    assert_eq!(plain["bytes"], gz["bytes"]);
    assert!(gz["input_bytes"].as_u64() < plain["input_bytes"].as_u64());
    assert_truth(&plain, &plain_truth);
}

/// One gzip file large enough to be decompressed on its own thread with `--jobs 2`: the same
/// results as with `--jobs 1` (decompressed by the scanning thread), and the ground truth.
#[test]
fn a_large_gzip_file_gives_the_same_results_with_the_decompression_thread() {
    let dir = scratch("big-gz");
    let parts = dir.join("parts");
    let truth = generate(
        &parts,
        &[
            "--events", "40000", "--hours", "2", "--format", "lines", "--gzip", "--seed", "5",
        ],
    );
    // The generator's files, concatenated: one multi-member gzip file of JSON lines.
    let mut big = Vec::new();
    for f in walk(&parts) {
        big.extend(std::fs::read(&f).unwrap());
    }
    assert!(
        big.len() as u64 >= trailwarden::scan::engine::INFLATE_THREAD_MIN,
        "{} bytes: too small for the decompression thread",
        big.len()
    );
    let file = dir.join("all.jsonl.gz");
    std::fs::write(&file, &big).unwrap();
    let two = scan(&dir, &[arg(&file), "--jobs", "2"]).json();
    let one = scan(&dir, &[arg(&file), "--jobs", "1"]).json();
    assert_eq!(two["errors"], serde_json::json!([]));
    assert_eq!(two["filters"], one["filters"]);
    assert_eq!(two["events"], one["events"]);
    assert_eq!(two["bytes"], one["bytes"]);
    assert_eq!(two["events"], truth["events"]);
    assert_truth(&two, &truth);
}

#[test]
fn json_lines_and_cloudwatch_exports_are_read_too() {
    let dir = scratch("lines");
    for format in ["lines", "export"] {
        let data = dir.join(format);
        let truth = generate(
            &data,
            &[
                "--events", "5000", "--hours", "2", "--format", format, "--gzip",
            ],
        );
        let r = scan(&dir, &[arg(&data)]).json();
        assert_eq!(r["errors"], serde_json::json!([]), "{format}");
        assert_eq!(r["events"], truth["events"], "{format}");
        assert_truth(&r, &truth);
    }
}

#[test]
fn a_corrupt_file_is_reported_and_skipped() {
    let dir = scratch("corrupt");
    let data = dir.join("data");
    let truth = generate(
        &data,
        &["--events", "6000", "--hours", "2", "--gzip", "--root", "6"],
    );
    // Next to the good files: a truncated copy of one, a plain file cut mid-record, garbage.
    let mut files: Vec<PathBuf> = walk(&data);
    files.sort();
    let sample = std::fs::read(&files[0]).unwrap();
    let odd = data.join("AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/14");
    std::fs::write(odd.join("truncated.json.gz"), &sample[..sample.len() / 2]).unwrap();
    let mut plain = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&sample[..]), &mut plain).unwrap();
    std::fs::write(odd.join("cut.json"), &plain[..plain.len() * 2 / 3]).unwrap();
    std::fs::write(odd.join("garbage.json"), b"\x00\x9f not a log file").unwrap();
    let mut bad_record = plain.clone();
    let at = bad_record.len() / 2;
    bad_record[at..at + 4].copy_from_slice(b"}}]]");
    std::fs::write(odd.join("bad-record.json"), &bad_record).unwrap();

    let out = scan(&dir, &[arg(&data)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let r = out.json();
    let errors = r["errors"].as_array().unwrap();
    let named: Vec<&str> = errors
        .iter()
        .map(|e| {
            Path::new(e["file"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        named,
        vec![
            "bad-record.json",
            "cut.json",
            "garbage.json",
            "truncated.json.gz"
        ],
        "{errors:?}"
    );
    for e in errors {
        assert!(!e["message"].as_str().unwrap().is_empty());
    }
    // The scan went on: every good file counted, nothing of the bad ones.
    assert_eq!(r["files"], truth["files"]);
    assert_eq!(r["events"], truth["events"]);
    assert_truth(&r, &truth);
    assert!(out.stderr.contains("truncated.json.gz"), "{}", out.stderr);
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn matches_prints_the_matching_events_as_json_lines() {
    let dir = scratch("matches");
    let data = dir.join("data");
    let truth = generate(
        &data,
        &[
            "--events",
            "4000",
            "--hours",
            "2",
            "--root",
            "4",
            "--console-nomfa",
            "6",
        ],
    );
    let out = tw_in(
        &dir,
        &["scan", "--matches", "ConsoleSignInWithoutMfa", arg(&data)],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len() as u64, 6);
    assert_eq!(
        truth["filters"]["ConsoleSignInWithoutMfa"]["matches"],
        lines.len()
    );
    for ev in &lines {
        assert_eq!(ev["eventName"], "ConsoleLogin");
        assert_eq!(ev["additionalEventData"]["MFAUsed"], "No");
    }
    // By control id too.
    let out = tw_in(
        &dir,
        &["scan", "--matches", "root-account-usage", arg(&data)],
        &[],
    );
    assert_eq!(out.stdout.lines().count(), 4);
    // An unknown filter is an input error that names the filters.
    let out = tw_in(&dir, &["scan", "--matches", "Nope", arg(&data)], &[]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("RootAccountUsage"), "{}", out.stderr);
}

#[test]
fn since_and_until_select_a_time_range() {
    let dir = scratch("range");
    let data = dir.join("data");
    let truth = generate(
        &data,
        &[
            "--events",
            "6000",
            "--hours",
            "4",
            "--root",
            "9",
            "--console-nomfa",
            "9",
            "--start",
            "2024-05-14T22:00:00Z",
        ],
    );
    let (since, until) = ("2024-05-14T23:10:00Z", "2024-05-15T01:05:00Z");
    let r = scan(&dir, &["--since", since, "--until", until, arg(&data)]).json();
    assert_eq!(r["since"], since);
    assert_eq!(r["until"], until);
    for name in FILTERS {
        let periods = truth["filters"][name]["periods"].as_object().unwrap();
        let inside: Vec<u64> = periods
            .iter()
            .filter(|(k, _)| k.as_str() >= since && k.as_str() < until)
            .map(|(_, v)| v.as_u64().unwrap())
            .collect();
        let f = filter(&r, name);
        assert_eq!(f["matches"], inside.iter().sum::<u64>(), "{name}");
        assert_eq!(f["breaching_periods"], inside.len(), "{name}");
    }
    assert!(r["events"].as_u64().unwrap() < truth["events"].as_u64().unwrap());
    assert!(r["first_event"].as_str().unwrap() >= since);
    assert!(r["last_event"].as_str().unwrap() < until);
    // A date alone is midnight UTC; --since must be before --until.
    let out = scan(
        &dir,
        &["--since", "2024-05-16", "--until", "2024-05-15", arg(&data)],
    );
    assert_eq!(out.code, 1);
    let out = scan(&dir, &["--since", "last tuesday", arg(&data)]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("--since"), "{}", out.stderr);
}

#[test]
fn the_config_file_chooses_presets_and_alarm_settings() {
    let dir = scratch("config");
    let data = dir.join("data");
    let truth = generate(&data, &["--events", "9000", "--hours", "2"]);
    std::fs::write(
        dir.join("trailwarden.toml"),
        r#"presets = ["aws-docs"]
[controls.root-account-usage]
disabled = true
[controls.ApiActivityWithoutMFA]
threshold = 40
"#,
    )
    .unwrap();
    // No email needed to scan.
    let r = scan(&dir, &[arg(&data)]).json();
    let names: Vec<&str> = r["filters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec!["ApiActivityWithoutMFA", "ConsoleSignInWithoutMfa"]
    );
    let api = filter(&r, "ApiActivityWithoutMFA");
    assert_eq!(api["alarm"]["threshold"], 40.0);
    let expected = truth["filters"]["ApiActivityWithoutMFA"]["periods"]
        .as_object()
        .unwrap()
        .values()
        .filter(|v| v.as_u64().unwrap() >= 40)
        .count();
    assert_eq!(api["breaching_periods"], expected);
    assert_eq!(
        api["matches"],
        truth["filters"]["ApiActivityWithoutMFA"]["matches"]
    );
    // --preset replaces the file's presets (here without a config file: its overrides name
    // aws-docs filters); the cis preset has more filters.
    let elsewhere = scratch("config-none");
    let r = scan(&elsewhere, &["--preset", "cis", arg(&data)]).json();
    assert!(r["filters"].as_array().unwrap().len() > 3);
    assert_eq!(r["presets"], serde_json::json!(["cis"]));
}

#[test]
fn bad_inputs_are_errors() {
    let dir = scratch("bad");
    let out = scan(&dir, &["/nonexistent/trailwarden-logs"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("/nonexistent/trailwarden-logs"),
        "{}",
        out.stderr
    );
    let out = scan(&dir, &["s3://"]);
    assert_eq!(out.code, 1);
    let out = scan(&dir, &["--jobs", "0", arg(&dir)]);
    assert_eq!(out.code, 1);
    // An empty directory is an empty scan.
    let r = scan(&dir, &[arg(&dir)]).json();
    assert_eq!(r["events"], 0);
    assert_eq!(r["files"], 0);
    // A region from the environment that is not a known one is refused before any request
    // (the endpoint is a closed port: a request would fail otherwise).
    let out = tw_in(
        &dir,
        &["scan", "s3://bucket/AWSLogs/"],
        &[
            ("AWS_REGION", "moon-1".to_string()),
            ("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKE".to_string()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY.to_string()),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9".to_string()),
        ],
    );
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("region-unknown") && out.stderr.contains("`moon-1`"),
        "{}",
        out.stderr
    );
}

/// The actions of `trailwarden permissions --for scan`; the policy grants only reads.
fn scan_policy() -> Vec<String> {
    let out = tw_in(&scratch("policy"), &["permissions", "--for", "scan"], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let policy = out.json();
    let actions: Vec<String> = policy["Statement"][0]["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    for a in &actions {
        let op = a.split(':').nth(1).unwrap_or_default();
        assert!(
            ["Get", "List"].iter().any(|p| op.starts_with(p)),
            "the scan policy grants more than reading: {a}"
        );
    }
    actions
}

/// Every S3 operation in `operations` is allowed by the scan policy.
fn assert_scan_policy_covers<'a>(operations: impl IntoIterator<Item = (&'a str, &'a str)>) {
    let policy = scan_policy();
    for (service, op) in operations {
        let action = trailwarden::aws::iam_action_for(service, op)
            .unwrap_or_else(|| panic!("no IAM action known for {service} {op}"));
        assert!(
            policy.iter().any(|p| p == action),
            "`permissions --for scan` lacks {action} ({op}): {policy:?}"
        );
    }
}

fn emulator_env(account: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", access_key_for(account)),
        ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY.to_string()),
        ("AWS_REGION", "us-east-1".to_string()),
        ("AWS_ENDPOINT_URL", Emulator::shared().endpoint.clone()),
    ]
}

/// The object key of a generated file: its path under `root`, with `/` separators.
fn s3_key(root: &Path, file: &Path) -> String {
    file.strip_prefix(root)
        .unwrap()
        .to_str()
        .unwrap()
        .replace('\\', "/")
}

async fn upload(s3: &aws_sdk_s3::Client, bucket: &str, root: &Path) -> usize {
    let files = walk(root);
    for f in &files {
        let key = s3_key(root, f);
        s3.put_object()
            .bucket(bucket)
            .key(key)
            .body(std::fs::read(f).unwrap().into())
            .send()
            .await
            .unwrap();
    }
    files.len()
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_input_with_date_pruning_against_the_emulator() {
    let emu = Emulator::shared();
    let account = unique_account();
    let cfg = emu.sdk_config(&account, "us-east-1").await;
    let s3 = common::s3_client(&cfg);
    let bucket = format!("tw-scan-{account}");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();

    let dir = scratch("s3");
    // Three days apart: only the first is in the scanned range.
    let wanted = generate(
        &dir.join("a"),
        &[
            "--events",
            "3000",
            "--hours",
            "2",
            "--regions",
            "us-east-1",
            "--gzip",
            "--start",
            "2024-05-14T08:00:00Z",
            "--root",
            "3",
        ],
    );
    generate(
        &dir.join("b"),
        &[
            "--events",
            "500",
            "--hours",
            "1",
            "--regions",
            "us-east-1",
            "--gzip",
            "--start",
            "2024-05-20T10:00:00Z",
            "--seed",
            "2",
        ],
    );
    generate(
        &dir.join("c"),
        &[
            "--events",
            "500",
            "--hours",
            "1",
            "--regions",
            "eu-west-1",
            "--gzip",
            "--start",
            "2024-04-02T10:00:00Z",
            "--seed",
            "3",
        ],
    );
    let wanted_files = upload(&s3, &bucket, &dir.join("a")).await;
    let other_files =
        upload(&s3, &bucket, &dir.join("b")).await + upload(&s3, &bucket, &dir.join("c")).await;
    // A digest file is not a log file.
    s3.put_object()
        .bucket(&bucket)
        .key("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/14/digest.json.gz")
        .body(b"{}".to_vec().into())
        .send()
        .await
        .unwrap();

    let env = emulator_env(&account);
    let cwd = scratch("s3-cwd");
    let url = format!("s3://{bucket}/AWSLogs/");
    let before = emu.requests_for_account(&account).len();
    let out = tokio::task::spawn_blocking({
        let (cwd, url, env) = (cwd.clone(), url.clone(), env.clone());
        move || {
            tw_in(
                &cwd,
                &[
                    "scan",
                    "--output",
                    "json",
                    "--since",
                    "2024-05-14",
                    "--until",
                    "2024-05-15",
                    &url,
                ],
                &env,
            )
        }
    })
    .await
    .unwrap();
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let r = out.json();
    assert_eq!(r["errors"], serde_json::json!([]));
    assert_eq!(r["files"], wanted_files);
    assert_eq!(r["events"], wanted["events"]);
    assert_truth(&r, &wanted);
    // Only the files of the date folders in range were downloaded.
    let requests: Vec<Value> = emu.requests_for_account(&account)[before..].to_vec();
    let gets = requests
        .iter()
        .filter(|q| q["operation"] == "GetObject")
        .count();
    assert_eq!(gets, wanted_files, "{requests:?}");
    assert!(requests.iter().all(|q| q["method"] == "GET"));

    // Without a range: everything under the prefix.
    let out = tokio::task::spawn_blocking({
        let (cwd, env) = (cwd.clone(), env.clone());
        let url = format!("s3://{bucket}");
        move || tw_in(&cwd, &["scan", "--output", "json", &url], &env)
    })
    .await
    .unwrap();
    let r = out.json();
    assert_eq!(r["files"], wanted_files + other_files, "{}", out.stderr);

    // A bucket that does not exist is an error before anything is scanned.
    let out = tokio::task::spawn_blocking({
        let (cwd, env) = (cwd.clone(), env.clone());
        let url = format!("s3://{bucket}-missing/");
        move || tw_in(&cwd, &["scan", "--output", "json", &url], &env)
    })
    .await
    .unwrap();
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("NoSuchBucket"), "{}", out.stderr);

    // Every request of the three scans is allowed by `permissions --for scan`.
    let requests = emu.requests_for_account(&account)[before..].to_vec();
    assert!(requests.len() > wanted_files, "{requests:?}");
    assert_scan_policy_covers(requests.iter().map(|r| {
        (
            r["service"].as_str().unwrap_or_default(),
            r["operation"].as_str().unwrap_or_default(),
        )
    }));
}

/// Credentials and endpoint for the fake S3, with us-east-1 as the configured region.
fn fake_s3_env(fake: &fake_s3::FakeS3) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKE".to_string()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY.to_string()),
        ("AWS_REGION", "us-east-1".to_string()),
        ("AWS_ENDPOINT_URL", fake.endpoint.clone()),
    ]
}

/// A bucket in another region than the configured one: S3 redirects the first request, and the
/// scan goes on with a client for the bucket's region, named by the redirect's header or, when
/// it is missing, by GetBucketLocation. A throttled download is retried; an object that cannot be
/// read is reported and skipped.
#[test]
fn a_bucket_in_another_region_is_read_from_there() {
    for header in [true, false] {
        let bucket = "tw-logs-paris";
        let fake = fake_s3::FakeS3::start(bucket, "eu-west-3", header);
        let dir = scratch(&format!("other-region-{header}"));
        let data = dir.join("data");
        let truth = generate(
            &data,
            &[
                "--events",
                "2000",
                "--hours",
                "1",
                "--regions",
                "eu-west-3",
                "--gzip",
                "--root",
                "2",
            ],
        );
        let mut keys = Vec::new();
        for f in walk(&data) {
            let key = s3_key(&data, &f);
            fake.put(&key, std::fs::read(&f).unwrap());
            keys.push(key);
        }
        keys.sort();
        assert!(keys.len() >= 3, "{keys:?}");
        let throttled = keys[1].clone();
        fake.fail(&throttled, &[fake_s3::Fault::SlowDown]);
        let denied = keys[0].replace(".json.gz", "-denied.json.gz");
        fake.put(&denied, b"never served".to_vec());
        fake.fail(&denied, &[fake_s3::Fault::AccessDenied]);

        let url = format!("s3://{bucket}/AWSLogs/");
        let out = tw_in(
            &dir,
            &["scan", "--output", "json", &url],
            &fake_s3_env(&fake),
        );
        assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
        assert!(
            out.stderr.contains("is in eu-west-3"),
            "header {header}: {}",
            out.stderr
        );
        let r = out.json();
        assert_eq!(r["files"], truth["files"], "{}", out.stderr);
        assert_eq!(r["events"], truth["events"]);
        assert_truth(&r, &truth);
        let errors = r["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0]["file"], format!("s3://{bucket}/{denied}"));
        assert!(
            errors[0]["message"]
                .as_str()
                .unwrap()
                .contains("AccessDenied"),
            "{errors:?}"
        );

        let log = fake.log();
        // The probe, signed for the configured region, was redirected ...
        assert_eq!(log[0].operation, "ListObjectsV2", "{log:?}");
        assert_eq!((log[0].region.as_str(), log[0].status), ("us-east-1", 301));
        // ... the bucket's region was asked only when the redirect did not name it ...
        let located = log
            .iter()
            .filter(|l| l.operation == "GetBucketLocation")
            .count();
        assert_eq!(located, usize::from(!header), "{log:?}");
        // ... and everything after went to the bucket's region.
        let rest: Vec<_> = log[1..]
            .iter()
            .filter(|l| l.operation != "GetBucketLocation")
            .collect();
        assert!(rest.iter().all(|l| l.region == "eu-west-3"), "{log:?}");
        assert!(rest.iter().all(|l| l.status != 301), "{log:?}");
        let gets = |key: &str| {
            rest.iter()
                .filter(|l| l.operation == "GetObject" && l.key == key)
                .map(|l| l.status)
                .collect::<Vec<_>>()
        };
        assert_eq!(gets(&throttled), vec![503, 200], "throttling is retried");
        assert_eq!(gets(&denied), vec![403], "access denied is not retried");
        assert_eq!(gets(&keys[2]), vec![200]);
        // Listings longer than a page were followed to their end (the counts above prove
        // nothing was lost); at least one page came from a continuation token.
        assert!(
            rest.iter()
                .any(|l| l.operation == "ListObjectsV2" && l.continued),
            "{log:?}"
        );
        // `permissions --for scan` allows every request, GetBucketLocation included.
        assert_scan_policy_covers(log.iter().map(|l| ("s3", l.operation)));
    }
}

/// An S3 object larger than the process may hold in memory is scanned while it downloads: with
/// the data segment limited to less than the object (`ulimit -d`), the counts are still exact.
/// A download cut short half-way is reported and none of its events count, whether the object
/// is streamed or downloaded whole; so is a large object that cannot be read.
#[test]
fn a_large_s3_object_is_scanned_while_it_downloads() {
    let bucket = "tw-exports";
    let fake = fake_s3::FakeS3::start(bucket, "us-east-1", true);
    let dir = scratch("large-object");
    let data = dir.join("data");
    let truth = generate(
        &data,
        &["--events", "10000", "--hours", "1", "--format", "lines"],
    );
    let mut files = walk(&data);
    files.sort();
    let mut one = Vec::new();
    for f in &files {
        one.extend(std::fs::read(f).unwrap());
    }
    // The same events eight times over: about 110 MB in one object.
    const COPIES: u64 = 8;
    let big = one.repeat(COPIES as usize);
    const LIMIT_KIB: usize = 64 << 10;
    assert!(big.len() > 1024 * LIMIT_KIB, "{}", big.len());
    fake.put("exports/all.jsonl", big.clone());
    // The same as gzip: the generator's gzip files, concatenated (a multi-member gzip file),
    // eight times over (about 16 MB stored).
    let gz_truth = generate(
        &dir.join("gz"),
        &[
            "--events", "10000", "--hours", "1", "--format", "lines", "--gzip",
        ],
    );
    assert_eq!(gz_truth, truth);
    let mut gz_files = walk(&dir.join("gz"));
    gz_files.sort();
    let mut gz = Vec::new();
    for f in &gz_files {
        gz.extend(std::fs::read(f).unwrap());
    }
    let gz = gz.repeat(COPIES as usize);
    assert!(gz.len() > 8 << 20, "{}", gz.len());
    fake.put("exports/all.jsonl.gz", gz);
    fake.put("exports/cut-large.jsonl", big.clone());
    fake.put("exports/denied-large.jsonl", big);
    fake.fail(
        "exports/denied-large.jsonl",
        &[fake_s3::Fault::AccessDenied],
    );
    fake.fail("exports/cut-large.jsonl", &[fake_s3::Fault::CutShort]);
    fake.put("exports/cut-small.jsonl", one.clone());
    fake.fail("exports/cut-small.jsonl", &[fake_s3::Fault::CutShort]);

    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(format!(
            "ulimit -d {LIMIT_KIB} && exec \"$0\" scan --quiet --output json s3://{bucket}/exports/"
        ))
        .arg(env!("CARGO_BIN_EXE_trailwarden"));
    isolate(&mut cmd, &dir, &fake_s3_env(&fake));
    let out = cmd.output().expect("run trailwarden under ulimit");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let r: Value = serde_json::from_slice(&out.stdout).expect("JSON report");

    // Only the whole objects count: the events of each are the truth, eight times over.
    assert_eq!(r["files"], 2, "{r}\n{stderr}");
    let events = truth["events"].as_u64().unwrap();
    assert_eq!(r["events"], 2 * events * COPIES);
    for name in FILTERS {
        let f = filter(&r, name);
        let t = &truth["filters"][name];
        assert_eq!(
            f["matches"],
            2 * t["matches"].as_u64().unwrap() * COPIES,
            "{name}"
        );
        assert_eq!(f["breaching_periods"], t["breaching_periods"], "{name}");
    }
    for e in r["errors"].as_array().unwrap() {
        let message = e["message"].as_str().unwrap();
        let expected = if e["file"].as_str().unwrap().contains("denied") {
            "AccessDenied"
        } else {
            "reading the body failed"
        };
        assert!(message.contains(expected), "{message}");
    }
    let mut errors: Vec<String> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["file"].as_str().unwrap().to_string())
        .collect();
    errors.sort();
    assert_eq!(
        errors,
        [
            format!("s3://{bucket}/exports/cut-large.jsonl"),
            format!("s3://{bucket}/exports/cut-small.jsonl"),
            format!("s3://{bucket}/exports/denied-large.jsonl"),
        ],
        "{r}"
    );
}
