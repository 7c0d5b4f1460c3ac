/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The trace reader's insides, shared by its two parts: trace_reader.c (I/O, the header, chunks,
 * damage and recovery) and trace_readahead.c (the thread that reads ahead). The decoding of delta
 * coded chunks is the codec's own (trace_delta.h, struct delta_dec). Internal to lib/.
 */
#ifndef HMMSCOPE_TRACE_INTERNAL_H
#define HMMSCOPE_TRACE_INTERNAL_H

#include <libdeflate.h>
#include "internal.h"
#include "kmap.h"
#include "rec.h"
#include "symtab.h"
#include "stacktab.h"
#include "trace.h"
#include "trace_delta.h"

struct hmm_trace_reader {
	int fd;			  /* -1: reading from mem */
	const unsigned char *mem; /* hmm_trace_reader__open_mem() */
	size_t mem_len;
	char *name;
	struct hmm_trace_meta meta;
	__u64 data_off; /* the first chunk */
	__u64 off;	/* the next block */
	bool done;
	struct libdeflate_decompressor *z;
	unsigned char *comp; /* the current chunk as stored (extension + payload) */
	size_t comp_cap;
	unsigned char *raw; /* ... and its records: next() points into it */
	size_t raw_cap, raw_len, pos;
	size_t good_len; /* raw_len, or where a malformed delta coding stopped the decoding */
	/* A delta coded chunk: inflated into x, decoded into raw as a whole (trace_delta.h). */
	bool delta;
	unsigned char *x;
	size_t x_cap;
	struct delta_dec dec;
	__u64 chunk_off, chunk_bytes; /* of the current chunk, for messages */
	__u64 next_seq;
	bool seq_known;
	struct kmap seqs_read; /* the chunks read, by sequence number: a copy is skipped */
	unsigned char *scan;
	struct hmm_trace_read_stats st;
	struct readahead *ra; /* hmm_trace_reader__readahead() */
	/* With read-ahead: the batch being walked, its record offsets in raw (trace_readahead.c);
	 * next() takes its records here and asks the read-ahead only for the next batch. */
	struct ra_cursor {
		const unsigned char *raw;
		const __u32 *recs;
		size_t i, n;
	} rac;
	struct hmm_symtab *syms; /* the file's HMM_REC_SYM records, as next() passes them */
	struct hmm_stacktab *stacks; /* its HMM_REC_STACK records, the same way */
};

/* Load the next intact chunk into r->raw: 1, 0 at the end, or -errno. */
int trace_next_chunk(struct hmm_trace_reader *r);
/* The next record of the current chunk: 1, or 0 when the chunk has no more. */
int trace_chunk_next(struct hmm_trace_reader *r, const struct hmm_rec_hdr **rec);

/* Read-ahead (trace_readahead.c): next() while the worker runs; stop it (and forget what it read
 * ahead, and its stats), start it again from where the reader is, its stats (those of the batch
 * being walked), free it. */
struct readahead;
/* The next batch's first record, once r->rac is walked. */
int trace_ra_next(struct hmm_trace_reader *r, const struct hmm_rec_hdr **rec);
void trace_ra_stop(struct hmm_trace_reader *r);
int trace_ra_start(struct hmm_trace_reader *r);
void trace_ra_free(struct readahead *ra);
const struct hmm_trace_read_stats *trace_ra_stats(const struct readahead *ra);

#endif /* HMMSCOPE_TRACE_INTERNAL_H */
