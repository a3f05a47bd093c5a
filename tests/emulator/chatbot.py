"""A small AWS Chatbot (Amazon Q Developer in chat apps) for the emulator: moto 5.2.5 has none.

Only what trailwarden calls, in the REST-JSON form the SDKs send (POST /describe-slack-workspaces,
...), with state per account:

- DescribeSlackWorkspaces / ListMicrosoftTeamsConfiguredTeams list the workspaces and teams
  authorized for the account. Authorizing is a console step on AWS ("you must perform the initial
  authorization flow with Slack in the AWS Chatbot console", AWS::Chatbot::SlackChannelConfiguration,
  https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_chatbot.CfnSlackChannelConfiguration.html);
  here the harness does it (POST /_harness/chatbot).
- Create*ChannelConfiguration refuses a workspace or team that is not authorized and a name that
  exists; Update* changes the channel, topics, role and guardrails of an existing configuration;
  Describe/List return them with their tags.
  https://docs.aws.amazon.com/chatbot/latest/APIReference/API_CreateSlackChannelConfiguration.html
"""

from __future__ import annotations

import json
import threading
from typing import Any

PATHS = {
    "/describe-slack-workspaces": "DescribeSlackWorkspaces",
    "/describe-slack-channel-configurations": "DescribeSlackChannelConfigurations",
    "/create-slack-channel-configuration": "CreateSlackChannelConfiguration",
    "/update-slack-channel-configuration": "UpdateSlackChannelConfiguration",
    "/list-ms-teams-configured-teams": "ListMicrosoftTeamsConfiguredTeams",
    "/list-ms-teams-channel-configurations": "ListMicrosoftTeamsChannelConfigurations",
    "/create-ms-teams-channel-configuration": "CreateMicrosoftTeamsChannelConfiguration",
    "/update-ms-teams-channel-configuration": "UpdateMicrosoftTeamsChannelConfiguration",
}


class ChatbotError(Exception):
    def __init__(self, status: str, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class Chatbot:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        # account -> {"slack": {team_id: name}, "teams": {team_id: tenant_id}, "channels": {arn: cfg}}
        self.accounts: dict[str, dict[str, Any]] = {}

    def _state(self, account: str) -> dict[str, Any]:
        return self.accounts.setdefault(account, {"slack": {}, "teams": {}, "channels": {}})

    def authorize(self, account: str, slack: list[str], teams: list[dict[str, str]]) -> dict[str, Any]:
        with self.lock:
            state = self._state(account)
            for team_id in slack:
                state["slack"][team_id] = f"workspace-{team_id}"
            for team in teams:
                state["teams"][team["team_id"]] = team["tenant_id"]
            return {"slack": sorted(state["slack"]), "teams": sorted(state["teams"])}

    def handle(self, account: str, operation: str, body: bytes) -> dict[str, Any]:
        request = json.loads(body or b"{}")
        with self.lock:
            state = self._state(account)
            return getattr(self, "_" + operation)(account, state, request)

    # -- reads

    def _DescribeSlackWorkspaces(self, _a: str, state: dict, _r: dict) -> dict:
        return {"SlackWorkspaces": [{"SlackTeamId": t, "SlackTeamName": n} for t, n in sorted(state["slack"].items())]}

    def _ListMicrosoftTeamsConfiguredTeams(self, _a: str, state: dict, _r: dict) -> dict:
        return {"ConfiguredTeams": [{"TeamId": t, "TenantId": tenant, "TeamName": f"team-{t}"}
                                    for t, tenant in sorted(state["teams"].items())]}

    def _DescribeSlackChannelConfigurations(self, _a: str, state: dict, _r: dict) -> dict:
        return {"SlackChannelConfigurations": [c for c in state["channels"].values() if "SlackTeamId" in c]}

    def _ListMicrosoftTeamsChannelConfigurations(self, _a: str, state: dict, _r: dict) -> dict:
        return {"TeamChannelConfigurations": [c for c in state["channels"].values() if "TeamId" in c]}

    # -- writes

    def _new(self, account: str, state: dict, request: dict, client: dict) -> dict:
        name = request.get("ConfigurationName", "")
        if any(c["ConfigurationName"] == name for c in state["channels"].values()):
            raise ChatbotError("409 Conflict", "ConflictException", f"Configuration {name} already exists")
        for key in ("IamRoleArn", "ConfigurationName"):
            if not request.get(key):
                raise ChatbotError("400 Bad Request", "InvalidParameterException", f"{key} is required")
        arn = f"arn:aws:chatbot::{account}:chat-configuration/{'slack' if 'SlackTeamId' in client else 'microsoft-teams'}-channel/{name}"
        config = {
            **client,
            "ChatConfigurationArn": arn,
            "ConfigurationName": name,
            "IamRoleArn": request["IamRoleArn"],
            "SnsTopicArns": list(request.get("SnsTopicArns") or []),
            "GuardrailPolicyArns": list(request.get("GuardrailPolicyArns")
                                        or ["arn:aws:iam::aws:policy/AdministratorAccess"]),
            "LoggingLevel": request.get("LoggingLevel", "NONE"),
            "UserAuthorizationRequired": bool(request.get("UserAuthorizationRequired", False)),
            "Tags": list(request.get("Tags") or []),
        }
        state["channels"][arn] = config
        return {"ChannelConfiguration": config}

    def _CreateSlackChannelConfiguration(self, account: str, state: dict, request: dict) -> dict:
        team = request.get("SlackTeamId", "")
        if team not in state["slack"]:
            raise ChatbotError("400 Bad Request", "InvalidRequestException",
                               f"Slack workspace {team} is not authorized for this account")
        client = {"SlackTeamId": team, "SlackTeamName": state["slack"][team],
                  "SlackChannelId": request.get("SlackChannelId", ""),
                  "SlackChannelName": request.get("SlackChannelName") or request.get("SlackChannelId", "")}
        return self._new(account, state, request, client)

    def _CreateMicrosoftTeamsChannelConfiguration(self, account: str, state: dict, request: dict) -> dict:
        team = request.get("TeamId", "")
        if state["teams"].get(team) != request.get("TenantId"):
            raise ChatbotError("400 Bad Request", "InvalidRequestException",
                               f"Microsoft Teams team {team} is not configured for this account")
        client = {"TeamId": team, "TeamName": f"team-{team}", "TenantId": request["TenantId"],
                  "ChannelId": request.get("ChannelId", ""),
                  "ChannelName": request.get("ChannelName") or request.get("ChannelId", "")}
        return self._new(account, state, request, client)

    def _update(self, state: dict, request: dict, channel_key: str) -> dict:
        arn = request.get("ChatConfigurationArn", "")
        config = state["channels"].get(arn)
        if config is None or channel_key not in config:
            raise ChatbotError("404 Not Found", "ResourceNotFoundException", f"No configuration {arn}")
        config[channel_key] = request.get(channel_key, config[channel_key])
        for key in ("SnsTopicArns", "IamRoleArn", "GuardrailPolicyArns", "LoggingLevel"):
            if key in request:
                config[key] = request[key]
        return {"ChannelConfiguration": config}

    def _UpdateSlackChannelConfiguration(self, _a: str, state: dict, request: dict) -> dict:
        return self._update(state, request, "SlackChannelId")

    def _UpdateMicrosoftTeamsChannelConfiguration(self, _a: str, state: dict, request: dict) -> dict:
        return self._update(state, request, "ChannelId")
