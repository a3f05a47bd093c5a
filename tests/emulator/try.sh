#!/usr/bin/env bash
# Try trailwarden without an AWS account: starts the bundled emulator on a free local port,
# applies the aws-docs preset to a throw-away account in it, then checks it.
#   bash tests/emulator/try.sh [extra trailwarden flags, e.g. --preset cis]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
python="$(bash tests/emulator/ensure-venv.sh)"
cargo build --locked --quiet
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
