// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The record descriptor table, record validation and the names of the contract's enums. */
#include <errno.h>
#include "internal.h"
#include "rec.h"
#include "stats.h"

#define HMM_REC_ENTRY(NAME, name, nr) [HMM_REC_##NAME] = &hmm_rec_##name,
const struct hmm_rec_desc *const hmm_rec_descs[HMM_REC_TYPE_MAX] = {
	HMM_REC_TYPES(HMM_REC_ENTRY)
};
#undef HMM_REC_ENTRY

/* Every row of HMM_REC_TYPES has its descriptor, and each descriptor says which it is. */
#define HMM_REC_COUNT(NAME, name, nr) +1
_Static_assert(HMM_REC_TYPE_MAX == 1 HMM_REC_TYPES(HMM_REC_COUNT),
	       "HMM_REC_TYPES: numbers 1 .. HMM_REC_TYPE_MAX - 1, each once, in order");
#undef HMM_REC_COUNT

const struct hmm_rec_desc *hmm_rec_next(const struct hmm_rec_desc *d)
{
	for (unsigned int t = d ? d->type + 1 : 0; t < HMM_REC_TYPE_MAX; t++)
		if (hmm_rec_descs[t])
			return hmm_rec_descs[t];
	return NULL;
}

unsigned int hmm_rec_stall(const struct hmm_rec_hdr *rec, __u64 stall_ns)
{
	const struct hmm_rec_desc *d = hmm_rec_desc(rec->type);

	return d && d->stall ? d->stall(rec, stall_ns ? stall_ns : HMM_STALL_NS_DEFAULT) : 0;
}

__u32 hmm_rec_cause_stack(const struct hmm_rec_hdr *rec)
{
	const struct hmm_rec_desc *d = hmm_rec_desc(rec->type);

	return d && d->stack ? d->stack(rec) : 0;
}

size_t hmm_rec_min_size(__u16 type)
{
	const struct hmm_rec_desc *d = hmm_rec_desc(type);

	return d ? d->size : 0;
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
	const struct hmm_rec_desc *d = hmm_rec_desc(type);

	return d ? d->name : "unknown";
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
