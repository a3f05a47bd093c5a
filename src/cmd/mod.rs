//! The command layer: reads the parsed command line, runs the workflow or a local command, prints
//! results (stdout) and progress and errors (stderr), and returns the exit status. The only
//! layer that knows clap's types and prints.
//!
//! Arrows point one way: cmd → workflow / scan / config → desired → plan → aws.

// The output layer: results go to stdout from here (and from `scan`'s report), nowhere else.
#![allow(clippy::print_stdout)]

pub(crate) mod chain;
mod destroy;
mod export;
pub(crate) mod init;
mod local;
mod scan;
mod signals;

use crate::cli::*;
use crate::config::Overrides;
use crate::error::Error;
use crate::exit::ExitStatus;

/// The `--output` forms a command renders; any other is refused before anything runs.
fn outputs(command: &Command) -> (&'static str, &'static [OutputFormat]) {
    use OutputFormat::*;
    match command {
        Command::Check { .. } => ("check", &[Human, Json, Junit, Github]),
        Command::Plan(_) => ("plan", &[Human, Json]),
        Command::Apply(_) => ("apply", &[Human, Json]),
        Command::Destroy(_) => ("destroy", &[Human, Json]),
        Command::Scan(_) => ("scan", &[Human, Json]),
        Command::Presets(_) => ("presets", &[Human, Json]),
        Command::Pattern(_) => ("pattern", &[Human, Json]),
        Command::Permissions { .. } => ("permissions", &[Human, Json]),
        Command::Init { .. } => ("init", &[Human]),
        // The template is the result; its format is `--format`.
        Command::Export(_) => ("export", &[Human]),
        Command::Completions { .. } => ("completions", &[Human]),
        Command::Manpage => ("manpage", &[Human]),
    }
}

pub fn run(cli: Cli) -> ExitStatus {
    let (name, supported) = outputs(&cli.command);
    if !supported.contains(&cli.global.output) {
        let list: Vec<String> = supported
            .iter()
            .map(|o| format!("{o:?}").to_lowercase())
            .collect();
        report_error(&Error::Input(format!(
            "--output {}: `{name}` writes {}",
            format!("{:?}", cli.global.output).to_lowercase(),
            list.join(" or ")
        )));
        return ExitStatus::Error;
    }
    let result = match &cli.command {
        Command::Presets(cmd) => local::presets(cmd, &cli.global),
        Command::Pattern(cmd) => local::pattern(cmd, &cli.global),
        Command::Permissions {
            for_,
            accounts,
            role_name,
        } => local::permissions(*for_, *accounts, role_name, &cli.global),
        Command::Completions { shell } => local::completions(*shell),
        Command::Manpage => local::manpage(),
        Command::Export(cmd) => export::run(cmd, &cli.global),
        _ => runtime().and_then(|rt| rt.block_on(run_async(&cli))),
    };
    match result {
        Ok(status) => status,
        Err(e) => {
            report_error(&e);
            ExitStatus::from(&e)
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
async fn run_async(cli: &Cli) -> Result<ExitStatus, Error> {
    // `init` handles Ctrl-C at its prompts itself; `scan` is stopped at once by the default.
    if matches!(
        cli.command,
        Command::Plan(_) | Command::Apply(_) | Command::Destroy(_) | Command::Check { .. }
    ) {
        signals::watch();
    }
    match &cli.command {
        Command::Plan(chain) => chain::plan_or_apply(&cli.global, chain, false).await,
        Command::Apply(chain) => chain::plan_or_apply(&cli.global, chain, true).await,
        Command::Destroy(args) => destroy::run(&cli.global, args).await,
        Command::Check { chain, strict } => chain::check(&cli.global, chain, *strict).await,
        Command::Init { write } => init::run(&cli.global, write).await,
        Command::Scan(args) => scan::run(&cli.global, args).await,
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
        organization: c.organization,
    }
}
