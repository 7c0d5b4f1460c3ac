// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Retries by cause stack: the invalidation's kernel stack (record --stacks) tells a MADV_DONTNEED
 * from a khugepaged collapse or a NUMA hinting fault, which share the event CLEAR. For each stack:
 * the -EBUSY attempts blamed on it and their time, the retry chains whose last -EBUSY it caused,
 * and those of them that were stalls (lib/stats.h, struct hmm_stats_stack).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "output.h"
#include "format.h"
#include "hist.h"
#include "stats.h"
#include "stacktab.h"
#include "stacks.h"

static int by_retries(const void *a, const void *b)
{
	const struct hmm_stats_stack *x = *(const struct hmm_stats_stack *const *)a;
	const struct hmm_stats_stack *y = *(const struct hmm_stats_stack *const *)b;

	if (x->retries != y->retries)
		return x->retries < y->retries ? 1 : -1;
	if (x->lost_ns != y->lost_ns)
		return x->lost_ns < y->lost_ns ? 1 : -1;
	return x->stack < y->stack ? -1 : x->stack > y->stack;
}

const struct hmm_stats_stack **stacks_sorted(const struct hmm_stats *s, size_t *n)
{
	const struct hmm_stats_stack **arr;

	*n = 0;
	if (!s->n_stacks || !(arr = malloc(s->n_stacks * sizeof(*arr))))
		return NULL;
	memcpy(arr, s->stacks, s->n_stacks * sizeof(*arr));
	qsort(arr, s->n_stacks, sizeof(*arr), by_retries);
	*n = s->n_stacks;
	return arr;
}

void stacks_text(FILE *f, const struct hmm_stats *s, const struct hmm_stacktab *st, size_t top,
		 bool chains)
{
	const struct hmm_stats_stack **arr;
	char lost[16], frame[96], safe[96];
	size_t n;

	arr = stacks_sorted(s, &n);
	if (!arr)
		return;
	fprintf(f, "\ncause stacks (the invalidations' kernel stacks): %zu\n", n);
	if (chains)
		fprintf(f, "  %8s %7s %7s %9s  STACK (innermost first)\n", "RETRIES", "CHAINS",
			"STALLS", "LOST");
	else
		fprintf(f, "  %8s %9s  STACK (innermost first)\n", "RETRIES", "LOST");
	for (size_t k = 0; k < n && k < top; k++) {
		const struct hmm_stats_stack *x = arr[k];
		const struct hmm_rec_stack *r = hmm_stacktab__get(st, x->stack);
		unsigned int depth = r ? hmm_rec_stack_depth(r) : 0;

		hmm_fmt_duration(lost, sizeof(lost), x->lost_ns);
		if (chains)
			fprintf(f, "  %8llu %7llu %7llu %9s  #%u%s\n", (unsigned long long)x->retries,
				(unsigned long long)x->chains, (unsigned long long)x->stalls, lost,
				x->stack, depth ? "" : " (frames unknown)");
		else
			fprintf(f, "  %8llu %9s  #%u%s\n", (unsigned long long)x->retries, lost,
				x->stack, depth ? "" : " (frames unknown)");
		for (unsigned int i = 0; i < depth; i++)
			fprintf(f, "  %*s %s\n", chains ? 35 : 19, "",
				hmm_term_str(safe, sizeof(safe),
					     hmm_stack_frame_str(&r->frame[i], true, frame,
								 sizeof(frame)),
					     sizeof(frame)));
	}
	free(arr);
}

json_t *stacks_json(const struct hmm_stats *s, const struct hmm_stacktab *st, bool chains)
{
	const struct hmm_stats_stack **arr;
	json_t *a;
	size_t n;

	arr = stacks_sorted(s, &n);
	if (!arr)
		return NULL;
	a = json_array();
	for (size_t k = 0; k < n; k++) {
		json_t *o = json_object();

		json_object_set_new(o, "stack", json_integer(arr[k]->stack));
		json_object_set_new(o, "retries", hmm_json_u64(arr[k]->retries));
		json_object_set_new(o, "lost_ns", hmm_json_u64(arr[k]->lost_ns));
		if (chains) {
			json_object_set_new(o, "chains", hmm_json_u64(arr[k]->chains));
			json_object_set_new(o, "stalls", hmm_json_u64(arr[k]->stalls));
		}
		json_object_set_new(o, "frames", hmm_json_stack(st, arr[k]->stack));
		json_array_append_new(a, o);
	}
	free(arr);
	return a;
}

struct folded_line {
	char *path;
	__u64 count;
};

/* "root;...;leaf": the frames outermost first, function names only. Semicolons and spaces
 * would split the line: a symbol has none, but a damaged file may. */
static char *folded_path(const struct hmm_stacktab *st, __u32 stack)
{
	const struct hmm_rec_stack *r = hmm_stacktab__get(st, stack);
	size_t cap = 32 + (r ? hmm_rec_stack_depth(r) : 0) * 80;
	char *buf = malloc(cap);

	if (buf && !hmm_stack_join(r, HMM_STACK_FOLDED, buf, cap))
		snprintf(buf, cap, "[stack %u]", stack);
	return buf;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct folded_line *)a)->path, ((const struct folded_line *)b)->path);
}

int stacks_folded(FILE *f, const struct hmm_stats *s, const struct hmm_stacktab *st,
		  enum stacks_folded what)
{
	struct folded_line *lines = calloc(s->n_stacks ? s->n_stacks : 1, sizeof(*lines));
	size_t n = 0;
	int err = 0;

	if (!lines)
		return -ENOMEM;
	for (size_t k = 0; k < s->n_stacks; k++) {
		const struct hmm_stats_stack *x = s->stacks[k];
		__u64 count = what == FOLDED_TIME ? x->lost_ns : x->retries;

		if (!count)
			continue;
		lines[n].path = folded_path(st, x->stack);
		if (!lines[n].path) {
			err = -ENOMEM;
			goto out;
		}
		lines[n++].count = count;
	}
	qsort(lines, n, sizeof(*lines), by_path);
	for (size_t k = 0; k < n; k++) {
		__u64 sum = lines[k].count;

		while (k + 1 < n && !strcmp(lines[k].path, lines[k + 1].path))
			sum += lines[++k].count;
		fprintf(f, "%s %llu\n", lines[k].path, (unsigned long long)sum);
	}
out:
	for (size_t k = 0; k < n; k++)
		free(lines[k].path);
	free(lines);
	return err;
}
