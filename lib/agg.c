// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Records -> counters and histogram samples, mirroring bpf/ (agg.h), through each record type's
 * descriptor (lib/rec_*.c); the names of counters and metrics. */
#include <stdio.h>
#include "agg.h"
#include "rec.h"

void hmm_count_record(__u64 c[HMM_C_MAX], const struct hmm_rec_hdr *rec, unsigned int page_shift)
{
	const struct hmm_rec_desc *d = hmm_rec_desc(rec->type);

	if (d && d->count)
		d->count(c, rec, page_shift);
}

void hmm_record_samples(const struct hmm_rec_hdr *rec, hmm_sample_fn fn, void *ctx)
{
	const struct hmm_rec_desc *d = hmm_rec_desc(rec->type);

	if (d && d->samples)
		d->samples(rec, fn, ctx);
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
	case HMM_C_ROUND_TRIPS: return "round_trips";
	case HMM_C_THRASHING: return "thrashing";
	case HMM_C_STACK_DROPS: return "stack_drops";
	}
	snprintf(buf, n, "counter_%u", i);
	return buf;
}
