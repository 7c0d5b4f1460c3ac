/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef HMMTRACE_H
#define HMMTRACE_H

#include <jansson.h>
#include "../common.h"
#include "../opt.h"

/* One file per subcommand (bpftool's struct cmd table). */
int cmd_probe(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_hist(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_heatmap(int argc, char **argv);
int cmd_diff(int argc, char **argv);

/* Pages moved over the ns they took: bytes per ns is GB/s (report, diff). */
static inline double gb_per_s(__u64 pages, unsigned int page_size, __u64 ns)
{
	return ns ? (double)pages * page_size / ns : 0.0;
}

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

/*
 * A subcommand's options (its rows, opt.h) into *to, and its arguments checked: at most
 * max_args of them (-1: any). Returns the index of the first argument, or -1 with *status set:
 * EXIT_OK after --help, EXIT_USAGE after saying what is wrong.
 */
int cmd_parse(const struct tool_cmd *cmd, int argc, char **argv, struct tool_opts *to,
	      int max_args, int *status);

/* report.c: the report of a struct hmm_stats, shared by `record --report` and `report`. */
struct hmm_stats;
struct hmm_symtab;
struct hmm_trace_meta;
struct hmm_trace_reader;
struct hmm_trace_read_stats;
void report_text(FILE *f, const struct hmm_stats *s, const struct hmm_trace_meta *m);
/* The attach points that were not live while recording, a line each after indent. */
void report_not_live(FILE *f, const char *indent, const struct hmm_trace_meta *m);
/* The report's first fields into o: recording (the header), events, lost, first_ts_ns and
 * duration_ns. */
void report_json_head(json_t *o, const struct hmm_stats *s, const struct hmm_trace_meta *m);
/* The report as JSON to f (opened by the caller before privileges were dropped). */
int report_write(FILE *f, const char *path, const struct hmm_stats *s,
		 const struct hmm_trace_meta *m);
/* Open a trace file; on failure say why (not ours, too new, errno) and return NULL. */
struct hmm_trace_reader *open_trace(const char *cmd, const char *path);
/* Warn on stderr about what a damaged or cut-short file lost; true if anything was. */
bool warn_damage(const char *path, const struct hmm_trace_read_stats *st);
/* Every event of r into s (the file's symbols: hmm_trace_reader__symtab(r)). 0 or -errno. */
int read_trace(struct hmm_trace_reader *r, struct hmm_stats *s);

/* A recording read whole into statistics, as report reads it (diff reads two). */
struct trace_stats {
	struct hmm_trace_reader *r;
	const struct hmm_trace_meta *m; /* the reader's */
	struct hmm_stats *s;
	bool damaged; /* warn_damage() said something was lost */
};
/* Open path, read every event into new stats (drivers named by the file's own symbols) and warn
 * about what damage lost; stall_ns: the stall threshold (0: the default). EXIT_OK, or EXIT_PARTIAL after saying why (cmd: who says it); call
 * trace_stats_free() either way. */
int trace_stats_load(struct trace_stats *t, const char *cmd, const char *path, __u64 stall_ns);
void trace_stats_free(struct trace_stats *t);

#endif
