/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared by lib/ files only. */
#ifndef HMMSCOPE_LIB_INTERNAL_H
#define HMMSCOPE_LIB_INTERNAL_H

#include <stdarg.h>
#include "hmmscope.h"
#include "hist.h"

__attribute__((format(printf, 2, 3))) int hmm_log(enum hmm_log_level level, const char *fmt, ...);
int hmm_vlog(enum hmm_log_level level, const char *fmt, va_list args);

/*
 * Messages a thread keeps instead of printing: a worker that does a caller's work ahead of it (the
 * trace reader's read-ahead) captures its messages with its work, and the caller's thread prints
 * them when it reaches that work, in the order it would have printed them itself, never in the
 * middle of its own lines.
 */
struct hmm_log_msg {
	enum hmm_log_level level;
	char *text;
};

struct hmm_log_buf {
	struct hmm_log_msg *msg;
	size_t n, cap, dropped;
};

/* This thread's messages go to b from now (NULL: to the print callback again). */
void hmm_log_capture(struct hmm_log_buf *b);
/* Print b's messages through the callback, in order, and empty it. */
void hmm_log_flush(struct hmm_log_buf *b);
void hmm_log_buf_free(struct hmm_log_buf *b);

#endif
