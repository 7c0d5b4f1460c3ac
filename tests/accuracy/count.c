// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * count_faults: load tests/accuracy/count.bpf.c, print "attached" on stderr, count until SIGINT
 * or SIGTERM, then print "calls=N ebusy=M ucalls=N urounds=N ubusy=N utimeouts=N". The
 * accuracy test's second opinion: it shares no code with hmmscope beyond libbpf. The 7.x programs
 * load where their functions are in the kernel's BTF; a kernel with
 * hmm_range_fault_unlocked_timeout() but hmm_range_fault_locked() inlined cannot have its rounds
 * counted this way, and count_faults says so and fails.
 */
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>
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
	struct btf *btf;
	bool unlocked, locked;
	int err;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		fprintf(stderr, "count_faults: no kernel BTF: %s\n", strerror(errno));
		return 1;
	}
	unlocked = btf__find_by_name_kind(btf, "hmm_range_fault_unlocked_timeout",
					  BTF_KIND_FUNC) > 0;
	locked = btf__find_by_name_kind(btf, "hmm_range_fault_locked", BTF_KIND_FUNC) > 0;
	btf__free(btf);
	if (unlocked && !locked) {
		fprintf(stderr, "count_faults: hmm_range_fault_locked() is inlined here: the "
			"rounds of hmm_range_fault_unlocked_timeout() cannot be counted\n");
		return 1;
	}
	skel = count_bpf__open();
	if (!skel) {
		fprintf(stderr, "count_faults: cannot open: %s\n", strerror(errno));
		return 1;
	}
	bpf_program__set_autoload(skel->progs.enter_unlocked, unlocked);
	bpf_program__set_autoload(skel->progs.count_unlocked, unlocked);
	bpf_program__set_autoload(skel->progs.count_round, unlocked);
	err = count_bpf__load(skel);
	if (err) {
		fprintf(stderr, "count_faults: cannot load: %s\n", strerror(-err));
		count_bpf__destroy(skel);
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
	printf("calls=%llu ebusy=%llu ucalls=%llu urounds=%llu ubusy=%llu utimeouts=%llu\n",
	       (unsigned long long)skel->bss->calls, (unsigned long long)skel->bss->ebusy,
	       (unsigned long long)skel->bss->ucalls, (unsigned long long)skel->bss->urounds,
	       (unsigned long long)skel->bss->ubusy, (unsigned long long)skel->bss->utimeouts);
	count_bpf__destroy(skel);
	return 0;
}
