//! The calls behind `test-alarm` and `why`: an alarm's state set for a test, its history, and
//! the log events a filter pattern selects.

use aws_sdk_cloudwatch::types::{HistoryItemType, StateValue};
use aws_smithy_types::DateTime;

use super::{sdk_error, Aws, AwsError};
use crate::model::{AlarmHistoryItem, LogEvent};

/// What [`Aws::filter_log_events`] found, and whether it stopped before the end.
#[derive(Debug, Clone, Default)]
pub struct LogEventPage {
    pub events: Vec<LogEvent>,
    /// Pages requested.
    pub pages: u32,
    /// More events were left: the bound was reached.
    pub truncated: bool,
}

impl Aws {
    /// SetAlarmState: the state until the alarm's next evaluation. "When the updated state
    /// differs from the previous value, the action configured for the appropriate state is
    /// invoked."
    /// <https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_SetAlarmState.html>
    pub async fn set_alarm_state(
        &self,
        alarm: &str,
        state: &str,
        reason: &str,
    ) -> Result<(), AwsError> {
        self.cloudwatch
            .set_alarm_state()
            .alarm_name(alarm)
            .state_value(StateValue::from(state))
            // StateReason: 0–1023 characters (same page).
            .state_reason(reason.chars().take(1023).collect::<String>())
            .send()
            .await
            .map(drop)
            .map_err(|e| sdk_error("cloudwatch:SetAlarmState", e))
    }

    /// DescribeAlarmHistory of one alarm since `since_ms` (epoch milliseconds), newest first,
    /// every page. `kind`: `Action`, `StateUpdate`, `ConfigurationUpdate`, or all.
    /// <https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarmHistory.html>
    pub async fn alarm_history(
        &self,
        alarm: &str,
        kind: Option<&str>,
        since_ms: i64,
        until_ms: Option<i64>,
    ) -> Result<Vec<AlarmHistoryItem>, AwsError> {
        let mut items = Vec::new();
        let mut pages = self
            .cloudwatch
            .describe_alarm_history()
            .alarm_name(alarm)
            .set_history_item_type(kind.map(HistoryItemType::from))
            .start_date(DateTime::from_millis(since_ms))
            .set_end_date(until_ms.map(DateTime::from_millis))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let out = page.map_err(|e| sdk_error("cloudwatch:DescribeAlarmHistory", e))?;
            items.extend(out.alarm_history_items().iter().map(|i| {
                AlarmHistoryItem {
                    timestamp_ms: i.timestamp().and_then(|t| t.to_millis().ok()).unwrap_or(0),
                    kind: i
                        .history_item_type()
                        .map(|k| k.as_str().to_string())
                        .unwrap_or_default(),
                    summary: i.history_summary().unwrap_or_default().to_string(),
                    data: i.history_data().map(str::to_string),
                }
            }));
        }
        Ok(items)
    }

    /// FilterLogEvents over `log_group` between `start_ms` and `end_ms` with `pattern`, every
    /// page until `max_events` or `max_pages` is reached. The server-side filter only narrows
    /// what is fetched: callers evaluate each event again with trailwarden's own engine.
    /// "This operation can return empty results while there are more log events available
    /// through the token" (FilterLogEvents), so pages are followed while a token comes back.
    /// <https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html>
    pub async fn filter_log_events(
        &self,
        log_group: &str,
        pattern: &str,
        start_ms: i64,
        end_ms: i64,
        max_events: usize,
        max_pages: u32,
    ) -> Result<LogEventPage, AwsError> {
        let mut out = LogEventPage::default();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .logs
                .filter_log_events()
                .log_group_name(log_group)
                .filter_pattern(pattern)
                .start_time(start_ms)
                .end_time(end_ms)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| sdk_error("logs:FilterLogEvents", e))?;
            out.pages += 1;
            for e in page.events() {
                out.events.push(LogEvent {
                    timestamp_ms: e.timestamp().unwrap_or(0),
                    message: e.message().unwrap_or_default().to_string(),
                    stream: e.log_stream_name().unwrap_or_default().to_string(),
                    event_id: e.event_id().unwrap_or_default().to_string(),
                });
            }
            token = page.next_token().map(str::to_string);
            if out.events.len() >= max_events || (token.is_some() && out.pages >= max_pages) {
                out.truncated = token.is_some() || out.events.len() > max_events;
                out.events.truncate(max_events);
                return Ok(out);
            }
            if token.is_none() {
                return Ok(out);
            }
        }
    }
}
