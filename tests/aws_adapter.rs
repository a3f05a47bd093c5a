//! The AWS adapter against the local emulator: every `Op` executed, then read back.

#![allow(clippy::print_stdout)] // prints its results

mod common;

use common::{unique_account, Emulator};
use serde_json::{json, Value};
use trailwarden::aws::{iam_action_for, Aws, AwsError, READ_ACTIONS, WRITE_ACTIONS};
use trailwarden::model::{
    managed_tags, AlarmSeverity, AlarmSpec, BucketSpec, Desired, FilterSpec, LogGroupSpec, Op,
    Protocol, RoleSpec, SubscriptionSpec, Tags, Target, TopicSpec, TrailSpec,
};

const REGION: &str = "us-east-1";

async fn connect(account: &str, region: &str) -> Aws {
    let emu = Emulator::shared();
    Aws::connect_with(emu.sdk_config(account, region).await)
        .await
        .expect("connect")
}

fn tags(extra: &[(&str, &str)]) -> Tags {
    let user: Tags = extra
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    managed_tags(&user)
}

/// The three alarms of the AWS guide, as filter + alarm pairs.
const CONTROLS: [(&str, &str); 3] = [
    (
        "RootAccountUsage",
        r#"{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }"#,
    ),
    (
        "ApiActivityWithoutMFA",
        r#"{ $.userIdentity.sessionContext.attributes.mfaAuthenticated != "true" }"#,
    ),
    (
        "ConsoleSignInWithoutMfa",
        r#"{ $.eventName = "ConsoleLogin" && $.additionalEventData.MFAUsed = "No" }"#,
    ),
];

/// A complete chain for `account` in `region`, built by hand.
fn desired(account: &str, region: &str, kms_key_id: Option<String>) -> Desired {
    let target = Target::new(account, region);
    let p = target.partition.clone();
    let bucket = format!("tw-logs-{account}-{region}");
    let trail_name = "trailwarden";
    let trail_arn = format!("arn:{p}:cloudtrail:{region}:{account}:trail/{trail_name}");
    let group = "/trailwarden/cloudtrail";
    let group_arn = format!("arn:{p}:logs:{region}:{account}:log-group:{group}");
    let role = "trailwarden-cloudtrail-to-logs";
    let topic = "trailwarden-alarms";
    let topic_arn = format!("arn:{p}:sns:{region}:{account}:{topic}");
    let statements = vec![
        json!({"Sid": "AWSCloudTrailAclCheck", "Effect": "Allow",
               "Principal": {"Service": "cloudtrail.amazonaws.com"},
               "Action": "s3:GetBucketAcl", "Resource": format!("arn:{p}:s3:::{bucket}"),
               "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}}}),
        json!({"Sid": "AWSCloudTrailWrite", "Effect": "Allow",
               "Principal": {"Service": "cloudtrail.amazonaws.com"},
               "Action": "s3:PutObject",
               "Resource": format!("arn:{p}:s3:::{bucket}/cloudtrail/AWSLogs/{account}/*"),
               "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control",
                                              "aws:SourceArn": trail_arn}}}),
    ];
    let filters: Vec<FilterSpec> = CONTROLS
        .iter()
        .map(|(name, pattern)| FilterSpec {
            name: name.to_string(),
            log_group: group.to_string(),
            pattern: pattern.to_string(),
            metric_name: format!("{name}Count"),
            namespace: "CloudTrailMetrics".to_string(),
            metric_value: "1".to_string(),
            controls: vec![name.to_string()],
            dimensions: Default::default(),
        })
        .collect();
    let alarms = CONTROLS
        .iter()
        .map(|(name, _)| AlarmSpec {
            name: format!("trailwarden-{name}"),
            description: format!("{name} seen in CloudTrail"),
            severity: AlarmSeverity::High,
            control: format!("test/{name}"),
            metric_name: format!("{name}Count"),
            namespace: "CloudTrailMetrics".to_string(),
            statistic: "Sum".to_string(),
            period: 300,
            evaluation_periods: 1,
            datapoints_to_alarm: 1,
            threshold: 1.0,
            comparison: "GreaterThanOrEqualToThreshold".to_string(),
            treat_missing_data: "notBreaching".to_string(),
            actions: vec![topic_arn.clone()],
            ok_actions: vec![topic_arn.clone()],
            tags: tags(&[]),
            query: None,
        })
        .collect();
    Desired {
        bucket: Some(BucketSpec {
            name: bucket.clone(),
            prefix: Some("cloudtrail".to_string()),
            kms_key_id: kms_key_id.clone(),
            statements,
            tags: tags(&[("team", "security")]),
            adopted: false,
        }),
        role: Some(RoleSpec {
            name: role.to_string(),
            arn: format!("arn:{p}:iam::{account}:role/{role}"),
            // No condition: CloudTrail's CloudWatch Logs role supports neither aws:SourceArn
            // nor aws:SourceAccount ("Role policy document for CloudTrail to use CloudWatch Logs
            // for monitoring"); the emulator refuses CreateTrail otherwise, as AWS does.
            trust_policy: json!({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "sts:AssumeRole"}]}),
            policy_name: "cloudtrail-to-logs".to_string(),
            policy: json!({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": format!("{group_arn}:log-stream:{account}_CloudTrail_{region}*")}]}),
            tags: tags(&[]),
            adopted: false,
        }),
        log_group: LogGroupSpec {
            name: group.to_string(),
            arn: group_arn.clone(),
            retention_days: Some(365),
            tags: tags(&[("team", "security")]),
            managed: true,
            adopted: false,
        },
        trail: TrailSpec {
            name: trail_name.to_string(),
            arn: trail_arn,
            s3_bucket: bucket,
            s3_prefix: Some("cloudtrail".to_string()),
            cw_log_group_arn: format!("{group_arn}:*"),
            cw_role_arn: format!("arn:{p}:iam::{account}:role/{role}"),
            kms_key_id,
            sns_topic: Some(topic.to_string()),
            tags: tags(&[("team", "security")]),
            adopted: false,
            organization: false,
            guarded_by: None,
        },
        topics: vec![TopicSpec {
            key: "default".to_string(),
            name: topic.to_string(),
            arn: topic_arn.clone(),
            policy: json!({"Version": "2012-10-17", "Statement": [{
                "Sid": "AllowCloudWatchAlarms", "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"}, "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"ArnLike": {"aws:SourceArn":
                    format!("arn:{p}:cloudwatch:{region}:{account}:alarm:*")}}}]}),
            kms_key_id: None,
            subscriptions: vec![
                SubscriptionSpec::new(Protocol::Email, "security@example.com"),
                SubscriptionSpec::new(Protocol::Email, "oncall@example.com"),
            ],
            tags: tags(&[]),
            adopted: false,
        }],
        filters,
        alarms,
        chats: vec![],
        namespaces: vec!["CloudTrailMetrics".into()],
        target,
    }
}

/// The ops that create `d` from nothing, in dependency order.
fn creation_ops(d: &Desired) -> Vec<Op> {
    let mut ops = Vec::new();
    if let Some(b) = &d.bucket {
        ops.push(Op::CreateBucket {
            bucket: b.name.clone(),
            region: d.target.region.clone(),
        });
        ops.push(Op::PutBucketPolicy {
            bucket: b.name.clone(),
            policy: json!({"Version": "2012-10-17", "Statement": b.statements}),
        });
        ops.push(Op::PutPublicAccessBlock {
            bucket: b.name.clone(),
        });
        ops.push(Op::PutBucketEncryption {
            bucket: b.name.clone(),
            kms_key_id: b.kms_key_id.clone(),
        });
        ops.push(Op::PutBucketVersioning {
            bucket: b.name.clone(),
        });
        ops.push(Op::PutBucketTagging {
            bucket: b.name.clone(),
            tags: b.tags.clone(),
        });
    }
    if let Some(r) = &d.role {
        ops.push(Op::CreateRole {
            role: r.name.clone(),
            trust_policy: r.trust_policy.clone(),
            tags: r.tags.clone(),
        });
        ops.push(Op::PutRolePolicy {
            role: r.name.clone(),
            policy_name: r.policy_name.clone(),
            policy: r.policy.clone(),
        });
    }
    ops.push(Op::CreateLogGroup {
        log_group: d.log_group.name.clone(),
        tags: d.log_group.tags.clone(),
    });
    if let Some(days) = d.log_group.retention_days {
        ops.push(Op::PutRetentionPolicy {
            log_group: d.log_group.name.clone(),
            days,
        });
    }
    // The trail's delivery notifications need the topic to exist first.
    for t in &d.topics {
        ops.push(Op::CreateTopic {
            topic: t.name.clone(),
            tags: t.tags.clone(),
        });
        ops.push(Op::SetTopicAttribute {
            topic_arn: t.arn.clone(),
            name: "Policy".to_string(),
            value: t.policy.to_string(),
        });
        for subscription in &t.subscriptions {
            ops.push(Op::Subscribe {
                topic_arn: t.arn.clone(),
                subscription: subscription.clone(),
            });
        }
    }
    ops.push(Op::CreateTrail {
        trail: d.trail.clone(),
    });
    ops.push(Op::StartLogging {
        trail: d.trail.name.clone(),
    });
    for f in &d.filters {
        ops.push(Op::PutMetricFilter { filter: f.clone() });
    }
    for a in &d.alarms {
        ops.push(Op::PutMetricAlarm {
            alarm: a.clone(),
            ok_actions: Vec::new(),
            insufficient_data_actions: Vec::new(),
        });
    }
    ops
}

async fn execute_all(aws: &Aws, ops: &[Op]) {
    for op in ops {
        aws.execute(op)
            .await
            .unwrap_or_else(|e| panic!("{} failed: {e}", op.api()));
    }
}

fn statements_by_sid(policy: &Value) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = policy["Statement"]
        .as_array()
        .expect("Statement array")
        .iter()
        .map(|s| (s["Sid"].as_str().unwrap_or_default().to_string(), s.clone()))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[tokio::test]
async fn full_chain_round_trips() {
    let emu = Emulator::shared();
    let account = unique_account();
    let aws = connect(&account, REGION).await;
    let id = aws.identity().await.expect("identity");
    assert_eq!(id.account_id, account);
    let d = desired(&account, REGION, None);
    let ops = creation_ops(&d);
    execute_all(&aws, &ops).await;

    let before = aws.requests();
    let emu_before = emu.requests_for_account(&account).len();
    let actual = aws.read(&d).await.expect("read");
    let after = aws.requests();
    let emu_after = emu.requests_for_account(&account).len();
    let read_requests = after.total - before.total;
    println!("read() of the chain: {read_requests} requests");
    assert_eq!(after.writes, before.writes, "read() must not write");
    assert_eq!(
        read_requests as usize,
        emu_after - emu_before,
        "interceptor and emulator disagree"
    );
    assert!(read_requests <= 25, "read() made {read_requests} requests");

    // Bucket.
    let spec = d.bucket.as_ref().unwrap();
    let bucket = actual.bucket.as_ref().expect("bucket");
    assert_eq!(bucket.name, spec.name);
    let policy = bucket.policy.as_ref().expect("bucket policy");
    let want = json!({"Statement": spec.statements});
    assert_eq!(statements_by_sid(policy), statements_by_sid(&want));
    assert_eq!(bucket.public_access_block, Some([true; 4]));
    let enc = bucket.encryption.as_ref().expect("encryption");
    assert_eq!(enc.algorithm, "AES256");
    assert_eq!(enc.kms_key_id, None);
    assert_eq!(bucket.versioning.as_deref(), Some("Enabled"));
    assert_eq!(bucket.tags, spec.tags);

    // Role.
    let spec = d.role.as_ref().unwrap();
    let role = actual.role.as_ref().expect("role");
    assert_eq!(role.name, spec.name);
    assert_eq!(role.arn, spec.arn);
    assert_eq!(role.trust_policy, spec.trust_policy);
    assert_eq!(role.policy.as_ref(), Some(&spec.policy));
    assert_eq!(role.tags, spec.tags);

    // Log group.
    let group = actual.log_group.as_ref().expect("log group");
    assert_eq!(group.name, d.log_group.name);
    assert_eq!(group.arn, d.log_group.arn);
    assert_eq!(group.retention_days, Some(365));
    assert_eq!(group.tags, d.log_group.tags);

    // Trail.
    assert_eq!(actual.trails.len(), 1, "{:?}", actual.trails);
    let trail = &actual.trails[0];
    assert_eq!(trail.name, d.trail.name);
    assert_eq!(trail.arn, d.trail.arn);
    assert_eq!(trail.home_region.as_deref(), Some(REGION));
    assert!(trail.multi_region);
    assert!(trail.include_global_events);
    assert!(trail.log_file_validation);
    assert!(!trail.organization_trail);
    assert_eq!(trail.s3_bucket.as_deref(), Some(d.trail.s3_bucket.as_str()));
    assert_eq!(trail.s3_prefix, d.trail.s3_prefix);
    assert_eq!(
        trail.cw_log_group_arn.as_deref(),
        Some(d.trail.cw_log_group_arn.as_str())
    );
    assert_eq!(
        trail.cw_role_arn.as_deref(),
        Some(d.trail.cw_role_arn.as_str())
    );
    assert_eq!(trail.kms_key_id, None);
    assert_eq!(
        trail.sns_topic_arn.as_deref(),
        Some(d.topics[0].arn.as_str())
    );
    assert_eq!(trail.is_logging, Some(true));
    assert_eq!(trail.tags, d.trail.tags);

    // Topic.
    let spec = &d.topics[0];
    let topic = actual.topics.get(&spec.name).expect("topic");
    assert_eq!(topic.arn, spec.arn);
    assert_eq!(topic.policy.as_ref(), Some(&spec.policy));
    assert_eq!(topic.kms_key_id, None);
    assert_eq!(topic.tags, spec.tags);
    let mut endpoints: Vec<&str> = topic
        .subscriptions
        .iter()
        .map(|s| s.endpoint.as_str())
        .collect();
    endpoints.sort_unstable();
    assert_eq!(endpoints, ["oncall@example.com", "security@example.com"]);
    assert!(topic.subscriptions.iter().all(|s| s.protocol == "email"));
    assert!(topic.subscriptions.iter().all(|s| !s.arn.is_empty()));

    // Filters.
    assert_eq!(actual.filters.len(), d.filters.len());
    for spec in &d.filters {
        let f = actual
            .filters
            .iter()
            .find(|f| f.name == spec.name)
            .unwrap_or_else(|| panic!("filter {}", spec.name));
        assert_eq!(f.log_group, spec.log_group);
        assert_eq!(f.pattern, spec.pattern);
        assert_eq!(f.metric_transformations.len(), 1);
        let m = &f.metric_transformations[0];
        assert_eq!(m.metric_name, spec.metric_name);
        assert_eq!(m.namespace, spec.namespace);
        assert_eq!(m.metric_value, spec.metric_value);
    }

    // Alarms.
    assert_eq!(actual.alarms.len(), d.alarms.len());
    for spec in &d.alarms {
        let a = actual.alarms.get(&spec.name).expect("alarm");
        assert_eq!(a.name, spec.name);
        assert!(
            a.arn.ends_with(&format!(":alarm:{}", spec.name)),
            "{}",
            a.arn
        );
        assert_eq!(a.metric_name.as_deref(), Some(spec.metric_name.as_str()));
        assert_eq!(a.namespace.as_deref(), Some(spec.namespace.as_str()));
        assert_eq!(a.statistic.as_deref(), Some("Sum"));
        assert_eq!(a.period, Some(300));
        assert_eq!(a.evaluation_periods, Some(1));
        assert_eq!(a.datapoints_to_alarm, Some(1));
        assert_eq!(a.threshold, Some(1.0));
        assert_eq!(
            a.comparison.as_deref(),
            Some("GreaterThanOrEqualToThreshold")
        );
        assert_eq!(a.treat_missing_data.as_deref(), Some("notBreaching"));
        assert!(a.actions_enabled);
        assert_eq!(a.alarm_actions, spec.actions);
    }

    // Every operation the adapter sent maps to a listed IAM action.
    for request in emu.requests_for_account(&account) {
        let service = request["service"].as_str().unwrap_or_default();
        let operation = request["operation"].as_str().unwrap_or_default();
        let action = iam_action_for(service, operation)
            .unwrap_or_else(|| panic!("no IAM action for {service} {operation}"));
        assert!(
            READ_ACTIONS.contains(&action) || WRITE_ACTIONS.contains(&action),
            "{action} not listed"
        );
    }
    for op in &ops {
        assert!(WRITE_ACTIONS.contains(&op.api()), "{} not listed", op.api());
    }
}

#[tokio::test]
async fn updates_change_what_read_sees() {
    let account = unique_account();
    let aws = connect(&account, REGION).await;
    let mut d = desired(&account, REGION, None);
    execute_all(&aws, &creation_ops(&d)).await;

    // The key prefix stays: the bucket policy grants CloudTrail only `cloudtrail/AWSLogs/...`,
    // and CloudTrail (like the emulator) refuses an UpdateTrail its bucket policy does not cover.
    let mut trail = d.trail.clone();
    trail.sns_topic = None;
    let role = d.role.clone().unwrap();
    let mut trust = role.trust_policy.clone();
    trust["Statement"][0]["Condition"] = json!({"StringEquals": {"aws:SourceArn": trail.arn}});
    let ops = [
        Op::UpdateTrail {
            trail: trail.clone(),
        },
        Op::AddTrailTags {
            arn: trail.arn.clone(),
            tags: tags(&[("owner", "secops")]),
        },
        Op::UpdateAssumeRolePolicy {
            role: role.name.clone(),
            trust_policy: trust.clone(),
        },
        Op::TagRole {
            role: role.name.clone(),
            tags: tags(&[("owner", "secops")]),
        },
        Op::TagLogGroup {
            arn: d.log_group.arn.clone(),
            tags: tags(&[("owner", "secops")]),
        },
        Op::PutRetentionPolicy {
            log_group: d.log_group.name.clone(),
            days: 90,
        },
    ];
    execute_all(&aws, &ops).await;
    d.alarms.clear();
    d.filters.clear();
    let actual = aws.read(&d).await.expect("read");

    let t = &actual.trails[0];
    assert_eq!(t.s3_prefix, d.trail.s3_prefix);
    assert_eq!(t.sns_topic_arn, None);
    assert!(t.multi_region && t.log_file_validation && t.include_global_events);
    assert_eq!(t.is_logging, Some(true));
    assert_eq!(t.tags.get("owner").map(String::as_str), Some("secops"));
    assert_eq!(t.tags.get("team").map(String::as_str), Some("security"));
    let r = actual.role.as_ref().unwrap();
    assert_eq!(r.trust_policy, trust);
    assert_eq!(r.tags.get("owner").map(String::as_str), Some("secops"));
    let g = actual.log_group.as_ref().unwrap();
    assert_eq!(g.retention_days, Some(90));
    assert_eq!(g.tags.get("owner").map(String::as_str), Some("secops"));
    assert_eq!(g.tags.get("team").map(String::as_str), Some("security"));
    // Filters are read whatever the desired list says.
    assert_eq!(actual.filters.len(), 3);
}

#[tokio::test]
async fn kms_bucket_outside_us_east_1() {
    let region = "eu-west-1";
    let account = unique_account();
    let aws = connect(&account, region).await;
    assert_eq!(aws.region(), region);
    let key = format!("arn:aws:kms:{region}:{account}:key/0b1e6c52-3f1a-4a8e-9c55-0c7f2a1f9a10");
    let d = desired(&account, region, Some(key.clone()));
    let bucket = d.bucket.as_ref().unwrap();
    let ops = creation_ops(&d);
    // Bucket ops only: CreateBucket with a location constraint, SSE-KMS.
    execute_all(&aws, &ops[..6]).await;
    let actual = aws.read(&d).await.expect("read");
    let state = actual.bucket.expect("bucket");
    assert_eq!(state.name, bucket.name);
    let enc = state.encryption.expect("encryption");
    assert_eq!(enc.algorithm, "aws:kms");
    assert_eq!(enc.kms_key_id.as_deref(), Some(key.as_str()));
    assert!(actual.role.is_none());
    assert!(actual.trails.is_empty());

    // The same bucket seen from a us-east-1 client: found, and later writes follow it.
    let emu = Emulator::shared();
    let east = connect(&account, REGION).await;
    let mut from_east = desired(&account, REGION, None);
    from_east.bucket = d.bucket.clone();
    let before = emu.requests_for_account(&account).len();
    let seen = east.read(&from_east).await.expect("read");
    let state = seen.bucket.expect("bucket seen from us-east-1");
    assert_eq!(state.tags, bucket.tags);
    assert_eq!(
        state.encryption.and_then(|e| e.kms_key_id).as_deref(),
        Some(key.as_str())
    );
    let mut retagged = bucket.tags.clone();
    retagged.insert("owner".to_string(), "secops".to_string());
    east.execute(&Op::PutBucketTagging {
        bucket: bucket.name.clone(),
        tags: retagged.clone(),
    })
    .await
    .expect("PutBucketTagging");
    let requests = emu.requests_for_account(&account);
    assert_eq!(east.requests().total as usize, requests.len() - before);
    let tagging = requests
        .iter()
        .rev()
        .find(|r| r["operation"] == "PutBucketTagging")
        .expect("PutBucketTagging logged");
    assert_eq!(tagging["region"], region, "{tagging}");
    let again = other_region_bucket_tags(&account, region, &d).await;
    assert_eq!(again, retagged);
}

async fn other_region_bucket_tags(account: &str, region: &str, d: &Desired) -> Tags {
    let aws = connect(account, region).await;
    let actual = aws.read(d).await.expect("read");
    actual.bucket.expect("bucket").tags
}

#[tokio::test]
async fn empty_account_reads_nothing() {
    let account = unique_account();
    let aws = connect(&account, REGION).await;
    let d = desired(&account, REGION, None);
    let actual = aws.read(&d).await.expect("read");
    assert_eq!(actual, trailwarden::model::Actual::default());
    let stats = aws.requests();
    println!("read() of an empty account: {} requests", stats.total);
    assert_eq!(stats.writes, 0);
    assert!(stats.total > 0);

    // Nothing named at all: no bucket or role requests, still fine.
    let mut bare = d.clone();
    bare.bucket = None;
    bare.role = None;
    bare.topics.clear();
    bare.alarms.clear();
    assert_eq!(
        aws.read(&bare).await.expect("read"),
        trailwarden::model::Actual::default()
    );
}

#[tokio::test]
async fn requests_counts_reads_and_writes() {
    let emu = Emulator::shared();
    let account = unique_account();
    let aws = connect(&account, REGION).await;
    assert_eq!(aws.requests(), Default::default());
    aws.identity().await.expect("identity");
    assert_eq!(
        aws.requests(),
        trailwarden::aws::RequestStats {
            total: 1,
            writes: 0,
            retries: 0
        }
    );
    let d = desired(&account, REGION, None);
    let ops = creation_ops(&d);
    execute_all(&aws, &ops).await;
    let stats = aws.requests();
    assert_eq!(stats.writes, ops.len() as u64);
    assert_eq!(stats.total, ops.len() as u64 + 1);
    aws.read(&d).await.expect("read");
    let after = aws.requests();
    assert_eq!(after.writes, stats.writes);
    assert!(after.total > stats.total);
    // Same numbers as the emulator saw.
    let seen = emu.requests_for_account(&account);
    assert_eq!(seen.len() as u64, after.total);
    assert_eq!(
        emu.write_requests_for_account(&account).len() as u64,
        after.writes
    );
}

#[tokio::test]
async fn errors_name_the_api_and_code() {
    let account = unique_account();
    let aws = connect(&account, REGION).await;
    let err = aws
        .execute(&Op::PutRetentionPolicy {
            log_group: "/does/not/exist".to_string(),
            days: 30,
        })
        .await
        .expect_err("missing log group");
    assert_eq!(err.code(), Some("ResourceNotFoundException"));
    assert!(!err.is_eventually_consistent());
    let text = err.to_string();
    assert!(
        text.starts_with("logs:PutRetentionPolicy failed: ResourceNotFoundException"),
        "{text}"
    );
    match err {
        AwsError::Service { api, .. } => assert_eq!(api, "logs:PutRetentionPolicy"),
        other => panic!("unexpected {other:?}"),
    }

    let err = aws
        .execute(&Op::StartLogging {
            trail: "missing-trail".to_string(),
        })
        .await
        .expect_err("missing trail");
    assert_eq!(err.code(), Some("TrailNotFoundException"));
    assert!(err
        .to_string()
        .starts_with("cloudtrail:StartLogging failed: "));
}

#[tokio::test]
async fn missing_credentials_are_explained() {
    let emu = Emulator::shared();
    let config = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .endpoint_url(&emu.endpoint)
        .build();
    let aws = Aws::connect_with(config).await.expect("connect");
    let err = aws.identity().await.expect_err("no credentials");
    assert!(matches!(err, AwsError::NoCredentials(_)), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("--profile") && text.contains("aws sso login"),
        "{text}"
    );
    println!("{text}");
    assert_eq!(aws.requests().total, 0);

    // A credentials provider that fails (a profile nobody has).
    let provider = aws_config::profile::ProfileFileCredentialsProvider::builder()
        .profile_name("trailwarden-test-no-such-profile")
        .build();
    let config = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .endpoint_url(&emu.endpoint)
        .credentials_provider(aws_sdk_sts::config::SharedCredentialsProvider::new(
            provider,
        ))
        .build();
    let aws = Aws::connect_with(config).await.expect("connect");
    let err = aws.identity().await.expect_err("no credentials");
    assert!(matches!(err, AwsError::NoCredentials(_)), "{err:?}");
    println!("{err}");

    let config = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    assert!(matches!(
        Aws::connect_with(config).await,
        Err(AwsError::NoRegion)
    ));
}

#[tokio::test]
async fn connect_uses_the_options() {
    let emu = Emulator::shared();
    let aws = Aws::connect(&trailwarden::aws::ConnectOptions {
        region: Some("eu-central-1".to_string()),
        profile: None,
        endpoint_url: Some(emu.endpoint.clone()),
        ..Default::default()
    })
    .await
    .expect("connect");
    assert_eq!(aws.region(), "eu-central-1");
}

#[tokio::test]
async fn multi_region_trail_is_seen_from_another_region() {
    let account = unique_account();
    let home = connect(&account, REGION).await;
    let d = desired(&account, REGION, None);
    execute_all(&home, &creation_ops(&d)).await;

    let other = connect(&account, "eu-west-1").await;
    let mut elsewhere = desired(&account, "eu-west-1", None);
    elsewhere.bucket = None;
    elsewhere.role = None;
    let actual = other.read(&elsewhere).await.expect("read");
    assert_eq!(actual.trails.len(), 1, "{:?}", actual.trails);
    let t = &actual.trails[0];
    assert_eq!(t.arn, d.trail.arn);
    assert_eq!(t.home_region.as_deref(), Some(REGION));
    assert!(t.multi_region);
    assert_eq!(
        t.cw_log_group_arn.as_deref(),
        Some(d.trail.cw_log_group_arn.as_str())
    );
    // Status of another region's trail is best effort: known, or None, never an error.
    assert_ne!(t.is_logging, Some(false));
    println!(
        "shadow trail: is_logging {:?}; read() made {} requests",
        t.is_logging,
        other.requests().total
    );
    assert!(actual.log_group.is_none());
    assert!(actual.filters.is_empty());
    assert!(actual.alarms.is_empty() && actual.topics.is_empty());
}
