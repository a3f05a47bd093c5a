#!/usr/bin/env python3
"""Self-test of the emulator's AWS-fidelity rules (fidelity.py) and fault switches (server.py).

Starts server.py on a free port, drives it with boto3 (one fresh 12-digit account per case,
selected by the TWEM<account>AAAA access-key convention) and checks each rule both ways:
refused when the input is wrong, accepted when it is right.

    .venv-emulator/bin/python tests/emulator/test_fidelity.py [-v] [-k SUBSTRING]

Exit status 0 when every check passed; the last line reads "N passed, M failed".
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
from typing import Any, Callable

import boto3
import botocore.exceptions
from botocore.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
REGION = "us-east-1"
PASSED: list[str] = []
FAILED: list[str] = []
VERBOSE = False
_counter = [0]


# ---------------------------------------------------------------- plumbing


def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii") as fh:
            return fh.read().strip()
    except OSError:
        return ""


class Server:
    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="tw-fidelity-")
        port_file = os.path.join(self.dir, "port")
        self.log = open(os.path.join(self.dir, "server.log"), "w+")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "server.py"), "--port", "0", "--port-file", port_file,
             "--parent-pid", str(os.getpid())],
            stdout=self.log, stderr=subprocess.STDOUT,
            env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"),
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            if _read(port_file):
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        if not _read(port_file):
            self.log.seek(0)
            output = self.log.read()
            self.stop()
            raise SystemExit("emulator did not start:\n" + output)
        self.endpoint = f"http://127.0.0.1:{_read(port_file)}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def harness(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.endpoint + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    def faults(self, account: str, **settings: Any) -> None:
        status, body = self.harness("POST", "/_harness/faults", {"account": account, **settings})
        assert status == 200, (status, body)

    def requests_for(self, account: str) -> list[dict[str, Any]]:
        return [e for e in self.harness("GET", "/_harness/requests")[1] if e["account"] == account]


def new_account() -> str:
    _counter[0] += 1
    return f"7{os.getpid() % 100000:05d}{_counter[0]:06d}"


class Aws:
    """boto3 clients for one account."""

    def __init__(self, server: Server, account: str, retries: int = 1):
        self.account = account
        self.session = boto3.session.Session(
            aws_access_key_id=f"TWEM{account}AAAA", aws_secret_access_key="emulator", region_name=REGION)
        # total_max_attempts counts the first attempt (botocore's max_attempts would not); no
        # client-side validation, so that what reaches the emulator is what a test sends.
        self.config = Config(retries={"total_max_attempts": retries, "mode": "standard"},
                             s3={"addressing_style": "path"}, connect_timeout=5, read_timeout=30,
                             parameter_validation=False)
        self.endpoint = server.endpoint
        self._clients: dict[str, Any] = {}

    def __getattr__(self, service: str) -> Any:
        if service.startswith("_"):
            raise AttributeError(service)
        if service not in self._clients:
            self._clients[service] = self.session.client(service, endpoint_url=self.endpoint, config=self.config)
        return self._clients[service]

    def client(self, service: str, region: str) -> Any:
        """A client of this account signing for another region."""
        key = f"{service}@{region}"
        if key not in self._clients:
            self._clients[key] = self.session.client(service, region_name=region, endpoint_url=self.endpoint,
                                                     config=self.config)
        return self._clients[key]


def cbor_call(server: Server, account: str, region: str, operation: str, params: dict | None = None
              ) -> tuple[int, dict[str, str], Any]:
    """A CloudWatch call in Smithy RPC v2 CBOR, as the Rust SDK sends it (boto3 uses JSON 1.0)."""
    import cbor2
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = f"{server.endpoint}/service/GraniteServiceVersion20100801/operation/{operation}"
    request = AWSRequest(method="POST", url=url, data=cbor2.dumps(params or {}), headers={
        "Content-Type": "application/cbor", "Accept": "application/cbor", "smithy-protocol": "rpc-v2-cbor"})
    SigV4Auth(Credentials(f"TWEM{account}AAAA", "emulator"), "monitoring", region).add_auth(request)
    prepared = urllib.request.Request(url, data=request.body, method="POST", headers=dict(request.headers.items()))
    try:
        with urllib.request.urlopen(prepared) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, cbor2.loads(resp.read() or cbor2.dumps({}))
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, cbor2.loads(err.read())


def check(name: str, fn: Callable[[], None]) -> None:
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - report every failure and go on
        FAILED.append(name)
        print(f"FAIL {name}: {type(exc).__name__}: {exc}")
        if VERBOSE:
            traceback.print_exc()
    else:
        PASSED.append(name)
        if VERBOSE:
            print(f"ok   {name}")


def expect_error(call: Callable[[], Any], code: str, status: int | None = None, message: str | None = None) -> dict:
    try:
        call()
    except botocore.exceptions.ClientError as err:
        got = err.response["Error"].get("Code")
        got_status = err.response["ResponseMetadata"].get("HTTPStatusCode")
        assert got == code, f"expected {code}, got {got}: {err.response['Error']}"
        if status is not None:
            assert got_status == status, f"expected HTTP {status}, got {got_status}"
        if message is not None:
            got_message = err.response["Error"].get("Message", "")
            assert message in got_message, f"message {got_message!r} lacks {message!r}"
        return err.response
    raise AssertionError(f"expected {code}, the call succeeded")


# ---------------------------------------------------------------- CloudTrail set-up helpers


def trust_policy(condition: dict | None = None, service: str = "cloudtrail.amazonaws.com") -> str:
    stmt: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if condition:
        stmt["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [stmt]})


def bucket_policy(bucket: str, account: str, trail_arn: str | None, prefix: str = "",
                  put_resource: str | None = None, acl_resource: str | None = None,
                  source_arn_op: str = "StringEquals", extra: list | None = None) -> str:
    """CloudTrail's documented bucket policy (with aws:SourceArn when trail_arn is given) plus a TLS deny."""
    key = f"{prefix}/AWSLogs/{account}/*" if prefix else f"AWSLogs/{account}/*"
    acl: dict[str, Any] = {
        "Sid": "AWSCloudTrailAclCheck", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "s3:GetBucketAcl", "Resource": acl_resource or f"arn:aws:s3:::{bucket}",
    }
    write: dict[str, Any] = {
        "Sid": "AWSCloudTrailWrite", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "s3:PutObject", "Resource": put_resource or f"arn:aws:s3:::{bucket}/{key}",
        "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
    }
    if trail_arn:
        acl["Condition"] = {source_arn_op: {"aws:SourceArn": trail_arn}}
        write["Condition"].setdefault(source_arn_op, {})["aws:SourceArn"] = trail_arn
    deny_tls = {
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [acl, write, deny_tls] + (extra or [])})


def trail_arn(account: str, name: str) -> str:
    return f"arn:aws:cloudtrail:{REGION}:{account}:trail/{name}"


def setup_chain(aws: Aws, trail: str = "main", policy: str | None = None, trust: str | None = None,
                role_path: str = "/", prefix: str = "") -> dict[str, str]:
    """Bucket (+policy), log group, role; returns the CreateTrail arguments for a correct set-up."""
    bucket = f"tw-{aws.account}-{trail}".lower()
    aws.s3.create_bucket(Bucket=bucket)
    aws.s3.put_bucket_policy(Bucket=bucket, Policy=policy if policy is not None else
                             bucket_policy(bucket, aws.account, trail_arn(aws.account, trail), prefix))
    group = aws.logs.create_log_group(logGroupName=f"/tw/{trail}") or {}
    del group
    role = aws.iam.create_role(RoleName=f"tw-{trail}-logs", Path=role_path,
                               AssumeRolePolicyDocument=trust if trust is not None else trust_policy())["Role"]
    args = {
        "Name": trail,
        "S3BucketName": bucket,
        "CloudWatchLogsLogGroupArn": f"arn:aws:logs:{REGION}:{aws.account}:log-group:/tw/{trail}:*",
        "CloudWatchLogsRoleArn": role["Arn"],
    }
    if prefix:
        args["S3KeyPrefix"] = prefix
    return args


ROLE_MESSAGE = "Access denied. Check the trust relationships for your role."


# ---------------------------------------------------------------- rule: organizations


def org_bucket_policy(bucket: str, account: str, org_id: str, trail: str) -> str:
    """CloudTrail's documented organization-trail bucket policy: the account's and the organization's paths."""
    arn = trail_arn(account, trail)
    cond = {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": arn}}
    statements = [
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:GetBucketAcl",
         "Resource": f"arn:aws:s3:::{bucket}", "Condition": {"StringEquals": {"aws:SourceArn": arn}}},
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/{account}/*", "Condition": cond},
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/{org_id}/*", "Condition": cond},
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def new_organization(server: Server, members: int) -> tuple[Aws, str, list[str]]:
    mgmt = Aws(server, new_account())
    org_id = mgmt.organizations.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    ids = []
    for i in range(members):
        status = mgmt.organizations.create_account(AccountName=f"m{i}", Email=f"m{i}@example.com")
        ids.append(status["CreateAccountStatus"]["AccountId"])
    return mgmt, org_id, ids


def test_organizations(server: Server) -> None:
    mgmt, org_id, (member, other) = new_organization(server, 2)
    args = setup_chain(mgmt, trail="org")
    bucket = args["S3BucketName"]

    def org_trail_needs_the_organization_path() -> None:
        # The single-account policy of setup_chain grants AWSLogs/ACCOUNT/* only.
        expect_error(lambda: mgmt.cloudtrail.create_trail(IsOrganizationTrail=True, IsMultiRegionTrail=True, **args),
                     "InsufficientS3BucketPolicyException", 400)
        mgmt.s3.put_bucket_policy(Bucket=bucket, Policy=org_bucket_policy(bucket, mgmt.account, org_id, "org"))
        trail = mgmt.cloudtrail.create_trail(IsOrganizationTrail=True, IsMultiRegionTrail=True, **args)
        assert trail["IsOrganizationTrail"] is True, trail

    check("organizations: an organization trail needs AWSLogs/o-ORGID/* in the bucket policy",
          org_trail_needs_the_organization_path)
    arn = trail_arn(mgmt.account, "org")
    m = Aws(server, member)

    def member_sees_it() -> None:
        listed = m.cloudtrail.describe_trails()["trailList"]
        assert [(t["TrailARN"], t["IsOrganizationTrail"]) for t in listed] == [(arn, True)], listed
        assert m.cloudtrail.describe_trails(includeShadowTrails=False)["trailList"] == []
        # The management account sees it as its own trail, once.
        assert [t["TrailARN"] for t in mgmt.cloudtrail.describe_trails()["trailList"]] == [arn]
        # An account outside the organization sees nothing.
        assert Aws(server, new_account()).cloudtrail.describe_trails()["trailList"] == []

    check("organizations: DescribeTrails in a member account lists the organization trail", member_sees_it)

    def member_reads_refused() -> None:
        message = f"AccountID in ARN is wrong, you can only access resources with AccountID {member}."
        expect_error(lambda: m.cloudtrail.list_tags(ResourceIdList=[arn]), "CloudTrailARNInvalidException", 400,
                     message)
        expect_error(lambda: m.cloudtrail.get_trail_status(Name=arn), "CloudTrailARNInvalidException", 400, message)
        expect_error(lambda: m.cloudtrail.get_event_selectors(TrailName=arn), "CloudTrailARNInvalidException", 400)
        expect_error(lambda: m.cloudtrail.get_trail_status(Name="org"), "TrailNotFoundException", 400)
        # The management account reads it.
        assert mgmt.cloudtrail.get_trail_status(Name=arn)["IsLogging"] is False
        mgmt.cloudtrail.list_tags(ResourceIdList=[arn])

    check("organizations: ListTags / GetTrailStatus / GetEventSelectors on the ARN from a member are refused",
          member_reads_refused)

    def member_cannot_change_it() -> None:
        for call in (lambda: m.cloudtrail.update_trail(Name=arn, IncludeGlobalServiceEvents=False),
                     lambda: m.cloudtrail.stop_logging(Name=arn),
                     lambda: m.cloudtrail.put_event_selectors(TrailName=arn, EventSelectors=[
                         {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]),
                     lambda: m.cloudtrail.add_tags(ResourceId=arn, TagsList=[{"Key": "k", "Value": "v"}])):
            expect_error(call, "CloudTrailARNInvalidException", 400)
        assert mgmt.cloudtrail.get_trail(Name="org")["Trail"]["IncludeGlobalServiceEvents"] is True

    check("organizations: a member account cannot change the organization trail", member_cannot_change_it)

    def only_management_creates_org_trails() -> None:
        o = Aws(server, other)
        oargs = setup_chain(o, trail="mine")
        expect_error(lambda: o.cloudtrail.create_trail(IsOrganizationTrail=True, **oargs),
                     "NotOrganizationMasterAccountException", 400)
        loner = Aws(server, new_account())
        largs = setup_chain(loner, trail="mine")
        expect_error(lambda: loner.cloudtrail.create_trail(IsOrganizationTrail=True, **largs),
                     "OrganizationsNotInUseException", 400)
        o.cloudtrail.create_trail(**oargs)
        expect_error(lambda: o.cloudtrail.update_trail(Name="mine", IsOrganizationTrail=True),
                     "NotOrganizationMasterAccountException", 400)

    check("organizations: only the management account creates an organization trail", only_management_creates_org_trails)

    def assume_role_needs_the_role() -> None:
        missing = f"arn:aws:iam::{member}:role/NoSuchRole"
        expect_error(lambda: mgmt.sts.assume_role(RoleArn=missing, RoleSessionName="s"), "AccessDenied", None,
                     "is not authorized to perform: sts:AssumeRole")
        # CreateAccount creates OrganizationAccountAccessRole in the new account, trusting the
        # management account (as AWS does: "Accessing member accounts", AWS Organizations User Guide).
        role = f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole"
        creds = mgmt.sts.assume_role(RoleArn=role, RoleSessionName="s")["Credentials"]
        session = boto3.session.Session(aws_access_key_id=creds["AccessKeyId"],
                                        aws_secret_access_key=creds["SecretAccessKey"],
                                        aws_session_token=creds["SessionToken"], region_name=REGION)
        sts = session.client("sts", endpoint_url=server.endpoint, config=mgmt.config)
        assert sts.get_caller_identity()["Account"] == member

    check("organizations: AssumeRole needs the role to exist in the account", assume_role_needs_the_role)


# ---------------------------------------------------------------- rule 1: CloudWatch Logs role and log group


def test_role_and_log_group(server: Server) -> None:
    def correct_setup() -> None:
        aws = Aws(server, new_account())
        args = setup_chain(aws)
        out = aws.cloudtrail.create_trail(**args)
        assert out["CloudWatchLogsRoleArn"] == args["CloudWatchLogsRoleArn"], out
        aws.cloudtrail.update_trail(Name="main", CloudWatchLogsRoleArn=args["CloudWatchLogsRoleArn"],
                                    CloudWatchLogsLogGroupArn=args["CloudWatchLogsLogGroupArn"])

    check("role: trusted by cloudtrail.amazonaws.com without condition -> CreateTrail/UpdateTrail succeed", correct_setup)

    for label, condition in [
        ("aws:SourceAccount (StringEquals)", lambda a: {"StringEquals": {"aws:SourceAccount": a}}),
        ("aws:SourceArn (ArnLike)", lambda a: {"ArnLike": {"aws:SourceArn": f"arn:aws:cloudtrail:*:{a}:trail/*"}}),
        ("AWS:SOURCEARN (any case, StringLike)", lambda a: {"StringLike": {"AWS:SOURCEARN": "*"}}),
    ]:
        def refused(condition: Callable = condition) -> None:
            aws = Aws(server, new_account())
            args = setup_chain(aws, trust=trust_policy(condition(aws.account)))
            expect_error(lambda: aws.cloudtrail.create_trail(**args), "InvalidCloudWatchLogsRoleArnException",
                         400, ROLE_MESSAGE)
            assert not aws.cloudtrail.describe_trails()["trailList"]

        check(f"role: trust condition {label} -> InvalidCloudWatchLogsRoleArnException", refused)

    def other_condition_ok() -> None:
        aws = Aws(server, new_account())
        args = setup_chain(aws, trust=trust_policy({"Bool": {"aws:SecureTransport": "true"}}))
        aws.cloudtrail.create_trail(**args)

    check("role: a trust condition on another key is not refused", other_condition_ok)

    def other_service() -> None:
        aws = Aws(server, new_account())
        args = setup_chain(aws, trust=trust_policy(service="logs.amazonaws.com"))
        expect_error(lambda: aws.cloudtrail.create_trail(**args), "InvalidCloudWatchLogsRoleArnException", 400)

    check("role: trusted by another service only -> refused", other_service)

    def missing_role() -> None:
        aws = Aws(server, new_account())
        args = setup_chain(aws, role_path="/service-role/")
        assert "/service-role/" in args["CloudWatchLogsRoleArn"]
        wrong = args["CloudWatchLogsRoleArn"].replace("/service-role/", "/")
        expect_error(lambda: aws.cloudtrail.create_trail(**dict(args, CloudWatchLogsRoleArn=wrong)),
                     "InvalidCloudWatchLogsRoleArnException", 400)
        other_account = args["CloudWatchLogsRoleArn"].replace(aws.account, "999999999999")
        expect_error(lambda: aws.cloudtrail.create_trail(**dict(args, CloudWatchLogsRoleArn=other_account)),
                     "InvalidCloudWatchLogsRoleArnException", 400)
        aws.cloudtrail.create_trail(**args)  # the exact ARN, path included

    check("role: ARN without the role's path / of another account -> refused; exact ARN accepted", missing_role)

    def update_to_bad_role() -> None:
        aws = Aws(server, new_account())
        args = setup_chain(aws)
        aws.cloudtrail.create_trail(**args)
        bad = aws.iam.create_role(RoleName="conditioned", AssumeRolePolicyDocument=trust_policy(
            {"StringEquals": {"aws:SourceAccount": aws.account}}))["Role"]["Arn"]
        expect_error(lambda: aws.cloudtrail.update_trail(Name="main", CloudWatchLogsRoleArn=bad),
                     "InvalidCloudWatchLogsRoleArnException", 400, ROLE_MESSAGE)
        trail = aws.cloudtrail.get_trail(Name="main")["Trail"]
        assert trail["CloudWatchLogsRoleArn"] == args["CloudWatchLogsRoleArn"], trail

    check("role: UpdateTrail to a role with aws:SourceAccount trust -> refused, trail unchanged", update_to_bad_role)

    def missing_log_group() -> None:
        aws = Aws(server, new_account())
        args = setup_chain(aws)
        aws.session.client("logs", region_name="eu-west-1", endpoint_url=aws.endpoint,
                           config=aws.config).create_log_group(logGroupName="/tw/main")
        for arn in (f"arn:aws:logs:{REGION}:{aws.account}:log-group:/tw/absent:*",
                    f"arn:aws:logs:{REGION}:999999999999:log-group:/tw/main:*",
                    f"arn:aws:logs:eu-west-1:{aws.account}:log-group:/tw/main:*",
                    "not-an-arn"):
            expect_error(lambda: aws.cloudtrail.create_trail(**dict(args, CloudWatchLogsLogGroupArn=arn)),
                         "InvalidCloudWatchLogsLogGroupArnException", 400)
        expect_error(lambda: aws.cloudtrail.update_trail(Name="nothere", CloudWatchLogsLogGroupArn="x"),
                     "TrailNotFoundException", 400)
        aws.cloudtrail.create_trail(**dict(args, CloudWatchLogsLogGroupArn=args["CloudWatchLogsLogGroupArn"][:-2]))

    check("log group: missing / other account / other region / malformed -> InvalidCloudWatchLogsLogGroupArnException; "
          "ARN without :* accepted", missing_log_group)

    def group_without_role() -> None:
        aws = Aws(server, new_account())
        args = setup_chain(aws)
        del args["CloudWatchLogsRoleArn"]
        expect_error(lambda: aws.cloudtrail.create_trail(**args), "InvalidCloudWatchLogsRoleArnException", 400)

    check("log group without role -> InvalidCloudWatchLogsRoleArnException", group_without_role)


# ---------------------------------------------------------------- rule 2: S3 bucket and its policy


def test_bucket_policy(server: Server) -> None:
    def simple(aws: Aws, policy: Callable[[str], str] | None, prefix: str = "", org: bool = False) -> Callable:
        bucket = f"tw-{aws.account}-b"
        aws.s3.create_bucket(Bucket=bucket)
        if policy is not None:
            aws.s3.put_bucket_policy(Bucket=bucket, Policy=policy(bucket))
        kwargs: dict[str, Any] = {"Name": "main", "S3BucketName": bucket}
        if prefix:
            kwargs["S3KeyPrefix"] = prefix
        if org:
            kwargs["IsOrganizationTrail"] = True
        return lambda: aws.cloudtrail.create_trail(**kwargs)

    def missing_bucket() -> None:
        aws = Aws(server, new_account())
        expect_error(lambda: aws.cloudtrail.create_trail(Name="main", S3BucketName=f"tw-{aws.account}-none"),
                     "S3BucketDoesNotExistException", 400)

    check("bucket: missing -> S3BucketDoesNotExistException", missing_bucket)

    def no_policy() -> None:
        aws = Aws(server, new_account())
        expect_error(simple(aws, None), "InsufficientS3BucketPolicyException", 400,
                     f"Incorrect S3 bucket policy is detected for bucket: tw-{aws.account}-b")

    check("bucket: no policy -> InsufficientS3BucketPolicyException", no_policy)

    def documented() -> None:
        aws = Aws(server, new_account())
        simple(aws, lambda b: bucket_policy(b, aws.account, trail_arn(aws.account, "main")))()
        trails = aws.cloudtrail.describe_trails()["trailList"]
        assert [t["Name"] for t in trails] == ["main"], trails

    check("bucket: documented policy with aws:SourceArn and a TLS deny -> accepted", documented)

    def no_source_arn() -> None:
        aws = Aws(server, new_account())
        simple(aws, lambda b: bucket_policy(b, aws.account, None))()

    check("bucket: documented policy without aws:SourceArn -> accepted", no_source_arn)

    def wildcards() -> None:
        aws = Aws(server, new_account())
        simple(aws, lambda b: bucket_policy(b, aws.account, f"arn:aws:cloudtrail:*:{aws.account}:trail/*",
                                            put_resource=f"arn:aws:s3:::{b}/*", source_arn_op="ArnLike"))()

    check("bucket: wildcard resource BUCKET/* and ArnLike aws:SourceArn -> accepted", wildcards)

    def source_arn_list() -> None:
        aws = Aws(server, new_account())
        arns = [trail_arn(aws.account, "other"), trail_arn(aws.account, "main")]
        simple(aws, lambda b: bucket_policy(b, aws.account, arns))()  # type: ignore[arg-type]

    check("bucket: aws:SourceArn as a list containing the trail -> accepted", source_arn_list)

    def wrong_source_arn() -> None:
        aws = Aws(server, new_account())
        expect_error(simple(aws, lambda b: bucket_policy(b, aws.account, trail_arn(aws.account, "other"))),
                     "InsufficientS3BucketPolicyException", 400)

    check("bucket: aws:SourceArn naming another trail -> refused", wrong_source_arn)

    def wrong_account_path() -> None:
        aws = Aws(server, new_account())
        expect_error(simple(aws, lambda b: bucket_policy(b, "111122223333", trail_arn(aws.account, "main"))),
                     "InsufficientS3BucketPolicyException", 400)

    check("bucket: PutObject on AWSLogs/<another account>/* -> refused", wrong_account_path)

    def no_acl_statement() -> None:
        aws = Aws(server, new_account())
        expect_error(simple(aws, lambda b: bucket_policy(b, aws.account, None, acl_resource=f"arn:aws:s3:::{b}-x")),
                     "InsufficientS3BucketPolicyException", 400)

    check("bucket: s3:GetBucketAcl on another bucket -> refused", no_acl_statement)

    def explicit_deny() -> None:
        aws = Aws(server, new_account())
        deny = {"Effect": "Deny", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
                "Resource": "*"}
        expect_error(simple(aws, lambda b: bucket_policy(b, aws.account, None, extra=[deny])),
                     "InsufficientS3BucketPolicyException", 400)

    check("bucket: an unconditional Deny of CloudTrail's PutObject -> refused", explicit_deny)

    def prefix() -> None:
        aws = Aws(server, new_account())
        simple(aws, lambda b: bucket_policy(b, aws.account, trail_arn(aws.account, "main"), prefix="logs/ct"),
               prefix="logs/ct")()
        aws2 = Aws(server, new_account())
        expect_error(simple(aws2, lambda b: bucket_policy(b, aws2.account, trail_arn(aws2.account, "main")),
                            prefix="logs/ct"), "InsufficientS3BucketPolicyException", 400)

    check("bucket: S3KeyPrefix must be covered by the PutObject resource", prefix)

    def org_trail() -> None:
        aws = Aws(server, new_account())
        org_id = aws.organizations.create_organization(FeatureSet="ALL")["Organization"]["Id"]
        # Another organization's path does not do.
        expect_error(simple(aws, lambda b: bucket_policy(b, aws.account, None,
                                                         put_resource=f"arn:aws:s3:::{b}/AWSLogs/o-abc123/*"),
                            org=True), "InsufficientS3BucketPolicyException", 400)
        aws = Aws(server, new_account())
        org_id = aws.organizations.create_organization(FeatureSet="ALL")["Organization"]["Id"]
        simple(aws, lambda b: bucket_policy(b, aws.account, None, put_resource=f"arn:aws:s3:::{b}/AWSLogs/{org_id}/*"),
               org=True)()
        aws2 = Aws(server, new_account())
        expect_error(simple(aws2, lambda b: bucket_policy(b, aws2.account, None,
                                                          put_resource=f"arn:aws:s3:::{b}/AWSLogs/o-abc123/*")),
                     "InsufficientS3BucketPolicyException", 400)

    check("bucket: AWSLogs/o-*/* accepted for an organization trail only", org_trail)

    def update() -> None:
        aws = Aws(server, new_account())
        args = setup_chain(aws)
        aws.cloudtrail.create_trail(**args)
        expect_error(lambda: aws.cloudtrail.update_trail(Name="main", S3KeyPrefix="elsewhere"),
                     "InsufficientS3BucketPolicyException", 400)
        expect_error(lambda: aws.cloudtrail.update_trail(Name="main", S3BucketName=f"tw-{aws.account}-none"),
                     "S3BucketDoesNotExistException", 400)
        other = f"tw-{aws.account}-other"
        aws.s3.create_bucket(Bucket=other)
        expect_error(lambda: aws.cloudtrail.update_trail(Name="main", S3BucketName=other),
                     "InsufficientS3BucketPolicyException", 400)
        aws.s3.put_bucket_policy(Bucket=other, Policy=bucket_policy(other, aws.account, trail_arn(aws.account, "main")))
        aws.cloudtrail.update_trail(Name="main", S3BucketName=other)
        assert aws.cloudtrail.get_trail(Name="main")["Trail"]["S3BucketName"] == other

    check("bucket: UpdateTrail re-checks bucket existence and policy", update)

    def existing_name_first() -> None:
        aws = Aws(server, new_account())
        args = setup_chain(aws)
        aws.cloudtrail.create_trail(**args)
        expect_error(lambda: aws.cloudtrail.create_trail(**args), "TrailAlreadyExistsException", 400)

    check("existing patch: CreateTrail on an existing name still answers TrailAlreadyExistsException", existing_name_first)


# ---------------------------------------------------------------- rule 3: event selectors


def test_event_selectors(server: Server) -> None:
    def default_and_round_trip() -> None:
        aws = Aws(server, new_account())
        aws.cloudtrail.create_trail(**setup_chain(aws))
        got = aws.cloudtrail.get_event_selectors(TrailName="main")
        assert got["EventSelectors"] == [{"ReadWriteType": "All", "IncludeManagementEvents": True,
                                          "DataResources": [], "ExcludeManagementEventSources": []}], got
        assert not got.get("AdvancedEventSelectors"), got
        assert got["TrailARN"] == trail_arn(aws.account, "main"), got

        aws.cloudtrail.put_event_selectors(TrailName="main", EventSelectors=[
            {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}])
        got = aws.cloudtrail.get_event_selectors(TrailName="main")
        assert got["EventSelectors"][0]["ReadWriteType"] == "WriteOnly", got
        assert got["EventSelectors"][0]["IncludeManagementEvents"] is True, got

        advanced = [{"Name": "Management events", "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Management"]}]}]
        aws.cloudtrail.put_event_selectors(TrailName="main", AdvancedEventSelectors=advanced)
        got = aws.cloudtrail.get_event_selectors(TrailName="main")
        assert got["AdvancedEventSelectors"] == advanced, got
        assert not got.get("EventSelectors"), got

        aws.cloudtrail.put_event_selectors(TrailName="main", EventSelectors=[
            {"ReadWriteType": "All", "IncludeManagementEvents": True}])
        got = aws.cloudtrail.get_event_selectors(TrailName="main")
        assert not got.get("AdvancedEventSelectors"), got
        assert got["EventSelectors"][0]["ReadWriteType"] == "All", got

    check("event selectors: a new trail reports AWS's default; basic/advanced round-trip and replace each other",
          default_and_round_trip)


# ---------------------------------------------------------------- CloudFormation (cfn_resources.py)


def test_cloudformation(server: Server) -> None:
    def stack_creates_the_chain() -> None:
        aws = Aws(server, new_account())
        account = aws.account
        trail = trail_arn(account, "main")
        template = {
            "Resources": {
                "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {
                    "BucketName": f"cfn-{account}",
                    "VersioningConfiguration": {"Status": "Enabled"},
                    "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                                                       "BlockPublicPolicy": True, "RestrictPublicBuckets": True}}},
                "BucketPolicy": {"Type": "AWS::S3::BucketPolicy", "Properties": {
                    "Bucket": {"Ref": "Bucket"},
                    "PolicyDocument": json.loads(bucket_policy(f"cfn-{account}", account, trail))}},
                "Role": {"Type": "AWS::IAM::Role", "Properties": {
                    "RoleName": "delivery", "AssumeRolePolicyDocument": json.loads(trust_policy())}},
                "RolePolicy": {"Type": "AWS::IAM::RolePolicy", "Properties": {
                    "RoleName": {"Ref": "Role"}, "PolicyName": "deliver",
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                        {"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}]}}},
                "InlineRole": {"Type": "AWS::IAM::Role", "Properties": {
                    "RoleName": "inline", "AssumeRolePolicyDocument": json.loads(trust_policy()),
                    "Policies": [{"PolicyName": "deliver", "PolicyDocument": {
                        "Version": "2012-10-17", "Statement": [
                            {"Effect": "Allow", "Action": "logs:CreateLogStream", "Resource": "*"}]}}]}},
                "Group": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "g", "RetentionInDays": 90}},
                "Topic": {"Type": "AWS::SNS::Topic", "Properties": {
                    "TopicName": "t", "Tags": [{"Key": "managed-by", "Value": "trailwarden"}]}},
                "TopicPolicy": {"Type": "AWS::SNS::TopicPolicy", "Properties": {
                    "Topics": [{"Ref": "Topic"}], "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                        {"Sid": "x", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
                         "Action": "sns:Publish", "Resource": {"Ref": "Topic"}}]}}},
                "Sub": {"Type": "AWS::SNS::Subscription", "Properties": {
                    "TopicArn": {"Ref": "Topic"}, "Protocol": "email", "Endpoint": "a@example.com"}},
                "Filter": {"Type": "AWS::Logs::MetricFilter", "Properties": {
                    "FilterName": "f", "LogGroupName": {"Ref": "Group"}, "FilterPattern": "{ $.a = 1 }",
                    "MetricTransformations": [{"MetricName": "m", "MetricNamespace": "n", "MetricValue": "1",
                                               "Dimensions": [{"Key": "AccountId",
                                                               "Value": "$.recipientAccountId"}]}]}},
                "QueryAlarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
                    "AlarmName": "q", "EvaluationPeriods": 1, "Threshold": 1,
                    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                    "Metrics": [{"Id": "accounts", "Period": 300, "ReturnData": True,
                                 "Expression": 'SELECT SUM("m") FROM SCHEMA("n", AccountId) GROUP BY AccountId'}]}},
                "Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
                    "AlarmName": "al", "MetricName": "m", "Namespace": "n", "Statistic": "Sum", "Period": 300,
                    "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                    "AlarmActions": [{"Ref": "Topic"}]}},
                "Trail": {"Type": "AWS::CloudTrail::Trail", "DependsOn": ["BucketPolicy", "RolePolicy"],
                          "Properties": {
                              "TrailName": "main", "S3BucketName": {"Ref": "Bucket"}, "IsLogging": True,
                              "IsMultiRegionTrail": True, "EnableLogFileValidation": True,
                              "CloudWatchLogsLogGroupArn": {"Fn::GetAtt": ["Group", "Arn"]},
                              "CloudWatchLogsRoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
                              "EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}]}},
            },
            "Outputs": {"GroupArn": {"Value": {"Fn::GetAtt": ["Group", "Arn"]}}},
        }
        # TemplateBody holds at most 51,200 bytes (CreateStack, API Reference): one byte more is
        # refused before anything is created; padding up to the limit is taken.
        body = json.dumps(template)
        for name, size, ok in (("big", 51201, False), ("s", 51200, True)):
            # Padding in Metadata (a Description is limited to 1,024 bytes).
            padded = json.dumps({**template, "Metadata": {"Padding": ""}})
            padded = json.dumps({**template, "Metadata": {"Padding": "x" * (size - len(padded.encode()))}})
            assert len(padded.encode()) == size
            if ok:
                body = padded
            else:
                response = expect_error(lambda: aws.cloudformation.create_stack(
                    StackName=name, TemplateBody=padded, Capabilities=["CAPABILITY_NAMED_IAM"]),
                    "ValidationError")
                assert "51200" in response["Error"]["Message"], response
                assert not aws.s3.list_buckets()["Buckets"], "nothing created"
        aws.cloudformation.create_stack(StackName="s", TemplateBody=body,
                                        Capabilities=["CAPABILITY_NAMED_IAM"])
        stack = aws.cloudformation.describe_stacks(StackName="s")["Stacks"][0]
        assert stack["StackStatus"] == "CREATE_COMPLETE", stack
        assert stack["Outputs"][0]["OutputValue"].endswith(":log-group:g:*"), stack["Outputs"]
        bucket = f"cfn-{account}"
        assert aws.s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
        pab = aws.s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert all(pab.values()) and len(pab) == 4, pab
        assert "cloudtrail.amazonaws.com" in aws.s3.get_bucket_policy(Bucket=bucket)["Policy"]
        assert aws.iam.get_role_policy(RoleName="delivery", PolicyName="deliver")["PolicyDocument"]
        # AWS::IAM::Role Policies: the inline policy GetRolePolicy returns, as a document.
        inline = aws.iam.get_role_policy(RoleName="inline", PolicyName="deliver")["PolicyDocument"]
        assert inline["Statement"][0]["Action"] == "logs:CreateLogStream", inline
        topic = f"arn:aws:sns:{REGION}:{account}:t"
        attrs = aws.sns.get_topic_attributes(TopicArn=topic)["Attributes"]
        assert '"cloudwatch.amazonaws.com"' in attrs["Policy"], attrs
        tags = aws.sns.list_tags_for_resource(ResourceArn=topic)["Tags"]
        assert tags == [{"Key": "managed-by", "Value": "trailwarden"}], tags
        subs = aws.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        assert [s["Endpoint"] for s in subs] == ["a@example.com"], subs
        filters = aws.logs.describe_metric_filters(logGroupName="g")["metricFilters"]
        assert [f["filterName"] for f in filters] == ["f"], filters
        assert filters[0]["metricTransformations"][0]["dimensions"] == {"AccountId": "$.recipientAccountId"}, filters
        query = aws.cloudwatch.describe_alarms(AlarmNames=["q"])["MetricAlarms"][0]["Metrics"][0]
        assert query["Expression"].startswith("SELECT SUM"), query
        assert query["Period"] == 300 and query["ReturnData"] is True, query
        alarm = aws.cloudwatch.describe_alarms(AlarmNames=["al"])["MetricAlarms"][0]
        assert alarm["AlarmActions"] == [topic], alarm
        got = aws.cloudtrail.get_trail(Name="main")["Trail"]
        assert got["IsMultiRegionTrail"] and got["LogFileValidationEnabled"], got
        assert got["CloudWatchLogsLogGroupArn"].endswith(":log-group:g:*"), got
        assert aws.cloudtrail.get_trail_status(Name="main")["IsLogging"] is True

    check("cloudformation: trail, policies, subscription, filter (with dimensions), alarm (metric or query) "
          "created; bucket versioning and public access block, topic tags applied; LogGroup Arn ends in :*",
          stack_creates_the_chain)

    def trail_checks_still_apply() -> None:
        aws = Aws(server, new_account())
        template = {"Resources": {
            "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": f"nopolicy-{aws.account}"}},
            "Trail": {"Type": "AWS::CloudTrail::Trail", "Properties": {
                "TrailName": "main", "S3BucketName": {"Ref": "Bucket"}, "IsLogging": True}}}}
        try:
            aws.cloudformation.create_stack(StackName="s", TemplateBody=json.dumps(template))
        except Exception as e:  # moto answers the resource's error from CreateStack itself
            assert "InsufficientS3BucketPolicy" in str(e), e
            return
        stack = aws.cloudformation.describe_stacks(StackName="s")["Stacks"][0]
        assert stack["StackStatus"] != "CREATE_COMPLETE", stack

    check("cloudformation: a trail on a bucket without CloudTrail's policy is not created", trail_checks_still_apply)


# ---------------------------------------------------------------- rule 4: IAM tags


def test_iam_tags(server: Server) -> None:
    trust = trust_policy()
    bad_cases = [
        ("value with parentheses", {"Key": "Service", "Value": "UCS (Unified)"}, "tags.1.member.value",
         "regular expression pattern"),
        ("value with '*'", {"Key": "ns", "Value": "*"}, "tags.1.member.value", "regular expression pattern"),
        ("value with a tab", {"Key": "k", "Value": "a\tb"}, "tags.1.member.value", "regular expression pattern"),
        ("key with '!'", {"Key": "bad!key", "Value": "v"}, "tags.1.member.key", "regular expression pattern"),
        ("empty key", {"Key": "", "Value": "v"}, "tags.1.member.key", "greater than or equal to 1"),
        ("key of 129 characters", {"Key": "k" * 129, "Value": "v"}, "tags.1.member.key", "less than or equal to 128"),
        ("value of 257 characters", {"Key": "k", "Value": "v" * 257}, "tags.1.member.value",
         "less than or equal to 256"),
    ]
    for label, tag, where, constraint in bad_cases:
        def refused(tag: dict = tag, where: str = where, constraint: str = constraint) -> None:
            aws = Aws(server, new_account())
            response = expect_error(
                lambda: aws.iam.create_role(RoleName="r", AssumeRolePolicyDocument=trust,
                                            Tags=[{"Key": "fine", "Value": "ok"}, tag]),
                "ValidationError", 400)
            message = response["Error"]["Message"]
            assert message.startswith("1 validation error detected: "), message
            assert where.replace("tags.1", "tags.2") in message and constraint in message, message
            expect_error(lambda: aws.iam.get_role(RoleName="r"), "NoSuchEntity", 404)
            aws.iam.create_role(RoleName="r", AssumeRolePolicyDocument=trust)
            expect_error(lambda: aws.iam.tag_role(RoleName="r", Tags=[tag]), "ValidationError", 400, where)
            expect_error(lambda: aws.iam.create_user(UserName="u", Tags=[tag]), "ValidationError", 400, where)

        check(f"iam tags: {label} -> ValidationError on CreateRole, TagRole, CreateUser", refused)

    def pattern_message() -> None:
        aws = Aws(server, new_account())
        response = expect_error(lambda: aws.iam.create_role(RoleName="r", AssumeRolePolicyDocument=trust,
                                                            Tags=[{"Key": "k", "Value": "a,b"}]), "ValidationError", 400)
        assert response["Error"]["Message"] == (
            "1 validation error detected: Value at 'tags.1.member.value' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*"), response["Error"]

    check("iam tags: exact message for a bad value", pattern_message)

    def accepted() -> None:
        aws = Aws(server, new_account())
        tags = [
            {"Key": "ManagedBy", "Value": "trailwarden"},
            {"Key": "Équipe sécurité", "Value": "東京 ünïcode ٣"},
            {"Key": "a_b.c:d/e=f+g-h@i", "Value": ""},
            {"Key": "k" * 128, "Value": "v" * 256},
        ]
        aws.iam.create_role(RoleName="r", AssumeRolePolicyDocument=trust, Tags=tags)
        got = {t["Key"]: t["Value"] for t in aws.iam.list_role_tags(RoleName="r")["Tags"]}
        assert got == {t["Key"]: t["Value"] for t in tags}, got
        aws.iam.tag_role(RoleName="r", Tags=[{"Key": "Owner", "Value": "sec ops"}])
        aws.iam.create_user(UserName="u", Tags=tags[:2])

    check("iam tags: letters/numbers/separators of any script and _.:/=+-@, limits 128/256 -> accepted", accepted)


# ---------------------------------------------------------------- rule 5: S3 bucket owner condition


def test_bucket_owner(server: Server) -> None:
    def other_owner_refused() -> None:
        owner, other = Aws(server, new_account()), Aws(server, new_account())
        bucket = f"tw-{owner.account}-own"
        owner.s3.create_bucket(Bucket=bucket)
        policy = bucket_policy(bucket, owner.account, None)
        owner.s3.put_bucket_policy(Bucket=bucket, Policy=policy)
        # Another account naming itself as the expected owner: refused, nothing reaches moto.
        mine = other.account
        expect_error(lambda: other.s3.get_bucket_policy(Bucket=bucket, ExpectedBucketOwner=mine),
                     "AccessDenied", 403, "Access Denied")
        expect_error(lambda: other.s3.put_bucket_policy(Bucket=bucket, Policy=bucket_policy(bucket, mine, None),
                                                        ExpectedBucketOwner=mine), "AccessDenied", 403)
        expect_error(lambda: other.s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=mine), "403", 403)
        expect_error(lambda: other.s3.put_object(Bucket=bucket, Key="k", Body=b"x", ExpectedBucketOwner=mine),
                     "AccessDenied", 403)
        # The owner naming another account: refused too.
        expect_error(lambda: owner.s3.get_bucket_versioning(Bucket=bucket, ExpectedBucketOwner=mine),
                     "AccessDenied", 403)
        assert json.loads(owner.s3.get_bucket_policy(Bucket=bucket)["Policy"]) == json.loads(policy)
        assert owner.s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
        logged = [(e["operation"], e.get("rule")) for e in server.requests_for(other.account) if e.get("rule")]
        assert logged == [(op, "expected_bucket_owner") for op in
                          ("GetBucketPolicy", "PutBucketPolicy", "HeadBucket", "PutObject")], logged
        assert [e.get("rule") for e in server.requests_for(owner.account)].count("expected_bucket_owner") == 1

    check("bucket owner: ExpectedBucketOwner naming another account -> 403 AccessDenied (HeadBucket: bare 403), "
          "moto never reached", other_owner_refused)

    def own_bucket_accepted() -> None:
        owner, other = Aws(server, new_account()), Aws(server, new_account())
        bucket = f"tw-{owner.account}-own"
        me = owner.account
        owner.s3.create_bucket(Bucket=bucket)
        owner.s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=me)
        owner.s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "k", "Value": "v"}]},
                                    ExpectedBucketOwner=me)
        assert owner.s3.get_bucket_encryption(Bucket=bucket, ExpectedBucketOwner=me)["ServerSideEncryptionConfiguration"]
        owner.s3.put_object(Bucket=bucket, Key="k", Body=b"x", ExpectedBucketOwner=me)
        assert owner.s3.get_object(Bucket=bucket, Key="k", ExpectedBucketOwner=me)["Body"].read() == b"x"
        # A missing bucket is moto's answer (404), whoever is named.
        expect_error(lambda: owner.s3.head_bucket(Bucket=f"tw-{me}-none", ExpectedBucketOwner=other.account), "404", 404)
        expect_error(lambda: owner.s3.get_bucket_policy(Bucket=f"tw-{me}-none", ExpectedBucketOwner=other.account),
                     "NoSuchBucket", 404)
        # moto itself: without the header another account sees (and could change) the bucket.
        assert other.s3.head_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert not [e for e in server.requests_for(me) + server.requests_for(other.account) if e.get("rule")]

    check("bucket owner: ExpectedBucketOwner = the owner -> accepted; missing bucket -> 404; no header -> moto's "
          "cross-account access", own_bucket_accepted)

    def copy_source_owner() -> None:
        owner, other = Aws(server, new_account()), Aws(server, new_account())
        source, target = f"tw-{owner.account}-src", f"tw-{other.account}-dst"
        owner.s3.create_bucket(Bucket=source)
        owner.s3.put_object(Bucket=source, Key="src", Body=b"data")
        other.s3.create_bucket(Bucket=target)
        copy = {"Bucket": source, "Key": "src"}
        expect_error(lambda: other.s3.copy_object(Bucket=target, Key="c", CopySource=copy,
                                                  ExpectedBucketOwner=other.account,
                                                  ExpectedSourceBucketOwner=other.account), "AccessDenied", 403)
        expect_error(lambda: other.s3.list_objects_v2(Bucket=target, ExpectedBucketOwner=owner.account),
                     "AccessDenied", 403)
        assert other.s3.list_objects_v2(Bucket=target)["KeyCount"] == 0
        other.s3.copy_object(Bucket=target, Key="c", CopySource=copy, ExpectedBucketOwner=other.account,
                             ExpectedSourceBucketOwner=owner.account)
        assert other.s3.get_object(Bucket=target, Key="c")["Body"].read() == b"data"

    check("bucket owner: CopyObject ExpectedSourceBucketOwner checked against the source bucket", copy_source_owner)


# ---------------------------------------------------------------- rule 6: fault switches


def test_faults(server: Server) -> None:
    def harness_api() -> None:
        account = new_account()
        status, body = server.harness("POST", "/_harness/faults", {"account": account, "s3_not_yet_created": 1,
                                                                   "lost_responses": ["iam:CreateRole"]})
        assert status == 200 and body["settings"]["s3_not_yet_created"] == 1, body
        status, listing = server.harness("GET", "/_harness/faults")
        assert status == 200 and account in listing, listing
        assert listing[account]["lost_responses_pending"] == ["iam:CreateRole"], listing
        status, one = server.harness("GET", f"/_harness/faults?account={account}")
        assert list(one) == [account], one
        status, body = server.harness("DELETE", f"/_harness/faults?account={account}")
        assert status == 200 and body["cleared"] is True, body
        assert account not in server.harness("GET", "/_harness/faults")[1]
        server.faults(account, throttle={"share": 0.5, "seed": 1})
        server.faults(account)  # empty settings clear
        assert account not in server.harness("GET", "/_harness/faults")[1]
        for bad in ({"account": "12"}, {"account": account, "nope": 1}, {"account": account, "throttle": {"share": 2}},
                    {"account": account, "lost_responses": ["CreateRole"]}, [1],
                    {"account": account, "disabled_regions": "ap-east-1"},
                    {"account": account, "disabled_regions": ["Hong Kong"]},
                    {"account": account, "subscription_lag_seconds": -1},
                    {"account": account, "subscription_lag_seconds": True},
                    {"account": account, "subscription_lag_seconds": "5"},
                    {"account": account, "stall_after": -1}, {"account": account, "stall_after": True},
                    {"account": account, "stall_after": "3"}, {"account": account, "stall_after": 1.5},
                    {"account": account, "stall_after": 1, "stall_seconds": 0},
                    {"account": account, "stall_after": 1, "stall_seconds": 4000},
                    {"account": account, "stall_after": 1, "stall_seconds": "1"},
                    {"account": account, "stall_seconds": 5},
                    {"account": account, "lost_share": 0.5}, {"account": account, "lost_share": {"share": 1.5}},
                    {"account": account, "lost_share": {"share": 0.5, "seed": "x"}},
                    {"account": account, "lost_share": {"share": 0.5, "other": 1}}):
            status, body = server.harness("POST", "/_harness/faults", bad)
            assert status == 400 and "error" in body, (bad, status, body)
        assert server.harness("DELETE", "/_harness/faults")[0] == 400
        # stall_after 0 is a setting (hold everything); stall_seconds defaults to 30; a zero lost_share clears.
        status, body = server.harness("POST", "/_harness/faults", {"account": account, "stall_after": 0})
        assert status == 200 and body["settings"] == {"stall_after": 0, "stall_seconds": 30.0}, body
        assert body["stalls"] == {"waiting": 0, "client_gone": 0, "timed_out": 0, "released": 0}, body
        assert body["requests_reached_moto"] == 0, body
        server.faults(account, lost_share={"share": 0, "seed": 3})
        assert account not in server.harness("GET", "/_harness/faults")[1]

    check("faults: POST/GET/DELETE /_harness/faults, empty settings clear, bad bodies answer 400", harness_api)

    def not_yet_created() -> None:
        aws = Aws(server, new_account())
        bystander = Aws(server, new_account())
        server.faults(aws.account, s3_not_yet_created=2)
        bucket = f"tw-{aws.account}-nyc"
        aws.s3.create_bucket(Bucket=bucket)
        response = expect_error(lambda: aws.s3.put_bucket_tagging(
            Bucket=bucket, Tagging={"TagSet": [{"Key": "k", "Value": "v"}]}), "NoSuchBucket", 404)
        assert response["Error"].get("BucketName") == bucket, response["Error"]
        expect_error(lambda: aws.s3.put_bucket_versioning(
            Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}), "NoSuchBucket", 404)
        aws.s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        aws.s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
        other = f"tw-{bystander.account}-nyc"
        bystander.s3.create_bucket(Bucket=other)
        bystander.s3.put_bucket_tagging(Bucket=other, Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
        faults = [(e["operation"], e.get("fault")) for e in server.requests_for(aws.account) if e.get("fault")]
        assert faults == [("PutBucketTagging", "s3_not_yet_created"), ("PutBucketVersioning", "s3_not_yet_created")], faults
        assert not [e for e in server.requests_for(bystander.account) if e.get("fault")]

    check("faults: s3_not_yet_created answers NoSuchBucket N times after CreateBucket, per account", not_yet_created)

    def not_yet_created_with_retries() -> None:
        aws = Aws(server, new_account(), retries=3)
        server.faults(aws.account, s3_not_yet_created=1)
        bucket = f"tw-{aws.account}-nyc"
        aws.s3.create_bucket(Bucket=bucket)
        # NoSuchBucket is not retried by the SDK: the caller must cope.
        expect_error(lambda: aws.s3.put_bucket_policy(Bucket=bucket, Policy=bucket_policy(bucket, aws.account, None)),
                     "NoSuchBucket", 404)
        aws.s3.put_bucket_policy(Bucket=bucket, Policy=bucket_policy(bucket, aws.account, None))

    check("faults: s3_not_yet_created NoSuchBucket is not retried by the SDK", not_yet_created_with_retries)

    def lost_responses() -> None:
        aws = Aws(server, new_account())
        args = setup_chain(aws)
        server.faults(aws.account, lost_responses=[
            "iam:CreateRole", "cloudtrail:CreateTrail", "s3:PutBucketPolicy", "logs:CreateLogGroup",
            "cloudwatch:PutMetricAlarm", "sns:CreateTopic"])
        expect_error(lambda: aws.iam.create_role(RoleName="lost", AssumeRolePolicyDocument=trust_policy()),
                     "InternalFailure", 500)
        aws.iam.get_role(RoleName="lost")
        expect_error(lambda: aws.iam.create_role(RoleName="lost", AssumeRolePolicyDocument=trust_policy()),
                     "EntityAlreadyExists", 409)
        expect_error(lambda: aws.cloudtrail.create_trail(**args), "InternalFailure", 500)
        aws.cloudtrail.get_trail(Name="main")
        expect_error(lambda: aws.cloudtrail.create_trail(**args), "TrailAlreadyExistsException", 400)
        bucket = args["S3BucketName"]
        policy = bucket_policy(bucket, aws.account, None)
        expect_error(lambda: aws.s3.put_bucket_policy(Bucket=bucket, Policy=policy), "InternalError", 500)
        assert json.loads(aws.s3.get_bucket_policy(Bucket=bucket)["Policy"]) == json.loads(policy)
        expect_error(lambda: aws.logs.create_log_group(logGroupName="/lost"), "InternalFailure", 500)
        assert aws.logs.describe_log_groups(logGroupNamePrefix="/lost")["logGroups"]
        expect_error(lambda: aws.cloudwatch.put_metric_alarm(
            AlarmName="lost", MetricName="m", Namespace="ns", Statistic="Sum", Period=300, EvaluationPeriods=1,
            Threshold=1.0, ComparisonOperator="GreaterThanOrEqualToThreshold"), "InternalFailure", 500)
        assert [a["AlarmName"] for a in aws.cloudwatch.describe_alarms(AlarmNames=["lost"])["MetricAlarms"]] == ["lost"]
        expect_error(lambda: aws.sns.create_topic(Name="lost"), "InternalFailure", 500)
        assert aws.sns.list_topics()["Topics"]
        aws.sns.create_topic(Name="lost2")  # each listed operation fires once
        aws.iam.create_role(RoleName="second", AssumeRolePolicyDocument=trust_policy())
        state = server.harness("GET", f"/_harness/faults?account={aws.account}")[1][aws.account]
        assert not state["lost_responses_pending"], state
        logged = [e["operation"] for e in server.requests_for(aws.account) if e.get("fault") == "lost_response"]
        assert logged == ["CreateRole", "CreateTrail", "PutBucketPolicy", "CreateLogGroup", "PutMetricAlarm",
                          "CreateTopic"], logged

    check("faults: lost_responses executes the write, answers 500 once per listed operation (all protocols)",
          lost_responses)

    def lost_response_retried() -> None:
        aws = Aws(server, new_account(), retries=3)
        server.faults(aws.account, lost_responses=["iam:CreateRole"])
        # The SDK retries the 500 and meets the role the lost write created.
        expect_error(lambda: aws.iam.create_role(RoleName="lost", AssumeRolePolicyDocument=trust_policy()),
                     "EntityAlreadyExists", 409)

    check("faults: a retried lost CreateRole meets EntityAlreadyExists", lost_response_retried)

    def throttle_all() -> None:
        aws = Aws(server, new_account())
        server.faults(aws.account, throttle={"share": 1.0, "seed": 3})
        expect_error(lambda: aws.iam.list_roles(), "Throttling", 400)
        expect_error(lambda: aws.sts.get_caller_identity(), "Throttling", 400)
        expect_error(lambda: aws.sns.list_topics(), "Throttling", 400)
        expect_error(lambda: aws.logs.describe_log_groups(), "ThrottlingException", 400)
        expect_error(lambda: aws.cloudtrail.describe_trails(), "ThrottlingException", 400)
        expect_error(lambda: aws.cloudwatch.describe_alarms(), "ThrottlingException", 400)
        expect_error(lambda: aws.s3.list_buckets(), "SlowDown", 503)
        expect_error(lambda: aws.s3.create_bucket(Bucket=f"tw-{aws.account}-t"), "SlowDown", 503)
        server.faults(aws.account)
        expect_error(lambda: aws.s3.head_bucket(Bucket=f"tw-{aws.account}-t"), "404", 404)  # never reached moto
        entries = server.requests_for(aws.account)
        assert sum(1 for e in entries if e.get("fault") == "throttle") == 8, entries

    check("faults: throttle share 1 -> Throttling (query), ThrottlingException (JSON, CBOR), SlowDown 503 (S3)",
          throttle_all)

    def throttle_share() -> None:
        patterns = []
        for _ in range(2):
            aws = Aws(server, new_account())
            server.faults(aws.account, throttle={"share": 0.3, "seed": 7})
            pattern = ""
            for _ in range(60):
                try:
                    aws.sts.get_caller_identity()
                    pattern += "."
                except botocore.exceptions.ClientError as err:
                    assert err.response["Error"]["Code"] == "Throttling", err.response
                    pattern += "T"
            patterns.append(pattern)
        assert patterns[0] == patterns[1], patterns
        assert 8 <= patterns[0].count("T") <= 30, patterns[0]
        aws = Aws(server, new_account(), retries=5)
        server.faults(aws.account, throttle={"share": 0.3, "seed": 7})
        for _ in range(4):
            assert aws.sts.get_caller_identity()["Account"] == aws.account  # the SDK retries through

    check("faults: throttle share 0.3 is deterministic by seed, and retried through by the SDK", throttle_share)

    def disabled_regions() -> None:
        aws, bystander = Aws(server, new_account()), Aws(server, new_account())
        server.faults(aws.account, disabled_regions=["ap-east-1", "me-south-1"])
        invalid = "The security token included in the request is invalid."
        hk = lambda service: aws.client(service, "ap-east-1")  # noqa: E731
        expect_error(lambda: hk("sts").get_caller_identity(), "InvalidClientTokenId", 403, invalid)
        expect_error(lambda: aws.client("sts", "me-south-1").get_caller_identity(), "InvalidClientTokenId", 403)
        expect_error(lambda: hk("sns").list_topics(), "InvalidClientTokenId", 403, invalid)
        # boto3 speaks JSON 1.0 to CloudWatch; the Rust SDK speaks CBOR (checked on the wire below).
        response = expect_error(lambda: hk("cloudwatch").describe_alarms(), "InvalidClientTokenId", 403, invalid)
        assert response["ResponseMetadata"]["HTTPHeaders"].get("x-amzn-query-error") == "InvalidClientTokenId;Sender"
        status, headers, document = cbor_call(server, aws.account, "ap-east-1", "DescribeAlarms")
        assert (status, document) == (403, {"__type": "InvalidClientTokenId", "message": invalid}), (status, document)
        assert headers.get("x-amzn-query-error") == "InvalidClientTokenId;Sender", headers
        expect_error(lambda: hk("logs").describe_log_groups(), "UnrecognizedClientException", 400, invalid)
        expect_error(lambda: hk("cloudtrail").describe_trails(), "UnrecognizedClientException", 400, invalid)
        expect_error(lambda: hk("s3").list_buckets(), "InvalidAccessKeyId", 403, "does not exist in our records")
        bucket = f"tw-{aws.account}-hk"
        expect_error(lambda: hk("s3").create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-east-1"}), "InvalidAccessKeyId", 403)
        expect_error(lambda: hk("logs").create_log_group(logGroupName="/never"), "UnrecognizedClientException", 400)
        # Nothing reached moto; the same account elsewhere and other accounts there are untouched; IAM is
        # global (the SDK signs it for ap-east-1 only because of the endpoint override).
        expect_error(lambda: aws.s3.head_bucket(Bucket=bucket), "404", 404)
        assert aws.sts.get_caller_identity()["Account"] == aws.account
        hk("iam").list_roles()
        assert bystander.client("sts", "ap-east-1").get_caller_identity()["Account"] == bystander.account
        assert bystander.client("logs", "ap-east-1").describe_log_groups()["logGroups"] == []
        bystander.client("cloudwatch", "ap-east-1").describe_alarms()
        status, _, document = cbor_call(server, bystander.account, "ap-east-1", "DescribeAlarms")
        assert status == 200 and document.get("MetricAlarms") == [], (status, document)
        refused = [(e["service"], e["region"]) for e in server.requests_for(aws.account) if e.get("fault") == "disabled_region"]
        assert len(refused) == 10 and {r for _, r in refused} == {"ap-east-1", "me-south-1"}, refused
        assert not [e for e in server.requests_for(bystander.account) if e.get("fault")]
        server.faults(aws.account)
        assert hk("sts").get_caller_identity()["Account"] == aws.account  # cleared: the region works again

    check("faults: disabled_regions refuse every request signed for those regions (query/CBOR 403 "
          "InvalidClientTokenId, JSON 400 UnrecognizedClientException, S3 403 InvalidAccessKeyId); other regions, "
          "other accounts and global IAM unaffected", disabled_regions)

    def disabled_region_first() -> None:
        aws = Aws(server, new_account())
        server.faults(aws.account, disabled_regions=["ap-east-1"], lost_responses=["sts:GetCallerIdentity"],
                      throttle={"share": 1.0, "seed": 1})
        expect_error(lambda: aws.client("sts", "ap-east-1").get_caller_identity(), "InvalidClientTokenId", 403)
        state = server.harness("GET", f"/_harness/faults?account={aws.account}")[1][aws.account]
        assert state["lost_responses_pending"] == ["sts:GetCallerIdentity"], state
        assert state["answered"] == {"disabled_region": 1}, state
        server.faults(aws.account, disabled_regions=["ap-east-1"], lost_responses=["sts:GetCallerIdentity"])
        expect_error(lambda: aws.sts.get_caller_identity(), "InternalFailure", 500)  # us-east-1: the lost response

    check("faults: disabled_regions come before throttle and consume no lost response", disabled_region_first)

    def subscription_lag() -> None:
        aws, bystander = Aws(server, new_account()), Aws(server, new_account())
        topic = aws.sns.create_topic(Name="alerts")["TopicArn"]
        other_topic = aws.sns.create_topic(Name="other")["TopicArn"]
        aws.sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="old@example.com")  # before the setting
        server.faults(aws.account, subscription_lag_seconds=1.0)
        aws.sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="new@example.com")
        aws.sns.subscribe(TopicArn=other_topic, Protocol="email", Endpoint="new@example.com")
        aws.sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="old@example.com")  # exists: nothing new

        def endpoints(subscriptions: list[dict]) -> list[str]:
            return sorted(f"{s['TopicArn'].rsplit(':', 1)[-1]}/{s['Endpoint']}" for s in subscriptions)

        assert endpoints(aws.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]) == \
            ["alerts/old@example.com"]
        assert endpoints(aws.sns.list_subscriptions_by_topic(TopicArn=other_topic)["Subscriptions"]) == []
        assert endpoints(aws.sns.list_subscriptions()["Subscriptions"]) == ["alerts/old@example.com"]
        state = server.harness("GET", f"/_harness/faults?account={aws.account}")[1][aws.account]
        hidden = sorted((h["topic_arn"], h["endpoint"]) for h in state["subscriptions_hidden"])
        assert hidden == [(topic, "new@example.com"), (other_topic, "new@example.com")], state
        assert all(0 < h["visible_in_seconds"] <= 1.0 for h in state["subscriptions_hidden"]), state

        bystander_topic = bystander.sns.create_topic(Name="alerts")["TopicArn"]
        bystander.sns.subscribe(TopicArn=bystander_topic, Protocol="email", Endpoint="new@example.com")
        assert endpoints(bystander.sns.list_subscriptions_by_topic(TopicArn=bystander_topic)["Subscriptions"]) == \
            ["alerts/new@example.com"]

        time.sleep(1.05)
        assert endpoints(aws.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]) == \
            ["alerts/new@example.com", "alerts/old@example.com"]
        assert endpoints(aws.sns.list_subscriptions()["Subscriptions"]) == \
            ["alerts/new@example.com", "alerts/old@example.com", "other/new@example.com"]
        logged = [(e["operation"], e.get("fault")) for e in server.requests_for(aws.account)
                  if e["operation"].startswith("ListSubscriptions")]
        assert logged == [("ListSubscriptionsByTopic", "subscription_lag"), ("ListSubscriptionsByTopic", "subscription_lag"),
                          ("ListSubscriptions", "subscription_lag"), ("ListSubscriptionsByTopic", None),
                          ("ListSubscriptions", None)], logged
        assert server.harness("GET", f"/_harness/faults?account={aws.account}")[1][aws.account]["answered"] == \
            {"subscription_lag": 3}
        assert not [e for e in server.requests_for(bystander.account) if e.get("fault")]

    check("faults: subscription_lag_seconds hides subscriptions from ListSubscriptions[ByTopic] for N s after "
          "their Subscribe (new ones only, per account)", subscription_lag)


# ---------------------------------------------------------------- rule 7: a killed client (stall_after), lost writes (lost_share)

# Request 3 is an S3 PutObject whose 256 KiB body the layer has not read when it decides to hold it.
KILLED_CLIENT = """
import sys, boto3
from botocore.config import Config
endpoint, account, trust = sys.argv[1:4]
session = boto3.session.Session(aws_access_key_id=f"TWEM{account}AAAA", aws_secret_access_key="emulator",
                                region_name="us-east-1")
config = Config(retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=120,
                s3={"addressing_style": "path"})
iam, s3 = (session.client(name, endpoint_url=endpoint, config=config) for name in ("iam", "s3"))
iam.create_role(RoleName="one", AssumeRolePolicyDocument=trust)
print("one", flush=True)
s3.create_bucket(Bucket=f"tw-{account}-killed")
print("two", flush=True)
s3.put_object(Bucket=f"tw-{account}-killed", Key="three", Body=b"x" * 262144)
print("three", flush=True)
iam.create_role(RoleName="four", AssumeRolePolicyDocument=trust)
"""


def wait_for(what: str, probe: Callable[[], Any], seconds: float = 10.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def fault_state(server: Server, account: str) -> dict[str, Any]:
    return server.harness("GET", f"/_harness/faults?account={account}")[1].get(account, {})


def test_stall_and_lost_share(server: Server) -> None:
    def killed_after_k() -> None:
        aws, bystander = Aws(server, new_account()), Aws(server, new_account())
        server.faults(aws.account, stall_after=2, stall_seconds=20)
        client = subprocess.Popen([sys.executable, "-c", KILLED_CLIENT, server.endpoint, aws.account, trust_policy()],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            # Request K+1 is in the log before it is held: that is the moment to kill the client.
            held = wait_for("request 3 to be logged", lambda: [
                e for e in server.requests_for(aws.account) if e.get("fault") == "stall"], 20)
            assert len(held) == 1 and held[0]["operation"] == "PutObject", held
            assert fault_state(server, aws.account)["stalls"]["waiting"] == 1
            # Other accounts are served meanwhile (threaded server).
            started = time.monotonic()
            assert bystander.sts.get_caller_identity()["Account"] == bystander.account
            bystander.iam.create_role(RoleName="three", AssumeRolePolicyDocument=trust_policy())
            assert time.monotonic() - started < 2, "another account was slowed down"
            client.kill()  # SIGKILL
            killed = time.monotonic()
            out, _ = client.communicate(timeout=10)
            assert out.split() == ["one", "two"], out
            state = wait_for("the server to notice the client is gone",
                             lambda: (lambda st: st if st["stalls"]["client_gone"] == 1 else None)(
                                 fault_state(server, aws.account)), 5)
            assert time.monotonic() - killed < 2, "the held request outlived its client"
            assert state["stalls"] == {"waiting": 0, "client_gone": 1, "timed_out": 0, "released": 0}, state
            assert state["requests_reached_moto"] == 2 and state["answered"] == {"stall": 1}, state
        finally:
            if client.poll() is None:
                client.kill()
                client.wait()
        server.faults(aws.account)
        aws.iam.get_role(RoleName="one")
        assert aws.s3.list_objects_v2(Bucket=f"tw-{aws.account}-killed")["KeyCount"] == 0  # never reached moto
        logged = [(e["operation"], e.get("fault")) for e in server.requests_for(aws.account)][:3]
        assert logged == [("CreateRole", None), ("CreateBucket", None), ("PutObject", "stall")], logged
        assert not [e for e in server.requests_for(bystander.account) if e.get("fault")]

    check("stall_after: request K+1 is logged, then held until its client is SIGKILLed (noticed at once), "
          "never executed; other accounts are served meanwhile", killed_after_k)

    def timed_out() -> None:
        aws, owner = Aws(server, new_account()), Aws(server, new_account())
        foreign = f"tw-{owner.account}-foreign"
        owner.s3.create_bucket(Bucket=foreign)
        server.faults(aws.account, stall_after=2, stall_seconds=0.4, disabled_regions=["ap-east-1"],
                      lost_responses=["sts:GetCallerIdentity"])
        # Not counted: refused before moto (disabled Region, request rule). Counted: a lost response, a success.
        expect_error(lambda: aws.client("sts", "ap-east-1").get_caller_identity(), "InvalidClientTokenId", 403)
        expect_error(lambda: aws.s3.head_bucket(Bucket=foreign, ExpectedBucketOwner=aws.account), "403", 403)
        expect_error(lambda: aws.sts.get_caller_identity(), "InternalFailure", 500)
        aws.iam.create_role(RoleName="counted", AssumeRolePolicyDocument=trust_policy())
        assert fault_state(server, aws.account)["requests_reached_moto"] == 2
        # From now on every request is held (a disabled Region too), stall_seconds, then 503 in its protocol's form.
        bucket = f"tw-{aws.account}-held"
        hk = aws.client("sts", "ap-east-1")
        for service in ("iam", "logs", "s3", "sts"):
            getattr(aws, service)
        calls: dict[str, Callable[[], Any]] = {
            "iam": lambda: aws.iam.create_role(RoleName="held", AssumeRolePolicyDocument=trust_policy()),
            "logs": lambda: aws.logs.create_log_group(logGroupName="/held"),
            "s3": lambda: aws.s3.create_bucket(Bucket=bucket),
            "sts-disabled-region": lambda: hk.get_caller_identity(),
            "cbor": lambda: cbor_call(server, aws.account, REGION, "PutMetricAlarm", {
                "AlarmName": "held", "MetricName": "m", "Namespace": "ns", "Statistic": "Sum", "Period": 300,
                "EvaluationPeriods": 1, "Threshold": 1.0, "ComparisonOperator": "GreaterThanOrEqualToThreshold"}),
        }

        def run(call: Callable[[], Any]) -> tuple[float, Any]:
            started = time.monotonic()
            try:
                result: Any = call()
            except botocore.exceptions.ClientError as err:
                result = (err.response["ResponseMetadata"]["HTTPStatusCode"], err.response["Error"].get("Code"),
                          err.response["Error"].get("Message"))
            return time.monotonic() - started, result

        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(len(calls)) as pool:
            results = dict(zip(calls, pool.map(run, calls.values())))
        elapsed = time.monotonic() - started
        assert elapsed < 1.5, f"held requests were served one after the other ({elapsed:.2f} s)"
        message = "The request has failed due to a temporary failure of the server."
        for name, (took, result) in results.items():
            assert took >= 0.4, (name, took)
            if name == "cbor":
                status, headers, document = result
                assert (status, document) == (503, {"__type": "ServiceUnavailable", "message": message}), result
                assert headers.get("x-amzn-query-error") == "ServiceUnavailable;Receiver", headers
            else:
                assert result == (503, "ServiceUnavailable", message), (name, result)
        state = fault_state(server, aws.account)
        assert state["stalls"] == {"waiting": 0, "client_gone": 0, "timed_out": 5, "released": 0}, state
        assert state["answered"] == {"disabled_region": 1, "lost_response": 1, "stall": 5}, state
        assert state["requests_reached_moto"] == 2, state
        server.faults(aws.account)
        expect_error(lambda: aws.iam.get_role(RoleName="held"), "NoSuchEntity", 404)
        assert not aws.logs.describe_log_groups(logGroupNamePrefix="/held")["logGroups"]
        expect_error(lambda: aws.s3.head_bucket(Bucket=bucket), "404", 404)
        assert not aws.cloudwatch.describe_alarms(AlarmNames=["held"])["MetricAlarms"]
        aws.iam.get_role(RoleName="counted")

    check("stall_after: only requests that reach moto count; once K did, every request is held stall_seconds "
          "(concurrently), answered 503 ServiceUnavailable (query, JSON, S3, CBOR) and never executed", timed_out)

    def released() -> None:
        aws = Aws(server, new_account())
        server.faults(aws.account, stall_after=0)  # stall_seconds: 30 by default
        aws.sts  # noqa: B018 - build the client here, not in the thread
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            started = time.monotonic()
            future = pool.submit(lambda: expect_error(lambda: aws.sts.get_caller_identity(), "ServiceUnavailable", 503))
            wait_for("the held request", lambda: [e for e in server.requests_for(aws.account) if e.get("fault")])
            server.faults(aws.account)  # clearing the settings lets held requests go (503, not executed)
            future.result(timeout=5)
            assert time.monotonic() - started < 3
        assert aws.sts.get_caller_identity()["Account"] == aws.account

    check("stall_after 0 holds the first request; clearing the account's settings releases it at once", released)

    def lost_share_all() -> None:
        aws, bystander = Aws(server, new_account()), Aws(server, new_account())
        server.faults(aws.account, lost_share={"share": 1.0, "seed": 1})
        bucket = f"tw-{aws.account}-lost"
        expect_error(lambda: aws.iam.create_role(RoleName="r", AssumeRolePolicyDocument=trust_policy()),
                     "InternalFailure", 500)
        expect_error(lambda: aws.sns.create_topic(Name="t"), "InternalFailure", 500)
        expect_error(lambda: aws.logs.create_log_group(logGroupName="/lost"), "InternalFailure", 500)
        expect_error(lambda: aws.s3.create_bucket(Bucket=bucket), "InternalError", 500)
        status, _, document = cbor_call(server, aws.account, REGION, "PutMetricAlarm", {
            "AlarmName": "lost", "MetricName": "m", "Namespace": "ns", "Statistic": "Sum", "Period": 300,
            "EvaluationPeriods": 1, "Threshold": 1.0, "ComparisonOperator": "GreaterThanOrEqualToThreshold"})
        assert status == 500 and document["__type"] == "InternalFailure", (status, document)
        # Every write was executed; reads are never touched.
        aws.iam.get_role(RoleName="r")
        assert len(aws.sns.list_topics()["Topics"]) == 1
        assert aws.logs.describe_log_groups(logGroupNamePrefix="/lost")["logGroups"]
        aws.s3.head_bucket(Bucket=bucket)
        assert aws.cloudwatch.describe_alarms(AlarmNames=["lost"])["MetricAlarms"]
        assert aws.sts.get_caller_identity()["Account"] == aws.account
        faults = [(e["operation"], e.get("fault")) for e in server.requests_for(aws.account)]
        assert faults[:5] == [(op, "lost_share") for op in
                              ("CreateRole", "CreateTopic", "CreateLogGroup", "CreateBucket", "PutMetricAlarm")], faults
        assert not [f for _, f in faults[5:] if f], faults
        # lost_responses comes first for a listed operation; each fires once.
        server.faults(aws.account, lost_share={"share": 1.0, "seed": 1}, lost_responses=["sns:CreateTopic"])
        expect_error(lambda: aws.sns.create_topic(Name="t2"), "InternalFailure", 500)
        expect_error(lambda: aws.sns.create_topic(Name="t3"), "InternalFailure", 500)
        assert fault_state(server, aws.account)["answered"] == {"lost_response": 1, "lost_share": 1}
        server.faults(aws.account)
        aws.sns.create_topic(Name="t4")
        bystander.sns.create_topic(Name="t")
        bystander.iam.create_role(RoleName="r", AssumeRolePolicyDocument=trust_policy())
        assert not [e for e in server.requests_for(bystander.account) if e.get("fault")]

    check("lost_share 1: every write is executed then answered 500 (InternalFailure; S3 InternalError; CBOR), "
          "reads untouched, other accounts unaffected", lost_share_all)

    def lost_share_seeded() -> None:
        patterns = []
        for with_reads in (False, True):
            aws = Aws(server, new_account())
            server.faults(aws.account, lost_share={"share": 0.4, "seed": 11})
            pattern = ""
            for i in range(24):
                if with_reads:  # reads draw nothing: the pattern of the writes stays the same
                    assert aws.sts.get_caller_identity()["Account"] == aws.account
                    aws.sns.list_topics()
                try:
                    aws.sns.create_topic(Name=f"t{i}")
                    pattern += "."
                except botocore.exceptions.ClientError as err:
                    assert err.response["Error"]["Code"] == "InternalFailure", err.response
                    pattern += "L"
            assert len(aws.sns.list_topics()["Topics"]) == 24  # lost or not, each was created
            patterns.append(pattern)
        assert patterns[0] == patterns[1], patterns
        assert 4 <= patterns[0].count("L") <= 18, patterns[0]

    check("lost_share 0.4: deterministic by seed over the account's writes, reads draw nothing", lost_share_seeded)


# ---------------------------------------------------------------- rule 8: repeated writes are idempotent, as on AWS


def test_idempotency(server: Server) -> None:
    def subscribe_twice() -> None:
        aws = Aws(server, new_account())
        topic = aws.sns.create_topic(Name="alerts")["TopicArn"]
        first = aws.sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="sec@example.com")["SubscriptionArn"]
        again = aws.sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="sec@example.com")["SubscriptionArn"]
        arn = aws.sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="sec@example.com",
                                ReturnSubscriptionArn=True)["SubscriptionArn"]
        assert first == again == arn and arn.startswith(topic + ":"), (first, again, arn)
        listed = aws.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        assert [s["SubscriptionArn"] for s in listed] == [arn], listed
        # Another endpoint or protocol is another subscription.
        other = aws.sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="ops@example.com")["SubscriptionArn"]
        json_sub = aws.sns.subscribe(TopicArn=topic, Protocol="email-json", Endpoint="sec@example.com")["SubscriptionArn"]
        assert len({arn, other, json_sub}) == 3
        assert len(aws.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]) == 3

    check("sns: Subscribe of an existing (topic, protocol, endpoint) returns its ARN, no second subscription",
          subscribe_twice)

    def create_topic_twice() -> None:
        aws = Aws(server, new_account())
        kwargs = {"Name": "alerts", "Attributes": {"DisplayName": "Alerts"},
                  "Tags": [{"Key": "ManagedBy", "Value": "trailwarden"}]}
        first = aws.sns.create_topic(**kwargs)["TopicArn"]
        assert aws.sns.create_topic(**kwargs)["TopicArn"] == first
        assert aws.sns.list_topics()["Topics"] == [{"TopicArn": first}]
        assert aws.sns.list_tags_for_resource(ResourceArn=first)["Tags"] == kwargs["Tags"]
        assert aws.sns.create_topic(Name="other")["TopicArn"] != first

    check("sns: CreateTopic with the same name, attributes and tags returns the same ARN", create_topic_twice)

    def alarm_update() -> None:
        aws = Aws(server, new_account())
        alarm = {"AlarmName": "a", "MetricName": "m", "Namespace": "ns", "Statistic": "Sum", "Period": 300,
                 "EvaluationPeriods": 1, "Threshold": 1.0, "ComparisonOperator": "GreaterThanOrEqualToThreshold"}
        aws.cloudwatch.put_metric_alarm(**alarm, Tags=[{"Key": "k", "Value": "1"}])
        arn = aws.cloudwatch.describe_alarms(AlarmNames=["a"])["MetricAlarms"][0]["AlarmArn"]
        aws.cloudwatch.set_alarm_state(AlarmName="a", StateValue="ALARM", StateReason="breached")
        before = aws.cloudwatch.describe_alarms(AlarmNames=["a"])["MetricAlarms"][0]
        aws.cloudwatch.put_metric_alarm(**alarm, Tags=[{"Key": "k", "Value": "2"}, {"Key": "x", "Value": "y"}])
        aws.cloudwatch.put_metric_alarm(**dict(alarm, Threshold=5.0))
        after = aws.cloudwatch.describe_alarms(AlarmNames=["a"])["MetricAlarms"]
        assert len(after) == 1 and after[0]["Threshold"] == 5.0, after  # the configuration is replaced ...
        for key in ("StateValue", "StateReason", "StateUpdatedTimestamp"):  # ... the state is not
            assert after[0][key] == before[key], (key, before[key], after[0][key])
        assert aws.cloudwatch.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "k", "Value": "1"}]
        # A new alarm still gets its tags and a fresh state.
        aws.cloudwatch.put_metric_alarm(**dict(alarm, AlarmName="b"), Tags=[{"Key": "k", "Value": "b"}])
        new = aws.cloudwatch.describe_alarms(AlarmNames=["b"])["MetricAlarms"][0]
        assert new["StateValue"] != "ALARM", new
        assert aws.cloudwatch.list_tags_for_resource(ResourceARN=new["AlarmArn"])["Tags"] == [{"Key": "k", "Value": "b"}]

    check("cloudwatch: PutMetricAlarm on an existing alarm replaces its configuration, keeps its state, ignores Tags",
          alarm_update)

    def repeated_puts() -> None:
        aws = Aws(server, new_account())
        aws.logs.create_log_group(logGroupName="/g")
        for _ in range(2):
            aws.logs.put_retention_policy(logGroupName="/g", retentionInDays=30)
            aws.logs.put_metric_filter(logGroupName="/g", filterName="f", filterPattern="ERROR", metricTransformations=[
                {"metricName": "m", "metricNamespace": "ns", "metricValue": "1"}])
        groups = aws.logs.describe_log_groups(logGroupNamePrefix="/g")["logGroups"]
        assert [g["retentionInDays"] for g in groups] == [30], groups
        assert len(aws.logs.describe_metric_filters(logGroupName="/g")["metricFilters"]) == 1

        trust = trust_policy()
        policy = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}]})
        aws.iam.create_role(RoleName="r", AssumeRolePolicyDocument=trust)
        for _ in range(2):
            aws.iam.put_role_policy(RoleName="r", PolicyName="p", PolicyDocument=policy)
            aws.iam.update_assume_role_policy(RoleName="r", PolicyDocument=trust)
        assert aws.iam.list_role_policies(RoleName="r")["PolicyNames"] == ["p"]
        assert aws.iam.get_role_policy(RoleName="r", PolicyName="p")["PolicyDocument"] == json.loads(policy)
        assert aws.iam.get_role(RoleName="r")["Role"]["AssumeRolePolicyDocument"] == json.loads(trust)

        bucket = f"tw-{aws.account}-ct"
        aws.s3.create_bucket(Bucket=bucket)
        aws.s3.put_bucket_policy(Bucket=bucket, Policy=bucket_policy(bucket, aws.account, None))
        aws.cloudtrail.create_trail(Name="main", S3BucketName=bucket)
        for _ in range(2):
            aws.cloudtrail.start_logging(Name="main")
            assert aws.cloudtrail.get_trail_status(Name="main")["IsLogging"] is True
        assert len(aws.cloudtrail.describe_trails()["trailList"]) == 1

    check("repeated PutRetentionPolicy, PutMetricFilter, PutRolePolicy, UpdateAssumeRolePolicy, StartLogging "
          "leave one resource in the same state", repeated_puts)


# ---------------------------------------------------------------- main


def test_alarm_tags(server: Server) -> None:
    def retagged_alarm() -> None:
        aws = Aws(server, new_account())
        alarm = {"AlarmName": "Root", "MetricName": "RootCount", "Namespace": "CloudTrailMetrics",
                 "Statistic": "Sum", "Period": 300, "EvaluationPeriods": 1, "Threshold": 1.0,
                 "ComparisonOperator": "GreaterThanOrEqualToThreshold"}
        aws.cloudwatch.put_metric_alarm(**alarm, Tags=[{"Key": "managed-by", "Value": "trailwarden"}])
        arn = aws.cloudwatch.describe_alarms(AlarmNames=["Root"])["MetricAlarms"][0]["AlarmArn"]
        assert aws.cloudwatch.list_tags_for_resource(ResourceARN=arn)["Tags"] == [
            {"Key": "managed-by", "Value": "trailwarden"}]
        aws.cloudwatch.delete_alarms(AlarmNames=["Root"])
        expect_error(lambda: aws.cloudwatch.list_tags_for_resource(ResourceARN=arn), "ResourceNotFound", 404)
        aws.cloudwatch.put_metric_alarm(**alarm)
        assert aws.cloudwatch.list_tags_for_resource(ResourceARN=arn)["Tags"] == []

    check("cloudwatch: DeleteAlarms deletes the tags; a re-created alarm starts untagged; "
          "ListTagsForResource of a missing alarm -> ResourceNotFound", retagged_alarm)
def test_sns_and_alarm_actions(server: Server) -> None:
    """HTTP/S subscriptions wait for confirmation; SetAlarmState invokes the actions and records history."""
    aws = Aws(server, new_account())
    topic = aws.sns.create_topic(Name="alerts")["TopicArn"]

    def https_pending() -> None:
        aws.sns.subscribe(TopicArn=topic, Protocol="https", Endpoint="https://pager.invalid/integration/k/enqueue")
        aws.sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint="+14155550100")
        listed = {s["Protocol"]: s["SubscriptionArn"]
                  for s in aws.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]}
        assert listed["https"] == "PendingConfirmation", listed
        assert listed["sms"].startswith("arn:aws:sns:"), listed
        everywhere = [s["SubscriptionArn"] for s in aws.sns.list_subscriptions()["Subscriptions"]
                      if s["Protocol"] == "https"]
        assert everywhere == ["PendingConfirmation"], everywhere
        # Publishing does not try to reach the pending endpoint (it would fail: .invalid).
        aws.sns.publish(TopicArn=topic, Message="m")

    check("sns: an HTTPS subscription is PendingConfirmation and receives nothing", https_pending)

    def alarm_actions() -> None:
        gone = topic.replace(":alerts", ":gone")
        aws.cloudwatch.put_metric_alarm(
            AlarmName="a", MetricName="m", Namespace="n", Statistic="Sum", Period=300, EvaluationPeriods=1,
            Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold", AlarmActions=[topic],
            OKActions=[gone])
        aws.cloudwatch.set_alarm_state(AlarmName="a", StateValue="ALARM", StateReason="test")
        # Same state again: no change, no action.
        aws.cloudwatch.set_alarm_state(AlarmName="a", StateValue="ALARM", StateReason="test")
        aws.cloudwatch.set_alarm_state(AlarmName="a", StateValue="OK", StateReason="back")
        items = aws.cloudwatch.describe_alarm_history(AlarmName="a")["AlarmHistoryItems"]
        summaries = [i["HistorySummary"] for i in items]
        assert summaries[-1].endswith(" to ALARM"), summaries
        assert summaries[-2] == f"Successfully executed action {topic}", summaries
        assert any(x.startswith(f"Failed to execute action {gone}") for x in summaries), summaries
        assert len(items) == 4, summaries
        actions = aws.cloudwatch.describe_alarm_history(AlarmName="a", HistoryItemType="Action")
        assert len(actions["AlarmHistoryItems"]) == 2, actions
        aws.cloudwatch.disable_alarm_actions(AlarmNames=["a"])
        aws.cloudwatch.set_alarm_state(AlarmName="a", StateValue="ALARM", StateReason="muted")
        actions = aws.cloudwatch.describe_alarm_history(AlarmName="a", HistoryItemType="Action")
        assert len(actions["AlarmHistoryItems"]) == 2, "actions disabled: nothing invoked"

    check("cloudwatch: SetAlarmState invokes the new state's SNS actions and DescribeAlarmHistory lists them",
          alarm_actions)


def test_trail_sns_topic_arn(server: Server) -> None:
    def topic_by_arn() -> None:
        aws = Aws(server, new_account())
        topic = aws.sns.create_topic(Name="deliveries")["TopicArn"]
        args = setup_chain(aws, trail="notified")
        aws.cloudtrail.create_trail(**args, SnsTopicName=topic)
        described = aws.cloudtrail.describe_trails(trailNameList=["notified"])["trailList"][0]
        assert described["SnsTopicARN"] == topic, described

    check("cloudtrail: CreateTrail accepts the SNS topic's ARN as SnsTopicName", topic_by_arn)

    def delete_by_arn() -> None:
        aws = Aws(server, new_account())
        args = setup_chain(aws, trail="deleted")
        arn = aws.cloudtrail.create_trail(**args)["TrailARN"]
        aws.cloudtrail.delete_trail(Name=arn)
        assert aws.cloudtrail.describe_trails()["trailList"] == []
        expect_error(lambda: aws.cloudtrail.delete_trail(Name="deleted"), "TrailNotFoundException")

    check("cloudtrail: DeleteTrail by ARN deletes the trail; a missing trail -> TrailNotFoundException",
          delete_by_arn)


def test_bucket_policy_conditions(server: Server) -> None:
    def tls_deny() -> None:
        aws = Aws(server, new_account())
        bucket = f"tw-policy-{aws.account}"
        aws.s3.create_bucket(Bucket=bucket)
        deny = {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
        aws.s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [deny]}))
        # The SDKs use TLS: the deny does not apply to the owner's writes and deletes.
        aws.s3.put_object(Bucket=bucket, Key="k", Body=b"x")
        out = aws.s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "k"}]})
        assert not out.get("Errors"), out
        # A deny whose condition holds still denies.
        deny["Condition"] = {"Bool": {"aws:SecureTransport": "true"}}
        aws.s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [deny]}))
        expect_error(lambda: aws.s3.put_object(Bucket=bucket, Key="k", Body=b"x"), "403", 403)

    check("s3: a bucket policy Deny applies only when its Condition holds (aws:SecureTransport true)", tls_deny)


def main() -> int:
    global VERBOSE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("-k", default="", help="run only test groups whose name contains this")
    args = parser.parse_args()
    VERBOSE = args.verbose
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):
        os.environ.pop(key, None)
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    started = time.time()
    server = Server()
    try:
        groups = [test_role_and_log_group, test_bucket_policy, test_event_selectors, test_cloudformation, test_iam_tags,
                  test_bucket_owner, test_faults, test_stall_and_lost_share, test_idempotency, test_organizations,
                  test_sns_and_alarm_actions, test_alarm_tags, test_bucket_policy_conditions, test_trail_sns_topic_arn]
        for group in groups:
            if args.k not in group.__name__:
                continue
            try:
                group(server)  # each check inside reports itself; this catches set-up failures
            except Exception as exc:  # noqa: BLE001
                FAILED.append(group.__name__)
                print(f"FAIL {group.__name__}: {type(exc).__name__}: {exc}")
    finally:
        server.stop()
    print(f"test_fidelity: {time.time() - started:.1f} s")
    print(f"{len(PASSED)} passed, {len(FAILED)} failed")
    return 1 if FAILED or not PASSED else 0


if __name__ == "__main__":
    sys.exit(main())
