# Helpers for tests/cases/*.sh: assertions that say what they expected and what they got.
# shellcheck shell=bash
set -uo pipefail
ROOT=${HMMSCOPE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
OUTPUT=${OUTPUT:-$ROOT/build}
LAB=$ROOT/tests/vm
# LAB_ONLY="6.1": run the lab cases on one kernel (both by default).
T_FAILS=0

fail() { echo "FAIL: $*"; T_FAILS=$((T_FAILS + 1)); }
skip() { echo "SKIP: $*"; exit 77; }
finish() { [ "$T_FAILS" -eq 0 ] && echo "all assertions held" && exit 0; echo "$T_FAILS assertion(s) failed"; exit 1; }

# expect_eq WHAT ACTUAL EXPECTED
expect_eq() {
	if [ "$2" == "$3" ]; then echo "ok: $1 = $3"; else fail "$1: expected '$3', got '$2'"; fi
}
# expect_ge WHAT ACTUAL MIN
expect_ge() {
	if [[ $2 =~ ^-?[0-9]+$ ]] && [ "$2" -ge "$3" ]; then echo "ok: $1 = $2 >= $3"
	else fail "$1: expected >= $3, got '$2'"; fi
}
# expect_match WHAT TEXT REGEX
expect_match() {
	if grep -Eq -- "$3" <<<"$2"; then echo "ok: $1 matches /$3/"
	else fail "$1: expected /$3/ in: $(head -c 400 <<<"$2")"; fi
}
# expect_status WHAT ACTUAL EXPECTED
expect_status() { expect_eq "$1 exit status" "$2" "$3"; }

# kv FILE KEY: the value of a `key=value` line (the workload generator's totals format).
kv() { sed -n "s/^$2=//p" "$1" | tr -d '\r' | tail -n 1; }

# lab_ready VERSION: skip unless the lab kernel and image exist (make check builds both).
lab_ready() {
	local kdir before=$T_FAILS
	kdir=$("$LAB/labinfo.sh" kernel "$1")
	[ -f "$kdir/bzImage" ] || fail "lab kernel $1 not built ($kdir): run 'make lab'"
	[ -f "$OUTPUT/lab/initramfs.cpio.gz" ] || fail "lab image not built: run 'make lab'"
	[ "$T_FAILS" -eq "$before" ] || finish
}

# fuzz_case NAME SECONDS: build $OUTPUT/fuzz/fuzz_NAME (libFuzzer, ASan, UBSan), replay the seed
# corpus tests/fuzz/corpus/NAME (a failing seed is a plain bug), then fuzz for FUZZ_SECONDS
# (default SECONDS) with tests/fuzz/NAME.dict; any crash, leak, sanitizer report or timeout fails,
# and so do fewer than FUZZ_MIN_RUNS (1000) inputs tried. Skips only where clang's libFuzzer
# runtime is missing. A case may define fuzz_seeds DIR (more seeds, made at run time), and set
# FUZZ_DICT (another dictionary) and FUZZ_ARGS (more libFuzzer flags, an array).
fuzz_case() {
	local name=$1 secs=${FUZZ_SECONDS:-$2} clang=${CLANG:-clang} fuzzer=$OUTPUT/fuzz/fuzz_$1
	local rt work rc runs
	command -v "$clang" >/dev/null || skip "no $clang"
	rt=$("$clang" -print-resource-dir 2>/dev/null)/lib/linux/libclang_rt.fuzzer-$(uname -m).a
	[ -f "$rt" ] || skip "clang's libFuzzer runtime is missing ($rt): apt-get install libclang-rt-14-dev"
	make -s -C "$ROOT" OUTPUT="$OUTPUT" "$fuzzer" || { fail "building $fuzzer"; finish; }
	work=$(mktemp -d)
	# shellcheck disable=SC2064 # expand now: work is local
	trap "rm -rf '$work'" EXIT
	mkdir -p "$work/corpus" "$OUTPUT/fuzz/artifacts"
	[ -d "$ROOT/tests/fuzz/corpus/$name" ] && cp "$ROOT/tests/fuzz/corpus/$name"/* "$work/corpus/"
	declare -F fuzz_seeds >/dev/null && fuzz_seeds "$work/corpus"
	TMPDIR=$work "$fuzzer" -runs=0 ${FUZZ_ARGS[@]+"${FUZZ_ARGS[@]}"} "$work/corpus" \
		>"$work/seeds.log" 2>&1
	rc=$?
	expect_status "the seed corpus replays" $rc 0
	[ $rc -eq 0 ] || tail -n 25 "$work/seeds.log"
	TMPDIR=$work "$fuzzer" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -dict="${FUZZ_DICT:-$ROOT/tests/fuzz/$name.dict}" \
		${FUZZ_ARGS[@]+"${FUZZ_ARGS[@]}"} \
		-artifact_prefix="$OUTPUT/fuzz/artifacts/$name-" "$work/corpus" >"$work/fuzz.log" 2>&1
	rc=$?
	tail -n 25 "$work/fuzz.log"
	expect_status "fuzz_$name for ${secs}s" $rc 0
	if [ $rc -ne 0 ]; then
		echo "reproduce: $fuzzer $(grep -o "$OUTPUT/fuzz/artifacts/[^ ]*" "$work/fuzz.log" | tail -n 1)"
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log")
	expect_ge "inputs tried" "${runs:-0}" "${FUZZ_MIN_RUNS:-1000}"
	finish
}
