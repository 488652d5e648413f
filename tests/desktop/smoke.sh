#!/usr/bin/env bash
# Starts the desktop app under Xvfb (in a private D-Bus session) on a fresh data dir and checks
# that it shows a window titled "Docent" whose UI loaded and asked the core, over IPC, whether
# anyone is signed in (the shell logs "session checked"). Then opens a docent:// sign-in link the
# way the OS does, by starting Docent a second time with it: that second start must hand the
# link to the running window and exit, and the running UI must receive it. Saves a screenshot
# to tests/artifacts/desktop-login.png.
# Usage: smoke.sh path/to/docent
set -euo pipefail
app=$(realpath "$1")
artifacts=$(realpath "$(dirname "$0")/..")/artifacts
mkdir -p "$artifacts"
data=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$data" "$log"' EXIT
export DOCENT_DATA_DIR="$data" DOCENT_LOG="info,docent_app=debug" NO_COLOR=1
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- bash -c '
  app=$0 log=$1 artifacts=$2
  "$app" > "$log" 2>&1 &
  pid=$!
  up=
  for _ in $(seq 1 60); do
    if grep -q "session checked" "$log" && xwininfo -root -tree 2>/dev/null | grep -q "\"Docent\""; then
      up=1; break
    fi
    kill -0 "$pid" 2>/dev/null || { echo "the app exited before its UI loaded"; exit 1; }
    sleep 0.5
  done
  [ -n "$up" ] || { echo "within 30 s, no Docent window whose UI reached the core"; kill "$pid"; exit 1; }
  sleep 1
  if command -v import >/dev/null; then import -window root "$artifacts/desktop-login.png" || true; fi
  # A sign-in link clicked while Docent runs: the second start hands it over and exits.
  timeout 15 "$app" "docent://login/verify?token=smoke-test-token" > /dev/null 2>&1 \
    || { echo "a second start with a docent:// link did not exit by itself"; kill "$pid"; exit 1; }
  for _ in $(seq 1 20); do
    grep -q "app link opened sent=true" "$log" && break
    sleep 0.25
  done
  grep -q "app link opened sent=true" "$log" || { echo "the running window did not receive the docent:// link"; kill "$pid"; exit 1; }
  if grep -q "smoke-test-token" "$log"; then echo "the link token was logged"; kill "$pid"; exit 1; fi
  kill -0 "$pid" || { echo "the app exited after opening its window"; exit 1; }
  kill "$pid"; wait "$pid" 2>/dev/null || true
' "$app" "$log" "$artifacts" || { echo "--- app output ---"; cat "$log"; exit 1; }
test -f "$data/docent.sqlite3" || { echo "the app did not create its database in DOCENT_DATA_DIR"; exit 1; }
echo "desktop smoke test passed: 2 passed (window and UI; docent:// link to the running app), 0 failed"
