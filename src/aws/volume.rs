//! Measuring how much the trail delivers, for the cost estimate: the log group's
//! `IncomingBytes` metric when it has data, else the size of the last complete day of the
//! trail's log files in S3. Never an error: what cannot be measured is `None`, and the estimate
//! states its default.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;

use super::{sdk_error, Aws, AwsError};
use crate::model::{Actual, Desired, Volume, VolumeMethod};

const DAY: u64 = 86_400;
/// Complete days of IncomingBytes averaged.
const METRIC_DAYS: u64 = 7;

impl Aws {
    /// The trail's daily log volume, measured; `None` when there is nothing to measure (or
    /// the reads are not allowed: the estimate then says what it assumed).
    pub async fn measure_volume(&self, d: &Desired, a: &Actual) -> Option<Volume> {
        let today = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|t| t.as_secs() / DAY * DAY)
            .unwrap_or(0);
        if a.log_group.is_some() {
            match self.incoming_bytes(&d.log_group.name, today).await {
                Ok(Some(v)) => return Some(v),
                Ok(None) => {}
                Err(e) => eprintln!("note: the log group's IncomingBytes could not be read ({e}); trying the log files"),
            }
        }
        // The trail's bucket, then those of the account's other multi-region trails (whose
        // events a new trail would record again).
        let mut buckets: Vec<(String, Option<String>)> = Vec::new();
        if !d.trail.s3_bucket.is_empty() && (a.bucket.is_some() || d.bucket.is_none()) {
            buckets.push((d.trail.s3_bucket.clone(), d.trail.s3_prefix.clone()));
        }
        for t in a.trails.iter().filter(|t| t.multi_region) {
            if let Some(b) = &t.s3_bucket {
                if !buckets.iter().any(|(x, _)| x == b) {
                    buckets.push((b.clone(), t.s3_prefix.clone()));
                }
            }
        }
        let yesterday = today.saturating_sub(DAY);
        for (bucket, prefix) in buckets {
            match self
                .s3_day(&bucket, prefix.as_deref(), &d.target.account_id, yesterday)
                .await
            {
                Ok(Some(v)) => return Some(v),
                Ok(None) => {}
                Err(e) => eprintln!("note: the log files in {bucket} could not be listed ({e})"),
            }
        }
        None
    }

    /// Sum of IncomingBytes a day over the last complete days that have data, averaged
    /// (GetMetricStatistics, AWS/Logs, dimension LogGroupName: "IncomingBytes: The volume of
    /// log events in uncompressed bytes uploaded to CloudWatch Logs",
    /// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CloudWatch-Logs-Monitoring-CloudWatch-Metrics.html).
    async fn incoming_bytes(&self, group: &str, today: u64) -> Result<Option<Volume>, AwsError> {
        use aws_sdk_cloudwatch::types::{Dimension, Statistic};
        let start = today - METRIC_DAYS * DAY;
        let out = self
            .cloudwatch
            .get_metric_statistics()
            .namespace("AWS/Logs")
            .metric_name("IncomingBytes")
            .dimensions(
                Dimension::builder()
                    .name("LogGroupName")
                    .value(group)
                    .build(),
            )
            .start_time(DateTime::from_secs(start as i64))
            .end_time(DateTime::from_secs(today as i64))
            .period(DAY as i32)
            .statistics(Statistic::Sum)
            .send()
            .await
            .map_err(|e| sdk_error("cloudwatch:GetMetricStatistics", e))?;
        let sums: Vec<f64> = out.datapoints().iter().filter_map(|p| p.sum()).collect();
        if sums.is_empty() {
            return Ok(None);
        }
        let days = sums.len();
        Ok(Some(Volume {
            method: VolumeMethod::IncomingBytes,
            bytes_per_day: sums.iter().sum::<f64>() / days as f64,
            detail: format!(
                "IncomingBytes of log group {group}, {days} of the last {METRIC_DAYS} complete days"
            ),
        }))
    }

    /// The log files CloudTrail wrote for `day` (UTC), every region
    /// (`[PREFIX/]AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/`, "Finding your CloudTrail log
    /// files", https://docs.aws.amazon.com/awscloudtrail/latest/userguide/get-and-view-cloudtrail-log-files.html).
    async fn s3_day(
        &self,
        bucket: &str,
        prefix: Option<&str>,
        account: &str,
        day: u64,
    ) -> Result<Option<Volume>, AwsError> {
        let s3 = self.s3_for(bucket).0;
        let root = match prefix.filter(|p| !p.is_empty()) {
            Some(p) => format!("{}/AWSLogs/{account}/CloudTrail/", p.trim_end_matches('/')),
            None => format!("AWSLogs/{account}/CloudTrail/"),
        };
        let regions = s3
            .list_objects_v2()
            .bucket(bucket)
            .set_expected_bucket_owner(self.bucket_owner())
            .prefix(&root)
            .delimiter("/")
            .send()
            .await
            .map_err(|e| sdk_error("s3:ListBucket", e))?;
        let date = DateTime::from_secs(day as i64)
            .fmt(Format::DateTime)
            .unwrap_or_default();
        let (y, m, dd) = (&date[0..4], &date[5..7], &date[8..10]);
        let mut bytes = 0i64;
        let mut files = 0usize;
        for region in regions.common_prefixes().iter().filter_map(|p| p.prefix()) {
            let mut pages = s3
                .list_objects_v2()
                .bucket(bucket)
                .set_expected_bucket_owner(self.bucket_owner())
                .prefix(format!("{region}{y}/{m}/{dd}/"))
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| sdk_error("s3:ListBucket", e))?;
                for o in page.contents() {
                    bytes += o.size().unwrap_or(0);
                    files += 1;
                }
            }
        }
        if files == 0 {
            return Ok(None);
        }
        Ok(Some(Volume {
            method: VolumeMethod::S3Day,
            bytes_per_day: bytes as f64,
            detail: format!(
                "{files} log files of {y}-{m}-{dd} (UTC) in s3://{bucket}/{root}, {bytes} bytes gzip-compressed"
            ),
        }))
    }
}
