/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by every hmmscope BPF file. */
#ifndef HMMSCOPE_COMMON_BPF_H
#define HMMSCOPE_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#define HMM_INLINE static __always_inline
#include "hmmscope.h"
#include "maps.bpf.h"
#include "core_fixes.bpf.h"

#ifndef EBUSY
#define EBUSY  16
#define EFAULT 14
#define EPERM  1
#define EAGAIN 11
#endif

/* This CPU's counters (per-CPU: no atomics needed), for several updates after one lookup. */
static __always_inline __u64 *counters_get(void)
{
	__u32 zero = 0;
	struct hmm_counters *c = bpf_map_lookup_elem(&counters, &zero);

	return c ? c->c : NULL;
}

static __always_inline void cnt_add(__u64 *c, __u32 idx, __u64 v)
{
	/* The bound the verifier needs, kept: clang drops it where it can prove idx in range,
	 * and 5.10's verifier loses that proof when idx passes through the stack. */
	barrier_var(idx);
	if (idx < HMM_C_MAX)
		c[idx] += v;
}

static __always_inline void counter_add(__u32 idx, __u64 v)
{
	__u64 *c = counters_get();

	if (c)
		cnt_add(c, idx, v);
}

/*
 * The entry of key in a hash map, inserted as a copy of init the first time. NULL when the map is
 * full: counted in HMM_C_STATE_DROPS, so that state we could not keep is never lost silently.
 */
static __always_inline void *lookup_or_init(void *map, const void *key, const void *init)
{
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	v = bpf_map_lookup_elem(map, key);
	if (!v)
		counter_add(HMM_C_STATE_DROPS, 1);
	return v;
}

/*
 * Add v to the histogram (driver, metric, label). A global function defined once, in
 * maps.bpf.c, so the verifier checks its bucket search once, on its own: inlined three times
 * into the fault path, the branches of hmm_hist_slot_bpf() multiplied into each other past 5.10's
 * million-instruction limit (its verifier keeps the bucket's known values apart).
 */
extern int hmm_hist_add(__u64 driver, __u32 metric, __u32 label, __u64 v);

static __always_inline void hist_add(__u64 driver, __u16 metric, __u16 label, __u64 v)
{
	hmm_hist_add(driver, metric, label, v);
}

static struct hmm_owner_stats zero_owner;

/*
 * This CPU's counters of an owner process (pid 0 for an unknown owner), for in-place adds: one
 * lookup, an insert only the first time. Call only under `if (per_owner)`, so the verifier
 * prunes it all when the setting is off.
 */
static __always_inline struct hmm_owner_stats *owner_stats_get(const struct hmm_task *owner,
							       bool known)
{
	__u32 pid = known ? owner->pid : 0;
	struct hmm_owner_stats *o = lookup_or_init(&owner_stats, &pid, &zero_owner);

	if (!o)
		return NULL;
	if (known && !o->comm[0])
		__builtin_memcpy(o->comm, owner->comm, HMM_COMM_LEN);
	return o;
}

/* Reserve a ring-buffer record; a failure is a drop, counted, never silent. */
static __always_inline void *rec_reserve(__u32 size, __u16 type, __u64 ts)
{
	struct hmm_rec_hdr *hdr = bpf_ringbuf_reserve(&events, size, 0);

	if (!hdr) {
		counter_add(HMM_C_RINGBUF_DROPS, 1);
		return NULL;
	}
	hdr->type = type;
	hdr->size = size;
	hdr->cpu = bpf_get_smp_processor_id();
	hdr->ts = ts;
	return hdr;
}

/*
 * Submit a reserved record, waking the consumer only once the ring buffer holds wakeup_bytes:
 * a wakeup per record (irq_work, then a reschedule of the consumer) costs more than writing the
 * record, and the consumer polls on a timeout anyway (Documentation/bpf/ringbuf.rst, "adaptive
 * notification"). lib/ sets wakeup_bytes to a quarter of the ring; 0 wakes on every record.
 */
static __always_inline void rec_submit(void *rec)
{
	__u64 flags = 0;

	if (wakeup_bytes)
		flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ?
				BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	bpf_ringbuf_submit(rec, flags);
}

static __always_inline void task_current(struct hmm_task *t)
{
	__u64 id = bpf_get_current_pid_tgid();

	t->pid = id >> 32;
	t->tid = (__u32)id;
	bpf_get_current_comm(t->comm, sizeof(t->comm));
}

/*
 * The process to blame for work on an mm is its owner, not the caller: HMM callers are often
 * kthreads and workqueues. mm->owner exists only with CONFIG_MEMCG (distro kernels have it).
 * @btf: as for READ() (core_fixes.bpf.h).
 */
static __always_inline bool task_owner(struct mm_struct *mm, struct hmm_task *t, bool btf)
{
	struct task_struct *owner;

	if (!mm || !bpf_core_field_exists(mm->owner))
		return false;
	owner = READ(btf, mm, owner);
	if (!owner)
		return false;
	t->pid = READ(btf, owner, tgid);
	t->tid = READ(btf, owner, pid);
	if (btf)
		bpf_probe_read_kernel_str(&t->comm, sizeof(t->comm), owner->comm);
	else
		BPF_CORE_READ_STR_INTO(&t->comm, owner, comm);
	return true;
}

static __always_inline bool caller_filtered(void)
{
	return targ_pid && (bpf_get_current_pid_tgid() >> 32) != targ_pid;
}

/* Is pid the target process or, with follow_children, one of its descendants? */
static __always_inline bool pid_targeted(__u32 pid)
{
	return pid == targ_owner || (follow_children && bpf_map_lookup_elem(&tracked, &pid));
}

static __always_inline bool owner_filtered(const struct hmm_task *owner, bool known)
{
	return targ_owner && (!known || !pid_targeted(owner->pid));
}

/*
 * Each thread keeps one stash slot per attach point and reuses it: after the first call, entry
 * and exit are a lookup each, with no insert or delete (an insert takes a bucket lock and a
 * free-list element, which is most of what tracing a call costs). Slots of threads that have
 * exited are evicted by the LRU when the map fills. ts == 0 marks a slot already taken.
 */
static __always_inline void stash_put(__u32 ap, struct stash fresh)
{
	struct stash_key key = { .tid = (__u32)bpf_get_current_pid_tgid(), .ap = ap };
	struct stash *st = bpf_map_lookup_elem(&stashes, &key);

	fresh.ts = bpf_ktime_get_ns();

	if (st)
		*st = fresh;
	else if (bpf_map_update_elem(&stashes, &key, &fresh, BPF_NOEXIST))
		counter_add(HMM_C_STATE_DROPS, 1);
}

static __always_inline bool stash_take(__u32 ap, struct stash *out)
{
	struct stash_key key = { .tid = (__u32)bpf_get_current_pid_tgid(), .ap = ap };
	struct stash *st = bpf_map_lookup_elem(&stashes, &key);

	if (!st || !st->ts)
		return false;
	*out = *st;
	st->ts = 0;
	return true;
}

/* One more (+1) or one fewer (-1) call of a kind in progress (maps.bpf.h, inflight). */
static __always_inline void inflight_add(__u32 kind, __s64 delta)
{
	__s64 *n = bpf_map_lookup_elem(&inflight, &kind);

	if (n)
		__sync_fetch_and_add(n, delta);
}

static __always_inline bool inflight_any(__u32 kind)
{
	__s64 *n = bpf_map_lookup_elem(&inflight, &kind);

	return n && *n > 0;
}

/*
 * An invalidation made by a thread inside a device eviction (migrate.bpf.c, device_exit()): the
 * first one's mm, which maps a page being evicted, names the eviction's owner.
 */
static __always_inline void eviction_saw_mm(__u64 mm)
{
	struct stash_key key = { .tid = (__u32)bpf_get_current_pid_tgid(),
				 .ap = HMM_AP_DEVICE_RANGE };
	struct stash *st;

	if (!inflight_any(HMM_INFLIGHT_EVICT))
		return;
	st = bpf_map_lookup_elem(&stashes, &key);
	if (!st || !st->ts) {
		key.ap = HMM_AP_DEVICE_PFNS;
		st = bpf_map_lookup_elem(&stashes, &key);
	}
	if (st && st->ts && !st->mm)
		st->mm = mm;
}

/* The return address of a kprobed function: at entry it is the word at the stack pointer. */
static __always_inline __u64 kprobe_ret_ip(struct pt_regs *ctx)
{
	__u64 ip = 0;

	bpf_probe_read_kernel(&ip, sizeof(ip), (void *)PT_REGS_SP(ctx));
	return ip;
}

/* fexit sees a function's int return in a u64 whose upper half is undefined. */
#define RET_INT(x) ((int)(long)(x))

#endif /* HMMSCOPE_COMMON_BPF_H */
