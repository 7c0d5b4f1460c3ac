// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The delta codec of trace chunks (trace_delta.h; docs/FORMAT.md, "Delta coding"). */
#include <errno.h>
#include <string.h>
#if defined(__x86_64__) && defined(__GNUC__) /* gcc and clang */
#include <immintrin.h>
#define DELTA_BMI2 /* a second decoder, for CPUs with BMI2 (see expand_pdep()) */
#endif
#include "trace_delta.h"

/* ---- encoder ----------------------------------------------------------------------------- */

/* Bit i set where byte i of x is not zero. */
static inline unsigned int nonzero_bytes(__u64 x)
{
	__u64 t = ((x & 0x7f7f7f7f7f7f7f7full) + 0x7f7f7f7f7f7f7f7full) | x;

	/* The top bit of each byte, gathered into the top byte by the multiply. */
	return (unsigned int)(((t & 0x8080808080808080ull) >> 7) * 0x0102040810204080ull >> 56);
}

/* The bytes of x that bit j of mask selects, in order, at res: where they end. Every byte is
 * stored and the zero ones overwritten by the next: no branch on the data (up to 7 bytes past the
 * end are written). */
static inline unsigned char *put_bytes(unsigned char *res, __u64 x, unsigned int mask)
{
	res[0] = (unsigned char)x;
	res += mask & 1;
	res[0] = (unsigned char)(x >> 8);
	res += mask >> 1 & 1;
	res[0] = (unsigned char)(x >> 16);
	res += mask >> 2 & 1;
	res[0] = (unsigned char)(x >> 24);
	res += mask >> 3 & 1;
	res[0] = (unsigned char)(x >> 32);
	res += mask >> 4 & 1;
	res[0] = (unsigned char)(x >> 40);
	res += mask >> 5 & 1;
	res[0] = (unsigned char)(x >> 48);
	res += mask >> 6 & 1;
	res[0] = (unsigned char)(x >> 56);
	return res + (mask >> 7 & 1);
}

typedef __u32 u32x4 __attribute__((vector_size(16)));

/* How many of the 4-byte words of a and b match, over len bytes (a multiple of 8): how good a
 * reference b is for a. 16 bytes at a time (SSE2, NEON), the way the compiler's vectors go. */
static inline unsigned int same_words(const unsigned char *a, const unsigned char *b, size_t len)
{
	u32x4 acc = {0, 0, 0, 0}, va, vb;
	unsigned int same;
	size_t i;

	for (i = 0; i + 16 <= len; i += 16) {
		memcpy(&va, a + i, 16);
		memcpy(&vb, b + i, 16);
		acc -= (u32x4)(va == vb); /* -1 where equal */
	}
	same = acc[0] + acc[1] + acc[2] + acc[3];
	if (i < len)
		same += (get32(a + i) == get32(b + i)) + (get32(a + i + 4) == get32(b + i + 4));
	return same;
}

/*
 * Delta code the record at raw + off (FORMAT.md, "Delta coding"): against whichever of the last
 * D_REFS records of its type in the chunk has the most 4-byte words equal to it after the header
 * (records of one type from different processes, CPUs or drivers differ in their own fields),
 * each 8-byte word XORed
 * with the reference's; a word that is the same costs a bit of the word mask, one that differs
 * a byte mask and its bytes that are not zero.
 */
void delta_enc_add(struct delta_enc *e, const unsigned char *raw, size_t off)
{
	const unsigned char *rec = raw + off, *ref = NULL;
	__u16 type = get16(rec), size = get16(rec + 2);
	size_t stride = ALIGN8(size), nw = stride / 8, i;
	unsigned char *ctl = e->x + e->x_ctl_off + e->ctl_len, *mask, *res = e->x + D_PREFIX;
	unsigned int k, best = 0, n;
	int best_same = -1;
	__u64 x;

	if (type < D_TYPES) {
		for (k = 0; k < e->n_refs[type]; k++) {
			const unsigned char *c = raw + e->refs[type][k];
			int same;

			if (get16(c + 2) != size)
				continue;
			same = (int)same_words(rec + 8, c + 8, stride - 8);
			if (same > best_same) {
				best_same = same;
				best = k + 1;
			}
		}
		if (best)
			ref = raw + e->refs[type][best - 1];
	}
	put16(ctl, type);
	put16(ctl + 2, size);
	ctl[4] = (unsigned char)best;
	mask = ctl + D_CTL_MIN;
	memset(mask, 0, (nw + 7) / 8);
	ctl = mask + (nw + 7) / 8;
	res += e->res_len;
	for (i = 0; i < nw; i++) {
		/* Word 0 holds type and size, in clear above: only its cpu half is coded. */
		x = get64(rec + 8 * i) ^ (ref ? get64(ref + 8 * i) : 0);
		if (!i)
			x >>= 32;
		if (!x)
			continue;
		n = nonzero_bytes(x);
		mask[i / 8] |= 1u << (i % 8);
		*ctl++ = (unsigned char)n;
		res = put_bytes(res, x, n);
	}
	e->ctl_len = (size_t)(ctl - (e->x + e->x_ctl_off));
	e->res_len = (size_t)(res - (e->x + D_PREFIX));
	if (type < D_TYPES) {
		memmove(&e->refs[type][1], &e->refs[type][0],
			sizeof(e->refs[type][0]) * (D_REFS - 1));
		e->refs[type][0] = (__u32)off;
		if (e->n_refs[type] < D_REFS)
			e->n_refs[type]++;
	}
}

/* The delta coded payload of the pending chunk into out: its length, 0 on a bug. At level 1 the
 * prefix and the residual go in stored blocks (the residual is what is left of the records once
 * the control stream made the rest zero: mostly the random low bytes of durations, addresses
 * and timestamps, which DEFLATE would shrink by a third at a cost several times that of all the
 * rest), the control stream through DEFLATE; at higher levels all of it through DEFLATE. */
size_t delta_enc_compress(struct delta_enc *e, size_t raw_len, int level,
			  struct libdeflate_compressor *z, unsigned char *out, size_t cap,
			  __u32 *inflated)
{
	size_t head = D_PREFIX + e->res_len, done = 0, n, comp;
	unsigned char *ctl = e->x + e->x_ctl_off;

	/* Pad the control stream so that the inflated length is 4 mod 8: a 1.0 reader, which
	 * knows no flags, refuses such a chunk (implausible size) instead of misreading it. */
	while ((head + e->ctl_len) % 8 != 4)
		ctl[e->ctl_len++] = 0;
	put32(e->x + D_RECORDS_LEN, (__u32)raw_len);
	put32(e->x + D_RESID_LEN, (__u32)e->res_len);
	*inflated = (__u32)(head + e->ctl_len);
	if (level > 1) {
		memmove(e->x + head, ctl, e->ctl_len);
		return libdeflate_deflate_compress(z, e->x, head + e->ctl_len, out, cap);
	}
	/* Stored blocks (RFC 1951 3.2.4): BFINAL 0 and BTYPE 00 in a byte of their own, then LEN
	 * and its complement; the compressed stream that follows starts on a byte boundary and
	 * ends the DEFLATE stream. */
	while (done < head) {
		__u16 len = head - done > STORED_MAX ? STORED_MAX : (__u16)(head - done);

		out[0] = 0;
		put16(out + 1, len);
		put16(out + 3, (__u16)~len);
		memcpy(out + 5, e->x + done, len);
		out += 5 + len;
		cap -= 5 + len;
		done += len;
	}
	comp = libdeflate_deflate_compress(z, ctl, e->ctl_len, out, cap);
	n = head + 5 * ((head + STORED_MAX - 1) / STORED_MAX);
	return comp ? n + comp : 0;
}

/* ---- decoder ----------------------------------------------------------------------------- */


/* Bits set in each byte of x, in that byte. */
static inline __u64 bytes_pop(__u64 x)
{
	x -= x >> 1 & 0x5555555555555555ULL;
	x = (x & 0x3333333333333333ULL) + (x >> 2 & 0x3333333333333333ULL);
	return (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
}

/* Bits set in a word, without the libgcc call that __builtin_popcountll() is on baseline x86-64. */
static inline size_t pop64(__u64 x)
{
	return (size_t)(bytes_pop(x) * 0x0101010101010101ULL >> 56);
}

/* The two-run description of every byte mask (struct byte_runs). */
static void runs_init(struct byte_runs *t)
{
	unsigned int n, j, run, b1, b2;

	for (n = 0; n < 256; n++) {
		struct byte_runs *e = &t[n];

		for (j = 0, run = 0, b1 = b2 = 0; j < 8; j++) {
			if (!(n >> j & 1))
				continue;
			e->pop++;
			e->bytes |= 0xffULL << 8 * j;
			if (!j || !(n >> (j - 1) & 1) ? ++run == 1 : run == 1) {
				if (!b1)
					e->s1 = (__u8)(8 * j);
				b1 += 8;
			} else if (run == 2) {
				if (!b2)
					e->s2 = (__u8)(8 * j);
				b2 += 8;
			}
		}
		e->many = run > 2 || !n;
		e->b1 = (__u8)(b1 & 63); /* 64 (n 0xff): no second run, its mask is 0 */
		e->m1 = b1 ? ~0ULL >> (64 - b1) : 0;
		e->m2 = b2 ? ~0ULL >> (64 - b2) : 0;
	}
}

/* The bytes at p that byte mask n selects, put where it says (struct byte_runs): n is not 0.
 * p has 8 readable bytes: the inflated buffer has slack. */
static inline __attribute__((always_inline)) __u64 expand_runs(const struct byte_runs *runs,
							       const unsigned char *p,
							       unsigned int n)
{
	const struct byte_runs *e = &runs[n];
	__u64 x, l;

	if (__builtin_expect(!e->many, 1)) {
		/* One or two runs of bytes, all but a few masks (the low bytes of a duration, an
		 * address or a timestamp; two 4-byte fields in one word): one load, no branch on
		 * the data. */
		l = get64(p);
		return (l & e->m1) << e->s1 | (l >> e->b1 & e->m2) << e->s2;
	}
	for (x = 0; n; n &= n - 1)
		x |= (__u64)*p++ << 8 * __builtin_ctz(n);
	return x;
}

#ifdef DELTA_BMI2
/* The same in one instruction: the bytes deposited under the mask of the bytes selected. */
static inline __attribute__((always_inline, target("bmi2"))) __u64
expand_pdep(const struct byte_runs *runs, const unsigned char *p, unsigned int n)
{
	return _pdep_u64(get64(p), runs[n].bytes);
}
#endif

typedef __u64 (*expand_fn)(const struct byte_runs *runs, const unsigned char *p, unsigned int n);

/*
 * XOR into out the differences of the words whose bits are set (word base + j for bit j), from
 * the reference ref, their byte masks at *ctl and their bytes at *res, both advanced. left: the
 * residual bytes left, checked and updated; NULL where the caller knows there are enough. -1 on
 * a byte mask of 0 or a residual that ends too soon.
 */
static inline __attribute__((always_inline)) int
xor_words(expand_fn expand, const struct byte_runs *runs, unsigned char *out,
	  const unsigned char *ref, __u64 bits, size_t base, const unsigned char **ctl,
	  const unsigned char **res, size_t *left)
{
	const unsigned char *c = *ctl, *p = *res;

	for (; bits; bits &= bits - 1) {
		size_t i = base + (unsigned int)__builtin_ctzll(bits);
		unsigned int n = *c++;

		if (left) {
			if (*left < runs[n].pop)
				return -1;
			*left -= runs[n].pop;
		}
		if (!n)
			return -1;
		put64(out + 8 * i, get64(ref + 8 * i) ^ expand(runs, p, n));
		p += runs[n].pop;
	}
	*ctl = c;
	*res = p;
	return 0;
}

/*
 * Decode the delta coded records of one chunk (FORMAT.md, "Delta coding") into raw,
 * in order, up to the first that is malformed (a control stream or residual cut short, a record
 * that would not fit the chunk, a reference that is not there or not the same size, a length out
 * of range): the length decoded is where decoding stopped, raw_len where it did not. expand is one
 * of the functions above: the caller below is built once with each, where the CPU has BMI2.
 */
static inline __attribute__((always_inline)) size_t
delta_decode(struct delta_dec *d, expand_fn expand, const unsigned char *ctl,
	     const unsigned char *ctl_end, const unsigned char *res, const unsigned char *res_end,
	     unsigned char *raw, size_t raw_len)
{
	const unsigned char *mask, *ref;
	const struct byte_runs *runs = d->runs;
	size_t pos = 0, stride, nw, nb, b, left;
	unsigned int k;
	__u16 type, size;
	__u64 bits;

	for (; pos < raw_len; pos += stride) {
		unsigned char *out = raw + pos;

		if (ctl_end - ctl < D_CTL_MIN)
			goto stop;
		type = get16(ctl);
		size = get16(ctl + 2);
		k = ctl[4];
		stride = ALIGN8(size);
		nw = stride / 8;
		nb = (nw + 7) / 8;
		if (size < sizeof(struct hmm_rec_hdr) || stride > raw_len - pos ||
		    (size_t)(ctl_end - ctl) - D_CTL_MIN < nb)
			goto stop;
		if (k) {
			if (type >= D_TYPES || k > d->n_refs[type])
				goto stop;
			ref = raw + d->refs[type][(d->head[type] - k) % D_REFS];
			if (get16(ref + 2) != size)
				goto stop;
			memcpy(out, ref, stride);
		} else {
			memset(out, 0, stride);
			ref = out; /* rare: the first record of its type in the chunk */
		}
		mask = ctl + D_CTL_MIN;
		ctl = mask + nb;
		/* Mask bits past the last word are zero. */
		if (nw % 8 && mask[nb - 1] >> (nw % 8))
			goto stop;
		/*
		 * Only the words that differ from the reference: its word XOR their coded bytes
		 * (read from the reference, not back from out: a narrow load of what memcpy() just
		 * stored wide would wait for it). The mask 64 words at a time, one loop over its
		 * set bits; word 0 before that loop: its difference is the cpu half, 4 bytes at
		 * most, shifted up.
		 */
		for (b = 0; b < nb; b += 8) {
			/* Up to 8 mask bytes in one load (the inflated buffer has slack), those
			 * past nb cleared: the control entries that follow them. */
			bits = get64(mask + b);
			if (nb - b < 8)
				bits &= (1ULL << 8 * (nb - b)) - 1;
			if (!b && (bits & 1)) {
				unsigned int n = ctl < ctl_end ? *ctl : 0;

				if (!n || n > 0xf || (size_t)(res_end - res) < runs[n].pop)
					goto stop;
				put64(out, get64(ref) ^ expand(runs, res, n) << 32);
				res += runs[n].pop;
				ctl++;
				bits &= ~1ULL;
			}
			left = (size_t)(res_end - res);
			if ((size_t)(ctl_end - ctl) < pop64(bits))
				goto stop;
			/* A word takes at most 8 bytes of the residual: where 64 words cannot run
			 * past its end (all records but those at the end of a chunk), no check per
			 * word. */
			if (__builtin_expect(left >= 64 * 8, 1)) {
				if (xor_words(expand, runs, out, ref, bits, 8 * b, &ctl, &res, NULL))
					goto stop;
			} else if (xor_words(expand, runs, out, ref, bits, 8 * b, &ctl, &res,
					     &left)) {
				goto stop;
			}
		}
		/* Word 0 holds type and size, in clear in the control stream; its cpu half was
		 * coded. */
		put64(out, (get64(out) & ~0xffffffffULL) | type | (__u64)size << 16);
		if (type < D_TYPES) {
			d->refs[type][d->head[type]++ % D_REFS] = (__u32)pos;
			if (d->n_refs[type] < D_REFS)
				d->n_refs[type]++;
		}
	}
stop:
	/* The end of the chunk, or the first malformed record. */
	return pos;
}

static size_t delta_decode_generic(struct delta_dec *d, const unsigned char *ctl,
				   const unsigned char *ctl_end, const unsigned char *res,
				   const unsigned char *res_end, unsigned char *raw, size_t raw_len)
{
	return delta_decode(d, expand_runs, ctl, ctl_end, res, res_end, raw, raw_len);
}

#ifdef DELTA_BMI2
static __attribute__((target("bmi2"))) size_t
delta_decode_bmi2(struct delta_dec *d, const unsigned char *ctl, const unsigned char *ctl_end,
		  const unsigned char *res, const unsigned char *res_end, unsigned char *raw,
		  size_t raw_len)
{
	return delta_decode(d, expand_pdep, ctl, ctl_end, res, res_end, raw, raw_len);
}
#endif

size_t delta_dec_chunk(struct delta_dec *d, const unsigned char *ctl, const unsigned char *ctl_end,
		       const unsigned char *res, const unsigned char *res_end, unsigned char *raw,
		       size_t raw_len)
{
	memset(d->n_refs, 0, sizeof(d->n_refs));
#ifdef DELTA_BMI2
	if (d->bmi2)
		return delta_decode_bmi2(d, ctl, ctl_end, res, res_end, raw, raw_len);
#endif
	return delta_decode_generic(d, ctl, ctl_end, res, res_end, raw, raw_len);
}

void delta_dec_init(struct delta_dec *d)
{
	runs_init(d->runs);
#ifdef DELTA_BMI2
	d->bmi2 = __builtin_cpu_supports("bmi2");
#endif
}
