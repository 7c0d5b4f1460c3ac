// SPDX-License-Identifier: GPL-2.0
/*
 * Invalidation: __mmu_notifier_invalidate_range_start() / _end() (mm/mmu_notifier.c). Every
 * munmap, madvise, mprotect, COW, THP split, compaction, NUMA balancing or migration of a mirrored
 * range lands here; the time in _start is all subscribers' callbacks, i.e. the device TLB
 * shootdown. A failed _start (-EAGAIN, non-blockable) has no _end.
 */
#include "common.bpf.h"

struct inval {
	__u64 range; /* struct mmu_notifier_range *: matches _end to its _start */
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

/*
 * Invalidations between _start and _end, per thread: a stack, because they nest (a THP split
 * inside a zap, __split_huge_pmd(), runs its own start/end inside the zap's). One slot per thread
 * reused in place, so tracing an invalidation inserts and deletes nothing.
 */
#define INVAL_DEPTH 4

struct open_invals {
	__u32 depth;
	__u32 __pad;
	struct inval lvl[INVAL_DEPTH];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32); /* tid */
	__type(value, struct open_invals);
} open_invals SEC(".maps");

static struct open_invals zero_open;

/*
 * Kernel stacks of invalidations (cause_stacks, --stacks): what tells a khugepaged collapse from
 * a MADV_DONTNEED, both MMU_NOTIFY_CLEAR. Each distinct stack is stored once under an id, which
 * keeps its stack: userspace reads it after the records naming it. inval_stacks maps the id to
 * the stack (HMM_STACK_DEPTH frames, zero-filled past its depth); stack_ids maps a 64-bit hash
 * of the stack to its id and depth, and a stack found by its hash is compared frame by frame
 * with the one stored. A stack is lost only when the maps are full or another stack has its
 * hash (counted, never silent; with 64 bits the second does not happen in practice). lib/
 * shrinks both maps to one entry without cause_stacks.
 *
 * Not a BPF_MAP_TYPE_STACK_TRACE (bpf_get_stackid()): it keeps one stack per hash bucket and
 * refuses another that falls in a full bucket (-EEXIST), so with k distinct stacks some pair
 * collides with a chance of about k * k / (2 * buckets): for the dozen or so stacks of one
 * workload's invalidations, 0.2% even with 32768 buckets (17 MB). Nor a hash map keyed by the
 * whole stack: the kernel hashes and compares all 512 bytes of such a key, about 2,500
 * instructions more per invalidation than hashing and comparing only the frames there are.
 */
#define INVAL_STACKS_MAX 8192

struct stack_ips {
	__u64 ip[HMM_STACK_DEPTH];
};

struct stack_id {
	__u32 id;
	__u32 depth;
};

/* bpf_get_stack()'s buffer, 512 bytes: more than the BPF stack can spare. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stack_ips);
} stack_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, INVAL_STACKS_MAX);
	__type(key, __u64); /* stack_hash() */
	__type(value, struct stack_id);
} stack_ids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, INVAL_STACKS_MAX);
	__type(key, __u32);
	__type(value, struct stack_ips);
} inval_stacks SEC(".maps");

/* The next stack's id: ids count the distinct stacks, in the order they were first seen. Not
 * atomic (a fetch-and-add with a result needs BPF v3 atomics, 5.12): an id is taken by storing
 * the stack under it with BPF_NOEXIST, and a program that lost a race for it takes the next. */
static __u32 stack_next;
#define STACK_ID_TRIES 8

/* The first depth frames, mixed a word at a time (multiply, xor-shift), and the depth. */
static __always_inline __u64 stack_hash(const struct stack_ips *s, __u32 depth)
{
	__u64 h = depth;

	for (int i = 0; i < HMM_STACK_DEPTH; i++) {
		if (i >= depth)
			break;
		h = (h ^ s->ip[i]) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 32;
	}
	return h;
}

/* Whether the first depth frames of a and b are the same. */
static __always_inline bool stack_same(const struct stack_ips *a, const struct stack_ips *b,
				       __u32 depth)
{
	for (int i = 0; i < HMM_STACK_DEPTH; i++) {
		if (i >= depth)
			break;
		if (a->ip[i] != b->ip[i])
			return false;
	}
	return true;
}

/* This invalidation's stack as struct hmm_cause.stack: id + 1, or 0 without cause_stacks or
 * when it could not be taken or stored: counted, never silent. */
static __always_inline __u32 inval_stack(void *ctx)
{
	struct stack_ips *ips, *stored;
	struct stack_id *known, new;
	__u32 zero = 0, depth;
	long n;
	__u64 h;

	if (!cause_stacks)
		return 0;
	ips = bpf_map_lookup_elem(&stack_scratch, &zero);
	if (!ips)
		goto drop;
	/* Zero-filled past the frames it took: userspace reads the stored frames up to a 0. */
	n = bpf_get_stack(ctx, ips, sizeof(*ips), 0);
	if (n <= 0)
		goto drop;
	depth = (__u32)n / sizeof(__u64);
	h = stack_hash(ips, depth);
	known = bpf_map_lookup_elem(&stack_ids, &h);
	if (known) {
		new.id = known->id;
		stored = bpf_map_lookup_elem(&inval_stacks, &new.id);
		if (stored && known->depth == depth && stack_same(stored, ips, depth))
			return new.id + 1;
		goto drop; /* another stack with this hash */
	}
	/* A new stack: take an id by storing it there, then name the id by the hash. */
	new.depth = depth;
	for (int i = 0; i < STACK_ID_TRIES; i++) {
		new.id = stack_next++;
		if (new.id == (__u32)-1) /* id + 1 would be 0, "no stack" */
			continue;
		if (!bpf_map_update_elem(&inval_stacks, &new.id, ips, BPF_NOEXIST)) {
			/* Another CPU storing the same stack meanwhile gives it a second id: both
			 * name the right frames. */
			bpf_map_update_elem(&stack_ids, &h, &new, BPF_NOEXIST);
			return new.id + 1;
		}
	}
drop:
	counter_add(HMM_C_STACK_DROPS, 1);
	return 0;
}

static __always_inline struct open_invals *open_get(bool create)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	return create ? lookup_or_init(&open_invals, &tid, &zero_open) :
			bpf_map_lookup_elem(&open_invals, &tid);
}

/* The level of range in this thread's stack, or -1. Levels above it were never ended (their
 * _end was not seen): they are dropped when it ends. */
static __always_inline int open_find(struct open_invals *o, __u64 range)
{
	for (int i = INVAL_DEPTH - 1; i >= 0; i--)
		if (i < o->depth && o->lvl[i].range == range)
			return i;
	return -1;
}

/* Remember the invalidation per mm, at entry: the sequence bump that makes a concurrent
 * hmm_range_fault() return -EBUSY happens inside _start. Returns the slot used. */
static __always_inline __u32 ring_push(__u64 mm, __u64 ts, __u64 start, __u64 end, __u64 owner_ptr,
				       __u8 event, __u32 stack)
{
	static struct inval_ring zero_ring;
	struct inval_ring *ring = lookup_or_init(&mm_invals, &mm, &zero_ring);
	struct inval_slot *s;
	__u32 idx;

	if (!ring)
		return INVAL_RING;
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
	s->stack = stack;
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

/* @btf: range is an fentry argument (see READ() in core_fixes.bpf.h); @ctx: the program's, for
 * its stack. */
static __always_inline int start_entry(void *ctx, struct mmu_notifier_range *range, bool btf)
{
	__u64 mm = (__u64)READ(btf, range, mm), ts = bpf_ktime_get_ns();
	__u32 idx;

	eviction_saw_mm(mm);
	idx = ring_push(mm, ts, READ(btf, range, start), READ(btf, range, end),
			notifier_range_owner(range, btf), notifier_event(range, btf),
			inval_stack(ctx));
	/* The ring is kept for every caller: the cause of a traced -EBUSY may be anyone's. */
	if (caller_filtered()) {
		ring_end(mm, idx, ts, ts);
		return 0;
	}
	stash_put(HMM_AP_INVAL_START,
		  (struct stash){ .inval.range = (__u64)range, .inval.ring_idx = idx });
	return 0;
}

static __always_inline void inval_emit(struct inval *iv, __u64 end_ns)
{
	struct hmm_rec_inval *rec;
	__u64 pages = hmm_inval_pages(iv->start, iv->end, page_shift);
	__u8 ev = iv->event < HMM_EV_MAX ? iv->event : HMM_EV_UNKNOWN;

	if (aggregate) {
		__u64 *c = counters_get();

		if (c) {
			cnt_add(c, HMM_C_INVAL_BASE + ev, 1);
			cnt_add(c, HMM_C_INVAL_PAGES_BASE + ev, pages);
			if (iv->ret)
				cnt_add(c, HMM_C_INVAL_EAGAIN, 1);
		}
		hist_add(0, HMM_M_INVAL_START_NS, ev, iv->start_ns);
		if (!(iv->flags & HMM_INVAL_F_NO_END))
			hist_add(0, HMM_M_INVAL_END_NS, ev, end_ns);
	}
	if (per_owner) {
		struct hmm_owner_stats *o =
			owner_stats_get(&iv->owner, iv->flags & HMM_INVAL_F_OWNER_KNOWN);

		if (o) {
			o->inval_calls++;
			o->inval_ns += iv->start_ns + end_ns;
		}
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
	rec_submit(rec);
}

/* @range: from fexit (a BTF pointer: @btf), or NULL: the one the kprobe saved. */
static __always_inline int start_exit(struct mmu_notifier_range *range, int ret, bool btf)
{
	struct open_invals *o;
	struct inval iv = {};
	struct stash st;
	__u32 d;
	__u64 now;

	if (!stash_take(HMM_AP_INVAL_START, &st))
		return 0;
	now = bpf_ktime_get_ns();
	if (!btf)
		range = (void *)st.inval.range;
	iv.mm = (__u64)READ(btf, range, mm);
	if (task_owner((void *)iv.mm, &iv.owner, btf))
		iv.flags |= HMM_INVAL_F_OWNER_KNOWN;
	if (owner_filtered(&iv.owner, iv.flags & HMM_INVAL_F_OWNER_KNOWN))
		return 0;
	iv.ts = st.ts;
	iv.start_ns = now - st.ts;
	iv.start = READ(btf, range, start);
	iv.end = READ(btf, range, end);
	iv.owner_ptr = notifier_range_owner(range, btf);
	iv.event = notifier_event(range, btf);
	/* MMU_NOTIFIER_RANGE_BLOCKABLE is (1 << 0) since 5.2 (a #define: not relocatable). */
	if (bpf_core_field_exists(range->flags) && (READ(btf, range, flags) & 1))
		iv.flags |= HMM_INVAL_F_BLOCKABLE;
	iv.ret = ret;
	iv.ring_idx = st.inval.ring_idx;
	iv.range = st.inval.range;
	task_current(&iv.task);
	if (ret) {
		iv.flags |= HMM_INVAL_F_NO_END;
		ring_end(iv.mm, iv.ring_idx, iv.ts, now);
		inval_emit(&iv, 0);
		return 0;
	}
	o = open_get(true);
	if (!o) {
		counter_add(HMM_C_STATE_DROPS, 1);
		return 0;
	}
	d = o->depth;
	if (d >= INVAL_DEPTH) {
		counter_add(HMM_C_STATE_DROPS, 1);
		return 0;
	}
	o->lvl[d] = iv;
	o->depth = d + 1;
	return 0;
}

static __always_inline int end_entry(struct mmu_notifier_range *range)
{
	struct open_invals *o = open_get(false);

	if (o && open_find(o, (__u64)range) >= 0)
		stash_put(HMM_AP_INVAL_END, (struct stash){ .inval.range = (__u64)range });
	return 0;
}

static __always_inline int end_exit(void)
{
	struct open_invals *o;
	struct stash st;
	struct inval *iv;
	int i;
	__u64 now;

	if (!stash_take(HMM_AP_INVAL_END, &st))
		return 0;
	o = open_get(false);
	if (!o)
		return 0;
	i = open_find(o, st.inval.range);
	if (i < 0 || i >= INVAL_DEPTH)
		return 0;
	if (o->depth > i + 1) /* inner ones whose _end never came */
		counter_add(HMM_C_STATE_DROPS, o->depth - (i + 1));
	o->depth = i;
	iv = &o->lvl[i];
	now = bpf_ktime_get_ns();
	ring_end(iv->mm, iv->ring_idx, iv->ts, now);
	inval_emit(iv, now - st.ts);
	return 0;
}

SEC("fentry/__mmu_notifier_invalidate_range_start")
int BPF_PROG(fentry___mmu_notifier_invalidate_range_start, struct mmu_notifier_range *range)
{
	return start_entry(ctx, range, true);
}

SEC("fexit/__mmu_notifier_invalidate_range_start")
int BPF_PROG(fexit___mmu_notifier_invalidate_range_start, struct mmu_notifier_range *range,
	     long ret)
{
	return start_exit(range, RET_INT(ret), true);
}

SEC("kprobe/__mmu_notifier_invalidate_range_start")
int BPF_KPROBE(kprobe___mmu_notifier_invalidate_range_start, struct mmu_notifier_range *range)
{
	return start_entry(ctx, range, false);
}

SEC("kretprobe/__mmu_notifier_invalidate_range_start")
int BPF_KRETPROBE(kretprobe___mmu_notifier_invalidate_range_start, long ret)
{
	return start_exit(NULL, RET_INT(ret), false);
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
