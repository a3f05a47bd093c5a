//! IAM actions behind every API call the adapter makes.

/// The least-privilege policy for `actions`, as `permissions --for ...` prints it and the member
/// template's check role carries it: one statement, the actions sorted, on every resource (the
/// resources' names come from the configuration).
pub fn policy(sid: &str, actions: &[&str]) -> serde_json::Value {
    let mut actions = actions.to_vec();
    actions.sort();
    actions.dedup();
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": sid,
            "Effect": "Allow",
            "Action": actions,
            "Resource": "*"
        }]
    })
}

/// What `check` needs in an account: [`READ_ACTIONS`] only.
pub fn check_policy() -> serde_json::Value {
    policy(CHECK_SID, READ_ACTIONS)
}

pub const CHECK_SID: &str = "TrailwardenCheckReadOnly";

/// Every IAM action `read()` (and the identity check) needs. `s3:GetBucketLocation` is asked
/// only when S3 redirects a request on the bucket without naming the bucket's region.
pub const READ_ACTIONS: &[&str] = &[
    "sts:GetCallerIdentity",
    "s3:ListBucket",
    "s3:GetBucketLocation",
    "s3:GetBucketPolicy",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetEncryptionConfiguration",
    "s3:GetBucketVersioning",
    "s3:GetBucketTagging",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "logs:DescribeLogGroups",
    "logs:ListTagsForResource",
    "logs:DescribeMetricFilters",
    "cloudtrail:DescribeTrails",
    "cloudtrail:GetTrailStatus",
    "cloudtrail:GetEventSelectors",
    "cloudtrail:ListTags",
    "sns:GetTopicAttributes",
    "sns:ListSubscriptionsByTopic",
    "sns:ListTopics",
    "sns:ListTagsForResource",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:ListTagsForResource",
    // `plan`'s cost estimate: the log group's IncomingBytes.
    "cloudwatch:GetMetricStatistics",
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
];

/// Every IAM action `execute()` may need. Tagging actions are listed because creating a resource
/// with tags also requires them; `iam:PassRole` because the trail is handed the CloudWatch Logs
/// role.
pub const WRITE_ACTIONS: &[&str] = &[
    "s3:CreateBucket",
    "s3:PutBucketTagging",
    "s3:PutBucketPolicy",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutEncryptionConfiguration",
    "s3:PutBucketVersioning",
    "iam:CreateRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:PutRolePolicy",
    "iam:TagRole",
    "iam:PassRole",
    "logs:CreateLogGroup",
    "logs:PutRetentionPolicy",
    "logs:TagResource",
    "logs:PutMetricFilter",
    "cloudtrail:CreateTrail",
    "cloudtrail:UpdateTrail",
    "cloudtrail:StartLogging",
    "cloudtrail:PutEventSelectors",
    "cloudtrail:AddTags",
    "sns:CreateTopic",
    "sns:SetTopicAttributes",
    "sns:Subscribe",
    "sns:TagResource",
    "cloudwatch:PutMetricAlarm",
    "cloudwatch:TagResource",
    // Removals: what trailwarden created and the configuration no longer asks for.
    "logs:DeleteMetricFilter",
    "sns:DeleteTopic",
    "sns:Unsubscribe",
    "cloudwatch:DeleteAlarms",
];

/// What `destroy` needs besides the read actions and the removals of [`WRITE_ACTIONS`]: the
/// trail and its role go with `--stop-logging`, the log group and the bucket (every object
/// version first) with `--delete-log-data`.
pub const DESTROY_ACTIONS: &[&str] = &[
    "iam:ListRolePolicies",
    "cloudtrail:StopLogging",
    "cloudtrail:DeleteTrail",
    "iam:DeleteRolePolicy",
    "iam:DeleteRole",
    "logs:DeleteLogGroup",
    "s3:ListBucketVersions",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:DeleteBucket",
];

/// The removals in [`WRITE_ACTIONS`], which `destroy` needs too.
pub const REMOVAL_ACTIONS: &[&str] = &[
    "logs:DeleteMetricFilter",
    "sns:DeleteTopic",
    "sns:Unsubscribe",
    "cloudwatch:DeleteAlarms",
];

/// Every IAM action `scan` needs to read log files from S3 (see [`super::objects`]): listing
/// (ListObjectsV2), downloading (GetObject), and finding a bucket in another region when S3's
/// redirect does not name it (GetBucketLocation). Scan asks nothing else, not even who the
/// caller is.
pub const SCAN_ACTIONS: &[&str] = &["s3:ListBucket", "s3:GetObject", "s3:GetBucketLocation"];

/// What organization mode and `--accounts` add, in the calling (management) account: the
/// organization (DescribeOrganization), its accounts (ListAccounts, ListAccountsForParent and
/// ListOrganizationalUnitsForParent for an OU), and the role assumed in each account
/// (sts:AssumeRole, granted on the role's ARN in every account: see `permissions`).
pub const ORGANIZATION_ACTIONS: &[&str] = &[
    "organizations:DescribeOrganization",
    "organizations:ListAccounts",
    "organizations:ListAccountsForParent",
    "organizations:ListOrganizationalUnitsForParent",
];

/// (IAM service prefix, SDK operation name, IAM action) for every operation the adapter calls.
const OPERATIONS: &[(&str, &str, &str)] = &[
    ("sts", "GetCallerIdentity", "sts:GetCallerIdentity"),
    ("sts", "AssumeRole", "sts:AssumeRole"),
    (
        "organizations",
        "DescribeOrganization",
        "organizations:DescribeOrganization",
    ),
    (
        "organizations",
        "ListAccounts",
        "organizations:ListAccounts",
    ),
    (
        "organizations",
        "ListAccountsForParent",
        "organizations:ListAccountsForParent",
    ),
    (
        "organizations",
        "ListOrganizationalUnitsForParent",
        "organizations:ListOrganizationalUnitsForParent",
    ),
    ("s3", "HeadBucket", "s3:ListBucket"),
    ("s3", "ListObjectsV2", "s3:ListBucket"),
    ("s3", "GetObject", "s3:GetObject"),
    ("s3", "GetBucketLocation", "s3:GetBucketLocation"),
    ("s3", "GetBucketPolicy", "s3:GetBucketPolicy"),
    (
        "s3",
        "GetPublicAccessBlock",
        "s3:GetBucketPublicAccessBlock",
    ),
    ("s3", "GetBucketEncryption", "s3:GetEncryptionConfiguration"),
    ("s3", "GetBucketVersioning", "s3:GetBucketVersioning"),
    ("s3", "GetBucketTagging", "s3:GetBucketTagging"),
    ("s3", "CreateBucket", "s3:CreateBucket"),
    ("s3", "PutBucketTagging", "s3:PutBucketTagging"),
    ("s3", "PutBucketPolicy", "s3:PutBucketPolicy"),
    (
        "s3",
        "PutPublicAccessBlock",
        "s3:PutBucketPublicAccessBlock",
    ),
    ("s3", "PutBucketEncryption", "s3:PutEncryptionConfiguration"),
    ("s3", "PutBucketVersioning", "s3:PutBucketVersioning"),
    ("iam", "GetRole", "iam:GetRole"),
    ("iam", "GetRolePolicy", "iam:GetRolePolicy"),
    ("iam", "CreateRole", "iam:CreateRole"),
    (
        "iam",
        "UpdateAssumeRolePolicy",
        "iam:UpdateAssumeRolePolicy",
    ),
    ("iam", "PutRolePolicy", "iam:PutRolePolicy"),
    ("iam", "TagRole", "iam:TagRole"),
    ("logs", "DescribeLogGroups", "logs:DescribeLogGroups"),
    ("logs", "ListTagsForResource", "logs:ListTagsForResource"),
    (
        "logs",
        "DescribeMetricFilters",
        "logs:DescribeMetricFilters",
    ),
    ("logs", "CreateLogGroup", "logs:CreateLogGroup"),
    ("logs", "PutRetentionPolicy", "logs:PutRetentionPolicy"),
    ("logs", "TagResource", "logs:TagResource"),
    ("logs", "PutMetricFilter", "logs:PutMetricFilter"),
    ("cloudtrail", "DescribeTrails", "cloudtrail:DescribeTrails"),
    ("cloudtrail", "GetTrailStatus", "cloudtrail:GetTrailStatus"),
    ("cloudtrail", "ListTags", "cloudtrail:ListTags"),
    (
        "cloudtrail",
        "GetEventSelectors",
        "cloudtrail:GetEventSelectors",
    ),
    (
        "cloudtrail",
        "PutEventSelectors",
        "cloudtrail:PutEventSelectors",
    ),
    ("cloudtrail", "CreateTrail", "cloudtrail:CreateTrail"),
    ("cloudtrail", "UpdateTrail", "cloudtrail:UpdateTrail"),
    ("cloudtrail", "StartLogging", "cloudtrail:StartLogging"),
    ("cloudtrail", "AddTags", "cloudtrail:AddTags"),
    ("sns", "GetTopicAttributes", "sns:GetTopicAttributes"),
    (
        "sns",
        "ListSubscriptionsByTopic",
        "sns:ListSubscriptionsByTopic",
    ),
    // `init` lists topics to offer reusing one.
    ("sns", "ListTopics", "sns:ListTopics"),
    ("sns", "ListTagsForResource", "sns:ListTagsForResource"),
    ("sns", "CreateTopic", "sns:CreateTopic"),
    ("sns", "SetTopicAttributes", "sns:SetTopicAttributes"),
    ("sns", "Subscribe", "sns:Subscribe"),
    ("cloudwatch", "DescribeAlarms", "cloudwatch:DescribeAlarms"),
    ("cloudwatch", "PutMetricAlarm", "cloudwatch:PutMetricAlarm"),
    (
        "cloudwatch",
        "ListTagsForResource",
        "cloudwatch:ListTagsForResource",
    ),
    ("cloudwatch", "DeleteAlarms", "cloudwatch:DeleteAlarms"),
    (
        "cloudwatch",
        "GetMetricStatistics",
        "cloudwatch:GetMetricStatistics",
    ),
    ("logs", "DeleteMetricFilter", "logs:DeleteMetricFilter"),
    ("sns", "DeleteTopic", "sns:DeleteTopic"),
    ("sns", "Unsubscribe", "sns:Unsubscribe"),
    ("cloudtrail", "StopLogging", "cloudtrail:StopLogging"),
    ("cloudtrail", "DeleteTrail", "cloudtrail:DeleteTrail"),
    ("iam", "DeleteRolePolicy", "iam:DeleteRolePolicy"),
    ("iam", "DeleteRole", "iam:DeleteRole"),
    ("iam", "ListRolePolicies", "iam:ListRolePolicies"),
    ("logs", "DeleteLogGroup", "logs:DeleteLogGroup"),
    ("s3", "ListObjectVersions", "s3:ListBucketVersions"),
    // DeleteObjects is authorized per key: s3:DeleteObject, and s3:DeleteObjectVersion for a
    // version id (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html).
    ("s3", "DeleteObjects", "s3:DeleteObjectVersion"),
    ("s3", "DeleteBucket", "s3:DeleteBucket"),
    ("kms", "DescribeKey", "kms:DescribeKey"),
    ("kms", "GetKeyPolicy", "kms:GetKeyPolicy"),
];

/// The IAM service prefix for a service name as the SDK (`CloudWatch Logs`), the IAM policy
/// language (`logs`) or the signing name (`monitoring`) spells it.
fn iam_prefix(service: &str) -> Option<&'static str> {
    let normalized: String = service
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '_')
        .collect::<String>()
        .to_ascii_lowercase();
    Some(match normalized.as_str() {
        "sts" => "sts",
        "s3" => "s3",
        "iam" => "iam",
        "logs" | "cloudwatchlogs" => "logs",
        "cloudtrail" => "cloudtrail",
        "sns" => "sns",
        "cloudwatch" | "monitoring" => "cloudwatch",
        "kms" => "kms",
        "organizations" => "organizations",
        _ => return None,
    })
}

/// The IAM action an SDK operation needs, for the operations the adapter calls
/// (`("S3", "GetBucketEncryption")` → `s3:GetEncryptionConfiguration`).
pub fn iam_action_for(service: &str, operation: &str) -> Option<&'static str> {
    let prefix = iam_prefix(service)?;
    OPERATIONS
        .iter()
        .find(|(p, op, _)| *p == prefix && op.eq_ignore_ascii_case(operation))
        .map(|(_, _, action)| *action)
}

/// Whether an SDK operation only reads (used to count write requests).
pub fn is_read_operation(operation: &str) -> bool {
    ["Get", "Describe", "List", "Head", "Lookup"]
        .iter()
        .any(|p| operation.starts_with(p))
        || matches!(
            operation,
            "GetCallerIdentity" | "GetTrailStatus" | "TestMetricFilter"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_is_listed_once() {
        for (_, op, action) in OPERATIONS {
            // Granted on its own statement (the role's ARN), by `permissions --accounts`.
            if *action == "sts:AssumeRole" {
                continue;
            }
            let listed = if ORGANIZATION_ACTIONS.contains(action) {
                true
            } else if is_read_operation(op) {
                READ_ACTIONS
                    .iter()
                    .chain(SCAN_ACTIONS)
                    .chain(DESTROY_ACTIONS)
                    .any(|a| a == action)
            } else {
                WRITE_ACTIONS.contains(action) || DESTROY_ACTIONS.contains(action)
            };
            assert!(listed, "{action} ({op}) not listed");
        }
        assert!(REMOVAL_ACTIONS.iter().all(|a| WRITE_ACTIONS.contains(a)));
        let mut all: Vec<&str> = READ_ACTIONS
            .iter()
            .chain(WRITE_ACTIONS)
            .chain(DESTROY_ACTIONS)
            .copied()
            .collect();
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n, "an action is listed twice");
        let mut scan = SCAN_ACTIONS.to_vec();
        scan.sort_unstable();
        scan.dedup();
        assert_eq!(
            scan.len(),
            SCAN_ACTIONS.len(),
            "a scan action is listed twice"
        );
        assert!(
            SCAN_ACTIONS.iter().all(|a| {
                let op = a.split(':').nth(1).unwrap_or_default();
                is_read_operation(op)
            }),
            "scan needs only reads"
        );
    }

    #[test]
    fn service_spellings() {
        assert_eq!(
            iam_action_for("CloudWatch Logs", "TagResource"),
            Some("logs:TagResource")
        );
        assert_eq!(iam_action_for("S3", "HeadBucket"), Some("s3:ListBucket"));
        assert_eq!(
            iam_action_for("monitoring", "PutMetricAlarm"),
            Some("cloudwatch:PutMetricAlarm")
        );
        assert_eq!(iam_action_for("S3", "DeleteBucketCors"), None);
        assert_eq!(iam_action_for("s3", "ListObjectsV2"), Some("s3:ListBucket"));
        assert!(is_read_operation("HeadBucket"));
        assert!(!is_read_operation("PutMetricFilter"));
    }
}
