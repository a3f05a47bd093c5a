//! CloudWatch Logs filter patterns: parsing, evaluation against log events, explanation,
//! lints and a cheap raw-bytes prefilter.
//!
//! The language is described in `docs/pattern-language.md`.

pub mod ast;
mod eval;
mod explain;
mod lexer;
mod lint;
mod literal;
mod parser;
mod prefilter;
mod re;
mod selector;

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_docs;
#[cfg(test)]
mod tests_invalid;
#[cfg(test)]
mod tests_more;

use std::cell::OnceCell;
use std::fmt;

use serde::Serialize;
use serde_json::Value;

pub use ast::Ast;
pub use explain::{ExplainNode, Explanation};
pub use lint::Lint;
pub use parser::MAX_LEN;
pub use prefilter::Prefilter;

/// A rejected pattern: 1-based column (in characters) and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    pub column: usize,
    pub message: String,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for PatternError {}

/// The four kinds of pattern, plus the empty pattern that matches everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PatternKind {
    MatchAll,
    Json,
    Terms,
    Regex,
    Delimited,
}

impl fmt::Display for PatternKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PatternKind::MatchAll => "match-all",
            PatternKind::Json => "json",
            PatternKind::Terms => "terms",
            PatternKind::Regex => "regex",
            PatternKind::Delimited => "delimited",
        })
    }
}

/// A parsed filter pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    source: String,
    ast: Ast,
}

impl PartialEq for Pattern {
    /// Two patterns are equal when their syntax trees are (spacing and the source text aside).
    fn eq(&self, other: &Pattern) -> bool {
        self.ast == other.ast
    }
}

impl Pattern {
    /// Parses a pattern; every invalid pattern is rejected with a column and a message.
    pub fn parse(text: &str) -> Result<Pattern, PatternError> {
        Ok(Pattern {
            source: text.to_string(),
            ast: parser::parse(text)?,
        })
    }

    /// The text the pattern was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The syntax tree.
    pub fn ast(&self) -> &Ast {
        &self.ast
    }

    pub fn kind(&self) -> PatternKind {
        match self.ast {
            Ast::MatchAll => PatternKind::MatchAll,
            Ast::Terms(_) => PatternKind::Terms,
            Ast::Regex(_) => PatternKind::Regex,
            Ast::Json(_) => PatternKind::Json,
            Ast::Delimited(_) => PatternKind::Delimited,
        }
    }

    /// Whether the event matches.
    pub fn matches(&self, event: &Event) -> bool {
        eval::matches(&self.ast, event)
    }

    /// Matches raw event text; the text is parsed as JSON when it looks like a JSON object.
    pub fn matches_text(&self, raw: &str) -> bool {
        self.matches(&Event::from_text(raw))
    }

    /// Describes the pattern, and with an event, why each clause holds or not.
    pub fn explain(&self, event: Option<&Event>) -> Explanation {
        explain::explain(self, event)
    }

    /// Warnings about patterns that parse but probably do not do what was meant.
    pub fn lints(&self) -> Vec<Lint> {
        lint::lints(&self.ast)
    }

    /// A conservative pre-check on raw event bytes (see [`Prefilter`]).
    pub fn prefilter(&self) -> Prefilter {
        Prefilter::build(&self.ast)
    }
}

impl fmt::Display for Pattern {
    /// Canonical form: parsing it gives an equal pattern.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.ast)
    }
}

impl std::str::FromStr for Pattern {
    type Err = PatternError;
    fn from_str(s: &str) -> Result<Pattern, PatternError> {
        Pattern::parse(s)
    }
}

enum EventJson<'a> {
    Given(&'a Value),
    Lazy(OnceCell<Option<Value>>),
}

/// One log event: its raw text and, for JSON events, the parsed value.
pub struct Event<'a> {
    raw: &'a str,
    json: EventJson<'a>,
}

impl<'a> Event<'a> {
    /// An event from raw text; it is parsed as JSON on first need, when the text (leading and
    /// trailing whitespace aside) is a JSON object.
    pub fn from_text(raw: &'a str) -> Event<'a> {
        Event {
            raw,
            json: EventJson::Lazy(OnceCell::new()),
        }
    }

    /// An event whose JSON form is already parsed; `raw` is its text.
    pub fn from_json(raw: &'a str, value: &'a Value) -> Event<'a> {
        Event {
            raw,
            json: EventJson::Given(value),
        }
    }

    pub fn raw(&self) -> &str {
        self.raw
    }

    /// The event as a JSON value, when it is a JSON object.
    pub fn json(&self) -> Option<&Value> {
        match &self.json {
            EventJson::Given(v) => Some(*v).filter(|v| v.is_object()),
            EventJson::Lazy(cell) => cell.get_or_init(|| parse_object(self.raw)).as_ref(),
        }
    }
}

impl fmt::Debug for Event<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event").field("raw", &self.raw).finish()
    }
}

fn parse_object(raw: &str) -> Option<Value> {
    let t = raw.trim();
    if !(t.starts_with('{') && t.ends_with('}')) {
        return None;
    }
    serde_json::from_str::<Value>(t)
        .ok()
        .filter(Value::is_object)
}
