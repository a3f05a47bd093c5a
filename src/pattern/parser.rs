//! Parser: pattern text to [`Ast`], with column-accurate errors.

use super::ast::{
    is_name_char, Ast, CmpOp, Cond, Expr, Field, FieldCond, Literal, Operand, Span, Term, TermMode,
    Test,
};
use super::lexer::{lex, scan_quoted, Tok, Token};
use super::{re, selector, PatternError};

/// Longest pattern accepted, in characters.
pub const MAX_LEN: usize = 1024;
/// At most this many `%regex%` in one JSON or space-delimited pattern.
pub(super) const MAX_REGEXES: usize = 2;

fn err(col: usize, message: impl Into<String>) -> PatternError {
    PatternError {
        column: col,
        message: message.into(),
    }
}

pub(super) fn parse(text: &str) -> Result<Ast, PatternError> {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() > MAX_LEN {
        return Err(err(
            MAX_LEN + 1,
            format!(
                "pattern is {} characters long; the maximum is {MAX_LEN}",
                chars.len()
            ),
        ));
    }
    let Some(first) = chars.iter().position(|c| !c.is_whitespace()) else {
        return Ok(Ast::MatchAll);
    };
    match chars[first] {
        '{' => Parser::new(&chars, first)?.json(),
        '[' => Parser::new(&chars, first)?.delimited(),
        '%' => standalone_regex(&chars, first),
        _ => terms(&chars),
    }
}

fn standalone_regex(chars: &[char], start: usize) -> Result<Ast, PatternError> {
    let end = scan_quoted(chars, start, '%').ok_or_else(|| {
        err(
            start + 1,
            "unterminated regular expression: missing closing '%'",
        )
    })?;
    if let Some(extra) = (end + 1..chars.len()).find(|&i| !chars[i].is_whitespace()) {
        return Err(err(
            extra + 1,
            "unexpected text after the regular expression; a regex pattern is a single %...%",
        ));
    }
    let source: String = chars[start + 1..end].iter().collect();
    Ok(Ast::Regex(re::compile(&source, start + 1)?))
}

/// Decodes `\"` and `\\` in a quoted string; other backslashes stay as written.
pub(super) fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(&n) = chars.peek() {
                if n == '"' || n == '\\' {
                    out.push(n);
                    chars.next();
                    continue;
                }
            }
        }
        out.push(c);
    }
    out
}

fn terms(chars: &[char]) -> Result<Ast, PatternError> {
    let mut terms = Vec::new();
    let mut i = 0;
    let n = chars.len();
    while i < n {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let col = i + 1;
        let mode = match chars[i] {
            '-' => TermMode::Excluded,
            '?' => TermMode::Optional,
            _ => TermMode::Required,
        };
        if mode != TermMode::Required {
            i += 1;
            if i >= n || chars[i].is_whitespace() {
                return Err(err(
                    col,
                    format!("'{}' must be followed by a term", chars[col - 1]),
                ));
            }
        }
        if chars[i] == '"' {
            let end = scan_quoted(chars, i, '"')
                .ok_or_else(|| err(i + 1, "unterminated quoted term: missing closing '\"'"))?;
            if end + 1 < n && !chars[end + 1].is_whitespace() {
                return Err(err(end + 2, "expected a space after the closing '\"'"));
            }
            let raw: String = chars[i + 1..end].iter().collect();
            let text = unescape(&raw);
            terms.push(Term {
                mode,
                raw,
                quoted: true,
                text,
                span: Span::at(col),
            });
            i = end + 1;
        } else {
            let startw = i;
            while i < n && !chars[i].is_whitespace() {
                if chars[i] == '"' {
                    return Err(err(
                        i + 1,
                        "'\"' inside a term; put the whole term in double quotes",
                    ));
                }
                i += 1;
            }
            let raw: String = chars[startw..i].iter().collect();
            terms.push(Term {
                mode,
                text: raw.clone(),
                raw,
                quoted: false,
                span: Span::at(col),
            });
        }
    }
    if let [only] = terms.as_slice() {
        if only.quoted && only.mode == TermMode::Required && only.text.trim().is_empty() {
            return Ok(Ast::MatchAll);
        }
    }
    if let Some(empty) = terms.iter().find(|t| t.text.is_empty()) {
        return Err(err(empty.span.column, "empty quoted term \"\""));
    }
    Ok(Ast::Terms(terms))
}

struct Parser {
    toks: Vec<Token>,
    pos: usize,
    regexes: usize,
    wildcards: usize,
}

impl Parser {
    fn new(chars: &[char], start: usize) -> Result<Parser, PatternError> {
        Ok(Parser {
            toks: lex(chars, start)?,
            pos: 0,
            regexes: 0,
            wildcards: 0,
        })
    }

    fn peek(&self) -> &Token {
        &self.toks[self.pos.min(self.toks.len() - 1)]
    }

    fn bump(&mut self) -> Token {
        let t = self.peek().clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn unexpected(&self, expected: &str) -> PatternError {
        let t = self.peek();
        err(
            t.col,
            format!("unexpected {}; expected {expected}", t.tok.describe()),
        )
    }

    fn expect_end(&self, closer: &str) -> Result<(), PatternError> {
        let t = self.peek();
        if t.tok == Tok::End {
            Ok(())
        } else {
            Err(err(
                t.col,
                format!("unexpected text after the closing '{closer}'"),
            ))
        }
    }

    fn json(mut self) -> Result<Ast, PatternError> {
        let open = self.bump();
        match self.peek().tok {
            Tok::RBrace => {
                return Err(err(
                    self.peek().col,
                    "empty JSON pattern '{}': write at least one condition",
                ))
            }
            Tok::End => return Err(err(open.col, "'{' is never closed")),
            _ => {}
        }
        let expr = self.or_expr()?;
        match self.peek().tok {
            Tok::RBrace => {
                self.bump();
            }
            Tok::End => return Err(err(open.col, "'{' is never closed")),
            Tok::RParen => return Err(err(self.peek().col, "')' without a matching '('")),
            _ => return Err(self.unexpected("'&&', '||' or '}'")),
        }
        self.expect_end("}")?;
        Ok(Ast::Json(expr))
    }

    fn or_expr(&mut self) -> Result<Expr, PatternError> {
        let first = self.and_expr()?;
        if self.peek().tok != Tok::OrOr {
            return Ok(first);
        }
        let span = Span::at(self.peek().col);
        let mut items = vec![first];
        while self.peek().tok == Tok::OrOr {
            self.bump();
            items.push(self.and_expr()?);
        }
        Ok(Expr::Or(items, span))
    }

    fn and_expr(&mut self) -> Result<Expr, PatternError> {
        let first = self.primary()?;
        if self.peek().tok != Tok::AndAnd {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.peek().tok == Tok::AndAnd {
            self.bump();
            items.push(self.primary()?);
        }
        Ok(Expr::And(items))
    }

    fn primary(&mut self) -> Result<Expr, PatternError> {
        let t = self.peek().clone();
        match t.tok {
            Tok::LParen => {
                self.bump();
                let inner = self.or_expr()?;
                match self.peek().tok {
                    Tok::RParen => {
                        self.bump();
                        Ok(Expr::Paren(Box::new(inner), Span::at(t.col)))
                    }
                    Tok::RBrace | Tok::End => Err(err(t.col, "'(' is never closed")),
                    _ => Err(self.unexpected("'&&', '||' or ')'")),
                }
            }
            Tok::Selector(text) => {
                self.bump();
                let selector = selector::parse(&text, t.col, &mut self.wildcards)?;
                let test = self.test()?;
                Ok(Expr::Cond(Cond {
                    selector,
                    test,
                    span: Span::at(t.col),
                }))
            }
            Tok::Word(w) => {
                let is_cmp = matches!(
                    self.toks.get(self.pos + 1).map(|x| &x.tok),
                    Some(Tok::Op(_))
                );
                if is_cmp || w.chars().all(is_name_char) {
                    Err(err(
                        t.col,
                        format!("a selector must start with '$.' (write $.{w})"),
                    ))
                } else {
                    Err(err(
                        t.col,
                        format!("expected a selector such as $.eventName, found '{w}'"),
                    ))
                }
            }
            Tok::RParen => Err(err(t.col, "')' without a matching '('")),
            _ => Err(self.unexpected("a condition such as $.eventName = \"value\"")),
        }
    }

    fn keyword(&mut self, want: &[&str]) -> Result<String, PatternError> {
        let t = self.peek().clone();
        if let Tok::Word(w) = &t.tok {
            if want.contains(&w.as_str()) {
                self.bump();
                return Ok(w.clone());
            }
            if let Some(k) = want.iter().find(|k| k.eq_ignore_ascii_case(w)) {
                return Err(err(t.col, format!("keywords are upper case: write {k}")));
            }
        }
        Err(self.unexpected(&want.join(" or ")))
    }

    fn test(&mut self) -> Result<Test, PatternError> {
        let t = self.peek().clone();
        match &t.tok {
            Tok::Op(op) => {
                let op = *op;
                self.bump();
                let operand = self.operand(op)?;
                Ok(Test::Cmp(op, operand))
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("IS") => {
                self.keyword(&["IS"])?;
                let t2 = self.peek().clone();
                if matches!(&t2.tok, Tok::Word(w2) if w2.eq_ignore_ascii_case("NOT")) {
                    return Err(err(
                        t2.col,
                        "IS NOT is not supported; use != for values or NOT EXISTS for absence",
                    ));
                }
                match self.keyword(&["NULL", "TRUE", "FALSE"])?.as_str() {
                    "NULL" => Ok(Test::IsNull),
                    "TRUE" => Ok(Test::IsTrue),
                    _ => Ok(Test::IsFalse),
                }
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("NOT") => {
                self.keyword(&["NOT"])?;
                self.keyword(&["EXISTS"])?;
                Ok(Test::NotExists)
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("EXISTS") => Err(err(
                t.col,
                "EXISTS is not supported; use NOT EXISTS for absence or = * for presence",
            )),
            _ => Err(self.unexpected(
                "an operator (=, !=, <, >, <=, >=), IS NULL, IS TRUE, IS FALSE or NOT EXISTS",
            )),
        }
    }

    fn operand(&mut self, op: CmpOp) -> Result<Operand, PatternError> {
        let t = self.peek().clone();
        let operand = match t.tok {
            Tok::Quoted(raw) => Operand::Lit(Literal::new(raw, true, Span::at(t.col))),
            Tok::Word(w) => {
                check_unquoted(&w, t.col)?;
                Operand::Lit(Literal::new(w, false, Span::at(t.col)))
            }
            Tok::Regex(src) => {
                if op.is_relational() {
                    return Err(err(
                        t.col,
                        format!(
                            "a regular expression cannot be used with '{}'; use = or !=",
                            op.symbol()
                        ),
                    ));
                }
                self.regexes += 1;
                if self.regexes > MAX_REGEXES {
                    return Err(err(
                        t.col,
                        format!("too many regular expressions: at most {MAX_REGEXES} per pattern"),
                    ));
                }
                Operand::Regex(re::compile(&src, t.col)?)
            }
            _ => return Err(self.unexpected(&format!("a value after '{}'", op.symbol()))),
        };
        if op.is_relational() {
            if let Operand::Lit(l) = &operand {
                if l.quoted || l.number.is_none() {
                    return Err(err(
                        t.col,
                        format!(
                            "'{}' compares numbers; {} is not an unquoted number",
                            op.symbol(),
                            l
                        ),
                    ));
                }
            }
        }
        self.bump();
        Ok(operand)
    }

    fn delimited(mut self) -> Result<Ast, PatternError> {
        let open = self.bump();
        if self.peek().tok == Tok::RBracket {
            return Err(err(
                self.peek().col,
                "empty space-delimited pattern '[]': name at least one field",
            ));
        }
        let mut fields = Vec::new();
        loop {
            fields.push(self.field()?);
            match self.peek().tok {
                Tok::Comma => {
                    self.bump();
                }
                Tok::RBracket => {
                    self.bump();
                    break;
                }
                Tok::End => return Err(err(open.col, "'[' is never closed")),
                _ => return Err(self.unexpected("',' or ']'")),
            }
        }
        self.expect_end("]")?;
        Ok(Ast::Delimited(fields))
    }

    fn field(&mut self) -> Result<Field, PatternError> {
        let t = self.peek().clone();
        let name = match &t.tok {
            Tok::Word(w) if w == "..." => {
                self.bump();
                return Ok(Field::Ellipsis(Span::at(t.col)));
            }
            Tok::Word(w) => w.clone(),
            _ => return Err(self.unexpected("a field name or '...'")),
        };
        if let Some(bad) = name
            .chars()
            .position(|ch| !(ch.is_alphanumeric() || ch == '_'))
        {
            return Err(err(
                t.col + bad,
                "field names may contain only letters, digits and '_'",
            ));
        }
        self.bump();
        let mut alternatives: Vec<Vec<FieldCond>> = Vec::new();
        if !matches!(self.peek().tok, Tok::Op(_)) {
            return Ok(Field::Named {
                name,
                alternatives,
                span: Span::at(t.col),
            });
        }
        alternatives.push(vec![self.field_cond()?]);
        loop {
            let joiner = self.peek().tok.clone();
            if joiner != Tok::AndAnd && joiner != Tok::OrOr {
                break;
            }
            self.bump();
            let n = self.peek().clone();
            match &n.tok {
                Tok::Word(w) if *w == name => {
                    self.bump();
                }
                Tok::Word(w) => {
                    return Err(err(
                        n.col,
                        format!(
                            "conditions joined in field '{name}' must name '{name}', not '{w}'"
                        ),
                    ))
                }
                _ => return Err(self.unexpected(&format!("'{name}' and a condition"))),
            }
            let cond = self.field_cond()?;
            if joiner == Tok::OrOr {
                alternatives.push(vec![cond]);
            } else if let Some(last) = alternatives.last_mut() {
                last.push(cond);
            }
        }
        Ok(Field::Named {
            name,
            alternatives,
            span: Span::at(t.col),
        })
    }

    fn field_cond(&mut self) -> Result<FieldCond, PatternError> {
        let t = self.peek().clone();
        let Tok::Op(op) = t.tok else {
            return Err(self.unexpected("an operator (=, !=, <, >, <=, >=)"));
        };
        self.bump();
        let operand = self.operand(op)?;
        Ok(FieldCond {
            op,
            operand,
            span: Span::at(t.col),
        })
    }
}

/// Characters allowed in an unquoted value. Anything else must be quoted.
pub(super) fn is_unquoted_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '*' | '-' | '_' | '+')
}

fn check_unquoted(w: &str, col: usize) -> Result<(), PatternError> {
    if let Some((i, ch)) = w.chars().enumerate().find(|(_, ch)| !is_unquoted_char(*ch)) {
        let hint = if ch == '\'' {
            "values are quoted with double quotes, not single quotes".to_string()
        } else {
            format!("an unquoted value may contain only letters, digits, '.', '*', '-', '_' and '+'; write \"{w}\"")
        };
        return Err(err(
            col + i,
            format!("'{ch}' in unquoted value {w}: {hint}"),
        ));
    }
    Ok(())
}
