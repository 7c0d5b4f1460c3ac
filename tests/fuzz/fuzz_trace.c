// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target: arbitrary bytes as a trace file. The reader must never crash, read out of
 * bounds or hand out a record that does not fit its type, whatever the bytes; it may only
 * refuse the file or skip what is damaged. `make fuzz`, tests/cases/fuzz-trace.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct hmm_trace_read_stats *st;
	const struct hmm_rec_hdr *rec;
	struct hmm_trace_reader *r;
	volatile __u64 sink = 0;
	int err, pass;

	r = hmm_trace_reader__open_mem(data, size, &err);
	if (!r) {
		if (err >= 0)
			abort();
		return 0;
	}
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
		}
		if (err < 0)
			abort(); /* memory cannot fail to read */
		st = hmm_trace_reader__stats(r);
		if (st->records != n)
			abort();
		if (pass == 0)
			hmm_trace_reader__rewind(r);
	}
	(void)hmm_trace_reader__meta(r);
	hmm_trace_reader__close(r);
	(void)sink;
	return 0;
}
