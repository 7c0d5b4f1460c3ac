// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What every hmmtrace command shares: its options parsed from its rows (opt.h). */
#include <string.h>
#include "hmmtrace.h"

int cmd_parse(const struct tool_cmd *cmd, int argc, char **argv, struct tool_opts *to,
	      int max_args, int *status)
{
	int first = tool_parse(cmd, argc, argv, to);

	if (first < 0 || to->help || to->version) {
		*status = first < 0 ? EXIT_USAGE : EXIT_OK;
		return -1;
	}
	if (max_args >= 0 && argc - first > max_args) {
		tool_err("%s: unexpected argument '%s' (see --help)", cmd->prog + strlen("hmmtrace "),
			 argv[first + max_args]);
		*status = EXIT_USAGE;
		return -1;
	}
	return first;
}
