/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * hmmtrace diff's lines, apart from drawing them (as hmmtop's model.c): every line is a row of
 * one table (a name, a unit and how its value comes from a recording's struct hmm_stats and
 * header), computed for A and for B with the relative change, then sorted by the largest change.
 * diff.c renders the lines as text or JSON; tests/unit/test_diff.c checks every number.
 */
#ifndef HMMTRACE_DIFF_LINES_H
#define HMMTRACE_DIFF_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include "stats.h"

struct hmm_trace_meta;

/* One recording as the lines read it. */
struct diff_side {
	const struct hmm_stats *s;
	const struct hmm_trace_meta *m; /* its page size; NULL: 4096 bytes */
};

enum diff_unit {
	DIFF_NS,       /* a duration */
	DIFF_COUNT,    /* events or pages */
	DIFF_PER_CALL, /* per hmm_range_fault() call */
	DIFF_PER_S,    /* per second of recording */
	DIFF_GBPS,     /* bytes moved per ns of migration: GB/s */
};

/* What one row of the table stands for: one line, or one line per direction, event, name. */
enum diff_dim {
	DIFF_ONE,
	DIFF_BY_DIR,	/* each migration direction */
	DIFF_BY_EVENT,	/* each invalidation event type */
	DIFF_BY_OWNER,	/* each of the top owner processes of A and of B, matched by name */
	DIFF_BY_DRIVER, /* each of the top drivers of A and of B */
};

/* Where a row's getter reads: one recording, and the direction, event or group of the line. */
struct diff_at {
	const struct diff_side *d;
	int idx;			 /* the direction or event (DIFF_BY_DIR, DIFF_BY_EVENT) */
	const struct hmm_stats_group *g; /* the owner or driver, all zero when the recording has
					    none of that name (DIFF_BY_OWNER, DIFF_BY_DRIVER) */
};

struct diff_row {
	const char *key;   /* JSON "metric" */
	const char *label; /* text */
	enum diff_unit unit;
	enum diff_dim dim;
	double (*get)(const struct diff_at *at, const struct diff_row *row);
	int arg;  /* the getter's: a counter (enum hmm_counter) or a metric (enum hmm_metric) */
	double q; /* quantile rows: the quantile; 1 is the maximum */
};

struct diff_line {
	const struct diff_row *row;
	int idx;		       /* DIFF_BY_DIR, DIFF_BY_EVENT: the direction or event */
	char name[HMM_STATS_NAME_LEN]; /* DIFF_BY_OWNER, DIFF_BY_DRIVER: the comm or driver */
	double a, b;
	double change; /* per cent, (b - a) / a * 100; INFINITY when a is 0 and b is not */
	size_t order;  /* in the table's order: ties keep it */
};

struct diff_opts {
	double min_change; /* per cent: lines that changed less are left out; 0: none are */
	size_t limit;	   /* at most this many lines; 0: every line */
};

struct diff_result {
	struct diff_line *lines; /* largest |change| first, then in table order */
	size_t n;
	size_t n_hidden; /* left out by min_change or limit (lines 0 in both are never lines) */
};

/* Owners and drivers compared: the top ones of each recording by time, as report lists them. */
#define DIFF_TOP_N 10

/* The lines of A against B. 0, or -ENOMEM (out is empty then). */
int diff_compute(const struct diff_side *a, const struct diff_side *b, const struct diff_opts *o,
		 struct diff_result *out);
void diff_result_free(struct diff_result *r);

/* The span of a recording's events, first start to last end (ns), as report gives it. */
__u64 diff_duration_ns(const struct hmm_stats *s);
/* "ns", "count", "per_call", "per_s", "GB/s" (JSON "unit"). */
const char *diff_unit_str(enum diff_unit u);
/* "up", "down" or "same" (JSON "trend"). */
const char *diff_trend(const struct diff_line *l);

/* Text cells. The line's name: "fault latency p99", "pages moved to_device",
 * "invalidations/s clear", "owner alpha faults"; a name from the recording through
 * hmm_term_str(). */
const char *diff_label(char *buf, size_t n, const struct diff_line *l);
/* A value in its unit: "65.5us", "128", "0.0426", "3.31", "16.384". */
const char *diff_value_str(char *buf, size_t n, enum diff_unit u, double v);
/* The change: "+12.3%", "-4.0%"; "same" when equal, "new" from 0, "gone" to 0. */
const char *diff_change_str(char *buf, size_t n, const struct diff_line *l);

#endif /* HMMTRACE_DIFF_LINES_H */
