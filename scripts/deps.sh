#!/bin/bash
# Install the Debian 12 packages hmmscope needs to build, test and run its lab.
# A no-op (and no root needed) when everything is present.
set -euo pipefail

pkgs=(
	# build
	make gcc libc6-dev clang llvm pkg-config bpftool libbpf-dev libelf-dev zlib1g-dev
	libncurses-dev libmicrohttpd-dev
	# lab: kernels, image, QEMU
	linux-source-6.1 linux-source-6.12 flex bison bc libssl-dev dwarves busybox-static
	qemu-system-x86 cpio xz-utils file iproute2 procps
	# tests
	libcmocka-dev libjansson-dev tmux jq
	# tests: rendering the heatmap (tests/svg-check.sh)
	chromium python3
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
apt-get install -y -qq --no-install-recommends "${missing[@]}"
