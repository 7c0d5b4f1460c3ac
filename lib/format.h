/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* One line per record: aligned text or a JSON object (field names in hmmtrace(8)). */
#ifndef HMMSCOPE_FORMAT_H
#define HMMSCOPE_FORMAT_H

#include <stdbool.h>
#include <stdio.h>
#include "hmmscope.h"
#include "ksyms.h"
#include "symtab.h"

struct hmm_fmt {
	FILE *out;
	bool json;
	__u64 base_ts;		/* text timestamps are seconds since this (CLOCK_MONOTONIC ns) */
	struct hmm_ksyms *ksyms; /* NULL: addresses stay numeric, drivers "unknown" */
	struct hmm_symtab *syms; /* if set, asked instead of ksyms (replays: the file's table) */
};

void hmm_fmt_header(const struct hmm_fmt *fmt);
int hmm_fmt_record(const struct hmm_fmt *fmt, const struct hmm_rec_hdr *rec);
/* Driver name for a record's attribution address (ops->invalidate or caller). */
const char *hmm_fmt_driver(const struct hmm_fmt *fmt, __u64 addr);

#endif
