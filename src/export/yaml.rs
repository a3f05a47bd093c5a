//! A small YAML emitter for JSON values: block mappings and sequences, two-space indents, keys
//! in the value's order. A string is written plain only when no YAML 1.1 or 1.2 reader can take
//! it for anything else (it starts with a letter, holds only letters, digits and `_ . / @ : + -`,
//! does not end in `:` and is no boolean or null word); every other string is double-quoted with
//! JSON's escapes, which YAML's double-quoted style shares. CloudFormation's short forms (`!Sub`)
//! are never written: the long forms (`Fn::Sub`) read the same in YAML and JSON.

use serde_json::Value;

pub(crate) fn to_yaml(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::Object(m) if !m.is_empty() => mapping(&mut out, m, 0),
        Value::Array(a) if !a.is_empty() => sequence(&mut out, a, 0),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn mapping(out: &mut String, m: &serde_json::Map<String, Value>, at: usize) {
    for (k, v) in m {
        indent(out, at);
        out.push_str(&key(k));
        out.push(':');
        value_after(out, v, at);
    }
}

fn sequence(out: &mut String, a: &[Value], at: usize) {
    for v in a {
        indent(out, at);
        out.push('-');
        match v {
            // A mapping in a sequence starts on the dash's line: `- Key: value`.
            Value::Object(m) if !m.is_empty() => {
                let mut first = true;
                for (k, x) in m {
                    if first {
                        out.push(' ');
                        first = false;
                    } else {
                        indent(out, at + 2);
                    }
                    out.push_str(&key(k));
                    out.push(':');
                    value_after(out, x, at + 2);
                }
            }
            other => value_after(out, other, at),
        }
    }
}

/// The value of a `key:` or `-` at indent `at`: inline for scalars and empty collections, on
/// the next lines otherwise.
fn value_after(out: &mut String, v: &Value, at: usize) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            mapping(out, m, at + 2);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            sequence(out, a, at + 2);
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

fn key(k: &str) -> String {
    string(k)
}

/// Words YAML 1.1 reads as booleans or null (YAML 1.2 keeps fewer; both are avoided).
const RESERVED: [&str; 12] = [
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf", "~",
];

fn plain_ok(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "_./@:+-".contains(c))
        && !s.ends_with(':')
        && !RESERVED.contains(&s.to_ascii_lowercase().as_str())
}

fn string(s: &str) -> String {
    if plain_ok(s) {
        s.to_string()
    } else {
        quoted(s)
    }
}

/// The template as JSON, pretty-printed, with the characters [`quoted`] escapes escaped too: JSON
/// allows DEL, C1 controls and U+2028 raw, but CloudFormation's template readers (cfn-lint's,
/// which reads JSON templates with a YAML-compatible reader) refuse them. They occur only inside
/// strings, so escaping them after serializing keeps the document the same.
pub(crate) fn to_json(v: &Value) -> String {
    let text = serde_json::to_string_pretty(v).unwrap_or_default();
    let mut out = String::with_capacity(text.len() + 1);
    for c in text.chars() {
        // serde_json escapes every control character inside strings: a raw line break is layout.
        if c != '\n' && needs_escape(c) {
            out.push_str(&format!("\\u{:04X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out.push('\n');
    out
}

/// Outside YAML's printable set, or a line break to a YAML 1.1 reader (`\n` and `\t` aside,
/// which both forms write as escapes).
fn needs_escape(c: char) -> bool {
    match c {
        '\u{20}'..='\u{7e}' => false,
        '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}' => true,
        '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' => false,
        c => (c as u32) <= 0xffff,
    }
}

/// YAML's double-quoted style. Characters outside YAML's printable set
/// (https://yaml.org/spec/1.2.2/#51-character-set: C0 and C1 controls, DEL, surrogates, U+FFFE/F,
/// the byte-order mark) and those a YAML 1.1 reader takes for line breaks (U+0085, U+2028,
/// U+2029) are escaped; every other character is written as it is (the file is UTF-8).
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_that_could_read_as_something_else_are_quoted() {
        for (s, want) in [
            ("LogBucket", "LogBucket"),
            ("Fn::Sub", "Fn::Sub"),
            ("arn:aws:s3:::b/*", "\"arn:aws:s3:::b/*\""),
            ("arn:aws:s3:::b", "arn:aws:s3:::b"),
            ("sec@example.com", "sec@example.com"),
            ("yes", "\"yes\""),
            ("Off", "\"Off\""),
            ("null", "\"null\""),
            ("1", "\"1\""),
            ("0x1F", "\"0x1F\""),
            ("12:30", "\"12:30\""),
            ("", "\"\""),
            ("a: b", "\"a: b\""),
            ("key:", "\"key:\""),
            ("{ $.eventName = \"x\" }", "\"{ $.eventName = \\\"x\\\" }\""),
            ("line\nbreak", "\"line\\nbreak\""),
            ("#comment", "\"#comment\""),
            ("- item", "\"- item\""),
            ("${AWS::Region}", "\"${AWS::Region}\""),
            ("Zürich – ok", "\"Zürich – ok\""),
            (
                "a\u{2028}b\u{85}c\u{7f}d\u{1}e\u{feff}",
                "\"a\\u2028b\\u0085c\\u007Fd\\u0001e\\uFEFF\"",
            ),
            ("tab\there\r", "\"tab\\there\\u000D\""),
            ("emoji 🛡", "\"emoji 🛡\""),
        ] {
            assert_eq!(string(s), want, "{s:?}");
        }
    }

    #[test]
    fn json_escapes_what_template_readers_refuse() {
        let v = json!({"a": "x\u{7f}y\u{2028}z é\n"});
        let text = to_json(&v);
        assert!(text.contains(r#""x\u007Fy\u2028z é\n""#), "{text}");
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), v);
    }

    #[test]
    fn nested_shapes() {
        let v = json!({
            "A": 1,
            "B": [ {"K": "v", "L": [true, false]}, "s", [] ],
            "C": {},
            "D": { "E": { "F": 2.5 } },
            "G": [[1, 2], {"H": null}]
        });
        assert_eq!(
            to_yaml(&v),
            "A: 1\nB:\n  - K: v\n    L:\n      - true\n      - false\n  - s\n  - []\nC: {}\nD:\n  E:\n    F: 2.5\nG:\n  -\n    - 1\n    - 2\n  - H: null\n"
        );
    }
}
