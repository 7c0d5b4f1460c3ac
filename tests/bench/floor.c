// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * floor: attach empty fentry/fexit programs (floor.bpf.c) to kernel functions and wait for
 * SIGINT or SIGTERM. The overhead benchmark's floor (tests/bench/icount.sh).
 *
 * Usage: floor [--loop N] FUNC[:entry|:exit]...
 *   FUNC        an empty fentry and an empty fexit program on FUNC
 *   FUNC:entry  the fentry one only; FUNC:exit the fexit one only
 *   --loop N    instead of waiting, call getppid() N times and print "loop NS" (CLOCK_MONOTONIC:
 *               under icount, instructions): with FUNC __x64_sys_getppid, what the programs add
 *               to a call that costs little else (no FUNC: the call alone)
 * A function that the kernel's BTF lacks is skipped (said on stderr). Prints "ready N" on
 * standard output once N programs are attached.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "floor.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

int main(int argc, char **argv)
{
	struct floor_bpf **skels;
	sigset_t block, old;
	struct btf *vmlinux;
	int i, n = 0, progs = 0, first = 1;
	unsigned long loop = 0;

	if (argc > 2 && !strcmp(argv[1], "--loop")) {
		loop = strtoul(argv[2], NULL, 10);
		first = 3;
	}
	if (argc <= first && !loop) {
		fprintf(stderr, "usage: floor [--loop N] FUNC[:entry|:exit]...\n");
		return 2;
	}
	libbpf_set_print(quiet);
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux) {
		fprintf(stderr, "floor: no kernel BTF: %s\n", strerror(errno));
		return 1;
	}
	skels = calloc(argc, sizeof(*skels));
	if (!skels)
		return 1;
	for (i = first; i < argc; i++) {
		char fn[128], *colon;
		bool entry = true, exit_ = true;
		struct floor_bpf *s;

		snprintf(fn, sizeof(fn), "%s", argv[i]);
		colon = strchr(fn, ':');
		if (colon) {
			*colon++ = '\0';
			if (!strcmp(colon, "entry"))
				exit_ = false;
			else if (!strcmp(colon, "exit"))
				entry = false;
			else {
				fprintf(stderr, "floor: '%s': expected FUNC, FUNC:entry or FUNC:exit\n",
					argv[i]);
				return 2;
			}
		}
		if (btf__find_by_name_kind(vmlinux, fn, BTF_KIND_FUNC) < 0) {
			fprintf(stderr, "floor: %s: not in this kernel, skipped\n", fn);
			continue;
		}
		s = floor_bpf__open();
		if (!s) {
			fprintf(stderr, "floor: open: %s\n", strerror(errno));
			return 1;
		}
		if (bpf_program__set_attach_target(s->progs.floor_entry, 0, fn) ||
		    bpf_program__set_attach_target(s->progs.floor_exit, 0, fn) ||
		    bpf_program__set_autoload(s->progs.floor_entry, entry) ||
		    bpf_program__set_autoload(s->progs.floor_exit, exit_) || floor_bpf__load(s)) {
			fprintf(stderr, "floor: %s: load: %s\n", fn, strerror(errno));
			return 1;
		}
		if ((entry && !bpf_program__attach(s->progs.floor_entry)) ||
		    (exit_ && !bpf_program__attach(s->progs.floor_exit))) {
			fprintf(stderr, "floor: %s: attach: %s\n", fn, strerror(errno));
			return 1;
		}
		skels[n++] = s;
		progs += entry + exit_;
	}
	if (loop) {
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (unsigned long k = 0; k < loop; k++)
			syscall(SYS_getppid);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		printf("loop %lld\n", (t1.tv_sec - t0.tv_sec) * 1000000000LL + t1.tv_nsec - t0.tv_nsec);
		return 0;
	}
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("ready %d\n", progs);
	fflush(stdout);
	while (!stop)
		sigsuspend(&old);
	while (n > 0)
		floor_bpf__destroy(skels[--n]);
	btf__free(vmlinux);
	free(skels);
	return 0;
}
