#!/bin/bash
# Build (or reuse) a lab kernel: Debian's linux-source-VERSION, tinyconfig + tests/vm/kernel.config
# (the lines for that series: lib.sh, lab_fragment).
# Usage: build-kernel.sh VERSION        (VERSION: 5.10, 6.1, 6.12 or 7.3)
# Prints the cache directory that holds bzImage, vmlinux and config. Rebuilds only when the source
# package version or the fragment changes (both are in the cache key).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
# The kernel's make must not inherit ours: a variable on our command line (make demo OUTPUT=dir)
# reaches it through MAKEFLAGS and overrides its own (its tools build in OUTPUT: objtool failed).
unset MAKEFLAGS MFLAGS GNUMAKEFLAGS MAKEOVERRIDES MAKELEVEL

[ $# -eq 1 ] || die "usage: build-kernel.sh VERSION (one of: $LAB_KERNELS)"
ver=$1
lab_check_version "$ver"
for tool in gcc make flex bison bc pahole; do
	command -v "$tool" >/dev/null || die "'$tool' not found: run 'make deps' (as root)"
done

# The source first: a series from another Debian suite is fetched into the cache here.
src=$(lab_extract "$ver")
pkgver=$(lab_pkgver "$ver")
[ -n "$pkgver" ] || die "linux-source-$ver is not installed: run 'make deps' (as root)"
out=$(lab_kernel_dir "$ver")
if [ -f "$out/stamp" ]; then
	echo "$out"
	exit 0
fi

mkdir -p "$HMMSCOPE_CACHE/kernel"
exec 9>"$HMMSCOPE_CACHE/kernel/.lock-$ver"
flock 9
[ -f "$out/stamp" ] && { echo "$out"; exit 0; }

log() { echo "build-kernel: $*" >&2; }
start=$(date +%s)

build=$out/build
# A changed fragment is a new key, but kbuild rebuilds only what the changed options touch: seed
# the new build directory from the newest finished build of the same source package.
if [ ! -d "$build" ]; then
	seed=$(ls -td "$HMMSCOPE_CACHE/kernel/$ver-$pkgver-"*/build 2>/dev/null | grep -v "^$build\$" | head -n 1 || true)
	if [ -n "$seed" ] && [ -f "$(dirname "$seed")/stamp" ]; then
		log "seeding from $seed"
		mkdir -p "$out"
		cp -a "$seed" "$build.tmp" && mv "$build.tmp" "$build"
	fi
fi
mkdir -p "$build"
fragment=$out/fragment.config
lab_fragment "$ver" >"$fragment"
log "configuring $ver ($pkgver) in $build"
make -s -C "$src" O="$build" tinyconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$build" "$build/.config" "$fragment" >/dev/null
make -s -C "$src" O="$build" olddefconfig >&2

# Every line of the fragment must survive olddefconfig: a silently dropped option is a lab that
# lies about what it tests.
missing=0
while IFS= read -r line; do
	case "$line" in CONFIG_*=*) ;; *) continue ;; esac
	grep -qx "$line" "$build/.config" || { log "fragment option not in final config: $line"; missing=1; }
done <"$fragment"
[ $missing -eq 0 ] || die "kernel config for $ver lost fragment options (see above)"

log "building $ver with -j$(nproc) (10 to 30 minutes on 2 cores, depending on load)"
make -s -C "$src" O="$build" -j"$(nproc)" bzImage >&2
cp "$build/arch/x86/boot/bzImage" "$build/vmlinux" "$out/"
cp "$build/.config" "$out/config"
echo "$ver $pkgver built in $(($(date +%s) - start)) s" >"$out/stamp"
log "$(cat "$out/stamp")"
echo "$out"
