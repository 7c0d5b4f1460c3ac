#!/bin/bash
# Output errors (issue 19): every renderer, its output on a full device, says which output and the
# real errno, exits non-zero, and leaves no partial file (-o files are written to a temporary file
# and renamed once complete: an existing file is left as it was).
#  - standard output on /dev/full: report (text, --json), dump -i (text, --json: also how many of
#    the events were written), hist (text, --json), export, hmmtop -b, diff (text, --json);
#  - -o on a full tmpfs (a 64 KiB one in a private mount namespace): export, heatmap, hist: exit
#    non-zero, the message names the file, no file and no temporary file left, and a file that
#    was there before is untouched.
. "$(dirname "$0")/../lib.sh"

ht=$OUTPUT/hmmtrace gen=$OUTPUT/tests/top_trace_gen
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$gen" -o "$work/g.hmmtrace" --scenario golden || fail "top_trace_gen"
cd "$work" || exit 1

full() { # WHAT EXPECTED-MESSAGE COMMAND...
	local what=$1 re=$2 rc
	shift 2
	"$@" >/dev/full 2>err.txt
	rc=$?
	expect_status "$what >/dev/full" $rc 1
	expect_match "$what >/dev/full: says what and why" "$(cat err.txt)" "$re"
}
nospc="cannot write standard output: No space left on device"
# dump counts every record it prints (the lost-events record too): one JSON line each.
events=$("$ht" dump -i g.hmmtrace --json 2>/dev/null | wc -l)
full "report" "$nospc" "$ht" report -i g.hmmtrace
full "report --json" "$nospc" "$ht" report -i g.hmmtrace --json
full "dump -i" "dump: $nospc \([0-9]+ of $events events written\)" "$ht" dump -i g.hmmtrace
full "dump -i --json" "dump: $nospc \([0-9]+ of $events events written\)" "$ht" dump -i g.hmmtrace --json
full "hist -i" "$nospc" "$ht" hist -i g.hmmtrace
full "hist -i --json" "$nospc" "$ht" hist -i g.hmmtrace --json
full "export" "$nospc" "$ht" export -i g.hmmtrace --format chrome
expect_eq "export >/dev/full: no 'exported' line, no damage blamed on the input" \
	"$(grep -c 'exported\|not closed cleanly' err.txt)" 0
full "hmmtop -b" "$nospc" "$OUTPUT/hmmtop" -b -r g.hmmtrace --speed 0
full "diff" "$nospc" "$ht" diff g.hmmtrace g.hmmtrace
full "diff --json" "$nospc" "$ht" diff g.hmmtrace g.hmmtrace --json

# A full disk for -o: a small tmpfs, in a mount namespace of this test's own.
[ "$(id -u)" -eq 0 ] || skip "needs root for a tmpfs in a private mount namespace"
command -v unshare >/dev/null || skip "no unshare"
mkdir -p "$work/small"
cat >"$work/on-full-disk.sh" <<INNER
set -u
mount -t tmpfs -o size=64k tmpfs "$work/small" || exit 99
cd "$work/small"
echo old >keep.json
"$ht" export -i "$work/g.hmmtrace" --format chrome -o keep.json 2>"$work/e1"; echo "export \$?"
"$ht" export -i "$work/g.hmmtrace" --format chrome -o new.json 2>"$work/e2"; echo "export-new \$?"
"$ht" heatmap -i "$work/g.hmmtrace" -o heat.svg 2>"$work/e3"; echo "heatmap \$?"
# hist -o: fill the disk first, its file is small
head -c 60k /dev/zero >filler 2>/dev/null
"$ht" hist -i "$work/g.hmmtrace" -o g.hist 2>"$work/e4"; echo "hist \$?"
rm -f filler
ls -A >"$work/left"
cat keep.json >"$work/keep"
INNER
unshare -m bash "$work/on-full-disk.sh" >"$work/st" 2>&1
expect_eq "full disk: the test could mount its tmpfs" "$(grep -c '^99$' "$work/st")" 0
for c in export export-new heatmap hist; do
	expect_eq "$c -o on a full disk: exit status" "$(sed -n "s/^$c //p" "$work/st")" 1
done
expect_match "export -o: names the file and the errno" "$(cat "$work/e1")" "cannot write keep.json: No space left on device"
expect_match "heatmap -o: names the file and the errno" "$(cat "$work/e3")" "cannot write heat.svg: No space left on device"
expect_match "hist -o: names the file and the errno" "$(cat "$work/e4")" "cannot write g.hist: No space left on device"
expect_eq "full disk: no partial or temporary file left" "$(tr '\n' ' ' <"$work/left")" "keep.json "
expect_eq "full disk: the existing file untouched" "$(cat "$work/keep")" old
finish
