/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Trace files (docs/FORMAT.md): what `hmmtrace record` writes and every replaying tool reads.
 *
 *	w = hmm_trace_writer__open(path, &meta, &opts);
 *	hmm_trace_writer__add(w, rec);		   records, as they come from the ring buffer
 *	hmm_trace_writer__lost(w, ts, n);	   where the ring buffer dropped
 *	hmm_trace_writer__tick(w, now_mono_ns);	   after each poll: flushes a chunk older than
 *						   opts.flush_ms, adds clock sync points
 *	hmm_trace_writer__close(w);		   last chunk, index and totals
 *
 *	r = hmm_trace_reader__open(path, &err);
 *	while ((err = hmm_trace_reader__next(r, &rec)) > 0) ...;
 *	hmm_trace_reader__stats(r); hmm_trace_reader__close(r);
 *
 * A file is a header, then self-delimiting raw DEFLATE chunks each with a CRC32 (written with
 * libdeflate; any inflate reads them), then (on a clean close) a footer. A reader keeps every
 * complete chunk of a file that was cut short, and skips a chunk that fails its CRC; both are
 * counted in the reader's stats and warned about through the print callback (hmm_set_print()).
 * Nothing here prints to stdout or exits.
 */
#ifndef HMMSCOPE_TRACE_H
#define HMMSCOPE_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "hmmscope.h"
#include "symtab.h"
#include "stacktab.h"

/* Format version (docs/FORMAT.md): a reader reads every minor version of its major. */
#define HMM_TRACE_VERSION_MAJOR 1
#define HMM_TRACE_VERSION_MINOR 1

#define HMM_TRACE_HOST_LEN    65
#define HMM_TRACE_RELEASE_LEN 65
#define HMM_TRACE_BOOT_ID_LEN 37
#define HMM_TRACE_CMD_LEN     256
#define HMM_TRACE_FUNC_LEN    48
#define HMM_TRACE_REASON_LEN  192

/* One attach point of the probe report, as it was while recording. */
struct hmm_trace_ap {
	__u32 ap;    /* enum hmm_attach_point of the writer (may be >= HMM_AP_MAX of a reader) */
	__u32 state; /* enum hmm_ap_state */
	__u32 mode;  /* enum hmm_attach_mode */
	__s32 err;
	char func[HMM_TRACE_FUNC_LEN];
	char reason[HMM_TRACE_REASON_LEN];
};

#define HMM_TRACE_MAX_APS 64

/* The header: who recorded what, where. Strings are NUL-terminated. */
struct hmm_trace_meta {
	__u16 version_major; /* filled by the writer and the reader; ignored on writer__open */
	__u16 version_minor;
	__u32 schema;	     /* HMM_SCHEMA_VERSION of the records */
	char host[HMM_TRACE_HOST_LEN];
	char release[HMM_TRACE_RELEASE_LEN];
	char boot_id[HMM_TRACE_BOOT_ID_LEN]; /* /proc/sys/kernel/random/boot_id */
	__u32 ncpus;
	__u32 page_size;
	__u64 start_mono_ns; /* the first clock sync point */
	__u64 start_real_ns;
	char command[HMM_TRACE_CMD_LEN]; /* what was traced: the command line, or "" (system) */
	__u32 filter_pid;
	__u32 filter_owner;
	__u64 filter_min_dur_ns;
	__u32 n_aps;
	struct hmm_trace_ap aps[HMM_TRACE_MAX_APS];
};

/* How the writer lays out a chunk's records before DEFLATE (docs/FORMAT.md, "Delta coding"). */
enum hmm_trace_coding {
	HMM_TRACE_CODING_DEFAULT = 0,
	HMM_TRACE_CODING_PLAIN, /* records as they are: what every 1.x reader reads */
	HMM_TRACE_CODING_DELTA, /* each record against an earlier one of its type (1.1 readers) */
};

struct hmm_trace_writer_opts {
	size_t sz;	    /* sizeof(struct hmm_trace_writer_opts) */
	size_t chunk_bytes; /* uncompressed bytes per chunk; 0: 256 KiB; 4 KiB .. 16 MiB */
	__u32 flush_ms;	    /* a chunk is written at most this long after its first record (at the
			       first tick() past it); 0: 1000 */
	__u32 sync_ms;	    /* clock sync points this often; 0: 10000 */
	int level;	    /* DEFLATE level (libdeflate), 1 .. 9; 0: the default (1, fastest) */
	int coding;	    /* enum hmm_trace_coding; 0: the default, delta (docs/FORMAT.md) */
};

/* Totals of what a writer wrote (also stored in the footer). */
struct hmm_trace_totals {
	__u64 records; /* every record written, lost and clock records included */
	__u64 per_type[HMM_REC_TYPE_MAX];
	__u64 lost; /* sum of the lost records' counts: what the ring buffer dropped */
	__u64 chunks;
	__u64 raw_bytes;  /* records, uncompressed */
	__u64 file_bytes; /* the file so far */
	__u64 first_ts;	  /* CLOCK_MONOTONIC ns of the earliest and latest record header */
	__u64 last_ts;
};

struct hmm_trace_writer;

/* Creates (truncates, mode 0600) path and writes the header. NULL with errno set on failure.
 * meta's start_mono_ns/start_real_ns, when both 0, are read from the clocks here; schema 0 is
 * HMM_SCHEMA_VERSION. */
struct hmm_trace_writer *hmm_trace_writer__open(const char *path, const struct hmm_trace_meta *meta,
						const struct hmm_trace_writer_opts *opts);
/* Append one record (validated with hmm_rec_check(); a type this library does not know is kept
 * as it is); a full chunk is compressed and written. Returns 0 or -errno (-ENOSPC, -EFBIG, -EIO:
 * the file keeps every chunk written before, and the error sticks: later calls return it and
 * write nothing). */
int hmm_trace_writer__add(struct hmm_trace_writer *w, const struct hmm_rec_hdr *rec);
/* Append a HMM_REC_LOST record for count dropped records, at ts. */
int hmm_trace_writer__lost(struct hmm_trace_writer *w, __u64 ts, __u64 count);
/* Housekeeping after each poll: a clock sync point every sync_ms, and the pending chunk written
 * once it is flush_ms old. */
int hmm_trace_writer__tick(struct hmm_trace_writer *w, __u64 now_mono_ns);
/* Write the pending chunk now. */
int hmm_trace_writer__flush(struct hmm_trace_writer *w);
const struct hmm_trace_totals *hmm_trace_writer__totals(const struct hmm_trace_writer *w);
/* Flush, write the index and footer, close. Returns 0 or -errno; w is freed either way. */
int hmm_trace_writer__close(struct hmm_trace_writer *w);

/* What a reader found. */
struct hmm_trace_read_stats {
	__u64 chunks;		/* chunks read intact */
	__u64 records;		/* records returned */
	__u64 unknown_records;	/* skipped: a type this reader does not know (newer writer) */
	__u64 bad_chunks;	/* skipped: CRC mismatch, bad DEFLATE data or malformed records */
	__u64 bad_chunk_bytes;
	__u64 truncated_bytes;	/* after the last complete chunk of a file cut short */
	__u64 lost;		/* sum of the lost records' counts */
	__u64 dup_chunks;	/* skipped: a chunk numbered behind one already read (a copy) */
	bool clean;		/* a valid footer was found: the writer closed the file */
	bool has_totals;	/* totals below came from the footer */
	struct hmm_trace_totals totals;
};

struct hmm_trace_reader;

/* Opens and checks the header. NULL and *err (-errno) on failure; -EPROTO: not a trace file (or
 * a big-endian one, or its header is cut short or damaged), -EPROTONOSUPPORT: a major version
 * this reader cannot read. Both get a message that says so. */
struct hmm_trace_reader *hmm_trace_reader__open(const char *path, int *err);
/* The same on a file in memory (data must outlive the reader): fuzzing, tests. */
struct hmm_trace_reader *hmm_trace_reader__open_mem(const void *data, size_t len, int *err);
const struct hmm_trace_meta *hmm_trace_reader__meta(const struct hmm_trace_reader *r);
/* The next record, valid until the next call: 1, 0 at the end, or -errno (I/O error). Damaged
 * chunks and a cut-short end are not errors: they are skipped, warned about and counted. */
int hmm_trace_reader__next(struct hmm_trace_reader *r, const struct hmm_rec_hdr **rec);
/*
 * The file's symbols (its HMM_REC_SYM records: attribution address -> symbol and driver), as
 * next() has passed them: before the first record naming an address, a writer puts its symbol.
 * Formatters and statistics ask it (struct hmm_fmt.syms, a driver_name callback), so a replay
 * names drivers as the recording machine did. Owned by the reader; NULL only without memory.
 */
struct hmm_symtab *hmm_trace_reader__symtab(struct hmm_trace_reader *r);
/* The file's cause stacks (its HMM_REC_STACK records), learnt the same way: a writer puts each
 * before the first record whose cause names it (record --stacks). */
struct hmm_stacktab *hmm_trace_reader__stacks(struct hmm_trace_reader *r);
/*
 * Every event of the file to fn, in order: the records that are bookkeeping of the format (clock
 * sync points, symbols) are not events; the symbols are learnt on the way (symtab() above).
 * Returns fn's first non-zero return, 0 at the end, or -errno (I/O error, out of memory).
 */
int hmm_trace_replay(struct hmm_trace_reader *r, hmm_event_fn fn, void *ctx);
/* Start again from the first chunk (stats are reset). */
int hmm_trace_reader__rewind(struct hmm_trace_reader *r);
/*
 * Read ahead in a thread of the reader's own: it reads, checks, inflates and decodes the next
 * chunks while the caller works on the records of this one, so a caller that spends as long on
 * each record as reading does (a report) takes about half the time on two CPUs. Only worth it
 * where the caller may run on two CPUs or more: on one the threads take turns, and the records
 * are no longer in the cache when the caller gets to them. next() returns the same records, the
 * warnings are the same and come in the same order, and the stats at the end are the same;
 * while reading they are those as of the end of the chunk being walked. Costs up to eight
 * chunks of memory more. 0, or -errno where no thread could be started: reading then goes on
 * in the caller's thread, as before.
 */
int hmm_trace_reader__readahead(struct hmm_trace_reader *r);
/* Decode delta coded chunks with the portable code even where the CPU has a faster path (BMI2).
 * Both read every file the same, records and warnings: the tests and the fuzzer compare them.
 * Call it before the first next(). */
void hmm_trace_reader__portable(struct hmm_trace_reader *r);
const struct hmm_trace_read_stats *hmm_trace_reader__stats(const struct hmm_trace_reader *r);
void hmm_trace_reader__close(struct hmm_trace_reader *r);

/* Fill host, release, boot_id, ncpus and page_size from the running system. */
int hmm_trace_meta_from_system(struct hmm_trace_meta *meta);

#endif /* HMMSCOPE_TRACE_H */
