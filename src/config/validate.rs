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
