#!/bin/bash
# Bash completions ($OUTPUT/completions/TOOL, generated from each tool's --help by
# scripts/gen-completion.sh):
#  - completing "-" offers exactly the options the tool's (or the command's) --help lists, found
#    here by a grep of its own; and, tool by tool, exactly those the man page's OPTIONS give;
#  - the generator reads the same from help text reflowed two other ways (descriptions in another
#    column and wrapped elsewhere; each option alone on its line, entries in reverse order);
#  - completing commands, `hist merge`, option arguments (files, directories, nothing for a
#    number), and the command line after `--`, with bash's own completion variables.
. "$(dirname "$0")/../lib.sh"

gen=$ROOT/scripts/gen-completion.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for t in hmmtrace hmmtop hmm_exporter; do
	[ -s "$OUTPUT/completions/$t" ] || { fail "$OUTPUT/completions/$t not built"; finish; }
	out=$(bash -n "$OUTPUT/completions/$t" 2>&1)
	expect_status "$t: completion script parses ($out)" $? 0
done

# complete TOOL WORD...: what completing the last WORD offers, sorted, one line.
complete_() {
	local t=$1
	shift
	(cd "$tmp/files" && bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		"_hmmscope_${COMP_WORDS[0]}"; printf "%s\n" "${COMPREPLY[@]}"' _ \
		"$OUTPUT/completions/$t" "$t" "$@") | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//'
}
# help_opts HELP-TEXT: the options of an option table, by a grep of this test's own.
help_opts() {
	grep -E '^ {1,8}-' <<<"$1" | grep -oE '^ +(-[A-Za-z0-9](, )?)?(--[a-z0-9-]+)?' |
		grep -oE -- '--?[A-Za-z0-9-]+' | sort -u | tr '\n' ' ' | sed 's/ $//'
}
mkdir -p "$tmp/files/adir"
touch "$tmp/files/job.hmmtrace" "$tmp/files/host.hist"

# ---- every option, and only those ----------------------------------------------------------
for t in hmmtrace hmmtop hmm_exporter; do
	expect_eq "$t -<TAB>" "$(complete_ $t -)" "$(help_opts "$("$OUTPUT/$t" --help)")"
done
cmds=$("$OUTPUT/hmmtrace" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }')
expect_eq "hmmtrace's commands" "$(echo $cmds)" "probe dump stat hist record report export heatmap diff"
for c in $cmds; do
	expect_eq "hmmtrace $c -<TAB>" "$(complete_ hmmtrace "$c" -)" \
		"$(help_opts "$("$OUTPUT/hmmtrace" "$c" --help)")"
done
# The man page documents every option completion offers, and no other (per tool; hmmtrace's
# OPTIONS section is the union of its commands').
for t in hmmtrace hmmtop hmm_exporter; do
	man=$(sed -n '/^\.SH OPTIONS/,/^\.SH [^O]/p' "$ROOT/man/man8/$t.8" | sed -n '/^\.TP/{n;p}' |
		grep -oE '\\-(\\-)?[A-Za-z0-9][A-Za-z0-9\\-]*' | sed 's/\\//g' | sort -u | tr '\n' ' ')
	all=$("$gen" --spec "$OUTPUT/$t" | awk '$1 == "opt" { print $2 }' | sort -u | tr '\n' ' ')
	expect_eq "$t: options in the man page = options completed" "$man" "$all"
done

# ---- reflowed help reads the same ----------------------------------------------------------
# reflow STYLE: an option table laid out again. col: descriptions from column 36, wrapped at 64;
# alone: each option alone on its line, its description under it indented by 12, entries in
# reverse order. Everything else (usage, commands, prose) stays as it is.
reflow() {
	awk -v style="$1" '
	function flush() {
		if (optpart == "") return
		entry[++n] = optpart SUBSEP desc; optpart = ""; desc = ""
	}
	function emit(   i, k, p, d, words, nw, line, col, width, ind) {
		for (k = 1; k <= n; k++) {
			i = (style == "alone") ? n + 1 - k : k
			split(entry[i], p, SUBSEP); d = p[2]
			if (style == "col") { col = 36; width = 64; line = sprintf("  %-" (col - 3) "s ", p[1]) }
			else { col = 12; width = 50; print "  " p[1]; line = sprintf("%" col "s", "") }
			if (length(line) > col) { print line; line = sprintf("%" col "s", "") }
			nw = split(d, words, / +/)
			for (j = 1; j <= nw; j++) {
				if (words[j] == "") continue
				if (length(line) + length(words[j]) > width && length(line) > col) {
					print line; line = sprintf("%" col "s", "")
				}
				line = line (length(line) > col ? " " : "") words[j]
			}
			if (length(line) > col) print line
		}
		n = 0
	}
	{ ind = match($0, /^ +/) ? RLENGTH : 0 }
	ind > 0 && ind <= 8 && /^ +-/ {
		flush(); line = $0; sub(/^ +/, "", line)
		if (match(line, /  +/)) { optpart = substr(line, 1, RSTART - 1); desc = substr(line, RSTART + RLENGTH) }
		else { optpart = line; desc = "" }
		next
	}
	ind > 8 && optpart != "" { sub(/^ +/, ""); desc = desc " " $0; next }
	{ flush(); if (n) emit(); print }
	END { flush(); if (n) emit() }'
}
parse_sorted() { "$gen" --parse "$1" | sort; }
check_reflow() { # NAME WHAT HELP-TEXT
	local want
	want=$(parse_sorted "$1" <<<"$3")
	[ -n "$want" ] || { fail "$2: nothing parsed"; return; }
	for style in col alone; do
		reflowed=$(reflow $style <<<"$3")
		if [ "$reflowed" = "$3" ]; then
			fail "$2 ($style): the reflow changed nothing"
			continue
		fi
		expect_eq "$2 reflowed ($style): same options, arguments, commands" \
			"$(parse_sorted "$1" <<<"$reflowed")" "$want"
	done
}
check_reflow hmmtrace "hmmtrace --help" "$("$OUTPUT/hmmtrace" --help)"
for c in $cmds; do
	check_reflow hmmtrace "hmmtrace $c --help" "$("$OUTPUT/hmmtrace" "$c" --help)"
done
check_reflow hmmtop "hmmtop --help" "$("$OUTPUT/hmmtop" --help)"
check_reflow hmm_exporter "hmm_exporter --help" "$("$OUTPUT/hmm_exporter" --help)"
echo "== a reflowed hmm_exporter --help (col):"
reflow col <<<"$("$OUTPUT/hmm_exporter" --help)" | sed -n '5,12p'

# ---- completing words ----------------------------------------------------------------------
expect_eq "hmmtrace <TAB>" "$(complete_ hmmtrace '')" "diff dump export heatmap hist probe record report stat"
expect_eq "hmmtrace rec<TAB>" "$(complete_ hmmtrace rec)" "record"
expect_eq "hmmtrace -v record --fl<TAB>" "$(complete_ hmmtrace -v record --fl)" "--flush-ms"
expect_eq "hmmtrace record -o <TAB>: files" "$(complete_ hmmtrace record -o '')" "adir host.hist job.hmmtrace"
expect_eq "hmmtrace record -d 5 -<TAB>: -d's argument skipped" \
	"$(complete_ hmmtrace record -d 5 --cod)" "--coding"
expect_eq "hmmtrace dump -p <TAB>: a pid, no files" "$(complete_ hmmtrace dump -p '')" ""
expect_eq "hmmtrace report -i j<TAB>" "$(complete_ hmmtrace report -i j)" "job.hmmtrace"
expect_eq "hmmtrace hist <TAB>" "$(complete_ hmmtrace hist '')" "merge"
expect_eq "hmmtrace hist merge <TAB>: files" "$(complete_ hmmtrace hist merge '')" "adir host.hist job.hmmtrace"
expect_eq "hmmtrace hist merge --js<TAB>" "$(complete_ hmmtrace hist merge --js)" "--json"
expect_match "hmmtrace record -o f -- <TAB>: commands" "$(complete_ hmmtrace record -o f -- ech)" "(^| )echo( |$)"
expect_eq "hmmtrace record -o f -- ls -<TAB>: not ours" "$(complete_ hmmtrace record -o f -- ls --fl)" ""
expect_eq "hmmtop --sp<TAB>" "$(complete_ hmmtop --sp)" "--speed"
expect_eq "hmmtop -r <TAB>: files" "$(complete_ hmmtop -r '')" "adir host.hist job.hmmtrace"
expect_eq "hmm_exporter --per<TAB>" "$(complete_ hmm_exporter --per)" "--per-process"
expect_eq "hmm_exporter -t <TAB>: directories" "$(complete_ hmm_exporter -t '')" "adir"
expect_eq "hmm_exporter --validate <TAB>: files" "$(complete_ hmm_exporter --validate h)" "host.hist"
finish
