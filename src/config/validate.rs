//! Name and address rules AWS enforces, checked before any request.

pub fn valid_email(e: &str) -> bool {
    let Some((local, domain)) = e.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && !local.contains(char::is_whitespace)
        && !local.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

/// An HTTPS subscriber. SNS also takes `http://`, but the integration URLs of PagerDuty and
/// Opsgenie carry their key, which must not cross the network in clear text. Subscribe (SNS
/// API Reference): for `https` "the endpoint is a URL beginning with https://".
/// <https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html>
pub fn check_https_endpoint(url: &str) -> Result<(), &'static str> {
    let Some(rest) = url.strip_prefix("https://") else {
        return Err("must be a URL beginning with https://");
    };
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain spaces or control characters");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = host.split(':').next().unwrap_or("");
    if host.is_empty()
        || host.starts_with('.')
        || host.ends_with('.')
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    {
        return Err("must name a host after https://");
    }
    if url.len() > 2048 {
        return Err("must be at most 2048 characters");
    }
    Ok(())
}

/// An SMS subscriber: E.164, a `+`, the country code and the number, 15 digits at most, as SNS
/// documents for SMS subscriptions.
/// <https://docs.aws.amazon.com/sns/latest/dg/sms_publish-to-topic.html>
pub fn check_phone_number(number: &str) -> Result<(), &'static str> {
    let Some(digits) = number.strip_prefix('+') else {
        return Err("must be in E.164 form: `+`, the country code, the number (e.g. +14155550100)");
    };
    if digits.is_empty()
        || digits.len() > 15
        || digits.starts_with('0')
        || !digits.chars().all(|c| c.is_ascii_digit())
    {
        return Err("must be in E.164 form: `+` and 2–15 digits, not starting with 0");
    }
    if digits.len() < 2 {
        return Err("must be in E.164 form: `+` and 2–15 digits, not starting with 0");
    }
    Ok(())
}

/// A Lambda subscriber: the function's ARN, optionally with a version or alias
/// (`arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`), as the Lambda API Reference
/// defines function ARNs. <https://docs.aws.amazon.com/lambda/latest/api/API_GetFunction.html>
pub fn check_lambda_arn(arn: &str) -> Result<(), &'static str> {
    const FORM: &str =
        "must be a Lambda function ARN: arn:aws:lambda:REGION:ACCOUNT:function:NAME[:ALIAS]";
    let parts: Vec<&str> = arn.split(':').collect();
    if !(parts.len() == 7 || parts.len() == 8)
        || parts[0] != "arn"
        || !parts[1].starts_with("aws")
        || parts[2] != "lambda"
        || parts[3].is_empty()
        || parts[4].len() != 12
        || !parts[4].chars().all(|c| c.is_ascii_digit())
        || parts[5] != "function"
    {
        return Err(FORM);
    }
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.len() <= 64
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    if !name_ok(parts[6]) {
        return Err("the function name must be 1–64 letters, digits, `-` or `_`");
    }
    if parts.len() == 8 && !(name_ok(parts[7]) || parts[7] == "$LATEST") {
        return Err("the version or alias must be `$LATEST`, a number or an alias name");
    }
    Ok(())
}

/// S3 bucket naming rules (general purpose buckets).
pub fn check_bucket_name(b: &str) -> Result<(), &'static str> {
    if b.len() < 3 || b.len() > 63 {
        return Err("must be 3–63 characters long");
    }
    if !b
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
    {
        return Err("only lower-case letters, digits, `.` and `-` are allowed");
    }
    let first = b.as_bytes()[0];
    let last = b.as_bytes()[b.len() - 1];
    if !first.is_ascii_alphanumeric() || !last.is_ascii_alphanumeric() {
        return Err("must begin and end with a letter or digit");
    }
    if b.contains("..") {
        return Err("must not contain two adjacent periods");
    }
    if b.split('.').count() == 4 && b.split('.').all(|p| p.parse::<u8>().is_ok()) {
        return Err("must not be formatted as an IP address");
    }
    if b.starts_with("xn--")
        || b.starts_with("sthree-")
        || b.ends_with("-s3alias")
        || b.ends_with("--ol-s3")
    {
        return Err("uses a prefix or suffix reserved by S3");
    }
    Ok(())
}

pub fn valid_trail_name(t: &str) -> bool {
    (3..=128).contains(&t.len())
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        && t.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && t.chars().last().is_some_and(|c| c.is_ascii_alphanumeric())
        && !t.contains("..")
        && !t.contains("._")
        && !t.contains("_.")
        && !t.contains("-.")
        && !t.contains(".-")
}

pub fn valid_log_group_name(g: &str) -> bool {
    (1..=512).contains(&g.len())
        && g.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-/.#".contains(c))
        && !g.starts_with("aws/")
}

pub fn valid_topic_name(t: &str) -> bool {
    (1..=256).contains(&t.len())
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Tags per resource: 50 on every service of the chain, one of them trailwarden's own.
pub const MAX_USER_TAGS: usize = 49;

/// AWS's tag rules, shared by S3, IAM, CloudTrail, CloudWatch Logs, SNS and CloudWatch: keys of
/// 1–128 and values of 0–256 Unicode characters from `[\p{L}\p{Z}\p{N}_.:/=+\-@]`, keys not
/// starting with `aws:` ("Tag naming limits and requirements", Tagging AWS Resources User Guide;
/// IAM's `Tag` type in the IAM API Reference gives the same pattern). `managed-by` is
/// trailwarden's ownership mark: a user value would overwrite it.
pub fn check_tag(key: &str, value: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_alphanumeric() || is_separator(c) || "_.:/=+-@".contains(c);
    let keys = key.chars().count();
    if keys == 0 || keys > 128 {
        return Err(format!("keys are 1–128 characters, this one has {keys}"));
    }
    if value.chars().count() > 256 {
        return Err("values are at most 256 characters".into());
    }
    if key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
        return Err("keys starting with `aws:` are reserved by AWS".into());
    }
    if key == crate::model::MANAGED_TAG_KEY {
        return Err(format!(
            "`{key}` is the tag trailwarden marks its own resources with; choose another key"
        ));
    }
    for (what, text) in [("key", key), ("value", value)] {
        if let Some(bad) = text.chars().find(|c| !allowed(*c)) {
            return Err(format!(
                "the {what} contains `{}`; AWS allows letters, digits, spaces and `_ . : / = + - @`",
                bad.escape_default()
            ));
        }
    }
    Ok(())
}

/// Unicode separators (`\p{Z}`: spaces, line and paragraph separators).
fn is_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
    )
}

#[cfg(test)]
mod tag_tests {
    use super::check_tag;

    #[test]
    fn tags_follow_aws_charset_and_lengths() {
        for (k, v) in [
            ("owner", "jane@example.com"),
            ("cost-center", "a/b:c=d+e_f.g"),
            ("Umgebung", "Prüfung 1"),
            ("名前", "値"),
            ("k", ""),
        ] {
            assert_eq!(check_tag(k, v), Ok(()), "{k}={v}");
        }
        for (k, v, why) in [
            ("owner", "Jane <jane@example.com>", "`<`"),
            ("owner", "a;b", "`;`"),
            ("", "v", "1–128"),
            ("aws:createdBy", "x", "reserved"),
            ("AWS:x", "x", "reserved"),
            ("managed-by", "me", "trailwarden"),
            ("tab", "a\tb", "\\t"),
            ("k#", "v", "`#`"),
        ] {
            let err = check_tag(k, v).unwrap_err();
            assert!(err.contains(why), "{k}={v}: {err}");
        }
        assert!(check_tag(&"k".repeat(128), &"v".repeat(256)).is_ok());
        assert!(check_tag(&"k".repeat(129), "v").is_err());
        assert!(check_tag("k", &"v".repeat(257)).is_err());
        // Characters, not bytes.
        assert!(check_tag(&"é".repeat(128), &"é".repeat(256)).is_ok());
    }
}
