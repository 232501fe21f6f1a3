#!/bin/sh
# systemd-verify.sh BIN_DIR — the units of deploy/systemd/ as deploy/install.sh
# puts them on each kind of host, staged with --root in a temporary directory:
# the tree it makes, its one-line refusals, then `systemd-analyze verify` of
# every unit (which checks the ExecStart binaries are there) and
# `systemd-analyze security` under a ceiling, so hardening cannot quietly go.
# Prints SKIP and passes when systemd-analyze is not installed.
set -u
[ $# -eq 1 ] && [ -x "$1/kefu-bus" ] || { echo "usage: $0 BIN_DIR (the built binaries: make)" >&2; exit 2; }
bin=$(cd "$1" && pwd)
if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "SKIP: systemd-analyze not installed (deploy/deps.sh installs systemd): units not verified"
    exit 0
fi
script=$(cd "$(dirname "$0")/../deploy" && pwd)/install.sh
install_sh() { sh "$script" "$@"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "systemd-verify: FAILED: $*" >&2; failures=$((failures + 1)); }
# DESCRIPTION COMMAND...: fail (and return 1) unless the command succeeds.
expect() { what=$1; shift; "$@" && return 0; fail "$what"; return 1; }
mode_is() { [ "$(stat -c %a "$2")" = "$1" ]; }
wanted() { (cd "$1/etc/systemd/system/kefu.target.wants" && ls | tr '\n' ' '); }

# ---- a cluster host that is also the operations host, under /opt/kefu ------
c=$tmp/cluster
umask 077
expect "install of a cluster host" install_sh --root "$c" --prefix /opt/kefu --bin "$bin" \
    --role cluster --role operations --site c1 >"$tmp/out" 2>&1 || { cat "$tmp/out"; exit 1; }
for program in kefu-bus kefu-archive kefu-intake kefu-dispatch kefu-escalation kefu-survey kefu-billing kefu-registry kefu-desk \
    kefu-notify kefu-gateway kefuctl; do
    expect "$program installed" test -x "$c/opt/kefu/bin/$program"
done
# Readable by the kefu user, whatever umask install.sh was run with.
expect "console installed, readable" mode_is 644 "$c/opt/kefu/share/kefu/console/index.html"
for unit in "$c"/etc/systemd/system/*.service; do
    expect "${unit##*/} runs from /opt/kefu/bin" grep -q '^ExecStart=/opt/kefu/bin/kefu-' "$unit"
    expect "${unit##*/} is 0644" mode_is 644 "$unit"
done
expect "the hardening drop-in installed" test -f "$c/etc/systemd/system/kefu-.service.d/10-kefu.conf"
got=$(wanted "$c")
[ "$got" = "kefu-archive.service kefu-billing.service kefu-bus.service kefu-desk.service kefu-dispatch.service kefu-escalation.service \
kefu-gateway.service kefu-intake@c1.service kefu-notify.service kefu-registry.service kefu-survey.service " ] || fail "cluster's kefu.target wants: $got"
expect "multi-user.target wants kefu.target" test -L "$c/etc/systemd/system/multi-user.target.wants/kefu.target"
expect "kefu.conf is 0640" mode_is 640 "$c/etc/kefu/kefu.conf"
expect "intake-c1.conf links to kefu.conf" [ "$(readlink "$c/etc/kefu/intake-c1.conf")" = kefu.conf ]
expect "keys directory 0750" mode_is 750 "$c/etc/kefu/keys"
expect "allowed keys directory" test -d "$c/etc/kefu/keys/allowed"
expect "stores in the state directory" grep -q '^    data_dir = /var/lib/kefu' "$c/etc/kefu/kefu.conf"
expect "the installed console" grep -q '^        console = /opt/kefu/share/kefu/console$' "$c/etc/kefu/kefu.conf"
# The configuration loads (a bad key would stop kefuctl before it asks):
# every daemon is listed, at its socket in the runtime directory.
"$bin/kefuctl" --config "$c/etc/kefu/kefu.conf" --timeout 100 ping >"$tmp/out" 2>/dev/null
expect "kefu.conf loads, sockets in /run/kefu" grep -q '^intake@c1  *ipc:///run/kefu/intake ' "$tmp/out"

# Run again after an edit: the configuration is kept.
echo "# edited" >> "$c/etc/kefu/kefu.conf"
install_sh --root "$c" --prefix /opt/kefu --bin "$bin" --role cluster --role operations --site c1 >"$tmp/out" 2>&1
expect "a second install keeps kefu.conf" grep -q '^# edited$' "$c/etc/kefu/kefu.conf"
expect "and says so" grep -q '^install: kept /etc/kefu/kefu.conf$' "$tmp/out"

# ---- an estate server of site e1, with its keys ----------------------------
e=$tmp/estate
mkdir -p "$tmp/keys/allowed"
echo public > "$tmp/keys/e1.cert"
echo secret > "$tmp/keys/e1.cert_secret"
echo public > "$tmp/keys/allowed/cluster.cert"
expect "install of an estate server" install_sh --root "$e" --bin "$bin" --role estate --site e1 --keys "$tmp/keys" \
    >"$tmp/out" 2>&1 || { cat "$tmp/out"; exit 1; }
got=$(wanted "$e")
[ "$got" = "kefu-intake@e1.service " ] || fail "estate's kefu.target wants: $got"
expect "no kefu.conf on an estate server" test ! -e "$e/etc/kefu/kefu.conf"
"$bin/kefuctl" --config "$e/etc/kefu/intake-e1.conf" --timeout 100 ping >"$tmp/out" 2>/dev/null
expect "intake-e1.conf names the site" grep -q '^intake@e1 ' "$tmp/out"
expect "certificate 0644" mode_is 644 "$e/etc/kefu/keys/e1.cert"
expect "secret 0640" mode_is 640 "$e/etc/kefu/keys/e1.cert_secret"
expect "allowed key copied" test -f "$e/etc/kefu/keys/allowed/cluster.cert"

# ---- refusals: one line each, naming what is wrong --------------------------
refuse() {   # STATUS TEXT ARGS...
    status=$1 text=$2
    shift 2
    install_sh --root "$tmp/refused" --bin "$bin" "$@" >/dev/null 2>"$tmp/err"
    rc=$?
    [ "$rc" = "$status" ] && grep -q "^install: .*$text" "$tmp/err" && [ "$(wc -l < "$tmp/err")" = 1 ] \
        || fail "install.sh $*: exit $rc, '$(cat "$tmp/err")'; expected $status and '$text'"
}
refuse 2 "which role" --site e1
refuse 2 "unknown role 'nope'" --role nope
refuse 2 "needs --site" --role estate
refuse 2 "site 'a b'" --role estate --site "a b"
refuse 2 "--prefix needs a value" --role cluster --prefix
refuse 1 "cannot read configuration $tmp/none.conf" --role cluster --config "$tmp/none.conf"
# A unit whose configuration is missing: the daemon's one line names it.
"$bin/kefu-intake" --config "$e/etc/kefu/intake-e9.conf" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 1 ] && grep -q "intake-e9.conf" "$tmp/err" && [ "$(wc -l < "$tmp/err")" = 1 ] \
    || fail "kefu-intake with a missing configuration: exit $rc, '$(cat "$tmp/err")'"

# ---- systemd-analyze on every unit of both hosts ----------------------------
analyze() {   # ROOT UNIT...
    root=$1
    shift
    for unit in "$@"; do
        if ! out=$(systemd-analyze verify --root="$root" --man=no --recursive-errors=no "$unit" 2>&1) \
        || [ -n "$out" ]; then
            fail "systemd-analyze verify $unit: $out"
        fi
        case $unit in *.service)
            systemd-analyze security --root="$root" --offline=yes --threshold=20 "$unit" >"$tmp/out" 2>&1 \
                || fail "systemd-analyze security $unit: $(grep 'Overall' "$tmp/out")" ;;
        esac
    done
}
analyze "$c" kefu.target kefu-bus.service kefu-archive.service kefu-dispatch.service kefu-escalation.service kefu-survey.service \
    kefu-billing.service kefu-registry.service kefu-desk.service kefu-notify.service kefu-gateway.service kefu-intake@c1.service
analyze "$e" kefu.target kefu-intake@e1.service
# And verify does look at the binaries: without kefu-bus, its unit fails.
rm "$c/opt/kefu/bin/kefu-bus"
systemd-analyze verify --root="$c" --man=no --recursive-errors=no kefu-bus.service >/dev/null 2>&1 \
    && fail "systemd-analyze verify passed a unit whose binary is missing"

if [ "$failures" -ne 0 ]; then
    echo "systemd-verify: $failures failed" >&2
    exit 1
fi
echo "systemd-verify: install.sh's trees for a cluster and an estate host, and every unit of deploy/systemd, verified"
