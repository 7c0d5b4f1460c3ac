#!/bin/bash
# The golden outputs: every renderer of the tools on fixed recordings, and every --help, as
# NAME.out files (stdout, then stderr and the exit status), compared byte for byte by
# tests/cases/golden.sh.
#
# Usage: tests/golden/run.sh OUTDIR      write the outputs of this build into OUTDIR
#
# The recordings come from tests/top_trace_gen (deterministic: the "golden" scenario names no
# real machine, the "top" one is hmmtop's); the commands run in a scratch directory so that the
# paths they print are the same everywhere.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUTPUT=${OUTPUT:-$ROOT/build}
out=$(mkdir -p "$1" && cd "$1" && pwd)
ht=$OUTPUT/hmmtrace top=$OUTPUT/hmmtop exp=$OUTPUT/hmm_exporter gen=$OUTPUT/tests/top_trace_gen
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 2
"$gen" -o golden.hmmtrace --scenario golden || exit 2
"$gen" -o top.hmmtrace -s 2 --fixed-header || exit 2
export TZ=UTC LC_ALL=C

# g NAME COMMAND...: run COMMAND, keep stdout, stderr and its status in OUTDIR/NAME.out.
g() {
	local name=$1 rc
	shift
	"$@" >"$work/stdout" 2>"$work/stderr" </dev/null
	rc=$?
	{
		cat "$work/stdout"
		echo "--- stderr"
		cat "$work/stderr"
		echo "--- exit $rc"
	} >"$out/$name.out"
}
# f NAME FILE: a file a command wrote (or a note that it wrote none).
f() { if [ -f "$2" ]; then cp "$2" "$out/$1"; else echo "(not written)" >"$out/$1"; fi; }

for t in golden top; do
	g "$t-report" "$ht" report -i $t.hmmtrace
	g "$t-report-json" "$ht" report -i $t.hmmtrace --json
	g "$t-dump" "$ht" dump -i $t.hmmtrace
	g "$t-dump-json" "$ht" dump -i $t.hmmtrace --json
	g "$t-export-chrome" "$ht" export -i $t.hmmtrace --format chrome
	g "$t-heatmap" "$ht" heatmap -i $t.hmmtrace -o $t.svg $([ $t = top ] && echo "-c 20")
	f "$t-heatmap.svg" $t.svg
	g "$t-hist" "$ht" hist -i $t.hmmtrace
	g "$t-hist-json" "$ht" hist -i $t.hmmtrace --json
	g "$t-hist-file" "$ht" hist -i $t.hmmtrace -o $t.hist
	g "$t-hist-merge" "$ht" hist merge $t.hist
	g "$t-hist-merge-json" "$ht" hist merge --json $t.hist
	g "$t-top-owner" "$top" -b -r $t.hmmtrace --speed 0
	g "$t-top-driver" "$top" -b -r $t.hmmtrace --speed 0 -g driver
	g "$t-top-sorted" "$top" -b -r $t.hmmtrace --speed 0 -s P99 -d 2
done
g "report-record-style" "$ht" report -i golden.hmmtrace -j
# Cause stacks (record --stacks): the golden scenario's two, as folded stacks; top has none.
g "golden-report-folded" "$ht" report -i golden.hmmtrace --folded
g "golden-report-folded-time" "$ht" report -i golden.hmmtrace --folded-time
g "top-report-folded" "$ht" report -i top.hmmtrace --folded
# diff: the two recordings above against each other (one host); the top scenario against its
# changed copy from another host and kernel.
"$gen" -o diff.hmmtrace -s 2 --scenario diff --fixed-header --host lab-b --release 7.3.0-lab ||
	exit 2
g "diff" "$ht" diff top.hmmtrace golden.hmmtrace
g "diff-json" "$ht" diff top.hmmtrace golden.hmmtrace --json
g "diff-hosts" "$ht" diff top.hmmtrace diff.hmmtrace

g help-hmmtrace "$ht" --help
for c in probe dump stat hist record report export heatmap diff; do
	g "help-hmmtrace-$c" "$ht" "$c" --help
done
g help-hmmtop "$top" --help
g help-hmm_exporter "$exp" --help
exit 0
