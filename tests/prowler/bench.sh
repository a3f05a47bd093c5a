#!/usr/bin/env bash
# Wall time and AWS requests of `trailwarden check` against Prowler auditing the same controls,
# both talking to the bundled emulator (figures recorded in docs/benchmarks.md, "check vs Prowler").
#
#   bash tests/prowler/bench.sh [--runs N] [--prowler-runs N] [--out DIR]
#
# One emulator, two fresh accounts: A gets `apply --preset cis`, B `apply --preset aws-docs`.
# Timed (hyperfine when installed, else a plain loop of the same runs):
#   - trailwarden check --preset cis       on A (in sync: reads the whole chain, changes nothing)
#   - trailwarden check --preset aws-docs  on B
#   - Prowler, the 15 CIS monitoring checks          on A, region us-east-1
#   - Prowler, the same + 4 CloudTrail checks (19)    on A, region us-east-1 (what run.sh runs)
# Requests are counted from the emulator's request log (one line per AWS call) for one run of
# each, and compared with the "requests" figure of `trailwarden check --output json`.
# Environment: TRAILWARDEN_BIN (default target/release/trailwarden, built here, like the other
# figures in docs/benchmarks.md).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

runs=20
prowler_runs=5
out=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --runs) runs="$2"; shift 2 ;;
        --prowler-runs) prowler_runs="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
        *) echo "bench.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

prowler_python="$(bash tests/prowler/ensure-venv.sh)"
prowler="$(dirname "$prowler_python")/prowler"
emulator_python="$(bash tests/emulator/ensure-venv.sh)"
if [[ -z "${TRAILWARDEN_BIN:-}" ]]; then
    cargo build --release --locked --quiet
    TRAILWARDEN_BIN="$root/target/release/trailwarden"
fi
tw="$TRAILWARDEN_BIN"

work="$(mktemp -d)"
log="$work/requests.jsonl"
TRAILWARDEN_EMULATOR_LOG="$log" \
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
[[ -s "$work/port" ]] || { cat "$work/server.log" >&2; exit 1; }

export AWS_ENDPOINT_URL="http://127.0.0.1:$(cat "$work/port")"
export AWS_SECRET_ACCESS_KEY=emulator AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE="$work/no-aws-config" AWS_SHARED_CREDENTIALS_FILE="$work/no-aws-credentials"
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN

a=900000000101 # cis
b=900000000102 # aws-docs
AWS_ACCESS_KEY_ID="TWEM${a}AAAA" "$tw" apply --preset cis --email security@example.com --yes >/dev/null 2>&1
AWS_ACCESS_KEY_ID="TWEM${b}AAAA" "$tw" apply --preset aws-docs --email security@example.com --yes >/dev/null 2>&1

read -r -a all_checks <<<"$("$prowler_python" tests/prowler/report.py --list-checks)"
monitoring_checks=("${all_checks[@]:0:15}")

names=(
    "trailwarden check --preset cis"
    "trailwarden check --preset aws-docs"
    "prowler, 15 CIS monitoring checks"
    "prowler, 19 checks (15 + 4 CloudTrail)"
)
commands=(
    "env AWS_ACCESS_KEY_ID=TWEM${a}AAAA $tw check --preset cis --email security@example.com"
    "env AWS_ACCESS_KEY_ID=TWEM${b}AAAA $tw check --preset aws-docs --email security@example.com"
    "env AWS_ACCESS_KEY_ID=TWEM${a}AAAA $prowler aws -f us-east-1 -c ${monitoring_checks[*]} -M csv -o $work/p -F m -z -b --no-color --log-level CRITICAL"
    "env AWS_ACCESS_KEY_ID=TWEM${a}AAAA $prowler aws -f us-east-1 -c ${all_checks[*]} -M csv -o $work/p -F a -z -b --no-color --log-level CRITICAL"
)

# Requests: one run of each, sliced out of the emulator log.
echo "== requests per run (emulator log)"
for i in "${!commands[@]}"; do
    before=$(wc -l <"$log")
    bash -c "${commands[$i]}" >"$work/once-$i.out" 2>&1 || { cat "$work/once-$i.out" >&2; exit 1; }
    n=$(($(wc -l <"$log") - before))
    echo "  ${names[$i]}: $n requests"
done
for pair in "cis $a" "aws-docs $b"; do
    read -r preset account <<<"$pair"
    reported=$(AWS_ACCESS_KEY_ID="TWEM${account}AAAA" "$tw" check --preset "$preset" \
        --email security@example.com --output json | "$prowler_python" -c 'import json,sys; print(json.load(sys.stdin)["requests"])')
    echo "  (trailwarden check --preset $preset --output json reports \"requests\": $reported)"
done

echo "== wall time ($(nproc) cores; $(uname -sr); $tw; load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
if command -v hyperfine >/dev/null 2>&1; then
    hyperfine --version
    hyperfine --style basic --warmup 2 --runs "$runs" \
        --export-markdown "$work/trailwarden.md" --export-json "$work/trailwarden.json" \
        -n "${names[0]}" "${commands[0]}" -n "${names[1]}" "${commands[1]}"
    hyperfine --style basic --warmup 1 --runs "$prowler_runs" \
        --export-markdown "$work/prowler.md" --export-json "$work/prowler.json" \
        -n "${names[2]}" "${commands[2]}" -n "${names[3]}" "${commands[3]}"
    cat "$work/trailwarden.md" "$work/prowler.md"
    echo "(load average after: $(cut -d' ' -f1-3 /proc/loadavg))"
else
    echo "(hyperfine not installed: plain loop, after one warm-up run each)"
    for i in "${!commands[@]}"; do
        count=$runs
        [[ $i -ge 2 ]] && count=$prowler_runs
        bash -c "${commands[$i]}" >/dev/null 2>&1
        times=()
        for _ in $(seq 1 "$count"); do
            s=$(date +%s.%N)
            bash -c "${commands[$i]}" >/dev/null 2>&1
            times+=("$(awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')")
        done
        printf '%s\n' "${times[@]}" | sort -n | awk -v name="${names[$i]}" '
            { t[NR] = $1; sum += $1 }
            END { printf "  %-42s mean %.3f s  min %.3f s  max %.3f s  (%d runs)\n", name, sum / NR, t[1], t[NR], NR }'
    done
fi
