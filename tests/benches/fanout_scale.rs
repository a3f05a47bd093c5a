//! `check --accounts all` over 1,000 simulated accounts, each request answered after an injected
//! latency (default 100 ms): wall time, peak memory, requests per account. Run with
//! `cargo bench --bench fanout_scale` (`BENCH_ACCOUNTS`, `BENCH_LATENCY_MS`,
//! `BENCH_CONCURRENCY`); figures and method in docs/benchmarks.md. Not a test.
//!
//! The accounts live in a small AWS endpoint of this file, over HTTP, that the real binary and
//! its real SDK clients talk to: STS (GetCallerIdentity, AssumeRole), Organizations
//! (DescribeOrganization, ListAccounts in pages of 20 as AWS pages it), and every read of a check
//! answered as an empty account answers it (S3 and IAM and SNS "not found", empty lists from
//! CloudWatch Logs, CloudTrail and CloudWatch). Every account is thus "everything missing":
//! the same requests as a single-account check of an empty account.

#![allow(clippy::print_stdout)] // prints its results

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const MANAGEMENT: &str = "900000000000";

struct Fake {
    accounts: usize,
    latency: Duration,
    requests: Mutex<HashMap<String, u64>>,
    in_flight: AtomicU64,
    max_in_flight: AtomicU64,
}

fn account_id(i: usize) -> String {
    format!("{:012}", 100_000_000_000u64 + i as u64)
}

fn start(fake: Arc<Fake>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let fake = fake.clone();
            std::thread::spawn(move || serve(stream, &fake));
        }
    });
    endpoint
}

fn read_request(
    stream: &mut TcpStream,
) -> Option<(String, String, HashMap<String, String>, String)> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return None,
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, target) = (first.next()?.to_string(), first.next()?.to_string());
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).ok()?;
    Some((
        method,
        target,
        headers,
        String::from_utf8_lossy(&body).into_owned(),
    ))
}

fn serve(mut stream: TcpStream, fake: &Fake) {
    // Keep-alive: the SDK reuses connections.
    while let Some((method, target, headers, body)) = read_request(&mut stream) {
        let now = fake.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        fake.max_in_flight.fetch_max(now, Ordering::SeqCst);
        std::thread::sleep(fake.latency);
        let auth = headers.get("authorization").cloned().unwrap_or_default();
        let key = auth
            .split("Credential=")
            .nth(1)
            .and_then(|c| c.split('/').next())
            .unwrap_or_default()
            .to_string();
        let service = auth
            .split("Credential=")
            .nth(1)
            .and_then(|c| c.split('/').nth(3))
            .unwrap_or_default()
            .to_string();
        let account = match key.strip_prefix("ASIA") {
            Some(rest) => rest.chars().take(12).collect(),
            None => MANAGEMENT.to_string(),
        };
        *fake
            .requests
            .lock()
            .unwrap()
            .entry(account.clone())
            .or_default() += 1;
        let (status, content_type, payload) =
            answer(fake, &service, &method, &target, &headers, &body, &account);
        let extra = if content_type == "application/cbor" {
            "smithy-protocol: rpc-v2-cbor\r\n"
        } else {
            ""
        };
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n{extra}Content-Length: {}\r\nx-amzn-requestid: bench\r\n\r\n",
            if method == "HEAD" { 0 } else { payload.len() }
        );
        fake.in_flight.fetch_sub(1, Ordering::SeqCst);
        if stream.write_all(head.as_bytes()).is_err() {
            return;
        }
        if method != "HEAD" && stream.write_all(&payload).is_err() {
            return;
        }
    }
}

fn xml_error(status: &'static str, code: &str) -> (&'static str, &'static str, Vec<u8>) {
    (
        status,
        "text/xml",
        format!("<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>not found</Message></Error><RequestId>bench</RequestId></ErrorResponse>").into_bytes(),
    )
}

fn json(status: &'static str, body: String) -> (&'static str, &'static str, Vec<u8>) {
    (status, "application/x-amz-json-1.1", body.into_bytes())
}

fn answer(
    fake: &Fake,
    service: &str,
    method: &str,
    target: &str,
    headers: &HashMap<String, String>,
    body: &str,
    account: &str,
) -> (&'static str, &'static str, Vec<u8>) {
    let action = body
        .split('&')
        .find_map(|p| p.strip_prefix("Action="))
        .unwrap_or_default();
    let op = headers
        .get("x-amz-target")
        .and_then(|t| t.rsplit('.').next())
        .unwrap_or_default();
    match service {
        "sts" if action == "AssumeRole" => {
            let arn = body
                .split('&')
                .find_map(|p| p.strip_prefix("RoleArn="))
                .unwrap_or_default()
                .replace("%3A", ":");
            let target_account = arn.split(':').nth(4).unwrap_or_default().to_string();
            (
                "200 OK",
                "text/xml",
                format!("<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult><Credentials><AccessKeyId>ASIA{target_account}AAAA</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>token</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROABENCH:trailwarden</AssumedRoleId><Arn>arn:aws:sts::{target_account}:assumed-role/OrganizationAccountAccessRole/trailwarden</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>bench</RequestId></ResponseMetadata></AssumeRoleResponse>").into_bytes(),
            )
        }
        "sts" => (
            "200 OK",
            "text/xml",
            format!("<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::{account}:user/bench</Arn><UserId>AIDABENCH</UserId><Account>{account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>bench</RequestId></ResponseMetadata></GetCallerIdentityResponse>").into_bytes(),
        ),
        "organizations" if op == "DescribeOrganization" => json(
            "200 OK",
            format!("{{\"Organization\":{{\"Id\":\"o-bench00000\",\"MasterAccountId\":\"{MANAGEMENT}\"}}}}"),
        ),
        "organizations" => {
            // ListAccounts: 20 per page, as AWS pages it.
            let start: usize = body
                .split("\"NextToken\":\"")
                .nth(1)
                .and_then(|t| t.split('"').next())
                .and_then(|t| t.parse().ok())
                .unwrap_or(0);
            let end = (start + 20).min(fake.accounts);
            let accounts: Vec<String> = (start..end)
                .map(|i| {
                    format!(
                        "{{\"Id\":\"{}\",\"Name\":\"a{i}\",\"Status\":\"ACTIVE\"}}",
                        account_id(i)
                    )
                })
                .collect();
            let next = if end < fake.accounts {
                format!(",\"NextToken\":\"{end}\"")
            } else {
                String::new()
            };
            json("200 OK", format!("{{\"Accounts\":[{}]{next}}}", accounts.join(",")))
        }
        "s3" if method == "HEAD" => ("404 Not Found", "application/xml", Vec::new()),
        "s3" => (
            "404 Not Found",
            "application/xml",
            format!("<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><BucketName>{target}</BucketName><RequestId>bench</RequestId></Error>").into_bytes(),
        ),
        "iam" => xml_error("404 Not Found", "NoSuchEntity"),
        "sns" => xml_error("404 Not Found", "NotFound"),
        "logs" => match op {
            "DescribeLogGroups" => json("200 OK", "{\"logGroups\":[]}".into()),
            "DescribeMetricFilters" => json("200 OK", "{\"metricFilters\":[]}".into()),
            _ => json("200 OK", "{}".into()),
        },
        "cloudtrail" => match op {
            "DescribeTrails" => json("200 OK", "{\"trailList\":[]}".into()),
            _ => json(
                "400 Bad Request",
                "{\"__type\":\"TrailNotFoundException\",\"message\":\"Unknown trail\"}".into(),
            ),
        },
        // CloudWatch, Smithy RPC v2 CBOR: DescribeAlarms of names that do not exist is an empty
        // map (0xA0).
        "monitoring" => ("200 OK", "application/cbor", vec![0xA0]),
        other => json(
            "400 Bad Request",
            format!("{{\"__type\":\"UnknownOperation\",\"message\":\"{other} {op}{action}\"}}"),
        ),
    }
}

/// Peak resident set of the child processes waited for (getrusage RUSAGE_CHILDREN), in KiB.
fn children_max_rss_kib() -> i64 {
    let mut usage = Rusage {
        times: [0; 4],
        max_rss: 0,
        rest: [0; 14],
    };
    // SAFETY: getrusage(RUSAGE_CHILDREN = -1) fills the struct it is given, laid out as Linux's
    // struct rusage on 64-bit targets (two timevals, then 14 longs of which ru_maxrss is first).
    unsafe { getrusage(-1, &mut usage) };
    usage.max_rss
}

#[repr(C)]
struct Rusage {
    times: [i64; 4],
    max_rss: i64,
    rest: [i64; 14],
}

extern "C" {
    fn getrusage(who: i32, usage: *mut Rusage) -> i32;
}

fn trailwarden(endpoint: &str, key: &str, args: &[&str]) -> (i32, String, String, Duration) {
    let dir = std::env::temp_dir();
    let started = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_trailwarden"))
        .args(args)
        .current_dir(&dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &dir)
        .env("AWS_ACCESS_KEY_ID", key)
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", dir.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("no-aws-credentials"),
        )
        .env("TRAILWARDEN_SETTLE", "0")
        .output()
        .expect("run trailwarden");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        started.elapsed(),
    )
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let accounts = env("BENCH_ACCOUNTS", 1000) as usize;
    let latency = Duration::from_millis(env("BENCH_LATENCY_MS", 100));
    let concurrency = env("BENCH_CONCURRENCY", 16).to_string();
    let fake = Arc::new(Fake {
        accounts,
        latency,
        requests: Mutex::default(),
        in_flight: AtomicU64::new(0),
        max_in_flight: AtomicU64::new(0),
    });
    let endpoint = start(fake.clone());
    let email = "security@example.com";

    // One account checked alone, with its own credentials: the single-account figure.
    let single_key = format!("ASIA{}AAAA", account_id(0));
    let (code, out, err, single_wall) = trailwarden(
        &endpoint,
        &single_key,
        &["check", "--email", email, "--output", "json"],
    );
    assert_eq!(code, 2, "{out}\n{err}");
    let single: serde_json::Value = serde_json::from_str(&out).unwrap();
    let single_requests = single["requests"].as_u64().unwrap();
    fake.requests.lock().unwrap().clear();

    let (code, out, err, wall) = trailwarden(
        &endpoint,
        "AKIABENCHMANAGEMENT0",
        &[
            "check",
            "--accounts",
            "all",
            "--email",
            email,
            "--output",
            "json",
            "--concurrency",
            &concurrency,
        ],
    );
    let rss = children_max_rss_kib();
    assert_eq!(code, 2, "{}\n{err}", &out[..out.len().min(2000)]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let seen = fake.requests.lock().unwrap().clone();
    let members: Vec<u64> = (0..accounts)
        .map(|i| seen.get(&account_id(i)).copied().unwrap_or(0))
        .collect();
    let management = seen.get(MANAGEMENT).copied().unwrap_or(0);
    println!(
        "{accounts} simulated accounts, {} ms per request, concurrency {concurrency}",
        latency.as_millis()
    );
    println!("| accounts | wall s | peak RSS MiB | single-account check (requests, wall s) | requests per account as seen by the endpoint | management-account requests | most requests in flight |");
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| {accounts} | {:.1} | {:.0} | {single_requests}, {:.2} | {}–{} | {management} | {} |",
        wall.as_secs_f64(),
        rss as f64 / 1024.0,
        single_wall.as_secs_f64(),
        members.iter().min().unwrap(),
        members.iter().max().unwrap(),
        fake.max_in_flight.load(Ordering::SeqCst)
    );
    println!("summary {}", report["summary"]);
}
