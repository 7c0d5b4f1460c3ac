#!/bin/bash
# How cost grows with the number of owner processes, drivers and exported series, 1 -> 10 -> 1000,
# on this host (no lab VM, no BPF: the userspace side): hmm_stats__add() per event and the
# exporter's renderer per scrape (tests/bench/bench_scale.c), the tools' CPU per event and peak
# resident memory over trace files with N owners and N drivers, and what hmm_stats__add() misses
# in the caches per event at 1 and 1000 (callgrind, when valgrind is installed). Prints a
# Markdown section for docs/PERFORMANCE.md. EVENTS (records per trace file, 2000000),
# STATS_EVENTS (records per in-memory run, 2000000), REPS (5), TOOL_REPS (runs of each tool per
# size, 3) and DIR (where trace files go, a tmpfs: /dev/shm) override the defaults.
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
	echo "histfile n=$n bytes=$(stat -c %s "$tmp/scale-$n.hist")" \
		"hists=$(sed -n 's/.*(\([0-9]*\) histograms.*/\1/p' "$tmp/err")" >>"$log"
	rm -f "$trace" "$tmp/scale-$n.hist"
done
load1=$(cut -d' ' -f1 /proc/loadavg)

# Cache misses per record inside hmm_stats__add() at (1, 1) and (1000, 1000) owners and drivers,
# what explains the growth: callgrind's simulated caches (perf's counters are not visible in
# every VM: this one says "not supported" to cache-misses), collecting inside hmm_stats__add()
# alone (--toggle-collect), with this host's L1d and L2 as its D1 and LL, so a simulated LL miss
# is a load that left the core's private caches. Deterministic, whatever the load; no TLB model.
# cache GETCONF-NAME FALLBACK: this host's cache geometry, or the fallback.
cache() {
	local v
	v=$(getconf "$1" 2>/dev/null)
	[ -n "$v" ] && [ "$v" != 0 ] && echo "$v" || echo "$2"
}
d1="$(cache LEVEL1_DCACHE_SIZE 49152),$(cache LEVEL1_DCACHE_ASSOC 12),64"
ll="$(cache LEVEL2_CACHE_SIZE 1048576),$(cache LEVEL2_CACHE_ASSOC 8),64"
# Said with the misses: whether perf could have counted them on this host.
if ! command -v perf >/dev/null; then
	pmu="perf is not installed"
elif perf stat -e cache-misses true 2>&1 | grep -q "not supported"; then
	pmu="this host gives perf no hardware counters: \`perf stat -e cache-misses\` says"
	pmu+=" \"not supported\""
else
	pmu="perf's hardware counters would count the host's real misses"
fi
miss_how=
if command -v valgrind >/dev/null; then
	miss_how=callgrind
	for cfg in "1 1" "1000 1000"; do
		set -- $cfg
		valgrind --tool=callgrind --cache-sim=yes --D1="$d1" --LL="$ll" \
			--toggle-collect=hmm_stats__add --callgrind-out-file="$tmp/cg.out" \
			"$bin" stats -n "$STATS_EVENTS" -r 1 -O "$1" -D "$2" >/dev/null 2>"$tmp/err" ||
			fail "callgrind of bench_scale stats -O $1 -D $2 failed"
		# "events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw", then "totals:" in that order
		awk -v o="$1" -v d="$2" -v n="$STATS_EVENTS" '
			$1 == "events:" { for (i = 2; i <= NF; i++) col[$i] = i }
			$1 == "totals:" { printf "misses owners=%s drivers=%s ir=%.1f d1=%.2f ll=%.2f\n",
				o, d, $col["Ir"] / n, ($col["D1mr"] + $col["D1mw"]) / n,
				($col["DLmr"] + $col["DLmw"]) / n }' "$tmp/cg.out" >>"$log"
	done
fi

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
# hf N: the histogram file of hist -o over the trace of N owners and drivers, in words.
hf() { awk -v n="$(field "histfile n=$1 " hists)" -v b="$(field "histfile n=$1 " bytes)" 'BEGIN {
	printf "%d histograms (%s)", n,
		b < 1e6 ? sprintf("%.0f kB", b / 1e3) : sprintf("%.1f MB", b / 1e6) }'; }
# miss OWNERS DRIVERS KEY: callgrind's figure per record (ir, d1, ll); geom SIZE,ASSOC,LINE: words.
miss() { field "misses owners=$1 drivers=$2 " "$3"; }
geom() { echo "$1" | awk -F, '{ printf "%d KiB %d-way", $1 / 1024, $2 }'; }
miss_row() {
	awk -v l="$1" -v a="$2" -v b="$3" 'BEGIN {
		printf "| %s | %.2f | %.2f | %+.2f |\n", l, a, b, b - a }'
}
misses() {
	if [ -z "$miss_how" ]; then
		echo "(valgrind is not installed: the cache misses per record were not measured.)"
		return
	fi
	cat <<EOM
Why it grows: per record inside \`hmm_stats__add()\` (callgrind with --toggle-collect, its
simulated caches set to this host's L1d, $(geom "$d1"), and L2, $(geom "$ll"); the same
$(num "$STATS_EVENTS") records and fresh state as the first three rows; simulated, so they do
not move with the host's load;
$pmu):

| per record in \`hmm_stats__add()\` | 1 owner, 1 driver | 1000 owners on 1000 drivers | added |
|---|---|---|---|
$(miss_row "instructions" "$(miss 1 1 ir)" "$(miss 1000 1000 ir)")
$(miss_row "L1d misses" "$(miss 1 1 d1)" "$(miss 1000 1000 d1)")
$(miss_row "misses past L2 (simulated LL)" "$(miss 1 1 ll)" "$(miss 1000 1000 ll)")

The instructions hardly change: no lookup grows with owners or drivers (every map is a hash
kept at most half full, a record's histograms are found with one lookup of its address and
its driver group is cached in that address's site). What grows is where the state is: at one
owner and one driver it is a few kB in L1; 1000 drivers' histograms (about a dozen of 2.6 KB
each), groups and migrations and 1000 owners' groups are tens of MB, and each record lands on a
random owner and driver, so the lines it updates come from past L2: for a fault, the header
and the slot of each histogram it adds to (three of its address, two of each group), the
groups' counters and the lookups' entries. The arena (lib/arena.c) puts that state on huge
pages, so page walks are not added on top, which callgrind does not model; what remains is one
line per histogram header and one per slot, the layout of \`struct hmm_hist\` (bpf/hmmscope.h),
which the BPF side shares.
EOM
}
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

The tools' rows follow \`hmm_stats__add()\` (\`hmmtrace hist\` has its own histograms, kept the
same way) plus what does not depend on the records: startup, and reading a trace file that
compresses less the more owners and drivers it names. \`hmmtrace hist -o\` also writes every
histogram whole: $(hf 1) at one driver,
$(hf 1000) at 1000, so at that size part of its cost per record is per histogram written.

$(misses)

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
