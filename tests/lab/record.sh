# Guest job: `hmmtrace record --report` around the workload generator, an invalidation storm and
# hmm-tests; the recordings, the live reports and the generator's totals go to /out (the runner's
# -o DIR). Arguments: the workload's options, the storm's options (one word each).
echo 16 >/proc/sys/vm/nr_hugepages 2>/dev/null
v=$(uname -r | cut -d. -f1,2)
hmmtrace record -o /out/workload.hmmtrace --report /out/workload-live.json \
	-- sh -c "exec hmm_workload -q $1 >/out/totals" 2>/out/record-workload.err
echo "record workload exit=$?"
cat /out/record-workload.err
hmmtrace record -o /out/storm.hmmtrace --report /out/storm-live.json \
	-- sh -c "exec hmm_workload -q $2 >/out/storm-totals" 2>/out/record-storm.err
echo "record storm exit=$?"
cat /out/record-storm.err
hmmtrace record -o /out/hmm-tests.hmmtrace --report /out/hmm-tests-live.json \
	-- /opt/hmmscope/bin/hmm-tests-$v >/out/hmm-tests.log 2>/out/record-hmm-tests.err
echo "record hmm-tests exit=$?"
cat /out/record-hmm-tests.err
