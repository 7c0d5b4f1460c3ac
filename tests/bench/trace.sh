#!/bin/bash
# Trace file throughput on this host (no lab VM): the writer's events/s into a file on tmpfs, and
# the reader's full read against plain zlib inflation of the same chunks, with compressed bytes per
# event. Prints a Markdown section for docs/PERFORMANCE.md. REPS, WRITE_EVENTS, READ_EVENTS and
# DIR (a tmpfs: /dev/shm) override the defaults.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUTPUT=${OUTPUT:-$ROOT/build}
REPS=${REPS:-5} WRITE_EVENTS=${WRITE_EVENTS:-4000000} READ_EVENTS=${READ_EVENTS:-10000000}
DIR=${DIR:-/dev/shm}
bin=$OUTPUT/tests/bench_trace
make -s -C "$ROOT" OUTPUT="$OUTPUT" "$bin" >&2 || { echo "trace: building $bin failed" >&2; exit 1; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
load0=$(cut -d' ' -f1 /proc/loadavg)
"$bin" -n "$WRITE_EVENTS" -N "$READ_EVENTS" -r "$REPS" -d "$DIR" >"$log" ||
	{ echo "trace: bench_trace failed" >&2; cat "$log" >&2; exit 1; }
# field LINE-PREFIX KEY: the value of KEY=... on the line that starts with LINE-PREFIX.
field() { grep -E "^$1" "$log" | head -n 1 | tr ' ' '\n' | sed -n "s/^$2=//p"; }
num() { # 1234567 -> 1,234,567
	awk -v v="$1" 'BEGIN { s = sprintf("%.0f", v); o = ""
		while (length(s) > 3) { o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) }
		print s o }'
}
load1=$(cut -d' ' -f1 /proc/loadavg)
w_auto=$(field "write strategy=auto" events_per_s)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
zlib=$(dpkg-query -W -f '${Version}' zlib1g 2>/dev/null || echo "?")
cat <<EOT
### Trace files: writing and reading (this host, $(date -u +%Y-%m-%d))

Method: \`tests/bench/trace.sh\` runs \`bench_trace\` (tests/bench/bench_trace.c) on the host
($cpu, $(nproc) CPUs, load average $load0 before and $load1 after; zlib $zlib), one thread,
files on $DIR (tmpfs). The feed is synthetic and shaped like a real one: 50% faults (10% of them -EBUSY with a
cause), 30% invalidations, 8% migrations, 5% chains, 5% read_begin, 2% uffd; four processes,
varying addresses, sizes and durations, timestamps rising across 8 CPUs;
$(awk -v r="$(field "read " raw_bytes)" -v n="$READ_EVENTS" 'BEGIN { printf "%.0f", r / n }') bytes per record uncompressed. Writer: $(num "$WRITE_EVENTS") records through \`hmm_trace_writer__add()\` with the default
options (zlib level 1, 256 KiB chunks) and, for comparison, other zlib strategies; events/s
includes open, the tick()s and close. Reader: one $(num "$READ_EVENTS")-record file read $REPS times
two ways, alternated: (a) plain inflation of the same chunks (pread each chunk's payload and
inflate it, nothing else) and (b) \`hmm_trace_reader__next()\` over every record (CRC checks,
inflation, record validation, touching each record). Medians of $REPS runs; the ratio is the
median of the per-round b/a ratios.

| measurement | result | target |
|---|---|---|
| writer, default (level 1, \`Z_DEFAULT_STRATEGY\`) | $(num "$w_auto") events/s, $(field "write strategy=auto" bytes_per_event) B/event | >= 2,000,000 events/s |
| writer, level 1, \`Z_RLE\` | $(num "$(field "write strategy=rle" events_per_s)") events/s, $(field "write strategy=rle" bytes_per_event) B/event | |
| writer, level 1, \`Z_HUFFMAN_ONLY\` | $(num "$(field "write strategy=huffman" events_per_s)") events/s, $(field "write strategy=huffman" bytes_per_event) B/event | |
| (a) plain inflate, $(num "$READ_EVENTS") events | $(field "read " inflate_s) s | |
| (b) full read, $(num "$READ_EVENTS") events | $(field "read " read_s) s ($(num "$(field "read " read_events_per_s)") events/s) | |
| reader overhead, b/a | $(field "read " ratio) | <= 1.5 |
| compressed size | $(field "read " bytes_per_event) B/event ($(num "$(field "read " file_bytes)") bytes) | |

Samples (a, b seconds per round): $(sed -n 's/^samples inflate_s,read_s: //p' "$log")
EOT
