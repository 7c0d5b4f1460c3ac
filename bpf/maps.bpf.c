// SPDX-License-Identifier: GPL-2.0
/* The shared maps and settings (maps.bpf.h), and the functions every path calls. */
#define HMM_MAPS_OWNER
#include "common.bpf.h"

/* A zeroed histogram to insert from: too large for the 512-byte BPF stack. */
static struct hmm_hist zero_hist;

__noinline int hmm_hist_add(__u64 driver, __u32 metric, __u32 label, __u64 v)
{
	struct hmm_hist_key key = { .driver = driver, .metric = metric, .label = label };
	struct hmm_hist *h;
	__u32 slot;

	h = lookup_or_init(&hists, &key, &zero_hist);
	if (!h)
		return 0;
	slot = hmm_hist_slot(v);
	if (slot < HMM_HIST_SLOTS)
		h->slots[slot]++;
	h->count++;
	h->sum += v;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
