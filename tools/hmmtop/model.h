/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What hmmtop shows, without curses: rows per owner process or per driver built from struct
 * hmm_stats (lib/stats.h) at the end of each interval, their rates, sorting, the pid filter, the
 * selection and the header totals. ui.c draws it, batch mode prints it, the unit test feeds it
 * made-up records.
 *
 *	m = top_model__new();
 *	... hmm_stats__add(s, rec) for every record of the interval ...
 *	top_model__update(m, s, elapsed_ns, &src);	rows and rates of the interval
 *	m->rows[i], m->n_rows, top_fmt_cell(), top_model__select() ...
 *
 * Rates are the difference between the stats' cumulative counters now and at the previous
 * update, per second of elapsed_ns. The model keeps the previous counters per group and for both
 * groupings, so switching grouping shows rates at once. Latency percentiles are those of the
 * interval (the difference of the cumulative histograms); an interval without faults has none.
 */
#ifndef HMMTOP_MODEL_H
#define HMMTOP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "stats.h"

enum top_group {
	TOP_BY_OWNER = 0, /* one row per mm owner process */
	TOP_BY_DRIVER,	  /* one row per driver */
	TOP_GROUP_MAX,
};

/* Table columns, left to right. */
enum top_col {
	TOP_COL_PID = 0, /* owner pid ("-" for drivers) */
	TOP_COL_NAME,	 /* comm or driver */
	TOP_COL_FAULTS,	 /* hmm_range_fault calls per second */
	TOP_COL_P50,	 /* fault latency of the interval, ns (upper bound of its bucket) */
	TOP_COL_P99,
	TOP_COL_EBUSY,	 /* -EBUSY returns per second */
	TOP_COL_CHAIN,	 /* longest retry chain so far, attempts */
	TOP_COL_STALLS,	 /* stalls so far (lib/stats.h: --stall-ms long, or timed out) */
	TOP_COL_TODEV,	 /* migrations to the device per second */
	TOP_COL_TOSYS,	 /* migrations to system memory per second */
	TOP_COL_MOVED,	 /* pages moved per second, both directions */
	TOP_COL_STAYED,	 /* pages collected but not moved per second */
	TOP_COL_RTRIP,	 /* round trips (migrated and back within the window) per second */
	TOP_COL_INVAL,	 /* invalidations of its memory per second */
	TOP_COL_INVTIME, /* time in those invalidations, ns per second */
	TOP_COL_TOTAL,	 /* hmm_range_fault calls since the start */
	TOP_COL_MAX,
};

struct top_col_info {
	const char *title; /* table header */
	const char *desc;  /* one line for the help screen and hmmtop(8) */
	int width;
	bool left;	/* left-aligned (text) */
	bool ascending; /* default sort order */
};

const struct top_col_info *top_col_info(enum top_col col);
/* Column by its title, case-insensitive ("FLT/s", "p99", "name"...); -1 if none. */
int top_col_by_name(const char *name);

struct top_row {
	const struct hmm_stats_group *g; /* valid while the stats live */
	size_t gidx;			 /* index in stats->owners or ->drivers */
	__u32 pid;			 /* owner pid, 0 for drivers */
	double v[TOP_COL_MAX];		 /* the value of each numeric column (NAME: 0) */
	bool has_lat;			 /* P50/P99 are known: the interval had faults */
	/* Counts of the interval (not per second), for the detail pane and for scripts. */
	__u64 d_faults, d_ebusy, d_todev, d_tosys, d_moved, d_stayed, d_inval, d_inval_ns;
	__u64 d_stalls;
	__u64 d_rtrip;
	__u64 d_inval_ev[HMM_EV_MAX];
	double inval_ev_rate[HMM_EV_MAX]; /* per second, by event type */
	__u64 inval_total;		  /* invalidations since the start, all types */
	struct hmm_hist d_fault_ns; /* the interval's fault latencies */
};

/* Header totals, per second over the interval, from the stats' global counters. */
struct top_totals {
	double faults, ebusy, retries, todev, tosys, moved, stayed, inval, uffd;
	__u64 d_faults, d_ebusy, d_todev, d_tosys, d_moved, d_inval; /* counts of the interval */
	__u64 records;						     /* records seen so far */
	__u64 stalls, d_stalls; /* stalls so far, and in the interval */
};

/* Where the records come from, for the header. */
struct top_source {
	__u64 lost;	      /* events lost so far: ring-buffer and state drops, or lost records */
	__u32 not_live_mask;  /* attach points not live, 1 << enum hmm_attach_point */
	const char *not_live; /* or their names, comma-separated (replay: from the trace) */
	__u64 skipped_ns;     /* replay: recorded time without events passed over before this
				 interval (not an interval: counts in the uptime, not in rates) */
};

struct top_model {
	enum top_group group;
	enum top_col sort;
	bool reverse;	  /* the opposite of the column's default order */
	__u32 pid_filter; /* 0: all; owner rows of this pid only (driver rows are not filtered) */

	struct top_row *rows; /* sorted, filtered */
	size_t n_rows;
	size_t selected; /* index in rows; meaningless when n_rows == 0 */
	size_t top;	 /* first row shown (scrolling, kept by top_model__scroll()) */

	struct top_totals tot;
	struct top_source src;
	__u64 elapsed_ns;	 /* of the last interval */
	__u64 session_ns;	 /* sum of the intervals so far */
	unsigned long intervals; /* updates so far */

	struct top_model_priv *priv;
};

struct top_model *top_model__new(void);
void top_model__free(struct top_model *m);

/*
 * End of an interval of elapsed_ns: rows, rates and totals from s against the previous update,
 * then the previous counters become s's. The selection stays on the same group when it is still
 * shown. src may be NULL. Returns 0 or -ENOMEM. elapsed_ns 0 gives rates of 0.
 */
int top_model__update(struct top_model *m, const struct hmm_stats *s, __u64 elapsed_ns,
		      const struct top_source *src);

/* Re-sort and re-filter the rows of the last update (after a change of sort, reverse, pid_filter
 * or group); keeps the selection on the same group when it is still shown. */
int top_model__refresh(struct top_model *m, const struct hmm_stats *s);

void top_model__set_sort(struct top_model *m, enum top_col col);
/* Next (+1) or previous (-1) sort column, wrapping. */
void top_model__sort_step(struct top_model *m, int dir);
void top_model__set_group(struct top_model *m, enum top_group g);
/* Move the selection by delta rows, clamped. */
void top_model__select(struct top_model *m, long delta);
/* Keep the selection inside a window of visible rows; returns the new first visible row. */
size_t top_model__scroll(struct top_model *m, size_t visible);
/* The selected row, or NULL. */
const struct top_row *top_model__selected(const struct top_model *m);
/* The row's i-th most recent -EBUSY cause (0: the newest), or NULL past those kept. */
const struct hmm_stats_cause *top_row_cause(const struct top_row *r, unsigned int i);

/* One cell, right- or left-aligned to the column width (no trailing padding for the last). */
int top_fmt_cell(const struct top_row *r, enum top_col col, char *buf, size_t n);
/* A count or rate in at most 6 characters: "0", "12", "3.5", "12.3k", "4.56M". */
int top_fmt_rate(char *buf, size_t n, double v);
/* The table header line and one row line, columns that fit in width, no newline. */
int top_fmt_header(char *buf, size_t n, int width);
int top_fmt_row(const struct top_row *r, char *buf, size_t n, int width);
/* Header totals as one line ("faults 12/s  -EBUSY 0/s ..."). */
int top_fmt_totals(const struct top_model *m, char *buf, size_t n);
/* Names of the attach points not live ("" when all are), comma-separated. */
int top_fmt_not_live(const struct top_model *m, char *buf, size_t n);

/* The batch-mode text of one interval: header lines, the table, a blank line. */
int top_print_batch(const struct top_model *m, FILE *f, const char *what, int width);

#endif /* HMMTOP_MODEL_H */
