//! `test-alarm` and `why`: flags and configuration in, the alerts workflow, reports out.

use std::time::Duration;

use super::overrides;
use crate::alerts::test_alarm::{self, AlarmTestReport};
use crate::alerts::{alarms_named, known_names, now_ms, why};
use crate::cli::*;
use crate::config;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::report::{self, to_json};
use crate::workflow;

/// How often the alarm's history is read while waiting for its actions.
const POLL: Duration = Duration::from_secs(2);

pub(super) async fn test_alarm(
    g: &GlobalArgs,
    chain: &ChainArgs,
    control: Option<&str>,
    wait: u64,
) -> Result<ExitStatus, Error> {
    let cfg = config::load(&overrides(g, chain)).map_err(Error::Config)?;
    if let Some(name) = control {
        check_name(&cfg, name)?;
    }
    eprintln!("Reading the account...");
    let s = workflow::session(cfg).await?;
    let selected = test_alarm::select(&s.desired, control)?;
    // Topics the alarms notify that the configuration does not name (added by hand): their
    // subscribers are read too, so that the report covers every destination.
    let mut actual = s.actual.clone();
    for arn in test_alarm::unknown_topics(&selected, &actual) {
        let subscriptions = s.aws.subscriptions(&arn).await?;
        if !subscriptions.is_empty() {
            actual.topics.insert(
                crate::arn::name(&arn).to_string(),
                crate::model::TopicState {
                    name: crate::arn::name(&arn).to_string(),
                    arn,
                    subscriptions,
                    ..Default::default()
                },
            );
        }
    }
    let mut tests: Vec<_> = selected
        .iter()
        .map(|a| test_alarm::prepare(a, &actual))
        .collect();
    if g.yes {
        for t in tests.iter_mut().filter(|t| t.skipped.is_none()) {
            test_alarm::send(&s.aws, t, Duration::from_secs(wait), POLL, &mut |m| {
                eprintln!("{m}")
            })
            .await?;
        }
    }
    let report = AlarmTestReport {
        format_version: report::FORMAT_VERSION,
        sent: g.yes,
        ok: tests.iter().all(|t| t.ok()),
        alarms: tests,
        requests: s.aws.requests(),
    };
    if g.output == OutputFormat::Human {
        print!("{}", report::alerts::render_test(&report, wait));
    } else {
        println!("{}", to_json(&report));
    }
    Ok(if !report.sent || report.ok {
        ExitStatus::Ok
    } else {
        ExitStatus::Changes
    })
}

pub(super) async fn why(g: &GlobalArgs, args: &WhyArgs) -> Result<ExitStatus, Error> {
    if args.matches && g.output != OutputFormat::Human {
        return Err(Error::Input(
            "--matches prints the events as JSON lines: leave out --output".into(),
        ));
    }
    let cfg = config::load(&overrides(g, &args.chain)).map_err(Error::Config)?;
    // Input checked before any request: the window, and that the name is one of the alarms.
    let now = now_ms();
    let parse = |t: &Option<String>, flag: &str| {
        t.as_deref()
            .map(|t| why::parse_when(t, now).map_err(|e| Error::Input(format!("{flag}: {e}"))))
            .transpose()
    };
    let since = parse(&args.since, "--since")?;
    let until = parse(&args.until, "--until")?;
    let window = match (since, until) {
        (None, None) => None,
        (s, u) => {
            let end = u.unwrap_or(now);
            let start = s.unwrap_or(end - 3_600_000);
            if start >= end {
                return Err(Error::Input(format!(
                    "--since must be before --until (the window is empty: {} to {})",
                    args.since.as_deref().unwrap_or("1h before --until"),
                    args.until.as_deref().unwrap_or("now")
                )));
            }
            Some(why::Window {
                start_ms: start,
                end_ms: end,
            })
        }
    };
    check_name(&cfg, &args.target)?;
    eprintln!("Reading the account...");
    let s = workflow::session(cfg).await?;
    let alarm = alarms_named(&s.desired, &args.target)[0];
    let filter = s
        .desired
        .filters
        .iter()
        .find(|f| f.controls.contains(&alarm.control))
        .ok_or_else(|| Error::Failed(format!("no metric filter for {}", alarm.control)))?;
    eprintln!("Reading the alarm's history and the log events...");
    let report = why::run(
        &s.aws,
        &why::Request {
            alarm,
            log_group: &filter.log_group,
            pattern: &filter.pattern,
            window,
            max_events: usize::try_from(args.max_events).unwrap_or(usize::MAX),
        },
    )
    .await?;
    if args.matches {
        for e in &report.events {
            println!("{}", e.raw.trim_end());
        }
        eprint!("{}", report::alerts::render_why_summary(&report));
    } else if g.output == OutputFormat::Human {
        print!("{}", report::alerts::render_why(&report));
    } else {
        println!("{}", to_json(&report));
    }
    Ok(ExitStatus::Ok)
}

/// The alarm a name stands for exists in the configuration (names do not depend on the
/// account, so this needs no request).
fn check_name(cfg: &config::Config, name: &str) -> Result<(), Error> {
    let d = crate::desired::build(
        cfg,
        &crate::model::Target::new("000000000000", "us-east-1"),
        None,
    );
    if alarms_named(&d, name).is_empty() {
        return Err(Error::Input(format!(
            "no alarm for `{name}` in the configuration (known: {})",
            known_names(&d)
        )));
    }
    Ok(())
}
