/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The report by cause stack (--stacks recordings): table, JSON and folded stacks. */
#ifndef HMMTRACE_STACKS_H
#define HMMTRACE_STACKS_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>

struct hmm_stats;
struct hmm_stacktab;

/* What a folded line counts. */
enum stacks_folded {
	FOLDED_RETRIES = 0, /* -EBUSY attempts blamed on the stack */
	FOLDED_TIME,	    /* their time, ns */
};

/* The stacks of s by retries (then time lost, then id); *n is their count. NULL: none or no
 * memory (*n is 0 then). The caller frees the array. */
const struct hmm_stats_stack **stacks_sorted(const struct hmm_stats *s, size_t *n);
/* "cause stacks" section of the text report, the top @top stacks; nothing when s has none.
 * @chains: s counted chains and stalls (from records; stat's in-kernel counts have none). */
void stacks_text(FILE *f, const struct hmm_stats *s, const struct hmm_stacktab *st, size_t top,
		 bool chains);
/* The "cause_stacks" array of the JSON report, every stack; NULL when s has none. */
json_t *stacks_json(const struct hmm_stats *s, const struct hmm_stacktab *st, bool chains);
/* Folded stacks, "root;...;leaf count" a line, equal lines merged, sorted; functions without
 * offsets. A stack with no frames known is "[stack N]". 0 or -errno. */
int stacks_folded(FILE *f, const struct hmm_stats *s, const struct hmm_stacktab *st,
		  enum stacks_folded what);

#endif
