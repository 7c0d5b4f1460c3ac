// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Trace file benchmark (tests/bench/trace.sh prints the table):
 *   deflate  the writer's compressor alone (libdeflate, one-shot, on chunk-sized slices of the
 *            feed): the ceiling for the writer at each level
 *   write    records/s through hmm_trace_writer__add() into a file, one thread, per level, with
 *            plain chunks and delta coded ones (delta-write; the default)
 *   read     a file of -N records read three ways per round, side by side: (a) plain zlib inflate
 *            of each chunk's payload (pread + zlib's inflate, nothing else), (b)
 *            hmm_trace_reader__next() touching every record, and (c) with -t, the real report
 *            path: `hmmtrace report -i FILE --json >/dev/null` run as a process; the ratios b/a
 *            and c/a are what reading and reporting cost over bare zlib inflation. Then the same
 *            for a delta coded file (delta-read, delta-report): its (a) inflates the delta coded
 *            payload, which is smaller than the records; and its (b) a second time with the
 *            portable delta decoder (delta-read-portable), where the CPU has a faster one (BMI2)
 *   stats    hmm_rec_check() + hmm_stats__add() over an in-memory feed of -N records: decoding
 *            and aggregation without the file
 * Output: key=value lines, one per measurement. Rates are per wall-clock second; cpu_ ones per
 * second of this thread's (or the report process's) CPU time, which a busy host inflates less.
 *
 * The feed is synthetic but shaped like a real one: mostly faults and invalidations, some
 * migrations, chains, read_begin and uffd records, with varying pids, addresses, sizes and
 * durations, increasing timestamps across 8 CPUs, and -EBUSY faults that carry a cause; four
 * owner processes on three drivers, named by HMM_REC_SYM records at the start of each file as
 * `hmmtrace record` writes them, so a report resolves the drivers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <libdeflate.h>
#include <zlib.h>

#include "lib/stats.h"
#include "lib/symtab.h"
#include "lib/trace.h"
#include "tests/rnd.h"

#define POOL 65536

static __u64 clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static __u64 now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static __u64 cpu_ns(void)
{
	return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

/*
 * Seconds the hypervisor has taken from the CPUs so far (steal time, /proc/stat): from those
 * this process may run on, or from all with all_cpus. On a shared host a vCPU is sometimes not
 * running at all, and a measurement that overlaps that is slower for reasons of its own; the
 * output gives the steal beside each figure. 0 where /proc/stat cannot be read.
 */
static double steal_s(bool all_cpus)
{
	unsigned long long v[8], ticks = 0;
	char line[512];
	cpu_set_t set;
	FILE *f = fopen("/proc/stat", "r");
	int cpu;

	if (!f)
		return 0;
	if (sched_getaffinity(0, sizeof(set), &set))
		all_cpus = true;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0], &v[1],
			   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 9)
			continue; /* the "cpu" total line, and the others */
		if (all_cpus || (cpu < CPU_SETSIZE && CPU_ISSET(cpu, &set)))
			ticks += v[7];
	}
	fclose(f);
	return (double)ticks / sysconf(_SC_CLK_TCK);
}

/* Durations spread over decades, as latencies are: 2^(10..20) ns, plus noise. */
static __u64 dur(void)
{
	__u64 e = 10 + rnd() % 11;

	return (1ull << e) + rnd() % (1ull << e);
}

static const char *const comms[] = {"gpu_job", "python3", "hmm_workload", "pt_main_thread"};
static const __u32 pids[] = {4242, 4243, 9137, 1201};
static const __u64 mms[] = {0xffff88810a3c4000ull, 0xffff888112f0c800ull, 0xffff8881034e1000ull,
			    0xffff888100a17400ull};

/* Three drivers: each one's ops->invalidate and the function that migrates; process p uses
 * driver p % 3. */
#define NDRV 3
static const struct {
	__u64 ops, mig;
	const char *ops_sym, *mig_sym, *name;
} drv[NDRV] = {
	{0xffffffffc0a01230ull, 0xffffffffc0a04410ull, "nouveau_svmm_invalidate",
	 "nouveau_dmem_migrate_vma", "nouveau"},
	{0xffffffffc1b05e80ull, 0xffffffffc1b0a2c0ull, "amdgpu_hmm_invalidate_gfx",
	 "svm_migrate_ram_to_vram", "amdgpu"},
	{0xffffffffc0c11340ull, 0xffffffffc0c12a70ull, "dmirror_interval_invalidate",
	 "dmirror_migrate_to_device", "test_hmm"},
};
#define OPS(p) drv[(p) % NDRV].ops

static void task(struct hmm_task *t, unsigned int p)
{
	t->pid = pids[p];
	t->tid = pids[p] + (__u32)(rnd() % 8);
	snprintf(t->comm, sizeof(t->comm), "%s", comms[p]);
}

static __u64 addr(unsigned int p)
{
	return 0x7f0000000000ull + ((__u64)p << 36) + ((rnd() % (1u << 20)) << 12);
}

/* One record into buf: its size. */
static size_t gen(void *buf, __u64 ts)
{
	unsigned int kind = rnd() % 100, p = rnd() % 4;
	struct hmm_rec_hdr *h = buf;
	__u32 npages = 1u << (rnd() % 10);

	if (kind < 50) {
		struct hmm_rec_fault *r = buf;

		memset(r, 0, sizeof(*r));
		h->type = HMM_REC_FAULT;
		h->size = sizeof(*r);
		r->dur_ns = dur();
		r->ret = rnd() % 10 ? 0 : -16;
		r->start = addr(p);
		r->end = r->start + ((__u64)npages << 12);
		r->notifier = mms[p] + 0x1c0;
		r->mm = mms[p];
		r->ops = OPS(p);
		task(&r->caller, p);
		task(&r->owner, p);
		r->npages = npages;
		r->scanned = npages;
		r->valid = r->ret ? 0 : npages;
		r->write = r->ret ? 0 : npages / 2;
		r->attempt = r->ret ? 1 + rnd() % 3 : 1;
		r->max_order = npages >= 512 ? 9 : 0;
		r->flags = HMM_FAULT_F_FAULT | HMM_FAULT_F_OWNER_KNOWN |
			   (p & 1 ? HMM_FAULT_F_WRITE : 0);
		if (r->ret) {
			r->cause.start = r->start;
			r->cause.end = r->end;
			r->cause.ago_ns = dur();
			task(&r->cause.task, (p + 1) % 4);
			r->cause.event = HMM_EV_UNMAP;
			r->cause.found = 1;
		}
	} else if (kind < 80) {
		struct hmm_rec_inval *r = buf;

		memset(r, 0, sizeof(*r));
		h->type = HMM_REC_INVAL;
		h->size = sizeof(*r);
		r->start_ns = dur();
		r->end_ns = dur() / 4;
		r->start = addr(p);
		r->end = r->start + ((__u64)npages << 12);
		r->mm = mms[p];
		r->owner_ptr = rnd() % 3 ? 0 : 0xffff888107a20000ull;
		task(&r->task, p);
		task(&r->owner, p);
		r->event = rnd() % 4 ? HMM_EV_UNMAP : HMM_EV_MIGRATE;
		r->flags = HMM_INVAL_F_BLOCKABLE | HMM_INVAL_F_OWNER_KNOWN;
	} else if (kind < 88) {
		struct hmm_rec_migrate *r = buf;

		memset(r, 0, sizeof(*r));
		h->type = HMM_REC_MIGRATE;
		h->size = sizeof(*r);
		r->setup_ns = dur();
		r->copy_ns = dur() * 4;
		r->finalize_ns = dur();
		r->total_ns = r->setup_ns + r->copy_ns + r->finalize_ns;
		r->start = addr(p);
		r->end = r->start + ((__u64)npages << 12);
		r->mm = mms[p];
		r->driver = OPS(p);
		r->caller_ip = drv[p % NDRV].mig;
		task(&r->caller, p);
		task(&r->owner, p);
		r->npages = r->cpages = npages;
		r->moved = npages - (rnd() % 8 ? 0 : 1);
		r->stayed = npages - r->moved;
		r->scanned = npages;
		r->dir = rnd() % 2;
		r->flags = HMM_MIG_F_OWNER_KNOWN | HMM_MIG_F_PAGES;
	} else if (kind < 93) {
		struct hmm_rec_chain *r = buf;

		memset(r, 0, sizeof(*r));
		h->type = HMM_REC_CHAIN;
		h->size = sizeof(*r);
		r->dur_ns = dur() * 3;
		r->notifier = mms[p] + 0x1c0;
		r->mm = mms[p];
		r->ops = OPS(p);
		task(&r->caller, p);
		task(&r->owner, p);
		r->attempts = 2 + rnd() % 3;
		r->busy = r->attempts - 1;
		r->cause.start = addr(p);
		r->cause.end = r->cause.start + 0x10000;
		r->cause.ago_ns = dur();
		task(&r->cause.task, (p + 1) % 4);
		r->cause.found = 1;
	} else if (kind < 98) {
		struct hmm_rec_read_begin *r = buf;

		memset(r, 0, sizeof(*r));
		h->type = HMM_REC_READ_BEGIN;
		h->size = sizeof(*r);
		r->dur_ns = dur();
		r->notifier = mms[p] + 0x1c0;
		r->mm = mms[p];
		task(&r->caller, p);
		task(&r->owner, p);
	} else {
		struct hmm_rec_uffd *r = buf;

		memset(r, 0, sizeof(*r));
		h->type = HMM_REC_UFFD;
		h->size = sizeof(*r);
		r->dur_ns = dur();
		r->address = addr(p);
		task(&r->task, p);
		r->reason = rnd() % 2 ? HMM_UFFD_MINOR : HMM_UFFD_MISSING;
	}
	h->cpu = (__u32)(rnd() % 8);
	h->ts = ts;
	return h->size;
}

struct pool {
	unsigned char *buf;
	size_t len;
	size_t off[POOL];
	__u64 ts;
};

static void pool_init(struct pool *p)
{
	size_t o = 0, i;

	p->buf = malloc((size_t)POOL * 256);
	if (!p->buf) {
		perror("malloc");
		exit(1);
	}
	p->ts = 1000000000000ull;
	for (i = 0; i < POOL; i++) {
		p->off[i] = o;
		p->ts += rnd() % 1000;
		o += (gen(p->buf + o, p->ts) + 7) & ~7ul;
	}
	p->len = o;
}

/* The next record of the feed, its timestamp advanced by a pass of the pool each time round, as
 * a real feed's rise. */
static struct hmm_rec_hdr *feed(struct pool *p, __u64 i)
{
	struct hmm_rec_hdr *h = (void *)(p->buf + p->off[i % POOL]);

	h->ts += 65536 * 500;
	return h;
}

/* Symbol record k (0 .. 2 * NDRV - 1): what `hmmtrace record` writes before the first record
 * naming an address. */
static void sym(struct hmm_rec_sym *s, unsigned int k, __u64 ts)
{
	unsigned int d = k / 2;

	memset(s, 0, sizeof(*s));
	s->hdr.type = HMM_REC_SYM;
	s->hdr.size = sizeof(*s);
	s->hdr.ts = ts;
	s->addr = k % 2 ? drv[d].mig : drv[d].ops;
	snprintf(s->name, sizeof(s->name), "%s", k % 2 ? drv[d].mig_sym : drv[d].ops_sym);
	snprintf(s->driver, sizeof(s->driver), "%s", drv[d].name);
}

/* Write n records from the pool, the symbol records first. */
static int write_file(struct pool *p, const char *path, __u64 n,
		      const struct hmm_trace_writer_opts *o, double *secs, double *cpu)
{
	struct hmm_trace_meta meta = {};
	struct hmm_trace_writer *w;
	struct hmm_rec_sym s;
	__u64 i, t0, c0;
	unsigned int k;
	int err = 0;

	hmm_trace_meta_from_system(&meta);
	t0 = now_ns();
	c0 = cpu_ns();
	w = hmm_trace_writer__open(path, &meta, o);
	if (!w)
		return -errno;
	for (i = 0; i < n && !err; i++) {
		struct hmm_rec_hdr *h = feed(p, i);

		for (k = 0; i == 0 && k < 2 * NDRV && !err; k++) {
			sym(&s, k, h->ts);
			err = hmm_trace_writer__add(w, &s.hdr);
		}
		if (!err)
			err = hmm_trace_writer__add(w, h);
		if ((i & 4095) == 0)
			hmm_trace_writer__tick(w, now_ns());
	}
	err = hmm_trace_writer__close(w) ?: err;
	*secs = (now_ns() - t0) / 1e9;
	*cpu = (cpu_ns() - c0) / 1e9;
	return err;
}

/* The writer's compressor alone, on chunk-sized slices of the pool, passes times over. */
static int deflate_only(struct pool *p, int level, size_t chunk, int passes, double *secs,
			double *cpu, __u64 *comp_bytes)
{
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
	size_t cap = c ? libdeflate_deflate_compress_bound(c, chunk) : 0, off, n;
	unsigned char *out = malloc(cap ? cap : 1);
	__u64 t0 = now_ns(), c0 = cpu_ns(), total = 0;
	int pass, err = 0;

	if (!c || !out) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (pass = 0; pass < passes; pass++)
		for (off = 0; off < p->len; off += chunk) {
			n = libdeflate_deflate_compress(c, p->buf + off,
							p->len - off < chunk ? p->len - off : chunk,
							out, cap);
			if (!n) {
				err = -EIO;
				goto cleanup;
			}
			total += n;
		}
	*secs = (now_ns() - t0) / 1e9;
	*cpu = (cpu_ns() - c0) / 1e9;
	*comp_bytes = total;
cleanup:
	free(out);
	libdeflate_free_compressor(c);
	return err;
}

static __u64 file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (__u64)st.st_size;
}

/* n values (at most 64) sorted into v. */
static void sorted(const double *in, int n, double *v)
{
	int i, j;

	memcpy(v, in, n * sizeof(*v));
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && v[j] < v[j - 1]; j--) {
			double t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

static double median(const double *in, int n)
{
	double v[64];

	sorted(in, n, v);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The smallest and the largest of n values. */
static double lowest(const double *in, int n)
{
	double v[64];

	sorted(in, n, v);
	return v[0];
}

static double highest(const double *in, int n)
{
	double v[64];

	sorted(in, n, v);
	return v[n - 1];
}

/* (a): every chunk's payload read and inflated with zlib, nothing else (layout from
 * docs/FORMAT.md): the yardstick, what any reader of the format must at least do. */
static int plain_inflate(const char *path, __u64 *out_bytes)
{
	static unsigned char *comp, *raw;
	unsigned char h[56];
	int fd = open(path, O_RDONLY), err = 0;
	__u64 off, total = 0;
	z_stream z = {};

	if (fd < 0)
		return -errno;
	if (!comp)
		comp = malloc(64u << 20), raw = malloc(64u << 20);
	inflateInit2(&z, -15);
	if (pread(fd, h, 24, 0) != 24) {
		err = -EIO;
		goto cleanup;
	}
	memcpy(&off, h + 16, 4);
	off &= 0xffffffffull;
	while (pread(fd, h, sizeof(h), off) == sizeof(h) && !memcmp(h, "HMMC", 4)) {
		__u32 comp_len, raw_len;

		memcpy(&comp_len, h + 12, 4);
		memcpy(&raw_len, h + 16, 4);
		if (pread(fd, comp, comp_len, off + 56) != comp_len) {
			err = -EIO;
			break;
		}
		inflateReset(&z);
		z.next_in = comp;
		z.avail_in = comp_len;
		z.next_out = raw;
		z.avail_out = raw_len;
		if (inflate(&z, Z_FINISH) != Z_STREAM_END) {
			err = -EBADMSG;
			break;
		}
		total += raw_len;
		off += 56 + comp_len;
	}
cleanup:
	inflateEnd(&z);
	close(fd);
	*out_bytes = total;
	return err;
}

/* (b): the full read path, touching every record; portable: with the portable delta decoder
 * where the CPU has a faster one (BMI2). */
static int full_read(const char *path, bool portable, __u64 *sum, __u64 *records)
{
	const struct hmm_rec_hdr *rec;
	struct hmm_trace_reader *r;
	__u64 s = 0, n = 0;
	int err;

	r = hmm_trace_reader__open(path, &err);
	if (!r)
		return err;
	if (portable)
		hmm_trace_reader__portable(r);
	while ((err = hmm_trace_reader__next(r, &rec)) > 0) {
		s += rec->ts + rec->type;
		/* The writer's sync points and the symbols are not the feed's. */
		n += rec->type != HMM_REC_CLOCK && rec->type != HMM_REC_SYM;
	}
	*records = n;
	hmm_trace_reader__close(r);
	*sum = s;
	return err;
}

/* (c): `TOOL report -i PATH --json > OUT`; wall and CPU (user + system) seconds of the process.
 * all_cpus: the report may run on every online CPU (its read-ahead thread beside it), not only
 * on the one this benchmark is pinned to. */
static int run_report(const char *tool, const char *path, const char *out, bool all_cpus,
		      double *secs, double *cpu)
{
	__u64 t0 = now_ns();
	struct rusage ru;
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
			_exit(126);
		if (all_cpus) {
			long n = sysconf(_SC_NPROCESSORS_ONLN);
			cpu_set_t set;

			CPU_ZERO(&set);
			for (long c = 0; c < n && c < CPU_SETSIZE; c++)
				CPU_SET(c, &set);
			if (sched_setaffinity(0, sizeof(set), &set))
				_exit(125);
		}
		execl(tool, tool, "report", "-i", path, "--json", (char *)NULL);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) != pid)
		return -errno;
	*secs = (now_ns() - t0) / 1e9;
	*cpu = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "bench_trace: %s report -i %s --json: status %#x\n", tool, path,
			status);
		return -EIO;
	}
	return 0;
}

/* What the report must say about the file: every event, and the three drivers by name. */
static int check_report(const char *json, __u64 events)
{
	char *buf = NULL, want[64];
	size_t cap = 0;
	FILE *f = fopen(json, "r");
	ssize_t n;
	int err = 0;

	if (!f)
		return -errno;
	n = getdelim(&buf, &cap, '\0', f);
	fclose(f);
	snprintf(want, sizeof(want), "\"events\": %llu,", (unsigned long long)events);
	if (n <= 0 || !strstr(buf, want)) {
		fprintf(stderr, "bench_trace: the report does not count %llu events\n",
			(unsigned long long)events);
		err = -EBADMSG;
	}
	for (unsigned int d = 0; d < NDRV && !err; d++) {
		snprintf(want, sizeof(want), "\"driver\": \"%s\"", drv[d].name);
		if (!strstr(buf, want)) {
			fprintf(stderr, "bench_trace: the report does not name driver %s\n",
				drv[d].name);
			err = -EBADMSG;
		}
	}
	free(buf);
	return err;
}

static const char *driver_of(void *ctx, __u64 addr)
{
	return hmm_symtab__driver(ctx, addr);
}

/* Decoding and aggregation alone: hmm_rec_check() and hmm_stats__add() over n records of the
 * in-memory feed, drivers resolved from the symbol records as `hmmtrace report` does. */
static int stats_feed(struct pool *p, __u64 n, double *secs, double *cpu, __u64 *events)
{
	struct hmm_stats_opts o = {.sz = sizeof(o), .driver_name = driver_of};
	struct hmm_symtab *syms = hmm_symtab__new(NULL);
	struct hmm_stats *s = NULL;
	struct hmm_rec_sym sy;
	__u64 i, t0, c0;
	unsigned int k;
	int err = 0;

	o.ctx = syms;
	s = syms ? hmm_stats__new(&o) : NULL;
	if (!s) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (k = 0; k < 2 * NDRV && !err; k++) {
		sym(&sy, k, 0);
		err = hmm_symtab__add(syms, &sy);
	}
	t0 = now_ns();
	c0 = cpu_ns();
	for (i = 0; i < n && !err; i++) {
		const struct hmm_rec_hdr *h = feed(p, i);

		err = hmm_rec_check(h, h->size) ?: hmm_stats__add(s, h);
	}
	*secs = (now_ns() - t0) / 1e9;
	*cpu = (cpu_ns() - c0) / 1e9;
	*events = s->records;
cleanup:
	hmm_stats__free(s);
	hmm_symtab__free(syms);
	return err;
}

/* (a), (b) and (c), reps rounds, on one file of n records written with coding; the output lines'
 * names start with prefix. */
static int read_rounds(struct pool *pool, const char *path, const char *json, const char *tool,
		       __u64 nread, int reps, int coding, const char *prefix)
{
	struct hmm_trace_writer_opts o = {.sz = sizeof(o), .coding = coding};
	double secs, cpu, a[64], b[64], rep[64], rep_cpu[64], ratio[64], rratio[64];
	double rep2[64], rep2_cpu[64], rratio2[64], st_a[64], st_b[64], st_c[64], st_c2[64];
	double bp[64], pratio[64];
	__u64 raw = 0, sum = 0, recs = 0, fsize;
	int i, err;

	err = write_file(pool, path, nread, &o, &secs, &cpu);
	if (err) {
		fprintf(stderr, "bench_trace: writing %s: %s\n", path, strerror(-err));
		return err;
	}
	fsize = file_size(path);
	/* One untimed round of each: page faults on first use of the buffers, cold caches; and
	 * the report checked for what it must find. */
	plain_inflate(path, &raw);
	full_read(path, false, &sum, &recs);
	if (tool) {
		err = run_report(tool, path, json, false, &secs, &cpu) ?:
		      check_report(json, nread) ?:
		      run_report(tool, path, json, true, &secs, &cpu) ?: check_report(json, nread);
		if (err)
			return err;
	}
	for (i = 0; i < reps; i++) {
		double st0 = steal_s(false);
		__u64 t0 = now_ns();

		err = plain_inflate(path, &raw);
		a[i] = (now_ns() - t0) / 1e9;
		st_a[i] = steal_s(false) - st0;
		if (err)
			break;
		st0 = steal_s(false);
		t0 = now_ns();
		err = full_read(path, false, &sum, &recs);
		b[i] = (now_ns() - t0) / 1e9;
		st_b[i] = steal_s(false) - st0;
		bp[i] = 0;
		if (!err && recs == nread && coding == HMM_TRACE_CODING_DELTA) {
			t0 = now_ns();
			err = full_read(path, true, &sum, &recs);
			bp[i] = (now_ns() - t0) / 1e9;
		}
		if (err || recs != nread) {
			fprintf(stderr, "bench_trace: read %llu of %llu records (%d)\n",
				(unsigned long long)recs, (unsigned long long)nread, err);
			err = err ?: -EIO;
			break;
		}
		ratio[i] = b[i] / a[i];
		pratio[i] = bp[i] / a[i];
		rep[i] = rep_cpu[i] = rratio[i] = rep2[i] = rep2_cpu[i] = rratio2[i] = 0;
		st_c[i] = st_c2[i] = 0;
		if (tool) {
			st0 = steal_s(false);
			err = run_report(tool, path, "/dev/null", false, &rep[i], &rep_cpu[i]);
			st_c[i] = steal_s(false) - st0;
			st0 = steal_s(true);
			err = err ?: run_report(tool, path, "/dev/null", true, &rep2[i], &rep2_cpu[i]);
			st_c2[i] = steal_s(true) - st0;
			if (err)
				break;
			rratio[i] = rep[i] / a[i];
			rratio2[i] = rep2[i] / a[i];
		}
	}
	if (err) {
		fprintf(stderr, "bench_trace: reading %s: %s\n", path, strerror(-err));
		return err;
	}
	printf("%ssamples inflate_s,read_s,report_s,report_all_cpus_s:", prefix);
	for (i = 0; i < reps; i++)
		printf(" %.3f,%.3f,%.3f,%.3f", a[i], b[i], rep[i], rep2[i]);
	printf("\n");
	printf("%ssteal inflate_s,read_s,report_s,report_all_cpus_s:", prefix);
	for (i = 0; i < reps; i++)
		printf(" %.2f,%.2f,%.2f,%.2f", st_a[i], st_b[i], st_c[i], st_c2[i]);
	printf("\n");
	printf("%sread events=%llu file_bytes=%llu raw_bytes=%llu bytes_per_event=%.2f "
	       "inflate_s=%.3f read_s=%.3f ratio=%.3f read_events_per_s=%.0f inflate_steal_s=%.2f "
	       "read_steal_s=%.2f\n",
	       prefix, (unsigned long long)nread, (unsigned long long)fsize,
	       (unsigned long long)raw, (double)fsize / nread, median(a, reps), median(b, reps),
	       median(ratio, reps), nread / median(b, reps), median(st_a, reps), median(st_b, reps));
	if (coding == HMM_TRACE_CODING_DELTA)
		printf("%sread-portable events=%llu read_s=%.3f ratio=%.3f read_events_per_s=%.0f\n",
		       prefix, (unsigned long long)nread, median(bp, reps), median(pratio, reps),
		       nread / median(bp, reps));
	if (tool) {
		printf("%sreport events=%llu inflate_s=%.3f report_s=%.3f report_cpu_s=%.3f "
		       "ratio=%.3f ratio_lo=%.3f ratio_hi=%.3f report_events_per_s=%.0f "
		       "steal_s=%.2f\n",
		       prefix, (unsigned long long)nread, median(a, reps), median(rep, reps),
		       median(rep_cpu, reps), median(rratio, reps), lowest(rratio, reps),
		       highest(rratio, reps), nread / median(rep, reps), median(st_c, reps));
		printf("%sreport-all-cpus events=%llu inflate_s=%.3f report_s=%.3f "
		       "report_cpu_s=%.3f ratio=%.3f ratio_lo=%.3f ratio_hi=%.3f "
		       "report_events_per_s=%.0f steal_s=%.2f\n",
		       prefix, (unsigned long long)nread, median(a, reps), median(rep2, reps),
		       median(rep2_cpu, reps), median(rratio2, reps), lowest(rratio2, reps),
		       highest(rratio2, reps), nread / median(rep2, reps), median(st_c2, reps));
	}
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	__u64 nwrite = 4000000, nread = 10000000;
	const char *dir = "/dev/shm", *tool = NULL, *keep = NULL;
	int reps = 5, read_reps = 0, max_level = 4, opt, i, level, err;
	char path[4096], json[4200];
	struct pool pool;
	double secs, cpu, v[64], c[64];

	while ((opt = getopt(argc, argv, "n:N:r:R:d:l:t:o:")) != -1) {
		switch (opt) {
		case 'n':
			nwrite = strtoull(optarg, NULL, 10);
			break;
		case 'N':
			nread = strtoull(optarg, NULL, 10);
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		case 'R':
			read_reps = atoi(optarg);
			break;
		case 'd':
			dir = optarg;
			break;
		case 'l':
			max_level = atoi(optarg);
			break;
		case 't':
			tool = optarg;
			break;
		case 'o':
			keep = optarg;
			break;
		default:
			fprintf(stderr,
				"usage: %s [-n WRITE_EVENTS] [-N READ_EVENTS] [-r REPS] [-R READ_REPS] "
				"[-d DIR] [-l MAX_LEVEL] [-t HMMTRACE] [-o FILE]\n"
				"  -R N     rounds of the read measurements (default: REPS)\n"
				"  -o FILE  write one READ_EVENTS-event file with the default options to FILE "
				"and exit (for profiling)\n",
				argv[0]);
			return 2;
		}
	}
	if (!read_reps)
		read_reps = reps;
	if (reps < 1 || reps > 64 || read_reps < 1 || read_reps > 64 || !nwrite || !nread || max_level < 1 || max_level > 9) {
		fprintf(stderr, "bench_trace: bad arguments\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/bench_trace.%d", dir, getpid());
	snprintf(json, sizeof(json), "%s.json", path);
	pool_init(&pool);
	if (keep) {
		struct hmm_trace_writer_opts o = {.sz = sizeof(o)};

		err = write_file(&pool, keep, nread, &o, &secs, &cpu);
		if (err)
			fprintf(stderr, "bench_trace: writing %s: %s\n", keep, strerror(-err));
		free(pool.buf);
		return err ? 1 : 0;
	}

	/* The compressor alone, on 256 KiB slices (the default chunk) of the pool. */
	for (level = 1; level <= max_level; level++) {
		int passes = nwrite / 4 / POOL ? nwrite / 4 / POOL : 1;
		__u64 comp = 0;

		for (i = 0; i < reps; i++) {
			err = deflate_only(&pool, level, 256u << 10, passes, &secs, &cpu, &comp);
			if (err) {
				fprintf(stderr, "bench_trace: libdeflate: %s\n", strerror(-err));
				goto out;
			}
			v[i] = (double)passes * POOL / secs;
			c[i] = (double)passes * POOL / cpu;
		}
		printf("deflate level=%d chunk_bytes=%u events=%llu events_per_s=%.0f "
		       "cpu_events_per_s=%.0f bytes_per_event=%.2f\n",
		       level, 256u << 10, (unsigned long long)passes * POOL, median(v, reps),
		       median(c, reps), (double)comp / ((double)passes * POOL));
		fflush(stdout);
	}

	/* The writer at each level, plain and delta coded; level 1 and the default coding are what
	 * hmmtrace record uses. */
	for (level = 1; level <= 2 * max_level; level++) {
		int delta = level > max_level, l = delta ? level - max_level : level;
		struct hmm_trace_writer_opts o = {
			.sz = sizeof(o),
			.level = l,
			.coding = delta ? HMM_TRACE_CODING_DELTA : HMM_TRACE_CODING_PLAIN,
		};
		double bpe = 0;

		for (i = 0; i < reps; i++) {
			err = write_file(&pool, path, nwrite, &o, &secs, &cpu);
			if (err) {
				fprintf(stderr, "bench_trace: writing %s: %s\n", path,
					strerror(-err));
				goto out;
			}
			v[i] = nwrite / secs;
			c[i] = nwrite / cpu;
			bpe = (double)file_size(path) / nwrite;
		}
		printf("%swrite level=%d events=%llu events_per_s=%.0f cpu_events_per_s=%.0f "
		       "bytes_per_event=%.2f\n",
		       delta ? "delta-" : "", l, (unsigned long long)nwrite, median(v, reps),
		       median(c, reps), bpe);
		fflush(stdout);
	}

	/* Reader and report: one file (default options), then (a), (b) and (c) in each round; the
	 * same for a delta coded file. */
	err = read_rounds(&pool, path, json, tool, nread, read_reps, HMM_TRACE_CODING_PLAIN, "");
	if (!err)
		err = read_rounds(&pool, path, json, tool, nread, read_reps, HMM_TRACE_CODING_DELTA,
				  "delta-");
	if (err)
		goto out;

	/* Decoding and aggregation, from memory. */
	{
		__u64 events = 0;

		for (i = 0; i < reps; i++) {
			err = stats_feed(&pool, nread, &secs, &cpu, &events);
			if (err) {
				fprintf(stderr, "bench_trace: hmm_stats__add: %s\n",
					strerror(-err));
				goto out;
			}
			v[i] = nread / secs;
			c[i] = nread / cpu;
		}
		printf("stats events=%llu events_per_s=%.0f cpu_events_per_s=%.0f\n",
		       (unsigned long long)events, median(v, reps), median(c, reps));
	}
out:
	unlink(path);
	unlink(json);
	free(pool.buf);
	return err ? 1 : 0;
}
