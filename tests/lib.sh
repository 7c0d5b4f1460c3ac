# Helpers for tests/cases/*.sh: assertions that say what they expected and what they got.
# shellcheck shell=bash
set -uo pipefail
ROOT=${HMMSCOPE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
OUTPUT=${OUTPUT:-$ROOT/build}
LAB=$ROOT/tests/vm
# LAB_ONLY="6.1": run the lab cases on that kernel only (each case's own list by default).
# The lab kernels every case that checks exact counts runs on (tests/vm/lib.sh builds them).
LAB_ALL="5.10 6.1 6.12 7.3"
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

# lab_ready VERSION: fail unless the lab kernel and image exist. Under make check
# (HMM_LAB_BUILD=1) a missing kernel is built here first: run-tests.sh's background builder may
# be at it already, and build-kernel.sh then waits for it (one lock per series).
lab_ready() {
	local kdir before=$T_FAILS
	if [ -n "${HMM_LAB_BUILD:-}" ]; then
		mkdir -p "$OUTPUT/test-logs"
		"$LAB/build-kernel.sh" "$1" >/dev/null 2>>"$OUTPUT/test-logs/lab-kernels.log" ||
			fail "building the $1 lab kernel failed (log: $OUTPUT/test-logs/lab-kernels.log)"
	fi
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

# The workloads of the lab session (tests/lab/session.sh), one word each: what lab-core and
# lab-record trace, the storm, stat's, and lab-workload's plain run. The generator skips what a
# kernel's test_hmm lacks and says so in its totals, which the checks follow.
SESSION_WORK="-m 100 --reads 4 --writes 3 --snapshots 2 --migrate 2 --migrate-sys 2 --soft-dirty 2
	--uffd-minor 4 --uffd-missing 3 --read-unlocked 2 --uffd-unlocked 1 --unlocked-timeout 1
	--migrate-thp 1 --evict 2"
SESSION_STORM="-m 512 --storm 100"
SESSION_STAT="-m 100 --reads 3 --writes 2 --migrate 2 --uffd-minor 3"
SESSION_PLAIN="-q -m 100 --reads 8 --writes 6 --snapshots 4 --migrate 3 --migrate-sys 3 --storm 20
	--exclusive 2 --soft-dirty 2 --uffd-minor 16 --uffd-missing 12"

# lab_session VERSION: the directory holding tests/lab/session.sh's outputs for the VERSION lab
# kernel (out/PART/..., console.log, status), run once per test run: run-tests.sh sets
# HMM_TEST_RUN, and the cases of one run share one boot per kernel; a case run alone boots its
# own. Skips (through lab_ready) unless the kernel and image exist.
lab_session() {
	local v=$1 dir=$OUTPUT/lab-session/$1 run=${HMM_TEST_RUN:-$$} lock
	lab_ready "$v"
	mkdir -p "$OUTPUT/lab-session"
	# One session per kernel at a time: another test run must not clobber this one's files.
	exec {lock}>"$OUTPUT/lab-session/.lock-$v"
	flock "$lock"
	if [ -f "$dir/status" ] && [ "$(cat "$dir/run" 2>/dev/null)" = "$run" ]; then
		exec {lock}>&-
		echo "$dir"
		return 0
	fi
	rm -rf "$dir"
	mkdir -p "$dir/out"
	echo "$run" >"$dir/run"
	echo "lab session on $v: one boot for lab-core, lab-record, lab-workload, lab-hmm-tests" >&2
	local start=$(date +%s)
	# shellcheck disable=SC2086 # unquoted on purpose: one line each (run.sh passes lines)
	"$LAB/run.sh" -q -k "$v" -t 2400 -m 2048 -o "$dir/out" -l "$dir/console.log" \
		"$ROOT/tests/lab/session.sh" "$(echo $SESSION_WORK)" "$(echo $SESSION_STORM)" \
		"$(echo $SESSION_STAT)" "$(echo $SESSION_PLAIN)" >/dev/null 2>"$dir/run.err"
	echo $? >"$dir/status"
	exec {lock}>&-
	echo "lab session on $v: status $(cat "$dir/status") after $(($(date +%s) - start)) s" >&2
	echo "$dir"
}

# The attach points, in the order of enum hmm_attach_point (bpf/hmmscope.h).
LAB_APS="hmm_range_fault mmu_interval_read_begin migrate_vma_setup migrate_vma_pages
	migrate_vma_finalize migrate_device_range migrate_device_pages migrate_device_finalize
	__mmu_notifier_invalidate_range_start __mmu_notifier_invalidate_range_end handle_userfault
	hmm_range_fault_unlocked_timeout migrate_device_pfns __x64_sys_ioctl"

# lab_absent VERSION: the attach points the VERSION lab kernel lacks, comma-separated in that
# order, or "none": what hmmtop's header lists as not live there.
lab_absent() {
	local f out=
	for f in $LAB_APS; do lab_kernel_has "$1" "$f" || out+=${out:+,}$f; done
	echo "${out:-none}"
}

# ver_ge VERSION MIN: VERSION (a lab kernel series) is MIN or later.
ver_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]; }

# lab_kernel_has VERSION FUNCTION: the lab kernel's vmlinux defines FUNCTION (its symbol table:
# a second opinion, beside BTF, on what probe must find).
lab_kernel_has() {
	local kdir f=$OUTPUT/lab-session/functions-$1
	kdir=$("$LAB/labinfo.sh" kernel "$1")
	if [ ! -s "$f" ] || [ "$f" -ot "$kdir/vmlinux" ]; then
		mkdir -p "$(dirname "$f")"
		nm "$kdir/vmlinux" | awk '$2 == "T" || $2 == "t" { print $3 }' >"$f"
	fi
	grep -qx -- "$2" "$f"
}
