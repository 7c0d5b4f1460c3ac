// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* hmmtrace: trace Linux HMM mirroring, migration and invalidation. */
#include <stdio.h>
#include <string.h>
#include "hmmtrace.h"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct cmd cmds[] = {
	{ "probe", cmd_probe, "what this kernel allows: BTF, lockdown, privileges, attach points" },
	{ "dump", cmd_dump, "live events as text lines or JSON lines" },
	{ "stat", cmd_stat, "totals for a command or the system, from in-kernel aggregation" },
	{ "hist", cmd_hist, "histogram files of hosts, and their exact merge across a fleet" },
	{ "record", cmd_record, "record events to a file, system-wide or for a command" },
	{ "report", cmd_report, "analyse a recording: latency, retry chains, migrations, causes" },
	{ "export", cmd_export, "convert a recording (Chrome trace-event JSON for Perfetto)" },
	{ "heatmap", cmd_heatmap, "latency heatmap of a recording over time, as SVG" },
	{ "diff", cmd_diff, "compare two recordings: latency, retries, migrations, owners" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: hmmtrace [-v] COMMAND [OPTIONS]\n"
		   "Trace Linux HMM: hmm_range_fault and its -EBUSY retries, device-memory migration\n"
		   "(migrate_vma_*, migrate_device_*), mmu-notifier invalidation and userfaultfd.\n\n"
		   "  -v, --verbose  more messages from the loader (-vv: libbpf's too)\n"
		   "  -V, --version  print the version\n"
		   "  -h, --help     this text\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\n'hmmtrace COMMAND --help' describes each command; see hmmtrace(8).\n");
}

int main(int argc, char **argv)
{
	int i = 1;

	tool_name = "hmmtrace";
	hmm_set_print(tool_print);
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			tool_verbose++;
		} else if (!strcmp(argv[i], "-vv")) {
			tool_verbose += 2;
		} else if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			tool_version();
			return EXIT_OK;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return EXIT_OK;
		} else {
			tool_err("unknown option '%s' (see --help)", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++)
		if (!strcmp(argv[i], cmds[c].name))
			return cmds[c].fn(argc - i, argv + i);
	tool_err("unknown command '%s' (see --help)", argv[i]);
	return EXIT_USAGE;
}
