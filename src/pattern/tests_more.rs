//! Whole-module properties: printing round-trips, mutation robustness, prefilter soundness,
//! explanations, lints and allocation-free JSON evaluation.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use super::fixtures::{CIS_NAME_LIST_PATTERNS, CIS_PATTERNS, SEED_EVENTS, SYNTHETIC_EVENTS};
use super::tests::{
    DECISION_TABLE, DELIMITED_TABLE, JSON_TABLE, MATCH_ALL, REGEX_TABLE, TERMS_TABLE,
};
use super::{Event, Pattern, PatternKind};

const EXTRA_VALID: &[&str] = &[
    "{ $.['a b'] = 1 }",
    "{ $.[\"it's\"] = 1 }",
    "{ $.a['x.y'][2].* = \"v\" }",
    "-\"x y\" ?z ?\"w\\\"\" plain",
    "{ $.a = \"\" || ($.b IS NULL && ($.c IS TRUE || $.d IS FALSE)) }",
    "[a = %x% || a = \"q r\", b != %y%]",
    "{ $.x = \"%not a regex%\" }",
    "{ $.x = -* && $.y = +1 }",
];

fn valid_patterns() -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let tables = [
        TERMS_TABLE,
        REGEX_TABLE,
        JSON_TABLE,
        DECISION_TABLE,
        DELIMITED_TABLE,
    ];
    for t in tables {
        out.extend(t.iter().map(|(p, _, _)| p.to_string()));
    }
    out.extend(MATCH_ALL.iter().map(|p| p.to_string()));
    out.extend(EXTRA_VALID.iter().map(|p| p.to_string()));
    out.extend(
        CIS_PATTERNS
            .iter()
            .chain(CIS_NAME_LIST_PATTERNS)
            .map(|(_, p)| p.to_string()),
    );
    out.sort();
    out.dedup();
    out
}

fn all_events() -> Vec<String> {
    let mut out: Vec<String> = SEED_EVENTS.iter().map(|(_, j)| j.to_string()).collect();
    out.extend(SYNTHETIC_EVENTS.iter().map(|e| e.to_string()));
    let tables = [
        TERMS_TABLE,
        REGEX_TABLE,
        JSON_TABLE,
        DECISION_TABLE,
        DELIMITED_TABLE,
    ];
    for t in tables {
        out.extend(t.iter().map(|(_, e, _)| e.to_string()));
    }
    out.sort();
    out.dedup();
    out
}

fn assert_round_trip(p: &Pattern) {
    let printed = p.to_string();
    let again = Pattern::parse(&printed)
        .unwrap_or_else(|e| panic!("{:?} printed as {printed:?}: {e}", p.source()));
    assert_eq!(&again, p, "{:?} printed as {printed:?}", p.source());
    assert_eq!(again.to_string(), printed, "printing is not stable");
}

// Canonical printing: parse(print(p)) gives an equal tree, for every valid test pattern.
#[test]
fn round_trip_all_valid_patterns() {
    let patterns = valid_patterns();
    assert!(patterns.len() > 150, "{}", patterns.len());
    for p in &patterns {
        assert_round_trip(&Pattern::parse(p).unwrap_or_else(|e| panic!("{p}: {e}")));
    }
    let cases = [
        (
            "{$.a=1&&($.b!=\"x\"||$.c NOT EXISTS)}",
            "{ $.a = 1 && ($.b != \"x\" || $.c NOT EXISTS) }",
        ),
        ("{ $.['plain'] = 1 }", "{ $.plain = 1 }"),
        ("{ $.['a.b'].c = 1 }", "{ $.['a.b'].c = 1 }"),
        ("[ a,b = 1||b = 2 ,... ]", "[a, b = 1 || b = 2, ...]"),
        ("  ERROR   -\"x\"  ", "ERROR -\"x\""),
        ("\" \"", ""),
        ("  %a b%  ", "%a b%"),
    ];
    for (input, canonical) in cases {
        assert_eq!(Pattern::parse(input).unwrap().to_string(), canonical);
    }
}

/// Deterministic xorshift64* generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const ALPHABET: &[char] = &[
    '{', '}', '[', ']', '(', ')', '$', '.', '*', '"', '\'', '%', '\\', '&', '|', '=', '!', '<',
    '>', ',', ' ', '-', '?', '^', 'a', 'Z', '0', '9', 'e', '+', '_', ':', '/', 'é', '\t', 'I', 'S',
    'N', 'O', 'T',
];

fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..=rng.below(3) {
        let pos = rng.below(chars.len() + 1);
        match rng.below(3) {
            0 => chars.insert(pos, ALPHABET[rng.below(ALPHABET.len())]),
            1 if pos < chars.len() => {
                chars.remove(pos);
            }
            _ if pos < chars.len() => chars[pos] = ALPHABET[rng.below(ALPHABET.len())],
            _ => chars.push(ALPHABET[rng.below(ALPHABET.len())]),
        }
    }
    chars.into_iter().collect()
}

// Property: mutated patterns never make the parser panic; whatever parses round-trips,
// evaluates, explains and lints without panicking, and the prefilter stays conservative.
#[test]
fn mutation_never_panics_and_round_trips() {
    let patterns = valid_patterns();
    let events = all_events();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut parsed = 0;
    for i in 0..6000 {
        let base = &patterns[rng.below(patterns.len())];
        let text = mutate(&mut rng, base);
        match Pattern::parse(&text) {
            Ok(p) => {
                parsed += 1;
                assert_round_trip(&p);
                let ev = &events[i % events.len()];
                let m = p.matches_text(ev);
                assert!(
                    !m || p.prefilter().may_match(ev.as_bytes()),
                    "{text} on {ev}"
                );
                let _ = p.explain(Some(&Event::from_text(ev))).to_string();
                let _ = p.lints();
            }
            Err(e) => {
                assert!(
                    e.column >= 1 && e.column <= text.chars().count() + 1,
                    "{text:?}: {e}"
                );
                assert!(!e.message.is_empty());
            }
        }
    }
    assert!(parsed > 1000, "only {parsed} mutants parsed");
}

// Prefilter: never false when matches() is true, over every test pattern and event.
#[test]
fn prefilter_is_conservative() {
    let patterns = valid_patterns();
    let events = all_events();
    let mut rejected = 0;
    for p in &patterns {
        let pat = Pattern::parse(p).unwrap();
        let pf = pat.prefilter();
        for ev in &events {
            let may = pf.may_match(ev.as_bytes());
            if pat.matches_text(ev) {
                assert!(may, "prefilter rejects a match: {p} on {ev}");
            }
            if !may {
                rejected += 1;
            }
        }
    }
    assert!(rejected > 1000, "prefilter rejected only {rejected}");
}

#[test]
fn prefilter_literals() {
    let lits = |p: &str| Pattern::parse(p).unwrap().prefilter().literals();
    let console = r#"{ $.eventName = "ConsoleLogin" && $.additionalEventData.MFAUsed = "No" }"#;
    assert_eq!(lits(console), vec![vec!["ConsoleLogin"], vec!["No"]]);
    assert_eq!(
        lits(r#"{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}"#),
        vec![vec!["UnauthorizedOperation", "AccessDenied"]]
    );
    assert_eq!(
        lits(r#"{ $.a = "arn:aws:iam::1/x" }"#),
        vec![vec!["arn:aws:iam::1"]]
    );
    assert!(lits(r#"{ $.a != "x" && $.b NOT EXISTS && $.c = 400 && $.d = %x% }"#).is_empty());
    assert!(lits(r#"{ $.a = "x" || $.b != "y" }"#).is_empty());
    assert!(lits("{ $.code = 4* }").is_empty());
    assert_eq!(lits("ERROR -DEBUG ?x"), vec![vec!["ERROR"]]);
    assert_eq!(lits("?x ?y"), vec![vec!["x", "y"]]);
    assert_eq!(lits("[ip, ..., request = *html*]"), vec![vec!["html"]]);
    assert_eq!(lits("[ip, s = a* || s = b*]"), vec![vec!["a", "b"]]);
    assert!(Pattern::parse("%abc%").unwrap().prefilter().is_trivial());
    assert!(Pattern::parse("").unwrap().prefilter().is_trivial());

    let pf = Pattern::parse(console).unwrap().prefilter();
    assert!(!pf.is_trivial());
    assert!(!pf.may_match(br#"{"eventName":"GetObject"}"#));
    assert!(pf.may_match(br#"{"eventName":"ConsoleLogin","additionalEventData":{"MFAUsed":"No"}}"#));
    // any \u escape may hide a literal: such events always pass
    assert!(pf.may_match(br#"{"eventName":"Console\u004cogin","x":"No"}"#));
}

// Explanations: one line per clause with its outcome and the actual value.
#[test]
fn explain_output() {
    let p = Pattern::parse(
        r#"{ $.eventName = "ConsoleLogin" && $.additionalEventData.MFAUsed = "No" }"#,
    )
    .unwrap();
    let ev = super::fixtures::seed("iam_user_mfa");
    let text = p.explain(Some(&Event::from_text(ev))).to_string();
    assert!(text.contains("result: no match"), "{text}");
    assert!(text.contains("✗ all of (&&) → false"), "{text}");
    assert!(
        text.contains(r#"  ✓ $.eventName = "ConsoleLogin": actual "ConsoleLogin" → true"#),
        "{text}"
    );
    assert!(
        text.contains(r#"  ✗ $.additionalEventData.MFAUsed = "No": actual "Yes" → false"#),
        "{text}"
    );
    let json = serde_json::to_value(p.explain(Some(&Event::from_text(ev)))).unwrap();
    assert_eq!(json["matched"], false);
    assert_eq!(json["kind"], "json");
    assert_eq!(json["root"]["children"][1]["detail"], "actual \"Yes\"");

    let bare = p.explain(None).to_string();
    assert!(
        bare.contains("· $.additionalEventData.MFAUsed = \"No\": exactly \"No\""),
        "{bare}"
    );
    assert!(!bare.contains('→'), "{bare}");

    let missing = Pattern::parse(
        r#"{ $.userIdentity.sessionContext.attributes.mfaAuthenticated != "true" }"#,
    )
    .unwrap()
    .explain(Some(&Event::from_text(ev)))
    .to_string();
    assert!(missing.contains(": missing → false"), "{missing}");

    let wild = Pattern::parse(r#"{ $.tags[*] = "b" }"#).unwrap();
    let w = wild
        .explain(Some(&Event::from_text(r#"{"tags":["a","b"]}"#)))
        .to_string();
    assert!(w.contains(r#"selected ["a", "b"] → true"#), "{w}");

    let text_ev = p.explain(Some(&Event::from_text("not json"))).to_string();
    assert!(
        text_ev.contains("the event is not a JSON object → false"),
        "{text_ev}"
    );

    let terms = Pattern::parse("ERROR -Exiting ?x").unwrap();
    let t = terms
        .explain(Some(&Event::from_text(super::tests::TEXT_1)))
        .to_string();
    assert!(t.contains("✓ contains \"ERROR\": found → true"), "{t}");
    assert!(
        t.contains("✗ does not contain \"Exiting\": found → false"),
        "{t}"
    );
    assert!(t.contains("ignored"), "{t}");

    let re = Pattern::parse("%code \\d%").unwrap();
    let r = re
        .explain(Some(&Event::from_text(super::tests::TEXT_1)))
        .to_string();
    assert!(r.contains("found \"code 1\" at byte 32 → true"), "{r}");

    let d = Pattern::parse("[ip, ..., status = 4*, size]").unwrap();
    let dt = d
        .explain(Some(&Event::from_text(super::tests::LOG_2)))
        .to_string();
    assert!(dt.contains("✗ space-delimited fields"), "{dt}");
    let dt = d
        .explain(Some(&Event::from_text("1.2.3.4 x y 404 10")))
        .to_string();
    assert!(dt.contains("✓ status = 4*: actual \"404\" → true"), "{dt}");
    assert!(dt.contains("✓ ...: actual [\"x\", \"y\"] → true"), "{dt}");
    let fixed = Pattern::parse("[a, b = 1]").unwrap();
    let ft = fixed.explain(Some(&Event::from_text("x 2 3"))).to_string();
    assert!(
        ft.contains("✗ field count: pattern has 2, event has 3 → false"),
        "{ft}"
    );
    assert!(ft.contains("✗ b = 1: actual \"2\" → false"), "{ft}");

    let all = Pattern::parse("")
        .unwrap()
        .explain(Some(&Event::from_text("x")));
    assert_eq!(all.matched, Some(true));
    assert_eq!(all.kind, PatternKind::MatchAll);
}

fn codes(p: &str) -> Vec<&'static str> {
    let mut c: Vec<&'static str> = Pattern::parse(p)
        .unwrap()
        .lints()
        .into_iter()
        .map(|l| l.code)
        .collect();
    c.sort();
    c
}

#[test]
fn lints() {
    let cis = |n: &str| CIS_PATTERNS.iter().find(|(x, _)| *x == n).unwrap().1;
    assert_eq!(codes(cis("cis_console_no_mfa")), vec!["mfa-used-case"]);
    // The SSO variant admits only IAM users, so root's "YES" cannot reach the comparison.
    assert!(codes(cis("cis_console_no_mfa_sso")).is_empty());
    assert_eq!(
        codes(r#"{ $.additionalEventData.MFAUsed != "Yes" }"#),
        vec!["mfa-used-case", "ne-on-optional-field"]
    );
    assert_eq!(
        codes(r#"{ $.additionalEventData.MFAUsed = "Yes" }"#),
        vec!["mfa-used-case"]
    );
    assert_eq!(
        codes(cis("api_activity_without_mfa")),
        vec!["ne-on-optional-field"]
    );
    assert!(codes(
        r#"{ $.userIdentity.sessionContext.attributes.mfaAuthenticated != "true" || $.userIdentity.sessionContext.attributes.mfaAuthenticated NOT EXISTS }"#
    )
    .is_empty());
    assert_eq!(
        codes(r#"{ $.errorCode != "AccessDenied" }"#),
        vec!["ne-on-optional-field"]
    );
    assert_eq!(
        codes(r#"{ $.userIdentity.invokedBy != "x" }"#),
        vec!["ne-on-optional-field"]
    );
    assert_eq!(
        codes(cis("cis_unauthorized_api")),
        vec!["and-or-precedence"]
    );
    assert!(codes(r#"{ $.a = 1 || ($.b = 2 && $.c = 3) }"#).is_empty());
    assert_eq!(
        codes(r#"{ $.a = 1 && $.b = 2 || $.c = 3 }"#),
        vec!["and-or-precedence"]
    );
    assert_eq!(codes("{ $.a = true }"), vec!["unquoted-value"]);
    assert_eq!(codes("{ $.a = null }"), vec!["unquoted-value"]);
    assert_eq!(codes("{ $.a = foo_bar }"), vec!["unquoted-value"]);
    assert_eq!(codes("{ $.a = us-east-1 }"), vec!["unquoted-value"]);
    assert_eq!(codes("[a = x-y]"), vec!["unquoted-value"]);
    assert!(codes("{ $.a = kms.amazonaws.com && $.b = -5 && $.c = 1e+3 && $.d = *.x }").is_empty());
    for (name, p) in CIS_PATTERNS.iter().chain(CIS_NAME_LIST_PATTERNS) {
        let c = codes(p);
        let expected: &[&str] = match *name {
            "cis_console_no_mfa" => &["mfa-used-case"],
            "api_activity_without_mfa" => &["ne-on-optional-field"],
            "cis_unauthorized_api" => &["and-or-precedence"],
            _ => &[],
        };
        assert_eq!(c, expected, "{name}");
    }
    let l = Pattern::parse(cis("cis_unauthorized_api")).unwrap().lints();
    assert!(l[0].message.starts_with("column 43: "), "{}", l[0].message);
    assert!(l[0].message.contains(
        r#"($.errorCode = "*UnauthorizedOperation") || (($.errorCode = "AccessDenied*") && "#
    ));
    let json = serde_json::to_value(&l[0]).unwrap();
    assert_eq!(json["code"], "and-or-precedence");
}

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

struct Counting;

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

// Evaluating a JSON pattern against a parsed value allocates nothing.
#[test]
fn json_evaluation_does_not_allocate() {
    let mut cases: Vec<(Pattern, String, serde_json::Value)> = Vec::new();
    for (p, ev, _) in JSON_TABLE.iter().chain(DECISION_TABLE) {
        let pat = Pattern::parse(p).unwrap();
        if pat.kind() != PatternKind::Json {
            continue;
        }
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(ev.trim()) {
            cases.push((pat, ev.to_string(), v));
        }
    }
    for (name, p) in CIS_PATTERNS {
        let pat = Pattern::parse(p).unwrap();
        for (_, ev) in SEED_EVENTS {
            let v: serde_json::Value = serde_json::from_str(ev).unwrap();
            cases.push((pat.clone(), ev.to_string(), v));
        }
        let _ = name;
    }
    for (pat, raw, value) in &cases {
        let event = Event::from_json(raw, value);
        let warm = pat.matches(&event);
        let before = allocations();
        let again = pat.matches(&event);
        let used = allocations() - before;
        assert_eq!(warm, again);
        assert_eq!(used, 0, "{} on {raw} allocated {used} times", pat.source());
    }
}
