//! The alerting side of the model: subscribers and their protocols, alarm severities, chat
//! channels (AWS Chatbot), and what `test-alarm` and `why` read (alarm history, log events).

use serde::Serialize;

use super::{Subscription, Tags};

/// The SNS protocols trailwarden subscribes. Others (`sqs`, `firehose`, `application`, `http`)
/// are left alone when found on a topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    Email,
    /// HTTPS endpoints, such as PagerDuty's and Opsgenie's SNS integrations.
    Https,
    Sms,
    Lambda,
}

impl Protocol {
    pub const ALL: [Protocol; 4] = [
        Protocol::Email,
        Protocol::Https,
        Protocol::Sms,
        Protocol::Lambda,
    ];

    /// The `Protocol` parameter of SNS Subscribe.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Email => "email",
            Protocol::Https => "https",
            Protocol::Sms => "sms",
            Protocol::Lambda => "lambda",
        }
    }

    pub fn parse(text: &str) -> Option<Protocol> {
        Protocol::ALL.into_iter().find(|p| p.as_str() == text)
    }

    /// Whether the endpoint must confirm before SNS delivers to it. Subscribe (SNS API
    /// Reference): "If the endpoint type is HTTP/S or email, or if the endpoint and the topic
    /// are not in the same Amazon Web Services account, the endpoint owner must run the
    /// ConfirmSubscription action to confirm the subscription."
    /// <https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html>
    /// A Lambda function of another account is the cross-account case: the listing says
    /// `PendingConfirmation` then, and [`Subscription::pending`] reads it from there.
    pub fn always_confirmed_by_owner(self) -> bool {
        matches!(self, Protocol::Email | Protocol::Https)
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One subscriber of a topic.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct SubscriptionSpec {
    pub protocol: Protocol,
    pub endpoint: String,
}

impl SubscriptionSpec {
    pub fn new(protocol: Protocol, endpoint: &str) -> SubscriptionSpec {
        SubscriptionSpec {
            protocol,
            endpoint: endpoint.to_string(),
        }
    }

    /// Whether a subscription SNS lists is this one: email addresses compare without regard
    /// to case, phone numbers on their digits (SNS keeps the number as given), the rest
    /// exactly.
    pub fn is(&self, s: &Subscription) -> bool {
        if s.protocol != self.protocol.as_str() {
            return false;
        }
        match self.protocol {
            Protocol::Email => s.endpoint.eq_ignore_ascii_case(&self.endpoint),
            Protocol::Sms => phone_digits(&s.endpoint) == phone_digits(&self.endpoint),
            Protocol::Https | Protocol::Lambda => s.endpoint == self.endpoint,
        }
    }

    /// The endpoint as shown in plans, reports and logs. HTTPS endpoints carry their secret in
    /// the URL (PagerDuty's integration key in the path, Opsgenie's `apiKey` in the query), so
    /// only the scheme and host are shown, with a short fingerprint that tells two endpoints of
    /// the same host apart.
    pub fn display(&self) -> String {
        display_endpoint(self.protocol.as_str(), &self.endpoint)
    }
}

/// See [`SubscriptionSpec::display`]; for endpoints read from the account as well.
pub fn display_endpoint(protocol: &str, endpoint: &str) -> String {
    if protocol != "https" && protocol != "http" {
        return endpoint.to_string();
    }
    let (scheme, rest) = endpoint.split_once("://").unwrap_or(("", endpoint));
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    // Credentials in the authority (`user:password@host`) are not shown either.
    let host = host.rsplit('@').next().unwrap_or(host);
    format!(
        "{scheme}://{host}/…#{:08x}",
        fnv1a(endpoint.as_bytes()) as u32
    )
}

/// FNV-1a: stable across Rust versions and platforms, unlike `DefaultHasher`, so fingerprints
/// in reports and snapshots never change.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn phone_digits(number: &str) -> String {
    number.chars().filter(char::is_ascii_digit).collect()
}

/// How urgent a control's alarm is; routes it to topics (`[severities.LEVEL]`). Ordered from the
/// most urgent.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum AlarmSeverity {
    Critical,
    High,
    #[default]
    Medium,
    Low,
}

impl AlarmSeverity {
    pub const ALL: [AlarmSeverity; 4] = [
        AlarmSeverity::Critical,
        AlarmSeverity::High,
        AlarmSeverity::Medium,
        AlarmSeverity::Low,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AlarmSeverity::Critical => "critical",
            AlarmSeverity::High => "high",
            AlarmSeverity::Medium => "medium",
            AlarmSeverity::Low => "low",
        }
    }

    pub fn parse(text: &str) -> Option<AlarmSeverity> {
        AlarmSeverity::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl std::fmt::Display for AlarmSeverity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a chat channel lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "client", rename_all = "snake_case")]
pub enum ChatClient {
    Slack {
        workspace_id: String,
        channel_id: String,
    },
    Teams {
        tenant_id: String,
        team_id: String,
        channel_id: String,
    },
}

impl ChatClient {
    /// The workspace (Slack) or team (Teams) that must be authorized once in the console.
    pub fn workspace(&self) -> &str {
        match self {
            ChatClient::Slack { workspace_id, .. } => workspace_id,
            ChatClient::Teams { team_id, .. } => team_id,
        }
    }

    pub fn channel(&self) -> &str {
        match self {
            ChatClient::Slack { channel_id, .. } | ChatClient::Teams { channel_id, .. } => {
                channel_id
            }
        }
    }

    pub fn is_slack(&self) -> bool {
        matches!(self, ChatClient::Slack { .. })
    }
}

/// An AWS Chatbot (Amazon Q Developer in chat apps) channel configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatChannelSpec {
    /// Key of the `[chat.KEY]` table.
    pub key: String,
    /// The configuration's name (`trailwarden-KEY`).
    pub name: String,
    pub client: ChatClient,
    pub topic_arns: Vec<String>,
    /// The role the channel configuration uses (given by the user).
    pub role_arn: String,
    /// What people in the channel may do through it: read-only.
    pub guardrail_policy_arns: Vec<String>,
    pub tags: Tags,
}

/// What AWS Chatbot holds for the account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChatState {
    /// Slack workspaces and Teams teams authorized in the console.
    pub authorized: Vec<String>,
    pub channels: Vec<ChatChannelState>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatChannelState {
    pub arn: String,
    pub name: Option<String>,
    pub client: ChatClient,
    pub topic_arns: Vec<String>,
    pub role_arn: String,
    pub tags: Tags,
}

/// One item of an alarm's history (DescribeAlarmHistory).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlarmHistoryItem {
    pub timestamp_ms: i64,
    /// `StateUpdate`, `Action`, `ConfigurationUpdate`, ...
    pub kind: String,
    pub summary: String,
    /// JSON text.
    pub data: Option<String>,
}

/// One CloudWatch Logs event (FilterLogEvents).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogEvent {
    pub timestamp_ms: i64,
    pub message: String,
    pub stream: String,
    pub event_id: String,
}
