#!/bin/sh
# Create a Python venv with the reference runtime used by the benchmarks:
#   pydotcompute 0.2.0 (RingKernelRuntime) + uvloop.
# Usage: bench/setup-pyref.sh [VENV_DIR]   (default: bench/.venv)
# Idempotent: does nothing if both packages already import in that venv.
set -u

VENV=${1:-bench/.venv}
PY="$VENV/bin/python"

die() { echo "setup-pyref: $*" >&2; exit 1; }

ok() {
    "$PY" -c 'import importlib.metadata as m, uvloop, pydotcompute
assert m.version("pydotcompute") == "0.2.0", m.version("pydotcompute")' \
        >/dev/null 2>&1
}

if [ -x "$PY" ] && ok; then
    echo "setup-pyref: $VENV already has pydotcompute 0.2.0 + uvloop" >&2
    exit 0
fi

command -v python3 >/dev/null 2>&1 || die "python3 not found in PATH"
if [ ! -x "$PY" ]; then
    python3 -m venv "$VENV" ||
        die "'python3 -m venv $VENV' failed (bad path, or python3-venv not installed?)"
fi
"$PY" -m pip install --quiet --disable-pip-version-check \
    "pydotcompute==0.2.0" uvloop ||
    die "pip install of pydotcompute==0.2.0 uvloop into $VENV failed (network/PyPI?)"
ok || die "packages installed but 'import pydotcompute, uvloop' still fails in $VENV"
echo "setup-pyref: ready: $PY" >&2
