//! Checks the local AWS emulator itself: the real SDK clients against moto
//! behind `tests/emulator/server.py`, for every call trailwarden relies on.

mod common;

use std::time::{Duration, SystemTime};

use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, StateValue, Statistic};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration,
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Tagging, VersioningConfiguration,
};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use common::{s3_client, unique_account, Emulator, DEFAULT_REGION};

const ASSUME_ROLE_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

fn assert_recent(ts: &aws_smithy_types::DateTime, what: &str) {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let secs = ts.secs();
    assert!(
        (secs - now).abs() < 24 * 3600,
        "{what} = {ts:?} is not close to now ({now})"
    );
}

fn s3_tag(key: &str, value: &str) -> aws_sdk_s3::types::Tag {
    aws_sdk_s3::types::Tag::builder()
        .key(key)
        .value(value)
        .build()
        .unwrap()
}

#[tokio::test]
async fn cloudwatch_alarm_round_trips_through_cbor() {
    let emu = Emulator::shared();
    let account = unique_account();
    let cfg = emu.sdk_config(&account, "eu-west-1").await;
    let cw = aws_sdk_cloudwatch::Client::new(&cfg);
    let topic = format!("arn:aws:sns:eu-west-1:{account}:alerts");

    cw.put_metric_alarm()
        .alarm_name("root-usage")
        .alarm_description("Root account used")
        .actions_enabled(true)
        .alarm_actions(&topic)
        .ok_actions(&topic)
        .metric_name("RootAccountUsageCount")
        .namespace("CloudTrailMetrics")
        .statistic(Statistic::Sum)
        .dimensions(Dimension::builder().name("Trail").value("main").build())
        .period(300)
        .evaluation_periods(1)
        .datapoints_to_alarm(1)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .treat_missing_data("notBreaching")
        .tags(
            aws_sdk_cloudwatch::types::Tag::builder()
                .key("managed-by")
                .value("trailwarden")
                .build(),
        )
        .send()
        .await
        .expect("PutMetricAlarm");

    let out = cw
        .describe_alarms()
        .alarm_names("root-usage")
        .send()
        .await
        .expect("DescribeAlarms");
    let alarms = out.metric_alarms();
    assert_eq!(alarms.len(), 1, "{out:?}");
    let a = &alarms[0];
    assert_eq!(a.alarm_name(), Some("root-usage"));
    assert_eq!(
        a.alarm_arn(),
        Some(format!("arn:aws:cloudwatch:eu-west-1:{account}:alarm:root-usage").as_str())
    );
    assert_eq!(a.alarm_description(), Some("Root account used"));
    assert_eq!(a.actions_enabled(), Some(true));
    assert_eq!(a.alarm_actions(), std::slice::from_ref(&topic));
    assert_eq!(a.ok_actions(), std::slice::from_ref(&topic));
    assert_eq!(a.metric_name(), Some("RootAccountUsageCount"));
    assert_eq!(a.namespace(), Some("CloudTrailMetrics"));
    assert_eq!(a.statistic(), Some(&Statistic::Sum));
    assert_eq!(
        a.dimensions(),
        [Dimension::builder().name("Trail").value("main").build()]
    );
    assert_eq!(a.period(), Some(300));
    assert_eq!(a.evaluation_periods(), Some(1));
    assert_eq!(a.datapoints_to_alarm(), Some(1));
    assert_eq!(a.threshold(), Some(1.0));
    assert_eq!(
        a.comparison_operator(),
        Some(&ComparisonOperator::GreaterThanOrEqualToThreshold)
    );
    assert_eq!(a.treat_missing_data(), Some("notBreaching"));
    assert!(a.state_value().is_some());
    assert_recent(
        a.alarm_configuration_updated_timestamp()
            .expect("config timestamp"),
        "AlarmConfigurationUpdatedTimestamp",
    );
    assert_recent(
        a.state_updated_timestamp().expect("state timestamp"),
        "StateUpdatedTimestamp",
    );

    // By prefix, and a different region sees nothing.
    let by_prefix = cw
        .describe_alarms()
        .alarm_name_prefix("root-")
        .send()
        .await
        .unwrap();
    assert_eq!(by_prefix.metric_alarms().len(), 1);
    let other_region = emu.sdk_config(&account, "us-west-2").await;
    let elsewhere = aws_sdk_cloudwatch::Client::new(&other_region)
        .describe_alarms()
        .send()
        .await
        .unwrap();
    assert!(elsewhere.metric_alarms().is_empty());

    // Tags on an existing alarm; a typed error for a missing one.
    let arn = a.alarm_arn().unwrap();
    cw.tag_resource()
        .resource_arn(arn)
        .tags(
            aws_sdk_cloudwatch::types::Tag::builder()
                .key("env")
                .value("test")
                .build(),
        )
        .send()
        .await
        .expect("TagResource");
    let tags = cw
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .expect("ListTagsForResource");
    let keys: Vec<_> = tags.tags().iter().filter_map(|t| t.key()).collect();
    assert!(
        keys.contains(&"env") && keys.contains(&"managed-by"),
        "{keys:?}"
    );
    let missing = cw
        .tag_resource()
        .resource_arn(format!("arn:aws:cloudwatch:eu-west-1:{account}:alarm:nope"))
        .tags(
            aws_sdk_cloudwatch::types::Tag::builder()
                .key("k")
                .value("v")
                .build(),
        )
        .send()
        .await
        .expect_err("tagging a missing alarm fails");
    assert!(
        missing
            .as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception()),
        "{missing:?}"
    );

    // Alarm state changes carry timestamps and state values back.
    cw.set_alarm_state()
        .alarm_name("root-usage")
        .state_value(StateValue::Alarm)
        .state_reason("test")
        .send()
        .await
        .expect("SetAlarmState");
    let a = cw
        .describe_alarms()
        .alarm_names("root-usage")
        .send()
        .await
        .unwrap();
    assert_eq!(a.metric_alarms()[0].state_value(), Some(&StateValue::Alarm));
    let by_state = cw
        .describe_alarms()
        .state_value(StateValue::Alarm)
        .send()
        .await
        .unwrap();
    assert_eq!(by_state.metric_alarms().len(), 1);

    cw.disable_alarm_actions()
        .alarm_names("root-usage")
        .send()
        .await
        .expect("DisableAlarmActions");
    let a = cw
        .describe_alarms()
        .alarm_names("root-usage")
        .send()
        .await
        .unwrap();
    assert_eq!(a.metric_alarms()[0].actions_enabled(), Some(false));

    // Large PutMetricData bodies are gzip-compressed by the SDK.
    let data: Vec<_> = (0..400)
        .map(|i| {
            aws_sdk_cloudwatch::types::MetricDatum::builder()
                .metric_name("RootAccountUsageCount")
                .dimensions(
                    Dimension::builder()
                        .name("Trail")
                        .value(format!("padding-{i:04}"))
                        .build(),
                )
                .timestamp(aws_smithy_types::DateTime::from(
                    SystemTime::now() - Duration::from_secs(60),
                ))
                .value(1.0)
                .build()
        })
        .collect();
    cw.put_metric_data()
        .namespace("CloudTrailMetrics")
        .set_metric_data(Some(data))
        .send()
        .await
        .expect("PutMetricData");
    let metrics = cw
        .list_metrics()
        .namespace("CloudTrailMetrics")
        .send()
        .await
        .expect("ListMetrics");
    assert_eq!(metrics.metrics().len(), 400);

    cw.delete_alarms()
        .alarm_names("root-usage")
        .send()
        .await
        .expect("DeleteAlarms");
    let gone = cw
        .describe_alarms()
        .alarm_names("root-usage")
        .send()
        .await
        .unwrap();
    assert!(gone.metric_alarms().is_empty());
}

#[tokio::test]
async fn s3_bucket_configuration_round_trips() {
    let emu = Emulator::shared();
    let account = unique_account();
    let cfg = emu.sdk_config(&account, DEFAULT_REGION).await;
    let s3 = s3_client(&cfg);
    let bucket = format!("tw-smoke-{account}");

    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("CreateBucket");
    s3.head_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("HeadBucket");

    // Like AWS, a new bucket already has SSE-S3 and all of Block Public Access.
    let enc = s3
        .get_bucket_encryption()
        .bucket(&bucket)
        .send()
        .await
        .expect("GetBucketEncryption (fresh)");
    let rule = &enc.server_side_encryption_configuration().unwrap().rules()[0];
    let default = rule.apply_server_side_encryption_by_default().unwrap();
    assert_eq!(default.sse_algorithm(), &ServerSideEncryption::Aes256);
    let pab = s3
        .get_public_access_block()
        .bucket(&bucket)
        .send()
        .await
        .expect("GetPublicAccessBlock (fresh)");
    let pab = pab.public_access_block_configuration().unwrap();
    assert_eq!(
        (
            pab.block_public_acls(),
            pab.ignore_public_acls(),
            pab.block_public_policy(),
            pab.restrict_public_buckets()
        ),
        (Some(true), Some(true), Some(true), Some(true))
    );

    // Versioning: never set -> no status; after Put -> Enabled.
    let fresh = s3
        .get_bucket_versioning()
        .bucket(&bucket)
        .send()
        .await
        .expect("GetBucketVersioning (fresh)");
    assert_eq!(fresh.status(), None);
    s3.put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("PutBucketVersioning");
    let v = s3
        .get_bucket_versioning()
        .bucket(&bucket)
        .send()
        .await
        .expect("GetBucketVersioning");
    assert_eq!(v.status(), Some(&BucketVersioningStatus::Enabled));

    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"AWSCloudTrailAclCheck","Effect":"Allow","Principal":{{"Service":"cloudtrail.amazonaws.com"}},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::{bucket}"}}]}}"#
    );
    s3.put_bucket_policy()
        .bucket(&bucket)
        .policy(&policy)
        .send()
        .await
        .expect("PutBucketPolicy");
    let got = s3
        .get_bucket_policy()
        .bucket(&bucket)
        .send()
        .await
        .expect("GetBucketPolicy");
    let got: serde_json::Value = serde_json::from_str(got.policy().unwrap()).unwrap();
    assert_eq!(
        got,
        serde_json::from_str::<serde_json::Value>(&policy).unwrap()
    );

    let pab = PublicAccessBlockConfiguration::builder()
        .block_public_acls(true)
        .ignore_public_acls(false)
        .block_public_policy(true)
        .restrict_public_buckets(false)
        .build();
    s3.put_public_access_block()
        .bucket(&bucket)
        .public_access_block_configuration(pab.clone())
        .send()
        .await
        .expect("PutPublicAccessBlock");
    let got = s3
        .get_public_access_block()
        .bucket(&bucket)
        .send()
        .await
        .expect("GetPublicAccessBlock");
    assert_eq!(got.public_access_block_configuration(), Some(&pab));

    let kms_key =
        format!("arn:aws:kms:us-east-1:{account}:key/00000000-0000-0000-0000-000000000000");
    let rule = ServerSideEncryptionRule::builder()
        .apply_server_side_encryption_by_default(
            ServerSideEncryptionByDefault::builder()
                .sse_algorithm(ServerSideEncryption::AwsKms)
                .kms_master_key_id(&kms_key)
                .build()
                .unwrap(),
        )
        .bucket_key_enabled(true)
        .build();
    s3.put_bucket_encryption()
        .bucket(&bucket)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(rule)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("PutBucketEncryption");
    let enc = s3
        .get_bucket_encryption()
        .bucket(&bucket)
        .send()
        .await
        .expect("GetBucketEncryption");
    let rule = &enc.server_side_encryption_configuration().unwrap().rules()[0];
    let default = rule.apply_server_side_encryption_by_default().unwrap();
    assert_eq!(default.sse_algorithm(), &ServerSideEncryption::AwsKms);
    assert_eq!(default.kms_master_key_id(), Some(kms_key.as_str()));
    assert_eq!(rule.bucket_key_enabled(), Some(true));

    s3.put_bucket_tagging()
        .bucket(&bucket)
        .tagging(
            Tagging::builder()
                .tag_set(s3_tag("managed-by", "trailwarden"))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("PutBucketTagging");
    let tags = s3
        .get_bucket_tagging()
        .bucket(&bucket)
        .send()
        .await
        .expect("GetBucketTagging");
    assert_eq!(tags.tag_set(), [s3_tag("managed-by", "trailwarden")]);

    let key = format!("AWSLogs/{account}/CloudTrail/eu-west-1/2024/01/01/x.json.gz");
    s3.put_object()
        .bucket(&bucket)
        .key(&key)
        .body(ByteStream::from_static(b"{\"Records\":[]}"))
        .send()
        .await
        .expect("PutObject");
    let listed = s3
        .list_objects_v2()
        .bucket(&bucket)
        .prefix("AWSLogs/")
        .send()
        .await
        .expect("ListObjectsV2");
    let keys: Vec<_> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, [key.as_str()]);
    let obj = s3
        .get_object()
        .bucket(&bucket)
        .key(&key)
        .send()
        .await
        .expect("GetObject");
    let data = obj.body.collect().await.unwrap().into_bytes();
    assert_eq!(&data[..], b"{\"Records\":[]}");

    // A bucket outside us-east-1, and typed errors for missing ones.
    let eu = format!("tw-smoke-eu-{account}");
    s3.create_bucket()
        .bucket(&eu)
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .expect("CreateBucket eu-west-1");
    let missing = s3
        .head_bucket()
        .bucket(format!("tw-missing-{account}"))
        .send()
        .await
        .expect_err("HeadBucket missing");
    assert!(
        missing.as_service_error().is_some_and(|e| e.is_not_found()),
        "{missing:?}"
    );
    let no_policy = s3
        .get_bucket_policy()
        .bucket(&eu)
        .send()
        .await
        .expect_err("no policy yet");
    assert_eq!(
        no_policy.code(),
        Some("NoSuchBucketPolicy"),
        "{no_policy:?}"
    );
}

#[tokio::test]
async fn sns_topic_calls_work() {
    let emu = Emulator::shared();
    let account = unique_account();
    let cfg = emu.sdk_config(&account, DEFAULT_REGION).await;
    let sns = aws_sdk_sns::Client::new(&cfg);

    let topic = sns
        .create_topic()
        .name("trailwarden-alerts")
        .send()
        .await
        .expect("CreateTopic");
    let arn = topic.topic_arn().unwrap().to_string();
    assert_eq!(
        arn,
        format!("arn:aws:sns:us-east-1:{account}:trailwarden-alerts")
    );
    sns.set_topic_attributes()
        .topic_arn(&arn)
        .attribute_name("DisplayName")
        .attribute_value("Trailwarden")
        .send()
        .await
        .expect("SetTopicAttributes");
    let attrs = sns
        .get_topic_attributes()
        .topic_arn(&arn)
        .send()
        .await
        .expect("GetTopicAttributes");
    let attrs = attrs.attributes().unwrap();
    assert_eq!(
        attrs.get("DisplayName").map(String::as_str),
        Some("Trailwarden")
    );
    assert_eq!(attrs.get("TopicArn"), Some(&arn));

    sns.subscribe()
        .topic_arn(&arn)
        .protocol("email")
        .endpoint("security@example.com")
        .send()
        .await
        .expect("Subscribe");
    let subs = sns
        .list_subscriptions_by_topic()
        .topic_arn(&arn)
        .send()
        .await
        .expect("ListSubscriptionsByTopic");
    assert_eq!(subs.subscriptions().len(), 1);
    assert_eq!(
        subs.subscriptions()[0].endpoint(),
        Some("security@example.com")
    );

    sns.tag_resource()
        .resource_arn(&arn)
        .tags(
            aws_sdk_sns::types::Tag::builder()
                .key("managed-by")
                .value("trailwarden")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("TagResource");
    let tags = sns
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .expect("ListTagsForResource");
    assert_eq!(tags.tags().len(), 1);

    let topics = sns.list_topics().send().await.expect("ListTopics");
    let arns: Vec<_> = topics
        .topics()
        .iter()
        .filter_map(|t| t.topic_arn())
        .collect();
    assert_eq!(arns, [arn.as_str()]);
}

#[tokio::test]
async fn logs_group_and_metric_filter_calls_work() {
    let emu = Emulator::shared();
    let account = unique_account();
    let cfg = emu.sdk_config(&account, DEFAULT_REGION).await;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&cfg);
    let group = "/trailwarden/cloudtrail";

    logs.create_log_group()
        .log_group_name(group)
        .send()
        .await
        .expect("CreateLogGroup");
    logs.put_retention_policy()
        .log_group_name(group)
        .retention_in_days(365)
        .send()
        .await
        .expect("PutRetentionPolicy");
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix("/trailwarden/")
        .send()
        .await
        .expect("DescribeLogGroups");
    let g = &groups.log_groups()[0];
    assert_eq!(g.log_group_name(), Some(group));
    assert_eq!(g.retention_in_days(), Some(365));
    let group_arn = g.arn().unwrap().trim_end_matches(":*").to_string();
    assert_eq!(
        group_arn,
        format!("arn:aws:logs:us-east-1:{account}:log-group:{group}")
    );

    logs.put_metric_filter()
        .log_group_name(group)
        .filter_name("RootAccountUsage")
        .filter_pattern(r#"{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }"#)
        .metric_transformations(
            aws_sdk_cloudwatchlogs::types::MetricTransformation::builder()
                .metric_name("RootAccountUsageCount")
                .metric_namespace("CloudTrailMetrics")
                .metric_value("1")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("PutMetricFilter");
    let filters = logs
        .describe_metric_filters()
        .log_group_name(group)
        .send()
        .await
        .expect("DescribeMetricFilters");
    assert_eq!(filters.metric_filters().len(), 1);
    let f = &filters.metric_filters()[0];
    assert_eq!(f.filter_name(), Some("RootAccountUsage"));
    assert_eq!(
        f.metric_transformations()[0].metric_name(),
        "RootAccountUsageCount"
    );
    let created = f.creation_time().expect("creationTime");

    // Putting the same name again replaces the filter, as in AWS.
    logs.put_metric_filter()
        .log_group_name(group)
        .filter_name("RootAccountUsage")
        .filter_pattern(r#"{ $.userIdentity.type = "Root" }"#)
        .metric_transformations(
            aws_sdk_cloudwatchlogs::types::MetricTransformation::builder()
                .metric_name("RootAccountUsageCount")
                .metric_namespace("CloudTrailMetrics")
                .metric_value("1")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("PutMetricFilter (replace)");
    let filters = logs
        .describe_metric_filters()
        .log_group_name(group)
        .send()
        .await
        .unwrap();
    assert_eq!(filters.metric_filters().len(), 1, "{filters:?}");
    assert_eq!(
        filters.metric_filters()[0].filter_pattern(),
        Some(r#"{ $.userIdentity.type = "Root" }"#)
    );
    assert_eq!(filters.metric_filters()[0].creation_time(), Some(created));
    let by_metric = logs
        .describe_metric_filters()
        .metric_name("RootAccountUsageCount")
        .metric_namespace("CloudTrailMetrics")
        .send()
        .await
        .expect("DescribeMetricFilters by metric");
    assert_eq!(by_metric.metric_filters().len(), 1);

    let no_group = logs
        .put_metric_filter()
        .log_group_name("/does/not/exist")
        .filter_name("x")
        .filter_pattern("")
        .metric_transformations(
            aws_sdk_cloudwatchlogs::types::MetricTransformation::builder()
                .metric_name("m")
                .metric_namespace("n")
                .metric_value("1")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect_err("PutMetricFilter on a missing log group");
    assert!(
        no_group
            .as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception()),
        "{no_group:?}"
    );

    logs.tag_resource()
        .resource_arn(&group_arn)
        .tags("managed-by", "trailwarden")
        .send()
        .await
        .expect("TagResource");
    let tags = logs
        .list_tags_for_resource()
        .resource_arn(&group_arn)
        .send()
        .await
        .expect("ListTagsForResource");
    assert_eq!(
        tags.tags()
            .and_then(|t| t.get("managed-by"))
            .map(String::as_str),
        Some("trailwarden")
    );
}

#[tokio::test]
async fn cloudtrail_trail_calls_work() {
    let emu = Emulator::shared();
    let account = unique_account();
    let cfg = emu.sdk_config(&account, DEFAULT_REGION).await;
    let s3 = s3_client(&cfg);
    let ct = aws_sdk_cloudtrail::Client::new(&cfg);
    let bucket = format!("tw-trail-{account}");
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("CreateBucket");
    // What CloudTrail checks before it accepts a trail, as the emulator enforces like AWS: its
    // statements in the bucket policy ("Amazon S3 bucket policy for CloudTrail"), an existing
    // log group, and a role it may assume without a condition.
    let policy = common::cloudtrail_bucket_policy(&bucket, &account);
    s3.put_bucket_policy()
        .bucket(&bucket)
        .policy(policy.to_string())
        .send()
        .await
        .expect("PutBucketPolicy");
    aws_sdk_cloudwatchlogs::Client::new(&cfg)
        .create_log_group()
        .log_group_name("/trailwarden/cloudtrail")
        .send()
        .await
        .expect("CreateLogGroup");
    let trust = common::cloudtrail_trust_policy();
    aws_sdk_iam::Client::new(&cfg)
        .create_role()
        .role_name("trailwarden-cloudtrail")
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .expect("CreateRole");

    let created = ct
        .create_trail()
        .name("trailwarden")
        .s3_bucket_name(&bucket)
        .is_multi_region_trail(true)
        .include_global_service_events(true)
        .enable_log_file_validation(true)
        .tags_list(
            aws_sdk_cloudtrail::types::Tag::builder()
                .key("managed-by")
                .value("trailwarden")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("CreateTrail");
    let trail_arn = created.trail_arn().unwrap().to_string();
    assert_eq!(
        trail_arn,
        format!("arn:aws:cloudtrail:us-east-1:{account}:trail/trailwarden")
    );

    let log_group_arn =
        format!("arn:aws:logs:us-east-1:{account}:log-group:/trailwarden/cloudtrail:*");
    let role_arn = format!("arn:aws:iam::{account}:role/trailwarden-cloudtrail");
    ct.update_trail()
        .name("trailwarden")
        .cloud_watch_logs_log_group_arn(&log_group_arn)
        .cloud_watch_logs_role_arn(&role_arn)
        .send()
        .await
        .expect("UpdateTrail");

    let again = ct
        .create_trail()
        .name("trailwarden")
        .s3_bucket_name(&bucket)
        .send()
        .await
        .expect_err("CreateTrail on an existing name");
    assert!(
        again
            .as_service_error()
            .is_some_and(|e| e.is_trail_already_exists_exception()),
        "{again:?}"
    );
    ct.create_trail()
        .name("other")
        .s3_bucket_name(&bucket)
        .send()
        .await
        .expect("CreateTrail other");

    let described = ct
        .describe_trails()
        .trail_name_list("trailwarden")
        .send()
        .await
        .expect("DescribeTrails");
    assert_eq!(described.trail_list().len(), 1, "{described:?}");
    assert_eq!(described.trail_list()[0].home_region(), Some("us-east-1"));
    assert_eq!(
        ct.describe_trails()
            .send()
            .await
            .unwrap()
            .trail_list()
            .len(),
        2
    );
    // A multi-region trail shows up from other regions too.
    let eu = emu.sdk_config(&account, "eu-west-1").await;
    let shadow = aws_sdk_cloudtrail::Client::new(&eu)
        .describe_trails()
        .send()
        .await
        .unwrap();
    let names: Vec<_> = shadow
        .trail_list()
        .iter()
        .filter_map(|t| t.name())
        .collect();
    assert_eq!(names, ["trailwarden"]);

    let t = ct
        .get_trail()
        .name("trailwarden")
        .send()
        .await
        .expect("GetTrail");
    let t = t.trail().unwrap();
    assert_eq!(t.home_region(), Some("us-east-1"));
    assert_eq!(t.s3_bucket_name(), Some(bucket.as_str()));
    assert_eq!(t.is_multi_region_trail(), Some(true));
    assert_eq!(t.log_file_validation_enabled(), Some(true));
    assert_eq!(
        t.cloud_watch_logs_log_group_arn(),
        Some(log_group_arn.as_str())
    );
    assert_eq!(t.cloud_watch_logs_role_arn(), Some(role_arn.as_str()));

    ct.start_logging()
        .name("trailwarden")
        .send()
        .await
        .expect("StartLogging");
    let status = ct
        .get_trail_status()
        .name("trailwarden")
        .send()
        .await
        .expect("GetTrailStatus");
    assert_eq!(status.is_logging(), Some(true));
    assert!(status.start_logging_time().is_some());
    ct.stop_logging()
        .name("trailwarden")
        .send()
        .await
        .expect("StopLogging");
    let status = ct
        .get_trail_status()
        .name("trailwarden")
        .send()
        .await
        .unwrap();
    assert_eq!(status.is_logging(), Some(false));

    ct.add_tags()
        .resource_id(&trail_arn)
        .tags_list(
            aws_sdk_cloudtrail::types::Tag::builder()
                .key("env")
                .value("test")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("AddTags");
    let tags = ct
        .list_tags()
        .resource_id_list(&trail_arn)
        .send()
        .await
        .expect("ListTags");
    let keys: Vec<_> = tags.resource_tag_list()[0]
        .tags_list()
        .iter()
        .map(|t| t.key())
        .collect();
    assert!(
        keys.contains(&"env") && keys.contains(&"managed-by"),
        "{keys:?}"
    );

    let selectors = ct
        .get_event_selectors()
        .trail_name("trailwarden")
        .send()
        .await
        .expect("GetEventSelectors");
    assert_eq!(selectors.trail_arn(), Some(trail_arn.as_str()));

    let missing = ct
        .get_trail()
        .name("nope")
        .send()
        .await
        .expect_err("missing trail");
    assert!(
        missing
            .as_service_error()
            .is_some_and(|e| e.is_trail_not_found_exception()),
        "{missing:?}"
    );
}

#[tokio::test]
async fn iam_role_calls_work() {
    let emu = Emulator::shared();
    let account = unique_account();
    let cfg = emu.sdk_config(&account, DEFAULT_REGION).await;
    let iam = aws_sdk_iam::Client::new(&cfg);

    let created = iam
        .create_role()
        .role_name("trailwarden-cloudtrail")
        .assume_role_policy_document(ASSUME_ROLE_POLICY)
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("managed-by")
                .value("trailwarden")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("CreateRole");
    let role = created.role().unwrap();
    assert_eq!(
        role.arn(),
        format!("arn:aws:iam::{account}:role/trailwarden-cloudtrail")
    );

    let updated_policy =
        ASSUME_ROLE_POLICY.replace("cloudtrail.amazonaws.com", "logs.amazonaws.com");
    iam.update_assume_role_policy()
        .role_name("trailwarden-cloudtrail")
        .policy_document(&updated_policy)
        .send()
        .await
        .expect("UpdateAssumeRolePolicy");
    let got = iam
        .get_role()
        .role_name("trailwarden-cloudtrail")
        .send()
        .await
        .expect("GetRole");
    let doc = got.role().unwrap().assume_role_policy_document().unwrap();
    let doc = urlencoding::decode(doc).unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&doc).unwrap(),
        serde_json::from_str::<serde_json::Value>(&updated_policy).unwrap()
    );

    let inline = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}"#;
    iam.put_role_policy()
        .role_name("trailwarden-cloudtrail")
        .policy_name("cloudtrail-to-logs")
        .policy_document(inline)
        .send()
        .await
        .expect("PutRolePolicy");
    let got = iam
        .get_role_policy()
        .role_name("trailwarden-cloudtrail")
        .policy_name("cloudtrail-to-logs")
        .send()
        .await
        .expect("GetRolePolicy");
    let doc = urlencoding::decode(got.policy_document()).unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&doc).unwrap(),
        serde_json::from_str::<serde_json::Value>(inline).unwrap()
    );

    iam.tag_role()
        .role_name("trailwarden-cloudtrail")
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("env")
                .value("test")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("TagRole");
    let role = iam
        .get_role()
        .role_name("trailwarden-cloudtrail")
        .send()
        .await
        .unwrap();
    assert_eq!(role.role().unwrap().tags().len(), 2);

    let missing = iam
        .get_role()
        .role_name("nope")
        .send()
        .await
        .expect_err("missing role");
    assert!(
        missing
            .as_service_error()
            .is_some_and(|e| e.is_no_such_entity_exception()),
        "{missing:?}"
    );
}

#[tokio::test]
async fn sts_reports_the_selected_account() {
    let emu = Emulator::shared();
    let account = unique_account();
    let cfg = emu.sdk_config(&account, DEFAULT_REGION).await;
    let who = aws_sdk_sts::Client::new(&cfg)
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity");
    assert_eq!(who.account(), Some(account.as_str()));
}

#[tokio::test]
async fn accounts_are_isolated() {
    let emu = Emulator::shared();
    let (a, b) = (unique_account(), unique_account());
    assert_ne!(a, b);
    let cfg_a = emu.sdk_config(&a, DEFAULT_REGION).await;
    let cfg_b = emu.sdk_config(&b, DEFAULT_REGION).await;

    aws_sdk_sns::Client::new(&cfg_a)
        .create_topic()
        .name("only-in-a")
        .send()
        .await
        .unwrap();
    aws_sdk_cloudwatchlogs::Client::new(&cfg_a)
        .create_log_group()
        .log_group_name("only-in-a")
        .send()
        .await
        .unwrap();
    aws_sdk_iam::Client::new(&cfg_a)
        .create_role()
        .role_name("only-in-a")
        .assume_role_policy_document(ASSUME_ROLE_POLICY)
        .send()
        .await
        .unwrap();

    let topics = aws_sdk_sns::Client::new(&cfg_b)
        .list_topics()
        .send()
        .await
        .unwrap();
    assert!(topics.topics().is_empty(), "{topics:?}");
    let groups = aws_sdk_cloudwatchlogs::Client::new(&cfg_b)
        .describe_log_groups()
        .send()
        .await
        .unwrap();
    assert!(groups.log_groups().is_empty(), "{groups:?}");
    let role = aws_sdk_iam::Client::new(&cfg_b)
        .get_role()
        .role_name("only-in-a")
        .send()
        .await;
    assert!(role.is_err(), "role leaked into account {b}");
    let topics_a = aws_sdk_sns::Client::new(&cfg_a)
        .list_topics()
        .send()
        .await
        .unwrap();
    assert_eq!(topics_a.topics().len(), 1);
}

#[tokio::test]
async fn request_log_counts_requests_per_account() {
    // A private server, so that resetting the log cannot disturb other tests.
    let emu = Emulator::start();
    let account = unique_account();
    let cfg = emu.sdk_config(&account, DEFAULT_REGION).await;
    let sns = aws_sdk_sns::Client::new(&cfg);
    let cw = aws_sdk_cloudwatch::Client::new(&cfg);
    let s3 = s3_client(&cfg);
    let bucket = format!("tw-count-{account}");

    sns.create_topic().name("t").send().await.unwrap();
    sns.list_topics().send().await.unwrap();
    cw.describe_alarms().send().await.unwrap();
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    s3.get_bucket_versioning()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();

    let ops: Vec<(String, String, String)> = emu
        .requests_for_account(&account)
        .iter()
        .map(|r| {
            (
                r["service"].as_str().unwrap().to_string(),
                r["operation"].as_str().unwrap().to_string(),
                r["method"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expect = [
        ("sns", "CreateTopic", "POST"),
        ("sns", "ListTopics", "POST"),
        ("cloudwatch", "DescribeAlarms", "POST"),
        ("s3", "CreateBucket", "PUT"),
        ("s3", "GetBucketVersioning", "GET"),
    ];
    let expect: Vec<_> = expect
        .iter()
        .map(|(s, o, m)| (s.to_string(), o.to_string(), m.to_string()))
        .collect();
    assert_eq!(ops, expect);
    let writes: Vec<_> = emu
        .write_requests_for_account(&account)
        .iter()
        .map(|r| r["operation"].clone())
        .collect();
    assert_eq!(writes, ["CreateTopic", "CreateBucket"]);

    // Reads only: nothing counts as a write.
    emu.reset_requests();
    assert!(emu.requests().is_empty());
    sns.list_topics().send().await.unwrap();
    s3.head_bucket().bucket(&bucket).send().await.unwrap();
    assert_eq!(emu.requests_for_account(&account).len(), 2);
    assert!(emu.write_requests_for_account(&account).is_empty());

    // A full reset wipes state but keeps the log.
    emu.reset();
    assert!(sns.list_topics().send().await.unwrap().topics().is_empty());
    assert_eq!(emu.requests_for_account(&account).len(), 3);

    // Dropping the emulator stops the server.
    let port = emu.port;
    drop(emu);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "server still listening after drop"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
