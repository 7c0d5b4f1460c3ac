// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hmmtop's live source: records from the ring buffer, drained while the session waits; an
 * interval is the wall time since the last one. Filters (-p, --owner) are applied in the kernel.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "stacktab.h"
#include "top.h"

static int on_event(void *ctx, const struct hmm_rec_hdr *rec)
{
	struct top_app *a = ctx;

	if (a->live.stacks) /* before the record: the detail pane may show its cause's stack */
		tool_stack_learn(a->live.stacks, a->live.t, a->live.ks, rec);
	hmm_stats__add(a->s, rec);
	return 0;
}

static int live_open(struct top_app *a, unsigned int *page_shift)
{
	(void)page_shift; /* this machine's, as the caller set it */
	snprintf(a->what, sizeof(a->what), "live");
	a->live.ks = hmm_ksyms__load(NULL);
	if (!a->live.ks)
		tool_err("warning: cannot read /proc/kallsyms (%s): drivers will show as unknown",
			 strerror(errno));
	a->syms = hmm_symtab__new(a->live.ks);
	if (!a->syms) {
		tool_err("out of memory");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int live_start(struct top_app *a, struct hmm_tracer_opts *opts)
{
	const struct hmm_ap_report *rep;
	size_t n, i;
	int err;

	opts->pid = a->pid;
	opts->owner = a->owner;
	opts->on_event = on_event;
	opts->ctx = a;
	if (opts->stacks) {
		a->live.stacks = hmm_stacktab__new();
		if (!a->live.stacks) {
			tool_err("out of memory");
			return EXIT_FAIL;
		}
		a->stacks = a->live.stacks;
	}
	a->live.t = hmm_tracer__open(opts);
	if (!a->live.t) {
		tool_err("%s", strerror(errno));
		return EXIT_FAIL;
	}
	err = hmm_tracer__load(a->live.t);
	if (err) {
		tool_load_error(err);
		return EXIT_NONE;
	}
	err = hmm_tracer__attach(a->live.t);
	rep = hmm_tracer__report(a->live.t, &n);
	for (i = 0; i < n; i++) {
		if (rep[i].state == HMM_AP_ATTACHED || rep[i].state == HMM_AP_DISABLED)
			continue;
		a->live.not_live_mask |= 1u << rep[i].ap;
		/* Said before the screen takes over; the header lists them too. */
		tool_err("warning: %s is not live (%s): %s", rep[i].func,
			 hmm_ap_state_str(rep[i].state), rep[i].reason);
	}
	if (err) {
		tool_err("nothing could be attached on this kernel");
		return EXIT_NONE;
	}
	tool_drop_privileges();
	if (a->batch) /* scripts wait for this line: events from here on are caught */
		fprintf(stderr, "hmmtop: tracing %d attach points, every %gs\n",
			__builtin_popcount(hmm_tracer__live_mask(a->live.t)), a->interval_ns / 1e9);
	a->live.last_update = tool_now_s();
	a->next_due = a->live.last_update + a->interval_ns / 1e9;
	return EXIT_OK;
}

static void live_pump(struct top_app *a, int ms)
{
	int err = hmm_tracer__poll(a->live.t, ms);

	if (err < 0 && err != -EINTR && !a->err)
		a->err = err;
}

static int live_end_interval(struct top_app *a, __u64 *elapsed_ns, __u64 *skipped_ns)
{
	double now = tool_now_s();

	*elapsed_ns = (__u64)((now - a->live.last_update) * 1e9 + 0.5);
	*skipped_ns = 0;
	a->live.last_update = now;
	return 0;
}

static void live_describe(const struct top_app *a, struct top_source *src)
{
	__u64 c[HMM_C_MAX];
	long long d;

	if (!hmm_tracer__counters(a->live.t, c)) {
		src->lost = c[HMM_C_RINGBUF_DROPS] + c[HMM_C_STATE_DROPS];
	} else {
		d = hmm_tracer__drops(a->live.t, NULL, 0);
		src->lost = d > 0 ? d : 0;
	}
	src->not_live_mask = a->live.not_live_mask;
}

static double live_step_s(const struct top_app *a)
{
	return a->interval_ns / 1e9;
}

static void live_close(struct top_app *a)
{
	if (a->live.stacks)
		tool_stacks_summary(a->live.t, a->live.stacks);
	hmm_tracer__destroy(a->live.t);
	hmm_stacktab__free(a->live.stacks);
	a->live.stacks = NULL;
	a->stacks = NULL;
	hmm_symtab__free(a->syms);
	hmm_ksyms__free(a->live.ks);
	a->live.t = NULL;
	a->syms = NULL;
	a->live.ks = NULL;
}

const struct top_src_ops top_live = {
	.open = live_open,
	.start = live_start,
	.pump = live_pump,
	.end_interval = live_end_interval,
	.describe = live_describe,
	.step_s = live_step_s,
	.close = live_close,
};
