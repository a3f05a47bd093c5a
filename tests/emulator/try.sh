#!/usr/bin/env bash
# Try trailwarden without an AWS account: starts the bundled emulator on a free local port,
# applies the aws-docs preset to a throw-away account in it, then checks it; finally writes a
# day of synthetic CloudTrail logs into a bucket and backtests the preset over them. (Not the
# trail's own bucket: its policy denies requests without TLS, and the emulator speaks plain HTTP.)
#   bash tests/emulator/try.sh [extra apply/check flags, e.g. --preset cis]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
python="$(bash tests/emulator/ensure-venv.sh)"
cargo build --locked --quiet --bin trailwarden --example gen-cloudtrail
work="$(mktemp -d)"
"$python" tests/emulator/server.py --port 0 --port-file "$work/port" --parent-pid $$ >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 150); do [[ -s "$work/port" ]] && break; sleep 0.2; done
[[ -s "$work/port" ]] || { echo "the emulator did not start; see $work/server.log" >&2; cat "$work/server.log" >&2; exit 1; }
export AWS_ENDPOINT_URL="http://127.0.0.1:$(cat "$work/port")"
export AWS_ACCESS_KEY_ID=TWEM123456789012AAAA AWS_SECRET_ACCESS_KEY=emulator AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
tw="$root/target/debug/trailwarden"
echo "== emulator at $AWS_ENDPOINT_URL (account 123456789012)" >&2
"$tw" apply --email security@example.com --yes "$@"
echo "== second apply: nothing to do" >&2
"$tw" apply --email security@example.com --yes "$@"
echo "== drift check" >&2
"$tw" check --email security@example.com "$@"
echo "== a day of synthetic CloudTrail logs in s3://example-cloudtrail-logs, backtested" >&2
presets=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --preset) presets+=(--preset "$2"); shift 2 ;;
        --preset=*) presets+=("$1"); shift ;;
        *) shift ;;
    esac
done
"$root/target/debug/examples/gen-cloudtrail" --out "$work/logs" --account 123456789012 --events 20000 --gzip >/dev/null
"$python" - "$work/logs" <<'PY'
import os, sys, boto3
root = sys.argv[1]
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
bucket = "example-cloudtrail-logs"
s3.create_bucket(Bucket=bucket)
for d, _, files in os.walk(root):
    for f in files:
        path = os.path.join(d, f)
        with open(path, "rb") as body:
            s3.put_object(Bucket=bucket, Key=os.path.relpath(path, root), Body=body)
PY
"$tw" scan s3://example-cloudtrail-logs/AWSLogs/ "${presets[@]}"
