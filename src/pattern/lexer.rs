//! Tokens of JSON (`{ ... }`) and space-delimited (`[ ... ]`) patterns.

use super::ast::CmpOp;
use super::PatternError;

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    LParen,
    RParen,
    Comma,
    AndAnd,
    OrOr,
    Op(CmpOp),
    /// Text starting with `$`, up to a delimiter (bracketed parts may hold anything).
    Selector(String),
    /// An unquoted run of characters (value, keyword, field name, `...`).
    Word(String),
    /// A double-quoted string; the text between the quotes as written.
    Quoted(String),
    /// `%...%`; the text between the percent signs as written.
    Regex(String),
    End,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Token {
    pub tok: Tok,
    /// 1-based column of the token's first character.
    pub col: usize,
}

impl Tok {
    /// How the token reads in an error message.
    pub(super) fn describe(&self) -> String {
        match self {
            Tok::LBrace => "'{'".into(),
            Tok::RBrace => "'}'".into(),
            Tok::LBracket => "'['".into(),
            Tok::RBracket => "']'".into(),
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::Comma => "','".into(),
            Tok::AndAnd => "'&&'".into(),
            Tok::OrOr => "'||'".into(),
            Tok::Op(op) => format!("'{}'", op.symbol()),
            Tok::Selector(s) => format!("selector '{s}'"),
            Tok::Word(w) => format!("'{w}'"),
            Tok::Quoted(q) => format!("\"{q}\""),
            Tok::Regex(r) => format!("%{r}%"),
            Tok::End => "the end of the pattern".into(),
        }
    }
}

fn is_stop(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '(' | ')' | '&' | '|' | '=' | '!' | '<' | '>' | '"' | ',' | '{' | '}' | '[' | ']'
        )
}

fn err(col: usize, message: impl Into<String>) -> PatternError {
    PatternError {
        column: col,
        message: message.into(),
    }
}

/// Scans a quoted run starting at `start` (which holds `quote`); returns the index of the
/// closing quote. A backslash always takes the next character with it.
pub(super) fn scan_quoted(chars: &[char], start: usize, quote: char) -> Option<usize> {
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            c if c == quote => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// Splits `chars[start..]` into tokens; the last token is always `End`.
pub(super) fn lex(chars: &[char], start: usize) -> Result<Vec<Token>, PatternError> {
    let mut out = Vec::new();
    let mut i = start;
    let n = chars.len();
    while i < n {
        let c = chars[i];
        let col = i + 1;
        let next = chars.get(i + 1).copied();
        let mut push = |tok: Tok| out.push(Token { tok, col });
        match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '{' => push(Tok::LBrace),
            '}' => push(Tok::RBrace),
            '[' => push(Tok::LBracket),
            ']' => push(Tok::RBracket),
            '(' => push(Tok::LParen),
            ')' => push(Tok::RParen),
            ',' => push(Tok::Comma),
            '&' => {
                if next != Some('&') {
                    return Err(err(col, "a single '&' is not an operator; use '&&'"));
                }
                push(Tok::AndAnd);
                i += 1;
            }
            '|' => {
                if next != Some('|') {
                    return Err(err(col, "a single '|' is not an operator; use '||'"));
                }
                push(Tok::OrOr);
                i += 1;
            }
            '=' => {
                if next == Some('=') {
                    return Err(err(col, "'==' is not an operator; use '='"));
                }
                push(Tok::Op(CmpOp::Eq));
            }
            '!' => {
                if next != Some('=') {
                    return Err(err(
                        col,
                        "'!' must be followed by '=' (write '!=', or NOT EXISTS for absence)",
                    ));
                }
                push(Tok::Op(CmpOp::Ne));
                i += 1;
            }
            '<' => match next {
                Some('=') => {
                    push(Tok::Op(CmpOp::Le));
                    i += 1;
                }
                Some('>') => return Err(err(col, "'<>' is not an operator; use '!='")),
                _ => push(Tok::Op(CmpOp::Lt)),
            },
            '>' => {
                if next == Some('=') {
                    push(Tok::Op(CmpOp::Ge));
                    i += 1;
                } else {
                    push(Tok::Op(CmpOp::Gt));
                }
            }
            '"' => {
                let end = scan_quoted(chars, i, '"')
                    .ok_or_else(|| err(col, "unterminated quoted string: missing closing '\"'"))?;
                push(Tok::Quoted(chars[i + 1..end].iter().collect()));
                i = end;
            }
            '%' => {
                let end = scan_quoted(chars, i, '%').ok_or_else(|| {
                    err(col, "unterminated regular expression: missing closing '%'")
                })?;
                push(Tok::Regex(chars[i + 1..end].iter().collect()));
                i = end;
            }
            '$' => {
                let mut j = i + 1;
                while j < n && !(is_stop(chars[j]) && chars[j] != '[') {
                    if chars[j] == '[' {
                        j = scan_bracket(chars, j)?;
                    }
                    j += 1;
                }
                push(Tok::Selector(chars[i..j].iter().collect()));
                i = j;
                continue;
            }
            _ => {
                let mut j = i;
                while j < n && !is_stop(chars[j]) {
                    j += 1;
                }
                push(Tok::Word(chars[i..j].iter().collect()));
                i = j;
                continue;
            }
        }
        i += 1;
    }
    out.push(Token {
        tok: Tok::End,
        col: n + 1,
    });
    Ok(out)
}

/// Index of the `]` closing the selector bracket at `start`, skipping quoted names.
fn scan_bracket(chars: &[char], start: usize) -> Result<usize, PatternError> {
    let mut j = start + 1;
    while j < chars.len() {
        match chars[j] {
            ']' => return Ok(j),
            q @ ('\'' | '"') => {
                j = scan_quoted(chars, j, q).ok_or_else(|| {
                    err(
                        j + 1,
                        format!("unterminated quoted name: missing closing {q}"),
                    )
                })?;
            }
            _ => {}
        }
        j += 1;
    }
    Err(err(start + 1, "'[' in the selector is never closed"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        let chars: Vec<char> = s.chars().collect();
        lex(&chars, 0).unwrap().into_iter().map(|t| t.tok).collect()
    }

    // "Using filter patterns to match terms in JSON log events": whitespace around operators
    // is optional.
    #[test]
    fn compact_operators() {
        assert_eq!(
            toks("{$.a=\"x\"&&$.b!=1||$.c>=2}"),
            vec![
                Tok::LBrace,
                Tok::Selector("$.a".into()),
                Tok::Op(CmpOp::Eq),
                Tok::Quoted("x".into()),
                Tok::AndAnd,
                Tok::Selector("$.b".into()),
                Tok::Op(CmpOp::Ne),
                Tok::Word("1".into()),
                Tok::OrOr,
                Tok::Selector("$.c".into()),
                Tok::Op(CmpOp::Ge),
                Tok::Word("2".into()),
                Tok::RBrace,
                Tok::End
            ]
        );
        assert_eq!(
            toks("$.['a b'].c[0] = %x y%"),
            vec![
                Tok::Selector("$.['a b'].c[0]".into()),
                Tok::Op(CmpOp::Eq),
                Tok::Regex("x y".into()),
                Tok::End
            ]
        );
    }

    #[test]
    fn lexer_errors_carry_columns() {
        let cases: &[(&str, usize)] = &[
            ("{ $.a = \"x }", 9),
            ("{ $.a & $.b }", 7),
            ("{ $.a | $.b }", 7),
            ("{ $.a == 1 }", 7),
            ("{ $.a ! 1 }", 7),
            ("{ $.a <> 1 }", 7),
            ("{ $.a = %abc }", 9),
            ("{ $.['a = 1 }", 6),
            ("{ $.a[0 = 1 }", 6),
        ];
        for (text, col) in cases {
            let chars: Vec<char> = text.chars().collect();
            let e = lex(&chars, 0).unwrap_err();
            assert_eq!(e.column, *col, "{text}: {e}");
        }
    }
}
