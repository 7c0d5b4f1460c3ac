# Guest job: run the kernel's own HMM selftest built from this kernel's source package.
# The harness gives each test its own time limit (kselftest_harness.h, TEST_TIMEOUT_DEFAULT).
v=$(uname -r | cut -d. -f1,2)
bin=/opt/hmmscope/bin/hmm-tests-$v
[ -x "$bin" ] || { echo "no hmm-tests for kernel $v"; exit 2; }
echo 16 >/proc/sys/vm/nr_hugepages 2>/dev/null
echo "hugepages: $(cat /proc/sys/vm/nr_hugepages)"
start=$(date +%s)
"$bin"
rc=$?
echo "hmm-tests: exit $rc after $(($(date +%s) - start)) s"
exit 0
