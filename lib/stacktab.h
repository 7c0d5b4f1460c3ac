/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Cause stacks (struct hmm_cause.stack -> struct hmm_rec_stack): built while recording from the
 * BPF stack map and kallsyms (hmm_rec_stack_fill()), or learnt from a recording's HMM_REC_STACK
 * records. Readers ask through hmm_fmt.stacks and hmm_stats; nothing is resolved at read time.
 */
#ifndef HMMSCOPE_STACKTAB_H
#define HMMSCOPE_STACKTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "hmmscope.h"
#include "ksyms.h"

struct hmm_stacktab;

struct hmm_stacktab *hmm_stacktab__new(void);
void hmm_stacktab__free(struct hmm_stacktab *st);
/* Learn a stack record (a copy; its frames as hmm_rec_stack_depth() trusts them). A stack id
 * seen again keeps its first frames. 0 or -ENOMEM. */
int hmm_stacktab__add(struct hmm_stacktab *st, const struct hmm_rec_stack *rec);
/* The stack of a cause's stack field, or NULL (0, or never learnt). */
const struct hmm_rec_stack *hmm_stacktab__get(const struct hmm_stacktab *st, __u32 stack);
size_t hmm_stacktab__count(const struct hmm_stacktab *st);

/* The frames of a stack record that fit in it: depth, capped by its size and HMM_STACK_DEPTH,
 * so a corrupt or truncated record is never read past its end. */
unsigned int hmm_rec_stack_depth(const struct hmm_rec_stack *rec);
/* The size of a stack record of depth frames. */
size_t hmm_rec_stack_size(unsigned int depth);
/*
 * Fill rec (room for HMM_STACK_DEPTH frames) for stack from n addresses, innermost first,
 * symbolized with ks (may be NULL: names ""). Leading frames before the first named kernel
 * function (the BPF program, its trampoline, the stack helper) are the tracer's own, not the
 * invalidation's: left out. Sets hdr.type and hdr.size.
 */
void hmm_rec_stack_fill(struct hmm_rec_stack *rec, __u32 stack, const __u64 *ips, int n,
			const struct hmm_ksyms *ks);
/* A frame's symbol, or its address in hex when it has none: "name+0xoff" with offsets, "name"
 * without. */
const char *hmm_stack_frame_str(const struct hmm_stack_frame *f, bool offset, char *buf, size_t n);

/* How hmm_stack_join() lays a stack out on one line (frames without offsets). */
enum hmm_stack_join {
	/* innermost first, " < " between; the mmu_notifier frames on top (the invalidation's
	 * own entry) left out; names through hmm_term_str(): hmmtop's detail pane */
	HMM_STACK_ARROWS,
	/* outermost first, ";" between; ';', ' ' and control characters in a name become '_':
	 * the folded format of flame-graph tools */
	HMM_STACK_FOLDED,
};
/* rec's frames (rec may be NULL) on one line in buf (n > 0 bytes, always terminated, cut where it
 * is full). Returns how many frames it has: 0 leaves buf "". */
unsigned int hmm_stack_join(const struct hmm_rec_stack *rec, enum hmm_stack_join how, char *buf,
			    size_t n);

#endif
