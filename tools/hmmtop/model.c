// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* hmmtop's model: rows, rates, sorting, filter and selection from struct hmm_stats (model.h). */
#define _GNU_SOURCE /* qsort_r */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "format.h"
#include "hist.h"
#include "model.h"

static const struct top_col_info cols[TOP_COL_MAX] = {
	[TOP_COL_PID] = {"PID", "owner process id (- for a driver row, ? when not known)", 7, false,
			 true},
	[TOP_COL_NAME] = {"NAME", "owner command name, or driver name", 15, true, true},
	[TOP_COL_FAULTS] = {"FLT/s", "hmm_range_fault() calls per second", 7, false, false},
	[TOP_COL_P50] = {"P50", "median hmm_range_fault() latency in the interval", 7, false,
			 false},
	[TOP_COL_P99] = {"P99", "99th percentile hmm_range_fault() latency in the interval", 7,
			 false, false},
	[TOP_COL_EBUSY] = {"EBUSY/s", "hmm_range_fault() -EBUSY returns (retries) per second", 7,
			   false, false},
	[TOP_COL_CHAIN] = {"CHAIN", "longest retry chain so far, in attempts", 5, false, false},
	[TOP_COL_STALLS] = {"STALLS",
			    "stalls so far: retry chains of --stall-ms or longer, or timed out", 6,
			    false, false},
	[TOP_COL_TODEV] = {"TODEV/s", "migrations to device memory per second", 7, false, false},
	[TOP_COL_TOSYS] = {"TOSYS/s", "migrations to system memory per second", 7, false, false},
	[TOP_COL_MOVED] = {"MOVED/s", "pages migrated per second, both ways", 7, false, false},
	[TOP_COL_STAYED] = {"STAYED/s", "pages collected for migration but not moved, per second",
			    8, false, false},
	[TOP_COL_RTRIP] = {"RTRIP/s", "round trips per second: ranges migrated and back within "
			   "--thrash-ms", 7, false, false},
	[TOP_COL_INVAL] = {"INV/s", "mmu-notifier invalidations of its memory per second", 7, false,
			   false},
	[TOP_COL_INVTIME] = {"INVT/s", "time spent in those invalidations per second", 7, false,
			     false},
	[TOP_COL_TOTAL] = {"FAULTS", "hmm_range_fault() calls since hmmtop started", 8, false,
			   false},
};

const struct top_col_info *top_col_info(enum top_col col)
{
	return col < TOP_COL_MAX ? &cols[col] : NULL;
}

int top_col_by_name(const char *name)
{
	int i;

	for (i = 0; i < TOP_COL_MAX; i++)
		if (!strcasecmp(name, cols[i].title))
			return i;
	return -1;
}

/* The cumulative values of one group at the previous update. */
struct prev {
	__u64 c[HMM_C_MAX];
	__u64 inval_ns;
	__u64 stalls;
	struct hmm_hist fault_ns;
};

struct top_model_priv {
	struct prev *prev[TOP_GROUP_MAX]; /* by group index */
	size_t n_prev[TOP_GROUP_MAX];
	struct top_row *all[TOP_GROUP_MAX]; /* every row of the last update, unfiltered */
	size_t n_all[TOP_GROUP_MAX];
	size_t cap_rows;
	__u64 prev_c[HMM_C_MAX];
	__u64 prev_stalls;
	/* The selected group (by grouping and index), to keep it selected across updates. */
	bool has_sel;
	enum top_group sel_group;
	size_t sel_gidx;
};

struct top_model *top_model__new(void)
{
	struct top_model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->priv = calloc(1, sizeof(*m->priv));
	if (!m->priv) {
		free(m);
		return NULL;
	}
	m->sort = TOP_COL_FAULTS;
	return m;
}

void top_model__free(struct top_model *m)
{
	int g;

	if (!m)
		return;
	for (g = 0; g < TOP_GROUP_MAX; g++) {
		free(m->priv->prev[g]);
		free(m->priv->all[g]);
	}
	free(m->priv);
	free(m->rows);
	free(m);
}

static double rate(__u64 d, __u64 elapsed_ns)
{
	return elapsed_ns ? (double)d * 1e9 / (double)elapsed_ns : 0;
}

static void hist_sub(struct hmm_hist *out, const struct hmm_hist *now, const struct hmm_hist *was)
{
	__u32 i;

	out->count = now->count - was->count;
	out->sum = now->sum - was->sum;
	for (i = 0; i < HMM_HIST_SLOTS; i++)
		out->slots[i] = now->slots[i] - was->slots[i];
}

static void fill_row(struct top_row *r, const struct hmm_stats_group *g, const struct prev *p,
		     __u64 el)
{
	const __u64 *c = g->c, *pc = p->c;
	unsigned int i;

#define D(idx) (c[idx] - pc[idx])
	r->d_faults = D(HMM_C_FAULT_CALLS);
	r->d_ebusy = D(HMM_C_FAULT_RESULT_BASE + HMM_RES_EBUSY);
	r->d_todev = D(HMM_C_MIGRATIONS_BASE + HMM_DIR_TO_DEVICE);
	r->d_tosys = D(HMM_C_MIGRATIONS_BASE + HMM_DIR_TO_SYSTEM);
	r->d_moved = D(HMM_C_MIGRATE_MOVED_BASE + HMM_DIR_TO_DEVICE) +
		     D(HMM_C_MIGRATE_MOVED_BASE + HMM_DIR_TO_SYSTEM);
	r->d_stayed = D(HMM_C_MIGRATE_STAYED_BASE + HMM_DIR_TO_DEVICE) +
		      D(HMM_C_MIGRATE_STAYED_BASE + HMM_DIR_TO_SYSTEM);
	r->d_rtrip = D(HMM_C_ROUND_TRIPS);
	r->d_inval = 0;
	r->inval_total = 0;
	for (i = 0; i < HMM_EV_MAX; i++) {
		r->d_inval_ev[i] = D(HMM_C_INVAL_BASE + i);
		r->d_inval += r->d_inval_ev[i];
		r->inval_ev_rate[i] = rate(r->d_inval_ev[i], el);
		r->inval_total += c[HMM_C_INVAL_BASE + i];
	}
#undef D
	r->d_inval_ns = g->inval_ns - p->inval_ns;
	r->d_stalls = g->stalls - p->stalls;
	hist_sub(&r->d_fault_ns, &g->fault_ns, &p->fault_ns);
	r->has_lat = r->d_fault_ns.count > 0;

	r->g = g;
	r->pid = g->pid;
	memset(r->v, 0, sizeof(r->v));
	r->v[TOP_COL_PID] = g->pid;
	r->v[TOP_COL_FAULTS] = rate(r->d_faults, el);
	if (r->has_lat) {
		r->v[TOP_COL_P50] = (double)hmm_hist_quantile(&r->d_fault_ns, 0.5, NULL);
		r->v[TOP_COL_P99] = (double)hmm_hist_quantile(&r->d_fault_ns, 0.99, NULL);
	}
	r->v[TOP_COL_EBUSY] = rate(r->d_ebusy, el);
	r->v[TOP_COL_CHAIN] = g->longest_chain;
	r->v[TOP_COL_STALLS] = (double)g->stalls;
	r->v[TOP_COL_TODEV] = rate(r->d_todev, el);
	r->v[TOP_COL_TOSYS] = rate(r->d_tosys, el);
	r->v[TOP_COL_MOVED] = rate(r->d_moved, el);
	r->v[TOP_COL_STAYED] = rate(r->d_stayed, el);
	r->v[TOP_COL_RTRIP] = rate(r->d_rtrip, el);
	r->v[TOP_COL_INVAL] = rate(r->d_inval, el);
	r->v[TOP_COL_INVTIME] = rate(r->d_inval_ns, el);
	r->v[TOP_COL_TOTAL] = (double)c[HMM_C_FAULT_CALLS];
}

static void prev_save(struct prev *p, const struct hmm_stats_group *g)
{
	memcpy(p->c, g->c, sizeof(p->c));
	p->inval_ns = g->inval_ns;
	p->stalls = g->stalls;
	p->fault_ns = g->fault_ns;
}

/* Rows of one grouping, and the previous counters become the current ones. */
static int build(struct top_model *m, enum top_group grp, struct hmm_stats_group *const *groups,
		 size_t n, __u64 el)
{
	struct top_model_priv *p = m->priv;
	struct top_row *rows;
	size_t i;

	if (n > p->n_prev[grp]) {
		struct prev *np = realloc(p->prev[grp], n * sizeof(*np));

		if (!np)
			return -ENOMEM;
		/* A group new since the last update starts from zero. */
		memset(np + p->n_prev[grp], 0, (n - p->n_prev[grp]) * sizeof(*np));
		p->prev[grp] = np;
		p->n_prev[grp] = n;
	}
	rows = realloc(p->all[grp], (n ? n : 1) * sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	p->all[grp] = rows;
	for (i = 0; i < n; i++) {
		rows[i].gidx = i;
		fill_row(&rows[i], groups[i], &p->prev[grp][i], el);
		prev_save(&p->prev[grp][i], groups[i]);
	}
	p->n_all[grp] = n;
	return 0;
}

static int cmp_rows(const void *a, const void *b, void *ctx)
{
	const struct top_model *m = ctx;
	const struct top_row *x = a, *y = b;
	bool asc = cols[m->sort].ascending != m->reverse;
	int c = 0;

	if (m->sort == TOP_COL_NAME)
		c = strcmp(x->g->name, y->g->name);
	else if (x->v[m->sort] != y->v[m->sort])
		c = x->v[m->sort] < y->v[m->sort] ? -1 : 1;
	if (c)
		return asc ? c : -c;
	/* Ties: by pid, then name, then first appearance; always ascending, so it is stable. */
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	c = strcmp(x->g->name, y->g->name);
	if (c)
		return c;
	return x->gidx < y->gidx ? -1 : x->gidx > y->gidx;
}

static void remember_selection(struct top_model *m)
{
	const struct top_row *r = top_model__selected(m);

	m->priv->has_sel = r != NULL;
	if (r) {
		m->priv->sel_group = m->group;
		m->priv->sel_gidx = r->gidx;
	}
}

int top_model__refresh(struct top_model *m, const struct hmm_stats *s)
{
	struct top_model_priv *p = m->priv;
	const struct top_row *all = p->all[m->group];
	size_t n = p->n_all[m->group], i;

	(void)s;
	if (n > p->cap_rows) {
		struct top_row *r = realloc(m->rows, n * sizeof(*r));

		if (!r)
			return -ENOMEM;
		m->rows = r;
		p->cap_rows = n;
	}
	m->n_rows = 0;
	for (i = 0; i < n; i++) {
		if (m->group == TOP_BY_OWNER && m->pid_filter && all[i].pid != m->pid_filter)
			continue;
		m->rows[m->n_rows++] = all[i];
	}
	if (m->n_rows) /* rows may be NULL when there are none: qsort_r() takes no NULL */
		qsort_r(m->rows, m->n_rows, sizeof(*m->rows), cmp_rows, m);

	m->selected = 0;
	if (p->has_sel && p->sel_group == m->group) {
		for (i = 0; i < m->n_rows; i++) {
			if (m->rows[i].gidx == p->sel_gidx) {
				m->selected = i;
				break;
			}
		}
	}
	remember_selection(m);
	return 0;
}

int top_model__update(struct top_model *m, const struct hmm_stats *s, __u64 elapsed_ns,
		      const struct top_source *src)
{
	struct top_model_priv *p = m->priv;
	struct top_totals *t = &m->tot;
	const __u64 *c = s->c, *pc = p->prev_c;
	int err;

	remember_selection(m);
	err = build(m, TOP_BY_OWNER, s->owners, s->n_owners, elapsed_ns);
	if (!err)
		err = build(m, TOP_BY_DRIVER, s->drivers, s->n_drivers, elapsed_ns);
	if (err)
		return err;

	memset(t, 0, sizeof(*t));
#define D(idx) (c[idx] - pc[idx])
	t->d_faults = D(HMM_C_FAULT_CALLS);
	t->d_ebusy = D(HMM_C_FAULT_RESULT_BASE + HMM_RES_EBUSY);
	t->d_todev = D(HMM_C_MIGRATIONS_BASE + HMM_DIR_TO_DEVICE);
	t->d_tosys = D(HMM_C_MIGRATIONS_BASE + HMM_DIR_TO_SYSTEM);
	t->d_moved = D(HMM_C_MIGRATE_MOVED_BASE + HMM_DIR_TO_DEVICE) +
		     D(HMM_C_MIGRATE_MOVED_BASE + HMM_DIR_TO_SYSTEM);
	for (int ev = 0; ev < HMM_EV_MAX; ev++)
		t->d_inval += D(HMM_C_INVAL_BASE + ev);
	t->faults = rate(t->d_faults, elapsed_ns);
	t->ebusy = rate(t->d_ebusy, elapsed_ns);
	t->retries = rate(D(HMM_C_CHAIN_RETRIES), elapsed_ns);
	t->todev = rate(t->d_todev, elapsed_ns);
	t->tosys = rate(t->d_tosys, elapsed_ns);
	t->moved = rate(t->d_moved, elapsed_ns);
	t->stayed = rate(D(HMM_C_MIGRATE_STAYED_BASE + HMM_DIR_TO_DEVICE) +
				 D(HMM_C_MIGRATE_STAYED_BASE + HMM_DIR_TO_SYSTEM),
			 elapsed_ns);
	t->inval = rate(t->d_inval, elapsed_ns);
	{
		__u64 u = 0;

		for (int r = 0; r < HMM_UFFD_MAX; r++)
			u += D(HMM_C_UFFD_BASE + r);
		t->uffd = rate(u, elapsed_ns);
	}
#undef D
	t->records = s->records;
	t->stalls = s->stalls;
	t->d_stalls = s->stalls - p->prev_stalls;
	p->prev_stalls = s->stalls;
	memcpy(p->prev_c, s->c, sizeof(p->prev_c));

	if (src)
		m->src = *src;
	m->elapsed_ns = elapsed_ns;
	m->session_ns += elapsed_ns + (src ? src->skipped_ns : 0);
	m->intervals++;
	return top_model__refresh(m, s);
}

void top_model__set_sort(struct top_model *m, enum top_col col)
{
	if (col < TOP_COL_MAX) {
		/* Choosing the same column again flips the order. */
		if (m->sort == col)
			m->reverse = !m->reverse;
		else
			m->reverse = false;
		m->sort = col;
	}
}

void top_model__sort_step(struct top_model *m, int dir)
{
	int c = ((int)m->sort + dir) % TOP_COL_MAX;

	if (c < 0)
		c += TOP_COL_MAX;
	m->sort = c;
	m->reverse = false;
}

void top_model__set_group(struct top_model *m, enum top_group g)
{
	if (g < TOP_GROUP_MAX && g != m->group) {
		m->group = g;
		m->selected = 0;
		m->top = 0;
		m->priv->has_sel = false;
	}
}

void top_model__select(struct top_model *m, long delta)
{
	long s = (long)m->selected + delta;

	if (!m->n_rows) {
		m->selected = 0;
		return;
	}
	if (s < 0)
		s = 0;
	if (s >= (long)m->n_rows)
		s = m->n_rows - 1;
	m->selected = s;
	remember_selection(m);
}

size_t top_model__scroll(struct top_model *m, size_t visible)
{
	if (!visible)
		return m->top;
	if (m->selected < m->top)
		m->top = m->selected;
	else if (m->selected >= m->top + visible)
		m->top = m->selected - visible + 1;
	if (m->n_rows <= visible)
		m->top = 0;
	else if (m->top > m->n_rows - visible)
		m->top = m->n_rows - visible;
	return m->top;
}

const struct top_row *top_model__selected(const struct top_model *m)
{
	return m->selected < m->n_rows ? &m->rows[m->selected] : NULL;
}

const struct hmm_stats_cause *top_row_cause(const struct top_row *r, unsigned int i)
{
	const struct hmm_stats_group *g = r->g;

	if (i >= g->n_causes || i >= HMM_STATS_CAUSES)
		return NULL;
	/* a ring: causes[(n_causes - 1) % N] is the newest */
	return &g->causes[(g->n_causes - 1 - i) % HMM_STATS_CAUSES];
}

/* ---- text -------------------------------------------------------------------------------- */

int top_fmt_rate(char *buf, size_t n, double v)
{
	if (v < 0)
		v = 0;
	if (v == (double)(__u64)v && v < 100000)
		return snprintf(buf, n, "%.0f", v);
	if (v < 10)
		return snprintf(buf, n, "%.2f", v);
	if (v < 1000)
		return snprintf(buf, n, "%.1f", v);
	if (v < 99999.5)
		return snprintf(buf, n, "%.0f", v);
	if (v < 999950)
		return snprintf(buf, n, "%.1fk", v / 1e3);
	if (v < 99.995e6)
		return snprintf(buf, n, "%.2fM", v / 1e6);
	if (v < 999.5e6)
		return snprintf(buf, n, "%.0fM", v / 1e6);
	return snprintf(buf, n, "%.2fG", v / 1e9);
}

static void cell_text(const struct top_row *r, enum top_col col, char *buf, size_t n)
{
	switch (col) {
	case TOP_COL_PID:
		if (!r->g->pid)
			snprintf(buf, n, "%s", r->g->name[0] == '?' ? "?" : "-");
		else
			snprintf(buf, n, "%u", r->pid);
		break;
	case TOP_COL_NAME: /* a comm (prctl(PR_SET_NAME)) or a driver name: chosen by anyone */
		hmm_term_str(buf, n, r->g->name, sizeof(r->g->name));
		break;
	case TOP_COL_P50:
	case TOP_COL_P99:
		if (r->has_lat)
			hmm_fmt_duration(buf, n, (__u64)r->v[col]);
		else
			snprintf(buf, n, "-");
		break;
	case TOP_COL_INVTIME:
		if (r->v[col] > 0)
			hmm_fmt_duration(buf, n, (__u64)(r->v[col] + 0.5));
		else
			snprintf(buf, n, "0");
		break;
	case TOP_COL_CHAIN:
	case TOP_COL_STALLS:
	case TOP_COL_TOTAL:
		snprintf(buf, n, "%llu", (unsigned long long)r->v[col]);
		break;
	default:
		top_fmt_rate(buf, n, r->v[col]);
		break;
	}
}

int top_fmt_cell(const struct top_row *r, enum top_col col, char *buf, size_t n)
{
	char t[64];
	int w;

	if (col >= TOP_COL_MAX)
		return -EINVAL;
	cell_text(r, col, t, sizeof(t));
	w = cols[col].width;
	if (cols[col].left)
		return snprintf(buf, n, "%-*.*s", w, w, t);
	return snprintf(buf, n, "%*s", w, t);
}

/* Columns that fit in width: NAME always, the rest left to right while they fit. */
static int fit(int width)
{
	int used = 0, c;

	for (c = 0; c < TOP_COL_MAX; c++) {
		int w = cols[c].width + (c ? 1 : 0);

		if (c > TOP_COL_NAME && used + w > width)
			break;
		used += w;
	}
	return c;
}

int top_fmt_header(char *buf, size_t n, int width)
{
	int ncols = fit(width), c, len = 0;

	if (n)
		buf[0] = 0;
	for (c = 0; c < ncols && (size_t)len < n; c++)
		len += snprintf(buf + len, n - len, cols[c].left ? "%s%-*s" : "%s%*s", c ? " " : "",
				cols[c].width, cols[c].title);
	return len;
}

int top_fmt_row(const struct top_row *r, char *buf, size_t n, int width)
{
	int ncols = fit(width), c, len = 0;
	char cell[64];

	if (n)
		buf[0] = 0;
	for (c = 0; c < ncols && (size_t)len < n; c++) {
		top_fmt_cell(r, c, cell, sizeof(cell));
		len += snprintf(buf + len, n - len, "%s%s", c ? " " : "", cell);
	}
	return len;
}

int top_fmt_totals(const struct top_model *m, char *buf, size_t n)
{
	char f[16], e[16], td[16], ts[16], mv[16], in[16];

	top_fmt_rate(f, sizeof(f), m->tot.faults);
	top_fmt_rate(e, sizeof(e), m->tot.ebusy);
	top_fmt_rate(td, sizeof(td), m->tot.todev);
	top_fmt_rate(ts, sizeof(ts), m->tot.tosys);
	top_fmt_rate(mv, sizeof(mv), m->tot.moved);
	top_fmt_rate(in, sizeof(in), m->tot.inval);
	return snprintf(buf, n,
			"faults %s/s  retries(-EBUSY) %s/s  stalls %llu  migrations %s/s to "
			"device, %s/s to system  moved %s pages/s  invalidations %s/s",
			f, e, (unsigned long long)m->tot.stalls, td, ts, mv, in);
}

int top_fmt_not_live(const struct top_model *m, char *buf, size_t n)
{
	int len = 0, ap;

	if (n)
		buf[0] = 0;
	/* From the trace file when replaying: text anyone could have written. */
	if (m->src.not_live && m->src.not_live[0])
		return strlen(hmm_term_str(buf, n, m->src.not_live, n));
	for (ap = 0; ap < HMM_AP_MAX && (size_t)len < n; ap++)
		if (m->src.not_live_mask & (1u << ap))
			len += snprintf(buf + len, n - len, "%s%s", len ? "," : "",
					hmm_ap_func(ap));
	return len;
}

static void fmt_uptime(char *buf, size_t n, __u64 ns)
{
	unsigned long long s = ns / 1000000000ULL;

	snprintf(buf, n, "%llu:%02llu:%02llu", s / 3600, s / 60 % 60, s % 60);
}

int top_print_batch(const struct top_model *m, FILE *f, const char *what, int width)
{
	char line[1024], up[32], nl[512];
	size_t i;

	fmt_uptime(up, sizeof(up), m->session_ns);
	top_fmt_not_live(m, nl, sizeof(nl));
	fprintf(f, "hmmtop %s, up %s, interval %lu of %.3fs, rows by %s, sorted by %s%s", what, up,
		m->intervals, m->elapsed_ns / 1e9, m->group == TOP_BY_OWNER ? "owner" : "driver",
		cols[m->sort].title, m->reverse ? " (reversed)" : "");
	if (m->pid_filter)
		fprintf(f, ", pid %u", m->pid_filter);
	fputc('\n', f);
	top_fmt_totals(m, line, sizeof(line));
	fprintf(f, "%s\n", line);
	fprintf(f, "lost %llu events; not live: %s\n", (unsigned long long)m->src.lost,
		nl[0] ? nl : "none");
	top_fmt_header(line, sizeof(line), width);
	fprintf(f, "%s\n", line);
	for (i = 0; i < m->n_rows; i++) {
		top_fmt_row(&m->rows[i], line, sizeof(line), width);
		fprintf(f, "%s\n", line);
	}
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}
