#!/bin/sh
# run.sh regress BIN...   run each fuzz target over its seed corpus once
# run.sh fuzz BIN...      fuzz each target for FUZZ_SECONDS (default 60)
# A target is named fuzz_<name>; its seeds are in tests/fuzz/corpus/<name>/.
# Any crash, sanitizer report or leak fails the run.
set -u
mode=$1
shift
passed=0
failed=0
for bin in "$@"; do
    target=$(basename "$bin")
    target=${target#fuzz_}
    seeds=tests/fuzz/corpus/$target
    if [ ! -d "$seeds" ] || [ -z "$(ls -A "$seeds")" ]; then
        echo "fuzz: $target has no seed corpus in $seeds" >&2
        failed=$((failed + 1))
        continue
    fi
    if [ "$mode" = regress ]; then
        "$bin" "$seeds"/* >build/fuzz/$target.regress.log 2>&1
    else
        work=build/fuzz/corpus-$target
        mkdir -p "$work"
        echo "fuzz: $target for ${FUZZ_SECONDS:-60}s"
        "$bin" -max_total_time="${FUZZ_SECONDS:-60}" -print_final_stats=1 \
            -artifact_prefix=build/fuzz/crash-$target- "$work" "$seeds" \
            >build/fuzz/$target.log 2>&1
    fi
    rc=$?
    if [ $rc -eq 0 ]; then
        passed=$((passed + 1))
        [ "$mode" = fuzz ] && grep -E 'stat::number_of_executed_units|cov:' build/fuzz/$target.log | tail -n 2
    else
        failed=$((failed + 1))
        echo "fuzz: $target FAILED (exit $rc); the last lines of its log:" >&2
        tail -n 40 build/fuzz/$target*.log >&2
    fi
done
echo "fuzz $mode: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
