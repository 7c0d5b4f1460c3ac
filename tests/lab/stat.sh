# Guest job: `hmmtrace stat --json -- hmm_workload ...`; prints both between markers.
# Arguments: [--paths LIST] [--mode MODE] workload options.
opts=
while [ "$1" = --paths ] || [ "$1" = --mode ]; do
	opts="$opts $1 $2"
	shift 2
done
hmmtrace stat --json $opts -- sh -c "exec hmm_workload -q $* >/tmp/totals" >/tmp/stat.json 2>/tmp/stat.err
rc=$?
echo "STAT-BEGIN"; cat /tmp/stat.json; echo "STAT-END"
echo "WORKLOAD-TOTALS-BEGIN"; cat /tmp/totals; echo "WORKLOAD-TOTALS-END"
cat /tmp/stat.err
echo "stat exit=$rc"
exit $rc
