// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hmmtrace diff's lines: the table of what is compared, each row's value read from the struct
 * hmm_stats that report reads (lib/stats.h, filled by the same hmm_stats__add()), A against B.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "diff_lines.h"
#include "hmmtrace.h"
#include "hist.h"
#include "kmap.h"
#include "output.h"
#include "trace.h"

/* ---- how each value is read -------------------------------------------------------------- */

__u64 diff_duration_ns(const struct hmm_stats *s)
{
	return s->last_end_ts > s->first_ts ? s->last_end_ts - s->first_ts : 0;
}

/* A counter; per direction or event, the counter at row->arg + the line's index. */
static double v_counter(const struct diff_at *at, const struct diff_row *row)
{
	return at->d->s->c[row->arg + at->idx];
}

/* Retry chains that were stalls, at report's default threshold (diff has no --stall-ms). */
static double v_stalls(const struct diff_at *at, const struct diff_row *row)
{
	(void)row;
	return at->d->s->stalls;
}

/* The same per second of the recording (0 for a recording without duration). */
static double v_per_s(const struct diff_at *at, const struct diff_row *row)
{
	__u64 ns = diff_duration_ns(at->d->s);

	return ns ? v_counter(at, row) * 1e9 / ns : 0.0;
}

/* A quantile of a metric over all its labels and drivers, as report's percentiles: the upper
 * bound of its bucket (hmm_hist_quantile()); q = 1 is report's max (hmm_hist_max_bound()). */
static double v_quantile(const struct diff_at *at, const struct diff_row *row)
{
	struct hmm_hist h;

	hmm_stats__metric(at->d->s, row->arg, -1, &h);
	return row->q >= 1 ? hmm_hist_max_bound(&h) : hmm_hist_quantile(&h, row->q, NULL);
}

static double v_ebusy_per_call(const struct diff_at *at, const struct diff_row *row)
{
	const __u64 *c = at->d->s->c;

	(void)row;
	return c[HMM_C_FAULT_CALLS] ?
		       (double)c[HMM_C_FAULT_RESULT_BASE + HMM_RES_EBUSY] / c[HMM_C_FAULT_CALLS] :
		       0.0;
}

/* Pages moved in one direction over the time its migrations took, as report's GB/s is per
 * direction and driver: here over every driver. */
static double v_gbps(const struct diff_at *at, const struct diff_row *row)
{
	const struct hmm_stats *s = at->d->s;
	unsigned int page_size = at->d->m && at->d->m->page_size ? at->d->m->page_size : 4096;
	__u64 moved = 0, ns = 0;

	(void)row;
	for (size_t i = 0; i < s->n_migs; i++) {
		if (s->migs[i]->dir != at->idx)
			continue;
		moved += s->migs[i]->moved;
		ns += s->migs[i]->total_ns;
	}
	return gb_per_s(moved, page_size, ns);
}

static double v_group_counter(const struct diff_at *at, const struct diff_row *row)
{
	return at->g->c[row->arg];
}

/* Time in faults, migrations and read_begin waits: report's TIME column. */
static double v_group_time(const struct diff_at *at, const struct diff_row *row)
{
	(void)row;
	return hmm_stats_group_time(at->g);
}

/*
 * The table: one row per line (or per direction, event, owner or driver), in the order ties are
 * shown. A new line is one row here.
 */
/* A row: key, label, unit, dimension, getter, then .arg and .q where the getter reads them. */
#define ROW(k, l, u, d, fn, ...) \
	{ .key = k, .label = l, .unit = u, .dim = d, .get = fn, __VA_ARGS__ }
#define QUANTILES(k, l, metric)                                                                  \
	ROW(k "_p50", l " p50", DIFF_NS, DIFF_ONE, v_quantile, .arg = metric, .q = 0.5),         \
	ROW(k "_p90", l " p90", DIFF_NS, DIFF_ONE, v_quantile, .arg = metric, .q = 0.9),         \
	ROW(k "_p99", l " p99", DIFF_NS, DIFF_ONE, v_quantile, .arg = metric, .q = 0.99),        \
	ROW(k "_p999", l " p999", DIFF_NS, DIFF_ONE, v_quantile, .arg = metric, .q = 0.999),     \
	ROW(k "_max", l " max", DIFF_NS, DIFF_ONE, v_quantile, .arg = metric, .q = 1)

static const struct diff_row rows[] = {
	ROW("fault_calls", "fault calls", DIFF_COUNT, DIFF_ONE, v_counter,
	    .arg = HMM_C_FAULT_CALLS),
	QUANTILES("fault_ns", "fault latency", HMM_M_FAULT_NS),
	QUANTILES("chain_ns", "chain latency", HMM_M_CHAIN_NS),
	ROW("ebusy_per_call", "-EBUSY per fault call", DIFF_PER_CALL, DIFF_ONE, v_ebusy_per_call),
	ROW("retries", "retries", DIFF_COUNT, DIFF_ONE, v_counter, .arg = HMM_C_CHAIN_RETRIES),
	ROW("stalls", "stalls", DIFF_COUNT, DIFF_ONE, v_stalls),
	ROW("migrate_gb_per_s", "migration GB/s", DIFF_GBPS, DIFF_BY_DIR, v_gbps),
	ROW("pages_moved", "pages moved", DIFF_COUNT, DIFF_BY_DIR, v_counter,
	    .arg = HMM_C_MIGRATE_MOVED_BASE),
	ROW("pages_stayed", "pages stayed", DIFF_COUNT, DIFF_BY_DIR, v_counter,
	    .arg = HMM_C_MIGRATE_STAYED_BASE),
	ROW("round_trips", "round trips", DIFF_COUNT, DIFF_ONE, v_counter, .arg = HMM_C_ROUND_TRIPS),
	ROW("became_thrashing", "ranges became thrashing", DIFF_COUNT, DIFF_ONE, v_counter,
	    .arg = HMM_C_THRASHING),
	ROW("invalidations", "invalidations", DIFF_COUNT, DIFF_BY_EVENT, v_counter,
	    .arg = HMM_C_INVAL_BASE),
	ROW("inval_per_s", "invalidations/s", DIFF_PER_S, DIFF_BY_EVENT, v_per_s,
	    .arg = HMM_C_INVAL_BASE),
	ROW("owner_faults", "faults", DIFF_COUNT, DIFF_BY_OWNER, v_group_counter,
	    .arg = HMM_C_FAULT_CALLS),
	ROW("owner_time_ns", "time", DIFF_NS, DIFF_BY_OWNER, v_group_time),
	ROW("driver_faults", "faults", DIFF_COUNT, DIFF_BY_DRIVER, v_group_counter,
	    .arg = HMM_C_FAULT_CALLS),
	ROW("driver_time_ns", "time", DIFF_NS, DIFF_BY_DRIVER, v_group_time),
};

/* ---- owners and drivers by name ------------------------------------------------------------ */

/*
 * The groups of one recording by name. Owners are matched by their comm, not their pid, which
 * differs from one run to the next; processes of one name are added together. A name's groups
 * are a run in the name-sorted copy.
 */
struct named {
	struct hmm_stats_group **g; /* sorted by name */
	struct name_run {
		const char *name;
		size_t first, n;
		__u64 time;
	} *runs; /* one per name, in name order */
	size_t n_runs;
	const struct name_run **top; /* the runs by time, most first */
};

static int by_name(const void *a, const void *b)
{
	const struct hmm_stats_group *x = *(struct hmm_stats_group *const *)a;
	const struct hmm_stats_group *y = *(struct hmm_stats_group *const *)b;

	return strncmp(x->name, y->name, sizeof(x->name));
}

static int run_by_time(const void *a, const void *b)
{
	const struct name_run *x = *(const struct name_run *const *)a;
	const struct name_run *y = *(const struct name_run *const *)b;

	if (x->time != y->time)
		return x->time < y->time ? 1 : -1;
	return strncmp(x->name, y->name, HMM_STATS_NAME_LEN);
}

static void named_free(struct named *nm)
{
	free(nm->g);
	free(nm->runs);
	free(nm->top);
	memset(nm, 0, sizeof(*nm));
}

static int named_init(struct named *nm, struct hmm_stats_group *const *g, size_t n)
{
	size_t i;

	memset(nm, 0, sizeof(*nm));
	nm->g = malloc((n ? n : 1) * sizeof(*nm->g));
	nm->runs = malloc((n ? n : 1) * sizeof(*nm->runs));
	nm->top = malloc((n ? n : 1) * sizeof(*nm->top));
	if (!nm->g || !nm->runs || !nm->top) {
		named_free(nm);
		return -ENOMEM;
	}
	/* An empty array may be NULL: memcpy() and qsort() take no NULL, even for 0 bytes. */
	if (n) {
		memcpy(nm->g, g, n * sizeof(*g));
		qsort(nm->g, n, sizeof(*nm->g), by_name);
	}
	for (i = 0; i < n; i++) {
		struct name_run *r = nm->n_runs ? &nm->runs[nm->n_runs - 1] : NULL;

		if (!r || by_name(&nm->g[r->first], &nm->g[i])) {
			r = &nm->runs[nm->n_runs++];
			*r = (struct name_run){ .name = nm->g[i]->name, .first = i };
		}
		r->n++;
		r->time += hmm_stats_group_time(nm->g[i]);
	}
	for (i = 0; i < nm->n_runs; i++)
		nm->top[i] = &nm->runs[i];
	if (nm->n_runs)
		qsort(nm->top, nm->n_runs, sizeof(*nm->top), run_by_time);
	return 0;
}

static const struct name_run *named_find(const struct named *nm, const char *name)
{
	size_t lo = 0, hi = nm->n_runs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strncmp(name, nm->runs[mid].name, HMM_STATS_NAME_LEN);

		if (!c)
			return &nm->runs[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* dst += g, for what a row may read: the counters, the histograms and the times. */
static void group_add(struct hmm_stats_group *dst, const struct hmm_stats_group *g)
{
	for (int i = 0; i < HMM_C_MAX; i++)
		dst->c[i] += g->c[i];
	hmm_hist_merge(&dst->fault_ns, &g->fault_ns);
	hmm_hist_merge(&dst->chain_ns, &g->chain_ns);
	dst->migrate_ns += g->migrate_ns;
	dst->inval_ns += g->inval_ns;
	dst->read_begin_ns += g->read_begin_ns;
	if (g->longest_chain > dst->longest_chain)
		dst->longest_chain = g->longest_chain;
}

/* Every group of one name added into *sum (all zero when there is none). */
static void named_sum(const struct named *nm, const char *name, struct hmm_stats_group *sum)
{
	const struct name_run *r = named_find(nm, name);

	memset(sum, 0, sizeof(*sum));
	for (size_t i = 0; r && i < r->n; i++)
		group_add(sum, nm->g[r->first + i]);
}

/* ---- the lines ----------------------------------------------------------------------------- */

struct builder {
	struct diff_result *res;
	size_t cap;
	size_t order;
	int err;
};

static void add_line(struct builder *bl, const struct diff_row *row, int idx, const char *name,
		     double a, double b)
{
	struct diff_result *res = bl->res;
	struct diff_line *l;

	bl->order++;
	if (a == 0 && b == 0) /* nothing to compare: not a line */
		return;
	if (grow_array(&res->lines, &bl->cap, res->n + 1, sizeof(*res->lines))) {
		bl->err = -ENOMEM;
		return;
	}
	l = &res->lines[res->n++];
	memset(l, 0, sizeof(*l));
	l->row = row;
	l->idx = idx;
	if (name)
		snprintf(l->name, sizeof(l->name), "%.*s", (int)sizeof(l->name) - 1, name);
	l->a = a;
	l->b = b;
	l->change = a == b ? 0.0 : a == 0 ? INFINITY : (b - a) / a * 100.0;
	l->order = bl->order;
}

/* A row for each of the top names of A, then those of B that A's top did not have. */
static void add_named(struct builder *bl, const struct diff_row *row, const struct diff_side *a,
		      const struct diff_side *b, const struct named nm[2])
{
	const struct diff_side *sides[2] = { a, b };
	struct hmm_stats_group *sum;
	double v[2];

	sum = malloc(sizeof(*sum));
	if (!sum) {
		bl->err = -ENOMEM;
		return;
	}
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < nm[k].n_runs && i < DIFF_TOP_N; i++) {
			const char *name = nm[k].top[i]->name;
			bool seen = false;

			for (size_t j = 0; k == 1 && j < nm[0].n_runs && j < DIFF_TOP_N; j++)
				seen |= !strncmp(nm[0].top[j]->name, name, HMM_STATS_NAME_LEN);
			if (seen)
				continue;
			for (int s = 0; s < 2; s++) {
				struct diff_at at = { .d = sides[s], .g = sum };

				named_sum(&nm[s], name, sum);
				v[s] = row->get(&at, row);
			}
			add_line(bl, row, 0, name, v[0], v[1]);
		}
	}
	free(sum);
}

static void add_row(struct builder *bl, const struct diff_row *row, const struct diff_side *a,
		    const struct diff_side *b, const struct named owners[2],
		    const struct named drivers[2])
{
	int n = 1;

	switch (row->dim) {
	case DIFF_ONE:
		break;
	case DIFF_BY_DIR:
		n = HMM_DIR_MAX;
		break;
	case DIFF_BY_EVENT:
		n = HMM_EV_MAX;
		break;
	case DIFF_BY_OWNER:
		add_named(bl, row, a, b, owners);
		return;
	case DIFF_BY_DRIVER:
		add_named(bl, row, a, b, drivers);
		return;
	}
	for (int i = 0; i < n; i++) {
		struct diff_at at_a = { .d = a, .idx = i }, at_b = { .d = b, .idx = i };

		add_line(bl, row, i, NULL, row->get(&at_a, row), row->get(&at_b, row));
	}
}

/* |change| as the text shows it, to 0.1%: changes that read the same are ties (a rate's change
 * of 150.00000000000003% and a count's of 150% keep their table order). "new" is infinite. */
static double shown(double change)
{
	return isinf(change) ? INFINITY : round(fabs(change) * 10);
}

/* Largest |change| first, then in table order. */
static int by_change(const void *x, const void *y)
{
	const struct diff_line *a = x, *b = y;
	double ca = shown(a->change), cb = shown(b->change);

	if (ca != cb)
		return ca < cb ? 1 : -1;
	return a->order < b->order ? -1 : a->order > b->order;
}

int diff_compute(const struct diff_side *a, const struct diff_side *b, const struct diff_opts *o,
		 struct diff_result *out)
{
	struct named owners[2] = { 0 }, drivers[2] = { 0 };
	struct builder bl = { .res = out };
	size_t i, kept = 0;

	memset(out, 0, sizeof(*out));
	if (named_init(&owners[0], a->s->owners, a->s->n_owners) ||
	    named_init(&owners[1], b->s->owners, b->s->n_owners) ||
	    named_init(&drivers[0], a->s->drivers, a->s->n_drivers) ||
	    named_init(&drivers[1], b->s->drivers, b->s->n_drivers))
		bl.err = -ENOMEM;
	for (i = 0; !bl.err && i < sizeof(rows) / sizeof(rows[0]); i++)
		add_row(&bl, &rows[i], a, b, owners, drivers);
	for (i = 0; i < 2; i++) {
		named_free(&owners[i]);
		named_free(&drivers[i]);
	}
	if (bl.err) {
		diff_result_free(out);
		return bl.err;
	}
	for (i = 0; i < out->n; i++)
		if (fabs(out->lines[i].change) >= o->min_change)
			out->lines[kept++] = out->lines[i];
	if (kept)
		qsort(out->lines, kept, sizeof(*out->lines), by_change);
	if (o->limit && kept > o->limit)
		kept = o->limit;
	out->n_hidden = out->n - kept;
	out->n = kept;
	return 0;
}

void diff_result_free(struct diff_result *r)
{
	free(r->lines);
	memset(r, 0, sizeof(*r));
}

/* ---- text cells ------------------------------------------------------------------------------ */

const char *diff_unit_str(enum diff_unit u)
{
	switch (u) {
	case DIFF_NS:
		return "ns";
	case DIFF_COUNT:
		return "count";
	case DIFF_PER_CALL:
		return "per_call";
	case DIFF_PER_S:
		return "per_s";
	case DIFF_GBPS:
		return "GB/s";
	}
	return "?";
}

const char *diff_trend(const struct diff_line *l)
{
	return l->b > l->a ? "up" : l->b < l->a ? "down" : "same";
}

const char *diff_label(char *buf, size_t n, const struct diff_line *l)
{
	char name[HMM_STATS_NAME_LEN];

	switch (l->row->dim) {
	case DIFF_ONE:
		snprintf(buf, n, "%s", l->row->label);
		break;
	case DIFF_BY_DIR:
		snprintf(buf, n, "%s %s", l->row->label, hmm_dir_str(l->idx));
		break;
	case DIFF_BY_EVENT:
		snprintf(buf, n, "%s %s", l->row->label, hmm_event_str(l->idx));
		break;
	case DIFF_BY_OWNER:
	case DIFF_BY_DRIVER:
		snprintf(buf, n, "%s %s %s", l->row->dim == DIFF_BY_OWNER ? "owner" : "driver",
			 hmm_term_str(name, sizeof(name), l->name, sizeof(l->name)), l->row->label);
		break;
	}
	return buf;
}

const char *diff_value_str(char *buf, size_t n, enum diff_unit u, double v)
{
	switch (u) {
	case DIFF_NS:
		hmm_fmt_duration(buf, n, (__u64)v);
		break;
	case DIFF_COUNT:
		snprintf(buf, n, "%.0f", v);
		break;
	case DIFF_PER_CALL:
		snprintf(buf, n, "%.4f", v);
		break;
	case DIFF_PER_S:
		snprintf(buf, n, "%.2f", v);
		break;
	case DIFF_GBPS:
		snprintf(buf, n, "%.3f", v);
		break;
	}
	return buf;
}

const char *diff_change_str(char *buf, size_t n, const struct diff_line *l)
{
	if (l->a == l->b)
		snprintf(buf, n, "same");
	else if (l->a == 0)
		snprintf(buf, n, "new");
	else if (l->b == 0)
		snprintf(buf, n, "gone");
	else
		snprintf(buf, n, "%+.1f%%", l->change);
	return buf;
}
