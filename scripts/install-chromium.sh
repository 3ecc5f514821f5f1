#!/usr/bin/env bash
# Installs Debian's Chromium for the console's browser test, once: exits 0 when it is there.
# Idempotent; needs root (or sudo) and Debian's package registry.
set -uo pipefail
[ -x /usr/bin/chromium ] && exit 0
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo -n"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -q chromium >/dev/null 2>&1 ||
  { $sudo apt-get update -q >/dev/null 2>&1 && $sudo apt-get install -y -q chromium >/dev/null 2>&1; }
[ -x /usr/bin/chromium ]
