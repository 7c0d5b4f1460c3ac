#!/bin/bash
# `make bench`: run every benchmark and write docs/PERFORMANCE.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
out=$ROOT/docs/PERFORMANCE.md
tmp=$(mktemp) prev=$(mktemp) sec=$(mktemp)
trap 'rm -f "$tmp" "$prev" "$sec"' EXIT
# The page's icount section as it was, to compare the new run with (tests/bench/icount-compare.sh).
[ -f "$out" ] && cp "$out" "$prev"
{
	echo "# Performance"
	echo
	echo "Every figure on this page is written by \`make bench\` (tests/bench/); rerun it to"
	echo "reproduce them. Machine: $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo),"
	echo "host kernel $(uname -r); lab kernels run under QEMU TCG."
	echo
	# First what a traced call costs, in instructions (deterministic: QEMU icount); the wall-clock
	# sections after it are as noisy as TCG on a shared host.
	"$ROOT/tests/bench/icount.sh" | tee "$sec"
	echo
	# Why its untraced rounds spread more in CPU time than in wall time (icount too).
	"$ROOT/tests/bench/spread.sh"
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
trap 'rm -f "$prev" "$sec"' EXIT
echo "bench: wrote $out"
# Did the instruction figures repeat? Against the previous page's run: with the same code and
# kernel every figure should be within 2%; a program that changed shows here by how much.
if grep -q '^### Cost per traced call, in instructions' "$prev"; then
	echo "bench: the icount figures against the page's previous run ($(sed -n 's/^### Cost per traced call, in instructions .*, \([0-9-]*\))$/\1/p' "$prev" | head -n 1)):"
	cmp=$("$ROOT/tests/bench/icount-compare.sh" "$prev" "$sec") || true
	grep -E '^(OVER|ONLY) ' <<<"$cmp" | head -n 20 || true
	tail -n 1 <<<"$cmp"
fi
