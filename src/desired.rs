//! Turns a validated [`Config`] and the target account into the fully resolved [`Desired`] state:
//! names, ARNs and policies. Pure: no I/O.

use serde_json::{json, Value};

use crate::arn;
use crate::config::{self, Config};
use crate::model::*;
use crate::runbook;

pub(crate) const BUCKET_SID_ACL: &str = "TrailwardenCloudTrailAclCheck";
pub(crate) const BUCKET_SID_WRITE: &str = "TrailwardenCloudTrailWrite";
pub(crate) const BUCKET_SID_ORG_WRITE: &str = "TrailwardenCloudTrailOrganizationWrite";
pub(crate) const BUCKET_SID_TLS: &str = "TrailwardenDenyInsecureTransport";
pub(crate) const TOPIC_SID_ALARMS: &str = "TrailwardenAllowCloudWatchAlarms";
pub(crate) const TOPIC_SID_DELIVERY: &str = "TrailwardenAllowCloudTrailDelivery";
/// Prefix of the role's inline policy; the region is appended (see [`role_policy_name`]).
pub(crate) const ROLE_POLICY_PREFIX: &str = "cloudtrail-to-cloudwatch-logs";
pub(crate) const DELIVERY_TOPIC_KEY: &str = "cloudtrail-delivery";

pub(crate) fn default_bucket_name(target: &Target) -> String {
    format!(
        "trailwarden-cloudtrail-{}-{}",
        target.account_id, target.region
    )
}

/// The existing trail the user adopted, as read from the account.
pub(crate) type AdoptedTrail = TrailState;

pub(crate) fn build(cfg: &Config, target: &Target, adopted: Option<&AdoptedTrail>) -> Desired {
    let cx = Builder::new(cfg, target, adopted);
    let bucket = cx.bucket();
    let (log_group, role, role_arn) = cx.delivery();
    let topics = cx.topics();
    let trail = cx.trail(bucket.as_ref(), &log_group, role_arn);
    let filters = cx.filters(&log_group);
    let alarms = cx.alarms(&topics, &log_group);
    let chats = cx.chats(&topics);
    let namespaces = managed_namespaces(cfg);
    Desired {
        target: target.clone(),
        bucket,
        role,
        log_group,
        trail,
        topics,
        filters,
        alarms,
        chats,
        namespaces,
    }
}

/// The landing-zone tool whose guardrails own a trail of this name, if any.
///
/// AWS Control Tower's organization trail is `aws-controltower-BaselineCloudTrail`; its
/// guardrails forbid changing what Control Tower set up, and changing the trail outside Control
/// Tower is landing-zone drift that only its Repair undoes ("Types of governance drift", AWS
/// Control Tower User Guide, https://docs.aws.amazon.com/controltower/latest/userguide/governance-drift.html).
/// Landing Zone Accelerator names its resources `AWSAccelerator…` and redeploys them from its
/// configuration (its organization trail: `AWSAccelerator-Organizations-CloudTrail`). trailwarden
/// adopts such a trail for its log group only: the filters and alarms go on that group, the
/// trail itself is never written to (its drift is reported, to be repaired with the tool).
pub(crate) fn trail_guardian(name: &str) -> Option<&'static str> {
    if name.starts_with("aws-controltower-") {
        Some("AWS Control Tower")
    } else if name.starts_with("AWSAccelerator") {
        Some("Landing Zone Accelerator")
    } else {
        None
    }
}

/// The namespace every built-in preset publishes its metrics in.
pub(crate) const BUILTIN_NAMESPACE: &str = "CloudTrailMetrics";

/// Where trailwarden's metrics live: the configured controls' namespaces, those of every control
/// of the configured presets (a disabled control's included) and the built-in presets'. Alarms
/// the configuration no longer names are looked for only here.
fn managed_namespaces(cfg: &Config) -> Vec<String> {
    let mut all: Vec<String> = cfg
        .controls
        .iter()
        .map(|c| c.namespace.clone())
        .chain(
            cfg.presets
                .iter()
                .flat_map(|p| p.controls.iter().map(|c| c.namespace.clone())),
        )
        .chain([BUILTIN_NAMESPACE.to_string()])
        .collect();
    all.sort();
    all.dedup();
    all
}

/// What every resource's spec is built from.
struct Builder<'a> {
    cfg: &'a Config,
    target: &'a Target,
    adopted: Option<&'a AdoptedTrail>,
    /// Organization mode: the organization the account manages.
    organization: Option<&'a Organization>,
    tags: Tags,
    trail_name: String,
    trail_arn: String,
}

impl<'a> Builder<'a> {
    fn new(cfg: &'a Config, target: &'a Target, adopted: Option<&'a AdoptedTrail>) -> Self {
        let trail_name = cfg
            .trail
            .name
            .clone()
            .unwrap_or_else(|| config::DEFAULT_TRAIL.to_string());
        let trail_arn = arn::trail(
            &target.partition,
            &target.region,
            &target.account_id,
            &trail_name,
        );
        Builder {
            cfg,
            target,
            adopted,
            organization: target
                .organization
                .as_ref()
                .filter(|_| cfg.trail.organization),
            tags: managed_tags(&cfg.tags),
            trail_name,
            trail_arn,
        }
    }

    /// The organization trail's member-account streams, `o-ORGID`: the organization's id in
    /// organization mode; `o-*` for an adopted organization trail whose organization was not read.
    fn organization_streams(&self) -> Option<String> {
        match (self.organization, self.adopted) {
            (Some(o), _) => Some(o.id.clone()),
            (None, Some(a)) if a.organization_trail => Some("o-*".to_string()),
            _ => None,
        }
    }

    fn topic_arn(&self, name: &str) -> String {
        let t = self.target;
        arn::topic(&t.partition, &t.region, &t.account_id, name)
    }

    /// The log bucket; `None` for an adopted trail, which keeps its own.
    fn bucket(&self) -> Option<BucketSpec> {
        if self.adopted.is_some() {
            return None;
        }
        let (cfg, t) = (self.cfg, self.target);
        let name = cfg
            .bucket
            .name
            .clone()
            .unwrap_or_else(|| default_bucket_name(t));
        let prefix = cfg.bucket.prefix.clone().filter(|s| !s.is_empty());
        Some(BucketSpec {
            statements: bucket_statements(
                &t.partition,
                &name,
                prefix.as_deref(),
                &t.account_id,
                &self.trail_arn,
                self.organization.map(|o| o.id.as_str()),
            ),
            name,
            prefix,
            kms_key_id: cfg.bucket.kms_key_id.clone(),
            tags: self.tags.clone(),
            adopted: cfg.bucket.name.is_some(),
        })
    }

    /// The log group and the role CloudTrail delivers through (with the role's ARN). An adopted
    /// trail that already delivers to CloudWatch Logs keeps its group and role: the filters go
    /// where its events already are.
    fn delivery(&self) -> (LogGroupSpec, Option<RoleSpec>, String) {
        let (cfg, t) = (self.cfg, self.target);
        if let Some((group_arn, role_arn)) = self
            .adopted
            .and_then(|t| Some((t.cw_log_group_arn.clone()?, t.cw_role_arn.clone()?)))
        {
            let arn = group_arn.trim_end_matches(":*").to_string();
            let group = LogGroupSpec {
                name: arn::log_group_name(&arn).to_string(),
                arn,
                retention_days: None,
                tags: self.tags.clone(),
                managed: false,
                adopted: true,
            };
            return (group, None, role_arn);
        }
        let name = cfg
            .log_group_name
            .clone()
            .unwrap_or_else(|| config::DEFAULT_LOG_GROUP.to_string());
        let role_name = cfg
            .role_name
            .clone()
            .unwrap_or_else(|| config::DEFAULT_ROLE.to_string());
        let role = RoleSpec {
            arn: arn::role(&t.partition, &t.account_id, &role_name),
            trust_policy: role_trust_policy(),
            policy_name: role_policy_name(&t.region),
            policy: role_policy(
                &t.partition,
                &t.region,
                &t.account_id,
                &name,
                self.organization_streams().as_deref(),
            ),
            tags: self.tags.clone(),
            adopted: cfg.role_name.is_some(),
            name: role_name,
        };
        let group = LogGroupSpec {
            arn: arn::log_group(&t.partition, &t.region, &t.account_id, &name),
            name,
            retention_days: Some(cfg.retention_days),
            tags: self.tags.clone(),
            managed: true,
            adopted: cfg.log_group_name.is_some(),
        };
        let role_arn = role.arn.clone();
        (group, Some(role), role_arn)
    }

    /// The alarm topics, and the delivery-notification topic when one is configured.
    fn topics(&self) -> Vec<TopicSpec> {
        let t = self.target;
        let mut topics: Vec<TopicSpec> = self
            .cfg
            .topics
            .iter()
            .map(|topic| {
                let arn = self.topic_arn(&topic.name);
                TopicSpec {
                    key: topic.key.clone(),
                    policy: policy_doc(vec![alarm_publish_statement(
                        &t.partition,
                        &t.region,
                        &t.account_id,
                        &arn,
                    )]),
                    name: topic.name.clone(),
                    arn,
                    kms_key_id: topic.kms_key_id.clone(),
                    subscriptions: topic.subscriptions.clone(),
                    tags: self.tags.clone(),
                    adopted: topic.explicit,
                }
            })
            .collect();
        if let Some(name) = &self.cfg.trail.delivery_topic {
            let arn = self.topic_arn(name);
            let statement = delivery_publish_statement(&arn, &self.trail_arn);
            match topics.iter_mut().find(|t| &t.name == name) {
                Some(t) => {
                    if let Some(stmts) = t.policy["Statement"].as_array_mut() {
                        stmts.push(statement);
                    }
                }
                None => topics.push(TopicSpec {
                    key: DELIVERY_TOPIC_KEY.to_string(),
                    name: name.clone(),
                    policy: policy_doc(vec![statement]),
                    arn,
                    kms_key_id: None,
                    subscriptions: Vec::new(),
                    tags: self.tags.clone(),
                    adopted: false,
                }),
            }
        }
        topics
    }

    /// The trail: a new one writing to `bucket`, or the adopted one as it is, with what the chain
    /// needs turned on.
    fn trail(
        &self,
        bucket: Option<&BucketSpec>,
        log_group: &LogGroupSpec,
        role_arn: String,
    ) -> TrailSpec {
        let cfg = self.cfg;
        let delivery_topic = cfg.trail.delivery_topic.as_ref().map(|n| self.topic_arn(n));
        match self.adopted {
            Some(t) => TrailSpec {
                name: self.trail_name.clone(),
                arn: t.arn.clone(),
                s3_bucket: t.s3_bucket.clone().unwrap_or_default(),
                s3_prefix: t.s3_prefix.clone(),
                cw_log_group_arn: format!("{}:*", log_group.arn),
                cw_role_arn: role_arn,
                kms_key_id: cfg.trail.kms_key_id.clone().or(t.kms_key_id.clone()),
                sns_topic: delivery_topic.or(t.sns_topic_arn.clone()),
                tags: self.tags.clone(),
                adopted: true,
                organization: t.organization_trail || self.organization.is_some(),
                guarded_by: trail_guardian(&t.name).map(str::to_string),
            },
            None => TrailSpec {
                name: self.trail_name.clone(),
                arn: self.trail_arn.clone(),
                s3_bucket: bucket.map(|b| b.name.clone()).unwrap_or_default(),
                s3_prefix: bucket.and_then(|b| b.prefix.clone()),
                cw_log_group_arn: format!("{}:*", log_group.arn),
                cw_role_arn: role_arn,
                kms_key_id: cfg.trail.kms_key_id.clone(),
                sns_topic: delivery_topic,
                tags: self.tags.clone(),
                adopted: cfg.trail.name.is_some() && cfg.trail.adopt,
                organization: self.organization.is_some(),
                guarded_by: None,
            },
        }
    }

    fn filters(&self, log_group: &LogGroupSpec) -> Vec<FilterSpec> {
        self.cfg
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
                dimensions: match self.organization {
                    Some(_) => [(ACCOUNT_DIMENSION.to_string(), ACCOUNT_FIELD.to_string())].into(),
                    None => Tags::new(),
                },
            })
            .collect()
    }

    /// The chat channels, each told of its topics. Guardrail: read-only, so that a command typed
    /// in the channel can never change the account, whatever the role allows (Chatbot applies
    /// AdministratorAccess as the guardrail when none is given: "The AWS managed
    /// 'AdministratorAccess' policy is applied by default if this is not set",
    /// CreateSlackChannelConfiguration, AWS Chatbot API Reference).
    fn chats(&self, topics: &[TopicSpec]) -> Vec<ChatChannelSpec> {
        self.cfg
            .chats
            .iter()
            .map(|c| ChatChannelSpec {
                key: c.key.clone(),
                name: format!("trailwarden-{}", c.key),
                client: c.client.clone(),
                topic_arns: c
                    .topic_keys
                    .iter()
                    .filter_map(|k| topics.iter().find(|t| &t.key == k))
                    .map(|t| t.arn.clone())
                    .collect(),
                role_arn: c.role_arn.clone(),
                guardrail_policy_arns: vec![format!(
                    "arn:{}:iam::aws:policy/ReadOnlyAccess",
                    self.target.partition
                )],
                tags: self.tags.clone(),
            })
            .collect()
    }

    fn alarms(&self, topics: &[TopicSpec], log_group: &LogGroupSpec) -> Vec<AlarmSpec> {
        let t = self.target;
        self.cfg
            .controls
            .iter()
            .map(|c| {
                // Validated: every key names a topic (the default one always exists).
                let arns: Vec<String> = c
                    .topic_keys
                    .iter()
                    .filter_map(|k| topics.iter().find(|t| &t.key == k))
                    .map(|t| t.arn.clone())
                    .collect();
                let control = format!("{}/{}", c.preset, c.id);
                let description = runbook::alarm_description(&runbook::AlarmText {
                    title: if c.title.is_empty() {
                        &c.filter_name
                    } else {
                        &c.title
                    },
                    severity: c.severity,
                    control: &control,
                    alarm_name: &c.alarm_name,
                    rationale: &c.rationale,
                    log_group: &log_group.name,
                    region: &t.region,
                    partition: &t.partition,
                    pattern: &c.pattern,
                    window_seconds: i64::from(c.alarm.period)
                        * i64::from(c.alarm.evaluation_periods),
                });
                AlarmSpec {
                    name: c.alarm_name.clone(),
                    description,
                    severity: c.severity,
                    control,
                    metric_name: c.metric_name.clone(),
                    namespace: c.namespace.clone(),
                    statistic: c.alarm.statistic.clone(),
                    period: c.alarm.period,
                    evaluation_periods: c.alarm.evaluation_periods,
                    datapoints_to_alarm: c.alarm.datapoints_to_alarm,
                    threshold: c.alarm.threshold,
                    comparison: c.alarm.comparison.clone(),
                    treat_missing_data: c.alarm.treat_missing_data.clone(),
                    ok_actions: if c.ok_actions {
                        arns.clone()
                    } else {
                        Vec::new()
                    },
                    actions: arns,
                    tags: self.tags.clone(),
                    query: self.organization.map(|_| {
                        per_account_query(&c.alarm.statistic, &c.namespace, &c.metric_name)
                    }),
                }
            })
            .collect()
    }
}

/// The metric dimension naming the account an event came from (organization mode), and the
/// CloudTrail record field it takes its value from: `recipientAccountId`, "the account ID that
/// received this event" ("CloudTrail record contents for management, data, and network activity
/// events", https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html).
///
/// One dimension, not the principal too: a metric filter's dimensions are at most three, and
/// CloudWatch Logs disables a filter whose dimensions produce more than 1,000 value
/// combinations in an hour ("Using dimensions with metric filters", PutMetricFilter,
/// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html):
/// accounts stay well below that, principals (`userIdentity.arn`) need not. The principal is in
/// the log event the alarm points to (docs/organizations.md).
pub(crate) const ACCOUNT_DIMENSION: &str = "AccountId";
pub(crate) const ACCOUNT_FIELD: &str = "$.recipientAccountId";

/// The Metrics Insights query of an organization alarm: the control's metric, one time series
/// per account. A query with GROUP BY makes a multi-time-series alarm, each account a contributor
/// that goes into ALARM on its own, named in the alarm's state reason ("Create an alarm based on a
/// Multi Time Series Metrics Insights query",
/// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/multi-time-series-alarm.html;
/// "Limits": at most 200 such alarms per account and Region by default, 100 contributors in ALARM,
/// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-limits.html).
pub(crate) fn per_account_query(statistic: &str, namespace: &str, metric: &str) -> String {
    // Metrics Insights' functions are AVG, COUNT, MAX, MIN and SUM ("Metrics Insights query
    // components and syntax"); percentiles have none, and count as SUM here.
    let function = match statistic {
        "Average" => "AVG",
        "Maximum" => "MAX",
        "Minimum" => "MIN",
        "SampleCount" => "COUNT",
        _ => "SUM",
    };
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\\\""));
    format!(
        "SELECT {function}({}) FROM SCHEMA({}, {ACCOUNT_DIMENSION}) GROUP BY {ACCOUNT_DIMENSION}",
        quote(metric),
        quote(namespace)
    )
}

pub(crate) fn policy_doc(statements: Vec<Value>) -> Value {
    json!({ "Version": "2012-10-17", "Statement": statements })
}

/// CloudTrail's documented bucket statements, scoped to this trail (confused-deputy protection),
/// and a deny of non-TLS access.
///
/// An organization trail (`organization`: the organization's id) writes every account's files
/// under `[PREFIX/]AWSLogs/o-ORGID/ACCOUNT/`: one more statement grants that path, with the same
/// conditions ("Create or update an Amazon S3 bucket to use to store the log files for an
/// organization trail", in "Amazon S3 bucket policy for CloudTrail",
/// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html).
pub(crate) fn bucket_statements(
    p: &str,
    bucket: &str,
    prefix: Option<&str>,
    account: &str,
    trail_arn: &str,
    organization: Option<&str>,
) -> Vec<Value> {
    let under = |owner: &str| match prefix {
        Some(pre) => format!("{pre}/AWSLogs/{owner}/*"),
        None => format!("AWSLogs/{owner}/*"),
    };
    let key_prefix = under(account);
    let write = |sid: &str, key: &str| {
        json!({
            "Sid": sid,
            "Effect": "Allow",
            "Principal": { "Service": "cloudtrail.amazonaws.com" },
            "Action": "s3:PutObject",
            "Resource": arn::s3(p, bucket, Some(key)),
            "Condition": { "StringEquals": {
                "s3:x-amz-acl": "bucket-owner-full-control",
                "aws:SourceArn": trail_arn
            } }
        })
    };
    let mut statements = vec![
        json!({
            "Sid": BUCKET_SID_ACL,
            "Effect": "Allow",
            "Principal": { "Service": "cloudtrail.amazonaws.com" },
            "Action": "s3:GetBucketAcl",
            "Resource": arn::s3(p, bucket, None),
            "Condition": { "StringEquals": { "aws:SourceArn": trail_arn } }
        }),
        write(BUCKET_SID_WRITE, &key_prefix),
        json!({
            "Sid": BUCKET_SID_TLS,
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn::s3(p, bucket, None), arn::s3(p, bucket, Some("*"))],
            "Condition": { "Bool": { "aws:SecureTransport": "false" } }
        }),
    ];
    if let Some(org) = organization {
        statements.insert(2, write(BUCKET_SID_ORG_WRITE, &under(org)));
    }
    statements
}

/// CloudTrail's service principal may assume the role, with no condition.
///
/// AWS, "Role policy document for CloudTrail to use CloudWatch Logs for monitoring"
/// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-required-policy-for-cloudwatch-logs.html):
/// confused-deputy prevention does not apply to this role, and its trust policy does not support
/// `aws:SourceArn` / `aws:SourceAccount`. With either condition CloudTrail cannot assume the role
/// and CreateTrail / UpdateTrail answer `InvalidCloudWatchLogsRoleArnException`.
pub(crate) fn role_trust_policy() -> Value {
    policy_doc(vec![json!({
        "Effect": "Allow",
        "Principal": { "Service": "cloudtrail.amazonaws.com" },
        "Action": "sts:AssumeRole"
    })])
}

/// The role is global but its policy names one region's log group: each region the chain is
/// applied in gets its own inline policy on the same role, so applying in a second region never
/// cuts the first region's delivery.
pub(crate) fn role_policy_name(region: &str) -> String {
    format!("{ROLE_POLICY_PREFIX}-{region}")
}

/// Only what CloudTrail needs to deliver, on its own streams of this log group. An organization
/// trail also writes member accounts' events to `o-ORGID_*` streams (AWS, same page as
/// [`role_trust_policy`]): `organization` is `o-ORGID`, or `o-*` when the id was not read.
pub(crate) fn role_policy(
    p: &str,
    region: &str,
    account: &str,
    group: &str,
    organization: Option<&str>,
) -> Value {
    let group_arn = arn::log_group(p, region, account, group);
    let mut resources = vec![json!(format!(
        "{group_arn}:log-stream:{account}_CloudTrail_{region}*"
    ))];
    if let Some(org) = organization {
        resources.push(json!(format!("{group_arn}:log-stream:{org}_*")));
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

pub(crate) fn alarm_publish_statement(
    p: &str,
    region: &str,
    account: &str,
    topic_arn: &str,
) -> Value {
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

pub(crate) fn delivery_publish_statement(topic_arn: &str, trail_arn: &str) -> Value {
    json!({
        "Sid": TOPIC_SID_DELIVERY,
        "Effect": "Allow",
        "Principal": { "Service": "cloudtrail.amazonaws.com" },
        "Action": "sns:Publish",
        "Resource": topic_arn,
        "Condition": { "StringEquals": { "aws:SourceArn": trail_arn } }
    })
}
