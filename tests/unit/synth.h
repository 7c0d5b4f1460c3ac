/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Made-up records for the unit tests of what reads a struct hmm_stats (hmmtop's model, diff's
 * lines): two drivers by address, tasks, and faults fed through hmm_stats__add() at ts, ts + 1 ...
 * Include after <cmocka.h>.
 */
#ifndef HMMSCOPE_TESTS_SYNTH_H
#define HMMSCOPE_TESTS_SYNTH_H

#include <stdio.h>
#include "stats.h"

#define DRV_A 0xffffffffc0001000ULL
#define DRV_B 0xffffffffc0002000ULL

static const char *drv_name(void *ctx, __u64 addr)
{
	(void)ctx;
	return addr == DRV_A ? "drvA" : addr == DRV_B ? "drvB" : NULL;
}

static struct hmm_stats *new_stats(void)
{
	struct hmm_stats_opts o = {.sz = sizeof(o), .driver_name = drv_name};

	return hmm_stats__new(&o);
}

static void task(struct hmm_task *t, __u32 pid, const char *comm)
{
	t->pid = t->tid = pid;
	snprintf(t->comm, sizeof(t->comm), "%s", comm);
}

/* The next record's timestamp. */
static __u64 ts = 1000;

/* One hmm_range_fault() call of one page; an -EBUSY is blamed on a CLEAR by pid 99 storm. */
static void fault(struct hmm_stats *s, __u32 pid, const char *comm, __u64 ops, __u64 dur, int ret,
		  __u16 attempt)
{
	struct hmm_rec_fault f = {.hdr = {.type = HMM_REC_FAULT, .size = sizeof(f), .ts = ts++}};

	f.dur_ns = dur;
	f.ret = ret;
	f.ops = ops;
	f.notifier = 0x1000 + pid;
	f.npages = 1;
	f.attempt = attempt;
	task(&f.caller, pid, comm);
	task(&f.owner, pid, comm);
	if (ret == -16) {
		f.cause.found = 1;
		f.cause.event = HMM_EV_CLEAR;
		task(&f.cause.task, 99, "storm");
	}
	assert_int_equal(hmm_stats__add(s, &f.hdr), 0);
}

#endif /* HMMSCOPE_TESTS_SYNTH_H */
