#!/usr/bin/env bash
# Audit the templates of `trailwarden export cloudformation` with checkov, an independent IaC
# auditor: the default template (preset cis), the KMS one (tests/iac/kms.toml) and the
# organization one (the management account's, preset cis), and the member one. Every check
# docs/export.md lists as must-pass has to pass (tests/iac/verdict.py); exit 1 otherwise.
#
#   bash tests/iac/run.sh [--out DIR]     # --out keeps the templates and checkov's reports
#
# The first run builds .venv-iac/ (tests/iac/ensure-venv.sh; about 50 s and 290 MB). checkov runs
# with --skip-download: no request leaves the machine.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
out=""
if [[ "${1:-}" == --out ]]; then out="$2"; fi

python="$(bash tests/iac/ensure-venv.sh)"
checkov="$(dirname "$python")/checkov"
cargo build --locked --quiet
tw="$root/target/debug/trailwarden"
work="$(mktemp -d)"
trap 'if [[ -n "$out" ]]; then mkdir -p "$out" && cp -r "$work"/. "$out"/; fi; rm -rf "$work"' EXIT

"$tw" export cloudformation --preset cis --email security@example.com >"$work/default.yaml"
"$tw" export cloudformation --config tests/iac/kms.toml >"$work/kms.yaml" 2>"$work/kms.notes"
"$tw" export cloudformation --preset cis --email security@example.com --organization \
    >"$work/organization.yaml"
"$tw" export cloudformation --member >"$work/member.yaml"

status=0
for name in default kms organization member; do
    echo "== checkov on the $name template"
    # checkov exits 1 when any check fails, out-of-scope ones included: the verdict decides.
    (cd "$work" && "$checkov" -f "$name.yaml" --framework cloudformation --skip-download \
        -o json >"$name.json" 2>"$name.log") || true
    if ! "$python" -c 'import json, sys; json.load(open(sys.argv[1]))["results"]' "$work/$name.json" 2>/dev/null; then
        echo "checkov produced no report for $name:" >&2
        cat "$work/$name.log" >&2
        exit 1
    fi
    flag=()
    [[ $name == kms ]] && flag=(--kms)
    [[ $name == member ]] && flag=(--member)
    "$python" tests/iac/verdict.py "$work/$name.json" "${flag[@]}" || status=1
done
exit $status
