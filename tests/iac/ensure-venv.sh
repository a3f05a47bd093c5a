#!/usr/bin/env bash
# Make sure .venv-iac/ (at the repository root) holds exactly the packages pinned in
# tests/iac/requirements.txt (checkov and all its dependencies), through tests/venv.sh: a fast
# no-op when current, else rebuilt from scratch (about 50 s and 290 MB measured here).
#
# Environment:
#   TRAILWARDEN_IAC_VENV  venv location (default: <repo>/.venv-iac)
#   TRAILWARDEN_PYTHON    interpreter to build it with (default: python3.11, else python3)
#
# Prints the venv's python path on stdout.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
exec bash "$root/tests/venv.sh" "${TRAILWARDEN_IAC_VENV:-$root/.venv-iac}" "$here/requirements.txt" checkov
