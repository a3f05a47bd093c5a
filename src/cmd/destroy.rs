//! `destroy`: remove what trailwarden created for this configuration, after showing what goes
//! and asking. Log data stays unless `--delete-log-data` (with the bucket's name typed, or given
//! as `--confirm-bucket`); the trail stays unless `--stop-logging`.

use std::io::IsTerminal;

use super::chain::{print_config_warnings, run_session};
use super::overrides;
use crate::cli::*;
use crate::config;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::plan::{DestroyOptions, Resource};
use crate::report::{self, to_json, PlanReport};
use crate::workflow::{self, Purpose};

pub(super) async fn run(g: &GlobalArgs, args: &DestroyArgs) -> Result<ExitStatus, Error> {
    let cfg = config::load(&overrides(g, &args.chain)).map_err(Error::Config)?;
    print_config_warnings(&cfg, false);
    if args.stop_logging {
        eprintln!(
            "WARNING: --stop-logging deletes the trail trailwarden created and leaves this account UNMONITORED: CloudTrail stops recording API activity, nothing is logged and no alarm can fire until another trail records it."
        );
    }
    let opts = DestroyOptions {
        stop_logging: args.stop_logging,
        delete_log_data: args.delete_log_data,
    };
    eprintln!("Reading the account...");
    let s = workflow::session_for(cfg, Purpose::Destroy(opts)).await?;
    let report = PlanReport::new(
        "destroy",
        &s.target.account_id,
        &s.target.region,
        &s.plan,
        s.aws.requests(),
    );
    let human = g.output == OutputFormat::Human;
    if human {
        println!(
            "Account {} in {}: what trailwarden created for this configuration",
            s.target.account_id, s.target.region
        );
        print!("{}", report::render_destroy(&s.plan));
    }
    if s.plan.is_empty() {
        if !human {
            println!("{}", to_json(&report));
        }
        return Ok(ExitStatus::Ok);
    }
    // The bucket's name, confirmed before any write: typed, or given with --confirm-bucket.
    let bucket = s
        .plan
        .changes
        .iter()
        .find(|c| c.resource == Resource::S3Bucket)
        .and_then(|c| c.address.strip_prefix("s3_bucket."));
    if let (Some(name), Some(given)) = (bucket, &args.confirm_bucket) {
        if given != name {
            return Err(Error::Refused(format!(
                "--confirm-bucket {given} does not name the bucket to delete ({name}); nothing was changed"
            )));
        }
    }
    if g.yes {
        if let (Some(name), None) = (bucket, &args.confirm_bucket) {
            return Err(Error::Refused(format!(
                "--delete-log-data with --yes needs --confirm-bucket {name}: the bucket and every log file in it are deleted; nothing was changed"
            )));
        }
    } else {
        confirm(g, &s.plan, bucket, args.confirm_bucket.is_some())?;
    }
    run_session(g, &s, "destroy").await
}

fn confirm(
    g: &GlobalArgs,
    plan: &crate::plan::Plan,
    bucket: Option<&str>,
    bucket_confirmed: bool,
) -> Result<(), Error> {
    if g.no_input || !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return Err(Error::Refused(
            "refusing to destroy without confirmation: no terminal to ask on (pass --yes to destroy non-interactively)".into(),
        ));
    }
    let gone = report::deletions(plan);
    eprintln!("This deletes {}:", report::counted(gone.len(), "resource"));
    for address in &gone {
        eprintln!("  - {address}");
    }
    let ok = dialoguer::Confirm::new()
        .with_prompt(format!(
            "Destroy these {}?",
            report::counted(gone.len(), "resource")
        ))
        .default(false)
        .interact()
        .map_err(|e| Error::Refused(format!("not destroyed: {e}")))?;
    if !ok {
        return Err(Error::Refused("not destroyed: cancelled".into()));
    }
    if let (Some(name), false) = (bucket, bucket_confirmed) {
        let typed: String = dialoguer::Input::new()
            .with_prompt(format!(
                "Type the bucket's name ({name}) to delete it and every log file in it"
            ))
            .allow_empty(true)
            .interact_text()
            .map_err(|e| Error::Refused(format!("not destroyed: {e}")))?;
        if typed.trim() != name {
            return Err(Error::Refused(
                "not destroyed: the name typed is not the bucket's".into(),
            ));
        }
    }
    Ok(())
}
