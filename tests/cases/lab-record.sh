#!/bin/bash
# hmmtrace record / report / dump -i / export / heatmap on real recordings from the lab, on the
# four lab kernels (from the lab session, tests/lab/session.sh, shared with lab-core):
#  - record around the workload generator: the report's counts equal the generator's totals
#    exactly, nothing lost; dump -i replays the same events; the live report (record --report)
#    equals the replayed one;
#  - the Chrome export is valid JSON with one slice per fault, migration and invalidation and one
#    async span per retry chain;
#  - the heatmap renders in headless Chromium to a PNG that is not blank and has the columns
#    asked for;
#  - record around an invalidation storm: retry chains with causes, async spans in the export;
#  - record around hmm-tests: nothing lost, and again replay equals live;
#  - accuracy: beside each recording an independent minimal counter (tests/accuracy/) counts
#    hmm_range_fault calls and -EBUSY returns, and (7.x) hmm_range_fault_unlocked_timeout()
#    calls and their rounds; the recordings' totals equal its counts. hmm-tests runs each test in
#    a forked child, so this also checks that record follows children.
#  - the status line: with stderr on the guest's console (a terminal) record rewrites one line in
#    place every second (\r, the line, erase to its end; no newline between updates) and erases
#    it before its summary; a terminal (tmux) fed those bytes shows one line at any point; with
#    stderr in a file (every recording above) there is no status line at all.
. "$(dirname "$0")/../lib.sh"

HT="$OUTPUT/hmmtrace"

# accuracy NAME: the recording's attempts and -EBUSY returns equal the independent counter's:
# hmm_range_fault() calls, plus (7.x) the rounds of hmm_range_fault_unlocked_timeout().
accuracy() {
	local v=$1 name=$2 c=$out/$2-count.txt
	"$HT" report -i "$out/$name.hmmtrace" --json >"$out/acc.json"
	"$HT" dump -i "$out/$name.hmmtrace" --json >"$out/acc-events.json"
	expect_match "$v: $name: independent counter ran" "$(cat "$c")" \
		"^calls=[0-9]+ ebusy=[0-9]+ ucalls=[0-9]+ urounds=[0-9]+ ubusy=[0-9]+ utimeouts=[0-9]+$"
	cv() { sed -n "s/.*\\<$1=\\([0-9]*\\).*/\\1/p" "$c"; }
	echo "$v: $name: counter: $(cat "$c")"
	expect_eq "$v: $name: attempts, recording vs independent counter" \
		"$(jq .faults.calls "$out/acc.json")" $(($(cv calls) + $(cv urounds)))
	expect_eq "$v: $name: -EBUSY, recording vs independent counter" \
		"$(jq .faults.results.ebusy "$out/acc.json")" $(($(cv ebusy) + $(cv ubusy)))
	expect_eq "$v: $name: unlocked rounds, recording vs independent counter" \
		"$(jq -s '[.[] | select(.type == "fault" and .unlocked)] | length' "$out/acc-events.json")" "$(cv urounds)"
	expect_eq "$v: $name: unlocked calls that timed out, recording vs independent counter" \
		"$(jq -s '[.[] | select(.type == "chain" and .timeout)] | length' "$out/acc-events.json")" "$(cv utimeouts)"
}

# rq FILTER: jq over the replayed report.
rq() { jq -r "$1" "$out/report.json"; }

# n KEY: a total of the generator, 0 where it printed none.
n() { local x; x=$(kv "$t" "$1"); echo "${x:-0}"; }

check_workload() {
	local v=$1 calls pages urounds ucalls todev todev_pages cpuf tosys tosys_pages evicted
	t=$out/totals
	expect_eq "$v: record exit status" "$(cat "$out/workload.rc")" 0
	expect_match "$v: record summary" "$(cat "$out/record-workload.err")" \
		'recorded [0-9]+ events, lost 0, in'
	expect_eq "$v: workload result" "$(kv "$t" result)" ok
	# Least privilege: while recording, record holds no capabilities.
	expect_eq "$v: record's capabilities while recording" \
		"$(tr -s ' \t' ' ' <"$out/caps" | tr '\n' ';')" \
		"CapPrm: 0000000000000000;CapEff: 0000000000000000;NoNewPrivs: 1;"
	"$HT" report -i "$out/workload.hmmtrace" --json >"$out/report.json" 2>"$out/report.err"
	expect_status "$v: report -i" $? 0
	expect_eq "$v: report warnings" "$(cat "$out/report.err")" ""
	expect_eq "$v: lost" "$(rq .lost)" 0
	expect_eq "$v: not-live attach points" "$(rq '[.recording.not_live[] | select(.state != "absent")] | length')" 0
	expect_match "$v: recorded command" "$(rq .recording.command)" "hmm_workload"

	# hmm_range_fault calls, and (7.x) the rounds of hmm_range_fault_unlocked_timeout(): one per
	# step on present pages, k + 1 per step of k pages behind userfaultfd, k of them -EBUSY.
	calls=$(($(n read.range_fault_calls_min) + $(n write.range_fault_calls_min) +
		$(n snapshot.range_fault_calls_min) + $(n soft_dirty.range_fault_calls_min)))
	pages=$(($(n read.pages) + $(n write.pages) + $(n snapshot.pages) + $(n soft_dirty.pages)))
	urounds=$(($(n read_unlocked.rounds) + $(n uffd_unlocked.rounds)))
	ucalls=$(($(n read_unlocked.unlocked_calls) + $(n uffd_unlocked.unlocked_calls)))
	expect_eq "$v: attempts (calls and rounds)" "$(rq .faults.calls)" $((calls + urounds))
	expect_eq "$v: successful attempts" "$(rq .faults.results.ok)" $((calls + ucalls))
	expect_eq "$v: -EBUSY rounds (mmap lock dropped)" "$(rq .faults.results.ebusy)" "$(n uffd_unlocked.lock_drops)"
	expect_eq "$v: per-call latency histogram count" "$(rq .faults.latency_ns.count)" $((calls + urounds))
	expect_eq "$v: per-chain latency histogram count" "$(rq .faults.chain_latency_ns.count)" $((calls + ucalls))
	expect_eq "$v: retry chains" "$(rq .retry_chains.chains)" "$(n uffd_unlocked.unlocked_calls)"
	expect_eq "$v: retries" "$(rq .retry_chains.retries)" "$(n uffd_unlocked.lock_drops)"

	thp=$(n migrate_thp.ops)
	todev=$(($(n migrate.setup_calls_to_device) + $(n migrate_sys.setup_calls_to_device) +
		$(n migrate_thp.setup_calls_to_device) + $(n evict.setup_calls_to_device)))
	todev_pages=$(($(n migrate.to_device_cpages) + $(n migrate_sys.to_device_cpages) +
		$(n migrate_thp.to_device_cpages) + $(n evict.to_device_cpages)))
	cpuf=$(n migrate.cpu_faults)
	tosys=$(($(n migrate_sys.setup_calls_to_system) + $(n migrate_thp.setup_calls_to_system)))
	tosys_pages=$(($(n migrate_sys.to_system_cpages) + thp * 512))
	evicted=$(n evict.evicted_pages)
	# CPU-fault migrations are told apart by fault_page, 6.1+; before, they are plain ones.
	ver_ge "$v" 6.1 || { tosys=$((tosys + cpuf)) tosys_pages=$((tosys_pages + cpuf)) cpuf=0; }
	expect_eq "$v: migrations to device" \
		"$(rq '[.migrations[] | select(.direction == "to_device") | .count] | add')" $todev
	expect_eq "$v: pages moved to device" \
		"$(rq '[.migrations[] | select(.direction == "to_device") | .moved] | add')" $todev_pages
	expect_eq "$v: pages stayed" "$(rq '[.migrations[] | .stayed] | add')" 0
	expect_eq "$v: CPU-fault migrations" "$(rq '[.migrations[] | .cpu_fault] | add')" $cpuf
	# Under record -- COMMAND only evictions of the generator's pages are its own: one, 6.1+.
	expect_eq "$v: migrations to system (CPU faults + explicit + evictions)" \
		"$(rq '[.migrations[] | select(.direction == "to_system") | .count] | add')" \
		$((cpuf + tosys + (evicted > 0 ? 1 : 0)))
	expect_eq "$v: pages moved to system" \
		"$(rq '[.migrations[] | select(.direction == "to_system") | .moved] | add')" \
		$((cpuf + tosys_pages + evicted))
	expect_eq "$v: migration drivers" "$(rq '[.migrations[].driver] | unique | join(",")')" test_hmm
	expect_eq "$v: MIGRATE invalidations" \
		"$(rq '.invalidations.by_event[] | select(.event == "migrate") | .count')" $((todev + cpuf + tosys))
	expect_eq "$v: SOFT_DIRTY invalidations" \
		"$(rq '.invalidations.by_event[] | select(.event == "soft_dirty") | .count')" "$(n soft_dirty.ops)"
	expect_eq "$v: uffd minor" "$(rq '.userfaults.minor.count // 0')" "$(n uffd_minor.faults)"
	expect_eq "$v: uffd missing" "$(rq '.userfaults.missing.count // 0')" \
		$(($(n uffd_missing.faults) + $(n uffd_unlocked.lock_drops)))
	expect_eq "$v: top owner is the generator" "$(rq '.top_owners[0].pid')" "$(kv "$t" pid)"
	expect_eq "$v: faults by test_hmm" "$(rq '.top_drivers[] | select(.driver == "test_hmm") | .faults')" \
		"$(rq .faults.calls)"

	# Replay equals live: the report computed while recording is the replayed one.
	expect_eq "$v: live report == replayed report" \
		"$(jq -S . "$out/workload-live.json" | md5sum)" "$(jq -S . "$out/report.json" | md5sum)"

	# dump -i: the same events as JSON lines.
	"$HT" dump -i "$out/workload.hmmtrace" --json >"$out/events.json" 2>"$out/dump.err"
	expect_status "$v: dump -i" $? 0
	expect_eq "$v: dump -i faults" "$(jq -s '[.[] | select(.type == "fault")] | length' "$out/events.json")" \
		"$(rq .faults.calls)"
	expect_eq "$v: dump -i migrations" "$(jq -s '[.[] | select(.type == "migrate")] | length' "$out/events.json")" \
		"$(rq '[.migrations[].count] | add')"
	expect_eq "$v: dump -i drivers from the file" \
		"$(jq -rs '[.[] | select(.type == "fault") | .driver] | unique | join(",")' "$out/events.json")" test_hmm

	# Chrome trace-event JSON: valid, one slice per event.
	"$HT" export -i "$out/workload.hmmtrace" --format chrome -o "$out/trace.json" 2>"$out/export.err"
	expect_status "$v: export" $? 0
	expect_eq "$v: export is valid JSON" "$(jq -e '.traceEvents | type' "$out/trace.json")" '"array"'
	ce() { jq "[.traceEvents[] | select($1)] | length" "$out/trace.json"; }
	expect_eq "$v: fault slices" "$(ce '.ph == "X" and .cat == "fault"')" "$(rq .faults.calls)"
	expect_eq "$v: migration slices" "$(ce '.ph == "X" and .cat == "migrate"')" "$(rq '[.migrations[].count] | add')"
	expect_eq "$v: invalidation slices" "$(ce '.ph == "X" and .cat == "inval"')" \
		"$(rq '[.invalidations.by_event[].count] | add')"
	expect_ge "$v: pages-in-flight counter samples" "$(ce '.ph == "C"')" 1
	expect_eq "$v: the generator's process is named" \
		"$(jq -r --argjson p "$(kv "$t" pid)" '.traceEvents[] | select(.ph == "M" and .name == "process_name" and .pid == $p) | .args.name' "$out/trace.json")" \
		hmm_workload

	# The heatmap, rendered by a real browser.
	"$HT" heatmap -i "$out/workload.hmmtrace" -o "$out/heat.svg" --columns 60
	expect_status "$v: heatmap" $? 0
	"$ROOT/tests/svg-check.sh" "$out/heat.svg" 60
	expect_status "$v: heatmap renders in Chromium with 60 columns" $? 0
}

# The storm: -EBUSY retry chains, their causes, and their spans in the Chrome export.
check_storm() {
	local v=$1
	expect_eq "$v: record exit status (storm)" "$(cat "$out/storm.rc")" 0
	expect_match "$v: record storm summary" "$(cat "$out/record-storm.err")" 'recorded [0-9]+ events, lost 0, in'
	"$HT" report -i "$out/storm.hmmtrace" --json >"$out/report.json"
	expect_status "$v: report -i (storm)" $? 0
	expect_ge "$v: storm: retry chains" "$(rq .retry_chains.chains)" 1
	expect_eq "$v: storm: retries equal -EBUSY returns" "$(rq .retry_chains.retries)" "$(rq .retry_chains.ebusy)"
	expect_eq "$v: storm: calls = successes + -EBUSY" "$(rq .faults.calls)" \
		$(($(rq .faults.results.ok) + $(rq .retry_chains.ebusy)))
	# ... one per success, and one per read whose loop gave up (a gave_up chain, a stall by
	# its timeout: 7.3's unlocked reads pass none)
	expect_eq "$v: storm: chains in the attempts histogram" \
		"$(rq .retry_chains.attempts.count)" $(($(rq .faults.results.ok) + $(rq .stalls.timeout)))
	expect_ge "$v: storm: longest chain attempts" "$(rq '.retry_chains.longest[0].attempts')" 2
	expect_eq "$v: storm: longest chains without a cause" \
		"$(rq '[.retry_chains.longest[] | select(.causes | length == 0)] | length')" 0
	expect_eq "$v: storm: longest chain's driver" "$(rq '.retry_chains.longest[0].driver')" test_hmm
	expect_eq "$v: storm: live report == replayed report" \
		"$(jq -S . "$out/storm-live.json" | md5sum)" "$(jq -S . "$out/report.json" | md5sum)"
	"$HT" export -i "$out/storm.hmmtrace" --format chrome -o "$out/trace.json" 2>/dev/null
	expect_eq "$v: storm: retry chain spans (begin)" \
		"$(jq '[.traceEvents[] | select(.ph == "b")] | length' "$out/trace.json")" "$(rq .retry_chains.chains)"
	expect_eq "$v: storm: retry chain spans (end)" \
		"$(jq '[.traceEvents[] | select(.ph == "e")] | length' "$out/trace.json")" "$(rq .retry_chains.chains)"
}

check_hmm_tests() {
	local v=$1
	# record exits with the command's status: hmm-tests' own (lab-hmm-tests checks its tests).
	expect_match "$v: record hmm-tests summary" "$(cat "$out/record-hmm-tests.err")" \
		'recorded [0-9]+ events, lost 0, in'
	"$HT" report -i "$out/hmm-tests.hmmtrace" --json >"$out/report.json"
	expect_status "$v: report -i (hmm-tests)" $? 0
	expect_eq "$v: hmm-tests: lost" "$(rq .lost)" 0
	expect_ge "$v: hmm-tests: hmm_range_fault calls" "$(rq .faults.calls)" 100
	expect_ge "$v: hmm-tests: migrations" "$(rq '[.migrations[].count] | add')" 100
	expect_eq "$v: hmm-tests: live report == replayed report" \
		"$(jq -S . "$out/hmm-tests-live.json" | md5sum)" "$(jq -S . "$out/report.json" | md5sum)"
	"$HT" report -i "$out/hmm-tests.hmmtrace" >"$out/report.txt"
	expect_status "$v: report -i text" $? 0
	expect_match "$v: report text" "$(cat "$out/report.txt")" "^hmm_range_fault: [0-9]+ calls"
}

# view FILE N: the screen of a 120x10 terminal that was fed FILE, from its own tmux server
# (socket N): a second server on the first one's socket can find that one still exiting ("server
# exited unexpectedly", 5.10 in CI).
view() {
	local sock=$out/tmux-$2.sock
	# wait-for: until cat is done (a fixed sleep lost the race on a loaded host)
	tmux -S "$sock" -f /dev/null new-session -d -x 120 -y 10 \
		"cat '$1'; tmux -S '$sock' wait-for -S fed; sleep 30"
	timeout 20 tmux -S "$sock" wait-for fed
	sleep 0.2
	tmux -S "$sock" capture-pane -p
	tmux -S "$sock" kill-server
}

# The status line, from the console log's bytes between the job's markers.
check_status_line() {
	local v=$1 seg=$out/status-line.bytes n
	sed -n '/^STATUS-LINE-BEGIN/,/^STATUS-LINE-END/p' "$log" | sed '1d;$d' >"$seg"
	expect_match "$v: record on a terminal exits 0" "$(grep -a '^STATUS-LINE-END' "$log")" "exit=0"
	# Every update: \r, the line, ESC [ K.
	n=$(grep -aoP '\rrecording [0-9]+ s: [0-9]+ events \([0-9]+/s\), 0 lost, [0-9]+\.[0-9]{2} MB written \([0-9]+\.[0-9]{2} MB/s\)\e\[K' "$seg" | wc -l)
	expect_ge "$v: status line updates in a >4 s recording" "$n" 3
	# No line feed from the first update to the erase before the summary: all in one row.
	expect_match "$v: updates and the erase in one row, then the summary" \
		"$(tr '\r\n\033' 'RNE' <"$seg")" 'Rrecording [^N]*RE\[Khmmtrace: recorded [0-9]+ events, lost 0, in'
	# Not on a terminal: no status line, no control bytes.
	for n in workload storm hmm-tests; do
		expect_eq "$v: record-$n.err (a file): status lines or control bytes" \
			"$(grep -ac $'recording [0-9]* s:\\|\r\\|\e' "$out/record-$n.err")" 0
	done
	# What a terminal shows: fed the bytes up to the erase, one status line (the latest); fed
	# them all, the summary alone on that row.
	if command -v tmux >/dev/null; then
		local upto=$out/upto.bytes
		head -c "$(grep -aobP '\r\e\[Khmmtrace: recorded' "$seg" | cut -d: -f1)" "$seg" >"$upto"
		view "$upto" 1 >"$out/view1"
		view "$seg" 2 >"$out/view2"
		sed 's/^/   | /' "$out/view1"
		expect_eq "$v: tmux, during: status lines on screen" "$(grep -c 'recording [0-9]* s:' "$out/view1")" 1
		expect_eq "$v: tmux, at the end: status lines on screen" "$(grep -c 'recording [0-9]* s:' "$out/view2")" 0
		expect_match "$v: tmux, at the end: the summary" "$(cat "$out/view2")" '^hmmtrace: recorded [0-9]+ events'
	else
		echo "note: tmux not installed: the terminal's view of the status line is not checked"
	fi
}

# The status line on a terminal of known size (10 rows of 120): on the last row, below a scroll
# region, while the command writes 12 lines to the same terminal, more than the region's 9 rows.
check_status_region() {
	local v=$1 seg=$out/status-region.bytes n upto=$out/upto-region.bytes i
	local status='recording [0-9]+ s: [0-9]+ events \([0-9]+/s\), 0 lost, [0-9]+\.[0-9]{2} MB written \([0-9]+\.[0-9]{2} MB/s\)'
	sed -n '/^STATUS-REGION-BEGIN/,/^STATUS-REGION-END/p' "$log" | sed '1d;$d' >"$seg"
	expect_match "$v: record on a 10-row terminal exits 0" "$(grep -a '^STATUS-REGION-END' "$log")" "exit=0"
	# Rows 1 to 9 scroll, once; each update: save the cursor, row 10, the line, erase to its
	# end, restore the cursor; at the end the whole screen scrolls again and row 10 is erased.
	expect_eq "$v: region: the scroll region set once" "$(grep -aoP '\e7\e\[1;9r\e8\e\[1A' "$seg" | wc -l)" 1
	n=$(grep -aoP "\e7\e\[10;1H\e\[m$status\e\[K\e8" "$seg" | wc -l)
	expect_ge "$v: region: status line updates on row 10" "$n" 3
	expect_match "$v: region: given back and row 10 erased, then the summary" "$(tr '\r\n\033' 'RNE' <"$seg")" \
		'E7E\[rE\[10;1HE\[KE8hmmtrace: recorded [0-9]+ events, lost 0, in'
	expect_eq "$v: region: every line of the command, once" \
		"$(grep -ao 'child line [1-4][abc]' "$seg" | sort | uniq -u | wc -l)" 12
	if command -v tmux >/dev/null; then
		head -c "$(grep -aobP '\e7\e\[r' "$seg" | cut -d: -f1)" "$seg" >"$upto"
		view "$upto" 3 >"$out/view3"
		view "$seg" 4 >"$out/view4"
		sed 's/^/   | /' "$out/view3"
		expect_eq "$v: tmux region, during: status lines on screen" "$(grep -cE "$status" "$out/view3")" 1
		expect_match "$v: tmux region, during: the status line on row 10" "$(sed -n 10p "$out/view3")" "^$status\$"
		# the cursor on row 9, after the command's last line feed; above, its last 8 lines
		expect_eq "$v: tmux region, during: rows 1-8, the command's last lines" "$(sed -n 1,8p "$out/view3" |
			grep -c '^child line [1-4][abc]$')" 8
		expect_eq "$v: tmux region, during: rows 8 and 9, its latest and the cursor's" \
			"$(sed -n 8,9p "$out/view3" | tr '\n' '|')" "child line 4c||"
		expect_eq "$v: tmux region, at the end: status lines on screen" "$(grep -cE "$status" "$out/view4")" 0
		expect_eq "$v: tmux region, at the end: the command's latest, then the summary" \
			"$(grep -B1 '^hmmtrace: recorded [0-9]* events' "$out/view4" | head -n 1)" "child line 4c"
	fi
}

for v in ${LAB_ONLY:-$LAB_ALL}; do
	echo "== lab kernel $v"
	dir=$(lab_session "$v")
	expect_eq "$v: lab session" "$(cat "$dir/status")" 0
	out=$(mktemp -d)
	cp -r "$dir/out/record/." "$out/"
	check_workload "$v"
	check_storm "$v"
	check_hmm_tests "$v"
	for n in workload storm hmm-tests; do accuracy "$v" $n; done
	log=$dir/console.log
	check_status_line "$v"
	check_status_region "$v"
	rm -rf "$out"
done
finish
