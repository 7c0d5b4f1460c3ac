# Guest job for the overhead benchmark: the workload generator's read loop untraced, under
# in-kernel aggregation (hmmtrace stat) and under per-event records (hmmtrace dump), interleaved
# over ROUNDS rounds in one boot. Prints "BENCH mode round wall_ns cpu_ns" lines for the host.
# Arguments: ROUNDS READS PAGES
R=$1 N=$2 M=$3
W="hmm_workload -q -m $M --reads $N"
run_none() { $W >/tmp/t; }
run_stat() { hmmtrace stat -- sh -c "exec $W >/tmp/t" >/dev/null 2>/tmp/stat.err; }
run_dump() {
	hmmtrace dump >/dev/null 2>/tmp/dump.err &
	d=$!
	while ! grep -q "hmmtrace: tracing" /tmp/dump.err; do sleep 0.1; done
	$W >/tmp/t
	kill -INT $d
	wait $d
	grep -q "^lost 0 " /tmp/dump.err || echo "LOST $(grep '^lost' /tmp/dump.err)"
}
$W >/dev/null # warm up
for r in $(seq 1 $R); do
	for mode in none stat dump; do
		run_$mode
		[ "$(sed -n 's/^read.errors=//p' /tmp/t)" = 0 ] || echo "ERROR $mode $r"
		echo "BENCH $mode $r $(sed -n 's/^read.ns=//p' /tmp/t) $(sed -n 's/^read.cpu_ns=//p' /tmp/t)"
	done
done
