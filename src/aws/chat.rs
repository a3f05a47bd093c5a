//! AWS Chatbot (Amazon Q Developer in chat apps): the Slack and Microsoft Teams channel
//! configurations told of the alarm topics, and which workspaces / teams are authorized.
//!
//! Read only when the configuration names chat channels. The emulator (moto 5.2.5) has no
//! Chatbot: these calls are covered by the port-level fake (`src/fake.rs`) only.
//!
//! "AWS Chatbot APIs are currently available in the following Regions: US East (Ohio) -
//! us-east-2, US West (Oregon) - us-west-2, Asia Pacific (Singapore) - ap-southeast-1, Europe
//! (Ireland) - eu-west-1" (AWS Chatbot API Reference,
//! <https://docs.aws.amazon.com/cli/latest/reference/chatbot/index.html>): the client is the
//! chain's region when it is one of them, else us-east-2, where the console lives.

use aws_sdk_chatbot::types::Tag;

use super::{sdk_error, Aws, AwsError};
use crate::model::{ChatChannelSpec, ChatChannelState, ChatClient, ChatState, Desired, Tags};

pub(crate) const CHATBOT_REGIONS: &[&str] =
    &["us-east-2", "us-west-2", "ap-southeast-1", "eu-west-1"];

/// The region the Chatbot client signs for.
pub(crate) fn chatbot_region(region: &str) -> &str {
    if CHATBOT_REGIONS.contains(&region) {
        region
    } else {
        "us-east-2"
    }
}

fn tags_of(tags: &[Tag]) -> Tags {
    tags.iter()
        .map(|t| (t.tag_key().to_string(), t.tag_value().to_string()))
        .collect()
}

fn tags_to(tags: &Tags) -> Result<Vec<Tag>, AwsError> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .tag_key(k)
                .tag_value(v)
                .build()
                .map_err(|e| AwsError::Other(format!("chatbot tag: {e}")))
        })
        .collect()
}

impl Aws {
    pub(crate) async fn read_chat(&self, desired: &Desired) -> Result<ChatState, AwsError> {
        let mut state = ChatState::default();
        if desired.chats.iter().any(|c| c.client.is_slack()) {
            let mut pages = self
                .chatbot
                .describe_slack_workspaces()
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let out = page.map_err(|e| sdk_error("chatbot:DescribeSlackWorkspaces", e))?;
                state.authorized.extend(
                    out.slack_workspaces()
                        .iter()
                        .map(|w| w.slack_team_id().to_string()),
                );
            }
            let mut pages = self
                .chatbot
                .describe_slack_channel_configurations()
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let out =
                    page.map_err(|e| sdk_error("chatbot:DescribeSlackChannelConfigurations", e))?;
                state
                    .channels
                    .extend(
                        out.slack_channel_configurations()
                            .iter()
                            .map(|c| ChatChannelState {
                                arn: c.chat_configuration_arn().to_string(),
                                name: c.configuration_name().map(str::to_string),
                                client: ChatClient::Slack {
                                    workspace_id: c.slack_team_id().to_string(),
                                    channel_id: c.slack_channel_id().to_string(),
                                },
                                topic_arns: c.sns_topic_arns().to_vec(),
                                role_arn: c.iam_role_arn().to_string(),
                                tags: tags_of(c.tags()),
                            }),
                    );
            }
        }
        if desired.chats.iter().any(|c| !c.client.is_slack()) {
            let mut pages = self
                .chatbot
                .list_microsoft_teams_configured_teams()
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let out =
                    page.map_err(|e| sdk_error("chatbot:ListMicrosoftTeamsConfiguredTeams", e))?;
                state.authorized.extend(
                    out.configured_teams()
                        .iter()
                        .map(|t| t.team_id().to_string()),
                );
            }
            let mut pages = self
                .chatbot
                .list_microsoft_teams_channel_configurations()
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let out = page
                    .map_err(|e| sdk_error("chatbot:ListMicrosoftTeamsChannelConfigurations", e))?;
                state
                    .channels
                    .extend(
                        out.team_channel_configurations()
                            .iter()
                            .map(|c| ChatChannelState {
                                arn: c.chat_configuration_arn().to_string(),
                                name: c.configuration_name().map(str::to_string),
                                client: ChatClient::Teams {
                                    tenant_id: c.tenant_id().to_string(),
                                    team_id: c.team_id().to_string(),
                                    channel_id: c.channel_id().to_string(),
                                },
                                topic_arns: c.sns_topic_arns().to_vec(),
                                role_arn: c.iam_role_arn().to_string(),
                                tags: tags_of(c.tags()),
                            }),
                    );
            }
        }
        Ok(state)
    }

    pub(crate) async fn create_chat_channel(
        &self,
        api: &str,
        c: &ChatChannelSpec,
    ) -> Result<(), AwsError> {
        let tags = tags_to(&c.tags)?;
        match &c.client {
            ChatClient::Slack {
                workspace_id,
                channel_id,
            } => self
                .chatbot
                .create_slack_channel_configuration()
                .configuration_name(&c.name)
                .slack_team_id(workspace_id)
                .slack_channel_id(channel_id)
                .iam_role_arn(&c.role_arn)
                .set_sns_topic_arns(Some(c.topic_arns.clone()))
                .set_guardrail_policy_arns(Some(c.guardrail_policy_arns.clone()))
                .set_tags(Some(tags))
                .send()
                .await
                .map(drop)
                .map_err(|e| sdk_error(api, e)),
            ChatClient::Teams {
                tenant_id,
                team_id,
                channel_id,
            } => self
                .chatbot
                .create_microsoft_teams_channel_configuration()
                .configuration_name(&c.name)
                .tenant_id(tenant_id)
                .team_id(team_id)
                .channel_id(channel_id)
                .iam_role_arn(&c.role_arn)
                .set_sns_topic_arns(Some(c.topic_arns.clone()))
                .set_guardrail_policy_arns(Some(c.guardrail_policy_arns.clone()))
                .set_tags(Some(tags))
                .send()
                .await
                .map(drop)
                .map_err(|e| sdk_error(api, e)),
        }
    }

    pub(crate) async fn update_chat_channel(
        &self,
        api: &str,
        arn: &str,
        c: &ChatChannelSpec,
    ) -> Result<(), AwsError> {
        match &c.client {
            ChatClient::Slack { channel_id, .. } => self
                .chatbot
                .update_slack_channel_configuration()
                .chat_configuration_arn(arn)
                .slack_channel_id(channel_id)
                .iam_role_arn(&c.role_arn)
                .set_sns_topic_arns(Some(c.topic_arns.clone()))
                .set_guardrail_policy_arns(Some(c.guardrail_policy_arns.clone()))
                .send()
                .await
                .map(drop)
                .map_err(|e| sdk_error(api, e)),
            ChatClient::Teams { channel_id, .. } => self
                .chatbot
                .update_microsoft_teams_channel_configuration()
                .chat_configuration_arn(arn)
                .channel_id(channel_id)
                .iam_role_arn(&c.role_arn)
                .set_sns_topic_arns(Some(c.topic_arns.clone()))
                .set_guardrail_policy_arns(Some(c.guardrail_policy_arns.clone()))
                .send()
                .await
                .map(drop)
                .map_err(|e| sdk_error(api, e)),
        }
    }
}
