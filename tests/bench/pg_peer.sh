#!/bin/sh
# The storm's peer (issue 25.2): the same fan-out written as one would with
# PostgreSQL — a ticket, its work order, its three SLA clocks and an outbox
# row in one transaction, synchronous_commit on (the default), fsync on —
# run by pgbench with 8 and then 64 clients against a throwaway cluster of
# Debian's postgresql on a Unix socket in a scratch directory. Prints the
# transactions a second and their latency, and the ratio of kefu's rate
# (bench_storm's one-estate flat-out filings to order.assigned, from
# KEFU_STORM_RATE_FILE) to PostgreSQL's. Prints; never fails the build.
#   usage: sh tests/bench/pg_peer.sh [SECONDS]
set -u
seconds=${1:-10}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$bin" ] || [ ! -x "$bin/pgbench" ]; then
    echo "pg_peer: no PostgreSQL server here (deploy/deps.sh --bench installs postgresql)"
    exit 0
fi
dir=$(mktemp -d /tmp/kf-pg-XXXXXX)
port=$((30000 + $$ % 20000))
as=""
if [ "$(id -u)" -eq 0 ]; then
    as="runuser -u postgres --"   # the server refuses to run as root
    chown postgres "$dir"
fi
finish() {
    $as "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap finish EXIT
trap 'exit 130' INT TERM
$as "$bin/initdb" -D "$dir/data" -A trust -U bench >"$dir/initdb.log" 2>&1 \
    || { echo "pg_peer: initdb failed:"; tail -3 "$dir/initdb.log"; exit 0; }
$as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-k $dir -p $port -c listen_addresses='' -c max_connections=100" start >/dev/null 2>&1 \
    || { echo "pg_peer: the server did not start:"; tail -3 "$dir/server.log"; exit 0; }
psql="$as $bin/psql -q -h $dir -p $port -U bench -d postgres -v ON_ERROR_STOP=1"
$psql <<'SQL' || { echo "pg_peer: the schema failed"; exit 0; }
CREATE TABLE tickets (id bigserial PRIMARY KEY, estate int NOT NULL, unit text NOT NULL,
                      filed_at timestamptz NOT NULL, status smallint NOT NULL, body text NOT NULL);
CREATE INDEX tickets_by_estate ON tickets (estate, filed_at);
CREATE TABLE orders (order_no bigserial PRIMARY KEY, ticket bigint NOT NULL REFERENCES tickets,
                     staff text NOT NULL, status smallint NOT NULL);
CREATE TABLE sla_clocks (ticket bigint NOT NULL REFERENCES tickets, target smallint NOT NULL,
                         due timestamptz NOT NULL, PRIMARY KEY (ticket, target));
CREATE INDEX sla_clocks_by_due ON sla_clocks (due);
CREATE TABLE outbox (seq bigserial PRIMARY KEY, stream int NOT NULL, payload bytea NOT NULL);
SQL
cat > "$dir/fanout.sql" <<'SQL'
\set estate random(1, 1000)
BEGIN;
INSERT INTO tickets (estate, unit, filed_at, status, body)
    VALUES (:estate, '3-2-1502', now(), 1, 'kitchen tap drips into the cupboard below') RETURNING id \gset
INSERT INTO orders (ticket, staff, status) VALUES (:id, 'P1', 2);
INSERT INTO sla_clocks (ticket, target, due) VALUES (:id, 1, now() + interval '30 minutes'),
    (:id, 2, now() + interval '2 hours'), (:id, 3, now() + interval '1 day');
INSERT INTO outbox (stream, payload) VALUES (:estate, '\x0a0d7469636b65742e66696c6564');
COMMIT;
SQL
[ "$(id -u)" -eq 0 ] && chown postgres "$dir/fanout.sql"
echo
echo "pg_peer: PostgreSQL $("$bin/postgres" --version | awk '{print $3}'), the same fan-out in one transaction" \
     "(ticket, order, three SLA clocks, outbox row), synchronous_commit on, ${seconds}s a run"
echo "    clients   tx/s   latency avg ms"
best=0
for clients in 8 64; do
    out=$($as "$bin/pgbench" -n -h "$dir" -p "$port" -U bench -c "$clients" -j 2 -T "$seconds" \
          -f "$dir/fanout.sql" postgres 2>&1)
    tps=$(printf '%s\n' "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)
    lat=$(printf '%s\n' "$out" | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p')
    printf '    %7d %8.0f %8s\n' "$clients" "${tps:-0}" "${lat:--}"
    best=$(awk -v a="$best" -v b="${tps:-0}" 'BEGIN { print ((b > a) ? b : a) }')
done
rate_file=${KEFU_STORM_RATE_FILE:-}
if [ -n "$rate_file" ] && [ -s "$rate_file" ]; then
    kefu=$(cat "$rate_file")
    awk -v k="$kefu" -v p="$best" 'BEGIN { printf "    kefu %.0f/s (bench_storm, one estate, flat out, every effect landed) / PostgreSQL %.0f/s (its best): %.2f (goal 3)\n", k, p, (p > 0 ? k / p : 0) }'
fi
