#!/bin/sh
# Lab guest side of tests/bench/spread.sh: ROUNDS untraced rounds of each loop, as icount.sh
# runs them, with what ran on the CPU during each round's measured phase beside the workload.
#
#   spread-guest.sh ROUNDS PAGES LOOP:N...	(loops: read, inval, migrate, uffd, as in icount-guest.sh)
#
# One bpftrace for the whole boot, on the scheduler's switch tracepoint and on the workload's
# getrusage() (hmm_workload reads its CPU time with it exactly twice per phase, at its start and
# its end: tests/hmm_workload.c, cpu_ns()). Between the two, every interval between context
# switches is charged to the task that ran it; those of other processes (and of the idle task)
# are summed by name. At each switch out of the workload to another process, and back in, how far
# the task's se.exec_start (the scheduler's clock where it last charged the task, and where it
# starts charging the next one) lags the switch: outs less ins is the workload's running time
# that the scheduler charged to the other tasks (a clock update skipped because a switch was
# due: kernel/sched/core.c, check_preempt_curr()). The tracepoint gives no pointer to the next
# task; the run queue's curr already is it (checked against next_pid: "mismatched" otherwise).
# It prints nothing while a phase runs: printing would wake bpftrace itself.
# Output, in the guest's order: the rounds, then bpftrace's blocks, one per round:
#   ROUND loop round wall_ns cpu_ns	the workload's own figures (migrate.ns, migrate.cpu_ns, ...)
#   PHASE ns away_ns charged_ns mismatched outs ins
#					bpftrace's: the phase; the time other tasks ran in it; the
#					workload's time charged to them; switches whose run queue
#					named another task; the switches out and back in counted
#   @away[COMM]: ns			by task name
R=$1 M=$2
shift 2
L=/host/usr/lib/x86_64-linux-gnu
[ -x /host/usr/bin/bpftrace ] || {
	echo "ERROR the host has no bpftrace (/usr/bin/bpftrace)"
	exit 1
}
BT="$L/ld-linux-x86-64.so.2 --library-path $L /host/usr/bin/bpftrace"
WL=$(command -v hmm_workload) || {
	echo "ERROR no hmm_workload in the lab image"
	exit 1
}
$BT -e "BEGIN { printf(\"ready\\n\"); }
uprobe:$WL:getrusage {
	if (@pid != pid) { @pid = pid; @n = 0; }
	@n++;
	if (@n % 2 == 1) { @t0 = nsecs; @last = nsecs; @asum = 0; @lag = 0; @bad = 0; @nin = 0; @nout = 0; @in = 1; }
	else {
		@in = 0;
		printf(\"PHASE %d %d %d %d %d %d\\n\", nsecs - @t0, @asum, @lag, @bad, @nout, @nin);
		print(@away);
		clear(@away);
	}
}
tracepoint:sched:sched_switch /@in/ {
	\$rq = (struct rq *)(kaddr(\"runqueues\") + *(uint64 *)kaddr(\"__per_cpu_offset\"));
	\$next = (struct task_struct *)\$rq->curr;
	\$d = nsecs - @last;
	@last = nsecs;
	if (\$next->pid != args->next_pid) { @bad++; }
	if (pid != @pid) {
		@away[comm] = sum(\$d);
		@asum += \$d;
		if (\$next->tgid == @pid) { @lag -= (int64)nsecs - (int64)\$next->se.exec_start; @nin++; }
	} else if (\$next->tgid != @pid) {
		@lag += (int64)nsecs - (int64)curtask->se.exec_start;
		@nout++;
	}
}" >/tmp/bt.out 2>&1 &
b=$!
while ! grep -q ready /tmp/bt.out && kill -0 $b 2>/dev/null; do sleep 0.5; done
grep -q ready /tmp/bt.out || {
	echo "ERROR bpftrace: $(cat /tmp/bt.out)"
	exit 1
}
sleep 1
for l in "$@"; do
	LOOP=${l%%:*} N=${l#*:}
	case $LOOP in
	read | inval) OP=read W="hmm_workload -q -m $M --reads $N" ;;
	migrate) OP=migrate W="hmm_workload -q -m $M --migrate $N" ;;
	uffd) OP=uffd_missing W="hmm_workload -q -m $M --uffd-missing $N" ;;
	*)
		echo "ERROR unknown loop $LOOP"
		continue
		;;
	esac
	r=1
	while [ $r -le "$R" ]; do
		$W >/tmp/t
		echo "ROUND $LOOP $r $(sed -n "s/^$OP\.ns=//p" /tmp/t) $(sed -n "s/^$OP\.cpu_ns=//p" /tmp/t)"
		# As icount-guest.sh: a second idle after each round.
		sleep 1
		r=$((r + 1))
	done
done
kill -INT $b
wait $b
# bpftrace's blocks, in round order: the host pairs them with the ROUND lines.
grep -E '^(PHASE |@away\[)' /tmp/bt.out
