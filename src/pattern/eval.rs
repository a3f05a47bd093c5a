//! Evaluation of a parsed pattern against an event.
//!
//! JSON patterns walk precompiled selector steps over the parsed value and compare with
//! precomputed matchers; no allocation happens per event on that path (numbers matched by
//! wildcard or regex are formatted into a stack buffer).

use std::fmt::Write as _;

use serde_json::{Number, Value};

use super::ast::{
    is_number, Ast, CmpOp, Cond, Expr, Field, FieldCond, Literal, Operand, Step, StrMatch, Term,
    TermMode, Test,
};
use super::Event;

pub(super) fn matches(ast: &Ast, event: &Event) -> bool {
    match ast {
        Ast::MatchAll => true,
        Ast::Terms(terms) => terms_match(terms, event.raw()),
        Ast::Regex(r) => r.compiled.is_match(event.raw()),
        Ast::Json(expr) => match event.json() {
            Some(root) => expr_match(expr, root),
            None => false,
        },
        Ast::Delimited(fields) => {
            let ev = split_fields(event.raw());
            align(fields, &ev).is_some()
        }
    }
}

pub(super) fn terms_match(terms: &[Term], raw: &str) -> bool {
    let mut any_required = false;
    let mut any_optional = false;
    let mut optional_hit = false;
    for t in terms {
        let found = raw.contains(t.text.as_str());
        match t.mode {
            TermMode::Required => {
                any_required = true;
                if !found {
                    return false;
                }
            }
            TermMode::Excluded => {
                if found {
                    return false;
                }
            }
            TermMode::Optional => {
                any_optional = true;
                optional_hit |= found;
            }
        }
    }
    any_required || !any_optional || optional_hit
}

pub(super) fn expr_match(expr: &Expr, root: &Value) -> bool {
    match expr {
        Expr::Or(items, _) => items.iter().any(|e| expr_match(e, root)),
        Expr::And(items) => items.iter().all(|e| expr_match(e, root)),
        Expr::Paren(inner, _) => expr_match(inner, root),
        Expr::Cond(c) => cond_match(c, root),
    }
}

pub(super) fn cond_match(c: &Cond, root: &Value) -> bool {
    match &c.test {
        Test::NotExists => !visit(&c.selector.steps, root, &mut |_| true),
        test => visit(&c.selector.steps, root, &mut |v| value_test(test, v)),
    }
}

/// Calls `f` on each value the steps select from `v`, stopping at the first `true`.
pub(super) fn visit(steps: &[Step], v: &Value, f: &mut dyn FnMut(&Value) -> bool) -> bool {
    let Some((step, rest)) = steps.split_first() else {
        return f(v);
    };
    match step {
        Step::Key(k) => match v.as_object().and_then(|o| o.get(k.as_str())) {
            Some(child) => visit(rest, child, f),
            None => false,
        },
        Step::Index(i) => match v.as_array().and_then(|a| a.get(*i)) {
            Some(child) => visit(rest, child, f),
            None => false,
        },
        Step::AnyIndex => match v.as_array() {
            Some(a) => a.iter().any(|child| visit(rest, child, f)),
            None => false,
        },
        Step::AnyKey => match v.as_object() {
            Some(o) => o.values().any(|child| visit(rest, child, f)),
            None => false,
        },
    }
}

/// Applies a test to one selected value.
pub(super) fn value_test(test: &Test, v: &Value) -> bool {
    match test {
        Test::IsNull => v.is_null(),
        Test::IsTrue => v.as_bool() == Some(true),
        Test::IsFalse => v.as_bool() == Some(false),
        Test::NotExists => false,
        Test::Cmp(op, operand) => match v {
            Value::Object(_) | Value::Array(_) | Value::Null => false,
            _ => match op {
                CmpOp::Eq => operand_eq(operand, v),
                CmpOp::Ne => !operand_eq(operand, v),
                rel => match (v.as_f64(), operand) {
                    (Some(actual), Operand::Lit(l)) => {
                        l.number.is_some_and(|n| rel.compare(actual, n))
                    }
                    _ => false,
                },
            },
        },
    }
}

/// `=` between an operand and a present scalar (string, number or boolean).
fn operand_eq(operand: &Operand, v: &Value) -> bool {
    match (operand, v) {
        (Operand::Regex(r), Value::String(s)) => r.compiled.is_match(s),
        (Operand::Regex(r), Value::Number(n)) => with_number_text(n, |t| r.compiled.is_match(t)),
        (Operand::Regex(_), _) => false,
        (Operand::Lit(l), Value::String(s)) => l.matcher.matches(s),
        (Operand::Lit(l), Value::Number(n)) => literal_eq_number(l, n),
        (Operand::Lit(l), Value::Bool(_)) => l.matcher == StrMatch::Any,
        (Operand::Lit(_), _) => false,
    }
}

fn literal_eq_number(l: &Literal, n: &Number) -> bool {
    match (&l.matcher, l.number) {
        (StrMatch::Any, _) => true,
        (_, Some(x)) => n.as_f64() == Some(x),
        (StrMatch::Glob { .. }, None) => with_number_text(n, |t| l.matcher.matches(t)),
        _ => false,
    }
}

/// A fixed buffer for formatting numbers without allocating.
struct StackText {
    buf: [u8; 48],
    len: usize,
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(std::fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Runs `f` on the number's JSON text (e.g. `400`, `45.5`).
pub(super) fn with_number_text<R>(n: &Number, f: impl FnOnce(&str) -> R) -> R {
    let mut st = StackText {
        buf: [0; 48],
        len: 0,
    };
    if write!(st, "{n}").is_ok() {
        if let Ok(s) = std::str::from_utf8(&st.buf[..st.len]) {
            return f(s);
        }
    }
    f(&n.to_string())
}

/// Splits a space-delimited event into fields: runs separated by spaces or tabs; text between
/// `"` and `"` or `[` and `]` is one field (without the delimiters). An unterminated group runs
/// to the end of the event.
pub(super) fn split_fields(raw: &str) -> Vec<&str> {
    let b = raw.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            open @ (b'"' | b'[') => {
                let close = if open == b'"' { b'"' } else { b']' };
                let start = i + 1;
                let end = b[start..]
                    .iter()
                    .position(|&c| c == close)
                    .map_or(b.len(), |p| start + p);
                out.push(&raw[start..end]);
                i = end + 1;
            }
            _ => {
                let start = i;
                while i < b.len() && !matches!(b[i], b' ' | b'\t' | b'\r' | b'\n') {
                    i += 1;
                }
                out.push(&raw[start..i]);
            }
        }
    }
    out
}

/// Whether a named field's conditions hold on one event field.
pub(super) fn field_ok(alternatives: &[Vec<FieldCond>], text: &str) -> bool {
    alternatives.is_empty()
        || alternatives
            .iter()
            .any(|alt| alt.iter().all(|c| field_cond_ok(c, text)))
}

pub(super) fn field_cond_ok(c: &FieldCond, text: &str) -> bool {
    match c.op {
        CmpOp::Eq => text_eq(&c.operand, text),
        CmpOp::Ne => !text_eq(&c.operand, text),
        rel => match &c.operand {
            Operand::Lit(l) => match l.number {
                Some(n) if is_number(text) => text.parse::<f64>().is_ok_and(|a| rel.compare(a, n)),
                _ => false,
            },
            Operand::Regex(_) => false,
        },
    }
}

fn text_eq(operand: &Operand, text: &str) -> bool {
    match operand {
        Operand::Regex(r) => r.compiled.is_match(text),
        Operand::Lit(l) => match l.number {
            Some(n) if is_number(text) => text.parse::<f64>().is_ok_and(|a| a == n),
            _ => l.matcher.matches(text),
        },
    }
}

/// Finds an assignment of event fields to pattern fields (`...` takes any number of fields).
/// Returns, for each pattern field, the range of event fields it covers.
pub(super) fn align(fields: &[Field], ev: &[&str]) -> Option<Vec<(usize, usize)>> {
    let np = fields.len();
    let ne = ev.len();
    // ok[p][e]: pattern fields p.. can match event fields e..
    let mut ok = vec![vec![false; ne + 1]; np + 1];
    ok[np][ne] = true;
    for p in (0..np).rev() {
        for e in (0..=ne).rev() {
            ok[p][e] = match &fields[p] {
                Field::Ellipsis(_) => ok[p + 1][e] || (e < ne && ok[p][e + 1]),
                Field::Named { alternatives, .. } => {
                    e < ne && ok[p + 1][e + 1] && field_ok(alternatives, ev[e])
                }
            };
        }
    }
    if !ok[0][0] {
        return None;
    }
    let mut spans = Vec::with_capacity(np);
    let mut e = 0;
    for (p, field) in fields.iter().enumerate() {
        match field {
            Field::Named { .. } => {
                spans.push((e, e + 1));
                e += 1;
            }
            Field::Ellipsis(_) => {
                let start = e;
                while !ok[p + 1][e] {
                    e += 1;
                }
                spans.push((start, e));
            }
        }
    }
    Some(spans)
}
