//! Controls compiled for scanning.
//!
//! A JSON pattern is evaluated on the values the walker projected (see [`super::walk`]) rather
//! than on a parsed record: each condition reads one registered key path. Strings, `null`,
//! booleans, objects and arrays are decided on the raw bytes with the same rules as
//! [`crate::pattern::Pattern::matches`]; a number, or a selector with an index or a wildcard,
//! is handed to the pattern engine on a small value holding just that part of the record.
//! Other pattern kinds (terms, regex, space-delimited) are evaluated by the pattern engine on
//! the record text, after the pattern's [`Prefilter`] rejected the records that lack a
//! required literal.

use serde_json::{Map, Value};

use crate::pattern::ast::{Ast, CmpOp, Expr, Operand, Step, StrMatch, Test};
use crate::pattern::{Event, Pattern, Prefilter};
use crate::preset::Alarm;

use super::walk::{Span, Trie};

/// One control to backtest: a filter and its alarm.
#[derive(Debug, Clone)]
pub struct ControlSpec {
    pub id: String,
    pub preset: String,
    pub filter_name: String,
    pub pattern: String,
    pub alarm: Alarm,
}

impl ControlSpec {
    /// Every control of a preset, as the preset defines it (no configuration applied).
    pub fn all_of(preset: &crate::preset::Preset) -> Vec<ControlSpec> {
        preset
            .controls
            .iter()
            .map(|c| ControlSpec {
                id: c.control.id.clone(),
                preset: preset.name.clone(),
                filter_name: c.control.filter_name.clone(),
                pattern: c.control.pattern.clone(),
                alarm: c.resolved_alarm.clone(),
            })
            .collect()
    }
}

impl From<&crate::config::EffectiveControl> for ControlSpec {
    fn from(c: &crate::config::EffectiveControl) -> ControlSpec {
        ControlSpec {
            id: c.id.clone(),
            preset: c.preset.clone(),
            filter_name: c.filter_name.clone(),
            pattern: c.pattern.clone(),
            alarm: c.alarm.clone(),
        }
    }
}

/// How a control's pattern is evaluated on a record.
#[derive(Debug)]
pub enum Eval {
    /// The empty pattern: every record.
    All,
    /// A JSON pattern over projected values.
    Fast(FExpr),
    /// The pattern engine on the record text, behind the prefilter.
    Text,
    /// The pattern engine on the fully parsed record, behind the prefilter (JSON patterns whose
    /// selectors start with a wildcard).
    Full,
}

#[derive(Debug)]
pub enum FExpr {
    And(Vec<FExpr>),
    Or(Vec<FExpr>),
    Cond(FCond),
    /// An OR of `=` conditions on one field with exact texts (`$.eventName = A || ...`): for
    /// a string without escapes, one lookup by length then bytes; otherwise the conditions.
    AnyOf(Box<AnyOf>),
}

#[derive(Debug)]
pub struct AnyOf {
    slot: usize,
    /// Bit n: some text is n bytes long (bit 63: 63 or more).
    lengths: u64,
    texts: Vec<Box<[u8]>>,
    conds: Vec<FCond>,
}

/// Groups the exact-text `=` conditions of an OR that read the same field.
fn any_of(items: Vec<FExpr>) -> FExpr {
    let exact_slot = |e: &FExpr| match e {
        FExpr::Cond(FCond {
            slot,
            direct:
                Some(Direct::Eq {
                    negate: false,
                    text: TextTest::Exact(_),
                    ..
                }),
            ..
        }) => Some(*slot),
        _ => None,
    };
    let mut groups: Vec<AnyOf> = Vec::new();
    let mut rest = Vec::new();
    for item in items {
        let Some(slot) = exact_slot(&item) else {
            rest.push(item);
            continue;
        };
        let FExpr::Cond(cond) = item else {
            unreachable!("checked above")
        };
        let text = match &cond.direct {
            Some(Direct::Eq {
                text: TextTest::Exact(t),
                ..
            }) => t.clone(),
            _ => unreachable!("checked above"),
        };
        let g = match groups.iter_mut().position(|g| g.slot == slot) {
            Some(i) => &mut groups[i],
            None => {
                groups.push(AnyOf {
                    slot,
                    lengths: 0,
                    texts: Vec::new(),
                    conds: Vec::new(),
                });
                groups.last_mut().expect("just pushed")
            }
        };
        g.lengths |= 1u64 << text.len().min(63);
        g.texts.push(text);
        g.conds.push(cond);
    }
    for g in groups {
        if g.conds.len() == 1 {
            rest.extend(g.conds.into_iter().map(FExpr::Cond));
        } else {
            rest.push(FExpr::AnyOf(Box::new(g)));
        }
    }
    if rest.len() == 1 {
        rest.pop().expect("one item")
    } else {
        FExpr::Or(rest)
    }
}

#[derive(Debug)]
pub struct FCond {
    /// The projected value: the whole selector when it is a plain key path, else its leading
    /// key path.
    slot: usize,
    /// The test, when the selector is a plain key path.
    direct: Option<Direct>,
    /// To evaluate the condition with the pattern engine.
    engine: Box<SubEngine>,
}

/// `{ condition }` and the key path of its slot, to evaluate the condition with the pattern
/// engine on a value holding only that path.
#[derive(Debug)]
struct SubEngine {
    sub: Pattern,
    path: Vec<String>,
}

#[derive(Debug)]
pub struct Compiled {
    pub spec: ControlSpec,
    pub pattern: Pattern,
    pub prefilter: Prefilter,
    pub eval: Eval,
}

impl Compiled {
    /// Parses the pattern and registers the key paths it reads in `trie`.
    pub fn new(spec: ControlSpec, trie: &mut Trie) -> Result<Compiled, String> {
        let pattern = Pattern::parse(&spec.pattern)
            .map_err(|e| format!("filter {}: invalid pattern: {e}", spec.filter_name))?;
        let eval = match pattern.ast() {
            Ast::MatchAll => Eval::All,
            Ast::Json(expr) => {
                let mut probe = trie.clone();
                match compile_expr(expr, &mut probe)? {
                    Some(e) => {
                        *trie = probe;
                        Eval::Fast(e)
                    }
                    None => Eval::Full,
                }
            }
            Ast::Terms(_) | Ast::Regex(_) | Ast::Delimited(_) => Eval::Text,
        };
        let prefilter = pattern.prefilter();
        Ok(Compiled {
            spec,
            pattern,
            prefilter,
            eval,
        })
    }
}

/// `None` when some selector has no leading key (e.g. `$.*.x`).
fn compile_expr(e: &Expr, trie: &mut Trie) -> Result<Option<FExpr>, String> {
    Ok(match e {
        Expr::Paren(inner, _) => compile_expr(inner, trie)?,
        Expr::And(items) | Expr::Or(items, _) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match compile_expr(item, trie)? {
                    Some(c) => out.push(c),
                    None => return Ok(None),
                }
            }
            Some(if matches!(e, Expr::And(_)) {
                FExpr::And(out)
            } else {
                any_of(out)
            })
        }
        Expr::Cond(c) => {
            let keys: Vec<String> = c
                .selector
                .steps
                .iter()
                .map_while(|s| match s {
                    Step::Key(k) => Some(k.clone()),
                    _ => None,
                })
                .collect();
            if keys.is_empty() {
                return Ok(None);
            }
            let plain = keys.len() == c.selector.steps.len();
            let text = format!("{{ {c} }}");
            let sub = Pattern::parse(&text)
                .map_err(|e| format!("cannot re-read condition `{text}`: {e}"))?;
            let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
            Some(FExpr::Cond(FCond {
                slot: trie.add(&refs),
                direct: plain.then(|| Direct::new(&c.test)),
                engine: Box::new(SubEngine { sub, path: keys }),
            }))
        }
    })
}

/// A condition's test, prepared for raw values.
#[derive(Debug)]
enum Direct {
    NotExists,
    IsNull,
    IsTrue,
    IsFalse,
    /// `=` (or `!=` when `negate`) against strings, and booleans (which equal only `*`).
    Eq {
        negate: bool,
        text: TextTest,
        equals_bool: bool,
    },
    /// `<`, `>`, `<=`, `>=`: only numbers can match.
    Relational,
}

/// How `=` tests a string.
#[derive(Debug)]
enum TextTest {
    Any,
    /// Exact text: compared byte for byte with the JSON string when it has no escape.
    Exact(Box<[u8]>),
    Other(Box<Operand>),
}

impl Direct {
    fn new(t: &Test) -> Direct {
        match t {
            Test::NotExists => Direct::NotExists,
            Test::IsNull => Direct::IsNull,
            Test::IsTrue => Direct::IsTrue,
            Test::IsFalse => Direct::IsFalse,
            Test::Cmp(op @ (CmpOp::Eq | CmpOp::Ne), operand) => {
                let (text, equals_bool) = match operand {
                    Operand::Lit(l) => match &l.matcher {
                        StrMatch::Any => (TextTest::Any, true),
                        StrMatch::Exact(e) => (TextTest::Exact(e.as_bytes().into()), false),
                        StrMatch::Glob { .. } => {
                            (TextTest::Other(Box::new(operand.clone())), false)
                        }
                    },
                    Operand::Regex(_) => (TextTest::Other(Box::new(operand.clone())), false),
                };
                Direct::Eq {
                    negate: *op == CmpOp::Ne,
                    text,
                    equals_bool,
                }
            }
            Test::Cmp(..) => Direct::Relational,
        }
    }
}

/// Whether a string's bytes hold a backslash escape (then they are compared decoded).
#[inline]
pub fn has_escape(v: &[u8]) -> bool {
    memchr::memchr(b'\\', v).is_some()
}

impl TextTest {
    /// `content`: the bytes between the quotes.
    #[inline]
    fn test(&self, content: &[u8]) -> bool {
        if has_escape(content) {
            return match super::walk::decode_string(content) {
                Some(s) => self.test_str(&s),
                None => false,
            };
        }
        match self {
            TextTest::Any => true,
            TextTest::Exact(e) => **e == *content,
            TextTest::Other(_) => match std::str::from_utf8(content) {
                Ok(s) => self.test_str(s),
                Err(_) => self.test_str(&String::from_utf8_lossy(content)),
            },
        }
    }

    fn test_str(&self, s: &str) -> bool {
        match self {
            TextTest::Any => true,
            TextTest::Exact(e) => **e == *s.as_bytes(),
            TextTest::Other(op) => operand_eq_str(op, s),
        }
    }
}

impl FExpr {
    /// Whether the record (whose projected values are `proj`, offsets into `buf`) matches.
    pub fn eval(&self, buf: &[u8], proj: &[Span]) -> bool {
        match self {
            FExpr::And(items) => items.iter().all(|e| e.eval(buf, proj)),
            FExpr::Or(items) => items.iter().any(|e| e.eval(buf, proj)),
            FExpr::Cond(c) => c.eval(buf, proj[c.slot]),
            FExpr::AnyOf(a) => {
                let span = proj[a.slot];
                match span.get(buf) {
                    Some(v) if v.len() >= 2 && v[0] == b'"' && !has_escape(v) => {
                        let t = &v[1..v.len() - 1];
                        a.lengths & (1u64 << t.len().min(63)) != 0
                            && a.texts.iter().any(|x| **x == *t)
                    }
                    _ => a.conds.iter().any(|c| c.eval(buf, span)),
                }
            }
        }
    }
}

impl FCond {
    #[inline]
    fn eval(&self, buf: &[u8], span: Span) -> bool {
        let value = span.get(buf);
        let Some(test) = &self.direct else {
            return match value {
                Some(v) => self.by_engine(v),
                // No leading key: nothing below it exists either.
                None => self.by_engine_absent(),
            };
        };
        let Some(v) = value else {
            return matches!(test, Direct::NotExists);
        };
        match test {
            Direct::NotExists => false,
            Direct::IsNull => v == b"null",
            Direct::IsTrue => v == b"true",
            Direct::IsFalse => v == b"false",
            Direct::Relational => match v[0] {
                b'"' | b'{' | b'[' | b'n' | b't' | b'f' => false,
                _ => self.by_engine(v),
            },
            Direct::Eq {
                negate,
                text,
                equals_bool,
            } => match v[0] {
                b'"' => {
                    if v.len() < 2 {
                        return false;
                    }
                    text.test(&v[1..v.len() - 1]) != *negate
                }
                // Objects, arrays and null never compare.
                b'{' | b'[' | b'n' => false,
                b't' | b'f' => *equals_bool != *negate,
                _ => self.by_engine(v),
            },
        }
    }

    /// The pattern engine on `{path: value}`.
    fn by_engine(&self, v: &[u8]) -> bool {
        let Ok(mut value) = serde_json::from_slice::<Value>(v) else {
            return false;
        };
        for key in self.engine.path.iter().rev() {
            let mut m = Map::new();
            m.insert(key.clone(), value);
            value = Value::Object(m);
        }
        self.engine.sub.matches(&Event::from_json("", &value))
    }

    fn by_engine_absent(&self) -> bool {
        let empty = Value::Object(Map::new());
        self.engine.sub.matches(&Event::from_json("", &empty))
    }
}

fn operand_eq_str(operand: &Operand, s: &str) -> bool {
    match operand {
        Operand::Lit(l) => l.matcher.matches(s),
        Operand::Regex(r) => r.compiled.is_match(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::walk::walk_record;

    fn alarm() -> Alarm {
        crate::preset::AlarmSettings::default().resolve()
    }

    fn compiled(pattern: &str, trie: &mut Trie) -> Compiled {
        Compiled::new(
            ControlSpec {
                id: "t".into(),
                preset: "t".into(),
                filter_name: "T".into(),
                pattern: pattern.into(),
                alarm: alarm(),
            },
            trie,
        )
        .unwrap()
    }

    /// The fast evaluation agrees with the pattern engine on the parsed record.
    fn agree(pattern: &str, events: &[&str]) {
        let mut trie = Trie::new();
        let c = compiled(pattern, &mut trie);
        for ev in events {
            let value: Value = serde_json::from_str(ev).unwrap();
            let expected = c.pattern.matches(&Event::from_json(ev, &value));
            let mut proj = vec![Span::NONE; trie.slots()];
            let mut idx = crate::scan::index::Index::default();
            idx.build(ev.as_bytes(), 0, ev.len());
            walk_record(ev.as_bytes(), &idx, 0, &trie, &mut proj).unwrap();
            let got = match &c.eval {
                Eval::Fast(e) => e.eval(ev.as_bytes(), &proj),
                Eval::Full => expected,
                other => panic!("{pattern}: {other:?}"),
            };
            assert_eq!(got, expected, "{pattern} on {ev}");
        }
    }

    const EVENTS: &[&str] = &[
        r#"{"a":"x"}"#,
        r#"{"a":"xyz","b":{"c":"ConsoleLogin"}}"#,
        r#"{"a":null,"b":{"c":null}}"#,
        r#"{"a":true,"b":{"c":false}}"#,
        r#"{"a":400,"b":{"c":"400"}}"#,
        r#"{"a":4e2,"b":{"c":-1.5}}"#,
        r#"{"a":[1,"x"],"b":[{"c":"x"}]}"#,
        r#"{"a":{"x":1},"b":"c"}"#,
        r#"{"b":{"c":"Console\u004cogin","d":[{"e":"AccessDenied"},{"e":"x"}]}}"#,
        r#"{"b":{"c":"ConsoleLogin","d":[{"e":"Client.UnauthorizedOperation"}]},"a":"AccessDeniedException"}"#,
        r#"{"a":"x","a":"y"}"#,
        r#"{"a":"","b":{"c":""}}"#,
        r#"{"a":"é\/\"","b":{"c":"ConsoleLogin","c":{"z":1}}}"#,
        r#"{}"#,
    ];

    #[test]
    fn agrees_with_the_pattern_engine() {
        for p in [
            r#"{ $.a = "x" }"#,
            r#"{ $.a != "x" }"#,
            r#"{ $.a = "x*" || $.b.c = "Console*" }"#,
            r#"{ $.a = * }"#,
            r#"{ $.a != * }"#,
            r#"{ $.a IS NULL }"#,
            r#"{ $.b.c IS NULL }"#,
            r#"{ $.a IS TRUE && $.b.c IS FALSE }"#,
            r#"{ $.b.c IS TRUE }"#,
            r#"{ $.a NOT EXISTS }"#,
            r#"{ $.b.c NOT EXISTS }"#,
            r#"{ $.a = 400 }"#,
            r#"{ $.a != 400 }"#,
            r#"{ $.b.c = 400 }"#,
            r#"{ $.a > 100 }"#,
            r#"{ $.b.c < 0 }"#,
            r#"{ $.b.c >= 400 }"#,
            r#"{ $.a = %^x.*% }"#,
            r#"{ $.a != %^x.*% }"#,
            r#"{ $.a = 4* }"#,
            r#"{ $.a[1] = "x" }"#,
            r#"{ $.a[0] = 1 }"#,
            r#"{ $.b[*].c = "x" }"#,
            r#"{ $.b.d[*].e = "AccessDenied*" }"#,
            r#"{ $.b.d[0].e NOT EXISTS }"#,
            r#"{ $.a.* = 1 }"#,
            r#"{ $.* = "x" }"#,
            r#"{ $.a = "" }"#,
            r#"{ $.a = "é/\"" }"#,
            r#"{ ($.b.c = "ConsoleLogin") && (($.a = "*Denied*") || ($.a NOT EXISTS)) }"#,
            r#"{ $.a = "y" }"#,
            r#"{ $.a = "x" || $.a = "y" || $.a = "xyz" || $.a = 400 }"#,
            r#"{ ($.b.c = ConsoleLogin) || ($.b.c = "400") || ($.a = "") || ($.b.c = "") }"#,
            r#"{ $.a = x || $.b.c = ConsoleLogin || $.a = "é/\"" || $.a = 4* }"#,
            r#"{ $.a = true || $.a = "true" }"#,
        ] {
            agree(p, EVENTS);
        }
    }

    #[test]
    fn preset_examples_agree() {
        for name in crate::preset::builtin_names() {
            let mut d = crate::diag::Diagnostics::default();
            let preset = crate::preset::load(name, &mut d).unwrap();
            let examples: Vec<String> = preset
                .controls
                .iter()
                .flat_map(|c| {
                    c.control
                        .examples
                        .iter()
                        .map(|e| e.event.trim().to_string())
                })
                .collect();
            let refs: Vec<&str> = examples.iter().map(String::as_str).collect();
            for c in &preset.controls {
                agree(&c.control.pattern, &refs);
                for alt in &c.control.alternatives {
                    if let Some(p) = &alt.pattern {
                        agree(p, &refs);
                    }
                }
            }
        }
    }

    #[test]
    fn kinds() {
        let mut trie = Trie::new();
        assert!(matches!(compiled("", &mut trie).eval, Eval::All));
        assert!(matches!(
            compiled("ERROR -debug", &mut trie).eval,
            Eval::Text
        ));
        assert!(matches!(
            compiled(r#"{ $.*.x = 1 }"#, &mut trie).eval,
            Eval::Full
        ));
        assert_eq!(trie.slots(), 0);
        assert!(matches!(
            compiled(r#"{ $.a.b = 1 && $.c[*] = 2 }"#, &mut trie).eval,
            Eval::Fast(_)
        ));
        assert_eq!(trie.slots(), 2);
        let c = compiled(r#"{ $.a = x || $.a = "y" || $.b = z }"#, &mut trie);
        assert!(
            matches!(&c.eval, Eval::Fast(FExpr::Or(items)) if matches!(items[..], [FExpr::AnyOf(_), FExpr::Cond(_)])),
            "{:?}",
            c.eval
        );
    }
}
