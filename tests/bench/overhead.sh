#!/bin/bash
# Overhead of tracing on the workload generator's read loop (each read: one hmm_range_fault per
# 64 pages, plus the mmap/munmap invalidations around it), measured in the 6.1 lab VM: untraced,
# aggregation mode (hmmtrace stat) and per-event mode (hmmtrace dump), interleaved in one boot.
# Prints a Markdown section for docs/PERFORMANCE.md.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ROUNDS=${ROUNDS:-15} READS=${READS:-500} PAGES=${PAGES:-64} KERNEL=${KERNEL:-6.1}
BT_ROUNDS=${BT_ROUNDS:-7}
# CLOCK=tsc boots the guest with tsc=reliable: TCG's TSC fails the kernel's stability checks, so
# by default the guest runs on the emulated HPET, where every clock read (two per traced call) is
# a trip through QEMU's device model; real machines read the TSC.
CLOCK=${CLOCK:-hpet}
append=()
[ "$CLOCK" = tsc ] && append=(--append "tsc=reliable")
log=$(mktemp)
trap 'rm -f "$log" "$log.b"' EXIT
"$ROOT/tests/vm/run.sh" -q -k "$KERNEL" -t 3600 -m 2048 --hostroot "${append[@]}" -l "$log" \
	"$ROOT/tests/bench/overhead-guest.sh" "$ROUNDS" "$READS" "$PAGES" "$BT_ROUNDS" || { echo "overhead: the lab run failed" >&2; exit 1; }
tr -d '\r' <"$log" | grep -E '^(BENCH|LOST|ERROR)' >"$log.b"
cs=$(tr -d '\r' <"$log" | sed -n 's/^CLOCKSOURCE //p')
[ "$cs" = "$CLOCK" ] || { echo "overhead: asked for clocksource $CLOCK, the guest ran on '$cs'" >&2; exit 1; }
if grep -qE '^(LOST|ERROR)' "$log.b"; then
	grep -E '^(LOST|ERROR)' "$log.b" >&2
	echo "overhead: events were lost or reads failed: the figures would lie" >&2
	exit 1
fi
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# col 4: wall ns, col 5: CPU ns of the workload. Paired ratios (same round) cancel drift in the
# boot; their median is the figure.
ratio() { # MODE COLUMN
	awk -v m="$1" -v c="$2" '$2 == "none" { base[$3] = $c } $2 == m { v[$3] = $c }
		END { for (r in v) if (base[r] > 0) print v[r] / base[r] }' "$log.b" | median
}
med() { awk -v m="$1" -v c="$2" '$2 == m { print $c }' "$log.b" | median; }
us() { awk -v a="$1" -v n="$READS" 'BEGIN { printf "%.0f", a / n / 1000 }'; }
row() { # LABEL MODE TARGET
	printf '| %s | %s us | %s us | %s | %s | %s |\n' "$1" "$(us "$(med "$2" 4)")" "$(us "$(med "$2" 5)")" \
		"$([ "$2" = none ] && echo 1.000 || printf '%.3f' "$(ratio "$2" 4)")" \
		"$([ "$2" = none ] && echo 1.000 || printf '%.3f' "$(ratio "$2" 5)")" "$3"
}
bt=$(tr -d '\r' <"$log" | sed -n 's/^BPFTRACE //p')
btrow=""
if grep -q '^BENCH bpftrace ' "$log.b"; then
	btrow=$(row "bpftrace ($bt), the fault latency histogram only" bpftrace "")
fi
verdict() { # MODE TARGET: met / not met against the target and against bpftrace
	local r=$(ratio "$1" 4) b=""
	grep -q '^BENCH bpftrace ' "$log.b" && b=$(ratio bpftrace 4)
	awk -v r="$r" -v t="$2" -v b="$b" 'BEGIN {
		printf "%s (target %s)", (r <= t ? "met" : "**not met**"), t
		if (b != "") printf "; %s bpftrace'"'"'s %.3f", (r <= b ? "at or below" : "**above**"), b
	}'
}
cat <<EOT
### hmm_range_fault overhead (lab VM, $KERNEL kernel, clocksource $CLOCK, $(date -u +%Y-%m-%d))

Method: \`make bench\` boots the $KERNEL lab kernel under QEMU TCG (2 vCPUs, clocksource $CLOCK) and
runs the workload generator's read loop (\`hmm_workload -m $PAGES --reads $READS\`: each read maps
$PAGES fresh pages, writes them, has the device read them with one \`hmm_range_fault\` call, and
unmaps them, one UNMAP invalidation) $ROUNDS times in each mode, interleaved in one boot: untraced;
under \`hmm_exporter\` (in-kernel aggregation, no per-event traffic); under \`hmmtrace record\`
(per-event records into a trace file; nothing lost); and, in the first $BT_ROUNDS rounds, under
bpftrace collecting only the \`hmm_range_fault\` latency histogram with kfunc/kretfunc probes
(hmmscope traces every attach point meanwhile: read_begin, invalidations, migrations). The
generator measures the loop's wall time and its own CPU time (getrusage: BPF programs run in its
context). Each round gives a traced/untraced ratio; the table shows medians. TCG distorts
absolute times and adds noise, so only ratios from one boot mean anything.

| mode | wall per read | CPU per read | wall ratio | CPU ratio | target |
|---|---|---|---|---|---|
$(row untraced none "")
$(row "aggregation (\`hmm_exporter\`)" exporter "<= 1.05")
$(row "per-event (\`hmmtrace record\`)" record "<= 1.15")
$btrow

Aggregation: $(verdict exporter 1.05). Per-event: $(verdict record 1.15).

Samples (wall ns, CPU ns per loop, per round):

\`\`\`
$(awk '{ print $2, $3, $4, $5 }' "$log.b")
\`\`\`
EOT
