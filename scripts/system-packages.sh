#!/usr/bin/env bash
# Debian packages the tests use besides PostgreSQL (installed by with-postgres.sh):
# pdftoppm (poppler-utils) turns report PDFs into page images; chromium runs the Playwright browser tests. Installed when missing, as root.
set -euo pipefail
missing=()
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# nginx: the reverse proxy of tests/browser/test_proxy.py (HTTPS behind a proxy, issue #10).
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || missing+=(nginx-light)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "system-packages: please install ${missing[*]} (apt-get install ${missing[*]})" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq "${missing[@]}" >/dev/null
