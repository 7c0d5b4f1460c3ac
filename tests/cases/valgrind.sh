#!/bin/bash
# No leaks and no memory errors under valgrind in everything a recording goes through on this
# machine: the writer (tests/top_trace_gen writes through lib/trace), report (text and JSON),
# dump -i, export, heatmap, hist, hmmtop's batch replay, and the error paths of record and of a
# damaged file. valgrind needs dynamically linked binaries: the case builds them (STATIC=0) into
# $OUTPUT/dyn. The live half of a record/report cycle needs the lab kernel, where valgrind is not
# available; ASan covers that code in `make check SANITIZE=1`.
. "$(dirname "$0")/../lib.sh"
command -v valgrind >/dev/null || skip "valgrind is not installed (make deps)"
dyn=$(realpath -m "$OUTPUT/dyn")
make -s -C "$ROOT" OUTPUT="$dyn" STATIC=0 "$dyn/hmmtrace" "$dyn/hmmtop" "$dyn/tests/top_trace_gen" \
	>/dev/null 2>&1 || { fail "building the dynamic binaries"; finish; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# vg WHAT STATUS CMD...: CMD under valgrind exits with STATUS and valgrind finds nothing.
vg() {
	local what=$1 want=$2
	shift 2
	valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
		--suppressions="$ROOT/tests/valgrind.supp" \
		--log-file="$dir/vg.log" "$@" >/dev/null 2>&1
	local rc=$?
	expect_status "valgrind: $what" $rc "$want"
	[ -s "$dir/vg.log" ] && { echo "---- valgrind: $what"; head -40 "$dir/vg.log"; }
}

f=$dir/t.hmmtrace
vg "write a trace" 0 "$dyn/tests/top_trace_gen" -o "$f"
vg "report" 0 "$dyn/hmmtrace" report -i "$f"
vg "report --json" 0 "$dyn/hmmtrace" report -i "$f" --json
vg "dump -i --json" 0 "$dyn/hmmtrace" dump -i "$f" --json
vg "export" 0 "$dyn/hmmtrace" export -i "$f" --format chrome -o "$dir/t.json"
vg "heatmap" 0 "$dyn/hmmtrace" heatmap -i "$f" -o "$dir/t.svg"
vg "hist -i" 0 "$dyn/hmmtrace" hist -i "$f" -o "$dir/t.hist"
vg "hmmtop -b -r" 0 "$dyn/hmmtop" -b -r "$f" --speed 0 -n 3
head -c $(($(stat -c %s "$f") / 2)) "$f" >"$dir/cut.hmmtrace"
vg "report on a cut-short file" 0 "$dyn/hmmtrace" report -i "$dir/cut.hmmtrace"
vg "report on a file that is not ours" 1 "$dyn/hmmtrace" report -i /etc/passwd
vg "record with bad usage" 2 "$dyn/hmmtrace" record
vg "probe" "$("$OUTPUT/hmmtrace" probe >/dev/null 2>&1; echo $?)" "$dyn/hmmtrace" probe
finish
