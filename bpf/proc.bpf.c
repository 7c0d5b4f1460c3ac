// SPDX-License-Identifier: GPL-2.0
/*
 * Following a traced command's children: `hmmtrace record -- COMMAND` and `stat -- COMMAND`
 * filter on the mm owner, and a child that forks gets an mm of its own, owned by itself. The
 * sched_process_fork tracepoint runs in the parent (kernel/fork.c, copy_process() callers), so a
 * parent that is the target or already tracked adds the child. Threads come through here too;
 * their ids never own an mm, so they only take map space. Entries are never removed: a pid is not
 * reused within a trace unless the system wraps pid_max while tracing.
 */
#include "common.bpf.h"

SEC("tracepoint/sched/sched_process_fork")
int handle_fork(struct trace_event_raw_sched_process_fork *ctx)
{
	__u32 parent = bpf_get_current_pid_tgid() >> 32;
	__u32 child;
	__u8 one = 1;

	if (!follow_children || !pid_targeted(parent))
		return 0;
	child = BPF_CORE_READ(ctx, child_pid);
	if (bpf_map_update_elem(&tracked, &child, &one, BPF_ANY))
		counter_add(HMM_C_STATE_DROPS, 1);
	return 0;
}
