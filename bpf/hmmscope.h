/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The contract between bpf/ and lib/: every ring-buffer record and every map key and value.
 *
 * Rules: fixed-width types only, explicit padding, a size assert per struct. Every ring-buffer
 * record starts with struct hmm_rec_hdr (type, size, cpu, timestamp), so a reader can skip a
 * record type it does not know by its size. Kernel enums are translated into the enums below in
 * BPF (through bpf_core_enum_value()), so nothing past this header depends on kernel numbering.
 * Changing a record's layout bumps HMM_SCHEMA_VERSION.
 */
#ifndef HMMSCOPE_H
#define HMMSCOPE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define HMM_SCHEMA_VERSION 1
#define HMM_COMM_LEN	   16

/*
 * Record types, one row each: X(NAME, name, number). Numbers are part of the trace file format:
 * never reuse one, and keep the rows in order. Userspace knows a type through its descriptor,
 * lib/rec_<name>.c (lib/rec.h): adding a record type is its BPF program, its struct and row here,
 * its descriptor and its test (docs/HACKING.md).
 */
#define HMM_REC_TYPES(X)                                                                          \
	X(FAULT, fault, 1)	     /* one hmm_range_fault() call */                             \
	X(CHAIN, chain, 2)	     /* an -EBUSY retry chain ended (length >= 2) */               \
	X(READ_BEGIN, read_begin, 3) /* mmu_interval_read_begin() waited for an invalidation */    \
	X(MIGRATE, migrate, 4)	     /* one migration: setup .. finalize on one pfn array */      \
	X(INVAL, inval, 5)	     /* one invalidate_range_start .. _end */                     \
	X(UFFD, uffd, 6)	     /* one handle_userfault() */                                 \
	X(LOST, lost, 7)	     /* written by userspace: records the ring buffer dropped */  \
	X(CLOCK, clock, 8)	     /* by userspace: a CLOCK_MONOTONIC <-> CLOCK_REALTIME pair */ \
	X(SYM, sym, 9)		     /* by userspace: an attribution address's symbol, driver */ \
	X(ROUND_TRIP, round_trip, 10) /* a range migrated one way and back within the window */ \
	X(STACK, stack, 11)	      /* by userspace: a cause stack's frames, symbolized */

enum hmm_rec_type {
#define HMM_REC_ENUM(NAME, name, nr) HMM_REC_##NAME = nr,
	HMM_REC_TYPES(HMM_REC_ENUM)
#undef HMM_REC_ENUM
	HMM_REC_TYPE_MAX,
};

/* Invalidation events, in the kernel's order (enum mmu_notifier_event, 6.1/6.12). */
enum hmm_inval_event {
	HMM_EV_UNMAP = 0,
	HMM_EV_CLEAR,
	HMM_EV_PROTECTION_VMA,
	HMM_EV_PROTECTION_PAGE,
	HMM_EV_SOFT_DIRTY,
	HMM_EV_RELEASE,
	HMM_EV_MIGRATE,
	HMM_EV_EXCLUSIVE,
	HMM_EV_UNKNOWN,
	HMM_EV_MAX,
};

/* Result classes of hmm_range_fault(), the label set of fault histograms. */
enum hmm_fault_result {
	HMM_RES_OK = 0,
	HMM_RES_EBUSY,
	HMM_RES_EFAULT,
	HMM_RES_EPERM,
	HMM_RES_OTHER,
	HMM_RES_MAX,
};

#ifndef HMM_INLINE
#define HMM_INLINE static inline
#endif

/* The result class of an hmm_range_fault() return (errno values are ABI), in BPF and userspace
 * alike. Before 5.8 a positive return is a page count: success. */
HMM_INLINE __u16 hmm_fault_result(__s64 ret)
{
	if (ret >= 0)
		return HMM_RES_OK;
	if (ret == -16) /* EBUSY */
		return HMM_RES_EBUSY;
	if (ret == -14) /* EFAULT */
		return HMM_RES_EFAULT;
	if (ret == -1) /* EPERM */
		return HMM_RES_EPERM;
	return HMM_RES_OTHER;
}

/* Pages an invalidation covers, in BPF and userspace alike. exit_mmap() and the like invalidate
 * the whole address space (0 .. ULONG_MAX), where a page count means nothing: those count none.
 * 2^57 bytes is above any user address space (5-level paging: 2^56). */
HMM_INLINE __u64 hmm_inval_pages(__u64 start, __u64 end, unsigned int page_shift)
{
	if (end <= start || end - start >= (1ULL << 57))
		return 0;
	return (end - start) >> page_shift;
}

/* Migration direction (from struct migrate_vma::flags) and kind. */
enum hmm_migrate_dir {
	HMM_DIR_TO_DEVICE = 0, /* MIGRATE_VMA_SELECT_SYSTEM */
	HMM_DIR_TO_SYSTEM,     /* MIGRATE_VMA_SELECT_DEVICE_PRIVATE / _COHERENT, migrate_device_* */
	HMM_DIR_MAX,
};

enum hmm_uffd_reason {
	HMM_UFFD_MISSING = 0,
	HMM_UFFD_WP,
	HMM_UFFD_MINOR,
	HMM_UFFD_OTHER,
	HMM_UFFD_MAX,
};

/* Attach points: index into probe reports, counters and the drop map. */
enum hmm_attach_point {
	HMM_AP_RANGE_FAULT = 0,	 /* hmm_range_fault */
	HMM_AP_READ_BEGIN,	 /* mmu_interval_read_begin */
	HMM_AP_MIGRATE_SETUP,	 /* migrate_vma_setup */
	HMM_AP_MIGRATE_PAGES,	 /* migrate_vma_pages */
	HMM_AP_MIGRATE_FINALIZE, /* migrate_vma_finalize */
	HMM_AP_DEVICE_RANGE,	 /* migrate_device_range */
	HMM_AP_DEVICE_PAGES,	 /* migrate_device_pages */
	HMM_AP_DEVICE_FINALIZE,	 /* migrate_device_finalize */
	HMM_AP_INVAL_START,	 /* __mmu_notifier_invalidate_range_start */
	HMM_AP_INVAL_END,	 /* __mmu_notifier_invalidate_range_end */
	HMM_AP_USERFAULT,	 /* handle_userfault */
	HMM_AP_RANGE_FAULT_UNLOCKED, /* hmm_range_fault_unlocked_timeout (7.x) */
	HMM_AP_DEVICE_PFNS,	 /* migrate_device_pfns (7.x) */
	HMM_AP_IOCTL_EXIT,	 /* __x64_sys_ioctl: a driver's loop that gave up */
	HMM_AP_MAX,
};

struct hmm_rec_hdr {
	__u16 type; /* enum hmm_rec_type */
	__u16 size; /* whole record, header included */
	__u32 cpu;
	__u64 ts; /* CLOCK_MONOTONIC ns (bpf_ktime_get_ns) when the recorded work began */
};

/* A task: the caller of an HMM function, or the owner of an mm (mm->owner). */
struct hmm_task {
	__u32 pid; /* tgid; 0 when unknown (no CONFIG_MEMCG for mm->owner) */
	__u32 tid;
	char comm[HMM_COMM_LEN];
};

/* The invalidation blamed for an -EBUSY: the latest one on the same mm whose range overlapped
 * the notifier's interval, after that notifier's mmu_interval_read_begin(). */
struct hmm_cause {
	__u64 start; /* invalidated range */
	__u64 end;
	__u64 ago_ns; /* from that invalidation's start to the failed call's return */
	struct hmm_task task; /* the invalidating task */
	__u8 event;	      /* enum hmm_inval_event */
	__u8 found;	      /* 0: no matching invalidation was seen */
	__u8 flags;	      /* HMM_CAUSE_F_* */
	__u8 __pad;
	/* The invalidation's kernel stack (--stacks): its stack id + 1, 0 for none (tracing
	 * without --stacks, a stack not stored, or a file written before 1.x: this was
	 * padding, written as 0). The frames are in a HMM_REC_STACK record of that stack. */
	__u32 stack;
};

/* A round of hmm_range_fault_unlocked_timeout() returned -EBUSY with the notifier's sequence
 * unmoved: no invalidation, the fault handler dropped the mmap lock (handle_userfault(), a page
 * waited on with FAULT_FLAG_ALLOW_RETRY), and mm/hmm.c restarted the walk. found is 0 then. */
#define HMM_CAUSE_F_LOCK_DROPPED (1u << 0)

#define HMM_FAULT_F_FAULT     (1u << 0) /* HMM_PFN_REQ_FAULT in default_flags: fault, not snapshot */
#define HMM_FAULT_F_WRITE     (1u << 1) /* HMM_PFN_REQ_WRITE */
#define HMM_FAULT_F_TRUNCATED (1u << 2) /* the pfn scan stopped at HMM_PFN_SCAN_MAX entries */
#define HMM_FAULT_F_OWNER_KNOWN (1u << 3)
/* A round of hmm_range_fault_unlocked_timeout() (7.x), which runs the -EBUSY loop inside mm:
 * each round (mmu_interval_read_begin() to the end of its page walk) is an attempt of the call's
 * chain. */
#define HMM_FAULT_F_UNLOCKED (1u << 4)

#define HMM_PFN_SCAN_MAX 512 /* pfn entries inspected after each call */

struct hmm_rec_fault {
	struct hmm_rec_hdr hdr;
	__u64 dur_ns;
	__s64 ret; /* 0 or -errno (5.8+); a page count before 5.8 */
	__u64 start;
	__u64 end;
	__u64 notifier; /* struct mmu_interval_notifier *: identity only */
	__u64 mm;
	__u64 ops; /* notifier->ops->invalidate: resolved to a driver in userspace */
	struct hmm_task caller;
	struct hmm_task owner;
	__u32 npages;
	__u32 valid; /* counts from the output pfn array (first HMM_PFN_SCAN_MAX entries) */
	__u32 write;
	__u32 error;
	__u32 scanned;
	__u16 attempt; /* 1-based position in its retry chain */
	__u8 max_order;
	__u8 flags; /* HMM_FAULT_F_* */
	struct hmm_cause cause; /* for ret == -EBUSY */
};

struct hmm_rec_chain {
	struct hmm_rec_hdr hdr; /* ts: the first attempt's start */
	__u64 dur_ns;		/* first attempt's start to the last attempt's return */
	__s64 ret;		/* the final attempt's return */
	__u64 notifier;
	__u64 mm;
	__u64 ops;
	struct hmm_task caller;
	struct hmm_task owner;
	__u32 attempts;
	__u32 busy; /* attempts that returned -EBUSY */
	struct hmm_cause cause; /* of the last -EBUSY */
	/* Appended after the first release: a chain record of hdr.size < sizeof() has no flags
	 * (hmm_chain_flags()). */
	__u32 flags; /* HMM_CHAIN_F_* */
	__u32 __pad;
};

#define HMM_CHAIN_F_UNLOCKED (1u << 0) /* the rounds of one hmm_range_fault_unlocked_timeout() */
#define HMM_CHAIN_F_TIMEOUT  (1u << 1) /* ... which gave up: its timeout passed (ret -EBUSY) */
/* A driver's own loop gave up (its timeout): the ioctl it ran in returned -EBUSY, or ended with
 * the chain still open. ts: the thread's first hmm_range_fault() in that ioctl. */
#define HMM_CHAIN_F_GAVE_UP  (1u << 2)

/* The flags of a chain record, 0 for one written before they existed. */
HMM_INLINE __u32 hmm_chain_flags(const struct hmm_rec_chain *c)
{
	return c->hdr.size >= sizeof(*c) ? c->flags : 0;
}

struct hmm_rec_read_begin {
	struct hmm_rec_hdr hdr;
	__u64 dur_ns;
	__u64 notifier;
	__u64 mm;
	struct hmm_task caller;
	struct hmm_task owner;
};

#define HMM_MIG_F_FAULT	 (1u << 0) /* triggered by a CPU fault (fault_page set, 6.1+) */
#define HMM_MIG_F_DEVICE (1u << 1) /* migrate_device_range/_pages/_finalize, not migrate_vma_* */
#define HMM_MIG_F_OWNER_KNOWN (1u << 2)
#define HMM_MIG_F_PAGES (1u << 3) /* the pages step ran: copy and finalize times are real */
/* 7.x: some src[] entry stood for a large folio (MIGRATE_PFN_COMPOUND); cpages, moved and stayed
 * count the base pages each such entry stands for, not entries. */
#define HMM_MIG_F_LARGE (1u << 4)

struct hmm_rec_migrate {
	struct hmm_rec_hdr hdr; /* ts: setup entry */
	__u64 setup_ns;		/* in migrate_vma_setup / migrate_device_range */
	__u64 copy_ns;		/* setup return to pages entry: the driver's allocation and copy */
	__u64 finalize_ns;	/* pages entry to finalize return */
	__u64 total_ns;
	__u64 start; /* virtual range (migrate_vma) or first pfn (migrate_device_range) */
	__u64 end;
	__u64 mm;
	__u64 driver;	 /* the driver's notifier ops->invalidate, learnt from its faults; or 0 */
	__u64 caller_ip; /* the function that called setup, where the attach mode sees it; or 0 */
	struct hmm_task caller;
	struct hmm_task owner;
	__u32 npages;
	__u32 cpages; /* collected by setup */
	__u32 moved;  /* MIGRATE_PFN_MIGRATE still set after the pages step */
	__u32 stayed; /* collected but not moved */
	__u32 scanned;
	__s32 setup_ret;
	__u8 dir;   /* enum hmm_migrate_dir */
	__u8 flags; /* HMM_MIG_F_* */
	__u16 __pad;
	__u32 span; /* device evictions: the pfns asked for; npages counts the pages present */
};

/*
 * Thrashing: a round trip is a range (key: mm and the 2 MiB block of a migration's start) that
 * migrated one way (migrate_vma_*(), moved > 0; not device evictions) and then the other way,
 * the two legs' ends at most thrash_ns apart. The leg that returns closes the trip: the next
 * leg begins a new one. A range with at least thrash_min round trips within the window, counted
 * back from the latest, is thrashing (bpf/migrate.bpf.c, thrash_leg()).
 */
#define HMM_THRASH_BLOCK_SHIFT 21
#define HMM_THRASH_RING	       8 /* round trips remembered per range: thrash_min is at most this */
#define HMM_THRASH_MS_DEFAULT  1000
#define HMM_THRASH_MIN_DEFAULT 3
#define HMM_THRASH_OFF	       (~0ULL) /* thrash_ns: no round trips, the map untouched */

#define HMM_RT_F_THRASHING   (1u << 0) /* trips >= thrash_min */
#define HMM_RT_F_BECAME      (1u << 1) /* ... and it was not before this round trip */
#define HMM_RT_F_OWNER_KNOWN (1u << 2)

struct hmm_rec_round_trip {
	struct hmm_rec_hdr hdr; /* ts: the returning leg's end */
	__u64 mm;
	__u64 start; /* the 2 MiB block: [start, end) */
	__u64 end;
	__u64 driver;  /* the returning leg's (as its migrate record's) */
	__u64 legs_ns; /* time migrating: the two legs, setup to finalize each */
	__u64 gap_ns;  /* from the first leg's end to the returning leg's end */
	struct hmm_task caller; /* the returning leg's */
	struct hmm_task owner;
	__u32 pages; /* moved by the returning leg */
	__u32 trips; /* round trips of this range within the window, this one included */
	__u32 total; /* round trips of this range since the tracer saw it first */
	__u8 dir;    /* of the returning leg (enum hmm_migrate_dir) */
	__u8 flags;  /* HMM_RT_F_* */
	__u8 __pad[2];
};

/* The thrash map (bpf/migrate.bpf.c), which userspace reads for the thrashing gauge. */
struct hmm_thrash_key {
	__u64 mm;
	__u64 block; /* start >> HMM_THRASH_BLOCK_SHIFT */
};

struct hmm_thrash {
	__u64 leg_end;			/* the open leg's end; 0: no leg open */
	__u64 leg_ns;			/* its time migrating */
	__u64 trip_ts[HMM_THRASH_RING]; /* ends of the latest round trips, a ring at head */
	__u64 trips;			/* round trips in all */
	__u32 head;
	__u8 leg_dir;
	__u8 thrashing; /* its latest round trip made it thrashing */
	__u8 __pad[2];
};

#define HMM_INVAL_F_BLOCKABLE (1u << 0)
#define HMM_INVAL_F_OWNER_KNOWN (1u << 1)
#define HMM_INVAL_F_NO_END (1u << 2) /* start failed (-EAGAIN): no _end follows */

struct hmm_rec_inval {
	struct hmm_rec_hdr hdr; /* ts: start entry */
	__u64 start_ns;		/* time in invalidate_range_start (all subscribers' callbacks) */
	__u64 end_ns;		/* time in invalidate_range_end */
	__u64 start;
	__u64 end;
	__u64 mm;
	__u64 owner_ptr; /* range->owner (migrate_pgmap_owner before 5.14) */
	struct hmm_task task;
	struct hmm_task owner;
	__s32 ret; /* of invalidate_range_start: 0 or -EAGAIN */
	__u8 event; /* enum hmm_inval_event */
	__u8 flags; /* HMM_INVAL_F_* */
	__u8 __pad[2];
};

struct hmm_rec_uffd {
	struct hmm_rec_hdr hdr;
	__u64 dur_ns;
	__u64 address;
	struct hmm_task task;
	__u32 ret; /* vm_fault_t */
	__u8 reason; /* enum hmm_uffd_reason */
	__u8 __pad[3];
};

/* Written by userspace into recordings where the ring buffer dropped records. */
struct hmm_rec_lost {
	struct hmm_rec_hdr hdr;
	__u64 count;
};

/* Written by userspace into recordings, at the start and periodically: hdr.ts (CLOCK_MONOTONIC)
 * and the CLOCK_REALTIME read beside it, so a reader can put wall-clock times on records. */
struct hmm_rec_clock {
	struct hmm_rec_hdr hdr;
	__u64 realtime_ns;
};

/* Written by userspace into recordings before the first record that names addr (a notifier's
 * ops->invalidate, a migration's driver or caller), so a file is analysed without the recording
 * machine's /proc/kallsyms. */
struct hmm_rec_sym {
	struct hmm_rec_hdr hdr;
	__u64 addr;
	char name[64];	 /* the symbol containing addr, "" if none */
	char driver[32]; /* its driver ("test_hmm", "nvidia_uvm", "unknown") */
};

/*
 * Written by userspace into recordings before the first record whose cause names the stack
 * (struct hmm_cause.stack): its frames, innermost first, each with the symbol containing it and
 * the offset into it, resolved on the recording machine. The record is variable-sized: depth
 * frames follow the fixed part, and hdr.size is at least sizeof() + depth * sizeof(frame).
 */
#define HMM_STACK_DEPTH 64 /* frames kept per stack (bpf/notifier.bpf.c: inval_stacks' value) */

struct hmm_stack_frame {
	__u64 addr;
	__u32 offset;	/* addr - the symbol's address; 0 with no symbol */
	char name[52];	/* the symbol containing addr, "" if none */
};

struct hmm_rec_stack {
	struct hmm_rec_hdr hdr;
	__u32 stack; /* as in struct hmm_cause: the stack id + 1 */
	__u16 depth; /* frames that follow, at most HMM_STACK_DEPTH */
	__u16 __pad;
	struct hmm_stack_frame frame[];
};

/* stat --stacks (aggregation mode): the -EBUSY attempts blamed on one cause stack, per CPU, in
 * the stack_retries map keyed by struct hmm_cause.stack. */
struct hmm_stack_agg {
	__u64 retries;
	__u64 lost_ns; /* their time */
};

/* ---- in-kernel aggregation --------------------------------------------------------------- */

/*
 * Histograms are base-2 log-linear, the Prometheus native-histogram schema 3 grid: 8 buckets per
 * power of two, bucket k of octave e covering (2^e * 2^((k-1)/8), 2^e * 2^(k/8)]. Powers of two
 * are exact bucket edges, so histograms from any host merge exactly. Values are in ns (or pages,
 * or attempts): bucket 0 holds 0, then octaves 0 .. HMM_HIST_OCTAVES-1, and the last bucket is
 * overflow (> 2^HMM_HIST_OCTAVES), never folded into a finite bucket.
 */
#define HMM_HIST_SUB	  8
#define HMM_HIST_OCTAVES  40 /* finite buckets up to 2^40 (ns: ~18 minutes) */
#define HMM_HIST_SLOTS	  (3 + HMM_HIST_OCTAVES * HMM_HIST_SUB)
#define HMM_HIST_OVERFLOW (HMM_HIST_SLOTS - 1)

/* floor(2^(j/8) * 2^63), j = 1 .. 7: the sub-bucket edges within an octave, in 1.63 fixed point. */
#define HMM_HIST_EDGE1 0x8b95c1e3ea8bd6e6ULL
#define HMM_HIST_EDGE2 0x9837f0518db8a96fULL
#define HMM_HIST_EDGE3 0xa5fed6a9b15138eaULL
#define HMM_HIST_EDGE4 0xb504f333f9de6484ULL
#define HMM_HIST_EDGE5 0xc5672a115506daddULL
#define HMM_HIST_EDGE6 0xd744fccad69d6af4ULL
#define HMM_HIST_EDGE7 0xeac0c6e7dd24392eULL

/*
 * hmm_hist_slot_bpf() - the bucket of value v, as BPF computes it.
 * Slot 0 holds v == 0; slot 1 + i is Prometheus schema-3 bucket i, (2^((i-1)/8), 2^(i/8)], for
 * i in 0 .. 8 * HMM_HIST_OCTAVES; the last slot holds v > 2^HMM_HIST_OCTAVES.
 * Within octave e (2^e <= v < 2^(e+1)), m = v << (63 - e) is v / 2^e as a 1.63 fixed-point
 * number, compared with the edges above: exact for integers, no floating point.
 */
HMM_INLINE __u32 hmm_hist_slot_bpf(__u64 v)
{
	__u64 m;
	__u32 e = 0, j;

	if (v == 0)
		return 0;
	if (v > (1ULL << HMM_HIST_OCTAVES))
		return HMM_HIST_OVERFLOW;
	/* e = floor(log2(v)), by halving: BPF has no count-leading-zeros instruction. */
	m = v;
	if (m >> 32) { e += 32; m >>= 32; }
	if (m >> 16) { e += 16; m >>= 16; }
	if (m >> 8) { e += 8; m >>= 8; }
	if (m >> 4) { e += 4; m >>= 4; }
	if (m >> 2) { e += 2; m >>= 2; }
	if (m >> 1) { e += 1; }
	m = v << (63 - e);
	if (m == 1ULL << 63)
		j = 0; /* an exact power of two is the upper edge of the bucket below */
	else if (m <= HMM_HIST_EDGE1)
		j = 1;
	else if (m <= HMM_HIST_EDGE2)
		j = 2;
	else if (m <= HMM_HIST_EDGE3)
		j = 3;
	else if (m <= HMM_HIST_EDGE4)
		j = 4;
	else if (m <= HMM_HIST_EDGE5)
		j = 5;
	else if (m <= HMM_HIST_EDGE6)
		j = 6;
	else if (m <= HMM_HIST_EDGE7)
		j = 7;
	else
		j = 8;
	return 1 + e * HMM_HIST_SUB + j;
}

/*
 * hmm_hist_slot() - the bucket of value v, the same in BPF and userspace. BPF uses the form
 * above (a branch per step keeps the verifier's state count small). Userspace, which buckets
 * every decoded event, computes the same without a branch on the data: count leading zeros for
 * the octave, and for the sub-bucket the number of edges below m, from the 8 bits under its top
 * one: each of those 256 cells holds at most one edge (they are over 20 cells apart), so a table
 * of the edges below each cell's start and one comparison with the next edge decide it.
 * tests/unit/test_hist.c checks the two forms agree on every edge and every cell.
 */
#ifdef __bpf__
#define hmm_hist_slot hmm_hist_slot_bpf
#else
static const __u8 hmm_hist_cell_edges[256] = {
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
	5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
	8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
};
static const __u64 hmm_hist_edges[9] = {
	1ULL << 63,	HMM_HIST_EDGE1, HMM_HIST_EDGE2, HMM_HIST_EDGE3, HMM_HIST_EDGE4,
	HMM_HIST_EDGE5, HMM_HIST_EDGE6, HMM_HIST_EDGE7, ~0ULL,
};

HMM_INLINE __u32 hmm_hist_slot(__u64 v)
{
	__u32 e, j;
	__u64 m;

	if (v == 0)
		return 0;
	if (v > (1ULL << HMM_HIST_OCTAVES))
		return HMM_HIST_OVERFLOW;
	e = 63 - (__u32)__builtin_clzll(v);
	m = v << (63 - e);
	j = hmm_hist_cell_edges[m >> 55 & 0xff];
	j += m > hmm_hist_edges[j];
	return 1 + e * HMM_HIST_SUB + j;
}
#endif

enum hmm_metric {
	HMM_M_FAULT_NS = 0,	   /* label: result */
	HMM_M_CHAIN_NS,		   /* label: result of the final attempt */
	HMM_M_CHAIN_ATTEMPTS,	   /* label: result */
	HMM_M_READ_BEGIN_NS,	   /* no label */
	HMM_M_MIGRATE_NS,	   /* label: direction */
	HMM_M_MIGRATE_SETUP_NS,	   /* label: direction */
	HMM_M_MIGRATE_COPY_NS,	   /* label: direction */
	HMM_M_MIGRATE_FINALIZE_NS, /* label: direction */
	HMM_M_INVAL_START_NS,	   /* label: event */
	HMM_M_INVAL_END_NS,	   /* label: event */
	HMM_M_UFFD_NS,		   /* label: reason */
	HMM_M_ROUND_TRIP_NS,	   /* label: direction of the return; value: the two legs' time */
	HMM_M_MAX,
};

/* Histogram key: metric, its label, and the driver (its ops/caller symbol address, 0 if none). */
struct hmm_hist_key {
	__u64 driver;
	__u16 metric; /* enum hmm_metric */
	__u16 label;
	__u32 __pad;
};

struct hmm_hist {
	__u64 count;
	__u64 sum;
	__u64 slots[HMM_HIST_SLOTS];
};

/* Counters, per CPU, one array entry each. */
enum hmm_counter {
	HMM_C_FAULT_CALLS = 0,
	HMM_C_FAULT_PAGES,
	HMM_C_FAULT_RESULT_BASE, /* + enum hmm_fault_result */
	HMM_C_CHAINS = HMM_C_FAULT_RESULT_BASE + HMM_RES_MAX,
	HMM_C_CHAIN_RETRIES,
	HMM_C_READ_BEGIN,
	HMM_C_MIGRATIONS_BASE, /* + dir */
	HMM_C_MIGRATE_NPAGES_BASE = HMM_C_MIGRATIONS_BASE + HMM_DIR_MAX,
	HMM_C_MIGRATE_CPAGES_BASE = HMM_C_MIGRATE_NPAGES_BASE + HMM_DIR_MAX,
	HMM_C_MIGRATE_MOVED_BASE = HMM_C_MIGRATE_CPAGES_BASE + HMM_DIR_MAX,
	HMM_C_MIGRATE_STAYED_BASE = HMM_C_MIGRATE_MOVED_BASE + HMM_DIR_MAX,
	HMM_C_MIGRATE_FAULT_BASE = HMM_C_MIGRATE_STAYED_BASE + HMM_DIR_MAX,
	HMM_C_INVAL_BASE = HMM_C_MIGRATE_FAULT_BASE + HMM_DIR_MAX, /* + event */
	HMM_C_INVAL_PAGES_BASE = HMM_C_INVAL_BASE + HMM_EV_MAX,
	HMM_C_INVAL_EAGAIN = HMM_C_INVAL_PAGES_BASE + HMM_EV_MAX,
	HMM_C_UFFD_BASE, /* + reason */
	HMM_C_RINGBUF_DROPS = HMM_C_UFFD_BASE + HMM_UFFD_MAX, /* reserve failures */
	HMM_C_STATE_DROPS, /* entry state that could not be stored (map full) */
	/* Appended: a histogram file of an older writer has fewer counters (lib/histfile.c). */
	HMM_C_ROUND_TRIPS, /* a range migrated and back within thrash_ns */
	HMM_C_THRASHING,   /* round trips that made a range thrashing (trips >= thrash_min) */
	HMM_C_STACK_DROPS, /* --stacks: invalidation stacks not stored (maps full, hash taken) */
	HMM_C_MAX,
};

/* The value of the per-CPU counters map: all of them, indexed by enum hmm_counter. */
struct hmm_counters {
	__u64 c[HMM_C_MAX];
};

/*
 * Per owner process (owner_stats map, key: the owner's tgid, 0 when the owner is unknown: no
 * CONFIG_MEMCG, an exiting mm, device eviction), filled only with the per_owner setting. Per
 * CPU: userspace sums the CPUs' copies. comm is the owner's when its entry was first written on
 * that CPU.
 */
struct hmm_owner_stats {
	__u64 fault_calls; /* hmm_range_fault() calls on its memory */
	__u64 fault_ns;	   /* time in them */
	__u64 fault_ebusy; /* calls that returned -EBUSY */
	__u64 fault_pages; /* pages they asked for */
	__u64 migrations[HMM_DIR_MAX];
	__u64 migrate_moved[HMM_DIR_MAX]; /* pages moved */
	__u64 migrate_ns;		  /* setup to finalize, both directions */
	__u64 inval_calls;		  /* invalidations of its memory */
	__u64 inval_ns;			  /* time in invalidate_range_start and _end */
	char comm[HMM_COMM_LEN];
};

#ifndef __VMLINUX_H__
_Static_assert(sizeof(struct hmm_rec_hdr) == 16, "hmm_rec_hdr");
_Static_assert(sizeof(struct hmm_task) == 24, "hmm_task");
_Static_assert(sizeof(struct hmm_cause) == 56, "hmm_cause");
_Static_assert(sizeof(struct hmm_rec_fault) == 200, "hmm_rec_fault");
_Static_assert(sizeof(struct hmm_rec_chain) == 176, "hmm_rec_chain");
_Static_assert(sizeof(struct hmm_rec_read_begin) == 88, "hmm_rec_read_begin");
_Static_assert(sizeof(struct hmm_rec_migrate) == 168, "hmm_rec_migrate");
_Static_assert(sizeof(struct hmm_rec_inval) == 120, "hmm_rec_inval");
_Static_assert(sizeof(struct hmm_rec_uffd) == 64, "hmm_rec_uffd");
_Static_assert(sizeof(struct hmm_rec_lost) == 24, "hmm_rec_lost");
_Static_assert(sizeof(struct hmm_rec_clock) == 24, "hmm_rec_clock");
_Static_assert(sizeof(struct hmm_rec_sym) == 120, "hmm_rec_sym");
_Static_assert(sizeof(struct hmm_rec_round_trip) == 128, "hmm_rec_round_trip");
_Static_assert(sizeof(struct hmm_stack_frame) == 64, "hmm_stack_frame");
_Static_assert(sizeof(struct hmm_rec_stack) == 24, "hmm_rec_stack");
_Static_assert(sizeof(struct hmm_stack_agg) == 16, "hmm_stack_agg");
_Static_assert(sizeof(struct hmm_thrash) == 96, "hmm_thrash");
_Static_assert(sizeof(struct hmm_hist_key) == 16, "hmm_hist_key");
_Static_assert(sizeof(struct hmm_hist) == 16 + 8 * HMM_HIST_SLOTS, "hmm_hist");
_Static_assert(sizeof(struct hmm_owner_stats) == 104, "hmm_owner_stats");
#endif

#endif /* HMMSCOPE_H */
