// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests for lib/hist.c and for hmm_hist_slot() in bpf/hmmscope.h, the one bucketing
 * function shared by BPF and userspace.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hist.h"
#include "tests/rnd.h"

#define LAST_FINITE (HMM_HIST_OVERFLOW - 1)

static struct hmm_hist *hist_new(void)
{
	struct hmm_hist *h = calloc(1, sizeof(*h));

	assert_non_null(h);
	return h;
}

/* ---- hmm_hist_slot ---------------------------------------------------------------------- */

static void test_slot_layout(void **state)
{
	(void)state;
	assert_int_equal(HMM_HIST_SLOTS, 323);
	assert_int_equal(HMM_HIST_OVERFLOW, 322);
	assert_int_equal(LAST_FINITE, 321);
}

static void test_slot_small(void **state)
{
	(void)state;
	assert_int_equal(hmm_hist_slot(0), 0);
	assert_int_equal(hmm_hist_slot(1), 1);
	assert_int_equal(hmm_hist_slot(2), 9);
	/* 3 = 2 * 1.5, and 2^(4/8) = 1.414 < 1.5 <= 2^(5/8) = 1.542: j = 5. */
	assert_int_equal(hmm_hist_slot(3), 14);
	assert_int_equal(hmm_hist_slot(4), 17);
	/* 5 = 4 * 1.25: 2^(2/8) = 1.189 < 1.25 <= 2^(3/8) = 1.297. */
	assert_int_equal(hmm_hist_slot(5), 1 + 16 + 3);
	/* 9 = 8 * 1.125: 2^(1/8) = 1.0905 < 1.125 <= 2^(2/8) = 1.189. */
	assert_int_equal(hmm_hist_slot(9), 1 + 24 + 2);
	/* 100 = 64 * 1.5625: 2^(5/8) = 1.542 < 1.5625 <= 2^(6/8) = 1.682. */
	assert_int_equal(hmm_hist_slot(100), 1 + 48 + 6);
	/* 1000 = 512 * 1.953: above 2^(7/8) = 1.834. */
	assert_int_equal(hmm_hist_slot(1000), 1 + 72 + 8);
	/* 7 = 4 * 1.75 is below 2^(7/8) = 1.834, 15 = 8 * 1.875 above: in 16's bucket. */
	assert_int_equal(hmm_hist_slot(7), 1 + 16 + 7);
	assert_int_equal(hmm_hist_slot(15), 1 + 24 + 8);
}

static void test_slot_powers_of_two(void **state)
{
	__u32 e;

	(void)state;
	for (e = 0; e <= HMM_HIST_OCTAVES; e++) {
		__u64 p = 1ULL << e;

		assert_int_equal(hmm_hist_slot(p), 1 + 8 * e);
		if (e >= 4)
			assert_int_equal(hmm_hist_slot(p + 1), 2 + 8 * e);
		/*
		 * 2^e is the top of its bucket (2^(e-1) * 2^(7/8), 2^e], which holds 2^e - 1 too
		 * once 2^(1-e) < 2 - 2^(7/8) = 0.166.
		 */
		if (e >= 4)
			assert_int_equal(hmm_hist_slot(p - 1), 1 + 8 * e);
	}
	assert_int_equal(hmm_hist_slot(1ULL << 40), 321);
	assert_int_equal(hmm_hist_slot((1ULL << 40) + 1), HMM_HIST_OVERFLOW);
	assert_int_equal(hmm_hist_slot(1ULL << 41), HMM_HIST_OVERFLOW);
	assert_int_equal(hmm_hist_slot(1ULL << 63), HMM_HIST_OVERFLOW);
	assert_int_equal(hmm_hist_slot(UINT64_MAX), HMM_HIST_OVERFLOW);
}

/*
 * At each threshold of octaves 20 .. 35 (where every sub-bucket holds many integers): the largest
 * integer at or below 2^30 * 2^(j/8) is in sub-bucket j, the next one in j + 1.
 */
static void test_slot_thresholds(void **state)
{
	__u32 e, j;

	(void)state;
	for (e = 20; e < HMM_HIST_OCTAVES; e += 5) {
		for (j = 1; j < 8; j++) {
			__u64 edge = (__u64)floorl(ldexpl(exp2l(j / 8.0L), (int)e));

			assert_int_equal(hmm_hist_slot(edge), 1 + 8 * e + j);
			assert_int_equal(hmm_hist_slot(edge + 1), 2 + 8 * e + j);
		}
	}
}

/* Reference: slot = 1 + ceil(8 * log2(v)), in long double. */
static int ref_slot(__u64 v, __u32 *slot)
{
	long double x = 8.0L * log2l((long double)v), c = ceill(x);

	if (c - x < 1e-12L || x - floorl(x) < 1e-12L)
		return -1; /* too close to an edge for the reference to be trusted */
	*slot = 1 + (__u32)c;
	return 0;
}

static void test_slot_reference(void **state)
{
	__u32 ref, checked = 0;
	__u64 v;
	int i;

	(void)state;
	for (v = 1; v <= 100000; v++) {
		if (ref_slot(v, &ref) == 0) {
			assert_int_equal(hmm_hist_slot(v), ref);
			checked++;
		}
	}
	for (i = 0; i < 1000000; i++) {
		/* Spread over the octaves: a random 40-bit value shifted right 0 .. 39. */
		v = (rnd() >> 24) >> (rnd() % 40);
		if (v == 0 || ref_slot(v, &ref))
			continue;
		assert_int_equal(hmm_hist_slot(v), ref);
		checked++;
	}
	assert_true(checked > 1000000);
}

/*
 * Userspace's branch-free hmm_hist_slot() against the form BPF runs, hmm_hist_slot_bpf(): at
 * every sub-bucket edge of every octave (the integers around 2^e * 2^(j/8)), at every power of
 * two and around the overflow bound, at both ends of every cell of its table, and on random
 * values of every magnitude.
 */
static void test_slot_userspace_equals_bpf(void **state)
{
	static const __u64 edges[8] = {1ULL << 63,     HMM_HIST_EDGE1, HMM_HIST_EDGE2,
				       HMM_HIST_EDGE3, HMM_HIST_EDGE4, HMM_HIST_EDGE5,
				       HMM_HIST_EDGE6, HMM_HIST_EDGE7};
	__u64 checked = 0, v;
	__u32 e, j;
	int d, i;

	(void)state;
	for (e = 0; e < 64; e++) {
		for (j = 0; j < 8; j++) {
			/* The largest v with v << (63 - e) <= edge: v = edge >> (63 - e). */
			__u64 base = edges[j] >> (63 - e);

			for (d = -2; d <= 2; d++) {
				v = base + (__u64)(__s64)d;
				assert_int_equal(hmm_hist_slot(v), hmm_hist_slot_bpf(v));
				checked++;
			}
		}
	}
	/* The first and last value of every cell of the table (8 bits under the top one) of
	 * every octave wide enough to have them. */
	for (e = 8; e < 64; e++) {
		for (j = 0; j < 256; j++) {
			__u64 lo = (1ULL << e) + ((__u64)j << (e - 8));

			for (v = lo - 1; v <= lo + 1; v++, checked++)
				assert_int_equal(hmm_hist_slot(v), hmm_hist_slot_bpf(v));
			v = lo + (1ULL << (e - 8)) - 1;
			assert_int_equal(hmm_hist_slot(v), hmm_hist_slot_bpf(v));
		}
	}
	for (v = 0; v <= 70000; v++, checked++)
		assert_int_equal(hmm_hist_slot(v), hmm_hist_slot_bpf(v));
	for (i = -3; i <= 3; i++, checked++) {
		v = (1ULL << HMM_HIST_OCTAVES) + (__u64)(__s64)i;
		assert_int_equal(hmm_hist_slot(v), hmm_hist_slot_bpf(v));
	}
	for (i = 0; i < 2000000; i++, checked++) {
		v = rnd() >> (rnd() % 64);
		assert_int_equal(hmm_hist_slot(v), hmm_hist_slot_bpf(v));
	}
	assert_int_equal(hmm_hist_slot(UINT64_MAX), hmm_hist_slot_bpf(UINT64_MAX));
	assert_true(checked > 2000000);
}

/* ---- bounds ----------------------------------------------------------------------------- */

static void test_slot_bounds(void **state)
{
	__u32 s;

	(void)state;
	assert_true(hmm_hist_slot_upper(0) == 0);
	assert_true(hmm_hist_slot_lower(0) == 0);
	assert_true(hmm_hist_slot_upper(1) == 1);
	assert_true(hmm_hist_slot_lower(1) == 0);
	assert_true(hmm_hist_slot_upper(9) == 2);
	assert_true(hmm_hist_slot_lower(10) == 2);
	assert_true(hmm_hist_slot_upper(LAST_FINITE) == 1099511627776.0);
	assert_true(isinf(hmm_hist_slot_upper(HMM_HIST_OVERFLOW)));
	assert_true(hmm_hist_slot_lower(HMM_HIST_OVERFLOW) == 1099511627776.0);
	assert_true(fabs(hmm_hist_slot_upper(14) - 3.0844216508158815) < 1e-15);

	for (s = 1; s <= LAST_FINITE; s++) {
		double up = hmm_hist_slot_upper(s);

		if ((s - 1) % 8 == 0)
			assert_true(up == ldexp(1, (int)(s - 1) / 8));
		assert_true(hmm_hist_slot_lower(s + 1) == up);
		assert_true(up > hmm_hist_slot_lower(s));
	}
}

/*
 * The integer rounding that quantiles use is on the right side of every edge: floor(upper) is
 * in the slot or below it, ceil(upper) above it unless upper is an integer.
 */
static void test_slot_bounds_integer_side(void **state)
{
	__u32 s;

	(void)state;
	for (s = 1; s <= LAST_FINITE; s++) {
		double up = hmm_hist_slot_upper(s);
		__u64 fl = (__u64)floor(up), ce = (__u64)ceil(up);

		assert_true(hmm_hist_slot(fl) <= s);
		if ((s - 1) % 8 == 0) {
			assert_true(fl == ce);
			assert_int_equal(hmm_hist_slot(fl), s);
		} else {
			assert_true(ce == fl + 1);
			assert_true(hmm_hist_slot(ce) > s);
		}
	}
}

/* ---- add, merge --------------------------------------------------------------------------- */

static void test_add(void **state)
{
	struct hmm_hist *h = hist_new();

	(void)state;
	hmm_hist_add(h, 0);
	hmm_hist_add(h, 3);
	hmm_hist_add(h, 3);
	hmm_hist_add(h, UINT64_MAX);
	assert_int_equal(h->count, 4);
	assert_true(h->sum == 5); /* 6 + UINT64_MAX wraps: plain u64 */
	assert_int_equal(h->slots[0], 1);
	assert_int_equal(h->slots[14], 2);
	assert_int_equal(h->slots[HMM_HIST_OVERFLOW], 1);
	assert_int_equal(hmm_hist_total(h), 4);
	free(h);
}

static void test_merge(void **state)
{
	enum { NCPU = 8 };
	struct hmm_hist *cpu[NCPU], *all = hist_new(), *merged = hist_new();
	int i;

	(void)state;
	for (i = 0; i < NCPU; i++)
		cpu[i] = hist_new();
	for (i = 0; i < 100000; i++) {
		__u64 v = rnd() >> (rnd() % 64);

		hmm_hist_add(cpu[rnd() % NCPU], v);
		hmm_hist_add(all, v);
	}
	for (i = 0; i < NCPU; i++) {
		hmm_hist_merge(merged, cpu[i]);
		free(cpu[i]);
	}
	assert_memory_equal(merged, all, sizeof(*all));
	assert_int_equal(merged->count, 100000);
	assert_int_equal(hmm_hist_total(merged), 100000);
	free(all);
	free(merged);
}

/* ---- quantiles ---------------------------------------------------------------------------- */

static void test_quantile_1_to_100(void **state)
{
	struct hmm_hist *h = hist_new();
	bool ovf = true;
	__u64 v;

	(void)state;
	for (v = 1; v <= 100; v++)
		hmm_hist_add(h, v);
	/* 50 is in (32 * 2^(5/8), 32 * 2^(6/8)] = (49.35, 53.82]: bound 54. */
	assert_int_equal(hmm_hist_quantile(h, 0.5, &ovf), 54);
	assert_false(ovf);
	/* 90 is in (64 * 2^(3/8), 64 * 2^(4/8)] = (83.0, 90.51]. */
	assert_int_equal(hmm_hist_quantile(h, 0.9, NULL), 91);
	/* 99 and 100 are in (98.7, 107.6]. */
	assert_int_equal(hmm_hist_quantile(h, 0.99, NULL), 108);
	assert_int_equal(hmm_hist_quantile(h, 1.0, NULL), 108);
	/* Rank 1: the value 1, exactly. */
	assert_int_equal(hmm_hist_quantile(h, 0.0, NULL), 1);
	assert_int_equal(hmm_hist_quantile(h, 0.01, NULL), 1);
	/* 2 is an edge too: (1.83, 2]. */
	assert_int_equal(hmm_hist_quantile(h, 0.02, NULL), 2);
	/* Out of range q is clamped. */
	assert_int_equal(hmm_hist_quantile(h, -1, NULL), 1);
	assert_int_equal(hmm_hist_quantile(h, 7, NULL), 108);
	assert_int_equal(hmm_hist_quantile(h, NAN, NULL), 1);
	assert_int_equal(hmm_hist_max_bound(h), 108);
	free(h);
}

static void test_quantile_powers_of_two(void **state)
{
	struct hmm_hist *h = hist_new();
	int i;

	(void)state;
	for (i = 0; i < 10; i++)
		hmm_hist_add(h, 1024);
	for (i = 0; i < 10; i++)
		hmm_hist_add(h, 1ULL << 30);
	assert_int_equal(hmm_hist_quantile(h, 0.5, NULL), 1024);
	assert_int_equal(hmm_hist_quantile(h, 0.51, NULL), 1ULL << 30);
	assert_int_equal(hmm_hist_quantile(h, 1, NULL), 1ULL << 30);
	assert_int_equal(hmm_hist_max_bound(h), 1ULL << 30);
	free(h);
}

static void test_quantile_empty_and_zero(void **state)
{
	struct hmm_hist *h = hist_new();
	bool ovf = true;

	(void)state;
	assert_int_equal(hmm_hist_quantile(h, 0.5, &ovf), 0);
	assert_false(ovf);
	assert_int_equal(hmm_hist_max_bound(h), 0);
	hmm_hist_add(h, 0);
	assert_int_equal(hmm_hist_quantile(h, 1, &ovf), 0);
	assert_false(ovf);
	assert_int_equal(hmm_hist_max_bound(h), 0);
	free(h);
}

static void test_quantile_overflow(void **state)
{
	struct hmm_hist *h = hist_new();
	bool ovf = false;
	int i;

	(void)state;
	hmm_hist_add(h, (1ULL << 40) + 1);
	hmm_hist_add(h, UINT64_MAX);
	assert_int_equal(hmm_hist_quantile(h, 0.5, &ovf), HMM_HIST_MAX_FINITE);
	assert_true(ovf);
	assert_int_equal(hmm_hist_quantile(h, 0, NULL), HMM_HIST_MAX_FINITE);
	/* No finite bucket is non-empty. */
	assert_int_equal(hmm_hist_max_bound(h), 0);

	/* 98 small values and 2 in overflow: p98 is finite, p99 is not. */
	for (i = 0; i < 98; i++)
		hmm_hist_add(h, 1000);
	assert_int_equal(hmm_hist_quantile(h, 0.98, &ovf), 1024);
	assert_false(ovf);
	assert_int_equal(hmm_hist_quantile(h, 0.99, &ovf), HMM_HIST_MAX_FINITE);
	assert_true(ovf);
	assert_int_equal(hmm_hist_max_bound(h), 1024);
	free(h);
}

/* Against sorted samples: the bound is >= the true quantile and within 2^(1/8), plus 1. */
static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static void test_quantile_error_bound(void **state)
{
	enum { N = 10007 };
	static const double qs[] = {0, 0.001, 0.25, 0.5, 0.9, 0.99, 0.999, 1};
	struct hmm_hist *h = hist_new();
	__u64 *vals = calloc(N, sizeof(*vals));
	size_t i;

	(void)state;
	assert_non_null(vals);
	for (i = 0; i < N; i++) {
		vals[i] = 1 + ((rnd() >> 24) >> (rnd() % 40));
		hmm_hist_add(h, vals[i]);
	}
	qsort(vals, N, sizeof(*vals), cmp_u64);
	for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		__u64 rank = (__u64)ceil(qs[i] * N), truth, got;

		truth = vals[(rank ? rank : 1) - 1];
		got = hmm_hist_quantile(h, qs[i], NULL);
		assert_true(got >= truth);
		assert_true((double)got <= (double)truth * exp2(1.0 / 8) + 1);
	}
	free(vals);
	free(h);
}

/* ---- fold ----------------------------------------------------------------------------------- */

static void test_default_le(void **state)
{
	double le[64];
	size_t n, i;

	(void)state;
	n = hmm_hist_default_le(le, 64, 1e-9, 1, 1ULL << 20);
	assert_int_equal(n, 21);
	for (i = 0; i < n; i++)
		assert_true(le[i] == ldexp(1e-9, (int)i));
	n = hmm_hist_default_le(le, 64, 1, 1024, 1ULL << 40);
	assert_int_equal(n, 31);
	assert_true(le[0] == 1024 && le[30] == 1099511627776.0);
	/* Truncated to max. */
	assert_int_equal(hmm_hist_default_le(le, 3, 1, 1, 1024), 3);
	assert_true(le[2] == 4);
	/* Invalid. */
	assert_int_equal(hmm_hist_default_le(le, 64, 1, 0, 1024), 0);
	assert_int_equal(hmm_hist_default_le(le, 64, 1, 3, 1024), 0);
	assert_int_equal(hmm_hist_default_le(le, 64, 1, 1, 1000), 0);
	assert_int_equal(hmm_hist_default_le(le, 64, 1, 1024, 512), 0);
	assert_int_equal(hmm_hist_default_le(le, 64, 1, 1, 1ULL << 41), 0);
}

static void test_fold_powers_of_two(void **state)
{
	enum { N = 50000 };
	struct hmm_hist *h = hist_new();
	__u64 *vals = calloc(N, sizeof(*vals)), cum[41];
	double le[41];
	size_t n, k, i;

	(void)state;
	assert_non_null(vals);
	for (i = 0; i < N; i++) {
		/* Some zeros, some overflow values, the rest spread over the octaves. */
		vals[i] = rnd() >> (rnd() % 64);
		if (i % 97 == 0)
			vals[i] = 0;
		if (i % 89 == 0)
			vals[i] = 1ULL << (rnd() % 41);
		hmm_hist_add(h, vals[i]);
	}
	n = hmm_hist_default_le(le, 41, 1e-9, 1, 1ULL << 40);
	assert_int_equal(n, 41);
	assert_int_equal(hmm_hist_fold(h, le, n, 1e-9, cum), 0);
	for (k = 0; k < n; k++) {
		__u64 want = 0;

		for (i = 0; i < N; i++)
			want += vals[i] <= (1ULL << k);
		assert_int_equal(cum[k], want);
	}
	/* The last finite bound excludes exactly the overflow slot: +Inf is the total. */
	assert_int_equal(cum[n - 1] + h->slots[HMM_HIST_OVERFLOW], hmm_hist_total(h));
	assert_true(h->slots[HMM_HIST_OVERFLOW] > 0);
	free(vals);
	free(h);
}

static void test_fold_overflow_only(void **state)
{
	struct hmm_hist *h = hist_new();
	double le[41];
	__u64 cum[41];
	size_t n, k;

	(void)state;
	hmm_hist_add(h, (1ULL << 40) + 1);
	hmm_hist_add(h, UINT64_MAX);
	n = hmm_hist_default_le(le, 41, 1, 1, 1ULL << 40);
	assert_int_equal(hmm_hist_fold(h, le, n, 1, cum), 0);
	for (k = 0; k < n; k++)
		assert_int_equal(cum[k], 0);
	free(h);
}

static void test_fold_sub_octave_edges(void **state)
{
	struct hmm_hist *h = hist_new();
	/* 0, 2^(3/8) * 4 and 2^(5/8) * 64, in ms with raw ns: every one is a slot edge. */
	double le[] = {0, exp2(3.0 / 8) * 4 * 1e-6, exp2(5.0 / 8) * 64 * 1e-6, 1024 * 1e-6};
	__u64 cum[4], v;

	(void)state;
	for (v = 0; v <= 2000; v++)
		hmm_hist_add(h, v);
	assert_int_equal(hmm_hist_fold(h, le, 4, 1e-6, cum), 0);
	assert_int_equal(cum[0], 1);	/* 0 */
	assert_int_equal(cum[1], 6);	/* 0 .. 5 <= 5.19 */
	assert_int_equal(cum[2], 99);	/* 0 .. 98 <= 98.70 */
	assert_int_equal(cum[3], 1025); /* 0 .. 1024 */
	free(h);
}

static void test_fold_rejects(void **state)
{
	struct hmm_hist *h = hist_new();
	__u64 cum[3] = {7, 7, 7};
	double not_edge[] = {1e-6, 1e-3};	  /* 1000 ns is no edge */
	double near_edge[] = {1024 * (1 + 1e-7)}; /* close, but not within 1e-9 */
	double decreasing[] = {4, 2};
	double equal[] = {2, 2};
	double ok_then_bad[] = {2, 4, 5};
	double inf[] = {2, INFINITY};
	double nan[] = {NAN};
	double neg[] = {-1};
	double tiny[] = {0.5};		       /* below the first edge, 1 */
	double huge[] = {2 * 1099511627776.0}; /* above the last, 2^40 */
	double ok[] = {1024 * (1 + 1e-12)};    /* within the tolerance */

	(void)state;
	hmm_hist_add(h, 100);
	assert_int_equal(hmm_hist_fold(h, not_edge, 2, 1e-9, cum), -EINVAL);
	assert_int_equal(hmm_hist_fold(h, near_edge, 1, 1, cum), -EINVAL);
	assert_int_equal(hmm_hist_fold(h, decreasing, 2, 1, cum), -EINVAL);
	assert_int_equal(hmm_hist_fold(h, equal, 2, 1, cum), -EINVAL);
	assert_int_equal(hmm_hist_fold(h, ok_then_bad, 3, 1, cum), -EINVAL);
	assert_int_equal(hmm_hist_fold(h, inf, 2, 1, cum), -EINVAL);
	assert_int_equal(hmm_hist_fold(h, nan, 1, 1, cum), -EINVAL);
	assert_int_equal(hmm_hist_fold(h, neg, 1, 1, cum), -EINVAL);
	assert_int_equal(hmm_hist_fold(h, tiny, 1, 1, cum), -EINVAL);
	assert_int_equal(hmm_hist_fold(h, huge, 1, 1, cum), -EINVAL);
	assert_int_equal(hmm_hist_fold(h, ok, 1, 0, cum), -EINVAL);
	assert_int_equal(hmm_hist_fold(h, ok, 1, -1, cum), -EINVAL);
	assert_int_equal(hmm_hist_fold(h, ok, 1, NAN, cum), -EINVAL);
	/* Nothing was written on error. */
	assert_int_equal(cum[0], 7);
	assert_int_equal(cum[1], 7);
	assert_int_equal(cum[2], 7);
	assert_int_equal(hmm_hist_fold(h, ok, 1, 1, cum), 0);
	assert_int_equal(cum[0], 1);
	assert_int_equal(hmm_hist_fold(h, ok_then_bad, 2, 1, cum), 0);
	assert_int_equal(hmm_hist_fold(h, ok_then_bad, 0, 1, cum), 0);
	free(h);
}

/* ---- text ----------------------------------------------------------------------------------- */

static char *print_to_string(const struct hmm_hist *h, bool integer, int width, int *ret)
{
	struct hmm_chart_row rows[HMM_CHART_ROWS];
	char *buf = NULL;
	size_t len = 0, n;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	n = hmm_hist_chart(h, integer, integer ? 1 : 1000, rows);
	*ret = hmm_chart_fprint(f, "", integer ? "attempts" : "us", rows, n, width);
	fclose(f);
	return buf;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_chart(void **state)
{
	struct hmm_chart_row rows[HMM_CHART_ROWS];
	struct hmm_hist *h = hist_new();
	char *out;
	int ret, i;

	(void)state;
	out = print_to_string(h, false, 40, &ret);
	assert_int_equal(ret, 0);
	assert_string_equal(out, "");
	free(out);

	/* 1024 ns is the upper edge of (512, 1024]; 2048 of (1024, 2048]: two rows of octaves. */
	for (i = 0; i < 4; i++)
		hmm_hist_add(h, 1024);
	hmm_hist_add(h, 2048);
	out = print_to_string(h, false, 40, &ret);
	assert_int_equal(ret, 0);
	assert_int_equal(count_lines(out), 3);
	assert_non_null(strstr(out, "count"));
	assert_non_null(strstr(out, "distribution"));
	assert_non_null(strstr(
		out, "0.512 -> 1.024 : 4          |****************************************|\n"));
	assert_non_null(strstr(
		out, "1.024 -> 2.048 : 1          |**********                              |\n"));
	free(out);

	/* 0, 1 and 2 ns, and one past the grid: every row between is shown, empty ones too. */
	memset(h, 0, sizeof(*h));
	hmm_hist_add(h, 0);
	hmm_hist_add(h, 1);
	hmm_hist_add(h, 2);
	hmm_hist_add(h, (1ULL << 40) + 1);
	out = print_to_string(h, false, 10, &ret);
	assert_int_equal(ret, 0);
	assert_non_null(strstr(out, "0 -> 0.001 : 2          |**********|\n"));
	assert_non_null(strstr(out, "0.001 -> 0.002 : 1          |*****     |\n"));
	assert_non_null(strstr(out, "1.09951e+09 -> ... : 1"));
	assert_int_equal(count_lines(out), 1 + HMM_CHART_ROWS);
	free(out);

	/* Integers (attempts) are labelled by the integers each row holds. */
	memset(h, 0, sizeof(*h));
	for (i = 1; i <= 9; i++)
		hmm_hist_add(h, i);
	assert_int_equal(hmm_hist_chart(h, true, 1, rows), 5);
	assert_string_equal(rows[0].label, "1");
	assert_int_equal(rows[0].count, 1);
	assert_string_equal(rows[1].label, "2");
	assert_string_equal(rows[2].label, "3 - 4");
	assert_int_equal(rows[2].count, 2);
	assert_string_equal(rows[3].label, "5 - 8");
	assert_int_equal(rows[3].count, 4);
	assert_string_equal(rows[4].label, "9 - 16");
	hmm_hist_add(h, 0);
	hmm_hist_add(h, (1ULL << 40) + 1);
	assert_int_equal(hmm_hist_chart(h, true, 1, rows), HMM_CHART_ROWS);
	assert_string_equal(rows[0].label, "0 - 1");
	assert_string_equal(rows[HMM_CHART_ROWS - 1].label, "> 1099511627776");

	assert_int_equal(hmm_chart_fprint(stderr, "", "us", rows, 1, -1), -EINVAL);
	assert_int_equal(hmm_chart_fprint(NULL, "", "us", rows, 1, 40), -EINVAL);
	free(h);
}

static void check_duration(__u64 ns, const char *want)
{
	char buf[32];
	int ret = hmm_fmt_duration(buf, sizeof(buf), ns);

	assert_string_equal(buf, want);
	assert_int_equal(ret, (int)strlen(want));
}

static void test_fmt_duration(void **state)
{
	char small[4];

	(void)state;
	check_duration(0, "0ns");
	check_duration(812, "812ns");
	check_duration(999, "999ns");
	check_duration(1000, "1.00us");
	check_duration(3400, "3.40us");
	check_duration(3404, "3.40us");
	check_duration(3405, "3.41us");
	check_duration(9995, "10.0us");
	check_duration(12345, "12.3us");
	check_duration(123456, "123us");
	check_duration(999499, "999us");
	check_duration(999500, "1.00ms");
	check_duration(999999, "1.00ms");
	check_duration(12100000, "12.1ms");
	check_duration(150000000, "150ms");
	check_duration(1500000000, "1.50s");
	check_duration(59990000000ULL, "60.0s");
	check_duration(999400000000ULL, "999s");
	check_duration(999500000000ULL, "1000s");
	check_duration(1234567890123ULL, "1235s");
	check_duration(UINT64_MAX, "18446744074s");
	/* Truncation reports the full length, like snprintf. */
	assert_int_equal(hmm_fmt_duration(small, sizeof(small), 3400), 6);
	assert_string_equal(small, "3.4");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slot_layout),
		cmocka_unit_test(test_slot_small),
		cmocka_unit_test(test_slot_powers_of_two),
		cmocka_unit_test(test_slot_thresholds),
		cmocka_unit_test(test_slot_reference),
		cmocka_unit_test(test_slot_userspace_equals_bpf),
		cmocka_unit_test(test_slot_bounds),
		cmocka_unit_test(test_slot_bounds_integer_side),
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_quantile_1_to_100),
		cmocka_unit_test(test_quantile_powers_of_two),
		cmocka_unit_test(test_quantile_empty_and_zero),
		cmocka_unit_test(test_quantile_overflow),
		cmocka_unit_test(test_quantile_error_bound),
		cmocka_unit_test(test_default_le),
		cmocka_unit_test(test_fold_powers_of_two),
		cmocka_unit_test(test_fold_overflow_only),
		cmocka_unit_test(test_fold_sub_octave_edges),
		cmocka_unit_test(test_fold_rejects),
		cmocka_unit_test(test_chart),
		cmocka_unit_test(test_fmt_duration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
