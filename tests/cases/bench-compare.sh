#!/bin/bash
# tests/bench/icount-compare.sh, which says whether two icount benchmark runs agree (issue 17:
# two runs on different days within 2% on every instruction figure), on the icount section of
# docs/PERFORMANCE.md and copies of it with one figure changed: identical runs agree; a figure
# 3% off, a row missing, a trampoline calibration changed, one process's figure 10% off are
# caught; a figure 1% off passes; the noisy measured column and the many-processes figures are
# noted, not judged; a file without the section is an error; the two kept runs of different days
# agree as the page says.
. "$(dirname "$0")/../lib.sh"

cmp_sh=$ROOT/tests/bench/icount-compare.sh
page=$ROOT/docs/PERFORMANCE.md
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The section alone, so that a change below cannot touch another table of the page.
awk '/^### Cost per traced call, in instructions/ { on++ } on == 1 && /^### / && !/^### Cost per/ { exit }
	on == 1' "$page" >"$tmp/a.md"
expect_ge "the page's icount section has a program table" "$(grep -c '^| read | ' "$tmp/a.md")" 4

out=$("$cmp_sh" "$tmp/a.md" "$tmp/a.md"); rc=$?
expect_status "a run against itself" $rc 0
n=$(echo "$out" | sed -n 's/^\([0-9]*\) instruction figures compared.*/\1/p')
# Each path x mode row gives one figure, each program row four (an aggregation "-" none), each
# row of the 1-against-many processes table one (the many processes' figure is noted, not
# judged), plus three calibration figures.
rows=$(awk -F'|' '/^\| path \(loop/ { t = 1; next } /^\| loop \| program/ { t = 2; next }
	/^\| program \| runs, 1 process/ { t = 3; next } /^\|---/ { next }
	!/^\| / { t = 0 } t == 1 { c++ } t == 2 { p += 3 + ($6 !~ /^ *- *$/) } t == 3 { p++ }
	END { print c + p + 3 }' "$tmp/a.md")
expect_eq "figures compared" "$n" "$rows"
expect_match "all identical" "$out" "^$rows instruction figures compared: $rows identical, .* 0 over 2%; 0 in one run only\$"

# against_b: compare the section with its changed copy, into out and rc.
against_b() { out=$("$cmp_sh" "$tmp/a.md" "$tmp/b.md"); rc=$?; }
# change ROW-REGEX COLUMN FACTOR: the first matching table row with that column's number scaled.
change() {
	awk -F'|' -v OFS='|' -v re="$1" -v col="$2" -v f="$3" '
		!done && $0 ~ re { v = $col + 0; $col = sprintf(" %.0f ", v * f); done = 1 } { print }' "$tmp/a.md"
}
change '^\| read \| fexit_hmm_range_fault \|' 5 1.03 >"$tmp/b.md"
against_b
expect_status "a program's per-event figure 3% higher" $rc 1
expect_match "named as over" "$out" "^OVER  per-event: read / fexit_hmm_range_fault: [0-9]+ -> [0-9]+ \(\+(2\.9|3\.0)[0-9]%\)\$"
expect_match "one over" "$out" " 1 over 2%; 0 in one run only\$"

change '^\| read \| fexit_hmm_range_fault \|' 5 1.01 >"$tmp/b.md"
against_b
expect_status "the same figure 1% higher" $rc 0
expect_match "within the tolerance" "$out" "^ok    per-event: read / fexit_hmm_range_fault: .*\(\+1\.0[0-9]%\)\$"
out=$(TOL=0.5 "$cmp_sh" "$tmp/a.md" "$tmp/b.md"); rc=$?
expect_status "1% higher with TOL=0.5" $rc 1

# twice: exact whatever the page's figure (1.5 times an odd one rounds to 49.96%)
change '^\| fault .*\| floor \(empty' 5 2 >"$tmp/b.md"
against_b
expect_status "the measured column twice as high (noted, not judged)" $rc 0
expect_match "noted" "$out" "^noted measured: fault .* \(\+100\.00%\)\$"

change '^\| fault .*\| floor \(empty' 4 1.1 >"$tmp/b.md"
against_b
expect_status "the fault path's floor 10% higher" $rc 1
expect_match "the floor named" "$out" "^OVER  call: fault .*floor \(empty.*\(\+(9\.9|10\.[01])[0-9]%\)\$"

# The 1-against-many table: one process's figure judged, the many processes' noted.
change '^\| fexit_hmm_range_fault \| [0-9]+ \|' 6 1.5 >"$tmp/b.md"
against_b
expect_status "a program's figure with many processes 50% higher (noted)" $rc 0
expect_match "noted" "$out" "^noted crowd N: fexit_hmm_range_fault: .* \(\+50\.[0-9]+%\)\$"
change '^\| fexit_hmm_range_fault \| [0-9]+ \|' 4 1.1 >"$tmp/b.md"
against_b
expect_status "the same with one process 10% higher" $rc 1
expect_match "over" "$out" "^OVER  crowd 1: fexit_hmm_range_fault: "

sed 's/costs \([0-9]*\) instructions per fentry\/fexit pair/costs 999 instructions per fentry\/fexit pair/' "$tmp/a.md" >"$tmp/b.md"
against_b
expect_status "the trampoline calibration changed" $rc 1
expect_match "the calibration named" "$out" "^OVER  cal: pair: [0-9]+ -> 999 "

grep -v '^| uffd | fexit_handle_userfault |' "$tmp/a.md" >"$tmp/b.md"
against_b
expect_status "a program row missing" $rc 1
expect_match "in one run only" "$out" "^ONLY  per-event: uffd / fexit_handle_userfault: old [0-9]+\$"

# Two real runs of the same code on different days, kept in docs/bench/ (PERFORMANCE.md, "Day to
# day"): every figure parsed from both and judged, and the result the page states.
out=$("$cmp_sh" "$ROOT/docs/bench/icount-6.1-stats3-2026-12-07-e.md" \
	"$ROOT/docs/bench/icount-6.1-stats3-2026-12-08.md"); rc=$?
expect_status "the kept runs of 2026-12-07 and 2026-12-08" $rc 0
expect_eq "their summary" "$(echo "$out" | tail -n 1)" \
	"263 instruction figures compared: 259 identical, the largest difference 0.04% (aggregation: inval / fexit_hmm_range_fault); 0 over 2%; 0 in one run only"

echo "no section here" >"$tmp/c.md"
out=$("$cmp_sh" "$tmp/a.md" "$tmp/c.md" 2>&1); rc=$?
expect_status "a file without the section" $rc 2
expect_match "the file named" "$out" "no icount section in $tmp/c.md"
out=$("$cmp_sh" "$tmp/a.md" 2>&1); rc=$?
expect_status "one file" $rc 2
expect_match "usage" "$out" "^usage: "
finish
