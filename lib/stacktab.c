// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Cause stacks by id, from the BPF stack map while recording or from HMM_REC_STACK records. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kmap.h"
#include "output.h"
#include "stacktab.h"

struct hmm_stacktab {
	struct hmm_rec_stack **ent; /* each a copy, frames included, in order of learning */
	size_t n, cap;
	struct kmap map; /* stack -> ent[] */
};

struct hmm_stacktab *hmm_stacktab__new(void)
{
	return calloc(1, sizeof(struct hmm_stacktab));
}

void hmm_stacktab__free(struct hmm_stacktab *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->n; i++)
		free(st->ent[i]);
	free(st->ent);
	kmap_free(&st->map);
	free(st);
}

unsigned int hmm_rec_stack_depth(const struct hmm_rec_stack *rec)
{
	size_t room;
	unsigned int depth = rec->depth;

	if (rec->hdr.size < sizeof(*rec))
		return 0;
	room = (rec->hdr.size - sizeof(*rec)) / sizeof(rec->frame[0]);
	if (depth > room)
		depth = room;
	return depth > HMM_STACK_DEPTH ? HMM_STACK_DEPTH : depth;
}

size_t hmm_rec_stack_size(unsigned int depth)
{
	return sizeof(struct hmm_rec_stack) + depth * sizeof(struct hmm_stack_frame);
}

int hmm_stacktab__add(struct hmm_stacktab *st, const struct hmm_rec_stack *rec)
{
	unsigned int depth = hmm_rec_stack_depth(rec);
	struct hmm_rec_stack *e;

	if (!rec->stack || kmap_get(&st->map, rec->stack, 0) >= 0)
		return 0;
	if (grow_array(&st->ent, &st->cap, st->n + 1, sizeof(*st->ent)))
		return -ENOMEM;
	e = malloc(hmm_rec_stack_size(depth));
	if (!e)
		return -ENOMEM;
	memcpy(e, rec, hmm_rec_stack_size(depth));
	e->depth = depth;
	e->hdr.size = hmm_rec_stack_size(depth);
	for (unsigned int i = 0; i < depth; i++)
		e->frame[i].name[sizeof(e->frame[i].name) - 1] = '\0';
	if (kmap_put(&st->map, rec->stack, 0, st->n)) {
		free(e);
		return -ENOMEM;
	}
	st->ent[st->n++] = e;
	return 0;
}

const struct hmm_rec_stack *hmm_stacktab__get(const struct hmm_stacktab *st, __u32 stack)
{
	long i;

	if (!st || !stack)
		return NULL;
	i = kmap_get(&st->map, stack, 0);
	return i >= 0 ? st->ent[i] : NULL;
}

size_t hmm_stacktab__count(const struct hmm_stacktab *st)
{
	return st ? st->n : 0;
}

static bool tracer_frame(const char *name)
{
	/* ftrace_trampoline: 5.10's name for the BPF trampoline's page. */
	return !strncmp(name, "bpf_prog_", 9) || !strncmp(name, "bpf_trampoline_", 15) ||
	       !strcmp(name, "ftrace_trampoline") ||
	       !strncmp(name, "bpf_get_stack", 13) || !strncmp(name, "__bpf_get_stack", 15) ||
	       !strncmp(name, "__bpf_prog_enter", 16); /* and its _recur, _sleepable... kin */
}

/* The first frame that is the kernel's: leading frames are the BPF program and its trampoline
 * (unnamed unless net.core.bpf_jit_kallsyms is set) or the stack helper. With no frame named at
 * all (kallsyms restricted) every frame is kept. */
static int first_kernel_frame(const __u64 *ips, int n, const struct hmm_ksyms *ks)
{
	for (int i = 0; i < n; i++) {
		const struct hmm_ksym *k = ks ? hmm_ksyms__find(ks, ips[i]) : NULL;

		if (k && !tracer_frame(k->name))
			return i;
	}
	return 0;
}

void hmm_rec_stack_fill(struct hmm_rec_stack *rec, __u32 stack, const __u64 *ips, int n,
			const struct hmm_ksyms *ks)
{
	unsigned int depth = 0;

	memset(rec, 0, sizeof(*rec));
	rec->hdr.type = HMM_REC_STACK;
	rec->stack = stack;
	for (int i = first_kernel_frame(ips, n, ks); i < n && depth < HMM_STACK_DEPTH; i++) {
		const struct hmm_ksym *k = ks ? hmm_ksyms__find(ks, ips[i]) : NULL;
		struct hmm_stack_frame *f = &rec->frame[depth++];

		memset(f, 0, sizeof(*f));
		f->addr = ips[i];
		if (k) {
			snprintf(f->name, sizeof(f->name), "%s", k->name);
			f->offset = (__u32)(ips[i] - k->addr);
		}
	}
	rec->depth = depth;
	rec->hdr.size = hmm_rec_stack_size(depth);
}

const char *hmm_stack_frame_str(const struct hmm_stack_frame *f, bool offset, char *buf, size_t n)
{
	if (!f->name[0])
		snprintf(buf, n, "0x%llx", (unsigned long long)f->addr);
	else if (offset)
		snprintf(buf, n, "%.*s+0x%x", (int)sizeof(f->name), f->name, f->offset);
	else
		snprintf(buf, n, "%.*s", (int)sizeof(f->name), f->name);
	return buf;
}

/* A frame's name as HMM_STACK_FOLDED writes it: the separators and controls made '_'. */
static const char *folded_name(char *buf)
{
	for (char *c = buf; *c; c++)
		if (*c == ';' || *c == ' ' || (unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '_';
	return buf;
}

unsigned int hmm_stack_join(const struct hmm_rec_stack *rec, enum hmm_stack_join how, char *buf,
			    size_t n)
{
	unsigned int depth = rec ? hmm_rec_stack_depth(rec) : 0, i = 0, k;
	char frame[96], safe[96];
	size_t len = 0;

	buf[0] = '\0';
	if (how == HMM_STACK_ARROWS)
		while (i + 1 < depth &&
		       strstr(hmm_stack_frame_str(&rec->frame[i], false, frame, sizeof(frame)),
			      "mmu_notifier"))
			i++;
	for (k = 0; i + k < depth && len < n; k++) {
		const char *name;

		if (how == HMM_STACK_FOLDED) {
			hmm_stack_frame_str(&rec->frame[depth - 1 - k], false, frame, sizeof(frame));
			name = folded_name(frame);
		} else {
			hmm_stack_frame_str(&rec->frame[i + k], false, frame, sizeof(frame));
			name = hmm_term_str(safe, sizeof(safe), frame, sizeof(frame));
		}
		len += snprintf(buf + len, n - len, "%s%s",
				!k ? "" : how == HMM_STACK_FOLDED ? ";" : " < ", name);
	}
	return depth;
}
