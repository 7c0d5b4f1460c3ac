#!/bin/bash
# One version everywhere: --version and -V of every tool and every hmmtrace command print the same
# line but for the tool's name: scripts/version.sh's version (git describe here), the record schema
# (bpf/hmmscope.h) and the trace format (lib/trace.h). Outside git, scripts/version.sh reads the
# VERSION file that `make dist` writes, also when the tarball is unpacked inside another checkout;
# in a checkout owned by another user, git still answers.
. "$(dirname "$0")/../lib.sh"

ver=$("$ROOT/scripts/version.sh")
schema=$(sed -n 's/^#define HMM_SCHEMA_VERSION \([0-9]*\).*/\1/p' "$ROOT/bpf/hmmscope.h")
major=$(sed -n 's/^#define HMM_TRACE_VERSION_MAJOR \([0-9]*\).*/\1/p' "$ROOT/lib/trace.h")
minor=$(sed -n 's/^#define HMM_TRACE_VERSION_MINOR \([0-9]*\).*/\1/p' "$ROOT/lib/trace.h")
expect_match "scripts/version.sh in git" "$ver" "^$(cat "$ROOT/VERSION")(-[0-9]+)?-g[0-9a-f]{7,}(-dirty)?$|^[0-9]+\.[0-9]+\.[0-9]+(-[0-9]+-g[0-9a-f]+)?(-dirty)?$"
expect_status "a valid Debian version ($ver)" "$(dpkg --validate-version "$ver" >/dev/null 2>&1; echo $?)" 0
tail="$ver (hmmscope; record schema $schema, trace format $major.$minor)"

check() { # NAME COMMAND...
	local name=$1 out rc
	shift
	for v in --version -V; do
		out=$("$@" "$v" 2>&1); rc=$?
		expect_status "$* $v" $rc 0
		expect_eq "$* $v" "$out" "$name $tail"
	done
}
check hmmtrace "$OUTPUT/hmmtrace"
for c in probe dump stat hist record report export heatmap; do
	check hmmtrace "$OUTPUT/hmmtrace" $c
done
check hmmtrace "$OUTPUT/hmmtrace" hist merge
check hmmtop "$OUTPUT/hmmtop"
check hmm_exporter "$OUTPUT/hmm_exporter"
# After other options, too, and never on stderr.
out=$("$OUTPUT/hmmtrace" -v record -o /dev/null --version 2>/dev/null)
expect_eq "hmmtrace -v record -o F --version" "$out" "hmmtrace $tail"

# Outside git: the tarball's VERSION, even unpacked inside this checkout's build directory.
tmp=$(mktemp -d "$OUTPUT/version-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/t/scripts"
cp "$ROOT/scripts/version.sh" "$tmp/t/scripts/"
echo "9.8.7-3-gabcdef0" >"$tmp/t/VERSION"
expect_eq "version.sh in a tarball inside a checkout" "$("$tmp/t/scripts/version.sh")" "9.8.7-3-gabcdef0"

# A checkout owned by another user (sudo make install in a user's tree): still git's version, not
# VERSION alone (git refuses such a repository without safe.directory).
if [ "$(id -u)" -eq 0 ] && command -v git >/dev/null && git -C "$ROOT" rev-parse HEAD >/dev/null 2>&1; then
	git clone -q "$ROOT" "$tmp/clone" && chown -R nobody "$tmp/clone"
	expect_eq "version.sh in a checkout owned by nobody" "$("$tmp/clone/scripts/version.sh")" \
		"$(cat "$tmp/clone/VERSION")-g$(git -C "$ROOT" rev-parse --short=7 HEAD)"
fi
finish
