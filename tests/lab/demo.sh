# Guest job for `make demo`: what a user sees first, on a real HMM driver (test_hmm) without a GPU.
echo 16 >/proc/sys/vm/nr_hugepages 2>/dev/null
echo
echo "=== hmmscope lab: $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs, test_hmm devices:" \
	$(ls /dev/hmm_dmirror*)
echo
echo "=== hmmtrace probe: what this kernel lets us trace"
hmmtrace probe
echo
echo "=== hmmtrace dump around the workload generator (a sample of the events)"
hmmtrace dump >/tmp/events.txt 2>/tmp/dump.err &
dump=$!
while ! grep -q "hmmtrace: tracing" /tmp/dump.err; do sleep 0.1; done
/opt/hmmscope/bin/hmm_workload -q -m 128 --reads 16 --writes 16 --snapshots 8 --migrate 4 \
	--migrate-sys 4 --storm 32 --exclusive 2 --soft-dirty 2 --uffd-minor 32 --uffd-missing 32 \
	>/tmp/totals
sleep 1
kill -INT $dump
wait $dump
head -n 1 /tmp/events.txt
for type in fault chain migrate inval uffd; do
	grep -E "^[0-9.]+ +$type " /tmp/events.txt | head -n 4
done
grep -B1 -A4 "events:" /tmp/dump.err
echo
echo "=== what the workload generator did (and what the driver reported back)"
sed 's/^/    /' /tmp/totals
echo
echo "=== the kernel's own selftest (hmm-tests)"
v=$(uname -r | cut -d. -f1,2)
/opt/hmmscope/bin/hmm-tests-$v >/tmp/hmm-tests.log 2>&1
grep -E '^(not ok|# (PASSED|FAILED|Totals))' /tmp/hmm-tests.log | sed 's/^/    /'
exit 0
