// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Text and JSON-lines rendering of records, shared by live and replayed `hmmtrace dump`. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <jansson.h>
#include "format.h"
#include "internal.h"

const char *hmm_fmt_driver(const struct hmm_fmt *fmt, __u64 addr)
{
	if (!addr)
		return "none";
	if (fmt->syms)
		return hmm_symtab__driver(fmt->syms, addr);
	return fmt->ksyms ? hmm_ksyms__driver(fmt->ksyms, addr) : "unknown";
}

static const char *sym_name(const struct hmm_fmt *fmt, __u64 addr)
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

static void j_task(json_t *o, const char *prefix, const struct hmm_task *t)
{
	char k[32], comm[HMM_COMM_LEN + 1];

	comm_copy(comm, t->comm);
	snprintf(k, sizeof(k), "%spid", prefix);
	json_object_set_new(o, k, json_integer(t->pid));
	snprintf(k, sizeof(k), "%stid", prefix);
	json_object_set_new(o, k, json_integer(t->tid));
	snprintf(k, sizeof(k), "%scomm", prefix);
	json_object_set_new(o, k, json_string(comm));
}

static json_t *j_hex(__u64 v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, (uint64_t)v);
	return json_string(buf);
}

static json_t *j_cause(const struct hmm_cause *c)
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
	json_object_set_new(o, "start", j_hex(c->start));
	json_object_set_new(o, "end", j_hex(c->end));
	json_object_set_new(o, "ago_ns", json_integer(c->ago_ns));
	j_task(o, "", &c->task);
	return o;
}

static void j_attrib(const struct hmm_fmt *fmt, json_t *o, __u64 addr)
{
	const char *sym = sym_name(fmt, addr);

	json_object_set_new(o, "driver", json_string(hmm_fmt_driver(fmt, addr)));
	json_object_set_new(o, "invalidate_fn", sym ? json_string(sym) : json_null());
}

static json_t *json_record(const struct hmm_fmt *fmt, const struct hmm_rec_hdr *rec)
{
	json_t *o = json_object();

	json_object_set_new(o, "type", json_string(hmm_rec_type_str(rec->type)));
	json_object_set_new(o, "ts_ns", json_integer(rec->ts));
	json_object_set_new(o, "cpu", json_integer(rec->cpu));
	switch (rec->type) {
	case HMM_REC_FAULT: {
		const struct hmm_rec_fault *r = (const void *)rec;

		json_object_set_new(o, "dur_ns", json_integer(r->dur_ns));
		json_object_set_new(o, "ret", json_integer(r->ret));
		json_object_set_new(o, "result",
				    json_string(hmm_result_str(hmm_fault_result(r->ret))));
		json_object_set_new(o, "start", j_hex(r->start));
		json_object_set_new(o, "end", j_hex(r->end));
		json_object_set_new(o, "npages", json_integer(r->npages));
		json_object_set_new(o, "fault", json_boolean(r->flags & HMM_FAULT_F_FAULT));
		json_object_set_new(o, "write", json_boolean(r->flags & HMM_FAULT_F_WRITE));
		json_object_set_new(o, "attempt", json_integer(r->attempt));
		json_object_set_new(o, "unlocked", json_boolean(r->flags & HMM_FAULT_F_UNLOCKED));
		json_object_set_new(o, "notifier", j_hex(r->notifier));
		json_object_set_new(o, "mm", j_hex(r->mm));
		j_attrib(fmt, o, r->ops);
		j_task(o, "", &r->caller);
		j_task(o, "owner_", &r->owner);
		json_object_set_new(o, "pfn_valid", json_integer(r->valid));
		json_object_set_new(o, "pfn_write", json_integer(r->write));
		json_object_set_new(o, "pfn_error", json_integer(r->error));
		json_object_set_new(o, "pfn_scanned", json_integer(r->scanned));
		json_object_set_new(o, "pfn_truncated",
				    json_boolean(r->flags & HMM_FAULT_F_TRUNCATED));
		json_object_set_new(o, "max_order", json_integer(r->max_order));
		json_object_set_new(o, "cause", j_cause(&r->cause));
		break;
	}
	case HMM_REC_CHAIN: {
		const struct hmm_rec_chain *r = (const void *)rec;

		json_object_set_new(o, "dur_ns", json_integer(r->dur_ns));
		json_object_set_new(o, "ret", json_integer(r->ret));
		json_object_set_new(o, "result",
				    json_string(hmm_result_str(hmm_fault_result(r->ret))));
		json_object_set_new(o, "attempts", json_integer(r->attempts));
		json_object_set_new(o, "busy", json_integer(r->busy));
		json_object_set_new(o, "unlocked",
				    json_boolean(hmm_chain_flags(r) & HMM_CHAIN_F_UNLOCKED));
		json_object_set_new(o, "timeout",
				    json_boolean(hmm_chain_flags(r) & HMM_CHAIN_F_TIMEOUT));
		json_object_set_new(o, "notifier", j_hex(r->notifier));
		json_object_set_new(o, "mm", j_hex(r->mm));
		j_attrib(fmt, o, r->ops);
		j_task(o, "", &r->caller);
		j_task(o, "owner_", &r->owner);
		json_object_set_new(o, "cause", j_cause(&r->cause));
		break;
	}
	case HMM_REC_READ_BEGIN: {
		const struct hmm_rec_read_begin *r = (const void *)rec;

		json_object_set_new(o, "dur_ns", json_integer(r->dur_ns));
		json_object_set_new(o, "notifier", j_hex(r->notifier));
		json_object_set_new(o, "mm", j_hex(r->mm));
		j_task(o, "", &r->caller);
		j_task(o, "owner_", &r->owner);
		break;
	}
	case HMM_REC_MIGRATE: {
		const struct hmm_rec_migrate *r = (const void *)rec;

		json_object_set_new(o, "dur_ns", json_integer(r->total_ns));
		json_object_set_new(o, "setup_ns", json_integer(r->setup_ns));
		json_object_set_new(o, "copy_ns", json_integer(r->copy_ns));
		json_object_set_new(o, "finalize_ns", json_integer(r->finalize_ns));
		json_object_set_new(o, "direction", json_string(hmm_dir_str(r->dir)));
		json_object_set_new(o, "cpu_fault", json_boolean(r->flags & HMM_MIG_F_FAULT));
		json_object_set_new(o, "device_range", json_boolean(r->flags & HMM_MIG_F_DEVICE));
		json_object_set_new(o, "large", json_boolean(r->flags & HMM_MIG_F_LARGE));
		json_object_set_new(o, "start", j_hex(r->start));
		json_object_set_new(o, "end", j_hex(r->end));
		json_object_set_new(o, "npages", json_integer(r->npages));
		json_object_set_new(o, "cpages", json_integer(r->cpages));
		json_object_set_new(o, "moved", json_integer(r->moved));
		json_object_set_new(o, "stayed", json_integer(r->stayed));
		json_object_set_new(o, "span", json_integer(r->span));
		json_object_set_new(o, "setup_ret", json_integer(r->setup_ret));
		json_object_set_new(o, "mm", j_hex(r->mm));
		json_object_set_new(o, "driver", json_string(hmm_fmt_driver(fmt, r->driver)));
		json_object_set_new(o, "caller_fn", sym_name(fmt, r->caller_ip) ?
					json_string(sym_name(fmt, r->caller_ip)) : json_null());
		j_task(o, "", &r->caller);
		j_task(o, "owner_", &r->owner);
		break;
	}
	case HMM_REC_INVAL: {
		const struct hmm_rec_inval *r = (const void *)rec;

		json_object_set_new(o, "dur_ns", json_integer(r->start_ns + r->end_ns));
		json_object_set_new(o, "start_ns", json_integer(r->start_ns));
		json_object_set_new(o, "end_ns", json_integer(r->end_ns));
		json_object_set_new(o, "event", json_string(hmm_event_str(r->event)));
		json_object_set_new(o, "start", j_hex(r->start));
		json_object_set_new(o, "end", j_hex(r->end));
		json_object_set_new(o, "blockable", json_boolean(r->flags & HMM_INVAL_F_BLOCKABLE));
		json_object_set_new(o, "ret", json_integer(r->ret));
		json_object_set_new(o, "mm", j_hex(r->mm));
		json_object_set_new(o, "owner", j_hex(r->owner_ptr));
		j_task(o, "", &r->task);
		j_task(o, "owner_", &r->owner);
		break;
	}
	case HMM_REC_UFFD: {
		const struct hmm_rec_uffd *r = (const void *)rec;

		json_object_set_new(o, "dur_ns", json_integer(r->dur_ns));
		json_object_set_new(o, "reason", json_string(hmm_uffd_reason_str(r->reason)));
		json_object_set_new(o, "address", j_hex(r->address));
		json_object_set_new(o, "vm_fault", json_integer(r->ret));
		j_task(o, "", &r->task);
		break;
	}
	case HMM_REC_LOST: {
		const struct hmm_rec_lost *r = (const void *)rec;

		json_object_set_new(o, "count", json_integer(r->count));
		break;
	}
	case HMM_REC_CLOCK: {
		const struct hmm_rec_clock *r = (const void *)rec;

		json_object_set_new(o, "realtime_ns", json_integer(r->realtime_ns));
		break;
	}
	case HMM_REC_SYM: {
		const struct hmm_rec_sym *r = (const void *)rec;

		json_object_set_new(o, "addr", j_hex(r->addr));
		json_object_set_new(o, "name", json_stringn(r->name, strnlen(r->name,
								       sizeof(r->name))));
		json_object_set_new(o, "driver", json_stringn(r->driver, strnlen(r->driver,
									  sizeof(r->driver))));
		break;
	}
	}
	return o;
}

/* ---- text ----------------------------------------------------------------------------------- */

void hmm_fmt_header(const struct hmm_fmt *fmt)
{
	if (!fmt->json)
		fprintf(fmt->out, "%-12s %-10s %-7s %-16s %-7s %9s  %s\n", "TIME(s)", "EVENT", "PID",
			"COMM", "OWNER", "DURATION", "DETAILS");
}

static void text_line(const struct hmm_fmt *fmt, const struct hmm_rec_hdr *rec, __u32 pid,
		      const char *comm16, __u32 owner, __u64 dur, const char *details)
{
	char comm[HMM_COMM_LEN + 1], d[16], ts[24];
	double t = rec->ts >= fmt->base_ts ? (rec->ts - fmt->base_ts) / 1e9 : 0;

	comm_copy(comm, comm16);
	hmm_fmt_duration(d, sizeof(d), dur);
	snprintf(ts, sizeof(ts), "%.6f", t);
	fprintf(fmt->out, "%-12s %-10s %-7u %-16s %-7u %9s  %s\n", ts, hmm_rec_type_str(rec->type),
		pid, comm, owner, d, details);
}

static void cause_text(char *buf, size_t n, const struct hmm_cause *c)
{
	char comm[HMM_COMM_LEN + 1], ago[16];

	if (!c->found) {
		snprintf(buf, n, c->flags & HMM_CAUSE_F_LOCK_DROPPED ? " cause=mmap-lock-dropped" :
								       " cause=unknown");
		return;
	}
	comm_copy(comm, c->task.comm);
	hmm_fmt_duration(ago, sizeof(ago), c->ago_ns);
	snprintf(buf, n, " cause=%s by %s/%u %s ago", hmm_event_str(c->event), comm, c->task.pid,
		 ago);
}

static void text_record(const struct hmm_fmt *fmt, const struct hmm_rec_hdr *rec)
{
	char det[320], cause[96] = "";

	switch (rec->type) {
	case HMM_REC_FAULT: {
		const struct hmm_rec_fault *r = (const void *)rec;

		if (r->ret == -EBUSY)
			cause_text(cause, sizeof(cause), &r->cause);
		snprintf(det, sizeof(det), "%s %s%s %up [%#llx) drv=%s attempt=%u%s valid=%u%s%s",
			 hmm_result_str(hmm_fault_result(r->ret)),
			 r->flags & HMM_FAULT_F_FAULT ? "fault" : "snapshot",
			 r->flags & HMM_FAULT_F_WRITE ? "+write" : "", r->npages,
			 (unsigned long long)r->start, hmm_fmt_driver(fmt, r->ops), r->attempt,
			 r->flags & HMM_FAULT_F_UNLOCKED ? " unlocked" : "", r->valid,
			 r->flags & HMM_FAULT_F_TRUNCATED ? "+" : "", cause);
		text_line(fmt, rec, r->caller.pid, r->caller.comm, r->owner.pid, r->dur_ns, det);
		break;
	}
	case HMM_REC_CHAIN: {
		const struct hmm_rec_chain *r = (const void *)rec;

		cause_text(cause, sizeof(cause), &r->cause);
		snprintf(det, sizeof(det), "%s after %u attempts (%u -EBUSY)%s%s drv=%s%s",
			 hmm_result_str(hmm_fault_result(r->ret)), r->attempts, r->busy,
			 hmm_chain_flags(r) & HMM_CHAIN_F_UNLOCKED ? " unlocked" : "",
			 hmm_chain_flags(r) & HMM_CHAIN_F_TIMEOUT ? " timeout" : "",
			 hmm_fmt_driver(fmt, r->ops), cause);
		text_line(fmt, rec, r->caller.pid, r->caller.comm, r->owner.pid, r->dur_ns, det);
		break;
	}
	case HMM_REC_READ_BEGIN: {
		const struct hmm_rec_read_begin *r = (const void *)rec;

		snprintf(det, sizeof(det), "notifier=%#llx", (unsigned long long)r->notifier);
		text_line(fmt, rec, r->caller.pid, r->caller.comm, r->owner.pid, r->dur_ns, det);
		break;
	}
	case HMM_REC_MIGRATE: {
		const struct hmm_rec_migrate *r = (const void *)rec;
		char s[16], c[16], f[16], span[24] = "";

		if (r->span)
			snprintf(span, sizeof(span), " of %u", r->span);
		hmm_fmt_duration(s, sizeof(s), r->setup_ns);
		hmm_fmt_duration(c, sizeof(c), r->copy_ns);
		hmm_fmt_duration(f, sizeof(f), r->finalize_ns);
		snprintf(det, sizeof(det),
			 "%s%s%s%s %up%s collected=%u moved=%u stayed=%u setup=%s copy=%s "
			 "final=%s drv=%s%s",
			 hmm_dir_str(r->dir), r->flags & HMM_MIG_F_FAULT ? " cpu-fault" : "",
			 r->flags & HMM_MIG_F_DEVICE ? " evict" : "",
			 r->flags & HMM_MIG_F_LARGE ? " large" : "", r->npages, span, r->cpages,
			 r->moved, r->stayed, s, c, f, hmm_fmt_driver(fmt, r->driver),
			 r->setup_ret ? " setup-failed" : "");
		text_line(fmt, rec, r->caller.pid, r->caller.comm, r->owner.pid, r->total_ns, det);
		break;
	}
	case HMM_REC_INVAL: {
		const struct hmm_rec_inval *r = (const void *)rec;
		char s[16], e[16];

		hmm_fmt_duration(s, sizeof(s), r->start_ns);
		hmm_fmt_duration(e, sizeof(e), r->end_ns);
		snprintf(det, sizeof(det), "%s [%#llx-%#llx) start=%s end=%s%s%s",
			 hmm_event_str(r->event), (unsigned long long)r->start,
			 (unsigned long long)r->end, s, e,
			 r->flags & HMM_INVAL_F_BLOCKABLE ? "" : " nonblock",
			 r->ret ? " EAGAIN" : "");
		text_line(fmt, rec, r->task.pid, r->task.comm, r->owner.pid,
			  r->start_ns + r->end_ns, det);
		break;
	}
	case HMM_REC_UFFD: {
		const struct hmm_rec_uffd *r = (const void *)rec;

		snprintf(det, sizeof(det), "%s addr=%#llx", hmm_uffd_reason_str(r->reason),
			 (unsigned long long)r->address);
		text_line(fmt, rec, r->task.pid, r->task.comm, r->task.pid, r->dur_ns, det);
		break;
	}
	case HMM_REC_LOST: {
		const struct hmm_rec_lost *r = (const void *)rec;

		fprintf(fmt->out, "%-12s %-10s %llu records dropped by the ring buffer\n", "-",
			"LOST", (unsigned long long)r->count);
		break;
	}
	case HMM_REC_CLOCK:
	case HMM_REC_SYM:
		break; /* clock sync points and symbols matter to readers, not to people */
	}
}

int hmm_fmt_record(const struct hmm_fmt *fmt, const struct hmm_rec_hdr *rec)
{
	json_t *o;
	int err = 0;

	if (!fmt->json) {
		text_record(fmt, rec);
		return ferror(fmt->out) ? -EIO : 0;
	}
	o = json_record(fmt, rec);
	if (!o)
		return -ENOMEM;
	if (json_dumpf(o, fmt->out, JSON_COMPACT | JSON_PRESERVE_ORDER) || fputc('\n', fmt->out) == EOF)
		err = -EIO;
	json_decref(o);
	return err;
}
