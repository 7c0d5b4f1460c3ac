// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Histogram arithmetic for struct hmm_hist. The bucket of a value is always hmm_hist_slot() from
 * bpf/hmmscope.h, so histograms built here from decoded events and the ones BPF fills in the
 * kernel put every value in the same slot. See hist.h for the grid and what is exact.
 */
#include "hist.h"

#include <errno.h>
#include <math.h>
#include <string.h>

/* Relative tolerance when matching an exported bound to a slot edge (see hmm_hist_fold()). */
#define EDGE_REL_TOL 1e-9

/* a += b, saturating at 2^64 - 1: true when it did. */
static inline bool add_sat(__u64 *a, __u64 b)
{
	if (__builtin_add_overflow(*a, b, a)) {
		*a = ~0ULL;
		return true;
	}
	return false;
}

bool hmm_hist_merge(struct hmm_hist *dst, const struct hmm_hist *src)
{
	bool sat = add_sat(&dst->count, src->count);
	__u32 i;

	/* The sum wraps, as hmm_hist_add() and the BPF side add it: merged per-CPU copies equal
	 * the same values added in one place. */
	dst->sum += src->sum;
	for (i = 0; i < HMM_HIST_SLOTS; i++)
		sat |= add_sat(&dst->slots[i], src->slots[i]);
	return sat;
}

__u64 hmm_hist_total(const struct hmm_hist *h)
{
	__u64 total = 0;
	__u32 i;

	for (i = 0; i < HMM_HIST_SLOTS; i++)
		total += h->slots[i];
	return total;
}

double hmm_hist_slot_upper(__u32 slot)
{
	__u32 i;

	if (slot == 0)
		return 0;
	if (slot >= HMM_HIST_OVERFLOW)
		return INFINITY;
	i = slot - 1;
	/* Powers of two must be exact: they are the edges shared with every other grid. */
	if (i % HMM_HIST_SUB == 0)
		return ldexp(1, (int)(i / HMM_HIST_SUB));
	return exp2((double)i / HMM_HIST_SUB);
}

double hmm_hist_slot_lower(__u32 slot)
{
	if (slot <= 1)
		return 0;
	if (slot > HMM_HIST_OVERFLOW)
		slot = HMM_HIST_OVERFLOW;
	return hmm_hist_slot_upper(slot - 1);
}

/*
 * The upper bound of a finite slot as an integer, rounded up. Non-power-of-two edges are
 * irrational, and exp2() is far more precise than the distance from any of them (up to 2^40) to
 * the nearest integer, so ceil() lands on the right side: the unit test checks every slot.
 */
static __u64 slot_upper_ceil(__u32 slot)
{
	return (__u64)ceil(hmm_hist_slot_upper(slot));
}

__u64 hmm_hist_quantile(const struct hmm_hist *h, double q, bool *overflow)
{
	__u64 total = hmm_hist_total(h), rank, cum = 0;
	__u32 i;

	if (overflow)
		*overflow = false;
	if (total == 0)
		return 0;
	/* !(q > 0) also catches NaN. */
	if (!(q > 0))
		q = 0;
	if (q > 1)
		q = 1;
	rank = (__u64)ceil(q * (double)total);
	if (rank < 1)
		rank = 1;
	if (rank > total) /* q * total rounds up past total in double for huge counts */
		rank = total;
	for (i = 0; i < HMM_HIST_OVERFLOW; i++) {
		cum += h->slots[i];
		if (cum >= rank)
			return slot_upper_ceil(i);
	}
	if (overflow)
		*overflow = true;
	return HMM_HIST_MAX_FINITE;
}

__u64 hmm_hist_max_bound(const struct hmm_hist *h)
{
	__u32 i;

	for (i = HMM_HIST_OVERFLOW; i-- > 0;) {
		if (h->slots[i])
			return slot_upper_ceil(i);
	}
	return 0;
}

/*
 * The slot whose upper edge is bound (exported unit) / unit, or -EINVAL when there is none.
 * The nearest candidate is found through log2(), then checked against the edge as the rest of
 * this file computes it, so a bound that is merely close to an edge is rejected.
 */
static int le_slot(double le, double unit, __u32 *slot)
{
	double raw, upper, i;

	if (!isfinite(le) || le < 0)
		return -EINVAL;
	raw = le / unit;
	if (raw == 0) {
		*slot = 0;
		return 0;
	}
	i = round(HMM_HIST_SUB * log2(raw));
	if (!(i >= 0 && i <= HMM_HIST_SUB * HMM_HIST_OCTAVES))
		return -EINVAL;
	upper = hmm_hist_slot_upper((__u32)i + 1);
	if (fabs(raw - upper) > EDGE_REL_TOL * upper)
		return -EINVAL;
	*slot = (__u32)i + 1;
	return 0;
}

int hmm_hist_fold(const struct hmm_hist *h, const double *le, size_t n_le, double unit,
		  __u64 *cum_out)
{
	__u64 cum = 0;
	__u32 slot, next = 0;
	size_t k;
	int err;

	if (!isfinite(unit) || !(unit > 0))
		return -EINVAL;
	/* Validate everything first: on error the caller's buffer is left alone. */
	for (k = 0; k < n_le; k++) {
		if (k > 0 && !(le[k] > le[k - 1]))
			return -EINVAL;
		err = le_slot(le[k], unit, &slot);
		if (err)
			return err;
	}
	/* Bounds increase, so their slots never decrease: one pass over the slots. */
	for (k = 0; k < n_le; k++) {
		le_slot(le[k], unit, &slot);
		for (; next <= slot; next++)
			cum += h->slots[next];
		cum_out[k] = cum;
	}
	return 0;
}

static bool is_pow2(__u64 v)
{
	return v && !(v & (v - 1));
}

size_t hmm_hist_default_le(double *le, size_t max, double unit, __u64 lo, __u64 hi)
{
	size_t n = 0;
	__u64 v;

	if (!is_pow2(lo) || !is_pow2(hi) || lo > hi || hi > HMM_HIST_MAX_FINITE)
		return 0;
	/* v * unit with v a power of two only changes unit's exponent: exact. */
	for (v = lo; v <= hi && n < max; v <<= 1)
		le[n++] = (double)v * unit;
	return n;
}

/* The chart row (octave) of a slot: 0 for 0 and 1, k for (2^(k-1), 2^k], the last for overflow. */
static unsigned int chart_row(__u32 slot)
{
	if (slot <= 1)
		return 0;
	if (slot >= HMM_HIST_OVERFLOW)
		return HMM_CHART_ROWS - 1;
	return (slot - 2) / HMM_HIST_SUB + 1;
}

size_t hmm_hist_chart(const struct hmm_hist *h, bool integer, double div,
		      struct hmm_chart_row rows[HMM_CHART_ROWS])
{
	__u64 count[HMM_CHART_ROWS] = { 0 };
	int lo = -1, hi = -1, k;
	size_t n = 0;

	for (__u32 s = 0; s < HMM_HIST_SLOTS; s++)
		count[chart_row(s)] += h->slots[s];
	for (k = 0; k < HMM_CHART_ROWS; k++) {
		if (!count[k])
			continue;
		lo = lo < 0 ? k : lo;
		hi = k;
	}
	if (lo < 0)
		return 0;
	for (k = lo; k <= hi; k++, n++) {
		struct hmm_chart_row *r = &rows[n];
		__u64 a = k ? (1ULL << (k - 1)) + 1 : 0, b = k ? 1ULL << (k - 1) << 1 : 1;

		r->count = count[k];
		if (integer && k == HMM_CHART_ROWS - 1)
			snprintf(r->label, sizeof(r->label), "> %llu", (unsigned long long)(b >> 1));
		else if (integer && k == 0)
			snprintf(r->label, sizeof(r->label), "%s", h->slots[0] ? "0 - 1" : "1");
		else if (integer && a == b)
			snprintf(r->label, sizeof(r->label), "%llu", (unsigned long long)a);
		else if (integer)
			snprintf(r->label, sizeof(r->label), "%llu - %llu", (unsigned long long)a,
				 (unsigned long long)b);
		else if (k == 0)
			snprintf(r->label, sizeof(r->label), "0 -> %g", 1 / div);
		else if (k == HMM_CHART_ROWS - 1)
			snprintf(r->label, sizeof(r->label), "%g -> ...",
				 ldexp(1, HMM_HIST_OCTAVES) / div);
		else
			snprintf(r->label, sizeof(r->label), "%g -> %g", ldexp(1, k - 1) / div,
				 ldexp(1, k) / div);
	}
	return n;
}

int hmm_chart_fprint(FILE *f, const char *indent, const char *unit,
		     const struct hmm_chart_row *rows, size_t n, int width)
{
	__u64 max = 0;
	size_t i;

	if (!f || width < 0 || width > 200)
		return -EINVAL;
	for (i = 0; i < n; i++)
		max = rows[i].count > max ? rows[i].count : max;
	if (!n)
		return 0;
	fprintf(f, "%s%24s : %-10s %s\n", indent, unit, "count", "distribution");
	for (i = 0; i < n; i++) {
		/* 128 bits: count * width may not fit in 64. */
		int bar = (int)((unsigned __int128)rows[i].count * width / max);

		fprintf(f, "%s%24s : %-10llu |", indent, rows[i].label,
			(unsigned long long)rows[i].count);
		for (int c = 0; c < width; c++)
			fputc(c < bar ? '*' : ' ', f);
		fputs("|\n", f);
	}
	return ferror(f) ? -EIO : 0;
}

int hmm_fmt_duration(char *buf, size_t n, __u64 ns)
{
	static const char *const units[] = {"us", "ms", "s"};
	__u64 step = 1, m, pow10 = 1;
	int digits = 1, frac, i;

	if (ns < 1000)
		return snprintf(buf, n, "%lluns", (unsigned long long)ns);
	for (m = ns; m >= 10; m /= 10)
		digits++;
	if (digits <= 12) {
		/* Keep 3 significant digits, rounding half up, in integers (ns < 10^12 here). */
		for (i = 0; i < digits - 3; i++)
			step *= 10;
		m = (ns + step / 2) / step;
		if (m == 1000) { /* 999.5 and up rounds into the next decade */
			m = 100;
			digits++;
		}
	}
	if (digits > 12) { /* 1000 s and up: whole seconds, without overflow near UINT64_MAX */
		m = ns / 1000000000 + (ns % 1000000000 >= 500000000);
		return snprintf(buf, n, "%llus", (unsigned long long)m);
	}
	/* digits 4..6: us, 7..9: ms, 10..12: s; 2, 1 or 0 digits after the point. */
	frac = 2 - (digits - 4) % 3;
	for (i = 0; i < frac; i++)
		pow10 *= 10;
	if (!frac)
		return snprintf(buf, n, "%llu%s", (unsigned long long)m, units[(digits - 4) / 3]);
	return snprintf(buf, n, "%llu.%0*llu%s", (unsigned long long)(m / pow10), frac,
			(unsigned long long)(m % pow10), units[(digits - 4) / 3]);
}
