// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hmmtrace record: per-event records into a trace file (docs/FORMAT.md), system-wide or for a
 * command and its children, like `perf record`. Everything the consumer sees goes to the file in
 * order: the records, a HMM_REC_SYM record before the first record naming an address, and a
 * HMM_REC_LOST record whenever the ring buffer's drop count grew. --report computes the report
 * from exactly that stream, as `hmmtrace report` does from the file.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "hmmtrace.h"
#include "stats.h"
#include "symtab.h"
#include "trace.h"

struct recorder {
	struct hmm_trace_writer *w;
	struct hmm_symtab *syms;
	struct hmm_stacktab *stacks; /* --stacks: those written so far */
	struct hmm_tracer *t;
	const struct hmm_ksyms *ks;
	struct hmm_stats *stats; /* --report */
	long long lost_seen;
	int err; /* the first write error: recording stops */
};

static const struct tool_opt record_opts[] = {
	OPT_OUTPUT("FILE", "the trace file (created or truncated)"),
	OPT_PID,
	OPT_OWNER,
	OPT_MIN_US,
	OPT_DURATION("stop after S seconds"),
	OPT_MODE(OPT_MODE_HELP),
	OPT_RINGBUF_KB,
	OPT_PATHS,
	OPT_THRASH_MS,
	OPT_THRASH_MIN,
	TOOL_OPT(0, "flush-ms", "MS",
		 "write buffered events at least this often (default 1000):\n"
		 "at most this much is lost if hmmtrace is killed",
		 tool_opt_u64, flush_ms, .min = 1, .max = 3600 * 1000),
	TOOL_OPT(0, "coding", "C",
		 "delta (default: each record coded against an earlier one\n"
		 "of its type, twice as fast to write) or plain (readable by\n"
		 "format 1.0 readers)",
		 tool_opt_str, coding),
	TOOL_OPT(0, "report", "FILE",
		 "also write the report (as `hmmtrace report --json`) of the\n"
		 "recorded events, computed while recording",
		 tool_opt_str, report),
	OPT_STALL_MS,
	OPT_STACKS,
	OPT_PROG_STATS,
	OPT_HELP,
	OPT_VERSION,
	OPT_END,
};

static const struct tool_cmd record_cmd = {
	.prog = "hmmtrace record",
	.usage = "Usage: hmmtrace record -o FILE [OPTIONS] [-- COMMAND [ARGS...]]\n",
	.about = "Record HMM events into FILE: system-wide, or for the memory of COMMAND and of the\n"
		 "children it forks, until COMMAND exits, the duration ends, or SIGINT/SIGTERM.\n"
		 "Then print one line: events, lost events, bytes and the compression ratio.\n"
		 "Meanwhile, when stderr is a terminal, a status line is rewritten every second:\n"
		 "events, lost events, MB written and their rates.",
	.opts = record_opts,
	.epilogue = "With COMMAND, its exit status is record's own exit status.\n",
	.stop_at_arg = true,
};

static __u64 now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* What goes into the file also goes into the live statistics, in the same order. */
static int put(struct recorder *r, const struct hmm_rec_hdr *rec)
{
	int err = hmm_trace_writer__add(r->w, rec);

	if (err) {
		if (!r->err)
			r->err = err;
		return err;
	}
	if (r->stats)
		hmm_stats__add(r->stats, rec);
	return 0;
}

static int on_event(void *ctx, const struct hmm_rec_hdr *rec)
{
	struct recorder *r = ctx;
	const struct hmm_rec_stack *stack;
	__u64 addrs[2];
	int i, n;

	if (r->err)
		return 0; /* stopping: the loop sees r->err */
	n = hmm_rec_addrs(rec, addrs);
	for (i = 0; i < n; i++) {
		const struct hmm_rec_sym *s;
		struct hmm_rec_sym copy;
		bool added;

		s = hmm_symtab__get(r->syms, addrs[i], &added);
		if (!s || !added)
			continue;
		copy = *s;
		copy.hdr.ts = rec->ts;
		copy.hdr.cpu = rec->cpu;
		if (put(r, &copy.hdr))
			return 0;
	}
	stack = tool_stack_learn(r->stacks, r->t, r->ks, rec);
	if (stack && put(r, &stack->hdr))
		return 0;
	put(r, rec);
	return 0;
}

/* A HMM_REC_LOST record for what the ring buffer dropped since the last check. */
static void check_lost(struct recorder *r, struct hmm_tracer *t)
{
	long long lost = hmm_tracer__drops(t, NULL, 0);
	struct hmm_rec_lost rec = {
		.hdr = { .type = HMM_REC_LOST, .size = sizeof(rec) },
	};

	if (lost <= r->lost_seen || r->err)
		return;
	rec.hdr.ts = now_ns(CLOCK_MONOTONIC);
	rec.count = lost - r->lost_seen;
	r->lost_seen = lost;
	put(r, &rec.hdr);
}

static void fill_meta(struct hmm_trace_meta *m, const struct hmm_tracer_opts *opts,
		      struct hmm_tracer *t, char **cmd)
{
	const struct hmm_ap_report *rep;
	size_t n, len = 0;

	for (; cmd && *cmd && len + 1 < sizeof(m->command); cmd++)
		len += snprintf(m->command + len, sizeof(m->command) - len, "%s%s", len ? " " : "",
				*cmd);
	m->schema = HMM_SCHEMA_VERSION;
	m->filter_pid = opts->pid;
	m->filter_owner = opts->owner;
	m->filter_min_dur_ns = opts->min_dur_ns;
	rep = hmm_tracer__report(t, &n);
	for (size_t i = 0; i < n && i < HMM_TRACE_MAX_APS; i++) {
		struct hmm_trace_ap *a = &m->aps[m->n_aps++];

		a->ap = rep[i].ap;
		a->state = rep[i].state;
		a->mode = rep[i].mode;
		a->err = rep[i].err;
		snprintf(a->func, sizeof(a->func), "%s", rep[i].func);
		snprintf(a->reason, sizeof(a->reason), "%s", rep[i].reason);
	}
	m->start_mono_ns = now_ns(CLOCK_MONOTONIC);
	m->start_real_ns = now_ns(CLOCK_REALTIME);
}

/* Bookkeeping records (lost counts, clock pairs, symbols) are not events. */
static __u64 events_of(const struct hmm_trace_totals *tot)
{
	return tot->records - tot->per_type[HMM_REC_LOST] - tot->per_type[HMM_REC_CLOCK] -
	       tot->per_type[HMM_REC_SYM] - tot->per_type[HMM_REC_STACK];
}

/*
 * The live status line on a terminal: rewritten in place every second, events and bytes per
 * second over the last interval. Where the terminal says how many rows it has, the line lives on
 * the last one, below a scroll region of the others (as apt's progress bar does): the command's
 * own output on the same terminal scrolls above it and never lands in the middle of it. Where
 * the size is unknown (a serial console that was never told), it is rewritten on the cursor's
 * row (\r, then erase to the end of the line), which output of the command can leave behind.
 */
struct status_line {
	bool on;    /* stderr is a terminal */
	bool shown; /* a line is on the screen */
	int rows;   /* the terminal's rows while the last one is reserved; 0: none is */
	double last_s;
	__u64 last_events, last_bytes;
};

static void status_format(char *buf, size_t len, const struct hmm_trace_totals *tot, double secs,
			  double ev_rate, double byte_rate)
{
	snprintf(buf, len, "recording %.0f s: %llu events (%.0f/s), %llu lost, %.2f MB written "
		 "(%.2f MB/s)", secs, (unsigned long long)events_of(tot), ev_rate,
		 (unsigned long long)tot->lost, tot->file_bytes / 1e6, byte_rate / 1e6);
}

/* One write(): a tty takes it whole, so the command's own writes cannot split a sequence. */
static void status_write(const char *buf, int n)
{
	if (n > 0)
		(void)!write(STDERR_FILENO, buf, n);
}

static void status_update(struct status_line *sl, const struct hmm_trace_writer *w, double start)
{
	const struct hmm_trace_totals *tot;
	double now = tool_now_s(), dt;
	struct winsize ws = {};
	char line[160], out[320];
	int n = 0;

	if (!sl->on || now - sl->last_s < 1.0)
		return;
	tot = hmm_trace_writer__totals(w);
	dt = now - sl->last_s;
	status_format(line, sizeof(line), tot, now - start, (events_of(tot) - sl->last_events) / dt,
		      (tot->file_bytes - sl->last_bytes) / dt);
	(void)ioctl(STDERR_FILENO, TIOCGWINSZ, &ws);
	/* One row: a line that wrapped would not be rewritten in place. */
	if (ws.ws_col > 1 && ws.ws_col <= sizeof(line))
		line[ws.ws_col - 1] = '\0';
	if (ws.ws_row >= 3 && ws.ws_row != sl->rows) {
		/* Reserve the last row (again, after a resize): a new line makes room below the
		 * cursor, the scroll region ends above the last row (setting it homes the cursor,
		 * hence save and restore), and the cursor goes back up to its row. After a resize,
		 * the old row is erased first: in a taller terminal it is inside the region. */
		if (sl->rows)
			n = snprintf(out, sizeof(out), "\0337\033[%d;1H\033[K\0338", sl->rows);
		n += snprintf(out + n, sizeof(out) - n, "\n\0337\033[1;%dr\0338\033[1A",
			      ws.ws_row - 1);
		sl->rows = ws.ws_row;
	}
	if (sl->rows)
		n += snprintf(out + n, sizeof(out) - n, "\0337\033[%d;1H\033[m%s\033[K\0338",
			      sl->rows, line);
	else
		n = snprintf(out, sizeof(out), "\r%s\033[K", line);
	status_write(out, n);
	sl->shown = true;
	sl->last_s = now;
	sl->last_events = events_of(tot);
	sl->last_bytes = tot->file_bytes;
}

/* Erase the status line (and give the terminal its whole height back) before anything else is
 * printed for good. */
static void status_clear(struct status_line *sl)
{
	char out[64];

	if (sl->shown && sl->rows)
		status_write(out, snprintf(out, sizeof(out), "\0337\033[r\033[%d;1H\033[K\0338",
					   sl->rows));
	else if (sl->shown)
		status_write("\r\033[K", 4);
	sl->on = sl->shown = false;
	sl->rows = 0;
}

static void print_summary(const char *path, const struct hmm_trace_totals *tot, double secs)
{
	__u64 events = events_of(tot);

	fprintf(stderr, "hmmtrace: recorded %llu events, lost %llu, in %.2f s to %s: %llu bytes "
		"(%.1f per event), compression %.1f:1\n", (unsigned long long)events,
		(unsigned long long)tot->lost, secs, path, (unsigned long long)tot->file_bytes,
		events ? (double)tot->file_bytes / events : 0.0,
		tot->file_bytes ? (double)tot->raw_bytes / tot->file_bytes : 0.0);
}

static const char *driver_of(void *ctx, __u64 addr)
{
	return hmm_symtab__driver(ctx, addr);
}

/*
 * Poll the ring buffer into the file until the deadline (0: none), a signal, a write error or the
 * command's exit; returns the command's exit status (128 + signal), or EXIT_OK or EXIT_PARTIAL
 * without one. *child is 0 once the command was reaped.
 */
static int record_loop(struct recorder *r, struct hmm_tracer *t, struct status_line *sl,
		       pid_t *child, double start, double deadline)
{
	int err, wstatus;

	while (!r->err && (!deadline || tool_now_s() < deadline)) {
		if (tool_exiting) {
			/* SIGTERM for us is SIGTERM for the command; Ctrl-C reached its group. */
			if (!*child)
				break;
			kill(*child, SIGTERM);
			tool_exiting = 0;
		}
		err = hmm_tracer__poll(t, 100);
		if (err < 0 && err != -EINTR) {
			status_clear(sl);
			tool_err("record: reading the ring buffer: %s", strerror(-err));
			return EXIT_PARTIAL;
		}
		check_lost(r, t);
		if (!r->err && (err = hmm_trace_writer__tick(r->w, now_ns(CLOCK_MONOTONIC))))
			r->err = err;
		status_update(sl, r->w, start);
		if (*child && waitpid(*child, &wstatus, WNOHANG) == *child) {
			*child = 0;
			return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
		}
	}
	return EXIT_OK;
}

/* Flush and close the file (its index and totals) and print the summary: -1 when the file is
 * incomplete (the error was said). */
static int record_close(struct recorder *r, const char *path, double start)
{
	struct hmm_trace_totals tot;
	struct stat sb;
	int err;

	err = r->err ? 0 : hmm_trace_writer__flush(r->w);
	tot = *hmm_trace_writer__totals(r->w);
	err = hmm_trace_writer__close(r->w) ?: err;
	r->w = NULL;
	if (err && !r->err)
		tool_err("record: finishing %s: %s", path, strerror(-err));
	if (!stat(path, &sb))
		tot.file_bytes = sb.st_size; /* the index and footer included */
	print_summary(path, &tot, tool_now_s() - start);
	return err || r->err ? -1 : 0;
}

int cmd_record(int argc, char **argv)
{
	struct hmm_tracer_opts opts;
	struct hmm_trace_writer_opts wopts = { .sz = sizeof(wopts) };
	struct hmm_stats_opts sopts = { .sz = sizeof(sopts) };
	struct tool_opts to = { .tracer = { .sz = sizeof(opts), .events = true } };
	const char *path, *report_path;
	struct recorder r = {};
	struct status_line sl = {};
	struct hmm_trace_meta *meta = NULL;
	struct hmm_ksyms *ks = NULL;
	struct hmm_tracer *t = NULL;
	FILE *report_f = NULL;
	unsigned long long duration;
	int err, status = EXIT_OK, release = -1, stats_fd = -1, first;
	bool have_cmd;
	double start = 0, deadline = 0;
	pid_t child = 0;

	first = cmd_parse(&record_cmd, argc, argv, &to, -1, &status);
	if (first < 0)
		return status;
	opts = to.tracer;
	opts.verifier_stats = to.prog_stats;
	duration = to.duration;
	path = to.output;
	report_path = to.report;
	wopts.flush_ms = to.flush_ms;
	if (to.coding && !strcmp(to.coding, "delta")) {
		wopts.coding = HMM_TRACE_CODING_DELTA;
	} else if (to.coding && !strcmp(to.coding, "plain")) {
		wopts.coding = HMM_TRACE_CODING_PLAIN;
	} else if (to.coding) {
		tool_err("record: --coding %s: the codings are delta and plain", to.coding);
		return EXIT_USAGE;
	}
	have_cmd = first < argc;
	if (!path) {
		tool_err("record: -o FILE is required (see --help)");
		return EXIT_USAGE;
	}
	if (have_cmd && opts.owner) {
		tool_err("record: --owner and a COMMAND both choose whose memory to trace; give one");
		return EXIT_USAGE;
	}

	meta = calloc(1, sizeof(*meta));
	ks = hmm_ksyms__load(NULL);
	if (!ks)
		tool_err("warning: cannot read /proc/kallsyms (%s): drivers will be recorded as "
			 "unknown", strerror(errno));
	r.syms = hmm_symtab__new(ks);
	r.ks = ks;
	if (opts.stacks && !(r.stacks = hmm_stacktab__new())) {
		tool_err("record: out of memory");
		status = EXIT_PARTIAL;
		goto cleanup;
	}
	if (!meta || !r.syms) {
		tool_err("record: out of memory");
		status = EXIT_PARTIAL;
		goto cleanup;
	}
	err = hmm_trace_meta_from_system(meta);
	if (err)
		tool_err("warning: record: cannot read all of the system's description: %s",
			 strerror(-err));
	sopts.page_shift = __builtin_ctzl(meta->page_size ? meta->page_size :
					  (unsigned long)sysconf(_SC_PAGESIZE));
	sopts.driver_name = driver_of;
	sopts.ctx = r.syms;
	sopts.stall_ns = to.stall_ns;
	sopts.stacks = r.stacks;
	if (report_path && !(r.stats = hmm_stats__new(&sopts))) {
		tool_err("record: out of memory");
		status = EXIT_PARTIAL;
		goto cleanup;
	}
	/* Opened now: after attaching, record keeps no privileges to open files with. */
	if (report_path && !(report_f = fopen(report_path, "w"))) {
		tool_err("record: cannot create %s: %s", report_path, strerror(errno));
		status = EXIT_PARTIAL;
		goto cleanup;
	}
	if (have_cmd) {
		child = tool_start_held(argv + first, &release);
		if (child < 0) {
			tool_err("record: cannot start '%s': %s", argv[first], strerror(errno));
			child = 0;
			status = EXIT_PARTIAL;
			goto cleanup;
		}
		opts.owner = child;
		opts.follow_children = true;
	}
	opts.on_event = on_event;
	opts.ctx = &r;
	status = start_tracer(&opts, "record", &t);
	if (status != EXIT_OK)
		goto cleanup;
	r.t = t;
	if (to.prog_stats)
		stats_fd = tool_prog_stats_on("record");
	fill_meta(meta, &opts, t, have_cmd ? argv + first : NULL);
	r.w = hmm_trace_writer__open(path, meta, &wopts);
	if (!r.w) {
		tool_err("record: cannot create %s: %s", path, strerror(errno));
		status = EXIT_PARTIAL;
		goto cleanup;
	}
	tool_drop_privileges();
	tool_signals();
	start = tool_now_s();
	sl.on = isatty(STDERR_FILENO);
	sl.last_s = start;
	sl.last_bytes = hmm_trace_writer__totals(r.w)->file_bytes; /* the header */
	if (duration)
		deadline = start + duration;
	/* Scripts wait for this line: events from here on are caught. */
	fprintf(stderr, "hmmtrace: recording %d attach points to %s, Ctrl-C to stop\n",
		__builtin_popcount(hmm_tracer__live_mask(t)), path);
	if (child) {
		if (write(release, "g", 1) != 1) {
			tool_err("record: cannot release the command: %s", strerror(errno));
			status = EXIT_PARTIAL;
			goto finish;
		}
		close(release);
		release = -1;
	}
	status = record_loop(&r, t, &sl, &child, start, deadline);
finish:
	status_clear(&sl);
	/* Drain what is already in the ring buffer. */
	while (!r.err && hmm_tracer__poll(t, 0) > 0)
		;
	check_lost(&r, t);
	if (r.stacks)
		tool_stacks_summary(t, r.stacks);
	if (to.prog_stats)
		tool_prog_stats_print(t);
	if (r.err)
		tool_err("record: writing %s failed: %s; the file keeps every chunk written before "
			 "(see `hmmtrace report -i %s`)", path, strerror(-r.err), path);
	if (r.w && record_close(&r, path, start))
		status = status ? status : EXIT_PARTIAL;
	if (r.stats && report_write(report_f, report_path, r.stats, meta))
		status = status ? status : EXIT_PARTIAL;
cleanup:
	if (stats_fd >= 0)
		close(stats_fd);
	if (release >= 0)
		close(release); /* EOF: a held command exits without running */
	if (child > 0) {
		kill(child, SIGTERM);
		waitpid(child, NULL, 0);
	}
	if (r.w)
		hmm_trace_writer__close(r.w);
	if (report_f)
		fclose(report_f);
	hmm_tracer__destroy(t);
	hmm_stats__free(r.stats);
	hmm_symtab__free(r.syms);
	hmm_stacktab__free(r.stacks);
	hmm_ksyms__free(ks);
	free(meta);
	return status;
}
