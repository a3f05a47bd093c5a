//! The workflow under every command that touches an account: connect, identify, read, plan
//! (and settle doubtful reads). Takes resolved values, returns data; prints nothing but progress.

use std::time::Duration;

use crate::aws::Aws;
use crate::config::Config;
use crate::desired;
use crate::error::Error;
use crate::model::{Actual, Desired, Target};
use crate::plan::{self, Plan};

/// Everything validated and read: what is wanted, what is there, the plan.
pub(crate) struct Session {
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
pub(crate) async fn settle(
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
pub(crate) fn subscribes_to_existing_topic(s: &Session) -> bool {
    s.plan.changes.iter().any(|c| {
        c.ops.iter().any(|op| match op {
            crate::model::Op::Subscribe { topic_arn, .. } => {
                s.actual.topics.values().any(|t| &t.arn == topic_arn)
            }
            _ => false,
        })
    })
}

/// What a session reads and plans for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Purpose {
    /// `plan`, `apply`, `check`: converge on the configuration.
    Converge,
    /// `destroy`: remove what trailwarden created for it.
    Destroy(plan::DestroyOptions),
}

async fn read(aws: &Aws, desired: &Desired, purpose: Purpose) -> Result<Actual, Error> {
    Ok(match purpose {
        Purpose::Converge => aws.read(desired).await?,
        Purpose::Destroy(_) => aws.read_for_destroy(desired).await?,
    })
}

pub(crate) async fn session(cfg: Config) -> Result<Session, Error> {
    session_for(cfg, Purpose::Converge).await
}

pub(crate) async fn session_for(cfg: Config, purpose: Purpose) -> Result<Session, Error> {
    let aws = Aws::connect(&cfg.connect_options()).await?;
    session_with(aws, cfg, purpose).await
}

/// The organization the account manages, for organization mode.
///
/// An organization trail is created and changed only from the management account
/// (CreateTrail: NotOrganizationMasterAccountException otherwise, AWS CloudTrail API Reference,
/// https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_CreateTrail.html). A delegated
/// administrator may also manage it, but the trail stays the management account's (its ARN names
/// that account): organization mode runs from the management account only, said at once.
pub(crate) async fn managed_organization(
    aws: &Aws,
    account: &str,
) -> Result<crate::model::Organization, Error> {
    let org = aws.organization().await?.ok_or_else(|| {
        Error::Refused(format!(
            "--organization: account {account} is not in an AWS Organization (organizations:DescribeOrganization answered AWSOrganizationsNotInUseException)"
        ))
    })?;
    if org.management_account != account {
        return Err(Error::Refused(format!(
            "--organization runs from the management account of organization {} ({}); account {account} is a member account. Run it there, or without --organization for this account's own chain",
            org.id, org.management_account
        )));
    }
    Ok(org)
}

/// [`session`] on an existing connection (an assumed role in a member account).
pub(crate) async fn session_with(
    aws: Aws,
    cfg: Config,
    purpose: Purpose,
) -> Result<Session, Error> {
    let id = aws.identity().await?;
    let organization = match cfg.trail.organization {
        true => Some(managed_organization(&aws, &id.account_id).await?),
        false => None,
    };
    let target = Target::new(&id.account_id, aws.region()).with_organization(organization);
    let mut desired = desired::build(&cfg, &target, None);
    let mut actual = read(&aws, &desired, purpose).await?;
    if cfg.trail.adopt {
        // Adoption: the existing trail's bucket, log group and role decide where the filters go.
        let name = desired.trail.name.clone();
        if let Some(t) = actual.trails.iter().find(|t| t.name == name).cloned() {
            let adopted = desired::build(&cfg, &target, Some(&t));
            if adopted != desired {
                desired = adopted;
                actual = read(&aws, &desired, purpose).await?;
            }
        }
    }
    let plan = match purpose {
        Purpose::Converge => plan::plan(&desired, &actual),
        Purpose::Destroy(opts) => plan::destroy(&desired, &actual, opts),
    };
    Ok(Session {
        aws,
        config: cfg,
        target,
        desired,
        actual,
        plan,
    })
}
