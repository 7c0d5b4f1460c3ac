/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The library's one key cache: an open-addressing hash from a 128-bit key (a, b) to an index into
 * the caller's own array, linear probing, power-of-two capacity, never more than half full. The
 * caller's entries never move (it keeps pointers to them); only their indexes are stored here.
 */
#ifndef HMMSCOPE_KMAP_H
#define HMMSCOPE_KMAP_H

#include <stddef.h>
#include <linux/types.h>

struct kmap {
	struct kmap_ent {
		__u64 a, b;
		__u32 val; /* index + 1; 0: empty */
	} *ent;
	size_t cap, n;
};

static inline size_t kmap_hash(__u64 a, __u64 b)
{
	__u64 h = a * 0x9e3779b97f4a7c15ULL ^ (b + 0x632be59bd9b4e019ULL) * 0xbf58476d1ce4e5b9ULL;

	return (size_t)(h ^ (h >> 31));
}

/* The index stored for (a, b), or -1. */
static inline long kmap_get(const struct kmap *m, __u64 a, __u64 b)
{
	size_t i;

	if (!m->cap)
		return -1;
	for (i = kmap_hash(a, b) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		const struct kmap_ent *e = &m->ent[i];

		if (!e->val)
			return -1;
		if (e->a == a && e->b == b)
			return e->val - 1;
	}
}

/* Store index val for (a, b), which must not be there yet. 0 or -ENOMEM. */
int kmap_put(struct kmap *m, __u64 a, __u64 b, __u32 val);
void kmap_free(struct kmap *m);

/*
 * The library's one growth helper: room for n elements of size elem in the array at *arr
 * (capacity *cap), doubling from 16. 0 or -ENOMEM (the array is unchanged then).
 */
int grow_array_slow(void *arr, size_t *cap, size_t n, size_t elem);
static inline int grow_array(void *arr, size_t *cap, size_t n, size_t elem)
{
	return n <= *cap ? 0 : grow_array_slow(arr, cap, n, elem);
}

#endif /* HMMSCOPE_KMAP_H */
