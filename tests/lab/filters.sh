# Guest job: the filters. Two held workloads A and B; three tracers: -p A, --owner B, --min-us 50;
# then both workloads are released together. Prints each tracer's events between markers.
hmm_workload -W -q -m 100 --reads 3 --migrate 1 >/tmp/ta 2>/dev/null &
A=$!
hmm_workload -W -q -m 100 --reads 2 --writes 1 >/tmp/tb 2>/dev/null &
B=$!
hmmtrace dump --json -p $A >/tmp/ep.json 2>/tmp/ep.err &
P=$!
hmmtrace dump --json --owner $B >/tmp/eo.json 2>/tmp/eo.err &
O=$!
hmmtrace dump --json --min-us 50 >/tmp/em.json 2>/tmp/em.err &
MU=$!
for f in ep eo em; do
	i=0
	while ! grep -q "hmmtrace: tracing" /tmp/$f.err && [ $i -lt 900 ]; do sleep 0.1; i=$((i + 1)); done
done
kill -USR1 $A $B
wait $A; ra=$?
wait $B; rb=$?
sleep 1
kill -INT $P $O $MU
wait $P $O $MU
echo "A=$A B=$B ra=$ra rb=$rb"
for f in ta tb; do echo "TOTALS-$f-BEGIN"; cat /tmp/$f; echo "TOTALS-$f-END"; done
for f in ep eo em; do echo "EVENTS-$f-BEGIN"; cat /tmp/$f.json; echo "EVENTS-$f-END"; cat /tmp/$f.err; done
