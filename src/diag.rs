//! Diagnostics: every problem found in the input, collected before anything runs.
//!
//! Each diagnostic has a stable code (documented in docs/configuration.md) and, when it comes from
//! a file, the file name with line and column.

use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    /// `file:line:column`, when the problem comes from a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            location: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            code,
            message: message.into(),
            location: None,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match &self.location {
            Some(loc) => write!(f, "{sev}[{}]: {loc}: {}", self.code, self.message),
            None => write!(f, "{sev}[{}]: {}", self.code, self.message),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Diagnostics {
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter().filter(|d| d.severity == Severity::Error)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items
            .iter()
            .filter(|d| d.severity == Severity::Warning)
    }
}

/// A named text, to turn byte offsets into `name:line:column`.
pub struct Source<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

impl<'a> Source<'a> {
    pub fn new(name: &'a str, text: &'a str) -> Source<'a> {
        Source { name, text }
    }

    pub fn location(&self, offset: usize) -> String {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        format!("{}:{line}:{col}", self.name)
    }

    /// Offset of the first occurrence of `needle`, to point at where a value was written.
    pub fn find(&self, needle: &str) -> Option<usize> {
        if needle.is_empty() {
            return None;
        }
        self.text.find(needle)
    }

    /// Offset of `key = ...` or `[key]` / `[table.key]` in the text.
    pub fn find_key(&self, key: &str) -> Option<usize> {
        let mut offset = 0;
        for line in self.text.split_inclusive('\n') {
            let t = line.trim_start();
            let indent = line.len() - t.len();
            let is_key = t.starts_with(key) && t[key.len()..].trim_start().starts_with('=');
            let is_table = t.starts_with('[')
                && t.trim_end()
                    .trim_end_matches(']')
                    .trim_start_matches('[')
                    .rsplit('.')
                    .next()
                    == Some(key);
            if is_key || is_table {
                return Some(offset + indent);
            }
            offset += line.len();
        }
        None
    }

    pub fn error_at(
        &self,
        code: &'static str,
        offset: Option<usize>,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            location: Some(match offset {
                Some(o) => self.location(o),
                None => self.name.to_string(),
            }),
        }
    }

    pub fn warning_at(
        &self,
        code: &'static str,
        offset: Option<usize>,
        message: impl Into<String>,
    ) -> Diagnostic {
        let mut d = self.error_at(code, offset, message);
        d.severity = Severity::Warning;
        d
    }

    pub fn toml_error(&self, code: &'static str, e: &toml::de::Error) -> Diagnostic {
        let msg = e.message().trim().to_string();
        self.error_at(code, e.span().map(|s| s.start), msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_counts_lines_and_columns_from_one() {
        let s = Source::new("f.toml", "a = 1\nbb = 2\n");
        assert_eq!(s.location(0), "f.toml:1:1");
        assert_eq!(s.location(6), "f.toml:2:1");
        assert_eq!(s.location(9), "f.toml:2:4");
    }

    #[test]
    fn find_key_finds_keys_and_tables() {
        let s = Source::new("f", "region = \"x\"\n[bucket]\n  name = \"b\"\n");
        assert_eq!(s.find_key("region"), Some(0));
        assert_eq!(s.find_key("bucket"), Some(13));
        assert_eq!(s.location(s.find_key("name").unwrap()), "f:3:3");
        assert_eq!(s.find_key("nope"), None);
    }
}
