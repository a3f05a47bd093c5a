//! trailwarden: sets up and guards the CloudTrail security-monitoring chain.

pub(crate) mod alerts;
pub(crate) mod apply;
pub(crate) mod arn;
pub mod aws;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod cost;
pub(crate) mod desired;
pub mod diag;
pub mod error;
pub(crate) mod events;
pub mod exit;
pub(crate) mod export;
#[cfg(test)]
pub(crate) mod fake;
pub(crate) mod fanout;
pub mod model;
pub mod pattern;
pub(crate) mod plan;
pub mod preset;
pub(crate) mod presetdoc;
pub(crate) mod report;
pub(crate) mod runbook;
pub mod scan;
pub(crate) mod workflow;
