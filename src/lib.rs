//! trailwarden: sets up and guards the CloudTrail security-monitoring chain.

pub mod apply;
pub mod arn;
pub mod aws;
pub mod cli;
pub mod commands;
pub mod config;
pub mod desired;
pub mod diag;
pub mod error;
pub mod events;
#[cfg(test)]
pub(crate) mod fake;
pub mod init;
pub mod model;
pub mod pattern;
pub mod plan;
pub mod preset;
pub mod presetdoc;
pub mod report;
pub mod run;
pub mod scan;
