# Guest job: `hmmtrace stat --json -- hmm_workload ...`; prints both between markers.
# Arguments: [--paths LIST] workload options.
paths=
if [ "$1" = --paths ]; then
	paths="--paths $2"
	shift 2
fi
hmmtrace stat --json $paths -- sh -c "exec hmm_workload -q $* >/tmp/totals" >/tmp/stat.json 2>/tmp/stat.err
rc=$?
echo "STAT-BEGIN"; cat /tmp/stat.json; echo "STAT-END"
echo "WORKLOAD-TOTALS-BEGIN"; cat /tmp/totals; echo "WORKLOAD-TOTALS-END"
cat /tmp/stat.err
echo "stat exit=$rc"
exit $rc
