/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Shared by lib/ files only. */
#ifndef HMMSCOPE_LIB_INTERNAL_H
#define HMMSCOPE_LIB_INTERNAL_H

#include <stdarg.h>
#include "hmmscope.h"
#include "hist.h"

__attribute__((format(printf, 2, 3))) int hmm_log(enum hmm_log_level level, const char *fmt, ...);
int hmm_vlog(enum hmm_log_level level, const char *fmt, va_list args);

#endif
