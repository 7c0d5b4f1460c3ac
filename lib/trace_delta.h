/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The delta codec of trace chunks (docs/FORMAT.md, "Delta coding"): each record XORed with an
 * earlier one of its type in the chunk, only the bytes that differ kept. The writer's encoder
 * codes a record as it is added (struct delta_enc); the reader's decoder decodes a chunk as a
 * whole (struct delta_dec), with a BMI2 path (one pdep per word) where the CPU has it.
 * Internal to lib/: not installed.
 */
#ifndef HMMSCOPE_TRACE_DELTA_H
#define HMMSCOPE_TRACE_DELTA_H

#include <stdbool.h>
#include <stddef.h>
#include <libdeflate.h>
#include "trace_format.h"

/* The encoder's state: the inflated payload built as records come. x holds the prefix and the
 * residual from byte 0, the control stream from x_ctl_off (moved down to follow the residual
 * before it is compressed with it). */
struct delta_enc {
	unsigned char *x;
	size_t x_cap, x_ctl_off, res_len, ctl_len;
	/* Offsets in the chunk's records of the last records of each type, newest first. */
	__u32 refs[D_TYPES][D_REFS];
	__u8 n_refs[D_TYPES];
};

/* Code the record at raw + off (its chunk's records start at raw). */
void delta_enc_add(struct delta_enc *e, const unsigned char *raw, size_t off);
/* The coded payload of a chunk of raw_len bytes of records into out (cap bytes): its length, 0
 * on a bug; *inflated: the payload's inflated length. */
size_t delta_enc_compress(struct delta_enc *e, size_t raw_len, int level,
			  struct libdeflate_compressor *z, unsigned char *out, size_t cap,
			  __u32 *inflated);
/* A new chunk. */
static inline void delta_enc_reset(struct delta_enc *e)
{
	e->res_len = e->ctl_len = 0;
	memset(e->n_refs, 0, sizeof(e->n_refs));
}

/*
 * A byte mask of the delta coding as at most two runs of set bits: the mask of the first run's
 * bytes (m1, from bit 0) and where they go (s1 bits up), the second's (m2, 0 where there is one
 * run: the bytes after the first b1 bits of the residual, going s2 bits up), and the bytes it
 * selects (pop); many where it has three runs or more, or is 0. bytes: the mask of all the bytes
 * it selects, for pdep (expand_pdep()). 32 bytes: an index is a shift.
 */
struct byte_runs {
	__u64 m1, m2;
	__u8 pop, b1, s1, s2, many;
	__u64 bytes;
};

/* The decoder's state: the byte masks' runs, the references of the chunk being decoded. */
struct delta_dec {
	struct byte_runs runs[256];  /* by byte mask; see xor_words() */
	__u32 refs[D_TYPES][D_REFS]; /* a ring per type: the latest at head - 1 */
	__u8 n_refs[D_TYPES], head[D_TYPES];
	bool bmi2; /* decode with the pdep path (delta_decode_bmi2()) */
};

/* Build the tables; use the BMI2 path where the CPU has it (clear d->bmi2 for the portable one:
 * both decode every chunk the same, records and where they stop). */
void delta_dec_init(struct delta_dec *d);
/* Decode one chunk's control stream [ctl, ctl_end) and residual [res, res_end) into raw_len
 * bytes of records at raw: how many bytes decoded well (raw_len, or where the first malformed
 * record begins). The residual has 8 bytes of slack to read past its end. */
size_t delta_dec_chunk(struct delta_dec *d, const unsigned char *ctl, const unsigned char *ctl_end,
		       const unsigned char *res, const unsigned char *res_end, unsigned char *raw,
		       size_t raw_len);

#endif /* HMMSCOPE_TRACE_DELTA_H */
