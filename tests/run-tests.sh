#!/bin/bash
# Run every test case in tests/cases (or the ones named), in two lanes (below), and end with the line
# `N passed, N failed, N skipped`. A case passes with status 0, is skipped with 77, fails otherwise.
# Logs: $OUTPUT/test-logs/NAME.log; a failing case's failed assertions (its FAIL: lines, ten at
# most) and its log's tail are printed.
set -uo pipefail
cd "$(dirname "$0")/.."
export OUTPUT=${OUTPUT:-$PWD/build}
# One lab session (one boot) per kernel for all the cases of this run (tests/lib.sh, lab_session).
export HMM_TEST_RUN=${HMM_TEST_RUN:-$$-$(date +%s)}
export HMMSCOPE_ROOT=$PWD
logs=$OUTPUT/test-logs
mkdir -p "$logs"

# Cases: the scripts in tests/cases, then the unit-test binaries (cmocka) that make built.
if [ $# -gt 0 ]; then
	cases=()
	for n in "$@"; do
		case "$n" in
		unit/*) cases+=("$OUTPUT/tests/$n") ;;
		*) cases+=("tests/cases/${n%.sh}.sh") ;;
		esac
	done
else
	cases=(tests/cases/*.sh)
	# NO_LAB=1 (make check SANITIZE=1): leave out what boots the lab VM.
	[ -n "${NO_LAB:-}" ] && mapfile -t cases < <(printf '%s\n' "${cases[@]}" | grep -vE '/(lab-|runner-|sanitize)')
	for u in "$OUTPUT"/tests/unit/test_*; do
		[ -x "$u" ] && [ "${u%.d}" = "$u" ] && cases+=("$u")
	done
fi

# Two lanes at once (TEST_JOBS, default 2 where there are 2 CPUs or more): the cases that boot
# the lab (lab-*, runner-*) one after another in one lane, every other case in the other. A lab
# guest keeps one or two host CPUs busy in bursts and the host cases are mostly single-threaded, so
# the two overlap (docs/HACKING.md has the times). TEST_JOBS=1: one lane, the lab cases, then the
# others.
jobs=${TEST_JOBS:-$(($(nproc) >= 2 ? 2 : 1))}
results=$logs/.results
: >"$results"

# run_case CASE: run one case, print its line (and a failure's log tail) under a lock, so that the
# lanes' lines do not mix, and append "RESULT NAME" to $results.
run_case() {
	local c=$1 name start rc t line failed
	name=$(basename "$c" .sh)
	case "$c" in */tests/unit/*) name=unit/$name ;; esac
	if [ ! -x "$c" ]; then
		line="FAIL $name (missing or not executable: $c)"$'\n'
		rc=1
	else
		start=$(date +%s)
		mkdir -p "$(dirname "$logs/$name.log")"
		"$c" >"$logs/$name.log" 2>&1 </dev/null
		rc=$?
		t=$(($(date +%s) - start))
		case $rc in
		0) line=$(printf 'ok   %-32s %4ss' "$name" "$t")$'\n' ;;
		77) line=$(printf 'skip %-32s %4ss  %s' "$name" "$t" "$(tail -n 1 "$logs/$name.log")")$'\n' ;;
		*)
			line=$(printf 'FAIL %-32s %4ss  (status %d, log %s)' "$name" "$t" "$rc" "$logs/$name.log")$'\n'
			# The failed assertions first (a long log's tail may not reach them), then the tail.
			failed=$(grep -a '^FAIL: ' "$logs/$name.log" | head -n 10 | sed 's/^/     ! /')
			[ -n "$failed" ] && line+=$failed$'\n'
			line+=$(tail -n 30 "$logs/$name.log" | sed 's/^/     | /')$'\n'
			;;
		esac
	fi
	{
		flock 9
		printf '%s' "$line"
		case $rc in 0) echo "pass $name" ;; 77) echo "skip $name" ;; *) echo "fail $name" ;; esac >>"$results"
	} 9>>"$results.lock"
}

run_lane() {
	local c
	for c in "$@"; do run_case "$c"; done
}

# The lab lane: the cases that boot the 6.x kernels only first, then the ones that share a boot of
# every kernel (lab_session), which must wait for all four kernels when they are being built.
lab=() late=() host=()
for c in "${cases[@]}"; do
	case "$(basename "$c" .sh)" in
	lab-core | lab-hmm-tests | lab-record | lab-workload) late+=("$c") ;;
	lab-* | runner-*) lab+=("$c") ;;
	*) host+=("$c") ;;
	esac
done
lab+=(${late[@]+"${late[@]}"})

# make check (HMM_LAB_BUILD=1) leaves the lab kernels to this run: they build in the background,
# 6.x first, so the lab cases that need only those run while 5.10 and 7.3 build, and the host
# lane runs all along; a lab case waits for the kernel it needs (lab_ready). With the kernels in
# the cache each is ready at once.
builder=
if [ -n "${HMM_LAB_BUILD:-}" ] && [ ${#lab[@]} -gt 0 ]; then
	: >"$logs/lab-kernels.log"
	(
		s=$(date +%s)
		for v in ${LAB_BUILD_ORDER:-6.1 6.12 5.10 7.3}; do
			if tests/vm/build-kernel.sh "$v" >/dev/null 2>>"$logs/lab-kernels.log"; then
				line="lab kernel $v ready after $(($(date +%s) - s)) s"
			else
				line="lab kernel $v: the build failed (log: $logs/lab-kernels.log)"
			fi
			{ flock 9; echo "$line"; } 9>>"$results.lock"
		done
	) &
	builder=$!
fi

if [ "$jobs" -ge 2 ] && [ ${#lab[@]} -gt 0 ] && [ ${#host[@]} -gt 0 ]; then
	run_lane "${lab[@]}" &
	lane=$!
	run_lane "${host[@]}"
	wait "$lane"
else
	run_lane ${lab[@]+"${lab[@]}"} ${host[@]+"${host[@]}"}
fi
[ -z "$builder" ] || wait "$builder"

pass=$(grep -c '^pass ' "$results") fail=$(grep -c '^fail ' "$results") skip=$(grep -c '^skip ' "$results")
failed=$(sed -n 's/^fail //p' "$results" | tr '\n' ' ')
[ -z "$failed" ] || echo "failed: ${failed% }"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
