#!/bin/bash
# `make fuzz`: every fuzz target for FUZZ_TIME seconds (default 600), one after the other, each on
# its own corpus under $OUTPUT/fuzz (kept between runs) and its seeds; a crash does not stop the
# others. Artifacts: $OUTPUT/fuzz/artifacts/TARGET-*. Ends with one line per target and fails when
# any failed. FUZZ_TARGETS: some of them (default "trace histfile http render").
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUTPUT=${OUTPUT:-$ROOT/build}
FUZZ_TIME=${FUZZ_TIME:-600}
FUZZ_TARGETS=${FUZZ_TARGETS:-trace histfile http render}
f=$OUTPUT/fuzz
mkdir -p "$f/artifacts"
# Trace renderers start from the generator's scenarios (every record type and flag, hostile names,
# timestamps at 0 and far ahead, an empty recording) in small chunks.
mkdir -p "$f/corpus-render"
for s in golden top names ts0 future empty; do
	"$OUTPUT/tests/top_trace_gen" -o "$f/corpus-render/seed-$s" --scenario "$s" -s 1 \
		--chunk-bytes 4096 || { echo "fuzz: top_trace_gen --scenario $s failed" >&2; exit 1; }
done
summary=() st=0
for t in $FUZZ_TARGETS; do
	case $t in trace | histfile | http | render) ;; *) echo "fuzz: no target $t" >&2; exit 2 ;; esac
	seeds=$ROOT/tests/fuzz/corpus/$t dict=$ROOT/tests/fuzz/$t.dict extra=()
	[ -d "$seeds" ] || seeds=
	[ "$t" = render ] && dict=$ROOT/tests/fuzz/trace.dict extra=(-close_fd_mask=3)
	mkdir -p "$f/corpus-$t"
	echo "=== fuzz_$t, $FUZZ_TIME s"
	"$f/fuzz_$t" -max_total_time="$FUZZ_TIME" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-dict="$dict" "${extra[@]}" -artifact_prefix="$f/artifacts/$t-" "$f/corpus-$t" \
		${seeds:+"$seeds"} >"$f/$t.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$f/$t.log" | tail -n 1)
	if [ $rc -eq 0 ]; then
		summary+=("fuzz_$t: clean, ${runs:-?} inputs in $FUZZ_TIME s")
	else
		st=1
		summary+=("fuzz_$t: FAILED (status $rc, log $f/$t.log)")
		grep -m1 -A12 -E "ERROR|deadly|runtime error" "$f/$t.log"
	fi
done
printf '%s\n' "${summary[@]}"
exit $st
