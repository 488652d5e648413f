# Helpers shared by the test scripts that start processes (tests/e2e/run.sh,
# tests/desktop/webdriver/run.sh). Source it: . "$ROOT/tests/lib.sh"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\033[31merror: %s\033[0m\n' "$*" >&2; exit 1; }

# A loopback port that was free a moment ago (the caller retries should another process take it).
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Whether something listens on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_for WHAT PID LOG CHECK...: runs CHECK until it succeeds (20 s at most), while PID lives;
# else shows the end of LOG and fails.
wait_for() {
  local what=$1 pid=$2 log=$3
  shift 3
  for _ in $(seq 200); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "--- $log" >&2; tail -n 30 "$log" >&2 || true
      die "$what exited while starting"
    fi
    sleep 0.1
  done
  echo "--- $log" >&2; tail -n 30 "$log" >&2 || true
  die "$what did not start within 20 s"
}
