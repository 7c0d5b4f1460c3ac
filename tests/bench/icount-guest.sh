# Guest job for the icount overhead benchmark (tests/bench/icount.sh), booted with run.sh --icount:
# guest time is instructions executed (1 ns each), so a traced round and an untraced one differ by
# the instructions the tracer added. For each LOOP, ROUNDS rounds, every mode interleaved (each
# round starting one mode later):
#   none           untraced
#   floor          empty fentry/fexit programs on the path's functions (floor, floor.bpf.c)
#   floor_all      the same on every function hmmscope attaches to
#   exporter_path  hmm_exporter --paths PATH: in-kernel aggregation of the path only
#   exporter       hmm_exporter, every path
#   record         hmmtrace record -o FILE: per-event records (every path)
#   record_stacks  the same with --stacks: each invalidation's kernel stack (bpf_get_stack())
#   bpftrace       bpftrace's latency histogram of the path (the host's Debian bpftrace, run from
#                  /host with the host's libraries) with kfunc/kretfunc probes
# then SR more rounds (stats:SR, before the loops; 1 without) with BPF run-time statistics on
# (kernel.bpf_stats_enabled) of floor,
# floor_all, record, record_stacks, `hmmtrace stat -P` (aggregation, every path, which prints its programs' counts),
# on the migrate loop `hmmtrace stat -P --thrash-ms 0` (stat_nothrash: no round trips, no thrash
# map) and, for the loops in BT_LOOPS only (bpftrace is slow to start under TCG), bpftrace, whose
# per-program counts and sizes `bpftool prog show` gives.
# Before the loops, the floor's own cost per call: CAL getppid() calls untraced and under an
# empty fentry/fexit pair (entry only, exit only) on __task_pid_nr_ns, which getppid() calls
# once (the syscall's own function is not in the lab kernels' BTF), ROUNDS times.
# Prints, for the host:
#   BENCH loop mode round wall_ns cpu_ns
#   CAL kind round ns           kind: none, pair, entry, exit; ns of CAL calls
#   CALLS loop round n          the path's calls in one loop (bpftrace's count)
#   PROGS loop mode JSON        bpftool prog show -j, in the statistics round
#   PSTAT loop mode name runs ns  hmmtrace stat -P's per-program counts, in the statistics round
#   BPFTRACE_NONE message       bpftrace refused its probes on this kernel (5.10): it runs on no loop
#   ERROR / LOST ...            anything that makes the figures wrong
# Arguments: ROUNDS PAGES BT_LOOPS (comma-separated, - for none) CAL LOOP:N..., LOOP one of
#   read:   N device reads of PAGES fresh pages: the fault path (hmm_range_fault)
#   inval:  the same loop, the invalidation path (the munmap after each read)
#   migrate: N rounds of PAGES pages to the device and back by CPU faults: per migration
#   uffd:   N userfaultfd MISSING faults, PAGES per batch: per handle_userfault() call
#   stats:  SR (not a loop; before them) the statistics rounds per loop
#   crowd:  P (statistics only) the read loop's calls under `hmmtrace stat -P`, made by one
#           process, then split over P processes at once: what each program costs per run with
#           P traced processes (PSTAT crowd 1|P ..., CROWD n reads)
R=$1 M=$2 BT_LOOPS=,$3, CAL=$4
shift 4
L=/host/usr/lib/x86_64-linux-gnu
BT= BPFTOOL=
[ -x /host/usr/bin/bpftrace ] && BT="$L/ld-linux-x86-64.so.2 --library-path $L /host/usr/bin/bpftrace"
[ -x /host/usr/sbin/bpftool ] && BPFTOOL="$L/ld-linux-x86-64.so.2 --library-path $L /host/usr/sbin/bpftool"
# Every fentry/fexit attach point of hmmscope (bpf/*.bpf.c), by path; floor skips what this
# kernel lacks.
F_FAULT="hmm_range_fault mmu_interval_read_begin hmm_range_fault_unlocked_timeout __x64_sys_ioctl:exit"
F_MIGRATE="migrate_vma_setup migrate_vma_pages:entry migrate_vma_finalize:exit migrate_device_range
	migrate_device_pfns migrate_device_pages:entry migrate_device_finalize:exit"
F_INVAL="__mmu_notifier_invalidate_range_start __mmu_notifier_invalidate_range_end"
F_UFFD="handle_userfault"
F_ALL="$F_FAULT $F_MIGRATE $F_INVAL $F_UFFD"

# The files are emptied before each tool starts: its own redirection happens in the background,
# and with one vCPU the shell would otherwise read the last round's "ready" or "serving" and start
# the loop while the tool is still loading.
wait_for() { # FILE TEXT PID: until TEXT is in FILE, or PID is gone (then say so)
	while ! grep -q "$2" "$1" 2>/dev/null; do
		kill -0 "$3" 2>/dev/null || { echo "ERROR $1: $(cat "$1")"; return 1; }
		sleep 0.1
	done
}
# The workload, then (in the statistics round) the programs' counts while they are attached.
work() {
	$W >/tmp/t
	[ "$STATS" = 1 ] && [ -n "$BPFTOOL" ] && $BPFTOOL prog show -j >/tmp/progs.json
	return 0
}
run_none() { work; }
floor_run() {
	: >/tmp/fl.out
	floor "$@" >/tmp/fl.out 2>/tmp/fl.err &
	f=$!
	wait_for /tmp/fl.out ready $f && work
	kill -TERM $f
	wait $f
}
run_floor() { floor_run $FUNCS; }
run_floor_all() { floor_run $F_ALL; }
exporter() {
	: >/tmp/ex.err
	hmm_exporter --listen 127.0.0.1:9435 "$@" 2>/tmp/ex.err &
	e=$!
	wait_for /tmp/ex.err "serving" $e && work
	kill -TERM $e
	wait $e
}
run_exporter() { exporter; }
run_exporter_path() { exporter --paths "$PATHS"; }
record() {
	snap=true
	[ "$STATS" = 1 ] && [ -n "$BPFTOOL" ] && snap="$BPFTOOL prog show -j >/tmp/progs.json"
	hmmtrace record "$@" -o /tmp/bench.hmmtrace -- sh -c "$W >/tmp/t; $snap" 2>/tmp/rec.err
	grep -q " lost 0," /tmp/rec.err || echo "LOST $LOOP $(grep 'recorded' /tmp/rec.err)"
}
run_record() { record; }
run_record_stacks() { record --stacks; }
# pstat LOOP MODE: the per-program counts hmmtrace stat -P left in /tmp/st.err, as PSTAT lines.
pstat() { awk -v k="$1 $2" '$3 == "runs" && $5 == "ns" { print "PSTAT", k, $1, $2, $4 }' /tmp/st.err; }
stat_run() { # MODE ARGS...
	m=$1
	shift
	hmmtrace stat -P "$@" -- sh -c "$W >/tmp/t" >/dev/null 2>/tmp/st.err
	pstat "$LOOP" "$m"
}
run_stat() { stat_run stat; }
run_stat_nothrash() { stat_run stat_nothrash --thrash-ms 0; }
run_bpftrace() {
	: >/tmp/bt.out
	$BT -e "BEGIN { printf(\"ready\\n\"); }
		kfunc:$BT_FROM { @start[tid] = nsecs; }
		kretfunc:$BT_TO /@start[tid]/ {
			@ns = hist(nsecs - @start[tid]); delete(@start[tid]); @calls = count(); }" \
		>/tmp/bt.out 2>&1 &
	b=$!
	while ! grep -q ready /tmp/bt.out && kill -0 $b 2>/dev/null; do sleep 0.1; done
	# bpftrace v0.17 refuses kfunc probes on 5.10 (it finds BTF by id, and 5.10 gives vmlinux
	# BTF none): no bpftrace for the rest of the boot
	if grep -q 'kfunc/kretfunc not available' /tmp/bt.out; then
		wait $b
		echo "BPFTRACE_NONE $(grep -m1 'ERROR' /tmp/bt.out)"
		BT=
		return
	fi
	wait_for /tmp/bt.out ready $b && work
	kill -INT $b
	wait $b
	c=$(sed -n 's/^@calls: //p' /tmp/bt.out)
	[ -n "$c" ] && [ "$c" -gt 0 ] || echo "ERROR $LOOP bpftrace saw: $(cat /tmp/bt.out)"
	echo "CALLS $LOOP $r $c"
}
rotate() { # N WORD...: the words, the first N moved to the end
	n=$1
	shift
	while [ "$n" -gt 0 ]; do
		set -- "$@" "$1"
		shift
		n=$((n - 1))
	done
	echo "$@"
}
round() { # MODE: one loop under MODE, checked
	rm -f /tmp/t /tmp/progs.json
	run_$1
	[ "$1" = bpftrace ] && [ -z "$BT" ] && return # refused: BPFTRACE_NONE
	e=$(sed -n "s/^$OP.errors=//p" /tmp/t 2>/dev/null)
	[ -n "$e" ] && [ "$e" -eq 0 ] || echo "ERROR $LOOP $1 $r: $(tr '\n' ' ' </tmp/t 2>/dev/null)"
	# Idle a second: what the tracer's exit left to do (RCU callbacks freeing its programs,
	# maps and trampolines) runs now, and not in softirq time charged to the next round's
	# workload. Idle costs no instructions: with icount's sleep=off the clock jumps ahead.
	sleep 1
}

echo "CLOCKSOURCE $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
[ -n "$BT" ] && echo "BPFTRACE $($BT --version 2>&1)"
SYSFN=__task_pid_nr_ns
for r in $(seq 1 "$R"); do
	for kind in none pair entry exit; do
		case $kind in
		none) f= ;; pair) f=$SYSFN ;; *) f=$SYSFN:$kind ;;
		esac
		echo "CAL $kind $r $(floor --loop "$CAL" $f | sed -n 's/^loop //p')"
	done
done
# crowd P: the reads of the read loop (CROWD_READS) by 1 process (SR times: the host keeps each
# program's cheapest), then by P at once, each under hmmtrace stat -P (aggregation; it follows
# the shell's children), statistics on.
crowd() {
	echo 1 >/proc/sys/kernel/bpf_stats_enabled
	for n in $(for i in $(seq 1 "$SR"); do echo 1; done) "$1"; do
		rm -f /tmp/crowd.*
		hmmtrace stat -P -- sh -c "i=0; while [ \$i -lt $n ]; do
			hmm_workload -q -m $M --reads $((CROWD_READS / n)) >/tmp/crowd.\$i & i=\$((i + 1)); done
			wait" >/dev/null 2>/tmp/st.err
		pstat crowd "$n"
		e=$(cat /tmp/crowd.* | sed -n 's/^read.errors=//p' | awk '{ s += $1 } END { print s + 0 }')
		[ "$(ls /tmp/crowd.* | wc -l)" -eq "$n" ] && [ "$e" -eq 0 ] ||
			echo "ERROR crowd $n: $(ls /tmp/crowd.* | wc -l) processes, $e errors"
		echo "CROWD $n $(cat /tmp/crowd.* | sed -n 's/^read.ops=//p' | awk '{ s += $1 } END { print s + 0 }')"
	done
	echo 0 >/proc/sys/kernel/bpf_stats_enabled
}
CROWD_READS=200 SR=1
for spec in "$@"; do
	LOOP=${spec%%:*} N=${spec##*:}
	[ "$LOOP" = crowd ] && { crowd "$N"; continue; }
	[ "$LOOP" = stats ] && { SR=$N; continue; }
	case $LOOP in
	read | inval) OP=read W="hmm_workload -q -m $M --reads $N" ;;
	migrate) OP=migrate W="hmm_workload -q -m $M --migrate $N" ;;
	uffd) OP=uffd_missing W="hmm_workload -q -m $M --uffd-missing $N" ;;
	*) echo "ERROR unknown loop $LOOP"; exit 1 ;;
	esac
	case $LOOP in
	read) PATHS=fault FUNCS=$F_FAULT BT_FROM=hmm_range_fault BT_TO=hmm_range_fault ;;
	inval) PATHS=inval FUNCS=$F_INVAL BT_FROM=__mmu_notifier_invalidate_range_start
		BT_TO=__mmu_notifier_invalidate_range_start ;;
	migrate) PATHS=migrate FUNCS=$F_MIGRATE BT_FROM=migrate_vma_setup BT_TO=migrate_vma_finalize ;;
	uffd) PATHS=uffd FUNCS=$F_UFFD BT_FROM=handle_userfault BT_TO=handle_userfault ;;
	esac
	STATS=0
	$W >/dev/null # warm up
	echo "LOOP $LOOP $PATHS $W"
	for r in $(seq 1 "$R"); do
		# Each round starts one mode later: a drift within the round (the untraced loop
		# first, each mode after it slower) would otherwise count as a cost.
		for mode in $(rotate $((r - 1)) none floor floor_all exporter_path exporter record \
			record_stacks); do
			round $mode
			echo "BENCH $LOOP $mode $r $(sed -n "s/^$OP.ns=//p" /tmp/t) $(sed -n "s/^$OP.cpu_ns=//p" /tmp/t)"
		done
	done
	# The statistics rounds: two clock reads per program run, so their times are not used.
	# SR of them: the host keeps each program's cheapest (a timer interrupt that lands in a
	# program counts in its run time).
	echo 1 >/proc/sys/kernel/bpf_stats_enabled
	STATS=1
	bt= nt=
	case $BT_LOOPS in *,$LOOP,*) bt=bpftrace ;; esac
	# The thrashing map's share of a migration: aggregation with round trips off.
	[ "$LOOP" = migrate ] && nt=stat_nothrash
	for r in $(seq 1 "$SR"); do
		# (no bpftrace once it refused its probes: BT is empty then)
		for mode in floor floor_all record record_stacks stat $nt ${BT:+$bt}; do
			round $mode
			[ -s /tmp/progs.json ] && echo "PROGS $LOOP $mode $(tr -d '\n' </tmp/progs.json)"
		done
	done
	echo 0 >/proc/sys/kernel/bpf_stats_enabled
done
