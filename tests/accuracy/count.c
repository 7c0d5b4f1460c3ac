// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * count_faults: load tests/accuracy/count.bpf.c, print "attached" on stderr, count until SIGINT
 * or SIGTERM, then print "calls=N ebusy=M". The accuracy test's second opinion: it shares no code
 * with hmmscope beyond libbpf.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "count.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct count_bpf *skel;
	int err;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	skel = count_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "count_faults: cannot load: %s\n", strerror(errno));
		return 1;
	}
	err = count_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "count_faults: cannot attach: %s\n", strerror(-err));
		count_bpf__destroy(skel);
		return 1;
	}
	fprintf(stderr, "count_faults: attached\n");
	while (!stop)
		pause();
	printf("calls=%llu ebusy=%llu\n", (unsigned long long)skel->bss->calls,
	       (unsigned long long)skel->bss->ebusy);
	count_bpf__destroy(skel);
	return 0;
}
