/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One writer per output form (bpftool's json_writer, bcc's print_log2_hist()): every tool writes
 * a histogram, a task, an address or a name the same way, through these. hmmtrace(8), "JSON",
 * lists the fields.
 */
#ifndef HMMSCOPE_OUTPUT_H
#define HMMSCOPE_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "hmmscope.h"

/*
 * hmm_term_str() - @s (up to its NUL or @maxlen bytes) as text safe to print on a terminal, in
 * @buf (@n bytes, always NUL-terminated; the text is cut where it would not fit). Names come from
 * processes (prctl(PR_SET_NAME)), kernel symbols and recordings, so anyone can choose them; every
 * text renderer passes them through here. Each byte that is not printable text becomes '?', as
 * ps(1) and top(1) print them: C0 controls (ESC, BEL, newline ...), DEL, the C1 controls
 * U+0080..U+009F (terminals may take U+009B as CSI), the bidirectional overrides and isolates
 * (U+202A..U+202E, U+2066..U+2069: they reorder what follows on the line), and bytes that are not
 * well-formed UTF-8. Well-formed UTF-8 text otherwise passes unchanged. Returns @buf.
 */
const char *hmm_term_str(char *buf, size_t n, const char *s, size_t maxlen);
/* A task's comm (HMM_COMM_LEN bytes, maybe unterminated) through hmm_term_str(). */
#define HMM_TERM_COMM_LEN (HMM_COMM_LEN + 1)
#define hmm_term_comm(buf, comm) hmm_term_str(buf, HMM_TERM_COMM_LEN, comm, HMM_COMM_LEN)

/* A string from outside (a comm, a symbol, a host name): JSON strings are UTF-8, so a byte that is
 * not part of well-formed UTF-8 becomes U+FFFD; the rest is kept exactly. Up to NUL or maxlen. */
json_t *hmm_json_str(const char *s, size_t maxlen);
/* An unsigned number (jansson's integers are signed: past 2^63 it would wrap). */
json_t *hmm_json_u64(__u64 v);
/* An address or a pointer: "0x..." always, "0x0" for zero. */
json_t *hmm_json_hex(__u64 v);
/* A task: {"pid", "tid", "comm"}. */
json_t *hmm_json_task(const struct hmm_task *t);
/*
 * A histogram: {"count", "sum", "p50", "p90", "p99", "p999", "max", "overflow", "buckets"}.
 * Quantiles and max are bucket upper bounds (hmm_hist_quantile()); "overflow" says that values
 * past the grid's last finite bound (2^40) were seen; "buckets" are the non-empty buckets as
 * [upper bound, count], the last upper bound "+Inf". Integer quantities (@integer: attempts) get
 * integer bounds: the largest integer in the bucket.
 */
json_t *hmm_json_hist(const struct hmm_hist *h, bool integer);
/* A histogram of the metric table (lib/agg.h) under its key: {"metric", "label", "driver" (when
 * given), "driver_addr" (when the key has one)} and the fields of hmm_json_hist(). */
json_t *hmm_json_hist_key(const struct hmm_hist_key *key, const char *driver,
			  const struct hmm_hist *h);

#endif /* HMMSCOPE_OUTPUT_H */
