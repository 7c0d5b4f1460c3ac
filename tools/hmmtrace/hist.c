// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hmmtrace hist: a host's histograms and counters into a small file (lib/histfile.h), from the
 * live in-kernel maps or from a recording, and `hist merge` to combine many hosts' files into one
 * report with exact percentiles-by-bucket: the fleet view for fleets without Prometheus.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <jansson.h>
#include "hmmtrace.h"
#include "agg.h"
#include "arena.h"
#include "format.h"
#include "output.h"
#include "hist.h"
#include "histfile.h"
#include "kmap.h"
#include "stats.h"
#include "ksyms.h"
#include "symtab.h"
#include "trace.h"

static const struct tool_opt hist_opts[] = {
	OPT_DURATION("live: stop after S seconds"),
	OPT_INPUT("TRACE", "from a recording (hmmtrace record) instead of live maps"),
	OPT_MODE("live: attach mode auto (default), fentry or kprobe"),
	OPT_OUTPUT("FILE", "write a histogram file (atomically) instead of the report"),
	OPT_JSON("the report as one JSON document"),
	OPT_STALL_MS,
	OPT_HELP,
	OPT_VERSION,
	OPT_END,
};

static const struct tool_cmd hist_cmd = {
	.prog = "hmmtrace hist",
	.usage = "Usage: hmmtrace hist [-d SECONDS] [-m MODE] [-o FILE] [--json] [--stall-ms MS]\n"
		 "       hmmtrace hist -i TRACE [-o FILE] [--json] [--stall-ms MS]\n"
		 "       hmmtrace hist merge [-o FILE] [--json] [--stall-ms MS] FILE...\n",
	.about = "Histograms and counters of this host, from in-kernel aggregation (system-wide,\n"
		 "until Ctrl-C or the duration ends) or from a recording, written to a histogram\n"
		 "file (-o) or shown as a report; 'merge' combines many hosts' files into one report\n"
		 "(or file) with exact percentiles-by-bucket.",
	.opts = hist_opts,
	.epilogue = "Percentiles are upper bounds of their bucket (at most 9% above the true value),\n"
		    "exact after any merge. Stalls are counted from the chain histogram: the\n"
		    "chains in the bucket holding --stall-ms and above, and those that ran into\n"
		    "their timeout. See hmmtrace(8), DESCRIPTION and HISTOGRAM FILES.\n",
};

/* ---- report -------------------------------------------------------------------------------- */

static bool metric_is_ns(__u16 metric)
{
	return metric != HMM_M_CHAIN_ATTEMPTS;
}

static void fmt_value(char *buf, size_t n, __u16 metric, __u64 v, bool overflow)
{
	if (metric_is_ns(metric))
		hmm_fmt_duration(buf, n, v);
	else
		snprintf(buf, n, "%llu", (unsigned long long)v);
	if (overflow)
		snprintf(buf, n, ">%s", metric_is_ns(metric) ? "18min" : "2^40");
}

static const double quantiles[] = { 0.5, 0.9, 0.99, 0.999 };

/* Stalls by driver, from the chain histograms (hmm_chain_hist_stalls()), in the file's order. */
struct stalls {
	__u64 stall_ns, bound_ns;
	__u64 total, timeout;
	size_t n;
	struct {
		const char *driver; /* the file's */
		__u64 count;
	} *by;
};

static int stalls_count(struct stalls *st, const struct hmm_histfile *f, __u64 stall_ns)
{
	memset(st, 0, sizeof(*st));
	st->stall_ns = stall_ns ? stall_ns : HMM_STALL_NS_DEFAULT;
	st->bound_ns = hmm_chain_stall_bound(st->stall_ns);
	st->by = calloc(f->n ? f->n : 1, sizeof(*st->by));
	if (!st->by)
		return -ENOMEM;
	for (size_t i = 0; i < f->n; i++) {
		const struct hmm_histfile_entry *e = &f->e[i];
		__u64 n;
		size_t k;

		if (e->key.metric != HMM_M_CHAIN_NS)
			continue;
		n = hmm_chain_hist_stalls(&e->h, e->key.label, st->stall_ns);
		for (k = 0; k < st->n; k++)
			if (!strncmp(st->by[k].driver, e->driver, sizeof(e->driver)))
				break;
		if (k == st->n)
			st->by[st->n++].driver = e->driver;
		st->by[k].count += n;
		st->total += n;
		if (e->key.label == HMM_RES_EBUSY)
			st->timeout += n;
	}
	return 0;
}

static void hist_report_text(const struct hmm_histfile *f, char **names, int nnames,
			     const struct stalls *st)
{
	const __u64 *c = f->counters;
	char v[5][24], name[40], t[512], d1[16], d2[16];

	printf("\n HMM histograms: %u host%s, %.3f s counted in all\n", f->hosts,
	       f->hosts == 1 ? "" : "s", f->duration_ns / 1e9);
	/* Host names, releases and drivers come from files: through hmm_term_str(). */
	for (int i = 0; i < nnames; i++)
		printf("   %s\n", hmm_term_str(t, sizeof(t), names[i], sizeof(t)));
	printf("\n  hmm_range_fault calls %llu (ok %llu, -EBUSY %llu, other errors %llu), pages %llu\n",
	       (unsigned long long)c[HMM_C_FAULT_CALLS],
	       (unsigned long long)c[HMM_C_FAULT_RESULT_BASE + HMM_RES_OK],
	       (unsigned long long)c[HMM_C_FAULT_RESULT_BASE + HMM_RES_EBUSY],
	       (unsigned long long)(c[HMM_C_FAULT_CALLS] - c[HMM_C_FAULT_RESULT_BASE + HMM_RES_OK] -
				    c[HMM_C_FAULT_RESULT_BASE + HMM_RES_EBUSY]),
	       (unsigned long long)c[HMM_C_FAULT_PAGES]);
	printf("  migrations to device %llu (moved %llu stayed %llu), to system %llu (moved %llu "
	       "stayed %llu, cpu-fault %llu)\n",
	       (unsigned long long)c[HMM_C_MIGRATIONS_BASE + HMM_DIR_TO_DEVICE],
	       (unsigned long long)c[HMM_C_MIGRATE_MOVED_BASE + HMM_DIR_TO_DEVICE],
	       (unsigned long long)c[HMM_C_MIGRATE_STAYED_BASE + HMM_DIR_TO_DEVICE],
	       (unsigned long long)c[HMM_C_MIGRATIONS_BASE + HMM_DIR_TO_SYSTEM],
	       (unsigned long long)c[HMM_C_MIGRATE_MOVED_BASE + HMM_DIR_TO_SYSTEM],
	       (unsigned long long)c[HMM_C_MIGRATE_STAYED_BASE + HMM_DIR_TO_SYSTEM],
	       (unsigned long long)c[HMM_C_MIGRATE_FAULT_BASE + HMM_DIR_TO_SYSTEM]);
	printf("  lost: ring buffer %llu, in-kernel state %llu\n",
	       (unsigned long long)c[HMM_C_RINGBUF_DROPS], (unsigned long long)c[HMM_C_STATE_DROPS]);
	hmm_fmt_duration(d1, sizeof(d1), st->stall_ns);
	hmm_fmt_duration(d2, sizeof(d2), st->bound_ns);
	printf("  stalls %llu (retry chains of %s or longer, from chain_ns: longer than %s; "
	       "%llu ran into their timeout)",
	       (unsigned long long)st->total, d1, d2, (unsigned long long)st->timeout);
	for (size_t k = 0; k < st->n; k++)
		printf("%s %s %llu", k ? "," : ":",
		       hmm_term_str(t, sizeof(t), st->by[k].driver, HMM_HISTFILE_DRIVER_LEN),
		       (unsigned long long)st->by[k].count);
	printf("\n\n");
	printf("  %-36s %-12s %10s %9s %9s %9s %9s %9s\n", "histogram", "driver", "count", "p50<=",
	       "p90<=", "p99<=", "p99.9<=", "max<=");
	for (size_t i = 0; i < f->n; i++) {
		const struct hmm_histfile_entry *e = &f->e[i];
		const char *l = hmm_metric_label(e->key.metric, e->key.label);
		__u64 total = hmm_hist_total(&e->h);

		if (!total)
			continue;
		snprintf(name, sizeof(name), "%s%s%s", hmm_metric_name(e->key.metric), *l ? " " : "", l);
		for (int q = 0; q < 4; q++) {
			bool ovf;
			__u64 x = hmm_hist_quantile(&e->h, quantiles[q], &ovf);

			fmt_value(v[q], sizeof(v[q]), e->key.metric, x, ovf);
		}
		fmt_value(v[4], sizeof(v[4]), e->key.metric, hmm_hist_max_bound(&e->h),
			  e->h.slots[HMM_HIST_OVERFLOW] != 0);
		printf("  %-36s %-12s %10llu %9s %9s %9s %9s %9s\n", name,
		       hmm_term_str(t, sizeof(t), e->driver, sizeof(e->driver)),
		       (unsigned long long)total, v[0], v[1], v[2], v[3], v[4]);
	}
	printf("\n");
}

static void hist_report_json(const struct hmm_histfile *f, char **names, int nnames,
			     const struct stalls *st)
{
	json_t *o = json_object(), *c = json_object(), *h = json_array(), *src = json_array();
	json_t *so = json_object(), *sd = json_object();
	char buf[64];

	json_object_set_new(o, "hosts", json_integer(f->hosts));
	json_object_set_new(o, "seconds", json_real(f->duration_ns / 1e9));
	for (int i = 0; i < nnames; i++)
		json_array_append_new(src, json_string(names[i]));
	json_object_set_new(o, "sources", src);
	for (unsigned int i = 0; i < HMM_C_MAX; i++)
		json_object_set_new(c, hmm_counter_name(i, buf, sizeof(buf)),
				    json_integer(f->counters[i]));
	json_object_set_new(o, "counters", c);
	json_object_set_new(so, "threshold_ns", json_integer(st->stall_ns));
	json_object_set_new(so, "bound_ns", json_integer(st->bound_ns));
	json_object_set_new(so, "count", json_integer(st->total));
	json_object_set_new(so, "timeout", json_integer(st->timeout));
	for (size_t k = 0; k < st->n; k++)
		json_object_set_new(sd, st->by[k].driver, json_integer(st->by[k].count));
	json_object_set_new(so, "by_driver", sd);
	json_object_set_new(o, "stalls", so);
	for (size_t i = 0; i < f->n; i++) {
		const struct hmm_histfile_entry *e = &f->e[i];
		/* A file's histograms are keyed by driver name: no address goes with them. */
		struct hmm_hist_key k = { .metric = e->key.metric, .label = e->key.label };
		json_t *x = hmm_json_hist_key(&k, e->driver, &e->h), *b = json_object();
		bool ovf;

		/* Before the histogram objects were one, hist wrote these two: aliases, one
		 * release. */
		hmm_hist_quantile(&e->h, 0.99, &ovf);
		json_object_set_new(x, "p99_overflow", json_boolean(ovf));
		/* Non-empty slots by index (hmm_hist_slot()), for exact checks and re-merging. */
		for (__u32 s = 0; s < HMM_HIST_SLOTS; s++)
			if (e->h.slots[s]) {
				snprintf(buf, sizeof(buf), "%u", s);
				json_object_set_new(b, buf, json_integer(e->h.slots[s]));
			}
		json_object_set_new(x, "slots", b);
		if (e->key.metric == HMM_M_CHAIN_NS)
			json_object_set_new(x, "stalls",
					    json_integer(hmm_chain_hist_stalls(&e->h, e->key.label,
									       st->stall_ns)));
		json_array_append_new(h, x);
	}
	json_object_set_new(o, "hists", h);
	json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(o);
}

static char *describe(const struct hmm_histfile *f, const char *path)
{
	char *s = NULL;

	if (asprintf(&s, "%s: %s%s%s, %u host%s, %.3f s", path, f->host[0] ? f->host : "(merge)",
		     f->release[0] ? " " : "", f->release, f->hosts, f->hosts == 1 ? "" : "s",
		     f->duration_ns / 1e9) < 0)
		return NULL;
	return s;
}

static int output(struct hmm_histfile *f, const char *out, bool json, char **names, int nnames,
		  __u64 stall_ns)
{
	struct stalls st;
	struct tool_out o;
	int err;

	hmm_histfile__sort(f);
	if (out) {
		err = hmm_histfile__write(f, out);
		if (err) {
			tool_err("hist: cannot write %s: %s", out, strerror(-err));
			return EXIT_PARTIAL;
		}
		fprintf(stderr, "hmmtrace: hist: wrote %s (%zu histograms, %u host%s)\n", out, f->n,
			f->hosts, f->hosts == 1 ? "" : "s");
		return EXIT_OK;
	}
	if (stalls_count(&st, f, stall_ns)) {
		tool_err("hist: out of memory");
		return EXIT_PARTIAL;
	}
	tool_out_open(&o, NULL);
	if (json)
		hist_report_json(f, names, nnames, &st);
	else
		hist_report_text(f, names, nnames, &st);
	free(st.by);
	return tool_out_close(&o, true) ? EXIT_PARTIAL : EXIT_OK;
}

/* ---- sources ------------------------------------------------------------------------------- */

static void set_host(struct hmm_histfile *f)
{
	struct utsname un;

	if (uname(&un) == 0) {
		snprintf(f->host, sizeof(f->host), "%s", un.nodename);
		snprintf(f->release, sizeof(f->release), "%s", un.release);
	}
}

struct live_ctx {
	struct hmm_histfile *f;
	struct hmm_symtab *syms;
};

static int add_live(void *ctx, const struct hmm_hist_key *k, const struct hmm_hist *h)
{
	struct live_ctx *l = ctx;

	return hmm_histfile__add(l->f, k, hmm_symtab__driver(l->syms, k->driver), h);
}

static int hist_live(struct hmm_histfile *f, unsigned long long duration, enum hmm_attach_mode mode)
{
	struct hmm_tracer_opts opts = { .sz = sizeof(opts), .aggregate = true, .mode = mode };
	struct hmm_tracer *t = NULL;
	struct hmm_ksyms *ks = NULL;
	struct live_ctx l = { .f = f };
	struct timespec rt;
	double start, deadline = 0;
	int status;

	status = start_tracer(&opts, "hist", &t);
	if (status != EXIT_OK)
		goto cleanup;
	tool_signals();
	clock_gettime(CLOCK_REALTIME, &rt);
	f->start_real_ns = rt.tv_sec * 1000000000ULL + rt.tv_nsec;
	start = tool_now_s();
	if (duration)
		deadline = start + duration;
	fprintf(stderr, "hmmtrace: hist: counting system-wide, Ctrl-C to stop\n");
	while (!tool_exiting && (!deadline || tool_now_s() < deadline))
		usleep(100000);
	f->duration_ns = (tool_now_s() - start) * 1e9;
	ks = hmm_ksyms__load(NULL);
	if (!ks)
		tool_err("hist: cannot read /proc/kallsyms (%s): drivers are \"unknown\"",
			 strerror(errno));
	l.syms = hmm_symtab__new(ks);
	if (!l.syms || hmm_tracer__counters(t, f->counters) || hmm_tracer__hists(t, add_live, &l)) {
		tool_err("hist: cannot read the in-kernel statistics");
		status = EXIT_PARTIAL;
	}
cleanup:
	hmm_symtab__free(l.syms);
	hmm_ksyms__free(ks);
	hmm_tracer__destroy(t);
	return status;
}

/* Histograms keyed by driver address while a recording is read; named at the end, when every
 * HMM_REC_SYM record has been seen. In an arena (lib/arena.h): with many drivers, every record
 * updates histograms of 2.6 KB each that huge pages keep within the TLB's reach. */
struct addr_hist {
	struct hmm_hist_key key;
	struct hmm_hist h;
};

/* One address's histograms by label and metric, as lib/stats.c's sites: a record's samples share
 * its address and label, so after the first one they are found without a hash lookup. */
#define SITE_LABELS 16 /* results, directions, events, uffd reasons; others: the index alone */

struct addr_site {
	__u64 driver;
	struct addr_hist *h[SITE_LABELS][HMM_M_MAX];
};

struct trace_ctx {
	struct addr_hist **by_addr; /* in order of first appearance */
	size_t n, cap;
	struct addr_site **sites;
	size_t n_sites, cap_sites;
	struct addr_site *site; /* the last sample's */
	struct arena arena;
	__u64 *counters; /* the histogram file's */
	unsigned int page_shift;
	int err;
	struct kmap index;	/* (driver, metric and label) -> by_addr[] */
	struct kmap site_index; /* driver -> sites[] */
};

/* The histogram of key, made on first use; NULL when out of memory. */
static struct addr_hist *addr_hist_get(struct trace_ctx *tc, const struct hmm_hist_key *key)
{
	__u64 ml = (__u64)key->metric << 32 | key->label;
	long i = kmap_get(&tc->index, key->driver, ml);
	struct addr_hist *a;

	if (i >= 0)
		return tc->by_addr[i];
	if (grow_array(&tc->by_addr, &tc->cap, tc->n + 1, sizeof(*tc->by_addr)) ||
	    !(a = arena_zalloc(&tc->arena, sizeof(*a))) ||
	    kmap_put(&tc->index, key->driver, ml, tc->n))
		return NULL;
	a->key = *key;
	tc->by_addr[tc->n++] = a;
	return a;
}

static struct addr_site *addr_site_get(struct trace_ctx *tc, __u64 driver)
{
	long i = kmap_get(&tc->site_index, driver, 0);
	struct addr_site *site;

	if (i >= 0)
		return tc->sites[i];
	if (grow_array(&tc->sites, &tc->cap_sites, tc->n_sites + 1, sizeof(*tc->sites)) ||
	    !(site = arena_zalloc(&tc->arena, sizeof(*site))) ||
	    kmap_put(&tc->site_index, driver, 0, tc->n_sites))
		return NULL;
	site->driver = driver;
	tc->sites[tc->n_sites++] = site;
	return site;
}

static void add_sample(void *ctx, const struct hmm_hist_key *key, __u64 value)
{
	struct trace_ctx *tc = ctx;
	struct addr_site *site = tc->site;
	struct addr_hist *a;

	if (tc->err)
		return;
	if (key->label >= SITE_LABELS) {
		a = addr_hist_get(tc, key);
	} else {
		if (!site || site->driver != key->driver)
			site = tc->site = addr_site_get(tc, key->driver);
		a = !site ? NULL : site->h[key->label][key->metric];
		if (site && !a)
			a = site->h[key->label][key->metric] = addr_hist_get(tc, key);
	}
	if (!a) {
		tc->err = -ENOMEM;
		return;
	}
	hmm_hist_add(&a->h, value);
}

static int trace_event(void *ctx, const struct hmm_rec_hdr *rec)
{
	struct trace_ctx *tc = ctx;

	hmm_count_record(tc->counters, rec, tc->page_shift);
	hmm_record_samples(rec, add_sample, tc);
	return 0;
}

static int hist_trace(struct hmm_histfile *f, const char *path)
{
	const struct hmm_trace_meta *m;
	struct trace_ctx tc = { 0 };
	struct hmm_trace_reader *r;
	struct hmm_symtab *syms;
	unsigned int shift;
	int err, status = EXIT_OK;

	r = open_trace("hist", path);
	if (!r)
		return EXIT_PARTIAL;
	m = hmm_trace_reader__meta(r);
	shift = m->page_size ? __builtin_ctz(m->page_size) : 12;
	snprintf(f->host, sizeof(f->host), "%s", m->host);
	snprintf(f->release, sizeof(f->release), "%s", m->release);
	f->start_real_ns = m->start_real_ns;
	syms = hmm_trace_reader__symtab(r);
	tc.counters = f->counters;
	tc.page_shift = shift;
	if (!syms) {
		tool_err("hist: out of memory");
		status = EXIT_PARTIAL;
		goto cleanup;
	}
	err = hmm_trace_replay(r, trace_event, &tc);
	if (err < 0 || tc.err) {
		tool_err("hist: reading %s: %s", path, strerror(-(err < 0 ? err : tc.err)));
		status = EXIT_PARTIAL;
		goto cleanup;
	}
	warn_damage(path, hmm_trace_reader__stats(r));
	{
		const struct hmm_trace_read_stats *st = hmm_trace_reader__stats(r);

		if (st->totals.last_ts > st->totals.first_ts)
			f->duration_ns = st->totals.last_ts - st->totals.first_ts;
	}
	for (size_t i = 0; i < tc.n; i++) {
		const struct addr_hist *a = tc.by_addr[i];

		err = hmm_histfile__add(f, &a->key, hmm_symtab__driver(syms, a->key.driver), &a->h);
		if (err) {
			tool_err("hist: out of memory");
			status = EXIT_PARTIAL;
			goto cleanup;
		}
	}
cleanup:
	kmap_free(&tc.index);
	kmap_free(&tc.site_index);
	free(tc.by_addr);
	free(tc.sites);
	arena_free(&tc.arena);
	hmm_trace_reader__close(r);
	return status;
}

static const char *histfile_strerror(int err)
{
	switch (err) {
	case -EPROTO:
		return "not a histogram file";
	case -EPROTONOSUPPORT:
		return "written by an incompatible hmmtrace (version, grid or record schema)";
	case -EBADMSG:
		return "damaged (size or CRC does not match)";
	default:
		return strerror(-err);
	}
}

/* What tells two histogram files apart: the same host over the same window is the same counts. */
struct window {
	char host[HMM_HISTFILE_STR_LEN];
	__u64 start_real_ns, duration_ns;
};

static int hist_merge(int argc, char **argv, const char *out, bool json, __u64 stall_ns)
{
	struct hmm_histfile *all = NULL, *f;
	struct window *seen;
	char **names;
	int err, status = EXIT_OK, n = 0;

	if (argc < 1) {
		tool_err("hist merge: no files given (see --help)");
		return EXIT_USAGE;
	}
	names = calloc(argc, sizeof(*names));
	seen = calloc(argc, sizeof(*seen));
	all = hmm_histfile__new(HMM_HISTFILE_MERGE);
	if (!names || !seen || !all) {
		tool_err("hist merge: out of memory");
		status = EXIT_PARTIAL;
		goto cleanup;
	}
	all->hosts = 0;
	for (int i = 0; i < argc; i++) {
		f = hmm_histfile__read(argv[i], &err);
		if (!f) {
			tool_err("hist merge: %s: %s", argv[i], histfile_strerror(err));
			status = EXIT_PARTIAL;
			goto cleanup;
		}
		names[n++] = describe(f, argv[i]);
		snprintf(seen[i].host, sizeof(seen[i].host), "%s", f->host);
		seen[i].start_real_ns = f->start_real_ns;
		seen[i].duration_ns = f->duration_ns;
		for (int j = 0; j < i && f->host[0]; j++)
			if (!strcmp(seen[j].host, f->host) &&
			    seen[j].start_real_ns == f->start_real_ns &&
			    seen[j].duration_ns == f->duration_ns) {
				tool_err("hist merge: warning: %s is host %s over the same window as %s: "
					 "the same counts, counted twice", argv[i], seen[i].host, argv[j]);
				break;
			}
		if (i == 0)
			snprintf(all->release, sizeof(all->release), "%s", f->release);
		err = hmm_histfile__merge(all, f);
		hmm_histfile__free(f);
		if (err) {
			tool_err("hist merge: out of memory");
			status = EXIT_PARTIAL;
			goto cleanup;
		}
	}
	if (all->saturated)
		tool_err("hist merge: warning: some counts passed 2^64: they stay at 2^64 - 1");
	status = output(all, out, json, names, n, stall_ns);
cleanup:
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(seen);
	hmm_histfile__free(all);
	return status;
}

int cmd_hist(int argc, char **argv)
{
	struct tool_opts to = { 0 };
	enum hmm_attach_mode mode;
	const char *out, *input;
	unsigned long long duration;
	struct hmm_histfile *f = NULL;
	bool json, merge = false;
	int status, first;
	char *name = NULL;

	if (argc > 1 && !strcmp(argv[1], "merge")) {
		merge = true;
		argc--;
		argv++;
	}
	first = cmd_parse(&hist_cmd, argc, argv, &to, -1, &status);
	if (first < 0)
		return status;
	mode = to.tracer.mode;
	out = to.output;
	input = to.input;
	duration = to.duration;
	json = to.json;
	if (merge) {
		if (input || tool_live_given()) {
			tool_err("hist merge: -i, -d and -m do not apply to merge");
			return EXIT_USAGE;
		}
		return hist_merge(argc - first, argv + first, out, json, to.stall_ns);
	}
	if (first < argc) {
		tool_err("hist: unexpected argument '%s' (did you mean 'hist merge'?)", argv[first]);
		return EXIT_USAGE;
	}
	if (input && tool_live_given()) {
		tool_err("hist: -d and -m are for live counting, not with -i");
		return EXIT_USAGE;
	}
	f = hmm_histfile__new(input ? HMM_HISTFILE_TRACE : HMM_HISTFILE_LIVE);
	if (!f) {
		tool_err("hist: out of memory");
		return EXIT_PARTIAL;
	}
	if (input) {
		status = hist_trace(f, input);
	} else {
		set_host(f);
		status = hist_live(f, duration, mode);
	}
	if (status == EXIT_OK) {
		name = describe(f, input ? input : "live");
		status = output(f, out, json, &name, name ? 1 : 0, to.stall_ns);
	}
	free(name);
	hmm_histfile__free(f);
	return status;
}
