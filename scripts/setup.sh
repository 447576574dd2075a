# Sourced by scripts/demo and scripts/test: installs uv and the locked environment.
# Needs only Python 3.11 and network access to PyPI.
set -euo pipefail
UV_VERSION="0.9.30"
PYTHON="${PYTHON:-python3}"

if ! "$PYTHON" -m uv --version 2>/dev/null | grep -q "uv $UV_VERSION"; then
  echo "Installing uv $UV_VERSION ..." >&2
  "$PYTHON" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi
uv() { "$PYTHON" -m uv "$@"; }

echo "Installing sendwatch's locked environment (uv sync --locked) ..." >&2
# Compiled once here, not by every process that imports them: where Python may not
# write bytecode (PYTHONDONTWRITEBYTECODE, as on CI), each refresh, task and test would
# otherwise compile Airflow, dbt and Great Expectations from source again (GX alone: 5 s).
uv sync --locked --quiet --compile-bytecode
