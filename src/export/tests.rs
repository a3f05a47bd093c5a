//! The template against the desired state, without CloudFormation: the template is resolved the
//! way CloudFormation resolves it for one account (parameters, pseudo parameters, `Ref`,
//! `Fn::GetAtt`, `Fn::Sub`), read into the [`Actual`] state its resources leave in the account
//! (each property as the resource type's page documents it), and planned against the desired
//! state for that account: nothing to change. This covers the resource types moto's
//! CloudFormation cannot create (docs/export.md).

use serde_json::{json, Value};

use super::*;
use crate::config::{Overrides, Purpose};

const ACCOUNT_ID: &str = "111122223333";
const REGION_NAME: &str = "eu-west-1";

const ORGANIZATION: &str = "o-a1b2c3d4e5";

fn target() -> Target {
    Target::new(ACCOUNT_ID, REGION_NAME)
}

/// The target the desired state was built for (with its organization in organization mode).
fn target_of(d: &Desired) -> Target {
    d.target.clone()
}

fn config(text: &str) -> Config {
    config::from_str_for("test.toml", text, &Overrides::default(), Purpose::Export)
        .unwrap_or_else(|d| panic!("{d:?}"))
}

/// Configurations that exercise every resource and option the template maps.
const CONFIGS: [&str; 8] = [
    "emails = [\"sec@example.com\"]\n",
    "presets = [\"cis\"]\nemails = [\"sec@example.com\", \"ops@example.com\"]\n",
    r#"presets = ["cis", "aws-docs"]
emails = ["sec@example.com"]
[tags]
team = "security"
cost-center = "42"
[bucket]
prefix = "org/logs"
kms_key_id = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
[trail]
name = "org-trail"
kms_key_id = "alias/cloudtrail"
delivery_topic = "trail-deliveries"
[log_group]
name = "/security/cloudtrail"
retention_days = 90
[role]
name = "ct-to-logs"
[topics.critical]
name = "critical-alarms"
emails = ["oncall@example.com"]
kms_key_id = "alias/alarm-topics"
"#,
    "emails = [\"sec@example.com\"]\n[bucket]\nname = \"my-central-logs\"\n",
    "emails = [\"sec@example.com\"]\n[trail]\ndelivery_topic = \"trailwarden-alarms\"\n",
    // Organization mode: an organization trail, filters with the account dimension, alarms on
    // a Metrics Insights query.
    "presets = [\"cis\"]\nemails = [\"sec@example.com\"]\n[trail]\norganization = true\n",
    r#"presets = ["aws-docs"]
emails = ["sec@example.com"]
[bucket]
prefix = "org"
[trail]
organization = true
name = "org-trail"
"#,
    // Topic keys whose logical ids and parameters would be the same (`SecOps`).
    r#"presets = ["cis"]
emails = ["sec@example.com"]
[topics.sec-ops]
emails = ["a@example.com"]
[topics.sec_ops]
emails = ["b@example.com", "c@example.com"]
"#,
];

/// CloudFormation's view of one stack: the template with its parameters' defaults, in one
/// account and region.
struct Stack<'a> {
    template: &'a Value,
    target: Target,
    /// Parameter values given at deployment (the others take their defaults).
    given: &'a [(&'a str, &'a str)],
}

impl Stack<'_> {
    fn resource(&self, id: &str) -> &Value {
        &self.template["Resources"][id]
    }

    fn prop(&self, id: &str, name: &str) -> String {
        self.resolve(&self.resource(id)["Properties"][name])
            .as_str()
            .unwrap_or_else(|| panic!("{id}.{name} is not a string"))
            .to_string()
    }

    fn reference(&self, name: &str) -> String {
        match name {
            "AWS::AccountId" => return self.target.account_id.clone(),
            "AWS::Region" => return self.target.region.clone(),
            "AWS::Partition" => return self.target.partition.clone(),
            _ => {}
        }
        if let Some((_, v)) = self.given.iter().find(|(k, _)| *k == name) {
            return v.to_string();
        }
        if let Some(p) = self.template["Parameters"].get(name) {
            return p["Default"]
                .as_str()
                .unwrap_or_else(|| panic!("parameter {name} has no default"))
                .to_string();
        }
        // What `Ref` returns, from each resource type's "Return values" section.
        let t = &self.target;
        match self.resource(name)["Type"].as_str().unwrap_or_default() {
            "AWS::S3::Bucket" => self.prop(name, "BucketName"),
            "AWS::IAM::Role" => self.prop(name, "RoleName"),
            "AWS::Logs::LogGroup" => self.prop(name, "LogGroupName"),
            "AWS::CloudTrail::Trail" => self.prop(name, "TrailName"),
            "AWS::SNS::Topic" => format!(
                "arn:{}:sns:{}:{}:{}",
                t.partition,
                t.region,
                t.account_id,
                self.prop(name, "TopicName")
            ),
            other => panic!("Ref to {name} of type {other}"),
        }
    }

    fn attribute(&self, id: &str, attr: &str) -> String {
        let t = &self.target;
        match (self.resource(id)["Type"].as_str().unwrap_or_default(), attr) {
            ("AWS::IAM::Role", "Arn") => {
                crate::arn::role(&t.partition, &t.account_id, &self.prop(id, "RoleName"))
            }
            ("AWS::Logs::LogGroup", "Arn") => format!(
                "{}:*",
                crate::arn::log_group(
                    &t.partition,
                    &t.region,
                    &t.account_id,
                    &self.prop(id, "LogGroupName")
                )
            ),
            ("AWS::CloudTrail::Trail", "Arn") => crate::arn::trail(
                &t.partition,
                &t.region,
                &t.account_id,
                &self.prop(id, "TrailName"),
            ),
            (kind, _) => panic!("GetAtt {id}.{attr} of {kind}"),
        }
    }

    fn sub(&self, s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(at) = rest.find("${") {
            out.push_str(&rest[..at]);
            let tail = &rest[at + 2..];
            let end = tail.find('}').expect("closed ${");
            let name = &tail[..end];
            if let Some(lit) = name.strip_prefix('!') {
                out.push_str(&format!("${{{lit}}}"));
            } else if let Some((id, attr)) = name.split_once('.') {
                out.push_str(&self.attribute(id, attr));
            } else {
                out.push_str(&self.reference(name));
            }
            rest = &tail[end + 1..];
        }
        out.push_str(rest);
        out
    }

    fn resolve(&self, v: &Value) -> Value {
        match v {
            Value::Object(o) if o.len() == 1 && o.contains_key("Ref") => {
                json!(self.reference(o["Ref"].as_str().unwrap()))
            }
            Value::Object(o) if o.len() == 1 && o.contains_key("Fn::Sub") => {
                json!(self.sub(o["Fn::Sub"].as_str().expect("Fn::Sub of a string")))
            }
            Value::Object(o) if o.len() == 1 && o.contains_key("Fn::GetAtt") => {
                let a = &o["Fn::GetAtt"];
                json!(self.attribute(a[0].as_str().unwrap(), a[1].as_str().unwrap()))
            }
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, x)| (k.clone(), self.resolve(x)))
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(|x| self.resolve(x)).collect()),
            other => other.clone(),
        }
    }

    /// Resources of a type, properties resolved.
    fn of(&self, kind: &str) -> Vec<Value> {
        self.template["Resources"]
            .as_object()
            .unwrap()
            .values()
            .filter(|r| r["Type"] == kind)
            .map(|r| self.resolve(&r["Properties"]))
            .collect()
    }

    fn one(&self, kind: &str) -> Option<Value> {
        let all = self.of(kind);
        assert!(all.len() <= 1, "{kind}: {}", all.len());
        all.into_iter().next()
    }
}

/// A resource's tags: the template's, and the stack-level tags CloudFormation adds to every
/// resource that takes tags ("Tag", CloudFormation User Guide,
/// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-resource-tags.html),
/// which moto leaves out; `check` must not take them for drift.
fn tags(v: &Value) -> Tags {
    let mut tags = pairs(v);
    if !tags.is_empty() {
        tags.insert("aws:cloudformation:stack-name".into(), "trailwarden".into());
        tags.insert("aws:cloudformation:logical-id".into(), "Resource".into());
    }
    tags
}

/// A template list of `{Key, Value}` as a map.
fn pairs(v: &Value) -> Tags {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|t| {
                    (
                        t["Key"].as_str().unwrap().to_string(),
                        t["Value"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn string(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

/// What the stack leaves in the account, as trailwarden reads it, by the documented meaning of
/// each property.
fn account_after(stack: &Stack) -> Actual {
    let t = &stack.target;
    let mut a = Actual::default();
    if let Some(b) = stack.one("AWS::S3::Bucket") {
        let name = string(&b["BucketName"]).unwrap();
        let policy = stack
            .of("AWS::S3::BucketPolicy")
            .into_iter()
            .find(|p| p["Bucket"] == json!(name))
            .map(|p| p["PolicyDocument"].clone());
        let pab = &b["PublicAccessBlockConfiguration"];
        let default = &b["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
            ["ServerSideEncryptionByDefault"];
        a.bucket = Some(BucketState {
            name,
            policy,
            public_access_block: pab.is_object().then(|| {
                [
                    "BlockPublicAcls",
                    "IgnorePublicAcls",
                    "BlockPublicPolicy",
                    "RestrictPublicBuckets",
                ]
                .map(|k| pab[k] == json!(true))
            }),
            encryption: string(&default["SSEAlgorithm"]).map(|algorithm| Encryption {
                algorithm,
                kms_key_id: string(&default["KMSMasterKeyID"]),
            }),
            versioning: string(&b["VersioningConfiguration"]["Status"]),
            tags: tags(&b["Tags"]),
        });
    }
    if let Some(r) = stack.one("AWS::IAM::Role") {
        let name = string(&r["RoleName"]).unwrap();
        // The inline policy is in the role's `Policies` (one, the delivery policy).
        let inline = r["Policies"].as_array().and_then(|l| l.first());
        a.role = Some(RoleState {
            arn: crate::arn::role(&t.partition, &t.account_id, &name),
            trust_policy: r["AssumeRolePolicyDocument"].clone(),
            policy: inline.map(|p| p["PolicyDocument"].clone()),
            tags: tags(&r["Tags"]),
            name,
        });
    }
    if let Some(g) = stack.one("AWS::Logs::LogGroup") {
        let name = string(&g["LogGroupName"]).unwrap();
        a.log_group = Some(LogGroupState {
            arn: crate::arn::log_group(&t.partition, &t.region, &t.account_id, &name),
            retention_days: g["RetentionInDays"].as_i64().map(|d| d as i32),
            tags: tags(&g["Tags"]),
            name,
        });
    }
    if let Some(tr) = stack.one("AWS::CloudTrail::Trail") {
        let name = string(&tr["TrailName"]).unwrap();
        let selectors = tr["EventSelectors"]
            .as_array()
            .map(|list| {
                EventSelectors::Basic(
                    list.iter()
                        .map(|s| BasicSelector {
                            read_write_type: string(&s["ReadWriteType"]).unwrap(),
                            include_management_events: s["IncludeManagementEvents"] == json!(true),
                            data_resources: Vec::new(),
                            exclude_management_event_sources: Vec::new(),
                        })
                        .collect(),
                )
            })
            // Without EventSelectors a trail records every management event.
            .unwrap_or_else(|| EventSelectors::Basic(Vec::new()).with_all_management_events());
        a.trails.push(TrailState {
            arn: crate::arn::trail(&t.partition, &t.region, &t.account_id, &name),
            home_region: Some(t.region.clone()),
            multi_region: tr["IsMultiRegionTrail"] == json!(true),
            include_global_events: tr["IncludeGlobalServiceEvents"] == json!(true),
            log_file_validation: tr["EnableLogFileValidation"] == json!(true),
            organization_trail: tr["IsOrganizationTrail"] == json!(true),
            s3_bucket: string(&tr["S3BucketName"]),
            s3_prefix: string(&tr["S3KeyPrefix"]),
            cw_log_group_arn: string(&tr["CloudWatchLogsLogGroupArn"]),
            cw_role_arn: string(&tr["CloudWatchLogsRoleArn"]),
            kms_key_id: string(&tr["KMSKeyId"]),
            sns_topic_arn: string(&tr["SnsTopicName"]),
            is_logging: Some(tr["IsLogging"] == json!(true)),
            delivery_errors: Vec::new(),
            selectors: Some(selectors),
            tags: tags(&tr["Tags"]),
            name,
        });
    }
    for topic in stack.of("AWS::SNS::Topic") {
        let name = string(&topic["TopicName"]).unwrap();
        let arn = format!(
            "arn:{}:sns:{}:{}:{name}",
            t.partition, t.region, t.account_id
        );
        let policy = stack
            .of("AWS::SNS::TopicPolicy")
            .into_iter()
            .find(|p| p["Topics"].as_array().unwrap().contains(&json!(arn)))
            .map(|p| p["PolicyDocument"].clone());
        let subscriptions = stack
            .of("AWS::SNS::Subscription")
            .into_iter()
            .filter(|s| s["TopicArn"] == json!(arn))
            .map(|s| Subscription {
                protocol: string(&s["Protocol"]).unwrap(),
                endpoint: string(&s["Endpoint"]).unwrap(),
                arn: format!("{arn}:{}", s["Endpoint"]),
            })
            .collect();
        a.topics.insert(
            name.clone(),
            TopicState {
                arn,
                policy,
                kms_key_id: string(&topic["KmsMasterKeyId"]),
                subscriptions,
                tags: tags(&topic["Tags"]),
                name,
            },
        );
    }
    for f in stack.of("AWS::Logs::MetricFilter") {
        let m = &f["MetricTransformations"][0];
        a.filters.push(FilterState {
            name: string(&f["FilterName"]).unwrap(),
            log_group: string(&f["LogGroupName"]).unwrap(),
            pattern: string(&f["FilterPattern"]).unwrap(),
            metric_transformations: vec![MetricTransformation {
                metric_name: string(&m["MetricName"]).unwrap(),
                namespace: string(&m["MetricNamespace"]).unwrap(),
                metric_value: string(&m["MetricValue"]).unwrap(),
                dimensions: pairs(&m["Dimensions"]),
            }],
        });
    }
    for al in stack.of("AWS::CloudWatch::Alarm") {
        let name = string(&al["AlarmName"]).unwrap();
        let list = |k: &str| -> Vec<String> {
            al[k]
                .as_array()
                .map(|a| a.iter().filter_map(string).collect())
                .unwrap_or_default()
        };
        a.alarms.insert(
            name.clone(),
            AlarmState {
                arn: format!(
                    "arn:{}:cloudwatch:{}:{}:alarm:{name}",
                    t.partition, t.region, t.account_id
                ),
                metric_name: string(&al["MetricName"]),
                namespace: string(&al["Namespace"]),
                statistic: string(&al["Statistic"]).or(string(&al["ExtendedStatistic"])),
                evaluation_periods: al["EvaluationPeriods"].as_i64().map(|x| x as i32),
                datapoints_to_alarm: al["DatapointsToAlarm"].as_i64().map(|x| x as i32),
                threshold: al["Threshold"].as_f64(),
                comparison: string(&al["ComparisonOperator"]),
                treat_missing_data: string(&al["TreatMissingData"]),
                actions_enabled: al["ActionsEnabled"] != json!(false),
                alarm_actions: list("AlarmActions"),
                ok_actions: list("OKActions"),
                insufficient_data_actions: list("InsufficientDataActions"),
                // A query alarm: the expression of its one returned data query.
                query: string(&al["Metrics"][0]["Expression"]),
                period: al["Period"]
                    .as_i64()
                    .or(al["Metrics"][0]["Period"].as_i64())
                    .map(|x| x as i32),
                tags: None,
                name,
            },
        );
    }
    a
}

/// The desired state for the test account, and the exported template.
fn both(text: &str) -> (Desired, Value) {
    let cfg = config(text);
    let mut t = target();
    if cfg.trail.organization {
        t = t.with_organization(Some(Organization {
            id: ORGANIZATION.into(),
            management_account: ACCOUNT_ID.into(),
        }));
    }
    let d = desired::build(&cfg, &t, None);
    let e = export(&cfg, Variant::Account).expect("exports");
    (d, e.template)
}

/// The planner's verdict on an account holding what the template creates, with the KMS keys the
/// configuration names readable and granting everything (their policies are not the
/// template's).
fn plan_after_stack(d: &Desired, template: &Value) -> plan::Plan {
    let stack = Stack {
        template,
        target: target_of(d),
        given: &[("OrganizationId", ORGANIZATION)],
    };
    let mut actual = account_after(&stack);
    for key in d.kms_key_ids() {
        actual.kms_keys.insert(
            key.clone(),
            KmsKey {
                arn: key,
                manager: "CUSTOMER".into(),
                policy: Some(json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}]})),
            },
        );
    }
    plan::plan(d, &actual)
}

#[test]
fn an_account_holding_the_stack_is_in_sync() {
    for text in CONFIGS {
        let (d, template) = both(text);
        let p = plan_after_stack(&d, &template);
        assert!(
            p.changes.is_empty() && p.conflicts.is_empty(),
            "{text}\n{:#?}\n{:#?}",
            p.changes,
            p.conflicts
        );
    }
}

#[test]
fn every_desired_resource_has_its_template_counterpart() {
    for text in CONFIGS {
        let (d, template) = both(text);
        let stack = Stack {
            template: &template,
            target: target_of(&d),
            given: &[("OrganizationId", ORGANIZATION)],
        };
        let names = |kind: &str, prop: &str| -> Vec<String> {
            let mut v: Vec<String> = stack
                .of(kind)
                .iter()
                .map(|r| string(&r[prop]).unwrap())
                .collect();
            v.sort();
            v
        };
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v
        };
        assert_eq!(
            names("AWS::S3::Bucket", "BucketName"),
            d.bucket.iter().map(|b| b.name.clone()).collect::<Vec<_>>()
        );
        assert_eq!(
            names("AWS::S3::BucketPolicy", "Bucket"),
            names("AWS::S3::Bucket", "BucketName")
        );
        assert_eq!(
            names("AWS::IAM::Role", "RoleName"),
            d.role.iter().map(|r| r.name.clone()).collect::<Vec<_>>()
        );
        assert_eq!(
            stack
                .of("AWS::IAM::Role")
                .iter()
                .flat_map(|r| r["Policies"].as_array().cloned().unwrap_or_default())
                .filter_map(|p| string(&p["PolicyName"]))
                .collect::<Vec<_>>(),
            d.role
                .iter()
                .map(|r| r.policy_name.clone())
                .collect::<Vec<_>>()
        );
        assert_eq!(
            names("AWS::Logs::LogGroup", "LogGroupName"),
            vec![d.log_group.name.clone()]
        );
        assert_eq!(
            names("AWS::CloudTrail::Trail", "TrailName"),
            vec![d.trail.name.clone()]
        );
        assert_eq!(
            names("AWS::SNS::Topic", "TopicName"),
            sorted(d.topics.iter().map(|t| t.name.clone()).collect())
        );
        assert_eq!(
            stack.of("AWS::SNS::TopicPolicy").len(),
            d.topics.len(),
            "one policy per topic"
        );
        assert_eq!(
            names("AWS::SNS::Subscription", "Endpoint"),
            sorted(
                d.topics
                    .iter()
                    .flat_map(|t| t.subscriptions.iter().map(|s| s.endpoint.clone()))
                    .collect()
            )
        );
        assert_eq!(
            names("AWS::Logs::MetricFilter", "FilterName"),
            sorted(d.filters.iter().map(|f| f.name.clone()).collect())
        );
        assert_eq!(
            names("AWS::CloudWatch::Alarm", "AlarmName"),
            sorted(d.alarms.iter().map(|a| a.name.clone()).collect())
        );
        // Nothing else: every resource of the template is one of the above.
        let known = [
            "AWS::S3::Bucket",
            "AWS::S3::BucketPolicy",
            "AWS::IAM::Role",
            "AWS::Logs::LogGroup",
            "AWS::CloudTrail::Trail",
            "AWS::SNS::Topic",
            "AWS::SNS::TopicPolicy",
            "AWS::SNS::Subscription",
            "AWS::Logs::MetricFilter",
            "AWS::CloudWatch::Alarm",
        ];
        for (id, r) in template["Resources"].as_object().unwrap() {
            assert!(known.contains(&r["Type"].as_str().unwrap()), "{id}");
        }
    }
}

type Edit = fn(&mut Value);

#[test]
fn a_template_missing_a_setting_is_out_of_sync() {
    // The comparison above can fail: each of these edits is drift the planner names.
    let (d, template) = both(CONFIGS[2]);
    let edits: [(&str, Edit); 6] = [
        ("versioning", |t| {
            t["Resources"][BUCKET_ID]["Properties"]
                .as_object_mut()
                .unwrap()
                .remove("VersioningConfiguration");
        }),
        ("logging", |t| {
            t["Resources"][TRAIL_ID]["Properties"]["IsLogging"] = json!(false)
        }),
        ("validation", |t| {
            t["Resources"][TRAIL_ID]["Properties"]["EnableLogFileValidation"] = json!(false)
        }),
        ("retention", |t| {
            t["Resources"][LOG_GROUP_ID]["Properties"]["RetentionInDays"] = json!(30)
        }),
        ("role policy", |t| {
            t["Resources"][ROLE_ID]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]
                ["Action"] = json!("logs:PutLogEvents")
        }),
        ("alarm threshold", |t| {
            let res = t["Resources"].as_object_mut().unwrap();
            let alarm = res
                .values_mut()
                .find(|r| r["Type"] == "AWS::CloudWatch::Alarm")
                .unwrap();
            alarm["Properties"]["Threshold"] = json!(99.0);
        }),
    ];
    for (what, edit) in edits {
        let mut t = template.clone();
        edit(&mut t);
        assert!(
            !plan_after_stack(&d, &t).changes.is_empty(),
            "{what}: no drift"
        );
    }
}

#[test]
fn account_and_region_are_pseudo_parameters_and_names_are_parameters() {
    let cfg = config(CONFIGS[3]);
    let e = export(&cfg, Variant::Account).unwrap();
    let text = e.template.to_string();
    // Built without an account: no account id or region can be in it, only the pseudo
    // parameters.
    assert!(text.contains("${AWS::AccountId}") && text.contains("${AWS::Partition}"));
    assert!(!text.contains("arn:aws:"), "{text}");
    let params = &e.template["Parameters"];
    assert_eq!(params["BucketName"]["Default"], "my-central-logs");
    assert_eq!(params["TrailName"]["Default"], "trailwarden");
    assert_eq!(params["DefaultEmail1"]["Default"], "sec@example.com");
    let r = &e.template["Resources"];
    assert_eq!(
        r[BUCKET_ID]["Properties"]["BucketName"],
        json!({"Ref": "BucketName"})
    );
    assert_eq!(
        r[TRAIL_ID]["Properties"]["TrailName"],
        json!({"Ref": "TrailName"})
    );
    // References order the creates; the trail also waits for the policies it needs.
    assert_eq!(
        r[TRAIL_ID]["Properties"]["S3BucketName"],
        json!({"Ref": BUCKET_ID})
    );
    assert_eq!(
        r[TRAIL_ID]["Properties"]["CloudWatchLogsRoleArn"],
        json!({"Fn::GetAtt": [ROLE_ID, "Arn"]})
    );
    assert_eq!(r[TRAIL_ID]["DependsOn"], json!([BUCKET_POLICY_ID]));
    // Log data outlives the stack.
    for id in [BUCKET_ID, LOG_GROUP_ID] {
        assert_eq!(r[id]["DeletionPolicy"], "Retain");
        assert_eq!(r[id]["UpdateReplacePolicy"], "Retain");
    }
}

#[test]
fn the_default_bucket_name_is_per_account_and_region() {
    let (_, template) = both(CONFIGS[0]);
    assert_eq!(
        template["Resources"][BUCKET_ID]["Properties"]["BucketName"],
        json!({"Fn::Sub": "trailwarden-cloudtrail-${AWS::AccountId}-${AWS::Region}"})
    );
    assert!(template["Parameters"].get("BucketName").is_none());
}

#[test]
fn a_topic_without_an_address_asks_for_one() {
    let cfg = config("presets = [\"cis\"]\n");
    let e = export(&cfg, Variant::Account).unwrap();
    let p = &e.template["Parameters"]["DefaultEmail1"];
    assert_eq!(p["Type"], "String");
    assert!(p.get("Default").is_none(), "{p}");
    let subs: Vec<&Value> = e.template["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == "AWS::SNS::Subscription")
        .collect();
    assert_eq!(subs.len(), 1);
    assert_eq!(
        subs[0]["Properties"]["Endpoint"],
        json!({"Ref": "DefaultEmail1"})
    );
}

#[test]
fn an_adopted_trail_is_refused() {
    let cfg = config("emails = [\"a@example.com\"]\n[trail]\nname = \"old\"\nadopt = true\n");
    let err = export(&cfg, Variant::Account).unwrap_err().to_string();
    assert!(err.contains("adopts the existing trail `old`"), "{err}");
}

#[test]
fn kms_keys_are_noted_not_checked() {
    let e = export(&config(CONFIGS[2]), Variant::Account).unwrap();
    assert!(
        e.notes.iter().any(|n| n.contains("alias/cloudtrail")),
        "{:?}",
        e.notes
    );
}

#[test]
fn sub_escapes_what_is_not_a_token() {
    let d = desired::build(&config(CONFIGS[0]), &symbolic_target(), None);
    let b = Builder::new(&d, &[]);
    assert_eq!(b.sub("plain"), json!("plain"));
    assert_eq!(b.sub("${AWS::Region}"), json!({"Ref": "AWS::Region"}));
    assert_eq!(
        b.sub("a-${AWS::Region}-${x}"),
        json!({"Fn::Sub": "a-${AWS::Region}-${!x}"})
    );
    assert_eq!(b.sub("{ $.a = ${b} }"), json!("{ $.a = ${b} }"));
    assert_eq!(camel("cis-3.1_root"), "Cis31Root");
}

#[test]
fn the_default_template_as_written() {
    let e = export(&config(CONFIGS[0]), Variant::Account).unwrap();
    insta::assert_snapshot!("export_default_yaml", to_yaml(&e.template));
}

#[test]
fn the_member_template_is_the_check_role_with_checks_permissions() {
    let e = export(&config(CONFIGS[0]), Variant::Member).unwrap();
    let r = &e.template["Resources"];
    let policy = &r[CHECK_ROLE_ID]["Properties"]["Policies"][0]["PolicyDocument"];
    // Exactly what `permissions --for check` prints: every action check reads with, nothing more.
    assert_eq!(policy, &crate::aws::check_policy());
    let mut actions: Vec<&str> = policy["Statement"][0]["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let mut reads = crate::aws::READ_ACTIONS.to_vec();
    reads.sort();
    reads.dedup();
    actions.sort();
    assert_eq!(actions, reads);
    assert!(actions.iter().all(|a| {
        let verb = a.split(':').nth(1).unwrap_or_default();
        ["Get", "List", "Describe", "Lookup"]
            .iter()
            .any(|p| verb.starts_with(p))
    }));
    let trust = &r[CHECK_ROLE_ID]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0];
    assert_eq!(
        trust["Principal"]["AWS"],
        json!({"Fn::Sub": "arn:${AWS::Partition}:iam::${ManagementAccountId}:root"})
    );
    assert_eq!(e.template["Parameters"]["RoleName"]["Default"], CHECK_ROLE);
    assert!(e.template["Parameters"]["ManagementAccountId"]
        .get("Default")
        .is_none());
}

#[test]
fn the_organization_variant_asks_for_the_organization_id() {
    let e = export(&config(CONFIGS[1]), Variant::Organization).unwrap();
    let p = &e.template["Parameters"]["OrganizationId"];
    assert!(p.get("Default").is_none(), "{p}");
    let trail = &e.template["Resources"][TRAIL_ID]["Properties"];
    assert_eq!(trail["IsOrganizationTrail"], true);
    let text = e.template.to_string();
    assert!(text.contains("AWSLogs/${OrganizationId}/*"), "{text}");
    assert!(text.contains("log-stream:${OrganizationId}_*"), "{text}");
}

#[test]
fn the_organization_and_member_templates_as_written() {
    let cfg = config("presets = [\"aws-docs\"]\nemails = [\"sec@example.com\"]\n");
    let org = export(&cfg, Variant::Organization).unwrap();
    insta::assert_snapshot!("export_organization_yaml", to_yaml(&org.template));
    let member = export(&cfg, Variant::Member).unwrap();
    insta::assert_snapshot!("export_member_yaml", to_yaml(&member.template));
}

#[test]
fn the_trail_waits_for_the_delivery_topics_policy() {
    let (_, template) = both(CONFIGS[2]);
    let trail = &template["Resources"][TRAIL_ID];
    assert_eq!(
        trail["DependsOn"],
        json!([BUCKET_POLICY_ID, "TopicCloudtrailDeliveryPolicy"])
    );
    assert_eq!(
        trail["Properties"]["SnsTopicName"],
        json!({"Ref": "TopicCloudtrailDelivery"})
    );
}

/// What checkov's IAM policy checks (CKV_AWS_107–111) would ask of the delivery role, which they
/// do not evaluate here (its Resource is an `Fn::Sub` ARN they leave unresolved; docs/export.md,
/// "checkov"): one inline policy in the role, allowing only log delivery (CreateLogStream,
/// PutLogEvents), only on the trail's streams of the chain's log group, nothing else.
#[test]
fn the_delivery_role_may_only_deliver_to_the_chains_log_streams() {
    for text in CONFIGS {
        let (_, template) = both(text);
        let role = &template["Resources"][ROLE_ID]["Properties"];
        let policies = role["Policies"]
            .as_array()
            .expect("the policy is in the role");
        assert_eq!(policies.len(), 1, "{text}");
        let group = format!(
            "arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{}:log-stream:",
            template["Resources"][LOG_GROUP_ID]["Properties"]["LogGroupName"]["Ref"]
                .as_str()
                .map(|p| format!("${{{p}}}"))
                .unwrap()
        );
        for s in policies[0]["PolicyDocument"]["Statement"]
            .as_array()
            .unwrap()
        {
            assert_eq!(s["Effect"], "Allow", "{text}");
            assert!(s.get("NotAction").is_none() && s.get("NotResource").is_none());
            assert_eq!(
                s["Action"],
                json!(["logs:CreateLogStream", "logs:PutLogEvents"]),
                "{text}"
            );
            let resources = match &s["Resource"] {
                Value::Array(list) => list.clone(),
                one => vec![one.clone()],
            };
            for r in resources {
                let arn = r["Fn::Sub"].as_str().unwrap_or_default();
                let stream = arn.strip_prefix(&group).unwrap_or_default();
                assert!(
                    !stream.is_empty() && !stream.starts_with('*'),
                    "{text}: {r}"
                );
            }
        }
    }
}
