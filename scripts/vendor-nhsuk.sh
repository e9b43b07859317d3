#!/usr/bin/env bash
# Vendors the built NHS.UK frontend (CSS, JS, images) into static/nhsuk/.
# Usage: scripts/vendor-nhsuk.sh [version]   (default: the version in static/nhsuk/VERSION)
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:-$(cat static/nhsuk/VERSION 2>/dev/null || echo 10.6.1)}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "nhsuk-frontend@${version}" >/dev/null && tar xzf "nhsuk-frontend-${version}.tgz")
dist="$work/package/dist/nhsuk"
rm -rf static/nhsuk
mkdir -p static/nhsuk
cp "$dist"/nhsuk-frontend.min.{css,js}{,.map} static/nhsuk/
cp -r "$dist/assets" static/nhsuk/assets
# The CSS points at /assets/ on the site root; ours live beside the CSS.
sed -i 's#url(/assets/#url(assets/#g' static/nhsuk/nhsuk-frontend.min.css
cp "$work/package/package.json" static/nhsuk/package.json
echo "$version" > static/nhsuk/VERSION
echo "Vendored nhsuk-frontend $version into static/nhsuk/"
