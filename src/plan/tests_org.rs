//! Organization mode and member accounts: the organization trail's desired state (pure), and
//! what the planner does with another account's organization trail.

use super::tests::{applied, kinds, no_wait, rt, ACCOUNT};
use super::*;
use crate::apply::{apply, NoProgress};
use crate::config::{self, Overrides};
use crate::model::Organization;

const ORG: &str = "o-a1b2c3d4e5";
const MANAGEMENT: &str = "999988887777";

fn org_target() -> Target {
    Target::new(ACCOUNT, "us-east-1").with_organization(Some(Organization {
        id: ORG.into(),
        management_account: ACCOUNT.into(),
    }))
}

fn organization(extra: &str) -> Desired {
    let text = format!("emails = [\"sec@example.com\"]\n[trail]\norganization = true\n{extra}");
    let cfg = config::from_str("t.toml", &text, &Overrides::default()).unwrap();
    crate::desired::build(&cfg, &org_target(), None)
}

fn statement<'a>(d: &'a Desired, sid: &str) -> &'a serde_json::Value {
    d.bucket
        .as_ref()
        .unwrap()
        .statements
        .iter()
        .find(|s| s["Sid"] == sid)
        .unwrap_or_else(|| panic!("no statement {sid}"))
}

#[test]
fn the_organization_trail_writes_under_the_organization_id() {
    // "Amazon S3 bucket policy for CloudTrail" (organization trails): PutObject on
    // AWSLogs/o-ORGID/*, with the trail's aws:SourceArn; the account's own path stays.
    let d = organization("");
    assert!(d.trail.organization);
    let org = statement(&d, crate::desired::BUCKET_SID_ORG_WRITE);
    assert_eq!(
        org["Resource"],
        format!("arn:aws:s3:::trailwarden-cloudtrail-{ACCOUNT}-us-east-1/AWSLogs/{ORG}/*")
    );
    assert_eq!(org["Action"], "s3:PutObject");
    assert_eq!(
        org["Condition"]["StringEquals"]["aws:SourceArn"],
        d.trail.arn.as_str()
    );
    let own = statement(&d, crate::desired::BUCKET_SID_WRITE);
    assert!(own["Resource"]
        .as_str()
        .unwrap()
        .ends_with(&format!("AWSLogs/{ACCOUNT}/*")));
    // With a key prefix, under it.
    let d = organization("[bucket]\nprefix = \"ct\"\n");
    let org = statement(&d, crate::desired::BUCKET_SID_ORG_WRITE);
    assert!(org["Resource"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/ct/AWSLogs/{ORG}/*")));
}

#[test]
fn the_role_may_write_the_organizations_streams_and_no_others() {
    // "Role policy document for CloudTrail to use CloudWatch Logs for monitoring": member
    // accounts' events go to `o-ORGID_*` streams.
    let d = organization("");
    let policy = &d.role.as_ref().unwrap().policy;
    let resources = policy["Statement"][0]["Resource"].as_array().unwrap();
    let streams: Vec<&str> = resources
        .iter()
        .map(|r| r.as_str().unwrap().rsplit(":log-stream:").next().unwrap())
        .collect();
    assert_eq!(
        streams,
        vec![
            format!("{ACCOUNT}_CloudTrail_us-east-1*").as_str(),
            format!("{ORG}_*").as_str()
        ]
    );
}

#[test]
fn without_the_flag_the_organization_is_ignored() {
    // A target that knows its organization does not turn a plain configuration into one.
    let cfg = config::from_str(
        "t.toml",
        "emails = [\"sec@example.com\"]\n",
        &Overrides::default(),
    )
    .unwrap();
    let d = crate::desired::build(&cfg, &org_target(), None);
    assert!(!d.trail.organization);
    assert_eq!(d.bucket.as_ref().unwrap().statements.len(), 3);
    assert!(!d.role.unwrap().policy.to_string().contains("o-"));
    // And the flag sets the key.
    let ov = Overrides {
        organization: true,
        emails: vec!["sec@example.com".into()],
        ..Default::default()
    };
    let cfg = config::from_str("t.toml", "", &ov).unwrap();
    assert!(cfg.trail.organization);
}

#[test]
fn an_organization_trail_is_created_and_kept_an_organization_trail() {
    let d = organization("");
    let fake = applied(&d);
    let trail = fake.snapshot().trails.remove(0);
    assert!(trail.organization_trail);
    assert!(plan(&d, &fake.snapshot()).is_empty());
    // Turned into a plain trail out of band: drift, repaired with IsOrganizationTrail.
    let mut actual = fake.snapshot();
    actual.trails[0].organization_trail = false;
    let p = plan(&d, &actual);
    assert_eq!(kinds(&p), vec![DriftKind::TrailOrganization]);
    assert!(matches!(&p.changes[0].ops[0], Op::UpdateTrail { trail } if trail.organization));
    let fake = crate::fake::FakeAccount::new(actual);
    let out = rt().block_on(apply(&p, &fake, &no_wait(), &mut NoProgress));
    assert!(out.failed.is_none());
    assert!(plan(&d, &fake.snapshot()).is_empty());
}

#[test]
fn a_second_organization_trail_is_warned_about() {
    let d = organization("");
    let mut actual = Actual::default();
    actual.trails.push(TrailState {
        name: "org-existing".into(),
        arn: format!("arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/org-existing"),
        home_region: Some("us-east-1".into()),
        multi_region: true,
        organization_trail: true,
        ..Default::default()
    });
    let p = plan(&d, &actual);
    let w: Vec<&str> = p.warnings.iter().map(|w| w.code).collect();
    assert_eq!(w, vec!["existing-organization-trail"]);
    assert!(p.warnings[0].message.contains("--adopt-trail org-existing"));
}

fn control_tower_trail(logging: bool) -> TrailState {
    TrailState {
        name: "aws-controltower-BaselineCloudTrail".into(),
        arn: format!(
            "arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/aws-controltower-BaselineCloudTrail"
        ),
        home_region: Some("us-east-1".into()),
        multi_region: true,
        include_global_events: true,
        log_file_validation: true,
        organization_trail: true,
        s3_bucket: Some("aws-controltower-logs-222233334444-us-east-1".into()),
        cw_log_group_arn: Some(format!(
            "arn:aws:logs:us-east-1:{ACCOUNT}:log-group:aws-controltower/CloudTrailLogs:*"
        )),
        cw_role_arn: Some(format!(
            "arn:aws:iam::{ACCOUNT}:role/aws-controltower-CloudWatchLogsRole"
        )),
        is_logging: Some(logging),
        ..Default::default()
    }
}

#[test]
fn a_control_tower_trail_is_adopted_for_its_log_group_and_never_written_to() {
    let text = "emails = [\"sec@example.com\"]\n[trail]\norganization = true\nname = \"aws-controltower-BaselineCloudTrail\"\nadopt = true\n";
    let cfg = config::from_str("t.toml", text, &Overrides::default()).unwrap();
    let ct = control_tower_trail(false);
    let d = crate::desired::build(&cfg, &org_target(), Some(&ct));
    assert_eq!(d.trail.guarded_by.as_deref(), Some("AWS Control Tower"));
    assert_eq!(d.log_group.name, "aws-controltower/CloudTrailLogs");
    assert_eq!(
        d.log_group.retention_days, None,
        "Control Tower's retention"
    );
    assert!(d.role.is_none() && d.bucket.is_none());
    let mut actual = Actual {
        trails: vec![ct],
        ..Default::default()
    };
    actual.log_group = Some(LogGroupState {
        name: "aws-controltower/CloudTrailLogs".into(),
        arn: d.log_group.arn.clone(),
        ..Default::default()
    });
    let p = plan(&d, &actual);
    // Not logging: reported as drift, with no request on the trail; the filters still go on
    // Control Tower's log group.
    let trail = p
        .changes
        .iter()
        .find(|c| c.resource == Resource::Trail)
        .unwrap();
    assert_eq!(
        kinds(&p)
            .iter()
            .filter(|k| **k == DriftKind::TrailNotLogging)
            .count(),
        1
    );
    assert!(trail.ops.is_empty(), "{:?}", trail.ops);
    assert!(p.warnings.iter().any(|w| w.code == "guarded-trail"));
    assert!(p
        .ops()
        .any(|op| matches!(op, Op::PutMetricFilter { filter } if filter.log_group == "aws-controltower/CloudTrailLogs")));
    assert!(!p.ops().any(|op| op.api().starts_with("cloudtrail:")));
    assert_eq!(
        crate::desired::trail_guardian("AWSAccelerator-Organizations-CloudTrail"),
        Some("Landing Zone Accelerator")
    );
    assert_eq!(crate::desired::trail_guardian("org"), None);
}

fn member_view_of(trail_name: &str) -> TrailState {
    TrailState {
        name: trail_name.into(),
        arn: format!("arn:aws:cloudtrail:us-east-1:{MANAGEMENT}:trail/{trail_name}"),
        home_region: Some("us-east-1".into()),
        multi_region: true,
        organization_trail: true,
        s3_bucket: Some("org-logs".into()),
        cw_log_group_arn: Some(format!(
            "arn:aws:logs:us-east-1:{MANAGEMENT}:log-group:org:*"
        )),
        cw_role_arn: Some(format!("arn:aws:iam::{MANAGEMENT}:role/org-logs")),
        ..Default::default()
    }
}

#[test]
fn a_member_account_is_told_it_is_covered() {
    let d = super::tests::basic();
    let actual = Actual {
        trails: vec![member_view_of("org")],
        ..Default::default()
    };
    let p = plan(&d, &actual);
    let w: Vec<&str> = p.warnings.iter().map(|w| w.code).collect();
    assert_eq!(w, vec!["covered-by-organization-trail"]);
    assert!(
        p.warnings[0].message.contains(MANAGEMENT),
        "{}",
        p.warnings[0].message
    );
    assert!(p.conflicts.is_empty());
}

#[test]
fn a_member_account_cannot_adopt_the_organization_trail() {
    let cfg = config::from_str(
        "t.toml",
        "emails = [\"sec@example.com\"]\n[trail]\nname = \"org\"\nadopt = true\n",
        &Overrides::default(),
    )
    .unwrap();
    let org = member_view_of("org");
    let d = crate::desired::build(&cfg, &Target::new(ACCOUNT, "us-east-1"), Some(&org));
    let actual = Actual {
        trails: vec![org],
        ..Default::default()
    };
    let p = plan(&d, &actual);
    assert!(p.changes.is_empty(), "{:?}", p.changes);
    assert_eq!(
        p.conflicts.iter().map(|c| c.code).collect::<Vec<_>>(),
        vec!["trail-of-another-account"]
    );
    let m = &p.conflicts[0].message;
    assert!(
        m.contains("organization trail of management account 999988887777"),
        "{m}"
    );
    assert!(m.contains("--accounts 111122223333"), "{m}");
}

#[test]
fn organization_alarms_tell_which_account_fired() {
    let d = organization("");
    assert!(!d.filters.is_empty());
    for f in &d.filters {
        assert_eq!(
            f.dimensions.get("AccountId").map(String::as_str),
            Some("$.recipientAccountId"),
            "{}",
            f.name
        );
    }
    for (a, f) in d.alarms.iter().zip(&d.filters) {
        assert_eq!(
            a.query.as_deref(),
            Some(
                format!(
                    "SELECT SUM(\"{}\") FROM SCHEMA(\"{}\", AccountId) GROUP BY AccountId",
                    f.metric_name, f.namespace
                )
                .as_str()
            )
        );
    }
    let fake = applied(&d);
    assert!(plan(&d, &fake.snapshot()).is_empty());
    // A filter that lost its dimension and an alarm back on the bare metric: both drift.
    let mut actual = fake.snapshot();
    actual.filters[0].metric_transformations[0]
        .dimensions
        .clear();
    let first = d.alarms[0].name.clone();
    let alarm = actual.alarms.get_mut(&first).unwrap();
    alarm.query = None;
    alarm.metric_name = Some(d.alarms[0].metric_name.clone());
    let p = plan(&d, &actual);
    assert_eq!(
        kinds(&p),
        vec![
            DriftKind::MetricFilterDimensions,
            DriftKind::AlarmMetricMismatch
        ]
    );
    // Without organization mode: no dimension, no query.
    let plain = super::tests::basic();
    assert!(plain.filters.iter().all(|f| f.dimensions.is_empty()));
    assert!(plain.alarms.iter().all(|a| a.query.is_none()));
    assert_eq!(
        crate::desired::per_account_query("Maximum", "N", "m\"x"),
        "SELECT MAX(\"m\\\"x\") FROM SCHEMA(\"N\", AccountId) GROUP BY AccountId"
    );
}
