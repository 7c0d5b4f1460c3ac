# Shared by the lab scripts: where the cache lives, where each kernel series' source comes from,
# and how a lab kernel is keyed.
# shellcheck shell=bash

HMMSCOPE_CACHE=${HMMSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hmmscope}
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_FRAGMENT=$LAB_DIR/kernel.config
LAB_KERNELS="5.10 6.1 6.12 7.3"

die() { echo "${0##*/}: $*" >&2; exit 2; }

# lab_suite VERSION: where linux-source-VERSION comes from. "installed": Debian 12's own package,
# installed by `make deps`; otherwise the suite of Debian's archive that serves it, fetched into
# the cache by lab_fetch (nothing is installed system-wide for those).
lab_suite() {
	case "$1" in
	5.10) echo bullseye ;;
	7.3) echo trixie-backports ;;
	*) echo installed ;;
	esac
}

# lab_deb VERSION: the cached .deb of a fetched series (may not exist yet).
lab_deb() {
	local d
	for d in "$HMMSCOPE_CACHE/apt/debs/linux-source-$1_"*_all.deb; do
		[ -f "$d" ] && { echo "$d"; return 0; }
	done
	return 1
}

# lab_pkgver VERSION: the source package version of a series (installed, or fetched into the
# cache), or nothing.
lab_pkgver() {
	local deb
	if [ "$(lab_suite "$1")" = installed ]; then
		dpkg-query -W -f='${Status} ${Version}\n' "linux-source-$1" 2>/dev/null |
			awk '$3 == "installed" { print $4 }'
	elif deb=$(lab_deb "$1"); then
		dpkg-deb -f "$deb" Version
	fi
}

# lab_fetch VERSION: download linux-source-VERSION from its suite into the cache, once, with a
# private apt configuration (its own sources list, package lists and cache: the system's sources
# and dpkg state stay untouched). apt verifies the archive's signatures with the Debian archive
# keyring that Debian 12 ships. Prints the .deb.
lab_fetch() {
	local ver=$1 suite apt deb tmp
	suite=$(lab_suite "$ver")
	[ "$suite" != installed ] || die "linux-source-$ver comes from Debian 12: run 'make deps' (as root)"
	apt=$HMMSCOPE_CACHE/apt
	mkdir -p "$apt/debs"
	(
		flock 8
		lab_deb "$ver" >/dev/null && exit 0
		echo "lab: fetching linux-source-$ver from Debian's $suite suite" >&2
		tmp=$(mktemp -d "$apt/.fetch.XXXXXX")
		mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial"
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
			"http://deb.debian.org/debian $suite main" >"$tmp/sources.list"
		local o=(-q -o "Dir::Etc::SourceList=$tmp/sources.list" -o Dir::Etc::SourceParts=/dev/null
			-o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache=$tmp/cache"
			-o Dir::State::status=/dev/null -o APT::Sandbox::User=root)
		apt-get "${o[@]}" update >&2 ||
			die "apt-get update of $suite failed (network, or the archive keyring: debian-archive-keyring)"
		(cd "$tmp" && apt-get "${o[@]}" download "linux-source-$ver" >&2) ||
			die "apt-get download linux-source-$ver from $suite failed"
		deb=$(ls "$tmp"/linux-source-"$ver"_*_all.deb 2>/dev/null | head -n 1)
		[ -n "$deb" ] || die "apt-get download left no linux-source-$ver package"
		mv "$deb" "$apt/debs/"
		rm -rf "$tmp"
	) 8>"$apt/.lock-$ver" || exit $?
	lab_deb "$ver"
}

# lab_fragment VERSION: the kernel config fragment for one series. Lines of kernel.config apply to
# every series unless prefixed: "[5.10 6.1] CONFIG_X=y" applies to those series only,
# "[-7.3] CONFIG_X=y" to all but 7.3.
lab_fragment() {
	awk -v ver="$1" '
	/^\[/ {
		sel = substr($0, 2, index($0, "]") - 2); rest = substr($0, index($0, "]") + 1)
		sub(/^[ \t]+/, "", rest)
		n = split(sel, v, /[ \t]+/); neg = (substr(v[1], 1, 1) == "-"); hit = 0
		for (i = 1; i <= n; i++) { s = v[i]; sub(/^-/, "", s); if (s == ver) hit = 1 }
		if (hit != neg) print rest
		next
	}
	{ print }' "$LAB_FRAGMENT"
}

# lab_key VERSION: cache key = kernel series + source package version + hash of that series'
# fragment (a line for one series changes only that series' key).
lab_key() {
	local pkgver frag
	pkgver=$(lab_pkgver "$1")
	[ -n "$pkgver" ] || return 1
	frag=$(lab_fragment "$1" | sha256sum | cut -c1-12)
	echo "$1-$pkgver-$frag"
}

# lab_kernel_dir VERSION: the cache directory holding bzImage, vmlinux and config.
lab_kernel_dir() {
	local key
	key=$(lab_key "$1") || return 1
	echo "$HMMSCOPE_CACHE/kernel/$key"
}

# lab_src_dir VERSION: the extracted source package (shared by every fragment).
lab_src_dir() {
	local pkgver
	pkgver=$(lab_pkgver "$1") || return 1
	[ -n "$pkgver" ] || return 1
	echo "$HMMSCOPE_CACHE/src/linux-source-$1-$pkgver"
}

# lab_extract VERSION: extract the source package's linux-source-VERSION.tar.xz into the cache
# once (fetching the package first where it is not a Debian 12 one); prints the source directory.
# Extraction goes to a temporary directory first so an interrupted run never leaves a half tree
# behind that later runs would trust.
lab_extract() {
	local ver=$1 src tmp deb=
	if [ "$(lab_suite "$ver")" != installed ]; then
		deb=$(lab_fetch "$ver") || exit 2
	fi
	src=$(lab_src_dir "$ver") || die "linux-source-$ver is not installed: run 'make deps' (as root)"
	mkdir -p "$HMMSCOPE_CACHE/src"
	(
		flock 8
		if [ ! -f "$src/Makefile" ]; then
			echo "lab: extracting linux-source-$ver.tar.xz" >&2
			tmp=$(mktemp -d "$HMMSCOPE_CACHE/src/.x.XXXXXX")
			if [ -n "$deb" ]; then
				dpkg-deb --fsys-tarfile "$deb" |
					tar -xO "./usr/src/linux-source-$ver.tar.xz" | tar -C "$tmp" -xJ
			else
				tar -C "$tmp" -xJf "/usr/src/linux-source-$ver.tar.xz"
			fi
			rm -rf "$src"
			mv "$tmp/linux-source-$ver" "$src"
			rmdir "$tmp"
		fi
	) 8>"$HMMSCOPE_CACHE/src/.lock-$ver"
	echo "$src"
}

# lab_check_version VERSION: refuse anything but a known lab kernel series.
lab_check_version() {
	case " $LAB_KERNELS " in
	*" $1 "*) ;;
	*) die "unknown lab kernel '$1' (one of: $LAB_KERNELS)" ;;
	esac
}
