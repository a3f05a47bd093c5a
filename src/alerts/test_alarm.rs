//! `test-alarm`: set an alarm to ALARM with SetAlarmState, wait for CloudWatch to run its
//! actions (the alarm's history records each SNS publish, done or failed), set it back to OK,
//! and say for each topic and subscriber what happened.
//!
//! Per subscriber, SNS reports nothing without delivery-status logging; what is known is whether
//! the subscription is confirmed (SNS delivers only to confirmed subscriptions). The report says
//! "published to the topic" per topic, and per subscriber whether SNS could deliver.

use std::time::Duration;

use serde::Serialize;

use super::{alarms_named, known_names, now_ms};
use crate::aws::Aws;
use crate::error::Error;
use crate::model::{display_endpoint, Actual, AlarmHistoryItem, AlarmSpec, Desired};

/// StateReason of the test, so that whoever reads the notification or the history knows.
pub(crate) const TEST_REASON: &str =
    "Test by `trailwarden test-alarm`: not a real breach. The alarm is set back to OK right after.";
pub(crate) const END_REASON: &str =
    "End of the `trailwarden test-alarm` test: set back to OK (the next evaluation sets the real state).";

#[derive(Debug, Clone, Serialize)]
pub(crate) struct AlarmTestReport {
    pub format_version: &'static str,
    /// `false`: a dry run, nothing was sent.
    pub sent: bool,
    pub alarms: Vec<AlarmTest>,
    /// Every tested alarm published to every topic, and each topic has a confirmed subscriber.
    pub ok: bool,
    pub requests: crate::aws::RequestStats,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct AlarmTest {
    pub alarm: String,
    pub control: String,
    pub severity: crate::model::AlarmSeverity,
    /// The state before the test.
    pub state: Option<String>,
    /// Why the alarm was not (or would not be) tested.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// The ALARM actions.
    pub topics: Vec<TopicResult>,
    /// The OK actions, told when the alarm returns to OK.
    pub ok_topics: Vec<TopicResult>,
    /// Set back to OK after the test.
    pub returned_to_ok: bool,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct TopicResult {
    pub topic_arn: String,
    pub published: Delivery,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub destinations: Vec<Destination>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Delivery {
    /// Dry run.
    NotSent,
    /// "Successfully executed action" in the alarm's history.
    Published,
    /// "Failed to execute action".
    Failed,
    /// Nothing in the history within the wait.
    NoRecord,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Destination {
    pub protocol: String,
    /// HTTPS endpoints as host and fingerprint.
    pub endpoint: String,
    /// SNS delivers to confirmed subscriptions only.
    pub confirmed: bool,
}

impl AlarmTest {
    /// Every topic published and reaches at least one confirmed subscriber.
    pub(crate) fn ok(&self) -> bool {
        self.skipped.is_none()
            && !self.topics.is_empty()
            && self.topics.iter().chain(&self.ok_topics).all(|t| {
                matches!(t.published, Delivery::Published | Delivery::NotSent)
                    && t.destinations.iter().any(|d| d.confirmed)
            })
    }
}

/// The alarms to test: the ones `control` names, or one per distinct set of ALARM actions
/// (each route once, without paging the same people for every control).
pub(crate) fn select<'a>(
    desired: &'a Desired,
    control: Option<&str>,
) -> Result<Vec<&'a AlarmSpec>, Error> {
    match control {
        Some(name) => {
            let found = alarms_named(desired, name);
            if found.is_empty() {
                return Err(Error::Input(format!(
                    "no alarm for `{name}` in the configuration (known: {})",
                    known_names(desired)
                )));
            }
            Ok(found)
        }
        None => {
            let mut seen: Vec<Vec<String>> = Vec::new();
            let mut out = Vec::new();
            for a in &desired.alarms {
                let mut actions = a.actions.clone();
                actions.sort();
                if !seen.contains(&actions) {
                    seen.push(actions);
                    out.push(a);
                }
            }
            Ok(out)
        }
    }
}

/// What the account says before anything is sent: the alarm's state, why it cannot be tested,
/// the topics and their subscribers.
pub(crate) fn prepare(spec: &AlarmSpec, actual: &Actual) -> AlarmTest {
    let state = actual.alarms.get(&spec.name);
    let skipped = match state {
        None => Some("the alarm does not exist: run `trailwarden apply` first".to_string()),
        Some(a) if a.state.as_deref() == Some("ALARM") => Some(
            "the alarm is in ALARM now (a real breach, or a test in progress): testing it would send nothing and hide the real state".to_string(),
        ),
        Some(a) if !a.actions_enabled => Some(
            "the alarm's actions are disabled: it notifies nobody (`trailwarden apply` turns them on)".to_string(),
        ),
        Some(_) => None,
    };
    let ok_actions = state.map(|a| a.ok_actions.clone()).unwrap_or_default();
    let alarm_actions = state
        .map(|a| a.alarm_actions.clone())
        .unwrap_or_else(|| spec.actions.clone());
    AlarmTest {
        alarm: spec.name.clone(),
        control: spec.control.clone(),
        severity: spec.severity,
        state: state.and_then(|a| a.state.clone()),
        skipped,
        topics: sns_actions(&alarm_actions)
            .map(|arn| topic_result(arn, actual))
            .collect(),
        ok_topics: sns_actions(&ok_actions)
            .map(|arn| topic_result(arn, actual))
            .collect(),
        returned_to_ok: false,
    }
}

/// SNS topics the selected alarms notify (as the account has them) that the account read does
/// not hold: topics added to an alarm by hand.
pub(crate) fn unknown_topics(selected: &[&AlarmSpec], actual: &Actual) -> Vec<String> {
    let mut out: Vec<String> = selected
        .iter()
        .filter_map(|spec| actual.alarms.get(&spec.name))
        .flat_map(|a| sns_actions(&a.alarm_actions).chain(sns_actions(&a.ok_actions)))
        .filter(|arn| !actual.topics.values().any(|t| &t.arn == *arn))
        .cloned()
        .collect();
    out.sort();
    out.dedup();
    out
}

fn sns_actions(actions: &[String]) -> impl Iterator<Item = &String> {
    actions
        .iter()
        .filter(|a| a.starts_with("arn:") && a.contains(":sns:"))
}

fn topic_result(arn: &str, actual: &Actual) -> TopicResult {
    let topic = actual.topics.values().find(|t| t.arn == arn);
    TopicResult {
        topic_arn: arn.to_string(),
        published: Delivery::NotSent,
        error: topic
            .is_none()
            .then(|| "the topic does not exist (or is not one trailwarden manages)".to_string()),
        destinations: topic
            .map(|t| {
                t.subscriptions
                    .iter()
                    .filter(|s| !s.deleted())
                    .map(|s| Destination {
                        protocol: s.protocol.clone(),
                        endpoint: display_endpoint(&s.protocol, &s.endpoint),
                        confirmed: !s.pending(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// Reads the `Action` items of the alarm's history into the topics' results. Returns whether
/// every topic has its item.
pub(crate) fn record_actions(topics: &mut [TopicResult], items: &[AlarmHistoryItem]) -> bool {
    for t in topics.iter_mut() {
        let item = items
            .iter()
            .filter(|i| i.kind == "Action")
            .find(|i| mentions(i, &t.topic_arn));
        t.published = match item {
            None => Delivery::NoRecord,
            Some(i) if failed(i) => {
                t.error = Some(i.summary.clone());
                Delivery::Failed
            }
            Some(_) => Delivery::Published,
        };
    }
    topics.iter().all(|t| t.published != Delivery::NoRecord)
}

/// The item names the topic: in the summary ("Successfully executed action ARN") or in its data
/// (`notificationResource`). An ARN that is a prefix of another (`alarms` / `alarms-critical`)
/// must not match it, so the ARN must end a word.
fn mentions(item: &AlarmHistoryItem, arn: &str) -> bool {
    let ends_word = |text: &str| {
        text.match_indices(arn).any(|(i, _)| {
            text[i + arn.len()..]
                .chars()
                .next()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '-' || c == '_'))
        })
    };
    ends_word(&item.summary) || item.data.as_deref().is_some_and(ends_word)
}

fn failed(item: &AlarmHistoryItem) -> bool {
    item.summary.starts_with("Failed")
        || item
            .data
            .as_deref()
            .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
            .is_some_and(|v| v["actionState"] == "Failed")
}

/// Sends the test for one prepared alarm: ALARM, wait for the actions, OK, wait for the OK
/// actions. Stops waiting after `wait` each time.
pub(crate) async fn send(
    aws: &Aws,
    test: &mut AlarmTest,
    wait: Duration,
    poll: Duration,
    progress: &mut dyn FnMut(&str),
) -> Result<(), Error> {
    // The history is read from a little before the change: clocks differ.
    let since = now_ms() - 5_000;
    progress(&format!("{}: setting it to ALARM...", test.alarm));
    aws.set_alarm_state(&test.alarm, "ALARM", TEST_REASON)
        .await?;
    let outcome = wait_for_actions(aws, &test.alarm, &mut test.topics, since, wait, poll).await;
    // Back to OK whatever happened above: a test must not leave an alarm in ALARM.
    let since_ok = now_ms() - 1_000;
    progress(&format!("{}: setting it back to OK...", test.alarm));
    let back = aws.set_alarm_state(&test.alarm, "OK", END_REASON).await;
    test.returned_to_ok = back.is_ok();
    outcome?;
    back?;
    if !test.ok_topics.is_empty() {
        wait_for_actions(aws, &test.alarm, &mut test.ok_topics, since_ok, wait, poll).await?;
    }
    Ok(())
}

async fn wait_for_actions(
    aws: &Aws,
    alarm: &str,
    topics: &mut [TopicResult],
    since: i64,
    wait: Duration,
    poll: Duration,
) -> Result<(), Error> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let items = aws
            .alarm_history(alarm, Some("Action"), since, None)
            .await?;
        if record_actions(topics, &items) || tokio::time::Instant::now() >= deadline {
            return Ok(());
        }
        tokio::time::sleep(poll).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AlarmState, Subscription, TopicState};

    fn item(summary: &str) -> AlarmHistoryItem {
        AlarmHistoryItem {
            timestamp_ms: 0,
            kind: "Action".into(),
            summary: summary.into(),
            data: None,
        }
    }

    const T: &str = "arn:aws:sns:us-east-1:111122223333:trailwarden-alarms";

    fn topic(arn: &str) -> TopicResult {
        TopicResult {
            topic_arn: arn.into(),
            published: Delivery::NotSent,
            error: None,
            destinations: vec![],
        }
    }

    #[test]
    fn history_items_are_read_per_topic_without_prefix_confusion() {
        let critical = format!("{T}-critical");
        let mut topics = vec![topic(T), topic(&critical)];
        // Only the -critical topic has its item: the default topic must not take it.
        let items = vec![item(&format!("Successfully executed action {critical}"))];
        assert!(!record_actions(&mut topics, &items));
        assert_eq!(topics[0].published, Delivery::NoRecord);
        assert_eq!(topics[1].published, Delivery::Published);
        let items = vec![
            item(&format!("Successfully executed action {critical}")),
            item(&format!(
                "Failed to execute action {T}. Received error: \"CloudWatch Alarms does not have authorization to access the SNS topic encryption key.\""
            )),
        ];
        assert!(record_actions(&mut topics, &items));
        assert_eq!(topics[0].published, Delivery::Failed);
        assert!(topics[0]
            .error
            .as_deref()
            .unwrap()
            .contains("encryption key"));
    }

    #[test]
    fn a_failure_told_only_in_the_data_is_a_failure() {
        let mut topics = vec![topic(T)];
        let mut i = item("Action on topic");
        i.data = Some(format!(
            r#"{{"actionState":"Failed","notificationResource":"{T}"}}"#
        ));
        record_actions(&mut topics, &[i]);
        assert_eq!(topics[0].published, Delivery::Failed);
    }

    #[test]
    fn an_alarm_in_alarm_or_muted_or_missing_is_not_tested() {
        let d = crate::plan::tests::basic();
        let spec = &d.alarms[0];
        let mut actual = Actual::default();
        assert!(prepare(spec, &actual)
            .skipped
            .unwrap()
            .contains("does not exist"));
        let mut state = AlarmState {
            name: spec.name.clone(),
            state: Some("ALARM".into()),
            actions_enabled: true,
            alarm_actions: spec.actions.clone(),
            ..Default::default()
        };
        actual.alarms.insert(spec.name.clone(), state.clone());
        assert!(prepare(spec, &actual)
            .skipped
            .unwrap()
            .contains("in ALARM now"));
        state.state = Some("OK".into());
        state.actions_enabled = false;
        actual.alarms.insert(spec.name.clone(), state.clone());
        assert!(prepare(spec, &actual).skipped.unwrap().contains("disabled"));
        state.actions_enabled = true;
        // An alarm that notifies no topic tells nobody: not ok, even with nothing failing.
        state.alarm_actions.clear();
        actual.alarms.insert(spec.name.clone(), state.clone());
        let t = prepare(spec, &actual);
        assert!(t.skipped.is_none() && t.topics.is_empty());
        assert!(!t.ok());
        state.alarm_actions = spec.actions.clone();
        actual.alarms.insert(spec.name.clone(), state);
        let t = prepare(spec, &actual);
        assert!(t.skipped.is_none());
        // The topic is missing: said so, and not ok.
        assert!(t.topics[0].error.is_some());
        assert!(!t.ok());
        actual.topics.insert(
            "trailwarden-alarms".into(),
            TopicState {
                arn: spec.actions[0].clone(),
                subscriptions: vec![Subscription {
                    protocol: "https".into(),
                    endpoint: "https://events.pagerduty.com/integration/KEY/enqueue".into(),
                    arn: "PendingConfirmation".into(),
                }],
                ..Default::default()
            },
        );
        let t = prepare(spec, &actual);
        assert_eq!(t.topics[0].destinations.len(), 1);
        assert!(!t.topics[0].destinations[0].endpoint.contains("KEY"));
        // Only a pending subscriber: nobody would be told.
        assert!(!t.ok());
    }

    #[test]
    fn topics_added_to_an_alarm_by_hand_are_read_too() {
        let d = crate::plan::tests::basic();
        let fake = crate::plan::tests::applied(&d);
        let mut actual = fake.snapshot();
        let theirs = "arn:aws:sns:us-east-1:111122223333:theirs".to_string();
        actual
            .alarms
            .values_mut()
            .next()
            .unwrap()
            .ok_actions
            .push(theirs.clone());
        let selected: Vec<&AlarmSpec> = d.alarms.iter().collect();
        assert_eq!(unknown_topics(&selected, &actual), vec![theirs]);
        actual
            .alarms
            .values_mut()
            .for_each(|a| a.ok_actions.clear());
        assert!(unknown_topics(&selected, &actual).is_empty());
    }

    #[test]
    fn without_a_control_each_route_is_tested_once() {
        let d = crate::plan::tests::desired_from(
            "emails = [\"a@example.com\"]\n[topics.pager]\nemails = [\"p@example.com\"]\n[severities.critical]\ntopics = [\"pager\"]\n",
        );
        let picked: Vec<&str> = select(&d, None)
            .unwrap()
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        // Root usage (critical) goes to the pager; the two others share the default topic.
        assert_eq!(
            picked,
            vec!["RootAccountUsageAlarm", "ApiActivityWithoutMFAAlarm"]
        );
        assert_eq!(select(&d, Some("root-account-usage")).unwrap().len(), 1);
        assert_eq!(
            select(&d, Some("aws-docs/root-account-usage"))
                .unwrap()
                .len(),
            1
        );
        assert_eq!(select(&d, Some("RootAccountUsageAlarm")).unwrap().len(), 1);
        let err = select(&d, Some("nope")).unwrap_err().to_string();
        assert!(
            err.contains("known: root-account-usage (RootAccountUsageAlarm)"),
            "{err}"
        );
    }
}
