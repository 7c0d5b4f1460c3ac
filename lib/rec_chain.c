// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* HMM_REC_CHAIN: an -EBUSY retry chain ended, first attempt to last return (bpf/hmm.bpf.c). */
#include <stdio.h>
#include "format.h"
#include "rec.h"
#include "stats_impl.h"

REC_TASK(caller, chain, caller)
REC_TASK(owner, chain, owner)
REC_U64(dur, chain, dur_ns)

static unsigned int addrs(const struct hmm_rec_hdr *h, __u64 a[2])
{
	a[0] = REC(chain, h)->ops;
	return a[0] ? 1 : 0;
}

/* A stall: the threshold reached, or a chain that ended by its timeout: a 7.x call's, or a
 * driver's loop that gave up (an older record has no flags: by its duration only). */
static unsigned int stall(const struct hmm_rec_hdr *h, __u64 stall_ns)
{
	const struct hmm_rec_chain *r = REC(chain, h);

	return (r->dur_ns >= stall_ns ? HMM_STALL_LONG : 0) |
	       (hmm_chain_flags(r) & (HMM_CHAIN_F_TIMEOUT | HMM_CHAIN_F_GAVE_UP) ? HMM_STALL_TIMEOUT : 0);
}

/* A chain has no counters of its own: its attempts counted them (rec_fault.c). */
static void count(__u64 *c, const struct hmm_rec_hdr *h, unsigned int page_shift)
{
	(void)c, (void)h, (void)page_shift;
}

static inline __attribute__((always_inline)) void samples_chain(const struct hmm_rec_chain *r,
								hmm_sample_fn fn, void *ctx)
{
	__u16 res = hmm_fault_result(r->ret);

	hmm_sample(fn, ctx, r->ops, HMM_M_CHAIN_NS, res, r->dur_ns);
	hmm_sample(fn, ctx, r->ops, HMM_M_CHAIN_ATTEMPTS, res, r->attempts);
}

static void samples(const struct hmm_rec_hdr *h, hmm_sample_fn fn, void *ctx)
{
	samples_chain(REC(chain, h), fn, ctx);
}

static void stats(struct hmm_stats *s, const struct hmm_rec_hdr *h)
{
	const struct hmm_rec_chain *r = REC(chain, h);
	struct hmm_stats_priv *p = s->priv;
	__u32 slot = memo(p, r->dur_ns);
	unsigned int st = stall(h, p->opts.stall_ns);
	struct hmm_stats_group *o, *d;

	p->site = site_get(s, r->ops);
	if (r->cause.stack) {
		struct hmm_stats_stack *cs = stats_stack_get(s, r->cause.stack);

		if (cs) {
			cs->chains++;
			cs->stalls += !!st;
		}
	}
	/* The groups before the samples (rec_fault.c). */
	o = owner_group(s, &r->owner);
	d = site_group(s, p->site, r->ops);
	samples_chain(r, add_sample, s);
	if (o) {
		group_touch(o, h->ts);
		hmm_hist_add_slot(&o->chain_ns, r->dur_ns, slot);
		if (r->attempts > o->longest_chain)
			o->longest_chain = r->attempts;
		o->stalls += !!st;
	}
	if (d) {
		group_touch(d, h->ts);
		hmm_hist_add_slot(&d->chain_ns, r->dur_ns, slot);
		if (r->attempts > d->longest_chain)
			d->longest_chain = r->attempts;
		d->stalls += !!st;
	}
	stats_top_chain(s, r, d ? d->name : stats_driver_name(s, r->ops), st);
	stats_span(s, h->ts, r->dur_ns);
}

static void text(const struct hmm_fmt *fmt, const struct hmm_rec_hdr *h, char *buf, size_t n)
{
	const struct hmm_rec_chain *r = REC(chain, h);
	char cause[96], drv[64];

	hmm_text_cause(cause, sizeof(cause), &r->cause);
	snprintf(buf, n, "%s after %u attempts (%u -EBUSY)%s%s%s%s drv=%s%s",
		 hmm_result_str(hmm_fault_result(r->ret)), r->attempts, r->busy,
		 hmm_chain_flags(r) & HMM_CHAIN_F_UNLOCKED ? " unlocked" : "",
		 hmm_chain_flags(r) & HMM_CHAIN_F_TIMEOUT ? " timeout" : "",
		 hmm_chain_flags(r) & HMM_CHAIN_F_GAVE_UP ? " gave_up" : "",
		 hmm_rec_stall(h, fmt->stall_ns) ? " stall" : "",
		 hmm_text_driver(fmt, r->ops, drv, sizeof(drv)), cause);
}

static void json(const struct hmm_fmt *fmt, const struct hmm_rec_hdr *h, json_t *o)
{
	const struct hmm_rec_chain *r = REC(chain, h);

	json_object_set_new(o, "dur_ns", json_integer(r->dur_ns));
	json_object_set_new(o, "ret", json_integer(r->ret));
	json_object_set_new(o, "result", json_string(hmm_result_str(hmm_fault_result(r->ret))));
	json_object_set_new(o, "attempts", json_integer(r->attempts));
	json_object_set_new(o, "busy", json_integer(r->busy));
	json_object_set_new(o, "unlocked", json_boolean(hmm_chain_flags(r) & HMM_CHAIN_F_UNLOCKED));
	json_object_set_new(o, "timeout", json_boolean(hmm_chain_flags(r) & HMM_CHAIN_F_TIMEOUT));
	json_object_set_new(o, "gave_up", json_boolean(hmm_chain_flags(r) & HMM_CHAIN_F_GAVE_UP));
	json_object_set_new(o, "stall", json_boolean(hmm_rec_stall(h, fmt->stall_ns)));
	json_object_set_new(o, "notifier", hmm_json_hex(r->notifier));
	json_object_set_new(o, "mm", hmm_json_hex(r->mm));
	hmm_json_attrib(fmt, o, r->ops);
	json_object_set_new(o, "cause", hmm_json_cause(fmt, &r->cause));
}

static const char *title(const struct hmm_rec_hdr *h, char *buf, size_t n)
{
	(void)h;
	snprintf(buf, n, "retry chain");
	return buf;
}

static __u32 cause_stack(const struct hmm_rec_hdr *h)
{
	return REC(chain, h)->cause.stack;
}

const struct hmm_rec_desc hmm_rec_chain = {
	.type = HMM_REC_CHAIN,
	.name = "chain",
	/* flags came later: older chain records end before them (hmm_chain_flags()) */
	.size = offsetof(struct hmm_rec_chain, flags),
	.event = true,
	.caller = caller,
	.owner = owner,
	.dur = dur,
	.addrs = addrs,
	.stack = cause_stack,
	.count = count,
	.samples = samples,
	.stats = stats,
	.text = text,
	.json = json,
	.chrome = HMM_CHROME_SPAN,
	.title = title,
	.heat = "-EBUSY retry chain latency (first attempt to last return)",
	.stall = stall,
};
