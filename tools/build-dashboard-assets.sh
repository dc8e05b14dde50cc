#!/usr/bin/env bash
# Vendor the dashboard's JavaScript into iaas/dashboard/static/vendor/ at
# pinned versions, from the npm registry (build time only: the dashboard
# never loads anything from a CDN). The files are committed too, so a
# checkout works without npm; this script reproduces them byte for byte
# and checks each against its pinned sha256 (tests/unit/dashboard checks
# the committed copies the same way).
#
#   tools/build-dashboard-assets.sh          # fetch, verify, install
#   tools/build-dashboard-assets.sh --check  # only verify the committed files
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=iaas/dashboard/static/vendor

# package@version  file in the package  name in vendor/  sha256
ASSETS=(
    "htmx.org@2.0.11 dist/htmx.min.js htmx.min.js d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"
    "@xterm/xterm@5.5.0 lib/xterm.js xterm.js 1f991ac3b4b283ebf96e60ae23a00a52765dd3a2e46fa6fdda9f1aab032f7495"
    "@xterm/xterm@5.5.0 css/xterm.css xterm.css ba8e6985669488981ccf40c0cefe3aba80722cb6c92de7ad628b0bd717faf2b6"
)

verify() {   # file sha256
    local got
    got=$(sha256sum "$1" | cut -d' ' -f1)
    if [ "$got" != "$2" ]; then
        echo "build-dashboard-assets: $1 has sha256 $got, pinned $2" >&2
        return 1
    fi
}

if [ "${1:-}" = "--check" ]; then
    for a in "${ASSETS[@]}"; do
        read -r _pkg _path name sum <<<"$a"
        verify "$DEST/$name" "$sum"
    done
    echo "build-dashboard-assets: vendored files match their pins"
    exit 0
fi

# Nothing to do when every file is there and matches (setup.sh runs us on
# every call; a machine without npm keeps the committed copies).
ok=1
for a in "${ASSETS[@]}"; do
    read -r _pkg _path name sum <<<"$a"
    [ -f "$DEST/$name" ] && verify "$DEST/$name" "$sum" 2>/dev/null || ok=0
done
if [ $ok = 1 ]; then
    exit 0
fi
if ! command -v npm >/dev/null; then
    echo "build-dashboard-assets: npm is missing and $DEST is not up to date" >&2
    exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$DEST"
for a in "${ASSETS[@]}"; do
    read -r pkg path name sum <<<"$a"
    (cd "$work" && npm pack --silent "$pkg" >/dev/null)
    tarball=$(ls "$work"/*.tgz | head -1)
    tar -xzf "$tarball" -C "$work" "package/$path"
    verify "$work/package/$path" "$sum"
    install -m 0644 "$work/package/$path" "$DEST/$name"
    rm -rf "$work/package" "$tarball"
    echo "build-dashboard-assets: $pkg $path -> $DEST/$name"
done
