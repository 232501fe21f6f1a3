#!/bin/sh
# run.sh BIN_DIR — what `make run` does after building: a demo configuration
# in var/ when there is none, then the supervisor, with a word on where to look.
set -u
bin=$1
mkdir -p var || exit 1
if [ ! -f var/kefu.conf ]; then
    cp deploy/kefu.conf var/kefu.conf || exit 1
    echo "make run: wrote var/kefu.conf, a demo configuration with three estates (E001, E002, E003)"
fi
clock=${KEFU_CLOCK:-}
if [ -n "$clock" ] && [ ! -f "$clock" ]; then
    "$bin/kefuctl" clock set "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --file "$clock" >/dev/null || exit 1
fi
ctl="$bin/kefuctl"
# The demo's people sign in to the console as themselves: once dispatch
# answers, the first run gives a few of the configuration's staff the demo
# password (a real site runs kefuctl users reset-password per person).
demo_password=kefu-demo-2026
if [ ! -f var/.demo-accounts ]; then
    mkdir -p var/log
    (
        i=0
        until "$ctl" --config var/kefu.conf ping dispatch >/dev/null 2>&1; do
            i=$((i + 1)); [ $i -gt 120 ] && exit 0; sleep 0.5
        done
        for user in F01 S01 W01 W02 D01 MF1 MS1; do
            printf '%s\n' "$demo_password" | "$ctl" --config var/kefu.conf users reset-password "$user" \
                --password-stdin >/dev/null 2>>var/log/demo-accounts.err || exit 0
        done
        touch var/.demo-accounts
    ) &
fi
# The demo estates' registers (units, owners, occupancy), once: so that the
# desk's lookup, the owners' names and the billing run have a real estate.
if [ ! -f var/.demo-registers ]; then
    mkdir -p var/log
    (
        i=0
        until "$ctl" --config var/kefu.conf ping registry billing >/dev/null 2>&1; do
            i=$((i + 1)); [ $i -gt 120 ] && exit 0; sleep 0.5
        done
        for estate in E001 E002 E003; do
            "$ctl" --config var/kefu.conf --timeout 60000 units import "deploy/units-$estate.csv" --estate "$estate" \
                >/dev/null 2>>var/log/demo-registers.err || exit 0
        done
        touch var/.demo-registers
    ) &
fi
# The demo's stand-in for the group's message gateway (the demo
# configuration's notify/webhook): what kefu-notify sends, one line each in
# var/log/messages.log. Stopped with the cluster (the same Ctrl-C).
if command -v node >/dev/null 2>&1 && grep -q '127.0.0.1:8081/hook' var/kefu.conf; then
    mkdir -p var/log
    node deploy/demo-gateway.mjs 8081 demo-webhook-secret-0000 var/log/messages.log 2>>var/log/demo-gateway.err &
fi
cat <<TEXT

kefu is starting: logs in var/log/, stores in var/data/, sockets in var/run/.
When kefuctl ping answers, try, in another terminal:

  file a ticket    $ctl file --estate E001 --unit 3-2-1502 --name 张三 --phone 13800000000 \\
                       --type repair --channel phone --category water_leak --hazard leak_into_home 卫生间漏水到楼下
  see it           $ctl list --estate E001;  $ctl show E001-YYYYMMDD-0001
  its work order   $ctl orders --estate E001;  $ctl staff --on-duty
  do the work      $ctl --as W01 --role technician order accept E001-YYYYMMDD-0001-W1
  its SLA clocks   $ctl sla E001-YYYYMMDD-0001;  $ctl sla --all   (at risk, soonest due first)
  on-time rate     $ctl report sla --from $(date +%Y-%m-01) --by department
  return visits    $ctl visits --estate E001 --pending
                   $ctl visits answer E001-YYYYMMDD-0001-V1 --reached --satisfaction satisfied --score 5
  evaluation       $ctl evaluation sample --estate E001 --year $(date +%Y) --quarter 4   (after the units import)
  statistics       $ctl report daily --estate E001;  $ctl report pareto;  $ctl report satisfaction --by technician
  caller lookup    $ctl lookup 13800000000;  $ctl lookup 3-2-1502 --estate E001   (the demo's registers are loaded)
  property fees    $ctl units --estate E001   (units import FILE --estate E loads a register)
                   $ctl billing schedule --estate E001 --from 2026-01-01 --rate highrise:2.35 \\
                       --rate villa:4.00 --parking 300 --fixed garbage:10 --vacant-discount 30
                   $ctl billing run --estate E001 --period $(date +%Y-%m)
                   $ctl billing pay 1-1-101 100 --ref WX0001 --estate E001;  $ctl billing statement 1-1-101 --estate E001
  the front desk   $ctl --as F01 --role front_desk --scope E001 desk lend key K-3-2-1502 --unit 3-2-1502 --person 张三
                   $ctl desk loans --estate E001 --out;  $ctl desk permits --estate E001;  $ctl desk --help
                   (registers, release permits, violations, the duty log and handover, renovations)
  web console      http://127.0.0.1:8080/   sign in as F01 (front desk), S01 (supervisor), W01 (technician)
                   or D01 (deputy GM) of E001, MF1 of E002; password $demo_password (API: /console/openapi.json)
  owners' page     http://127.0.0.1:8080/owner?estate=E001   unit 3-2-1502, phone 13800000000: the code
                   comes to var/log/messages.log (the demo's stand-in for the SMS gateway)
  staff accounts   $ctl users list;  $ctl users add NAME --role front_desk --estate E001
  HTTP API         curl -H 'Authorization: Bearer demo-desk-e001-000000' -d '{}' http://127.0.0.1:8080/api/v1/list_tickets
  metrics          curl -H 'Authorization: Bearer demo-operations-0000' http://127.0.0.1:8080/metrics
  tap the bus      $ctl tap            (every event, live; --json for JSON lines)
  daemons          $ctl ping;  $ctl lag
  everything else  $ctl --help

Ctrl-C stops the cluster.

TEXT
exec bash deploy/supervise.sh "$bin" var/kefu.conf $clock
