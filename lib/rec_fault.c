// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* HMM_REC_FAULT: one hmm_range_fault() call (bpf/hmm.bpf.c, fault_exit()). */
#include <errno.h>
#include <stdio.h>
#include "format.h"
#include "rec.h"
#include "stats_impl.h"

REC_TASK(caller, fault, caller)
REC_TASK(owner, fault, owner)
REC_U64(dur, fault, dur_ns)

static unsigned int addrs(const struct hmm_rec_hdr *h, __u64 a[2])
{
	a[0] = REC(fault, h)->ops;
	return a[0] ? 1 : 0;
}

/* A lone call (attempt 1, any result but -EBUSY) is a chain of one: a stall when it lasted the
 * threshold. */
static inline unsigned int stall_fault(const struct hmm_rec_fault *r, __u64 stall_ns)
{
	return hmm_fault_result(r->ret) != HMM_RES_EBUSY && r->attempt <= 1 &&
			       r->dur_ns >= stall_ns ?
		       HMM_STALL_LONG :
		       0;
}

static unsigned int stall(const struct hmm_rec_hdr *h, __u64 stall_ns)
{
	return stall_fault(REC(fault, h), stall_ns);
}

static inline void count_fault(__u64 *c, const struct hmm_rec_fault *r)
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

static inline __attribute__((always_inline)) void samples_fault(const struct hmm_rec_fault *r,
								hmm_sample_fn fn, void *ctx)
{
	__u16 res = hmm_fault_result(r->ret);

	hmm_sample(fn, ctx, r->ops, HMM_M_FAULT_NS, res, r->dur_ns);
	/* A chain of one attempt is the call itself; longer ones come as chain records. */
	if (res != HMM_RES_EBUSY && r->attempt <= 1) {
		hmm_sample(fn, ctx, r->ops, HMM_M_CHAIN_NS, res, r->dur_ns);
		hmm_sample(fn, ctx, r->ops, HMM_M_CHAIN_ATTEMPTS, res, 1);
	}
}

static void count(__u64 *c, const struct hmm_rec_hdr *h, unsigned int page_shift)
{
	(void)page_shift;
	count_fault(c, REC(fault, h));
}

static void samples(const struct hmm_rec_hdr *h, hmm_sample_fn fn, void *ctx)
{
	samples_fault(REC(fault, h), fn, ctx);
}

static void stats(struct hmm_stats *s, const struct hmm_rec_hdr *h)
{
	const struct hmm_rec_fault *r = REC(fault, h);
	struct hmm_stats_priv *p = s->priv;
	__u16 res = hmm_fault_result(r->ret);
	__u32 slot = memo(p, r->dur_ns);
	struct hmm_stats_group *o, *d;

	count_fault(s->c, r);
	p->site = site_get(s, r->ops);
	/* The groups before the samples: their lookups and the site's miss in the caches at once. */
	o = owner_group(s, &r->owner);
	d = site_group(s, p->site, r->ops);
	samples_fault(r, add_sample, s);
	if (o) {
		count_fault(o->c, r);
		group_touch(o, h->ts);
		hmm_hist_add_slot(&o->fault_ns, r->dur_ns, slot);
	}
	if (d) {
		count_fault(d->c, r);
		group_touch(d, h->ts);
		hmm_hist_add_slot(&d->fault_ns, r->dur_ns, slot);
	}
	if (res == HMM_RES_EBUSY) {
		if (o)
			stats_group_cause(o, r);
		if (d)
			stats_group_cause(d, r);
		stats_pending_add(p, r);
		if (r->cause.stack) {
			struct hmm_stats_stack *st = stats_stack_get(s, r->cause.stack);

			if (st) {
				st->retries++;
				st->lost_ns += r->dur_ns;
			}
		}
	} else if (r->attempt <= 1) {
		/* A lone call is a chain of one (samples_fault() above). */
		unsigned int st = stall_fault(r, p->opts.stall_ns);

		if (o) {
			hmm_hist_add_slot(&o->chain_ns, r->dur_ns, slot);
			if (!o->longest_chain)
				o->longest_chain = 1;
			o->stalls += !!st;
		}
		if (d) {
			hmm_hist_add_slot(&d->chain_ns, r->dur_ns, slot);
			if (!d->longest_chain)
				d->longest_chain = 1;
			d->stalls += !!st;
		}
		if (st)
			stats_lone_stall(s, r, d ? d->name : stats_driver_name(s, r->ops), st);
	}
	stats_span(s, h->ts, r->dur_ns);
}

static void text(const struct hmm_fmt *fmt, const struct hmm_rec_hdr *h, char *buf, size_t n)
{
	const struct hmm_rec_fault *r = REC(fault, h);
	char cause[96] = "", drv[64];

	if (r->ret == -EBUSY)
		hmm_text_cause(cause, sizeof(cause), &r->cause);
	snprintf(buf, n, "%s %s%s %up [%#llx) drv=%s attempt=%u%s%s valid=%u%s%s",
		 hmm_result_str(hmm_fault_result(r->ret)),
		 r->flags & HMM_FAULT_F_FAULT ? "fault" : "snapshot",
		 r->flags & HMM_FAULT_F_WRITE ? "+write" : "", r->npages,
		 (unsigned long long)r->start, hmm_text_driver(fmt, r->ops, drv, sizeof(drv)),
		 r->attempt, r->flags & HMM_FAULT_F_UNLOCKED ? " unlocked" : "",
		 hmm_rec_stall(h, fmt->stall_ns) ? " stall" : "",
		 r->valid,
		 r->flags & HMM_FAULT_F_TRUNCATED ? "+" : "", cause);
}

static void json(const struct hmm_fmt *fmt, const struct hmm_rec_hdr *h, json_t *o)
{
	const struct hmm_rec_fault *r = REC(fault, h);

	json_object_set_new(o, "dur_ns", json_integer(r->dur_ns));
	json_object_set_new(o, "ret", json_integer(r->ret));
	json_object_set_new(o, "result", json_string(hmm_result_str(hmm_fault_result(r->ret))));
	json_object_set_new(o, "start", hmm_json_hex(r->start));
	json_object_set_new(o, "end", hmm_json_hex(r->end));
	json_object_set_new(o, "npages", json_integer(r->npages));
	json_object_set_new(o, "fault", json_boolean(r->flags & HMM_FAULT_F_FAULT));
	json_object_set_new(o, "write", json_boolean(r->flags & HMM_FAULT_F_WRITE));
	json_object_set_new(o, "attempt", json_integer(r->attempt));
	json_object_set_new(o, "unlocked", json_boolean(r->flags & HMM_FAULT_F_UNLOCKED));
	json_object_set_new(o, "stall", json_boolean(hmm_rec_stall(h, fmt->stall_ns)));
	json_object_set_new(o, "notifier", hmm_json_hex(r->notifier));
	json_object_set_new(o, "mm", hmm_json_hex(r->mm));
	hmm_json_attrib(fmt, o, r->ops);
	json_object_set_new(o, "pfn_valid", json_integer(r->valid));
	json_object_set_new(o, "pfn_write", json_integer(r->write));
	json_object_set_new(o, "pfn_error", json_integer(r->error));
	json_object_set_new(o, "pfn_scanned", json_integer(r->scanned));
	json_object_set_new(o, "pfn_truncated", json_boolean(r->flags & HMM_FAULT_F_TRUNCATED));
	json_object_set_new(o, "max_order", json_integer(r->max_order));
	json_object_set_new(o, "cause", hmm_json_cause(fmt, &r->cause));
}

static const char *title(const struct hmm_rec_hdr *h, char *buf, size_t n)
{
	(void)h;
	snprintf(buf, n, "hmm_range_fault");
	return buf;
}

static __u64 pages(const struct hmm_rec_hdr *h)
{
	return REC(fault, h)->npages;
}

static __u32 cause_stack(const struct hmm_rec_hdr *h)
{
	return REC(fault, h)->cause.stack;
}

const struct hmm_rec_desc hmm_rec_fault = {
	.type = HMM_REC_FAULT,
	.name = "fault",
	.size = sizeof(struct hmm_rec_fault),
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
	.chrome = HMM_CHROME_SLICE,
	.title = title,
	.pages = pages,
	.heat = "hmm_range_fault latency per call",
	.stall = stall,
};
