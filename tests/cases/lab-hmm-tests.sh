#!/bin/bash
# The kernel's own HMM selftest (hmm-tests, built from each lab kernel's source package) in the lab,
# on the four lab kernels: the run the lab session makes (tests/lab/session.sh), under record and
# dump --stats (lab-record and lab-core check those). Which tests pass is recorded per kernel in
# tests/lab/hmm-tests.expected, with the reason for each failing one: a test that newly fails, or
# a known failure that starts passing, fails this case (the second so the expectations file never
# goes stale).
. "$(dirname "$0")/../lib.sh"
expected=$ROOT/tests/lab/hmm-tests.expected

for v in ${LAB_ONLY:-$LAB_ALL}; do
	echo "== lab kernel $v"
	dir=$(lab_session "$v")
	expect_eq "$v: lab session" "$(cat "$dir/status")" 0
	log=$dir/out/hmm-tests/hmm-tests.log
	[ -f "$log" ] || { fail "$v: no hmm-tests output"; continue; }
	ran=$(grep -cE '^(ok|not ok) [0-9]+ ' "$log")
	planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$log" | head -n 1)
	expect_eq "$v: tests run" "$ran" "$planned"
	failed=$(sed -n 's/^not ok [0-9]* hmm[^.]*\.\([^ ]*\).*/\1/p' "$log" | sort -u | tr '\n' ' ')
	known=$(awk -v v="$v" '$1 == v && $2 == "fail" { print $3 }' "$expected" | sort -u | tr '\n' ' ')
	expect_eq "$v: failing tests" "$failed" "$known"
	want=$(awk -v v="$v" '$1 == v && $2 == "pass-count" { print $3 }' "$expected")
	expect_eq "$v: passing tests" "$(grep -cE '^ok [0-9]+ ' "$log")" "$want"
	grep -E '^# (Totals|PASSED|FAILED)' "$log"
	cat "$dir/out/hmm-tests/time"
done
finish
