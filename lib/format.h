/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* One line per record: aligned text or a JSON object (field names in hmmtrace(8)), each record
 * type's part written by its descriptor (lib/rec.h) with the helpers below. */
#ifndef HMMSCOPE_FORMAT_H
#define HMMSCOPE_FORMAT_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>
#include "hmmscope.h"
#include "output.h"
#include "ksyms.h"
#include "symtab.h"
#include "stacktab.h"

struct hmm_fmt {
	FILE *out;
	bool json;
	__u64 base_ts;		/* text timestamps are seconds since this (CLOCK_MONOTONIC ns) */
	struct hmm_ksyms *ksyms; /* NULL: addresses stay numeric, drivers "unknown" */
	struct hmm_symtab *syms; /* if set, asked instead of ksyms (replays: the file's table) */
	__u64 stall_ns;		 /* threshold of the "stall" flags; 0: the default */
	const struct hmm_stacktab *stacks; /* cause stacks' frames (JSON "frames"); NULL: ids only */
};

void hmm_fmt_header(const struct hmm_fmt *fmt);
int hmm_fmt_record(const struct hmm_fmt *fmt, const struct hmm_rec_hdr *rec);
/* The record as the JSON object dump --json writes (the caller owns it); NULL for a type this
 * library does not know. */
json_t *hmm_fmt_json(const struct hmm_fmt *fmt, const struct hmm_rec_hdr *rec);
/* Driver name for a record's attribution address (ops->invalidate or caller). */
const char *hmm_fmt_driver(const struct hmm_fmt *fmt, __u64 addr);
/* The symbol an attribution address is in, or NULL. */
const char *hmm_fmt_sym(const struct hmm_fmt *fmt, __u64 addr);

/* For the descriptors' renderers (lib/rec_*.c): the same field written the same way everywhere. */
/* The invalidation blamed for an -EBUSY, or null. */
json_t *hmm_json_cause(const struct hmm_fmt *fmt, const struct hmm_cause *c);
/* A cause stack's frames as JSON strings "symbol+0xoffset", innermost first; null if unknown. */
json_t *hmm_json_stack(const struct hmm_stacktab *st, __u32 stack);
/* "driver" and "invalidate_fn" of an attribution address. */
void hmm_json_attrib(const struct hmm_fmt *fmt, json_t *o, __u64 addr);
/* " cause=EVENT by COMM/PID AGO ago[ stack=N]" or " cause=unknown". */
void hmm_text_cause(char *buf, size_t n, const struct hmm_cause *c);
/* hmm_fmt_driver() through hmm_term_str(). */
const char *hmm_text_driver(const struct hmm_fmt *fmt, __u64 addr, char *buf, size_t n);


#endif
