// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* HMM_REC_UFFD: one handle_userfault(), how long the thread waited (bpf/uffd.bpf.c). */
#include <stdio.h>
#include "format.h"
#include "rec.h"
#include "stats_impl.h"

/* The faulting thread is in the mm's own process: it is the caller and the owner both. */
static const struct hmm_task *task(const struct hmm_rec_hdr *h)
{
	return &REC(uffd, h)->task;
}

REC_U64(dur, uffd, dur_ns)

static inline void count_uffd(__u64 *c, const struct hmm_rec_uffd *r)
{
	c[HMM_C_UFFD_BASE + (r->reason < HMM_UFFD_MAX ? r->reason : HMM_UFFD_OTHER)]++;
}

static void count(__u64 *c, const struct hmm_rec_hdr *h, unsigned int page_shift)
{
	(void)page_shift;
	count_uffd(c, REC(uffd, h));
}

static void samples(const struct hmm_rec_hdr *h, hmm_sample_fn fn, void *ctx)
{
	hmm_sample(fn, ctx, 0, HMM_M_UFFD_NS, REC(uffd, h)->reason, REC(uffd, h)->dur_ns);
}

static void stats(struct hmm_stats *s, const struct hmm_rec_hdr *h)
{
	const struct hmm_rec_uffd *r = REC(uffd, h);
	struct hmm_stats_group *o;

	count_uffd(s->c, r);
	s->priv->site = site_get(s, 0);
	hmm_sample(add_sample, s, 0, HMM_M_UFFD_NS, r->reason, r->dur_ns);
	o = owner_group(s, &r->task);
	if (o) {
		count_uffd(o->c, r);
		group_touch(o, h->ts);
	}
	stats_span(s, h->ts, r->dur_ns);
}

static void text(const struct hmm_fmt *fmt, const struct hmm_rec_hdr *h, char *buf, size_t n)
{
	const struct hmm_rec_uffd *r = REC(uffd, h);

	(void)fmt;
	snprintf(buf, n, "%s addr=%#llx", hmm_uffd_reason_str(r->reason),
		 (unsigned long long)r->address);
}

static void json(const struct hmm_fmt *fmt, const struct hmm_rec_hdr *h, json_t *o)
{
	const struct hmm_rec_uffd *r = REC(uffd, h);

	(void)fmt;
	json_object_set_new(o, "dur_ns", json_integer(r->dur_ns));
	json_object_set_new(o, "reason", json_string(hmm_uffd_reason_str(r->reason)));
	json_object_set_new(o, "address", hmm_json_hex(r->address));
	json_object_set_new(o, "vm_fault", json_integer(r->ret));
}

static const char *title(const struct hmm_rec_hdr *h, char *buf, size_t n)
{
	snprintf(buf, n, "userfault %s", hmm_uffd_reason_str(REC(uffd, h)->reason));
	return buf;
}

const struct hmm_rec_desc hmm_rec_uffd = {
	.type = HMM_REC_UFFD,
	.name = "uffd",
	.size = sizeof(struct hmm_rec_uffd),
	.event = true,
	.caller = task,
	.owner = task,
	.dur = dur,
	.count = count,
	.samples = samples,
	.stats = stats,
	.text = text,
	.json = json,
	.chrome = HMM_CHROME_SLICE,
	.title = title,
	.heat = "handle_userfault() latency",
};
