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
#include "lib/format.h"
#include "lib/hist.h"
#include "lib/rec.h"
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

/* ---- stalls ------------------------------------------------------------------------------ */

#define MS 1000000ULL

static __u64 stall_ts = 1000;

/* A chain record; timeout: a 7.x unlocked call that gave up (-EBUSY, flags); old: written before
 * the flags existed (hdr.size ends before them; the bytes after are not the record's). */
static struct hmm_rec_chain chain_rec(__u32 pid, __u32 tid, __u64 ops, __u32 attempts, __u64 dur,
				      bool timeout, bool old)
{
	struct hmm_rec_chain c = { .hdr = { .type = HMM_REC_CHAIN, .size = sizeof(c),
					    .ts = stall_ts++ } };

	c.dur_ns = dur;
	c.ret = timeout ? -16 : 0;
	c.ops = ops;
	c.notifier = 0x1000 + pid;
	c.attempts = attempts;
	c.busy = timeout ? attempts : attempts - 1;
	c.flags = timeout ? HMM_CHAIN_F_UNLOCKED | HMM_CHAIN_F_TIMEOUT : 0;
	task(&c.caller, pid);
	c.caller.tid = tid;
	task(&c.owner, pid);
	if (old) {
		c.hdr.size = offsetof(struct hmm_rec_chain, flags);
		c.flags = HMM_CHAIN_F_TIMEOUT; /* garbage past the record: never read */
	}
	return c;
}

static struct hmm_rec_fault fault_rec(__u32 pid, __u32 tid, __u64 ops, __u16 attempt, __u64 dur,
				      int ret, __u32 by)
{
	struct hmm_rec_fault f = { .hdr = { .type = HMM_REC_FAULT, .size = sizeof(f),
					    .ts = stall_ts++ } };

	f.dur_ns = dur;
	f.ret = ret;
	f.ops = ops;
	f.notifier = 0x1000 + pid;
	f.attempt = attempt;
	f.npages = 1;
	task(&f.caller, pid);
	f.caller.tid = tid;
	task(&f.owner, pid);
	if (ret == -16 && by) {
		f.cause.found = 1;
		f.cause.event = HMM_EV_CLEAR;
		task(&f.cause.task, by);
	}
	return f;
}

/* Which records are stalls, and why: the threshold's edge, timeouts, lone calls, old records. */
static void test_stall_classify(void **state)
{
	struct hmm_rec_chain c;
	struct hmm_rec_fault f;

	(void)state;
	c = chain_rec(100, 100, addrs[1], 3, 1000 * MS - 1, false, false);
	assert_int_equal(hmm_rec_stall(&c.hdr, 0), 0);
	c = chain_rec(100, 100, addrs[1], 3, 1000 * MS, false, false); /* exactly: a stall */
	assert_int_equal(hmm_rec_stall(&c.hdr, 0), HMM_STALL_LONG);
	assert_int_equal(hmm_rec_stall(&c.hdr, HMM_STALL_NS_DEFAULT), HMM_STALL_LONG);
	assert_int_equal(hmm_rec_stall(&c.hdr, 1000 * MS + 1), 0);
	assert_int_equal(hmm_rec_stall(&c.hdr, 999 * MS), HMM_STALL_LONG);
	c = chain_rec(100, 100, addrs[1], 3, 20 * MS, true, false); /* timed out early */
	assert_int_equal(hmm_rec_stall(&c.hdr, 0), HMM_STALL_TIMEOUT);
	c = chain_rec(100, 100, addrs[1], 9, 1000 * MS + 2, true, false);
	assert_int_equal(hmm_rec_stall(&c.hdr, 0), HMM_STALL_LONG | HMM_STALL_TIMEOUT);
	assert_int_equal(hmm_rec_stall(&c.hdr, 2000 * MS), HMM_STALL_TIMEOUT);
	/* An old record: no flags, by its duration only. */
	c = chain_rec(100, 100, addrs[1], 3, 20 * MS, true, true);
	assert_int_equal(hmm_rec_check(&c, c.hdr.size), 0);
	assert_int_equal(hmm_rec_stall(&c.hdr, 0), 0);
	c = chain_rec(100, 100, addrs[1], 3, 1500 * MS, false, true);
	assert_int_equal(hmm_rec_stall(&c.hdr, 0), HMM_STALL_LONG);
	assert_int_equal(hmm_rec_stall(&c.hdr, 1500 * MS + 1), 0);

	/* A lone call (attempt 1, any result but -EBUSY) is a chain of one. */
	f = fault_rec(100, 100, addrs[1], 1, 1000 * MS, 0, 0);
	assert_int_equal(hmm_rec_stall(&f.hdr, 0), HMM_STALL_LONG);
	f = fault_rec(100, 100, addrs[1], 1, 1000 * MS, -14, 0);
	assert_int_equal(hmm_rec_stall(&f.hdr, 0), HMM_STALL_LONG);
	f = fault_rec(100, 100, addrs[1], 1, 1000 * MS - 1, 0, 0);
	assert_int_equal(hmm_rec_stall(&f.hdr, 0), 0);
	/* -EBUSY: its chain goes on; attempt 2 ends a chain whose record counts, not the call */
	f = fault_rec(100, 100, addrs[1], 1, 5000 * MS, -16, 0);
	assert_int_equal(hmm_rec_stall(&f.hdr, 0), 0);
	f = fault_rec(100, 100, addrs[1], 2, 5000 * MS, 0, 0);
	assert_int_equal(hmm_rec_stall(&f.hdr, 0), 0);
	/* Other records never are. */
	{
		struct hmm_rec_uffd u = { .hdr = { .type = HMM_REC_UFFD, .size = sizeof(u) } };

		u.dur_ns = 5000 * MS;
		assert_int_equal(hmm_rec_stall(&u.hdr, 0), 0);
	}
}

/*
 * One recording's stalls, at two thresholds. pid 100 (driver nouveau): a lone call of exactly 1 s,
 * a chain of 2 attempts (-EBUSY blamed on pid 300, then ok) of 1.2 s; pid 101 (amdgpu): a 7.x
 * chain that timed out after 20 ms, a chain of 999999999 ns, an old chain record of 3 s; pid 102:
 * a lone call of 999 ms.
 */
static void add_stall_records(struct hmm_stats *s)
{
	struct hmm_rec_fault f;
	struct hmm_rec_chain c;

	f = fault_rec(100, 100, addrs[1], 1, 1000 * MS, 0, 0);
	assert_int_equal(hmm_stats__add(s, &f.hdr), 0);
	f = fault_rec(100, 110, addrs[2], 1, 4000, -16, 300);
	assert_int_equal(hmm_stats__add(s, &f.hdr), 0);
	f = fault_rec(100, 110, addrs[2], 2, 4000, 0, 0);
	assert_int_equal(hmm_stats__add(s, &f.hdr), 0);
	c = chain_rec(100, 110, addrs[2], 2, 1200 * MS, false, false);
	assert_int_equal(hmm_stats__add(s, &c.hdr), 0);
	c = chain_rec(101, 101, addrs[3], 4, 20 * MS, true, false);
	assert_int_equal(hmm_stats__add(s, &c.hdr), 0);
	c = chain_rec(101, 101, addrs[3], 2, 1000 * MS - 1, false, false);
	assert_int_equal(hmm_stats__add(s, &c.hdr), 0);
	c = chain_rec(101, 101, addrs[3], 5, 3000 * MS, false, true);
	assert_int_equal(hmm_stats__add(s, &c.hdr), 0);
	f = fault_rec(102, 102, 0, 1, 999 * MS, 0, 0);
	assert_int_equal(hmm_stats__add(s, &f.hdr), 0);
}

static const struct hmm_stats_group *group(struct hmm_stats_group *const *g, size_t n,
					   const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(g[i]->name, name))
			return g[i];
	fail_msg("no group %s", name);
	return NULL;
}

static void test_stall_stats(void **state)
{
	struct hmm_stats_opts o = { .sz = sizeof(o), .driver_name = driver_of };
	struct hmm_stats *s;
	const struct hmm_stats_chain *c;

	(void)state;
	s = hmm_stats__new(&o);
	assert_non_null(s);
	add_stall_records(s);
	assert_int_equal(s->stall_ns, 1000 * MS);
	/* 1 s lone call, 1.2 s chain, the timeout, the 3 s old record */
	assert_int_equal(s->stalls, 4);
	assert_int_equal(s->stalls_ebusy, 1);
	assert_int_equal(s->stalls_timeout, 1);
	assert_int_equal(group(s->drivers, s->n_drivers, "nouveau")->stalls, 2);
	assert_int_equal(group(s->drivers, s->n_drivers, "amdgpu")->stalls, 2);
	assert_int_equal(group(s->drivers, s->n_drivers, "none")->stalls, 0);
	assert_int_equal(group(s->owners, s->n_owners, "task100")->stalls, 2);
	assert_int_equal(group(s->owners, s->n_owners, "task101")->stalls, 2);
	assert_int_equal(group(s->owners, s->n_owners, "task102")->stalls, 0);
	/* longest first: 3 s, 1.2 s (with its cause), 1 s (a lone call), the timeout */
	assert_int_equal(s->n_top_stalls, 4);
	c = &s->top_stalls[0];
	assert_int_equal(c->dur_ns, 3000 * MS);
	assert_int_equal(c->stall, HMM_STALL_LONG);
	assert_int_equal(c->flags, 0);
	assert_string_equal(c->driver, "amdgpu");
	c = &s->top_stalls[1];
	assert_int_equal(c->dur_ns, 1200 * MS);
	assert_int_equal(c->attempts, 2);
	assert_int_equal(c->caller.tid, 110);
	assert_int_equal(c->owner.pid, 100);
	assert_string_equal(c->driver, "nouveau");
	assert_int_equal(c->n_causes, 1);
	assert_int_equal(c->causes[0].event, HMM_EV_CLEAR);
	assert_int_equal(c->causes[0].count, 1);
	assert_int_equal(c->causes[0].task.pid, 300);
	c = &s->top_stalls[2];
	assert_int_equal(c->dur_ns, 1000 * MS);
	assert_int_equal(c->attempts, 1);
	assert_int_equal(c->n_causes, 0);
	c = &s->top_stalls[3];
	assert_int_equal(c->dur_ns, 20 * MS);
	assert_int_equal(c->stall, HMM_STALL_TIMEOUT);
	assert_int_equal(c->flags, HMM_CHAIN_F_UNLOCKED | HMM_CHAIN_F_TIMEOUT);
	assert_int_equal(hmm_fault_result(c->ret), HMM_RES_EBUSY);
	/* the longest chains keep the stall flag too */
	assert_int_equal(s->top_chains[0].attempts, 5);
	assert_int_equal(s->top_chains[0].stall, HMM_STALL_LONG);
	hmm_stats__free(s);

	/* --stall-ms 999: the 999999999 ns chain and the 999 ms lone call join; two kept */
	o.stall_ns = 999 * MS;
	o.top_stalls = 2;
	s = hmm_stats__new(&o);
	assert_non_null(s);
	add_stall_records(s);
	assert_int_equal(s->stalls, 6);
	assert_int_equal(s->stalls_ebusy, 1);
	assert_int_equal(s->stalls_timeout, 1);
	assert_int_equal(group(s->owners, s->n_owners, "task102")->stalls, 1);
	assert_int_equal(s->n_top_stalls, 2);
	assert_int_equal(s->top_stalls[0].dur_ns, 3000 * MS);
	assert_int_equal(s->top_stalls[1].dur_ns, 1200 * MS);
	hmm_stats__free(s);

	/* --stall-ms 1201: the timeout and the 3 s old record */
	o.stall_ns = 1201 * MS;
	o.top_stalls = 0;
	s = hmm_stats__new(&o);
	assert_non_null(s);
	add_stall_records(s);
	assert_int_equal(s->stalls, 2);
	assert_int_equal(s->stalls_timeout, 1);
	assert_int_equal(group(s->drivers, s->n_drivers, "nouveau")->stalls, 0);
	hmm_stats__free(s);
}

/* The "stall" flag of dump's JSON, by the format's threshold. */
static void test_stall_json(void **state)
{
	struct hmm_fmt fmt = { 0 };
	struct hmm_rec_chain c = chain_rec(100, 100, 0, 2, 1000 * MS, false, false);
	struct hmm_rec_fault f = fault_rec(100, 100, 0, 1, 1000 * MS - 1, 0, 0);
	json_t *o;

	(void)state;
	o = hmm_fmt_json(&fmt, &c.hdr);
	assert_true(json_is_true(json_object_get(o, "stall")));
	json_decref(o);
	o = hmm_fmt_json(&fmt, &f.hdr);
	assert_true(json_is_false(json_object_get(o, "stall")));
	json_decref(o);
	fmt.stall_ns = 1000 * MS + 1;
	o = hmm_fmt_json(&fmt, &c.hdr);
	assert_true(json_is_false(json_object_get(o, "stall")));
	json_decref(o);
	fmt.stall_ns = 1000 * MS - 1;
	o = hmm_fmt_json(&fmt, &f.hdr);
	assert_true(json_is_true(json_object_get(o, "stall")));
	json_decref(o);
}

/* Stalls from a chain histogram (hist, hmm_exporter): the bucket holding the threshold and up. */
static void test_stall_hist(void **state)
{
	struct hmm_hist h = { 0 };

	(void)state;
	assert_int_equal(hmm_chain_stall_bound(1000 * MS), 984625593);
	assert_true(hmm_hist_slot(984625593) < hmm_hist_slot(1000 * MS));
	assert_int_equal(hmm_hist_slot(984625594), hmm_hist_slot(1000 * MS));
	/* an edge: its own bucket */
	assert_int_equal(hmm_chain_stall_bound(1ULL << 30), 984625593);
	assert_int_equal(hmm_chain_stall_bound((1ULL << 30) + 1), 1ULL << 30);
	hmm_hist_add(&h, 984625593);
	hmm_hist_add(&h, 984625594);
	hmm_hist_add(&h, 1000 * MS);
	hmm_hist_add(&h, 5000 * MS);
	hmm_hist_add(&h, 1000);
	assert_int_equal(hmm_chain_hist_stalls(&h, HMM_RES_OK, 0 + 1000 * MS), 3);
	assert_int_equal(hmm_chain_hist_stalls(&h, HMM_RES_OK, (1ULL << 30) + 1), 1);
	/* -EBUSY chains ran into their timeout: all of them */
	assert_int_equal(hmm_chain_hist_stalls(&h, HMM_RES_EBUSY, 1000 * MS), 5);
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
		cmocka_unit_test(test_stall_classify),
		cmocka_unit_test(test_stall_stats),
		cmocka_unit_test(test_stall_json),
		cmocka_unit_test(test_stall_hist),
		cmocka_unit_test(test_round_trips),
	};

	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
