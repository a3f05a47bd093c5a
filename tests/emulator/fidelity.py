"""In-process adjustments that bring moto 5.2.5 closer to AWS where it matters
to trailwarden. Each one is listed in README.md; server.py applies them unless
started with --plain-moto.

They patch moto's model/response classes (the versions are pinned in
requirements.txt), so a moto upgrade must re-check every patch: apply() fails
loudly when a patched attribute has gone away.
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable

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


def apply() -> list[str]:
    if not APPLIED:
        _patch_logs()
        _patch_cloudtrail()
        _patch_s3()
    return list(APPLIED)
