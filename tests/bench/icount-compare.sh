#!/bin/bash
# Do two runs of tests/bench/icount.sh agree? Compares every instruction figure of the first
# "Cost per traced call, in instructions" section of two files (icount.sh's output, or a
# docs/PERFORMANCE.md that leads with it): the instructions per call of each path and mode, the
# trampoline calibration, each program's runs per call and instructions per run (per-event and
# aggregation) and its translated size, and the 1-against-many processes table where both have
# it. Prints one line per figure and a summary; exits 1 when a figure differs by more than TOL
# percent (2) or is in one file only, 2 on bad input.
#
# The "measured per call" and whole-loop columns are printed apart and not judged: they are the
# loop's CPU time less the untraced round's, whose noise the page itself states. So are the
# figures with many processes at once ("crowd N"): how 100 processes interleave on the one vCPU
# changes from run to run (two runs of the same code on the same day: up to 28% apart).
#
#   tests/bench/icount-compare.sh <(git show REV:docs/PERFORMANCE.md) docs/PERFORMANCE.md
set -uo pipefail
TOL=${TOL:-2}
if [ $# -ne 2 ]; then
	echo "usage: $0 OLD NEW (files holding tests/bench/icount.sh's section; TOL=percent)" >&2
	exit 2
fi

# figures FILE: "kind|key|value" per instruction figure of the file's first icount section.
figures() {
	awk '
	/^### Cost per traced call, in instructions/ { if (seen++) exit; on = 1; next }
	on && /^### / { exit }
	!on { next }
	/A trampoline costs [0-9]+ instructions per fentry\/fexit pair/ { line = $0; getline nxt; line = line " " nxt
		if (match(line, /costs [0-9]+ instr/)) print "cal|pair|" substr(line, RSTART + 6, RLENGTH - 12)
		if (match(line, /entry only [0-9]+/)) print "cal|entry only|" substr(line, RSTART + 11, RLENGTH - 11)
		if (match(line, /exit only [0-9]+/)) print "cal|exit only|" substr(line, RSTART + 10, RLENGTH - 10) }
	/^\| path \(loop, unit\)/ { t = "call"; next }
	/^\| loop \| program \|/ { t = "prog"; next }
	/^\| program \| runs, 1 process/ { t = "crowd"; next }
	/^\|---/ { next }
	!/^\| / { t = ""; next }
	{ n = split($0, c, /[ ]*\|[ ]*/) }
	t == "call" { print "call|" c[2] " / " c[3] "|" c[4]; print "measured|" c[2] " / " c[3] "|" c[5]
		print "whole|" c[2] " / " c[3] "|" c[8] }
	t == "prog" { k = c[2] " / " c[3]; print "runs|" k "|" c[4]; print "per-event|" k "|" c[5]
		print "aggregation|" k "|" c[6]; print "xlated|" k "|" c[7] }
	t == "crowd" { print "crowd 1|" c[2] "|" c[4]; print "crowd N|" c[2] "|" c[6] }
	' "$1" | sed 's/`//g'
}

old=$(figures "$1") new=$(figures "$2")
if [ -z "$old" ] || [ -z "$new" ]; then
	echo "icount-compare: no icount section in $([ -z "$old" ] && echo "$1" || echo "$2")" >&2
	exit 2
fi

join -t '|' -a 1 -a 2 -e '' -o 0,1.2,2.2 \
	<(echo "$old" | awk -F'|' '{ print $1 ": " $2 "|" $3 }' | sort -t '|' -k 1,1) \
	<(echo "$new" | awk -F'|' '{ print $1 ": " $2 "|" $3 }' | sort -t '|' -k 1,1) |
	awk -F'|' -v tol="$TOL" '
	function judged(k) { return k !~ /^(measured|whole|crowd N):/ }
	{ k = $1; a = $2; b = $3
	  if (a == "" || b == "") { if (judged(k)) { only++; printf "ONLY  %s: %s\n", k, (a == "" ? "new " b : "old " a) }; next }
	  if (a == "-" && b == "-") next
	  if (a == "-" || b == "-") { if (judged(k)) { only++; printf "ONLY  %s: old %s, new %s\n", k, a, b }; next }
	  d = (a != 0) ? 100 * (b - a) / a : (b == 0 ? 0 : 100)
	  ad = d < 0 ? -d : d
	  if (!judged(k)) { printf "noted %s: %s -> %s (%+.2f%%)\n", k, a, b, d; next }
	  n++; if (ad > max) { max = ad; maxk = k }
	  if (ad == 0) same++
	  if (ad > tol) { over++; printf "OVER  %s: %s -> %s (%+.2f%%)\n", k, a, b, d }
	  else printf "ok    %s: %s -> %s (%+.2f%%)\n", k, a, b, d }
	END { printf "\n%d instruction figures compared: %d identical, the largest difference %.2f%% (%s); %d over %s%%; %d in one run only\n",
		n, same, max, (maxk == "" ? "none" : maxk), over, tol, only
	  exit (over || only || !n) ? 1 : 0 }'
