//! `trailwarden scan`: backtest presets over CloudTrail log files — how often would the alarms
//! have fired, and on whom?
//!
//! Inputs are CloudTrail log files as delivered to S3 (`{"Records":[...]}`, plain or gzip),
//! files of one JSON event per line (CloudWatch Logs exports), directories of them (recursive)
//! and `s3://bucket/prefix`. See `docs/scan.md`.
//!
//! Layout: [`walk`] splits records and projects the fields the patterns read (jumping with the
//! structural [`index`]; both fail with [`error`]'s type), [`compile`]
//! evaluates the patterns on them, [`engine`] streams files through worker threads (each reads a
//! file through `buffer`, finds its records with `framing` and counts them with `tally`), [`stats`]
//! tallies and evaluates the alarms, [`input`] finds the files, [`report`] renders.

mod buffer;
pub mod compile;
pub mod engine;
pub mod error;
mod framing;
pub mod index;
pub mod input;
pub mod progress;
pub mod report;
pub mod stats;
mod tally;
pub mod time;
pub mod walk;
mod worker;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::aws::{Aws, ConnectOptions};
use crate::cli::{GlobalArgs, OutputFormat, ScanArgs};
use crate::config::{self, Overrides};
use crate::error::Error;

pub use compile::ControlSpec;
pub use engine::{Counters, Engine, FileError, Item, Outcome, Settings};

/// A placeholder address: `config::load` insists on one, the scan never uses it.
const NO_EMAIL: &str = "scan@trailwarden.invalid";

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
        emails: vec![NO_EMAIL.to_string()],
        ..Overrides::default()
    };
    let cfg = config::load(&ov).map_err(Error::Config)?;
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

enum Input {
    Local(PathBuf),
    S3 { bucket: String, prefix: String },
}

pub async fn run(g: &GlobalArgs, a: &ScanArgs) -> Result<i32, Error> {
    if !matches!(g.output, OutputFormat::Human | OutputFormat::Json) {
        return Err(Error::Input(
            "--output junit|github is only for `check`".into(),
        ));
    }
    let Loaded {
        specs,
        presets,
        connect: connect_options,
    } = load_controls(g, a)?;
    let since = a
        .since
        .as_deref()
        .map(time::parse_bound)
        .transpose()
        .map_err(|e| Error::Input(format!("--since: {e}")))?;
    let until = a
        .until
        .as_deref()
        .map(time::parse_bound)
        .transpose()
        .map_err(|e| Error::Input(format!("--until: {e}")))?;
    if let (Some(s), Some(u)) = (since, until) {
        if s >= u {
            return Err(Error::Input("--since must be before --until".into()));
        }
    }
    let print_matches = match &a.matches {
        None => None,
        Some(name) => Some(
            specs
                .iter()
                .position(|c| &c.filter_name == name || &c.id == name)
                .ok_or_else(|| {
                    Error::Input(format!(
                        "--matches {name}: no such filter; the filters are {}",
                        specs
                            .iter()
                            .map(|c| c.filter_name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })?,
        ),
    };
    let jobs = match a.jobs {
        Some(0) => return Err(Error::Input("--jobs must be at least 1".into())),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let mut inputs = Vec::new();
    for i in &a.inputs {
        if i.starts_with("s3://") {
            let (bucket, prefix) = input::parse_s3_url(i)
                .ok_or_else(|| Error::Input(format!("`{i}`: expected s3://BUCKET/PREFIX")))?;
            inputs.push(Input::S3 { bucket, prefix });
        } else {
            let p = PathBuf::from(i);
            if let Err(e) = std::fs::metadata(&p) {
                return Err(Error::Input(format!("{i}: {e}")));
            }
            inputs.push(Input::Local(p));
        }
    }
    let engine = Engine::new(
        specs,
        Settings {
            jobs,
            since,
            until,
            print_matches,
            buffer: 0,
            stream_memory: false,
            // A second thread decompresses large gzip files, unless one job (one core) was
            // asked for.
            inflate_thread_min: (jobs >= 2).then_some(engine::INFLATE_THREAD_MIN),
        },
    )
    .map_err(Error::Input)?;
    let range = input::DayRange::new(since, until);

    // S3: one client, checked before anything is scanned.
    let mut s3_sources = Vec::new();
    if inputs.iter().any(|i| matches!(i, Input::S3 { .. })) {
        let aws = Aws::connect(&connect_options).await?;
        for i in &inputs {
            if let Input::S3 { bucket, prefix } = i {
                let client = input::client_for_bucket(&aws, bucket, prefix, a.quiet).await?;
                s3_sources.push((client, bucket.clone(), prefix.clone()));
            }
        }
    }

    let counters = Arc::new(Counters::default());
    let producer_errors: Arc<Mutex<Vec<FileError>>> = Arc::default();
    let (tx, rx) = tokio::sync::mpsc::channel::<Item>(jobs * 4);
    let locals: Vec<PathBuf> = inputs
        .iter()
        .filter_map(|i| match i {
            Input::Local(p) => Some(p.clone()),
            _ => None,
        })
        .collect();
    counters.listings_open.store(
        1 + s3_sources.len() as u64,
        std::sync::atomic::Ordering::Relaxed,
    );
    let local_producer = {
        let tx = tx.clone();
        let counters = counters.clone();
        let errors = producer_errors.clone();
        std::thread::spawn(move || {
            let files: Vec<PathBuf> = locals
                .iter()
                .flat_map(|p| input::list_local(p, range, &counters, &errors))
                .collect();
            counters
                .listings_open
                .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
            for f in files {
                if tx.blocking_send(Item::Path(f)).is_err() {
                    return;
                }
            }
        })
    };
    let mut s3_producers = Vec::new();
    for (client, bucket, prefix) in s3_sources {
        s3_producers.push(tokio::spawn(input::produce_s3(
            client,
            bucket,
            prefix,
            range,
            tx.clone(),
            counters.clone(),
            producer_errors.clone(),
            (jobs * 4).max(16),
        )));
    }
    drop(tx);

    let progress = (std::io::stderr().is_terminal() && !a.quiet)
        .then(|| progress::Progress::start(counters.clone()));
    let started = Instant::now();
    let engine = Arc::new(engine);
    let outcome = {
        let engine = engine.clone();
        let counters = counters.clone();
        tokio::task::spawn_blocking(move || {
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
        .map_err(|e| Error::Failed(format!("the scan stopped: {e}")))?
    };
    let seconds = started.elapsed().as_secs_f64();
    let _ = local_producer.join();
    for p in s3_producers {
        let _ = p.await;
    }
    if let Some(p) = progress {
        p.finish();
    }
    let mut outcome = outcome;
    if let Ok(mut e) = producer_errors.lock() {
        outcome.errors.append(&mut e);
    }
    outcome
        .errors
        .sort_by(|x, y| x.file.cmp(&y.file).then(x.message.cmp(&y.message)));

    let ctx = report::Context {
        controls: &engine.controls,
        presets: &presets,
        since,
        until,
        seconds,
    };
    if let Some(ci) = print_matches {
        // stdout carries the events; a summary goes to stderr.
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
        return Ok(crate::run::EXIT_OK);
    }
    if g.output == OutputFormat::Json {
        println!("{}", crate::run::to_json(&report::to_json(&ctx, &outcome)));
        if !a.quiet {
            for e in &outcome.errors {
                eprintln!("warning: skipped {}: {}", e.file, e.message);
            }
        }
    } else {
        print!("{}", report::human(&ctx, &outcome));
    }
    Ok(crate::run::EXIT_OK)
}

#[cfg(test)]
mod tests;
