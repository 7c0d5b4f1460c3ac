# Guest job for the overhead benchmark: the workload generator's read loop untraced, under
# hmm_exporter (in-kernel aggregation), under hmmtrace record (per-event records into a file),
# and under bpftrace collecting the same hmm_range_fault latency histogram with kfunc/kretfunc
# probes (the host's Debian bpftrace, run from /host with the host's libraries), interleaved over
# ROUNDS rounds in one boot (bpftrace, slow to start under TCG, in the first BT_ROUNDS rounds).
# Prints "BENCH mode round wall_ns cpu_ns" lines for the host.
# Arguments: ROUNDS READS PAGES BT_ROUNDS
R=$1 N=$2 M=$3 BTR=$4
W="hmm_workload -q -m $M --reads $N"
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
run_exporter() {
	hmm_exporter --listen 127.0.0.1:9435 2>/tmp/ex.err &
	e=$!
	wait_for /tmp/ex.err "serving" $e && $W >/tmp/t
	kill -TERM $e
	wait $e
}
run_record() {
	hmmtrace record -o /tmp/bench.hmmtrace -- sh -c "exec $W >/tmp/t" 2>/tmp/rec.err
	grep -q " lost 0," /tmp/rec.err || echo "LOST $(grep 'recorded' /tmp/rec.err)"
}
run_bpftrace() {
	$BT -e 'BEGIN { printf("ready\n"); }
		kfunc:hmm_range_fault { @start[tid] = nsecs; }
		kretfunc:hmm_range_fault /@start[tid]/ {
			@ns = hist(nsecs - @start[tid]); delete(@start[tid]); @calls = count(); }' \
		>/tmp/bt.out 2>&1 &
	b=$!
	wait_for /tmp/bt.out ready $b && $W >/tmp/t
	kill -INT $b
	wait $b
	# bpftrace 0.17 run this way prints its hist() maps empty; the count says the programs ran.
	grep -q "^@calls: $((N * ((M + 63) / 64)))\$" /tmp/bt.out || echo "ERROR bpftrace saw: $(grep '^@calls' /tmp/bt.out)"
}
echo "CLOCKSOURCE $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
[ -n "$BT" ] && echo "BPFTRACE $($BT --version 2>&1)"
$W >/dev/null # warm up
for r in $(seq 1 $R); do
	modes="none exporter record"
	[ -n "$BT" ] && [ "$r" -le "$BTR" ] && modes="$modes bpftrace"
	for mode in $modes; do
		rm -f /tmp/t
		run_$mode
		[ "$(sed -n 's/^read.errors=//p' /tmp/t 2>/dev/null)" = 0 ] || echo "ERROR $mode $r"
		echo "BENCH $mode $r $(sed -n 's/^read.ns=//p' /tmp/t) $(sed -n 's/^read.cpu_ns=//p' /tmp/t)"
	done
done
