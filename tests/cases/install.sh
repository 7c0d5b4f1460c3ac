#!/bin/bash
# make install / make uninstall into a DESTDIR, twice: with the defaults (PREFIX=/usr/local) and
# with a distribution's variables (prefix=/usr, systemdunitdir=/lib/systemd/system, as the
# Debian package does). Checked each time: the installed files are exactly the expected list,
# with their modes; the installed tools' --help equals the built ones' and their --version is
# the one version; the unit's ExecStart points into sbindir; the installed rules pass promtool;
# the installed completion completes; the man pages render without groff warnings. Then
# uninstall leaves no file behind and removes hmmscope's own directory.
. "$(dirname "$0")/../lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ver=$("$ROOT/scripts/version.sh")
# In the sanitized run (tests/cases/sanitize.sh) the same build flags, so nothing is rebuilt
# without them.
mk=(make -s -C "$ROOT" OUTPUT="$OUTPUT" ${HMMSCOPE_SANITIZED:+SANITIZE=1})

# run_install NAME EXPECTED-FILES MAKE-VARIABLES...
run_install() {
	local name=$1 want=$2 d=$tmp/$1 sbindir f out
	shift 2
	mkdir -p "$d"
	out=$("${mk[@]}" DESTDIR="$d" "$@" install 2>&1)
	expect_status "$name: make install ($out)" $? 0
	expect_eq "$name: installed files" "$(cd "$d" && find . ! -type d | sed 's|^\./|/|' | sort)" "$want"
	expect_eq "$name: files not 0644 or 0755" \
		"$(cd "$d" && find . ! -type d ! -perm 0644 ! -perm 0755 | sort)" ""
	expect_eq "$name: executables" "$(cd "$d" && find . -type f -perm 0755 | sed 's|.*/||' | sort | tr '\n' ' ')" \
		"hmm_exporter hmmtop hmmtrace "
	sbindir=$(dirname "$(grep -m1 '/hmmtrace$' <<<"$want")")
	for t in hmmtrace hmmtop hmm_exporter; do
		expect_eq "$name: installed $t --version" "$("$d$sbindir/$t" --version)" \
			"$t $ver (hmmscope; record schema $(sed -n 's/^#define HMM_SCHEMA_VERSION //p' "$ROOT/bpf/hmmscope.h"), trace format $(sed -n 's/^#define HMM_TRACE_VERSION_MAJOR //p' "$ROOT/lib/trace.h").$(sed -n 's/^#define HMM_TRACE_VERSION_MINOR //p' "$ROOT/lib/trace.h"))"
		if cmp -s <("$d$sbindir/$t" --help 2>&1) <("$OUTPUT/$t" --help 2>&1); then
			echo "ok: $name: installed $t --help = built $t --help"
		else
			fail "$name: installed $t --help differs from the built one"
		fi
	done
	f=$(grep 'hmm_exporter.service$' <<<"$want")
	expect_eq "$name: unit's ExecStart" "$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$d$f")" "$sbindir/hmm_exporter"
	if [ "$sbindir" != /usr/local/sbin ]; then
		expect_eq "$name: /usr/local/sbin left in the unit" "$(grep -c /usr/local/sbin "$d$f")" 0
	fi
	# systemd checks the unit (and that ExecStart is executable: pointed into DESTDIR for that);
	# it only warns about what it ignores, so any output fails.
	if command -v systemd-analyze >/dev/null; then
		sed "s|=$sbindir/|=$d$sbindir/|" "$d$f" >"$tmp/hmm_exporter.service"
		out=$(systemd-analyze verify --man=no "$tmp/hmm_exporter.service" 2>&1)
		expect_status "$name: systemd-analyze verify" $? 0
		expect_eq "$name: systemd-analyze verify: warnings" "$out" ""
	else
		echo "note: no systemd-analyze here: the unit is not verified"
	fi
	f=$(grep 'hmmscope.rules.yml$' <<<"$want")
	out=$(promtool check rules "$d$f" 2>&1)
	expect_status "$name: promtool check rules on the installed rules ($out)" $? 0
	f=$(grep 'completions/hmmtrace$' <<<"$want")
	expect_eq "$name: installed completion: hmmtrace rep<TAB>" \
		"$(bash -c '. "$1"; COMP_WORDS=(hmmtrace rep); COMP_CWORD=1; _hmmscope_hmmtrace; echo "${COMPREPLY[*]}"' _ "$d$f")" \
		"report"
	for f in $(grep '\.8$' <<<"$want"); do
		out=$(MANWIDTH=100 man --warnings -l "$d$f" 2>&1 >/dev/null)
		expect_eq "$name: man $(basename "$f"): groff warnings" "$out" ""
	done

	out=$("${mk[@]}" DESTDIR="$d" "$@" uninstall 2>&1)
	expect_status "$name: make uninstall ($out)" $? 0
	expect_eq "$name: files left after uninstall" "$(cd "$d" && find . ! -type d)" ""
	expect_eq "$name: hmmscope's directories left" "$(cd "$d" && find . -name 'hmmscope*')" ""
	# Uninstalling again is not an error.
	"${mk[@]}" DESTDIR="$d" "$@" uninstall >/dev/null 2>&1
	expect_status "$name: make uninstall again" $? 0
}

run_install default "$(sort <<'EOF'
/usr/local/lib/systemd/system/hmm_exporter.service
/usr/local/sbin/hmm_exporter
/usr/local/sbin/hmmtop
/usr/local/sbin/hmmtrace
/usr/local/share/bash-completion/completions/hmm_exporter
/usr/local/share/bash-completion/completions/hmmtop
/usr/local/share/bash-completion/completions/hmmtrace
/usr/local/share/hmmscope/prometheus/hmmscope.rules.yml
/usr/local/share/man/man8/hmm_exporter.8
/usr/local/share/man/man8/hmmtop.8
/usr/local/share/man/man8/hmmtrace.8
EOF
)"

run_install distro "$(sort <<'EOF'
/lib/systemd/system/hmm_exporter.service
/usr/sbin/hmm_exporter
/usr/sbin/hmmtop
/usr/sbin/hmmtrace
/usr/share/bash-completion/completions/hmm_exporter
/usr/share/bash-completion/completions/hmmtop
/usr/share/bash-completion/completions/hmmtrace
/usr/share/hmmscope/prometheus/hmmscope.rules.yml
/usr/share/man/man8/hmm_exporter.8
/usr/share/man/man8/hmmtop.8
/usr/share/man/man8/hmmtrace.8
EOF
)" PREFIX=/usr systemdunitdir=/lib/systemd/system
finish
