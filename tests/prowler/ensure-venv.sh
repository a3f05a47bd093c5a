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
# the SDKs of every cloud it supports) and a cold build takes minutes.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${TRAILWARDEN_PROWLER_VENV:-$root/.venv-prowler}"
requirements="$here/requirements.txt"
stamp="$venv/.trailwarden-requirements.sha256"

pick_python() {
    if [[ -n "${TRAILWARDEN_PYTHON:-}" ]]; then
        echo "$TRAILWARDEN_PYTHON"
    elif command -v python3.11 >/dev/null 2>&1; then
        echo python3.11
    else
        echo python3
    fi
}

python_bin="$(pick_python)"

wanted_stamp() {
    local version
    version="$("$python_bin" -c 'import sys; print(".".join(map(str, sys.version_info[:3])))')"
    { cat "$requirements"; echo "python=$version"; } | sha256sum | cut -d' ' -f1
}

is_current() {
    [[ -x "$venv/bin/python" && -x "$venv/bin/prowler" && -f "$stamp" ]] || return 1
    [[ "$(cat "$stamp")" == "$1" ]] || return 1
    # The interpreter a venv points at can disappear (e.g. a removed pyenv version).
    "$venv/bin/python" -c '' >/dev/null 2>&1
}

want="$(wanted_stamp)"
if is_current "$want"; then
    echo "$venv/bin/python"
    exit 0
fi

lock="${TMPDIR:-/tmp}/trailwarden-venv-$(printf '%s' "$venv" | sha256sum | cut -c1-16).lock"
exec 9>"$lock"
flock 9

# Another process may have finished the job while we waited for the lock.
if is_current "$want"; then
    echo "$venv/bin/python"
    exit 0
fi

echo "ensure-venv: building $venv with $python_bin (requirements changed or venv missing; this takes minutes)" >&2
start=$(date +%s)
rm -rf "$venv"
"$python_bin" -m venv "$venv"
"$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$requirements" >&2
echo "$want" >"$stamp"
echo "ensure-venv: ready in $(($(date +%s) - start)) s" >&2
echo "$venv/bin/python"
