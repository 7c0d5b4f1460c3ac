#!/bin/bash
# Why the untraced rounds of tests/bench/icount.sh spread: in a lab boot under QEMU icount (the
# same kernel, loops and idle second between rounds), ROUNDS untraced rounds of each loop, and
# for each the tasks other than the workload that ran during its measured phase, from the
# scheduler's switch tracepoint (tests/bench/spread-guest.sh, bpftrace), and how much of the
# workload's own running time the scheduler charged to them. The workload's CPU time
# (getrusage()) leaves both out and its wall time counts them, so a round can sit apart in CPU
# time with a wall time like the others'. Prints a Markdown section for docs/PERFORMANCE.md.
# KERNEL (6.1), ROUNDS (10), PAGES (64), LOOPS ("read:200 migrate:5 uffd:1024", icount.sh's),
# LOG (keep the console log there) and FROM_LOG (print from a kept log instead of booting: the
# kernel and the rounds are then the log's) override the defaults.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
KERNEL=${KERNEL:-6.1} ROUNDS=${ROUNDS:-10} PAGES=${PAGES:-64}
LOOPS=${LOOPS:-read:200 migrate:5 uffd:1024}
log=${FROM_LOG:-${LOG:-$(mktemp)}}
b=$(mktemp)
trap 'rm -f "$b"; [ -n "${LOG:-}${FROM_LOG:-}" ] || rm -f "$log"' EXIT
# shellcheck disable=SC2086
[ -n "${FROM_LOG:-}" ] ||
	"$ROOT/tests/vm/run.sh" --icount -q -k "$KERNEL" -t 3600 -m 2048 --hostroot --append tsc=reliable \
		-l "$log" "$ROOT/tests/bench/spread-guest.sh" "$ROUNDS" "$PAGES" $LOOPS ||
	{ echo "spread: the lab run failed" >&2; exit 1; }
tr -d '\r' <"$log" | grep -E '^(HMMSCOPE-GUEST-START|ROUND|PHASE|ERROR) |^@away\[' >"$b"
if grep -q '^ERROR ' "$b"; then
	grep '^ERROR ' "$b" >&2
	exit 1
fi
nr=$(grep -c '^ROUND ' "$b") np=$(grep -c '^PHASE ' "$b")
if [ "$nr" = 0 ] || [ "$nr" != "$np" ]; then
	echo "spread: $nr rounds but $np phases from bpftrace" >&2
	exit 1
fi
# The kernel series the guest booted (kernel=6.1.192: 6.1), and the first loop's rounds.
rel=$(sed -n 's/^HMMSCOPE-GUEST-START kernel=\([0-9]*\.[0-9]*\).*/\1/p' "$b" | head -n 1)
KERNEL=${rel:-$KERNEL}
ROUNDS=$(awk '$1 == "ROUND" { if (!l) l = $2; if ($2 == l) n++ } END { print n }' "$b")

cat <<EOT
### Why the untraced rounds spread: what else runs during a round (icount, $KERNEL kernel, $(date -u +%Y-%m-%d))

Method: \`tests/bench/spread.sh\` boots the $KERNEL lab kernel as tests/bench/icount.sh does (QEMU
icount: 1 ns per guest instruction, 1 vCPU) and runs $ROUNDS untraced rounds of each loop, a second
apart, with one bpftrace (started before the first round) on the scheduler's \`sched_switch\`
tracepoint and a uprobe on the workload's \`getrusage()\`, which hmm_workload calls exactly at the
start and the end of its measured phase (tests/bench/spread-guest.sh). Columns, per round of the
phase:
- **wall** and **workload CPU**: as icount.sh reads them (hmm_workload's clock and its
  \`getrusage()\` user + system time).
- **other tasks in the phase**: the intervals between context switches in which another task
  ran (by name; the idle task would be \`swapper/0\`), by the tracepoint's clock.
- **the workload's time the scheduler charged to them**: at each switch out of the workload and
  back in, how far the task's \`se.exec_start\` (where the scheduler last charged it up to, and
  started charging the next task from) lags the switch itself; the lags at the switches out less
  those at the switches back in are the workload's own running time that the scheduler charged to
  the tasks it switched to. Switches between two threads of the workload (the userfault loop's
  handler thread) are left out: what one thread's lag moves stays in the process.
- **left over**: wall less the three others; what the measurement itself costs (the uprobes and
  the tracepoint's program at each switch), if the columns before it are right.

EOT
awk '
function med(a, n,   i, j, t, s) { # median of a[1..n] (sorts a copy)
	for (i = 1; i <= n; i++) s[i] = a[i]
	for (i = 2; i <= n; i++) { t = s[i]; for (j = i - 1; j >= 1 && s[j] > t; j--) s[j + 1] = s[j]; s[j + 1] = t }
	return n % 2 ? s[(n + 1) / 2] : (s[n / 2] + s[n / 2 + 1]) / 2
}
function range(a, n,   i) { # lo and hi of a[1..n]
	lo = hi = a[1]
	for (i = 2; i <= n; i++) { if (a[i] < lo) lo = a[i]; if (a[i] > hi) hi = a[i] }
}
function spread(a, n) {
	range(a, n)
	return sprintf("%.2f%%", 100 * (hi - lo) / med(a, n))
}
function commas(v,   s, neg, out) { # 1234567 -> 1,234,567
	neg = v < 0; if (neg) v = -v
	s = sprintf("%d", v)
	for (out = ""; length(s) > 3; s = substr(s, 1, length(s) - 3))
		out = "," substr(s, length(s) - 2) out
	return (neg ? "-" : "") s out
}
$1 == "ROUND" { n++; loop[n] = $2; rnd[n] = $3; wall[n] = $4; cpu[n] = $5; next }
$1 == "PHASE" { p++; away[p] = $3; lag[p] = $4; bad += $5; who[p] = ""; next }
/^@away\[/ { k = $0; sub(/^@away\[/, "", k); v = k; sub(/\]:.*/, "", k); sub(/.*\]: */, "", v)
	who[p] = who[p] (who[p] == "" ? "" : ", ") k " " commas(v) }
END {
	for (i = 1; i <= n; i++) {
		if (loop[i] != cur) {
			if (cur != "") summary()
			cur = loop[i]; m = 0
			printf "%s loop (%s):\n\n", cur, cur == "read" || cur == "inval" ? "`--reads`" : cur == "migrate" ? "`--migrate`" : "`--uffd-missing`"
			print "| round | wall | workload CPU | other tasks in the phase | the workload\x27s time the scheduler charged to them | left over |"
			print "|---|---|---|---|---|---|"
		}
		m++; W[m] = wall[i]; C[m] = cpu[i]; CL[m] = cpu[i] + lag[i]; LO[m] = wall[i] - cpu[i] - away[i] - lag[i]
		printf "| %d | %s | %s | %s | %s | %s |\n", rnd[i], commas(wall[i]), commas(cpu[i]),
			away[i] ? commas(away[i]) " (" who[i] ")" : "0", commas(lag[i]), commas(LO[m])
	}
	if (cur != "") summary()
	if (bad) print "**" bad " switches where the run queue\x27s current task was not the one switched to: their time charged elsewhere is left out.**"
}
function summary(   sc, sw, scl) {
	sc = spread(C, m); sw = spread(W, m); scl = spread(CL, m)
	range(LO, m)
	printf "\nSpread over the %d rounds (max - min over median): CPU %s, wall %s, CPU with the time charged to other tasks %s; left over %s to %s instructions.\n\n",
		m, sc, sw, scl, commas(lo), commas(hi)
}
' "$b"
