//! trailwarden: sets up and guards the CloudTrail security-monitoring chain.

pub mod aws;
pub mod model;
