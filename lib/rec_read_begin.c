// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* HMM_REC_READ_BEGIN: mmu_interval_read_begin() waited for an invalidation (bpf/hmm.bpf.c). */
#include <stdio.h>
#include "format.h"
#include "rec.h"
#include "stats_impl.h"

REC_TASK(caller, read_begin, caller)
REC_TASK(owner, read_begin, owner)
REC_U64(dur, read_begin, dur_ns)

static void count(__u64 *c, const struct hmm_rec_hdr *h, unsigned int page_shift)
{
	(void)h, (void)page_shift;
	c[HMM_C_READ_BEGIN]++;
}

static void samples(const struct hmm_rec_hdr *h, hmm_sample_fn fn, void *ctx)
{
	hmm_sample(fn, ctx, 0, HMM_M_READ_BEGIN_NS, 0, REC(read_begin, h)->dur_ns);
}

static void stats(struct hmm_stats *s, const struct hmm_rec_hdr *h)
{
	const struct hmm_rec_read_begin *r = REC(read_begin, h);
	struct hmm_stats_group *o;

	s->c[HMM_C_READ_BEGIN]++;
	s->priv->site = site_get(s, 0);
	hmm_sample(add_sample, s, 0, HMM_M_READ_BEGIN_NS, 0, r->dur_ns);
	o = owner_group(s, &r->owner);
	if (o) {
		o->c[HMM_C_READ_BEGIN]++;
		group_touch(o, h->ts);
		o->read_begin_ns += r->dur_ns;
	}
	stats_span(s, h->ts, r->dur_ns);
}

static void text(const struct hmm_fmt *fmt, const struct hmm_rec_hdr *h, char *buf, size_t n)
{
	(void)fmt;
	snprintf(buf, n, "notifier=%#llx", (unsigned long long)REC(read_begin, h)->notifier);
}

static void json(const struct hmm_fmt *fmt, const struct hmm_rec_hdr *h, json_t *o)
{
	const struct hmm_rec_read_begin *r = REC(read_begin, h);

	(void)fmt;
	json_object_set_new(o, "dur_ns", json_integer(r->dur_ns));
	json_object_set_new(o, "notifier", hmm_json_hex(r->notifier));
	json_object_set_new(o, "mm", hmm_json_hex(r->mm));
}

static const char *title(const struct hmm_rec_hdr *h, char *buf, size_t n)
{
	(void)h;
	snprintf(buf, n, "mmu_interval_read_begin");
	return buf;
}

const struct hmm_rec_desc hmm_rec_read_begin = {
	.type = HMM_REC_READ_BEGIN,
	.name = "read_begin",
	.size = sizeof(struct hmm_rec_read_begin),
	.event = true,
	.caller = caller,
	.owner = owner,
	.dur = dur,
	.count = count,
	.samples = samples,
	.stats = stats,
	.text = text,
	.json = json,
	.chrome = HMM_CHROME_SLICE,
	.title = title,
	.heat = "mmu_interval_read_begin() waits",
};
