#!/usr/bin/env bash
# Starts the desktop app under Xvfb on a fresh data dir and checks that it shows a window
# titled "Docent" whose UI loaded and asked the core, over IPC, whether anyone is signed in
# (the shell logs "session checked"). Saves a screenshot to tests/artifacts/desktop-login.png.
# Usage: smoke.sh path/to/docent
set -euo pipefail
app=$(realpath "$1")
artifacts=$(realpath "$(dirname "$0")/..")/artifacts
mkdir -p "$artifacts"
data=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$data" "$log"' EXIT
export DOCENT_DATA_DIR="$data" DOCENT_LOG="info,docent_app=debug" NO_COLOR=1
xvfb-run -a -s "-screen 0 1280x800x24" bash -c '
  "$0" > "$1" 2>&1 &
  pid=$!
  for _ in $(seq 1 60); do
    if grep -q "session checked" "$1" && xwininfo -root -tree 2>/dev/null | grep -q "\"Docent\""; then
      sleep 1
      if command -v import >/dev/null; then import -window root "$2/desktop-login.png" || true; fi
      kill -0 "$pid" || { echo "the app exited after opening its window"; exit 1; }
      kill "$pid"; wait "$pid" 2>/dev/null || true
      exit 0
    fi
    kill -0 "$pid" 2>/dev/null || { echo "the app exited before its UI loaded"; exit 1; }
    sleep 0.5
  done
  echo "within 30 s, no Docent window whose UI reached the core"; kill "$pid"; exit 1
' "$app" "$log" "$artifacts" || { echo "--- app output ---"; cat "$log"; exit 1; }
test -f "$data/docent.sqlite3" || { echo "the app did not create its database in DOCENT_DATA_DIR"; exit 1; }
echo "desktop smoke test passed: 1 passed, 0 failed"
