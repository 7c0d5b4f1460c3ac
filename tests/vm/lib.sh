# Shared by the lab scripts: where the cache lives and how a lab kernel is keyed.
# shellcheck shell=bash

HMMSCOPE_CACHE=${HMMSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hmmscope}
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_FRAGMENT=$LAB_DIR/kernel.config
LAB_KERNELS="6.1 6.12"

die() { echo "${0##*/}: $*" >&2; exit 2; }

# lab_pkgver VERSION: the installed linux-source-VERSION package version, or nothing.
lab_pkgver() {
	dpkg-query -W -f='${Status} ${Version}\n' "linux-source-$1" 2>/dev/null |
		awk '$3 == "installed" { print $4 }'
}

# lab_key VERSION: cache key = kernel series + source package version + fragment hash.
lab_key() {
	local pkgver frag
	pkgver=$(lab_pkgver "$1")
	[ -n "$pkgver" ] || return 1
	frag=$(sha256sum "$LAB_FRAGMENT" | cut -c1-12)
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

# lab_extract VERSION: extract /usr/src/linux-source-VERSION.tar.xz into the cache once; prints the
# source directory. Extraction goes to a temporary directory first so an interrupted run never
# leaves a half tree behind that later runs would trust.
lab_extract() {
	local ver=$1 src tmp
	src=$(lab_src_dir "$ver") || die "linux-source-$ver is not installed: run 'make deps' (as root)"
	mkdir -p "$HMMSCOPE_CACHE/src"
	(
		flock 8
		if [ ! -f "$src/Makefile" ]; then
			echo "lab: extracting /usr/src/linux-source-$ver.tar.xz" >&2
			tmp=$(mktemp -d "$HMMSCOPE_CACHE/src/.x.XXXXXX")
			tar -C "$tmp" -xJf "/usr/src/linux-source-$ver.tar.xz"
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
