// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target: arbitrary bytes as a trace file. The reader must never crash, read out of
 * bounds or hand out a record that does not fit its type, whatever the bytes; it may only
 * refuse the file or skip what is damaged. And the CPU-specific delta decoder (BMI2) must read
 * the bytes exactly as the portable one does: the same records, the same stats.
 * `make fuzz`, tests/cases/fuzz-trace.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct hmm_trace_read_stats *st, *pst;
	const struct hmm_rec_hdr *rec, *prec;
	struct hmm_trace_reader *r, *p;
	volatile __u64 sink = 0;
	int err, pass;

	r = hmm_trace_reader__open_mem(data, size, &err);
	if (!r) {
		if (err >= 0)
			abort();
		return 0;
	}
	p = hmm_trace_reader__open_mem(data, size, &err);
	if (!p)
		abort();
	hmm_trace_reader__portable(p);
	/* Twice: rewind must give the same walk. */
	for (pass = 0; pass < 2; pass++) {
		__u64 n = 0;

		while ((err = hmm_trace_reader__next(r, &rec)) > 0) {
			/* What next() promises: a known type, fully inside the buffer, aligned. */
			if (hmm_rec_check(rec, rec->size) || ((uintptr_t)rec & 7))
				abort();
			/* Touch the whole record so ASan sees any out-of-bounds pointer. */
			for (size_t i = 0; i < rec->size; i++)
				sink += ((const unsigned char *)rec)[i];
			n++;
			if (pass == 0 && (hmm_trace_reader__next(p, &prec) != 1 ||
					  prec->size != rec->size || memcmp(prec, rec, rec->size)))
				abort();
		}
		if (err < 0)
			abort(); /* memory cannot fail to read */
		st = hmm_trace_reader__stats(r);
		if (st->records != n)
			abort();
		if (pass == 0) {
			if (hmm_trace_reader__next(p, &prec) != err)
				abort();
			pst = hmm_trace_reader__stats(p);
			if (pst->records != st->records || pst->chunks != st->chunks ||
			    pst->bad_chunks != st->bad_chunks ||
			    pst->bad_chunk_bytes != st->bad_chunk_bytes ||
			    pst->unknown_records != st->unknown_records || pst->lost != st->lost ||
			    pst->truncated_bytes != st->truncated_bytes)
				abort();
			hmm_trace_reader__rewind(r);
		}
	}
	(void)hmm_trace_reader__meta(r);
	hmm_trace_reader__close(r);
	hmm_trace_reader__close(p);
	(void)sink;
	return 0;
}
