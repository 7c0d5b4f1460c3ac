#!/bin/bash
# hmmtrace hist on any machine: histogram files from a synthetic recording with known contents
# (tests/top_trace_gen.c: 705 hmm_range_fault calls, 675 ok and 30 -EBUSY, 64 pages each, 675
# chains, 30 retries, 7 records lost), written, read back and merged: counts add exactly, slot by
# slot; then damaged and foreign files and bad usage. (Live counting: tests/cases/lab-fleet.sh.)
. "$(dirname "$0")/../lib.sh"
ht=$OUTPUT/hmmtrace
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
[ -x "$OUTPUT/tests/top_trace_gen" ] || { fail "tests/top_trace_gen not built"; finish; }
"$OUTPUT/tests/top_trace_gen" -o "$dir/t.trace" || { fail "top_trace_gen failed"; finish; }

"$ht" hist -i "$dir/t.trace" --json >"$dir/a.json" 2>"$dir/a.err"
expect_status "hist -i --json" $? 0
q() { jq -r "$2" "$1"; }
expect_eq "calls" "$(q "$dir/a.json" .counters.fault_calls)" 705
expect_eq "ok" "$(q "$dir/a.json" .counters.fault_result_ok)" 675
expect_eq "ebusy" "$(q "$dir/a.json" .counters.fault_result_ebusy)" 30
expect_eq "pages" "$(q "$dir/a.json" .counters.fault_pages)" $((705 * 64))
expect_eq "chains" "$(q "$dir/a.json" .counters.chains)" 675
expect_eq "retries" "$(q "$dir/a.json" .counters.chain_retries)" 30
expect_eq "lost" "$(q "$dir/a.json" .counters.ringbuf_drops)" 7
expect_eq "fault histogram count" "$(q "$dir/a.json" '[.hists[] | select(.metric == "fault_ns") | .count] | add')" 705
expect_eq "chain histogram count" "$(q "$dir/a.json" '[.hists[] | select(.metric == "chain_ns") | .count] | add')" 675
expect_eq "drivers named from the recording" \
	"$(q "$dir/a.json" '[.hists[] | select(.metric == "fault_ns") | .driver] | unique | join(",")')" "nouveau,test_hmm"

"$ht" hist -i "$dir/t.trace" -o "$dir/a.hist" 2>"$dir/w.err"
expect_status "hist -i -o" $? 0
expect_match "hist -o says what it wrote" "$(cat "$dir/w.err")" "wrote .*a.hist"
cp "$dir/a.hist" "$dir/b.hist"
"$ht" hist merge --json "$dir/a.hist" >"$dir/one.json"
expect_status "merge of one file" $? 0
expect_eq "one file = the recording's report" \
	"$(jq -S '{counters, hists}' "$dir/one.json" | md5sum)" "$(jq -S '{counters, hists}' "$dir/a.json" | md5sum)"
"$ht" hist merge --json "$dir/a.hist" "$dir/b.hist" >"$dir/two.json"
expect_status "merge of two files" $? 0
expect_eq "merge: hosts" "$(q "$dir/two.json" .hosts)" 2
expect_eq "merge: calls doubled" "$(q "$dir/two.json" .counters.fault_calls)" 1410
expect_eq "merge: every slot doubled" \
	"$(jq -c '[.hists[] | .slots | map_values(. * 2)]' "$dir/a.json")" "$(jq -c '[.hists[] | .slots]' "$dir/two.json")"
expect_eq "merge: percentiles unchanged by doubling" \
	"$(jq -c '[.hists[] | [.p50, .p99, .max]]' "$dir/a.json")" "$(jq -c '[.hists[] | [.p50, .p99, .max]]' "$dir/two.json")"
"$ht" hist merge -o "$dir/m.hist" "$dir/a.hist" "$dir/b.hist" 2>/dev/null
expect_status "merge -o" $? 0
"$ht" hist merge --json "$dir/m.hist" "$dir/a.hist" >"$dir/three.json"
expect_eq "a merged file merges again: hosts" "$(q "$dir/three.json" .hosts)" 3
expect_eq "a merged file merges again: calls" "$(q "$dir/three.json" .counters.fault_calls)" 2115
out=$("$ht" hist merge "$dir/a.hist" "$dir/b.hist"); rc=$?
expect_status "text report" $rc 0
expect_match "text report" "$out" "hmm_range_fault calls 1410 \(ok 1350, -EBUSY 60"
expect_match "text report: percentiles" "$out" "fault_ns ok +test_hmm +1250 "

# Damaged, foreign, missing files and bad usage: a message and a non-zero status, no crash.
cp "$dir/a.hist" "$dir/bad.hist"
printf 'X' | dd of="$dir/bad.hist" bs=1 seek=3000 conv=notrunc 2>/dev/null
out=$("$ht" hist merge "$dir/a.hist" "$dir/bad.hist" 2>&1); rc=$?
expect_status "damaged file" $rc 1
expect_match "damaged file" "$out" "bad.hist: damaged \(size or CRC does not match\)"
head -c 1000 "$dir/a.hist" >"$dir/short.hist"
out=$("$ht" hist merge "$dir/short.hist" 2>&1); rc=$?
expect_status "truncated file" $rc 1
expect_match "truncated file" "$out" "damaged"
out=$("$ht" hist merge "$dir/t.trace" 2>&1); rc=$?
expect_status "a trace is not a histogram file" $rc 1
expect_match "a trace is not a histogram file" "$out" "not a histogram file"
out=$("$ht" hist merge /nonexistent.hist 2>&1); rc=$?
expect_status "missing file" $rc 1
expect_match "missing file" "$out" "No such file"
out=$("$ht" hist merge 2>&1); rc=$?
expect_status "merge without files" $rc 2
out=$("$ht" hist -i "$dir/t.trace" -d 5 2>&1); rc=$?
expect_status "-i with -d" $rc 2
out=$("$ht" hist extra 2>&1); rc=$?
expect_status "stray argument" $rc 2
expect_match "stray argument" "$out" "did you mean 'hist merge'"
out=$("$ht" hist -i "$dir/a.hist" 2>&1); rc=$?
expect_status "-i with a histogram file" $rc 1
out=$("$ht" hist -d abc 2>&1); rc=$?
expect_status "bad duration" $rc 2
"$ht" hist --help | grep -q "hist merge" && echo "ok: --help" || fail "--help"
finish
