//! Values of comparisons: literal text with `*` wildcards, numbers, and their matching.

use super::ast::Span;

/// A value as written in the pattern, with its precomputed matcher.
#[derive(Clone, Debug)]
pub struct Literal {
    /// Text as written (between the quotes when quoted).
    pub raw: String,
    pub quoted: bool,
    pub matcher: StrMatch,
    /// Set when the value, without wildcards, is a number (`400`, `-1.5`, `1e+3`).
    pub number: Option<f64>,
    pub span: Span,
}

impl PartialEq for Literal {
    fn eq(&self, other: &Literal) -> bool {
        self.raw == other.raw && self.quoted == other.quoted
    }
}

/// How a literal matches text: exactly, by `*` wildcards, or anything.
#[derive(Clone, Debug, PartialEq)]
pub enum StrMatch {
    /// `*` alone (or only stars).
    Any,
    Exact(String),
    /// `parts` are the literal pieces between stars; `lead`/`trail` say whether the value
    /// starts/ends with a star. A star matches any run of characters, the empty one included.
    Glob {
        parts: Vec<String>,
        lead: bool,
        trail: bool,
    },
}

impl StrMatch {
    /// Builds the matcher from a value's text. In quoted values `\*` is a literal star,
    /// `\"` a quote and `\\` a backslash; any other backslash stays as written.
    pub fn from_raw(raw: &str, quoted: bool) -> StrMatch {
        let mut parts: Vec<String> = vec![String::new()];
        let mut stars = 0usize;
        let mut chars = raw.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if quoted => match chars.peek().copied() {
                    Some(n @ ('*' | '"' | '\\')) => {
                        chars.next();
                        push_char(&mut parts, n);
                    }
                    _ => push_char(&mut parts, '\\'),
                },
                '*' => {
                    stars += 1;
                    parts.push(String::new());
                }
                _ => push_char(&mut parts, c),
            }
        }
        if stars == 0 {
            return StrMatch::Exact(parts.pop().unwrap_or_default());
        }
        let lead = parts.first().is_some_and(String::is_empty);
        let trail = parts.last().is_some_and(String::is_empty);
        let parts: Vec<String> = parts.into_iter().filter(|p| !p.is_empty()).collect();
        if parts.is_empty() {
            StrMatch::Any
        } else {
            StrMatch::Glob { parts, lead, trail }
        }
    }

    pub fn matches(&self, text: &str) -> bool {
        match self {
            StrMatch::Any => true,
            StrMatch::Exact(s) => s == text,
            StrMatch::Glob { parts, lead, trail } => glob_match(parts, *lead, *trail, text),
        }
    }

    /// The decoded text when the literal has no wildcard.
    pub fn exact(&self) -> Option<&str> {
        match self {
            StrMatch::Exact(s) => Some(s),
            _ => None,
        }
    }
}

fn push_char(parts: &mut [String], c: char) {
    if let Some(last) = parts.last_mut() {
        last.push(c);
    }
}

fn glob_match(parts: &[String], lead: bool, trail: bool, text: &str) -> bool {
    let mut rest = text;
    let n = parts.len();
    for (i, part) in parts.iter().enumerate() {
        let first = i == 0;
        let last = i + 1 == n;
        if first && !lead {
            match rest.strip_prefix(part.as_str()) {
                Some(r) => rest = r,
                None => return false,
            }
            if last && !trail {
                return rest.is_empty();
            }
            continue;
        }
        if last && !trail {
            return rest.len() >= part.len() && rest.ends_with(part.as_str());
        }
        match rest.find(part.as_str()) {
            Some(pos) => rest = &rest[pos + part.len()..],
            None => return false,
        }
    }
    true
}

/// True when `s` is a number as the pattern language writes them: optional sign, digits with
/// an optional fraction, optional exponent (`400`, `-1.5`, `+1000`, `1e+3`, `10e-3`, `.5`).
pub fn is_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let mut digits = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
        digits += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == b.len()
}

impl Literal {
    pub fn new(raw: String, quoted: bool, span: Span) -> Literal {
        let matcher = StrMatch::from_raw(&raw, quoted);
        let number = matcher
            .exact()
            .filter(|s| is_number(s))
            .and_then(|s| s.parse::<f64>().ok());
        Literal {
            raw,
            quoted,
            matcher,
            number,
            span,
        }
    }

    pub fn has_wildcard(&self) -> bool {
        !matches!(self.matcher, StrMatch::Exact(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // "Using filter patterns to match terms in JSON log events": `*X` ends with X, `X*` starts
    // with X, `*` alone matches any value. A star may match nothing (`AccessDenied*` matches
    // `AccessDenied`, which CIS relies on).
    #[test]
    fn glob_table() {
        let cases: &[(&str, bool, &str, bool)] = &[
            ("*", false, "", true),
            ("*", false, "anything", true),
            ("AccessDenied*", false, "AccessDenied", true),
            ("AccessDenied*", false, "AccessDeniedException", true),
            ("AccessDenied*", false, "XAccessDenied", false),
            (
                "*UnauthorizedOperation",
                false,
                "Client.UnauthorizedOperation",
                true,
            ),
            (
                "*UnauthorizedOperation",
                false,
                "UnauthorizedOperationX",
                false,
            ),
            ("*.8xlarge", false, "c5.8xlarge", true),
            ("123.123.*", false, "123.123.9.1", true),
            ("a*b*c", false, "abc", true),
            ("a*b*c", false, "aXbYc", true),
            ("a*b*c", false, "acb", false),
            ("*html*", false, "GET /index.html HTTP/1.1", true),
            ("ab*ba", false, "aba", false),
            ("a\\*b", true, "a*b", true),
            ("a\\*b", true, "aXb", false),
            ("say \\\"hi\\\"", true, "say \"hi\"", true),
            ("c:\\dir", true, "c:\\dir", true),
        ];
        for (raw, quoted, text, want) in cases {
            let m = StrMatch::from_raw(raw, *quoted);
            assert_eq!(m.matches(text), *want, "{raw} vs {text}");
        }
    }

    // "...JSON log events": numbers may carry a sign, decimals and an exponent.
    #[test]
    fn numbers() {
        for s in [
            "400", "-1", "+1000", "1.5", ".5", "5.", "1e+3", "10e-3", "1E3",
        ] {
            assert!(is_number(s), "{s}");
        }
        for s in ["", "+", "e3", "1e", "1.2.3", "4*", "abc", "1e+", "--1"] {
            assert!(!is_number(s), "{s}");
        }
        assert_eq!(
            Literal::new("1e+3".into(), false, Span::at(1)).number,
            Some(1000.0)
        );
        assert_eq!(Literal::new("4*".into(), false, Span::at(1)).number, None);
    }
}
