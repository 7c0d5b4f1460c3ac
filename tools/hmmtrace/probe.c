// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* hmmtrace probe: what this kernel allows, and the attach table after a real load + attach. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "hmmtrace.h"

void print_attach_report(FILE *f, const struct hmm_ap_report *r, size_t n)
{
	fprintf(f, "%-38s %-9s %-7s %-8s %s\n", "ATTACH POINT", "STATE", "MODE", "VERIFIED",
		"DETAIL");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%-38s %-9s %-7s %-8s %s\n", r[i].func, hmm_ap_state_str(r[i].state),
			r[i].state == HMM_AP_ATTACHED ? hmm_mode_str(r[i].mode) : "-",
			r[i].verified ? "yes" : "no", r[i].reason);
}

int warn_not_live(const struct hmm_ap_report *r, size_t n)
{
	int count = 0;

	for (size_t i = 0; i < n; i++) {
		if (r[i].state == HMM_AP_ATTACHED || r[i].state == HMM_AP_DISABLED)
			continue;
		tool_err("%s not live (%s): %s", r[i].func, hmm_ap_state_str(r[i].state),
			 r[i].reason);
		count++;
	}
	return count;
}

int start_tracer(const struct hmm_tracer_opts *opts, const char *cmd, struct hmm_tracer **out)
{
	const struct hmm_ap_report *rep;
	struct hmm_tracer *t;
	size_t n;
	int err;

	*out = NULL;
	t = hmm_tracer__open(opts);
	if (!t) {
		tool_err("%s: %s", cmd, strerror(errno));
		return EXIT_PARTIAL;
	}
	*out = t;
	err = hmm_tracer__load(t);
	if (err) {
		tool_load_error(err);
		return EXIT_NONE;
	}
	err = hmm_tracer__attach(t);
	rep = hmm_tracer__report(t, &n);
	warn_not_live(rep, n);
	if (err) {
		tool_err("%s: nothing could be attached on this kernel", cmd);
		return EXIT_NONE;
	}
	return EXIT_OK;
}

int parse_tracer_opt(int c, const char *arg, struct hmm_tracer_opts *opts,
		     unsigned long long *duration)
{
	unsigned long long v;

	switch (c) {
	case 'p':
		return tool_parse_pid("--pid", arg, &opts->pid) ? -1 : 1;
	case 'O':
		return tool_parse_pid("--owner", arg, &opts->owner) ? -1 : 1;
	case 'M':
		if (tool_parse_u64("--min-us", arg, 0, 3600ULL * 1000000, &v))
			return -1;
		opts->min_dur_ns = v * 1000;
		return 1;
	case 'd':
		return tool_parse_u64("--duration", arg, 1, 86400 * 365, duration) ? -1 : 1;
	case 'm':
		return tool_parse_mode(arg, &opts->mode) ? -1 : 1;
	case 'b':
		if (tool_parse_u64("--ringbuf-kb", arg, 4, 1 << 20, &v))
			return -1;
		opts->ringbuf_bytes = v * 1024;
		return 1;
	case OPT_PATHS:
		return tool_parse_paths(arg, &opts->skip_mask) ? -1 : 1;
	default:
		return 0;
	}
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: hmmtrace probe [--mode auto|fentry|kprobe] [--json]\n"
		   "Show the kernel release, BTF, lockdown, privileges and kprobe support, then load\n"
		   "and attach every attach point and show which are live, in which mode, and why\n"
		   "the others are not. Attach points that cannot attach here still have their\n"
		   "programs loaded (never attached) to prove they relocate and verify on this kernel.\n\n"
		   "  -m, --mode MODE  auto (fentry where allowed, else kprobe), fentry or kprobe\n"
		   "  -j, --json       one JSON document instead of the table\n"
		   "  -h, --help       this text\n\n"
		   "Exit status: 0 every attach point this kernel has is live; 1 some are not;\n"
		   "2 bad usage; 3 nothing could be attached.\n");
}

static json_t *json_report(const struct hmm_kernel_info *ki, const struct hmm_ap_report *r,
			   size_t n, enum hmm_attach_mode mode)
{
	json_t *o = json_object(), *a = json_array();

	json_object_set_new(o, "kernel", json_string(ki->release));
	json_object_set_new(o, "btf", json_boolean(ki->btf));
	json_object_set_new(o, "lockdown", json_string(ki->lockdown));
	json_object_set_new(o, "root", json_boolean(ki->root));
	json_object_set_new(o, "cap_bpf", json_boolean(ki->cap_bpf));
	json_object_set_new(o, "cap_perfmon", json_boolean(ki->cap_perfmon));
	json_object_set_new(o, "kprobes", json_boolean(ki->kprobes));
	json_object_set_new(o, "mode", json_string(hmm_mode_str(mode)));
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_object();

		json_object_set_new(e, "func", json_string(r[i].func));
		json_object_set_new(e, "state", json_string(hmm_ap_state_str(r[i].state)));
		json_object_set_new(e, "mode", r[i].state == HMM_AP_ATTACHED ?
					json_string(hmm_mode_str(r[i].mode)) : json_null());
		json_object_set_new(e, "verified", json_boolean(r[i].verified));
		json_object_set_new(e, "reason", json_string(r[i].reason));
		json_array_append_new(a, e);
	}
	json_object_set_new(o, "attach", a);
	return o;
}

int cmd_probe(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct hmm_tracer_opts opts = { .sz = sizeof(opts), .aggregate = true, .verify = true };
	const struct hmm_ap_report *rep;
	struct hmm_kernel_info ki;
	struct hmm_tracer *t;
	size_t n = 0, live = 0, present = 0;
	bool json = false;
	int c, err, status;

	optind = 1;
	while ((c = getopt_long(argc, argv, "m:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (tool_parse_mode(optarg, &opts.mode))
				return EXIT_USAGE;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		tool_err("probe: unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	hmm_kernel_probe(&ki);
	t = hmm_tracer__open(&opts);
	if (!t) {
		tool_err("probe: %s", strerror(errno));
		return EXIT_PARTIAL;
	}
	err = hmm_tracer__load(t);
	if (!err)
		hmm_tracer__attach(t);
	else
		tool_load_error(err);
	rep = hmm_tracer__report(t, &n);
	for (size_t i = 0; i < n; i++) {
		live += rep[i].state == HMM_AP_ATTACHED;
		present += rep[i].state != HMM_AP_ABSENT && rep[i].state != HMM_AP_DISABLED;
	}
	if (json) {
		json_t *o = json_report(&ki, rep, n, opts.mode);

		json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(o);
	} else {
		printf("kernel      %s\n", ki.release);
		printf("BTF         %s\n", ki.btf ? "yes (/sys/kernel/btf/vmlinux)" : "no");
		printf("lockdown    %s\n", ki.lockdown);
		printf("privileges  %s, CAP_BPF %s, CAP_PERFMON %s\n", ki.root ? "root" : "not root",
		       ki.cap_bpf ? "yes" : "no", ki.cap_perfmon ? "yes" : "no");
		printf("kprobes     %s\n", ki.kprobes ? "yes" : "no");
		printf("mode        %s\n\n", hmm_mode_str(opts.mode));
		print_attach_report(stdout, rep, n);
		printf("\n%zu of %zu attach points live (%zu present in this kernel)\n", live, n,
		       present);
	}
	status = live == 0 ? EXIT_NONE : live < present ? EXIT_PARTIAL : EXIT_OK;
	hmm_tracer__destroy(t);
	return status;
}
