// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* HMM_REC_INVAL: one invalidate_range_start .. _end (bpf/notifier.bpf.c). */
#include <stdio.h>
#include "format.h"
#include "rec.h"
#include "stats_impl.h"

REC_TASK(caller, inval, task)
REC_TASK(owner, inval, owner)

/* Both halves: the subscribers' callbacks in _start and whatever _end waits for. */
static __u64 dur(const struct hmm_rec_hdr *h)
{
	return REC(inval, h)->start_ns + REC(inval, h)->end_ns;
}

static inline __u16 event_of(const struct hmm_rec_inval *r)
{
	return r->event < HMM_EV_MAX ? r->event : HMM_EV_UNKNOWN;
}

static inline void count_inval(__u64 *c, const struct hmm_rec_inval *r, unsigned int page_shift)
{
	unsigned int ev = event_of(r);

	c[HMM_C_INVAL_BASE + ev]++;
	c[HMM_C_INVAL_PAGES_BASE + ev] += hmm_inval_pages(r->start, r->end, page_shift);
	if (r->ret)
		c[HMM_C_INVAL_EAGAIN]++;
}

static inline __attribute__((always_inline)) void samples_inval(const struct hmm_rec_inval *r,
								hmm_sample_fn fn, void *ctx)
{
	hmm_sample(fn, ctx, 0, HMM_M_INVAL_START_NS, event_of(r), r->start_ns);
	if (!(r->flags & HMM_INVAL_F_NO_END))
		hmm_sample(fn, ctx, 0, HMM_M_INVAL_END_NS, event_of(r), r->end_ns);
}

static void count(__u64 *c, const struct hmm_rec_hdr *h, unsigned int page_shift)
{
	count_inval(c, REC(inval, h), page_shift);
}

static void samples(const struct hmm_rec_hdr *h, hmm_sample_fn fn, void *ctx)
{
	samples_inval(REC(inval, h), fn, ctx);
}

static void stats(struct hmm_stats *s, const struct hmm_rec_hdr *h)
{
	const struct hmm_rec_inval *r = REC(inval, h);
	unsigned int shift = s->priv->opts.page_shift;
	__u64 ns = r->start_ns + r->end_ns;
	struct hmm_stats_group *o;
	struct hmm_stats_task *t;

	count_inval(s->c, r, shift);
	s->priv->site = site_get(s, 0);
	samples_inval(r, add_sample, s);
	o = owner_group(s, &r->owner);
	if (o) {
		count_inval(o->c, r, shift);
		group_touch(o, h->ts);
		o->inval_ns += ns;
	}
	t = stats_task_get(s, &r->task);
	if (t) {
		t->count++;
		t->pages += hmm_inval_pages(r->start, r->end, shift);
		t->ns += ns;
		t->per_event[event_of(r)]++;
	}
	stats_span(s, h->ts, ns);
}

static void text(const struct hmm_fmt *fmt, const struct hmm_rec_hdr *h, char *buf, size_t n)
{
	const struct hmm_rec_inval *r = REC(inval, h);
	char s[16], e[16];

	(void)fmt;
	hmm_fmt_duration(s, sizeof(s), r->start_ns);
	hmm_fmt_duration(e, sizeof(e), r->end_ns);
	snprintf(buf, n, "%s [%#llx-%#llx) start=%s end=%s%s%s", hmm_event_str(r->event),
		 (unsigned long long)r->start, (unsigned long long)r->end, s, e,
		 r->flags & HMM_INVAL_F_BLOCKABLE ? "" : " nonblock", r->ret ? " EAGAIN" : "");
}

static void json(const struct hmm_fmt *fmt, const struct hmm_rec_hdr *h, json_t *o)
{
	const struct hmm_rec_inval *r = REC(inval, h);

	(void)fmt;
	json_object_set_new(o, "dur_ns", json_integer(r->start_ns + r->end_ns));
	json_object_set_new(o, "start_ns", json_integer(r->start_ns));
	json_object_set_new(o, "end_ns", json_integer(r->end_ns));
	json_object_set_new(o, "event", json_string(hmm_event_str(r->event)));
	json_object_set_new(o, "start", hmm_json_hex(r->start));
	json_object_set_new(o, "end", hmm_json_hex(r->end));
	json_object_set_new(o, "blockable", json_boolean(r->flags & HMM_INVAL_F_BLOCKABLE));
	json_object_set_new(o, "ret", json_integer(r->ret));
	json_object_set_new(o, "mm", hmm_json_hex(r->mm));
	json_object_set_new(o, "owner_ptr", hmm_json_hex(r->owner_ptr));
}

static const char *title(const struct hmm_rec_hdr *h, char *buf, size_t n)
{
	snprintf(buf, n, "invalidate %s", hmm_event_str(REC(inval, h)->event));
	return buf;
}

const struct hmm_rec_desc hmm_rec_inval = {
	.type = HMM_REC_INVAL,
	.name = "inval",
	.size = sizeof(struct hmm_rec_inval),
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
	.heat = "invalidation latency (range_start and range_end)",
};
