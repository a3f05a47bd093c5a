//! `check --accounts`: the same check in every account of an organization, from the management
//! (or a delegated administrator) account, through a role assumed in each.
//!
//! Two modes. Per account (without `--organization`): the whole chain of the configuration in
//! each account, the single-account check run there. Organization (`--organization`): the
//! organization chain in the caller's account, and in each other account its coverage: the
//! organization trail listed there (an organization trail is replicated into every member
//! account, "Understanding organization trails", AWS CloudTrail User Guide,
//! https://docs.aws.amazon.com/awscloudtrail/latest/userguide/creating-trail-organization.html),
//! and whether the account pays for a second trail recording the same management events.
//!
//! One account's failure (a role that does not exist, AccessDenied, a suspended account) is that
//! account's result; the others are checked all the same.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;

use crate::aws::{AccountSelector, Aws, MemberAccount};
use crate::config::Config;
use crate::error::Error;
use crate::model::TrailState;
use crate::plan::{missing, Action, Change, DriftKind, Finding, Plan, Resource};
use crate::report::check::CheckReport;
use crate::workflow;

// The role assumed by default, OrganizationAccountAccessRole (cli.rs), is the one AWS creates in
// every account created in an organization, trusted by the management account ("Accessing member
// accounts in your organization", AWS Organizations User Guide,
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_access.html).
// The default concurrency, 16 accounts at once: each account's check is a few rounds of parallel
// reads, so 16 keep one caller well under the APIs' rate limits (throttling is retried anyway)
// while a hundred accounts take seconds.

#[derive(Debug, Clone)]
pub(crate) struct FanoutOptions {
    pub selector: AccountSelector,
    pub role_name: String,
    pub concurrency: usize,
    pub settle: Duration,
    pub strict: bool,
}

/// One account's result: its check report, or why it could not be checked.
#[derive(Debug)]
pub(crate) struct AccountResult {
    pub id: String,
    pub name: String,
    pub report: Option<CheckReport>,
    pub error: Option<String>,
}

/// `all`, `ID,ID,…` (12-digit account ids) or an organizational unit `ou-…` (or the root
/// `r-…`), checked before any request.
pub(crate) fn parse_accounts(text: &str) -> Result<AccountSelector, String> {
    let text = text.trim();
    let unit = regex::Regex::new(r"^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$")
        .expect("valid regex");
    if text == "all" {
        return Ok(AccountSelector::All);
    }
    if unit.is_match(text) {
        return Ok(AccountSelector::Unit(text.to_string()));
    }
    let mut ids = Vec::new();
    for id in text.split(',').map(str::trim) {
        if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "--accounts {text}: expected `all`, account ids (12 digits, comma-separated) or an organizational unit (`ou-…`, or the root `r-…`); `{id}` is none of these"
            ));
        }
        if !ids.iter().any(|i| i == id) {
            ids.push(id.to_string());
        }
    }
    Ok(AccountSelector::Ids(ids))
}

/// A member account's coverage by the organization trail `org_trail_arn`, as a check report of
/// the same schema as a single-account check.
pub(crate) fn coverage_report(
    account: &str,
    region: &str,
    org_trail_arn: &str,
    trails: &[TrailState],
    requests: u64,
) -> CheckReport {
    let mut plan = Plan::default();
    let org_name = crate::arn::name(org_trail_arn);
    let covered = trails
        .iter()
        .any(|t| t.arn == org_trail_arn && t.organization_trail);
    if !covered {
        plan.changes.push(Change {
            address: format!("organization_trail.{org_name}"),
            resource: Resource::Trail,
            action: Action::Create,
            diffs: vec![missing(DriftKind::TrailMissing)],
            ops: Vec::new(),
        });
    }
    // CloudTrail: "the first copy of management events is free"; each further trail recording
    // them in the account is billed ("AWS CloudTrail pricing", https://aws.amazon.com/cloudtrail/pricing/).
    for t in trails.iter().filter(|t| {
        crate::arn::account(&t.arn) == Some(account)
            && t.selectors.as_ref().is_some_and(|s| {
                let c = s.management_coverage();
                c.read || c.write
            })
    }) {
        if covered {
            plan.warnings.push(Finding {
                code: "second-trail",
                address: Some(format!("trail.{}", t.name)),
                message: format!(
                    "trail `{}` of account {account} records management events that organization trail `{org_name}` already records: this second copy is billed",
                    t.name
                ),
            });
        }
    }
    CheckReport::new(account, region, &plan, false, requests)
}

/// The calling account, its organization's selected accounts, and the connection to assume
/// roles from.
struct Caller {
    aws: Arc<Aws>,
    me: String,
    accounts: Vec<MemberAccount>,
}

async fn caller(cfg: &Config, selector: &AccountSelector) -> Result<Caller, Error> {
    let aws = Aws::connect(&cfg.connect_options()).await?;
    let me = aws.identity().await?.account_id;
    if aws.organization().await?.is_none() {
        return Err(Error::Refused(format!(
            "--accounts: account {me} is not in an AWS Organization"
        )));
    }
    let accounts = aws.member_accounts(selector).await?;
    Ok(Caller {
        aws: Arc::new(aws),
        me,
        accounts,
    })
}

/// A connection to `account`: the caller's own credentials for the caller's account (the
/// management account has no OrganizationAccountAccessRole of its own), the assumed role for
/// the others. An account that is not active is not reached at all.
async fn connect_to(
    caller: &Aws,
    me: &str,
    account: &MemberAccount,
    cfg: &Config,
    role_name: &str,
) -> Result<Aws, String> {
    if account.status != "ACTIVE" && !account.status.is_empty() {
        return Err(format!(
            "account is {}: not reached",
            account.status.to_lowercase()
        ));
    }
    if account.id == me {
        return Aws::connect(&cfg.connect_options())
            .await
            .map_err(|e| e.to_string());
    }
    caller
        .assume(&account.id, role_name)
        .await
        .map_err(|e| format!("could not assume role {role_name}: {e}"))
}

/// Runs `work` for every account not already `done`, at most `concurrency` at once, and tells
/// `finished` of each result as it comes; the results in the accounts' order.
async fn each_account<T, Fut>(
    accounts: &[MemberAccount],
    mut done: Vec<Option<T>>,
    concurrency: usize,
    work: impl Fn(MemberAccount) -> Fut,
    mut finished: impl FnMut(usize, &T),
) -> Result<Vec<T>, Error>
where
    T: Send + 'static,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    // An account's work (and what it captures: a copy of the configuration, the connection) is
    // created only when a slot is free, so memory follows the concurrency, not the number of
    // accounts: spawning every account's task up front kept 1,000 copies of the configuration
    // alive at once (docs/benchmarks.md).
    let limit = concurrency.max(1);
    let mut todo = (0..accounts.len())
        .filter(|&i| done[i].is_none())
        .collect::<Vec<_>>()
        .into_iter();
    let mut tasks = JoinSet::new();
    let mut count = done.iter().filter(|d| d.is_some()).count();
    loop {
        while tasks.len() < limit {
            let Some(i) = todo.next() else { break };
            let job = work(accounts[i].clone());
            tasks.spawn(async move { (i, job.await) });
        }
        let Some(joined) = tasks.join_next().await else {
            break;
        };
        let (i, r) = joined.map_err(|e| Error::Failed(format!("an account's run stopped: {e}")))?;
        count += 1;
        finished(count, &r);
        done[i] = Some(r);
    }
    Ok(done.into_iter().flatten().collect())
}

/// Checks every selected account, at most `concurrency` at once; `progress` is told of each
/// result as it comes (in completion order). Results are in the organization's order.
pub(crate) async fn check(
    cfg: Config,
    opts: FanoutOptions,
    mut progress: impl FnMut(usize, usize, &AccountResult),
) -> Result<Vec<AccountResult>, Error> {
    let Caller {
        aws,
        me,
        mut accounts,
    } = caller(&cfg, &opts.selector).await?;
    // Organization mode reports the organization chain even when the caller's account is not
    // among those selected: a broken organization trail leaves every account uncovered.
    if cfg.trail.organization && !accounts.iter().any(|a| a.id == me) {
        accounts.insert(
            0,
            MemberAccount {
                id: me.clone(),
                name: "management account".into(),
                status: "ACTIVE".into(),
            },
        );
    }
    let total = accounts.len();
    let mut done: Vec<Option<AccountResult>> = accounts.iter().map(|_| None).collect();

    // Organization mode: the caller's account holds the organization chain; its trail is what
    // the other accounts must see.
    let mut org_trail = None;
    if cfg.trail.organization {
        let mut s = workflow::session(cfg.clone()).await?;
        workflow::settle(&mut s, opts.settle, |s| !s.plan.is_empty()).await?;
        org_trail = Some(s.desired.trail.arn.clone());
        if let Some(i) = accounts.iter().position(|a| a.id == me) {
            let r = AccountResult {
                id: me.clone(),
                name: accounts[i].name.clone(),
                report: Some(CheckReport::new(
                    &me,
                    &s.target.region,
                    &s.plan,
                    opts.strict,
                    s.aws.requests().total,
                )),
                error: None,
            };
            progress(1, total, &r);
            done[i] = Some(r);
        }
    }
    let region = aws.region().to_string();
    let work = |account: MemberAccount| {
        let (aws, me, cfg, opts) = (aws.clone(), me.clone(), cfg.clone(), opts.clone());
        let (org_trail, region) = (org_trail.clone(), region.clone());
        async move {
            let outcome = check_one(&aws, &account, &me, &cfg, &opts, org_trail, &region).await;
            let (report, error) = match outcome {
                Ok(r) => (Some(r), None),
                Err(e) => (None, Some(e)),
            };
            AccountResult {
                id: account.id,
                name: account.name,
                report,
                error,
            }
        }
    };
    each_account(&accounts, done, opts.concurrency, work, |n, r| {
        progress(n, total, r)
    })
    .await
}

/// One account's session for `apply --accounts`: read and planned, or why not.
pub(crate) struct AccountSession {
    pub id: String,
    pub name: String,
    pub session: Result<workflow::Session, String>,
}

/// Reads and plans every selected account (as [`check`] does, `concurrency` at once), for one
/// aggregated plan. The caller's own account is planned with the caller's credentials.
pub(crate) async fn plan_accounts(
    cfg: Config,
    opts: FanoutOptions,
    mut progress: impl FnMut(usize, usize, &str),
) -> Result<Vec<AccountSession>, Error> {
    let Caller { aws, me, accounts } = caller(&cfg, &opts.selector).await?;
    let total = accounts.len();
    let work = |account: MemberAccount| {
        let (aws, me, cfg, opts) = (aws.clone(), me.clone(), cfg.clone(), opts.clone());
        async move {
            let session = async {
                let connection = connect_to(&aws, &me, &account, &cfg, &opts.role_name).await?;
                let mut s = workflow::session_with(connection, cfg, workflow::Purpose::Converge)
                    .await
                    .map_err(|e| e.to_string())?;
                workflow::settle(&mut s, opts.settle, workflow::subscribes_to_existing_topic)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(s)
            }
            .await;
            AccountSession {
                id: account.id,
                name: account.name,
                session,
            }
        }
    };
    let none = accounts.iter().map(|_| None).collect();
    each_account(&accounts, none, opts.concurrency, work, |n, r| {
        progress(n, total, &r.id)
    })
    .await
}

async fn check_one(
    aws: &Aws,
    account: &MemberAccount,
    me: &str,
    cfg: &Config,
    opts: &FanoutOptions,
    org_trail: Option<String>,
    region: &str,
) -> Result<CheckReport, String> {
    let session = connect_to(aws, me, account, cfg, &opts.role_name).await?;
    // AssumeRole is the caller's request; the account's own are counted by its session.
    let extra = u64::from(account.id != me);
    match org_trail {
        Some(arn) => {
            let trails = session.coverage_trails().await.map_err(|e| e.to_string())?;
            Ok(coverage_report(
                &account.id,
                region,
                &arn,
                &trails,
                session.requests().total + extra,
            ))
        }
        None => {
            let mut s = workflow::session_with(session, cfg.clone(), workflow::Purpose::Converge)
                .await
                .map_err(|e| e.to_string())?;
            workflow::settle(&mut s, opts.settle, |s| !s.plan.is_empty())
                .await
                .map_err(|e| e.to_string())?;
            Ok(CheckReport::new(
                &account.id,
                &s.target.region,
                &s.plan,
                opts.strict,
                s.aws.requests().total + extra,
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BasicSelector, EventSelectors};

    #[test]
    fn account_selectors() {
        assert_eq!(parse_accounts("all"), Ok(AccountSelector::All));
        assert_eq!(
            parse_accounts("111122223333, 444455556666,111122223333"),
            Ok(AccountSelector::Ids(vec![
                "111122223333".into(),
                "444455556666".into()
            ]))
        );
        assert_eq!(
            parse_accounts("ou-ab12-cdefgh34"),
            Ok(AccountSelector::Unit("ou-ab12-cdefgh34".into()))
        );
        assert_eq!(
            parse_accounts("r-ab12"),
            Ok(AccountSelector::Unit("r-ab12".into()))
        );
        for bad in [
            "",
            "ALL",
            "1111",
            "111122223333,x",
            "ou-",
            "ou-AB12-cdefgh34",
        ] {
            assert!(parse_accounts(bad).is_err(), "{bad}");
        }
    }

    fn trail(arn: &str, org: bool, management: bool) -> TrailState {
        TrailState {
            name: crate::arn::name(arn).to_string(),
            arn: arn.to_string(),
            multi_region: true,
            organization_trail: org,
            selectors: Some(EventSelectors::Basic(vec![BasicSelector {
                read_write_type: "All".into(),
                include_management_events: management,
                data_resources: Vec::new(),
                exclude_management_event_sources: Vec::new(),
            }])),
            ..Default::default()
        }
    }

    const ORG_TRAIL: &str = "arn:aws:cloudtrail:us-east-1:999988887777:trail/org";

    #[test]
    fn coverage_by_the_organization_trail() {
        let org = trail(ORG_TRAIL, true, true);
        let covered = coverage_report(
            "111122223333",
            "us-east-1",
            ORG_TRAIL,
            std::slice::from_ref(&org),
            2,
        );
        assert!(covered.in_sync && covered.warnings.is_empty());

        let own = trail(
            "arn:aws:cloudtrail:us-east-1:111122223333:trail/own",
            false,
            true,
        );
        let twice = coverage_report(
            "111122223333",
            "us-east-1",
            ORG_TRAIL,
            &[org.clone(), own.clone()],
            3,
        );
        assert!(twice.in_sync);
        assert_eq!(twice.warnings[0].code, "second-trail");
        // A trail of data events only is no second copy.
        let data_only = trail(
            "arn:aws:cloudtrail:us-east-1:111122223333:trail/data",
            false,
            false,
        );
        let r = coverage_report("111122223333", "us-east-1", ORG_TRAIL, &[org, data_only], 3);
        assert!(r.warnings.is_empty());

        let uncovered = coverage_report("111122223333", "us-east-1", ORG_TRAIL, &[own], 2);
        assert!(!uncovered.in_sync);
        assert_eq!(uncovered.drift[0].address, "organization_trail.org");
        assert_eq!(uncovered.drift[0].kind, DriftKind::TrailMissing);
    }
}
