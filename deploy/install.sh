#!/bin/sh
# install.sh — put kefu on a host run by systemd: the binaries, the units of
# deploy/systemd/, a configuration and the key directory; then enable the
# units of the host's role (they start with `systemctl start kefu.target`).
#
#   deploy/install.sh --role ROLE [--role ROLE] [--site SITE]... [--prefix DIR]
#                     [--root DIR] [--bin DIR] [--config FILE] [--keys DIR]
#
#   --role cluster      kefu-bus, -archive, -dispatch, -escalation, -survey, -billing, -registry, -desk, -notify
#   --role estate       kefu-intake@SITE for each --site (at least one)
#   --role operations   kefu-gateway (kefuctl is installed on every host)
#   --site SITE         an instance kefu-intake@SITE, reading
#                       /etc/kefu/intake-SITE.conf (with the cluster role too:
#                       the estates the cluster itself files, SITE = cluster/name)
#   --prefix DIR        binaries in DIR/bin, the web console in
#                       DIR/share/kefu/console (default /usr/local)
#   --root DIR          install below DIR, as into an image: no user made, no
#                       ownership set, systemd not told (for tests and packaging)
#   --bin DIR           the built binaries (default: build/release/bin)
#   --config FILE       this host's configuration; without it a starting one is
#                       written from deploy/kefu.conf (the demo's estates), with
#                       stores in /var/lib/kefu and sockets in /run/kefu
#   --keys DIR          CURVE certificates to copy into /etc/kefu/keys
#                       (*.cert, *.cert_secret, allowed/)
#
# Run as root it creates the system user and group kefu when missing. A
# configuration already in /etc/kefu is kept, so running it again upgrades
# the binaries and units only. Bad arguments: one line, exit 2.
set -eu
# What is installed is readable as it should be whatever the caller's umask;
# files holding secrets are made in a umask 077 subshell, then opened to kefu.
umask 022

here=$(cd "$(dirname "$0")" && pwd)
say() { echo "install: $*"; }
usage() { echo "install: $* (see the head of deploy/install.sh)" >&2; exit 2; }
die() { echo "install: $*" >&2; exit 1; }

roles="" sites="" prefix=/usr/local root="" bin="$here/../build/release/bin" config="" keys=""
while [ $# -gt 0 ]; do
    case $1 in
        --role|--site|--prefix|--root|--bin|--config|--keys) [ $# -ge 2 ] || usage "$1 needs a value" ;;
        *) usage "unknown argument '$1'" ;;
    esac
    case $1 in
        --role)
            case $2 in cluster|estate|operations) roles="$roles $2" ;;
                *) usage "unknown role '$2': cluster, estate or operations" ;; esac ;;
        --site)
            # The site names a producer (intake@SITE) and a unit instance.
            case $2 in ''|*[!A-Za-z0-9_-]*) usage "site '$2': 1-32 letters, digits, - and _" ;; esac
            [ ${#2} -le 32 ] || usage "site '$2': 1-32 letters, digits, - and _"
            sites="$sites $2" ;;
        --prefix) prefix=$2 ;;
        --root) root=$2 ;;
        --bin) bin=$2 ;;
        --config) config=$2 ;;
        --keys) keys=$2 ;;
    esac
    shift 2
done
has_role() { case " $roles " in *" $1 "*) return 0 ;; esac; return 1; }

[ -n "$roles" ] || usage "which role? --role cluster, estate or operations"
has_role estate && [ -z "$sites" ] && usage "--role estate needs --site SITE"
[ -z "$sites" ] || has_role estate || has_role cluster || usage "--site goes with --role estate or cluster"
case $prefix in /*) ;; *) usage "--prefix '$prefix' is not an absolute path" ;; esac
[ -x "$bin/kefu-bus" ] || die "no $bin/kefu-bus: build first (make), or say where with --bin"
[ -z "$config" ] || [ -r "$config" ] || die "cannot read configuration $config"
[ -z "$keys" ] || [ -d "$keys" ] || die "no key directory $keys"
command -v systemctl >/dev/null 2>&1 || die "systemctl not found: these units need systemd"
if [ -z "$root" ]; then
    [ "$(id -u)" -eq 0 ] || die "run as root, or stage into a directory with --root DIR"
else
    mkdir -p "$root"
    root=$(cd "$root" && pwd)
fi

# A real install (not staged below --root) makes the user and sets owners.
real=""
[ -n "$root" ] || real=yes
# MODE FILE: root's, readable by the kefu group only (configurations and
# secrets); staged, the mode alone.
for_kefu_only() {
    chmod "$1" "$2"
    [ -z "$real" ] || chgrp kefu "$2"
}

if [ -n "$real" ]; then
    getent group kefu >/dev/null || groupadd --system kefu
    getent passwd kefu >/dev/null || useradd --system --gid kefu --home-dir /var/lib/kefu --no-create-home \
        --shell /usr/sbin/nologin --comment "kefu daemons" kefu
fi

# Binaries and the console.
mkdir -p "$root$prefix/bin" "$root$prefix/share/kefu"
for program in "$bin"/kefu-* "$bin"/kefuctl; do
    install -m 0755 "$program" "$root$prefix/bin/"
done
rm -rf "$root$prefix/share/kefu/console"
cp -R "$here/../services/gateway/console" "$root$prefix/share/kefu/console"

# Units, with the binaries where this prefix puts them.
units="$root/etc/systemd/system"
mkdir -p "$units/kefu-.service.d"
for unit in "$here"/systemd/kefu.target "$here"/systemd/*.service "$here"/systemd/kefu-.service.d/*.conf; do
    sed "s|/usr/local/bin/|$prefix/bin/|g" "$unit" > "$units/${unit#"$here"/systemd/}"
done

# Configuration: kefu.conf for the cluster's and operations' daemons, and
# intake-SITE.conf per site (a link to kefu.conf on a host that has one).
etc="$root/etc/kefu"
mkdir -p "$etc/keys/allowed"
for_kefu_only 0750 "$etc/keys"
for_kefu_only 0750 "$etc/keys/allowed"
starting_config() {   # SITE or "": the demo configuration, placed for this host
    echo "# Written by deploy/install.sh from deploy/kefu.conf: edit it for this host."
    sed -e "s|^\(    data_dir = \)var/data|\1/var/lib/kefu|" \
        -e "s|ipc://var/run/|ipc:///run/kefu/|" \
        -e "s|^\(    name = \)c1|\1${1:-c1}|" \
        -e "s|^\(        listen = .*\)$|\1\n        console = $prefix/share/kefu/console|" \
        "$here/kefu.conf"
}
place_config() {   # FILE SITE
    if [ -e "$1" ] || [ -L "$1" ]; then
        say "kept ${1#"$root"}"
        return
    fi
    if [ -n "$config" ]; then (umask 077; cp "$config" "$1"); else (umask 077; starting_config "$2" > "$1"); fi
    for_kefu_only 0640 "$1"
    say "wrote ${1#"$root"}"
}
shared=""
if has_role cluster || has_role operations; then
    place_config "$etc/kefu.conf" ""
    shared=yes
fi
for site in $sites; do
    if [ -n "$shared" ] && [ ! -e "$etc/intake-$site.conf" ]; then
        ln -s kefu.conf "$etc/intake-$site.conf"
        say "linked /etc/kefu/intake-$site.conf to kefu.conf"
    else
        place_config "$etc/intake-$site.conf" "$site"
    fi
done

# Keys: public certificates readable, secrets for the kefu group only.
if [ -n "$keys" ]; then
    for file in "$keys"/*.cert "$keys"/allowed/*; do
        [ -f "$file" ] || continue
        target="$etc/keys/${file#"$keys"/}"
        cp "$file" "$target"
        chmod 0644 "$target"
    done
    for file in "$keys"/*.cert_secret; do
        [ -f "$file" ] || continue
        (umask 077; cp "$file" "$etc/keys/")
        for_kefu_only 0640 "$etc/keys/${file##*/}"
    done
fi

# Enable the role's units: kefu.target wants them, multi-user.target wants it.
enable="kefu.target"
if has_role cluster; then
    for name in bus archive dispatch escalation survey billing registry desk notify; do enable="$enable kefu-$name.service"; done
fi
has_role operations && enable="$enable kefu-gateway.service"
for site in $sites; do enable="$enable kefu-intake@$site.service"; done
# shellcheck disable=SC2086
if ! out=$(systemctl ${root:+--root="$root"} --quiet enable $enable 2>&1); then
    die "systemctl enable failed: $out"
fi
[ -n "$real" ] && [ -d /run/systemd/system ] && systemctl daemon-reload

say "installed into ${root:-/}: binaries in $prefix/bin, units in /etc/systemd/system, configuration in /etc/kefu"
say "enabled $enable"
say "next: edit the configuration, then: systemctl start kefu.target; KEFU_CONFIG=/etc/kefu/kefu.conf kefuctl ping"
