#!/bin/bash
# make dist: OUT_DIR/hmmscope-VERSION.tar.gz of the files git tracks, as they are in this working
# tree (uncommitted changes included, and then the version says -dirty), with a VERSION file that
# holds the full version (scripts/version.sh): a build from the tarball, where there is no git,
# prints the same version as a build from this checkout. Reproducible: names sorted, owner 0,
# every mtime that of the last commit. Prints the tarball's path.
# Usage: dist.sh OUT_DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd -P)
out=${1:?usage: dist.sh OUT_DIR}
git -C "$root" rev-parse --show-toplevel >/dev/null 2>&1 || { echo "dist: needs a git checkout" >&2; exit 2; }
v=$("$root/scripts/version.sh")
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/hmmscope-$v" "$out"
# Tracked files that still exist (a deleted one is not in the tarball either).
(cd "$root" && git ls-files -z | while IFS= read -r -d '' f; do
	[ -e "$f" ] && printf '%s\0' "$f"
done | tar --null -T - -cf -) | tar -C "$stage/hmmscope-$v" -xf -
echo "$v" >"$stage/hmmscope-$v/VERSION"
tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner \
	--mtime="@$(git -C "$root" log -1 --format=%ct)" -cf - "hmmscope-$v" |
	gzip -n -9 >"$out/hmmscope-$v.tar.gz.tmp"
mv "$out/hmmscope-$v.tar.gz.tmp" "$out/hmmscope-$v.tar.gz"
echo "$out/hmmscope-$v.tar.gz"
