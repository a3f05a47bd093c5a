#!/usr/bin/env bash
# Make sure a virtualenv holds exactly the packages pinned in a requirements file; shared by
# tests/emulator/ensure-venv.sh and tests/prowler/ensure-venv.sh.
#
#   bash tests/venv.sh VENV_DIR REQUIREMENTS [EXECUTABLE]
#
# - Fast no-op when the venv exists, was built from the current requirements and Python version
#   (a stamp file records their hash) and, if named, has bin/EXECUTABLE.
# - Otherwise the venv is rebuilt from scratch, so removed pins do not linger.
# - Safe to run from several processes at once (flock around the rebuild).
#
# Environment: TRAILWARDEN_PYTHON, the interpreter to build with (default: python3.11, else python3).
# Prints the venv's python path on stdout.
set -euo pipefail

venv="$1"
requirements="$2"
executable="${3:-}"
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
    [[ -x "$venv/bin/python" && -f "$stamp" ]] || return 1
    [[ -z "$executable" || -x "$venv/bin/$executable" ]] || return 1
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

echo "ensure-venv: building $venv with $python_bin (requirements changed or venv missing; this can take minutes)" >&2
start=$(date +%s)
rm -rf "$venv"
"$python_bin" -m venv "$venv"
"$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$requirements" >&2
echo "$want" >"$stamp"
echo "ensure-venv: ready in $(($(date +%s) - start)) s" >&2
echo "$venv/bin/python"
