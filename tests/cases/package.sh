#!/bin/bash
# The Debian package, from a `make dist` tarball (no git: the version comes from its VERSION):
#  - dpkg-buildpackage -us -uc -b builds hmmscope_VERSION_amd64.deb, VERSION being the tools'
#    own version; its Depends are runtime libraries only (no -dev package), libbpf1 among them;
#    its files are exactly the expected list;
#  - lintian: no error and no warning (the info tags it leaves are printed);
#  - installed with dpkg into a scratch root (an overlay of this machine's / in a private mount
#    namespace, chrooted into, so the machine itself is never touched): the tools run and say the
#    package's version, `hmmtrace probe` exits as the built hmmtrace does here, the unit is
#    installed but not enabled, the man pages are found by man; then dpkg --purge removes every
#    file it installed and leaves nothing but dpkg's own bookkeeping behind.
. "$(dirname "$0")/../lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root for the scratch root (mount, chroot)"
for c in dpkg-buildpackage dh lintian unshare; do
	command -v $c >/dev/null || { fail "$c not installed: run 'make deps'"; finish; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
t0=$(date +%s)
tarball=$("$ROOT/scripts/dist.sh" "$tmp")
expect_status "make dist" $? 0
ver=$(tar -xzOf "$tarball" --wildcards '*/VERSION')
expect_eq "the tarball's VERSION" "$ver" "$("$ROOT/scripts/version.sh")"
mkdir "$tmp/src"
tar -C "$tmp/src" -xzf "$tarball"
src=$(echo "$tmp"/src/hmmscope-*)

# ---- build ----------------------------------------------------------------------------------
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1
rc=$?
expect_status "dpkg-buildpackage -us -uc -b" $rc 0
[ $rc -eq 0 ] || { tail -n 30 "$tmp/build.log"; finish; }
echo "built in $(($(date +%s) - t0)) s"
deb=$tmp/src/hmmscope_${ver}_amd64.deb
[ -f "$deb" ] || { fail "no $deb: $(ls "$tmp/src")"; finish; }
echo "ok: $(basename "$deb")"
expect_eq "package version" "$(dpkg-deb -f "$deb" Version)" "$ver"
expect_eq "architecture" "$(dpkg-deb -f "$deb" Architecture)" amd64
deps=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $deps"
names=$(tr ',' '\n' <<<"$deps" | sed 's/^ *//; s/[ (].*//' | sort | tr '\n' ' ')
expect_match "Depends names libbpf1 and libc6" "$names" "libbpf1 .*libc6 "
expect_eq "Depends on anything but a runtime library (lib*, zlib1g)" \
	"$(tr ' ' '\n' <<<"$names" | grep -vE '^(lib[a-z0-9.+-]+[0-9]|zlib1g)$' | sed '/^$/d')" ""
expect_eq "Depends on a -dev package" "$(tr ' ' '\n' <<<"$names" | grep -c -- '-dev$')" 0
expect_eq "package files" "$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { print substr($6, 2) }' | sort)" \
	"$(sort <<'EOF'
/lib/systemd/system/hmm_exporter.service
/usr/sbin/hmm_exporter
/usr/sbin/hmmtop
/usr/sbin/hmmtrace
/usr/share/bash-completion/completions/hmm_exporter
/usr/share/bash-completion/completions/hmmtop
/usr/share/bash-completion/completions/hmmtrace
/usr/share/doc/hmmscope/changelog.gz
/usr/share/doc/hmmscope/copyright
/usr/share/hmmscope/prometheus/hmmscope.rules.yml
/usr/share/man/man8/hmm_exporter.8.gz
/usr/share/man/man8/hmmtop.8.gz
/usr/share/man/man8/hmmtrace.8.gz
EOF
)"

# ---- lintian --------------------------------------------------------------------------------
t1=$(date +%s)
lintian -I -E --pedantic "$tmp"/src/hmmscope_*_amd64.changes >"$tmp/lintian.log" 2>&1
grep -v "running with root privileges" "$tmp/lintian.log"
expect_eq "lintian errors" "$(grep -c '^E:' "$tmp/lintian.log")" 0
expect_eq "lintian warnings" "$(grep -c '^W:' "$tmp/lintian.log")" 0
echo "lintian took $(($(date +%s) - t1)) s"

# ---- install, run, purge in a scratch root --------------------------------------------------
"$OUTPUT/hmmtrace" probe >/dev/null 2>&1
host_probe=$?
mkdir -p "$tmp/root" "$tmp/upper" "$tmp/work"
cp "$deb" "$tmp/hmmscope.deb"
cat >"$tmp/inside.sh" <<'EOF'
# Runs in the private mount namespace: the overlay, then everything chrooted into it.
set -u
tmp=$1
mount -t overlay overlay -o "lowerdir=/,upperdir=$tmp/upper,workdir=$tmp/work" "$tmp/root" || exit 90
mount --rbind /proc "$tmp/root/proc" && mount --rbind /sys "$tmp/root/sys" &&
	mount --rbind /dev "$tmp/root/dev" || exit 91
mkdir -p "$tmp/root/pkg"
mount --bind "$tmp" "$tmp/root/pkg" || exit 92
chroot "$tmp/root" /bin/bash -c '
	r() { local l=$1; shift; echo "== $l"; "$@"; echo "== status $?"; }
	export DEBIAN_FRONTEND=noninteractive
	r install dpkg -i /pkg/hmmscope.deb
	r query dpkg-query -W -f "\${Status} \${Version}\n" hmmscope
	r list dpkg -L hmmscope
	for t in hmmtrace hmmtop hmm_exporter; do r $t-version $t --version; done
	r probe hmmtrace probe
	r wants ls /etc/systemd/system/multi-user.target.wants/
	r man man -w hmmtrace hmmtop hmm_exporter
	r purge dpkg --purge hmmscope
	r query-after dpkg-query -W -f "\${Status}\n" hmmscope
'
EOF
unshare -m --propagation private bash "$tmp/inside.sh" "$tmp" >"$tmp/inside.log" 2>&1
rc=$?
expect_status "scratch root (mount namespace, overlay, chroot)" $rc 0
sed 's/^/   | /' "$tmp/inside.log"
# section LABEL: the output of one `r` command in the log; status LABEL: its exit status.
section() { awk -v c="== $1" '$0 == c { on = 1; next } /^== status / { if (on) exit } on' "$tmp/inside.log"; }
status() { awk -v c="== $1" '$0 == c { on = 1; next } /^== status / && on { print $3; exit }' "$tmp/inside.log"; }
expect_eq "dpkg -i: status" "$(status install)" 0
expect_eq "installed" "$(section query)" "install ok installed $ver"
for t in hmmtrace hmmtop hmm_exporter; do
	expect_match "installed $t --version" "$(section $t-version)" "^$t $ver \\(hmmscope; "
done
expect_eq "installed hmmtrace probe: status (as the built one here)" "$(status probe)" "$host_probe"
expect_match "installed hmmtrace probe: the attach table" "$(section probe)" \
	"hmm_range_fault +(attached|denied|failed|absent)"
expect_eq "unit enabled" "$(section wants | grep -c hmm_exporter)" 0
expect_eq "man finds the pages" "$(section man | grep -c '/usr/share/man/man8/.*\.8\.gz$')" 3
expect_eq "dpkg --purge: status" "$(status purge)" 0
expect_match "purged" "$(section query-after)" "^(not-installed|unknown ok not-installed)|no packages found"
# What the package installed is gone, and all that changed is dpkg's, man-db's and systemd's
# bookkeeping under /var (the overlay's upper layer holds every change).
installed=$(section list | grep -vE '^/(\.|usr|usr/share|usr/sbin|lib|lib/systemd|lib/systemd/system|usr/share/man|usr/share/man/man8|usr/share/doc|usr/share/bash-completion|usr/share/bash-completion/completions)$')
expect_ge "dpkg -L listed the package's files" "$(wc -l <<<"$installed")" 13
echo "changed in the scratch root after purge:"
(cd "$tmp/upper" && find . ! -type d | sed 's|^\.|   |' | sort)
left=$(cd "$tmp/upper" && find . ! -type d | sed 's|^\.||' |
	grep -vE '^/var/(lib/dpkg|log|cache/man|cache/debconf|lib/systemd/deb-systemd-helper)' |
	grep -vE '^/(pkg|proc|sys|dev)(/|$)' | sort)
expect_eq "changed outside dpkg's bookkeeping after purge" "$left" ""
expect_eq "dpkg's status written in the scratch root's upper layer" \
	"$([ -f "$tmp/upper/var/lib/dpkg/status" ] && echo yes)" yes
expect_eq "this machine has no hmmscope package" \
	"$(dpkg-query -W -f '${Status}' hmmscope 2>/dev/null | grep -c ' installed')" 0
for f in $installed; do
	[ -e "$tmp/upper$f" ] && fail "$f left after purge"
done
echo "package test: $(($(date +%s) - t0)) s in all"
finish
