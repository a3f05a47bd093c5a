//! The monthly cost estimate `plan` (and `init`) show: what the configured chain costs a month,
//! line by line, from the price table in `prices.toml` (overridable in the configuration's
//! `[prices]`), with its assumptions and what it leaves out. Pure arithmetic: the log volume is
//! measured by the AWS adapter (`aws::volume`) and handed in.

use serde::{Deserialize, Serialize};

use crate::model::{Actual, Desired, Op, Protocol, Volume, VolumeMethod};
use crate::plan::Plan;

const TABLE: &str = include_str!("prices.toml");
const GB: f64 = 1_000_000_000.0;
/// Average days in a month (365.25 / 12).
const DAYS_PER_MONTH: f64 = 30.4375;

/// The price table, and the assumptions stated with the estimate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prices {
    pub date: String,
    pub region: String,
    pub alarm_month: f64,
    pub metric_month: f64,
    pub ingest_gb: f64,
    pub storage_gb_month: f64,
    pub management_events_100k: f64,
    pub sns_email_100k: f64,
    pub sns_https_1m: f64,
    pub sns_sms_message: f64,
    pub sns_lambda_1m: f64,
    pub default_ingest_gb_month: f64,
    pub s3_gzip_ratio: f64,
    pub storage_compression: f64,
    pub event_bytes: f64,
    pub notifications_per_alarm_month: f64,
}

impl Prices {
    /// The table shipped with trailwarden.
    pub fn builtin() -> Prices {
        toml::from_str(TABLE).expect("src/cost/prices.toml is valid")
    }

    /// The names of the numeric entries, for the configuration's `[prices]` table.
    pub const KEYS: &'static [&'static str] = &[
        "alarm_month",
        "metric_month",
        "ingest_gb",
        "storage_gb_month",
        "management_events_100k",
        "sns_email_100k",
        "sns_https_1m",
        "sns_sms_message",
        "sns_lambda_1m",
        "default_ingest_gb_month",
        "s3_gzip_ratio",
        "storage_compression",
        "event_bytes",
        "notifications_per_alarm_month",
    ];

    /// Sets one numeric entry by name; `false` for a name that is not one.
    pub fn set(&mut self, key: &str, value: f64) -> bool {
        let slot = match key {
            "alarm_month" => &mut self.alarm_month,
            "metric_month" => &mut self.metric_month,
            "ingest_gb" => &mut self.ingest_gb,
            "storage_gb_month" => &mut self.storage_gb_month,
            "management_events_100k" => &mut self.management_events_100k,
            "sns_email_100k" => &mut self.sns_email_100k,
            "sns_https_1m" => &mut self.sns_https_1m,
            "sns_sms_message" => &mut self.sns_sms_message,
            "sns_lambda_1m" => &mut self.sns_lambda_1m,
            "default_ingest_gb_month" => &mut self.default_ingest_gb_month,
            "s3_gzip_ratio" => &mut self.s3_gzip_ratio,
            "storage_compression" => &mut self.storage_compression,
            "event_bytes" => &mut self.event_bytes,
            "notifications_per_alarm_month" => &mut self.notifications_per_alarm_month,
            _ => return false,
        };
        *slot = value;
        true
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Line {
    /// Stable name: `alarms`, `metrics`, `logs-ingestion`, `logs-storage`,
    /// `second-trail-management-events`, `sns-deliveries`.
    pub(crate) item: &'static str,
    #[serde(serialize_with = "rounded")]
    pub(crate) quantity: f64,
    pub(crate) unit: &'static str,
    #[serde(serialize_with = "rounded")]
    pub(crate) unit_price: f64,
    #[serde(serialize_with = "rounded")]
    pub(crate) month: f64,
    pub(crate) note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Estimate {
    pub(crate) currency: &'static str,
    pub(crate) prices_date: String,
    pub(crate) prices_region: String,
    pub(crate) lines: Vec<Line>,
    #[serde(serialize_with = "rounded")]
    pub(crate) total_month: f64,
    /// The log volume the ingestion and storage lines use, and how it was found.
    pub(crate) volume: VolumeUsed,
    pub(crate) assumptions: Vec<String>,
    pub(crate) not_counted: Vec<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct VolumeUsed {
    /// `incoming-bytes`, `s3-day` or `default`.
    pub(crate) method: &'static str,
    #[serde(serialize_with = "rounded")]
    pub(crate) gb_month: f64,
    pub(crate) detail: String,
}

/// What the estimate leaves out.
const NOT_COUNTED: &[&str] = &[
    "S3 storage and requests for the trail's log files",
    "KMS requests (encrypted trail, bucket or topics)",
    "SNS notifications of the trail's log file deliveries (`delivery_topic`): one publish per log file, and a delivery to each of that topic's subscribers",
    "CloudTrail data events and Insights events (trailwarden records management events only)",
    "CloudWatch API requests, Logs Insights queries and dashboards",
    "the free tiers (10 alarms, 10 metrics, 5 GB of logs, 1,000 emails a month, account-wide)",
    "taxes, and prices outside the table's region",
];

pub(crate) fn estimate(
    d: &Desired,
    plan: &Plan,
    a: &Actual,
    measured: Option<&Volume>,
    prices: &Prices,
) -> Estimate {
    let mut lines = Vec::new();
    let mut assumptions = Vec::new();

    let alarms = d.alarms.len() as f64;
    lines.push(Line {
        item: "alarms",
        quantity: alarms,
        unit: "alarm-month",
        unit_price: prices.alarm_month,
        month: alarms * prices.alarm_month,
        note: "standard resolution (60 s), one metric each".into(),
    });

    // A metric is one name + namespace + set of dimension values; the filters publish without
    // dimensions, and combined presets share identical filters.
    let mut metrics: Vec<(&str, &str)> = d
        .filters
        .iter()
        .map(|f| (f.namespace.as_str(), f.metric_name.as_str()))
        .collect();
    metrics.sort_unstable();
    metrics.dedup();
    let metrics = metrics.len() as f64;
    lines.push(Line {
        item: "metrics",
        quantity: metrics,
        unit: "metric-month",
        unit_price: prices.metric_month,
        month: metrics * prices.metric_month,
        note: "custom metrics published by the metric filters, no dimensions".into(),
    });

    let volume = match measured {
        Some(v) => VolumeUsed {
            method: match v.method {
                VolumeMethod::IncomingBytes => "incoming-bytes",
                VolumeMethod::S3Day => "s3-day",
            },
            gb_month: v.bytes_per_day
                * DAYS_PER_MONTH
                / GB
                * match v.method {
                    VolumeMethod::IncomingBytes => 1.0,
                    VolumeMethod::S3Day => prices.s3_gzip_ratio,
                },
            detail: v.detail.clone(),
        },
        None => VolumeUsed {
            method: "default",
            gb_month: prices.default_ingest_gb_month,
            detail: format!(
                "nothing to measure yet (no IncomingBytes for the log group, no log files of a complete day): {} GB a month assumed",
                fmt_amount(prices.default_ingest_gb_month)
            ),
        },
    };
    if volume.method == "s3-day" {
        assumptions.push(format!(
            "log files in S3 are gzip-compressed; CloudWatch Logs ingests about {}× their size",
            fmt_amount(prices.s3_gzip_ratio)
        ));
    }
    let already = d.log_group.adopted && !d.log_group.managed;
    lines.push(Line {
        item: "logs-ingestion",
        quantity: volume.gb_month,
        unit: "GB",
        unit_price: prices.ingest_gb,
        month: volume.gb_month * prices.ingest_gb,
        note: if already {
            "the adopted trail already delivers to this log group: billed today".into()
        } else {
            "the trail's events delivered to CloudWatch Logs (Standard log class)".into()
        },
    });

    // Storage at steady state: once the retention period is full, it holds that many months of
    // events, compressed.
    let months = match d.log_group.retention_days {
        Some(days) => days as f64 / DAYS_PER_MONTH,
        None => {
            assumptions.push(
                "the log group's retention is not trailwarden's to set: 12 months of events assumed"
                    .into(),
            );
            12.0
        }
    };
    let stored = volume.gb_month * prices.storage_compression * months;
    lines.push(Line {
        item: "logs-storage",
        quantity: stored,
        unit: "GB-month",
        unit_price: prices.storage_gb_month,
        month: stored * prices.storage_gb_month,
        note: format!(
            "{} months of events kept, stored compressed to {}% (steady state, once the retention period is full)",
            fmt_amount(months),
            fmt_amount(prices.storage_compression * 100.0)
        ),
    });

    // A trail created while another trail already records management events delivers a
    // second, paid copy of them.
    let creates_trail = plan.ops().any(|op| matches!(op, Op::CreateTrail { .. }));
    let other = a
        .trails
        .iter()
        .find(|t| t.name != d.trail.name && t.arn != d.trail.arn && t.multi_region);
    if let (true, Some(other)) = (creates_trail, other) {
        let events = volume.gb_month * GB / prices.event_bytes;
        lines.push(Line {
            item: "second-trail-management-events",
            quantity: events,
            unit: "event",
            unit_price: prices.management_events_100k / 100_000.0,
            month: events / 100_000.0 * prices.management_events_100k,
            note: format!(
                "trail `{}` already records management events: the new trail's copy is billed (adopt it instead with --adopt-trail {})",
                other.name, other.name
            ),
        });
        assumptions.push(format!(
            "one event is about {} bytes",
            fmt_amount(prices.event_bytes)
        ));
    }

    let mut deliveries = 0.0;
    let mut sns = 0.0;
    for alarm in &d.alarms {
        for topic in d.topics.iter().filter(|t| alarm.actions.contains(&t.arn)) {
            for sub in &topic.subscriptions {
                let n = prices.notifications_per_alarm_month;
                deliveries += n;
                sns += n * match sub.protocol {
                    Protocol::Email => prices.sns_email_100k / 100_000.0,
                    Protocol::Https => prices.sns_https_1m / 1_000_000.0,
                    Protocol::Sms => prices.sns_sms_message,
                    Protocol::Lambda => prices.sns_lambda_1m / 1_000_000.0,
                };
            }
        }
    }
    lines.push(Line {
        item: "sns-deliveries",
        quantity: deliveries,
        unit: "delivery",
        unit_price: if deliveries > 0.0 {
            sns / deliveries
        } else {
            0.0
        },
        month: sns,
        note: format!(
            "{} notifications per alarm a month to each subscriber of its topic",
            fmt_amount(prices.notifications_per_alarm_month)
        ),
    });

    let total_month = lines.iter().map(|l| l.month).sum();
    Estimate {
        currency: "USD",
        prices_date: prices.date.clone(),
        prices_region: prices.region.clone(),
        lines,
        total_month,
        volume,
        assumptions,
        not_counted: NOT_COUNTED.to_vec(),
    }
}

/// Amounts in the JSON report to 8 significant decimals: no binary-fraction noise
/// (`0.30000000000000004`), a hundredth of a cent still shows.
fn rounded<S: serde::Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((x * 1e8).round() / 1e8)
}

/// A quantity for people: no trailing zeros, at most two decimals.
pub(crate) fn fmt_amount(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The estimate as text, for the human form of `plan`.
pub(crate) fn render(e: &Estimate) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Estimated cost: {} {:.2} a month (prices of {} for {}; see [prices] in the configuration to override)",
        e.currency, e.total_month, e.prices_date, e.prices_region
    );
    for l in &e.lines {
        let _ = writeln!(
            out,
            "  {:<32} {:>9.2}  {} {} × {}: {}",
            l.item,
            l.month,
            fmt_amount(l.quantity),
            l.unit,
            l.unit_price,
            l.note
        );
    }
    let _ = writeln!(
        out,
        "  log volume: {} GB a month ({}: {})",
        fmt_amount(e.volume.gb_month),
        e.volume.method,
        e.volume.detail
    );
    for a in &e.assumptions {
        let _ = writeln!(out, "  assumed: {a}");
    }
    let _ = writeln!(out, "  not counted: {}", e.not_counted.join("; "));
    out
}

#[cfg(test)]
mod tests;
