#!/bin/bash
# Build the lab's base initramfs: busybox-static, the guest /init, and the given statically linked
# binaries under /opt/hmmscope/bin. The runner appends a second archive with the job script.
# Usage: make-initramfs.sh OUT.cpio.gz BINARY...
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -ge 1 ] || die "usage: make-initramfs.sh OUT.cpio.gz [BINARY...]"
out=$1
shift
busybox=/bin/busybox
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
	die "$busybox is not the static busybox: run 'make deps' (installs busybox-static)"

stage=$(mktemp -d)
# mktemp makes it 0700, and it becomes the guest's /: unprivileged users need to traverse it.
chmod 755 "$stage"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,proc,sys,dev,tmp,run,etc,out,host,opt/hmmscope/bin}
cp "$busybox" "$stage/bin/busybox"
install -m 0755 "$LAB_DIR/guest/init" "$stage/init"
for b in "$@"; do
	[ -f "$b" ] || die "missing binary for the image: $b"
	if file -L "$b" | grep -q 'dynamically linked'; then
		die "$b is dynamically linked; the lab image needs static binaries"
	fi
	install -m 0755 "$b" "$stage/opt/hmmscope/bin/"
done
echo "root:x:0:0:root:/:/bin/sh" >"$stage/etc/passwd"
echo "root:x:0:" >"$stage/etc/group"
(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc -R 0:0 --quiet) | gzip -n -6 >"$out.tmp"
mv "$out.tmp" "$out"
