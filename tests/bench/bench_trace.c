// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Trace file benchmark (tests/bench/trace.sh prints the table):
 *   write    records/s through hmm_trace_writer__add() into a file, one thread, per strategy
 *   read     a file of -N records read twice per round, side by side: (a) plain zlib inflate of
 *            each chunk's payload (pread + inflate, nothing else) and (b) hmm_trace_reader__next()
 *            touching every record; the ratio b/a is the reader's own overhead
 * Output: key=value lines, one per measurement.
 *
 * The feed is synthetic but shaped like a real one: mostly faults and invalidations, some
 * migrations, chains, read_begin and uffd records, with varying pids, addresses, sizes and
 * durations, increasing timestamps across 8 CPUs, and -EBUSY faults that carry a cause.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>

#include "lib/trace.h"

#define POOL 65536

static __u64 rng = 0x9e3779b97f4a7c15ULL;

static __u64 rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
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
#define OPS 0xffffffffc0a01230ull

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
		r->ops = OPS;
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
		r->driver = OPS;
		r->caller_ip = 0xffffffffc0a04410ull;
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
		r->ops = OPS;
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
}

/* Write n records from the pool (timestamps advanced each pass, as a real feed's are). */
static int write_file(struct pool *p, const char *path, __u64 n,
		      const struct hmm_trace_writer_opts *o, double *secs)
{
	struct hmm_trace_meta meta = {};
	struct hmm_trace_writer *w;
	__u64 i, t0;
	int err;

	hmm_trace_meta_from_system(&meta);
	t0 = now_ns();
	w = hmm_trace_writer__open(path, &meta, o);
	if (!w)
		return -errno;
	for (i = 0; i < n; i++) {
		struct hmm_rec_hdr *h = (void *)(p->buf + p->off[i % POOL]);

		h->ts += 65536 * 500;
		err = hmm_trace_writer__add(w, h);
		if (err)
			break;
		if ((i & 4095) == 0)
			hmm_trace_writer__tick(w, now_ns());
	}
	err = hmm_trace_writer__close(w) ?: err;
	*secs = (now_ns() - t0) / 1e9;
	return err;
}

static __u64 file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (__u64)st.st_size;
}

static double median(double *v, int n)
{
	int i, j;

	for (i = 1; i < n; i++)
		for (j = i; j > 0 && v[j] < v[j - 1]; j--) {
			double t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* (a): every chunk's payload read and inflated, nothing else (layout from docs/FORMAT.md). */
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

/* (b): the full read path, touching every record. */
static int full_read(const char *path, __u64 *sum, __u64 *records)
{
	const struct hmm_rec_hdr *rec;
	struct hmm_trace_reader *r;
	__u64 s = 0, n = 0;
	int err;

	r = hmm_trace_reader__open(path, &err);
	if (!r)
		return err;
	while ((err = hmm_trace_reader__next(r, &rec)) > 0) {
		s += rec->ts + rec->type;
		n += rec->type != HMM_REC_CLOCK; /* the writer's sync points are not the feed's */
	}
	*records = n;
	hmm_trace_reader__close(r);
	*sum = s;
	return err;
}

static const char *const strat_names[] = {"auto", "default", "rle", "filtered", "huffman"};

int main(int argc, char **argv)
{
	__u64 nwrite = 4000000, nread = 10000000;
	const char *dir = "/dev/shm";
	int reps = 5, opt, i, s, err;
	char path[4096];
	struct pool pool;
	double secs, v[64], a[64], b[64], ratio[64];

	while ((opt = getopt(argc, argv, "n:N:r:d:")) != -1) {
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
		case 'd':
			dir = optarg;
			break;
		default:
			fprintf(stderr,
				"usage: %s [-n WRITE_EVENTS] [-N READ_EVENTS] [-r REPS] [-d DIR]\n",
				argv[0]);
			return 2;
		}
	}
	if (reps < 1 || reps > 64 || !nwrite || !nread) {
		fprintf(stderr, "bench_trace: bad arguments\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/bench_trace.%d", dir, getpid());
	pool_init(&pool);

	/* Writer, per strategy at level 1; the default (auto) is what hmmtrace record uses. */
	for (s = HMM_TRACE_Z_AUTO; s <= HMM_TRACE_Z_HUFFMAN; s++) {
		struct hmm_trace_writer_opts o = {.sz = sizeof(o), .strategy = s};
		double bpe = 0;

		if (s == HMM_TRACE_Z_DEFAULT || s == HMM_TRACE_Z_FILTERED)
			continue; /* default is auto; filtered is default on this data */
		for (i = 0; i < reps; i++) {
			err = write_file(&pool, path, nwrite, &o, &secs);
			if (err) {
				fprintf(stderr, "bench_trace: writing %s: %s\n", path,
					strerror(-err));
				goto out;
			}
			v[i] = nwrite / secs;
			bpe = (double)file_size(path) / nwrite;
		}
		printf("write strategy=%s level=1 events=%llu events_per_s=%.0f "
		       "bytes_per_event=%.2f\n",
		       strat_names[s], (unsigned long long)nwrite, median(v, reps), bpe);
		fflush(stdout);
	}

	/* Reader: one file, then (a) and (b) alternated in each round. */
	{
		struct hmm_trace_writer_opts o = {.sz = sizeof(o)};
		__u64 raw = 0, sum = 0, recs = 0, fsize;

		err = write_file(&pool, path, nread, &o, &secs);
		if (err) {
			fprintf(stderr, "bench_trace: writing %s: %s\n", path, strerror(-err));
			goto out;
		}
		fsize = file_size(path);
		/* One untimed round of each: page faults on first use of the buffers, cold caches.
		 */
		plain_inflate(path, &raw);
		full_read(path, &sum, &recs);
		for (i = 0; i < reps; i++) {
			__u64 t0 = now_ns();

			err = plain_inflate(path, &raw);
			a[i] = (now_ns() - t0) / 1e9;
			if (err)
				break;
			t0 = now_ns();
			err = full_read(path, &sum, &recs);
			b[i] = (now_ns() - t0) / 1e9;
			if (err || recs != nread) {
				fprintf(stderr, "bench_trace: read %llu of %llu records (%d)\n",
					(unsigned long long)recs, (unsigned long long)nread, err);
				err = err ?: -EIO;
				break;
			}
			ratio[i] = b[i] / a[i];
		}
		if (err) {
			fprintf(stderr, "bench_trace: reading %s: %s\n", path, strerror(-err));
			goto out;
		}
		printf("samples inflate_s,read_s:");
		for (i = 0; i < reps; i++)
			printf(" %.3f,%.3f", a[i], b[i]);
		printf("\n");
		printf("read events=%llu file_bytes=%llu raw_bytes=%llu bytes_per_event=%.2f "
		       "inflate_s=%.3f read_s=%.3f ratio=%.3f read_events_per_s=%.0f\n",
		       (unsigned long long)nread, (unsigned long long)fsize,
		       (unsigned long long)raw, (double)fsize / nread, median(a, reps),
		       median(b, reps), median(ratio, reps), nread / median(b, reps));
	}
out:
	unlink(path);
	free(pool.buf);
	return err ? 1 : 0;
}
