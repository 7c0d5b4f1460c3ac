# Guest job: `hmmtrace probe --json` in auto (fentry) mode and in forced kprobe mode.
for mode in auto kprobe; do
	echo "PROBE-$mode-BEGIN"
	hmmtrace probe --json --mode $mode
	echo "PROBE-$mode-END rc=$?"
done
