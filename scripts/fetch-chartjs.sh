#!/usr/bin/env bash
# Chart.js for the web console's charts, served by the app itself (no CDN): the pinned npm
# package, verified by its sha256, unpacked into a gitignored folder (default api/static/vendor).
set -euo pipefail
VERSION=4.6.1
SHA256=9345dacdf4bb4c5d40321f4b9aafab6fe676d37a534fc0bc2d17c4c4e29c4f00
DEST=${1:-api/static/vendor}
command -v npm >/dev/null || { echo "error: npm is needed to fetch chart.js (apt-get install npm)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "chart.js@$VERSION" >/dev/null)
echo "$SHA256  $tmp/chart.js-$VERSION.tgz" | sha256sum -c --quiet -
tar -xzf "$tmp/chart.js-$VERSION.tgz" -C "$tmp" package/dist/chart.umd.min.js package/LICENSE.md
mkdir -p "$DEST"
cp "$tmp/package/LICENSE.md" "$DEST/chart.js.LICENSE.md"
cp "$tmp/package/dist/chart.umd.min.js" "$DEST/chart.umd.min.js"
