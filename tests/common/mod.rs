//! Shared helpers for integration tests that talk to the local AWS emulator
//! (moto behind `tests/emulator/server.py`; see `tests/emulator/README.md`).
//!
//! ```ignore
//! mod common;
//! use common::{unique_account, Emulator};
//!
//! #[tokio::test]
//! async fn something() {
//!     let emu = Emulator::shared();
//!     let account = unique_account();
//!     let cfg = emu.sdk_config(&account, "us-east-1").await;
//!     let sns = aws_sdk_sns::Client::new(&cfg);
//!     let s3 = common::s3_client(&cfg);
//!     // ... exercise code under test ...
//!     let writes = emu.write_requests_for_account(&account);
//! }
//! ```
//!
//! Account isolation: every 12-digit account gets its own, empty moto state.
//! The emulator maps an access key id of the form `TWEM<account>AAAA` onto that
//! account, so a config from [`Emulator::sdk_config`] with a fresh
//! [`unique_account`] sees nothing created by other tests, even on the shared
//! server. Requests are logged with their account too, so request counting
//! stays exact while other tests run in parallel.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long a freshly spawned server may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Timeout for one harness HTTP exchange.
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Region used when a test does not care.
pub(crate) const DEFAULT_REGION: &str = "us-east-1";
/// Secret key paired with every emulator access key (moto does not check signatures).
pub(crate) const SECRET_ACCESS_KEY: &str = "trailwarden-emulator-secret";

/// A running emulator process.
pub(crate) struct Emulator {
    /// `http://127.0.0.1:<port>`, to be used as the SDK `endpoint_url`.
    pub endpoint: String,
    pub port: u16,
    /// Where the server's stdout/stderr go; shown when start-up fails. Removed
    /// when the server stops.
    pub log_file: PathBuf,
    child: Mutex<Option<Child>>,
}

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `tests/emulator/ensure-venv.sh` once per test process and returns the
/// venv's python.
pub(crate) fn venv_python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let script = repo_root().join("tests/emulator/ensure-venv.sh");
        let out = Command::new("bash")
            .arg(&script)
            .current_dir(repo_root())
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        if !out.status.success() {
            panic!(
                "{} failed ({}):\n{}{}",
                script.display(),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let printed = String::from_utf8_lossy(&out.stdout);
        let python = printed
            .lines()
            .last()
            .map(|l| PathBuf::from(l.trim()))
            .filter(|p| p.is_file())
            .unwrap_or_else(|| repo_root().join(".venv-emulator/bin/python"));
        assert!(python.is_file(), "no python at {}", python.display());
        python
    })
}

fn scratch_path(kind: &str) -> PathBuf {
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!(
        "trailwarden-emulator-{}-{}.{}",
        std::process::id(),
        n,
        kind
    ))
}

impl Emulator {
    /// Starts a private emulator; it is stopped when the value is dropped (and,
    /// failing that, when this test process exits).
    pub(crate) fn start() -> Emulator {
        let python = venv_python();
        let port_file = scratch_path("port");
        let log_file = scratch_path("log");
        let _ = std::fs::remove_file(&port_file);
        let log = std::fs::File::create(&log_file)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", log_file.display()));
        let log2 = log.try_clone().expect("clone log handle");
        let started = Instant::now();
        let mut child = Command::new(python)
            .arg(repo_root().join("tests/emulator/server.py"))
            .args(["--port", "0", "--port-file"])
            .arg(&port_file)
            .args(["--parent-pid", &std::process::id().to_string()])
            .arg("--cleanup-file")
            .arg(&log_file)
            .current_dir(repo_root())
            .env_remove("MOTO_ACCOUNT_ID")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot spawn emulator with {}: {e}", python.display()));

        let fail = |child: &mut Child, why: String| -> ! {
            let _ = child.kill();
            let _ = child.wait();
            let output = std::fs::read_to_string(&log_file).unwrap_or_default();
            panic!(
                "emulator did not start: {why}\n--- {} ---\n{output}",
                log_file.display()
            );
        };

        let port = loop {
            if let Ok(text) = std::fs::read_to_string(&port_file) {
                if let Ok(port) = text.trim().parse::<u16>() {
                    break port;
                }
            }
            if let Ok(Some(status)) = child.try_wait() {
                fail(&mut child, format!("server exited with {status}"));
            }
            if started.elapsed() > START_TIMEOUT {
                fail(&mut child, format!("no port file after {START_TIMEOUT:?}"));
            }
            std::thread::sleep(Duration::from_millis(25));
        };
        let _ = std::fs::remove_file(&port_file);

        loop {
            if TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(1))
                .is_ok()
            {
                break;
            }
            if started.elapsed() > START_TIMEOUT {
                fail(
                    &mut child,
                    format!("port {port} not accepting connections after {START_TIMEOUT:?}"),
                );
            }
            std::thread::sleep(Duration::from_millis(25));
        }

        Emulator {
            endpoint: format!("http://127.0.0.1:{port}"),
            port,
            log_file,
            child: Mutex::new(Some(child)),
        }
    }

    /// One emulator per test binary, started on first use. It is never
    /// dropped; the server notices that this process is gone and exits.
    pub(crate) fn shared() -> &'static Emulator {
        static SHARED: OnceLock<Emulator> = OnceLock::new();
        SHARED.get_or_init(Emulator::start)
    }

    /// Stops the server now (also done on drop).
    pub(crate) fn stop(&self) {
        if let Some(mut child) = self.child.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SDK configuration pointing at this emulator, with credentials that
    /// select `account` (see the module docs) and the given region.
    pub(crate) async fn sdk_config(&self, account: &str, region: &str) -> aws_config::SdkConfig {
        let credentials = aws_sdk_sts::config::Credentials::new(
            access_key_for(account),
            SECRET_ACCESS_KEY,
            None,
            None,
            "trailwarden-emulator",
        );
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_string()))
            .endpoint_url(&self.endpoint)
            .credentials_provider(credentials)
            .load()
            .await
    }

    /// Every AWS request the server has seen since start (or the last
    /// [`reset_requests`](Self::reset_requests)), oldest first. Each entry has
    /// `service`, `operation`, `method`, `account` and `region`.
    pub(crate) fn requests(&self) -> Vec<serde_json::Value> {
        let body = self.http("GET", "/_harness/requests");
        match serde_json::from_str::<serde_json::Value>(&body) {
            Ok(serde_json::Value::Array(items)) => items,
            other => panic!("unexpected /_harness/requests answer: {other:?} ({body})"),
        }
    }

    /// Requests made with `account`'s credentials. Prefer this to
    /// `reset_requests` on the shared server, where tests run in parallel.
    pub(crate) fn requests_for_account(&self, account: &str) -> Vec<serde_json::Value> {
        self.requests()
            .into_iter()
            .filter(|r| r["account"].as_str() == Some(account))
            .collect()
    }

    /// Requests by `account` whose operation may change state (see [`is_read_only`]).
    pub(crate) fn write_requests_for_account(&self, account: &str) -> Vec<serde_json::Value> {
        self.requests_for_account(account)
            .into_iter()
            .filter(|r| !is_read_only(r["operation"].as_str().unwrap_or("")))
            .collect()
    }

    /// Forgets the request log (for every account).
    pub(crate) fn reset_requests(&self) {
        self.http("POST", "/_harness/requests/reset");
    }

    /// Wipes all emulated AWS state (every account). The request log is kept.
    pub(crate) fn reset(&self) {
        self.http("POST", "/moto-api/reset");
    }

    /// Sets `account`'s fault switches (see tests/emulator/README.md, "Faults"): e.g.
    /// `{"s3_not_yet_created": 2}` or `{"lost_responses": ["iam:CreateRole"]}`. Other accounts
    /// are not affected, so tests on the shared server stay isolated.
    pub(crate) fn set_faults(&self, account: &str, settings: serde_json::Value) {
        let mut body = settings;
        body["account"] = serde_json::Value::String(account.to_string());
        self.http_body("POST", "/_harness/faults", &body.to_string());
    }

    /// What the emulator reports of `account`'s faults (settings, what was answered).
    pub(crate) fn faults(&self, account: &str) -> serde_json::Value {
        let text = self.http("GET", &format!("/_harness/faults?account={account}"));
        let all: serde_json::Value = serde_json::from_str(&text).expect("faults JSON");
        all[account].clone()
    }

    /// The messages moto recorded as published to `topic_arn`, oldest first, as
    /// `{"message_id", "message", "subject"}` (read back through moto's own API,
    /// `/moto-api/data.json`, which lists every SNS topic's `sent_notifications`). A message is
    /// recorded once the topic accepted it, whoever its subscribers are.
    pub(crate) fn published(&self, topic_arn: &str) -> Vec<serde_json::Value> {
        let text = self.http("GET", "/moto-api/data.json");
        let all: serde_json::Value = serde_json::from_str(&text).expect("moto data JSON");
        let topics = all["sns"]["Topic"].as_array().cloned().unwrap_or_default();
        topics
            .iter()
            .filter(|t| t["arn"] == topic_arn)
            .flat_map(|t| {
                t["sent_notifications"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .map(|n| {
                serde_json::json!({
                    "message_id": n[0],
                    "message": n[1],
                    "subject": n[2],
                })
            })
            .collect()
    }

    /// Authorizes Slack workspaces and Microsoft Teams teams (`(tenant, team)`) for AWS Chatbot in
    /// `account`: the console's one-time step (tests/emulator/chatbot.py).
    pub(crate) fn authorize_chat(&self, account: &str, slack: &[&str], teams: &[(&str, &str)]) {
        let teams: Vec<serde_json::Value> = teams
            .iter()
            .map(|(tenant, team)| serde_json::json!({"tenant_id": tenant, "team_id": team}))
            .collect();
        let body = serde_json::json!({"account": account, "slack": slack, "teams": teams});
        self.http_body("POST", "/_harness/chatbot", &body.to_string());
    }

    /// Minimal HTTP/1.1 exchange with the server; panics unless it answers 2xx.
    fn http(&self, method: &str, path: &str) -> String {
        self.http_body(method, path, "")
    }

    fn http_body(&self, method: &str, path: &str, body: &str) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))
            .unwrap_or_else(|e| panic!("cannot connect to emulator at {}: {e}", self.endpoint));
        stream.set_read_timeout(Some(HTTP_TIMEOUT)).ok();
        stream.set_write_timeout(Some(HTTP_TIMEOUT)).ok();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        );
        stream
            .write_all(request.as_bytes())
            .expect("send harness request");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("read harness response");
        let _ = stream.shutdown(Shutdown::Both);
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("malformed HTTP response to {method} {path}: {text:?}"));
        let status_ok = head
            .split_whitespace()
            .nth(1)
            .is_some_and(|code| code.starts_with('2'));
        assert!(status_ok, "{method} {path} failed: {head}\n{body}");
        if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            return dechunk(body);
        }
        body.to_string()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_file(&self.log_file);
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size =
            usize::from_str_radix(size.split(';').next().unwrap_or("0").trim(), 16).unwrap_or(0);
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// A fresh 12-digit account id, different on every call within this process
/// and (via the process id) from ones other test processes use.
pub(crate) fn unique_account() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed) % 1_000_000;
    format!("9{:05}{:06}", std::process::id() % 100_000, n)
}

/// The access key id that makes the emulator act as `account`.
pub(crate) fn access_key_for(account: &str) -> String {
    assert!(
        account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()),
        "account id must be 12 digits, got {account:?}"
    );
    format!("TWEM{account}AAAA")
}

/// Whether an operation name only reads state (Get*, Describe*, List*, Head*, ...).
pub(crate) fn is_read_only(operation: &str) -> bool {
    const READ_PREFIXES: [&str; 7] = [
        "Get", "Describe", "List", "Head", "Lookup", "Filter", "Test",
    ];
    READ_PREFIXES.iter().any(|p| operation.starts_with(p))
}

/// An S3 client for `cfg` using path-style addressing (the emulator has no
/// per-bucket host names).
pub(crate) fn s3_client(cfg: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(cfg)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// The bucket policy CloudTrail requires before it accepts a trail on `bucket` ("Amazon S3
/// bucket policy for CloudTrail"): GetBucketAcl on the bucket, PutObject under
/// `AWSLogs/ACCOUNT/`. The emulator refuses CreateTrail without it, as AWS does.
pub(crate) fn cloudtrail_bucket_policy(bucket: &str, account: &str) -> serde_json::Value {
    serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:GetBucketAcl", "Resource": format!("arn:aws:s3:::{bucket}")},
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": format!("arn:aws:s3:::{bucket}/AWSLogs/{account}/*"),
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}]})
}

/// A trust policy letting CloudTrail assume a role, with no condition ("Role policy document for
/// CloudTrail to use CloudWatch Logs for monitoring").
pub(crate) fn cloudtrail_trust_policy() -> serde_json::Value {
    serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
}

/// A trail made outside trailwarden: multi-region trail `legacy` writing to bucket
/// `legacy-ACCOUNT`, not logging. Returns the bucket name and a CloudTrail client.
pub(crate) async fn legacy_trail(
    cfg: &aws_config::SdkConfig,
    account: &str,
) -> (String, aws_sdk_cloudtrail::Client) {
    let bucket = format!("legacy-{account}");
    let s3 = s3_client(cfg);
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let policy = cloudtrail_bucket_policy(&bucket, account);
    s3.put_bucket_policy()
        .bucket(&bucket)
        .policy(policy.to_string())
        .send()
        .await
        .unwrap();
    let ct = aws_sdk_cloudtrail::Client::new(cfg);
    ct.create_trail()
        .name("legacy")
        .s3_bucket_name(&bucket)
        .is_multi_region_trail(true)
        .send()
        .await
        .unwrap();
    (bucket, ct)
}

/// What one run of the `trailwarden` binary printed, and its exit code.
pub(crate) struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// Runs the `trailwarden` binary as `account` against the shared emulator, with nothing from
/// the caller's AWS environment (no profile files, no instance metadata) and no stdin. The
/// emulator's reads never lag behind its writes, so the second read that rules out AWS's
/// read-after-write delay is off (`TRAILWARDEN_SETTLE=0`) unless a test sets it.
pub(crate) fn trailwarden(account: &str, args: &[&str]) -> Run {
    trailwarden_with(account, args, &[])
}

/// [`trailwarden`] with extra environment variables.
pub(crate) fn trailwarden_with(account: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let start = Instant::now();
    let out = command(account, args, env)
        .stdin(Stdio::null())
        .output()
        .expect("run trailwarden");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: start.elapsed(),
    }
}

/// [`trailwarden_with`], started and not waited for: stdout and stderr are piped.
pub(crate) fn spawn_trailwarden(
    account: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> std::process::Child {
    command(account, args, env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start trailwarden")
}

/// The `trailwarden` command as [`trailwarden`] runs it.
fn command(account: &str, args: &[&str], env: &[(&str, &str)]) -> Command {
    let emu = Emulator::shared();
    let dir = std::env::temp_dir();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trailwarden"));
    cmd.args(args)
        .current_dir(&dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &dir)
        .env("AWS_ACCESS_KEY_ID", access_key_for(account))
        .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
        .env("AWS_REGION", DEFAULT_REGION)
        .env("AWS_ENDPOINT_URL", &emu.endpoint)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", dir.join("trailwarden-no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("trailwarden-no-aws-credentials"),
        )
        .env("TRAILWARDEN_SETTLE", "0")
        .envs(env.iter().copied());
    cmd
}
