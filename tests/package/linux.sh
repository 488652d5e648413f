#!/usr/bin/env bash
# Checks the Linux packages that `tauri build --bundles deb,rpm` made: the .deb declares its
# runtime dependencies and a desktop entry that registers docent://; it installs with dpkg, and
# the installed /usr/bin/docent starts under Xvfb, shows its login view and takes a docent://
# link (tests/desktop/smoke.sh); then it is removed again. The .rpm declares the same needs.
# Prints the bundle sizes. Usage: linux.sh (from the repository root; needs root or sudo)
set -euo pipefail
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
fail() { echo "package test failed: $*"; exit 1; }

deb=$(ls target/release/bundle/deb/*.deb 2>/dev/null | head -1)
rpm=$(ls target/release/bundle/rpm/*.rpm 2>/dev/null | head -1)
[ -n "$deb" ] || fail "no .deb in target/release/bundle/deb"
[ -n "$rpm" ] || fail "no .rpm in target/release/bundle/rpm"

depends=$(dpkg-deb -f "$deb" Depends)
echo "deb Depends: $depends"
for need in libwebkit2gtk-4.1-0 libgtk-3-0; do
  grep -q "$need" <<<"$depends" || fail "the .deb does not depend on $need"
done
unpacked=$(mktemp -d)
trap 'rm -rf "$unpacked"' EXIT
dpkg-deb -x "$deb" "$unpacked"
entry=$(ls "$unpacked"/usr/share/applications/*.desktop | head -1)
[ -f "$entry" ] || fail "the .deb has no desktop entry"
grep -q '^MimeType=.*x-scheme-handler/docent' "$entry" || fail "the desktop entry does not register docent:// ($entry)"
grep -q '^Exec=docent' "$entry" || fail "the desktop entry does not start docent"
grep -q '%u' "$entry" || fail "the desktop entry does not pass the link (%u) to docent"

requires=$(rpm -qp --requires "$rpm" 2>/dev/null)
grep -q "libwebkit2gtk-4.1" <<<"$requires" || fail "the .rpm does not require libwebkit2gtk-4.1: $requires"

as_root dpkg -i "$deb" >/dev/null
trap 'as_root dpkg -r docent >/dev/null 2>&1 || true; rm -rf "$unpacked"' EXIT
[ -x /usr/bin/docent ] || fail "dpkg -i did not install /usr/bin/docent"
bash tests/desktop/smoke.sh /usr/bin/docent
as_root dpkg -r docent >/dev/null

printf 'bundle sizes: %s %s bytes; %s %s bytes\n' "$(basename "$deb")" "$(stat -c %s "$deb")" "$(basename "$rpm")" "$(stat -c %s "$rpm")"
echo "package test passed: deb and rpm checked, the installed app started"
