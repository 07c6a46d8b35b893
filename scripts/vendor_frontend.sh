#!/usr/bin/env bash
# Vendor the front-end packages asbhub serves (and the one its browser tests inject) from npm.
#
#   bash scripts/vendor_frontend.sh
#
# Reproduces exactly the files committed under asbhub/web/static/vendor/ and
# tests/browser/vendor/: each package is fetched with `npm pack` at a pinned version, its
# tarball checked against a pinned SHA-256, extracted, and the files listed below copied into
# place. npm is needed only to run this script, never to run asbhub. Leaflet is vendored
# separately (see asbhub/web/static/vendor/leaflet/README.md).
#
# Changes made to vendored files: the comments pointing at source maps (not vendored) are
# removed, and MoJ Frontend's prebuilt CSS points its icons at
# /assets/images/ (the root of a site built with its kit); the copy here points them at
# images/ beside the CSS, where the icons are copied. GOV.UK branding is left out: no crown,
# crest or GOV.UK logotype images, no GDS Transport font files (asbhub.css sets a system font
# stack instead, so the browser never asks for them).
#
# To upgrade: change a version below, run once with the new version and an empty hash (the
# script prints the tarball's hash and stops), check the package, pin the hash, run again,
# then update asbhub/web/static/vendor/README.md.
set -euo pipefail

GOVUK_VERSION=6.6.0
GOVUK_SHA256=52c4eb554e54d8a6e4ba801e9da5ec3a5b930fd2f117a39677f0b6296e954751
MOJ_VERSION=11.1.0
MOJ_SHA256=9ec6ccf0739cefee1fdc663ca61387204dcf3fd9bfcfafa8b9159d993f38984b
HTMX_VERSION=2.0.11
HTMX_SHA256=165a2655073e9e6e55e307a7c74e8ebcdb76afb7701f9c16cfd106a13add408e
AXE_VERSION=4.14.1
AXE_SHA256=e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATIC="$ROOT/asbhub/web/static/vendor"
AXE_DIR="$ROOT/tests/browser/vendor"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/asbhub-vendor.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

command -v npm >/dev/null || { echo "npm is needed to vendor the front end (apt-get install npm)" >&2; exit 1; }

# fetch NAME VERSION SHA256 -> extracts into $WORK/NAME and prints that folder's package/ path.
fetch() {
  local name="$1" version="$2" want="$3" dir tgz got
  dir="$WORK/$(echo "$name" | tr '/@' '__')"
  mkdir -p "$dir"
  tgz="$(cd "$dir" && npm pack --silent "$name@$version" 2>/dev/null | tail -n 1)"
  got="$(sha256sum "$dir/$tgz" | cut -d' ' -f1)"
  if [ "$got" != "$want" ]; then
    echo "$name@$version: tarball SHA-256 is $got, expected '$want'." >&2
    echo "If you are upgrading, check the package and pin this hash in $0." >&2
    exit 1
  fi
  tar -xzf "$dir/$tgz" -C "$dir"
  echo "$dir/package"
}

GOVUK="$(fetch govuk-frontend "$GOVUK_VERSION" "$GOVUK_SHA256")"
MOJ="$(fetch @ministryofjustice/frontend "$MOJ_VERSION" "$MOJ_SHA256")"
HTMX="$(fetch htmx.org "$HTMX_VERSION" "$HTMX_SHA256")"
AXE="$(fetch axe-core "$AXE_VERSION" "$AXE_SHA256")"

rm -rf "$STATIC/govuk-frontend" "$STATIC/moj-frontend" "$STATIC/htmx" "$AXE_DIR"
mkdir -p "$STATIC/govuk-frontend" "$STATIC/moj-frontend/images" "$STATIC/htmx" "$AXE_DIR"

# GOV.UK Frontend: the prebuilt stylesheet and ES module, nothing from assets/ (fonts and
# crown images are GOV.UK branding). The package has no LICENSE file; its README states MIT
# for the code (OGL for the documentation), which vendor/README.md records.
cp "$GOVUK/dist/govuk/govuk-frontend.min.css" "$GOVUK/dist/govuk/govuk-frontend.min.js" \
   "$STATIC/govuk-frontend/"
# Source maps are not vendored: drop the comments that point at them, so browser developer
# tools do not ask the server for missing files.
sed -i -e 's|/\*# sourceMappingURL=[^*]*\*/||' "$STATIC/govuk-frontend/govuk-frontend.min.css"
sed -i -e 's|//# sourceMappingURL=.*$||' "$STATIC/govuk-frontend/govuk-frontend.min.js"

# MoJ Frontend: prebuilt stylesheet and ES module, and its icons (not its crest, logotype,
# crown or touch icons).
cp "$MOJ/moj/moj-frontend.min.css" "$MOJ/moj/moj-frontend.min.js" "$STATIC/moj-frontend/"
sed -i -e 's|url(/assets/images/|url(images/|g' -e 's|/\*# sourceMappingURL=[^*]*\*/||' \
    "$STATIC/moj-frontend/moj-frontend.min.css"
sed -i -e 's|//# sourceMappingURL=.*$||' "$STATIC/moj-frontend/moj-frontend.min.js"
cp "$MOJ"/moj/assets/images/icon-*.svg "$STATIC/moj-frontend/images/"

# htmx: the minified build and its licence (0BSD).
cp "$HTMX/dist/htmx.min.js" "$HTMX/LICENSE" "$STATIC/htmx/"

# axe-core: for the browser tests only (injected into pages under test), never served.
cp "$AXE/axe.min.js" "$AXE/LICENSE" "$AXE/LICENSE-3RD-PARTY.txt" "$AXE_DIR/"

echo "vendored govuk-frontend $GOVUK_VERSION, @ministryofjustice/frontend $MOJ_VERSION," \
     "htmx.org $HTMX_VERSION into $STATIC; axe-core $AXE_VERSION into $AXE_DIR"
