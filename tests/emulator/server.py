#!/usr/bin/env python3
"""Local AWS emulator for trailwarden's integration tests.

Runs moto's server application in this process, behind a WSGI middleware that
smooths over the places where the current Rust AWS SDK and moto disagree on
the wire (see README.md next to this file), keeps a log of every AWS request,
maps credentials onto moto accounts, answers the request rules of fidelity.py
(S3 bucket owner condition) and injects per-account faults on demand (throttling,
lost responses, S3 buckets not yet visible, Regions not enabled, SNS subscriptions
not yet listed, requests held after the K-th as if the client had been killed:
/_harness/faults).

Served by werkzeug's threaded server (one thread per connection), so a held request
never delays another one.

Usage:
    server.py --port 0 --port-file /tmp/x.port [--parent-pid PID] [--cleanup-file F]
              [--verbose] [--plain-moto]
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import gzip
import io
import json
import logging
import math
import os
import random
import re
import select
import signal
import socket
import sys
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs, unquote

# Account selection must come from the request, never from the environment.
os.environ.pop("MOTO_ACCOUNT_ID", None)

import cbor2  # noqa: E402
import botocore.session  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from moto.moto_server.werkzeug_app import (  # noqa: E402
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)

import chatbot  # noqa: E402

DEFAULT_ACCOUNT = "123456789012"

# Access key ids of the form TWEM<12-digit account>XXXX (20 characters, the
# last four any of A-Z0-9) select that moto account. Any other key falls back
# to moto's own resolution (x-moto-account-id header, keys moto issued,
# otherwise the default account).
ACCESS_KEY_ACCOUNT_RE = re.compile(r"^TWEM(\d{12})[A-Z0-9]{4}$")
AUTH_ACCESS_KEY_RE = re.compile(r"Credential=([^/,\s]+)/")
AUTH_SCOPE_RE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")

CBOR_PATH_RE = re.compile(r"^/service/([^/]+)/operation/([^/?]+)$")
CLOUDWATCH_TARGET_PREFIX = "GraniteServiceVersion20100801"

S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"

# Signing name -> service name used in the request log.
SERVICE_ALIASES = {"monitoring": "cloudwatch"}

# S3 sub-resources (query keys) -> operation name suffix.
S3_SUBRESOURCES = {
    "accelerate": "BucketAccelerateConfiguration",
    "acl": "BucketAcl",
    "analytics": "BucketAnalyticsConfiguration",
    "cors": "BucketCors",
    "encryption": "BucketEncryption",
    "intelligent-tiering": "BucketIntelligentTieringConfiguration",
    "inventory": "BucketInventoryConfiguration",
    "lifecycle": "BucketLifecycleConfiguration",
    "location": "BucketLocation",
    "logging": "BucketLogging",
    "metrics": "BucketMetricsConfiguration",
    "notification": "BucketNotificationConfiguration",
    "object-lock": "ObjectLockConfiguration",
    "ownershipControls": "BucketOwnershipControls",
    "policy": "BucketPolicy",
    "policyStatus": "BucketPolicyStatus",
    "publicAccessBlock": "PublicAccessBlock",
    "replication": "BucketReplication",
    "requestPayment": "BucketRequestPayment",
    "tagging": "BucketTagging",
    "versioning": "BucketVersioning",
    "website": "BucketWebsite",
}
S3_OBJECT_SUBRESOURCES = {
    "acl": "ObjectAcl",
    "tagging": "ObjectTagging",
    "retention": "ObjectRetention",
    "legal-hold": "ObjectLegalHold",
    "attributes": "ObjectAttributes",
}
METHOD_VERBS = {"GET": "Get", "PUT": "Put", "DELETE": "Delete"}

log = logging.getLogger("trailwarden-emulator")


# --------------------------------------------------------------------------
# Request bookkeeping
# --------------------------------------------------------------------------


class RequestLog:
    """Thread-safe in-memory list of requests, mirrored to a JSON-lines file."""

    def __init__(self, path: str | None):
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []
        self._path = path

    def append(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, separators=(",", ":"))
        with self._lock:
            self._entries.append(entry)
            if self._path:
                with open(self._path, "a", encoding="utf-8") as fh:
                    fh.write(line + "\n")

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> int:
        with self._lock:
            n = len(self._entries)
            self._entries.clear()
            return n


def read_body(environ: dict[str, Any]) -> bytes:
    """Read the whole request body and put an equivalent stream back."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ.get("wsgi.input")
    body = b""
    if stream is not None:
        if length > 0:
            body = stream.read(length)
        elif environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked" or environ.get(
            "wsgi.input_terminated"
        ):
            body = stream.read()
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    return body


def access_key_of(environ: dict[str, Any]) -> str | None:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    m = AUTH_ACCESS_KEY_RE.search(auth)
    if m:
        return m.group(1)
    qs = parse_qs(environ.get("QUERY_STRING", ""))
    for key in ("X-Amz-Credential", "AWSAccessKeyId"):
        if key in qs:
            return qs[key][0].split("/")[0]
    return None


def signing_scope(environ: dict[str, Any]) -> tuple[str | None, str | None]:
    """(region, signing name) from the SigV4 Authorization header or a presigned URL."""
    m = AUTH_SCOPE_RE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if m:
        return m.group(1), m.group(2)
    credential = parse_qs(environ.get("QUERY_STRING", "")).get("X-Amz-Credential")
    if credential:
        m = AUTH_SCOPE_RE.search("Credential=" + credential[0])
        if m:
            return m.group(1), m.group(2)
    return None, None


def s3_operation(method: str, path: str, query: dict[str, list[str]], environ: dict[str, Any]) -> str:
    if "x-id" in query:
        return query["x-id"][0]
    parts = [p for p in path.split("/") if p]
    if not parts:
        return "ListBuckets" if method == "GET" else f"{method.title()}Service"
    is_object = len(parts) > 1
    verb = METHOD_VERBS.get(method, method.title())
    if is_object:
        for key, suffix in S3_OBJECT_SUBRESOURCES.items():
            if key in query:
                return verb + suffix
        if method == "POST" and "uploads" in query:
            return "CreateMultipartUpload"
        if method == "POST" and "uploadId" in query:
            return "CompleteMultipartUpload"
        if method == "PUT" and "partNumber" in query:
            return "UploadPart"
        if method == "DELETE" and "uploadId" in query:
            return "AbortMultipartUpload"
        if method == "GET" and "uploadId" in query:
            return "ListParts"
        if method == "PUT" and environ.get("HTTP_X_AMZ_COPY_SOURCE"):
            return "CopyObject"
        return {
            "GET": "GetObject",
            "PUT": "PutObject",
            "HEAD": "HeadObject",
            "DELETE": "DeleteObject",
            "POST": "PostObject",
        }.get(method, method.title() + "Object")
    # Bucket level.
    if method == "HEAD":
        return "HeadBucket"
    if method == "POST" and "delete" in query:
        return "DeleteObjects"
    for key, suffix in S3_SUBRESOURCES.items():
        if key in query:
            return verb + suffix
    if method == "GET":
        if query.get("list-type", [""])[0] == "2":
            return "ListObjectsV2"
        if "versions" in query:
            return "ListObjectVersions"
        if "uploads" in query:
            return "ListMultipartUploads"
        return "ListObjects"
    return {"PUT": "CreateBucket", "DELETE": "DeleteBucket"}.get(method, method.title() + "Bucket")


def describe_request(environ: dict[str, Any], body: bytes | None) -> dict[str, Any]:
    method = environ.get("REQUEST_METHOD", "GET")
    path = environ.get("PATH_INFO", "")
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    scope_region, scope_service = signing_scope(environ)
    service = SERVICE_ALIASES.get(scope_service or "", scope_service)
    operation = None

    m = CBOR_PATH_RE.match(path)
    target = environ.get("HTTP_X_AMZ_TARGET")
    if m:
        operation = m.group(2)
        if service is None and m.group(1) == CLOUDWATCH_TARGET_PREFIX:
            service = "cloudwatch"
    elif target:
        operation = target.rsplit(".", 1)[-1]
    elif "Action" in query:
        operation = query["Action"][0]
    elif body and environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        form = parse_qs(body.decode("utf-8", "replace"))
        if "Action" in form:
            operation = form["Action"][0]
    if operation is None and service == "s3":
        operation = s3_operation(method, unquote(path), query, environ)
    if operation is None and service == "chatbot":
        operation = chatbot.PATHS.get(path)

    return {
        "service": service or "unknown",
        "operation": operation or "unknown",
        "method": method,
        "account": environ.get("HTTP_X_MOTO_ACCOUNT_ID") or account_for_key(access_key_of(environ)),
        "region": scope_region,
    }


def account_for_key(access_key: str | None) -> str:
    if access_key:
        m = ACCESS_KEY_ACCOUNT_RE.match(access_key)
        if m:
            return m.group(1)
        try:
            from moto.iam.models import get_account_id_from

            return get_account_id_from(access_key)
        except Exception:  # pragma: no cover - defensive
            pass
    return DEFAULT_ACCOUNT


# --------------------------------------------------------------------------
# CloudWatch: Smithy RPC v2 CBOR <-> AWS JSON 1.0
# --------------------------------------------------------------------------


def _epoch(value: dt.datetime) -> float:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.timestamp()


def cbor_to_json_value(value: Any) -> Any:
    """Turn a decoded CBOR request document into JSON-compatible data."""
    if isinstance(value, dict):
        return {
            str(k): cbor_to_json_value(v)
            for k, v in value.items()
            if v is not None and v is not cbor2.undefined
        }
    if isinstance(value, (list, tuple)):
        return [cbor_to_json_value(v) for v in value]
    if isinstance(value, dt.datetime):
        return _epoch(value)
    if isinstance(value, cbor2.CBORTag):
        if value.tag == 1:
            return value.value
        return cbor_to_json_value(value.value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def _parse_timestamp(value: Any) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dt.datetime):
        return _epoch(value)
    text = str(value).strip()
    try:
        return float(text)
    except ValueError:
        pass
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    return _epoch(dt.datetime.fromisoformat(text))


def json_to_cbor_value(value: Any, shape: Any) -> Any:
    """Shape-directed conversion of moto's JSON output into CBOR-ready data."""
    if value is None:
        return None
    type_name = getattr(shape, "type_name", None)
    if type_name == "structure" and isinstance(value, dict):
        members = shape.members
        by_wire = {}
        for name, member in members.items():
            by_wire[member.serialization.get("name", name)] = (name, member)
        out = {}
        for key, item in value.items():
            if item is None:
                continue
            if key in members:
                out[key] = json_to_cbor_value(item, members[key])
            elif key in by_wire:
                name, member = by_wire[key]
                out[name] = json_to_cbor_value(item, member)
            else:
                out[key] = json_to_cbor_value(item, None)
        return out
    if type_name == "list" and isinstance(value, list):
        return [json_to_cbor_value(v, shape.member) for v in value]
    if type_name == "map" and isinstance(value, dict):
        return {str(k): json_to_cbor_value(v, shape.value) for k, v in value.items()}
    if type_name == "timestamp":
        return cbor2.CBORTag(1, _parse_timestamp(value))
    if type_name in ("double", "float"):
        if isinstance(value, str):
            special = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
            if value in special:
                return special[value]
        return float(value)
    if type_name in ("integer", "long", "short", "byte"):
        return int(value)
    if type_name == "boolean":
        if isinstance(value, str):
            return value.lower() == "true"
        return bool(value)
    if type_name == "blob":
        if isinstance(value, str):
            return base64.b64decode(value)
        return bytes(value)
    if type_name == "string" and not isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return {str(k): json_to_cbor_value(v, None) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [json_to_cbor_value(v, None) for v in value]
    return value


def _sanitize_error_code(code: str) -> str:
    code = code.split(":", 1)[0]
    return code.rsplit("#", 1)[-1]


class CloudWatchCbor:
    def __init__(self) -> None:
        self.model = botocore.session.get_session().get_service_model("cloudwatch")

    def handle(self, app: Callable, environ: dict[str, Any], start_response: Callable, op: str, body: bytes) -> Iterable[bytes]:
        if environ.get("HTTP_CONTENT_ENCODING", "").lower() == "gzip":
            body = gzip.decompress(body)
        try:
            document = cbor2.loads(body) if body else {}
        except Exception as exc:
            return self._error(start_response, "400 Bad Request", "SerializationException", f"invalid CBOR body: {exc}")
        if document is None:
            document = {}
        payload = json.dumps(cbor_to_json_value(document)).encode("utf-8")

        environ["PATH_INFO"] = "/"
        environ["RAW_URI"] = "/"
        environ["REQUEST_URI"] = "/"
        environ["QUERY_STRING"] = ""
        environ["REQUEST_METHOD"] = "POST"
        environ["CONTENT_TYPE"] = "application/x-amz-json-1.0"
        environ["CONTENT_LENGTH"] = str(len(payload))
        environ["HTTP_X_AMZ_TARGET"] = f"{CLOUDWATCH_TARGET_PREFIX}.{op}"
        environ["wsgi.input"] = io.BytesIO(payload)
        for key in ("HTTP_SMITHY_PROTOCOL", "HTTP_CONTENT_ENCODING", "HTTP_ACCEPT"):
            environ.pop(key, None)

        try:
            status, headers, data = call_app(app, environ)
        except Exception as exc:
            log.error("emulator failure in CloudWatch %s: %s: %s", op, type(exc).__name__, exc, exc_info=log.isEnabledFor(logging.INFO))
            return self._error(start_response, "500 Internal Server Error", "InternalFailure", f"{type(exc).__name__}: {exc}")
        code = int(status.split(" ", 1)[0])
        out_headers = [
            (k, v)
            for k, v in headers
            if k.lower() not in ("content-type", "content-length", "x-amzn-errortype", "content-encoding")
        ]
        out_headers.append(("Content-Type", "application/cbor"))
        out_headers.append(("smithy-protocol", "rpc-v2-cbor"))

        if code >= 300:
            encoded = cbor2.dumps(self._error_document(code, data))
        else:
            try:
                operation = self.model.operation_model(op)
                output_shape = operation.output_shape
            except Exception:
                output_shape = None
            try:
                parsed = json.loads(data) if data.strip() else {}
            except ValueError:
                return self._error(start_response, "500 Internal Server Error", "InternalFailure",
                                   "emulator returned a non-JSON body: " + data[:200].decode("utf-8", "replace"))
            converted = json_to_cbor_value(parsed, output_shape) if output_shape is not None else {}
            encoded = cbor2.dumps(converted)
        out_headers.append(("Content-Length", str(len(encoded))))
        start_response(status, out_headers)
        return [encoded]

    @staticmethod
    def _error_document(code: int, data: bytes) -> dict[str, Any]:
        err_type = "InternalFailure" if code >= 500 else "ValidationError"
        message = data.decode("utf-8", "replace")[:500]
        try:
            parsed = json.loads(data)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            if parsed.get("__type"):
                err_type = _sanitize_error_code(str(parsed["__type"]))
            for key in ("message", "Message", "errorMessage"):
                if parsed.get(key):
                    message = str(parsed[key])
                    break
        return {"__type": err_type, "message": message}

    @staticmethod
    def _error(start_response: Callable, status: str, err_type: str, message: str,
               extra_headers: list[tuple[str, str]] | None = None) -> Iterable[bytes]:
        encoded = cbor2.dumps({"__type": err_type, "message": message})
        start_response(
            status,
            [
                ("Content-Type", "application/cbor"),
                ("smithy-protocol", "rpc-v2-cbor"),
                ("Content-Length", str(len(encoded))),
            ] + list(extra_headers or []),
        )
        return [encoded]


# --------------------------------------------------------------------------
# S3 GetBucketVersioning
# --------------------------------------------------------------------------


def fix_versioning_xml(data: bytes) -> bytes:
    """Re-root moto's versioning document as <VersioningConfiguration>."""
    children: list[tuple[str, str]] = []
    text = data.strip()
    if text:
        try:
            root = ET.fromstring(text)
        except ET.ParseError:
            return data
        local = root.tag.rsplit("}", 1)[-1]
        if local == "VersioningConfiguration" and root.tag.startswith("{" + S3_NS):
            return data
        for child in root:
            name = child.tag.rsplit("}", 1)[-1]
            if name in ("Status", "MfaDelete", "MFADelete") and (child.text or "").strip():
                children.append(("MfaDelete" if name == "MFADelete" else name, child.text.strip()))
    out = ET.Element("VersioningConfiguration", {"xmlns": S3_NS})
    for name, value in children:
        ET.SubElement(out, name).text = value
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(out, encoding="utf-8", short_empty_elements=True)


# --------------------------------------------------------------------------
# Per-account fault injection (harness route /_harness/faults)
# --------------------------------------------------------------------------

# Query-protocol XML namespaces, by request-log service name.
QUERY_NAMESPACES = {
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
    "sns": "http://sns.amazonaws.com/doc/2010-03-31/",
    "cloudwatch": "http://monitoring.amazonaws.com/doc/2010-08-01/",
}

# Bucket-configuration calls that S3 may answer NoSuchBucket for a short while after
# CreateBucket: "What is Amazon S3? / Amazon S3 data consistency model"
# (https://docs.aws.amazon.com/AmazonS3/latest/userguide/Welcome.html#ConsistencyModel):
# bucket configurations are eventually consistent.
S3_NOT_YET_CREATED_OPERATIONS = frozenset(
    {"PutBucketTagging", "PutPublicAccessBlock", "PutBucketEncryption", "PutBucketVersioning", "PutBucketPolicy"}
)
FAULT_SETTINGS = ("s3_not_yet_created", "lost_responses", "throttle", "disabled_regions", "subscription_lag_seconds",
                  "stall_after", "stall_seconds", "lost_share")
# stall_after: how long a held request waits for its client to go away before it is answered.
DEFAULT_STALL_SECONDS = 30.0
MAX_STALL_SECONDS = 3600.0
# Operation-name prefixes of reads, as tests/common/mod.rs's is_read_only: lost_share leaves them alone.
READ_PREFIXES = ("Get", "Describe", "List", "Head", "Lookup", "Filter", "Test")
ACCOUNT_RE = re.compile(r"^\d{12}$")
OPERATION_KEY_RE = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9]+$")
REGION_NAME_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
# Global services: on AWS their endpoint is signed for us-east-1 whatever Region the client is set to,
# but an SDK given an endpoint URL (as here) signs them for the client's Region; disabled_regions
# leaves them alone.
GLOBAL_SERVICES = frozenset({"iam"})
# SNS reads that subscription_lag_seconds filters.
SNS_SUBSCRIPTION_LISTS = frozenset({"ListSubscriptionsByTopic", "ListSubscriptions"})


class FaultSettingsError(ValueError):
    pass


def is_read_only(operation: str) -> bool:
    return operation.startswith(READ_PREFIXES)


def _share_setting(key: str, value: Any) -> dict[str, Any] | None:
    """{"share": 0..1, "seed": int} (throttle, lost_share); None when the share is 0."""
    if not isinstance(value, dict) or set(value) - {"share", "seed"}:
        raise FaultSettingsError(f"'{key}' must be {{\"share\": 0..1, \"seed\": int}}")
    share = value.get("share", 0)
    seed = value.get("seed", 0)
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1:
        raise FaultSettingsError(f"'{key}.share' must be a number in [0, 1]")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise FaultSettingsError(f"'{key}.seed' must be an integer")
    return {"share": float(share), "seed": seed} if share > 0 else None


def parse_fault_settings(document: Any) -> tuple[str, dict[str, Any]]:
    """Validate a POST /_harness/faults body: {"account": "...", setting: value, ...}."""
    if not isinstance(document, dict):
        raise FaultSettingsError("body must be a JSON object")
    account = document.get("account")
    if not isinstance(account, str) or not ACCOUNT_RE.match(account):
        raise FaultSettingsError("'account' must be a 12-digit string")
    settings: dict[str, Any] = {}
    for key, value in document.items():
        if key == "account":
            continue
        if key not in FAULT_SETTINGS:
            raise FaultSettingsError(f"unknown setting {key!r} (known: {', '.join(FAULT_SETTINGS)})")
        if value is None:
            continue
        if key == "s3_not_yet_created":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise FaultSettingsError("'s3_not_yet_created' must be an integer >= 0")
            if value:
                settings[key] = value
        elif key == "lost_responses":
            if not isinstance(value, list) or not all(isinstance(v, str) and OPERATION_KEY_RE.match(v) for v in value):
                raise FaultSettingsError("'lost_responses' must be a list of \"service:Operation\" strings")
            if value:
                settings[key] = list(dict.fromkeys(value))
        elif key in ("throttle", "lost_share"):
            share = _share_setting(key, value)
            if share:
                settings[key] = share
        elif key == "disabled_regions":
            if not isinstance(value, list) or not all(isinstance(v, str) and REGION_NAME_RE.match(v) for v in value):
                raise FaultSettingsError("'disabled_regions' must be a list of region names such as \"ap-east-1\"")
            if value:
                settings[key] = list(dict.fromkeys(value))
        elif key == "subscription_lag_seconds":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
                raise FaultSettingsError("'subscription_lag_seconds' must be a number of seconds >= 0")
            if value > 0:
                settings[key] = value
        elif key == "stall_after":
            # 0 is a setting (hold every request), unlike the other zero values.
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise FaultSettingsError("'stall_after' must be an integer >= 0")
            settings[key] = value
        elif key == "stall_seconds":
            if (isinstance(value, bool) or not isinstance(value, (int, float))
                    or not 0 < value <= MAX_STALL_SECONDS):
                raise FaultSettingsError(f"'stall_seconds' must be a number of seconds in (0, {MAX_STALL_SECONDS:g}]")
            settings[key] = value
    if "stall_seconds" in settings and "stall_after" not in settings:
        raise FaultSettingsError("'stall_seconds' needs 'stall_after'")
    if "stall_after" in settings:
        settings.setdefault("stall_seconds", DEFAULT_STALL_SECONDS)
    return account, settings


class AccountFaults:
    def __init__(self, settings: dict[str, Any]):
        self.settings = settings
        self.lost_pending: list[str] = list(settings.get("lost_responses", []))
        self.lost_fired: list[str] = []
        self.not_yet_created: dict[str, int] = {}
        throttle = settings.get("throttle")
        self.rng = random.Random(throttle["seed"]) if throttle else None
        lost_share = settings.get("lost_share")
        # A generator of its own: lost_share's pattern does not depend on throttle's draws.
        self.lost_rng = random.Random(lost_share["seed"]) if lost_share else None
        self.stall_after: int | None = settings.get("stall_after")
        self.stall_seconds = float(settings.get("stall_seconds", DEFAULT_STALL_SECONDS))
        # Requests of the account that reached moto since these settings (what stall_after counts).
        self.reached_moto = 0
        self.stalls = {"waiting": 0, "client_gone": 0, "timed_out": 0, "released": 0}
        self.disabled_regions = frozenset(settings.get("disabled_regions", []))
        self.subscription_lag = float(settings.get("subscription_lag_seconds", 0))
        # (topic ARN, endpoint) -> time.monotonic() when its Subscribe was answered.
        self.subscribed_at: dict[tuple[str, str], float] = {}
        self.counts: dict[str, int] = {}

    def lagging(self, now: float) -> set[tuple[str, str]]:
        """(topic ARN, endpoint) pairs whose Subscribe was answered less than the lag ago."""
        return {key for key, at in self.subscribed_at.items() if now - at < self.subscription_lag}

    def describe(self) -> dict[str, Any]:
        now = time.monotonic()
        return {
            "settings": self.settings,
            "lost_responses_pending": list(self.lost_pending),
            "lost_responses_fired": list(self.lost_fired),
            "buckets_not_yet_created": {b: n for b, n in self.not_yet_created.items() if n > 0},
            "subscriptions_hidden": [
                {"topic_arn": topic, "endpoint": endpoint,
                 "visible_in_seconds": round(self.subscription_lag - (now - self.subscribed_at[(topic, endpoint)]), 3)}
                for topic, endpoint in sorted(self.lagging(now))
            ],
            "requests_reached_moto": self.reached_moto,
            "stalls": dict(self.stalls),
            "answered": dict(self.counts),
        }


class FaultRegistry:
    """Fault settings and their state, per account; every method is thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._accounts: dict[str, AccountFaults] = {}

    def replace(self, account: str, settings: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if settings:
                self._accounts[account] = AccountFaults(settings)
                return self._accounts[account].describe()
            self._accounts.pop(account, None)
            return {"settings": {}}

    def clear(self, account: str) -> bool:
        with self._lock:
            return self._accounts.pop(account, None) is not None

    def listing(self) -> dict[str, Any]:
        with self._lock:
            return {account: state.describe() for account, state in sorted(self._accounts.items())}

    def active(self, account: str) -> bool:
        return account in self._accounts

    def tracks_buckets(self, account: str) -> bool:
        with self._lock:
            state = self._accounts.get(account)
            return bool(state and state.settings.get("s3_not_yet_created"))

    def bucket_created(self, account: str, bucket: str) -> None:
        with self._lock:
            state = self._accounts.get(account)
            if state and state.settings.get("s3_not_yet_created"):
                state.not_yet_created[bucket] = state.settings["s3_not_yet_created"]

    def lags_subscriptions(self, account: str) -> bool:
        with self._lock:
            state = self._accounts.get(account)
            return bool(state and state.subscription_lag > 0)

    def subscribed(self, account: str, topic_arn: str, endpoint: str) -> None:
        """A Subscribe that created (topic ARN, endpoint) was just answered."""
        with self._lock:
            state = self._accounts.get(account)
            if state and state.subscription_lag > 0:
                state.subscribed_at[(topic_arn, endpoint)] = time.monotonic()

    def hidden_subscriptions(self, account: str) -> set[tuple[str, str]]:
        with self._lock:
            state = self._accounts.get(account)
            if not state or state.subscription_lag <= 0:
                return set()
            return state.lagging(time.monotonic())

    def count(self, account: str, fault: str) -> None:
        with self._lock:
            state = self._accounts.get(account)
            if state:
                state.counts[fault] = state.counts.get(fault, 0) + 1

    def stall_ended(self, state: AccountFaults, how: str) -> None:
        """A held request of `state`'s settings was let go: client_gone, timed_out or released."""
        with self._lock:
            state.stalls["waiting"] -= 1
            state.stalls[how] += 1

    def is_current(self, account: str, state: AccountFaults) -> bool:
        """`state` is still the account's settings (not cleared or replaced since)."""
        with self._lock:
            return self._accounts.get(account) is state

    def decide(self, entry: dict[str, Any], bucket: str | None,
               refused: bool = False) -> tuple[str | None, AccountFaults | None]:
        """The fault to answer this request with, if any (consumes the fault), and the account's fault
        state. `refused`: a fidelity rule refuses the request, so it would never reach moto (then
        lost_responses is not consumed, lost_share draws nothing and stall_after does not count it)."""
        with self._lock:
            state = self._accounts.get(entry["account"])
            if state is None:
                return None, None
            fault = None
            throttle = state.settings.get("throttle")
            lost_share = state.settings.get("lost_share")
            if state.stall_after is not None and state.reached_moto >= state.stall_after:
                # K requests have reached moto: the "process" is gone, nothing else applies.
                fault = "stall"
                state.stalls["waiting"] += 1
            elif entry.get("region") in state.disabled_regions and entry["service"] not in GLOBAL_SERVICES:
                fault = "disabled_region"
            elif state.rng is not None and throttle and state.rng.random() < throttle["share"]:
                fault = "throttle"
            elif (entry["service"] == "s3" and entry["operation"] in S3_NOT_YET_CREATED_OPERATIONS
                  and bucket and state.not_yet_created.get(bucket, 0) > 0):
                state.not_yet_created[bucket] -= 1
                fault = "s3_not_yet_created"
            elif not refused:
                key = f"{entry['service']}:{entry['operation']}"
                if key in state.lost_pending:
                    state.lost_pending.remove(key)
                    state.lost_fired.append(key)
                    fault = "lost_response"
                elif (state.lost_rng is not None and lost_share and not is_read_only(entry["operation"])
                      and state.lost_rng.random() < lost_share["share"]):
                    fault = "lost_share"
            if not refused and fault in (None, "lost_response", "lost_share"):
                state.reached_moto += 1
            if fault:
                state.counts[fault] = state.counts.get(fault, 0) + 1
            return fault, state


def s3_bucket_of(environ: dict[str, Any]) -> str | None:
    """Bucket of a path-style S3 request."""
    parts = [p for p in unquote(environ.get("PATH_INFO", "")).split("/") if p]
    return parts[0] if parts else None


def protocol_of(environ: dict[str, Any], entry: dict[str, Any]) -> str:
    if CBOR_PATH_RE.match(environ.get("PATH_INFO", "")):
        return "cbor"
    if entry["service"] == "s3":
        return "s3"
    if environ.get("HTTP_X_AMZ_TARGET"):
        return "json"
    return "query"


def _request_id() -> str:
    return str(uuid.uuid4())


def error_response(start_response: Callable, protocol: str, environ: dict[str, Any], entry: dict[str, Any],
                   status: str, code: str, message: str, extra: dict[str, str] | None = None,
                   query_error: bool = False) -> Iterable[bytes]:
    """An AWS error in the wire form of the request's protocol. `extra`: more S3 <Error> children;
    `query_error`: JSON and CBOR answers also carry `x-amzn-query-error: CODE;Sender|Receiver` (what a
    query-compatible service such as CloudWatch sends, and what its SDKs read the code from)."""
    request_id = _request_id()
    if protocol == "cbor":
        headers = [("x-amzn-RequestId", request_id)]
        if query_error:
            headers.append(("x-amzn-query-error", f"{code};{'Receiver' if status.startswith('5') else 'Sender'}"))
        return CloudWatchCbor._error(start_response, status, code, message, headers)
    if protocol == "json":
        content_type = environ.get("CONTENT_TYPE") or "application/x-amz-json-1.1"
        data = json.dumps({"__type": code, "message": message}).encode("utf-8")
        headers = [("Content-Type", content_type), ("x-amzn-RequestId", request_id), ("x-amzn-ErrorType", code)]
        if query_error:
            headers.append(("x-amzn-query-error", f"{code};{'Receiver' if status.startswith('5') else 'Sender'}"))
    elif protocol == "s3":
        root = ET.Element("Error")
        ET.SubElement(root, "Code").text = code
        ET.SubElement(root, "Message").text = message
        for name, value in (extra or {}).items():
            ET.SubElement(root, name).text = value
        ET.SubElement(root, "RequestId").text = request_id
        ET.SubElement(root, "HostId").text = base64.b64encode(request_id.encode()).decode("ascii")
        data = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")
        if environ.get("REQUEST_METHOD") == "HEAD":
            data = b""
        headers = [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)]
    else:
        root = ET.Element("ErrorResponse", {"xmlns": QUERY_NAMESPACES.get(entry["service"], "")})
        error = ET.SubElement(root, "Error")
        ET.SubElement(error, "Type").text = "Receiver" if status.startswith("5") else "Sender"
        ET.SubElement(error, "Code").text = code
        ET.SubElement(error, "Message").text = message
        ET.SubElement(root, "RequestId").text = request_id
        data = ET.tostring(root, encoding="utf-8")
        headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)]
    headers.append(("Content-Length", str(len(data))))
    start_response(status, headers)
    return [data]


# Throttling answers by protocol. Query: IAM/STS/SNS answer 400 Throttling "Rate exceeded"
# (error body as reported in github.com/legion-platform/legion/issues/807). JSON: CloudTrail's
# ThrottlingException ("CloudTrail / Client / exceptions / ThrottlingException",
# https://docs.aws.amazon.com/botocore/latest/reference/services/cloudtrail/client/exceptions/ThrottlingException.html),
# HTTP 400 as in AWS's Common Errors ("Common Errors - AWS Data Exchange",
# https://docs.aws.amazon.com/data-exchange/latest/apireference/CommonErrors.html). S3: 503 SlowDown
# ("Amazon S3 error best practices", https://docs.aws.amazon.com/AmazonS3/latest/userguide/ErrorBestPractices.html).
THROTTLE_ANSWERS = {
    "query": ("400 Bad Request", "Throttling", "Rate exceeded"),
    "json": ("400 Bad Request", "ThrottlingException", "Rate exceeded"),
    "cbor": ("400 Bad Request", "ThrottlingException", "Rate exceeded"),
    "s3": ("503 Slow Down", "SlowDown", "Please reduce your request rate."),
}
# A lost response: the write happened, the caller sees a server error. S3: InternalError
# (same S3 page: a request answered InternalError may or may not have been processed);
# other protocols: InternalFailure, HTTP 500 (same Common Errors page).
INTERNAL_ANSWERS = {
    "query": ("500 Internal Server Error", "InternalFailure",
              "The request processing has failed because of an unknown error, exception or failure."),
    "json": ("500 Internal Server Error", "InternalFailure",
             "The request processing has failed because of an unknown error, exception or failure."),
    "cbor": ("500 Internal Server Error", "InternalFailure",
             "The request processing has failed because of an unknown error, exception or failure."),
    "s3": ("500 Internal Server Error", "InternalError", "We encountered an internal error. Please try again."),
}


# A held request (stall_after) that is let go: ServiceUnavailable, HTTP 503, "The request has failed due to
# a temporary failure of the server." (Common Errors, same page as above), in every protocol (S3 included:
# its <Error> then carries Code ServiceUnavailable). CloudWatch, query-compatible, adds x-amzn-query-error.
UNAVAILABLE_ANSWER = ("503 Service Unavailable", "ServiceUnavailable",
                      "The request has failed due to a temporary failure of the server.")


def hold_request(environ: dict[str, Any], seconds: float, still_wanted: Callable[[], bool]) -> str:
    """Keep the calling server thread here until the client closes its connection ("client_gone"),
    `seconds` have passed ("timed_out") or `still_wanted()` turns false ("released": the account's
    settings were cleared or replaced). Nothing else is waiting on this thread: werkzeug serves each
    connection in a thread of its own. The request body must have been read already, so that anything
    left readable on the socket is the client's end of file."""
    sock = environ.get("werkzeug.socket")
    deadline = time.monotonic() + seconds
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return "timed_out"
        if not still_wanted():
            return "released"
        wait = min(remaining, 0.1)
        if sock is None:
            time.sleep(wait)
            continue
        try:
            readable, _, _ = select.select([sock], [], [], wait)
            if not readable:
                continue
            if not sock.recv(1, socket.MSG_PEEK):
                return "client_gone"
            time.sleep(wait)  # bytes of a next request on the connection: the client is still there
        except (BlockingIOError, InterruptedError, socket.timeout):
            continue
        except (OSError, ValueError):
            return "client_gone"


# A request signed for a Region the account has not enabled: "Specify which AWS Regions your account
# can use" (AWS Account Management Reference Guide,
# https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-regions.html; enabling one:
# https://docs.aws.amazon.com/cli/latest/reference/account/enable-region.html). AWS rejects the
# credentials there, each service with its own "invalid credentials" error, as reported:
#   query (STS, SNS) and CloudWatch: 403 InvalidClientTokenId "The security token included in the
#     request is invalid." (sts:GetCallerIdentity in af-south-1: github.com/hashicorp/terraform-provider-aws/issues/12940;
#     eu-south-1: github.com/remotion-dev/github-unwrapped-2022/issues/34; CloudWatch DescribeAlarms in
#     eu-south-1/af-south-1/me-central-1: github.com/prowler-cloud/prowler/issues/2458);
#   JSON (CloudWatch Logs, CloudTrail): 400 UnrecognizedClientException, same message (Logs
#     DescribeMetricFilters in me-south-1: github.com/nccgroup/ScoutSuite/issues/1389; the JSON body and
#     400 status: github.com/maxbanton/cwh/issues/119);
#   S3: 403 InvalidAccessKeyId "The AWS Access Key Id you provided does not exist in our records." --
#     S3's own code for a key it does not know, the IAM resources being "distributed to the Region" only
#     when it is enabled (same Account Management page); no public report of S3's exact answer in a
#     disabled Region with long-term keys was found.
# CloudWatch speaks JSON 1.0 (boto3) and CBOR (the Rust SDK) but is query-compatible: its errors keep
# the query codes (x-amzn-query-error), so it answers as the query services do.
QUERY_COMPATIBLE_SERVICES = frozenset({"cloudwatch"})
REGION_DISABLED_ANSWERS = {
    "query": ("403 Forbidden", "InvalidClientTokenId", "The security token included in the request is invalid."),
    "cbor": ("403 Forbidden", "InvalidClientTokenId", "The security token included in the request is invalid."),
    "json": ("400 Bad Request", "UnrecognizedClientException", "The security token included in the request is invalid."),
    "s3": ("403 Forbidden", "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."),
}


# --------------------------------------------------------------------------
# SNS: subscriptions not yet listed (subscription_lag_seconds)
# --------------------------------------------------------------------------

SNS_MEMBER_RE = re.compile(rb"<member>.*?</member>", re.DOTALL)
SNS_SUBSCRIPTIONS_RE = re.compile(rb"(<Subscriptions>)(.*?)(</Subscriptions>)", re.DOTALL)


def sns_subscription_exists(account: str, region: str | None, topic_arn: str, endpoint: str, protocol: str) -> bool:
    """Whether moto already holds this subscription (a repeated Subscribe creates nothing new)."""
    try:
        from moto.sns.models import sns_backends

        backend = sns_backends[account][region or "us-east-1"]
        return backend._find_subscription(topic_arn, endpoint, protocol) is not None
    except Exception:  # pragma: no cover - moto internals changed: count it as new
        return False


def filter_subscription_members(data: bytes, hidden: set[tuple[str, str]]) -> tuple[bytes, int]:
    """Drop the <member>s of a List{Subscriptions,SubscriptionsByTopic} XML answer whose
    (TopicArn, Endpoint) is in `hidden`; returns the new document and how many were dropped."""
    dropped = 0

    def keep(member: bytes) -> bool:
        try:
            element = ET.fromstring(member)
        except ET.ParseError:
            return True
        fields = {child.tag.rsplit("}", 1)[-1]: (child.text or "") for child in element}
        return (fields.get("TopicArn", ""), fields.get("Endpoint", "")) not in hidden

    def rewrite(block: re.Match) -> bytes:
        nonlocal dropped
        members = SNS_MEMBER_RE.findall(block.group(2))
        kept = [m for m in members if keep(m)]
        dropped += len(members) - len(kept)
        if len(kept) == len(members):
            return block.group(0)
        return block.group(1) + b"".join(kept) + block.group(3)

    out = SNS_SUBSCRIPTIONS_RE.sub(rewrite, data)
    return out, dropped


# --------------------------------------------------------------------------
# WSGI plumbing
# --------------------------------------------------------------------------


def call_app(app: Callable, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    captured: dict[str, Any] = {}

    def _start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable:
        captured["status"] = status
        captured["headers"] = list(headers)
        return lambda _chunk: None

    result = app(environ, _start)
    try:
        data = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close:
            close()
    return captured.get("status", "500 Internal Server Error"), captured.get("headers", []), data


def _json_response(start_response: Callable, status: str, value: Any) -> Iterable[bytes]:
    data = json.dumps(value).encode("utf-8")
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


class HarnessMiddleware:
    def __init__(self, app: Callable, request_log: RequestLog, request_rules: Iterable[Callable] = ()):
        self.app = app
        self.log = request_log
        self.cloudwatch = CloudWatchCbor()
        self.chatbot = chatbot.Chatbot()
        self.faults = FaultRegistry()
        # fidelity.REQUEST_RULES (none with --plain-moto): each takes (environ, entry, bucket) and
        # returns None or a refusal {"rule", "status", "code", "message"[, "extra"]} that is answered
        # here, without reaching moto.
        self.request_rules = list(request_rules)

    def _refusal(self, environ: dict[str, Any], entry: dict[str, Any], bucket: str | None) -> dict[str, Any] | None:
        for rule in self.request_rules:
            refusal = rule(environ, entry, bucket)
            if refusal:
                return refusal
        return None

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")

        if path.startswith("/_harness/"):
            return self._harness(environ, start_response)
        if path.startswith("/moto-api"):
            return self.app(environ, start_response)

        # Map TWEM<account>XXXX access keys onto moto's per-account state.
        if "HTTP_X_MOTO_ACCOUNT_ID" not in environ:
            m = ACCESS_KEY_ACCOUNT_RE.match(access_key_of(environ) or "")
            if m:
                environ["HTTP_X_MOTO_ACCOUNT_ID"] = m.group(1)

        body: bytes | None = None
        cbor_match = CBOR_PATH_RE.match(path)
        form = environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded")
        if cbor_match or form:
            body = read_body(environ)

        entry = describe_request(environ, body)
        account = entry["account"]
        bucket = s3_bucket_of(environ) if entry["service"] == "s3" else None
        refusal = self._refusal(environ, entry, bucket)
        faulty = self.faults.active(account)
        fault, fault_state = self.faults.decide(entry, bucket, refused=refusal is not None) if faulty else (None, None)
        if fault:
            entry["fault"] = fault
        elif refusal:
            entry["rule"] = refusal["rule"]
        # A subscription list under subscription_lag_seconds is logged once filtered (see below).
        lagged_list = (not fault and not refusal and entry["service"] == "sns"
                       and entry["operation"] in SNS_SUBSCRIPTION_LISTS and self.faults.lags_subscriptions(account))
        if not lagged_list:
            self.log.append(entry)

        protocol = protocol_of(environ, entry)
        if fault == "stall" and fault_state is not None:
            # Logged above, before the wait: a test sees request K+1 arrive, then kills its client.
            state = fault_state
            how = "client_gone"
            try:
                if body is None:
                    body = read_body(environ)  # drained, so that the socket reads as EOF once the client is gone
                how = hold_request(environ, state.stall_seconds, lambda: self.faults.is_current(account, state))
            finally:
                self.faults.stall_ended(state, how)
            status, code, message = UNAVAILABLE_ANSWER
            # Never handed to moto, however the wait ended.
            return error_response(start_response, protocol, environ, entry, status, code, message,
                                  query_error=entry["service"] in QUERY_COMPATIBLE_SERVICES)
        if fault == "disabled_region":
            query_compatible = entry["service"] in QUERY_COMPATIBLE_SERVICES
            status, code, message = REGION_DISABLED_ANSWERS["query" if query_compatible else protocol]
            extra = {"AWSAccessKeyId": access_key_of(environ) or ""} if protocol == "s3" else None
            return error_response(start_response, protocol, environ, entry, status, code, message, extra,
                                  query_error=query_compatible)
        if fault == "throttle":
            status, code, message = THROTTLE_ANSWERS[protocol]
            return error_response(start_response, protocol, environ, entry, status, code, message)
        if fault == "s3_not_yet_created":
            return error_response(start_response, protocol, environ, entry, "404 Not Found", "NoSuchBucket",
                                  "The specified bucket does not exist", {"BucketName": bucket or ""})
        if refusal:
            return error_response(start_response, protocol, environ, entry, refusal["status"], refusal["code"],
                                  refusal["message"], refusal.get("extra"))

        if entry["service"] == "chatbot" and entry["operation"] in chatbot.PATHS.values():
            try:
                answer = self.chatbot.handle(account, entry["operation"], read_body(environ))
            except chatbot.ChatbotError as exc:
                return error_response(start_response, "json", environ, entry, exc.status, exc.code, exc.message)
            return _json_response(start_response, "200 OK", answer)

        track_bucket = (entry["service"] == "s3" and entry["operation"] == "CreateBucket" and bucket is not None
                        and self.faults.tracks_buckets(account))
        subscribe: tuple[str, str] | None = None
        if entry["service"] == "sns" and entry["operation"] == "Subscribe" and self.faults.lags_subscriptions(account):
            params = parse_qs((body or b"").decode("utf-8", "replace")) if form else parse_qs(environ.get("QUERY_STRING", ""))
            topic_arn = params.get("TopicArn", [""])[0]
            endpoint = params.get("Endpoint", [""])[0]
            if not sns_subscription_exists(account, entry["region"], topic_arn, endpoint, params.get("Protocol", [""])[0]):
                subscribe = (topic_arn, endpoint)
        lost = fault in ("lost_response", "lost_share")
        if lost or track_bucket or subscribe or lagged_list:
            # Run the request to completion here: its outcome decides what happens next.
            captured: dict[str, Any] = {}

            def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable:
                captured["status"], captured["headers"] = status, list(headers)
                return lambda _chunk: None

            result = self._dispatch(environ, capture, entry, body, cbor_match)
            try:
                data = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close:
                    close()
            status = captured.get("status", "500 Internal Server Error")
            headers = captured.get("headers", [])
            if track_bucket and status.startswith("2"):
                self.faults.bucket_created(account, bucket or "")
            if subscribe and status.startswith("2"):
                self.faults.subscribed(account, *subscribe)
            if lagged_list:
                hidden = self.faults.hidden_subscriptions(account)
                if hidden and status.startswith("2") and data.lstrip().startswith(b"<"):
                    data, dropped = filter_subscription_members(data, hidden)
                    if dropped:
                        entry["fault"] = "subscription_lag"
                        self.faults.count(account, "subscription_lag")
                        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
                        headers.append(("Content-Length", str(len(data))))
                self.log.append(entry)
            if lost:
                status, code, message = INTERNAL_ANSWERS[protocol]
                return error_response(start_response, protocol, environ, entry, status, code, message)
            start_response(status, headers)
            return [data]

        return self._dispatch(environ, start_response, entry, body, cbor_match)

    def _dispatch(self, environ: dict[str, Any], start_response: Callable, entry: dict[str, Any],
                  body: bytes | None, cbor_match: Any) -> Iterable[bytes]:
        if cbor_match and environ.get("REQUEST_METHOD") == "POST":
            if cbor_match.group(1) == CLOUDWATCH_TARGET_PREFIX:
                return self.cloudwatch.handle(self.app, environ, start_response, cbor_match.group(2), body or b"")

        try:
            if entry["service"] == "s3" and entry["operation"] == "GetBucketVersioning":
                status, headers, data = call_app(self.app, environ)
                if status.startswith("200"):
                    data = fix_versioning_xml(data)
                    headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
                    headers.append(("Content-Length", str(len(data))))
                start_response(status, headers)
                return [data]
            return self.app(environ, start_response)
        except Exception as exc:
            log.error("emulator failure in %s %s: %s: %s", entry["service"], entry["operation"], type(exc).__name__, exc,
                      exc_info=log.isEnabledFor(logging.INFO))
            data = f"{type(exc).__name__}: {exc}".encode("utf-8")
            start_response("500 Internal Server Error", [("Content-Type", "text/plain"), ("Content-Length", str(len(data)))])
            return [data]

    def _harness(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/_harness/requests" and method == "GET":
            return _json_response(start_response, "200 OK", self.log.snapshot())
        if path == "/_harness/requests/reset" and method == "POST":
            return _json_response(start_response, "200 OK", {"cleared": self.log.clear()})
        if path == "/_harness/health":
            return _json_response(start_response, "200 OK", {"status": "ok"})
        if path == "/_harness/faults":
            return self._faults_route(environ, method, start_response)
        if path == "/_harness/chatbot" and method == "POST":
            # The console's one-time authorization of a Slack workspace or Teams team.
            document = json.loads(read_body(environ) or b"{}")
            return _json_response(start_response, "200 OK", self.chatbot.authorize(
                document.get("account", ""), document.get("slack", []), document.get("teams", [])))
        return _json_response(start_response, "404 Not Found", {"error": f"no harness route {method} {path}"})

    def _faults_route(self, environ: dict[str, Any], method: str, start_response: Callable) -> Iterable[bytes]:
        if method == "GET":
            account = parse_qs(environ.get("QUERY_STRING", "")).get("account", [None])[0]
            listing = self.faults.listing()
            if account is not None:
                listing = {account: listing[account]} if account in listing else {}
            return _json_response(start_response, "200 OK", listing)
        if method == "POST":
            try:
                document = json.loads(read_body(environ) or b"null")
                account, settings = parse_fault_settings(document)
            except (ValueError, FaultSettingsError) as exc:
                return _json_response(start_response, "400 Bad Request", {"error": str(exc)})
            return _json_response(start_response, "200 OK", {"account": account, **self.faults.replace(account, settings)})
        if method == "DELETE":
            account = parse_qs(environ.get("QUERY_STRING", "")).get("account", [""])[0]
            if not ACCOUNT_RE.match(account):
                return _json_response(start_response, "400 Bad Request",
                                      {"error": "DELETE /_harness/faults needs ?account=<12 digits>"})
            return _json_response(start_response, "200 OK", {"account": account, "cleared": self.faults.clear(account)})
        return _json_response(start_response, "405 Method Not Allowed", {"error": f"{method} /_harness/faults"})


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------


CLEANUP_FILES: list[str] = []


def exit_now(code: int = 0) -> None:
    """Leave at once (no thread joins), removing the --cleanup-file paths."""
    for path in CLEANUP_FILES:
        try:
            os.remove(path)
        except OSError:
            pass
    os._exit(code)


def watch_parent(parent_pid: int) -> None:
    while True:
        time.sleep(0.5)
        gone = os.getppid() != parent_pid
        if not gone:
            try:
                os.kill(parent_pid, 0)
            except ProcessLookupError:
                gone = True
            except PermissionError:
                pass
        if gone:
            exit_now()


def write_port_file(path: str, port: int) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="ascii") as fh:
        fh.write(f"{port}\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", help="write the bound port here once listening")
    parser.add_argument("--parent-pid", type=int, help="exit when this process goes away")
    parser.add_argument("--cleanup-file", action="append", default=[],
                        help="remove this file when exiting (repeatable)")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.add_argument("--plain-moto", action="store_true",
                        help="skip the behaviour patches in fidelity.py (wire-format fixes stay on)")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    logging.getLogger("werkzeug").setLevel(logging.INFO if args.verbose else logging.ERROR)

    CLEANUP_FILES.extend(args.cleanup_file)
    if args.parent_pid:
        threading.Thread(target=watch_parent, args=(args.parent_pid,), daemon=True).start()

    def _stop(_signum: int, _frame: Any) -> None:
        exit_now()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)

    request_rules: list[Callable] = []
    if not args.plain_moto:
        import fidelity

        for label in fidelity.apply():
            log.info("fidelity patch: %s", label)
        request_rules = list(fidelity.REQUEST_RULES)

    moto_app = DomainDispatcherApplication(create_backend_app)
    app = HarnessMiddleware(moto_app, RequestLog(os.environ.get("TRAILWARDEN_EMULATOR_LOG")), request_rules)

    server = make_server(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    port = server.socket.getsockname()[1]
    os.environ["MOTO_PORT"] = str(port)
    if args.port_file:
        write_port_file(args.port_file, port)
    print(f"trailwarden emulator listening on http://{args.host}:{port}", file=sys.stderr, flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
