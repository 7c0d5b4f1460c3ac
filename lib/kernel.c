// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What the running kernel offers: release, BTF, lockdown, capabilities, kprobes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <linux/capability.h>
#include <bpf/libbpf.h>
#include "internal.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* The active lockdown mode is the bracketed word of /sys/kernel/security/lockdown. */
static void read_lockdown(char *out, size_t n)
{
	char buf[128], *l, *r;
	FILE *f = fopen("/sys/kernel/security/lockdown", "r");

	snprintf(out, n, "unknown");
	if (!f) {
		if (access("/sys/kernel/security", F_OK) == 0)
			snprintf(out, n, "unknown (securityfs not mounted)");
		return;
	}
	if (fgets(buf, sizeof(buf), f) && (l = strchr(buf, '[')) && (r = strchr(l, ']'))) {
		*r = 0;
		snprintf(out, n, "%s", l + 1);
	}
	fclose(f);
}

static void read_caps(struct hmm_kernel_info *ki)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};
	__u64 eff;

	if (syscall(SYS_capget, &hdr, data))
		return;
	eff = data[0].effective | ((__u64)data[1].effective << 32);
	ki->cap_sys_admin = eff & (1ULL << CAP_SYS_ADMIN);
	/* Before 5.8 CAP_SYS_ADMIN covered what CAP_BPF and CAP_PERFMON do now. */
	ki->cap_bpf = ki->cap_sys_admin || (eff & (1ULL << CAP_BPF));
	ki->cap_perfmon = ki->cap_sys_admin || (eff & (1ULL << CAP_PERFMON));
}

int hmm_kernel_probe(struct hmm_kernel_info *ki)
{
	struct utsname u;
	struct stat st;

	memset(ki, 0, sizeof(*ki));
	if (uname(&u) == 0)
		snprintf(ki->release, sizeof(ki->release), "%s", u.release);
	ki->btf = stat("/sys/kernel/btf/vmlinux", &st) == 0;
	read_lockdown(ki->lockdown, sizeof(ki->lockdown));
	ki->root = geteuid() == 0;
	read_caps(ki);
	ki->kprobes = access("/sys/bus/event_source/devices/kprobe/type", R_OK) == 0;
	ki->page_size = sysconf(_SC_PAGESIZE);
	ki->ncpus = libbpf_num_possible_cpus();
	return 0;
}
