/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef HMMTRACE_H
#define HMMTRACE_H

#include "../common.h"

/* One file per subcommand (bpftool's struct cmd table). */
int cmd_probe(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_stat(int argc, char **argv);

/* Exit statuses, documented in hmmtrace(8). */
enum {
	EXIT_OK = 0,
	EXIT_PARTIAL = 1, /* probe: some attach points present in this kernel are not live;
			     otherwise: a runtime error */
	EXIT_USAGE = 2,
	EXIT_NONE = 3, /* nothing could be attached (no BTF, no privileges, no HMM paths) */
};

void print_attach_report(FILE *f, const struct hmm_ap_report *r, size_t n);
/* Warn on stderr about attach points that are not live; returns how many. */
int warn_not_live(const struct hmm_ap_report *r, size_t n);
/* Open, load and attach with opts, reporting what is not live; *out is set whenever a tracer was
 * opened (destroy it). Returns EXIT_OK or the exit status to leave with. */
int start_tracer(const struct hmm_tracer_opts *opts, const char *cmd, struct hmm_tracer **out);

#endif
