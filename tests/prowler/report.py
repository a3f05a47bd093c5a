"""Turn Prowler's OCSF findings for an emulated account into a per-check PASS/FAIL table.

    python report.py --list-checks
    python report.py --findings F.ocsf.json --account 123456789012 --preset cis [--requests-log F]

Runs with the Prowler venv's interpreter (it uses that venv's boto3 to look at the emulator).
Exit status: 0 when every expected check passed (or is not provable on the emulator for the
documented reason), 1 when any expected check failed, was MANUAL or produced no finding,
2 on a usage or input error.
"""

import argparse
import collections
import json
import os
import sys

# The fifteen CIS monitoring controls (v1.4-v5 4.1-4.15, v6-v7 5.1-5.15), as Prowler names
# its checks, with the trailwarden `cis` preset control each one audits.
MONITORING_CHECKS = [
    ("cloudwatch_log_metric_filter_unauthorized_api_calls", "unauthorized-api-calls"),
    ("cloudwatch_log_metric_filter_sign_in_without_mfa", "console-signin-without-mfa"),
    ("cloudwatch_log_metric_filter_root_usage", "root-account-usage"),
    ("cloudwatch_log_metric_filter_policy_changes", "iam-policy-changes"),
    ("cloudwatch_log_metric_filter_and_alarm_for_cloudtrail_configuration_changes_enabled", "cloudtrail-changes"),
    ("cloudwatch_log_metric_filter_authentication_failures", "console-auth-failures"),
    ("cloudwatch_log_metric_filter_disable_or_scheduled_deletion_of_kms_cmk", "cmk-disable-or-deletion"),
    ("cloudwatch_log_metric_filter_for_s3_bucket_policy_changes", "s3-bucket-policy-changes"),
    ("cloudwatch_log_metric_filter_and_alarm_for_aws_config_configuration_changes_enabled", "config-changes"),
    ("cloudwatch_log_metric_filter_security_group_changes", "security-group-changes"),
    ("cloudwatch_changes_to_network_acls_alarm_configured", "nacl-changes"),
    ("cloudwatch_changes_to_network_gateways_alarm_configured", "network-gateway-changes"),
    ("cloudwatch_changes_to_network_route_tables_alarm_configured", "route-table-changes"),
    ("cloudwatch_changes_to_vpcs_alarm_configured", "vpc-changes"),
    ("cloudwatch_log_metric_filter_aws_organizations_changes", "organizations-changes"),
]

# The trail itself (CIS v1.4-v5 section 3 / v6-v7 section 4).
TRAIL_CHECKS = [
    ("cloudtrail_multi_region_enabled", "trail"),
    ("cloudtrail_log_file_validation_enabled", "trail"),
    ("cloudtrail_cloudwatch_logging_enabled", "trail"),
    ("cloudtrail_logs_s3_bucket_is_not_publicly_accessible", "bucket"),
]

EXPECTED = MONITORING_CHECKS + TRAIL_CHECKS
DELIVERY_CHECK = "cloudtrail_cloudwatch_logging_enabled"
NOT_PROVABLE = "NOT PROVABLE ON EMULATOR"


def cis_reference(finding):
    """CIS item numbers from Prowler's own compliance metadata, newest framework first."""
    compliance = (finding.get("unmapped") or {}).get("compliance") or {}
    for framework in ("CIS-5.0", "CIS-4.0.1", "CIS-3.0", "CIS-2.0", "CIS-1.5", "CIS-1.4"):
        items = compliance.get(framework)
        if items:
            return f"{framework[4:]}: {', '.join(items)}"
    return "-"


def delivery_limitation(account, region):
    """Why the emulator cannot satisfy the CloudWatch Logs delivery check, or None.

    Returns a reason only when everything trailwarden controls is in place (a logging trail
    with a CloudWatch Logs log group that exists and a delivery role that exists) and the one
    missing piece is the LatestCloudWatchLogsDeliveryTime that only real delivery produces.
    """
    if not os.environ.get("AWS_ENDPOINT_URL"):
        print("delivery check: AWS_ENDPOINT_URL is not set; not asking a real account", file=sys.stderr)
        return None
    import boto3  # the Prowler venv has it

    session = boto3.session.Session(region_name=region)
    cloudtrail = session.client("cloudtrail")
    logs = session.client("logs")
    iam = session.client("iam")
    problems = []
    trails = cloudtrail.describe_trails()["trailList"]
    if not trails:
        return None
    for trail in trails:
        name = trail["Name"]
        group_arn = trail.get("CloudWatchLogsLogGroupArn")
        role_arn = trail.get("CloudWatchLogsRoleArn")
        if not group_arn or not role_arn:
            problems.append(f"trail {name} has no CloudWatch Logs log group or role")
            continue
        group = group_arn.split(":")[6]
        found = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
        if not any(g["logGroupName"] == group for g in found):
            problems.append(f"log group {group} of trail {name} does not exist")
        try:
            iam.get_role(RoleName=role_arn.rsplit("/", 1)[-1])
        except iam.exceptions.NoSuchEntityException:
            problems.append(f"delivery role {role_arn} of trail {name} does not exist")
        status = cloudtrail.get_trail_status(Name=trail["TrailARN"])
        if not status.get("IsLogging"):
            problems.append(f"trail {name} is not logging")
        if "LatestCloudWatchLogsDeliveryTime" in status:
            problems.append(f"the emulator reported a delivery time for trail {name}")
    if problems:
        print("delivery check: " + "; ".join(problems), file=sys.stderr)
        return None
    return (
        "trail logging to an existing log group with an existing delivery role, but the emulator "
        "(moto) never reports LatestCloudWatchLogsDeliveryTime, which Prowler requires within 24 h"
    )


def load_findings(path):
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return []
    return json.loads(text) if text.strip() else []


def request_summary(path, account):
    counts = collections.Counter()
    with open(path, encoding="utf-8") as f:
        for line in f:
            entry = json.loads(line)
            if entry.get("account") == account:
                counts[(entry["service"], entry["operation"])] += 1
    return counts


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--list-checks", action="store_true")
    parser.add_argument("--findings")
    parser.add_argument("--account")
    parser.add_argument("--preset", default="?")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION", "us-east-1"))
    parser.add_argument("--requests-log", help="emulator request log (JSON lines)")
    args = parser.parse_args()

    if args.list_checks:
        print(" ".join(check for check, _ in EXPECTED))
        return 0
    if not args.findings or not args.account:
        parser.error("--findings and --account are required")

    by_check = collections.defaultdict(list)
    for finding in load_findings(args.findings):
        by_check[finding["metadata"]["event_code"]].append(finding)
    unexpected = sorted(set(by_check) - {check for check, _ in EXPECTED})

    rows = []
    failures = []
    for check, control in EXPECTED:
        findings = by_check.get(check, [])
        statuses = {f["status_code"] for f in findings}
        details = sorted({f["status_detail"] for f in findings})
        regions = sorted({(f.get("cloud") or {}).get("region", "?") for f in findings})
        cis = cis_reference(findings[0]) if findings else "-"
        if not findings:
            result, detail = "FAIL", "Prowler produced no finding for this check"
        elif statuses == {"PASS"}:
            result, detail = "PASS", details[0] if len(details) == 1 else " | ".join(details)
            # With a single scanned region a logging single-region trail would pass too: ask
            # for Prowler's own multi-region wording in every region scanned.
            if check == "cloudtrail_multi_region_enabled" and not all(
                "is multiregion" in d for d in details
            ):
                result = "FAIL"
                detail = "trail is logging but not multi-region: " + " | ".join(details)
        else:
            worst = "FAIL" if "FAIL" in statuses else sorted(statuses - {"PASS"})[0]
            result = "FAIL" if worst != "MANUAL" else "MANUAL"
            detail = " | ".join(
                f"[{(f.get('cloud') or {}).get('region', '?')}] {f['status_detail']}"
                for f in findings
                if f["status_code"] != "PASS"
            )
            if (
                check == DELIVERY_CHECK
                and statuses == {"FAIL"}
                and all("or is not configured to deliver logs" in d for d in details)
            ):
                reason = delivery_limitation(args.account, args.region)
                if reason:
                    result, detail = NOT_PROVABLE, reason
        if result not in ("PASS", NOT_PROVABLE):
            failures.append(check)
        rows.append((check, cis, control, ",".join(regions) if findings else "-", result, detail))

    width = max(len(r[0]) for r in rows)
    print(f"\nProwler verdicts for preset '{args.preset}' (account {args.account}):\n")
    print(f"{'check':<{width}}  {'CIS (Prowler metadata)':<22}  {'result':<24}  detail")
    print(f"{'-' * width}  {'-' * 22}  {'-' * 24}  {'-' * 6}")
    for check, cis, _control, _regions, result, detail in rows:
        print(f"{check:<{width}}  {cis:<22}  {result:<24}  {detail}")

    passed = sum(1 for r in rows if r[4] == "PASS")
    monitoring_passed = sum(1 for r in rows[: len(MONITORING_CHECKS)] if r[4] == "PASS")
    not_provable = [r[0] for r in rows if r[4] == NOT_PROVABLE]
    print(
        f"\n{passed}/{len(rows)} checks PASS "
        f"({monitoring_passed}/{len(MONITORING_CHECKS)} CIS monitoring controls), "
        f"{len(failures)} FAIL, {len(not_provable)} not provable on the emulator"
        + (f" ({', '.join(not_provable)})" if not_provable else "")
    )
    if unexpected:
        print(f"(ignored findings of other checks: {', '.join(unexpected)})")
    if args.requests_log and os.path.exists(args.requests_log):
        counts = request_summary(args.requests_log, args.account)
        total = sum(counts.values())
        top = ", ".join(f"{s}:{o} x{n}" for (s, o), n in counts.most_common(4))
        print(f"Prowler made {total} requests to the emulator for this account ({top}, ...)")
    if failures:
        print(f"FAILED: {', '.join(failures)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
