//! The one table of exit codes (also in the README).

use crate::error::Error;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: done; `plan`/`check`: nothing to change, in sync.
    Ok,
    /// 1: an error (invalid input — nothing was sent —, AWS errors, a refused or failed apply,
    /// a usage error).
    Error,
    /// 2: `plan`: changes to make; `check`: drift found.
    Changes,
    /// 130: stopped by Ctrl-C (128 + SIGINT).
    Interrupted,
    /// 143: stopped by SIGTERM (128 + SIGTERM).
    Terminated,
}

impl ExitStatus {
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Ok => 0,
            ExitStatus::Error => 1,
            ExitStatus::Changes => 2,
            ExitStatus::Interrupted => 130,
            ExitStatus::Terminated => 143,
        }
    }
}

impl From<&Error> for ExitStatus {
    /// Every error is 1: 2 is reserved for "changes or drift found", which is not an error.
    fn from(_: &Error) -> ExitStatus {
        ExitStatus::Error
    }
}

#[cfg(test)]
mod tests {
    use super::ExitStatus;

    /// The README's exit-code table lists every status with its code.
    #[test]
    fn the_readme_lists_every_exit_code() {
        let readme = include_str!("../README.md");
        for (status, meaning) in [
            (ExitStatus::Ok, "success"),
            (ExitStatus::Error, "error"),
            (ExitStatus::Changes, "changes to make"),
            (ExitStatus::Interrupted, "Ctrl-C"),
            (ExitStatus::Terminated, "SIGTERM"),
        ] {
            let row = readme
                .lines()
                .find(|l| l.starts_with(&format!("| {} |", status.code())))
                .unwrap_or_else(|| panic!("README has no row for exit code {}", status.code()));
            assert!(row.contains(meaning), "{row}");
        }
    }
}
