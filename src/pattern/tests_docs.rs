//! Every example on AWS's CloudWatch Logs filter-pattern pages, current and older revisions:
//! the pattern exactly as the page prints it, the log event it is shown with, and whether the
//! page says it matches. Where a page prints a pattern without an event, the event is ours and
//! the row says so.
//!
//! Pages (the English text; docs.amazonaws.cn and the localized copies carry the same examples):
//!
//! - [`OLD`]: "Filter and Pattern Syntax", 2018-2021 revisions. Archived as
//!   `doc_source/FilterAndPatternSyntax.md` in awsdocs/amazon-cloudwatch-logs-user-guide
//!   (commits e9343db 2018-03 to 5f9d4b2 2021-12).
//! - [`V2022`]: "Filter and pattern syntax", 2022 revision (same repository, commit 5bd7d24): the
//!   sections "Using filter patterns to match terms in log events", "Using metric filters to match
//!   terms and extract values from JSON log events" and "Using metric filters to extract values
//!   from space-delimited log events".
//! - [`V2023`]: "Filter pattern syntax for metric filters, subscription filters, filter log
//!   events, and Live Tail", 2023-2024 revision, which held the regex, unstructured, JSON and
//!   space-delimited sections on one page.
//! - [`JSON_2025`] and [`UNSTRUCTURED_2025`]: the current sub-pages "Using filter patterns to
//!   match terms in JSON log events" and "... in unstructured log events". (The unstructured
//!   page's address is assumed to follow the JSON page's naming.) The current space-delimited
//!   sub-page could not be read in full; its examples are those of [`V2023`].
//! - The metric-filter example pages "Example: Count log events", "Example: Count occurrences of
//!   a term", "Example: Count HTTP 404 codes" and "Example: Extract fields from an Apache log and
//!   assign dimensions".
//!
//! Rows marked "contradiction" are examples the engine does not reproduce because the pages
//! disagree with each other (or a page with itself); the row pins the behaviour
//! docs/pattern-language.md documents and says why. Printed patterns that are not valid are in
//! [`INVALID_EXAMPLES`], each with the reason.

use super::{Event, Pattern, PatternKind};

/// `(page, pattern as printed, event, matches)`.
type Row = (&'static str, &'static str, &'static str, bool);

const OLD: &str = "Filter and Pattern Syntax (2018-2021), \
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html";
const V2022: &str = "Filter and pattern syntax (2022), \
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html";
const V2023: &str = "Filter pattern syntax for metric filters, subscription filters, filter log \
    events, and Live Tail (2023-2024), \
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html";
const JSON_2025: &str = "Using filter patterns to match terms in JSON log events, \
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/matching-terms-json-log-events.html";
const UNSTRUCTURED_2025: &str = "Using filter patterns to match terms in unstructured log \
    events, https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/matching-terms-unstructured-log-events.html";
const COUNT_EVENTS: &str = "Example: Count log events, \
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CountingLogEventsExample.html";
const COUNT_TERM: &str = "Example: Count occurrences of a term, \
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CountOccurrencesExample.html";
const COUNT_404: &str = "Example: Count HTTP 404 codes, \
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/Counting404Responses.html";
const EXTRACT_BYTES: &str = "Example: Extract fields from an Apache log and assign dimensions, \
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/ExtractBytesExample.html";

// ---------------------------------------------------------------------------------------------
// Events, as the pages print them. The JSON pages ask for their multi-line example events to be
// entered on one line, so they are written on one line here.

const FATAL: &str = "[ERROR] A fatal exception has occurred";
const EXITING: &str = "Exiting with ERRORCODE: -1";
const CAUGHT: &str = "[ERROR] Caught IllegalArgumentException";
const UNHANDLED: &str = "[ERROR] Unhandled Exception";
const UNHANDLED_MIXED: &str = "[Error] Unhandled Exception";
const WARN_FAILED: &str = "[WARN] Failed to process the request";
const UNABLE: &str = "[ERROR] Unable to continue: Failed to process the request";
const ERROR_WARN: &str = "ERROR WARN message";
const ERROR_ONLY: &str = "ERROR message";
const WARN_ONLY: &str = "WARN message";
const FOO_BAR: &str = r#"{"foo": "bar"}"#;
const FOO_BAZ: &str = r#"{"foo": "baz"}"#;

const OLD_JSON: &str = r#"{"eventType": "UpdateTrail", "sourceIPAddress": "111.111.111.111", "arrayKey": ["value", "another value"], "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}], "SomeObject": null, "ThisFlag": true}"#;
const USERS: &str = r#"{"user": {"id": 1, "email": "John.Stiles@example.com"}, "users": [{"id": 2, "email": "John.Doe@example.com"}, {"id": 3, "email": "Jane.Doe@example.com"}], "actions": ["GET", "PUT", "DELETE"], "coordinates": [[0, 1, 2], [4, 5, 6], [7, 8, 9]]}"#;
const USERS_ARRAY: &str = r#"{"users": [1, 2, 3]}"#;
const LATENCY: &str = r#"{"latency": 50, "requestType": "GET"}"#;

const APACHE_1: &str =
    r#"127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534"#;
const APACHE_2: &str =
    r#"127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /apache_pb.gif HTTP/1.0" 500 5324"#;
const APACHE_3: &str =
    r#"127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET /apache_pb.gif HTTP/1.0" 200 4355"#;
/// Printed with backslashes before the quotes, as if copied out of a JSON string.
const APACHE_ESCAPED: &str =
    r#"127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] \"GET /index.html HTTP/1.0\" 404 1534"#;

const ERR_400: &str = "[ERROR 400] BAD REQUEST";
const ERR_401: &str = "[ERROR 401] UNAUTHORIZED REQUEST";
const ERR_419: &str = "[ERROR 419] MISSING ARGUMENTS";
const ERR_420: &str = "[ERROR 420] INVALID ARGUMENTS";
const ERR_500: &str = "[ERROR 500] INTERNAL SERVER ERROR";
const SUCCESS_200: &str = "[SUCCESS 200] AUTHORIZED REQUEST";
const INFO_FAILED: &str = "[INFO] REQUEST FAILED";
const WARN_UNAUTHORIZED: &str = "[WARN] UNAUTHORIZED REQUEST";
const ERR_400_BARE: &str = "[ERROR] 400 BAD REQUEST";
const INFO_PROVIDED: &str = "[INFO] INVALID ARGUMENTS PROVIDED";

const V2022_JSON: &str = r#"{"eventType": "UpdateTrail", "sourceIPAddress": "111.111.111.111", "arrayKey": ["value", "another value"], "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}], "SomeObject": null}"#;
const V2022_DIMENSIONS_JSON: &str = r#"{"eventType": "UpdateTrail", "sourceIPAddress": "111.111.111.111", "arrayKey": ["value", "another value"], "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}]}"#;
const V2023_JSON: &str = r#"{"eventType": "UpdateTrail", "sourceIPAddress": "111.111.111.111", "arrayKey": ["value", "another value"], "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}], "SomeObject": null, "cluster.name": "c"}"#;
const PROD: &str =
    r#"127.0.0.1 Prod frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534"#;

const SVC_GET: &str = "INFO 09/25/2014 12:00:00 GET /service/resource/67 1200";
const SVC_POST: &str = "INFO 09/25/2014 12:00:01 POST /service/resource/67/part/111 1310";
const SVC_WARNING: &str = "WARNING 09/25/2014 12:00:02 Invalid user request";
const SVC_ERROR: &str = "ERROR 09/25/2014 12:00:02 Failed to process request";

const FRANK_404: &str =
    r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 404 2326"#;
const BOB_404: &str =
    r#"127.0.0.1 - bob [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 404 2326"#;
const BOB_200: &str =
    r#"127.0.0.1 - bob [10/Oct/2000:13:55:36 -0700] "GET /apache_pb2.gif HTTP/1.0" 200 2326"#;
const BYTES_LINES: &[&str] = &[
    r#"127.0.0.1 - - [24/Sep/2013:11:49:52 -0700] "GET /index.html HTTP/1.1" 404 287"#,
    r#"127.0.0.1 - - [24/Sep/2013:11:50:51 -0700] "GET /~test/ HTTP/1.1" 200 3"#,
    r#"127.0.0.1 - - [24/Sep/2013:11:50:51 -0700] "GET /favicon.ico HTTP/1.1" 404 308"#,
    r#"127.0.0.1 - - [24/Sep/2013:11:51:34 -0700] "GET /~test/index.html HTTP/1.1" 200 3"#,
];

// ---------------------------------------------------------------------------------------------
// "Filter and Pattern Syntax", 2018-2021 (OLD).

const OLD_TERMS: &[Row] = &[
    // Example "Match everything": the empty pattern.
    (OLD, "\"\"", FATAL, true),
    (OLD, "\"\"", FOO_BAR, true),
    // Example "Single term".
    (OLD, "ERROR", FATAL, true),
    (OLD, "ERROR", EXITING, true),
    // Example "Include a term and exclude a term". The HTML page prints the pattern as
    // ERROR -Exiting; the markdown source's `"ERROR" - "Exiting"` is in OLD_INVALID.
    (OLD, "ERROR -Exiting", EXITING, false),
    (OLD, "ERROR -Exiting", FATAL, true),
    // Example "Multiple terms" (printed without quotes, and from 2020 with each term quoted).
    (OLD, "ERROR Exception", CAUGHT, true),
    (OLD, "ERROR Exception", UNHANDLED, true),
    (OLD, "\"ERROR\" \"Exception\"", CAUGHT, true),
    (OLD, "\"ERROR\" \"Exception\"", UNHANDLED, true),
    // The page quotes this one in its prose; as terms or as one phrase, both events match.
    (OLD, "Failed to process the request", WARN_FAILED, true),
    (OLD, "Failed to process the request", UNABLE, true),
    (OLD, "\"Failed to process the request\"", WARN_FAILED, true),
    (OLD, "\"Failed to process the request\"", UNABLE, true),
    // 2018 "Matching terms specified using the OR operator": the first two match, the last
    // two do not (terms are case-sensitive).
    (OLD, "?Error ?fatal", UNHANDLED_MIXED, true),
    (OLD, "?Error ?fatal", FATAL, true),
    (OLD, "?Error ?fatal", CAUGHT, false),
    (OLD, "?Error ?fatal", EXITING, false),
    // "OR Pattern Matching", text-based filters, on its three numbered events.
    (OLD, "ERROR", ERROR_WARN, true),
    (OLD, "ERROR", ERROR_ONLY, true),
    (OLD, "ERROR", WARN_ONLY, false),
    (OLD, "?ERROR ?WARN", ERROR_WARN, true),
    (OLD, "?ERROR ?WARN", ERROR_ONLY, true),
    (OLD, "?ERROR ?WARN", WARN_ONLY, true),
    (OLD, "ERROR WARN", ERROR_WARN, true),
    (OLD, "ERROR WARN", ERROR_ONLY, false),
    (OLD, "ERROR WARN", WARN_ONLY, false),
    (OLD, "ERROR -WARN", ERROR_WARN, false),
    (OLD, "ERROR -WARN", ERROR_ONLY, true),
    (OLD, "ERROR -WARN", WARN_ONLY, false),
];

const OLD_DELIMITED_OR: &[Row] = &[
    // "OR Pattern Matching", space-delimited filters: [w1=ERROR, w2] matches event 2 only.
    // Event 1 has three words; this page agrees with the project's decision that, without
    // `...`, the event must have as many fields as the pattern.
    (OLD, "[w1=ERROR, w2]", ERROR_WARN, false),
    (OLD, "[w1=ERROR, w2]", ERROR_ONLY, true),
    (OLD, "[w1=ERROR, w2]", WARN_ONLY, false),
    (OLD, "[w1=ERROR || w1=WARN, w2]", ERROR_WARN, false),
    (OLD, "[w1=ERROR || w1=WARN, w2]", ERROR_ONLY, true),
    (OLD, "[w1=ERROR || w1=WARN, w2]", WARN_ONLY, true),
    // Contradiction: the page says this matches event 1 ("ERROR WARN message"), whose first
    // word is ERROR, so `w1!=ERROR` cannot hold there (and the event has three words). The
    // claim contradicts the page's own definition of `!=` and of w1; no event matches.
    (OLD, "[w1!=ERROR&&w1!=WARN, w2]", ERROR_WARN, false),
    (OLD, "[w1!=ERROR&&w1!=WARN, w2]", ERROR_ONLY, false),
    (OLD, "[w1!=ERROR&&w1!=WARN, w2]", WARN_ONLY, false),
    // "OR Pattern Matching", JSON filters.
    (OLD, "{$.foo = bar}", FOO_BAR, true),
    (OLD, "{$.foo = bar}", FOO_BAZ, false),
    (OLD, "{$.foo = baz }", FOO_BAZ, true),
    (OLD, "{$.foo = baz }", FOO_BAR, false),
    (OLD, "{$.foo = bar || $.foo = baz }", FOO_BAR, true),
    (OLD, "{$.foo = bar || $.foo = baz }", FOO_BAZ, true),
];

const OLD_JSON_ROWS: &[Row] = &[
    // "JSON Metric Filter Examples": all of these match the example event.
    (OLD, "{ $.eventType = \"UpdateTrail\" }", OLD_JSON, true),
    (OLD, "{ $.sourceIPAddress != 123.123.* }", OLD_JSON, true),
    (OLD, "{ $.arrayKey[0] = \"value\" }", OLD_JSON, true),
    (OLD, "{ $.objectList[1].id = 2 }", OLD_JSON, true),
    (OLD, "{ $.SomeObject IS NULL }", OLD_JSON, true),
    (OLD, "{ $.SomeOtherObject NOT EXISTS }", OLD_JSON, true),
    (OLD, "{ $.ThisFlag IS TRUE }", OLD_JSON, true),
    // The page adds: false when arrayKey is not an array, or objectList's items lack an id.
    (OLD, "{ $.arrayKey[0] = \"value\" }", r#"{"arrayKey": "value"}"#, false),
    (OLD, "{ $.objectList[1].id = 2 }", r#"{"objectList": [{"id": 1}, {"name": "b"}]}"#, false),
    // "JSON Compound Conditions" (2018 revision: `nonmatch`/`nomatch` unquoted).
    (OLD, "{ ($.user.id = 1) && ($.users[0].email = \"John.Doe@example.com\") }", USERS, true),
    (OLD, "{ ($.user.id = 2 && $.users[0].email = \"nonmatch\") || $.actions[2] = \"GET\" }", USERS, false),
    (OLD, "{ $.user.email = \"John.Stiles@example.com\" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }", USERS, true),
    (OLD, "{ ($.user.email = \"John.Stiles@example.com\" || $.coordinates[0][1] = nonmatch) && $.actions[2] = nomatch }", USERS, false),
    // "JSON Special Considerations": a selector on an array matches neither = nor !=.
    (OLD, "{$.users = 1}", USERS_ARRAY, false),
    (OLD, "{$.users != 1}", USERS_ARRAY, false),
    // "Numeric Comparisons": printed without an event; the events are ours (one each way).
    (OLD, "{ $.latency >= 500 }", r#"{"latency": 500}"#, true),
    (OLD, "{ $.latency >= 500 }", r#"{"latency": 499}"#, false),
    (OLD, "{ $.numbers[0] < 10e3 }", r#"{"numbers": [9999]}"#, true),
    (OLD, "{ $.numbers[0] < 10e3 }", r#"{"numbers": [10000]}"#, false),
    (OLD, "{ $.numbers[0] < 10e-3 }", r#"{"numbers": [0.001]}"#, true),
    (OLD, "{ $.numbers[0] < 10e-3 }", r#"{"numbers": [0.01]}"#, false),
    (OLD, "{ $.processes[4].averageRuntime <= 55.5 }", r#"{"processes": [{}, {}, {}, {}, {"averageRuntime": 55.5}]}"#, true),
    (OLD, "{ $.processes[4].averageRuntime <= 55.5 }", r#"{"processes": [{}, {}, {}, {}, {"averageRuntime": 55.6}]}"#, false),
    (OLD, "{ $.errorCode = 400 }", r#"{"errorCode": 400}"#, true),
    (OLD, "{ $.errorCode = 400 }", r#"{"errorCode": 500}"#, false),
    (OLD, "{ $.errorCode != 500 }", r#"{"errorCode": 400}"#, true),
    (OLD, "{ $.errorCode != 500 }", r#"{"errorCode": 500}"#, false),
    (OLD, "{ $.latency > +1000 }", r#"{"latency": 1001}"#, true),
    (OLD, "{ $.latency > +1000 }", r#"{"latency": 1000}"#, false),
    // "Publishing Numerical Values Found in Log Entries".
    (OLD, "{ $.latency = * }", LATENCY, true),
];

// The 2018 page describes wildcards with values only (`*Event`, `Event*`, `Ev*ent`); the
// selector `$.eventName` is ours.
const OLD_WILDCARDS: &[Row] = &[
    (
        OLD,
        "{ $.eventName = *Event }",
        r#"{"eventName": "PutEvent"}"#,
        true,
    ),
    (
        OLD,
        "{ $.eventName = *Event }",
        r#"{"eventName": "GetEvent"}"#,
        true,
    ),
    (
        OLD,
        "{ $.eventName = Event* }",
        r#"{"eventName": "EventId"}"#,
        true,
    ),
    (
        OLD,
        "{ $.eventName = Event* }",
        r#"{"eventName": "EventName"}"#,
        true,
    ),
    (
        OLD,
        "{ $.eventName = Ev*ent }",
        r#"{"eventName": "Ev*ent"}"#,
        true,
    ),
    // Contradiction: the 2018-2021 page says `Ev*ent` matches only the literal text "Ev*ent".
    // The 2022 rewrite dropped that sentence and no later page repeats it; the project documents
    // a star in the middle of a value as a wildcard ("wildcard in the middle of a value" in
    // docs/pattern-language.md, with tests such as `c*.8*large`), so "EvXent" matches here.
    (
        OLD,
        "{ $.eventName = Ev*ent }",
        r#"{"eventName": "EvXent"}"#,
        true,
    ),
];

const OLD_DELIMITED: &[Row] = &[
    (
        OLD,
        "[ip, user, username, timestamp, request, status_code, bytes]",
        APACHE_1,
        true,
    ),
    (
        OLD,
        "[ip, user, username, timestamp, request, status_code, bytes]",
        APACHE_2,
        true,
    ),
    (
        OLD,
        "[ip, user, username, timestamp, request, status_code, bytes]",
        APACHE_3,
        true,
    ),
    (OLD, "[..., status_code, bytes]", APACHE_1, true),
    (OLD, "[ip, user, ..., status_code, bytes]", APACHE_2, true),
    (OLD, "[ip, user, ...]", APACHE_3, true),
    // Conditions: only events that meet every condition match.
    (
        OLD,
        "[ip, user, username, timestamp, request, status_code, bytes > 1000]",
        APACHE_1,
        true,
    ),
    (
        OLD,
        "[ip, user, username, timestamp, request, status_code, bytes > 1000]",
        APACHE_2,
        true,
    ),
    (
        OLD,
        "[ip, user, username, timestamp, request, status_code = 200, bytes]",
        APACHE_1,
        true,
    ),
    (
        OLD,
        "[ip, user, username, timestamp, request, status_code = 200, bytes]",
        APACHE_2,
        false,
    ),
    (
        OLD,
        "[ip, user, username, timestamp, request, status_code = 200, bytes]",
        APACHE_3,
        true,
    ),
    (
        OLD,
        "[ip, user, username, timestamp, request, status_code = 4*, bytes]",
        APACHE_1,
        false,
    ),
    (
        OLD,
        "[ip, user, username, timestamp, request, status_code = 4*, bytes]",
        FRANK_404,
        true,
    ),
    (
        OLD,
        "[ip, user, username, timestamp, request = *html*, status_code = 4*, bytes]",
        APACHE_1,
        false,
    ),
    (
        OLD,
        "[ip, user, username, timestamp, request = *html*, status_code = 4*, bytes]",
        PROD,
        true,
    ),
    // `&&` (2018) and `||` (2020) on one field.
    (
        OLD,
        "[ip, user, username, timestamp, request, status_code = 4* && status_code = 5*, bytes]",
        APACHE_2,
        false,
    ),
    (
        OLD,
        "[ip, user, username, timestamp, request, status_code = 4* && status_code != 403, bytes]",
        FRANK_404,
        true,
    ),
    (
        OLD,
        "[ip, user, username, timestamp, request, status_code = 4* && status_code != 403, bytes]",
        APACHE_1,
        false,
    ),
    (
        OLD,
        "[ip, user, username, timestamp, request, status_code = 403 || status_code = 404, bytes]",
        FRANK_404,
        true,
    ),
    (
        OLD,
        "[ip, user, username, timestamp, request, status_code = 403 || status_code = 404, bytes]",
        APACHE_1,
        false,
    ),
    // The event printed with the trailing-comma example (see INVALID_EXAMPLES) has `\"` where
    // the other events have `"`. A field group starts only at a plain `"`, so that event splits
    // into nine fields and the seven-field pattern does not match it.
    (
        OLD,
        "[ip, user, username, timestamp, request = *html*, status_code = 4*, bytes]",
        APACHE_ESCAPED,
        false,
    ),
];

// ---------------------------------------------------------------------------------------------
// "Filter and pattern syntax", 2022 (V2022).

const V2022_TERMS: &[Row] = &[
    // "Match a single term".
    (V2022, "ERROR", ERR_400, true),
    (V2022, "ERROR", ERR_401, true),
    (V2022, "ERROR", ERR_419, true),
    (V2022, "ERROR", ERR_420, true),
    // "Match multiple terms".
    (V2022, "ERROR ARGUMENTS", ERR_419, true),
    (V2022, "ERROR ARGUMENTS", ERR_420, true),
    (V2022, "ERROR ARGUMENTS", ERR_400, false),
    (V2022, "ERROR ARGUMENTS", ERR_401, false),
    // "Match single and multiple terms".
    (V2022, "?ERROR ?ARGUMENTS", ERR_400, true),
    (V2022, "?ERROR ?ARGUMENTS", ERR_401, true),
    (V2022, "?ERROR ?ARGUMENTS", ERR_419, true),
    (V2022, "?ERROR ?ARGUMENTS", ERR_420, true),
    // "Match exact phrases".
    (V2022, "\"INTERNAL SERVER ERROR\"", ERR_500, true),
    (V2022, "\"INTERNAL SERVER ERROR\"", ERR_400, false),
    // "Include and exclude terms".
    (V2022, "ERROR -ARGUMENTS", ERR_400, true),
    (V2022, "ERROR -ARGUMENTS", ERR_401, true),
    (V2022, "ERROR -ARGUMENTS", ERR_419, false),
    (V2022, "ERROR -ARGUMENTS", ERR_420, false),
    // "Match everything".
    (V2022, "\" \"", ERR_400, true),
    (V2022, "\" \"", "no space", true),
];

const V2022_JSON_ROWS: &[Row] = &[
    (V2022, "{ $.eventType = \"UpdateTrail\" }", V2022_JSON, true),
    // Numeric operators: printed without an event; the events are ours.
    (V2022, "{ $.bandwidth > 75 }", r#"{"bandwidth": 76}"#, true),
    (V2022, "{ $.bandwidth > 75 }", r#"{"bandwidth": 75}"#, false),
    (V2022, "{ $.latency < 50 }", r#"{"latency": 49}"#, true),
    (V2022, "{ $.latency < 50 }", LATENCY, false),
    (V2022, "{ $.refreshRate >= 60 }", r#"{"refreshRate": 60}"#, true),
    (V2022, "{ $.refreshRate >= 60 }", r#"{"refreshRate": 59}"#, false),
    (V2022, "{ $.responseTime <= 5 }", r#"{"responseTime": 5}"#, true),
    (V2022, "{ $.responseTime <= 5 }", r#"{"responseTime": 6}"#, false),
    (V2022, "{ $.errorCode = 400}", r#"{"errorCode": 400}"#, true),
    (V2022, "{ $.errorCode = 400}", r#"{"errorCode": 401}"#, false),
    (V2022, "{ $.errorCode != 500 }", r#"{"errorCode": 400}"#, true),
    (V2022, "{ $.errorCode != 500 }", r#"{"errorCode": 500}"#, false),
    (V2022, "{ $.number[0] = 1e-3 }", r#"{"number": [0.001]}"#, true),
    (V2022, "{ $.number[0] = 1e-3 }", r#"{"number": [1000]}"#, false),
    (V2022, "{ $.number[0] != 1e+3 }", r#"{"number": [0.001]}"#, true),
    (V2022, "{ $.number[0] != 1e+3 }", r#"{"number": [1000]}"#, false),
    // "Matching terms in JSON log events".
    (V2022, "{ $.eventType = \"UpdateTrail\" }", V2022_JSON, true),
    (V2022, "{ $.sourceIPAddress != 123.123.* }", V2022_JSON, true),
    (V2022, "{ $.arrayKey[0] = \"value\" }", V2022_JSON, true),
    (V2022, "{ $.objectList[1].id = 2 }", V2022_JSON, true),
    (V2022, "{ $.SomeObject IS NULL }", V2022_JSON, true),
    (V2022, "{ $.SomeOtherObject NOT EXISTS }", V2022_JSON, true),
    // "Using compound expressions to match terms in JSON objects".
    (V2022, "{ ($.user.id = 1) && ($.users[0].email = \"John.Doe@example.com\") }", USERS, true),
    (V2022, "{ $.user.email = \"John.Stiles@example.com\" || $.coordinates[0][1] = \"nonmatch\" && $.actions[2] = \"nonmatch\" }", USERS, true),
    (V2022, "{ ($.user.email = \"John.Stiles@example.com\" || $.coordinates[0][1] = \"nonmatch\") && $.actions[2] = \"nonmatch\" }", USERS, false),
    (V2022, "{ ($.user.id = 2 && $.users[0].email = \"nonmatch\") || $.actions[2] = \"GET\" }", USERS, false),
    // "Publishing dimensions with metrics from JSON log events".
    (V2022, "{ $.eventType = \"*\" && $.sourceIPAddress != 123.123.* }", V2022_DIMENSIONS_JSON, true),
    // "Using values in log events to increment a metric's value".
    (V2022, "{ $.latency = * }", LATENCY, true),
];

const V2022_DELIMITED: &[Row] = &[
    // "Using metric filters to extract values from space-delimited log events".
    (V2022, "[ip, user, username, timestamp, request =*.html*, status_code = 4*, bytes]", PROD, true),
    (V2022, "[..., request =*.html*, status_code = 4*, bytes]", PROD, true),
    (V2022, "[ip, user, username, timestamp, request =*.html*, status_code = 404 || status_code = 410, bytes]", PROD, true),
    (V2022, "[ip, user, username, timestamp, request =*.html*, status_code = 404 || status_code = 410, bytes]", APACHE_1, false),
    // "Publishing dimensions with metrics from space-delimited log events".
    (V2022, "[ip, server, username, timestamp, request, status_code, bytes > 1000]", PROD, true),
    // "Using pattern matching to match terms in space-delimited log events": printed without
    // an event; the two-word events are from OLD's "OR Pattern Matching".
    (V2022, "[w1=ERROR, w2]", ERROR_ONLY, true),
    (V2022, "[w1=ERROR, w2]", WARN_ONLY, false),
    (V2022, "[w1!=ERROR && w1!=WARNING, w2]", "INFO message", true),
    (V2022, "[w1!=ERROR && w1!=WARNING, w2]", ERROR_ONLY, false),
];

// ---------------------------------------------------------------------------------------------
// "Filter pattern syntax for metric filters, subscription filters, filter log events, and Live
// Tail", 2023-2024 (V2023).

const V2023_REGEX: &[Row] = &[
    // "Using filter patterns to match terms with a regular expression (regex)".
    (V2023, "%AUTHORIZED%", ERR_401, true),
    (V2023, "%AUTHORIZED%", SUCCESS_200, true),
    (V2023, "%AUTHORIZED%", ERR_400, false),
    // "Supported regular expressions (regex) syntax", usage of each operator.
    (V2023, "%^[hc]at%", "hat", true),
    (V2023, "%^[hc]at%", "cat", true),
    (V2023, "%^[hc]at%", "that", false),
    (V2023, "%[hc]at$%", "hat", true),
    (V2023, "%[hc]at$%", "cat", true),
    (V2023, "%[hc]at$%", "cats", false),
    (V2023, "%colou?r%", "color", true),
    (V2023, "%colou?r%", "colour", true),
    (V2023, "%[abc]%", "a", true),
    (V2023, "%[abc]%", "b", true),
    (V2023, "%[abc]%", "c", true),
    (V2023, "%[abc]%", "d", false),
    (V2023, "%[a-z]%", "q", true),
    (V2023, "%[a-z]%", "Q", false),
    (V2023, "%[abcx-z]%", "a", true),
    (V2023, "%[abcx-z]%", "b", true),
    (V2023, "%[abcx-z]%", "c", true),
    (V2023, "%[abcx-z]%", "x", true),
    (V2023, "%[abcx-z]%", "y", true),
    (V2023, "%[abcx-z]%", "z", true),
    (V2023, "%[abcx-z]%", "w", false),
    (V2023, "%a{3,5}% ", "aaa", true),
    (V2023, "%a{3,5}% ", "aaaa", true),
    (V2023, "%a{3,5}% ", "aaaaa", true),
    (V2023, "%a{3,5}% ", "aa", false),
    (V2023, "%gra|ey%", "gray", true),
    (V2023, "%gra|ey%", "grey", true),
    (
        V2023,
        "%^starting|^initializing|^shutting down%",
        "starting ...",
        true,
    ),
    (
        V2023,
        "%^starting|^initializing|^shutting down%",
        "initializing ...",
        true,
    ),
    (
        V2023,
        "%^starting|^initializing|^shutting down%",
        "shutting down",
        true,
    ),
    (
        V2023,
        "%^starting|^initializing|^shutting down%",
        "skipping initializing ...",
        false,
    ),
    // The page prints `%abcc|ab[^c]$` without its closing '%' (see V2023_INVALID). With the
    // '%' restored it matches "abcc ..." and not "aac ...". The page also lists "aba ..." as a
    // match, which its own `$` rules out (`$` anchors to the end of the event); "aba" matches.
    (V2023, "%abcc|ab[^c]$%", "abcc ...", true),
    (V2023, "%abcc|ab[^c]$%", "aac ...", false),
    (V2023, "%abcc|ab[^c]$%", "aba", true),
    (V2023, "%abcc|ab[^c]$%", "aba ...", false),
    (V2023, "%\\[.\\]%", "[a]", true),
    (V2023, "%\\[.\\]%", "[b]", true),
    (V2023, "%\\[.\\]%", "[7]", true),
    (V2023, "%\\[.\\]%", "[@]", true),
    (V2023, "%\\[.\\]%", "[]]", true),
    (V2023, "%\\[.\\]%", "[ ]", true),
    (V2023, "%\\[.\\]%", "[ab]", false),
    (V2023, " %10\\.10\\.0\\.1%", "10.10.0.1", true),
    (V2023, " %10\\.10\\.0\\.1%", "10010,051", false),
    (V2023, " %ab*c% ", "ac", true),
    (V2023, " %ab*c% ", "abc", true),
    (V2023, " %ab*c% ", "abbbc", true),
    (V2023, "%ab[0-9]*%", "ab", true),
    (V2023, "%ab[0-9]*%", "ab0", true),
    (V2023, "%ab[0-9]*%", "ab129", true),
    (V2023, "%ab+c%", "abc", true),
    (V2023, "%ab+c%", "abbc", true),
    (V2023, "%ab+c%", "abbbc", true),
    (V2023, "%ab+c%", "ac", false),
    (V2023, "%.at%", "hat", true),
    (V2023, "%.at%", "cat", true),
    (V2023, "%.at%", "bat", true),
    (V2023, "%.at%", "4at", true),
    (V2023, "%.at%", "#at", true),
    (V2023, "%.at%", " at", true),
    (V2023, "%.at%", "at", false),
    // An unescaped '.' matches any character, so this IP regex also matches "10010,051".
    (V2023, "%10.10.0.1%", "10010,051", true),
    // \d is [0-9] and \D is [^0-9]; \w is [a-zA-Z_0-9] and \W is [^a-zA-Z_0-9].
    (V2023, "%\\d%", "7", true),
    (V2023, "%\\d%", "x", false),
    (V2023, "%[0-9]%", "7", true),
    (V2023, "%[0-9]%", "x", false),
    (V2023, "%\\D%", "x", true),
    (V2023, "%\\D%", "7", false),
    (V2023, "%[^0-9]%", "x", true),
    (V2023, "%[^0-9]%", "7", false),
    (V2023, "%\\w%", "_", true),
    (V2023, "%\\w%", "-", false),
    (V2023, "%[a-zA-Z_0-9]%", "_", true),
    (V2023, "%[a-zA-Z_0-9]%", "-", false),
    (V2023, "%\\W%", "-", true),
    (V2023, "%\\W%", "_", false),
    (V2023, "%[^a-zA-Z_0-9]%", "-", true),
    (V2023, "%[^a-zA-Z_0-9]%", "_", false),
    // \xhh: "%\x3A%" matches ':' and "%\x28%" matches '('.
    (V2023, "%\\x3A%", ":", true),
    (V2023, "%\\x3A%", ";", false),
    (V2023, "%\\x28%", "(", true),
    (V2023, "%\\x28%", ")", false),
];

const V2023_TERMS: &[Row] = &[
    (V2023, "ERROR", ERR_400, true),
    (V2023, "ERROR", ERR_401, true),
    (V2023, "ERROR", ERR_419, true),
    (V2023, "ERROR", ERR_420, true),
    (V2023, "ERROR ARGUMENTS", ERR_419, true),
    (V2023, "ERROR ARGUMENTS", ERR_420, true),
    (V2023, "ERROR ARGUMENTS", ERR_400, false),
    (V2023, "ERROR ARGUMENTS", ERR_401, false),
    // "Match optional terms".
    (V2023, "?ERROR ?ARGUMENTS", ERR_400, true),
    (V2023, "?ERROR ?ARGUMENTS", ERR_401, true),
    (V2023, "?ERROR ?ARGUMENTS", ERR_419, true),
    (V2023, "?ERROR ?ARGUMENTS", ERR_420, true),
    // Mixed with a plain term, the `?` terms are ignored: every event with REQUEST matches.
    (V2023, "?ERROR ?ARGUMENTS REQUEST", INFO_FAILED, true),
    (V2023, "?ERROR ?ARGUMENTS REQUEST", WARN_UNAUTHORIZED, true),
    (V2023, "?ERROR ?ARGUMENTS REQUEST", ERR_400_BARE, true),
    (V2023, "?ERROR ?ARGUMENTS REQUEST", ERR_419, false),
    (V2023, "\"INTERNAL SERVER ERROR\"", ERR_500, true),
    (V2023, "ERROR -ARGUMENTS", ERR_400, true),
    (V2023, "ERROR -ARGUMENTS", ERR_401, true),
    (V2023, "ERROR -ARGUMENTS", ERR_419, false),
    (V2023, "ERROR -ARGUMENTS", ERR_420, false),
    (V2023, "\" \"", ERR_420, true),
];

const V2023_JSON_ROWS: &[Row] = &[
    (V2023, "{ $.eventType = \"UpdateTrail\" }", V2023_JSON, true),
    // Numeric operators: printed without an event; the events are ours. This revision swaps
    // the scientific-notation examples of V2022.
    (V2023, "{ $.bandwidth > 75 }", r#"{"bandwidth": 80}"#, true),
    (V2023, "{ $.latency < 50 }", r#"{"latency": 10}"#, true),
    (V2023, "{ $.refreshRate >= 60 }", r#"{"refreshRate": 61}"#, true),
    (V2023, "{ $.responseTime <= 5 }", r#"{"responseTime": 4}"#, true),
    (V2023, "{ $.errorCode = 400}", r#"{"errorCode": 400}"#, true),
    (V2023, "{ $.errorCode != 500 }", r#"{"errorCode": 500}"#, false),
    (V2023, "{ $.number[0] = 1e+3 }", r#"{"number": [1000]}"#, true),
    (V2023, "{ $.number[0] = 1e+3 }", r#"{"number": [0.001]}"#, false),
    (V2023, "{ $.number[0] != 1e-3 }", r#"{"number": [1000]}"#, true),
    (V2023, "{ $.number[0] != 1e-3 }", r#"{"number": [0.001]}"#, false),
    // Examples against the JSON log event.
    (V2023, "{ $.eventType = \"UpdateTrail\" }", V2023_JSON, true),
    (V2023, "{ $.sourceIPAddress != 123.123.* }", V2023_JSON, true),
    (V2023, "{ $.arrayKey[0] = \"value\" }", V2023_JSON, true),
    (V2023, "{ $.eventType = %Trail% }", V2023_JSON, true),
    (V2023, "{ $.arrayKey[*] = %val.{2}% }", V2023_JSON, true),
    (V2023, "{ $.* = %111\\.111\\.111\\.1[0-9]{1,2}% }", V2023_JSON, true),
    (V2023, "{ $.['cluster.name'] = \"c\" }", V2023_JSON, true),
    (V2023, "{ $.SomeObject IS NULL }", V2023_JSON, true),
    (V2023, "{ $.SomeOtherObject NOT EXISTS }", V2023_JSON, true),
    // Compound expressions.
    (V2023, "{ ($.user.id = 1) && ($.users[0].email = \"John.Doe@example.com\") }", USERS, true),
    (V2023, "{ $.user.email = \"John.Stiles@example.com\" || $.coordinates[0][1] = \"nonmatch\" && $.actions[2] = \"nonmatch\" }", USERS, true),
    (V2023, "{ ($.user.email = \"John.Stiles@example.com\" || $.coordinates[0][1] = \"nonmatch\") && $.actions[2] = \"nonmatch\" }", USERS, false),
    (V2023, "{ ($.user.id = 2 && $.users[0].email = \"nonmatch\") || $.actions[2] = \"GET\" }", USERS, false),
];

const V2023_DELIMITED: &[Row] = &[
    // "Writing filter patterns that match terms in a space-delimited log event".
    (V2023, "[ip=%127\\.0\\.0\\.[1-9]%, user, username, timestamp, request =*.html*, status_code = 4*, bytes]", PROD, true),
    (V2023, "[ip=%127\\.0\\.0\\.[1-9]%, user, username, timestamp, request =*.html*, status_code = 4*, bytes]", PROD_OTHER_IP, false),
    // The page describes this regex as the range 127.0.0.1-127.0.0.9, but a regex is an
    // unanchored search (the same page's `^`/`$` rules), so "127.0.0.10", which contains
    // "127.0.0.1", matches as well; `%^127\.0\.0\.[1-9]$%` would be the exact range.
    (V2023, "[ip=%127\\.0\\.0\\.[1-9]%, user, username, timestamp, request =*.html*, status_code = 4*, bytes]", PROD_10, true),
    (V2023, "[..., request =*.html*, status_code = 4*, bytes]", PROD, true),
    (V2023, "[ip, user, username, timestamp, request =*.html*, status_code = 404 || status_code = 410, bytes]", PROD, true),
    // "Match the top level item" / "child level item in a resource URI", on the page's four
    // events.
    (V2023, "[logLevel, date, time, method, url=%/service/resource/[0-9]+$%, response_time]", SVC_GET, true),
    (V2023, "[logLevel, date, time, method, url=%/service/resource/[0-9]+$%, response_time]", SVC_POST, false),
    (V2023, "[logLevel, date, time, method, url=%/service/resource/[0-9]+$%, response_time]", SVC_WARNING, false),
    (V2023, "[logLevel, date, time, method, url=%/service/resource/[0-9]+$%, response_time]", SVC_ERROR, false),
    (V2023, "[logLevel, date, time, method, url=%/service/resource/[0-9]+/part/[0-9]+$%, response_time]", SVC_GET, false),
    (V2023, "[logLevel, date, time, method, url=%/service/resource/[0-9]+/part/[0-9]+$%, response_time]", SVC_POST, true),
    (V2023, "[logLevel, date, time, method, url=%/service/resource/[0-9]+/part/[0-9]+$%, response_time]", SVC_WARNING, false),
    // "Match terms in order" / "with AND and OR" / "Exclude terms from matches", on the same
    // four events.
    //
    // Contradiction: this page says [w1=ERROR, w2] returns the events whose first word is
    // ERROR, and its note says a blank w2 must follow w1, which reads as "the last field takes
    // the rest of the line". The 2018-2021 page says the same pattern does NOT match "ERROR
    // WARN message" (OLD_DELIMITED_OR). The project follows the older page: without `...` the
    // event must have exactly as many fields as the pattern ("extra words in space-delimited
    // events" in docs/pattern-language.md), so none of these six- and seven-word events match.
    // Write `[w1=ERROR, ...]` to match on the first word alone.
    (V2023, "[w1=ERROR, w2]", SVC_ERROR, false),
    (V2023, "[w1=ERROR, w2]", SVC_GET, false),
    (V2023, "[w1=ERROR || w1=WARNING, w2]", SVC_WARNING, false),
    (V2023, "[w1=ERROR || w1=WARNING, w2]", SVC_GET, false),
    (V2023, "[w1!=ERROR && w1!=WARNING, w2]", SVC_GET, false),
    (V2023, "[w1!=ERROR && w1!=WARNING, w2]", SVC_ERROR, false),
    // The same conditions on two-word events behave as the page describes.
    (V2023, "[w1=ERROR, w2]", "ERROR details", true),
    (V2023, "[w1=ERROR || w1=WARNING, w2]", "WARNING details", true),
    (V2023, "[w1!=ERROR && w1!=WARNING, w2]", "INFO details", true),
    (V2023, "[w1!=ERROR && w1!=WARNING, w2]", "WARNING details", false),
];

/// PROD from other addresses (ours).
const PROD_10: &str =
    r#"127.0.0.10 Prod frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534"#;
const PROD_OTHER_IP: &str =
    r#"10.0.0.1 Prod frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534"#;

// ---------------------------------------------------------------------------------------------
// Current sub-pages.

const JSON_2025_ROWS: &[Row] = &[
    (JSON_2025, "{ $.eventType = \"UpdateTrail\" }", V2023_JSON, true),
    (JSON_2025, "{ $.sourceIPAddress != 123.123.* }", V2023_JSON, true),
    (JSON_2025, "{ $.sourceIPAddress != 123.123.* }", r#"{"sourceIPAddress": "123.123.0.7"}"#, false),
    (JSON_2025, "{ $.arrayKey[0] = \"value\" }", V2023_JSON, true),
    (JSON_2025, "{ $.eventType = %Trail% }", V2023_JSON, true),
    (JSON_2025, "{ $.arrayKey[*] = %val.{2}% }", V2023_JSON, true),
    (JSON_2025, "{ $.* = %111\\.111\\.111\\.1[0-9]{1,2}% }", V2023_JSON, true),
    (JSON_2025, "{ $.['cluster.name'] = \"c\" }", V2023_JSON, true),
    (JSON_2025, "{ $.SomeObject IS NULL }", V2023_JSON, true),
    (JSON_2025, "{ $.SomeOtherObject NOT EXISTS }", V2023_JSON, true),
    // The page lists these as logs "with an eventType field" the first pattern applies to;
    // only the UpdateTrail one has the value it looks for.
    (JSON_2025, "{ $.eventType = \"UpdateTrail\" }", r#"{"eventType": "UserLogin", "userId": "123"}"#, false),
    (JSON_2025, "{ $.eventType = \"UpdateTrail\" }", r#"{"eventType": "ConfigUpdate", "component": "database"}"#, false),
    (JSON_2025, "{ $.eventType = \"UpdateTrail\" }", r#"{"eventType": "UpdateTrail", "source": "cloudtrail"}"#, true),
    // Compound expressions.
    (JSON_2025, "{ ($.user.id = 1) && ($.users[0].email = \"John.Doe@example.com\") }", USERS, true),
    (JSON_2025, "{ $.user.email = \"John.Stiles@example.com\" || $.coordinates[0][1] = \"nonmatch\" && $.actions[2] = \"nonmatch\" }", USERS, true),
    (JSON_2025, "{ ($.user.email = \"John.Stiles@example.com\" || $.coordinates[0][1] = \"nonmatch\") && $.actions[2] = \"nonmatch\" }", USERS, false),
    (JSON_2025, "{ ($.user.id = 2 && $.users[0].email = \"nonmatch\") || $.actions[2] = \"GET\" }", USERS, false),
];

const UNSTRUCTURED_2025_ROWS: &[Row] = &[
    (UNSTRUCTURED_2025, "ERROR", ERR_400, true),
    (UNSTRUCTURED_2025, "ERROR", ERR_401, true),
    (UNSTRUCTURED_2025, "ERROR", ERR_419, true),
    (UNSTRUCTURED_2025, "ERROR ARGUMENTS", ERR_419, true),
    (UNSTRUCTURED_2025, "ERROR ARGUMENTS", ERR_420, true),
    (UNSTRUCTURED_2025, "?ERROR ?ARGUMENTS", ERR_400, true),
    (UNSTRUCTURED_2025, "?ERROR ?ARGUMENTS", ERR_419, true),
    (UNSTRUCTURED_2025, "?ERROR ?ARGUMENTS", INFO_PROVIDED, true),
    (UNSTRUCTURED_2025, "?ERROR ?ARGUMENTS", SUCCESS_200, false),
    (
        UNSTRUCTURED_2025,
        "\"INTERNAL SERVER ERROR\"",
        ERR_500,
        true,
    ),
    (UNSTRUCTURED_2025, "ERROR -ARGUMENTS", ERR_400, true),
    (UNSTRUCTURED_2025, "ERROR -ARGUMENTS", ERR_401, true),
    (UNSTRUCTURED_2025, "ERROR -ARGUMENTS", ERR_419, false),
    (UNSTRUCTURED_2025, "\" \"", INFO_PROVIDED, true),
];

// ---------------------------------------------------------------------------------------------
// Metric-filter example pages.

const EXAMPLE_PAGES: &[Row] = &[
    (COUNT_EVENTS, "\" \"", "Test event 1", true),
    (COUNT_EVENTS, "\" \"", "Test event 2", true),
    (
        COUNT_EVENTS,
        "\" \"",
        "This message also contains an Error",
        true,
    ),
    (COUNT_TERM, "Error", "This message contains an Error", true),
    (
        COUNT_TERM,
        "Error",
        "This message also contains an Error",
        true,
    ),
    (COUNT_TERM, "Error", ERR_400, false),
    (
        COUNT_404,
        "[IP, UserInfo, User, Timestamp, RequestInfo, StatusCode=404, Bytes]",
        FRANK_404,
        true,
    ),
    // The CLI example's events (the `\"` there are shell escapes, not part of the message).
    (
        COUNT_404,
        "[ip, id, user, timestamp, request, status_code=404, size]",
        BOB_404,
        true,
    ),
    (
        COUNT_404,
        "[ip, id, user, timestamp, request, status_code=404, size]",
        BOB_200,
        false,
    ),
    (
        EXTRACT_BYTES,
        "[ip, id, user, timestamp, request, status_code, size]",
        BYTES_LINES[0],
        true,
    ),
    (
        EXTRACT_BYTES,
        "[ip, id, user, timestamp, request, status_code, size]",
        BYTES_LINES[1],
        true,
    ),
    (
        EXTRACT_BYTES,
        "[ip, id, user, timestamp, request, status_code, size]",
        BYTES_LINES[2],
        true,
    ),
    (
        EXTRACT_BYTES,
        "[ip, id, user, timestamp, request, status_code, size]",
        BYTES_LINES[3],
        true,
    ),
];

/// Every table of examples that parse.
const TABLES: &[&[Row]] = &[
    OLD_TERMS,
    OLD_DELIMITED_OR,
    OLD_JSON_ROWS,
    OLD_WILDCARDS,
    OLD_DELIMITED,
    V2022_TERMS,
    V2022_JSON_ROWS,
    V2022_DELIMITED,
    V2023_REGEX,
    V2023_TERMS,
    V2023_JSON_ROWS,
    V2023_DELIMITED,
    JSON_2025_ROWS,
    UNSTRUCTURED_2025_ROWS,
    EXAMPLE_PAGES,
];

fn rows() -> impl Iterator<Item = &'static Row> {
    TABLES.iter().flat_map(|t| t.iter())
}

#[test]
fn documented_examples_behave_as_shown() {
    let mut failures = Vec::new();
    for (page, pattern, event, want) in rows() {
        match Pattern::parse(pattern) {
            Err(e) => failures.push(format!("{pattern:?} ({page}) does not parse: {e}")),
            Ok(p) => {
                let got = p.matches_text(event);
                if got != *want {
                    failures.push(format!(
                        "{pattern:?} on {event:?} ({page}): got {got}, page says {want}"
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// The kind each documented pattern is read as follows its first character.
#[test]
fn documented_examples_have_the_right_kind() {
    for (page, pattern, _, _) in rows() {
        let kind = Pattern::parse(pattern).unwrap().kind();
        let want = match pattern.trim_start().chars().next() {
            None => PatternKind::MatchAll,
            Some('{') => PatternKind::Json,
            Some('[') => PatternKind::Delimited,
            Some('%') => PatternKind::Regex,
            Some(_) if matches!(*pattern, "\"\"" | "\" \"") => PatternKind::MatchAll,
            Some(_) => PatternKind::Terms,
        };
        assert_eq!(kind, want, "{pattern:?} ({page})");
    }
}

// Printing, prefilter and explanations hold up on the documented examples too.
#[test]
fn documented_examples_round_trip_and_prefilter() {
    for (page, pattern, event, want) in rows() {
        let p = Pattern::parse(pattern).unwrap();
        let printed = p.to_string();
        let again =
            Pattern::parse(&printed).unwrap_or_else(|e| panic!("{pattern:?} -> {printed:?}: {e}"));
        assert_eq!(again, p, "{pattern:?} printed as {printed:?} ({page})");
        if *want {
            assert!(
                p.prefilter().may_match(event.as_bytes()),
                "prefilter rejects {event:?} for {pattern:?} ({page})"
            );
        }
        let explanation = p.explain(Some(&Event::from_text(event)));
        assert_eq!(explanation.matched, Some(*want), "{pattern:?} on {event:?}");
    }
}

/// Patterns printed on the pages that are not valid: `(page, pattern, column, message part)`.
const INVALID_EXAMPLES: &[(&str, &str, usize, &str)] = &[
    // The markdown source of the 2018-2021 page renders Example 2 as `"ERROR" - "Exiting"`; a
    // lone '-' is not an exclusion (the HTML page prints ERROR -Exiting, tested above).
    (
        OLD,
        "\"ERROR\" - \"Exiting\"",
        9,
        "'-' must be followed by a term",
    ),
    // 2018-2020 printed the exclusion as `=!`; later revisions corrected it to `!=`.
    (
        OLD,
        "[w1=!ERROR&&w1=!WARN, w2]",
        5,
        "'!' must be followed by '='",
    ),
    // A condition on one field that names another field. AWS rejects this pattern too
    // ("Invalid filter pattern", awsdocs/amazon-cloudwatch-logs-user-guide issue #21); the page
    // carried it from 2018 to 2021.
    (
        OLD,
        "[ip, user, username, timestamp, request, status_code = 4* && bytes > 1000]",
        62,
        "must name 'status_code', not 'bytes'",
    ),
    // The trailing ',' leaves an empty field before ']'. The page shows it matching an event
    // whose quotes are backslash-escaped and "extracts" a request (/products/index.html) that
    // is not in that event, so the example is garbled; an empty field name is not accepted.
    (
        OLD,
        "[..., request=*.html*, status_code=4*,]",
        39,
        "expected a field name or '...'",
    ),
    // Syntax templates, not patterns.
    (
        OLD,
        "{ SELECTOR EQUALITY_OPERATOR STRING }",
        3,
        "must start with '$.'",
    ),
    (
        OLD,
        "{ SELECTOR NUMERIC_OPERATOR NUMBER }",
        3,
        "must start with '$.'",
    ),
    (
        V2022,
        "{ PropertySelector EqualityOperator String }",
        3,
        "must start with '$.'",
    ),
    (
        V2022,
        "{ PropertySelector NumericOperator Number }",
        3,
        "must start with '$.'",
    ),
    // A filter pattern followed by the metric value setting, on one line.
    (
        V2022,
        "{ $.latency = * } metricValue: $.latency",
        19,
        "after the closing '}'",
    ),
    // `W1` is not `w1`: field names are case-sensitive, and a condition must name its own
    // field. The 2023 revision prints the same example as `w1=WARNING` (V2023_DELIMITED).
    (
        V2022,
        "[w1=ERROR || W1=WARNING, w2]",
        14,
        "must name 'w1', not 'W1'",
    ),
    // The page's example of a rejected regex.
    (V2023, "%something!%", 11, "'!'"),
    // Printed without its closing '%' (the corrected form is in V2023_REGEX).
    (V2023, "%abcc|ab[^c]$", 1, "unterminated regular expression"),
];

#[test]
fn invalid_documented_examples_are_rejected_clearly() {
    for (page, pattern, column, part) in INVALID_EXAMPLES {
        let e = Pattern::parse(pattern)
            .err()
            .unwrap_or_else(|| panic!("{pattern:?} ({page}) parses"));
        assert!(
            e.message.contains(part),
            "{pattern:?} ({page}): {e} (wanted {part:?})"
        );
        assert_eq!(e.column, *column, "{pattern:?} ({page}): {e}");
    }
}
