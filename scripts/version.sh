#!/bin/sh
# The one version of hmmscope: what every tool's --version prints, the Debian package's version
# and the name of `make dist`'s tarball.
#  - In a git checkout: `git describe` of the latest vX.Y.Z tag without the v ("0.2.0" on the tag,
#    "0.2.0-5-gabc1234" five commits after it, "-dirty" with uncommitted changes); while there is
#    no such tag, VERSION's number and the commit ("0.1.0-gabc1234").
#  - Anywhere else (a `make dist` tarball, which carries a VERSION holding the full version it was
#    made from): VERSION.
# Every form is also a valid Debian version.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd -P)
base=$(cat "$root/VERSION")
# safe.directory: `sudo make install` in a user's checkout must read the same version (git refuses
# a repository owned by someone else otherwise).
git() { command git -c safe.directory="$root" -C "$root" "$@"; }
# Only this tree's own repository: a tarball unpacked inside some other checkout is not in git.
if top=$(git rev-parse --show-toplevel 2>/dev/null) &&
	[ "$(cd "$top" && pwd -P)" = "$root" ]; then
	if v=$(git describe --tags --match 'v[0-9]*' --dirty 2>/dev/null); then
		echo "${v#v}"
		exit 0
	fi
	if h=$(git describe --always --abbrev=7 --dirty 2>/dev/null); then
		echo "$base-g$h"
		exit 0
	fi
fi
echo "$base"
