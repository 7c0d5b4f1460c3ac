/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* hmmtop: the session shared by main.c (sources, batch mode) and ui.c (the full-screen view). */
#ifndef HMMTOP_H
#define HMMTOP_H

#include <stdbool.h>
#include "../common.h"
#include "model.h"
#include "stats.h"
#include "symtab.h"
#include "trace.h"

/* Exit statuses, documented in hmmtop(8). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1, /* a runtime error: terminal unusable, not a trace file, I/O */
	EXIT_USAGE = 2,
	EXIT_NONE = 3, /* live: nothing could be attached */
};

/* Smallest terminal the full-screen view draws in. */
#define TOP_MIN_COLS  80
#define TOP_MIN_LINES 20

struct top_app {
	struct top_model *m;
	struct hmm_stats *s;
	struct hmm_symtab *syms;     /* names drivers: the replay's reader's, or own_syms */
	struct hmm_symtab *own_syms; /* live: from /proc/kallsyms */
	struct hmm_tracer *t;	    /* live */
	struct hmm_trace_reader *r; /* replay */
	const char *path;	    /* replay file */
	__u64 interval_ns;
	double speed;	     /* replay: recorded seconds per wall second; 0: no waiting */
	unsigned long count; /* -n: stop after this many intervals; 0: never */
	__u32 pid, owner;    /* filters (in the kernel live, here in a replay) */
	bool paused;
	bool batch;	     /* -b: text on stdout, notes on stderr (the full screen shows them) */
	bool ended;	     /* replay: every record was shown */
	int err;	     /* a reading error, reported at exit */
	char what[300];	     /* "live" or "replay FILE" */
	char not_live[512];  /* replay: attach points not live while recording */
	__u32 not_live_mask; /* live */

	/* pacing */
	double next_due;    /* CLOCK_MONOTONIC seconds when the next interval is due */
	double last_update; /* live: when the last interval ended */
	/* replay */
	bool started;
	bool eof;	  /* every record was read */
	__u64 boundary;	  /* end of the interval being read (record time) */
	bool held;	  /* hold[] is the first record of a later interval */
	__u64 taken;	  /* records taken into the interval being read (an empty one may be
			     passed over: skip_gap()) */
	__u64 hold[8192]; /* aligned room for one record (hdr.size is 16 bits) */
};

/* Milliseconds until the next interval is due (0: due now); large while paused. */
int top_ms_to_due(const struct top_app *a);
/* Wait up to ms, consuming records meanwhile: the ring buffer (live) or the file up to the end
 * of the current interval (replay). */
void top_pump(struct top_app *a, int ms);
/* End the current interval and update the model. 0; 1 when a replay has nothing left to show
 * (the last interval was shown before); -errno on a reading error. */
int top_tick(struct top_app *a);

/* The next interval one interval from now (after a step or a pause). */
void top_restart_clock(struct top_app *a);

/* The full-screen view until q, a signal or -n; returns the exit status. */
int top_ui_run(struct top_app *a);

#endif
