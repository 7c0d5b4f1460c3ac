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

/* Length of the well-formed UTF-8 sequence at s (at most left bytes), its code point in *cp; or 0
 * (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF). */
static size_t utf8_seq(const unsigned char *s, size_t left, __u32 *cp)
{
	size_t len, i;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (len > left)
		return 0;
	*cp = s[0] & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && *cp < 0x800) || (len == 4 && (*cp < 0x10000 || *cp > 0x10ffff)) ||
	    (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return len;
}

const char *hmm_term_str(char *buf, size_t n, const char *s, size_t maxlen)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0, len;
	__u32 cp;

	if (!n)
		return buf;
	while (i < maxlen && u[i] && o + 1 < n) {
		if (u[i] >= 0x20 && u[i] < 0x7f) {
			buf[o++] = u[i++];
			continue;
		}
		len = u[i] >= 0x80 ? utf8_seq(u + i, strnlen(s + i, maxlen - i), &cp) : 0;
		if (!len) { /* a control byte, or a byte that is not UTF-8: one '?' each */
			buf[o++] = '?';
			i++;
			continue;
		}
		if (cp <= 0x9f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) {
			buf[o++] = '?'; /* a well-formed character that acts on the terminal: one '?' */
			i += len;
			continue;
		}
		if (o + len >= n)
			break;
		memcpy(buf + o, u + i, len);
		o += len;
		i += len;
	}
	buf[o] = 0;
	return buf;
}

static void comm_copy(char *dst, const char *src)
{
	memcpy(dst, src, HMM_COMM_LEN);
	dst[HMM_COMM_LEN] = 0;
}

/* ---- JSON ----------------------------------------------------------------------------------- */

void hmm_json_task(json_t *o, const char *prefix, const struct hmm_task *t)
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

json_t *hmm_json_hex(__u64 v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, (uint64_t)v);
	return json_string(buf);
}

json_t *hmm_json_cause(const struct hmm_cause *c)
{
	json_t *o;

	if (!c->found)
		return json_null();
	o = json_object();
	json_object_set_new(o, "event", json_string(hmm_event_str(c->event)));
	json_object_set_new(o, "start", hmm_json_hex(c->start));
	json_object_set_new(o, "end", hmm_json_hex(c->end));
	json_object_set_new(o, "ago_ns", json_integer(c->ago_ns));
	hmm_json_task(o, "", &c->task);
	return o;
}

void hmm_json_attrib(const struct hmm_fmt *fmt, json_t *o, __u64 addr)
{
	const char *sym = hmm_fmt_sym(fmt, addr);

	json_object_set_new(o, "driver", json_string(hmm_fmt_driver(fmt, addr)));
	json_object_set_new(o, "invalidate_fn", sym ? json_string(sym) : json_null());
}

static json_t *json_record(const struct hmm_fmt *fmt, const struct hmm_rec_desc *d,
			   const struct hmm_rec_hdr *rec)
{
	json_t *o = json_object();

	json_object_set_new(o, "type", json_string(d->name));
	json_object_set_new(o, "ts_ns", json_integer(rec->ts));
	json_object_set_new(o, "cpu", json_integer(rec->cpu));
	d->json(fmt, rec, o);
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
		snprintf(buf, n, " cause=unknown");
		return;
	}
	hmm_term_comm(comm, c->task.comm);
	hmm_fmt_duration(ago, sizeof(ago), c->ago_ns);
	snprintf(buf, n, " cause=%s by %s/%u %s ago", hmm_event_str(c->event), comm, c->task.pid,
		 ago);
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
