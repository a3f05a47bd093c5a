//! The alerting tables of the configuration: `[severities.LEVEL]` routes and `[chat.KEY]`
//! channels, each checked before any request.

use std::collections::BTreeMap;

use super::*;

/// Each severity's topics and OK actions, checked: known severities, known topic keys.
pub(super) fn severity_routes(
    file: &FileConfig,
    topics: &[TopicSettings],
    src: &Source,
    diags: &mut Diagnostics,
) -> BTreeMap<AlarmSeverity, SeverityRoute> {
    let mut routes = BTreeMap::new();
    for (name, route) in &file.severities {
        let at = src.at(&format!("severities.{name}"));
        let Some(severity) = AlarmSeverity::parse(name) else {
            diags.push(src.error_at(
                Code::SeverityUnknown,
                at,
                format!("unknown severity `{name}` (expected one of: critical, high, medium, low)"),
            ));
            continue;
        };
        for (i, key) in route.topics.iter().flatten().enumerate() {
            if !topics.iter().any(|t| &t.key == key) {
                diags.push(src.error_at(
                    Code::TopicUnknown,
                    src.at(&format!("severities.{name}.topics[{i}]")).or(at),
                    format!("severity `{name}` names topic `{key}`, but there is no [topics.{key}] table"),
                ));
            }
        }
        if route.topics.as_ref().is_some_and(Vec::is_empty) {
            diags.push(src.error_at(
                Code::TopicUnknown,
                at,
                format!("severity `{name}` routes to no topic: its alarms would notify nobody"),
            ));
        }
        routes.insert(severity, route.clone());
    }
    routes
}

/// Each `[chat.KEY]`: one client (Slack or Teams) with its ids as AWS Chatbot takes them, a
/// role, known topics.
/// <https://docs.aws.amazon.com/chatbot/latest/APIReference/API_CreateSlackChannelConfiguration.html>
pub(super) fn chats(
    file: &FileConfig,
    topics: &[TopicSettings],
    src: &Source,
    diags: &mut Diagnostics,
) -> Vec<ChatSettings> {
    let mut out = Vec::new();
    for (key, c) in &file.chat {
        let at = |field: &str| {
            src.at(&format!("chat.{key}.{field}"))
                .or(src.at(&format!("chat.{key}")))
        };
        let mut error = |field: &str, msg: String| {
            diags.push(src.error_at(Code::ChatInvalid, at(field), format!("`chat.{key}`: {msg}")));
        };
        // The configuration's name, `trailwarden-KEY`: letters, digits, `-` and `_`, 128 at most.
        if key.is_empty()
            || key.len() > 128 - "trailwarden-".len()
            || !key
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
        {
            error(
                "",
                "the key must be letters, digits, `-` or `_` (it names the channel configuration)"
                    .into(),
            );
        }
        let slack = (&c.slack_workspace_id, &c.slack_channel_id);
        let teams = (&c.teams_tenant_id, &c.teams_team_id, &c.teams_channel_id);
        let any_slack = slack.0.is_some() || slack.1.is_some();
        let any_teams = teams.0.is_some() || teams.1.is_some() || teams.2.is_some();
        let client = match (any_slack, any_teams) {
            (true, true) | (false, false) => {
                error("", "give either slack_workspace_id and slack_channel_id, or teams_tenant_id, teams_team_id and teams_channel_id".into());
                None
            }
            (true, false) => match slack {
                (Some(w), Some(ch)) => {
                    if !(1..=255).contains(&w.len())
                        || !w
                            .chars()
                            .all(|x| x.is_ascii_digit() || x.is_ascii_uppercase())
                    {
                        error("slack_workspace_id", format!("`{w}` is not a Slack workspace (team) id: upper-case letters and digits, e.g. T07EA123LEP, as the Chatbot console shows it"));
                    }
                    if !(1..=255).contains(&ch.len())
                        || !ch.chars().all(|x| x.is_ascii_alphanumeric())
                    {
                        error("slack_channel_id", format!("`{ch}` is not a Slack channel id: letters and digits, e.g. C07EZ1ABC23 (the end of the channel's link)"));
                    }
                    Some(crate::model::ChatClient::Slack {
                        workspace_id: w.clone(),
                        channel_id: ch.clone(),
                    })
                }
                _ => {
                    error(
                        "",
                        "a Slack channel needs both slack_workspace_id and slack_channel_id".into(),
                    );
                    None
                }
            },
            (false, true) => {
                match teams {
                    (Some(tenant), Some(team), Some(ch)) => {
                        for (field, v) in [("teams_tenant_id", tenant), ("teams_team_id", team)] {
                            if !is_uuid(v) {
                                error(field, format!("`{v}` is not an id of the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"));
                            }
                        }
                        if ch.is_empty() || ch.len() > 255 || ch.contains(char::is_whitespace) {
                            error("teams_channel_id", format!("`{ch}` is not a Teams channel id (from the channel's link, e.g. 19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2)"));
                        }
                        Some(crate::model::ChatClient::Teams {
                            tenant_id: tenant.clone(),
                            team_id: team.clone(),
                            channel_id: ch.clone(),
                        })
                    }
                    _ => {
                        error("", "a Teams channel needs teams_tenant_id, teams_team_id and teams_channel_id".into());
                        None
                    }
                }
            }
        };
        let role = c.iam_role_arn.clone().unwrap_or_default();
        let role_ok = role.starts_with("arn:aws")
            && role.split(':').nth(2) == Some("iam")
            && role
                .split(':')
                .nth(4)
                .is_some_and(|a| a.len() == 12 && a.chars().all(|x| x.is_ascii_digit()))
            && role
                .split(':')
                .nth(5)
                .is_some_and(|r| r.starts_with("role/") && r.len() > 5);
        if !role_ok {
            error("iam_role_arn", "`iam_role_arn` must be the ARN of the IAM role the channel uses (trusted by chatbot.amazonaws.com), e.g. arn:aws:iam::111122223333:role/chatbot-notifications".into());
        }
        let topic_keys = c
            .topics
            .clone()
            .unwrap_or_else(|| vec![DEFAULT_TOPIC_KEY.to_string()]);
        if topic_keys.is_empty() {
            error(
                "topics",
                "`topics` is empty: the channel would show nothing".into(),
            );
        }
        for (i, t) in topic_keys.iter().enumerate() {
            if !topics.iter().any(|x| &x.key == t) {
                diags.push(src.error_at(
                    Code::TopicUnknown,
                    src.at(&format!("chat.{key}.topics[{i}]")).or(at("topics")),
                    format!("chat `{key}` names topic `{t}`, but there is no [topics.{t}] table"),
                ));
            }
        }
        if let Some(client) = client {
            out.push(ChatSettings {
                key: key.clone(),
                client,
                topic_keys,
                role_arn: role,
            });
        }
    }
    out
}

fn is_uuid(v: &str) -> bool {
    let parts: Vec<&str> = v.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}
