//! Snapshots of everything the tool prints as a result: `plan` and `apply` (human and JSON),
//! `check` in its four forms, `scan` (human and JSON) and configuration errors as the CLI
//! prints them. A change of any output shows as a diff of a file in `snapshots/` next to this
//! file; docs/testing.md says how to review and accept one.
//!
//! Every input is built in memory (the planner's test helpers and the fake account), so the
//! outputs are deterministic. What the CLI measures at run time is fixed by construction here:
//! the request counts (`REQUESTS`) and the scan's duration (`SCAN_SECONDS`); the scanned files
//! have fixed names and no temporary path appears anywhere.

use insta::assert_snapshot;

use super::check::CheckReport;
use super::{render_outcome, render_plan, PlanReport};
use crate::apply::{apply, ApplyOutcome, NoProgress};
use crate::aws::RequestStats;
use crate::cmd::error_text;
use crate::config::{self, Overrides};
use crate::fake::FakeAccount;
use crate::model::*;
use crate::plan::tests::{applied, basic, desired_from, no_wait, rt, ACCOUNT};
use crate::plan::{plan, Plan};
use crate::report::to_json;

const REGION: &str = "us-east-1";

/// HTTP requests of a `plan` or `check` run, as the AWS adapter would count them.
const REQUESTS: RequestStats = RequestStats {
    total: 27,
    writes: 0,
    retries: 0,
};

// ---------------------------------------------------------------------------------------------
// Accounts

/// An account with several kinds of drift, two warnings and a conflict:
/// - drift: the bucket's versioning suspended, the log group's retention shortened, the trail
///   stopped, pointed at another role and failing to deliver, a metric filter deleted and
///   another's pattern changed, an alarm's threshold raised;
/// - warnings: neither subscription confirmed yet;
/// - conflict: the role lost its `managed-by` tag, so it no longer counts as trailwarden's.
fn drifted() -> Plan {
    let d = desired_from("emails = [\"sec@example.com\", \"soc@example.com\"]\n");
    let fake = applied(&d);
    {
        let mut a = fake.state.lock().unwrap();
        a.bucket.as_mut().unwrap().versioning = Some("Suspended".into());
        a.log_group.as_mut().unwrap().retention_days = Some(7);
        let trail = &mut a.trails[0];
        trail.is_logging = Some(false);
        trail.cw_role_arn = Some("arn:aws:iam::111122223333:role/other".into());
        trail.delivery_errors.push(DeliveryError {
            field: "LatestCloudWatchLogsDeliveryError".into(),
            message: "Access denied. Verify in IAM that the role has adequate permissions.".into(),
        });
        a.filters.retain(|f| f.name != "ConsoleSignInWithoutMfa");
        a.filters[0].pattern = "{ $.userIdentity.type = \"Root\" }".into();
        a.alarms.get_mut("RootAccountUsageAlarm").unwrap().threshold = Some(5.0);
        for t in a.topics.values_mut() {
            for s in &mut t.subscriptions {
                s.arn = "PendingConfirmation".into();
            }
        }
        a.role.as_mut().unwrap().tags.clear();
    }
    let p = plan(&d, &fake.snapshot());
    assert!(!p.changes.is_empty() && p.warnings.len() == 2 && p.conflicts.len() == 1);
    p
}

/// An account where everything trailwarden manages is as configured.
fn in_sync() -> Plan {
    let d = basic();
    let fake = applied(&d);
    let p = plan(&d, &fake.snapshot());
    assert!(p.is_empty() && p.warnings.is_empty() && p.conflicts.is_empty());
    p
}

// ---------------------------------------------------------------------------------------------
// plan and apply

#[test]
fn plan_fresh_account() {
    let p = plan(&basic(), &Actual::default());
    assert_snapshot!("plan_fresh_account_human", render_plan(&p));
    let report = PlanReport::new("plan", ACCOUNT, REGION, &p, REQUESTS);
    assert_snapshot!("plan_fresh_account_json", to_json(&report));
}

#[test]
fn plan_drifted_account() {
    let p = drifted();
    assert_snapshot!("plan_drifted_account_human", render_plan(&p));
    let report = PlanReport::new("plan", ACCOUNT, REGION, &p, REQUESTS);
    assert_snapshot!("plan_drifted_account_json", to_json(&report));
}

/// A control disabled and its topic no longer configured: the filter, the topic and the alarm
/// trailwarden created are removed.
fn leftovers() -> Plan {
    use crate::plan::tests_removals::read_for;
    let all = desired_from(
        "emails = [\"sec@example.com\"]\n[topics.critical]\n[controls.root-account-usage]\ntopic = \"critical\"\n",
    );
    let fake = applied(&all);
    let d = desired_from(
        "emails = [\"sec@example.com\"]\n[controls.root-account-usage]\ndisabled = true\n",
    );
    let p = plan(&d, &read_for(&fake.snapshot(), &d, true));
    assert_eq!(p.changes.len(), 3);
    p
}

#[test]
fn plan_with_removals() {
    let p = leftovers();
    assert_snapshot!("plan_removals_human", render_plan(&p));
    let report = PlanReport::new("plan", ACCOUNT, REGION, &p, REQUESTS);
    assert_snapshot!("plan_removals_json", to_json(&report));
}

#[test]
fn check_with_leftovers() {
    let report = CheckReport::new(ACCOUNT, REGION, &leftovers(), false, REQUESTS.total);
    assert!(!report.in_sync);
    assert_snapshot!("check_orphans_human", report.human());
    assert_snapshot!("check_orphans_json", to_json(&report));
    assert_snapshot!("check_orphans_junit", report.junit());
    assert_snapshot!("check_orphans_github", report.github());
}

#[test]
fn destroy_default_and_everything() {
    use crate::plan::tests_destroy::read_for_destroy;
    use crate::plan::{destroy, DestroyOptions};
    let d = basic();
    let a = read_for_destroy(&applied(&d).snapshot(), &d);
    let kept = destroy(&d, &a, DestroyOptions::default());
    assert_snapshot!("destroy_default_human", super::render_destroy(&kept));
    let report = PlanReport::new("destroy", ACCOUNT, REGION, &kept, REQUESTS);
    assert_snapshot!("destroy_default_json", to_json(&report));
    let all = destroy(
        &d,
        &a,
        DestroyOptions {
            stop_logging: true,
            delete_log_data: true,
        },
    );
    assert_snapshot!("destroy_everything_human", super::render_destroy(&all));
    let fake = applied(&d);
    let outcome = rt().block_on(apply(&all, &fake, &no_wait(), &mut NoProgress));
    assert_snapshot!(
        "destroy_everything_outcome_human",
        super::render_outcome_of("destroy", &outcome)
    );
}

#[test]
fn plan_with_cost_estimate() {
    // A fresh account next to an existing multi-region trail, its volume measured in S3.
    let d = basic();
    let a = Actual {
        trails: vec![TrailState {
            name: "org".into(),
            arn: "arn:aws:cloudtrail:us-east-1:111122223333:trail/org".into(),
            multi_region: true,
            s3_bucket: Some("org-trail-logs".into()),
            ..Default::default()
        }],
        ..Default::default()
    };
    let p = plan(&d, &a);
    let volume = Volume {
        method: VolumeMethod::S3Day,
        bytes_per_day: 12_000_000.0,
        detail: "431 log files of 2026-12-05 (UTC) in s3://org-trail-logs/AWSLogs/111122223333/CloudTrail/, 12000000 bytes gzip-compressed".into(),
    };
    let e = crate::cost::estimate(&d, &p, &a, Some(&volume), &crate::cost::Prices::builtin());
    assert_snapshot!("plan_estimate_human", crate::cost::render(&e));
    let mut report = PlanReport::new("plan", ACCOUNT, REGION, &p, REQUESTS);
    report.estimate = Some(&e);
    let json: serde_json::Value = serde_json::from_str(&to_json(&report)).unwrap();
    assert_snapshot!("plan_estimate_json", to_json(&json["estimate"]));
}

#[test]
fn plan_in_sync_account() {
    let p = in_sync();
    assert_snapshot!("plan_in_sync_account_human", render_plan(&p));
    let report = PlanReport::new("plan", ACCOUNT, REGION, &p, REQUESTS);
    assert_snapshot!("plan_in_sync_account_json", to_json(&report));
}

/// Applies the plan for a fresh account to a fake one that answers with `faults` first.
/// Returns the plan, the outcome and the requests as the adapter would count them: the reads
/// of the plan (`REQUESTS`) and every write attempt the fake logged.
fn apply_fresh(faults: &[(&str, &str, usize)]) -> (Plan, ApplyOutcome, RequestStats) {
    let fake = FakeAccount::new(Actual::default());
    for (api, code, times) in faults {
        fake.fail_next(api, code, *times);
    }
    let p = plan(&basic(), &fake.snapshot());
    let outcome = rt().block_on(apply(&p, &fake, &no_wait(), &mut NoProgress));
    let writes = fake.requests().len() as u64;
    let requests = RequestStats {
        total: REQUESTS.total + writes,
        writes,
        retries: 0,
    };
    (p, outcome, requests)
}

/// `apply --output json`: the plan with its outcome and the requests counted after it.
fn apply_json(p: &Plan, outcome: &ApplyOutcome, requests: RequestStats) -> String {
    let mut report = PlanReport::new("apply", ACCOUNT, REGION, p, requests);
    report.outcome = Some(outcome);
    to_json(&report)
}

#[test]
fn apply_complete_with_retries() {
    // CloudTrail refuses the role twice right after it was created (IAM propagation): retried.
    let (p, outcome, requests) = apply_fresh(&[(
        "cloudtrail:CreateTrail",
        "InvalidCloudWatchLogsRoleArnException",
        2,
    )]);
    assert!(outcome.failed.is_none());
    assert_snapshot!("apply_complete_human", render_outcome(&outcome));
    assert_snapshot!("apply_complete_json", apply_json(&p, &outcome, requests));
}

#[test]
fn apply_stopped_by_an_error() {
    let (p, outcome, requests) = apply_fresh(&[("sns:CreateTopic", "AuthorizationError", 1)]);
    assert!(outcome.failed.is_some());
    assert_snapshot!("apply_stopped_human", render_outcome(&outcome));
    assert_snapshot!("apply_stopped_json", apply_json(&p, &outcome, requests));
}

#[test]
fn apply_interrupted() {
    let (_, mut outcome, _) = apply_fresh(&[]);
    // As the apply loop leaves it when a signal arrives after the first four changes.
    let left: Vec<String> = outcome
        .applied
        .split_off(4)
        .into_iter()
        .map(|a| a.address)
        .collect();
    outcome.interrupted = true;
    outcome.left = left;
    assert_snapshot!("apply_interrupted_human", render_outcome(&outcome));
}

// ---------------------------------------------------------------------------------------------
// check

fn check_snapshots(name: &str, report: &CheckReport) {
    assert_snapshot!(format!("{name}_human"), report.human());
    assert_snapshot!(format!("{name}_json"), to_json(report));
    assert_snapshot!(format!("{name}_junit"), report.junit());
    assert_snapshot!(format!("{name}_github"), report.github());
}

#[test]
fn check_in_sync_account() {
    let report = CheckReport::new(ACCOUNT, REGION, &in_sync(), false, REQUESTS.total);
    assert!(report.in_sync);
    check_snapshots("check_in_sync", &report);
}

#[test]
fn check_drifted_account() {
    let report = CheckReport::new(ACCOUNT, REGION, &drifted(), false, REQUESTS.total);
    assert!(!report.in_sync);
    check_snapshots("check_drifted", &report);
}

#[test]
fn check_accounts_of_an_organization() {
    // `check --accounts`: an account in sync with a warning, one drifted, one whose role could
    // not be assumed.
    use crate::fanout::AccountResult;
    use crate::report::fanout::FanoutReport;
    let mut warned = in_sync();
    warned.warnings.push(crate::plan::Finding {
        code: "second-trail",
        address: Some("trail.own".into()),
        message: "trail `own` of account 222233334444 records management events that organization trail `org` already records: this second copy is billed".into(),
    });
    let results = vec![
        AccountResult {
            id: "222233334444".into(),
            name: "workloads-prod".into(),
            report: Some(CheckReport::new("222233334444", REGION, &warned, false, 21)),
            error: None,
        },
        AccountResult {
            id: ACCOUNT.into(),
            name: "security".into(),
            report: Some(CheckReport::new(ACCOUNT, REGION, &drifted(), false, 21)),
            error: None,
        },
        AccountResult {
            id: "333344445555".into(),
            name: "sandbox".into(),
            report: None,
            error: Some("could not assume role OrganizationAccountAccessRole: sts:AssumeRole failed: AccessDenied: User: arn:aws:iam::999988887777:user/ci is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::333344445555:role/OrganizationAccountAccessRole".into()),
        },
    ];
    let report = FanoutReport::new(&results, false, "OrganizationAccountAccessRole");
    assert!(!report.in_sync);
    assert_snapshot!("check_accounts_human", report.human());
    assert_snapshot!("check_accounts_json", to_json(&report));
    assert_snapshot!("check_accounts_junit", report.junit());
    assert_snapshot!("check_accounts_github", report.github());
}

#[test]
fn plan_of_several_accounts() {
    // `plan --accounts`: an account with changes, one without, one that could not be read.
    use crate::report::fanout::{AccountPlanEntry, AccountsPlanReport};
    fn entry<'a>(id: &'a str, name: &'a str, plan: &'a Plan) -> AccountPlanEntry<'a> {
        AccountPlanEntry {
            account_id: id,
            name,
            status: if plan.is_empty() {
                "no_changes"
            } else {
                "changes"
            },
            error: None,
            report: Some(PlanReport::new("plan", id, REGION, plan, REQUESTS)),
            plan: Some(plan),
        }
    }
    let (changes, none) = (drifted(), in_sync());
    let (changes, none) = (&changes, &none);
    let report = AccountsPlanReport {
        format_version: crate::report::FORMAT_VERSION,
        command: "plan",
        accounts: vec![
            entry(ACCOUNT, "security", changes),
            entry("222233334444", "workloads-prod", none),
            AccountPlanEntry {
                account_id: "333344445555",
                name: "sandbox",
                status: "error",
                error: Some("could not assume role OrganizationAccountAccessRole: sts:AssumeRole failed: AccessDenied"),
                report: None,
                plan: None,
            },
        ],
    };
    assert_snapshot!("plan_accounts_human", report.human());
    assert_snapshot!("plan_accounts_json", to_json(&report));
}

#[test]
fn check_drifted_account_strict() {
    // `--strict`: the unconfirmed subscription is drift, not a warning.
    let report = CheckReport::new(ACCOUNT, REGION, &drifted(), true, REQUESTS.total);
    assert_snapshot!("check_drifted_strict_human", report.human());
}

// ---------------------------------------------------------------------------------------------
// scan

mod scan {
    use super::*;
    use crate::scan::engine::{Counters, Engine, Item, Settings};
    use crate::scan::report::{self, Context};
    use crate::scan::ControlSpec;
    use std::sync::Mutex;

    /// What the CLI measures with a clock.
    const SCAN_SECONDS: f64 = 2.5;
    /// `--since 2024-05-14 --until 2024-05-15`.
    const SINCE: i64 = 1_715_644_800;
    const UNTIL: i64 = SINCE + 86_400;

    /// One CloudTrail record.
    fn event(time: &str, identity: &str, name: &str, ip: &str, extra: &str) -> String {
        format!(
            r#"{{"eventVersion":"1.08","userIdentity":{identity},"eventTime":"{time}","eventName":"{name}","awsRegion":"us-east-1","sourceIPAddress":"{ip}"{extra}}}"#
        )
    }

    const ROOT: &str = r#"{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333"}"#;
    const APP: &str = r#"{"type":"AssumedRole","principalId":"AROAEXAMPLE:i-1","arn":"arn:aws:sts::111122223333:assumed-role/app/i-1","sessionContext":{"attributes":{"mfaAuthenticated":"false"}}}"#;
    const BUILDER: &str = r#"{"type":"AssumedRole","principalId":"AROAEXAMPLE:ci","arn":"arn:aws:sts::111122223333:assumed-role/ci/build-7","sessionContext":{"attributes":{"mfaAuthenticated":"false"}}}"#;
    const ANAYA: &str = r#"{"type":"IAMUser","userName":"anaya","arn":"arn:aws:iam::111122223333:user/anaya","sessionContext":{"attributes":{"mfaAuthenticated":"true"}}}"#;
    const CONSOLE_NO_MFA: &str =
        r#","eventType":"AwsConsoleSignIn","additionalEventData":{"MFAUsed":"No"}"#;
    const CONSOLE_MFA: &str =
        r#","eventType":"AwsConsoleSignIn","additionalEventData":{"MFAUsed":"Yes"}"#;
    const API: &str = r#","eventType":"AwsApiCall""#;

    /// A CloudTrail log file, a CloudWatch Logs export in JSON lines, and a file cut off in
    /// the middle of a record; one event is before `--since`, one has no time.
    fn files() -> Vec<Item> {
        let trail = [
            event(
                "2024-05-13T23:59:00Z",
                ROOT,
                "ConsoleLogin",
                "192.0.2.1",
                CONSOLE_NO_MFA,
            ),
            event(
                "2024-05-14T09:01:00Z",
                ROOT,
                "ConsoleLogin",
                "192.0.2.1",
                CONSOLE_NO_MFA,
            ),
            event(
                "2024-05-14T09:02:10Z",
                ROOT,
                "CreateAccessKey",
                "192.0.2.1",
                API,
            ),
            event(
                "2024-05-14T09:03:00Z",
                ANAYA,
                "ConsoleLogin",
                "198.51.100.7",
                CONSOLE_MFA,
            ),
            event("2024-05-14T09:04:00Z", APP, "GetObject", "10.0.0.1", API),
            event("2024-05-14T09:06:00Z", APP, "GetObject", "10.0.0.1", API),
            event("2024-05-14T09:12:00Z", APP, "PutObject", "10.0.0.1", API),
            event(
                "2024-05-14T09:13:00Z",
                BUILDER,
                "DescribeInstances",
                "203.0.113.20",
                API,
            ),
        ];
        let export = [
            event("2024-05-14T13:30:00Z", ROOT, "ConsoleLogin", "192.0.2.44", CONSOLE_NO_MFA),
            event("2024-05-14T13:31:00Z", BUILDER, "DescribeInstances", "203.0.113.20", API),
            event("2024-05-14T13:31:30Z", BUILDER, "RunInstances", "203.0.113.20", API),
            r#"{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/ci/build-8","sessionContext":{"attributes":{"mfaAuthenticated":"false"}}},"eventName":"ListBuckets","sourceIPAddress":"203.0.113.20"}"#.to_string(),
        ];
        let bytes = |name: &str, data: String| Item::Bytes {
            name: name.to_string(),
            data: data.into_bytes(),
        };
        vec![
            bytes(
                "s3://logs/AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/14/111122223333_CloudTrail_us-east-1_20240514T0915Z_a1.json",
                format!("{{\"Records\":[{}]}}", trail.join(",")),
            ),
            bytes("exports/2024-05-14.jsonl", export.join("\n") + "\n"),
            bytes(
                "exports/2024-05-14-broken.json",
                format!("{{\"Records\":[{},{{\"eventTime\":", trail[1]),
            ),
        ]
    }

    /// The controls as `scan` loads them: aws-docs, root usage alarming at 2 in 2 periods.
    fn specs() -> (Vec<ControlSpec>, Vec<String>) {
        let text = "emails = [\"scan@trailwarden.invalid\"]\n[controls.root-account-usage]\nthreshold = 2\nevaluation_periods = 2\ndatapoints_to_alarm = 1\n";
        let cfg = config::from_str("trailwarden.toml", text, &Overrides::default()).unwrap();
        let specs = cfg.controls.iter().map(ControlSpec::from).collect();
        (specs, cfg.presets.iter().map(|p| p.name.clone()).collect())
    }

    #[test]
    fn scan_report() {
        let (specs, presets) = specs();
        let engine = Engine::new(
            specs,
            Settings {
                jobs: 1,
                since: Some(SINCE),
                until: Some(UNTIL),
                ..Settings::default()
            },
        )
        .unwrap();
        let items = Mutex::new(files());
        let sink: Mutex<Box<dyn std::io::Write + Send>> = Mutex::new(Box::new(std::io::sink()));
        let outcome = engine.run(&|| items.lock().ok()?.pop(), &Counters::default(), &sink);
        assert!(outcome.stats.iter().all(|s| s.matches > 0));
        let ctx = Context {
            controls: &engine.controls,
            presets: &presets,
            since: Some(SINCE),
            until: Some(UNTIL),
            seconds: SCAN_SECONDS,
        };
        assert_snapshot!("scan_human", report::human(&ctx, &outcome));
        assert_snapshot!("scan_json", to_json(&report::to_json(&ctx, &outcome)));
    }
}

// ---------------------------------------------------------------------------------------------
// configuration errors

/// What the CLI prints on stderr for a configuration that does not validate.
fn config_errors(text: &str) -> String {
    let diags = config::from_str("trailwarden.toml", text, &Overrides::default())
        .expect_err("the configuration must not validate");
    error_text(&crate::error::Error::Config(diags))
}

#[test]
fn config_with_several_errors() {
    let text = r#"region = "mars-1"
emails = ["sec@example.com", "not-an-email"]
retention = 3

[bucket]
name = "Bad_Bucket"

[log_group]
retention_days = 42

[controls.root-account-usage]
threshold = "lots"

[controls.api-activity-without-mfa]
period = 45
topic = "pager"
exclusions = ['$.a = (']

[controls.nope]
disabled = true
"#;
    assert_snapshot!("config_several_errors", config_errors(text));
}

#[test]
fn config_with_a_syntax_error() {
    let text = "emails = [\"sec@example.com\"\nregion = \"us-east-1\"\n";
    assert_snapshot!("config_syntax_error", config_errors(text));
}
