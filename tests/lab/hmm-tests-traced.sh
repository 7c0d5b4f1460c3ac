# Guest job: hmm-tests under `hmmtrace dump --json --stats`, files to /out (the runner's -o DIR).
# Arguments: extra dump options (e.g. --mode kprobe).
echo 16 >/proc/sys/vm/nr_hugepages 2>/dev/null
v=$(uname -r | cut -d. -f1,2)
hmmtrace dump --json --stats /out/stats.json "$@" >/out/events.json 2>/out/dump.err &
dump=$!
i=0
while ! grep -q "hmmtrace: tracing" /out/dump.err && [ $i -lt 600 ]; do
	kill -0 $dump 2>/dev/null || break
	sleep 0.1; i=$((i + 1))
done
/opt/hmmscope/bin/hmm-tests-$v >/out/hmm-tests.log 2>&1
echo "hmm-tests exit $?"
kill -INT $dump
wait $dump
echo "dump exit $?"
cat /out/dump.err
