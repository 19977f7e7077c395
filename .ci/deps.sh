#!/usr/bin/env bash
# Install everything needed to build and test lunasip on Debian 12.
# Run as root (the CI and a fresh Debian 12 box); safe to run again.
set -euo pipefail

PACKAGES=(
    # build
    build-essential cmake pkg-config
    # fuzz targets (tests/fuzz): clang with libFuzzer and the sanitizer runtimes
    clang libclang-rt-14-dev
    liblua5.4-dev libevent-dev libosip2-dev
    libjansson-dev lua-cjson libssl-dev libc-ares-dev
    # tests: sipp, curl, ss (iproute2), ps (procps), python3 for the raw SIP peer
    sip-tester curl iproute2 procps python3
    # a real phone for tests/integration/pbx_baresip.sh (headless: no GUI recommends)
    baresip
    # man renders the installed man pages in the install test; luacheck lints the scripts
    man-db lua-check
    # promtool (package prometheus) checks the /metrics output
    prometheus
    ca-certificates
    # the browser test (tests/integration/browser_call.sh): headless Chromium
    chromium
)
# and node + npm for it (npm ci in tests/), unless a node is already there (e.g. NodeSource's,
# whose nodejs package conflicts with Debian's npm)
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)

if [ "$(id -u)" -ne 0 ]; then
    echo "deps.sh: run as root (sudo $0)" >&2
    exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "deps.sh: all packages present"
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
echo "deps.sh: installing ${missing[*]}"
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
