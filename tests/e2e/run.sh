#!/bin/sh
# The web console end to end: the whole cluster (deploy/supervise.sh, as
# `make run` starts it) on ipc:// endpoints in a scratch directory and a
# file clock, the gateway on a local port, and Debian's Chromium, headless,
# driven by Playwright (tests/e2e/console.mjs): sign in, file a ticket in
# the form, see it on the live stream and on the SLA board.
#   usage: sh tests/e2e/run.sh [BIN_DIR]
set -eu
bin=${1:-build/release/bin}
root=$(pwd)
dir=$(mktemp -d /tmp/kf-e2e-XXXXXX)
port=$((20000 + $$ % 20000))
ops="e2e-operations-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
cat > "$dir/kefu.conf" <<CONF
cluster
    name = c1
    data_dir = $dir/data
bus
    publish = ipc://$dir/bus-in
    subscribe = ipc://$dir/bus-out
    heartbeat = 200ms
estates
    E001
        name = "Riverside 滨江花园"
        staff
            W01
                name = Wang
                department = engineering
                shifts = "daily 00:00-24:00"
    E002
        name = "Maple 枫林苑"
services
    intake
        endpoint = ipc://$dir/intake
        replay = ipc://$dir/intake-replay
    dispatch
        endpoint = ipc://$dir/dispatch
        replay = ipc://$dir/dispatch-replay
    escalation
        endpoint = ipc://$dir/escalation
        replay = ipc://$dir/escalation-replay
    survey
        endpoint = ipc://$dir/survey
        replay = ipc://$dir/survey-replay
    billing
        endpoint = ipc://$dir/billing
        replay = ipc://$dir/billing-replay
    gateway
        listen = 127.0.0.1:$port
        console = $root/services/gateway/console
gateway
    tokens
        ops
            secret = "$ops"
            role = operations
CONF
"$bin/kefuctl" clock set "2026-11-23T10:00:00+08:00" --file "$dir/clock" >/dev/null
KEFU_LOG_DIR="$dir/log" bash deploy/supervise.sh "$bin" "$dir/kefu.conf" "$dir/clock" >"$dir/supervise.log" 2>&1 &
supervisor=$!
finish() {
    status=$?
    kill -TERM "$supervisor" 2>/dev/null || true
    wait "$supervisor" 2>/dev/null || true
    if [ "$status" -ne 0 ]; then
        echo "e2e: failed; the daemons' logs:" >&2
        tail -n 20 "$dir"/log/*.log >&2 || true
    fi
    rm -rf "$dir"
    exit "$status"
}
trap finish EXIT INT TERM
for service in intake dispatch escalation survey billing; do
    tries=0
    until "$bin/kefuctl" --config "$dir/kefu.conf" ping "$service" >/dev/null 2>&1; do
        tries=$((tries + 1))
        [ "$tries" -lt 200 ] || { echo "e2e: kefu-$service does not answer" >&2; exit 1; }
        sleep 0.1
    done
done
if [ ! -d tests/e2e/node_modules/playwright-core ]; then
    (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
fi
node tests/e2e/console.mjs "http://127.0.0.1:$port" "$ops"
