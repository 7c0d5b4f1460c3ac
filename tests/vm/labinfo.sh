#!/bin/bash
# Small queries the Makefile makes about the lab, so the cache layout lives in lib.sh alone.
#   labinfo.sh src VERSION       path of the extracted source package (may not exist yet)
#   labinfo.sh extract VERSION   extract the source package if needed, print its path
#   labinfo.sh kernel VERSION    path of the cached kernel directory (may not exist yet)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ $# -eq 2 ] || die "usage: labinfo.sh src|extract|kernel VERSION"
lab_check_version "$2"
case "$1" in
src) lab_src_dir "$2" || true ;;
extract) lab_extract "$2" ;;
kernel) lab_kernel_dir "$2" || true ;;
*) die "unknown query '$1'" ;;
esac
