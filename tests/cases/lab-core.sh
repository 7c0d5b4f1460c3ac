#!/bin/bash
# The core in the lab, on the four lab kernels (5.10, 6.1, 6.12, 7.3), from one lab session per
# kernel (tests/lab/session.sh, shared with lab-record, lab-workload and lab-hmm-tests):
#  - probe: every attach point the kernel's vmlinux has is attached, in fentry mode and in
#    forced kprobe mode (refused on 7.x, with the reason), the others reported absent;
#  - dump --json under the workload generator, checked exactly against its totals: calls, rounds
#    of hmm_range_fault_unlocked_timeout() and their causes (7.x), pages, results, migrations and
#    pages moved/stayed each way (large folios, 7.x), evictions with their owner and driver
#    (6.1+), invalidations per type inside the generator's own regions, userfaultfd faults,
#    nothing lost; what the generator skipped on a kernel is expected absent;
#  - an invalidation storm: every -EBUSY chain ends and carries a cause;
#  - the storm under record --stacks: each -EBUSY's cause stack names the syscall that caused it;
#    under stat --stacks, the retries per stack add up to the -EBUSY count;
#  - stat around a command: its in-kernel totals equal the generator's; with --paths migrate
#    --mode kprobe, the migrations and nothing else, counted by the kprobe programs (7.x: refused);
#  - -EBUSY from one thread (--cow: copy-on-write broken inside hmm_range_fault()): calls,
#    -EBUSY returns, chains and retries equal to the generator's;
#  - the filters: -p (caller), --owner (mm owner) and --min-us;
#  - thrashing: --thrash 5,2 under record (report's round trips, ranges, the two ranges' counts,
#    the ranges that became thrashing) and stat (its counters), --migrate 4 under record, each
#    equal to the generator's round trips (5.10: --thrash skipped, no MIGRATE_TO_SYS); the
#    round trips of the dumped and stat's workloads, every op's, equal to the generator's model;
#  - pages left behind: --migrate 2 --pin 3 (vmsplice holds 3 pages of each region), each
#    migration step's collected and moved pages as the generator's retry makes them;
#  - hmmtrace diff of --migrate 4 (A) and -m 512 --migrate 8 --storm 100 (B): each line's direction, and
#    its values where the generator counts them;
#  - hmm-tests under dump --stats: nothing lost, in-kernel counters and histograms equal the ones
#    derived from the events.
. "$(dirname "$0")/../lib.sh"

APS=$LAB_APS

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

# n KEY: a total of the generator, 0 where it printed none.
n() { local x; x=$(kv "$t" "$1"); echo "${x:-0}"; }
# c KEY: a counter of the hmmtrace stat --json output at $j.
c() { jq ".counters.$1" "$j"; }

check_probe() {
	local v=$1 p=$2/probe mode j present=0 f
	for f in $APS; do lab_kernel_has "$v" "$f" && present=$((present + 1)); done
	echo "$v: the kernel's vmlinux defines $present of the 14 attach points"
	for mode in auto kprobe; do
		j=$p/$mode.json
		expect_eq "$v: probe --mode $mode: attach points" "$(jq '.attach | length' "$j")" 14
		expect_eq "$v: probe --mode $mode: absent ones" \
			"$(jq '[.attach[] | select(.state == "absent")] | length' "$j")" $((14 - present))
		for f in $APS; do
			lab_kernel_has "$v" "$f" ||
				expect_eq "$v: probe: $f absent" "$(jq -r --arg f "$f" '.attach[] | select(.func == $f) | .state' "$j")" absent
		done
		if [ $mode = kprobe ] && [ "${v%%.*}" = 7 ]; then
			expect_eq "$v: probe --mode kprobe: refused with the reason" \
				"$(jq '[.attach[] | select(.state == "failed" and (.reason | test("refused on 7.x")))] | length' "$j")" $present
			expect_eq "$v: probe --mode kprobe: programs still verified" \
				"$(jq '[.attach[] | select(.state != "absent" and .verified)] | length' "$j")" $present
			expect_eq "$v: probe --mode kprobe exit status (none live)" "$(cat $p/$mode.rc)" 3
			continue
		fi
		# Loaded, relocated against this kernel's BTF and verified, whatever the mode.
		expect_eq "$v: probe --mode $mode: present attach points verified" \
			"$(jq '[.attach[] | select(.state != "absent" and .verified)] | length' "$j")" $present
		local want=$([ $mode = auto ] && echo fentry || echo kprobe)
		expect_eq "$v: probe --mode $mode: attached in $want mode" \
			"$(jq "[.attach[] | select(.state == \"attached\" and .mode == \"$want\")] | length" "$j")" $present
		expect_eq "$v: probe --mode $mode exit status" "$(cat $p/$mode.rc)" 0
	done
}

check_workload() {
	local v=$1 d=$2/dump/workload calls pages urounds uok ucalls k step m todev todev_pages cpuf tosys
	local tosys_pages thp evicted
	ev=$d/events.json t=$d/totals
	pid=$(kv "$t" pid)
	expect_eq "$v: workload result" "$(kv "$t" result)" ok
	expect_status "$v: dump around the workload" "$(cat $d/rc)" 0
	expect_eq "$v: dump: attach points not live but present" \
		"$(grep 'not live' $d/dump.err | grep -vc '(absent)')" 0
	grep -q "lost 0 " $d/dump.err && echo "ok: $v: lost 0" || fail "$v: events were lost: $(grep '^lost' $d/dump.err)"
	grep '\.skipped=' "$t" | sed "s/^/$v: generator: /"

	# hmm_range_fault: one call per fault step (nothing invalidates the regions meanwhile).
	calls=$(($(n read.range_fault_calls_min) + $(n write.range_fault_calls_min) +
		$(n snapshot.range_fault_calls_min) + $(n soft_dirty.range_fault_calls_min)))
	pages=$(($(n read.pages) + $(n write.pages) + $(n snapshot.pages) + $(n soft_dirty.pages)))
	# 7.x, hmm_range_fault_unlocked_timeout(): one round per step on present pages; over a
	# userfaultfd range a step of k pages is k + 1 rounds, each over the step's k pages.
	step=$(n fault_step) m=$(n pages_per_op)
	urounds=$(($(n read_unlocked.rounds) + $(n uffd_unlocked.rounds)))
	ucalls=$(($(n read_unlocked.unlocked_calls) + $(n uffd_unlocked.unlocked_calls)))
	upages=$(n read_unlocked.pages)
	local uops=$(n uffd_unlocked.ops) left c
	for ((k = 0; k < uops; k++)); do
		for ((left = m; left > 0; left -= step)); do
			c=$((left < step ? left : step)); upages=$((upages + (c + 1) * c))
		done
	done
	expect_eq "$v: fault records" "$(evq '[.[] | select(.type == "fault")] | length')" $((calls + urounds))
	expect_eq "$v: hmm_range_fault calls" "$(evq '[.[] | select(.type == "fault" and (.unlocked | not))] | length')" $calls
	expect_eq "$v: unlocked rounds" "$(evq '[.[] | select(.type == "fault" and .unlocked)] | length')" $urounds
	expect_eq "$v: fault pages" "$(evq '[.[] | select(.type == "fault") | .npages] | add // 0')" $((pages + upages))
	expect_eq "$v: fault successes" "$(evq '[.[] | select(.type == "fault" and .result == "ok")] | length')" $((calls + ucalls))
	expect_eq "$v: unlocked rounds retried for a dropped mmap lock" \
		"$(evq '[.[] | select(.type == "fault" and .result == "ebusy" and .unlocked and .cause.lock_dropped)] | length')" \
		"$(n uffd_unlocked.lock_drops)"
	expect_eq "$v: other -EBUSY" "$(evq '[.[] | select(.type == "fault" and .result == "ebusy" and (.cause.lock_dropped | not))] | length')" 0
	expect_eq "$v: unlocked chains" "$(evq '[.[] | select(.type == "chain" and .unlocked)] | length')" \
		"$(n uffd_unlocked.unlocked_calls)"
	expect_eq "$v: unlocked chains' attempts" "$(evq '[.[] | select(.type == "chain" and .unlocked) | .attempts] | add // 0')" \
		"$(n uffd_unlocked.rounds)"
	expect_eq "$v: chains that timed out (test_hmm passes no timeout)" \
		"$(evq '[.[] | select(.type == "chain" and .timeout)] | length')" 0
	expect_eq "$v: other chains" "$(evq '[.[] | select(.type == "chain" and (.unlocked | not))] | length')" 0
	expect_eq "$v: write faults" "$(evq '[.[] | select(.type == "fault" and .write)] | length')" \
		"$(n write.range_fault_calls_min)"
	expect_eq "$v: snapshots (no fault flag)" "$(evq '[.[] | select(.type == "fault" and (.fault | not))] | length')" \
		"$(n snapshot.range_fault_calls_min)"
	expect_eq "$v: valid pfns after successful faults" \
		"$(evq '[.[] | select(.type == "fault" and .fault and .result == "ok") | .pfn_valid] | add // 0')" \
		$((pages - $(n snapshot.pages) + $(n read_unlocked.pages) + $(n uffd_unlocked.pages)))
	expect_eq "$v: faults by test_hmm" "$(evq '[.[] | select(.type == "fault" and .driver == "test_hmm")] | length')" $((calls + urounds))
	expect_eq "$v: read_begin calls" "$(evq '[.[] | select(.type == "read_begin")] | length')" $((calls + urounds))

	# Migrations: to the device, back by CPU fault (fault_page: 6.1+; before, they are plain
	# ones), back explicitly, a THP both ways (7.x), evicted at close (6.1+).
	thp=$(n migrate_thp.ops)
	todev=$(($(n migrate.setup_calls_to_device) + $(n migrate_sys.setup_calls_to_device) +
		$(n migrate_thp.setup_calls_to_device) + $(n evict.setup_calls_to_device)))
	todev_pages=$(($(n migrate.to_device_cpages) + $(n migrate_sys.to_device_cpages) +
		$(n migrate_thp.to_device_cpages) + $(n evict.to_device_cpages)))
	cpuf=$(n migrate.cpu_faults)
	tosys=$(($(n migrate_sys.setup_calls_to_system) + $(n migrate_thp.setup_calls_to_system)))
	tosys_pages=$(($(n migrate_sys.to_system_cpages) + thp * 512))
	if ! ver_ge "$v" 6.1; then
		tosys=$((tosys + cpuf)) tosys_pages=$((tosys_pages + cpuf)) cpuf=0
	fi
	expect_eq "$v: migrations to device" "$(evq '[.[] | select(.type == "migrate" and .direction == "to_device")] | length')" $todev
	expect_eq "$v: pages moved to device" "$(evq '[.[] | select(.type == "migrate" and .direction == "to_device") | .moved] | add // 0')" $todev_pages
	expect_eq "$v: large-folio migrations to device" \
		"$(evq '[.[] | select(.type == "migrate" and .direction == "to_device" and .large)] | length')" "$(n migrate_thp.huge)"
	expect_eq "$v: pages stayed" "$(evq '[.[] | select(.type == "migrate") | .stayed] | add // 0')" 0
	expect_eq "$v: CPU-fault migrations to system" "$(evq '[.[] | select(.type == "migrate" and .cpu_fault)] | length')" $cpuf
	expect_eq "$v: pages moved back by CPU faults" "$(evq '[.[] | select(.type == "migrate" and .cpu_fault) | .moved] | add // 0')" $cpuf
	expect_eq "$v: explicit migrations to system" \
		"$(evq '[.[] | select(.type == "migrate" and .direction == "to_system" and (.cpu_fault | not) and (.device_range | not))] | length')" $tosys
	expect_eq "$v: pages moved back explicitly" \
		"$(evq '[.[] | select(.type == "migrate" and .direction == "to_system" and (.cpu_fault | not) and (.device_range | not)) | .moved] | add // 0')" \
		$tosys_pages
	expect_eq "$v: round trips" "$(evq '[.[] | select(.type == "round_trip")] | length')" \
		"$(n round_trips)"
	expect_eq "$v: migrations attributed to test_hmm" \
		"$(evq '[.[] | select(.type == "migrate" and .driver != "test_hmm")] | length')" 0
	# Closing the device evicts each of its chunks (dmirror_fops_release(), 6.1+): the pages
	# --evict left there, owned by the generator, the other chunks empty.
	evicted=$(n evict.evicted_pages)
	if ver_ge "$v" 6.1; then
		expect_ge "$v: device-chunk evictions" "$(evq '[.[] | select(.type == "migrate" and .device_range)] | length')" 1
		expect_eq "$v: pages collected by evictions" "$(evq '[.[] | select(.type == "migrate" and .device_range) | .cpages] | add')" $evicted
		expect_eq "$v: pages moved by evictions" "$(evq '[.[] | select(.type == "migrate" and .device_range) | .moved] | add')" $evicted
		expect_eq "$v: evictions with pages, owned by the generator" \
			"$(evq '[.[] | select(.type == "migrate" and .device_range and .cpages > 0 and .owner_pid == '"$pid"')] | length')" \
			"$(evq '[.[] | select(.type == "migrate" and .device_range and .cpages > 0)] | length')"
		expect_ge "$v: eviction span (the chunk)" "$(evq '[.[] | select(.type == "migrate" and .device_range) | .span] | min')" 1
	else
		expect_eq "$v: device-chunk evictions (no migrate_device_range)" \
			"$(evq '[.[] | select(.type == "migrate" and .device_range)] | length')" 0
	fi

	# Invalidations: one MIGRATE per migrate_vma_setup, one SOFT_DIRTY per clear_refs write, and
	# inside the generator's own regions one UNMAP per munmap, one CLEAR per evicted page
	# (try_to_migrate_one()), nothing else.
	expect_eq "$v: MIGRATE invalidations" "$(evq '[.[] | select(.type == "inval" and .event == "migrate")] | length')" \
		$((todev + cpuf + tosys))
	expect_eq "$v: SOFT_DIRTY invalidations" "$(evq '[.[] | select(.type == "inval" and .event == "soft_dirty")] | length')" \
		"$(n soft_dirty.ops)"
	expect_eq "$v: UNMAP inside the regions" "$(inside 'map(select(.event == "unmap")) | length')" "$(n munmaps)"
	expect_eq "$v: CLEAR inside the regions (evictions)" "$(inside 'map(select(.event == "clear")) | length')" $evicted
	expect_eq "$v: other invalidations inside the regions" \
		"$(inside 'map(select(.event != "unmap" and .event != "migrate" and .event != "soft_dirty" and .event != "clear")) | length')" 0
	expect_eq "$v: uffd minor faults" "$(evq '[.[] | select(.type == "uffd" and .reason == "minor")] | length')" "$(n uffd_minor.faults)"
	expect_eq "$v: uffd missing faults" "$(evq '[.[] | select(.type == "uffd" and .reason == "missing")] | length')" \
		$(($(n uffd_missing.faults) + $(n uffd_unlocked.lock_drops)))
}

check_storm() {
	local v=$1 d=$2/dump/storm busy chained
	ev=$d/events.json t=$d/totals
	pid=$(kv "$t" pid)
	expect_status "$v: dump around the storm" "$(cat $d/rc)" 0
	busy=$(evq '[.[] | select(.type == "fault" and .result == "ebusy")] | length')
	echo "$v: storm: $busy -EBUSY returns, $(evq '[.[] | select(.type == "chain")] | length') chains"
	expect_ge "$v: storm provoked -EBUSY" "$busy" 1
	# Every -EBUSY is followed by the end of its chain, which counts it.
	chained=$(evq '[.[] | select(.type == "chain") | .busy] | add // 0')
	expect_eq "$v: -EBUSY returns all inside ended chains" "$chained" "$busy"
	# A read whose loop gave up (storm.ebusy) ends in a gave_up chain, with no cause when its
	# last attempt succeeded and only the inline read_retry failed.
	expect_eq "$v: chains without a cause" "$(evq '[.[] | select(.type == "chain" and .cause == null and (.gave_up | not))] | length')" 0
	expect_eq "$v: -EBUSY without a cause" "$(evq '[.[] | select(.type == "fault" and .result == "ebusy" and .cause == null)] | length')" 0
	expect_eq "$v: chains that gave up" "$(evq '[.[] | select(.type == "chain" and .gave_up)] | length')" "$(kv "$t" storm.ebusy)"
	expect_eq "$v: chains that did not end in success" "$(evq '[.[] | select(.type == "chain" and .result != "ok" and (.gave_up | not))] | length')" 0
	# The storm thread's own invalidations of the mirrored range, exactly: one per
	# MADV_DONTNEED, and one per mprotect() and page-table block the range lies in.
	expect_eq "$v: CLEAR inside the regions" "$(inside 'map(select(.event == "clear")) | length')" \
		"$(kv "$t" storm.madvise)"
	# mprotect() starts an invalidation per block of the range it walks (change_protection()):
	# per PUD entry, 1 GiB, in change_pmd_range() on 5.10 and 6.1; per P4D entry, 512 GiB, in
	# change_pud_range() from 6.12. 5.10 and 6.1 map the 2 MiB range at any page (6.12 and 7.3
	# align it to 2 MiB), so about one run in 500 straddles a 1 GiB line: two invalidations per
	# call (a 6.1 CI run, 0x7f89bfe91000-0x7f89c0091000).
	local block=$((1 << 39)) blocks
	case $v in 5.10 | 6.1) block=$((1 << 30)) ;; esac
	# The blocks of the region ($R, inside()'s) that holds the first event; 1 without events.
	blocks=$(inside '(map(select(.event == "protection_vma") | .start | hex) | first) as $f
		| [$R[] | select($f != null and $f >= .[0] and $f < .[1])
			| ((.[1] - 1) / '$block' | floor) - (.[0] / '$block' | floor) + 1] | first // 1')
	[ $blocks -gt 1 ] && echo "$v: storm: the range lies in $blocks page-table blocks of $((block >> 30)) GiB"
	expect_eq "$v: PROTECTION_VMA inside the regions" \
		"$(inside 'map(select(.event == "protection_vma")) | length')" $(($(kv "$t" storm.mprotect) * blocks))
}

# --migrate 2 --pin 3: a pipe holds 3 pages of each region (vmsplice), so each region's first
# MIGRATE_TO_DEV leaves them behind and fails; the next moves exactly them. Per migration step,
# as (collected, moved): the first call's first step 3 short, the others whole; the second
# call's first step the 3 pages, the others nothing (their pages are on the device already).
check_pin() {
	local v=$1 d=$2/dump/pin step m k=3 ops=2 i size want=
	ev=$d/events.json t=$d/totals
	pid=$(kv "$t" pid)
	expect_status "$v: dump around --pin" "$(cat $d/rc)" 0
	expect_status "$v: --migrate 2 --pin 3" "$(cat $d/workload.rc)" 0
	expect_eq "$v: --pin: pages pinned" "$(n migrate.pinned_pages)" $((ops * k))
	expect_eq "$v: --pin: calls that left pages behind" "$(n migrate.to_device_partial_calls)" $ops
	step=$(n migrate_step) m=$(n pages_per_op)
	for ((i = 0; i < m; i += step)); do
		size=$((m - i < step ? m - i : step))
		if [ $i = 0 ]; then
			want+="[$((size - k)),$((size - k))],[$k,$k],"
		else
			want+="[$size,$size],[0,0],"
		fi
	done
	want=$(jq -c --argjson ops $ops '[range($ops) as $o | .[]] | sort' <<<"[${want%,}]")
	expect_eq "$v: --pin: migrations to device, (collected, moved) each" \
		"$(evq '[.[] | select(.type == "migrate" and .direction == "to_device") | [.cpages, .moved]] | sort' | jq -c .)" "$want"
	expect_eq "$v: --pin: migrations to device" \
		"$(evq '[.[] | select(.type == "migrate" and .direction == "to_device")] | length')" "$(n migrate.setup_calls_to_device)"
	expect_eq "$v: --pin: pages stayed (collected, not moved)" \
		"$(evq '[.[] | select(.type == "migrate") | .stayed] | add // 0')" 0
}

# The sustained storm: every read whose driver loop gave up at test_hmm's timeout (the generator
# counts the -EBUSY returns) is one chain record marked gave_up, and a stall; no other chain ends
# in -EBUSY. How many reads give up depends on the host: the storm's vCPU must not lose its host
# CPU for the length of one attempt in a whole second.
check_stall() {
	local v=$1 d=$2/dump/stall gave ebusy
	ev=$d/events.json t=$d/totals
	pid=$(kv "$t" pid)
	expect_status "$v: dump around the stall op" "$(cat $d/rc)" 0
	expect_status "$v: the stall op" "$(cat $d/workload.rc)" 0
	grep -q "lost 0 " $d/dump.err && echo "ok: $v: stall: lost 0" || fail "$v: stall: events were lost: $(grep '^lost' $d/dump.err)"
	ebusy=$(kv "$t" stall.ebusy)
	gave=$(evq '[.[] | select(.type == "chain" and .gave_up)] | length')
	echo "$v: stall: $(kv "$t" stall.ops) reads, $ebusy gave up; longest chain $(evq '[.[] | select(.type == "chain") | .dur_ns] | max // 0') ns"
	expect_eq "$v: chains that gave up (stall.ebusy)" "$gave" "$ebusy"
	expect_eq "$v: gave-up chains that are stalls" "$(evq '[.[] | select(.type == "chain" and .gave_up and .stall and .result == "ebusy")] | length')" "$ebusy"
	expect_eq "$v: other chains ending in -EBUSY" "$(evq '[.[] | select(.type == "chain" and .result == "ebusy" and (.gave_up | not))] | length')" 0
	[ "$ebusy" -gt 0 ] || echo "$v: note: no read ran into the driver's timeout on this host this time"
}

# A stall by duration (7.x): three unlocked reads whose userfaultfd handler waits 1.1 s, each one
# hmm_range_fault_unlocked_timeout() chain of two rounds (the fault dropped the mmap lock, then
# the page was there), at least --stall-ms' default 1000 ms long. Before 7.x the generator skips
# them, and no chain is a stall.
check_ustall() {
	local v=$1 d=$2/dump/ustall n
	ev=$d/events.json t=$d/totals
	pid=$(kv "$t" pid)
	expect_status "$v: dump around the delayed unlocked reads" "$(cat $d/rc)" 0
	expect_status "$v: the delayed unlocked reads" "$(cat $d/workload.rc)" 0
	if lab_kernel_has "$v" hmm_range_fault_unlocked_timeout; then
		n=$(kv "$t" uffd_unlocked.delayed_calls)
		expect_eq "$v: unlocked calls that waited 1.1 s (generator)" "$n" 3
		expect_eq "$v: stalls: chains of 1000 ms or more" \
			"$(evq '[.[] | select(.type == "chain" and .stall)] | length')" "$n"
		expect_eq "$v: those stalls: unlocked, 2 rounds, 1 -EBUSY, ok, the lock dropped" \
			"$(evq '[.[] | select(.type == "chain" and .stall) | [.unlocked, .attempts, .busy, .result, .gave_up, .cause.lock_dropped]] | unique | map(@text) | join(" ")' | jq -r .)" \
			'[true,2,1,"ok",false,true]'
		expect_eq "$v: chains shorter than the handler's 1.1 s" \
			"$(evq '[.[] | select(.type == "chain" and .dur_ns < 1100000000)] | length')" 0
	else
		expect_match "$v: delayed unlocked reads skipped, with the reason" \
			"$(kv "$t" uffd_unlocked.skipped)" "no HMM_DMIRROR_READ_UNLOCKED"
		expect_eq "$v: stalls without the unlocked reads" \
			"$(evq '[.[] | select(.type == "chain" and .stall)] | length')" 0
	fi
}

# nclear FILE: the CLEAR invalidations hmmtrace report counts in FILE
nclear() {
	"$OUTPUT/hmmtrace" report -i "$1" --json |
		jq '[.invalidations.by_event[] | select(.event == "clear") | .count] | add // 0'
}

# hmmtrace diff of two recordings of the generator with known differences: A --migrate 4 (64
# pages), B -m 512 --migrate 8 --storm 100 (the storm as check_storm's, which provokes -EBUSY on
# every lab kernel). Each line's direction, and its values where the generator counts them.
check_diff() {
	local v=$1 d=$2/thrash j ta=$2/thrash/m-totals tb=$2/thrash/b-totals
	expect_status "$v: record around the diff's B" "$(cat $d/b.rc)" 0
	grep -q "events, lost 0," $d/b.err && echo "ok: $v: diff B: lost 0" ||
		fail "$v: diff B: events were lost: $(grep 'recorded' $d/b.err)"
	j=$("$OUTPUT/hmmtrace" diff $d/migrate.hmmtrace $d/diff-b.hmmtrace --json)
	expect_status "$v: hmmtrace diff" $? 0
	expect_eq "$v: diff: same host, same kernel" "$(jq -c '[.same_host, .same_kernel]' <<<"$j")" "[true,true]"
	# dline METRIC WHAT: "a b trend" of that line (WHAT: direction, event, driver or -)
	dline() {
		jq -r --arg m "$1" --arg w "$2" '.lines[] | select(.metric == $m and
			($w == "-" or .direction == $w or .event == $w or .driver == $w))
			| "\(.a) \(.b) \(.trend)"' <<<"$j"
	}
	local b_calls b_busy
	b_calls=$(jq '[.lines[] | select(.metric == "fault_calls")][0].b' <<<"$j")
	expect_eq "$v: diff: fault calls (A migrates only)" "$(dline fault_calls -)" "0 $b_calls up"
	expect_ge "$v: diff: B's fault calls" "$b_calls" 1
	expect_match "$v: diff: -EBUSY per call" "$(dline ebusy_per_call -)" '^0 [0-9.e-]+ up$'
	b_busy=$(jq '[.lines[] | select(.metric == "retries")][0].b' <<<"$j")
	expect_eq "$v: diff: retries" "$(dline retries -)" "0 $b_busy up"
	expect_eq "$v: diff: pages moved to the device" "$(dline pages_moved to_device)" \
		"$(kv $ta migrate.to_device_cpages) $(kv $tb migrate.to_device_cpages) up"
	expect_eq "$v: diff: round trips" "$(dline round_trips -)" \
		"$(kv $ta migrate.round_trips) $(kv $tb migrate.round_trips) up"
	if [ "$(kv $tb storm.ebusy)" = 0 ]; then
		expect_eq "$v: diff: no stalls line (none either side)" "$(dline stalls -)" ""
	else
		expect_eq "$v: diff: stalls (B's reads that gave up)" "$(dline stalls -)" \
			"0 $(kv $tb storm.ebusy) up"
	fi
	expect_match "$v: diff: pages moved to system" "$(dline pages_moved to_system)" ' up$'
	expect_eq "$v: diff: nothing hidden" "$(jq .hidden <<<"$j")" 0
	# MADV_DONTNEED's invalidations (CLEAR): counted as report counts them in each file, B's
	# the storm's at least. Their rate is that count over each recording's span, exactly (its
	# trend is not asserted: it compares how long two recordings took).
	local ca cb
	ca=$(nclear $d/migrate.hmmtrace) cb=$(nclear $d/diff-b.hmmtrace)
	expect_eq "$v: diff: MADV_DONTNEED's invalidations" "$(dline invalidations clear)" "$ca $cb up"
	expect_ge "$v: diff: B's CLEAR, the storm's MADV_DONTNEED at least" "$cb" "$(kv $tb storm.madvise)"
	expect_eq "$v: diff: CLEAR per second, over each recording's span" "$(jq -c '
		[.lines[] | select(.metric == "inval_per_s" and .event == "clear")][0] as $l
		| [$l.a == ('"$ca"' * 1e9 / .a.duration_ns), $l.b == ('"$cb"' * 1e9 / .b.duration_ns)]' <<<"$j")" \
		"[true,true]"
	expect_match "$v: diff: test_hmm's faults" "$(dline driver_faults test_hmm)" '^0 [0-9]+ up$'
}

# record --stacks around the storm: every -EBUSY's cause names the invalidation's kernel stack,
# and the stacks tell the storm thread's three invalidators apart exactly: the -EBUSY blamed on
# a stack through madvise are those blamed on CLEAR, through mprotect on PROTECTION_VMA, through
# munmap on UNMAP; no stack is in two classes. The report and the folded stacks count the same.
check_stacks() {
	local v=$1 mode=$3 d=$2/stacks/$3 busy cls f
	if [ "$mode" = kprobe ] && ver_ge "$v" 7.0; then
		return # kprobe mode is refused on 7.x (check_probe)
	fi
	ev=$d/events.json t=$d/totals
	pid=$(kv "$t" pid)
	# The file read back here, as on any machine: dump, report, folded stacks.
	"$OUTPUT/hmmtrace" dump -i $d/storm.hmmtrace --json >$d/events.json 2>$d/dump.err
	echo $? >$d/dump.rc
	"$OUTPUT/hmmtrace" report -i $d/storm.hmmtrace --json >$d/report.json 2>$d/report.err
	echo $? >$d/report.rc
	"$OUTPUT/hmmtrace" report -i $d/storm.hmmtrace --folded >$d/folded.txt 2>$d/folded.err
	echo $? >$d/folded.rc
	for f in rc dump.rc report.rc folded.rc; do
		expect_status "$v: stacks $mode: $f" "$(cat "$d/$f")" 0
	done
	expect_eq "$v: stacks $mode: stack_drops" \
		"$(sed -n 's/.*stack_drops \([0-9]*\).*/\1/p' "$d/record.err")" 0
	# A program the verifier rejects leaves its attach point "not live (failed)": say so here,
	# not only as -EBUSY without stacks below.
	expect_eq "$v: stacks $mode: attach points that failed" "$(grep -c 'not live (failed)' "$d/record.err")" 0
	busy=$(evq '[.[] | select(.type == "fault" and .result == "ebusy")] | length')
	# The class of a cause by its frames: the syscall that invalidated.
	cls='def cls: (.frames // [] | join(";")) as $f
		| if ($f | test("madvise")) then "madvise" elif ($f | test("mprotect")) then "mprotect"
		  elif ($f | test("munmap")) then "munmap" else "other" end;
	     [.[] | select(.type == "fault" and .result == "ebusy") | .cause]'
	echo "$v: stacks $mode: $busy -EBUSY; by class and stack:" \
		"$(evq "$cls | map(\"\(cls)/\(.event)/\(.stack)\") | group_by(.) | map(\"\(.[0]) x\(length)\") | join(\" \")")"
	expect_eq "$v: stacks $mode: -EBUSY without a stack" "$(evq "$cls | map(select(.stack == null)) | length")" 0
	expect_eq "$v: stacks $mode: -EBUSY with unknown frames" "$(evq "$cls | map(select(.frames == null)) | length")" 0
	# Before 5.15 the unwinder stops at the kretprobe's trampoline, which the kretprobe on the
	# same function put in place of its return address (x86/unwind: "Recover kretprobe
	# trampoline return address", 5.15): in kprobe mode every stack is the notifier alone.
	if [ "$mode" = kprobe ] && ! ver_ge "$v" 5.15; then
		expect_eq "$v: stacks $mode: stacks past kretprobe_trampoline (before 5.15)" \
			"$(evq "$cls | map(select(.frames[-1] | test(\"^kretprobe_trampoline[+]\") | not)) | length")" 0
	else
		expect_eq "$v: stacks $mode: madvise stacks = CLEAR" "$(evq "$cls | map(select(cls == \"madvise\")) | length")" \
			"$(evq "$cls | map(select(.event == \"clear\")) | length")"
		expect_eq "$v: stacks $mode: mprotect stacks = PROTECTION_VMA" "$(evq "$cls | map(select(cls == \"mprotect\")) | length")" \
			"$(evq "$cls | map(select(.event == \"protection_vma\")) | length")"
		expect_eq "$v: stacks $mode: munmap stacks = UNMAP" "$(evq "$cls | map(select(cls == \"munmap\")) | length")" \
			"$(evq "$cls | map(select(.event == \"unmap\")) | length")"
		expect_eq "$v: stacks $mode: -EBUSY from other stacks" "$(evq "$cls | map(select(cls == \"other\")) | length")" 0
		# Sane stacks: every frame named, none the tracer's (its program, trampolines), the
		# outermost the syscall entry. The innermost is the notifier or, on 7.x, its caller.
		expect_eq "$v: stacks $mode: stacks with unnamed or tracer frames" \
			"$(evq "$cls | map(select(.frames | map(test(\"^0x|trampoline|^bpf_\")) | any)) | length")" 0
		expect_eq "$v: stacks $mode: outermost frame not the syscall entry" \
			"$(evq "$cls | map(select(.frames[-1] | test(\"^entry_SYSCALL\") | not)) | length")" 0
		expect_eq "$v: stacks $mode: folded lines not from the syscall entry" \
			"$(grep -cv '^entry_SYSCALL[^;]*;.* [0-9]*$' "$d/folded.txt")" 0
	fi
	expect_eq "$v: stacks $mode: stacks in two classes" \
		"$(evq "$cls | map([.stack, cls]) | unique | group_by(.[0]) | map(select(length > 1)) | length")" 0
	# The report: retries and chains by stack, as the events count them; the live report the same.
	expect_eq "$v: stacks $mode: report retries" "$(jq '[.cause_stacks[]?.retries] | add // 0' "$d/report.json")" "$busy"
	expect_eq "$v: stacks $mode: report chains" "$(jq '[.cause_stacks[]?.chains] | add // 0' "$d/report.json")" \
		"$(evq '[.[] | select(.type == "chain" and .cause.stack != null)] | length')"
	expect_eq "$v: stacks $mode: live report's stacks" "$(jq -c '.cause_stacks' "$d/live.json")" \
		"$(jq -c '.cause_stacks' "$d/report.json")"
	expect_eq "$v: stacks $mode: folded retries" "$(awk '{ n += $NF } END { print n + 0 }' "$d/folded.txt")" "$busy"
}

# stat --stacks around the storm: the -EBUSY retries per stack, counted in the kernel, add up to
# its -EBUSY count (every one has a cause, check_storm), none lost.
check_stat_stacks() {
	local v=$1 d=$2/stacks j
	j=$d/stat.json
	expect_status "$v: stat --stacks" "$(cat "$d/stat.rc")" 0
	expect_eq "$v: stat --stacks: stack_drops" "$(jq .counters.stack_drops "$j")" 0
	expect_eq "$v: stat --stacks: attach points that failed" "$(grep -c 'not live (failed)' "$d/stat.err")" 0
	expect_eq "$v: stat --stacks: retries by stack" "$(jq '[.cause_stacks[].retries] | add // 0' "$j")" \
		"$(jq .counters.fault_result_ebusy "$j")"
	expect_eq "$v: stat --stacks: stacks without frames" "$(jq '[.cause_stacks[] | select(.frames == null)] | length' "$j")" 0
	echo "$v: stat --stacks: $(jq .counters.fault_result_ebusy "$j") -EBUSY on $(jq '.cause_stacks | length' "$j") stacks"
}

check_stat() {
	local v=$1 s=$2/stat j calls cpuf
	j=$s/stat.json t=$s/totals
	expect_status "$v: stat around the workload" "$(cat $s/rc)" 0
	calls=$(($(n read.range_fault_calls_min) + $(n write.range_fault_calls_min)))
	cpuf=$(n migrate.cpu_faults)
	ver_ge "$v" 6.1 || cpuf=0
	expect_eq "$v: stat: hmm_range_fault calls" "$(c fault_calls)" $calls
	expect_eq "$v: stat: pages" "$(c fault_pages)" $(($(n read.pages) + $(n write.pages)))
	expect_eq "$v: stat: chains" "$(c chains)" $calls
	expect_eq "$v: stat: migrations to device" "$(c migrations_to_device)" "$(n migrate.setup_calls_to_device)"
	expect_eq "$v: stat: pages moved to device" "$(c migrate_moved_to_device)" "$(n migrate.to_device_cpages)"
	expect_eq "$v: stat: CPU-fault migrations" "$(c migrate_cpu_fault_to_system)" $cpuf
	expect_eq "$v: stat: migrations to system" "$(c migrations_to_system)" "$(n migrate.cpu_faults)"
	expect_eq "$v: stat: MIGRATE invalidations" "$(c inval_migrate)" \
		$(($(n migrate.setup_calls_to_device) + $(n migrate.cpu_faults)))
	expect_eq "$v: stat: uffd minor" "$(c uffd_minor)" "$(n uffd_minor.faults)"
	# Round trips of every op's migrations, as the generator models them (rt_leg()).
	expect_eq "$v: stat: round trips" "$(c round_trips)" "$(n round_trips)"
	expect_eq "$v: stat: lost" "$(jq .lost "$j")" 0
	expect_eq "$v: stat: fault latency histogram count" \
		"$(jq '[.hists[] | select(.metric == "fault_ns") | .count] | add' "$j")" $calls
	check_prog_stats "$v" "$s/stat.err"
}

# prog_runs FILE FUNCTION: the runs -P gave for FUNCTION's exit program (fexit_ or kretprobe_).
prog_runs() {
	awk -v f="$2" '$3 == "runs" && ($1 == "fexit_" f || $1 == "kretprobe_" f) { print $2 }' "$1"
}

# stat -P: the kernel's own run counts of the exit programs are the calls stat counted, and
# each program that ran shows the instructions the verifier processed (bpf_prog_info from 5.16,
# the verifier's statistics log before), none within 4x of the verifier's limit of 1,000,000
# (the largest is about 55,000; branches in thrash_leg()'s ring once took two programs to
# 474,571 on 6.1 and 432,787 on 6.12).
check_prog_stats() {
	local v=$1 e=$2 progs idle counts
	progs=$(awk '$3 == "runs" && $5 == "ns" && $7 == "ns/run" && $9 == "verified"' "$e")
	expect_ge "$v: stat -P: programs listed" "$(grep -c . <<<"$progs")" 10
	expect_eq "$v: stat -P: runs of hmm_range_fault's exit program" \
		"$(prog_runs "$e" hmm_range_fault)" "$(c fault_calls)"
	expect_eq "$v: stat -P: runs of migrate_vma_setup's exit program" \
		"$(prog_runs "$e" migrate_vma_setup)" $(($(c migrations_to_device) + $(c migrations_to_system)))
	# Programs loaded that did not run (a path the workload does not take) are listed after the
	# others, with the verifier's count alone: on 7.x, migrate_device_pfns() (test_hmm's eviction
	# goes through migrate_device_range()). Both lists, as "name count":
	idle=$(sed -n '/program loaded that did not run/,$p' "$e" | awk 'NF == 3 && $3 == "verified"')
	counts=$(awk 'NF { print $1, $8 }' <<<"$progs"; awk 'NF { print $1, $2 }' <<<"$idle")
	expect_eq "$v: stat -P: programs (run or not) without the verifier's count" \
		"$(awk '$2 !~ /^[1-9][0-9]*$/' <<<"$counts" | grep -c .)" 0
	expect_eq "$v: stat -P: programs (run or not) over 250000 verified instructions" \
		"$(awk '$2 > 250000 { print $1, $2 }' <<<"$counts")" ""
	if lab_kernel_has "$v" migrate_device_pfns; then
		expect_eq "$v: stat -P: migrate_device_pfns()'s exit program, listed as not run" \
			"$(awk '$1 == "fexit_migrate_device_pfns" { print "listed" }' <<<"$idle")" listed
	fi
}

# -EBUSY from one thread (--cow 7 of 100 pages): device writes of pages the CPU only read break
# copy-on-write inside hmm_range_fault(), so each fault step returns -EBUSY once per 2 MiB block
# it covers, then succeeds. Calls, -EBUSY returns, chains (one per step) and their retries are
# the generator's, exactly.
check_cow() {
	local v=$1 s=$2/stat/cow j calls ebusy
	j=$s/stat.json t=$s/totals
	expect_status "$v: stat around --cow 7" "$(cat $s/rc)" 0
	expect_eq "$v: --cow: the generator's result" "$(kv "$t" result)" ok
	calls=$(n cow.range_fault_calls) ebusy=$(n cow.ebusy)
	expect_ge "$v: --cow: -EBUSY returns, the generator's" "$ebusy" 14
	expect_eq "$v: --cow: hmm_range_fault calls" "$(c fault_calls)" "$calls"
	expect_eq "$v: --cow: -EBUSY returns" "$(c fault_result_ebusy)" "$ebusy"
	expect_eq "$v: --cow: chains (one per fault step) and their retries" \
		"$(c chains) $(c chain_retries)" "$((calls - ebusy)) $ebusy"
	expect_eq "$v: --cow: lost" "$(jq .lost "$j")" 0
}

# --paths migrate --mode kprobe: the migrations exactly, and nothing from the paths not asked
# for; 7.x refuses kprobe mode, saying why, and runs nothing.
check_stat_kprobe() {
	local v=$1 s=$2/stat/kprobe j cpuf
	j=$s/stat.json t=$s/totals
	if [ "${v%%.*}" = 7 ]; then
		expect_eq "$v: --mode kprobe: nothing attached" "$(cat $s/rc)" 3
		expect_match "$v: --mode kprobe: the reason" "$(cat $s/stat.err)" "refused on 7.x: re-arming a kprobe"
		return
	fi
	expect_status "$v: stat --paths migrate --mode kprobe" "$(cat $s/rc)" 0
	cpuf=$(n migrate.cpu_faults)
	ver_ge "$v" 6.1 || cpuf=0
	expect_eq "$v: --paths migrate: migrations to device" "$(c migrations_to_device)" \
		"$(n migrate.setup_calls_to_device)"
	expect_eq "$v: --paths migrate: pages moved to device" "$(c migrate_moved_to_device)" \
		"$(n migrate.to_device_cpages)"
	expect_eq "$v: --paths migrate: CPU-fault migrations" "$(c migrate_cpu_fault_to_system)" $cpuf
	expect_eq "$v: --paths migrate: pages moved back by CPU faults" \
		"$(c migrate_moved_to_system)" "$(n migrate.cpu_faults)"
	expect_eq "$v: --paths migrate: no hmm_range_fault calls" "$(c fault_calls)" 0
	expect_eq "$v: --paths migrate: no invalidations" "$(c inval_migrate)" 0
	expect_eq "$v: --paths migrate: no uffd faults" "$(c uffd_minor)" 0
}

check_filters() {
	local v=$1 f=$2/filters a b ep eo em
	read -r a b <"$f/pids"
	expect_eq "$v: filters: both workloads ran" "$(cat $f/ra) $(cat $f/rb)" "0 0"
	[ "$(cat $f/ra) $(cat $f/rb)" = "0 0" ] || tail -n 30 $f/ta.err $f/tb.err $f/ta $f/tb
	ep=$(grep '^{' $f/ep.json) eo=$(grep '^{' $f/eo.json) em=$(grep '^{' $f/em.json)
	# -p A: only calls made by A, and all of A's hmm_range_fault calls.
	expect_eq "$v: -p: events not made by A" "$(jq -s --argjson a "$a" 'map(select(.pid != $a)) | length' <<<"$ep")" 0
	expect_eq "$v: -p: A's faults" "$(jq -s 'map(select(.type == "fault")) | length' <<<"$ep")" \
		"$(kv $f/ta read.range_fault_calls_min)"
	expect_ge "$v: -p: A's migrations" "$(jq -s 'map(select(.type == "migrate")) | length' <<<"$ep")" 1
	# --owner B: only work on B's memory, and all of B's faults.
	expect_eq "$v: --owner: events on other memory" \
		"$(jq -s --argjson b "$b" 'map(select(.owner_pid != $b)) | length' <<<"$eo")" 0
	expect_eq "$v: --owner: B's faults" "$(jq -s 'map(select(.type == "fault")) | length' <<<"$eo")" \
		$(($(kv $f/tb read.range_fault_calls_min) + $(kv $f/tb write.range_fault_calls_min)))
	# --min-us 50: nothing shorter, something longer (TCG makes plenty of calls take longer).
	expect_eq "$v: --min-us: events under 50us" "$(jq -s 'map(select(.dur_ns < 50000)) | length' <<<"$em")" 0
	expect_ge "$v: --min-us: events over 50us" "$(jq -s 'length' <<<"$em")" 1
	# ... and there were shorter ones to drop: the unfiltered tracer of A saw some.
	expect_ge "$v: --min-us: shorter events it had to drop" \
		"$(jq -s 'map(select(.dur_ns < 50000)) | length' <<<"$ep")" 1
}

check_thrash() {
	local v=$1 d=$2/thrash r
	t=$d/m-totals
	expect_status "$v: record around --migrate 4" "$(cat $d/m.rc)" 0
	r=$("$OUTPUT/hmmtrace" report -i $d/migrate.hmmtrace --json 2>/dev/null)
	expect_eq "$v: --migrate 4: round trips" "$(jq .round_trips.count <<<"$r")" "$(n migrate.round_trips)"
	expect_eq "$v: --migrate 4: round trips, the process's" "$(n round_trips)" "$(n migrate.round_trips)"
	expect_eq "$v: --migrate 4: ranges that became thrashing" \
		"$(jq .round_trips.became_thrashing <<<"$r")" "$(n thrashing_ranges)"
	t=$d/totals
	if ! ver_ge "$v" 5.14; then
		expect_match "$v: --thrash skipped" "$(kv "$t" thrash.skipped)" "MIGRATE_TO_SYS"
		return
	fi
	expect_status "$v: record around --thrash 5,2" "$(cat $d/rc)" 0
	expect_eq "$v: --thrash: the generator's round trips" \
		"$(n thrash.range1_round_trips) $(n thrash.range2_round_trips) $(n thrashing_ranges)" "5 2 1"
	r=$("$OUTPUT/hmmtrace" report -i $d/thrash.hmmtrace --json 2>/dev/null)
	expect_eq "$v: --thrash: round trips" "$(jq .round_trips.count <<<"$r")" "$(n thrash.round_trips)"
	expect_eq "$v: --thrash: ranges" "$(jq .round_trips.ranges <<<"$r")" 2
	expect_eq "$v: --thrash: round trips per range" \
		"$(jq -r '[.round_trips.top_ranges[] | .round_trips] | @tsv' <<<"$r")" \
		"$(printf '%s\t%s' "$(n thrash.range1_round_trips)" "$(n thrash.range2_round_trips)")"
	expect_eq "$v: --thrash: pages moved back" \
		"$(jq '[.round_trips.top_ranges[] | .pages] | add' <<<"$r")" "$(n thrash.to_system_cpages)"
	expect_eq "$v: --thrash: became thrashing" "$(jq .round_trips.became_thrashing <<<"$r")" \
		"$(n thrash.thrashing_ranges)"
	expect_eq "$v: --thrash: the thrashing one is the first" \
		"$(jq -c '[.round_trips.top_ranges[] | .thrashing]' <<<"$r")" "[true,false]"
	t=$d/stat-totals
	expect_status "$v: stat around --thrash 5,2" "$(cat $d/stat.rc)" 0
	expect_eq "$v: stat --thrash: round trips" "$(jq .counters.round_trips $d/stat.json)" \
		"$(n thrash.round_trips)"
	expect_eq "$v: stat --thrash: became thrashing" "$(jq .counters.thrashing $d/stat.json)" \
		"$(n thrash.thrashing_ranges)"
	# --thrash-ms 0: the same migrations, no round trip, nothing thrashing.
	expect_status "$v: stat --thrash-ms 0 around --thrash 5,2" "$(cat $d/off.rc)" 0
	expect_eq "$v: stat --thrash-ms 0: round trips, thrashing" \
		"$(jq -r '[.counters.round_trips, .counters.thrashing] | @tsv' $d/off.json)" "$(printf '0\t0')"
	expect_eq "$v: stat --thrash-ms 0: migrations each way, as with round trips on" \
		"$(jq -c '.counters | [.migrations_to_device, .migrations_to_system]' $d/off.json)" \
		"$(jq -c '.counters | [.migrations_to_device, .migrations_to_system]' $d/stat.json)"
	expect_ge "$v: stat --thrash-ms 0: migrations to the device" \
		"$(jq .counters.migrations_to_device $d/off.json)" 7
}

check_stats() {
	local v=$1 s=$2/hmm-tests/stats.json
	expect_status "$v: dump --stats around hmm-tests" "$(cat $2/hmm-tests/rc)" 0
	expect_eq "$v: dump --stats: attach points not live but present" \
		"$(grep 'not live' $2/hmm-tests/dump.err | grep -vc '(absent)')" 0
	expect_eq "$v: hmm-tests: events lost" "$(jq .lost "$s")" 0
	expect_ge "$v: hmm-tests: hmm_range_fault calls" "$(jq .kernel.counters.fault_calls "$s")" 50
	expect_ge "$v: hmm-tests: migrations" "$(jq .kernel.counters.migrations_to_system "$s")" 100
	expect_eq "$v: counters differing between kernel and events" \
		"$(jq -r '.kernel.counters as $k | .from_events.counters as $e | [$k | keys[] | select($k[.] != $e[.])] | join(",")' "$s")" ""
	expect_eq "$v: histograms differing between kernel and events" \
		"$(jq -r '[.kernel.hists[] | "\(.metric)/\(.label)/\(.driver_addr) \(.count) \(.sum)"] | sort | join(";")' "$s" | md5sum)" \
		"$(jq -r '[.from_events.hists[] | "\(.metric)/\(.label)/\(.driver_addr) \(.count) \(.sum)"] | sort | join(";")' "$s" | md5sum)"
	expect_ge "$v: histograms compared" "$(jq '.kernel.hists | length' "$s")" 10
}

for v in ${LAB_ONLY:-$LAB_ALL}; do
	echo "== lab kernel $v"
	dir=$(lab_session "$v")
	expect_eq "$v: lab session" "$(cat "$dir/status")" 0
	[ "$(cat "$dir/status")" = 0 ] || tail -n 25 "$dir/console.log" "$dir/run.err"
	check_probe "$v" "$dir/out"
	check_workload "$v" "$dir/out"
	check_storm "$v" "$dir/out"
	check_stall "$v" "$dir/out"
	check_pin "$v" "$dir/out"
	check_ustall "$v" "$dir/out"
	check_diff "$v" "$dir/out"
	check_stacks "$v" "$dir/out" auto
	check_stacks "$v" "$dir/out" kprobe
	check_stat_stacks "$v" "$dir/out"
	check_stat "$v" "$dir/out"
	check_stat_kprobe "$v" "$dir/out"
	check_cow "$v" "$dir/out"
	check_filters "$v" "$dir/out"
	check_thrash "$v" "$dir/out"
	check_stats "$v" "$dir/out"
done
finish
