//! `why`: what fired an alarm, and who. The alarm's breaches come from its history (or the
//! window is given); the events are fetched with FilterLogEvents and the control's pattern, then
//! evaluated again with trailwarden's own engine, so that a server-side filter that is lenient
//! or differs (or an emulator that ignores JSON patterns) can never add an event to the answer.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::now_ms;
use crate::aws::Aws;
use crate::error::Error;
use crate::model::{AlarmHistoryItem, AlarmSpec, LogEvent};
use crate::pattern::{Event, Pattern};
use crate::scan::time::{format_timestamp, parse_bound};

/// How far back the alarm's history is read for breaches when no window is given.
pub(crate) const HISTORY_LOOKBACK_MS: i64 = 24 * 3600 * 1000;
/// Pages of FilterLogEvents per window at most (each up to 1 MB or 10,000 events).
pub(crate) const MAX_PAGES: u32 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) struct Window {
    pub start_ms: i64,
    pub end_ms: i64,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct WhyReport {
    pub format_version: &'static str,
    pub alarm: String,
    pub control: String,
    pub log_group: String,
    pub pattern: String,
    /// `given` (--since/--until), `breaches` (from the alarm's history) or `last-hour` (no
    /// breach in the history).
    pub window_from: &'static str,
    pub windows: Vec<WindowView>,
    /// Times the alarm went to ALARM in the history read (epoch ms), tests included.
    pub breaches: Vec<Breach>,
    /// Events the server returned.
    pub fetched: usize,
    /// Events the server returned that trailwarden's engine does not match: left out.
    pub rejected: usize,
    /// The bound was reached: there may be more events.
    pub truncated: bool,
    pub events: Vec<Finding>,
    pub summary: Summary,
    pub requests: crate::aws::RequestStats,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct WindowView {
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Breach {
    pub time: String,
    /// Set by `trailwarden test-alarm`, not by events.
    pub test: bool,
}

/// One matching event: who, what, when.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Finding {
    pub time: String,
    pub event_name: String,
    pub event_source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    pub principal: String,
    pub identity_type: String,
    /// The account the principal belongs to.
    pub account: String,
    /// The account the event happened in (an organization trail's member account).
    pub recipient_account: String,
    pub source_ip: String,
    pub user_agent: String,
    pub region: String,
    /// The event as logged (for `--matches`).
    #[serde(skip)]
    pub raw: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Summary {
    /// Counts, most frequent first.
    pub principals: Vec<(String, usize)>,
    pub event_names: Vec<(String, usize)>,
    pub source_ips: Vec<(String, usize)>,
    pub error_codes: Vec<(String, usize)>,
    pub accounts: Vec<(String, usize)>,
}

/// `--since` / `--until`: a duration back from `now_ms` (`90s`, `30m`, `2h`, `7d`), a date or an
/// RFC 3339 time. Epoch milliseconds.
pub(crate) fn parse_when(text: &str, now_ms: i64) -> Result<i64, String> {
    let t = text.trim();
    if let Some(unit) = t.chars().last().filter(|c| c.is_ascii_alphabetic()) {
        let number = &t[..t.len() - 1];
        if !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()) {
            let n: i64 = number.parse().map_err(|_| format!("`{text}`: too large"))?;
            let seconds = match unit {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                _ => {
                    return Err(format!(
                        "`{text}`: the unit must be s, m, h or d (e.g. 30m, 2h, 7d)"
                    ))
                }
            };
            return n
                .checked_mul(seconds * 1000)
                .map(|back| now_ms - back)
                .ok_or_else(|| format!("`{text}`: too large"));
        }
    }
    parse_bound(t)
        .map(|s| s * 1000)
        .map_err(|e| format!("{e}, or a duration back from now (30m, 2h, 7d)"))
}

/// The windows around each breach: the evaluation window that ended with the change to ALARM
/// (period × evaluation periods), a minute of slack on each side for delivery delays
/// (CloudTrail delivers to CloudWatch Logs within minutes), overlapping windows merged.
pub(crate) fn breach_windows(breach_times_ms: &[i64], window_ms: i64) -> Vec<Window> {
    let mut windows: Vec<Window> = breach_times_ms
        .iter()
        .map(|t| Window {
            start_ms: t - window_ms - 60_000,
            end_ms: t + 60_000,
        })
        .collect();
    windows.sort_by_key(|w| w.start_ms);
    let mut merged: Vec<Window> = Vec::new();
    for w in windows {
        match merged.last_mut() {
            Some(last) if w.start_ms <= last.end_ms => last.end_ms = last.end_ms.max(w.end_ms),
            _ => merged.push(w),
        }
    }
    merged
}

/// The changes to ALARM in the history (StateUpdate items), with whether a test set them.
pub(crate) fn breaches(items: &[AlarmHistoryItem]) -> Vec<(i64, bool)> {
    let mut out: Vec<(i64, bool)> = items
        .iter()
        .filter(|i| i.kind == "StateUpdate")
        .filter_map(|i| {
            let data: Value = i
                .data
                .as_deref()
                .and_then(|d| serde_json::from_str(d).ok())
                .unwrap_or(Value::Null);
            let to_alarm =
                data["newState"]["stateValue"] == "ALARM" || i.summary.ends_with("to ALARM");
            let test = data["newState"]["stateReason"]
                .as_str()
                .is_some_and(|r| r.contains("trailwarden test-alarm"));
            to_alarm.then_some((i.timestamp_ms, test))
        })
        .collect();
    out.sort();
    out
}

/// Evaluates each fetched event with trailwarden's engine: what the filter really matches.
/// Returns the findings and how many were rejected.
pub(crate) fn evaluate(pattern: &Pattern, events: &[LogEvent]) -> (Vec<Finding>, usize) {
    let mut found = Vec::new();
    let mut rejected = 0;
    for e in events {
        let value: Option<Value> = serde_json::from_str(&e.message).ok();
        let event = match &value {
            Some(v) => Event::from_json(&e.message, v),
            None => Event::from_text(&e.message),
        };
        if pattern.matches(&event) {
            found.push(finding(e, value.as_ref()));
        } else {
            rejected += 1;
        }
    }
    (found, rejected)
}

fn finding(e: &LogEvent, v: Option<&Value>) -> Finding {
    let null = Value::Null;
    let v = v.unwrap_or(&null);
    let s = |x: &Value| x.as_str().unwrap_or_default().to_string();
    let id = &v["userIdentity"];
    // The most telling name of the principal: the role session's issuer for assumed roles,
    // the ARN otherwise, the principal id as a last resort.
    let principal = [
        &id["arn"],
        &id["sessionContext"]["sessionIssuer"]["arn"],
        &id["principalId"],
        &id["invokedBy"],
    ]
    .into_iter()
    .map(s)
    .find(|p| !p.is_empty())
    .unwrap_or_else(|| "unknown".into());
    Finding {
        time: v["eventTime"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| format_timestamp(e.timestamp_ms.div_euclid(1000))),
        event_name: s(&v["eventName"]),
        event_source: s(&v["eventSource"]),
        error_code: v["errorCode"].as_str().map(str::to_string),
        principal,
        identity_type: s(&id["type"]),
        account: s(&id["accountId"]),
        recipient_account: s(&v["recipientAccountId"]),
        source_ip: s(&v["sourceIPAddress"]),
        user_agent: s(&v["userAgent"]),
        region: s(&v["awsRegion"]),
        raw: e.message.clone(),
    }
}

pub(crate) fn summarize(findings: &[Finding]) -> Summary {
    fn top(values: impl Iterator<Item = String>) -> Vec<(String, usize)> {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for v in values.filter(|v| !v.is_empty()) {
            *counts.entry(v).or_default() += 1;
        }
        let mut out: Vec<(String, usize)> = counts.into_iter().collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out
    }
    Summary {
        principals: top(findings.iter().map(|f| f.principal.clone())),
        event_names: top(findings.iter().map(|f| f.event_name.clone())),
        source_ips: top(findings.iter().map(|f| f.source_ip.clone())),
        error_codes: top(findings.iter().filter_map(|f| f.error_code.clone())),
        accounts: top(findings.iter().map(|f| {
            if f.recipient_account.is_empty() {
                f.account.clone()
            } else {
                f.recipient_account.clone()
            }
        })),
    }
}

/// What to look at: the window given, else around the breaches in the alarm's history.
pub(crate) struct Request<'a> {
    pub alarm: &'a AlarmSpec,
    pub log_group: &'a str,
    pub pattern: &'a str,
    pub window: Option<Window>,
    pub max_events: usize,
}

pub(crate) async fn run(aws: &Aws, r: &Request<'_>) -> Result<WhyReport, Error> {
    // Validated with the configuration; parsed again here for the engine.
    let engine = Pattern::parse(r.pattern)
        .map_err(|e| Error::Failed(format!("the control's pattern does not parse: {e}")))?;
    let now = now_ms();
    let mut breach_list = Vec::new();
    let (windows, window_from) = match r.window {
        Some(w) => (vec![w], "given"),
        None => {
            let items = aws
                .alarm_history(
                    &r.alarm.name,
                    Some("StateUpdate"),
                    now - HISTORY_LOOKBACK_MS,
                    None,
                )
                .await?;
            breach_list = breaches(&items);
            let real: Vec<i64> = breach_list
                .iter()
                .filter(|(_, test)| !test)
                .map(|(t, _)| *t)
                .collect();
            if real.is_empty() {
                (
                    vec![Window {
                        start_ms: now - 3_600_000,
                        end_ms: now,
                    }],
                    "last-hour",
                )
            } else {
                let window_ms =
                    i64::from(r.alarm.period) * i64::from(r.alarm.evaluation_periods) * 1000;
                (breach_windows(&real, window_ms), "breaches")
            }
        }
    };
    let mut fetched = 0;
    let mut rejected = 0;
    let mut truncated = false;
    let mut events = Vec::new();
    for w in &windows {
        let left = r.max_events.saturating_sub(events.len());
        if left == 0 {
            truncated = true;
            break;
        }
        let page = aws
            .filter_log_events(
                r.log_group,
                r.pattern,
                w.start_ms,
                w.end_ms,
                left,
                MAX_PAGES,
            )
            .await?;
        fetched += page.events.len();
        truncated |= page.truncated;
        let (found, dropped) = evaluate(&engine, &page.events);
        rejected += dropped;
        events.extend(found);
    }
    let summary = summarize(&events);
    Ok(WhyReport {
        format_version: crate::report::FORMAT_VERSION,
        alarm: r.alarm.name.clone(),
        control: r.alarm.control.clone(),
        log_group: r.log_group.to_string(),
        pattern: r.pattern.to_string(),
        window_from,
        windows: windows
            .iter()
            .map(|w| WindowView {
                start: format_timestamp(w.start_ms.div_euclid(1000)),
                end: format_timestamp(w.end_ms.div_euclid(1000)),
            })
            .collect(),
        breaches: breach_list
            .iter()
            .map(|(t, test)| Breach {
                time: format_timestamp(t.div_euclid(1000)),
                test: *test,
            })
            .collect(),
        fetched,
        rejected,
        truncated,
        events,
        summary,
        requests: aws.requests(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000_000;

    #[test]
    fn windows_are_durations_back_or_times() {
        assert_eq!(parse_when("2h", NOW), Ok(NOW - 7_200_000));
        assert_eq!(parse_when("30m", NOW), Ok(NOW - 1_800_000));
        assert_eq!(parse_when("7d", NOW), Ok(NOW - 7 * 86_400_000));
        assert_eq!(
            parse_when("2024-05-14T09:00:00Z", NOW),
            Ok(1_715_677_200_000)
        );
        assert_eq!(parse_when("2024-05-14", NOW), Ok(1_715_644_800_000));
        assert!(parse_when("2w", NOW).unwrap_err().contains("s, m, h or d"));
        assert!(parse_when("yesterday", NOW)
            .unwrap_err()
            .contains("30m, 2h, 7d"));
        assert!(parse_when("99999999999999999999h", NOW).is_err());
    }

    #[test]
    fn breach_windows_cover_the_evaluation_window_and_merge() {
        let w = breach_windows(&[1_000_000, 1_100_000, 5_000_000], 300_000);
        assert_eq!(
            w,
            vec![
                Window {
                    start_ms: 1_000_000 - 360_000,
                    end_ms: 1_160_000
                },
                Window {
                    start_ms: 5_000_000 - 360_000,
                    end_ms: 5_060_000
                },
            ]
        );
    }

    #[test]
    fn tests_are_told_apart_from_real_breaches() {
        let item = |t: i64, new: &str, reason: &str| AlarmHistoryItem {
            timestamp_ms: t,
            kind: "StateUpdate".into(),
            summary: format!("Alarm updated from OK to {new}"),
            data: Some(
                serde_json::json!({"newState": {"stateValue": new, "stateReason": reason}})
                    .to_string(),
            ),
        };
        let items = vec![
            item(3, "OK", "back"),
            item(
                2,
                "ALARM",
                "Test by `trailwarden test-alarm`: not a real breach.",
            ),
            item(
                1,
                "ALARM",
                "Threshold Crossed: 1 datapoint [1.0] was >= 1.0",
            ),
        ];
        assert_eq!(breaches(&items), vec![(1, false), (2, true)]);
    }

    fn log(message: &str) -> LogEvent {
        LogEvent {
            timestamp_ms: 0,
            message: message.into(),
            stream: "s".into(),
            event_id: "e".into(),
        }
    }

    #[test]
    fn only_what_the_engine_matches_is_kept_with_who_and_what() {
        let p = Pattern::parse(r#"{ $.userIdentity.type = "Root" }"#).unwrap();
        let root = r#"{"eventTime":"2024-05-14T09:13:10Z","eventName":"ConsoleLogin","eventSource":"signin.amazonaws.com","userIdentity":{"type":"Root","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"},"sourceIPAddress":"192.0.2.7","userAgent":"Mozilla/5.0","recipientAccountId":"444455556666","awsRegion":"us-east-1","errorCode":"AccessDenied"}"#;
        let user = r#"{"eventName":"DescribeInstances","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/anaya"}}"#;
        let (found, rejected) = evaluate(&p, &[log(root), log(user), log("not json at all")]);
        assert_eq!(rejected, 2);
        assert_eq!(found.len(), 1);
        let f = &found[0];
        assert_eq!(f.principal, "arn:aws:iam::111122223333:root");
        assert_eq!(f.event_name, "ConsoleLogin");
        assert_eq!(f.error_code.as_deref(), Some("AccessDenied"));
        assert_eq!(f.source_ip, "192.0.2.7");
        assert_eq!(f.user_agent, "Mozilla/5.0");
        assert_eq!(f.recipient_account, "444455556666");
        let s = summarize(&found);
        assert_eq!(s.accounts, vec![("444455556666".to_string(), 1)]);
        assert_eq!(s.error_codes, vec![("AccessDenied".to_string(), 1)]);
    }
}
