// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The metric table: what every histogram the BPF side and the statistics keep is called, what its
 * label is, its unit and its Prometheus family. The exporter, `hist`, `stat`, `dump --stats`, the
 * report and the JSON writers all read it here (lib/agg.h, hmm_metric()).
 */
#include <math.h>
#include "agg.h"
#include "hist.h"

/* Durations are exported from 256 ns to 2^36 ns (68.7 s), every power of two: exact bucket
 * edges, 29 finite bounds; attempts from 1 to 1024. */
#define NS_LO (1ULL << 8)
#define NS_HI (1ULL << 36)

static const struct hmm_metric_desc metrics[HMM_M_MAX] = {
	[HMM_M_FAULT_NS] = { "fault_ns", HMM_LBL_RESULT, false, true,
			     "hmm_range_fault_duration_seconds",
			     "Duration of hmm_range_fault() calls, by driver and result.", NS_LO,
			     NS_HI },
	[HMM_M_CHAIN_NS] = { "chain_ns", HMM_LBL_RESULT, false, true,
			     "hmm_fault_chain_duration_seconds",
			     "Duration of hmm_range_fault() retry chains (first attempt to the last "
			     "one's return), by driver and final result.",
			     NS_LO, NS_HI },
	[HMM_M_CHAIN_ATTEMPTS] = { "chain_attempts", HMM_LBL_RESULT, true, true,
				   "hmm_fault_chain_attempts",
				   "Attempts per hmm_range_fault() retry chain (1 + the -EBUSY "
				   "retries), by driver and final result.",
				   1, 1024 },
	[HMM_M_READ_BEGIN_NS] = { "read_begin_ns", HMM_LBL_NONE, false, false,
				  "hmm_interval_read_begin_duration_seconds",
				  "Time spent in mmu_interval_read_begin() waiting for invalidations "
				  "to end.",
				  NS_LO, NS_HI },
	[HMM_M_MIGRATE_NS] = { "migrate_ns", HMM_LBL_DIR, false, true,
			       "hmm_migrate_duration_seconds",
			       "Duration of device-memory migrations (setup to finalize), by driver "
			       "and direction.",
			       NS_LO, NS_HI },
	[HMM_M_MIGRATE_SETUP_NS] = { "migrate_setup_ns", HMM_LBL_DIR, false, true,
				     "hmm_migrate_setup_duration_seconds",
				     "Time in migrate_vma_setup() / migrate_device_range(), by driver "
				     "and direction.",
				     NS_LO, NS_HI },
	[HMM_M_MIGRATE_COPY_NS] = { "migrate_copy_ns", HMM_LBL_DIR, false, true,
				    "hmm_migrate_copy_duration_seconds",
				    "Time between setup and migrate_*_pages(): the driver's allocation "
				    "and copy, by driver and direction.",
				    NS_LO, NS_HI },
	[HMM_M_MIGRATE_FINALIZE_NS] = { "migrate_finalize_ns", HMM_LBL_DIR, false, true,
					"hmm_migrate_finalize_duration_seconds",
					"Time from migrate_*_pages() to the end of "
					"migrate_*_finalize(), by driver and direction.",
					NS_LO, NS_HI },
	[HMM_M_INVAL_START_NS] = { "inval_start_ns", HMM_LBL_EVENT, false, false,
				   "hmm_invalidate_duration_seconds",
				   "Time in mmu-notifier invalidate_range_start (every subscriber's "
				   "callback), by event.",
				   NS_LO, NS_HI },
	[HMM_M_INVAL_END_NS] = { "inval_end_ns", HMM_LBL_EVENT, false, false,
				 "hmm_invalidate_end_duration_seconds",
				 "Time in mmu-notifier invalidate_range_end, by event.", NS_LO, NS_HI },
	[HMM_M_UFFD_NS] = { "uffd_ns", HMM_LBL_REASON, false, false,
			    "hmm_userfault_duration_seconds",
			    "Duration of handle_userfault() (userfaultfd faults, resolved), by reason.",
			    NS_LO, NS_HI },
	[HMM_M_ROUND_TRIP_NS] = { "round_trip_ns", HMM_LBL_DIR, false, true,
				  "hmm_migration_round_trip_seconds",
				  "Time spent migrating a range one way and back within the thrash "
				  "window (both legs), by driver and the direction of the return.",
				  NS_LO, NS_HI },
};

static const struct hmm_metric_desc unknown = { "unknown", HMM_LBL_NONE, false, false, "", "", 1,
						 1 };

const struct hmm_metric_desc *hmm_metric(__u16 metric)
{
	return metric < HMM_M_MAX && metrics[metric].name ? &metrics[metric] : &unknown;
}

/* The label kinds: their key and the names of their values (the contract's enums). */
static const char *none_str(unsigned int v)
{
	(void)v;
	return "";
}

static const char *res_str(unsigned int v) { return hmm_result_str(v); }
static const char *dir_str(unsigned int v) { return hmm_dir_str(v); }
static const char *ev_str(unsigned int v) { return hmm_event_str(v); }
static const char *uffd_str(unsigned int v) { return hmm_uffd_reason_str(v); }

const struct hmm_label_desc hmm_labels[HMM_LBL_MAX] = {
	[HMM_LBL_NONE] = { NULL, 1, none_str },
	[HMM_LBL_RESULT] = { "result", HMM_RES_MAX, res_str },
	[HMM_LBL_DIR] = { "direction", HMM_DIR_MAX, dir_str },
	[HMM_LBL_EVENT] = { "event", HMM_EV_MAX, ev_str },
	[HMM_LBL_REASON] = { "reason", HMM_UFFD_MAX, uffd_str },
};

const char *hmm_metric_name(__u16 metric)
{
	return hmm_metric(metric)->name;
}

const char *hmm_metric_label(__u16 metric, __u16 label)
{
	return hmm_labels[hmm_metric(metric)->label].str(label);
}

unsigned int hmm_metric_label_count(__u16 metric)
{
	return hmm_labels[hmm_metric(metric)->label].count;
}

__u64 hmm_chain_stall_bound(__u64 stall_ns)
{
	return (__u64)floor(hmm_hist_slot_lower(hmm_hist_slot(stall_ns)));
}

__u64 hmm_chain_hist_stalls(const struct hmm_hist *h, __u16 result, __u64 stall_ns)
{
	__u64 n = 0;

	if (result == HMM_RES_EBUSY)
		return hmm_hist_total(h);
	for (__u32 s = hmm_hist_slot(stall_ns); s < HMM_HIST_SLOTS; s++)
		n += h->slots[s];
	return n;
}
