#!/usr/bin/env bash
# Runs every test: unit tests, integration tests against the bundled emulator (its Python
# virtualenv is created on first use from tests/emulator/requirements.txt), the example events
# of every built-in preset, and the independent audit: Prowler's CIS checks against an account
# set up with the cis preset (its virtualenv, about 2.3 GB, is built on first use; set
# TRAILWARDEN_SKIP_PROWLER=1 to leave that step out).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/emulator/ensure-venv.sh >/dev/null
cargo test --locked
cargo run --locked --quiet -- presets test
if [[ "${TRAILWARDEN_SKIP_PROWLER:-}" == 1 ]]; then
    echo "Prowler audit skipped (TRAILWARDEN_SKIP_PROWLER=1)"
else
    bash tests/prowler/run.sh --control
fi
