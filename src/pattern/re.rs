//! The `%regex%` dialect of filter patterns, translated into the `regex` crate's syntax.
//!
//! Supported: literal characters, `.`, `*`, `+`, `?`, `{m}`, `{m,}`, `{m,n}`, `|`, `^`, `$`,
//! classes `[...]` with ranges and negation, and the escapes `\d \D \s \S \w \W \xhh` plus a
//! backslash before any punctuation (a literal character, `\%` included). Groups `(` `)` and `!`
//! are rejected. Everything else is escaped, so no construct of the target engine leaks through.

use regex::RegexBuilder;

use super::ast::{RegexLit, Span};
use super::PatternError;

/// Compiled programs are capped well above what a 1024-character pattern needs in practice.
const SIZE_LIMIT: usize = 4 << 20;

/// Compiles `source` (the text between the `%` signs); `open_col` is the column of the opening `%`.
pub(super) fn compile(source: &str, open_col: usize) -> Result<RegexLit, PatternError> {
    let translated = translate(source, open_col)?;
    let compiled = RegexBuilder::new(&translated)
        .size_limit(SIZE_LIMIT)
        .build()
        .map_err(|e| PatternError {
            column: open_col,
            message: format!("invalid regular expression %{source}%: {}", short_error(&e)),
        })?;
    Ok(RegexLit {
        source: source.to_string(),
        compiled,
        span: Span::at(open_col),
    })
}

fn short_error(e: &regex::Error) -> String {
    match e {
        regex::Error::Syntax(text) => text
            .lines()
            .find_map(|l| l.trim().strip_prefix("error: "))
            .unwrap_or("syntax error")
            .to_string(),
        regex::Error::CompiledTooBig(_) => "the expression is too large".to_string(),
        _ => "cannot be compiled".to_string(),
    }
}

fn err(col: usize, message: impl Into<String>) -> PatternError {
    PatternError {
        column: col,
        message: message.into(),
    }
}

fn push_literal(out: &mut String, c: char) {
    let mut buf = [0u8; 4];
    out.push_str(&regex::escape(c.encode_utf8(&mut buf)));
}

/// The shorthand classes are ASCII-only: `\d` is `[0-9]`, `\w` is `[0-9A-Za-z_]`, `\s` is
/// space, tab, and the line and page breaks. Nested classes keep them valid inside `[...]`.
fn ascii_class(c: char) -> &'static str {
    match c {
        'd' => "[0-9]",
        'D' => "[^0-9]",
        's' => "[\\t\\n\\x0B\\x0C\\r ]",
        'S' => "[^\\t\\n\\x0B\\x0C\\r ]",
        'w' => "[0-9A-Za-z_]",
        _ => "[^0-9A-Za-z_]",
    }
}

/// Translates one escape starting at `chars[i] == '\\'`; returns the index after it.
fn escape(chars: &[char], i: usize, col0: usize, out: &mut String) -> Result<usize, PatternError> {
    let col = col0 + i;
    let Some(&c) = chars.get(i + 1) else {
        return Err(err(col, "a regular expression cannot end with '\\'"));
    };
    match c {
        'd' | 'D' | 's' | 'S' | 'w' | 'W' => {
            out.push_str(ascii_class(c));
            Ok(i + 2)
        }
        'x' => {
            let hex: String = chars.iter().skip(i + 2).take(2).collect();
            if hex.len() != 2 || !hex.chars().all(|h| h.is_ascii_hexdigit()) {
                return Err(err(col, "'\\x' must be followed by two hexadecimal digits"));
            }
            out.push_str("\\x");
            out.push_str(&hex);
            Ok(i + 4)
        }
        c if c.is_alphanumeric() => Err(err(
            col,
            format!("unsupported escape '\\{c}' (supported: \\d \\D \\s \\S \\w \\W \\xhh)"),
        )),
        c => {
            push_literal(out, c);
            Ok(i + 2)
        }
    }
}

/// Translates the dialect into `regex` syntax. `open_col` is the column of the opening `%`;
/// character `i` of `source` is at column `open_col + 1 + i`.
pub(super) fn translate(source: &str, open_col: usize) -> Result<String, PatternError> {
    let chars: Vec<char> = source.chars().collect();
    let col0 = open_col + 1;
    if chars.is_empty() {
        return Err(err(open_col, "empty regular expression '%%'"));
    }
    let mut out = String::with_capacity(source.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = col0 + i;
        match c {
            '\\' => {
                i = escape(&chars, i, col0, &mut out)?;
                continue;
            }
            '(' | ')' => {
                return Err(err(
                    col,
                    "groups '(' ')' are not supported in regular expressions",
                ))
            }
            '!' => return Err(err(col, "'!' is not supported in regular expressions")),
            '.' | '*' | '+' | '?' | '|' | '^' | '$' => out.push(c),
            '{' => {
                let close = chars[i..]
                    .iter()
                    .position(|&x| x == '}')
                    .map(|p| p + i)
                    .ok_or_else(|| err(col, "'{' must start a repetition {m}, {m,} or {m,n}"))?;
                let body: String = chars[i + 1..close].iter().collect();
                let valid = match body.split_once(',') {
                    None => !body.is_empty() && body.chars().all(|d| d.is_ascii_digit()),
                    Some((a, b)) => {
                        !a.is_empty()
                            && a.chars().all(|d| d.is_ascii_digit())
                            && b.chars().all(|d| d.is_ascii_digit())
                    }
                };
                if !valid {
                    return Err(err(col, "'{' must start a repetition {m}, {m,} or {m,n}"));
                }
                out.push('{');
                out.push_str(&body);
                out.push('}');
                i = close + 1;
                continue;
            }
            '}' => return Err(err(col, "'}' without a matching '{'")),
            '[' => {
                i = class(&chars, i, col0, &mut out)?;
                continue;
            }
            ']' => return Err(err(col, "']' without a matching '['")),
            _ => push_literal(&mut out, c),
        }
        i += 1;
    }
    Ok(out)
}

/// Translates a character class starting at `chars[start] == '['`; returns the index after `]`.
fn class(
    chars: &[char],
    start: usize,
    col0: usize,
    out: &mut String,
) -> Result<usize, PatternError> {
    let mut i = start + 1;
    out.push('[');
    if chars.get(i) == Some(&'^') {
        out.push('^');
        i += 1;
    }
    let first = i;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ']' if i == first => return Err(err(col0 + i, "empty character class '[]'")),
            ']' => {
                out.push(']');
                return Ok(i + 1);
            }
            '\\' => {
                i = escape(chars, i, col0, out)?;
                continue;
            }
            '-' if i > first && chars.get(i + 1).is_some_and(|&n| n != ']') => out.push('-'),
            _ => push_literal(out, c),
        }
        i += 1;
    }
    Err(err(
        col0 + start,
        "'[' in the regular expression is never closed",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    // "Filter pattern syntax ...", section on regular expressions: `%...%`, unanchored, `^`/`$`
    // anchors, escapes \d \D \s \S \w \W \xhh, no groups, no '!'.
    #[test]
    fn translation_table() {
        let ok: &[(&str, &str, bool)] = &[
            ("AUTHORIZATION_ERROR", "x AUTHORIZATION_ERROR y", true),
            ("^ERROR", "ERROR at start", true),
            ("^ERROR", "an ERROR", false),
            ("end$", "the end", true),
            ("end$", "end.", false),
            ("\\d{3}", "code 404", true),
            ("\\d{3}", "code 44", false),
            ("\\d{2,}x", "12x", true),
            ("[a-c]+z", "bbz", true),
            ("[^0-9]z", "7z", false),
            ("a.c", "abc", true),
            ("a\\.c", "abc", false),
            ("a\\.c", "a.c", true),
            ("\\x41B", "AB", true),
            ("\\s\\S\\w\\W\\D", " x_-a", true),
            ("a|b", "b", true),
            ("colou?r", "color", true),
            ("[.-]", "-", true),
            ("50\\%", "50%", true),
            ("a&&b~~c", "a&&b~~c", true),
            ("#=@/;,", "#=@/;,", true),
            ("^\\d+$", "٣", false),
            ("^\\w$", "é", false),
            ("^\\W$", "é", true),
            ("[\\d.]+", "1.5", true),
            ("[^\\s]x", " x", false),
        ];
        for (src, text, want) in ok {
            let r = compile(src, 1).unwrap_or_else(|e| panic!("{src}: {e}"));
            assert_eq!(r.compiled.is_match(text), *want, "%{src}% on {text:?}");
        }
    }

    #[test]
    fn rejected_forms() {
        let bad: &[(&str, usize)] = &[
            ("", 1),
            ("(a)", 2),
            ("a)", 3),
            ("a!b", 3),
            ("\\q", 2),
            ("\\x4", 2),
            ("a{x}", 3),
            ("a}", 3),
            ("[]", 3),
            ("[abc", 2),
            ("a]", 3),
            ("*a", 1),
            ("a\\", 3),
        ];
        for (src, col) in bad {
            let e = compile(src, 1).unwrap_err();
            assert_eq!(e.column, *col, "%{src}%: {e}");
        }
    }
}
