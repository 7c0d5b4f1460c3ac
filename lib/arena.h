/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A zeroing bump allocator for state that lives as long as its owner and is freed all at once:
 * the statistics' groups, sites and histograms (lib/stats.c). Why not calloc() each: a histogram
 * is 2.6 KB and a record updates several of one owner's and one driver's, so with many owners
 * and drivers every record lands on pages the TLB no longer holds. Here objects are packed and
 * cache-line aligned, and chunks grow from 64 KiB to 2 MiB, those 2 MiB aligned and advised as
 * transparent huge pages (MADV_HUGEPAGE): a thousand drivers' histograms are then some twenty
 * TLB entries, not thousands. Small states stay in the first small chunks, so what a small
 * trace costs in memory does not change. Built with AddressSanitizer, each object is its own
 * calloc(), so overflows between objects are still caught.
 */
#ifndef HMMSCOPE_ARENA_H
#define HMMSCOPE_ARENA_H

#include <stddef.h>

struct arena {
	struct arena_chunk {
		void *p; /* a mapping; in sanitized builds, one object */
		size_t size;
	} *chunks;
	size_t n, cap;
	char *cur; /* free space in the newest chunk */
	size_t left;
	size_t next; /* size of the next chunk */
};

/* size bytes, zeroed, 64-byte aligned; NULL when out of memory. Freed by arena_free() only. */
void *arena_zalloc(struct arena *a, size_t size);
/* Everything arena_zalloc() gave; the arena is empty and usable again. */
void arena_free(struct arena *a);

#endif /* HMMSCOPE_ARENA_H */
