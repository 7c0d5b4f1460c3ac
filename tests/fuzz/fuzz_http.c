// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target: arbitrary bytes as what a client sends to hmm_exporter's HTTP server. The
 * real thing answers: libmicrohttpd's parser and tools/hmm_exporter/http.c's handler (included
 * here, so its statics are reachable), with http_start()'s options but not its thread. Each
 * input goes through its own socketpair handed to the daemon with MHD_add_connection(); the
 * fuzzer writes the bytes, half-closes, and turns the daemon's crank with MHD_run() until the
 * answer has been read to the end and the daemon has let the connection go. Nothing sleeps, no
 * thread runs beside the fuzzer, so every allocation of an input is freed within it (libFuzzer's
 * leak check per input sees no stragglers).
 *
 * The metrics are a fixed, made-up state (as tests/unit/test_prom.c builds them), rendered once by
 * the exporter's own prom.c. Invariants: the server never crashes, leaks or hangs; whatever comes
 * back begins with an HTTP/1.x status line; a 200 for /metrics carries exactly the rendered text
 * (gunzipped when it says gzip) and a 200 for / the index page; a first request that must be
 * refused gets no 200 (an HTTP/1.1 GET or HEAD without Host, or with %00 in its path: issue 19).
 * libmicrohttpd itself is the
 * system's, not instrumented, so coverage guides through our handler and the sanitizers watch
 * what crosses into it. `make fuzz`, tests/cases/fuzz-http.sh.
 */
#define _GNU_SOURCE /* memmem(), memrchr() */
#include <errno.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "tools/hmm_exporter/http.c"
#include "lib/hist.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What http.c needs from tools/common.c and main.c. */
const char *tool_name = "fuzz_http";
int tool_verbose;

void tool_err(const char *fmt, ...)
{
	(void)fmt; /* the handler reports a failed render; nothing else to see here */
}

double tool_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct hmm_hist h_ok, h_busy, h_mig;
static __u64 counters[HMM_C_MAX];
static const struct prom_hist hists[] = {
	{ { .driver = 0x1000, .metric = HMM_M_FAULT_NS, .label = HMM_RES_OK }, "test_hmm", &h_ok },
	{ { .driver = 0x1000, .metric = HMM_M_FAULT_NS, .label = HMM_RES_EBUSY }, "test_hmm",
	  &h_busy },
	{ { .driver = 0x1000, .metric = HMM_M_MIGRATE_NS, .label = HMM_DIR_TO_SYSTEM }, "test_hmm",
	  &h_mig },
};
static const struct prom_probe probes[] = {
	{ "hmm_range_fault", "attached", "fentry" },
	{ "handle_userfault", "denied", "none" },
};

static struct prom_buf expected;

/* The fixed state through the exporter's renderer, once. */
static int render(struct prom_buf *b)
{
	const struct prom_state s = {
		.counters = counters,
		.hists = hists,
		.n_hists = sizeof(hists) / sizeof(hists[0]),
		.probes = probes,
		.n_probes = sizeof(probes) / sizeof(probes[0]),
		.version = "0.0.0-fuzz",
		.kernel_release = "6.1.0-fuzz",
		.last_render_seconds = 0.001,
		.renders = 1,
	};

	return prom_render(b, &s);
}

/* main.c's exporter_render(): the text rendered at start, copied (rendering it again for every
 * request of every input would be most of the fuzzer's time, and tests/unit/test_prom.c covers
 * the renderer). */
int exporter_render(struct exporter *e, struct prom_buf *b)
{
	(void)e;
	prom_buf_printf(b, "%.*s", (int)expected.len, expected.data);
	return b->oom ? -ENOMEM : 0;
}

static struct exporter fake;
static struct http_server *server;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const __u64 v[] = { 100, 257, 1000, 70000, 1ULL << 36, 1ULL << 41 };
	const struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int lfd;

	(void)argc;
	(void)argv;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		hmm_hist_add(&h_ok, v[i]);
	hmm_hist_add(&h_busy, 5000);
	hmm_hist_add(&h_mig, 2000000);
	counters[HMM_C_FAULT_CALLS] = 7;
	counters[HMM_C_FAULT_RESULT_BASE + HMM_RES_OK] = 6;
	counters[HMM_C_FAULT_RESULT_BASE + HMM_RES_EBUSY] = 1;
	counters[HMM_C_RINGBUF_DROPS] = 3;
	if (render(&expected) || expected.oom)
		abort();
	/* The daemon wants a listening socket; connections only ever come through
	 * MHD_add_connection(). bind() with only the family autobinds an AF_UNIX socket to an
	 * abstract name: nothing shows in the file system or on the network. */
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (const struct sockaddr *)&addr, sizeof(sa_family_t)) ||
	    listen(lfd, 1)) {
		perror("fuzz_http: listening socket");
		abort();
	}
	server = start(&fake, lfd, MHD_USE_ERROR_LOG, CONNECTION_LIMIT);
	if (!server)
		abort();
	return 0;
}

/* The response bytes we keep (the rest is counted, not stored). */
#define KEEP (1 << 20)
/* MHD_run() rounds without progress before the input counts as a hang. */
#define MAX_IDLE_ROUNDS 100000

static char resp[KEEP];

static const char *find_crlf2(const char *p, size_t n)
{
	for (size_t i = 0; i + 3 < n; i++)
		if (!memcmp(p + i, "\r\n\r\n", 4))
			return p + i;
	return NULL;
}

/* Value of header name in [hdr, end) (case-insensitive name), as a pointer and length. */
static const char *header(const char *hdr, const char *end, const char *name, size_t *len)
{
	size_t nl = strlen(name);
	const char *p = hdr;

	while (p < end) {
		const char *eol = memchr(p, '\n', end - p);
		size_t ll = (eol ? eol : end) - p;

		if (ll > nl + 1 && !strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *v = p + nl + 1;

			while (v < p + ll && (*v == ' ' || *v == '\t'))
				v++;
			*len = p + ll - v;
			while (*len && (v[*len - 1] == '\r' || v[*len - 1] == ' '))
				(*len)--;
			return v;
		}
		p = eol ? eol + 1 : end;
	}
	return NULL;
}

static void check_body(const char *body, size_t n, const char *want, size_t want_len, bool gz)
{
	if (gz) {
		z_stream z = { 0 };
		char *out = malloc(want_len + 1);
		int rc;

		if (!out || inflateInit2(&z, 15 + 16) != Z_OK)
			abort();
		z.next_in = (Bytef *)body;
		z.avail_in = n;
		z.next_out = (Bytef *)out;
		z.avail_out = want_len + 1;
		rc = inflate(&z, Z_FINISH);
		if (rc != Z_STREAM_END || z.total_out != want_len || memcmp(out, want, want_len)) {
			fprintf(stderr, "fuzz_http: gzip body does not inflate to the metrics\n");
			abort();
		}
		inflateEnd(&z);
		free(out);
		return;
	}
	if (n != want_len || memcmp(body, want, n)) {
		fprintf(stderr, "fuzz_http: body is not what the handler served\n");
		abort();
	}
}

/* The first response: a status line, and for a 200 the body the handler meant. */
static void check_response(const char *r, size_t n)
{
	const char *end, *v, *type, *body;
	size_t len, tlen, clen;
	unsigned int code;
	bool gz;

	if (!n)
		return; /* a request cut short gets no answer */
	if (n < 12 || (memcmp(r, "HTTP/1.1 ", 9) && memcmp(r, "HTTP/1.0 ", 9)) ||
	    r[9] < '1' || r[9] > '5' || r[10] < '0' || r[10] > '9' || r[11] < '0' || r[11] > '9') {
		fprintf(stderr, "fuzz_http: no status line: %.*s\n", (int)(n < 64 ? n : 64), r);
		abort();
	}
	code = (r[9] - '0') * 100 + (r[10] - '0') * 10 + (r[11] - '0');
	end = find_crlf2(r, n);
	if (!end) {
		if (n < KEEP) {
			fprintf(stderr, "fuzz_http: response headers never end\n");
			abort();
		}
		return;
	}
	if (code != 200)
		return;
	v = header(r, end, "Content-Length", &len);
	type = header(r, end, "Content-Type", &tlen);
	if (!v || !type)
		abort(); /* every reply of ours has both */
	clen = strtoull(v, NULL, 10);
	body = end + 4;
	/* A HEAD has no body: what follows, if anything, is the next response. */
	if ((size_t)(r + n - body) < clen || !memcmp(body, "HTTP/1.", 7 < clen ? 7 : clen))
		return;
	gz = header(r, end, "Content-Encoding", &len) != NULL;
	if (tlen == strlen(CT_METRICS) && !memcmp(type, CT_METRICS, tlen))
		check_body(body, clen, expected.data, expected.len, gz);
	else if (!gz)
		check_body(body, clen, index_html, sizeof(index_html) - 1, false);
	else
		abort(); /* only /metrics is compressed */
}

/* Whether a line of in (after optional blanks) starts with "host", case aside: loose on purpose,
 * so that whatever libmicrohttpd could take for a Host header counts. */
static bool any_host_line(const char *in, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t k = i;

		if (i && in[i - 1] != '\r' && in[i - 1] != '\n')
			continue;
		while (k < n && (in[k] == ' ' || in[k] == '\t'))
			k++;
		if (n - k >= 4 && !strncasecmp(in + k, "host", 4))
			return true;
	}
	return false;
}

/*
 * Whether the first request must not get a 200: a GET or HEAD request line (up to the first LF,
 * less a CR before it, as libmicrohttpd reads it) whose origin-form path has %00 before any '?',
 * or that ends in " HTTP/1.1" with no Host anywhere (RFC 9112 3.2). Not a line with a NUL byte:
 * libmicrohttpd 0.9.75 hands the handler C strings, cut at the first NUL ("GET /metrics\0x" is
 * served as /metrics), and nothing after the NUL can be seen from here.
 */
static bool must_refuse(const char *in, size_t n)
{
	const char *sp, *q;
	size_t len = 0, m;

	if (n >= 5 && !memcmp(in, "GET /", 5))
		m = 4;
	else if (n >= 6 && !memcmp(in, "HEAD /", 6))
		m = 5;
	else
		return false;
	while (len < n && in[len] != '\n')
		len++;
	if (len && in[len - 1] == '\r')
		len--;
	if (memchr(in, '\0', len))
		return false;
	sp = memrchr(in, ' ', len);
	if (sp > in + m) {
		q = memchr(in + m, '?', sp - (in + m));
		if (memmem(in + m, (q ? q : sp) - (in + m), "%00", 3))
			return true;
	}
	return len >= 9 && !memcmp(in + len - 9, " HTTP/1.1", 9) && !any_host_line(in, n);
}

static unsigned int connections(void)
{
	const union MHD_DaemonInfo *i;

	i = MHD_get_daemon_info(server->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	return i ? i->num_connections : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct sockaddr_un peer = { .sun_family = AF_UNIX };
	size_t off = 0, got = 0;
	bool shut = false, eof = false;
	unsigned long idle = 0;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		abort();
	/* libmicrohttpd takes sv[0] over (and closes it) whether or not it accepts it. */
	if (MHD_add_connection(server->d, sv[0], (const struct sockaddr *)&peer,
			       sizeof(sa_family_t)) != MHD_YES) {
		fprintf(stderr, "fuzz_http: MHD_add_connection failed\n");
		abort();
	}
	while (!eof || connections()) {
		bool progress = false;
		ssize_t r;

		if (off < size) {
			r = send(sv[1], data + off, size - off, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (r > 0) {
				off += r;
				progress = true;
			} else if (r < 0 && errno != EAGAIN) {
				off = size; /* the server hung up before reading it all */
			}
		}
		if (off == size && !shut) {
			shutdown(sv[1], SHUT_WR);
			shut = true;
		}
		if (MHD_run(server->d) != MHD_YES)
			abort();
		while (!eof) {
			char sink[65536];
			size_t room = KEEP - (got < KEEP ? got : KEEP);

			r = recv(sv[1], room ? resp + got : sink, room ? room : sizeof(sink),
				 MSG_DONTWAIT);
			if (r > 0) {
				got += room ? (size_t)r : 0;
				progress = true;
			} else if (r == 0 || errno != EAGAIN) {
				/* closed, or reset after an answer the client never read */
				eof = true;
			} else {
				break;
			}
		}
		idle = progress ? 0 : idle + 1;
		if (idle > MAX_IDLE_ROUNDS) {
			fprintf(stderr,
				"fuzz_http: no progress: %zu of %zu bytes sent, %zu received\n",
				off, size, got);
			abort();
		}
	}
	close(sv[1]);
	check_response(resp, got);
	if (got >= 12 && !memcmp(resp + 8, " 200", 4) && must_refuse((const char *)data, size)) {
		fprintf(stderr, "fuzz_http: a 200 for a request without Host or with %%00 in its "
				"path\n");
		abort();
	}
	return 0;
}
