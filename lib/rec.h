/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Record descriptors: everything userspace knows about one record type, in one place per type
 * (lib/rec_<name>.c), the way perf's struct perf_tool has one callback per event type. The
 * consumers (validation, aggregation, statistics, symbols, text and JSON, export, heatmap, hmmtop)
 * dispatch through hmm_rec_desc(), so a new record type is its BPF program, its struct and row in
 * bpf/hmmscope.h (HMM_REC_TYPES), its descriptor and its test: no switch elsewhere learns it.
 */
#ifndef HMMSCOPE_REC_H
#define HMMSCOPE_REC_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "hmmscope.h"
#include "agg.h"

struct hmm_fmt;
struct hmm_stats;

/* How the Chrome trace export shows a record (tools/hmmtrace/export.c). */
enum hmm_rec_chrome {
	HMM_CHROME_NONE = 0, /* not exported */
	HMM_CHROME_SLICE,    /* a complete slice on the caller's thread track */
	HMM_CHROME_SPAN,     /* an async span over the caller's track (retry chains) */
	HMM_CHROME_INSTANT,  /* a global instant (lost events) */
};

struct hmm_rec_desc {
	enum hmm_rec_type type;
	const char *name;  /* JSON "type", dump's EVENT column, hmmtrace(8) */
	size_t size;	   /* its struct's size: a shorter record is malformed, a longer one is a
			      newer writer's (fields appended) */
	bool event;	   /* false: the trace format's own bookkeeping (clock, sym): not shown,
			      not counted, not replayed (hmm_trace_replay()) */

	/* Accessors; NULL where the record has none. */
	const struct hmm_task *(*caller)(const struct hmm_rec_hdr *rec); /* who did the work */
	const struct hmm_task *(*owner)(const struct hmm_rec_hdr *rec);	 /* whose memory */
	__u64 (*dur)(const struct hmm_rec_hdr *rec);			 /* how long, ns */
	/* Attribution addresses (a notifier's ops->invalidate, a migration's driver and caller):
	 * symbols a writer records before the record (HMM_REC_SYM). At most 2; how many. */
	unsigned int (*addrs)(const struct hmm_rec_hdr *rec, __u64 addrs[2]);
	/* The cause stack it names (struct hmm_cause.stack), 0 for none: a writer records the
	 * stack's frames before the record (HMM_REC_STACK). */
	__u32 (*stack)(const struct hmm_rec_hdr *rec);

	/* Aggregation, exactly as bpf/ counts it in aggregation mode (agg.h). */
	void (*count)(__u64 *c, const struct hmm_rec_hdr *rec, unsigned int page_shift);
	void (*samples)(const struct hmm_rec_hdr *rec, hmm_sample_fn fn, void *ctx);
	/* hmm_stats__add() for this type: totals, histograms, its owner's and driver's groups and
	 * the tables only it feeds (lib/stats_impl.h). */
	void (*stats)(struct hmm_stats *s, const struct hmm_rec_hdr *rec);

	/* Text: dump's DETAILS column. A record without a caller is a line of its own: EVENT is
	 * its name in capitals and the details follow. */
	void (*text)(const struct hmm_fmt *fmt, const struct hmm_rec_hdr *rec, char *buf,
		     size_t n);
	/* JSON: its fields, after "type", "ts_ns" and "cpu" (hmmtrace(8) lists them). */
	void (*json)(const struct hmm_fmt *fmt, const struct hmm_rec_hdr *rec, json_t *o);

	/* Chrome trace export: how it shows, its slice's title, and the pages in flight while it
	 * runs (the "pages in flight" counters: 0 for none). */
	enum hmm_rec_chrome chrome;
	const char *(*title)(const struct hmm_rec_hdr *rec, char *buf, size_t n);
	__u64 (*pages)(const struct hmm_rec_hdr *rec);
	/* The heatmap panel of its durations; NULL: no panel. */
	const char *heat;
	/* Whether the record ends a retry chain that is a stall, and why (HMM_STALL_*, stats.h):
	 * a chain record, or a lone hmm_range_fault() call (a chain of one). NULL: never. */
	unsigned int (*stall)(const struct hmm_rec_hdr *rec, __u64 stall_ns);
};

/* d->stall(rec, stall_ns), 0 for a type without chains or not known; stall_ns 0: the default
 * threshold (HMM_STALL_NS_DEFAULT). */
unsigned int hmm_rec_stall(const struct hmm_rec_hdr *rec, __u64 stall_ns);

/* d->stack(rec): the cause stack a record names, 0 for none or a type without causes. */
__u32 hmm_rec_cause_stack(const struct hmm_rec_hdr *rec);

/* The descriptor of a type this library knows, or NULL (a newer writer's type: skip it). */
static inline const struct hmm_rec_desc *hmm_rec_desc(__u16 type)
{
	extern const struct hmm_rec_desc *const hmm_rec_descs[HMM_REC_TYPE_MAX];

	return type < HMM_REC_TYPE_MAX ? hmm_rec_descs[type] : NULL;
}

/* Every descriptor, in type order: for (d = hmm_rec_next(NULL); d; d = hmm_rec_next(d)). */
const struct hmm_rec_desc *hmm_rec_next(const struct hmm_rec_desc *d);

/* A record's own struct from its header, for descriptor files: REC(fault, hdr). */
#define REC(name, hdr) ((const struct hmm_rec_##name *)(hdr))

/* The accessors most descriptors have, from a field of their struct: REC_TASK(caller, fault,
 * caller) defines caller(h), returning &REC(fault, h)->caller; REC_U64(dur, fault, dur_ns) dur(h). */
#define REC_TASK(fn, name, field)                                                                \
	static const struct hmm_task *fn(const struct hmm_rec_hdr *h)                             \
	{                                                                                          \
		return &REC(name, h)->field;                                                        \
	}
#define REC_U64(fn, name, field)                                                                 \
	static __u64 fn(const struct hmm_rec_hdr *h)                                              \
	{                                                                                          \
		return REC(name, h)->field;                                                         \
	}

#define HMM_REC_DECLARE(NAME, name, nr) extern const struct hmm_rec_desc hmm_rec_##name;
HMM_REC_TYPES(HMM_REC_DECLARE)
#undef HMM_REC_DECLARE

#endif /* HMMSCOPE_REC_H */
