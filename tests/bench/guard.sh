#!/bin/bash
# A restructuring must not cost speed: the library's hot paths counted in instructions (callgrind,
# deterministic: the load of a shared host does not move them), this checkout against an earlier
# one (BASE, a git revision; default: the commit before issue 15's restructuring), in one run.
#   - the writer: `bench_trace -o` writing EVENTS synthetic events, hmm_trace_writer__*() only;
#   - aggregation: hmm_stats__add() inside the report below;
#   - the report: `hmmtrace report --json` of one EVENTS-event file (the same file for both),
#     pinned to one CPU (no read-ahead thread: one thread's instructions), the whole process.
# Prints a Markdown section for docs/PERFORMANCE.md; skips (saying so) outside a git checkout or
# without valgrind. EVENTS (default 1,000,000) and BASE override the defaults.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUTPUT=${OUTPUT:-$ROOT/build}
EVENTS=${EVENTS:-1000000}
BASE=${BASE:-fab3f6b}
say() { echo "### Restructuring guard: instructions before and after (this host, $(date +%F))"; echo; }
if ! command -v valgrind >/dev/null || ! git -C "$ROOT" rev-parse --verify -q "$BASE^{commit}" >/dev/null; then
	say
	echo "Skipped: needs valgrind and a git checkout holding $BASE."
	exit 0
fi
work=$(mktemp -d)
trap 'git -C "$ROOT" worktree remove --force "$work/base" >/dev/null 2>&1; rm -rf "$work"' EXIT
git -C "$ROOT" worktree add --detach "$work/base" "$BASE" >/dev/null 2>&1 ||
	{ echo "guard: cannot check out $BASE" >&2; exit 1; }
for tree in "$work/base" "$ROOT"; do
	out=$OUTPUT
	[ "$tree" = "$ROOT" ] || out=$work/base-build
	make -s -C "$tree" -j"$(nproc)" OUTPUT="$out" "$out/hmmtrace" "$out/tests/bench_trace" >&2 ||
		{ echo "guard: building $tree failed" >&2; exit 1; }
done
old=$work/base-build new=$OUTPUT
cpu=$(($(nproc) - 1))
trace=$work/guard.hmmtrace
"$new/tests/bench_trace" -o "$trace" -N "$EVENTS" >&2 || { echo "guard: writing $trace failed" >&2; exit 1; }

# ir OUT-FILE FUNCTION: inclusive instructions of FUNCTION (all of them when empty) in a callgrind
# output file.
ir() {
	if [ -z "$2" ]; then
		callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }'
	else
		callgrind_annotate --inclusive=yes "$1" 2>/dev/null |
			awk -v f="$2" '$0 ~ "[ :]" f " " || $0 ~ "[ :]" f "$" { gsub(",", "", $1); print $1; exit }'
	fi
}
# cg NAME COMMAND...: run COMMAND under callgrind into $work/NAME.out, on one CPU.
cg() {
	local name=$1
	shift
	taskset -c "$cpu" valgrind --tool=callgrind --callgrind-out-file="$work/$name.out" "$@" >/dev/null 2>"$work/$name.log" ||
		{ echo "guard: $name failed" >&2; tail -5 "$work/$name.log" >&2; exit 1; }
}
for v in old new; do
	bin=${!v}
	taskset -c "$cpu" "$bin/hmmtrace" report -i "$trace" --json | wc -c >"$work/size-$v"
	cg "report-$v" "$bin/hmmtrace" report -i "$trace" --json
	cg "writer-$v" --toggle-collect='hmm_trace_writer__*' "$bin/tests/bench_trace" -o "$work/w-$v.hmmtrace" -N "$EVENTS"
	rm -f "$work/w-$v.hmmtrace"
done
num() { # 1234567 -> 1,234,567
	echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'
}
row() { # LABEL BEFORE AFTER
	awk -v l="$1" -v a="$2" -v b="$3" -v n="$EVENTS" 'BEGIN {
		printf "| %s | %.1f | %.1f | %.3f |\n", l, a / n, b / n, b / a }'
}
say
echo "Method: \`tests/bench/guard.sh\` builds this checkout and $BASE (the commit of the golden"
echo "outputs, before the one-place-per-concern restructuring of issue 15), and counts instructions"
echo "with callgrind (valgrind $(valgrind --version | sed 's/valgrind-//')), which a shared host's load does not move, so"
echo "before and after compare exactly. One synthetic file of $(num "$EVENTS") events (\`bench_trace -o\`, the"
echo "feed of the trace-file section, delta coded) is reported by both builds (\`hmmtrace report -i FILE --json\`"
echo "pinned to one CPU: one thread, no read-ahead); the writer is both builds' \`bench_trace -o\`"
echo "writing the same feed, counting only \`hmm_trace_writer__*()\`. Instructions per event:"
echo
echo "| path | before | after | after/before |"
echo "|---|---|---|---|"
row "\`hmmtrace report --json\`, whole process" "$(ir "$work/report-old.out" "")" "$(ir "$work/report-new.out" "")"
row "\`hmm_stats__add()\` (in the report)" "$(ir "$work/report-old.out" hmm_stats__add)" "$(ir "$work/report-new.out" hmm_stats__add)"
row "\`hmm_trace_reader__next()\` (in the report)" "$(ir "$work/report-old.out" hmm_trace_reader__next)" "$(ir "$work/report-new.out" hmm_trace_reader__next)"
row "\`json_dumpf()\` (writing the JSON document, in the report)" "$(ir "$work/report-old.out" json_dumpf)" "$(ir "$work/report-new.out" json_dumpf)"
row "writer, \`hmm_trace_writer__*()\`" "$(ir "$work/writer-old.out" "")" "$(ir "$work/writer-new.out" "")"
echo
echo "The report's JSON document is $(num "$(cat "$work/size-old")") bytes before and $(num "$(cat "$work/size-new")") after: every"
echo "histogram now carries the one quantile set and its buckets (issue 15, item 4), and the old field"
echo "names stay one release as aliases. Writing it is a cost per report, not per event; the rows"
echo "above it are the per-event paths the restructuring moved code through."
