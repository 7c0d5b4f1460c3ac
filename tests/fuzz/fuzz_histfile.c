// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target: arbitrary bytes as a histogram file (lib/histfile.h), then what `hmmtrace
 * hist merge` does with a file it read: merge it, sort it, take quantiles. The reader must never
 * crash or read out of bounds; it may only refuse the file. A file it accepts must merge
 * exactly (counts add slot by slot), and write and read back to the same thing.
 *
 * Each input is tried twice: as it is (so the CRC check is exercised) and with its last four
 * bytes replaced by the right CRC-32, so that mutations reach the parsing behind the check
 * without a fuzzing-only switch in the library. `make fuzz`, tests/cases/fuzz-histfile.sh.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/hist.h"
#include "lib/histfile.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char tmp_path[256];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	snprintf(tmp_path, sizeof(tmp_path), "%s/fuzz_histfile.%d", dir && *dir ? dir : "/tmp",
		 (int)getpid());
	return 0;
}

static bool is_str(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

static bool same_entry(const struct hmm_histfile_entry *a, const struct hmm_histfile_entry *b)
{
	return a->key.metric == b->key.metric && a->key.label == b->key.label &&
	       !strcmp(a->driver, b->driver) && a->h.count == b->h.count &&
	       a->h.sum == b->h.sum && !memcmp(a->h.slots, b->h.slots, sizeof(a->h.slots));
}

static const struct hmm_histfile_entry *find(const struct hmm_histfile *f,
					     const struct hmm_histfile_entry *e)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->e[i].key.metric == e->key.metric && f->e[i].key.label == e->key.label &&
		    !strcmp(f->e[i].driver, e->driver))
			return &f->e[i];
	return NULL;
}

/* What a caller may rely on in a file the reader accepted. */
static void check_read(const struct hmm_histfile *f, size_t size)
{
	if (f->n > size || (f->n && !f->e) || f->n > f->cap)
		abort();
	if (!is_str(f->host, sizeof(f->host)) || !is_str(f->release, sizeof(f->release)))
		abort();
	for (size_t i = 0; i < f->n; i++) {
		const struct hmm_histfile_entry *e = &f->e[i];
		volatile __u64 sink;
		bool ovf;

		if (!is_str(e->driver, sizeof(e->driver)))
			abort();
		/* hmmtrace hist's report: totals and quantiles of any counts. */
		sink = hmm_hist_total(&e->h);
		sink = hmm_hist_quantile(&e->h, 0.5, &ovf);
		sink = hmm_hist_quantile(&e->h, 0.999, &ovf);
		sink = hmm_hist_max_bound(&e->h);
		(void)sink;
	}
}

/* A count merged with itself: it stays at 2^64 - 1 rather than wrapping. */
static uint64_t twice(uint64_t v)
{
	return v > UINT64_MAX / 2 ? UINT64_MAX : 2 * v;
}

/* Merging a file into an empty one and then into itself: every series doubles, exactly. */
static void check_merge(const struct hmm_histfile *f)
{
	struct hmm_histfile *all = hmm_histfile__new(HMM_HISTFILE_MERGE), *once;
	int err;

	if (!all)
		abort();
	all->hosts = 0;
	if (hmm_histfile__merge(all, f))
		abort();
	/* The reader keeps duplicate series as they are; the merge folds them. */
	once = hmm_histfile__new(HMM_HISTFILE_MERGE);
	if (!once)
		abort();
	once->hosts = 0;
	if (hmm_histfile__merge(once, all))
		abort();
	if (once->n != all->n)
		abort();
	for (size_t i = 0; i < all->n; i++)
		if (!same_entry(&once->e[i], &all->e[i]))
			abort();
	err = hmm_histfile__merge(all, once);
	if (err)
		abort();
	if (all->n != once->n || all->hosts != 2 * once->hosts)
		abort();
	for (size_t i = 0; i < all->n; i++) {
		const struct hmm_histfile_entry *a = &all->e[i], *o = find(once, a);

		/* counts saturate (hmm_hist_merge()), the sum wraps as hmm_hist_add() adds it */
		if (!o || a->h.count != twice(o->h.count) || a->h.sum != 2 * o->h.sum)
			abort();
		for (size_t s = 0; s < HMM_HIST_SLOTS; s++)
			if (a->h.slots[s] != twice(o->h.slots[s]))
				abort();
	}
	for (size_t i = 0; i < HMM_C_MAX; i++)
		if (all->counters[i] != twice(once->counters[i]))
			abort();
	hmm_histfile__sort(all);
	for (size_t i = 1; i < all->n; i++) {
		const struct hmm_histfile_entry *x = &all->e[i - 1], *y = &all->e[i];

		if (x->key.metric > y->key.metric ||
		    (x->key.metric == y->key.metric && x->key.label > y->key.label) ||
		    (x->key.metric == y->key.metric && x->key.label == y->key.label &&
		     strcmp(x->driver, y->driver) >= 0))
			abort();
	}
	hmm_histfile__free(once);
	hmm_histfile__free(all);
}

/* Write and read back: the same header fields, counters and series. */
static void check_roundtrip(const struct hmm_histfile *f)
{
	struct hmm_histfile *g;
	int err;

	err = hmm_histfile__write(f, tmp_path);
	if (err)
		return; /* a full or missing TMPDIR is not the reader's bug */
	g = hmm_histfile__read(tmp_path, &err);
	unlink(tmp_path);
	if (!g)
		abort();
	if (g->n != f->n || g->hosts != f->hosts || g->source != f->source ||
	    g->start_real_ns != f->start_real_ns || g->duration_ns != f->duration_ns ||
	    strcmp(g->host, f->host) || strcmp(g->release, f->release) ||
	    memcmp(g->counters, f->counters, sizeof(f->counters)))
		abort();
	for (size_t i = 0; i < f->n; i++)
		if (!same_entry(&g->e[i], &f->e[i]) || g->e[i].key.driver != f->e[i].key.driver)
			abort();
	hmm_histfile__free(g);
}

static void one(const uint8_t *data, size_t size)
{
	struct hmm_histfile *f;
	int err = 0;

	f = hmm_histfile__read_mem(data, size, &err);
	if (!f) {
		if (err != -EPROTO && err != -EPROTONOSUPPORT && err != -EBADMSG && err != -ENOMEM)
			abort();
		return;
	}
	if (err)
		abort();
	check_read(f, size);
	check_merge(f);
	check_roundtrip(f);
	hmm_histfile__free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;
	uLong c;

	one(data, size);
	if (size < 4)
		return 0;
	/* A copy of exactly size bytes, so that ASan catches a read past the end. */
	copy = malloc(size);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	c = crc32(0, copy, size - 4);
	copy[size - 4] = c & 0xff;
	copy[size - 3] = (c >> 8) & 0xff;
	copy[size - 2] = (c >> 16) & 0xff;
	copy[size - 1] = (c >> 24) & 0xff;
	if (memcmp(copy, data, size))
		one(copy, size);
	free(copy);
	return 0;
}
