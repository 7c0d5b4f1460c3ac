// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* HMM_REC_LOST: written by userspace where the ring buffer dropped records. */
#include <stdio.h>
#include "format.h"
#include "rec.h"
#include "stats_impl.h"

static void count(__u64 *c, const struct hmm_rec_hdr *h, unsigned int page_shift)
{
	(void)page_shift;
	c[HMM_C_RINGBUF_DROPS] += REC(lost, h)->count;
}

static void samples(const struct hmm_rec_hdr *h, hmm_sample_fn fn, void *ctx)
{
	(void)h, (void)fn, (void)ctx;
}

static void stats(struct hmm_stats *s, const struct hmm_rec_hdr *h)
{
	s->c[HMM_C_RINGBUF_DROPS] += REC(lost, h)->count;
}

static void text(const struct hmm_fmt *fmt, const struct hmm_rec_hdr *h, char *buf, size_t n)
{
	(void)fmt;
	snprintf(buf, n, "%llu records dropped by the ring buffer",
		 (unsigned long long)REC(lost, h)->count);
}

static void json(const struct hmm_fmt *fmt, const struct hmm_rec_hdr *h, json_t *o)
{
	(void)fmt;
	json_object_set_new(o, "count", json_integer(REC(lost, h)->count));
}

static const char *title(const struct hmm_rec_hdr *h, char *buf, size_t n)
{
	(void)h;
	snprintf(buf, n, "events lost");
	return buf;
}

const struct hmm_rec_desc hmm_rec_lost = {
	.type = HMM_REC_LOST,
	.name = "lost",
	.size = sizeof(struct hmm_rec_lost),
	.event = true,
	.count = count,
	.samples = samples,
	.stats = stats,
	.text = text,
	.json = json,
	.chrome = HMM_CHROME_INSTANT,
	.title = title,
};
