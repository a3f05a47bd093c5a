//! Rejected patterns: every error carries a 1-based column and a clear message. Rules from the
//! AWS page "Filter pattern syntax for metric filters, subscription filters, filter log events,
//! and Live Tail" and its JSON, unstructured and space-delimited sub-pages.

use super::Pattern;

// Invalid patterns: column (1-based, in characters) and a piece of the message.
pub(super) const INVALID: &[(&str, usize, &str)] = &[
    ("{ eventName = \"x\" }", 3, "must start with '$.'"),
    ("{ $eventName = \"x\" }", 3, "must start with '$.'"),
    ("{ $.a IS NOT NULL }", 10, "IS NOT"),
    ("{ $.a EXISTS }", 7, "EXISTS"),
    ("{ ($.a = 1 }", 3, "'(' is never closed"),
    ("{ $.a = 1) }", 10, "without a matching '('"),
    ("{ ) }", 3, "without a matching '('"),
    ("{ $.a = 1", 1, "'{' is never closed"),
    ("{", 1, "'{' is never closed"),
    ("{ $.a = \"x }", 9, "unterminated"),
    ("{$.a=%x%&&$.b=%y%&&$.c=%z%}", 24, "at most 2"),
    ("{$.a[*]=1||$.b[*]=1||$.c[*]=1||$.d[*]=1}", 36, "at most 3"),
    ("{$.a[*].*=1}", 9, "one wildcard"),
    ("{ $.a > \"5\" }", 9, "compares numbers"),
    ("{ $.a > abc }", 9, "compares numbers"),
    ("{ $.a < 4* }", 9, "compares numbers"),
    ("{ $.a > %x% }", 9, "cannot be used with"),
    ("{ $.a = arn:aws }", 12, "unquoted value"),
    ("{ $.a = 'x' }", 9, "double quotes"),
    ("{ $.a = a/b }", 10, "unquoted value"),
    ("{ $.a = 1 } x", 13, "after the closing '}'"),
    ("{ $.a = 1 2 }", 11, "unexpected '2'"),
    ("{}", 2, "empty JSON pattern"),
    ("{ }", 3, "empty JSON pattern"),
    ("{ $.a == 1 }", 7, "'=='"),
    ("{ $.a = 1 & $.b = 2 }", 11, "'&&'"),
    ("{ $.a = 1 | $.b = 2 }", 11, "'||'"),
    ("{ $.a = }", 9, "a value after '='"),
    ("{ $.a }", 7, "an operator"),
    ("{ $.a = 1 && }", 14, "a condition"),
    ("{ $.a is null }", 7, "upper case"),
    ("{ $.a IS null }", 10, "upper case"),
    ("{ $.a NOT exists }", 11, "upper case"),
    ("{ $.a IS MAYBE }", 10, "NULL or TRUE or FALSE"),
    ("{ $.a.[0] = 1 }", 7, "property name"),
    ("{ $. = 1 }", 5, "ends with '.'"),
    ("{ $.a% = 1 }", 6, "unexpected '%'"),
    ("{ $.a[x] = 1 }", 6, "expected an index"),
    ("{ $.a@b = 1 }", 6, "unexpected '@'"),
    ("{ $.a = %(x)% }", 10, "groups"),
    ("{ $.a = %x!% }", 11, "'!'"),
    ("{ $.a = %abc }", 9, "unterminated regular expression"),
    ("{ $.['a.b = 1 }", 6, "unterminated"),
    ("{ $.a ! 1 }", 7, "'!' must be followed"),
    ("{ $.a <> 1 }", 7, "'<>'"),
    ("[]", 2, "empty space-delimited"),
    ("[a, b", 1, "'[' is never closed"),
    ("[a b]", 4, "expected ',' or ']'"),
    ("[a = 1 && b = 2]", 11, "must name 'a'"),
    ("[a, ...] x", 10, "after the closing ']'"),
    ("[a = %x% && a = %y% && a = %z%]", 28, "at most 2"),
    ("[a-b]", 3, "field names"),
    ("[a = ]", 6, "a value after '='"),
    ("[a, \"b\"]", 5, "a field name"),
    ("[a > x]", 6, "compares numbers"),
    ("%abc", 1, "unterminated regular expression"),
    ("%abc% x", 7, "unexpected text after the regular expression"),
    ("%(a)%", 2, "groups"),
    ("%a!%", 3, "'!'"),
    ("%%", 1, "empty regular expression"),
    ("%a\\qb%", 3, "unsupported escape"),
    ("\"abc", 1, "unterminated quoted term"),
    ("abc\"d", 4, "inside a term"),
    ("- x", 1, "must be followed by a term"),
    ("x ?", 3, "must be followed by a term"),
    ("\"a\"b", 4, "space after the closing"),
    ("x \"\"", 3, "empty quoted term"),
];

#[test]
fn invalid_patterns_have_columns() {
    for (p, col, msg) in INVALID {
        let e = Pattern::parse(p).expect_err(p);
        assert_eq!(e.column, *col, "{p}: {e}");
        assert!(e.message.contains(msg), "{p}: {e} (wanted {msg:?})");
        assert_eq!(e.to_string(), format!("column {}: {}", e.column, e.message));
    }
}

// Main page: maximum pattern length 1024 characters.
#[test]
fn length_limit() {
    let ok = "a".repeat(1024);
    assert!(Pattern::parse(&ok).is_ok());
    let long = "a".repeat(1025);
    let e = Pattern::parse(&long).unwrap_err();
    assert_eq!(e.column, 1025);
    assert!(e.message.contains("1025 characters"));
    // characters, not bytes
    let wide = "é".repeat(1000);
    assert!(Pattern::parse(&wide).is_ok());
}
