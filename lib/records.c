// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Record validation and the names of the contract's enums. */
#include <errno.h>
#include <stddef.h>
#include "internal.h"

static const size_t rec_sizes[HMM_REC_TYPE_MAX] = {
	[HMM_REC_FAULT] = sizeof(struct hmm_rec_fault),
	/* flags came later: older chain records end before them (hmm_chain_flags()). */
	[HMM_REC_CHAIN] = offsetof(struct hmm_rec_chain, flags),
	[HMM_REC_READ_BEGIN] = sizeof(struct hmm_rec_read_begin),
	[HMM_REC_MIGRATE] = sizeof(struct hmm_rec_migrate),
	[HMM_REC_INVAL] = sizeof(struct hmm_rec_inval),
	[HMM_REC_UFFD] = sizeof(struct hmm_rec_uffd),
	[HMM_REC_LOST] = sizeof(struct hmm_rec_lost),
	[HMM_REC_CLOCK] = sizeof(struct hmm_rec_clock),
	[HMM_REC_SYM] = sizeof(struct hmm_rec_sym),
};

size_t hmm_rec_min_size(__u16 type)
{
	return type < HMM_REC_TYPE_MAX ? rec_sizes[type] : 0;
}

/* A newer writer may append fields to a record: a longer record of a known type is fine. */
int hmm_rec_check(const void *data, size_t len)
{
	const struct hmm_rec_hdr *h = data;
	size_t min;

	if (len < sizeof(*h) || h->size < sizeof(*h) || h->size > len)
		return -EINVAL;
	min = hmm_rec_min_size(h->type);
	if (!min)
		return -ENOENT;
	return h->size >= min ? 0 : -EINVAL;
}

const char *hmm_rec_type_str(__u16 type)
{
	static const char *const n[HMM_REC_TYPE_MAX] = {
		[HMM_REC_FAULT] = "fault",	     [HMM_REC_CHAIN] = "chain",
		[HMM_REC_READ_BEGIN] = "read_begin", [HMM_REC_MIGRATE] = "migrate",
		[HMM_REC_INVAL] = "inval",	     [HMM_REC_UFFD] = "uffd",
		[HMM_REC_LOST] = "lost",	     [HMM_REC_CLOCK] = "clock",
		[HMM_REC_SYM] = "sym",
	};

	return type < HMM_REC_TYPE_MAX && n[type] ? n[type] : "unknown";
}

const char *hmm_event_str(__u8 ev)
{
	static const char *const n[HMM_EV_MAX] = {
		"unmap", "clear",   "protection_vma", "protection_page", "soft_dirty",
		"release", "migrate", "exclusive",	"unknown",
	};

	return ev < HMM_EV_MAX ? n[ev] : "unknown";
}

const char *hmm_result_str(__u16 res)
{
	static const char *const n[HMM_RES_MAX] = { "ok", "ebusy", "efault", "eperm", "other" };

	return res < HMM_RES_MAX ? n[res] : "other";
}

const char *hmm_dir_str(__u8 dir)
{
	return dir == HMM_DIR_TO_DEVICE ? "to_device" : dir == HMM_DIR_TO_SYSTEM ? "to_system" : "?";
}

const char *hmm_uffd_reason_str(__u8 reason)
{
	static const char *const n[HMM_UFFD_MAX] = { "missing", "wp", "minor", "other" };

	return reason < HMM_UFFD_MAX ? n[reason] : "other";
}
