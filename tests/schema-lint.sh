#!/bin/sh
# Schema rules that protoc does not check:
#   - every field carries a comment on its line (the schema is the reference
#     for the wire, the stores and the JSON API);
#   - proto2 only, package kf;
#   - every envelope body is named <domain>_<event> (the event kind rule).
# Prints one closing line; exits non-zero on any breach.
set -u
failed=0
fields=0
for f in proto/*.proto; do
    grep -q '^syntax = "proto2";' "$f" || { echo "$f: not proto2" >&2; failed=$((failed + 1)); }
    grep -q '^package kf;' "$f" || { echo "$f: not package kf" >&2; failed=$((failed + 1)); }
    # A field: [label] type name = number; (oneof members have no label).
    out=$(awk -v file="$f" '
        # A message written on one line hides its fields from the comment rule.
        /^[ \t]*message[ \t].*=[ \t]*[0-9]+[ \t]*;/ {
            n++
            print file ":" NR ": put the fields of a one-line message on lines of their own: " $0
            next
        }
        /^[ \t]*(optional|repeated|required)?[ \t]*[A-Za-z_][A-Za-z0-9_.]*[ \t]+[a-z_][a-z0-9_]*[ \t]*=[ \t]*[0-9]+[ \t]*;/ {
            if ($0 ~ /^[ \t]*(enum|reserved|option)[ \t]/) next
            if ($0 ~ /^[ \t]*[A-Z][A-Z0-9_]*[ \t]*=/) next    # an enum value
            n++
            if ($0 !~ /\/\//) print file ":" NR ": field without a comment: " $0
        }
        END { print "FIELDS " n+0 }' "$f")
    fields=$((fields + $(printf '%s\n' "$out" | sed -n 's/^FIELDS //p')))
    bad=$(printf '%s\n' "$out" | grep -v '^FIELDS ' || true)
    if [ -n "$bad" ]; then
        printf '%s\n' "$bad" >&2
        failed=$((failed + $(printf '%s\n' "$bad" | wc -l)))
    fi
done
# Envelope bodies: <domain>_<event>, with a known domain.
bodies=$(sed -n '/oneof body/,/^  }/p' proto/envelope.proto | sed -n 's/^ *[A-Za-z]* \([a-z_]*\) = [0-9]*;.*/\1/p')
for b in $bodies; do
    case "$b" in
        ticket_*|order_*|staff_*|sla_*|escalation_*|visit_*|evaluation_*|report_*|invoice_*|payment_*|reminder_*|unit_*|household_*|deadline_*|desk_*|violation_*|renovation_*|round_*|notification_*) ;;
        *) echo "proto/envelope.proto: body '$b' is not <domain>_<event>" >&2; failed=$((failed + 1)) ;;
    esac
done
echo "schema: $((fields - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
