#!/bin/sh
# make multihost — kefu across hosts, for real, on one machine (issue 16.4).
#
# Builds four hosts as network namespaces joined by a bridge (veth pairs):
#   cluster 10.77.0.1    kefu-bus and the domain daemons (dispatch, escalation,
#                        survey, billing)
#   est1    10.77.0.11   the estate server of site e1: kefu-intake@e1 (E001)
#   est2    10.77.0.12   the estate server of site e2: kefu-intake@e2 (E002, E003)
#   ops     10.77.0.21   operations: kefuctl and kefu-gateway
# all over tcp:// with CURVE and keys made by `kefuctl keys`. Each host is laid
# out by deploy/install.sh --root (binaries, units, its configuration, its
# keys) and each daemon started from its installed unit's ExecStart line.
#
# Then: files tickets at both estates; cuts est1's link (its desk keeps
# filing), puts 200 ms delay and 5 % loss on est2's; kill -9s est1's intake,
# the bus and dispatch; restores everything; and checks at the cluster that
# every acknowledged ticket has exactly one work order and its SLA clocks
# (lost=0 duplicated=0), and that a publish for another estate sent from a
# real estate host is refused by the bus. Prints what it measured. Cleans up
# its namespaces whatever happens.
#
# Needs root, ip netns and tc (iproute2); without them it says SKIP and exits 0.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
bin="$here/build/release/bin"
tests="$here/build/release/tests"

skip() { echo "multihost: SKIP: $*"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces)"
command -v ip >/dev/null 2>&1 || skip "no ip (iproute2)"
command -v tc >/dev/null 2>&1 || skip "no tc (iproute2)"
[ -x "$bin/kefu-bus" ] && [ -x "$tests/bus_producer" ] || { echo "multihost: build first (make build tests)" >&2; exit 1; }

tag=$$
W=$(mktemp -d /tmp/kf-multihost.XXXXXX)
hosts="cluster est1 est2 ops"
ns() { echo "kfm$tag-$1"; }
ip_of() { case $1 in cluster) echo 10.77.0.1 ;; est1) echo 10.77.0.11 ;; est2) echo 10.77.0.12 ;; ops) echo 10.77.0.21 ;; esac; }
sw=$(ns sw)
pids=""

cleanup() {
    for pid in $pids; do kill -9 "$pid" 2>/dev/null || true; done
    for h in $hosts sw; do ip netns del "$(ns "$h")" 2>/dev/null || true; done
    if [ "${failed:-1}" -eq 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$W"; else echo "multihost: logs kept in $W"; fi
}
failed=1
trap cleanup EXIT
trap 'exit 1' INT TERM

say() { echo "multihost: $*"; }
die() { echo "multihost: FAILED: $*" >&2; exit 1; }

# ---- the network ----------------------------------------------------------
ip netns add "$sw" 2>/dev/null || skip "cannot create network namespaces here"
ip -n "$sw" link set lo up
ip -n "$sw" link add br0 type bridge
ip -n "$sw" link set br0 up
for h in $hosts; do
    ip netns add "$(ns "$h")"
    ip -n "$sw" link add "p-$h" type veth peer name eth0 netns "$(ns "$h")"
    ip -n "$sw" link set "p-$h" master br0 up
    ip -n "$(ns "$h")" addr add "$(ip_of "$h")/24" dev eth0
    ip -n "$(ns "$h")" link set eth0 up
    ip -n "$(ns "$h")" link set lo up
done
say "4 hosts in network namespaces on a bridge: cluster 10.77.0.1, est1 .11, est2 .12, ops .21"

# ---- keys -----------------------------------------------------------------
K="$W/keys"
ctl() { "$bin/kefuctl" "$@"; }
mkdir -p "$K"
ctl keys new cluster --role cluster --dir "$K" >/dev/null
ctl keys new hub --role cluster --dir "$K" >/dev/null
ctl keys new e1 --role estate --estates E001 --dir "$K" >/dev/null
ctl keys new e2 --role estate --estates E002,E003 --dir "$K" >/dev/null
ctl keys new ops --role operations --dir "$K" >/dev/null

# ---- each host's configuration and image -----------------------------------
# The demo configuration, with this host's endpoints, site and keys: the
# cluster's services on 10.77.0.1, each estate's intake on its own server.
root_of() { echo "$W/$1"; }
# An estate's intake on its server, for kefuctl anywhere: where it answers
# and the key it serves with.
edge() {   # HOST-NUMBER KEY
    printf '        intake_endpoint = tcp://10.77.0.%s:7120\\n        intake_certificate = %s/etc/kefu/keys/%s.cert' \
        "$1" "$r" "$2"
}
conf() {   # HOST SITE CERT -> the configuration on stdout
    r=$(root_of "$1")
    c=10.77.0.1
    intake_ip=$(ip_of "$1") intake_key=$3
    # The gateway files for E001 at est1, whose intake serves with e1's key.
    [ "$1" = ops ] && intake_ip=10.77.0.11 intake_key=e1
    sed -e "s|^\(    data_dir = \)var/data|\1$r/var/lib/kefu|" \
        -e "s|^\(    name = \)c1|\1$2|" \
        -e "s|ipc://var/run/bus-in|tcp://$c:7100|" \
        -e "s|ipc://var/run/bus-out|tcp://$c:7101|" \
        -e "s|ipc://var/run/bus-tap|tcp://$c:7102|" \
        -e "s|ipc://var/run/intake-replay.*|tcp://$intake_ip:7121\n        certificate = $r/etc/kefu/keys/$intake_key.cert|" \
        -e "s|ipc://var/run/intake |tcp://$intake_ip:7120 |" \
        -e "s|ipc://var/run/dispatch-replay|tcp://$c:7111|" \
        -e "s|ipc://var/run/dispatch$|tcp://$c:7110|" \
        -e "s|ipc://var/run/escalation-replay|tcp://$c:7113|" \
        -e "s|ipc://var/run/escalation$|tcp://$c:7112|" \
        -e "s|ipc://var/run/survey-replay|tcp://$c:7115|" \
        -e "s|ipc://var/run/survey$|tcp://$c:7114|" \
        -e "s|ipc://var/run/billing-replay|tcp://$c:7117|" \
        -e "s|ipc://var/run/billing$|tcp://$c:7116|" \
        -e "s|ipc://var/run/archive-replay|tcp://$c:7119|" \
        -e "s|ipc://var/run/registry-replay|tcp://$c:7123|" \
        -e "s|ipc://var/run/registry |tcp://$c:7122 |" \
        -e "s|ipc://var/run/desk-replay|tcp://$c:7125|" \
        -e "s|ipc://var/run/desk |tcp://$c:7124 |" \
        -e "s|ipc://var/run/archive |tcp://$c:7118 |" \
        -e "s|^\(        listen = \)127.0.0.1:8080|\1$(ip_of "$1"):8080|" \
        -e "s|^\(        console = \).*|\1$here/services/gateway/console|" \
        -e "s|^    E001$|    E001\n        intake = intake@e1\n$(edge 11 e1)|" \
        -e "s|^    E002$|    E002\n        intake = intake@e2\n$(edge 12 e2)|" \
        -e "s|^    E003$|    E003\n        intake = intake@e2\n$(edge 12 e2)|" \
        "$here/deploy/kefu.conf"
    cluster_cert="$r/etc/kefu/keys/cluster.cert"
    printf 'security\n    cluster_certificate = %s\n    certificate = %s/etc/kefu/keys/%s.cert\n    allowed_keys = %s/etc/kefu/keys/allowed\n' \
        "$cluster_cert" "$r" "$3" "$r"
}
stage() {   # HOST SITE CERT ROLE-ARGS... : install.sh --root into the host's image
    h=$1 site=$2 cert=$3
    shift 3
    r=$(root_of "$h")
    mkdir -p "$r/keys/allowed"
    cp "$K/$cert.cert" "$K/$cert.cert_secret" "$r/keys/"
    cp "$K/cluster.cert" "$r/keys/"
    cp "$K/e1.cert" "$K/e2.cert" "$r/keys/"   # the estate servers' public keys
    [ "$h" = cluster ] && cp "$K/cluster.cert_secret" "$r/keys/"
    conf "$h" "$site" "$cert" > "$W/$h.conf"
    sh "$here/deploy/install.sh" --root "$r" --bin "$bin" --config "$W/$h.conf" --keys "$r/keys" "$@" > "$W/$h.install.log" \
        || die "install.sh for $h: $(tail -1 "$W/$h.install.log")"
}
stage cluster c1 hub --role cluster
stage est1 e1 e1 --role estate --site e1
stage est2 e2 e2 --role estate --site e2
stage ops c1 ops --role operations
# Who each host admits: the cluster everyone; an estate server the
# cluster's daemons (they replay its outbox), its own desk (kefuctl with the
# estate's key) and operations (the gateway files there).
admit() {   # HOST KEY...
    h=$1
    shift
    for k in "$@"; do
        ctl --config "$W/$h.conf" keys admit "$K/$k.cert" --allowed "$(root_of "$h")/etc/kefu/keys/allowed" >/dev/null
    done
}
admit cluster hub e1 e2 ops
admit est1 hub e1 ops
admit est2 hub e2 ops
say "keys made with kefuctl keys; hosts laid out with deploy/install.sh --root"

# ---- daemons, from the installed units -------------------------------------
# The unit's ExecStart, with the image's paths: what systemd would run.
exec_start() {   # HOST UNIT [INSTANCE]
    r=$(root_of "$1")
    line=$(sed -n 's/^ExecStart=//p' "$r/etc/systemd/system/$2")
    line=$(echo "$line" | sed -e "s|%i|${3:-}|g" -e "s|/usr/local/bin/|$r/usr/local/bin/|" -e "s|/etc/kefu/|$r/etc/kefu/|g")
    echo "$line"
}
# start HOST NAME UNIT [INSTANCE]: in the host's namespace, logging to W/HOST-NAME.log.
start() {
    cmd=$(exec_start "$1" "$3" "${4:-}")
    # shellcheck disable=SC2086
    (cd "$(root_of "$1")" && exec ip netns exec "$(ns "$1")" $cmd) >> "$W/$1-$2.log" 2>&1 &
    eval "pid_$1_$2=$!"
    pids="$pids $!"
}
kill9() { eval "kill -9 \$pid_$1_$2"; eval "wait \$pid_$1_$2 2>/dev/null || true"; }
for d in bus archive dispatch escalation survey billing registry desk; do start cluster "$d" "kefu-$d.service"; done
start est1 intake "kefu-intake@.service" e1
start est2 intake "kefu-intake@.service" e2
start ops gateway kefu-gateway.service
on() { h=$1; shift; ip netns exec "$(ns "$h")" "$@"; }
ops_ctl() { on ops "$bin/kefuctl" --config "$W/ops.conf" --timeout 10000 "$@"; }
# (sh has no local variables: each function's own are prefixed.)
wait_for() {   # SECONDS WHAT COMMAND...
    wf_seconds=$1 wf_what=$2
    shift 2
    wf_tries=0
    while ! "$@" >/dev/null 2>&1; do
        wf_tries=$((wf_tries + 1))
        [ "$wf_tries" -le $((wf_seconds * 4)) ] || die "$wf_what: not within $wf_seconds s"
        sleep 0.25
    done
}
wait_for 30 "the cluster's daemons answer operations" ops_ctl ping archive dispatch escalation survey billing registry desk
say "cluster up: bus, archive, dispatch, escalation, survey, billing, registry, desk; intake@e1 and intake@e2 on their estate servers"

# ---- filing ------------------------------------------------------------------
acks="$W/acked"
: > "$acks"
n=0
file_at() {   # HOST ESTATE UNIT
    n=$((n + 1))
    out=$(on "$1" "$bin/kefuctl" --config "$W/$1.conf" --scope "$2" --timeout 10000 --json file --estate "$2" \
          --unit "$3" --name "Owner $n" --phone 13800000000 --type repair --channel phone --category plumbing \
          --key "mh-$tag-$n" "multihost leak $n") || return 1
    echo "$out" | grep -o '"ticket_no": *"[^"]*"' | head -1 | sed 's/.*"\([^"]*\)"$/\1/' >> "$acks"
}
for i in 1 2 3 4 5; do
    file_at est1 E001 "1-1-10$i" || die "filing at est1"
    file_at est2 E002 "2-1-10$i" || die "filing at est2"
done
say "10 tickets filed, 5 at each estate"

# est1 cut off: its desk keeps filing; est2 slow and lossy: netem's 200 ms
# and 5 % loss where the kernel has sch_netem; where it has not (this
# machine's kernel has tbf but no netem), a token bucket that queues up to
# 200 ms and drops beyond, on both ends, and the link dropped for 100 ms in
# every 2 s (5 % of the time, TCP retransmits as after loss).
ip -n "$sw" link set p-est1 down
flapper=""
if on est2 tc qdisc add dev eth0 root netem delay 200ms loss 5% 2>/dev/null; then
    degraded="netem delay 200ms loss 5%"
else
    on est2 tc qdisc add dev eth0 root tbf rate 512kbit burst 8kb latency 200ms
    ip netns exec "$sw" tc qdisc add dev p-est2 root tbf rate 512kbit burst 8kb latency 200ms
    (while :; do sleep 1.9; ip -n "$sw" link set p-est2 down; sleep 0.1; ip -n "$sw" link set p-est2 up; done) &
    flapper=$!
    pids="$pids $flapper"
    degraded="no sch_netem in this kernel: tbf 512 kbit/s queueing up to 200 ms, and 100 ms without link every 2 s"
fi
cut_at=$(date +%s.%N)
for i in 1 2 3 4 5; do file_at est1 E001 "1-2-10$i" || die "filing at est1 while its link is down"; done
for i in 1 2 3 4 5; do file_at est2 E002 "2-2-10$i" || true; done
say "est1's link down: 5 tickets filed at its desk all the same; est2 degraded ($degraded)"

# kill -9 an estate intake, the bus and a cluster service, then bring them back.
kill9 est1 intake
kill9 cluster bus
kill9 cluster dispatch
start est1 intake "kefu-intake@.service" e1
sleep 1
start cluster bus kefu-bus.service
start cluster dispatch kefu-dispatch.service
wait_for 30 "intake@e1 back" on est1 "$bin/kefuctl" --config "$W/est1.conf" --scope E001 ping intake
for i in 1 2 3; do file_at est1 E001 "1-3-10$i" || die "filing at est1 after its restart"; done

# The forged publish of the issue, from a real estate host: est2's key
# publishes E001's events.
on est2 "$tests/bus_producer" --config "$W/est2.conf" --producer intake@e2 --replay tcp://10.77.0.12:7199 \
    --data "$W/forger" --estates E001 --events 5 --rate 100 > "$W/est2-forger.log" 2>&1 &
forger=$!
pids="$pids $forger"

# Restore the links.
sleep 3
ip -n "$sw" link set p-est1 up
if [ -n "$flapper" ]; then
    kill "$flapper"
    wait "$flapper" 2>/dev/null || true
    ip -n "$sw" link set p-est2 up
    ip netns exec "$sw" tc qdisc del dev p-est2 root
fi
on est2 tc qdisc del dev eth0 root
back_at=$(date +%s.%N)
say "links restored; est1's intake, the bus and dispatch were kill -9ed and restarted"

# ---- checks at the cluster ---------------------------------------------------
total=$(grep -c . "$acks")
orders_of() { ops_ctl --json orders --estate "$1" --all; }
settled() {
    st_orders=$(orders_of E001 && orders_of E002) || return 1
    for st_ticket in $(cat "$acks"); do
        echo "$st_orders" | grep -q "\"ticket_no\": *\"$st_ticket\"" || return 1
    done
}
wait_for 120 "every acknowledged ticket's work order at the cluster" settled
caught=$(date +%s.%N)
o=$(printf '%s\n%s\n' "$(orders_of E001)" "$(orders_of E002)")
lost=0 duplicated=0 clocks_missing=0
for t in $(cat "$acks"); do
    c=$(echo "$o" | grep -o "\"ticket_no\": *\"$t\"" | wc -l)
    [ "$c" -eq 0 ] && lost=$((lost + 1))
    [ "$c" -gt 1 ] && duplicated=$((duplicated + 1))
    k=$(ops_ctl --json sla "$t" | grep -o '"target": *"SLA_TARGET_[A-Z_]*"' | sort -u | wc -l)
    [ "$k" -ge 3 ] || clocks_missing=$((clocks_missing + 1))
done
kill -9 "$forger" 2>/dev/null || true
refused=$(grep -c 'refused publish of E001/.* from key e2 (estate)' "$W/cluster-bus.log" || true)
# Had the bus let it through, the cluster's consumers would have refused it.
leaked=$(grep -l 'refused stream intake@e2/E001' "$W"/cluster-*.log 2>/dev/null | wc -l)
top=$(ops_ctl --json top --once) || die "kefuctl top does not answer for every daemon"
replayed=$(echo "$top" | sed 's/.*"daemon":"dispatch@c1"//' | grep -o '"replayed_events":[0-9]*' | head -1 | grep -o '[0-9]*$')

printf 'multihost: tickets acknowledged %d; lost=%d duplicated=%d; tickets without 3 SLA clocks: %d\n' \
    "$total" "$lost" "$duplicated" "$clocks_missing"
printf 'multihost: catch-up after the links returned: %.1f s (est1 was cut for %.1f s); events replayed by dispatch: %s\n' \
    "$(awk "BEGIN { print $caught - $back_at }")" "$(awk "BEGIN { print $back_at - $cut_at }")" "${replayed:-?}"
printf 'multihost: forged publishes from est2 refused by the bus (log lines): %d\n' "$refused"
[ "$lost" -eq 0 ] && [ "$duplicated" -eq 0 ] || die "lost=$lost duplicated=$duplicated"
[ "$clocks_missing" -eq 0 ] || die "$clocks_missing tickets without their SLA clocks"
[ "$refused" -ge 1 ] || die "the bus did not refuse est2's publish for E001"
[ "$leaked" -eq 0 ] || die "est2's forged events reached the cluster's daemons"
echo "multihost: kefuctl top --once on the operations host:"
ops_ctl top --once | sed 's/^/    /'
failed=0
say "passed"
