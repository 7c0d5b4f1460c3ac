#!/bin/bash
# Stalls (issue 16, item 1) in every tool that reads a recording, on the golden scenario
# (tests/top_trace_gen.c, golden_stalls()): three 7.x chains that ran into their timeout after
# 1.000000000 to 1.000000002 s (test_hmm, owner alpha), a lone call of exactly 1 s (nvidia_uvm,
# gamma), a chain of 1.2 s that succeeded after two -EBUSY (nouveau, beta, thread 1012) and one of
# 999999999 ns (test_hmm, alpha): 5 stalls at the default threshold, 3 of them ended in -EBUSY
# and by timeout. Then --stall-ms re-deciding them, and bad --stall-ms values. No root, no lab.
. "$(dirname "$0")/../lib.sh"
ht=$OUTPUT/hmmtrace
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
f=$dir/golden.hmmtrace
"$OUTPUT/tests/top_trace_gen" -o "$f" --scenario golden || { fail "top_trace_gen failed"; finish; }

# ---- report --------------------------------------------------------------------------------
"$ht" report -i "$f" --json >"$dir/r.json" 2>"$dir/r.err"
expect_status "report --json" $? 0
rq() { jq -r "$1" "$dir/r.json"; }
expect_eq "report: threshold" "$(rq .stalls.threshold_ns)" 1000000000
expect_eq "report: stalls" "$(rq .stalls.count)" 5
expect_eq "report: ended in -EBUSY" "$(rq .stalls.ebusy)" 3
expect_eq "report: by timeout" "$(rq .stalls.timeout)" 3
expect_eq "report: longest listed, longest first" \
	"$(rq '[.stalls.longest[].dur_ns] | map(tostring) | join(",")')" \
	"1200000000,1000000002,1000000001,1000000000,1000000000"
expect_eq "report: the 1.2 s stall" \
	"$(rq '.stalls.longest[0] | "\(.owner.comm) \(.caller.tid) \(.driver) \(.result) \(.attempts) \(.timeout)"')" \
	"beta 1012 nouveau ok 3 false"
expect_eq "report: its causes" \
	"$(rq '[.stalls.longest[0].causes[] | "\(.event) \(.count) \(.task.comm)"] | join(",")')" \
	"clear 1 gamma,migrate 1 gamma"
expect_eq "report: the timeouts" \
	"$(rq '[.stalls.longest[1:4][] | "\(.driver) \(.result) \(.timeout)"] | unique | join(",")')" \
	"test_hmm ebusy true"
expect_eq "report: the lone call" \
	"$(rq '.stalls.longest[4] | "\(.owner.comm) \(.driver) \(.attempts) \(.causes | length)"')" \
	"gamma nvidia_uvm 1 0"
expect_eq "report: stalls per driver" \
	"$(rq '[.top_drivers[] | "\(.driver)=\(.stalls)"] | sort | join(",")')" \
	"nouveau=1,nvidia_uvm=1,test_hmm=3"
expect_eq "report: stalls per owner" \
	"$(rq '[.top_owners[] | "\(.comm)=\(.stalls)"] | sort | join(",")')" \
	"?=0,alpha=3,beta=1,gamma=1"
out=$("$ht" report -i "$f"); expect_status "report (text)" $? 0
expect_match "report text: the count" "$out" \
	"^stalls \(retry chains of 1.00s or longer, or ended by their timeout\): 5, 3 ended in -EBUSY, 3 by timeout$"
expect_match "report text: the longest" "$out" \
	"^      1.20s   3 attempts  owner 1002 beta  caller 1012 beta  driver nouveau  ends ok$"
expect_eq "report text: timeouts marked" "$(grep -c 'ends ebusy (timeout)$' <<<"$out")" 3

# --stall-ms re-decides: 999 ms adds the 999999999 ns chain; past 1 s the lone call drops, the
# timeouts stay; past 1.2 s only the timeouts.
for t in 999:6:4 1000:5:3 1001:4:3 1100:4:3 1200:4:3 1201:3:3 60000:3:3; do
	IFS=: read -r ms want test_hmm <<<"$t"
	"$ht" report -i "$f" --json --stall-ms "$ms" >"$dir/t.json"
	expect_eq "report --stall-ms $ms: stalls" "$(jq .stalls.count "$dir/t.json")" "$want"
	expect_eq "report --stall-ms $ms: threshold" "$(jq .stalls.threshold_ns "$dir/t.json")" "${ms}000000"
	expect_eq "report --stall-ms $ms: test_hmm" \
		"$(jq '.top_drivers[] | select(.driver == "test_hmm") | .stalls' "$dir/t.json")" "$test_hmm"
	expect_eq "report --stall-ms $ms: timeouts" "$(jq .stalls.timeout "$dir/t.json")" 3
done

# ---- dump -------------------------------------------------------------------------------------
"$ht" dump -i "$f" --json >"$dir/d.json" 2>/dev/null
expect_status "dump -i --json" $? 0
dq() { jq -s -r "$1" "$dir/d.json"; }
expect_eq "dump: stall flags" "$(dq '[.[] | select(.stall == true)] | length')" 5
expect_eq "dump: flagged chains" "$(dq '[.[] | select(.type == "chain" and .stall)] | length')" 4
expect_eq "dump: the flagged lone call" \
	"$(dq '[.[] | select(.type == "fault" and .stall) | "\(.dur_ns) \(.attempt) \(.driver)"] | join(",")')" \
	"1000000000 1 nvidia_uvm"
expect_eq "dump: every chain and fault has the flag" \
	"$(dq '[.[] | select((.type == "chain" or .type == "fault") and (.stall | type) != "boolean")] | length')" 0
expect_eq "dump: 1 ns under is none" \
	"$(dq '[.[] | select(.type == "chain" and .dur_ns == 999999999) | .stall] | join(",")')" false
expect_eq "dump --stall-ms 999" \
	"$("$ht" dump -i "$f" --json --stall-ms 999 2>/dev/null | jq -s '[.[] | select(.stall)] | length')" 6
expect_eq "dump --stall-ms 1300" \
	"$("$ht" dump -i "$f" --json --stall-ms 1300 2>/dev/null | jq -s '[.[] | select(.stall)] | length')" 3
expect_eq "dump text: stall lines" "$("$ht" dump -i "$f" 2>/dev/null | grep -c ' stall ')" 5
expect_eq "dump text --stall-ms 999: stall lines" \
	"$("$ht" dump -i "$f" --stall-ms 999 2>/dev/null | grep -c ' stall ')" 6

# ---- export -----------------------------------------------------------------------------------
"$ht" export -i "$f" --format chrome -o "$dir/trace.json" 2>"$dir/e.err"
expect_status "export" $? 0
si() { jq -r "[.traceEvents[] | select(.ph == \"i\" and .name == \"stall\")] | $1" "$dir/trace.json"; }
expect_eq "export: stall instants" "$(si length)" 5
expect_eq "export: on the thread's track" "$(si '[.[] | select(.s == "t")] | length')" 5
expect_eq "export: by thread" "$(si '[.[] | "\(.pid)/\(.tid)"] | sort | join(",")')" \
	"1001/1001,1001/1001,1001/1001,1002/1012,1003/1003"
expect_eq "export: timeouts" "$(si '[.[] | select(.args.timeout)] | length')" 3
expect_eq "export: the 1.2 s one at its chain's start" \
	"$(si '.[] | select(.args.dur_ns == 1200000000) | "\(.ts) \(.args.record)"')" "5709999 chain"
expect_match "export: the summary counts them" "$(cat "$dir/e.err")" " stall 5$"
"$ht" export -i "$f" --format chrome -o "$dir/t2.json" --stall-ms 999 2>/dev/null
expect_eq "export --stall-ms 999" \
	"$(jq '[.traceEvents[] | select(.name == "stall")] | length' "$dir/t2.json")" 6

# ---- hist: from the chain histogram, the bucket holding the threshold and up ----------------
"$ht" hist -i "$f" --json >"$dir/h.json"
expect_status "hist -i --json" $? 0
hq() { jq -r "$1" "$dir/h.json"; }
# 984625593 ns is the lower edge of the bucket holding 1 s: the 999999999 ns chain counts here.
expect_eq "hist: bound" "$(hq .stalls.bound_ns)" 984625593
expect_eq "hist: stalls" "$(hq .stalls.count)" 6
expect_eq "hist: timeouts" "$(hq .stalls.timeout)" 3
expect_eq "hist: by driver" "$(hq '[.stalls.by_driver | to_entries[] | "\(.key)=\(.value)"] | join(",")')" \
	"nouveau=1,nvidia_uvm=1,test_hmm=4"
expect_eq "hist: on the chain histograms" \
	"$(hq '[.hists[] | select(.metric == "chain_ns") | .stalls] | add')" 6
expect_eq "hist: only there" \
	"$(hq '[.hists[] | select(.metric != "chain_ns" and has("stalls"))] | length')" 0
expect_match "hist text" "$("$ht" hist -i "$f")" \
	"^  stalls 6 \(retry chains of 1.00s or longer, from chain_ns: longer than 985ms; 3 ran into their timeout\): nouveau 1, nvidia_uvm 1, test_hmm 4$"
# 1100 ms lies in (1073741824, 1170923762]: the 1.2 s chain and the timeouts, as report says.
expect_eq "hist --stall-ms 1100" "$("$ht" hist -i "$f" --json --stall-ms 1100 | jq .stalls.count)" 4
"$ht" hist -i "$f" -o "$dir/a.hist" 2>/dev/null
expect_eq "hist merge: the same, twice" \
	"$("$ht" hist merge --json "$dir/a.hist" "$dir/a.hist" 2>/dev/null | jq .stalls.count)" 12

# ---- hmmtop -----------------------------------------------------------------------------------
top=$("$OUTPUT/hmmtop" -b -r "$f" --speed 0 2>/dev/null)
expect_status "hmmtop -b -r" $? 0
expect_match "hmmtop: the header's count at the end" "$(grep '^faults ' <<<"$top" | tail -n 1)" "  stalls 5  "
expect_match "hmmtop: STALLS column" "$(grep 'PID NAME' <<<"$top" | head -n 1)" " CHAIN STALLS "
expect_match "hmmtop: alpha's row" "$(grep ' alpha ' <<<"$top" | tail -n 1)" "^ +1001 alpha +[^ ]+ +[^ ]+ +[^ ]+ +[^ ]+ +9 +3 "
top=$("$OUTPUT/hmmtop" -b -r "$f" --speed 0 --stall-ms 1300 2>/dev/null)
expect_match "hmmtop --stall-ms 1300" "$(grep '^faults ' <<<"$top" | tail -n 1)" "  stalls 3  "

# ---- bad --stall-ms values: a clear message, exit status 2 -----------------------------------
bad() { # bad WHAT MESSAGE-REGEX COMMAND...
	local what=$1 re=$2 out rc
	shift 2
	out=$("$@" 2>&1 >/dev/null)
	rc=$?
	expect_eq "$what: exit status" "$rc" 2
	expect_match "$what: message" "$out" "$re"
}
for v in 0 -5 abc 1.5 "" 3600001 99999999999999999999; do
	case $v in
	0 | 3600001 | 9*) re="--stall-ms: $v is out of range \(1..3600000\)" ;;
	*) re="--stall-ms: '$v' is not a number" ;;
	esac
	bad "report --stall-ms '$v'" "$re" "$ht" report -i "$f" --stall-ms "$v"
done
bad "dump --stall-ms 0" "--stall-ms: 0 is out of range" "$ht" dump -i "$f" --stall-ms 0
bad "export --stall-ms x" "--stall-ms: 'x' is not a number" "$ht" export -i "$f" -f chrome --stall-ms x
bad "hist --stall-ms -1" "--stall-ms: '-1' is not a number" "$ht" hist -i "$f" --stall-ms -1
bad "record --stall-ms 0" "--stall-ms: 0 is out of range" "$ht" record -o "$dir/x" --stall-ms 0
bad "hmmtop --stall-ms 0" "--stall-ms: 0 is out of range" "$OUTPUT/hmmtop" -b -r "$f" --stall-ms 0
bad "hmm_exporter --stall-ms 4000000" "--stall-ms: 4000000 is out of range" \
	"$OUTPUT/hmm_exporter" --once --stall-ms 4000000
bad "report --stall-ms (no value)" "--stall-ms needs an argument" "$ht" report -i "$f" --stall-ms
finish
