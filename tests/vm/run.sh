#!/bin/bash
# Boot a lab kernel under QEMU (TCG), run one job script inside the guest, stream the console, and
# exit with the job's own exit status.
#
# Usage: run.sh [OPTIONS] SCRIPT [ARGS...]
#   -k, --kernel K      lab kernel series (5.10, 6.1, 6.12, 7.3) or a path to a bzImage (default 6.1)
#   -i, --initramfs F   base initramfs (default $OUTPUT/lab/initramfs.cpio.gz, OUTPUT=build)
#   -t, --timeout S     wall-clock limit for the whole boot + job, in seconds (default 600)
#   -m, --memory MB     guest memory (default 1024)
#   -s, --smp N         guest CPUs (default 2; 1 with --icount)
#       --icount        deterministic time: single-threaded TCG with -icount shift=0,sleep=off, so
#                       the guest's clocks count instructions (1 ns each) instead of host time
#   -o, --out DIR       share DIR read-write with the guest at /out (virtio-9p)
#       --hostroot      share the host's / read-only with the guest at /host (virtio-9p)
#       --netns NAME    run QEMU inside network namespace NAME (user-mode networking, guest 10.0.2.15)
#       --fwd H:G       forward 127.0.0.1:H (in the namespace) to guest port G; repeatable
#       --append ARGS   extra kernel command line arguments
#   -l, --log FILE      also write the console to FILE
#   -q, --quiet         do not stream the console (it is still shown on failure)
#
# Exit status: the job's status; 124 if the guest did not finish in time; 125 if the guest
# panicked or stopped without reporting a result; 2 for bad usage or missing inputs.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

usage() { sed -n '/^# Usage:/,/^# Exit status/p' "$0" | sed 's/^# \{0,1\}//'; }

kernel=6.1
initramfs=${OUTPUT:-$LAB_DIR/../../build}/lab/initramfs.cpio.gz
timeout=600
mem=1024
smp=
icount=0
outdir=
hostroot=0
netns=
fwds=()
logfile=
extra_append=
quiet=0

num() { [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -gt 0 ] || die "$1: expected a positive integer, got '$2'"; }
while [ $# -gt 0 ]; do
	case "$1" in
	-k | --kernel) kernel=${2?}; shift 2 ;;
	-i | --initramfs) initramfs=${2?}; shift 2 ;;
	-t | --timeout) num "$1" "${2-}"; timeout=$2; shift 2 ;;
	-m | --memory) num "$1" "${2-}"; mem=$2; shift 2 ;;
	-s | --smp) num "$1" "${2-}"; smp=$2; shift 2 ;;
	-o | --out) outdir=${2?}; shift 2 ;;
	--hostroot) hostroot=1; shift ;;
	--icount) icount=1; shift ;;
	--netns) netns=${2?}; shift 2 ;;
	--fwd) [[ ${2-} =~ ^[0-9]+:[0-9]+$ ]] || die "--fwd: expected HOSTPORT:GUESTPORT, got '${2-}'"
		fwds+=("$2"); shift 2 ;;
	--append) extra_append=${2?}; shift 2 ;;
	-l | --log) logfile=${2?}; shift 2 ;;
	-q | --quiet) quiet=1; shift ;;
	-h | --help) usage; exit 0 ;;
	--) shift; break ;;
	-*) die "unknown option '$1' (see --help)" ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || die "no job script given (see --help)"
[ -n "$smp" ] || smp=$((icount ? 1 : 2))
script=$1
shift
[ -f "$script" ] || die "job script '$script' not found"

case "$kernel" in
*/*) bzimage=$kernel ;;
*)
	lab_check_version "$kernel"
	kdir=$(lab_kernel_dir "$kernel") || die "linux-source-$kernel is not installed: run 'make deps'"
	bzimage=$kdir/bzImage
	;;
esac
[ -f "$bzimage" ] || die "kernel '$bzimage' not found: build it with 'make lab-kernels'"
[ -f "$initramfs" ] || die "initramfs '$initramfs' not found: build it with 'make lab-image'"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found: run 'make deps'"
if [ -n "$outdir" ]; then
	[ -d "$outdir" ] || die "--out: '$outdir' is not a directory"
fi
if [ ${#fwds[@]} -gt 0 ] && [ -z "$netns" ]; then
	die "--fwd needs --netns: lab traffic stays inside a network namespace"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The job travels as a second cpio archive appended to the base one (the kernel unpacks both).
mkdir -p "$work/job"
cp "$script" "$work/job/job"
: >"$work/job/job.args"
for a in "$@"; do printf '%s\n' "$a" >>"$work/job/job.args"; done
(cd "$work/job" && printf 'job\njob.args\n' | cpio -o -H newc -R 0:0 --quiet) | gzip -n >"$work/job.cpio.gz"
cat "$initramfs" "$work/job.cpio.gz" >"$work/initrd"

append="console=ttyS0 panic=-1 loglevel=4 nokaslr"
accel=(-accel tcg)
# icount: every guest instruction advances the virtual clock by 2^shift ns, and with sleep=off an
# idle guest's timers fire at once instead of waiting for the host: guest time is instructions
# executed, the same on every run whatever the host's load. It needs one TCG thread for all vCPUs.
[ $icount -eq 1 ] && accel=(-accel tcg,thread=single -icount shift=0,sleep=off)
qemu=(qemu-system-x86_64 "${accel[@]}" -m "$mem" -smp "$smp" -kernel "$bzimage"
	-initrd "$work/initrd" -display none -monitor none -serial stdio -no-reboot)
if [ -n "$outdir" ]; then
	qemu+=(-virtfs "local,path=$(cd "$outdir" && pwd),mount_tag=out,security_model=none")
	append+=" hmmscope.out=1"
fi
if [ $hostroot -eq 1 ]; then
	qemu+=(-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap")
	append+=" hmmscope.hostroot=1"
fi
if [ -n "$netns" ]; then
	netdev="user,id=n0"
	for f in "${fwds[@]}"; do netdev+=",hostfwd=tcp:127.0.0.1:${f%%:*}-:${f##*:}"; done
	qemu+=(-netdev "$netdev" -device virtio-net-pci,netdev=n0)
	append+=" hmmscope.net=1"
	qemu=(ip netns exec "$netns" "${qemu[@]}")
else
	qemu+=(-nic none)
fi
qemu+=(-append "$append${extra_append:+ $extra_append}")

console=$work/console
if [ $quiet -eq 1 ]; then
	timeout -k 10 "$timeout" "${qemu[@]}" </dev/null >"$console" 2>&1
	qrc=$?
else
	timeout -k 10 "$timeout" "${qemu[@]}" </dev/null 2>&1 | tee "$console"
	qrc=${PIPESTATUS[0]}
fi
[ -n "$logfile" ] && cp "$console" "$logfile"

result=$(grep -a -o 'HMMSCOPE-RESULT rc=[0-9]*' "$console" | tail -n 1)
tail_lines() {
	echo "---- last console lines ($bzimage) ----" >&2
	tail -n 25 "$console" | tr -d '\r' >&2
	echo "----" >&2
}
if [ $qrc -eq 124 ] || [ $qrc -eq 137 ]; then
	[ $quiet -eq 1 ] && tail_lines
	echo "lab: the guest did not finish within ${timeout} s (hang?)" >&2
	exit 124
fi
if [ -z "$result" ]; then
	[ $quiet -eq 1 ] && tail_lines
	if grep -aq 'Kernel panic' "$console"; then
		echo "lab: the guest kernel panicked (QEMU status $qrc)" >&2
	else
		echo "lab: the guest stopped without reporting a result (QEMU status $qrc)" >&2
	fi
	exit 125
fi
rc=${result##*=}
if [ "$rc" -ne 0 ] && [ $quiet -eq 1 ]; then
	tail_lines
fi
exit "$rc"
