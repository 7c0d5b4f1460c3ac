// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Options as rows: getopt arrays, parsing and --help from one table (opt.h). */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"
#include "opt.h"

#define MAX_OPTS 48

/* Which rows the last tool_parse() saw, by long name (for the checks a command makes after). */
static const struct tool_opt *given[MAX_OPTS];
static size_t n_given;

static void *dst(const struct tool_opt *o, struct tool_opts *to)
{
	return (char *)to + o->off;
}

/* The name of an option in messages: --long, or -s for one without a long name. */
static const char *opt_name(const struct tool_opt *o, char *buf, size_t n)
{
	if (o->lng)
		snprintf(buf, n, "--%s", o->lng);
	else
		snprintf(buf, n, "-%c", o->shrt);
	return buf;
}

int tool_opt_flag(const struct tool_opt *o, const char *arg, struct tool_opts *to)
{
	(void)arg;
	*(bool *)dst(o, to) = true;
	return 0;
}

int tool_opt_count(const struct tool_opt *o, const char *arg, struct tool_opts *to)
{
	(void)arg;
	(*(int *)dst(o, to))++;
	return 0;
}

int tool_opt_str(const struct tool_opt *o, const char *arg, struct tool_opts *to)
{
	*(const char **)dst(o, to) = arg;
	return 0;
}

int tool_opt_u64(const struct tool_opt *o, const char *arg, struct tool_opts *to)
{
	char name[40];

	return tool_parse_u64(opt_name(o, name, sizeof(name)), arg, o->min, o->max,
			      (unsigned long long *)dst(o, to));
}

int tool_opt_u32(const struct tool_opt *o, const char *arg, struct tool_opts *to)
{
	unsigned long long v;
	char name[40];

	if (tool_parse_u64(opt_name(o, name, sizeof(name)), arg, o->min, o->max, &v))
		return -EINVAL;
	*(__u32 *)dst(o, to) = v;
	return 0;
}

int tool_opt_ms(const struct tool_opt *o, const char *arg, struct tool_opts *to)
{
	unsigned long long v;
	char name[40];

	if (tool_parse_u64(opt_name(o, name, sizeof(name)), arg, o->min, o->max, &v))
		return -EINVAL;
	*(__u64 *)dst(o, to) = v * 1000000;
	return 0;
}

int tool_opt_thrash_ms(const struct tool_opt *o, const char *arg, struct tool_opts *to)
{
	int err = tool_opt_ms(o, arg, to);

	if (!err && !*(__u64 *)dst(o, to))
		*(__u64 *)dst(o, to) = HMM_THRASH_OFF;
	return err;
}

/* A decimal number of seconds (or a factor) within [min, max] thousandths. */
int tool_opt_double(const struct tool_opt *o, const char *arg, struct tool_opts *to)
{
	char name[40], *end;
	double v;

	opt_name(o, name, sizeof(name));
	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || v != v) {
		tool_err("%s: '%s' is not a number", name, arg);
		return -EINVAL;
	}
	if (v * 1000 < o->min || v * 1000 > o->max) {
		tool_err("%s: %s is out of range (%g..%g)", name, arg, o->min / 1000.0,
			 o->max / 1000.0);
		return -ERANGE;
	}
	*(double *)dst(o, to) = v;
	if (o->off == TOOL_OFF(speed))
		to->speed_set = true;
	return 0;
}

int tool_opt_pid(const struct tool_opt *o, const char *arg, struct tool_opts *to)
{
	char name[40];

	return tool_parse_pid(opt_name(o, name, sizeof(name)), arg, (__u32 *)dst(o, to));
}

int tool_opt_mode(const struct tool_opt *o, const char *arg, struct tool_opts *to)
{
	return tool_parse_mode(arg, (enum hmm_attach_mode *)dst(o, to));
}

int tool_opt_paths(const struct tool_opt *o, const char *arg, struct tool_opts *to)
{
	return tool_parse_paths(arg, (__u32 *)dst(o, to));
}

int tool_opt_min_us(const struct tool_opt *o, const char *arg, struct tool_opts *to)
{
	unsigned long long v;

	if (tool_parse_u64("--min-us", arg, o->min, o->max, &v))
		return -EINVAL;
	*(__u64 *)dst(o, to) = v * 1000;
	return 0;
}

int tool_opt_ringbuf_kb(const struct tool_opt *o, const char *arg, struct tool_opts *to)
{
	unsigned long long v;

	if (tool_parse_u64("--ringbuf-kb", arg, o->min, o->max, &v))
		return -EINVAL;
	*(size_t *)dst(o, to) = v * 1024;
	return 0;
}

/* "  -p, --pid PID" */
static int left_column(const struct tool_opt *o, char *buf, size_t n)
{
	return snprintf(buf, n, "  %c%c%s%s%s%s%s", o->shrt ? '-' : ' ', o->shrt ? o->shrt : ' ',
			o->shrt && o->lng ? ", " : "  ", o->lng ? "--" : "", o->lng ? o->lng : "",
			o->arg ? " " : "", o->arg ? o->arg : "");
}

void tool_usage(FILE *f, const struct tool_cmd *cmd)
{
	const struct tool_opt *o;
	int width = 0, len;
	char left[96];

	for (o = cmd->opts; o->shrt || o->lng; o++) {
		len = left_column(o, left, sizeof(left));
		width = len > width ? len : width;
	}
	width += 2;
	fputs(cmd->usage, f);
	if (cmd->about)
		fprintf(f, "%s\n", cmd->about);
	fputc('\n', f);
	for (o = cmd->opts; o->shrt || o->lng; o++) {
		const char *h = o->help, *nl;

		left_column(o, left, sizeof(left));
		fprintf(f, "%-*s", width, left);
		/* Continuation lines under the first. */
		while ((nl = strchr(h, '\n'))) {
			fprintf(f, "%.*s\n%*s", (int)(nl - h), h, width, "");
			h = nl + 1;
		}
		fprintf(f, "%s\n", h);
	}
	if (cmd->epilogue)
		fprintf(f, "\n%s", cmd->epilogue);
}

/* "dump: " for hmmtrace's subcommands (tool_err() says "hmmtrace: " already), "" for a tool. */
static const char *who(const struct tool_cmd *cmd, char *buf, size_t n)
{
	size_t l = strlen(tool_name);

	if (!strncmp(cmd->prog, tool_name, l) && cmd->prog[l] == ' ')
		snprintf(buf, n, "%s: ", cmd->prog + l + 1);
	else
		buf[0] = 0;
	return buf;
}

int tool_parse(const struct tool_cmd *cmd, int argc, char **argv, struct tool_opts *to)
{
	char w[40];

	struct option longopts[MAX_OPTS + 1];
	const struct tool_opt *rows[MAX_OPTS];
	char shortopts[2 * MAX_OPTS + 3];
	size_t n = 0, nl = 0, s = 0;
	int c;

	n_given = 0;
	if (cmd->stop_at_arg)
		shortopts[s++] = '+'; /* stop at COMMAND: its own options are its own */
	shortopts[s++] = ':';	      /* a missing argument is told from an unknown option */
	for (const struct tool_opt *o = cmd->opts; o->shrt || o->lng; o++) {
		if (n == MAX_OPTS)
			abort(); /* a table this long is a bug in the tool, not in its use */
		rows[n] = o;
		/* Long options come back as 0x1000 + their row, short ones as their letter. */
		if (o->lng)
			longopts[nl++] = (struct option){ o->lng,
							  o->arg ? required_argument : no_argument,
							  NULL, 0x1000 + (int)n };
		if (o->shrt) {
			shortopts[s++] = o->shrt;
			if (o->arg)
				shortopts[s++] = ':';
		}
		n++;
	}
	shortopts[s] = 0;
	longopts[nl] = (struct option){ 0 };
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const struct tool_opt *o = NULL;

		if (c == ':') {
			if (optopt >= 0x1000 && optopt < 0x1000 + (int)n)
				tool_err("%s--%s needs an argument (see --help)",
					 who(cmd, w, sizeof(w)), rows[optopt - 0x1000]->lng);
			else
				tool_err("%s-%c needs an argument (see --help)", who(cmd, w, sizeof(w)),
					 optopt);
			return -1;
		}
		if (c == '?') {
			if (optopt)
				tool_err("%sunknown option -%c (see --help)", who(cmd, w, sizeof(w)),
					 optopt);
			else
				tool_err("%sunknown option '%s' (see --help)", who(cmd, w, sizeof(w)),
					 argv[optind - 1]);
			return -1;
		}
		if (c >= 0x1000 && c < 0x1000 + (int)n)
			o = rows[c - 0x1000];
		for (size_t i = 0; i < n && !o; i++)
			if (rows[i]->shrt == c)
				o = rows[i];
		if (!o || o->parse(o, optarg, to))
			return -1;
		if (n_given < MAX_OPTS)
			given[n_given++] = o;
		if (to->help) {
			tool_usage(stdout, cmd);
			return argc;
		}
		if (to->version) {
			tool_version();
			return argc;
		}
	}
	return optind;
}

bool tool_given(const char *lng)
{
	for (size_t i = 0; i < n_given; i++)
		if (given[i]->lng && !strcmp(given[i]->lng, lng))
			return true;
	return false;
}

const char *tool_live_given(void)
{
	static char name[40];

	for (size_t i = 0; i < n_given; i++)
		if (given[i]->flags & TOOL_OPT_LIVE)
			return opt_name(given[i], name, sizeof(name));
	return NULL;
}
