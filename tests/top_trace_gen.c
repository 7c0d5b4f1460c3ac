// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A deterministic synthetic trace for hmmtop's tests and benchmark, written through lib/trace.h.
 *
 *   top_trace_gen -o FILE                      the scenario below, 5 recorded seconds
 *   top_trace_gen -o FILE --rate R -s SECONDS  R records per second of a mixed feed (benchmark)
 *   top_trace_gen -o FILE --scenario golden    every record type and flag, and stalls of known
 *                                              counts (golden_stalls()), with a header that
 *                                              names no real machine (tests/golden: the outputs
 *                                              of every renderer, compared byte for byte)
 *   --fixed-header                             that header for the other scenarios too
 *   top_trace_gen -o FILE --scenario NAME      a hostile recording (valid CRCs, hostile values),
 *                                              for the tests of issue 19 and the fuzzers:
 *       names   comms, symbols, drivers, host, release and command with terminal escapes, BEL,
 *               newlines, DEL, C1 controls, bidi overrides and invalid UTF-8
 *       ts0     one fault whose timestamp is 0, then ordinary ones
 *       future  ordinary records and one a century in the future
 *       empty   a header and no record at all
 *   --schema N        a header saying record schema N (its CRC right)
 *   --chunk-bytes N   chunks of N bytes of records (the writer's option; 4096 at least)
 *   --dup-chunk K     chunk K (0-based) a second time right after itself, CRCs and all: the file
 *                     a careless concatenation makes
 *   top_trace_gen -o FILE --scenario diff      the scenario below with known changes, for
 *                                              hmmtrace diff (tests/cases/hmmtrace-diff.sh):
 *       alpha's every tenth fault takes 131072 ns; all 5 of beta's chains take 3 attempts; gamma's
 *       faults go through test_hmm; migrations to the device move 8 of their 16 pages (8 stay);
 *       invalidations per second are 6 MIGRATE, 6 CLEAR and 3 UNMAP; pid 1004 delta makes 5
 *       faults of 1024 ns through test_hmm per second; the lost record counts 3
 *   --host NAME, --release R   the header's host and kernel release (after --fixed-header)
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

/* The numbers of the scenario above that --scenario diff changes (the header comment). */
static struct {
	__u64 alpha_slow_ns;	 /* alpha's every tenth fault */
	int beta_chains3;	 /* how many of beta's 5 chains take 3 attempts (the rest 2) */
	__u64 gamma_ops;	 /* the driver of gamma's faults */
	__u32 dev_moved;	 /* pages moved of each migration to the device (of 16) */
	int n_migrate, n_clear, n_unmap; /* invalidations per second, in this order */
	int delta_faults;	 /* pid 1004 delta's faults per second */
	__u64 lost;		 /* the lost record's count, in second 2 */
} knob = { 65536, 1, NOUVEAU, 16, 12, 3, 0, 0, 7 };

static void scenario(int seconds)
{
	int s, i;

	sym(TEST_HMM, "dmirror_interval_invalidate", "test_hmm");
	sym(NOUVEAU, "nouveau_svm_invalidate", "nouveau");
	for (s = 0; s < seconds; s++) {
		__u64 b = T0 + s * NS;

		for (i = 0; i < 100; i++)
			fault(b + i * 1000000ULL, 1001, "alpha", TEST_HMM,
			      i % 10 == 9 ? knob.alpha_slow_ns : 2048, 0, 1);
		for (i = 0; i < 20; i++)
			fault(b + 1000 + i * 1000000ULL, 1002, "beta", TEST_HMM, 4096, 0, 1);
		for (i = 0; i < 5; i++)
			chain(b + 500000000ULL + i * 1000000ULL, 1002, "beta", TEST_HMM,
			      i < 5 - knob.beta_chains3 ? 2 : 3);
		for (i = 0; i < 10; i++)
			fault(b + 2000 + i * 1000000ULL, 1003, "gamma", knob.gamma_ops, 1024, 0, 1);
		for (i = 0; i < knob.delta_faults; i++)
			fault(b + 3000 + i * 1000000ULL, 1004, "delta", TEST_HMM, 1024, 0, 1);
		for (i = 0; i < 4; i++)
			migrate(b + 600000000ULL + i * 1000000ULL, 1003, "gamma", HMM_DIR_TO_DEVICE,
				16, knob.dev_moved);
		for (i = 0; i < 2; i++)
			migrate(b + 700000000ULL + i * 1000000ULL, 1003, "gamma", HMM_DIR_TO_SYSTEM,
				8, 6);
		for (i = 0; i < knob.n_migrate + knob.n_clear + knob.n_unmap; i++) {
			__u8 ev = i < knob.n_migrate ? HMM_EV_MIGRATE :
				  i < knob.n_migrate + knob.n_clear ? HMM_EV_CLEAR : HMM_EV_UNMAP;

			inval(b + 800000000ULL + i * 1000000ULL, 1003, "gamma", ev, 1000, 500, 16);
		}
		if (s == 2)
			hmm_trace_writer__lost(w, b + 900000000ULL, knob.lost);
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

/*
 * The golden scenario: every record type, every flag and result class a renderer distinguishes,
 * over 3 recorded seconds with a gap before the last, from a header naming no real machine. Its
 * outputs (tests/golden) are compared byte for byte, so nothing here may depend on the host.
 */
#define NVIDIA 0xffffffffc0003000ULL
#define CALLER 0xffffffffc0004000ULL

static void clock_sync(__u64 ts)
{
	struct hmm_rec_clock c = {.hdr = {.type = HMM_REC_CLOCK, .size = sizeof(c), .ts = ts}};

	c.realtime_ns = 1700000000ULL * NS + (ts - T0);
	add(&c);
}

/* The cause stack (record --stacks) of the next attempts and chain ends, 0: none. */
static __u32 cause_stack;

/* A HMM_REC_STACK record: stack's frames, innermost first, "name+offset" each. */
static void stack_rec(__u64 ts, __u32 stack, const char *const *names, const __u32 *offsets,
		      unsigned int depth)
{
	union {
		struct hmm_rec_stack r;
		char room[sizeof(struct hmm_rec_stack) + 16 * sizeof(struct hmm_stack_frame)];
	} b;

	memset(&b, 0, sizeof(b));
	b.r.hdr.type = HMM_REC_STACK;
	b.r.hdr.ts = ts;
	b.r.hdr.size = sizeof(b.r) + depth * sizeof(b.r.frame[0]);
	b.r.stack = stack;
	b.r.depth = depth;
	for (unsigned int i = 0; i < depth && i < 16; i++) {
		b.r.frame[i].addr = 0xffffffff81000000ULL + i * 0x1000 + offsets[i];
		b.r.frame[i].offset = offsets[i];
		snprintf(b.r.frame[i].name, sizeof(b.r.frame[i].name), "%s", names[i]);
	}
	add(&b.r);
}

/* The golden scenario's two cause stacks: a khugepaged collapse (42) and a MADV_DONTNEED (7). */
static void golden_stacks(__u64 ts)
{
	static const char *const khugepaged[] = {
		"__mmu_notifier_invalidate_range_start", "collapse_huge_page",
		"hpage_collapse_scan_pmd", "khugepaged_scan_mm_slot", "khugepaged", "kthread",
		"ret_from_fork"};
	static const __u32 khugepaged_off[] = {0x9, 0x2a1, 0x6b0, 0x30e, 0x16e, 0xe1, 0x34};
	static const char *const madvise[] = {
		"__mmu_notifier_invalidate_range_start", "zap_page_range_single", "do_madvise",
		"__x64_sys_madvise", "do_syscall_64", "entry_SYSCALL_64_after_hwframe"};
	static const __u32 madvise_off[] = {0x9, 0xde, 0x600, 0x2b, 0x4e, 0x4b};

	stack_rec(ts, 42, khugepaged, khugepaged_off, 7);
	stack_rec(ts, 7, madvise, madvise_off, 6);
}

/* One attempt of a retry chain by thread tid of pid (the golden scenario's stalls). */
static void attempt(__u64 ts, __u32 pid, __u32 tid, const char *comm, __u64 ops, __u64 dur, int ret,
		    __u16 n, __u8 event, __u32 by, const char *by_comm)
{
	struct hmm_rec_fault f = {.hdr = {.type = HMM_REC_FAULT, .size = sizeof(f), .ts = ts}};

	f.dur_ns = dur;
	f.ret = ret;
	f.start = 0x7f0000000000ULL + (__u64)pid * 0x10000000ULL;
	f.npages = 16;
	f.end = f.start + f.npages * 4096ULL;
	f.notifier = 0xffff888000000000ULL + pid;
	f.mm = 0xffff888100000000ULL + pid;
	f.ops = ops;
	task(&f.caller, pid, comm);
	f.caller.tid = tid;
	task(&f.owner, pid, comm);
	f.attempt = n;
	f.flags = HMM_FAULT_F_FAULT | HMM_FAULT_F_OWNER_KNOWN;
	if (ret == -16) {
		f.cause.found = 1;
		f.cause.event = event;
		f.cause.start = f.start;
		f.cause.end = f.end;
		f.cause.ago_ns = 2000;
		f.cause.stack = cause_stack;
		task(&f.cause.task, by, by_comm);
	} else if (!ret) {
		f.scanned = f.valid = f.npages;
	}
	add(&f);
}

static void chain_end(__u64 ts, __u64 dur, __u32 pid, __u32 tid, const char *comm, __u64 ops,
		      __u32 attempts, __u8 event, __u32 by, const char *by_comm)
{
	struct hmm_rec_chain c = {.hdr = {.type = HMM_REC_CHAIN, .size = sizeof(c), .ts = ts}};

	c.dur_ns = dur;
	c.notifier = 0xffff888000000000ULL + pid;
	c.mm = 0xffff888100000000ULL + pid;
	c.ops = ops;
	task(&c.caller, pid, comm);
	c.caller.tid = tid;
	task(&c.owner, pid, comm);
	c.attempts = attempts;
	c.busy = attempts - 1;
	c.cause.found = 1;
	c.cause.event = event;
	c.cause.ago_ns = 2000;
	c.cause.stack = cause_stack;
	task(&c.cause.task, by, by_comm);
	add(&c);
}

/*
 * Stalls (lib/stats.h) after the last second's other records, written in time order, each chain
 * record after its attempts as BPF emits them: a lone call of exactly the default threshold
 * (1 s: a stall, the edge), a chain of 1.2 s that succeeded after two -EBUSY (a stall) and a chain
 * 1 ns under the threshold (no stall). With the three timeout chains: 5 stalls (test_hmm 3,
 * nouveau 1, nvidia_uvm 1), 3 ended in -EBUSY, 3 by timeout; 6 with --stall-ms 999, 4 with 1100,
 * 3 with 1300. From the chain histograms (hist, the exporter) 6: the 999.999999 ms chain is in the
 * bucket holding 1 s. The first two -EBUSY name cause stacks (golden_stacks()): madvise 1 retry
 * of 5 us, no chain; khugepaged 1 retry of 5 us and the 1 s chain, not a stall.
 */
static void golden_stalls(__u64 b)
{
	const __u64 ms = 1000000ULL;

	attempt(b + 700 * ms, 1003, 1003, "gamma", NVIDIA, 1000000000ULL, 0, 1, 0, 0, "");
	/* Recorded with --stacks: the CLEAR and UNMAP causes name their stacks, written first. */
	golden_stacks(b + 710 * ms);
	cause_stack = 7;
	attempt(b + 710 * ms, 1002, 1012, "beta", NOUVEAU, 5000, -16, 1, HMM_EV_CLEAR, 1003,
		"gamma");
	cause_stack = 42;
	attempt(b + 720 * ms, 1001, 1011, "alpha", TEST_HMM, 5000, -16, 1, HMM_EV_UNMAP, 42,
		"khugepaged");
	cause_stack = 0;
	attempt(b + 1110 * ms, 1002, 1012, "beta", NOUVEAU, 5000, -16, 2, HMM_EV_MIGRATE, 1003,
		"gamma");
	attempt(b + 1719 * ms, 1001, 1011, "alpha", TEST_HMM, 999999, 0, 2, 0, 0, "");
	cause_stack = 42;
	chain_end(b + 720 * ms, 999999999ULL, 1001, 1011, "alpha", TEST_HMM, 2, HMM_EV_UNMAP, 42,
		  "khugepaged");
	cause_stack = 0;
	attempt(b + 1909 * ms, 1002, 1012, "beta", NOUVEAU, ms, 0, 3, 0, 0, "");
	chain_end(b + 710 * ms, 1200000000ULL, 1002, 1012, "beta", NOUVEAU, 3, HMM_EV_MIGRATE, 1003,
		  "gamma");
}

static void golden(void)
{
	static const __u64 drivers[3] = {TEST_HMM, NOUVEAU, NVIDIA};
	static const char *const comms[4] = {"alpha", "beta", "gamma", "kworker/u8:1"};
	__u64 b;
	int s, i;

	sym(TEST_HMM, "dmirror_interval_invalidate", "test_hmm");
	sym(NOUVEAU, "nouveau_svm_invalidate", "nouveau");
	sym(NVIDIA, "uvm_hmm_invalidate_cb", "nvidia_uvm");
	sym(CALLER, "dmirror_migrate_to_device", "test_hmm");
	for (s = 0; s < 3; s++) {
		b = T0 + (s == 2 ? 5 : s) * NS; /* seconds 2 to 4 are empty */
		clock_sync(b);
		for (i = 0; i < 60; i++) {
			__u64 r = rnd(), ts = b + 1000 + i * 7000000ULL;
			__u32 o = r % 3, pid = 1001 + o;
			int res = (r >> 8) % 10;
			struct hmm_rec_fault f = {.hdr = {.type = HMM_REC_FAULT, .size = sizeof(f),
							  .ts = ts, .cpu = i % 2}};

			f.dur_ns = 512ULL << ((r >> 12) % 12);
			f.ret = res < 6 ? 0 : res < 8 ? -16 : res == 8 ? -14 : res == 9 && (r & 1) ? -1 : -12;
			f.start = 0x7f0000000000ULL + (__u64)pid * 0x10000000ULL + i * 0x40000ULL;
			f.npages = 16 << ((r >> 16) % 4);
			f.end = f.start + f.npages * 4096ULL;
			f.notifier = 0xffff888000000000ULL + pid;
			f.mm = 0xffff888100000000ULL + pid;
			f.ops = drivers[o];
			/* A kthread works on the memory of every third call's owner. */
			task(&f.caller, i % 3 ? pid : 77, i % 3 ? comms[o] : comms[3]);
			task(&f.owner, pid, comms[o]);
			f.attempt = 1;
			f.flags = (r >> 20) % 4 ? HMM_FAULT_F_FAULT : 0;
			f.flags |= (r >> 22) % 3 ? 0 : HMM_FAULT_F_WRITE;
			f.flags |= (r >> 24) % 5 ? HMM_FAULT_F_OWNER_KNOWN : 0;
			if (!f.ret) {
				f.scanned = f.npages > HMM_PFN_SCAN_MAX ? HMM_PFN_SCAN_MAX : f.npages;
				f.valid = f.scanned - (r >> 26) % 3;
				f.write = f.flags & HMM_FAULT_F_WRITE ? f.valid : 0;
				f.max_order = (r >> 28) % 2 ? 9 : 0;
			} else if (f.ret == -14) {
				f.error = 1;
			}
			if (f.ret == -16 && (r >> 30) % 4) {
				f.cause.found = 1;
				f.cause.event = (r >> 32) % HMM_EV_MAX;
				f.cause.start = f.start;
				f.cause.end = f.end;
				f.cause.ago_ns = 1000 + (r >> 40) % 100000;
				task(&f.cause.task, 1003, "gamma");
			} else if (f.ret == -16) {
				/* a round of hmm_range_fault_unlocked_timeout() whose fault handler
				 * dropped the mmap lock */
				f.flags |= HMM_FAULT_F_UNLOCKED;
				f.cause.flags = HMM_CAUSE_F_LOCK_DROPPED;
			}
			add(&f);
		}
		for (i = 0; i < 4; i++)
			chain(b + 300000000ULL + i * 1000000ULL, 1002, "beta", NOUVEAU, 2 + i);
		/* A chain that gave up: hmm_range_fault_unlocked_timeout() past its timeout, -EBUSY
		 * to the end, the cause unknown. */
		{
			struct hmm_rec_chain c = {.hdr = {.type = HMM_REC_CHAIN, .size = sizeof(c),
							  .ts = b + 310000000ULL}};

			c.dur_ns = 1000000000ULL + s;
			c.ret = -16;
			c.notifier = 0xffff888000000000ULL + 1001;
			c.mm = 0xffff888100000000ULL + 1001;
			c.ops = TEST_HMM;
			task(&c.caller, 1001, "alpha");
			task(&c.owner, 1001, "alpha");
			c.attempts = 9;
			c.busy = 9;
			c.flags = HMM_CHAIN_F_UNLOCKED | HMM_CHAIN_F_TIMEOUT;
			add(&c);
		}
		for (i = 0; i < 10; i++) {
			struct hmm_rec_read_begin rb = {.hdr = {.type = HMM_REC_READ_BEGIN,
								.size = sizeof(rb),
								.ts = b + 320000000ULL + i * 1000}};

			rb.dur_ns = 100 + i * 50;
			rb.notifier = 0xffff888000000000ULL + 1001 + i % 3;
			rb.mm = 0xffff888100000000ULL + 1001 + i % 3;
			task(&rb.caller, 1001 + i % 3, comms[i % 3]);
			task(&rb.owner, 1001 + i % 3, comms[i % 3]);
			add(&rb);
		}
		for (i = 0; i < 12; i++) {
			struct hmm_rec_migrate m = {.hdr = {.type = HMM_REC_MIGRATE, .size = sizeof(m),
							    .ts = b + 400000000ULL + i * 2000000ULL}};
			__u32 pid = 1001 + i % 3;

			m.setup_ns = 1000 + i * 100;
			m.copy_ns = 20000 + i * 1000;
			m.finalize_ns = 3000;
			m.total_ns = m.setup_ns + m.copy_ns + m.finalize_ns;
			m.start = 0x7f0000000000ULL + (__u64)pid * 0x10000000ULL;
			m.npages = 16 << (i % 4);
			m.end = m.start + m.npages * 4096ULL;
			m.mm = 0xffff888100000000ULL + pid;
			m.driver = drivers[i % 3];
			m.caller_ip = i % 2 ? CALLER : 0;
			task(&m.caller, pid, comms[i % 3]);
			task(&m.owner, pid, comms[i % 3]);
			m.cpages = m.npages - (i % 5 == 0 ? 4 : 0);
			m.moved = m.cpages - (i % 4 == 1 ? 3 : 0);
			m.stayed = m.cpages - m.moved;
			m.scanned = m.npages;
			m.dir = i % 3 == 2 ? HMM_DIR_TO_SYSTEM : HMM_DIR_TO_DEVICE;
			m.flags = HMM_MIG_F_OWNER_KNOWN | HMM_MIG_F_PAGES;
			if (i == 5)
				m.flags |= HMM_MIG_F_FAULT;
			if (i == 9) /* a large folio moved as one entry (7.x) */
				m.flags |= HMM_MIG_F_LARGE;
			if (i == 8) { /* setup failed: nothing collected, no pages step */
				m.setup_ret = -22;
				m.cpages = m.moved = m.stayed = 0;
				m.copy_ns = m.finalize_ns = 0;
				m.flags &= ~HMM_MIG_F_PAGES;
			}
			if (i == 11) { /* a device eviction: pfns, no mm, no owner */
				m.flags = HMM_MIG_F_DEVICE | HMM_MIG_F_PAGES;
				m.span = 65536;
				m.start = 0x100000;
				m.end = m.start + m.npages;
				m.mm = 0;
				m.driver = 0;
				memset(&m.owner, 0, sizeof(m.owner));
			}
			add(&m);
		}
		/* Round trips: alpha's range on test_hmm 4 a second (thrashing from the third,
		 * which is new), beta's on nouveau one a second, back to system, never thrashing. */
		for (i = 0; i < 5; i++) {
			struct hmm_rec_round_trip t = {.hdr = {.type = HMM_REC_ROUND_TRIP,
							       .size = sizeof(t),
							       .ts = b + 450000000ULL + i * 3000000ULL,
							       .cpu = i % 2}};
			__u32 pid = i < 4 ? 1001 : 1002;

			t.mm = 0xffff888100000000ULL + pid;
			t.start = 0x7f0000000000ULL + (__u64)pid * 0x10000000ULL;
			t.end = t.start + (1ULL << HMM_THRASH_BLOCK_SHIFT);
			t.driver = i < 4 ? TEST_HMM : NOUVEAU;
			t.legs_ns = 40000 + i * 1000;
			t.gap_ns = 2000000 + i * 1000;
			task(&t.caller, pid, comms[pid - 1001]);
			task(&t.owner, pid, comms[pid - 1001]);
			t.pages = 64;
			t.trips = i < 4 ? i + 1 : 1;
			t.total = i < 4 ? s * 4 + i + 1 : s + 1;
			t.dir = i < 4 ? HMM_DIR_TO_DEVICE : HMM_DIR_TO_SYSTEM;
			t.flags = HMM_RT_F_OWNER_KNOWN;
			if (t.trips >= 3 && i < 4)
				t.flags |= HMM_RT_F_THRASHING | (t.trips == 3 ? HMM_RT_F_BECAME : 0);
			add(&t);
		}
		for (i = 0; i < 20; i++) {
			struct hmm_rec_inval v = {.hdr = {.type = HMM_REC_INVAL, .size = sizeof(v),
							  .ts = b + 500000000ULL + i * 1500000ULL}};
			__u32 pid = 1001 + i % 3;

			v.start_ns = 800 + i * 300;
			v.end_ns = 200 + i * 10;
			v.start = 0x7f0000000000ULL + (__u64)pid * 0x10000000ULL;
			v.end = v.start + (4096ULL << (i % 6));
			v.mm = 0xffff888100000000ULL + pid;
			v.owner_ptr = i % 4 == 0 ? 0xffff888200000000ULL : 0;
			task(&v.task, i % 5 ? pid : 42, i % 5 ? comms[i % 3] : "khugepaged");
			task(&v.owner, pid, comms[i % 3]);
			v.event = i % HMM_EV_MAX;
			v.flags = (i % 7 ? HMM_INVAL_F_BLOCKABLE : 0) | HMM_INVAL_F_OWNER_KNOWN;
			if (i == 13) { /* non-blockable start failed: no _end */
				v.ret = -11;
				v.end_ns = 0;
				v.flags = HMM_INVAL_F_NO_END | HMM_INVAL_F_OWNER_KNOWN;
			}
			if (i == 19) { /* exit_mmap(): the whole address space */
				v.start = 0;
				v.end = ~0ULL;
			}
			add(&v);
		}
		for (i = 0; i < 6; i++) {
			struct hmm_rec_uffd u = {.hdr = {.type = HMM_REC_UFFD, .size = sizeof(u),
							 .ts = b + 600000000ULL + i * 3000000ULL}};

			u.dur_ns = 50000 + i * 20000;
			u.address = 0x7e0000000000ULL + i * 4096ULL;
			task(&u.task, 1002, "beta");
			u.reason = i % HMM_UFFD_MAX;
			add(&u);
		}
		if (s == 1)
			hmm_trace_writer__lost(w, b + 900000000ULL, 11);
		if (s == 2)
			golden_stalls(b);
	}
}

/* --scenario diff: top's scenario with the changes the header comment lists. */
static void scenario_diff(int seconds)
{
	knob.alpha_slow_ns = 131072;
	knob.beta_chains3 = 5;
	knob.gamma_ops = TEST_HMM;
	knob.dev_moved = 8;
	knob.n_migrate = 6;
	knob.n_clear = 6;
	knob.n_unmap = 3;
	knob.delta_faults = 5;
	knob.lost = 3;
	scenario(seconds);
}

/* A header that names no real machine, for byte-for-byte comparisons (--fixed-header). */
static void fixed_header(struct hmm_trace_meta *meta)
{
	snprintf(meta->host, sizeof(meta->host), "golden-host");
	snprintf(meta->release, sizeof(meta->release), "6.12.0-golden");
	snprintf(meta->boot_id, sizeof(meta->boot_id), "00000000-0000-4000-8000-000000000000");
	meta->ncpus = 4;
}

static void golden_meta(struct hmm_trace_meta *meta)
{
	fixed_header(meta);
	meta->aps[HMM_AP_DEVICE_PAGES].state = HMM_AP_FAILED;
	meta->aps[HMM_AP_DEVICE_PAGES].err = -22;
	snprintf(meta->aps[HMM_AP_DEVICE_PAGES].reason, sizeof(meta->aps[HMM_AP_DEVICE_PAGES].reason),
		 "the verifier refused the program");
}

/* ---- hostile recordings: valid files whose values are chosen to break renderers ---------- */

/* Names a process can give itself with prctl(PR_SET_NAME) (15 bytes + NUL) or that a file can
 * carry: a screen clear and a window title, BEL, newline, DEL, C1 CSI, a bidi override,
 * invalid UTF-8. */
static const char *const evil[] = {
	"ow\x1b[2J\x1b]0;pwn\x07", "line1\nline2", "del\x7f\x9b" "31m", "rtl\xe2\x80\xae" "gpj.exe",
	"bad\xff\xfe\xc0\xafutf8", "ok-\xc3\xa9t\xc3\xa9",
};

static void hostile_names_header(struct hmm_trace_meta *meta)
{
	snprintf(meta->host, sizeof(meta->host), "host\x1b[31mred\x1b[0m");
	snprintf(meta->release, sizeof(meta->release), "6.12\r\x1b[Kevil");
	snprintf(meta->command, sizeof(meta->command), "job \x1b]2;title\x07 --x\ny");
	snprintf(meta->aps[HMM_AP_USERFAULT].reason, sizeof(meta->aps[HMM_AP_USERFAULT].reason),
		 "absent\x1b[2J");
}

static void hostile_names(void)
{
	__u64 b = T0 + NS;
	int i;

	sym(TEST_HMM, "evil_\x1b[2Jinvalidate", "drv\x1b]0;x\x07");
	for (i = 0; i < 6; i++) {
		fault(b + i * 1000000ULL, 2000 + i, evil[i], TEST_HMM, 4096, i == 5 ? -16 : 0, 1);
		migrate(b + 100000000ULL + i * 1000000ULL, 2000 + i, evil[i], HMM_DIR_TO_DEVICE, 8, 8);
		inval(b + 200000000ULL + i * 1000000ULL, 2000 + i, evil[i], HMM_EV_CLEAR, 1000, 500,
		      4);
	}
	chain(b + 300000000ULL, 2000, evil[0], TEST_HMM, 3);
}

static void hostile_ts(int future)
{
	sym(TEST_HMM, "dmirror_interval_invalidate", "test_hmm");
	if (!future)
		fault(0, 1001, "alpha", TEST_HMM, 2048, 0, 1);
	for (int i = 0; i < 20; i++)
		fault(T0 + i * 1000000ULL, 1001, "alpha", TEST_HMM, 2048 << (i % 4), 0, 1);
	if (future) /* 100 years of CLOCK_MONOTONIC after the rest */
		fault(T0 + 100ULL * 365 * 86400 * NS, 1001, "alpha", TEST_HMM, 2048, 0, 1);
}

/* Chunk k of the file a second time, right after itself (docs/FORMAT.md: the header's length at
 * byte 16; a chunk: "HMMC", CRC, header length at +8, payload length at +12). */
static int dup_chunk(const char *path, int k)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b = NULL, *o;
	size_t len = 0, off, n, i;
	long sz;

	if (!f || fseek(f, 0, SEEK_END) || (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) ||
	    !(b = malloc(sz)) || fread(b, 1, sz, f) != (size_t)sz)
		goto fail;
	fclose(f);
	len = sz;
	memcpy(&n, b + 16, 4);
	off = n & 0xffffffff;
	for (i = 0; off + 16 <= len && !memcmp(b + off, "HMMC", 4); i++) {
		__u32 hdr, comp;

		memcpy(&hdr, b + off + 8, 4);
		memcpy(&comp, b + off + 12, 4);
		n = (size_t)hdr + comp;
		if ((int)i == k) {
			o = malloc(len + n);
			if (!o)
				goto fail;
			memcpy(o, b, off + n);
			memcpy(o + off + n, b + off, n);
			memcpy(o + off + 2 * n, b + off + n, len - off - n);
			f = fopen(path, "wb");
			if (!f || fwrite(o, 1, len + n, f) != len + n || fclose(f)) {
				free(o);
				goto fail;
			}
			free(o);
			free(b);
			return 0;
		}
		off += n;
	}
	fprintf(stderr, "top_trace_gen: %s has no chunk %d\n", path, k);
	free(b);
	return 1;
fail:
	fprintf(stderr, "top_trace_gen: duplicating a chunk of %s failed\n", path);
	if (f)
		fclose(f);
	free(b);
	return 1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"seconds", required_argument, NULL, 's'},
		{"rate", required_argument, NULL, 'r'},
		{"scenario", required_argument, NULL, 'S'},
		{"fixed-header", no_argument, NULL, 'F'},
		{"schema", required_argument, NULL, 'H'},
		{"chunk-bytes", required_argument, NULL, 'B'},
		{"dup-chunk", required_argument, NULL, 'D'},
		{"host", required_argument, NULL, 'N'},
		{"release", required_argument, NULL, 'K'},
		{},
	};
	struct hmm_trace_meta meta = {};
	const char *path = NULL, *scen = "top", *host = NULL, *release = NULL;
	unsigned long long rate = 0;
	struct hmm_trace_writer_opts wopts = {.sz = sizeof(wopts)};
	int c, seconds = 5, err, fixed = 0, dup = -1;
	long schema = -1;
	__u32 ap;

	while ((c = getopt_long(argc, argv, "o:s:r:S:FH:B:D:N:K:", longopts, NULL)) != -1) {
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
		case 'S':
			scen = optarg;
			break;
		case 'F':
			fixed = 1;
			break;
		case 'H':
			schema = strtol(optarg, NULL, 10);
			break;
		case 'B':
			wopts.chunk_bytes = strtoull(optarg, NULL, 10);
			break;
		case 'D':
			dup = atoi(optarg);
			break;
		case 'N':
			host = optarg;
			break;
		case 'K':
			release = optarg;
			break;
		default:
			return 2;
		}
	}
	if (!path || seconds < 1 || seconds > 3600 || (rate && rate > NS) ||
	    !strstr(" top golden names ts0 future empty diff ", scen) || strchr(scen, ' ') || !*scen) {
		fprintf(stderr, "usage: top_trace_gen -o FILE [--rate R] [-s SECONDS] "
				"[--scenario top|golden|names|ts0|future|empty|diff] [--fixed-header] "
				"[--host NAME] [--release R]\n");
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
	if (!strcmp(scen, "golden"))
		golden_meta(&meta);
	else if (fixed)
		fixed_header(&meta);
	if (!strcmp(scen, "names"))
		hostile_names_header(&meta);
	if (host)
		snprintf(meta.host, sizeof(meta.host), "%s", host);
	if (release)
		snprintf(meta.release, sizeof(meta.release), "%s", release);
	if (schema >= 0)
		meta.schema = (__u32)schema;
	w = hmm_trace_writer__open(path, &meta, &wopts);
	if (!w) {
		fprintf(stderr, "top_trace_gen: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (rate)
		feed(rate, seconds);
	else if (!strcmp(scen, "golden"))
		golden();
	else if (!strcmp(scen, "ts0") || !strcmp(scen, "future"))
		hostile_ts(!strcmp(scen, "future"));
	else if (!strcmp(scen, "names"))
		hostile_names();
	else if (!strcmp(scen, "top"))
		scenario(seconds);
	else if (!strcmp(scen, "diff"))
		scenario_diff(seconds);
	err = hmm_trace_writer__close(w);
	if (werr || err) {
		fprintf(stderr, "top_trace_gen: writing %s: %s\n", path,
			strerror(-(werr ? werr : err)));
		return 1;
	}
	return dup >= 0 ? dup_chunk(path, dup) : 0;
}
