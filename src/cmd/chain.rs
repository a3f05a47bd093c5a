//! `plan`, `apply` and `check`: flags and configuration in, the workflow, reports out.

use std::io::IsTerminal;
use std::time::Duration;

use super::{overrides, signals};
use crate::apply::{self, Progress, RetryPolicy};
use crate::aws::AwsError;
use crate::cli::*;
use crate::config::{self, Config};
use crate::cost;
use crate::diag::Code;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::fanout;
use crate::plan::{Action, Plan};
use crate::report::{self, check::CheckReport, fanout::FanoutReport, to_json, PlanReport};
use crate::workflow::{self, Session};

/// Pattern lints are shown by `plan` (and `presets test`); `apply` and `check` show only the
/// warnings about the configuration itself, so a daily CI log is not filled with advice.
pub(super) fn print_config_warnings(cfg: &Config, with_lints: bool) {
    for w in &cfg.warnings {
        if with_lints || w.code != Code::PatternLint {
            eprintln!("{w}");
        }
    }
}

pub(super) async fn plan_or_apply(
    g: &GlobalArgs,
    chain: &ChainArgs,
    apply_it: bool,
) -> Result<ExitStatus, Error> {
    if let Some(accounts) = &chain.accounts {
        return plan_or_apply_accounts(g, chain, apply_it, accounts).await;
    }
    let cfg = config::load(&overrides(g, chain)).map_err(Error::Config)?;
    print_config_warnings(&cfg, !apply_it);
    eprintln!("Reading the account...");
    let mut s = workflow::session(cfg).await?;
    if apply_it {
        workflow::settle(
            &mut s,
            Duration::from_secs(chain.settle),
            workflow::subscribes_to_existing_topic,
        )
        .await?;
    }
    let command = if apply_it { "apply" } else { "plan" };
    let estimate = if apply_it {
        None
    } else {
        let volume = s.aws.measure_volume(&s.desired, &s.actual).await;
        Some(cost::estimate(
            &s.desired,
            &s.plan,
            &s.actual,
            volume.as_ref(),
            &s.config.prices,
        ))
    };
    let mut report = PlanReport::new(
        command,
        &s.target.account_id,
        &s.target.region,
        &s.plan,
        s.aws.requests(),
    );
    report.estimate = estimate.as_ref();
    let human = g.output == OutputFormat::Human;
    if human {
        println!(
            "Account {} in {}, presets: {}",
            s.target.account_id,
            s.target.region,
            s.config
                .presets
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        print!("{}", report::render_plan(&s.plan));
        if let Some(e) = &estimate {
            print!("{}", cost::render(e));
        }
    }
    if !s.plan.conflicts.is_empty() {
        if !human {
            println!("{}", to_json(&report));
        }
        return Err(Error::Refused(format!(
            "{} must be resolved first; nothing was changed",
            crate::report::counted(s.plan.conflicts.len(), "conflict")
        )));
    }
    if !apply_it || s.plan.is_empty() {
        if !human {
            println!("{}", to_json(&report));
        }
        // `plan` exits 2 when there is something to change; an `apply` with nothing to do is 0.
        return Ok(if s.plan.is_empty() || apply_it {
            ExitStatus::Ok
        } else {
            ExitStatus::Changes
        });
    }
    if !g.yes {
        confirm(g, &s.plan)?;
    }
    apply_session(g, &s).await
}

/// `plan --accounts` / `apply --accounts`: every account read and planned (in parallel), one
/// aggregated plan, one confirmation, then each account applied in turn (its progress on stderr
/// prefixed with the account). An account that could not be read, or whose plan has conflicts, is
/// reported and left alone; the others are applied.
async fn plan_or_apply_accounts(
    g: &GlobalArgs,
    chain: &ChainArgs,
    apply_it: bool,
    accounts: &str,
) -> Result<ExitStatus, Error> {
    use crate::report::fanout::AccountsPlanReport;
    let selector = fanout::parse_accounts(accounts).map_err(Error::Input)?;
    let cfg = config::load(&overrides(g, chain)).map_err(Error::Config)?;
    if cfg.trail.organization {
        return Err(Error::Input(
            "--organization with --accounts: the organization chain is applied once, from the management account, without --accounts; --accounts applies each account's own chain".into(),
        ));
    }
    print_config_warnings(&cfg, !apply_it);
    let opts = fanout::FanoutOptions {
        selector,
        role_name: chain.role_name.clone(),
        concurrency: usize::from(chain.concurrency),
        settle: Duration::from_secs(chain.settle),
        strict: false,
    };
    eprintln!("Reading the organization's accounts...");
    let sessions = fanout::plan_accounts(cfg, opts, |done, total, id| {
        eprintln!("[{done}/{total}] {id} read");
    })
    .await?;
    let command = if apply_it { "apply" } else { "plan" };
    let status = account_status;
    let entries = |outcomes| account_entries(&sessions, outcomes, command);
    let print = |report: &AccountsPlanReport| match g.output {
        OutputFormat::Human => print!("{}", report.human()),
        _ => println!("{}", to_json(report)),
    };
    let none: Vec<Option<crate::apply::ApplyOutcome>> = sessions.iter().map(|_| None).collect();
    let unread = sessions
        .iter()
        .any(|s| matches!(status(s), "error" | "conflicts"));
    let to_apply: Vec<usize> = (0..sessions.len())
        .filter(|i| status(&sessions[*i]) == "changes")
        .collect();
    if !apply_it || to_apply.is_empty() {
        print(&AccountsPlanReport {
            format_version: crate::report::FORMAT_VERSION,
            command,
            accounts: entries(&none),
        });
        return Ok(if unread {
            ExitStatus::Error
        } else if !to_apply.is_empty() {
            ExitStatus::Changes
        } else {
            ExitStatus::Ok
        });
    }
    if g.output == OutputFormat::Human {
        print(&AccountsPlanReport {
            format_version: crate::report::FORMAT_VERSION,
            command: "plan",
            accounts: entries(&none),
        });
    }
    if !g.yes {
        let requests: usize = to_apply
            .iter()
            .filter_map(|i| sessions[*i].session.as_ref().ok())
            .map(|s| s.plan.ops().count())
            .sum();
        confirm_text(
            g,
            &format!(
                "Apply these changes in {} ({requests} requests)?",
                crate::report::counted(to_apply.len(), "account")
            ),
        )?;
    }
    let mut outcomes = none.clone();
    for i in to_apply {
        let a = &sessions[i];
        let Ok(s) = &a.session else { continue };
        eprintln!("Account {} ({}):", a.id, a.name);
        let mut progress = StderrProgress;
        let outcome = signals::while_applying(apply::apply(
            &s.plan,
            &s.aws,
            &RetryPolicy::default(),
            &mut progress,
        ))
        .await;
        let stop = outcome.interrupted;
        outcomes[i] = Some(outcome);
        if stop {
            break;
        }
    }
    let report = AccountsPlanReport {
        format_version: crate::report::FORMAT_VERSION,
        command,
        accounts: entries(&outcomes),
    };
    print(&report);
    if let Some(signal) = signals::received() {
        return Ok(signal);
    }
    Ok(
        if unread || report.accounts.iter().any(|a| a.status == "failed") {
            ExitStatus::Error
        } else {
            ExitStatus::Ok
        },
    )
}

fn account_status(s: &fanout::AccountSession) -> &'static str {
    match &s.session {
        Err(_) => "error",
        Ok(s) if !s.plan.conflicts.is_empty() => "conflicts",
        Ok(s) if s.plan.is_empty() => "no_changes",
        Ok(_) => "changes",
    }
}

fn account_entries<'a>(
    sessions: &'a [fanout::AccountSession],
    outcomes: &'a [Option<crate::apply::ApplyOutcome>],
    command: &'static str,
) -> Vec<crate::report::fanout::AccountPlanEntry<'a>> {
    sessions
        .iter()
        .zip(outcomes)
        .map(|(a, outcome)| {
            let (report, plan) = match &a.session {
                Ok(s) => {
                    let mut r = PlanReport::new(
                        command,
                        &a.id,
                        &s.target.region,
                        &s.plan,
                        s.aws.requests(),
                    );
                    r.outcome = outcome.as_ref();
                    (Some(r), Some(&s.plan))
                }
                Err(_) => (None, None),
            };
            crate::report::fanout::AccountPlanEntry {
                account_id: &a.id,
                name: &a.name,
                status: match outcome {
                    Some(o) if o.failed.is_some() || o.interrupted => "failed",
                    Some(_) => "applied",
                    None => account_status(a),
                },
                error: a.session.as_ref().err().map(String::as_str),
                report,
                plan,
            }
        })
        .collect()
}

/// Applies a session's plan, already shown and confirmed, and reports the outcome on stdout.
pub(crate) async fn apply_session(g: &GlobalArgs, s: &Session) -> Result<ExitStatus, Error> {
    run_session(g, s, "apply").await
}

/// Executes a session's plan for `command` (`apply` or `destroy`), already shown and
/// confirmed, and reports the outcome on stdout.
pub(crate) async fn run_session(
    g: &GlobalArgs,
    s: &Session,
    command: &'static str,
) -> Result<ExitStatus, Error> {
    let human = g.output == OutputFormat::Human;
    let mut report = PlanReport::new(
        command,
        &s.target.account_id,
        &s.target.region,
        &s.plan,
        s.aws.requests(),
    );
    let mut progress = StderrProgress;
    let outcome = signals::while_applying(apply::apply(
        &s.plan,
        &s.aws,
        &RetryPolicy::default(),
        &mut progress,
    ))
    .await;
    let requests = s.aws.requests();
    report.requests = requests;
    report.outcome = Some(&outcome);
    if human {
        print!("{}", report::render_outcome_of(command, &outcome));
        if outcome.failed.is_none() {
            for line in confirmation_notes(&s.plan) {
                println!("{line}");
            }
        }
    } else {
        println!("{}", to_json(&report));
    }
    match &outcome.failed {
        None if outcome.interrupted => Ok(signals::received().unwrap_or(ExitStatus::Interrupted)),
        None => Ok(ExitStatus::Ok),
        Some(f) => Err(Error::Failed(format!(
            "{command} failed at {} ({}): {}",
            f.address, f.api, f.error
        ))),
    }
}

fn confirm(g: &GlobalArgs, plan: &Plan) -> Result<(), Error> {
    require_terminal(g)?;
    let n = plan.ops().count();
    let gone = report::deletions(plan);
    let prompt = if gone.is_empty() {
        format!("Apply these changes ({n} requests)?")
    } else {
        eprintln!(
            "This deletes {} that trailwarden created and the configuration no longer asks for:",
            report::counted(gone.len(), "resource")
        );
        for address in &gone {
            eprintln!("  - {address}");
        }
        format!(
            "Apply these changes ({n} requests), deleting {}?",
            report::counted(gone.len(), "resource")
        )
    };
    ask(&prompt)
}

fn confirm_text(g: &GlobalArgs, prompt: &str) -> Result<(), Error> {
    require_terminal(g)?;
    ask(prompt)
}

fn require_terminal(g: &GlobalArgs) -> Result<(), Error> {
    if g.no_input || !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return Err(Error::Refused(
            "refusing to apply without confirmation: no terminal to ask on (pass --yes to apply non-interactively)".into(),
        ));
    }
    Ok(())
}

fn ask(prompt: &str) -> Result<(), Error> {
    let ok = dialoguer::Confirm::new()
        .with_prompt(prompt)
        .default(false)
        .interact()
        .map_err(|e| Error::Refused(format!("not applied: {e}")))?;
    if ok {
        Ok(())
    } else {
        Err(Error::Refused("not applied: cancelled".into()))
    }
}

struct StderrProgress;
impl Progress for StderrProgress {
    fn should_stop(&mut self) -> bool {
        signals::received().is_some()
    }

    fn start(&mut self, address: &str, action: Action) {
        eprintln!("{} {address} ...", action.symbol());
    }
    fn retry(&mut self, address: &str, api: &str, error: &AwsError, delay: Duration) {
        eprintln!(
            "  {address}: {api} not ready yet ({}); retrying in {:.0?}",
            error.code().unwrap_or("error"),
            delay
        );
    }
    fn done(&mut self, address: &str, action: Action) {
        let verb = match action {
            Action::Create => "created",
            Action::Update => "updated",
            Action::Delete => "deleted",
        };
        eprintln!("  {address} {verb}");
    }
}

/// `check --accounts`: every account's result as it comes on stderr, the report on stdout.
async fn check_accounts(
    g: &GlobalArgs,
    chain: &ChainArgs,
    strict: bool,
    accounts: &str,
) -> Result<ExitStatus, Error> {
    let selector = fanout::parse_accounts(accounts).map_err(Error::Input)?;
    let cfg = config::load(&overrides(g, chain)).map_err(Error::Config)?;
    print_config_warnings(&cfg, false);
    let organization = cfg.trail.organization;
    let opts = fanout::FanoutOptions {
        selector,
        role_name: chain.role_name.clone(),
        concurrency: usize::from(chain.concurrency),
        settle: Duration::from_secs(chain.settle),
        strict,
    };
    eprintln!("Listing the organization's accounts...");
    let results = fanout::check(cfg, opts, |done, total, r| {
        let what = match (&r.report, &r.error) {
            (Some(report), _) if report.in_sync => "in sync".to_string(),
            (Some(report), _) => {
                format!("drift ({})", report.drift.len() + report.errors.len())
            }
            (None, e) => format!("not checked: {}", e.as_deref().unwrap_or("error")),
        };
        eprintln!("[{done}/{total}] {} {}: {what}", r.id, r.name);
    })
    .await?;
    let report = FanoutReport::new(&results, organization, &chain.role_name);
    match g.output {
        OutputFormat::Human => print!("{}", report.human()),
        OutputFormat::Json => println!("{}", to_json(&report)),
        OutputFormat::Junit => print!("{}", report.junit()),
        OutputFormat::Github => print!("{}", report.github()),
    }
    // An account that could not be checked outweighs drift elsewhere: its state is unknown.
    Ok(if report.summary.errors > 0 {
        ExitStatus::Error
    } else if report.in_sync {
        ExitStatus::Ok
    } else {
        ExitStatus::Changes
    })
}

pub(super) async fn check(
    g: &GlobalArgs,
    chain: &ChainArgs,
    strict: bool,
) -> Result<ExitStatus, Error> {
    if let Some(accounts) = &chain.accounts {
        return check_accounts(g, chain, strict, accounts).await;
    }
    let cfg = config::load(&overrides(g, chain)).map_err(Error::Config)?;
    print_config_warnings(&cfg, false);
    let mut s = workflow::session(cfg).await?;
    workflow::settle(&mut s, Duration::from_secs(chain.settle), |s| {
        !s.plan.is_empty()
    })
    .await?;
    let report = CheckReport::new(
        &s.target.account_id,
        &s.target.region,
        &s.plan,
        strict,
        s.aws.requests().total,
    );
    match g.output {
        OutputFormat::Human => print!("{}", report.human()),
        OutputFormat::Json => println!("{}", to_json(&report)),
        OutputFormat::Junit => print!("{}", report.junit()),
        OutputFormat::Github => print!("{}", report.github()),
    }
    if !report.errors.is_empty() {
        return Ok(ExitStatus::Error);
    }
    Ok(if report.in_sync {
        ExitStatus::Ok
    } else {
        ExitStatus::Changes
    })
}

/// What a new subscriber must do before it is notified, once per protocol subscribed.
fn confirmation_notes(plan: &crate::plan::Plan) -> Vec<&'static str> {
    use crate::model::{Op, Protocol};
    let mut protocols: Vec<Protocol> = plan
        .ops()
        .filter_map(|o| match o {
            Op::Subscribe { subscription, .. } => Some(subscription.protocol),
            _ => None,
        })
        .collect();
    protocols.sort();
    protocols.dedup();
    protocols
        .into_iter()
        .filter_map(|p| match p {
            Protocol::Email => Some("AWS sent a confirmation email to each new email subscriber; alarms notify nobody until the link in it is clicked."),
            Protocol::Https => Some("Each new HTTPS endpoint received a SubscriptionConfirmation request: PagerDuty and Opsgenie confirm it themselves; any other endpoint must visit its SubscribeURL (`trailwarden check` lists those still pending)."),
            Protocol::Lambda => Some("Each new Lambda subscriber needs a resource-based policy allowing sns.amazonaws.com to invoke it for the topic (aws lambda add-permission --principal sns.amazonaws.com --source-arn TOPIC_ARN); trailwarden does not change functions."),
            Protocol::Sms => None,
        })
        .collect()
}
