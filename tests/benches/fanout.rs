//! `check --accounts all` over an emulated organization: wall time, peak memory and requests per
//! account, against the single-account check. Run with `cargo bench --bench fanout`
//! (`BENCH_ACCOUNTS=N` member accounts, default 20; `BENCH_CONCURRENCY`, default 16); figures and
//! method in docs/benchmarks.md. Not a test: nothing here asserts a time.

#![allow(clippy::print_stdout)] // prints its results

#[path = "../common/mod.rs"]
mod common;

use common::{unique_account, Emulator};

const EMAIL: &str = "security@example.com";

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Peak resident set of the child processes waited for so far (getrusage RUSAGE_CHILDREN), in
/// KiB: the largest trailwarden process of the run, the fan-out's or an upper bound of it.
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

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let members = env("BENCH_ACCOUNTS", 20);
    let concurrency = env("BENCH_CONCURRENCY", 16).to_string();
    let emu = Emulator::shared();
    let management = unique_account();
    let cfg = emu.sdk_config(&management, "us-east-1").await;
    let orgs = aws_sdk_organizations::Client::new(&cfg);
    orgs.create_organization().send().await.unwrap();
    let mut ids = Vec::new();
    for i in 0..members {
        let out = orgs
            .create_account()
            .account_name(format!("member-{i}"))
            .email(format!("member-{i}@example.com"))
            .send()
            .await
            .unwrap();
        ids.push(
            out.create_account_status()
                .unwrap()
                .account_id()
                .unwrap()
                .to_string(),
        );
    }
    // Every member account in sync: the check is the in-sync single-account check in each.
    for id in &ids {
        let out = common::trailwarden(id, &["apply", "--email", EMAIL, "--yes"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    let single = common::trailwarden(&ids[0], &["check", "--email", EMAIL, "--output", "json"]);
    let single_requests = single.json()["requests"].as_u64().unwrap();

    let before: usize = ids
        .iter()
        .map(|id| emu.requests_for_account(id).len())
        .sum();
    let before_mgmt = emu.requests_for_account(&management).len();
    let out = common::trailwarden(
        &management,
        &[
            "check",
            "--accounts",
            "all",
            "--email",
            EMAIL,
            "--output",
            "json",
            "--concurrency",
            &concurrency,
        ],
    );
    let rss = children_max_rss_kib();
    let report = out.json();
    let after: usize = ids
        .iter()
        .map(|id| emu.requests_for_account(id).len())
        .sum();
    let mgmt = emu.requests_for_account(&management).len() - before_mgmt;
    let per_account: Vec<u64> = report["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["account_id"] != management.as_str())
        .map(|a| a["report"]["requests"].as_u64().unwrap_or(0))
        .collect();
    println!("| member accounts | concurrency | wall s | peak RSS of the runs (MiB) | single-account check | requests per member (report) | member requests seen by the emulator | management-account requests |");
    println!("|---|---|---|---|---|---|---|---|");
    println!(
        "| {members} | {concurrency} | {:.2} | {:.0} | {single_requests} | {}–{} | {} | {mgmt} |",
        out.elapsed.as_secs_f64(),
        rss as f64 / 1024.0,
        per_account.iter().min().unwrap(),
        per_account.iter().max().unwrap(),
        after - before,
    );
    println!("exit {}; summary {}", out.code, report["summary"]);
}
