/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Histogram files: one host's in-kernel counters and histograms (or those derived from a
 * recording), small enough to collect from a whole fleet, and merged exactly: counts add slot
 * by slot on the shared base-2 log-linear grid (bpf/hmmscope.h), so the merged percentiles are
 * exactly those of all the hosts' values together, to the bucket (hist.h).
 *
 * Histograms are keyed by (metric, label, driver name): driver addresses mean nothing on another
 * host, so the writer stores the name it resolved. The format (version 1.0, little-endian,
 * also in hmmtrace(8), HISTOGRAM FILES):
 *
 *	offset  size  field
 *	0       8     magic "HMMHIST\n"
 *	8       2     version major (1): a reader refuses another major
 *	10      2     version minor (0): additions a 1.0 reader may ignore
 *	12      4     header size in bytes (256): a reader skips what it does not know
 *	16      4     record schema (HMM_SCHEMA_VERSION): the meaning of counters and metrics
 *	20      2     grid: buckets per power of two (8)
 *	22      2     grid: octaves (40)
 *	24      4     slots per histogram (HMM_HIST_SLOTS, 323)
 *	28      4     counters (HMM_C_MAX)
 *	32      4     histograms (n)
 *	36      4     hosts merged into this file (1 for a host's own file)
 *	40      8     CLOCK_REALTIME ns when counting began (0: unknown)
 *	48      8     ns counted (summed over hosts in a merged file)
 *	56      4     source: 1 live maps, 2 a recording, 3 a merge
 *	60      4     flags (0)
 *	64      80    host name, NUL-terminated ("" in a merge)
 *	144     80    kernel release, NUL-terminated
 *	224     32    reserved (0)
 *	256     8*C   counters (enum hmm_counter), u64 each
 *	...     n *   histograms: u64 driver address (informational), u16 metric, u16 label,
 *	              u32 0, char driver[32] (NUL-terminated), u64 count, u64 sum, u64 slots[S]
 *	end-4   4     CRC-32 (zlib's crc32) of every byte before it
 *
 * Nothing here prints to stdout or exits; errors are negative errno values: -EBADMSG for a
 * damaged file (CRC, size), -EPROTO for something not a histogram file, -EPROTONOSUPPORT for
 * another major version, grid or schema.
 */
#ifndef HMMSCOPE_HISTFILE_H
#define HMMSCOPE_HISTFILE_H

#include <stddef.h>
#include <linux/types.h>
#include "kmap.h"
#include "hmmscope.h"

#define HMM_HISTFILE_MAGIC	 "HMMHIST\n"
#define HMM_HISTFILE_MAJOR	 1
#define HMM_HISTFILE_MINOR	 0
#define HMM_HISTFILE_HEADER	 256
#define HMM_HISTFILE_DRIVER_LEN	 32
#define HMM_HISTFILE_STR_LEN	 80

enum hmm_histfile_source {
	HMM_HISTFILE_LIVE = 1,
	HMM_HISTFILE_TRACE = 2,
	HMM_HISTFILE_MERGE = 3,
};

struct hmm_histfile_entry {
	struct hmm_hist_key key; /* key.driver: the writer's address, for information only */
	char driver[HMM_HISTFILE_DRIVER_LEN];
	struct hmm_hist h;
};

struct hmm_histfile {
	char host[HMM_HISTFILE_STR_LEN];
	char release[HMM_HISTFILE_STR_LEN];
	__u64 start_real_ns;
	__u64 duration_ns;
	__u32 source; /* enum hmm_histfile_source */
	__u32 hosts;
	__u64 counters[HMM_C_MAX];
	size_t n;
	size_t cap;
	struct hmm_histfile_entry *e;
	bool saturated; /* a merge had a count pass 2^64: it stays at 2^64 - 1 */
	/* (driver name's hash, metric and label) -> entry, for e[0 .. indexed); kept by
	 * hmm_histfile__add(), dropped by hmm_histfile__sort() */
	struct kmap index;
	size_t indexed;
};

struct hmm_histfile *hmm_histfile__new(enum hmm_histfile_source source);
void hmm_histfile__free(struct hmm_histfile *f);
/* Add h under (key->metric, key->label, driver), merging into an existing entry. */
int hmm_histfile__add(struct hmm_histfile *f, const struct hmm_hist_key *key, const char *driver,
		      const struct hmm_hist *h);
/* Add src into dst: counters, histograms, hosts, durations. dst's host becomes "". */
int hmm_histfile__merge(struct hmm_histfile *dst, const struct hmm_histfile *src);
/* Entries in a stable order: metric, label, driver name. */
void hmm_histfile__sort(struct hmm_histfile *f);
/* Write path atomically (a temporary file beside it, then rename()). */
int hmm_histfile__write(const struct hmm_histfile *f, const char *path);
/* Read and check a whole file; NULL and *err on failure. */
struct hmm_histfile *hmm_histfile__read(const char *path, int *err);
struct hmm_histfile *hmm_histfile__read_mem(const void *data, size_t len, int *err);

#endif
