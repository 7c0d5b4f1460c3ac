// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The HTTP front end, on libmicrohttpd: GET/HEAD /metrics (gzip when the client accepts it),
 * GET/HEAD / (a short page), 404 elsewhere, 405 for other methods. libmicrohttpd parses the
 * requests and answers malformed ones with 400 itself. One internal thread serves every
 * connection, with a connection cap and an idle timeout, so a flood of connections or a client
 * that never finishes its request cannot stop the exporter or the BPF side.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <microhttpd.h>
#include <zlib.h>
#include "exporter.h"

#define CONNECTION_LIMIT 64
#define CONNECTION_TIMEOUT_S 10

#define CT_METRICS "text/plain; version=0.0.4; charset=utf-8"

struct http_server {
	struct MHD_Daemon *d;
	struct exporter *e;
};

static const char index_html[] =
	"<!DOCTYPE html>\n<html><head><title>hmm_exporter</title></head>\n<body>\n"
	"<h1>hmm_exporter</h1>\n<p>Linux HMM and device-memory migration metrics from "
	"hmmscope's in-kernel aggregation.</p>\n"
	"<p><a href=\"/metrics\">Metrics</a></p>\n</body></html>\n";

/* Whether Accept-Encoding allows gzip: a "gzip" or "*" coding whose q is not 0 (RFC 9110). */
static bool accepts_gzip(const char *ae)
{
	/* RFC 9110 12.5.3: gzip named with q > 0; or not named and "*" with q > 0. */
	int gzip = -1, star = -1;
	const char *p = ae;

	while (p && *p) {
		const char *end = strchr(p, ','), *semi, *q;
		size_t len, tl;
		int ok;

		while (*p == ' ' || *p == '\t')
			p++;
		len = end ? (size_t)(end - p) : strlen(p);
		semi = memchr(p, ';', len);
		tl = semi ? (size_t)(semi - p) : len;
		while (tl && (p[tl - 1] == ' ' || p[tl - 1] == '\t'))
			tl--;
		q = semi ? strstr(semi, "q=") : NULL;
		ok = !q || q >= p + len || strtod(q + 2, NULL) > 0;
		if (tl == 4 && !strncasecmp(p, "gzip", 4))
			gzip = ok;
		else if (tl == 1 && *p == '*')
			star = ok;
		p = end ? end + 1 : NULL;
	}
	return gzip >= 0 ? gzip == 1 : star == 1;
}

/* gzip (RFC 1952) of in; NULL on failure. */
static char *gzip_buf(const char *in, size_t len, size_t *out_len)
{
	z_stream z = { 0 };
	size_t cap;
	char *out;

	if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	cap = deflateBound(&z, len);
	out = malloc(cap);
	if (!out) {
		deflateEnd(&z);
		return NULL;
	}
	z.next_in = (Bytef *)in;
	z.avail_in = len;
	z.next_out = (Bytef *)out;
	z.avail_out = cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		free(out);
		return NULL;
	}
	*out_len = z.total_out;
	deflateEnd(&z);
	return out;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int code, const char *type,
			     char *body, size_t len, bool owned, const char *encoding)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body,
					    owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		if (owned)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (encoding)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, encoding);
	if (code == MHD_HTTP_OK && !strcmp(type, CT_METRICS))
		MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result text(struct MHD_Connection *c, unsigned int code, const char *msg)
{
	return reply(c, code, "text/plain; charset=utf-8", (char *)msg, strlen(msg), false, NULL);
}

static enum MHD_Result metrics(struct http_server *h, struct MHD_Connection *c)
{
	struct prom_buf b = { 0 };
	const char *ae;
	char *gz;
	size_t gz_len;
	int err;

	err = exporter_render(h->e, &b);
	if (err) {
		prom_buf_free(&b);
		tool_err("cannot render the metrics: %s", strerror(-err));
		return text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot render the metrics\n");
	}
	ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	if (ae && accepts_gzip(ae)) {
		gz = gzip_buf(b.data, b.len, &gz_len);
		if (gz) {
			prom_buf_free(&b);
			return reply(c, MHD_HTTP_OK, CT_METRICS, gz, gz_len, true, "gzip");
		}
	}
	/* b.data is malloc()ed: libmicrohttpd frees it after sending. */
	return reply(c, MHD_HTTP_OK, CT_METRICS, b.data, b.len, true, NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http_server *h = cls;

	(void)version;
	(void)upload_data;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		*upload_data_size = 0; /* a body, if any, is not read */
		return text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD are served\n");
	}
	/* libmicrohttpd calls twice: headers first, then (with no body) for the reply. */
	if (!*con_cls) {
		*con_cls = h;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (!strcmp(url, "/metrics"))
		return metrics(h, c);
	if (!strcmp(url, "/"))
		return reply(c, MHD_HTTP_OK, "text/html; charset=utf-8", (char *)index_html,
			     sizeof(index_html) - 1, false, NULL);
	return text(c, MHD_HTTP_NOT_FOUND, "not found: see /metrics\n");
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	if (tool_verbose < 1)
		return;
	fprintf(stderr, "%s: http: ", tool_name);
	vfprintf(stderr, fmt, ap);
}

/* The daemon with every option but its threading: http_start() gives it an internal thread; the
 * fuzzer (tests/fuzz/fuzz_http.c, which includes this file) runs it itself, one socketpair per
 * input through MHD_add_connection() and MHD_run(). */
static struct http_server *start(struct exporter *e, int fd, unsigned int flags)
{
	struct http_server *h = calloc(1, sizeof(*h));

	if (!h) {
		tool_err("out of memory");
		return NULL;
	}
	h->e = e;
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
				MHD_OPTION_LISTEN_SOCKET, fd,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)CONNECTION_LIMIT,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONNECTION_TIMEOUT_S,
				MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
				MHD_OPTION_END);
	if (!h->d) {
		tool_err("cannot start the HTTP server (libmicrohttpd)");
		free(h);
		return NULL;
	}
	return h;
}

struct http_server *http_start(struct exporter *e, int fd, bool ipv6)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;

	if (ipv6)
		flags |= MHD_USE_IPv6;
	return start(e, fd, flags);
}

void http_stop(struct http_server *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}
