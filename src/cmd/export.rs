//! `export cloudformation`: the configuration in, a template on stdout. No AWS access: the
//! account and region are the template's pseudo parameters.

use crate::cli::{ExportArgs, ExportCommand, GlobalArgs, TemplateFormat};
use crate::config::{self, Overrides};
use crate::diag::Code;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::export::{self, Variant};

pub(super) fn run(cmd: &ExportCommand, g: &GlobalArgs) -> Result<ExitStatus, Error> {
    let ExportCommand::Cloudformation(args) = cmd;
    let cfg =
        config::load_for(&overrides(g, args), config::Purpose::Export).map_err(Error::Config)?;
    for w in cfg.warnings.iter().filter(|w| w.code != Code::PatternLint) {
        eprintln!("{w}");
    }
    let variant = if args.member {
        Variant::Member
    } else if args.organization {
        Variant::Organization
    } else {
        Variant::Account
    };
    let out = export::export(&cfg, variant).map_err(|e| Error::Input(e.to_string()))?;
    for note in &out.notes {
        eprintln!("note: {note}");
    }
    let text = match args.format {
        TemplateFormat::Yaml => export::to_yaml(&out.template),
        TemplateFormat::Json => export::to_json(&out.template),
    };
    if let Some(note) = export::size_note(text.len()) {
        eprintln!("note: {note}");
    }
    print!("{text}");
    Ok(ExitStatus::Ok)
}

fn overrides(g: &GlobalArgs, a: &ExportArgs) -> Overrides {
    Overrides {
        config: g.config.clone(),
        region: g.region.clone(),
        profile: g.profile.clone(),
        endpoint_url: g.endpoint_url.clone(),
        presets: a.presets.clone(),
        emails: a.emails.clone(),
        bucket: a.bucket.clone(),
        trail: a.trail.clone(),
        adopt_trail: None,
        log_group: a.log_group.clone(),
        retention_days: a.retention_days,
        organization: a.organization,
    }
}
