// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hmmtrace report: the analysis of a recording a user reads first. The report is built from a
 * struct hmm_stats only (lib/stats.c), which `record --report` fills live and `report -i` fills
 * from the file: one implementation, so the two documents are equal for the same events.
 */
#define _GNU_SOURCE /* sched_getaffinity() */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "hmmtrace.h"
#include "agg.h"
#include "format.h"
#include "hist.h"
#include "stats.h"
#include "symtab.h"
#include "stacks.h"
#include "trace.h"

#define TOP_N 10

/* A histogram of durations, or of counts (attempts): output.h, one writer for all. */
static json_t *j_hist(const struct hmm_hist *h)
{
	return hmm_json_hist(h, false);
}

/* The buckets of a histogram object, a second time under the keys they had before the
 * histogram objects carried them ("latency_buckets" ...): an alias, one release. */
static void alias_buckets(json_t *o, const char *key, json_t *hist)
{
	json_object_set(o, key, json_object_get(hist, "buckets"));
}

/* ---- ordering ------------------------------------------------------------------------------- */

static int by_group_time(const void *a, const void *b)
{
	const struct hmm_stats_group *x = *(struct hmm_stats_group *const *)a;
	const struct hmm_stats_group *y = *(struct hmm_stats_group *const *)b;
	__u64 tx = hmm_stats_group_time(x), ty = hmm_stats_group_time(y);

	if (tx != ty)
		return tx < ty ? 1 : -1;
	return x->pid < y->pid ? -1 : x->pid > y->pid ? 1 : strcmp(x->name, y->name);
}

static int by_task_time(const void *a, const void *b)
{
	const struct hmm_stats_task *x = *(struct hmm_stats_task *const *)a;
	const struct hmm_stats_task *y = *(struct hmm_stats_task *const *)b;

	if (x->ns != y->ns)
		return x->ns < y->ns ? 1 : -1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static int by_mig(const void *a, const void *b)
{
	const struct hmm_stats_mig *x = *(struct hmm_stats_mig *const *)a;
	const struct hmm_stats_mig *y = *(struct hmm_stats_mig *const *)b;

	if (x->dir != y->dir)
		return x->dir - y->dir;
	return strcmp(x->driver, y->driver);
}

/* A sorted copy of a stats array (the stats stay in order of appearance). */
static void **sorted(void *const *arr, size_t n, int (*cmp)(const void *, const void *))
{
	void **c = malloc((n ? n : 1) * sizeof(*c));

	if (!c)
		return NULL;
	/* An empty array may be NULL: memcpy() and qsort() take no NULL, even for 0 bytes. */
	if (n) {
		memcpy(c, arr, n * sizeof(*c));
		qsort(c, n, sizeof(*c), cmp);
	}
	return c;
}

/* ---- the report as one JSON document ------------------------------------------------------ */

static json_t *j_group(const struct hmm_stats_group *g, bool owner)
{
	json_t *o = json_object();

	if (owner)
		json_object_set_new(o, "pid", json_integer(g->pid));
	json_object_set_new(o, owner ? "comm" : "driver", hmm_json_str(g->name, sizeof(g->name)));
	json_object_set_new(o, "time_ns", hmm_json_u64(hmm_stats_group_time(g)));
	json_object_set_new(o, "faults", hmm_json_u64(g->c[HMM_C_FAULT_CALLS]));
	json_object_set_new(o, "fault_pages", hmm_json_u64(g->c[HMM_C_FAULT_PAGES]));
	json_object_set_new(o, "ebusy", hmm_json_u64(g->c[HMM_C_FAULT_RESULT_BASE + HMM_RES_EBUSY]));
	json_object_set_new(o, "longest_chain", json_integer(g->longest_chain));
	json_object_set_new(o, "stalls", hmm_json_u64(g->stalls));
	json_object_set_new(o, "fault_ns", j_hist(&g->fault_ns));
	json_object_set_new(o, "chain_ns", j_hist(&g->chain_ns));
	json_object_set_new(o, "migrations_to_device",
			    hmm_json_u64(g->c[HMM_C_MIGRATIONS_BASE + HMM_DIR_TO_DEVICE]));
	json_object_set_new(o, "migrations_to_system",
			    hmm_json_u64(g->c[HMM_C_MIGRATIONS_BASE + HMM_DIR_TO_SYSTEM]));
	json_object_set_new(o, "pages_moved",
			    hmm_json_u64(g->c[HMM_C_MIGRATE_MOVED_BASE] + g->c[HMM_C_MIGRATE_MOVED_BASE + 1]));
	json_object_set_new(o, "pages_stayed", hmm_json_u64(g->c[HMM_C_MIGRATE_STAYED_BASE] +
						     g->c[HMM_C_MIGRATE_STAYED_BASE + 1]));
	json_object_set_new(o, "migrate_ns", hmm_json_u64(g->migrate_ns));
	if (owner) {
		__u64 inv = 0;

		for (int e = 0; e < HMM_EV_MAX; e++)
			inv += g->c[HMM_C_INVAL_BASE + e];
		json_object_set_new(o, "invalidations", hmm_json_u64(inv));
		json_object_set_new(o, "inval_ns", hmm_json_u64(g->inval_ns));
		json_object_set_new(o, "read_begin_ns", hmm_json_u64(g->read_begin_ns));
	}
	return o;
}

static json_t *j_groups(struct hmm_stats_group *const *arr, size_t n, bool owner)
{
	struct hmm_stats_group **s = (void *)sorted((void *const *)arr, n, by_group_time);
	json_t *a = json_array();

	for (size_t i = 0; s && i < n && i < TOP_N; i++)
		json_array_append_new(a, j_group(s[i], owner));
	free(s);
	return a;
}

static json_t *j_meta(const struct hmm_trace_meta *m)
{
	json_t *o = json_object(), *nl = json_array();

	json_object_set_new(o, "host", hmm_json_str(m->host, sizeof(m->host)));
	json_object_set_new(o, "kernel", hmm_json_str(m->release, sizeof(m->release)));
	json_object_set_new(o, "boot_id", hmm_json_str(m->boot_id, sizeof(m->boot_id)));
	json_object_set_new(o, "ncpus", json_integer(m->ncpus));
	json_object_set_new(o, "page_size", json_integer(m->page_size));
	json_object_set_new(o, "command", hmm_json_str(m->command, sizeof(m->command)));
	json_object_set_new(o, "start_realtime_ns", hmm_json_u64(m->start_real_ns));
	json_object_set_new(o, "filter_pid", json_integer(m->filter_pid));
	json_object_set_new(o, "filter_owner", json_integer(m->filter_owner));
	json_object_set_new(o, "filter_min_dur_ns", hmm_json_u64(m->filter_min_dur_ns));
	for (__u32 i = 0; i < m->n_aps && i < HMM_TRACE_MAX_APS; i++) {
		const struct hmm_trace_ap *a = &m->aps[i];
		json_t *e;

		if (a->state == HMM_AP_ATTACHED || a->state == HMM_AP_DISABLED)
			continue;
		e = json_object();
		json_object_set_new(e, "func", hmm_json_str(a->func, sizeof(a->func)));
		json_object_set_new(e, "state", json_string(hmm_ap_state_str(a->state)));
		json_object_set_new(e, "reason", hmm_json_str(a->reason, sizeof(a->reason)));
		json_array_append_new(nl, e);
	}
	json_object_set_new(o, "not_live", nl);
	return o;
}

void report_json_head(json_t *o, const struct hmm_stats *s, const struct hmm_trace_meta *m)
{
	json_object_set_new(o, "recording", j_meta(m));
	json_object_set_new(o, "events", hmm_json_u64(s->records - s->per_type[HMM_REC_LOST]));
	json_object_set_new(o, "lost", hmm_json_u64(s->c[HMM_C_RINGBUF_DROPS]));
	json_object_set_new(o, "first_ts_ns", hmm_json_u64(s->first_ts));
	json_object_set_new(o, "duration_ns", hmm_json_u64(s->last_end_ts - s->first_ts));
}

static json_t *j_chain(const struct hmm_stats_chain *c)
{
	json_t *e = json_object(), *cs = json_array();

	json_object_set_new(e, "ts_ns", hmm_json_u64(c->ts));
	json_object_set_new(e, "attempts", json_integer(c->attempts));
	json_object_set_new(e, "busy", json_integer(c->busy));
	json_object_set_new(e, "dur_ns", hmm_json_u64(c->dur_ns));
	json_object_set_new(e, "result", json_string(hmm_result_str(hmm_fault_result(c->ret))));
	json_object_set_new(e, "owner", hmm_json_task(&c->owner));
	json_object_set_new(e, "caller", hmm_json_task(&c->caller));
	json_object_set_new(e, "driver", hmm_json_str(c->driver, sizeof(c->driver)));
	for (__u32 j = 0; j < c->n_causes; j++) {
		json_t *x = json_object();

		json_object_set_new(x, "event", json_string(hmm_event_str(c->causes[j].event)));
		json_object_set_new(x, "count", json_integer(c->causes[j].count));
		json_object_set_new(x, "task", hmm_json_task(&c->causes[j].task));
		json_array_append_new(cs, x);
	}
	json_object_set_new(e, "causes", cs);
	json_object_set_new(e, "stall", json_boolean(c->stall));
	json_object_set_new(e, "timeout", json_boolean(c->stall & HMM_STALL_TIMEOUT));
	return e;
}

/* Retry chains that were stalls (lib/stats.h): how many, how they ended, the longest. */
static json_t *j_stalls(const struct hmm_stats *s)
{
	json_t *o = json_object(), *a = json_array();

	json_object_set_new(o, "threshold_ns", hmm_json_u64(s->stall_ns));
	json_object_set_new(o, "count", hmm_json_u64(s->stalls));
	json_object_set_new(o, "ebusy", hmm_json_u64(s->stalls_ebusy));
	json_object_set_new(o, "timeout", hmm_json_u64(s->stalls_timeout));
	for (size_t k = 0; k < s->n_top_stalls; k++)
		json_array_append_new(a, j_chain(&s->top_stalls[k]));
	json_object_set_new(o, "longest", a);
	return o;
}

/* Round trips and the ranges that made them, most first (HMM_REC_ROUND_TRIP). */
static json_t *report_json_round_trips(const struct hmm_stats *s)
{
	const struct hmm_stats_range *top[TOP_N];
	size_t n = hmm_stats__top_ranges(s, top, TOP_N);
	json_t *o = json_object(), *a = json_array();

	json_object_set_new(o, "count", hmm_json_u64(s->c[HMM_C_ROUND_TRIPS]));
	json_object_set_new(o, "ranges", hmm_json_u64(s->n_ranges));
	json_object_set_new(o, "became_thrashing", hmm_json_u64(s->c[HMM_C_THRASHING]));
	for (size_t k = 0; k < n; k++) {
		const struct hmm_stats_range *r = top[k];
		json_t *e = json_object();

		json_object_set_new(e, "start", hmm_json_hex(r->start));
		json_object_set_new(e, "end", hmm_json_hex(r->end));
		json_object_set_new(e, "mm", hmm_json_hex(r->mm));
		json_object_set_new(e, "owner", hmm_json_task(&r->owner));
		json_object_set_new(e, "driver", hmm_json_str(r->driver, sizeof(r->driver)));
		json_object_set_new(e, "round_trips", hmm_json_u64(r->trips));
		json_object_set_new(e, "max_in_window", json_integer(r->max_trips));
		json_object_set_new(e, "thrashing", json_boolean(r->thrashing));
		json_object_set_new(e, "pages", hmm_json_u64(r->pages));
		json_object_set_new(e, "migrating_ns", hmm_json_u64(r->legs_ns));
		json_object_set_new(e, "first_ts_ns", hmm_json_u64(r->first_ts));
		json_object_set_new(e, "last_ts_ns", hmm_json_u64(r->last_ts));
		json_array_append_new(a, e);
	}
	json_object_set_new(o, "top_ranges", a);
	return o;
}

json_t *report_json(const struct hmm_stats *s, const struct hmm_trace_meta *m)
{
	json_t *o = json_object(), *f = json_object(), *ch = json_object(), *mig = json_array();
	json_t *inv = json_object(), *uf = json_object(), *res = json_object(), *a;
	unsigned int page_size = m->page_size ? m->page_size : 4096;
	struct hmm_stats_mig **migs;
	struct hmm_stats_task **tasks;
	struct hmm_hist h;
	int i;

	report_json_head(o, s, m);

	json_object_set_new(f, "calls", hmm_json_u64(s->c[HMM_C_FAULT_CALLS]));
	json_object_set_new(f, "pages", hmm_json_u64(s->c[HMM_C_FAULT_PAGES]));
	for (i = 0; i < HMM_RES_MAX; i++)
		json_object_set_new(res, hmm_result_str(i), hmm_json_u64(s->c[HMM_C_FAULT_RESULT_BASE + i]));
	json_object_set_new(f, "results", res);
	hmm_stats__metric(s, HMM_M_FAULT_NS, -1, &h);
	json_object_set_new(f, "latency_ns", j_hist(&h));
	alias_buckets(f, "latency_buckets", json_object_get(f, "latency_ns"));
	hmm_stats__metric(s, HMM_M_CHAIN_NS, -1, &h);
	json_object_set_new(f, "chain_latency_ns", j_hist(&h));
	alias_buckets(f, "chain_latency_buckets", json_object_get(f, "chain_latency_ns"));
	hmm_stats__metric(s, HMM_M_READ_BEGIN_NS, -1, &h);
	json_object_set_new(f, "read_begin_wait_ns", j_hist(&h));
	json_object_set_new(o, "faults", f);

	json_object_set_new(ch, "chains", hmm_json_u64(s->per_type[HMM_REC_CHAIN]));
	json_object_set_new(ch, "retries", hmm_json_u64(s->c[HMM_C_CHAIN_RETRIES]));
	json_object_set_new(ch, "ebusy", hmm_json_u64(s->c[HMM_C_FAULT_RESULT_BASE + HMM_RES_EBUSY]));
	hmm_stats__metric(s, HMM_M_CHAIN_ATTEMPTS, -1, &h);
	json_object_set_new(ch, "attempts", hmm_json_hist(&h, true));
	alias_buckets(ch, "attempts_buckets", json_object_get(ch, "attempts"));
	a = json_array();
	for (size_t k = 0; k < s->n_top_chains; k++)
		json_array_append_new(a, j_chain(&s->top_chains[k]));
	json_object_set_new(ch, "longest", a);
	json_object_set_new(o, "retry_chains", ch);
	json_object_set_new(o, "stalls", j_stalls(s));
	a = stacks_json(s, hmm_stats__stacktab(s), true); /* recorded with --stacks */
	if (a)
		json_object_set_new(o, "cause_stacks", a);

	migs = (void *)sorted((void *const *)s->migs, s->n_migs, by_mig);
	for (size_t k = 0; migs && k < s->n_migs; k++) {
		const struct hmm_stats_mig *x = migs[k];
		json_t *e = json_object();

		json_object_set_new(e, "direction", json_string(hmm_dir_str(x->dir)));
		json_object_set_new(e, "driver", hmm_json_str(x->driver, sizeof(x->driver)));
		json_object_set_new(e, "count", hmm_json_u64(x->count));
		json_object_set_new(e, "cpu_fault", hmm_json_u64(x->cpu_fault));
		json_object_set_new(e, "npages", hmm_json_u64(x->npages));
		json_object_set_new(e, "collected", hmm_json_u64(x->cpages));
		json_object_set_new(e, "moved", hmm_json_u64(x->moved));
		json_object_set_new(e, "stayed", hmm_json_u64(x->stayed));
		json_object_set_new(e, "gb_per_s",
				    json_real(gb_per_s(x->moved, page_size, x->total_ns)));
		json_object_set_new(e, "setup_ns", hmm_json_u64(x->setup_ns));
		json_object_set_new(e, "copy_ns", hmm_json_u64(x->copy_ns));
		json_object_set_new(e, "finalize_ns", hmm_json_u64(x->finalize_ns));
		json_object_set_new(e, "total_ns", j_hist(&x->total_hist));
		json_array_append_new(mig, e);
	}
	free(migs);
	json_object_set_new(o, "migrations", mig);
	json_object_set_new(o, "round_trips", report_json_round_trips(s));

	a = json_array();
	for (i = 0; i < HMM_EV_MAX; i++) {
		json_t *e;

		if (!s->c[HMM_C_INVAL_BASE + i])
			continue;
		e = json_object();
		json_object_set_new(e, "event", json_string(hmm_event_str(i)));
		json_object_set_new(e, "count", hmm_json_u64(s->c[HMM_C_INVAL_BASE + i]));
		json_object_set_new(e, "pages", hmm_json_u64(s->c[HMM_C_INVAL_PAGES_BASE + i]));
		hmm_stats__metric(s, HMM_M_INVAL_START_NS, i, &h);
		json_object_set_new(e, "start_ns", j_hist(&h));
		hmm_stats__metric(s, HMM_M_INVAL_END_NS, i, &h);
		json_object_set_new(e, "end_ns", j_hist(&h));
		json_array_append_new(a, e);
	}
	json_object_set_new(inv, "by_event", a);
	json_object_set_new(inv, "eagain", hmm_json_u64(s->c[HMM_C_INVAL_EAGAIN]));
	a = json_array();
	tasks = (void *)sorted((void *const *)s->inval_tasks, s->n_inval_tasks, by_task_time);
	for (size_t k = 0; tasks && k < s->n_inval_tasks && k < TOP_N; k++) {
		const struct hmm_stats_task *t = tasks[k];
		json_t *e = json_object(), *pe = json_object();

		json_object_set_new(e, "pid", json_integer(t->pid));
		json_object_set_new(e, "comm", hmm_json_str(t->comm, sizeof(t->comm)));
		json_object_set_new(e, "count", hmm_json_u64(t->count));
		json_object_set_new(e, "pages", hmm_json_u64(t->pages));
		json_object_set_new(e, "time_ns", hmm_json_u64(t->ns));
		for (int ev = 0; ev < HMM_EV_MAX; ev++)
			if (t->per_event[ev])
				json_object_set_new(pe, hmm_event_str(ev), hmm_json_u64(t->per_event[ev]));
		json_object_set_new(e, "by_event", pe);
		json_array_append_new(a, e);
	}
	free(tasks);
	json_object_set_new(inv, "top_tasks", a);
	json_object_set_new(o, "invalidations", inv);

	for (i = 0; i < HMM_UFFD_MAX; i++) {
		if (!s->c[HMM_C_UFFD_BASE + i])
			continue;
		hmm_stats__metric(s, HMM_M_UFFD_NS, i, &h);
		json_object_set_new(uf, hmm_uffd_reason_str(i), j_hist(&h));
	}
	json_object_set_new(o, "userfaults", uf);
	json_object_set_new(o, "top_owners", j_groups(s->owners, s->n_owners, true));
	json_object_set_new(o, "top_drivers", j_groups(s->drivers, s->n_drivers, false));
	return o;
}

/* ---- the same report as text ---------------------------------------------------------------- */

/* A histogram as the one text chart (hist.h), 40 characters wide. */
static void text_chart(FILE *f, const struct hmm_hist *h, const char *unit, bool integer,
		       double div)
{
	struct hmm_chart_row rows[HMM_CHART_ROWS];

	hmm_chart_fprint(f, "  ", unit, rows, hmm_hist_chart(h, integer, div, rows), 40);
}

static const char *dur(char *buf, size_t n, __u64 ns)
{
	hmm_fmt_duration(buf, n, ns);
	return buf;
}

static void text_hist_line(FILE *f, const char *what, const struct hmm_hist *h)
{
	char a[16], b[16], c[16], d[16];

	if (!h->count)
		return;
	fprintf(f, "  %-26s %10llu  p50 %-8s p90 %-8s p99 %-8s max %-8s%s\n", what,
		(unsigned long long)h->count, dur(a, sizeof(a), hmm_hist_quantile(h, 0.5, NULL)),
		dur(b, sizeof(b), hmm_hist_quantile(h, 0.9, NULL)),
		dur(c, sizeof(c), hmm_hist_quantile(h, 0.99, NULL)),
		dur(d, sizeof(d), hmm_hist_max_bound(h)),
		h->slots[HMM_HIST_OVERFLOW] ? " (overflow)" : "");
}

static void text_groups(FILE *f, struct hmm_stats_group *const *arr, size_t n, bool owner)
{
	struct hmm_stats_group **s = (void *)sorted((void *const *)arr, n, by_group_time);
	char a[16], b[16], c[16], d[16];

	fprintf(f, "  %-24s %9s %9s %7s %6s %6s %9s %9s %9s %9s\n", owner ? "OWNER" : "DRIVER",
		"TIME", "FAULTS", "EBUSY", "CHAIN", "STALLS", "FAULT-P99", "MIGRATE", "INVAL",
		"MOVED");
	for (size_t i = 0; s && i < n && i < TOP_N; i++) {
		const struct hmm_stats_group *g = s[i];
		char who[48], name[sizeof(g->name)];

		hmm_term_str(name, sizeof(name), g->name, sizeof(g->name));
		if (owner)
			snprintf(who, sizeof(who), "%u %s", g->pid, name);
		else
			snprintf(who, sizeof(who), "%s", name);
		fprintf(f, "  %-24s %9s %9llu %7llu %6u %6llu %9s %9s %9s %9llu\n", who,
			dur(a, sizeof(a), hmm_stats_group_time(g)),
			(unsigned long long)g->c[HMM_C_FAULT_CALLS],
			(unsigned long long)g->c[HMM_C_FAULT_RESULT_BASE + HMM_RES_EBUSY],
			g->longest_chain, (unsigned long long)g->stalls,
			dur(b, sizeof(b), hmm_hist_quantile(&g->fault_ns, 0.99, NULL)),
			dur(c, sizeof(c), g->migrate_ns), dur(d, sizeof(d), g->inval_ns),
			(unsigned long long)(g->c[HMM_C_MIGRATE_MOVED_BASE] +
					     g->c[HMM_C_MIGRATE_MOVED_BASE + 1]));
	}
	free(s);
}

void report_not_live(FILE *f, const char *indent, const struct hmm_trace_meta *m)
{
	char func[HMM_TRACE_FUNC_LEN], reason[HMM_TRACE_REASON_LEN];

	for (__u32 k = 0; k < m->n_aps && k < HMM_TRACE_MAX_APS; k++)
		if (m->aps[k].state != HMM_AP_ATTACHED && m->aps[k].state != HMM_AP_DISABLED)
			fprintf(f, "%snot live: %s (%s): %s\n", indent,
				hmm_term_str(func, sizeof(func), m->aps[k].func,
					     sizeof(m->aps[k].func)),
				hmm_ap_state_str(m->aps[k].state),
				hmm_term_str(reason, sizeof(reason), m->aps[k].reason,
					     sizeof(m->aps[k].reason)));
}

/* One chain of a top list, then its causes. */
static void text_chain(FILE *f, const struct hmm_stats_chain *ch, bool stall)
{
	char a[16], t1[HMM_TRACE_CMD_LEN], c1[HMM_TERM_COMM_LEN], c2[HMM_TERM_COMM_LEN];

	if (stall)
		fprintf(f, "  %9s %3u attempts", dur(a, sizeof(a), ch->dur_ns), ch->attempts);
	else
		fprintf(f, "  %3u attempts %9s", ch->attempts, dur(a, sizeof(a), ch->dur_ns));
	fprintf(f, "  owner %u %s  caller %u %s  driver %s  ends %s%s\n", ch->owner.pid,
		hmm_term_comm(c1, ch->owner.comm), ch->caller.tid,
		hmm_term_comm(c2, ch->caller.comm),
		hmm_term_str(t1, sizeof(t1), ch->driver, sizeof(ch->driver)),
		hmm_result_str(hmm_fault_result(ch->ret)),
		stall && ch->stall & HMM_STALL_TIMEOUT ? " (timeout)" : "");
	for (__u32 j = 0; j < ch->n_causes; j++)
		fprintf(f, "      caused by %-15s x%-4u by %u %s\n",
			hmm_event_str(ch->causes[j].event), ch->causes[j].count,
			ch->causes[j].task.pid, hmm_term_comm(c1, ch->causes[j].task.comm));
}

static void text_stalls(FILE *f, const struct hmm_stats *s)
{
	char a[16];

	fprintf(f, "\nstalls (retry chains of %s or longer, or ended by their timeout): %llu, "
		   "%llu ended in -EBUSY, %llu by timeout\n",
		dur(a, sizeof(a), s->stall_ns), (unsigned long long)s->stalls,
		(unsigned long long)s->stalls_ebusy, (unsigned long long)s->stalls_timeout);
	if (s->n_top_stalls)
		fprintf(f, "  longest:\n");
	for (size_t k = 0; k < s->n_top_stalls; k++)
		text_chain(f, &s->top_stalls[k], true);
}

void report_text(FILE *f, const struct hmm_stats *s, const struct hmm_trace_meta *m)
{
	unsigned int page_size = m->page_size ? m->page_size : 4096;
	char a[16], b[16], c[16], d[16], t1[HMM_TRACE_CMD_LEN];
	char c1[HMM_TERM_COMM_LEN];
	struct hmm_stats_mig **migs;
	struct hmm_stats_task **tasks;
	struct hmm_hist h;
	int i;

	/* Everything from the file is text anyone could choose: through hmm_term_str(). */
	fprintf(f, "HMM report: %s, ", m->host[0] ? hmm_term_str(t1, sizeof(t1), m->host,
								 sizeof(m->host)) : "?");
	fprintf(f, "kernel %s, %u CPUs\n", m->release[0] ? hmm_term_str(t1, sizeof(t1), m->release,
							      sizeof(m->release)) : "?",
		m->ncpus);
	fprintf(f, "traced: %s", m->command[0] ? hmm_term_str(t1, sizeof(t1), m->command,
							     sizeof(m->command)) :
						 "the whole system");
	if (m->filter_pid)
		fprintf(f, ", calls by pid %u", m->filter_pid);
	if (m->filter_owner && !m->command[0])
		fprintf(f, ", memory of pid %u", m->filter_owner);
	if (m->filter_min_dur_ns)
		fprintf(f, ", events >= %s", dur(a, sizeof(a), m->filter_min_dur_ns));
	fprintf(f, "\n%llu events over %s, lost %llu%s\n",
		(unsigned long long)(s->records - s->per_type[HMM_REC_LOST]),
		dur(a, sizeof(a), s->last_end_ts - s->first_ts),
		(unsigned long long)s->c[HMM_C_RINGBUF_DROPS],
		s->c[HMM_C_RINGBUF_DROPS] ? " (the ring buffer was full: counts below are short)" :
					    "");
	report_not_live(f, "", m);

	fprintf(f, "\nhmm_range_fault: %llu calls, %llu pages:",
		(unsigned long long)s->c[HMM_C_FAULT_CALLS],
		(unsigned long long)s->c[HMM_C_FAULT_PAGES]);
	for (i = 0; i < HMM_RES_MAX; i++)
		if (s->c[HMM_C_FAULT_RESULT_BASE + i])
			fprintf(f, " %s %llu", hmm_result_str(i),
				(unsigned long long)s->c[HMM_C_FAULT_RESULT_BASE + i]);
	fputc('\n', f);
	hmm_stats__metric(s, HMM_M_FAULT_NS, -1, &h);
	text_hist_line(f, "latency per call", &h);
	hmm_stats__metric(s, HMM_M_CHAIN_NS, -1, &h);
	text_hist_line(f, "latency per chain", &h);
	hmm_stats__metric(s, HMM_M_READ_BEGIN_NS, -1, &h);
	text_hist_line(f, "read_begin wait", &h);
	hmm_stats__metric(s, HMM_M_FAULT_NS, -1, &h);
	if (h.count) {
		fprintf(f, "\n  latency per call:\n");
		text_chart(f, &h, "us", false, 1000);
	}

	fprintf(f, "\n-EBUSY retry chains: %llu chains, %llu retries (%llu -EBUSY returns)\n",
		(unsigned long long)s->per_type[HMM_REC_CHAIN],
		(unsigned long long)s->c[HMM_C_CHAIN_RETRIES],
		(unsigned long long)s->c[HMM_C_FAULT_RESULT_BASE + HMM_RES_EBUSY]);
	if (s->per_type[HMM_REC_CHAIN]) {
		hmm_stats__metric(s, HMM_M_CHAIN_ATTEMPTS, -1, &h);
		fprintf(f, "  attempts per chain:\n");
		text_chart(f, &h, "attempts", true, 1);
		fprintf(f, "  longest:\n");
	}
	for (size_t k = 0; k < s->n_top_chains; k++)
		text_chain(f, &s->top_chains[k], false);

	text_stalls(f, s);
	stacks_text(f, s, hmm_stats__stacktab(s), TOP_N, true);

	fprintf(f, "\nmigrations:\n");
	migs = (void *)sorted((void *const *)s->migs, s->n_migs, by_mig);
	if (s->n_migs)
		fprintf(f, "  %-10s %-12s %7s %7s %9s %9s %9s %8s %9s %9s %9s\n", "DIRECTION",
			"DRIVER", "COUNT", "CPUFLT", "PAGES", "MOVED", "STAYED", "GB/s", "SETUP",
			"COPY", "FINALIZE");
	for (size_t k = 0; migs && k < s->n_migs; k++) {
		const struct hmm_stats_mig *x = migs[k];

		fprintf(f, "  %-10s %-12s %7llu %7llu %9llu %9llu %9llu %8.3f %9s %9s %9s\n",
			hmm_dir_str(x->dir), hmm_term_str(t1, sizeof(t1), x->driver, sizeof(x->driver)),
			(unsigned long long)x->count,
			(unsigned long long)x->cpu_fault, (unsigned long long)x->npages,
			(unsigned long long)x->moved, (unsigned long long)x->stayed,
			gb_per_s(x->moved, page_size, x->total_ns), dur(a, sizeof(a), x->setup_ns),
			dur(b, sizeof(b), x->copy_ns), dur(c, sizeof(c), x->finalize_ns));
	}
	free(migs);
	if (s->c[HMM_C_ROUND_TRIPS]) {
		const struct hmm_stats_range *top[TOP_N];
		size_t n = hmm_stats__top_ranges(s, top, TOP_N);

		fprintf(f, "\nround trips: %llu on %zu ranges, %llu became thrashing\n",
			(unsigned long long)s->c[HMM_C_ROUND_TRIPS], s->n_ranges,
			(unsigned long long)s->c[HMM_C_THRASHING]);
		fprintf(f, "  %-18s %7s %-16s %-12s %6s %6s %9s %9s\n", "RANGE", "OWNER", "COMM",
			"DRIVER", "TRIPS", "WINDOW", "PAGES", "MIGRATING");
		for (size_t k = 0; k < n; k++) {
			const struct hmm_stats_range *r = top[k];

			fprintf(f, "  %#-18llx %7u %-16s %-12s %6llu %6u %9llu %9s%s\n",
				(unsigned long long)r->start, r->owner.pid,
				hmm_term_comm(c1, r->owner.comm),
				hmm_term_str(t1, sizeof(t1), r->driver, sizeof(r->driver)),
				(unsigned long long)r->trips, r->max_trips,
				(unsigned long long)r->pages, dur(a, sizeof(a), r->legs_ns),
				r->thrashing ? "  thrashing" : "");
		}
	}

	fprintf(f, "\ninvalidations (-EAGAIN %llu):\n", (unsigned long long)s->c[HMM_C_INVAL_EAGAIN]);
	for (i = 0; i < HMM_EV_MAX; i++) {
		struct hmm_hist e;

		if (!s->c[HMM_C_INVAL_BASE + i])
			continue;
		hmm_stats__metric(s, HMM_M_INVAL_START_NS, i, &h);
		hmm_stats__metric(s, HMM_M_INVAL_END_NS, i, &e);
		fprintf(f, "  %-16s %9llu  pages %10llu  start %9s (p99 %s)  end %9s\n",
			hmm_event_str(i), (unsigned long long)s->c[HMM_C_INVAL_BASE + i],
			(unsigned long long)s->c[HMM_C_INVAL_PAGES_BASE + i],
			dur(a, sizeof(a), h.sum), dur(b, sizeof(b), hmm_hist_quantile(&h, 0.99, NULL)),
			dur(d, sizeof(d), e.sum));
	}
	tasks = (void *)sorted((void *const *)s->inval_tasks, s->n_inval_tasks, by_task_time);
	if (s->n_inval_tasks)
		fprintf(f, "  invalidating tasks, by time:\n");
	for (size_t k = 0; tasks && k < s->n_inval_tasks && k < TOP_N; k++)
		fprintf(f, "    %7u %-16s %9llu  pages %10llu  time %s\n", tasks[k]->pid,
			hmm_term_comm(c1, tasks[k]->comm), (unsigned long long)tasks[k]->count,
			(unsigned long long)tasks[k]->pages, dur(a, sizeof(a), tasks[k]->ns));
	free(tasks);

	for (i = 0; i < HMM_UFFD_MAX; i++) {
		char what[32];

		hmm_stats__metric(s, HMM_M_UFFD_NS, i, &h);
		snprintf(what, sizeof(what), "userfault %s", hmm_uffd_reason_str(i));
		text_hist_line(f, what, &h);
	}

	fprintf(f, "\ntop owner processes by time (faults + migrations + read_begin waits):\n");
	text_groups(f, s->owners, s->n_owners, true);
	fprintf(f, "\ntop drivers by time:\n");
	text_groups(f, s->drivers, s->n_drivers, false);
}

int report_write(FILE *f, const char *path, const struct hmm_stats *s,
		 const struct hmm_trace_meta *m)
{
	json_t *o = report_json(s, m);
	int err = 0;

	if (!o || json_dumpf(o, f, JSON_INDENT(1) | JSON_PRESERVE_ORDER) || fputc('\n', f) == EOF ||
	    fflush(f)) {
		tool_err("cannot write the report to %s: %s", path, strerror(errno));
		err = -EIO;
	}
	json_decref(o);
	return err;
}

/* ---- report -i FILE ---------------------------------------------------------------------- */

static const struct tool_opt report_opts[] = {
	OPT_TRACE_INPUT,
	OPT_JSON("one JSON document (fields in hmmtrace(8))"),
	OPT_STALL_MS,
	TOOL_OPT(0, "folded", NULL,
		 "instead of the report, the -EBUSY retries by cause stack as\n"
		 "folded stacks (\"root;...;leaf COUNT\" lines, for flamegraph.pl\n"
		 "or speedscope); needs a recording made with --stacks",
		 tool_opt_flag, folded),
	TOOL_OPT(0, "folded-time", NULL, "the same, weighted by the retries' time in ns",
		 tool_opt_flag, folded_time),
	OPT_HELP,
	OPT_VERSION,
	OPT_END,
};

static const struct tool_cmd report_cmd = {
	.prog = "hmmtrace report",
	.usage = "Usage: hmmtrace report -i FILE [--json] [--stall-ms MS]\n",
	.about = "Analyse a recording: fault latency per call and per retry chain, -EBUSY retry\n"
		 "chains with their causes, stalls (chains that took --stall-ms or ran into their\n"
		 "timeout) with their owner, driver and causes, migrations by direction and\n"
		 "driver, invalidations by event type and task, the top owner processes and\n"
		 "drivers by time, lost events and the attach points that were not live.",
	.opts = report_opts,
};

/* Open a trace, say what is wrong with it if it cannot be read (tools/common.c); every hmmtrace
 * command reads the whole file: where there is a second CPU, decoding runs there, beside the
 * analysis. */
struct hmm_trace_reader *open_trace(const char *cmd, const char *path)
{
	return tool_open_trace(cmd, path, true);
}

/* What a damaged file cost, on stderr; true when anything was lost. */
bool warn_damage(const char *path, const struct hmm_trace_read_stats *st)
{
	bool bad = st->bad_chunks || st->truncated_bytes || !st->clean || st->dup_chunks;

	if (st->bad_chunks)
		tool_err("warning: %s: %llu damaged chunks (%llu bytes) skipped", path,
			 (unsigned long long)st->bad_chunks, (unsigned long long)st->bad_chunk_bytes);
	if (!st->clean)
		tool_err("warning: %s was not closed cleanly (hmmtrace killed, or a full disk); "
			 "%llu bytes after the last complete chunk were lost", path,
			 (unsigned long long)st->truncated_bytes);
	if (st->dup_chunks)
		tool_err("warning: %s: %llu chunks that were read already skipped (copies)", path,
			 (unsigned long long)st->dup_chunks);
	if (st->unknown_records)
		tool_err("note: %s: %llu records of types this hmmtrace does not know were skipped",
			 path, (unsigned long long)st->unknown_records);
	return bad;
}

static int add_event(void *ctx, const struct hmm_rec_hdr *rec)
{
	return hmm_stats__add(ctx, rec);
}

/* Read a whole trace into stats; returns 0 or -errno. */
int read_trace(struct hmm_trace_reader *r, struct hmm_stats *s)
{
	return hmm_trace_replay(r, add_event, s);
}

static const char *driver_of(void *ctx, __u64 addr)
{
	return hmm_symtab__driver(ctx, addr);
}

/* A recording read whole into statistics, drivers named by its own symbols. */
int trace_stats_load(struct trace_stats *t, const char *cmd, const char *path, __u64 stall_ns)
{
	struct hmm_stats_opts sopts = { .sz = sizeof(sopts) };
	int err;

	memset(t, 0, sizeof(*t));
	t->r = open_trace(cmd, path);
	if (!t->r)
		return EXIT_PARTIAL;
	t->m = hmm_trace_reader__meta(t->r);
	sopts.page_shift = t->m->page_size ? __builtin_ctz(t->m->page_size) : 12;
	sopts.stall_ns = stall_ns;
	sopts.driver_name = driver_of;
	sopts.ctx = hmm_trace_reader__symtab(t->r);
	sopts.stacks = hmm_trace_reader__stacks(t->r);
	t->s = sopts.ctx && sopts.stacks ? hmm_stats__new(&sopts) : NULL;
	if (!t->s) {
		tool_err("%s: out of memory", cmd);
		return EXIT_PARTIAL;
	}
	err = read_trace(t->r, t->s);
	if (err < 0) {
		tool_err("%s: reading %s: %s", cmd, path, strerror(-err));
		return EXIT_PARTIAL;
	}
	t->damaged = warn_damage(path, hmm_trace_reader__stats(t->r));
	return EXIT_OK;
}

void trace_stats_free(struct trace_stats *t)
{
	hmm_stats__free(t->s);
	hmm_trace_reader__close(t->r);
	memset(t, 0, sizeof(*t));
}

int cmd_report(int argc, char **argv)
{
	struct tool_opts to = { 0 };
	struct tool_out out;
	struct trace_stats t;
	const char *path;
	int status = EXIT_OK;

	if (cmd_parse(&report_cmd, argc, argv, &to, 0, &status) < 0)
		return status;
	path = to.input;
	if (!path) {
		tool_err("report: -i FILE is required (see --help)");
		return EXIT_USAGE;
	}
	status = trace_stats_load(&t, "report", path, to.stall_ns);
	if (status != EXIT_OK)
		goto cleanup;
	tool_out_open(&out, NULL);
	if (to.folded || to.folded_time) {
		if (!t.s->n_stacks)
			tool_err("report: %s has no cause stacks (record with --stacks)", path);
		if (stacks_folded(out.f, t.s, hmm_stats__stacktab(t.s),
				  to.folded_time ? FOLDED_TIME : FOLDED_RETRIES)) {
			tool_err("report: out of memory");
			status = EXIT_PARTIAL;
		}
	} else if (to.json) {
		json_t *o = report_json(t.s, t.m);

		if (!o) {
			tool_err("report: out of memory");
			status = EXIT_PARTIAL;
		}
		json_dumpf(o, out.f, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
		fputc('\n', out.f);
		json_decref(o);
	} else {
		report_text(out.f, t.s, t.m);
	}
	if (tool_out_close(&out, true))
		status = EXIT_PARTIAL;
cleanup:
	trace_stats_free(&t);
	return status;
}
