#!/bin/bash
# The core in the lab, on both lab kernels:
#  - probe: every attach point attached, in fentry mode and in forced kprobe mode;
#  - dump --json under the workload generator with fixed counts, checked exactly against its totals:
#    calls, pages, results, migrations and pages moved/stayed each way, invalidations per type
#    inside the generator's own regions, userfaultfd faults, nothing lost;
#  - an invalidation storm: every -EBUSY chain ends and carries a cause;
#  - stat around a command: its in-kernel totals equal the generator's; with --paths migrate
#    --mode kprobe, the migrations and nothing else, counted by the kprobe programs;
#  - the filters: -p (caller), --owner (mm owner) and --min-us;
#  - hmm-tests under dump --stats: nothing lost, in-kernel counters and histograms equal the ones
#    derived from the events.
. "$(dirname "$0")/../lib.sh"

M=100
WORK=(-m $M --reads 4 --writes 3 --snapshots 2 --migrate 2 --migrate-sys 2 --soft-dirty 2
	--uffd-minor 4 --uffd-missing 3)

section() { sed -n "/^$2-BEGIN/,/^$2-END/p" "$1" | sed '1d;$d'; }

# jq over the events of one process: caller or owner is the workload.
evq() { jq -s --argjson p "$pid" "map(select(.pid == \$p or .owner_pid == \$p)) | $1" "$ev"; }

# jq over that process's invalidations lying inside the regions the generator mapped
# (`regions=START-END,...`): glibc's own stack and heap housekeeping happens elsewhere.
inside() {
	jq -s --argjson p "$pid" --arg r "$(kv "$t" regions)" '
	def hex: ltrimstr("0x") | explode | map(if . > 96 then . - 87 else . - 48 end)
		| reduce .[] as $d (0; . * 16 + $d);
	($r | split(",") | map(split("-") | map(hex))) as $R
	| map(select(.type == "inval" and (.pid == $p or .owner_pid == $p)))
	| map((.start | hex) as $s | (.end | hex) as $e
		| select(any($R[]; $s >= .[0] and $e <= .[1])))
	| '"$1" "$ev"
}

check_probe() {
	local v=$1 log=$2 mode want j
	for mode in auto kprobe; do
		want=$([ $mode = auto ] && echo fentry || echo kprobe)
		j=$(section "$log" "PROBE-$mode")
		expect_eq "$v: probe --mode $mode: attach points" "$(jq '.attach | length' <<<"$j")" 11
		expect_eq "$v: probe --mode $mode: attached in $want mode" \
			"$(jq "[.attach[] | select(.state == \"attached\" and .mode == \"$want\")] | length" <<<"$j")" 11
		expect_match "$v: probe --mode $mode exit status" "$(grep "PROBE-$mode-END" "$log")" "rc=0"
	done
}

check_workload() {
	local v=$1 log=$2 t=$3 calls pages ranges
	ev=$(mktemp)
	section "$log" EVENTS | grep '^{' >"$ev"
	section "$log" WORKLOAD-TOTALS >"$t"
	pid=$(kv "$t" pid)
	expect_eq "$v: workload result" "$(kv "$t" result)" ok
	grep -q "lost 0 " "$log" && echo "ok: $v: lost 0" || fail "$v: events were lost: $(grep '^lost' "$log")"

	# hmm_range_fault: one call per 64-page chunk (nothing invalidates the regions meanwhile).
	calls=$(($(kv "$t" read.range_fault_calls_min) + $(kv "$t" write.range_fault_calls_min) +
		$(kv "$t" snapshot.range_fault_calls_min) + $(kv "$t" soft_dirty.range_fault_calls_min)))
	pages=$(($(kv "$t" read.pages) + $(kv "$t" write.pages) + $(kv "$t" snapshot.pages) +
		$(kv "$t" soft_dirty.pages)))
	expect_eq "$v: fault calls" "$(evq '[.[] | select(.type == "fault")] | length')" $calls
	expect_eq "$v: fault pages" "$(evq '[.[] | select(.type == "fault") | .npages] | add')" $pages
	expect_eq "$v: fault successes" "$(evq '[.[] | select(.type == "fault" and .result == "ok")] | length')" $calls
	expect_eq "$v: write faults" "$(evq '[.[] | select(.type == "fault" and .write)] | length')" \
		"$(kv "$t" write.range_fault_calls_min)"
	expect_eq "$v: snapshots (no fault flag)" "$(evq '[.[] | select(.type == "fault" and (.fault | not))] | length')" \
		"$(kv "$t" snapshot.range_fault_calls_min)"
	expect_eq "$v: valid pfns after successful faults" \
		"$(evq '[.[] | select(.type == "fault" and .fault) | .pfn_valid] | add')" \
		$((pages - $(kv "$t" snapshot.pages)))
	expect_eq "$v: faults by test_hmm" "$(evq '[.[] | select(.type == "fault" and .driver == "test_hmm")] | length')" $calls
	expect_eq "$v: read_begin calls" "$(evq '[.[] | select(.type == "read_begin")] | length')" $calls

	# Migrations: to the device (migrate + migrate-sys), back by CPU fault, back explicitly.
	local todev=$(($(kv "$t" migrate.setup_calls_to_device) + $(kv "$t" migrate_sys.setup_calls_to_device)))
	local todev_pages=$(($(kv "$t" migrate.to_device_cpages) + $(kv "$t" migrate_sys.to_device_cpages)))
	local cpuf=$(kv "$t" migrate.cpu_faults) tosys=$(kv "$t" migrate_sys.setup_calls_to_system)
	expect_eq "$v: migrations to device" "$(evq '[.[] | select(.type == "migrate" and .direction == "to_device")] | length')" $todev
	expect_eq "$v: pages moved to device" "$(evq '[.[] | select(.type == "migrate" and .direction == "to_device") | .moved] | add')" $todev_pages
	expect_eq "$v: pages stayed (to device)" "$(evq '[.[] | select(.type == "migrate" and .direction == "to_device") | .stayed] | add')" 0
	expect_eq "$v: CPU-fault migrations to system" "$(evq '[.[] | select(.type == "migrate" and .cpu_fault)] | length')" $cpuf
	expect_eq "$v: pages moved back by CPU faults" "$(evq '[.[] | select(.type == "migrate" and .cpu_fault) | .moved] | add')" $cpuf
	expect_eq "$v: explicit migrations to system" \
		"$(evq '[.[] | select(.type == "migrate" and .direction == "to_system" and (.cpu_fault | not) and (.device_range | not))] | length')" $tosys
	expect_eq "$v: pages moved back explicitly" \
		"$(evq '[.[] | select(.type == "migrate" and .direction == "to_system" and (.cpu_fault | not) and (.device_range | not)) | .moved] | add')" \
		"$(kv "$t" migrate_sys.to_system_cpages)"
	expect_eq "$v: pages stayed (to system)" "$(evq '[.[] | select(.type == "migrate" and .direction == "to_system") | .stayed] | add')" 0
	expect_eq "$v: migrations attributed to test_hmm" \
		"$(evq '[.[] | select(.type == "migrate" and (.device_range | not) and .driver != "test_hmm")] | length')" 0
	# Closing the device evicts its one chunk (dmirror_fops_release()): nothing is left on it.
	expect_eq "$v: device-chunk evictions" "$(evq '[.[] | select(.type == "migrate" and .device_range)] | length')" 1
	expect_eq "$v: pages left to evict" "$(evq '[.[] | select(.type == "migrate" and .device_range) | .cpages] | add')" 0

	# Invalidations: one MIGRATE per migrate_vma_setup, one SOFT_DIRTY per clear_refs write, and
	# inside the generator's own regions exactly one UNMAP per munmap and nothing else.
	expect_eq "$v: MIGRATE invalidations" "$(evq '[.[] | select(.type == "inval" and .event == "migrate")] | length')" \
		$((todev + cpuf + tosys))
	expect_eq "$v: SOFT_DIRTY invalidations" "$(evq '[.[] | select(.type == "inval" and .event == "soft_dirty")] | length')" \
		"$(kv "$t" soft_dirty.ops)"
	expect_eq "$v: UNMAP inside the regions" "$(inside 'map(select(.event == "unmap")) | length')" \
		"$(kv "$t" munmaps)"
	expect_eq "$v: other invalidations inside the regions" \
		"$(inside 'map(select(.event != "unmap" and .event != "migrate" and .event != "soft_dirty")) | length')" 0
	expect_eq "$v: uffd minor faults" "$(evq '[.[] | select(.type == "uffd" and .reason == "minor")] | length')" "$(kv "$t" uffd_minor.faults)"
	expect_eq "$v: uffd missing faults" "$(evq '[.[] | select(.type == "uffd" and .reason == "missing")] | length')" "$(kv "$t" uffd_missing.faults)"
	rm -f "$ev"
}

check_storm() {
	local v=$1 log=$2 t=$3 busy chained
	ev=$(mktemp)
	section "$log" EVENTS | grep '^{' >"$ev"
	section "$log" WORKLOAD-TOTALS >"$t"
	pid=$(kv "$t" pid)
	busy=$(evq '[.[] | select(.type == "fault" and .result == "ebusy")] | length')
	echo "$v: storm: $busy -EBUSY returns, $(evq '[.[] | select(.type == "chain")] | length') chains"
	expect_ge "$v: storm provoked -EBUSY" "$busy" 1
	# Every -EBUSY is followed by the end of its chain, which counts it.
	chained=$(evq '[.[] | select(.type == "chain") | .busy] | add // 0')
	expect_eq "$v: -EBUSY returns all inside ended chains" "$chained" "$busy"
	expect_eq "$v: chains without a cause" "$(evq '[.[] | select(.type == "chain" and .cause == null)] | length')" 0
	expect_eq "$v: -EBUSY without a cause" "$(evq '[.[] | select(.type == "fault" and .result == "ebusy" and .cause == null)] | length')" 0
	expect_eq "$v: chains that did not end in success" "$(evq '[.[] | select(.type == "chain" and .result != "ok")] | length')" 0
	# The storm thread's own invalidations of the mirrored range, exactly.
	expect_eq "$v: CLEAR inside the regions" "$(inside 'map(select(.event == "clear")) | length')" \
		"$(kv "$t" storm.madvise)"
	expect_eq "$v: PROTECTION_VMA inside the regions" \
		"$(inside 'map(select(.event == "protection_vma")) | length')" "$(kv "$t" storm.mprotect)"
	rm -f "$ev"
}

check_stat() {
	local v=$1 log=$2 t=$3 j c calls
	j=$(section "$log" STAT)
	section "$log" WORKLOAD-TOTALS >"$t"
	c() { jq ".counters.$1" <<<"$j"; }
	calls=$(($(kv "$t" read.range_fault_calls_min) + $(kv "$t" write.range_fault_calls_min)))
	expect_eq "$v: stat: hmm_range_fault calls" "$(c fault_calls)" $calls
	expect_eq "$v: stat: pages" "$(c fault_pages)" $(($(kv "$t" read.pages) + $(kv "$t" write.pages)))
	expect_eq "$v: stat: chains" "$(c chains)" $calls
	expect_eq "$v: stat: migrations to device" "$(c migrations_to_device)" "$(kv "$t" migrate.setup_calls_to_device)"
	expect_eq "$v: stat: pages moved to device" "$(c migrate_moved_to_device)" "$(kv "$t" migrate.to_device_cpages)"
	expect_eq "$v: stat: CPU-fault migrations" "$(c migrate_cpu_fault_to_system)" "$(kv "$t" migrate.cpu_faults)"
	expect_eq "$v: stat: MIGRATE invalidations" "$(c inval_migrate)" \
		$(($(kv "$t" migrate.setup_calls_to_device) + $(kv "$t" migrate.cpu_faults)))
	expect_eq "$v: stat: uffd minor" "$(c uffd_minor)" "$(kv "$t" uffd_minor.faults)"
	expect_eq "$v: stat: lost" "$(jq .lost <<<"$j")" 0
	expect_eq "$v: stat: fault latency histogram count" \
		"$(jq '[.hists[] | select(.metric == "fault_ns") | .count] | add' <<<"$j")" $calls
}

# --paths migrate: the migrations exactly, and nothing from the paths not asked for.
check_stat_migrate() {
	local v=$1 log=$2 t=$3 j c
	j=$(section "$log" STAT)
	section "$log" WORKLOAD-TOTALS >"$t"
	c() { jq ".counters.$1" <<<"$j"; }
	expect_eq "$v: --paths migrate: migrations to device" "$(c migrations_to_device)" \
		"$(kv "$t" migrate.setup_calls_to_device)"
	expect_eq "$v: --paths migrate: pages moved to device" "$(c migrate_moved_to_device)" \
		"$(kv "$t" migrate.to_device_cpages)"
	expect_eq "$v: --paths migrate: CPU-fault migrations" "$(c migrate_cpu_fault_to_system)" \
		"$(kv "$t" migrate.cpu_faults)"
	expect_eq "$v: --paths migrate: pages moved back by CPU faults" \
		"$(c migrate_moved_to_system)" "$(kv "$t" migrate.cpu_faults)"
	expect_eq "$v: --paths migrate: no hmm_range_fault calls" "$(c fault_calls)" 0
	expect_eq "$v: --paths migrate: no invalidations" "$(c inval_migrate)" 0
	expect_eq "$v: --paths migrate: no uffd faults" "$(c uffd_minor)" 0
}

check_filters() {
	local v=$1 log=$2 a b ep eo em
	a=$(sed -n 's/^A=\([0-9]*\) B=.*/\1/p' "$log") b=$(sed -n 's/^A=[0-9]* B=\([0-9]*\) .*/\1/p' "$log")
	expect_match "$v: filters: both workloads ran" "$(grep '^A=' "$log")" "ra=0 rb=0"
	ep=$(section "$log" EVENTS-ep | grep '^{') eo=$(section "$log" EVENTS-eo | grep '^{')
	em=$(section "$log" EVENTS-em | grep '^{')
	# -p A: only calls made by A, and all of A's hmm_range_fault calls.
	expect_eq "$v: -p: events not made by A" "$(jq -s --argjson a "$a" 'map(select(.pid != $a)) | length' <<<"$ep")" 0
	expect_eq "$v: -p: A's faults" "$(jq -s 'map(select(.type == "fault")) | length' <<<"$ep")" \
		"$(section "$log" TOTALS-ta | sed -n 's/^read.range_fault_calls_min=//p')"
	expect_ge "$v: -p: A's migrations" "$(jq -s 'map(select(.type == "migrate")) | length' <<<"$ep")" 1
	# --owner B: only work on B's memory, and all of B's faults.
	expect_eq "$v: --owner: events on other memory" \
		"$(jq -s --argjson b "$b" 'map(select(.owner_pid != $b)) | length' <<<"$eo")" 0
	expect_eq "$v: --owner: B's faults" "$(jq -s 'map(select(.type == "fault")) | length' <<<"$eo")" \
		$(($(section "$log" TOTALS-tb | sed -n 's/^read.range_fault_calls_min=//p') + \
		   $(section "$log" TOTALS-tb | sed -n 's/^write.range_fault_calls_min=//p')))
	# --min-us 50: nothing shorter, something longer (TCG makes plenty of calls take longer).
	expect_eq "$v: --min-us: events under 50us" "$(jq -s 'map(select(.dur_ns < 50000)) | length' <<<"$em")" 0
	expect_ge "$v: --min-us: events over 50us" "$(jq -s 'length' <<<"$em")" 1
	# ... and there were shorter ones to drop: the unfiltered tracer of A saw some.
	expect_ge "$v: --min-us: shorter events it had to drop" \
		"$(jq -s 'map(select(.dur_ns < 50000)) | length' <<<"$ep")" 1
}

check_stats() {
	local v=$1 dir=$2 s=$2/stats.json
	expect_eq "$v: hmm-tests: events lost" "$(jq .lost "$s")" 0
	expect_ge "$v: hmm-tests: hmm_range_fault calls" "$(jq .kernel.counters.fault_calls "$s")" 100
	expect_ge "$v: hmm-tests: migrations" "$(jq .kernel.counters.migrations_to_system "$s")" 1000
	expect_eq "$v: counters differing between kernel and events" \
		"$(jq -r '.kernel.counters as $k | .from_events.counters as $e | [$k | keys[] | select($k[.] != $e[.])] | join(",")' "$s")" ""
	expect_eq "$v: histograms differing between kernel and events" \
		"$(jq -r '[.kernel.hists[] | "\(.metric)/\(.label)/\(.driver_addr) \(.count) \(.sum)"] | sort | join(";")' "$s" | md5sum)" \
		"$(jq -r '[.from_events.hists[] | "\(.metric)/\(.label)/\(.driver_addr) \(.count) \(.sum)"] | sort | join(";")' "$s" | md5sum)"
	expect_ge "$v: histograms compared" "$(jq '.kernel.hists | length' "$s")" 10
}

for v in ${LAB_ONLY:-6.1 6.12}; do
	echo "== lab kernel $v"
	lab_ready "$v"
	log=$(mktemp) t=$(mktemp)
	"$LAB/run.sh" -q -k "$v" -t 300 -l "$log" "$ROOT/tests/lab/probe.sh"
	expect_status "$v: probe job" $? 0
	tr -d '\r' <"$log" >"$log.txt"
	check_probe "$v" "$log.txt"

	"$LAB/run.sh" -q -k "$v" -t 300 -l "$log" "$ROOT/tests/lab/dump.sh" -- "${WORK[@]}"
	expect_status "$v: dump around the workload" $? 0
	tr -d '\r' <"$log" >"$log.txt"
	check_workload "$v" "$log.txt" "$t"

	"$LAB/run.sh" -q -k "$v" -t 300 -l "$log" "$ROOT/tests/lab/dump.sh" -- -m 256 --storm 60
	expect_status "$v: dump around the storm" $? 0
	tr -d '\r' <"$log" >"$log.txt"
	check_storm "$v" "$log.txt" "$t"

	"$LAB/run.sh" -q -k "$v" -t 300 -l "$log" "$ROOT/tests/lab/stat.sh" -m $M --reads 3 --writes 2 \
		--migrate 2 --uffd-minor 3
	expect_status "$v: stat around the workload" $? 0
	tr -d '\r' <"$log" >"$log.txt"
	check_stat "$v" "$log.txt" "$t"

	# Also the kprobe programs' counts (dump and stat above ran in fentry mode).
	"$LAB/run.sh" -q -k "$v" -t 300 -l "$log" "$ROOT/tests/lab/stat.sh" --paths migrate \
		--mode kprobe -m $M --reads 3 --writes 2 --migrate 2 --uffd-minor 3
	expect_status "$v: stat --paths migrate --mode kprobe around the workload" $? 0
	tr -d '\r' <"$log" >"$log.txt"
	check_stat_migrate "$v" "$log.txt" "$t"

	"$LAB/run.sh" -q -k "$v" -t 300 -l "$log" "$ROOT/tests/lab/filters.sh"
	expect_status "$v: filters job" $? 0
	tr -d '\r' <"$log" >"$log.txt"
	check_filters "$v" "$log.txt"

	out=$(mktemp -d)
	"$LAB/run.sh" -q -k "$v" -t 900 -o "$out" -l "$log" "$ROOT/tests/lab/hmm-tests-traced.sh"
	expect_status "$v: hmm-tests under dump --stats" $? 0
	check_stats "$v" "$out"
	rm -rf "$out" "$log" "$log.txt" "$t"
done
finish
