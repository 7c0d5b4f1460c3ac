#!/bin/bash
# Boot each lab kernel, run the workload generator with fixed counts, and check its totals
# against what the test_hmm driver reported back (cmd.faults / cmd.cpages) and against the counts
# the workload makes known: every operation, page and fault accounted for exactly.
. "$(dirname "$0")/../lib.sh"

M=100 # pages per operation: not a multiple of 64, so every operation spans two driver chunks
args=(-q -m $M --reads 8 --writes 6 --snapshots 4 --migrate 3 --migrate-sys 3 --storm 20
	--exclusive 2 --soft-dirty 2 --uffd-minor 16 --uffd-missing 12)

for v in ${LAB_ONLY:-6.1 6.12}; do
	echo "== lab kernel $v"
	lab_ready "$v"
	log=$(mktemp)
	"$LAB/run.sh" -q -k "$v" -t 300 -l "$log" "$ROOT/tests/lab/workload.sh" "${args[@]}"
	rc=$?
	t=$(mktemp)
	sed -n '/^WORKLOAD-TOTALS-BEGIN/,/^WORKLOAD-TOTALS-END/p' "$log" | tr -d '\r' >"$t"
	expect_status "$v: workload" $rc 0
	expect_eq "$v: result" "$(kv "$t" result)" ok
	expect_eq "$v: pages_per_op" "$(kv "$t" pages_per_op)" $M
	for op in read write; do
		n=$([ $op = read ] && echo 8 || echo 6)
		expect_eq "$v: $op.ops" "$(kv "$t" $op.ops)" $n
		expect_eq "$v: $op.pages" "$(kv "$t" $op.pages)" $((n * M))
		expect_eq "$v: $op.driver_cpages" "$(kv "$t" $op.driver_cpages)" $((n * M))
		# One fault round per ioctl on fresh memory (dmirror_read/dmirror_write).
		expect_eq "$v: $op.driver_faults" "$(kv "$t" $op.driver_faults)" $n
		expect_eq "$v: $op.range_fault_calls_min" "$(kv "$t" $op.range_fault_calls_min)" $((n * 2))
		expect_eq "$v: $op.errors" "$(kv "$t" $op.errors)" 0
		expect_eq "$v: $op.mismatches" "$(kv "$t" $op.mismatches)" 0
	done
	expect_eq "$v: snapshot.driver_cpages" "$(kv "$t" snapshot.driver_cpages)" $((4 * M))
	expect_eq "$v: snapshot.errors" "$(kv "$t" snapshot.errors)" 0
	expect_eq "$v: migrate.to_device_cpages" "$(kv "$t" migrate.to_device_cpages)" $((3 * M))
	expect_eq "$v: migrate.setup_calls_to_device" "$(kv "$t" migrate.setup_calls_to_device)" 6
	expect_eq "$v: migrate.cpu_faults" "$(kv "$t" migrate.cpu_faults)" $((3 * M))
	expect_eq "$v: migrate.mismatches" "$(kv "$t" migrate.mismatches)" 0
	expect_eq "$v: migrate_sys.to_device_cpages" "$(kv "$t" migrate_sys.to_device_cpages)" $((3 * M))
	expect_eq "$v: migrate_sys.to_system_cpages" "$(kv "$t" migrate_sys.to_system_cpages)" $((3 * M))
	expect_eq "$v: storm.ops" "$(kv "$t" storm.ops)" 20
	expect_ge "$v: storm.madvise" "$(kv "$t" storm.madvise)" 1
	expect_ge "$v: storm.mprotect" "$(kv "$t" storm.mprotect)" 1
	expect_ge "$v: storm.munmap" "$(kv "$t" storm.munmap)" 1
	expect_eq "$v: soft_dirty.ops" "$(kv "$t" soft_dirty.ops)" 2
	expect_eq "$v: soft_dirty.errors" "$(kv "$t" soft_dirty.errors)" 0
	expect_eq "$v: uffd_minor.faults" "$(kv "$t" uffd_minor.faults)" 16
	expect_eq "$v: uffd_minor.errors" "$(kv "$t" uffd_minor.errors)" 0
	expect_eq "$v: uffd_missing.faults" "$(kv "$t" uffd_missing.faults)" 12
	expect_eq "$v: uffd_missing.errors" "$(kv "$t" uffd_missing.errors)" 0
	cat "$t"
	rm -f "$log" "$t"
done
finish
