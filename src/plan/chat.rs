//! Planning the Slack / Microsoft Teams channel configurations (AWS Chatbot).

use serde_json::json;

use super::*;

impl Planner<'_> {
    pub(super) fn chats(&mut self) {
        for spec in &self.d.chats {
            let address = format!("chat_channel.{}", spec.name);
            let workspace = spec.client.workspace();
            // The workspace (Slack) or team (Teams) is authorized once, in the console; until
            // then no channel configuration can be made for it.
            if !self.a.chat.authorized.iter().any(|w| w == workspace) {
                let mut diffs = Diffs::default();
                diffs.push(
                    "authorized",
                    DriftKind::ChatWorkspaceUnauthorized,
                    json!(workspace),
                    json!(null),
                    Severity::High,
                );
                self.push(
                    address,
                    Resource::ChatChannel,
                    Action::Update,
                    diffs.0,
                    vec![],
                );
                self.warn(
                    "chat-workspace-unauthorized",
                    Some(&format!("chat_channel.{}", spec.name)),
                    format!(
                        "{} `{workspace}` is not authorized for AWS Chatbot in this account: authorize it once in the console (Amazon Q Developer in chat apps → Configure new client), then apply again",
                        if spec.client.is_slack() {
                            "Slack workspace"
                        } else {
                            "Microsoft Teams team"
                        }
                    ),
                );
                continue;
            }
            let existing = self
                .a
                .chat
                .channels
                .iter()
                .find(|c| c.name.as_deref() == Some(spec.name.as_str()));
            let Some(have) = existing else {
                self.push(
                    address,
                    Resource::ChatChannel,
                    Action::Create,
                    vec![missing(DriftKind::ChatMissing)],
                    vec![Op::CreateChatChannel {
                        channel: spec.clone(),
                    }],
                );
                continue;
            };
            if !is_managed(&have.tags) {
                self.conflict(
                    "foreign-chat-channel",
                    &address,
                    format!(
                        "a channel configuration named `{}` exists but was not created by trailwarden; rename the `[chat.{}]` table or remove that configuration",
                        spec.name, spec.key
                    ),
                );
                continue;
            }
            let mut diffs = Diffs::default();
            diffs.compare(
                "channel",
                DriftKind::ChatChannel,
                json!(spec.client),
                json!(have.client),
                Severity::High,
            );
            let missing_topics: Vec<&String> = spec
                .topic_arns
                .iter()
                .filter(|t| !have.topic_arns.contains(t))
                .collect();
            if !missing_topics.is_empty() {
                diffs.push(
                    "sns_topic_arns",
                    DriftKind::ChatTopics,
                    json!(spec.topic_arns),
                    json!(have.topic_arns),
                    Severity::High,
                );
            }
            diffs.compare(
                "iam_role_arn",
                DriftKind::ChatRole,
                json!(spec.role_arn),
                json!(have.role_arn),
                Severity::Medium,
            );
            // Topics someone added to the channel are kept.
            let mut channel = spec.clone();
            channel.topic_arns = have.topic_arns.clone();
            for t in &spec.topic_arns {
                if !channel.topic_arns.contains(t) {
                    channel.topic_arns.push(t.clone());
                }
            }
            let ops = if diffs.0.is_empty() {
                vec![]
            } else {
                vec![Op::UpdateChatChannel {
                    arn: have.arn.clone(),
                    channel,
                }]
            };
            self.push(address, Resource::ChatChannel, Action::Update, diffs.0, ops);
        }
    }
}
