/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libhmmscope: probe the kernel, load and attach what it allows, consume records.
 *
 *	t = hmm_tracer__open(&opts);	options, nothing touches the kernel yet
 *	hmm_tracer__load(t);		probe every attach point, pick fentry or kprobe, load
 *	hmm_tracer__attach(t);		attach; the report says what is live and why not
 *	hmm_tracer__poll(t, ms);	records -> opts.on_event
 *	hmm_tracer__destroy(t);
 *
 * Errors are negative errno values; messages go through the print callback (hmm_set_print()),
 * never to stdout, and nothing here exits the process.
 */
#ifndef HMMSCOPE_LIB_H
#define HMMSCOPE_LIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "../bpf/hmmscope.h"

#ifdef __cplusplus
extern "C" {
#endif

enum hmm_log_level {
	HMM_LOG_WARN,
	HMM_LOG_INFO,
	HMM_LOG_DEBUG,
};

typedef int (*hmm_print_fn)(enum hmm_log_level level, const char *fmt, va_list args);

/* Set the print callback for lib/ and libbpf messages; returns the previous one. NULL: silent. */
hmm_print_fn hmm_set_print(hmm_print_fn fn);

enum hmm_attach_mode {
	HMM_MODE_AUTO = 0, /* fentry/fexit where allowed, else kprobe/kretprobe, per attach point */
	HMM_MODE_FENTRY,
	HMM_MODE_KPROBE,
};

enum hmm_ap_state {
	HMM_AP_PENDING = 0, /* not loaded yet */
	HMM_AP_ATTACHED,
	HMM_AP_ABSENT,	 /* the function is not in this kernel */
	HMM_AP_DENIED,	 /* EPERM/EACCES: lockdown, ftrace denied, missing capability */
	HMM_AP_FAILED,	 /* verifier or another error */
	HMM_AP_DISABLED, /* not asked for */
};

struct hmm_ap_report {
	enum hmm_attach_point ap;
	const char *func;
	enum hmm_ap_state state;
	enum hmm_attach_mode mode; /* for ATTACHED: FENTRY or KPROBE */
	int err;		   /* negative errno behind a non-attached state */
	bool verified;		   /* its programs passed CO-RE relocation and the verifier here */
	char reason[192];	   /* one line a user can act on */
};

const char *hmm_ap_func(enum hmm_attach_point ap);
const char *hmm_ap_state_str(enum hmm_ap_state s);
const char *hmm_mode_str(enum hmm_attach_mode m);

/* What the running kernel offers, for `hmmtrace probe` and for error messages. */
struct hmm_kernel_info {
	char release[65];
	bool btf;	    /* /sys/kernel/btf/vmlinux */
	char lockdown[48];  /* "none", "integrity", "confidentiality" or "unknown ..." */
	bool root;
	bool cap_bpf;	    /* CAP_BPF (or CAP_SYS_ADMIN before 5.8) */
	bool cap_perfmon;   /* CAP_PERFMON (or CAP_SYS_ADMIN) */
	bool cap_sys_admin;
	bool kprobes;	    /* the kprobe PMU exists */
	long page_size;
	int ncpus;	    /* possible CPUs: per-CPU map sizes */
};

int hmm_kernel_probe(struct hmm_kernel_info *ki);

/* A validated record: hdr->type and hdr->size are known to fit the record's struct. */
typedef int (*hmm_event_fn)(void *ctx, const struct hmm_rec_hdr *rec);

/* Check one raw record (from the ring buffer or a file): 0, -ENOENT for a type this library does
 * not know (skip it: newer writer), -EINVAL for a record too short for its type. */
int hmm_rec_check(const void *data, size_t len);
size_t hmm_rec_min_size(__u16 type);
const char *hmm_rec_type_str(__u16 type);
const char *hmm_event_str(__u8 ev);		/* enum hmm_inval_event */
const char *hmm_result_str(__u16 res);		/* enum hmm_fault_result */
const char *hmm_dir_str(__u8 dir);		/* enum hmm_migrate_dir */
const char *hmm_uffd_reason_str(__u8 reason);	/* enum hmm_uffd_reason */

struct hmm_tracer_opts {
	size_t sz; /* sizeof(struct hmm_tracer_opts), for forward compatibility */
	__u32 pid;	  /* only calls made by this process (0: all) */
	__u32 owner;	  /* only work on memory owned by this process (0: all) */
	__u64 min_dur_ns; /* per-event records shorter than this are not emitted */
	bool events;	  /* per-event records through the ring buffer */
	bool aggregate;	  /* in-kernel histograms and counters */
	enum hmm_attach_mode mode;
	size_t ringbuf_bytes; /* 0: 4 MiB; rounded up to a power of two */
	__u32 skip_mask;      /* attach points (1 << enum hmm_attach_point) not to attach */
	bool verify;	      /* also load (never attach) the kprobe programs of attach points that
				 cannot attach here, to prove they relocate and verify on this kernel */
	hmm_event_fn on_event;
	void *ctx;
	bool follow_children; /* with owner: also memory owned by its descendants forked while
				 tracing (the sched_process_fork tracepoint) */
	bool per_owner;	      /* counters per owner process (hmm_tracer__owners()) */
	/* Thrashing (bpf/hmmscope.h): the round-trip window and the round trips in it that make a
	 * range thrashing; 0: HMM_THRASH_MS_DEFAULT ms, HMM_THRASH_MIN_DEFAULT (at most
	 * HMM_THRASH_RING). thrash_ns HMM_THRASH_OFF: no round trips (nor their map). */
	__u64 thrash_ns;
	__u32 thrash_min;
	bool stacks; /* the kernel stack of each invalidation, in the causes it is blamed for
			(struct hmm_cause.stack; hmm_tracer__stack()) */
	bool verifier_stats; /* keep each program's verifier statistics (log level 4), so that
				hmm_tracer__prog_stats() has verified_insns before 5.16 as well */
};

struct hmm_tracer;

struct hmm_tracer *hmm_tracer__open(const struct hmm_tracer_opts *opts);
int hmm_tracer__load(struct hmm_tracer *t);
int hmm_tracer__attach(struct hmm_tracer *t);
/* Consume ready records; returns how many, or a negative errno (-EINTR on a signal). */
int hmm_tracer__poll(struct hmm_tracer *t, int timeout_ms);
/* Counters (enum hmm_counter) summed over CPUs. */
int hmm_tracer__counters(struct hmm_tracer *t, __u64 out[HMM_C_MAX]);
/* The frames of a cause stack (struct hmm_cause.stack, id + 1), innermost first: how many (at
 * most n), or -errno (-ENOENT: no such stack, -EINVAL: not tracing with opts.stacks). */
int hmm_tracer__stack(struct hmm_tracer *t, __u32 stack, __u64 *ips, int n);
/* Aggregation mode with opts.stacks: the -EBUSY attempts per cause stack, summed over CPUs, each
 * stack once (in no order). 0, fn's first non-zero return, or -errno. */
typedef int (*hmm_stack_agg_fn)(void *ctx, __u32 stack, const struct hmm_stack_agg *agg);
int hmm_tracer__stack_retries(struct hmm_tracer *t, hmm_stack_agg_fn fn, void *ctx);
/* Ring-buffer reserve failures per CPU (per_cpu may be NULL); returns the total or -errno. */
long long hmm_tracer__drops(struct hmm_tracer *t, __u64 *per_cpu, int n);
/* Every in-kernel histogram, merged over CPUs. */
typedef int (*hmm_hist_fn)(void *ctx, const struct hmm_hist_key *key, const struct hmm_hist *h);
int hmm_tracer__hists(struct hmm_tracer *t, hmm_hist_fn fn, void *ctx);
/* Every owner process's counters (opts.per_owner), summed over CPUs, each pid once; pid 0 is
 * work whose owner is unknown. comm is NUL-terminated; empty for pid 0. Nothing without
 * per_owner. */
typedef int (*hmm_owner_fn)(void *ctx, __u32 pid, const struct hmm_owner_stats *st);
int hmm_tracer__owners(struct hmm_tracer *t, hmm_owner_fn fn, void *ctx);
/* Ranges thrashing now: at least thrash_min round trips in the window before now (the thrash
 * map, bpf/migrate.bpf.c). Returns the count or -errno. */
long hmm_tracer__thrashing(struct hmm_tracer *t);
const struct hmm_ap_report *hmm_tracer__report(const struct hmm_tracer *t, size_t *n);
/* The kernel's own accounting of each loaded program: how often it ran and for how long
 * (run_time_ns counts only while /proc/sys/kernel/bpf_stats_enabled is 1), and what loading it
 * took. */
struct hmm_prog_stats {
	const char *name; /* e.g. "fexit_hmm_range_fault" */
	__u64 run_cnt;
	__u64 run_time_ns;
	/* Instructions the verifier processed to load it: from the kernel (5.16+), else from its
	 * statistics with opts.verifier_stats; 0 when neither has it. */
	__u32 verified_insns;
};
typedef int (*hmm_prog_stats_fn)(void *ctx, const struct hmm_prog_stats *st);
int hmm_tracer__prog_stats(struct hmm_tracer *t, hmm_prog_stats_fn fn, void *ctx);
/* Attach points attached, as a mask of (1 << enum hmm_attach_point). */
__u32 hmm_tracer__live_mask(const struct hmm_tracer *t);
void hmm_tracer__destroy(struct hmm_tracer *t);

#ifdef __cplusplus
}
#endif

#endif /* HMMSCOPE_LIB_H */
