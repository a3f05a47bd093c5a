//! Human-readable account of a pattern and of its evaluation against one event.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use super::ast::{Ast, Cond, Expr, Field, Literal, Operand, StrMatch, Term, TermMode, Test};
use super::eval;
use super::{Event, Pattern, PatternKind};

/// The explanation of a pattern, optionally evaluated against one event.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub pattern: String,
    pub kind: PatternKind,
    /// Whether the event matches; `None` when no event was given.
    pub matched: Option<bool>,
    pub root: ExplainNode,
}

/// One clause of the explanation tree.
#[derive(Debug, Clone, Serialize)]
pub struct ExplainNode {
    pub label: String,
    /// Outcome against the event; `None` without an event (or for an ignored clause).
    pub outcome: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<ExplainNode>,
}

impl ExplainNode {
    fn new(label: impl Into<String>, outcome: Option<bool>, detail: Option<String>) -> ExplainNode {
        ExplainNode {
            label: label.into(),
            outcome,
            detail,
            children: Vec::new(),
        }
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, depth: usize) -> fmt::Result {
        let mark = match self.outcome {
            Some(true) => "✓",
            Some(false) => "✗",
            None => "·",
        };
        write!(f, "{:indent$}{mark} {}", "", self.label, indent = depth * 2)?;
        if let Some(d) = &self.detail {
            write!(f, ": {d}")?;
        }
        if let Some(o) = self.outcome {
            write!(f, " → {o}")?;
        }
        writeln!(f)?;
        for c in &self.children {
            c.write(f, depth + 1)?;
        }
        Ok(())
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "pattern ({}): {}", self.kind, self.pattern)?;
        if let Some(m) = self.matched {
            writeln!(f, "result: {}", if m { "match" } else { "no match" })?;
        }
        self.root.write(f, 0)
    }
}

pub(super) fn explain(p: &Pattern, event: Option<&Event>) -> Explanation {
    let matched = event.map(|e| p.matches(e));
    let root = match p.ast() {
        Ast::MatchAll => {
            ExplainNode::new("empty pattern", matched, Some("matches every event".into()))
        }
        Ast::Terms(terms) => explain_terms(terms, event.map(Event::raw)),
        Ast::Regex(r) => {
            let detail = match event {
                None => "unanchored search of the whole event text".to_string(),
                Some(e) => match r.compiled.find(e.raw()) {
                    Some(m) => format!("found {:?} at byte {}", m.as_str(), m.start()),
                    None => "not found in the event text".to_string(),
                },
            };
            ExplainNode::new(r.to_string(), matched, Some(detail))
        }
        Ast::Json(expr) => match event {
            None => json_node(expr, None),
            Some(e) => match e.json() {
                Some(root) => json_node(expr, Some(root)),
                None => {
                    let mut n = ExplainNode::new(
                        "JSON pattern",
                        Some(false),
                        Some("the event is not a JSON object".into()),
                    );
                    n.children.push(json_node(expr, None));
                    n
                }
            },
        },
        Ast::Delimited(fields) => explain_delimited(fields, event.map(Event::raw)),
    };
    Explanation {
        pattern: p.to_string(),
        kind: p.kind(),
        matched,
        root,
    }
}

fn explain_terms(terms: &[Term], raw: Option<&str>) -> ExplainNode {
    let has_required = terms.iter().any(|t| t.mode == TermMode::Required);
    let only_optional = !has_required && terms.iter().any(|t| t.mode == TermMode::Optional);
    let label = if only_optional {
        "terms: at least one ?term, no -term"
    } else {
        "terms: all plain terms, no -term"
    };
    let mut node = ExplainNode::new(label, raw.map(|r| eval::terms_match(terms, r)), None);
    for t in terms {
        let found = raw.map(|r| r.contains(t.text.as_str()));
        let shown = format!("{:?}", t.text);
        let (label, outcome, detail) = match t.mode {
            TermMode::Required => (format!("contains {shown}"), found, None),
            TermMode::Excluded => (format!("does not contain {shown}"), found.map(|f| !f), None),
            TermMode::Optional if has_required => (
                format!("optional {shown}"),
                None,
                Some("ignored: the pattern has plain terms".to_string()),
            ),
            TermMode::Optional => (format!("optional {shown}"), found, None),
        };
        let detail = detail.or_else(|| found.map(|f| if f { "found" } else { "not found" }.into()));
        node.children.push(ExplainNode::new(label, outcome, detail));
    }
    node
}

fn json_node(expr: &Expr, root: Option<&Value>) -> ExplainNode {
    match expr {
        Expr::Or(items, _) => group("any of (||)", items, root, |n| n.iter().any(|o| *o)),
        Expr::And(items) => group("all of (&&)", items, root, |n| n.iter().all(|o| *o)),
        Expr::Paren(inner, _) => json_node(inner, root),
        Expr::Cond(c) => cond_node(c, root),
    }
}

fn group(
    label: &str,
    items: &[Expr],
    root: Option<&Value>,
    combine: impl Fn(&[bool]) -> bool,
) -> ExplainNode {
    let children: Vec<ExplainNode> = items.iter().map(|e| json_node(e, root)).collect();
    let outcomes: Option<Vec<bool>> = children.iter().map(|c| c.outcome).collect();
    ExplainNode {
        label: label.to_string(),
        outcome: outcomes.map(|o| combine(&o)),
        detail: None,
        children,
    }
}

fn cond_node(c: &Cond, root: Option<&Value>) -> ExplainNode {
    let label = c.to_string();
    let Some(root) = root else {
        return ExplainNode::new(label, None, Some(describe_test(&c.test)));
    };
    let mut found: Vec<String> = Vec::new();
    let mut count = 0usize;
    eval::visit(&c.selector.steps, root, &mut |v| {
        count += 1;
        if found.len() < 5 {
            found.push(show_value(v));
        }
        false
    });
    let actual = match count {
        0 => "missing".to_string(),
        1 if !c.selector.has_wildcard() => format!("actual {}", found[0]),
        _ => {
            let more = if count > found.len() { ", …" } else { "" };
            format!("selected [{}{more}]", found.join(", "))
        }
    };
    let outcome = eval::cond_match(c, root);
    ExplainNode::new(label, Some(outcome), Some(actual))
}

fn show_value(v: &Value) -> String {
    match v {
        Value::Object(_) => "an object".into(),
        Value::Array(_) => "an array".into(),
        other => other.to_string(),
    }
}

fn describe_literal(l: &Literal) -> String {
    let m = match &l.matcher {
        StrMatch::Any => return "any present string, number or boolean".into(),
        StrMatch::Exact(s) => format!("exactly {s:?}"),
        StrMatch::Glob { parts, lead, trail } => {
            let mut s = String::from("like ");
            if *lead {
                s.push('*');
            }
            s.push_str(&parts.join("*"));
            if *trail {
                s.push('*');
            }
            s
        }
    };
    match l.number {
        Some(n) => format!("{m} (string), or the number {n}"),
        None => format!("{m} (case-sensitive)"),
    }
}

fn describe_test(t: &Test) -> String {
    match t {
        Test::IsNull => "a present JSON null".into(),
        Test::NotExists => "the property is absent".into(),
        Test::IsTrue => "the JSON boolean true".into(),
        Test::IsFalse => "the JSON boolean false".into(),
        Test::Cmp(op, Operand::Regex(_)) => match op.symbol() {
            "=" => "a string or number the regex finds a match in".into(),
            _ => "a present value the regex finds no match in".into(),
        },
        Test::Cmp(op, Operand::Lit(l)) => match op.symbol() {
            "=" => describe_literal(l),
            "!=" => format!("present, and not {}", describe_literal(l)),
            sym => format!("a number {sym} {}", l.raw),
        },
    }
}

fn explain_delimited(fields: &[Field], raw: Option<&str>) -> ExplainNode {
    let Some(raw) = raw else {
        let mut node = ExplainNode::new("space-delimited fields", None, None);
        node.children = fields.iter().map(|f| field_node(f, None, None)).collect();
        return node;
    };
    let ev = eval::split_fields(raw);
    let shown: Vec<String> = ev.iter().map(|s| format!("{s:?}")).collect();
    let detail = Some(format!("event fields [{}]", shown.join(", ")));
    match eval::align(fields, &ev) {
        Some(spans) => {
            let mut node = ExplainNode::new("space-delimited fields", Some(true), detail);
            for (f, (a, b)) in fields.iter().zip(spans) {
                node.children
                    .push(field_node(f, Some(&ev[a..b]), Some(true)));
            }
            node
        }
        None => {
            let mut node = ExplainNode::new("space-delimited fields", Some(false), detail);
            let fixed = !fields.iter().any(|f| matches!(f, Field::Ellipsis(_)));
            if fixed {
                let want = fields.len();
                let count_ok = want == ev.len();
                node.children.push(ExplainNode::new(
                    "field count",
                    Some(count_ok),
                    Some(format!("pattern has {want}, event has {}", ev.len())),
                ));
                for (i, f) in fields.iter().enumerate() {
                    let slice = ev.get(i..i + 1).unwrap_or(&[]);
                    let ok = match f {
                        Field::Named { alternatives, .. } => {
                            slice.first().map(|t| eval::field_ok(alternatives, t))
                        }
                        Field::Ellipsis(_) => Some(true),
                    };
                    node.children
                        .push(field_node(f, Some(slice), Some(ok.unwrap_or(false))));
                }
            } else {
                node.children.push(ExplainNode::new(
                    "alignment",
                    Some(false),
                    Some("no placement of the '...' fields lets every condition hold".into()),
                ));
                node.children
                    .extend(fields.iter().map(|f| field_node(f, None, None)));
            }
            node
        }
    }
}

fn field_node(f: &Field, values: Option<&[&str]>, outcome: Option<bool>) -> ExplainNode {
    let label = f.to_string();
    let detail = match values {
        None => match f {
            Field::Ellipsis(_) => Some("any number of fields".to_string()),
            Field::Named { alternatives, .. } if alternatives.is_empty() => {
                Some("any one field".to_string())
            }
            Field::Named { .. } => None,
        },
        Some([]) if matches!(f, Field::Named { .. }) => Some("missing".to_string()),
        Some([one]) if matches!(f, Field::Named { .. }) => Some(format!("actual {one:?}")),
        Some(vs) => {
            let shown: Vec<String> = vs.iter().map(|s| format!("{s:?}")).collect();
            Some(format!("actual [{}]", shown.join(", ")))
        }
    };
    ExplainNode::new(label, outcome, detail)
}
