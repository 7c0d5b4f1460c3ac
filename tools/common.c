// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE /* asprintf() */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <sched.h>
#include "common.h"
#include "trace.h"

const char *tool_name = "hmmscope";
int tool_verbose;
volatile sig_atomic_t tool_exiting;

void tool_err(const char *fmt, ...)
{
	va_list args;

	fprintf(stderr, "%s: ", tool_name);
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fputc('\n', stderr);
}

int tool_parse_u64(const char *opt, const char *arg, unsigned long long min,
		   unsigned long long max, unsigned long long *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (!arg || !*arg || *arg == '-' || *arg == ' ')
		goto bad;
	v = strtoull(arg, &end, 10);
	if (errno || *end)
		goto bad;
	if (v < min || v > max) {
		tool_err("%s: %llu is out of range (%llu..%llu)", opt, v, min, max);
		return -ERANGE;
	}
	*out = v;
	return 0;
bad:
	tool_err("%s: '%s' is not a number", opt, arg ? arg : "");
	return -EINVAL;
}

int tool_parse_pid(const char *opt, const char *arg, __u32 *out)
{
	unsigned long long v;
	int err;

	err = tool_parse_u64(opt, arg, 1, 4194304, &v); /* PID_MAX_LIMIT */
	if (err)
		return err;
	*out = v;
	return 0;
}

int tool_check_pids(const struct hmm_tracer_opts *opts)
{
	const struct {
		const char *opt;
		__u32 pid;
	} p[] = { { "--pid", opts->pid }, { "--owner", opts->owner } };
	char path[64];

	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		if (!p[i].pid)
			continue;
		snprintf(path, sizeof(path), "/proc/%u", p[i].pid);
		if (access(path, F_OK)) {
			tool_err("%s: no process %u", p[i].opt, p[i].pid);
			return -ESRCH;
		}
	}
	return 0;
}

int tool_parse_mode(const char *arg, enum hmm_attach_mode *out)
{
	if (!strcmp(arg, "auto"))
		*out = HMM_MODE_AUTO;
	else if (!strcmp(arg, "fentry"))
		*out = HMM_MODE_FENTRY;
	else if (!strcmp(arg, "kprobe"))
		*out = HMM_MODE_KPROBE;
	else {
		tool_err("--mode: '%s' is not one of auto, fentry, kprobe", arg);
		return -EINVAL;
	}
	return 0;
}

int tool_parse_paths(const char *arg, __u32 *skip_mask)
{
	static const struct {
		const char *name;
		__u32 aps;
	} paths[] = {
		{"fault", 1u << HMM_AP_RANGE_FAULT | 1u << HMM_AP_READ_BEGIN |
				  1u << HMM_AP_RANGE_FAULT_UNLOCKED},
		{"migrate", 1u << HMM_AP_MIGRATE_SETUP | 1u << HMM_AP_MIGRATE_PAGES |
				    1u << HMM_AP_MIGRATE_FINALIZE | 1u << HMM_AP_DEVICE_RANGE |
				    1u << HMM_AP_DEVICE_PAGES | 1u << HMM_AP_DEVICE_FINALIZE |
				    1u << HMM_AP_DEVICE_PFNS},
		{"inval", 1u << HMM_AP_INVAL_START | 1u << HMM_AP_INVAL_END},
		{"uffd", 1u << HMM_AP_USERFAULT},
		{"all", (1u << HMM_AP_MAX) - 1},
	};
	const char *p = arg;
	__u32 want = 0;
	size_t i, len;

	for (;;) {
		len = strcspn(p, ",");
		for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
			if (strlen(paths[i].name) == len && !strncmp(p, paths[i].name, len))
				break;
		if (i == sizeof(paths) / sizeof(paths[0])) {
			tool_err("--paths: '%.*s' is not one of fault, migrate, inval, uffd, all "
				 "(a comma-separated list)",
				 (int)len, p);
			return -EINVAL;
		}
		want |= paths[i].aps;
		if (!p[len])
			break;
		p += len + 1;
	}
	*skip_mask = ((1u << HMM_AP_MAX) - 1) & ~want;
	return 0;
}

struct hmm_trace_reader *tool_open_trace(const char *who, const char *path, bool readahead)
{
	struct hmm_trace_reader *r;
	cpu_set_t cpus;
	int err = 0;

	r = hmm_trace_reader__open(path, &err);
	if (!r) {
		tool_err("%s: cannot read %s: %s", who, path,
			 err == -EPROTO ? "not an hmmtrace file" :
			 err == -EPROTONOSUPPORT ? "written by a newer, incompatible hmmtrace" :
			 err == -ESPIPE ? "not a regular file (a pipe?): save it to a file first" :
			 strerror(-err));
		return NULL;
	}
	if (readahead && sched_getaffinity(0, sizeof(cpus), &cpus) == 0 && CPU_COUNT(&cpus) > 1)
		hmm_trace_reader__readahead(r);
	return r;
}

const char *tool_out_name(const struct tool_out *o)
{
	return o->path ? o->path : "standard output";
}

int tool_out_open(struct tool_out *o, const char *path)
{
	int fd, err;

	memset(o, 0, sizeof(*o));
	if (!path || !strcmp(path, "-")) {
		o->f = stdout;
		return 0;
	}
	o->path = path;
	if (asprintf(&o->tmp, "%s.XXXXXX", path) < 0) {
		o->tmp = NULL;
		tool_err("cannot create %s: %s", path, strerror(ENOMEM));
		return -ENOMEM;
	}
	fd = mkstemp(o->tmp);
	if (fd < 0 || fchmod(fd, 0644) || !(o->f = fdopen(fd, "w"))) {
		err = -errno;
		tool_err("cannot create %s: %s", path, strerror(-err));
		if (fd >= 0) {
			close(fd);
			unlink(o->tmp);
		}
		free(o->tmp);
		o->tmp = NULL;
		return err;
	}
	return 0;
}

int tool_out_close(struct tool_out *o, bool ok)
{
	int err = 0;

	if (!o->f)
		return -EBADF;
	/* A write that failed set the error flag (and errno at the time); the final flush
	 * retries what is buffered, so its errno is the real one. */
	errno = 0;
	if (fflush(o->f) || ferror(o->f))
		err = o->err ? o->err : errno ? -errno : -EIO;
	if (o->path) {
		if (!err && fsync(fileno(o->f)))
			err = -errno;
		if (fclose(o->f) && !err)
			err = errno ? -errno : -EIO;
		if (!err && ok && rename(o->tmp, o->path))
			err = -errno;
		if (err || !ok)
			unlink(o->tmp);
		free(o->tmp);
	}
	o->f = NULL;
	if (err)
		tool_err("cannot write %s: %s", tool_out_name(o), strerror(-err));
	return err ? err : ok ? 0 : -ECANCELED;
}

int tool_print(enum hmm_log_level level, const char *fmt, va_list args)
{
	if (level == HMM_LOG_DEBUG && tool_verbose < 2)
		return 0;
	if (level == HMM_LOG_INFO && tool_verbose < 1)
		return 0;
	/* The library's warnings read as the tool's own (the libbpf ones say "libbpf: " too). */
	if (level == HMM_LOG_WARN)
		fprintf(stderr, "%s: ", tool_name);
	return vfprintf(stderr, fmt, args);
}

static void on_signal(int sig)
{
	(void)sig;
	tool_exiting = 1;
}

void tool_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

void tool_load_error(int err)
{
	struct hmm_kernel_info ki;

	hmm_kernel_probe(&ki);
	if (!ki.btf)
		tool_err("this kernel (%s) has no BTF at /sys/kernel/btf/vmlinux: hmmscope needs a "
			 "kernel built with CONFIG_DEBUG_INFO_BTF=y", ki.release);
	else if (!ki.cap_bpf || !ki.cap_perfmon)
		tool_err("loading BPF programs needs root, or CAP_BPF and CAP_PERFMON (try sudo)");
	else
		tool_err("could not load the BPF programs: %s (run with -vv for libbpf's log)",
			 strerror(-err));
}

double tool_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

pid_t tool_start_held(char **argv, int *release_fd)
{
	int p[2];
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		char c;

		close(p[1]);
		/* EOF without a byte: the tracer failed, do not run untraced. */
		if (read(p[0], &c, 1) != 1)
			_exit(127);
		close(p[0]);
		execvp(argv[0], argv);
		fprintf(stderr, "%s: cannot run '%s': %s\n", tool_name, argv[0], strerror(errno));
		_exit(127);
	}
	close(p[0]);
	*release_fd = p[1];
	return pid;
}

int tool_drop_privileges(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
	int err = 0;

	/* Ambient capabilities would survive an exec; clear them first (4.3+, EINVAL before). */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL)
		err = -errno;
	if (syscall(SYS_capset, &hdr, data))
		err = -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		err = err ?: -errno;
	if (err)
		tool_err("warning: cannot drop privileges after attaching: %s", strerror(-err));
	return err;
}
