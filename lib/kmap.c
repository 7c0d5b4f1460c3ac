// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The key cache and the growth helper (kmap.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kmap.h"

int kmap_put(struct kmap *m, __u64 a, __u64 b, __u32 val)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		struct kmap grown = { .cap = m->cap ? m->cap * 2 : 64 };
		size_t j;

		grown.ent = calloc(grown.cap, sizeof(*grown.ent));
		if (!grown.ent)
			return -ENOMEM;
		for (j = 0; j < m->cap; j++)
			if (m->ent[j].val)
				kmap_put(&grown, m->ent[j].a, m->ent[j].b, m->ent[j].val - 1);
		free(m->ent);
		*m = grown;
	}
	for (i = kmap_hash(a, b) & (m->cap - 1); m->ent[i].val; i = (i + 1) & (m->cap - 1))
		;
	m->ent[i] = (struct kmap_ent){ .a = a, .b = b, .val = val + 1 };
	m->n++;
	return 0;
}

void kmap_free(struct kmap *m)
{
	free(m->ent);
	m->ent = NULL;
	m->cap = m->n = 0;
}

int grow_array_slow(void *arrp, size_t *cap, size_t n, size_t elem)
{
	size_t ncap, bytes;
	void *old, *p;

	ncap = *cap ? *cap * 2 : 16;
	while (ncap < n)
		ncap *= 2;
	if (__builtin_mul_overflow(ncap, elem, &bytes))
		return -ENOMEM;
	/* the pointer is read and written as bytes: it is a T *, not a void * */
	memcpy(&old, arrp, sizeof(old));
	p = realloc(old, bytes);
	if (!p)
		return -ENOMEM;
	memcpy(arrp, &p, sizeof(p));
	*cap = ncap;
	return 0;
}
