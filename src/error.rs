//! The top-level error and its exit code.

use crate::diag::Diagnostics;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Invalid configuration or input; nothing was sent to AWS.
    #[error("{} in the configuration; nothing was changed", crate::report::counted(.0.errors().count(), "problem"))]
    Config(Diagnostics),
    #[error(transparent)]
    Aws(crate::aws::AwsError),
    #[error("{0}")]
    Input(String),
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Failed(String),
}

impl From<crate::aws::AwsError> for Error {
    fn from(e: crate::aws::AwsError) -> Error {
        match e {
            // The configuration's own region was checked when it was loaded: this one comes
            // from the AWS environment or profile, and is reported as a configuration problem.
            crate::aws::AwsError::UnknownRegion(region) => {
                let mut d = crate::diag::Diagnostics::default();
                d.push(crate::diag::Diagnostic::error(
                    crate::diag::Code::RegionUnknown,
                    format!("unknown region `{region}` (from the AWS environment or profile)"),
                ));
                Error::Config(d)
            }
            e => Error::Aws(e),
        }
    }
}

impl Error {
    /// 1 for every error; 2 is reserved for "changes or drift found", which is not an error.
    pub fn exit_code(&self) -> i32 {
        1
    }
}
