#!/bin/bash
# hmmtop's full-screen view in a real terminal (tmux), replaying a synthetic trace with known
# contents (tests/top_trace_gen.c: 5 recorded seconds, identical each second):
#   pid 1001 alpha 100 faults/s (p50 2.05us, p99 65.5us), test_hmm
#   pid 1002 beta   31 faults/s, 6 -EBUSY/s, longest chain 3, every -EBUSY caused by gamma's CLEAR
#   pid 1003 gamma  10 faults/s (nouveau), 4/2 migrations/s to device/system, 76 pages moved/s,
#                   4 stayed/s, 15 invalidations/s, 22.5us/s in them
#   7 lost events (second 2), handle_userfault absent while recording.
# Keys drive it (send-keys), the screen is read back (capture-pane) and checked: the rows and
# their values, sorting, the pid filter, driver grouping (names from the trace's symbol records),
# the detail pane, help, pause and step, a resize up and down. Then the failures: terminal too
# small, TERM unknown, a file that is not a trace, SIGINT/SIGTERM: a message, the exit status,
# and the terminal restored (same stty settings, alternate screen left).
. "$(dirname "$0")/../lib.sh"

command -v tmux >/dev/null || skip "tmux is not installed (make deps)"
TOP=$OUTPUT/hmmtop
GEN=$OUTPUT/tests/top_trace_gen
[ -x "$TOP" ] && [ -x "$GEN" ] || { fail "build first: $TOP, $GEN"; finish; }

tmp=$(mktemp -d)
# A server per run (a socket name per start): a new server on a socket whose old server is
# still exiting can die with it.
n_start=0
SOCK=$tmp/tmux-0
T() { tmux -S "$SOCK" -f /dev/null "$@"; }
cleanup() { T kill-server 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
trace=$tmp/scenario.trace
"$GEN" -o "$trace" || { fail "top_trace_gen failed"; finish; }

# start W H COMMAND...: a fresh session running COMMAND in a shell that records its exit status
# and the terminal settings before and after.
start() {
	local w=$1 h=$2
	shift 2
	rm -f "$tmp"/rc "$tmp"/stty.* "$tmp"/err "$tmp"/pid
	T kill-server 2>/dev/null
	n_start=$((n_start + 1))
	SOCK=$tmp/tmux-$n_start
	T new-session -d -x "$w" -y "$h" \
		"stty -g >$tmp/stty.before; sh -c 'echo \$\$ >$tmp/pid; exec $*' 2>$tmp/err; echo \$? >$tmp/rc; stty -g >$tmp/stty.after; sleep 300"
	T set-option -g window-size manual 2>/dev/null
}
screen() { T capture-pane -p; }
# wait_for REGEX [SECONDS]: until the screen shows REGEX; returns 1 on timeout.
wait_for() {
	local i
	for ((i = 0; i < ${2:-10} * 10; i++)); do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.1
	done
	return 1
}
# keys KEY... then wait until the screen has settled
keys() { T send-keys "$@"; sleep 0.4; }
# expect_screen WHAT REGEX: wait for it, fail with the screen if it never comes
expect_screen() {
	if wait_for "$2" 5; then echo "ok: $1"; else fail "$1: /$2/ not on screen:"; screen | sed 's/^/   | /'; fi
}
expect_no_screen() {
	if screen | grep -Eq -- "$2"; then fail "$1: /$2/ is on screen"; else echo "ok: $1"; fi
}
wait_exit() {
	local i
	for ((i = 0; i < 100; i++)); do [ -s "$tmp/rc" ] && [ -s "$tmp/stty.after" ] && return 0; sleep 0.1; done
	return 1
}
# restored WHAT: the program ended with the terminal as it found it
restored() {
	wait_exit || { fail "$1: did not exit"; return; }
	expect_eq "$1: stty settings restored" "$(cat "$tmp/stty.after")" "$(cat "$tmp/stty.before")"
	expect_eq "$1: alternate screen left" "$(T display -p '#{alternate_on}')" 0
}
# row N: the Nth table row (1-based) of the current screen, spaces squeezed
row() { screen | sed -n "$((4 + $1))p" | tr -s ' ' | sed 's/^ //'; }
# expect_row WHAT N EXPECTED: row N becomes EXPECTED within 5 s (the screen may lag the keys)
expect_row() {
	local i
	for ((i = 0; i < 50; i++)); do [ "$(row "$2")" == "$3" ] && break; sleep 0.1; done
	expect_eq "$1" "$(row "$2")" "$3"
}

# (the recording has no stalls: STALLS, after CHAIN, is 0 everywhere; nor round trips:
# RTRIP/s, after STAYED/s)
ALPHA='1001 alpha 100 2.05us 65.5us 0 1 0 0 0 0 0 0 0 0 500'
BETA='1002 beta 31 4.10us 8.19us 6 3 0 0 0 0 0 0 0 0 155'
GAMMA='1003 gamma 10 1.02us 1.02us 0 1 0 4 2 76 4 0 15 22.5us 50'

# 140 columns: every column fits (134)
echo "== replay to the end (--speed 0), 140x40"
start 140 40 "$TOP" -r "$trace" --speed 0
expect_screen "end of the recording" '\[END OF RECORDING\]'
expect_screen "interval 5 of 1s" 'interval 5 \(1\.00s\)'
expect_screen "header totals" 'faults 141/s  retries\(-EBUSY\) 6/s  stalls 0  migrations 4/s to device, 2/s to system  moved 76 pages/s  invalidations 15/s'
expect_screen "lost and not live" 'lost 7 events  not live: handle_userfault'
# the sort column's direction (v: highest first) stands before its title
expect_screen "table header" 'PID NAME +vFLT/s +P50 +P99 EBUSY/s CHAIN STALLS TODEV/s TOSYS/s MOVED/s STAYED/s RTRIP/s +INV/s +INVT/s +FAULTS'
expect_row "row 1 (by FLT/s)" 1 "$ALPHA"
expect_row "row 2" 2 "$BETA"
expect_row "row 3" 3 "$GAMMA"
expect_screen "detail pane of the selected row" 'pid 1001 alpha, since start: 500 faults, 0 -EBUSY'
expect_screen "its latency histogram" '1\.024 -> 2\.048 : 450 +\|\*+ *\|'
expect_screen "its slow bucket" '32\.768 -> 65\.536 : 50 +\|\*+ *\|'

echo "== selection: the detail pane follows"
keys Down
expect_screen "beta selected" 'pid 1002 beta, since start: 155 faults, 30 -EBUSY, chain 3'
expect_screen "beta's retry causes" 'recent -EBUSY causes \(30 seen\)'
expect_screen "a cause" 'tid 1002 try [12]: clear by 1003 gamma, 3\.00us before'
keys Down
expect_screen "gamma's invalidations by type" 'migrate +12 +60'
expect_screen "gamma's CLEAR invalidations" 'clear +3 +15'

echo "== sorting"
keys '>'   # P50
expect_row "by P50: first" 1 "$BETA"
expect_row "by P50: second" 2 "$ALPHA"
keys s s s s s   # P99, EBUSY/s, CHAIN, STALLS, TODEV/s
expect_row "by TODEV/s: first" 1 "$GAMMA"
expect_row "by TODEV/s: ties by pid" 2 "$ALPHA"
keys r
expect_row "reversed: first" 1 "$ALPHA"
expect_row "reversed: last" 3 "$GAMMA"
keys '<' '<' '<' '<' '<' '<' '<'   # back to NAME, ascending
expect_row "by NAME: first" 1 "$ALPHA"
keys r
expect_row "by NAME reversed: first" 1 "$GAMMA"
expect_row "by NAME reversed: last" 3 "$ALPHA"
keys '>'   # FLT/s again

echo "== pid filter"
keys p
expect_screen "pid prompt" 'filter by pid \(empty: all, Esc: cancel\):'
keys 1 0 0 2 Enter
expect_row "filtered: the row" 1 "$BETA"
expect_row "filtered: nothing else" 2 ""
expect_screen "filter in the header" 'pid 1002'
keys p Enter
expect_row "filter cleared" 3 "$GAMMA"

echo "== driver grouping (names from the trace's symbol records)"
keys g
expect_screen "rows by driver" 'rows by driver'
expect_row "driver row 1" 1 "- test_hmm 131 2.05us 65.5us 6 3 0 4 2 76 4 0 0 0 655"
expect_row "driver row 2" 2 "- nouveau 10 1.02us 1.02us 0 1 0 0 0 0 0 0 0 0 50"
keys g
expect_screen "rows by owner again" 'rows by owner'

echo "== help"
keys h
expect_screen "help screen" 'hmmtop help - keys and columns'
expect_screen "help: a key" 'p +filter by owner pid'
expect_screen "help: a column" 'EBUSY/s +hmm_range_fault\(\) -EBUSY returns'
keys x
expect_no_screen "help left" 'hmmtop help'
expect_row "table back" 1 "$ALPHA"

echo "== resize"
T resize-window -x 100 -y 30
sleep 0.6
expect_screen "100 columns: the columns that fit" 'PID NAME +vFLT/s +P50 +P99 EBUSY/s CHAIN STALLS TODEV/s TOSYS/s MOVED/s *$'
expect_row "100 columns: row 1" 1 "1001 alpha 100 2.05us 65.5us 0 1 0 0 0 0"
expect_eq "100 columns: no line wider" "$(screen | awk '{ if (length($0) > m) m = length($0) } END { print (m <= 100) }')" 1
expect_screen "100 columns: key line at the bottom" '^q quit'
expect_eq "30 lines" "$(screen | wc -l)" 30
T resize-window -x 60 -y 15
sleep 0.6
expect_screen "too small while running" 'terminal too small: 60x15, hmmtop needs at least 80x20'
T resize-window -x 140 -y 40
sleep 0.6
expect_row "140 columns again: row 1" 1 "$ALPHA"
expect_screen "140 columns again: FAULTS" 'INVT/s +FAULTS'
keys q
restored "q"
expect_eq "q: exit status" "$(cat "$tmp/rc")" 0

echo "== pause and step (--speed 0.001: the next interval would take 1000 s)"
start 140 40 "$TOP" -r "$trace" --speed 0.001
expect_screen "first interval at once" 'interval 1 \(1\.00s\)'
expect_row "interval 1: alpha" 1 "1001 alpha 100 2.05us 65.5us 0 1 0 0 0 0 0 0 0 0 100"
keys n
expect_screen "n: the next interval" 'interval 2 \(1\.00s\)'
expect_row "interval 2: alpha" 1 "1001 alpha 100 2.05us 65.5us 0 1 0 0 0 0 0 0 0 0 200"
keys Space
expect_screen "space: paused" '\[PAUSED\]'
keys n
expect_screen "n while paused: a step" 'interval 3 \(1\.00s\)'
expect_screen "lost after second 2" 'lost 7 events'
kill -INT "$(cat "$tmp/pid")"
restored "SIGINT"
expect_eq "SIGINT: exit status" "$(cat "$tmp/rc")" 0

echo "== SIGTERM"
start 120 40 "$TOP" -r "$trace" --speed 0.001
expect_screen "running" 'interval 1 '
kill -TERM "$(cat "$tmp/pid")"
restored "SIGTERM"
expect_eq "SIGTERM: exit status" "$(cat "$tmp/rc")" 0

echo "== terminal too small"
start 60 15 "$TOP" -r "$trace"
restored "too small"
expect_eq "too small: exit status" "$(cat "$tmp/rc")" 1
expect_match "too small: message" "$(cat "$tmp/err")" 'terminal too small: 60x15, hmmtop needs at least 80x20'

echo "== TERM unknown"
start 120 40 env TERM=no-such-terminal "$TOP" -r "$trace"
restored "TERM unknown"
expect_eq "TERM unknown: exit status" "$(cat "$tmp/rc")" 1
expect_match "TERM unknown: message" "$(cat "$tmp/err")" "cannot use the terminal type 'no-such-terminal'"

echo "== not a trace file"
head -c 4096 /dev/urandom >"$tmp/garbage"
start 120 40 "$TOP" -r "$tmp/garbage"
restored "not a trace"
expect_eq "not a trace: exit status" "$(cat "$tmp/rc")" 1
expect_match "not a trace: message" "$(cat "$tmp/err")" "replay: cannot read .*garbage: not an hmmtrace file"
start 120 40 "$TOP" -r "$tmp/no-such-file"
restored "missing file"
expect_eq "missing file: exit status" "$(cat "$tmp/rc")" 1
expect_match "missing file: message" "$(cat "$tmp/err")" "replay: cannot read .*no-such-file: No such file"

echo "== live where nothing can be attached (this repository's development machines)"
if "$OUTPUT/hmmtrace" probe >/dev/null 2>&1; [ $? -eq 3 ]; then
	start 120 40 "$TOP"
	restored "live, nothing attachable"
	expect_eq "live, nothing attachable: exit status" "$(cat "$tmp/rc")" 3
	expect_match "live, nothing attachable: message" "$(cat "$tmp/err")" 'nothing could be attached on this kernel'
else
	echo "(attach points are live here: skipped)"
fi

echo "== cause stacks: a recording made with --stacks (the golden scenario) names them under each cause"
"$GEN" -o "$tmp/golden.trace" --scenario golden || fail "top_trace_gen --scenario golden failed"
start 160 40 "$TOP" -r "$tmp/golden.trace" --speed 0
expect_screen "beta selected" 'pid 1002 beta, since start: 103 faults'
expect_screen "beta's CLEAR and its MADV_DONTNEED stack, without the notifier frame" \
	'tid 1012 try 1: clear by 1003 gamma'
expect_screen "the stack under it" '\| +#7 zap_page_range_single < do_madvise < __x64_sys_madvise < '
keys Down
expect_screen "alpha's UNMAP by khugepaged, and the collapse's stack" \
	'#42 collapse_huge_page < hpage_collapse_scan_pmd < khugepaged_scan_m'
expect_eq "stack lines: one per cause that names a stack" "$(screen | grep -c ' #[0-9]* ')" 1

echo "== --help and hmmtop(8) list the same options; bad usage"
man=$ROOT/man/man8/hmmtop.8
expect_eq "long options: --help vs hmmtop(8)" \
	"$("$TOP" --help | grep -o -- '--[a-z-]*' | sort -u | tr '\n' ' ')" \
	"$(sed -n '/^\.SH OPTIONS/,/^\.SH KEYS/p' "$man" | grep -o '\\-\\-[a-z\\-]*' | sed 's/\\//g' | sort -u | tr '\n' ' ')"
expect_eq "short options: --help vs hmmtop(8)" \
	"$("$TOP" --help | grep -oE '^  -[a-zA-Z],' | tr -d ' ,' | sort | tr '\n' ' ')" \
	"$(sed -n '/^\.SH OPTIONS/,/^\.SH KEYS/p' "$man" | grep -oE '^\.BR \\-[a-zA-Z] ' | sed 's/^.BR \\//' | tr -d ' ' | sort | tr '\n' ' ')"
"$TOP" -d 0 -b -r "$trace" >/dev/null 2>"$tmp/err"
expect_eq "-d 0: exit status" $? 2
expect_match "-d 0: message" "$(cat "$tmp/err")" 'delay: 0 is out of range'
"$TOP" -s nope -b -r "$trace" >/dev/null 2>"$tmp/err"
expect_eq "-s nope: exit status" $? 2
expect_match "-s nope: message" "$(cat "$tmp/err")" "no column 'nope'"
expect_match "-V" "$("$TOP" -V)" '^hmmtop [0-9][^ ]* \(hmmscope; record schema [0-9]+, trace format [0-9]+\.[0-9]+\)$'

echo "== batch mode prints the same rows"
out=$("$TOP" -b -r "$trace" --speed 0 -n 2)
expect_eq "batch: 2 intervals" "$(grep -c '^hmmtop replay' <<<"$out")" 2
expect_eq "batch: alpha after 2 intervals" "$(grep ' alpha ' <<<"$out" | tail -1 | tr -s ' ' | sed 's/^ //')" \
	"1001 alpha 100 2.05us 65.5us 0 1 0 0 0 0 0 0 0 0 200"
finish
