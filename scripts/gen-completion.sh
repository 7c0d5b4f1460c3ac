#!/bin/bash
# Bash completion for one of hmmscope's tools, generated from the tool's own --help (and, for
# hmmtrace, from each command's --help): every short and long option, which of them take an
# argument, hmmtrace's commands and `hist merge`, file arguments, and `-- COMMAND`.
#
# Usage: gen-completion.sh TOOL              the completion script, on stdout
#        gen-completion.sh --spec TOOL       what was read from the help, one item a line
#        gen-completion.sh --parse [NAME]    parse help text from stdin (the tests' reflowed help)
#
# --help is the interface, not the source: the help text can be reflowed, reordered and
# regrouped without breaking this. What it relies on:
#  - an option entry is a line indented by at most 8 spaces that starts with -x or --long;
#    several spellings are separated by ", "; an argument follows its option after one space
#    (or "="), in capitals (FILE, ADDR:PORT) or in angle brackets (<file>); [=ARG] is optional;
#    the description comes after two or more spaces.
#    Lines indented further are descriptions continued, whatever they start with.
#  - Usage lines ("Usage: TOOL ..." and the lines under it that start with TOOL) name options
#    too ([-d SECONDS], -V|--version), a sub-command (`hmmtrace hist merge`), FILE... as
#    positional files and "-- COMMAND" as a command line of its own.
#  - hmmtrace's commands are the first words of the lines under "Commands:", up to a blank line.
set -euo pipefail

# parse NAME: help text on stdin -> items on stdout:
#   opt OPTION [ARG]    an option, and the name of its argument if it takes one
#   cmd WORD            a command (hmmtrace)
#   sub WORD            a word after the command (hist merge)
#   pos FILE            positional file arguments
#   dash                "-- COMMAND" accepted
parse() {
	awk -v name="$1" '
	function opt(o, a) { if (!(o in seen) || seen[o] == "") seen[o] = a; if (!(o in order)) order[o] = ++n_opt }
	# Options of one entry line, or of a usage line ("all": anywhere in it).
	# Spellings of one option ("-o, --output FILE", "-V|--version") share its argument.
	function options(s, all,    o, a, k, got, first, names) {
		got = 0; first = 1
		while (s != "") {
			if (match(s, /^--?[A-Za-z0-9][A-Za-z0-9-]*/)) {
				o = substr(s, 1, RLENGTH); s = substr(s, RLENGTH + 1)
				names[++got] = o; a = ""
				if (match(s, /^\[=[^\]]*\]/)) {
					s = substr(s, RLENGTH + 1) # an optional argument: none to complete
				} else if (match(s, /^[ =]<[^>]+>/) || match(s, /^[ =][A-Z][^ ,\]|]*/)) {
					a = substr(s, 2, RLENGTH - 1); s = substr(s, RLENGTH + 1)
					gsub(/[<>]/, "", a)
				}
				if (a != "")
					for (k = first; k <= got; k++) if (!(names[k] in args)) args[names[k]] = a
				if (match(s, /^(, |\|)/)) { s = substr(s, RLENGTH + 1); continue }
				first = got + 1
			}
			if (!all) break
			# usage lines: on to the next option
			if (!match(s, /[^A-Za-z0-9]--?[A-Za-z0-9]/)) break
			s = substr(s, RSTART + 1)
		}
		for (k = 1; k <= got; k++) opt(names[k], (names[k] in args) ? args[names[k]] : "")
	}
	function indent() { return match($0, /^ +/) ? RLENGTH : 0 }
	BEGIN { usage = 0; cmds = 0 }
	/^Usage:/ { usage = 1; line = $0; sub(/^Usage: */, "", line); uline(line); next }
	usage && $0 ~ "^ +" name "( |$)" { line = $0; sub(/^ +/, "", line); uline(line); next }
	{ usage = 0 }
	/^Commands:/ { cmds = 1; next }
	cmds && /^ *$/ { cmds = 0; next }
	# (no {m,n} intervals: mawk, Debian'"'"'s awk, lacks them)
	cmds && indent() <= 8 && /^ +[a-z][a-z0-9-]*( |$)/ { cmd[++n_cmd] = $1; next }
	indent() <= 8 && /^ +-/ { line = $0; sub(/^ +/, "", line); options(line, 0); next }
	function uline(s,    w, i, nw) {
		options(s, 1)
		nw = split(s, w, / +/)
		# TOOL [CMD] SUB ...: a bare lower-case word after the command
		if (nw >= 3 && w[1] == name && w[2] ~ /^[a-z][a-z0-9-]*$/ && w[3] ~ /^[a-z][a-z0-9-]*$/)
			sub_[w[3]] = 1
		for (i = 2; i <= nw; i++) {
			if (w[i] == "FILE...") pos = 1
			if (w[i] ~ /^\[?--$/ && w[i + 1] ~ /^COMMAND/) dash = 1
		}
	}
	END {
		for (o in order) line_[order[o]] = o
		for (i = 1; i <= n_opt; i++) { o = line_[i]; print "opt " o (seen[o] != "" ? " " seen[o] : "") }
		for (i = 1; i <= n_cmd; i++) print "cmd " cmd[i]
		for (s in sub_) print "sub " s
		if (pos) print "pos FILE"
		if (dash) print "dash"
	}'
}

# spec TOOL: the items of TOOL (hmmtrace: its own, then "ctx COMMAND" and that command's).
spec() {
	local tool=$1 name c
	name=$(basename "$tool")
	"$tool" --help | parse "$name"
	for c in $("$tool" --help | parse "$name" | sed -n 's/^cmd //p'); do
		echo "ctx $c"
		"$tool" "$c" --help | parse "$name"
	done
}

# shell-quoted word list of one kind of item
words() { sed -n "s/^$1 //p" | tr '\n' ' ' | sed 's/ $//'; }

# context CTX ITEMS: one `case` branch of the completion function.
context() {
	local ctx=$1 items=$2 opts takes files dirs words_ pos dash
	opts=$(awk '$1 == "opt" { print $2 }' <<<"$items" | tr '\n' ' ' | sed 's/ $//')
	takes=$(awk '$1 == "opt" && NF == 3 { print $2 }' <<<"$items" | tr '\n' ' ' | sed 's/ $//')
	# Arguments named for files or directories get file name completion.
	files=$(awk '$1 == "opt" && toupper($3) ~ /^(FILE|OUT|TRACE|PATH)([.].*)?$/ { print $2 }' \
		<<<"$items" | tr '\n' ' ' | sed 's/ $//')
	dirs=$(awk '$1 == "opt" && toupper($3) ~ /^DIR(ECTORY)?$/ { print $2 }' <<<"$items" |
		tr '\n' ' ' | sed 's/ $//')
	words_=$(words "cmd" <<<"$items")
	[ -n "$words_" ] || words_=$(words "sub" <<<"$items")
	pos=0 dash=0
	grep -qx 'pos FILE' <<<"$items" && pos=1
	grep -qx 'dash' <<<"$items" && dash=1
	printf "\t'%s')\n" "$ctx"
	printf "\t\topts='%s'\n" "$opts"
	printf "\t\ttakes=' %s '\n" "$takes"
	printf "\t\tfiles=' %s '\n" "$files"
	printf "\t\tdirs=' %s '\n" "$dirs"
	printf "\t\twords='%s'\n" "$words_"
	printf "\t\tpos=%d dash=%d\n" "$pos" "$dash"
	printf "\t\t;;\n"
}

generate() {
	local tool=$1 name fn sp c ctxs
	name=$(basename "$tool")
	fn=_hmmscope_${name}
	sp=$(spec "$tool")
	ctxs=$(sed -n 's/^ctx //p' <<<"$sp")
	cat <<EOF
# bash completion for $name (hmmscope $("$tool" --version | awk '{ print $2 }')).
# Generated by scripts/gen-completion.sh from the output of \`$name --help\`$([ -n "$ctxs" ] && echo " and of
# each \`$name COMMAND --help\`"): do not edit.
$fn()
{
	local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD - 1]}
	local ctx= i w opts takes files dirs words pos dash
	# The context: the command (and "hist merge"), found by walking the words before this one.
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=\${COMP_WORDS[i]}
		if [[ \$w == -- ]]; then
			${fn}_ctx "\$ctx"
			if ((dash)); then
				if declare -F _command_offset >/dev/null; then
					_command_offset \$((i + 1))
				elif ((COMP_CWORD == i + 1)); then
					COMPREPLY=(\$(compgen -c -- "\$cur"))
				else
					COMPREPLY=(\$(compgen -f -- "\$cur"))
				fi
			fi
			return 0
		fi
		${fn}_ctx "\$ctx"
		if [[ \$w == -* ]]; then
			[[ \$w != *=* && \$takes == *" \$w "* ]] && ((i++))
		elif [[ -n \$words && " \$words " == *" \$w "* ]]; then
			ctx=\${ctx:+\$ctx }\$w
		fi
	done
	${fn}_ctx "\$ctx"
	if [[ \$prev == -* && \$takes == *" \$prev "* ]]; then
		if [[ \$files == *" \$prev "* ]]; then
			compopt -o filenames 2>/dev/null
			COMPREPLY=(\$(compgen -f -- "\$cur"))
		elif [[ \$dirs == *" \$prev "* ]]; then
			compopt -o filenames 2>/dev/null
			COMPREPLY=(\$(compgen -d -- "\$cur"))
		fi
		return 0
	fi
	if [[ \$cur == -* ]]; then
		COMPREPLY=(\$(compgen -W "\$opts" -- "\$cur"))
	elif [[ -n \$words ]]; then
		COMPREPLY=(\$(compgen -W "\$words" -- "\$cur"))
	elif ((pos)); then
		compopt -o filenames 2>/dev/null
		COMPREPLY=(\$(compgen -f -- "\$cur"))
	fi
	return 0
}
EOF
	# The per-context tables, as a second function the first one calls with _ctx (they set
	# the caller's locals: bash's dynamic scope).
	cat <<EOF
${fn}_ctx()
{
	case \$1 in
EOF
	context "" "$(sed '/^ctx /,$d' <<<"$sp")"
	for c in $ctxs; do
		context "$c" "$(awk -v c="$c" '$1 == "ctx" { on = ($2 == c); next } on' <<<"$sp")"
		# A sub-command: its own context, with the command's options.
		for s in $(awk -v c="$c" '$1 == "ctx" { on = ($2 == c); next } on && $1 == "sub" { print $2 }' <<<"$sp"); do
			context "$c $s" "$(awk -v c="$c" '$1 == "ctx" { on = ($2 == c); next } on && $1 != "sub"' <<<"$sp")"
		done
	done
	cat <<EOF
	*) opts= takes= files= dirs= words= pos=0 dash=0 ;;
	esac
}
complete -F $fn $name
EOF
}

case "${1:-}" in
--spec) spec "${2:?usage: gen-completion.sh --spec TOOL}" ;;
--parse) parse "${2:-tool}" ;;
-* | "") sed -n '/^# Usage:/,/^#$/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
*) generate "$1" ;;
esac
