//! What the person paged reads: the alarm's description (title, severity, why it matters, what
//! to do first, the log group, a link to the matching events) and the console link itself.
//! Plain text building, no I/O.

use crate::model::AlarmSeverity;

/// PutMetricAlarm's `AlarmDescription`: "Length Constraints: Minimum length of 0. Maximum
/// length of 1024."
/// <https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html>
/// Kept to 1024 *bytes*, which is within the limit whether AWS counts characters or bytes.
pub(crate) const DESCRIPTION_MAX: usize = 1024;

/// What a description is made of.
#[derive(Debug, Clone)]
pub(crate) struct AlarmText<'a> {
    pub(crate) title: &'a str,
    pub(crate) severity: AlarmSeverity,
    /// `preset/id`.
    pub(crate) control: &'a str,
    pub(crate) alarm_name: &'a str,
    pub(crate) rationale: &'a str,
    pub(crate) log_group: &'a str,
    pub(crate) region: &'a str,
    pub(crate) partition: &'a str,
    pub(crate) pattern: &'a str,
    /// The alarm's evaluation window in seconds (period × evaluation periods).
    pub(crate) window_seconds: i64,
}

/// The description, at most [`DESCRIPTION_MAX`] bytes: the title, severity and control, why it
/// matters (the preset's rationale, shortened at a word with `…` only if it cannot fit), the first
/// step and the log group; then the console link when it fits whole (a cut URL would lead
/// nowhere, and `trailwarden why` gives the same events). The text before the link never depends
/// on the link, so a description without it (as a template writes it) compares equal.
pub(crate) fn alarm_description(t: &AlarmText<'_>) -> String {
    const WHY_LINE: usize = "\nWhy: ".len();
    let head = format!(
        "[{}] {} ({}). Managed by trailwarden.",
        t.severity.as_str().to_uppercase(),
        t.title,
        t.control
    );
    let first = format!(
        "First: see who did what with `trailwarden why {}`, or in the console.",
        t.alarm_name
    );
    let group = format!("Log group: {}", t.log_group);
    let assemble = |why: &str| {
        let mut parts: Vec<String> = vec![head.clone()];
        if !why.is_empty() {
            parts.push(format!("Why: {why}"));
        }
        parts.push(first.clone());
        parts.push(group.clone());
        parts.join("\n")
    };
    let why = collapse_whitespace(t.rationale);
    let bare = assemble("");
    let base = if why.is_empty() || bare.len() + WHY_LINE + 40 > DESCRIPTION_MAX {
        truncate_bytes(&bare, DESCRIPTION_MAX)
    } else {
        assemble(&shorten(&why, DESCRIPTION_MAX - bare.len() - WHY_LINE))
    };
    // A name still to be filled in (a template parameter such as `${LogGroupName}`) cannot be
    // linked to.
    if t.log_group.contains("${") || t.region.contains("${") {
        return base;
    }
    let with_link = format!(
        "{base}{LINK_LABEL}{}",
        log_events_url(
            t.partition,
            t.region,
            t.log_group,
            t.pattern,
            lookback_seconds(t.window_seconds)
        )
    );
    if with_link.len() <= DESCRIPTION_MAX {
        with_link
    } else {
        base
    }
}

const LINK_LABEL: &str = "\nMatching events: ";

/// The description without its console link: what a CloudFormation template writes, where the
/// log group's name is a parameter the link cannot be built from. Both forms are in sync.
pub(crate) fn without_link(description: &str) -> &str {
    description
        .find(LINK_LABEL)
        .map_or(description, |i| &description[..i])
}

/// How far back the link looks: three evaluation windows, at least an hour, so the events that
/// breached are in view when the notification is read a little later.
pub(crate) fn lookback_seconds(window_seconds: i64) -> i64 {
    (window_seconds * 3).max(3600)
}

/// The console's view of a log group's events filtered with `pattern` over the last
/// `lookback_seconds`: the same filter-pattern syntax the metric filter uses (Logs Insights
/// queries have a different language), so the link shows exactly what the filter counts. The
/// console encodes its route twice and writes `%` as `$` in the fragment.
pub(crate) fn log_events_url(
    partition: &str,
    region: &str,
    log_group: &str,
    pattern: &str,
    lookback_seconds: i64,
) -> String {
    let console = match partition {
        "aws-cn" => "console.amazonaws.cn".to_string(),
        "aws-us-gov" => "console.amazonaws-us-gov.com".to_string(),
        _ => format!("{region}.console.aws.amazon.com"),
    };
    let group = encode(&encode(log_group)).replace('%', "$");
    let query = format!(
        "?filterPattern={}&start=-{}",
        encode(pattern.trim()),
        lookback_seconds * 1000
    );
    let query = encode(&query).replace('%', "$");
    format!(
        "https://{console}/cloudwatch/home?region={region}#logsV2:log-groups/log-group/{group}/log-events{query}"
    )
}

/// encodeURIComponent: everything but `A-Z a-z 0-9 - _ . ! ~ * ' ( )` percent-encoded.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` cut to at most `max` bytes at a word boundary, with `…` when cut.
fn shorten(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let ellipsis = "…";
    let cut = truncate_bytes(text, max.saturating_sub(ellipsis.len()));
    let cut = match cut.rfind(' ') {
        Some(i) if i > cut.len() / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!("{}{ellipsis}", cut.trim_end_matches([' ', ',', ';', ':']))
}

/// The longest prefix of `text` of at most `max` bytes that ends on a character boundary.
fn truncate_bytes(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text<'a>(rationale: &'a str, pattern: &'a str) -> AlarmText<'a> {
        AlarmText {
            title: "Root account usage",
            severity: AlarmSeverity::Critical,
            control: "aws-docs/root-account-usage",
            alarm_name: "RootAccountUsageAlarm",
            rationale,
            log_group: "trailwarden-cloudtrail",
            region: "eu-west-1",
            partition: "aws",
            pattern,
            window_seconds: 300,
        }
    }

    const ROOT: &str = r#"{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }"#;

    #[test]
    fn a_description_names_the_control_why_what_first_and_links_the_events() {
        let d = alarm_description(&text(
            "The root user has unrestricted access.\n  Any use is a sign of compromise.",
            ROOT,
        ));
        let lines: Vec<&str> = d.lines().collect();
        assert_eq!(
            lines[0],
            "[CRITICAL] Root account usage (aws-docs/root-account-usage). Managed by trailwarden."
        );
        assert_eq!(
            lines[1],
            "Why: The root user has unrestricted access. Any use is a sign of compromise."
        );
        assert!(lines[2].contains("trailwarden why RootAccountUsageAlarm"));
        assert_eq!(lines[3], "Log group: trailwarden-cloudtrail");
        assert!(lines[4].starts_with(
            "Matching events: https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/trailwarden-cloudtrail/log-events$3FfilterPattern$3D$257B$2520$2524.userIdentity.type"
        ), "{}", lines[4]);
        // An hour back (three 5-minute windows is less), in milliseconds.
        assert!(lines[4].ends_with("$26start$3D-3600000"), "{}", lines[4]);
        assert!(d.len() <= DESCRIPTION_MAX);
    }

    #[test]
    fn the_link_decodes_back_to_the_pattern() {
        let url = log_events_url("aws", "us-east-1", "/aws/cloudtrail/org", ROOT, 7200);
        let fragment = url.split_once('#').unwrap().1;
        let route = decode(&fragment.replace('$', "%"));
        assert!(
            route.starts_with(
                "logsV2:log-groups/log-group/%2Faws%2Fcloudtrail%2Forg/log-events?filterPattern="
            ),
            "{route}"
        );
        let pattern = route
            .split_once("filterPattern=")
            .unwrap()
            .1
            .split_once("&start=")
            .unwrap();
        assert_eq!(decode(pattern.0), ROOT);
        assert_eq!(pattern.1, "-7200000");
    }

    fn decode(text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_long_rationale_is_shortened_and_the_limit_always_holds() {
        let long = "Révision détaillée des accès root ".repeat(60);
        let d = alarm_description(&text(&long, ROOT));
        assert!(d.len() <= DESCRIPTION_MAX, "{}", d.len());
        assert!(d.contains("Why: Révision"), "{d}");
        assert!(d.contains("…\nFirst:"), "{d}");
        assert!(d.ends_with("Log group: trailwarden-cloudtrail"), "{d}");
        // A rationale that leaves room keeps the link.
        let d = alarm_description(&text(&"Root use. ".repeat(20), ROOT));
        assert!(d.contains("Matching events: https://"), "{d}");
        assert!(d.len() <= DESCRIPTION_MAX);
    }

    #[test]
    fn a_link_that_cannot_fit_is_left_out_rather_than_cut() {
        let huge_pattern = format!("{{ $.eventName = \"{}\" }}", "x".repeat(900));
        let d = alarm_description(&text("Short why.", &huge_pattern));
        assert!(d.len() <= DESCRIPTION_MAX, "{}", d.len());
        assert!(!d.contains("https://"), "{d}");
        assert!(d.contains("Why: Short why."), "{d}");
        assert!(d.contains("Log group: trailwarden-cloudtrail"), "{d}");
    }

    #[test]
    fn even_absurd_inputs_stay_within_the_limit_on_a_character_boundary() {
        let title = "é".repeat(2000);
        let mut t = text("why", ROOT);
        t.title = &title;
        let d = alarm_description(&t);
        assert!(d.len() <= DESCRIPTION_MAX);
        assert!(std::str::from_utf8(d.as_bytes()).is_ok());
    }

    #[test]
    fn a_symbolic_log_group_gets_no_link_and_both_forms_compare_equal() {
        let mut t = text("Why.", ROOT);
        t.log_group = "${LogGroupName}";
        let d = alarm_description(&t);
        assert!(!d.contains("https://"), "{d}");
        assert!(d.ends_with("Log group: ${LogGroupName}"), "{d}");
        let full = alarm_description(&text("Why.", ROOT));
        assert_eq!(without_link(&full), "[CRITICAL] Root account usage (aws-docs/root-account-usage). Managed by trailwarden.\nWhy: Why.\nFirst: see who did what with `trailwarden why RootAccountUsageAlarm`, or in the console.\nLog group: trailwarden-cloudtrail");
        assert_eq!(without_link(&d), d);
    }

    #[test]
    fn shortening_cuts_at_a_word_and_marks_it() {
        assert_eq!(shorten("one two three four", 12), "one two…");
        assert_eq!(shorten("short", 12), "short");
    }
}
