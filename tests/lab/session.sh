# Guest job: every lab check of one kernel in one boot (tests/lib.sh, lab_session), each part's
# files under /out/PART (the runner's -o DIR), each part's exit status in /out/PART/rc. The host
# cases (lab-core, lab-record, lab-workload, lab-hmm-tests) read what they check from there.
# Arguments (one word each): the workload's options, the storm's, stat's workload's, and the
# plain generator run's.
#
# Parts, in order (the device's memory only grows, so the generator runs come before hmm-tests):
#   probe        hmmtrace probe --json, auto and kprobe mode
#   workload     the generator alone (lab-workload: its own totals)
#   dump         dump --json around the workload, then around the storm, then --paths fault
#                around --stall 1 (chains and calls of 1 ms or more), around --uffd-unlocked
#                with a delay (7.x), and --paths migrate around --migrate 2 --pin 3
#   stat         stat -P around a workload, then stat --paths migrate --mode kprobe, then stat
#                around --cow 7 (device writes that break copy-on-write: known -EBUSY returns)
#   filters      three tracers (-p, --owner, --min-us) around two held workloads
#   record       record --report around the workload and the storm, count_faults beside each
#   stacks       record --stacks --report around a fifth of the storm (kprobe mode too, where
#                the kernel allows it; lab-core reads the files back); stat --stacks
#   thrash       record and stat around --thrash 5,2 (5.14+: MIGRATE_TO_SYS), record around
#                --migrate 4: round trips and thrashing ranges; record around -m 512 --migrate 8
#                --storm 100, the B of hmmtrace diff
#   hmm-tests    the kernel's selftest once, under record (count_faults beside) and under
#                dump --stats at the same time; its TAP output is lab-hmm-tests' too
work=$1 storm=$2 statwork=$3 plain=$4
echo 16 >/proc/sys/vm/nr_hugepages 2>/dev/null
v=$(uname -r | cut -d. -f1,2)

# wait_for FILE TEXT PID: until FILE says TEXT (a tracer attached) or PID is gone (60 s at most).
wait_for() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null && [ $i -lt 600 ]; do
		kill -0 "$3" 2>/dev/null || break
		sleep 0.1; i=$((i + 1))
	done
}

part() { mkdir -p "/out/$1"; echo "== $1 $(date +%s)"; }

part probe
for mode in auto kprobe; do
	hmmtrace probe --json --mode $mode >/out/probe/$mode.json 2>/out/probe/$mode.err
	echo $? >/out/probe/$mode.rc
done

part workload
hmm_workload $plain >/out/workload/totals 2>/out/workload/err
echo $? >/out/workload/rc

# dump NAME WORKLOAD-OPTIONS [DUMP-OPTIONS]: dump --json around one generator run.
dump() {
	d=/out/dump/$1
	mkdir -p $d
	hmmtrace dump --json ${3:-} >$d/events.json 2>$d/dump.err &
	p=$!
	wait_for $d/dump.err "hmmtrace: tracing" $p
	hmm_workload -q $2 >$d/totals 2>$d/err
	echo $? >$d/workload.rc
	sleep 1
	kill -INT $p
	wait $p
	echo $? >$d/rc
}
part dump
dump workload "$work"
dump storm "$storm"
# A storm test_hmm's loop cannot outlast: reads until one gives up at the driver's timeout (or 10).
# The fault path only, the chains and faults of a millisecond or more, and a 64 MiB ring: the
# invalidations and attempts of a sustained storm would overflow the ring buffer.
dump stall "-m 512 --stall 1" "--paths fault --min-us 1000 -b 65536"
# A stall by duration, the same on every run (7.x; elsewhere the generator says why it skipped):
# three unlocked reads of one page behind userfaultfd, whose handler waits 1.1 s before it
# resolves the fault, so each hmm_range_fault_unlocked_timeout() chain lasts 1.1 s or more.
dump ustall "-m 1 --uffd-unlocked 3 --uffd-delay 1100" "--paths fault"
# Pages left behind on purpose: vmsplice holds 3 pages of each region while it migrates.
dump pin "-m 64 --migrate 2 --pin 3" "--paths migrate"

part stat
hmmtrace stat --json -P -- sh -c "exec hmm_workload -q $statwork >/out/stat/totals" \
	>/out/stat/stat.json 2>/out/stat/stat.err
echo $? >/out/stat/rc
mkdir -p /out/stat/kprobe
hmmtrace stat --json --paths migrate --mode kprobe -- \
	sh -c "exec hmm_workload -q $statwork >/out/stat/kprobe/totals" \
	>/out/stat/kprobe/stat.json 2>/out/stat/kprobe/stat.err
echo $? >/out/stat/kprobe/rc
# -EBUSY by copy-on-write: the generator knows how many of its hmm_range_fault() calls return it.
mkdir -p /out/stat/cow
hmmtrace stat --json -- sh -c "exec hmm_workload -q -m 100 --cow 7 >/out/stat/cow/totals" \
	>/out/stat/cow/stat.json 2>/out/stat/cow/stat.err
echo $? >/out/stat/cow/rc

part filters
f=/out/filters
hmm_workload -W -q -m 100 --reads 3 --migrate 1 >$f/ta 2>$f/ta.err &
A=$!
# B on the second device: test_hmm (6.1+) evicts all of a device's memory whenever any process
# closes it (dmirror_fops_release()), so B exiting on A's device moved A's pages back to system
# memory in the middle of A's MIGRATE_TO_DEV, and A's read-back failed with ENOENT.
hmm_workload -W -q -m 100 -D /dev/hmm_dmirror1 --reads 2 --writes 1 >$f/tb 2>$f/tb.err &
B=$!
hmmtrace dump --json -p $A >$f/ep.json 2>$f/ep.err &
P=$!
hmmtrace dump --json --owner $B >$f/eo.json 2>$f/eo.err &
O=$!
hmmtrace dump --json --min-us 50 >$f/em.json 2>$f/em.err &
MU=$!
wait_for $f/ep.err "hmmtrace: tracing" $P
wait_for $f/eo.err "hmmtrace: tracing" $O
wait_for $f/em.err "hmmtrace: tracing" $MU
kill -USR1 $A $B
wait $A; echo $? >$f/ra
wait $B; echo $? >$f/rb
sleep 1
kill -INT $P $O $MU
wait $P $O $MU
echo "$A $B" >$f/pids

# record NAME COMMAND...: record --report around COMMAND, count_faults (tests/accuracy/) beside.
record() {
	r=/out/record
	name=$1
	shift
	count_faults >$r/$name-count.txt 2>$r/$name-count.err &
	c=$!
	wait_for $r/$name-count.err attached $c
	hmmtrace record -o $r/$name.hmmtrace --report $r/$name-live.json -- "$@" \
		2>$r/record-$name.err
	echo $? >$r/$name.rc
	kill -INT $c
	wait $c
}
part record
# The command starts once record has attached and dropped its privileges: its parent's status
# shows what record kept.
record workload sh -c "grep -E '^(CapEff|CapPrm|NoNewPrivs):' /proc/\$PPID/status >/out/record/caps
	exec hmm_workload -q $work >/out/record/totals"
record storm sh -c "exec hmm_workload -q $storm >/out/record/storm-totals"

part stacks
# A fifth of the storm: with --stacks each invalidation takes longer (the unwind), so the storm
# wins more rounds and its reads take many times as long. The host reads the files back.
sstorm="-m 512 --storm 20"
# stacks NAME RECORD-OPTIONS...: record --stacks around the storm.
stacks() {
	s=/out/stacks/$1
	shift
	mkdir -p $s
	hmmtrace record --stacks "$@" -o $s/storm.hmmtrace --report $s/live.json -- \
		sh -c "exec hmm_workload -q $sstorm >$s/totals" 2>$s/record.err
	echo $? >$s/rc
}
stacks auto
case $v in 7.*) ;; *) stacks kprobe --mode kprobe ;; esac # 7.x refuses kprobe mode
# stat --stacks: the retries per stack, counted in the kernel
hmmtrace stat --json --stacks -- sh -c "exec hmm_workload -q $sstorm >/out/stacks/stat-totals" \
	>/out/stacks/stat.json 2>/out/stacks/stat.err
echo $? >/out/stacks/stat.rc

part thrash
t=/out/thrash
hmmtrace record -o $t/thrash.hmmtrace -- sh -c "exec hmm_workload -q --thrash 5,2 >$t/totals" \
	2>$t/record.err
echo $? >$t/rc
hmmtrace stat --json -- sh -c "exec hmm_workload -q --thrash 5,2 >$t/stat-totals" \
	>$t/stat.json 2>$t/stat.err
echo $? >$t/stat.rc
# The same with round trips off: the migrations, and no round trip.
hmmtrace stat --json --thrash-ms 0 -- sh -c "exec hmm_workload -q --thrash 5,2 >$t/off-totals" \
	>$t/off.json 2>$t/off.err
echo $? >$t/off.rc
hmmtrace record -o $t/migrate.hmmtrace -- sh -c "exec hmm_workload -q --migrate 4 >$t/m-totals" \
	2>$t/m.err
echo $? >$t/m.rc
# hmmtrace diff's B against that A (lab-core): twice the rounds of 8 times the pages, and the
# storm's reads (-EBUSY, retries, MADV_DONTNEED); a 64 MiB ring holds the storm's invalidations.
hmmtrace record -b 65536 -o $t/diff-b.hmmtrace -- \
	sh -c "exec hmm_workload -q -m 512 --migrate 8 --storm 100 >$t/b-totals" 2>$t/b.err
echo $? >$t/b.rc

part hmm-tests
h=/out/hmm-tests
hmmtrace dump --json --stats $h/stats.json >/dev/null 2>$h/dump.err &
p=$!
wait_for $h/dump.err "hmmtrace: tracing" $p
start=$(date +%s)
record hmm-tests sh -c "exec /opt/hmmscope/bin/hmm-tests-$v >/out/hmm-tests/hmm-tests.log 2>&1"
echo "hmm-tests took $(($(date +%s) - start)) s" >$h/time
kill -INT $p
wait $p
echo $? >$h/rc

part status-line
# record with stderr left on the console, a terminal (ttyS0): lab-record finds the bytes between
# each pair of markers in the console log. 4 s at least, for several updates. First on the
# console as it boots, its size unknown (0x0): the line is rewritten in place with \r, and the
# command keeps quiet (its output would land in that row). Then told it has 10 rows of 120
# columns (lab-record's tmux pane): the line takes the last row, below a scroll region, and the
# command writes to the same terminal, three lines a second, more than the region holds.
echo "STATUS-LINE-BEGIN"
hmmtrace record -o /tmp/tty.hmmtrace -- sh -c "hmm_workload -q $storm >/dev/null 2>&1; sleep 4"
echo "STATUS-LINE-END exit=$?"
stty rows 10 cols 120 <&2
echo "STATUS-REGION-BEGIN"
hmmtrace record -o /tmp/tty2.hmmtrace -- sh -c "hmm_workload -q $storm >/dev/null 2>&1;
	for i in 1 2 3 4; do echo child line \${i}a; echo child line \${i}b; echo child line \${i}c;
	sleep 1; done"
echo "STATUS-REGION-END exit=$?"
part end
