#!/usr/bin/env bash
# Installs the system packages the tests use, when missing and when we are root: Chromium (browser tests),
# fonts-noto-cjk (Chinese text in screenshots) and PostgreSQL (the second database backend).
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing+=(fonts-noto-cjk)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "test-system: missing ${missing[*]}; install them (apt-get install ${missing[*]}) or run as root" >&2
  exit 0
fi
echo "test-system: installing ${missing[*]} (apt)" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
