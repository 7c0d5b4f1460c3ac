#!/bin/bash
# Round trips and thrashing on a synthetic recording (tests/top_trace_gen --scenario golden: in
# each of its 3 seconds, alpha's range on test_hmm makes 4 round trips, thrashing from the third,
# and beta's on nouveau one, never thrashing): report's totals and ranges, text and --json, dump's
# records and counts, the exact numbers.
. "$(dirname "$0")/../lib.sh"

ht=$OUTPUT/hmmtrace gen=$OUTPUT/tests/top_trace_gen
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
"$gen" -o g.hmmtrace --scenario golden || fail "top_trace_gen"

"$ht" report -i g.hmmtrace --json >r.json 2>err.txt
expect_status "report --json" $? 0
rt() { jq -r "$1" r.json; }
expect_eq "round trips" "$(rt '.round_trips.count')" 15
expect_eq "ranges" "$(rt '.round_trips.ranges')" 2
expect_eq "became thrashing (once a second)" "$(rt '.round_trips.became_thrashing')" 3
# alpha: 12 round trips of 64 pages, 40+41+42+43 us each second
expect_eq "range 1" "$(rt '.round_trips.top_ranges[0] | [.start, .owner.pid, .owner.comm, .driver,
	.round_trips, .max_in_window, .thrashing, .pages, .migrating_ns] | @tsv')" \
	"$(printf '0x7f3e90000000\t1001\talpha\ttest_hmm\t12\t4\ttrue\t768\t498000')"
expect_eq "range 2" "$(rt '.round_trips.top_ranges[1] | [.start, .owner.pid, .owner.comm, .driver,
	.round_trips, .max_in_window, .thrashing, .pages, .migrating_ns] | @tsv')" \
	"$(printf '0x7f3ea0000000\t1002\tbeta\tnouveau\t3\t1\tfalse\t192\t132000')"
expect_eq "no third range" "$(rt '.round_trips.top_ranges | length')" 2

"$ht" report -i g.hmmtrace >r.txt 2>/dev/null
expect_status "report" $? 0
expect_eq "text: the totals" "$(grep '^round trips:' r.txt)" \
	"round trips: 15 on 2 ranges, 3 became thrashing"
expect_eq "text: range 1" "$(grep '^  0x7f3e90000000' r.txt | tr -s ' ')" \
	" 0x7f3e90000000 1001 alpha test_hmm 12 4 768 498us thrashing"
expect_eq "text: range 2" "$(grep '^  0x7f3ea0000000' r.txt | tr -s ' ')" \
	" 0x7f3ea0000000 1002 beta nouveau 3 1 192 132us"

"$ht" dump -i g.hmmtrace --json >d.json 2>/dev/null
expect_status "dump --json" $? 0
expect_eq "dump: round_trip records" "$(jq -s '[.[] | select(.type == "round_trip")] | length' d.json)" 15
expect_eq "dump: thrashing ones" \
	"$(jq -s '[.[] | select(.type == "round_trip" and .thrashing)] | length' d.json)" 6
expect_eq "dump: became thrashing" \
	"$(jq -s '[.[] | select(.type == "round_trip" and .became_thrashing) | .trips] | unique' -c d.json)" \
	"[3]"
expect_eq "dump: the last of beta's" \
	"$(jq -s -c '[.[] | select(.type == "round_trip" and .owner.pid == 1002)] | last |
	  [.direction, .pages, .trips, .total, .legs_ns, .gap_ns, .driver, .start, .end]' d.json)" \
	'["to_system",64,1,3,44000,2004000,"nouveau","0x7f3ea0000000","0x7f3ea0200000"]'
"$ht" dump -i g.hmmtrace >d.txt 2>d.err
expect_eq "dump: the count line" "$(grep -o 'round_trip [0-9]*$' d.err)" "round_trip 15"
expect_eq "dump: a new thrashing range" "$(grep -c 'thrashing(new)' d.txt)" 3

# The histograms (hist) count each round trip once, by driver and the return's direction.
"$ht" hist -i g.hmmtrace --json >h.json 2>/dev/null
expect_eq "hist: round trips by driver" \
	"$(jq -c '[.hists[] | select(.metric == "round_trip_ns") | [.driver, .label, .count]]' h.json)" \
	'[["test_hmm","to_device",12],["nouveau","to_system",3]]'
expect_eq "hist: counters" "$(jq -c '[.counters.round_trips, .counters.thrashing]' h.json)" '[15,3]'
finish
