//! Syntax tree of a parsed filter pattern, literal matching helpers and canonical printing.
//!
//! Printing a tree with `Display` gives text that parses back to an equal tree. Spans (columns)
//! never take part in equality, so re-spaced text compares equal to the original.

use std::fmt;

use regex::Regex;

pub use super::literal::{is_number, Literal, StrMatch};

/// Where a construct starts in the pattern text: the 1-based column of its first character.
/// All spans compare equal, so trees that differ only in spacing are equal.
#[derive(Clone, Copy, Debug, Default)]
pub struct Span {
    pub column: usize,
}

impl Span {
    pub fn at(column: usize) -> Span {
        Span { column }
    }
}

impl PartialEq for Span {
    fn eq(&self, _other: &Span) -> bool {
        true
    }
}

/// The parsed form of a whole pattern.
#[derive(Clone, Debug, PartialEq)]
pub enum Ast {
    /// Empty pattern, `""` or `" "`: every event matches.
    MatchAll,
    /// Unstructured-text terms.
    Terms(Vec<Term>),
    /// A standalone `%regex%`.
    Regex(RegexLit),
    /// A `{ ... }` JSON pattern.
    Json(Expr),
    /// A `[ ... ]` space-delimited pattern.
    Delimited(Vec<Field>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TermMode {
    /// Plain term: must occur.
    Required,
    /// `-term`: must not occur.
    Excluded,
    /// `?term`: at least one optional term must occur when there is no plain term.
    Optional,
}

/// One term of an unstructured-text pattern.
#[derive(Clone, Debug, PartialEq)]
pub struct Term {
    pub mode: TermMode,
    /// Text as written (between the quotes when quoted).
    pub raw: String,
    pub quoted: bool,
    /// The substring searched for (escapes `\"` and `\\` decoded when quoted).
    pub text: String,
    pub span: Span,
}

/// A compiled `%regex%`; `source` is the text between the `%` signs as written.
#[derive(Clone, Debug)]
pub struct RegexLit {
    pub source: String,
    pub compiled: Regex,
    pub span: Span,
}

impl PartialEq for RegexLit {
    fn eq(&self, other: &RegexLit) -> bool {
        self.source == other.source
    }
}

/// Boolean expression of a JSON pattern.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// `a || b || ...`; the span is the first `||`.
    Or(Vec<Expr>, Span),
    /// `a && b && ...`.
    And(Vec<Expr>),
    /// `( ... )`, kept so that printing and lints see the user's grouping.
    Paren(Box<Expr>, Span),
    Cond(Cond),
}

/// `selector test`, e.g. `$.eventName = "ConsoleLogin"` or `$.a NOT EXISTS`.
#[derive(Clone, Debug, PartialEq)]
pub struct Cond {
    pub selector: Selector,
    pub test: Test,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Test {
    Cmp(CmpOp, Operand),
    IsNull,
    NotExists,
    IsTrue,
    IsFalse,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Gt => ">",
            CmpOp::Le => "<=",
            CmpOp::Ge => ">=",
        }
    }

    pub fn is_relational(self) -> bool {
        !matches!(self, CmpOp::Eq | CmpOp::Ne)
    }

    /// Applies a relational operator to two numbers.
    pub fn compare(self, actual: f64, expected: f64) -> bool {
        match self {
            CmpOp::Eq => actual == expected,
            CmpOp::Ne => actual != expected,
            CmpOp::Lt => actual < expected,
            CmpOp::Gt => actual > expected,
            CmpOp::Le => actual <= expected,
            CmpOp::Ge => actual >= expected,
        }
    }
}

/// Right-hand side of a comparison.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    Lit(Literal),
    Regex(RegexLit),
}

/// A compiled `$.` selector.
#[derive(Clone, Debug, PartialEq)]
pub struct Selector {
    pub steps: Vec<Step>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// `.name` or `['name']`.
    Key(String),
    /// `[n]`.
    Index(usize),
    /// `[*]`: every element of an array.
    AnyIndex,
    /// `.*`: every member value of an object.
    AnyKey,
}

impl Selector {
    pub fn has_wildcard(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s, Step::AnyIndex | Step::AnyKey))
    }

    /// True when the selector is exactly the given key path (no index, no wildcard).
    pub fn is_path(&self, keys: &[&str]) -> bool {
        self.steps.len() == keys.len()
            && self
                .steps
                .iter()
                .zip(keys)
                .all(|(s, k)| matches!(s, Step::Key(name) if name == k))
    }

    /// True when the selector starts with the given keys.
    pub fn starts_with(&self, keys: &[&str]) -> bool {
        self.steps.len() >= keys.len()
            && self
                .steps
                .iter()
                .zip(keys)
                .all(|(s, k)| matches!(s, Step::Key(name) if name == k))
    }
}

/// Characters allowed in a dotted property name.
pub fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

/// One field of a space-delimited pattern.
#[derive(Clone, Debug, PartialEq)]
pub enum Field {
    /// `...`: any number of event fields.
    Ellipsis(Span),
    /// A named field; `alternatives` is an OR of AND-groups of conditions (empty: no condition).
    Named {
        name: String,
        alternatives: Vec<Vec<FieldCond>>,
        span: Span,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct FieldCond {
    pub op: CmpOp,
    pub operand: Operand,
    pub span: Span,
}

impl fmt::Display for Ast {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ast::MatchAll => Ok(()),
            Ast::Terms(terms) => {
                for (i, t) in terms.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{t}")?;
                }
                Ok(())
            }
            Ast::Regex(r) => write!(f, "{r}"),
            Ast::Json(e) => write!(f, "{{ {e} }}"),
            Ast::Delimited(fields) => {
                f.write_str("[")?;
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{field}")?;
                }
                f.write_str("]")
            }
        }
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.mode {
            TermMode::Required => {}
            TermMode::Excluded => f.write_str("-")?,
            TermMode::Optional => f.write_str("?")?,
        }
        if self.quoted {
            write!(f, "\"{}\"", self.raw)
        } else {
            f.write_str(&self.raw)
        }
    }
}

impl fmt::Display for RegexLit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "%{}%", self.source)
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.quoted {
            write!(f, "\"{}\"", self.raw)
        } else {
            f.write_str(&self.raw)
        }
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Lit(l) => write!(f, "{l}"),
            Operand::Regex(r) => write!(f, "{r}"),
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Or(items, _) => write_joined(f, items, " || "),
            Expr::And(items) => write_joined(f, items, " && "),
            Expr::Paren(inner, _) => write!(f, "({inner})"),
            Expr::Cond(c) => write!(f, "{c}"),
        }
    }
}

fn write_joined(f: &mut fmt::Formatter<'_>, items: &[Expr], sep: &str) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

impl fmt::Display for Cond {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.selector)?;
        match &self.test {
            Test::Cmp(op, operand) => write!(f, " {} {operand}", op.symbol()),
            Test::IsNull => f.write_str(" IS NULL"),
            Test::NotExists => f.write_str(" NOT EXISTS"),
            Test::IsTrue => f.write_str(" IS TRUE"),
            Test::IsFalse => f.write_str(" IS FALSE"),
        }
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("$")?;
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                Step::Key(k) if !k.is_empty() && k.chars().all(is_name_char) => write!(f, ".{k}")?,
                Step::Key(k) => {
                    if i == 0 {
                        f.write_str(".")?;
                    }
                    let q = if k.contains('\'') { '"' } else { '\'' };
                    write!(f, "[{q}{k}{q}]")?;
                }
                Step::Index(n) => write!(f, "[{n}]")?,
                Step::AnyIndex => f.write_str("[*]")?,
                Step::AnyKey => f.write_str(".*")?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::Ellipsis(_) => f.write_str("..."),
            Field::Named {
                name, alternatives, ..
            } => {
                if alternatives.is_empty() {
                    return f.write_str(name);
                }
                for (i, alt) in alternatives.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" || ")?;
                    }
                    for (j, c) in alt.iter().enumerate() {
                        if j > 0 {
                            f.write_str(" && ")?;
                        }
                        write!(f, "{name} {} {}", c.op.symbol(), c.operand)?;
                    }
                }
                Ok(())
            }
        }
    }
}
