#!/usr/bin/env bash
# Runs every test: unit tests, integration tests against the bundled emulator (its Python
# virtualenv is created on first use from tests/emulator/requirements.txt), and the example
# events of every built-in preset.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/emulator/ensure-venv.sh >/dev/null
cargo test --locked
cargo run --locked --quiet -- presets test
