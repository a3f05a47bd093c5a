#!/usr/bin/env bash
# Make sure .venv-prowler/ (at the repository root) holds exactly the packages pinned in
# tests/prowler/requirements.txt (Prowler and all its dependencies).
#
# - Fast no-op when the venv exists and was built from the current requirements
#   (a stamp file records the requirements hash and the Python version).
# - Otherwise the venv is rebuilt from scratch, so removed pins do not linger.
# - Safe to run from several processes at once (flock around the rebuild).
#
# Environment:
#   TRAILWARDEN_PROWLER_VENV  venv location (default: <repo>/.venv-prowler)
#   TRAILWARDEN_PYTHON        interpreter to build it with (default: python3.11, else python3)
#
# Prints the venv's python path on stdout. The venv is large (about 2.3 GB: Prowler pulls in
# the SDKs of every cloud it supports) and a cold build takes minutes. The work is done by
# tests/venv.sh, shared with the emulator's venv.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
exec bash "$root/tests/venv.sh" "${TRAILWARDEN_PROWLER_VENV:-$root/.venv-prowler}" "$here/requirements.txt" prowler
