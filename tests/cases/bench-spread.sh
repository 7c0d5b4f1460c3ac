#!/bin/bash
# tests/bench/spread.sh, which explains the untraced rounds' spread of the icount bench, on a
# console log written here (FROM_LOG, no boot): each round's left over is its wall time less the
# workload's CPU, the other tasks' time and the time charged to them, exactly; the spreads are
# max - min over the median; the other tasks are listed by name; bpftrace's blocks pair with the
# rounds in order, and a log where they do not, or with an ERROR line, is an error, not a table;
# the kernel and the rounds named are the log's.
. "$(dirname "$0")/../lib.sh"

sh=$ROOT/tests/bench/spread.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The guest's lines as the console carries them (CR LF), bpftrace's blocks after the rounds.
printf '%s\r\n' "HMMSCOPE-GUEST-START kernel=6.1.192 cpus=1" \
	"ROUND migrate 1 1000000 900000" \
	"ROUND migrate 2 1010000 950000" \
	"ROUND uffd 1 2000000 1990000" \
	"PHASE 1000100 20000 70000 0 2 2" \
	"@away[rcu_sched]: 12000" \
	"@away[ksoftirqd/0]: 8000" \
	"PHASE 1010100 10000 40000 0 1 1" \
	"@away[rcu_sched]: 10000" \
	"PHASE 2000100 0 -1500 0 0 0" \
	"HMMSCOPE-RESULT rc=0" >"$tmp/log"

out=$(FROM_LOG=$tmp/log "$sh" 2>"$tmp/err"); rc=$?
expect_status "a log of three rounds" $rc 0
expect_match "the section's title, with the kernel the log booted" "$out" "^### Why the untraced rounds spread: what else runs during a round \(icount, 6\.1 kernel, "
expect_match "the rounds, from the log" "$out" "and runs 2 untraced rounds of each loop"
out=$(KERNEL=7.3 ROUNDS=10 FROM_LOG=$tmp/log "$sh" 2>/dev/null)
expect_match "the log's kernel, not KERNEL=" "$out" "^### .*\(icount, 6\.1 kernel, "
expect_match "the log's rounds, not ROUNDS=" "$out" "and runs 2 untraced rounds of each loop"
out=$(FROM_LOG=$tmp/log "$sh" 2>"$tmp/err")
expect_match "round 1: the others by name, charged 70,000, left over 10,000" "$out" \
	'^\| 1 \| 1,000,000 \| 900,000 \| 20,000 \(rcu_sched 12,000, ksoftirqd/0 8,000\) \| 70,000 \| 10,000 \|$'
expect_match "round 2" "$out" '^\| 2 \| 1,010,000 \| 950,000 \| 10,000 \(rcu_sched 10,000\) \| 40,000 \| 10,000 \|$'
# CPU 900,000 and 950,000 (median 925,000): 5.41%; wall 10,000 over 1,005,000: 1.00%; CPU with
# the time charged elsewhere 970,000 and 990,000: 2.04%.
expect_match "the migrate loop's spreads" "$out" \
	'^Spread over the 2 rounds \(max - min over median\): CPU 5\.41%, wall 1\.00%, CPU with the time charged to other tasks 2\.04%; left over 10,000 to 10,000 instructions\.$'
expect_match "a round no other task ran in, with a negative charge" "$out" \
	'^\| 1 \| 2,000,000 \| 1,990,000 \| 0 \| -1,500 \| 11,500 \|$'
expect_eq "one table per loop" "$(grep -c '^| round | wall |' <<<"$out")" 2
expect_eq "no warning of mismatched switches" "$(grep -c 'switches where' <<<"$out")" 0

# A switch whose run queue did not name the task switched to: said under the tables.
sed 's/^PHASE 1010100 10000 40000 0 1 1/PHASE 1010100 10000 40000 3 1 1/' "$tmp/log" >"$tmp/bad"
out=$(FROM_LOG=$tmp/bad "$sh" 2>&1)
expect_match "mismatched switches are counted" "$out" '^\*\*3 switches where the run queue.s current task was not the one switched to'

# One PHASE block missing: the rounds cannot be paired.
grep -v '^PHASE 2000100' "$tmp/log" >"$tmp/short"
out=$(FROM_LOG=$tmp/short "$sh" 2>&1); rc=$?
expect_status "a log with a phase missing" $rc 1
expect_match "says so" "$out" "spread: 3 rounds but 2 phases from bpftrace"
expect_eq "and prints no table" "$(grep -c '^| round' <<<"$out")" 0

# The guest's own error (bpftrace refused): passed on.
printf '%s\r\n' "HMMSCOPE-GUEST-START kernel=5.10.223 cpus=1" "ERROR bpftrace: no BTF" >"$tmp/err.log"
out=$(FROM_LOG=$tmp/err.log "$sh" 2>&1); rc=$?
expect_status "a guest error" $rc 1
expect_match "is shown" "$out" "^ERROR bpftrace: no BTF$"

# No rounds at all.
printf '%s\r\n' "HMMSCOPE-GUEST-START kernel=6.1.192 cpus=1" >"$tmp/empty"
out=$(FROM_LOG=$tmp/empty "$sh" 2>&1); rc=$?
expect_status "a log without rounds" $rc 1
expect_match "says so" "$out" "spread: 0 rounds but 0 phases from bpftrace"
finish
