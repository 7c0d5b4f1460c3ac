// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hmmtop: who is faulting, retrying and migrating right now. Records come from the ring buffer
 * (live) or a trace file (-r), go through hmm_stats__add() like in every other tool, and the
 * model (model.c) turns the stats into rows each interval; ui.c draws them, batch mode (-b)
 * prints them.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "hist.h"
#include "rec.h"
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
	TOOL_OPT('g', "group", "GROUP", "rows per owner (default) or per driver", tool_opt_str,
		 group),
	TOOL_OPT('k', "kprobe", NULL, "attach with kprobes (same as --mode kprobe)", tool_opt_flag,
		 kprobe, .flags = TOOL_OPT_LIVE),
	OPT_MODE(OPT_MODE_HELP),
	OPT_PATHS,
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

/* ---- sources ------------------------------------------------------------------------------ */

static int on_event(void *ctx, const struct hmm_rec_hdr *rec)
{
	struct top_app *a = ctx;

	hmm_stats__add(a->s, rec);
	return 0;
}

static const char *driver_name(void *ctx, __u64 addr)
{
	return hmm_symtab__driver(ctx, addr);
}

/* The filters of a live session, applied to a replay: caller (-p) and owner (--owner). Records
 * without them (lost events) always count. */
static bool replay_keep(const struct top_app *a, const struct hmm_rec_hdr *rec)
{
	const struct hmm_rec_desc *d = hmm_rec_desc(rec->type);

	if ((!a->pid && !a->owner) || !d)
		return true;
	if (a->pid && d->caller && d->caller(rec)->pid != a->pid)
		return false;
	return !a->owner || !d->owner || d->owner(rec)->pid == a->owner;
}

static void source(struct top_app *a, struct top_source *src)
{
	memset(src, 0, sizeof(*src));
	if (a->t) {
		__u64 c[HMM_C_MAX];
		long long d;

		if (!hmm_tracer__counters(a->t, c)) {
			src->lost = c[HMM_C_RINGBUF_DROPS] + c[HMM_C_STATE_DROPS];
		} else {
			d = hmm_tracer__drops(a->t, NULL, 0);
			src->lost = d > 0 ? d : 0;
		}
		src->not_live_mask = a->not_live_mask;
	} else {
		/* HMM_REC_LOST records read so far (hmm_count_record() adds them here). */
		src->lost = a->s->c[HMM_C_RINGBUF_DROPS];
		src->not_live = a->not_live;
	}
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
	double step = a->interval_ns / 1e9;

	if (!a->t)
		step = a->speed > 0 ? step / a->speed : 0;
	return step;
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

/*
 * Read records of the interval ending at a->boundary into the stats, at most max of them (0: no
 * limit). Returns 1 once the interval is complete (the next record is held for a later interval,
 * or the file ended: a->eof), 0 when max ran out first, or -errno.
 */
static int replay_read(struct top_app *a, unsigned long max)
{
	const struct hmm_rec_hdr *rec;
	unsigned long n = 0;
	int err;

	if (a->eof)
		return 1;
	for (;;) {
		if (a->held) {
			rec = (const void *)a->hold;
		} else {
			if (max && n++ >= max)
				return 0;
			err = hmm_trace_reader__next(a->r, &rec);
			if (err < 0)
				return err;
			if (err == 0) {
				a->eof = true;
				return 1;
			}
		}
		if (!a->started) {
			const struct hmm_trace_meta *meta = hmm_trace_reader__meta(a->r);
			__u64 t0 = rec->ts;

			if (meta->start_mono_ns && meta->start_mono_ns <= t0)
				t0 = meta->start_mono_ns;
			a->boundary = t0 + a->interval_ns;
			a->started = true;
		}
		/* Records of a later interval wait; an earlier one (records are ordered by when
		 * they ended, stamped with when they began) counts in the current interval. */
		if (hmm_rec_desc(rec->type) && !hmm_rec_desc(rec->type)->event)
			continue; /* clock and symbol records: the reader learns the symbols itself */
		if (rec->ts >= a->boundary) {
			if (!a->held) {
				memcpy(a->hold, rec, rec->size);
				a->held = true;
			}
			return 1;
		}
		a->held = false;
		a->taken++;
		if (replay_keep(a, rec))
			hmm_stats__add(a->s, rec);
	}
}

void top_pump(struct top_app *a, int ms)
{
	double end = now_s() + ms / 1e3;
	struct timespec ts;
	double left;
	int err;

	if (a->t) {
		err = hmm_tracer__poll(a->t, ms);
		if (err < 0 && err != -EINTR && !a->err)
			a->err = err;
		return;
	}
	/* A replay reads ahead while it waits, as a live session drains the ring buffer, so the
	 * interval's end only has the model to update and the tables come out on time. */
	while (!tool_exiting && !a->ended && !a->err) {
		err = replay_read(a, 4096);
		if (err < 0) {
			a->err = err;
			break;
		}
		if (err == 1 || now_s() >= end)
			break;
	}
	left = end - now_s();
	if (left > 0) {
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL); /* a signal ends it early: the loop then sees the flag */
	}
}

/*
 * The next interval holds nothing and the next record is further on: unpaced (--speed 0) the empty
 * intervals between are not shown, one table each (a day's gap was 86,400 of them); paced, a gap
 * longer than GAP_S is not waited through either (a record a century ahead would never come).
 * Says so once per gap. Returns the recorded time passed over.
 */
#define GAP_S 60

static __u64 skip_gap(struct top_app *a)
{
	__u64 next, skip;
	char d[32];

	if (!a->held || a->ended || a->taken)
		return 0;
	/* The interval about to be read ends at boundary: it is empty when the next record is at
	 * or past it. Skip to the interval that holds that record. */
	next = ((const struct hmm_rec_hdr *)(const void *)a->hold)->ts;
	if (next < a->boundary)
		return 0;
	skip = ((next - a->boundary) / a->interval_ns + 1) * a->interval_ns;
	if (a->speed != 0 && skip < GAP_S * 1000000000ULL)
		return 0;
	a->boundary += skip;
	hmm_fmt_duration(d, sizeof(d), skip);
	if (a->batch)
		tool_err("replay: %s of the recording without events passed over", d);
	return skip;
}

int top_tick(struct top_app *a)
{
	struct top_source src;
	__u64 elapsed, skipped = 0;
	int err;

	if (a->t) {
		double now = now_s();

		elapsed = (__u64)((now - a->last_update) * 1e9 + 0.5);
		a->last_update = now;
	} else {
		if (a->ended)
			return 1;
		skipped = skip_gap(a);
		err = replay_read(a, 0);
		if (err < 0) {
			a->err = err;
			a->ended = true;
			return err;
		}
		if (a->eof)
			a->ended = true; /* this is the last interval */
		a->boundary += a->interval_ns;
		a->taken = 0;
		elapsed = a->interval_ns;
	}
	source(a, &src);
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

static int start_live(struct top_app *a, struct hmm_tracer_opts *opts)
{
	const struct hmm_ap_report *rep;
	size_t n, i;
	int err;

	opts->on_event = on_event;
	opts->ctx = a;
	a->t = hmm_tracer__open(opts);
	if (!a->t) {
		tool_err("%s", strerror(errno));
		return EXIT_FAIL;
	}
	err = hmm_tracer__load(a->t);
	if (err) {
		tool_load_error(err);
		return EXIT_NONE;
	}
	err = hmm_tracer__attach(a->t);
	rep = hmm_tracer__report(a->t, &n);
	for (i = 0; i < n; i++) {
		if (rep[i].state == HMM_AP_ATTACHED || rep[i].state == HMM_AP_DISABLED)
			continue;
		a->not_live_mask |= 1u << rep[i].ap;
		/* Said before the screen takes over; the header lists them too. */
		tool_err("warning: %s is not live (%s): %s", rep[i].func,
			 hmm_ap_state_str(rep[i].state), rep[i].reason);
	}
	if (err) {
		tool_err("nothing could be attached on this kernel");
		return EXIT_NONE;
	}
	tool_drop_privileges();
	return EXIT_OK;
}

static int open_replay(struct top_app *a, unsigned int *page_shift)
{
	const struct hmm_trace_meta *meta;
	size_t len = 0;
	__u32 i;

	/* Without read-ahead: a replay is paced, the reading is not what it waits for. */
	a->r = tool_open_trace("replay", a->path, false);
	if (!a->r)
		return EXIT_FAIL;
	meta = hmm_trace_reader__meta(a->r);
	if (meta->page_size > 1 && !(meta->page_size & (meta->page_size - 1)))
		*page_shift = __builtin_ctz(meta->page_size);
	for (i = 0; i < meta->n_aps && i < HMM_TRACE_MAX_APS; i++) {
		const struct hmm_trace_ap *ap = &meta->aps[i];

		if (ap->state == HMM_AP_ATTACHED || ap->state == HMM_AP_DISABLED)
			continue;
		len += snprintf(a->not_live + len,
				len < sizeof(a->not_live) ? sizeof(a->not_live) - len : 0, "%s%.*s",
				len ? "," : "", HMM_TRACE_FUNC_LEN, ap->func);
		if (len >= sizeof(a->not_live))
			len = sizeof(a->not_live) - 1;
	}
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct tool_opts to = { .tracer = { .sz = sizeof(to.tracer), .events = true },
				.delay = 1, .speed = 1 };
	struct hmm_tracer_opts opts;
	struct hmm_stats_opts sopts = {.sz = sizeof(sopts)};
	struct top_app *a;
	struct hmm_ksyms *ks = NULL;
	unsigned int page_shift;
	double secs;
	bool batch;
	int first, sort = -1, group = TOP_BY_OWNER, status = EXIT_OK;

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
	if (to.sort) {
		sort = top_col_by_name(to.sort);
		if (sort < 0) {
			tool_err("--sort: no column '%s' (see --help and hmmtop(8))", to.sort);
			return EXIT_USAGE;
		}
	}
	if (to.group && !strcmp(to.group, "driver")) {
		group = TOP_BY_DRIVER;
	} else if (to.group && strcmp(to.group, "owner")) {
		tool_err("--group: '%s' is not one of owner, driver", to.group);
		return EXIT_USAGE;
	}
	/* A replay has no attach points: what only live tracing uses is refused, not ignored. */
	if (to.input && (to.kprobe || tool_given("mode") || tool_given("paths"))) {
		tool_err("-r replays a recording: %s is for live tracing",
			 to.kprobe ? "-k" : tool_given("mode") ? "--mode" : "--paths");
		return EXIT_USAGE;
	}
	if (!to.input && to.speed_set) {
		tool_err("--speed is for a replay (-r FILE)");
		return EXIT_USAGE;
	}
	opts = to.tracer;
	if (to.kprobe)
		opts.mode = HMM_MODE_KPROBE;
	tool_verbose = to.verbose;
	secs = to.delay;
	batch = to.batch;
	a = calloc(1, sizeof(*a));
	if (!a) {
		tool_err("out of memory");
		return EXIT_FAIL;
	}
	a->pid = opts.pid;
	a->owner = opts.owner;
	a->count = to.iterations;
	a->path = to.input;
	a->speed = to.speed;
	a->batch = batch;
	a->interval_ns = (__u64)(secs * 1e9 + 0.5);

	page_shift = __builtin_ctzl(sysconf(_SC_PAGESIZE));
	if (a->path) {
		snprintf(a->what, sizeof(a->what), "replay %s", a->path);
		status = open_replay(a, &page_shift);
		if (status != EXIT_OK)
			goto cleanup;
	} else {
		snprintf(a->what, sizeof(a->what), "live");
		ks = hmm_ksyms__load(NULL);
		if (!ks)
			tool_err("warning: cannot read /proc/kallsyms (%s): drivers will show as "
				 "unknown",
				 strerror(errno));
	}
	/* A replay names drivers from the file's own symbols, which its reader learns. */
	a->syms = a->r ? hmm_trace_reader__symtab(a->r) : (a->own_syms = hmm_symtab__new(ks));
	sopts.page_shift = page_shift;
	sopts.driver_name = driver_name;
	sopts.ctx = a->syms;
	a->s = a->syms ? hmm_stats__new(&sopts) : NULL;
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
	if (!a->path) {
		opts.pid = a->pid;
		opts.owner = a->owner;
		status = start_live(a, &opts);
		if (status != EXIT_OK)
			goto cleanup;
		if (batch) /* scripts wait for this line: events from here on are caught */
			fprintf(stderr, "hmmtop: tracing %d attach points, every %gs\n",
				__builtin_popcount(hmm_tracer__live_mask(a->t)), secs);
		a->last_update = now_s();
		a->next_due = now_s() + secs;
	} else {
		a->next_due = now_s(); /* the first interval at once */
	}

	status = batch ? run_batch(a) : top_ui_run(a);
	if (a->err) {
		tool_err("reading %s: %s", a->path ? a->path : "the ring buffer",
			 strerror(-a->err));
		status = EXIT_FAIL;
	}
cleanup:
	top_model__free(a->m);
	hmm_stats__free(a->s);
	hmm_trace_reader__close(a->r);
	hmm_tracer__destroy(a->t);
	hmm_symtab__free(a->own_syms);
	hmm_ksyms__free(ks);
	free(a);
	return status;
}
