# Guest job for `make demo`: what hmmscope shows on a real HMM driver (test_hmm) without a GPU.
# The workload generator's mixed run and its invalidation storm are recorded into one trace file;
# then the report's retry chains with their causes, the migrations with pages moved and stayed,
# the top owners, one hmmtop -b screen, and the heatmap and Chrome trace written to /out.
# Argument: the host directory shared at /out (the runner's -o), to print the files' host paths.
host=${1:-/out}
MIXED="-m 128 --reads 16 --writes 16 --snapshots 8 --migrate 4 --migrate-sys 4 --exclusive 2"
MIXED="$MIXED --soft-dirty 2 --uffd-minor 32 --uffd-missing 32"
STORM="-m 256 --storm 300"
echo 16 >/proc/sys/vm/nr_hugepages 2>/dev/null

# section TITLE FILE: the lines of FILE from the one starting with TITLE to the next blank line.
section() { awk -v t="$1" 'index($0, t) == 1 { on = 1 } on && /^$/ { exit } on' "$2"; }

echo
echo "=== hmmscope lab: kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs, test_hmm:" \
	$(ls /dev/hmm_dmirror*)
echo
echo "=== hmmtrace probe: what this kernel lets hmmscope trace"
hmmtrace probe
echo
echo "=== hmmtrace record: the workload generator's mixed run, then its invalidation storm"
echo "    hmmtrace record -o demo.hmmtrace -- sh -c 'hmm_workload MIXED; hmm_workload STORM'"
hmmtrace record -o /out/demo.hmmtrace -- \
	sh -c "hmm_workload -q $MIXED >/tmp/mixed; hmm_workload -q $STORM >/tmp/storm" || exit 1
kv() { sed -n "s/^$1=//p" "$2"; }
echo "    generator: mixed run $(kv result /tmp/mixed); storm $(kv result /tmp/storm)," \
	"its second thread invalidating $(kv storm.madvise /tmp/storm) times with madvise and" \
	"$(kv storm.mprotect /tmp/storm) with mprotect"

hmmtrace report -i /out/demo.hmmtrace >/tmp/report.txt || exit 1
echo
echo "=== hmmtrace report -i demo.hmmtrace (parts of it)"
head -n 3 /tmp/report.txt
echo
# The chains: the attempts histogram and the three longest, with their causes.
section "-EBUSY retry chains" /tmp/report.txt |
	awk '/^  longest:/ { l = 1 } l && /^    [0-9]+ attempts/ && ++n > 3 { exit } { print }'
echo
section "migrations:" /tmp/report.txt
echo
section "top owner processes" /tmp/report.txt

# hmmtop replaying the recording as one interval: the whole recording on one screen.
secs=$(sed -n 's/.* events over \([0-9.]*\)s.*/\1/p' /tmp/report.txt)
echo
echo "=== hmmtop -b -r demo.hmmtrace -d ${secs:-1}: the recording on one hmmtop screen"
hmmtop -b -r /out/demo.hmmtrace --speed 0 -n 1 -d "${secs:-1}" || exit 1

echo
echo "=== the heatmap and the Chrome trace, written to $host on the host"
hmmtrace heatmap -i /out/demo.hmmtrace -o /out/demo-heatmap.svg || exit 1
hmmtrace export -i /out/demo.hmmtrace --format chrome -o /out/demo-trace.json || exit 1
echo "  $host/demo-heatmap.svg   latency over time: open it in a web browser"
echo "  $host/demo-trace.json    every fault, retry chain, migration and invalidation on a"
echo "      timeline: open it at https://ui.perfetto.dev (Open trace file), or chrome://tracing"
echo "  $host/demo.hmmtrace      the recording: build/hmmtrace report -i $host/demo.hmmtrace"
echo
echo "=== next, on a machine with an HMM driver (nvidia-uvm, amdgpu, nouveau, xe):"
echo "  sudo build/hmmtrace probe    # what its kernel lets hmmscope trace, and why not the rest"
echo "  sudo build/hmmtrace record -o job.hmmtrace -- ./gpu_job; build/hmmtrace report -i job.hmmtrace"
echo "  sudo build/hmmtop            # live, per process; or make install and run hmm_exporter"
exit 0
