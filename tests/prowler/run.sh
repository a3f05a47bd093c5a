#!/usr/bin/env bash
# Audit what trailwarden builds with Prowler, an independent auditor, without an AWS account:
# starts the bundled emulator, applies a preset to a fresh emulated account, runs Prowler's
# CIS monitoring and CloudTrail checks against that account and prints a PASS/FAIL table.
#
#   bash tests/prowler/run.sh                     # preset cis: every check must pass (exit 1 if not)
#   bash tests/prowler/run.sh --preset aws-docs   # same checks on another preset (fails: a control run)
#   bash tests/prowler/run.sh --control           # cis must pass AND aws-docs must fail some checks
#   bash tests/prowler/run.sh --out DIR           # keep Prowler's OCSF/CSV output and the logs in DIR
#
# Environment: PROWLER_REGIONS (default "us-east-1", the trail's home region). Prowler's
# multi-region check also passes for a logging single-region trail when it scans only that
# trail's region, so report.py additionally wants Prowler's own "is multiregion" verdict (taken
# from IsMultiRegionTrail); scanning more regions adds nothing to that and, on the emulator,
# makes Prowler log TrailNotFoundException for event/insight selectors read from a non-home region.
# The first run builds .venv-prowler/ (tests/prowler/ensure-venv.sh; minutes, about 2.3 GB).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

presets=()
control=0
out=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --preset) presets+=("$2"); shift 2 ;;
        --control) control=1; shift ;;
        --out) out="$2"; shift 2 ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
if [[ $control == 1 ]]; then
    presets=(cis aws-docs)
elif [[ ${#presets[@]} == 0 ]]; then
    presets=(cis)
fi
regions="${PROWLER_REGIONS:-us-east-1}"

t0=$(date +%s.%N)
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }'; }

t=$(date +%s.%N)
prowler_python="$(bash tests/prowler/ensure-venv.sh)"
prowler="$(dirname "$prowler_python")/prowler"
emulator_python="$(bash tests/emulator/ensure-venv.sh)"
echo "== venvs ready ($(elapsed "$t"))" >&2
t=$(date +%s.%N)
cargo build --locked --quiet
tw="$root/target/debug/trailwarden"
echo "== trailwarden built ($(elapsed "$t"))" >&2

work="$(mktemp -d)"
TRAILWARDEN_EMULATOR_LOG="$work/requests.jsonl" \
    "$emulator_python" tests/emulator/server.py --port 0 --port-file "$work/port" --parent-pid $$ \
    >"$work/server.log" 2>&1 &
server=$!
cleanup() {
    kill "$server" 2>/dev/null || true
    if [[ -n "$out" ]]; then mkdir -p "$out" && cp -r "$work"/. "$out"/; fi
    rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 1 150); do [[ -s "$work/port" ]] && break; sleep 0.2; done
[[ -s "$work/port" ]] || { echo "the emulator did not start:" >&2; cat "$work/server.log" >&2; exit 1; }

# Only the emulator, never a real account: no shared config/credentials files, no profile,
# no instance metadata; static keys whose id selects the emulated account.
export AWS_ENDPOINT_URL="http://127.0.0.1:$(cat "$work/port")"
export AWS_SECRET_ACCESS_KEY=emulator AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE="$work/no-aws-config" AWS_SHARED_CREDENTIALS_FILE="$work/no-aws-credentials"
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ROLE_ARN \
    AWS_WEB_IDENTITY_TOKEN_FILE AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
echo "== emulator at $AWS_ENDPOINT_URL; Prowler regions: $regions" >&2

read -r -a checks <<<"$("$prowler_python" tests/prowler/report.py --list-checks)"

# audit PRESET ACCOUNT: apply PRESET to the fresh ACCOUNT, audit it; returns report.py's status.
audit() {
    local preset="$1" account="$2" t before rc=0
    export AWS_ACCESS_KEY_ID="TWEM${account}AAAA"
    t=$(date +%s.%N)
    "$tw" apply --preset "$preset" --email security@example.com --yes >"$work/apply-$preset.log" 2>&1 \
        || { cat "$work/apply-$preset.log" >&2; echo "trailwarden apply failed" >&2; return 2; }
    "$tw" check --preset "$preset" --email security@example.com >"$work/check-$preset.log" 2>&1 \
        || { cat "$work/check-$preset.log" >&2; echo "trailwarden check reports drift right after apply" >&2; return 2; }
    echo "== preset $preset applied to account $account and in sync ($(elapsed "$t"))" >&2

    t=$(date +%s.%N)
    before=$(wc -l <"$work/requests.jsonl")
    # shellcheck disable=SC2086
    "$prowler" aws -f $regions -c "${checks[@]}" -M json-ocsf csv -o "$work/prowler" -F "$preset" \
        --no-banner --no-color --log-level ERROR >"$work/prowler-$preset.log" 2>&1 || rc=$?
    tail -n +"$((before + 1))" "$work/requests.jsonl" >"$work/prowler-requests-$preset.jsonl"
    # 0: no failed finding, 3: some failed findings; anything else is Prowler failing to run.
    if [[ $rc != 0 && $rc != 3 ]]; then
        cat "$work/prowler-$preset.log" >&2
        echo "Prowler exited with status $rc" >&2
        return 2
    fi
    echo "== Prowler ran ${#checks[@]} checks ($(elapsed "$t"), exit $rc)" >&2
    if grep -q -E 'ERROR|Traceback' "$work/prowler-$preset.log"; then
        echo "Prowler logged errors (an API the emulator lacks?):" >&2
        grep -E 'ERROR|Traceback' "$work/prowler-$preset.log" | head -20 >&2
    fi
    "$prowler_python" tests/prowler/report.py --findings "$work/prowler/$preset.ocsf.json" \
        --account "$account" --preset "$preset" --requests-log "$work/prowler-requests-$preset.jsonl"
}

status=0
n=0
for preset in "${presets[@]}"; do
    n=$((n + 1))
    account="$(printf '9%05d%06d' "$(($$ % 100000))" "$n")"
    rc=0
    audit "$preset" "$account" || rc=$?
    if [[ $control == 1 && $preset != cis ]]; then
        # The control preset must be rejected; a pass would mean the run cannot fail.
        if [[ $rc == 1 ]]; then
            echo "== control: Prowler rejects preset $preset, as it should" >&2
        else
            echo "== control: preset $preset was expected to fail Prowler's checks (status $rc)" >&2
            status=1
        fi
    elif [[ $rc != 0 ]]; then
        status=1
    fi
done
echo "== done in $(elapsed "$t0")" >&2
exit $status
