#!/usr/bin/env bash
# Make sure .venv-emulator/ (at the repository root) holds exactly the packages
# pinned in tests/emulator/requirements.txt.
#
# - Fast no-op when the venv exists and was built from the current requirements
#   (a stamp file records the requirements hash and the Python version).
# - Otherwise the venv is rebuilt from scratch, so removed pins do not linger.
# - Safe to run from several processes at once (flock around the rebuild).
#
# Environment:
#   TRAILWARDEN_EMULATOR_VENV  venv location (default: <repo>/.venv-emulator)
#   TRAILWARDEN_PYTHON         interpreter to build it with (default: python3.11, else python3)
#
# Prints the venv's python path on stdout. The work is done by tests/venv.sh, shared with
# Prowler's venv.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
exec bash "$root/tests/venv.sh" "${TRAILWARDEN_EMULATOR_VENV:-$root/.venv-emulator}" "$here/requirements.txt"
