//! Planning metric filters and alarms.

use serde_json::{json, Value};

use super::*;

/// CloudWatch Logs' quota of metric filters per log group.
const FILTERS_PER_LOG_GROUP: usize = 100;

impl Planner<'_> {
    pub(super) fn filters(&mut self) {
        // "CloudWatch Logs quotas": 100 metric filters per log group, an adopted group's own
        // filters included; PutMetricFilter answers LimitExceededException past it.
        let ours = |name: &str| self.d.filters.iter().any(|f| f.name == name);
        let others = self.a.filters.iter().filter(|f| !ours(&f.name)).count();
        let total = others + self.d.filters.len();
        if total > FILTERS_PER_LOG_GROUP {
            let address = format!("log_group.{}", self.d.log_group.name);
            self.conflict(
                "metric-filter-limit",
                &address,
                format!(
                    "log group `{}` would hold {total} metric filters ({others} already there, {} from the configuration); CloudWatch Logs allows {FILTERS_PER_LOG_GROUP}: disable controls or remove filters first",
                    self.d.log_group.name,
                    self.d.filters.len()
                ),
            );
            return;
        }
        for spec in &self.d.filters {
            let address = format!("metric_filter.{}", spec.name);
            let actual = self.a.filters.iter().find(|f| f.name == spec.name);
            let op = Op::PutMetricFilter {
                filter: spec.clone(),
            };
            let Some(actual) = actual else {
                self.push(
                    address,
                    Resource::MetricFilter,
                    Action::Create,
                    vec![missing(DriftKind::MetricFilterMissing)],
                    vec![op],
                );
                continue;
            };
            let mut diffs = Diffs::default();
            // CloudWatch Logs stores a pattern without its surrounding whitespace.
            if actual.pattern.trim() != spec.pattern.trim() {
                diffs.push(
                    "pattern",
                    DriftKind::MetricFilterPattern,
                    json!(spec.pattern),
                    json!(actual.pattern),
                    Severity::High,
                );
            }
            let mt = actual.metric_transformations.first();
            let fields: [(&str, DriftKind, &String, Option<&String>); 3] = [
                (
                    "metric_name",
                    DriftKind::MetricFilterMetricName,
                    &spec.metric_name,
                    mt.map(|m| &m.metric_name),
                ),
                (
                    "namespace",
                    DriftKind::MetricFilterNamespace,
                    &spec.namespace,
                    mt.map(|m| &m.namespace),
                ),
                (
                    "metric_value",
                    DriftKind::MetricFilterValue,
                    &spec.metric_value,
                    mt.map(|m| &m.metric_value),
                ),
            ];
            for (field, kind, want, have) in fields {
                diffs.compare(field, kind, json!(want), json!(have), Severity::High);
            }
            diffs.compare(
                "dimensions",
                DriftKind::MetricFilterDimensions,
                json!(spec.dimensions),
                json!(mt.map(|m| m.dimensions.clone()).unwrap_or_default()),
                Severity::High,
            );
            let ops = if diffs.0.is_empty() { vec![] } else { vec![op] };
            self.push(
                address,
                Resource::MetricFilter,
                Action::Update,
                diffs.0,
                ops,
            );
        }
    }

    pub(super) fn alarms(&mut self) {
        for spec in &self.d.alarms {
            let address = format!("alarm.{}", spec.name);
            let Some(a) = self.a.alarms.get(&spec.name) else {
                self.push(
                    address,
                    Resource::Alarm,
                    Action::Create,
                    vec![missing(DriftKind::AlarmMissing)],
                    vec![Op::PutMetricAlarm {
                        alarm: spec.clone(),
                        ok_actions: spec.ok_actions.clone(),
                        insufficient_data_actions: Vec::new(),
                    }],
                );
                continue;
            };
            // PutMetricAlarm replaces the whole alarm: OK and INSUFFICIENT_DATA actions someone
            // added are not trailwarden's to remove; the OK actions a severity asks for are
            // added to them.
            let mut ok_actions = a.ok_actions.clone();
            for want in &spec.ok_actions {
                if !ok_actions.contains(want) {
                    ok_actions.push(want.clone());
                }
            }
            let ok_missing: Vec<&String> = spec
                .ok_actions
                .iter()
                .filter(|w| !a.ok_actions.contains(w))
                .collect();
            let op = Op::PutMetricAlarm {
                alarm: spec.clone(),
                ok_actions,
                insufficient_data_actions: a.insufficient_data_actions.clone(),
            };
            let mut diffs = Diffs::default();
            let mut cmp = |field: &str, kind: DriftKind, want: Value, have: Value, sev| {
                diffs.compare(field, kind, want, have, sev);
            };
            // An alarm on a metric no filter emits never fires: the chain is broken.
            if let Some(query) = &spec.query {
                cmp(
                    "query",
                    DriftKind::AlarmMetricMismatch,
                    json!(query),
                    json!(a.query),
                    Severity::High,
                );
            } else {
                cmp(
                    "metric_name",
                    DriftKind::AlarmMetricMismatch,
                    json!(spec.metric_name),
                    json!(a.metric_name),
                    Severity::High,
                );
                cmp(
                    "namespace",
                    DriftKind::AlarmMetricMismatch,
                    json!(spec.namespace),
                    json!(a.namespace),
                    Severity::High,
                );
                cmp(
                    "statistic",
                    DriftKind::AlarmStatistic,
                    json!(spec.statistic),
                    json!(a.statistic),
                    Severity::Medium,
                );
            }
            cmp(
                "period",
                DriftKind::AlarmPeriod,
                json!(spec.period),
                json!(a.period),
                Severity::Medium,
            );
            cmp(
                "evaluation_periods",
                DriftKind::AlarmEvaluationPeriods,
                json!(spec.evaluation_periods),
                json!(a.evaluation_periods),
                Severity::Medium,
            );
            cmp(
                "datapoints_to_alarm",
                DriftKind::AlarmDatapointsToAlarm,
                json!(spec.datapoints_to_alarm),
                json!(a.datapoints_to_alarm.or(a.evaluation_periods)),
                Severity::Medium,
            );
            cmp(
                "threshold",
                DriftKind::AlarmThreshold,
                json!(spec.threshold),
                json!(a.threshold),
                Severity::Medium,
            );
            cmp(
                "comparison",
                DriftKind::AlarmComparison,
                json!(spec.comparison),
                json!(a.comparison),
                Severity::Medium,
            );
            cmp(
                "treat_missing_data",
                DriftKind::AlarmTreatMissingData,
                json!(spec.treat_missing_data),
                json!(a
                    .treat_missing_data
                    .clone()
                    .unwrap_or_else(|| "missing".into())),
                Severity::Low,
            );
            cmp(
                "actions_enabled",
                DriftKind::AlarmActionsDisabled,
                json!(true),
                json!(a.actions_enabled),
                Severity::High,
            );
            let mut want_actions = spec.actions.clone();
            want_actions.sort();
            let mut have_actions = a.alarm_actions.clone();
            have_actions.sort();
            cmp(
                "alarm_actions",
                DriftKind::AlarmActions,
                json!(want_actions),
                json!(have_actions),
                Severity::High,
            );
            if !ok_missing.is_empty() {
                let mut want = spec.ok_actions.clone();
                want.sort();
                let mut have = a.ok_actions.clone();
                have.sort();
                diffs.push(
                    "ok_actions",
                    DriftKind::AlarmOkActions,
                    json!(want),
                    json!(have),
                    Severity::Medium,
                );
            }
            // What the person paged reads: stale after a preset or routing change. Without its
            // console link (as a CloudFormation template writes it) it is in sync too.
            let have_description = a.description.clone().unwrap_or_default();
            if have_description != crate::runbook::without_link(&spec.description) {
                diffs.compare(
                    "description",
                    DriftKind::AlarmDescription,
                    json!(spec.description),
                    json!(have_description),
                    Severity::Low,
                );
            }
            let ops = if diffs.0.is_empty() { vec![] } else { vec![op] };
            self.push(address, Resource::Alarm, Action::Update, diffs.0, ops);
        }
    }
}
