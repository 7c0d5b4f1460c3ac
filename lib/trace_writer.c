// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The trace file writer (docs/FORMAT.md): records stored as they come from the ring buffer, each
 * padded to 8 bytes, in chunks that are raw DEFLATE streams compressed and written on their own
 * (one write() of header and payload), so a file cut short or damaged in the middle loses whole
 * chunks and nothing else. A chunk is compressed whole, libdeflate's one-shot API: 2-3 times
 * faster than zlib at level 1 (tests/bench/trace.sh), and standard raw DEFLATE that zlib's
 * inflate reads as well. Delta coded chunks (trace_delta.h) are coded as add() takes records.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libdeflate.h>
#include "internal.h"
#include "kmap.h"
#include "rec.h"
#include "trace.h"
#include "trace_delta.h"

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
	bool delta; /* delta coded chunks (trace_delta.h) */
	int level;
	struct delta_enc enc;
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
		w->enc.x_ctl_off = D_PREFIX + raw_max + 8;
		w->enc.x_cap = w->enc.x_ctl_off + raw_max / 4 * 3 + 64;
		w->enc.x = malloc(w->enc.x_cap);
	}
	if (w->z) {
		/* Level 1 delta: stored blocks, then a compressed stream; otherwise one stream. */
		w->out_cap = libdeflate_deflate_compress_bound(w->z,
							       w->delta ? w->enc.x_cap : raw_max);
		if (w->delta)
			w->out_cap += w->enc.x_ctl_off + 5 * (w->enc.x_ctl_off / STORED_MAX + 1);
		w->out_cap += C_LEN;
		w->out = malloc(w->out_cap);
	}
	m = malloc(sizeof(*m));
	if (!w->z || !w->raw || !w->out || (w->delta && !w->enc.x) || !m) {
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
		free(w->enc.x);
		free(w->out);
		free(w);
		errno = -err;
		return NULL;
	}
	return w;
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
	if (grow_array(&w->index, &w->index_cap, w->index_len + 1, sizeof(*w->index)))
		return -ENOMEM;
	/* With a compress_bound() output buffer this cannot run out of room: 0 would be a bug. */
	if (w->delta)
		comp = delta_enc_compress(&w->enc, w->raw_len, w->level, w->z, c + C_LEN,
					  w->out_cap - C_LEN, &inflated);
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
	delta_enc_reset(&w->enc);
	return 0;
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
		delta_enc_add(&w->enc, w->raw, w->raw_len);
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
	free(w->enc.x);
	free(w->out);
	free(w->index);
	free(w);
	return err;
}
