/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* hmmtop: the session shared by main.c (sources, batch mode) and ui.c (the full-screen view). */
#ifndef HMMTOP_H
#define HMMTOP_H

#include <stdbool.h>
#include "../common.h"
#include "model.h"
#include "stats.h"
#include "ksyms.h"
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

struct top_app;

/*
 * Where the records come from: the ring buffer (live.c) or a trace file (replay.c). The session
 * (main.c, ui.c) sees only these; the records go into a->s, and the model is updated from it at
 * the end of each interval.
 */
struct top_src_ops {
	bool replay;
	/* Attach nothing yet: load or open what names drivers (a->syms) and says the page size
	 * (*page_shift, this machine's on entry). An EXIT_* status, said already. */
	int (*open)(struct top_app *a, unsigned int *page_shift);
	/* With a->s ready: start the records coming (live: attach) and set a->next_due. */
	int (*start)(struct top_app *a, struct hmm_tracer_opts *opts);
	/* Wait up to ms, taking in the records of the current interval meanwhile. */
	void (*pump)(struct top_app *a, int ms);
	/* End the current interval: its length, and the recorded time passed over before it. 0; 1
	 * when there is nothing left to show; -errno on a reading error (also in a->err). */
	int (*end_interval)(struct top_app *a, __u64 *elapsed_ns, __u64 *skipped_ns);
	/* Lost events and attach points not live, for the header. */
	void (*describe)(const struct top_app *a, struct top_source *src);
	/* Wall seconds between intervals (0: no waiting). */
	double (*step_s)(const struct top_app *a);
	void (*close)(struct top_app *a);
};

extern const struct top_src_ops top_live, top_replay;

struct top_live {
	struct hmm_tracer *t;
	struct hmm_ksyms *ks;	/* names drivers through a->syms, and --stacks' frames */
	struct hmm_stacktab *stacks; /* --stacks: those seen so far */
	__u32 not_live_mask;	/* 1 << enum hmm_attach_point */
	double last_update;	/* CLOCK_MONOTONIC seconds when the last interval ended */
};

struct top_replay {
	const char *path;
	struct hmm_trace_reader *r; /* also names drivers (its symbols are a->syms) */
	char not_live[512];	    /* attach points not live while recording */
	bool started;
	bool eof;	  /* every record was read */
	__u64 boundary;	  /* end of the interval being read (record time) */
	bool held;	  /* hold[] is the first record of a later interval */
	__u64 taken;	  /* records taken into the interval being read (an empty one may be
			     passed over: skip_gap()) */
	__u64 hold[8192]; /* aligned room for one record (hdr.size is 16 bits) */
};

struct top_app {
	const struct top_src_ops *src;
	struct top_model *m;
	struct hmm_stats *s;
	struct hmm_symtab *syms; /* names drivers: the source's */
	/* the frames of cause stacks (the source's: live with --stacks, or the file's); NULL: none */
	const struct hmm_stacktab *stacks;
	__u64 interval_ns;
	double speed;	     /* replay: recorded seconds per wall second; 0: no waiting */
	unsigned long count; /* -n: stop after this many intervals; 0: never */
	__u32 pid, owner;    /* filters (in the kernel live, by the source in a replay) */
	bool paused;
	bool batch;	     /* -b: text on stdout, notes on stderr (the full screen shows them) */
	bool ended;	     /* replay: every record was shown */
	int err;	     /* a reading error, reported at exit */
	char what[300];	     /* "live" or "replay FILE" */
	double next_due;     /* CLOCK_MONOTONIC seconds when the next interval is due */
	struct top_live live;
	struct top_replay replay;
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
