//! The scan report: JSON (`--output json`) and a human-readable summary with a table per filter.

use serde_json::{json, Value};

use super::compile::Compiled;
use super::engine::Outcome;
use super::stats::{evaluate, AlarmOutcome};
use super::time::format_timestamp;

/// How many values each top list shows.
pub const TOP: usize = 5;
/// At most this many alarm intervals per filter in the JSON report.
pub const MAX_INTERVALS: usize = 1000;

/// What the report needs besides the outcome.
pub struct Context<'a> {
    pub controls: &'a [Compiled],
    pub presets: &'a [String],
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub seconds: f64,
}

fn time(t: Option<i64>) -> Value {
    t.map_or(Value::Null, |t| Value::String(format_timestamp(t)))
}

fn top(list: Vec<(String, u64)>) -> Value {
    Value::Array(
        list.into_iter()
            .map(|(value, count)| json!({"value": value, "count": count}))
            .collect(),
    )
}

/// Alarm outcomes, one per control.
pub fn outcomes(ctx: &Context, o: &Outcome) -> Vec<AlarmOutcome> {
    ctx.controls
        .iter()
        .zip(&o.stats)
        .map(|(c, s)| evaluate(&s.periods, &c.spec.alarm, MAX_INTERVALS))
        .collect()
}

pub fn to_json(ctx: &Context, o: &Outcome) -> Value {
    let alarms = outcomes(ctx, o);
    let filters: Vec<Value> = ctx
        .controls
        .iter()
        .zip(&o.stats)
        .zip(&alarms)
        .map(|((c, s), a)| {
            let al = &c.spec.alarm;
            json!({
                "name": c.spec.filter_name,
                "control": c.spec.id,
                "preset": c.spec.preset,
                "pattern": c.spec.pattern,
                "alarm": {
                    "statistic": al.statistic,
                    "comparison": al.comparison,
                    "threshold": al.threshold,
                    "period": al.period,
                    "evaluation_periods": al.evaluation_periods,
                    "datapoints_to_alarm": al.datapoints_to_alarm,
                },
                "matches": s.matches,
                "untimed_matches": s.untimed,
                "breaching_periods": a.breaching_periods,
                "breaching_datapoints": a.breaching_datapoints,
                "alarms": a.alarms,
                "first_match": time(s.first),
                "last_match": time(s.last),
                "peak_period": a.peak.map(|(start, n)| json!({
                    "start": format_timestamp(start),
                    "matches": n,
                })),
                "alarm_intervals": a.intervals.iter().map(|i| json!({
                    "start": format_timestamp(i.start),
                    "end": format_timestamp(i.end),
                    "periods": i.periods,
                    "matches": i.matches,
                })).collect::<Vec<_>>(),
                "top_principals": top(s.principals.top(TOP)),
                "top_source_ips": top(s.source_ips.top(TOP)),
                "top_event_names": top(s.event_names.top(TOP)),
                "tops_approximate": s.principals.approximate
                    || s.source_ips.approximate
                    || s.event_names.approximate,
            })
        })
        .collect();
    let t = &o.totals;
    json!({
        "format_version": crate::report::FORMAT_VERSION,
        "events": t.events,
        "files": t.files,
        "bytes": t.bytes,
        "input_bytes": t.input_bytes,
        "untimed_events": t.untimed_events,
        "first_event": time(t.first_event),
        "last_event": time(t.last_event),
        "since": time(ctx.since),
        "until": time(ctx.until),
        "presets": ctx.presets,
        "filters": filters,
        "errors": o.errors.iter().map(|e| json!({"file": e.file, "message": e.message})).collect::<Vec<_>>(),
    })
}

/// `1.2 GB`, `340 MB`, `12 kB`, `512 B` (decimal units).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else if v >= 100.0 {
        format!("{v:.0} {}", UNITS[u])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// `1234567` → `1,234,567`.
/// `1 match`, `2 matches`, `1,024 matches`.
fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn comparison_symbol(c: &str) -> &'static str {
    match c {
        "GreaterThanThreshold" => ">",
        "LessThanThreshold" => "<",
        "LessThanOrEqualToThreshold" => "<=",
        _ => ">=",
    }
}

fn alarm_rule(c: &Compiled) -> String {
    let a = &c.spec.alarm;
    let mut rule = format!(
        "{} {} {} per {} s",
        a.statistic,
        comparison_symbol(&a.comparison),
        a.threshold,
        a.period
    );
    if a.evaluation_periods > 1 {
        rule.push_str(&format!(
            ", {} of {}",
            a.datapoints_to_alarm, a.evaluation_periods
        ));
    }
    rule
}

pub fn human(ctx: &Context, o: &Outcome) -> String {
    let alarms = outcomes(ctx, o);
    let t = &o.totals;
    let mut s = String::new();
    let rate = if ctx.seconds > 0.0 {
        format!(", {}/s", human_bytes((t.bytes as f64 / ctx.seconds) as u64))
    } else {
        String::new()
    };
    s.push_str(&format!(
        "Scanned {} in {} ({}, {} stored) in {:.1} s{rate}\n",
        counted(t.events, "event", "events"),
        counted(t.files, "file", "files"),
        human_bytes(t.bytes),
        human_bytes(t.input_bytes),
        ctx.seconds,
    ));
    if let (Some(a), Some(b)) = (t.first_event, t.last_event) {
        s.push_str(&format!(
            "Events from {} to {}\n",
            format_timestamp(a),
            format_timestamp(b)
        ));
    }
    if ctx.since.is_some() || ctx.until.is_some() {
        s.push_str(&format!(
            "Time range: {} to {}\n",
            ctx.since.map_or("(start)".into(), format_timestamp),
            ctx.until.map_or("(end)".into(), format_timestamp)
        ));
    }
    s.push('\n');
    let name_w = ctx
        .controls
        .iter()
        .map(|c| c.spec.filter_name.len())
        .max()
        .unwrap_or(0)
        .max(6);
    s.push_str(&format!(
        "{:<name_w$}  {:>10}  {:>17}  {:>6}  ALARM WHEN\n",
        "FILTER", "MATCHES", "BREACHING PERIODS", "ALARMS"
    ));
    for ((c, st), a) in ctx.controls.iter().zip(&o.stats).zip(&alarms) {
        s.push_str(&format!(
            "{:<name_w$}  {:>10}  {:>17}  {:>6}  {}\n",
            c.spec.filter_name,
            thousands(st.matches),
            thousands(a.breaching_periods),
            thousands(a.alarms),
            alarm_rule(c)
        ));
    }
    for ((c, st), a) in ctx.controls.iter().zip(&o.stats).zip(&alarms) {
        if st.matches == 0 {
            continue;
        }
        s.push_str(&format!(
            "\n{} ({} / {}): {}, {}, {}\n",
            c.spec.filter_name,
            c.spec.preset,
            c.spec.id,
            counted(st.matches, "match", "matches"),
            counted(a.breaching_periods, "breaching period", "breaching periods"),
            counted(a.alarms, "alarm", "alarms")
        ));
        if let (Some(f), Some(l)) = (st.first, st.last) {
            s.push_str(&format!(
                "  first {}, last {}",
                format_timestamp(f),
                format_timestamp(l)
            ));
            if let Some((p, n)) = a.peak {
                s.push_str(&format!(
                    ", busiest period {} ({})",
                    format_timestamp(p),
                    thousands(n)
                ));
            }
            s.push('\n');
        }
        let rows: Vec<(&str, Vec<(String, u64)>)> = vec![
            ("principal", st.principals.top(TOP)),
            ("source IP", st.source_ips.top(TOP)),
            ("event name", st.event_names.top(TOP)),
        ];
        let value_w = rows
            .iter()
            .flat_map(|(_, l)| l.iter().map(|(v, _)| v.chars().count()))
            .max()
            .unwrap_or(0)
            .clamp(5, 100);
        s.push_str(&format!(
            "  {:<10}  {:<value_w$}  {:>10}\n",
            "", "VALUE", "COUNT"
        ));
        for (kind, list) in rows {
            for (i, (v, n)) in list.iter().enumerate() {
                let label = if i == 0 { kind } else { "" };
                let v: String = v.chars().take(100).collect();
                s.push_str(&format!(
                    "  {label:<10}  {v:<value_w$}  {:>10}\n",
                    thousands(*n)
                ));
            }
        }
        if st.principals.approximate || st.source_ips.approximate || st.event_names.approximate {
            s.push_str("  (counts approximate: too many distinct values to count them all)\n");
        }
    }
    if !o.errors.is_empty() {
        s.push_str(&format!(
            "\n{} skipped:\n",
            counted(o.errors.len() as u64, "file", "files")
        ));
        for e in o.errors.iter().take(20) {
            s.push_str(&format!("  {}: {}\n", e.file, e.message));
        }
        if o.errors.len() > 20 {
            s.push_str(&format!(
                "  ... and {} more (see --output json)\n",
                o.errors.len() - 20
            ));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1_234), "1.2 kB");
        assert_eq!(human_bytes(340_000_000), "340 MB");
        assert_eq!(human_bytes(1_200_000_000), "1.2 GB");
        assert_eq!(counted(1, "alarm", "alarms"), "1 alarm");
        assert_eq!(counted(0, "alarm", "alarms"), "0 alarms");
        assert_eq!(counted(1_500, "match", "matches"), "1,500 matches");
    }
}
