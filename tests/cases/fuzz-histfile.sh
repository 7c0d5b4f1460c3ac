#!/bin/bash
# Fuzz the histogram file reader and merge (tests/fuzz/fuzz_histfile.c: libFuzzer, ASan, UBSan) for
# a bounded time, starting from the seed corpus; any crash, leak, sanitizer report or timeout
# fails the case. Skipped only where clang's libFuzzer runtime is missing (libclang-rt-14-dev).
. "$(dirname "$0")/../lib.sh"
SECONDS_TO_RUN=${FUZZ_SECONDS:-30}
CLANG=${CLANG:-clang}
fuzzer=$OUTPUT/fuzz/fuzz_histfile

command -v "$CLANG" >/dev/null || skip "no $CLANG"
rt=$("$CLANG" -print-resource-dir 2>/dev/null)/lib/linux/libclang_rt.fuzzer-$(uname -m).a
[ -f "$rt" ] || skip "clang's libFuzzer runtime is missing ($rt): apt-get install libclang-rt-14-dev"

make -s -C "$ROOT" OUTPUT="$OUTPUT" "$fuzzer" || { fail "building $fuzzer"; finish; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$OUTPUT/fuzz/artifacts"
cp "$ROOT"/tests/fuzz/corpus/histfile/* "$work/corpus/"
# Seeds (valid files and past crashes) must pass before the fuzzer mutates them.
TMPDIR=$work "$fuzzer" -runs=0 "$work/corpus" >"$work/seeds.log" 2>&1
rc=$?
expect_status "the seed corpus replays" $rc 0
[ $rc -eq 0 ] || tail -n 25 "$work/seeds.log"

TMPDIR=$work "$fuzzer" -max_total_time="$SECONDS_TO_RUN" -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 -dict="$ROOT/tests/fuzz/histfile.dict" \
	-artifact_prefix="$OUTPUT/fuzz/artifacts/histfile-" "$work/corpus" >"$work/fuzz.log" 2>&1
rc=$?
tail -n 25 "$work/fuzz.log"
expect_status "fuzz_histfile for ${SECONDS_TO_RUN}s" $rc 0
if [ $rc -ne 0 ]; then
	echo "reproduce: $fuzzer $(grep -o "$OUTPUT/fuzz/artifacts/[^ ]*" "$work/fuzz.log" | tail -n 1)"
fi
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log")
expect_ge "inputs tried" "${runs:-0}" 1000
finish
