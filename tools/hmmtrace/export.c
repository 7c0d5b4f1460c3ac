// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hmmtrace export --format chrome: a recording as Chrome trace-event JSON, which Perfetto UI
 * and chrome://tracing open. Faults, migrations, read_begin waits and userfaults are complete
 * ("X") slices on the calling thread's track, invalidations on the invalidating thread's, retry
 * chains async ("b"/"e") spans, stalls (lib/stats.h) instant ("i") events on the stalled thread's
 * track, pages in flight counters ("C"), lost events global instant events, and process and thread
 * names metadata ("M"). Events are streamed one object at a time, each
 * built and escaped by jansson, so memory does not grow with the file.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "hmmtrace.h"
#include "format.h"
#include "kmap.h"
#include "rec.h"
#include "stats.h"
#include "symtab.h"
#include "trace.h"

/* Thread and process names seen, for the metadata events at the end. */
struct name {
	__u32 pid, tid;
	char comm[HMM_COMM_LEN + 1];
};

/* Pages in flight: +n at a slice's start, -n at its end, summed in time order at the end. */
struct step {
	__u64 ts;
	__s64 delta;
	__u8 kind; /* the record type whose pages they are */
};

struct exporter {
	FILE *out;
	struct hmm_fmt fmt; /* the records' JSON, with the file's symbols */
	__u64 base; /* ts of the first record: the file's time 0 */
	bool first_event;
	struct name *names;
	size_t n_names, cap_names;
	struct kmap tasks; /* (pid, tid) -> its name; (pid, ALL_TIDS) -> the process's first name */
	struct step *steps;
	size_t n_steps, cap_steps;
	__u64 chain_id;
	__u64 slices[HMM_REC_TYPE_MAX];
	__u64 stalls; /* stall instants */
	int err;
};

static const struct tool_opt export_opts[] = {
	OPT_INPUT("FILE", "the trace file written by `hmmtrace record`"),
	TOOL_OPT('f', "format", "FMT", "chrome (the only format so far)", tool_opt_str, format),
	OPT_OUTPUT("OUT", "write to OUT instead of standard output"),
	OPT_STALL_MS,
	OPT_HELP,
	OPT_VERSION,
	OPT_END,
};

static const struct tool_cmd export_cmd = {
	.prog = "hmmtrace export",
	.usage = "Usage: hmmtrace export -i FILE --format chrome [-o OUT] [--stall-ms MS]\n",
	.about = "Convert a recording into Chrome trace-event JSON for Perfetto UI\n"
		 "(ui.perfetto.dev) or chrome://tracing: faults, migrations and waits as slices on\n"
		 "per-thread tracks, invalidations on the invalidating thread, retry chains as async\n"
		 "spans, stalls as instants, pages in flight as counters, process and thread\n"
		 "names as metadata.",
	.opts = export_opts,
};

static double us(const struct exporter *x, __u64 ts)
{
	return ts >= x->base ? (double)(ts - x->base) / 1000.0 : 0.0;
}

static void emit(struct exporter *x, json_t *e)
{
	if (!x->err) {
		errno = 0;
		if (fputs(x->first_event ? "\n" : ",\n", x->out) == EOF ||
		    json_dumpf(e, x->out, JSON_COMPACT | JSON_PRESERVE_ORDER))
			x->err = errno ? -errno : -EIO; /* the real cause, for the message */
		x->first_event = false;
	}
	json_decref(e);
}

#define ALL_TIDS (~0ULL)

static void remember(struct exporter *x, const struct hmm_task *t)
{
	struct name *n;

	if ((!t->tid && !t->pid) || kmap_get(&x->tasks, t->pid, t->tid) >= 0)
		return;
	if (grow_array(&x->names, &x->cap_names, x->n_names + 1, sizeof(*x->names)) ||
	    kmap_put(&x->tasks, t->pid, t->tid, x->n_names) ||
	    (kmap_get(&x->tasks, t->pid, ALL_TIDS) < 0 &&
	     kmap_put(&x->tasks, t->pid, ALL_TIDS, x->n_names))) {
		x->err = -ENOMEM;
		return;
	}
	n = &x->names[x->n_names++];
	n->pid = t->pid;
	n->tid = t->tid;
	memcpy(n->comm, t->comm, HMM_COMM_LEN);
	n->comm[HMM_COMM_LEN] = 0;
}

static void step(struct exporter *x, __u64 ts, __u64 dur, __u64 pages, __u16 kind)
{
	if (!pages)
		return;
	if (grow_array(&x->steps, &x->cap_steps, x->n_steps + 2, sizeof(*x->steps))) {
		x->err = -ENOMEM;
		return;
	}
	x->steps[x->n_steps++] = (struct step){ .ts = ts, .delta = (__s64)pages, .kind = kind };
	x->steps[x->n_steps++] = (struct step){ .ts = ts + dur, .delta = -(__s64)pages,
						.kind = kind };
}

/* An event at ts on a task's track (the tracks of lost events: pid 0). */
static json_t *event(struct exporter *x, const char *ph, const char *name, const char *cat,
		     const struct hmm_task *t, __u64 ts)
{
	json_t *e = json_object();

	json_object_set_new(e, "name", json_string(name));
	json_object_set_new(e, "cat", json_string(cat));
	json_object_set_new(e, "ph", json_string(ph));
	json_object_set_new(e, "ts", json_real(us(x, ts)));
	json_object_set_new(e, "pid", json_integer(t ? t->pid : 0));
	json_object_set_new(e, "tid", json_integer(t ? t->tid : 0));
	if (t)
		remember(x, t);
	return e;
}

/*
 * One record as its descriptor says it shows (lib/rec.h): a slice on its caller's track, an async
 * span (retry chains) or a global instant (lost events), named by its title, in the category of
 * its type, with the record's own JSON (what dump --json writes) as args.
 */
static void export_record(struct exporter *x, const struct hmm_rec_hdr *rec)
{
	const struct hmm_rec_desc *d = hmm_rec_desc(rec->type);
	const struct hmm_task *t;
	json_t *e, *args;
	char title[64], id[24];
	__u64 dur;

	if (!d || d->chrome == HMM_CHROME_NONE)
		return;
	t = d->caller ? d->caller(rec) : NULL;
	dur = d->dur ? d->dur(rec) : 0;
	d->title(rec, title, sizeof(title));
	args = hmm_fmt_json(&x->fmt, rec);
	if (!args) {
		x->err = -ENOMEM;
		return;
	}
	switch (d->chrome) {
	case HMM_CHROME_SLICE:
		e = event(x, "X", title, d->name, t, rec->ts);
		json_object_set_new(e, "dur", json_real(dur / 1000.0));
		if (d->pages)
			step(x, rec->ts, dur, d->pages(rec), rec->type);
		break;
	case HMM_CHROME_SPAN:
		snprintf(id, sizeof(id), "0x%llx", (unsigned long long)++x->chain_id);
		e = event(x, "b", title, d->name, t, rec->ts);
		json_object_set_new(e, "id", json_string(id));
		json_object_set_new(e, "args", args);
		emit(x, e);
		e = event(x, "e", title, d->name, t, rec->ts + dur);
		json_object_set_new(e, "id", json_string(id));
		x->slices[rec->type]++;
		emit(x, e);
		return;
	case HMM_CHROME_INSTANT:
		e = event(x, "i", title, d->name, NULL, rec->ts);
		json_object_set_new(e, "s", json_string("g"));
		break;
	case HMM_CHROME_NONE:
	default:
		json_decref(args);
		return;
	}
	json_object_set_new(e, "args", args);
	x->slices[rec->type]++;
	emit(x, e);
}

/* A retry chain that was a stall (a chain record, or a lone call): an instant at its start on
 * the stalled thread's track, beside the chain's span or the call's slice. */
static void export_stall(struct exporter *x, const struct hmm_rec_hdr *rec)
{
	const struct hmm_rec_desc *d = hmm_rec_desc(rec->type);
	unsigned int why = hmm_rec_stall(rec, x->fmt.stall_ns);
	json_t *e, *a;

	if (!why || !d)
		return;
	e = event(x, "i", "stall", "stall", d->caller ? d->caller(rec) : NULL, rec->ts);
	json_object_set_new(e, "s", json_string("t"));
	a = json_object();
	json_object_set_new(a, "dur_ns", json_integer(d->dur ? d->dur(rec) : 0));
	json_object_set_new(a, "record", json_string(d->name));
	json_object_set_new(a, "timeout", json_boolean(why & HMM_STALL_TIMEOUT));
	json_object_set_new(a, "threshold_ns",
			    json_integer(x->fmt.stall_ns ? x->fmt.stall_ns : HMM_STALL_NS_DEFAULT));
	json_object_set_new(e, "args", a);
	x->stalls++;
	emit(x, e);
}

static int export_event(void *ctx, const struct hmm_rec_hdr *rec)
{
	struct exporter *x = ctx;

	if (!x->base)
		x->base = rec->ts;
	export_record(x, rec);
	export_stall(x, rec);
	return x->err;
}

static int by_ts(const void *a, const void *b)
{
	const struct step *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return (x->delta > y->delta) - (x->delta < y->delta); /* ends before starts */
}

/* Pages in flight, one counter per record type that has pages (faults, migrations). */
static void export_counters(struct exporter *x)
{
	__s64 level[HMM_REC_TYPE_MAX] = {};

	if (x->n_steps) /* NULL when there are none: qsort() takes no NULL */
		qsort(x->steps, x->n_steps, sizeof(*x->steps), by_ts);
	for (size_t i = 0; i < x->n_steps; i++) {
		const struct step *s = &x->steps[i];
		json_t *e, *a;

		level[s->kind] += s->delta;
		/* One sample per timestamp: the last step at a time carries the level. */
		if (i + 1 < x->n_steps && x->steps[i + 1].ts == s->ts)
			continue;
		e = json_object();
		a = json_object();
		json_object_set_new(e, "name", json_string("pages in flight"));
		json_object_set_new(e, "ph", json_string("C"));
		json_object_set_new(e, "ts", json_real(us(x, s->ts)));
		json_object_set_new(e, "pid", json_integer(0));
		for (const struct hmm_rec_desc *d = hmm_rec_next(NULL); d; d = hmm_rec_next(d))
			if (d->pages)
				json_object_set_new(a, d->name, json_integer(level[d->type]));
		json_object_set_new(e, "args", a);
		emit(x, e);
	}
}

static void meta_event(struct exporter *x, const char *what, __u32 pid, __u32 tid,
		       const char *name)
{
	json_t *e = json_object(), *a = json_object();

	json_object_set_new(e, "name", json_string(what));
	json_object_set_new(e, "ph", json_string("M"));
	json_object_set_new(e, "pid", json_integer(pid));
	json_object_set_new(e, "tid", json_integer(tid));
	json_object_set_new(a, "name", hmm_json_str(name, SIZE_MAX));
	json_object_set_new(e, "args", a);
	emit(x, e);
}

static void export_names(struct exporter *x)
{
	meta_event(x, "process_name", 0, 0, "hmmtrace (counters, lost events)");
	for (size_t i = 0; i < x->n_names; i++) {
		const struct name *n = &x->names[i];
		long main_thread;

		meta_event(x, "thread_name", n->pid, n->tid, n->comm);
		/* The process is named, once, after its main thread if seen, else its first thread. */
		if (kmap_get(&x->tasks, n->pid, ALL_TIDS) != (long)i)
			continue;
		main_thread = kmap_get(&x->tasks, n->pid, n->pid);
		meta_event(x, "process_name", n->pid, 0,
			   main_thread >= 0 ? x->names[main_thread].comm : n->comm);
	}
}

int cmd_export(int argc, char **argv)
{
	struct exporter x = { .out = stdout, .first_event = true };
	const char *path, *format, *out;
	struct hmm_trace_reader *r = NULL;
	const struct hmm_trace_meta *m;
	struct tool_opts to = { 0 };
	struct tool_out o = { 0 };
	int err, status = EXIT_OK;
	json_t *other;

	if (cmd_parse(&export_cmd, argc, argv, &to, 0, &status) < 0)
		return status;
	path = to.input;
	format = to.format;
	out = to.output;
	x.fmt.stall_ns = to.stall_ns;
	if (!path) {
		tool_err("export: -i FILE is required (see --help)");
		return EXIT_USAGE;
	}
	if (!format) {
		tool_err("export: --format is required: chrome (the only format so far)");
		return EXIT_USAGE;
	}
	if (strcmp(format, "chrome")) {
		tool_err("export: --format %s: the formats are: chrome", format);
		return EXIT_USAGE;
	}
	r = open_trace("export", path);
	if (!r)
		return EXIT_PARTIAL;
	m = hmm_trace_reader__meta(r);
	x.fmt.syms = hmm_trace_reader__symtab(r);
	x.fmt.stacks = hmm_trace_reader__stacks(r);
	if (!x.fmt.syms) {
		tool_err("export: out of memory");
		status = EXIT_PARTIAL;
		goto cleanup;
	}
	/* -o: written whole or not at all (a temporary file, renamed at the end). */
	if (tool_out_open(&o, out)) {
		status = EXIT_PARTIAL;
		goto cleanup;
	}
	x.out = o.f;
	fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", x.out);
	err = hmm_trace_replay(r, export_event, &x);
	if (x.err) /* the output failed: reading stopped there, the input is not to blame */
		goto done;
	if (err < 0) {
		tool_err("export: reading %s: %s", path, strerror(-err));
		status = EXIT_PARTIAL;
	}
	export_counters(&x);
	export_names(&x);
	/* Where ts 0 is: the recording's first record, with the wall clock of the start. */
	other = json_object();
	json_object_set_new(other, "host", hmm_json_str(m->host, sizeof(m->host)));
	json_object_set_new(other, "kernel", hmm_json_str(m->release, sizeof(m->release)));
	json_object_set_new(other, "command", hmm_json_str(m->command, sizeof(m->command)));
	json_object_set_new(other, "ts0_monotonic_ns", json_integer(x.base));
	json_object_set_new(other, "start_monotonic_ns", json_integer(m->start_mono_ns));
	json_object_set_new(other, "start_realtime_ns", json_integer(m->start_real_ns));
	json_object_set_new(other, "lost", json_integer(hmm_trace_reader__stats(r)->lost));
	fputs("\n],\"otherData\":", x.out);
	if (json_dumpf(other, x.out, JSON_COMPACT | JSON_PRESERVE_ORDER))
		x.err = -EIO;
	json_decref(other);
	fputs("}\n", x.out);
	warn_damage(path, hmm_trace_reader__stats(r));
done:
	if (x.err == -ENOMEM)
		tool_err("export: out of memory");
	else if (x.err)
		o.err = x.err;
	if (tool_out_close(&o, !x.err) || x.err) {
		status = EXIT_PARTIAL;
		goto cleanup;
	}
	fprintf(stderr, "hmmtrace: exported");
	for (const struct hmm_rec_desc *d = hmm_rec_next(NULL); d; d = hmm_rec_next(d))
		if (d->chrome != HMM_CHROME_NONE)
			fprintf(stderr, " %s %llu", d->name, (unsigned long long)x.slices[d->type]);
	fprintf(stderr, " stall %llu\n", (unsigned long long)x.stalls);
cleanup:
	if (o.f)
		tool_out_close(&o, false);
	free(x.names);
	kmap_free(&x.tasks);
	free(x.steps);
	hmm_trace_reader__close(r);
	return status;
}
