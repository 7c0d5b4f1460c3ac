// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests for hmm_exporter's model (tools/hmm_exporter/prom.c, validate.c): known counter and
 * histogram states rendered and compared byte for byte with tests/unit/data/prom-*.txt, single
 * lines checked independently of the golden files, every rendered text checked by our validator
 * and by `promtool check metrics` (skipped with a note when promtool is not installed), and the
 * validator shown to reject each invariant's violation.
 *
 * Set HMM_PROM_REGEN=1 to rewrite the golden files from the current output (then review them).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/hmm_exporter/prom.c"
#include "tools/hmm_exporter/validate.c"

static const char *datadir = "tests/unit/data";

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	do {
		if (n + 4096 + 1 > cap) {
			cap = cap ? 2 * cap : 8192;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Our validator, then promtool, on every rendered text. */
static void check_valid(const struct prom_buf *b)
{
	char err[512], tmp[] = "/tmp/test_prom.XXXXXX", cmd[256];
	int fd, rc;

	rc = prom_validate(b->data, b->len, err, sizeof(err));
	if (rc)
		fail_msg("validator: %s", err);
	if (system("command -v promtool >/dev/null 2>&1")) {
		print_message("promtool not installed: skipping promtool check metrics\n");
		return;
	}
	fd = mkstemp(tmp);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b->data, b->len), (ssize_t)b->len);
	close(fd);
	/* promtool prints lint problems and exits non-zero on them. */
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s", tmp);
	rc = system(cmd);
	unlink(tmp);
	assert_int_equal(rc, 0);
}

static void check_golden(const struct prom_buf *b, const char *name)
{
	char path[512];
	size_t len = 0;
	char *want;

	snprintf(path, sizeof(path), "%s/%s", datadir, name);
	if (getenv("HMM_PROM_REGEN")) {
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fwrite(b->data, 1, b->len, f);
		fclose(f);
	}
	want = slurp(path, &len);
	if (!want)
		fail_msg("cannot read %s", path);
	if (len != b->len || memcmp(want, b->data, len)) {
		size_t i = 0;

		while (i < len && i < b->len && want[i] == b->data[i])
			i++;
		fail_msg("%s differs at byte %zu: want \"%.60s\", got \"%.60s\"", path, i, want + i,
			 b->data + i);
	}
	free(want);
}

static void expect_line(const struct prom_buf *b, const char *line)
{
	char *needle;

	assert_true(asprintf(&needle, "\n%s\n", line) > 0);
	if (!strstr(b->data, needle))
		fail_msg("missing line: %s", line);
	free(needle);
}

static void test_empty(void **state)
{
	__u64 c[HMM_C_MAX] = { 0 };
	struct prom_state s = { .counters = c };
	struct prom_buf b = { 0 };

	(void)state;
	assert_int_equal(prom_render(&b, &s), 0);
	check_valid(&b);
	check_golden(&b, "prom-empty.txt");
	/* Counters exist from the start, zeros included: rate() needs them. */
	expect_line(&b, "hmm_range_fault_calls_total{result=\"ebusy\"} 0");
	expect_line(&b, "hmm_events_lost_total{cause=\"state\"} 0");
	/* No self metrics without a version. */
	assert_null(strstr(b.data, "hmm_exporter_build_info"));
	prom_buf_free(&b);
}

/* Values chosen around the exported bounds (256 ns .. 2^36 ns) and the grid's own overflow. */
static const __u64 fault_values[] = {
	0,			/* slot 0: in every bucket */
	100,			/* below the first bound */
	256,			/* exactly the first bound: in it */
	257,			/* just above: the next one */
	1000,			/* (512, 1024] */
	1ULL << 36,		/* exactly the last finite bound */
	(1ULL << 36) + 1,	/* above it: +Inf only */
	(1ULL << 41),		/* the grid's overflow slot: +Inf only */
};

static void fill(struct hmm_hist *h, const __u64 *v, size_t n)
{
	memset(h, 0, sizeof(*h));
	for (size_t i = 0; i < n; i++)
		hmm_hist_add(h, v[i]);
}

static void test_full(void **state)
{
	static struct hmm_hist fault, fault2, busy, weird, chain, att, inv_a, inv_b, mig;
	__u64 c[HMM_C_MAX] = { 0 };
	const __u64 chain_v[] = { 5000, 6000 }, att_v[] = { 1, 3 }, inv_v[] = { 300, 70000 },
		    mig_v[] = { 2000000 };
	struct prom_hist hists[] = {
		/* Out of order on purpose: the renderer sorts by driver, then label. */
		{ { .driver = 0x2000, .metric = HMM_M_FAULT_NS, .label = HMM_RES_EBUSY }, "test_hmm",
		  &busy },
		{ { .driver = 0x1000, .metric = HMM_M_FAULT_NS, .label = HMM_RES_OK }, "test_hmm",
		  &fault },
		/* Another address of the same driver: merged into one series. */
		{ { .driver = 0x1001, .metric = HMM_M_FAULT_NS, .label = HMM_RES_OK }, "test_hmm",
		  &fault2 },
		{ { .driver = 0x3000, .metric = HMM_M_FAULT_NS, .label = HMM_RES_OK },
		  "we\"ird\\drv\nx", &weird },
		{ { .driver = 0x1000, .metric = HMM_M_CHAIN_NS, .label = HMM_RES_OK }, "test_hmm",
		  &chain },
		{ { .driver = 0x1000, .metric = HMM_M_CHAIN_ATTEMPTS, .label = HMM_RES_OK },
		  "test_hmm", &att },
		/* No driver label on invalidations: drivers are merged. */
		{ { .driver = 0, .metric = HMM_M_INVAL_START_NS, .label = HMM_EV_UNMAP }, "none",
		  &inv_a },
		{ { .driver = 0x1000, .metric = HMM_M_INVAL_START_NS, .label = HMM_EV_UNMAP },
		  "test_hmm", &inv_b },
		{ { .driver = 0x1000, .metric = HMM_M_MIGRATE_NS, .label = HMM_DIR_TO_SYSTEM },
		  "test_hmm", &mig },
		/* A label outside its bounded set is dropped, never exported. */
		{ { .driver = 0x1000, .metric = HMM_M_FAULT_NS, .label = 99 }, "test_hmm", &busy },
	};
	const struct prom_probe probes[] = {
		{ "hmm_range_fault", "attached", "fentry" },
		{ "handle_userfault", "denied", "none" },
	};
	struct prom_state s = {
		.counters = c,
		.hists = hists,
		.n_hists = sizeof(hists) / sizeof(hists[0]),
		.probes = probes,
		.n_probes = 2,
		.version = "1.2.3",
		.kernel_release = "6.1.0-lab",
		.last_render_seconds = 0.00125,
		.renders = 7,
	};
	struct prom_buf b = { 0 };

	(void)state;
	fill(&fault, fault_values, sizeof(fault_values) / sizeof(fault_values[0]));
	fill(&fault2, fault_values + 4, 1); /* one more 1000 */
	fill(&busy, chain_v, 1);
	fill(&weird, chain_v + 1, 1);
	fill(&chain, chain_v, 2);
	fill(&att, att_v, 2);
	fill(&inv_a, inv_v, 1);
	fill(&inv_b, inv_v + 1, 1);
	fill(&mig, mig_v, 1);
	c[HMM_C_FAULT_CALLS] = 12;
	c[HMM_C_FAULT_PAGES] = 768;
	c[HMM_C_FAULT_RESULT_BASE + HMM_RES_OK] = 11;
	c[HMM_C_FAULT_RESULT_BASE + HMM_RES_EBUSY] = 1;
	c[HMM_C_CHAINS] = 11;
	c[HMM_C_CHAIN_RETRIES] = 1;
	c[HMM_C_MIGRATIONS_BASE + HMM_DIR_TO_SYSTEM] = 1;
	c[HMM_C_MIGRATE_MOVED_BASE + HMM_DIR_TO_SYSTEM] = 16;
	c[HMM_C_MIGRATE_STAYED_BASE + HMM_DIR_TO_SYSTEM] = 2;
	c[HMM_C_INVAL_BASE + HMM_EV_UNMAP] = 2;
	c[HMM_C_RINGBUF_DROPS] = 3;
	c[HMM_C_STATE_DROPS] = 4;

	assert_int_equal(prom_render(&b, &s), 0);
	check_valid(&b);
	check_golden(&b, "prom-full.txt");

	/* The fault histogram, worked by hand: 0, 100, 256 are <= 256 ns; 257 <= 512 ns; 1000 (twice,
	 * merged over two addresses of test_hmm) <= 1024 ns; 2^36 at the last finite bound; 2^36+1
	 * and 2^41 in +Inf only. */
#define F "hmm_range_fault_duration_seconds"
#define L "{driver=\"test_hmm\",result=\"ok\","
	expect_line(&b, "# TYPE " F " histogram");
	expect_line(&b, F "_bucket" L "le=\"2.56e-07\"} 3");
	expect_line(&b, F "_bucket" L "le=\"5.12e-07\"} 4");
	expect_line(&b, F "_bucket" L "le=\"1.024e-06\"} 6");
	expect_line(&b, F "_bucket" L "le=\"34.359738368\"} 6");
	expect_line(&b, F "_bucket" L "le=\"68.719476736\"} 7");
	expect_line(&b, F "_bucket" L "le=\"+Inf\"} 9");
	expect_line(&b, F "_count{driver=\"test_hmm\",result=\"ok\"} 9");
	/* 0+100+256+257+1000+2^36+2^36+1+2^41+1000 ns */
	expect_line(&b, F "_sum{driver=\"test_hmm\",result=\"ok\"} 2336.462211638");
	expect_line(&b, F "_count{driver=\"test_hmm\",result=\"ebusy\"} 1");
	/* Label escaping: \ " and newline. */
	expect_line(&b, F "_count{driver=\"we\\\"ird\\\\drv\\nx\",result=\"ok\"} 1");
	assert_null(strstr(b.data, "result=\"other\",le")); /* label 99 dropped */
#undef L
#undef F
	expect_line(&b, "hmm_fault_chain_attempts_bucket{driver=\"test_hmm\",result=\"ok\",le=\"1\"} 1");
	expect_line(&b, "hmm_fault_chain_attempts_bucket{driver=\"test_hmm\",result=\"ok\",le=\"2\"} 1");
	expect_line(&b, "hmm_fault_chain_attempts_bucket{driver=\"test_hmm\",result=\"ok\",le=\"4\"} 2");
	expect_line(&b, "hmm_fault_chain_attempts_sum{driver=\"test_hmm\",result=\"ok\"} 4");
	expect_line(&b, "hmm_invalidate_duration_seconds_count{event=\"unmap\"} 2");
	expect_line(&b, "hmm_invalidate_duration_seconds_bucket{event=\"unmap\",le=\"5.12e-07\"} 1");
	expect_line(&b, "hmm_invalidate_duration_seconds_bucket{event=\"unmap\",le=\"6.5536e-05\"} 1");
	expect_line(&b, "hmm_invalidate_duration_seconds_bucket{event=\"unmap\",le=\"0.000131072\"} 2");
	expect_line(&b, "hmm_migrate_pages_total{direction=\"to_system\",outcome=\"moved\"} 16");
	expect_line(&b, "hmm_migrate_pages_total{direction=\"to_system\",outcome=\"stayed\"} 2");
	expect_line(&b, "hmm_events_lost_total{cause=\"ringbuf\"} 3");
	expect_line(&b, "hmm_exporter_probe_info{function=\"handle_userfault\",state=\"denied\",mode=\"none\"} 1");
	expect_line(&b, "hmm_exporter_build_info{version=\"1.2.3\",schema=\"1\",kernel=\"6.1.0-lab\"} 1");
	expect_line(&b, "hmm_exporter_render_duration_seconds 0.00125");
	prom_buf_free(&b);
}

/* ---- per-process counters (--per-process) ------------------------------------------------ */

static void owner(struct prom_owner *o, __u32 pid, const char *comm, bool gone, __u64 calls,
		  __u64 fault_ns, __u64 ebusy, __u64 pages, __u64 mig_dev, __u64 moved_dev,
		  __u64 mig_ns, __u64 inval, __u64 inval_ns)
{
	struct hmm_owner_stats st = { .fault_calls = calls, .fault_ns = fault_ns,
				      .fault_ebusy = ebusy, .fault_pages = pages,
				      .migrations = { mig_dev, mig_dev / 2 },
				      .migrate_moved = { moved_dev, mig_dev / 2 },
				      .migrate_ns = mig_ns, .inval_calls = inval,
				      .inval_ns = inval_ns };

	snprintf(st.comm, sizeof(st.comm), "%s", comm);
	prom_owner_set(o, pid, &st);
	o->gone = gone;
}

/* Invariants of one update: other and every series that stays labelled only grow, and other
 * plus the labelled series equal everything the owners ever counted (final counts of departed
 * owners included, passed in as base). */
static void check_procs(const struct prom_procs *pp, const struct prom_procs *prev,
			const __u64 *prev_other, const struct prom_owner *in, size_t n,
			const __u64 *base)
{
	for (int f = 0; f < PV_MAX; f++) {
		__u64 sum = pp->other[f], want = base[f];

		assert_true(pp->other[f] >= prev_other[f]);
		for (size_t k = 0; k < pp->n; k++) {
			sum += pp->p[k].labelled ? pp->p[k].series[f] : 0;
			for (size_t j = 0; j < prev->n; j++)
				if (prev->p[j].pid == pp->p[k].pid && prev->p[j].labelled &&
				    pp->p[k].labelled)
					assert_true(pp->p[k].series[f] >= prev->p[j].series[f]);
		}
		for (size_t k = 0; k < n; k++)
			want += in[k].v[f];
		assert_int_equal(sum, want);
	}
}

/* Update, keeping a copy of the previous state for check_procs(). */
static void update(struct prom_procs *pp, struct prom_procs *prev, __u64 *prev_other,
		   struct prom_owner *in, size_t n, const __u64 *base)
{
	prom_procs_free(prev);
	*prev = *pp;
	prev->p = malloc((pp->n ? pp->n : 1) * sizeof(*pp->p));
	assert_non_null(prev->p);
	if (pp->n)
		memcpy(prev->p, pp->p, pp->n * sizeof(*pp->p));
	memcpy(prev_other, pp->other, sizeof(pp->other));
	assert_int_equal(prom_procs_update(pp, in, n), 0);
	check_procs(pp, prev, prev_other, in, n, base);
}

static const char *procs_section(const struct prom_buf *b)
{
	const char *p = strstr(b->data, "# HELP hmm_process_fault_calls_total");
	char *end;

	assert_non_null(p);
	end = strstr(p, "# HELP hmm_exporter_probe_info");
	assert_non_null(end);
	*end = '\0';
	return p;
}

/* After the second update of test_procs(): pid 200 (labelled first, with an odd comm) and 300
 * (labelled when 100 left the map; its first counts stay in other), other = 300's first counts,
 * pid 0, and all of 100. */
static const char procs_want[] =
	"# HELP hmm_process_fault_calls_total hmm_range_fault() calls on memory the process owns "
	"(pid=\"other\": every other process and work with an unknown owner).\n"
	"# TYPE hmm_process_fault_calls_total counter\n"
	"hmm_process_fault_calls_total{pid=\"200\",comm=\"o\\\"d\\\\d\\nc?\"} 6\n"
	"hmm_process_fault_calls_total{pid=\"300\",comm=\"small\"} 2\n"
	"hmm_process_fault_calls_total{pid=\"other\"} 11\n"
	"# HELP hmm_process_fault_seconds_total Time in those hmm_range_fault() calls.\n"
	"# TYPE hmm_process_fault_seconds_total counter\n"
	"hmm_process_fault_seconds_total{pid=\"200\",comm=\"o\\\"d\\\\d\\nc?\"} 0.003\n"
	"hmm_process_fault_seconds_total{pid=\"300\",comm=\"small\"} 3e-06\n"
	"hmm_process_fault_seconds_total{pid=\"other\"} 5.000001\n"
	"# HELP hmm_process_fault_ebusy_total Those hmm_range_fault() calls that returned -EBUSY.\n"
	"# TYPE hmm_process_fault_ebusy_total counter\n"
	"hmm_process_fault_ebusy_total{pid=\"200\",comm=\"o\\\"d\\\\d\\nc?\"} 0\n"
	"hmm_process_fault_ebusy_total{pid=\"300\",comm=\"small\"} 0\n"
	"hmm_process_fault_ebusy_total{pid=\"other\"} 1\n"
	"# HELP hmm_process_fault_pages_total Pages asked for by those hmm_range_fault() calls.\n"
	"# TYPE hmm_process_fault_pages_total counter\n"
	"hmm_process_fault_pages_total{pid=\"200\",comm=\"o\\\"d\\\\d\\nc?\"} 6\n"
	"hmm_process_fault_pages_total{pid=\"300\",comm=\"small\"} 2\n"
	"hmm_process_fault_pages_total{pid=\"other\"} 641\n"
	"# HELP hmm_process_migrations_total Device-memory migrations of memory the process owns, "
	"by direction.\n"
	"# TYPE hmm_process_migrations_total counter\n"
	"hmm_process_migrations_total{pid=\"200\",comm=\"o\\\"d\\\\d\\nc?\",direction=\"to_device\"} 0\n"
	"hmm_process_migrations_total{pid=\"200\",comm=\"o\\\"d\\\\d\\nc?\",direction=\"to_system\"} 0\n"
	"hmm_process_migrations_total{pid=\"300\",comm=\"small\",direction=\"to_device\"} 2\n"
	"hmm_process_migrations_total{pid=\"300\",comm=\"small\",direction=\"to_system\"} 1\n"
	"hmm_process_migrations_total{pid=\"other\",direction=\"to_device\"} 2\n"
	"hmm_process_migrations_total{pid=\"other\",direction=\"to_system\"} 1\n"
	"# HELP hmm_process_migrate_pages_total Pages those migrations moved, by direction.\n"
	"# TYPE hmm_process_migrate_pages_total counter\n"
	"hmm_process_migrate_pages_total{pid=\"200\",comm=\"o\\\"d\\\\d\\nc?\",direction=\"to_device\"} 0\n"
	"hmm_process_migrate_pages_total{pid=\"200\",comm=\"o\\\"d\\\\d\\nc?\",direction=\"to_system\"} 0\n"
	"hmm_process_migrate_pages_total{pid=\"300\",comm=\"small\",direction=\"to_device\"} 16\n"
	"hmm_process_migrate_pages_total{pid=\"300\",comm=\"small\",direction=\"to_system\"} 1\n"
	"hmm_process_migrate_pages_total{pid=\"other\",direction=\"to_device\"} 64\n"
	"hmm_process_migrate_pages_total{pid=\"other\",direction=\"to_system\"} 1\n"
	"# HELP hmm_process_migrate_seconds_total Time in those migrations (setup to finalize).\n"
	"# TYPE hmm_process_migrate_seconds_total counter\n"
	"hmm_process_migrate_seconds_total{pid=\"200\",comm=\"o\\\"d\\\\d\\nc?\"} 0\n"
	"hmm_process_migrate_seconds_total{pid=\"300\",comm=\"small\"} 2.5e-06\n"
	"hmm_process_migrate_seconds_total{pid=\"other\"} 1\n"
	"# HELP hmm_process_invalidations_total mmu-notifier range invalidations of memory the "
	"process owns.\n"
	"# TYPE hmm_process_invalidations_total counter\n"
	"hmm_process_invalidations_total{pid=\"200\",comm=\"o\\\"d\\\\d\\nc?\"} 2\n"
	"hmm_process_invalidations_total{pid=\"300\",comm=\"small\"} 1\n"
	"hmm_process_invalidations_total{pid=\"other\"} 12\n"
	"# HELP hmm_process_invalidate_seconds_total Time in those invalidations "
	"(invalidate_range_start and _end).\n"
	"# TYPE hmm_process_invalidate_seconds_total counter\n"
	"hmm_process_invalidate_seconds_total{pid=\"200\",comm=\"o\\\"d\\\\d\\nc?\"} 8e-07\n"
	"hmm_process_invalidate_seconds_total{pid=\"300\",comm=\"small\"} 1e-07\n"
	"hmm_process_invalidate_seconds_total{pid=\"other\"} 1.05e-05\n";

/* Round trips by driver: the counts of the round-trip histograms, summed over the return's
 * direction, one series per driver name (two addresses of one driver are one series), in the
 * order the histograms come; the thrashing counter and gauge. */
static void test_round_trips(void **state)
{
	static struct hmm_hist a_dev, a_sys, a2_sys, b_dev;
	__u64 c[HMM_C_MAX] = { 0 };
	const __u64 v[] = { 1000, 2000, 3000, 4000, 5000 };
	struct prom_hist hists[] = {
		{ { .driver = 0x2000, .metric = HMM_M_ROUND_TRIP_NS, .label = HMM_DIR_TO_DEVICE },
		  "test_hmm", &a_dev },
		{ { .driver = 0x3000, .metric = HMM_M_ROUND_TRIP_NS, .label = HMM_DIR_TO_SYSTEM },
		  "nouveau", &b_dev },
		{ { .driver = 0x2000, .metric = HMM_M_ROUND_TRIP_NS, .label = HMM_DIR_TO_SYSTEM },
		  "test_hmm", &a_sys },
		{ { .driver = 0x2100, .metric = HMM_M_ROUND_TRIP_NS, .label = HMM_DIR_TO_SYSTEM },
		  "test_hmm", &a2_sys },
		{ { .driver = 0x2000, .metric = HMM_M_MIGRATE_NS, .label = HMM_DIR_TO_SYSTEM },
		  "test_hmm", &a_sys },
	};
	struct prom_state s = { .counters = c, .hists = hists, .n_hists = 5,
				.thrashing_ranges = 2 };
	struct prom_buf b = { 0 };

	(void)state;
	fill(&a_dev, v, 5);
	fill(&a_sys, v, 2);
	fill(&a2_sys, v, 1);
	fill(&b_dev, v, 3);
	c[HMM_C_ROUND_TRIPS] = 11;
	c[HMM_C_THRASHING] = 4;
	assert_int_equal(prom_render(&b, &s), 0);
	check_valid(&b);
	expect_line(&b, "hmm_migration_round_trips_total{driver=\"test_hmm\"} 8");
	expect_line(&b, "hmm_migration_round_trips_total{driver=\"nouveau\"} 3");
	assert_ptr_equal(strstr(strstr(b.data, "round_trips_total{driver=\"test_hmm\"}") + 1,
				"round_trips_total{driver=\"test_hmm\"}"),
			 NULL);
	expect_line(&b, "hmm_thrashing_ranges_total 4");
	expect_line(&b, "hmm_thrashing_ranges 2");
	expect_line(&b, "hmm_migration_round_trip_seconds_count{driver=\"test_hmm\",direction=\"to_device\"} 5");
	prom_buf_free(&b);
}

static void test_procs(void **state)
{
	struct prom_procs pp = { .max_labels = 2 }, prev = { 0 };
	__u64 c[HMM_C_MAX] = { 0 }, prev_other[PV_MAX], base[PV_MAX] = { 0 };
	struct prom_state s = { .counters = c, .procs = &pp };
	struct prom_owner in[4], a;
	struct prom_buf b = { 0 };

	(void)state;
	/* 1: 100 and 200 have the most time and take both labels; 300 and pid 0 are other. The
	 * comm of 200 has a quote, a backslash, a newline and a byte that is not UTF-8. */
	owner(&in[0], 300, "small", false, 1, 1000, 0, 1, 0, 0, 0, 0, 0);
	owner(&in[1], 100, "train", false, 10, 5000000000ULL, 1, 640, 2, 64, 1000000000, 3, 1500);
	owner(&in[2], 200, "o\"d\\d\nc\xff", false, 4, 2000000, 0, 4, 0, 0, 0, 1, 500);
	owner(&in[3], 0, "", false, 0, 0, 0, 0, 0, 0, 0, 7, 7000);
	update(&pp, &prev, prev_other, in, 4, base);
	assert_int_equal(pp.n, 4);
	assert_true(pp.p[1].pid == 100 && pp.p[1].labelled);
	assert_true(pp.p[2].pid == 200 && pp.p[2].labelled);
	assert_true(pp.p[3].pid == 300 && !pp.p[3].labelled);
	assert_int_equal(pp.other[PV_FAULT_CALLS], 1); /* 300's */
	assert_int_equal(pp.p[1].series[PV_FAULT_CALLS], 10); /* first sight: all of it */

	/* 2: 100 left the map (evicted): its counts fold into other and 300 takes the label; what
	 * 300 counted before stays in other, its growth goes to its series. */
	a = in[1];
	for (int f = 0; f < PV_MAX; f++)
		base[f] += a.v[f];
	owner(&in[0], 300, "small", false, 3, 4000, 0, 3, 2, 16, 2500, 1, 100);
	owner(&in[1], 200, "o\"d\\d\nc\xff", false, 6, 3000000, 0, 6, 0, 0, 0, 2, 800);
	owner(&in[2], 0, "", false, 0, 0, 0, 0, 0, 0, 0, 9, 9000);
	update(&pp, &prev, prev_other, in, 3, base);
	assert_int_equal(prom_render(&b, &s), 0);
	check_valid(&b);
	assert_string_equal(procs_section(&b), procs_want);
	prom_buf_reset(&b);

	/* 3: 200 has exited, and a new process wants a label: it takes 200's, whose series
	 * folds into other. 300 keeps its label. */
	owner(&in[0], 300, "small", false, 4, 5000, 0, 4, 2, 16, 2500, 1, 100);
	owner(&in[1], 200, "o\"d\\d\nc\xff", true, 6, 3000000, 0, 6, 0, 0, 0, 2, 800);
	owner(&in[2], 0, "", false, 0, 0, 0, 0, 0, 0, 0, 9, 9000);
	owner(&in[3], 400, "newjob", false, 5, 50000, 0, 5, 0, 0, 0, 0, 0);
	update(&pp, &prev, prev_other, in, 4, base);
	assert_int_equal(prom_render(&b, &s), 0);
	check_valid(&b);
	expect_line(&b, "hmm_process_fault_calls_total{pid=\"300\",comm=\"small\"} 3");
	expect_line(&b, "hmm_process_fault_calls_total{pid=\"400\",comm=\"newjob\"} 5");
	expect_line(&b, "hmm_process_fault_calls_total{pid=\"other\"} 17");
	assert_null(strstr(b.data, "pid=\"200\""));
	prom_buf_reset(&b);

	/* 4: an exited process does not take a label from another exited one. 200 and pid 0 left
	 * the map, 300 and 400 have exited and keep their labels. */
	for (int k = 0; k < 4; k++) /* (the update sorted in by pid) */
		for (int f = 0; f < PV_MAX && (in[k].pid == 200 || in[k].pid == 0); f++)
			base[f] += in[k].v[f];
	owner(&in[0], 500, "late", true, 1, 10, 0, 1, 0, 0, 0, 0, 0);
	owner(&in[1], 300, "small", true, 4, 5000, 0, 4, 2, 16, 2500, 1, 100);
	owner(&in[2], 400, "newjob", true, 5, 50000, 0, 5, 0, 0, 0, 0, 0);
	update(&pp, &prev, prev_other, in, 3, base);
	assert_int_equal(pp.n, 3);
	assert_true(pp.p[0].pid == 300 && pp.p[0].labelled);
	assert_true(pp.p[1].pid == 400 && pp.p[1].labelled);
	assert_true(pp.p[2].pid == 500 && !pp.p[2].labelled);
	/* 5: the map emptied: every series folds into other, which alone remains. */
	for (int f = 0; f < PV_MAX; f++)
		base[f] += in[0].v[f] + in[1].v[f] + in[2].v[f];
	update(&pp, &prev, prev_other, in, 0, base);
	assert_int_equal(pp.n, 0);
	assert_int_equal(prom_render(&b, &s), 0);
	check_valid(&b);
	expect_line(&b, "# TYPE hmm_process_fault_calls_total counter");
	assert_null(strstr(b.data, "comm="));
	prom_buf_free(&b);
	prom_procs_free(&pp);
	prom_procs_free(&prev);
}

/* Every exported bound is a power of two of the raw unit, so it is an exact edge of the grid. */
static void test_bounds(void **state)
{
	double le[PROM_MAX_LE];
	size_t n;

	(void)state;
	n = prom_le_bounds(HMM_M_FAULT_NS, le, PROM_MAX_LE);
	assert_int_equal(n, 29);
	assert_true(le[0] == 256 * 1e-9);
	assert_true(le[n - 1] == 68719476736.0 * 1e-9);
	for (size_t i = 0; i < n; i++) {
		double raw = le[i] / 1e-9, e = round(log2(raw));

		assert_true(fabs(raw - ldexp(1, (int)e)) <= 1e-6 * raw);
	}
	assert_int_equal(prom_le_bounds(HMM_M_CHAIN_ATTEMPTS, le, PROM_MAX_LE), 11);
	assert_true(le[10] == 1024);
	assert_int_equal(prom_le_bounds(HMM_M_MAX, le, PROM_MAX_LE), 0);
}

static void test_fmt_double(void **state)
{
	char buf[40];

	(void)state;
	prom_fmt_double(buf, sizeof(buf), 256 * 1e-9);
	assert_string_equal(buf, "2.56e-07");
	prom_fmt_double(buf, sizeof(buf), 0.1 + 0.2);
	assert_string_equal(buf, "0.30000000000000004");
	prom_fmt_double(buf, sizeof(buf), 4);
	assert_string_equal(buf, "4");
	prom_fmt_double(buf, sizeof(buf), INFINITY);
	assert_string_equal(buf, "+Inf");
}

static void bad(const char *text, const char *why)
{
	char err[512];

	if (prom_validate(text, strlen(text), err, sizeof(err)) == 0)
		fail_msg("validator accepted: %s", why);
	print_message("rejected (%s): %s\n", why, err);
}

#define H "# TYPE h histogram\n"
static void test_validator(void **state)
{
	const char *good = "# HELP h x\n" H "h_bucket{a=\"1\",le=\"1\"} 1\nh_bucket{a=\"1\",le=\"+Inf\"} 2\n"
			   "h_sum{a=\"1\"} 3\nh_count{a=\"1\"} 2\n# TYPE c_total counter\nc_total 5\n";
	char err[512];

	(void)state;
	assert_int_equal(prom_validate(good, strlen(good), err, sizeof(err)), 0);
	bad(H "h_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 0\nh_count 1\n", "not cumulative");
	bad(H "h_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 0\nh_count 1\n",
	    "le out of order");
	bad(H "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 0\nh_count 3\n", "+Inf != _count");
	bad(H "h_bucket{le=\"1\"} 1\nh_sum 0\nh_count 1\n", "no +Inf");
	bad(H "h_bucket{le=\"+Inf\"} 1\nh_count 1\n", "no _sum");
	bad("# HELP h x\n# HELP h y\n" H, "two HELP");
	bad(H H, "two TYPE");
	bad("# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na 2\n", "family not contiguous");
	bad("# TYPE c counter\nc 1\n", "counter without _total");
	bad("# TYPE c_total counter\nc_total -1\n", "negative counter");
	bad("a 1\n", "sample without TYPE");
	bad("# TYPE a gauge\na 1 1700000000000\n", "timestamp");
	bad("# TYPE a gauge\na{x=\"\\q\"} 1\n", "bad escape");
	bad("# TYPE a gauge\na{x=\"1\",x=\"2\"} 1\n", "duplicate label");
	bad("# TYPE a gauge\na 1", "no final newline");
	bad("# TYPE a gauge\na{x=\"1} 1\n", "unterminated label");
	bad("# TYPE a gauge\na one\n", "bad value");
}

/* hmm_fault_stalls_total{driver}: from the chain histograms, the bucket holding the threshold
 * and above (longer than 984625593 ns for 1 s), and every chain that ended in -EBUSY. */
static void test_stalls(void **state)
{
	static struct hmm_hist a_ok, a_ok2, a_busy, b_ok, a_att;
	const __u64 a_v[] = { 5000, 984625593, 984625594, 999999999, 1000000000 },
		    a2_v[] = { 3000000000ULL }, busy_v[] = { 500000000 }, b_v[] = { 2000000000 },
		    att_v[] = { 9 };
	__u64 c[HMM_C_MAX] = { 0 };
	struct prom_hist hists[] = {
		{ { .driver = 0x2000, .metric = HMM_M_CHAIN_NS, .label = HMM_RES_OK }, "zdrv",
		  &b_ok },
		{ { .driver = 0x1000, .metric = HMM_M_CHAIN_NS, .label = HMM_RES_OK }, "adrv",
		  &a_ok },
		{ { .driver = 0x1001, .metric = HMM_M_CHAIN_NS, .label = HMM_RES_OK }, "adrv",
		  &a_ok2 },
		{ { .driver = 0x1000, .metric = HMM_M_CHAIN_NS, .label = HMM_RES_EBUSY }, "adrv",
		  &a_busy },
		/* not a duration: never counted */
		{ { .driver = 0x1000, .metric = HMM_M_CHAIN_ATTEMPTS, .label = HMM_RES_OK }, "adrv",
		  &a_att },
	};
	struct prom_state s = { .counters = c, .hists = hists, .n_hists = 5 };
	struct prom_buf b = { 0 };

	(void)state;
	fill(&a_ok, a_v, 5);
	fill(&a_ok2, a2_v, 1);
	fill(&a_busy, busy_v, 1);
	fill(&b_ok, b_v, 1);
	fill(&a_att, att_v, 1);
	assert_int_equal(prom_render(&b, &s), 0);
	check_valid(&b);
	/* adrv: 984625594, 999999999 (in the bucket holding 1 s), 1 s, 3 s, and the -EBUSY one */
	expect_line(&b, "hmm_fault_stalls_total{driver=\"adrv\"} 5");
	expect_line(&b, "hmm_fault_stalls_total{driver=\"zdrv\"} 1");
	assert_non_null(strstr(b.data, "holding the stall threshold (1000000000 ns) up, i.e. "
					"longer than 984625593 ns"));
	/* adrv's series before zdrv's */
	assert_true(strstr(b.data, "{driver=\"adrv\"}") < strstr(b.data, "{driver=\"zdrv\"}"));
	prom_buf_free(&b);

	/* --stall-ms 1100: the bucket (1073741824, 1170923762] holds it: 3 s and the -EBUSY one */
	s.stall_ns = 1100000000ULL;
	assert_int_equal(prom_render(&b, &s), 0);
	expect_line(&b, "hmm_fault_stalls_total{driver=\"adrv\"} 2");
	expect_line(&b, "hmm_fault_stalls_total{driver=\"zdrv\"} 1");
	prom_buf_free(&b);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),	    cmocka_unit_test(test_full),
		cmocka_unit_test(test_bounds),	    cmocka_unit_test(test_fmt_double),
		cmocka_unit_test(test_validator),   cmocka_unit_test(test_procs),
		cmocka_unit_test(test_stalls),
		cmocka_unit_test(test_round_trips),
	};

	if (argc > 1)
		datadir = argv[1];
	else if (getenv("HMMSCOPE_TESTDATA"))
		datadir = getenv("HMMSCOPE_TESTDATA");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
