# Shared by scripts/*: make .venv (Python 3.11+) with the project installed, and the pinned Node tools in mock/.
# Sourced, not run. Usage: source scripts/_env.sh EXTRA   (EXTRA: the pip extra to install, e.g. dev or mock)

_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$_root"

_python="${PYTHON:-python3}"
if ! "$_python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "error: Python 3.11 or newer is needed (tried '$_python'; set PYTHON=/path/to/python3.11)" >&2
  exit 2
fi
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$_python" -m venv .venv
fi
echo "==> installing the project into .venv (extra: $1)"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[$1]"

# npm ci only when node_modules is missing or was installed from another lock file.
if ! cmp -s mock/package-lock.json mock/node_modules/.miraflow-installed-lock 2>/dev/null; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "error: Node.js 20+ with npm is needed for Prism; install it, then run this again" >&2
    exit 2
  fi
  echo "==> installing the pinned Node tools (Prism, Spectral) with npm ci"
  (cd mock && npm ci --no-audit --no-fund --loglevel=error)
  cp mock/package-lock.json mock/node_modules/.miraflow-installed-lock
fi
export PATH="$_root/.venv/bin:$PATH"
