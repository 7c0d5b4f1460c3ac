// SPDX-License-Identifier: GPL-2.0
/*
 * Invalidation: __mmu_notifier_invalidate_range_start() / _end() (mm/mmu_notifier.c). Every
 * munmap, madvise, mprotect, COW, THP split, compaction, NUMA balancing or migration of a mirrored
 * range lands here; the time in _start is all subscribers' callbacks, i.e. the device TLB
 * shootdown. A failed _start (-EAGAIN, non-blockable) has no _end.
 */
#include "common.bpf.h"

struct inval {
	__u64 ts;
	__u64 start_ns;
	__u64 start;
	__u64 end;
	__u64 mm;
	__u64 owner_ptr;
	struct hmm_task task;
	struct hmm_task owner;
	__s32 ret;
	__u8 event;
	__u8 flags;
	__u8 ring_idx; /* its slot in mm_invals, to record when it ended */
	__u8 __pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64); /* struct mmu_notifier_range *: lives on the invalidator's stack */
	__type(value, struct inval);
} invals SEC(".maps");

/* Remember the invalidation per mm, at entry: the sequence bump that makes a concurrent
 * hmm_range_fault() return -EBUSY happens inside _start. Returns the slot used. */
static __always_inline __u32 ring_push(__u64 mm, __u64 ts, __u64 start, __u64 end, __u64 owner_ptr,
				       __u8 event)
{
	struct inval_ring *ring = bpf_map_lookup_elem(&mm_invals, &mm);
	struct inval_slot *s;
	__u32 idx;

	if (!ring) {
		static struct inval_ring zero_ring;

		bpf_map_update_elem(&mm_invals, &mm, &zero_ring, BPF_NOEXIST);
		ring = bpf_map_lookup_elem(&mm_invals, &mm);
		if (!ring)
			return INVAL_RING;
	}
	/* Not atomic: two CPUs racing may share a slot, which costs one candidate cause, and a
	 * fetch-and-add with a result needs BPF v3 atomics (5.12). */
	idx = ring->head++ % INVAL_RING;
	if (idx >= INVAL_RING)
		return INVAL_RING;
	s = &ring->slot[idx];
	s->ts = ts;
	s->end_ts = 0;
	s->start = start;
	s->end = end;
	s->owner_ptr = owner_ptr;
	s->event = event;
	task_current(&s->task);
	return idx;
}

/* The invalidation in slot idx (if still its own) has ended: it can no longer cause an -EBUSY
 * for an attempt that begins after now. */
static __always_inline void ring_end(__u64 mm, __u32 idx, __u64 ts, __u64 now)
{
	struct inval_ring *ring = bpf_map_lookup_elem(&mm_invals, &mm);

	if (ring && idx < INVAL_RING && ring->slot[idx].ts == ts)
		ring->slot[idx].end_ts = now;
}

static __always_inline int start_entry(struct mmu_notifier_range *range)
{
	__u64 mm = (__u64)BPF_CORE_READ(range, mm), ts = bpf_ktime_get_ns();
	__u32 idx;

	idx = ring_push(mm, ts, BPF_CORE_READ(range, start), BPF_CORE_READ(range, end),
			notifier_range_owner(range), notifier_event(range));
	/* The ring is kept for every caller: the cause of a traced -EBUSY may be anyone's. */
	if (caller_filtered()) {
		ring_end(mm, idx, ts, ts);
		return 0;
	}
	stash_put(HMM_AP_INVAL_START, (__u64)range, idx, 0, 0);
	return 0;
}

static __always_inline void inval_emit(struct inval *iv, __u64 end_ns)
{
	struct hmm_rec_inval *rec;
	__u64 pages = (iv->end - iv->start) >> page_shift;
	__u8 ev = iv->event < HMM_EV_MAX ? iv->event : HMM_EV_UNKNOWN;

	if (aggregate) {
		counter_add(HMM_C_INVAL_BASE + ev, 1);
		counter_add(HMM_C_INVAL_PAGES_BASE + ev, pages);
		if (iv->ret)
			counter_add(HMM_C_INVAL_EAGAIN, 1);
		hist_add(0, HMM_M_INVAL_START_NS, ev, iv->start_ns);
		if (!(iv->flags & HMM_INVAL_F_NO_END))
			hist_add(0, HMM_M_INVAL_END_NS, ev, end_ns);
	}
	if (!emit_events || iv->start_ns + end_ns < min_dur_ns)
		return;
	rec = rec_reserve(sizeof(*rec), HMM_REC_INVAL, iv->ts);
	if (!rec)
		return;
	rec->start_ns = iv->start_ns;
	rec->end_ns = end_ns;
	rec->start = iv->start;
	rec->end = iv->end;
	rec->mm = iv->mm;
	rec->owner_ptr = iv->owner_ptr;
	rec->task = iv->task;
	rec->owner = iv->owner;
	rec->ret = iv->ret;
	rec->event = ev;
	rec->flags = iv->flags;
	rec->__pad[0] = rec->__pad[1] = 0;
	bpf_ringbuf_submit(rec, 0);
}

static __always_inline int start_exit(int ret)
{
	struct mmu_notifier_range *range;
	struct inval iv = {};
	struct stash st;
	__u64 now, key;

	if (!stash_take(HMM_AP_INVAL_START, &st))
		return 0;
	now = bpf_ktime_get_ns();
	range = (void *)st.a0;
	iv.mm = (__u64)BPF_CORE_READ(range, mm);
	if (task_owner((void *)iv.mm, &iv.owner))
		iv.flags |= HMM_INVAL_F_OWNER_KNOWN;
	if (owner_filtered(&iv.owner, iv.flags & HMM_INVAL_F_OWNER_KNOWN))
		return 0;
	iv.ts = st.ts;
	iv.start_ns = now - st.ts;
	iv.start = BPF_CORE_READ(range, start);
	iv.end = BPF_CORE_READ(range, end);
	iv.owner_ptr = notifier_range_owner(range);
	iv.event = notifier_event(range);
	/* MMU_NOTIFIER_RANGE_BLOCKABLE is (1 << 0) since 5.2 (a #define: not relocatable). */
	if (bpf_core_field_exists(range->flags) && (BPF_CORE_READ(range, flags) & 1))
		iv.flags |= HMM_INVAL_F_BLOCKABLE;
	iv.ret = ret;
	iv.ring_idx = st.a1;
	task_current(&iv.task);
	if (ret) {
		iv.flags |= HMM_INVAL_F_NO_END;
		ring_end(iv.mm, iv.ring_idx, iv.ts, now);
		inval_emit(&iv, 0);
		return 0;
	}
	key = st.a0;
	if (bpf_map_update_elem(&invals, &key, &iv, BPF_ANY))
		counter_add(HMM_C_STATE_DROPS, 1);
	return 0;
}

static __always_inline int end_entry(struct mmu_notifier_range *range)
{
	__u64 key = (__u64)range;

	if (bpf_map_lookup_elem(&invals, &key))
		stash_put(HMM_AP_INVAL_END, key, 0, 0, 0);
	return 0;
}

static __always_inline int end_exit(void)
{
	struct stash st;
	struct inval *iv;
	__u64 now;

	if (!stash_take(HMM_AP_INVAL_END, &st))
		return 0;
	iv = bpf_map_lookup_elem(&invals, &st.a0);
	if (!iv)
		return 0;
	now = bpf_ktime_get_ns();
	ring_end(iv->mm, iv->ring_idx, iv->ts, now);
	inval_emit(iv, now - st.ts);
	bpf_map_delete_elem(&invals, &st.a0);
	return 0;
}

SEC("fentry/__mmu_notifier_invalidate_range_start")
int BPF_PROG(fentry___mmu_notifier_invalidate_range_start, struct mmu_notifier_range *range)
{
	return start_entry(range);
}

SEC("fexit/__mmu_notifier_invalidate_range_start")
int BPF_PROG(fexit___mmu_notifier_invalidate_range_start, struct mmu_notifier_range *range,
	     long ret)
{
	return start_exit(RET_INT(ret));
}

SEC("kprobe/__mmu_notifier_invalidate_range_start")
int BPF_KPROBE(kprobe___mmu_notifier_invalidate_range_start, struct mmu_notifier_range *range)
{
	return start_entry(range);
}

SEC("kretprobe/__mmu_notifier_invalidate_range_start")
int BPF_KRETPROBE(kretprobe___mmu_notifier_invalidate_range_start, long ret)
{
	return start_exit(RET_INT(ret));
}

SEC("fentry/__mmu_notifier_invalidate_range_end")
int BPF_PROG(fentry___mmu_notifier_invalidate_range_end, struct mmu_notifier_range *range)
{
	return end_entry(range);
}

SEC("fexit/__mmu_notifier_invalidate_range_end")
int BPF_PROG(fexit___mmu_notifier_invalidate_range_end, struct mmu_notifier_range *range)
{
	return end_exit();
}

SEC("kprobe/__mmu_notifier_invalidate_range_end")
int BPF_KPROBE(kprobe___mmu_notifier_invalidate_range_end, struct mmu_notifier_range *range)
{
	return end_entry(range);
}

SEC("kretprobe/__mmu_notifier_invalidate_range_end")
int BPF_KRETPROBE(kretprobe___mmu_notifier_invalidate_range_end)
{
	return end_exit();
}
