# Shared by scripts/run and scripts/test: install what a fresh Debian or Ubuntu machine lacks.
# Sourced, not run. Every step is skipped when its tool is already there.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# apt packages needed to build and run the desktop app and the server.
BUILD_PACKAGES=(build-essential pkg-config curl wget file ca-certificates libssl-dev
  libwebkit2gtk-4.1-dev libxdo-dev libayatana-appindicator3-dev librsvg2-dev)

# ensure_packages PKG...: installs the Debian packages that are not installed yet.
ensure_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "Installing system packages: ${missing[*]}"
    if [ -z "${DOCENT_APT_UPDATED:-}" ]; then
      as_root apt-get update -q
      export DOCENT_APT_UPDATED=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

# Rust: the stable toolchain through rustup when cargo is missing.
ensure_rust() {
  [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
  if ! command -v cargo >/dev/null; then
    say "Installing Rust (rustup, stable)"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component clippy,rustfmt
    . "$HOME/.cargo/env"
  fi
}

# Node.js 20.19 or newer (the UI's build needs it); Debian 12's own is older, so an official
# build goes under ~/.local/share/docent-tools when the machine has none recent enough.
ensure_node() {
  local tools="$HOME/.local/share/docent-tools"
  [ -d "$tools/node/bin" ] && export PATH="$tools/node/bin:$PATH"
  if command -v node >/dev/null && node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a==20&&b>=19)?0:1)'; then
    return
  fi
  say "Installing Node.js 22 under $tools"
  local arch
  case "$(uname -m)" in x86_64) arch=x64 ;; aarch64) arch=arm64 ;; *) echo "unsupported CPU $(uname -m)"; exit 1 ;; esac
  local version=v22.11.0
  mkdir -p "$tools"
  curl -fsSL "https://nodejs.org/dist/$version/node-$version-linux-$arch.tar.xz" | tar -xJ -C "$tools"
  rm -rf "$tools/node" && mv "$tools/node-$version-linux-$arch" "$tools/node"
  export PATH="$tools/node/bin:$PATH"
}

# A Python with aiosmtpd, the real SMTP server the email tests talk to (in target/test-venv).
ensure_test_smtp() {
  local venv="$ROOT/target/test-venv"
  if ! "$venv/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
    say "Installing the test SMTP server (aiosmtpd) into target/test-venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check aiosmtpd==1.4.6
  fi
  export DOCENT_TEST_PYTHON="$venv/bin/python"
}

# tauri-driver, the WebDriver server the desktop test drives the app through.
ensure_tauri_driver() {
  if ! command -v tauri-driver >/dev/null; then
    say "Installing tauri-driver"
    cargo install tauri-driver --version '^2' --locked
  fi
}

# The web UI, built into ui/dist (the server serves it; the desktop app embeds it).
build_ui() {
  say "Building the web UI"
  (cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)
}
