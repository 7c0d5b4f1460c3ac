#!/bin/bash
# --help and the man pages stay in step (the option rows, tools/opt.h, make --help): every long
# option a tool's or subcommand's --help lists is documented in its man page, and every option
# the man page documents is in some --help of that tool. Also: each option is parsed by one row
# (an unknown option says so, a missing argument says which option needs one).
. "$(dirname "$0")/../lib.sh"

ht=$OUTPUT/hmmtrace
# helps TOOL: every --help text of the tool (hmmtrace: its own and each subcommand's).
helps() {
	case $1 in
	hmmtrace) "$ht" --help; for c in probe dump stat hist record report export heatmap diff; do "$ht" $c --help; done ;;
	*) "$OUTPUT/$1" --help ;;
	esac
}
for tool in hmmtrace hmmtop hmm_exporter; do
	man=$ROOT/man/man8/$tool.8
	help_opts=$(helps $tool | grep -oE '^ +(-[a-zA-Z], +)?--[a-z][a-z0-9-]*' |
		grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
	# The OPTIONS section's item lines (.BR -x ", " --long ..., .B --long).
	man_opts=$(sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$man" | grep -E '^\.(B|BR|TP)' |
		grep -oE '\\-\\-[a-z][a-z0-9\\-]*' | sed 's/\\//g' | sort -u)
	expect_ge "$tool: options in --help" "$(wc -l <<<"$help_opts")" 3
	expect_eq "$tool: in --help, not in $tool(8) OPTIONS" "$(comm -23 <(echo "$help_opts") <(echo "$man_opts") | tr '\n' ' ')" ""
	expect_eq "$tool: in $tool(8) OPTIONS, in no --help" "$(comm -13 <(echo "$help_opts") <(echo "$man_opts") | tr '\n' ' ')" ""
done

expect_match "unknown option" "$("$ht" dump --frobnicate 2>&1)" "dump: unknown option '--frobnicate'"
expect_match "missing argument" "$("$ht" record -o 2>&1)" "record: -o needs an argument"
expect_match "missing argument (long)" "$("$ht" hist --output 2>&1)" "hist: --output needs an argument"
expect_match "a live option with -i" "$("$ht" dump -i x.hmmtrace --owner 1 2>&1)" \
	"dump: --owner is for live tracing; with -i only --json and --stall-ms apply"
expect_match "hmmtop -r with a live option" "$("$OUTPUT/hmmtop" -r x -k 2>&1)" "-k is for live tracing"
expect_match "export without --format" "$("$ht" export -i x 2>&1)" "--format is required: chrome"
finish
