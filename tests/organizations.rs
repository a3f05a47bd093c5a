//! AWS Organizations against the emulator: organization mode from the management account, and
//! member accounts as AWS shows them an organization trail (listed by DescribeTrails; its ARN
//! refused to GetTrailStatus / ListTags / GetEventSelectors with CloudTrailARNInvalidException;
//! see tests/emulator/fidelity.py).

mod common;

use common::{unique_account, Emulator};

const EMAIL: &str = "security@example.com";

fn tw(account: &str, args: &[&str]) -> common::Run {
    common::trailwarden(account, args)
}

/// A new organization: its management account and `members` member accounts (created with
/// CreateAccount, which also creates `OrganizationAccountAccessRole` in each, as AWS does).
async fn organization(members: usize) -> (String, String, Vec<String>) {
    let management = unique_account();
    let cfg = Emulator::shared()
        .sdk_config(&management, "us-east-1")
        .await;
    let orgs = aws_sdk_organizations::Client::new(&cfg);
    let org = orgs
        .create_organization()
        .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
        .send()
        .await
        .expect("CreateOrganization");
    let id = org.organization().unwrap().id().unwrap().to_string();
    let mut ids = Vec::new();
    for i in 0..members {
        let out = orgs
            .create_account()
            .account_name(format!("member-{i}"))
            .email(format!("member-{i}@example.com"))
            .send()
            .await
            .expect("CreateAccount");
        ids.push(
            out.create_account_status()
                .unwrap()
                .account_id()
                .unwrap()
                .to_string(),
        );
    }
    (management, id, ids)
}

fn warning_codes(report: &serde_json::Value) -> Vec<String> {
    report["warnings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|w| w["code"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn organization_mode_creates_the_organization_trail_and_members_see_it_as_aws_shows_it() {
    let (management, org_id, members) = organization(2).await;
    let emu = Emulator::shared();

    // Management account: the organization trail, with its bucket and role policies.
    let out = tw(
        &management,
        &["apply", "--organization", "--email", EMAIL, "--yes"],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let cfg = emu.sdk_config(&management, "us-east-1").await;
    let ct = aws_sdk_cloudtrail::Client::new(&cfg);
    let trail = ct.get_trail().name("trailwarden").send().await.unwrap();
    let trail = trail.trail().unwrap();
    assert_eq!(trail.is_organization_trail(), Some(true));
    assert_eq!(trail.is_multi_region_trail(), Some(true));
    let policy = common::s3_client(&cfg)
        .get_bucket_policy()
        .bucket(trail.s3_bucket_name().unwrap())
        .send()
        .await
        .unwrap();
    assert!(
        policy
            .policy()
            .unwrap()
            .contains(&format!("AWSLogs/{org_id}/*")),
        "{:?}",
        policy.policy()
    );
    let role_policy = aws_sdk_iam::Client::new(&cfg)
        .get_role_policy()
        .role_name("trailwarden-cloudtrail-to-logs")
        .policy_name("cloudtrail-to-cloudwatch-logs-us-east-1")
        .send()
        .await
        .unwrap();
    let doc = urlencoding::decode(role_policy.policy_document())
        .unwrap()
        .into_owned();
    assert!(doc.contains(&format!("log-stream:{org_id}_*")), "{doc}");
    // The controls' filters name the account of each event; the alarms evaluate one time series
    // per account (a Metrics Insights query with GROUP BY).
    let filters = aws_sdk_cloudwatchlogs::Client::new(&cfg)
        .describe_metric_filters()
        .log_group_name("trailwarden-cloudtrail")
        .send()
        .await
        .unwrap();
    assert!(!filters.metric_filters().is_empty());
    for f in filters.metric_filters() {
        let dims = f.metric_transformations()[0]
            .dimensions()
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            dims.get("AccountId").map(String::as_str),
            Some("$.recipientAccountId"),
            "{f:?}"
        );
    }
    let alarms = aws_sdk_cloudwatch::Client::new(&cfg)
        .describe_alarms()
        .send()
        .await
        .unwrap();
    assert!(!alarms.metric_alarms().is_empty());
    for a in alarms.metric_alarms() {
        let query = a.metrics()[0].expression().unwrap_or_default();
        assert!(query.ends_with("GROUP BY AccountId"), "{a:?}");
        assert_eq!(a.metric_name(), None);
    }
    let out = tw(&management, &["check", "--organization", "--email", EMAIL]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    // The same chain without --organization is drift (a plain trail's filters and alarms).
    let out = tw(
        &management,
        &["check", "--email", EMAIL, "--output", "json"],
    );
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);

    // A member account: `check` of its own chain reads what AWS lets it read, and says the
    // organization trail covers it.
    let member = &members[0];
    let before = emu.requests_for_account(member).len();
    let out = tw(member, &["check", "--email", EMAIL, "--output", "json"]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(
        !out.stderr.contains("CloudTrailARNInvalid"),
        "{}",
        out.stderr
    );
    assert!(
        warning_codes(&out.json()).contains(&"covered-by-organization-trail".to_string()),
        "{}",
        out.stdout
    );
    let reads = emu.requests_for_account(member).split_off(before);
    assert!(reads
        .iter()
        .all(|r| common::is_read_only(r["operation"].as_str().unwrap())));

    // `plan` and `init`'s discovery read every trail with its status: the organization trail's
    // is not asked for (it would be refused).
    let out = tw(member, &["plan", "--email", EMAIL]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("covered by organization trail `trailwarden` of management account"),
        "{}",
        out.stdout
    );

    // Adopting it from the member account: refused at once, saying where to do it instead.
    let before = emu.write_requests_for_account(member).len();
    let out = tw(
        member,
        &["plan", "--email", EMAIL, "--adopt-trail", "trailwarden"],
    );
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(
        all.contains(&format!(
            "is the organization trail of management account {management}"
        )),
        "{all}"
    );
    assert!(!all.contains("CloudTrailARNInvalid"), "{all}");
    let out = tw(
        member,
        &[
            "apply",
            "--email",
            EMAIL,
            "--adopt-trail",
            "trailwarden",
            "--yes",
        ],
    );
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(emu.write_requests_for_account(member).len(), before);

    // Organization mode from a member account: refused, naming the management account.
    let out = tw(member, &["check", "--organization", "--email", EMAIL]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "management account of organization {org_id} ({management})"
        )),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn organization_mode_outside_an_organization_writes_nothing() {
    let account = unique_account();
    let out = tw(
        &account,
        &["apply", "--organization", "--email", EMAIL, "--yes"],
    );
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("is not in an AWS Organization"),
        "{}",
        out.stderr
    );
    assert!(Emulator::shared()
        .write_requests_for_account(&account)
        .is_empty());
}

fn by_account(report: &serde_json::Value) -> std::collections::BTreeMap<String, serde_json::Value> {
    report["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["account_id"].as_str().unwrap().to_string(), a.clone()))
        .collect()
}

#[tokio::test]
async fn check_accounts_all_reports_each_account_and_never_stops_at_one() {
    let (management, _org, members) = organization(5).await;
    let emu = Emulator::shared();
    let (in_sync, drifted, no_role) = (&members[0], &members[1], &members[2]);
    for m in [in_sync, drifted] {
        let out = tw(m, &["apply", "--email", EMAIL, "--yes"]);
        assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    }
    let cfg = emu.sdk_config(drifted, "us-east-1").await;
    aws_sdk_cloudtrail::Client::new(&cfg)
        .stop_logging()
        .name("trailwarden")
        .send()
        .await
        .unwrap();
    let cfg = emu.sdk_config(no_role, "us-east-1").await;
    aws_sdk_iam::Client::new(&cfg)
        .delete_role()
        .role_name("OrganizationAccountAccessRole")
        .send()
        .await
        .unwrap();
    // What a single-account check of the in-sync account costs, in requests.
    let single = tw(in_sync, &["check", "--email", EMAIL, "--output", "json"]);
    assert_eq!(single.code, 0, "{}\n{}", single.stdout, single.stderr);
    let single_requests = single.json()["requests"].as_u64().unwrap();

    let before = emu.requests_for_account(&management).len();
    let out = tw(
        &management,
        &[
            "check",
            "--accounts",
            "all",
            "--email",
            EMAIL,
            "--output",
            "json",
            "--concurrency",
            "3",
        ],
    );
    // Every request of the management account is granted by `permissions --for check
    // --accounts`; in the member accounts, by `permissions --for check` (the role's policy).
    let policy = tw(
        &management,
        &["permissions", "--for", "check", "--accounts"],
    )
    .json();
    let granted = |statement: usize| -> Vec<String> {
        let actions = &policy["Statement"][statement]["Action"];
        match actions.as_array() {
            Some(list) => list
                .iter()
                .map(|a| a.as_str().unwrap().to_string())
                .collect(),
            None => vec![actions.as_str().unwrap().to_string()],
        }
    };
    let (caller, assume) = (granted(0), granted(1));
    assert_eq!(assume, vec!["sts:AssumeRole"]);
    let role_policy = tw(&management, &["permissions", "--for", "check"]).json();
    let member_granted: Vec<String> = role_policy["Statement"][0]["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    let action = |r: &serde_json::Value| {
        let (service, op) = (
            r["service"].as_str().unwrap(),
            r["operation"].as_str().unwrap(),
        );
        trailwarden::aws::iam_action_for(service, op)
            .unwrap_or_else(|| panic!("no IAM action known for {service} {op}"))
            .to_string()
    };
    let made = emu.requests_for_account(&management);
    assert!(made.len() > before);
    for r in &made[before..] {
        let a = action(r);
        assert!(
            caller.contains(&a) || assume.contains(&a),
            "the caller's policy lacks {a}"
        );
    }
    for r in emu
        .requests_for_account(in_sync)
        .iter()
        .rev()
        .take(single_requests as usize)
    {
        let a = action(r);
        assert!(member_granted.contains(&a), "the role's policy lacks {a}");
    }
    // One account could not be checked: exit 1, and every other account is in the report.
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let report = out.json();
    let accounts = by_account(&report);
    assert_eq!(accounts.len(), 6, "{report}");
    assert_eq!(accounts[in_sync]["status"], "in_sync", "{report}");
    assert_eq!(accounts[drifted]["status"], "drift");
    let kinds: Vec<&str> = accounts[drifted]["report"]["drift"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["trail.not-logging"]);
    assert_eq!(accounts[no_role]["status"], "error");
    let error = accounts[no_role]["error"].as_str().unwrap();
    assert!(
        error.contains("could not assume role OrganizationAccountAccessRole"),
        "{error}"
    );
    assert!(error.contains("AccessDenied"), "{error}");
    for m in &members[3..] {
        assert_eq!(accounts[m]["status"], "drift", "{m}: {report}");
    }
    // The management account is read with the caller's own credentials.
    assert_eq!(accounts[&management]["status"], "drift");
    // Inside: the single-account report, with one more request (AssumeRole).
    assert_eq!(accounts[in_sync]["report"]["account_id"], in_sync.as_str());
    assert_eq!(
        accounts[in_sync]["report"]["requests"].as_u64(),
        Some(single_requests + 1)
    );
    assert_eq!(report["summary"]["errors"], 1);
    assert!(out.stderr.contains("[6/6]"), "{}", out.stderr);

    // Named accounts, human output: one line each and a summary; exit 2 for the drift.
    let ids = format!("{in_sync},{drifted}");
    let out = tw(
        &management,
        &["check", "--accounts", &ids, "--email", EMAIL],
    );
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains(&format!("{in_sync}  member-0  in sync")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("DRIFT: 1 difference (trail.not-logging)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("2 accounts: 1 in sync, 1 drifted, 0 not checked"),
        "{}",
        out.stdout
    );
    let out = tw(
        &management,
        &[
            "check",
            "--accounts",
            in_sync,
            "--email",
            EMAIL,
            "--output",
            "junit",
        ],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains(r#"name="in-sync""#), "{}", out.stdout);
    let out = tw(
        &management,
        &[
            "check",
            "--accounts",
            no_role,
            "--email",
            EMAIL,
            "--output",
            "github",
        ],
    );
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(&format!(
            "::error title=trailwarden: {no_role} not checked::"
        )),
        "{}",
        out.stdout
    );

    // Input checked before any request.
    let before = emu.requests_for_account(&management).len();
    let out = tw(
        &management,
        &["check", "--accounts", "12345", "--email", EMAIL],
    );
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("12 digits"), "{}", out.stderr);
    assert_eq!(emu.requests_for_account(&management).len(), before);
}

#[tokio::test]
async fn check_organization_accounts_checks_coverage_and_second_trails() {
    let (management, _org, members) = organization(2).await;
    let out = tw(
        &management,
        &["apply", "--organization", "--email", EMAIL, "--yes"],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    // member 0 also runs a chain of its own: a second trail of the same management events.
    let out = tw(
        &members[0],
        &["apply", "--email", EMAIL, "--yes", "--trail", "own"],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let out = tw(
        &management,
        &[
            "check",
            "--organization",
            "--accounts",
            "all",
            "--email",
            EMAIL,
            "--output",
            "json",
        ],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let report = out.json();
    assert_eq!(report["mode"], "organization");
    let accounts = by_account(&report);
    assert_eq!(accounts.len(), 3);
    assert!(
        accounts.values().all(|a| a["status"] == "in_sync"),
        "{report}"
    );
    let warnings = &accounts[&members[0]]["report"]["warnings"];
    assert_eq!(warnings[0]["code"], "second-trail", "{report}");
    assert!(accounts[&members[1]]["report"]["warnings"]
        .as_array()
        .unwrap()
        .is_empty());
    // A member's coverage costs AssumeRole and DescribeTrails (GetEventSelectors per own trail).
    assert_eq!(accounts[&members[1]]["report"]["requests"], 2, "{report}");

    // The organization trail stops being one: every member account is uncovered.
    let cfg = Emulator::shared()
        .sdk_config(&management, "us-east-1")
        .await;
    aws_sdk_cloudtrail::Client::new(&cfg)
        .update_trail()
        .name("trailwarden")
        .is_organization_trail(false)
        .send()
        .await
        .unwrap();
    let out = tw(
        &management,
        &[
            "check",
            "--organization",
            "--accounts",
            "all",
            "--email",
            EMAIL,
            "--output",
            "json",
        ],
    );
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    let accounts = by_account(&out.json());
    assert_eq!(
        accounts[&members[1]]["report"]["drift"][0]["address"],
        "organization_trail.trailwarden"
    );
    assert_eq!(
        accounts[&management]["report"]["drift"][0]["kind"],
        "trail.organization"
    );
    // One member selected: the organization chain is reported with it.
    let out = tw(
        &management,
        &[
            "check",
            "--organization",
            "--accounts",
            &members[1],
            "--email",
            EMAIL,
            "--output",
            "json",
        ],
    );
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    let accounts = by_account(&out.json());
    assert_eq!(accounts.len(), 2);
    assert_eq!(accounts[&management]["status"], "drift");
}

#[tokio::test]
async fn an_organizational_unit_covers_the_units_below_it_and_throttling_is_retried() {
    let (management, _org, members) = organization(3).await;
    let emu = Emulator::shared();
    let cfg = emu.sdk_config(&management, "us-east-1").await;
    let orgs = aws_sdk_organizations::Client::new(&cfg);
    let root = orgs.list_roots().send().await.unwrap().roots()[0]
        .id()
        .unwrap()
        .to_string();
    let unit = |parent: String, name: &'static str| {
        let orgs = orgs.clone();
        async move {
            orgs.create_organizational_unit()
                .parent_id(parent)
                .name(name)
                .send()
                .await
                .unwrap()
                .organizational_unit()
                .unwrap()
                .id()
                .unwrap()
                .to_string()
        }
    };
    let workloads = unit(root.clone(), "workloads").await;
    let prod = unit(workloads.clone(), "prod").await;
    for (account, parent) in [(&members[0], &workloads), (&members[1], &prod)] {
        orgs.move_account()
            .account_id(account)
            .source_parent_id(&root)
            .destination_parent_id(parent)
            .send()
            .await
            .unwrap();
    }
    // 30% of the management account's requests (Organizations, STS AssumeRole) are throttled;
    // the SDK's retries absorb them.
    emu.set_faults(
        &management,
        serde_json::json!({"throttle": {"share": 0.3, "seed": 11}}),
    );
    let out = tw(
        &management,
        &[
            "check",
            "--accounts",
            &workloads,
            "--email",
            EMAIL,
            "--output",
            "json",
        ],
    );
    emu.set_faults(&management, serde_json::json!({}));
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    let accounts = by_account(&out.json());
    let mut ids: Vec<&String> = accounts.keys().collect();
    ids.sort();
    let mut want = vec![&members[0], &members[1]];
    want.sort();
    assert_eq!(ids, want, "the OU and the OU below it, nothing else");
    assert!(accounts.values().all(|a| a["status"] == "drift"));
    let throttled = emu
        .requests_for_account(&management)
        .iter()
        .filter(|r| r["fault"] == "throttle")
        .count();
    assert!(
        throttled > 0,
        "no request was throttled: the test proves nothing"
    );
}

#[tokio::test]
async fn apply_accounts_is_one_plan_and_one_run_over_every_account() {
    let (management, _org, members) = organization(3).await;
    let emu = Emulator::shared();
    let cfg = emu.sdk_config(&members[2], "us-east-1").await;
    aws_sdk_iam::Client::new(&cfg)
        .delete_role()
        .role_name("OrganizationAccountAccessRole")
        .send()
        .await
        .unwrap();
    let ids = members.join(",");
    let writes = |m: &String| emu.write_requests_for_account(m).len();
    let before: Vec<usize> = members.iter().map(writes).collect();
    let out = tw(&management, &["plan", "--accounts", &ids, "--email", EMAIL]);
    // One account cannot be read: exit 1; the plan of the others is shown all the same.
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains(&format!("Account {} (member-0):", members[0])),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("3 accounts: 2 with changes, 0 without, 0 with conflicts, 0 applied, 0 failed, 1 not read."), "{}", out.stdout);
    let now: Vec<usize> = members.iter().map(writes).collect();
    assert_eq!(now, before, "plan wrote");
    // Without a terminal and without --yes: refused, nothing written.
    let out = tw(
        &management,
        &["apply", "--accounts", &ids, "--email", EMAIL],
    );
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("refusing to apply without confirmation"),
        "{}",
        out.stderr
    );
    let now: Vec<usize> = members.iter().map(writes).collect();
    assert_eq!(now, before, "a refused apply wrote");
    let out = tw(
        &management,
        &[
            "apply",
            "--accounts",
            &ids,
            "--email",
            EMAIL,
            "--yes",
            "--output",
            "json",
        ],
    );
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let report = out.json();
    let statuses: Vec<&str> = report["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["applied", "applied", "error"], "{report}");
    assert!(
        report["accounts"][0]["report"]["outcome"]["applied"]
            .as_array()
            .unwrap()
            .len()
            > 5
    );
    // Applied: the two reachable accounts are in sync, and a second apply has nothing to do.
    let two = format!("{},{}", members[0], members[1]);
    let out = tw(
        &management,
        &["check", "--accounts", &two, "--email", EMAIL],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let out = tw(
        &management,
        &["apply", "--accounts", &two, "--email", EMAIL, "--yes"],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("2 accounts: 0 with changes, 2 without"),
        "{}",
        out.stdout
    );
    assert_eq!(writes(&members[2]), before[2]);
}

#[tokio::test]
async fn control_towers_trail_is_adopted_for_its_log_group_and_never_written_to() {
    // Control Tower's organization trail, as landing zone 3.x sets it up in the management
    // account: delivering to `aws-controltower/CloudTrailLogs` through its own role.
    let (management, org_id, _members) = organization(1).await;
    let emu = Emulator::shared();
    let cfg = emu.sdk_config(&management, "us-east-1").await;
    let name = "aws-controltower-BaselineCloudTrail";
    let bucket = format!("aws-controltower-logs-{management}-us-east-1");
    let s3 = common::s3_client(&cfg);
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let mut policy = common::cloudtrail_bucket_policy(&bucket, &management);
    policy["Statement"][1]["Resource"] = format!("arn:aws:s3:::{bucket}/AWSLogs/{org_id}/*").into();
    s3.put_bucket_policy()
        .bucket(&bucket)
        .policy(policy.to_string())
        .send()
        .await
        .unwrap();
    let group = "aws-controltower/CloudTrailLogs";
    aws_sdk_cloudwatchlogs::Client::new(&cfg)
        .create_log_group()
        .log_group_name(group)
        .send()
        .await
        .unwrap();
    let role = aws_sdk_iam::Client::new(&cfg)
        .create_role()
        .role_name("aws-controltower-CloudWatchLogsRole")
        .assume_role_policy_document(common::cloudtrail_trust_policy().to_string())
        .send()
        .await
        .unwrap();
    let ct = aws_sdk_cloudtrail::Client::new(&cfg);
    ct.create_trail()
        .name(name)
        .s3_bucket_name(&bucket)
        .is_multi_region_trail(true)
        .is_organization_trail(true)
        .enable_log_file_validation(true)
        .cloud_watch_logs_log_group_arn(format!(
            "arn:aws:logs:us-east-1:{management}:log-group:{group}:*"
        ))
        .cloud_watch_logs_role_arn(role.role().unwrap().arn())
        .send()
        .await
        .unwrap();
    // Not logging: drift that only Control Tower may repair.
    let before = emu.requests_for_account(&management).len();
    let args = ["--organization", "--adopt-trail", name, "--email", EMAIL];
    let out = tw(&management, &[&["apply", "--yes"][..], &args[..]].concat());
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let made = emu.requests_for_account(&management).split_off(before);
    let trail_writes: Vec<&str> = made
        .iter()
        .filter(|r| r["service"] == "cloudtrail")
        .map(|r| r["operation"].as_str().unwrap())
        .filter(|op| !common::is_read_only(op))
        .collect();
    assert!(
        trail_writes.is_empty(),
        "wrote to Control Tower's trail: {trail_writes:?}"
    );
    assert!(made.iter().all(|r| r["operation"] != "PutRetentionPolicy"));
    let filters = aws_sdk_cloudwatchlogs::Client::new(&cfg)
        .describe_metric_filters()
        .log_group_name(group)
        .send()
        .await
        .unwrap();
    assert!(
        !filters.metric_filters().is_empty(),
        "no filter on Control Tower's log group"
    );
    let out = tw(
        &management,
        &[&["check", "--output", "json"][..], &args[..]].concat(),
    );
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    let report = out.json();
    let kinds: Vec<&str> = report["drift"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["trail.not-logging"], "{report}");
    assert!(
        warning_codes(&report).contains(&"guarded-trail".to_string()),
        "{report}"
    );
    // Once Control Tower has it logging again: in sync.
    ct.start_logging().name(name).send().await.unwrap();
    let out = tw(&management, &[&["check"][..], &args[..]].concat());
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
}
