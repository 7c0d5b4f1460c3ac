/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The aggregation state every tool shares: records in, statistics out, per owner process, per
 * driver, per migration direction and per invalidating task. `hmmtrace report` fills it from a
 * file, `hmmtrace record --report` and `hmmtop` from the ring buffer, through the same
 * hmm_stats__add(), so a replayed report equals the live one record for record.
 *
 *	s = hmm_stats__new(&opts);
 *	hmm_stats__add(s, rec);		every record, in order
 *	s->c[HMM_C_FAULT_CALLS], s->owners[i]->fault_ns, hmm_stats__hists(s, fn, ctx) ...
 *	hmm_stats__free(s);
 *
 * Counters and histograms are built with hmm_count_record() and hmm_record_samples() (agg.h),
 * the userspace mirror of what bpf/ counts in aggregation mode. The fields of struct hmm_stats
 * and of what it points to are read-only for callers.
 */
#ifndef HMMSCOPE_STATS_H
#define HMMSCOPE_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "hmmscope.h"

#define HMM_STATS_NAME_LEN   32
#define HMM_STATS_CAUSES     8	/* recent retry causes kept per group */
#define HMM_STATS_CHAIN_CAUSES 4 /* distinct invalidating tasks kept per chain */

/*
 * Stalls. A retry chain (a lone hmm_range_fault() call is a chain of one) is a stall when it
 * lasted the threshold or longer (--stall-ms; default the kernel's HMM_RANGE_DEFAULT_TIMEOUT,
 * 1000 ms, the budget drivers give their -EBUSY loop), or when it is a 7.x
 * hmm_range_fault_unlocked_timeout() call that gave up because its timeout passed
 * (HMM_CHAIN_F_TIMEOUT), however long that was. Decided from the records: hmm_rec_stall().
 */
#define HMM_STALL_NS_DEFAULT 1000000000ULL
#define HMM_STALL_LONG	     (1u << 0) /* it lasted the threshold or longer */
#define HMM_STALL_TIMEOUT    (1u << 1) /* it ended by its timeout (7.x, ret -EBUSY) */

/* Resolves an attribution address (a notifier's ops->invalidate, a migration's driver or caller)
 * to a driver name; the string must stay valid while the stats live. NULL: "unknown". */
typedef const char *(*hmm_driver_name_fn)(void *ctx, __u64 addr);

struct hmm_stats_opts {
	size_t sz;		 /* sizeof(struct hmm_stats_opts) */
	unsigned int page_shift; /* of the machine that recorded; 0: 12 */
	hmm_driver_name_fn driver_name;
	void *ctx;
	unsigned int top_chains; /* longest retry chains kept; 0: 10 */
	__u64 stall_ns;		 /* the stall threshold; 0: HMM_STALL_NS_DEFAULT */
	unsigned int top_stalls; /* longest stalls kept; 0: 10 */
	/* The frames of cause stacks, for the renderers of the stats (the recording's table, or a
	 * recorder's): hmm_stats__stacktab(). Not read by the stats themselves. */
	const struct hmm_stacktab *stacks;
};

/* One -EBUSY and the invalidation blamed for it. */
struct hmm_stats_cause {
	__u64 ts; /* the failed attempt's start */
	__u32 tid;
	__u16 attempt;
	__u16 __pad;
	struct hmm_cause cause;
};

/* One owner process (by its pid) or one driver (by name). The fields most records update come
 * first, in the group's first cache line (lib/stats.c allocates groups 64-byte aligned). */
struct hmm_stats_group {
	__u32 pid;			/* owner tgid; 0 when not known; 0 for driver groups */
	char name[HMM_STATS_NAME_LEN];	/* the owner's comm, or the driver's name */
	__u32 longest_chain;		/* attempts */
	__u64 first_ts;
	__u64 last_ts;
	__u64 stalls; /* its retry chains that were stalls (a lone call is a chain of one) */
	__u64 c[HMM_C_MAX];		/* hmm_count_record() over the group's records */
	struct hmm_hist fault_ns;	/* per hmm_range_fault() call */
	struct hmm_hist chain_ns;	/* per retry chain (a lone call is a chain of one) */
	__u64 migrate_ns;		/* sum of migrations' total time */
	__u64 inval_ns;			/* time in invalidations of memory it owns (start + end) */
	__u64 read_begin_ns;		/* time its notifiers waited in mmu_interval_read_begin() */
	__u32 n_causes;			/* -EBUSY causes seen; the last HMM_STATS_CAUSES are kept */
	struct hmm_stats_cause causes[HMM_STATS_CAUSES]; /* ring: causes[(n_causes - 1) % N] newest */
};

/* Migrations of one direction by one driver. */
struct hmm_stats_mig {
	__u8 dir; /* enum hmm_migrate_dir */
	char driver[HMM_STATS_NAME_LEN];
	__u64 count;
	__u64 cpu_fault; /* triggered by a CPU fault */
	__u64 npages;
	__u64 cpages;
	__u64 moved;
	__u64 stayed;
	__u64 setup_ns;
	__u64 copy_ns;
	__u64 finalize_ns;
	__u64 total_ns;
	struct hmm_hist total_hist;
};

/* A task that invalidated memory. */
struct hmm_stats_task {
	__u32 pid;
	char comm[HMM_COMM_LEN + 1];
	__u64 count;
	__u64 pages;
	__u64 ns; /* start + end */
	__u64 per_event[HMM_EV_MAX];
};

/* One retry chain, kept when it is among the longest. */
struct hmm_stats_chain {
	__u64 ts;     /* first attempt's start */
	__u64 dur_ns; /* first attempt's start to the last return */
	__s64 ret;    /* of the last attempt */
	__u32 attempts;
	__u32 busy;
	struct hmm_task caller;
	struct hmm_task owner;
	char driver[HMM_STATS_NAME_LEN];
	__u32 n_causes; /* distinct (event, invalidating task) pairs below */
	struct {
		__u8 event;
		__u32 count;
		struct hmm_task task;
	} causes[HMM_STATS_CHAIN_CAUSES];
	__u32 flags; /* HMM_CHAIN_F_* of its chain record (0: a lone call, or an older record) */
	__u32 stall; /* HMM_STALL_* (the stats' threshold), 0: not a stall */
};

/* The -EBUSY retries blamed on one cause stack (struct hmm_cause.stack, --stacks). */
struct hmm_stats_stack {
	__u32 stack;
	__u64 retries; /* -EBUSY attempts (fault records) blamed on it */
	__u64 lost_ns; /* their time: work the device redid */
	__u64 chains;  /* retry chains whose last -EBUSY it caused (chain records) */
	__u64 stalls;  /* ... that were stalls */
};

/* A range (mm, 2 MiB block) that made round trips (HMM_REC_ROUND_TRIP). */
struct hmm_stats_range {
	__u64 mm;
	__u64 start;
	__u64 end;
	struct hmm_task owner;
	char driver[HMM_STATS_NAME_LEN];
	__u64 trips;	 /* round trips recorded */
	__u32 max_trips; /* most round trips within the window at once */
	__u32 thrashing; /* times it became thrashing */
	__u64 pages;	 /* moved by the returning legs */
	__u64 legs_ns;	 /* time migrating, both legs of each round trip */
	__u64 first_ts;
	__u64 last_ts;
};

struct hmm_stats_priv;
struct hmm_stacktab;

struct hmm_stats {
	__u64 c[HMM_C_MAX]; /* totals, as hmm_tracer__counters() gives them in aggregation mode */
	__u64 records;	    /* records added, lost records included (clock and sym ones are not) */
	__u64 per_type[HMM_REC_TYPE_MAX];
	__u64 unknown;	    /* records of a type these stats do not know */
	__u64 first_ts;	    /* earliest and latest record start (CLOCK_MONOTONIC ns); 0: none */
	__u64 last_ts;
	__u64 last_end_ts;  /* latest record end (start + duration) */

	struct hmm_stats_group **owners; /* in order of first appearance */
	size_t n_owners;
	struct hmm_stats_group **drivers;
	size_t n_drivers;
	struct hmm_stats_mig **migs;
	size_t n_migs;
	struct hmm_stats_task **inval_tasks;
	size_t n_inval_tasks;
	struct hmm_stats_chain *top_chains; /* longest first (attempts, then duration) */
	size_t n_top_chains;
	struct hmm_stats_range **ranges; /* with round trips, in order of the first */
	size_t n_ranges;
	struct hmm_stats_stack **stacks; /* cause stacks, in order of the first retry or chain */
	size_t n_stacks;

	__u64 stall_ns;	      /* the threshold these stalls were counted with */
	__u64 stalls;	      /* retry chains that were stalls, lone calls included */
	__u64 stalls_ebusy;   /* ... that ended in -EBUSY */
	__u64 stalls_timeout; /* ... that ended by their timeout (HMM_STALL_TIMEOUT) */
	struct hmm_stats_chain *top_stalls; /* longest first (duration, then the earlier) */
	size_t n_top_stalls;

	struct hmm_stats_priv *priv;
};

struct hmm_stats *hmm_stats__new(const struct hmm_stats_opts *opts);
/* Add one record validated by hmm_rec_check(). 0, or -ENOMEM (the record is counted in totals
 * but may be missing from a group). */
int hmm_stats__add(struct hmm_stats *s, const struct hmm_rec_hdr *rec);
/* Every histogram by (metric, label, driver address), as hmm_tracer__hists() gives the in-kernel
 * ones: the two can be compared key by key. Stops at the first non-zero return of fn. */
int hmm_stats__hists(const struct hmm_stats *s,
		     int (*fn)(void *ctx, const struct hmm_hist_key *key, const struct hmm_hist *h),
		     void *ctx);
/* One metric merged over its labels (label < 0) or for one label, and over drivers. */
void hmm_stats__metric(const struct hmm_stats *s, __u16 metric, int label, struct hmm_hist *out);
/* Retries by cause stack counted elsewhere (stat --stacks: in the kernel) into s->stacks. 0 or
 * -ENOMEM. */
int hmm_stats__stack_add(struct hmm_stats *s, __u32 stack, __u64 retries, __u64 lost_ns);
/* opts.stacks: the frames of the cause stacks in s->stacks, or NULL. */
const struct hmm_stacktab *hmm_stats__stacktab(const struct hmm_stats *s);
void hmm_stats__free(struct hmm_stats *s);

/* The ranges with round trips, most round trips first (then the most time migrating, then the
 * earlier): n at most, into out; returns how many. */
size_t hmm_stats__top_ranges(const struct hmm_stats *s, const struct hmm_stats_range **out,
			     size_t n);

/* Time a group spent: in faults, migrations and read_begin waits (ns). */
__u64 hmm_stats_group_time(const struct hmm_stats_group *g);

#endif /* HMMSCOPE_STATS_H */
