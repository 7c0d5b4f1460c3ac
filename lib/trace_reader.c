// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The trace file reader (docs/FORMAT.md): the header, then chunk by chunk, each checked (CRC),
 * inflated whole and, when delta coded, decoded whole (trace_delta.h); damage costs the chunk it
 * is in (resync() finds the next), a cut-short file reads to its last complete chunk, and both
 * are warned about and counted. Read-ahead, where a caller wants it, is trace_readahead.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include "trace_internal.h"

#define SCAN_BYTES (64u << 10)


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

static int grow_buf(unsigned char **buf, size_t *cap, size_t need)
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
	/* An intact file reads exactly what its writer counted: anything else was changed after. */
	if (!r->st.bad_chunks && !r->st.dup_chunks &&
	    (r->st.totals.records != r->st.records + r->st.unknown_records ||
	     r->st.totals.lost != r->st.lost))
		hmm_log(HMM_LOG_WARN,
			"trace %s: its footer counts %llu records (%llu lost), %llu were read (%llu "
			"lost): the file was changed after it was written\n",
			r->name, (unsigned long long)r->st.totals.records,
			(unsigned long long)r->st.totals.lost,
			(unsigned long long)(r->st.records + r->st.unknown_records),
			(unsigned long long)r->st.lost);
	if (r->off + len < size)
		hmm_log(HMM_LOG_WARN, "trace %s: %llu bytes after the footer ignored\n", r->name,
			(unsigned long long)(size - r->off - len));
cleanup:
	free(f);
	return err;
}

/* Load the next intact chunk into r->raw: 1, 0 at the end, or -errno. */
int trace_next_chunk(struct hmm_trace_reader *r)
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
		if (kmap_get(&r->seqs_read, seq, 0) >= 0) {
			/* A writer numbers its chunks 0, 1, 2 ...: a number read already is a copy (a
			 * file put together wrongly), and counting it would count its records twice.
			 * (Only a number read: one forged chunk numbered far ahead hides nothing.) */
			r->st.dup_chunks++;
			hmm_log(HMM_LOG_WARN,
				"trace %s: chunk %llu at byte %llu was read already: skipped, %u records "
				"not counted twice\n",
				r->name, (unsigned long long)seq, (unsigned long long)r->off,
				get32(h + C_NRECORDS));
			r->off += bytes;
			continue;
		}
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
		if (grow_buf(&r->comp, &r->comp_cap, bytes - C_LEN ? bytes - C_LEN : 1) ||
		    (flags & CF_DELTA ? grow_buf(&r->x, &r->x_cap, raw_len + 8)
				      : grow_buf(&r->raw, &r->raw_cap, raw_len ? raw_len : 8)))
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
			if (grow_buf(&r->raw, &r->raw_cap, records_len ? records_len : 8))
				return -ENOMEM;
			/* After the prefix: the residual, then the control stream. */
			r->good_len = delta_dec_chunk(&r->dec, r->x + D_PREFIX + res_len,
						      r->x + raw_len, r->x + D_PREFIX,
						      r->x + D_PREFIX + res_len, r->raw, records_len);
			r->raw_len = raw_len = records_len;
		} else {
			r->good_len = raw_len;
		}
		if (r->seq_known && seq != r->next_seq)
			hmm_log(HMM_LOG_WARN, "trace %s: chunk %llu follows chunk %llu\n", r->name,
				(unsigned long long)seq, (unsigned long long)r->next_seq - 1);
		r->seq_known = true;
		r->next_seq = seq + 1;
		if (kmap_put(&r->seqs_read, seq, 0, 0))
			return -ENOMEM;
		r->chunk_off = r->off;
		r->chunk_bytes = bytes;
		r->off += bytes;
		r->raw_len = raw_len;
		r->pos = 0;
		r->st.chunks++;
		return 1;
	}
}

void hmm_trace_reader__portable(struct hmm_trace_reader *r)
{
	r->dec.bmi2 = false;
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
int trace_chunk_next(struct hmm_trace_reader *r, const struct hmm_rec_hdr **rec)
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

static int next_rec(struct hmm_trace_reader *r, const struct hmm_rec_hdr **rec)
{
	int err;

	if (r->ra) {
		if (r->rac.i < r->rac.n) {
			*rec = (const void *)(r->rac.raw + r->rac.recs[r->rac.i++]);
			return 1;
		}
		return trace_ra_next(r, rec);
	}
	for (;;) {
		if (trace_chunk_next(r, rec))
			return 1;
		if (r->done)
			return 0;
		err = trace_next_chunk(r);
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
	} else if (ret > 0 && (*rec)->type == HMM_REC_STACK) {
		if (!r->stacks)
			r->stacks = hmm_stacktab__new();
		if (!r->stacks || hmm_stacktab__add(r->stacks, (const struct hmm_rec_stack *)*rec))
			return -ENOMEM;
	}
	return ret;
}

struct hmm_stacktab *hmm_trace_reader__stacks(struct hmm_trace_reader *r)
{
	if (!r->stacks)
		r->stacks = hmm_stacktab__new();
	return r->stacks;
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
	/* Records are read as this library lays them out: a schema it does not know would be
	 * misread, not skipped (hist merge refuses a mismatch too). */
	if (m->schema == 0 || m->schema > HMM_SCHEMA_VERSION) {
		hmm_log(HMM_LOG_WARN,
			"%s: record schema %u, this reader reads schemas 1 to %u: %s\n", r->name,
			m->schema, HMM_SCHEMA_VERSION,
			m->schema ? "written by a newer hmmscope, use that" : "a damaged header");
		err = -EPROTONOSUPPORT;
		goto cleanup;
	}
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
	delta_dec_init(&r->dec);
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
	struct stat st;
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
	/* A trace is read by offset: damage is stepped over, a file is read twice (heatmap). */
	if (fstat(r->fd, &st) == 0 && !S_ISREG(st.st_mode)) {
		e = -ESPIPE;
		hmm_log(HMM_LOG_WARN, "%s: a pipe or a device, not a file: trace files are read by "
			"offset (damage is skipped by seeking); save it to a file first\n", path);
		close(r->fd);
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
		trace_ra_stop(r);
	memset(&r->st, 0, sizeof(r->st));
	r->off = r->data_off;
	r->done = false;
	r->raw_len = r->pos = 0;
	r->seq_known = false;
	kmap_free(&r->seqs_read);
	if (r->ra) {
		err = trace_ra_start(r);
		if (err) { /* reading goes on in this thread */
			trace_ra_free(r->ra);
			r->ra = NULL;
		}
	}
	return 0;
}

const struct hmm_trace_read_stats *hmm_trace_reader__stats(const struct hmm_trace_reader *r)
{
	return r->ra ? trace_ra_stats(r->ra) : &r->st;
}

void hmm_trace_reader__close(struct hmm_trace_reader *r)
{
	if (!r)
		return;
	if (r->ra) {
		trace_ra_stop(r);
		trace_ra_free(r->ra);
	}
	if (r->fd >= 0)
		close(r->fd);
	libdeflate_free_decompressor(r->z);
	free(r->comp);
	free(r->x);
	free(r->raw);
	free(r->scan);
	free(r->name);
	kmap_free(&r->seqs_read);
	hmm_symtab__free(r->syms);
	hmm_stacktab__free(r->stacks);
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
