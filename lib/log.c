// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Logging goes through the caller's callback (libbpf_set_print style); lib/ never prints. */
#define _GNU_SOURCE /* vasprintf() */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "kmap.h"

static hmm_print_fn print_fn;
/* Where this thread's messages go instead of the callback (hmm_log_capture()). */
static __thread struct hmm_log_buf *capture;

hmm_print_fn hmm_set_print(hmm_print_fn fn)
{
	hmm_print_fn old = print_fn;

	print_fn = fn;
	return old;
}

static int keep(struct hmm_log_buf *b, enum hmm_log_level level, const char *fmt, va_list args)
{
	char *text;
	int n = vasprintf(&text, fmt, args);

	if (n < 0)
		return 0;
	if (grow_array(&b->msg, &b->cap, b->n + 1, sizeof(*b->msg))) {
		free(text);
		b->dropped++;
		return 0;
	}
	b->msg[b->n++] = (struct hmm_log_msg){ .level = level, .text = text };
	return n;
}

int hmm_vlog(enum hmm_log_level level, const char *fmt, va_list args)
{
	va_list copy;
	int n;

	if (!print_fn)
		return 0;
	va_copy(copy, args);
	n = capture ? keep(capture, level, fmt, copy) : print_fn(level, fmt, copy);
	va_end(copy);
	return n;
}

int hmm_log(enum hmm_log_level level, const char *fmt, ...)
{
	va_list args;
	int n;

	va_start(args, fmt);
	n = hmm_vlog(level, fmt, args);
	va_end(args);
	return n;
}

void hmm_log_capture(struct hmm_log_buf *b)
{
	capture = b;
}

void hmm_log_flush(struct hmm_log_buf *b)
{
	for (size_t i = 0; i < b->n; i++) {
		hmm_log(b->msg[i].level, "%s", b->msg[i].text);
		free(b->msg[i].text);
	}
	if (b->dropped)
		hmm_log(HMM_LOG_WARN, "(%zu messages lost: out of memory)\n", b->dropped);
	b->n = b->dropped = 0;
}

void hmm_log_buf_free(struct hmm_log_buf *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->msg[i].text);
	free(b->msg);
	memset(b, 0, sizeof(*b));
}
