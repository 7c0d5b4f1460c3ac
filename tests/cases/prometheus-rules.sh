#!/bin/bash
# contrib/prometheus/hmmscope.rules.yml: promtool check rules (syntax, templates), then
# promtool test rules with tests/prometheus/hmmscope.rules.test.yml (each alert on series that
# fire and series that must not; the recorded p99 of merged buckets). The tests must also bite:
# rules with a guard removed fail them. The lab half (a real Prometheus, the storm) is
# tests/cases/lab-fleet.sh.
. "$(dirname "$0")/../lib.sh"

command -v promtool >/dev/null || { fail "promtool not installed: run 'make deps' (prometheus)"; finish; }
rules=$ROOT/contrib/prometheus/hmmscope.rules.yml
tests=$ROOT/tests/prometheus/hmmscope.rules.test.yml

out=$(promtool check rules "$rules" 2>&1)
expect_status "promtool check rules ($out)" $? 0
expect_match "rules found" "$out" "SUCCESS: 7 rules found"
out=$(promtool test rules "$tests" 2>&1)
expect_status "promtool test rules" $? 0
echo "$out"
# Every alert of the rules file is tested.
for a in $(sed -n 's/^ *- alert: //p' "$rules"); do
	expect_match "alert $a has tests" "$(cat "$tests")" "alertname: $a\$"
done

# Mutants: the same tests against rules with one guard taken out must fail.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/contrib/prometheus" "$tmp/tests/prometheus"
cp "$tests" "$tmp/tests/prometheus/"
mutant() { # WHAT SED-EXPRESSION
	sed "$2" "$rules" >"$tmp/contrib/prometheus/hmmscope.rules.yml"
	if cmp -s "$rules" "$tmp/contrib/prometheus/hmmscope.rules.yml"; then
		fail "mutant '$1': the sed expression changed nothing"
		return
	fi
	if promtool test rules "$tmp/tests/prometheus/hmmscope.rules.test.yml" >"$tmp/out" 2>&1; then
		fail "mutant '$1' passes the tests"
	else
		echo "ok: mutant '$1' fails the tests"
	fi
}
mutant "storm without the share of calls" 's/> 0.01 \* sum by/> 0 * sum by/'
mutant "storm without the minimum rate" 's/{result="ebusy"}\[5m\])) > 1$/{result="ebusy"}[5m])) > 0/'
mutant "stall at the wrong bound" 's/le="1.073741824"/le="0.536870912"/'
mutant "absent attach points alerted" 's/state=~"denied|failed"/state=~"denied|failed|absent"/'
mutant "p99 per instance" 's/sum by (job, driver, le)/sum by (job, instance, driver, le)/'
mutant "stayed over moved only" 's/rate(hmm_migrate_pages_total\[15m\])/rate(hmm_migrate_pages_total{outcome="moved"}[15m])*100/'
finish
