// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* HMM_REC_MIGRATE: one migration, setup to finalize on one pfn array (bpf/migrate.bpf.c). */
#include <stdint.h>
#include <stdio.h>
#include "format.h"
#include "rec.h"
#include "stats_impl.h"

REC_TASK(caller, migrate, caller)
REC_TASK(owner, migrate, owner)
REC_U64(dur, migrate, total_ns)

/* The driver (learnt from its faults) and the function that called setup. */
static unsigned int addrs(const struct hmm_rec_hdr *h, __u64 a[2])
{
	const struct hmm_rec_migrate *r = REC(migrate, h);
	unsigned int n = 0;

	if (r->driver)
		a[n++] = r->driver;
	if (r->caller_ip)
		a[n++] = r->caller_ip;
	return n;
}

static inline void count_migrate(__u64 *c, const struct hmm_rec_migrate *r)
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

static inline __attribute__((always_inline)) void
samples_migrate(const struct hmm_rec_migrate *r, hmm_sample_fn fn, void *ctx)
{
	hmm_sample(fn, ctx, r->driver, HMM_M_MIGRATE_NS, r->dir, r->total_ns);
	hmm_sample(fn, ctx, r->driver, HMM_M_MIGRATE_SETUP_NS, r->dir, r->setup_ns);
	if (r->flags & HMM_MIG_F_PAGES) {
		hmm_sample(fn, ctx, r->driver, HMM_M_MIGRATE_COPY_NS, r->dir, r->copy_ns);
		hmm_sample(fn, ctx, r->driver, HMM_M_MIGRATE_FINALIZE_NS, r->dir, r->finalize_ns);
	}
}

static void count(__u64 *c, const struct hmm_rec_hdr *h, unsigned int page_shift)
{
	(void)page_shift;
	count_migrate(c, REC(migrate, h));
}

static void samples(const struct hmm_rec_hdr *h, hmm_sample_fn fn, void *ctx)
{
	samples_migrate(REC(migrate, h), fn, ctx);
}

static void stats(struct hmm_stats *s, const struct hmm_rec_hdr *h)
{
	const struct hmm_rec_migrate *r = REC(migrate, h);
	struct hmm_stats_priv *p = s->priv;
	__u64 addr = r->driver ? r->driver : r->caller_ip;
	__u8 dir = r->dir < HMM_DIR_MAX ? r->dir : HMM_DIR_TO_SYSTEM;
	__u32 slot = memo(p, r->total_ns);
	struct hmm_stats_group *o, *d;
	struct hmm_stats_mig *m;

	count_migrate(s->c, r);
	p->site = site_get(s, r->driver);
	/* The groups before the samples (rec_fault.c); the site's group where addr is its address. */
	o = owner_group(s, &r->owner);
	d = r->driver ? site_group(s, p->site, addr) : stats_driver_group(s, addr);
	samples_migrate(r, add_sample, s);
	if (o) {
		count_migrate(o->c, r);
		group_touch(o, h->ts);
		o->migrate_ns += r->total_ns;
	}
	if (d) {
		count_migrate(d->c, r);
		group_touch(d, h->ts);
		d->migrate_ns += r->total_ns;
	}
	m = stats_mig_get(s, dir, addr);
	if (m) {
		m->count++;
		m->cpu_fault += !!(r->flags & HMM_MIG_F_FAULT);
		m->npages += r->npages;
		m->cpages += r->cpages;
		m->moved += r->moved;
		m->stayed += r->stayed;
		m->setup_ns += r->setup_ns;
		if (r->flags & HMM_MIG_F_PAGES) {
			m->copy_ns += r->copy_ns;
			m->finalize_ns += r->finalize_ns;
		}
		m->total_ns += r->total_ns;
		hmm_hist_add_slot(&m->total_hist, r->total_ns, slot);
	}
	stats_span(s, h->ts, r->total_ns);
}

static void text(const struct hmm_fmt *fmt, const struct hmm_rec_hdr *h, char *buf, size_t n)
{
	const struct hmm_rec_migrate *r = REC(migrate, h);
	char s[16], c[16], f[16], drv[64], span[24] = "";

	if (r->span)
		snprintf(span, sizeof(span), " of %u", r->span);
	hmm_fmt_duration(s, sizeof(s), r->setup_ns);
	hmm_fmt_duration(c, sizeof(c), r->copy_ns);
	hmm_fmt_duration(f, sizeof(f), r->finalize_ns);
	snprintf(buf, n,
		 "%s%s%s%s %up%s collected=%u moved=%u stayed=%u setup=%s copy=%s final=%s "
		 "drv=%s%s",
		 hmm_dir_str(r->dir), r->flags & HMM_MIG_F_FAULT ? " cpu-fault" : "",
		 r->flags & HMM_MIG_F_DEVICE ? " evict" : "",
		 r->flags & HMM_MIG_F_LARGE ? " large" : "", r->npages, span, r->cpages, r->moved,
		 r->stayed, s, c, f, hmm_text_driver(fmt, r->driver, drv, sizeof(drv)),
		 r->setup_ret ? " setup-failed" : "");
}

static void json(const struct hmm_fmt *fmt, const struct hmm_rec_hdr *h, json_t *o)
{
	const struct hmm_rec_migrate *r = REC(migrate, h);
	const char *caller_fn = hmm_fmt_sym(fmt, r->caller_ip);

	json_object_set_new(o, "dur_ns", json_integer(r->total_ns));
	json_object_set_new(o, "setup_ns", json_integer(r->setup_ns));
	json_object_set_new(o, "copy_ns", json_integer(r->copy_ns));
	json_object_set_new(o, "finalize_ns", json_integer(r->finalize_ns));
	json_object_set_new(o, "direction", json_string(hmm_dir_str(r->dir)));
	json_object_set_new(o, "cpu_fault", json_boolean(r->flags & HMM_MIG_F_FAULT));
	json_object_set_new(o, "device_range", json_boolean(r->flags & HMM_MIG_F_DEVICE));
	json_object_set_new(o, "large", json_boolean(r->flags & HMM_MIG_F_LARGE));
	json_object_set_new(o, "start", hmm_json_hex(r->start));
	json_object_set_new(o, "end", hmm_json_hex(r->end));
	json_object_set_new(o, "npages", json_integer(r->npages));
	json_object_set_new(o, "cpages", json_integer(r->cpages));
	json_object_set_new(o, "moved", json_integer(r->moved));
	json_object_set_new(o, "stayed", json_integer(r->stayed));
	json_object_set_new(o, "span", json_integer(r->span));
	json_object_set_new(o, "setup_ret", json_integer(r->setup_ret));
	json_object_set_new(o, "mm", hmm_json_hex(r->mm));
	json_object_set_new(o, "driver", hmm_json_str(hmm_fmt_driver(fmt, r->driver), SIZE_MAX));
	json_object_set_new(o, "caller_fn", caller_fn ? hmm_json_str(caller_fn, SIZE_MAX) : json_null());
}

static const char *title(const struct hmm_rec_hdr *h, char *buf, size_t n)
{
	snprintf(buf, n, "migrate %s", hmm_dir_str(REC(migrate, h)->dir));
	return buf;
}

static __u64 pages(const struct hmm_rec_hdr *h)
{
	return REC(migrate, h)->npages;
}

const struct hmm_rec_desc hmm_rec_migrate = {
	.type = HMM_REC_MIGRATE,
	.name = "migrate",
	.size = sizeof(struct hmm_rec_migrate),
	.event = true,
	.caller = caller,
	.owner = owner,
	.dur = dur,
	.addrs = addrs,
	.count = count,
	.samples = samples,
	.stats = stats,
	.text = text,
	.json = json,
	.chrome = HMM_CHROME_SLICE,
	.title = title,
	.pages = pages,
	.heat = "migration latency (setup to finalize)",
};
