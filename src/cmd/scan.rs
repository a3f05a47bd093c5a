//! `scan`: the flags in, the scan run by `crate::scan`, the report out.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::aws::ConnectOptions;
use crate::cli::{GlobalArgs, OutputFormat, ScanArgs};
use crate::config::{self, Overrides};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::scan::engine::{Counters, Engine, FileError, Outcome};
use crate::scan::{
    filter_index, input, new_engine, open_buckets, progress, report, s3, scan_queue,
    start_producers, time, ControlSpec, Loaded, Prepared, S3Input, FALLBACK_REGION,
};

pub(super) async fn run(g: &GlobalArgs, a: &ScanArgs) -> Result<crate::exit::ExitStatus, Error> {
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
    Ok(ExitStatus::Ok)
}

/// The controls to backtest: the chosen presets (`--preset`, else the config file's, else
/// aws-docs) with the config file's `[controls.*]` settings applied (disabled controls,
/// alternatives, exclusions, thresholds), one entry per filter name.
pub(crate) fn load_controls(g: &GlobalArgs, a: &ScanArgs) -> Result<Loaded, Error> {
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
    let specs = cfg.controls.iter().map(ControlSpec::from).collect();
    Ok(Loaded {
        specs,
        presets: cfg.presets.iter().map(|p| p.name.clone()).collect(),
        connect: ConnectOptions {
            fallback_region: Some(FALLBACK_REGION.to_string()),
            ..cfg.connect_options()
        },
    })
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
