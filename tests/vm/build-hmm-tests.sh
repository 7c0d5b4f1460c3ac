#!/bin/bash
# Build the kernel's own HMM selftest (hmm-tests) from a lab kernel's source package, statically,
# for the lab image. Where it lives and what it links differ by series:
#   5.10       selftests/vm, includes <hugetlbfs.h> (libhugetlbfs-dev, linked statically)
#   6.1        selftests/vm
#   6.12       selftests/mm
#   7.3        selftests/mm, with vm_util.c and hugepage_settings.c linked in (read_pmd_pagesize,
#              pagemap_get_entry, hugetlb_setup_default ...)
# Usage: build-hmm-tests.sh VERSION OUT
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -eq 2 ] || die "usage: build-hmm-tests.sh VERSION OUT"
ver=$1 out=$2
lab_check_version "$ver"
src=$(lab_extract "$ver")
st=$src/tools/testing/selftests
cc=${CC:-gcc}
flags=(-O2 -w -static -I"$src" -I"$st" -isystem "$src/tools/include/uapi")
if [ -f "$st/mm/hmm-tests.c" ]; then
	dir=$st/mm
else
	dir=$st/vm
fi
srcs=("$dir/hmm-tests.c")
libs=(-lrt -lpthread -lm)
# Helpers hmm-tests.c calls, where that series keeps them in files of their own.
for f in vm_util.c hugepage_settings.c; do
	if grep -q "#include \"$(basename "$f" .c).h\"\|#include <mm/$(basename "$f" .c).h>" \
		"$dir/hmm-tests.c"; then
		srcs+=("$dir/$f")
	fi
done
if grep -q '#include <hugetlbfs.h>' "$dir/hmm-tests.c"; then
	[ -f /usr/include/hugetlbfs.h ] || die "hmm-tests of $ver needs <hugetlbfs.h>: run 'make deps'"
	libs=(-lhugetlbfs "${libs[@]}")
fi
flags+=(-I"$dir")
"$cc" "${flags[@]}" -o "$out.tmp" "${srcs[@]}" "${libs[@]}"
mv "$out.tmp" "$out"
