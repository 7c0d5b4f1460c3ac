// SPDX-License-Identifier: GPL-2.0
/*
 * The neighbouring fault path: handle_userfault() (fs/userfaultfd.c). Its duration is how long
 * the faulting thread waited for the userfaultfd handler (MISSING, WP or MINOR).
 */
#include "common.bpf.h"

static __always_inline int uffd_entry(struct vm_fault *vmf, unsigned long reason)
{
	struct stash st = { .uffd.reason = reason };

	if (caller_filtered())
		return 0;
	st.uffd.address = BPF_CORE_READ(vmf, address);
	stash_put(HMM_AP_USERFAULT, st);
	return 0;
}

static __always_inline int uffd_exit(__u32 ret)
{
	struct hmm_rec_uffd *rec;
	struct stash st;
	__u64 dur;
	__u8 reason;

	if (!stash_take(HMM_AP_USERFAULT, &st))
		return 0;
	/* The faulting thread is in the mm's own process: its tgid is the owner. */
	if (targ_owner && !pid_targeted(bpf_get_current_pid_tgid() >> 32))
		return 0;
	dur = bpf_ktime_get_ns() - st.ts;
	reason = uffd_reason(st.uffd.reason);
	if (aggregate) {
		counter_add(HMM_C_UFFD_BASE + reason, 1);
		hist_add(0, HMM_M_UFFD_NS, reason, dur);
	}
	if (!emit_events || dur < min_dur_ns)
		return 0;
	rec = rec_reserve(sizeof(*rec), HMM_REC_UFFD, st.ts);
	if (!rec)
		return 0;
	rec->dur_ns = dur;
	rec->address = st.uffd.address;
	task_current(&rec->task);
	rec->ret = ret;
	rec->reason = reason;
	rec->__pad[0] = rec->__pad[1] = rec->__pad[2] = 0;
	rec_submit(rec);
	return 0;
}

SEC("fentry/handle_userfault")
int BPF_PROG(fentry_handle_userfault, struct vm_fault *vmf, unsigned long reason)
{
	return uffd_entry(vmf, reason);
}

SEC("fexit/handle_userfault")
int BPF_PROG(fexit_handle_userfault, struct vm_fault *vmf, unsigned long reason, long ret)
{
	return uffd_exit((__u32)ret);
}

SEC("kprobe/handle_userfault")
int BPF_KPROBE(kprobe_handle_userfault, struct vm_fault *vmf, unsigned long reason)
{
	return uffd_entry(vmf, reason);
}

SEC("kretprobe/handle_userfault")
int BPF_KRETPROBE(kretprobe_handle_userfault, long ret)
{
	return uffd_exit((__u32)ret);
}
