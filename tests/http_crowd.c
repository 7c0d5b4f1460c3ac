// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A crowd of hostile but fair HTTP clients for hmm_exporter's tests
 * (tests/cases/exporter-crowd.sh):
 *
 *   http_crowd -p PORT [-a ADDR] [-s SLOW] [-i IDLE] [-t SECONDS]
 *
 * SLOW clients send a request that never ends, one byte a second ("GET /metrics HTTP/1.1", a Host
 * line, then an endless header value); IDLE clients connect and send nothing. All are opened at
 * once (a burst), and each one reconnects as soon as the server lets it go, so the crowd keeps
 * SLOW + IDLE connections for SECONDS (default 30), then closes them and prints, as key=value
 * lines (tests/lib.sh's kv reads them):
 *   slow_connects, idle_connects   connections made (the first ones and the reconnections)
 *   slow_dropped, idle_dropped     connections the server closed
 *   slow_held_max_ms, idle_held_max_ms   the longest a connection was open before the server
 *                                  closed it
 *   answered                       connections on which the server sent something before closing
 *   connect_failed                 connect() errors (each retried 100 ms later)
 * One thread and poll(): the crowd costs little CPU beside the server it tests. Traffic stays
 * where ADDR is (127.0.0.1 by default). Exit status 0, or 1 with a message.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static const char slow_request[] = "GET /metrics HTTP/1.1\r\nHost: crowd\r\nX-Slow: ";

struct client {
	int fd;
	bool slow, connecting;
	double opened, retry_at, next_byte;
	size_t sent;
	bool answered;
};

struct stats {
	unsigned long connects[2], dropped[2], answered, connect_failed;
	double held_max[2];
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* A number for option -opt, in [min, max]; exits with a message naming the option otherwise. */
static unsigned long number(char opt, const char *arg, unsigned long min, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (end == arg || *end || errno || v < min || v > max) {
		fprintf(stderr, "http_crowd: -%c: '%s' is not a number in %lu..%lu\n", opt, arg, min,
			max);
		exit(1);
	}
	return v;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void open_client(struct client *c, const struct sockaddr_in *sa, struct stats *st,
			double now)
{
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		st->connect_failed++;
		c->retry_at = now + 0.1;
		return;
	}
	c->connecting = true;
	c->sent = 0;
	c->answered = false;
	c->opened = now;
	c->next_byte = now;
	if (connect(c->fd, (const struct sockaddr *)sa, sizeof(*sa)) && errno != EINPROGRESS) {
		close(c->fd);
		c->fd = -1;
		st->connect_failed++;
		c->retry_at = now + 0.1;
	}
}

/* The server closed it (or it failed): count, and reconnect at once. */
static void drop_client(struct client *c, struct stats *st, double now, bool by_server)
{
	if (by_server) {
		st->dropped[c->slow]++;
		if (now - c->opened > st->held_max[c->slow])
			st->held_max[c->slow] = now - c->opened;
		st->answered += c->answered;
	} else {
		st->connect_failed++;
	}
	close(c->fd);
	c->fd = -1;
	c->retry_at = by_server ? now : now + 0.1;
}

/* The next byte of a slow client's request: the request line and Host, then 'a' for ever. */
static void send_byte(struct client *c, double now)
{
	char b = c->sent < sizeof(slow_request) - 1 ? slow_request[c->sent] : 'a';

	if (send(c->fd, &b, 1, MSG_NOSIGNAL) == 1)
		c->sent++;
	c->next_byte = now + 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	unsigned long slow = 0, idle = 0, seconds = 30, port = 0;
	const char *addr = "127.0.0.1";
	struct stats st = { 0 };
	struct client *cl = NULL;
	struct pollfd *pfd = NULL;
	size_t n, i;
	double end;
	int c, rc = 1;

	while ((c = getopt(argc, argv, "p:a:s:i:t:")) != -1) {
		switch (c) {
		case 'p':
			port = number(c, optarg, 1, 65535);
			break;
		case 'a':
			addr = optarg;
			break;
		case 's':
			slow = number(c, optarg, 0, 50000);
			break;
		case 'i':
			idle = number(c, optarg, 0, 50000);
			break;
		case 't':
			seconds = number(c, optarg, 1, 86400);
			break;
		default:
			fprintf(stderr, "usage: http_crowd -p PORT [-a ADDR] [-s SLOW] [-i IDLE] "
					"[-t SECONDS]\n");
			return 1;
		}
	}
	if (!port || inet_pton(AF_INET, addr, &sa.sin_addr) != 1 || slow + idle == 0) {
		fprintf(stderr, "http_crowd: need -p PORT, a numeric IPv4 -a and a client or more\n");
		return 1;
	}
	sa.sin_port = htons(port);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	n = slow + idle;
	cl = calloc(n, sizeof(*cl));
	pfd = calloc(n, sizeof(*pfd));
	if (!cl || !pfd) {
		fprintf(stderr, "http_crowd: out of memory\n");
		goto cleanup;
	}
	end = now_s() + seconds;
	for (i = 0; i < n; i++) {
		cl[i].fd = -1;
		cl[i].slow = i < slow;
		open_client(&cl[i], &sa, &st, now_s());
		if (cl[i].fd >= 0)
			st.connects[cl[i].slow]++;
	}
	while (!stop) {
		double now = now_s();

		if (now >= end)
			break;
		for (i = 0; i < n; i++) {
			pfd[i].fd = cl[i].fd;
			pfd[i].events = cl[i].connecting ? POLLOUT : POLLIN;
			pfd[i].revents = 0;
		}
		if (poll(pfd, n, 100) < 0 && errno != EINTR) {
			perror("http_crowd: poll");
			goto cleanup;
		}
		now = now_s();
		for (i = 0; i < n; i++) {
			struct client *k = &cl[i];
			char buf[4096];
			ssize_t r;

			if (k->fd < 0) {
				if (now >= k->retry_at) {
					open_client(k, &sa, &st, now);
					if (k->fd >= 0)
						st.connects[k->slow]++;
				}
				continue;
			}
			if (k->connecting) {
				int err = 0;
				socklen_t len = sizeof(err);

				if (!pfd[i].revents)
					continue;
				getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &len);
				if (err) {
					drop_client(k, &st, now, false);
					continue;
				}
				k->connecting = false;
				k->opened = now;
				k->next_byte = now;
			}
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				r = recv(k->fd, buf, sizeof(buf), MSG_DONTWAIT);
				if (r > 0) {
					k->answered = true;
				} else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
					drop_client(k, &st, now, true);
					continue;
				}
			}
			if (k->slow && now >= k->next_byte)
				send_byte(k, now);
		}
	}
	printf("slow_connects=%lu\nidle_connects=%lu\nslow_dropped=%lu\nidle_dropped=%lu\n"
	       "slow_held_max_ms=%.0f\nidle_held_max_ms=%.0f\nanswered=%lu\nconnect_failed=%lu\n",
	       st.connects[1], st.connects[0], st.dropped[1], st.dropped[0], st.held_max[1] * 1e3,
	       st.held_max[0] * 1e3, st.answered, st.connect_failed);
	rc = 0;
cleanup:
	for (i = 0; cl && i < n; i++)
		if (cl[i].fd >= 0)
			close(cl[i].fd);
	free(cl);
	free(pfd);
	return rc;
}
