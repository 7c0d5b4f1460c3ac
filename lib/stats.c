// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Records -> per-owner, per-driver, per-direction and per-task statistics (see stats.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "rec.h"
#include "stats_impl.h"

static int grow(void *arrp, size_t *cap, size_t n)
{
	return grow_array(arrp, cap, n + 1, sizeof(void *)); /* room for index n */
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
	if (!s->priv->opts.top_stalls)
		s->priv->opts.top_stalls = 10;
	if (!s->priv->opts.stall_ns)
		s->priv->opts.stall_ns = HMM_STALL_NS_DEFAULT;
	s->stall_ns = s->priv->opts.stall_ns;
	s->top_chains = calloc(s->priv->opts.top_chains, sizeof(*s->top_chains));
	s->top_stalls = calloc(s->priv->opts.top_stalls, sizeof(*s->top_stalls));
	if (!s->top_chains || !s->top_stalls) {
		hmm_stats__free(s);
		return NULL;
	}
	return s;
}

static __u64 str_hash(const char *s)
{
	__u64 h = 1469598103934665603ULL; /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

/* owner_group() of an owner not seen before. */
struct hmm_stats_group *stats_owner_new(struct hmm_stats *s, const struct hmm_task *owner)
{
	struct hmm_stats_priv *p = s->priv;
	struct hmm_stats_group *g;

	if (grow(&s->owners, &p->cap_owners, s->n_owners) ||
	    !(g = arena_zalloc(&p->arena, sizeof(*g))))
		goto nomem;
	g->pid = owner->pid;
	if (owner->pid)
		stats_name_copy(g->name, owner->comm, HMM_COMM_LEN + 1);
	else
		strcpy(g->name, "?");
	if (kmap_put(&p->owner_map, owner->pid, 0, s->n_owners))
		goto nomem;
	s->owners[s->n_owners++] = g;
	return g;
nomem:
	p->err = -ENOMEM;
	return NULL;
}

const char *stats_driver_name(struct hmm_stats *s, __u64 addr)
{
	const struct hmm_stats_opts *o = &s->priv->opts;
	const char *n;

	if (!addr)
		return "none";
	n = o->driver_name ? o->driver_name(o->ctx, addr) : NULL;
	return n ? n : "unknown";
}

long stats_driver_index(struct hmm_stats *s, __u64 addr)
{
	struct hmm_stats_priv *p = s->priv;
	struct hmm_stats_group *g;
	const char *name;
	__u64 h;
	long i = kmap_get(&p->addr_map, addr, 0);

	if (i >= 0)
		return i;
	name = stats_driver_name(s, addr);
	h = str_hash(name);
	i = kmap_get(&p->driver_map, h, 0);
	if (i < 0) {
		if (grow(&s->drivers, &p->cap_drivers, s->n_drivers) ||
		    !(g = arena_zalloc(&p->arena, sizeof(*g))))
			goto nomem;
		stats_name_copy(g->name, name, sizeof(g->name));
		if (kmap_put(&p->driver_map, h, 0, s->n_drivers))
			goto nomem;
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

struct hmm_stats_group *stats_driver_group(struct hmm_stats *s, __u64 addr)
{
	long i = stats_driver_index(s, addr);

	return i < 0 ? NULL : s->drivers[i];
}

struct hmm_hist *stats_hist_get(struct hmm_stats *s, const struct hmm_hist_key *key)
{
	struct hmm_stats_priv *p = s->priv;
	__u64 b = (__u64)key->metric << 16 | key->label;
	struct hist_ent *e;
	long i = kmap_get(&p->hist_map, key->driver, b);

	if (i >= 0)
		return &p->hists[i]->h;
	if (grow(&p->hists, &p->cap_hists, p->n_hists) ||
	    !(e = arena_zalloc(&p->arena, sizeof(*e))))
		goto nomem;
	e->key = *key;
	if (kmap_put(&p->hist_map, key->driver, b, p->n_hists))
		goto nomem;
	p->hists[p->n_hists++] = e;
	return &e->h;
nomem:
	p->err = -ENOMEM;
	return NULL;
}

/* site_get() of a driver not seen before. */
struct hist_site *stats_site_new(struct hmm_stats *s, __u64 driver)
{
	struct hmm_stats_priv *p = s->priv;
	struct hist_site *site;

	if (grow(&p->sites, &p->cap_sites, p->n_sites) ||
	    !(site = arena_zalloc(&p->arena, sizeof(*site))))
		goto nomem;
	site->driver = driver;
	if (kmap_put(&p->site_map, driver, 0, p->n_sites))
		goto nomem;
	p->sites[p->n_sites++] = site;
	if (!driver)
		p->site0 = site;
	return site;
nomem:
	p->err = -ENOMEM;
	return NULL;
}

void stats_group_cause(struct hmm_stats_group *g, const struct hmm_rec_fault *r)
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
void stats_pending_add(struct hmm_stats_priv *p, const struct hmm_rec_fault *r)
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

static bool chain_longer(const struct hmm_stats_chain *a, const struct hmm_stats_chain *c)
{
	return a->attempts > c->attempts || (a->attempts == c->attempts && a->dur_ns >= c->dur_ns);
}

static bool stall_longer(const struct hmm_stats_chain *a, const struct hmm_stats_chain *c)
{
	return a->dur_ns >= c->dur_ns;
}

typedef bool (*chain_cmp_fn)(const struct hmm_stats_chain *a, const struct hmm_stats_chain *c);

/* Keep c in a list of at most max, longest first; among equals the earlier stays ahead. */
static void top_insert(struct hmm_stats_chain *top, size_t *np, size_t max,
		       const struct hmm_stats_chain *c, chain_cmp_fn longer)
{
	size_t n = *np, i;

	for (i = 0; i < n && longer(&top[i], c); i++)
		;
	if (i >= max)
		return;
	if (n == max)
		n--;
	memmove(&top[i + 1], &top[i], (n - i) * sizeof(*top));
	top[i] = *c;
	*np = n + 1;
}

/* A chain that was a stall: the totals, and among the longest? */
static void stall_add(struct hmm_stats *s, const struct hmm_stats_chain *c)
{
	s->stalls++;
	if (hmm_fault_result(c->ret) == HMM_RES_EBUSY)
		s->stalls_ebusy++;
	if (c->stall & HMM_STALL_TIMEOUT)
		s->stalls_timeout++;
	top_insert(s->top_stalls, &s->n_top_stalls, s->priv->opts.top_stalls, c, stall_longer);
}

void stats_top_chain(struct hmm_stats *s, const struct hmm_rec_chain *r, const char *driver,
		     unsigned int stall)
{
	struct hmm_stats_priv *p = s->priv;
	struct pending *pe = pending_find(p, r->caller.tid, r->notifier);
	struct hmm_stats_chain c;
	__u32 k;

	memset(&c, 0, sizeof(c));
	c.ts = r->hdr.ts;
	c.dur_ns = r->dur_ns;
	c.ret = r->ret;
	c.attempts = r->attempts;
	c.busy = r->busy;
	c.caller = r->caller;
	c.owner = r->owner;
	c.flags = hmm_chain_flags(r);
	c.stall = stall;
	stats_name_copy(c.driver, driver, sizeof(c.driver));
	if (pe) {
		for (k = 0; k < pe->n; k++) {
			c.causes[k].event = pe->event[k];
			c.causes[k].count = pe->count[k];
			c.causes[k].task = pe->task[k];
		}
		c.n_causes = pe->n;
	} else if (r->cause.found) {
		c.causes[0].event = r->cause.event;
		c.causes[0].count = 1;
		c.causes[0].task = r->cause.task;
		c.n_causes = 1;
	}
	top_insert(s->top_chains, &s->n_top_chains, p->opts.top_chains, &c, chain_longer);
	if (stall)
		stall_add(s, &c);
	if (pe)
		*pe = p->pending[--p->n_pending];
}

void stats_lone_stall(struct hmm_stats *s, const struct hmm_rec_fault *r, const char *driver,
		      unsigned int stall)
{
	struct hmm_stats_chain c;

	memset(&c, 0, sizeof(c));
	c.ts = r->hdr.ts;
	c.dur_ns = r->dur_ns;
	c.ret = r->ret;
	c.attempts = 1;
	c.caller = r->caller;
	c.owner = r->owner;
	c.stall = stall;
	stats_name_copy(c.driver, driver, sizeof(c.driver));
	stall_add(s, &c);
}

struct hmm_stats_mig *stats_mig_get(struct hmm_stats *s, __u8 dir, __u64 addr)
{
	struct hmm_stats_priv *p = s->priv;
	struct hmm_stats_mig *m;
	long d = stats_driver_index(s, addr), i;

	if (d < 0)
		return NULL;
	i = kmap_get(&p->mig_map, dir, d);
	if (i >= 0)
		return s->migs[i];
	if (grow(&s->migs, &p->cap_migs, s->n_migs) ||
	    !(m = arena_zalloc(&p->arena, sizeof(*m))))
		goto nomem;
	m->dir = dir;
	stats_name_copy(m->driver, s->drivers[d]->name, sizeof(m->driver));
	if (kmap_put(&p->mig_map, dir, d, s->n_migs))
		goto nomem;
	s->migs[s->n_migs++] = m;
	return m;
nomem:
	p->err = -ENOMEM;
	return NULL;
}

struct hmm_stats_task *stats_task_get(struct hmm_stats *s, const struct hmm_task *t)
{
	struct hmm_stats_priv *p = s->priv;
	struct hmm_stats_task *st;
	long i = kmap_get(&p->task_map, t->pid, 0);

	if (i >= 0)
		return s->inval_tasks[i];
	if (grow(&s->inval_tasks, &p->cap_tasks, s->n_inval_tasks) ||
	    !(st = arena_zalloc(&p->arena, sizeof(*st))))
		goto nomem;
	st->pid = t->pid;
	stats_name_copy(st->comm, t->comm, sizeof(st->comm));
	if (kmap_put(&p->task_map, t->pid, 0, s->n_inval_tasks))
		goto nomem;
	s->inval_tasks[s->n_inval_tasks++] = st;
	return st;
nomem:
	p->err = -ENOMEM;
	return NULL;
}

struct hmm_stats_stack *stats_stack_get(struct hmm_stats *s, __u32 stack)
{
	struct hmm_stats_priv *p = s->priv;
	struct hmm_stats_stack *st;
	long i = kmap_get(&p->stack_map, stack, 0);

	if (i >= 0)
		return s->stacks[i];
	if (grow(&s->stacks, &p->cap_stacks, s->n_stacks) ||
	    !(st = arena_zalloc(&p->arena, sizeof(*st))))
		goto nomem;
	st->stack = stack;
	if (kmap_put(&p->stack_map, stack, 0, s->n_stacks))
		goto nomem;
	s->stacks[s->n_stacks++] = st;
	return st;
nomem:
	p->err = -ENOMEM;
	return NULL;
}

struct hmm_stats_range *stats_range_get(struct hmm_stats *s, __u64 mm, __u64 start)
{
	struct hmm_stats_priv *p = s->priv;
	struct hmm_stats_range *r;
	long i = kmap_get(&p->range_map, mm, start);

	if (i >= 0)
		return s->ranges[i];
	if (grow(&s->ranges, &p->cap_ranges, s->n_ranges) ||
	    !(r = arena_zalloc(&p->arena, sizeof(*r))))
		goto nomem;
	r->mm = mm;
	r->start = start;
	if (kmap_put(&p->range_map, mm, start, s->n_ranges))
		goto nomem;
	s->ranges[s->n_ranges++] = r;
	return r;
nomem:
	p->err = -ENOMEM;
	return NULL;
}

static int range_cmp(const void *a, const void *b)
{
	const struct hmm_stats_range *x = *(const struct hmm_stats_range *const *)a;
	const struct hmm_stats_range *y = *(const struct hmm_stats_range *const *)b;

	if (x->trips != y->trips)
		return x->trips > y->trips ? -1 : 1;
	if (x->legs_ns != y->legs_ns)
		return x->legs_ns > y->legs_ns ? -1 : 1;
	return x->first_ts < y->first_ts ? -1 : x->first_ts > y->first_ts;
}

size_t hmm_stats__top_ranges(const struct hmm_stats *s, const struct hmm_stats_range **out,
			     size_t n)
{
	const struct hmm_stats_range **all;
	size_t k = s->n_ranges < n ? s->n_ranges : n;

	if (!s->n_ranges || !n)
		return 0;
	all = malloc(s->n_ranges * sizeof(*all));
	if (!all)
		return 0;
	memcpy(all, s->ranges, s->n_ranges * sizeof(*all));
	qsort(all, s->n_ranges, sizeof(*all), range_cmp);
	memcpy(out, all, k * sizeof(*out));
	free(all);
	return k;
}

int hmm_stats__add(struct hmm_stats *s, const struct hmm_rec_hdr *rec)
{
	const struct hmm_rec_desc *d = hmm_rec_desc(rec->type);

	s->priv->err = 0;
	if (!d) {
		s->records++;
		s->unknown++;
		return 0;
	}
	/* Bookkeeping of the file format, not events: a live consumer never sees them. */
	if (!d->event)
		return 0;
	s->records++;
	s->per_type[rec->type]++;
	/* The totals, the samples, the owner's and driver's counters and the time span, by type
	 * (lib/rec_*.c). */
	d->stats(s, rec);
	return s->priv->err;
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

int hmm_stats__stack_add(struct hmm_stats *s, __u32 stack, __u64 retries, __u64 lost_ns)
{
	struct hmm_stats_stack *st;

	s->priv->err = 0;
	st = stack ? stats_stack_get(s, stack) : NULL;
	if (!st)
		return stack ? s->priv->err : 0;
	st->retries += retries;
	st->lost_ns += lost_ns;
	return 0;
}

const struct hmm_stacktab *hmm_stats__stacktab(const struct hmm_stats *s)
{
	return s->priv->opts.stacks;
}

void hmm_stats__free(struct hmm_stats *s)
{
	struct hmm_stats_priv *p;

	if (!s)
		return;
	p = s->priv;
	/* What the arrays point to is in the arena. */
	free(s->owners);
	free(s->drivers);
	free(s->migs);
	free(s->inval_tasks);
	free(s->ranges);
	free(s->stacks);
	free(s->top_chains);
	free(s->top_stalls);
	if (p) {
		free(p->hists);
		free(p->sites);
		arena_free(&p->arena);
		kmap_free(&p->owner_map);
		kmap_free(&p->driver_map);
		kmap_free(&p->addr_map);
		kmap_free(&p->mig_map);
		kmap_free(&p->task_map);
		kmap_free(&p->range_map);
		kmap_free(&p->stack_map);
		kmap_free(&p->hist_map);
		kmap_free(&p->site_map);
		free(p);
	}
	free(s);
}
