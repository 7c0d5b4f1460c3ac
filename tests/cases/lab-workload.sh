#!/bin/bash
# The workload generator alone in the lab session of each of the four lab kernels (tests/lab/
# session.sh, SESSION_PLAIN in tests/lib.sh): its totals against what the test_hmm driver
# reported back (cmd.faults / cmd.cpages) and against the counts the workload makes known: every
# operation, page and fault accounted for exactly, and what a kernel's test_hmm lacks skipped
# with its reason.
. "$(dirname "$0")/../lib.sh"

M=100 # pages per operation: not a multiple of the fault step, so every operation spans several

for v in ${LAB_ONLY:-$LAB_ALL}; do
	echo "== lab kernel $v"
	dir=$(lab_session "$v")
	expect_eq "$v: lab session" "$(cat "$dir/status")" 0
	t=$dir/out/workload/totals
	expect_status "$v: workload" "$(cat "$dir/out/workload/rc")" 0
	expect_eq "$v: result" "$(kv "$t" result)" ok
	expect_eq "$v: pages_per_op" "$(kv "$t" pages_per_op)" $M
	# The steps of each kernel's test_hmm loops (lib/test_hmm.c: pfns[] of dmirror_fault(),
	# src_pfns[] of dmirror_migrate_to_device()).
	case $v in
	7.*) step=32 mstep=512 profile=7.x ;;
	5.10) step=64 mstep=64 profile=5.10 ;;
	*) step=64 mstep=64 profile=6.x ;;
	esac
	expect_eq "$v: kernel profile" "$(kv "$t" kernel_profile)" $profile
	expect_eq "$v: fault step" "$(kv "$t" fault_step)" $step
	expect_eq "$v: migration step" "$(kv "$t" migrate_step)" $mstep
	chunks=$(((M + step - 1) / step)) mchunks=$(((M + mstep - 1) / mstep))
	for op in read write; do
		n=$([ $op = read ] && echo 8 || echo 6)
		expect_eq "$v: $op.ops" "$(kv "$t" $op.ops)" $n
		expect_eq "$v: $op.pages" "$(kv "$t" $op.pages)" $((n * M))
		expect_eq "$v: $op.driver_cpages" "$(kv "$t" $op.driver_cpages)" $((n * M))
		# One fault round per ioctl on fresh memory (dmirror_read/dmirror_write).
		expect_eq "$v: $op.driver_faults" "$(kv "$t" $op.driver_faults)" $n
		expect_eq "$v: $op.range_fault_calls_min" "$(kv "$t" $op.range_fault_calls_min)" $((n * chunks))
		expect_eq "$v: $op.errors" "$(kv "$t" $op.errors)" 0
		expect_eq "$v: $op.mismatches" "$(kv "$t" $op.mismatches)" 0
	done
	expect_eq "$v: snapshot.driver_cpages" "$(kv "$t" snapshot.driver_cpages)" $((4 * M))
	expect_eq "$v: snapshot.errors" "$(kv "$t" snapshot.errors)" 0
	expect_eq "$v: migrate.to_device_cpages" "$(kv "$t" migrate.to_device_cpages)" $((3 * M))
	expect_eq "$v: migrate.setup_calls_to_device" "$(kv "$t" migrate.setup_calls_to_device)" $((3 * mchunks))
	expect_eq "$v: migrate.cpu_faults" "$(kv "$t" migrate.cpu_faults)" $((3 * M))
	expect_eq "$v: migrate.mismatches" "$(kv "$t" migrate.mismatches)" 0
	expect_eq "$v: storm.ops" "$(kv "$t" storm.ops)" 20
	expect_ge "$v: storm.madvise" "$(kv "$t" storm.madvise)" 1
	expect_ge "$v: storm.mprotect" "$(kv "$t" storm.mprotect)" 1
	expect_ge "$v: storm.munmap" "$(kv "$t" storm.munmap)" 1
	expect_eq "$v: soft_dirty.ops" "$(kv "$t" soft_dirty.ops)" 2
	expect_eq "$v: soft_dirty.errors" "$(kv "$t" soft_dirty.errors)" 0
	expect_eq "$v: uffd_missing.faults" "$(kv "$t" uffd_missing.faults)" 12
	expect_eq "$v: uffd_missing.errors" "$(kv "$t" uffd_missing.errors)" 0
	if [ "$v" = 5.10 ]; then
		# 5.10's test_hmm: READ, WRITE, MIGRATE and SNAPSHOT only; no UFFD_FEATURE_MINOR_SHMEM.
		expect_match "$v: migrate_sys skipped" "$(kv "$t" migrate_sys.skipped)" "no HMM_DMIRROR_MIGRATE_TO_SYS"
		expect_match "$v: exclusive skipped" "$(kv "$t" exclusive.skipped)" "no HMM_DMIRROR_EXCLUSIVE"
		expect_match "$v: uffd_minor skipped" "$(kv "$t" uffd_minor.skipped)" "no UFFD_FEATURE_MINOR_SHMEM"
		expect_eq "$v: migrate_sys.ops" "$(kv "$t" migrate_sys.ops)" 0
		expect_eq "$v: uffd_minor.faults" "$(kv "$t" uffd_minor.faults)" 0
	else
		expect_eq "$v: skipped operations" "$(grep -c '\.skipped=' "$t")" 0
		expect_eq "$v: migrate_sys.to_device_cpages" "$(kv "$t" migrate_sys.to_device_cpages)" $((3 * M))
		expect_eq "$v: migrate_sys.to_system_cpages" "$(kv "$t" migrate_sys.to_system_cpages)" $((3 * M))
		expect_eq "$v: uffd_minor.faults" "$(kv "$t" uffd_minor.faults)" 16
		expect_eq "$v: uffd_minor.errors" "$(kv "$t" uffd_minor.errors)" 0
	fi
	cat "$t"
done
finish
