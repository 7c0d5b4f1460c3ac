// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor of the overhead benchmark (tests/bench/icount.sh): an fentry and an fexit program
 * that do nothing. floor.c attaches one pair per traced function, so what it costs per call is
 * what any BPF tracer pays on that function before its program does any work: the trampoline,
 * __bpf_prog_enter/exit (RCU, migrate_disable, the recursion check) and the call itself.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

/* The attach target is set by the loader (bpf_program__set_attach_target). */
SEC("fentry/hmm_range_fault")
int floor_entry(void *ctx)
{
	return 0;
}

SEC("fexit/hmm_range_fault")
int floor_exit(void *ctx)
{
	return 0;
}
