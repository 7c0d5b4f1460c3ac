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

/* One sample, for the record descriptors' sample code (lib/rec_*.c). */
static inline void hmm_sample(hmm_sample_fn fn, void *ctx, __u64 driver, __u16 metric,
			      __u16 label, __u64 v)
{
	struct hmm_hist_key key = {.driver = driver, .metric = metric, .label = label};

	fn(ctx, &key, v);
}

const char *hmm_counter_name(unsigned int idx, char *buf, size_t n);
const char *hmm_metric_name(__u16 metric);
/* The name of a histogram's label value ("ok", "to_device", "unmap", "minor", ...). */
const char *hmm_metric_label(__u16 metric, __u16 label);
/* How many label values a metric has (results, directions, events, uffd reasons; 1 for none). */
unsigned int hmm_metric_label_count(__u16 metric);

#endif
