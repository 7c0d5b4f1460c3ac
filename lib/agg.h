/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What one record contributes to the counters and histograms, exactly as bpf/ counts them in
 * aggregation mode. Live tools, replay and the tests all derive statistics from records through
 * these two functions, so in-kernel and per-event statistics can be compared one to one.
 */
#ifndef HMMSCOPE_AGG_H
#define HMMSCOPE_AGG_H

#include "hmmscope.h"

/* page_shift: of the machine that recorded (invalidation records keep byte ranges). */
void hmm_count_record(__u64 counters[HMM_C_MAX], const struct hmm_rec_hdr *rec,
		      unsigned int page_shift);

typedef void (*hmm_sample_fn)(void *ctx, const struct hmm_hist_key *key, __u64 value);
void hmm_record_samples(const struct hmm_rec_hdr *rec, hmm_sample_fn fn, void *ctx);

/*
 * The two functions above by record type, for a caller that already switches on the type
 * (lib/stats.c counts each record into three sets of counters): one switch per record, and the
 * sample function inlined where it is known. Records without counters (chains) have none here.
 */
static inline void hmm_count_fault(__u64 *c, const struct hmm_rec_fault *r)
{
	__u16 res = hmm_fault_result(r->ret);

	c[HMM_C_FAULT_CALLS]++;
	c[HMM_C_FAULT_PAGES] += r->npages;
	c[HMM_C_FAULT_RESULT_BASE + res]++;
	/* Any result but -EBUSY ends a retry chain (bpf/hmm.bpf.c, fault_exit()). */
	if (res != HMM_RES_EBUSY) {
		c[HMM_C_CHAINS]++;
		c[HMM_C_CHAIN_RETRIES] += r->attempt ? r->attempt - 1 : 0;
	}
}

static inline void hmm_count_read_begin(__u64 *c)
{
	c[HMM_C_READ_BEGIN]++;
}

static inline void hmm_count_migrate(__u64 *c, const struct hmm_rec_migrate *r)
{
	unsigned int d = r->dir < HMM_DIR_MAX ? r->dir : HMM_DIR_TO_SYSTEM;

	c[HMM_C_MIGRATIONS_BASE + d]++;
	c[HMM_C_MIGRATE_NPAGES_BASE + d] += r->npages;
	c[HMM_C_MIGRATE_CPAGES_BASE + d] += r->cpages;
	c[HMM_C_MIGRATE_MOVED_BASE + d] += r->moved;
	c[HMM_C_MIGRATE_STAYED_BASE + d] += r->stayed;
	if (r->flags & HMM_MIG_F_FAULT)
		c[HMM_C_MIGRATE_FAULT_BASE + d]++;
}

static inline void hmm_count_inval(__u64 *c, const struct hmm_rec_inval *r, unsigned int page_shift)
{
	unsigned int ev = r->event < HMM_EV_MAX ? r->event : HMM_EV_UNKNOWN;

	c[HMM_C_INVAL_BASE + ev]++;
	c[HMM_C_INVAL_PAGES_BASE + ev] += hmm_inval_pages(r->start, r->end, page_shift);
	if (r->ret)
		c[HMM_C_INVAL_EAGAIN]++;
}

static inline void hmm_count_uffd(__u64 *c, const struct hmm_rec_uffd *r)
{
	c[HMM_C_UFFD_BASE + (r->reason < HMM_UFFD_MAX ? r->reason : HMM_UFFD_OTHER)]++;
}

static inline void hmm_count_lost(__u64 *c, const struct hmm_rec_lost *r)
{
	c[HMM_C_RINGBUF_DROPS] += r->count;
}

static inline void hmm_sample(hmm_sample_fn fn, void *ctx, __u64 driver, __u16 metric,
			      __u16 label, __u64 v)
{
	struct hmm_hist_key key = {.driver = driver, .metric = metric, .label = label};

	fn(ctx, &key, v);
}

static inline void hmm_samples_fault(const struct hmm_rec_fault *r, hmm_sample_fn fn, void *ctx)
{
	__u16 res = hmm_fault_result(r->ret);

	hmm_sample(fn, ctx, r->ops, HMM_M_FAULT_NS, res, r->dur_ns);
	/* A chain of one attempt is the call itself; longer ones come as chain records. */
	if (res != HMM_RES_EBUSY && r->attempt <= 1) {
		hmm_sample(fn, ctx, r->ops, HMM_M_CHAIN_NS, res, r->dur_ns);
		hmm_sample(fn, ctx, r->ops, HMM_M_CHAIN_ATTEMPTS, res, 1);
	}
}

static inline void hmm_samples_chain(const struct hmm_rec_chain *r, hmm_sample_fn fn, void *ctx)
{
	__u16 res = hmm_fault_result(r->ret);

	hmm_sample(fn, ctx, r->ops, HMM_M_CHAIN_NS, res, r->dur_ns);
	hmm_sample(fn, ctx, r->ops, HMM_M_CHAIN_ATTEMPTS, res, r->attempts);
}

static inline void hmm_samples_read_begin(const struct hmm_rec_read_begin *r, hmm_sample_fn fn,
					  void *ctx)
{
	hmm_sample(fn, ctx, 0, HMM_M_READ_BEGIN_NS, 0, r->dur_ns);
}

static inline void hmm_samples_migrate(const struct hmm_rec_migrate *r, hmm_sample_fn fn,
				       void *ctx)
{
	hmm_sample(fn, ctx, r->driver, HMM_M_MIGRATE_NS, r->dir, r->total_ns);
	hmm_sample(fn, ctx, r->driver, HMM_M_MIGRATE_SETUP_NS, r->dir, r->setup_ns);
	if (r->flags & HMM_MIG_F_PAGES) {
		hmm_sample(fn, ctx, r->driver, HMM_M_MIGRATE_COPY_NS, r->dir, r->copy_ns);
		hmm_sample(fn, ctx, r->driver, HMM_M_MIGRATE_FINALIZE_NS, r->dir, r->finalize_ns);
	}
}

static inline void hmm_samples_inval(const struct hmm_rec_inval *r, hmm_sample_fn fn, void *ctx)
{
	__u16 ev = r->event < HMM_EV_MAX ? r->event : HMM_EV_UNKNOWN;

	hmm_sample(fn, ctx, 0, HMM_M_INVAL_START_NS, ev, r->start_ns);
	if (!(r->flags & HMM_INVAL_F_NO_END))
		hmm_sample(fn, ctx, 0, HMM_M_INVAL_END_NS, ev, r->end_ns);
}

static inline void hmm_samples_uffd(const struct hmm_rec_uffd *r, hmm_sample_fn fn, void *ctx)
{
	hmm_sample(fn, ctx, 0, HMM_M_UFFD_NS, r->reason, r->dur_ns);
}

const char *hmm_counter_name(unsigned int idx, char *buf, size_t n);
const char *hmm_metric_name(__u16 metric);
/* The name of a histogram's label value ("ok", "to_device", "unmap", "minor", ...). */
const char *hmm_metric_label(__u16 metric, __u16 label);
/* How many label values a metric has (results, directions, events, uffd reasons; 1 for none). */
unsigned int hmm_metric_label_count(__u16 metric);

#endif
