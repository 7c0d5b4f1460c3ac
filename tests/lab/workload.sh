# Guest job: run the workload generator with the arguments given and print its totals between
# markers, so the host can assert them without tripping over kernel messages.
echo 16 >/proc/sys/vm/nr_hugepages 2>/dev/null
/opt/hmmscope/bin/hmm_workload "$@" >/tmp/totals
rc=$?
echo "WORKLOAD-TOTALS-BEGIN"
cat /tmp/totals
echo "WORKLOAD-TOTALS-END"
exit $rc
