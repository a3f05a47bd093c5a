//! Requests and wall time of `apply` (fresh and no-op) and `check` against the local emulator,
//! for the aws-docs and cis presets. Run with `cargo bench --bench chain`; figures and method
//! are recorded in docs/benchmarks.md. Not a test: nothing here asserts a time.

#![allow(clippy::print_stdout)] // prints its results

#[path = "../common/mod.rs"]
mod common;

use common::{unique_account, Emulator};
use std::time::Duration;

fn run(account: &str, args: &[&str]) -> (Duration, serde_json::Value) {
    let mut args = args.to_vec();
    args.extend(["--output", "json"]);
    let out = common::trailwarden(account, &args);
    assert!(out.code == 0, "{args:?} failed: {}", out.stderr);
    (out.elapsed, out.json())
}

struct Sample {
    wall: Vec<Duration>,
    requests: Vec<u64>,
    writes: Vec<u64>,
}

impl Sample {
    fn new() -> Self {
        Sample {
            wall: vec![],
            requests: vec![],
            writes: vec![],
        }
    }
    fn line(&mut self, what: &str) -> String {
        self.wall.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let n = self.wall.len();
        format!(
            "| {what} | {} | {} | {:.0} | {:.0} | {:.0} |",
            self.requests.iter().max().unwrap_or(&0),
            self.writes.iter().max().unwrap_or(&0),
            ms(self.wall[0]),
            ms(self.wall[n / 2]),
            ms(self.wall[n - 1]),
        )
    }
}

fn main() {
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let emu = Emulator::shared();
    println!("{runs} runs each, fresh emulator account per run; requests = HTTP requests the emulator received for the account\n");
    println!("| preset / command | requests | writes | min ms | median ms | max ms |");
    println!("|---|---|---|---|---|---|");
    for preset in ["aws-docs", "cis"] {
        let (mut fresh, mut noop, mut check) = (Sample::new(), Sample::new(), Sample::new());
        for _ in 0..runs {
            let account = unique_account();
            let base = ["--preset", preset, "--email", "security@example.com"];
            let count = |account: &str| {
                let r = emu.requests_for_account(account);
                let w = r
                    .iter()
                    .filter(|x| !common::is_read_only(x["operation"].as_str().unwrap_or("")))
                    .count();
                (r.len() as u64, w as u64)
            };
            let mut args = vec!["apply", "--yes"];
            args.extend(base);
            let (t, _) = run(&account, &args);
            let (r1, w1) = count(&account);
            fresh.wall.push(t);
            fresh.requests.push(r1);
            fresh.writes.push(w1);
            let (t, _) = run(&account, &args);
            let (r2, w2) = count(&account);
            noop.wall.push(t);
            noop.requests.push(r2 - r1);
            noop.writes.push(w2 - w1);
            let mut cargs = vec!["check"];
            cargs.extend(base);
            let (t, json) = run(&account, &cargs);
            let (r3, w3) = count(&account);
            assert_eq!(json["in_sync"], true);
            check.wall.push(t);
            check.requests.push(r3 - r2);
            check.writes.push(w3 - w2);
        }
        println!("{}", fresh.line(&format!("{preset}: fresh apply")));
        println!("{}", noop.line(&format!("{preset}: no-op apply")));
        println!("{}", check.line(&format!("{preset}: check (in sync)")));
    }
}
