#!/bin/bash
# The kernel's own HMM selftest (hmm-tests, built from each lab kernel's source package) in the lab.
# Which tests pass is recorded per kernel in tests/lab/hmm-tests.expected, with the reason for each
# failing one: a test that newly fails, or a known failure that starts passing, fails this case
# (the second so the expectations file never goes stale).
. "$(dirname "$0")/../lib.sh"
expected=$ROOT/tests/lab/hmm-tests.expected

for v in ${LAB_ONLY:-6.1 6.12}; do
	echo "== lab kernel $v"
	lab_ready "$v"
	log=$(mktemp)
	"$LAB/run.sh" -q -k "$v" -t 900 -l "$log" "$ROOT/tests/lab/hmm-tests.sh"
	expect_status "$v: guest job" $? 0
	tr -d '\r' <"$log" >"$log.txt"
	ran=$(grep -cE '^(ok|not ok) [0-9]+ ' "$log.txt")
	planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$log.txt" | head -n 1)
	expect_eq "$v: tests run" "$ran" "$planned"
	failed=$(sed -n 's/^not ok [0-9]* hmm[^.]*\.\([^ ]*\).*/\1/p' "$log.txt" | sort -u | tr '\n' ' ')
	known=$(awk -v v="$v" '$1 == v && $2 == "fail" { print $3 }' "$expected" | sort -u | tr '\n' ' ')
	expect_eq "$v: failing tests" "$failed" "$known"
	want=$(awk -v v="$v" '$1 == v && $2 == "pass-count" { print $3 }' "$expected")
	expect_eq "$v: passing tests" "$(grep -cE '^ok [0-9]+ ' "$log.txt")" "$want"
	grep -E '^# (Totals|PASSED|FAILED)|hmm-tests: exit' "$log.txt"
	rm -f "$log" "$log.txt"
done
finish
