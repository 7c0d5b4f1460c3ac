// SPDX-License-Identifier: GPL-2.0
/*
 * Mirroring: hmm_range_fault() and mmu_interval_read_begin().
 *
 * Drivers call hmm_range_fault() in a loop (Documentation/mm/hmm.rst): read_begin, fault, take
 * the driver lock, read_retry, and go round again on -EBUSY. Each call is a record; consecutive
 * -EBUSY calls by one thread on one notifier form a retry chain, whose total time is what the
 * device actually waited.
 */
#include "common.bpf.h"

struct chain_key {
	__u64 notifier;
	__u32 tid;
	__u32 __pad;
};

struct chain {
	__u64 first_ts;
	__u32 attempts; /* completed attempts, all -EBUSY so far */
	__u32 __pad;
	struct hmm_cause cause; /* of the latest -EBUSY */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct chain_key);
	__type(value, struct chain);
} chains SEC(".maps");

/* notifier -> time its latest mmu_interval_read_begin() returned: an invalidation before that
 * cannot have made the following attempt fail. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, __u64);
} read_begin_ts SEC(".maps");

struct pfn_scratch {
	__u64 pfn[HMM_PFN_SCAN_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pfn_scratch);
} fault_scratch SEC(".maps");

/*
 * Blame an -EBUSY: the latest-starting invalidation of this mm that overlapped the notifier's
 * interval and was still running when the notifier's latest read_begin returned, or began after
 * it (its start may be recorded just before read_begin returned, yet bump the sequence after: the
 * interval tree only marks it as invalidating inside _start). An invalidation the driver ignores by
 * convention (MMU_NOTIFY_MIGRATE whose owner is the driver's own dev_private_owner, as test_hmm,
 * nouveau and amdkfd do) cannot bump the sequence, so it is skipped.
 */
static __always_inline void find_cause(struct mmu_interval_notifier *notifier, __u64 mm,
				       __u64 dev_owner, __u64 now, struct hmm_cause *cause, bool btf)
{
	struct inval_ring *ring = bpf_map_lookup_elem(&mm_invals, &mm);
	__u64 key = (__u64)notifier, since = 0, best_ts = 0;
	__u64 istart, ilast, *rb;
	int best = -1;

	if (!ring)
		return;
	rb = bpf_map_lookup_elem(&read_begin_ts, &key);
	if (rb)
		since = *rb;
	istart = READ(btf, notifier, interval_tree.start);
	ilast = READ(btf, notifier, interval_tree.last);
	for (int i = 0; i < INVAL_RING; i++) {
		struct inval_slot *s = &ring->slot[i];

		if (!s->ts || s->ts > now || s->ts <= best_ts)
			continue;
		if (s->end_ts && s->end_ts < since)
			continue; /* over before this attempt began */
		if (s->end <= istart || s->start > ilast)
			continue;
		if (s->event == HMM_EV_MIGRATE && dev_owner && s->owner_ptr == dev_owner)
			continue;
		best = i;
		best_ts = s->ts;
	}
	if (best < 0 || best >= INVAL_RING)
		return;
	cause->found = 1;
	cause->start = ring->slot[best].start;
	cause->end = ring->slot[best].end;
	cause->event = ring->slot[best].event;
	cause->task = ring->slot[best].task;
	cause->ago_ns = now - best_ts;
}

/*
 * Count valid / write / error entries and the largest map order in the output pfn array. The loop
 * body has no data-dependent branch: with 512 iterations, each branch would multiply the states
 * the verifier explores. Orders are collected as a bit mask and its top bit taken afterwards.
 */
static __always_inline void scan_pfns(struct hmm_range *range, struct hmm_rec_fault *rec,
				      bool btf)
{
	__u32 zero = 0, n = rec->npages, valid = 0, write = 0, error = 0, orders = 0;
	__u8 vs = pfn_valid_shift & 63, ws = pfn_write_shift & 63, es = pfn_error_shift & 63;
	__u8 os = pfn_order_shift & 63;
	struct pfn_scratch *buf;
	unsigned long *pfns;

	/* Before 5.8 pfn meanings came from per-driver tables: nothing to decode. */
	if (!pfn_flags_known || !bpf_core_field_exists(range->hmm_pfns))
		return;
	buf = bpf_map_lookup_elem(&fault_scratch, &zero);
	pfns = READ(btf, range, hmm_pfns);
	if (!buf || !pfns)
		return;
	if (n > HMM_PFN_SCAN_MAX) {
		n = HMM_PFN_SCAN_MAX;
		rec->flags |= HMM_FAULT_F_TRUNCATED;
	}
	/* (n - 1) & (MAX - 1) keeps the size provably within the buffer for the verifier. */
	if (n == 0 ||
	    bpf_probe_read_kernel(buf->pfn, (((n - 1) & (HMM_PFN_SCAN_MAX - 1)) + 1) * sizeof(__u64),
				  pfns))
		return;
	for (__u32 i = 0; i < HMM_PFN_SCAN_MAX && i < n; i++) {
		__u64 p = buf->pfn[i];
		__u32 v = (p >> vs) & 1;

		valid += v;
		write += v & (p >> ws);
		error += (p >> es) & 1;
		orders |= (v << ((p >> os) & 0x1f)) & (os ? ~0u : 1u);
	}
	rec->valid = valid;
	rec->write = write & 0xffffffff;
	rec->error = error;
	for (int b = 31; b > 0; b--) {
		if (orders >> b) {
			rec->max_order = b;
			break;
		}
	}
	rec->scanned = n;
}

static __always_inline int fault_entry(struct hmm_range *range)
{
	if (caller_filtered())
		return 0;
	stash_put(HMM_AP_RANGE_FAULT, (__u64)range, 0, 0, 0);
	return 0;
}

/* @range: from fexit (a BTF pointer: @btf) or, for a kretprobe, NULL: the one its entry saved. */
static __always_inline int fault_exit(struct hmm_range *range, int ret, bool btf)
{
	const struct mmu_interval_notifier_ops *nops;
	struct mmu_interval_notifier *notifier;
	struct hmm_task owner = {};
	struct hmm_cause cause = {};
	struct chain_key ckey = {};
	struct hmm_rec_fault *rec;
	__u64 now, dur, mm, ops, start, end, dflags, dev_owner = 0, first_ts;
	__u32 npages, attempt = 1;
	struct chain *ch;
	struct stash st;
	bool owner_known;
	__u16 res;

	if (!stash_take(HMM_AP_RANGE_FAULT, &st))
		return 0;
	now = bpf_ktime_get_ns();
	dur = now - st.ts;
	if (!btf)
		range = (void *)st.a0;
	notifier = READ(btf, range, notifier);
	mm = (__u64)READ(btf, notifier, mm);
	nops = READ(btf, notifier, ops);
	ops = (__u64)READ(btf, nops, invalidate);
	owner_known = task_owner((void *)mm, &owner, btf);
	if (owner_filtered(&owner, owner_known))
		return 0;
	start = READ(btf, range, start);
	end = READ(btf, range, end);
	npages = (end - start) >> page_shift;
	dflags = READ(btf, range, default_flags);
	if (bpf_core_field_exists(range->dev_private_owner))
		dev_owner = (__u64)READ(btf, range, dev_private_owner);
	if (dev_owner && ops) {
		__u64 *known = bpf_map_lookup_elem(&owner_driver, &dev_owner);

		if (!known || *known != ops)
			bpf_map_update_elem(&owner_driver, &dev_owner, &ops, BPF_ANY);
	}
	res = hmm_fault_result(ret);
	if (res == HMM_RES_EBUSY)
		find_cause(notifier, mm, dev_owner, now, &cause, btf);

	/* Retry chains: keyed by thread and notifier. */
	ckey.notifier = (__u64)notifier;
	ckey.tid = (__u32)bpf_get_current_pid_tgid();
	first_ts = st.ts;
	ch = bpf_map_lookup_elem(&chains, &ckey);
	if (ch) {
		attempt = ch->attempts + 1;
		first_ts = ch->first_ts;
	}
	if (res == HMM_RES_EBUSY) {
		if (ch) {
			ch->attempts = attempt;
			ch->cause = cause;
		} else {
			struct chain fresh = { .first_ts = st.ts, .attempts = 1, .cause = cause };

			if (bpf_map_update_elem(&chains, &ckey, &fresh, BPF_ANY))
				counter_add(HMM_C_STATE_DROPS, 1);
		}
	}

	if (aggregate) {
		__u64 *c = counters_get();

		if (c) {
			cnt_add(c, HMM_C_FAULT_CALLS, 1);
			cnt_add(c, HMM_C_FAULT_PAGES, npages);
			cnt_add(c, HMM_C_FAULT_RESULT_BASE + res, 1);
			if (res != HMM_RES_EBUSY) {
				cnt_add(c, HMM_C_CHAINS, 1);
				cnt_add(c, HMM_C_CHAIN_RETRIES, attempt - 1);
			}
		}
		hist_add(ops, HMM_M_FAULT_NS, res, dur);
		if (res != HMM_RES_EBUSY) {
			hist_add(ops, HMM_M_CHAIN_NS, res, now - first_ts);
			hist_add(ops, HMM_M_CHAIN_ATTEMPTS, res, attempt);
		}
	}
	if (per_owner) {
		struct hmm_owner_stats *o = owner_stats_get(&owner, owner_known);

		if (o) {
			o->fault_calls++;
			o->fault_ns += dur;
			o->fault_ebusy += res == HMM_RES_EBUSY;
			o->fault_pages += npages;
		}
	}

	if (emit_events && res != HMM_RES_EBUSY && attempt > 1 && ch) {
		struct hmm_rec_chain *c = rec_reserve(sizeof(*c), HMM_REC_CHAIN, first_ts);

		if (c) {
			c->dur_ns = now - first_ts;
			c->ret = ret;
			c->notifier = (__u64)notifier;
			c->mm = mm;
			c->ops = ops;
			task_current(&c->caller);
			c->owner = owner;
			c->attempts = attempt;
			c->busy = attempt - 1;
			c->cause = ch->cause;
			c->flags = 0;
			c->__pad = 0;
			rec_submit(c);
		}
	}
	if (res != HMM_RES_EBUSY && ch)
		bpf_map_delete_elem(&chains, &ckey);

	if (!emit_events || dur < min_dur_ns)
		return 0;
	rec = rec_reserve(sizeof(*rec), HMM_REC_FAULT, st.ts);
	if (!rec)
		return 0;
	rec->dur_ns = dur;
	rec->ret = ret;
	rec->start = start;
	rec->end = end;
	rec->notifier = (__u64)notifier;
	rec->mm = mm;
	rec->ops = ops;
	task_current(&rec->caller);
	rec->owner = owner;
	rec->npages = npages;
	rec->valid = rec->write = rec->error = rec->scanned = 0;
	rec->max_order = 0;
	rec->attempt = attempt;
	rec->flags = owner_known ? HMM_FAULT_F_OWNER_KNOWN : 0;
	/* HMM_PFN_REQ_FAULT / _REQ_WRITE are HMM_PFN_VALID / _WRITE (include/linux/hmm.h). */
	if (pfn_flags_known) {
		if ((dflags >> (pfn_valid_shift & 63)) & 1)
			rec->flags |= HMM_FAULT_F_FAULT;
		if ((dflags >> (pfn_write_shift & 63)) & 1)
			rec->flags |= HMM_FAULT_F_WRITE;
	}
	rec->cause = cause;
	if (ret == 0)
		scan_pfns(range, rec, btf);
	rec_submit(rec);
	return 0;
}

SEC("fentry/hmm_range_fault")
int BPF_PROG(fentry_hmm_range_fault, struct hmm_range *range)
{
	return fault_entry(range);
}

SEC("fexit/hmm_range_fault")
int BPF_PROG(fexit_hmm_range_fault, struct hmm_range *range, long ret)
{
	return fault_exit(range, RET_INT(ret), true);
}

SEC("kprobe/hmm_range_fault")
int BPF_KPROBE(kprobe_hmm_range_fault, struct hmm_range *range)
{
	return fault_entry(range);
}

SEC("kretprobe/hmm_range_fault")
int BPF_KRETPROBE(kretprobe_hmm_range_fault, long ret)
{
	return fault_exit(NULL, RET_INT(ret), false);
}

/* mmu_interval_read_begin() sleeps while an invalidation of the interval is in progress. */
static __always_inline int read_begin_entry(struct mmu_interval_notifier *notifier)
{
	if (caller_filtered())
		return 0;
	stash_put(HMM_AP_READ_BEGIN, (__u64)notifier, 0, 0, 0);
	return 0;
}

/* @notifier: from fexit (a BTF pointer: @btf), or NULL: the one the kprobe saved. */
static __always_inline int read_begin_exit(struct mmu_interval_notifier *notifier, bool btf)
{
	struct hmm_rec_read_begin *rec;
	__u64 now, dur, key, mm, *rb;
	struct hmm_task owner = {};
	struct stash st;

	if (!stash_take(HMM_AP_READ_BEGIN, &st))
		return 0;
	now = bpf_ktime_get_ns();
	dur = now - st.ts;
	if (!btf)
		notifier = (void *)st.a0;
	key = st.a0;
	/* In place after the first time: an LRU insert per call is the expensive part. */
	rb = bpf_map_lookup_elem(&read_begin_ts, &key);
	if (rb)
		*rb = now;
	else
		bpf_map_update_elem(&read_begin_ts, &key, &now, BPF_NOEXIST);
	mm = (__u64)READ(btf, notifier, mm);
	/* The owner is needed to filter on it and to attribute the record, not to aggregate. */
	if ((targ_owner || emit_events) &&
	    owner_filtered(&owner, task_owner((void *)mm, &owner, btf)))
		return 0;
	if (aggregate) {
		counter_add(HMM_C_READ_BEGIN, 1);
		hist_add(0, HMM_M_READ_BEGIN_NS, 0, dur);
	}
	if (!emit_events || dur < min_dur_ns)
		return 0;
	rec = rec_reserve(sizeof(*rec), HMM_REC_READ_BEGIN, st.ts);
	if (!rec)
		return 0;
	rec->dur_ns = dur;
	rec->notifier = key;
	rec->mm = mm;
	task_current(&rec->caller);
	rec->owner = owner;
	rec_submit(rec);
	return 0;
}

SEC("fentry/mmu_interval_read_begin")
int BPF_PROG(fentry_mmu_interval_read_begin, struct mmu_interval_notifier *notifier)
{
	return read_begin_entry(notifier);
}

SEC("fexit/mmu_interval_read_begin")
int BPF_PROG(fexit_mmu_interval_read_begin, struct mmu_interval_notifier *notifier, long ret)
{
	return read_begin_exit(notifier, true);
}

SEC("kprobe/mmu_interval_read_begin")
int BPF_KPROBE(kprobe_mmu_interval_read_begin, struct mmu_interval_notifier *notifier)
{
	return read_begin_entry(notifier);
}

SEC("kretprobe/mmu_interval_read_begin")
int BPF_KRETPROBE(kretprobe_mmu_interval_read_begin, long ret)
{
	return read_begin_exit(NULL, false);
}
