#!/bin/bash
# `make bench`: run every benchmark and write docs/PERFORMANCE.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
out=$ROOT/docs/PERFORMANCE.md
tmp=$(mktemp)
{
	echo "# Performance"
	echo
	echo "Every figure on this page is written by \`make bench\` (tests/bench/); rerun it to"
	echo "reproduce them. Machine: $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo),"
	echo "host kernel $(uname -r); lab kernels run under QEMU TCG."
	echo
	# First what a traced call costs, in instructions (deterministic: QEMU icount); the wall-clock
	# sections after it are as noisy as TCG on a shared host.
	"$ROOT/tests/bench/icount.sh"
	echo
	CLOCK=tsc LOOP=read "$ROOT/tests/bench/overhead.sh"
	echo
	CLOCK=tsc LOOP=migrate "$ROOT/tests/bench/overhead.sh"
	echo
	CLOCK=tsc LOOP=storm "$ROOT/tests/bench/overhead.sh"
	echo
	CLOCK=hpet LOOP=read "$ROOT/tests/bench/overhead.sh"
	echo
	"$ROOT/tests/bench/trace.sh"
	echo && "$ROOT/tests/bench/top.sh"
	echo && "$ROOT/tests/bench/exporter.sh"
	echo && "$ROOT/tests/bench/scale.sh"
	echo && "$ROOT/tests/bench/guard.sh"
} >"$tmp"
mv "$tmp" "$out"
echo "bench: wrote $out"
