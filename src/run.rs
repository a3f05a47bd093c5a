//! Runs a parsed command and returns its exit code: 0 ok / in sync, 1 error, 2 changes or drift.

use std::io::{IsTerminal, Read};
use std::time::Duration;

use crate::apply::{self, Progress, RetryPolicy};
use crate::aws::{Aws, AwsError};
use crate::cli::*;
use crate::config::{self, Config, Overrides};
use crate::desired;
use crate::diag::Code;
use crate::error::Error;
use crate::model::{Actual, Desired, Target};
use crate::plan::{self, Action, Plan, Resource};
use crate::report::{self, check::CheckReport, PlanReport};

pub const EXIT_OK: i32 = 0;
pub const EXIT_ERROR: i32 = 1;
pub const EXIT_CHANGES: i32 = 2;

pub fn run(cli: Cli) -> i32 {
    let result = match &cli.command {
        Command::Presets(cmd) => crate::commands::presets(cmd, &cli.global),
        Command::Pattern(cmd) => crate::commands::pattern(cmd, &cli.global),
        Command::Permissions { for_ } => crate::commands::permissions(*for_, &cli.global),
        Command::Completions { shell } => crate::commands::completions(*shell),
        Command::Manpage => crate::commands::manpage(),
        _ => runtime().and_then(|rt| rt.block_on(run_async(&cli))),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            report_error(&e);
            e.exit_code()
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Failed(format!("cannot start the async runtime: {e}")))
}

pub fn report_error(e: &Error) {
    eprint!("{}", error_text(e));
}

/// What [`report_error`] prints: each diagnostic on its own line
/// (`error[CODE]: file:line:col: message`), then the error itself.
pub fn error_text(e: &Error) -> String {
    let mut out = String::new();
    if let Error::Config(diags) = e {
        for d in &diags.items {
            out.push_str(&format!("{d}\n"));
        }
    }
    out.push_str(&format!("error: {e}\n"));
    out
}

/// Signals: the first Ctrl-C or SIGTERM during an apply lets the request in flight finish and
/// stops before the next write (the apply's report says what is left); any other signal, or a
/// second one, ends the process at once. Exit 130 for Ctrl-C, 143 for SIGTERM (128 + the
/// signal's number, as shells report a process killed by it).
pub mod signals {
    use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

    static APPLYING: AtomicBool = AtomicBool::new(false);
    /// The exit code of the signal received (130, 143), 0 before any.
    static RECEIVED: AtomicI32 = AtomicI32::new(0);

    pub const EXIT_INTERRUPTED: i32 = 130;
    pub const EXIT_TERMINATED: i32 = 143;

    /// The exit code of the first signal received, if one was.
    pub fn received() -> Option<i32> {
        Some(RECEIVED.load(Ordering::SeqCst)).filter(|c| *c != 0)
    }

    /// Runs `f` with signals deferred to the next write.
    pub async fn while_applying<T>(f: impl std::future::Future<Output = T>) -> T {
        APPLYING.store(true, Ordering::SeqCst);
        let out = f.await;
        APPLYING.store(false, Ordering::SeqCst);
        out
    }

    fn on_signal(code: i32, name: &str) {
        let first = RECEIVED
            .compare_exchange(0, code, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok();
        if first && APPLYING.load(Ordering::SeqCst) {
            eprintln!(
                "{name}: stopping once the request in flight has finished; {name} again stops at once"
            );
            return;
        }
        eprintln!("{name}: stopped");
        std::process::exit(code);
    }

    /// Starts watching for Ctrl-C and SIGTERM on the current runtime.
    pub fn watch() {
        tokio::spawn(async {
            loop {
                if tokio::signal::ctrl_c().await.is_err() {
                    return;
                }
                on_signal(EXIT_INTERRUPTED, "Ctrl-C");
            }
        });
        #[cfg(unix)]
        tokio::spawn(async {
            use tokio::signal::unix::{signal, SignalKind};
            let Ok(mut term) = signal(SignalKind::terminate()) else {
                return;
            };
            while term.recv().await.is_some() {
                on_signal(EXIT_TERMINATED, "SIGTERM");
            }
        });
    }
}

async fn run_async(cli: &Cli) -> Result<i32, Error> {
    // `init` handles Ctrl-C at its prompts itself; `scan` is stopped at once by the default.
    if matches!(
        cli.command,
        Command::Plan(_) | Command::Apply(_) | Command::Check { .. }
    ) {
        signals::watch();
    }
    match &cli.command {
        Command::Plan(chain) => plan_or_apply(&cli.global, chain, false).await,
        Command::Apply(chain) => plan_or_apply(&cli.global, chain, true).await,
        Command::Check { chain, strict } => check(&cli.global, chain, *strict).await,
        Command::Init { write } => crate::init::run(&cli.global, write).await,
        Command::Scan(args) => crate::scan::run(&cli.global, args).await,
        _ => unreachable!("handled synchronously"),
    }
}

pub fn overrides(g: &GlobalArgs, c: &ChainArgs) -> Overrides {
    Overrides {
        config: g.config.clone(),
        region: g.region.clone(),
        profile: g.profile.clone(),
        endpoint_url: g.endpoint_url.clone(),
        presets: c.presets.clone(),
        emails: c.emails.clone(),
        bucket: c.bucket.clone(),
        trail: c.trail.clone(),
        adopt_trail: c.adopt_trail.clone(),
        log_group: c.log_group.clone(),
        retention_days: c.retention_days,
    }
}

/// Everything validated and read: what is wanted, what is there, the plan.
pub struct Session {
    pub aws: Aws,
    pub config: Config,
    pub target: Target,
    pub desired: Desired,
    pub actual: Actual,
    pub plan: Plan,
}

/// Reads the account again after `settle` and plans anew, when `doubtful` holds for the plan.
///
/// AWS reads are eventually consistent: right after an apply, IAM (GetRole / GetRolePolicy), SNS
/// (ListSubscriptionsByTopic) and CloudWatch can still answer with the state before the write
/// ("Changes that I make are not always immediately visible", IAM User Guide). A `check` run
/// just after `apply` would report drift that is not there, and a second `apply` would subscribe
/// the same address again (AWS sends the confirmation email again). One later read settles it;
/// drift that is real is still there.
pub async fn settle(
    s: &mut Session,
    settle: Duration,
    doubtful: impl Fn(&Session) -> bool,
) -> Result<bool, Error> {
    if settle.is_zero() || !doubtful(s) {
        return Ok(false);
    }
    eprintln!(
        "Reading again in {} s to rule out AWS's read-after-write delay...",
        settle.as_secs()
    );
    tokio::time::sleep(settle).await;
    s.actual = s.aws.read(&s.desired).await?;
    s.plan = plan::plan(&s.desired, &s.actual);
    Ok(true)
}

/// The plan subscribes an address to a topic that exists: the subscription may just not be
/// listed yet.
pub fn subscribes_to_existing_topic(s: &Session) -> bool {
    s.plan.changes.iter().any(|c| {
        c.ops.iter().any(|op| match op {
            crate::model::Op::Subscribe { topic_arn, .. } => {
                s.actual.topics.values().any(|t| &t.arn == topic_arn)
            }
            _ => false,
        })
    })
}

pub async fn session(cfg: Config) -> Result<Session, Error> {
    let aws = Aws::connect(&cfg.connect_options()).await?;
    let id = aws.identity().await?;
    let target = Target::new(&id.account_id, aws.region());
    let mut desired = desired::build(&cfg, &target, None);
    let mut actual = aws.read(&desired).await?;
    if cfg.trail.adopt {
        // Adoption: the existing trail's bucket, log group and role decide where the filters go.
        let name = desired.trail.name.clone();
        if let Some(t) = actual.trails.iter().find(|t| t.name == name).cloned() {
            let adopted = desired::build(&cfg, &target, Some(&t));
            if adopted != desired {
                desired = adopted;
                actual = aws.read(&desired).await?;
            }
        }
    }
    let plan = plan::plan(&desired, &actual);
    Ok(Session {
        aws,
        config: cfg,
        target,
        desired,
        actual,
        plan,
    })
}

/// Pattern lints are shown by `plan` (and `presets test`); `apply` and `check` show only the
/// warnings about the configuration itself, so a daily CI log is not filled with advice.
fn print_config_warnings(cfg: &Config, with_lints: bool) {
    for w in &cfg.warnings {
        if with_lints || w.code != Code::PatternLint {
            eprintln!("{w}");
        }
    }
}

async fn plan_or_apply(g: &GlobalArgs, chain: &ChainArgs, apply_it: bool) -> Result<i32, Error> {
    let cfg = config::load(&overrides(g, chain)).map_err(Error::Config)?;
    print_config_warnings(&cfg, !apply_it);
    if !matches!(g.output, OutputFormat::Human | OutputFormat::Json) {
        return Err(Error::Input(
            "--output junit|github is only for `check`".into(),
        ));
    }
    eprintln!("Reading the account...");
    let mut s = session(cfg).await?;
    if apply_it {
        settle(
            &mut s,
            Duration::from_secs(chain.settle),
            subscribes_to_existing_topic,
        )
        .await?;
    }
    let command = if apply_it { "apply" } else { "plan" };
    let report = PlanReport::new(
        command,
        &s.target.account_id,
        &s.target.region,
        &s.plan,
        s.aws.requests(),
    );
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
            EXIT_OK
        } else {
            EXIT_CHANGES
        });
    }
    if !g.yes {
        confirm(g, &s.plan)?;
    }
    apply_session(g, &s).await
}

/// Applies a session's plan, already shown and confirmed, and reports the outcome on stdout.
pub async fn apply_session(g: &GlobalArgs, s: &Session) -> Result<i32, Error> {
    let human = g.output == OutputFormat::Human;
    let mut report = PlanReport::new(
        "apply",
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
        print!("{}", report::render_outcome(&outcome));
        let emails: Vec<&String> = s
            .desired
            .topics
            .iter()
            .flat_map(|t| t.emails.iter())
            .collect();
        let subscribed = s
            .plan
            .changes
            .iter()
            .any(|c| c.resource == Resource::SnsSubscription);
        if outcome.failed.is_none() && subscribed && !emails.is_empty() {
            println!(
                "AWS sent a confirmation email to each new subscriber; alarms notify nobody until the link in it is clicked."
            );
        }
    } else {
        println!("{}", to_json(&report));
    }
    match &outcome.failed {
        None if outcome.interrupted => Ok(signals::received().unwrap_or(signals::EXIT_INTERRUPTED)),
        None => Ok(EXIT_OK),
        Some(f) => Err(Error::Failed(format!(
            "apply failed at {} ({}): {}",
            f.address, f.api, f.error
        ))),
    }
}

fn confirm(g: &GlobalArgs, plan: &Plan) -> Result<(), Error> {
    if g.no_input || !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return Err(Error::Refused(
            "refusing to apply without confirmation: no terminal to ask on (pass --yes to apply non-interactively)".into(),
        ));
    }
    let n = plan.ops().count();
    let ok = dialoguer::Confirm::new()
        .with_prompt(format!("Apply these changes ({n} requests)?"))
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
            Action::Replace => "replaced",
            Action::Delete => "deleted",
        };
        eprintln!("  {address} {verb}");
    }
}

async fn check(g: &GlobalArgs, chain: &ChainArgs, strict: bool) -> Result<i32, Error> {
    let cfg = config::load(&overrides(g, chain)).map_err(Error::Config)?;
    print_config_warnings(&cfg, false);
    let mut s = session(cfg).await?;
    settle(&mut s, Duration::from_secs(chain.settle), |s| {
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
        return Ok(EXIT_ERROR);
    }
    Ok(if report.in_sync {
        EXIT_OK
    } else {
        EXIT_CHANGES
    })
}

pub fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// Read all of stdin (for `pattern test` without files).
pub fn read_stdin() -> Result<Vec<u8>, Error> {
    let mut buf = Vec::new();
    std::io::stdin()
        .read_to_end(&mut buf)
        .map_err(|e| Error::Input(format!("cannot read stdin: {e}")))?;
    Ok(buf)
}
