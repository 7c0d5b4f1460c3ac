// SPDX-License-Identifier: GPL-2.0
/*
 * An independent counter for the accuracy test: nothing but counts, with none of hmmscope's code
 * (no shared headers, maps or filters). tests/cases/lab-record.sh sets its totals beside
 * hmmtrace's.
 *  - hmm_range_fault() calls and those that returned -EBUSY;
 *  - 7.x: hmm_range_fault_unlocked_timeout() calls, those that returned -EBUSY (timed out), and
 *    their rounds: the calls of the static hmm_range_fault_locked() a thread makes inside one
 *    (where the kernel kept it out of line, as the lab's 7.3 does), and those that returned
 *    -EBUSY. hmmscope sees rounds another way (its mmu_interval_read_begin() boundaries), so the
 *    two agreeing is a check of that. count.c loads only the programs whose functions exist.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

__u64 calls = 0;
__u64 ebusy = 0;
__u64 ucalls = 0;
__u64 urounds = 0;
__u64 ubusy = 0;
__u64 utimeouts = 0;

/* Threads inside hmm_range_fault_unlocked_timeout(). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u8);
} inside SEC(".maps");

SEC("fexit/hmm_range_fault")
int BPF_PROG(count_fault, struct hmm_range *range, long ret)
{
	__sync_fetch_and_add(&calls, 1);
	if ((int)ret == -16)
		__sync_fetch_and_add(&ebusy, 1);
	return 0;
}

SEC("fentry/hmm_range_fault_unlocked_timeout")
int BPF_PROG(enter_unlocked, struct hmm_range *range)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u8 one = 1;

	bpf_map_update_elem(&inside, &tid, &one, BPF_ANY);
	return 0;
}

SEC("fexit/hmm_range_fault_unlocked_timeout")
int BPF_PROG(count_unlocked, struct hmm_range *range, unsigned long timeout, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	bpf_map_delete_elem(&inside, &tid);
	__sync_fetch_and_add(&ucalls, 1);
	if ((int)ret == -16)
		__sync_fetch_and_add(&utimeouts, 1);
	return 0;
}

SEC("fexit/hmm_range_fault_locked")
int BPF_PROG(count_round, struct hmm_range *range, bool *locked, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	/* hmm_range_fault() calls it too: only rounds inside an unlocked call count here. */
	if (!bpf_map_lookup_elem(&inside, &tid))
		return 0;
	__sync_fetch_and_add(&urounds, 1);
	if ((int)ret == -16)
		__sync_fetch_and_add(&ubusy, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
