# Guest job for `make demo`: what a user sees first. Runs the workload generator with counts that
# exercise every path, prints its totals, then runs the kernel's own hmm-tests and summarises them.
echo 16 >/proc/sys/vm/nr_hugepages 2>/dev/null
echo
echo "=== hmmscope lab: $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs, test_hmm devices:" \
	$(ls /dev/hmm_dmirror*)
echo
echo "=== workload generator (totals it measured, and what the driver reported back)"
/opt/hmmscope/bin/hmm_workload -q -m 128 --reads 16 --writes 16 --snapshots 8 --migrate 4 \
	--migrate-sys 4 --storm 32 --exclusive 2 --soft-dirty 2 --uffd-minor 32 --uffd-missing 32 |
	sed 's/^/    /'
echo
echo "=== the kernel's own selftest (hmm-tests)"
v=$(uname -r | cut -d. -f1,2)
/opt/hmmscope/bin/hmm-tests-$v >/tmp/hmm-tests.log 2>&1
grep -E '^(not ok|# (PASSED|FAILED|Totals))' /tmp/hmm-tests.log | sed 's/^/    /'
exit 0
