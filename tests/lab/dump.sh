# Guest job: `hmmtrace dump --json` around one workload run. Prints the workload's totals and the
# events between markers for the host to check. Arguments: dump options, `--`, workload options.
dump_args=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do dump_args="$dump_args $1"; shift; done
[ "$1" = "--" ] && shift
echo 16 >/proc/sys/vm/nr_hugepages 2>/dev/null
hmmtrace dump --json $dump_args >/tmp/events.json 2>/tmp/dump.err &
dump=$!
# Wait until the tracer says it is attached: events from then on are caught.
i=0
while ! grep -q "hmmtrace: tracing" /tmp/dump.err && [ $i -lt 600 ]; do
	kill -0 $dump 2>/dev/null || break
	sleep 0.1; i=$((i + 1))
done
hmm_workload -q "$@" >/tmp/totals
wrc=$?
sleep 1
kill -INT $dump
wait $dump
drc=$?
echo "WORKLOAD-TOTALS-BEGIN"; cat /tmp/totals; echo "WORKLOAD-TOTALS-END"
echo "DUMP-STDERR-BEGIN"; cat /tmp/dump.err; echo "DUMP-STDERR-END"
echo "EVENTS-BEGIN"; cat /tmp/events.json; echo "EVENTS-END"
echo "workload exit=$wrc dump exit=$drc"
[ $wrc -eq 0 ] && [ $drc -eq 0 ]
