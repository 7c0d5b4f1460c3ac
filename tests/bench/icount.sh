#!/bin/bash
# What tracing costs per traced call, in instructions: one lab boot under QEMU's icount
# (tests/vm/run.sh --icount: guest time is instructions executed, 1 ns each), running
# tests/bench/icount-guest.sh on each path's loop: untraced, under the floor (empty fentry/fexit
# programs on the same functions), hmm_exporter (aggregation), hmmtrace record (per-event) and
# bpftrace (the same latency histogram), interleaved. Prints a Markdown section for
# docs/PERFORMANCE.md: path x mode x {instructions per call, x floor, x bpftrace, whole-loop ratio},
# the repeatability of the untraced rounds, and each program's instruction counts.
#
# Environment: KERNEL (6.1), ROUNDS (5), STATS_ROUNDS (3: the statistics rounds), PAGES (64), LOOPS ("read:200 inval:200 migrate:5
# uffd:1024": loop:N, see icount-guest.sh), CROWD (100: the read loop's calls by that many traced
# processes at once against one, in the statistics only; 0: none), BT_LOOPS (the loops bpftrace runs on, comma-
# separated: all four; empty for none), CAL (200000 getppid() calls to calibrate the floor), LOG (keep the console there),
# FROM_LOG (no boot: the figures from that console log).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
KERNEL=${KERNEL:-6.1} ROUNDS=${ROUNDS:-5} PAGES=${PAGES:-64} BT_LOOPS=${BT_LOOPS-read,inval,migrate,uffd} CAL=${CAL:-200000}
LOOPS=${LOOPS:-read:200 inval:200 migrate:5 uffd:1024}
CROWD=${CROWD:-100} STATS_ROUNDS=${STATS_ROUNDS:-3}
[ "$CROWD" = 0 ] && CROWD=
log=${FROM_LOG:-${LOG:-$(mktemp)}}
b=$(mktemp)
trap 'rm -f "$b" "$b.1"; [ -n "${LOG:-}${FROM_LOG:-}" ] || rm -f "$log"' EXIT
# shellcheck disable=SC2086
[ -n "${FROM_LOG:-}" ] ||
	"$ROOT/tests/vm/run.sh" --icount -q -k "$KERNEL" -t 3600 -m 2048 --hostroot --append tsc=reliable \
		-l "$log" "$ROOT/tests/bench/icount-guest.sh" "$ROUNDS" "$PAGES" "${BT_LOOPS:--}" "$CAL" stats:$STATS_ROUNDS $LOOPS ${CROWD:+crowd:$CROWD} ||
	{ echo "icount: the lab run failed" >&2; exit 1; }
tr -d '\r' <"$log" | grep -E '^(BENCH|CAL|CALLS|CROWD|PROGS|PSTAT|LOOP|LOST|ERROR|BPFTRACE|BPFTRACE_NONE|CLOCKSOURCE) ' >"$b"
# One statistics round's figures per loop and mode: each program's from the round where it ran
# the fewest instructions per run. A timer interrupt (every 4,000,000 instructions at the lab's
# HZ=250) that lands while a program runs counts in that run's time: 6,000 to 10,000
# instructions, which a program with a few hundred runs per round shows as 20 to 50 more per
# run, in the rounds where one landed. It only ever adds, so the cheapest round is the one
# without. bpftool's lists are matched program by program: each round loads the same programs
# in the same order (the names are checked); hmmtrace stat -P's lines by name.
cheapest() {
	local l m
	grep -vE '^(PROGS|PSTAT) ' "$b"
	awk '$1 == "PROGS" && !seen[$2 " " $3]++ { print $2, $3 }' "$b" | while read -r l m; do
		if j=$(sed -n "s/^PROGS $l $m //p" "$b" | jq -sc 'if (map(length) | unique | length) != 1 or
			(transpose | map(map(.name) | unique | length) | max) > 1
			then error("the statistics rounds loaded different programs") else . end |
			transpose | map(min_by([(.run_cnt // 0) == 0, (.run_time_ns // 0) / ((.run_cnt // 0) + 0.000001)]))'); then
			echo "PROGS $l $m $j"
		else
			echo "ERROR PROGS $l $m: the statistics rounds loaded different programs"
		fi
	done
	awk '$1 == "PSTAT" { k = $2 " " $3 " " $4; c = ($5 > 0) ? $6 / $5 : -1
			if (!(k in line)) order[++n] = k
			if (!(k in line) || (c >= 0 && (best[k] < 0 || c < best[k]))) { line[k] = $0; best[k] = c } }
		END { for (i = 1; i <= n; i++) print line[order[i]] }' "$b"
}
# the statistics rounds the log holds (STATS_ROUNDS, for a run of this script)
sr=$(awk '$1 == "PROGS" && $3 == "floor" { n[$2]++ } END { for (l in n) { print n[l]; exit } }' "$b")
cheapest >"$b.1" && mv "$b.1" "$b"
if grep -qE '^(LOST|ERROR)' "$b"; then
	grep -E '^(LOST|ERROR)' "$b" >&2
	echo "icount: events were lost, a loop failed or its statistics rounds differ: the figures would lie" >&2
	exit 1
fi
btv=$(sed -n 's/^BPFTRACE //p' "$b")
btnone=$(sed -n 's/^BPFTRACE_NONE //p' "$b")
cs=$(sed -n 's/^CLOCKSOURCE //p' "$b")

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# added LOOP MODE: the median over rounds of MODE's CPU ns minus the same round's untraced ones
# (the workload's own CPU time: the BPF programs run in its context; under icount, instructions).
added() {
	awk -v l="$1" -v m="$2" '$1 == "BENCH" && $2 == l && $3 == "none" { base[$4] = $6 }
		$1 == "BENCH" && $2 == l && $3 == m { v[$4] = $6 }
		END { for (r in v) if (r in base) print v[r] - base[r] }' "$b" | median
}
# wall LOOP MODE: the median over rounds of MODE's wall time over the same round's untraced one.
wall() {
	awk -v l="$1" -v m="$2" '$1 == "BENCH" && $2 == l && $3 == "none" { base[$4] = $5 }
		$1 == "BENCH" && $2 == l && $3 == m { v[$4] = $5 }
		END { for (r in v) if (base[r] > 0) print v[r] / base[r] }' "$b" | median
}
# spread LOOP MODE COLUMN: (max - min) / median of a mode's rounds, in percent.
spread() {
	awk -v l="$1" -v m="$2" -v c="$3" '$1 == "BENCH" && $2 == l && $3 == m { print $c }' "$b" | sort -g |
		awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
			printf "%.2f", 100 * (a[NR] - a[1]) / m }'
}
# The calibration: what an empty fentry/fexit pair (entry only, exit only) adds to one call, from
# CAL getppid() calls with and without it on __task_pid_nr_ns (the median of the rounds).
cal() {
	awk -v k="$1" -v n="$CAL" '$1 == "CAL" && $2 == "none" { base[$3] = $4 } $1 == "CAL" && $2 == k { v[$3] = $4 }
		END { for (r in v) if (r in base) print (v[r] - base[r]) / n }' "$b" | median
}
T=$(cal pair) TE=$(cal entry) TX=$(cal exit)
what() {
	case $1 in
	read) echo "fault (\`--reads\`, per \`hmm_range_fault\` call)" ;;
	inval) echo "invalidation (\`--reads\`' munmap, per \`__mmu_notifier_invalidate_range_start\`)" ;;
	migrate) echo "migration (\`--migrate\`, per migration)" ;;
	uffd) echo "userfault (\`--uffd-missing\`, per \`handle_userfault\` call)" ;;
	esac
}
paths_of() { awk -v l="$1" '$1 == "LOOP" && $2 == l { print $3 }' "$b"; }
cmd_of() { awk -v l="$1" '$1 == "LOOP" && $2 == l { $1 = $2 = $3 = ""; sub(/^ +/, ""); print }' "$b"; }
progs_json() { sed -n "s/^PROGS $1 $2 //p" "$b"; }
# The path's calls in one loop: the runs of the floor's first fentry program (the path's first
# function: hmm_range_fault, __mmu_notifier_invalidate_range_start, migrate_vma_setup,
# handle_userfault) in the statistics round.
calls() {
	progs_json "$1" floor | jq '[.[] | select(.name == "floor_entry" and (.run_cnt // 0) > 0)] | min_by(.id).run_cnt'
}
# The floor program's instructions per run under run-time statistics: the accounting itself.
floor_run() {
	progs_json "$1" floor | jq '[.[] | select(.name | test("^floor_")) | select((.run_cnt // 0) > 0)] |
		(map(.run_time_ns) | add) / (map(.run_cnt) | add)'
}
# progs LOOP MODE: "name runs ns" of MODE's programs that ran in the statistics round.
progs() {
	if [ "$2" = stat ] || [ "$2" = stat_nothrash ]; then
		awk -v l="$1" -v m="$2" '$1 == "PSTAT" && $2 == l && $3 == m { print $4, $5, $6 }' "$b"
	else
		# The floor's programs are its own only (bpftool lists every program loaded).
		progs_json "$1" "$2" | jq -r --arg m "$2" '.[] | select((.run_cnt // 0) > 0) |
			select(.name | test(if ($m | test("^floor")) then "^hmm_probe$" else "^(floor_|hmm_probe$)" end) | not) |
			"\(.name) \(.run_cnt) \(.run_time_ns)"'
	fi
}
path_re() {
	case $1 in
	read) echo 'hmm_range_fault|mmu_interval_read_begin|x64_sys_ioctl' ;;
	inval) echo 'mmu_notifier' ;;
	migrate) echo 'migrate_' ;;
	uffd) echo 'handle_userfault' ;;
	esac
}
# model LOOP MODE RE FLOOR: instructions per call = the floor's trampolines (T/2 per program run,
# the runs of the floor MODE FLOOR) + the bodies of MODE's programs matching RE (instructions per
# run less the floor program's, times runs).
model() {
	local l=$1 c fb fr
	c=$(calls "$l") fb=$(floor_run "$l")
	fr=$(progs "$l" "$4" | awk '{ s += $2 } END { print s + 0 }')
	[ "$2" = bpftrace ] && fr=$(progs "$l" bpftrace | awk '{ s += $2 } END { print s + 0 }')
	progs "$l" "$2" | awk -v re="$3" -v c="$c" -v fb="$fb" -v fr="$fr" -v t="$T" -v m="$2" '
		m == "floor" || m == "floor_all" || $1 ~ re { body += $3 - $2 * fb; n++ }
		END { if (m != "floor" && m != "floor_all" && !n) exit
			printf "%.0f", (fr * t / 2 + (m == "floor" || m == "floor_all" ? 0 : body)) / c }'
}
# The thrashing map's share of a migration in aggregation mode: stat less stat --thrash-ms 0.
thrash_line() {
	local on off re
	re=$(path_re migrate)
	on=$(model migrate stat "$re" floor) off=$(model migrate stat_nothrash "$re" floor)
	[ -n "$on" ] && [ -n "$off" ] || return 0
	echo "The thrashing map (round trips, issue 16): in aggregation mode a migration costs $on"
	echo "instructions with round trips and $off with \`--thrash-ms 0\`, which skips the map: $((on - off))"
	echo "instructions per migration are the lookup and update of its range in the LRU map"
	echo "(thrash_leg() in bpf/migrate.bpf.c)."
}
# With CROWD: each program's instructions per run (less the floor program's
# accounting) with one traced process and with CROWD at once, the same reads in all.
crowd_section() {
	local p fb
	p=$(awk '$1 == "CROWD" && $2 != 1 { print $2 }' "$b" | head -n 1)
	[ -n "$p" ] || return 0
	fb=$(floor_run "${LOOPS%%:*}")
	cat <<EOC
In-kernel cost with many traced processes (issue 17): the read loop's $(awk '$1 == "CROWD" && $2 == 1 { print $3; exit }' "$b")
reads under \`hmmtrace stat -P\` (aggregation; it follows the shell's children), made by one
process ($sr times, each program's cheapest) and then split over $p processes running at once
(once), in the same boot with statistics on.
Instructions per program run, less the floor program's $(printf '%.0f' "$fb") (the accounting):

| program | runs, 1 process | instructions per run | runs, $p processes | instructions per run | change |
|---|---|---|---|---|---|
EOC
	awk -v p="$p" -v fb="$fb" '$1 == "PSTAT" && $2 == "crowd" && $5 > 0 {
			if ($3 == 1) { r1[$4] = $5; n1[$4] = $6 } else if ($3 == p) { rp[$4] = $5; np[$4] = $6 } }
		END { for (k in r1) if (k in rp) {
			a = n1[k] / r1[k] - fb; c = np[k] / rp[k] - fb
			printf "| %s | %d | %.0f | %d | %.0f | %+.1f%% |\n", k, r1[k], a, rp[k], c, (a > 0 ? 100 * (c / a - 1) : 0) } }' "$b" | sort
}
# Per call: the measured CPU difference; ratios of two figures.
measured() { local a; a=$(added "$1" "$2"); [ -n "$a" ] && awk -v a="$a" -v c="$(calls "$1")" 'BEGIN { printf "%.0f", a / c }' || echo "-"; }
ratio() { awk -v a="$1" -v f="$2" 'BEGIN { if (a != "" && f > 0) printf "%.2f", a / f; else printf "-" }'; }
cpu_ratio() {
	awk -v l="$1" -v m="$2" '$1 == "BENCH" && $2 == l && $3 == "none" { base[$4] = $6 }
		$1 == "BENCH" && $2 == l && $3 == m { v[$4] = $6 }
		END { for (r in v) if (base[r] > 0) print v[r] / base[r] }' "$b" | median
}
whole() { local c; c=$(cpu_ratio "$1" "$2"); [ -n "$c" ] && printf '%.3f' "$c" || echo "-"; }

rows() {
	local l=$1 re p fp fa bt
	re=$(path_re "$l") p=$(paths_of "$l")
	fp=$(model "$l" floor "$re" floor) fa=$(model "$l" floor_all "$re" floor_all)
	bt=$(model "$l" bpftrace . floor)
	while IFS=';' read -r label mode re2 floor meas; do
		local m f
		m=$(model "$l" "$mode" "$re2" "$floor")
		[ -n "$m" ] || continue
		f=$([ "$floor" = floor ] && echo "$fp" || echo "$fa")
		printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$(what "$l")" "$label" "$m" \
			"$([ -n "$meas" ] && measured "$l" "$meas" || echo -)" "$(ratio "$m" "$f")" \
			"$(ratio "$m" "$bt")" "$([ -n "$meas" ] && whole "$l" "$meas" || echo -)"
	done <<EOT
floor (empty fentry/fexit on the path's functions);floor;$re;floor;floor
aggregation, the path's programs (\`hmmtrace stat\`, measured: \`hmm_exporter --paths $p\`);stat;$re;floor;exporter_path
aggregation, every program (\`hmmtrace stat\`, measured: \`hmm_exporter\`) against the floor on every function;stat;.;floor_all;exporter
aggregation with round trips off, the path's programs (\`hmmtrace stat --thrash-ms 0\`);stat_nothrash;$re;floor;
per-event, the path's programs (\`hmmtrace record\`);record;$re;floor;
per-event, every program (\`hmmtrace record\`) against the floor on every function;record;.;floor_all;record
per-event with cause stacks, the path's programs (\`hmmtrace record --stacks\`);record_stacks;$re;floor;
per-event with cause stacks, every program (\`hmmtrace record --stacks\`) against the floor on every function;record_stacks;.;floor_all;record_stacks
bpftrace ($btv), the latency histogram;bpftrace;.;floor;
EOT
}

# The programs: runs per call and instructions per run (less the floor program's) in per-event
# and aggregation mode, and their sizes (from the per-event round: the same programs).
prog_table() {
	local l=$1 c fb
	c=$(calls "$l") fb=$(floor_run "$l")
	progs_json "$l" record | jq -r '.[] | select((.run_cnt // 0) > 0) | select(.name | test("^(floor_|hmm_probe$)") | not) |
		"\(.name) \(.run_cnt) \(.run_time_ns) \(.bytes_xlated / 8 | floor) \(.bytes_jited)"' |
		awk -v l="$l" -v c="$c" -v fb="$fb" -v stat="$(progs "$l" stat | tr '\n' ';')" '
		BEGIN { n = split(stat, s, ";"); for (i = 1; i <= n; i++) { split(s[i], f, " "); if (f[2] > 0) agg[f[1]] = f[3] / f[2] - fb } }
		{ printf "| %s | %s | %.2f | %.0f | %s | %s | %s |\n", l, $1, $2 / c, $3 / $2 - fb,
			($1 in agg) ? sprintf("%.0f", agg[$1]) : "-", $4, $5 }'
}

# The issue's targets, path by path: met or missed, by how much.
verdict() { # VALUE TARGET: "met" or "**missed** by x%"
	awk -v v="$1" -v t="$2" 'BEGIN { if (v == "" || v == "-") print "n/a"
		else if (v <= t) printf "met (%s)", v
		else printf "**missed** (%s, %.0f%% over)", v, 100 * (v / t - 1) }'
}
targets() {
	local s l re fp agg ev bt
	for s in $LOOPS; do
		l=${s%%:*} re=$(path_re "$l")
		fp=$(model "$l" floor "$re" floor) agg=$(model "$l" stat "$re" floor)
		ev=$(model "$l" record "$re" floor) bt=$(model "$l" bpftrace . floor)
		printf -- '- %s: aggregation %s x floor: %s; per-event %s x floor: %s' "$l" "$(ratio "$agg" "$fp")" \
			"$(verdict "$(ratio "$agg" "$fp")" 1.5)" "$(ratio "$ev" "$fp")" "$(verdict "$(ratio "$ev" "$fp")" 2.5)"
		[ -n "$bt" ] && printf '; aggregation against bpftrace (target <= 1): %s' "$(verdict "$(ratio "$agg" "$bt")" 1)"
		echo
	done
	printf -- '- the read loop, whole (CPU ratio): aggregation (`hmm_exporter`) %s (target 1.05), per-event (`hmmtrace record`) %s (target 1.15)\n' \
		"$(verdict "$(printf '%.3f' "$(cpu_ratio read exporter)")" 1.05)" "$(verdict "$(printf '%.3f' "$(cpu_ratio read record)")" 1.15)"
}

cat <<EOT
### Cost per traced call, in instructions (lab VM under QEMU icount, $KERNEL kernel, $(date -u +%Y-%m-%d))

Method: \`make bench\` (tests/bench/icount.sh) boots the $KERNEL lab kernel with
\`tests/vm/run.sh --icount\`: QEMU TCG single-threaded, 1 vCPU, \`-icount shift=0,sleep=off\`, so
the guest's clocks (clocksource $cs) advance 1 ns per instruction executed, whatever the host is
doing: every figure below is a count of guest instructions. Each path's loop runs $ROUNDS times in
each mode, interleaved in one boot, each round in another order: untraced; under **the floor** (tests/bench/floor.bpf.c, an
fentry and an fexit program that only return 0, attached by tests/bench/floor.c to each function
hmmscope attaches to on that path, or on every path: what any BPF tracer pays there); under
\`hmm_exporter --paths PATH\` and \`hmm_exporter\` (in-kernel aggregation); under \`hmmtrace
record -o FILE\` (per-event records, every path), with and without \`--stacks\` (each
invalidation's kernel stack). Then $sr more round(s) per mode with BPF run-time
statistics on (\`kernel.bpf_stats_enabled\`): \`bpftool prog show\` (and \`hmmtrace stat -P\` for
aggregation) give each program's runs and run time, in instructions, and each program's figures
are those of the round where it ran the fewest instructions per run: a timer interrupt (HZ=250:
every 4,000,000 instructions) that lands while a program runs counts in that run's time, 6,000
to 10,000 instructions, 20 to 50 per run of a program that runs a few hundred times, in the
rounds where one landed. bpftrace (kfunc/kretfunc
probes collecting the path's latency histogram, as tests/bench/overhead.sh runs it) runs in
these rounds only (loops: ${BT_LOOPS:-none}): it takes minutes to start under TCG.${btnone:+ Here bpftrace
refused its probes (\"$btnone\"), so it ran on no loop.}

Two figures per call, because the whole loop does not repeat finely enough to resolve a floor of a
few hundred instructions on a call that costs the loop hundreds of thousands:
- **instructions per call** (the table's ratios use it): the floor's trampolines plus the
  programs' bodies. A trampoline costs $(printf '%.0f' "$T") instructions per fentry/fexit pair
  (entry only $(printf '%.0f' "$TE"), exit only $(printf '%.0f' "$TX")): $CAL \`getppid()\` calls with and
  without an empty pair on \`__task_pid_nr_ns\`, which each call reaches once, median of $ROUNDS
  rounds; each program run counts half a pair. A body is the program's \`run_time_ns / run_cnt\`
  less the empty floor program's (the accounting's own clock reads), times its runs per call.
- **measured**: the median over rounds of the mode's CPU time minus the same round's untraced
  CPU time (the workload's own: the programs run in its context), per call. Its precision is
  the untraced rounds' spread (below) over the calls per loop.

Calls per loop are the runs of the floor's program on the path's first function
(\`hmm_range_fault\`, \`__mmu_notifier_invalidate_range_start\`, \`migrate_vma_setup\`: one per
migration, \`handle_userfault\`). The whole-loop ratio is the workload's CPU time traced over
untraced, median of the rounds. Its wall (guest) time is in the samples but not used: on the one
vCPU it also counts whatever else runs meanwhile. The guest idles a second after each round (no
instructions: the icount clock jumps ahead), so that what the last tracer left to do when it
exited (RCU callbacks freeing its programs, maps and trampolines) runs then, and not in the next
round, in its wall time or, as softirqs, in its CPU time.

| path (loop, unit) | mode | instructions per call | measured per call | ×floor | ×bpftrace | whole-loop ratio (CPU) |
|---|---|---|---|---|---|---|
$(for s in $LOOPS; do rows "${s%%:*}"; done)

$(thrash_line)

$(crowd_section)

Targets (issue 17; per call on the path's own programs against the floor on the path's
functions):
$(targets)

Loops and calls per loop:
$(for s in $LOOPS; do l=${s%%:*}; echo "- ${l}: \`$(cmd_of "$l")\`, $(calls "$l") calls per loop"; done)

Repeatability: the $ROUNDS untraced rounds of each loop spread (max - min over median) by
$(for s in $LOOPS; do l=${s%%:*}; printf '%s %s%% (CPU), %s%% (wall); ' "$l" "$(spread "$l" none 6)" "$(spread "$l" none 5)"; done)
the calibration's untraced \`getppid()\` rounds by $(awk '$1 == "CAL" && $2 == "none" { print $4 }' "$b" | sort -g | awk '{ a[NR] = $1 } END { printf "%.3f", 100 * (a[NR] - a[1]) / a[int((NR + 1) / 2)] }')%.

The programs (statistics rounds, each program's cheapest): runs per call, instructions per run less the floor program's
in per-event (\`hmmtrace record\`) and aggregation (\`hmmtrace stat\`) mode, and the program's
size after the verifier: translated instructions and JITed bytes (\`bpftool prog show\`; the
Debian 12 bpftool does not show the verifier's processed-instruction count):

| loop | program | runs per call | instructions per run, per-event | aggregation | xlated insns | jited bytes |
|---|---|---|---|---|---|---|
$(for s in $LOOPS; do prog_table "${s%%:*}"; done)

Samples (loop, mode, round, wall ns, CPU ns; calibration: CAL kind round ns for $CAL calls):

\`\`\`
$(awk '$1 == "BENCH" { print $2, $3, $4, $5, $6 } $1 == "CAL" { print }' "$b")
\`\`\`
EOT
