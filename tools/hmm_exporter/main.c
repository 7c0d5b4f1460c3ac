// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hmm_exporter: HMM histograms and counters for Prometheus, from in-kernel aggregation only (no
 * per-event ring-buffer traffic). Serves /metrics over HTTP and/or writes a node_exporter
 * textfile; see hmm_exporter(8).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include "exporter.h"
#include "../opt.h"
#include "hist.h"
#include "kmap.h"
#include "ksyms.h"

#define STR_(x) #x
#define STR(x) STR_(x)

static const struct tool_opt exporter_opts[] = {
	TOOL_OPT('l', "listen", "ADDR:PORT",
		 "serve /metrics there (default 127.0.0.1:" STR(HMM_EXPORTER_PORT) "; IPv6 as\n"
		 "[ADDR]:PORT; port 0 picks a free one)",
		 tool_opt_str, listen),
	TOOL_OPT('t', "textfile", "DIR",
		 "write DIR/hmm.prom every interval, atomically, for\n"
		 "node_exporter's textfile collector (no HTTP unless\n"
		 "--listen is given too)",
		 tool_opt_str, textfile),
	TOOL_OPT('i', "interval", "SECONDS", "textfile interval (default 15)", tool_opt_u64,
		 interval, .min = 1, .max = 86400),
	TOOL_OPT(0, "once", NULL,
		 "count for one interval, write the textfile (or stdout\n"
		 "without --textfile) once and exit",
		 tool_opt_flag, once),
	OPT_MODE(OPT_MODE_HELP),
	OPT_PATHS,
	OPT_THRASH_MS,
	OPT_THRASH_MIN,
	TOOL_OPT(0, "per-process", "N",
		 "also per-process counters, labelled pid and comm for\n"
		 "at most N (1..1000) owner processes, pid=\"other\" for\n"
		 "the rest",
		 tool_opt_u64, per_process, .min = 1, .max = 1000),
	OPT_STALL_MS,
	TOOL_OPT('u', "user", "USER",
		 "run as USER once the programs are attached and the port\n"
		 "is open (the textfile DIR must be writable by USER)",
		 tool_opt_str, user),
	TOOL_OPT(0, "validate", "FILE",
		 "check FILE ('-': stdin) in the text format against the\n"
		 "exporter's invariants, then exit (0: valid, 1: not)",
		 tool_opt_str, validate),
	OPT_VERBOSE("libbpf and libmicrohttpd messages (-vv: debug)"),
	OPT_VERSION,
	OPT_HELP,
	OPT_END,
};

static const struct tool_cmd exporter_cmd = {
	.prog = "hmm_exporter",
	.usage = "Usage: hmm_exporter [OPTIONS]\n",
	.about = "Export Linux HMM and device-memory migration statistics to Prometheus, from\n"
		 "hmmscope's in-kernel aggregation (no per-event traffic).",
	.opts = exporter_opts,
	.epilogue = "Exit status: 0 stopped by SIGINT/SIGTERM (or --once done); 1 runtime error\n"
		    "(cannot listen, cannot write the textfile); 2 bad usage; 3 the BPF programs\n"
		    "could not be loaded (no BTF, no privileges).\n",
};

/* ---- snapshot ------------------------------------------------------------------------------ */

static int collect_hist(void *ctx, const struct hmm_hist_key *k, const struct hmm_hist *h)
{
	struct exporter *e = ctx;

	if (grow_array(&e->hists, &e->cap_hists, e->n_hists + 1, sizeof(*e->hists)))
		return -ENOMEM;
	e->hists[e->n_hists].key = *k;
	e->hists[e->n_hists].h = *h;
	e->n_hists++;
	return 0;
}

static int collect_owner(void *ctx, __u32 pid, const struct hmm_owner_stats *st)
{
	struct exporter *e = ctx;

	if (grow_array(&e->owners, &e->cap_owners, e->n_owners + 1, sizeof(*e->owners)))
		return -ENOMEM;
	prom_owner_set(&e->owners[e->n_owners], pid, st);
	/* Exited: its label may go to another process (the kernel's pids: the host's pid namespace,
	 * where the exporter runs). */
	e->owners[e->n_owners].gone = pid && kill(pid, 0) && errno == ESRCH;
	e->n_owners++;
	return 0;
}

/*
 * Driver names for attribution addresses, cached: /proc/kallsyms is read only when an address is
 * new (a driver registered a notifier), then freed, so the exporter does not keep a big table
 * resident. The cache is bounded; past it, new addresses are "other".
 */
static void resolve_drivers(struct exporter *e)
{
	struct hmm_ksyms *ks = NULL;
	bool tried = false;

	for (size_t i = 0; i < e->n_hists; i++) {
		__u64 a = e->hists[i].key.driver;
		size_t k;

		if (!a)
			continue;
		for (k = 0; k < e->n_drivers; k++)
			if (e->drivers[k].addr == a)
				break;
		if (k < e->n_drivers || e->n_drivers == DRIVER_CACHE)
			continue;
		if (!tried) {
			ks = e->kallsyms_fd >= 0 ? hmm_ksyms__load_fd(e->kallsyms_fd) :
						   hmm_ksyms__load(NULL);
			tried = true;
			if (!ks)
				tool_err("cannot read /proc/kallsyms (%s): drivers are \"unknown\"",
					 strerror(errno));
		}
		e->drivers[k].addr = a;
		snprintf(e->drivers[k].name, sizeof(e->drivers[k].name), "%s",
			 ks ? hmm_ksyms__driver(ks, a) : "unknown");
		e->n_drivers++;
	}
	hmm_ksyms__free(ks);
}

static const char *driver_name(const struct exporter *e, __u64 addr)
{
	if (!addr)
		return "none";
	for (size_t k = 0; k < e->n_drivers; k++)
		if (e->drivers[k].addr == addr)
			return e->drivers[k].name;
	return "other";
}

int exporter_render(struct exporter *e, struct prom_buf *b)
{
	struct prom_probe probes[HMM_AP_MAX];
	const struct hmm_ap_report *rep;
	__u64 counters[HMM_C_MAX];
	struct prom_state s = { 0 };
	size_t n_rep = 0;
	double t0;
	int err;

	pthread_mutex_lock(&e->lock);
	t0 = tool_now_s();
	e->n_hists = 0;
	err = hmm_tracer__counters(e->t, counters);
	if (!err)
		err = hmm_tracer__hists(e->t, collect_hist, e);
	if (!err && e->procs.max_labels) {
		e->n_owners = 0;
		err = hmm_tracer__owners(e->t, collect_owner, e);
		if (!err)
			err = prom_procs_update(&e->procs, e->owners, e->n_owners);
		s.procs = &e->procs;
	}
	if (!err) {
		long thr = hmm_tracer__thrashing(e->t);

		if (thr < 0)
			err = thr;
		else
			s.thrashing_ranges = thr;
	}
	if (err)
		goto out;
	resolve_drivers(e);
	if (e->cap_views < e->n_hists) {
		struct prom_hist *v = realloc(e->views, e->n_hists * sizeof(*v));

		if (!v) {
			err = -ENOMEM;
			goto out;
		}
		e->views = v;
		e->cap_views = e->n_hists;
	}
	for (size_t i = 0; i < e->n_hists; i++) {
		e->views[i].key = e->hists[i].key;
		e->views[i].driver = driver_name(e, e->hists[i].key.driver);
		e->views[i].h = &e->hists[i].h;
	}
	rep = hmm_tracer__report(e->t, &n_rep);
	for (size_t i = 0; i < n_rep && i < HMM_AP_MAX; i++) {
		probes[i].func = rep[i].func ? rep[i].func : hmm_ap_func(rep[i].ap);
		probes[i].state = hmm_ap_state_str(rep[i].state);
		probes[i].mode = rep[i].state == HMM_AP_ATTACHED ? hmm_mode_str(rep[i].mode) : "none";
	}
	s.counters = counters;
	s.stall_ns = e->stall_ns;
	s.hists = e->views;
	s.n_hists = e->n_hists;
	s.probes = probes;
	s.n_probes = n_rep < HMM_AP_MAX ? n_rep : HMM_AP_MAX;
	s.version = tool_version_string();
	s.kernel_release = e->release;
	s.last_render_seconds = e->last_render_s;
	s.renders = e->renders;
	err = prom_render(b, &s);
	e->last_render_s = tool_now_s() - t0;
	e->renders++;
out:
	pthread_mutex_unlock(&e->lock);
	return err;
}

/* ---- textfile ------------------------------------------------------------------------------ */

/* DIR/hmm.prom through a temporary file in DIR and rename(): readers never see half a file. */
static int write_textfile(struct exporter *e, const char *dir)
{
	struct prom_buf b = { 0 };
	char tmp[4096] = "", path[4096];
	size_t off = 0;
	int fd = -1, err;

	err = exporter_render(e, &b);
	if (err)
		goto cleanup;
	snprintf(path, sizeof(path), "%s/hmm.prom", dir);
	snprintf(tmp, sizeof(tmp), "%s/.hmm.prom.XXXXXX", dir);
	fd = mkstemp(tmp);
	if (fd < 0) {
		err = -errno;
		tmp[0] = '\0';
		goto cleanup;
	}
	while (off < b.len) {
		ssize_t w = write(fd, b.data + off, b.len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			err = -errno;
			goto cleanup;
		}
		off += w;
	}
	/* mkstemp() makes it 0600; node_exporter runs as another user. */
	if (fchmod(fd, 0644) || close(fd)) {
		err = -errno;
		fd = -1;
		goto cleanup;
	}
	fd = -1;
	if (rename(tmp, path)) {
		err = -errno;
		goto cleanup;
	}
	tmp[0] = '\0';
cleanup:
	if (fd >= 0)
		close(fd);
	if (err && tmp[0])
		unlink(tmp);
	if (err)
		tool_err("cannot write %s/hmm.prom: %s", dir, strerror(-err));
	prom_buf_free(&b);
	return err;
}

/* --once without --textfile: the metrics on stdout. */
static int write_stdout(struct exporter *e)
{
	struct prom_buf b = { 0 };
	int err;

	err = exporter_render(e, &b);
	if (err) {
		tool_err("cannot render the metrics: %s", strerror(-err));
		goto cleanup;
	}
	errno = 0;
	if (fwrite(b.data, 1, b.len, stdout) != b.len || fflush(stdout)) {
		err = errno ? -errno : -EIO;
		tool_err("cannot write the metrics to stdout: %s", strerror(-err));
	}
cleanup:
	prom_buf_free(&b);
	return err;
}

/*
 * --user: a name from /etc/passwd (read with fgetpwent(), which works in a static binary, where
 * getpwnam() would need glibc's NSS modules), or UID[:GID]. 0 or -1.
 */
static int lookup_user(const char *user, uid_t *uid, gid_t *gid)
{
	unsigned long long u, g;
	struct passwd *pw;
	char *end;
	FILE *f;

	errno = 0;
	u = strtoull(user, &end, 10);
	if (end != user && !errno && u < (uid_t)-1) {
		g = u;
		if (*end == ':') {
			const char *gs = end + 1;

			g = strtoull(gs, &end, 10);
			if (end == gs || errno || g >= (gid_t)-1)
				return -1;
		}
		if (*end)
			return -1;
		*uid = u;
		*gid = g;
		return 0;
	}
	f = fopen("/etc/passwd", "re");
	if (!f)
		return -1;
	while ((pw = fgetpwent(f)))
		if (!strcmp(pw->pw_name, user))
			break;
	if (pw) {
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
	}
	fclose(f);
	return pw ? 0 : -1;
}

/* ---- listening socket ---------------------------------------------------------------------- */

/* Parse ADDR:PORT or [ADDR]:PORT (numeric only) and listen there; returns the fd, -2 for a bad
 * spec or -1 when the socket cannot listen. */
static int listen_on(const char *spec, bool *ipv6, char *shown, size_t shown_n)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} sa;
	socklen_t salen;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[256], num[INET6_ADDRSTRLEN];
	unsigned long long p;
	const char *colon;
	int fd = -1, one = 1;

	if (spec[0] == '[') {
		const char *rb = strchr(spec, ']');

		if (!rb || rb[1] != ':' || (size_t)(rb - spec - 1) >= sizeof(host))
			goto bad;
		snprintf(host, sizeof(host), "%.*s", (int)(rb - spec - 1), spec + 1);
		colon = rb + 1;
	} else {
		colon = strrchr(spec, ':');
		if (!colon || (size_t)(colon - spec) >= sizeof(host) || memchr(spec, ':', colon - spec))
			goto bad;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
	}
	if (!host[0])
		goto bad;
	if (tool_parse_u64("--listen port", colon + 1, 0, 65535, &p))
		return -2;
	/* inet_pton(), not getaddrinfo(): numeric only, and no NSS in a static binary. */
	memset(&sa, 0, sizeof(sa));
	if (inet_pton(AF_INET, host, &sa.v4.sin_addr) == 1) {
		sa.v4.sin_family = AF_INET;
		sa.v4.sin_port = htons(p);
		salen = sizeof(sa.v4);
	} else if (inet_pton(AF_INET6, host, &sa.v6.sin6_addr) == 1) {
		sa.v6.sin6_family = AF_INET6;
		sa.v6.sin6_port = htons(p);
		salen = sizeof(sa.v6);
	} else {
		tool_err("--listen: '%s' is not a numeric IPv4 or IPv6 address", host);
		return -2;
	}
	*ipv6 = sa.sa.sa_family == AF_INET6;
	fd = socket(sa.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		tool_err("--listen %s: socket: %s", spec, strerror(errno));
		goto fail;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* A long backlog: past it the kernel drops connection requests, and a scrape behind a burst
	 * of connections would retry after 1 s, 3 s, 7 s ... (the kernel caps it at somaxconn). */
	if (bind(fd, &sa.sa, salen) || listen(fd, SOMAXCONN)) {
		tool_err("cannot listen on %s: %s%s", spec, strerror(errno),
			 errno == EADDRINUSE ? " (another exporter running? choose --listen)" :
			 errno == EACCES ? " (ports below 1024 need CAP_NET_BIND_SERVICE)" : "");
		goto fail;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (void *)&ss;

			inet_ntop(AF_INET6, &s6->sin6_addr, num, sizeof(num));
			snprintf(shown, shown_n, "[%s]:%u", num, ntohs(s6->sin6_port));
		} else {
			struct sockaddr_in *s4 = (void *)&ss;

			inet_ntop(AF_INET, &s4->sin_addr, num, sizeof(num));
			snprintf(shown, shown_n, "%s:%u", num, ntohs(s4->sin_port));
		}
	}
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
bad:
	tool_err("--listen: expected ADDR:PORT or [ADDR]:PORT, got '%s'", spec);
	return -2;
}

/* ---- --validate ---------------------------------------------------------------------------- */

static int validate_file(const char *path)
{
	struct prom_buf b = { 0 };
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char chunk[65536], err[512];
	size_t n;
	int rc;

	if (!f) {
		tool_err("--validate: cannot open %s: %s", path, strerror(errno));
		return EXP_ERROR;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		prom_buf_printf(&b, "%.*s", (int)n, chunk);
	if (f != stdin)
		fclose(f);
	if (b.oom) {
		tool_err("--validate: out of memory");
		prom_buf_free(&b);
		return EXP_ERROR;
	}
	rc = prom_validate(b.data ? b.data : "", b.len, err, sizeof(err));
	if (rc)
		tool_err("%s: %s", path, err);
	else
		printf("%s: valid\n", path);
	prom_buf_free(&b);
	return rc ? EXP_ERROR : EXP_OK;
}

/* ---- main ---------------------------------------------------------------------------------- */

/* Open, load and attach the programs; say what is not live. EXP_OK, or the exit status. */
static int exporter_attach(struct exporter *e, const struct hmm_tracer_opts *opts)
{
	const struct hmm_ap_report *r;
	size_t n;
	int err, live = 0;

	e->t = hmm_tracer__open(opts);
	if (!e->t) {
		tool_err("%s", strerror(errno));
		return EXP_ERROR;
	}
	err = hmm_tracer__load(e->t);
	if (err) {
		tool_load_error(err);
		return EXP_NONE;
	}
	/* Attach failures are in the report, and the exporter serves them: not fatal here. */
	hmm_tracer__attach(e->t);
	r = hmm_tracer__report(e->t, &n);
	for (size_t i = 0; i < n; i++) {
		if (r[i].state == HMM_AP_ATTACHED)
			live++;
		else if (r[i].state != HMM_AP_DISABLED)
			fprintf(stderr, "%s: %s: %s: %s\n", tool_name, r[i].func,
				hmm_ap_state_str(r[i].state), r[i].reason);
	}
	if (!live)
		tool_err("nothing could be attached on this kernel: exporting the probe states only "
			 "(hmm_exporter_probe_info)");
	return EXP_OK;
}

/* Until a signal: the textfile rewritten every interval (HTTP is served by its own threads);
 * with --once, one file or stdout after one interval. The exit status. */
static int exporter_loop(struct exporter *e, const char *textfile, bool once,
			 unsigned long long interval)
{
	double next = tool_now_s() + interval;

	while (!tool_exiting) {
		double now = tool_now_s();

		if ((textfile || once) && now >= next) {
			if (once)
				return (textfile ? write_textfile(e, textfile) : write_stdout(e)) ?
					       EXP_ERROR :
					       EXP_OK;
			write_textfile(e, textfile); /* a failure is reported; the next may work */
			next += interval;
			if (next < now)
				next = now + interval;
			continue;
		}
		usleep(100000);
	}
	return EXP_OK;
}

int main(int argc, char **argv)
{
	struct tool_opts to = { .tracer = { .sz = sizeof(to.tracer), .aggregate = true },
				.interval = 15 };
	struct hmm_tracer_opts opts;
	const char *listen_spec, *textfile, *user;
	uid_t uid = 0;
	gid_t gid = 0;
	char default_listen[32], shown[128] = "";
	unsigned long long interval, per_process;
	struct http_server *http = NULL;
	struct exporter *e = NULL;
	struct utsname un;
	bool once, ipv6 = false;
	int first, fd = -1, status = EXP_OK;

	tool_name = "hmm_exporter";
	hmm_set_print(tool_print);
	first = tool_parse(&exporter_cmd, argc, argv, &to);
	if (first < 0)
		return EXP_USAGE;
	if (to.help || to.version)
		return EXP_OK;
	if (to.validate)
		return validate_file(to.validate);
	if (first < argc) {
		tool_err("unexpected argument '%s' (see --help)", argv[first]);
		return EXP_USAGE;
	}
	opts = to.tracer;
	opts.per_owner = to.per_process > 0;
	listen_spec = to.listen;
	textfile = to.textfile;
	user = to.user;
	interval = to.interval;
	per_process = to.per_process;
	once = to.once;
	tool_verbose = to.verbose;
	if (user && lookup_user(user, &uid, &gid)) {
		tool_err("--user: no such user '%s' in /etc/passwd (a name, or UID[:GID])", user);
		return EXP_USAGE;
	}
	if (textfile) {
		struct stat st;

		if (stat(textfile, &st) || !S_ISDIR(st.st_mode)) {
			tool_err("--textfile: '%s' is not a directory", textfile);
			return EXP_USAGE;
		}
	}
	snprintf(default_listen, sizeof(default_listen), "127.0.0.1:%d", HMM_EXPORTER_PORT);
	if (!listen_spec && !textfile && !once)
		listen_spec = default_listen;
	if (once && listen_spec) {
		tool_err("--once writes one file or stdout; it does not serve HTTP (drop --listen)");
		return EXP_USAGE;
	}

	/* Listen before loading BPF: a port in use fails fast and cheaply. */
	if (listen_spec) {
		fd = listen_on(listen_spec, &ipv6, shown, sizeof(shown));
		if (fd < 0)
			return fd == -2 ? EXP_USAGE : EXP_ERROR;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		tool_err("out of memory");
		status = EXP_ERROR;
		goto cleanup;
	}
	pthread_mutex_init(&e->lock, NULL);
	e->kallsyms_fd = open("/proc/kallsyms", O_RDONLY | O_CLOEXEC);
	e->procs.max_labels = per_process;
	e->stall_ns = to.stall_ns;
	if (uname(&un) == 0)
		snprintf(e->release, sizeof(e->release), "%s", un.release);
	signal(SIGPIPE, SIG_IGN);
	/* Nothing to reload: the options are fixed at start (hmm_exporter(8), SIGNALS). */
	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);
	tool_signals();

	status = exporter_attach(e, &opts);
	if (status != EXP_OK)
		goto cleanup;

	/* Loading and relocating the programs allocated and freed megabytes (BTF): hand the freed
	 * heap back to the kernel, the exporter runs for months. */
	malloc_trim(0);

	/* Least privilege, before libmicrohttpd starts its threads (capabilities are per thread):
	 * maps are read through fds the exporter holds, kallsyms through e->kallsyms_fd. */
	if (user && (setgroups(0, NULL) || setgid(gid) || setuid(uid))) {
		tool_err("--user %s: cannot switch: %s", user, strerror(errno));
		status = EXP_ERROR;
		goto cleanup;
	}
	tool_drop_privileges();

	if (textfile && !once && write_textfile(e, textfile)) {
		status = EXP_ERROR;
		goto cleanup;
	}
	if (fd >= 0) {
		http = http_start(e, fd, ipv6);
		fd = -1; /* libmicrohttpd owns it now, or it was closed */
		if (!http) {
			status = EXP_ERROR;
			goto cleanup;
		}
		fprintf(stderr, "%s: serving http://%s/metrics\n", tool_name, shown);
	}
	if (textfile && !once)
		fprintf(stderr, "%s: writing %s/hmm.prom every %llu s\n", tool_name, textfile,
			interval);

	status = exporter_loop(e, textfile, once, interval);
cleanup:
	http_stop(http);
	if (fd >= 0)
		close(fd);
	if (e) {
		hmm_tracer__destroy(e->t);
		free(e->hists);
		free(e->views);
		free(e->owners);
		prom_procs_free(&e->procs);
		pthread_mutex_destroy(&e->lock);
		if (e->kallsyms_fd >= 0)
			close(e->kallsyms_fd);
		free(e);
	}
	return status;
}
