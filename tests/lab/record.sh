# Guest job: `hmmtrace record --report` around the workload generator, an invalidation storm and
# hmm-tests, each with count_faults (tests/accuracy/: an independent counter of hmm_range_fault
# calls and -EBUSY returns) running beside it; the recordings, the live reports, the counts and
# the generator's totals go to /out (the runner's -o DIR).
# Arguments: the workload's options, the storm's options (one word each).
echo 16 >/proc/sys/vm/nr_hugepages 2>/dev/null
v=$(uname -r | cut -d. -f1,2)

# record NAME COMMAND...: hmmtrace record around COMMAND, count_faults around both.
record() {
	name=$1
	shift
	count_faults >/out/$name-count.txt 2>/tmp/count.err &
	c=$!
	i=0
	while ! grep -q attached /tmp/count.err && [ $i -lt 300 ]; do
		kill -0 $c 2>/dev/null || break
		sleep 0.1; i=$((i + 1))
	done
	hmmtrace record -o /out/$name.hmmtrace --report /out/$name-live.json -- "$@" \
		2>/out/record-$name.err
	echo "record $name exit=$?"
	kill -INT $c
	wait $c
	cat /tmp/count.err /out/record-$name.err /out/$name-count.txt
}

# The command starts once record has attached and dropped its privileges: its parent's status
# shows what record kept.
record workload sh -c "grep -E '^(CapEff|CapPrm|NoNewPrivs):' /proc/\$PPID/status >/out/record-caps
	exec hmm_workload -q $1 >/out/totals"
record storm sh -c "exec hmm_workload -q $2 >/out/storm-totals"
record hmm-tests sh -c "exec /opt/hmmscope/bin/hmm-tests-$v >/out/hmm-tests.log 2>&1"

# The status line: record with stderr left on the console, a terminal (ttyS0); the host finds
# the bytes between the markers in the console log. 4 s at least, for several updates.
echo "STATUS-LINE-BEGIN"
hmmtrace record -o /tmp/tty.hmmtrace -- sh -c "hmm_workload -q $2 >/dev/null; sleep 4"
echo "STATUS-LINE-END exit=$?"
