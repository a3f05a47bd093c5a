//! Human renderings of `test-alarm` and `why` reports (their JSON is the same structures,
//! serialized).

use std::fmt::Write;

use super::counted;
use crate::alerts::test_alarm::{AlarmTest, AlarmTestReport, Delivery, TopicResult};
use crate::alerts::why::WhyReport;
use crate::arn;

pub(crate) fn render_test(r: &AlarmTestReport, wait: u64) -> String {
    let mut out = String::new();
    for t in &r.alarms {
        render_alarm(&mut out, t, r.sent, wait);
    }
    let tested = r.alarms.iter().filter(|t| t.skipped.is_none()).count();
    let not_reached: usize = r
        .alarms
        .iter()
        .flat_map(|t| t.topics.iter().chain(&t.ok_topics))
        .flat_map(|t| &t.destinations)
        .filter(|d| !d.confirmed)
        .count();
    if !r.sent {
        let _ = writeln!(
            out,
            "Nothing sent. Run again with --yes to send the test{}.",
            if tested == 1 { "" } else { "s" }
        );
    } else if r.ok {
        let _ = writeln!(
            out,
            "{} tested: every topic was published to and has a confirmed subscriber{}.",
            counted(tested, "alarm"),
            if not_reached > 0 {
                format!(
                    " ({} pending, not notified)",
                    counted(not_reached, "subscriber")
                )
            } else {
                String::new()
            }
        );
    } else {
        let _ = writeln!(
            out,
            "Not every notification got through: see the topics marked FAILED, NO RECORD or NOBODY above."
        );
    }
    out
}

fn render_alarm(out: &mut String, t: &AlarmTest, sent: bool, wait: u64) {
    let state = t.state.as_deref().unwrap_or("missing");
    let _ = writeln!(
        out,
        "{} ({}, {}), now {state}",
        t.alarm, t.severity, t.control
    );
    if let Some(why) = &t.skipped {
        let _ = writeln!(out, "  not tested: {why}");
        let _ = writeln!(out);
        return;
    }
    if sent {
        let _ = writeln!(
            out,
            "  set to ALARM, then back to {}",
            if t.returned_to_ok {
                "OK"
            } else {
                "OK: FAILED (set it with `aws cloudwatch set-alarm-state`)"
            }
        );
    } else {
        let _ = writeln!(
            out,
            "  would set it to ALARM (reason: a test by trailwarden), wait up to {wait} s for each notification, and set it back to OK"
        );
    }
    if t.topics.is_empty() {
        let _ = writeln!(out, "  ALARM notifies no SNS topic: nobody would be told");
    }
    for topic in &t.topics {
        render_topic(out, "ALARM", topic);
    }
    for topic in &t.ok_topics {
        render_topic(out, "OK", topic);
    }
    let _ = writeln!(out);
}

fn render_topic(out: &mut String, state: &str, t: &TopicResult) {
    let status = match t.published {
        Delivery::NotSent => String::new(),
        Delivery::Published => ": published".to_string(),
        Delivery::Failed => format!(
            ": FAILED ({})",
            t.error.as_deref().unwrap_or("no reason given")
        ),
        Delivery::NoRecord => {
            ": NO RECORD (the alarm's history shows no action for this topic within the wait)"
                .to_string()
        }
    };
    let _ = writeln!(
        out,
        "  {state} -> topic {}{status}",
        arn::name(&t.topic_arn)
    );
    if let (Delivery::NotSent, Some(e)) = (t.published, &t.error) {
        let _ = writeln!(out, "      {e}");
    }
    if t.destinations.is_empty() {
        let _ = writeln!(out, "      NOBODY: the topic has no subscriber");
    } else if !t.destinations.iter().any(|d| d.confirmed) {
        let _ = writeln!(
            out,
            "      NOBODY: no subscriber has confirmed (SNS delivers to confirmed subscriptions only)"
        );
    }
    for d in &t.destinations {
        let what = match (d.confirmed, t.published) {
            (false, _) => "pending confirmation: not notified",
            (true, Delivery::Published) => "confirmed: SNS delivers to it",
            (true, _) => "confirmed",
        };
        let _ = writeln!(out, "      {:<6} {}  {what}", d.protocol, d.endpoint);
    }
}

pub(crate) fn render_why(r: &WhyReport) -> String {
    let mut out = render_why_summary(r);
    if r.events.is_empty() {
        return out;
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<20}  {:<28}  {:<14}  {:<12}  {:<15}  PRINCIPAL / USER AGENT",
        "TIME", "EVENT", "ERROR", "ACCOUNT", "SOURCE IP"
    );
    for e in &r.events {
        let account = if e.recipient_account.is_empty() {
            &e.account
        } else {
            &e.recipient_account
        };
        let _ = writeln!(
            out,
            "{:<20}  {:<28}  {:<14}  {:<12}  {:<15}  {} / {}",
            e.time,
            e.event_name,
            e.error_code.as_deref().unwrap_or("-"),
            account,
            e.source_ip,
            e.principal,
            e.user_agent
        );
    }
    out
}

/// The summary alone (stderr with `--matches`, where stdout carries the events).
pub(crate) fn render_why_summary(r: &WhyReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({}), log group {}",
        r.alarm, r.control, r.log_group
    );
    let _ = writeln!(out, "Pattern: {}", r.pattern);
    let origin = match r.window_from {
        "given" => "as given",
        "breaches" => "around the alarm's breaches",
        _ => "the last hour: no breach in the alarm's history of the last 24 h",
    };
    for w in &r.windows {
        let _ = writeln!(out, "Window: {} to {} ({origin})", w.start, w.end);
    }
    for b in r.breaches.iter().filter(|b| b.test) {
        let _ = writeln!(
            out,
            "  (ALARM at {} was a trailwarden test-alarm test)",
            b.time
        );
    }
    let _ = writeln!(
        out,
        "{} ({} returned by CloudWatch Logs{}){}",
        counted(r.events.len(), "matching event"),
        r.fetched,
        if r.rejected > 0 {
            format!(
                "; {} left out: the filter pattern does not match {}",
                r.rejected,
                if r.rejected == 1 { "it" } else { "them" }
            )
        } else {
            String::new()
        },
        if r.truncated {
            "; stopped at the bound, there may be more (--max-events, or a narrower window)"
        } else {
            ""
        }
    );
    let line = |out: &mut String, label: &str, list: &[(String, usize)]| {
        if !list.is_empty() {
            let items: Vec<String> = list
                .iter()
                .take(5)
                .map(|(v, n)| format!("{v} ({n})"))
                .collect();
            let more = if list.len() > 5 {
                format!(", and {} more", list.len() - 5)
            } else {
                String::new()
            };
            let _ = writeln!(out, "{label:<10} {}{more}", items.join(", "));
        }
    };
    line(&mut out, "Who:", &r.summary.principals);
    line(&mut out, "Accounts:", &r.summary.accounts);
    line(&mut out, "From:", &r.summary.source_ips);
    line(&mut out, "What:", &r.summary.event_names);
    line(&mut out, "Errors:", &r.summary.error_codes);
    out
}
