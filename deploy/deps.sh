#!/bin/sh
# Install the Debian packages kefu needs to build, test and run (socat: the
# tests cut and restore an estate's link to the cluster with it; Node and
# Chromium: the web console's end-to-end test; systemd: systemd-analyze
# verifies deploy/systemd/, and libsystemd-dev brings sd_notify; iproute2:
# make multihost's network namespaces, veth pairs and tc netem;
# libcurl: kefu-notify's SMTP and HTTP channels; openssl: the throwaway
# certificate of the SMTP server kefu-notify's test talks STARTTLS to;
# fonts-noto-cjk: the console's Chinese in the browser test and its
# screenshots, which are blank boxes without a CJK font). With --bench: the
# benchmark's PostgreSQL peer instead.
# Idempotent and quiet when everything is present; as root it installs what is
# missing with apt-get, otherwise it prints the exact command and fails.
set -eu

PACKAGES="make gcc pkg-config
libczmq-dev libzmq3-dev libsodium-dev
libprotobuf-c-dev protobuf-c-compiler
liblmdb-dev lmdb-utils
libcmocka-dev libmicrohttpd-dev
libcurl4-openssl-dev
libsystemd-dev systemd
clang-14 libclang-rt-14-dev
socat bash iproute2 openssl
fonts-noto-cjk"

missing=""
for p in $PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
        *" installed") ;;
        *) missing="$missing $p" ;;
    esac
done
# The console's end-to-end test: Node (Debian's 18 will do; another
# packaging of Node that brings npm is left alone) and Debian's Chromium.
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"

# make bench's peer (tests/bench/pg_peer.sh): Debian's PostgreSQL, for the
# benchmark only, so `deps.sh --bench` adds it and nothing else asks for it.
if [ "${1:-}" = "--bench" ]; then
    missing=""
    for p in postgresql; do
        status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
        case "$status" in *" installed") ;; *) missing="$missing $p" ;; esac
    done
fi

[ -z "$missing" ] && exit 0

echo "deps: missing Debian packages:$missing"
if [ "$(id -u)" -ne 0 ]; then
    echo "deps: run as root:  apt-get update && apt-get install -y --no-install-recommends$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
echo "deps: installed$missing"
