//! Executes a [`Plan`] in dependency order through an [`Executor`] port, retrying the errors
//! CloudTrail documents as eventual consistency (a role or bucket policy created seconds ago).
//!
//! Stops at the first failure: what was done stays done, and the next `apply` plans only what
//! is still missing, so a half-finished apply is completed by the next one.

use serde::Serialize;
use std::future::Future;
use std::time::Duration;

use crate::aws::AwsError;
use crate::model::Op;
use crate::plan::{Action, Plan};

/// Where write requests go: the AWS adapter, or a fake in tests.
pub(crate) trait Executor {
    fn execute(&self, op: &Op) -> impl Future<Output = Result<(), AwsError>>;
}

impl Executor for crate::aws::Aws {
    async fn execute(&self, op: &Op) -> Result<(), AwsError> {
        crate::aws::Aws::execute(self, op).await
    }
}

#[derive(Debug, Clone)]
pub(crate) struct RetryPolicy {
    pub attempts: u32,
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// About a minute in all (1 + 2 + 4 + 8 + 16 + 16 + 16 s): IAM and S3 policy propagation
    /// usually takes a few seconds.
    fn default() -> Self {
        RetryPolicy {
            attempts: 8,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(16),
        }
    }
}

impl RetryPolicy {
    /// Attempts for one write failing with `err`: 1 when the error is not transient.
    ///
    /// - CloudTrail's propagation errors right after the role or bucket policy was written: the
    ///   policy's attempts (about a minute).
    /// - A bucket's configuration calls right after CreateBucket: S3 is eventually consistent
    ///   and can answer `NoSuchBucket` or `OperationAborted` for a while ("Amazon S3 data
    ///   consistency model" / CreateBucket, Amazon S3 API Reference); three more attempts, so
    ///   about two minutes in all.
    fn attempts_for(&self, op: &Op, err: &AwsError) -> u32 {
        if err.is_eventually_consistent() {
            return self.attempts;
        }
        let bucket_configuration = matches!(
            op,
            Op::PutBucketTagging { .. }
                | Op::PutBucketPolicy { .. }
                | Op::PutPublicAccessBlock { .. }
                | Op::PutBucketEncryption { .. }
                | Op::PutBucketVersioning { .. }
        );
        if bucket_configuration && matches!(err.code(), Some("NoSuchBucket" | "OperationAborted")) {
            return self.attempts + 3;
        }
        if concurrent_update(op, err.code()) {
            return self.attempts;
        }
        1
    }
}

/// A delete refused because another request is changing the same resource: each service
/// documents these as "try again" (SDKs do not retry them by themselves, they are 4xx), so a
/// `destroy` or a removal waits instead of stopping half-way.
/// - DeleteMetricFilter, DeleteLogGroup: `OperationAbortedException`, "Multiple concurrent
///   requests to update the same resource were in conflict"
///   (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DeleteMetricFilter.html,
///   https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DeleteLogGroup.html);
/// - StopLogging, DeleteTrail: `ConflictException`, "wait a few minutes, and then try the
///   operation again" (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_DeleteTrail.html);
/// - DeleteRolePolicy, DeleteRole: `ConcurrentModification`, "Wait a few minutes and submit
///   your request again" (https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteRole.html);
/// - DeleteObjects, DeleteBucket: `OperationAborted`, "A conflicting conditional operation is
///   currently in progress against this resource. Try again."
///   (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
fn concurrent_update(op: &Op, code: Option<&str>) -> bool {
    let Some(code) = code else { return false };
    match op {
        Op::DeleteMetricFilter { .. } | Op::DeleteLogGroup { .. } => {
            code == "OperationAbortedException"
        }
        Op::StopLogging { .. } | Op::DeleteTrail { .. } => code == "ConflictException",
        Op::DeleteRolePolicy { .. } | Op::DeleteRole { .. } => code == "ConcurrentModification",
        Op::EmptyBucket { .. } | Op::DeleteBucket { .. } => code == "OperationAborted",
        _ => false,
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Applied {
    pub address: String,
    pub action: Action,
    pub requests: usize,
    /// Eventual-consistency retries that were needed.
    pub retries: u32,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Failure {
    pub address: String,
    pub api: String,
    pub error: String,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub(crate) struct ApplyOutcome {
    pub applied: Vec<Applied>,
    pub failed: Option<Failure>,
    /// Stopped on request (Ctrl-C, SIGTERM) before the next write.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    /// The changes not made (after an interruption or a failure), in plan order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub left: Vec<String>,
}

/// Progress callbacks, for the stderr log, and the way to ask the apply to stop.
pub(crate) trait Progress {
    fn start(&mut self, address: &str, action: Action);
    fn retry(&mut self, address: &str, api: &str, error: &AwsError, delay: Duration);
    fn done(&mut self, address: &str, action: Action);
    /// Asked before every write: `true` stops the apply there (the request in flight has
    /// finished; nothing more is sent).
    fn should_stop(&mut self) -> bool {
        false
    }
}

#[cfg(test)]
pub(crate) struct NoProgress;
#[cfg(test)]
impl Progress for NoProgress {
    fn start(&mut self, _: &str, _: Action) {}
    fn retry(&mut self, _: &str, _: &str, _: &AwsError, _: Duration) {}
    fn done(&mut self, _: &str, _: Action) {}
}

pub(crate) async fn apply<E: Executor>(
    plan: &Plan,
    executor: &E,
    retry: &RetryPolicy,
    progress: &mut dyn Progress,
) -> ApplyOutcome {
    let mut outcome = ApplyOutcome::default();
    let pending: Vec<&crate::plan::Change> =
        plan.changes.iter().filter(|c| !c.ops.is_empty()).collect();
    let left = |from: usize| -> Vec<String> {
        pending[from..].iter().map(|c| c.address.clone()).collect()
    };
    for (index, change) in pending.iter().enumerate() {
        progress.start(&change.address, change.action);
        let mut retries = 0;
        for op in &change.ops {
            if progress.should_stop() {
                outcome.interrupted = true;
                outcome.left = left(index);
                return outcome;
            }
            let mut delay = retry.first_delay;
            let mut attempt = 1;
            loop {
                match executor.execute(op).await {
                    Ok(()) => break,
                    Err(e) if attempt < retry.attempts_for(op, &e) => {
                        progress.retry(&change.address, op.api(), &e, delay);
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(retry.max_delay);
                        attempt += 1;
                        retries += 1;
                    }
                    Err(e) => {
                        outcome.failed = Some(Failure {
                            address: change.address.clone(),
                            api: op.api().to_string(),
                            error: e.to_string(),
                        });
                        outcome.left = left(index);
                        return outcome;
                    }
                }
            }
        }
        progress.done(&change.address, change.action);
        outcome.applied.push(Applied {
            address: change.address.clone(),
            action: change.action,
            requests: change.ops.len(),
            retries,
        });
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::FakeAccount;
    use crate::model::Actual;
    use crate::plan::tests::{basic, no_wait, rt};

    /// Stops after `writes` requests, as a signal arriving while the last one is in flight.
    struct StopAfter {
        writes: usize,
        asked: usize,
    }

    impl Progress for StopAfter {
        fn start(&mut self, _: &str, _: Action) {}
        fn retry(&mut self, _: &str, _: &str, _: &AwsError, _: Duration) {}
        fn done(&mut self, _: &str, _: Action) {}
        fn should_stop(&mut self) -> bool {
            self.asked += 1;
            self.asked > self.writes
        }
    }

    #[test]
    fn an_interrupted_apply_stops_before_the_next_write_and_says_what_is_left() {
        let d = basic();
        let fake = FakeAccount::new(Actual::default());
        let p = crate::plan::plan(&d, &fake.snapshot());
        let total = p.ops().count();
        for writes in [0, 1, 7, total - 1] {
            let fake = FakeAccount::new(Actual::default());
            let mut stop = StopAfter { writes, asked: 0 };
            let out = rt().block_on(apply(&p, &fake, &no_wait(), &mut stop));
            assert!(out.interrupted && out.failed.is_none(), "{out:?}");
            assert_eq!(fake.requests().len(), writes, "no write after the stop");
            assert!(!out.left.is_empty());
            // Done and left together are the plan's changes, in order.
            let mut seen: Vec<String> = out.applied.iter().map(|a| a.address.clone()).collect();
            for l in &out.left {
                if !seen.contains(l) {
                    seen.push(l.clone());
                }
            }
            let planned: Vec<String> = p.changes.iter().map(|c| c.address.clone()).collect();
            assert_eq!(seen, planned);
            // The next apply completes it.
            let again = crate::plan::plan(&d, &fake.snapshot());
            let out = rt().block_on(apply(&again, &fake, &no_wait(), &mut NoProgress));
            assert!(out.failed.is_none() && !out.interrupted);
            assert!(crate::plan::plan(&d, &fake.snapshot()).is_empty());
        }
    }
}
