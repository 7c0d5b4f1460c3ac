// SPDX-License-Identifier: GPL-2.0
/* Defines the maps and settings that every hmmscope BPF file shares (see maps.bpf.h). */
#define HMM_MAPS_OWNER
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";
