/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The trace file's layout (docs/FORMAT.md) for its writer, reader and delta codec: offsets of
 * every header, chunk and footer field, the codec's constants, and the byte and CRC helpers.
 * Internal to lib/: not installed.
 */
#ifndef HMMSCOPE_TRACE_FORMAT_H
#define HMMSCOPE_TRACE_FORMAT_H

#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <libdeflate.h>
#include "hmmscope.h"

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

/* The same CRC32 as zlib's crc32() (FORMAT.md); libdeflate's uses PCLMULQDQ where the CPU has it,
 * several times faster than zlib 1.2's tables, and takes a size_t length. */
static inline __u32 crc(__u32 c, const unsigned char *p, size_t n)
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
static inline __u32 header_crc(const unsigned char *h, size_t len)
{
	return crc(crc(0, h, H_CRC), h + H_CRC + 4, len - H_CRC - 4);
}

static inline void put_str(unsigned char *p, size_t field, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	if (n >= field)
		n = field - 1;
	memcpy(p, s, n);
}

static inline void get_str(char *dst, size_t dst_len, const unsigned char *p, size_t field)
{
	size_t n = strnlen((const char *)p, field);

	if (n >= dst_len)
		n = dst_len - 1;
	memcpy(dst, p, n);
	dst[n] = '\0';
}

static inline __u64 mono_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

#endif /* HMMSCOPE_TRACE_FORMAT_H */
