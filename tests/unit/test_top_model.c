// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hmmtop's model (tools/hmmtop/model.c) with made-up records fed through hmm_stats__add(): rows,
 * rates over an interval, sorting by every column, the pid filter, grouping, selection,
 * percentiles and the text cells, all against exact expected values.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hist.h"
#include "stats.h"
#include "model.h"
#include "synth.h"

static void chain(struct hmm_stats *s, __u32 pid, const char *comm, __u64 ops, __u32 attempts)
{
	struct hmm_rec_chain c = {.hdr = {.type = HMM_REC_CHAIN, .size = sizeof(c), .ts = ts++}};

	c.dur_ns = 1000;
	c.ops = ops;
	c.notifier = 0x1000 + pid;
	c.attempts = attempts;
	c.busy = attempts - 1;
	task(&c.caller, pid, comm);
	task(&c.owner, pid, comm);
	assert_int_equal(hmm_stats__add(s, &c.hdr), 0);
}

static void migrate(struct hmm_stats *s, __u32 pid, const char *comm, __u8 dir, __u32 n,
		    __u32 moved)
{
	struct hmm_rec_migrate m = {
		.hdr = {.type = HMM_REC_MIGRATE, .size = sizeof(m), .ts = ts++}};

	m.total_ns = 100;
	m.driver = DRV_B;
	m.npages = m.cpages = n;
	m.moved = moved;
	m.stayed = n - moved;
	m.dir = dir;
	task(&m.caller, pid, comm);
	task(&m.owner, pid, comm);
	assert_int_equal(hmm_stats__add(s, &m.hdr), 0);
}

static void inval(struct hmm_stats *s, __u32 pid, const char *comm, __u8 ev)
{
	struct hmm_rec_inval v = {.hdr = {.type = HMM_REC_INVAL, .size = sizeof(v), .ts = ts++}};

	v.start_ns = 100;
	v.end_ns = 50;
	v.start = 0x10000;
	v.end = 0x14000;
	v.event = ev;
	task(&v.task, pid, comm);
	task(&v.owner, pid, comm);
	assert_int_equal(hmm_stats__add(s, &v.hdr), 0);
}

/*
 * Interval 1 (2 s):
 *   pid 10 zeta:  4 faults (3 x 1024 ns, 1 x 4096 ns) through drvA
 *   pid 20 alpha: a chain of 2 attempts (-EBUSY, ok) and 1 lone fault, all 8192 ns, drvA
 *   pid 30 mid:   1 fault of 512 ns through drvB; 2 migrations to the device (16 moved each),
 *                 1 to system (6 moved, 2 stayed); 3 invalidations (2 MIGRATE, 1 UNMAP) of
 *                 150 ns each
 */
static void interval1(struct hmm_stats *s)
{
	int i;

	for (i = 0; i < 3; i++)
		fault(s, 10, "zeta", DRV_A, 1024, 0, 1);
	fault(s, 10, "zeta", DRV_A, 4096, 0, 1);
	fault(s, 20, "alpha", DRV_A, 8192, -16, 1);
	fault(s, 20, "alpha", DRV_A, 8192, 0, 2);
	chain(s, 20, "alpha", DRV_A, 2);
	fault(s, 20, "alpha", DRV_A, 8192, 0, 1);
	fault(s, 30, "mid", DRV_B, 512, 0, 1);
	migrate(s, 30, "mid", HMM_DIR_TO_DEVICE, 16, 16);
	migrate(s, 30, "mid", HMM_DIR_TO_DEVICE, 16, 16);
	migrate(s, 30, "mid", HMM_DIR_TO_SYSTEM, 8, 6);
	inval(s, 30, "mid", HMM_EV_MIGRATE);
	inval(s, 30, "mid", HMM_EV_MIGRATE);
	inval(s, 30, "mid", HMM_EV_UNMAP);
}

struct fixture {
	struct hmm_stats *s;
	struct top_model *m;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->s = new_stats();
	f->m = top_model__new();
	assert_non_null(f->s);
	assert_non_null(f->m);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	top_model__free(f->m);
	hmm_stats__free(f->s);
	free(f);
	return 0;
}

static const struct top_row *row_of(const struct top_model *m, __u32 pid)
{
	size_t i;

	for (i = 0; i < m->n_rows; i++)
		if (m->rows[i].pid == pid)
			return &m->rows[i];
	return NULL;
}

static void order(const struct top_model *m, __u32 a, __u32 b, __u32 c)
{
	assert_int_equal(m->n_rows, 3);
	assert_int_equal(m->rows[0].pid, a);
	assert_int_equal(m->rows[1].pid, b);
	assert_int_equal(m->rows[2].pid, c);
}

static void test_rows_rates(void **state)
{
	struct fixture *f = *state;
	struct top_source src = {.lost = 7, .not_live_mask = 1u << HMM_AP_USERFAULT};
	const struct top_row *r;

	interval1(f->s);
	assert_int_equal(top_model__update(f->m, f->s, 2000000000ULL, &src), 0);
	assert_int_equal(f->m->n_rows, 3);
	/* default: FLT/s, highest first */
	order(f->m, 10, 20, 30);

	r = row_of(f->m, 10);
	assert_string_equal(r->g->name, "zeta");
	assert_int_equal(r->d_faults, 4);
	assert_true(r->v[TOP_COL_FAULTS] == 2.0);
	assert_true(r->v[TOP_COL_TOTAL] == 4.0);
	assert_true(r->v[TOP_COL_CHAIN] == 1.0);
	r = row_of(f->m, 20);
	assert_int_equal(r->d_faults, 3);
	assert_true(r->v[TOP_COL_FAULTS] == 1.5);
	assert_true(r->v[TOP_COL_EBUSY] == 0.5);
	assert_true(r->v[TOP_COL_CHAIN] == 2.0);
	r = row_of(f->m, 30);
	assert_true(r->v[TOP_COL_FAULTS] == 0.5);
	assert_true(r->v[TOP_COL_TODEV] == 1.0);
	assert_true(r->v[TOP_COL_TOSYS] == 0.5);
	assert_true(r->v[TOP_COL_MOVED] == 19.0); /* 38 pages / 2 s */
	assert_true(r->v[TOP_COL_STAYED] == 1.0);
	assert_true(r->v[TOP_COL_INVAL] == 1.5);
	assert_true(r->v[TOP_COL_INVTIME] == 225.0); /* 450 ns / 2 s */
	assert_int_equal(r->d_inval_ev[HMM_EV_MIGRATE], 2);
	assert_int_equal(r->d_inval_ev[HMM_EV_UNMAP], 1);
	assert_int_equal(r->d_inval_ns, 450);
	assert_true(r->inval_ev_rate[HMM_EV_MIGRATE] == 1.0); /* 2 / 2 s */
	assert_true(r->inval_ev_rate[HMM_EV_UNMAP] == 0.5);
	assert_int_equal(r->inval_total, 3);
	/* the causes the detail pane lists, newest first */
	r = row_of(f->m, 20);
	assert_non_null(top_row_cause(r, 0));
	assert_int_equal(top_row_cause(r, 0)->cause.event, HMM_EV_CLEAR);
	assert_int_equal(top_row_cause(r, 0)->cause.task.pid, 99);
	assert_null(top_row_cause(r, 1));
	assert_null(top_row_cause(row_of(f->m, 10), 0));

	/* header totals and source */
	assert_true(f->m->tot.faults == 4.0); /* 8 calls / 2 s */
	assert_true(f->m->tot.ebusy == 0.5);
	assert_true(f->m->tot.todev == 1.0);
	assert_true(f->m->tot.moved == 19.0);
	assert_true(f->m->tot.inval == 1.5);
	assert_int_equal(f->m->src.lost, 7);
	assert_int_equal(f->m->intervals, 1);
	assert_int_equal(f->m->session_ns, 2000000000ULL);
	{
		char buf[256];

		top_fmt_not_live(f->m, buf, sizeof(buf));
		assert_string_equal(buf, "handle_userfault");
	}

	/* Interval 2 (1 s): only one more fault of zeta: every rate is of this interval alone. */
	fault(f->s, 10, "zeta", DRV_A, 2048, 0, 1);
	assert_int_equal(top_model__update(f->m, f->s, 1000000000ULL, NULL), 0);
	r = row_of(f->m, 10);
	assert_true(r->v[TOP_COL_FAULTS] == 1.0);
	assert_true(r->v[TOP_COL_TOTAL] == 5.0);
	assert_true(r->v[TOP_COL_P50] == 2048.0 && r->v[TOP_COL_P99] == 2048.0);
	r = row_of(f->m, 20);
	assert_true(r->v[TOP_COL_FAULTS] == 0.0);
	assert_true(r->v[TOP_COL_EBUSY] == 0.0);
	assert_false(r->has_lat);
	assert_true(r->v[TOP_COL_CHAIN] == 2.0); /* the longest so far */
	r = row_of(f->m, 30);
	assert_true(r->v[TOP_COL_TODEV] == 0.0);
	assert_true(r->v[TOP_COL_INVAL] == 0.0);
	assert_true(r->inval_ev_rate[HMM_EV_MIGRATE] == 0.0);
	assert_int_equal(r->inval_total, 3); /* since the start */
	assert_true(f->m->tot.faults == 1.0);
	assert_int_equal(f->m->session_ns, 3000000000ULL);

	/* A group that appears later starts from zero. */
	fault(f->s, 40, "late", DRV_A, 1024, 0, 1);
	fault(f->s, 40, "late", DRV_A, 1024, 0, 1);
	assert_int_equal(top_model__update(f->m, f->s, 1000000000ULL, NULL), 0);
	assert_int_equal(f->m->n_rows, 4);
	assert_true(row_of(f->m, 40)->v[TOP_COL_FAULTS] == 2.0);
	assert_int_equal(f->m->rows[0].pid, 40);
}

static void test_percentiles(void **state)
{
	struct fixture *f = *state;
	const struct top_row *r;
	char buf[32];

	interval1(f->s);
	top_model__update(f->m, f->s, 1000000000ULL, NULL);
	/* zeta: 1024, 1024, 1024, 4096: rank 2 of 4 is 1024, rank 4 (ceil 3.96) is 4096 */
	r = row_of(f->m, 10);
	assert_true(r->has_lat);
	assert_true(r->v[TOP_COL_P50] == 1024.0);
	assert_true(r->v[TOP_COL_P99] == 4096.0);
	top_fmt_cell(r, TOP_COL_P50, buf, sizeof(buf));
	assert_string_equal(buf, " 1.02us");
	top_fmt_cell(r, TOP_COL_P99, buf, sizeof(buf));
	assert_string_equal(buf, " 4.10us");
	r = row_of(f->m, 20);
	assert_true(r->v[TOP_COL_P50] == 8192.0 && r->v[TOP_COL_P99] == 8192.0);
	/* 100 values: 90 x 2048, 10 x 65536 in one interval: p50 2048, p99 (rank 99) 65536 */
	for (int i = 0; i < 100; i++)
		fault(f->s, 30, "mid", DRV_B, i < 90 ? 2048 : 65536, 0, 1);
	top_model__update(f->m, f->s, 1000000000ULL, NULL);
	r = row_of(f->m, 30);
	assert_true(r->v[TOP_COL_P50] == 2048.0);
	assert_true(r->v[TOP_COL_P99] == 65536.0);
	/* a value inside a bucket shows its upper bound: 3000 is in (2896.3, 3158.4] */
	fault(f->s, 10, "zeta", DRV_A, 3000, 0, 1);
	top_model__update(f->m, f->s, 1000000000ULL, NULL);
	r = row_of(f->m, 10);
	assert_true(r->v[TOP_COL_P50] == 3159.0);
	top_fmt_cell(r, TOP_COL_P50, buf, sizeof(buf));
	assert_string_equal(buf, " 3.16us");
	top_fmt_cell(row_of(f->m, 20), TOP_COL_P50, buf, sizeof(buf));
	assert_string_equal(buf, "      -");
}

static void test_sorting(void **state)
{
	struct fixture *f = *state;
	/* Expected order for each column (ties: pid ascending). */
	static const __u32 want[TOP_COL_MAX][3] = {
		[TOP_COL_PID] = {10, 20, 30},	  [TOP_COL_NAME] = {20, 30, 10},
		[TOP_COL_FAULTS] = {10, 20, 30},  [TOP_COL_P50] = {20, 10, 30},
		[TOP_COL_P99] = {20, 10, 30},	  [TOP_COL_EBUSY] = {20, 10, 30},
		[TOP_COL_CHAIN] = {20, 10, 30},	  [TOP_COL_STALLS] = {10, 20, 30},
		[TOP_COL_TODEV] = {30, 10, 20},
		[TOP_COL_TOSYS] = {30, 10, 20},	  [TOP_COL_MOVED] = {30, 10, 20},
		[TOP_COL_STAYED] = {30, 10, 20},  [TOP_COL_RTRIP] = {10, 20, 30},
		[TOP_COL_INVAL] = {30, 10, 20},
		[TOP_COL_INVTIME] = {30, 10, 20}, [TOP_COL_TOTAL] = {10, 20, 30},
	};
	int c;

	interval1(f->s);
	top_model__update(f->m, f->s, 1000000000ULL, NULL);
	for (c = 0; c < TOP_COL_MAX; c++) {
		f->m->sort = c;
		f->m->reverse = false;
		top_model__refresh(f->m, f->s);
		order(f->m, want[c][0], want[c][1], want[c][2]);
	}
	/* reverse: the comparison flips, ties stay pid-ascending */
	f->m->sort = TOP_COL_PID;
	f->m->reverse = true;
	top_model__refresh(f->m, f->s);
	order(f->m, 30, 20, 10);
	f->m->sort = TOP_COL_TODEV;
	top_model__refresh(f->m, f->s);
	order(f->m, 10, 20, 30);

	/* stepping through the columns wraps both ways, and resets the direction */
	f->m->sort = TOP_COL_TOTAL;
	top_model__sort_step(f->m, 1);
	assert_int_equal(f->m->sort, TOP_COL_PID);
	assert_false(f->m->reverse);
	top_model__sort_step(f->m, -1);
	assert_int_equal(f->m->sort, TOP_COL_TOTAL);
	top_model__set_sort(f->m, TOP_COL_TOTAL); /* the same column again: reversed */
	assert_true(f->m->reverse);
	top_model__set_sort(f->m, TOP_COL_P99);
	assert_false(f->m->reverse);

	assert_int_equal(top_col_by_name("flt/s"), TOP_COL_FAULTS);
	assert_int_equal(top_col_by_name("P99"), TOP_COL_P99);
	assert_int_equal(top_col_by_name("nope"), -1);
}

static void test_filter_group_select(void **state)
{
	struct fixture *f = *state;
	const struct top_row *r;

	interval1(f->s);
	top_model__update(f->m, f->s, 1000000000ULL, NULL);

	/* selection follows its row through a re-sort */
	top_model__select(f->m, 1);
	assert_int_equal(top_model__selected(f->m)->pid, 20);
	f->m->sort = TOP_COL_TODEV;
	top_model__refresh(f->m, f->s);
	order(f->m, 30, 10, 20);
	assert_int_equal(f->m->selected, 2);
	assert_int_equal(top_model__selected(f->m)->pid, 20);
	/* ... and through an update */
	fault(f->s, 30, "mid", DRV_B, 512, 0, 1);
	top_model__update(f->m, f->s, 1000000000ULL, NULL);
	assert_int_equal(top_model__selected(f->m)->pid, 20);
	/* clamped */
	top_model__select(f->m, 100);
	assert_int_equal(f->m->selected, 2);
	top_model__select(f->m, -100);
	assert_int_equal(f->m->selected, 0);
	/* scrolling keeps the selection visible */
	top_model__select(f->m, 2);
	assert_int_equal(top_model__scroll(f->m, 2), 1);
	top_model__select(f->m, -2);
	assert_int_equal(top_model__scroll(f->m, 2), 0);

	/* pid filter */
	f->m->pid_filter = 20;
	top_model__refresh(f->m, f->s);
	assert_int_equal(f->m->n_rows, 1);
	assert_int_equal(f->m->rows[0].pid, 20);
	f->m->pid_filter = 12345;
	top_model__refresh(f->m, f->s);
	assert_int_equal(f->m->n_rows, 0);
	assert_null(top_model__selected(f->m));
	f->m->pid_filter = 0;
	top_model__refresh(f->m, f->s);
	assert_int_equal(f->m->n_rows, 3);

	/* driver grouping: drvA has zeta's and alpha's faults, drvB mid's fault and migrations;
	 * the rates of the last interval (one more drvB fault) */
	top_model__set_group(f->m, TOP_BY_DRIVER);
	f->m->sort = TOP_COL_NAME;
	top_model__refresh(f->m, f->s);
	assert_int_equal(f->m->n_rows, 2);
	assert_string_equal(f->m->rows[0].g->name, "drvA");
	assert_string_equal(f->m->rows[1].g->name, "drvB");
	assert_int_equal(f->m->selected, 0);
	r = &f->m->rows[0];
	assert_true(r->v[TOP_COL_TOTAL] == 7.0);
	assert_true(r->v[TOP_COL_FAULTS] == 0.0);
	assert_true(r->v[TOP_COL_CHAIN] == 2.0);
	r = &f->m->rows[1];
	assert_true(r->v[TOP_COL_TOTAL] == 2.0);
	assert_true(r->v[TOP_COL_FAULTS] == 1.0);
	assert_int_equal(r->g->c[HMM_C_MIGRATIONS_BASE + HMM_DIR_TO_DEVICE], 2);
	/* the pid filter is for owner rows: driver rows stay */
	f->m->pid_filter = 20;
	top_model__refresh(f->m, f->s);
	assert_int_equal(f->m->n_rows, 2);
	/* rates in the other grouping are of the same intervals: switch back after an update */
	f->m->pid_filter = 0;
	migrate(f->s, 30, "mid", HMM_DIR_TO_DEVICE, 4, 4);
	top_model__update(f->m, f->s, 1000000000ULL, NULL);
	assert_true(f->m->rows[1].v[TOP_COL_TODEV] == 1.0);
	top_model__set_group(f->m, TOP_BY_OWNER);
	top_model__refresh(f->m, f->s);
	assert_true(row_of(f->m, 30)->v[TOP_COL_TODEV] == 1.0);
	assert_true(row_of(f->m, 30)->v[TOP_COL_MOVED] == 4.0);
}

static void test_text(void **state)
{
	struct fixture *f = *state;
	char buf[1024];
	FILE *mem;
	char *text = NULL;
	size_t len = 0;

	top_fmt_rate(buf, sizeof(buf), 0);
	assert_string_equal(buf, "0");
	top_fmt_rate(buf, sizeof(buf), 42);
	assert_string_equal(buf, "42");
	top_fmt_rate(buf, sizeof(buf), 1.5);
	assert_string_equal(buf, "1.50");
	top_fmt_rate(buf, sizeof(buf), 12.3);
	assert_string_equal(buf, "12.3");
	top_fmt_rate(buf, sizeof(buf), 1234.4);
	assert_string_equal(buf, "1234");
	top_fmt_rate(buf, sizeof(buf), 250000);
	assert_string_equal(buf, "250.0k");
	top_fmt_rate(buf, sizeof(buf), 1000000);
	assert_string_equal(buf, "1.00M");

	interval1(f->s);
	top_model__update(f->m, f->s, 1000000000ULL, NULL);
	top_fmt_header(buf, sizeof(buf), 1000);
	assert_string_equal(buf,
			    "    PID NAME              FLT/s     P50     P99 EBUSY/s CHAIN STALLS "
			    "TODEV/s TOSYS/s MOVED/s STAYED/s RTRIP/s   INV/s  INVT/s   FAULTS");
	top_fmt_row(row_of(f->m, 30), buf, sizeof(buf), 1000);
	assert_string_equal(buf,
			    "     30 mid                   1   512ns   512ns       0     1      0 "
			    "      2       1      38        2       0       3   450ns        1");
	/* only the columns that fit; NAME always */
	top_fmt_header(buf, sizeof(buf), 40);
	assert_string_equal(buf, "    PID NAME              FLT/s     P50");
	top_fmt_header(buf, sizeof(buf), 10);
	assert_string_equal(buf, "    PID NAME           ");

	mem = open_memstream(&text, &len);
	top_print_batch(f->m, mem, "test", 1000);
	fclose(mem);
	assert_non_null(strstr(text,
			       "faults 8/s  retries(-EBUSY) 1/s  stalls 0  migrations 2/s to "
			       "device, 1/s to system  moved 38 pages/s  invalidations 3/s\n"));
	assert_non_null(strstr(text, "lost 0 events; not live: none\n"));
	assert_non_null(
		strstr(text, "\n     10 zeta                  4  1.02us  4.10us       0     1"));
	free(text);
}

/* A chain record as a 7.x unlocked call writes it, of dur ns; timeout: it gave up (-EBUSY). */
static void chain_of(struct hmm_stats *s, __u32 pid, const char *comm, __u64 ops, __u32 attempts,
		     __u64 dur, bool timeout)
{
	struct hmm_rec_chain c = {.hdr = {.type = HMM_REC_CHAIN, .size = sizeof(c), .ts = ts++}};

	c.dur_ns = dur;
	c.ret = timeout ? -16 : 0;
	c.ops = ops;
	c.notifier = 0x1000 + pid;
	c.attempts = attempts;
	c.busy = timeout ? attempts : attempts - 1;
	c.flags = HMM_CHAIN_F_UNLOCKED | (timeout ? HMM_CHAIN_F_TIMEOUT : 0);
	task(&c.caller, pid, comm);
	task(&c.owner, pid, comm);
	assert_int_equal(hmm_stats__add(s, &c.hdr), 0);
}

/*
 * Stalls: the header's count since the start and the interval's, the STALLS column per owner and
 * per driver, sorting by it. Interval 1: zeta a lone call of exactly 1 s (a stall) and one of
 * 999999999 ns (not); alpha a chain of 1.5 s and a timeout chain of 20 ms. Interval 2: mid a chain
 * of 2 s through drvB.
 */
static void test_stalls(void **state)
{
	struct fixture *f = *state;
	const struct top_row *r;
	char buf[1024];

	fault(f->s, 10, "zeta", DRV_A, 1000000000ULL, 0, 1);
	fault(f->s, 10, "zeta", DRV_A, 999999999ULL, 0, 1);
	fault(f->s, 20, "alpha", DRV_A, 8192, -16, 1);
	fault(f->s, 20, "alpha", DRV_A, 8192, 0, 2);
	chain_of(f->s, 20, "alpha", DRV_A, 2, 1500000000ULL, false);
	chain_of(f->s, 20, "alpha", DRV_A, 3, 20000000ULL, true);
	fault(f->s, 30, "mid", DRV_B, 512, 0, 1);
	assert_int_equal(top_model__update(f->m, f->s, 1000000000ULL, NULL), 0);
	assert_int_equal(f->m->tot.stalls, 3);
	assert_int_equal(f->m->tot.d_stalls, 3);
	assert_true(row_of(f->m, 10)->v[TOP_COL_STALLS] == 1.0);
	assert_true(row_of(f->m, 20)->v[TOP_COL_STALLS] == 2.0);
	assert_int_equal(row_of(f->m, 20)->d_stalls, 2);
	assert_true(row_of(f->m, 30)->v[TOP_COL_STALLS] == 0.0);
	top_fmt_totals(f->m, buf, sizeof(buf));
	assert_non_null(strstr(buf, "  stalls 3  "));
	top_fmt_cell(row_of(f->m, 20), TOP_COL_STALLS, buf, sizeof(buf));
	assert_string_equal(buf, "     2");
	top_model__set_sort(f->m, TOP_COL_STALLS);
	top_model__refresh(f->m, f->s);
	order(f->m, 20, 10, 30);
	assert_int_equal(top_col_by_name("stalls"), TOP_COL_STALLS);

	chain_of(f->s, 30, "mid", DRV_B, 4, 2000000000ULL, false);
	assert_int_equal(top_model__update(f->m, f->s, 1000000000ULL, NULL), 0);
	assert_int_equal(f->m->tot.stalls, 4);
	assert_int_equal(f->m->tot.d_stalls, 1);
	r = row_of(f->m, 30);
	assert_true(r->v[TOP_COL_STALLS] == 1.0);
	assert_int_equal(r->d_stalls, 1);
	assert_int_equal(row_of(f->m, 20)->d_stalls, 0);
	order(f->m, 20, 10, 30); /* ties (1, 1): pid ascending */

	/* by driver: drvA 3, drvB 1 */
	top_model__set_group(f->m, TOP_BY_DRIVER);
	top_model__refresh(f->m, f->s);
	assert_int_equal(f->m->n_rows, 2);
	assert_string_equal(f->m->rows[0].g->name, "drvA");
	assert_true(f->m->rows[0].v[TOP_COL_STALLS] == 3.0);
	assert_true(f->m->rows[1].v[TOP_COL_STALLS] == 1.0);
}

/* --stall-ms: the same records, another threshold (hmmtop passes it in struct hmm_stats_opts). */
static void test_stall_threshold(void **state)
{
	struct hmm_stats_opts o = {.sz = sizeof(o), .driver_name = drv_name,
				   .stall_ns = 1600000000ULL};
	struct hmm_stats *s = hmm_stats__new(&o);
	struct top_model *m = top_model__new();

	(void)state;
	assert_non_null(s);
	assert_non_null(m);
	fault(s, 10, "zeta", DRV_A, 1000000000ULL, 0, 1);
	chain_of(s, 20, "alpha", DRV_A, 2, 1500000000ULL, false);
	/* timed out: a stall at any threshold */
	chain_of(s, 20, "alpha", DRV_A, 3, 20000000ULL, true);
	chain_of(s, 30, "mid", DRV_B, 4, 1600000000ULL, false); /* exactly the threshold: a stall */
	assert_int_equal(top_model__update(m, s, 1000000000ULL, NULL), 0);
	assert_int_equal(m->tot.stalls, 2);
	assert_true(row_of(m, 10)->v[TOP_COL_STALLS] == 0.0);
	assert_true(row_of(m, 20)->v[TOP_COL_STALLS] == 1.0);
	assert_true(row_of(m, 30)->v[TOP_COL_STALLS] == 1.0);
	top_model__free(m);
	hmm_stats__free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rows_rates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_percentiles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sorting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filter_group_select, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stalls, setup, teardown),
		cmocka_unit_test(test_stall_threshold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
