//! trailwarden: sets up and guards the CloudTrail security-monitoring chain.

pub mod apply;
pub mod arn;
pub mod aws;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod desired;
pub mod diag;
pub mod error;
pub mod events;
pub mod exit;
#[cfg(test)]
pub(crate) mod fake;
pub mod model;
pub mod pattern;
pub mod plan;
pub mod preset;
pub mod presetdoc;
pub mod report;
pub mod scan;
pub mod workflow;
