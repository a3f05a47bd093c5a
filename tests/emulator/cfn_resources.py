"""CloudFormation resource types moto 5.2.5 cannot create, and properties it ignores.

`trailwarden export cloudformation` templates use eleven resource types. moto's CloudFormation
creates five of them (AWS::S3::Bucket, AWS::IAM::Role, AWS::Logs::LogGroup, AWS::SNS::Topic and,
unused here, AWS::IAM::Policy) and skips the others with a warning, so a stack would come up
without its trail, policies, subscriptions, filters and alarms. This module adds the missing six
types the way each resource page of the CloudFormation User Guide documents them, by calling
moto's own backends (so the fidelity rules of fidelity.py apply to them too: CreateTrail still
checks the bucket policy, the role's trust and the log group), and completes the four it has:

| type | moto 5.2.5 | here |
| --- | --- | --- |
| AWS::S3::Bucket | BucketName, BucketEncryption, Tags | + VersioningConfiguration, PublicAccessBlockConfiguration |
| AWS::IAM::Role | RoleName, AssumeRolePolicyDocument, Tags; Policies stored as objects | Policies as text |
| AWS::SNS::Topic | TopicName, Subscription; Tags and KmsMasterKeyId kept as plain attributes | Tags as tags |
| AWS::Logs::LogGroup | `Fn::GetAtt Arn` without the `:*` AWS returns | with `:*` |
| AWS::S3::BucketPolicy, AWS::IAM::RolePolicy, AWS::SNS::TopicPolicy, AWS::SNS::Subscription, AWS::Logs::MetricFilter, AWS::CloudWatch::Alarm, AWS::CloudTrail::Trail | not supported | created |

Only creation is implemented (what the round-trip test needs); an update or delete of these types
is not. Applied from fidelity.apply(), so `--plain-moto` turns it off.
"""

from __future__ import annotations

import json
from typing import Any


MODELS: list[type] = []


def _policy_text(document: Any) -> str:
    return document if isinstance(document, str) else json.dumps(document)


def _bool(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _tags(properties: dict[str, Any]) -> list[dict[str, str]]:
    return [{"Key": t["Key"], "Value": t["Value"]} for t in properties.get("Tags", [])]


def install() -> list[str]:
    from moto.cloudformation import parsing
    from moto.cloudtrail.models import cloudtrail_backends
    from moto.cloudwatch.models import cloudwatch_backends
    from moto.core.common_models import BaseModel, CloudFormationModel
    from moto.iam.models import iam_backends
    from moto.logs.models import LogGroup, logs_backends
    from moto.s3.models import FakeBucket, s3_backends
    from moto.sns.models import Topic, sns_backends
    from moto.utilities.utils import get_partition

    labels = []

    class _Created(BaseModel):
        """What `Ref` and `Fn::GetAtt` see of a resource created here."""

        # moto's model metaclass files every model under the service its module names.
        __module__ = "moto.cloudformation.models"

        def __init__(self, physical_id: str, attributes: dict[str, str] | None = None):
            self._physical_id = physical_id
            self._attributes = attributes or {}

        @property
        def physical_resource_id(self) -> str:
            return self._physical_id

        def is_created(self) -> bool:
            return True

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return attr == "Arn"

        def get_cfn_attribute(self, attribute_name: str) -> str:
            from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

            if attribute_name in self._attributes:
                return self._attributes[attribute_name]
            raise UnformattedGetAttTemplateException()

    def model(type_name: str, name_property: str | None, create):  # type: ignore[no-untyped-def]
        class Model(CloudFormationModel):
            __module__ = "moto.cloudformation.models"

            @staticmethod
            def cloudformation_type() -> str:
                return type_name

            @staticmethod
            def cloudformation_name_type() -> str:
                return name_property or ""

            @classmethod
            def create_from_cloudformation_json(  # type: ignore[misc]
                cls, resource_name: str, cloudformation_json: Any, account_id: str,
                region_name: str, **kwargs: Any,
            ) -> Any:
                return create(resource_name, cloudformation_json.get("Properties", {}),
                              account_id, region_name, kwargs)

        Model.__name__ = type_name.replace("::", "")
        # moto finds models through __subclasses__(), which holds them weakly.
        MODELS.append(Model)
        labels.append(f"cloudformation: {type_name} created")
        return Model

    # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-s3-bucketpolicy.html
    def bucket_policy(_name, p, account, region, kw):  # type: ignore[no-untyped-def]
        backend = s3_backends[account][get_partition(region)]
        backend.put_bucket_policy(p["Bucket"], _policy_text(p["PolicyDocument"]).encode())
        return _Created(f"{p['Bucket']}-policy")

    # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-iam-rolepolicy.html
    def role_policy(_name, p, account, region, kw):  # type: ignore[no-untyped-def]
        backend = iam_backends[account][get_partition(region)]
        backend.put_role_policy(p["RoleName"], p["PolicyName"], _policy_text(p["PolicyDocument"]))
        return _Created(p["PolicyName"])

    # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-sns-topicpolicy.html
    def topic_policy(_name, p, account, region, kw):  # type: ignore[no-untyped-def]
        backend = sns_backends[account][region]
        for arn in p["Topics"]:
            backend.set_topic_attribute(arn, "policy", _policy_text(p["PolicyDocument"]))
        return _Created(kw.get("LogicalId", "TopicPolicy"))

    # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-sns-subscription.html
    def subscription(_name, p, account, region, kw):  # type: ignore[no-untyped-def]
        sub = sns_backends[account][region].subscribe(p["TopicArn"], p["Endpoint"], p["Protocol"])
        return _Created(sub.arn)

    # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-logs-metricfilter.html
    def metric_filter(name, p, account, region, kw):  # type: ignore[no-untyped-def]
        transformations = []
        for m in p["MetricTransformations"]:
            t = {"metricName": m["MetricName"], "metricNamespace": m["MetricNamespace"],
                 "metricValue": m["MetricValue"]}
            if m.get("Dimensions"):
                # The template's list of {Key, Value}; the API's map.
                t["dimensions"] = {d["Key"]: d["Value"] for d in m["Dimensions"]}
            transformations.append(t)
        filter_name = p.get("FilterName", name)
        logs_backends[account][region].put_metric_filter(
            filter_name, p["FilterPattern"], p["LogGroupName"], transformations)
        return _Created(filter_name)

    # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cloudwatch-alarm.html
    def alarm(name, p, account, region, kw):  # type: ignore[no-untyped-def]
        from moto.cloudwatch.models import MetricDataQuery

        queries = [
            MetricDataQuery(query_id=m["Id"], label=m.get("Label"), period=m.get("Period"),
                            return_data=_bool(m.get("ReturnData", True)),
                            expression=m.get("Expression"))
            for m in p.get("Metrics", [])
        ] or None
        created = cloudwatch_backends[account][region].put_metric_alarm(
            name=name,
            namespace=p.get("Namespace"),
            metric_name=p.get("MetricName"),
            comparison_operator=p["ComparisonOperator"],
            evaluation_periods=int(p["EvaluationPeriods"]),
            period=int(p["Period"]) if "Period" in p else None,
            metric_data_queries=queries,
            threshold=float(p["Threshold"]),
            statistic=p.get("Statistic"),
            extended_statistic=p.get("ExtendedStatistic"),
            description=p.get("AlarmDescription"),
            dimensions=[{"name": d["Name"], "value": d["Value"]} for d in p.get("Dimensions", [])],
            alarm_actions=p.get("AlarmActions", []),
            ok_actions=p.get("OKActions", []),
            insufficient_data_actions=p.get("InsufficientDataActions", []),
            datapoints_to_alarm=int(p["DatapointsToAlarm"]) if "DatapointsToAlarm" in p else None,
            actions_enabled=_bool(p.get("ActionsEnabled", True)),
            treat_missing_data=p.get("TreatMissingData"),
            tags=_tags(p) or None,
        )
        return _Created(name, {"Arn": created.alarm_arn})

    # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cloudtrail-trail.html
    # (IsLogging is required: whether the trail is logging; the trail records every management
    # event unless EventSelectors say otherwise).
    def trail(name, p, account, region, kw):  # type: ignore[no-untyped-def]
        backend = cloudtrail_backends[account][region]
        created = backend.create_trail(
            name,
            p["S3BucketName"],
            p.get("S3KeyPrefix"),
            p.get("SnsTopicName"),
            _bool(p.get("IncludeGlobalServiceEvents", True)),
            _bool(p.get("IsMultiRegionTrail", False)),
            _bool(p.get("EnableLogFileValidation", False)),
            _bool(p.get("IsOrganizationTrail", False)),
            p.get("CloudWatchLogsLogGroupArn"),
            p.get("CloudWatchLogsRoleArn"),
            p.get("KMSKeyId"),
            _tags(p),
        )
        if p.get("EventSelectors"):
            backend.put_event_selectors(name, p["EventSelectors"], [])
        if _bool(p["IsLogging"]):
            backend.start_logging(name)
        attributes = {"Arn": created.arn}
        if created.sns_topic_name:
            attributes["SnsTopicArn"] = created.sns_topic_name
        return _Created(name, attributes)

    model("AWS::S3::BucketPolicy", None, bucket_policy)
    model("AWS::IAM::RolePolicy", None, role_policy)
    model("AWS::SNS::TopicPolicy", None, topic_policy)
    model("AWS::SNS::Subscription", None, subscription)
    model("AWS::Logs::MetricFilter", "FilterName", metric_filter)
    model("AWS::CloudWatch::Alarm", "AlarmName", alarm)
    model("AWS::CloudTrail::Trail", "TrailName", trail)

    # The types moto has, completed.
    bucket_create = FakeBucket.create_from_cloudformation_json.__func__

    def create_bucket(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        bucket = bucket_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        p = cloudformation_json.get("Properties", {})
        backend = s3_backends[account_id][get_partition(region_name)]
        if "VersioningConfiguration" in p:
            backend.put_bucket_versioning(resource_name, p["VersioningConfiguration"]["Status"])
        if "PublicAccessBlockConfiguration" in p:
            config = p["PublicAccessBlockConfiguration"]
            backend.put_public_access_block(
                resource_name, {k: str(_bool(v)).lower() for k, v in config.items()})
        return bucket

    FakeBucket.create_from_cloudformation_json = classmethod(create_bucket)
    labels.append("cloudformation: AWS::S3::Bucket VersioningConfiguration, PublicAccessBlockConfiguration")

    # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-iam-role.html
    # (Policies: each a PolicyName and a PolicyDocument, a JSON object in a template). moto
    # stores the document as given, an object GetRolePolicy cannot return; as text it can.
    from moto.iam.models import Role

    role_create = Role.create_from_cloudformation_json.__func__

    def create_role(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        p = dict(cloudformation_json.get("Properties", {}))
        if "Policies" in p:
            p["Policies"] = [{**x, "PolicyDocument": _policy_text(x["PolicyDocument"])}
                             for x in p["Policies"]]
        return role_create(cls, resource_name, {**cloudformation_json, "Properties": p},
                           account_id, region_name, **kwargs)

    Role.create_from_cloudformation_json = classmethod(create_role)
    labels.append("cloudformation: AWS::IAM::Role Policies as text")

    topic_create = Topic.create_from_cloudformation_json.__func__

    def create_topic(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        p = dict(cloudformation_json.get("Properties", {}))
        tags = {t["Key"]: t["Value"] for t in p.pop("Tags", [])}
        # moto sets every property as an attribute of the topic; TopicName and Tags are not
        # topic attributes.
        p.pop("TopicName", None)
        topic = topic_create(cls, resource_name, {**cloudformation_json, "Properties": p},
                             account_id, region_name, **kwargs)
        if tags:
            sns_backends[account_id][region_name].tag_resource(topic.arn, tags)
        return topic

    Topic.create_from_cloudformation_json = classmethod(create_topic)
    labels.append("cloudformation: AWS::SNS::Topic Tags")

    # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-logs-loggroup.html
    # ("Return values", Arn): `arn:aws:logs:us-west-1:123456789012:log-group:/mystack-testgroup-12ABC1AB12A1:*`.
    group_attribute = LogGroup.get_cfn_attribute

    def get_cfn_attribute(self, attribute_name):  # type: ignore[no-untyped-def]
        if attribute_name == "Arn":
            return f"{self.arn}:*"
        return group_attribute(self, attribute_name)

    LogGroup.get_cfn_attribute = get_cfn_attribute
    labels.append("cloudformation: AWS::Logs::LogGroup Fn::GetAtt Arn ends in :*")

    # A template passed inline (TemplateBody) is at most 51,200 bytes; a larger one must come
    # from S3 (TemplateURL). https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html
    # (TemplateBody: "maximum length of 51,200 bytes"), and likewise UpdateStack,
    # CreateChangeSet, CreateStackSet and ValidateTemplate. moto takes any size.
    from moto.cloudformation.exceptions import ValidationError
    from moto.cloudformation.responses import CloudFormationResponse

    def limited(method):  # type: ignore[no-untyped-def]
        def checked(self):  # type: ignore[no-untyped-def]
            body = self._get_param("TemplateBody")
            if body is not None and len(body.encode()) > 51200:
                raise ValidationError(message=(
                    "1 validation error detected: Value at 'templateBody' failed to satisfy "
                    "constraint: Member must have length less than or equal to 51200"))
            return method(self)
        return checked

    for name in ("create_stack", "update_stack", "create_change_set", "create_stack_set",
                 "validate_template"):
        setattr(CloudFormationResponse, name, limited(getattr(CloudFormationResponse, name)))
    labels.append("cloudformation: TemplateBody over 51,200 bytes -> ValidationError")

    # The model map is cached on first use; forget it so the new types are found.
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()
    return labels
