#!/usr/bin/env bash
# End-to-end tests of Docent's web UI in a real browser (Playwright driving the system Chromium).
#
#   bash tests/e2e/run.sh [path/to/docent-server] [playwright test args…]
#
# Starts, on free loopback ports and a fresh temp data dir:
#   - a real SMTP server (aiosmtpd) that writes every delivered email as JSON into a folder,
#   - a fake OpenAI-compatible LLM and a fake retrieval API (support/fakes.mjs),
#   - docent-server, configured to use all three and to serve ui/dist,
# then runs the specs in tests/e2e/specs. Screenshots of every view go to tests/artifacts/e2e/,
# with the logs of every process. Everything started here is stopped on exit.
#
# Environment:
#   DOCENT_TEST_PYTHON  a Python with aiosmtpd (default: target/test-venv, created if missing)
#   E2E_CHROMIUM        the browser (default: /usr/bin/chromium)
#   E2E_WORKERS         parallel browser workers (default: 3)
#   E2E_BUILD_UI=1      rebuild ui/dist first (it is built anyway when missing)
#   E2E_ARTIFACTS       where screenshots, results and logs go (default: tests/artifacts/e2e; emptied first)

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$ROOT/tests/lib.sh"
started_at=$(date +%s)

SERVER_BIN=${1:-$ROOT/target/debug/docent-server}
[ $# -gt 0 ] && shift
[ -x "$SERVER_BIN" ] || die "no docent-server at $SERVER_BIN (build it: cargo build -p docent-server)"
SERVER_BIN=$(cd "$(dirname "$SERVER_BIN")" && pwd)/$(basename "$SERVER_BIN")

CHROMIUM=${E2E_CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || die "no Chromium at $CHROMIUM (apt-get install chromium, or set E2E_CHROMIUM)"
command -v node >/dev/null || die "node is missing (Node.js 20.19 or newer)"

# --- What the tests need installed --------------------------------------------------------

PYTHON=${DOCENT_TEST_PYTHON:-}
if [ -z "$PYTHON" ]; then
  venv="$ROOT/target/test-venv"
  if ! "$venv/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
    say "Installing the test SMTP server (aiosmtpd) into target/test-venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check aiosmtpd==1.4.6
  fi
  PYTHON="$venv/bin/python"
fi
"$PYTHON" -c 'import aiosmtpd' 2>/dev/null || die "$PYTHON has no aiosmtpd (pip install aiosmtpd==1.4.6)"

# Playwright must not download browsers: the system's Chromium is used.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ ! -d "$HERE/node_modules/@playwright/test" ] || [ "$HERE/package-lock.json" -nt "$HERE/node_modules/.package-lock.json" ]; then
  say "Installing the test dependencies (npm ci)"
  (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error)
fi

UI_DIR="$ROOT/ui/dist"
if [ "${E2E_BUILD_UI:-}" = 1 ] || [ ! -f "$UI_DIR/index.html" ]; then
  say "Building the web UI"
  (cd "$ROOT/ui" && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run build --silent)
fi

# --- Processes, and their cleanup -----------------------------------------------------------

ARTIFACTS=${E2E_ARTIFACTS:-$ROOT/tests/artifacts/e2e}
rm -rf "$ARTIFACTS"
mkdir -p "$ARTIFACTS"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/docent-e2e.XXXXXX")
PIDS=()

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    # Give each a moment to stop, then insist.
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  cp "$WORK"/*.log "$ARTIFACTS"/ 2>/dev/null || true
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM


say "Starting the SMTP server, the fake LLM and retrieval API, and docent-server"

MAIL_DIR="$WORK/mail"
SMTP_PORT=$(free_port)
"$PYTHON" "$HERE/support/smtp_sink.py" "$SMTP_PORT" "$MAIL_DIR" >"$WORK/smtp.log" 2>&1 &
PIDS+=($!)
wait_for "the SMTP server" "$!" "$WORK/smtp.log" port_open "$SMTP_PORT"

node "$HERE/support/fakes.mjs" "$WORK/fake-ports.json" >"$WORK/fakes.log" 2>&1 &
PIDS+=($!)
wait_for "the fake services" "$!" "$WORK/fakes.log" test -s "$WORK/fake-ports.json"
LLM_PORT=$(node -p "require('$WORK/fake-ports.json').llm")
RETRIEVAL_PORT=$(node -p "require('$WORK/fake-ports.json').retrieval")

# Only the settings given here: no DOCENT_* variable of the caller's shell leaks in.
while IFS= read -r name; do unset "$name"; done < <(compgen -e | grep '^DOCENT_' || true)

health() { curl -fsS --max-time 2 "http://127.0.0.1:$1/health"; }

# docent-server's settings, besides --data-dir and --addr. The specs get them too
# (E2E_SERVER_ENV), to start a second server on the same data dir (support/server.mjs).
DATA_DIR="$WORK/data"
SERVER_ENV=(
  "DOCENT_SMTP_URL=smtp://127.0.0.1:$SMTP_PORT"
  "DOCENT_MAIL_FROM=Docent <docent@example.test>"
  "DOCENT_LLM_BASE_URL=http://127.0.0.1:$LLM_PORT/v1"
  "DOCENT_LLM_API_KEY=test-key"
  "DOCENT_LLM_MODEL=test/model"
  "DOCENT_RETRIEVAL_URL=http://127.0.0.1:$RETRIEVAL_PORT/search"
  "DOCENT_UI_DIR=$UI_DIR"
  "DOCENT_LOG=info"
  "NO_COLOR=1"
)

start_server() {
  SERVER_PORT=$(free_port)
  env "${SERVER_ENV[@]}" \
    "$SERVER_BIN" --data-dir "$DATA_DIR" --addr "127.0.0.1:$SERVER_PORT" >>"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
}

mkdir -p "$DATA_DIR"
start_server
# The port was free a moment ago; if another process took it since, try another one.
for attempt in 1 2; do
  for _ in $(seq 200); do
    health "$SERVER_PORT" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  if health "$SERVER_PORT" >/dev/null 2>&1; then break; fi
  if [ "$attempt" = 2 ] || kill -0 "$SERVER_PID" 2>/dev/null || ! grep -q "cannot listen" "$WORK/server.log"; then
    echo "--- server.log" >&2; tail -n 30 "$WORK/server.log" >&2 || true
    die "docent-server did not become healthy"
  fi
  start_server
done

echo "    docent-server  http://127.0.0.1:$SERVER_PORT  (data: $DATA_DIR)"
echo "    SMTP           127.0.0.1:$SMTP_PORT"
echo "    LLM            http://127.0.0.1:$LLM_PORT/v1"
echo "    retrieval      http://127.0.0.1:$RETRIEVAL_PORT/search"

# --- The tests --------------------------------------------------------------------------------

say "Running the end-to-end tests"
export E2E_BASE_URL="http://127.0.0.1:$SERVER_PORT"
export E2E_MAIL_DIR="$MAIL_DIR"
export E2E_LLM_URL="http://127.0.0.1:$LLM_PORT"
export E2E_RETRIEVAL_URL="http://127.0.0.1:$RETRIEVAL_PORT"
export E2E_ARTIFACTS="$ARTIFACTS"
export E2E_CHROMIUM="$CHROMIUM"
export E2E_SERVER_BIN="$SERVER_BIN"
export E2E_DATA_DIR="$DATA_DIR"
E2E_SERVER_ENV=$(printf '%s\n' "${SERVER_ENV[@]}")
export E2E_SERVER_ENV

# In the background and waited for, so that a signal to this script runs the cleanup at once
# (it stops the runner too, which closes its browsers).
(cd "$HERE" && exec node node_modules/@playwright/test/cli.js test "$@") &
PIDS+=($!)
set +e
wait "$!"
status=$?
set -e

summary=$(node -e '
  const fs = require("fs");
  let r;
  try { r = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); } catch { console.log("no results"); process.exit(0); }
  const s = r.stats || {};
  console.log(`${s.expected ?? 0} passed, ${(s.unexpected ?? 0) + (s.flaky ?? 0)} failed, ${s.skipped ?? 0} skipped`);
' "$ARTIFACTS/results.json")
elapsed=$(( $(date +%s) - started_at ))
if [ "$status" = 0 ]; then
  say "End-to-end tests: $summary in ${elapsed}s (screenshots and logs: tests/artifacts/e2e)"
else
  printf '\033[31;1m==> End-to-end tests FAILED: %s in %ss (screenshots, traces and logs: tests/artifacts/e2e)\033[0m\n' "$summary" "$elapsed"
fi
exit "$status"
