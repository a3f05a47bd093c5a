//! Command-line definition (clap derive only; validation happens in `config`).

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "trailwarden",
    version,
    about = "Sets up and guards the CloudTrail security-monitoring chain AWS documents",
    long_about = "Sets up and guards the CloudTrail security-monitoring chain AWS documents: \
an S3 bucket, a multi-region trail, CloudWatch Logs delivery, metric filters, alarms and SNS \
email notifications, applied idempotently from presets.\n\n\
Exit codes: 0 success / in sync, 1 error, 2 changes or drift found."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// AWS region (default: the config file, then AWS_REGION / the profile's region)
    #[arg(long, global = true, env = "TRAILWARDEN_REGION")]
    pub region: Option<String>,
    /// AWS shared-config profile
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// Send requests to this endpoint (an emulator); AWS_ENDPOINT_URL is honoured too
    #[arg(long, global = true)]
    pub endpoint_url: Option<String>,
    /// Config file (default: ./trailwarden.toml if present)
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Output format of the result on stdout
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Human)]
    pub output: OutputFormat,
    /// Apply without asking for confirmation
    #[arg(long, short = 'y', global = true)]
    pub yes: bool,
    /// Never prompt; fail where a prompt would be needed
    #[arg(long, global = true)]
    pub no_input: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Human,
    Json,
    /// JUnit XML (check only)
    Junit,
    /// GitHub Actions workflow annotations (check only)
    Github,
}

#[derive(Debug, Clone, Default, Args)]
pub struct ChainArgs {
    /// Preset name or preset file (repeatable; default: the config file's, else aws-docs)
    #[arg(long = "preset", value_name = "NAME|FILE")]
    pub presets: Vec<String>,
    /// Notification email address (repeatable)
    #[arg(long = "email", value_name = "ADDRESS")]
    pub emails: Vec<String>,
    /// S3 bucket for log files (an existing bucket named here is adopted)
    #[arg(long)]
    pub bucket: Option<String>,
    /// Name of the trail to create
    #[arg(long)]
    pub trail: Option<String>,
    /// Reuse this existing trail instead of creating one
    #[arg(long, value_name = "NAME", conflicts_with = "trail")]
    pub adopt_trail: Option<String>,
    /// CloudWatch Logs log group name
    #[arg(long)]
    pub log_group: Option<String>,
    /// Log group retention in days
    #[arg(long)]
    pub retention_days: Option<i32>,
    /// Organization mode, from the management account: the trail is the organization trail
    /// (created, or the one named with --adopt-trail), and the controls' filters and alarms go
    /// on its log group, once, for every account
    #[arg(long)]
    pub organization: bool,
    /// check / apply: every account of the organization (`all`), these accounts
    /// (`ID,ID,...`) or those under an organizational unit (`ou-...`, recursively), each through
    /// the role --role-name; from the management or a delegated administrator account
    #[arg(long, value_name = "all|ID,ID...|ou-...")]
    pub accounts: Option<String>,
    /// The role assumed in each account of --accounts (`AWSControlTowerExecution` under
    /// Control Tower)
    #[arg(
        long,
        value_name = "NAME",
        default_value = "OrganizationAccountAccessRole",
        requires = "accounts"
    )]
    pub role_name: String,
    /// Accounts checked or applied at once with --accounts
    #[arg(long, value_name = "N", default_value_t = 16,
          value_parser = clap::value_parser!(u16).range(1..=256), requires = "accounts")]
    pub concurrency: u16,
    /// Seconds to wait before reading again to confirm drift (`check`) or a missing
    /// subscription (`apply`): AWS reads can lag behind writes made moments ago. 0: no second read
    #[arg(long, value_name = "SECONDS", env = "TRAILWARDEN_SETTLE", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(0..=300))]
    pub settle: u64,
}

#[derive(Debug, Clone, Default, Args)]
pub struct DestroyArgs {
    #[command(flatten)]
    pub chain: ChainArgs,
    /// Also delete the trail trailwarden created (and its role): CloudTrail stops recording, and
    /// the account is left unmonitored
    #[arg(long)]
    pub stop_logging: bool,
    /// Also delete the log group and the bucket with every log file in it (needs
    /// --stop-logging; asks for the bucket's name)
    #[arg(long, requires = "stop_logging")]
    pub delete_log_data: bool,
    /// The bucket's name, confirming --delete-log-data without a prompt (with --yes)
    #[arg(long, value_name = "BUCKET", requires = "delete_log_data")]
    pub confirm_bucket: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show what apply would change; changes nothing (exit 2 when there are changes)
    Plan(ChainArgs),
    /// Create or repair the monitoring chain
    Apply(ChainArgs),
    /// Remove what trailwarden created for this configuration (log data is kept by default)
    Destroy(DestroyArgs),
    /// Compare the account with the configuration and report drift (exit 2 on drift)
    Check {
        #[command(flatten)]
        chain: ChainArgs,
        /// Treat subscriptions pending confirmation as drift, not warnings
        #[arg(long)]
        strict: bool,
    },
    /// Guided interactive setup: writes trailwarden.toml and offers to apply it
    Init {
        /// Where to write the configuration
        #[arg(long, default_value = "trailwarden.toml")]
        write: PathBuf,
    },
    /// List, show and test presets
    #[command(subcommand)]
    Presets(PresetsCommand),
    /// Test and explain CloudWatch Logs filter patterns
    #[command(subcommand)]
    Pattern(PatternCommand),
    /// Print the least-privilege IAM policy for a command
    Permissions {
        /// The command the policy is for
        #[arg(long = "for", value_enum)]
        for_: PermissionsFor,
        /// The policy of the management account for `--organization` (the organization's
        /// description) and `--accounts` (its accounts, and AssumeRole of --role-name in each;
        /// the role in each account needs the policy printed without these flags)
        #[arg(long)]
        accounts: bool,
        /// With --accounts: the role assumed in each account
        #[arg(
            long,
            value_name = "NAME",
            default_value = "OrganizationAccountAccessRole"
        )]
        role_name: String,
    },
    /// Backtest presets over CloudTrail log files (local paths or s3://bucket/prefix)
    Scan(ScanArgs),
    /// Write the chain as an infrastructure-as-code template (no AWS access needed)
    #[command(subcommand)]
    Export(ExportCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff)
    Manpage,
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// A CloudFormation template of what apply would create, on stdout (for a stack or a StackSet)
    Cloudformation(ExportArgs),
}

#[derive(Debug, Clone, Default, Args)]
pub struct ExportArgs {
    /// Preset name or preset file (repeatable; default: the config file's, else aws-docs)
    #[arg(long = "preset", value_name = "NAME|FILE")]
    pub presets: Vec<String>,
    /// Notification email address (repeatable); the default of the template's email parameters
    #[arg(long = "email", value_name = "ADDRESS")]
    pub emails: Vec<String>,
    /// S3 bucket for log files (default: one per account and region)
    #[arg(long)]
    pub bucket: Option<String>,
    /// Name of the trail
    #[arg(long)]
    pub trail: Option<String>,
    /// CloudWatch Logs log group name
    #[arg(long)]
    pub log_group: Option<String>,
    /// Log group retention in days
    #[arg(long)]
    pub retention_days: Option<i32>,
    /// The management account's template in organization mode: an organization trail for every
    /// account, the controls' filters and alarms once, each alarm per account
    #[arg(long)]
    pub organization: bool,
    /// The member accounts' template in organization mode: the read-only role
    /// `check --organization --accounts ... --role-name trailwarden-check` assumes in each
    #[arg(long, conflicts_with = "organization")]
    pub member: bool,
    /// Template format
    #[arg(long, value_enum, default_value_t = TemplateFormat::Yaml)]
    pub format: TemplateFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum TemplateFormat {
    #[default]
    Yaml,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PermissionsFor {
    Check,
    Apply,
    /// `destroy`, every flag included (`--stop-logging`, `--delete-log-data`)
    Destroy,
    /// `scan` of s3:// inputs: listing and downloading log files
    Scan,
}

#[derive(Debug, Subcommand)]
pub enum PresetsCommand {
    /// List the built-in presets
    List,
    /// Show a preset's controls (name or file)
    Show { name: String },
    /// Run every control's example events against its pattern, and the pattern lints
    Test {
        /// Presets to test (default: all built-in)
        names: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum PatternCommand {
    /// Evaluate a pattern against events from files or stdin
    Test {
        pattern: String,
        /// Event files: one event per line, or CloudTrail log files (.json / .json.gz); stdin if none
        files: Vec<PathBuf>,
    },
    /// Show how a pattern parses and, for an event, why it matches or not
    Explain {
        pattern: String,
        /// A file holding one event (or a CloudTrail log file: its first record)
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Args)]
pub struct ScanArgs {
    /// Files, directories (recursive) or s3://bucket/prefix
    #[arg(required = true)]
    pub inputs: Vec<String>,
    /// Presets whose controls to backtest (default: the config's, else aws-docs)
    #[arg(long = "preset", value_name = "NAME|FILE")]
    pub presets: Vec<String>,
    /// Only logs from this date on (YYYY-MM-DD or RFC 3339)
    #[arg(long)]
    pub since: Option<String>,
    /// Only logs before this date (YYYY-MM-DD or RFC 3339)
    #[arg(long)]
    pub until: Option<String>,
    /// Print the events matching this filter (name or control id) as JSON lines; stdout then
    /// carries only them, and a summary line goes to stderr
    #[arg(long, value_name = "FILTER")]
    pub matches: Option<String>,
    /// Worker threads (default: all cores). With 2 or more, a large gzip file (4 MiB or more)
    /// is also decompressed on a second thread of its worker; 1 means one core
    #[arg(long)]
    pub jobs: Option<usize>,
    /// No progress bar and no notes on stderr (skipped files are still listed in the report)
    #[arg(long)]
    pub quiet: bool,
}
