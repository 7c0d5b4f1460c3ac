#!/bin/bash
# Fuzz every renderer of the tools (tests/fuzz/fuzz_render.c: hmmtrace report, dump -i, export,
# heatmap, hist -i, diff and hmmtop's model on arbitrary trace bytes, CRC checks off so that hostile
# field values reach them; libFuzzer, ASan, UBSan) for a bounded time, from seeds top_trace_gen
# makes here: the golden, top and hostile scenarios (names with control bytes, timestamps at 0 and
# a century ahead, an empty recording). Any crash, leak, sanitizer report or timeout fails.
# Each input runs ten commands: at least 300 inputs are asked for.
. "$(dirname "$0")/../lib.sh"
fuzz_seeds() {
	make -s -C "$ROOT" OUTPUT="$OUTPUT" "$OUTPUT/tests/top_trace_gen" || return 1
	for s in top names ts0 future empty; do
		"$OUTPUT/tests/top_trace_gen" -o "$1/seed-$s" --scenario $s -s 1 --chunk-bytes 4096 || return 1
	done
}
FUZZ_DICT=$ROOT/tests/fuzz/trace.dict
FUZZ_ARGS=(-close_fd_mask=3 -max_len=8192)
FUZZ_MIN_RUNS=300
fuzz_case render 60
