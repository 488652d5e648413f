#!/usr/bin/env bash
# End-to-end test of the desktop app itself: the real Tauri binary, driven through WebDriver
# (tauri-driver in front of WebKitGTK's WebKitWebDriver) on a virtual X display.
#
#   bash tests/desktop/webdriver/run.sh [path/to/docent]     (default: target/debug/docent)
#
# Under `xvfb-run -a` and `dbus-run-session` (the app's single-instance plugin and the OS
# keyring need a session bus; gnome-keyring is started on it, unlocked, so the session token
# can be stored without a prompt) it starts, on free loopback ports:
#   - the fake OpenAI-compatible LLM and retrieval API of the browser suite (tests/e2e/support/fakes.mjs),
#   - tauri-driver, which starts WebKitWebDriver, which starts the app with a fresh data dir and
#     DOCENT_* settings pointing at the fakes,
# then runs test.mjs: register, sign in with the password, open Personal, ask a question and
# see the streamed answer with its citation chips; add a PDF and a folder through the OS's file
# dialogs (answered with xdotool on the virtual display) and search them; restart. Screenshots
# and every process's log go to tests/artifacts/desktop/. Everything started here is stopped on
# exit.
#
# Needs: tauri-driver 2 (`cargo install tauri-driver --version ^2 --locked`; found on PATH or in
# ~/.cargo/bin), WebKitWebDriver (Debian: webkit2gtk-driver), xvfb-run (xvfb), dbus-run-session
# (dbus), gnome-keyring, xdotool (for the OS's file dialogs), Node.js 20.19 or newer.
#
# Environment:
#   DESKTOP_ARTIFACTS   where screenshots and logs go (default: tests/artifacts/desktop; emptied first)
#   DESKTOP_TIMEOUT     seconds the test may take before it is stopped (default: 120)

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)

. "$ROOT/tests/lib.sh"

# ------------------------------------------------------------------------------------------------
# Inside the virtual display and the D-Bus session (run.sh runs itself there with --inside).
# ------------------------------------------------------------------------------------------------
if [ "${1:-}" = --inside ]; then
  : "${WORK:?}" "${APP:?}" "${TAURI_DRIVER:?}" "${ARTIFACTS:?}"
  { true >&3 && true >&4; } 2>/dev/null && exec 1>&3 2>&4 3>&- 4>&-
  echo $$ >"$WORK/inside.pid"
  PIDS=()

  # Every process under PID, deepest first (the app is WebKitWebDriver's child, which is
  # tauri-driver's child).
  descendants() {
    local child
    for child in $(pgrep -P "$1" 2>/dev/null); do
      descendants "$child"
      echo "$child"
    done
  }

  cleanup() {
    local status=$?
    trap - EXIT INT TERM
    local all=() pid
    for pid in "${PIDS[@]}"; do
      all+=($(descendants "$pid") "$pid")
    done
    for pid in "${all[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${all[@]}"; do
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    exit "$status"
  }
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  KEYRING=0
  # The OS keyring: gnome-keyring on this session bus, with a login keyring that it creates
  # (in the temporary XDG_DATA_HOME) and unlocks with the password given on its standard input,
  # so that storing the session token needs no prompt. Merely D-Bus-activated, it has no
  # unlocked default collection, and the app's keyring calls fail. (An empty password does not
  # create the keyring.) It daemonizes: its process id is asked of the bus, to stop it at the end.
  if command -v gnome-keyring-daemon >/dev/null; then
    if printf 'docent-test-keyring' | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>"$WORK/keyring.log"; then
      keyring_pid=$(gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
        --method org.freedesktop.DBus.GetConnectionUnixProcessID org.freedesktop.secrets 2>/dev/null |
        grep -o '[0-9]\+' | tail -n 1 || true)
      [ -n "$keyring_pid" ] && PIDS+=("$keyring_pid")
      KEYRING=1
    else
      echo "    (gnome-keyring did not start: the app keeps its session in memory; see keyring.log)"
    fi
  fi

  node "$ROOT/tests/e2e/support/fakes.mjs" "$WORK/fake-ports.json" >"$WORK/fakes.log" 2>&1 &
  PIDS+=($!)
  wait_for "the fake services" "$!" "$WORK/fakes.log" test -s "$WORK/fake-ports.json"
  LLM_PORT=$(node -p "require('$WORK/fake-ports.json').llm")
  RETRIEVAL_PORT=$(node -p "require('$WORK/fake-ports.json').retrieval")

  # The app's settings. tauri-driver passes its environment on to WebKitWebDriver, which passes
  # it on to the app it starts.
  export DOCENT_DATA_DIR="$WORK/data"
  export DOCENT_LLM_BASE_URL="http://127.0.0.1:$LLM_PORT/v1"
  export DOCENT_LLM_API_KEY=test-key
  export DOCENT_LLM_MODEL=test/model
  export DOCENT_RETRIEVAL_URL="http://127.0.0.1:$RETRIEVAL_PORT/search"
  export DOCENT_LOG=info
  export NO_COLOR=1
  mkdir -p "$DOCENT_DATA_DIR"

  # WebKitWebDriver throws away the app's standard output (the log): a wrapper sends it to a file.
  cat >"$WORK/docent-app" <<EOF
#!/bin/sh
exec "$APP" "\$@" >>"$WORK/app.log" 2>&1
EOF
  chmod +x "$WORK/docent-app"

  start_driver() {
    DRIVER_PORT=$(free_port)
    NATIVE_PORT=$(free_port)
    while [ "$NATIVE_PORT" = "$DRIVER_PORT" ]; do NATIVE_PORT=$(free_port); done
    "$TAURI_DRIVER" --port "$DRIVER_PORT" --native-port "$NATIVE_PORT" >>"$WORK/tauri-driver.log" 2>&1 &
    DRIVER_PID=$!
    PIDS+=("$DRIVER_PID")
  }
  # Both ports were free a moment ago; should another process have taken one since, try again.
  for attempt in 1 2 3; do
    start_driver
    for _ in $(seq 100); do
      { port_open "$DRIVER_PORT" && port_open "$NATIVE_PORT"; } && break
      kill -0 "$DRIVER_PID" 2>/dev/null || break
      grep -q "can not listen" "$WORK/tauri-driver.log" && break
      sleep 0.1
    done
    if port_open "$DRIVER_PORT" && port_open "$NATIVE_PORT" && ! grep -q "can not listen" "$WORK/tauri-driver.log"; then
      break
    fi
    if [ "$attempt" = 3 ]; then
      echo "--- tauri-driver.log" >&2; tail -n 30 "$WORK/tauri-driver.log" >&2 || true
      die "tauri-driver (or WebKitWebDriver) did not start"
    fi
    kill "$DRIVER_PID" 2>/dev/null || true
    wait "$DRIVER_PID" 2>/dev/null || true
  done

  echo "    display        $DISPLAY"
  echo "    tauri-driver   127.0.0.1:$DRIVER_PORT  (WebKitWebDriver on $NATIVE_PORT)"
  echo "    LLM            $DOCENT_LLM_BASE_URL"
  echo "    retrieval      $DOCENT_RETRIEVAL_URL"
  echo "    data dir       $DOCENT_DATA_DIR"

  say "Running the desktop test"
  # In the background and waited for, so that a signal runs the cleanup at once.
  WD_PORT=$DRIVER_PORT WD_APPLICATION="$WORK/docent-app" WD_APP_LOG="$WORK/app.log" WD_DATA_DIR="$DOCENT_DATA_DIR" WD_KEYRING=$KEYRING \
    WD_ARTIFACTS="$ARTIFACTS" WD_RESULTS="$WORK/results.json" \
    E2E_LLM_URL="http://127.0.0.1:$LLM_PORT" E2E_RETRIEVAL_URL="http://127.0.0.1:$RETRIEVAL_PORT" \
    timeout --signal=TERM --kill-after=10 "${DESKTOP_TIMEOUT:-120}" node "$HERE/test.mjs" &
  PIDS+=($!)
  set +e
  wait "$!"
  status=$?
  set -e
  [ "$status" = 124 ] && echo "the test did not finish within ${DESKTOP_TIMEOUT:-120} s" >&2
  exit "$status"
fi

# ------------------------------------------------------------------------------------------------
# Outside: check the tools, install the client, set up a private home for the session.
# ------------------------------------------------------------------------------------------------
started_at=$(date +%s)

APP=${1:-$ROOT/target/debug/docent}
[ -x "$APP" ] && [ -f "$APP" ] || die "no desktop app at $APP (build it: cargo build -p docent, or give its path)"
APP=$(cd "$(dirname "$APP")" && pwd)/$(basename "$APP")

TAURI_DRIVER=$(command -v tauri-driver || true)
if [ -z "$TAURI_DRIVER" ] && [ -x "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver" ]; then
  TAURI_DRIVER="${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver"
fi
[ -n "$TAURI_DRIVER" ] || die "tauri-driver is not on PATH nor in ~/.cargo/bin (install it: cargo install tauri-driver --version ^2 --locked)"
command -v WebKitWebDriver >/dev/null || die "WebKitWebDriver is missing (Debian/Ubuntu: apt-get install webkit2gtk-driver)"
command -v xvfb-run >/dev/null || die "xvfb-run is missing (apt-get install xvfb)"
command -v dbus-run-session >/dev/null || die "dbus-run-session is missing (apt-get install dbus)"
command -v gnome-keyring-daemon >/dev/null || echo "    (no gnome-keyring-daemon: the app will keep its session in memory)"
command -v node >/dev/null || die "node is missing (Node.js 20.19 or newer)"
command -v xdotool >/dev/null || die "xdotool is missing (apt-get install xdotool): it answers the app's file dialogs"

if [ ! -d "$HERE/node_modules/webdriverio" ] || [ "$HERE/package-lock.json" -nt "$HERE/node_modules/.package-lock.json" ]; then
  say "Installing the WebDriver client (npm ci)"
  (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error)
fi

ARTIFACTS=${DESKTOP_ARTIFACTS:-$ROOT/tests/artifacts/desktop}
rm -rf "$ARTIFACTS"
mkdir -p "$ARTIFACTS"
ARTIFACTS=$(cd "$ARTIFACTS" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/docent-desktop.XXXXXX")

# Only the settings run.sh gives: no DOCENT_* variable of the caller's shell leaks in.
while IFS= read -r name; do unset "$name"; done < <(compgen -e | grep '^DOCENT_' || true)

# A private home for the session: the keyring, the webview's storage and caches live in WORK,
# so neither the user's keyring nor a run going on beside this one is touched.
mkdir -p "$WORK/home" "$WORK/xdg/data" "$WORK/xdg/config" "$WORK/xdg/cache" "$WORK/xdg/run"
chmod 700 "$WORK/xdg/run"
export XDG_DATA_HOME="$WORK/xdg/data" XDG_CONFIG_HOME="$WORK/xdg/config" XDG_CACHE_HOME="$WORK/xdg/cache"
export XDG_RUNTIME_DIR="$WORK/xdg/run"
unset DBUS_SESSION_BUS_ADDRESS GNOME_KEYRING_CONTROL SSH_AUTH_SOCK
export WORK APP TAURI_DRIVER ARTIFACTS

SESSION_PID=
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$SESSION_PID" ] && kill -0 "$SESSION_PID" 2>/dev/null; then
    # The inner script stops what it started; xvfb-run and dbus-run-session then end.
    [ -s "$WORK/inside.pid" ] && kill "$(cat "$WORK/inside.pid")" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$SESSION_PID" 2>/dev/null || break; sleep 0.1; done
    kill "$SESSION_PID" 2>/dev/null || true
    wait "$SESSION_PID" 2>/dev/null || true
  fi
  cp "$WORK"/*.log "$ARTIFACTS"/ 2>/dev/null || true
  summary="no results"
  if [ -s "$WORK/results.json" ]; then
    summary=$(node -e '
      const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      console.log(`${r.passed} passed, ${r.failed} failed` + (r.skipped ? `, ${r.skipped} skipped` : ""));
    ' "$WORK/results.json")
  fi
  rm -rf "$WORK"
  elapsed=$(( $(date +%s) - started_at ))
  if [ "$status" = 0 ]; then
    say "Desktop WebDriver test: $summary in ${elapsed}s (screenshots and logs: ${ARTIFACTS#"$ROOT"/})"
  else
    [ "$summary" = "no results" ] && summary="0 passed, 1 failed"
    case "$status" in 130 | 143) echo "(interrupted)" ;; esac
    printf '\033[31;1m==> Desktop WebDriver test FAILED: %s in %ss (screenshots and logs: %s)\033[0m\n' \
      "$summary" "$elapsed" "${ARTIFACTS#"$ROOT"/}"
  fi
  # The plain closing line that CI reads.
  echo "desktop: $summary"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "Starting a virtual display and a D-Bus session"
# The D-Bus daemons' chatter (the services they start) goes to session.log; the inner script
# takes back this script's standard output and error, handed over as fds 3 and 4.
xvfb-run -a -s "-screen 0 1280x900x24 -nolisten tcp" \
  dbus-run-session -- bash "$HERE/run.sh" --inside 3>&1 4>&2 >>"$WORK/session.log" 2>&1 &
SESSION_PID=$!
set +e
wait "$SESSION_PID"
status=$?
set -e
SESSION_PID=
exit "$status"
