#!/bin/bash
# Install the Debian 12 packages hmmscope needs to build, test and run its lab.
# A no-op (and no root needed) when everything is present.
set -euo pipefail

pkgs=(
	# build
	make gcc libc6-dev clang llvm pkg-config bpftool libbpf-dev libelf-dev zlib1g-dev
	libdeflate-dev libncurses-dev libmicrohttpd-dev
	# lab: kernels, image, QEMU
	linux-source-6.1 linux-source-6.12 flex bison bc libssl-dev dwarves busybox-static
	qemu-system-x86 cpio xz-utils file iproute2 procps
	# tests
	libcmocka-dev libjansson-dev tmux jq
	# tests: hmm-tests of linux-source-5.10 includes <hugetlbfs.h>
	libhugetlbfs-dev
	# tests: hmm_exporter (promtool, the fleet test's Prometheus server, node_exporter's textfile)
	prometheus prometheus-node-exporter
	# tests: rendering the heatmap (tests/svg-check.sh)
	chromium python3
	# tests: leak checks (tests/cases/valgrind.sh)
	valgrind
	# make bench: the peer whose overhead ours is compared with
	bpftrace
	# tests: the Debian package (tests/cases/package.sh) and the installed man pages
	dpkg-dev debhelper lintian man-db
)

missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#pkgs[@]} packages present"
	exit 0
fi
echo "deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages and not root: run 'sudo make deps' (or apt-get install ${missing[*]})" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# prometheus and prometheus-node-exporter are for the tests only: their packages would start
# daemons on :9090 and :9100. A policy-rc.d answering 101 keeps invoke-rc.d/deb-systemd-invoke
# from starting anything during the install (an existing one is left alone), and the units just
# installed are disabled so they do not start at boot either.
policy=
if [ ! -e /usr/sbin/policy-rc.d ]; then
	policy=/usr/sbin/policy-rc.d
	printf '#!/bin/sh\n# hmmscope deps.sh: no daemons during the install\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	trap 'rm -f "$policy"' EXIT
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}"
if [ -d /run/systemd/system ]; then
	for p in "${missing[@]}"; do
		case "$p" in prometheus | prometheus-node-exporter)
			systemctl disable --now "$p.service" >/dev/null 2>&1 || true ;;
		esac
	done
fi
