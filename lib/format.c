// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Text and JSON-lines rendering of records, shared by live and replayed `hmmtrace dump`. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <jansson.h>
#include "format.h"
#include "internal.h"
#include "rec.h"

const char *hmm_fmt_driver(const struct hmm_fmt *fmt, __u64 addr)
{
	if (!addr)
		return "none";
	if (fmt->syms)
		return hmm_symtab__driver(fmt->syms, addr);
	return fmt->ksyms ? hmm_ksyms__driver(fmt->ksyms, addr) : "unknown";
}

const char *hmm_fmt_sym(const struct hmm_fmt *fmt, __u64 addr)
{
	const struct hmm_ksym *s;

	if (fmt->syms)
		return hmm_symtab__name(fmt->syms, addr);
	s = fmt->ksyms && addr ? hmm_ksyms__find(fmt->ksyms, addr) : NULL;

	return s ? s->name : NULL;
}

static void comm_copy(char *dst, const char *src)
{
	memcpy(dst, src, HMM_COMM_LEN);
	dst[HMM_COMM_LEN] = 0;
}

/* ---- JSON ----------------------------------------------------------------------------------- */

/* The flat task fields dump --json wrote before the task objects ("pid", "owner_pid" ...): kept one
 * release as aliases (hmmtrace(8), JSON). */
static void json_task_flat(json_t *o, const char *prefix, const struct hmm_task *t)
{
	char k[32], comm[HMM_COMM_LEN + 1];

	comm_copy(comm, t->comm);
	snprintf(k, sizeof(k), "%spid", prefix);
	json_object_set_new(o, k, json_integer(t->pid));
	snprintf(k, sizeof(k), "%stid", prefix);
	json_object_set_new(o, k, json_integer(t->tid));
	snprintf(k, sizeof(k), "%scomm", prefix);
	json_object_set_new(o, k, hmm_json_str(comm, sizeof(comm)));
}


json_t *hmm_json_stack(const struct hmm_stacktab *st, __u32 stack)
{
	const struct hmm_rec_stack *r = hmm_stacktab__get(st, stack);
	unsigned int depth;
	char buf[96];
	json_t *a;

	if (!r)
		return json_null();
	a = json_array();
	depth = hmm_rec_stack_depth(r);
	for (unsigned int i = 0; i < depth; i++)
		json_array_append_new(a, hmm_json_str(hmm_stack_frame_str(&r->frame[i], true, buf,
									   sizeof(buf)),
						      SIZE_MAX));
	return a;
}

json_t *hmm_json_cause(const struct hmm_fmt *fmt, const struct hmm_cause *c)
{
	json_t *o;

	if (!c->found && (c->flags & HMM_CAUSE_F_LOCK_DROPPED)) {
		o = json_object();
		json_object_set_new(o, "lock_dropped", json_true());
		return o;
	}
	if (!c->found)
		return json_null();
	o = json_object();
	json_object_set_new(o, "event", json_string(hmm_event_str(c->event)));
	json_object_set_new(o, "start", hmm_json_hex(c->start));
	json_object_set_new(o, "end", hmm_json_hex(c->end));
	json_object_set_new(o, "ago_ns", json_integer(c->ago_ns));
	json_object_set_new(o, "task", hmm_json_task(&c->task));
	json_task_flat(o, "", &c->task); /* alias, one release */
	if (c->stack) { /* --stacks */
		json_object_set_new(o, "stack", json_integer(c->stack));
		json_object_set_new(o, "frames", hmm_json_stack(fmt->stacks, c->stack));
	}
	return o;
}

void hmm_json_attrib(const struct hmm_fmt *fmt, json_t *o, __u64 addr)
{
	const char *sym = hmm_fmt_sym(fmt, addr);

	json_object_set_new(o, "driver", hmm_json_str(hmm_fmt_driver(fmt, addr), SIZE_MAX));
	json_object_set_new(o, "invalidate_fn", sym ? hmm_json_str(sym, SIZE_MAX) : json_null());
}

static json_t *json_record(const struct hmm_fmt *fmt, const struct hmm_rec_desc *d,
			   const struct hmm_rec_hdr *rec)
{
	json_t *o = json_object();

	json_object_set_new(o, "type", json_string(d->name));
	json_object_set_new(o, "ts_ns", json_integer(rec->ts));
	json_object_set_new(o, "cpu", json_integer(rec->cpu));
	d->json(fmt, rec, o);
	if (d->caller)
		json_object_set_new(o, "caller", hmm_json_task(d->caller(rec)));
	if (d->owner)
		json_object_set_new(o, "owner", hmm_json_task(d->owner(rec)));
	if (d->caller)
		json_task_flat(o, "", d->caller(rec));
	if (d->owner)
		json_task_flat(o, "owner_", d->owner(rec));
	return o;
}

/* ---- text ----------------------------------------------------------------------------------- */

void hmm_fmt_header(const struct hmm_fmt *fmt)
{
	if (!fmt->json)
		fprintf(fmt->out, "%-12s %-10s %-7s %-16s %-7s %9s  %s\n", "TIME(s)", "EVENT", "PID",
			"COMM", "OWNER", "DURATION", "DETAILS");
}

void hmm_text_cause(char *buf, size_t n, const struct hmm_cause *c)
{
	char comm[HMM_TERM_COMM_LEN], ago[16];

	if (!c->found) {
		snprintf(buf, n, c->flags & HMM_CAUSE_F_LOCK_DROPPED ? " cause=mmap-lock-dropped" :
								       " cause=unknown");
		return;
	}
	hmm_term_comm(comm, c->task.comm);
	hmm_fmt_duration(ago, sizeof(ago), c->ago_ns);
	snprintf(buf, n, " cause=%s by %s/%u %s ago%s", hmm_event_str(c->event), comm, c->task.pid,
		 ago, c->stack ? " stack=" : "");
	if (c->stack) {
		size_t l = strlen(buf);

		snprintf(buf + l, n - l, "%u", c->stack);
	}
}

/* A driver name for text: from a recording or a kernel symbol table, so through hmm_term_str(). */
const char *hmm_text_driver(const struct hmm_fmt *fmt, __u64 addr, char *buf, size_t n)
{
	return hmm_term_str(buf, n, hmm_fmt_driver(fmt, addr), n);
}

/* One line: when, what, who (the caller and the owner), how long, and the type's details. A type
 * without a caller (lost records) is a line of its own. */
static void text_record(const struct hmm_fmt *fmt, const struct hmm_rec_desc *d,
			const struct hmm_rec_hdr *rec)
{
	const struct hmm_task *caller = d->caller ? d->caller(rec) : NULL;
	char det[320], comm[HMM_TERM_COMM_LEN], dur[16], ts[24], ev[16];
	double t = rec->ts >= fmt->base_ts ? (rec->ts - fmt->base_ts) / 1e9 : 0;
	size_t i;

	if (!d->text)
		return;
	d->text(fmt, rec, det, sizeof(det));
	if (!caller) {
		for (i = 0; d->name[i] && i < sizeof(ev) - 1; i++)
			ev[i] = d->name[i] >= 'a' && d->name[i] <= 'z' ? d->name[i] - 32 : d->name[i];
		ev[i] = 0;
		fprintf(fmt->out, "%-12s %-10s %s\n", "-", ev, det);
		return;
	}
	hmm_term_comm(comm, caller->comm);
	hmm_fmt_duration(dur, sizeof(dur), d->dur ? d->dur(rec) : 0);
	snprintf(ts, sizeof(ts), "%.6f", t);
	fprintf(fmt->out, "%-12s %-10s %-7u %-16s %-7u %9s  %s\n", ts, d->name, caller->pid, comm,
		d->owner ? d->owner(rec)->pid : 0, dur, det);
}

json_t *hmm_fmt_json(const struct hmm_fmt *fmt, const struct hmm_rec_hdr *rec)
{
	const struct hmm_rec_desc *d = hmm_rec_desc(rec->type);

	return d ? json_record(fmt, d, rec) : NULL;
}

int hmm_fmt_record(const struct hmm_fmt *fmt, const struct hmm_rec_hdr *rec)
{
	const struct hmm_rec_desc *d = hmm_rec_desc(rec->type);
	json_t *o;
	int err = 0;

	if (!d)
		return 0;
	if (!fmt->json) {
		text_record(fmt, d, rec);
		return ferror(fmt->out) ? -EIO : 0;
	}
	o = json_record(fmt, d, rec);
	if (!o)
		return -ENOMEM;
	if (json_dumpf(o, fmt->out, JSON_COMPACT | JSON_PRESERVE_ORDER) || fputc('\n', fmt->out) == EOF)
		err = -EIO;
	json_decref(o);
	return err;
}
