//! `trailwarden check` against the emulator: for each kind of drift, an out-of-band change made
//! with the SDK (as an operator would in the console) → check exits 2 naming it → apply repairs
//! → check exits 0.

mod common;

use common::{unique_account, Emulator};
use serde_json::Value;

fn tw(account: &str, args: &[&str]) -> common::Run {
    common::trailwarden(account, args)
}

const EMAIL: &str = "security@example.com";

fn check_json(account: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["check", "--email", EMAIL, "--output", "json"];
    args.extend_from_slice(extra);
    let out = tw(account, &args);
    let v = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", out.stdout, out.stderr));
    (out.code, v)
}

fn apply(account: &str) {
    let out = tw(account, &["apply", "--email", EMAIL, "--yes"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
}

struct Ctx {
    account: String,
    cfg: aws_config::SdkConfig,
}

impl Ctx {
    fn bucket(&self) -> String {
        format!("trailwarden-cloudtrail-{}-us-east-1", self.account)
    }
    fn topic(&self) -> String {
        format!("arn:aws:sns:us-east-1:{}:trailwarden-alarms", self.account)
    }
}

/// Apply, drift with `mutate`, expect `kind` at `address`, apply, expect in sync.
async fn drift_case<F, Fut>(kind: &str, address: &str, mutate: F)
where
    F: FnOnce(Ctx) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let account = unique_account();
    apply(&account);
    let (code, before) = check_json(&account, &[]);
    assert_eq!(
        (code, &before["in_sync"]),
        (0, &Value::Bool(true)),
        "{before}"
    );
    let cfg = Emulator::shared().sdk_config(&account, "us-east-1").await;
    mutate(Ctx {
        account: account.clone(),
        cfg,
    })
    .await;
    let (code, report) = check_json(&account, &[]);
    assert_eq!(code, 2, "{kind}: {report}");
    assert_eq!(report["in_sync"], false);
    let drift = report["drift"].as_array().unwrap();
    let address = address.replace("ACCOUNT", &account);
    assert!(
        drift
            .iter()
            .any(|d| d["kind"] == kind && d["address"] == address.as_str()),
        "{kind} at {address} not in {report}"
    );
    for d in drift {
        for key in ["address", "kind", "expected", "actual", "severity"] {
            assert!(d.get(key).is_some(), "drift entry without {key}: {d}");
        }
    }
    apply(&account);
    let (code, after) = check_json(&account, &[]);
    assert_eq!(code, 0, "{kind} not repaired: {after}");
}

#[tokio::test]
async fn metric_filter_deleted() {
    drift_case(
        "metric_filter.missing",
        "metric_filter.RootAccountUsage",
        |c| async move {
            aws_sdk_cloudwatchlogs::Client::new(&c.cfg)
                .delete_metric_filter()
                .log_group_name("trailwarden-cloudtrail")
                .filter_name("RootAccountUsage")
                .send()
                .await
                .unwrap();
        },
    )
    .await;
}

#[tokio::test]
async fn metric_filter_pattern_edited() {
    drift_case(
        "metric_filter.pattern",
        "metric_filter.ConsoleSignInWithoutMfa",
        |c| async move {
            let logs = aws_sdk_cloudwatchlogs::Client::new(&c.cfg);
            // Edited in the console: replaced under the same name.
            logs.delete_metric_filter()
                .log_group_name("trailwarden-cloudtrail")
                .filter_name("ConsoleSignInWithoutMfa")
                .send()
                .await
                .unwrap();
            logs.put_metric_filter()
                .log_group_name("trailwarden-cloudtrail")
                .filter_name("ConsoleSignInWithoutMfa")
                .filter_pattern(r#"{ $.eventName = "ConsoleLogin" }"#)
                .metric_transformations(
                    aws_sdk_cloudwatchlogs::types::MetricTransformation::builder()
                        .metric_name("ConsoleSignInWithoutMfaCount")
                        .metric_namespace("CloudTrailMetrics")
                        .metric_value("1")
                        .build()
                        .unwrap(),
                )
                .send()
                .await
                .unwrap();
        },
    )
    .await;
}

async fn put_alarm(
    c: &Ctx,
    edit: impl FnOnce(aws_sdk_cloudwatch::operation::put_metric_alarm::builders::PutMetricAlarmFluentBuilder) -> aws_sdk_cloudwatch::operation::put_metric_alarm::builders::PutMetricAlarmFluentBuilder,
) {
    use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic};
    let cw = aws_sdk_cloudwatch::Client::new(&c.cfg);
    let b = cw
        .put_metric_alarm()
        .alarm_name("RootAccountUsageAlarm")
        .metric_name("RootAccountUsageCount")
        .namespace("CloudTrailMetrics")
        .statistic(Statistic::Sum)
        .period(300)
        .evaluation_periods(1)
        .datapoints_to_alarm(1)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .treat_missing_data("notBreaching")
        .alarm_actions(c.topic());
    edit(b).send().await.unwrap();
}

#[tokio::test]
async fn alarm_threshold_changed() {
    drift_case(
        "alarm.threshold",
        "alarm.RootAccountUsageAlarm",
        |c| async move {
            put_alarm(&c, |b| b.threshold(10.0)).await;
        },
    )
    .await;
}

/// What the person paged reads, replaced in the console.
#[tokio::test]
async fn alarm_description_edited() {
    drift_case(
        "alarm.description",
        "alarm.RootAccountUsageAlarm",
        |c| async move {
            put_alarm(&c, |b| b.alarm_description("root used")).await;
        },
    )
    .await;
}

#[tokio::test]
async fn alarm_watches_a_metric_no_filter_emits() {
    drift_case(
        "alarm.metric-mismatch",
        "alarm.RootAccountUsageAlarm",
        |c| async move {
            put_alarm(&c, |b| b.namespace("CISBenchmark")).await;
        },
    )
    .await;
}

#[tokio::test]
async fn alarm_actions_removed() {
    drift_case(
        "alarm.actions",
        "alarm.RootAccountUsageAlarm",
        |c| async move {
            put_alarm(&c, |b| b.set_alarm_actions(Some(vec![]))).await;
        },
    )
    .await;
}

#[tokio::test]
async fn alarm_actions_disabled() {
    drift_case(
        "alarm.actions-disabled",
        "alarm.RootAccountUsageAlarm",
        |c| async move {
            aws_sdk_cloudwatch::Client::new(&c.cfg)
                .disable_alarm_actions()
                .alarm_names("RootAccountUsageAlarm")
                .send()
                .await
                .unwrap();
        },
    )
    .await;
}

#[tokio::test]
async fn alarm_treat_missing_data_changed() {
    drift_case(
        "alarm.treat-missing-data",
        "alarm.RootAccountUsageAlarm",
        |c| async move {
            put_alarm(&c, |b| b.treat_missing_data("breaching")).await;
        },
    )
    .await;
}

#[tokio::test]
async fn alarm_deleted() {
    drift_case(
        "alarm.missing",
        "alarm.ConsoleSignInWithoutMfaAlarm",
        |c| async move {
            aws_sdk_cloudwatch::Client::new(&c.cfg)
                .delete_alarms()
                .alarm_names("ConsoleSignInWithoutMfaAlarm")
                .send()
                .await
                .unwrap();
        },
    )
    .await;
}

#[tokio::test]
async fn trail_stopped_logging() {
    drift_case("trail.not-logging", "trail.trailwarden", |c| async move {
        aws_sdk_cloudtrail::Client::new(&c.cfg)
            .stop_logging()
            .name("trailwarden")
            .send()
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn trail_validation_and_multi_region_turned_off() {
    drift_case(
        "trail.log-file-validation",
        "trail.trailwarden",
        |c| async move {
            aws_sdk_cloudtrail::Client::new(&c.cfg)
                .update_trail()
                .name("trailwarden")
                .enable_log_file_validation(false)
                .send()
                .await
                .unwrap();
        },
    )
    .await;
}

#[tokio::test]
async fn trail_single_region() {
    drift_case("trail.multi-region", "trail.trailwarden", |c| async move {
        aws_sdk_cloudtrail::Client::new(&c.cfg)
            .update_trail()
            .name("trailwarden")
            .is_multi_region_trail(false)
            .send()
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn log_group_retention_changed() {
    drift_case(
        "log_group.retention",
        "log_group.trailwarden-cloudtrail",
        |c| async move {
            aws_sdk_cloudwatchlogs::Client::new(&c.cfg)
                .put_retention_policy()
                .log_group_name("trailwarden-cloudtrail")
                .retention_in_days(7)
                .send()
                .await
                .unwrap();
        },
    )
    .await;
}

#[tokio::test]
async fn bucket_policy_deleted() {
    drift_case(
        "bucket.policy-cloudtrail",
        "s3_bucket.trailwarden-cloudtrail-ACCOUNT-us-east-1",
        |c| async move {
            common::s3_client(&c.cfg)
                .delete_bucket_policy()
                .bucket(c.bucket())
                .send()
                .await
                .unwrap();
        },
    )
    .await;
}

#[tokio::test]
async fn bucket_public_access_block_removed() {
    drift_case(
        "bucket.public-access-block",
        "s3_bucket.trailwarden-cloudtrail-ACCOUNT-us-east-1",
        |c| async move {
            common::s3_client(&c.cfg)
                .delete_public_access_block()
                .bucket(c.bucket())
                .send()
                .await
                .unwrap();
        },
    )
    .await;
}

#[tokio::test]
async fn bucket_versioning_suspended() {
    drift_case(
        "bucket.versioning",
        "s3_bucket.trailwarden-cloudtrail-ACCOUNT-us-east-1",
        |c| async move {
            use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
            common::s3_client(&c.cfg)
                .put_bucket_versioning()
                .bucket(c.bucket())
                .versioning_configuration(
                    VersioningConfiguration::builder()
                        .status(BucketVersioningStatus::Suspended)
                        .build(),
                )
                .send()
                .await
                .unwrap();
        },
    )
    .await;
}

/// A customer key in the emulator, with an alias, whose policy grants `services` what the chain
/// needs of it ("Configure AWS KMS key policies for CloudTrail").
async fn kms_key(account: &str, alias: &str, services: &[&str]) -> String {
    let cfg = Emulator::shared().sdk_config(account, "us-east-1").await;
    let kms = aws_sdk_kms::Client::new(&cfg);
    let mut statements = vec![serde_json::json!({"Sid": "root", "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{account}:root")}, "Action": "kms:*", "Resource": "*"})];
    for service in services {
        statements.push(
            serde_json::json!({"Effect": "Allow", "Principal": {"Service": service},
            "Action": ["kms:GenerateDataKey*", "kms:DescribeKey", "kms:Decrypt"], "Resource": "*"}),
        );
    }
    let policy = serde_json::json!({"Version": "2012-10-17", "Statement": statements});
    let key = kms
        .create_key()
        .policy(policy.to_string())
        .send()
        .await
        .unwrap();
    let id = key.key_metadata().unwrap().key_id().to_string();
    kms.create_alias()
        .alias_name(alias)
        .target_key_id(&id)
        .send()
        .await
        .unwrap();
    key.key_metadata().unwrap().arn().unwrap().to_string()
}

fn write_config(account: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tw-kms-{account}"));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("trailwarden.toml");
    std::fs::write(&config, text).unwrap();
    config
}

/// Since 2023 AWS encrypts every bucket (SSE-S3) and deleting the configuration returns to it,
/// so "encryption off" cannot happen; what can drift is the KMS key the config asks for. The key
/// is given as an alias, for the bucket and the trail: resolved with kms:DescribeKey, so the
/// key ARN the services report is in sync.
#[tokio::test]
async fn bucket_encryption_not_the_configured_kms_key() {
    let account = unique_account();
    kms_key(&account, "alias/tw-logs", &["cloudtrail.amazonaws.com"]).await;
    let config = write_config(
        &account,
        &format!("emails = [\"{EMAIL}\"]\n[bucket]\nkms_key_id = \"alias/tw-logs\"\n[trail]\nkms_key_id = \"alias/tw-logs\"\n"),
    );
    let config = config.to_str().unwrap();
    let out = tw(&account, &["apply", "--config", config, "--yes"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let in_sync = tw(&account, &["check", "--config", config]);
    assert_eq!(in_sync.code, 0, "{}\n{}", in_sync.stdout, in_sync.stderr);
    let cfg = Emulator::shared().sdk_config(&account, "us-east-1").await;
    common::s3_client(&cfg)
        .delete_bucket_encryption()
        .bucket(format!("trailwarden-cloudtrail-{account}-us-east-1"))
        .send()
        .await
        .unwrap();
    let drift = tw(&account, &["check", "--config", config, "--output", "json"]);
    assert_eq!(drift.code, 2, "{}", drift.stdout);
    assert!(
        drift.stdout.contains("\"bucket.encryption\""),
        "{}",
        drift.stdout
    );
    assert_eq!(
        tw(&account, &["apply", "--config", config, "--yes"]).code,
        0
    );
    assert_eq!(tw(&account, &["check", "--config", config]).code, 0);
}

/// A key whose policy does not let CloudTrail use it would make CreateTrail fail half-way
/// (InsufficientEncryptionPolicyException) and bucket delivery fail silently: the apply is
/// refused before the first write, and the message names what is missing.
#[tokio::test]
async fn a_kms_key_cloudtrail_cannot_use_stops_apply_before_any_write() {
    let account = unique_account();
    kms_key(
        &account,
        "alias/tw-alarms-only",
        &["cloudwatch.amazonaws.com"],
    )
    .await;
    let config = write_config(
        &account,
        &format!("emails = [\"{EMAIL}\"]\n[trail]\nkms_key_id = \"alias/tw-alarms-only\"\n"),
    );
    let before = Emulator::shared()
        .write_requests_for_account(&account)
        .len();
    let out = tw(
        &account,
        &["apply", "--config", config.to_str().unwrap(), "--yes"],
    );
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("cloudtrail.amazonaws.com"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("kms:GenerateDataKey"), "{}", out.stdout);
    let writes = Emulator::shared().write_requests_for_account(&account);
    assert_eq!(writes.len(), before, "{writes:?}");

    // A key that does not exist: the same, named as missing.
    let config = write_config(
        &account,
        &format!("emails = [\"{EMAIL}\"]\n[trail]\nkms_key_id = \"alias/no-such-key\"\n"),
    );
    let out = tw(
        &account,
        &["apply", "--config", config.to_str().unwrap(), "--yes"],
    );
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("does not exist"), "{}", out.stdout);
    assert_eq!(
        Emulator::shared()
            .write_requests_for_account(&account)
            .len(),
        before
    );
}

#[tokio::test]
async fn topic_policy_stripped() {
    drift_case("topic.policy", "sns_topic.trailwarden-alarms", |c| async move {
        let owner_only = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Sid": "owner", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "SNS:Publish", "Resource": c.topic(), "Condition": {"StringEquals": {"AWS:SourceOwner": c.account}}}]});
        aws_sdk_sns::Client::new(&c.cfg)
            .set_topic_attributes()
            .topic_arn(c.topic())
            .attribute_name("Policy")
            .attribute_value(owner_only.to_string())
            .send()
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn topic_encrypted_with_the_aws_managed_key() {
    drift_case(
        "topic.aws-managed-key",
        "sns_topic.trailwarden-alarms",
        |c| async move {
            aws_sdk_sns::Client::new(&c.cfg)
                .set_topic_attributes()
                .topic_arn(c.topic())
                .attribute_name("KmsMasterKeyId")
                .attribute_value("alias/aws/sns")
                .send()
                .await
                .unwrap();
        },
    )
    .await;
}

#[tokio::test]
async fn subscription_removed() {
    drift_case(
        "subscription.missing",
        "sns_subscription.trailwarden-alarms/security@example.com",
        |c| async move {
            let sns = aws_sdk_sns::Client::new(&c.cfg);
            let subs = sns
                .list_subscriptions_by_topic()
                .topic_arn(c.topic())
                .send()
                .await
                .unwrap();
            for s in subs.subscriptions() {
                sns.unsubscribe()
                    .subscription_arn(s.subscription_arn().unwrap())
                    .send()
                    .await
                    .unwrap();
            }
        },
    )
    .await;
}

#[tokio::test]
async fn role_policy_deleted() {
    drift_case(
        "role.policy",
        "iam_role.trailwarden-cloudtrail-to-logs",
        |c| async move {
            aws_sdk_iam::Client::new(&c.cfg)
                .delete_role_policy()
                .role_name("trailwarden-cloudtrail-to-logs")
                .policy_name("cloudtrail-to-cloudwatch-logs-us-east-1")
                .send()
                .await
                .unwrap();
        },
    )
    .await;
}

/// A trust policy conditioned on aws:SourceAccount (what earlier versions wrote) keeps CloudTrail
/// from assuming the role ("Role policy document for CloudTrail to use CloudWatch Logs for
/// monitoring"): drift, repaired by apply.
#[tokio::test]
async fn role_trust_changed() {
    drift_case("role.trust", "iam_role.trailwarden-cloudtrail-to-logs", |c| async move {
        let trust = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:SourceAccount": c.account}}}]});
        aws_sdk_iam::Client::new(&c.cfg)
            .update_assume_role_policy()
            .role_name("trailwarden-cloudtrail-to-logs")
            .policy_document(trust.to_string())
            .send()
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn in_sync_check_is_fast_and_renders_every_format() {
    let account = unique_account();
    apply(&account);
    let (code, report) = check_json(&account, &[]);
    assert_eq!(code, 0);
    assert_eq!(report["format_version"], "1");
    // One STS call, then the chain's reads: small and bounded.
    let requests = report["requests"].as_u64().unwrap();
    assert!(
        requests <= 25,
        "{requests} requests for an in-sync aws-docs check"
    );
    let human = tw(&account, &["check", "--email", EMAIL]);
    assert_eq!(human.code, 0);
    assert!(human.stdout.starts_with("In sync"), "{}", human.stdout);
    let junit = tw(&account, &["check", "--email", EMAIL, "--output", "junit"]);
    assert!(
        junit.stdout.contains("<testsuites") && junit.stdout.contains(r#"failures="0""#),
        "{}",
        junit.stdout
    );
    // Drift shows as a JUnit failure and a GitHub error annotation.
    let cfg = Emulator::shared().sdk_config(&account, "us-east-1").await;
    aws_sdk_cloudtrail::Client::new(&cfg)
        .stop_logging()
        .name("trailwarden")
        .send()
        .await
        .unwrap();
    let junit = tw(&account, &["check", "--email", EMAIL, "--output", "junit"]);
    assert_eq!(junit.code, 2);
    assert!(
        junit
            .stdout
            .contains(r#"<testcase classname="trailwarden.drift" name="trail.trailwarden">"#),
        "{}",
        junit.stdout
    );
    let gh = tw(&account, &["check", "--email", EMAIL, "--output", "github"]);
    assert_eq!(gh.code, 2);
    assert!(
        gh.stdout
            .contains("::error title=trailwarden drift: trail.trailwarden::"),
        "{}",
        gh.stdout
    );
    assert!(
        gh.stderr.is_empty() || !gh.stderr.contains("error:"),
        "{}",
        gh.stderr
    );
}

#[tokio::test]
async fn check_makes_only_read_requests() {
    let account = unique_account();
    apply(&account);
    let emu = Emulator::shared();
    let before = emu.requests_for_account(&account).len();
    let cfg = emu.sdk_config(&account, "us-east-1").await;
    aws_sdk_cloudtrail::Client::new(&cfg)
        .stop_logging()
        .name("trailwarden")
        .send()
        .await
        .unwrap();
    let mid = emu.requests_for_account(&account).len();
    assert_eq!(mid, before + 1);
    let (code, _) = check_json(&account, &[]);
    assert_eq!(code, 2);
    let after = emu.requests_for_account(&account);
    let writes: Vec<&Value> = after[mid..]
        .iter()
        .filter(|r| !common::is_read_only(r["operation"].as_str().unwrap_or("")))
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
}

fn policy_actions(for_: &str) -> Vec<String> {
    let out = tw("000000000002", &["permissions", "--for", for_]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let policy: Value = serde_json::from_str(&out.stdout).unwrap();
    policy["Statement"][0]["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

/// Every request `apply` and `check` actually send is allowed by the printed least-privilege
/// policies; `check`'s policy grants no write.
#[tokio::test]
async fn permissions_cover_every_request_the_code_makes() {
    let apply_policy = policy_actions("apply");
    let check_policy = policy_actions("check");
    let account = unique_account();
    let emu = Emulator::shared();
    // A fresh apply, a repair after drift, and a check: every write path and read path.
    apply(&account);
    let cfg = emu.sdk_config(&account, "us-east-1").await;
    aws_sdk_cloudtrail::Client::new(&cfg)
        .stop_logging()
        .name("trailwarden")
        .send()
        .await
        .unwrap();
    let after_setup = emu.requests_for_account(&account).len();
    apply(&account);
    let after_apply = emu.requests_for_account(&account).len();
    let (code, _) = check_json(&account, &[]);
    assert_eq!(code, 0);
    let all = emu.requests_for_account(&account);
    let action = |r: &Value| {
        let service = r["service"].as_str().unwrap_or_default();
        let op = r["operation"].as_str().unwrap_or_default();
        trailwarden::aws::iam_action_for(service, op)
            .unwrap_or_else(|| panic!("no IAM action known for {service} {op}"))
    };
    // The SDK's own StopLogging above is not trailwarden's request.
    for (i, r) in all.iter().enumerate() {
        if i == after_setup - 1 {
            continue;
        }
        let a = action(r);
        assert!(
            apply_policy.iter().any(|p| p == a),
            "apply policy lacks {a}"
        );
    }
    for r in &all[after_apply..] {
        let a = action(r);
        assert!(
            check_policy.iter().any(|p| p == a),
            "check policy lacks {a}"
        );
    }
    for a in &check_policy {
        let op = a.split(':').nth(1).unwrap_or_default();
        assert!(
            ["Get", "Describe", "List", "Head", "Lookup"]
                .iter()
                .any(|p| op.starts_with(p)),
            "check policy grants a write: {a}"
        );
    }
}
