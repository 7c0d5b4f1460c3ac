// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* One writer per output form (output.h). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agg.h"
#include "hist.h"
#include "output.h"

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

json_t *hmm_json_str(const char *s, size_t maxlen)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strnlen(s, maxlen), i = 0, o = 0, len;
	json_t *j;
	char *buf;
	__u32 cp;

	j = json_stringn(s, n);
	if (j)
		return j;
	/* Not UTF-8 (JSON strings must be): each byte that is not part of a well-formed sequence
	 * becomes U+FFFD, 3 bytes. */
	buf = malloc(3 * n + 1);
	if (!buf)
		return NULL;
	while (i < n) {
		len = u[i] < 0x80 ? 1 : utf8_seq(u + i, n - i, &cp);
		if (!len) {
			memcpy(buf + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(buf + o, u + i, len);
		o += len;
		i += len;
	}
	j = json_stringn(buf, o);
	free(buf);
	return j;
}

json_t *hmm_json_u64(__u64 v)
{
	return v <= INT64_MAX ? json_integer((json_int_t)v) : json_real((double)v);
}

json_t *hmm_json_hex(__u64 v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, (uint64_t)v);
	return json_string(buf);
}

json_t *hmm_json_task(const struct hmm_task *t)
{
	json_t *o = json_object();

	json_object_set_new(o, "pid", json_integer(t->pid));
	json_object_set_new(o, "tid", json_integer(t->tid));
	json_object_set_new(o, "comm", hmm_json_str(t->comm, HMM_COMM_LEN));
	return o;
}

json_t *hmm_json_hist(const struct hmm_hist *h, bool integer)
{
	json_t *o = json_object(), *b = json_array();

	json_object_set_new(o, "count", hmm_json_u64(h->count));
	json_object_set_new(o, "sum", hmm_json_u64(h->sum));
	json_object_set_new(o, "p50", hmm_json_u64(hmm_hist_quantile(h, 0.50, NULL)));
	json_object_set_new(o, "p90", hmm_json_u64(hmm_hist_quantile(h, 0.90, NULL)));
	json_object_set_new(o, "p99", hmm_json_u64(hmm_hist_quantile(h, 0.99, NULL)));
	json_object_set_new(o, "p999", hmm_json_u64(hmm_hist_quantile(h, 0.999, NULL)));
	json_object_set_new(o, "max", hmm_json_u64(hmm_hist_max_bound(h)));
	json_object_set_new(o, "overflow", json_boolean(h->slots[HMM_HIST_OVERFLOW] != 0));
	for (__u32 s = 0; s < HMM_HIST_SLOTS; s++) {
		json_t *e;

		if (!h->slots[s])
			continue;
		e = json_array();
		if (s == HMM_HIST_OVERFLOW)
			json_array_append_new(e, json_string("+Inf"));
		else if (integer)
			json_array_append_new(e, hmm_json_u64((__u64)floor(hmm_hist_slot_upper(s))));
		else
			json_array_append_new(e, json_real(hmm_hist_slot_upper(s)));
		json_array_append_new(e, hmm_json_u64(h->slots[s]));
		json_array_append_new(b, e);
	}
	json_object_set_new(o, "buckets", b);
	return o;
}

json_t *hmm_json_hist_key(const struct hmm_hist_key *key, const char *driver,
			  const struct hmm_hist *h)
{
	json_t *o = json_object(), *x = hmm_json_hist(h, hmm_metric(key->metric)->integer);

	json_object_set_new(o, "metric", json_string(hmm_metric_name(key->metric)));
	json_object_set_new(o, "label", json_string(hmm_metric_label(key->metric, key->label)));
	if (driver)
		json_object_set_new(o, "driver", hmm_json_str(driver, SIZE_MAX));
	if (key->driver)
		json_object_set_new(o, "driver_addr", hmm_json_hex(key->driver));
	json_object_update(o, x);
	json_decref(x);
	return o;
}
