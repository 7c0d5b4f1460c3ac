/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The inside of struct hmm_stats, for lib/stats.c and the record descriptors' stats hooks
 * (lib/rec_<name>.c): what a hook may touch and the helpers it adds with. Not installed, not API.
 * The hot helpers are inline: hmm_stats__add() runs one hook per record, and each hook inlines
 * its samples (add_sample()) where the type is known.
 */
#ifndef HMMSCOPE_STATS_IMPL_H
#define HMMSCOPE_STATS_IMPL_H

#include <string.h>
#include "agg.h"
#include "arena.h"
#include "hist.h"
#include "kmap.h"
#include "stats.h"

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
 * The histograms of one attribution address (a hist key's driver) by label and metric, as they
 * come into use: a record's samples share its address, so one lookup per record finds them all
 * (add_sample()). By label first: a record's samples share a label too (a fault's result, a
 * migration's direction), so their pointers share a cache line, the first one for a successful
 * fault, with the address and its driver group (site_group(); NULL before the first lookup).
 */
#define SITE_LABELS 16 /* results, directions, events, uffd reasons; others go to hist_map */

struct hist_site {
	__u64 driver;
	struct hmm_stats_group *group;
	struct hmm_hist *h[SITE_LABELS][HMM_M_MAX];
};

struct hmm_stats_priv {
	struct hmm_stats_opts opts;
	struct arena arena;	/* every group, site, histogram, migration, task and range */
	struct kmap owner_map;	/* pid -> owners[] */
	struct kmap driver_map; /* hash of name, 0 -> drivers[] */
	struct kmap addr_map;	/* attribution address -> drivers[] */
	struct kmap mig_map;	/* (dir, driver group) -> migs[] */
	struct kmap task_map;	/* pid -> inval_tasks[] */
	struct kmap range_map;	/* (mm, start) -> ranges[] */
	struct kmap stack_map;	/* cause stack -> stacks[] */
	struct kmap hist_map;	/* (driver, metric << 16 | label) -> hists[] */
	struct kmap site_map;	/* driver -> sites[] */
	struct hist_ent **hists;
	size_t n_hists;
	struct hist_site **sites;
	struct hist_site *site;	 /* the current record's: add_sample() */
	struct hist_site *site0; /* driver 0's */
	size_t n_sites;
	size_t cap_owners, cap_drivers, cap_migs, cap_tasks, cap_hists, cap_sites, cap_ranges,
	       cap_stacks;
	struct pending pending[MAX_PENDING];
	size_t n_pending;
	int err; /* the first allocation failure of the current record */
	/* The record's main value (a duration) and its histogram slot, which a hook computes once
	 * for the several histograms that take it: memo(). */
	__u64 v;
	__u32 v_slot;
};

/* The group of a cause stack (not 0), or NULL (out of memory: p->err). */
struct hmm_stats_stack *stats_stack_get(struct hmm_stats *s, __u32 stack);

/* Out of line (lib/stats.c): first sightings, and the tables of one record type each. */
struct hmm_stats_group *stats_owner_new(struct hmm_stats *s, const struct hmm_task *owner);
struct hist_site *stats_site_new(struct hmm_stats *s, __u64 driver);
long stats_driver_index(struct hmm_stats *s, __u64 addr);
struct hmm_stats_group *stats_driver_group(struct hmm_stats *s, __u64 addr);
const char *stats_driver_name(struct hmm_stats *s, __u64 addr);
struct hmm_hist *stats_hist_get(struct hmm_stats *s, const struct hmm_hist_key *key);
/* An -EBUSY: the group's recent causes, and the pending causes of its chain. */
void stats_group_cause(struct hmm_stats_group *g, const struct hmm_rec_fault *r);
void stats_pending_add(struct hmm_stats_priv *p, const struct hmm_rec_fault *r);
/* A chain ended: among the longest? A stall (stall: hmm_rec_stall())? With its pending causes. */
void stats_top_chain(struct hmm_stats *s, const struct hmm_rec_chain *r, const char *driver,
		     unsigned int stall);
/* A lone hmm_range_fault() call that was a stall (a chain of one). */
void stats_lone_stall(struct hmm_stats *s, const struct hmm_rec_fault *r, const char *driver,
		      unsigned int stall);
struct hmm_stats_mig *stats_mig_get(struct hmm_stats *s, __u8 dir, __u64 addr);
struct hmm_stats_task *stats_task_get(struct hmm_stats *s, const struct hmm_task *t);
struct hmm_stats_range *stats_range_get(struct hmm_stats *s, __u64 mm, __u64 start);

static inline void stats_name_copy(char *dst, const char *src, size_t n)
{
	size_t l = strnlen(src, n - 1);

	memcpy(dst, src, l);
	dst[l] = 0;
}

/* The owner's group (one or two per record: inline). */
static inline struct hmm_stats_group *owner_group(struct hmm_stats *s, const struct hmm_task *owner)
{
	long i = kmap_get(&s->priv->owner_map, owner->pid, 0);
	struct hmm_stats_group *g;

	if (i < 0)
		return stats_owner_new(s, owner);
	g = s->owners[i];
	/* The comm of the latest record: a process may exec. */
	if (owner->pid && memcmp(g->name, owner->comm, HMM_COMM_LEN))
		stats_name_copy(g->name, owner->comm, HMM_COMM_LEN + 1);
	return g;
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
	return i < 0 ? stats_site_new(s, driver) : p->sites[i];
}

/* stats_driver_group() of the site's address, looked up once per site. */
static inline struct hmm_stats_group *site_group(struct hmm_stats *s, struct hist_site *site,
						 __u64 addr)
{
	if (!site)
		return stats_driver_group(s, addr);
	if (!site->group)
		site->group = stats_driver_group(s, site->driver);
	return site->group;
}

/*
 * The sample function a hook passes to its inline sample code: several per record. The histogram
 * from the record's site (p->site, set by the hook for the address its samples are keyed by)
 * where it is that key's, through hist_map otherwise.
 */
static inline __attribute__((always_inline)) void add_sample(void *ctx,
							     const struct hmm_hist_key *key,
							     __u64 v)
{
	struct hmm_stats *s = ctx;
	struct hist_site *site = s->priv->site;
	struct hmm_hist *h;

	if (site && site->driver == key->driver && key->label < SITE_LABELS) {
		h = site->h[key->label][key->metric];
		if (!h)
			h = site->h[key->label][key->metric] = stats_hist_get(s, key);
	} else {
		h = stats_hist_get(s, key);
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

static inline void group_touch(struct hmm_stats_group *g, __u64 ts)
{
	if (!g->first_ts || ts < g->first_ts)
		g->first_ts = ts;
	if (ts > g->last_ts)
		g->last_ts = ts;
}

/* A record of work from ts for dur ns: the span of the statistics (lost records have none). */
static inline void stats_span(struct hmm_stats *s, __u64 ts, __u64 dur)
{
	if (!s->first_ts || ts < s->first_ts)
		s->first_ts = ts;
	if (ts > s->last_ts)
		s->last_ts = ts;
	if (ts + dur > s->last_end_ts)
		s->last_end_ts = ts + dur;
}

#endif /* HMMSCOPE_STATS_IMPL_H */
