// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* HMM_REC_SYM: an attribution address's symbol and driver, before the first record naming it
 * (tools/hmmtrace/record.c); readers learn them (hmm_trace_reader__symtab()). */
#include <string.h>
#include "format.h"
#include "rec.h"

static void json(const struct hmm_fmt *fmt, const struct hmm_rec_hdr *h, json_t *o)
{
	const struct hmm_rec_sym *r = REC(sym, h);

	(void)fmt;
	json_object_set_new(o, "addr", hmm_json_hex(r->addr));
	json_object_set_new(o, "name", hmm_json_str(r->name, sizeof(r->name)));
	json_object_set_new(o, "driver", hmm_json_str(r->driver, sizeof(r->driver)));
}

const struct hmm_rec_desc hmm_rec_sym = {
	.type = HMM_REC_SYM,
	.name = "sym",
	.size = sizeof(struct hmm_rec_sym),
	.json = json,
};
