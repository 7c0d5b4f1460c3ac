// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Logging goes through the caller's callback (libbpf_set_print style); lib/ never prints. */
#include <stdio.h>
#include "internal.h"

static hmm_print_fn print_fn;

hmm_print_fn hmm_set_print(hmm_print_fn fn)
{
	hmm_print_fn old = print_fn;

	print_fn = fn;
	return old;
}

int hmm_vlog(enum hmm_log_level level, const char *fmt, va_list args)
{
	va_list copy;
	int n;

	if (!print_fn)
		return 0;
	va_copy(copy, args);
	n = print_fn(level, fmt, copy);
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
