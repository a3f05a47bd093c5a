//! The desired state as a CloudFormation template.
//!
//! There is one description of what the chain's resources are: the operations the planner asks
//! for on an empty account (`plan::plan(desired, empty)`), which the SDK executor runs one by
//! one during `apply`. The template is built by folding those same operations into
//! CloudFormation resources ([`resources`]), each operation becoming properties of exactly one
//! resource; the match on [`Op`] has no catch-all, so a new kind of write cannot be added to the
//! planner without deciding what it is in the template. `src/export/tests.rs` reads the template
//! back into the account state CloudFormation would leave and plans against it: no change.
//!
//! Account and region values are not known when exporting (one template serves every account
//! of a StackSet): the desired state is built for a [`Target`] whose account, region and
//! partition are the pseudo parameters `${AWS::AccountId}`, `${AWS::Region}` and
//! `${AWS::Partition}`, and whose names and email addresses are `${Parameter}` references. Every
//! string holding one becomes `Fn::Sub` (or `Ref` when it is nothing else), so ARNs and policies
//! come out of the same builder steps as in `apply`.

mod yaml;

use serde_json::{json, Map, Value};

use crate::config::{self, Config};
use crate::desired;
use crate::model::*;
use crate::plan::{self, Finding};

pub(crate) use yaml::{to_json, to_yaml};

/// CloudFormation's pseudo parameters, as the exported desired state holds them
/// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/pseudo-parameter-reference.html).
pub(crate) const ACCOUNT: &str = "${AWS::AccountId}";
pub(crate) const REGION: &str = "${AWS::Region}";
pub(crate) const PARTITION: &str = "${AWS::Partition}";
/// The organization's id, a template parameter of the organization variant.
pub(crate) const ORGANIZATION_ID: &str = "${OrganizationId}";

/// What the template is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Variant {
    /// The whole chain in one account (a StackSet instance per account and region).
    Account,
    /// The management account's chain in organization mode: an organization trail for every
    /// account, the controls' filters and alarms once, per account (`apply --organization`).
    Organization,
    /// What each member account needs in organization mode: the organization trail logs it
    /// already, so only the read-only role `check --accounts --role-name` assumes there.
    Member,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ExportError {
    #[error("{0}")]
    Unsupported(String),
    #[error("the plan for an empty account holds {0}, which only repairs an existing resource")]
    NotACreate(&'static str),
    #[error("the plan for an empty account has conflicts: {0}")]
    Conflicts(String),
}

/// A template and the notes to show beside it (stderr).
#[derive(Debug)]
pub(crate) struct Export {
    pub template: Value,
    pub notes: Vec<String>,
}

/// One template parameter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Parameter {
    pub name: String,
    pub description: String,
    pub default: Option<String>,
    /// AllowedPattern, MinLength, MaxLength and ConstraintDescription, as CloudFormation names them.
    pub constraints: Value,
}

/// One resource of the template.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CfnResource {
    pub id: String,
    pub kind: &'static str,
    pub properties: Map<String, Value>,
    pub depends_on: Vec<String>,
    /// Kept when the stack is deleted or the resource replaced: it holds log data
    /// (`DeletionPolicy` / `UpdateReplacePolicy: Retain`,
    /// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html).
    pub retain: bool,
}

impl CfnResource {
    fn new(id: &str, kind: &'static str) -> CfnResource {
        CfnResource {
            id: id.to_string(),
            kind,
            properties: Map::new(),
            depends_on: Vec::new(),
            retain: false,
        }
    }

    fn set(&mut self, key: &str, value: Value) {
        self.properties.insert(key.to_string(), value);
    }
}

/// The template for a validated configuration.
pub(crate) fn export(cfg: &Config, variant: Variant) -> Result<Export, ExportError> {
    if variant == Variant::Member {
        return Ok(Export {
            template: member_template(),
            notes: Vec::new(),
        });
    }
    if cfg.trail.adopt {
        return Err(ExportError::Unsupported(format!(
            "the configuration adopts the existing trail `{}`: a template creates every resource it holds, and which bucket and log group an adopted trail uses can only be read from the account; use `apply` for an adopted trail",
            cfg.trail.name.as_deref().unwrap_or(config::DEFAULT_TRAIL)
        )));
    }
    let (mut scfg, mut parameters) = parameterized(cfg);
    let mut target = symbolic_target();
    if variant == Variant::Organization || cfg.trail.organization {
        // Organization mode as `apply --organization` builds it, with the organization's id a
        // parameter: it cannot be read without the account.
        scfg.trail.organization = true;
        target = target.with_organization(Some(Organization {
            id: ORGANIZATION_ID.to_string(),
            management_account: ACCOUNT.to_string(),
        }));
        parameters.push(Parameter {
            name: "OrganizationId".into(),
            description: "The organization's id (`aws organizations describe-organization`)".into(),
            default: None,
            // https://docs.aws.amazon.com/organizations/latest/APIReference/API_Organization.html
            constraints: json!({
                "AllowedPattern": "^o-[a-z0-9]{10,32}$",
                "ConstraintDescription": "o- and 10 to 32 lowercase letters or digits"
            }),
        });
    }
    let d = desired::build(&scfg, &target, None);
    let (resources, findings) = resources(&d, &parameters)?;
    let notes = findings.iter().map(|f| f.message.clone()).collect();
    Ok(Export {
        template: template(cfg, &parameters, &resources),
        notes,
    })
}

/// The largest template CloudFormation takes inline: `TemplateBody` of CreateStack,
/// CreateStackSet, UpdateStack and ValidateTemplate, which `--template-body file://...` and
/// `aws cloudformation deploy` without `--s3-bucket` send
/// (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html,
/// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html).
/// A larger one must be uploaded to S3 and given as `TemplateURL` (up to 1 MB).
pub(crate) const MAX_TEMPLATE_BODY: usize = 51_200;

/// The note to show beside a template of `len` bytes too large to be passed inline.
pub(crate) fn size_note(len: usize) -> Option<String> {
    (len > MAX_TEMPLATE_BODY).then(|| {
        format!(
            "the template is {len} bytes, more than the {MAX_TEMPLATE_BODY} CloudFormation accepts inline (--template-body): upload it to S3 and pass --template-url (create-stack, create-stack-set), or give `aws cloudformation deploy` an --s3-bucket; the YAML form is smaller than the JSON one"
        )
    })
}

/// The target whose values are CloudFormation's pseudo parameters.
pub(crate) fn symbolic_target() -> Target {
    Target {
        account_id: ACCOUNT.to_string(),
        region: REGION.to_string(),
        partition: PARTITION.to_string(),
        organization: None,
    }
}

/// The configuration with its names and addresses turned into `${Parameter}` references, and
/// the parameters (their defaults are the configured values).
///
/// Parameters: the trail, log group and role names (safe to keep the same in every account),
/// the bucket name only when one is configured (the default name carries the account id and
/// region, as S3 bucket names are global), and one per email address of each topic. A topic with
/// no address gets one parameter without a default, which the deployment must supply.
pub(crate) fn parameterized(cfg: &Config) -> (Config, Vec<Parameter>) {
    let mut c = cfg.clone();
    let mut params = Vec::new();
    let mut name_param = |slot: &mut Option<String>, param: &str, default: &str, what: &str| {
        let default = slot.clone().unwrap_or_else(|| default.to_string());
        *slot = Some(format!("${{{param}}}"));
        params.push(Parameter {
            name: param.to_string(),
            description: format!("Name of the {what}"),
            default: Some(default),
            constraints: name_constraints(param),
        });
    };
    name_param(
        &mut c.trail.name,
        "TrailName",
        config::DEFAULT_TRAIL,
        "CloudTrail trail",
    );
    name_param(
        &mut c.log_group_name,
        "LogGroupName",
        config::DEFAULT_LOG_GROUP,
        "CloudWatch Logs log group the trail delivers to",
    );
    name_param(
        &mut c.role_name,
        "RoleName",
        config::DEFAULT_ROLE,
        "IAM role CloudTrail delivers to CloudWatch Logs with",
    );
    if c.bucket.name.is_some() {
        name_param(
            &mut c.bucket.name,
            "BucketName",
            "",
            "S3 bucket for log files (S3 bucket names are global: one per account needs a different name in each)",
        );
    }
    let stems = topic_stems(cfg.topics.iter().map(|t| t.key.as_str()));
    for topic in &mut c.topics {
        let base = format!("{}Email", stem_of(&stems, &topic.key));
        // Email addresses become parameters (one template, each account's own recipients);
        // HTTPS, SMS and Lambda endpoints are kept as configured.
        let (emails, others): (Vec<_>, Vec<_>) = std::mem::take(&mut topic.subscriptions)
            .into_iter()
            .partition(|s| s.protocol == Protocol::Email);
        let given: Vec<String> = emails.into_iter().map(|s| s.endpoint).collect();
        let count = given.len().max(1);
        for i in 0..count {
            let name = format!("{base}{}", i + 1);
            topic.subscriptions.push(SubscriptionSpec::new(
                Protocol::Email,
                &format!("${{{name}}}"),
            ));
            params.push(Parameter {
                description: format!(
                    "Email address notified by the alarms of topic `{}`",
                    topic.key
                ),
                default: given.get(i).cloned(),
                constraints: json!({
                    "AllowedPattern": "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$",
                    "ConstraintDescription": "an email address"
                }),
                name,
            });
        }
        topic.subscriptions.extend(others);
    }
    (c, params)
}

/// AWS's naming rules for each named resource, so CloudFormation rejects a bad name before it
/// creates anything.
fn name_constraints(param: &str) -> Value {
    match param {
        // https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_CreateTrail.html
        "TrailName" => json!({
            "AllowedPattern": "^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$",
            "ConstraintDescription": "3 to 128 letters, digits, periods, underscores or dashes, starting and ending with a letter or digit"
        }),
        // https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html
        "LogGroupName" => json!({
            "AllowedPattern": "^[.\\-_/#A-Za-z0-9]{1,512}$",
            "ConstraintDescription": "1 to 512 letters, digits, or . - _ / #"
        }),
        // https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
        "RoleName" => json!({
            "AllowedPattern": "^[\\w+=,.@-]{1,64}$",
            "ConstraintDescription": "1 to 64 letters, digits, or + = , . @ _ -"
        }),
        // https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
        _ => json!({
            "AllowedPattern": "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
            "ConstraintDescription": "3 to 63 lowercase letters, digits, periods or dashes"
        }),
    }
}

/// The stem of each topic's logical ids (`Topic<stem>`, `Topic<stem>Policy`, ...) and address
/// parameters (`<stem>Email1`, ...), unique per template: [`camel`] of its key, with a number
/// when another key comes out the same (`sec-ops` and `sec_ops` are both `SecOps`; logical ids
/// and parameter names must be unique, and a repeated one would silently replace the other
/// topic). Keys are taken in sorted order, so the stems do not depend on the caller's order.
pub(crate) fn topic_stems<'a>(keys: impl IntoIterator<Item = &'a str>) -> Vec<(String, String)> {
    let mut keys: Vec<&str> = keys.into_iter().collect();
    keys.sort_unstable();
    keys.dedup();
    let mut taken: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for key in keys {
        let base = match camel(key) {
            c if c.is_empty() => "Topic".to_string(),
            c => c,
        };
        let stem = (1..)
            .map(|n| {
                if n == 1 {
                    base.clone()
                } else {
                    format!("{base}{n}")
                }
            })
            .find(|c| !taken.iter().any(|t| t.eq_ignore_ascii_case(c)))
            .unwrap_or_default();
        taken.push(stem.clone());
        out.push((key.to_string(), stem));
    }
    out
}

fn stem_of(stems: &[(String, String)], key: &str) -> String {
    stems
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, s)| s.clone())
        .unwrap_or_else(|| camel(key))
}

/// `cis-3.1_root` → `Cis31Root`: the letters and digits of each part, capitalized.
pub(crate) fn camel(s: &str) -> String {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut cs = p.chars();
            match cs.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + cs.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// The template's resources, from the operations `apply` would run on an empty account, and
/// the planner's warnings (a KMS key's policy cannot be read without the account).
pub(crate) fn resources(
    d: &Desired,
    parameters: &[Parameter],
) -> Result<(Vec<CfnResource>, Vec<Finding>), ExportError> {
    let mut empty = Actual::default();
    for key in d.kms_key_ids() {
        // The key must exist before the stack is created; whether its policy lets the services
        // use it is the deployer's to check (see docs/export.md).
        empty.kms_keys.insert(
            key.clone(),
            KmsKey {
                arn: key,
                manager: "CUSTOMER".into(),
                policy: None,
            },
        );
    }
    let p = plan::plan(d, &empty);
    if !p.conflicts.is_empty() {
        let list: Vec<String> = p.conflicts.iter().map(|c| c.message.clone()).collect();
        return Err(ExportError::Conflicts(list.join("; ")));
    }
    let mut b = Builder::new(d, parameters);
    for op in p.ops() {
        b.op(op)?;
    }
    b.link_dependencies();
    Ok((b.resources, p.warnings))
}

/// Logical ids of the chain's fixed resources.
pub(crate) const BUCKET_ID: &str = "LogBucket";
pub(crate) const BUCKET_POLICY_ID: &str = "LogBucketPolicy";
pub(crate) const ROLE_ID: &str = "DeliveryRole";
pub(crate) const LOG_GROUP_ID: &str = "LogGroup";
pub(crate) const TRAIL_ID: &str = "Trail";

struct Builder<'a> {
    d: &'a Desired,
    tokens: Vec<String>,
    resources: Vec<CfnResource>,
    /// Values that name another resource of the template, and how to refer to it there
    /// (`Ref` / `Fn::GetAtt`), so CloudFormation orders the creates.
    links: Vec<(String, Value)>,
}

impl<'a> Builder<'a> {
    fn new(d: &'a Desired, parameters: &[Parameter]) -> Builder<'a> {
        let mut tokens: Vec<String> = [ACCOUNT, REGION, PARTITION]
            .iter()
            .map(|s| s.to_string())
            .collect();
        tokens.extend(parameters.iter().map(|p| format!("${{{}}}", p.name)));
        Builder {
            d,
            tokens,
            resources: Vec::new(),
            links: Vec::new(),
        }
    }

    /// A string of the desired state as a template value: `Ref` when it is one token,
    /// `Fn::Sub` when it holds any (other `${` escaped as `${!`), else itself.
    fn sub(&self, s: &str) -> Value {
        if let Some(t) = self.tokens.iter().find(|t| t.as_str() == s) {
            return json!({ "Ref": &t[2..t.len() - 1] });
        }
        if !self.tokens.iter().any(|t| s.contains(t.as_str())) {
            return json!(s);
        }
        let mut out = String::new();
        let mut rest = s;
        while let Some(at) = rest.find("${") {
            out.push_str(&rest[..at]);
            let tail = &rest[at..];
            match self.tokens.iter().find(|t| tail.starts_with(t.as_str())) {
                Some(t) => {
                    out.push_str(t);
                    rest = &tail[t.len()..];
                }
                None => {
                    out.push_str("${!");
                    rest = &tail[2..];
                }
            }
        }
        out.push_str(rest);
        json!({ "Fn::Sub": out })
    }

    /// Every string of a JSON document (a policy) through [`Builder::sub`].
    fn doc(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => self.sub(s),
            Value::Array(a) => Value::Array(a.iter().map(|x| self.doc(x)).collect()),
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, x)| (k.clone(), self.doc(x)))
                    .collect::<Map<_, _>>(),
            ),
            other => other.clone(),
        }
    }

    /// A value that names another resource: a reference to it when the template holds it.
    fn reference(&self, s: &str) -> Value {
        self.links
            .iter()
            .find(|(v, _)| v == s)
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| self.sub(s))
    }

    fn tags(&self, tags: &Tags) -> Value {
        Value::Array(
            tags.iter()
                .map(|(k, v)| json!({ "Key": k, "Value": self.sub(v) }))
                .collect(),
        )
    }

    fn add(&mut self, r: CfnResource) {
        self.resources.push(r);
    }

    /// The resource an op adds properties to; its create op comes first in the plan.
    fn get(&mut self, id: &str) -> Result<&mut CfnResource, ExportError> {
        self.resources
            .iter_mut()
            .find(|r| r.id == id)
            .ok_or_else(|| {
                ExportError::Unsupported(format!("no resource {id} before its settings"))
            })
    }

    fn unique_id(&self, base: &str) -> String {
        let mut id: String = base.chars().take(200).collect();
        let mut n = 2;
        while self.resources.iter().any(|r| r.id == id) {
            id = format!("{}{n}", base.chars().take(200).collect::<String>());
            n += 1;
        }
        id
    }

    /// `base1`, `base2`, ...: the first free.
    fn numbered(&self, base: &str) -> String {
        (1..)
            .map(|n| format!("{base}{n}"))
            .find(|id| self.resources.iter().all(|r| &r.id != id))
            .unwrap_or_default()
    }

    fn topic_id(&self, arn: &str) -> String {
        let t = self.d.topics.iter().find(|t| t.arn == arn);
        let stems = topic_stems(self.d.topics.iter().map(|t| t.key.as_str()));
        format!(
            "Topic{}",
            stem_of(&stems, t.map(|t| t.key.as_str()).unwrap_or("Topic"))
        )
    }

    fn op(&mut self, op: &Op) -> Result<(), ExportError> {
        match op {
            Op::CreateBucket { bucket, region: _ } => {
                // CloudFormation creates the bucket in the stack's region.
                let mut r = CfnResource::new(BUCKET_ID, "AWS::S3::Bucket");
                r.set("BucketName", self.sub(bucket));
                r.retain = true;
                self.add(r);
                self.links
                    .push((bucket.clone(), json!({ "Ref": BUCKET_ID })));
            }
            Op::PutBucketTagging { tags, .. } => {
                let tags = self.tags(tags);
                self.get(BUCKET_ID)?.set("Tags", tags);
            }
            Op::PutPublicAccessBlock { .. } => {
                self.get(BUCKET_ID)?.set(
                    "PublicAccessBlockConfiguration",
                    json!({
                        "BlockPublicAcls": true,
                        "IgnorePublicAcls": true,
                        "BlockPublicPolicy": true,
                        "RestrictPublicBuckets": true
                    }),
                );
            }
            Op::PutBucketEncryption { kms_key_id, .. } => {
                let default = match kms_key_id {
                    Some(k) => json!({
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": self.sub(k)
                    }),
                    None => json!({ "SSEAlgorithm": "AES256" }),
                };
                let mut rule = json!({ "ServerSideEncryptionByDefault": default });
                if kms_key_id.is_some() {
                    rule["BucketKeyEnabled"] = json!(true);
                }
                self.get(BUCKET_ID)?.set(
                    "BucketEncryption",
                    json!({ "ServerSideEncryptionConfiguration": [rule] }),
                );
            }
            Op::PutBucketVersioning { .. } => {
                self.get(BUCKET_ID)?
                    .set("VersioningConfiguration", json!({ "Status": "Enabled" }));
            }
            Op::PutBucketPolicy { bucket, policy } => {
                let mut r = CfnResource::new(BUCKET_POLICY_ID, "AWS::S3::BucketPolicy");
                r.set("Bucket", self.reference(bucket));
                r.set("PolicyDocument", self.doc(policy));
                self.add(r);
            }
            Op::CreateRole {
                role,
                trust_policy,
                tags,
            } => {
                let mut r = CfnResource::new(ROLE_ID, "AWS::IAM::Role");
                r.set("RoleName", self.sub(role));
                r.set("AssumeRolePolicyDocument", self.doc(trust_policy));
                r.set("Tags", self.tags(tags));
                self.add(r);
                self.links.push((role.clone(), json!({ "Ref": ROLE_ID })));
                if let Some(spec) = &self.d.role {
                    self.links
                        .push((spec.arn.clone(), json!({ "Fn::GetAtt": [ROLE_ID, "Arn"] })));
                }
            }
            Op::PutRolePolicy {
                role: _,
                policy_name,
                policy,
            } => {
                // In the role's own `Policies` (AWS::IAM::Role, Policies / Policy:
                // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-iam-role.html),
                // not a separate AWS::IAM::RolePolicy: the role is complete only with its
                // policy, so the trail's `Fn::GetAtt` on the role's Arn waits for both, and IaC
                // auditors read the policy where they look for it (checkov 3.3.30 evaluates
                // AWS::IAM::Role, not AWS::IAM::RolePolicy: its IAM policy checks passed on a
                // role without policy, vacuously).
                let entry = json!({
                    "PolicyName": self.sub(policy_name),
                    "PolicyDocument": self.doc(policy)
                });
                let r = self.get(ROLE_ID)?;
                match r.properties.get_mut("Policies") {
                    Some(Value::Array(list)) => list.push(entry),
                    _ => r.set("Policies", json!([entry])),
                }
            }
            Op::CreateLogGroup { log_group, tags } => {
                let mut r = CfnResource::new(LOG_GROUP_ID, "AWS::Logs::LogGroup");
                r.set("LogGroupName", self.sub(log_group));
                r.set("Tags", self.tags(tags));
                r.retain = true;
                self.add(r);
                self.links
                    .push((log_group.clone(), json!({ "Ref": LOG_GROUP_ID })));
                // The log group's `Arn` attribute ends in `:*`, as CloudTrail wants it
                // (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-logs-loggroup.html).
                self.links.push((
                    format!("{}:*", self.d.log_group.arn),
                    json!({ "Fn::GetAtt": [LOG_GROUP_ID, "Arn"] }),
                ));
            }
            Op::PutRetentionPolicy { days, .. } => {
                self.get(LOG_GROUP_ID)?.set("RetentionInDays", json!(days));
            }
            Op::CreateTopic { topic, tags } => {
                let spec = self.d.topics.iter().find(|t| &t.name == topic);
                let id = self.topic_id(spec.map(|s| s.arn.as_str()).unwrap_or_default());
                let mut r = CfnResource::new(&id, "AWS::SNS::Topic");
                r.set("TopicName", self.sub(topic));
                r.set("Tags", self.tags(tags));
                self.add(r);
                if let Some(s) = spec {
                    self.links.push((s.arn.clone(), json!({ "Ref": id })));
                }
            }
            Op::SetTopicAttribute {
                topic_arn,
                name,
                value,
            } => {
                let id = self.topic_id(topic_arn);
                match name.as_str() {
                    "Policy" => {
                        let policy: Value = serde_json::from_str(value)
                            .map_err(|e| ExportError::Unsupported(format!("topic policy: {e}")))?;
                        let mut r =
                            CfnResource::new(&format!("{id}Policy"), "AWS::SNS::TopicPolicy");
                        r.set("Topics", json!([self.reference(topic_arn)]));
                        r.set("PolicyDocument", self.doc(&policy));
                        self.add(r);
                    }
                    "KmsMasterKeyId" => {
                        let key = self.sub(value);
                        self.get(&id)?.set("KmsMasterKeyId", key);
                    }
                    other => {
                        return Err(ExportError::Unsupported(format!(
                            "topic attribute {other} has no template counterpart"
                        )))
                    }
                }
            }
            Op::Subscribe {
                topic_arn,
                subscription,
            } => {
                let id = self.numbered(&format!("{}Subscription", self.topic_id(topic_arn)));
                let mut r = CfnResource::new(&id, "AWS::SNS::Subscription");
                r.set("TopicArn", self.reference(topic_arn));
                r.set("Protocol", json!(subscription.protocol.as_str()));
                r.set("Endpoint", self.sub(&subscription.endpoint));
                self.add(r);
            }
            Op::CreateTrail { trail } => {
                let mut r = CfnResource::new(TRAIL_ID, "AWS::CloudTrail::Trail");
                r.set("TrailName", self.sub(&trail.name));
                r.set("S3BucketName", self.reference(&trail.s3_bucket));
                if let Some(prefix) = &trail.s3_prefix {
                    r.set("S3KeyPrefix", self.sub(prefix));
                }
                r.set("IsMultiRegionTrail", json!(true));
                r.set("IncludeGlobalServiceEvents", json!(true));
                r.set("EnableLogFileValidation", json!(true));
                if trail.organization {
                    r.set("IsOrganizationTrail", json!(true));
                }
                r.set(
                    "CloudWatchLogsLogGroupArn",
                    self.reference(&trail.cw_log_group_arn),
                );
                r.set("CloudWatchLogsRoleArn", self.reference(&trail.cw_role_arn));
                if let Some(k) = &trail.kms_key_id {
                    r.set("KMSKeyId", self.sub(k));
                }
                if let Some(t) = &trail.sns_topic {
                    r.set("SnsTopicName", self.reference(t));
                }
                // CreateTrail records every management event, read and write, until event
                // selectors say otherwise
                // (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-management-events-with-cloudtrail.html);
                // the template says so explicitly.
                r.set(
                    "EventSelectors",
                    selectors(&EventSelectors::Basic(Vec::new()).with_all_management_events()),
                );
                r.set("Tags", self.tags(&trail.tags));
                // Started by StartLogging below; IsLogging is required
                // (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cloudtrail-trail.html).
                r.set("IsLogging", json!(false));
                self.add(r);
            }
            Op::StartLogging { .. } => {
                self.get(TRAIL_ID)?.set("IsLogging", json!(true));
            }
            Op::PutMetricFilter { filter } => {
                let id = self.unique_id(&format!("Filter{}", camel(&filter.name)));
                let mut r = CfnResource::new(&id, "AWS::Logs::MetricFilter");
                r.set("FilterName", self.sub(&filter.name));
                r.set("LogGroupName", self.reference(&filter.log_group));
                r.set("FilterPattern", json!(filter.pattern));
                let mut transformation = json!({
                    "MetricName": self.sub(&filter.metric_name),
                    "MetricNamespace": self.sub(&filter.namespace),
                    "MetricValue": self.sub(&filter.metric_value)
                });
                if !filter.dimensions.is_empty() {
                    transformation["Dimensions"] = Value::Array(
                        filter
                            .dimensions
                            .iter()
                            .map(|(k, v)| json!({ "Key": k, "Value": v }))
                            .collect(),
                    );
                }
                r.set("MetricTransformations", json!([transformation]));
                self.add(r);
            }
            Op::PutMetricAlarm {
                alarm,
                ok_actions,
                insufficient_data_actions,
            } => {
                let id = self.unique_id(&format!("Alarm{}", camel(&alarm.name)));
                let mut r = CfnResource::new(&id, "AWS::CloudWatch::Alarm");
                r.set("AlarmName", self.sub(&alarm.name));
                r.set("AlarmDescription", self.sub(&alarm.description));
                match &alarm.query {
                    // A Metrics Insights alarm: one returned query with its period, and no
                    // metric, statistic or period of the alarm's own (AWS::CloudWatch::Alarm,
                    // Metrics / MetricDataQuery).
                    Some(query) => r.set(
                        "Metrics",
                        json!([{
                            "Id": "accounts",
                            "Expression": query,
                            "Period": alarm.period,
                            "ReturnData": true
                        }]),
                    ),
                    None => {
                        r.set("MetricName", self.sub(&alarm.metric_name));
                        r.set("Namespace", self.sub(&alarm.namespace));
                        if STATISTICS.contains(&alarm.statistic.as_str()) {
                            r.set("Statistic", json!(alarm.statistic));
                        } else {
                            r.set("ExtendedStatistic", json!(alarm.statistic));
                        }
                        r.set("Period", json!(alarm.period));
                    }
                }
                r.set("EvaluationPeriods", json!(alarm.evaluation_periods));
                r.set("DatapointsToAlarm", json!(alarm.datapoints_to_alarm));
                r.set("Threshold", json!(alarm.threshold));
                r.set("ComparisonOperator", json!(alarm.comparison));
                r.set("TreatMissingData", json!(alarm.treat_missing_data));
                r.set("ActionsEnabled", json!(true));
                let actions: Vec<Value> = alarm.actions.iter().map(|a| self.reference(a)).collect();
                r.set("AlarmActions", Value::Array(actions));
                if !ok_actions.is_empty() {
                    r.set("OKActions", json!(ok_actions));
                }
                if !insufficient_data_actions.is_empty() {
                    r.set("InsufficientDataActions", json!(insufficient_data_actions));
                }
                r.set("Tags", self.tags(&alarm.tags));
                self.add(r);
            }
            Op::UpdateAssumeRolePolicy { .. }
            | Op::TagRole { .. }
            | Op::TagLogGroup { .. }
            | Op::UpdateTrail { .. }
            | Op::PutEventSelectors { .. }
            | Op::AddTrailTags { .. }
            | Op::DeleteMetricFilter { .. }
            | Op::DeleteAlarm { .. }
            | Op::DeleteTopic { .. }
            | Op::Unsubscribe { .. }
            | Op::StopLogging { .. }
            | Op::DeleteTrail { .. }
            | Op::DeleteRolePolicy { .. }
            | Op::DeleteRole { .. }
            | Op::DeleteLogGroup { .. }
            | Op::EmptyBucket { .. }
            | Op::DeleteBucket { .. } => return Err(ExportError::NotACreate(op.api())),
        }
        Ok(())
    }

    /// What `apply` orders by running the ops in sequence and no reference already implies:
    /// CloudTrail checks at CreateTrail that it may write to the bucket and the log group and
    /// publish to the delivery topic, so the trail waits for the bucket's and the topic's
    /// policies (the role's policy is part of the role, which the trail names by `Fn::GetAtt`).
    fn link_dependencies(&mut self) {
        let policies: Vec<String> = self
            .resources
            .iter()
            .filter(|r| {
                r.id == BUCKET_POLICY_ID
                    || (r.kind == "AWS::SNS::TopicPolicy"
                        && self
                            .d
                            .trail
                            .sns_topic
                            .as_ref()
                            .is_some_and(|arn| r.id == format!("{}Policy", self.topic_id(arn))))
            })
            .map(|r| r.id.clone())
            .collect();
        if let Some(trail) = self.resources.iter_mut().find(|r| r.id == TRAIL_ID) {
            trail.depends_on = policies;
        }
    }
}

/// CloudWatch's simple statistics; any other (`p99`, `tm90`, ...) is an extended statistic
/// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
const STATISTICS: [&str; 5] = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"];

/// Basic event selectors as `AWS::CloudTrail::Trail` writes them.
fn selectors(s: &EventSelectors) -> Value {
    match s {
        EventSelectors::Basic(list) => Value::Array(
            list.iter()
                .map(|b| {
                    let mut v = json!({
                        "ReadWriteType": b.read_write_type,
                        "IncludeManagementEvents": b.include_management_events
                    });
                    if !b.data_resources.is_empty() {
                        v["DataResources"] = Value::Array(
                            b.data_resources
                                .iter()
                                .map(|(t, vals)| json!({ "Type": t, "Values": vals }))
                                .collect(),
                        );
                    }
                    if !b.exclude_management_event_sources.is_empty() {
                        v["ExcludeManagementEventSources"] =
                            json!(b.exclude_management_event_sources);
                    }
                    v
                })
                .collect(),
        ),
        EventSelectors::Advanced(_) => json!([]),
    }
}

/// The default name of the member accounts' check role.
pub(crate) const CHECK_ROLE: &str = "trailwarden-check";
pub(crate) const CHECK_ROLE_ID: &str = "CheckRole";

/// The member accounts' template: a role the management account may assume, allowed exactly
/// what `check` reads (`permissions --for check`). The organization trail already records
/// member accounts' events, and their alarms are the management account's; a member needs only
/// to let `check --organization --accounts ... --role-name trailwarden-check` look. (A member
/// account that needs alarms of its own takes the account template instead.)
fn member_template() -> Value {
    let trust = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "AWS": {
                "Fn::Sub": "arn:${AWS::Partition}:iam::${ManagementAccountId}:root"
            } },
            "Action": "sts:AssumeRole"
        }]
    });
    let tags: Vec<Value> = managed_tags(&Tags::new())
        .iter()
        .map(|(k, v)| json!({ "Key": k, "Value": v }))
        .collect();
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "trailwarden: the read-only role the management account checks a member account with",
        "Parameters": {
            "ManagementAccountId": {
                "Type": "String",
                "Description": "The organization's management account (or the delegated administrator that runs check --accounts)",
                "AllowedPattern": "^[0-9]{12}$",
                "ConstraintDescription": "a 12-digit account id"
            },
            "RoleName": {
                "Type": "String",
                "Description": "Name of the role (check --accounts ... --role-name NAME)",
                "Default": CHECK_ROLE,
                "AllowedPattern": "^[\\w+=,.@-]{1,64}$",
                "ConstraintDescription": "1 to 64 letters, digits, or + = , . @ _ -"
            }
        },
        "Resources": {
            CHECK_ROLE_ID: {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": { "Ref": "RoleName" },
                    "AssumeRolePolicyDocument": trust,
                    // In the role, as the delivery role's (see `Op::PutRolePolicy`).
                    "Policies": [{
                        "PolicyName": CHECK_ROLE,
                        "PolicyDocument": crate::aws::check_policy()
                    }],
                    "Tags": tags
                }
            }
        },
        "Outputs": {
            "CheckRoleArn": {
                "Description": "The role check --accounts assumes",
                "Value": { "Fn::GetAtt": [CHECK_ROLE_ID, "Arn"] }
            }
        }
    })
}

/// The whole template document.
fn template(cfg: &Config, parameters: &[Parameter], resources: &[CfnResource]) -> Value {
    let presets: Vec<&str> = cfg.presets.iter().map(|p| p.name.as_str()).collect();
    let mut params = Map::new();
    for p in parameters {
        let mut v = json!({ "Type": "String", "Description": p.description });
        if let Some(d) = &p.default {
            v["Default"] = json!(d);
        }
        if let Some(c) = p.constraints.as_object() {
            for (k, x) in c {
                v[k] = x.clone();
            }
        }
        params.insert(p.name.clone(), v);
    }
    let mut res = Map::new();
    for r in resources {
        let mut v = Map::new();
        v.insert("Type".into(), json!(r.kind));
        if !r.depends_on.is_empty() {
            v.insert("DependsOn".into(), json!(r.depends_on));
        }
        if r.retain {
            v.insert("DeletionPolicy".into(), json!("Retain"));
            v.insert("UpdateReplacePolicy".into(), json!("Retain"));
        }
        v.insert("Properties".into(), Value::Object(r.properties.clone()));
        res.insert(r.id.clone(), Value::Object(v));
    }
    let mut outputs = Map::new();
    if resources.iter().any(|r| r.id == TRAIL_ID) {
        outputs.insert(
            "TrailArn".into(),
            json!({ "Description": "The trail", "Value": { "Fn::GetAtt": [TRAIL_ID, "Arn"] } }),
        );
    }
    if resources.iter().any(|r| r.id == BUCKET_ID) {
        outputs.insert(
            "BucketName".into(),
            json!({ "Description": "The bucket the trail writes log files to", "Value": { "Ref": BUCKET_ID } }),
        );
    }
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": format!(
            "trailwarden: the CloudTrail security-monitoring chain (presets: {})",
            presets.join(", ")
        ),
        "Parameters": params,
        "Resources": res,
        "Outputs": outputs
    })
}

#[cfg(test)]
mod tests;
