/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Userspace side of struct hmm_hist (bpf/hmmscope.h): building, merging, reading and printing
 * the base-2 log-linear histograms that BPF fills per CPU.
 *
 * The grid: slot 0 holds 0, slot s in 1 .. HMM_HIST_OVERFLOW-1 covers (lower(s), upper(s)] with
 * upper(s) = 2^((s-1)/8), and slot HMM_HIST_OVERFLOW holds everything above 2^HMM_HIST_OCTAVES.
 * Slots tile [0, inf): lower(s) == upper(s-1), so slot 1 is shown as (0, 1] (Prometheus calls
 * it (2^(-1/8), 1]; for integer values the two are the same bucket).
 *
 * What is exact and what is not:
 *  - merging is exact (counts add slot by slot), across CPUs and across hosts;
 *  - folding into classic "le" buckets is exact when every bound is a slot upper edge, which
 *    hmm_hist_fold() enforces; powers of two always are;
 *  - a quantile is only known to its bucket: hmm_hist_quantile() returns the bucket's upper
 *    bound, at most 2^(1/8) (about 9%) above the true value.
 *
 * Values are integers in a raw unit (ns, pages, attempts); "unit" parameters scale the raw unit
 * into the one shown or exported (1e-9: ns to seconds). Nothing here prints to stdout or exits:
 * errors are negative errno values.
 */
#ifndef HMMSCOPE_LIB_HIST_H
#define HMMSCOPE_LIB_HIST_H

#include <linux/types.h>
#include "../bpf/hmmscope.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* 2^HMM_HIST_OCTAVES: the largest finite bound, the upper edge of slot HMM_HIST_OVERFLOW - 1. */
#define HMM_HIST_MAX_FINITE (1ULL << HMM_HIST_OCTAVES)

/* Record one value in its slot (hmm_hist_slot(v), which the caller has already: several
 * histograms take one value): count++, sum += v (plain u64, wraps), one slot++. */
static inline void hmm_hist_add_slot(struct hmm_hist *h, __u64 v, __u32 slot)
{
	h->count++;
	h->sum += v;
	h->slots[slot]++;
}

/* The same, the slot found here. Inline: replay adds several per event. */
static inline void hmm_hist_add(struct hmm_hist *h, __u64 v)
{
	hmm_hist_add_slot(h, v, hmm_hist_slot(v));
}

/* dst += src, field by field: exact, for per-CPU copies as for histograms from other hosts. */
/* Counts (count, slots) that would pass 2^64 stay at 2^64 - 1 (a wrap would read as a small
 * count): true when any did. The sum wraps, as hmm_hist_add() adds it. */
bool hmm_hist_merge(struct hmm_hist *dst, const struct hmm_hist *src);

/*
 * Sum of the slots. Equal to h->count for a histogram read at rest; a per-CPU copy read while
 * BPF updates it can be off by one, and the slots are what the bucket functions below use, so
 * exporters should take this, not h->count, as the +Inf bucket.
 */
__u64 hmm_hist_total(const struct hmm_hist *h);

/*
 * Bounds of a slot in the raw unit: upper is 0 for slot 0, 2^((slot-1)/8) for finite slots
 * (exact, through ldexp(), when that is a power of two) and INFINITY for the overflow slot;
 * lower is 0 for slots 0 and 1, upper(slot - 1) otherwise. Slots past the overflow slot are
 * treated as the overflow slot.
 */
double hmm_hist_slot_upper(__u32 slot);
double hmm_hist_slot_lower(__u32 slot);

/*
 * hmm_hist_quantile() - the q-quantile, as the upper bound of its bucket.
 * Returns ceil(upper) of the slot holding the value of rank ceil(q * total) (1-based, at least
 * 1), so the true value is <= the result and the result is at most 2^(1/8) (about 9%) above it,
 * plus the rounding to an integer. q is clamped to [0, 1]; q = 1 gives the highest non-empty
 * bucket, q = 0 the lowest. An empty histogram gives 0. When the rank falls in the overflow
 * bucket the result is HMM_HIST_MAX_FINITE, which only says "more than that", and *overflow is
 * set; otherwise *overflow is cleared. overflow may be NULL.
 */
__u64 hmm_hist_quantile(const struct hmm_hist *h, double q, bool *overflow);

/* ceil(upper bound) of the highest non-empty finite slot; 0 if there is none. */
__u64 hmm_hist_max_bound(const struct hmm_hist *h);

/*
 * hmm_hist_fold() - cumulative counts for Prometheus classic buckets.
 * @le:      n_le strictly increasing, finite bounds in the exported unit (e.g. seconds)
 * @unit:    size of one raw unit in the exported unit (1e-9 for ns shown as seconds)
 * @cum_out: n_le counts: cum_out[k] = number of values <= le[k]
 *
 * Each le[k] / unit must be a slot upper edge (0, or 2^(i/8) for i in 0 .. 8*HMM_HIST_OCTAVES)
 * within 1e-9 relative: only then is "values <= le" a whole number of slots, so the fold is
 * exact instead of an interpolation. The overflow slot never counts in a finite bound; the
 * implied +Inf bucket is hmm_hist_total(). Returns 0, or -EINVAL (nothing written) for a bound
 * that is not an edge, not finite, not increasing, or a unit that is not positive and finite.
 */
int hmm_hist_fold(const struct hmm_hist *h, const double *le, size_t n_le, double unit,
		  __u64 *cum_out);

/*
 * hmm_hist_default_le() - the bounds lo, 2*lo, 4*lo, .. hi (raw unit), each times unit.
 * lo and hi must be powers of two with 1 <= lo <= hi <= HMM_HIST_MAX_FINITE; multiplying by a
 * power of two is exact, so every bound passes hmm_hist_fold() with the same unit. Writes at most
 * max bounds and returns how many it wrote; 0 for invalid lo/hi.
 */
size_t hmm_hist_default_le(double *le, size_t max, double unit, __u64 lo, __u64 hi);

/*
 * The one text chart (bcc's print_log2_hist()): a row per octave of the grid, (2^(k-1), 2^k] raw
 * units, row 0 holding 0 and 1 and the last row everything past 2^HMM_HIST_OCTAVES, from the
 * lowest to the highest non-empty row. Sub-buckets are summed: a chart is read at a glance, the
 * JSON has them all. Model and view apart: hmm_hist_chart() makes the rows (the report prints
 * them with hmm_chart_fprint(), hmmtop draws them with curses).
 */
#define HMM_CHART_ROWS (HMM_HIST_OCTAVES + 2)

struct hmm_chart_row {
	char label[48]; /* durations: "0.256 -> 0.512" (raw / div); integers: "2", "3 - 4" */
	__u64 count;
};

/* The rows of h; @integer: label each row by the integers it holds (attempts: "1", "2",
 * "3 - 4", "5 - 8"), otherwise by its range in raw units / @div. Returns how many (0: empty). */
size_t hmm_hist_chart(const struct hmm_hist *h, bool integer, double div,
		      struct hmm_chart_row rows[HMM_CHART_ROWS]);
/* A header (@unit, "count", "distribution") and a bar per row, the largest count @width
 * characters wide, each line after @indent. 0, -EINVAL or -EIO. */
int hmm_chart_fprint(FILE *f, const char *indent, const char *unit,
		     const struct hmm_chart_row *rows, size_t n, int width);

/*
 * hmm_fmt_duration() - ns as a short human string with 3 significant digits:
 * "812ns", "3.40us", "12.1ms", "1.50s"; 1000 s and more as whole seconds ("1234s").
 * Rounds half up, moving to the next unit when rounding reaches 1000 (999999ns is "1.00ms").
 * Returns snprintf()'s result.
 */
int hmm_fmt_duration(char *buf, size_t n, __u64 ns);

#endif /* HMMSCOPE_LIB_HIST_H */
