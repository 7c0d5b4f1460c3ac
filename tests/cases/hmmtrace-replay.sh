#!/bin/bash
# report, dump -i, export and heatmap on a synthetic recording with known contents
# (tests/top_trace_gen.c: five recorded seconds of three processes; its header lists the exact
# counts), on any machine; then damaged files, files that are not traces, and bad usage.
. "$(dirname "$0")/../lib.sh"
ht=$OUTPUT/hmmtrace
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
f=$dir/synthetic.hmmtrace
"$OUTPUT/tests/top_trace_gen" -o "$f" || { fail "top_trace_gen failed"; finish; }

"$ht" report -i "$f" --json >"$dir/r.json" 2>"$dir/r.err"
expect_status "report --json" $? 0
expect_eq "report warnings" "$(cat "$dir/r.err")" ""
rq() { jq -r "$1" "$dir/r.json"; }
# Per second: alpha 100 faults, beta 31 (6 -EBUSY in 5 chains), gamma 10; 5 seconds.
expect_eq "calls" "$(rq .faults.calls)" 705
expect_eq "ok" "$(rq .faults.results.ok)" 675
expect_eq "ebusy" "$(rq .faults.results.ebusy)" 30
expect_eq "pages (64 per call)" "$(rq .faults.pages)" $((705 * 64))
expect_eq "per-call latency count" "$(rq .faults.latency_ns.count)" 705
expect_eq "per-chain latency count (a lone call is a chain of one)" "$(rq .faults.chain_latency_ns.count)" 675
expect_eq "retry chains" "$(rq .retry_chains.chains)" 25
expect_eq "retries" "$(rq .retry_chains.retries)" 30
expect_eq "longest chain" "$(rq '.retry_chains.longest[0].attempts')" 3
expect_eq "longest chain's owner" "$(rq '.retry_chains.longest[0].owner.comm')" beta
expect_eq "longest chain's cause" \
	"$(rq '.retry_chains.longest[0].causes[0] | "\(.event) \(.count) \(.task.comm)"')" "clear 2 gamma"
expect_eq "lost" "$(rq .lost)" 7
expect_eq "not live" "$(rq '[.recording.not_live[].func] | join(",")')" handle_userfault
expect_eq "migrations to device" "$(rq '[.migrations[] | select(.direction == "to_device") | .count] | add')" 20
expect_eq "pages moved to device" "$(rq '[.migrations[] | select(.direction == "to_device") | .moved] | add')" 320
expect_eq "migrations to system" "$(rq '[.migrations[] | select(.direction == "to_system") | .count] | add')" 10
expect_eq "pages stayed" "$(rq '[.migrations[] | .stayed] | add')" 20
expect_eq "MIGRATE invalidations" "$(rq '.invalidations.by_event[] | select(.event == "migrate") | .count')" 60
expect_eq "CLEAR invalidations" "$(rq '.invalidations.by_event[] | select(.event == "clear") | .count')" 15
expect_eq "top invalidating task" "$(rq '.invalidations.top_tasks[0] | "\(.comm) \(.count)"')" "gamma 75"
expect_eq "top owner by time" "$(rq '.top_owners[0] | "\(.pid) \(.comm) \(.faults)"')" "1001 alpha 500"
expect_eq "owners" "$(rq '[.top_owners[].comm] | sort | join(",")')" "alpha,beta,gamma"
expect_eq "drivers named from the file" "$(rq '[.top_drivers[].driver] | sort | join(",")')" "nouveau,test_hmm"
expect_eq "fault p50 (bucket bound)" "$(rq '.top_owners[] | select(.comm == "alpha") | .fault_ns.p50')" 2048

out=$("$ht" report -i "$f"); expect_status "report (text)" $? 0
expect_match "text: calls" "$out" "^hmm_range_fault: 705 calls, 45120 pages: ok 675 ebusy 30"
expect_match "text: lost" "$out" "lost 7 "
expect_match "text: chains" "$out" "^-EBUSY retry chains: 25 chains, 30 retries"

"$ht" dump -i "$f" --json >"$dir/ev.json" 2>"$dir/dump.err"
expect_status "dump -i --json" $? 0
expect_eq "dump -i: faults" "$(jq -s '[.[] | select(.type == "fault")] | length' "$dir/ev.json")" 705
expect_eq "dump -i: lost records" "$(jq -s '[.[] | select(.type == "lost") | .count] | add' "$dir/ev.json")" 7
expect_eq "dump -i: no bookkeeping records" "$(jq -s '[.[] | select(.type == "sym" or .type == "clock")] | length' "$dir/ev.json")" 0
expect_match "dump -i summary" "$(cat "$dir/dump.err")" "lost 7 "
expect_eq "dump -i text lines" "$("$ht" dump -i "$f" 2>/dev/null | grep -c ' fault ')" 705

"$ht" export -i "$f" --format chrome -o "$dir/trace.json" 2>/dev/null
expect_status "export" $? 0
ce() { jq "[.traceEvents[] | select($1)] | length" "$dir/trace.json"; }
expect_eq "export: fault slices" "$(ce '.ph == "X" and .cat == "fault"')" 705
expect_eq "export: migration slices" "$(ce '.ph == "X" and .cat == "migrate"')" 30
expect_eq "export: invalidation slices" "$(ce '.ph == "X" and .cat == "inval"')" 75
expect_eq "export: chain spans" "$(ce '.ph == "b"') $(ce '.ph == "e"')" "25 25"
expect_eq "export: lost events" "$(ce '.ph == "i"')" 1
expect_eq "export: process names" \
	"$(jq -r '[.traceEvents[] | select(.ph == "M" and .name == "process_name" and .pid > 0) | .args.name] | sort | join(",")' "$dir/trace.json")" \
	"alpha,beta,gamma"
expect_eq "export: pages in flight return to zero" \
	"$(jq -c '[.traceEvents[] | select(.ph == "C")] | last | .args' "$dir/trace.json")" '{"fault":0,"migrate":0}'

"$ht" heatmap -i "$f" -o "$dir/heat.svg" --columns 40
expect_status "heatmap" $? 0
expect_match "heatmap shows lost events" "$(cat "$dir/heat.svg")" "7 events lost"
"$ROOT/tests/svg-check.sh" "$dir/heat.svg" 40
expect_status "heatmap renders with 40 columns" $? 0

# Damage: a cut-short file reads up to its last complete chunk, with a warning; a flipped byte
# costs its chunk; neither is fatal.
head -c $(($(stat -c %s "$f") - 40)) "$f" >"$dir/cut.hmmtrace"
out=$("$ht" report -i "$dir/cut.hmmtrace" --json 2>"$dir/cut.err"); rc=$?
expect_status "report on a cut-short file" $rc 0
expect_match "cut-short file: warning" "$(cat "$dir/cut.err")" "not closed cleanly"
cp "$f" "$dir/flip.hmmtrace"
size=$(stat -c %s "$f")
printf '\xff' | dd of="$dir/flip.hmmtrace" bs=1 seek=$((size / 2)) conv=notrunc status=none
"$ht" dump -i "$dir/flip.hmmtrace" >/dev/null 2>"$dir/flip.err"
expect_status "dump -i on a damaged file" $? 0
expect_match "damaged file: warning" "$(cat "$dir/flip.err")" "damaged chunk"

# Not ours: a clear message and status 1.
out=$("$ht" report -i /etc/passwd 2>&1); expect_status "report on a text file" $? 1
expect_match "not-a-trace message" "$out" "not an hmmtrace file"
: >"$dir/empty"
out=$("$ht" dump -i "$dir/empty" 2>&1); expect_status "dump -i on an empty file" $? 1
expect_match "empty-file message" "$out" "not an hmmtrace file"
out=$("$ht" export -i "$dir/none" --format chrome 2>&1); expect_status "export of a missing file" $? 1
expect_match "missing-file message" "$out" "No such file"

# Bad usage: status 2 and a message naming the problem.
out=$("$ht" report 2>&1); expect_status "report without -i" $? 2
expect_match "report without -i: message" "$out" "-i FILE is required"
out=$("$ht" export -i "$f" --format xml 2>&1); expect_status "export --format xml" $? 2
expect_match "export format message" "$out" "formats are: chrome"
out=$("$ht" heatmap -i "$f" 2>&1); expect_status "heatmap without -o" $? 2
out=$("$ht" heatmap -i "$f" -o "$dir/x.svg" --columns 0 2>&1); expect_status "heatmap --columns 0" $? 2
out=$("$ht" record 2>&1); expect_status "record without -o" $? 2
expect_match "record without -o: message" "$out" "-o FILE is required"
out=$("$ht" dump -i "$f" -p 1 2>&1); expect_status "dump -i with a live filter" $? 2

# record where nothing can attach (this machine's kernel): status 3, no file, COMMAND not run.
if [ "$("$ht" probe --json 2>/dev/null | jq '[.attach[] | select(.state == "attached")] | length')" = 0 ]; then
	out=$("$ht" record -o "$dir/none.hmmtrace" -- touch "$dir/ran" 2>&1); rc=$?
	expect_status "record with nothing to attach" $rc 3
	expect_eq "record left no file" "$([ -e "$dir/none.hmmtrace" ] && echo yes || echo no)" no
	expect_eq "the command did not run untraced" "$([ -e "$dir/ran" ] && echo yes || echo no)" no
fi
finish
