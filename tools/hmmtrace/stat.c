// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hmmtrace stat: like `perf stat`, totals from in-kernel aggregation only (no per-event traffic),
 * either system-wide (-a) or for a command it starts, whose memory (mm owner) it filters on.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <jansson.h>
#include "hmmtrace.h"
#include "output.h"
#include "agg.h"
#include "hist.h"
#include "ksyms.h"
#include "stacks.h"
#include "stacktab.h"
#include "stats.h"

/* Histograms merged over drivers: stat reports per metric and label. */
struct totals {
	struct hmm_hist h[HMM_M_MAX][16];
	__u64 c[HMM_C_MAX];
};

static int add_hist(void *ctx, const struct hmm_hist_key *k, const struct hmm_hist *h)
{
	struct totals *t = ctx;

	if (k->metric < HMM_M_MAX && k->label < 16)
		hmm_hist_merge(&t->h[k->metric][k->label], h);
	return 0;
}

static const struct tool_opt stat_opts[] = {
	TOOL_OPT('a', "all-cpus", NULL, "system-wide, until Ctrl-C or the duration ends",
		 tool_opt_flag, all_cpus),
	OPT_DURATION("with -a: stop after S seconds"),
	OPT_JSON("one JSON document"),
	OPT_MODE(OPT_MODE_HELP),
	OPT_PATHS,
	OPT_THRASH_MS,
	OPT_THRASH_MIN,
	OPT_STACKS,
	OPT_PROG_STATS,
	OPT_HELP,
	OPT_VERSION,
	OPT_END,
};

static const struct tool_cmd stat_cmd = {
	.prog = "hmmtrace stat",
	.usage = "Usage: hmmtrace stat [OPTIONS] -- COMMAND [ARGS...]\n"
		 "       hmmtrace stat -a [-d SECONDS] [OPTIONS]\n",
	.about = "Count HMM activity with in-kernel aggregation only (no per-event records) and print\n"
		 "the totals: for the memory of COMMAND (the process it starts), or system-wide.",
	.opts = stat_opts,
	.epilogue = "COMMAND's exit status is stat's own exit status.\n",
	.stop_at_arg = true,
};

static void print_hist_line(const char *what, const struct hmm_hist *h)
{
	char p50[16], p99[16], max[16];
	bool ovf = false;

	if (!h->count)
		return;
	hmm_fmt_duration(p50, sizeof(p50), hmm_hist_quantile(h, 0.5, NULL));
	hmm_fmt_duration(p99, sizeof(p99), hmm_hist_quantile(h, 0.99, &ovf));
	hmm_fmt_duration(max, sizeof(max), hmm_hist_max_bound(h));
	printf("    %-28s %10llu   p50 <=%-9s p99 <=%-9s max <=%s%s\n", what,
	       (unsigned long long)h->count, p50, p99, max, ovf ? " (overflow)" : "");
}

static void print_text(const struct totals *t, long long lost, double secs, const char *what)
{
	char name[64];
	int i;

	printf("\n HMM statistics for %s (%.3f s):\n\n", what, secs);
	printf("  hmm_range_fault calls %llu, pages %llu\n", (unsigned long long)t->c[HMM_C_FAULT_CALLS],
	       (unsigned long long)t->c[HMM_C_FAULT_PAGES]);
	for (i = 0; i < HMM_RES_MAX; i++) {
		snprintf(name, sizeof(name), "fault %s", hmm_result_str(i));
		print_hist_line(name, &t->h[HMM_M_FAULT_NS][i]);
	}
	printf("  retry chains %llu, retries (-EBUSY) %llu\n", (unsigned long long)t->c[HMM_C_CHAINS],
	       (unsigned long long)t->c[HMM_C_CHAIN_RETRIES]);
	for (i = 0; i < HMM_RES_MAX; i++) {
		snprintf(name, sizeof(name), "chain ending %s", hmm_result_str(i));
		print_hist_line(name, &t->h[HMM_M_CHAIN_NS][i]);
	}
	print_hist_line("read_begin wait", &t->h[HMM_M_READ_BEGIN_NS][0]);
	for (i = 0; i < HMM_DIR_MAX; i++) {
		if (!t->c[HMM_C_MIGRATIONS_BASE + i])
			continue;
		printf("  migrations %s %llu (cpu-fault %llu): pages %llu collected %llu moved %llu "
		       "stayed %llu\n", hmm_dir_str(i),
		       (unsigned long long)t->c[HMM_C_MIGRATIONS_BASE + i],
		       (unsigned long long)t->c[HMM_C_MIGRATE_FAULT_BASE + i],
		       (unsigned long long)t->c[HMM_C_MIGRATE_NPAGES_BASE + i],
		       (unsigned long long)t->c[HMM_C_MIGRATE_CPAGES_BASE + i],
		       (unsigned long long)t->c[HMM_C_MIGRATE_MOVED_BASE + i],
		       (unsigned long long)t->c[HMM_C_MIGRATE_STAYED_BASE + i]);
		print_hist_line("total", &t->h[HMM_M_MIGRATE_NS][i]);
		print_hist_line("setup", &t->h[HMM_M_MIGRATE_SETUP_NS][i]);
		print_hist_line("copy (driver)", &t->h[HMM_M_MIGRATE_COPY_NS][i]);
		print_hist_line("pages + finalize", &t->h[HMM_M_MIGRATE_FINALIZE_NS][i]);
	}
	if (t->c[HMM_C_ROUND_TRIPS]) {
		printf("  round trips %llu (ranges that began thrashing %llu)\n",
		       (unsigned long long)t->c[HMM_C_ROUND_TRIPS],
		       (unsigned long long)t->c[HMM_C_THRASHING]);
		for (i = 0; i < HMM_DIR_MAX; i++) {
			snprintf(name, sizeof(name), "round trip back %s", hmm_dir_str(i));
			print_hist_line(name, &t->h[HMM_M_ROUND_TRIP_NS][i]);
		}
	}
	printf("  invalidations:");
	for (i = 0; i < HMM_EV_MAX; i++)
		if (t->c[HMM_C_INVAL_BASE + i])
			printf(" %s %llu", hmm_event_str(i),
			       (unsigned long long)t->c[HMM_C_INVAL_BASE + i]);
	printf(" (-EAGAIN %llu)\n", (unsigned long long)t->c[HMM_C_INVAL_EAGAIN]);
	for (i = 0; i < HMM_EV_MAX; i++) {
		snprintf(name, sizeof(name), "%s start", hmm_event_str(i));
		print_hist_line(name, &t->h[HMM_M_INVAL_START_NS][i]);
	}
	for (i = 0; i < HMM_UFFD_MAX; i++) {
		snprintf(name, sizeof(name), "userfault %s", hmm_uffd_reason_str(i));
		print_hist_line(name, &t->h[HMM_M_UFFD_NS][i]);
	}
	printf("\n  lost events %lld (in-kernel state that could not be stored: %llu)\n\n",
	       lost < 0 ? 0 : lost, (unsigned long long)t->c[HMM_C_STATE_DROPS]);
}

/* --stacks: the -EBUSY retries per cause stack the kernel counted, with their frames. */
struct stat_stacks {
	struct hmm_stats *s;
	struct hmm_stacktab *st;
	struct hmm_tracer *t;
	const struct hmm_ksyms *ks;
};

static int add_stack(void *ctx, __u32 stack, const struct hmm_stack_agg *agg)
{
	struct stat_stacks *x = ctx;

	return tool_stack_get(x->st, x->t, x->ks, stack) ?:
		       hmm_stats__stack_add(x->s, stack, agg->retries, agg->lost_ns);
}

static int read_stacks(struct stat_stacks *x, struct hmm_tracer *t)
{
	x->t = t;
	x->s = hmm_stats__new(NULL);
	x->st = hmm_stacktab__new();
	if (!x->s || !x->st)
		return -ENOMEM;
	return hmm_tracer__stack_retries(t, add_stack, x);
}

static void print_json(const struct totals *t, long long lost, double secs,
		       const struct stat_stacks *x)
{
	json_t *o = json_object(), *c = json_object(), *h = json_array();
	char buf[64];

	json_object_set_new(o, "seconds", json_real(secs));
	for (unsigned int i = 0; i < HMM_C_MAX; i++)
		json_object_set_new(c, hmm_counter_name(i, buf, sizeof(buf)), json_integer(t->c[i]));
	json_object_set_new(o, "counters", c);
	for (int m = 0; m < HMM_M_MAX; m++)
		for (int l = 0; l < 16; l++) {
			const struct hmm_hist *x = &t->h[m][l];
			json_t *e;

			if (!x->count)
				continue;
			/* Over all drivers: the key's driver is 0, and no name goes with it. */
			e = hmm_json_hist_key(&(struct hmm_hist_key){ .metric = m, .label = l }, NULL,
					      x);
			json_array_append_new(h, e);
		}
	json_object_set_new(o, "hists", h);
	json_object_set_new(o, "lost", json_integer(lost < 0 ? 0 : lost));
	if (x->s)
		json_object_set_new(o, "cause_stacks",
				    stacks_json(x->s, x->st, false) ?: json_array());
	json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(o);
}

int cmd_stat(int argc, char **argv)
{
	struct hmm_tracer_opts opts;
	struct tool_opts to = { .tracer = { .sz = sizeof(opts), .aggregate = true } };
	unsigned long long duration;
	struct hmm_tracer *t = NULL;
	struct totals *tot = NULL;
	bool all, json, prog_stats;
	int stats_fd = -1;
	int status = EXIT_OK, release = -1, wstatus, first;
	double start, deadline = 0;
	pid_t child = 0;
	char what[256];
	struct tool_out out;
	struct stat_stacks stacks = {};
	struct hmm_ksyms *ks = NULL;

	first = cmd_parse(&stat_cmd, argc, argv, &to, -1, &status);
	if (first < 0)
		return status;
	opts = to.tracer;
	opts.verifier_stats = to.prog_stats;
	duration = to.duration;
	all = to.all_cpus;
	json = to.json;
	prog_stats = to.prog_stats;
	if (all == (first < argc)) {
		tool_err("stat: give either -a or -- COMMAND (see --help)");
		return EXIT_USAGE;
	}
	if (duration && !all) {
		tool_err("stat: --duration goes with -a; with a command, stat ends when it exits");
		return EXIT_USAGE;
	}
	tot = calloc(1, sizeof(*tot));
	if (!tot) {
		tool_err("stat: out of memory");
		return EXIT_PARTIAL;
	}
	if (!all) {
		snprintf(what, sizeof(what), "'%s'", argv[first]);
		child = tool_start_held(argv + first, &release);
		if (child < 0) {
			tool_err("stat: cannot start '%s': %s", argv[first], strerror(errno));
			status = EXIT_PARTIAL;
			goto cleanup;
		}
		opts.owner = child;
		opts.follow_children = true;
	} else {
		snprintf(what, sizeof(what), "the whole system");
	}
	/* Before privileges are dropped: kallsyms shows addresses only to the privileged. */
	if (opts.stacks && !(ks = hmm_ksyms__load(NULL)))
		tool_err("warning: cannot read /proc/kallsyms (%s): stacks will be addresses",
			 strerror(errno));
	stacks.ks = ks;
	status = start_tracer(&opts, "stat", &t);
	if (status != EXIT_OK)
		goto cleanup;
	if (prog_stats)
		stats_fd = tool_prog_stats_on("stat");
	tool_drop_privileges();
	tool_signals();
	start = tool_now_s();
	if (duration)
		deadline = start + duration;
	if (child) {
		if (write(release, "g", 1) != 1) {
			tool_err("stat: cannot release the command: %s", strerror(errno));
			status = EXIT_PARTIAL;
			goto cleanup;
		}
		close(release);
		release = -1;
		/* Ctrl-C reaches the command too (same process group); wait for it to end. */
		while (waitpid(child, &wstatus, 0) < 0 && errno == EINTR)
			;
		child = 0;
		status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
	} else {
		fprintf(stderr, "hmmtrace: counting system-wide, Ctrl-C to stop\n");
		while (!tool_exiting && (!deadline || tool_now_s() < deadline))
			usleep(100000);
	}
	if (hmm_tracer__counters(t, tot->c) || hmm_tracer__hists(t, add_hist, tot)) {
		tool_err("stat: cannot read the in-kernel statistics");
		status = EXIT_PARTIAL;
		goto cleanup;
	}
	if (opts.stacks && read_stacks(&stacks, t)) {
		tool_err("stat: cannot read the cause stacks");
		status = EXIT_PARTIAL;
		goto cleanup;
	}
	tool_out_open(&out, NULL);
	if (json) {
		print_json(tot, hmm_tracer__drops(t, NULL, 0), tool_now_s() - start, &stacks);
	} else {
		print_text(tot, hmm_tracer__drops(t, NULL, 0), tool_now_s() - start, what);
		if (stacks.s)
			stacks_text(stdout, stacks.s, stacks.st, 10, false);
	}
	/* COMMAND's status is stat's, unless the totals could not be written. */
	if (tool_out_close(&out, true))
		status = EXIT_PARTIAL;
	if (prog_stats)
		tool_prog_stats_print(t);
cleanup:
	if (stats_fd >= 0)
		close(stats_fd);
	if (release >= 0)
		close(release); /* EOF: a held command exits without running */
	if (child > 0)
		waitpid(child, NULL, 0);
	hmm_tracer__destroy(t);
	hmm_stats__free(stacks.s);
	hmm_stacktab__free(stacks.st);
	hmm_ksyms__free(ks);
	free(tot);
	return status;
}
