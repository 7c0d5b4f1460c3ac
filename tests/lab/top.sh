# Guest job for tests/cases/lab-top.sh. Arguments: DELAY, the workload's options, the storm's
# options (one word each).
#  1. `hmmtop -b -n 3 -d DELAY` around one run of the workload generator, which waits
#     (--wait-signal) until hmmtop says it is tracing; its output and the workload's totals are
#     printed between markers.
#  2. `hmmtrace record` around the workload and around an invalidation storm (with --stacks): the
#     recordings and the totals go to /out (the runner's -o DIR) for hmmtop -r on the host.
#  3. `hmmtop -b --stacks` around the storm: the stacks it learnt, in its summary at exit.
delay=$1
echo 16 >/proc/sys/vm/nr_hugepages 2>/dev/null
hmm_workload -q -W $2 >/tmp/totals &
wl=$!
# wait_tracing FILE PID: until hmmtop (PID) says in FILE that it is attached (events from then
# on are caught), it is gone, or 60 s passed.
wait_tracing() {
	i=0
	while ! grep -q "hmmtop: tracing" "$1" && [ $i -lt 600 ]; do
		kill -0 "$2" 2>/dev/null || break
		sleep 0.1; i=$((i + 1))
	done
}
hmmtop -b -n 3 -d "$delay" >/tmp/top.out 2>/tmp/top.err &
top=$!
wait_tracing /tmp/top.err $top
kill -USR1 $wl
wait $wl
wrc=$?
# Whether the workload ended before hmmtop's last interval did: otherwise its counts are cut.
if kill -0 $top 2>/dev/null; then echo "WORKLOAD-ENDED-FIRST=1"; else echo "WORKLOAD-ENDED-FIRST=0"; fi
wait $top
trc=$?
echo "WORKLOAD-TOTALS-BEGIN"; cat /tmp/totals; echo "WORKLOAD-TOTALS-END"
echo "TOP-STDERR-BEGIN"; cat /tmp/top.err; echo "TOP-STDERR-END"
echo "TOP-BEGIN"; cat /tmp/top.out; echo "TOP-END"
echo "workload exit=$wrc hmmtop exit=$trc"

hmmtrace record -o /out/workload.hmmtrace -- sh -c "exec hmm_workload -q $2 >/out/totals" \
	2>/out/record-workload.err
rrc=$?
echo "record workload exit=$rrc"
hmmtrace record --stacks -o /out/storm.hmmtrace -- \
	sh -c "exec hmm_workload -q $3 >/out/storm-totals" 2>/out/record-storm.err
src=$?
echo "record storm exit=$src"

hmmtop -b -d 1 --stacks >/dev/null 2>/out/top-stacks.err &
top=$!
wait_tracing /out/top-stacks.err $top
hmm_workload -q $3 >/out/top-stacks-totals
kill -INT $top
wait $top
krc=$?
echo "hmmtop --stacks exit=$krc"
[ $wrc -eq 0 ] && [ $trc -eq 0 ] && [ $rrc -eq 0 ] && [ $src -eq 0 ] && [ $krc -eq 0 ]
