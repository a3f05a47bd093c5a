//! Rule-by-rule tests. Each table cites the AWS CloudWatch Logs User Guide page it pins:
//! "Filter pattern syntax for metric filters, subscription filters, filter log events, and Live
//! Tail" (the main page) and its sub-pages "Using filter patterns to match terms in
//! unstructured log events", "... match terms in JSON log events" and "... match terms in
//! space-delimited log events". Points the docs leave open are marked "decision" and described
//! in docs/pattern-language.md.

use super::fixtures::{seed, CIS_NAME_LIST_PATTERNS, CIS_PATTERNS, SEED_EVENTS};
use super::{Pattern, PatternKind};

pub(super) fn check(p: &str, event: &str) -> bool {
    Pattern::parse(p)
        .unwrap_or_else(|e| panic!("{p}: {e}"))
        .matches_text(event)
}

fn run_table(table: &[(&str, &str, bool)]) {
    for (p, ev, want) in table {
        assert_eq!(check(p, ev), *want, "pattern {p} on event {ev}");
    }
}

pub(super) const TEXT_1: &str = "[ERROR] 2024-01-01 Exiting with code 1";
pub(super) const TEXT_2: &str = "INFO all good ERRORCODE=0";

// Main page: the empty pattern, "" and " " match every event; " " is not "contains a space".
pub(super) const MATCH_ALL: &[&str] = &["", "\"\"", "\" \"", "   ", " \"  \" "];

#[test]
fn match_all_patterns() {
    for p in MATCH_ALL {
        let pat = Pattern::parse(p).unwrap();
        assert_eq!(pat.kind(), PatternKind::MatchAll, "{p:?}");
        for ev in ["", "nospace", TEXT_1, r#"{"a":1}"#] {
            assert!(pat.matches_text(ev), "{p:?} on {ev:?}");
        }
    }
}

// Main page: `{` starts a JSON pattern, `[` a space-delimited one, `%...%` alone is a regex,
// anything else is a term pattern.
#[test]
fn kinds() {
    let cases = [
        ("{ $.a = 1 }", PatternKind::Json),
        ("  [a, b]", PatternKind::Delimited),
        ("%abc%", PatternKind::Regex),
        ("ERROR", PatternKind::Terms),
        ("\"%abc%\"", PatternKind::Terms),
        ("-x", PatternKind::Terms),
    ];
    for (p, k) in cases {
        assert_eq!(Pattern::parse(p).unwrap().kind(), k, "{p}");
    }
}

// "Using filter patterns to match terms in unstructured log events": case-sensitive substring
// terms (also inside words), AND of terms, "exact phrase", -exclusion, ?optional (only ?: OR;
// mixed with plain terms: ignored).
pub(super) const TERMS_TABLE: &[(&str, &str, bool)] = &[
    ("ERROR", TEXT_1, true),
    ("ERROR", TEXT_2, true),
    ("error", TEXT_1, false),
    ("ERROR Exiting", TEXT_1, true),
    ("ERROR Exiting", TEXT_2, false),
    ("ERROR -Exiting", TEXT_1, false),
    ("ERROR -Exiting", TEXT_2, true),
    ("\"Exiting with\"", TEXT_1, true),
    ("\"with Exiting\"", TEXT_1, false),
    ("Exiting    with", TEXT_1, true),
    ("?Exiting ?good", TEXT_1, true),
    ("?Exiting ?good", TEXT_2, true),
    ("?nothing ?zzz", TEXT_1, false),
    ("ERROR ?nothing", TEXT_1, true),
    ("ERROR ?nothing", TEXT_2, true),
    ("INFO ?Exiting", TEXT_1, false),
    ("-DEBUG", TEXT_1, true),
    ("-ERROR", TEXT_2, false),
    ("?Exiting -ERROR", TEXT_1, false),
    ("?good -Exiting", TEXT_2, true),
    ("\"[ERROR]\"", TEXT_1, true),
    ("x[ERROR]", TEXT_1, false),
    ("-\"code 1\"", TEXT_1, false),
    ("?\"code 1\" ?zzz", TEXT_1, true),
    ("\"%ERROR%\"", TEXT_1, false),
    ("ERRORCODE=0", TEXT_2, true),
    ("ConsoleLogin", r#"{"eventName":"ConsoleLogin"}"#, true),
    ("\"a \\\"q\\\"\"", "say a \"q\" now", true),
];

#[test]
fn terms() {
    run_table(TERMS_TABLE);
}

// Main page, regular expressions: `%...%` alone is an unanchored search; `^`/`$` anchor to the
// event; escapes \d \s \w and classes.
pub(super) const REGEX_TABLE: &[(&str, &str, bool)] = &[
    ("%ERROR%", TEXT_1, true),
    ("%ERROR%", TEXT_2, true),
    ("%^INFO%", TEXT_1, false),
    ("%^INFO%", TEXT_2, true),
    ("%code \\d$%", TEXT_1, true),
    ("%ERROR[A-Z]+%", TEXT_1, false),
    ("%ERROR[A-Z]+%", TEXT_2, true),
    ("%exiting%", TEXT_1, false),
    ("%\\[ERROR\\]\\s\\d{4}-%", TEXT_1, true),
    ("%good|bad%", TEXT_2, true),
    ("  %^\\w+ all%  ", TEXT_2, true),
];

#[test]
fn regexes() {
    run_table(REGEX_TABLE);
}

pub(super) const EV_USERS: &str = r#"{"users":[1,2,3]}"#;
pub(super) const EV_LAT: &str = r#"{"latency":50,"bandwidth":80,"user":{"id":1,"name":"alice"}}"#;
pub(super) const EV_MIX: &str =
    r#"{"a.b":"dotted","arr":[{"id":"x"},{"id":"y"}],"n":null,"t":true,"f":false,"s":"true"}"#;
pub(super) const EV_NUM: &str =
    r#"{"code":400,"codeStr":"400","neg":-1.5,"big":1e+3,"small":0.01,"tags":["a","b"]}"#;
pub(super) const EV_STR: &str = r#"{"ip":"123.123.9.1","type":"c5.8xlarge","empty":"","obj":{},"list":[],"q":"say \"hi\"","star":"a*b","path":"c:\\dir"}"#;
pub(super) const EV_ESC: &str = r#"{"eventName":"Con\u0073oleLogin","x":"y"}"#;

// "Using filter patterns to match terms in JSON log events".
pub(super) const JSON_TABLE: &[(&str, &str, bool)] = &[
    // numbers, `*` matching numbers
    ("{ $.latency = 50 }", EV_LAT, true),
    ("{ $.latency = * }", EV_LAT, true),
    ("{ $.latency = \"*\" }", EV_LAT, true),
    // a selector landing on an array matches neither = nor !=
    ("{ $.users = 1 }", EV_USERS, false),
    ("{ $.users != 1 }", EV_USERS, false),
    ("{ $.users = * }", EV_USERS, false),
    // indexes, wrong index, wildcards
    ("{ $.users[0] = 1 }", EV_USERS, true),
    ("{ $.users[1] = 2 }", EV_USERS, true),
    ("{ $.users[5] = 1 }", EV_USERS, false),
    ("{ $.users[*] = 3 }", EV_USERS, true),
    ("{ $.users[*] = 4 }", EV_USERS, false),
    ("{ $.users.* = 1 }", EV_USERS, false),
    ("{ $.user.id = 1 }", EV_LAT, true),
    ("{ $.user[0] = 1 }", EV_LAT, false),
    // strings: exact, case-sensitive, quoted = unquoted
    ("{ $.user.name = \"alice\" }", EV_LAT, true),
    ("{ $.user.name = alice }", EV_LAT, true),
    ("{ $.user.name = \"Alice\" }", EV_LAT, false),
    ("{ $.user.name = \"alic\" }", EV_LAT, false),
    ("{ $.user.name != \"bob\" }", EV_LAT, true),
    ("{ $.user.name != alice }", EV_LAT, false),
    // property names are case-sensitive; descending into a non-object gives no match
    ("{ $.User.name = \"alice\" }", EV_LAT, false),
    ("{ $.user.name.first = \"alice\" }", EV_LAT, false),
    // != on a missing property does not match (observed); NOT EXISTS tests absence
    ("{ $.missing != \"x\" }", EV_LAT, false),
    ("{ $.missing NOT EXISTS }", EV_LAT, true),
    ("{ $.user NOT EXISTS }", EV_LAT, false),
    ("{ $.user.missing NOT EXISTS }", EV_LAT, true),
    // IS NULL / IS TRUE / IS FALSE
    ("{ $.n IS NULL }", EV_MIX, true),
    ("{ $.missing IS NULL }", EV_MIX, false),
    ("{ $.t IS TRUE }", EV_MIX, true),
    ("{ $.f IS FALSE }", EV_MIX, true),
    ("{ $.t IS FALSE }", EV_MIX, false),
    ("{ $.n IS FALSE }", EV_MIX, false),
    // selectors for dotted keys and wildcards
    ("{ $.['a.b'] = \"dotted\" }", EV_MIX, true),
    ("{ $.[\"a.b\"] = dotted }", EV_MIX, true),
    ("{ $.arr[*].id = \"y\" }", EV_MIX, true),
    ("{ $.arr[1].id = \"y\" }", EV_MIX, true),
    ("{ $.arr[0].id = \"y\" }", EV_MIX, false),
    ("{ $.arr[*].id = \"z\" }", EV_MIX, false),
    ("{ $.user.* = \"alice\" }", EV_LAT, true),
    ("{ $.*.id = 1 }", EV_LAT, true),
    ("{ $.*.id = 2 }", EV_LAT, false),
    // relational operators, number forms
    ("{ $.bandwidth > 75 }", EV_LAT, true),
    ("{ $.bandwidth < 75 }", EV_LAT, false),
    ("{ $.bandwidth >= 80 }", EV_LAT, true),
    ("{ $.bandwidth <= 79 }", EV_LAT, false),
    ("{ $.bandwidth != 80 }", EV_LAT, false),
    ("{ $.bandwidth != 81 }", EV_LAT, true),
    ("{ $.big = 1000 }", EV_NUM, true),
    ("{ $.big = 1e+3 }", EV_NUM, true),
    ("{ $.big = +1000 }", EV_NUM, true),
    ("{ $.small = 10e-3 }", EV_NUM, true),
    ("{ $.neg < -1 }", EV_NUM, true),
    ("{ $.neg = -1.5 }", EV_NUM, true),
    ("{ $.neg > -1.5 }", EV_NUM, false),
    ("{ $.code = 4* }", EV_NUM, true),
    ("{ $.code = 5* }", EV_NUM, false),
    ("{ $.code > 399 && $.code < 401 }", EV_NUM, true),
    ("{ $.user.name > 1 }", EV_LAT, false),
    // wildcards in strings (AWS publishes 123.123.* and *.8xlarge unquoted)
    ("{ $.ip = 123.123.* }", EV_STR, true),
    ("{ $.ip = \"123.124.*\" }", EV_STR, false),
    ("{ $.type = *.8xlarge }", EV_STR, true),
    ("{ $.type = c5.* }", EV_STR, true),
    ("{ $.type = c*.8*large }", EV_STR, true),
    ("{ $.empty = \"\" }", EV_STR, true),
    ("{ $.empty = * }", EV_STR, true),
    ("{ $.obj = * }", EV_STR, false),
    ("{ $.list != 1 }", EV_STR, false),
    // && / || / parentheses; precedence () > && > ||
    ("{ $.code = 400 || $.nope = 1 }", EV_NUM, true),
    (
        "{ $.code = 400 || $.code = 1 && $.codeStr = \"x\" }",
        EV_NUM,
        true,
    ),
    (
        "{ ($.code = 400 || $.code = 1) && $.codeStr = \"x\" }",
        EV_NUM,
        false,
    ),
    (
        "{ $.code = 1 && $.codeStr = \"x\" || $.neg < 0 }",
        EV_NUM,
        true,
    ),
    ("{ (($.code = 400)) }", EV_NUM, true),
    ("{$.code=400&&$.codeStr=\"400\"}", EV_NUM, true),
    // regex values, anchored to the field value
    ("{ $.user.name = %^ali% }", EV_LAT, true),
    ("{ $.user.name = %^lice% }", EV_LAT, false),
    ("{ $.user.name = %ice$% }", EV_LAT, true),
    ("{ $.user.name != %bob% }", EV_LAT, true),
    ("{ $.user.name != %li% }", EV_LAT, false),
    ("{ $.code = %^4\\d\\d$% }", EV_NUM, true),
    ("{ $.missing != %x% }", EV_NUM, false),
    // \u escapes in the event are decoded before comparison
    ("{ $.eventName = \"ConsoleLogin\" }", EV_ESC, true),
    // a JSON pattern never matches an event that is not a JSON object
    ("{ $.a = * }", "plain text", false),
    ("{ $.a = * }", "[1, 2, 3]", false),
    ("{ $.a NOT EXISTS }", "{not json", false),
    ("{ $.a NOT EXISTS }", "", false),
];

#[test]
fn json_rules() {
    run_table(JSON_TABLE);
}

// Decisions for the points the docs leave open (see docs/pattern-language.md).
pub(super) const DECISION_TABLE: &[(&str, &str, bool)] = &[
    // decision: `= 400` and `= "400"` are the same value: numeric against numbers, exact text
    // against strings
    ("{ $.code = 400 }", EV_NUM, true),
    ("{ $.codeStr = 400 }", EV_NUM, true),
    ("{ $.code = \"400\" }", EV_NUM, true),
    ("{ $.code = 400.0 }", EV_NUM, true),
    ("{ $.codeStr = 400.0 }", EV_NUM, false),
    ("{ $.codeStr > 399 }", EV_NUM, false),
    // decision: `= "*"` matches numbers, like `= *`
    ("{ $.code = \"*\" }", EV_NUM, true),
    // decision: comparisons with null never hold; only IS NULL sees null
    ("{ $.n = null }", EV_MIX, false),
    ("{ $.n = \"null\" }", EV_MIX, false),
    ("{ $.n != \"x\" }", EV_MIX, false),
    ("{ $.n = * }", EV_MIX, false),
    ("{ $.n > 0 }", EV_MIX, false),
    // decision: IS TRUE is the JSON boolean only; `= true` is the string "true"
    ("{ $.s IS TRUE }", EV_MIX, false),
    ("{ $.s = true }", EV_MIX, true),
    ("{ $.t = true }", EV_MIX, false),
    ("{ $.t = * }", EV_MIX, true),
    ("{ $.t != \"x\" }", EV_MIX, true),
    // decision: a regex matches strings and numbers' text, never booleans or null
    ("{ $.t = %true% }", EV_MIX, false),
    ("{ $.s = %^tr% }", EV_MIX, true),
    ("{ $.n = %.% }", EV_MIX, false),
    // decision: NOT EXISTS is false on a present null
    ("{ $.n NOT EXISTS }", EV_MIX, false),
    // decision: != with a wildcard selector holds when some selected value differs
    ("{ $.tags[*] != \"a\" }", EV_NUM, true),
    ("{ $.tags[*] != \"c\" }", EV_NUM, true),
    ("{ $.users[*] != 1 }", EV_USERS, true),
    ("{ $.tags[0] != \"a\" }", EV_NUM, false),
    ("{ $.tags[*] NOT EXISTS }", EV_NUM, false),
    ("{ $.list[*] NOT EXISTS }", EV_STR, true),
    ("{ $.list[*] != \"x\" }", EV_STR, false),
    // decision: in quoted strings \" is a quote, \\ a backslash, \* a literal star
    ("{ $.q = \"say \\\"hi\\\"\" }", EV_STR, true),
    ("{ $.star = \"a\\*b\" }", EV_STR, true),
    ("{ $.ip = \"123\\*\" }", EV_STR, false),
    ("{ $.path = \"c:\\\\dir\" }", EV_STR, true),
    ("{ $.path = \"c:\\dir\" }", EV_STR, true),
    // decision: text before the JSON object makes the event plain text
    (
        "{ $.eventName = \"ConsoleLogin\" }",
        "prefix {\"eventName\":\"ConsoleLogin\"}",
        false,
    ),
    (
        "{ $.eventName = \"ConsoleLogin\" }",
        "  {\"eventName\":\"ConsoleLogin\"}  ",
        true,
    ),
];

#[test]
fn decisions() {
    run_table(DECISION_TABLE);
}

pub(super) const LOG_1: &str =
    "127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 1534";
pub(super) const LOG_2: &str =
    "127.0.0.1 - bob [10/Oct/2000:13:25:16 -0700] \"GET /index.html HTTP/1.0\" 404 99 extra";
pub(super) const LOG_3: &str =
    "10.0.0.1 - - [11/Oct/2000:00:00:00 +0000] \"POST /login HTTP/1.1\" 500 -";

const ALL7: &str = "[ip, id, user, timestamp, request, status_code, size]";

// "Using filter patterns to match terms in space-delimited log events": fields split on
// spaces, [..] and ".." group one field, named fields, `...`, per-field conditions.
pub(super) const DELIMITED_TABLE: &[(&str, &str, bool)] = &[
    (ALL7, LOG_1, true),
    (ALL7, LOG_3, true),
    // decision: extra words make the event not match unless the pattern has `...`
    (ALL7, LOG_2, false),
    (
        "[ip, id, user, timestamp, request, status_code, ...]",
        LOG_2,
        true,
    ),
    (
        "[ip, id, user, timestamp, request, status_code = 200, size]",
        LOG_1,
        true,
    ),
    (
        "[ip, id, user, timestamp, request, status_code = 200, size]",
        LOG_3,
        false,
    ),
    (
        "[ip, id, user, timestamp, request, status_code = 4* || status_code = 5*, ...]",
        LOG_1,
        false,
    ),
    (
        "[ip, id, user, timestamp, request, status_code = 4* || status_code = 5*, ...]",
        LOG_2,
        true,
    ),
    (
        "[ip, id, user, timestamp, request, status_code = 4* || status_code = 5*, ...]",
        LOG_3,
        true,
    ),
    ("[ip = 127.0.0.1, ...]", LOG_1, true),
    ("[ip = 127.0.0.1, ...]", LOG_3, false),
    ("[..., status_code >= 400, size]", LOG_1, false),
    ("[..., status_code >= 400, size]", LOG_2, false),
    ("[..., status_code >= 400, size]", LOG_3, true),
    ("[..., status_code >= 400, size, extra]", LOG_2, true),
    ("[..., status_code < 400, size, extra]", LOG_2, false),
    ("[ip, id, user = frank, ...]", LOG_1, true),
    ("[ip, id, user != frank, ...]", LOG_1, false),
    ("[ip, id, user != frank, ...]", LOG_2, true),
    ("[ip, id, user, timestamp = %^10/Oct%, ...]", LOG_1, true),
    ("[ip, id, user, timestamp = %^10/Oct%, ...]", LOG_3, false),
    (
        "[ip, id, user, timestamp = \"10/Oct/2000:13:25:15 -0700\", ...]",
        LOG_1,
        true,
    ),
    (
        "[ip, id, user, timestamp, request = *html* && request != \"GET /products/*\", ...]",
        LOG_2,
        true,
    ),
    (
        "[ip, id, user, timestamp, request = *html* && request != \"GET /index*\", ...]",
        LOG_2,
        false,
    ),
    (
        "[ip, id, user, timestamp, request = \"POST *\", ...]",
        LOG_3,
        true,
    ),
    ("[...]", LOG_1, true),
    ("[...]", "", true),
    ("[ip, ...]", "", false),
    ("[..., size = 1534]", LOG_1, true),
    ("[ip, ..., size = -]", LOG_3, true),
    ("[..., status_code = 404, ...]", LOG_2, true),
    ("[..., status_code = 404, ...]", LOG_1, false),
    (
        "[ip, id, user, ..., status_code = 200, size = 1534]",
        LOG_1,
        true,
    ),
    ("[a, b]", "x\ty", true),
    ("[a = x, b = y]", "  x   y  ", true),
];

#[test]
fn delimited() {
    run_table(DELIMITED_TABLE);
}

fn matching_seeds(p: &str) -> Vec<&'static str> {
    let pat = Pattern::parse(p).unwrap_or_else(|e| panic!("{p}: {e}"));
    SEED_EVENTS
        .iter()
        .filter(|(_, json)| pat.matches_text(json))
        .map(|(name, _)| *name)
        .collect()
}

fn cis(name: &str) -> &'static str {
    CIS_PATTERNS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, p)| *p)
        .unwrap()
}

// The seed records (CloudTrail User Guide sign-in examples) against the documented alarms.
#[test]
fn seed_facts() {
    let root_mfa = seed("root_mfa");
    assert!(root_mfa.contains("\"MFAUsed\": \"YES\""));
    // CIS's `MFAUsed != "Yes"` fires on the MFA-protected root sign-in.
    assert!(check(cis("cis_console_no_mfa"), root_mfa));
    assert_eq!(
        matching_seeds(cis("cis_console_no_mfa")),
        vec![
            "iam_user_no_mfa",
            "root_no_mfa",
            "root_mfa",
            "root_failed",
            "classic_login_no_mfa",
            "classic_login_failed"
        ]
    );
    // `mfaAuthenticated != "true"` fires on root EnableMFADevice ("false") and on no console
    // sign-in record (they have no sessionContext).
    assert_eq!(
        matching_seeds(cis("api_activity_without_mfa")),
        vec!["root_enable_mfa_device"]
    );
    assert_eq!(
        matching_seeds(cis("console_sign_in_without_mfa")),
        vec![
            "iam_user_no_mfa",
            "root_no_mfa",
            "root_failed",
            "classic_login_no_mfa",
            "classic_login_failed"
        ]
    );
    let root = vec![
        "root_no_mfa",
        "root_mfa",
        "root_failed",
        "root_enable_mfa_device",
        "root_password_updated",
    ];
    assert_eq!(matching_seeds(cis("root_account_usage")), root);
    assert_eq!(matching_seeds(cis("securityhub_root")), root);
    assert_eq!(
        matching_seeds(cis("cis_console_auth_failures")),
        vec!["iam_user_failed", "root_failed", "classic_login_failed"]
    );
    assert_eq!(
        matching_seeds(cis("cis_console_no_mfa_sso")),
        vec!["iam_user_no_mfa", "classic_login_no_mfa"]
    );
    assert!(matching_seeds(cis("cis_unauthorized_api")).is_empty());
    assert!(
        matching_seeds(r#"{ $.eventName = "CheckMfa" && $.additionalEventData.MfaType = "U2F*" }"#)
            == vec!["check_mfa_single"]
    );
    assert_eq!(
        matching_seeds(r#"{ $.userIdentity.accessKeyId = "" && $.userIdentity.type = Root }"#),
        vec![
            "root_no_mfa",
            "root_mfa",
            "root_failed",
            "root_password_updated"
        ]
    );
    assert_eq!(
        matching_seeds(r#""\"MFAUsed\": \"YES\"""#),
        vec!["root_mfa"]
    );
}

// monitoring-setup §4-5: every CIS / Security Hub pattern parses.
#[test]
fn cis_patterns_parse() {
    for (name, p) in CIS_PATTERNS.iter().chain(CIS_NAME_LIST_PATTERNS) {
        let pat = Pattern::parse(p).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(pat.kind(), PatternKind::Json, "{name}");
        assert!(p.chars().count() <= 1024, "{name}");
    }
    let cmk = Pattern::parse(cis("cis_cmk_disable")).unwrap();
    assert!(cmk
        .matches_text(r#"{"eventSource":"kms.amazonaws.com","eventName":"ScheduleKeyDeletion"}"#));
    assert!(!cmk.matches_text(r#"{"eventSource":"kms.amazonaws.com","eventName":"EnableKey"}"#));
    let unauthorized = Pattern::parse(cis("cis_unauthorized_api")).unwrap();
    // precedence: the exclusions apply only to the AccessDenied* branch
    assert!(unauthorized
        .matches_text(r#"{"errorCode":"Client.UnauthorizedOperation","eventName":"HeadBucket"}"#));
    assert!(!unauthorized.matches_text(
        r#"{"errorCode":"AccessDenied","eventName":"HeadBucket","sourceIPAddress":"1.2.3.4"}"#
    ));
    assert!(unauthorized.matches_text(
        r#"{"errorCode":"AccessDenied","eventName":"GetObject","sourceIPAddress":"1.2.3.4"}"#
    ));
    assert!(!unauthorized.matches_text(r#"{"errorCode":"AccessDenied","eventName":"GetObject","sourceIPAddress":"delivery.logs.amazonaws.com"}"#));
    let routes = CIS_NAME_LIST_PATTERNS
        .iter()
        .find(|(n, _)| *n == "cis_route_tables")
        .map(|(_, p)| Pattern::parse(p).unwrap())
        .unwrap();
    assert!(routes.matches_text(r#"{"eventSource":"ec2.amazonaws.com","eventName":"CreateRoute"}"#));
    assert!(!routes.matches_text(r#"{"eventSource":"ec2.amazonaws.com","eventName":"CreateVpc"}"#));
}

#[test]
fn patterns_are_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Pattern>();
    assert_send_sync::<super::Prefilter>();
    assert_send_sync::<super::Explanation>();
}
