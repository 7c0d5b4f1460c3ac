/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What one record contributes to the counters and histograms, exactly as bpf/ counts them in
 * aggregation mode. Live tools, replay and the tests all derive statistics from records through
 * these two functions, so in-kernel and per-event statistics can be compared one to one.
 */
#ifndef HMMSCOPE_AGG_H
#define HMMSCOPE_AGG_H

#include <stdbool.h>
#include "hmmscope.h"

/* page_shift: of the machine that recorded (invalidation records keep byte ranges). */
void hmm_count_record(__u64 counters[HMM_C_MAX], const struct hmm_rec_hdr *rec,
		      unsigned int page_shift);

typedef void (*hmm_sample_fn)(void *ctx, const struct hmm_hist_key *key, __u64 value);
void hmm_record_samples(const struct hmm_rec_hdr *rec, hmm_sample_fn fn, void *ctx);

/* One sample, for the record descriptors' sample code (lib/rec_*.c). */
static inline void hmm_sample(hmm_sample_fn fn, void *ctx, __u64 driver, __u16 metric,
			      __u16 label, __u64 v)
{
	struct hmm_hist_key key = {.driver = driver, .metric = metric, .label = label};

	fn(ctx, &key, v);
}

const char *hmm_counter_name(unsigned int idx, char *buf, size_t n);

/* The label of a metric: results, directions, events, uffd reasons, or none. */
enum hmm_label_kind {
	HMM_LBL_NONE = 0,
	HMM_LBL_RESULT, /* enum hmm_fault_result */
	HMM_LBL_DIR,	/* enum hmm_migrate_dir */
	HMM_LBL_EVENT,	/* enum hmm_inval_event */
	HMM_LBL_REASON, /* enum hmm_uffd_reason */
	HMM_LBL_MAX,
};

struct hmm_label_desc {
	const char *key;    /* its name in Prometheus and JSON ("result"); NULL for none */
	unsigned int count; /* values 0 .. count - 1 (1 for none) */
	const char *(*str)(unsigned int value);
};

extern const struct hmm_label_desc hmm_labels[HMM_LBL_MAX];

/* One row of the metric table (lib/metrics.c): every histogram, in the kernel and out of it. */
struct hmm_metric_desc {
	const char *name;	   /* "fault_ns": JSON, histogram files, dump --stats */
	enum hmm_label_kind label;
	bool integer;		   /* counts (attempts), not nanoseconds */
	bool by_driver;		   /* Prometheus: a driver label; otherwise drivers are merged */
	const char *prom;	   /* its Prometheus family ("..._seconds" for nanoseconds) */
	const char *help;	   /* and its HELP text */
	__u64 lo, hi;		   /* the Prometheus family's finite "le" bounds, in the raw unit */
};

/* The row of a metric; an "unknown" row for a number past the table (a newer file's). */
const struct hmm_metric_desc *hmm_metric(__u16 metric);
const char *hmm_metric_name(__u16 metric);
/* The name of a histogram's label value ("ok", "to_device", "unmap", "minor", ...). */
const char *hmm_metric_label(__u16 metric, __u16 label);
/* How many label values a metric has (results, directions, events, uffd reasons; 1 for none). */
unsigned int hmm_metric_label_count(__u16 metric);

/*
 * Stalls from a chain-duration histogram (HMM_M_CHAIN_NS) of one result, for the tools that have
 * histograms and no records (hmm_exporter, hmmtrace hist): a histogram cannot tell a duration
 * from another in its bucket, and the default threshold (1000 ms) is no bucket edge. So: every
 * chain that ended in -EBUSY (a chain record ends in -EBUSY only when a 7.x unlocked call's
 * timeout passed), and of the others those in the buckets from the one holding stall_ns up, that
 * is every chain longer than hmm_chain_stall_bound(stall_ns): chains of the threshold or longer,
 * and those within the bucket just below it (984.6 ms to 1000 ms for 1000 ms, 1.5%). Exact when
 * no chain ends there; the records' count (hmm_rec_stall()) is exact.
 */
__u64 hmm_chain_hist_stalls(const struct hmm_hist *h, __u16 result, __u64 stall_ns);
/* The duration (ns) above which a chain in a histogram counts as a stall: the lower edge of
 * stall_ns's bucket, rounded down. */
__u64 hmm_chain_stall_bound(__u64 stall_ns);

#endif
