//! Tallying: what a record adds to its file's tallies once it is framed — the event totals,
//! and for every control whose pattern matches, its statistics and the `--matches` line.

use std::borrow::Cow;

use serde_json::Value;

use crate::pattern::Event;

use super::compile::Eval;
use super::engine::{Engine, Fields, Totals};
use super::stats::ControlStats;
use super::time::parse_timestamp;
use super::walk::{is_compact, string_content, Span};

impl Totals {
    pub(super) fn add(&mut self, o: &Totals) {
        self.events += o.events;
        self.files += o.files;
        self.bytes += o.bytes;
        self.input_bytes += o.input_bytes;
        self.untimed_events += o.untimed_events;
        self.first_event = min_opt(self.first_event, o.first_event);
        self.last_event = max_opt(self.last_event, o.last_event);
    }
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

/// The tallies of one file, added to the worker's once the file is read.
pub(super) struct FileAcc {
    pub(super) totals: Totals,
    pub(super) stats: Vec<ControlStats>,
    /// `--matches` lines not written yet.
    pub(super) lines: Vec<u8>,
    /// Lines of this file written before its end (see [`super::worker::MATCH_FLUSH`]).
    pub(super) printed_early: u64,
}

impl FileAcc {
    pub(super) fn new(controls: usize) -> FileAcc {
        FileAcc {
            totals: Totals::default(),
            stats: (0..controls).map(|_| ControlStats::default()).collect(),
            lines: Vec::new(),
            printed_early: 0,
        }
    }
}

/// Tallies the record `buf[start..end]`, whose projection is `proj`.
pub(super) fn tally(
    e: &Engine,
    buf: &[u8],
    proj: &[Span],
    acc: &mut FileAcc,
    start: usize,
    end: usize,
) {
    let rec = &buf[start..end];
    let f = &e.fields;
    let time = proj[f.time]
        .get(buf)
        .and_then(|v| (v.len() > 2 && v[0] == b'"').then(|| &v[1..v.len() - 1]))
        .and_then(parse_timestamp);
    let s = &e.settings;
    if s.since.is_some() || s.until.is_some() {
        let Some(t) = time else { return };
        if s.since.is_some_and(|x| t < x) || s.until.is_some_and(|u| t >= u) {
            return;
        }
    }
    let totals = &mut acc.totals;
    totals.events += 1;
    match time {
        Some(t) => {
            totals.first_event = min_opt(totals.first_event, Some(t));
            totals.last_event = max_opt(totals.last_event, Some(t));
        }
        None => totals.untimed_events += 1,
    }
    // The record as text (for the pattern engine and for printing), made on first need.
    let mut text: Option<Option<Cow<'_, str>>> = None;
    let mut fields: Option<[Cow<'_, [u8]>; 3]> = None;
    for (ci, c) in e.controls.iter().enumerate() {
        let hit = match &c.eval {
            Eval::All => true,
            Eval::Fast(x) => x.eval(buf, proj),
            Eval::Text => {
                c.prefilter.may_match(rec)
                    && match text.get_or_insert_with(|| record_text(rec)) {
                        Some(t) => c.pattern.matches(&Event::from_text(t)),
                        None => false,
                    }
            }
            Eval::Full => {
                c.prefilter.may_match(rec)
                    && match serde_json::from_slice::<Value>(rec) {
                        Ok(v) => c.pattern.matches(&Event::from_json("", &v)),
                        Err(_) => false,
                    }
            }
        };
        if !hit {
            continue;
        }
        let fl = fields.get_or_insert_with(|| report_fields(buf, proj, f));
        acc.stats[ci].record(time, e.periods[ci], &[&fl[0], &fl[1], &fl[2]]);
        if s.print_matches == Some(ci) {
            // A record that is not valid JSON text is counted but not printed.
            if let Some(t) = text.get_or_insert_with(|| record_text(rec)) {
                acc.lines.extend_from_slice(t.as_bytes());
                acc.lines.push(b'\n');
            }
        }
    }
}

/// The record as compact JSON text: its own bytes when they already are, else re-serialized.
fn record_text(rec: &[u8]) -> Option<Cow<'_, str>> {
    if is_compact(rec) {
        if let Ok(s) = std::str::from_utf8(rec) {
            return Some(Cow::Borrowed(s));
        }
    }
    let v: Value = serde_json::from_slice(rec).ok()?;
    serde_json::to_string(&v).ok().map(Cow::Owned)
}

/// Principal, source IP and event name of a matching record.
fn report_fields<'a>(buf: &'a [u8], proj: &[Span], f: &Fields) -> [Cow<'a, [u8]>; 3] {
    let text = |slot: usize| -> Option<Cow<'a, [u8]>> {
        let span = proj[slot];
        let v = span.get(buf)?;
        if v.len() >= 2 && v[0] == b'"' && !super::compile::has_escape(v) {
            Some(Cow::Borrowed(&v[1..v.len() - 1]))
        } else {
            string_content(v)
        }
    };
    let principal = text(f.arn)
        .filter(|s| !s.is_empty())
        .or_else(|| text(f.principal_id).filter(|s| !s.is_empty()))
        .or_else(|| text(f.invoked_by).filter(|s| !s.is_empty()))
        .or_else(|| text(f.user_name).filter(|s| !s.is_empty()))
        .or_else(|| text(f.identity_type).filter(|s| !s.is_empty()))
        .unwrap_or(Cow::Borrowed(b"-"));
    let ip = text(f.source_ip).unwrap_or(Cow::Borrowed(b"-"));
    let name = text(f.event_name).unwrap_or(Cow::Borrowed(b"-"));
    [principal, ip, name]
}
