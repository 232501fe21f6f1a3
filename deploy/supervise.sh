#!/usr/bin/env bash
# supervise.sh — run a one-host kefu cluster in the foreground (make run).
#
#   deploy/supervise.sh BIN_DIR CONFIG [CLOCK_FILE]
#
# Starts kefu-bus, then every kefu daemon built in BIN_DIR, each with
# --config CONFIG (and --clock CLOCK_FILE when given), logging to
# var/log/<daemon>.log. A daemon that dies is started again: after 1 s, or
# longer (doubling, at most 30 s) while it keeps dying within 10 s of its
# start. SIGINT (Ctrl-C) or SIGTERM stops every daemon with SIGTERM, waits up
# to 10 s, then kills what is left, and exits.
#
# On several hosts, systemd does this job (deploy/systemd/).
set -u

# A script that starts this one in the background (supervise.sh &) hands it
# SIGINT ignored, and bash can neither trap nor reset a signal that was
# ignored when it started: Ctrl-C or kill -INT would never stop it. So when
# INT or TERM arrives ignored, start again under env --default-signal
# (coreutils 8.31 and later), which puts them back before bash starts. Only
# once: were they still ignored then, it would carry on as before.
# An env without --default-signal (older coreutils, busybox) cannot: then it
# says so and carries on, stopped by SIGTERM only if that was not ignored.
if [ -z "${KEFU_SUPERVISE_SIGNALS:-}" ] && [ -n "$(trap -p INT TERM)" ] \
&& ! env --default-signal=INT true 2>/dev/null; then
    echo "supervise: started with SIGINT/SIGTERM ignored, and this env cannot reset them" >&2
elif [ -z "${KEFU_SUPERVISE_SIGNALS:-}" ] && [ -n "$(trap -p INT TERM)" ]; then
    KEFU_SUPERVISE_SIGNALS=reset exec env --default-signal=INT,TERM "$BASH" "$0" "$@"
fi
unset KEFU_SUPERVISE_SIGNALS

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    echo "usage: $0 BIN_DIR CONFIG [CLOCK_FILE]" >&2
    exit 2
fi
bin=$1 config=$2 clock=${3:-}
logdir=${KEFU_LOG_DIR:-var/log}
[ -x "$bin/kefu-bus" ] || { echo "supervise: no $bin/kefu-bus (build first)" >&2; exit 1; }
[ -r "$config" ] || { echo "supervise: cannot read $config" >&2; exit 1; }
mkdir -p "$logdir" || exit 1

# The bus first, the services in the order events flow, the gateway last.
daemons=(bus)
for name in archive intake dispatch escalation survey billing registry desk notify gateway; do
    [ -x "$bin/kefu-$name" ] && daemons+=("$name")
done

declare -A pid=() since=() delay=() timer=()   # timer: pid of a restart's sleep -> daemon
stopping=0

say() { printf '%s supervise: %s\n' "$(date -u +%FT%TZ)" "$*"; }

start() {
    local name=$1
    local args=(--config "$config")
    [ -n "$clock" ] && [ "$name" != bus ] && args+=(--clock "$clock")
    "$bin/kefu-$name" "${args[@]}" >>"$logdir/$name.log" 2>&1 &
    pid[$name]=$!
    since[$name]=$SECONDS
}

stop_all() {
    stopping=1
    trap '' INT TERM
    say "stopping ${daemons[*]}"
    local i name
    [ ${#timer[@]} -gt 0 ] && kill "${!timer[@]}" 2>/dev/null   # restarts not yet due: none now
    for (( i=${#daemons[@]}-1; i>=0; i-- )); do
        name=${daemons[$i]}
        [ -n "${pid[$name]:-}" ] && kill -TERM "${pid[$name]}" 2>/dev/null
    done
    local deadline=$((SECONDS + 10))
    for name in "${daemons[@]}"; do
        while [ -n "${pid[$name]:-}" ] && kill -0 "${pid[$name]}" 2>/dev/null; do
            if [ $SECONDS -ge $deadline ]; then
                say "kefu-$name did not stop within 10 s: killing it"
                kill -KILL "${pid[$name]}" 2>/dev/null
                break
            fi
            sleep 0.1
        done
        [ -n "${pid[$name]:-}" ] && wait "${pid[$name]}" 2>/dev/null
    done
    say "stopped"
    exit 0
}
trap stop_all INT TERM

for name in "${daemons[@]}"; do
    start "$name"
    delay[$name]=1
done
say "started ${daemons[*]/#/kefu-} (logs in $logdir/)"
[ -n "${KEFU_READY_FILE:-}" ] && : > "$KEFU_READY_FILE"

# A restart waits in a sleep of its own, so that a daemon dying in a loop
# (a port taken, a broken store) never delays noticing and restarting the
# others: wait -n hears deaths and due restarts alike.
while [ $stopping -eq 0 ]; do
    dead=
    wait -n -p dead
    status=$?
    [ -z "$dead" ] && continue          # a signal interrupted the wait
    if [ -n "${timer[$dead]:-}" ]; then # a restart is due
        name=${timer[$dead]}
        unset "timer[$dead]"
        [ $stopping -eq 0 ] && start "$name"
        continue
    fi
    for name in "${daemons[@]}"; do
        [ "${pid[$name]:-}" = "$dead" ] || continue
        ran=$((SECONDS - since[$name]))
        if [ $ran -ge 10 ]; then
            delay[$name]=1
        fi
        say "kefu-$name (pid $dead) exited with status $status after ${ran}s; starting it again in ${delay[$name]}s"
        pid[$name]=
        sleep "${delay[$name]}" &
        timer[$!]=$name
        if [ $ran -lt 10 ]; then
            delay[$name]=$(( delay[$name] * 2 > 30 ? 30 : delay[$name] * 2 ))
        fi
    done
done
