/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* One line per record: aligned text or a JSON object (field names in hmmtrace(8)), each record
 * type's part written by its descriptor (lib/rec.h) with the helpers below. */
#ifndef HMMSCOPE_FORMAT_H
#define HMMSCOPE_FORMAT_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>
#include "hmmscope.h"
#include "ksyms.h"
#include "symtab.h"

struct hmm_fmt {
	FILE *out;
	bool json;
	__u64 base_ts;		/* text timestamps are seconds since this (CLOCK_MONOTONIC ns) */
	struct hmm_ksyms *ksyms; /* NULL: addresses stay numeric, drivers "unknown" */
	struct hmm_symtab *syms; /* if set, asked instead of ksyms (replays: the file's table) */
};

void hmm_fmt_header(const struct hmm_fmt *fmt);
int hmm_fmt_record(const struct hmm_fmt *fmt, const struct hmm_rec_hdr *rec);
/* Driver name for a record's attribution address (ops->invalidate or caller). */
const char *hmm_fmt_driver(const struct hmm_fmt *fmt, __u64 addr);
/* The symbol an attribution address is in, or NULL. */
const char *hmm_fmt_sym(const struct hmm_fmt *fmt, __u64 addr);

/* For the descriptors' renderers (lib/rec_*.c): the same field written the same way everywhere. */
json_t *hmm_json_hex(__u64 v);
/* pid, tid and comm, each key prefixed ("" or "owner_"). */
void hmm_json_task(json_t *o, const char *prefix, const struct hmm_task *t);
/* The invalidation blamed for an -EBUSY, or null. */
json_t *hmm_json_cause(const struct hmm_cause *c);
/* "driver" and "invalidate_fn" of an attribution address. */
void hmm_json_attrib(const struct hmm_fmt *fmt, json_t *o, __u64 addr);
/* " cause=EVENT by COMM/PID AGO ago" or " cause=unknown". */
void hmm_text_cause(char *buf, size_t n, const struct hmm_cause *c);
/* hmm_fmt_driver() through hmm_term_str(). */
const char *hmm_text_driver(const struct hmm_fmt *fmt, __u64 addr, char *buf, size_t n);

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

#endif
