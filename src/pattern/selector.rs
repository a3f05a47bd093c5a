//! `$.` selectors of JSON patterns: `$.a.b`, `[n]`, `['a.b']`, `[*]`, `.*`.

use super::ast::{is_name_char, Selector, Span, Step};
use super::PatternError;

/// At most this many wildcard selectors (`[*]`, `.*`) in one JSON pattern.
pub(super) const MAX_WILDCARDS: usize = 3;

fn err(col: usize, message: impl Into<String>) -> PatternError {
    PatternError {
        column: col,
        message: message.into(),
    }
}

/// Parses selector text starting at column `col`; `wildcards` counts wildcard selectors
/// across the pattern.
pub(super) fn parse(
    text: &str,
    col: usize,
    wildcards: &mut usize,
) -> Result<Selector, PatternError> {
    let c: Vec<char> = text.chars().collect();
    if c.len() < 2 || c[1] != '.' {
        return Err(err(col, "a selector must start with '$.'"));
    }
    let mut steps = Vec::new();
    let mut i = 2;
    let mut wild_in_selector = false;
    let mut note_wild = |at: usize| -> Result<(), PatternError> {
        if wild_in_selector {
            return Err(err(
                at,
                "only one wildcard ([*] or .*) is allowed per selector",
            ));
        }
        wild_in_selector = true;
        *wildcards += 1;
        if *wildcards > MAX_WILDCARDS {
            return Err(err(
                at,
                format!("too many wildcard selectors: at most {MAX_WILDCARDS} per pattern"),
            ));
        }
        Ok(())
    };
    let mut after_dot = true;
    loop {
        let at = col + i;
        if after_dot {
            match c.get(i) {
                None => return Err(err(at, "the selector ends with '.'; write a property name")),
                Some('*') => {
                    note_wild(at)?;
                    steps.push(Step::AnyKey);
                    i += 1;
                }
                Some('[') if matches!(c.get(i + 1), Some('\'' | '"')) => {
                    let (name, next) = bracket_name(&c, i, col)?;
                    steps.push(Step::Key(name));
                    i = next;
                }
                Some('[') => return Err(err(
                    at,
                    "after '.' write a property name; indexes follow a name directly, as in $.a[0]",
                )),
                Some(&ch) if is_name_char(ch) => {
                    let start = i;
                    while i < c.len() && is_name_char(c[i]) {
                        i += 1;
                    }
                    steps.push(Step::Key(c[start..i].iter().collect()));
                }
                Some(&ch) => {
                    return Err(err(
                        at,
                        format!(
                        "'{ch}' cannot appear in a property name; write $.['name'] for such names"
                    ),
                    ))
                }
            }
            after_dot = false;
            continue;
        }
        match c.get(i) {
            None => break,
            Some('.') => {
                after_dot = true;
                i += 1;
            }
            Some('[') => {
                match c.get(i + 1) {
                    Some('\'' | '"') => {
                        let (name, next) = bracket_name(&c, i, col)?;
                        steps.push(Step::Key(name));
                        i = next;
                    }
                    Some('*') if c.get(i + 2) == Some(&']') => {
                        note_wild(at + 1)?;
                        steps.push(Step::AnyIndex);
                        i += 3;
                    }
                    _ => {
                        let close = (i + 1..c.len()).find(|&j| c[j] == ']').unwrap_or(c.len());
                        let digits: String = c[i + 1..close].iter().collect();
                        let index =
                            if !digits.is_empty() && digits.chars().all(|d| d.is_ascii_digit()) {
                                digits.parse::<usize>().ok()
                            } else {
                                None
                            };
                        let Some(index) = index else {
                            return Err(err(at, "expected an index such as [0], [*] or a quoted name such as ['a.b']"));
                        };
                        steps.push(Step::Index(index));
                        i = close + 1;
                    }
                }
            }
            Some(&ch) => {
                return Err(err(at, format!("unexpected '{ch}' in the selector")));
            }
        }
    }
    Ok(Selector {
        steps,
        span: Span::at(col),
    })
}

/// Parses `['name']` / `["name"]` at `c[i] == '['`; returns the name and the index after `]`.
fn bracket_name(c: &[char], i: usize, col: usize) -> Result<(String, usize), PatternError> {
    let q = c[i + 1];
    let end = (i + 2..c.len())
        .find(|&j| c[j] == q)
        .ok_or_else(|| err(col + i + 1, "unterminated quoted name"))?;
    if c.get(end + 1) != Some(&']') {
        return Err(err(col + end + 1, "expected ']' after the quoted name"));
    }
    let name: String = c[i + 2..end].iter().collect();
    if name.is_empty() {
        return Err(err(col + i, "empty property name"));
    }
    Ok((name, end + 2))
}
