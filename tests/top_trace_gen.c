// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A deterministic synthetic trace for hmmtop's tests and benchmark, written through lib/trace.h.
 *
 *   top_trace_gen -o FILE                      the scenario below, 5 recorded seconds
 *   top_trace_gen -o FILE --rate R -s SECONDS  R records per second of a mixed feed (benchmark)
 *
 * The scenario, identical in every recorded second (t0 = 1000 s, CLOCK_MONOTONIC):
 *   pid 1001 alpha  100 faults: 90 of 2048 ns, 10 of 65536 ns (p50 2.05us, p99 65.5us);
 *                   driver test_hmm
 *   pid 1002 beta   20 lone faults of 4096 ns, 4 chains of 2 attempts and 1 of 3 attempts
 *                   (-EBUSY then ok, 8192 ns each): 31 faults, 6 -EBUSY, longest chain 3; every
 *                   -EBUSY blamed on a CLEAR invalidation by pid 1003 gamma; driver test_hmm
 *   pid 1003 gamma  10 faults of 1024 ns through nouveau; 4 migrations to the device (16
 *                   pages moved each), 2 to system (6 moved, 2 stayed each); 12 MIGRATE and
 *                   3 CLEAR invalidations of its memory, 1500 ns each (22.5us per second)
 * plus one HMM_REC_LOST record of 7 in second 2, and handle_userfault absent while recording.
 * Exit status 0, or 1 with a message.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/trace.h"
#include "tests/rnd.h"

#define T0	 1000000000000ULL /* 1000 s */
#define NS	 1000000000ULL
#define TEST_HMM 0xffffffffc0001000ULL
#define NOUVEAU	 0xffffffffc0002000ULL

static struct hmm_trace_writer *w;
static int werr;

static void add(const void *rec)
{
	int err = hmm_trace_writer__add(w, rec);

	if (err && !werr)
		werr = err;
}

static void task(struct hmm_task *t, __u32 pid, const char *comm)
{
	t->pid = pid;
	t->tid = pid;
	snprintf(t->comm, sizeof(t->comm), "%s", comm);
}

static void sym(__u64 addr, const char *name, const char *driver)
{
	struct hmm_rec_sym s = {.hdr = {.type = HMM_REC_SYM, .size = sizeof(s), .ts = T0}};

	s.addr = addr;
	snprintf(s.name, sizeof(s.name), "%s", name);
	snprintf(s.driver, sizeof(s.driver), "%s", driver);
	add(&s);
}

static void fault(__u64 ts, __u32 pid, const char *comm, __u64 ops, __u64 dur, int ret,
		  __u16 attempt)
{
	struct hmm_rec_fault f = {.hdr = {.type = HMM_REC_FAULT, .size = sizeof(f), .ts = ts}};

	f.dur_ns = dur;
	f.ret = ret;
	f.start = 0x7f0000000000ULL + (__u64)pid * 0x10000000ULL;
	f.end = f.start + 64 * 4096;
	f.notifier = 0xffff888000000000ULL + pid;
	f.mm = 0xffff888100000000ULL + pid;
	f.ops = ops;
	task(&f.caller, pid, comm);
	task(&f.owner, pid, comm);
	f.npages = 64;
	f.attempt = attempt;
	f.flags = HMM_FAULT_F_FAULT | HMM_FAULT_F_OWNER_KNOWN;
	if (ret == -16) {
		f.cause.found = 1;
		f.cause.event = HMM_EV_CLEAR;
		f.cause.start = f.start;
		f.cause.end = f.end;
		f.cause.ago_ns = 3000;
		task(&f.cause.task, 1003, "gamma");
	}
	add(&f);
}

static void chain(__u64 ts, __u32 pid, const char *comm, __u64 ops, __u32 attempts)
{
	struct hmm_rec_chain c = {.hdr = {.type = HMM_REC_CHAIN, .size = sizeof(c), .ts = ts}};
	__u32 i;

	for (i = 1; i <= attempts; i++)
		fault(ts + (i - 1) * 10000, pid, comm, ops, 8192, i < attempts ? -16 : 0, i);
	c.dur_ns = attempts * 10000;
	c.notifier = 0xffff888000000000ULL + pid;
	c.mm = 0xffff888100000000ULL + pid;
	c.ops = ops;
	task(&c.caller, pid, comm);
	task(&c.owner, pid, comm);
	c.attempts = attempts;
	c.busy = attempts - 1;
	c.cause.found = 1;
	c.cause.event = HMM_EV_CLEAR;
	task(&c.cause.task, 1003, "gamma");
	add(&c);
}

static void migrate(__u64 ts, __u32 pid, const char *comm, __u8 dir, __u32 n, __u32 moved)
{
	struct hmm_rec_migrate m = {.hdr = {.type = HMM_REC_MIGRATE, .size = sizeof(m), .ts = ts}};

	m.setup_ns = 1000;
	m.copy_ns = 2000;
	m.finalize_ns = 1000;
	m.total_ns = 4000;
	m.start = 0x7f0000000000ULL;
	m.end = m.start + n * 4096ULL;
	m.mm = 0xffff888100000000ULL + pid;
	m.driver = TEST_HMM;
	task(&m.caller, pid, comm);
	task(&m.owner, pid, comm);
	m.npages = n;
	m.cpages = n;
	m.moved = moved;
	m.stayed = n - moved;
	m.scanned = n;
	m.dir = dir;
	m.flags = HMM_MIG_F_OWNER_KNOWN | HMM_MIG_F_PAGES;
	add(&m);
}

static void inval(__u64 ts, __u32 pid, const char *comm, __u8 event, __u64 start_ns, __u64 end_ns,
		  __u64 pages)
{
	struct hmm_rec_inval v = {.hdr = {.type = HMM_REC_INVAL, .size = sizeof(v), .ts = ts}};

	v.start_ns = start_ns;
	v.end_ns = end_ns;
	v.start = 0x7f0000000000ULL;
	v.end = v.start + pages * 4096;
	v.mm = 0xffff888100000000ULL + pid;
	task(&v.task, pid, comm);
	task(&v.owner, pid, comm);
	v.event = event;
	v.flags = HMM_INVAL_F_BLOCKABLE | HMM_INVAL_F_OWNER_KNOWN;
	add(&v);
}

static void scenario(int seconds)
{
	int s, i;

	sym(TEST_HMM, "dmirror_interval_invalidate", "test_hmm");
	sym(NOUVEAU, "nouveau_svm_invalidate", "nouveau");
	for (s = 0; s < seconds; s++) {
		__u64 b = T0 + s * NS;

		for (i = 0; i < 100; i++)
			fault(b + i * 1000000ULL, 1001, "alpha", TEST_HMM,
			      i % 10 == 9 ? 65536 : 2048, 0, 1);
		for (i = 0; i < 20; i++)
			fault(b + 1000 + i * 1000000ULL, 1002, "beta", TEST_HMM, 4096, 0, 1);
		for (i = 0; i < 5; i++)
			chain(b + 500000000ULL + i * 1000000ULL, 1002, "beta", TEST_HMM,
			      i < 4 ? 2 : 3);
		for (i = 0; i < 10; i++)
			fault(b + 2000 + i * 1000000ULL, 1003, "gamma", NOUVEAU, 1024, 0, 1);
		for (i = 0; i < 4; i++)
			migrate(b + 600000000ULL + i * 1000000ULL, 1003, "gamma", HMM_DIR_TO_DEVICE,
				16, 16);
		for (i = 0; i < 2; i++)
			migrate(b + 700000000ULL + i * 1000000ULL, 1003, "gamma", HMM_DIR_TO_SYSTEM,
				8, 6);
		for (i = 0; i < 15; i++)
			inval(b + 800000000ULL + i * 1000000ULL, 1003, "gamma",
			      i < 12 ? HMM_EV_MIGRATE : HMM_EV_CLEAR, 1000, 500, 16);
		if (s == 2)
			hmm_trace_writer__lost(w, b + 900000000ULL, 7);
	}
}

/* The benchmark feed: rate records per recorded second, 8 owners, a mix like a busy GPU job. */
static void feed(unsigned long long rate, int seconds)
{
	static const char *const comms[8] = {"job0", "job1", "job2", "job3",
					     "job4", "job5", "job6", "job7"};
	unsigned long long n = rate * seconds, i;
	__u64 step = NS / rate;

	sym(TEST_HMM, "dmirror_interval_invalidate", "test_hmm");
	for (i = 0; i < n && !werr; i++) {
		__u64 ts = T0 + i * step, r = rnd();
		__u32 o = r % 8, pid = 2001 + o;
		unsigned int kind = (r >> 8) % 20;

		if (kind < 12)
			fault(ts, pid, comms[o], TEST_HMM, 1024 << ((r >> 16) % 8),
			      kind == 0 ? -16 : 0, 1);
		else if (kind < 14)
			migrate(ts, pid, comms[o], (r >> 20) & 1, 16, 16);
		else
			inval(ts, pid, comms[o], (r >> 24) % HMM_EV_UNKNOWN, 1000, 500, 16);
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"seconds", required_argument, NULL, 's'},
		{"rate", required_argument, NULL, 'r'},
		{},
	};
	struct hmm_trace_meta meta = {};
	const char *path = NULL;
	unsigned long long rate = 0;
	int c, seconds = 5, err;
	__u32 ap;

	while ((c = getopt_long(argc, argv, "o:s:r:", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			path = optarg;
			break;
		case 's':
			seconds = atoi(optarg);
			break;
		case 'r':
			rate = strtoull(optarg, NULL, 10);
			break;
		default:
			return 2;
		}
	}
	if (!path || seconds < 1 || seconds > 3600 || (rate && rate > NS)) {
		fprintf(stderr, "usage: top_trace_gen -o FILE [--rate R] [-s SECONDS]\n");
		return 2;
	}
	hmm_trace_meta_from_system(&meta);
	meta.schema = HMM_SCHEMA_VERSION;
	meta.page_size = 4096;
	meta.start_mono_ns = T0;
	meta.start_real_ns = 1700000000ULL * NS;
	snprintf(meta.command, sizeof(meta.command), "top_trace_gen");
	meta.n_aps = HMM_AP_MAX;
	for (ap = 0; ap < HMM_AP_MAX; ap++) {
		meta.aps[ap].ap = ap;
		meta.aps[ap].state = ap == HMM_AP_USERFAULT ? HMM_AP_ABSENT : HMM_AP_ATTACHED;
		meta.aps[ap].mode = HMM_MODE_FENTRY;
		snprintf(meta.aps[ap].func, sizeof(meta.aps[ap].func), "%s", hmm_ap_func(ap));
	}
	w = hmm_trace_writer__open(path, &meta, NULL);
	if (!w) {
		fprintf(stderr, "top_trace_gen: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (rate)
		feed(rate, seconds);
	else
		scenario(seconds);
	err = hmm_trace_writer__close(w);
	if (werr || err) {
		fprintf(stderr, "top_trace_gen: writing %s: %s\n", path,
			strerror(-(werr ? werr : err)));
		return 1;
	}
	return 0;
}
