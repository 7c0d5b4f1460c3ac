// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* hmmtrace dump: live events, one aligned text line or one JSON object per event. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>
#include "hmmtrace.h"
#include <unistd.h>
#include <jansson.h>
#include "format.h"
#include "agg.h"
#include "hist.h"
#include "symtab.h"
#include "trace.h"

#define MAX_KEYS 1024

/* Statistics derived from the events, to set beside the in-kernel ones (--stats). */
struct ev_stats {
	__u64 counters[HMM_C_MAX];
	struct hmm_hist_key keys[MAX_KEYS];
	struct hmm_hist hists[MAX_KEYS];
	int nkeys;
	bool overflow;
};

struct dump {
	struct hmm_fmt fmt;
	unsigned long long count[HMM_REC_TYPE_MAX];
	unsigned long long total;
	int out_err; /* the first error writing the events (-errno): they are counted, not shown */
	unsigned long long shown;
	struct ev_stats *stats;
	unsigned int page_shift;
	struct hmm_stacktab *stacks; /* --stacks: those seen, for fmt.stacks */
	struct hmm_tracer *t;
};

static const struct tool_opt dump_opts[] = {
	OPT_INPUT("FILE", "replay the events of a trace file (hmmtrace record)"),
	OPT_PID,
	OPT_OWNER,
	OPT_MIN_US,
	OPT_DURATION("stop after S seconds"),
	OPT_JSON("JSON lines (one object per event; fields in hmmtrace(8))"),
	OPT_STALL_MS,
	OPT_MODE(OPT_MODE_HELP),
	OPT_RINGBUF_KB,
	OPT_PATHS,
	OPT_THRASH_MS,
	OPT_THRASH_MIN,
	OPT_STACKS,
	TOOL_OPT('s', "stats", "FILE",
		 "also aggregate in the kernel; at the end write its counters\n"
		 "and histograms beside the same statistics derived from the\n"
		 "events, as JSON (they are equal when nothing was lost)",
		 tool_opt_str, stats, .flags = TOOL_OPT_LIVE),
	OPT_HELP,
	OPT_VERSION,
	OPT_END,
};

static const struct tool_cmd dump_cmd = {
	.prog = "hmmtrace dump",
	.usage = "Usage: hmmtrace dump [OPTIONS]\n"
		 "       hmmtrace dump -i FILE [--json] [--stall-ms MS]\n",
	.about = "Print HMM events as they happen, until Ctrl-C or the duration ends; then a summary\n"
		 "on stderr, lost events included. With -i, replay a recording in the same format.",
	.opts = dump_opts,
};

static void ev_sample(void *ctx, const struct hmm_hist_key *key, __u64 v)
{
	struct ev_stats *st = ctx;
	int i;

	for (i = 0; i < st->nkeys; i++)
		if (!memcmp(&st->keys[i], key, sizeof(*key)))
			break;
	if (i == st->nkeys) {
		if (st->nkeys == MAX_KEYS) {
			st->overflow = true;
			return;
		}
		st->keys[st->nkeys++] = *key;
	}
	hmm_hist_add(&st->hists[i], v);
}

static int on_event(void *ctx, const struct hmm_rec_hdr *rec)
{
	struct dump *d = ctx;

	if (d->stats) {
		hmm_count_record(d->stats->counters, rec, d->page_shift);
		hmm_record_samples(rec, ev_sample, d->stats);
	}
	if (!d->fmt.base_ts)
		d->fmt.base_ts = rec->ts;
	if (d->stacks)
		tool_stack_learn(d->stacks, d->t, d->fmt.ksyms, rec);
	if (rec->type < HMM_REC_TYPE_MAX)
		d->count[rec->type]++;
	d->total++;
	if (d->out_err)
		return 0;
	/* A full disk or a closed pipe: stop printing, still count, say so at the end. */
	errno = 0;
	if (hmm_fmt_record(&d->fmt, rec))
		d->out_err = errno ? -errno : -EIO;
	else
		d->shown++;
	return 0;
}

/* The end of the events: flush them, and where writing failed say so, with how many made it. */
static void out_check(struct dump *d)
{
	errno = 0;
	if ((fflush(d->fmt.out) || ferror(d->fmt.out)) && !d->out_err)
		d->out_err = errno ? -errno : -EIO;
	if (d->out_err)
		tool_err("dump: cannot write standard output: %s (%llu of %llu events written)",
			 strerror(-d->out_err), d->shown, d->total);
}

static void summary(struct hmm_tracer *t, const struct dump *d, int ncpus)
{
	__u64 drops[1024] = {};
	long long lost = hmm_tracer__drops(t, drops, 1024);
	const struct hmm_ap_report *rep;
	size_t n;

	fprintf(stderr, "\n%llu events:", d->total);
	for (int i = 1; i < HMM_REC_TYPE_MAX; i++)
		if (d->count[i])
			fprintf(stderr, " %s %llu", hmm_rec_type_str(i), d->count[i]);
	fprintf(stderr, "\nlost %lld (ring buffer full)", lost < 0 ? 0 : lost);
	if (lost > 0) {
		fprintf(stderr, ", per CPU:");
		for (int c = 0; c < ncpus && c < 1024; c++)
			if (drops[c])
				fprintf(stderr, " cpu%d=%llu", c, (unsigned long long)drops[c]);
	}
	fputc('\n', stderr);
	if (d->stacks)
		tool_stacks_summary(t, d->stacks);
	rep = hmm_tracer__report(t, &n);
	for (size_t i = 0; i < n; i++)
		if (rep[i].state != HMM_AP_ATTACHED && rep[i].state != HMM_AP_DISABLED)
			fprintf(stderr, "not live: %s (%s)\n", rep[i].func,
				hmm_ap_state_str(rep[i].state));
}

static json_t *json_counters(const __u64 *c)
{
	json_t *o = json_object();
	char buf[64];

	for (unsigned int i = 0; i < HMM_C_MAX; i++)
		json_object_set_new(o, hmm_counter_name(i, buf, sizeof(buf)), json_integer(c[i]));
	return o;
}

static json_t *json_hist(const struct hmm_hist_key *k, const struct hmm_hist *h,
			 const struct hmm_fmt *fmt)
{
	return hmm_json_hist_key(k, hmm_fmt_driver(fmt, k->driver), h);
}

struct kh_ctx {
	json_t *arr;
	const struct hmm_fmt *fmt;
};

static int kernel_hist(void *ctx, const struct hmm_hist_key *k, const struct hmm_hist *h)
{
	struct kh_ctx *c = ctx;

	json_array_append_new(c->arr, json_hist(k, h, c->fmt));
	return 0;
}

/* --stats FILE: in-kernel counters and histograms beside the same ones derived from events. */
static int write_stats(struct hmm_tracer *t, const struct dump *d, FILE *f, const char *path)
{
	json_t *o = json_object(), *k = json_object(), *e = json_object(), *ev = json_object();
	struct kh_ctx kc = { .arr = json_array(), .fmt = &d->fmt };
	json_t *eh = json_array();
	__u64 c[HMM_C_MAX];
	int err = 0;

	for (int i = 1; i < HMM_REC_TYPE_MAX; i++)
		json_object_set_new(ev, hmm_rec_type_str(i), json_integer(d->count[i]));
	json_object_set_new(o, "events", ev);
	json_object_set_new(o, "lost", json_integer(hmm_tracer__drops(t, NULL, 0)));
	if (!hmm_tracer__counters(t, c))
		json_object_set_new(k, "counters", json_counters(c));
	hmm_tracer__hists(t, kernel_hist, &kc);
	json_object_set_new(k, "hists", kc.arr);
	json_object_set_new(o, "kernel", k);
	json_object_set_new(e, "counters", json_counters(d->stats->counters));
	for (int i = 0; i < d->stats->nkeys; i++)
		json_array_append_new(eh, json_hist(&d->stats->keys[i], &d->stats->hists[i],
						    &d->fmt));
	json_object_set_new(e, "hists", eh);
	json_object_set_new(e, "keys_overflow", json_boolean(d->stats->overflow));
	json_object_set_new(o, "from_events", e);
	if (json_dumpf(o, f, JSON_INDENT(1) | JSON_PRESERVE_ORDER) || fflush(f)) {
		tool_err("--stats: cannot write %s: %s", path, strerror(errno));
		err = -EIO;
	}
	json_decref(o);
	return err;
}

/* dump -i: the events of a recording, in the live formats, then the same summary. */
static int replay(struct dump *d, const char *path)
{
	struct hmm_trace_reader *r = open_trace("dump", path);
	const struct hmm_trace_read_stats *st;
	int err, status = EXIT_OK;

	if (!r)
		return EXIT_PARTIAL;
	d->fmt.syms = hmm_trace_reader__symtab(r);
	d->fmt.stacks = hmm_trace_reader__stacks(r);
	if (!d->fmt.syms) {
		tool_err("dump: out of memory");
		hmm_trace_reader__close(r);
		return EXIT_PARTIAL;
	}
	hmm_fmt_header(&d->fmt);
	err = hmm_trace_replay(r, on_event, d);
	out_check(d);
	if (err < 0) {
		tool_err("dump: reading %s: %s", path, strerror(-err));
		status = EXIT_PARTIAL;
	}
	st = hmm_trace_reader__stats(r);
	fprintf(stderr, "\n%llu events:", d->total - d->count[HMM_REC_LOST]);
	for (int i = 1; i < HMM_REC_TYPE_MAX; i++)
		if (d->count[i] && i != HMM_REC_LOST)
			fprintf(stderr, " %s %llu", hmm_rec_type_str(i), d->count[i]);
	fprintf(stderr, "\nlost %llu (ring buffer full while recording)\n",
		(unsigned long long)st->lost);
	warn_damage(path, st);
	if (d->out_err)
		status = EXIT_PARTIAL;
	hmm_trace_reader__close(r);
	return status;
}

int cmd_dump(int argc, char **argv)
{
	struct hmm_tracer_opts opts;
	struct dump d = { .fmt = { .out = stdout } };
	struct tool_opts to = { .tracer = { .sz = sizeof(opts), .events = true } };
	unsigned long long duration;
	const char *stats_path;
	FILE *stats_f = NULL;
	struct hmm_tracer *t = NULL;
	int err, status = EXIT_OK;
	double deadline = 0;

	if (cmd_parse(&dump_cmd, argc, argv, &to, 0, &status) < 0)
		return status;
	opts = to.tracer;
	duration = to.duration;
	stats_path = to.stats;
	d.fmt.json = to.json;
	d.fmt.stall_ns = to.stall_ns;
	if (to.input) {
		if (tool_live_given()) {
			tool_err("dump: %s is for live tracing; with -i only --json and --stall-ms "
				 "apply",
				 tool_live_given());
			return EXIT_USAGE;
		}
		return replay(&d, to.input);
	}
	if (stats_path) {
		/* Opened now: after attaching, dump keeps no privileges to open files with. */
		stats_f = fopen(stats_path, "w");
		if (!stats_f) {
			tool_err("dump: cannot create %s: %s", stats_path, strerror(errno));
			return EXIT_PARTIAL;
		}
		d.stats = calloc(1, sizeof(*d.stats));
		if (!d.stats) {
			tool_err("dump: out of memory");
			return EXIT_PARTIAL;
		}
		opts.aggregate = true;
	}
	d.page_shift = __builtin_ctzl(sysconf(_SC_PAGESIZE));
	opts.on_event = on_event;
	opts.ctx = &d;
	d.fmt.ksyms = hmm_ksyms__load(NULL);
	if (!d.fmt.ksyms)
		tool_err("warning: cannot read /proc/kallsyms (%s): drivers will show as unknown",
			 strerror(errno));

	if (opts.stacks && !(d.stacks = hmm_stacktab__new())) {
		tool_err("dump: out of memory");
		status = EXIT_PARTIAL;
		goto cleanup;
	}
	d.fmt.stacks = d.stacks;
	status = start_tracer(&opts, "dump", &t);
	if (status != EXIT_OK)
		goto cleanup;
	d.t = t;
	tool_drop_privileges();
	tool_signals();
	/* Scripts wait for this line: events from here on are caught. */
	fprintf(stderr, "hmmtrace: tracing %d attach points%s, Ctrl-C to stop\n",
		__builtin_popcount(hmm_tracer__live_mask(t)), duration ? " for the duration" : "");
	hmm_fmt_header(&d.fmt);
	fflush(stdout);
	if (duration)
		deadline = tool_now_s() + duration;
	while (!tool_exiting && (!deadline || tool_now_s() < deadline)) {
		err = hmm_tracer__poll(t, 100);
		if (err < 0 && err != -EINTR) {
			tool_err("dump: reading the ring buffer: %s", strerror(-err));
			status = EXIT_PARTIAL;
			break;
		}
		fflush(stdout);
	}
	/* Drain what is already in the ring buffer before the summary. */
	while (hmm_tracer__poll(t, 0) > 0)
		;
	out_check(&d);
	if (d.out_err)
		status = EXIT_PARTIAL;
	summary(t, &d, libbpf_num_possible_cpus());
	if (stats_f && write_stats(t, &d, stats_f, stats_path))
		status = EXIT_PARTIAL;
cleanup:
	if (stats_f)
		fclose(stats_f);
	free(d.stats);
	hmm_tracer__destroy(t);
	hmm_stacktab__free(d.stacks);
	hmm_ksyms__free(d.fmt.ksyms);
	return status;
}
