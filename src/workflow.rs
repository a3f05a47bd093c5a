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
    let id = aws.identity().await?;
    let target = Target::new(&id.account_id, aws.region());
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
