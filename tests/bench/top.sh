#!/bin/bash
# hmmtop under 1 million synthetic events per second: does it keep its refresh interval, and how
# much memory does it hold? The feed is a trace written by tests/top_trace_gen.c (--rate: 8 owner
# processes; 60% hmm_range_fault, 10% migrations, 30% invalidations; -EBUSY 1 in 20), replayed
# through hmmtop's batch mode: the same hmm_stats__add() and model path as a live session, plus
# the trace reader's decompression in place of the ring buffer. Prints a Markdown section.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUTPUT=${OUTPUT:-$ROOT/build}
RATE=${RATE:-1000000} SECS=${SECS:-10}
TOP=$OUTPUT/hmmtop GEN=$OUTPUT/tests/top_trace_gen
[ -x "$TOP" ] && [ -x "$GEN" ] || { echo "top bench: build first ($TOP, $GEN)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "top bench: needs GNU time (/usr/bin/time)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trace=$tmp/feed.trace
"$GEN" -o "$trace" --rate "$RATE" -s "$SECS" || { echo "top bench: top_trace_gen failed" >&2; exit 1; }
events=$((RATE * SECS))

# 1. At recorded speed, -d 1: when does each interval's table come out? (The first one is due at
#    once, the n-th n-1 seconds later.)
start=$EPOCHREALTIME
/usr/bin/time -f '%e %U %S %M' -o "$tmp/time.paced" "$TOP" -b -r "$trace" -d 1 --speed 1 |
	while IFS= read -r line; do
		case "$line" in "hmmtop replay"*) echo "$EPOCHREALTIME" ;; esac
	done >"$tmp/stamps"
n=$(wc -l <"$tmp/stamps")
[ "$n" -eq "$SECS" ] || { echo "top bench: $n intervals printed, expected $SECS" >&2; exit 1; }
# The first table waits for its interval's records to be read; from the second on, they are read
# while waiting, as live. Lateness of table k >= 2: its time minus (start + k - 1), in ms.
first=$(awk -v s="$start" 'NR == 1 { printf "%.0f", ($1 - s) * 1000 }' "$tmp/stamps")
read -r late_max late_med < <(awk -v s="$start" 'NR > 1 { printf "%.0f\n", ($1 - s - (NR - 1)) * 1000 }' \
	"$tmp/stamps" | sort -n | awk '{ l[NR] = $1 } END { print l[NR], l[int((NR + 1) / 2)] }')
read -r gap_min gap_max < <(awk 'NR > 2 { g = ($1 - p) * 1000; if (!mn || g < mn) mn = g; if (g > mx) mx = g } { p = $1 }
	END { printf "%.0f %.0f\n", mn, mx }' "$tmp/stamps")
read -r p_wall p_user p_sys p_rss <"$tmp/time.paced"

# 2. As fast as it can (--speed 0): the cost of one interval of 1M events.
/usr/bin/time -f '%e %U %S %M' -o "$tmp/time.fast" "$TOP" -b -r "$trace" -d 1 --speed 0 >/dev/null
read -r f_wall f_user f_sys f_rss <"$tmp/time.fast"

cpu_pct=$(awk -v u="$p_user" -v s="$p_sys" -v w="$p_wall" 'BEGIN { printf "%.0f", (u + s) / w * 100 }')
per_int=$(awk -v w="$f_wall" -v n="$SECS" 'BEGIN { printf "%.0f", w / n * 1000 }')
thru=$(awk -v w="$f_wall" -v e="$events" 'BEGIN { printf "%.2f", e / w / 1e6 }')
rss_mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
verdict() { [ "$1" = 1 ] && echo "yes" || echo "**no**"; }

cat <<EOT
### hmmtop at 1 million events per second ($(date -u +%Y-%m-%d))

Method: \`tests/bench/top.sh\` writes a synthetic trace with \`tests/top_trace_gen --rate $RATE -s $SECS\`
($events records over $SECS recorded seconds: 8 owner processes, 60% \`hmm_range_fault\` calls, 10%
migrations, 30% invalidations) and replays it with \`hmmtop -b -d 1\`, which sends every record
through \`hmm_stats__add()\` and the model and prints the table each interval, exactly as a live
session does with the ring buffer (the trace reader's decompression stands in for it). Paced at
the recorded speed (\`--speed 1\`), each table's arrival is timed against its due time (the first
is due at once, the n-th n-1 s later; from the second on, hmmtop reads the next interval's records
while it waits, as it drains the ring buffer live); unpaced (\`--speed 0\`) gives the cost of one
interval.
Resident memory is the peak (GNU time's maximum RSS). Host: $(nproc) CPUs, the static binary.

| measure | value | target | met |
|---|---|---|---|
| intervals printed at recorded speed | $n of $SECS | $SECS | $(verdict $((n == SECS))) |
| first table (its 1 s of records read first) | $first ms | < 1000 ms | $(verdict "$(awk -v m="$first" 'BEGIN { print (m < 1000) }')") |
| gap between tables 2..$SECS (min / max) | $gap_min / $gap_max ms | 1000 ms +- 50 | $(verdict "$(awk -v a="$gap_min" -v b="$gap_max" 'BEGIN { print (a >= 950 && b <= 1050) }')") |
| tables 2..$SECS: lateness after the due time (median / max) | $late_med / $late_max ms | < 50 ms | $(verdict "$(awk -v m="$late_max" 'BEGIN { print (m < 50) }')") |
| CPU while paced (user + sys / wall) | $cpu_pct% of one CPU | < 100% | $(verdict "$(awk -v c="$cpu_pct" 'BEGIN { print (c < 100) }')") |
| one interval of $RATE events, unpaced | $per_int ms | < 1000 ms | $(verdict "$(awk -v c="$per_int" 'BEGIN { print (c < 1000) }')") |
| throughput, unpaced | $thru M events/s | >= 1 M/s | $(verdict "$(awk -v t="$thru" 'BEGIN { print (t >= 1) }')") |
| peak resident memory (paced / unpaced) | $(rss_mb "$p_rss") / $(rss_mb "$f_rss") MB | < 30 MB | $(verdict "$(awk -v a="$p_rss" -v b="$f_rss" 'BEGIN { print (a < 30720 && b < 30720) }')") |
EOT
