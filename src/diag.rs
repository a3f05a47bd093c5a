//! Diagnostics: every problem found in the input, collected before anything runs.
//!
//! Each diagnostic has a stable code (documented in docs/configuration.md) and, when it comes from
//! a file, the file name with line and column.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// The stable code of a diagnostic, listed in docs/configuration.md ("Diagnostic codes"; a test
/// keeps the two in step).
macro_rules! codes {
    ($($variant:ident => $text:literal,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code { $($variant,)* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $text,)* }
            }
        }
    };
}

codes! {
    ConfigSyntax => "config-syntax",
    ConfigValue => "config-value",
    ConfigUnknownKey => "config-unknown-key",
    ConfigType => "config-type",
    ConfigUnreadable => "config-unreadable",
    ConfigPresetTwice => "config-preset-twice",
    RegionUnknown => "region-unknown",
    EndpointUrl => "endpoint-url",
    EmailInvalid => "email-invalid",
    EmailMissing => "email-missing",
    SubscriberInvalid => "subscriber-invalid",
    BucketName => "bucket-name",
    BucketPrefix => "bucket-prefix",
    TrailName => "trail-name",
    TrailAdoptName => "trail-adopt-name",
    LogGroupName => "log-group-name",
    RetentionDays => "retention-days",
    RoleName => "role-name",
    TopicName => "topic-name",
    TopicUnknown => "topic-unknown",
    SeverityUnknown => "severity-unknown",
    ChatInvalid => "chat-invalid",
    TagInvalid => "tag-invalid",
    PriceInvalid => "price-invalid",
    ControlUnknown => "control-unknown",
    AlternativeUnknown => "alternative-unknown",
    ExclusionInvalid => "exclusion-invalid",
    ExclusionsBreakExactMatch => "exclusions-break-exact-match",
    FilterConflict => "filter-conflict",
    AlarmConflict => "alarm-conflict",
    TooManyFilters => "too-many-filters",
    UnknownPreset => "unknown-preset",
    PresetUnreadable => "preset-unreadable",
    PresetInvalid => "preset-invalid",
    PresetExtendsCycle => "preset-extends-cycle",
    PresetRemoveUnknown => "preset-remove-unknown",
    PresetRemoveWithoutExtends => "preset-remove-without-extends",
    ControlId => "control-id",
    ControlDuplicate => "control-duplicate",
    FilterDuplicate => "filter-duplicate",
    NameInvalid => "name-invalid",
    NamespaceReserved => "namespace-reserved",
    AuditorUnknown => "auditor-unknown",
    PatternInvalid => "pattern-invalid",
    ExampleMismatch => "example-mismatch",
    AlarmThreshold => "alarm-threshold",
    AlarmPeriod => "alarm-period",
    AlarmEvaluationPeriods => "alarm-evaluation-periods",
    AlarmDatapoints => "alarm-datapoints",
    AlarmSetting => "alarm-setting",
    PatternLint => "pattern-lint",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    /// `file:line:column`, when the problem comes from a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            location: None,
        }
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Diagnostic {
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
    /// Where each value of a TOML text was written, by path: `bucket.name`, `emails[1]`,
    /// `controls.root-account-usage`, `controls[2].pattern` (an array of tables).
    spans: BTreeMap<String, usize>,
    /// Where each key was written, by the same paths.
    keys: BTreeMap<String, usize>,
}

impl<'a> Source<'a> {
    pub fn new(name: &'a str, text: &'a str) -> Source<'a> {
        let (spans, keys) = toml_spans(text);
        Source {
            name,
            text,
            spans,
            keys,
        }
    }

    /// Offset of the key at `path` (for problems with the key itself, such as an unknown key).
    pub fn key_at(&self, path: &str) -> Option<usize> {
        self.keys.get(path).copied()
    }

    /// Offset of the value at `path` (see [`Source`]), from the TOML parser's spans: the place
    /// this value was written, not the first text that looks like it.
    pub fn at(&self, path: &str) -> Option<usize> {
        self.spans.get(path).copied()
    }

    pub fn location(&self, offset: usize) -> String {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        format!("{}:{line}:{col}", self.name)
    }

    pub fn error_at(
        &self,
        code: Code,
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
        code: Code,
        offset: Option<usize>,
        message: impl Into<String>,
    ) -> Diagnostic {
        let mut d = self.error_at(code, offset, message);
        d.severity = Severity::Warning;
        d
    }

    pub fn toml_error(&self, code: Code, e: &toml::de::Error) -> Diagnostic {
        let msg = e.message().trim().to_string();
        self.error_at(code, e.span().map(|s| s.start), msg)
    }
}

/// Configuration and preset files are small; anything larger is not one (and is not read whole).
pub const MAX_INPUT_FILE_BYTES: u64 = 1024 * 1024;

/// Reads a configuration or preset file: UTF-8 text of at most [`MAX_INPUT_FILE_BYTES`].
pub fn read_input_file(path: &std::path::Path) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind, Read};
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Err(Error::new(ErrorKind::InvalidInput, "it is a directory"));
    }
    let mut text = String::new();
    file.take(MAX_INPUT_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| match e.kind() {
            ErrorKind::InvalidData => Error::new(ErrorKind::InvalidData, "it is not UTF-8 text"),
            _ => e,
        })?;
    if text.len() as u64 > MAX_INPUT_FILE_BYTES {
        return Err(Error::new(
            ErrorKind::InvalidData,
            format!("it is larger than {} KiB", MAX_INPUT_FILE_BYTES / 1024),
        ));
    }
    Ok(text)
}

/// The span map of [`Source`]; empty when the text is not valid TOML (the parse error is
/// reported on its own).
fn toml_spans(text: &str) -> (BTreeMap<String, usize>, BTreeMap<String, usize>) {
    use toml::de::{DeTable, DeValue};
    type Spans = (BTreeMap<String, usize>, BTreeMap<String, usize>);
    fn value(path: String, v: &toml::Spanned<DeValue<'_>>, out: &mut Spans) {
        match v.get_ref() {
            DeValue::Table(t) => table(&path, t, out),
            DeValue::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    value(format!("{path}[{i}]"), item, out);
                }
            }
            _ => {}
        }
        out.0.entry(path).or_insert(v.span().start);
    }
    fn table(prefix: &str, t: &DeTable<'_>, out: &mut Spans) {
        for (k, v) in t.iter() {
            let key: &str = k.get_ref();
            let path = if prefix.is_empty() {
                key.to_string()
            } else {
                format!("{prefix}.{key}")
            };
            // A table is located at its header or key, a scalar at its value.
            let at = match v.get_ref() {
                DeValue::Table(_) => k.span().start,
                _ => v.span().start,
            };
            out.0.insert(path.clone(), at);
            out.1.insert(path.clone(), k.span().start);
            value(path, v, out);
        }
    }
    let mut out = (BTreeMap::new(), BTreeMap::new());
    if let Ok(doc) = DeTable::parse(text) {
        table("", doc.get_ref(), &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_located_where_they_were_written() {
        let text = "[trail]\nname = \"Audit\"\n[bucket]\nname = \"Audit\"\nemails = [\"a\", \"b\"]\n[[controls]]\npattern = \"x\"\n[[controls]]\npattern = \"x\"\n";
        let s = Source::new("f", text);
        assert_eq!(s.location(s.at("trail.name").unwrap()), "f:2:8");
        assert_eq!(s.location(s.at("bucket.name").unwrap()), "f:4:8");
        assert_eq!(s.location(s.at("bucket.emails[1]").unwrap()), "f:5:16");
        assert_eq!(s.location(s.at("controls[1].pattern").unwrap()), "f:9:11");
        assert_eq!(s.location(s.at("bucket").unwrap()), "f:3:2");
        assert_eq!(s.location(s.key_at("bucket.name").unwrap()), "f:4:1");
        assert_eq!(s.at("nope"), None);
        assert_eq!(Source::new("f", "not = = toml").at("not"), None);
    }

    #[test]
    fn location_counts_lines_and_columns_from_one() {
        let s = Source::new("f.toml", "a = 1\nbb = 2\n");
        assert_eq!(s.location(0), "f.toml:1:1");
        assert_eq!(s.location(6), "f.toml:2:1");
        assert_eq!(s.location(9), "f.toml:2:4");
    }
}

#[cfg(test)]
mod docs_tests {
    use super::Code;

    /// docs/configuration.md lists every diagnostic code, and nothing else.
    #[test]
    fn the_docs_list_every_code() {
        let doc = include_str!("../docs/configuration.md");
        let start = doc.find("Codes: ").expect("the Codes paragraph");
        let end = start + doc[start..].find("\n\n").unwrap_or(doc.len() - start);
        let listed: Vec<&str> = doc[start..end]
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|s| !s.contains(' ') && s.contains('-'))
            .collect();
        let codes: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        for c in &codes {
            assert!(
                listed.contains(c),
                "docs/configuration.md does not list `{c}`"
            );
        }
        for l in &listed {
            assert!(
                codes.contains(l),
                "docs/configuration.md lists `{l}`, which no code is"
            );
        }
    }
}
