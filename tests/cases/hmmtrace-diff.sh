#!/bin/bash
# hmmtrace diff on two synthetic recordings with known differences (tests/top_trace_gen: the top
# scenario as A, --scenario diff as B, 3 recorded seconds each): every line's exact values and
# the direction of its change, the order, the header (hosts, kernels, lost events, damage),
# --json, -o, --min-change, --limit, and bad input.
. "$(dirname "$0")/../lib.sh"

ht=$OUTPUT/hmmtrace gen=$OUTPUT/tests/top_trace_gen
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
"$gen" -o a.hmmtrace -s 3 --fixed-header || fail "top_trace_gen (A)"
"$gen" -o b.hmmtrace -s 3 --scenario diff --fixed-header --host lab-b --release 7.3.0-lab ||
	fail "top_trace_gen (B)"
"$gen" -o b-same.hmmtrace -s 3 --scenario diff --fixed-header || fail "top_trace_gen (B, A's host)"
"$gen" -o b-kernel.hmmtrace -s 3 --scenario diff --fixed-header --release 7.3.0-lab ||
	fail "top_trace_gen (B, A's host, another kernel)"

"$ht" diff a.hmmtrace b.hmmtrace --json >d.json 2>err.txt
expect_status "diff --json" $? 0
expect_eq "diff --json is valid JSON" "$(jq -e 'type' d.json)" '"object"'
expect_eq "diff --json: nothing on stderr" "$(cat err.txt)" ""

# line METRIC WHAT A B TREND: the line of METRIC (and direction, event, owner or driver WHAT, or
# "-") has exactly A and B (jq expressions: rates are computed as diff computes them, over the
# recordings' span of 2814001500 ns) and changes in that direction.
n_lines=0
line() {
	local got
	got=$(jq --arg m "$1" --arg w "$2" -r \
		".lines[] | select(.metric == \$m and ((.direction // .event // .owner // .driver // \"-\") == \$w))
		 | [.a == ($3), .b == ($4), .trend, .a, .b] | @tsv" d.json)
	expect_eq "$1 $2: A == $3, B == $4, $5" "$(cut -f1-3 <<<"$got")" "$(printf 'true\ttrue\t%s' "$5")"
	n_lines=$((n_lines + 1))
}
# faults per second: A 141 (10 of 1024 ns, 90 of 2048, 20 of 4096, 11 of 8192, 10 of 65536),
# B 150 (15 of 1024, 90 of 2048, 20 of 4096, 15 of 8192, 10 of 131072)
line fault_calls - 423 450 up
line fault_ns_p50 - 2048 2048 same
line fault_ns_p90 - 8192 8192 same
line fault_ns_p99 - 65536 131072 up
line fault_ns_p999 - 65536 131072 up
line fault_ns_max - 65536 131072 up
# chains: lone calls, and beta's chains (A: 4 of 20 us, 1 of 30 us per second; B: 5 of 30 us);
# 20 and 30 us as the upper bounds of their buckets, rounded up
line chain_ns_p50 - 2048 2048 same
line chain_ns_p90 - 21248 30049 up
line chain_ns_p99 - 65536 131072 up
line chain_ns_p999 - 65536 131072 up
line chain_ns_max - 65536 131072 up
line ebusy_per_call - 18/423 30/450 up
line retries - 18 30 up
# to the device: 12 migrations of 16 pages, 4 us each; A moved all, B half
line migrate_gb_per_s to_device '192*4096/48000' '96*4096/48000' down
line migrate_gb_per_s to_system '36*4096/24000' '36*4096/24000' same
line pages_moved to_device 192 96 down
line pages_moved to_system 36 36 same
line pages_stayed to_device 0 96 up
line pages_stayed to_system 12 12 same
line invalidations unmap 0 9 up
line invalidations clear 9 18 up
line invalidations migrate 36 18 down
line inval_per_s unmap 0 '9e9/2814001500' up
line inval_per_s clear '9e9/2814001500' '18e9/2814001500' up
line inval_per_s migrate '36e9/2814001500' '18e9/2814001500' down
line owner_faults alpha 300 300 same
line owner_faults beta 93 105 up
line owner_faults gamma 30 30 same
line owner_faults delta 0 15 up
line owner_time_ns alpha 2519040 4485120 up
line owner_time_ns beta 516096 614400 up
line owner_time_ns gamma 102720 102720 same
line owner_time_ns delta 0 15360 up
line driver_faults test_hmm 393 450 up
line driver_faults nouveau 30 0 down
line driver_time_ns test_hmm 3107136 5217600 up
line driver_time_ns nouveau 30720 0 down
expect_eq "every line asserted" "$(jq '.lines | length' d.json)" $n_lines
expect_eq "nothing left out" "$(jq .hidden d.json)" 0
expect_eq "0 -> n: change_pct null" "$(jq -c '[.lines[] | select(.a == 0) | .change_pct] | unique' d.json)" '[null]'
expect_eq "n -> 0: change_pct -100" "$(jq -c '[.lines[] | select(.b == 0) | .change_pct] | unique' d.json)" '[-100]'
expect_eq "p99 change_pct" "$(jq '.lines[] | select(.metric == "fault_ns_p99") | .change_pct' d.json)" 100
# Sorted by the size of the change as shown (to 0.1%), "new" first.
expect_eq "lines sorted by the largest change" \
	"$(jq '[.lines[] | if .change_pct == null then 1e300 else (.change_pct | fabs * 10 | round) end] | . == (sort | reverse)' d.json)" true
expect_eq "the first lines are the new ones" \
	"$(jq -c '[.lines[:4][] | .change_pct]' d.json)" '[null,null,null,null]'
# The header: both recordings, lost events, not the same machine.
expect_eq "a: file, host, kernel" "$(jq -r '[.a.file, .a.recording.host, .a.recording.kernel] | join(" ")' d.json)" \
	"a.hmmtrace golden-host 6.12.0-golden"
expect_eq "b: file, host, kernel" "$(jq -r '[.b.file, .b.recording.host, .b.recording.kernel] | join(" ")' d.json)" \
	"b.hmmtrace lab-b 7.3.0-lab"
expect_eq "lost events: A 7, B 3" "$(jq -c '[.a.lost, .b.lost]' d.json)" '[7,3]'
expect_eq "events" "$(jq -c '[.a.events, .b.events]' d.json)" '[501,528]'
expect_eq "durations" "$(jq -c '[.a.duration_ns, .b.duration_ns]' d.json)" '[2814001500,2814001500]'
expect_eq "same_host, same_kernel" "$(jq -c '[.same_host, .same_kernel]' d.json)" '[false,false]'
expect_eq "clean files" "$(jq -c '[.a.damage.clean, .b.damage.clean]' d.json)" '[true,true]'
expect_eq "histograms" "$(jq -c '[.a.latency_ns.count, .b.latency_ns.count, .b.chain_latency_ns.p99]' d.json)" \
	'[423,450,131072]'

# The same as text.
"$ht" diff a.hmmtrace b.hmmtrace >d.txt 2>err.txt
expect_status "diff" $? 0
t=$(cat d.txt)
expect_eq "text: A's header" "$(sed -n 1,4p d.txt)" "A: a.hmmtrace
   golden-host, kernel 6.12.0-golden, 4 CPUs
   501 events over 2.81s, lost 7 (the ring buffer was full: its counts are short)
   not live: handle_userfault (absent): "
expect_eq "text: B's header" "$(sed -n 5,7p d.txt)" "B: b.hmmtrace
   lab-b, kernel 7.3.0-lab, 4 CPUs
   528 events over 2.81s, lost 3 (the ring buffer was full: its counts are short)"
expect_match "text: the hosts and kernels differ" "$t" \
	'^note: different hosts \(golden-host, lab-b\) and kernels \(6.12.0-golden, 7.3.0-lab\)'
expect_match "text: columns" "$t" '^LINE +A +B +CHANGE$'
expect_match "text: new" "$t" '^pages stayed to_device +0 +96 +new$'
expect_match "text: gone" "$t" '^driver nouveau faults +30 +0 +gone$'
expect_match "text: a duration up" "$t" '^fault latency p99 +65\.5us +131us +\+100\.0%$'
expect_match "text: a rate up" "$t" '^-EBUSY per fault call +0\.0426 +0\.0667 +\+56\.7%$'
expect_match "text: GB/s down" "$t" '^migration GB/s to_device +16\.384 +8\.192 +-50\.0%$'
expect_match "text: a count by event" "$t" '^invalidations migrate +36 +18 +-50\.0%$'
expect_match "text: per second" "$t" '^invalidations/s migrate +12\.79 +6\.40 +-50\.0%$'
expect_match "text: an owner" "$t" '^owner alpha time +2\.52ms +4\.49ms +\+78\.0%$'
expect_match "text: same" "$t" '^owner gamma time +103us +103us +same$'
expect_eq "text: a line per JSON line" "$(sed -n '/^LINE/,$p' d.txt | tail -n +2 | wc -l)" $n_lines
expect_eq "text: the JSON's order" "$(sed -n '/^LINE/,$p' d.txt | sed -n 2p | sed 's/  .*//')" \
	"pages stayed to_device"

# Same host, or only another kernel: said (or not) accordingly.
t=$("$ht" diff a.hmmtrace b-same.hmmtrace)
expect_eq "same host and kernel: no note" "$(grep -c '^note:' <<<"$t")" 0
expect_eq "same host and kernel: JSON" \
	"$("$ht" diff a.hmmtrace b-same.hmmtrace --json | jq -c '[.same_host, .same_kernel]')" '[true,true]'
expect_match "another kernel only" "$("$ht" diff a.hmmtrace b-kernel.hmmtrace)" \
	'^note: different kernels \(6.12.0-golden, 7.3.0-lab\), the same host$'
# A recording against itself: every line the same.
"$ht" diff a.hmmtrace a.hmmtrace --json >self.json
expect_eq "A against A: every line the same" "$(jq -c '[.lines[].trend] | unique' self.json)" '["same"]'
expect_eq "A against A: change 0" "$(jq -c '[.lines[].change_pct] | unique' self.json)" '[0]'

# --min-change and --limit.
"$ht" diff a.hmmtrace b.hmmtrace --json --min-change 50 >m.json
expect_eq "--min-change 50: lines" "$(jq '.lines | length' m.json)" 23
expect_eq "--min-change 50: left out" "$(jq .hidden m.json)" 14
expect_eq "--min-change 50: the smallest change left" \
	"$(jq '[.lines[] | .change_pct // 1e300 | fabs] | min' m.json)" 50
expect_match "--min-change 50.5, text: what is left out is said" \
	"$("$ht" diff a.hmmtrace b.hmmtrace --min-change 50.5)" '^\(18 more lines left out: --min-change, --limit\)$'
expect_eq "--limit 3" "$("$ht" diff a.hmmtrace b.hmmtrace --json --limit 3 | jq -c '[(.lines | length), .hidden]')" \
	'[3,34]'
"$ht" diff a.hmmtrace b.hmmtrace --min-change -1 >/dev/null 2>err.txt
expect_status "--min-change -1" $? 2
"$ht" diff a.hmmtrace b.hmmtrace --limit x >/dev/null 2>err.txt
expect_status "--limit x" $? 2
expect_match "--limit x: says which" "$(cat err.txt)" "--limit: 'x' is not a number"

# -o: the file, written whole; nothing on standard output.
out=$("$ht" diff a.hmmtrace b.hmmtrace --json -o out.json)
expect_status "-o" $? 0
expect_eq "-o: nothing on standard output" "$out" ""
expect_eq "-o: the same document" "$(jq -c . out.json)" "$(jq -c . d.json)"
expect_eq "-o: no temporary file left" "$(ls out.json.* 2>/dev/null | wc -l)" 0
"$ht" diff a.hmmtrace b.hmmtrace -o nodir/out.txt 2>err.txt
expect_status "-o in a missing directory" $? 1
expect_match "-o in a missing directory: says why" "$(cat err.txt)" \
	"cannot create nodir/out.txt: No such file or directory"
"$ht" diff a.hmmtrace b.hmmtrace -o a.hmmtrace/out.txt 2>err.txt
expect_status "-o under a file" $? 1
expect_match "-o under a file: says why" "$(cat err.txt)" "cannot create a.hmmtrace/out.txt: Not a directory"

# Bad input: the file named, non-zero exit.
"$ht" diff a.hmmtrace 2>err.txt
expect_status "one file" $? 2
expect_match "one file: says so" "$(cat err.txt)" "diff: two recordings are needed, A and B"
"$ht" diff 2>err.txt
expect_status "no file" $? 2
"$ht" diff a.hmmtrace b.hmmtrace c.hmmtrace 2>err.txt
expect_status "three files" $? 2
expect_match "three files: says so" "$(cat err.txt)" "diff: unexpected argument 'c.hmmtrace'"
"$ht" diff a.hmmtrace missing.hmmtrace >out.txt 2>err.txt
expect_status "a missing file" $? 1
expect_match "a missing file: named" "$(cat err.txt)" "diff: cannot read missing.hmmtrace: No such file or directory"
expect_eq "a missing file: no output" "$(cat out.txt)" ""
echo "not a trace" >junk.hmmtrace
"$ht" diff junk.hmmtrace b.hmmtrace 2>err.txt
expect_status "not a trace file" $? 1
expect_match "not a trace file: named" "$(cat err.txt)" "diff: cannot read junk.hmmtrace: not an hmmtrace file"
head -c 1000 b.hmmtrace >header-cut.hmmtrace
"$ht" diff a.hmmtrace header-cut.hmmtrace 2>err.txt
expect_status "a header cut short" $? 1
expect_match "a header cut short: named" "$(cat err.txt)" "diff: cannot read header-cut.hmmtrace: not an hmmtrace file"
# Cut short after the header: read as report reads it, the loss warned about and in the header.
"$gen" -o long.hmmtrace -s 20 --chunk-bytes 4096 --fixed-header
head -c 9000 long.hmmtrace >cut.hmmtrace
"$ht" diff a.hmmtrace cut.hmmtrace >out.txt 2>err.txt
expect_status "a file cut short" $? 0
expect_match "a file cut short: warned" "$(cat err.txt)" "warning: cut.hmmtrace was not closed cleanly"
lost=$(sed -n 's/.*; \([0-9]*\) bytes after the last complete chunk were lost$/\1/p' err.txt)
expect_ge "a file cut short: bytes lost" "$lost" 1
expect_eq "a file cut short: in the header, as warned" \
	"$(sed -n '/^B: cut.hmmtrace$/,/^$/p' out.txt | tail -n +5 | head -n 1)" \
	"   not closed cleanly: $lost bytes after the last complete chunk lost"
expect_eq "a file cut short: JSON" \
	"$("$ht" diff a.hmmtrace cut.hmmtrace --json 2>/dev/null | jq -c '[.b.damage.clean, .b.damage.truncated_bytes]')" \
	"[false,$lost]"
# A damaged chunk in the middle (its CRC no longer matches): skipped, warned about, and in the
# header as warned; the rest is compared.
cp long.hmmtrace bad.hmmtrace
printf '\377\377\377\377' | dd of=bad.hmmtrace bs=1 seek=12000 conv=notrunc 2>/dev/null
"$ht" diff a.hmmtrace bad.hmmtrace >out.txt 2>err.txt
expect_status "a damaged chunk" $? 0
skipped=$(sed -n 's/.*warning: bad.hmmtrace: \([0-9]* damaged chunks ([0-9]* bytes)\) skipped$/\1/p' err.txt)
expect_match "a damaged chunk: warned" "$skipped" '^1 damaged chunks \([0-9]+ bytes\)$'
expect_eq "a damaged chunk: in the header, as warned" \
	"$(sed -n 's/^   damaged: \(.*\) skipped$/\1/p' out.txt)" "${skipped/ damaged/}"
expect_eq "a damaged chunk: JSON" \
	"$("$ht" diff a.hmmtrace bad.hmmtrace --json 2>/dev/null | jq -c '[.a.damage.bad_chunks, .b.damage.clean, .b.damage.bad_chunks, .b.damage.bad_chunk_bytes > 0]')" \
	"[0,true,1,true]"
expect_match "a damaged chunk: compared" "$(cat out.txt)" '^fault calls +423 +[0-9]+ +\+[0-9.]+%$'
# A long path is shown whole.
dir=$(printf 'd%.0s' $(seq 100))
long=$dir/$dir/$dir/a.hmmtrace
mkdir -p "${long%/*}" && cp a.hmmtrace "$long"
expect_eq "a long path: whole" "$("$ht" diff "$long" a.hmmtrace | sed -n 1p)" "A: $long"
finish
