//! Measures the scan engine's throughput on generated CloudTrail data, and compares with jq
//! evaluating the same filters. See docs/benchmarks.md ("scan") for the method.
//!
//! `cargo build --release --examples && target/release/examples/bench-scan --gb 1 --jobs 1 --jq`
//!
//! Generates (once, into `--data`) the same events as plain `.json` and as `.json.gz` with the
//! sibling `gen-cloudtrail` binary, reads every file once to warm the page cache, then times:
//! the scan of the plain files, the scan of the gzip files, gzip decompression alone (the
//! bound for gzip input), and optionally jq on the plain files. Prints a Markdown table.

#![allow(clippy::print_stdout)] // prints its results

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Instant;

use clap::Parser;

use trailwarden::scan::engine::{Counters, Engine, Item, Outcome, Settings, INFLATE_THREAD_MIN};
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
    /// Preset whose filters are evaluated (`none`: split records only)
    #[arg(long, default_value = "aws-docs")]
    preset: String,
    /// Timed runs of each measurement (the best is reported)
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Also time jq (aws-docs only) on the plain files
    #[arg(long)]
    jq: bool,
    /// The jq binary to time (its `--version` is printed with the figures)
    #[arg(long, default_value = "jq")]
    jq_bin: PathBuf,
    /// Read buffer per worker in KiB (0: the default)
    #[arg(long, default_value_t = 0)]
    buffer_kib: usize,
    /// Time the scan of the plain files only (for profiling)
    #[arg(long)]
    plain_only: bool,
    /// With --plain-only: load the files into memory first and time the scan of the
    /// in-memory copies (the engine's own cost, without the kernel's copy from the page cache)
    #[arg(long)]
    in_memory: bool,
    /// Also time one large gzip file of JSON lines (the same events): decompression on the
    /// scanning thread, on its own thread, and decompression alone
    #[arg(long)]
    single_file: bool,
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
    generate_as(dir, events, gzip, "cloudtrail")
}

fn generate_as(dir: &Path, events: u64, gzip: bool, format: &str) -> Result<(), String> {
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
        .args(["--root", "25", "--console-nomfa", "40"])
        .args(["--format", format]);
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
    if preset == "none" {
        // Record splitting and field projection only.
        return Ok(Vec::new());
    }
    let mut d = trailwarden::diag::Diagnostics::default();
    let p = trailwarden::preset::load(preset, &mut d).ok_or(format!("no preset {preset}"))?;
    Ok(ControlSpec::all_of(&p))
}

/// CPU seconds used so far by this process (user + system) and by its waited-for children,
/// from /proc (Linux); zero elsewhere.
fn cpu_seconds() -> (f64, f64) {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return (0.0, 0.0);
    };
    // Fields after the command name (which is in parentheses): state is field 3.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    // utime, stime, cutime, cstime are fields 14-17, i.e. indexes 11-14 after the name.
    let tick = 100.0;
    if f.len() < 15 {
        return (0.0, 0.0);
    }
    ((f[11] + f[12]) / tick, (f[13] + f[14]) / tick)
}

/// Wall and CPU seconds of one run.
#[derive(Clone, Copy)]
struct Timing {
    wall: f64,
    cpu: f64,
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Timing) {
    let (c0, k0) = cpu_seconds();
    let started = Instant::now();
    let r = f();
    let wall = started.elapsed().as_secs_f64();
    let (c1, k1) = cpu_seconds();
    (
        r,
        Timing {
            wall,
            cpu: (c1 - c0) + (k1 - k0),
        },
    )
}

/// One gzip file of JSON lines holding every generated event (made once, from the generator's
/// `lines` output).
fn single_file(data: &Path, events: u64) -> Result<PathBuf, String> {
    let big = data.join("single.jsonl.gz");
    if big.exists() {
        return Ok(big);
    }
    let lines = data.join("lines");
    generate_as(&lines, events, false, "lines")?;
    let tmp = data.join("single.jsonl.gz.tmp");
    let f = std::fs::File::create(&tmp).map_err(|e| e.to_string())?;
    let mut enc =
        flate2::write::GzEncoder::new(std::io::BufWriter::new(f), flate2::Compression::default());
    for p in files_under(&lines) {
        if p.file_name().is_some_and(|n| n == "done") {
            continue;
        }
        enc.write_all(&std::fs::read(&p).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    }
    enc.finish()
        .and_then(|mut w| w.flush())
        .map_err(|e| e.to_string())?;
    std::fs::rename(&tmp, &big).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_dir_all(&lines);
    Ok(big)
}

fn inflate_alone(files: &[PathBuf], jobs: usize) -> Timing {
    let queue = Mutex::new(files.to_vec());
    let ((), t) = timed(|| {
        std::thread::scope(|s| {
            for _ in 0..jobs.max(1) {
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
        })
    });
    t
}

fn scan(engine: &Engine, files: &[PathBuf]) -> (Outcome, Timing) {
    let queue = Mutex::new(files.to_vec());
    let sink: Mutex<Box<dyn Write + Send>> = Mutex::new(Box::new(std::io::sink()));
    timed(|| {
        engine.run(
            &|| queue.lock().ok()?.pop().map(Item::Path),
            &Counters::default(),
            &sink,
        )
    })
}

/// The run with the least CPU time (the least disturbed by other work on the machine).
fn best<T>(runs: usize, mut f: impl FnMut() -> (T, Timing)) -> (T, Timing) {
    let mut result = f();
    for _ in 1..runs {
        let r = f();
        if r.1.cpu < result.1.cpu || (r.1.cpu == result.1.cpu && r.1.wall < result.1.wall) {
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
            buffer: args.buffer_kib << 10,
            // As the command does.
            inflate_thread_min: (args.jobs >= 2).then_some(INFLATE_THREAD_MIN),
            ..Settings::default()
        },
    )?;
    if args.plain_only && args.in_memory {
        let loaded: Vec<(String, Vec<u8>)> = plain
            .iter()
            .map(|p| Ok((p.display().to_string(), std::fs::read(p)?)))
            .collect::<std::io::Result<_>>()
            .map_err(|e| e.to_string())?;
        let (o, t) = best(args.runs, || {
            let queue = Mutex::new(loaded.clone());
            let sink: Mutex<Box<dyn Write + Send>> = Mutex::new(Box::new(std::io::sink()));
            // The copies are made before the clock starts.
            timed(|| {
                engine.run(
                    &|| {
                        let (name, data) = queue.lock().ok()?.pop()?;
                        Some(Item::Bytes { name, data })
                    },
                    &Counters::default(),
                    &sink,
                )
            })
        });
        println!(
            "in memory: {:.2} s wall, {:.2} s CPU, {:.2} GB/s per CPU second",
            t.wall,
            t.cpu,
            gbps(o.totals.bytes, t.cpu)
        );
        return Ok(());
    }
    let (o_plain, t_plain) = best(args.runs, || scan(&engine, &plain));
    if args.plain_only {
        println!(
            "plain: {:.2} s wall, {:.2} s CPU, {:.2} GB/s per CPU second",
            t_plain.wall,
            t_plain.cpu,
            gbps(o_plain.totals.bytes, t_plain.cpu)
        );
        return Ok(());
    }
    let (o_gz, t_gz) = best(args.runs, || scan(&engine, &gz));
    if !o_plain.errors.is_empty() || !o_gz.errors.is_empty() {
        return Err(format!("errors: {:?} {:?}", o_plain.errors, o_gz.errors));
    }
    let counts = |o: &Outcome| o.stats.iter().map(|s| s.matches).collect::<Vec<_>>();
    if counts(&o_plain) != counts(&o_gz) || o_plain.totals.events != o_gz.totals.events {
        return Err("plain and gzip results differ".into());
    }
    // Decompression alone, same thread count.
    let (_, t_inflate) = best(args.runs, || ((), inflate_alone(&gz, args.jobs)));
    let bytes = o_plain.totals.bytes;
    let gz_bytes = o_gz.totals.input_bytes;
    println!(
        "| measurement ({} job(s), preset {}) | wall | CPU | GB/s (wall) | GB/s per CPU second |",
        args.jobs, args.preset
    );
    println!("|---|---:|---:|---:|---:|");
    let row = |what: String, t: Timing| {
        println!(
            "| {what} | {:.2} s | {:.2} s | {:.2} | {:.2} |",
            t.wall,
            t.cpu,
            gbps(bytes, t.wall),
            gbps(bytes, t.cpu)
        );
    };
    row(
        format!(
            "scan, plain `.json` ({:.2} GB, {} events, {} files)",
            bytes as f64 / 1e9,
            o_plain.totals.events,
            o_plain.totals.files
        ),
        t_plain,
    );
    row(
        format!(
            "scan, `.json.gz` ({:.2} GB compressed)",
            gz_bytes as f64 / 1e9
        ),
        t_gz,
    );
    row("gzip decompression alone".to_string(), t_inflate);
    if args.single_file {
        let big = single_file(&args.data, events)?;
        let _ = std::fs::read(&big).map_err(|e| e.to_string())?;
        let mut results = Vec::new();
        for inflate_thread_min in [None, Some(INFLATE_THREAD_MIN)] {
            let engine = Engine::new(
                specs(&args.preset)?,
                Settings {
                    jobs: args.jobs,
                    buffer: args.buffer_kib << 10,
                    inflate_thread_min,
                    ..Settings::default()
                },
            )?;
            let (o, t) = best(args.runs, || scan(&engine, std::slice::from_ref(&big)));
            if !o.errors.is_empty() || counts(&o) != counts(&o_plain) {
                return Err(format!("single file: {:?} {:?}", o.errors, counts(&o)));
            }
            results.push((o.totals.input_bytes, t));
        }
        let (_, t_alone) = best(args.runs, || {
            ((), inflate_alone(std::slice::from_ref(&big), 1))
        });
        let size = results[0].0 as f64 / 1e9;
        row(
            format!("one `.jsonl.gz` file ({size:.2} GB compressed), decompressed by the scanning thread"),
            results[0].1,
        );
        row(
            "the same file, decompressed on a second thread".to_string(),
            results[1].1,
        );
        row("decompression alone of that file".to_string(), t_alone);
    }
    if args.jq {
        let version = Command::new(&args.jq_bin)
            .arg("--version")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .map_err(|e| format!("cannot run {}: {e}", args.jq_bin.display()))?;
        let (out, t_jq) = timed(|| {
            Command::new(&args.jq_bin)
                .args(["-n", "-c", JQ_PROGRAM])
                .args(&plain)
                .output()
        });
        let out = out.map_err(|e| format!("cannot run jq: {e}"))?;
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
        row(
            format!("{version}, one process, same filters, plain files ({agree})"),
            t_jq,
        );
        println!();
        println!(
            "scan vs {version} on the plain files: {:.1}x less wall time, {:.1}x less CPU time ({} job(s) for scan; jq is single-threaded)",
            t_jq.wall / t_plain.wall,
            t_jq.cpu / t_plain.cpu.max(0.01),
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
