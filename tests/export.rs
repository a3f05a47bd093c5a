//! `trailwarden export cloudformation`: the template passes cfn-lint, reads back the same in YAML
//! and JSON, refuses bad input before writing anything, and, created as a stack in the
//! emulator's CloudFormation, leaves an account `check` finds in sync.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{unique_account, Emulator};
use serde_json::Value;

fn tw(args: &[&str]) -> common::Run {
    // `export` needs no account; the helper's account is never used.
    common::trailwarden("000000000000", args)
}

fn export(args: &[&str]) -> String {
    let mut all = vec!["export", "cloudformation"];
    all.extend_from_slice(args);
    let out = tw(&all);
    assert_eq!(out.code, 0, "{all:?}\n{}", out.stderr);
    assert!(!out.stdout.is_empty());
    out.stdout
}

fn scratch(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trailwarden-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn bin(tool: &str) -> PathBuf {
    common::venv_python().parent().unwrap().join(tool)
}

/// The configurations the template is checked for: presets, KMS, custom names and prefixes,
/// several topics and a delivery topic, no email at all.
fn configurations() -> Vec<(&'static str, Vec<&'static str>)> {
    let kms = scratch(
        "kms.toml",
        r#"presets = ["cis", "aws-docs"]
emails = ["sec@example.com", "ops@example.com"]
[tags]
team = "security"
[bucket]
name = "central-cloudtrail-logs"
prefix = "org/logs"
kms_key_id = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
[trail]
name = "security-trail"
kms_key_id = "alias/cloudtrail"
delivery_topic = "trail-deliveries"
[log_group]
name = "/security/cloudtrail"
retention_days = 400
[role]
name = "ct-to-logs"
[topics.critical]
name = "critical-alarms"
emails = ["oncall@example.com"]
kms_key_id = "alias/alarm-topics"
"#,
    );
    let kms: &'static str = Box::leak(kms.to_string_lossy().into_owned().into_boxed_str());
    // Text a YAML reader could misread: quotes, backslashes, `${` that is no parameter, and
    // characters outside YAML's printable set or that YAML 1.1 takes for line breaks.
    let odd = scratch(
        "odd.toml",
        r#"name = "odd"
title = "Odd"
namespace = "Odd"

[[controls]]
id = "odd-one"
title = "Zürich: \"quoted\" \\ back – line\u2028sep, nel\u0085, del\u007f, bom\ufeff, tab\t, #hash, 🛡"
filter_name = "OddFilter"
metric_name = "OddCount"
pattern = '{ $.eventName = "Del*" && $.x = "${notatoken}" }'
"#,
    );
    let odd: &'static str = Box::leak(odd.to_string_lossy().into_owned().into_boxed_str());
    // Topic keys that read the same in CamelCase: each topic its own ids and parameters.
    let topics = scratch(
        "topics.toml",
        "presets = [\"cis\"]\nemails = [\"sec@example.com\"]\n[topics.sec-ops]\nemails = [\"a@example.com\"]\n[topics.sec_ops]\nemails = [\"b@example.com\"]\n",
    );
    let topics: &'static str = Box::leak(topics.to_string_lossy().into_owned().into_boxed_str());
    vec![
        ("topic-keys", vec!["--config", topics]),
        ("aws-docs", vec!["--email", "sec@example.com"]),
        ("cis", vec!["--preset", "cis", "--email", "sec@example.com"]),
        ("cis-no-email", vec!["--preset", "cis"]),
        (
            "names",
            vec![
                "--preset",
                "cis",
                "--email",
                "a@example.com",
                "--email",
                "b@example.com",
                "--trail",
                "org-trail",
                "--log-group",
                "/org/trail",
                "--bucket",
                "my-log-bucket",
                "--retention-days",
                "90",
            ],
        ),
        ("kms", vec!["--config", kms]),
        (
            "organization",
            vec![
                "--preset",
                "cis",
                "--email",
                "sec@example.com",
                "--organization",
            ],
        ),
        (
            "organization-no-email",
            vec!["--preset", "aws-docs", "--organization"],
        ),
        ("member", vec!["--member"]),
        (
            "odd-text",
            vec!["--preset", odd, "--email", "sec@example.com"],
        ),
    ]
}

#[test]
fn exported_templates_pass_cfn_lint_in_yaml_and_json() {
    let mut files = Vec::new();
    for (name, args) in configurations() {
        files.push(scratch(&format!("{name}.yaml"), &export(&args)));
        let mut json = args.clone();
        json.extend(["--format", "json"]);
        files.push(scratch(&format!("{name}.json"), &export(&json)));
    }
    // cfn-lint exits 0 only without errors, warnings or informational findings.
    let out = Command::new(bin("cfn-lint"))
        .args(&files)
        .output()
        .expect("run cfn-lint");
    assert!(
        out.status.success(),
        "cfn-lint ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// cfn-lint must be able to fail here: a template CloudFormation would reject is reported.
#[test]
fn cfn_lint_reports_a_broken_template() {
    let yaml =
        export(&["--email", "sec@example.com"]).replace("IsLogging: true", "IsLogging: maybe");
    let file = scratch("broken.yaml", &yaml);
    let out = Command::new(bin("cfn-lint")).arg(&file).output().unwrap();
    assert!(!out.status.success());
}

/// The YAML, read by a YAML 1.1 reader (PyYAML, as cfn-lint and the AWS CLI read templates), is
/// the JSON form, value for value.
#[test]
fn yaml_reads_back_as_the_json_template() {
    for (name, args) in configurations() {
        let yaml = scratch(&format!("rt-{name}.yaml"), &export(&args));
        let mut j = args.clone();
        j.extend(["--format", "json"]);
        let json: Value = serde_json::from_str(&export(&j)).unwrap();
        let out = Command::new(common::venv_python())
            .args([
                "-c",
                "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
            ])
            .arg(&yaml)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let parsed: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(parsed, json, "{name}");
    }
}

#[test]
fn bad_input_is_refused_before_anything_is_written() {
    for args in [
        vec!["--email", "not-an-address"],
        vec!["--email", "a@example.com", "--retention-days", "17"],
        vec!["--email", "a@example.com", "--preset", "no-such-preset"],
        vec!["--email", "a@example.com", "--bucket", "Bad_Bucket"],
    ] {
        let mut all = vec!["export", "cloudformation"];
        all.extend_from_slice(&args);
        let out = tw(&all);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout);
        assert!(out.stderr.contains("error"), "{}", out.stderr);
    }
    let out = tw(&["export", "cloudformation", "--output", "json"]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.is_empty());
    for usage in [
        vec!["export", "cloudformation", "--format", "toml"],
        vec!["export", "cloudformation", "--member", "--organization"],
        vec!["export", "cloudformation", "--adopt-trail", "old"],
    ] {
        let out = tw(&usage);
        assert_eq!(out.code, 1, "usage errors exit 1: {usage:?}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn an_adopted_trail_cannot_be_exported() {
    let cfg = scratch(
        "adopt.toml",
        "emails = [\"a@example.com\"]\n[trail]\nname = \"existing\"\nadopt = true\n",
    );
    let out = tw(&[
        "export",
        "cloudformation",
        "--config",
        cfg.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains("use `apply`"), "{}", out.stderr);
}

/// CloudFormation takes at most 51,200 bytes inline (`--template-body`, `aws cloudformation
/// deploy` without `--s3-bucket`;
/// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html): a
/// larger template is still written whole, with a note on stderr saying how to deploy it; a
/// smaller one gets no such note.
#[test]
fn a_template_too_large_to_pass_inline_says_so() {
    let emails: Vec<String> = (1..=8).map(|i| format!("a{i}@example.com")).collect();
    let mut args = vec![
        "export",
        "cloudformation",
        "--preset",
        "cis",
        "--preset",
        "securityhub",
        "--organization",
        "--format",
        "json",
    ];
    for e in &emails {
        args.extend(["--email", e.as_str()]);
    }
    let out = tw(&args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.len() > 51_200, "{} bytes", out.stdout.len());
    assert!(
        out.stderr.contains("--template-url") && out.stderr.contains("--s3-bucket"),
        "{}",
        out.stderr
    );
    assert!(serde_json::from_str::<Value>(&out.stdout).is_ok());
    // The same configuration in YAML fits.
    args.truncate(args.len() - 2 * emails.len());
    args.retain(|a| *a != "--format" && *a != "json");
    for e in &emails {
        args.extend(["--email", e.as_str()]);
    }
    let out = tw(&args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.len() <= 51_200, "{} bytes", out.stdout.len());
    assert!(!out.stderr.contains("--template-url"), "{}", out.stderr);
}

/// Creates a stack from `template` in the emulator as `account` with boto3 (the venv's), waits
/// for it, and returns its status and the reasons of failed resources.
fn create_stack(account: &str, region: &str, template: &Path, params: &[(&str, &str)]) -> String {
    let script = r#"
import json, sys, time, boto3
endpoint, key, region, path, params = sys.argv[1:6]
cfn = boto3.client("cloudformation", endpoint_url=endpoint, region_name=region,
                   aws_access_key_id=key, aws_secret_access_key="x")
parameters = [{"ParameterKey": k, "ParameterValue": v} for k, v in json.loads(params).items()]
try:
    cfn.create_stack(StackName="trailwarden", TemplateBody=open(path).read(),
                     Parameters=parameters, Capabilities=["CAPABILITY_NAMED_IAM"])
except Exception as e:
    # moto creates the resources within CreateStack and answers a resource's error there,
    # where AWS answers CreateStack and rolls the stack back (docs/export.md).
    print("CREATE_FAILED", e, sep="\n")
    sys.exit(0)
for _ in range(100):
    stack = cfn.describe_stacks(StackName="trailwarden")["Stacks"][0]
    if not stack["StackStatus"].endswith("IN_PROGRESS"):
        break
    time.sleep(0.1)
failed = [f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason')}"
          for e in cfn.describe_stack_events(StackName="trailwarden")["StackEvents"]
          if e["ResourceStatus"].endswith("FAILED")]
print(stack["StackStatus"], *failed, sep="\n")
"#;
    let params: serde_json::Map<String, Value> = params
        .iter()
        .map(|(k, v)| (k.to_string(), Value::from(*v)))
        .collect();
    let out = Command::new(common::venv_python())
        .args(["-c", script])
        .arg(&Emulator::shared().endpoint)
        .arg(common::access_key_for(account))
        .arg(region)
        .arg(template)
        .arg(Value::Object(params).to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn round_trip(args: &[&str], format: &str, params: &[(&str, &str)], check_args: &[&str]) {
    round_trip_in(
        &unique_account(),
        "eu-west-1",
        args,
        format,
        params,
        check_args,
    );
}

fn round_trip_in(
    account: &str,
    region: &str,
    args: &[&str],
    format: &str,
    params: &[(&str, &str)],
    check_args: &[&str],
) {
    let mut all = args.to_vec();
    all.extend(["--format", format]);
    let template = scratch(&format!("stack-{account}.{format}"), &export(&all));
    let status = create_stack(account, region, &template, params);
    assert_eq!(status, "CREATE_COMPLETE", "{status}");
    let mut check = vec!["check", "--region", region, "--output", "json"];
    check.extend_from_slice(check_args);
    let out = common::trailwarden(account, &check);
    assert_eq!(
        out.code, 0,
        "check after the stack:\n{}\n{}",
        out.stdout, out.stderr
    );
    let report = out.json();
    assert_eq!(report["in_sync"], true, "{report}");
}

#[test]
fn a_stack_from_the_template_is_what_check_expects() {
    let args = ["--preset", "cis", "--email", "sec@example.com"];
    round_trip(&args, "yaml", &[], &args);
}

#[test]
fn a_stack_with_names_and_parameters_set_at_deployment_is_in_sync() {
    // The StackSet way: a template without addresses, given at deployment; custom names.
    let names = [
        "--trail",
        "org-trail",
        "--log-group",
        "/org/cloudtrail",
        "--retention-days",
        "90",
    ];
    let mut export_args = vec!["--preset", "aws-docs"];
    export_args.extend(names);
    let mut check_args = vec!["--preset", "aws-docs", "--email", "soc@example.com"];
    check_args.extend(names);
    round_trip(
        &export_args,
        "json",
        &[("DefaultEmail1", "soc@example.com")],
        &check_args,
    );
}

/// The management account's template: an organization trail, filters with the account dimension,
/// alarms on a Metrics Insights query per account; `check --organization` finds it in sync.
#[tokio::test]
async fn an_organization_stack_is_what_check_organization_expects() {
    let management = unique_account();
    let cfg = Emulator::shared()
        .sdk_config(&management, "us-east-1")
        .await;
    let org = aws_sdk_organizations::Client::new(&cfg)
        .create_organization()
        .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
        .send()
        .await
        .expect("CreateOrganization");
    let id = org.organization().unwrap().id().unwrap().to_string();
    let args = [
        "--preset",
        "cis",
        "--email",
        "sec@example.com",
        "--organization",
    ];
    round_trip_in(
        &management,
        "us-east-1",
        &args,
        "yaml",
        &[("OrganizationId", &id)],
        &args,
    );
    let trail = aws_sdk_cloudtrail::Client::new(&cfg)
        .get_trail()
        .name("trailwarden")
        .send()
        .await
        .unwrap();
    assert_eq!(trail.trail().unwrap().is_organization_trail(), Some(true));
}

/// StackSets in organization mode: the management account's stack, and in each member account the
/// member template's role; `check --organization --accounts all` through that role finds every
/// account covered.
#[tokio::test]
async fn member_stacks_let_the_management_account_check_every_account() {
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
    let mut members = Vec::new();
    for i in 0..2 {
        let out = orgs
            .create_account()
            .account_name(format!("member-{i}"))
            .email(format!("member-{i}@example.com"))
            .send()
            .await
            .expect("CreateAccount");
        members.push(
            out.create_account_status()
                .unwrap()
                .account_id()
                .unwrap()
                .to_string(),
        );
    }
    let args = [
        "--preset",
        "cis",
        "--email",
        "sec@example.com",
        "--organization",
    ];
    round_trip_in(
        &management,
        "us-east-1",
        &args,
        "yaml",
        &[("OrganizationId", &id)],
        &args,
    );

    let member_template = scratch(&format!("member-{management}.yaml"), &export(&["--member"]));
    let check = |role: &str| {
        let mut all = vec!["check", "--region", "us-east-1", "--output", "json"];
        all.extend(args);
        all.extend(["--accounts", "all", "--role-name", role]);
        common::trailwarden(&management, &all)
    };
    // Before the member stacks, the role does not exist: the members cannot be checked.
    let before = check("trailwarden-check");
    assert_eq!(before.code, 1, "{}\n{}", before.stdout, before.stderr);
    assert!(
        before.stdout.contains("trailwarden-check") || before.stderr.contains("trailwarden-check"),
        "{}\n{}",
        before.stdout,
        before.stderr
    );
    for member in &members {
        let status = create_stack(
            member,
            "us-east-1",
            &member_template,
            &[("ManagementAccountId", &management)],
        );
        assert_eq!(status, "CREATE_COMPLETE", "{status}");
    }
    let after = check("trailwarden-check");
    assert_eq!(after.code, 0, "{}\n{}", after.stdout, after.stderr);
    let report = after.json();
    assert_eq!(report["summary"]["errors"], 0, "{report}");
    let checked: Vec<&str> = report["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["status"] == "in_sync")
        .filter_map(|a| a["account_id"].as_str())
        .collect();
    for member in &members {
        assert!(checked.contains(&member.as_str()), "{member}: {report}");
    }
}

/// The emulator's CloudFormation checks what CloudTrail checks: a template whose bucket policy
/// does not let CloudTrail write fails to create its trail.
#[test]
fn a_stack_whose_bucket_policy_forbids_cloudtrail_fails() {
    let account = unique_account();
    let yaml = export(&["--email", "sec@example.com"]).replace(
        "Sid: TrailwardenCloudTrailWrite\n            Effect: Allow",
        "Sid: TrailwardenCloudTrailWrite\n            Effect: Deny",
    );
    assert!(
        yaml.contains("Effect: Deny\n            Principal:\n              Service: cloudtrail")
    );
    let template = scratch(&format!("deny-{account}.yaml"), &yaml);
    let status = create_stack(&account, "eu-west-1", &template, &[]);
    assert!(
        status.starts_with("CREATE_FAILED") || status.starts_with("ROLLBACK"),
        "{status}"
    );
    assert!(status.contains("InsufficientS3BucketPolicy"), "{status}");
}

/// Exporting needs no account: not one request reaches AWS (here, the emulator the helper points
/// the binary at, with the account's credentials).
#[test]
fn export_sends_no_request() {
    let account = unique_account();
    for args in [
        vec![
            "export",
            "cloudformation",
            "--preset",
            "cis",
            "--email",
            "a@example.com",
        ],
        vec![
            "export",
            "cloudformation",
            "--organization",
            "--format",
            "json",
        ],
        vec!["export", "cloudformation", "--member"],
    ] {
        let out = common::trailwarden(&account, &args);
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    assert!(Emulator::shared().requests_for_account(&account).is_empty());
}
