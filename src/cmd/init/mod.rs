//! `trailwarden init`: guided interactive setup.
//!
//! Shows who and where (STS), looks at what the account already has (trails, topics), asks a few
//! questions that all have a default but the email address, validates the result as any config
//! file is validated, shows the plan, writes the file atomically (nothing is written before the
//! last question is answered) and offers to apply it through the same code path as `apply`.

mod render;
mod survey;
mod ui;
mod wait;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use dialoguer::console::Term;

use crate::aws::discover::{Discovery, TopicSummary};
use crate::aws::{Aws, AwsError, ConnectOptions, Identity};
use crate::cli::GlobalArgs;
use crate::cmd::chain;
use crate::config::{self, Config, FileConfig, Overrides};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::preset;
use crate::report;
use crate::workflow;

use render::{Answers, Kept};
use survey::TrailChoice;
use ui::Halt;

pub(crate) async fn run(g: &GlobalArgs, write: &Path) -> Result<ExitStatus, Error> {
    let path = g.config.clone().unwrap_or_else(|| write.to_path_buf());
    if g.no_input || !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        let why = if g.no_input {
            "--no-input was given"
        } else {
            "there is no terminal to ask on"
        };
        return Err(Error::Refused(format!(
            "init asks questions, and {why}. Without it: write {} by hand (see docs/configuration.md) \
             and run `trailwarden apply`, or pass everything as flags, e.g. \
             `trailwarden apply --preset aws-docs --email you@example.com --yes`",
            path.display()
        )));
    }
    match guided(g, &path).await {
        Ok(code) => Ok(code),
        Err(Halt::Cancelled) => {
            ui::restore_terminal();
            eprintln!();
            eprintln!("init cancelled: nothing was written.");
            Ok(ExitStatus::Interrupted)
        }
        Err(Halt::Error(e)) => Err(e),
    }
}

/// An existing file at the target path.
struct Existing {
    /// Its settings, when it is a valid configuration.
    file: Option<FileConfig>,
    problems: usize,
}

impl Existing {
    fn read(path: &Path) -> Option<Existing> {
        if !path.exists() {
            return None;
        }
        let Ok(text) = std::fs::read_to_string(path) else {
            return Some(Existing {
                file: None,
                problems: 1,
            });
        };
        let name = path.display().to_string();
        Some(
            match config::from_str(&name, &text, &Overrides::default()) {
                Ok(_) => Existing {
                    file: toml::from_str::<FileConfig>(&text).ok(),
                    problems: 0,
                },
                Err(d) => Existing {
                    file: None,
                    problems: d.errors().count().max(1),
                },
            },
        )
    }
}

fn say(line: impl AsRef<str>) {
    eprintln!("{}", line.as_ref());
}

fn heading(title: &str) {
    let t = Term::stderr();
    eprintln!();
    eprintln!("{}", dialoguer::console::style(title).bold().for_stderr());
    let _ = t.flush();
}

/// Wraps `text` at 92 columns, each line starting with `indent`.
fn wrapped(text: &str, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && indent.len() + line.len() + 1 + word.len() > 92 {
            out.push_str(indent);
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(indent);
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// `text` cut to `width` characters (a wrapped item would break the redrawing of a list).
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let cut: String = text.chars().take(width.saturating_sub(3)).collect();
    format!("{}...", cut.trim_end())
}

fn first_sentence(text: &str) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match text.find(". ") {
        Some(i) => text[..=i].to_string(),
        None => text,
    }
}

async fn guided(g: &GlobalArgs, path: &Path) -> Result<ExitStatus, Halt> {
    let Some(existing) = existing_file(path)? else {
        return Ok(ExitStatus::Ok);
    };
    let previous = existing.as_ref().and_then(|e| e.file.as_ref());

    // Who and where.
    let (aws, region_from) = connect(g, previous).await?;
    let id = aws.identity().await?;
    let region = aws.region().to_string();
    show_identity(g, &id, &region, &region_from);

    // What is there.
    say("");
    say("Looking at what the account has...");
    let found = aws.discover().await?;
    show_discovery(&found);

    let organization = ask_organization(&aws, &id.account_id, previous).await?;
    let (trail, adopted, adopted_log_group) = ask_trail(&found, &id, &region, previous)?;
    let presets = ask_presets(path, previous)?;
    let disabled = ask_controls(path, &presets, previous)?;
    let (emails, topic) = ask_notifications(&found, previous)?;
    let (bucket, default_bucket, retention_days, kms_key_id) = ask_storage(
        &id,
        &region,
        previous,
        adopted.is_some(),
        adopted_log_group.is_some(),
    )?;
    let answers = Answers {
        region: region.clone(),
        profile: g
            .profile
            .clone()
            .or_else(|| previous.and_then(|f| f.profile.clone())),
        presets,
        disabled,
        emails,
        trail,
        organization,
        adopted_log_group,
        bucket,
        default_bucket,
        retention_days,
        kms_key_id,
        topic,
        kept: previous.map(Kept::from_file).unwrap_or_default(),
    };
    review_and_apply(g, path, &answers).await
}

/// The introduction, and what to do with an existing file. `None`: the user keeps the file.
fn existing_file(path: &Path) -> Result<Option<Option<Existing>>, Halt> {
    say("trailwarden init sets up CloudTrail security monitoring: a multi-region trail, its");
    say("CloudWatch Logs delivery, metric filters, alarms and email notifications.");
    say("Enter accepts the [default]; Ctrl-C stops without writing anything.");

    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.is_dir() {
            return Err(Halt::Error(Error::Input(format!(
                "cannot write {}: directory {} does not exist",
                path.display(),
                dir.display()
            ))));
        }
    }
    let existing = Existing::read(path);
    if let Some(e) = &existing {
        heading(&format!("{} exists", path.display()));
        match (&e.file, e.problems) {
            (Some(f), _) => {
                say("Its settings are the defaults of the questions below.");
                let dropped = render::dropped_keys(f);
                if !dropped.is_empty() {
                    say(format!(
                        "init does not ask about, and would not keep: {}.",
                        dropped.join(", ")
                    ));
                }
            }
            (None, n) => say(format!(
                "It is not a valid configuration ({}); the questions start from the defaults.",
                crate::report::counted(n, "problem")
            )),
        }
        if !ui::confirm(&format!("Replace {} when done", path.display()), false)? {
            say(format!(
                "{} left as it is. To write elsewhere: trailwarden init --config OTHER.toml",
                path.display()
            ));
            return Ok(None);
        }
    }
    Ok(Some(existing))
}

/// In an organization's management account, whether to set up the organization trail
/// (organization mode); in a member account, where its organization's trail is managed. A
/// caller not allowed to describe the organization is asked nothing.
async fn ask_organization(
    aws: &Aws,
    account: &str,
    previous: Option<&FileConfig>,
) -> Result<bool, Halt> {
    let Ok(Some(org)) = aws.organization().await else {
        return Ok(false);
    };
    heading("Organization");
    if org.management_account != account {
        eprint!(
            "{}",
            wrapped(
                &format!(
                    "Account {account} is a member of organization {}, managed from account {}: an organization trail and its alarms are set up there (`trailwarden apply --organization`). What follows is this account's own chain.",
                    org.id, org.management_account
                ),
                "  "
            )
        );
        return Ok(false);
    }
    eprint!(
        "{}",
        wrapped(
            &format!(
                "Account {account} manages organization {}. An organization trail records every account's events into one log group, where the alarms are set up once and name the account that fired them; without it, this account's own chain only.",
                org.id
            ),
            "  "
        )
    );
    ui::confirm(
        "Set up the organization trail, for every account",
        previous.is_none_or(|f| f.trail.organization),
    )
}

/// Which trail: a new one, or an existing one to adopt (and the log group it delivers to).
fn ask_trail<'a>(
    found: &'a Discovery,
    id: &Identity,
    region: &str,
    previous: Option<&FileConfig>,
) -> Result<
    (
        TrailChoice,
        Option<&'a crate::model::TrailState>,
        Option<String>,
    ),
    Halt,
> {
    let previous_trail = previous.and_then(|f| {
        f.trail.name.clone().map(|name| match f.trail.adopt {
            true => TrailChoice::Adopt { name },
            false => TrailChoice::Create { name },
        })
    });
    let advice = survey::advise(
        &found.trails,
        &id.account_id,
        region,
        previous_trail.as_ref(),
    );
    heading("Trail");
    for n in &advice.notes {
        eprint!("{}", wrapped(n, "  "));
    }
    let trail = if advice.obvious() {
        say(format!("  -> {}", advice.options[0].label));
        advice.options[0].choice.clone()
    } else {
        let labels: Vec<String> = advice.options.iter().map(|o| o.label.clone()).collect();
        let i = ui::select("Trail", &labels, advice.default)?;
        advice.options[i].choice.clone()
    };
    let adopted = match &trail {
        TrailChoice::Adopt { name } => found
            .trails
            .iter()
            .find(|t| &t.name == name && survey::home_region(t) == Some(region)),
        TrailChoice::Create { .. } => None,
    };
    let adopted_log_group = adopted
        .and_then(|t| t.cw_log_group_arn.as_deref())
        .map(|g| crate::arn::log_group_name(g).to_string());

    Ok((trail, adopted, adopted_log_group))
}

/// Who is told: the email addresses, and the topic.
fn ask_notifications(
    found: &Discovery,
    previous: Option<&FileConfig>,
) -> Result<(Vec<String>, Option<String>), Halt> {
    heading("Notifications");
    say("Alarms notify an SNS topic; each address below is subscribed to it by email.");
    let default_emails = previous
        .and_then(|f| f.emails.clone())
        .filter(|e| !e.is_empty())
        .map(|e| e.join(", "));
    let emails_text = ui::input(
        "Email addresses for the alarms (comma-separated)",
        default_emails.as_deref(),
        |t| render::parse_emails(t).map(|_| ()),
    )?;
    let emails = render::parse_emails(&emails_text).map_err(|e| Halt::Error(Error::Input(e)))?;
    let topic = ask_topic(&found.topics, previous)?;

    Ok((emails, topic))
}

/// Where the log files go and how long events are kept: (bucket, default bucket name,
/// retention days, KMS key).
fn ask_storage(
    id: &Identity,
    region: &str,
    previous: Option<&FileConfig>,
    adopted: bool,
    has_log_group: bool,
) -> Result<(Option<String>, String, i32, Option<String>), Halt> {
    let target = crate::model::Target::new(&id.account_id, region);
    let default_bucket = crate::desired::default_bucket_name(&target);
    let mut bucket = None;
    let mut kms_key_id = None;
    let mut retention_days = previous
        .and_then(|f| f.log_group.retention_days)
        .unwrap_or(config::DEFAULT_RETENTION_DAYS);
    if !adopted || !has_log_group {
        heading("Storage");
    }
    if !adopted {
        let previous_bucket = previous.and_then(|f| f.bucket.name.clone());
        let name = ui::input(
            "S3 bucket for the log files (an existing one is adopted)",
            Some(previous_bucket.as_deref().unwrap_or(&default_bucket)),
            |b| config::check_bucket_name(b).map_err(|why| format!("invalid bucket name: {why}")),
        )?;
        bucket = (name != default_bucket).then_some(name);
    }
    if !has_log_group {
        let days = config::RETENTION_DAYS;
        let labels: Vec<String> = days.iter().map(|d| render::retention_label(*d)).collect();
        let at = days.iter().position(|d| *d == retention_days).unwrap_or(0);
        retention_days = days[ui::select("Keep the events in CloudWatch Logs for", &labels, at)?];
    }
    if !adopted {
        let previous_key = previous.and_then(|f| f.trail.kms_key_id.clone());
        if ui::confirm(
            "Encrypt the log files with your own KMS key instead of S3-managed keys",
            previous_key.is_some(),
        )? {
            kms_key_id = Some(ui::input(
                "KMS key for the log files (ARN, alias/NAME or key id; its policy must let CloudTrail use it)",
                previous_key.as_deref(),
                render::check_kms_key,
            )?);
        }
    }

    Ok((bucket, default_bucket, retention_days, kms_key_id))
}

/// Writes the file after showing the plan, then offers to apply it.
async fn review_and_apply(
    g: &GlobalArgs,
    path: &Path,
    answers: &Answers,
) -> Result<ExitStatus, Halt> {
    let text = render::render(answers);
    let cfg = validate(g, path, &text)?;

    // The plan, read as `plan` reads it.
    heading("Plan");
    say("Reading the account...");
    let s = workflow::session(cfg).await?;
    eprint!("{}", report::render_plan(&s.plan));
    let volume = s.aws.measure_volume(&s.desired, &s.actual).await;
    eprint!(
        "{}",
        crate::cost::render(&crate::cost::estimate(
            &s.desired,
            &s.plan,
            &s.actual,
            volume.as_ref(),
            &s.config.prices,
        ))
    );

    write_atomically(path, &text).map_err(|e| {
        Halt::Error(Error::Failed(format!(
            "cannot write {}: {e}",
            path.display()
        )))
    })?;
    heading(&format!("Wrote {}", path.display()));

    if !s.plan.conflicts.is_empty() {
        return Err(Halt::Error(Error::Refused(format!(
            "{} above must be resolved before applying: edit {} and run `trailwarden apply --config {}`",
            crate::report::counted(s.plan.conflicts.len(), "conflict"),
            path.display(),
            path.display()
        ))));
    }
    if s.plan.is_empty() {
        say("Nothing to apply: the account already matches the configuration.");
        next_steps(path);
        return Ok(ExitStatus::Ok);
    }
    let apply_now = if g.yes {
        true
    } else {
        match ui::confirm("Apply these changes now", false) {
            Ok(yes) => yes,
            Err(Halt::Cancelled) => {
                ui::restore_terminal();
                eprintln!();
                say(format!(
                    "Not applied; the configuration is in {}.",
                    path.display()
                ));
                return Ok(ExitStatus::Interrupted);
            }
            Err(e) => return Err(e),
        }
    };
    if !apply_now {
        say(format!(
            "Not applied. When ready: trailwarden apply --config {}",
            path.display()
        ));
        return Ok(ExitStatus::Ok);
    }
    // The outcome as `apply` reports it to a person, whatever --output says.
    let human = GlobalArgs {
        output: crate::cli::OutputFormat::Human,
        ..g.clone()
    };
    let code = chain::apply_session(&human, &s).await?;
    let _ = std::io::stdout().flush();
    await_confirmation(
        &s.aws,
        &s.desired
            .topics
            .iter()
            .map(|t| t.arn.clone())
            .collect::<Vec<_>>(),
    )
    .await?;
    next_steps(path);
    Ok(code)
}

/// Connects, asking for the region when none is configured. Returns where the region came from.
async fn connect(g: &GlobalArgs, previous: Option<&FileConfig>) -> Result<(Aws, String), Halt> {
    let (mut region, mut from) = match (&g.region, previous.and_then(|f| f.region.clone())) {
        (Some(r), _) => (Some(r.clone()), "--region".to_string()),
        (None, Some(r)) => (Some(r), "the existing configuration".to_string()),
        (None, None) => (None, String::new()),
    };
    // An `endpoint_url` of the existing file is not written again (an emulator's): flags only.
    let endpoint_url = g.endpoint_url.clone();
    let profile = g
        .profile
        .clone()
        .or_else(|| previous.and_then(|f| f.profile.clone()));
    loop {
        let opts = ConnectOptions {
            region: region.clone(),
            profile: profile.clone(),
            endpoint_url: endpoint_url.clone(),
            fallback_region: None,
        };
        match Aws::connect(&opts).await {
            Err(AwsError::UnknownRegion(r)) => {
                return Err(Halt::Error(Error::Input(format!(
                    "unknown region `{r}` (expected e.g. us-east-1, eu-west-1); pass --region"
                ))));
            }
            Ok(aws) => {
                if from.is_empty() {
                    from = ["AWS_REGION", "AWS_DEFAULT_REGION"]
                        .into_iter()
                        .find(|v| std::env::var(v).is_ok_and(|r| r == aws.region()))
                        .map(str::to_string)
                        .unwrap_or_else(|| "the AWS profile".to_string());
                }
                return Ok((aws, from));
            }
            Err(AwsError::NoRegion) if region.is_none() => {
                say("No AWS region is configured (AWS_REGION, the profile's region, --region).");
                let r = ui::input(
                    "Region to set up",
                    Some(survey::GLOBAL_EVENTS_REGION),
                    |r| {
                        if config::REGIONS.contains(&r) {
                            Ok(())
                        } else {
                            Err(format!("unknown region `{r}` (e.g. us-east-1, eu-west-1)"))
                        }
                    },
                )?;
                region = Some(r);
                from = "your answer".to_string();
            }
            Err(e) => return Err(e.into()),
        }
    }
}

fn show_identity(g: &GlobalArgs, id: &Identity, region: &str, region_from: &str) {
    heading("Account");
    let source =
        survey::credential_source(g.profile.as_deref(), |k| std::env::var(k).ok(), &id.arn);
    say(format!("  Account      {}", id.account_id));
    say(format!(
        "  Caller       {} ({})",
        id.arn,
        survey::describe_principal(&id.arn)
    ));
    say(format!("  Credentials  {source}"));
    say(format!(
        "  Region       {region} (from {region_from}; --region sets up another)"
    ));
    if id.arn.ends_with(":root") {
        eprint!(
            "{}",
            wrapped(
                "These are the root user's credentials. Prefer an IAM role or an IAM Identity \
                 Center user: the root-usage alarm set up here fires on every root request.",
                "  ! "
            )
        );
    }
}

fn show_discovery(found: &Discovery) {
    if found.trails.is_empty() {
        say("  Trails: none");
    } else {
        say("  Trails:");
        for t in &found.trails {
            say(format!("    {}", survey::describe(t)));
        }
    }
    if found.topics.is_empty() {
        say("  SNS topics: none");
    } else {
        let names: Vec<&str> = found.topics.iter().map(|t| t.name.as_str()).collect();
        let shown = names.iter().take(8).copied().collect::<Vec<_>>().join(", ");
        let more = names.len().saturating_sub(8);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        say(format!("  SNS topics: {shown}{more}"));
    }
}

/// The chosen presets as a configuration at `path` reads them (preset files are relative to it).
fn probe(path: &Path, presets: &[String]) -> Result<Config, crate::diag::Diagnostics> {
    let list: Vec<String> = presets
        .iter()
        .map(|p| toml::Value::String(p.clone()).to_string())
        .collect();
    let text = format!(
        "emails = [\"probe@example.com\"]\npresets = [{}]\n",
        list.join(", ")
    );
    config::from_str(&path.display().to_string(), &text, &Overrides::default())
}

/// Presets to combine; at least one, and a combination that validates.
fn ask_presets(path: &Path, previous: Option<&FileConfig>) -> Result<Vec<String>, Halt> {
    heading("Presets");
    let mut names: Vec<String> = preset::builtin_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let chosen_before: Vec<String> = previous
        .map(|f| match (&f.presets, &f.preset) {
            (Some(list), _) => list.clone(),
            (None, Some(one)) => vec![one.clone()],
            (None, None) => vec![config::DEFAULT_PRESET.to_string()],
        })
        .unwrap_or_else(|| vec![config::DEFAULT_PRESET.to_string()]);
    // Preset files of an existing configuration are offered too.
    for p in &chosen_before {
        if !names.contains(p) {
            names.push(p.clone());
        }
    }
    let mut items = Vec::new();
    for name in &names {
        let mut d = crate::diag::Diagnostics::default();
        let spec = match path.parent() {
            // Preset files are relative to the configuration file.
            Some(dir) if name.ends_with(".toml") && Path::new(name).is_relative() => {
                dir.join(name).display().to_string()
            }
            _ => name.clone(),
        };
        items.push(match preset::load(&spec, &mut d) {
            Some(p) => fit(
                &format!("{name}  {} controls: {}", p.controls.len(), p.title),
                76,
            ),
            None => format!("{name}  (cannot be read here)"),
        });
    }
    let mut checked: Vec<bool> = names.iter().map(|n| chosen_before.contains(n)).collect();
    loop {
        let picked = ui::multi_select("Presets", &items, &checked)?;
        if picked.is_empty() {
            say("  Choose at least one preset (Space toggles).");
            continue;
        }
        let chosen: Vec<String> = picked.iter().map(|i| names[*i].clone()).collect();
        // Combined presets may disagree on a filter: check before going on.
        match probe(path, &chosen) {
            Ok(_) => return Ok(chosen),
            Err(d) => {
                say("  These presets cannot be combined:");
                for e in d.errors() {
                    say(format!("    {}", e.message));
                }
                checked = names.iter().map(|n| chosen.contains(n)).collect();
            }
        }
    }
}

/// The controls of the chosen presets, each described; returns the ids left out.
fn ask_controls(
    path: &Path,
    presets: &[String],
    previous: Option<&FileConfig>,
) -> Result<Vec<String>, Halt> {
    let cfg = probe(path, presets).map_err(|d| Halt::Error(Error::Config(d)))?;
    heading("Controls");
    say("Each control is a metric filter on the trail's log group and an alarm on its count.");
    let mut ids: Vec<String> = Vec::new();
    for c in &cfg.controls {
        if ids.contains(&c.id) {
            continue;
        }
        ids.push(c.id.clone());
        let source = cfg
            .presets
            .iter()
            .flat_map(|p| p.controls.iter())
            .find(|rc| rc.control.id == c.id)
            .map(|rc| &rc.control);
        say(format!("  {}  {}", c.id, c.title));
        if let Some(src) = source {
            if !src.rationale.trim().is_empty() {
                eprint!("{}", wrapped(&first_sentence(&src.rationale), "      "));
            }
            let mut sat = vec![if c.auditors.is_empty() {
                "accepted by: no auditor checks this pattern".to_string()
            } else {
                format!("accepted by: {}", c.auditors.join(", "))
            }];
            if !src.references.cis.is_empty() {
                sat.push(format!("CIS {}", src.references.cis.join(", ")));
            }
            if !src.references.securityhub.is_empty() {
                sat.push(format!(
                    "Security Hub {}",
                    src.references.securityhub.join(", ")
                ));
            }
            say(format!("      {}", sat.join("; ")));
        }
    }
    let was_disabled = |id: &str| {
        previous
            .and_then(|f| f.controls.get(id))
            .is_some_and(|o| o.disabled)
    };
    let items: Vec<String> = ids
        .iter()
        .map(|id| {
            let title = cfg
                .controls
                .iter()
                .find(|c| &c.id == id)
                .map(|c| c.title.as_str());
            fit(&format!("{id}  {}", title.unwrap_or_default()), 76)
        })
        .collect();
    let checked: Vec<bool> = ids.iter().map(|id| !was_disabled(id)).collect();
    loop {
        let on = ui::multi_select("Controls to set up", &items, &checked)?;
        if on.is_empty() {
            say("  Keep at least one control (Space toggles).");
            continue;
        }
        return Ok(ids
            .iter()
            .enumerate()
            .filter(|(i, _)| !on.contains(i))
            .map(|(_, id)| id.clone())
            .collect());
    }
}

/// An existing topic for the alarms, when the account has some.
fn ask_topic(
    topics: &[TopicSummary],
    previous: Option<&FileConfig>,
) -> Result<Option<String>, Halt> {
    let others: Vec<&TopicSummary> = topics
        .iter()
        .filter(|t| t.name != config::DEFAULT_TOPIC)
        .collect();
    if others.is_empty() {
        return Ok(None);
    }
    let previous = previous
        .and_then(|f| f.topics.get(config::DEFAULT_TOPIC_KEY))
        .and_then(|t| t.name.clone());
    let mut items = vec![format!("{} (trailwarden's own)", config::DEFAULT_TOPIC)];
    items.extend(
        others
            .iter()
            .map(|t| fit(&format!("{} (existing; adopted)", t.name), 76)),
    );
    let default = previous
        .and_then(|p| others.iter().position(|t| t.name == p).map(|i| i + 1))
        .unwrap_or(0);
    let i = ui::select("SNS topic for the alarms", &items, default)?;
    Ok((i > 0).then(|| others[i - 1].name.clone()))
}

/// Validates the text as `apply --config` will read it; an invalid file is never written.
fn validate(g: &GlobalArgs, path: &Path, text: &str) -> Result<Config, Halt> {
    let ov = Overrides {
        endpoint_url: g.endpoint_url.clone(),
        ..Default::default()
    };
    config::from_str(&path.display().to_string(), text, &ov)
        .map_err(|d| Halt::Error(Error::Config(d)))
}

/// Writes `text` to a temporary file beside `path`, then renames it over `path`: readers see the
/// old file or the whole new one, never a part.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| config::DEFAULT_CONFIG_FILE.to_string());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// After apply: tells about unconfirmed subscriptions and, if asked, waits for them.
async fn await_confirmation(aws: &Aws, topic_arns: &[String]) -> Result<(), Halt> {
    let pending = match aws.pending_email_subscriptions(topic_arns).await {
        Ok(p) => p,
        Err(e) => {
            say(format!("Could not read the subscriptions: {e}"));
            return Ok(());
        }
    };
    if pending.is_empty() {
        say("Every email subscription is confirmed.");
        return Ok(());
    }
    let addresses: Vec<String> = pending.iter().map(|(_, a)| a.clone()).collect();
    say("");
    say(format!("Not confirmed yet: {}.", addresses.join(", ")));
    let wait_now = match ui::confirm(
        "Wait here for the confirmation (Ctrl-C stops waiting)",
        true,
    ) {
        Ok(w) => w,
        Err(Halt::Cancelled) => {
            ui::restore_terminal();
            eprintln!();
            false
        }
        Err(e) => return Err(e),
    };
    if !wait_now {
        say("`trailwarden check` lists subscriptions still pending.");
        return Ok(());
    }
    let term = Term::stderr();
    let _ = term.hide_cursor();
    let guard = ui::ctrl_c::catch();
    let pace = wait::Pace::default();
    let end = wait::wait_for(
        pace,
        || async {
            aws.pending_email_subscriptions(topic_arns)
                .await
                .map(|p| p.into_iter().map(|(_, a)| a).collect::<Vec<_>>())
        },
        ui::ctrl_c::pressed,
        |frame, pending, elapsed| {
            let _ = term.clear_line();
            let line = format!(
                "{frame} {} Waiting for {} to confirm (Ctrl-C stops waiting, at most {})",
                wait::clock(elapsed),
                pending.join(", "),
                wait::clock(pace.at_most)
            );
            // One terminal line, or clearing it would leave the wrapped rest behind.
            let width = usize::from(term.size().1).max(20) - 1;
            let _ = term.write_str(&fit(&line, width));
        },
    )
    .await;
    drop(guard);
    let _ = term.clear_line();
    let _ = term.show_cursor();
    match end {
        Ok(wait::WaitEnd::Confirmed) => say("Confirmed: the alarms will reach every address."),
        Ok(wait::WaitEnd::Skipped { pending }) | Ok(wait::WaitEnd::TimedOut { pending }) => {
            say(format!(
                "Still pending: {}. `trailwarden check` lists subscriptions still pending.",
                pending.join(", ")
            ))
        }
        Err(e) => say(format!("Stopped waiting: {e}")),
    }
    Ok(())
}

fn next_steps(path: &Path) {
    say("");
    say(format!(
        "Next: `trailwarden check --config {}` reports drift (exit 2); run it on a schedule.",
        path.display()
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_replace_the_file_whole() {
        let dir = std::env::temp_dir().join(format!("tw-init-write-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("trailwarden.toml");
        std::fs::write(&path, "old").unwrap();
        write_atomically(&path, "region = \"us-east-1\"\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "region = \"us-east-1\"\n"
        );
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
        // A directory that does not exist: an error, and nothing left behind.
        assert!(write_atomically(&dir.join("missing/x.toml"), "x").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn text_is_wrapped_and_cut_to_a_sentence() {
        let w = wrapped(&"word ".repeat(40), "  ");
        assert!(w.lines().all(|l| l.len() <= 92 && l.starts_with("  ")));
        assert_eq!(first_sentence("One thing. Another.\n"), "One thing.");
        assert_eq!(first_sentence("Only one"), "Only one");
    }
}
