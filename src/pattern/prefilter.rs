//! A conservative pre-check on raw event bytes.
//!
//! From the pattern we derive clauses of literals that every matching event must contain: the
//! event may match only if each clause has at least one of its literals in the raw bytes.
//! `may_match` is `false` only when the event certainly cannot match.
//!
//! JSON patterns contribute the literal parts of `=` values (wildcard parts dropped, runs of
//! characters JSON never escapes: ASCII letters and digits, `.`, `-`, `_`, `:` and space). Since
//! JSON may spell any character as `\uXXXX`, an event containing `\u` always passes. Negative
//! clauses (`!=`, `NOT EXISTS`), numbers, booleans and regexes contribute nothing.

use memchr::memmem::Finder;

use super::ast::{
    Ast, CmpOp, Expr, Field, FieldCond, Literal, Operand, StrMatch, Term, TermMode, Test,
};

#[derive(Clone, Debug)]
pub struct Prefilter {
    clauses: Vec<Vec<Finder<'static>>>,
    escape_guard: Option<Finder<'static>>,
}

/// Alternatives: at least one must occur.
type Clause = Vec<String>;

impl Prefilter {
    pub fn build(ast: &Ast) -> Prefilter {
        let (clauses, guard) = match ast {
            Ast::MatchAll | Ast::Regex(_) => (Vec::new(), false),
            Ast::Terms(terms) => (term_clauses(terms), false),
            Ast::Json(e) => (expr_clauses(e), true),
            Ast::Delimited(fields) => (field_clauses(fields), false),
        };
        let clauses: Vec<Vec<Finder<'static>>> = clauses
            .into_iter()
            .map(|c| {
                c.iter()
                    .map(|s| Finder::new(s.as_bytes()).into_owned())
                    .collect()
            })
            .collect();
        let escape_guard = (guard && !clauses.is_empty()).then(|| Finder::new(b"\\u").into_owned());
        Prefilter {
            clauses,
            escape_guard,
        }
    }

    /// False only when the event certainly cannot match.
    pub fn may_match(&self, raw: &[u8]) -> bool {
        if self.clauses.is_empty() {
            return true;
        }
        if let Some(g) = &self.escape_guard {
            if g.find(raw).is_some() {
                return true;
            }
        }
        self.clauses
            .iter()
            .all(|c| c.iter().any(|f| f.find(raw).is_some()))
    }

    /// True when the prefilter lets every event through.
    pub fn is_trivial(&self) -> bool {
        self.clauses.is_empty()
    }

    /// The literal clauses (each: at least one of these must occur), for display.
    pub fn literals(&self) -> Vec<Vec<String>> {
        self.clauses
            .iter()
            .map(|c| {
                c.iter()
                    .map(|f| String::from_utf8_lossy(f.needle()).into_owned())
                    .collect()
            })
            .collect()
    }
}

fn term_clauses(terms: &[Term]) -> Vec<Clause> {
    let required: Vec<Clause> = terms
        .iter()
        .filter(|t| t.mode == TermMode::Required)
        .map(|t| vec![t.text.clone()])
        .collect();
    if !required.is_empty() {
        return required;
    }
    let optional: Clause = terms
        .iter()
        .filter(|t| t.mode == TermMode::Optional)
        .map(|t| t.text.clone())
        .collect();
    if optional.is_empty() {
        Vec::new()
    } else {
        vec![optional]
    }
}

fn is_safe(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | ' ')
}

/// The longest run of safe characters among the literal pieces that satisfies `usable`.
fn best_run(pieces: &[&str], usable: impl Fn(&str) -> bool) -> Option<String> {
    pieces
        .iter()
        .flat_map(|p| p.split(|c: char| !is_safe(c)))
        .filter(|run| !run.is_empty() && usable(run))
        .max_by_key(|run| run.len())
        .map(str::to_string)
}

fn pieces(l: &Literal) -> Vec<&str> {
    match &l.matcher {
        StrMatch::Any => Vec::new(),
        StrMatch::Exact(s) => vec![s.as_str()],
        StrMatch::Glob { parts, .. } => parts.iter().map(String::as_str).collect(),
    }
}

/// A literal a JSON `=` value requires. Numeric literals match numbers whatever their spelling,
/// and wildcard values also match a number's text, so a usable run must contain a character no
/// number's text has.
fn json_needle(l: &Literal) -> Option<String> {
    if l.number.is_some() {
        return None;
    }
    let exact = matches!(l.matcher, StrMatch::Exact(_));
    best_run(&pieces(l), |run| {
        exact
            || run
                .chars()
                .any(|c| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E')))
    })
}

fn expr_clauses(e: &Expr) -> Vec<Clause> {
    match e {
        Expr::Cond(c) => match &c.test {
            Test::Cmp(CmpOp::Eq, Operand::Lit(l)) => {
                json_needle(l).map(|n| vec![vec![n]]).unwrap_or_default()
            }
            _ => Vec::new(),
        },
        Expr::Paren(inner, _) => expr_clauses(inner),
        Expr::And(items) => {
            let mut out: Vec<Clause> = Vec::new();
            for c in items.iter().flat_map(expr_clauses) {
                if !out.contains(&c) {
                    out.push(c);
                }
            }
            out
        }
        Expr::Or(items, _) => or_clauses(items.iter().map(expr_clauses).collect()),
    }
}

/// An OR of branches requires one literal from each branch's strongest clause.
fn or_clauses(branches: Vec<Vec<Clause>>) -> Vec<Clause> {
    let mut union: Clause = Vec::new();
    for b in branches {
        let Some(best) = b.into_iter().max_by_key(|c| {
            let shortest = c.iter().map(String::len).min().unwrap_or(0);
            (usize::MAX - c.len(), shortest)
        }) else {
            return Vec::new();
        };
        for lit in best {
            if !union.contains(&lit) {
                union.push(lit);
            }
        }
    }
    if union.is_empty() {
        Vec::new()
    } else {
        vec![union]
    }
}

fn field_clauses(fields: &[Field]) -> Vec<Clause> {
    let mut out = Vec::new();
    for f in fields {
        let Field::Named { alternatives, .. } = f else {
            continue;
        };
        if alternatives.is_empty() {
            continue;
        }
        let branches: Vec<Vec<Clause>> = alternatives.iter().map(|alt| cond_clauses(alt)).collect();
        let clauses = if branches.len() == 1 {
            branches.into_iter().next().unwrap_or_default()
        } else {
            or_clauses(branches)
        };
        for c in clauses {
            if !out.contains(&c) {
                out.push(c);
            }
        }
    }
    out
}

fn cond_clauses(alt: &[FieldCond]) -> Vec<Clause> {
    alt.iter()
        .filter_map(|c| match (&c.op, &c.operand) {
            (CmpOp::Eq, Operand::Lit(l)) if l.number.is_none() => {
                best_run(&pieces(l), |_| true).map(|n| vec![n])
            }
            _ => None,
        })
        .collect()
}
