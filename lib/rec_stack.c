// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* HMM_REC_STACK: a cause stack's frames, before the first record whose cause names it
 * (tools/hmmtrace/record.c, --stacks); readers learn them (hmm_trace_reader__stacks()). */
#include "format.h"
#include "rec.h"
#include "stacktab.h"

static void json(const struct hmm_fmt *fmt, const struct hmm_rec_hdr *h, json_t *o)
{
	const struct hmm_rec_stack *r = REC(stack, h);
	struct hmm_stacktab *one = hmm_stacktab__new();

	(void)fmt;
	json_object_set_new(o, "stack", json_integer(r->stack));
	json_object_set_new(o, "depth", json_integer(hmm_rec_stack_depth(r)));
	/* Through a table of its own: the frames exactly as a reader learns them. */
	if (one && !hmm_stacktab__add(one, r))
		json_object_set_new(o, "frames", hmm_json_stack(one, r->stack));
	hmm_stacktab__free(one);
}

const struct hmm_rec_desc hmm_rec_stack = {
	.type = HMM_REC_STACK,
	.name = "stack",
	.size = sizeof(struct hmm_rec_stack),
	.json = json,
};
