//! Desired and actual state of the monitoring chain as plain data.
//!
//! Nothing here knows about the AWS SDK or does I/O: the planner compares a [`Desired`] with an
//! [`Actual`] and produces [`Op`]s; the AWS adapter (`src/aws/`) reads [`Actual`] and executes
//! [`Op`]s. Keeping both sides plain data lets the planner be tested without a network.

use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

mod alerts;
pub use alerts::*;

/// Tag put on every resource trailwarden creates; its presence marks the resource as managed.
pub const MANAGED_TAG_KEY: &str = "managed-by";
pub const MANAGED_TAG_VALUE: &str = "trailwarden";

pub type Tags = BTreeMap<String, String>;

/// Who and where the chain is applied to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    pub account_id: String,
    pub region: String,
    pub partition: String,
    /// The organization the account manages, as DescribeOrganization reported it; read only in
    /// organization mode (`--organization`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<Organization>,
}

/// An AWS Organization, as `organizations:DescribeOrganization` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organization {
    /// `o-` and 10 to 32 lowercase letters or digits.
    pub id: String,
    pub management_account: String,
}

impl Target {
    pub fn new(account_id: &str, region: &str) -> Target {
        Target {
            account_id: account_id.to_string(),
            region: region.to_string(),
            partition: partition_of(region).to_string(),
            organization: None,
        }
    }

    /// The same target, managing `organization`.
    pub fn with_organization(mut self, organization: Option<Organization>) -> Target {
        self.organization = organization;
        self
    }
}

/// The AWS partition a region belongs to (used to build ARNs).
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else {
        "aws"
    }
}

/// Everything trailwarden wants to exist, fully resolved (names, ARNs, policies).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Desired {
    pub target: Target,
    /// `None` when an adopted trail keeps writing to the user's own bucket.
    pub bucket: Option<BucketSpec>,
    /// `None` when an adopted trail already delivers to CloudWatch Logs through its own role.
    pub role: Option<RoleSpec>,
    /// The log group the filters live on (ours, or the adopted trail's).
    pub log_group: LogGroupSpec,
    pub trail: TrailSpec,
    pub topics: Vec<TopicSpec>,
    pub filters: Vec<FilterSpec>,
    pub alarms: Vec<AlarmSpec>,
    /// Slack / Microsoft Teams channels (AWS Chatbot) told of the topics' notifications.
    pub chats: Vec<ChatChannelSpec>,
    /// The metric namespaces trailwarden's filters and alarms use (the configured controls',
    /// every control of the configured presets', the built-in presets'): an alarm the
    /// configuration does not name is a removal candidate only in one of these.
    pub namespaces: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BucketSpec {
    pub name: String,
    /// Key prefix the trail writes under (without slashes at either end), if any.
    pub prefix: Option<String>,
    /// SSE-KMS key for default encryption; `None` means SSE-S3 (AES256).
    pub kms_key_id: Option<String>,
    /// Statements trailwarden needs in the bucket policy, each with a `Sid`. Other statements
    /// already present are kept.
    pub statements: Vec<Value>,
    pub tags: Tags,
    /// Named explicitly in the configuration: the user adopts it if it already exists.
    pub adopted: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleSpec {
    pub name: String,
    pub arn: String,
    pub trust_policy: Value,
    pub policy_name: String,
    pub policy: Value,
    pub tags: Tags,
    pub adopted: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogGroupSpec {
    pub name: String,
    /// ARN without the `:*` suffix.
    pub arn: String,
    /// `None`: leave retention as it is (adopted log groups).
    pub retention_days: Option<i32>,
    pub tags: Tags,
    /// Created and owned by trailwarden (false for an adopted trail's group).
    pub managed: bool,
    pub adopted: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrailSpec {
    pub name: String,
    pub arn: String,
    pub s3_bucket: String,
    pub s3_prefix: Option<String>,
    /// Log group ARN *with* the `:*` suffix, as CloudTrail wants it.
    pub cw_log_group_arn: String,
    pub cw_role_arn: String,
    pub kms_key_id: Option<String>,
    /// SNS topic (name or ARN) notified of log file delivery.
    pub sns_topic: Option<String>,
    pub tags: Tags,
    /// An existing trail the user named for reuse.
    pub adopted: bool,
    /// An organization trail: it logs every account of the organization (`IsOrganizationTrail`).
    #[serde(default)]
    pub organization: bool,
    /// The landing-zone tool that owns this adopted trail (`AWS Control Tower`, `Landing Zone
    /// Accelerator`): its guardrails forbid changing the trail, so trailwarden never writes to it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub guarded_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicSpec {
    /// Key used by controls to pick this topic (`default`, `critical`, ...).
    pub key: String,
    pub name: String,
    pub arn: String,
    pub policy: Value,
    pub kms_key_id: Option<String>,
    /// Who the topic notifies, in the order configured.
    pub subscriptions: Vec<SubscriptionSpec>,
    pub tags: Tags,
    pub adopted: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FilterSpec {
    pub name: String,
    pub log_group: String,
    pub pattern: String,
    pub metric_name: String,
    pub namespace: String,
    pub metric_value: String,
    /// Preset controls that asked for this filter (several when presets are combined).
    pub controls: Vec<String>,
    /// Metric dimensions, name → event field (`$.recipientAccountId`): in organization mode,
    /// which account an event came from.
    #[serde(skip_serializing_if = "Tags::is_empty", default)]
    pub dimensions: Tags,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmSpec {
    pub name: String,
    pub description: String,
    pub severity: AlarmSeverity,
    /// The control this alarm watches (`preset/id`), for `test-alarm` and `why`.
    pub control: String,
    pub metric_name: String,
    pub namespace: String,
    pub statistic: String,
    pub period: i32,
    pub evaluation_periods: i32,
    pub datapoints_to_alarm: i32,
    pub threshold: f64,
    pub comparison: String,
    pub treat_missing_data: String,
    pub actions: Vec<String>,
    /// Topics told when the alarm returns to OK (`ok_actions = true` for its severity). Empty:
    /// trailwarden leaves the alarm's OK actions as they are.
    pub ok_actions: Vec<String>,
    pub tags: Tags,
    /// A Metrics Insights query the alarm evaluates instead of one metric (organization mode:
    /// one time series per account, each a contributor of the alarm).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub query: Option<String>,
}

/// What the account holds, as read by the adapter. `None` / absent = does not exist.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Actual {
    pub bucket: Option<BucketState>,
    pub role: Option<RoleState>,
    pub log_group: Option<LogGroupState>,
    /// Every trail visible from the target region (shadow trails of other regions included),
    /// so the planner can spot existing multi-region trails.
    pub trails: Vec<TrailState>,
    /// The desired topics that exist, by name.
    pub topics: BTreeMap<String, TopicState>,
    /// Every metric filter on the desired log group.
    pub filters: Vec<FilterState>,
    /// The desired alarms that exist, by name.
    pub alarms: BTreeMap<String, AlarmState>,
    /// Alarms the configuration does not name in one of the managed namespaces
    /// ([`Desired::namespaces`]), by name, each with its tags: candidates for removal, which
    /// the planner removes only with trailwarden's ownership tag.
    pub undesired_alarms: BTreeMap<String, AlarmState>,
    /// Topics the configuration does not name that an existing alarm (desired or candidate)
    /// routes to, by ARN, with their tags (no subscriptions or attributes): candidates for
    /// removal once no alarm routes to them.
    pub undesired_topics: BTreeMap<String, TopicState>,
    /// For each topic of `undesired_topics`, every alarm in the account that routes to it.
    pub topic_routes: BTreeMap<String, Vec<String>>,
    /// The names of the role's inline policies; read by `destroy` only (`None` otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_policies: Option<Vec<String>>,
    /// The KMS keys the configuration names (trail, bucket, topics), by the id given; a key
    /// that does not exist is absent.
    pub kms_keys: BTreeMap<String, KmsKey>,
    /// Read only when the configuration names chat channels.
    pub chat: ChatState,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct KmsKey {
    /// The key's ARN, as DescribeTrails and the other services report the key.
    pub arn: String,
    /// `AWS` for AWS-managed keys (`alias/aws/...`), `CUSTOMER` otherwise.
    pub manager: String,
    /// The key policy; `None` when it could not be read (another account's key, or
    /// `kms:GetKeyPolicy` not allowed).
    pub policy: Option<Value>,
}

impl Desired {
    /// Every KMS key the configuration names, each once.
    pub fn kms_key_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .trail
            .kms_key_id
            .iter()
            .chain(self.bucket.iter().flat_map(|b| b.kms_key_id.iter()))
            .chain(self.topics.iter().flat_map(|t| t.kms_key_id.iter()))
            .cloned()
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BucketState {
    pub name: String,
    pub policy: Option<Value>,
    /// BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets.
    pub public_access_block: Option<[bool; 4]>,
    pub encryption: Option<Encryption>,
    /// `Enabled`, `Suspended`, or `None` when never set.
    pub versioning: Option<String>,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Encryption {
    /// `AES256`, `aws:kms` or `aws:kms:dsse`.
    pub algorithm: String,
    pub kms_key_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RoleState {
    pub name: String,
    pub arn: String,
    pub trust_policy: Value,
    /// The inline policy named in the spec, if present.
    pub policy: Option<Value>,
    pub tags: Tags,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LogGroupState {
    pub name: String,
    pub arn: String,
    pub retention_days: Option<i32>,
    pub tags: Tags,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TrailState {
    pub name: String,
    pub arn: String,
    pub home_region: Option<String>,
    pub multi_region: bool,
    pub include_global_events: bool,
    pub log_file_validation: bool,
    pub organization_trail: bool,
    pub s3_bucket: Option<String>,
    pub s3_prefix: Option<String>,
    pub cw_log_group_arn: Option<String>,
    pub cw_role_arn: Option<String>,
    pub kms_key_id: Option<String>,
    /// SNS topic ARN for delivery notifications.
    pub sns_topic_arn: Option<String>,
    /// `None` when the status could not be read (another region's trail).
    pub is_logging: Option<bool>,
    /// Errors GetTrailStatus reports for the latest deliveries (S3, CloudWatch Logs, SNS).
    pub delivery_errors: Vec<DeliveryError>,
    /// What the trail records (GetEventSelectors); `None` when not read.
    pub selectors: Option<EventSelectors>,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryError {
    /// The GetTrailStatus field, e.g. `LatestCloudWatchLogsDeliveryError`.
    pub field: String,
    pub message: String,
}

/// A trail's event selectors: basic or advanced, never both (PutEventSelectors /
/// PutAdvancedEventSelectors, AWS CloudTrail API Reference).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "selectors", rename_all = "snake_case")]
pub enum EventSelectors {
    Basic(Vec<BasicSelector>),
    Advanced(Vec<AdvancedSelector>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BasicSelector {
    /// `All`, `ReadOnly` or `WriteOnly`.
    pub read_write_type: String,
    pub include_management_events: bool,
    /// Data resources as (type, values).
    pub data_resources: Vec<(String, Vec<String>)>,
    pub exclude_management_event_sources: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdvancedSelector {
    pub name: Option<String>,
    pub field_selectors: Vec<FieldSelector>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FieldSelector {
    pub field: String,
    pub equals: Vec<String>,
    pub starts_with: Vec<String>,
    pub ends_with: Vec<String>,
    pub not_equals: Vec<String>,
    pub not_starts_with: Vec<String>,
    pub not_ends_with: Vec<String>,
}

/// Which management events a trail records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManagementCoverage {
    pub read: bool,
    pub write: bool,
    /// Event sources left out (`ExcludeManagementEventSources`, or `eventSource` conditions of
    /// an advanced selector).
    pub excluded_sources: Vec<String>,
}

impl ManagementCoverage {
    pub fn is_complete(&self) -> bool {
        self.read && self.write && self.excluded_sources.is_empty()
    }

    pub fn describe(&self) -> String {
        let what = match (self.read, self.write) {
            (true, true) => "read and write management events",
            (true, false) => "read-only management events",
            (false, true) => "write-only management events",
            (false, false) => "no management events",
        };
        if self.excluded_sources.is_empty() || !(self.read || self.write) {
            what.to_string()
        } else {
            format!("{what} except from {}", self.excluded_sources.join(", "))
        }
    }
}

const MANAGEMENT_SELECTOR_NAME: &str = "Management events (trailwarden)";

impl EventSelectors {
    /// What the selectors record of management events. A complete selector (all, no
    /// exclusions) wins; otherwise the union of what the selectors record, with the exclusions
    /// of every selector that records any.
    pub fn management_coverage(&self) -> ManagementCoverage {
        let mut parts: Vec<ManagementCoverage> = Vec::new();
        match self {
            EventSelectors::Basic(list) => {
                for s in list.iter().filter(|s| s.include_management_events) {
                    parts.push(ManagementCoverage {
                        read: s.read_write_type != "WriteOnly",
                        write: s.read_write_type != "ReadOnly",
                        excluded_sources: s.exclude_management_event_sources.clone(),
                    });
                }
            }
            EventSelectors::Advanced(list) => {
                for s in list {
                    let field = |name: &str| s.field_selectors.iter().find(|f| f.field == name);
                    if field("eventCategory").is_none_or(|f| f.equals != ["Management"]) {
                        continue;
                    }
                    let (read, write) = match field("readOnly") {
                        Some(f) if f.equals == ["true"] || f.not_equals == ["false"] => {
                            (true, false)
                        }
                        Some(f) if f.equals == ["false"] || f.not_equals == ["true"] => {
                            (false, true)
                        }
                        _ => (true, true),
                    };
                    let mut excluded = Vec::new();
                    if let Some(f) = field("eventSource") {
                        excluded.extend(f.not_equals.iter().cloned());
                        if !f.equals.is_empty() || !f.starts_with.is_empty() {
                            excluded.push("every source but those named".into());
                        }
                    }
                    parts.push(ManagementCoverage {
                        read,
                        write,
                        excluded_sources: excluded,
                    });
                }
            }
        }
        if let Some(full) = parts.iter().find(|p| p.is_complete()) {
            return full.clone();
        }
        let mut excluded: Vec<String> = parts
            .iter()
            .flat_map(|p| p.excluded_sources.iter().cloned())
            .collect();
        excluded.sort();
        excluded.dedup();
        ManagementCoverage {
            read: parts.iter().any(|p| p.read),
            write: parts.iter().any(|p| p.write),
            excluded_sources: excluded,
        }
    }

    /// The same selectors recording every management event, read and write: data-event
    /// selectors are kept as they are (their data events, and their cost, do not change), the
    /// management part is one selector with no exclusions.
    pub fn with_all_management_events(&self) -> EventSelectors {
        match self {
            EventSelectors::Basic(list) => {
                let mut kept: Vec<BasicSelector> = list
                    .iter()
                    .filter(|s| !s.data_resources.is_empty())
                    .map(|s| BasicSelector {
                        include_management_events: false,
                        exclude_management_event_sources: Vec::new(),
                        ..s.clone()
                    })
                    .collect();
                kept.insert(
                    0,
                    BasicSelector {
                        read_write_type: "All".into(),
                        include_management_events: true,
                        data_resources: Vec::new(),
                        exclude_management_event_sources: Vec::new(),
                    },
                );
                EventSelectors::Basic(kept)
            }
            EventSelectors::Advanced(list) => {
                let mut kept: Vec<AdvancedSelector> = list
                    .iter()
                    .filter(|s| {
                        !s.field_selectors
                            .iter()
                            .any(|f| f.field == "eventCategory" && f.equals == ["Management"])
                    })
                    .cloned()
                    .collect();
                kept.insert(
                    0,
                    AdvancedSelector {
                        name: Some(MANAGEMENT_SELECTOR_NAME.into()),
                        field_selectors: vec![FieldSelector {
                            field: "eventCategory".into(),
                            equals: vec!["Management".into()],
                            ..Default::default()
                        }],
                    },
                );
                EventSelectors::Advanced(kept)
            }
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TopicState {
    pub name: String,
    pub arn: String,
    pub policy: Option<Value>,
    pub kms_key_id: Option<String>,
    pub subscriptions: Vec<Subscription>,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subscription {
    pub protocol: String,
    pub endpoint: String,
    /// `PendingConfirmation` until the recipient confirms.
    pub arn: String,
}

impl Subscription {
    /// Waiting for the recipient to confirm.
    pub fn pending(&self) -> bool {
        !self.deleted() && (self.arn == "PendingConfirmation" || !self.arn.starts_with("arn:"))
    }

    /// Listed with the ARN `Deleted` after an unsubscribe (the list keeps it for a while): it
    /// notifies nobody and is no longer pending, so the address must be subscribed again.
    pub fn deleted(&self) -> bool {
        self.arn == "Deleted"
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FilterState {
    pub name: String,
    pub log_group: String,
    pub pattern: String,
    pub metric_transformations: Vec<MetricTransformation>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MetricTransformation {
    pub metric_name: String,
    pub namespace: String,
    pub metric_value: String,
    pub dimensions: Tags,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AlarmState {
    pub name: String,
    pub arn: String,
    pub metric_name: Option<String>,
    pub namespace: Option<String>,
    pub statistic: Option<String>,
    pub period: Option<i32>,
    pub evaluation_periods: Option<i32>,
    pub datapoints_to_alarm: Option<i32>,
    pub threshold: Option<f64>,
    pub comparison: Option<String>,
    pub treat_missing_data: Option<String>,
    pub description: Option<String>,
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    pub state: Option<String>,
    pub actions_enabled: bool,
    pub alarm_actions: Vec<String>,
    /// Actions a user may have added; PutMetricAlarm replaces the whole alarm, so a repair
    /// passes them on.
    pub ok_actions: Vec<String>,
    pub insufficient_data_actions: Vec<String>,
    /// The Metrics Insights query of a query alarm (its `Metrics`' expression).
    pub query: Option<String>,
    /// Read only for removal candidates (an in-sync check reads no alarm's tags).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
}

impl AlarmState {
    /// Every SNS topic the alarm notifies, in any state.
    pub fn topics(&self) -> impl Iterator<Item = &String> {
        self.alarm_actions
            .iter()
            .chain(&self.ok_actions)
            .chain(&self.insufficient_data_actions)
            .filter(|a| a.starts_with("arn:") && a.split(':').nth(2) == Some("sns"))
    }
}

/// One write request, as plain data. The planner produces them; the adapter executes them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    CreateBucket {
        bucket: String,
        region: String,
    },
    PutBucketTagging {
        bucket: String,
        tags: Tags,
    },
    PutBucketPolicy {
        bucket: String,
        policy: Value,
    },
    PutPublicAccessBlock {
        bucket: String,
    },
    PutBucketEncryption {
        bucket: String,
        kms_key_id: Option<String>,
    },
    PutBucketVersioning {
        bucket: String,
    },
    CreateRole {
        role: String,
        trust_policy: Value,
        tags: Tags,
    },
    UpdateAssumeRolePolicy {
        role: String,
        trust_policy: Value,
    },
    PutRolePolicy {
        role: String,
        policy_name: String,
        policy: Value,
    },
    TagRole {
        role: String,
        tags: Tags,
    },
    CreateLogGroup {
        log_group: String,
        tags: Tags,
    },
    PutRetentionPolicy {
        log_group: String,
        days: i32,
    },
    TagLogGroup {
        arn: String,
        tags: Tags,
    },
    CreateTrail {
        trail: TrailSpec,
    },
    UpdateTrail {
        trail: TrailSpec,
    },
    StartLogging {
        trail: String,
    },
    PutEventSelectors {
        trail: String,
        selectors: EventSelectors,
    },
    AddTrailTags {
        arn: String,
        tags: Tags,
    },
    CreateTopic {
        topic: String,
        tags: Tags,
    },
    SetTopicAttribute {
        topic_arn: String,
        name: String,
        value: String,
    },
    Subscribe {
        topic_arn: String,
        subscription: SubscriptionSpec,
    },
    PutMetricFilter {
        filter: FilterSpec,
    },
    CreateChatChannel {
        channel: ChatChannelSpec,
    },
    UpdateChatChannel {
        arn: String,
        /// The topics: ours added to those the configuration already had.
        channel: ChatChannelSpec,
    },
    PutMetricAlarm {
        alarm: AlarmSpec,
        /// The existing alarm's OK and INSUFFICIENT_DATA actions, kept by a repair.
        #[serde(skip_serializing_if = "Vec::is_empty", default)]
        ok_actions: Vec<String>,
        #[serde(skip_serializing_if = "Vec::is_empty", default)]
        insufficient_data_actions: Vec<String>,
    },
    DeleteMetricFilter {
        log_group: String,
        filter: String,
    },
    DeleteAlarm {
        alarm: String,
    },
    DeleteTopic {
        topic_arn: String,
    },
    Unsubscribe {
        subscription_arn: String,
    },
    StopLogging {
        trail: String,
    },
    DeleteTrail {
        trail: String,
    },
    DeleteRolePolicy {
        role: String,
        policy_name: String,
    },
    DeleteRole {
        role: String,
    },
    DeleteLogGroup {
        log_group: String,
    },
    /// Deletes every object version and delete marker (the bucket is versioned), page by page.
    EmptyBucket {
        bucket: String,
    },
    DeleteBucket {
        bucket: String,
    },
}

impl Op {
    /// The API operation name (for reports, permission lists and request accounting).
    pub fn api(&self) -> &'static str {
        match self {
            Op::CreateBucket { .. } => "s3:CreateBucket",
            Op::PutBucketTagging { .. } => "s3:PutBucketTagging",
            Op::PutBucketPolicy { .. } => "s3:PutBucketPolicy",
            Op::PutPublicAccessBlock { .. } => "s3:PutBucketPublicAccessBlock",
            Op::PutBucketEncryption { .. } => "s3:PutEncryptionConfiguration",
            Op::PutBucketVersioning { .. } => "s3:PutBucketVersioning",
            Op::CreateRole { .. } => "iam:CreateRole",
            Op::UpdateAssumeRolePolicy { .. } => "iam:UpdateAssumeRolePolicy",
            Op::PutRolePolicy { .. } => "iam:PutRolePolicy",
            Op::TagRole { .. } => "iam:TagRole",
            Op::CreateLogGroup { .. } => "logs:CreateLogGroup",
            Op::PutRetentionPolicy { .. } => "logs:PutRetentionPolicy",
            Op::TagLogGroup { .. } => "logs:TagResource",
            Op::CreateTrail { .. } => "cloudtrail:CreateTrail",
            Op::UpdateTrail { .. } => "cloudtrail:UpdateTrail",
            Op::StartLogging { .. } => "cloudtrail:StartLogging",
            Op::PutEventSelectors { .. } => "cloudtrail:PutEventSelectors",
            Op::AddTrailTags { .. } => "cloudtrail:AddTags",
            Op::CreateTopic { .. } => "sns:CreateTopic",
            Op::SetTopicAttribute { .. } => "sns:SetTopicAttributes",
            Op::Subscribe { .. } => "sns:Subscribe",
            Op::PutMetricFilter { .. } => "logs:PutMetricFilter",
            Op::PutMetricAlarm { .. } => "cloudwatch:PutMetricAlarm",
            Op::CreateChatChannel { channel } if channel.client.is_slack() => {
                "chatbot:CreateSlackChannelConfiguration"
            }
            Op::CreateChatChannel { .. } => "chatbot:CreateMicrosoftTeamsChannelConfiguration",
            Op::UpdateChatChannel { channel, .. } if channel.client.is_slack() => {
                "chatbot:UpdateSlackChannelConfiguration"
            }
            Op::UpdateChatChannel { .. } => "chatbot:UpdateMicrosoftTeamsChannelConfiguration",
            Op::DeleteMetricFilter { .. } => "logs:DeleteMetricFilter",
            Op::DeleteAlarm { .. } => "cloudwatch:DeleteAlarms",
            Op::DeleteTopic { .. } => "sns:DeleteTopic",
            Op::Unsubscribe { .. } => "sns:Unsubscribe",
            Op::StopLogging { .. } => "cloudtrail:StopLogging",
            Op::DeleteTrail { .. } => "cloudtrail:DeleteTrail",
            Op::DeleteRolePolicy { .. } => "iam:DeleteRolePolicy",
            Op::DeleteRole { .. } => "iam:DeleteRole",
            Op::DeleteLogGroup { .. } => "logs:DeleteLogGroup",
            Op::EmptyBucket { .. } => "s3:DeleteObjectVersion",
            Op::DeleteBucket { .. } => "s3:DeleteBucket",
        }
    }
}

/// How many bytes a day the trail delivers to CloudWatch Logs, as measured in the account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Volume {
    pub method: VolumeMethod,
    /// Bytes a day as measured: uncompressed for `IncomingBytes` (as CloudWatch Logs ingests
    /// them), gzip-compressed for `S3Day` (as CloudTrail writes its files).
    pub bytes_per_day: f64,
    /// Where the figure comes from, in words (log group and days, or bucket and date).
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VolumeMethod {
    /// The log group's `IncomingBytes` metric (AWS/Logs), averaged over the last complete days.
    IncomingBytes,
    /// The size of the last complete day (UTC) of the trail's log files in S3.
    S3Day,
}

/// The managed tag merged with the user's tags.
pub fn managed_tags(user: &Tags) -> Tags {
    let mut tags = user.clone();
    tags.insert(MANAGED_TAG_KEY.to_string(), MANAGED_TAG_VALUE.to_string());
    tags
}

pub fn is_managed(tags: &Tags) -> bool {
    tags.get(MANAGED_TAG_KEY).map(String::as_str) == Some(MANAGED_TAG_VALUE)
}
