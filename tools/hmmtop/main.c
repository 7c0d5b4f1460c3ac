// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hmmtop: who is faulting, retrying and migrating right now. Records come from a source, the
 * ring buffer (live.c) or a trace file (replay.c, -r), go through hmm_stats__add() as in every
 * other tool, and the model (model.c) turns the stats into every number shown, each interval;
 * ui.c draws it, batch mode (-b) prints it. This file: options, the interval clock, batch mode.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "top.h"
#include "../opt.h"

static const struct tool_opt top_opts[] = {
	TOOL_OPT('d', "delay", "SECS", "refresh interval in seconds (default 1; 0.05 .. 3600)",
		 tool_opt_double, delay, .min = 50, .max = 3600 * 1000),
	OPT_PID,
	OPT_OWNER,
	TOOL_OPT('b', "batch", NULL, "print the table as text each interval, no full-screen view",
		 tool_opt_flag, batch),
	TOOL_OPT('n', "iterations", "N", "stop after N intervals", tool_opt_u64, iterations,
		 .min = 1, .max = 1ULL << 40),
	TOOL_OPT('r', "replay", "FILE", "play a trace file instead of tracing live", tool_opt_str,
		 input),
	TOOL_OPT(0, "speed", "N",
		 "replay at N times the recorded speed (default 1; 0: as fast\n"
		 "as possible)",
		 tool_opt_double, speed, .max = 1000000ULL * 1000),
	TOOL_OPT('s', "sort", "COLUMN",
		 "sort by COLUMN (a column title, e.g. FLT/s, P99, NAME;\n"
		 "default FLT/s)",
		 tool_opt_str, sort),
	OPT_STALL_MS,
	TOOL_OPT('g', "group", "GROUP", "rows per owner (default) or per driver", tool_opt_str,
		 group),
	TOOL_OPT('k', "kprobe", NULL, "attach with kprobes (same as --mode kprobe)", tool_opt_flag,
		 kprobe, .flags = TOOL_OPT_LIVE),
	OPT_MODE(OPT_MODE_HELP),
	OPT_PATHS,
	OPT_THRASH_MS,
	OPT_THRASH_MIN,
	OPT_STACKS,
	OPT_VERBOSE("more messages from the loader (-vv: libbpf's too)"),
	OPT_HELP,
	OPT_VERSION,
	OPT_END,
};

static const struct tool_cmd top_cmd = {
	.prog = "hmmtop",
	.usage = "Usage: hmmtop [OPTIONS]\n"
		 "       hmmtop -r FILE [--speed N] [OPTIONS]\n",
	.about = "Show HMM activity per owner process or per driver, refreshed every interval: faults\n"
		 "and their latency, -EBUSY retries, migrations each way, invalidations; live from the\n"
		 "kernel, or replayed from a trace file written by `hmmtrace record`.",
	.opts = top_opts,
	.epilogue = "Keys: q quit, Up/Down/PgUp/PgDn/Home/End select, s or > next sort column, < previous,\n"
		    "r reverse order, p filter by pid, g owner/driver rows, space pause, n next interval,\n"
		    "h or ? help. See hmmtop(8).\n\n"
		    "Exit status: 0 ok; 1 runtime error (terminal unusable, not a trace file); 2 bad usage;\n"
		    "3 nothing could be attached.\n",
};

static double now_s(void)
{
	return tool_now_s();
}

int top_ms_to_due(const struct top_app *a)
{
	double left;

	if (a->paused || a->ended)
		return 1000;
	left = a->next_due - now_s();
	if (left <= 0)
		return 0;
	return left > 3600 ? 3600 * 1000 : (int)ceil(left * 1000);
}

static double step_s(const struct top_app *a)
{
	return a->src->step_s(a);
}

void top_restart_clock(struct top_app *a)
{
	a->next_due = now_s() + step_s(a);
}

static void schedule(struct top_app *a)
{
	a->next_due += step_s(a);
	/* Late (a slow terminal, a suspended process): do not try to catch up. */
	if (a->next_due < now_s())
		a->next_due = now_s() + step_s(a);
}

void top_pump(struct top_app *a, int ms)
{
	a->src->pump(a, ms);
}

int top_tick(struct top_app *a)
{
	struct top_source src = { 0 };
	__u64 elapsed = 0, skipped = 0;
	int err;

	err = a->src->end_interval(a, &elapsed, &skipped);
	if (err)
		return err;
	a->src->describe(a, &src);
	src.skipped_ns = skipped;
	err = top_model__update(a->m, a->s, elapsed, &src);
	schedule(a);
	return err;
}

/* ---- batch mode --------------------------------------------------------------------------- */

static int run_batch(struct top_app *a)
{
	unsigned long n = 0;
	int err, ms;

	/* A replay starts at once; a live session shows its first interval after one interval. */
	while (!tool_exiting) {
		ms = top_ms_to_due(a);
		if (ms > 0) {
			top_pump(a, ms > 100 ? 100 : ms);
			continue;
		}
		err = top_tick(a);
		if (err == 1)
			break;
		if (err < 0 && !a->err)
			break;
		errno = 0;
		if (top_print_batch(a->m, stdout, a->what, 1 << 16) || fflush(stdout)) {
			tool_err("cannot write standard output: %s", strerror(errno ? errno : EIO));
			return EXIT_FAIL;
		}
		if (a->count && ++n >= a->count)
			break;
		if (a->err || a->ended)
			break;
	}
	return a->err ? EXIT_FAIL : EXIT_OK;
}

/* ---- set-up ------------------------------------------------------------------------------- */

static const char *driver_name(void *ctx, __u64 addr)
{
	return hmm_symtab__driver(ctx, addr);
}

/* Options into the session, or an EXIT_USAGE said already. */
static int configure(struct top_app *a, const struct tool_opts *to, int *sort, int *group)
{
	if (to->sort) {
		*sort = top_col_by_name(to->sort);
		if (*sort < 0) {
			tool_err("--sort: no column '%s' (see --help and hmmtop(8))", to->sort);
			return EXIT_USAGE;
		}
	}
	if (to->group && !strcmp(to->group, "driver")) {
		*group = TOP_BY_DRIVER;
	} else if (to->group && strcmp(to->group, "owner")) {
		tool_err("--group: '%s' is not one of owner, driver", to->group);
		return EXIT_USAGE;
	}
	/* A replay has no attach points: what only live tracing uses is refused, not ignored. */
	if (to->input && (to->kprobe || tool_given("mode") || tool_given("paths"))) {
		tool_err("-r replays a recording: %s is for live tracing",
			 to->kprobe ? "-k" : tool_given("mode") ? "--mode" : "--paths");
		return EXIT_USAGE;
	}
	if (!to->input && to->speed_set) {
		tool_err("--speed is for a replay (-r FILE)");
		return EXIT_USAGE;
	}
	a->src = to->input ? &top_replay : &top_live;
	a->replay.path = to->input;
	a->pid = to->tracer.pid;
	a->owner = to->tracer.owner;
	a->count = to->iterations;
	a->speed = to->speed;
	a->batch = to->batch;
	a->interval_ns = (__u64)(to->delay * 1e9 + 0.5);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct tool_opts to = { .tracer = { .sz = sizeof(to.tracer), .events = true },
				.delay = 1, .speed = 1 };
	struct hmm_stats_opts sopts = { .sz = sizeof(sopts) };
	struct hmm_tracer_opts opts;
	struct top_app *a;
	unsigned int page_shift;
	int first, sort = -1, group = TOP_BY_OWNER, status;

	tool_name = "hmmtop";
	hmm_set_print(tool_print);
	first = tool_parse(&top_cmd, argc, argv, &to);
	if (first < 0)
		return EXIT_USAGE;
	if (to.help || to.version)
		return EXIT_OK;
	if (first < argc) {
		tool_err("unexpected argument '%s' (see --help)", argv[first]);
		return EXIT_USAGE;
	}
	tool_verbose = to.verbose;
	opts = to.tracer;
	if (to.kprobe)
		opts.mode = HMM_MODE_KPROBE;
	a = calloc(1, sizeof(*a));
	if (!a) {
		tool_err("out of memory");
		return EXIT_FAIL;
	}
	status = configure(a, &to, &sort, &group);
	if (status != EXIT_OK)
		goto out;

	page_shift = __builtin_ctzl(sysconf(_SC_PAGESIZE));
	status = a->src->open(a, &page_shift);
	if (status != EXIT_OK)
		goto cleanup;
	sopts.page_shift = page_shift;
	sopts.driver_name = driver_name;
	sopts.ctx = a->syms;
	sopts.stall_ns = to.stall_ns;
	a->s = hmm_stats__new(&sopts);
	a->m = top_model__new();
	if (!a->s || !a->m) {
		tool_err("out of memory");
		status = EXIT_FAIL;
		goto cleanup;
	}
	a->m->group = group;
	if (sort >= 0)
		a->m->sort = sort;

	/* Before the tracer and the terminal: the handler only sets tool_exiting, and curses
	 * keeps a handler that is already there. */
	tool_signals();
	status = a->src->start(a, &opts);
	if (status != EXIT_OK)
		goto cleanup;

	status = a->batch ? run_batch(a) : top_ui_run(a);
	if (a->err) {
		tool_err("reading %s: %s", a->replay.path ? a->replay.path : "the ring buffer",
			 strerror(-a->err));
		status = EXIT_FAIL;
	}
cleanup:
	a->src->close(a);
	top_model__free(a->m);
	hmm_stats__free(a->s);
out:
	free(a);
	return status;
}
