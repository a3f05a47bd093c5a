#!/usr/bin/env bash
# Runs every test: unit tests, integration tests against the bundled emulator (its Python
# virtualenv is created on first use from tests/emulator/requirements.txt), the example events
# of every built-in preset, the README's try-it script, and the independent audit: Prowler's
# CIS checks against an account set up with the cis preset (its virtualenv, about 2.3 GB, is
# built on first use; set TRAILWARDEN_SKIP_PROWLER=1 to leave that step out), and checkov on the
# exported CloudFormation templates (its virtualenv, about 290 MB, built on first use; set
# TRAILWARDEN_SKIP_IAC=1 to leave that step out).
set -euo pipefail
cd "$(dirname "$0")/.."
python="$(bash tests/emulator/ensure-venv.sh)"
# The emulator's own rules first: each AWS behaviour it enforces, checked both ways with boto3.
echo "== tests/emulator/test_fidelity.py"
PYTHONDONTWRITEBYTECODE=1 "$python" tests/emulator/test_fidelity.py
cargo test --locked
cargo run --locked --quiet -- presets test
# The README's "try it without an account" command: apply, re-apply, check, scan from S3.
echo "== bash tests/emulator/try.sh"
if ! try_out="$(bash tests/emulator/try.sh 2>&1)" || ! grep -q '^No changes' <<<"$try_out"; then
    echo "$try_out"
    echo "tests/emulator/try.sh failed, or its second apply was not a no-op" >&2
    exit 1
fi
echo "$try_out" | grep -E '^(==|No changes|In sync|Scanned)'
if [[ "${TRAILWARDEN_SKIP_IAC:-}" == 1 ]]; then
    echo "checkov audit skipped (TRAILWARDEN_SKIP_IAC=1)"
else
    bash tests/iac/run.sh
fi
if [[ "${TRAILWARDEN_SKIP_PROWLER:-}" == 1 ]]; then
    echo "Prowler audit skipped (TRAILWARDEN_SKIP_PROWLER=1)"
else
    bash tests/prowler/run.sh --control
fi
