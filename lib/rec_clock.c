// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* HMM_REC_CLOCK: a CLOCK_MONOTONIC <-> CLOCK_REALTIME pair the writer stores (lib/trace.c). */
#include "format.h"
#include "rec.h"

static void json(const struct hmm_fmt *fmt, const struct hmm_rec_hdr *h, json_t *o)
{
	(void)fmt;
	json_object_set_new(o, "realtime_ns", json_integer(REC(clock, h)->realtime_ns));
}

const struct hmm_rec_desc hmm_rec_clock = {
	.type = HMM_REC_CLOCK,
	.name = "clock",
	.size = sizeof(struct hmm_rec_clock),
	.json = json,
};
