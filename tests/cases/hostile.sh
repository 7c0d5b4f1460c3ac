#!/bin/bash
# Hostile recordings (issue 19), made by tests/top_trace_gen: valid files, CRCs and all, whose
# values are chosen to break the renderers. Run again under ASan and UBSan by the sanitize case.
#  - names: comms, symbols, drivers, host, release, command and a reason holding terminal escapes,
#    BEL, newlines, DEL, C1 controls, a bidi override and invalid UTF-8. Every text renderer prints
#    them as printable text ('?' for each such byte, as ps and top do); JSON keeps them exactly.
#  - ts0 and future: a record at timestamp 0, one a century ahead: the heatmap draws them and
#    writes inside its grid (a timestamp of 0 overflowed its cell array).
#  - empty: a header and no record: every reader says so and exits cleanly.
. "$(dirname "$0")/../lib.sh"

ht=$OUTPUT/hmmtrace top=$OUTPUT/hmmtop gen=$OUTPUT/tests/top_trace_gen
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
for s in names ts0 future empty; do
	"$gen" -o $s.hmmtrace --scenario $s || fail "top_trace_gen --scenario $s"
done

# unsafe FILE: lines holding a byte a terminal would act on, or text that is not UTF-8.
unsafe() {
	LC_ALL=C grep -cP '[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]' "$1"
	iconv -f UTF-8 -t UTF-8 "$1" >/dev/null 2>&1 || echo "not UTF-8"
}
check_text() {
	local what=$1 rc
	shift
	"$@" >out.txt 2>err.txt
	rc=$?
	expect_status "names: $what" $rc 0
	expect_eq "names: $what: stdout lines a terminal would act on" "$(unsafe out.txt)" 0
	expect_eq "names: $what: stderr lines a terminal would act on" "$(unsafe err.txt)" 0
}
check_text "report" "$ht" report -i names.hmmtrace
expect_match "names: report shows the host's printable part" "$(cat out.txt)" 'host\?\[31mred\?\[0m'
expect_match "names: report shows a comm's printable part" "$(cat out.txt)" 'ow\?\[2J\?\]0;pwn\?'
expect_match "names: report keeps well-formed UTF-8" "$(cat out.txt)" 'ok-été'
check_text "dump" "$ht" dump -i names.hmmtrace
expect_match "names: dump prints the driver's printable part" "$(cat out.txt)" 'drv=drv\?\]0;x\?'
check_text "hist" "$ht" hist -i names.hmmtrace
check_text "diff" "$ht" diff names.hmmtrace names.hmmtrace
expect_match "names: diff shows the host's printable part" "$(cat out.txt)" '^   host\?\[31mred\?\[0m, kernel'
expect_match "names: diff shows an owner's printable part" "$(cat out.txt)" '^owner ow\?\[2J\?\]0;pwn\? faults '
expect_eq "names: diff --json keeps the owner exactly" \
	"$("$ht" diff names.hmmtrace names.hmmtrace --json | jq -r '.lines[] | select(.metric == "owner_faults") | .owner' | head -n 1 | od -An -c | tr -s ' ')" \
	"$(printf 'ow\033[2J\033]0;pwn\007\n' | od -An -c | tr -s ' ')"
check_text "hmmtop -b (owners)" "$top" -b -r names.hmmtrace --speed 0
expect_match "names: hmmtop -b shows the rows, one '?' per character" "$(cat out.txt)" ' rtl\?gpj\.exe '
check_text "hmmtop -b (drivers)" "$top" -b -r names.hmmtrace --speed 0 -g driver
"$ht" dump -i names.hmmtrace --json >out.json
expect_status "names: dump --json" $? 0
expect_eq "names: JSON keeps the comm exactly" \
	"$(jq -r 'select(.type == "fault" and .pid == 2000) | .comm' out.json | head -n 1 | od -An -c | tr -s ' ')" \
	"$(printf 'ow\033[2J\033]0;pwn\007\n' | od -An -c | tr -s ' ')"
# A name that is not UTF-8 cannot be a JSON string as it is: each such byte is U+FFFD, and the
# field is there (jansson refuses the string, which left the field out).
expect_eq "names: every fault has its caller's comm" \
	"$(jq -s '[.[] | select(.type == "fault" and (.caller.comm | type) == "string")] | length' out.json)" \
	"$(jq -s '[.[] | select(.type == "fault")] | length' out.json)"
expect_eq "names: invalid UTF-8 as U+FFFD" \
	"$(jq -r 'select(.type == "fault" and .caller.pid == 2004) | .caller.comm' out.json | head -n 1)" \
	"$(printf 'bad\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdutf8')"
"$ht" heatmap -i names.hmmtrace -o names.svg
expect_status "names: heatmap" $? 0
expect_eq "names: SVG without control bytes" "$(LC_ALL=C grep -cP '[\x00-\x09\x0b-\x1f\x7f]' names.svg)" 0

# Timestamps at 0 and far ahead: drawn, inside the grid.
for s in ts0 future; do
	"$ht" heatmap -i $s.hmmtrace -o $s.svg 2>err.txt
	expect_status "$s: heatmap" $? 0
	expect_match "$s: all 21 faults drawn" "$(cat $s.svg)" \
		"hmm_range_fault latency per call \(21 events\)"
done
"$ht" report -i ts0.hmmtrace >out.txt 2>err.txt
expect_status "ts0: report" $? 0
expect_match "ts0: report counts the record at 0" "$(cat out.txt)" 'hmm_range_fault: 21 calls'

# hmmtop -r --speed 0 passes over time without events instead of printing a table per empty
# interval (a record a century ahead meant 3e9 tables; a day's gap 86,400).
timeout 20 "$top" -b -r future.hmmtrace --speed 0 >out.txt 2>err.txt
expect_status "future: hmmtop -b --speed 0 ends" $? 0
expect_eq "future: hmmtop -b --speed 0 tables" "$(grep -c '^hmmtop replay' out.txt)" 2
expect_match "future: the gap is said" "$(cat err.txt)" "of the recording without events passed over"

# A chunk that comes twice (a careless concatenation): its records count once, with a warning.
"$gen" -o one.hmmtrace --chunk-bytes 4096 && "$gen" -o dup.hmmtrace --chunk-bytes 4096 --dup-chunk 2
"$ht" report -i dup.hmmtrace --json >dup.json 2>err.txt
expect_status "duplicated chunk: report" $? 0
expect_eq "duplicated chunk: faults counted once" "$(jq .faults.calls dup.json)" \
	"$("$ht" report -i one.hmmtrace --json 2>/dev/null | jq .faults.calls)"
expect_match "duplicated chunk: said" "$(cat err.txt)" "chunk 2 at byte [0-9]+ was read already"
# A header naming a record schema this reader does not know: refused, not misread.
"$gen" -o schema.hmmtrace --scenario golden --schema 999
"$ht" report -i schema.hmmtrace >/dev/null 2>err.txt
expect_status "schema 999: report" $? 1
expect_match "schema 999: says why" "$(cat err.txt)" "record schema 999, this reader reads schemas 1 to"

# A pipe given as input: said plainly (it was "Illegal seek"); a histogram file through a pipe is
# read to its end (hist merge <(ssh host cat x.hist)).
mkfifo fifo
(cat golden.hmmtrace >fifo &)
"$ht" report -i fifo >/dev/null 2>err.txt
expect_status "a pipe: report" $? 1
expect_match "a pipe: says so" "$(cat err.txt)" "not a regular file \(a pipe\?\): save it to a file first"
"$gen" -o golden.hmmtrace --scenario golden
"$ht" hist -i golden.hmmtrace -o g.hist 2>/dev/null
(cat g.hist >fifo &)
"$ht" hist merge fifo --json >out.json 2>err.txt
expect_status "a pipe: hist merge" $? 0
expect_eq "a pipe: hist merge read it" "$(jq .hosts out.json)" 1
# The same host's file twice: the counts would count twice: said.
"$ht" hist merge g.hist g.hist >/dev/null 2>err.txt
expect_match "hist merge of one file twice: said" "$(cat err.txt)" "the same counts, counted twice"
# The heatmap reads a damaged file twice: each warning is said once.
"$gen" -o dmg.hmmtrace --chunk-bytes 4096
printf 'X' | dd of=dmg.hmmtrace bs=1 seek=5000 conv=notrunc 2>/dev/null
"$ht" heatmap -i dmg.hmmtrace -o dmg.svg 2>err.txt
expect_status "damaged: heatmap" $? 0
expect_eq "damaged: heatmap says each warning once" "$(grep -c 'skipped' err.txt)" \
	"$("$ht" report -i dmg.hmmtrace 2>&1 >/dev/null | grep -c 'skipped')"

# Empty: a header, no records.
for c in report dump hist; do
	"$ht" $c -i empty.hmmtrace >out.txt 2>err.txt
	expect_status "empty: $c" $? 0
done
"$ht" diff empty.hmmtrace empty.hmmtrace >out.txt 2>err.txt
expect_status "empty: diff" $? 0
expect_match "empty: diff says there is nothing to compare" "$(cat out.txt)" "^\(no lines: neither recording"
"$ht" export -i empty.hmmtrace --format chrome -o empty.json 2>err.txt
expect_status "empty: export" $? 0
expect_eq "empty: export is a valid trace with no events" "$(jq '.traceEvents | map(select(.ph != "M")) | length' empty.json)" 0
"$ht" heatmap -i empty.hmmtrace -o empty.svg 2>err.txt
expect_status "empty: heatmap (nothing to draw)" $? 1
expect_match "empty: heatmap says why" "$(cat err.txt)" "has no events with a duration to draw"
"$top" -b -r empty.hmmtrace --speed 0 >out.txt 2>err.txt
expect_status "empty: hmmtop -b" $? 0
finish
