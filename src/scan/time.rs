//! UTC timestamps as seconds since the epoch: CloudTrail's `eventTime`, the `--since`/`--until`
//! values and their RFC 3339 rendering. Proleptic Gregorian calendar, no leap seconds.

/// Days since 1970-01-01 of a civil date (any year, month 1–12, day 1–31).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month, day) of a day number since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() {
        return None;
    }
    let mut n = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(c - b'0');
    }
    Some(n)
}

/// Parses `YYYY-MM-DD`; returns its day number.
pub fn parse_date(b: &[u8]) -> Option<i64> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = i64::from(digits(&b[0..4])?);
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

/// Parses an RFC 3339 timestamp such as `2022-11-10T16:24:34Z`, `2022-11-10T16:24:34.123Z` or
/// `2022-11-10T18:24:34+02:00` (fractions of a second are dropped); `t` may be lowercase or a
/// space. Returns seconds since the epoch.
pub fn parse_timestamp(b: &[u8]) -> Option<i64> {
    if b.len() < 20 || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let days = parse_date(&b[..10])?;
    let hour = i64::from(digits(&b[11..13])?);
    let minute = i64::from(digits(&b[14..16])?);
    let second = i64::from(digits(&b[17..19])?);
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &b[19..];
    if rest.first() == Some(&b'.') {
        let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        rest = &rest[1 + n..];
    }
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let h = i64::from(digits(&[*h1, *h2])?);
            let m = i64::from(digits(&[*m1, *m2])?);
            if h > 23 || m > 59 {
                return None;
            }
            let off = h * 3600 + m * 60;
            if *sign == b'+' {
                off
            } else {
                -off
            }
        }
        _ => return None,
    };
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

/// A `--since`/`--until` value: `YYYY-MM-DD` (midnight UTC) or an RFC 3339 timestamp.
pub fn parse_bound(text: &str) -> Result<i64, String> {
    let t = text.trim().as_bytes();
    if let Some(days) = parse_date(t) {
        return Ok(days * 86_400);
    }
    parse_timestamp(t).ok_or_else(|| {
        format!("`{text}` is not a date (YYYY-MM-DD) or an RFC 3339 time (2024-05-14T09:00:00Z)")
    })
}

/// `2024-05-14T09:13:10Z`.
pub fn format_timestamp(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp(b"1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_timestamp(b"2022-11-10T16:24:34Z"),
            Some(1_668_097_474)
        );
        assert_eq!(
            parse_timestamp(b"2022-11-10T16:24:34.999Z"),
            Some(1_668_097_474)
        );
        assert_eq!(
            parse_timestamp(b"2022-11-10T18:24:34+02:00"),
            Some(1_668_097_474)
        );
        assert_eq!(
            parse_timestamp(b"2022-11-10T14:24:34-02:00"),
            Some(1_668_097_474)
        );
        assert_eq!(
            parse_timestamp(b"2024-02-29T00:00:00Z"),
            Some(1_709_164_800)
        );
        for bad in [
            &b"2023-02-29T00:00:00Z"[..],
            b"2022-13-10T16:24:34Z",
            b"2022-11-10T24:24:34Z",
            b"2022-11-10T16:24:34",
            b"2022-11-10T16:24:34.Z",
            b"2022-11-10 16:24",
            b"",
            b"x022-11-10T16:24:34Z",
        ] {
            assert_eq!(
                parse_timestamp(bad),
                None,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(format_timestamp(1_668_097_474), "2022-11-10T16:24:34Z");
        assert_eq!(format_timestamp(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn bounds() {
        assert_eq!(parse_bound("2022-11-10"), Ok(1_668_038_400));
        assert_eq!(parse_bound("2022-11-10T16:24:34Z"), Ok(1_668_097_474));
        assert!(parse_bound("yesterday").unwrap_err().contains("yesterday"));
    }
}
