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
	if (tool_check_pids(opts))
		return EXIT_USAGE;
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


static const struct tool_opt probe_opts[] = {
	OPT_MODE("auto (fentry where allowed, else kprobe), fentry or kprobe"),
	OPT_JSON("one JSON document instead of the table"),
	OPT_HELP,
	OPT_VERSION,
	OPT_END,
};

static const struct tool_cmd probe_cmd = {
	.prog = "hmmtrace probe",
	.usage = "Usage: hmmtrace probe [--mode auto|fentry|kprobe] [--json]\n",
	.about = "Show the kernel release, BTF, lockdown, privileges and kprobe support, then load\n"
		 "and attach every attach point and show which are live, in which mode, and why\n"
		 "the others are not. Attach points that cannot attach here still have their\n"
		 "programs loaded (never attached) to prove they relocate and verify on this kernel.",
	.opts = probe_opts,
	.epilogue = "Exit status: 0 every attach point this kernel has is live; 1 some are not;\n"
		    "2 bad usage; 3 nothing could be attached.\n",
};

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
	struct tool_opts to = { .tracer = { .sz = sizeof(to.tracer), .aggregate = true,
					    .verify = true } };
	struct hmm_tracer_opts opts;
	const struct hmm_ap_report *rep;
	struct hmm_kernel_info ki;
	struct hmm_tracer *t;
	size_t n = 0, live = 0, present = 0;
	bool json;
	int err, status;

	if (cmd_parse(&probe_cmd, argc, argv, &to, 0, &status) < 0)
		return status;
	opts = to.tracer;
	json = to.json;

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
	errno = 0;
	if (fflush(stdout) || ferror(stdout)) {
		tool_err("probe: cannot write standard output: %s", strerror(errno ? errno : EIO));
		status = EXIT_PARTIAL;
	}
	hmm_tracer__destroy(t);
	return status;
}
