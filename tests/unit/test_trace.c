// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests for lib/trace.c, the trace file format (docs/FORMAT.md): round trips, files cut
 * short at every byte, damaged chunks, unknown record types and versions, flushing, full disks.
 * The layout constants below are the spec's, written out again on purpose: a change to the
 * format that the spec does not follow breaks these tests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <zlib.h>

#include "lib/trace.h"
#include "tests/rnd.h"

/* From docs/FORMAT.md. */
#define HDR_LEN_OFF 16
#define HDR_CRC_OFF 20
#define CHUNK_HDR   56
#define CHUNK_COMP  12
#define CHUNK_RAW   16
#define CHUNK_NREC  24
#define CHUNK_FLAGS 30
#define CHUNK_DELTA 0x0001 /* flag: delta coded records */

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ---- log capture ------------------------------------------------------------------------- */

static int warnings;
static char last_warning[512];
static char all_warnings[8192];

static int capture(enum hmm_log_level level, const char *fmt, va_list args)
{
	size_t n = strlen(all_warnings);

	if (level == HMM_LOG_WARN) {
		warnings++;
		vsnprintf(last_warning, sizeof(last_warning), fmt, args);
		snprintf(all_warnings + n, sizeof(all_warnings) - n, "%s", last_warning);
	}
	return 0;
}

static void reset_log(void)
{
	warnings = 0;
	last_warning[0] = '\0';
	all_warnings[0] = '\0';
}

/* ---- readers ----------------------------------------------------------------------------- */

/*
 * Every test runs three times (main()): reading in the caller's thread, then with read-ahead,
 * where a worker thread reads and decodes the chunks, then with the portable delta decoder
 * where the CPU has a faster one (BMI2). The same assertions hold for all: the records, the
 * stats at the end and the warnings do not depend on how they were read.
 */
static bool readahead, portable;

/* The reader, set up for the group being run. */
static struct hmm_trace_reader *set_up(struct hmm_trace_reader *r)
{
	if (r && portable)
		hmm_trace_reader__portable(r);
	if (r && readahead)
		assert_int_equal(hmm_trace_reader__readahead(r), 0);
	return r;
}

static struct hmm_trace_reader *reader_open(const char *path, int *err)
{
	return set_up(hmm_trace_reader__open(path, err));
}

static struct hmm_trace_reader *reader_open_mem(const void *data, size_t len, int *err)
{
	return set_up(hmm_trace_reader__open_mem(data, len, err));
}

/* ---- helpers ----------------------------------------------------------------------------- */

struct recs {
	unsigned char *buf; /* records back to back, 8-aligned */
	size_t off[4096];
	size_t n, len;
};

static size_t type_size(__u16 type)
{
	return hmm_rec_min_size(type);
}

/* A record of type with random contents (random bytes stand for every field value). */
static const struct hmm_rec_hdr *recs_add(struct recs *r, __u16 type, __u16 size)
{
	struct hmm_rec_hdr *h;
	size_t i;

	if (!r->buf)
		r->buf = calloc(1, 4096 * 256);
	assert_true(r->n < 4096);
	h = (void *)(r->buf + r->len);
	for (i = 0; i < size; i++)
		((unsigned char *)h)[i] = (unsigned char)rnd();
	h->type = type;
	h->size = size;
	h->cpu = (__u32)(rnd() % 64);
	h->ts = 1000000 + r->n * 1000;
	r->off[r->n++] = r->len;
	r->len += (size + 7) & ~7u;
	return h;
}

static const struct hmm_rec_hdr *recs_get(const struct recs *r, size_t i)
{
	return (const void *)(r->buf + r->off[i]);
}

/* n records cycling through every known type. */
static void recs_mixed(struct recs *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		__u16 type = 1 + i % (HMM_REC_TYPE_MAX - 1);

		recs_add(r, type, (__u16)type_size(type));
	}
}

static char *tmp_path(void)
{
	char *p = strdup("/tmp/test_trace.XXXXXX");
	int fd;

	assert_non_null(p);
	fd = mkstemp(p);
	assert_true(fd >= 0);
	close(fd);
	return p;
}

static void tmp_free(char *p)
{
	unlink(p);
	free(p);
}

static struct hmm_trace_meta *meta_new(void)
{
	struct hmm_trace_meta *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	snprintf(m->host, sizeof(m->host), "testhost");
	snprintf(m->release, sizeof(m->release), "6.12.0-test");
	m->ncpus = 8;
	m->page_size = 4096;
	return m;
}

static struct hmm_trace_writer *writer_open(const char *path, size_t chunk_bytes)
{
	struct hmm_trace_writer_opts o = {.sz = sizeof(o), .chunk_bytes = chunk_bytes};
	struct hmm_trace_meta *m = meta_new();
	struct hmm_trace_writer *w = hmm_trace_writer__open(path, m, &o);

	free(m);
	assert_non_null(w);
	return w;
}

static struct hmm_trace_writer *writer_open_coding(const char *path, size_t chunk_bytes, int coding,
						   int level)
{
	struct hmm_trace_writer_opts o = {
		.sz = sizeof(o), .chunk_bytes = chunk_bytes, .coding = coding, .level = level};
	struct hmm_trace_meta *m = meta_new();
	struct hmm_trace_writer *w = hmm_trace_writer__open(path, m, &o);

	free(m);
	assert_non_null(w);
	return w;
}

static void write_recs_coding(const char *path, const struct recs *r, size_t chunk_bytes,
			      int coding, int level)
{
	struct hmm_trace_writer *w = writer_open_coding(path, chunk_bytes, coding, level);
	size_t i;

	for (i = 0; i < r->n; i++)
		assert_int_equal(hmm_trace_writer__add(w, recs_get(r, i)), 0);
	assert_int_equal(hmm_trace_writer__close(w), 0);
}

static void write_recs(const char *path, const struct recs *r, size_t chunk_bytes)
{
	struct hmm_trace_writer *w = writer_open(path, chunk_bytes);
	size_t i;

	for (i = 0; i < r->n; i++)
		assert_int_equal(hmm_trace_writer__add(w, recs_get(r, i)), 0);
	assert_int_equal(hmm_trace_writer__close(w), 0);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	struct stat st;
	unsigned char *b;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	b = malloc(st.st_size ? st.st_size : 1);
	assert_non_null(b);
	assert_int_equal(read(fd, b, st.st_size), st.st_size);
	close(fd);
	*len = st.st_size;
	return b;
}

static void spill(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static __u32 get32(const unsigned char *p)
{
	__u32 v;

	memcpy(&v, p, 4);
	return v;
}

static void put32(unsigned char *p, __u32 v)
{
	memcpy(p, &v, 4);
}

static void fix_header_crc(unsigned char *f)
{
	__u32 len = get32(f + HDR_LEN_OFF), c;

	c = crc32(0, f, HDR_CRC_OFF);
	c = crc32(c, f + HDR_CRC_OFF + 4, len - HDR_CRC_OFF - 4);
	put32(f + HDR_CRC_OFF, c);
}

/* Offsets of the chunks of a file and where the last one ends (the footer, if any). */
struct layout {
	size_t hdr_len;
	size_t start[1024];
	__u32 nrec[1024];
	size_t n;
	size_t end;
};

static void layout(const unsigned char *f, size_t len, struct layout *l)
{
	size_t off = get32(f + HDR_LEN_OFF);

	l->hdr_len = off;
	l->n = 0;
	while (off + CHUNK_HDR <= len && !memcmp(f + off, "HMMC", 4)) {
		assert_true(l->n < 1024);
		l->start[l->n] = off;
		l->nrec[l->n++] = get32(f + off + CHUNK_NREC);
		off += CHUNK_HDR + get32(f + off + CHUNK_COMP);
	}
	l->end = off;
}

/*
 * Read everything from r and compare it with want, skipping want's records in
 * [skip_from, skip_to): returns the records read. Fails on any mismatch or error.
 */
static size_t check_read(struct hmm_trace_reader *r, const struct recs *want, size_t skip_from,
			 size_t skip_to)
{
	const struct hmm_rec_hdr *rec;
	size_t i = 0, n = 0;
	int err;

	while ((err = hmm_trace_reader__next(r, &rec)) > 0) {
		const struct hmm_rec_hdr *w;

		if (i == skip_from)
			i = skip_to;
		while (i < want->n && recs_get(want, i)->type >= HMM_REC_TYPE_MAX)
			i++; /* unknown types are skipped by the reader */
		assert_true(i < want->n);
		w = recs_get(want, i);
		assert_int_equal(rec->size, w->size);
		assert_memory_equal(rec, w, w->size);
		assert_int_equal((uintptr_t)rec & 7, 0);
		i++;
		n++;
	}
	assert_int_equal(err, 0);
	return n;
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_roundtrip(void **state)
{
	const struct hmm_trace_read_stats *st;
	const struct hmm_trace_totals *t;
	struct hmm_trace_writer *w;
	struct hmm_trace_reader *r;
	struct hmm_trace_totals wt;
	struct recs want = {};
	char *path = tmp_path();
	size_t i;
	int err;

	(void)state;
	recs_mixed(&want, 2000);
	/* Records longer than their type's struct (a newer writer appending fields). */
	recs_add(&want, HMM_REC_FAULT, sizeof(struct hmm_rec_fault) + 12);
	recs_add(&want, HMM_REC_INVAL, sizeof(struct hmm_rec_inval) + 8);
	w = writer_open(path, 8192);
	for (i = 0; i < want.n; i++)
		assert_int_equal(hmm_trace_writer__add(w, recs_get(&want, i)), 0);
	wt = *hmm_trace_writer__totals(w);
	assert_int_equal(wt.records, want.n);
	assert_int_equal(hmm_trace_writer__close(w), 0);

	r = reader_open(path, &err);
	assert_non_null(r);
	assert_int_equal(check_read(r, &want, SIZE_MAX, 0), want.n);
	st = hmm_trace_reader__stats(r);
	assert_int_equal(st->records, want.n);
	assert_true(st->chunks > 10);
	assert_int_equal(st->bad_chunks, 0);
	assert_int_equal(st->truncated_bytes, 0);
	assert_int_equal(st->unknown_records, 0);
	assert_true(st->clean);
	assert_true(st->has_totals);
	t = &st->totals;
	assert_int_equal(t->records, want.n);
	assert_int_equal(t->chunks, st->chunks);
	assert_int_equal(t->raw_bytes, want.len);
	assert_int_equal(t->lost, wt.lost);
	assert_int_equal(t->first_ts, recs_get(&want, 0)->ts);
	assert_int_equal(t->last_ts, recs_get(&want, want.n - 1)->ts);
	for (i = 0; i < HMM_REC_TYPE_MAX; i++)
		assert_int_equal(t->per_type[i], wt.per_type[i]);
	assert_int_equal(t->per_type[HMM_REC_FAULT],
			 (2000 + HMM_REC_TYPE_MAX - 2) / (HMM_REC_TYPE_MAX - 1) + 1);
	{
		struct stat sb;

		assert_int_equal(stat(path, &sb), 0);
		assert_int_equal(t->file_bytes, sb.st_size);
	}
	/* rewind: the same records again, stats from zero. */
	assert_int_equal(hmm_trace_reader__rewind(r), 0);
	assert_int_equal(hmm_trace_reader__stats(r)->records, 0);
	assert_int_equal(check_read(r, &want, SIZE_MAX, 0), want.n);
	hmm_trace_reader__close(r);
	free(want.buf);
	tmp_free(path);
}

static void test_meta(void **state)
{
	struct hmm_trace_meta *m = meta_new(), sys = {};
	const struct hmm_trace_meta *got;
	struct hmm_trace_writer *w;
	struct hmm_trace_reader *r;
	char *path = tmp_path();
	__u32 i;
	int err;

	(void)state;
	memset(m->host, 'h', sizeof(m->host) - 1); /* longest strings survive */
	memset(m->release, 'r', sizeof(m->release) - 1);
	snprintf(m->boot_id, sizeof(m->boot_id), "0e4a36f2-5b6c-4d5e-9f10-1a2b3c4d5e6f");
	memset(m->command, 'c', sizeof(m->command) - 1);
	m->schema = HMM_SCHEMA_VERSION;
	m->start_mono_ns = 123456789;
	m->start_real_ns = 1763700000000000000ull;
	m->filter_pid = 42;
	m->filter_owner = 4242;
	m->filter_min_dur_ns = 1000;
	m->n_aps = HMM_AP_MAX;
	for (i = 0; i < m->n_aps; i++) {
		m->aps[i].ap = i;
		m->aps[i].state = i % 6;
		m->aps[i].mode = i % 3;
		m->aps[i].err = -(int)i;
		snprintf(m->aps[i].func, sizeof(m->aps[i].func), "%s", hmm_ap_func(i));
		memset(m->aps[i].reason, 'a' + i, sizeof(m->aps[i].reason) - 1);
	}
	w = hmm_trace_writer__open(path, m, NULL);
	assert_non_null(w);
	assert_int_equal(hmm_trace_writer__close(w), 0);
	r = reader_open(path, &err);
	assert_non_null(r);
	got = hmm_trace_reader__meta(r);
	assert_int_equal(got->version_major, HMM_TRACE_VERSION_MAJOR);
	assert_int_equal(got->version_minor, HMM_TRACE_VERSION_MINOR);
	m->version_major = HMM_TRACE_VERSION_MAJOR;
	m->version_minor = HMM_TRACE_VERSION_MINOR;
	/* Every field, padding included (both zeroed): the whole struct compares equal. */
	assert_memory_equal(got, m, sizeof(*m));
	hmm_trace_reader__close(r);

	assert_int_equal(hmm_trace_meta_from_system(&sys), 0);
	assert_true(sys.host[0]);
	assert_true(sys.release[0]);
	assert_int_equal(sys.ncpus, sysconf(_SC_NPROCESSORS_CONF));
	assert_int_equal(sys.page_size, sysconf(_SC_PAGESIZE));
	if (access("/proc/sys/kernel/random/boot_id", R_OK) == 0)
		assert_int_equal(strlen(sys.boot_id), 36);
	free(m);
	tmp_free(path);
}

/* Cut the file at every byte of its last two chunks and footer: every complete chunk reads. */
static void test_truncated(void **state)
{
	struct recs want = {};
	char *path = tmp_path();
	unsigned char *f;
	struct layout *l = calloc(1, sizeof(*l));
	size_t len, cut, first_cut, i;
	int err;

	(void)state;
	recs_mixed(&want, 300);
	write_recs(path, &want, 4096);
	f = slurp(path, &len);
	layout(f, len, l);
	assert_true(l->n >= 4);
	first_cut = l->start[l->n - 2];
	for (cut = first_cut; cut < len; cut++) {
		const struct hmm_trace_read_stats *st;
		struct hmm_trace_reader *r;
		size_t complete = 0, keep = 0, end = l->hdr_len;

		for (i = 0; i < l->n; i++) {
			size_t e = i + 1 < l->n ? l->start[i + 1] : l->end;

			if (e > cut)
				break;
			keep += l->nrec[i];
			complete++;
			end = e;
		}
		reset_log();
		r = reader_open_mem(f, cut, &err);
		assert_non_null(r);
		assert_int_equal(check_read(r, &want, SIZE_MAX, 0), keep);
		st = hmm_trace_reader__stats(r);
		assert_int_equal(st->chunks, complete);
		assert_int_equal(st->truncated_bytes, cut - end);
		assert_int_equal(st->bad_chunks, 0);
		assert_false(st->clean);
		assert_true(warnings >= 1);
		if (cut > end)
			assert_non_null(strstr(last_warning, "cut short"));
		hmm_trace_reader__close(r);
	}
	/* The same through real files, at a few cuts. */
	for (cut = first_cut + 1; cut < len; cut += (len - first_cut) / 5) {
		struct hmm_trace_reader *r;

		assert_int_equal(truncate(path, cut), 0);
		r = reader_open(path, &err);
		assert_non_null(r);
		check_read(r, &want, SIZE_MAX, 0);
		assert_true(hmm_trace_reader__stats(r)->truncated_bytes > 0);
		hmm_trace_reader__close(r);
		spill(path, f, len);
	}
	free(f);
	free(l);
	free(want.buf);
	tmp_free(path);
}

/* Flip each byte of one chunk in turn: only that chunk is lost. */
static void test_corrupt_chunk(void **state)
{
	struct recs want = {};
	char *path = tmp_path();
	struct layout *l = calloc(1, sizeof(*l));
	unsigned char *f;
	size_t len, k = 2, from = 0, pos, i;
	int err;

	(void)state;
	recs_mixed(&want, 200);
	write_recs(path, &want, 4096);
	f = slurp(path, &len);
	layout(f, len, l);
	assert_true(l->n >= 5);
	for (i = 0; i < k; i++)
		from += l->nrec[i];
	for (pos = l->start[k]; pos < l->start[k + 1]; pos++) {
		const struct hmm_trace_read_stats *st;
		struct hmm_trace_reader *r;

		f[pos] ^= 0x5a;
		reset_log();
		r = reader_open_mem(f, len, &err);
		assert_non_null(r);
		assert_int_equal(check_read(r, &want, from, from + l->nrec[k]),
				 want.n - l->nrec[k]);
		st = hmm_trace_reader__stats(r);
		assert_int_equal(st->bad_chunks, 1);
		assert_int_equal(st->bad_chunk_bytes, l->start[k + 1] - l->start[k]);
		assert_int_equal(st->chunks, l->n - 1);
		assert_int_equal(st->truncated_bytes, 0);
		assert_true(st->clean);
		assert_true(warnings >= 1);
		hmm_trace_reader__close(r);
		f[pos] ^= 0x5a;
	}
	free(f);
	free(l);
	free(want.buf);
	tmp_free(path);
}

/* A raw DEFLATE chunk around raw (the writer's encoding, by hand): its length. */
static size_t make_chunk(unsigned char *out, const void *raw, __u32 raw_len, __u32 nrec, __u64 seq)
{
	z_stream z = {};
	__u32 comp;

	assert_int_equal(deflateInit2(&z, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (void *)raw;
	z.avail_in = raw_len;
	z.next_out = out + CHUNK_HDR;
	z.avail_out = 1 << 20;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	comp = z.total_out;
	deflateEnd(&z);
	memset(out, 0, CHUNK_HDR);
	memcpy(out, "HMMC", 4);
	put32(out + 8, CHUNK_HDR);
	put32(out + CHUNK_COMP, comp);
	put32(out + CHUNK_RAW, raw_len);
	put32(out + 20, crc32(0, out + CHUNK_HDR, comp));
	put32(out + CHUNK_NREC, nrec);
	put32(out + 28, 1); /* codec: raw deflate; flags 0 */
	memcpy(out + 32, &seq, 8);
	put32(out + 4, crc32(0, out + 8, CHUNK_HDR - 8));
	return CHUNK_HDR + comp;
}

/* Records that do not fit their chunk, in a chunk whose CRC holds: the rest is skipped. */
static void test_malformed_records(void **state)
{
	static const __u16 bad_sizes[] = {0xffff, 8, 0, 300};
	struct recs want = {}, bad = {};
	char *path = tmp_path();
	unsigned char *f, *g;
	size_t len, hdr, clen, j;
	int err;

	(void)state;
	recs_mixed(&want, 50);
	write_recs(path, &want, 4096);
	f = slurp(path, &len);
	hdr = get32(f + HDR_LEN_OFF);
	g = malloc(len + (1 << 20));
	for (j = 0; j < sizeof(bad_sizes) / sizeof(bad_sizes[0]); j++) {
		const struct hmm_trace_read_stats *st;
		struct hmm_trace_reader *r;
		struct hmm_rec_hdr *h;

		free(bad.buf);
		memset(&bad, 0, sizeof(bad));
		recs_add(&bad, HMM_REC_FAULT, sizeof(struct hmm_rec_fault));
		h = (void *)recs_add(&bad, HMM_REC_INVAL, sizeof(struct hmm_rec_inval));
		h->size = bad_sizes[j];
		recs_add(&bad, HMM_REC_UFFD, sizeof(struct hmm_rec_uffd));
		/* Between the header and the first chunk. */
		memcpy(g, f, hdr);
		clen = make_chunk(g + hdr, bad.buf, (__u32)bad.len, 3, 99);
		memcpy(g + hdr + clen, f + hdr, len - hdr);
		reset_log();
		r = reader_open_mem(g, len + clen, &err);
		assert_non_null(r);
		{
			const struct hmm_rec_hdr *rec;

			/* The record before the bad one is good and comes back. */
			assert_int_equal(hmm_trace_reader__next(r, &rec), 1);
			assert_memory_equal(rec, recs_get(&bad, 0), rec->size);
		}
		assert_int_equal(check_read(r, &want, SIZE_MAX, 0), want.n);
		st = hmm_trace_reader__stats(r);
		assert_int_equal(st->bad_chunks, 1);
		assert_int_equal(st->records, want.n + 1);
		assert_non_null(strstr(all_warnings, "malformed record"));
		assert_true(warnings >= 1);
		hmm_trace_reader__close(r);
	}
	free(bad.buf);
	free(g);
	free(f);
	free(want.buf);
	tmp_free(path);
}

static void test_unknown_types(void **state)
{
	const struct hmm_trace_read_stats *st;
	struct hmm_trace_reader *r;
	struct recs want = {};
	char *path = tmp_path();
	size_t i, unknown = 0;
	int err;

	(void)state;
	for (i = 0; i < 300; i++) {
		__u16 type = 1 + i % (HMM_REC_TYPE_MAX - 1);

		if (i % 7 == 3)
			recs_add(&want, 200, 40), unknown++;
		else if (i % 11 == 5)
			recs_add(&want, 201, 21), unknown++; /* not a multiple of 8: padded */
		else
			recs_add(&want, type, (__u16)type_size(type));
	}
	write_recs(path, &want, 4096);
	r = reader_open(path, &err);
	assert_non_null(r);
	check_read(r, &want, SIZE_MAX, 0);
	st = hmm_trace_reader__stats(r);
	assert_int_equal(st->unknown_records, unknown);
	assert_int_equal(st->records + st->unknown_records, 300);
	assert_int_equal(st->totals.records, 300);
	assert_int_equal(st->bad_chunks, 0);
	hmm_trace_reader__close(r);
	free(want.buf);
	tmp_free(path);
}

static void expect_open_err(const char *path, int want)
{
	struct hmm_trace_reader *r;
	int err = 0;

	reset_log();
	r = reader_open(path, &err);
	assert_null(r);
	assert_int_equal(err, want);
	assert_true(warnings >= 1); /* and a message that says why */
}

static void test_not_ours(void **state)
{
	char *path = tmp_path();
	unsigned char junk[4096];
	const char *text = "HMMTRACE is what a trace starts with, but this is a text file.\n";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)rnd();
	spill(path, junk, sizeof(junk));
	expect_open_err(path, -EPROTO);
	spill(path, junk, 0);
	expect_open_err(path, -EPROTO);
	assert_non_null(strstr(last_warning, "empty"));
	spill(path, text + 9, strlen(text + 9));
	expect_open_err(path, -EPROTO);
	spill(path, text, strlen(text));
	expect_open_err(path, -EPROTO);
	spill(path, "HMMTR", 5);
	expect_open_err(path, -EPROTO);
	expect_open_err("/nonexistent/trace", -ENOENT);
	tmp_free(path);
}

static void test_versions(void **state)
{
	struct hmm_trace_reader *r;
	struct recs want = {};
	char *path = tmp_path();
	unsigned char *f, *g;
	size_t len, hdr, i;
	int err;

	(void)state;
	for (i = 0; i < 100; i++) {
		if (i % 9 == 4)
			recs_add(&want, 250, 64); /* a type from the newer minor version */
		else
			recs_add(&want, HMM_REC_FAULT, sizeof(struct hmm_rec_fault));
	}
	write_recs(path, &want, 4096);
	f = slurp(path, &len);
	hdr = get32(f + HDR_LEN_OFF);

	/* A newer major version: refused, with a message. */
	g = malloc(len + 64);
	memcpy(g, f, len);
	g[8] = HMM_TRACE_VERSION_MAJOR + 1;
	fix_header_crc(g);
	spill(path, g, len);
	expect_open_err(path, -EPROTONOSUPPORT);
	assert_non_null(strstr(last_warning, "newer"));

	/* A big-endian file: the byte-order mark reversed. */
	memcpy(g, f, len);
	g[12] = 1, g[13] = 2, g[14] = 3, g[15] = 4;
	fix_header_crc(g);
	spill(path, g, len);
	expect_open_err(path, -EPROTO);
	assert_non_null(strstr(last_warning, "big-endian"));

	/* A damaged header. */
	memcpy(g, f, len);
	g[100] ^= 1;
	spill(path, g, len);
	expect_open_err(path, -EPROTO);

	/* A newer minor version whose header grew by 64 bytes of fields we do not know. */
	memcpy(g, f, hdr);
	memset(g + hdr, 0xee, 64);
	memcpy(g + hdr + 64, f + hdr, len - hdr);
	g[10] = HMM_TRACE_VERSION_MINOR + 3;
	put32(g + HDR_LEN_OFF, hdr + 64);
	fix_header_crc(g);
	spill(path, g, len + 64);
	r = reader_open(path, &err);
	assert_non_null(r);
	assert_int_equal(hmm_trace_reader__meta(r)->version_minor, HMM_TRACE_VERSION_MINOR + 3);
	assert_string_equal(hmm_trace_reader__meta(r)->host, "testhost");
	check_read(r, &want, SIZE_MAX, 0);
	assert_int_equal(hmm_trace_reader__stats(r)->unknown_records, 11);
	assert_int_equal(hmm_trace_reader__stats(r)->records, 89);
	assert_true(hmm_trace_reader__stats(r)->clean);
	hmm_trace_reader__close(r);
	free(g);
	free(f);
	free(want.buf);
	tmp_free(path);
}

static void test_tick(void **state)
{
	struct hmm_trace_writer_opts o = {.sz = sizeof(o), .flush_ms = 50, .sync_ms = 100};
	struct hmm_trace_meta *m = meta_new();
	const struct hmm_rec_hdr *rec;
	struct hmm_trace_writer *w;
	struct hmm_trace_reader *r;
	struct recs want = {};
	char *path = tmp_path();
	struct stat sb;
	size_t hdr_size, clocks = 0, faults = 0;
	__u64 t0;
	int err;

	(void)state;
	w = hmm_trace_writer__open(path, m, &o);
	assert_non_null(w);
	assert_int_equal(stat(path, &sb), 0);
	hdr_size = sb.st_size;
	recs_add(&want, HMM_REC_FAULT, sizeof(struct hmm_rec_fault));
	assert_int_equal(hmm_trace_writer__add(w, recs_get(&want, 0)), 0);
	t0 = now_ns();
	assert_int_equal(hmm_trace_writer__tick(w, t0), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, hdr_size); /* not yet: younger than flush_ms */
	assert_int_equal(hmm_trace_writer__tick(w, t0 + 60000000ull), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_true((size_t)sb.st_size > hdr_size); /* written: a reader sees it now */
	r = reader_open(path, &err);
	assert_non_null(r);
	assert_int_equal(hmm_trace_reader__next(r, &rec), 1);
	assert_memory_equal(rec, recs_get(&want, 0), rec->size);
	assert_int_equal(hmm_trace_reader__next(r, &rec), 0);
	assert_int_equal(hmm_trace_reader__stats(r)->truncated_bytes, 0);
	assert_false(hmm_trace_reader__stats(r)->clean);
	hmm_trace_reader__close(r);

	/* A clock sync point once sync_ms passed since the start. */
	assert_int_equal(hmm_trace_writer__tick(w, t0 + 200000000ull), 0);
	assert_int_equal(hmm_trace_writer__close(w), 0);
	r = reader_open(path, &err);
	assert_non_null(r);
	assert_true(hmm_trace_reader__meta(r)->start_mono_ns > 0);
	assert_true(hmm_trace_reader__meta(r)->start_real_ns > 0);
	while (hmm_trace_reader__next(r, &rec) > 0) {
		if (rec->type == HMM_REC_CLOCK) {
			const struct hmm_rec_clock *c = (const void *)rec;

			assert_true(c->realtime_ns > hmm_trace_reader__meta(r)->start_real_ns);
			assert_true(rec->ts >= hmm_trace_reader__meta(r)->start_mono_ns);
			clocks++;
		} else if (rec->type == HMM_REC_FAULT) {
			faults++;
		}
	}
	assert_int_equal(clocks, 1);
	assert_int_equal(faults, 1);
	assert_int_equal(hmm_trace_reader__stats(r)->totals.per_type[HMM_REC_CLOCK], 1);
	hmm_trace_reader__close(r);
	free(m);
	free(want.buf);
	tmp_free(path);
}

static void test_lost(void **state)
{
	const struct hmm_trace_read_stats *st;
	const struct hmm_rec_hdr *rec;
	struct hmm_trace_writer *w;
	struct hmm_trace_reader *r;
	char *path = tmp_path();
	__u64 seen = 0;
	int err;

	(void)state;
	w = writer_open(path, 0);
	assert_int_equal(hmm_trace_writer__lost(w, 1000, 5), 0);
	assert_int_equal(hmm_trace_writer__lost(w, 2000, 7), 0);
	assert_int_equal(hmm_trace_writer__totals(w)->lost, 12);
	assert_int_equal(hmm_trace_writer__close(w), 0);
	r = reader_open(path, &err);
	assert_non_null(r);
	while (hmm_trace_reader__next(r, &rec) > 0) {
		assert_int_equal(rec->type, HMM_REC_LOST);
		seen += ((const struct hmm_rec_lost *)rec)->count;
	}
	st = hmm_trace_reader__stats(r);
	assert_int_equal(seen, 12);
	assert_int_equal(st->lost, 12);
	assert_int_equal(st->totals.lost, 12);
	assert_int_equal(st->totals.per_type[HMM_REC_LOST], 2);
	hmm_trace_reader__close(r);
	tmp_free(path);
}

/* Write until the file size limit: -EFBIG, and the file ends with the last complete chunk. */
static void test_file_size_limit(void **state)
{
	struct rlimit old, lim;
	struct hmm_trace_writer *w;
	struct hmm_trace_reader *r;
	struct recs want = {};
	char *path = tmp_path();
	size_t i, n;
	int err = 0;

	(void)state;
	recs_mixed(&want, 4000);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_IGN);
	w = writer_open(path, 4096);
	lim = old;
	lim.rlim_cur = 20000;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	for (i = 0; i < want.n && !err; i++)
		err = hmm_trace_writer__add(w, recs_get(&want, i));
	assert_int_equal(err, -EFBIG);
	/* Sticky: nothing more is written, the same error comes back. */
	assert_int_equal(hmm_trace_writer__add(w, recs_get(&want, 0)), -EFBIG);
	assert_int_equal(hmm_trace_writer__close(w), -EFBIG);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);

	reset_log();
	r = reader_open(path, &err);
	assert_non_null(r);
	n = check_read(r, &want, SIZE_MAX, 0);
	assert_true(n >= 50);
	assert_true(hmm_trace_reader__stats(r)->chunks >= 2);
	assert_int_equal(hmm_trace_reader__stats(r)->truncated_bytes, 0);
	assert_int_equal(hmm_trace_reader__stats(r)->bad_chunks, 0);
	assert_false(hmm_trace_reader__stats(r)->clean);
	hmm_trace_reader__close(r);
	free(want.buf);
	tmp_free(path);
}

/* The writer's fd: the one of ours that points at path. */
static int fd_of(const char *path)
{
	char link[300], target[PATH_MAX];
	struct dirent *d;
	DIR *dir = opendir("/proc/self/fd");
	int fd = -1;

	assert_non_null(dir);
	while ((d = readdir(dir))) {
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/self/fd/%s", d->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (!strcmp(target, path))
			fd = atoi(d->d_name);
	}
	closedir(dir);
	return fd;
}

/* A full disk: the writer's file swapped for /dev/full once some chunks are out. */
static void test_enospc(void **state)
{
	struct hmm_trace_writer *w;
	struct hmm_trace_reader *r;
	struct recs want = {};
	char *path = tmp_path();
	size_t i, n;
	int err = 0, full, wfd;

	(void)state;
	full = open("/dev/full", O_WRONLY);
	if (full < 0)
		skip();
	recs_mixed(&want, 2000);
	w = writer_open(path, 4096);
	for (i = 0; i < 1000; i++)
		assert_int_equal(hmm_trace_writer__add(w, recs_get(&want, i)), 0);
	assert_int_equal(hmm_trace_writer__flush(w), 0);
	wfd = fd_of(path);
	assert_true(wfd >= 0);
	assert_true(dup2(full, wfd) == wfd);
	for (; i < want.n && !err; i++)
		err = hmm_trace_writer__add(w, recs_get(&want, i));
	assert_int_equal(err, -ENOSPC);
	assert_int_equal(hmm_trace_writer__flush(w), -ENOSPC);
	assert_int_equal(hmm_trace_writer__close(w), -ENOSPC);
	close(full);

	r = reader_open(path, &err);
	assert_non_null(r);
	n = check_read(r, &want, SIZE_MAX, 0);
	assert_int_equal(n, 1000);
	assert_int_equal(hmm_trace_reader__stats(r)->truncated_bytes, 0);
	hmm_trace_reader__close(r);
	free(want.buf);
	tmp_free(path);
}

/* Garbage where a chunk header should be: the reader scans to the next chunk. */
static void test_resync(void **state)
{
	struct recs want = {};
	char *path = tmp_path();
	struct layout *l = calloc(1, sizeof(*l));
	unsigned char *f, *g;
	size_t len, from = 0, k = 1, i;
	int err;

	(void)state;
	recs_mixed(&want, 200);
	write_recs(path, &want, 4096);
	f = slurp(path, &len);
	layout(f, len, l);
	for (i = 0; i < k; i++)
		from += l->nrec[i];
	/* 1000 random bytes in place of chunk 1's first bytes, the rest of it kept. */
	g = malloc(len + 1000);
	memcpy(g, f, l->start[k]);
	for (i = 0; i < 1000; i++)
		g[l->start[k] + i] = (unsigned char)rnd();
	memcpy(g + l->start[k] + 1000, f + l->start[k] + 8, len - l->start[k] - 8);
	{
		struct hmm_trace_reader *r = reader_open_mem(g, len + 992, &err);

		assert_non_null(r);
		reset_log();
		assert_int_equal(check_read(r, &want, from, from + l->nrec[k]),
				 want.n - l->nrec[k]);
		assert_int_equal(hmm_trace_reader__stats(r)->bad_chunks, 1);
		assert_int_equal(hmm_trace_reader__stats(r)->bad_chunk_bytes,
				 l->start[k + 1] - l->start[k] + 992);
		assert_non_null(strstr(last_warning, "chunk"));
		hmm_trace_reader__close(r);
	}
	free(g);
	free(f);
	free(l);
	free(want.buf);
	tmp_free(path);
}

/* ---- delta coding ------------------------------------------------------------------------ */

static __u16 get16(const unsigned char *p)
{
	__u16 v;

	memcpy(&v, p, 2);
	return v;
}

static void put16(unsigned char *p, __u16 v)
{
	memcpy(p, &v, 2);
}

static void fix_chunk_crc(unsigned char *c)
{
	put32(c + 4, crc32(0, c + 8, CHUNK_HDR - 8));
}

/* A copy of an earlier record of the same type and size with a few bytes changed, as a real feed
 * has: what delta coding turns into zero words. */
static void recs_similar(struct recs *r, size_t from)
{
	const struct hmm_rec_hdr *src = recs_get(r, from);
	struct hmm_rec_hdr *h = (void *)recs_add(r, src->type, src->size);
	__u64 ts = h->ts;
	size_t k;

	memcpy(h, src, src->size);
	h->ts = ts;
	for (k = 0; k < 3 && src->size > 16; k++)
		((unsigned char *)h)[16 + rnd() % (src->size - 16)] ^=
			(unsigned char)(1 + rnd() % 255);
}

/*
 * Every chunk of a file: its flags, and its payload inflated with zlib (any RFC 1951 inflater
 * reads a delta coded payload too). Returns the chunks seen.
 */
static size_t check_chunks(const unsigned char *f, size_t len, __u16 want_flags)
{
	struct layout *l = calloc(1, sizeof(*l));
	size_t i, n;

	layout(f, len, l);
	for (i = 0; i < l->n; i++) {
		const unsigned char *c = f + l->start[i];
		__u32 raw_len = get32(c + CHUNK_RAW), comp = get32(c + CHUNK_COMP);
		unsigned char *out = malloc(raw_len + 1);
		z_stream z = {};

		assert_int_equal(get16(c + CHUNK_FLAGS), want_flags);
		assert_int_equal(inflateInit2(&z, -15), Z_OK);
		z.next_in = (void *)(c + CHUNK_HDR);
		z.avail_in = comp;
		z.next_out = out;
		z.avail_out = raw_len + 1;
		assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
		assert_int_equal(z.total_out, raw_len);
		inflateEnd(&z);
		if (want_flags & CHUNK_DELTA) {
			/* records_len, resid_len; 4 mod 8, which 1.0 readers refuse. */
			assert_int_equal(raw_len % 8, 4);
			assert_int_equal(get32(out) % 8, 0);
			assert_true(get32(out + 4) <= raw_len - 8);
		} else {
			assert_int_equal(raw_len % 8, 0);
		}
		free(out);
	}
	n = l->n;
	free(l);
	return n;
}

/* Every record type, longer records, unknown types (below and above 256, odd sizes), similar
 * records, across many chunk boundaries, at level 1 (stored residual) and 6: read back exactly. */
static void test_delta_roundtrip(void **state)
{
	static const int levels[] = {1, 6};
	struct recs want = {};
	char *path = tmp_path();
	size_t i, li, len, unknown = 0;
	unsigned char *f;
	int err;

	(void)state;
	for (i = 0; i < 3000; i++) {
		__u16 type = 1 + rnd() % (HMM_REC_TYPE_MAX - 1);

		switch (rnd() % 8) {
		case 0:
			recs_add(&want, type, (__u16)type_size(type));
			break;
		case 1: /* longer than its struct, padded */
			recs_add(&want, type, (__u16)(type_size(type) + 1 + rnd() % 20));
			break;
		case 2: /* unknown types: delta coded below 256, as they are from 256 */
			recs_add(&want, rnd() % 2 ? 200 : 300 + rnd() % 3,
				 (__u16)(16 + rnd() % 90));
			unknown++;
			break;
		default:
			if (want.n) {
				recs_similar(&want,
					     want.n - 1 - rnd() % (want.n < 12 ? want.n : 12));
				unknown += recs_get(&want, want.n - 1)->type >= HMM_REC_TYPE_MAX;
			} else {
				recs_add(&want, type, (__u16)type_size(type));
			}
		}
	}
	for (li = 0; li < sizeof(levels) / sizeof(levels[0]); li++) {
		const struct hmm_trace_read_stats *st;
		struct hmm_trace_reader *r;

		write_recs_coding(path, &want, 4096, HMM_TRACE_CODING_DELTA, levels[li]);
		f = slurp(path, &len);
		assert_true(check_chunks(f, len, CHUNK_DELTA) > 20);
		free(f);
		reset_log();
		r = reader_open(path, &err);
		assert_non_null(r);
		assert_int_equal(hmm_trace_reader__meta(r)->version_minor, HMM_TRACE_VERSION_MINOR);
		assert_int_equal(check_read(r, &want, SIZE_MAX, 0), want.n - unknown);
		st = hmm_trace_reader__stats(r);
		assert_int_equal(st->unknown_records, unknown);
		assert_int_equal(st->bad_chunks, 0);
		assert_int_equal(st->totals.raw_bytes, want.len);
		assert_true(st->clean);
		assert_int_equal(warnings, 0);
		/* rewind decodes every chunk again from its start. */
		assert_int_equal(hmm_trace_reader__rewind(r), 0);
		assert_int_equal(check_read(r, &want, SIZE_MAX, 0), want.n - unknown);
		hmm_trace_reader__close(r);
	}
	free(want.buf);
	tmp_free(path);
}

/*
 * Every byte mask the delta coding can give a word (1 .. 255: one run of bytes, two, or more; the
 * reader takes each kind its own way) in every word of a record, and 1 .. 15 in word 0's cpu
 * half: each record a copy of the one before with the bytes of mask (n + 37 w) % 255 + 1
 * changed in word w, n = 0 .. 254; then records of up to 140 words. Read back exactly at level 1
 * and 6.
 */
static void test_delta_every_byte_mask(void **state)
{
	static const int levels[] = {1, 6};
	__u16 size = (__u16)type_size(HMM_REC_MIGRATE);
	struct recs want = {};
	char *path = tmp_path();
	unsigned int n, j, w, mask, nw = (size + 7) / 8;
	size_t li;
	int err;

	(void)state;
	recs_add(&want, HMM_REC_MIGRATE, size);
	for (n = 0; n < 255; n++) {
		const struct hmm_rec_hdr *prev = recs_get(&want, want.n - 1);
		unsigned char *h = (void *)recs_add(&want, HMM_REC_MIGRATE, size);
		__u64 ts;

		memcpy(&ts, h + 8, 8);
		memcpy(h, prev, size);
		memcpy(h + 8, &ts, 8);
		for (w = 0; w < nw; w++) {
			/* Word 0: only the cpu half (bytes 4 .. 7) is coded; word 1 is ts. */
			mask = w ? (n + 37 * w) % 255 + 1 : n % 15 + 1;
			for (j = 0; j < 8 && w != 1; j++) {
				size_t at = 8 * w + (w ? j : 4 + j);

				if ((mask >> j & 1) && at < size)
					h[at] ^= (unsigned char)(1 + rnd() % 255);
			}
		}
	}
	/* Records of over 64 words, every word different: the mask is taken 64 words at a time,
	 * and near the end of a chunk's residual every word is checked. */
	for (n = 0; n < 40; n++)
		recs_add(&want, n % 2 ? HMM_REC_MIGRATE : HMM_REC_INVAL, (__u16)(600 + 8 * n + n % 7));
	for (li = 0; li < sizeof(levels) / sizeof(levels[0]); li++) {
		struct hmm_trace_reader *r;

		write_recs_coding(path, &want, 64 << 10, HMM_TRACE_CODING_DELTA, levels[li]);
		reset_log();
		r = reader_open(path, &err);
		assert_non_null(r);
		assert_int_equal(check_read(r, &want, SIZE_MAX, 0), want.n);
		assert_int_equal(hmm_trace_reader__stats(r)->bad_chunks, 0);
		assert_int_equal(warnings, 0);
		hmm_trace_reader__close(r);
	}
	free(want.buf);
	tmp_free(path);
}

/* Plain chunks (flags 0) as 1.0 wrote them still read, in a 1.0 file too. */
static void test_plain_chunks(void **state)
{
	struct hmm_trace_reader *r;
	struct recs want = {};
	char *path = tmp_path();
	unsigned char *f;
	size_t len;
	int err;

	(void)state;
	recs_mixed(&want, 500);
	write_recs_coding(path, &want, 4096, HMM_TRACE_CODING_PLAIN, 0);
	f = slurp(path, &len);
	assert_true(check_chunks(f, len, 0) > 5);
	f[10] = 0; /* version 1.0 */
	fix_header_crc(f);
	spill(path, f, len);
	reset_log();
	r = reader_open(path, &err);
	assert_non_null(r);
	assert_int_equal(hmm_trace_reader__meta(r)->version_minor, 0);
	assert_int_equal(check_read(r, &want, SIZE_MAX, 0), want.n);
	assert_int_equal(hmm_trace_reader__stats(r)->bad_chunks, 0);
	assert_int_equal(warnings, 0);
	hmm_trace_reader__close(r);
	free(f);
	free(want.buf);
	tmp_free(path);
}

/* A chunk with a flag this reader does not know is skipped as bad, with a warning, whatever its
 * payload: reading it as records could misread it. */
static void test_unknown_flag(void **state)
{
	static const int codings[] = {HMM_TRACE_CODING_PLAIN, HMM_TRACE_CODING_DELTA};
	struct layout *l = calloc(1, sizeof(*l));
	size_t len, ci, i, skip;
	struct recs want = {};
	char *path = tmp_path();
	unsigned char *f;
	int err;

	(void)state;
	recs_mixed(&want, 300);
	for (ci = 0; ci < 2; ci++) {
		const struct hmm_trace_read_stats *st;
		struct hmm_trace_reader *r;
		__u16 flags;
		size_t from = 0;

		write_recs_coding(path, &want, 4096, codings[ci], 0);
		f = slurp(path, &len);
		layout(f, len, l);
		assert_true(l->n >= 4);
		for (i = 0; i < 2; i++)
			from += l->nrec[i];
		flags = get16(f + l->start[2] + CHUNK_FLAGS);
		put16(f + l->start[2] + CHUNK_FLAGS, flags | 0x0100);
		fix_chunk_crc(f + l->start[2]);
		reset_log();
		r = reader_open_mem(f, len, &err);
		assert_non_null(r);
		skip = l->nrec[2];
		assert_int_equal(check_read(r, &want, from, from + skip), want.n - skip);
		st = hmm_trace_reader__stats(r);
		assert_int_equal(st->bad_chunks, 1);
		assert_int_equal(st->bad_chunk_bytes, l->start[3] - l->start[2]);
		assert_int_equal(st->chunks, l->n - 1);
		/* That chunk, and a gap in the chunk sequence. */
		assert_int_equal(warnings, 2);
		assert_non_null(strstr(all_warnings, "skipped (unknown chunk flags 0x100)"));
		hmm_trace_reader__close(r);
		free(f);
	}
	free(l);
	free(want.buf);
	tmp_free(path);
}

/* Delta code rec against ref (NULL: none) as docs/FORMAT.md says, appending to ctl and res. */
static void spec_encode(const unsigned char *rec, const unsigned char *ref, __u8 k,
			unsigned char *ctl, size_t *ctl_len, unsigned char *res, size_t *res_len)
{
	__u16 size = get16(rec + 2);
	size_t nw = (size + 7u) / 8, i, b;
	unsigned char *c = ctl + *ctl_len, *mask;
	unsigned char padded[512] = {}, zero[512] = {};

	memcpy(padded, rec, size);
	if (!ref)
		ref = zero;
	memcpy(c, rec, 4);
	c[4] = k;
	mask = c + 5;
	memset(mask, 0, (nw + 7) / 8);
	c = mask + (nw + 7) / 8;
	for (i = 0; i < nw; i++) {
		unsigned char bm = 0;

		for (b = i ? 0 : 4; b < 8; b++) {
			unsigned char x = padded[8 * i + b] ^ ref[8 * i + b];

			if (x) {
				bm |= 1u << (i ? b : b - 4);
				res[(*res_len)++] = x;
			}
		}
		if (bm) {
			mask[i / 8] |= 1u << (i % 8);
			*c++ = bm;
		}
	}
	*ctl_len = (size_t)(c - ctl);
}

/* A delta coded chunk around ctl and res (by hand, from the spec): its length. */
static size_t make_delta_chunk(unsigned char *out, __u32 records_len, const void *ctl,
			       size_t ctl_len, const void *res, size_t res_len, __u32 res_len_field,
			       __u32 nrec)
{
	unsigned char *payload = calloc(1, 16 + ctl_len + res_len);
	size_t plen = 8 + res_len + ctl_len;
	__u64 seq = 99; /* a number the file's own chunks do not have: not taken for a copy */
	z_stream z = {};
	__u32 comp;

	put32(payload, records_len);
	put32(payload + 4, res_len_field);
	memcpy(payload + 8, res, res_len);
	memcpy(payload + 8 + res_len, ctl, ctl_len);
	while (plen % 8 != 4)
		plen++;
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = payload;
	z.avail_in = (uInt)plen;
	z.next_out = out + CHUNK_HDR;
	z.avail_out = 1 << 16;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	comp = z.total_out;
	deflateEnd(&z);
	free(payload);
	memset(out, 0, CHUNK_HDR);
	memcpy(out, "HMMC", 4);
	put32(out + 8, CHUNK_HDR);
	put32(out + CHUNK_COMP, comp);
	put32(out + CHUNK_RAW, (__u32)plen);
	put32(out + 20, crc32(0, out + CHUNK_HDR, comp));
	put32(out + CHUNK_NREC, nrec);
	put16(out + 28, 1);
	put16(out + CHUNK_FLAGS, CHUNK_DELTA);
	memcpy(out + 32, &seq, 8);
	fix_chunk_crc(out);
	return CHUNK_HDR + comp;
}

/*
 * Delta coded chunks written from the spec by hand read back; malformed coding keeps the records
 * before the damage and skips the rest of the chunk (or all of it, for a bad prefix).
 */
static void test_delta_spec(void **state)
{
	enum {
		OK,
		BAD_REF,
		REF_SIZE,
		SHORT_RES,
		SHORT_CTL,
		ZERO_LEN,
		CPU_LEN,
		STRAY_MASK,
		SMALL_SIZE,
		PAST_END,
		BAD_RECORDS_LEN,
		BAD_RES_LEN,
		NCASES
	};
	struct recs want = {};
	char *path = tmp_path();
	unsigned char *f, *g, ctl[4096], res[4096];
	size_t len, hdr, clen, c;
	int err;

	(void)state;
	recs_add(&want, HMM_REC_UFFD, sizeof(struct hmm_rec_uffd));
	recs_similar(&want, 0);
	recs_add(&want, HMM_REC_LOST, sizeof(struct hmm_rec_lost));
	recs_similar(&want, 1);
	recs_add(&want, 77, 21); /* unknown, odd size */
	write_recs(path, &want, 4096);
	f = slurp(path, &len);
	hdr = get32(f + HDR_LEN_OFF);
	g = malloc(len + (1 << 17));
	for (c = 0; c < NCASES; c++) {
		const struct hmm_trace_read_stats *st;
		struct hmm_trace_reader *r;
		size_t ctl_len = 0, res_len = 0, good = 0, i, at = 0;
		__u32 records_len = (__u32)want.len;

		/* uffd (ref 0), its copy (ref 1), lost (ref 0), a copy of the copy (ref 2: the
		 * uffd before it), the unknown type (ref 0). */
		spec_encode((void *)recs_get(&want, 0), NULL, 0, ctl, &ctl_len, res, &res_len);
		spec_encode((void *)recs_get(&want, 1), (void *)recs_get(&want, 0), 1, ctl,
			    &ctl_len, res, &res_len);
		at = ctl_len;
		spec_encode((void *)recs_get(&want, 2), NULL, 0, ctl, &ctl_len, res, &res_len);
		spec_encode((void *)recs_get(&want, 3), (void *)recs_get(&want, 0), 2, ctl,
			    &ctl_len, res, &res_len);
		spec_encode((void *)recs_get(&want, 4), NULL, 0, ctl, &ctl_len, res, &res_len);
		switch (c) {
		case OK:
			good = 5;
			break;
		case BAD_REF: /* the lost record names a reference that is not there */
			ctl[at + 4] = 1;
			good = 2;
			break;
		case REF_SIZE: /* ... or one of another size */
			put16(ctl + at, HMM_REC_UFFD);
			ctl[at + 4] = 1;
			good = 2;
			break;
		case SHORT_RES:
			res_len = 3;
			good = 0;
			break;
		case SHORT_CTL: /* the lost record's size cut off (zeros pad it: size 0) */
			ctl_len = at + 2;
			good = 2;
			break;
		case ZERO_LEN: /* a word marked in the mask with no byte in it */
			ctl[at + 5] = 1;
			memmove(ctl + at + 7, ctl + at + 6, ctl_len - at - 6);
			ctl[at + 6] = 0;
			ctl_len++;
			good = 2;
			break;
		case CPU_LEN: /* word 0 has only 4 bytes to code */
			ctl[at + 5] |= 1;
			memmove(ctl + at + 7, ctl + at + 6, ctl_len - at - 6);
			ctl[at + 6] = 0x10;
			ctl_len++;
			good = 2;
			break;
		case STRAY_MASK: /* lost: 3 words, a mask bit past them */
			ctl[at + 5] |= 0x80;
			good = 2;
			break;
		case SMALL_SIZE:
			put16(ctl + at + 2, 8);
			good = 2;
			break;
		case PAST_END:
			records_len -= 8;
			good = 4;
			break;
		case BAD_RECORDS_LEN:
			records_len += 4;
			good = 0;
			break;
		case BAD_RES_LEN:
			good = 0;
			break;
		}
		memcpy(g, f, hdr);
		clen = make_delta_chunk(g + hdr, records_len, ctl, ctl_len, res, res_len,
					c == BAD_RES_LEN ? 0xfffffff0u : (__u32)res_len, 5);
		memcpy(g + hdr + clen, f + hdr, len - hdr);
		reset_log();
		r = reader_open_mem(g, len + clen, &err);
		assert_non_null(r);
		for (i = 0; i < good; i++) {
			const struct hmm_rec_hdr *rec;

			if (recs_get(&want, i)->type >= HMM_REC_TYPE_MAX)
				continue;
			assert_int_equal(hmm_trace_reader__next(r, &rec), 1);
			assert_int_equal(rec->size, recs_get(&want, i)->size);
			assert_memory_equal(rec, recs_get(&want, i), rec->size);
		}
		/* Then the file's own (plain) chunk. */
		assert_int_equal(check_read(r, &want, SIZE_MAX, 0), want.n - 1);
		st = hmm_trace_reader__stats(r);
		assert_int_equal(st->bad_chunks, c != OK);
		if (c == BAD_RECORDS_LEN || c == BAD_RES_LEN)
			assert_non_null(strstr(all_warnings, "bad delta coding"));
		else if (c != OK)
			assert_non_null(strstr(all_warnings, "malformed record"));
		else
			assert_null(strstr(all_warnings, "skipped"));
		hmm_trace_reader__close(r);
	}
	free(g);
	free(f);
	free(want.buf);
	tmp_free(path);
}

/* Issue 19: a header naming a record schema this reader does not know is refused (it would be
 * misread, not skipped), and a chunk that comes twice is read once. */
static void test_schema_and_copies(void **state)
{
	struct hmm_trace_meta *m = meta_new();
	struct hmm_trace_writer *w;
	struct hmm_trace_reader *r;
	const struct hmm_trace_read_stats *st;
	struct recs want = {};
	char *path = tmp_path();
	unsigned char *f, *g;
	size_t len, hdr, clen;
	__u32 bad[] = { 0, HMM_SCHEMA_VERSION + 1, 999 };
	int err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* The writer takes schema 0 as "this one": write 1 and change it, CRC and all. */
		m->schema = bad[i] ? bad[i] : 1;
		w = hmm_trace_writer__open(path, m, NULL);
		assert_non_null(w);
		assert_int_equal(hmm_trace_writer__close(w), 0);
		f = slurp(path, &len);
		if (!bad[i]) {
			put32(f + 24, 0); /* H_SCHEMA */
			fix_header_crc(f);
		}
		reset_log();
		r = reader_open_mem(f, len, &err);
		assert_null(r);
		assert_int_equal(err, -EPROTONOSUPPORT);
		assert_non_null(strstr(all_warnings, "record schema"));
		free(f);
	}

	/* Chunk 0 twice in a row: its records come back once, with a warning. */
	recs_add(&want, HMM_REC_UFFD, sizeof(struct hmm_rec_uffd));
	recs_add(&want, HMM_REC_LOST, sizeof(struct hmm_rec_lost));
	write_recs(path, &want, 4096);
	f = slurp(path, &len);
	hdr = get32(f + HDR_LEN_OFF);
	clen = get32(f + hdr + 8) + get32(f + hdr + 12); /* the chunk's header and payload */
	g = malloc(len + clen);
	memcpy(g, f, hdr + clen);
	memcpy(g + hdr + clen, f + hdr, len - hdr);
	reset_log();
	r = reader_open_mem(g, len + clen, &err);
	assert_non_null(r);
	assert_int_equal(check_read(r, &want, SIZE_MAX, 0), want.n);
	st = hmm_trace_reader__stats(r);
	assert_int_equal(st->dup_chunks, 1);
	assert_int_equal(st->records, want.n);
	assert_int_equal(st->bad_chunks, 0);
	assert_non_null(strstr(all_warnings, "was read already"));
	hmm_trace_reader__close(r);
	free(g);
	free(f);
	free(want.buf);
	free(m);
	unlink(path);
	free(path);
}

static void test_bad_args(void **state)
{
	struct hmm_trace_writer_opts o = {.sz = sizeof(o), .level = 11};
	struct hmm_trace_writer_opts oc = {.sz = sizeof(oc), .coding = 3};
	struct hmm_trace_meta *m = meta_new();
	struct hmm_rec_hdr short_rec = {.type = HMM_REC_FAULT, .size = 16};
	struct hmm_trace_writer *w;
	char *path = tmp_path();

	(void)state;
	errno = 0;
	assert_null(hmm_trace_writer__open(path, m, &o));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(hmm_trace_writer__open(path, m, &oc));
	assert_int_equal(errno, EINVAL);
	assert_null(hmm_trace_writer__open("/nonexistent/dir/trace", m, NULL));
	assert_int_equal(errno, ENOENT);
	w = writer_open(path, 0);
	assert_int_equal(hmm_trace_writer__add(w, &short_rec), -EINVAL);
	assert_int_equal(hmm_trace_writer__totals(w)->records, 0);
	assert_int_equal(hmm_trace_writer__close(w), 0);
	free(m);
	tmp_free(path);
}

/* Read-ahead turned on after some records of a chunk: the rest of that chunk comes first, then
 * the others, each once. A reader closed with the worker ahead of it stops the worker. */
static void test_readahead_midway(void **state)
{
	const struct hmm_rec_hdr *rec;
	struct hmm_trace_reader *r;
	struct recs want = {};
	char *path = tmp_path();
	size_t i, k;
	int err;

	(void)state;
	recs_mixed(&want, 3000);
	write_recs(path, &want, 8192);
	for (k = 0; k < 40; k += 13) {
		r = reader_open(path, &err);
		assert_non_null(r);
		for (i = 0; i < k; i++) {
			assert_int_equal(hmm_trace_reader__next(r, &rec), 1);
			assert_memory_equal(rec, recs_get(&want, i), rec->size);
		}
		assert_int_equal(hmm_trace_reader__readahead(r), 0);
		assert_int_equal(hmm_trace_reader__readahead(r), 0); /* once is enough */
		while ((err = hmm_trace_reader__next(r, &rec)) > 0) {
			assert_true(i < want.n);
			assert_memory_equal(rec, recs_get(&want, i), recs_get(&want, i)->size);
			i++;
		}
		assert_int_equal(err, 0);
		assert_int_equal(i, want.n);
		assert_int_equal(hmm_trace_reader__stats(r)->records, want.n);
		assert_true(hmm_trace_reader__stats(r)->clean);
		hmm_trace_reader__close(r);
	}
	/* Closed after one record, and before any. */
	for (k = 0; k < 2; k++) {
		r = reader_open(path, &err);
		assert_non_null(r);
		assert_int_equal(hmm_trace_reader__readahead(r), 0);
		if (k)
			assert_int_equal(hmm_trace_reader__next(r, &rec), 1);
		hmm_trace_reader__close(r);
	}
	free(want.buf);
	tmp_free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_meta),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_corrupt_chunk),
		cmocka_unit_test(test_malformed_records),
		cmocka_unit_test(test_resync),
		cmocka_unit_test(test_unknown_types),
		cmocka_unit_test(test_not_ours),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_tick),
		cmocka_unit_test(test_lost),
		cmocka_unit_test(test_file_size_limit),
		cmocka_unit_test(test_enospc),
		cmocka_unit_test(test_delta_roundtrip),
		cmocka_unit_test(test_delta_every_byte_mask),
		cmocka_unit_test(test_plain_chunks),
		cmocka_unit_test(test_unknown_flag),
		cmocka_unit_test(test_delta_spec),
		cmocka_unit_test(test_schema_and_copies),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_readahead_midway),
	};

	int failed;

	hmm_set_print(capture);
	failed = cmocka_run_group_tests_name("trace", tests, NULL, NULL);
	readahead = true;
	failed += cmocka_run_group_tests_name("trace, read-ahead", tests, NULL, NULL);
	readahead = false;
	portable = true;
	return failed + cmocka_run_group_tests_name("trace, portable decoding", tests, NULL, NULL);
}
