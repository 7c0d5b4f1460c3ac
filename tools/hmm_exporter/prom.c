// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Rendering a snapshot in the Prometheus text format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/). See prom.h and the METRICS
 * section of hmm_exporter(8), which lists every family rendered here.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "prom.h"
#include "../../lib/agg.h"
#include "../../lib/hist.h"
#include "../../lib/kmap.h"
#include "../../lib/stats.h"

void prom_buf_reset(struct prom_buf *b)
{
	b->len = 0;
	b->oom = false;
	if (b->data)
		b->data[0] = '\0';
}

void prom_buf_free(struct prom_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

static bool prom_buf_reserve(struct prom_buf *b, size_t extra)
{
	if (b->oom)
		return false;
	/* a page's worth at least: most renders then grow a few times */
	if (grow_array(&b->data, &b->cap, b->len + extra + 1 > 16384 ? b->len + extra + 1 : 16384,
		       1)) {
		b->oom = true;
		return false;
	}
	return true;
}

void prom_buf_printf(struct prom_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!prom_buf_reserve(b, 256))
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		if (!prom_buf_reserve(b, n))
			return;
		va_start(ap, fmt);
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += n;
}

/* Appenders without printf(): a render is mostly bucket lines, and vsnprintf() per line was
 * most of its time. */
static void put(struct prom_buf *b, const char *s, size_t n)
{
	if (!prom_buf_reserve(b, n))
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void puts_(struct prom_buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void put_u64(struct prom_buf *b, __u64 v)
{
	char tmp[24];
	int i = sizeof(tmp);

	do {
		tmp[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	put(b, tmp + i, sizeof(tmp) - i);
}

void prom_buf_label_value(struct prom_buf *b, const char *s)
{
	if (!prom_buf_reserve(b, 2 * strlen(s)))
		return;
	for (; *s; s++) {
		if (*s == '\\' || *s == '"') {
			b->data[b->len++] = '\\';
			b->data[b->len++] = *s;
		} else if (*s == '\n') {
			b->data[b->len++] = '\\';
			b->data[b->len++] = 'n';
		} else {
			b->data[b->len++] = *s;
		}
	}
	b->data[b->len] = '\0';
}

void prom_fmt_double(char *buf, size_t n, double v)
{
	int prec;

	if (isinf(v)) {
		snprintf(buf, n, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (isnan(v)) {
		snprintf(buf, n, "NaN");
		return;
	}
	/* The shortest %g that reads back exactly: the same bound prints the same on every host. */
	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, n, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
	snprintf(buf, n, "%.17g", v);
}

/* ---- families ---------------------------------------------------------------------------- */

struct hist_family {
	__u16 metric;
	const char *name;
	const char *help;
	const char *label; /* NULL: no label */
	bool driver;	   /* a driver label; otherwise series of all drivers are merged */
	double unit;	   /* raw unit in the exported unit */
	__u64 lo, hi;	   /* raw bounds: powers of two */
};

/*
 * The histogram families, one per metric of the metric table (lib/metrics.c: name, help, label,
 * driver label, bounds): filled once, beside their "le" strings (le_init()).
 */
static struct hist_family hist_families[HMM_M_MAX];
#define N_HIST_FAMILIES HMM_M_MAX

static void families_init(void)
{
	for (__u16 m = 0; m < HMM_M_MAX; m++) {
		const struct hmm_metric_desc *d = hmm_metric(m);

		hist_families[m] = (struct hist_family){
			.metric = m,
			.name = d->prom,
			.help = d->help,
			.label = hmm_labels[d->label].key,
			.driver = d->by_driver,
			.unit = d->integer ? 1 : 1e-9, /* nanoseconds are exported in seconds */
			.lo = d->lo,
			.hi = d->hi,
		};
	}
}

static const struct hist_family *hist_family(__u16 metric)
{
	for (size_t i = 0; i < N_HIST_FAMILIES; i++)
		if (hist_families[i].metric == metric)
			return &hist_families[i];
	return NULL;
}

static pthread_once_t le_once = PTHREAD_ONCE_INIT;
static void le_init(void);

size_t prom_le_bounds(__u16 metric, double *le, size_t max)
{
	const struct hist_family *f;

	pthread_once(&le_once, le_init);
	f = hist_family(metric);

	return f ? hmm_hist_default_le(le, max, f->unit, f->lo, f->hi) : 0;
}

static void family_header(struct prom_buf *b, const char *name, const char *type, const char *help)
{
	/* HELP text escapes only backslash and newline; ours have neither. */
	prom_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

struct lbl {
	const char *k, *v;
};

static void sample_u64(struct prom_buf *b, const char *name, const char *suffix,
		       const struct lbl *l, int nl, __u64 v)
{
	prom_buf_printf(b, "%s%s", name, suffix);
	for (int i = 0; i < nl; i++) {
		prom_buf_printf(b, "%s%s=\"", i ? "," : "{", l[i].k);
		prom_buf_label_value(b, l[i].v);
		prom_buf_printf(b, "\"%s", i == nl - 1 ? "}" : "");
	}
	prom_buf_printf(b, " %llu\n", (unsigned long long)v);
}

static void sample_str(struct prom_buf *b, const char *name, const char *suffix,
		       const struct lbl *l, int nl, const char *v)
{
	prom_buf_printf(b, "%s%s", name, suffix);
	for (int i = 0; i < nl; i++) {
		prom_buf_printf(b, "%s%s=\"", i ? "," : "{", l[i].k);
		prom_buf_label_value(b, l[i].v);
		prom_buf_printf(b, "\"%s", i == nl - 1 ? "}" : "");
	}
	prom_buf_printf(b, " %s\n", v);
}

/*
 * The "le" strings of every family, formatted once: finding the shortest round-trip form takes a
 * dozen snprintf()/strtod() calls per bound, the bulk of a render if done per series.
 */
static char le_text[sizeof(hist_families) / sizeof(hist_families[0])][PROM_MAX_LE][32];
static size_t le_count[sizeof(hist_families) / sizeof(hist_families[0])];
static double le_value[sizeof(hist_families) / sizeof(hist_families[0])][PROM_MAX_LE];
static void le_init(void)
{
	families_init();
	for (size_t f = 0; f < N_HIST_FAMILIES; f++) {
		const struct hist_family *hf = &hist_families[f];

		le_count[f] = hmm_hist_default_le(le_value[f], PROM_MAX_LE, hf->unit, hf->lo, hf->hi);
		for (size_t k = 0; k < le_count[f]; k++)
			prom_fmt_double(le_text[f][k], sizeof(le_text[f][k]), le_value[f][k]);
	}
}

/* One histogram series: cumulative buckets at the family's bounds, +Inf, _sum, _count. */
static int hist_series(struct prom_buf *b, const struct hist_family *f, const char *driver,
		       __u16 label, const struct hmm_hist *h)
{
	size_t fi = f - hist_families, n = le_count[fi], k;
	__u64 cum[PROM_MAX_LE], total = hmm_hist_total(h);
	struct prom_buf l = { 0 };
	char num[40];
	int err;

	err = hmm_hist_fold(h, le_value[fi], n, f->unit, cum);
	if (err)
		return err;
	/* The labels, escaped once per series. */
	prom_buf_printf(&l, "%s", "");
	if (f->driver) {
		prom_buf_printf(&l, "driver=\"");
		prom_buf_label_value(&l, driver);
		prom_buf_printf(&l, "\"");
	}
	if (f->label) {
		prom_buf_printf(&l, "%s%s=\"", f->driver ? "," : "", f->label);
		prom_buf_label_value(&l, hmm_metric_label(f->metric, label));
		prom_buf_printf(&l, "\"");
	}
	if (l.oom) {
		prom_buf_free(&l);
		return -ENOMEM;
	}
	for (k = 0; k <= n; k++) {
		puts_(b, f->name);
		put(b, "_bucket{", 8);
		if (l.len) {
			put(b, l.data, l.len);
			put(b, ",", 1);
		}
		put(b, "le=\"", 4);
		puts_(b, k < n ? le_text[fi][k] : "+Inf");
		put(b, "\"} ", 3);
		put_u64(b, k < n ? cum[k] : total);
		put(b, "\n", 1);
	}
	prom_fmt_double(num, sizeof(num), (double)h->sum * f->unit);
	if (l.len) {
		prom_buf_printf(b, "%s_sum{%s} %s\n", f->name, l.data, num);
		prom_buf_printf(b, "%s_count{%s} %llu\n", f->name, l.data, (unsigned long long)total);
	} else {
		prom_buf_printf(b, "%s_sum %s\n", f->name, num);
		prom_buf_printf(b, "%s_count %llu\n", f->name, (unsigned long long)total);
	}
	prom_buf_free(&l);
	return 0;
}

static const char *drv(const struct prom_hist *p)
{
	return p->driver ? p->driver : "none";
}

static int cmp_hist(const void *a, const void *b)
{
	const struct prom_hist *x = *(const struct prom_hist *const *)a;
	const struct prom_hist *y = *(const struct prom_hist *const *)b;
	int c = strcmp(drv(x), drv(y));

	if (c)
		return c;
	if (x->key.label != y->key.label)
		return x->key.label < y->key.label ? -1 : 1;
	return 0;
}

static int cmp_label(const void *a, const void *b)
{
	const struct prom_hist *x = *(const struct prom_hist *const *)a;
	const struct prom_hist *y = *(const struct prom_hist *const *)b;

	if (x->key.label != y->key.label)
		return x->key.label < y->key.label ? -1 : 1;
	return 0;
}

static int hist_family_render(struct prom_buf *b, const struct hist_family *f,
			      const struct prom_state *s, const struct prom_hist **sel)
{
	struct hmm_hist merged;
	size_t n = 0, i, j;
	int err;

	family_header(b, f->name, "histogram", f->help);
	for (i = 0; i < s->n_hists; i++) {
		const struct prom_hist *p = &s->hists[i];

		if (p->key.metric == f->metric &&
		    p->key.label < hmm_metric_label_count(f->metric) && p->h)
			sel[n++] = p;
	}
	/* Series with the same labels are merged: without a driver label all drivers of one
	 * label value, with it the addresses that resolve to one driver name. */
	if (n > 1)
		qsort(sel, n, sizeof(*sel), f->driver ? cmp_hist : cmp_label);
	for (i = 0; i < n; i = j) {
		memset(&merged, 0, sizeof(merged));
		for (j = i; j < n; j++) {
			if (sel[j]->key.label != sel[i]->key.label ||
			    (f->driver && strcmp(drv(sel[j]), drv(sel[i]))))
				break;
			hmm_hist_merge(&merged, sel[j]->h);
		}
		err = hist_series(b, f, drv(sel[i]), sel[i]->key.label, &merged);
		if (err)
			return err;
	}
	return 0;
}

/* A counter family with one label over a bounded set: values c[base + i], i < n. */
static void counter_by(struct prom_buf *b, const struct prom_state *s, const char *name,
		       const char *help, const char *label, const char *(*str)(unsigned int),
		       unsigned int base, unsigned int n)
{
	family_header(b, name, "counter", help);
	for (unsigned int i = 0; i < n; i++) {
		struct lbl l = { label, str(i) };

		sample_u64(b, name, "", &l, 1, s->counters[base + i]);
	}
}

static void counter_one(struct prom_buf *b, const struct prom_state *s, const char *name,
			const char *help, unsigned int idx)
{
	family_header(b, name, "counter", help);
	sample_u64(b, name, "", NULL, 0, s->counters[idx]);
}

/*
 * A counter by driver from the histograms of one metric: sel gets them, sorted by driver, and
 * each driver's series is the sum of value() over its histograms (n log n: a fleet's exporter
 * may hold thousands).
 */
static void sum_by_driver(struct prom_buf *b, const struct prom_state *s,
			  const struct prom_hist **sel, const char *name, __u32 metric,
			  __u64 (*value)(const struct prom_hist *h, __u64 arg), __u64 arg)
{
	size_t n = 0, i, j;

	for (i = 0; i < s->n_hists; i++)
		if (s->hists[i].key.metric == metric && s->hists[i].h)
			sel[n++] = &s->hists[i];
	if (n > 1)
		qsort(sel, n, sizeof(*sel), cmp_hist);
	for (i = 0; i < n; i = j) {
		struct lbl l = { "driver", drv(sel[i]) };
		__u64 v = 0;

		for (j = i; j < n && !strcmp(drv(sel[j]), drv(sel[i])); j++)
			v += value(sel[j], arg);
		sample_u64(b, name, "", &l, 1, v);
	}
}

static __u64 chain_stalls(const struct prom_hist *h, __u64 stall_ns)
{
	return hmm_chain_hist_stalls(h->h, h->key.label, stall_ns);
}

static __u64 hist_count(const struct prom_hist *h, __u64 arg)
{
	(void)arg;
	return h->h->count;
}

/*
 * hmm_fault_stalls_total{driver}: from the chain-duration histograms, by driver name (the
 * addresses that resolve to one name summed), in the order of the names. sel: room for n_hists.
 */
static void render_stalls(struct prom_buf *b, const struct prom_state *s,
			  const struct prom_hist **sel)
{
	const char *name = "hmm_fault_stalls_total";
	__u64 stall_ns = s->stall_ns ? s->stall_ns : HMM_STALL_NS_DEFAULT;
	char help[512];

	snprintf(help, sizeof(help),
		 "hmm_range_fault() retry chains (a lone call is a chain of one) that stalled, "
		 "by driver: from the chain-duration histogram, every chain in the buckets from "
		 "the one holding the stall threshold (%llu ns) up, i.e. longer than %llu ns, "
		 "and every chain that ran into its timeout (7.x; result -EBUSY).",
		 (unsigned long long)stall_ns, (unsigned long long)hmm_chain_stall_bound(stall_ns));
	family_header(b, name, "counter", help);
	sum_by_driver(b, s, sel, name, HMM_M_CHAIN_NS, chain_stalls, stall_ns);
}

static const char *res_str(unsigned int i) { return hmm_result_str(i); }
static const char *dir_str(unsigned int i) { return hmm_dir_str(i); }
static const char *ev_str(unsigned int i) { return hmm_event_str(i); }
static const char *uffd_str(unsigned int i) { return hmm_uffd_reason_str(i); }

/*
 * Round trips by driver: the counts of the round-trip histograms (HMM_M_ROUND_TRIP_NS), which
 * BPF keys by driver, summed over the return's direction, a series per driver name.
 */
static void render_round_trips(struct prom_buf *b, const struct prom_state *s,
			       const struct prom_hist **sel)
{
	const char *name = "hmm_migration_round_trips_total";

	family_header(b, name, "counter",
		      "Ranges (mm, 2 MiB block) migrated one way and back within the thrash window, "
		      "by driver.");
	sum_by_driver(b, s, sel, name, HMM_M_ROUND_TRIP_NS, hist_count, 0);
}

static void render_counters(struct prom_buf *b, const struct prom_state *s,
			    const struct prom_hist **sel)
{
	const char *name;

	counter_by(b, s, "hmm_range_fault_calls_total", "hmm_range_fault() calls, by result.",
		   "result", res_str, HMM_C_FAULT_RESULT_BASE, HMM_RES_MAX);
	counter_one(b, s, "hmm_range_fault_pages_total",
		    "Pages asked for by hmm_range_fault() calls.", HMM_C_FAULT_PAGES);
	counter_one(b, s, "hmm_fault_chains_total",
		    "hmm_range_fault() retry chains ended (a chain ends at any result but -EBUSY).",
		    HMM_C_CHAINS);
	counter_one(b, s, "hmm_fault_chain_retries_total",
		    "hmm_range_fault() retries after -EBUSY, in ended chains.", HMM_C_CHAIN_RETRIES);
	render_stalls(b, s, sel);
	counter_one(b, s, "hmm_interval_read_begin_total", "mmu_interval_read_begin() calls.",
		    HMM_C_READ_BEGIN);
	counter_by(b, s, "hmm_migrations_total", "Device-memory migrations, by direction.",
		   "direction", dir_str, HMM_C_MIGRATIONS_BASE, HMM_DIR_MAX);
	counter_by(b, s, "hmm_migrations_cpu_fault_total",
		   "Migrations triggered by a CPU fault on device memory, by direction.",
		   "direction", dir_str, HMM_C_MIGRATE_FAULT_BASE, HMM_DIR_MAX);
	counter_by(b, s, "hmm_migrate_requested_pages_total",
		   "Pages in the ranges given to migrations, by direction.", "direction", dir_str,
		   HMM_C_MIGRATE_NPAGES_BASE, HMM_DIR_MAX);
	counter_by(b, s, "hmm_migrate_collected_pages_total",
		   "Pages collected for migration by the setup step, by direction.", "direction",
		   dir_str, HMM_C_MIGRATE_CPAGES_BASE, HMM_DIR_MAX);

	name = "hmm_migrate_pages_total";
	family_header(b, name, "counter",
		      "Collected pages that moved or stayed where they were, by direction and "
		      "outcome.");
	for (unsigned int d = 0; d < HMM_DIR_MAX; d++) {
		struct lbl l[2] = { { "direction", hmm_dir_str(d) }, { "outcome", "moved" } };

		sample_u64(b, name, "", l, 2, s->counters[HMM_C_MIGRATE_MOVED_BASE + d]);
		l[1].v = "stayed";
		sample_u64(b, name, "", l, 2, s->counters[HMM_C_MIGRATE_STAYED_BASE + d]);
	}
	counter_by(b, s, "hmm_invalidations_total", "mmu-notifier range invalidations, by event.",
		   "event", ev_str, HMM_C_INVAL_BASE, HMM_EV_MAX);
	counter_by(b, s, "hmm_invalidate_pages_total", "Pages in invalidated ranges, by event.",
		   "event", ev_str, HMM_C_INVAL_PAGES_BASE, HMM_EV_MAX);
	counter_one(b, s, "hmm_invalidate_eagain_total",
		    "Non-blocking invalidations that a subscriber refused with -EAGAIN.",
		    HMM_C_INVAL_EAGAIN);
	counter_by(b, s, "hmm_userfaults_total", "handle_userfault() calls, by reason.", "reason",
		   uffd_str, HMM_C_UFFD_BASE, HMM_UFFD_MAX);

	render_round_trips(b, s, sel);
	counter_one(b, s, "hmm_thrashing_ranges_total",
		    "Times a range (mm, 2 MiB block) began thrashing: its round trips within the "
		    "window reached the threshold.",
		    HMM_C_THRASHING);
	name = "hmm_thrashing_ranges";
	family_header(b, name, "gauge",
		      "Ranges thrashing now: at least the threshold of round trips within the "
		      "window before this snapshot.");
	sample_u64(b, name, "", NULL, 0, s->thrashing_ranges);

	name = "hmm_events_lost_total";
	family_header(b, name, "counter",
		      "What the BPF side could not account for: ring-buffer records dropped "
		      "(cause=ringbuf) and in-flight state that could not be stored (cause=state).");
	{
		struct lbl l = { "cause", "ringbuf" };

		sample_u64(b, name, "", &l, 1, s->counters[HMM_C_RINGBUF_DROPS]);
		l.v = "state";
		sample_u64(b, name, "", &l, 1, s->counters[HMM_C_STATE_DROPS]);
	}
}

/* ---- per process ------------------------------------------------------------------------- */

void prom_owner_set(struct prom_owner *o, __u32 pid, const struct hmm_owner_stats *st)
{
	memset(o, 0, sizeof(*o));
	o->pid = pid;
	memcpy(o->comm, st->comm, sizeof(o->comm));
	o->comm[sizeof(o->comm) - 1] = '\0';
	o->v[PV_FAULT_CALLS] = st->fault_calls;
	o->v[PV_FAULT_NS] = st->fault_ns;
	o->v[PV_FAULT_EBUSY] = st->fault_ebusy;
	o->v[PV_FAULT_PAGES] = st->fault_pages;
	for (int d = 0; d < HMM_DIR_MAX; d++) {
		o->v[PV_MIGRATIONS + d] = st->migrations[d];
		o->v[PV_MOVED + d] = st->migrate_moved[d];
	}
	o->v[PV_MIGRATE_NS] = st->migrate_ns;
	o->v[PV_INVAL] = st->inval_calls;
	o->v[PV_INVAL_NS] = st->inval_ns;
}

/* A comm can hold any bytes, label values must be UTF-8: invalid sequences (also one that the
 * kernel's 15-byte cut split) become '?'. */
static void comm_clean(char *dst, const char *src, size_t n)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, o = 0, len = strnlen(src, n - 1), k, need;

	while (i < len) {
		unsigned char c = s[i];
		unsigned char lo = 0x80, hi = 0xbf;

		need = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 :
		       c >= 0xf0 && c <= 0xf4 ? 3 : 4;
		/* Overlong forms, surrogates and code points above U+10FFFF (RFC 3629). */
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
		else if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
		for (k = 1; need < 4 && k <= need; k++) {
			if (i + k >= len || s[i + k] < (k == 1 ? lo : 0x80) ||
			    s[i + k] > (k == 1 ? hi : 0xbf))
				break;
		}
		if (need == 4 || k <= need) {
			dst[o++] = '?';
			i++;
			continue;
		}
		memcpy(dst + o, s + i, need + 1);
		o += need + 1;
		i += need + 1;
	}
	dst[o] = '\0';
}

static int cmp_owner(const void *a, const void *b)
{
	const struct prom_owner *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static __u64 proc_time(const __u64 *v)
{
	return v[PV_FAULT_NS] + v[PV_MIGRATE_NS];
}

int prom_procs_update(struct prom_procs *pp, struct prom_owner *in, size_t n)
{
	struct prom_proc *np = NULL, **cand = NULL;
	__u64 (*delta)[PV_MAX] = NULL;
	size_t i = 0, j = 0, m = 0, nc = 0, labelled = 0;
	int f;

	if (n > 1)
		qsort(in, n, sizeof(*in), cmp_owner);
	if (n) {
		np = calloc(n, sizeof(*np));
		delta = calloc(n, sizeof(*delta));
		cand = calloc(n, sizeof(*cand));
		if (!np || !delta || !cand) {
			free(np);
			free(delta);
			free(cand);
			return -ENOMEM;
		}
	}
	/* Merge the tracked owners (by pid) with the snapshot (by pid). */
	while (i < pp->n || j < n) {
		struct prom_proc *old = i < pp->n ? &pp->p[i] : NULL;
		struct prom_owner *cur = j < n ? &in[j] : NULL;
		bool restarted = false;

		if (cur && m && np[m - 1].pid == cur->pid) {
			j++; /* a duplicate pid: the first one counts */
			continue;
		}
		if (old && (!cur || old->pid < cur->pid)) {
			/* Gone from the map: its labelled counts go on in other. */
			if (old->labelled)
				for (f = 0; f < PV_MAX; f++)
					pp->other[f] += old->series[f];
			i++;
			continue;
		}
		if (old && old->pid == cur->pid) {
			np[m] = *old;
			i++;
			/* Exited, and its pid taken by a new process: a new name. */
			if (np[m].gone && !cur->gone)
				comm_clean(np[m].comm, cur->comm, sizeof(cur->comm));
		} else {
			memset(&np[m], 0, sizeof(np[m]));
			np[m].pid = cur->pid;
			comm_clean(np[m].comm, cur->comm, sizeof(cur->comm));
		}
		/* An entry evicted and created again between two updates starts from zero. */
		for (f = 0; f < PV_MAX; f++)
			restarted |= cur->v[f] < np[m].last[f];
		for (f = 0; f < PV_MAX; f++) {
			delta[m][f] = restarted ? cur->v[f] : cur->v[f] - np[m].last[f];
			np[m].last[f] = cur->v[f];
		}
		np[m].gone = cur->gone;
		labelled += np[m].labelled;
		if (!np[m].labelled && np[m].pid && proc_time(np[m].last))
			cand[nc++] = &np[m];
		m++;
		j++;
	}
	/* Free slots to the candidates with the most time, then the lowest pid. With no slot free,
	 * a live candidate takes the label of an exited owner (the one with the least time). */
	while (nc) {
		size_t best = 0, k;
		struct prom_proc *c, *gone = NULL;

		for (k = 1; k < nc; k++) {
			__u64 tk = proc_time(cand[k]->last), tb = proc_time(cand[best]->last);

			if (tk > tb || (tk == tb && cand[k]->pid < cand[best]->pid))
				best = k;
		}
		c = cand[best];
		cand[best] = cand[--nc];
		if (labelled >= pp->max_labels) {
			if (c->gone)
				continue;
			for (k = 0; k < m; k++)
				if (np[k].labelled && np[k].gone &&
				    (!gone || proc_time(np[k].last) < proc_time(gone->last)))
					gone = &np[k];
			if (!gone)
				break;
			/* Its counts up to the last update go on in other; its growth since, too. */
			for (f = 0; f < PV_MAX; f++)
				pp->other[f] += gone->series[f];
			memset(gone->series, 0, sizeof(gone->series));
			gone->labelled = false;
			labelled--;
		}
		c->labelled = true;
		labelled++;
	}
	/* The growth since the last update: to the owner's series once labelled, else other. A
	 * newly labelled owner's earlier counts were already exported in other and stay there. */
	for (size_t k = 0; k < m; k++)
		for (f = 0; f < PV_MAX; f++) {
			if (np[k].labelled)
				np[k].series[f] += delta[k][f];
			else
				pp->other[f] += delta[k][f];
		}
	free(pp->p);
	pp->p = np;
	pp->n = m;
	pp->cap = n;
	free(delta);
	free(cand);
	return 0;
}

void prom_procs_free(struct prom_procs *pp)
{
	free(pp->p);
	pp->p = NULL;
	pp->n = pp->cap = 0;
}

struct proc_family {
	const char *name;
	const char *help;
	unsigned int pv;
	bool dir;     /* pv + enum hmm_migrate_dir, label direction */
	bool seconds; /* ns, exported in seconds */
};

static const struct proc_family proc_families[] = {
	{ "hmm_process_fault_calls_total",
	  "hmm_range_fault() calls on memory the process owns (pid=\"other\": every other process "
	  "and work with an unknown owner).", PV_FAULT_CALLS, false, false },
	{ "hmm_process_fault_seconds_total", "Time in those hmm_range_fault() calls.", PV_FAULT_NS,
	  false, true },
	{ "hmm_process_fault_ebusy_total", "Those hmm_range_fault() calls that returned -EBUSY.",
	  PV_FAULT_EBUSY, false, false },
	{ "hmm_process_fault_pages_total", "Pages asked for by those hmm_range_fault() calls.",
	  PV_FAULT_PAGES, false, false },
	{ "hmm_process_migrations_total",
	  "Device-memory migrations of memory the process owns, by direction.", PV_MIGRATIONS,
	  true, false },
	{ "hmm_process_migrate_pages_total", "Pages those migrations moved, by direction.",
	  PV_MOVED, true, false },
	{ "hmm_process_migrate_seconds_total", "Time in those migrations (setup to finalize).",
	  PV_MIGRATE_NS, false, true },
	{ "hmm_process_invalidations_total",
	  "mmu-notifier range invalidations of memory the process owns.", PV_INVAL, false, false },
	{ "hmm_process_invalidate_seconds_total",
	  "Time in those invalidations (invalidate_range_start and _end).", PV_INVAL_NS, false,
	  true },
};

static void proc_sample(struct prom_buf *b, const struct proc_family *f, const char *pid,
			const char *comm, int dir, __u64 v)
{
	struct lbl l[3];
	char num[40];
	int nl = 0;

	l[nl++] = (struct lbl){ "pid", pid };
	if (comm)
		l[nl++] = (struct lbl){ "comm", comm };
	if (dir >= 0)
		l[nl++] = (struct lbl){ "direction", hmm_dir_str(dir) };
	if (!f->seconds) {
		sample_u64(b, f->name, "", l, nl, v);
		return;
	}
	/* Divided, not multiplied by 1e-9 (inexact): 3000 ns prints as 3e-06. */
	prom_fmt_double(num, sizeof(num), (double)v / 1e9);
	sample_str(b, f->name, "", l, nl, num);
}

static void render_procs(struct prom_buf *b, const struct prom_procs *pp)
{
	for (size_t fi = 0; fi < sizeof(proc_families) / sizeof(proc_families[0]); fi++) {
		const struct proc_family *f = &proc_families[fi];
		int nd = f->dir ? HMM_DIR_MAX : 1;

		family_header(b, f->name, "counter", f->help);
		for (size_t k = 0; k < pp->n; k++) {
			const struct prom_proc *p = &pp->p[k];
			char pid[16];

			if (!p->labelled)
				continue;
			snprintf(pid, sizeof(pid), "%u", p->pid);
			for (int d = 0; d < nd; d++)
				proc_sample(b, f, pid, p->comm, f->dir ? d : -1, p->series[f->pv + d]);
		}
		for (int d = 0; d < nd; d++)
			proc_sample(b, f, "other", NULL, f->dir ? d : -1, pp->other[f->pv + d]);
	}
}

static void render_self(struct prom_buf *b, const struct prom_state *s)
{
	const char *name;
	char num[40];

	name = "hmm_exporter_probe_info";
	family_header(b, name, "gauge",
		      "One series per attach point: its state (attached, absent, denied, failed, "
		      "disabled) and mode (fentry, kprobe, none).");
	for (size_t i = 0; i < s->n_probes; i++) {
		struct lbl l[3] = { { "function", s->probes[i].func },
				    { "state", s->probes[i].state },
				    { "mode", s->probes[i].mode } };

		sample_u64(b, name, "", l, 3, 1);
	}
	if (!s->version)
		return;
	name = "hmm_exporter_build_info";
	family_header(b, name, "gauge",
		      "Always 1: the exporter's version, record schema and the kernel release.");
	{
		char schema[16];
		struct lbl l[3] = { { "version", s->version }, { "schema", schema },
				    { "kernel", s->kernel_release ? s->kernel_release : "" } };

		snprintf(schema, sizeof(schema), "%d", HMM_SCHEMA_VERSION);
		sample_u64(b, name, "", l, 3, 1);
	}
	name = "hmm_exporter_render_duration_seconds";
	family_header(b, name, "gauge",
		      "How long the previous snapshot took to read and render (0 before the first).");
	prom_fmt_double(num, sizeof(num), s->last_render_seconds);
	sample_str(b, name, "", NULL, 0, num);
	name = "hmm_exporter_renders_total";
	family_header(b, name, "counter", "Snapshots rendered before this one (scrapes and files).");
	sample_u64(b, name, "", NULL, 0, s->renders);
}

int prom_render(struct prom_buf *b, const struct prom_state *s)
{
	const struct prom_hist **sel = NULL;
	int err = 0;

	if (!s || !s->counters || (s->n_hists && !s->hists) || (s->n_probes && !s->probes))
		return -EINVAL;
	if (s->n_hists) {
		sel = calloc(s->n_hists, sizeof(*sel));
		if (!sel)
			return -ENOMEM;
	}
	pthread_once(&le_once, le_init);
	for (size_t i = 0; i < N_HIST_FAMILIES && !err; i++)
		err = hist_family_render(b, &hist_families[i], s, sel);
	if (!err)
		render_counters(b, s, sel);
	free(sel);
	if (err)
		return err;
	if (s->procs)
		render_procs(b, s->procs);
	render_self(b, s);
	return b->oom ? -ENOMEM : 0;
}
