/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The exporter's model: a snapshot of the in-kernel counters and histograms rendered into the
 * Prometheus text format 0.0.4, and a validator for that format's invariants. Neither knows about
 * HTTP or the tracer, so unit tests render made-up states and compare them byte for byte.
 *
 * Histograms are exported as classic histograms whose "le" bounds are fixed powers of two of the
 * raw unit (see prom_le_bounds()), each an exact edge of the base-2 log-linear grid: folding is
 * exact, and the same bounds on every host make `sum by (le)` across hosts exact. Values above
 * the top finite bound are counted in "+Inf" only. "+Inf" and "_count" are hmm_hist_total().
 */
#ifndef HMM_EXPORTER_PROM_H
#define HMM_EXPORTER_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "../../lib/hmmscope.h"

/* A growable text buffer; on allocation failure it stops growing and sets oom. */
struct prom_buf {
	char *data;
	size_t len;
	size_t cap;
	bool oom;
};

void prom_buf_reset(struct prom_buf *b);
void prom_buf_free(struct prom_buf *b);
void prom_buf_printf(struct prom_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A label value with \, " and newline escaped (text format 0.0.4). */
void prom_buf_label_value(struct prom_buf *b, const char *s);

/* One in-kernel histogram with its driver already resolved to a name ("none" for no driver). */
struct prom_hist {
	struct hmm_hist_key key;
	const char *driver;
	const struct hmm_hist *h;
};

/* One attach point for hmm_exporter_probe_info. */
struct prom_probe {
	const char *func;
	const char *state; /* hmm_ap_state_str() */
	const char *mode;  /* "fentry", "kprobe" or "none" */
};

/*
 * Per-process counters (--per-process N): the owner processes' in-kernel counters, with labels
 * pid and comm for at most N of them and one pid="other" series for everything else, so the label
 * set stays bounded. Every exported value only grows, whatever owners come and go:
 *  - between two updates each owner's growth (delta) goes to its labelled series, or to other;
 *  - a label is sticky: an owner keeps it while it is in the kernel's map, and once it has
 *    exited, until another owner needs the slot;
 *  - a free slot goes to the unlabelled owner with the most time in faults and migrations; what it
 *    did before (already in other) stays in other, except for an owner seen for the first time;
 *  - an owner that leaves the map (evicted) or gives up its label folds its labelled series into
 *    other;
 *  - pid 0 (owner unknown) is always other.
 */
enum prom_pv {
	PV_FAULT_CALLS = 0,
	PV_FAULT_NS,
	PV_FAULT_EBUSY,
	PV_FAULT_PAGES,
	PV_MIGRATIONS, /* + enum hmm_migrate_dir */
	PV_MOVED = PV_MIGRATIONS + HMM_DIR_MAX, /* + dir */
	PV_MIGRATE_NS = PV_MOVED + HMM_DIR_MAX,
	PV_INVAL,
	PV_INVAL_NS,
	PV_MAX,
};

/* One owner as the kernel's map has it now. */
struct prom_owner {
	__u32 pid;
	char comm[HMM_COMM_LEN]; /* NUL-terminated, any other bytes */
	bool gone;		 /* the process has exited (the caller checks) */
	__u64 v[PV_MAX];
};

void prom_owner_set(struct prom_owner *o, __u32 pid, const struct hmm_owner_stats *st);

/* An owner tracked between updates. */
struct prom_proc {
	__u32 pid;
	bool labelled;
	bool gone;
	char comm[HMM_COMM_LEN]; /* at first sight; invalid UTF-8 replaced by '?' */
	__u64 last[PV_MAX];	 /* its counts at the last update */
	__u64 series[PV_MAX];	 /* its labelled series (labelled only) */
};

struct prom_procs {
	unsigned int max_labels; /* N */
	struct prom_proc *p;	 /* by pid */
	size_t n, cap;
	__u64 other[PV_MAX];
};

/* Account a new snapshot of the map (in is reordered). Returns 0 or -ENOMEM (state unchanged). */
int prom_procs_update(struct prom_procs *pp, struct prom_owner *in, size_t n);
void prom_procs_free(struct prom_procs *pp);

struct prom_state {
	const __u64 *counters; /* HMM_C_MAX entries, summed over CPUs */
	const struct prom_hist *hists;
	size_t n_hists;
	const struct prom_probe *probes;
	size_t n_probes;
	/* Self metrics; version NULL leaves all of them out. */
	const char *version;
	const char *kernel_release;
	double last_render_seconds; /* how long the previous render took */
	__u64 renders;		    /* renders before this one */
	const struct prom_procs *procs; /* NULL: no per-process families */
	__u64 stall_ns;			/* stall threshold (--stall-ms); 0: the default */
	__u64 thrashing_ranges;		/* ranges thrashing now (hmm_tracer__thrashing()) */
};

/*
 * Render the state into b (appending). Families come in a fixed order; series of a histogram
 * family in the order (driver, label). Every counter family is rendered with every value of its
 * bounded label set, zeros included; histogram families only with the series the kernel has, and
 * hmm_fault_stalls_total (derived from the chain-duration histograms: hmm_chain_hist_stalls())
 * with a series for each driver that has one.
 * Returns 0, -EINVAL for a bad state or -ENOMEM.
 */
int prom_render(struct prom_buf *b, const struct prom_state *s);

/* The exported "le" bounds of a metric (enum hmm_metric) in its exported unit; returns how many
 * (at most max), 0 for an unknown metric. */
size_t prom_le_bounds(__u16 metric, double *le, size_t max);
#define PROM_MAX_LE 64

/* A double in the shortest form that reads back to the same value ("+Inf" for infinity). */
void prom_fmt_double(char *buf, size_t n, double v);

/*
 * prom_validate() - check text in the 0.0.4 format for the invariants the exporter promises:
 * well-formed lines and labels, at most one HELP and one TYPE per family, TYPE before the
 * family's samples, each family's samples contiguous, counter names ending in _total and counter
 * values >= 0, and per histogram series: "le" bounds strictly increasing and ending in "+Inf",
 * cumulative counts non-decreasing, "+Inf" equal to _count, _sum and _count present once.
 * Returns 0, or -1 with a message naming the line in err.
 */
int prom_validate(const char *text, size_t len, char *err, size_t errlen);

#endif
