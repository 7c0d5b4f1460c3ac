// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target: arbitrary bytes as a trace file, through every renderer the tools have, as
 * the tools run them: hmmtrace report (text and JSON), dump -i (text and JSON), export, heatmap,
 * hist -i and diff (the input against itself: every line "same", text and JSON), and hmmtop's
 * model and batch table. Built with CRC checks off, so mutated records
 * with hostile values (timestamps at 0 or far ahead, sizes at their limits, names with control
 * bytes, counts near 2^64) reach them. Nothing may crash, read or write out of bounds, overflow
 * in a way UBSan sees, or leak; the exit statuses the tools may give are checked.
 * Run with -close_fd_mask=3 (the tools' output and messages are not the point).
 * tests/cases/fuzz-render.sh, `make fuzz`.
 */
#define _GNU_SOURCE /* memfd_create() */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <unistd.h>
#include <sys/mman.h>

#include "lib/stats.h"
#include "lib/symtab.h"
#include "lib/trace.h"
#include "tools/hmmtrace/hmmtrace.h"
#include "tools/hmmtop/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static int fd = -1;
static char path[64], dir[64], svg[96], hist[96], json[96];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	cpu_set_t one;

	(void)argc, (void)argv;
	fd = memfd_create("trace", 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	/* Memory, not disk: the outputs are written (and fsync()ed) on every input. */
	snprintf(dir, sizeof(dir), "%s/fuzz-render.XXXXXX", access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm");
	if (fd < 0 || !mkdtemp(dir))
		abort();
	snprintf(svg, sizeof(svg), "%s/heat.svg", dir);
	snprintf(hist, sizeof(hist), "%s/h.hist", dir);
	snprintf(json, sizeof(json), "%s/trace.json", dir);
	tool_name = "hmmtrace";
	/* One CPU: the tools then read without their read-ahead thread, whose hand-offs, on a busy
	 * machine, were most of each run's time (the fuzz_trace target covers read-ahead). */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() >= 0 ? sched_getcpu() : 0, &one);
	sched_setaffinity(0, sizeof(one), &one);
	return 0;
}

/* A command as the shell would run it: its status must be one the man page gives. */
static void run(int (*cmd)(int, char **), int n, ...)
{
	char *argv[16];
	va_list ap;
	int rc;

	va_start(ap, n);
	for (int i = 0; i < n && i < 15; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[n] = NULL;
	rc = cmd(n, argv);
	if (rc != EXIT_OK && rc != EXIT_PARTIAL)
		abort();
	fflush(stdout);
}

static const char *driver_of(void *ctx, __u64 addr)
{
	return hmm_symtab__driver(ctx, addr);
}

/* hmmtop's model over the whole file, one interval, and its batch table. */
static void top(void)
{
	struct hmm_stats_opts so = { .sz = sizeof(so), .driver_name = driver_of };
	struct top_source src = { 0 };
	struct hmm_trace_reader *r;
	struct top_model *m;
	struct hmm_stats *s;
	int err;

	r = hmm_trace_reader__open(path, &err);
	if (!r)
		return;
	so.ctx = hmm_trace_reader__symtab(r);
	s = hmm_stats__new(&so);
	m = top_model__new();
	if (s && m && read_trace(r, s) >= 0) {
		src.lost = s->c[HMM_C_RINGBUF_DROPS];
		top_model__update(m, s, 1000000000ULL, &src);
		for (int g = 0; g < 2; g++) {
			top_model__set_group(m, g ? TOP_BY_DRIVER : TOP_BY_OWNER);
			top_model__refresh(m, s);
			top_print_batch(m, stdout, "replay", 200);
		}
	}
	top_model__free(m);
	hmm_stats__free(s);
	hmm_trace_reader__close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	run(cmd_report, 3, "report", "-i", path);
	run(cmd_report, 4, "report", "-i", path, "--json");
	run(cmd_report, 4, "report", "-i", path, "--folded");
	run(cmd_report, 4, "report", "-i", path, "--folded-time");
	run(cmd_dump, 3, "dump", "-i", path);
	run(cmd_dump, 4, "dump", "-i", path, "--json");
	run(cmd_export, 7, "export", "-i", path, "--format", "chrome", "-o", json);
	run(cmd_heatmap, 5, "heatmap", "-i", path, "-o", svg);
	run(cmd_hist, 4, "hist", "-i", path, "--json");
	run(cmd_hist, 5, "hist", "-i", path, "-o", hist);
	run(cmd_diff, 3, "diff", path, path);
	run(cmd_diff, 4, "diff", path, path, "--json");
	top();
	return 0;
}
