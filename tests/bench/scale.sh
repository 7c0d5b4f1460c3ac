#!/bin/bash
# How cost grows with the number of owner processes, drivers and exported series, 1 -> 10 -> 1000,
# on this host (no lab VM, no BPF: the userspace side): hmm_stats__add() per event and the
# exporter's renderer per scrape (tests/bench/bench_scale.c), the tools' CPU per event and peak
# resident memory over trace files with N owners and N drivers. Prints a Markdown section for
# docs/PERFORMANCE.md. EVENTS (records per trace file, 2000000), STATS_EVENTS (records per
# in-memory run, 2000000), REPS (5), TOOL_REPS (runs of each tool per size, 3) and DIR (where
# trace files go, a tmpfs: /dev/shm) override the defaults.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUTPUT=${OUTPUT:-$ROOT/build}
EVENTS=${EVENTS:-2000000} STATS_EVENTS=${STATS_EVENTS:-2000000} REPS=${REPS:-5} TOOL_REPS=${TOOL_REPS:-3}
DIR=${DIR:-/dev/shm}
SIZES="1 10 1000"
bin=$OUTPUT/tests/bench_scale
make -s -C "$ROOT" OUTPUT="$OUTPUT" "$bin" "$OUTPUT/hmmtrace" "$OUTPUT/hmmtop" >&2 ||
	{ echo "scale: building $bin and the tools failed" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "scale: needs GNU time (/usr/bin/time)" >&2; exit 1; }
tmp=$(mktemp -d "$DIR/hmm-scale.XXXXXX") || { echo "scale: cannot create a directory in $DIR" >&2; exit 1; }
trap 'rm -rf "$tmp"' EXIT
log=$tmp/log
fail() { echo "scale: $*" >&2; [ -s "$tmp/err" ] && cat "$tmp/err" >&2; exit 1; }
load0=$(cut -d' ' -f1 /proc/loadavg)

"$bin" stats -n "$STATS_EVENTS" -r "$REPS" >>"$log" 2>"$tmp/err" || fail "bench_scale stats failed"
"$bin" prom -r "$REPS" >>"$log" 2>"$tmp/err" || fail "bench_scale prom failed"
for n in $SIZES; do
	# A fresh process per size: its peak resident set is that state's and one render's.
	"$bin" prom-rss -D "$n" -O 0 >>"$log" 2>"$tmp/err" || fail "bench_scale prom-rss -D $n failed"
	"$bin" prom-rss -D 1 -O "$n" >>"$log" 2>"$tmp/err" || fail "bench_scale prom-rss -O $n failed"
done
# The tools over one trace file per size: N owner processes on N drivers.
for n in $SIZES; do
	trace=$tmp/scale-$n.trace
	"$bin" write -o "$trace" -n "$EVENTS" -O "$n" -D "$n" 2>"$tmp/err" || fail "writing $trace failed"
	run() { # NAME COMMAND...: "tool NAME n=N wall user sys maxrss_kb" into the log, per run
		local name=$1 i
		shift
		for i in $(seq "$TOOL_REPS"); do
			/usr/bin/time -f "%e %U %S %M" -o "$tmp/time" "$@" >/dev/null 2>"$tmp/err" ||
				fail "$name on $n owners and drivers failed"
			echo "tool $name n=$n $(cat "$tmp/time")" >>"$log"
		done
	}
	run report "$OUTPUT/hmmtrace" report -i "$trace"
	run top "$OUTPUT/hmmtop" -b -r "$trace" --speed 0
	run hist "$OUTPUT/hmmtrace" hist -i "$trace" -o "$tmp/scale-$n.hist"
	rm -f "$trace" "$tmp/scale-$n.hist"
done
load1=$(cut -d' ' -f1 /proc/loadavg)

# field LINE-PREFIX KEY: the value of KEY=... on the line that starts with LINE-PREFIX.
field() { grep -E "^$1" "$log" | head -n 1 | tr ' ' '\n' | sed -n "s/^$2=//p"; }
# tool NAME N: the median over a tool's runs of user + sys seconds, and of maxrss_kb.
tool() {
	awk -v t="$1" -v n="n=$2" '$1 == "tool" && $2 == t && $3 == n { print $5 + $6 }' "$log" |
		sort -g | awk '{ c[NR] = $1 } END { print c[int((NR + 1) / 2)] }'
	awk -v t="$1" -v n="n=$2" '$1 == "tool" && $2 == t && $3 == n { print $7 }' "$log" |
		sort -n | awk '{ m[NR] = $1 } END { print m[int((NR + 1) / 2)] }'
}
# Every stats run must have seen exactly the owners and drivers it was given.
for cfg in "1 1" "10 1" "1000 1" "1 10" "1 1000" "10 10" "1000 1000"; do
	set -- $cfg
	[ "$(field "stats owners=$1 drivers=$2 " groups)" = "$1,$2" ] ||
		fail "stats with $1 owners and $2 drivers saw groups $(field "stats owners=$1 drivers=$2 " groups)"
done
# row LABEL V1 V10 V1000 [FMT]: a table row with the 1000-vs-1 ratio and the flat judgement
# (within 2x of the value at 1).
row() {
	awk -v l="$1" -v a="$2" -v b="$3" -v c="$4" -v f="${5:-%.0f}" 'BEGIN {
		r = a > 0 ? c / a : 0
		printf "| %s | " f " | " f " | " f " | %.2fx | %s |\n", l, a, b, c, r, r <= 2 ? "yes" : "**no**" }'
}
stats() { field "stats owners=$1 drivers=$2 " cpu_ns; }
stats_wall() { field "stats owners=$1 drivers=$2 " ns; }
# tool_ns NAME N: the tool's CPU (user + sys) per event, ns; tool_mb NAME N: its peak RSS, MB.
tool_ns() { awk -v c="$(tool "$1" "$2" | sed -n 1p)" -v e="$EVENTS" 'BEGIN { print c / e * 1e9 }'; }
tool_mb() { awk -v k="$(tool "$1" "$2" | sed -n 2p)" 'BEGIN { print k / 1024 }'; }
prom() { field "prom drivers=$1 owners=$2 " "$3"; }
prom_us() { awk -v m="$(prom "$1" "$2" cpu_ms)" -v s="$(prom "$1" "$2" samples)" 'BEGIN { print m * 1000 / s }'; }
# mem_row LABEL V1 V10 V1000 (MB): row, plus what each added owner/driver costs.
mem_row() {
	awk -v l="$1" -v a="$2" -v b="$3" -v c="$4" 'BEGIN {
		r = a > 0 ? c / a : 0
		printf "| %s | %.1f | %.1f | %.1f | %.2fx | %s | %.0f kB |\n", l, a, b, c, r,
			r <= 2 ? "yes" : "**no**", (c - a) * 1024 / 999 }'
}
prom_rss() { awk -v k="$(field "prom-rss drivers=$1 owners=$2 " maxrss_kb)" 'BEGIN { print k / 1024 }'; }
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
num() { # 1234567 -> 1,234,567
	awk -v v="$1" 'BEGIN { s = sprintf("%.0f", v); o = ""
		while (length(s) > 3) { o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) }
		print s o }'
}

cat <<EOT
### How cost grows: owners, drivers and series 1 -> 10 -> 1000 (this host, $(date -u +%Y-%m-%d))

Method: \`tests/bench/scale.sh\` on the host ($cpu, $(nproc) CPUs, load average $load0 before and
$load1 after). This host runs no BPF, so what is measured is the userspace side, the part whose
state grows with owners, drivers and series; the in-kernel side is a per-CPU hash update per
record either way (the lab overhead sections above). Per event: \`bench_scale stats\`
(tests/bench/bench_scale.c), pinned to one core, sends $(num "$STATS_EVENTS") records of an
in-memory feed through \`hmm_stats__add()\`, the aggregation \`hmmtrace report\`, \`hmmtrace record
--report\` and \`hmmtop\` share, with drivers named by \`HMM_REC_SYM\` entries and resolved through
lib/symtab as the tools do; a fresh state per run, so first-appearance costs are included. The
feed is shaped like a real one: 60% faults (1 in 10 an -EBUSY with a cause, followed by its
successful retry and the chain record), 25% invalidations, 10% migrations, 5% read_begin waits,
each record's owner process (8 threads each) and driver drawn at random from N of each; every
run's state is checked to hold exactly N owner and N driver groups. Figures are ns of the
thread's CPU time per record, medians of $REPS runs (copying the record out of the pool, included,
costs $(field "stats owners=1 drivers=1 " copy_ns) ns). The tools' rows are whole runs over a trace
file of $(num "$EVENTS") records with N owner processes on N drivers (written by \`bench_scale write\`
through lib/trace.h, on $DIR): user + system CPU per record (GNU time), startup, reading,
decompression and output included, the median of $TOOL_REPS runs. Per scrape: \`bench_scale prom\` renders with
the exporter's \`prom_render()\` (tools/hmm_exporter/prom.c) every histogram series the kernel can
key for N drivers (every label value of the per-driver families; read_begin, invalidation and
userfault histograms are not per driver), and, with the per-process option (\`--per-process N\`,
\`prom_procs_update()\` then the render, each owner's counters grown between scrapes), N owner
processes on one driver's series; ms of CPU per scrape, medians of $REPS runs of at least 0.1 s;
driver names come resolved, as \`exporter_render()\` passes them. Text up to 4 MB is checked with
\`prom_validate()\`. Memory: peak resident set (GNU time's maximum RSS) of each tool run above,
and for the renderer, measured in-process (\`getrusage()\`, a fresh \`bench_scale prom-rss\`
process per size holding that state and rendering it 5 times; dynamically linked, the tools are
static). "Flat" means the value at 1000 is within 2x of the value at 1.

Per-event cost (ns of CPU per record):

| what grows | 1 | 10 | 1000 | 1000 vs 1 | flat? |
|---|---|---|---|---|---|
$(row "\`hmm_stats__add()\`: owner processes (1 driver)" "$(stats 1 1)" "$(stats 10 1)" "$(stats 1000 1)")
$(row "\`hmm_stats__add()\`: drivers (1 owner)" "$(stats 1 1)" "$(stats 1 10)" "$(stats 1 1000)")
$(row "\`hmm_stats__add()\`: both (N owners on N drivers)" "$(stats 1 1)" "$(stats 10 10)" "$(stats 1000 1000)")
$(row "\`hmmtrace report -i\`, whole run (N owners on N drivers)" "$(tool_ns report 1)" "$(tool_ns report 10)" "$(tool_ns report 1000)")
$(row "\`hmmtop -b -r --speed 0\`, whole run" "$(tool_ns top 1)" "$(tool_ns top 10)" "$(tool_ns top 1000)")
$(row "\`hmmtrace hist -i -o\`, whole run" "$(tool_ns hist 1)" "$(tool_ns hist 10)" "$(tool_ns hist 1000)")

Per-scrape cost of the exporter's renderer (the output grows with the series, so ms per scrape
cannot stay flat; the cost per rendered sample line can):

| what grows | 1 | 10 | 1000 | 1000 vs 1 | flat? |
|---|---|---|---|---|---|
$(row "drivers: histogram series" "$(prom 1 0 hist_series)" "$(prom 10 0 hist_series)" "$(prom 1000 0 hist_series)")
$(row "drivers: bytes per scrape" "$(prom 1 0 bytes)" "$(prom 10 0 bytes)" "$(prom 1000 0 bytes)")
$(row "drivers: ms per scrape" "$(prom 1 0 cpu_ms)" "$(prom 10 0 cpu_ms)" "$(prom 1000 0 cpu_ms)" "%.2f")
$(row "drivers: us per sample line" "$(prom_us 1 0)" "$(prom_us 10 0)" "$(prom_us 1000 0)" "%.3f")
$(row "\`--per-process N\` owners: bytes per scrape" "$(prom 1 1 bytes)" "$(prom 1 10 bytes)" "$(prom 1 1000 bytes)")
$(row "\`--per-process N\` owners: ms per scrape" "$(prom 1 1 cpu_ms)" "$(prom 1 10 cpu_ms)" "$(prom 1 1000 cpu_ms)" "%.2f")
$(row "\`--per-process N\` owners: of which \`prom_procs_update()\`, ms" "$(prom 1 1 update_ms)" "$(prom 1 10 update_ms)" "$(prom 1 1000 update_ms)" "%.3f")
$(row "\`--per-process N\` owners: us per sample line" "$(prom_us 1 1)" "$(prom_us 1 10)" "$(prom_us 1 1000)" "%.3f")

Memory (peak resident set, MB; "per added N": (value at 1000 - value at 1) / 999, what each
further owner and driver, or driver's series, or labelled owner costs):

| tool | 1 | 10 | 1000 | 1000 vs 1 | flat? | per added N |
|---|---|---|---|---|---|---|
$(mem_row "\`hmmtrace report -i\` (N owners on N drivers)" "$(tool_mb report 1)" "$(tool_mb report 10)" "$(tool_mb report 1000)")
$(mem_row "\`hmmtop -b -r --speed 0\`" "$(tool_mb top 1)" "$(tool_mb top 10)" "$(tool_mb top 1000)")
$(mem_row "\`hmmtrace hist -i -o\`" "$(tool_mb hist 1)" "$(tool_mb hist 10)" "$(tool_mb hist 1000)")
$(mem_row "renderer, N drivers (in-process)" "$(prom_rss 1 0)" "$(prom_rss 10 0)" "$(prom_rss 1000 0)")
$(mem_row "renderer, \`--per-process N\` (in-process)" "$(prom_rss 1 1)" "$(prom_rss 1 10)" "$(prom_rss 1 1000)")

A live exporter never reaches the 1000-driver row: the kernel's histogram map holds 1024 keys
(bpf/maps.bpf.h, about 44 drivers' worth) and the exporter names at most 128 driver addresses
(\`DRIVER_CACHE\`); the row shows the renderer's cost per series, not a configuration. Owners are
bounded by the owner map (2048) and \`--per-process\` by 1000. Wall-clock ns per record of
\`hmm_stats__add()\` (same runs): $(stats_wall 1 1), $(stats_wall 1000 1), $(stats_wall 1 1000) and
$(stats_wall 1000 1000) for (1, 1), (1000, 1), (1, 1000) and (1000, 1000) owners and drivers.
EOT
