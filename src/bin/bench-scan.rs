//! Measures the scan engine's throughput on generated CloudTrail data, and compares with jq
//! evaluating the same filters. See docs/benchmarks.md ("scan") for the method.
//!
//! `cargo build --release --bins && target/release/bench-scan --gb 1 --jobs 1 --jq`
//!
//! Generates (once, into `--data`) the same events as plain `.json` and as `.json.gz` with the
//! sibling `gen-cloudtrail` binary, reads every file once to warm the page cache, then times:
//! the scan of the plain files, the scan of the gzip files, gzip decompression alone (the
//! bound for gzip input), and optionally jq on the plain files. Prints a Markdown table.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Instant;

use clap::Parser;

use trailwarden::scan::engine::{Counters, Engine, Item, Outcome, Settings};
use trailwarden::scan::ControlSpec;

#[derive(Debug, Parser)]
#[command(
    name = "bench-scan",
    about = "Throughput of `trailwarden scan` on generated data"
)]
struct Args {
    /// Where the generated data lives (reused when present)
    #[arg(long, default_value = "target/bench-scan-data")]
    data: PathBuf,
    /// Approximate uncompressed size to generate, in GB
    #[arg(long, default_value_t = 1.0)]
    gb: f64,
    /// Worker threads
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// Preset whose filters are evaluated
    #[arg(long, default_value = "aws-docs")]
    preset: String,
    /// Timed runs of each measurement (the best is reported)
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Also time jq (aws-docs only) on the plain files
    #[arg(long)]
    jq: bool,
}

/// Average size of a generated record, to turn `--gb` into an event count.
const RECORD_BYTES: f64 = 1350.0;

fn main() {
    let args = Args::parse();
    if let Err(e) = run(&args) {
        eprintln!("bench-scan: {e}");
        std::process::exit(1);
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn generate(dir: &Path, events: u64, gzip: bool) -> Result<(), String> {
    if dir.join("done").exists() {
        return Ok(());
    }
    let _ = std::fs::remove_dir_all(dir);
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let gen = exe.with_file_name("gen-cloudtrail");
    let mut cmd = Command::new(&gen);
    cmd.arg("--out")
        .arg(dir)
        .args([
            "--events",
            &events.to_string(),
            "--hours",
            "24",
            "--seed",
            "42",
        ])
        .args(["--root", "25", "--console-nomfa", "40"]);
    if gzip {
        cmd.arg("--gzip");
    }
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {}: {e}", gen.display()))?;
    if !status.success() {
        return Err("gen-cloudtrail failed".into());
    }
    std::fs::write(dir.join("done"), b"").map_err(|e| e.to_string())
}

fn specs(preset: &str) -> Result<Vec<ControlSpec>, String> {
    let mut d = trailwarden::diag::Diagnostics::default();
    let p = trailwarden::preset::load(preset, &mut d).ok_or(format!("no preset {preset}"))?;
    Ok(p.controls
        .iter()
        .map(|c| ControlSpec {
            id: c.control.id.clone(),
            preset: p.name.clone(),
            filter_name: c.control.filter_name.clone(),
            pattern: c.control.pattern.clone(),
            alarm: c.resolved_alarm.clone(),
        })
        .collect())
}

fn scan(engine: &Engine, files: &[PathBuf]) -> (Outcome, f64) {
    let queue = Mutex::new(files.to_vec());
    let sink: Mutex<Box<dyn Write + Send>> = Mutex::new(Box::new(std::io::sink()));
    let started = Instant::now();
    let o = engine.run(
        &|| queue.lock().ok()?.pop().map(Item::Path),
        &Counters::default(),
        &sink,
    );
    (o, started.elapsed().as_secs_f64())
}

fn best<T>(runs: usize, mut f: impl FnMut() -> (T, f64)) -> (T, f64) {
    let mut result = f();
    for _ in 1..runs {
        let r = f();
        if r.1 < result.1 {
            result = r;
        }
    }
    result
}

fn gbps(bytes: u64, secs: f64) -> f64 {
    bytes as f64 / secs / 1e9
}

/// jq evaluating the aws-docs filters with CloudWatch Logs' semantics (`!=` needs the field).
const JQ_PROGRAM: &str = r#"reduce (inputs | .Records[]) as $r ([0, 0, 0, 0];
  [ .[0] + 1,
    .[1] + (if ($r.userIdentity.type == "Root")
              and ($r.userIdentity | has("invokedBy") | not)
              and ($r.eventType != null and $r.eventType != "AwsServiceEvent")
            then 1 else 0 end),
    .[2] + (if ($r.userIdentity.sessionContext.attributes.mfaAuthenticated
                | . != null and . != "true")
            then 1 else 0 end),
    .[3] + (if $r.eventName == "ConsoleLogin" and $r.additionalEventData.MFAUsed == "No"
            then 1 else 0 end) ])"#;

fn run(args: &Args) -> Result<(), String> {
    let events = (args.gb * 1e9 / RECORD_BYTES) as u64;
    let plain_dir = args.data.join("plain");
    let gz_dir = args.data.join("gz");
    eprintln!(
        "generating {events} events (plain and gzip) under {}",
        args.data.display()
    );
    generate(&plain_dir, events, false)?;
    generate(&gz_dir, events, true)?;
    let strip = |v: Vec<PathBuf>| -> Vec<PathBuf> {
        v.into_iter()
            .filter(|p| p.file_name().is_some_and(|n| n != "done"))
            .collect()
    };
    let plain = strip(files_under(&plain_dir));
    let gz = strip(files_under(&gz_dir));
    // Warm the page cache.
    let mut warm = 0u64;
    for f in plain.iter().chain(&gz) {
        warm += std::fs::read(f).map_err(|e| e.to_string())?.len() as u64;
    }
    eprintln!(
        "{} + {} files, {:.2} GB read to warm the cache",
        plain.len(),
        gz.len(),
        warm as f64 / 1e9
    );

    let engine = Engine::new(
        specs(&args.preset)?,
        Settings {
            jobs: args.jobs,
            ..Settings::default()
        },
    )?;
    let (o_plain, t_plain) = best(args.runs, || scan(&engine, &plain));
    let (o_gz, t_gz) = best(args.runs, || scan(&engine, &gz));
    if !o_plain.errors.is_empty() || !o_gz.errors.is_empty() {
        return Err(format!("errors: {:?} {:?}", o_plain.errors, o_gz.errors));
    }
    let counts = |o: &Outcome| o.stats.iter().map(|s| s.matches).collect::<Vec<_>>();
    if counts(&o_plain) != counts(&o_gz) || o_plain.totals.events != o_gz.totals.events {
        return Err("plain and gzip results differ".into());
    }
    // Decompression alone, same thread count.
    let (_, t_inflate) = best(args.runs, || {
        let queue = Mutex::new(gz.clone());
        let started = Instant::now();
        std::thread::scope(|s| {
            for _ in 0..args.jobs.max(1) {
                s.spawn(|| {
                    let mut buf = vec![0u8; 1 << 20];
                    while let Some(p) = queue.lock().ok().and_then(|mut q| q.pop()) {
                        let Ok(f) = std::fs::File::open(&p) else {
                            continue;
                        };
                        let mut d = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(f));
                        while matches!(d.read(&mut buf), Ok(n) if n > 0) {}
                    }
                });
            }
        });
        ((), started.elapsed().as_secs_f64())
    });
    let bytes = o_plain.totals.bytes;
    let gz_bytes = o_gz.totals.input_bytes;
    println!(
        "| measurement ({} job(s), preset {}) | time | throughput (uncompressed) |",
        args.jobs, args.preset
    );
    println!("|---|---:|---:|");
    println!(
        "| scan, plain `.json` ({:.2} GB, {} events, {} files) | {:.2} s | {:.2} GB/s |",
        bytes as f64 / 1e9,
        o_plain.totals.events,
        o_plain.totals.files,
        t_plain,
        gbps(bytes, t_plain)
    );
    println!(
        "| scan, `.json.gz` ({:.2} GB compressed) | {:.2} s | {:.2} GB/s |",
        gz_bytes as f64 / 1e9,
        t_gz,
        gbps(bytes, t_gz)
    );
    println!(
        "| gzip decompression alone | {:.2} s | {:.2} GB/s |",
        t_inflate,
        gbps(bytes, t_inflate)
    );
    if args.jq {
        let program = JQ_PROGRAM;
        let started = Instant::now();
        let out = Command::new("jq")
            .args(["-n", "-c", program])
            .args(&plain)
            .output()
            .map_err(|e| format!("cannot run jq: {e}"))?;
        let t_jq = started.elapsed().as_secs_f64();
        if !out.status.success() {
            return Err(format!(
                "jq failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let jq_counts: Vec<u64> = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
        let mut ours = vec![o_plain.totals.events];
        ours.extend(counts(&o_plain));
        let agree = if args.preset == "aws-docs" {
            if jq_counts == ours {
                "same counts".to_string()
            } else {
                format!("counts differ: jq {jq_counts:?}, scan {ours:?}")
            }
        } else {
            "jq evaluates the aws-docs filters only".to_string()
        };
        println!(
            "| jq 1 process, same filters, plain files ({agree}) | {:.2} s | {:.3} GB/s |",
            t_jq,
            gbps(bytes, t_jq)
        );
        println!();
        println!(
            "scan vs jq: {:.0}x faster (plain; {} job(s) for scan, jq is single-threaded)",
            t_jq / t_plain,
            args.jobs
        );
    }
    println!();
    println!(
        "matches: {}",
        engine
            .controls
            .iter()
            .zip(&o_plain.stats)
            .map(|(c, s)| format!("{} {}", c.spec.filter_name, s.matches))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}
