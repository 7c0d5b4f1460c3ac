/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Maps and load-time settings shared by every hmmscope BPF file. maps.bpf.c defines them
 * (HMM_MAPS_OWNER); the other files see extern declarations, and `bpftool gen object` links them
 * into one object, so all paths share one ring buffer and one set of counters.
 */
#ifndef HMMSCOPE_MAPS_BPF_H
#define HMMSCOPE_MAPS_BPF_H

#ifdef HMM_MAPS_OWNER
#define __hmm_shared
#define HMM_SETTING(type, name) const volatile type name = 0
#else
#define __hmm_shared extern
#define HMM_SETTING(type, name) extern const volatile type name
#endif

/* Settings, written by lib/ before load (read-only afterwards: the verifier prunes on them). */
HMM_SETTING(__u32, targ_pid);	 /* only calls made by this process (tgid) */
HMM_SETTING(__u32, targ_owner);	 /* only work on the mm owned by this process */
HMM_SETTING(__u8, follow_children); /* ... or by its descendants (the tracked map) */
HMM_SETTING(__u64, min_dur_ns);	 /* per-event records: drop shorter ones (aggregation sees all) */
HMM_SETTING(__u8, emit_events);	 /* per-event records into the ring buffer */
HMM_SETTING(__u8, aggregate);	 /* histograms and counters in maps */
HMM_SETTING(__u8, page_shift);	 /* PAGE_SHIFT is a #define, not in BTF */
HMM_SETTING(__u8, per_owner);
HMM_SETTING(__u64, thrash_ns);	 /* round-trip window (0: HMM_THRASH_MS_DEFAULT; HMM_THRASH_OFF) */
HMM_SETTING(__u32, thrash_min);	 /* round trips in the window that make a range thrashing
				    (0: HMM_THRASH_MIN_DEFAULT; at most HMM_THRASH_RING) */
HMM_SETTING(__u8, cause_stacks); /* --stacks: each invalidation's kernel stack (notifier.bpf.c) */
HMM_SETTING(__u64, wakeup_bytes); /* wake the consumer once this much is queued (0: always) */	 /* owner_stats: counts per owner process */
/*
 * enum hmm_pfn_flags (5.8+), read by lib/ from this kernel's BTF. Its flags are 64-bit values
 * (HMM_PFN_VALID is 1UL << 63), and clang 14 truncates 64-bit enum values in
 * bpf_core_enum_value() relocations, which libbpf then rejects; so lib/ does that relocation and
 * passes bit numbers (shifts keep the pfn scan branch-free, which the verifier needs).
 * pfn_flags_known == 0: no such enum (before 5.8), no pfn scan.
 */
HMM_SETTING(__u8, pfn_flags_known);
HMM_SETTING(__u8, pfn_valid_shift);
HMM_SETTING(__u8, pfn_write_shift);
HMM_SETTING(__u8, pfn_error_shift);
HMM_SETTING(__u8, pfn_order_shift); /* 0: no order field (before 5.15) */

/* Per-event records. Its size is set by lib/ before load. */
__hmm_shared struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

/* All the counters in one per-CPU value: a path that updates several looks it up once. */
__hmm_shared struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hmm_counters);
} counters SEC(".maps");

__hmm_shared struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct hmm_hist_key);
	__type(value, struct hmm_hist);
} hists SEC(".maps");

/* Per owner process, with per_owner (struct hmm_owner_stats). LRU: owners that stopped using
 * HMM make room for new ones. lib/ shrinks it to one entry without per_owner: per-CPU values are
 * preallocated for every entry on every CPU. */
#define HMM_OWNER_STATS_MAX 2048

__hmm_shared struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, HMM_OWNER_STATS_MAX);
	__type(key, __u32); /* owner tgid, 0: unknown */
	__type(value, struct hmm_owner_stats);
} owner_stats SEC(".maps");

/* Descendants of targ_owner forked while tracing (follow_children): pid -> 1. */
__hmm_shared struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u8);
} tracked SEC(".maps");

/* Arguments saved at function entry for the exit program, per thread and attach point: a
 * kretprobe has no arguments, and one path serves both attach modes. */
struct stash_key {
	__u32 tid;
	__u32 ap; /* enum hmm_attach_point */
};

struct stash {
	__u64 ts;
	union { /* what the entry saw, by attach point */
		struct {
			__u64 range; /* struct hmm_range * */
		} fault;	     /* hmm_range_fault, hmm_range_fault_unlocked_timeout */
		struct {
			__u64 notifier;
		} read_begin; /* mmu_interval_read_begin */
		struct {
			__u64 args; /* struct migrate_vma * */
		} setup;	    /* migrate_vma_setup */
		struct {
			__u64 src; /* the pfn array: the key of its migration */
		} finalize;	   /* migrate_vma_finalize, migrate_device_finalize (kprobe mode) */
		struct {
			__u64 src;
			__u64 first_pfn;
			__u64 npages;
		} evict; /* migrate_device_range, migrate_device_pfns */
		struct {
			__u64 range;	/* struct mmu_notifier_range * */
			__u64 ring_idx; /* its slot in the mm's ring (ring_push()) */
		} inval;		/* __mmu_notifier_invalidate_range_start, _end */
		struct {
			__u64 address;
			__u64 reason;
		} uffd; /* handle_userfault */
	};
	__u64 ip; /* return address, where the attach mode can see it (kprobe) */
	__u64 mm; /* device evictions: the first mm their unmap invalidated (notifier.bpf.c) */
};

__hmm_shared struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct stash_key);
	__type(value, struct stash);
} stashes SEC(".maps");

/*
 * Calls in progress on any CPU, per kind: hot paths that only care while one is running
 * (mmu_interval_read_begin() inside hmm_range_fault_unlocked_timeout(), an invalidation inside a
 * device eviction) read this one array entry before a per-thread hash lookup.
 */
enum hmm_inflight {
	HMM_INFLIGHT_UNLOCKED = 0, /* hmm_range_fault_unlocked_timeout() */
	HMM_INFLIGHT_EVICT,	   /* migrate_device_range() / _pfns() */
	HMM_INFLIGHT_EPISODE,	   /* threads with hmm_range_fault() calls in their ioctl */
	HMM_INFLIGHT_MAX,
};

__hmm_shared struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HMM_INFLIGHT_MAX);
	__type(key, __u32);
	__type(value, __s64);
} inflight SEC(".maps");

/* The last few invalidations of each mm, for blaming an -EBUSY on one (see hmm.bpf.c). */
#define INVAL_RING 8

struct inval_slot {
	__u64 ts;
	__u64 end_ts; /* 0 while in progress */
	__u64 start;
	__u64 end;
	__u64 owner_ptr;
	struct hmm_task task;
	__u8 event;
	__u8 __pad[3];
	__u32 stack; /* its kernel stack (cause_stacks): stack id + 1, or 0 */
};

struct inval_ring {
	__u32 head;
	__u32 __pad;
	struct inval_slot slot[INVAL_RING];
};

__hmm_shared struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64); /* struct mm_struct * */
	__type(value, struct inval_ring);
} mm_invals SEC(".maps");

/* dev_private_owner -> notifier ops->invalidate, learnt from faults: names the driver of a
 * migration, whose pgmap_owner is the same pointer in every in-tree driver. */
__hmm_shared struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 256);
	__type(key, __u64);
	__type(value, __u64);
} owner_driver SEC(".maps");

#endif /* HMMSCOPE_MAPS_BPF_H */
