// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The loader: probe each attach point, choose fentry/fexit or kprobe/kretprobe for it, load the
 * one BPF object with only the chosen programs, attach, and consume the ring buffer.
 *
 * Every attach point is optional. One that is missing from this kernel, denied, or rejected by the
 * verifier is reported with its reason and the rest still run: a failed load is retried without
 * the attach point whose program failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <linux/perf_event.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "hmmscope.h"
#include "internal.h"
#include "ksyms.h"
#include "hmmscope.skel.h"

struct hmm_tracer {
	struct hmm_tracer_opts opts;
	struct hmmscope_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link *links[HMM_AP_MAX][2];
	struct bpf_link *fork_link;
	struct hmm_ap_report report[HMM_AP_MAX];
	struct btf *vmlinux_btf;
	struct hmm_ksyms *ksyms; /* only once in_kallsyms() needed it */
	bool ksyms_tried;
	bool verify_only[HMM_AP_MAX]; /* loaded to check, not to attach */
	char *vlog; /* opts.verifier_stats: VLOG_BYTES of verifier log per program (libbpf's log_buf) */
	int ncpus;
	bool loaded;
};

static const char *const ap_funcs[HMM_AP_MAX] = {
	[HMM_AP_RANGE_FAULT] = "hmm_range_fault",
	[HMM_AP_READ_BEGIN] = "mmu_interval_read_begin",
	[HMM_AP_MIGRATE_SETUP] = "migrate_vma_setup",
	[HMM_AP_MIGRATE_PAGES] = "migrate_vma_pages",
	[HMM_AP_MIGRATE_FINALIZE] = "migrate_vma_finalize",
	[HMM_AP_DEVICE_RANGE] = "migrate_device_range",
	[HMM_AP_DEVICE_PAGES] = "migrate_device_pages",
	[HMM_AP_DEVICE_FINALIZE] = "migrate_device_finalize",
	[HMM_AP_INVAL_START] = "__mmu_notifier_invalidate_range_start",
	[HMM_AP_INVAL_END] = "__mmu_notifier_invalidate_range_end",
	[HMM_AP_USERFAULT] = "handle_userfault",
	[HMM_AP_RANGE_FAULT_UNLOCKED] = "hmm_range_fault_unlocked_timeout",
	[HMM_AP_DEVICE_PFNS] = "migrate_device_pfns",
	[HMM_AP_IOCTL_EXIT] = "__x64_sys_ioctl",
};

const char *hmm_ap_func(enum hmm_attach_point ap)
{
	return ap < HMM_AP_MAX ? ap_funcs[ap] : "?";
}

const char *hmm_ap_state_str(enum hmm_ap_state s)
{
	static const char *const names[] = { "pending", "attached", "absent",
					     "denied",	"failed",   "disabled" };

	return s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

const char *hmm_mode_str(enum hmm_attach_mode m)
{
	return m == HMM_MODE_FENTRY ? "fentry" : m == HMM_MODE_KPROBE ? "kprobe" : "auto";
}

static const char *const prog_kind[4] = { "fentry", "fexit", "kprobe", "kretprobe" };

/* The up to four programs of an attach point, by the names bpf/ gives them; NULL for one it
 * does without. */
static struct bpf_program *ap_prog(struct hmm_tracer *t, enum hmm_attach_point ap, int which)
{
	char name[96];

	snprintf(name, sizeof(name), "%s_%s", prog_kind[which], ap_funcs[ap]);
	return bpf_object__find_program_by_name(t->skel->obj, name);
}

static void ap_set(struct hmm_tracer *t, enum hmm_attach_point ap, enum hmm_ap_state state,
		   int err, const char *fmt, ...)
{
	struct hmm_ap_report *r = &t->report[ap];
	va_list args;

	r->state = state;
	r->err = err;
	va_start(args, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, args);
	va_end(args);
}

/* ---- probing ----------------------------------------------------------------------------- */

/* Can this function carry an fentry program here? Load a two-instruction one and attach it. */
static int probe_fentry(struct hmm_tracer *t, enum hmm_attach_point ap, char *why, size_t n)
{
	struct bpf_insn insns[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 }, /* r0 = 0 */
		{ .code = 0x95 },			  /* exit */
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY);
	int id, prog_fd, link_fd, err;

	id = btf__find_by_name_kind(t->vmlinux_btf, ap_funcs[ap], BTF_KIND_FUNC);
	if (id < 0) {
		snprintf(why, n, "not in the kernel's BTF");
		return -ENOENT;
	}
	opts.attach_btf_id = id;
	prog_fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "hmm_probe", "GPL", insns, 2, &opts);
	if (prog_fd < 0) {
		err = -errno;
		if (err == -EPERM || err == -EACCES)
			snprintf(why, n, "fentry: %s (lockdown, ftrace denied or no CAP_BPF+CAP_PERFMON)",
				 strerror(-err));
		else
			snprintf(why, n, "fentry: %s (no BPF trampolines in this kernel?)",
				 strerror(-err));
		return err;
	}
	link_fd = bpf_raw_tracepoint_open(NULL, prog_fd);
	err = link_fd < 0 ? -errno : 0;
	if (link_fd >= 0)
		close(link_fd);
	close(prog_fd);
	if (err == -EPERM || err == -EACCES)
		snprintf(why, n, "fentry attach: %s", strerror(-err));
	else if (err)
		snprintf(why, n, "fentry attach: %s (not traceable by ftrace: notrace?)",
			 strerror(-err));
	return err;
}

static int kprobe_pmu_type(void)
{
	FILE *f = fopen("/sys/bus/event_source/devices/kprobe/type", "r");
	int type = -1;

	if (!f)
		return -ENOENT;
	if (fscanf(f, "%d", &type) != 1)
		type = -EINVAL;
	fclose(f);
	return type;
}

/*
 * Kernels whose kprobes take them down. 7.3.4: once a kprobe on a function's ftrace site
 * (KPROBES_ON_FTRACE: every kprobe at a traceable function's entry, and every kretprobe) has been
 * armed and disarmed, the next one armed crashes the kernel when hit, jumping to a saved register
 * value (RIP 0x64000 in migrate_vma_setup+0x9 under test_hmm). Reproduced in the lab without BPF,
 * with tracefs kprobe_events alone, on one vCPU too; kprobes off the ftrace site and the function
 * tracer do not trigger it. Later 7.x releases are refused too until one is known to be fixed.
 */
static const char *kprobe_quirk(void)
{
	struct utsname u;

	if (uname(&u) == 0 && !strncmp(u.release, "7.", 2))
		return "kprobe: refused on 7.x: re-arming a kprobe on an ftrace site crashes 7.3.4 "
		       "(see hmmtrace(8), SUPPORTED KERNELS); fentry works";
	return NULL;
}

/*
 * Can this function carry a kprobe here? Open (and close) a perf kprobe event on it, disabled:
 * registering checks the address, and arming would patch the function (and, with
 * kprobe_quirk(), arm and disarm an ftrace-site kprobe, the trigger of that crash).
 */
static int probe_kprobe(enum hmm_attach_point ap, char *why, size_t n)
{
	struct perf_event_attr attr = {};
	int type = kprobe_pmu_type(), fd, err;
	const char *quirk = kprobe_quirk();

	if (type < 0) {
		snprintf(why, n, "kprobe: not in this kernel (CONFIG_KPROBE_EVENTS)");
		return -EOPNOTSUPP;
	}
	if (quirk) {
		snprintf(why, n, "%s", quirk);
		return -EOPNOTSUPP;
	}
	attr.size = sizeof(attr);
	attr.type = type;
	attr.disabled = 1;
	attr.config1 = (__u64)(unsigned long)ap_funcs[ap];
	fd = syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	err = -errno;
	if (err == -EPERM || err == -EACCES)
		snprintf(why, n, "kprobe: %s (lockdown or no CAP_PERFMON)", strerror(-err));
	else if (err == -ENOENT || err == -EINVAL)
		snprintf(why, n, "kprobe: %s (not probeable: inlined or notrace?)", strerror(-err));
	else
		snprintf(why, n, "kprobe: %s", strerror(-err));
	return err;
}

/* A function missing from BTF may still be kprobed (a module without BTF): ask kallsyms, loaded
 * once per tracer and only when needed. */
static bool in_kallsyms(struct hmm_tracer *t, const char *name)
{
	if (!t->ksyms && !t->ksyms_tried) {
		t->ksyms_tried = true;
		t->ksyms = hmm_ksyms__load(NULL);
	}
	return t->ksyms && hmm_ksyms__by_name(t->ksyms, name);
}

/* Decide the mode of one attach point, or why it cannot be had. */
static void probe_ap(struct hmm_tracer *t, enum hmm_attach_point ap)
{
	enum hmm_attach_mode want = t->opts.mode;
	char fwhy[160] = "", kwhy[160] = "";
	bool in_btf;
	int ferr = 0, kerr = 0;

	if (t->opts.skip_mask & (1u << ap)) {
		ap_set(t, ap, HMM_AP_DISABLED, 0, "not requested");
		return;
	}
	in_btf = btf__find_by_name_kind(t->vmlinux_btf, ap_funcs[ap], BTF_KIND_FUNC) > 0;
	if (!in_btf && !in_kallsyms(t, ap_funcs[ap])) {
		ap_set(t, ap, HMM_AP_ABSENT, -ENOENT, "not in this kernel (BTF, kallsyms)");
		return;
	}
	if (want != HMM_MODE_KPROBE) {
		ferr = probe_fentry(t, ap, fwhy, sizeof(fwhy));
		if (!ferr) {
			t->report[ap].mode = HMM_MODE_FENTRY;
			return;
		}
		if (want == HMM_MODE_FENTRY) {
			ap_set(t, ap, (ferr == -EPERM || ferr == -EACCES) ? HMM_AP_DENIED :
			       HMM_AP_FAILED, ferr, "%s", fwhy);
			return;
		}
	}
	kerr = probe_kprobe(ap, kwhy, sizeof(kwhy));
	if (!kerr) {
		t->report[ap].mode = HMM_MODE_KPROBE;
		return;
	}
	if (want == HMM_MODE_KPROBE)
		ap_set(t, ap, (kerr == -EPERM || kerr == -EACCES) ? HMM_AP_DENIED : HMM_AP_FAILED,
		       kerr, "%s", kwhy);
	else
		ap_set(t, ap, (ferr == -EPERM || ferr == -EACCES || kerr == -EPERM ||
			       kerr == -EACCES) ? HMM_AP_DENIED : HMM_AP_FAILED,
		       ferr ? ferr : kerr, "%s; %s", fwhy, kwhy);
}

/* ---- load -------------------------------------------------------------------------------- */

/* The program libbpf last failed to load, and the last verifier line, captured from its log. */
static char failed_prog[96];
static char failed_line[160];

/* The verifier's verdict in a log: its last line that is not statistics, into out. */
static void verdict_line(const char *line, const char *end, char *out, size_t n)
{
	const char *q, *best = NULL, *nl;

	for (q = line; q < end; q = nl + 1) {
		if (strncmp(q, "processed ", 10) && strncmp(q, "verification time", 17) &&
		    strncmp(q, "stack depth", 11) && *q != '\n')
			best = q;
		nl = strchr(q, '\n');
		if (!nl || nl >= end)
			break;
	}
	if (best)
		snprintf(out, n, "%.*s", (int)strcspn(best, "\n"), best);
}

static int capture_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	const char *p, *end;
	va_list copy;
	char *buf;
	int len;

	va_copy(copy, args);
	len = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	buf = len >= 0 ? malloc(len + 1) : NULL;
	if (buf) {
		va_copy(copy, args);
		vsnprintf(buf, len + 1, fmt, copy);
		va_end(copy);
		if ((p = strstr(buf, "prog '")) && strstr(buf, "failed to load"))
			sscanf(p, "prog '%95[^']'", failed_prog);
		if ((end = strstr(buf, "-- END PROG LOAD LOG")) && (p = strstr(buf, "LOG --\n")))
			verdict_line(p + 7, end, failed_line, sizeof(failed_line));
		free(buf);
	}
	return hmm_vlog(level == LIBBPF_DEBUG ? HMM_LOG_DEBUG : HMM_LOG_INFO, fmt, args);
}

static int read_pfn_flags(struct hmm_tracer *t)
{
	struct hmmscope_bpf__rodata *ro = t->skel->rodata;
	const struct btf_type *tp;
	int id, i, n, found = 0, named = 0;

	/* enum hmm_pfn_flags, 5.8+: 64-bit values (see bpf/maps.bpf.h). */
	id = btf__find_by_name_kind(t->vmlinux_btf, "hmm_pfn_flags", BTF_KIND_ENUM64);
	if (id < 0)
		id = btf__find_by_name_kind(t->vmlinux_btf, "hmm_pfn_flags", BTF_KIND_ENUM);
	if (id < 0)
		return 0;
	tp = btf__type_by_id(t->vmlinux_btf, id);
	n = btf_vlen(tp);
	for (i = 0; i < n; i++) {
		const char *name;
		__u64 val;

		if (btf_is_enum64(tp)) {
			const struct btf_enum64 *e = btf_enum64(tp) + i;

			name = btf__name_by_offset(t->vmlinux_btf, e->name_off);
			val = btf_enum64_value(e);
		} else {
			const struct btf_enum *e = btf_enum(tp) + i;

			name = btf__name_by_offset(t->vmlinux_btf, e->name_off);
			val = (__u32)e->val;
		}
		if (!name)
			continue;
		named += !strcmp(name, "HMM_PFN_VALID") || !strcmp(name, "HMM_PFN_WRITE") ||
			 !strcmp(name, "HMM_PFN_ERROR");
		if (!strcmp(name, "HMM_PFN_VALID") && val)
			ro->pfn_valid_shift = __builtin_ctzll(val), found |= 1;
		else if (!strcmp(name, "HMM_PFN_WRITE") && val)
			ro->pfn_write_shift = __builtin_ctzll(val), found |= 2;
		else if (!strcmp(name, "HMM_PFN_ERROR") && val)
			ro->pfn_error_shift = __builtin_ctzll(val), found |= 4;
		else if (!strcmp(name, "HMM_PFN_ORDER_SHIFT"))
			ro->pfn_order_shift = val;
	}
	/*
	 * A 64-bit enum in 32-bit BTF: pahole 1.24+ run with --skip_encoding_btf_enum64 (5.10's
	 * scripts/pahole-flags.sh) keeps the names and truncates 1UL << 63 .. 1UL << 61 to 0.
	 * VALID, WRITE and ERROR have been BITS_PER_LONG - 1, - 2, - 3 since 5.8
	 * (include/linux/hmm.h of 5.10, 6.1, 6.12 and 7.3), so their names are enough.
	 */
	if (found != 7 && named == 3 && !btf_is_enum64(tp) && tp->size == 8) {
		ro->pfn_valid_shift = 63;
		ro->pfn_write_shift = 62;
		ro->pfn_error_shift = 61;
		found = 7;
	}
	ro->pfn_flags_known = found == 7;
	return 0;
}

/*
 * opts.verifier_stats: each program loads with its own log buffer at log level 4, the verifier's
 * statistics only ("processed N insns ..."), which kernels older than 5.16 (no
 * bpf_prog_info.verified_insns) give as well (5.2+). Its verdict, if it fails, is there too
 * (libbpf prints no log of its own for a program with a buffer: vlog_verdict()).
 */
#define VLOG_BYTES 4096

/* The log buffer libbpf holds for program p (vlog_configure()), or NULL. */
static const char *vlog_of(const struct bpf_program *p)
{
	size_t size;

	return p ? bpf_program__log_buf(p, &size) : NULL;
}

static int vlog_configure(struct hmm_tracer *t)
{
	struct bpf_program *p;
	size_t i = 0, n = 0;
	int err;

	bpf_object__for_each_program(p, t->skel->obj)
		n++;
	free(t->vlog);
	t->vlog = calloc(n, VLOG_BYTES);
	if (!t->vlog)
		return -ENOMEM;
	bpf_object__for_each_program(p, t->skel->obj) {
		char *log = t->vlog + i++ * VLOG_BYTES;

		if (!bpf_program__autoload(p))
			continue;
		err = bpf_program__set_log_buf(p, log, VLOG_BYTES) ?:
		      bpf_program__set_log_level(p, 4);
		if (err)
			return err;
	}
	return 0;
}

/* The failed program's verdict from its own buffer, where libbpf printed none. */
static void vlog_verdict(struct hmm_tracer *t)
{
	const char *log;

	if (!t->vlog || failed_line[0] || !failed_prog[0])
		return;
	log = vlog_of(bpf_object__find_program_by_name(t->skel->obj, failed_prog));
	if (log)
		verdict_line(log, log + strnlen(log, VLOG_BYTES), failed_line,
			     sizeof(failed_line));
}

/* "processed N insns" in a program's statistics; 0 without. */
static __u32 vlog_insns(const char *log)
{
	const char *p = log ? strstr(log, "processed ") : NULL;

	return p ? (__u32)strtoul(p + 10, NULL, 10) : 0;
}

static int open_and_configure(struct hmm_tracer *t)
{
	struct hmmscope_bpf__rodata *ro;
	int ap, i, err;

	t->skel = hmmscope_bpf__open();
	if (!t->skel)
		return -errno ?: -ENOMEM;
	ro = t->skel->rodata;
	ro->targ_pid = t->opts.pid;
	ro->targ_owner = t->opts.owner;
	ro->follow_children = t->opts.owner && t->opts.follow_children;
	bpf_program__set_autoload(t->skel->progs.handle_fork, ro->follow_children);
	ro->min_dur_ns = t->opts.min_dur_ns;
	ro->emit_events = t->opts.events;
	ro->aggregate = t->opts.aggregate;
	ro->per_owner = t->opts.per_owner;
	ro->cause_stacks = t->opts.stacks;
	ro->thrash_ns = t->opts.thrash_ns;
	ro->thrash_min = t->opts.thrash_min > HMM_THRASH_RING ? HMM_THRASH_RING : t->opts.thrash_min;
	ro->page_shift = __builtin_ctzl(sysconf(_SC_PAGESIZE));
	ro->wakeup_bytes = t->opts.ringbuf_bytes / 4;
	read_pfn_flags(t);
	err = bpf_map__set_max_entries(t->skel->maps.events, t->opts.ringbuf_bytes);
	if (!err && !t->opts.per_owner) /* its per-CPU values are preallocated: keep one */
		err = bpf_map__set_max_entries(t->skel->maps.owner_stats, 1);
	if (!err && !t->opts.stacks) /* no stacks, no memory for them */
		err = bpf_map__set_max_entries(t->skel->maps.inval_stacks, 1) ?:
		      bpf_map__set_max_entries(t->skel->maps.stack_ids, 1);
	if (!err && !(t->opts.stacks && t->opts.aggregate))
		err = bpf_map__set_max_entries(t->skel->maps.stack_retries, 1);
	if (!err && t->opts.thrash_ns == HMM_THRASH_OFF)
		err = bpf_map__set_max_entries(t->skel->maps.thrash, 1);
	if (err)
		return err;
	for (ap = 0; ap < HMM_AP_MAX; ap++) {
		bool live = t->report[ap].state == HMM_AP_PENDING;
		enum hmm_attach_mode m = live ? t->report[ap].mode : HMM_MODE_KPROBE;

		for (i = 0; i < 4; i++) {
			struct bpf_program *p = ap_prog(t, ap, i);
			bool on = (live || t->verify_only[ap]) && ((i < 2) == (m == HMM_MODE_FENTRY));

			if (p)
				bpf_program__set_autoload(p, on);
		}
	}
	return t->opts.verifier_stats ? vlog_configure(t) : 0;
}

/* Which attach point does a program belong to? */
static int ap_of_prog(const char *name)
{
	const char *fn = strchr(name, '_');

	if (!fn)
		return -1;
	for (int ap = 0; ap < HMM_AP_MAX; ap++)
		if (!strcmp(fn + 1, ap_funcs[ap]))
			return ap;
	return -1;
}

int hmm_tracer__load(struct hmm_tracer *t)
{
	libbpf_print_fn_t old;
	int ap, err, tries;

	if (t->loaded)
		return -EALREADY;
	t->vmlinux_btf = btf__load_vmlinux_btf();
	if (!t->vmlinux_btf) {
		err = -errno;
		hmm_log(HMM_LOG_WARN, "this kernel has no BTF (/sys/kernel/btf/vmlinux: %s): "
			"hmmscope needs CONFIG_DEBUG_INFO_BTF=y\n", strerror(-err));
		return err;
	}
	for (ap = 0; ap < HMM_AP_MAX; ap++) {
		enum hmm_ap_state s;

		t->report[ap].ap = ap;
		t->report[ap].func = ap_funcs[ap];
		probe_ap(t, ap);
		s = t->report[ap].state;
		t->verify_only[ap] = t->opts.verify && (s == HMM_AP_DENIED || s == HMM_AP_FAILED) &&
				     btf__find_by_name_kind(t->vmlinux_btf, ap_funcs[ap],
							    BTF_KIND_FUNC) > 0;
	}
	old = libbpf_set_print(capture_print);
	for (tries = 0; tries <= HMM_AP_MAX; tries++) {
		err = open_and_configure(t);
		if (err)
			break;
		failed_prog[0] = failed_line[0] = 0;
		err = hmmscope_bpf__load(t->skel);
		if (!err)
			break;
		vlog_verdict(t);
		ap = failed_prog[0] ? ap_of_prog(failed_prog) : -1;
		if (ap >= 0 && t->verify_only[ap]) {
			struct hmm_ap_report *r = &t->report[ap];
			size_t len = strlen(r->reason);

			t->verify_only[ap] = false;
			snprintf(r->reason + len, sizeof(r->reason) - len, "; and its programs fail "
				 "here: %s", failed_line[0] ? failed_line : strerror(-err));
			hmmscope_bpf__destroy(t->skel);
			t->skel = NULL;
			continue;
		}
		if (ap < 0 || t->report[ap].state != HMM_AP_PENDING) {
			hmm_log(HMM_LOG_WARN, "loading the BPF object failed: %s%s%s\n",
				strerror(-err), failed_line[0] ? ": " : "", failed_line);
			break;
		}
		ap_set(t, ap, HMM_AP_FAILED, err, "verifier rejected %s: %s", failed_prog,
		       failed_line[0] ? failed_line : strerror(-err));
		hmmscope_bpf__destroy(t->skel);
		t->skel = NULL;
	}
	libbpf_set_print(old);
	if (err)
		return err;
	for (ap = 0; ap < HMM_AP_MAX; ap++)
		t->report[ap].verified = t->report[ap].state == HMM_AP_PENDING || t->verify_only[ap];
	t->loaded = true;
	/* Only probing needed them: an always-on tracer should not carry the kernel's BTF and
	 * symbol table (several MB) for its lifetime. */
	btf__free(t->vmlinux_btf);
	t->vmlinux_btf = NULL;
	hmm_ksyms__free(t->ksyms);
	t->ksyms = NULL;
	return 0;
}

/* ---- attach and consume ------------------------------------------------------------------ */

int hmm_tracer__attach(struct hmm_tracer *t)
{
	int ap, i, attached = 0;

	if (!t->loaded)
		return -EINVAL;
	/* Before the attach points, so no child forked from here on is missed. */
	if (t->skel->rodata->follow_children && !t->fork_link) {
		t->fork_link = bpf_program__attach(t->skel->progs.handle_fork);
		if (!t->fork_link)
			hmm_log(HMM_LOG_WARN, "cannot attach the sched_process_fork tracepoint (%s): "
				"children of process %u are not traced\n", strerror(errno),
				t->opts.owner);
	}
	for (ap = 0; ap < HMM_AP_MAX; ap++) {
		struct hmm_ap_report *r = &t->report[ap];
		int first = r->mode == HMM_MODE_FENTRY ? 0 : 2;

		if (r->state != HMM_AP_PENDING)
			continue;
		for (i = 0; i < 2; i++) {
			struct bpf_program *p = ap_prog(t, ap, first + i);
			struct bpf_link *l;

			if (!p) /* this attach point needs no such program (see bpf/migrate.bpf.c) */
				continue;
			l = bpf_program__attach(p);
			if (!l) {
				int err = -errno;

				ap_set(t, ap, err == -EPERM || err == -EACCES ? HMM_AP_DENIED :
				       HMM_AP_FAILED, err, "%s attach failed: %s",
				       hmm_mode_str(r->mode), strerror(-err));
				break;
			}
			t->links[ap][i] = l;
		}
		if (r->state == HMM_AP_PENDING && !t->links[ap][0] && !t->links[ap][1])
			ap_set(t, ap, HMM_AP_FAILED, -ENOENT, "no %s programs in the BPF object",
			       hmm_mode_str(r->mode));
		if (r->state != HMM_AP_PENDING) {
			for (i = 0; i < 2; i++) {
				bpf_link__destroy(t->links[ap][i]);
				t->links[ap][i] = NULL;
			}
			continue;
		}
		r->state = HMM_AP_ATTACHED;
		snprintf(r->reason, sizeof(r->reason), "%s%s%s", t->links[ap][0] ?
			 prog_kind[first] : "", t->links[ap][0] && t->links[ap][1] ? "/" : "",
			 t->links[ap][1] ? prog_kind[first + 1] : "");
		attached++;
	}
	if (!attached)
		return -ENOENT;
	return 0;
}

static int on_record(void *ctx, void *data, size_t len)
{
	struct hmm_tracer *t = ctx;
	int err = hmm_rec_check(data, len);

	if (err)
		return 0; /* cannot happen with our own BPF side; never stop the consumer for it */
	return t->opts.on_event ? t->opts.on_event(t->opts.ctx, data) : 0;
}

int hmm_tracer__poll(struct hmm_tracer *t, int timeout_ms)
{
	int n;

	if (!t->loaded || !t->opts.events)
		return -EINVAL;
	if (!t->rb) {
		t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), on_record, t, NULL);
		if (!t->rb)
			return -errno;
	}
	n = ring_buffer__poll(t->rb, timeout_ms);
	if (n >= 0) {
		/* BPF wakes us only once a quarter of the ring is full (rec_submit()): what came in
		 * since, without a wakeup, is consumed here, at the end of each wait. */
		int m = ring_buffer__consume(t->rb);

		n = m < 0 ? m : n + m;
	}
	return n;
}

int hmm_tracer__counters(struct hmm_tracer *t, __u64 out[HMM_C_MAX])
{
	struct hmm_counters *vals;
	__u32 zero = 0, i;
	int c, err = 0;

	if (!t->loaded)
		return -EINVAL;
	vals = calloc(t->ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	memset(out, 0, sizeof(__u64) * HMM_C_MAX);
	/* One lookup: every CPU's copy of all the counters (bpf/maps.bpf.h). */
	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.counters), &zero, vals))
		err = -errno;
	for (c = 0; !err && c < t->ncpus; c++)
		for (i = 0; i < HMM_C_MAX; i++)
			out[i] += vals[c].c[i];
	free(vals);
	return err;
}

int hmm_tracer__stack(struct hmm_tracer *t, __u32 stack, __u64 *ips, int n)
{
	__u64 val[HMM_STACK_DEPTH] = {};
	__u32 id = stack - 1;
	int depth;

	if (!t->loaded || !t->opts.stacks || !stack)
		return -EINVAL;
	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.inval_stacks), &id, val))
		return -errno;
	/* The map's value is zero-filled past the stack's depth. */
	for (depth = 0; depth < HMM_STACK_DEPTH && depth < n && val[depth]; depth++)
		ips[depth] = val[depth];
	return depth;
}

int hmm_tracer__stack_retries(struct hmm_tracer *t, hmm_stack_agg_fn fn, void *ctx)
{
	struct hmm_stack_agg *vals = NULL, sum;
	__u32 key, next, *prev = NULL;
	int fd, c, err = 0;

	if (!t->loaded || !t->opts.stacks || !t->opts.aggregate)
		return 0;
	fd = bpf_map__fd(t->skel->maps.stack_retries);
	vals = calloc(t->ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, vals))
			continue; /* deleted meanwhile: nothing deletes, but be safe */
		memset(&sum, 0, sizeof(sum));
		for (c = 0; c < t->ncpus; c++) {
			sum.retries += vals[c].retries;
			sum.lost_ns += vals[c].lost_ns;
		}
		err = fn(ctx, key, &sum);
		if (err)
			break;
	}
	free(vals);
	return err;
}

long long hmm_tracer__drops(struct hmm_tracer *t, __u64 *per_cpu, int n)
{
	struct hmm_counters *vals;
	long long total = 0;
	__u32 zero = 0;
	int c;

	if (!t->loaded)
		return -EINVAL;
	vals = calloc(t->ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.counters), &zero, vals)) {
		int err = -errno;

		free(vals);
		return err;
	}
	for (c = 0; c < t->ncpus; c++) {
		total += vals[c].c[HMM_C_RINGBUF_DROPS];
		if (per_cpu && c < n)
			per_cpu[c] = vals[c].c[HMM_C_RINGBUF_DROPS];
	}
	free(vals);
	return total;
}

int hmm_tracer__hists(struct hmm_tracer *t, hmm_hist_fn fn, void *ctx)
{
	struct hmm_hist_key key, next, *prev = NULL;
	struct hmm_hist *vals, sum;
	int fd, c, err = 0;

	if (!t->loaded)
		return -EINVAL;
	vals = calloc(t->ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	fd = bpf_map__fd(t->skel->maps.hists);
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, vals))
			continue;
		memset(&sum, 0, sizeof(sum));
		for (c = 0; c < t->ncpus; c++)
			hmm_hist_merge(&sum, &vals[c]);
		err = fn(ctx, &key, &sum);
		if (err)
			break;
	}
	free(vals);
	return err;
}

static int cmp_thrash_key(const void *a, const void *b)
{
	const struct hmm_thrash_key *x = a, *y = b;

	if (x->mm != y->mm)
		return x->mm < y->mm ? -1 : 1;
	return x->block < y->block ? -1 : x->block > y->block;
}

long hmm_tracer__thrashing(struct hmm_tracer *t)
{
	struct hmm_thrash_key key, next, *prev = NULL, *keys;
	__u64 win = t->skel ? t->skel->rodata->thrash_ns : 0, now;
	__u32 min = t->skel ? t->skel->rodata->thrash_min : 0;
	size_t n = 0, max, i;
	struct hmm_thrash v;
	struct timespec ts;
	long count = 0;
	int fd;

	if (!t->loaded)
		return -EINVAL;
	if (win == HMM_THRASH_OFF)
		return 0;
	if (!win)
		win = HMM_THRASH_MS_DEFAULT * 1000000ULL;
	if (!min)
		min = HMM_THRASH_MIN_DEFAULT;
	fd = bpf_map__fd(t->skel->maps.thrash);
	max = bpf_map__max_entries(t->skel->maps.thrash);
	keys = calloc(max, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	/* As hmm_tracer__owners(): keys first, bounded, deduplicated (an LRU walk may restart). */
	while (n < max && !bpf_map_get_next_key(fd, prev, &next)) {
		keys[n++] = next;
		key = next;
		prev = &key;
	}
	if (n)
		qsort(keys, n, sizeof(*keys), cmp_thrash_key);
	clock_gettime(CLOCK_MONOTONIC, &ts); /* bpf_ktime_get_ns()'s clock */
	now = (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	for (i = 0; i < n; i++) {
		__u32 in = 0;

		if (i && !cmp_thrash_key(&keys[i], &keys[i - 1]))
			continue;
		if (bpf_map_lookup_elem(fd, &keys[i], &v))
			continue;
		for (unsigned int r = 0; r < HMM_THRASH_RING; r++)
			in += v.trip_ts[r] && v.trip_ts[r] <= now && now - v.trip_ts[r] <= win;
		count += in >= min;
	}
	free(keys);
	return count;
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

int hmm_tracer__owners(struct hmm_tracer *t, hmm_owner_fn fn, void *ctx)
{
	struct hmm_owner_stats *vals = NULL, sum;
	__u32 key, next, *prev = NULL, *keys = NULL;
	size_t n = 0, max, i, k;
	int fd, c, err = 0;

	if (!t->loaded)
		return -EINVAL;
	if (!t->opts.per_owner)
		return 0;
	fd = bpf_map__fd(t->skel->maps.owner_stats);
	max = bpf_map__max_entries(t->skel->maps.owner_stats);
	keys = calloc(max, sizeof(*keys));
	vals = calloc(t->ncpus, sizeof(*vals));
	if (!keys || !vals) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* Keys first: the LRU may evict the key the walk stands on, which restarts the walk from
	 * the first bucket; so the walk is bounded and the keys deduplicated. */
	while (n < max && !bpf_map_get_next_key(fd, prev, &next)) {
		keys[n++] = next;
		key = next;
		prev = &key;
	}
	if (n)
		qsort(keys, n, sizeof(*keys), cmp_u32);
	for (i = 0; i < n; i++) {
		if (i && keys[i] == keys[i - 1])
			continue;
		if (bpf_map_lookup_elem(fd, &keys[i], vals))
			continue; /* evicted since */
		memset(&sum, 0, sizeof(sum));
		for (c = 0; c < t->ncpus; c++) {
			const struct hmm_owner_stats *v = &vals[c];

			sum.fault_calls += v->fault_calls;
			sum.fault_ns += v->fault_ns;
			sum.fault_ebusy += v->fault_ebusy;
			sum.fault_pages += v->fault_pages;
			for (k = 0; k < HMM_DIR_MAX; k++) {
				sum.migrations[k] += v->migrations[k];
				sum.migrate_moved[k] += v->migrate_moved[k];
			}
			sum.migrate_ns += v->migrate_ns;
			sum.inval_calls += v->inval_calls;
			sum.inval_ns += v->inval_ns;
			if (!sum.comm[0] && v->comm[0])
				memcpy(sum.comm, v->comm, sizeof(sum.comm));
		}
		sum.comm[sizeof(sum.comm) - 1] = '\0';
		err = fn(ctx, keys[i], &sum);
		if (err)
			break;
	}
cleanup:
	free(keys);
	free(vals);
	return err;
}

const struct hmm_ap_report *hmm_tracer__report(const struct hmm_tracer *t, size_t *n)
{
	if (n)
		*n = HMM_AP_MAX;
	return t->report;
}

__u32 hmm_tracer__live_mask(const struct hmm_tracer *t)
{
	__u32 mask = 0;

	for (int ap = 0; ap < HMM_AP_MAX; ap++)
		if (t->report[ap].state == HMM_AP_ATTACHED)
			mask |= 1u << ap;
	return mask;
}

struct hmm_tracer *hmm_tracer__open(const struct hmm_tracer_opts *opts)
{
	struct hmm_tracer *t;
	size_t rb;

	if (!opts || opts->sz < sizeof(size_t)) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(&t->opts, opts, opts->sz < sizeof(*opts) ? opts->sz : sizeof(*opts));
	rb = t->opts.ringbuf_bytes ? t->opts.ringbuf_bytes : 4u << 20;
	if (rb < 4096)
		rb = 4096;
	t->opts.ringbuf_bytes = 1;
	while (t->opts.ringbuf_bytes < rb)
		t->opts.ringbuf_bytes <<= 1;
	t->ncpus = libbpf_num_possible_cpus();
	if (t->ncpus <= 0) {
		free(t);
		errno = EINVAL;
		return NULL;
	}
	for (int ap = 0; ap < HMM_AP_MAX; ap++) {
		t->report[ap].ap = ap;
		t->report[ap].func = ap_funcs[ap];
	}
	return t;
}

int hmm_tracer__prog_stats(struct hmm_tracer *t, hmm_prog_stats_fn fn, void *ctx)
{
	struct bpf_program *p;
	int err;

	if (!t->loaded)
		return -EINVAL;
	bpf_object__for_each_program(p, t->skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		struct hmm_prog_stats st;
		int fd = bpf_program__fd(p);

		if (fd < 0 || !bpf_program__autoload(p))
			continue;
		err = bpf_obj_get_info_by_fd(fd, &info, &len);
		if (err)
			return err;
		st.name = bpf_program__name(p);
		st.run_cnt = info.run_cnt;
		st.run_time_ns = info.run_time_ns;
		st.verified_insns = info.verified_insns ?: vlog_insns(vlog_of(p));
		err = fn(ctx, &st);
		if (err)
			return err;
	}
	return 0;
}

void hmm_tracer__destroy(struct hmm_tracer *t)
{
	if (!t)
		return;
	ring_buffer__free(t->rb);
	bpf_link__destroy(t->fork_link);
	for (int ap = 0; ap < HMM_AP_MAX; ap++)
		for (int i = 0; i < 2; i++)
			bpf_link__destroy(t->links[ap][i]);
	hmmscope_bpf__destroy(t->skel);
	free(t->vlog);
	btf__free(t->vmlinux_btf);
	hmm_ksyms__free(t->ksyms);
	free(t);
}
