// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests for lib/histfile.c: a round trip through a file keeps every count; merging hosts'
 * files equals one histogram of all their values, so merged percentiles are exact; damaged,
 * truncated, foreign and incompatible files are refused with distinct errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "lib/hist.h"
#include "lib/histfile.h"
#define RND_SEED 0x243f6a8885a308d3ULL
#include "tests/rnd.h"

static const struct hmm_hist_key fault_ok = { .driver = 0xffffffffc0a01000ULL,
					      .metric = HMM_M_FAULT_NS, .label = HMM_RES_OK };
static const struct hmm_hist_key inval = { .metric = HMM_M_INVAL_START_NS, .label = HMM_EV_UNMAP };

/* A host: n values of each of two histograms, also added to *all (the union). */
static struct hmm_histfile *host(const char *name, int n, struct hmm_hist *all)
{
	struct hmm_histfile *f = hmm_histfile__new(HMM_HISTFILE_LIVE);
	static struct hmm_hist a, b;

	assert_non_null(f);
	snprintf(f->host, sizeof(f->host), "%s", name);
	snprintf(f->release, sizeof(f->release), "6.1.0");
	f->duration_ns = 1000000000ULL;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	for (int i = 0; i < n; i++) {
		__u64 v = rnd() >> (20 + rnd() % 30); /* spread over many octaves */

		hmm_hist_add(&a, v);
		hmm_hist_add(all, v);
		hmm_hist_add(&b, v / 3);
	}
	hmm_hist_add(&a, 1ULL << 50); /* one overflow value */
	hmm_hist_add(all, 1ULL << 50);
	assert_int_equal(hmm_histfile__add(f, &fault_ok, "test_hmm", &a), 0);
	assert_int_equal(hmm_histfile__add(f, &inval, "none", &b), 0);
	f->counters[HMM_C_FAULT_CALLS] = n + 1;
	f->counters[HMM_C_STATE_DROPS] = 1;
	return f;
}

static void test_roundtrip(void **state)
{
	char path[] = "/tmp/test_histfile.XXXXXX";
	struct hmm_histfile *f, *g;
	struct hmm_hist all = { 0 };
	int fd, err;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	f = host("a", 5000, &all);
	assert_int_equal(hmm_histfile__write(f, path), 0);
	g = hmm_histfile__read(path, &err);
	assert_non_null(g);
	assert_int_equal(err, 0);
	assert_string_equal(g->host, "a");
	assert_string_equal(g->release, "6.1.0");
	assert_int_equal(g->hosts, 1);
	assert_int_equal(g->source, HMM_HISTFILE_LIVE);
	assert_int_equal(g->n, 2);
	assert_memory_equal(g->counters, f->counters, sizeof(f->counters));
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(g->e[i].key.metric, f->e[i].key.metric);
		assert_int_equal(g->e[i].key.label, f->e[i].key.label);
		assert_string_equal(g->e[i].driver, f->e[i].driver);
		assert_memory_equal(&g->e[i].h, &f->e[i].h, sizeof(struct hmm_hist));
	}
	hmm_histfile__free(f);
	hmm_histfile__free(g);
	unlink(path);
}

/* Three hosts merged through files: exactly the union's histogram and quantiles. */
static void test_merge_exact(void **state)
{
	struct hmm_hist all = { 0 };
	struct hmm_histfile *m = hmm_histfile__new(HMM_HISTFILE_MERGE), *f;
	const char *names[] = { "a", "b", "c" };
	const int sizes[] = { 1000, 20000, 7 };
	const double qs[] = { 0, 0.5, 0.9, 0.99, 0.999, 1 };
	char path[64];
	int err;

	(void)state;
	m->hosts = 0;
	for (int i = 0; i < 3; i++) {
		f = host(names[i], sizes[i], &all);
		snprintf(path, sizeof(path), "/tmp/test_histfile.%d.%d", getpid(), i);
		assert_int_equal(hmm_histfile__write(f, path), 0);
		hmm_histfile__free(f);
		f = hmm_histfile__read(path, &err);
		assert_non_null(f);
		unlink(path);
		assert_int_equal(hmm_histfile__merge(m, f), 0);
		hmm_histfile__free(f);
	}
	hmm_histfile__sort(m);
	assert_int_equal(m->hosts, 3);
	assert_int_equal(m->n, 2); /* same metric, label and driver name: one entry each */
	assert_int_equal(m->source, HMM_HISTFILE_MERGE);
	assert_int_equal(m->counters[HMM_C_FAULT_CALLS], 1000 + 20000 + 7 + 3);
	assert_int_equal(m->counters[HMM_C_STATE_DROPS], 3);
	assert_int_equal(m->duration_ns, 3000000000ULL);
	assert_int_equal(m->e[0].key.metric, HMM_M_FAULT_NS); /* sorted by metric */
	assert_memory_equal(&m->e[0].h, &all, sizeof(all));
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		bool o1, o2;

		assert_int_equal(hmm_hist_quantile(&m->e[0].h, qs[i], &o1),
				 hmm_hist_quantile(&all, qs[i], &o2));
		assert_int_equal(o1, o2);
	}
	assert_true(m->e[0].h.slots[HMM_HIST_OVERFLOW] >= 3); /* overflow kept apart, merged too */
	hmm_histfile__free(m);
}

static unsigned char *file_image(size_t *len)
{
	struct hmm_hist all = { 0 };
	struct hmm_histfile *f = host("x", 100, &all);
	char path[] = "/tmp/test_histfile.XXXXXX";
	unsigned char *buf;
	FILE *fp;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(hmm_histfile__write(f, path), 0);
	hmm_histfile__free(f);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	buf = malloc(1 << 16);
	assert_non_null(buf);
	*len = fread(buf, 1, 1 << 16, fp);
	fclose(fp);
	unlink(path);
	return buf;
}

/* Issue 19: a merge whose counts would pass 2^64 keeps them at 2^64 - 1 and says so (they
 * wrapped to small numbers); a merge that does not overflow says nothing. */
static void test_merge_saturates(void **state)
{
	struct hmm_histfile *a = hmm_histfile__new(HMM_HISTFILE_MERGE), *b;
	struct hmm_hist all = {}, big = {};

	(void)state;
	b = host("b", 10, &all);
	assert_int_equal(hmm_histfile__merge(a, b), 0);
	assert_false(a->saturated);
	b->counters[HMM_C_FAULT_CALLS] = ~0ULL - 5;
	big.count = ~0ULL - 1;
	big.slots[3] = ~0ULL - 1;
	big.sum = 7;
	assert_int_equal(hmm_histfile__add(b, &fault_ok, "test_hmm", &big), 0);
	assert_int_equal(hmm_histfile__merge(a, b), 0);
	assert_int_equal(hmm_histfile__merge(a, b), 0); /* slot 3: 2 * (2^64 - 2) */
	assert_true(a->saturated);
	assert_int_equal(a->counters[HMM_C_FAULT_CALLS], ~0ULL);
	for (size_t i = 0; i < a->n; i++)
		if (a->e[i].key.metric == HMM_M_FAULT_NS) {
			assert_int_equal(a->e[i].h.count, ~0ULL);
			assert_int_equal(a->e[i].h.slots[3], ~0ULL);
		}
	hmm_histfile__free(a);
	hmm_histfile__free(b);
}

/* Many drivers: each (metric, label, driver) is one entry however it is added: before and after
 * a sort, and when names share a prefix longer than a driver name holds. */
static void test_many_keys(void **state)
{
	struct hmm_histfile *f = hmm_histfile__new(HMM_HISTFILE_LIVE);
	struct hmm_hist one = { 0 };
	char name[64];
	size_t total = 0;

	(void)state;
	assert_non_null(f);
	hmm_hist_add(&one, 1000);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 3000; i++) {
			struct hmm_hist_key k = fault_ok;

			k.label = i % 3;
			snprintf(name, sizeof(name), "drv%04d", i);
			assert_int_equal(hmm_histfile__add(f, &k, name, &one), 0);
		}
		/* equal in the part a name holds: one entry */
		memset(name, 'x', sizeof(name) - 1);
		name[sizeof(name) - 1] = 0;
		assert_int_equal(hmm_histfile__add(f, &fault_ok, name, &one), 0);
		name[sizeof(name) - 2] = 'y';
		assert_int_equal(hmm_histfile__add(f, &fault_ok, name, &one), 0);
		assert_int_equal(f->n, 3001);
		if (round == 1)
			hmm_histfile__sort(f);
	}
	for (size_t i = 0; i < f->n; i++)
		total += f->e[i].h.count;
	assert_int_equal(total, 3 * 3002);
	hmm_histfile__free(f);
}

static void test_bad_files(void **state)
{
	struct hmm_histfile *f;
	unsigned char *buf;
	size_t len;
	int err;

	(void)state;
	buf = file_image(&len);
	assert_int_equal(len, 256 + 8 * HMM_C_MAX + 2 * (16 + 32 + 16 + 8 * HMM_HIST_SLOTS) + 4);
	f = hmm_histfile__read_mem(buf, len, &err);
	assert_non_null(f);
	hmm_histfile__free(f);

	/* One flipped bit in a slot: the CRC catches it. */
	buf[len - 100] ^= 4;
	assert_null(hmm_histfile__read_mem(buf, len, &err));
	assert_int_equal(err, -EBADMSG);
	buf[len - 100] ^= 4;
	/* Cut short. */
	assert_null(hmm_histfile__read_mem(buf, len - 9, &err));
	assert_int_equal(err, -EBADMSG);
	assert_null(hmm_histfile__read_mem(buf, 10, &err));
	assert_int_equal(err, -EPROTO);
	/* Not ours. */
	buf[0] = 'X';
	assert_null(hmm_histfile__read_mem(buf, len, &err));
	assert_int_equal(err, -EPROTO);
	buf[0] = 'H';
	/* A newer major version, another grid. */
	buf[8] = 2;
	assert_null(hmm_histfile__read_mem(buf, len, &err));
	assert_int_equal(err, -EPROTONOSUPPORT);
	buf[8] = 1;
	buf[20] = 4;
	assert_null(hmm_histfile__read_mem(buf, len, &err));
	assert_int_equal(err, -EPROTONOSUPPORT);
	buf[20] = 8;
	/* A histogram count that claims more entries than the file holds. */
	buf[32] = 200;
	assert_null(hmm_histfile__read_mem(buf, len, &err));
	assert_int_equal(err, -EBADMSG);
	free(buf);
	assert_null(hmm_histfile__read("/nonexistent/x.hist", &err));
	assert_int_equal(err, -ENOENT);
}

/* The image of file_image() as a writer with c counters wrote it: the first c of ours, zeros
 * past HMM_C_MAX (a newer writer's counters), the entries unchanged, the CRC redone. */
static unsigned char *with_counters(const unsigned char *img, size_t len, __u32 c, size_t *out)
{
	size_t ours = 8 * HMM_C_MAX, theirs = 8 * (size_t)c, rest = len - 256 - ours;
	unsigned char *b = calloc(1, len - ours + theirs);
	__u32 crc;

	assert_non_null(b);
	memcpy(b, img, 256);
	memcpy(b + 28, &c, 4);
	memcpy(b + 256, img + 256, theirs < ours ? theirs : ours);
	if (theirs > ours) /* the newer counters hold 7s: they must not land anywhere */
		memset(b + 256 + ours, 7, theirs - ours);
	memcpy(b + 256 + theirs, img + 256 + ours, rest - 4);
	*out = 256 + theirs + rest;
	crc = crc32(0, b, *out - 4);
	memcpy(b + *out - 4, &crc, 4);
	return b;
}

/* Counters are appended to enum hmm_counter: an older writer's file (fewer) reads with the
 * missing ones 0, a newer one's (more) with the extra ones ignored; the histograms all there. */
static void test_counter_count(void **state)
{
	struct hmm_histfile *ref, *f;
	unsigned char *img, *b;
	size_t len, blen;
	int err;

	(void)state;
	img = file_image(&len);
	ref = hmm_histfile__read_mem(img, len, &err);
	assert_non_null(ref);
	assert_int_equal(ref->counters[HMM_C_STATE_DROPS], 1);

	/* Before the round-trip counters: HMM_C_STATE_DROPS was the last. */
	b = with_counters(img, len, HMM_C_STATE_DROPS + 1, &blen);
	f = hmm_histfile__read_mem(b, blen, &err);
	assert_non_null(f);
	assert_int_equal(err, 0);
	assert_memory_equal(f->counters, ref->counters, 8 * (HMM_C_STATE_DROPS + 1));
	assert_int_equal(f->counters[HMM_C_ROUND_TRIPS], 0);
	assert_int_equal(f->counters[HMM_C_THRASHING], 0);
	assert_int_equal(f->n, ref->n);
	assert_memory_equal(&f->e[0].h, &ref->e[0].h, sizeof(f->e[0].h));
	assert_memory_equal(&f->e[1].h, &ref->e[1].h, sizeof(f->e[1].h));
	hmm_histfile__free(f);
	free(b);

	/* A newer writer: three counters more. */
	b = with_counters(img, len, HMM_C_MAX + 3, &blen);
	f = hmm_histfile__read_mem(b, blen, &err);
	assert_non_null(f);
	assert_memory_equal(f->counters, ref->counters, sizeof(f->counters));
	assert_int_equal(f->n, ref->n);
	assert_memory_equal(&f->e[1].h, &ref->e[1].h, sizeof(f->e[1].h));
	hmm_histfile__free(f);
	/* ... whose counter count, cut short by one, no longer adds up. */
	b[28]--;
	assert_null(hmm_histfile__read_mem(b, blen, &err));
	assert_int_equal(err, -EBADMSG);
	free(b);
	/* No counters at all. */
	b = with_counters(img, len, 0, &blen);
	f = hmm_histfile__read_mem(b, blen, &err);
	assert_non_null(f);
	assert_int_equal(f->counters[HMM_C_FAULT_CALLS], 0);
	assert_int_equal(f->n, 2);
	hmm_histfile__free(f);
	free(b);
	hmm_histfile__free(ref);
	free(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_merge_exact),
		cmocka_unit_test(test_merge_saturates),
		cmocka_unit_test(test_many_keys),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_counter_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
