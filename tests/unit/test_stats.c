// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests for lib/stats.c's histograms and driver groups: hmm_stats__add() keeps a record's
 * histograms by its attribution address (one lookup per record), with labels past its table and
 * driver 0 on paths of their own. Checked against agg.c's hmm_record_samples(), the plain path
 * that calls back once per sample, on records of every type with every label the enums have and
 * some they do not: the same histograms, key by key, in the same order, with the same contents.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/agg.h"
#include "lib/hist.h"
#include "lib/stats.h"
#define RND_SEED 0x2545f4914f6cdd1dULL
#include "tests/rnd.h"

/* Four attribution addresses: two of one driver, one of another, and none. */
static const __u64 addrs[] = { 0, 0xffffffffc0a01230ULL, 0xffffffffc0a04560ULL,
			       0xffffffffc0b07890ULL };

static const char *driver_of(void *ctx, __u64 addr)
{
	(void)ctx;
	if (addr == addrs[1] || addr == addrs[2])
		return "nouveau";
	return addr == addrs[3] ? "amdgpu" : NULL;
}

/* The reference: every histogram in order of its first sample, found by a linear search. */
struct ref {
	struct hmm_hist_key key[256];
	struct hmm_hist h[256];
	size_t n;
};

static void ref_add(void *ctx, const struct hmm_hist_key *key, __u64 v)
{
	struct ref *r = ctx;
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->key[i].driver == key->driver && r->key[i].metric == key->metric &&
		    r->key[i].label == key->label)
			break;
	if (i == r->n) {
		assert_true(r->n < 256);
		r->key[r->n++] = *key;
	}
	hmm_hist_add(&r->h[i], v);
}

struct seen {
	const struct ref *ref;
	size_t n;
};

static int check_hist(void *ctx, const struct hmm_hist_key *key, const struct hmm_hist *h)
{
	struct seen *s = ctx;
	const struct ref *r = s->ref;

	assert_true(s->n < r->n);
	assert_int_equal(key->driver, r->key[s->n].driver);
	assert_int_equal(key->metric, r->key[s->n].metric);
	assert_int_equal(key->label, r->key[s->n].label);
	assert_memory_equal(h, &r->h[s->n], sizeof(*h));
	s->n++;
	return 0;
}

static void task(struct hmm_task *t, __u32 pid)
{
	t->pid = t->tid = pid;
	snprintf(t->comm, sizeof(t->comm), "task%u", pid);
}

/* A record of a random type, with random labels: in range mostly, past HMM_*_MAX sometimes,
 * past the 16 labels a site keeps sometimes (hist_map). */
static const struct hmm_rec_hdr *random_record(void *buf, __u64 ts)
{
	static const __s64 rets[] = { 0, 0, 0, -16 /* EBUSY */, -14, -1, -12 };
	__u64 addr = addrs[rnd() % 4], d = 1 + rnd() % 5000000;
	struct hmm_rec_hdr *h = buf;

	memset(buf, 0, 256);
	h->ts = ts;
	switch (rnd() % 7) {
	case 0: {
		struct hmm_rec_fault *r = buf;

		h->type = HMM_REC_FAULT;
		h->size = sizeof(*r);
		r->dur_ns = d;
		r->ret = rets[rnd() % 7];
		r->ops = addr;
		r->attempt = 1 + rnd() % 3;
		r->npages = 16;
		task(&r->caller, 100 + rnd() % 3);
		task(&r->owner, 100 + rnd() % 3);
		break;
	}
	case 1: {
		struct hmm_rec_chain *r = buf;

		h->type = HMM_REC_CHAIN;
		h->size = sizeof(*r);
		r->dur_ns = d;
		r->ret = rets[rnd() % 7];
		r->ops = addr;
		r->attempts = 2 + rnd() % 4;
		task(&r->caller, 100 + rnd() % 3);
		task(&r->owner, 100 + rnd() % 3);
		break;
	}
	case 2: {
		struct hmm_rec_read_begin *r = buf;

		h->type = HMM_REC_READ_BEGIN;
		h->size = sizeof(*r);
		r->dur_ns = d;
		task(&r->owner, 100 + rnd() % 3);
		break;
	}
	case 3: {
		struct hmm_rec_migrate *r = buf;
		static const __u8 dirs[] = { 0, 1, 2, HMM_DIR_MAX, 17, 200 };

		h->type = HMM_REC_MIGRATE;
		h->size = sizeof(*r);
		r->setup_ns = d / 4;
		r->copy_ns = d / 2;
		r->finalize_ns = d / 4;
		r->total_ns = d;
		r->driver = addr;
		r->caller_ip = rnd() % 2 ? addrs[3] : 0;
		r->dir = dirs[rnd() % 6];
		r->flags = rnd() % 2 ? HMM_MIG_F_PAGES : 0;
		r->npages = r->cpages = 8;
		r->moved = 6;
		r->stayed = 2;
		task(&r->owner, 100 + rnd() % 3);
		break;
	}
	case 4: {
		struct hmm_rec_inval *r = buf;

		h->type = HMM_REC_INVAL;
		h->size = sizeof(*r);
		r->start_ns = d;
		r->end_ns = d / 3;
		r->start = 0x10000;
		r->end = 0x20000;
		r->event = (__u8)(rnd() % (HMM_EV_MAX + 3));
		r->flags = rnd() % 4 ? 0 : HMM_INVAL_F_NO_END;
		task(&r->task, 200 + rnd() % 2);
		task(&r->owner, 100 + rnd() % 3);
		break;
	}
	case 5: {
		struct hmm_rec_round_trip *r = buf;
		static const __u8 dirs[] = { 0, 1, HMM_DIR_MAX, 40 };

		h->type = HMM_REC_ROUND_TRIP;
		h->size = sizeof(*r);
		r->legs_ns = d;
		r->driver = addr;
		r->dir = dirs[rnd() % 4];
		r->mm = 0x5000 + rnd() % 3;
		r->start = (rnd() % 4) << HMM_THRASH_BLOCK_SHIFT;
		r->end = r->start + (1ULL << HMM_THRASH_BLOCK_SHIFT);
		r->pages = 1 + rnd() % 64;
		r->trips = 1 + rnd() % 8;
		r->flags = r->trips >= 3 ? HMM_RT_F_THRASHING : 0;
		task(&r->caller, 100 + rnd() % 3);
		task(&r->owner, 100 + rnd() % 3);
		break;
	}
	default: {
		struct hmm_rec_uffd *r = buf;

		h->type = HMM_REC_UFFD;
		h->size = sizeof(*r);
		r->dur_ns = d;
		r->reason = (__u8)(rnd() % 2 ? rnd() % HMM_UFFD_MAX : 16 + rnd() % 40);
		task(&r->task, 100 + rnd() % 3);
		break;
	}
	}
	return h;
}

static void test_hists_match_samples(void **state)
{
	struct hmm_stats_opts o = { .sz = sizeof(o), .driver_name = driver_of };
	struct ref *ref = calloc(1, sizeof(*ref));
	__u64 faults[3] = { 0 }, buf[32];
	struct hmm_stats *s = hmm_stats__new(&o);
	struct seen seen = { .ref = ref };
	bool past_table = false;
	size_t i, k;

	(void)state;
	assert_non_null(ref);
	assert_non_null(s);
	for (i = 0; i < 20000; i++) {
		const struct hmm_rec_hdr *h = random_record(buf, 1000 + i * 1000);

		assert_int_equal(hmm_rec_check(h, h->size), 0);
		assert_int_equal(hmm_stats__add(s, h), 0);
		hmm_record_samples(h, ref_add, ref);
		if (h->type == HMM_REC_FAULT) {
			__u64 a = ((const struct hmm_rec_fault *)h)->ops;

			faults[a == addrs[0] ? 0 : a == addrs[3] ? 2 : 1]++;
		}
	}
	for (k = 0; k < ref->n; k++)
		past_table |= ref->key[k].label >= 16;
	assert_true(past_table); /* the hist_map path was taken */
	assert_int_equal(hmm_stats__hists(s, check_hist, &seen), 0);
	assert_int_equal(seen.n, ref->n);

	/* Driver groups: the two nouveau addresses in one, faults counted once each. */
	assert_int_equal(s->n_drivers, 3);
	for (k = 0; k < s->n_drivers; k++) {
		const struct hmm_stats_group *g = s->drivers[k];

		if (!strcmp(g->name, "none"))
			assert_int_equal(g->fault_ns.count, faults[0]);
		else if (!strcmp(g->name, "nouveau"))
			assert_int_equal(g->fault_ns.count, faults[1]);
		else if (!strcmp(g->name, "amdgpu"))
			assert_int_equal(g->fault_ns.count, faults[2]);
		else
			fail_msg("unexpected driver group %s", g->name);
	}
	hmm_stats__free(s);
	free(ref);
}

/* One round trip of the range (mm, block): trips in the window, pages, time migrating. */
static void round_trip(struct hmm_stats *s, __u64 ts, __u64 mm, __u64 block, __u64 drv,
		       __u32 owner, __u32 trips, __u32 pages, __u64 legs, bool became)
{
	struct hmm_rec_round_trip r = { .hdr = { .type = HMM_REC_ROUND_TRIP, .size = sizeof(r),
						 .ts = ts } };
	__u64 c[HMM_C_MAX] = { 0 };

	r.mm = mm;
	r.start = block << HMM_THRASH_BLOCK_SHIFT;
	r.end = r.start + (1ULL << HMM_THRASH_BLOCK_SHIFT);
	r.driver = drv;
	r.legs_ns = legs;
	r.pages = pages;
	r.trips = trips;
	r.dir = trips % 2 ? HMM_DIR_TO_SYSTEM : HMM_DIR_TO_DEVICE;
	r.flags = (trips >= 3 ? HMM_RT_F_THRASHING : 0) | (became ? HMM_RT_F_BECAME : 0);
	task(&r.caller, owner);
	task(&r.owner, owner);
	assert_int_equal(hmm_rec_check(&r, sizeof(r)), 0);
	assert_int_equal(hmm_stats__add(s, &r.hdr), 0);
	/* What BPF counts in aggregation mode, from the record alone. */
	hmm_count_record(c, &r.hdr, 12);
	assert_int_equal(c[HMM_C_ROUND_TRIPS], 1);
	assert_int_equal(c[HMM_C_THRASHING], became);
}

/* Round-trip records: the totals, one range per (mm, block), the ranges most round trips first
 * (ties: more time migrating, then the earlier), the owner's and driver's counts, a histogram
 * per driver and return direction. */
static void test_round_trips(void **state)
{
	struct hmm_stats_opts o = { .sz = sizeof(o), .driver_name = driver_of };
	struct hmm_stats *s = hmm_stats__new(&o);
	const struct hmm_stats_range *top[8];
	struct hmm_hist h;
	size_t n;

	(void)state;
	assert_non_null(s);
	/* mm 1 block 7 (nouveau): 4 round trips, thrashing from the third */
	for (__u32 i = 1; i <= 4; i++)
		round_trip(s, 1000 + i, 1, 7, addrs[1], 100, i, 64, 1000 * i, i == 3);
	/* mm 2, the same block number: another range, 2 round trips (amdgpu) */
	round_trip(s, 2000, 2, 7, addrs[3], 101, 1, 8, 500, false);
	round_trip(s, 2001, 2, 7, addrs[3], 101, 2, 8, 500, false);
	/* mm 1 block 8: 2 round trips, more time: ahead of mm 2's */
	round_trip(s, 3000, 1, 8, addrs[2], 100, 1, 1, 4000, false);
	round_trip(s, 3001, 1, 8, addrs[2], 100, 2, 1, 4000, false);

	assert_int_equal(s->c[HMM_C_ROUND_TRIPS], 8);
	assert_int_equal(s->c[HMM_C_THRASHING], 1);
	assert_int_equal(s->per_type[HMM_REC_ROUND_TRIP], 8);
	assert_int_equal(s->n_ranges, 3);
	n = hmm_stats__top_ranges(s, top, 8);
	assert_int_equal(n, 3);
	assert_int_equal(top[0]->mm, 1);
	assert_int_equal(top[0]->start, 7ULL << HMM_THRASH_BLOCK_SHIFT);
	assert_int_equal(top[0]->end, 8ULL << HMM_THRASH_BLOCK_SHIFT);
	assert_int_equal(top[0]->trips, 4);
	assert_int_equal(top[0]->max_trips, 4);
	assert_int_equal(top[0]->thrashing, 1);
	assert_int_equal(top[0]->pages, 256);
	assert_int_equal(top[0]->legs_ns, 10000);
	assert_int_equal(top[0]->first_ts, 1001);
	assert_int_equal(top[0]->last_ts, 1004);
	assert_string_equal(top[0]->driver, "nouveau");
	assert_int_equal(top[0]->owner.pid, 100);
	assert_int_equal(top[1]->mm, 1);
	assert_int_equal(top[1]->start, 8ULL << HMM_THRASH_BLOCK_SHIFT);
	assert_int_equal(top[1]->legs_ns, 8000);
	assert_int_equal(top[2]->mm, 2);
	assert_string_equal(top[2]->driver, "amdgpu");
	assert_int_equal(top[2]->thrashing, 0);
	assert_int_equal(top[2]->pages, 16);
	/* Fewer asked for: the first ones. */
	assert_int_equal(hmm_stats__top_ranges(s, top, 1), 1);
	assert_int_equal(top[0]->trips, 4);

	/* Owner 100: 6 round trips, one became thrashing; driver nouveau (both its addresses) 6. */
	for (size_t k = 0; k < s->n_owners; k++)
		if (s->owners[k]->pid == 100) {
			assert_int_equal(s->owners[k]->c[HMM_C_ROUND_TRIPS], 6);
			assert_int_equal(s->owners[k]->c[HMM_C_THRASHING], 1);
		}
	for (size_t k = 0; k < s->n_drivers; k++)
		if (!strcmp(s->drivers[k]->name, "nouveau"))
			assert_int_equal(s->drivers[k]->c[HMM_C_ROUND_TRIPS], 6);
	hmm_stats__metric(s, HMM_M_ROUND_TRIP_NS, -1, &h);
	assert_int_equal(h.count, 8);
	assert_int_equal(h.sum, 10000 + 1000 + 8000);
	hmm_stats__metric(s, HMM_M_ROUND_TRIP_NS, HMM_DIR_TO_DEVICE, &h);
	assert_int_equal(h.count, 4); /* even trips */
	hmm_stats__free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hists_match_samples),
		cmocka_unit_test(test_round_trips),
	};

	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
