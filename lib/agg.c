// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Records -> counters and histogram samples, mirroring bpf/ (see agg.h). */
#include <stdio.h>
#include "agg.h"

void hmm_count_record(__u64 c[HMM_C_MAX], const struct hmm_rec_hdr *rec, unsigned int page_shift)
{
	switch (rec->type) {
	case HMM_REC_FAULT: {
		const struct hmm_rec_fault *r = (const void *)rec;
		__u16 res = hmm_fault_result(r->ret);

		c[HMM_C_FAULT_CALLS]++;
		c[HMM_C_FAULT_PAGES] += r->npages;
		c[HMM_C_FAULT_RESULT_BASE + res]++;
		/* Any result but -EBUSY ends a retry chain (bpf/hmm.bpf.c, fault_exit()). */
		if (res != HMM_RES_EBUSY) {
			c[HMM_C_CHAINS]++;
			c[HMM_C_CHAIN_RETRIES] += r->attempt ? r->attempt - 1 : 0;
		}
		break;
	}
	case HMM_REC_READ_BEGIN:
		c[HMM_C_READ_BEGIN]++;
		break;
	case HMM_REC_MIGRATE: {
		const struct hmm_rec_migrate *r = (const void *)rec;
		unsigned int d = r->dir < HMM_DIR_MAX ? r->dir : HMM_DIR_TO_SYSTEM;

		c[HMM_C_MIGRATIONS_BASE + d]++;
		c[HMM_C_MIGRATE_NPAGES_BASE + d] += r->npages;
		c[HMM_C_MIGRATE_CPAGES_BASE + d] += r->cpages;
		c[HMM_C_MIGRATE_MOVED_BASE + d] += r->moved;
		c[HMM_C_MIGRATE_STAYED_BASE + d] += r->stayed;
		if (r->flags & HMM_MIG_F_FAULT)
			c[HMM_C_MIGRATE_FAULT_BASE + d]++;
		break;
	}
	case HMM_REC_INVAL: {
		const struct hmm_rec_inval *r = (const void *)rec;
		unsigned int ev = r->event < HMM_EV_MAX ? r->event : HMM_EV_UNKNOWN;

		c[HMM_C_INVAL_BASE + ev]++;
		c[HMM_C_INVAL_PAGES_BASE + ev] += hmm_inval_pages(r->start, r->end, page_shift);
		if (r->ret)
			c[HMM_C_INVAL_EAGAIN]++;
		break;
	}
	case HMM_REC_UFFD: {
		const struct hmm_rec_uffd *r = (const void *)rec;

		c[HMM_C_UFFD_BASE + (r->reason < HMM_UFFD_MAX ? r->reason : HMM_UFFD_OTHER)]++;
		break;
	}
	case HMM_REC_LOST: {
		const struct hmm_rec_lost *r = (const void *)rec;

		c[HMM_C_RINGBUF_DROPS] += r->count;
		break;
	}
	}
}

static void sample(hmm_sample_fn fn, void *ctx, __u64 driver, __u16 metric, __u16 label, __u64 v)
{
	struct hmm_hist_key key = { .driver = driver, .metric = metric, .label = label };

	fn(ctx, &key, v);
}

void hmm_record_samples(const struct hmm_rec_hdr *rec, hmm_sample_fn fn, void *ctx)
{
	switch (rec->type) {
	case HMM_REC_FAULT: {
		const struct hmm_rec_fault *r = (const void *)rec;
		__u16 res = hmm_fault_result(r->ret);

		sample(fn, ctx, r->ops, HMM_M_FAULT_NS, res, r->dur_ns);
		/* A chain of one attempt is the call itself; longer ones come as chain records. */
		if (res != HMM_RES_EBUSY && r->attempt <= 1) {
			sample(fn, ctx, r->ops, HMM_M_CHAIN_NS, res, r->dur_ns);
			sample(fn, ctx, r->ops, HMM_M_CHAIN_ATTEMPTS, res, 1);
		}
		break;
	}
	case HMM_REC_CHAIN: {
		const struct hmm_rec_chain *r = (const void *)rec;
		__u16 res = hmm_fault_result(r->ret);

		sample(fn, ctx, r->ops, HMM_M_CHAIN_NS, res, r->dur_ns);
		sample(fn, ctx, r->ops, HMM_M_CHAIN_ATTEMPTS, res, r->attempts);
		break;
	}
	case HMM_REC_READ_BEGIN: {
		const struct hmm_rec_read_begin *r = (const void *)rec;

		sample(fn, ctx, 0, HMM_M_READ_BEGIN_NS, 0, r->dur_ns);
		break;
	}
	case HMM_REC_MIGRATE: {
		const struct hmm_rec_migrate *r = (const void *)rec;

		sample(fn, ctx, r->driver, HMM_M_MIGRATE_NS, r->dir, r->total_ns);
		sample(fn, ctx, r->driver, HMM_M_MIGRATE_SETUP_NS, r->dir, r->setup_ns);
		if (r->flags & HMM_MIG_F_PAGES) {
			sample(fn, ctx, r->driver, HMM_M_MIGRATE_COPY_NS, r->dir, r->copy_ns);
			sample(fn, ctx, r->driver, HMM_M_MIGRATE_FINALIZE_NS, r->dir, r->finalize_ns);
		}
		break;
	}
	case HMM_REC_INVAL: {
		const struct hmm_rec_inval *r = (const void *)rec;
		__u16 ev = r->event < HMM_EV_MAX ? r->event : HMM_EV_UNKNOWN;

		sample(fn, ctx, 0, HMM_M_INVAL_START_NS, ev, r->start_ns);
		if (!(r->flags & HMM_INVAL_F_NO_END))
			sample(fn, ctx, 0, HMM_M_INVAL_END_NS, ev, r->end_ns);
		break;
	}
	case HMM_REC_UFFD: {
		const struct hmm_rec_uffd *r = (const void *)rec;

		sample(fn, ctx, 0, HMM_M_UFFD_NS, r->reason, r->dur_ns);
		break;
	}
	}
}

const char *hmm_metric_name(__u16 metric)
{
	static const char *const n[HMM_M_MAX] = {
		[HMM_M_FAULT_NS] = "fault_ns",
		[HMM_M_CHAIN_NS] = "chain_ns",
		[HMM_M_CHAIN_ATTEMPTS] = "chain_attempts",
		[HMM_M_READ_BEGIN_NS] = "read_begin_ns",
		[HMM_M_MIGRATE_NS] = "migrate_ns",
		[HMM_M_MIGRATE_SETUP_NS] = "migrate_setup_ns",
		[HMM_M_MIGRATE_COPY_NS] = "migrate_copy_ns",
		[HMM_M_MIGRATE_FINALIZE_NS] = "migrate_finalize_ns",
		[HMM_M_INVAL_START_NS] = "inval_start_ns",
		[HMM_M_INVAL_END_NS] = "inval_end_ns",
		[HMM_M_UFFD_NS] = "uffd_ns",
	};

	return metric < HMM_M_MAX ? n[metric] : "unknown";
}

const char *hmm_metric_label(__u16 metric, __u16 label)
{
	switch (metric) {
	case HMM_M_FAULT_NS:
	case HMM_M_CHAIN_NS:
	case HMM_M_CHAIN_ATTEMPTS:
		return hmm_result_str(label);
	case HMM_M_MIGRATE_NS:
	case HMM_M_MIGRATE_SETUP_NS:
	case HMM_M_MIGRATE_COPY_NS:
	case HMM_M_MIGRATE_FINALIZE_NS:
		return hmm_dir_str(label);
	case HMM_M_INVAL_START_NS:
	case HMM_M_INVAL_END_NS:
		return hmm_event_str(label);
	case HMM_M_UFFD_NS:
		return hmm_uffd_reason_str(label);
	default:
		return "";
	}
}

const char *hmm_counter_name(unsigned int i, char *buf, size_t n)
{
#define RANGE(base, count, name, fn)                                                  \
	if (i >= (base) && i < (base) + (count)) {                                     \
		snprintf(buf, n, name "_%s", fn(i - (base)));                          \
		return buf;                                                            \
	}
	RANGE(HMM_C_FAULT_RESULT_BASE, HMM_RES_MAX, "fault_result", hmm_result_str)
	RANGE(HMM_C_MIGRATIONS_BASE, HMM_DIR_MAX, "migrations", hmm_dir_str)
	RANGE(HMM_C_MIGRATE_NPAGES_BASE, HMM_DIR_MAX, "migrate_npages", hmm_dir_str)
	RANGE(HMM_C_MIGRATE_CPAGES_BASE, HMM_DIR_MAX, "migrate_cpages", hmm_dir_str)
	RANGE(HMM_C_MIGRATE_MOVED_BASE, HMM_DIR_MAX, "migrate_moved", hmm_dir_str)
	RANGE(HMM_C_MIGRATE_STAYED_BASE, HMM_DIR_MAX, "migrate_stayed", hmm_dir_str)
	RANGE(HMM_C_MIGRATE_FAULT_BASE, HMM_DIR_MAX, "migrate_cpu_fault", hmm_dir_str)
	RANGE(HMM_C_INVAL_BASE, HMM_EV_MAX, "inval", hmm_event_str)
	RANGE(HMM_C_INVAL_PAGES_BASE, HMM_EV_MAX, "inval_pages", hmm_event_str)
	RANGE(HMM_C_UFFD_BASE, HMM_UFFD_MAX, "uffd", hmm_uffd_reason_str)
#undef RANGE
	switch (i) {
	case HMM_C_FAULT_CALLS: return "fault_calls";
	case HMM_C_FAULT_PAGES: return "fault_pages";
	case HMM_C_CHAINS: return "chains";
	case HMM_C_CHAIN_RETRIES: return "chain_retries";
	case HMM_C_READ_BEGIN: return "read_begin";
	case HMM_C_INVAL_EAGAIN: return "inval_eagain";
	case HMM_C_RINGBUF_DROPS: return "ringbuf_drops";
	case HMM_C_STATE_DROPS: return "state_drops";
	}
	snprintf(buf, n, "counter_%u", i);
	return buf;
}
