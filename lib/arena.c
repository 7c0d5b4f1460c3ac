// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The statistics' bump allocator (arena.h). */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "arena.h"
#include "kmap.h"

#if defined(__SANITIZE_ADDRESS__)
#define ARENA_PER_OBJECT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_PER_OBJECT 1
#endif
#endif

#define ALIGN	  64
#define FIRST	  (64u << 10)
#define HUGE_PAGE (2u << 20)

static int keep(struct arena *a, void *p, size_t size)
{
	if (grow_array(&a->chunks, &a->cap, a->n + 1, sizeof(*a->chunks)))
		return -1;
	a->chunks[a->n++] = (struct arena_chunk){ .p = p, .size = size };
	return 0;
}

#ifdef ARENA_PER_OBJECT
void *arena_zalloc(struct arena *a, size_t size)
{
	void *p = calloc(1, size);

	if (p && keep(a, p, 0)) {
		free(p);
		return NULL;
	}
	return p;
}
#else
/* A mapping of size bytes; from HUGE_PAGE on, aligned to it and advised as huge pages. */
static void *map_chunk(size_t size)
{
	size_t extra = size >= HUGE_PAGE ? HUGE_PAGE : 0;
	char *p = mmap(NULL, size + extra, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		       0);
	size_t head;

	if (p == MAP_FAILED)
		return NULL;
	if (!extra)
		return p;
	head = (HUGE_PAGE - (uintptr_t)p % HUGE_PAGE) % HUGE_PAGE;
	if (head)
		munmap(p, head);
	if (extra - head)
		munmap(p + head + size, extra - head);
	p += head;
	/* Advice only: without transparent huge pages it is plain pages. */
	madvise(p, size, MADV_HUGEPAGE);
	return p;
}

void *arena_zalloc(struct arena *a, size_t size)
{
	void *p;

	size = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (size > a->left) {
		size_t csize = a->next ? a->next : FIRST;

		while (csize < size)
			csize *= 2;
		p = map_chunk(csize);
		if (!p)
			return NULL;
		if (keep(a, p, csize)) {
			munmap(p, csize);
			return NULL;
		}
		a->cur = p;
		a->left = csize;
		a->next = csize < HUGE_PAGE ? csize * 2 : csize;
	}
	p = a->cur;
	a->cur += size;
	a->left -= size;
	return p;
}
#endif

void arena_free(struct arena *a)
{
	for (size_t i = 0; i < a->n; i++) {
		if (a->chunks[i].size)
			munmap(a->chunks[i].p, a->chunks[i].size);
		else
			free(a->chunks[i].p);
	}
	free(a->chunks);
	*a = (struct arena){ 0 };
}
