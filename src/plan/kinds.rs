//! The stable names of what `plan` and `check` report: drift kinds and resource kinds. Both are
//! contracts (JSON reports, CI filters, docs/ci.md lists every drift kind; a test keeps them in
//! step).

use serde::Serialize;
use std::fmt;

macro_rules! names {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub(crate) enum $name { $($variant,)* }

        impl $name {
            #[cfg(test)]
            #[allow(dead_code)] // the docs test reads DriftKind's; Resource's is for symmetry
            pub(crate) const ALL: &'static [$name] = &[$($name::$variant,)*];

            pub(crate) fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}

names! {
    /// What differs: `RESOURCE.ASPECT`, e.g. `alarm.threshold`.
    DriftKind {
    AlarmActions => "alarm.actions",
    AlarmActionsDisabled => "alarm.actions-disabled",
    AlarmOkActions => "alarm.ok-actions",
    AlarmDescription => "alarm.description",
    AlarmComparison => "alarm.comparison",
    AlarmDatapointsToAlarm => "alarm.datapoints-to-alarm",
    AlarmEvaluationPeriods => "alarm.evaluation-periods",
    AlarmMetricMismatch => "alarm.metric-mismatch",
    AlarmMissing => "alarm.missing",
    AlarmOrphan => "alarm.orphan",
    AlarmPeriod => "alarm.period",
    AlarmStatistic => "alarm.statistic",
    AlarmThreshold => "alarm.threshold",
    AlarmTreatMissingData => "alarm.treat-missing-data",
    BucketEncryption => "bucket.encryption",
    ChatChannel => "chat.channel",
    ChatMissing => "chat.missing",
    ChatRole => "chat.role",
    ChatTopics => "chat.topics",
    ChatWorkspaceUnauthorized => "chat.workspace-unauthorized",
    BucketMissing => "bucket.missing",
    BucketPolicyCloudtrail => "bucket.policy-cloudtrail",
    BucketPolicyTlsDeny => "bucket.policy-tls-deny",
    BucketPublicAccessBlock => "bucket.public-access-block",
    BucketTags => "bucket.tags",
    BucketVersioning => "bucket.versioning",
    KmsKeyPolicy => "kms.key-policy",
    LogGroupMissing => "log_group.missing",
    LogGroupRetention => "log_group.retention",
    MetricFilterMetricName => "metric_filter.metric-name",
    MetricFilterMissing => "metric_filter.missing",
    MetricFilterDimensions => "metric_filter.dimensions",
    MetricFilterNamespace => "metric_filter.namespace",
    MetricFilterOrphan => "metric_filter.orphan",
    MetricFilterPattern => "metric_filter.pattern",
    MetricFilterValue => "metric_filter.value",
    RoleMissing => "role.missing",
    RolePolicy => "role.policy",
    RoleTrust => "role.trust",
    SubscriptionMissing => "subscription.missing",
    SubscriptionOrphan => "subscription.orphan",
    SubscriptionPending => "subscription.pending",
    TopicAwsManagedKey => "topic.aws-managed-key",
    TopicKmsKey => "topic.kms-key",
    TopicMissing => "topic.missing",
    TopicOrphan => "topic.orphan",
    TopicPolicy => "topic.policy",
    TrailBucket => "trail.bucket",
    TrailBucketPrefix => "trail.bucket-prefix",
    TrailDeliveryError => "trail.delivery-error",
    TrailGlobalEvents => "trail.global-events",
    TrailKmsKey => "trail.kms-key",
    TrailLogFileValidation => "trail.log-file-validation",
    TrailLogGroup => "trail.log-group",
    TrailManagementEvents => "trail.management-events",
    TrailMissing => "trail.missing",
    TrailMultiRegion => "trail.multi-region",
    TrailNoCloudwatchLogs => "trail.no-cloudwatch-logs",
    TrailNotLogging => "trail.not-logging",
    TrailOrganization => "trail.organization",
    TrailRole => "trail.role",
    TrailSnsTopic => "trail.sns-topic",
    }
}

impl DriftKind {
    /// The resource does not exist at all.
    pub(crate) fn is_missing(self) -> bool {
        self.as_str().ends_with(".missing")
    }

    /// The resource exists, is trailwarden's, and the configuration no longer asks for it.
    pub(crate) fn is_orphan(self) -> bool {
        self.as_str().ends_with(".orphan")
    }
}

names! {
    /// The kind of resource a change is about (the first part of its address).
    Resource {
        S3Bucket => "s3_bucket",
        IamRole => "iam_role",
        LogGroup => "log_group",
        SnsTopic => "sns_topic",
        SnsSubscription => "sns_subscription",
        Trail => "trail",
        MetricFilter => "metric_filter",
        Alarm => "alarm",
        ChatChannel => "chat_channel",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/ci.md lists every drift kind (`RESOURCE.a|b|c` groups), and nothing else.
    #[test]
    fn the_docs_list_every_drift_kind() {
        let doc = include_str!("../../docs/ci.md");
        let start = doc
            .find("Drift kinds: ")
            .expect("the drift kinds paragraph");
        let end = start + doc[start..].find("\n\n").unwrap_or(doc.len() - start);
        let mut listed: Vec<String> = Vec::new();
        for group in doc[start..end].split('`').skip(1).step_by(2) {
            let (resource, aspects) = group.split_once('.').expect("RESOURCE.aspects");
            listed.extend(aspects.split('|').map(|a| format!("{resource}.{a}")));
        }
        for k in DriftKind::ALL {
            assert!(
                listed.iter().any(|l| l == k.as_str()),
                "docs/ci.md does not list `{k}`"
            );
        }
        for l in &listed {
            assert!(
                DriftKind::ALL.iter().any(|k| k.as_str() == l),
                "docs/ci.md lists `{l}`, which no drift kind is"
            );
        }
    }
}
