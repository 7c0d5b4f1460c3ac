/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Options as rows (perf's OPT_* rows, retsnoop's cfg_spec): each row is the option's short and
 * long name, its argument, its help, its parser and where the value goes, so one row gives the
 * getopt arrays, the parsing and the --help text. Options several tools share (--pid, --owner,
 * --min-us, --duration, --mode, --ringbuf-kb, --paths, --json, --input, --help ...) are one
 * macro each, below. Every value lands in one struct tool_opts, which a command reads after
 * tool_parse(). tests/cases/options.sh checks --help against the man pages.
 */
#ifndef HMMSCOPE_TOOLS_OPT_H
#define HMMSCOPE_TOOLS_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "hmmscope.h"

/* Every option of every tool, parsed. Zero: not given (a command applies its defaults after). */
struct tool_opts {
	struct hmm_tracer_opts tracer; /* --pid, --owner, --min-us, --mode, --ringbuf-kb, --paths */
	unsigned long long duration;   /* -d: seconds */
	const char *input;	       /* -i */
	const char *output;	       /* -o */
	bool json;
	bool help;
	int verbose;
	__u64 stall_ns; /* --stall-ms, in ns (struct hmm_stats_opts, struct hmm_fmt); 0: not given
			   (the default, 1000 ms) */
	/* hmmtrace */
	const char *stats;	   /* dump -s */
	bool all_cpus;		   /* stat -a */
	bool prog_stats;	   /* stat -P, record -P */
	unsigned long long flush_ms; /* record --flush-ms */
	const char *coding;	     /* record --coding */
	const char *report;	     /* record --report */
	bool folded;		     /* report --folded */
	bool folded_time;	     /* report --folded-time */
	unsigned long long columns;  /* heatmap -c */
	const char *format;	     /* export -f */
	double min_change;	     /* diff --min-change: per cent */
	unsigned long long limit;    /* diff --limit */
	/* hmmtop */
	double delay;		   /* -d: seconds */
	bool batch;
	unsigned long long iterations;
	double speed;
	bool speed_set;
	const char *sort;
	const char *group;
	bool kprobe;
	bool version;
	/* hmm_exporter */
	const char *listen;
	const char *textfile;
	unsigned long long interval;
	bool once;
	unsigned long long per_process;
	const char *user;
	const char *validate;
};

struct tool_opt;
typedef int (*tool_opt_parse_fn)(const struct tool_opt *o, const char *arg, struct tool_opts *to);

enum {
	TOOL_OPT_LIVE = 1 << 0, /* a tracing option: refused with a replay (-i / -r) */
};

struct tool_opt {
	char shrt;	  /* short letter, or 0 */
	const char *lng;  /* long name, or NULL */
	const char *arg;  /* the argument's name in --help; NULL: takes none */
	const char *help; /* '\n' starts a continuation line */
	tool_opt_parse_fn parse;
	size_t off; /* the destination in struct tool_opts */
	unsigned long long min, max; /* numbers: the accepted range */
	unsigned int flags;
};

/* A command: its usage lines, what it does, its options and what follows them in --help. */
struct tool_cmd {
	const char *prog;  /* "hmmtrace dump", "hmmtop": prefixes error messages */
	const char *usage; /* "Usage: ..." lines, each ending in '\n' */
	const char *about; /* a paragraph, '\n'-separated lines */
	const struct tool_opt *opts; /* ends with an entry whose lng and shrt are both 0 */
	const char *epilogue; /* after the options, or NULL */
	bool stop_at_arg;     /* options end at the first argument (stat's COMMAND) */
};

/* Parsers (for the rows below and a command's own rows). */
int tool_opt_flag(const struct tool_opt *o, const char *arg, struct tool_opts *to);
int tool_opt_count(const struct tool_opt *o, const char *arg, struct tool_opts *to);
int tool_opt_str(const struct tool_opt *o, const char *arg, struct tool_opts *to);
int tool_opt_u64(const struct tool_opt *o, const char *arg, struct tool_opts *to);
int tool_opt_double(const struct tool_opt *o, const char *arg, struct tool_opts *to);
int tool_opt_pid(const struct tool_opt *o, const char *arg, struct tool_opts *to);
int tool_opt_mode(const struct tool_opt *o, const char *arg, struct tool_opts *to);
int tool_opt_paths(const struct tool_opt *o, const char *arg, struct tool_opts *to);
int tool_opt_min_us(const struct tool_opt *o, const char *arg, struct tool_opts *to);
int tool_opt_ringbuf_kb(const struct tool_opt *o, const char *arg, struct tool_opts *to);
int tool_opt_ms(const struct tool_opt *o, const char *arg, struct tool_opts *to);  /* into ns */
/* tool_opt_ms, with 0 for HMM_THRASH_OFF */
int tool_opt_thrash_ms(const struct tool_opt *o, const char *arg, struct tool_opts *to);
int tool_opt_u32(const struct tool_opt *o, const char *arg, struct tool_opts *to);

#define TOOL_OFF(f) offsetof(struct tool_opts, f)

/* A row: short letter (or 0), long name, argument (or NULL), help, parser, destination field in
 * struct tool_opts, then optional .min, .max, .flags. */
#define TOOL_OPT(s, l, a, h, fn, field, ...)                                                    \
	{ .shrt = s, .lng = l, .arg = a, .help = h, .parse = fn, .off = TOOL_OFF(field),        \
	  __VA_ARGS__ }

/* The shared rows: one definition each. */
#define OPT_PID                                                                                 \
	TOOL_OPT('p', "pid", "PID", "only calls made by process PID", tool_opt_pid, tracer.pid,  \
		 .flags = TOOL_OPT_LIVE)
#define OPT_OWNER                                                                               \
	TOOL_OPT(0, "owner", "PID", "only work on memory owned by process PID (the mm owner)",   \
		 tool_opt_pid, tracer.owner, .flags = TOOL_OPT_LIVE)
#define OPT_MIN_US                                                                              \
	TOOL_OPT(0, "min-us", "US", "only events that took at least US microseconds",            \
		 tool_opt_min_us, tracer.min_dur_ns, .max = 3600ULL * 1000000,                    \
		 .flags = TOOL_OPT_LIVE)
#define OPT_DURATION(help)                                                                      \
	TOOL_OPT('d', "duration", "S", help, tool_opt_u64, duration, .min = 1,                   \
		 .max = 86400ULL * 365, .flags = TOOL_OPT_LIVE)
#define OPT_MODE(help)                                                                          \
	TOOL_OPT('m', "mode", "MODE", help, tool_opt_mode, tracer.mode, .flags = TOOL_OPT_LIVE)
#define OPT_MODE_HELP "attach mode: auto (default), fentry or kprobe"
#define OPT_RINGBUF_KB                                                                          \
	TOOL_OPT('b', "ringbuf-kb", "KB", "ring buffer size (default 4096)", tool_opt_ringbuf_kb, \
		 tracer.ringbuf_bytes, .min = 4, .max = 1 << 20, .flags = TOOL_OPT_LIVE)
#define OPT_PATHS                                                                               \
	TOOL_OPT(0, "paths", "LIST",                                                             \
		 "trace only these kernel paths, comma-separated: fault,\n"                      \
		 "migrate, inval, uffd or all (default); fewer, cheaper",                        \
		 tool_opt_paths, tracer.skip_mask, .flags = TOOL_OPT_LIVE)
/* Stalls (lib/stats.h): every tool that shows them takes the threshold. */
#define OPT_STALL_MS                                                                            \
	TOOL_OPT(0, "stall-ms", "MS",                                                            \
		 "a retry chain this long or longer is a stall (default\n"                      \
		 "1000, HMM_RANGE_DEFAULT_TIMEOUT; 1..3600000)",                                \
		 tool_opt_ms, stall_ns, .min = 1, .max = 3600ULL * 1000)
#define OPT_THRASH_MS                                                                           \
	TOOL_OPT(0, "thrash-ms", "MS",                                                           \
		 "round trips: a range migrated and back within MS\n"                           \
		 "milliseconds (default 1000; 0: off, and the migration\n"                      \
		 "path skips their map)",                                                        \
		 tool_opt_thrash_ms, tracer.thrash_ns, .min = 0, .max = 3600ULL * 1000,        \
		 .flags = TOOL_OPT_LIVE)
#define OPT_THRASH_MIN                                                                          \
	TOOL_OPT(0, "thrash-min", "N",                                                           \
		 "a range with N round trips in the window is thrashing\n(default 3; 1..8)",       \
		 tool_opt_u32, tracer.thrash_min, .min = 1, .max = HMM_THRASH_RING,             \
		 .flags = TOOL_OPT_LIVE)
#define OPT_STACKS                                                                              \
	TOOL_OPT(0, "stacks", NULL,                                                              \
		 "record the kernel stack of each invalidation and name it\n"                    \
		 "in the cause of each -EBUSY it is blamed for",                                 \
		 tool_opt_flag, tracer.stacks, .flags = TOOL_OPT_LIVE)
#define OPT_PROG_STATS                                                                          \
	TOOL_OPT('P', "prog-stats", NULL,                                                       \
		 "also print what each BPF program cost, as the kernel\n"                       \
		 "measured it: runs, total and average run time, and the\n"                     \
		 "instructions the verifier processed to load it",                              \
		 tool_opt_flag, prog_stats)
#define OPT_JSON(help) TOOL_OPT('j', "json", NULL, help, tool_opt_flag, json)
#define OPT_INPUT(arg, help) TOOL_OPT('i', "input", arg, help, tool_opt_str, input)
#define OPT_OUTPUT(arg, help) TOOL_OPT('o', "output", arg, help, tool_opt_str, output)
#define OPT_TRACE_INPUT OPT_INPUT("FILE", "the trace file written by `hmmtrace record`")
#define OPT_VERBOSE(help) TOOL_OPT('v', "verbose", NULL, help, tool_opt_count, verbose)
#define OPT_HELP TOOL_OPT('h', "help", NULL, "this text", tool_opt_flag, help)
#define OPT_VERSION TOOL_OPT('V', "version", NULL, "print the version", tool_opt_flag, version)
#define OPT_END { .lng = NULL }

/*
 * Parse argv[1..] with cmd's rows into *to. Returns the index of the first argument that is not
 * an option (argc if none); -1 after saying what is wrong (bad usage). With --help the text has
 * been printed and to->help is set, with --version the version line (tool_version()) and
 * to->version: the caller exits 0.
 */
int tool_parse(const struct tool_cmd *cmd, int argc, char **argv, struct tool_opts *to);
/* Whether the row for long name lng was given in the last tool_parse(). */
bool tool_given(const char *lng);
/* The first tracing option given (a row with TOOL_OPT_LIVE), as "--name", or NULL. */
const char *tool_live_given(void);
/* The --help text of cmd. */
void tool_usage(FILE *f, const struct tool_cmd *cmd);

#endif /* HMMSCOPE_TOOLS_OPT_H */
