//! The `trailwarden` binary against the emulator: apply, plan, check and their contracts.

mod common;

use common::{unique_account, Emulator};
use serde_json::Value;

fn tw(account: &str, args: &[&str]) -> common::Run {
    common::trailwarden(account, args)
}

fn apply(account: &str) -> common::Run {
    let out = tw(
        account,
        &[
            "apply",
            "--preset",
            "aws-docs",
            "--email",
            "security@example.com",
            "--region",
            "us-east-1",
            "--yes",
            "--output",
            "json",
        ],
    );
    assert_eq!(out.code, 0, "apply failed:\n{}\n{}", out.stdout, out.stderr);
    out
}

async fn sdk(account: &str) -> aws_config::SdkConfig {
    Emulator::shared().sdk_config(account, "us-east-1").await
}

#[tokio::test]
async fn fresh_apply_creates_the_whole_chain_as_documented() {
    let account = unique_account();
    let out = apply(&account).json();
    assert_eq!(out["format_version"], "1");
    assert_eq!(out["changes"].as_array().unwrap().len(), 12);
    assert!(out["outcome"]["failed"].is_null());
    let cfg = sdk(&account).await;
    let bucket = format!("trailwarden-cloudtrail-{account}-us-east-1");
    let trail_arn = format!("arn:aws:cloudtrail:us-east-1:{account}:trail/trailwarden");

    // Bucket: CloudTrail statements scoped by SourceArn, TLS deny, PAB, encryption, versioning.
    let s3 = common::s3_client(&cfg);
    let policy: Value = serde_json::from_str(
        s3.get_bucket_policy()
            .bucket(&bucket)
            .send()
            .await
            .unwrap()
            .policy()
            .unwrap(),
    )
    .unwrap();
    let stmts = policy["Statement"].as_array().unwrap();
    let by_sid = |sid: &str| {
        stmts
            .iter()
            .find(|s| s["Sid"] == sid)
            .unwrap_or_else(|| panic!("no {sid} in {policy}"))
            .clone()
    };
    let acl = by_sid("TrailwardenCloudTrailAclCheck");
    assert_eq!(acl["Action"], "s3:GetBucketAcl");
    assert_eq!(acl["Condition"]["StringEquals"]["aws:SourceArn"], trail_arn);
    let write = by_sid("TrailwardenCloudTrailWrite");
    assert_eq!(
        write["Resource"],
        format!("arn:aws:s3:::{bucket}/AWSLogs/{account}/*")
    );
    assert_eq!(
        write["Condition"]["StringEquals"]["s3:x-amz-acl"],
        "bucket-owner-full-control"
    );
    let tls = by_sid("TrailwardenDenyInsecureTransport");
    assert_eq!(tls["Effect"], "Deny");
    let pab = s3
        .get_public_access_block()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let pab = pab.public_access_block_configuration().unwrap();
    assert_eq!(
        [
            pab.block_public_acls(),
            pab.ignore_public_acls(),
            pab.block_public_policy(),
            pab.restrict_public_buckets()
        ],
        [Some(true); 4]
    );
    let enc = s3
        .get_bucket_encryption()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let rule = &enc.server_side_encryption_configuration().unwrap().rules()[0];
    assert_eq!(
        rule.apply_server_side_encryption_by_default()
            .unwrap()
            .sse_algorithm()
            .as_str(),
        "AES256"
    );
    let ver = s3
        .get_bucket_versioning()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(ver.status().map(|s| s.as_str()), Some("Enabled"));

    // Role: trust scoped by SourceAccount, inline policy with only the two log actions.
    let iam = aws_sdk_iam::Client::new(&cfg);
    let role = iam
        .get_role()
        .role_name("trailwarden-cloudtrail-to-logs")
        .send()
        .await
        .unwrap();
    let trust: Value = serde_json::from_str(
        &urlencoding::decode(role.role().unwrap().assume_role_policy_document().unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(
        trust["Statement"][0]["Principal"]["Service"],
        "cloudtrail.amazonaws.com"
    );
    // No condition: the role policy supports neither aws:SourceArn nor aws:SourceAccount ("Role
    // policy document for CloudTrail to use CloudWatch Logs for monitoring").
    assert_eq!(trust["Statement"][0].get("Condition"), None, "{trust}");
    let inline = iam
        .get_role_policy()
        .role_name("trailwarden-cloudtrail-to-logs")
        .policy_name("cloudtrail-to-cloudwatch-logs-us-east-1")
        .send()
        .await
        .unwrap();
    let inline: Value =
        serde_json::from_str(&urlencoding::decode(inline.policy_document()).unwrap()).unwrap();
    assert_eq!(
        inline["Statement"][0]["Action"],
        serde_json::json!(["logs:CreateLogStream", "logs:PutLogEvents"])
    );
    assert_eq!(
        inline["Statement"][0]["Resource"],
        format!("arn:aws:logs:us-east-1:{account}:log-group:trailwarden-cloudtrail:log-stream:{account}_CloudTrail_us-east-1*")
    );

    // Log group with retention.
    let logs = aws_sdk_cloudwatchlogs::Client::new(&cfg);
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix("trailwarden-cloudtrail")
        .send()
        .await
        .unwrap();
    assert_eq!(groups.log_groups()[0].retention_in_days(), Some(365));

    // Trail: multi-region, global events, validation, CloudWatch Logs, logging.
    let ct = aws_sdk_cloudtrail::Client::new(&cfg);
    let trail = ct.get_trail().name("trailwarden").send().await.unwrap();
    let trail = trail.trail().unwrap();
    assert_eq!(trail.is_multi_region_trail(), Some(true));
    assert_eq!(trail.include_global_service_events(), Some(true));
    assert_eq!(trail.log_file_validation_enabled(), Some(true));
    assert_eq!(trail.s3_bucket_name(), Some(bucket.as_str()));
    assert_eq!(
        trail.cloud_watch_logs_log_group_arn(),
        Some(
            format!("arn:aws:logs:us-east-1:{account}:log-group:trailwarden-cloudtrail:*").as_str()
        )
    );
    assert_eq!(
        trail.cloud_watch_logs_role_arn(),
        Some(format!("arn:aws:iam::{account}:role/trailwarden-cloudtrail-to-logs").as_str())
    );
    let status = ct
        .get_trail_status()
        .name("trailwarden")
        .send()
        .await
        .unwrap();
    assert_eq!(status.is_logging(), Some(true));
    let tags = ct
        .list_tags()
        .resource_id_list(&trail_arn)
        .send()
        .await
        .unwrap();
    assert!(tags.resource_tag_list()[0]
        .tags_list()
        .iter()
        .any(|t| t.key() == "managed-by" && t.value() == Some("trailwarden")));

    // Topic: CloudWatch may publish; one email subscription.
    let sns = aws_sdk_sns::Client::new(&cfg);
    let topic_arn = format!("arn:aws:sns:us-east-1:{account}:trailwarden-alarms");
    let attrs = sns
        .get_topic_attributes()
        .topic_arn(&topic_arn)
        .send()
        .await
        .unwrap();
    let tpolicy: Value =
        serde_json::from_str(attrs.attributes().unwrap().get("Policy").unwrap()).unwrap();
    let cw = tpolicy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == "TrailwardenAllowCloudWatchAlarms")
        .unwrap()
        .clone();
    assert_eq!(cw["Principal"]["Service"], "cloudwatch.amazonaws.com");
    assert_eq!(
        cw["Condition"]["ArnLike"]["aws:SourceArn"],
        format!("arn:aws:cloudwatch:us-east-1:{account}:alarm:*")
    );
    let subs = sns
        .list_subscriptions_by_topic()
        .topic_arn(&topic_arn)
        .send()
        .await
        .unwrap();
    let subs: Vec<(&str, &str)> = subs
        .subscriptions()
        .iter()
        .map(|s| (s.protocol().unwrap(), s.endpoint().unwrap()))
        .collect();
    assert_eq!(subs, vec![("email", "security@example.com")]);

    // Filters: the guide's exact patterns, namespace, metric names, value 1.
    let filters = logs
        .describe_metric_filters()
        .log_group_name("trailwarden-cloudtrail")
        .send()
        .await
        .unwrap();
    let mut got: Vec<(String, String, String, String, String)> = filters
        .metric_filters()
        .iter()
        .map(|f| {
            let t = &f.metric_transformations()[0];
            (
                f.filter_name().unwrap().to_string(),
                f.filter_pattern().unwrap().to_string(),
                t.metric_name().to_string(),
                t.metric_namespace().to_string(),
                t.metric_value().to_string(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("ApiActivityWithoutMFA".into(), r#"{ $.userIdentity.sessionContext.attributes.mfaAuthenticated != "true" }"#.into(), "ApiActivityWithoutMFACount".into(), "CloudTrailMetrics".into(), "1".into()),
            ("ConsoleSignInWithoutMfa".into(), r#"{ $.eventName = "ConsoleLogin" && $.additionalEventData.MFAUsed = "No" }"#.into(), "ConsoleSignInWithoutMfaCount".into(), "CloudTrailMetrics".into(), "1".into()),
            (
                "RootAccountUsage".into(),
                r#"{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }"#.into(),
                "RootAccountUsageCount".into(),
                "CloudTrailMetrics".into(),
                "1".into()
            ),
        ]
    );

    // Alarms: Sum, 300 s, 1 period, >= 1, notBreaching, action = the topic.
    let cwc = aws_sdk_cloudwatch::Client::new(&cfg);
    let alarms = cwc
        .describe_alarms()
        .alarm_name_prefix("")
        .send()
        .await
        .unwrap();
    assert_eq!(alarms.metric_alarms().len(), 3);
    for a in alarms.metric_alarms() {
        assert_eq!(a.namespace(), Some("CloudTrailMetrics"));
        assert_eq!(a.statistic().map(|s| s.as_str()), Some("Sum"));
        assert_eq!(
            (a.period(), a.evaluation_periods(), a.threshold()),
            (Some(300), Some(1), Some(1.0))
        );
        assert_eq!(
            a.comparison_operator().map(|c| c.as_str()),
            Some("GreaterThanOrEqualToThreshold")
        );
        assert_eq!(a.treat_missing_data(), Some("notBreaching"));
        assert_eq!(a.alarm_actions(), std::slice::from_ref(&topic_arn));
    }
}

#[tokio::test]
async fn second_apply_makes_zero_write_requests_and_plan_is_empty() {
    let account = unique_account();
    apply(&account);
    let emu = Emulator::shared();
    let before = emu.requests_for_account(&account).len();
    let again = apply(&account).json();
    assert_eq!(again["changes"], serde_json::json!([]));
    let after: Vec<Value> = emu.requests_for_account(&account)[before..].to_vec();
    let writes: Vec<&Value> = after
        .iter()
        .filter(|r| !common::is_read_only(r["operation"].as_str().unwrap_or("")))
        .collect();
    assert!(writes.is_empty(), "writes on a no-op apply: {writes:?}");
    assert!(!after.is_empty());
    let plan = tw(
        &account,
        &[
            "plan",
            "--email",
            "security@example.com",
            "--output",
            "json",
        ],
    );
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert_eq!(plan.json()["changes"], serde_json::json!([]));
    let human = tw(&account, &["plan", "--email", "security@example.com"]);
    assert!(human.stdout.contains("No changes."), "{}", human.stdout);
}

#[tokio::test]
async fn plan_on_an_empty_account_exits_2_and_writes_nothing() {
    let account = unique_account();
    let out = tw(
        &account,
        &[
            "plan",
            "--email",
            "security@example.com",
            "--output",
            "json",
        ],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    let changes = out.json()["changes"].as_array().unwrap().clone();
    assert!(changes
        .iter()
        .all(|c| c["action"] == "create" && c["address"].is_string()));
    assert!(Emulator::shared()
        .write_requests_for_account(&account)
        .is_empty());
}

#[tokio::test]
async fn a_pre_existing_buckets_foreign_statements_survive() {
    let account = unique_account();
    let cfg = sdk(&account).await;
    let s3 = common::s3_client(&cfg);
    let bucket = format!("existing-logs-{account}");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let foreign = serde_json::json!({"Sid": "AuditorsRead", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{account}:root")}, "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{bucket}/*")});
    s3.put_bucket_policy()
        .bucket(&bucket)
        .policy(
            serde_json::json!({"Version": "2012-10-17", "Statement": [foreign.clone()]})
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    let out = tw(
        &account,
        &[
            "apply",
            "--email",
            "security@example.com",
            "--bucket",
            &bucket,
            "--yes",
        ],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let policy: Value = serde_json::from_str(
        s3.get_bucket_policy()
            .bucket(&bucket)
            .send()
            .await
            .unwrap()
            .policy()
            .unwrap(),
    )
    .unwrap();
    let stmts = policy["Statement"].as_array().unwrap();
    assert!(stmts.contains(&foreign), "{policy}");
    assert_eq!(stmts.len(), 4);
    let ct = aws_sdk_cloudtrail::Client::new(&cfg);
    let t = ct.get_trail().name("trailwarden").send().await.unwrap();
    assert_eq!(t.trail().unwrap().s3_bucket_name(), Some(bucket.as_str()));
}

#[tokio::test]
async fn a_pre_existing_trail_is_untouched_without_adoption() {
    let account = unique_account();
    let cfg = sdk(&account).await;
    let (_, ct) = common::legacy_trail(&cfg, &account).await;
    let before = ct.get_trail().name("legacy").send().await.unwrap();
    let out = tw(
        &account,
        &["apply", "--email", "security@example.com", "--yes"],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("already has multi-region trail `legacy`"),
        "{}",
        out.stdout
    );
    let after = ct.get_trail().name("legacy").send().await.unwrap();
    assert_eq!(before.trail(), after.trail());
    let status = ct.get_trail_status().name("legacy").send().await.unwrap();
    assert_ne!(status.is_logging(), Some(true));
    // No write request named the legacy trail.
    let reqs = Emulator::shared().requests_for_account(&account);
    assert!(!reqs.iter().any(|r| r.to_string().contains("legacy")
        && !common::is_read_only(r["operation"].as_str().unwrap_or(""))));
}

#[tokio::test]
async fn an_adopted_trail_gets_the_filters_on_its_log_group() {
    let account = unique_account();
    let cfg = sdk(&account).await;
    let (bucket, ct) = common::legacy_trail(&cfg, &account).await;
    let out = tw(
        &account,
        &[
            "apply",
            "--email",
            "security@example.com",
            "--adopt-trail",
            "legacy",
            "--yes",
        ],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let t = ct.get_trail().name("legacy").send().await.unwrap();
    let t = t.trail().unwrap();
    assert_eq!(
        t.s3_bucket_name(),
        Some(bucket.as_str()),
        "the adopted trail keeps its bucket"
    );
    assert_eq!(t.log_file_validation_enabled(), Some(true));
    assert!(t
        .cloud_watch_logs_log_group_arn()
        .unwrap()
        .contains(":log-group:trailwarden-cloudtrail"));
    // No bucket of ours was created for an adopted trail.
    let buckets = common::s3_client(&cfg).list_buckets().send().await.unwrap();
    assert_eq!(buckets.buckets().len(), 1);
    let again = tw(
        &account,
        &[
            "plan",
            "--email",
            "security@example.com",
            "--adopt-trail",
            "legacy",
        ],
    );
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
}

#[tokio::test]
async fn invalid_input_makes_zero_requests_and_reports_every_problem() {
    let account = unique_account();
    let dir = std::env::temp_dir().join(format!("tw-invalid-{account}"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("trailwarden.toml");
    std::fs::write(
        &path,
        "region = \"us-east-1\"\nemails = [\"security@example\"]\nbogus = 1\n[bucket]\nname = \"UPPER\"\n[controls.root-account-usage]\nthreshold = \"x\"\n",
    )
    .unwrap();
    let out = tw(
        &account,
        &["apply", "--config", path.to_str().unwrap(), "--yes"],
    );
    assert_eq!(out.code, 1);
    for needle in [
        "trailwarden.toml:2:",
        "not a valid email",
        "trailwarden.toml:3:1: unknown key `bogus`",
        "invalid bucket name `UPPER`",
        "controls.root-account-usage",
    ] {
        assert!(
            out.stderr.contains(needle),
            "missing `{needle}` in:\n{}",
            out.stderr
        );
    }
    let bad_pattern = dir.join("bad-preset.toml");
    std::fs::write(
        &bad_pattern,
        "name = \"bad\"\n[[controls]]\nid = \"x\"\nfilter_name = \"X\"\nmetric_name = \"XCount\"\npattern = '{ userIdentity.type = \"Root\" }'\n",
    )
    .unwrap();
    let out2 = tw(
        &account,
        &[
            "plan",
            "--preset",
            bad_pattern.to_str().unwrap(),
            "--email",
            "a@example.com",
        ],
    );
    assert_eq!(out2.code, 1);
    assert!(
        out2.stderr.contains("invalid filter pattern"),
        "{}",
        out2.stderr
    );
    let out3 = tw(
        &account,
        &["plan", "--email", "a@example.com", "--region", "moon-1"],
    );
    assert_eq!(out3.code, 1);
    assert!(out3.stderr.contains("unknown region `moon-1`"));
    assert!(
        Emulator::shared().requests_for_account(&account).is_empty(),
        "requests were made"
    );
}

#[test]
fn usage_errors_exit_1_not_2() {
    let out = tw("000000000001", &["apply", "--no-such-flag"]);
    assert_eq!(out.code, 1);
    let out = tw("000000000001", &["frobnicate"]);
    assert_eq!(out.code, 1);
    let help = tw("000000000001", &["--help"]);
    assert_eq!(help.code, 0);
    assert!(help.stdout.contains("apply") && help.stdout.contains("check"));
}

#[tokio::test]
async fn apply_without_yes_and_without_a_terminal_refuses() {
    let account = unique_account();
    let out = tw(&account, &["apply", "--email", "security@example.com"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("--yes"), "{}", out.stderr);
    assert!(Emulator::shared()
        .write_requests_for_account(&account)
        .is_empty());
}

#[tokio::test]
async fn cis_apply_reads_back_15_filters_15_alarms_and_the_subscription() {
    let account = unique_account();
    let out = tw(
        &account,
        &[
            "apply",
            "--preset",
            "cis",
            "--email",
            "security@example.com",
            "--yes",
        ],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let cfg = sdk(&account).await;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&cfg);
    let filters = logs
        .describe_metric_filters()
        .log_group_name("trailwarden-cloudtrail")
        .send()
        .await
        .unwrap();
    assert_eq!(filters.metric_filters().len(), 15);
    let cw = aws_sdk_cloudwatch::Client::new(&cfg);
    let alarms = cw.describe_alarms().send().await.unwrap();
    assert_eq!(alarms.metric_alarms().len(), 15);
    // Every alarm watches a metric one of the filters emits (the chain is linked).
    for a in alarms.metric_alarms() {
        assert!(
            filters.metric_filters().iter().any(|f| {
                let t = &f.metric_transformations()[0];
                Some(t.metric_name()) == a.metric_name()
                    && Some(t.metric_namespace()) == a.namespace()
            }),
            "alarm {:?} watches no filter's metric",
            a.alarm_name()
        );
    }
    let sns = aws_sdk_sns::Client::new(&cfg);
    let subs = sns
        .list_subscriptions_by_topic()
        .topic_arn(format!(
            "arn:aws:sns:us-east-1:{account}:trailwarden-alarms"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(subs.subscriptions().len(), 1);
    let again = tw(
        &account,
        &["plan", "--preset", "cis", "--email", "security@example.com"],
    );
    assert_eq!(again.code, 0, "{}", again.stdout);
}

#[tokio::test]
async fn combined_presets_provision_shared_filters_once_and_overrides_apply() {
    let account = unique_account();
    let dir = std::env::temp_dir().join(format!("tw-compose-{account}"));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("trailwarden.toml");
    std::fs::write(
        &config,
        r#"presets = ["cis", "aws-docs"]
emails = ["security@example.com"]

[topics.critical]
emails = ["pager@example.com"]

[controls.root-account-usage]
topic = "critical"
threshold = 2
period = 600

[controls.vpc-changes]
disabled = true
"#,
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let out = tw(&account, &["apply", "--config", config, "--yes"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let cfg = sdk(&account).await;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&cfg);
    let filters = logs
        .describe_metric_filters()
        .log_group_name("trailwarden-cloudtrail")
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = filters
        .metric_filters()
        .iter()
        .filter_map(|f| f.filter_name())
        .collect();
    // 15 CIS + 3 aws-docs - RootAccountUsage shared - VPC disabled.
    assert_eq!(names.len(), 16, "{names:?}");
    assert_eq!(
        names.iter().filter(|n| **n == "RootAccountUsage").count(),
        1
    );
    let cw = aws_sdk_cloudwatch::Client::new(&cfg);
    let root = cw
        .describe_alarms()
        .alarm_names("RootAccountUsageAlarm")
        .send()
        .await
        .unwrap();
    let root = &root.metric_alarms()[0];
    assert_eq!((root.threshold(), root.period()), (Some(2.0), Some(600)));
    assert_eq!(
        root.alarm_actions(),
        [format!(
            "arn:aws:sns:us-east-1:{account}:trailwarden-alarms-critical"
        )]
    );
    let check = tw(&account, &["check", "--config", config]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
}
