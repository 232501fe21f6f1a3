#!/bin/sh
# The web console end to end: the whole cluster (deploy/supervise.sh, as
# `make run` starts it) on ipc:// endpoints in a scratch directory and a
# file clock, the gateway on a local port, and Debian's Chromium, headless,
# driven by Playwright (tests/e2e/console.mjs): each role's day, people
# signed in as themselves, with screenshots kept under build/e2e/.
#   usage: sh tests/e2e/run.sh [BIN_DIR]
set -eu
bin=${1:-build/release/bin}
root=$(pwd)
dir=$(mktemp -d /tmp/kf-e2e-XXXXXX)
port=$((20000 + $$ % 20000))
ops="e2e-operations-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
password="e2e-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
shots=$root/build/e2e
mkdir -p "$shots"
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
                name = "Wang Jun 王军"
                department = engineering
                shifts = "daily 00:00-24:00"
                phone = "13900000101"
            F01
                name = "Chen Jing 陈静"
                department = customer_service
                role = front_desk
            S01
                name = "Liu Yang 刘洋"
                department = customer_service
                role = supervisor
    E002
        name = "Maple 枫林苑"
        staff
            MF1
                name = "Maple desk"
                department = customer_service
                role = front_desk
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
    notify
        endpoint = ipc://$dir/notify
        replay = ipc://$dir/notify-replay
    gateway
        listen = 127.0.0.1:$port
        console = $root/services/gateway/console
notify
    webhook                             # console.mjs: 200 for sign-in codes, 503 for all else (each fails, then gives up)
        url = http://127.0.0.1:$((port + 1))/hook
        secret = "e2e-webhook-secret-0123456789"
gateway
    owners
        code_gap = 5s                   # the owner's second code, to their own phone, need not wait a minute
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
for service in intake dispatch escalation survey billing notify; do
    tries=0
    until "$bin/kefuctl" --config "$dir/kefu.conf" ping "$service" >/dev/null 2>&1; do
        tries=$((tries + 1))
        [ "$tries" -lt 200 ] || { echo "e2e: kefu-$service does not answer" >&2; exit 1; }
        sleep 0.1
    done
done
ctl="$bin/kefuctl --config $dir/kefu.conf"
# The people of the day, with a password each; E001's fees billed for November.
for user in F01 S01 W01 MF1; do
    printf '%s\n' "$password" | $ctl users reset-password "$user" --password-stdin >/dev/null
done
$ctl units import deploy/units-E001.csv --estate E001 >/dev/null
$ctl billing schedule --estate E001 --from 2026-01-01 --rate highrise:2.35 --rate villa:4.00 --parking 300 \
    --fixed garbage:10 >/dev/null
$ctl billing run --estate E001 --period 2026-11 >/dev/null
# Another estate's case, which no E001 page may show.
other=$($ctl --json file --estate E002 --unit 9-9-909 --name 外人 --phone 13700000000 --type complaint \
        --channel phone --category noise "E002 的噪音投诉" | sed -n 's/.*"ticket_no":"\([^"]*\)".*/\1/p')
[ -n "$other" ] || { echo "e2e: the E002 ticket was not filed" >&2; exit 1; }
if [ ! -d tests/e2e/node_modules/playwright-core ]; then
    (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
fi
KEFU_E2E_HOOK_PORT=$((port + 1)) KEFU_E2E_CLOCK="$dir/clock" KEFU_E2E_CTL="$bin/kefuctl" KEFU_E2E_CONFIG="$dir/kefu.conf" \
    node tests/e2e/console.mjs "http://127.0.0.1:$port" "$password" "$other" "$shots" "$ops"
