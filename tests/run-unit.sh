#!/bin/sh
# Run every cmocka test binary given (unit and integration); print one closing
# line with the number of test cases passed, failed and skipped. Exit non-zero when any binary fails
# (a crash or a sanitizer report counts as a failure of the whole binary).
set -u
passed=0
failed=0
skipped=0
broken=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "$@"; do
    "$t" >"$log" 2>&1
    rc=$?
    cat "$log"
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
    k=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
    skipped=$((skipped + ${k:-0}))
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    if [ "$rc" -ne 0 ]; then
        echo "FAILED: $t (exit $rc)" >&2
        broken=$((broken + 1))
        [ -z "$f" ] && failed=$((failed + 1))
    fi
done
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$broken" -eq 0 ]
