// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hmmtrace export --format chrome: a recording as Chrome trace-event JSON, which Perfetto UI
 * and chrome://tracing open. Faults, migrations, read_begin waits and userfaults are complete
 * ("X") slices on the calling thread's track, invalidations on the invalidating thread's, retry
 * chains async ("b"/"e") spans, pages in flight counters ("C"), lost events instant ("i") events,
 * and process and thread names metadata ("M"). Events are streamed one object at a time, each
 * built and escaped by jansson, so memory does not grow with the file.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "hmmtrace.h"
#include "agg.h"
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
	__u8 kind; /* 0: fault pages, 1: migrate pages */
};

struct exporter {
	FILE *out;
	struct hmm_symtab *syms;
	__u64 base; /* ts of the first record: the file's time 0 */
	bool first_event;
	struct name *names;
	size_t n_names, cap_names;
	struct step *steps;
	size_t n_steps, cap_steps;
	__u64 chain_id;
	__u64 slices[HMM_REC_TYPE_MAX];
	int err;
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: hmmtrace export -i FILE --format chrome [-o OUT]\n"
		   "Convert a recording into Chrome trace-event JSON for Perfetto UI\n"
		   "(ui.perfetto.dev) or chrome://tracing: faults, migrations and waits as slices on\n"
		   "per-thread tracks, invalidations on the invalidating thread, retry chains as async\n"
		   "spans, pages in flight as counters, process and thread names as metadata.\n\n"
		   "  -i, --input FILE    the trace file written by `hmmtrace record`\n"
		   "  -f, --format FMT    chrome (the only format so far)\n"
		   "  -o, --output OUT    write to OUT instead of standard output\n"
		   "  -h, --help          this text\n");
}

static double us(const struct exporter *x, __u64 ts)
{
	return ts >= x->base ? (double)(ts - x->base) / 1000.0 : 0.0;
}

static void emit(struct exporter *x, json_t *e)
{
	if (!x->err) {
		if (fputs(x->first_event ? "\n" : ",\n", x->out) == EOF ||
		    json_dumpf(e, x->out, JSON_COMPACT | JSON_PRESERVE_ORDER))
			x->err = -EIO;
		x->first_event = false;
	}
	json_decref(e);
}

static void remember(struct exporter *x, const struct hmm_task *t)
{
	struct name *n;
	size_t i;

	if (!t->tid && !t->pid)
		return;
	/* Recent tasks repeat: look from the end. */
	for (i = x->n_names; i-- > 0;)
		if (x->names[i].tid == t->tid && x->names[i].pid == t->pid)
			return;
	if (x->n_names == x->cap_names) {
		size_t cap = x->cap_names ? 2 * x->cap_names : 64;
		void *p = realloc(x->names, cap * sizeof(*x->names));

		if (!p) {
			x->err = -ENOMEM;
			return;
		}
		x->names = p;
		x->cap_names = cap;
	}
	n = &x->names[x->n_names++];
	n->pid = t->pid;
	n->tid = t->tid;
	memcpy(n->comm, t->comm, HMM_COMM_LEN);
	n->comm[HMM_COMM_LEN] = 0;
}

static void step(struct exporter *x, __u64 ts, __u64 dur, __u64 pages, __u8 kind)
{
	if (!pages)
		return;
	if (x->n_steps + 2 > x->cap_steps) {
		size_t cap = x->cap_steps ? 2 * x->cap_steps : 1024;
		void *p = realloc(x->steps, cap * sizeof(*x->steps));

		if (!p) {
			x->err = -ENOMEM;
			return;
		}
		x->steps = p;
		x->cap_steps = cap;
	}
	x->steps[x->n_steps++] = (struct step){ .ts = ts, .delta = (__s64)pages, .kind = kind };
	x->steps[x->n_steps++] = (struct step){ .ts = ts + dur, .delta = -(__s64)pages,
						.kind = kind };
}

static json_t *slice(struct exporter *x, const char *name, const char *cat,
		     const struct hmm_task *t, __u64 ts, __u64 dur)
{
	json_t *e = json_object();

	json_object_set_new(e, "name", json_string(name));
	json_object_set_new(e, "cat", json_string(cat));
	json_object_set_new(e, "ph", json_string("X"));
	json_object_set_new(e, "ts", json_real(us(x, ts)));
	json_object_set_new(e, "dur", json_real(dur / 1000.0));
	json_object_set_new(e, "pid", json_integer(t->pid));
	json_object_set_new(e, "tid", json_integer(t->tid));
	remember(x, t);
	return e;
}

static json_t *hex(__u64 v)
{
	char b[24];

	snprintf(b, sizeof(b), "%#llx", (unsigned long long)v);
	return json_string(b);
}

static json_t *owner_str(const struct hmm_task *o)
{
	char b[48];

	snprintf(b, sizeof(b), "%u %.16s", o->pid, o->comm);
	return json_string(b);
}

static void export_record(struct exporter *x, const struct hmm_rec_hdr *rec)
{
	json_t *e = NULL, *a = json_object();
	char name[64];

	switch (rec->type) {
	case HMM_REC_FAULT: {
		const struct hmm_rec_fault *r = (const void *)rec;

		e = slice(x, "hmm_range_fault", "fault", &r->caller, rec->ts, r->dur_ns);
		json_object_set_new(a, "result", json_string(hmm_result_str(hmm_fault_result(r->ret))));
		json_object_set_new(a, "ret", json_integer(r->ret));
		json_object_set_new(a, "pages", json_integer(r->npages));
		json_object_set_new(a, "start", hex(r->start));
		json_object_set_new(a, "attempt", json_integer(r->attempt));
		json_object_set_new(a, "owner", owner_str(&r->owner));
		json_object_set_new(a, "driver", json_string(hmm_symtab__driver(x->syms, r->ops)));
		if (hmm_fault_result(r->ret) == HMM_RES_EBUSY && r->cause.found)
			json_object_set_new(a, "cause", json_string(hmm_event_str(r->cause.event)));
		step(x, rec->ts, r->dur_ns, r->npages, 0);
		break;
	}
	case HMM_REC_CHAIN: {
		const struct hmm_rec_chain *r = (const void *)rec;
		json_t *b = json_object();
		char id[24];

		snprintf(id, sizeof(id), "%#llx", (unsigned long long)++x->chain_id);
		remember(x, &r->caller);
		json_object_set_new(b, "name", json_string("retry chain"));
		json_object_set_new(b, "cat", json_string("chain"));
		json_object_set_new(b, "ph", json_string("b"));
		json_object_set_new(b, "id", json_string(id));
		json_object_set_new(b, "ts", json_real(us(x, rec->ts)));
		json_object_set_new(b, "pid", json_integer(r->caller.pid));
		json_object_set_new(b, "tid", json_integer(r->caller.tid));
		json_object_set_new(a, "attempts", json_integer(r->attempts));
		json_object_set_new(a, "busy", json_integer(r->busy));
		json_object_set_new(a, "result", json_string(hmm_result_str(hmm_fault_result(r->ret))));
		json_object_set_new(a, "owner", owner_str(&r->owner));
		json_object_set_new(a, "driver", json_string(hmm_symtab__driver(x->syms, r->ops)));
		json_object_set_new(b, "args", a);
		emit(x, b);
		e = json_object();
		json_object_set_new(e, "name", json_string("retry chain"));
		json_object_set_new(e, "cat", json_string("chain"));
		json_object_set_new(e, "ph", json_string("e"));
		json_object_set_new(e, "id", json_string(id));
		json_object_set_new(e, "ts", json_real(us(x, rec->ts + r->dur_ns)));
		json_object_set_new(e, "pid", json_integer(r->caller.pid));
		json_object_set_new(e, "tid", json_integer(r->caller.tid));
		x->slices[rec->type]++;
		emit(x, e);
		return;
	}
	case HMM_REC_READ_BEGIN: {
		const struct hmm_rec_read_begin *r = (const void *)rec;

		e = slice(x, "mmu_interval_read_begin", "wait", &r->caller, rec->ts, r->dur_ns);
		json_object_set_new(a, "owner", owner_str(&r->owner));
		break;
	}
	case HMM_REC_MIGRATE: {
		const struct hmm_rec_migrate *r = (const void *)rec;

		snprintf(name, sizeof(name), "migrate %s", hmm_dir_str(r->dir));
		e = slice(x, name, "migrate", &r->caller, rec->ts, r->total_ns);
		json_object_set_new(a, "npages", json_integer(r->npages));
		json_object_set_new(a, "collected", json_integer(r->cpages));
		json_object_set_new(a, "moved", json_integer(r->moved));
		json_object_set_new(a, "stayed", json_integer(r->stayed));
		json_object_set_new(a, "setup_us", json_real(r->setup_ns / 1000.0));
		json_object_set_new(a, "copy_us", json_real(r->copy_ns / 1000.0));
		json_object_set_new(a, "finalize_us", json_real(r->finalize_ns / 1000.0));
		json_object_set_new(a, "cpu_fault", json_boolean(r->flags & HMM_MIG_F_FAULT));
		json_object_set_new(a, "owner", owner_str(&r->owner));
		json_object_set_new(a, "driver", json_string(hmm_symtab__driver(
							   x->syms, r->driver ? r->driver : r->caller_ip)));
		step(x, rec->ts, r->total_ns, r->npages, 1);
		break;
	}
	case HMM_REC_INVAL: {
		const struct hmm_rec_inval *r = (const void *)rec;

		snprintf(name, sizeof(name), "invalidate %s", hmm_event_str(r->event));
		e = slice(x, name, "invalidate", &r->task, rec->ts, r->start_ns);
		json_object_set_new(a, "start", hex(r->start));
		json_object_set_new(a, "end", hex(r->end));
		json_object_set_new(a, "end_us", json_real(r->end_ns / 1000.0));
		json_object_set_new(a, "blockable", json_boolean(r->flags & HMM_INVAL_F_BLOCKABLE));
		json_object_set_new(a, "ret", json_integer(r->ret));
		json_object_set_new(a, "owner", owner_str(&r->owner));
		break;
	}
	case HMM_REC_UFFD: {
		const struct hmm_rec_uffd *r = (const void *)rec;

		snprintf(name, sizeof(name), "userfault %s", hmm_uffd_reason_str(r->reason));
		e = slice(x, name, "userfault", &r->task, rec->ts, r->dur_ns);
		json_object_set_new(a, "address", hex(r->address));
		break;
	}
	case HMM_REC_LOST: {
		const struct hmm_rec_lost *r = (const void *)rec;

		e = json_object();
		json_object_set_new(e, "name", json_string("events lost"));
		json_object_set_new(e, "cat", json_string("lost"));
		json_object_set_new(e, "ph", json_string("i"));
		json_object_set_new(e, "s", json_string("g"));
		json_object_set_new(e, "ts", json_real(us(x, rec->ts)));
		json_object_set_new(e, "pid", json_integer(0));
		json_object_set_new(e, "tid", json_integer(0));
		json_object_set_new(a, "count", json_integer(r->count));
		break;
	}
	default:
		break;
	}
	if (!e) {
		json_decref(a);
		return;
	}
	json_object_set_new(e, "args", a);
	x->slices[rec->type]++;
	emit(x, e);
}

static int export_event(void *ctx, const struct hmm_rec_hdr *rec)
{
	struct exporter *x = ctx;

	if (!x->base)
		x->base = rec->ts;
	export_record(x, rec);
	return x->err;
}

static int by_ts(const void *a, const void *b)
{
	const struct step *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return (x->delta > y->delta) - (x->delta < y->delta); /* ends before starts */
}

static void export_counters(struct exporter *x)
{
	__s64 level[2] = {};

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
		json_object_set_new(a, "fault", json_integer(level[0]));
		json_object_set_new(a, "migrate", json_integer(level[1]));
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
	json_object_set_new(a, "name", json_string(name));
	json_object_set_new(e, "args", a);
	emit(x, e);
}

static void export_names(struct exporter *x)
{
	size_t i, j;

	meta_event(x, "process_name", 0, 0, "hmmtrace (counters, lost events)");
	for (i = 0; i < x->n_names; i++) {
		const struct name *n = &x->names[i];
		bool seen = false;

		meta_event(x, "thread_name", n->pid, n->tid, n->comm);
		/* The process is named after its main thread if seen, else its first thread. */
		for (j = 0; j < i && !seen; j++)
			seen = x->names[j].pid == n->pid;
		if (seen)
			continue;
		for (j = i; j < x->n_names; j++)
			if (x->names[j].pid == n->pid && x->names[j].tid == n->pid)
				break;
		meta_event(x, "process_name", n->pid, 0,
			   j < x->n_names ? x->names[j].comm : n->comm);
	}
}

int cmd_export(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct exporter x = { .out = stdout, .first_event = true };
	const char *path = NULL, *format = NULL, *out = NULL;
	struct hmm_trace_reader *r = NULL;
	const struct hmm_trace_meta *m;
	int c, err, status = EXIT_OK;
	json_t *other;

	optind = 1;
	while ((c = getopt_long(argc, argv, "i:f:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			path = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (!path || optind < argc) {
		tool_err("export: %s (see --help)", path ? "unexpected argument" :
			 "-i FILE is required");
		return EXIT_USAGE;
	}
	if (!format || strcmp(format, "chrome")) {
		tool_err("export: --format %s: the formats are: chrome", format ? format : "missing;");
		return EXIT_USAGE;
	}
	r = open_trace("export", path);
	if (!r)
		return EXIT_PARTIAL;
	m = hmm_trace_reader__meta(r);
	x.syms = hmm_trace_reader__symtab(r);
	if (!x.syms) {
		tool_err("export: out of memory");
		status = EXIT_PARTIAL;
		goto cleanup;
	}
	if (out && !(x.out = fopen(out, "w"))) {
		tool_err("export: cannot create %s: %s", out, strerror(errno));
		x.out = stdout;
		status = EXIT_PARTIAL;
		goto cleanup;
	}
	fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", x.out);
	err = hmm_trace_replay(r, export_event, &x);
	if (err < 0) {
		tool_err("export: reading %s: %s", path, strerror(-err));
		status = EXIT_PARTIAL;
	}
	export_counters(&x);
	export_names(&x);
	/* Where ts 0 is: the recording's first record, with the wall clock of the start. */
	other = json_object();
	json_object_set_new(other, "host", json_string(m->host));
	json_object_set_new(other, "kernel", json_string(m->release));
	json_object_set_new(other, "command", json_string(m->command));
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
	if (x.err || fflush(x.out) || ferror(x.out)) {
		tool_err("export: writing %s failed: %s", out ? out : "standard output",
			 strerror(x.err == -ENOMEM ? ENOMEM : EIO));
		status = EXIT_PARTIAL;
	}
	fprintf(stderr, "hmmtrace: exported %llu faults, %llu retry chains, %llu migrations, "
		"%llu invalidations, %llu waits, %llu userfaults\n",
		(unsigned long long)x.slices[HMM_REC_FAULT], (unsigned long long)x.slices[HMM_REC_CHAIN],
		(unsigned long long)x.slices[HMM_REC_MIGRATE],
		(unsigned long long)x.slices[HMM_REC_INVAL],
		(unsigned long long)x.slices[HMM_REC_READ_BEGIN],
		(unsigned long long)x.slices[HMM_REC_UFFD]);
cleanup:
	if (x.out && x.out != stdout)
		fclose(x.out);
	free(x.names);
	free(x.steps);
	hmm_trace_reader__close(r);
	return status;
}
