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

/* stat --stacks: -EBUSY attempts per cause stack (struct hmm_stack_agg). lib/ shrinks it to one
 * entry without cause_stacks. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct hmm_stack_agg);
} stack_retries SEC(".maps");

/* A global function, checked once on its own: the fault path only calls it (with cause_stacks,
 * in aggregation mode, for an -EBUSY whose cause has a stack). A full map counts in
 * HMM_C_STATE_DROPS. */
static struct hmm_stack_agg zero_agg;

__noinline int hmm_stack_retry(__u32 stack, __u64 dur)
{
	struct hmm_stack_agg *v = lookup_or_init(&stack_retries, &stack, &zero_agg);

	if (v) {
		v->retries++;
		v->lost_ns += dur;
	}
	return 0;
}

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
	cause->stack = ring->slot[best].stack;
	cause->ago_ns = now - best_ts;
}

/*
 * Count valid / write / error entries and the largest map order in the output pfn array. The loop
 * body has no data-dependent branch: with 512 iterations, each branch would multiply the states
 * the verifier explores. Orders are collected as a bit mask and its top bit taken afterwards.
 */
/*
 * The counts of n (1 .. HMM_PFN_SCAN_MAX) output pfn entries at pfns, packed: valid in bits 0-15,
 * write 16-31, error 32-47, the largest map order 48-55; ~0 if they cannot be read. A global
 * function, so the verifier checks it once, on its own: inlined into fault_exit() its 512-step
 * loop was walked again for every state the code before it leaves, which took 5.10's verifier
 * past a million instructions with events and aggregation both on (dump --stats). The loop body
 * has no data-dependent branch: orders are collected as a bit mask and its top bit taken after.
 */
__noinline __u64 hmm_scan_pfns(__u64 pfns, __u32 n)
{
	__u32 zero = 0, valid = 0, write = 0, error = 0, orders = 0, order = 0;
	__u8 vs = pfn_valid_shift & 63, ws = pfn_write_shift & 63, es = pfn_error_shift & 63;
	__u8 os = pfn_order_shift & 63;
	struct pfn_scratch *buf = bpf_map_lookup_elem(&fault_scratch, &zero);

	/* (n - 1) & (MAX - 1) keeps the size provably within the buffer for the verifier. */
	if (!buf || n == 0 || n > HMM_PFN_SCAN_MAX ||
	    bpf_probe_read_kernel(buf->pfn, (((n - 1) & (HMM_PFN_SCAN_MAX - 1)) + 1) * sizeof(__u64),
				  (void *)pfns))
		return ~0ULL;
	for (__u32 i = 0; i < HMM_PFN_SCAN_MAX && i < n; i++) {
		__u64 p = buf->pfn[i];
		__u32 v = (p >> vs) & 1;

		valid += v;
		write += v & (p >> ws);
		error += (p >> es) & 1;
		orders |= (v << ((p >> os) & 0x1f)) & (os ? ~0u : 1u);
	}
	for (int b = 31; b > 0; b--) {
		if (orders >> b) {
			order = b;
			break;
		}
	}
	return (__u64)(valid & 0xffff) | (__u64)(write & 0xffff) << 16 |
	       (__u64)(error & 0xffff) << 32 | (__u64)(order & 0xff) << 48;
}

/* Count valid / write / error entries and the largest map order in the output pfn array. */
static __always_inline void scan_pfns(struct hmm_range *range, struct hmm_rec_fault *rec,
				      bool btf)
{
	__u32 n = rec->npages;
	unsigned long *pfns;
	__u64 c;

	/* Before 5.8 pfn meanings came from per-driver tables: nothing to decode. */
	if (!pfn_flags_known || !bpf_core_field_exists(range->hmm_pfns))
		return;
	/* Read as a plain value even from fexit: a global function takes scalars only, and newer
	 * verifiers (7.3) type a pointer loaded from a BTF struct as one. */
	pfns = BPF_CORE_READ(range, hmm_pfns);
	if (!pfns || n == 0)
		return;
	if (n > HMM_PFN_SCAN_MAX) {
		n = HMM_PFN_SCAN_MAX;
		rec->flags |= HMM_FAULT_F_TRUNCATED;
	}
	c = hmm_scan_pfns((__u64)pfns, n);
	if (c == ~0ULL)
		return;
	rec->valid = c & 0xffff;
	rec->write = (c >> 16) & 0xffff;
	rec->error = (c >> 32) & 0xffff;
	rec->max_order = (c >> 48) & 0xff;
	rec->scanned = n;
}

static __always_inline int fault_entry(struct hmm_range *range)
{
	if (caller_filtered())
		return 0;
	stash_put(HMM_AP_RANGE_FAULT, (struct stash){ .fault.range = (__u64)range });
	return 0;
}

/* What an attempt's counters and records need from its range, read once. */
struct attempt {
	struct mmu_interval_notifier *notifier;
	__u64 mm;
	__u64 ops; /* the notifier's callback: the driver */
	__u64 start;
	__u64 end;
	__u64 dflags;
	__u64 dev_owner;
	__u32 npages;
	bool owner_known;
	struct hmm_task owner;
};

/* Read range's attempt; false when the owner filter drops it. @btf: see READ(). */
static __always_inline bool attempt_read(struct hmm_range *range, struct attempt *a, bool btf)
{
	/* A local, not a->notifier: BPF_CORE_READ() relocates every member access in its
	 * argument, and struct attempt is not the kernel's. */
	struct mmu_interval_notifier *notifier = READ(btf, range, notifier);

	a->notifier = notifier;
	a->mm = (__u64)READ(btf, notifier, mm);
	a->ops = notifier_ops_fn(READ(btf, notifier, ops));
	a->owner_known = task_owner((void *)a->mm, &a->owner, btf);
	if (owner_filtered(&a->owner, a->owner_known))
		return false;
	a->start = READ(btf, range, start);
	a->end = READ(btf, range, end);
	a->npages = (a->end - a->start) >> page_shift;
	a->dflags = READ(btf, range, default_flags);
	a->dev_owner = 0;
	if (bpf_core_field_exists(range->dev_private_owner))
		a->dev_owner = (__u64)READ(btf, range, dev_private_owner);
	/* Teach the migration paths which driver owns this device memory. */
	if (a->dev_owner && a->ops) {
		__u64 *known = bpf_map_lookup_elem(&owner_driver, &a->dev_owner);

		if (!known || *known != a->ops)
			bpf_map_update_elem(&owner_driver, &a->dev_owner, &a->ops, BPF_ANY);
	}
	return true;
}

/*
 * A retry chain's record: @attempts from @first_ts (the first one's start) to @now, ended by
 * @ret, @busy of them -EBUSY, @cause that of the last -EBUSY (NULL: none seen), @flags
 * HMM_CHAIN_F_*. The three ends of a chain (attempt_done(), gave_up(), unlocked_timeout()) fill
 * it the same way.
 */
static __always_inline void chain_emit(__u64 first_ts, __u64 now, __s64 ret, __u64 notifier,
				       __u64 mm, __u64 ops, const struct hmm_task *owner,
				       __u32 attempts, __u32 busy, const struct hmm_cause *cause,
				       __u32 flags)
{
	struct hmm_rec_chain *c = rec_reserve(sizeof(*c), HMM_REC_CHAIN, first_ts);

	if (!c)
		return;
	c->dur_ns = now - first_ts;
	c->ret = ret;
	c->notifier = notifier;
	c->mm = mm;
	c->ops = ops;
	task_current(&c->caller);
	c->owner = *owner;
	c->attempts = attempts;
	c->busy = busy;
	if (cause)
		c->cause = *cause;
	else
		__builtin_memset(&c->cause, 0, sizeof(c->cause));
	c->flags = flags;
	c->__pad = 0;
	rec_submit(c);
}

/*
 * One attempt ended: counters, histograms, per-owner totals, the chain record when it ends a chain
 * of two or more, and the attempt's own record. @ts .. @now is the attempt, @first_ts the start of
 * its chain, @chain_cause the cause of the chain's last -EBUSY. @fflags and @cflags: the
 * HMM_FAULT_F_ and HMM_CHAIN_F_ bits the caller adds.
 */
static __always_inline void attempt_done(struct hmm_range *range, struct attempt *a, int ret,
					 __u64 ts, __u64 now, __u64 first_ts, __u32 attempt,
					 const struct hmm_cause *cause,
					 const struct hmm_cause *chain_cause, __u8 fflags,
					 __u32 cflags, bool btf)
{
	__u64 dur = now - ts;
	struct hmm_rec_fault *rec;
	__u16 res = hmm_fault_result(ret);

	if (aggregate) {
		__u64 *c = counters_get();

		if (c) {
			cnt_add(c, HMM_C_FAULT_CALLS, 1);
			cnt_add(c, HMM_C_FAULT_PAGES, a->npages);
			cnt_add(c, HMM_C_FAULT_RESULT_BASE + res, 1);
			if (res != HMM_RES_EBUSY) {
				cnt_add(c, HMM_C_CHAINS, 1);
				cnt_add(c, HMM_C_CHAIN_RETRIES, attempt - 1);
			}
		}
		hist_add(a->ops, HMM_M_FAULT_NS, res, dur);
		if (cause_stacks && res == HMM_RES_EBUSY && cause->stack)
			hmm_stack_retry(cause->stack, dur);
		if (res != HMM_RES_EBUSY) {
			hist_add(a->ops, HMM_M_CHAIN_NS, res, now - first_ts);
			hist_add(a->ops, HMM_M_CHAIN_ATTEMPTS, res, attempt);
		}
	}
	if (per_owner) {
		struct hmm_owner_stats *o = owner_stats_get(&a->owner, a->owner_known);

		if (o) {
			o->fault_calls++;
			o->fault_ns += dur;
			o->fault_ebusy += res == HMM_RES_EBUSY;
			o->fault_pages += a->npages;
		}
	}

	if (emit_events && res != HMM_RES_EBUSY && attempt > 1)
		chain_emit(first_ts, now, ret, (__u64)a->notifier, a->mm, a->ops, &a->owner, attempt,
			   attempt - 1, chain_cause, cflags);

	if (!emit_events || dur < min_dur_ns)
		return;
	rec = rec_reserve(sizeof(*rec), HMM_REC_FAULT, ts);
	if (!rec)
		return;
	rec->dur_ns = dur;
	rec->ret = ret;
	rec->start = a->start;
	rec->end = a->end;
	rec->notifier = (__u64)a->notifier;
	rec->mm = a->mm;
	rec->ops = a->ops;
	task_current(&rec->caller);
	rec->owner = a->owner;
	rec->npages = a->npages;
	rec->valid = rec->write = rec->error = rec->scanned = 0;
	rec->max_order = 0;
	rec->attempt = attempt;
	rec->flags = fflags | (a->owner_known ? HMM_FAULT_F_OWNER_KNOWN : 0);
	/* HMM_PFN_REQ_FAULT / _REQ_WRITE are HMM_PFN_VALID / _WRITE (include/linux/hmm.h). */
	if (pfn_flags_known) {
		if ((a->dflags >> (pfn_valid_shift & 63)) & 1)
			rec->flags |= HMM_FAULT_F_FAULT;
		if ((a->dflags >> (pfn_write_shift & 63)) & 1)
			rec->flags |= HMM_FAULT_F_WRITE;
	}
	rec->cause = *cause;
	if (ret == 0)
		scan_pfns(range, rec, btf);
	rec_submit(rec);
}

/*
 * A driver's loop that gives up: test_hmm's dmirror_range_fault() (and any driver with a
 * timeout) returns -EBUSY to its caller once HMM_RANGE_DEFAULT_TIMEOUT passed, with the chain of
 * -EBUSY attempts still open, or after an attempt that succeeded but whose
 * mmu_interval_read_retry() failed (inline: no probe sees it). Neither ends a chain here. So each
 * thread's hmm_range_fault() calls within one ioctl form an episode, and the ioctl's return ends
 * it: -EBUSY, or a chain left open, is the driver giving up, a chain record marked
 * HMM_CHAIN_F_GAVE_UP. Ending the episode also closes the open chain, which would otherwise be
 * continued by the thread's next call, however much later.
 */
struct episode {
	__u64 first_ts; /* the first attempt's start */
	__u64 notifier; /* the latest attempt's */
	__u64 mm;
	__u64 ops;
	struct hmm_task owner;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32); /* tid */
	__type(value, struct episode);
} episodes SEC(".maps");

/* An attempt by this thread (started at @ts): begin its episode, or move it to a's notifier. */
static __always_inline void episode_note(const struct attempt *a, __u64 ts)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct episode *ep = bpf_map_lookup_elem(&episodes, &tid);
	struct episode fresh = {};

	if (ep) {
		if (ep->notifier != (__u64)a->notifier) {
			ep->notifier = (__u64)a->notifier;
			ep->mm = a->mm;
			ep->ops = a->ops;
			ep->owner = a->owner;
		}
		return;
	}
	fresh.first_ts = ts;
	fresh.notifier = (__u64)a->notifier;
	fresh.mm = a->mm;
	fresh.ops = a->ops;
	fresh.owner = a->owner;
	if (bpf_map_update_elem(&episodes, &tid, &fresh, BPF_ANY))
		counter_add(HMM_C_STATE_DROPS, 1);
	else
		inflight_add(HMM_INFLIGHT_EPISODE, 1);
}

/* The driver gave up: a chain record from the episode's first attempt to @now. @ch: the chain
 * left open (its attempts and the cause of its last -EBUSY), or NULL. */
static __always_inline void gave_up(const struct episode *ep, const struct chain *ch, __u64 now)
{
	__u32 attempts = ch ? ch->attempts : 0;

	if (aggregate) {
		hist_add(ep->ops, HMM_M_CHAIN_NS, HMM_RES_EBUSY, now - ep->first_ts);
		hist_add(ep->ops, HMM_M_CHAIN_ATTEMPTS, HMM_RES_EBUSY, attempts);
	}
	if (emit_events)
		chain_emit(ep->first_ts, now, -EBUSY, ep->notifier, ep->mm, ep->ops, &ep->owner,
			   attempts, attempts, ch ? &ch->cause : NULL, HMM_CHAIN_F_GAVE_UP);
}

/* The thread's ioctl returned @ret: end its episode. */
static __always_inline int episode_end(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct chain_key ckey = {};
	struct episode *ep;
	struct chain *ch;

	if (!inflight_any(HMM_INFLIGHT_EPISODE))
		return 0;
	ep = bpf_map_lookup_elem(&episodes, &tid);
	if (!ep)
		return 0;
	ckey.notifier = ep->notifier;
	ckey.tid = tid;
	ch = bpf_map_lookup_elem(&chains, &ckey);
	if (ret == -EBUSY || ch)
		gave_up(ep, ch, bpf_ktime_get_ns());
	if (ch)
		bpf_map_delete_elem(&chains, &ckey);
	bpf_map_delete_elem(&episodes, &tid);
	inflight_add(HMM_INFLIGHT_EPISODE, -1);
	return 0;
}

/* @range: from fexit (a BTF pointer: @btf) or, for a kretprobe, NULL: the one its entry saved. */
static __always_inline int fault_exit(struct hmm_range *range, int ret, bool btf)
{
	struct hmm_cause cause = {}, chain_cause;
	struct chain_key ckey = {};
	struct attempt a;
	__u64 now, first_ts;
	__u32 attempt = 1;
	struct chain *ch;
	struct stash st;
	__u16 res;

	if (!stash_take(HMM_AP_RANGE_FAULT, &st))
		return 0;
	now = bpf_ktime_get_ns();
	if (!btf)
		range = (void *)st.fault.range;
	if (!attempt_read(range, &a, btf))
		return 0;
	episode_note(&a, st.ts);
	res = hmm_fault_result(ret);
	if (res == HMM_RES_EBUSY)
		find_cause(a.notifier, a.mm, a.dev_owner, now, &cause, btf);

	/* Retry chains: keyed by thread and notifier. */
	ckey.notifier = (__u64)a.notifier;
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
	/* One pointer type for the chain's cause (a copy on the stack, not "map value or stack"):
	 * two would double the states the verifier walks from here, the pfn scan's loop included,
	 * past 5.10's million-instruction limit. */
	if (ch)
		chain_cause = ch->cause;
	else
		chain_cause = cause;
	attempt_done(range, &a, ret, st.ts, now, first_ts, attempt, &cause, &chain_cause, 0, 0,
		     btf);
	if (res != HMM_RES_EBUSY && ch)
		bpf_map_delete_elem(&chains, &ckey);
	return 0;
}

/* ---- hmm_range_fault_unlocked_timeout() (7.x) ---------------------------------------------- */

/*
 * mm/hmm.c of 7.3 runs the driver's -EBUSY loop itself:
 *	do { range->notifier_seq = mmu_interval_read_begin(range->notifier);
 *	     mmap_read_lock(); [timeout check]; ret = hmm_range_fault_locked(range, &locked);
 *	} while (ret == -EBUSY);
 * hmm_range_fault_locked() is static, so the rounds are seen through the calling thread's
 * mmu_interval_read_begin() calls: one's entry ends the round before it with -EBUSY, its return
 * starts the next, and the call's return ends the last. The call returns -EBUSY only from the
 * timeout check, which follows a read_begin and runs no walk: then its last read_begin started no
 * round. (An -EFAULT from check_stable_address_space() or -EINTR from the lock, both after a
 * read_begin, are counted as that round's result.)
 */
struct ucall {
	__u64 range;
	__u64 ts;	   /* call entry */
	__u64 first_ts;	   /* the first round's start: the chain's, as for a driver's loop */
	__u64 round_ts;	   /* the current round's start (its read_begin return), or 0 */
	__u32 rounds;	   /* rounds started */
	__u32 __pad;
	struct hmm_cause cause; /* of the latest -EBUSY round */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32); /* tid */
	__type(value, struct ucall);
} ucalls SEC(".maps");

static __always_inline int unlocked_entry(struct hmm_range *range)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct ucall u = { .range = (__u64)range, .ts = bpf_ktime_get_ns() };

	if (caller_filtered())
		return 0;
	if (bpf_map_update_elem(&ucalls, &tid, &u, BPF_ANY)) {
		counter_add(HMM_C_STATE_DROPS, 1);
		return 0;
	}
	inflight_add(HMM_INFLIGHT_UNLOCKED, 1);
	return 0;
}

/*
 * Round u->rounds ended at now with ret. An -EBUSY round is blamed on an invalidation when the
 * notifier's sequence moved since the round's read_begin (mmu_interval_check_retry() failed), else
 * on the fault handler dropping the mmap lock (hmm_do_fault() returned HMM_FAULT_UNLOCKED).
 */
static __always_inline void round_end(struct ucall *u, int ret, __u64 now)
{
	struct hmm_range *range = (void *)u->range;
	struct mmu_interval_notifier *notifier;
	struct hmm_cause cause = {};
	struct attempt a;

	if (!u->round_ts || !attempt_read(range, &a, false))
		return;
	notifier = a.notifier;
	if (ret == -EBUSY) {
		if (BPF_CORE_READ(notifier, invalidate_seq) == BPF_CORE_READ(range, notifier_seq))
			cause.flags = HMM_CAUSE_F_LOCK_DROPPED;
		else
			find_cause(a.notifier, a.mm, a.dev_owner, now, &cause, false);
		u->cause = cause;
	}
	attempt_done(range, &a, ret, u->round_ts, now, u->first_ts, u->rounds, &cause, &u->cause,
		     HMM_FAULT_F_UNLOCKED, HMM_CHAIN_F_UNLOCKED, false);
	u->round_ts = 0;
}

/* The call timed out: a chain record for it whatever its length, marked, and the chain
 * histograms under -EBUSY (the per-call ones counted each round already). */
static __always_inline void unlocked_timeout(struct ucall *u, int ret, __u64 now)
{
	struct hmm_range *range = (void *)u->range;
	__u32 rounds = u->rounds ? u->rounds - 1 : 0; /* the last read_begin ran no round */
	__u64 first_ts = rounds ? u->first_ts : u->ts;
	struct attempt a;

	if (!attempt_read(range, &a, false))
		return;
	if (aggregate) {
		hist_add(a.ops, HMM_M_CHAIN_NS, HMM_RES_EBUSY, now - first_ts);
		hist_add(a.ops, HMM_M_CHAIN_ATTEMPTS, HMM_RES_EBUSY, rounds);
	}
	if (emit_events)
		chain_emit(first_ts, now, ret, (__u64)a.notifier, a.mm, a.ops, &a.owner, rounds,
			   rounds, &u->cause, HMM_CHAIN_F_UNLOCKED | HMM_CHAIN_F_TIMEOUT);
}

static __always_inline int unlocked_exit(int ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct ucall *u = bpf_map_lookup_elem(&ucalls, &tid);
	__u64 now;

	if (!u)
		return 0;
	now = bpf_ktime_get_ns();
	if (ret == -EBUSY)
		unlocked_timeout(u, ret, now);
	else
		round_end(u, ret, now);
	bpf_map_delete_elem(&ucalls, &tid);
	inflight_add(HMM_INFLIGHT_UNLOCKED, -1);
	return 0;
}

/* read_begin by a thread inside hmm_range_fault_unlocked_timeout(): a round boundary. */
static __always_inline struct ucall *ucall_of(struct mmu_interval_notifier *notifier)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct hmm_range *range;
	struct ucall *u;

	/* mmu_interval_read_begin() exists without CONFIG_HMM_MIRROR, struct hmm_range does not:
	 * relocated to a constant, this keeps the code below from the verifier there. */
	if (!bpf_core_type_exists(struct hmm_range) || !inflight_any(HMM_INFLIGHT_UNLOCKED))
		return NULL;
	u = bpf_map_lookup_elem(&ucalls, &tid);
	if (!u)
		return NULL;
	range = (void *)u->range;
	return (__u64)BPF_CORE_READ(range, notifier) == (__u64)notifier ? u : NULL;
}

SEC("fentry/hmm_range_fault_unlocked_timeout")
int BPF_PROG(fentry_hmm_range_fault_unlocked_timeout, struct hmm_range *range)
{
	return unlocked_entry(range);
}

SEC("fexit/hmm_range_fault_unlocked_timeout")
int BPF_PROG(fexit_hmm_range_fault_unlocked_timeout, struct hmm_range *range,
	     unsigned long timeout, long ret)
{
	return unlocked_exit(RET_INT(ret));
}

SEC("kprobe/hmm_range_fault_unlocked_timeout")
int BPF_KPROBE(kprobe_hmm_range_fault_unlocked_timeout, struct hmm_range *range)
{
	return unlocked_entry(range);
}

SEC("kretprobe/hmm_range_fault_unlocked_timeout")
int BPF_KRETPROBE(kretprobe_hmm_range_fault_unlocked_timeout, long ret)
{
	return unlocked_exit(RET_INT(ret));
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
	struct ucall *u;

	if (caller_filtered())
		return 0;
	stash_put(HMM_AP_READ_BEGIN, (struct stash){ .read_begin.notifier = (__u64)notifier });
	u = ucall_of(notifier);
	if (u)
		round_end(u, -EBUSY, bpf_ktime_get_ns());
	return 0;
}

/* @notifier: from fexit (a BTF pointer: @btf), or NULL: the one the kprobe saved. */
static __always_inline int read_begin_exit(struct mmu_interval_notifier *notifier, bool btf)
{
	struct hmm_rec_read_begin *rec;
	__u64 now, dur, key, mm, *rb;
	struct hmm_task owner = {};
	struct ucall *u;
	struct stash st;

	if (!stash_take(HMM_AP_READ_BEGIN, &st))
		return 0;
	now = bpf_ktime_get_ns();
	dur = now - st.ts;
	if (!btf)
		notifier = (void *)st.read_begin.notifier;
	key = st.read_begin.notifier;
	u = ucall_of((void *)key);
	if (u) {
		u->round_ts = now;
		if (!u->rounds++)
			u->first_ts = now;
	}
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

/* The end of an ioctl, the syscall through which drivers such as test_hmm, amdkfd's SVM and xe
 * fault on a process's behalf: it ends the thread's episode (episode_end()). */
SEC("fexit/__x64_sys_ioctl")
int BPF_PROG(fexit___x64_sys_ioctl, const struct pt_regs *regs, long ret)
{
	return episode_end(ret);
}

SEC("kretprobe/__x64_sys_ioctl")
int BPF_KRETPROBE(kretprobe___x64_sys_ioctl, long ret)
{
	return episode_end(ret);
}
