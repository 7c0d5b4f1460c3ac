/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Option parsing, logging and signals shared by the tools. */
#ifndef HMMSCOPE_TOOLS_COMMON_H
#define HMMSCOPE_TOOLS_COMMON_H

#include <signal.h>
#include <stdio.h>
#include <sys/types.h>
#include <stdbool.h>
#include "hmmscope.h"

extern const char *tool_name;
extern int tool_verbose;
extern volatile sig_atomic_t tool_exiting;

void tool_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* hmmscope's version (scripts/version.sh), the same in every tool. */
const char *tool_version_string(void);
/* --version: one line on stdout, the same for every tool and subcommand but for the tool's name:
 * "NAME VERSION (hmmscope; record schema N, trace format MAJOR.MINOR)". */
void tool_version(void);
/* Parse an unsigned number for option `opt` within [min, max]; prints why on failure. */
int tool_parse_u64(const char *opt, const char *arg, unsigned long long min,
		   unsigned long long max, unsigned long long *out);
/* A pid (1 .. PID_MAX_LIMIT); whether it is running is for tool_check_pids(): a replay filters
 * on processes long gone. */
int tool_parse_pid(const char *opt, const char *arg, __u32 *out);
/* Live tracing of --pid or --owner: the process must exist. 0, or -ESRCH after saying so. */
int tool_check_pids(const struct hmm_tracer_opts *opts);
int tool_parse_mode(const char *arg, enum hmm_attach_mode *out);
/*
 * --paths LIST: the kernel paths to trace, comma-separated: fault (hmm_range_fault and
 * mmu_interval_read_begin), migrate (migrate_vma_* and migrate_device_*), inval (mmu-notifier
 * invalidation), uffd (handle_userfault), all. Sets *skip_mask (struct hmm_tracer_opts) to the
 * attach points not named. 0, or -EINVAL with a message.
 */
int tool_parse_paths(const char *arg, __u32 *skip_mask);

/*
 * An output, written whole or not at all: a file is written to a temporary file beside it and
 * renamed over it only once everything was written (a full disk leaves the old file, or none,
 * never a partial one); NULL or "-" is standard output. Every write error is kept, and
 * tool_out_close() names the output and the real errno.
 */
struct tool_out {
	FILE *f;
	const char *path; /* NULL: standard output */
	char *tmp;	  /* the temporary file, until renamed */
	int err;	  /* a write error a caller saw first (-errno), if any */
};

/* 0, or -errno after saying why (the directory, permissions ...). */
int tool_out_open(struct tool_out *o, const char *path);
/* Flush and check everything written: on success (and ok) the file takes its name; otherwise it
 * is removed (standard output cannot be). Says "cannot write OUTPUT: ERRNO" on an error. 0, or
 * -errno; -ECANCELED when !ok (the caller said why). */
int tool_out_close(struct tool_out *o, bool ok);
/* The name of an output in messages: its path, or "standard output". */
const char *tool_out_name(const struct tool_out *o);

struct hmm_trace_reader;
/* Open a trace file; on failure say why ("WHO: cannot read PATH: not an hmmtrace file", "written
 * by a newer, incompatible hmmtrace", "not a regular file (a pipe?)", errno) and return NULL.
 * readahead: decode in a second thread where the process may run on two CPUs. */
struct hmm_trace_reader *tool_open_trace(const char *who, const char *path, bool readahead);

/* lib/ and libbpf messages to stderr: warnings always, the rest with -v. */
int tool_print(enum hmm_log_level level, const char *fmt, va_list args);
/* SIGINT/SIGTERM set tool_exiting; nothing else happens in the handler. */
void tool_signals(void);
/* CLOCK_MONOTONIC in seconds, for durations and deadlines. */
double tool_now_s(void);
/* Fork and exec argv, held on a pipe until one byte is written to *release_fd (once the tracer
 * is attached); closing it unwritten makes the child exit 127 without running. */
pid_t tool_start_held(char **argv, int *release_fd);
/*
 * Least privilege: once the programs are loaded and attached, and every file and socket is open,
 * nothing a tool still does needs a capability (map reads, the ring buffer and detaching all go
 * through fds it holds). Clears the effective, permitted, inheritable and ambient sets and sets
 * no_new_privs. Returns 0 or -errno (with a warning: the tool goes on).
 */
int tool_drop_privileges(void);
/* Explain a failed hmm_tracer__load(), with what the user can do about it. */
void tool_load_error(int err);

/*
 * --stacks, live: the stack a record's cause names (hmm_rec_cause_stack()), read from the tracer's
 * stack map and symbolized with ks the first time it is seen, and kept in st (hmm_fmt.stacks).
 * Returns the stack record when it was added now (a recorder writes it before the record), NULL
 * when the record names no stack, it was known, or on failure (a stack the map no longer holds
 * is kept with no frames, so it is read once; the first failure is warned about).
 */
struct hmm_stacktab;
struct hmm_ksyms;
struct hmm_tracer;
const struct hmm_rec_stack *tool_stack_learn(struct hmm_stacktab *st, struct hmm_tracer *t,
					     const struct hmm_ksyms *ks,
					     const struct hmm_rec_hdr *rec);
/* The same for a stack number (stat --stacks): 0 once st holds it, or -ENOMEM. */
int tool_stack_get(struct hmm_stacktab *st, struct hmm_tracer *t, const struct hmm_ksyms *ks,
		   __u32 stack);
/* --stacks: the stacks seen (st) and those the BPF side could not store, a line on stderr. */
void tool_stacks_summary(struct hmm_tracer *t, const struct hmm_stacktab *st);
/* -P: turn the kernel's run-time accounting of BPF programs on (before the traced work) and
 * return the fd that holds it on, or -1 with a warning; the figures, after it, on stderr. */
int tool_prog_stats_on(const char *cmd);
void tool_prog_stats_print(struct hmm_tracer *t);

#endif
