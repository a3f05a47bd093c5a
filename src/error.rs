//! The top-level error and its exit code.

use crate::diag::Diagnostics;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Invalid configuration or input; nothing was sent to AWS.
    #[error("{} in the configuration; nothing was changed", crate::report::counted(.0.errors().count(), "problem"))]
    Config(Diagnostics),
    #[error(transparent)]
    Aws(#[from] crate::aws::AwsError),
    #[error("{0}")]
    Input(String),
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Failed(String),
}

impl Error {
    /// 1 for every error; 2 is reserved for "changes or drift found", which is not an error.
    pub fn exit_code(&self) -> i32 {
        1
    }
}
