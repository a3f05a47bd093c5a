//! `trailwarden init`: guided interactive setup.

use std::path::Path;

use crate::cli::GlobalArgs;
use crate::error::Error;

pub async fn run(_g: &GlobalArgs, _write: &Path) -> Result<i32, Error> {
    Err(Error::Failed("init is not available in this build".into()))
}
