// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * How cost grows with the number of owner processes, drivers and exported series
 * (tests/bench/scale.sh runs it and prints the tables):
 *
 *   bench_scale stats [-n N] [-r REPS]	 hmm_stats__add() over an in-memory feed of N records,
 *					 for 1, 10 and 1000 owners and drivers: ns per event
 *					 (-O OWNERS -D DRIVERS: that one configuration of
 *					 the seven, for a profiler)
 *   bench_scale prom [-r REPS]		 the exporter's renderer (prom.c) over 1, 10 and 1000
 *					 drivers, and with --per-process N over N owners: ms per
 *					 scrape, bytes, series
 *   bench_scale prom-rss -D DRIVERS -O OWNERS	 build one renderer state and render it: run as
 *					 its own process for its peak resident set
 *   bench_scale write -o FILE -n N -O OWNERS -D DRIVERS	 a trace file for the tools' memory
 *
 * Output: key=value lines, one per measurement. Times are medians of REPS runs, per wall-clock
 * second and per second of this thread's CPU time (what a busy host inflates less); the process
 * pins itself to the CPU it starts on.
 *
 * The feed is synthetic and shaped like a real one: 60% faults (1 in 10 of them an -EBUSY with a
 * cause, followed by the successful retry and the chain record that ends the chain, as the BPF
 * side emits them), 25% invalidations, 10% migrations, 5% read_begin waits; each record's owner
 * and driver drawn at random from OWNERS processes (8 threads each) and DRIVERS drivers, every
 * driver's two attribution addresses (ops->invalidate, the migrating function) named by
 * HMM_REC_SYM records and resolved through lib/symtab as `hmmtrace report` and hmmtop do.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "lib/agg.h"
#include "lib/hist.h"
#include "lib/stats.h"
#include "lib/symtab.h"
#include "lib/trace.h"
#include "tools/hmm_exporter/prom.h"
#include "tests/rnd.h"

#define POOL  65536 /* records in the feed's pool, chain triples counted as three */
#define T0    1000000000000ull
#define MAXR  32
#define NSIZE 3
static const unsigned int sizes[NSIZE] = {1, 10, 1000};

static __u64 clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- the feed ------------------------------------------------------------------------------ */

/* Durations spread over decades, as latencies are: 2^(10..20) ns, plus noise. */
static __u64 dur(void)
{
	__u64 e = 10 + rnd() % 11;

	return (1ull << e) + rnd() % (1ull << e);
}

static __u64 drv_ops(unsigned int d)
{
	return 0xffffffffc0000000ull + ((__u64)d << 16);
}

static __u64 drv_mig(unsigned int d)
{
	return drv_ops(d) + 0x4000;
}

static __u64 mm_of(unsigned int o)
{
	return 0xffff888100000000ull + ((__u64)o << 12);
}

static void task(struct hmm_task *t, unsigned int o)
{
	t->pid = 10000 + o;
	t->tid = t->pid + (__u32)(rnd() % 8);
	snprintf(t->comm, sizeof(t->comm), "job%u", o);
}

static __u64 addr(unsigned int o)
{
	return 0x7f0000000000ull + ((__u64)(o % 64) << 36) + ((rnd() % (1u << 20)) << 12);
}

/* One fault by caller/owner o through driver d. */
static size_t fault(void *buf, __u64 ts, unsigned int o, unsigned int d, const struct hmm_task *t,
		    bool busy, __u16 attempt)
{
	struct hmm_rec_fault *r = buf;
	__u32 npages = 1u << (rnd() % 10);

	memset(r, 0, sizeof(*r));
	r->hdr = (struct hmm_rec_hdr){.type = HMM_REC_FAULT, .size = sizeof(*r), .ts = ts};
	r->dur_ns = dur();
	r->ret = busy ? -16 : 0;
	r->start = addr(o);
	r->end = r->start + ((__u64)npages << 12);
	r->notifier = mm_of(o) + 0x1c0;
	r->mm = mm_of(o);
	r->ops = drv_ops(d);
	r->caller = *t;
	r->owner = *t;
	r->npages = r->scanned = npages;
	r->valid = busy ? 0 : npages;
	r->attempt = attempt;
	r->flags = HMM_FAULT_F_FAULT | HMM_FAULT_F_OWNER_KNOWN;
	if (busy) {
		r->cause.start = r->start;
		r->cause.end = r->end;
		r->cause.ago_ns = dur();
		task(&r->cause.task, (o + 1) % 64);
		r->cause.event = HMM_EV_UNMAP;
		r->cause.found = 1;
	}
	return sizeof(*r);
}

/* One event into buf (an -EBUSY chain: three records); returns the bytes and *nrec. */
static size_t gen(unsigned char *buf, __u64 ts, unsigned int owners, unsigned int drivers,
		  unsigned int *nrec)
{
	unsigned int kind = rnd() % 100, o = rnd() % owners, d = rnd() % drivers;
	__u32 npages = 1u << (rnd() % 10);
	struct hmm_task t;
	size_t n = 0;

	task(&t, o);
	*nrec = 1;
	if (kind < 54) {
		n = fault(buf, ts, o, d, &t, false, 1);
	} else if (kind < 60) {
		struct hmm_rec_chain *c;

		n = fault(buf, ts, o, d, &t, true, 1);
		n += fault(buf + n, ts + 5000, o, d, &t, false, 2);
		c = (void *)(buf + n);
		memset(c, 0, sizeof(*c));
		c->hdr = (struct hmm_rec_hdr){.type = HMM_REC_CHAIN, .size = sizeof(*c), .ts = ts};
		c->dur_ns = 5000 + dur();
		c->notifier = mm_of(o) + 0x1c0;
		c->mm = mm_of(o);
		c->ops = drv_ops(d);
		c->caller = t;
		c->owner = t;
		c->attempts = 2;
		c->busy = 1;
		c->cause.found = 1;
		c->cause.event = HMM_EV_UNMAP;
		task(&c->cause.task, (o + 1) % 64);
		n += sizeof(*c);
		*nrec = 3;
	} else if (kind < 85) {
		struct hmm_rec_inval *r = (void *)buf;

		memset(r, 0, sizeof(*r));
		r->hdr = (struct hmm_rec_hdr){.type = HMM_REC_INVAL, .size = sizeof(*r), .ts = ts};
		r->start_ns = dur();
		r->end_ns = dur() / 4;
		r->start = addr(o);
		r->end = r->start + ((__u64)npages << 12);
		r->mm = mm_of(o);
		r->task = t;
		r->owner = t;
		r->event = rnd() % 4 ? HMM_EV_UNMAP : HMM_EV_MIGRATE;
		r->flags = HMM_INVAL_F_BLOCKABLE | HMM_INVAL_F_OWNER_KNOWN;
		n = sizeof(*r);
	} else if (kind < 95) {
		struct hmm_rec_migrate *r = (void *)buf;

		memset(r, 0, sizeof(*r));
		r->hdr =
			(struct hmm_rec_hdr){.type = HMM_REC_MIGRATE, .size = sizeof(*r), .ts = ts};
		r->setup_ns = dur();
		r->copy_ns = dur() * 4;
		r->finalize_ns = dur();
		r->total_ns = r->setup_ns + r->copy_ns + r->finalize_ns;
		r->start = addr(o);
		r->end = r->start + ((__u64)npages << 12);
		r->mm = mm_of(o);
		r->driver = drv_ops(d);
		r->caller_ip = drv_mig(d);
		r->caller = t;
		r->owner = t;
		r->npages = r->cpages = r->scanned = npages;
		r->moved = npages;
		r->dir = rnd() % 2;
		r->flags = HMM_MIG_F_OWNER_KNOWN | HMM_MIG_F_PAGES;
		n = sizeof(*r);
	} else {
		struct hmm_rec_read_begin *r = (void *)buf;

		memset(r, 0, sizeof(*r));
		r->hdr = (struct hmm_rec_hdr){
			.type = HMM_REC_READ_BEGIN, .size = sizeof(*r), .ts = ts};
		r->dur_ns = dur();
		r->notifier = mm_of(o) + 0x1c0;
		r->mm = mm_of(o);
		r->caller = t;
		r->owner = t;
		n = sizeof(*r);
	}
	for (size_t off = 0; off < n;) {
		struct hmm_rec_hdr *h = (void *)(buf + off);

		h->cpu = (__u32)(rnd() % 8);
		off += h->size;
	}
	return n;
}

struct pool {
	unsigned char *buf;
	size_t off[POOL];
	size_t n;
	__u64 span; /* recorded ns one pass covers */
};

/* The same seed for every size: only the cardinalities differ. */
static int pool_init(struct pool *p, unsigned int owners, unsigned int drivers)
{
	__u64 ts = T0;
	size_t o = 0;

	rng = 0x9e3779b97f4a7c15ULL;
	p->buf = malloc((size_t)POOL * 256);
	if (!p->buf)
		return -ENOMEM;
	p->n = 0;
	while (p->n + 3 <= POOL) {
		unsigned int k, nrec;

		ts += rnd() % 10000; /* 5 us apart on average */
		gen(p->buf + o, ts, owners, drivers, &nrec);
		for (k = 0; k < nrec; k++) {
			p->off[p->n++] = o;
			o += ((struct hmm_rec_hdr *)(p->buf + o))->size;
		}
	}
	p->span = ts - T0 + 5000;
	return 0;
}

/* Record i of the feed: the pool again and again, timestamps rising by a pass each time. */
static const struct hmm_rec_hdr *feed(struct pool *p, __u64 i, struct hmm_rec_hdr *scratch)
{
	const struct hmm_rec_hdr *h = (const void *)(p->buf + p->off[i % p->n]);

	memcpy(scratch, h, h->size);
	scratch->ts += (i / p->n) * p->span;
	return scratch;
}

static void sym(struct hmm_rec_sym *s, unsigned int k)
{
	unsigned int d = k / 2;

	memset(s, 0, sizeof(*s));
	s->hdr = (struct hmm_rec_hdr){.type = HMM_REC_SYM, .size = sizeof(*s), .ts = T0};
	s->addr = k % 2 ? drv_mig(d) : drv_ops(d);
	snprintf(s->name, sizeof(s->name), "drv%u_%s", d, k % 2 ? "migrate" : "invalidate");
	snprintf(s->driver, sizeof(s->driver), "drv%u", d);
}

/* ---- stats: ns per event --------------------------------------------------------------------- */

static const char *driver_of(void *ctx, __u64 addr)
{
	return hmm_symtab__driver(ctx, addr);
}

static int stats_run(struct pool *p, unsigned int drivers, __u64 n, double *ns, double *cpu,
		     size_t *n_owners, size_t *n_drivers)
{
	struct hmm_stats_opts o = {.sz = sizeof(o), .driver_name = driver_of};
	struct hmm_symtab *syms = hmm_symtab__new(NULL);
	struct hmm_stats *s = NULL;
	union {
		struct hmm_rec_hdr h;
		unsigned char b[256];
	} scratch;
	struct hmm_rec_sym sy;
	__u64 i, t0, c0;
	int err = 0;

	o.ctx = syms;
	s = syms ? hmm_stats__new(&o) : NULL;
	if (!s) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (unsigned int k = 0; k < 2 * drivers && !err; k++) {
		sym(&sy, k);
		err = hmm_symtab__add(syms, &sy);
	}
	t0 = clock_ns(CLOCK_MONOTONIC);
	c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	for (i = 0; i < n && !err; i++) {
		const struct hmm_rec_hdr *h = feed(p, i, &scratch.h);

		err = hmm_stats__add(s, h);
	}
	*ns = (double)(clock_ns(CLOCK_MONOTONIC) - t0) / n;
	*cpu = (double)(clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0) / n;
	*n_owners = s->n_owners;
	*n_drivers = s->n_drivers;
cleanup:
	hmm_stats__free(s);
	hmm_symtab__free(syms);
	return err;
}

/* The baseline of the loop: copying each record out of the pool, nothing else. */
static double copy_run(struct pool *p, __u64 n)
{
	union {
		struct hmm_rec_hdr h;
		unsigned char b[256];
	} scratch;
	volatile __u64 sink = 0;
	__u64 i, c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);

	for (i = 0; i < n; i++)
		sink += feed(p, i, &scratch.h)->ts;
	(void)sink;
	return (double)(clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0) / n;
}

/* owners and drivers 0: every configuration; otherwise that one alone (for a profiler). */
static int do_stats(__u64 n, int reps, unsigned int owners, unsigned int drivers)
{
	static const unsigned int cfg[][2] = {{1, 1},	 {10, 1},  {1000, 1},	{1, 10},
					      {1, 1000}, {10, 10}, {1000, 1000}};

	for (size_t c = 0; c < sizeof(cfg) / sizeof(cfg[0]); c++) {
		double ns[MAXR], cpu[MAXR];
		size_t no = 0, nd = 0;
		struct pool p;
		int err;

		if (owners && drivers && (cfg[c][0] != owners || cfg[c][1] != drivers))
			continue;
		err = pool_init(&p, cfg[c][0], cfg[c][1]);
		for (int r = 0; r < reps && !err; r++)
			err = stats_run(&p, cfg[c][1], n, &ns[r], &cpu[r], &no, &nd);
		if (err) {
			fprintf(stderr, "bench_scale: stats: %s\n", strerror(-err));
			free(p.buf);
			return 1;
		}
		printf("stats owners=%u drivers=%u ns=%.1f cpu_ns=%.1f copy_ns=%.1f groups=%zu,%zu "
		       "events=%llu\n",
		       cfg[c][0], cfg[c][1], median(ns, reps), median(cpu, reps), copy_run(&p, n),
		       no, nd, (unsigned long long)n);
		fflush(stdout);
		free(p.buf);
	}
	return 0;
}

/* ---- prom: the renderer -------------------------------------------------------------------- */

struct rstate {
	struct hmm_hist *h;
	struct prom_hist *ph;
	char (*names)[32];
	struct prom_owner *own;
	size_t n_own;
	struct prom_procs pp;
	__u64 counters[HMM_C_MAX];
	struct prom_probe probes[HMM_AP_MAX];
	struct prom_state s;
};

/* Whether the kernel keys the metric by driver (lib/agg.c: faults, chains, migrations). */
static bool by_driver(__u16 m)
{
	return m != HMM_M_READ_BEGIN_NS && m != HMM_M_INVAL_START_NS && m != HMM_M_INVAL_END_NS &&
	       m != HMM_M_UFFD_NS;
}

/* Every histogram the kernel can hold for `drivers` drivers (every label value of every metric,
 * each filled with 200 values over many octaves), and `owners` owners with --per-process owners
 * (0: no per-process families). */
static int rstate_init(struct rstate *st, unsigned int drivers, unsigned int owners)
{
	size_t n = 0, k = 0;

	memset(st, 0, sizeof(*st));
	rng = 0x9e3779b97f4a7c15ULL;
	for (__u16 m = 0; m < HMM_M_MAX; m++)
		n += (size_t)hmm_metric_label_count(m) * (by_driver(m) ? drivers : 1);
	st->h = calloc(n, sizeof(*st->h));
	st->ph = calloc(n, sizeof(*st->ph));
	st->names = calloc(drivers, sizeof(*st->names));
	st->own = calloc(owners ? owners : 1, sizeof(*st->own));
	if (!st->h || !st->ph || !st->names || !st->own)
		return -ENOMEM;
	for (unsigned int d = 0; d < drivers; d++)
		snprintf(st->names[d], sizeof(st->names[d]), "drv%u", d);
	for (__u16 m = 0; m < HMM_M_MAX; m++)
		for (unsigned int d = 0; d < (by_driver(m) ? drivers : 1); d++)
			for (unsigned int l = 0; l < hmm_metric_label_count(m); l++) {
				for (int v = 0; v < 200; v++)
					hmm_hist_add(&st->h[k], m == HMM_M_CHAIN_ATTEMPTS
									? 1 + rnd() % 8
									: dur());
				st->ph[k] =
					(struct prom_hist){{.driver = by_driver(m) ? drv_ops(d) : 0,
							    .metric = m,
							    .label = l},
							   by_driver(m) ? st->names[d] : "none",
							   &st->h[k]};
				k++;
			}
	for (unsigned int i = 0; i < HMM_C_MAX; i++)
		st->counters[i] = rnd() % 1000000;
	for (unsigned int i = 0; i < HMM_AP_MAX; i++)
		st->probes[i] = (struct prom_probe){hmm_ap_func(i), "attached", "fentry"};
	st->s = (struct prom_state){.counters = st->counters,
				    .hists = st->ph,
				    .n_hists = n,
				    .probes = st->probes,
				    .n_probes = HMM_AP_MAX,
				    .version = "bench",
				    .kernel_release = "bench"};
	if (owners) {
		st->pp.max_labels = owners;
		st->n_own = owners;
		for (unsigned int i = 0; i < owners; i++) {
			struct hmm_owner_stats os = {.fault_calls = 100 + i,
						     .fault_ns = 1000000 + i,
						     .fault_ebusy = i % 7,
						     .fault_pages = 6400,
						     .migrations = {3, 2},
						     .migrate_moved = {48, 32},
						     .migrate_ns = 50000,
						     .inval_calls = 20,
						     .inval_ns = 30000};

			snprintf(os.comm, sizeof(os.comm), "job%u", i);
			prom_owner_set(&st->own[i], 10000 + i, &os);
		}
		st->s.procs = &st->pp;
	}
	return 0;
}

static void rstate_free(struct rstate *st)
{
	prom_procs_free(&st->pp);
	free(st->h);
	free(st->ph);
	free(st->names);
	free(st->own);
}

/* One scrape: with per-process owners, the map's snapshot accounted (every owner grown a little,
 * as between two scrapes), then the render. */
static __u64 update_ns; /* CPU time in prom_procs_update(), summed */

static int scrape(struct rstate *st, struct prom_buf *b)
{
	__u64 t0;
	int err;

	if (st->n_own) {
		for (size_t i = 0; i < st->n_own; i++) {
			st->own[i].v[PV_FAULT_CALLS] += 1;
			st->own[i].v[PV_FAULT_NS] += 1000;
		}
		t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
		err = prom_procs_update(&st->pp, st->own, st->n_own);
		update_ns += clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0;
		if (err)
			return err;
	}
	prom_buf_reset(b);
	err = prom_render(b, &st->s);
	return err ? err : b->oom ? -ENOMEM : 0;
}

static size_t count_str(const char *s, size_t len, const char *what)
{
	size_t n = 0, wl = strlen(what);

	for (const char *q = s; (q = memmem(q, len - (q - s), what, wl)); q += wl)
		n++;
	return n;
}

static int prom_one(unsigned int drivers, unsigned int owners, int reps)
{
	double ms[MAXR], cpu[MAXR], upd[MAXR];
	struct prom_buf b = {0};
	struct rstate st;
	char verr[256];
	bool valid;
	int err;

	err = rstate_init(&st, drivers, owners);
	if (!err)
		err = scrape(&st, &b); /* warm: first sight of every owner, buffers grown */
	if (err)
		goto cleanup;
	/* The validator's cost grows faster than the text's: it checks outputs up to 4 MB. */
	valid = b.len <= (4u << 20);
	if (valid && prom_validate(b.data, b.len, verr, sizeof(verr))) {
		fprintf(stderr, "bench_scale: the rendered text is invalid: %s\n", verr);
		err = -EINVAL;
		goto cleanup;
	}
	for (int r = 0; r < reps && !err; r++) {
		__u64 t0 = clock_ns(CLOCK_MONOTONIC), c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID), t;
		int i = 0;

		update_ns = 0;
		/* At least 3 scrapes and 0.1 s per run. */
		do {
			err = scrape(&st, &b);
			i++;
			t = clock_ns(CLOCK_MONOTONIC) - t0;
		} while (!err && (i < 3 || t < 100000000));
		ms[r] = t / 1e6 / i;
		cpu[r] = (clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0) / 1e6 / i;
		upd[r] = update_ns / 1e6 / i;
	}
	if (err)
		goto cleanup;
	printf("prom drivers=%u owners=%u ms=%.3f cpu_ms=%.3f update_ms=%.3f bytes=%zu "
	       "hist_series=%zu "
	       "samples=%zu validated=%d\n",
	       drivers, owners, median(ms, reps), median(cpu, reps), median(upd, reps), b.len,
	       count_str(b.data, b.len, "_count"),
	       count_str(b.data, b.len, "\n") - count_str(b.data, b.len, "\n#") -
		       (b.data[0] == '#'),
	       valid);
	fflush(stdout);
cleanup:
	if (err)
		fprintf(stderr, "bench_scale: prom drivers=%u owners=%u: %s\n", drivers, owners,
			strerror(-err));
	prom_buf_free(&b);
	rstate_free(&st);
	return err;
}

static int do_prom(int reps)
{
	for (int i = 0; i < NSIZE; i++)
		if (prom_one(sizes[i], 0, reps))
			return 1;
	for (int i = 0; i < NSIZE; i++)
		if (prom_one(1, sizes[i], reps))
			return 1;
	return 0;
}

/* The renderer's peak resident set at one size: this process, exec'd fresh, renders 5 times. */
static int do_prom_rss(unsigned int drivers, unsigned int owners)
{
	struct prom_buf b = {0};
	struct rstate st;
	struct rusage ru;
	int err;

	err = rstate_init(&st, drivers, owners);
	for (int i = 0; i < 5 && !err; i++)
		err = scrape(&st, &b);
	getrusage(RUSAGE_SELF, &ru);
	if (!err)
		printf("prom-rss drivers=%u owners=%u maxrss_kb=%ld bytes=%zu\n", drivers, owners,
		       ru.ru_maxrss, b.len);
	prom_buf_free(&b);
	rstate_free(&st);
	return err ? 1 : 0;
}

/* ---- write: a trace file ------------------------------------------------------------------- */

static int do_write(const char *path, __u64 n, unsigned int owners, unsigned int drivers)
{
	struct hmm_trace_meta meta = {};
	struct hmm_trace_writer *w;
	union {
		struct hmm_rec_hdr h;
		unsigned char b[256];
	} scratch;
	struct hmm_rec_sym s;
	struct pool p;
	int err, cerr;

	err = pool_init(&p, owners, drivers);
	if (err)
		return err;
	hmm_trace_meta_from_system(&meta);
	meta.page_size = 4096;
	meta.start_mono_ns = T0;
	meta.start_real_ns = 1700000000ull * 1000000000ull;
	snprintf(meta.command, sizeof(meta.command), "bench_scale");
	w = hmm_trace_writer__open(path, &meta, NULL);
	if (!w) {
		err = -errno;
		goto cleanup;
	}
	/* The symbols first, as `hmmtrace record` writes them before the first record naming one.
	 */
	for (unsigned int k = 0; k < 2 * drivers && !err; k++) {
		sym(&s, k);
		err = hmm_trace_writer__add(w, &s.hdr);
	}
	for (__u64 i = 0; i < n && !err; i++)
		err = hmm_trace_writer__add(w, feed(&p, i, &scratch.h));
	cerr = hmm_trace_writer__close(w);
	err = err ?: cerr;
cleanup:
	free(p.buf);
	return err;
}

/* ---- main ---------------------------------------------------------------------------------- */

static int parse_u(const char *opt, const char *s, unsigned long long lo, unsigned long long hi,
		   unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *v < lo || *v > hi) {
		fprintf(stderr, "bench_scale: %s: '%s' is not a number in %llu .. %llu\n", opt, s,
			lo, hi);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long n = 2000000, reps = 5, owners = 1, drivers = 1;
	const char *mode = argc > 1 ? argv[1] : "", *out = NULL;
	bool one = false; /* -O or -D given: stats runs that configuration alone */
	cpu_set_t set;
	int c, err;

	optind = 2;
	while ((c = getopt(argc, argv, "n:r:O:D:o:")) != -1) {
		switch (c) {
		case 'n':
			if (parse_u("-n", optarg, 1000, 1ull << 34, &n))
				return 2;
			break;
		case 'r':
			if (parse_u("-r", optarg, 1, MAXR, &reps))
				return 2;
			break;
		case 'O':
			if (parse_u("-O", optarg, 0, 100000, &owners))
				return 2;
			one = true;
			break;
		case 'D':
			if (parse_u("-D", optarg, 1, 100000, &drivers))
				return 2;
			one = true;
			break;
		case 'o':
			out = optarg;
			break;
		default:
			return 2;
		}
	}
	/* One core: the CPU this process started on. */
	CPU_ZERO(&set);
	CPU_SET(sched_getcpu(), &set);
	sched_setaffinity(0, sizeof(set), &set);
	if (!strcmp(mode, "stats"))
		return do_stats(n, (int)reps, one ? (unsigned int)owners : 0,
				one ? (unsigned int)drivers : 0);
	if (!strcmp(mode, "prom"))
		return do_prom((int)reps);
	if (!strcmp(mode, "prom-rss"))
		return do_prom_rss(drivers, owners);
	if (!strcmp(mode, "write") && out) {
		err = do_write(out, n, owners ? owners : 1, drivers);
		if (err)
			fprintf(stderr, "bench_scale: writing %s: %s\n", out, strerror(-err));
		return err ? 1 : 0;
	}
	fprintf(stderr, "usage: bench_scale stats [-n N] [-r REPS] [-O OWNERS -D DRIVERS]\n"
			"       bench_scale prom [-r REPS]\n"
			"       bench_scale prom-rss -D DRIVERS -O OWNERS\n"
			"       bench_scale write -o FILE -n N -O OWNERS -D DRIVERS\n");
	return 2;
}
