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
  property fees    $ctl units import deploy/units-E001.csv --estate E001
                   $ctl billing schedule --estate E001 --from 2026-01-01 --rate highrise:2.35 \\
                       --rate villa:4.00 --parking 300 --fixed garbage:10 --vacant-discount 30
                   $ctl billing run --estate E001 --period $(date +%Y-%m)
                   $ctl billing pay 1-1-101 100 --ref WX0001 --estate E001;  $ctl billing statement 1-1-101 --estate E001
  web console      http://127.0.0.1:8080/   (demo token: demo-operations-0000; API: /console/openapi.json)
  HTTP API         curl -H 'Authorization: Bearer demo-desk-e001-000000' -d '{}' http://127.0.0.1:8080/api/v1/list_tickets
  metrics          curl -H 'Authorization: Bearer demo-operations-0000' http://127.0.0.1:8080/metrics
  tap the bus      $ctl tap            (every event, live; --json for JSON lines)
  daemons          $ctl ping;  $ctl lag
  everything else  $ctl --help

Ctrl-C stops the cluster.

TEXT
exec bash deploy/supervise.sh "$bin" var/kefu.conf $clock
