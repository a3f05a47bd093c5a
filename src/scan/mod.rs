//! `trailwarden scan`: backtest presets over CloudTrail log files — how often would the alarms
//! have fired, and on whom?
//!
//! Inputs are CloudTrail log files as delivered to S3 (`{"Records":[...]}`, plain or gzip),
//! files of one JSON event per line (CloudWatch Logs exports), directories of them (recursive)
//! and `s3://bucket/prefix`. See `docs/scan.md`.
//!
//! Layout, from the inputs to the report (each module depends only on those before it in its
//! line, and on [`error`]):
//!
//! - Finding files: [`input`] (local paths, which names and date folders are log files) and
//!   [`s3`] (S3 prefixes listed and downloaded into the queue; the requests themselves are
//!   `crate::aws::objects`').
//! - Reading JSON text: [`error`] (why reading stopped) ← [`index`] (structural bitmaps of a
//!   buffer) ← [`walk`] (one record: where it ends, the fields the patterns read) ← [`compile`]
//!   (the patterns evaluated on those fields).
//! - The engine: [`engine`] (settings, the queue's items, worker threads, the outcome) runs
//!   `worker`s; a worker reads a file through `buffer` (a window of the file in memory, gzip
//!   inflated on the worker's or a second thread), finds its records with `framing` (log file
//!   or one event per line) and adds each to its file's tallies with `tally`, which [`stats`]
//!   keeps per control.
//! - Output: [`stats`] evaluates the alarms, [`report`] renders, [`progress`] draws the bar.
//!
//! [`run`] is the command: [`prepare`] checks the arguments, [`open_buckets`] connects and
//! finds each bucket's region, [`start_producers`] fills the queue, [`scan_queue`] runs the
//! engine, [`print_report`] writes the result.

mod buffer;
pub mod compile;
pub mod engine;
pub mod error;
mod framing;
pub mod index;
pub mod input;
pub mod progress;
pub mod report;
pub mod s3;
pub mod stats;
mod tally;
pub mod time;
pub mod walk;
mod worker;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::mpsc;

use crate::aws::{Aws, Bucket, ConnectOptions};
use crate::cli::{GlobalArgs, OutputFormat, ScanArgs};
use crate::config::{self, Overrides};
use crate::error::Error;

pub use compile::ControlSpec;
pub use engine::{Counters, Engine, FileError, Item, Outcome, Settings};

/// The region the S3 client starts from when none is configured: reading a bucket needs no
/// particular region, S3 says where the bucket is.
const FALLBACK_REGION: &str = "us-east-1";

/// The controls to backtest: the chosen presets (`--preset`, else the config file's, else
/// aws-docs) with the config file's `[controls.*]` settings applied (disabled controls,
/// alternatives, exclusions, thresholds), one entry per filter name.
pub fn load_controls(g: &GlobalArgs, a: &ScanArgs) -> Result<Loaded, Error> {
    let ov = Overrides {
        config: g.config.clone(),
        region: g.region.clone(),
        profile: g.profile.clone(),
        endpoint_url: g.endpoint_url.clone(),
        presets: a.presets.clone(),
        ..Overrides::default()
    };
    // Only the controls and the connection settings: no email, no resource names.
    let cfg = config::load_for(&ov, config::Purpose::Controls).map_err(Error::Config)?;
    let specs = cfg
        .controls
        .iter()
        .map(|c| ControlSpec {
            id: c.id.clone(),
            preset: c.preset.clone(),
            filter_name: c.filter_name.clone(),
            pattern: c.pattern.clone(),
            alarm: c.alarm.clone(),
        })
        .collect();
    Ok(Loaded {
        specs,
        presets: cfg.presets.iter().map(|p| p.name.clone()).collect(),
        connect: ConnectOptions {
            fallback_region: Some(FALLBACK_REGION.to_string()),
            ..cfg.connect_options()
        },
    })
}

/// The controls and AWS settings of the configuration.
pub struct Loaded {
    pub specs: Vec<ControlSpec>,
    pub presets: Vec<String>,
    pub connect: ConnectOptions,
}

/// An `s3://bucket/prefix` input.
struct S3Input {
    bucket: String,
    prefix: String,
}

/// A scan, checked: nothing has been read yet.
struct Prepared {
    specs: Vec<ControlSpec>,
    presets: Vec<String>,
    connect: ConnectOptions,
    since: Option<i64>,
    until: Option<i64>,
    /// The control whose matching events are printed (`--matches`).
    print_matches: Option<usize>,
    jobs: usize,
    locals: Vec<PathBuf>,
    s3: Vec<S3Input>,
}

pub async fn run(g: &GlobalArgs, a: &ScanArgs) -> Result<crate::exit::ExitStatus, Error> {
    let p = prepare(g, a)?;
    let engine = Arc::new(new_engine(&p)?);
    let range = input::DayRange::new(p.since, p.until);
    // S3: every bucket reached before anything is scanned.
    let buckets = open_buckets(&p, a.quiet).await?;

    let counters = Arc::new(Counters::default());
    let producer_errors: Arc<Mutex<Vec<FileError>>> = Arc::default();
    let (rx, producers) = start_producers(
        p.locals.clone(),
        buckets,
        range,
        p.jobs,
        &counters,
        &producer_errors,
    );
    let progress = (std::io::stderr().is_terminal() && !a.quiet)
        .then(|| progress::Progress::start(counters.clone()));
    let (mut outcome, seconds) = scan_queue(engine.clone(), rx, counters).await?;
    producers.finish().await;
    if let Some(p) = progress {
        p.finish();
    }
    if let Ok(mut e) = producer_errors.lock() {
        outcome.errors.append(&mut e);
    }
    outcome
        .errors
        .sort_by(|x, y| x.file.cmp(&y.file).then(x.message.cmp(&y.message)));
    print_report(g, a, &p, &engine, &outcome, seconds);
    Ok(crate::exit::ExitStatus::Ok)
}

/// Checks the arguments and loads the controls; every input is parsed (a local one must
/// exist).
fn prepare(g: &GlobalArgs, a: &ScanArgs) -> Result<Prepared, Error> {
    let Loaded {
        specs,
        presets,
        connect,
    } = load_controls(g, a)?;
    let (since, until) = time_range(a)?;
    let print_matches = match &a.matches {
        None => None,
        Some(name) => Some(filter_index(&specs, name)?),
    };
    let jobs = match a.jobs {
        Some(0) => return Err(Error::Input("--jobs must be at least 1".into())),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let mut locals = Vec::new();
    let mut s3 = Vec::new();
    for i in &a.inputs {
        if i.starts_with("s3://") {
            let (bucket, prefix) = s3::parse_s3_url(i)
                .ok_or_else(|| Error::Input(format!("`{i}`: expected s3://BUCKET/PREFIX")))?;
            s3.push(S3Input { bucket, prefix });
        } else {
            let p = PathBuf::from(i);
            if let Err(e) = std::fs::metadata(&p) {
                return Err(Error::Input(format!("{i}: {e}")));
            }
            locals.push(p);
        }
    }
    Ok(Prepared {
        specs,
        presets,
        connect,
        since,
        until,
        print_matches,
        jobs,
        locals,
        s3,
    })
}

/// `--since` and `--until`, in seconds since the epoch.
fn time_range(a: &ScanArgs) -> Result<(Option<i64>, Option<i64>), Error> {
    let bound = |flag: &str, value: &Option<String>| {
        value
            .as_deref()
            .map(time::parse_bound)
            .transpose()
            .map_err(|e| Error::Input(format!("{flag}: {e}")))
    };
    let since = bound("--since", &a.since)?;
    let until = bound("--until", &a.until)?;
    if let (Some(s), Some(u)) = (since, until) {
        if s >= u {
            return Err(Error::Input("--since must be before --until".into()));
        }
    }
    Ok((since, until))
}

/// The control named `name` (a filter name or a control id).
fn filter_index(specs: &[ControlSpec], name: &str) -> Result<usize, Error> {
    specs
        .iter()
        .position(|c| c.filter_name == name || c.id == name)
        .ok_or_else(|| {
            Error::Input(format!(
                "--matches {name}: no such filter; the filters are {}",
                specs
                    .iter()
                    .map(|c| c.filter_name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
}

fn new_engine(p: &Prepared) -> Result<Engine, Error> {
    Engine::new(
        p.specs.clone(),
        Settings {
            jobs: p.jobs,
            since: p.since,
            until: p.until,
            print_matches: p.print_matches,
            buffer: 0,
            stream_memory: false,
            // A second thread decompresses large gzip files, unless one job (one core) was
            // asked for.
            inflate_thread_min: (p.jobs >= 2).then_some(engine::INFLATE_THREAD_MIN),
        },
    )
    .map_err(Error::Input)
}

/// Connects (only when there are S3 inputs) and reaches each input's bucket, in its own region
/// when S3 says it is elsewhere (noted on stderr unless `quiet`).
async fn open_buckets(p: &Prepared, quiet: bool) -> Result<Vec<(Bucket, String)>, Error> {
    if p.s3.is_empty() {
        return Ok(Vec::new());
    }
    let aws = Aws::connect(&p.connect).await?;
    let mut buckets = Vec::new();
    for S3Input { bucket, prefix } in &p.s3 {
        let b = aws.open_bucket(bucket, prefix).await?;
        if b.region() != aws.region() && !quiet {
            eprintln!(
                "bucket {bucket} is in {}; reading it from there",
                b.region()
            );
        }
        buckets.push((b, prefix.clone()));
    }
    Ok(buckets)
}

/// What fills the scan's queue: a thread listing the local inputs, a task per S3 input.
struct Producers {
    local: std::thread::JoinHandle<()>,
    s3: Vec<tokio::task::JoinHandle<()>>,
}

impl Producers {
    async fn finish(self) {
        let _ = self.local.join();
        for p in self.s3 {
            let _ = p.await;
        }
    }
}

/// Starts listing the inputs into a queue of `4 × jobs` files; returns its receiving end.
/// Errors of listings and downloads go to `errors`.
fn start_producers(
    locals: Vec<PathBuf>,
    buckets: Vec<(Bucket, String)>,
    range: Option<input::DayRange>,
    jobs: usize,
    counters: &Arc<Counters>,
    errors: &Arc<Mutex<Vec<FileError>>>,
) -> (mpsc::Receiver<Item>, Producers) {
    let (tx, rx) = mpsc::channel::<Item>(jobs * 4);
    counters
        .listings_open
        .store(1 + buckets.len() as u64, Ordering::Relaxed);
    let local = {
        let tx = tx.clone();
        let counters = counters.clone();
        let errors = errors.clone();
        std::thread::spawn(move || {
            let files: Vec<PathBuf> = locals
                .iter()
                .flat_map(|p| input::list_local(p, range, &counters, &errors))
                .collect();
            counters.listings_open.fetch_sub(1, Ordering::Relaxed);
            for f in files {
                if tx.blocking_send(Item::Path(f)).is_err() {
                    return;
                }
            }
        })
    };
    let s3 = buckets
        .into_iter()
        .map(|(bucket, prefix)| {
            tokio::spawn(s3::produce_s3(
                bucket,
                prefix,
                range,
                tx.clone(),
                counters.clone(),
                errors.clone(),
                (jobs * 4).max(16),
            ))
        })
        .collect();
    (rx, Producers { local, s3 })
}

/// Runs the engine over the queue until the producers close it, `--matches` lines to stdout;
/// returns the outcome and the seconds it took.
async fn scan_queue(
    engine: Arc<Engine>,
    rx: mpsc::Receiver<Item>,
    counters: Arc<Counters>,
) -> Result<(Outcome, f64), Error> {
    let started = Instant::now();
    let outcome = tokio::task::spawn_blocking(move || {
        let rx = Mutex::new(rx);
        let out: Mutex<Box<dyn Write + Send>> =
            Mutex::new(Box::new(std::io::BufWriter::new(std::io::stdout())));
        let outcome = engine.run(&|| rx.lock().ok()?.blocking_recv(), &counters, &out);
        if let Ok(mut o) = out.lock() {
            let _ = o.flush();
        }
        outcome
    })
    .await
    .map_err(|e| Error::Failed(format!("the scan stopped: {e}")))?;
    Ok((outcome, started.elapsed().as_secs_f64()))
}

/// The report on stdout (human or JSON), or with `--matches` a summary on stderr (stdout
/// carries the events); skipped files are listed on stderr where the report does not.
// The scan command's report; the one place outside `cmd` that writes to stdout (with the
// engine's `--matches` lines), as scan streams while it reads.
#[allow(clippy::print_stdout)]
fn print_report(
    g: &GlobalArgs,
    a: &ScanArgs,
    p: &Prepared,
    engine: &Engine,
    outcome: &Outcome,
    seconds: f64,
) {
    let ctx = report::Context {
        controls: &engine.controls,
        presets: &p.presets,
        since: p.since,
        until: p.until,
        seconds,
    };
    if let Some(ci) = p.print_matches {
        if !a.quiet {
            eprintln!(
                "{} events matched {} ({} events in {} files scanned)",
                report::thousands(outcome.stats[ci].matches),
                engine.controls[ci].spec.filter_name,
                report::thousands(outcome.totals.events),
                report::thousands(outcome.totals.files)
            );
        }
        for e in &outcome.errors {
            eprintln!("warning: skipped {}: {}", e.file, e.message);
        }
        return;
    }
    if g.output == OutputFormat::Json {
        println!(
            "{}",
            crate::report::to_json(&report::to_json(&ctx, outcome))
        );
        if !a.quiet {
            for e in &outcome.errors {
                eprintln!("warning: skipped {}: {}", e.file, e.message);
            }
        }
    } else {
        print!("{}", report::human(&ctx, outcome));
    }
}

#[cfg(test)]
mod tests;
