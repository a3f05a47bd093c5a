//! Turns a validated [`Config`] and the target account into the fully resolved [`Desired`] state:
//! names, ARNs and policies. Pure: no I/O.

use serde_json::{json, Value};

use crate::arn;
use crate::config::{self, Config};
use crate::model::*;

pub const BUCKET_SID_ACL: &str = "TrailwardenCloudTrailAclCheck";
pub const BUCKET_SID_WRITE: &str = "TrailwardenCloudTrailWrite";
pub const BUCKET_SID_TLS: &str = "TrailwardenDenyInsecureTransport";
pub const TOPIC_SID_ALARMS: &str = "TrailwardenAllowCloudWatchAlarms";
pub const TOPIC_SID_DELIVERY: &str = "TrailwardenAllowCloudTrailDelivery";
/// Prefix of the role's inline policy; the region is appended (see [`role_policy_name`]).
pub const ROLE_POLICY_PREFIX: &str = "cloudtrail-to-cloudwatch-logs";
pub const DELIVERY_TOPIC_KEY: &str = "cloudtrail-delivery";

pub fn default_bucket_name(target: &Target) -> String {
    format!(
        "trailwarden-cloudtrail-{}-{}",
        target.account_id, target.region
    )
}

/// The existing trail the user adopted, as read from the account.
pub type AdoptedTrail = TrailState;

pub fn build(cfg: &Config, target: &Target, adopted: Option<&AdoptedTrail>) -> Desired {
    let p = &target.partition;
    let acct = &target.account_id;
    let region = &target.region;
    let tags = managed_tags(&cfg.tags);

    let trail_name = cfg
        .trail
        .name
        .clone()
        .unwrap_or_else(|| config::DEFAULT_TRAIL.to_string());
    let trail_arn = arn::trail(p, region, acct, &trail_name);

    // An adopted trail keeps its own bucket and, when it already delivers to CloudWatch Logs,
    // its own log group and role: the filters go where its events already are.
    let adopted_cw =
        adopted.and_then(|t| Some((t.cw_log_group_arn.clone()?, t.cw_role_arn.clone()?)));

    let bucket = match adopted {
        Some(_) => None,
        None => {
            let name = cfg
                .bucket
                .name
                .clone()
                .unwrap_or_else(|| default_bucket_name(target));
            let prefix = cfg.bucket.prefix.clone().filter(|s| !s.is_empty());
            Some(BucketSpec {
                statements: bucket_statements(p, &name, prefix.as_deref(), acct, &trail_arn),
                name,
                prefix,
                kms_key_id: cfg.bucket.kms_key_id.clone(),
                tags: tags.clone(),
                adopted: cfg.bucket.name.is_some(),
            })
        }
    };

    let (log_group, role) = match &adopted_cw {
        Some((group_arn, role_arn)) => {
            let arn = group_arn.trim_end_matches(":*").to_string();
            let name = arn::log_group_name(&arn).to_string();
            (
                LogGroupSpec {
                    name,
                    arn,
                    retention_days: None,
                    tags: tags.clone(),
                    managed: false,
                    adopted: true,
                },
                RoleOrArn::Arn(role_arn.clone()),
            )
        }
        None => {
            let name = cfg
                .log_group_name
                .clone()
                .unwrap_or_else(|| config::DEFAULT_LOG_GROUP.to_string());
            let arn = arn::log_group(p, region, acct, &name);
            let role_name = cfg
                .role_name
                .clone()
                .unwrap_or_else(|| config::DEFAULT_ROLE.to_string());
            let role = RoleSpec {
                arn: arn::role(p, acct, &role_name),
                trust_policy: role_trust_policy(),
                policy_name: role_policy_name(region),
                policy: role_policy(
                    p,
                    region,
                    acct,
                    &name,
                    adopted.is_some_and(|t| t.organization_trail),
                ),
                tags: tags.clone(),
                adopted: cfg.role_name.is_some(),
                name: role_name,
            };
            (
                LogGroupSpec {
                    name,
                    arn,
                    retention_days: Some(cfg.retention_days),
                    tags: tags.clone(),
                    managed: true,
                    adopted: cfg.log_group_name.is_some(),
                },
                RoleOrArn::Role(Box::new(role)),
            )
        }
    };
    let (role, role_arn) = match role {
        RoleOrArn::Role(r) => {
            let arn = r.arn.clone();
            (Some(*r), arn)
        }
        RoleOrArn::Arn(a) => (None, a),
    };

    let mut topics: Vec<TopicSpec> = cfg
        .topics
        .iter()
        .map(|t| {
            let arn = arn::topic(p, region, acct, &t.name);
            TopicSpec {
                key: t.key.clone(),
                policy: policy_doc(vec![alarm_publish_statement(p, region, acct, &arn)]),
                name: t.name.clone(),
                arn,
                kms_key_id: t.kms_key_id.clone(),
                emails: t.emails.clone(),
                tags: tags.clone(),
                adopted: t.explicit,
            }
        })
        .collect();
    if let Some(name) = &cfg.trail.delivery_topic {
        let arn = arn::topic(p, region, acct, name);
        match topics.iter_mut().find(|t| &t.name == name) {
            Some(t) => {
                if let Some(stmts) = t.policy["Statement"].as_array_mut() {
                    stmts.push(delivery_publish_statement(&arn, &trail_arn));
                }
            }
            None => topics.push(TopicSpec {
                key: DELIVERY_TOPIC_KEY.to_string(),
                name: name.clone(),
                policy: policy_doc(vec![delivery_publish_statement(&arn, &trail_arn)]),
                arn,
                kms_key_id: None,
                emails: Vec::new(),
                tags: tags.clone(),
                adopted: false,
            }),
        }
    }

    let trail = match adopted {
        Some(t) => TrailSpec {
            name: trail_name.clone(),
            arn: t.arn.clone(),
            s3_bucket: t.s3_bucket.clone().unwrap_or_default(),
            s3_prefix: t.s3_prefix.clone(),
            cw_log_group_arn: format!("{}:*", log_group.arn),
            cw_role_arn: role_arn,
            kms_key_id: cfg.trail.kms_key_id.clone().or(t.kms_key_id.clone()),
            sns_topic: cfg
                .trail
                .delivery_topic
                .as_ref()
                .map(|n| arn::topic(p, region, acct, n))
                .or(t.sns_topic_arn.clone()),
            tags: tags.clone(),
            adopted: true,
        },
        None => TrailSpec {
            name: trail_name.clone(),
            arn: trail_arn,
            s3_bucket: bucket.as_ref().map(|b| b.name.clone()).unwrap_or_default(),
            s3_prefix: bucket.as_ref().and_then(|b| b.prefix.clone()),
            cw_log_group_arn: format!("{}:*", log_group.arn),
            cw_role_arn: role_arn,
            kms_key_id: cfg.trail.kms_key_id.clone(),
            sns_topic: cfg
                .trail
                .delivery_topic
                .as_ref()
                .map(|n| arn::topic(p, region, acct, n)),
            tags: tags.clone(),
            adopted: cfg.trail.name.is_some() && cfg.trail.adopt,
        },
    };

    let filters = cfg
        .controls
        .iter()
        .map(|c| FilterSpec {
            name: c.filter_name.clone(),
            log_group: log_group.name.clone(),
            // As CloudWatch Logs stores it.
            pattern: c.pattern.trim().to_string(),
            metric_name: c.metric_name.clone(),
            namespace: c.namespace.clone(),
            metric_value: "1".to_string(),
            controls: vec![format!("{}/{}", c.preset, c.id)],
        })
        .collect();
    let alarms = cfg
        .controls
        .iter()
        .map(|c| {
            let topic = topics
                .iter()
                .find(|t| t.key == c.topic_key)
                .or_else(|| topics.iter().find(|t| t.key == config::DEFAULT_TOPIC_KEY));
            AlarmSpec {
                name: c.alarm_name.clone(),
                description: format!(
                    "{} ({} / {}), managed by trailwarden",
                    if c.title.is_empty() {
                        &c.filter_name
                    } else {
                        &c.title
                    },
                    c.preset,
                    c.id
                ),
                metric_name: c.metric_name.clone(),
                namespace: c.namespace.clone(),
                statistic: c.alarm.statistic.clone(),
                period: c.alarm.period,
                evaluation_periods: c.alarm.evaluation_periods,
                datapoints_to_alarm: c.alarm.datapoints_to_alarm,
                threshold: c.alarm.threshold,
                comparison: c.alarm.comparison.clone(),
                treat_missing_data: c.alarm.treat_missing_data.clone(),
                actions: topic.map(|t| vec![t.arn.clone()]).unwrap_or_default(),
                tags: tags.clone(),
            }
        })
        .collect();

    Desired {
        target: target.clone(),
        bucket,
        role,
        log_group,
        trail,
        topics,
        filters,
        alarms,
    }
}

enum RoleOrArn {
    Role(Box<RoleSpec>),
    Arn(String),
}

pub fn policy_doc(statements: Vec<Value>) -> Value {
    json!({ "Version": "2012-10-17", "Statement": statements })
}

/// CloudTrail's documented bucket statements, scoped to this trail (confused-deputy protection),
/// and a deny of non-TLS access.
pub fn bucket_statements(
    p: &str,
    bucket: &str,
    prefix: Option<&str>,
    account: &str,
    trail_arn: &str,
) -> Vec<Value> {
    let key_prefix = match prefix {
        Some(pre) => format!("{pre}/AWSLogs/{account}/*"),
        None => format!("AWSLogs/{account}/*"),
    };
    vec![
        json!({
            "Sid": BUCKET_SID_ACL,
            "Effect": "Allow",
            "Principal": { "Service": "cloudtrail.amazonaws.com" },
            "Action": "s3:GetBucketAcl",
            "Resource": arn::s3(p, bucket, None),
            "Condition": { "StringEquals": { "aws:SourceArn": trail_arn } }
        }),
        json!({
            "Sid": BUCKET_SID_WRITE,
            "Effect": "Allow",
            "Principal": { "Service": "cloudtrail.amazonaws.com" },
            "Action": "s3:PutObject",
            "Resource": arn::s3(p, bucket, Some(&key_prefix)),
            "Condition": { "StringEquals": {
                "s3:x-amz-acl": "bucket-owner-full-control",
                "aws:SourceArn": trail_arn
            } }
        }),
        json!({
            "Sid": BUCKET_SID_TLS,
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn::s3(p, bucket, None), arn::s3(p, bucket, Some("*"))],
            "Condition": { "Bool": { "aws:SecureTransport": "false" } }
        }),
    ]
}

/// CloudTrail's service principal may assume the role, with no condition.
///
/// AWS, "Role policy document for CloudTrail to use CloudWatch Logs for monitoring"
/// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-required-policy-for-cloudwatch-logs.html):
/// confused-deputy prevention does not apply to this role, and its trust policy does not support
/// `aws:SourceArn` / `aws:SourceAccount`. With either condition CloudTrail cannot assume the role
/// and CreateTrail / UpdateTrail answer `InvalidCloudWatchLogsRoleArnException`.
pub fn role_trust_policy() -> Value {
    policy_doc(vec![json!({
        "Effect": "Allow",
        "Principal": { "Service": "cloudtrail.amazonaws.com" },
        "Action": "sts:AssumeRole"
    })])
}

/// The role is global but its policy names one region's log group: each region the chain is
/// applied in gets its own inline policy on the same role, so applying in a second region never
/// cuts the first region's delivery.
pub fn role_policy_name(region: &str) -> String {
    format!("{ROLE_POLICY_PREFIX}-{region}")
}

/// Only what CloudTrail needs to deliver, on its own streams of this log group. An organization
/// trail also writes member accounts' events to `o-ORGID_*` streams (AWS, same page as
/// [`role_trust_policy`]); the organization id is not known from a member-side read, so `o-*_*`.
pub fn role_policy(p: &str, region: &str, account: &str, group: &str, organization: bool) -> Value {
    let group_arn = arn::log_group(p, region, account, group);
    let mut resources = vec![json!(format!(
        "{group_arn}:log-stream:{account}_CloudTrail_{region}*"
    ))];
    if organization {
        resources.push(json!(format!("{group_arn}:log-stream:o-*_*")));
    }
    let resource = match resources.len() {
        1 => resources.remove(0),
        _ => Value::Array(resources),
    };
    policy_doc(vec![json!({
        "Sid": "CloudTrailDeliverToLogGroup",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": resource
    })])
}

pub fn alarm_publish_statement(p: &str, region: &str, account: &str, topic_arn: &str) -> Value {
    json!({
        "Sid": TOPIC_SID_ALARMS,
        "Effect": "Allow",
        "Principal": { "Service": "cloudwatch.amazonaws.com" },
        "Action": "sns:Publish",
        "Resource": topic_arn,
        "Condition": {
            "ArnLike": { "aws:SourceArn": arn::all_alarms(p, region, account) },
            "StringEquals": { "aws:SourceAccount": account }
        }
    })
}

pub fn delivery_publish_statement(topic_arn: &str, trail_arn: &str) -> Value {
    json!({
        "Sid": TOPIC_SID_DELIVERY,
        "Effect": "Allow",
        "Principal": { "Service": "cloudtrail.amazonaws.com" },
        "Action": "sns:Publish",
        "Resource": topic_arn,
        "Condition": { "StringEquals": { "aws:SourceArn": trail_arn } }
    })
}
