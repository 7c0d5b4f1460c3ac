#!/bin/bash
# Run every test case in tests/cases (or the ones named), one at a time, and end with the line
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

pass=0 fail=0 skip=0 failed=()
for c in "${cases[@]}"; do
	name=$(basename "$c" .sh)
	case "$c" in */tests/unit/*) name=unit/$name ;; esac
	[ -x "$c" ] || { echo "FAIL $name (missing or not executable: $c)"; fail=$((fail + 1)); continue; }
	start=$(date +%s)
	mkdir -p "$(dirname "$logs/$name.log")"
	"$c" >"$logs/$name.log" 2>&1 </dev/null
	rc=$?
	t=$(($(date +%s) - start))
	case $rc in
	0) pass=$((pass + 1)); printf 'ok   %-32s %4ss\n' "$name" "$t" ;;
	77) skip=$((skip + 1)); printf 'skip %-32s %4ss  %s\n' "$name" "$t" "$(tail -n 1 "$logs/$name.log")" ;;
	*)
		fail=$((fail + 1)); failed+=("$name")
		printf 'FAIL %-32s %4ss  (status %d, log %s)\n' "$name" "$t" "$rc" "$logs/$name.log"
		tail -n 30 "$logs/$name.log" | sed 's/^/     | /'
		;;
	esac
done
[ ${#failed[@]} -eq 0 ] || echo "failed: ${failed[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
