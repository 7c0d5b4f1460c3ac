#!/bin/bash
# Fault and load tests in the lab (tests/lab/faults.sh), on the 6.12 kernel (LAB_ONLY picks):
#  - a ring buffer overflowing under a burst: the loss is counted, the same count shows in
#    record's summary, report, dump -i, the Chrome export, the heatmap and hmmtop, and what was
#    delivered is counted exactly (report = the events dump -i replays);
#  - record killed with SIGKILL at five points: every file reads back, with a warning;
#  - a full disk: record says so and exits 1, and the file reads back to its last chunk;
#  - the traced process vanishing mid-trace (record --owner, stat -- COMMAND);
#  - four processes at once under one record: each one's counts exact.
. "$(dirname "$0")/../lib.sh"
HT=$OUTPUT/hmmtrace

check_overflow() {
	local v=$1 f=$out/small.hmmtrace lost
	expect_match "$v: overflow: record ran" "$(grep -a 'overflow record exit=' "$log")" "exit=0"
	lost=$(sed -n 's/.*recorded [0-9]* events, lost \([0-9]*\),.*/\1/p' "$out/small.err")
	expect_ge "$v: overflow: record's summary counts lost events" "${lost:-0}" 1
	"$HT" report -i "$f" --json >"$out/r.json"
	expect_eq "$v: overflow: report's lost" "$(jq .lost "$out/r.json")" "$lost"
	"$HT" dump -i "$f" --json >"$out/ev.json" 2>"$out/dump.err"
	expect_match "$v: overflow: dump -i summary" "$(cat "$out/dump.err")" "^lost $lost "
	expect_eq "$v: overflow: lost records in the file" \
		"$(jq -s '[.[] | select(.type == "lost") | .count] | add' "$out/ev.json")" "$lost"
	expect_eq "$v: overflow: delivered faults, report vs replay" "$(jq .faults.calls "$out/r.json")" \
		"$(jq -s '[.[] | select(.type == "fault")] | length' "$out/ev.json")"
	expect_eq "$v: overflow: delivered migrations, report vs replay" \
		"$(jq '[.migrations[].count] | add // 0' "$out/r.json")" \
		"$(jq -s '[.[] | select(.type == "migrate")] | length' "$out/ev.json")"
	"$HT" export -i "$f" --format chrome -o "$out/t.json" 2>/dev/null
	expect_eq "$v: overflow: export's lost events" \
		"$(jq '[.traceEvents[] | select(.ph == "i") | .args.count] | add' "$out/t.json")" "$lost"
	expect_eq "$v: overflow: export's otherData.lost" "$(jq .otherData.lost "$out/t.json")" "$lost"
	"$HT" heatmap -i "$f" -o "$out/h.svg"
	expect_match "$v: overflow: heatmap title" "$(cat "$out/h.svg")" "$lost events lost"
	expect_match "$v: overflow: report text" "$("$HT" report -i "$f")" "lost $lost "
	expect_match "$v: overflow: hmmtop -b shows the loss" \
		"$("$OUTPUT/hmmtop" -b -r "$f" --speed 0 -d 100 2>&1)" "lost[ :=]+$lost"
}

check_killed() {
	local v=$1 k
	for k in 1 2 3 4 5; do
		grep -a "killed $k after" "$log"
		"$HT" report -i "$out/killed-$k.hmmtrace" --json >"$out/r.json" 2>"$out/r.err"
		expect_status "$v: killed $k: report reads the file" $? 0
		expect_match "$v: killed $k: warning" "$(cat "$out/r.err")" "not closed cleanly"
		"$HT" dump -i "$out/killed-$k.hmmtrace" --json >/dev/null 2>&1
		expect_status "$v: killed $k: dump -i reads the file" $? 0
	done
	# At least one kill came after the first flush: something was kept.
	expect_ge "$v: events kept across the kills" \
		"$(for k in 1 2 3 4 5; do "$HT" report -i "$out/killed-$k.hmmtrace" --json 2>/dev/null | jq .events; done | paste -sd+ | bc)" 1
}

check_full() {
	local v=$1
	expect_match "$v: full disk: record's status" "$(grep -a 'full-disk record exit=' "$log")" "exit=1"
	expect_match "$v: full disk: message" "$(cat "$out/full.err")" "No space left on device"
	"$HT" report -i "$out/full.hmmtrace" --json >"$out/r.json" 2>"$out/r.err"
	expect_status "$v: full disk: the file reads back" $? 0
	expect_ge "$v: full disk: events kept" "$(jq .events "$out/r.json")" 1
}

check_vanish() {
	local v=$1
	expect_match "$v: owner killed mid-trace: record's status" "$(grep -a 'vanish record exit=' "$log")" "exit=0"
	"$HT" report -i "$out/vanish.hmmtrace" --json >"$out/r.json" 2>/dev/null
	expect_status "$v: owner killed mid-trace: file reads" $? 0
	expect_ge "$v: owner killed mid-trace: its faults before" "$(jq .faults.calls "$out/r.json")" 1
	expect_match "$v: stat with its command killed" "$(grep -a 'stat-killed exit=' "$log")" "exit=137"
	expect_match "$v: stat still printed totals" "$(cat "$out/stat-killed.txt")" "hmm_range_fault calls [0-9]+"
}

check_many() {
	local v=$1 i t pid got
	expect_match "$v: many: record's status" "$(grep -a 'many record exit=' "$log")" "exit=0"
	"$HT" report -i "$out/many.hmmtrace" --json >"$out/r.json"
	expect_eq "$v: many: lost" "$(jq .lost "$out/r.json")" 0
	for i in 1 2 3 4; do
		t=$out/many-$i.totals pid=$(kv "$t" pid)
		expect_eq "$v: many: process $i's faults" \
			"$(jq --argjson p "$pid" '.top_owners[] | select(.pid == $p) | .faults' "$out/r.json")" \
			"$(kv "$t" read.range_fault_calls_min)"
		got=$(jq --argjson p "$pid" '.top_owners[] | select(.pid == $p) | .migrations_to_device' "$out/r.json")
		# every generator held the device open until all four were done (--hold): no close
		# evicted another's pages mid-migration, so none failed and the counts are exact
		expect_eq "$v: many: process $i's failed migrations" "$(kv "$t" migrate.errors)" 0
		expect_eq "$v: many: process $i's migrations to device" "$got" \
			"$(kv "$t" migrate.setup_calls_to_device)"
	done
}

for v in ${LAB_ONLY:-6.12}; do
	echo "== lab kernel $v"
	lab_ready "$v"
	out=$(mktemp -d) log=$(mktemp)
	"$LAB/run.sh" -q -k "$v" -t 900 -o "$out" -l "$log" "$ROOT/tests/lab/faults.sh"
	expect_status "$v: faults job" $? 0
	tr -d '\r' <"$log" >"$log.txt" && mv "$log.txt" "$log"
	check_overflow "$v"
	check_killed "$v"
	check_full "$v"
	check_vanish "$v"
	check_many "$v"
	rm -rf "$out" "$log"
done
finish
