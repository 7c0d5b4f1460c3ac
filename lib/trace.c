// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Trace files: writer and reader of the format in docs/FORMAT.md.
 *
 * Records are stored as they come from the ring buffer, each padded to 8 bytes, in chunks that
 * are raw DEFLATE streams compressed and written on their own (one write() of header and
 * payload), so a file cut short or damaged in the middle loses whole chunks and nothing else.
 *
 * A chunk is compressed and inflated whole, which is what libdeflate's one-shot API does: it
 * compresses these records 2-3 times faster than zlib at level 1 (tests/bench/trace.sh), and
 * what it writes is standard raw DEFLATE that zlib's inflate reads as well.
 *
 * Delta coded chunks (opts.coding, FORMAT.md "Delta coding") XOR each record with an earlier one
 * of its type and keep only the bytes that differ: the writer codes each record as add() takes
 * it, the reader decodes each as next() reaches it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <libdeflate.h>
#if defined(__x86_64__) && defined(__GNUC__) /* gcc and clang */
#include <immintrin.h>
#define DELTA_BMI2 /* a second delta decoder, for CPUs with BMI2 (see expand_pdep()) */
#endif
#include "internal.h"
#include "rec.h"
#include "trace.h"

/* Records go to disk in host byte order; the format is little-endian (FORMAT.md). */
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "trace files are little-endian: a big-endian writer would have to swap every record"
#endif

#define FILE_MAGIC    "HMMTRACE"
#define ENDIAN_MARK   0x01020304u
#define CHUNK_MAGIC   "HMMC"
#define FOOTER_MAGIC  "HMMF"
#define TRAILER_MAGIC "HMMTEND\n"

/* File header: fixed fields, then (at aps_off) n_aps entries of ap_size bytes. */
#define H_MAGIC	       0
#define H_MAJOR	       8
#define H_MINOR	       10
#define H_ENDIAN       12
#define H_LEN	       16
#define H_CRC	       20
#define H_SCHEMA       24
#define H_NCPUS	       28
#define H_PAGE_SIZE    32
#define H_N_APS	       36
#define H_APS_OFF      40
#define H_AP_SIZE      44
#define H_START_MONO   48
#define H_START_REAL   56
#define H_FILTER_PID   64
#define H_FILTER_OWNER 68
#define H_FILTER_MIN   72
#define H_FLAGS	       80
#define H_HOST	       88
#define H_RELEASE      160
#define H_BOOT_ID      232
#define H_COMMAND      272
#define H_FIXED_LEN    528
#define H_HOST_SZ      72
#define H_RELEASE_SZ   72
#define H_BOOT_ID_SZ   40
#define H_COMMAND_SZ   256
#define H_MAX_LEN      (1u << 20)

#define AP_SIZE	  256
#define AP_FUNC	  16
#define AP_REASON 64

/* Chunk header. */
#define C_MAGIC	      0
#define C_CRC	      4
#define C_HDR_LEN     8
#define C_COMP_LEN    12
#define C_RAW_LEN     16
#define C_DATA_CRC    20
#define C_NRECORDS    24
#define C_CODEC	      28
#define C_FLAGS	      30
#define C_SEQ	      32
#define C_FIRST_TS    40
#define C_LAST_TS     48
#define C_LEN	      56
#define C_MAX_HDR_LEN 4096
#define CODEC_DEFLATE 1
/* Chunk flags. A reader refuses a chunk with a flag it does not know: such a flag changes what
 * the payload means. */
#define CF_DELTA 0x0001 /* records delta coded (FORMAT.md, "Delta coding") */
#define CF_KNOWN CF_DELTA

/* Delta coding: the inflated payload's prefix, and the references a record may name. */
#define D_RECORDS_LEN 0
#define D_RESID_LEN   4
#define D_PREFIX      8
#define D_REFS	      4	  /* a record names one of the last 4 of its type in the chunk */
_Static_assert(!(D_REFS & (D_REFS - 1)), "the reader's reference rings wrap with their u8 head");
#define D_TYPES	      256 /* types from here on take no reference */
#define D_CTL_MIN     5	  /* type, size, ref */
/* The largest DEFLATE stored block. */
#define STORED_MAX 65535

/* Footer: totals, chunk index, trailer. */
#define F_MAGIC	      0
#define F_CRC	      4
#define F_LEN	      8
#define F_N_TYPES     12
#define F_N_INDEX     16
#define F_RECORDS     24
#define F_LOST	      32
#define F_CHUNKS      40
#define F_RAW_BYTES   48
#define F_FILE_BYTES  56
#define F_FIRST_TS    64
#define F_LAST_TS     72
#define F_PER_TYPE    80
#define F_TRAILER_LEN 16
#define F_MAX_LEN     (1u << 30)

/* Bounds on what a chunk may claim, so damaged lengths cannot make us allocate gigabytes. */
#define MAX_CHUNK_BYTES	 (64u << 20)
#define MAX_WRITER_CHUNK (16u << 20)
#define DEF_CHUNK_BYTES	 (256u << 10)
/* libdeflate levels: 1 is the only one that keeps up with a busy ring buffer on one core
 * (tests/bench/trace.sh); 10..12 are far slower still than 9. */
#define DEF_LEVEL 1
#define MAX_LEVEL 9
/* Delta coding by default: at level 1 it writes twice as fast as plain chunks for files 3% larger
 * (tests/bench/trace.sh), and the recorder's CPU time is overhead on the traced machine. The
 * price: 1.0 readers skip such chunks, and inflating becomes so cheap that reading costs 2-3.5
 * times plain inflation of the same file (about what reading a plain file costs). */
#define DEF_CODING HMM_TRACE_CODING_DELTA

#define ALIGN8(x) (((x) + 7) & ~(size_t)7)

static inline void put16(unsigned char *p, __u16 v)
{
	memcpy(p, &v, sizeof(v));
}

static inline void put32(unsigned char *p, __u32 v)
{
	memcpy(p, &v, sizeof(v));
}

static inline void put64(unsigned char *p, __u64 v)
{
	memcpy(p, &v, sizeof(v));
}

static inline __u16 get16(const unsigned char *p)
{
	__u16 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline __u32 get32(const unsigned char *p)
{
	__u32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline __u64 get64(const unsigned char *p)
{
	__u64 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Room for n elements of size bytes in the array at *arrp (kept), doubling from first: 0 or
 * -ENOMEM (the array untouched). */
static int grow_array(void *arrp, size_t *cap, size_t n, size_t size, size_t first)
{
	void **arr = arrp, *p;
	size_t ncap;

	if (n <= *cap)
		return 0;
	for (ncap = *cap ? *cap : first; ncap < n; ncap *= 2)
		;
	p = realloc(*arr, ncap * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

/* The same CRC32 as zlib's crc32() (FORMAT.md); libdeflate's uses PCLMULQDQ where the CPU has it,
 * several times faster than zlib 1.2's tables, and takes a size_t length. */
static __u32 crc(__u32 c, const unsigned char *p, size_t n)
{
	return libdeflate_crc32(c, p, n);
}

/* Whether a stored CRC matches. Fuzzing builds accept any (libFuzzer's convention), so that the
 * fuzzer reaches the inflate and record-walking code behind the checks. */
static inline bool crc_ok(__u32 stored, __u32 computed)
{
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	(void)stored;
	(void)computed;
	return true;
#else
	return stored == computed;
#endif
}

/* The header CRC covers every header byte but its own field. */
static __u32 header_crc(const unsigned char *h, size_t len)
{
	return crc(crc(0, h, H_CRC), h + H_CRC + 4, len - H_CRC - 4);
}

static void put_str(unsigned char *p, size_t field, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	if (n >= field)
		n = field - 1;
	memcpy(p, s, n);
}

static void get_str(char *dst, size_t dst_len, const unsigned char *p, size_t field)
{
	size_t n = strnlen((const char *)p, field);

	if (n >= dst_len)
		n = dst_len - 1;
	memcpy(dst, p, n);
	dst[n] = '\0';
}

static __u64 mono_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ---- writer ------------------------------------------------------------------------------ */

struct hmm_trace_writer {
	int fd;
	int err; /* sticky: after a failed write nothing more is written */
	struct libdeflate_compressor *z;
	unsigned char *raw; /* the pending chunk's records */
	size_t raw_len;
	size_t raw_cap;
	unsigned char *out; /* chunk header + compressed payload, one write() */
	size_t out_cap;
	__u32 nrecords;
	__u64 first_ts, last_ts; /* of the pending chunk */
	__u64 pending_since;	 /* CLOCK_MONOTONIC when the pending chunk got its first record */
	__u64 flush_ns, sync_ns;
	__u64 last_sync;
	__u64 seq;
	__u64 *index;
	size_t index_len, index_cap;
	struct hmm_trace_totals totals;
	/* Delta coding: the inflated payload is built as records come. x holds the prefix and
	 * the residual from byte 0, the control stream from x_ctl_off (moved down to follow the
	 * residual before it is compressed with it). */
	bool delta;
	int level;
	unsigned char *x;
	size_t x_cap, x_ctl_off, res_len, ctl_len;
	/* Offsets in raw of the last records of each type, newest first. */
	__u32 refs[D_TYPES][D_REFS];
	__u8 n_refs[D_TYPES];
};

/* Write all of buf at the end of the file. On failure, cut the file back to where this block
 * began, so that it ends with the last complete chunk. */
static int write_block(struct hmm_trace_writer *w, const unsigned char *buf, size_t len)
{
	size_t done = 0;
	int err;

	while (done < len) {
		ssize_t n = write(w->fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			/* Best effort: a device such as /dev/full cannot be truncated. */
			if (done && ftruncate(w->fd, (off_t)w->totals.file_bytes) == 0)
				lseek(w->fd, (off_t)w->totals.file_bytes, SEEK_SET);
			w->err = err;
			return err;
		}
		done += (size_t)n;
	}
	w->totals.file_bytes += len;
	return 0;
}

static int write_header(struct hmm_trace_writer *w, const struct hmm_trace_meta *meta)
{
	__u32 n_aps = meta->n_aps > HMM_TRACE_MAX_APS ? HMM_TRACE_MAX_APS : meta->n_aps;
	size_t len = H_FIXED_LEN + (size_t)n_aps * AP_SIZE, i;
	unsigned char *h = calloc(1, len);
	int err;

	if (!h)
		return -ENOMEM;
	memcpy(h + H_MAGIC, FILE_MAGIC, 8);
	put16(h + H_MAJOR, HMM_TRACE_VERSION_MAJOR);
	put16(h + H_MINOR, HMM_TRACE_VERSION_MINOR);
	put32(h + H_ENDIAN, ENDIAN_MARK);
	put32(h + H_LEN, (__u32)len);
	put32(h + H_SCHEMA, meta->schema ? meta->schema : HMM_SCHEMA_VERSION);
	put32(h + H_NCPUS, meta->ncpus);
	put32(h + H_PAGE_SIZE, meta->page_size);
	put32(h + H_N_APS, n_aps);
	put32(h + H_APS_OFF, H_FIXED_LEN);
	put32(h + H_AP_SIZE, AP_SIZE);
	put64(h + H_START_MONO, meta->start_mono_ns);
	put64(h + H_START_REAL, meta->start_real_ns);
	put32(h + H_FILTER_PID, meta->filter_pid);
	put32(h + H_FILTER_OWNER, meta->filter_owner);
	put64(h + H_FILTER_MIN, meta->filter_min_dur_ns);
	put_str(h + H_HOST, H_HOST_SZ, meta->host, sizeof(meta->host));
	put_str(h + H_RELEASE, H_RELEASE_SZ, meta->release, sizeof(meta->release));
	put_str(h + H_BOOT_ID, H_BOOT_ID_SZ, meta->boot_id, sizeof(meta->boot_id));
	put_str(h + H_COMMAND, H_COMMAND_SZ, meta->command, sizeof(meta->command));
	for (i = 0; i < n_aps; i++) {
		const struct hmm_trace_ap *ap = &meta->aps[i];
		unsigned char *e = h + H_FIXED_LEN + i * AP_SIZE;

		put32(e + 0, ap->ap);
		put32(e + 4, ap->state);
		put32(e + 8, ap->mode);
		put32(e + 12, (__u32)ap->err);
		put_str(e + AP_FUNC, HMM_TRACE_FUNC_LEN, ap->func, sizeof(ap->func));
		put_str(e + AP_REASON, HMM_TRACE_REASON_LEN, ap->reason, sizeof(ap->reason));
	}
	put32(h + H_CRC, header_crc(h, len));
	err = write_block(w, h, len);
	free(h);
	return err;
}

struct hmm_trace_writer *hmm_trace_writer__open(const char *path, const struct hmm_trace_meta *meta,
						const struct hmm_trace_writer_opts *opts)
{
	struct hmm_trace_writer_opts o = {};
	struct hmm_trace_meta *m = NULL;
	struct hmm_trace_writer *w;
	size_t raw_max;
	int err;

	if (opts)
		memcpy(&o, opts, opts->sz && opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	if (!path || !meta || o.level < 0 || o.level > MAX_LEVEL || o.coding < 0 ||
	    o.coding > HMM_TRACE_CODING_DELTA) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		errno = ENOMEM;
		return NULL;
	}
	w->fd = -1;
	w->raw_cap = o.chunk_bytes ? o.chunk_bytes : DEF_CHUNK_BYTES;
	if (w->raw_cap < 4096)
		w->raw_cap = 4096;
	if (w->raw_cap > MAX_WRITER_CHUNK)
		w->raw_cap = MAX_WRITER_CHUNK;
	w->flush_ns = (__u64)(o.flush_ms ? o.flush_ms : 1000) * 1000000;
	w->sync_ns = (__u64)(o.sync_ms ? o.sync_ms : 10000) * 1000000;
	/* Raw deflate (no zlib wrapper): the chunk CRC32 already guards the data, and inflate then
	 * need not compute an Adler-32 over every inflated byte. */
	w->level = o.level ? o.level : DEF_LEVEL;
	w->delta = (o.coding ? o.coding : DEF_CODING) == HMM_TRACE_CODING_DELTA;
	w->z = libdeflate_alloc_compressor(w->level);
	/* Room for the largest record past the chunk size, so add() never splits a record. */
	raw_max = w->raw_cap + ALIGN8(0xffff);
	w->raw = malloc(raw_max);
	if (w->delta) {
		/* The residual takes at most the records' bytes (and 8 bytes of slack for whole
		 * words stored), the control stream at most half of them (5 + nw / 8 + 1 + nw
		 * bytes for nw >= 2 words) and 7 bytes of padding. */
		w->x_ctl_off = D_PREFIX + raw_max + 8;
		w->x_cap = w->x_ctl_off + raw_max / 4 * 3 + 64;
		w->x = malloc(w->x_cap);
	}
	if (w->z) {
		/* Level 1 delta: stored blocks, then a compressed stream; otherwise one stream. */
		w->out_cap = libdeflate_deflate_compress_bound(w->z, w->delta ? w->x_cap : raw_max);
		if (w->delta)
			w->out_cap += w->x_ctl_off + 5 * (w->x_ctl_off / STORED_MAX + 1);
		w->out_cap += C_LEN;
		w->out = malloc(w->out_cap);
	}
	m = malloc(sizeof(*m));
	if (!w->z || !w->raw || !w->out || (w->delta && !w->x) || !m) {
		err = -ENOMEM;
		goto cleanup;
	}
	*m = *meta;
	if (!m->start_mono_ns && !m->start_real_ns) {
		m->start_mono_ns = mono_ns(CLOCK_MONOTONIC);
		m->start_real_ns = mono_ns(CLOCK_REALTIME);
	}
	w->last_sync = m->start_mono_ns;
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (w->fd < 0) {
		err = -errno;
		hmm_log(HMM_LOG_WARN, "trace %s: %s\n", path, strerror(-err));
		goto cleanup;
	}
	err = write_header(w, m);
	if (err)
		hmm_log(HMM_LOG_WARN, "trace %s: writing the header: %s\n", path, strerror(-err));
cleanup:
	free(m);
	if (err) {
		if (w->fd >= 0)
			close(w->fd);
		libdeflate_free_compressor(w->z);
		free(w->raw);
		free(w->x);
		free(w->out);
		free(w);
		errno = -err;
		return NULL;
	}
	return w;
}

/* The delta coded payload of the pending chunk into out: its length, 0 on a bug. At level 1 the
 * prefix and the residual go in stored blocks (the residual is what is left of the records once
 * the control stream made the rest zero: mostly the random low bytes of durations, addresses
 * and timestamps, which DEFLATE would shrink by a third at a cost several times that of all the
 * rest), the control stream through DEFLATE; at higher levels all of it through DEFLATE. */
static size_t delta_compress(struct hmm_trace_writer *w, unsigned char *out, size_t cap,
			     __u32 *inflated)
{
	size_t head = D_PREFIX + w->res_len, done = 0, n, comp;
	unsigned char *ctl = w->x + w->x_ctl_off;

	/* Pad the control stream so that the inflated length is 4 mod 8: a 1.0 reader, which
	 * knows no flags, refuses such a chunk (implausible size) instead of misreading it. */
	while ((head + w->ctl_len) % 8 != 4)
		ctl[w->ctl_len++] = 0;
	put32(w->x + D_RECORDS_LEN, (__u32)w->raw_len);
	put32(w->x + D_RESID_LEN, (__u32)w->res_len);
	*inflated = (__u32)(head + w->ctl_len);
	if (w->level > 1) {
		memmove(w->x + head, ctl, w->ctl_len);
		return libdeflate_deflate_compress(w->z, w->x, head + w->ctl_len, out, cap);
	}
	/* Stored blocks (RFC 1951 3.2.4): BFINAL 0 and BTYPE 00 in a byte of their own, then LEN
	 * and its complement; the compressed stream that follows starts on a byte boundary and
	 * ends the DEFLATE stream. */
	while (done < head) {
		__u16 len = head - done > STORED_MAX ? STORED_MAX : (__u16)(head - done);

		out[0] = 0;
		put16(out + 1, len);
		put16(out + 3, (__u16)~len);
		memcpy(out + 5, w->x + done, len);
		out += 5 + len;
		cap -= 5 + len;
		done += len;
	}
	comp = libdeflate_deflate_compress(w->z, ctl, w->ctl_len, out, cap);
	n = head + 5 * ((head + STORED_MAX - 1) / STORED_MAX);
	return comp ? n + comp : 0;
}

int hmm_trace_writer__flush(struct hmm_trace_writer *w)
{
	unsigned char *c = w->out;
	__u32 inflated = (__u32)w->raw_len;
	size_t comp;
	int err;

	if (w->err)
		return w->err;
	if (!w->nrecords)
		return 0;
	if (grow_array(&w->index, &w->index_cap, w->index_len + 1, sizeof(*w->index), 256))
		return -ENOMEM;
	/* With a compress_bound() output buffer this cannot run out of room: 0 would be a bug. */
	if (w->delta)
		comp = delta_compress(w, c + C_LEN, w->out_cap - C_LEN, &inflated);
	else
		comp = libdeflate_deflate_compress(w->z, w->raw, w->raw_len, c + C_LEN,
						   w->out_cap - C_LEN);
	if (!comp) {
		w->err = -EIO;
		return w->err;
	}
	memcpy(c + C_MAGIC, CHUNK_MAGIC, 4);
	put32(c + C_HDR_LEN, C_LEN);
	put32(c + C_COMP_LEN, (__u32)comp);
	put32(c + C_RAW_LEN, inflated);
	put32(c + C_DATA_CRC, crc(0, c + C_LEN, comp));
	put32(c + C_NRECORDS, w->nrecords);
	put16(c + C_CODEC, CODEC_DEFLATE);
	put16(c + C_FLAGS, w->delta ? CF_DELTA : 0);
	put64(c + C_SEQ, w->seq);
	put64(c + C_FIRST_TS, w->first_ts);
	put64(c + C_LAST_TS, w->last_ts);
	put32(c + C_CRC, crc(0, c + C_HDR_LEN, C_LEN - C_HDR_LEN));
	w->index[w->index_len] = w->totals.file_bytes;
	err = write_block(w, c, C_LEN + comp);
	if (err)
		return err;
	w->index_len++;
	w->seq++;
	w->totals.chunks++;
	w->raw_len = 0;
	w->nrecords = 0;
	w->res_len = w->ctl_len = 0;
	memset(w->n_refs, 0, sizeof(w->n_refs));
	return 0;
}

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
static void delta_add(struct hmm_trace_writer *w, size_t off)
{
	const unsigned char *rec = w->raw + off, *ref = NULL;
	__u16 type = get16(rec), size = get16(rec + 2);
	size_t stride = ALIGN8(size), nw = stride / 8, i;
	unsigned char *ctl = w->x + w->x_ctl_off + w->ctl_len, *mask, *res = w->x + D_PREFIX;
	unsigned int k, best = 0, n;
	int best_same = -1;
	__u64 x;

	if (type < D_TYPES) {
		for (k = 0; k < w->n_refs[type]; k++) {
			const unsigned char *c = w->raw + w->refs[type][k];
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
			ref = w->raw + w->refs[type][best - 1];
	}
	put16(ctl, type);
	put16(ctl + 2, size);
	ctl[4] = (unsigned char)best;
	mask = ctl + D_CTL_MIN;
	memset(mask, 0, (nw + 7) / 8);
	ctl = mask + (nw + 7) / 8;
	res += w->res_len;
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
	w->ctl_len = (size_t)(ctl - (w->x + w->x_ctl_off));
	w->res_len = (size_t)(res - (w->x + D_PREFIX));
	if (type < D_TYPES) {
		memmove(&w->refs[type][1], &w->refs[type][0],
			sizeof(w->refs[type][0]) * (D_REFS - 1));
		w->refs[type][0] = (__u32)off;
		if (w->n_refs[type] < D_REFS)
			w->n_refs[type]++;
	}
}

/* Append a record without checks; the caller made sure it fits its header's size. */
static int add_raw(struct hmm_trace_writer *w, const struct hmm_rec_hdr *rec)
{
	size_t stride = ALIGN8(rec->size);
	int err;

	if (w->raw_len + stride > w->raw_cap && w->raw_len) {
		err = hmm_trace_writer__flush(w);
		if (err)
			return err;
	}
	memcpy(w->raw + w->raw_len, rec, rec->size);
	/* Zero padding: deterministic files, and no stray heap bytes on disk. */
	memset(w->raw + w->raw_len + rec->size, 0, stride - rec->size);
	if (w->delta)
		delta_add(w, w->raw_len);
	w->raw_len += stride;
	if (!w->nrecords++) {
		w->first_ts = w->last_ts = rec->ts;
		w->pending_since = mono_ns(CLOCK_MONOTONIC);
	} else if (rec->ts < w->first_ts) {
		w->first_ts = rec->ts;
	} else if (rec->ts > w->last_ts) {
		w->last_ts = rec->ts;
	}
	if (!w->totals.records || rec->ts < w->totals.first_ts)
		w->totals.first_ts = rec->ts;
	if (rec->ts > w->totals.last_ts)
		w->totals.last_ts = rec->ts;
	w->totals.records++;
	w->totals.raw_bytes += stride;
	if (rec->type < HMM_REC_TYPE_MAX)
		w->totals.per_type[rec->type]++;
	return 0;
}

int hmm_trace_writer__add(struct hmm_trace_writer *w, const struct hmm_rec_hdr *rec)
{
	/* A type this library does not know is kept as it is (a newer BPF side, a converter): its
	 * size is all a reader needs to skip it. */
	int err = hmm_rec_check(rec, rec->size);

	if (err && err != -ENOENT)
		return err;
	if (w->err)
		return w->err;
	err = add_raw(w, rec);
	if (!err && rec->type == HMM_REC_LOST)
		w->totals.lost += ((const struct hmm_rec_lost *)rec)->count;
	return err;
}

int hmm_trace_writer__lost(struct hmm_trace_writer *w, __u64 ts, __u64 count)
{
	struct hmm_rec_lost r = {
		.hdr = {.type = HMM_REC_LOST, .size = sizeof(r), .ts = ts},
		.count = count,
	};

	return hmm_trace_writer__add(w, &r.hdr);
}

int hmm_trace_writer__tick(struct hmm_trace_writer *w, __u64 now_mono_ns)
{
	int err;

	if (w->err)
		return w->err;
	if (now_mono_ns - w->last_sync >= w->sync_ns && now_mono_ns > w->last_sync) {
		/* Read the pair side by side: now_mono_ns may be a poll interval old. */
		struct hmm_rec_clock c = {.hdr = {.type = HMM_REC_CLOCK, .size = sizeof(c)}};

		c.hdr.ts = mono_ns(CLOCK_MONOTONIC);
		c.realtime_ns = mono_ns(CLOCK_REALTIME);
		err = add_raw(w, &c.hdr);
		if (err)
			return err;
		w->last_sync = now_mono_ns;
	}
	if (w->nrecords && now_mono_ns >= w->pending_since + w->flush_ns)
		return hmm_trace_writer__flush(w);
	return 0;
}

const struct hmm_trace_totals *hmm_trace_writer__totals(const struct hmm_trace_writer *w)
{
	return &w->totals;
}

static int write_footer(struct hmm_trace_writer *w)
{
	size_t len = F_PER_TYPE + 8 * HMM_REC_TYPE_MAX + 8 * w->index_len + F_TRAILER_LEN, i;
	const struct hmm_trace_totals *t = &w->totals;
	unsigned char *f = calloc(1, len), *p;
	__u64 off = t->file_bytes;
	int err;

	if (!f)
		return -ENOMEM;
	memcpy(f + F_MAGIC, FOOTER_MAGIC, 4);
	put32(f + F_LEN, (__u32)len);
	put32(f + F_N_TYPES, HMM_REC_TYPE_MAX);
	put64(f + F_N_INDEX, w->index_len);
	put64(f + F_RECORDS, t->records);
	put64(f + F_LOST, t->lost);
	put64(f + F_CHUNKS, t->chunks);
	put64(f + F_RAW_BYTES, t->raw_bytes);
	put64(f + F_FILE_BYTES, off + len);
	put64(f + F_FIRST_TS, t->first_ts);
	put64(f + F_LAST_TS, t->last_ts);
	p = f + F_PER_TYPE;
	for (i = 0; i < HMM_REC_TYPE_MAX; i++, p += 8)
		put64(p, t->per_type[i]);
	for (i = 0; i < w->index_len; i++, p += 8)
		put64(p, w->index[i]);
	put64(p, off);
	memcpy(p + 8, TRAILER_MAGIC, 8);
	put32(f + F_CRC, crc(0, f + F_LEN, len - F_LEN));
	err = write_block(w, f, len);
	free(f);
	return err;
}

int hmm_trace_writer__close(struct hmm_trace_writer *w)
{
	int err;

	if (!w)
		return 0;
	err = hmm_trace_writer__flush(w);
	if (!err)
		err = write_footer(w);
	if (close(w->fd) && !err)
		err = -errno;
	libdeflate_free_compressor(w->z);
	free(w->raw);
	free(w->x);
	free(w->out);
	free(w->index);
	free(w);
	return err;
}

/* ---- reader ------------------------------------------------------------------------------ */

#define SCAN_BYTES (64u << 10)

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
	/* A delta coded chunk: inflated into x, decoded into raw as a whole by next_chunk(). */
	bool delta;
	bool bmi2; /* decode with delta_decode_bmi2() */
	unsigned char *x;
	size_t x_cap;
	const unsigned char *ctl, *ctl_end, *res, *res_end;
	struct byte_runs runs[256]; /* by byte mask; see xor_words() */
	__u32 refs[D_TYPES][D_REFS]; /* a ring per type: the latest at head - 1 */
	__u8 n_refs[D_TYPES], head[D_TYPES];
	__u64 chunk_off, chunk_bytes; /* of the current chunk, for messages */
	__u64 next_seq;
	bool seq_known;
	unsigned char *scan;
	struct hmm_trace_read_stats st;
	struct readahead *ra; /* hmm_trace_reader__readahead() */
	struct hmm_symtab *syms; /* the file's HMM_REC_SYM records, as next() passes them */
};

/* Read up to len bytes at off: how many there were (short at the end of the file), or -errno. */
static ssize_t src_read(struct hmm_trace_reader *r, __u64 off, void *buf, size_t len)
{
	size_t done = 0;

	if (r->fd < 0) {
		if (off >= r->mem_len)
			return 0;
		if (len > r->mem_len - off)
			len = r->mem_len - off;
		memcpy(buf, r->mem + off, len);
		return (ssize_t)len;
	}
	while (done < len) {
		ssize_t n = pread(r->fd, (char *)buf + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static __u64 src_size(struct hmm_trace_reader *r)
{
	struct stat st;

	if (r->fd < 0)
		return r->mem_len;
	return fstat(r->fd, &st) ? 0 : (__u64)st.st_size;
}

static int grow(unsigned char **buf, size_t *cap, size_t need)
{
	unsigned char *p;

	if (need <= *cap)
		return 0;
	/* malloc: the inflated buffer must be 8-aligned for the records next() hands out. */
	p = malloc(need);
	if (!p)
		return -ENOMEM;
	free(*buf);
	*buf = p;
	*cap = need;
	return 0;
}

enum { HDR_OK, HDR_BAD, HDR_SHORT };

/* The fixed part of a chunk header at off: HDR_OK when its magic, CRC and lengths hold. */
static int read_chunk_hdr(struct hmm_trace_reader *r, __u64 off, unsigned char h[C_LEN])
{
	ssize_t n = src_read(r, off, h, C_LEN);
	__u32 hdr_len;

	if (n < 0)
		return (int)n;
	if (n < C_LEN)
		return HDR_SHORT;
	if (memcmp(h + C_MAGIC, CHUNK_MAGIC, 4) ||
	    !crc_ok(get32(h + C_CRC), crc(0, h + C_HDR_LEN, C_LEN - C_HDR_LEN)))
		return HDR_BAD;
	hdr_len = get32(h + C_HDR_LEN);
	if (hdr_len < C_LEN || hdr_len > C_MAX_HDR_LEN)
		return HDR_BAD;
	return HDR_OK;
}

static bool footer_ok(struct hmm_trace_reader *r, __u64 off, __u64 size)
{
	unsigned char h[F_PER_TYPE], *f;
	__u32 len;
	bool ok;

	if (src_read(r, off, h, sizeof(h)) != (ssize_t)sizeof(h))
		return false;
	len = get32(h + F_LEN);
	if (len < F_PER_TYPE + F_TRAILER_LEN || len > F_MAX_LEN || off + len > size)
		return false;
	f = malloc(len);
	if (!f)
		return false;
	ok = src_read(r, off, f, len) == (ssize_t)len &&
	     crc_ok(get32(f + F_CRC), crc(0, f + F_LEN, len - F_LEN));
	free(f);
	return ok;
}

/* After damage at r->off: the offset of the next block whose header checks out, or the end of
 * the file. A candidate is a magic whose CRC holds, so compressed data cannot pass for one. */
static __s64 resync(struct hmm_trace_reader *r, __u64 size)
{
	__u64 pos = r->off + 1;
	unsigned char h[C_LEN];

	if (!r->scan && !(r->scan = malloc(SCAN_BYTES)))
		return -ENOMEM;
	for (;;) {
		ssize_t n = src_read(r, pos, r->scan, SCAN_BYTES), i;

		if (n < 0)
			return n;
		if (n < 4)
			return (__s64)(pos + (__u64)n);
		for (i = 0; i + 4 <= n; i++) {
			const unsigned char *p = r->scan + i;

			if (p[0] != 'H' || p[1] != 'M' || p[2] != 'M')
				continue;
			if (p[3] == CHUNK_MAGIC[3]) {
				int rc = read_chunk_hdr(r, pos + i, h);

				if (rc < 0)
					return rc;
				if (rc == HDR_OK)
					return (__s64)(pos + i);
			} else if (p[3] == FOOTER_MAGIC[3] && footer_ok(r, pos + i, size)) {
				return (__s64)(pos + i);
			}
		}
		/* The last 3 bytes may begin a magic that continues in the next window. */
		pos += (__u64)(n - 3);
	}
}

static void cut_short(struct hmm_trace_reader *r, __u64 size, const unsigned char *chunk)
{
	__u64 lost = size > r->off ? size - r->off : 0;

	r->st.truncated_bytes += lost;
	r->done = true;
	if (chunk)
		hmm_log(HMM_LOG_WARN,
			"trace %s: cut short at byte %llu: the last %llu bytes are lost, an "
			"incomplete "
			"chunk of %u records (chunk %llu)\n",
			r->name, (unsigned long long)size, (unsigned long long)lost,
			get32(chunk + C_NRECORDS), (unsigned long long)get64(chunk + C_SEQ));
	else
		hmm_log(HMM_LOG_WARN,
			"trace %s: cut short at byte %llu: the last %llu bytes are lost (an "
			"incomplete "
			"chunk header or footer)\n",
			r->name, (unsigned long long)size, (unsigned long long)lost);
}

static void bad_chunk(struct hmm_trace_reader *r, const unsigned char *h, __u64 bytes,
		      const char *why)
{
	r->st.bad_chunks++;
	r->st.bad_chunk_bytes += bytes;
	hmm_log(HMM_LOG_WARN, "trace %s: chunk %llu at byte %llu skipped (%s): %u records lost\n",
		r->name, (unsigned long long)get64(h + C_SEQ), (unsigned long long)r->off, why,
		get32(h + C_NRECORDS));
}

/* The footer at r->off: totals for the stats. A damaged footer costs the totals, nothing else. */
static int read_footer(struct hmm_trace_reader *r, __u64 size)
{
	unsigned char head[F_PER_TYPE], *f = NULL;
	__u32 len, n_types, i;
	__u64 n_index;
	ssize_t n;
	int err = 0;

	r->done = true;
	n = src_read(r, r->off, head, sizeof(head));
	if (n < 0)
		return (int)n;
	len = get32(head + F_LEN);
	if (n < (ssize_t)sizeof(head) ||
	    (len >= F_PER_TYPE + F_TRAILER_LEN && len <= F_MAX_LEN && r->off + len > size)) {
		cut_short(r, size, NULL);
		return 0;
	}
	if (len >= F_PER_TYPE + F_TRAILER_LEN && len <= F_MAX_LEN) {
		f = malloc(len);
		if (!f)
			return -ENOMEM;
		n = src_read(r, r->off, f, len);
		if (n < 0) {
			err = (int)n;
			goto cleanup;
		}
	}
	n_types = f ? get32(f + F_N_TYPES) : 0;
	n_index = f ? get64(f + F_N_INDEX) : 0;
	if (!f || n != len || !crc_ok(get32(f + F_CRC), crc(0, f + F_LEN, len - F_LEN)) ||
	    n_types > len || n_index > len ||
	    F_PER_TYPE + 8ull * n_types + 8ull * n_index + F_TRAILER_LEN > len) {
		hmm_log(HMM_LOG_WARN, "trace %s: the footer at byte %llu is damaged: no totals\n",
			r->name, (unsigned long long)r->off);
		goto cleanup;
	}
	r->st.clean = true;
	r->st.has_totals = true;
	r->st.totals.records = get64(f + F_RECORDS);
	r->st.totals.lost = get64(f + F_LOST);
	r->st.totals.chunks = get64(f + F_CHUNKS);
	r->st.totals.raw_bytes = get64(f + F_RAW_BYTES);
	r->st.totals.file_bytes = get64(f + F_FILE_BYTES);
	r->st.totals.first_ts = get64(f + F_FIRST_TS);
	r->st.totals.last_ts = get64(f + F_LAST_TS);
	for (i = 0; i < n_types && i < HMM_REC_TYPE_MAX; i++)
		r->st.totals.per_type[i] = get64(f + F_PER_TYPE + 8 * i);
	if (r->off + len < size)
		hmm_log(HMM_LOG_WARN, "trace %s: %llu bytes after the footer ignored\n", r->name,
			(unsigned long long)(size - r->off - len));
cleanup:
	free(f);
	return err;
}

static void decode(struct hmm_trace_reader *r);

/* Load the next intact chunk into r->raw: 1, 0 at the end, or -errno. */
static int next_chunk(struct hmm_trace_reader *r)
{
	unsigned char h[C_LEN];
	__u32 hdr_len, comp_len, raw_len, records_len, res_len;
	__u64 size, seq, bytes;
	unsigned char *infl;
	__u16 flags;
	ssize_t n;
	int rc;

	for (;;) {
		size = src_size(r);
		if (r->off >= size) {
			r->done = true;
			if (!r->st.clean)
				hmm_log(HMM_LOG_WARN,
					"trace %s: no footer: the writer did not close the file "
					"(still recording, or killed)\n",
					r->name);
			return 0;
		}
		n = src_read(r, r->off, h, 4);
		if (n < 0)
			return (int)n;
		if (n == 4 && !memcmp(h, FOOTER_MAGIC, 4))
			return read_footer(r, size);
		rc = read_chunk_hdr(r, r->off, h);
		if (rc < 0)
			return rc;
		if (rc == HDR_SHORT) {
			cut_short(r, size, NULL);
			return 0;
		}
		if (rc == HDR_BAD) {
			__s64 next = resync(r, size);

			if (next < 0)
				return (int)next;
			r->st.bad_chunks++;
			r->st.bad_chunk_bytes += (__u64)next - r->off;
			hmm_log(HMM_LOG_WARN,
				"trace %s: damaged data at byte %llu: %llu bytes skipped to %s\n",
				r->name, (unsigned long long)r->off,
				(unsigned long long)((__u64)next - r->off),
				(__u64)next < size ? "the next chunk" : "the end of the file");
			r->off = (__u64)next;
			continue;
		}
		hdr_len = get32(h + C_HDR_LEN);
		comp_len = get32(h + C_COMP_LEN);
		raw_len = get32(h + C_RAW_LEN);
		flags = get16(h + C_FLAGS);
		seq = get64(h + C_SEQ);
		bytes = (__u64)hdr_len + comp_len;
		if (r->off + bytes > size) {
			cut_short(r, size, h);
			return 0;
		}
		/* The header's CRC held, so its length can be trusted to step over the chunk. */
		if (flags & ~CF_KNOWN) {
			/* A newer writer's coding: walking the payload as records misreads it. */
			char why[64];

			snprintf(why, sizeof(why), "unknown chunk flags %#x", flags & ~CF_KNOWN);
			bad_chunk(r, h, bytes, why);
			r->off += bytes;
			continue;
		}
		if (get16(h + C_CODEC) != CODEC_DEFLATE || comp_len > MAX_CHUNK_BYTES ||
		    raw_len > MAX_CHUNK_BYTES ||
		    (flags & CF_DELTA ? raw_len < D_PREFIX : raw_len % 8)) {
			bad_chunk(r, h, bytes, "unknown codec or implausible size");
			r->off += bytes;
			continue;
		}
		if (grow(&r->comp, &r->comp_cap, bytes - C_LEN ? bytes - C_LEN : 1) ||
		    (flags & CF_DELTA ? grow(&r->x, &r->x_cap, raw_len + 8)
				      : grow(&r->raw, &r->raw_cap, raw_len ? raw_len : 8)))
			return -ENOMEM;
		infl = flags & CF_DELTA ? r->x : r->raw;
		n = src_read(r, r->off + C_LEN, r->comp, bytes - C_LEN);
		if (n < 0)
			return (int)n;
		if ((__u64)n < bytes - C_LEN) {
			cut_short(r, src_size(r), h);
			return 0;
		}
		if (!crc_ok(get32(h + C_DATA_CRC), crc(0, r->comp, bytes - C_LEN))) {
			bad_chunk(r, h, bytes, "CRC mismatch");
			r->off += bytes;
			continue;
		}
		/* Whole chunk at once, into exactly raw_len bytes: a stream that ends short of it
		 * or runs past it fails (libdeflate is built to take hostile input). */
		if (libdeflate_deflate_decompress(r->z, r->comp + (hdr_len - C_LEN), comp_len, infl,
						  raw_len, NULL) != LIBDEFLATE_SUCCESS) {
			bad_chunk(r, h, bytes, "bad compressed data");
			r->off += bytes;
			continue;
		}
		r->delta = flags & CF_DELTA;
		if (r->delta) {
			memset(r->x + raw_len, 0, 8); /* xor_words() reads up to 7 past the end */
			records_len = get32(r->x + D_RECORDS_LEN);
			res_len = get32(r->x + D_RESID_LEN);
			if (records_len > MAX_CHUNK_BYTES || records_len % 8 ||
			    res_len > raw_len - D_PREFIX) {
				bad_chunk(r, h, bytes, "bad delta coding");
				r->off += bytes;
				continue;
			}
			if (grow(&r->raw, &r->raw_cap, records_len ? records_len : 8))
				return -ENOMEM;
			r->res = r->x + D_PREFIX;
			r->res_end = r->ctl = r->res + res_len;
			r->ctl_end = r->x + raw_len;
			memset(r->n_refs, 0, sizeof(r->n_refs));
			r->raw_len = raw_len = records_len;
			decode(r);
		} else {
			r->good_len = raw_len;
		}
		if (r->seq_known && seq != r->next_seq)
			hmm_log(HMM_LOG_WARN, "trace %s: chunk %llu follows chunk %llu\n", r->name,
				(unsigned long long)seq, (unsigned long long)r->next_seq - 1);
		r->seq_known = true;
		r->next_seq = seq + 1;
		r->chunk_off = r->off;
		r->chunk_bytes = bytes;
		r->off += bytes;
		r->raw_len = raw_len;
		r->pos = 0;
		r->st.chunks++;
		return 1;
	}
}

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
 * Decode the delta coded records of the current chunk (FORMAT.md, "Delta coding") into r->raw,
 * in order, up to the first that is malformed (a control stream or residual cut short, a record
 * that would not fit the chunk, a reference that is not there or not the same size, a length out
 * of range): r->good_len is where decoding stopped, r->raw_len where it did not. expand is one
 * of the functions above: the caller below is built once with each, where the CPU has BMI2.
 */
static inline __attribute__((always_inline)) void delta_decode(struct hmm_trace_reader *r,
							       expand_fn expand)
{
	const unsigned char *ctl = r->ctl, *ctl_end = r->ctl_end, *res = r->res;
	const unsigned char *res_end = r->res_end, *mask, *ref;
	const struct byte_runs *runs = r->runs;
	size_t pos = 0, raw_len = r->raw_len, stride, nw, nb, b, left;
	unsigned int k;
	__u16 type, size;
	__u64 bits;

	for (; pos < raw_len; pos += stride) {
		unsigned char *out = r->raw + pos;

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
			if (type >= D_TYPES || k > r->n_refs[type])
				goto stop;
			ref = r->raw + r->refs[type][(r->head[type] - k) % D_REFS];
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
			r->refs[type][r->head[type]++ % D_REFS] = (__u32)pos;
			if (r->n_refs[type] < D_REFS)
				r->n_refs[type]++;
		}
	}
stop:
	/* The end of the chunk, or the first malformed record. */
	r->good_len = pos;
}

static void delta_decode_generic(struct hmm_trace_reader *r)
{
	delta_decode(r, expand_runs);
}

#ifdef DELTA_BMI2
static __attribute__((target("bmi2"))) void delta_decode_bmi2(struct hmm_trace_reader *r)
{
	delta_decode(r, expand_pdep);
}
#endif

static void decode(struct hmm_trace_reader *r)
{
#ifdef DELTA_BMI2
	if (r->bmi2) {
		delta_decode_bmi2(r);
		return;
	}
#endif
	delta_decode_generic(r);
}

void hmm_trace_reader__portable(struct hmm_trace_reader *r)
{
	r->bmi2 = false;
}

/* A record that does not fit inside a chunk whose CRC held: a writer bug or a forged CRC. The
 * records before it were good; the rest of the chunk cannot be walked. */
static void bad_records(struct hmm_trace_reader *r)
{
	hmm_log(HMM_LOG_WARN,
		"trace %s: chunk at byte %llu: malformed record at offset %zu: rest of the chunk "
		"(%zu bytes) skipped\n",
		r->name, (unsigned long long)r->chunk_off, r->pos, r->raw_len - r->pos);
	r->st.chunks--;
	r->st.bad_chunks++;
	r->st.bad_chunk_bytes += r->chunk_bytes;
	r->pos = r->raw_len;
}

/* The next record of the current chunk: 1, or 0 when the chunk has no more. */
static int chunk_next(struct hmm_trace_reader *r, const struct hmm_rec_hdr **rec)
{
	int err;

	while (r->pos < r->raw_len) {
		const struct hmm_rec_hdr *h = (const void *)(r->raw + r->pos);

		if (r->pos >= r->good_len) {
			bad_records(r);
			continue;
		}

		/* raw_len is a multiple of 8 and check() bounds size by what is left, so the
		 * padded stride stays inside the chunk. */
		err = hmm_rec_check(h, r->raw_len - r->pos);
		if (!err) {
			r->pos += ALIGN8(h->size);
			r->st.records++;
			if (h->type == HMM_REC_LOST)
				r->st.lost += ((const struct hmm_rec_lost *)h)->count;
			*rec = h;
			return 1;
		}
		if (err == -ENOENT) {
			r->pos += ALIGN8(h->size);
			r->st.unknown_records++;
			continue;
		}
		bad_records(r);
	}
	return 0;
}

static int ra_next(struct hmm_trace_reader *r, const struct hmm_rec_hdr **rec);

static int next_rec(struct hmm_trace_reader *r, const struct hmm_rec_hdr **rec)
{
	int err;

	if (r->ra)
		return ra_next(r, rec);
	for (;;) {
		if (chunk_next(r, rec))
			return 1;
		if (r->done)
			return 0;
		err = next_chunk(r);
		if (err <= 0)
			return err;
	}
}

/* The symbols learnt here, in the caller's thread: a writer puts each HMM_REC_SYM record before
 * the first record naming its address (hmmtrace record), so a reader knows it in time. */
int hmm_trace_reader__next(struct hmm_trace_reader *r, const struct hmm_rec_hdr **rec)
{
	int ret = next_rec(r, rec);

	if (ret > 0 && (*rec)->type == HMM_REC_SYM) {
		if (!r->syms)
			r->syms = hmm_symtab__new(NULL);
		if (!r->syms || hmm_symtab__add(r->syms, (const struct hmm_rec_sym *)*rec))
			return -ENOMEM;
	}
	return ret;
}

struct hmm_symtab *hmm_trace_reader__symtab(struct hmm_trace_reader *r)
{
	if (!r->syms)
		r->syms = hmm_symtab__new(NULL);
	return r->syms;
}

int hmm_trace_replay(struct hmm_trace_reader *r, hmm_event_fn fn, void *ctx)
{
	const struct hmm_rec_hdr *rec;
	int err;

	while ((err = hmm_trace_reader__next(r, &rec)) > 0) {
		const struct hmm_rec_desc *d = hmm_rec_desc(rec->type);

		if (d && !d->event)
			continue;
		err = fn(ctx, rec);
		if (err)
			return err;
	}
	return err;
}

/* ---- read-ahead ---------------------------------------------------------------------------- */

/*
 * With read-ahead a worker thread does everything next() does above (read, CRC, inflate, delta
 * decoding, record checks, the warnings, the stats) one chunk at a time, and hands each chunk
 * over decoded: its records and the offsets of those next() returns. The consumer only walks
 * the offsets. The worker owns every field of the reader but ra while it runs; the two share
 * only struct readahead, under its lock. Each batch carries the stats as of its end, and
 * hmm_trace_reader__stats() shows those of the batch being walked: at the end, the same as
 * without read-ahead, as are the records and the warnings, in the same order.
 *
 * RA_BATCHES batches are in flight. A side that has to wait is woken only once the other has
 * gone RA_WAKE batches further (or the file ended), not after each one: a wakeup crosses CPUs,
 * tens of microseconds in a VM, and a 10-million-event file has thousands of chunks.
 */
#define RA_BATCHES 8
#define RA_WAKE	   (RA_BATCHES / 2)

struct ra_batch {
	unsigned char *raw; /* the chunk's records (the reader's raw, swapped) */
	size_t raw_cap;
	__u32 *recs; /* offsets in raw of the records next() returns */
	size_t recs_cap, n, i;
	struct hmm_trace_read_stats st;
	bool end; /* the last batch: next() returns err once its records are walked */
	int err;
};

struct readahead {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct ra_batch b[RA_BATCHES];
	/* Batches the worker filled, the consumer took and gave back; b[i % RA_BATCHES] is the
	 * i-th. Taken and not given back: the one being walked (cur). */
	__u64 filled, taken, released;
	bool stop, worker_waits, consumer_waits;
	struct ra_batch *cur;
	struct hmm_trace_read_stats st;
};

/* Fill one batch with the next chunk, as next() would walk it; at the end of the file, or where
 * memory runs out (-ENOMEM), the last batch. */
static void ra_fill(struct hmm_trace_reader *r, struct ra_batch *b)
{
	const struct hmm_rec_hdr *rec;
	unsigned char *t;
	size_t cap;
	int err;

	b->n = b->i = 0;
	b->end = false;
	/* A new chunk, unless read-ahead started in the middle of one: the rest of it first. */
	if (r->pos >= r->raw_len) {
		err = r->done ? 0 : next_chunk(r);
		if (err <= 0)
			goto last;
	}
	while (chunk_next(r, &rec)) {
		if (grow_array(&b->recs, &b->recs_cap, b->n + 1, sizeof(*b->recs), 1024)) {
			b->n = 0;
			err = -ENOMEM;
			goto last;
		}
		b->recs[b->n++] = (__u32)((const unsigned char *)rec - r->raw);
	}
	/* The chunk goes to the batch; the batch's old buffer, which the consumer is done with,
	 * takes the next chunk. */
	t = b->raw, b->raw = r->raw, r->raw = t;
	cap = b->raw_cap, b->raw_cap = r->raw_cap, r->raw_cap = cap;
	r->raw_len = r->pos = 0;
	b->st = r->st;
	return;
last:
	b->end = true;
	b->err = err;
	b->st = r->st;
}

static void *ra_worker(void *arg)
{
	struct hmm_trace_reader *r = arg;
	struct readahead *ra = r->ra;
	struct ra_batch *b;
	bool end;

	do {
		pthread_mutex_lock(&ra->lock);
		while (ra->filled - ra->released == RA_BATCHES && !ra->stop) {
			ra->worker_waits = true;
			pthread_cond_wait(&ra->cond, &ra->lock);
		}
		ra->worker_waits = false;
		if (ra->stop) {
			pthread_mutex_unlock(&ra->lock);
			break;
		}
		b = &ra->b[ra->filled % RA_BATCHES];
		pthread_mutex_unlock(&ra->lock);

		ra_fill(r, b);
		end = b->end;

		pthread_mutex_lock(&ra->lock);
		ra->filled++;
		if (ra->consumer_waits && (ra->filled - ra->taken >= RA_WAKE || end))
			pthread_cond_broadcast(&ra->cond);
		pthread_mutex_unlock(&ra->lock);
	} while (!end);
	return NULL;
}

static int ra_next(struct hmm_trace_reader *r, const struct hmm_rec_hdr **rec)
{
	struct readahead *ra = r->ra;
	struct ra_batch *b;

	for (;;) {
		b = ra->cur;
		if (b) {
			if (b->i < b->n) {
				*rec = (const void *)(b->raw + b->recs[b->i++]);
				return 1;
			}
			if (b->end)
				return b->err;
		}
		/* Give the walked batch back (the record returned last from it is no longer in
		 * use: the caller asked for the next) and take the next one. */
		pthread_mutex_lock(&ra->lock);
		if (b) {
			ra->released++;
			if (ra->worker_waits && ra->filled - ra->released <= RA_BATCHES - RA_WAKE)
				pthread_cond_broadcast(&ra->cond);
		}
		while (ra->filled == ra->taken) {
			ra->consumer_waits = true;
			pthread_cond_wait(&ra->cond, &ra->lock);
		}
		ra->consumer_waits = false;
		b = &ra->b[ra->taken++ % RA_BATCHES];
		pthread_mutex_unlock(&ra->lock);
		ra->cur = b;
		ra->st = b->st;
	}
}

/* Stop the worker, wherever it is, and forget what it read ahead. */
static void ra_stop(struct hmm_trace_reader *r)
{
	struct readahead *ra = r->ra;

	pthread_mutex_lock(&ra->lock);
	ra->stop = true;
	pthread_cond_broadcast(&ra->cond);
	pthread_mutex_unlock(&ra->lock);
	pthread_join(ra->thread, NULL);
	ra->stop = false;
	ra->filled = ra->taken = ra->released = 0;
	ra->cur = NULL;
}

static int ra_start(struct hmm_trace_reader *r)
{
	return -pthread_create(&r->ra->thread, NULL, ra_worker, r);
}

static void ra_free(struct readahead *ra)
{
	size_t i;

	for (i = 0; i < RA_BATCHES; i++) {
		free(ra->b[i].raw);
		free(ra->b[i].recs);
	}
	pthread_mutex_destroy(&ra->lock);
	pthread_cond_destroy(&ra->cond);
	free(ra);
}

int hmm_trace_reader__readahead(struct hmm_trace_reader *r)
{
	struct readahead *ra;
	int err;

	if (r->ra)
		return 0;
	ra = calloc(1, sizeof(*ra));
	if (!ra)
		return -ENOMEM;
	pthread_mutex_init(&ra->lock, NULL);
	pthread_cond_init(&ra->cond, NULL);
	/* From where the caller is: records of the current chunk not yet returned come first. */
	ra->st = r->st;
	r->ra = ra;
	err = ra_start(r);
	if (err) {
		r->ra = NULL;
		ra_free(ra);
	}
	return err;
}

static int parse_header(struct hmm_trace_reader *r)
{
	unsigned char *h = NULL, fixed[H_LEN + 4];
	struct hmm_trace_meta *m = &r->meta;
	__u32 len, mark, aps_off, ap_size, n_aps, i;
	__u16 major, minor;
	ssize_t n;
	int err = -EPROTO;

	n = src_read(r, 0, fixed, sizeof(fixed));
	if (n < 0)
		return (int)n;
	if (n == 0) {
		hmm_log(HMM_LOG_WARN, "%s: empty file, not an hmmscope trace\n", r->name);
		return -EPROTO;
	}
	if (n < 8 || memcmp(fixed, FILE_MAGIC, 8)) {
		hmm_log(HMM_LOG_WARN, "%s: not an hmmscope trace file (no %s magic)\n", r->name,
			FILE_MAGIC);
		return -EPROTO;
	}
	if (n < (ssize_t)sizeof(fixed)) {
		hmm_log(HMM_LOG_WARN, "%s: trace header cut short (%zd bytes)\n", r->name, n);
		return -EPROTO;
	}
	mark = get32(fixed + H_ENDIAN);
	if (mark == __builtin_bswap32(ENDIAN_MARK)) {
		hmm_log(HMM_LOG_WARN,
			"%s: a big-endian trace file: this reader reads only the "
			"little-endian format (docs/FORMAT.md)\n",
			r->name);
		return -EPROTO;
	}
	if (mark != ENDIAN_MARK) {
		hmm_log(HMM_LOG_WARN, "%s: bad byte-order mark %#x: not an hmmscope trace\n",
			r->name, mark);
		return -EPROTO;
	}
	/* The version is checked before the length and CRC: another major may lay them out
	 * differently. Magic, version and byte-order mark stay where they are forever. */
	major = get16(fixed + H_MAJOR);
	minor = get16(fixed + H_MINOR);
	if (major != HMM_TRACE_VERSION_MAJOR) {
		hmm_log(HMM_LOG_WARN,
			"%s: trace format version %u.%u, this reader reads %u.x: %s\n", r->name,
			major, minor, HMM_TRACE_VERSION_MAJOR,
			major > HMM_TRACE_VERSION_MAJOR ? "written by a newer hmmscope, use that"
							: "too old for this hmmscope");
		return -EPROTONOSUPPORT;
	}
	len = get32(fixed + H_LEN);
	if (len < H_FIXED_LEN || len > H_MAX_LEN) {
		hmm_log(HMM_LOG_WARN, "%s: trace header length %u is implausible: damaged header\n",
			r->name, len);
		return -EPROTO;
	}
	h = malloc(len);
	if (!h)
		return -ENOMEM;
	n = src_read(r, 0, h, len);
	if (n < 0) {
		err = (int)n;
		goto cleanup;
	}
	if (n < len) {
		hmm_log(HMM_LOG_WARN, "%s: trace header cut short (%zd of %u bytes)\n", r->name, n,
			len);
		goto cleanup;
	}
	if (!crc_ok(get32(h + H_CRC), header_crc(h, len))) {
		hmm_log(HMM_LOG_WARN, "%s: trace header damaged (CRC mismatch)\n", r->name);
		goto cleanup;
	}
	aps_off = get32(h + H_APS_OFF);
	ap_size = get32(h + H_AP_SIZE);
	n_aps = get32(h + H_N_APS);
	if (aps_off < H_FIXED_LEN || ap_size < AP_SIZE ||
	    (__u64)aps_off + (__u64)n_aps * ap_size > len) {
		hmm_log(HMM_LOG_WARN, "%s: trace header damaged (probe report out of bounds)\n",
			r->name);
		goto cleanup;
	}
	if (minor > HMM_TRACE_VERSION_MINOR)
		hmm_log(HMM_LOG_INFO,
			"%s: trace format %u.%u is newer than this reader's %u.%u: what it adds is "
			"skipped\n",
			r->name, major, minor, HMM_TRACE_VERSION_MAJOR, HMM_TRACE_VERSION_MINOR);
	memset(m, 0, sizeof(*m));
	m->version_major = major;
	m->version_minor = minor;
	m->schema = get32(h + H_SCHEMA);
	m->ncpus = get32(h + H_NCPUS);
	m->page_size = get32(h + H_PAGE_SIZE);
	m->start_mono_ns = get64(h + H_START_MONO);
	m->start_real_ns = get64(h + H_START_REAL);
	m->filter_pid = get32(h + H_FILTER_PID);
	m->filter_owner = get32(h + H_FILTER_OWNER);
	m->filter_min_dur_ns = get64(h + H_FILTER_MIN);
	get_str(m->host, sizeof(m->host), h + H_HOST, H_HOST_SZ);
	get_str(m->release, sizeof(m->release), h + H_RELEASE, H_RELEASE_SZ);
	get_str(m->boot_id, sizeof(m->boot_id), h + H_BOOT_ID, H_BOOT_ID_SZ);
	get_str(m->command, sizeof(m->command), h + H_COMMAND, H_COMMAND_SZ);
	if (n_aps > HMM_TRACE_MAX_APS)
		hmm_log(HMM_LOG_WARN, "%s: %u attach points in the probe report, only %u kept\n",
			r->name, n_aps, HMM_TRACE_MAX_APS);
	m->n_aps = n_aps > HMM_TRACE_MAX_APS ? HMM_TRACE_MAX_APS : n_aps;
	for (i = 0; i < m->n_aps; i++) {
		const unsigned char *e = h + aps_off + (size_t)i * ap_size;
		struct hmm_trace_ap *ap = &m->aps[i];

		ap->ap = get32(e + 0);
		ap->state = get32(e + 4);
		ap->mode = get32(e + 8);
		ap->err = (__s32)get32(e + 12);
		get_str(ap->func, sizeof(ap->func), e + AP_FUNC, HMM_TRACE_FUNC_LEN);
		get_str(ap->reason, sizeof(ap->reason), e + AP_REASON, HMM_TRACE_REASON_LEN);
	}
	r->data_off = len;
	r->off = len;
	err = 0;
cleanup:
	free(h);
	return err;
}

static struct hmm_trace_reader *reader_open(struct hmm_trace_reader *r, int *err)
{
	int e;

	if (!r->name) {
		e = -ENOMEM;
		goto cleanup;
	}
	runs_init(r->runs);
#ifdef DELTA_BMI2
	r->bmi2 = __builtin_cpu_supports("bmi2");
#endif
	r->z = libdeflate_alloc_decompressor();
	if (!r->z) {
		e = -ENOMEM;
		goto cleanup;
	}
	e = parse_header(r);
cleanup:
	if (err)
		*err = e;
	if (e) {
		hmm_trace_reader__close(r);
		return NULL;
	}
	return r;
}

struct hmm_trace_reader *hmm_trace_reader__open(const char *path, int *err)
{
	struct hmm_trace_reader *r = calloc(1, sizeof(*r));
	int e;

	if (!r) {
		e = -ENOMEM;
		goto fail;
	}
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		e = -errno;
		hmm_log(HMM_LOG_WARN, "%s: %s\n", path, strerror(-e));
		free(r);
		goto fail;
	}
	r->name = strdup(path);
	return reader_open(r, err);
fail:
	if (err)
		*err = e;
	return NULL;
}

struct hmm_trace_reader *hmm_trace_reader__open_mem(const void *data, size_t len, int *err)
{
	struct hmm_trace_reader *r = calloc(1, sizeof(*r));

	if (!r) {
		if (err)
			*err = -ENOMEM;
		return NULL;
	}
	r->fd = -1;
	r->mem = data;
	r->mem_len = len;
	r->name = strdup("<memory>");
	return reader_open(r, err);
}

const struct hmm_trace_meta *hmm_trace_reader__meta(const struct hmm_trace_reader *r)
{
	return &r->meta;
}

int hmm_trace_reader__rewind(struct hmm_trace_reader *r)
{
	int err;

	if (r->ra)
		ra_stop(r);
	memset(&r->st, 0, sizeof(r->st));
	r->off = r->data_off;
	r->done = false;
	r->raw_len = r->pos = 0;
	r->seq_known = false;
	if (r->ra) {
		memset(&r->ra->st, 0, sizeof(r->ra->st));
		err = ra_start(r);
		if (err) { /* reading goes on in this thread */
			ra_free(r->ra);
			r->ra = NULL;
		}
	}
	return 0;
}

const struct hmm_trace_read_stats *hmm_trace_reader__stats(const struct hmm_trace_reader *r)
{
	return r->ra ? &r->ra->st : &r->st;
}

void hmm_trace_reader__close(struct hmm_trace_reader *r)
{
	if (!r)
		return;
	if (r->ra) {
		ra_stop(r);
		ra_free(r->ra);
	}
	if (r->fd >= 0)
		close(r->fd);
	libdeflate_free_decompressor(r->z);
	free(r->comp);
	free(r->x);
	free(r->raw);
	free(r->scan);
	free(r->name);
	hmm_symtab__free(r->syms);
	free(r);
}

/* ---- meta -------------------------------------------------------------------------------- */

int hmm_trace_meta_from_system(struct hmm_trace_meta *meta)
{
	struct utsname u;
	long ncpus, page;
	ssize_t n;
	int fd;

	if (uname(&u))
		return -errno;
	snprintf(meta->host, sizeof(meta->host), "%s", u.nodename);
	snprintf(meta->release, sizeof(meta->release), "%s", u.release);
	/* No boot id (no procfs in a container): leave it empty, the rest still describes us. */
	meta->boot_id[0] = '\0';
	fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, meta->boot_id, sizeof(meta->boot_id) - 1);
		close(fd);
		if (n < 0)
			n = 0;
		meta->boot_id[n] = '\0';
		meta->boot_id[strcspn(meta->boot_id, "\n")] = '\0';
	}
	/* Configured CPUs: cpu numbers in records go up to this, even for CPUs now offline. */
	ncpus = sysconf(_SC_NPROCESSORS_CONF);
	page = sysconf(_SC_PAGESIZE);
	meta->ncpus = ncpus > 0 ? (__u32)ncpus : 0;
	meta->page_size = page > 0 ? (__u32)page : 0;
	if (!meta->schema)
		meta->schema = HMM_SCHEMA_VERSION;
	return 0;
}
