// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hmmtrace diff's lines (tools/hmmtrace/diff_lines.c) on two made-up recordings fed through
 * hmm_stats__add(): every value, every change, the order (largest change first, ties in table
 * order), what 0 -> n and n -> 0 read as, lines 0 in both left out, owners matched by name,
 * the top owners of each side, --min-change, --limit and the text cells, against exact values.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "diff_lines.h"
#include "stats.h"
#include "synth.h"
#include "trace.h"

#define S 1000000000ULL

static void faults(struct hmm_stats *s, int n, __u32 pid, const char *comm, __u64 ops, __u64 dur)
{
	for (int i = 0; i < n; i++)
		fault(s, pid, comm, ops, dur, 0, 1);
}

/* -EBUSY, then ok: two calls of 2048 ns, one retry, a chain of 8192 ns. */
static void chain(struct hmm_stats *s, __u32 pid, const char *comm, __u64 ops)
{
	struct hmm_rec_chain c = { .hdr = { .type = HMM_REC_CHAIN, .size = sizeof(c) } };

	fault(s, pid, comm, ops, 2048, -16, 1);
	fault(s, pid, comm, ops, 2048, 0, 2);
	c.hdr.ts = ts++;
	c.dur_ns = 8192;
	c.ops = ops;
	c.notifier = 0x1000 + pid;
	c.attempts = 2;
	c.busy = 1;
	task(&c.caller, pid, comm);
	task(&c.owner, pid, comm);
	assert_int_equal(hmm_stats__add(s, &c.hdr), 0);
}

/* To the device, 16 pages, 4096 ns, through drvB, owned by pid 12 gamma. */
static void migrate(struct hmm_stats *s, __u32 moved)
{
	struct hmm_rec_migrate m = { .hdr = { .type = HMM_REC_MIGRATE, .size = sizeof(m),
					      .ts = ts++ } };

	m.total_ns = 4096;
	m.driver = DRV_B;
	m.npages = m.cpages = 16;
	m.moved = moved;
	m.stayed = 16 - moved;
	m.dir = HMM_DIR_TO_DEVICE;
	task(&m.caller, 12, "gamma");
	task(&m.owner, 12, "gamma");
	assert_int_equal(hmm_stats__add(s, &m.hdr), 0);
}

/* 150 ns (100 in start, 50 in end), by and of pid 12 gamma. */
static void inval(struct hmm_stats *s, int n, __u8 ev)
{
	for (int i = 0; i < n; i++) {
		struct hmm_rec_inval v = { .hdr = { .type = HMM_REC_INVAL, .size = sizeof(v),
						    .ts = ts++ } };

		v.start_ns = 100;
		v.end_ns = 50;
		v.start = 0x10000;
		v.end = 0x14000;
		v.event = ev;
		task(&v.task, 12, "gamma");
		task(&v.owner, 12, "gamma");
		assert_int_equal(hmm_stats__add(s, &v.hdr), 0);
	}
}

/* The recording ends at end_ns: a last invalidation that ends there. */
static void end_at(struct hmm_stats *s, __u64 end_ns, __u8 ev)
{
	ts = end_ns - 150;
	inval(s, 1, ev);
}

/*
 * A, 2 s (1 s to 3 s):
 *   pid 10 alpha, drvA: 50 faults of 1024 ns, 32 of 2048 ns, 4 chains (-EBUSY, ok; 2048 ns each)
 *   pid 11 alpha, drvB: 9 faults of 4096 ns, 1 of 65536 ns (another process of the same name)
 *   pid 12 gamma, drvB: 2 migrations to the device (16 of 16 moved, 4096 ns each);
 *                       4 CLEAR and 2 MIGRATE invalidations
 * faults: 50 x 1024, 40 x 2048, 9 x 4096, 1 x 65536 (100 calls, 4 -EBUSY, 4 retries)
 * chains: 50 x 1024, 32 x 2048, 9 x 4096, 4 x 8192, 1 x 65536
 */
static struct hmm_stats *recording_a(void)
{
	struct hmm_stats *s = new_stats();

	assert_non_null(s);
	ts = 1 * S;
	faults(s, 50, 10, "alpha", DRV_A, 1024);
	faults(s, 32, 10, "alpha", DRV_A, 2048);
	for (int i = 0; i < 4; i++)
		chain(s, 10, "alpha", DRV_A);
	faults(s, 9, 11, "alpha", DRV_B, 4096);
	faults(s, 1, 11, "alpha", DRV_B, 65536);
	migrate(s, 16);
	migrate(s, 16);
	inval(s, 4, HMM_EV_CLEAR);
	inval(s, 1, HMM_EV_MIGRATE);
	end_at(s, 3 * S, HMM_EV_MIGRATE);
	return s;
}

/*
 * B, 4 s (1 s to 5 s):
 *   pid 20 alpha, drvA: 70 faults of 2048 ns, 10 chains (-EBUSY, ok; 2048 ns each)
 *   pid 21 beta, drvA:  9 faults of 4096 ns, 1 of 131072 ns
 *   pid 12 gamma, drvB: 2 migrations to the device (8 of 16 moved, 4096 ns each);
 *                       6 UNMAP and 8 MIGRATE invalidations
 * faults: 90 x 2048, 9 x 4096, 1 x 131072 (100 calls, 10 -EBUSY, 10 retries)
 * chains: 70 x 2048, 9 x 4096, 10 x 8192, 1 x 131072
 */
static struct hmm_stats *recording_b(void)
{
	struct hmm_stats *s = new_stats();

	assert_non_null(s);
	ts = 1 * S;
	faults(s, 70, 20, "alpha", DRV_A, 2048);
	for (int i = 0; i < 10; i++)
		chain(s, 20, "alpha", DRV_A);
	faults(s, 9, 21, "beta", DRV_A, 4096);
	faults(s, 1, 21, "beta", DRV_A, 131072);
	migrate(s, 8);
	migrate(s, 8);
	inval(s, 6, HMM_EV_UNMAP);
	inval(s, 7, HMM_EV_MIGRATE);
	end_at(s, 5 * S, HMM_EV_MIGRATE);
	return s;
}

struct fixture {
	struct hmm_stats *a, *b;
	struct diff_side sa, sb;
	struct diff_result res;
};

/* Two recordings without events, for a test to fill. */
static int setup_empty(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->a = new_stats();
	f->b = new_stats();
	f->sa.s = f->a;
	f->sb.s = f->b;
	*state = f;
	return !f->a || !f->b;
}

/* A and B above. */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->a = recording_a();
	f->b = recording_b();
	f->sa.s = f->a;
	f->sb.s = f->b;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	diff_result_free(&f->res);
	hmm_stats__free(f->a);
	hmm_stats__free(f->b);
	free(f);
	return 0;
}

static const struct diff_line *find(const struct diff_result *r, const char *want)
{
	char buf[96];

	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(diff_label(buf, sizeof(buf), &r->lines[i]), want))
			return &r->lines[i];
	return NULL;
}

/* The label of line i, and the change of the line labelled want, as the text shows them. */
static const char *label_at(const struct diff_result *r, size_t i)
{
	static char buf[96];

	return diff_label(buf, sizeof(buf), &r->lines[i]);
}

static const char *change_of(const struct diff_result *r, const char *want)
{
	static char buf[32];

	return diff_change_str(buf, sizeof(buf), find(r, want));
}

/* want's values and change (per cent; INFINITY for "new"), exact to 1e-9 relative. */
static void expect(const struct diff_result *r, const char *want, double a, double b,
		   double change)
{
	const struct diff_line *l = find(r, want);

	if (!l)
		fail_msg("no line %s", want);
	if (fabs(l->a - a) > 1e-9 * fabs(a) || fabs(l->b - b) > 1e-9 * fabs(b))
		fail_msg("%s: a %.17g, b %.17g; expected %.17g, %.17g", want, l->a, l->b, a, b);
	if (isinf(change) ? !isinf(l->change) :
			    fabs(l->change - change) > 1e-9 * fabs(change) + 1e-12)
		fail_msg("%s: change %.17g, expected %.17g", want, l->change, change);
}

static void test_values(void **state)
{
	struct fixture *f = *state;
	struct diff_opts o = { 0 };

	assert_int_equal(diff_duration_ns(f->a), 2 * S);
	assert_int_equal(diff_duration_ns(f->b), 4 * S);
	assert_int_equal(diff_compute(&f->sa, &f->sb, &o, &f->res), 0);

	expect(&f->res, "fault calls", 100, 100, 0);
	expect(&f->res, "fault latency p50", 1024, 2048, 100);
	expect(&f->res, "fault latency p90", 2048, 2048, 0);
	expect(&f->res, "fault latency p99", 4096, 4096, 0);
	expect(&f->res, "fault latency p999", 65536, 131072, 100);
	expect(&f->res, "fault latency max", 65536, 131072, 100);
	expect(&f->res, "chain latency p50", 1024, 2048, 100);
	expect(&f->res, "chain latency p90", 4096, 8192, 100);
	expect(&f->res, "chain latency p99", 65536, 131072, 100);
	expect(&f->res, "chain latency p999", 65536, 131072, 100);
	expect(&f->res, "chain latency max", 65536, 131072, 100);
	expect(&f->res, "-EBUSY per fault call", 0.04, 0.1, 150);
	expect(&f->res, "retries", 4, 10, 150);
	/* 32 pages of 4096 bytes in 8192 ns: 16 GB/s; B moved half */
	expect(&f->res, "migration GB/s to_device", 16, 8, -50);
	expect(&f->res, "pages moved to_device", 32, 16, -50);
	expect(&f->res, "pages stayed to_device", 0, 16, INFINITY);
	/* counted, and per second: A's 2 s, B's 4 s */
	expect(&f->res, "invalidations unmap", 0, 6, INFINITY);
	expect(&f->res, "invalidations clear", 4, 0, -100);
	expect(&f->res, "invalidations migrate", 2, 8, 300);
	expect(&f->res, "invalidations/s unmap", 0, 1.5, INFINITY);
	expect(&f->res, "invalidations/s clear", 2, 0, -100);
	expect(&f->res, "invalidations/s migrate", 1, 2, 100);
	/* A's two processes named alpha are one owner; beta is new */
	expect(&f->res, "owner alpha faults", 100, 90, -10);
	expect(&f->res, "owner beta faults", 0, 10, INFINITY);
	expect(&f->res, "owner alpha time", 235520, 184320, (184320.0 - 235520) / 235520 * 100);
	expect(&f->res, "owner beta time", 0, 167936, INFINITY);
	expect(&f->res, "owner gamma time", 8192, 8192, 0);
	expect(&f->res, "driver drvA faults", 90, 100, 100.0 / 9);
	expect(&f->res, "driver drvB faults", 10, 0, -100);
	expect(&f->res, "driver drvA time", 133120, 352256, (352256.0 - 133120) / 133120 * 100);
	expect(&f->res, "driver drvB time", 110592, 8192, (8192.0 - 110592) / 110592 * 100);
	/* 0 in both: not a line (gamma made no fault; nothing moved to system; no other event) */
	assert_null(find(&f->res, "owner gamma faults"));
	assert_null(find(&f->res, "migration GB/s to_system"));
	assert_null(find(&f->res, "pages moved to_system"));
	assert_null(find(&f->res, "invalidations release"));
	assert_null(find(&f->res, "invalidations/s release"));
	assert_int_equal(f->res.n, 31);
	assert_int_equal(f->res.n_hidden, 0);
}

/* Largest change first ("new" before all), ties (as shown, to 0.1%) in table order. */
static const char *const order[] = {
	/* new */
	"pages stayed to_device", "invalidations unmap", "invalidations/s unmap",
	"owner beta faults", "owner beta time",
	/* +300.0% */
	"invalidations migrate",
	/* +164.6% */
	"driver drvA time",
	/* +150.0%, however the rate's division rounds */
	"-EBUSY per fault call", "retries",
	/* +100.0%, and gone: 100% down ties with 100% up */
	"fault latency p50", "fault latency p999", "fault latency max", "chain latency p50",
	"chain latency p90", "chain latency p99", "chain latency p999", "chain latency max",
	"invalidations clear", "invalidations/s clear", "invalidations/s migrate",
	"driver drvB faults",
	/* -92.6%, -50.0%, -50.0%, -21.7%, +11.1%, -10.0% */
	"driver drvB time", "migration GB/s to_device", "pages moved to_device", "owner alpha time",
	"driver drvA faults", "owner alpha faults",
	/* same */
	"fault calls", "fault latency p90", "fault latency p99", "owner gamma time",
};

static void test_order(void **state)
{
	struct fixture *f = *state;
	struct diff_opts o = { 0 };

	assert_int_equal(diff_compute(&f->sa, &f->sb, &o, &f->res), 0);
	assert_int_equal(f->res.n, sizeof(order) / sizeof(order[0]));
	for (size_t i = 0; i < f->res.n; i++)
		assert_string_equal(label_at(&f->res, i), order[i]);
}

/* --min-change and --limit leave lines out, from the end of that order, and count them. */
static void test_min_change_limit(void **state)
{
	struct fixture *f = *state;
	struct diff_opts o = { .min_change = 50 };

	assert_int_equal(diff_compute(&f->sa, &f->sb, &o, &f->res), 0);
	assert_int_equal(f->res.n, 24);
	assert_int_equal(f->res.n_hidden, 7);
	assert_string_equal(label_at(&f->res, 23), "pages moved to_device");
	diff_result_free(&f->res);

	o = (struct diff_opts){ .min_change = 50.1 };
	assert_int_equal(diff_compute(&f->sa, &f->sb, &o, &f->res), 0);
	assert_int_equal(f->res.n, 22);
	diff_result_free(&f->res);

	o = (struct diff_opts){ .limit = 5 };
	assert_int_equal(diff_compute(&f->sa, &f->sb, &o, &f->res), 0);
	assert_int_equal(f->res.n, 5);
	assert_int_equal(f->res.n_hidden, 26);
	assert_string_equal(label_at(&f->res, 4), "owner beta time");
	diff_result_free(&f->res);

	/* both: the limit counts what min-change kept; "new" passes any min-change */
	o = (struct diff_opts){ .min_change = 1e6, .limit = 2 };
	assert_int_equal(diff_compute(&f->sa, &f->sb, &o, &f->res), 0);
	assert_int_equal(f->res.n, 2);
	assert_int_equal(f->res.n_hidden, 29);
	assert_string_equal(label_at(&f->res, 1), "invalidations unmap");
}

static void test_text(void **state)
{
	struct fixture *f = *state;
	struct diff_opts o = { 0 };
	struct diff_line l;
	char buf[96];

	assert_int_equal(diff_compute(&f->sa, &f->sb, &o, &f->res), 0);
	assert_string_equal(change_of(&f->res, "driver drvA time"),
			    "+164.6%");
	assert_string_equal(change_of(&f->res, "driver drvB time"),
			    "-92.6%");
	assert_string_equal(change_of(&f->res, "-EBUSY per fault call"),
			    "+150.0%");
	assert_string_equal(change_of(&f->res, "driver drvB faults"),
			    "gone");
	assert_string_equal(change_of(&f->res, "owner beta faults"),
			    "new");
	assert_string_equal(change_of(&f->res, "fault calls"), "same");
	assert_string_equal(diff_trend(find(&f->res, "owner beta faults")), "up");
	assert_string_equal(diff_trend(find(&f->res, "driver drvB faults")), "down");
	assert_string_equal(diff_trend(find(&f->res, "fault calls")), "same");

	/* The lines are found by their labels everywhere here; a name from the recording is made
	 * printable in its label. */
	l = *find(&f->res, "owner alpha faults");
	snprintf(l.name, sizeof(l.name), "ev\x1b[2Jil\n");
	assert_string_equal(diff_label(buf, sizeof(buf), &l), "owner ev?[2Jil? faults");

	assert_string_equal(diff_value_str(buf, sizeof(buf), DIFF_NS, 235520), "236us");
	assert_string_equal(diff_value_str(buf, sizeof(buf), DIFF_COUNT, 32), "32");
	assert_string_equal(diff_value_str(buf, sizeof(buf), DIFF_PER_CALL, 0.04), "0.0400");
	assert_string_equal(diff_value_str(buf, sizeof(buf), DIFF_PER_S, 1.5), "1.50");
	assert_string_equal(diff_value_str(buf, sizeof(buf), DIFF_GBPS, 16), "16.000");
	assert_string_equal(diff_unit_str(DIFF_NS), "ns");
	assert_string_equal(diff_unit_str(DIFF_PER_S), "per_s");
}

/* GB/s counts the recording's own page size (the header's), 4096 without one. */
static void test_page_size(void **state)
{
	struct fixture *f = *state;
	struct hmm_trace_meta ma = { .page_size = 16384 }, mb = { .page_size = 65536 };
	struct diff_opts o = { 0 };

	f->sa.m = &ma;
	f->sb.m = &mb;
	assert_int_equal(diff_compute(&f->sa, &f->sb, &o, &f->res), 0);
	expect(&f->res, "migration GB/s to_device", 64, 128, 100);
}

/*
 * Owners compared: the top 10 of A and of B by time. A: o00 .. o11, o00 with the most time
 * (12 faults of 1024 ns) down to o11 (1 fault). B: the same, but o11 makes 20 faults of 65536 ns:
 * B's top is o11, o00 .. o08. o10 is in neither top: no line; o11 comes after A's ten.
 */
static void test_top_owners(void **state)
{
	struct fixture *f = *state;
	struct diff_opts o = { 0 };
	char name[8], buf[96];
	size_t n = 0;

	ts = S;
	for (int k = 0; k < 12; k++) {
		snprintf(name, sizeof(name), "o%02d", k);
		faults(f->a, 12 - k, 100 + k, name, DRV_A, 1024);
		if (k == 11)
			faults(f->b, 20, 200 + k, name, DRV_A, 65536);
		else
			faults(f->b, 12 - k, 200 + k, name, DRV_A, 1024);
	}
	assert_int_equal(diff_compute(&f->sa, &f->sb, &o, &f->res), 0);
	for (size_t i = 0; i < f->res.n; i++) {
		const struct diff_line *l = &f->res.lines[i];

		if (l->row->dim != DIFF_BY_OWNER || strcmp(l->row->key, "owner_faults"))
			continue;
		/* o11 changed; the others are "same", in table order: o00 .. o09 */
		if (strcmp(l->name, "o11")) {
			snprintf(buf, sizeof(buf), "o%02zu", n++);
			assert_string_equal(l->name, buf);
		}
	}
	assert_int_equal(n, 10);
	assert_null(find(&f->res, "owner o10 faults"));
	expect(&f->res, "owner o11 faults", 1, 20, 1900);
	/* first: the largest change */
	assert_string_equal(label_at(&f->res, 0), "owner o11 time");
}

/*
 * Ties are changes that read the same: -EBUSY per call goes from 1/90 to 3/90, +199.99999999999997%
 * in doubles, retries from 1 to 3, +200% exactly; both read "+200.0%", so they keep their table
 * order (sorted by the raw numbers, retries would come first).
 */
static void test_ties(void **state)
{
	struct fixture *f = *state;
	struct diff_opts o = { 0 };
	char buf[96];

	ts = S;
	chain(f->a, 10, "x", DRV_A);
	faults(f->a, 88, 10, "x", DRV_A, 2048);
	for (int i = 0; i < 3; i++)
		chain(f->b, 10, "x", DRV_A);
	faults(f->b, 84, 10, "x", DRV_A, 2048);
	assert_int_equal(diff_compute(&f->sa, &f->sb, &o, &f->res), 0);
	expect(&f->res, "retries", 1, 3, 200);
	assert_true(find(&f->res, "-EBUSY per fault call")->change < 200);
	assert_string_equal(label_at(&f->res, 0), "-EBUSY per fault call");
	assert_string_equal(diff_change_str(buf, sizeof(buf), &f->res.lines[0]), "+200.0%");
	assert_string_equal(label_at(&f->res, 1), "retries");
}

/* Two recordings without events: no line at all. */
static void test_empty(void **state)
{
	struct fixture *f = *state;
	struct diff_opts o = { 0 };

	assert_int_equal(diff_compute(&f->sa, &f->sb, &o, &f->res), 0);
	assert_int_equal(f->res.n, 0);
	assert_int_equal(f->res.n_hidden, 0);
	assert_int_equal(diff_duration_ns(f->a), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_min_change_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_page_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_top_owners, setup_empty, teardown),
		cmocka_unit_test_setup_teardown(test_ties, setup_empty, teardown),
		cmocka_unit_test_setup_teardown(test_empty, setup_empty, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
