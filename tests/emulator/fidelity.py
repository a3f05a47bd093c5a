"""In-process adjustments that bring moto 5.2.5 closer to AWS where it matters
to trailwarden. Each one is listed in README.md; server.py applies them unless
started with --plain-moto.

They patch moto's model/response classes (the versions are pinned in
requirements.txt), so a moto upgrade must re-check every patch: apply() fails
loudly when a patched attribute has gone away.
"""

from __future__ import annotations

import inspect
import json
import re
import time
import unicodedata
from typing import Any, Callable
from urllib.parse import unquote

APPLIED: list[str] = []

DEFAULT_SSE = {
    "Rule": {
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
        "BucketKeyEnabled": "false",
    }
}


def _wrap(owner: Any, name: str, make: Callable[[Callable], Callable], label: str) -> None:
    original = getattr(owner, name, None)
    if original is None:
        raise RuntimeError(f"fidelity patch '{label}': {owner.__name__}.{name} not found (moto changed?)")
    setattr(owner, name, make(original))
    APPLIED.append(label)


# ---------------------------------------------------------------- CloudWatch Logs


def _patch_logs() -> None:
    from moto.logs import metric_filters as mf
    from moto.logs.exceptions import ResourceNotFoundException
    from moto.logs.models import LogsBackend

    def make_add(_original: Callable) -> Callable:
        # AWS: PutMetricFilter with an existing name replaces that filter.
        # moto: appends a second filter of the same name, and reports no creationTime.
        def add_filter(self: Any, filter_name: str, filter_pattern: str, log_group_name: str,
                       metric_transformations: Any) -> None:
            created = int(time.time() * 1000)
            kept = []
            for f in self.metric_filters:
                if f["filterName"] == filter_name and f["logGroupName"] == log_group_name:
                    created = f.get("creationTime", created)
                else:
                    kept.append(f)
            kept.append({
                "filterName": filter_name,
                "filterPattern": filter_pattern,
                "logGroupName": log_group_name,
                "metricTransformations": metric_transformations,
                "creationTime": created,
            })
            self.metric_filters[:] = kept

        return add_filter

    _wrap(mf.MetricFilters, "add_filter", make_add, "logs: PutMetricFilter replaces a same-named filter, sets creationTime")

    def make_put(original: Callable) -> Callable:
        # AWS: ResourceNotFoundException when the log group does not exist.
        def put_metric_filter(self: Any, filter_name: str, filter_pattern: str, log_group_name: str,
                              metric_transformations: Any) -> Any:
            if log_group_name not in self.groups:
                raise ResourceNotFoundException()
            return original(self, filter_name, filter_pattern, log_group_name, metric_transformations)

        return put_metric_filter

    _wrap(LogsBackend, "put_metric_filter", make_put, "logs: PutMetricFilter needs an existing log group")

    def make_delete(_original: Callable) -> Callable:
        # AWS: ResourceNotFoundException for a missing filter (moto: silent success).
        def delete_metric_filter(self: Any, filter_name: str | None = None, log_group_name: str | None = None) -> None:
            filters = self.filters.metric_filters
            kept = [f for f in filters if not (f["filterName"] == filter_name and f["logGroupName"] == log_group_name)]
            if len(kept) == len(filters):
                raise ResourceNotFoundException("The specified resource does not exist.")
            filters[:] = kept

        return delete_metric_filter

    _wrap(LogsBackend, "delete_metric_filter", make_delete, "logs: DeleteMetricFilter of a missing filter fails")

    def make_delete_group(original: Callable) -> Callable:
        # AWS: deleting a log group deletes its metric filters too.
        def delete_log_group(self: Any, log_group_name: str) -> Any:
            result = original(self, log_group_name)
            filters = self.filters.metric_filters
            filters[:] = [f for f in filters if f["logGroupName"] != log_group_name]
            return result

        return delete_log_group

    _wrap(LogsBackend, "delete_log_group", make_delete_group, "logs: DeleteLogGroup removes its metric filters")


# ---------------------------------------------------------------- CloudTrail


def _patch_cloudtrail() -> None:
    from moto.cloudtrail.models import CloudTrailBackend
    from moto.cloudtrail.responses import CloudTrailResponse
    from moto.core.exceptions import JsonRESTError

    class TrailAlreadyExistsException(JsonRESTError):
        code = 400

        def __init__(self, account_id: str, name: str):
            super().__init__(
                "TrailAlreadyExistsException",
                f"Trail {name} already exists for customer: {account_id}",
            )

    def make_create(original: Callable) -> Callable:
        # AWS: TrailAlreadyExistsException. moto: silently replaces the trail (logging off).
        def create_trail(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
            if name in self.trails:
                raise TrailAlreadyExistsException(self.account_id, name)
            return original(self, name, *args, **kwargs)

        return create_trail

    _wrap(CloudTrailBackend, "create_trail", make_create, "cloudtrail: CreateTrail on an existing name fails")

    def make_describe(_original: Callable) -> Callable:
        # AWS honours trailNameList (names or ARNs); moto ignores it.
        def describe_trails(self: Any) -> str:
            include_shadow = self._get_bool_param("includeShadowTrails", True)
            wanted = self._get_param("trailNameList") or []
            trails = self.cloudtrail_backend.describe_trails(include_shadow)
            if wanted:
                trails = [t for t in trails if t.trail_name in wanted or t.arn in wanted]
            return json.dumps({"trailList": [t.description(include_region=True) for t in trails]})

        return describe_trails

    _wrap(CloudTrailResponse, "describe_trails", make_describe, "cloudtrail: DescribeTrails honours trailNameList")

    def make_get(_original: Callable) -> Callable:
        # AWS: GetTrail reports HomeRegion; moto leaves it out.
        def get_trail(self: Any) -> str:
            trail = self.cloudtrail_backend.get_trail(self._get_param("Name"))
            return json.dumps({"Trail": trail.description(include_region=True)})

        return get_trail

    _wrap(CloudTrailResponse, "get_trail", make_get, "cloudtrail: GetTrail reports HomeRegion")


# ---------------------------------------------------------------- S3


def _patch_s3() -> None:
    from moto.s3.models import PublicAccessBlock, S3Backend

    def make_create(original: Callable) -> Callable:
        # AWS (since 2023): new buckets have SSE-S3 default encryption and all four
        # Block Public Access settings on. moto: neither configuration exists.
        def create_bucket(self: Any, *args: Any, **kwargs: Any) -> Any:
            bucket = original(self, *args, **kwargs)
            if getattr(bucket, "encryption", None) is None:
                bucket.encryption = json.loads(json.dumps(DEFAULT_SSE))
            if getattr(bucket, "public_access_block", None) is None:
                bucket.public_access_block = PublicAccessBlock(True, True, True, True)
            return bucket

        return create_bucket

    _wrap(S3Backend, "create_bucket", make_create, "s3: new buckets start with SSE-S3 and Block Public Access on")

    def make_delete_enc(_original: Callable) -> Callable:
        # AWS: DeleteBucketEncryption reverts to SSE-S3 rather than to nothing.
        def delete_bucket_encryption(self: Any, bucket_name: str) -> None:
            self.get_bucket(bucket_name).encryption = json.loads(json.dumps(DEFAULT_SSE))

        return delete_bucket_encryption

    _wrap(S3Backend, "delete_bucket_encryption", make_delete_enc, "s3: DeleteBucketEncryption reverts to SSE-S3")


# ---------------------------------------------------------------- CloudWatch alarms

# PutMetricAlarm (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html):
# "When you update an existing alarm, its state is left unchanged, but the update completely overwrites
# the previous configuration of the alarm"; its Tags parameter: "If you are using this operation to update
# an existing alarm, any tags you specify in this parameter are ignored" (that sentence was added for
# github.com/aws/aws-sdk/issues/27). moto 5.2.5 builds a new alarm each time: state back to OK with a new
# StateUpdatedTimestamp and reason, history lost, and the tags merged into the existing ones.
ALARM_STATE_ATTRIBUTES = ("state_value", "state_reason", "state_reason_data", "state_updated_timestamp", "history")


def _patch_cloudwatch() -> None:
    from moto.cloudwatch.models import CloudWatchBackend

    def make_put(original: Callable) -> Callable:
        signature = inspect.signature(original)

        def put_metric_alarm(self: Any, *args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(self, *args, **kwargs)
            existing = self.alarms.get(bound.arguments["name"])
            if existing is None:
                return original(*bound.args, **bound.kwargs)
            bound.arguments["tags"] = None
            alarm = original(*bound.args, **bound.kwargs)
            for attribute in ALARM_STATE_ATTRIBUTES:
                setattr(alarm, attribute, getattr(existing, attribute))
            return alarm

        return put_metric_alarm

    _wrap(CloudWatchBackend, "put_metric_alarm", make_put,
          "cloudwatch: PutMetricAlarm on an existing alarm keeps its state and ignores Tags")

    def make_delete(original: Callable) -> Callable:
        # AWS: an alarm's tags are part of the alarm; deleting it deletes them, and a new alarm of
        # the same name starts untagged. moto keeps the tags by ARN, so a re-created alarm
        # inherits the old alarm's tags (and would pass for trailwarden's).
        def delete_alarms(self: Any, alarm_names: list[str]) -> None:
            for name in alarm_names:
                alarm = self.alarms.get(name)
                if alarm is not None:
                    self.tagger.delete_all_tags_for_resource(alarm.alarm_arn)
            return original(self, alarm_names)

        return delete_alarms

    _wrap(CloudWatchBackend, "delete_alarms", make_delete,
          "cloudwatch: DeleteAlarms deletes the alarms' tags")

    def make_list_tags(original: Callable) -> Callable:
        # AWS ListTagsForResource (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_ListTagsForResource.html):
        # "ResourceNotFound: The named resource does not exist", HTTP 404. moto answers an empty
        # tag list for any ARN.
        from moto.cloudwatch.exceptions import ResourceNotFound

        def list_tags_for_resource(self: Any, arn: str) -> Any:
            if ":alarm:" in arn and not any(a.alarm_arn == arn for a in self.alarms.values()):
                raise ResourceNotFound()
            return original(self, arn)

        return list_tags_for_resource

    _wrap(CloudWatchBackend, "list_tags_for_resource", make_list_tags,
          "cloudwatch: ListTagsForResource of an alarm that does not exist -> ResourceNotFound")


# ---------------------------------------------------------------- SNS subscriptions and alarm actions
#
# Subscribe (SNS API Reference): "If the endpoint type is HTTP/S or email, or if the endpoint and
# the topic are not in the same Amazon Web Services account, the endpoint owner must run the
# ConfirmSubscription action to confirm the subscription."
# https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html
# moto confirms every subscription at once and POSTs each message to HTTP/S endpoints, so a test
# would reach the network. Here HTTP/S subscriptions stay "PendingConfirmation" (listed with that
# ARN, as AWS lists them) and nothing is delivered to a pending subscription. Email keeps moto's
# behaviour (confirmed at once): the chain tests rely on it, and the fake covers pending email.
# A delivery that fails (a Lambda function that does not exist) does not fail the Publish, as on
# AWS where deliveries are asynchronous; it is counted on the topic (NumberOfNotificationsFailed).

SNS_CONFIRMED_BY_ENDPOINT = ("http", "https")
PENDING_ARN = "PendingConfirmation"


def _patch_sns() -> None:
    import copy

    from moto.sns.models import SNSBackend, Subscription

    def make_subscribe(original: Callable) -> Callable:
        def subscribe(self: Any, topic_arn: str, endpoint: str, protocol: str) -> Any:
            existing = self._find_subscription(topic_arn, endpoint, protocol)
            sub = original(self, topic_arn, endpoint, protocol)
            if existing is None and protocol in SNS_CONFIRMED_BY_ENDPOINT:
                sub.tw_pending = True
                sub.confirmed = False
                sub.attributes["PendingConfirmation"] = "true"
            return sub

        return subscribe

    def listed(subscriptions: list[Any]) -> list[Any]:
        out = []
        for sub in subscriptions:
            if getattr(sub, "tw_pending", False):
                sub = copy.copy(sub)
                sub.arn = PENDING_ARN
            out.append(sub)
        return out

    def make_list_by_topic(original: Callable) -> Callable:
        def list_subscriptions_by_topic(self: Any, topic_arn: str, next_token: Any = None) -> Any:
            subs, token = original(self, topic_arn, next_token=next_token)
            return listed(subs), token

        return list_subscriptions_by_topic

    def make_list(original: Callable) -> Callable:
        def list_subscriptions(self: Any, next_token: Any = None) -> Any:
            subs, token = original(self, next_token=next_token)
            return listed(subs), token

        return list_subscriptions

    def make_publish(original: Callable) -> Callable:
        def publish(self: Any, *args: Any, **kwargs: Any) -> None:
            if getattr(self, "tw_pending", False):
                return
            try:
                original(self, *args, **kwargs)
                self.topic.tw_delivered = getattr(self.topic, "tw_delivered", 0) + 1
            except Exception:  # noqa: BLE001 - any delivery failure is the endpoint's, not Publish's
                self.topic.tw_failed = getattr(self.topic, "tw_failed", 0) + 1

        return publish

    _wrap(SNSBackend, "subscribe", make_subscribe,
          "sns: HTTP/S subscriptions stay PendingConfirmation until confirmed; nothing is sent to them")
    _wrap(SNSBackend, "list_subscriptions_by_topic", make_list_by_topic,
          "sns: ListSubscriptionsByTopic lists a pending subscription with the ARN PendingConfirmation")
    _wrap(SNSBackend, "list_subscriptions", make_list,
          "sns: ListSubscriptions lists a pending subscription with the ARN PendingConfirmation")
    _wrap(Subscription, "publish", make_publish,
          "sns: a failed delivery (no such Lambda function) does not fail Publish; counted on the topic")


# SetAlarmState (CloudWatch API Reference): "Temporarily sets the state of an alarm for testing
# purposes. [...] When the updated state differs from the previous value, the action configured
# for the appropriate state is invoked."
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_SetAlarmState.html
# moto changes the state and invokes nothing, and has no DescribeAlarmHistory. Here a state change
# publishes the alarm's notification (the JSON documented in "Using Amazon CloudWatch alarms" /
# "Amazon SNS notifications", https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html)
# to each SNS action of the new state when actions are enabled, and records the StateUpdate and
# Action history items AWS records ("Successfully executed action ARN" / "Failed to execute
# action ARN"); DescribeAlarmHistory returns them, newest first.
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarmHistory.html

def _history(alarm: Any, kind: str, summary: str, data: dict[str, Any]) -> None:
    from moto.core.utils import utcnow

    items = alarm.__dict__.setdefault("tw_history", [])
    items.append({
        "AlarmName": alarm.name,
        "AlarmType": "MetricAlarm",
        "Timestamp": utcnow(),
        "HistoryItemType": kind,
        "HistorySummary": summary,
        "HistoryData": json.dumps(data),
    })


def _notify(alarm: Any, account: str, region: str, old: str, new: str, reason: str) -> None:
    from moto.sns.models import sns_backends

    actions = {"ALARM": alarm.alarm_actions, "OK": alarm.ok_actions,
               "INSUFFICIENT_DATA": alarm.insufficient_data_actions}.get(new) or []
    message = json.dumps({
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description,
        "AWSAccountId": account,
        "NewStateValue": new,
        "NewStateReason": reason,
        "StateChangeTime": time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime()),
        "Region": region,
        "AlarmArn": alarm.alarm_arn,
        "OldStateValue": old,
        "Trigger": {"MetricName": alarm.metric_name, "Namespace": alarm.namespace,
                    "Statistic": alarm.statistic, "Period": alarm.period,
                    "EvaluationPeriods": alarm.evaluation_periods,
                    "ComparisonOperator": alarm.comparison_operator, "Threshold": alarm.threshold},
    })
    subject = f'{new}: "{alarm.name}" in {region}'[:100]
    for action in actions:
        parts = action.split(":")
        if len(parts) < 6 or parts[2] != "sns":
            continue
        try:
            sns_backends[parts[4]][parts[3]].publish(message, arn=action, subject=subject)
            _history(alarm, "Action", f"Successfully executed action {action}",
                     {"actionState": "Succeeded", "notificationResource": action})
        except Exception as e:  # noqa: BLE001 - AWS records any failure the same way
            _history(alarm, "Action", f"Failed to execute action {action}. Received error: {e}",
                     {"actionState": "Failed", "notificationResource": action, "error": str(e)})


def _patch_alarm_actions() -> None:
    from moto.cloudwatch.models import CloudWatchBackend
    from moto.cloudwatch.responses import CloudWatchResponse
    from moto.core.responses import ActionResult

    def make_set(original: Callable) -> Callable:
        def set_alarm_state(self: Any, alarm_name: str, reason: str, reason_data: str, state_value: str) -> None:
            alarm = self.alarms.get(alarm_name)
            old = alarm.state_value if alarm is not None else None
            original(self, alarm_name, reason, reason_data, state_value)
            alarm = self.alarms[alarm_name]
            if old == state_value:
                return
            _history(alarm, "StateUpdate", f"Alarm updated from {old} to {state_value}",
                     {"version": "1.0", "oldState": {"stateValue": old},
                      "newState": {"stateValue": state_value, "stateReason": reason}})
            if alarm.actions_enabled:
                _notify(alarm, self.account_id, self.region_name, old, state_value, reason)

        return set_alarm_state

    def describe_alarm_history(self: Any) -> Any:
        name = self._get_param("AlarmName")
        kind = self._get_param("HistoryItemType")
        start = self._get_param("StartDate")
        end = self._get_param("EndDate")
        alarms = self.cloudwatch_backend.alarms
        names = [name] if name else list(alarms)
        items = [i for n in names if n in alarms for i in alarms[n].__dict__.get("tw_history", [])]
        if kind:
            items = [i for i in items if i["HistoryItemType"] == kind]
        if start is not None:
            items = [i for i in items if i["Timestamp"] >= _as_datetime(start)]
        if end is not None:
            items = [i for i in items if i["Timestamp"] <= _as_datetime(end)]
        items.sort(key=lambda i: i["Timestamp"], reverse=True)
        return ActionResult({"AlarmHistoryItems": items})

    _wrap(CloudWatchBackend, "set_alarm_state", make_set,
          "cloudwatch: SetAlarmState to a new state invokes the state's SNS actions and records history")
    if hasattr(CloudWatchResponse, "describe_alarm_history"):
        raise RuntimeError("fidelity patch: moto now implements DescribeAlarmHistory; drop ours")
    CloudWatchResponse.describe_alarm_history = describe_alarm_history
    APPLIED.append("cloudwatch: DescribeAlarmHistory returns the StateUpdate and Action items, newest first")


def _as_datetime(value: Any) -> Any:
    import datetime

    # moto's timestamps are naive UTC.
    if isinstance(value, datetime.datetime):
        parsed = value
    elif isinstance(value, (int, float)):
        parsed = datetime.datetime.fromtimestamp(value, tz=datetime.timezone.utc)
    else:
        parsed = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return parsed


# ---------------------------------------------------------------- IAM policy evaluation (small subset)
#
# Just enough of IAM's policy language to answer "would AWS let CloudTrail do X": Effect,
# Principal/NotPrincipal, Action/NotAction, Resource/NotResource with * and ? wildcards, and
# the string/ARN/Bool/Null condition operators (with IfExists and ForAnyValue/ForAllValues).
# Any other operator counts as not satisfied.

CLOUDTRAIL_SERVICE = "cloudtrail.amazonaws.com"
_NEGATED_OPERATORS = {
    "stringnotequals", "stringnotequalsignorecase", "stringnotlike", "arnnotequals", "arnnotlike",
}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _load_policy(document: Any) -> dict[str, Any] | None:
    """A policy document as a dict (str, bytes or URL-encoded text), None when unreadable."""
    if document is None:
        return None
    if isinstance(document, dict):
        return document
    if isinstance(document, (bytes, bytearray)):
        document = document.decode("utf-8", "replace")
    text = str(document).strip()
    for candidate in (text, unquote(text)):
        try:
            parsed = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(parsed, dict):
            return parsed
    return None


def _statements(policy: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not policy:
        return []
    return [s for s in _as_list(policy.get("Statement")) if isinstance(s, dict)]


def _glob(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """IAM wildcard match: `*` any run of characters, `?` one character, nothing else special."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in str(pattern))
    return re.fullmatch(regex, value, re.DOTALL | (re.IGNORECASE if ignore_case else 0)) is not None


def _principal_matches(principal: Any, service: str) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        if "*" in [str(p) for p in _as_list(principal.get("AWS"))]:
            return True
        return service in [str(p) for p in _as_list(principal.get("Service"))]
    return False


def _bool_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _condition_holds(condition: Any, context: dict[str, str]) -> bool:
    """Every operator block and every key in it must hold. `context` keys are lower case."""
    if not condition:
        return True
    if not isinstance(condition, dict):
        return False
    for raw_operator, block in condition.items():
        operator = str(raw_operator)
        if ":" in operator:  # ForAnyValue: / ForAllValues: on single-valued keys
            operator = operator.split(":", 1)[1]
        if_exists = operator.lower().endswith("ifexists")
        if if_exists:
            operator = operator[: -len("IfExists")]
        op = operator.lower()
        if not isinstance(block, dict):
            return False
        for key, wanted in block.items():
            values = [_bool_text(v) for v in _as_list(wanted)]
            actual = context.get(str(key).lower())
            if op == "null":
                is_null = actual is None
                if not any((v.lower() == "true") == is_null for v in values):
                    return False
                continue
            if actual is None:
                if if_exists or op in _NEGATED_OPERATORS:
                    continue
                return False
            if op == "stringequals":
                ok = actual in values
            elif op == "stringnotequals":
                ok = actual not in values
            elif op == "stringequalsignorecase":
                ok = actual.casefold() in [v.casefold() for v in values]
            elif op == "stringnotequalsignorecase":
                ok = actual.casefold() not in [v.casefold() for v in values]
            elif op in ("stringlike", "arnlike", "arnequals"):
                ok = any(_glob(v, actual) for v in values)
            elif op in ("stringnotlike", "arnnotlike", "arnnotequals"):
                ok = not any(_glob(v, actual) for v in values)
            elif op == "bool":
                ok = actual.lower() in [v.lower() for v in values]
            else:
                ok = False
            if not ok:
                return False
    return True


def _statement_applies(stmt: dict[str, Any], service: str, action: str, resource: str,
                       context: dict[str, str]) -> bool:
    if "Principal" in stmt:
        if not _principal_matches(stmt["Principal"], service):
            return False
    elif "NotPrincipal" in stmt:
        if _principal_matches(stmt["NotPrincipal"], service):
            return False
    else:
        return False
    if "Action" in stmt:
        if not any(_glob(str(a), action, ignore_case=True) for a in _as_list(stmt["Action"])):
            return False
    elif "NotAction" in stmt:
        if any(_glob(str(a), action, ignore_case=True) for a in _as_list(stmt["NotAction"])):
            return False
    else:
        return False
    if "Resource" in stmt:
        if not any(_glob(str(r), resource) for r in _as_list(stmt["Resource"])):
            return False
    elif "NotResource" in stmt:
        if any(_glob(str(r), resource) for r in _as_list(stmt["NotResource"])):
            return False
    return _condition_holds(stmt.get("Condition"), context)


def _permitted(policy: dict[str, Any] | None, service: str, action: str, resource: str,
               context: dict[str, str]) -> bool:
    """An Allow applies and no Deny applies (resource policy alone, same-account semantics)."""
    allowed = False
    for stmt in _statements(policy):
        if not _statement_applies(stmt, service, action, resource, context):
            continue
        if str(stmt.get("Effect", "")).lower() == "deny":
            return False
        if str(stmt.get("Effect", "")).lower() == "allow":
            allowed = True
    return allowed


def _patch_cloudtrail_sns_topic_arn() -> None:
    from moto.cloudtrail.models import Trail

    original = getattr(Trail, "topic_arn", None)
    if not isinstance(original, property):
        raise RuntimeError("fidelity patch 'cloudtrail: SnsTopicName as an ARN': Trail.topic_arn not a property (moto changed?)")

    # AWS CreateTrail / UpdateTrail, SnsTopicName: "Specifies the name or the ARN of the Amazon SNS
    # topic defined for notification of log file delivery"
    # (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_CreateTrail.html). moto
    # builds an ARN around whatever is given, so an ARN became `arn:...:arn:aws:sns:...` and
    # CreateTrail answered InsufficientSnsTopicPolicyException for a topic that exists.
    def topic_arn(self: Any) -> Any:
        name = self.sns_topic_name
        if name and str(name).startswith("arn:"):
            return name
        return original.fget(self)

    Trail.topic_arn = property(topic_arn)
    APPLIED.append("cloudtrail: SnsTopicName may be the topic's ARN")


def _patch_cloudtrail_delete_trail() -> None:
    from moto.cloudtrail.models import CloudTrailBackend

    def make(_original: Callable) -> Callable:
        # AWS DeleteTrail (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_DeleteTrail.html):
        # Name is "the name or the CloudTrail ARN of the trail to be deleted", and a trail that
        # does not exist is TrailNotFoundException. moto deletes by name only and answers success
        # for anything else: an ARN deleted nothing, silently.
        def delete_trail(self: Any, name: str) -> None:
            trail = self.get_trail(name)  # by name or ARN; TrailNotFoundException otherwise
            del self.trails[trail.trail_name]

        return delete_trail

    _wrap(CloudTrailBackend, "delete_trail", make,
          "cloudtrail: DeleteTrail by name or ARN; a missing trail -> TrailNotFoundException")


def _patch_s3_bucket_policy_conditions() -> None:
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket

    def make(_original: Callable) -> Callable:
        # AWS evaluates a bucket policy's conditions ("Policy evaluation logic", IAM User Guide,
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html:
        # an explicit Deny applies only when its Condition holds). moto ignores Condition, so
        # the documented "deny requests that are not over TLS" statement
        # (aws:SecureTransport = false) denied every PutObject and DeleteObjects of the owning
        # account. The SDKs reach AWS over HTTPS (the emulator's HTTP endpoint stands in for
        # it), so aws:SecureTransport is true. The caller is the bucket owner's account, which
        # its identity policies allow: only an applicable Deny decides.
        def get_permission(self: Any, action: str, resource: str) -> Any:
            policy = _load_policy(self.policy.decode()) if self.policy else None
            context = {"aws:securetransport": "true"}
            for stmt in _statements(policy):
                if str(stmt.get("Effect", "")).lower() != "deny":
                    continue
                if _statement_applies(stmt, "", action, resource, context):
                    return PermissionResult.DENIED
            return PermissionResult.NEUTRAL

        return get_permission

    _wrap(FakeBucket, "get_permission", make,
          "s3: bucket policy Deny statements apply only when their Condition holds (requests count as TLS)")


# ---------------------------------------------------------------- CloudTrail: what CreateTrail/UpdateTrail check

LOG_GROUP_ARN_RE = re.compile(r"^arn:([^:]+):logs:([^:]+):(\d{12}):log-group:([^:]+)(?::\*)?$")


def _patch_cloudtrail_validation() -> None:
    from moto.cloudtrail.exceptions import S3BucketDoesNotExistException
    from moto.cloudtrail.models import CloudTrailBackend, Trail
    from moto.core.exceptions import JsonRESTError
    from moto.iam.models import iam_backends
    from moto.logs.models import logs_backends
    from moto.s3.models import s3_backends
    from moto.utilities.utils import get_partition

    class InvalidCloudWatchLogsRoleArnException(JsonRESTError):
        code = 400

        def __init__(self, message: str = "Access denied. Check the trust relationships for your role."):
            super().__init__("InvalidCloudWatchLogsRoleArnException", message)

    class InvalidCloudWatchLogsLogGroupArnException(JsonRESTError):
        code = 400

        def __init__(self) -> None:
            super().__init__("InvalidCloudWatchLogsLogGroupArnException",
                             "CloudTrail cannot validate the specified log group ARN.")

    class InsufficientS3BucketPolicyException(JsonRESTError):
        code = 400

        def __init__(self, bucket: str):
            super().__init__("InsufficientS3BucketPolicyException",
                             f"Incorrect S3 bucket policy is detected for bucket: {bucket}")

    # AWS CloudTrail API Reference, CreateTrail
    # (https://docs.aws.amazon.com/ko_kr/awscloudtrail/latest/APIReference/API_CreateTrail.html):
    # the role and the log group named in a trail must exist in the caller's account.
    # "Sending events to CloudWatch Logs - Amazon CloudTrail"
    # (https://docs.amazonaws.cn/en_us/awscloudtrail/latest/userguide/send-cloudtrail-events-to-cloudwatch-logs.html):
    # the role is one that CloudTrail's service principal assumes.
    # "Role policy document for CloudTrail to use CloudWatch Logs for monitoring - AWS CloudTrail"
    # (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-required-policy-for-cloudwatch-logs.html):
    # confused-deputy conditions (aws:SourceArn, aws:SourceAccount) are not supported for this
    # role, so a trust statement carrying them does not let CloudTrail in. AWS's answer is
    # InvalidCloudWatchLogsRoleArnException "Access denied. Check the trust relationships for your
    # role." (as reported in github.com/awslabs/dynamodb-continuous-backup/issues/2).
    def check_role(account_id: str, partition: str, role_arn: str) -> None:
        backend = iam_backends[account_id][partition]
        role = next((r for r in backend.get_roles() if r.arn == role_arn), None)
        if role is None:
            raise InvalidCloudWatchLogsRoleArnException()
        trust = _load_policy(role.assume_role_policy_document)
        trusted = False
        for stmt in _statements(trust):
            if not _principal_matches(stmt.get("Principal"), CLOUDTRAIL_SERVICE):
                continue
            if not any(_glob(str(a), "sts:AssumeRole", ignore_case=True) for a in _as_list(stmt.get("Action"))):
                continue
            condition = stmt.get("Condition") or {}
            keys = {str(k).lower() for block in condition.values() if isinstance(block, dict) for k in block}
            effect = str(stmt.get("Effect", "")).lower()
            if effect == "deny" and not condition:
                raise InvalidCloudWatchLogsRoleArnException()
            if effect == "allow" and not keys & {"aws:sourcearn", "aws:sourceaccount"}:
                trusted = True
        if not trusted:
            raise InvalidCloudWatchLogsRoleArnException()

    # Same CreateTrail page: CloudWatchLogsLogGroupArn must name a log group that exists in the
    # account (here also: in the trail's home region); AWS answers InvalidCloudWatchLogsLogGroupArnException "CloudTrail cannot validate the
    # specified log group ARN." (as reported in github.com/cisagov/crossfeed/pull/2197). Both
    # `...:log-group:NAME` and `...:log-group:NAME:*` are accepted here.
    def check_log_group(account_id: str, region: str, log_group_arn: str) -> None:
        m = LOG_GROUP_ARN_RE.match(log_group_arn)
        if not m or m.group(3) != account_id or m.group(2) != region or m.group(1) != get_partition(region):
            raise InvalidCloudWatchLogsLogGroupArnException()
        name = m.group(4)
        try:
            groups = logs_backends[account_id][region].groups
        except Exception:
            raise InvalidCloudWatchLogsLogGroupArnException()
        if name not in groups:
            raise InvalidCloudWatchLogsLogGroupArnException()

    # "Amazon S3 bucket policy for CloudTrail - AWS CloudTrail"
    # (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html):
    # CloudTrail's service principal needs s3:GetBucketAcl on the bucket and s3:PutObject on
    # BUCKET/[PREFIX/]AWSLogs/ACCOUNT/* (organization trails: AWSLogs/ORG-ID/...), and an
    # aws:SourceArn condition, when present, names the trail's ARN. AWS answers
    # InsufficientS3BucketPolicyException "Incorrect S3 bucket policy is detected for bucket: B"
    # (as reported in github.com/cloudposse/terraform-aws-cloudtrail-s3-bucket/issues/90).
    # The policy is evaluated for CloudTrail's own request: over TLS (so a Deny on
    # aws:SecureTransport=false does not apply), with aws:SourceArn = the trail, aws:SourceAccount =
    # the account and, for PutObject, s3:x-amz-acl = bucket-owner-full-control.
    def check_bucket(account_id: str, region: str, partition: str, trail_name: str, bucket_name: str,
                     prefix: str | None, is_org: bool) -> None:
        try:
            bucket = s3_backends[account_id][partition].get_bucket(bucket_name)
        except Exception:
            raise S3BucketDoesNotExistException(f"S3 bucket {bucket_name} does not exist!")
        policy = _load_policy(getattr(bucket, "policy", None))
        trail_arn = f"arn:{partition}:cloudtrail:{region}:{account_id}:trail/{trail_name}"
        context = {
            "aws:sourcearn": trail_arn,
            "aws:sourceaccount": account_id,
            "aws:securetransport": "true",
            "aws:principalservicename": CLOUDTRAIL_SERVICE,
        }
        bucket_arn = f"arn:{partition}:s3:::{bucket_name}"
        if not _permitted(policy, CLOUDTRAIL_SERVICE, "s3:GetBucketAcl", bucket_arn, context):
            raise InsufficientS3BucketPolicyException(bucket_name)
        put_context = dict(context, **{"s3:x-amz-acl": "bucket-owner-full-control"})
        base = f"{bucket_arn}/{prefix.strip('/') + '/' if prefix and prefix.strip('/') else ''}AWSLogs/"
        tail = f"CloudTrail/{region}/2024/01/01/{account_id}_CloudTrail_{region}_20240101T0000Z_0123456789abcdef.json.gz"
        keys = [f"{base}{account_id}/{tail}"]
        if is_org:
            # An organization trail writes every account's files under AWSLogs/o-ORGID/ACCOUNT/
            # ("Create a bucket policy for an organization trail", same page): that path must be
            # granted, for the organization the account manages.
            keys = [f"{base}{organization_id_of(account_id) or 'o-exampleorgid'}/{account_id}/{tail}"]
        granted = any(_permitted(policy, CLOUDTRAIL_SERVICE, "s3:PutObject", k, put_context) for k in keys)
        if not granted:
            raise InsufficientS3BucketPolicyException(bucket_name)

    def make_create(original: Callable) -> Callable:
        signature = inspect.signature(original)

        def create_trail(self: Any, *args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(self, *args, **kwargs)
            a = bound.arguments
            partition = get_partition(self.region_name)
            Trail.check_name(type("_T", (), {"trail_name": a["name"]})())
            check_bucket(self.account_id, self.region_name, partition, a["name"], a["bucket_name"],
                         a.get("s3_key_prefix"), bool(a.get("is_org_trail")))
            if a.get("cw_log_group_arn") and not a.get("cw_role_arn"):
                # Reported by AWS as InvalidCloudWatchLogsRoleArnException
                # (github.com/pulumi/docs/issues/5117).
                raise InvalidCloudWatchLogsRoleArnException("You must specify a role ARN as well as a log group.")
            if a.get("cw_log_group_arn"):
                check_log_group(self.account_id, self.region_name, a["cw_log_group_arn"])
            if a.get("cw_role_arn"):
                check_role(self.account_id, partition, a["cw_role_arn"])
            return original(*bound.args, **bound.kwargs)

        return create_trail

    _wrap(CloudTrailBackend, "create_trail", make_create,
          "cloudtrail: CreateTrail checks the bucket policy, the log group and the role's trust policy")

    def make_update(original: Callable) -> Callable:
        signature = inspect.signature(original)

        def update_trail(self: Any, *args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(self, *args, **kwargs)
            a = bound.arguments
            trail = self.get_trail(a["name"])
            partition = get_partition(self.region_name)
            if a.get("s3_bucket_name") is not None or a.get("s3_key_prefix") is not None:
                bucket = a.get("s3_bucket_name") or trail.bucket_name
                prefix = a["s3_key_prefix"] if a.get("s3_key_prefix") is not None else trail.s3_key_prefix
                is_org = a.get("is_organization_trail")
                is_org = trail.is_org_trail if is_org is None else is_org
                check_bucket(self.account_id, trail.region_name, partition, trail.trail_name, bucket, prefix,
                             bool(is_org))
            if a.get("cw_log_group_arn"):
                check_log_group(self.account_id, trail.region_name, a["cw_log_group_arn"])
            if a.get("cw_role_arn"):
                check_role(self.account_id, partition, a["cw_role_arn"])
            return original(*bound.args, **bound.kwargs)

        return update_trail

    _wrap(CloudTrailBackend, "update_trail", make_update,
          "cloudtrail: UpdateTrail checks the bucket (existence, policy), the log group and the role's trust policy")


# ---------------------------------------------------------------- CloudTrail event selectors

# AWS CloudTrail EventSelector (https://docs.aws.amazon.com/goto/SdkForJava/cloudtrail-2013-11-01/EventSelector,
# and aws-sdk-cloudtrail's EventSelector, https://docs.rs/aws-sdk-cloudtrail/latest/aws_sdk_cloudtrail/types/struct.EventSelector.html):
# a trail created without selectors logs all read and write management events and no data events;
# ReadWriteType defaults to All and IncludeManagementEvents to true; a trail has either basic or
# advanced selectors, never both.
DEFAULT_EVENT_SELECTOR = {
    "ReadWriteType": "All",
    "IncludeManagementEvents": True,
    "DataResources": [],
    "ExcludeManagementEventSources": [],
}


def _patch_cloudtrail_event_selectors() -> None:
    from moto.cloudtrail.models import Trail
    from moto.cloudtrail.responses import CloudTrailResponse

    def make_put(_original: Callable) -> Callable:
        # moto keeps old advanced selectors when basic ones are put; AWS replaces one kind by the other.
        def put_event_selectors(self: Any, event_selectors: Any, advanced_event_selectors: Any) -> None:
            if event_selectors:
                self.event_selectors = event_selectors
                self.advanced_event_selectors = []
            elif advanced_event_selectors:
                self.event_selectors = []
                self.advanced_event_selectors = advanced_event_selectors

        return put_event_selectors

    _wrap(Trail, "put_event_selectors", make_put, "cloudtrail: PutEventSelectors replaces basic/advanced selectors")

    def make_get(_original: Callable) -> Callable:
        # moto: a new trail reports no selectors at all. AWS: the default selector.
        def get_event_selectors(self: Any) -> str:
            params = json.loads(self.body) if self.body else {}
            trail_arn, basic, advanced = self.cloudtrail_backend.get_event_selectors(trail_name=params.get("TrailName"))
            out: dict[str, Any] = {"TrailARN": trail_arn}
            if advanced:
                out["AdvancedEventSelectors"] = advanced
            elif basic:
                out["EventSelectors"] = [dict(json.loads(json.dumps(DEFAULT_EVENT_SELECTOR)), **s) for s in basic]
            else:
                out["EventSelectors"] = [json.loads(json.dumps(DEFAULT_EVENT_SELECTOR))]
            return json.dumps(out)

        return get_event_selectors

    _wrap(CloudTrailResponse, "get_event_selectors", make_get,
          "cloudtrail: GetEventSelectors reports the default selector of a new trail")


# ---------------------------------------------------------------- Organizations: trails and roles

# "Understanding organization trails" (AWS CloudTrail User Guide,
# https://docs.aws.amazon.com/awscloudtrail/latest/userguide/creating-trail-organization.html): an
# organization trail created in the management account (or by a delegated administrator, on the
# management account's behalf) is replicated into every member account; "users in member accounts
# can see the organization trail but cannot modify or delete it", and they cannot read its status,
# tags or selectors: CloudTrail answers CloudTrailARNInvalidException "AccountID in ARN is wrong, you
# can only access resources with AccountID <caller>." to ListTags / GetTrailStatus /
# GetEventSelectors on its ARN ("CloudTrailARNInvalidException", CloudTrail API Reference,
# https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_GetTrailStatus.html; the message
# as reported in github.com/cloudquery/cq-provider-aws/issues/405 and
# github.com/prowler-cloud/prowler/pull/2025). DescribeTrails in a member account lists it (a
# shadow trail: "the replication of an organization trail in member accounts", DescribeTrails,
# https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_DescribeTrails.html).
# moto keeps trails per account and shows members nothing.
#
# CreateTrail / UpdateTrail with IsOrganizationTrail from an account that is not the management
# account: NotOrganizationMasterAccountException; from an account in no organization:
# OrganizationsNotInUseException (CreateTrail, CloudTrail API Reference,
# https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_CreateTrail.html). moto accepts it.
# moto's own signatures, taken before any wrapper hides them behind *args.
MOTO_SIGNATURES: dict[str, inspect.Signature] = {}
TRAIL_ARN_RE = re.compile(r"^arn:[a-z-]+:cloudtrail:[a-z0-9-]+:(\d{12}):trail/(.+)$")


def organization_of(account_id: str) -> tuple[str, str] | None:
    """(management account, partition) of the organization `account_id` belongs to, if any."""
    from moto.organizations.models import organizations_backends

    located = organizations_backends.master_accounts.get(account_id)
    if located:
        return located[0], located[1]
    for partition, backend in list(dict.items(organizations_backends.get(account_id, {}))):
        if getattr(backend, "org", None) is not None:
            return account_id, partition
    return None


def organization_id_of(account_id: str) -> str | None:
    """The id (o-...) of the organization `account_id` belongs to, if any."""
    from moto.organizations.models import organizations_backends

    org = organization_of(account_id)
    if org is None:
        return None
    backend = organizations_backends[org[0]][org[1]]
    return backend.org.id if backend.org is not None else None


def _patch_organizations() -> None:
    from moto.cloudtrail.models import CloudTrailBackend, cloudtrail_backends
    from moto.cloudtrail.responses import CloudTrailResponse
    from moto.core.exceptions import JsonRESTError
    from moto.iam.models import iam_backends
    from moto.sts.models import STSBackend
    from moto.utilities.utils import get_partition

    class CloudTrailARNInvalidException(JsonRESTError):
        code = 400

        def __init__(self, account_id: str):
            super().__init__("CloudTrailARNInvalidException",
                             f"AccountID in ARN is wrong, you can only access resources with AccountID {account_id}.")

    class NotOrganizationMasterAccountException(JsonRESTError):
        code = 400

        def __init__(self, account_id: str):
            super().__init__("NotOrganizationMasterAccountException",
                             f"The request failed because account {account_id} is not the management account of an organization.")

    class OrganizationsNotInUseException(JsonRESTError):
        code = 400

        def __init__(self) -> None:
            super().__init__("OrganizationsNotInUseException",
                             "This request requires your account to be a member of an organization.")

    def refuse_foreign_arn(account_id: str, name_or_arn: Any) -> None:
        m = TRAIL_ARN_RE.match(str(name_or_arn or ""))
        if m and m.group(1) != account_id:
            raise CloudTrailARNInvalidException(account_id)

    def organization_trails_for(account_id: str, region: str) -> list[Any]:
        org = organization_of(account_id)
        if org is None or org[0] == account_id:
            return []
        found = []
        for backend in list(dict.values(cloudtrail_backends.get(org[0], {}))):
            for trail in list(backend.trails.values()):
                if trail.is_org_trail and (trail.is_multi_region or trail.region_name == region):
                    found.append(trail)
        return found

    def make_describe(original: Callable) -> Callable:
        def describe_trails(self: Any, include_shadow_trails: bool) -> Any:
            trails = list(original(self, include_shadow_trails))
            if include_shadow_trails:
                trails.extend(organization_trails_for(self.account_id, self.region_name))
            return trails

        return describe_trails

    _wrap(CloudTrailBackend, "describe_trails", make_describe,
          "cloudtrail: DescribeTrails in a member account lists the organization trail")

    # Every call naming a trail by ARN goes through get_trail (UpdateTrail, Start/StopLogging,
    # Put/GetEventSelectors, DeleteTrail...) or get_trail_status; ListTags and AddTags take ARNs.
    def make_get(original: Callable) -> Callable:
        def get_trail(self: Any, name_or_arn: str) -> Any:
            refuse_foreign_arn(self.account_id, name_or_arn)
            return original(self, name_or_arn)

        return get_trail

    _wrap(CloudTrailBackend, "get_trail", make_get, "cloudtrail: another account's trail ARN -> CloudTrailARNInvalidException")

    def make_status(original: Callable) -> Callable:
        def get_trail_status(self: Any, name: str) -> Any:
            refuse_foreign_arn(self.account_id, name)
            # By name, a member account does not find the organization trail (its DescribeTrails
            # lists it, but the name is not one of the account's trails).
            if not TRAIL_ARN_RE.match(str(name)) and not any(
                    name in b.trails for b in list(dict.values(cloudtrail_backends.get(self.account_id, {})))):
                if any(t.trail_name == name for t in organization_trails_for(self.account_id, self.region_name)):
                    from moto.cloudtrail.exceptions import TrailNotFoundException
                    raise TrailNotFoundException(account_id=self.account_id, name=name)
            return original(self, name)

        return get_trail_status

    _wrap(CloudTrailBackend, "get_trail_status", make_status,
          "cloudtrail: GetTrailStatus on another account's trail ARN -> CloudTrailARNInvalidException")

    def make_tags(original: Callable, label: str) -> Callable:
        def tags_call(self: Any, *args: Any, **kwargs: Any) -> Any:
            named = list(args[:1]) + [v for k, v in kwargs.items() if k.startswith("resource_id")]
            for value in named:
                for rid in value if isinstance(value, list) else [value]:
                    refuse_foreign_arn(self.account_id, rid)
            return original(self, *args, **kwargs)

        return tags_call

    for name in ("list_tags", "add_tags", "remove_tags"):
        _wrap(CloudTrailBackend, name, lambda o: make_tags(o, name),
              f"cloudtrail: {name} on another account's trail ARN -> CloudTrailARNInvalidException")

    def check_organization(account_id: str) -> None:
        org = organization_of(account_id)
        if org is None:
            raise OrganizationsNotInUseException()
        if org[0] != account_id:
            raise NotOrganizationMasterAccountException(account_id)

    def make_create(original: Callable) -> Callable:
        signature = MOTO_SIGNATURES["create_trail"]

        def create_trail(self: Any, *args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(self, *args, **kwargs)
            if bound.arguments.get("is_org_trail"):
                check_organization(self.account_id)
            return original(*bound.args, **bound.kwargs)

        return create_trail

    _wrap(CloudTrailBackend, "create_trail", make_create,
          "cloudtrail: CreateTrail of an organization trail only from the management account")

    def make_update(original: Callable) -> Callable:
        signature = MOTO_SIGNATURES["update_trail"]

        def update_trail(self: Any, *args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(self, *args, **kwargs)
            if bound.arguments.get("is_organization_trail"):
                check_organization(self.account_id)
            return original(*bound.args, **bound.kwargs)

        return update_trail

    _wrap(CloudTrailBackend, "update_trail", make_update,
          "cloudtrail: UpdateTrail to an organization trail only from the management account")

    # "AssumeRole" (AWS STS API Reference, https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html):
    # the role must exist and trust the caller, else AccessDenied "User: <caller> is not authorized to
    # perform: sts:AssumeRole on resource: <role>". moto issues credentials for any ARN ("the role does
    # not need to exist"), so an organization fan-out could never meet a member account without the
    # role. Checked here: the role exists in its account (its trust policy is not evaluated).
    from moto.sts.exceptions import STSClientError

    class AccessDenied(STSClientError):
        code = 403

        def __init__(self, message: str) -> None:
            super().__init__("AccessDenied", message)

    def make_assume(original: Callable) -> Callable:
        signature = inspect.signature(original)

        def assume_role(self: Any, *args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(self, *args, **kwargs)
            role_arn = str(bound.arguments.get("role_arn") or "")
            m = re.match(r"^arn:([a-z-]+):iam::(\d{12}):role/(?:.*/)?([^/]+)$", role_arn)
            exists = False
            if m:
                backend = iam_backends[m.group(2)][m.group(1)]
                exists = any(r.name == m.group(3) for r in backend.get_roles())
            if not exists:
                raise AccessDenied(f"User: arn:{get_partition(bound.arguments.get('region_name') or 'us-east-1')}:iam::"
                                   f"{self.account_id}:user/caller is not authorized to perform: sts:AssumeRole "
                                   f"on resource: {role_arn}")
            return original(*bound.args, **bound.kwargs)

        return assume_role

    _wrap(STSBackend, "assume_role", make_assume, "sts: AssumeRole needs the role to exist")


# ---------------------------------------------------------------- IAM tags

# IAM API Reference, Tag (https://docs.aws.amazon.com/goto/WebAPI/iam-2010-05-08/Tag): a key is
# 1-128 characters of [\p{L}\p{Z}\p{N}_.:/=+\-@]+, a value 0-256 characters of
# [\p{L}\p{Z}\p{N}_.:/=+\-@]*. IAM answers a violation with HTTP 400 ValidationError
# "1 validation error detected: Value at 'tags.N.member.value' failed to satisfy constraint: Member
# must satisfy regular expression pattern: ..." (as reported in github.com/kubernetes/kops/issues/16027
# and github.com/juspay/hyperswitch-suite/pull/323). moto checks keys with [\w\s...] (which lets
# tabs and newlines through) and values not at all.
TAG_KEY_PATTERN = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+"
TAG_VALUE_PATTERN = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*"
_TAG_PUNCTUATION = frozenset("_.:/=+-@")
IAM_TAGGING_ACTIONS = (
    "create_role", "tag_role", "create_user", "tag_user", "create_policy", "tag_policy",
    "create_instance_profile", "tag_instance_profile", "create_open_id_connect_provider",
    "tag_open_id_connect_provider",
)


def tag_text_ok(text: str) -> bool:
    """Every character is a letter (L*), separator (Z*), number (N*) or one of _.:/=+-@."""
    return all(unicodedata.category(ch)[0] in "LZN" or ch in _TAG_PUNCTUATION for ch in text)


def tag_violations(tags: Any) -> list[str]:
    problems: list[str] = []
    for index, tag in enumerate(_as_list(tags), start=1):
        if not isinstance(tag, dict):
            continue
        key = str(tag.get("Key") if tag.get("Key") is not None else "")
        value = str(tag.get("Value") if tag.get("Value") is not None else "")
        where = f"tags.{index}.member"
        if not tag_text_ok(key):
            problems.append(f"Value at '{where}.key' failed to satisfy constraint: "
                            f"Member must satisfy regular expression pattern: {TAG_KEY_PATTERN}")
        if len(key) < 1:
            problems.append(f"Value at '{where}.key' failed to satisfy constraint: "
                            "Member must have length greater than or equal to 1")
        if len(key) > 128:
            problems.append(f"Value at '{where}.key' failed to satisfy constraint: "
                            "Member must have length less than or equal to 128")
        if not tag_text_ok(value):
            problems.append(f"Value at '{where}.value' failed to satisfy constraint: "
                            f"Member must satisfy regular expression pattern: {TAG_VALUE_PATTERN}")
        if len(value) > 256:
            problems.append(f"Value at '{where}.value' failed to satisfy constraint: "
                            "Member must have length less than or equal to 256")
    return problems


def _patch_iam_tags() -> None:
    from moto.iam.exceptions import ValidationError
    from moto.iam.responses import IamResponse

    def make(original: Callable) -> Callable:
        def action(self: Any) -> Any:
            problems = tag_violations(self._get_param("Tags", []))
            if problems:
                count = len(problems)
                raise ValidationError(f"{count} validation error{'s' if count > 1 else ''} detected: "
                                      + "; ".join(problems))
            return original(self)

        return action

    for name in IAM_TAGGING_ACTIONS:
        _wrap(IamResponse, name, make, f"iam: {name} refuses tag keys/values outside AWS's pattern and lengths")


# ---------------------------------------------------------------- S3 bucket owner condition (request rule)

# "Verifying bucket ownership with bucket owner condition", Amazon S3 User Guide
# (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html): a request
# carrying x-amz-expected-bucket-owner (ExpectedBucketOwner) on a bucket that another account owns
# fails with 403 Access Denied; for CopyObject/UploadPartCopy, x-amz-source-expected-bucket-owner
# (ExpectedSourceBucketOwner) does the same for the source bucket. Every S3 operation on a bucket takes
# the parameter except CreateBucket (and ListBuckets, CreateSession, ListDirectoryBuckets,
# WriteGetObjectResponse, RenameObject, which name no bucket or do not take it: botocore's S3 model).
# moto 5.2.5 ignores both headers and lets any account read and write any bucket (see README.md), so
# the check runs in server.py's middleware, before moto. A bucket that does not exist is left to moto
# (NoSuchBucket).
EXPECTED_OWNER_HEADER = "HTTP_X_AMZ_EXPECTED_BUCKET_OWNER"
EXPECTED_SOURCE_OWNER_HEADER = "HTTP_X_AMZ_SOURCE_EXPECTED_BUCKET_OWNER"
S3_ACCESS_DENIED = {"rule": "expected_bucket_owner", "status": "403 Forbidden", "code": "AccessDenied",
                    "message": "Access Denied"}


def s3_bucket_owner(bucket: str) -> str | None:
    """The account owning `bucket` in moto, None when no account has it.

    moto keeps one global name -> (partition, account) map, s3_backends.bucket_accounts, next to the
    per-account backends (s3_backends[account][partition].buckets). The map can lose a name that an
    account still holds (a DeleteBucket by another account pops the map entry, then fails), so the
    per-account backends are searched as well."""
    from moto.s3.models import s3_backends

    located = s3_backends.bucket_accounts.get(bucket)
    if located:
        return located[1]
    for account_id, per_partition in list(dict.items(s3_backends)):
        for backend in list(dict.values(per_partition)):
            if bucket in getattr(backend, "buckets", {}):
                return account_id
    return None


def _copy_source_bucket(environ: dict[str, Any]) -> str | None:
    source = environ.get("HTTP_X_AMZ_COPY_SOURCE", "").split("?", 1)[0].lstrip("/")
    return unquote(source.split("/", 1)[0]) or None


def expected_bucket_owner_rule(environ: dict[str, Any], entry: dict[str, Any], bucket: str | None) -> dict | None:
    if entry.get("service") != "s3" or not bucket or entry.get("operation") == "CreateBucket":
        return None
    checks = [(environ.get(EXPECTED_OWNER_HEADER), bucket)]
    if environ.get(EXPECTED_SOURCE_OWNER_HEADER) is not None:
        checks.append((environ.get(EXPECTED_SOURCE_OWNER_HEADER), _copy_source_bucket(environ)))
    for expected, name in checks:
        if expected is None or not name:
            continue
        owner = s3_bucket_owner(name)
        if owner is not None and owner != expected.strip():
            return dict(S3_ACCESS_DENIED)
    return None


# Checks server.py runs on each request before it reaches moto (none with --plain-moto).
REQUEST_RULES: list[Callable[[dict[str, Any], dict[str, Any], str | None], dict | None]] = [expected_bucket_owner_rule]


def apply() -> list[str]:
    if not APPLIED:
        from moto.cloudtrail.models import CloudTrailBackend

        for name in ("create_trail", "update_trail"):
            MOTO_SIGNATURES[name] = inspect.signature(getattr(CloudTrailBackend, name))
        _patch_logs()
        # Validation first: the TrailAlreadyExists wrapper of _patch_cloudtrail then sits outside
        # it, so an existing name is reported before any policy problem.
        _patch_cloudtrail_validation()
        _patch_cloudtrail()
        _patch_cloudtrail_event_selectors()
        _patch_cloudtrail_sns_topic_arn()
        _patch_cloudtrail_delete_trail()
        _patch_s3()
        _patch_s3_bucket_policy_conditions()
        _patch_cloudwatch()
        _patch_sns()
        _patch_alarm_actions()
        _patch_iam_tags()
        _patch_organizations()
        import cfn_resources
        APPLIED.extend(cfn_resources.install())
        APPLIED.append("s3: x-amz-expected-bucket-owner / x-amz-source-expected-bucket-owner naming another "
                       "account -> 403 AccessDenied (request rule in server.py)")
    return list(APPLIED)
