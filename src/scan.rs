//! `trailwarden scan`: backtest presets over CloudTrail log files.

use crate::cli::{GlobalArgs, ScanArgs};
use crate::error::Error;

pub async fn run(_g: &GlobalArgs, _a: &ScanArgs) -> Result<i32, Error> {
    Err(Error::Failed("scan is not available in this build".into()))
}
