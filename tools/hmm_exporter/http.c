// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The HTTP front end, on libmicrohttpd: GET/HEAD /metrics (gzip when the client accepts it),
 * GET/HEAD / (a short page), 404 elsewhere, 405 for other methods. libmicrohttpd parses the
 * requests and answers malformed ones with 400 itself; the handler adds what RFC 9112 asks and
 * libmicrohttpd 0.9.75 does not check: 400 for an HTTP/1.1 request without exactly one valid
 * Host, and request targets in absolute form ("http://host/metrics") accepted.
 *
 * One internal thread serves every connection. Clients that stall must not keep a scrape out:
 * libmicrohttpd's own timeout is an idle timeout, which a client sending a byte a second never
 * reaches, and at its connection limit it stops accepting, so a scrape waits in the kernel's
 * backlog behind the stalled clients. So the connections waiting for a request are kept here in
 * a list, oldest first: one that has not sent a complete request REQUEST_TIMEOUT_S after it was
 * accepted (or after its previous response) is closed by a reaper thread, and past the
 * connection limit each new connection pushes out the one that has waited longest (but not a
 * young one whose request is already arriving: victim()). So a scrape, which sends its request
 * at once, gets in however many clients stall.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include <zlib.h>
#include "exporter.h"

/* Connections at once, at most: fewer where the open-file limit leaves less room. */
#define CONNECTION_LIMIT 1024
/* libmicrohttpd's own limit is ours plus this: room for the connections it accepts before those
 * pushed out are closed (it accepts up to 10 in a row). */
#define CONNECTION_SPARE 16
/* Files the exporter may open beside the connections: the textfile's temporary file, a
 * /proc/kallsyms reread, libmicrohttpd's epoll and eventfd. */
#define FD_MARGIN 32
/* Seconds a connection has to send a complete request (line and headers). */
#define REQUEST_TIMEOUT_S 5
/* Past the limit, a connection this young with bytes of its request already in its socket (a
 * scrape sends its request at once) is not pushed out: at thousands of reconnects a second, the
 * limit's worth of newer connections can come between its accept and the read of its request. */
#define REQUEST_GRACE_S 1.0
/* libmicrohttpd's idle timeout: a client that stops reading its response. */
#define IDLE_TIMEOUT_S 10

#define CT_METRICS "text/plain; version=0.0.4; charset=utf-8"

/* A connection, from libmicrohttpd's NOTIFY_CONNECTION to its close. */
struct conn {
	struct conn *prev, *next; /* in the waiting list */
	double since;		  /* when it began to wait for a request */
	int fd;
	bool waiting; /* in the list: no request begun since then */
	bool out;     /* shut down here, libmicrohttpd has yet to close it */
};

struct http_server {
	struct MHD_Daemon *d;
	struct exporter *e;
	unsigned int limit;
	/* Shared by libmicrohttpd's thread (the callbacks) and the reaper. */
	pthread_mutex_t lock;
	pthread_cond_t wake;	  /* the reaper's sleep; signalled to stop it */
	struct conn *head, *tail; /* waiting for a request, oldest first */
	unsigned int n_live;	  /* connections not shut down here */
	bool stop, reaper_started;
	pthread_t reaper;
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

/* ---- connections waiting for a request --------------------------------------------------- */

/* Append c to the waiting list, from now; h->lock held. */
static void wait_begin(struct http_server *h, struct conn *c)
{
	c->since = tool_now_s();
	c->prev = h->tail;
	c->next = NULL;
	if (h->tail)
		h->tail->next = c;
	else
		h->head = c;
	h->tail = c;
	c->waiting = true;
}

/* Take c off the waiting list; h->lock held. */
static void wait_end(struct http_server *h, struct conn *c)
{
	if (!c->waiting)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		h->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		h->tail = c->prev;
	c->prev = c->next = NULL;
	c->waiting = false;
}

/*
 * Close c's connection from outside libmicrohttpd; h->lock held. shutdown() wakes libmicrohttpd's
 * thread, which reads the end of the stream and closes the connection itself. The fd is still
 * c's: libmicrohttpd closes it only after on_connection(CLOSED), which takes h->lock.
 */
static void push_out(struct http_server *h, struct conn *c)
{
	wait_end(h, c);
	c->out = true;
	h->n_live--;
	shutdown(c->fd, SHUT_RDWR);
}

/* Bytes from the client not read yet. */
static bool pending(int fd)
{
	char b;

	return recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

/* Past the limit, with c just accepted: the connection that goes. The one that has waited
 * longest, unless it is young and its request is arriving; c itself when all are (or when none
 * other waits: all are being answered). */
static struct conn *victim(struct http_server *h, struct conn *c)
{
	for (struct conn *v = h->head; v && v != c; v = v->next)
		if (v->since + REQUEST_GRACE_S <= c->since || !pending(v->fd))
			return v;
	return c;
}

static void on_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo *i;
	struct http_server *h = cls;
	struct conn *c = *socket_context;

	switch (code) {
	case MHD_CONNECTION_NOTIFY_STARTED:
		i = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
		c = i ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			/* Not tracked, it could stall for ever: refused. */
			if (i)
				shutdown(i->connect_fd, SHUT_RDWR);
			return;
		}
		c->fd = i->connect_fd;
		*socket_context = c;
		pthread_mutex_lock(&h->lock);
		h->n_live++;
		wait_begin(h, c);
		while (h->n_live > h->limit && h->head) {
			struct conn *v = victim(h, c);

			push_out(h, v);
			if (v == c)
				break;
		}
		pthread_mutex_unlock(&h->lock);
		break;
	case MHD_CONNECTION_NOTIFY_CLOSED:
		if (!c)
			return;
		pthread_mutex_lock(&h->lock);
		wait_end(h, c);
		if (!c->out)
			h->n_live--;
		pthread_mutex_unlock(&h->lock);
		free(c);
		*socket_context = NULL;
		break;
	}
}

static struct conn *conn_of(struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *i;

	i = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return i ? i->socket_context : NULL;
}

/* A request's headers are in: the connection waits no more. */
static void request_begun(struct http_server *h, struct MHD_Connection *mc)
{
	struct conn *c = conn_of(mc);

	if (!c)
		return;
	pthread_mutex_lock(&h->lock);
	wait_end(h, c);
	pthread_mutex_unlock(&h->lock);
}

/* A request answered: a connection kept alive waits for the next one from now. */
static void on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *h = cls;
	struct conn *c = conn_of(mc);

	(void)con_cls;
	/* Any other end closes the connection. */
	if (!c || toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
		return;
	pthread_mutex_lock(&h->lock);
	if (!c->out && !c->waiting)
		wait_begin(h, c);
	pthread_mutex_unlock(&h->lock);
}

/* Shut down the connections that have waited REQUEST_TIMEOUT_S for a request, until stopped. */
static void *reaper(void *arg)
{
	struct http_server *h = arg;

	pthread_mutex_lock(&h->lock);
	while (!h->stop) {
		double now = tool_now_s();
		long long next_ns;
		struct timespec ts;

		while (h->head && h->head->since + REQUEST_TIMEOUT_S <= now)
			push_out(h, h->head);
		/* The list is in deadline order, and a connection added later waits longer. */
		next_ns = ((h->head ? h->head->since : now) + REQUEST_TIMEOUT_S) * 1e9;
		ts.tv_sec = next_ns / 1000000000;
		ts.tv_nsec = next_ns % 1000000000;
		pthread_cond_timedwait(&h->wake, &h->lock, &ts);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/* ---- requests ------------------------------------------------------------------------------ */

/* Whether s is a valid Host value or absolute-form authority: uri-host [":" port] (RFC 3986
 * 3.2), checked by its characters (no userinfo, spaces or controls). */
static bool valid_authority(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = s[i];

		if (!(ch >= 'a' && ch <= 'z') && !(ch >= 'A' && ch <= 'Z') &&
		    !(ch >= '0' && ch <= '9') && !strchr("-._~%!$&'()*+,;=:[]", ch))
			return false;
	}
	return true;
}

struct host_count {
	unsigned int n;
	bool bad;
};

static enum MHD_Result count_host(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *value)
{
	struct host_count *hc = cls;

	(void)kind;
	if (!strcasecmp(key, MHD_HTTP_HEADER_HOST)) {
		hc->n++;
		if (!value || !valid_authority(value, strlen(value)))
			hc->bad = true;
	}
	return MHD_YES;
}

/* RFC 9112 3.2: an HTTP/1.1 request has exactly one Host, any request at most one, and a Host
 * value must be valid; a server answers 400 otherwise. */
static bool host_ok(struct MHD_Connection *c, const char *version)
{
	struct host_count hc = { 0 };

	MHD_get_connection_values(c, MHD_HEADER_KIND, count_host, &hc);
	if (hc.bad || hc.n > 1)
		return false;
	return hc.n == 1 || !strcmp(version, MHD_HTTP_VERSION_1_0);
}

/*
 * The path of a request target: an origin-form target ("/metrics") as it is; an absolute-form one
 * ("http://host:9435/metrics", which RFC 9112 3.2.2 requires servers to accept) without its
 * scheme and authority, an empty path being "/". NULL for an absolute-form target whose authority
 * is empty or malformed (RFC 9110 4.2.1). Anything else is returned as it is, and matches no page.
 */
static const char *target_path(const char *url)
{
	size_t skip, alen;

	if (!strncasecmp(url, "http://", 7))
		skip = 7;
	else if (!strncasecmp(url, "https://", 8))
		skip = 8;
	else
		return url;
	url += skip;
	alen = strcspn(url, "/");
	if (!alen || !valid_authority(url, alen))
		return NULL;
	return url[alen] ? url + alen : "/";
}

static int hex(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * libmicrohttpd's unescaping of the path and arguments (%XX to its byte, in place), but for %00,
 * which is left as it is: the handler gets a NUL-terminated path, and a NUL there would end it
 * early ("/metrics%00" would be served as "/metrics"). Left escaped, it matches no page.
 */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
	char *w = s;

	(void)cls;
	(void)c;
	for (const char *r = s; *r;) {
		int hi = *r == '%' ? hex(r[1]) : -1, lo = hi >= 0 ? hex(r[2]) : -1;

		if (lo >= 0 && (hi || lo)) {
			*w++ = (char)(hi << 4 | lo);
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return w - s;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http_server *h = cls;
	const char *path;

	(void)upload_data;
	if (!*con_cls)
		request_begun(h, c);
	if (!host_ok(c, version))
		return text(c, MHD_HTTP_BAD_REQUEST,
			    "bad request: HTTP/1.1 needs exactly one valid Host header\n");
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
	path = target_path(url);
	if (!path)
		return text(c, MHD_HTTP_BAD_REQUEST, "bad request: malformed request target\n");
	if (!strcmp(path, "/metrics"))
		return metrics(h, c);
	if (!strcmp(path, "/"))
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

/* ---- the server ---------------------------------------------------------------------------- */

/* Files open now (the BPF objects are), or a guess where /proc is not mounted. */
static unsigned int files_open(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned int n = 0;

	if (!d)
		return 256;
	while (readdir(d))
		n++;
	closedir(d);
	return n > 3 ? n - 3 : 0; /* ".", ".." and d's own */
}

/*
 * CONNECTION_LIMIT, or fewer where the open-file limit cannot hold that many beside the files
 * the exporter has open: the soft limit is raised as far as needed first, up to the hard limit
 * (no privilege needed). Said on stderr when it is fewer.
 */
static unsigned int connection_limit(void)
{
	unsigned long long in_use = files_open() + FD_MARGIN + CONNECTION_SPARE, room;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return CONNECTION_LIMIT;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < in_use + CONNECTION_LIMIT) {
		struct rlimit want = rl;

		want.rlim_cur = in_use + CONNECTION_LIMIT;
		if (rl.rlim_max != RLIM_INFINITY && want.rlim_cur > rl.rlim_max)
			want.rlim_cur = rl.rlim_max;
		if (!setrlimit(RLIMIT_NOFILE, &want))
			rl = want;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= in_use + CONNECTION_LIMIT)
		return CONNECTION_LIMIT;
	room = rl.rlim_cur > in_use + 8 ? rl.rlim_cur - in_use : 8;
	tool_err("at most %llu connections at once: the open-file limit is %llu (ulimit -n, "
		 "LimitNOFILE=)",
		 room, (unsigned long long)rl.rlim_cur);
	return room;
}

/* The daemon with every option but its threading: http_start() gives it an internal thread and
 * the reaper; the fuzzer (tests/fuzz/fuzz_http.c, which includes this file) runs it itself, one
 * socketpair per input through MHD_add_connection() and MHD_run(). */
static struct http_server *start(struct exporter *e, int fd, unsigned int flags, unsigned int limit)
{
	struct http_server *h = calloc(1, sizeof(*h));
	pthread_condattr_t ca;

	if (!h) {
		tool_err("out of memory");
		close(fd);
		return NULL;
	}
	h->e = e;
	h->limit = limit;
	pthread_mutex_init(&h->lock, NULL);
	/* The reaper's deadlines are tool_now_s()'s, CLOCK_MONOTONIC. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->wake, &ca);
	pthread_condattr_destroy(&ca);
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
				MHD_OPTION_LISTEN_SOCKET, fd,
				MHD_OPTION_CONNECTION_LIMIT, limit + CONNECTION_SPARE,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)IDLE_TIMEOUT_S,
				MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
				MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
				MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
				MHD_OPTION_END);
	if (!h->d) {
		tool_err("cannot start the HTTP server (libmicrohttpd)");
		http_stop(h);
		return NULL;
	}
	return h;
}

struct http_server *http_start(struct exporter *e, int fd, bool ipv6)
{
	/* MHD_USE_ITC: MHD_stop_daemon() wakes the thread through it; without it, the thread
	 * sleeps until its next timeout while the listening socket is out of its epoll set (at the
	 * connection limit), seconds with stalled clients. */
	unsigned int flags =
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	struct http_server *h;
	sigset_t all, old;
	int err;

	if (ipv6)
		flags |= MHD_USE_IPv6;
	h = start(e, fd, flags, connection_limit());
	if (!h)
		return NULL;
	/* The main thread takes the signals. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&h->reaper, NULL, reaper, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		tool_err("cannot start the HTTP request timeout thread: %s", strerror(err));
		http_stop(h);
		return NULL;
	}
	h->reaper_started = true;
	return h;
}

void http_stop(struct http_server *h)
{
	if (!h)
		return;
	if (h->reaper_started) {
		pthread_mutex_lock(&h->lock);
		h->stop = true;
		pthread_cond_signal(&h->wake);
		pthread_mutex_unlock(&h->lock);
		pthread_join(h->reaper, NULL);
	}
	/* Closes every connection: on_connection(CLOSED) frees what they hold here. */
	if (h->d)
		MHD_stop_daemon(h->d);
	pthread_cond_destroy(&h->wake);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
