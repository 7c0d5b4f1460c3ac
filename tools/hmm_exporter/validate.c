// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * prom_validate(): our own check of the text format's invariants (prom.h), independent of the
 * renderer, so the unit tests and `hmm_exporter --validate` can check every output, including
 * live output, besides promtool.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "prom.h"
#include "../../lib/kmap.h"

#define NAME_MAX_LEN 200
#define LABELS_MAX_LEN 2048

enum ftype { F_UNTYPED, F_COUNTER, F_GAUGE, F_HISTOGRAM, F_SUMMARY };

struct family {
	char name[NAME_MAX_LEN];
	enum ftype type;
	bool help, typed, sampled, closed;
};

struct series {
	int family;
	char labels[LABELS_MAX_LEN]; /* without le */
	double last_le;
	double last_cum;
	int buckets;
	bool inf, sum, count;
	double inf_v, count_v;
};

struct vstate {
	struct family *fam;
	size_t n_fam, cap_fam;
	struct series *ser;
	size_t n_ser, cap_ser;
	int cur; /* family of the previous line, or -1 */
	char *err;
	size_t errlen;
	int line;
};

static int vfail(struct vstate *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int vfail(struct vstate *v, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(v->err, v->errlen, "line %d: ", v->line);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < v->errlen)
		vsnprintf(v->err + n, v->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

static bool name_char(char c, bool first)
{
	return isalpha((unsigned char)c) || c == '_' || c == ':' || (!first && isdigit((unsigned char)c));
}

/* A metric name at *p into out; advances *p. */
static bool read_name(const char **p, char *out, size_t n)
{
	size_t i = 0;

	if (!name_char(**p, true))
		return false;
	while (name_char(**p, i == 0)) {
		if (i + 1 >= n)
			return false;
		out[i++] = *(*p)++;
	}
	out[i] = '\0';
	return true;
}

static int find_family(struct vstate *v, const char *name)
{
	for (size_t i = 0; i < v->n_fam; i++)
		if (!strcmp(v->fam[i].name, name))
			return (int)i;
	return -1;
}

static int add_family(struct vstate *v, const char *name)
{
	if (grow_array(&v->fam, &v->cap_fam, v->n_fam + 1, sizeof(*v->fam)))
		return -1;
	memset(&v->fam[v->n_fam], 0, sizeof(v->fam[0]));
	snprintf(v->fam[v->n_fam].name, NAME_MAX_LEN, "%s", name);
	return (int)v->n_fam++;
}

/* Enter family f: families must be contiguous. */
static int enter(struct vstate *v, int f)
{
	if (v->cur == f)
		return 0;
	if (v->fam[f].closed)
		return vfail(v, "family %s continues after another family began", v->fam[f].name);
	if (v->cur >= 0)
		v->fam[v->cur].closed = true;
	v->cur = f;
	return 0;
}

static int comment(struct vstate *v, const char *p)
{
	char name[NAME_MAX_LEN];
	bool help;
	int f;

	p++;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!strncmp(p, "HELP", 4) && (p[4] == ' ' || p[4] == '\t'))
		help = true;
	else if (!strncmp(p, "TYPE", 4) && (p[4] == ' ' || p[4] == '\t'))
		help = false;
	else
		return 0; /* another comment */
	p += 4;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!read_name(&p, name, sizeof(name)))
		return vfail(v, "%s without a valid metric name", help ? "HELP" : "TYPE");
	f = find_family(v, name);
	if (f < 0 && (f = add_family(v, name)) < 0)
		return vfail(v, "out of memory");
	if (enter(v, f))
		return -1;
	if (help) {
		if (v->fam[f].help)
			return vfail(v, "second HELP for %s", name);
		v->fam[f].help = true;
		for (; *p; p++)
			if (*p == '\\' && p[1] != '\\' && p[1] != 'n')
				return vfail(v, "bad escape in the HELP of %s", name);
			else if (*p == '\\')
				p++;
		return 0;
	}
	if (v->fam[f].typed)
		return vfail(v, "second TYPE for %s", name);
	if (v->fam[f].sampled)
		return vfail(v, "TYPE for %s after its samples", name);
	if (*p != ' ' && *p != '\t')
		return vfail(v, "TYPE %s without a type", name);
	while (*p == ' ' || *p == '\t')
		p++;
	if (!strcmp(p, "counter"))
		v->fam[f].type = F_COUNTER;
	else if (!strcmp(p, "gauge"))
		v->fam[f].type = F_GAUGE;
	else if (!strcmp(p, "histogram"))
		v->fam[f].type = F_HISTOGRAM;
	else if (!strcmp(p, "summary"))
		v->fam[f].type = F_SUMMARY;
	else if (!strcmp(p, "untyped"))
		v->fam[f].type = F_UNTYPED;
	else
		return vfail(v, "unknown type '%s' for %s", p, name);
	if (v->fam[f].type == F_COUNTER) {
		size_t n = strlen(name);

		if (n < 6 || strcmp(name + n - 6, "_total"))
			return vfail(v, "counter %s does not end in _total", name);
	}
	v->fam[f].typed = true;
	return 0;
}

/* The family a sample name belongs to, with the histogram suffix it carries (or ""). */
static int sample_family(struct vstate *v, const char *name, const char **suffix)
{
	static const char *const sfx[] = { "_bucket", "_sum", "_count" };
	char base[NAME_MAX_LEN];
	size_t n = strlen(name);
	int f;

	*suffix = "";
	for (size_t i = 0; i < 3; i++) {
		size_t k = strlen(sfx[i]);

		if (n > k && !strcmp(name + n - k, sfx[i])) {
			snprintf(base, sizeof(base), "%.*s", (int)(n - k), name);
			f = find_family(v, base);
			if (f >= 0 && (v->fam[f].type == F_HISTOGRAM || v->fam[f].type == F_SUMMARY)) {
				*suffix = sfx[i];
				return f;
			}
		}
	}
	return find_family(v, name);
}

static struct series *find_series(struct vstate *v, int f, const char *labels)
{
	for (size_t i = 0; i < v->n_ser; i++)
		if (v->ser[i].family == f && !strcmp(v->ser[i].labels, labels))
			return &v->ser[i];
	if (grow_array(&v->ser, &v->cap_ser, v->n_ser + 1, sizeof(*v->ser)))
		return NULL;
	memset(&v->ser[v->n_ser], 0, sizeof(v->ser[0]));
	v->ser[v->n_ser].family = f;
	v->ser[v->n_ser].last_le = -INFINITY;
	snprintf(v->ser[v->n_ser].labels, LABELS_MAX_LEN, "%s", labels);
	return &v->ser[v->n_ser++];
}

/* Labels at *p ("{...}"): the canonical text without le into out, le's value into le. */
static int read_labels(struct vstate *v, const char **p, char *out, size_t n, char *le,
		       size_t le_n, bool *has_le)
{
	char names[32][NAME_MAX_LEN], lname[NAME_MAX_LEN], val[512];
	int nnames = 0;
	size_t o = 0, k;

	*has_le = false;
	out[0] = '\0';
	if (**p != '{')
		return 0;
	(*p)++;
	while (**p != '}') {
		if (!read_name(p, lname, sizeof(lname)) || strchr(lname, ':'))
			return vfail(v, "bad label name");
		for (int i = 0; i < nnames; i++)
			if (!strcmp(names[i], lname))
				return vfail(v, "label %s twice", lname);
		if (nnames < 32)
			snprintf(names[nnames++], NAME_MAX_LEN, "%s", lname);
		if (*(*p)++ != '=' || *(*p)++ != '"')
			return vfail(v, "label %s: expected =\"", lname);
		for (k = 0; **p != '"'; (*p)++) {
			char c = **p;

			if (!c || c == '\n')
				return vfail(v, "label %s: unterminated value", lname);
			if (c == '\\') {
				(*p)++;
				if (**p == 'n')
					c = '\n';
				else if (**p == '\\' || **p == '"')
					c = **p;
				else
					return vfail(v, "label %s: bad escape", lname);
			}
			if (k + 1 < sizeof(val))
				val[k++] = c;
		}
		val[k] = '\0';
		(*p)++;
		if (!strcmp(lname, "le")) {
			*has_le = true;
			if (strlen(val) >= le_n)
				return vfail(v, "le value too long");
			memcpy(le, val, strlen(val) + 1);
		} else {
			int w = snprintf(out + o, n - o, "%s=%s;", lname, val);

			if (w < 0 || (size_t)w >= n - o)
				return vfail(v, "labels too long");
			o += w;
		}
		if (**p == ',')
			(*p)++;
		else if (**p != '}')
			return vfail(v, "expected , or } after label %s", lname);
	}
	(*p)++;
	return 0;
}

static bool parse_value(const char *s, double *out)
{
	char *end;

	if (!strcmp(s, "+Inf"))
		*out = INFINITY;
	else if (!strcmp(s, "-Inf"))
		*out = -INFINITY;
	else if (!strcmp(s, "NaN"))
		*out = NAN;
	else {
		if (!*s || isspace((unsigned char)*s))
			return false;
		*out = strtod(s, &end);
		if (*end)
			return false;
	}
	return true;
}

static int sample(struct vstate *v, const char *p)
{
	char name[NAME_MAX_LEN], labels[LABELS_MAX_LEN], le[64];
	const char *suffix;
	struct series *s;
	double val, lev;
	bool has_le;
	int f;

	if (!read_name(&p, name, sizeof(name)))
		return vfail(v, "not a sample line");
	if (read_labels(v, &p, labels, sizeof(labels), le, sizeof(le), &has_le))
		return -1;
	if (*p != ' ')
		return vfail(v, "%s: expected a space before the value", name);
	while (*p == ' ')
		p++;
	if (strchr(p, ' '))
		return vfail(v, "%s: a timestamp or trailing text after the value", name);
	if (!parse_value(p, &val))
		return vfail(v, "%s: bad value '%s'", name, p);
	f = sample_family(v, name, &suffix);
	if (f < 0 || !v->fam[f].typed)
		return vfail(v, "sample %s without a TYPE", name);
	if (enter(v, f))
		return -1;
	v->fam[f].sampled = true;
	if (v->fam[f].type == F_COUNTER && !(val >= 0))
		return vfail(v, "counter %s is %s", name, p);
	if (v->fam[f].type != F_HISTOGRAM) {
		if (has_le)
			return vfail(v, "le label outside a histogram");
		return 0;
	}
	if (!*suffix)
		return vfail(v, "histogram sample %s without _bucket, _sum or _count", name);
	s = find_series(v, f, labels);
	if (!s)
		return vfail(v, "out of memory");
	if (!strcmp(suffix, "_bucket")) {
		if (!has_le || !parse_value(le, &lev) || isnan(lev))
			return vfail(v, "%s: bucket without a valid le", name);
		if (s->inf)
			return vfail(v, "%s{%s}: bucket after +Inf", name, labels);
		if (!(lev > s->last_le))
			return vfail(v, "%s{%s}: le %s not above the previous bound", name, labels, le);
		if (!(val >= s->last_cum) || isnan(val))
			return vfail(v, "%s{%s}: le %s: count %s below the previous bucket (not "
				    "cumulative)", name, labels, le, p);
		s->last_le = lev;
		s->last_cum = val;
		s->buckets++;
		if (isinf(lev)) {
			s->inf = true;
			s->inf_v = val;
		}
	} else if (has_le) {
		return vfail(v, "%s: le label on %s", name, suffix);
	} else if (!strcmp(suffix, "_sum")) {
		if (s->sum)
			return vfail(v, "%s{%s}: second _sum", name, labels);
		s->sum = true;
	} else {
		if (s->count)
			return vfail(v, "%s{%s}: second _count", name, labels);
		s->count = true;
		s->count_v = val;
	}
	return 0;
}

int prom_validate(const char *text, size_t len, char *err, size_t errlen)
{
	struct vstate v = { .cur = -1, .err = err, .errlen = errlen };
	char line[8192];
	size_t i = 0, e;
	int ret = 0;

	if (errlen)
		err[0] = '\0';
	if (len && text[len - 1] != '\n') {
		v.line = 0;
		return vfail(&v, "the text does not end in a newline");
	}
	while (i < len && !ret) {
		v.line++;
		for (e = i; e < len && text[e] != '\n'; e++)
			;
		if (e - i >= sizeof(line)) {
			ret = vfail(&v, "line too long");
			break;
		}
		memcpy(line, text + i, e - i);
		line[e - i] = '\0';
		if (strlen(line) != e - i) {
			ret = vfail(&v, "NUL byte");
			break;
		}
		i = e + 1;
		if (!line[0])
			continue;
		if (line[0] == '#')
			ret = comment(&v, line);
		else
			ret = sample(&v, line);
	}
	for (size_t k = 0; k < v.n_ser && !ret; k++) {
		struct series *s = &v.ser[k];
		const char *fn = v.fam[s->family].name;

		v.line = 0;
		if (!s->inf)
			ret = vfail(&v, "end: %s{%s} has no +Inf bucket", fn, s->labels);
		else if (!s->count || !s->sum)
			ret = vfail(&v, "end: %s{%s} lacks _count or _sum", fn, s->labels);
		else if (s->inf_v != s->count_v)
			ret = vfail(&v, "end: %s{%s}: +Inf bucket %.17g != _count %.17g", fn, s->labels,
				   s->inf_v, s->count_v);
	}
	free(v.fam);
	free(v.ser);
	return ret ? -1 : 0;
}
