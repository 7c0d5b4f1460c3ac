#!/bin/bash
# Run every test case in tests/cases (or the ones named), in two lanes (below), and end with the line
# `N passed, N failed, N skipped`. A case passes with status 0, is skipped with 77, fails otherwise.
# Logs: $OUTPUT/test-logs/NAME.log; a failing case's log tail is printed.
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
# the two overlap; run alone, the host cases add about a third to the time. TEST_JOBS=1: one lane,
# in the order above.
jobs=${TEST_JOBS:-$(($(nproc) >= 2 ? 2 : 1))}
results=$logs/.results
: >"$results"

# run_case CASE: run one case, print its line (and a failure's log tail) under a lock, so that the
# lanes' lines do not mix, and append "RESULT NAME" to $results.
run_case() {
	local c=$1 name start rc t line
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

lab=() host=()
for c in "${cases[@]}"; do
	case "$(basename "$c")" in lab-* | runner-*) lab+=("$c") ;; *) host+=("$c") ;; esac
done
if [ "$jobs" -ge 2 ] && [ ${#lab[@]} -gt 0 ] && [ ${#host[@]} -gt 0 ]; then
	run_lane "${lab[@]}" &
	lane=$!
	run_lane "${host[@]}"
	wait "$lane"
else
	run_lane "${cases[@]}"
fi

pass=$(grep -c '^pass ' "$results") fail=$(grep -c '^fail ' "$results") skip=$(grep -c '^skip ' "$results")
failed=$(sed -n 's/^fail //p' "$results" | tr '\n' ' ')
[ -z "$failed" ] || echo "failed: ${failed% }"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
