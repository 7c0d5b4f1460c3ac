# Guest job for the overhead benchmark: one of the workload generator's loops untraced, under
# hmm_exporter (in-kernel aggregation), under hmmtrace record (per-event records into a file),
# under hmm_exporter --paths with only the loop's own path, and under bpftrace collecting the same
# latency histogram with kfunc/kretfunc probes (the host's
# Debian bpftrace, run from /host with the host's libraries), interleaved over ROUNDS rounds in
# one boot (bpftrace, slow to start under TCG, in the first BT_ROUNDS rounds).
# Prints "BENCH mode round wall_ns cpu_ns" lines for the host, and "PATHS list".
# Arguments: ROUNDS N PAGES BT_ROUNDS LOOP, LOOP one of
#   read:    N device reads of PAGES fresh pages (hmm_range_fault); bpftrace: its latency
#   migrate: N rounds of PAGES pages to the device and back by CPU faults; bpftrace: the latency
#            from migrate_vma_setup() to migrate_vma_finalize()
#   storm:   N device reads while a second thread invalidates; bpftrace: the latency of
#            __mmu_notifier_invalidate_range_start()
R=$1 N=$2 M=$3 BTR=$4 LOOP=${5:-read}
case $LOOP in
read)
	W="hmm_workload -q -m $M --reads $N"
	PATHS=fault
	BT_FROM=hmm_range_fault BT_TO=hmm_range_fault
	BT_CALLS=$((N * ((M + 63) / 64))) ;;
migrate)
	W="hmm_workload -q -m $M --migrate $N"
	PATHS=migrate
	BT_FROM=migrate_vma_setup BT_TO=migrate_vma_finalize
	BT_CALLS= ;;
storm)
	W="hmm_workload -q -m $M --storm $N"
	PATHS=inval
	BT_FROM=__mmu_notifier_invalidate_range_start BT_TO=__mmu_notifier_invalidate_range_start
	BT_CALLS= ;;
*)
	echo "ERROR unknown loop $LOOP"
	exit 1 ;;
esac
L=/host/usr/lib/x86_64-linux-gnu
BT=
[ -x /host/usr/bin/bpftrace ] && BT="$L/ld-linux-x86-64.so.2 --library-path $L /host/usr/bin/bpftrace"

# wait_for FILE TEXT PID: until TEXT is in FILE, or PID is gone (then say so).
wait_for() {
	while ! grep -q "$2" "$1"; do
		kill -0 "$3" 2>/dev/null || { echo "ERROR $1: $(cat "$1")"; return 1; }
		sleep 0.1
	done
}
run_none() { $W >/tmp/t; }
# exporter ARGS: the loop under hmm_exporter ARGS.
exporter() {
	: >/tmp/ex.err # not the last round's "serving": the redirection below happens in the background
	hmm_exporter --listen 127.0.0.1:9435 "$@" 2>/tmp/ex.err &
	e=$!
	wait_for /tmp/ex.err "serving" $e && $W >/tmp/t
	kill -TERM $e
	wait $e
}
run_exporter() { exporter; }
# Only the path the loop exercises, as bpftrace traces only it.
run_exporter_path() { exporter --paths "$PATHS"; }
run_record() {
	hmmtrace record -o /tmp/bench.hmmtrace -- sh -c "exec $W >/tmp/t" 2>/tmp/rec.err
	grep -q " lost 0," /tmp/rec.err || echo "LOST $(grep 'recorded' /tmp/rec.err)"
}
run_bpftrace() {
	: >/tmp/bt.out
	$BT -e "BEGIN { printf(\"ready\\n\"); }
		kfunc:$BT_FROM { @start[tid] = nsecs; }
		kretfunc:$BT_TO /@start[tid]/ {
			@ns = hist(nsecs - @start[tid]); delete(@start[tid]); @calls = count(); }" \
		>/tmp/bt.out 2>&1 &
	b=$!
	wait_for /tmp/bt.out ready $b && $W >/tmp/t
	kill -INT $b
	wait $b
	# bpftrace 0.17 run this way prints its hist() maps empty; the count says the programs ran.
	# The read loop's calls are known exactly; the others' depend on the kernel: some.
	if [ -n "$BT_CALLS" ]; then
		grep -q "^@calls: $BT_CALLS\$" /tmp/bt.out || echo "ERROR bpftrace saw: $(grep '^@calls' /tmp/bt.out)"
	else
		grep -q "^@calls: [1-9]" /tmp/bt.out || echo "ERROR bpftrace saw: $(grep '^@calls' /tmp/bt.out)"
	fi
}
echo "CLOCKSOURCE $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
echo "PATHS $PATHS"
[ -n "$BT" ] && echo "BPFTRACE $($BT --version 2>&1)"
$W >/dev/null # warm up
for r in $(seq 1 $R); do
	modes="none exporter exporter_path record"
	[ -n "$BT" ] && [ "$r" -le "$BTR" ] && modes="$modes bpftrace"
	for mode in $modes; do
		rm -f /tmp/t
		run_$mode
		# Errors beyond those a storm tolerates (a read that raced an unmap) fail the run.
		e=$(sed -n "s/^$LOOP.errors=//p" /tmp/t 2>/dev/null)
		tol=$(sed -n "s/^$LOOP.errors_tolerated=//p" /tmp/t 2>/dev/null)
		[ -n "$e" ] && [ "$e" -le "${tol:-0}" ] || echo "ERROR $mode $r"
		echo "BENCH $mode $r $(sed -n "s/^$LOOP.ns=//p" /tmp/t) $(sed -n "s/^$LOOP.cpu_ns=//p" /tmp/t)"
	done
done
