// SPDX-License-Identifier: GPL-2.0
/*
 * An independent counter for the accuracy test: nothing but the number of hmm_range_fault()
 * calls and of those that returned -EBUSY, with none of hmmscope's code (no shared headers,
 * maps or filters). tests/cases/lab-accuracy.sh sets its totals beside hmmtrace's.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

__u64 calls = 0;
__u64 ebusy = 0;

SEC("fexit/hmm_range_fault")
int BPF_PROG(count_fault, struct hmm_range *range, long ret)
{
	__sync_fetch_and_add(&calls, 1);
	if ((int)ret == -16)
		__sync_fetch_and_add(&ebusy, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
