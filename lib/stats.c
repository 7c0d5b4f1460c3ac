// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Records -> per-owner, per-driver, per-direction and per-task statistics (see stats.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "agg.h"
#include "hist.h"
#include "stats.h"

/*
 * An open-addressing hash from a 128-bit key to a slot index, linear probing, power-of-two
 * capacity, never more than half full. Values are indexes into the caller's arrays, so the
 * groups themselves never move (callers keep pointers to them).
 */
struct kmap {
	struct kmap_ent {
		__u64 a, b;
		__u32 val; /* index + 1; 0: empty */
	} *ent;
	size_t cap, n;
};

static inline size_t kmap_hash(__u64 a, __u64 b)
{
	__u64 h = a * 0x9e3779b97f4a7c15ULL ^ (b + 0x632be59bd9b4e019ULL) * 0xbf58476d1ce4e5b9ULL;

	return (size_t)(h ^ (h >> 31));
}

/* The value for (a, b), or -1. */
static inline long kmap_get(const struct kmap *m, __u64 a, __u64 b)
{
	size_t i;

	if (!m->cap)
		return -1;
	for (i = kmap_hash(a, b) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		const struct kmap_ent *e = &m->ent[i];

		if (!e->val)
			return -1;
		if (e->a == a && e->b == b)
			return e->val - 1;
	}
}

static int kmap_put(struct kmap *m, __u64 a, __u64 b, __u32 val)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		struct kmap grown = { .cap = m->cap ? m->cap * 2 : 64 };
		size_t j;

		grown.ent = calloc(grown.cap, sizeof(*grown.ent));
		if (!grown.ent)
			return -ENOMEM;
		for (j = 0; j < m->cap; j++)
			if (m->ent[j].val)
				kmap_put(&grown, m->ent[j].a, m->ent[j].b, m->ent[j].val - 1);
		free(m->ent);
		*m = grown;
	}
	for (i = kmap_hash(a, b) & (m->cap - 1); m->ent[i].val; i = (i + 1) & (m->cap - 1))
		;
	m->ent[i] = (struct kmap_ent){ .a = a, .b = b, .val = val + 1 };
	m->n++;
	return 0;
}

/* Causes of the -EBUSY attempts of chains still running, by (caller tid, notifier). */
struct pending {
	__u32 tid;
	__u64 notifier;
	__u32 n;
	__u8 event[HMM_STATS_CHAIN_CAUSES];
	__u32 count[HMM_STATS_CHAIN_CAUSES];
	struct hmm_task task[HMM_STATS_CHAIN_CAUSES];
};

#define MAX_PENDING 256

struct hist_ent {
	struct hmm_hist_key key;
	struct hmm_hist h;
};

/*
 * The histograms of one attribution address (a hist key's driver) by metric and label, as they
 * come into use: a record's samples share its address, so one lookup per record finds them all
 * (add_sample()). drv: the address's drivers[] index, once driver_index() gave it (-1 before).
 */
#define SITE_LABELS 16 /* results, directions, events, uffd reasons; others go to hist_map */

struct hist_site {
	__u64 driver;
	long drv;
	struct hmm_hist *h[HMM_M_MAX][SITE_LABELS];
};

struct hmm_stats_priv {
	struct hmm_stats_opts opts;
	struct kmap owner_map;	/* pid -> owners[] */
	struct kmap driver_map; /* hash of name, 0 -> drivers[] */
	struct kmap addr_map;	/* attribution address -> drivers[] */
	struct kmap mig_map;	/* (dir, driver group) -> migs[] */
	struct kmap task_map;	/* pid -> inval_tasks[] */
	struct kmap hist_map;	/* (driver, metric << 16 | label) -> hists[] */
	struct kmap site_map;	/* driver -> sites[] */
	struct hist_ent **hists;
	size_t n_hists;
	struct hist_site **sites;
	struct hist_site *site;	 /* the current record's: add_sample() */
	struct hist_site *site0; /* driver 0's */
	size_t n_sites;
	size_t cap_owners, cap_drivers, cap_migs, cap_tasks, cap_hists, cap_sites;
	struct pending pending[MAX_PENDING];
	size_t n_pending;
	int err; /* the first allocation failure of the current record */
	/* The record's main value (a duration) and its histogram slot, which hmm_stats__add()
	 * computes once for the several histograms that take it: memo(). */
	__u64 v;
	__u32 v_slot;
};

static int grow(void *arrp, size_t *cap, size_t n)
{
	void ***arr = arrp;
	void **p;

	if (n < *cap)
		return 0;
	p = realloc(*arr, (*cap ? *cap * 2 : 16) * sizeof(void *));
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = *cap ? *cap * 2 : 16;
	return 0;
}

struct hmm_stats *hmm_stats__new(const struct hmm_stats_opts *opts)
{
	struct hmm_stats *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->priv = calloc(1, sizeof(*s->priv));
	if (!s->priv) {
		free(s);
		return NULL;
	}
	if (opts)
		memcpy(&s->priv->opts, opts,
		       opts->sz && opts->sz < sizeof(*opts) ? opts->sz : sizeof(*opts));
	if (!s->priv->opts.page_shift)
		s->priv->opts.page_shift = 12;
	if (!s->priv->opts.top_chains)
		s->priv->opts.top_chains = 10;
	s->top_chains = calloc(s->priv->opts.top_chains, sizeof(*s->top_chains));
	if (!s->top_chains) {
		hmm_stats__free(s);
		return NULL;
	}
	return s;
}

static void name_copy(char *dst, const char *src, size_t n)
{
	size_t l = strnlen(src, n - 1);

	memcpy(dst, src, l);
	dst[l] = 0;
}

static __u64 str_hash(const char *s)
{
	__u64 h = 1469598103934665603ULL; /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

/* owner_group() of an owner not seen before. */
static __attribute__((noinline)) struct hmm_stats_group *owner_new(struct hmm_stats *s,
								   const struct hmm_task *owner)
{
	struct hmm_stats_priv *p = s->priv;
	struct hmm_stats_group *g;

	if (grow(&s->owners, &p->cap_owners, s->n_owners) || !(g = calloc(1, sizeof(*g))))
		goto nomem;
	g->pid = owner->pid;
	if (owner->pid)
		name_copy(g->name, owner->comm, HMM_COMM_LEN + 1);
	else
		strcpy(g->name, "?");
	if (kmap_put(&p->owner_map, owner->pid, 0, s->n_owners)) {
		free(g);
		goto nomem;
	}
	s->owners[s->n_owners++] = g;
	return g;
nomem:
	p->err = -ENOMEM;
	return NULL;
}

/* Inline: one or two per record. */
static inline struct hmm_stats_group *owner_group(struct hmm_stats *s,
						  const struct hmm_task *owner)
{
	long i = kmap_get(&s->priv->owner_map, owner->pid, 0);
	struct hmm_stats_group *g;

	if (i < 0)
		return owner_new(s, owner);
	g = s->owners[i];
	/* The comm of the latest record: a process may exec. */
	if (owner->pid && memcmp(g->name, owner->comm, HMM_COMM_LEN))
		name_copy(g->name, owner->comm, HMM_COMM_LEN + 1);
	return g;
}

static const char *driver_name(struct hmm_stats *s, __u64 addr)
{
	const struct hmm_stats_opts *o = &s->priv->opts;
	const char *n;

	if (!addr)
		return "none";
	n = o->driver_name ? o->driver_name(o->ctx, addr) : NULL;
	return n ? n : "unknown";
}

static long driver_index(struct hmm_stats *s, __u64 addr)
{
	struct hmm_stats_priv *p = s->priv;
	struct hmm_stats_group *g;
	const char *name;
	__u64 h;
	long i = kmap_get(&p->addr_map, addr, 0);

	if (i >= 0)
		return i;
	name = driver_name(s, addr);
	h = str_hash(name);
	i = kmap_get(&p->driver_map, h, 0);
	if (i < 0) {
		if (grow(&s->drivers, &p->cap_drivers, s->n_drivers) || !(g = calloc(1, sizeof(*g))))
			goto nomem;
		name_copy(g->name, name, sizeof(g->name));
		if (kmap_put(&p->driver_map, h, 0, s->n_drivers)) {
			free(g);
			goto nomem;
		}
		i = s->n_drivers;
		s->drivers[s->n_drivers++] = g;
	}
	if (kmap_put(&p->addr_map, addr, 0, i))
		goto nomem;
	return i;
nomem:
	p->err = -ENOMEM;
	return -1;
}

static struct hmm_stats_group *driver_group(struct hmm_stats *s, __u64 addr)
{
	long i = driver_index(s, addr);

	return i < 0 ? NULL : s->drivers[i];
}

static struct hmm_hist *hist_get(struct hmm_stats *s, const struct hmm_hist_key *key)
{
	struct hmm_stats_priv *p = s->priv;
	__u64 b = (__u64)key->metric << 16 | key->label;
	struct hist_ent *e;
	long i = kmap_get(&p->hist_map, key->driver, b);

	if (i >= 0)
		return &p->hists[i]->h;
	if (grow(&p->hists, &p->cap_hists, p->n_hists) || !(e = calloc(1, sizeof(*e))))
		goto nomem;
	e->key = *key;
	if (kmap_put(&p->hist_map, key->driver, b, p->n_hists)) {
		free(e);
		goto nomem;
	}
	p->hists[p->n_hists++] = e;
	return &e->h;
nomem:
	p->err = -ENOMEM;
	return NULL;
}

/* site_get() of a driver not seen before. */
static __attribute__((noinline)) struct hist_site *site_new(struct hmm_stats *s, __u64 driver)
{
	struct hmm_stats_priv *p = s->priv;
	struct hist_site *site;

	if (grow(&p->sites, &p->cap_sites, p->n_sites) || !(site = calloc(1, sizeof(*site))))
		goto nomem;
	site->driver = driver;
	site->drv = -1;
	if (kmap_put(&p->site_map, driver, 0, p->n_sites)) {
		free(site);
		goto nomem;
	}
	p->sites[p->n_sites++] = site;
	if (!driver)
		p->site0 = site;
	return site;
nomem:
	p->err = -ENOMEM;
	return NULL;
}

/* The histograms of driver (struct hist_site), made on first use; NULL where memory ran out. */
static inline struct hist_site *site_get(struct hmm_stats *s, __u64 driver)
{
	struct hmm_stats_priv *p = s->priv;
	long i;

	/* Invalidations, read_begin and uffd records: no driver. */
	if (!driver && p->site0)
		return p->site0;
	i = kmap_get(&p->site_map, driver, 0);
	return i < 0 ? site_new(s, driver) : p->sites[i];
}

/* driver_group() of the site's address, looked up once per site. */
static struct hmm_stats_group *site_group(struct hmm_stats *s, struct hist_site *site, __u64 addr)
{
	if (!site)
		return driver_group(s, addr);
	if (site->drv < 0)
		site->drv = driver_index(s, site->driver);
	return site->drv < 0 ? NULL : s->drivers[site->drv];
}

/*
 * Inline where agg.h's per-type sample functions call it: several per record. The histogram from
 * the record's site (set by the caller, for the address its samples are keyed by) where it is
 * that key's, through hist_map otherwise.
 */
static inline __attribute__((always_inline)) void add_sample(void *ctx,
							     const struct hmm_hist_key *key,
							     __u64 v)
{
	struct hmm_stats *s = ctx;
	struct hist_site *site = s->priv->site;
	struct hmm_hist *h;

	if (site && site->driver == key->driver && key->label < SITE_LABELS) {
		h = site->h[key->metric][key->label];
		if (!h)
			h = site->h[key->metric][key->label] = hist_get(s, key);
	} else {
		h = hist_get(s, key);
	}
	if (h)
		hmm_hist_add_slot(h, v, v == s->priv->v ? s->priv->v_slot : hmm_hist_slot(v));
}

/* v and its slot for add_sample() and the group histograms: one hmm_hist_slot() per record. */
static inline __u32 memo(struct hmm_stats_priv *p, __u64 v)
{
	p->v = v;
	p->v_slot = hmm_hist_slot(v);
	return p->v_slot;
}

static void group_touch(struct hmm_stats_group *g, __u64 ts)
{
	if (!g->first_ts || ts < g->first_ts)
		g->first_ts = ts;
	if (ts > g->last_ts)
		g->last_ts = ts;
}

static void group_cause(struct hmm_stats_group *g, const struct hmm_rec_fault *r)
{
	struct hmm_stats_cause *c = &g->causes[g->n_causes++ % HMM_STATS_CAUSES];

	c->ts = r->hdr.ts;
	c->tid = r->caller.tid;
	c->attempt = r->attempt;
	c->cause = r->cause;
}

static struct pending *pending_find(struct hmm_stats_priv *p, __u32 tid, __u64 notifier)
{
	size_t i;

	for (i = 0; i < p->n_pending; i++)
		if (p->pending[i].tid == tid && p->pending[i].notifier == notifier)
			return &p->pending[i];
	return NULL;
}

/* Remember what caused an -EBUSY, for the chain record that ends its chain. */
static void pending_add(struct hmm_stats_priv *p, const struct hmm_rec_fault *r)
{
	struct pending *pe = pending_find(p, r->caller.tid, r->notifier);
	__u32 i;

	if (!pe) {
		/* A chain whose end was never seen (lost, or the trace ended) is forgotten first. */
		if (p->n_pending == MAX_PENDING)
			memmove(&p->pending[0], &p->pending[1], --p->n_pending * sizeof(p->pending[0]));
		pe = &p->pending[p->n_pending++];
		memset(pe, 0, sizeof(*pe));
		pe->tid = r->caller.tid;
		pe->notifier = r->notifier;
	}
	if (!r->cause.found)
		return;
	for (i = 0; i < pe->n; i++) {
		if (pe->event[i] == r->cause.event && pe->task[i].pid == r->cause.task.pid &&
		    pe->task[i].tid == r->cause.task.tid) {
			pe->count[i]++;
			return;
		}
	}
	if (pe->n < HMM_STATS_CHAIN_CAUSES) {
		pe->event[pe->n] = r->cause.event;
		pe->task[pe->n] = r->cause.task;
		pe->count[pe->n++] = 1;
	}
}

static bool chain_longer(const struct hmm_stats_chain *a, const struct hmm_rec_chain *r)
{
	return a->attempts > r->attempts || (a->attempts == r->attempts && a->dur_ns >= r->dur_ns);
}

static void top_chain(struct hmm_stats *s, const struct hmm_rec_chain *r, const char *driver)
{
	struct hmm_stats_priv *p = s->priv;
	struct pending *pe = pending_find(p, r->caller.tid, r->notifier);
	size_t n = s->n_top_chains, max = p->opts.top_chains, i;
	struct hmm_stats_chain *c;
	__u32 k;

	/* Longest first; among equals the earlier chain stays ahead. */
	for (i = 0; i < n && chain_longer(&s->top_chains[i], r); i++)
		;
	if (i < max) {
		if (n == max)
			n--;
		memmove(&s->top_chains[i + 1], &s->top_chains[i], (n - i) * sizeof(*c));
		s->n_top_chains = n + 1;
		c = &s->top_chains[i];
		memset(c, 0, sizeof(*c));
		c->ts = r->hdr.ts;
		c->dur_ns = r->dur_ns;
		c->ret = r->ret;
		c->attempts = r->attempts;
		c->busy = r->busy;
		c->caller = r->caller;
		c->owner = r->owner;
		name_copy(c->driver, driver, sizeof(c->driver));
		if (pe) {
			for (k = 0; k < pe->n; k++) {
				c->causes[k].event = pe->event[k];
				c->causes[k].count = pe->count[k];
				c->causes[k].task = pe->task[k];
			}
			c->n_causes = pe->n;
		} else if (r->cause.found) {
			c->causes[0].event = r->cause.event;
			c->causes[0].count = 1;
			c->causes[0].task = r->cause.task;
			c->n_causes = 1;
		}
	}
	if (pe)
		*pe = p->pending[--p->n_pending];
}

static struct hmm_stats_mig *mig_get(struct hmm_stats *s, __u8 dir, __u64 addr)
{
	struct hmm_stats_priv *p = s->priv;
	struct hmm_stats_mig *m;
	long d = driver_index(s, addr), i;

	if (d < 0)
		return NULL;
	i = kmap_get(&p->mig_map, dir, d);
	if (i >= 0)
		return s->migs[i];
	if (grow(&s->migs, &p->cap_migs, s->n_migs) || !(m = calloc(1, sizeof(*m))))
		goto nomem;
	m->dir = dir;
	name_copy(m->driver, s->drivers[d]->name, sizeof(m->driver));
	if (kmap_put(&p->mig_map, dir, d, s->n_migs)) {
		free(m);
		goto nomem;
	}
	s->migs[s->n_migs++] = m;
	return m;
nomem:
	p->err = -ENOMEM;
	return NULL;
}

static struct hmm_stats_task *task_get(struct hmm_stats *s, const struct hmm_task *t)
{
	struct hmm_stats_priv *p = s->priv;
	struct hmm_stats_task *st;
	long i = kmap_get(&p->task_map, t->pid, 0);

	if (i >= 0)
		return s->inval_tasks[i];
	if (grow(&s->inval_tasks, &p->cap_tasks, s->n_inval_tasks) || !(st = calloc(1, sizeof(*st))))
		goto nomem;
	st->pid = t->pid;
	name_copy(st->comm, t->comm, sizeof(st->comm));
	if (kmap_put(&p->task_map, t->pid, 0, s->n_inval_tasks)) {
		free(st);
		goto nomem;
	}
	s->inval_tasks[s->n_inval_tasks++] = st;
	return st;
nomem:
	p->err = -ENOMEM;
	return NULL;
}

int hmm_stats__add(struct hmm_stats *s, const struct hmm_rec_hdr *rec)
{
	struct hmm_stats_priv *p = s->priv;
	unsigned int shift = p->opts.page_shift;
	struct hmm_stats_group *o = NULL, *d = NULL;
	__u64 end = rec->ts;

	p->err = 0;
	/* Bookkeeping of the file format, not events: a live consumer never sees them. */
	if (rec->type == HMM_REC_CLOCK || rec->type == HMM_REC_SYM)
		return 0;
	s->records++;
	if (rec->type < HMM_REC_TYPE_MAX)
		s->per_type[rec->type]++;

	/* One switch: the totals, the samples and the owner's and driver's counters by type
	 * (agg.h), as hmm_count_record() and hmm_record_samples() would count them. */
	switch (rec->type) {
	case HMM_REC_FAULT: {
		const struct hmm_rec_fault *r = (const void *)rec;
		__u16 res = hmm_fault_result(r->ret);
		__u32 slot = memo(p, r->dur_ns);

		end += r->dur_ns;
		hmm_count_fault(s->c, r);
		p->site = site_get(s, r->ops);
		hmm_samples_fault(r, add_sample, s);
		o = owner_group(s, &r->owner);
		d = site_group(s, p->site, r->ops);
		if (o) {
			hmm_count_fault(o->c, r);
			group_touch(o, rec->ts);
			hmm_hist_add_slot(&o->fault_ns, r->dur_ns, slot);
		}
		if (d) {
			hmm_count_fault(d->c, r);
			group_touch(d, rec->ts);
			hmm_hist_add_slot(&d->fault_ns, r->dur_ns, slot);
		}
		if (res == HMM_RES_EBUSY) {
			if (o)
				group_cause(o, r);
			if (d)
				group_cause(d, r);
			pending_add(p, r);
		} else if (r->attempt <= 1) {
			/* A lone call is a chain of one (agg.c, hmm_record_samples()). */
			if (o) {
				hmm_hist_add_slot(&o->chain_ns, r->dur_ns, slot);
				if (!o->longest_chain)
					o->longest_chain = 1;
			}
			if (d) {
				hmm_hist_add_slot(&d->chain_ns, r->dur_ns, slot);
				if (!d->longest_chain)
					d->longest_chain = 1;
			}
		}
		break;
	}
	case HMM_REC_CHAIN: {
		const struct hmm_rec_chain *r = (const void *)rec;
		__u32 slot = memo(p, r->dur_ns);

		end += r->dur_ns;
		p->site = site_get(s, r->ops);
		hmm_samples_chain(r, add_sample, s);
		o = owner_group(s, &r->owner);
		d = site_group(s, p->site, r->ops);
		if (o) {
			group_touch(o, rec->ts);
			hmm_hist_add_slot(&o->chain_ns, r->dur_ns, slot);
			if (r->attempts > o->longest_chain)
				o->longest_chain = r->attempts;
		}
		if (d) {
			group_touch(d, rec->ts);
			hmm_hist_add_slot(&d->chain_ns, r->dur_ns, slot);
			if (r->attempts > d->longest_chain)
				d->longest_chain = r->attempts;
		}
		top_chain(s, r, d ? d->name : driver_name(s, r->ops));
		break;
	}
	case HMM_REC_READ_BEGIN: {
		const struct hmm_rec_read_begin *r = (const void *)rec;

		end += r->dur_ns;
		hmm_count_read_begin(s->c);
		p->site = site_get(s, 0);
		hmm_samples_read_begin(r, add_sample, s);
		o = owner_group(s, &r->owner);
		if (o) {
			hmm_count_read_begin(o->c);
			group_touch(o, rec->ts);
			o->read_begin_ns += r->dur_ns;
		}
		break;
	}
	case HMM_REC_MIGRATE: {
		const struct hmm_rec_migrate *r = (const void *)rec;
		__u64 addr = r->driver ? r->driver : r->caller_ip;
		__u8 dir = r->dir < HMM_DIR_MAX ? r->dir : HMM_DIR_TO_SYSTEM;
		struct hmm_stats_mig *m;
		__u32 slot = memo(p, r->total_ns);

		end += r->total_ns;
		hmm_count_migrate(s->c, r);
		p->site = site_get(s, r->driver);
		hmm_samples_migrate(r, add_sample, s);
		o = owner_group(s, &r->owner);
		d = driver_group(s, addr);
		if (o) {
			hmm_count_migrate(o->c, r);
			group_touch(o, rec->ts);
			o->migrate_ns += r->total_ns;
		}
		if (d) {
			hmm_count_migrate(d->c, r);
			group_touch(d, rec->ts);
			d->migrate_ns += r->total_ns;
		}
		m = mig_get(s, dir, addr);
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
		break;
	}
	case HMM_REC_INVAL: {
		const struct hmm_rec_inval *r = (const void *)rec;
		__u64 ns = r->start_ns + r->end_ns;
		struct hmm_stats_task *t;

		end += ns;
		hmm_count_inval(s->c, r, shift);
		p->site = site_get(s, 0);
		hmm_samples_inval(r, add_sample, s);
		o = owner_group(s, &r->owner);
		if (o) {
			hmm_count_inval(o->c, r, shift);
			group_touch(o, rec->ts);
			o->inval_ns += ns;
		}
		t = task_get(s, &r->task);
		if (t) {
			t->count++;
			t->pages += hmm_inval_pages(r->start, r->end, shift);
			t->ns += ns;
			t->per_event[r->event < HMM_EV_MAX ? r->event : HMM_EV_UNKNOWN]++;
		}
		break;
	}
	case HMM_REC_UFFD: {
		const struct hmm_rec_uffd *r = (const void *)rec;

		end += r->dur_ns;
		hmm_count_uffd(s->c, r);
		p->site = site_get(s, 0);
		hmm_samples_uffd(r, add_sample, s);
		o = owner_group(s, &r->task);
		if (o) {
			hmm_count_uffd(o->c, r);
			group_touch(o, rec->ts);
		}
		break;
	}
	case HMM_REC_LOST:
		hmm_count_lost(s->c, (const void *)rec);
		break;
	default:
		s->unknown++;
		return 0;
	}
	if (rec->type != HMM_REC_LOST) {
		if (!s->first_ts || rec->ts < s->first_ts)
			s->first_ts = rec->ts;
		if (rec->ts > s->last_ts)
			s->last_ts = rec->ts;
		if (end > s->last_end_ts)
			s->last_end_ts = end;
	}
	return p->err;
}

int hmm_stats__hists(const struct hmm_stats *s,
		     int (*fn)(void *ctx, const struct hmm_hist_key *key, const struct hmm_hist *h),
		     void *ctx)
{
	size_t i;
	int err;

	for (i = 0; i < s->priv->n_hists; i++) {
		err = fn(ctx, &s->priv->hists[i]->key, &s->priv->hists[i]->h);
		if (err)
			return err;
	}
	return 0;
}

void hmm_stats__metric(const struct hmm_stats *s, __u16 metric, int label, struct hmm_hist *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < s->priv->n_hists; i++) {
		const struct hist_ent *e = s->priv->hists[i];

		if (e->key.metric == metric && (label < 0 || e->key.label == label))
			hmm_hist_merge(out, &e->h);
	}
}

__u64 hmm_stats_group_time(const struct hmm_stats_group *g)
{
	return g->fault_ns.sum + g->migrate_ns + g->read_begin_ns;
}

static void free_all(void **arr, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(arr[i]);
	free(arr);
}

void hmm_stats__free(struct hmm_stats *s)
{
	struct hmm_stats_priv *p;

	if (!s)
		return;
	p = s->priv;
	free_all((void **)s->owners, s->n_owners);
	free_all((void **)s->drivers, s->n_drivers);
	free_all((void **)s->migs, s->n_migs);
	free_all((void **)s->inval_tasks, s->n_inval_tasks);
	free(s->top_chains);
	if (p) {
		free_all((void **)p->hists, p->n_hists);
		free_all((void **)p->sites, p->n_sites);
		free(p->owner_map.ent);
		free(p->driver_map.ent);
		free(p->addr_map.ent);
		free(p->mig_map.ent);
		free(p->task_map.ent);
		free(p->hist_map.ent);
		free(p->site_map.ent);
		free(p);
	}
	free(s);
}
