//! ARNs of the chain's resources: built here, and read here ("Amazon Resource Names (ARNs)",
//! AWS General Reference: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`).

/// The fields of an ARN. IAM and S3 ARNs have an empty region (and S3 an empty account).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// `None` when `text` is not an ARN.
    pub(crate) fn parse(text: &'a str) -> Option<Arn<'a>> {
        let mut parts = text.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        Some(Arn {
            partition: parts.next()?,
            service: parts.next()?,
            region: parts.next()?,
            account: parts.next()?,
            resource: parts.next()?,
        })
    }
}

/// The region of an ARN, when it has one.
pub(crate) fn region(arn: &str) -> Option<&str> {
    Arn::parse(arn).map(|a| a.region).filter(|r| !r.is_empty())
}

/// The account of an ARN, when it has one.
pub(crate) fn account(arn: &str) -> Option<&str> {
    Arn::parse(arn).map(|a| a.account).filter(|a| !a.is_empty())
}

/// The name at the end of an ARN (`...:trail/NAME`, `...:TOPIC`), or the text itself when it
/// is a name already.
pub(crate) fn name(arn_or_name: &str) -> &str {
    match Arn::parse(arn_or_name) {
        Some(a) => a.resource.rsplit(['/', ':']).next().unwrap_or(a.resource),
        None => arn_or_name,
    }
}

/// The log group named by a log group ARN (with or without the `:*` suffix CloudTrail uses).
pub(crate) fn log_group_name(arn: &str) -> &str {
    let arn = arn.trim_end_matches(":*");
    arn.rsplit_once(":log-group:").map_or(arn, |(_, n)| n)
}

pub(crate) fn trail(partition: &str, region: &str, account: &str, name: &str) -> String {
    format!("arn:{partition}:cloudtrail:{region}:{account}:trail/{name}")
}

/// A role without a path; an existing role's ARN is read from IAM (it may have one).
pub(crate) fn role(partition: &str, account: &str, name: &str) -> String {
    format!("arn:{partition}:iam::{account}:role/{name}")
}

/// A log group, without the `:*` suffix.
pub(crate) fn log_group(partition: &str, region: &str, account: &str, name: &str) -> String {
    format!("arn:{partition}:logs:{region}:{account}:log-group:{name}")
}

pub(crate) fn topic(partition: &str, region: &str, account: &str, name: &str) -> String {
    format!("arn:{partition}:sns:{region}:{account}:{name}")
}

/// A bucket, or with `key` (which may hold wildcards) objects in it.
pub(crate) fn s3(partition: &str, bucket: &str, key: Option<&str>) -> String {
    match key {
        Some(key) => format!("arn:{partition}:s3:::{bucket}/{key}"),
        None => format!("arn:{partition}:s3:::{bucket}"),
    }
}

/// Every CloudWatch alarm of an account in a region.
pub(crate) fn all_alarms(partition: &str, region: &str, account: &str) -> String {
    format!("arn:{partition}:cloudwatch:{region}:{account}:alarm:*")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_round_trip() {
        let t = trail("aws", "eu-west-1", "111122223333", "main");
        assert_eq!(t, "arn:aws:cloudtrail:eu-west-1:111122223333:trail/main");
        assert_eq!(region(&t), Some("eu-west-1"));
        assert_eq!(account(&t), Some("111122223333"));
        assert_eq!(name(&t), "main");
        let r = role("aws-cn", "111122223333", "r");
        assert_eq!(region(&r), None);
        assert_eq!(name("arn:aws:iam::111122223333:role/service-role/ct"), "ct");
        assert_eq!(name(&topic("aws", "us-east-1", "1", "alarms")), "alarms");
        assert_eq!(name("alarms"), "alarms");
        let g = log_group("aws", "us-east-1", "1", "/aws/ct:x");
        assert_eq!(log_group_name(&format!("{g}:*")), "/aws/ct:x");
        assert_eq!(
            s3("aws", "b", Some("AWSLogs/1/*")),
            "arn:aws:s3:::b/AWSLogs/1/*"
        );
        assert_eq!(Arn::parse("not-an-arn"), None);
        assert_eq!(region("arn:aws:iam::1:role/r"), None);
    }
}
