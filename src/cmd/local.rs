//! The commands that need no AWS access: presets, pattern, permissions.

use serde::Serialize;
use serde_json::json;

use crate::cli::{GlobalArgs, OutputFormat, PatternCommand, PermissionsFor, PresetsCommand};
use crate::diag::{Diagnostics, Severity};
use crate::error::Error;
use crate::events::read_stdin;
use crate::events::{self, InputEvent};
use crate::exit::ExitStatus;
use crate::pattern::Pattern;
use crate::preset;
use crate::report::to_json;

fn json_out(g: &GlobalArgs) -> bool {
    g.output == OutputFormat::Json
}

pub(super) fn presets(cmd: &PresetsCommand, g: &GlobalArgs) -> Result<ExitStatus, Error> {
    match cmd {
        PresetsCommand::List => {
            let mut rows = Vec::new();
            for name in preset::builtin_names() {
                let mut d = Diagnostics::default();
                let p = preset::load(name, &mut d).ok_or_else(|| Error::Config(d.clone()))?;
                rows.push(json!({"name": p.name, "title": p.title, "controls": p.controls.len()}));
            }
            if json_out(g) {
                println!(
                    "{}",
                    to_json(
                        &json!({"format_version": crate::report::FORMAT_VERSION, "presets": rows})
                    )
                );
            } else {
                for r in &rows {
                    println!(
                        "{:<12} {:>2} controls  {}",
                        r["name"].as_str().unwrap_or(""),
                        r["controls"],
                        r["title"].as_str().unwrap_or("")
                    );
                }
            }
            Ok(ExitStatus::Ok)
        }
        PresetsCommand::Show { name } => {
            let mut d = Diagnostics::default();
            let p = preset::load(name, &mut d);
            let p = match p {
                Some(p) if !d.has_errors() => p,
                _ => return Err(Error::Config(d)),
            };
            if json_out(g) {
                println!(
                    "{}",
                    to_json(&json!({"format_version": crate::report::FORMAT_VERSION, "preset": p}))
                );
            } else {
                print!("{}", crate::presetdoc::render_preset(&p));
            }
            Ok(ExitStatus::Ok)
        }
        PresetsCommand::Test { names } => {
            let names: Vec<String> = if names.is_empty() {
                preset::builtin_names()
                    .iter()
                    .map(|s| s.to_string())
                    .collect()
            } else {
                names.clone()
            };
            #[derive(Serialize)]
            struct Row {
                preset: String,
                controls: usize,
                examples: usize,
                failures: Vec<String>,
                lints: Vec<String>,
            }
            let mut rows = Vec::new();
            let mut failed = false;
            for n in &names {
                let mut d = Diagnostics::default();
                let p = preset::load(n, &mut d);
                let mut lints = Vec::new();
                let (controls, examples) = match &p {
                    Some(p) => {
                        for c in &p.controls {
                            if let Ok(pat) = Pattern::parse(&c.control.pattern) {
                                for l in pat.lints() {
                                    lints.push(format!(
                                        "{}: {}: {}",
                                        c.control.id, l.code, l.message
                                    ));
                                }
                            }
                        }
                        (
                            p.controls.len(),
                            p.controls.iter().map(|c| c.control.examples.len()).sum(),
                        )
                    }
                    None => (0, 0),
                };
                let failures: Vec<String> = d
                    .items
                    .iter()
                    .filter(|x| x.severity == Severity::Error)
                    .map(|x| x.to_string())
                    .collect();
                failed |= !failures.is_empty() || p.is_none();
                rows.push(Row {
                    preset: n.clone(),
                    controls,
                    examples,
                    failures,
                    lints,
                });
            }
            if json_out(g) {
                println!(
                    "{}",
                    to_json(
                        &json!({"format_version": crate::report::FORMAT_VERSION, "ok": !failed, "presets": rows})
                    )
                );
            } else {
                for r in &rows {
                    let status = if r.failures.is_empty() {
                        "ok"
                    } else {
                        "FAILED"
                    };
                    println!(
                        "{:<12} {status}: {} controls, {} example events",
                        r.preset, r.controls, r.examples
                    );
                    for f in &r.failures {
                        println!("    {f}");
                    }
                    for l in &r.lints {
                        println!("    lint: {l}");
                    }
                }
                let total: usize = rows.iter().map(|r| r.examples).sum();
                let bad: usize = rows.iter().map(|r| r.failures.len()).sum();
                println!("{} passed, {} failed", total.saturating_sub(bad), bad);
            }
            Ok(if failed {
                ExitStatus::Error
            } else {
                ExitStatus::Ok
            })
        }
    }
}

/// Hands `f` the events of each input in turn (standard input when there are no files), so
/// that only one file's events are held at a time. Every file is opened before the first one
/// is read, so that a missing file fails the command before anything is printed.
fn each_input(
    files: &[std::path::PathBuf],
    mut f: impl FnMut(Vec<InputEvent>),
) -> Result<(), Error> {
    if files.is_empty() {
        let buf = read_stdin()?;
        f(events::read_events(&buf[..], "stdin").map_err(|e| Error::Input(e.to_string()))?);
        return Ok(());
    }
    let opened = files
        .iter()
        .map(|p| events::open_path(p))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::Input(e.to_string()))?;
    for input in opened {
        f(input.read().map_err(|e| Error::Input(e.to_string()))?);
    }
    Ok(())
}

fn parse_pattern(text: &str) -> Result<Pattern, Error> {
    Pattern::parse(text).map_err(|e| {
        Error::Input(format!(
            "invalid filter pattern: {e}\n  {text}\n  {}^",
            " ".repeat(e.column.saturating_sub(1))
        ))
    })
}

pub(super) fn pattern(cmd: &PatternCommand, g: &GlobalArgs) -> Result<ExitStatus, Error> {
    match cmd {
        PatternCommand::Test { pattern, files } => {
            let p = parse_pattern(pattern)?;
            let json = json_out(g);
            let mut total = 0usize;
            let mut matches: Vec<usize> = Vec::new();
            each_input(files, |events| {
                for (i, e) in events.iter().enumerate() {
                    if p.matches(&e.as_event()) {
                        matches.push(total + i);
                        if !json {
                            println!("#{}: {}", total + i, e.raw());
                        }
                    }
                }
                total += events.len();
            })?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string(
                        &json!({"format_version": crate::report::FORMAT_VERSION, "events": total, "matched": matches.len(), "matches": matches})
                    )
                    .unwrap_or_default()
                );
            } else {
                println!("{} of {} events matched", matches.len(), total);
            }
            for l in p.lints() {
                eprintln!("lint[{}]: {}", l.code, l.message);
            }
            Ok(ExitStatus::Ok)
        }
        PatternCommand::Explain { pattern, file } => {
            let p = parse_pattern(pattern)?;
            let events = match file {
                Some(f) => events::read_path(f).map_err(|e| Error::Input(e.to_string()))?,
                None => Vec::new(),
            };
            let event = events.first().map(InputEvent::as_event);
            let explanation = p.explain(event.as_ref());
            if json_out(g) {
                println!(
                    "{}",
                    to_json(
                        &json!({"format_version": crate::report::FORMAT_VERSION, "pattern": p.source(), "explanation": explanation, "lints": p.lints()})
                    )
                );
            } else {
                print!("{explanation}");
                if !explanation.to_string().ends_with('\n') {
                    println!();
                }
                for l in p.lints() {
                    println!("lint[{}]: {}", l.code, l.message);
                }
            }
            Ok(ExitStatus::Ok)
        }
    }
}

pub(super) fn permissions(
    for_: PermissionsFor,
    accounts: bool,
    role_name: &str,
    _g: &GlobalArgs,
) -> Result<ExitStatus, Error> {
    if accounts && for_ == PermissionsFor::Scan {
        return Err(Error::Input(
            "--accounts: `scan` reads log files, not accounts".into(),
        ));
    }
    let (sid, mut actions): (&str, Vec<&str>) = match for_ {
        PermissionsFor::Check => (crate::aws::CHECK_SID, crate::aws::READ_ACTIONS.to_vec()),
        PermissionsFor::Apply => (
            "TrailwardenApply",
            crate::aws::READ_ACTIONS
                .iter()
                .chain(crate::aws::WRITE_ACTIONS)
                .copied()
                .collect(),
        ),
        PermissionsFor::Destroy => (
            "TrailwardenDestroy",
            crate::aws::READ_ACTIONS
                .iter()
                .chain(crate::aws::REMOVAL_ACTIONS)
                .chain(crate::aws::DESTROY_ACTIONS)
                .copied()
                .collect(),
        ),
        PermissionsFor::Scan => ("TrailwardenScanReadOnly", crate::aws::SCAN_ACTIONS.to_vec()),
    };
    if accounts {
        actions.extend(crate::aws::ORGANIZATION_ACTIONS);
    }
    let mut policy = crate::aws::policy(sid, &actions);
    if accounts {
        // The role assumed in each account, by name in every account of the organization; the
        // role itself needs the policy printed without --accounts, and a trust policy naming
        // this account.
        if let Some(statements) = policy["Statement"].as_array_mut() {
            statements.push(json!({
                "Sid": "TrailwardenAssumeAccountRole",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": format!("arn:aws:iam::*:role/{role_name}")
            }));
        }
    }
    println!("{}", to_json(&policy));
    Ok(ExitStatus::Ok)
}

/// Completion scripts and the man page come from the clap definition, so they never drift
/// from the real flags.
pub(super) fn completions(shell: clap_complete::Shell) -> Result<ExitStatus, Error> {
    use clap::CommandFactory;
    let mut cmd = crate::cli::Cli::command();
    clap_complete::generate(shell, &mut cmd, "trailwarden", &mut std::io::stdout());
    Ok(ExitStatus::Ok)
}

pub(super) fn manpage() -> Result<ExitStatus, Error> {
    use clap::CommandFactory;
    clap_mangen::Man::new(crate::cli::Cli::command())
        .render(&mut std::io::stdout())
        .map_err(|e| Error::Failed(format!("cannot write the man page: {e}")))?;
    Ok(ExitStatus::Ok)
}
