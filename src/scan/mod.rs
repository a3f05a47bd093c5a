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

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::mpsc;

use crate::aws::{Aws, Bucket, ConnectOptions};
use crate::error::Error;

pub use compile::ControlSpec;
pub use engine::{Counters, Engine, FileError, Item, Outcome, Settings};

/// The region the S3 client starts from when none is configured: reading a bucket needs no
/// particular region, S3 says where the bucket is.
pub(crate) const FALLBACK_REGION: &str = "us-east-1";

/// The controls and AWS settings of the configuration.
pub struct Loaded {
    pub specs: Vec<ControlSpec>,
    pub presets: Vec<String>,
    pub connect: ConnectOptions,
}

/// An `s3://bucket/prefix` input.
pub(crate) struct S3Input {
    pub(crate) bucket: String,
    pub(crate) prefix: String,
}

/// A scan, checked: nothing has been read yet.
pub(crate) struct Prepared {
    pub(crate) specs: Vec<ControlSpec>,
    pub(crate) presets: Vec<String>,
    pub(crate) connect: ConnectOptions,
    pub(crate) since: Option<i64>,
    pub(crate) until: Option<i64>,
    /// The control whose matching events are printed (`--matches`).
    pub(crate) print_matches: Option<usize>,
    pub(crate) jobs: usize,
    pub(crate) locals: Vec<PathBuf>,
    pub(crate) s3: Vec<S3Input>,
}

/// The control named `name` (a filter name or a control id).
pub(crate) fn filter_index(specs: &[ControlSpec], name: &str) -> Result<usize, Error> {
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

pub(crate) fn new_engine(p: &Prepared) -> Result<Engine, Error> {
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
pub(crate) async fn open_buckets(
    p: &Prepared,
    quiet: bool,
) -> Result<Vec<(Bucket, String)>, Error> {
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
pub(crate) struct Producers {
    local: std::thread::JoinHandle<()>,
    s3: Vec<tokio::task::JoinHandle<()>>,
}

impl Producers {
    pub(crate) async fn finish(self) {
        let _ = self.local.join();
        for p in self.s3 {
            let _ = p.await;
        }
    }
}

/// Starts listing the inputs into a queue of `4 × jobs` files; returns its receiving end.
/// Errors of listings and downloads go to `errors`.
pub(crate) fn start_producers(
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
pub(crate) async fn scan_queue(
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

#[cfg(test)]
mod tests;
