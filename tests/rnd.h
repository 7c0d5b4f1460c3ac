/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * xorshift64* for the test programs and benchmarks: deterministic, so a failure or a benchmark
 * feed reproduces. rng is the state, seeded with RND_SEED (define it before including this for
 * another sequence) or set by the program.
 */
#ifndef HMMSCOPE_TESTS_RND_H
#define HMMSCOPE_TESTS_RND_H

#include <linux/types.h>

#ifndef RND_SEED
#define RND_SEED 0x9e3779b97f4a7c15ULL
#endif

static __u64 rng = RND_SEED;

static __u64 rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

#endif /* HMMSCOPE_TESTS_RND_H */
