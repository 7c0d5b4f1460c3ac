// SPDX-License-Identifier: GPL-2.0
/*
 * hmm_workload - drive the Linux test_hmm driver (/dev/hmm_dmirrorN) and the related
 * mm paths (clear_refs, userfaultfd) with a known number of operations, so that the
 * hmmscope tracers can be checked against exact or minimum expected event counts.
 *
 * Semantics relied upon come from lib/test_hmm.c of Linux 5.10, 6.1, 6.12 and 7.3 (the lab's
 * kernels; struct kprofile says what differs):
 *  - open() registers one mmu_interval_notifier over the whole mm of the opener
 *    (dmirror_fops_open()), so every invalidation of this process reaches the driver.
 *  - the driver walks user ranges in fixed steps: one hmm_range_fault() (or, 7.x,
 *    hmm_range_fault_unlocked_timeout()) per fault step and one migrate_vma_setup() per
 *    migration step (the pfns[] / src_pfns[] arrays of dmirror_fault(), dmirror_snapshot()
 *    and dmirror_migrate_to_device/system()).
 *  - 6.1+: closing the device evicts its memory, every process's, not only the closer's
 *    (dmirror_fops_release() -> migrate_device_range() per chunk of the device). --hold keeps
 *    it open after the last operation until SIGUSR1, for generators that share a device.
 *
 * While the device is open the process causes no invalidation beyond the ones its totals
 * account for (see quiet_mm_setup()), so tracers can compare exactly; only the kernel's
 * own background work (compaction, reclaim) can add MMU_NOTIFY_CLEAR events.
 *
 * Totals go to stdout as key=value lines; progress and diagnostics go to stderr.
 * Exit status: 0 all good, 1 an operation failed or data did not verify, 2 bad usage
 * or no device.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <link.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/userfaultfd.h>

#include "hmm_uapi.h"

#define PROG			"hmm_workload"
#define DEFAULT_DEVICE		"/dev/hmm_dmirror0"
#define DEFAULT_PAGES		64UL
#define MAX_PAGES		65536UL
#define MAX_COUNT		10000000UL
/* regions kept on the device until close (--evict) */
#define MAX_EVICT		16UL
/* a PMD-sized THP on x86-64 and arm64 with 4 KiB pages: what --migrate-thp migrates */
#define THP_SIZE		(2UL << 20)
/* diagnostics printed per op before the rest are only counted */
#define MAX_REPORTS		10UL
/* stack of the storm and userfaultfd threads (one at a time) */
#define THREAD_STACK_SIZE	(256UL * 1024)

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif

enum op {
	OP_READ,
	OP_WRITE,
	OP_SNAPSHOT,
	OP_MIGRATE,
	OP_MIGRATE_SYS,
	OP_STORM,
	OP_EXCLUSIVE,
	OP_SOFT_DIRTY,
	OP_UFFD_MINOR,
	OP_UFFD_MISSING,
	OP_READ_UNLOCKED,
	OP_UFFD_UNLOCKED,
	OP_UNLOCKED_TIMEOUT,
	OP_MIGRATE_THP,
	OP_EVICT,
	OP_THRASH,
	OP_STALL,
	OP_COW,
	OP_NR,
};

/*
 * What the running kernel's test_hmm offers, by release (uname): the ioctl numbering, the step
 * sizes of its loops, and what it lacks. The lab's four kernels are where each row was read from
 * the source; a kernel between two rows is taken to be like the older one.
 */
struct kprofile {
	const char	*name;
	unsigned int	min_version;	/* major * 1000 + minor */
	unsigned long	fault_chunk;	/* pages per hmm_range_fault(): dmirror_fault() */
	unsigned long	migrate_chunk;	/* pages per migrate_vma_setup() */
	unsigned long	req_snapshot;
	unsigned long	req_migrate_to_sys;	/* 0: none */
	unsigned long	req_exclusive;		/* 0: none */
	unsigned long	req_read_unlocked;	/* 0: none */
	bool		evicts;		/* close() evicts the device's memory */
	bool		compound;	/* a THP moves to the device as one large folio */
};

static const struct kprofile kprofiles[] = {
	/* 7.3: pfns[32] in dmirror_fault()/_snapshot(), PTRS_PER_PTE entries per migration step,
	 * MIGRATE_VMA_SELECT_COMPOUND, HMM_DMIRROR_READ_UNLOCKED. */
	{ "7.x", 7003, 32, 512, HMMW_DMIRROR_SNAPSHOT, HMMW_DMIRROR_MIGRATE_TO_SYS,
	  HMMW_DMIRROR_EXCLUSIVE, HMMW_DMIRROR_READ_UNLOCKED, true, true },
	/* 6.1 and 6.12: pfns[64], migrate_device_range() at close. */
	{ "6.x", 6001, 64, 64, HMMW_DMIRROR_SNAPSHOT, HMMW_DMIRROR_MIGRATE_TO_SYS,
	  HMMW_DMIRROR_EXCLUSIVE, 0, true, false },
	/* 5.14 renumbered the ioctls and added MIGRATE_TO_SYS and EXCLUSIVE; no eviction yet. */
	{ "5.14", 5014, 64, 64, HMMW_DMIRROR_SNAPSHOT, HMMW_DMIRROR_MIGRATE_TO_SYS,
	  HMMW_DMIRROR_EXCLUSIVE, 0, false, false },
	/* 5.10: READ, WRITE, MIGRATE (to the device) and SNAPSHOT at 0x03. */
	{ "5.10", 0, 64, 64, HMMW_DMIRROR_510_SNAPSHOT, 0, 0, 0, false, false },
};

struct op_stats {
	const char	*name;		/* key prefix */
	unsigned long	ns;		/* wall time of the whole phase (CLOCK_MONOTONIC) */
	unsigned long	cpu_ns;		/* CPU time (user + system) of the whole phase */
	unsigned long	ops;		/* operations attempted */
	unsigned long	ok_ops;		/* ... whose main ioctl succeeded */
	unsigned long	pages;		/* ops * pages per op */
	unsigned long	faults;		/* sum of cmd.faults */
	unsigned long	cpages;		/* sum of cmd.cpages (to the device for migrations) */
	unsigned long	sys_ok_ops;	/* migrate_sys: successful MIGRATE_TO_SYS */
	unsigned long	partial;	/* MIGRATE_TO_DEV calls that left pages behind (ENOENT,
					   migrate_to_dev_ioctl()) and were made again */
	unsigned long	sys_cpages;	/* migrate_sys: sum of MIGRATE_TO_SYS cmd.cpages */
	unsigned long	cpu_faults;	/* migrate: device pages then touched by the CPU */
	unsigned long	mirror_reads;	/* soft_dirty: successful mirroring reads */
	unsigned long	uffd_faults;	/* userfaultfd faults resolved by the handler */
	unsigned long	madvise;	/* storm: invalidating syscalls of the second thread */
	unsigned long	mprotect;
	unsigned long	munmap;
	unsigned long	ebusy;		/* storm: reads whose driver loop gave up (-EBUSY);
					   cow: hmm_range_fault() calls that return -EBUSY */
	unsigned long	calls;		/* cow: hmm_range_fault() calls */
	bool		fifo;		/* stall: the storm ran SCHED_FIFO on CPU 1 */
	unsigned long	lock_drops;	/* uffd_unlocked: rounds the handler made retry */
	unsigned long	slow_ops;	/* uffd_unlocked with --uffd-delay: reads that took at least
					   the delay for each of their unlocked calls */
	unsigned long	huge;		/* migrate_thp: regions backed with a THP */
	unsigned long	round_trips;	/* migrations that completed a round trip (rt_leg()) */
	unsigned long	errors;
	unsigned long	tolerated;	/* errors that do not fail the run */
	unsigned long	mismatches;	/* pages with wrong data + ops with a short cpages */
	const char	*skipped;	/* why this kernel cannot run the op, or NULL */
};

#define MAX_REGIONS 32
/* ranges whose round trips are counted (rt_leg()) */
#define MAX_RT_BLOCKS 256
/* the tracers' range: a 2 MiB block (bpf/hmmscope.h, HMM_THRASH_BLOCK_SHIFT) */
#define RT_BLOCK_SHIFT 21
/* the tracers' default thrash_min and thrash window */
#define RT_THRASH_MIN 3
#define RT_WINDOW_NS 1000000000UL

struct ctx {
	int		fd;		/* the dmirror device */
	const struct kprofile *kp;
	size_t		psz;
	unsigned long	npages;		/* M */
	unsigned long	uffd_delay_ms;	/* the userfaultfd handler's wait before each resolve */
	unsigned long	pin;		/* --pin: pages held in a pipe during a migration */
	int		pin_fd[2];	/* that pipe, while it holds them; -1: none */
	unsigned long	pinned;		/* pages pinned so, over all migrations */
	bool		quiet;
	unsigned char	*bounce;	/* M pages, cmd.ptr of every ioctl */
	unsigned char	*thp_bounce;	/* THP_SIZE: cmd.ptr of --migrate-thp */
	void		*stack;		/* THREAD_STACK_SIZE, for the helper threads */
	unsigned long	munmaps;	/* munmap() calls made by the main thread */
	/* the distinct ranges those munmaps covered: a tracer's invalidations inside them are
	 * ours, glibc's own housekeeping happens elsewhere */
	struct {
		unsigned long start, end;
	} regions[MAX_REGIONS];
	unsigned int	nregions;
	bool		regions_truncated;
	/* --evict: regions left on the device until close() */
	struct {
		void		*p;
		uint32_t	seed;
	} evict[MAX_EVICT];
	unsigned int	nevict;
	/* round trips per 2 MiB block, as the tracers count them (rt_leg()) */
	struct {
		unsigned long	block;
		int		dir;	/* of the open leg; -1: none open */
		unsigned long	end;	/* when it ended (CLOCK_MONOTONIC ns) */
		unsigned long	trips;
	} rt[MAX_RT_BLOCKS];
	unsigned int	nrt;
	bool		rt_truncated;
	/* --thrash A,B */
	unsigned long	thrash_n[2];
	void		*thrash_p[2];
	unsigned long	thrash_trips[2];
	struct op_stats	st[OP_NR];
};

struct opts {
	const char	*device;
	unsigned long	npages;
	unsigned long	count[OP_NR];
	unsigned long	thrash[2];	/* --thrash A,B */
	unsigned long	uffd_delay_ms;	/* --uffd-delay */
	unsigned long	pin;		/* --pin */
	bool		quiet;
	bool		wait_signal;	/* wait for SIGUSR1 before starting */
	bool		hold;		/* --hold: the device kept open until SIGUSR1 */
};

/* ---- diagnostics ---------------------------------------------------------------- */

static void progress(const struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void progress(const struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->quiet)
		return;
	va_start(ap, fmt);
	fputs(PROG ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void op_error(struct op_stats *st, unsigned long iter, const char *what, int err,
		     bool tolerated)
{
	st->errors++;
	if (tolerated)
		st->tolerated++;
	if (st->errors <= MAX_REPORTS)
		fprintf(stderr, PROG ": %s #%lu: %s: %s (errno %d)%s\n", st->name, iter, what,
			strerror(err), err, tolerated ? " [tolerated]" : "");
	else if (st->errors == MAX_REPORTS + 1)
		fprintf(stderr, PROG ": %s: further errors are only counted\n", st->name);
}

static void op_mismatch(struct op_stats *st, unsigned long iter, unsigned long n,
			const char *what)
{
	if (!n)
		return;
	if (st->mismatches < MAX_REPORTS)
		fprintf(stderr, PROG ": %s #%lu: %s (%lu)\n", st->name, iter, what, n);
	st->mismatches += n;
}

/* ---- memory and data patterns ----------------------------------------------------- */

static unsigned long chunks(unsigned long npages, unsigned long step)
{
	return (npages + step - 1) / step;
}

static uint32_t op_seed(enum op op, unsigned long iter)
{
	return ((uint32_t)(op + 1) << 24) ^ (uint32_t)(iter & 0xffffff);
}

/* Never 0, so a page the kernel zero-filled instead of copying cannot verify. */
static uint8_t pattern_byte(uint32_t seed, unsigned long page)
{
	return 1 + (uint8_t)((seed * 31u + page * 7u) % 255u);
}

/* Each page: an 8-byte stamp (seed, page index) so misplaced pages are caught, then a
 * per-page byte. */
static void fill_pages(void *buf, unsigned long npages, size_t psz, uint32_t seed)
{
	unsigned long i;

	for (i = 0; i < npages; i++) {
		unsigned char *pg = (unsigned char *)buf + i * psz;
		uint64_t stamp = ((uint64_t)seed << 32) | i;

		memset(pg, pattern_byte(seed, i), psz);
		memcpy(pg, &stamp, sizeof(stamp));
	}
}

/* Reads the stamp first: for migrated pages that first load is the CPU fault. */
static bool page_ok(const unsigned char *pg, size_t psz, uint32_t seed, unsigned long i)
{
	uint64_t want = 0x0101010101010101ULL * pattern_byte(seed, i);
	uint64_t stamp, w;
	size_t off;

	memcpy(&stamp, pg, sizeof(stamp));
	if (stamp != (((uint64_t)seed << 32) | i))
		return false;
	for (off = sizeof(stamp); off < psz; off += sizeof(w)) {
		memcpy(&w, pg + off, sizeof(w));
		if (w != want)
			return false;
	}
	return true;
}

static unsigned long bad_pages(const void *buf, unsigned long npages, size_t psz,
			       uint32_t seed)
{
	unsigned long i, bad = 0;

	for (i = 0; i < npages; i++)
		bad += !page_ok((const unsigned char *)buf + i * psz, psz, seed, i);
	return bad;
}

static bool page_is_zero(const unsigned char *pg, size_t psz)
{
	uint64_t w;
	size_t off;

	for (off = 0; off < psz; off += sizeof(w)) {
		memcpy(&w, pg + off, sizeof(w));
		if (w)
			return false;
	}
	return true;
}

/*
 * A fresh private anonymous region. THP is disabled on it so that every page is a PTE
 * mapping: hmm_range_fault() then reports 4K entries, migrate_vma_setup() never has to
 * split a huge page (which would add invalidations), and SNAPSHOT bytes are exact.
 */
static void *map_region(const struct ctx *c, unsigned long npages)
{
	void *p = mmap(NULL, npages * c->psz, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	/* EINVAL without CONFIG_TRANSPARENT_HUGEPAGE: then there is nothing to disable */
	(void)madvise(p, npages * c->psz, MADV_NOHUGEPAGE);
	return p;
}

/* Every munmap of this mm is one MMU_NOTIFY_UNMAP invalidation of the dmirror notifier. */
static void note_region(struct ctx *c, unsigned long start, unsigned long end)
{
	for (unsigned int i = 0; i < c->nregions; i++)
		if (c->regions[i].start == start && c->regions[i].end == end)
			return;
	if (c->nregions == MAX_REGIONS) {
		c->regions_truncated = true;
		return;
	}
	c->regions[c->nregions].start = start;
	c->regions[c->nregions].end = end;
	c->nregions++;
}

static void unmap_region(struct ctx *c, void *p, size_t len)
{
	if (!p)
		return;
	note_region(c, (unsigned long)p, (unsigned long)p + len);
	if (munmap(p, len))
		fprintf(stderr, PROG ": munmap: %s\n", strerror(errno));
	else
		c->munmaps++;
}

/* Returns 0 or the errno of the ioctl. The driver copies cmd back only on success. */
static int dmirror_n(const struct ctx *c, unsigned long req, void *addr, void *ptr,
		     unsigned long npages, struct hmmw_dmirror_cmd *cmd)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->addr = (uintptr_t)addr;
	cmd->ptr = (uintptr_t)ptr;
	cmd->npages = npages;
	return ioctl(c->fd, req, cmd) ? errno : 0;
}

static int dmirror(const struct ctx *c, unsigned long req, void *addr, void *ptr,
		   struct hmmw_dmirror_cmd *cmd)
{
	return dmirror_n(c, req, addr, ptr, c->npages, cmd);
}

/* MIGRATE_TO_DEV calls one operation makes at most (migrate_to_dev_ioctl()) */
#define MIGRATE_TRIES		8

static void unpin(struct ctx *c);

static void sleep_ns(unsigned long ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000UL, .tv_nsec = ns % 1000000000UL };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * HMM_DMIRROR_MIGRATE_TO_DEV of npages at addr. The kernel migrates on a best-effort basis:
 * migrate_vma_setup() leaves behind a page it cannot lock or isolate at that moment (another
 * migration or reclaim holding it, a reference a concurrent task took), and test_hmm's
 * read-back after the last step then misses that page on the device and fails the ioctl with
 * ENOENT. Every step was set up by then, and what moved stays on the device, so the call is
 * made again: its steps select system pages only and move the rest. Each call that left pages
 * behind is counted in st->partial, since the tracers see its steps (setup calls, MIGRATE
 * invalidations) as well. --pin makes it happen on purpose. Another process can cause it too:
 * on 6.1+ test_hmm evicts all of a device's memory whenever any process closes the device
 * (dmirror_fops_release()), so a concurrent generator's exit moves this one's pages back in
 * the middle of the call (seen on 6.12, where every later call failed too: the lab now gives
 * concurrent generators separate devices). The calls back off, 1 ms before the second and
 * twice as long before each next (127 ms in all), for holders that let go after a while.
 * Returns 0 or the last call's errno.
 */
static int migrate_to_dev_ioctl(struct ctx *c, struct op_stats *st, void *addr, void *ptr,
				unsigned long npages, struct hmmw_dmirror_cmd *cmd)
{
	int err, tries = 0;

	while ((err = dmirror_n(c, HMMW_DMIRROR_MIGRATE_TO_DEV, addr, ptr, npages, cmd)) == ENOENT) {
		st->partial++;
		if (++tries == MIGRATE_TRIES)
			break;
		unpin(c); /* --pin: what held the pages back lets go before the next call */
		sleep_ns(1000000UL << (tries - 1));
	}
	return err;
}

/*
 * --pin K: the first K pages at p go into a pipe by vmsplice(), which holds a reference to
 * each (iter_to_pipe(): the pages themselves, not copies) until the pipe is read. The
 * kernel's migration leaves a page with such a reference behind (migrate_vma_check_page():
 * more references than mappings), so MIGRATE_TO_DEV moves the rest and fails with ENOENT;
 * unpin() reads the pipe empty, and the next call moves the K pages. Returns 0 or an errno.
 */
static int pin(struct ctx *c, void *p)
{
	struct iovec iov = { .iov_base = p, .iov_len = c->pin * c->psz };
	ssize_t n;
	int err;

	if (pipe(c->pin_fd))
		return errno;
	n = vmsplice(c->pin_fd[1], &iov, 1, 0);
	if (n == (ssize_t)iov.iov_len) {
		c->pinned += c->pin;
		return 0;
	}
	err = n < 0 ? errno : EIO;
	unpin(c);
	return err;
}

static void unpin(struct ctx *c)
{
	if (c->pin_fd[0] < 0)
		return;
	close(c->pin_fd[1]);
	while (read(c->pin_fd[0], c->bounce, c->npages * c->psz) > 0) /* drops the references */
		;
	close(c->pin_fd[0]);
	c->pin_fd[0] = c->pin_fd[1] = -1;
}

static size_t region_len(const struct ctx *c)
{
	return c->npages * c->psz;
}

/* ---- read / write / snapshot ----------------------------------------------------- */

/*
 * dmirror_read(): the device page table is empty for a fresh range, so dmirror_do_read()
 * fails with -ENOENT, dmirror_fault() populates the whole range (one hmm_range_fault()
 * per fault step) and cmd.faults becomes 1; the bounce buffer then holds the pages.
 * HMM_DMIRROR_READ_UNLOCKED (7.3, dmirror_read_unlocked()) is the same with one
 * hmm_range_fault_unlocked_timeout() per step instead, each a single round on these
 * present pages.
 */
static void read_via(struct ctx *c, unsigned long iter, enum op op, unsigned long req,
		     const char *what)
{
	struct op_stats *st = &c->st[op];
	uint32_t seed = op_seed(op, iter);
	struct hmmw_dmirror_cmd cmd;
	void *p;
	int err;

	st->ops++;
	st->pages += c->npages;
	p = map_region(c, c->npages);
	if (!p) {
		op_error(st, iter, "mmap", errno, false);
		return;
	}
	fill_pages(p, c->npages, c->psz, seed);
	memset(c->bounce, 0, region_len(c));

	err = dmirror(c, req, p, c->bounce, &cmd);
	if (err) {
		op_error(st, iter, what, err, false);
		goto cleanup;
	}
	st->ok_ops++;
	st->faults += cmd.faults;
	st->cpages += cmd.cpages;
	op_mismatch(st, iter, cmd.cpages != c->npages, "cpages != pages");
	op_mismatch(st, iter, bad_pages(c->bounce, c->npages, c->psz, seed),
		    "device read returned wrong data, pages");
cleanup:
	unmap_region(c, p, region_len(c));
}

static void read_one(struct ctx *c, unsigned long iter)
{
	read_via(c, iter, OP_READ, HMMW_DMIRROR_READ, "HMM_DMIRROR_READ");
}

static void read_unlocked_one(struct ctx *c, unsigned long iter)
{
	read_via(c, iter, OP_READ_UNLOCKED, c->kp->req_read_unlocked,
		 "HMM_DMIRROR_READ_UNLOCKED");
}

/*
 * --cow: the -EBUSY returns and hmm_range_fault() calls of one write of the region at p, pages
 * the CPU only read. Each maps the shared zero page read-only, so the driver's write fault breaks
 * copy-on-write (wp_page_copy(), an MMU_NOTIFY_CLEAR of the page) inside hmm_range_fault(). Its
 * walk faults what one page table maps of the step, then finds the range invalidated and returns
 * -EBUSY; dmirror_range_fault() calls again. So a step returns -EBUSY once per page table (2 MiB
 * with 4 KiB pages) it covers, and then succeeds: known counts from one thread, however slow or
 * loaded the machine.
 */
static void cow_counts(const struct ctx *c, const void *p, unsigned long *ebusy,
		       unsigned long *calls)
{
	unsigned long step = c->kp->fault_chunk * c->psz, span = c->psz * (c->psz / 8);
	unsigned long a = (unsigned long)p, end = a + region_len(c), n = 0, steps = 0;

	for (; a < end; a += step, steps++)
		n += ((a + step < end ? a + step : end) - 1) / span - a / span + 1;
	*ebusy += n;
	*calls += n + steps;
}

/*
 * dmirror_write(): same fault path with write=true (HMM_PFN_REQ_WRITE). --writes: the pages are
 * already writable because the CPU populated them. --cow: the CPU only read them, and the write
 * breaks copy-on-write (cow_counts()). Afterwards the region must hold what the device wrote.
 */
static void write_via(struct ctx *c, unsigned long iter, enum op op)
{
	struct op_stats *st = &c->st[op];
	uint32_t seed = op_seed(op, iter);
	uint32_t dev_seed = seed | 0x80000000u;
	struct hmmw_dmirror_cmd cmd;
	volatile unsigned char sink;
	unsigned char *p;
	int err;

	st->ops++;
	st->pages += c->npages;
	p = map_region(c, c->npages);
	if (!p) {
		op_error(st, iter, "mmap", errno, false);
		return;
	}
	if (op == OP_COW)
		for (unsigned long i = 0; i < c->npages; i++)
			sink = p[i * c->psz];
	else
		fill_pages(p, c->npages, c->psz, seed);
	(void)sink;
	fill_pages(c->bounce, c->npages, c->psz, dev_seed);

	err = dmirror(c, HMMW_DMIRROR_WRITE, p, c->bounce, &cmd);
	if (err) {
		op_error(st, iter, "HMM_DMIRROR_WRITE", err, false);
		goto cleanup;
	}
	st->ok_ops++;
	st->faults += cmd.faults;
	st->cpages += cmd.cpages;
	if (op == OP_COW)
		cow_counts(c, p, &st->ebusy, &st->calls);
	op_mismatch(st, iter, cmd.cpages != c->npages, "cpages != pages");
	op_mismatch(st, iter, bad_pages(p, c->npages, c->psz, dev_seed),
		    "region does not hold the device-written data, pages");
cleanup:
	unmap_region(c, p, region_len(c));
}

static void write_one(struct ctx *c, unsigned long iter)
{
	write_via(c, iter, OP_WRITE);
}

static void cow_one(struct ctx *c, unsigned long iter)
{
	write_via(c, iter, OP_COW);
}

/*
 * dmirror_snapshot(): hmm_range_fault() without HMM_PFN_REQ_FAULT per 64 pages, one
 * byte per page. CPU-written, non-THP anonymous pages are reported by dmirror_mkentry()
 * as HMM_DMIRROR_PROT_WRITE (PMD bit tolerated in case THP could not be disabled).
 */
static void snapshot_one(struct ctx *c, unsigned long iter)
{
	struct op_stats *st = &c->st[OP_SNAPSHOT];
	struct hmmw_dmirror_cmd cmd;
	unsigned long i, bad = 0;
	void *p;
	int err;

	st->ops++;
	st->pages += c->npages;
	p = map_region(c, c->npages);
	if (!p) {
		op_error(st, iter, "mmap", errno, false);
		return;
	}
	fill_pages(p, c->npages, c->psz, op_seed(OP_SNAPSHOT, iter));
	memset(c->bounce, 0xee, c->npages);

	err = dmirror(c, c->kp->req_snapshot, p, c->bounce, &cmd);
	if (err) {
		op_error(st, iter, "HMM_DMIRROR_SNAPSHOT", err, false);
		goto cleanup;
	}
	st->ok_ops++;
	st->cpages += cmd.cpages;
	op_mismatch(st, iter, cmd.cpages != c->npages, "cpages != pages");
	for (i = 0; i < c->npages; i++)
		bad += (c->bounce[i] & ~HMMW_DMIRROR_PROT_PMD) != HMMW_DMIRROR_PROT_WRITE;
	op_mismatch(st, iter, bad, "snapshot byte is not PROT_WRITE, pages");
cleanup:
	unmap_region(c, p, region_len(c));
}

/* ---- migration ------------------------------------------------------------------- */

enum { RT_TO_DEV, RT_TO_SYS };

static unsigned long now_ns(void);

/*
 * Round trips, as the tracers count them (bpf/migrate.bpf.c, thrash_leg()): each migration that
 * moved pages (a leg) is keyed by its start's 2 MiB block; a leg the other way than the block's
 * open leg closes a round trip if the two legs ended within the tracers' default window (a
 * second; the leg's end is taken as now), and the next leg opens a new one. Returns 1 for a
 * round trip.
 */
static unsigned long rt_leg(struct ctx *c, unsigned long addr, int dir)
{
	unsigned long block = addr >> RT_BLOCK_SHIFT, now = now_ns();
	unsigned int i;

	for (i = 0; i < c->nrt && c->rt[i].block != block; i++)
		;
	if (i == c->nrt) {
		if (c->nrt == MAX_RT_BLOCKS) {
			c->rt_truncated = true;
			return 0;
		}
		c->rt[c->nrt].block = block;
		c->rt[c->nrt].dir = -1;
		c->rt[c->nrt++].trips = 0;
	}
	if (c->rt[i].dir < 0 || c->rt[i].dir == dir || now - c->rt[i].end > RT_WINDOW_NS) {
		c->rt[i].dir = dir;
		c->rt[i].end = now;
		return 0;
	}
	c->rt[i].dir = -1;
	c->rt[i].trips++;
	return 1;
}

/* The legs of one MIGRATE_TO_DEV or MIGRATE_TO_SYS of npages at p: one per migration step. */
static unsigned long rt_legs(struct ctx *c, void *p, unsigned long npages, int dir)
{
	unsigned long n = 0, k;

	for (k = 0; k < chunks(npages, c->kp->migrate_chunk); k++)
		n += rt_leg(c, (unsigned long)p + k * c->kp->migrate_chunk * c->psz, dir);
	return n;
}

/*
 * dmirror_migrate_to_device(): migrate_vma_setup/pages/finalize per migration step, then
 * dmirror_do_read() of the whole range, so success means all M pages are on the device
 * and the bounce buffer holds their data. Returns true on success.
 */
static bool migrate_to_dev(struct ctx *c, struct op_stats *st, unsigned long iter, void *p,
			   uint32_t seed)
{
	struct hmmw_dmirror_cmd cmd;
	int err;

	memset(c->bounce, 0, region_len(c));
	err = migrate_to_dev_ioctl(c, st, p, c->bounce, c->npages, &cmd);
	if (err) {
		op_error(st, iter, "HMM_DMIRROR_MIGRATE_TO_DEV", err, false);
		return false;
	}
	st->ok_ops++;
	st->cpages += cmd.cpages;
	op_mismatch(st, iter, cmd.cpages != c->npages, "to-device cpages != pages");
	op_mismatch(st, iter, bad_pages(c->bounce, c->npages, c->psz, seed),
		    "device copy has wrong data, pages");
	return true;
}

/*
 * The CPU touches every page after the migration: each device-private PTE faults into
 * dmirror_devmem_fault() (migrate_to_ram), one single-page migrate_vma_setup() with
 * fault_page set per page. bad_pages() loads each page's stamp first, so that load is
 * the fault, and then verifies the page came back intact.
 */
static void migrate_one(struct ctx *c, unsigned long iter)
{
	struct op_stats *st = &c->st[OP_MIGRATE];
	uint32_t seed = op_seed(OP_MIGRATE, iter);
	bool on_dev;
	void *p;
	int err;

	st->ops++;
	st->pages += c->npages;
	p = map_region(c, c->npages);
	if (!p) {
		op_error(st, iter, "mmap", errno, false);
		return;
	}
	fill_pages(p, c->npages, c->psz, seed);
	if (c->pin && (err = pin(c, p)))
		op_error(st, iter, "--pin: vmsplice", err, false);
	on_dev = migrate_to_dev(c, st, iter, p, seed);
	unpin(c);
	op_mismatch(st, iter, bad_pages(p, c->npages, c->psz, seed),
		    "data wrong after CPU fault back to system memory, pages");
	if (on_dev) {
		st->cpu_faults += c->npages;
		/* to the device by steps, back a page at a time, in page order (bad_pages()) */
		st->round_trips += rt_legs(c, p, c->npages, RT_TO_DEV);
		for (unsigned long i = 0; i < c->npages; i++)
			st->round_trips += rt_leg(c, (unsigned long)p + i * c->psz, RT_TO_SYS);
	}
	unmap_region(c, p, region_len(c));
}

/*
 * dmirror_migrate_to_system(): migrate_vma_setup() with the device-private selector per
 * migration step; cmd.cpages counts pages moved back. The later CPU reads hit system memory.
 */
static void migrate_sys_one(struct ctx *c, unsigned long iter)
{
	struct op_stats *st = &c->st[OP_MIGRATE_SYS];
	uint32_t seed = op_seed(OP_MIGRATE_SYS, iter);
	struct hmmw_dmirror_cmd cmd;
	bool on_dev;
	void *p;
	int err;

	st->ops++;
	st->pages += c->npages;
	p = map_region(c, c->npages);
	if (!p) {
		op_error(st, iter, "mmap", errno, false);
		return;
	}
	fill_pages(p, c->npages, c->psz, seed);
	on_dev = migrate_to_dev(c, st, iter, p, seed);

	/* also after a failed MIGRATE_TO_DEV: it brings back whatever did move */
	err = dmirror(c, c->kp->req_migrate_to_sys, p, c->bounce, &cmd);
	if (err) {
		op_error(st, iter, "HMM_DMIRROR_MIGRATE_TO_SYS", err, false);
	} else {
		st->sys_ok_ops++;
		st->sys_cpages += cmd.cpages;
		if (on_dev)
			op_mismatch(st, iter, cmd.cpages != c->npages,
				    "to-system cpages != pages");
	}
	if (on_dev) {
		st->round_trips += rt_legs(c, p, c->npages, RT_TO_DEV);
		if (!err)
			st->round_trips += rt_legs(c, p, c->npages, RT_TO_SYS);
	}
	op_mismatch(st, iter, bad_pages(p, c->npages, c->psz, seed),
		    "data wrong after migration to system memory, pages");
	unmap_region(c, p, region_len(c));
}

/*
 * Helper threads run on c->stack, which main() mapped and wrote before opening the device:
 * a glibc-allocated stack would be mmapped now and MADV_DONTNEED-ed when the thread exits
 * (an MMU_NOTIFY_CLEAR nobody asked for), and could be backed by THP.
 */
static int start_thread(const struct ctx *c, pthread_t *tid, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	int err;

	err = pthread_attr_init(&attr);
	if (err)
		return err;
	err = pthread_attr_setstack(&attr, c->stack, THREAD_STACK_SIZE);
	if (!err)
		err = pthread_create(tid, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return err;
}

/* ---- invalidation storm ---------------------------------------------------------- */

struct storm {
	unsigned char	*range;		/* the region the main thread reads through the device */
	unsigned long	npages;
	size_t		psz;
	atomic_bool	running;	/* first rotation done */
	atomic_bool	stop;
	bool		sustained;	/* --stall: MADV_DONTNEED of the range and nothing else */
	bool		fifo;		/* ... SCHED_FIFO on CPU 1 */
	/* written by the storm thread, read by main after pthread_join() */
	unsigned long	madvise, mprotect, munmap;
	unsigned long	errors;
	int		first_err;
	const char	*first_what;
};

static void storm_fail(struct storm *s, const char *what)
{
	if (!s->errors++) {
		s->first_err = errno;
		s->first_what = what;
	}
}

/*
 * --stall: the storm thread runs SCHED_FIFO on CPU 1 and does nothing but MADV_DONTNEED of the
 * range, while the reader runs on CPU 0: every attempt of dmirror_range_fault()'s loop that an
 * invalidation overlaps fails, and when none completes for HMM_RANGE_DEFAULT_TIMEOUT the read
 * returns -EBUSY. An attempt still completes whenever the host deschedules the storm's vCPU for
 * its length, so not every read gives up: the op reads until N did (stall.ebusy, exact).
 * Tried instead, and no better: a thread holding the mmap lock for writing in mprotect() of a
 * large region (so that each attempt waits for the lock and finds the range invalidated). On
 * 6.12 under TCG it changes 4 GB of zero-page PTEs in 0.05 s, and a read completes in the gap
 * between two calls.
 */
#define STALL_READS_MAX 10

/* Pin the calling thread to @cpu, SCHED_FIFO when @fifo; errno-style error. */
static int stall_pin(int cpu, bool fifo)
{
	struct sched_param sp = { .sched_priority = 1 };
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return errno;
	if (fifo && sched_setscheduler(0, SCHED_FIFO, &sp))
		return errno;
	return 0;
}

/*
 * One rotation: MADV_DONTNEED of one page (MMU_NOTIFY_CLEAR), mprotect RO then RW of the
 * range (MMU_NOTIFY_PROTECTION_VMA, the PTEs are present) and munmap+mmap of a scratch
 * page outside the range (MMU_NOTIFY_UNMAP). All hit the whole-mm notifier, bump its
 * sequence and make dmirror_range_fault() retry. The range itself stays mapped, so the
 * device reads never see -EFAULT from a hole. No malloc or stdio here: glibc would create
 * a thread arena and munmap parts of it, adding invalidations nobody counted.
 */
static void *storm_thread(void *arg)
{
	struct storm *s = arg;
	size_t len = s->npages * s->psz;
	unsigned char *scratch = NULL;

	/* without CAP_SYS_NICE (under hmmtrace record, which drops it) or a second CPU, the
	 * storm runs as it can: stall.fifo=0 */
	if (s->sustained)
		s->fifo = !stall_pin(1, true);
	do {
		/* The whole range: every device read must then fault all of it back in, and
		 * hmm_range_fault() returns -EBUSY when an invalidation lands while it faults. */
		if (madvise(s->range, len, MADV_DONTNEED))
			storm_fail(s, "madvise(MADV_DONTNEED)");
		else
			s->madvise++;
		if (s->sustained) {
			atomic_store(&s->running, true);
			continue;
		}

		if (mprotect(s->range, len, PROT_READ))
			storm_fail(s, "mprotect(PROT_READ)");
		else
			s->mprotect++;
		if (mprotect(s->range, len, PROT_READ | PROT_WRITE))
			storm_fail(s, "mprotect(PROT_READ|PROT_WRITE)");
		else
			s->mprotect++;

		if (scratch) {
			if (munmap(scratch, s->psz))
				storm_fail(s, "munmap(scratch)");
			else
				s->munmap++;
		}
		scratch = mmap(NULL, s->psz, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (scratch == MAP_FAILED) {
			storm_fail(s, "mmap(scratch)");
			scratch = NULL;
		} else {
			/* left with default flags: no other mapping of ours has them, so
			 * it never merges with one (see quiet_mm_setup()) */
			scratch[0] = 1;
		}
		atomic_store(&s->running, true);
	} while (!atomic_load(&s->stop));

	if (scratch) {
		if (munmap(scratch, s->psz))
			storm_fail(s, "munmap(scratch)");
		else
			s->munmap++;
	}
	return NULL;
}

/*
 * -EBUSY: dmirror_range_fault() kept being invalidated for HMM_RANGE_DEFAULT_TIMEOUT.
 * -EFAULT: hmm_range_fault() raced with a change of the range. Both are outcomes the
 * storm provokes on purpose, so they are counted but tolerated.
 */
static void storm_read(struct ctx *c, struct op_stats *st, unsigned long iter, void *p)
{
	struct hmmw_dmirror_cmd cmd;
	int err;

	st->ops++;
	st->pages += c->npages;
	err = dmirror(c, HMMW_DMIRROR_READ, p, c->bounce, &cmd);
	if (err) {
		st->ebusy += err == EBUSY;
		op_error(st, iter, "HMM_DMIRROR_READ", err, err == EBUSY || err == EFAULT);
		return;
	}
	st->ok_ops++;
	st->faults += cmd.faults;
	st->cpages += cmd.cpages;
}

static void run_storm(struct ctx *c, struct op_stats *st, unsigned long n, bool sustained)
{
	struct storm s = { .npages = c->npages, .psz = c->psz, .sustained = sustained };
	cpu_set_t cpus;
	pthread_t tid;
	unsigned long i;
	int err;

	s.range = map_region(c, c->npages);
	if (!s.range) {
		op_error(st, 0, "mmap", errno, false);
		return;
	}
	fill_pages(s.range, c->npages, c->psz, op_seed(OP_STORM, 0));
	if (sustained) {
		if (sched_getaffinity(0, sizeof(cpus), &cpus))
			CPU_ZERO(&cpus);
		err = stall_pin(0, false);
		if (err) {
			op_error(st, 0, "sched_setaffinity(CPU 0)", err, false);
			goto cleanup;
		}
	}
	atomic_init(&s.running, false);
	atomic_init(&s.stop, false);
	err = start_thread(c, &tid, storm_thread, &s);
	if (err) {
		op_error(st, 0, "pthread_create", err, false);
		goto cleanup;
	}
	/* else short runs can finish before the storm begins */
	while (!atomic_load(&s.running))
		sched_yield();
	/* Data is not verified: MADV_DONTNEED legitimately turns pages into zero pages. */
	/* --stall N: until N reads gave up, or STALL_READS_MAX * N reads, each of which the
	 * driver's timeout bounds (a second) */
	for (i = 0; sustained ? st->ebusy < n && i < STALL_READS_MAX * n : i < n; i++)
		storm_read(c, st, i, s.range);
	atomic_store(&s.stop, true);
	pthread_join(tid, NULL);

	st->madvise = s.madvise;
	st->mprotect = s.mprotect;
	st->munmap = s.munmap;
	st->fifo = s.fifo;
	if (s.errors) {
		op_error(st, 0, s.first_what, s.first_err, false);
		st->errors += s.errors - 1;
	}
cleanup:
	if (sustained && CPU_COUNT(&cpus))
		(void)sched_setaffinity(0, sizeof(cpus), &cpus);
	unmap_region(c, s.range, region_len(c));
}

/* ---- exclusive access ------------------------------------------------------------ */

/*
 * dmirror_exclusive(): make_device_exclusive_range() per 64 pages, which raises one
 * MMU_NOTIFY_EXCLUSIVE per page; -EBUSY when not every page could be made exclusive. On
 * success the bounce buffer gets the pages through dmirror_do_read().
 */
static void exclusive_one(struct ctx *c, unsigned long iter)
{
	struct op_stats *st = &c->st[OP_EXCLUSIVE];
	uint32_t seed = op_seed(OP_EXCLUSIVE, iter);
	struct hmmw_dmirror_cmd cmd;
	void *p;
	int err;

	st->ops++;
	st->pages += c->npages;
	p = map_region(c, c->npages);
	if (!p) {
		op_error(st, iter, "mmap", errno, false);
		return;
	}
	fill_pages(p, c->npages, c->psz, seed);
	memset(c->bounce, 0, region_len(c));

	err = dmirror(c, c->kp->req_exclusive, p, c->bounce, &cmd);
	if (err) {
		op_error(st, iter, "HMM_DMIRROR_EXCLUSIVE", err, err == EBUSY);
		goto cleanup;
	}
	st->ok_ops++;
	st->cpages += cmd.cpages;
	op_mismatch(st, iter, cmd.cpages != c->npages, "cpages != pages");
	op_mismatch(st, iter, bad_pages(c->bounce, c->npages, c->psz, seed),
		    "exclusive read-back has wrong data, pages");
cleanup:
	unmap_region(c, p, region_len(c));
}

/* ---- soft-dirty ------------------------------------------------------------------ */

/*
 * Writing "4" to /proc/self/clear_refs (CLEAR_REFS_SOFT_DIRTY) raises one
 * MMU_NOTIFY_SOFT_DIRTY invalidation over the whole mm. A device READ first fills the
 * mirror's page table with the M pages so the invalidation has entries to drop
 * (dmirror_do_update()).
 */
static void soft_dirty_one(struct ctx *c, int refs_fd, unsigned long iter)
{
	struct op_stats *st = &c->st[OP_SOFT_DIRTY];
	uint32_t seed = op_seed(OP_SOFT_DIRTY, iter);
	struct hmmw_dmirror_cmd cmd;
	void *p;
	int err;

	st->ops++;
	st->pages += c->npages;
	p = map_region(c, c->npages);
	if (!p) {
		op_error(st, iter, "mmap", errno, false);
		return;
	}
	fill_pages(p, c->npages, c->psz, seed);
	memset(c->bounce, 0, region_len(c));

	err = dmirror(c, HMMW_DMIRROR_READ, p, c->bounce, &cmd);
	if (err) {
		op_error(st, iter, "HMM_DMIRROR_READ (mirror the pages)", err, false);
	} else {
		st->mirror_reads++;
		st->faults += cmd.faults;
		op_mismatch(st, iter, bad_pages(c->bounce, c->npages, c->psz, seed),
			    "device read returned wrong data, pages");
	}

	if (write(refs_fd, "4", 1) < 0)
		op_error(st, iter, "write /proc/self/clear_refs", errno, false);
	else
		st->ok_ops++;
	unmap_region(c, p, region_len(c));
}

static void run_soft_dirty(struct ctx *c, struct op_stats *st, unsigned long n)
{
	unsigned long i;
	int fd;

	fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		op_error(st, 0, "open /proc/self/clear_refs", errno, false);
		return;
	}
	for (i = 0; i < n; i++)
		soft_dirty_one(c, fd, i);
	close(fd);
}

/* ---- userfaultfd ----------------------------------------------------------------- */

struct uffd_handler {
	int		uffd;
	int		wake_fd;	/* eventfd: tells the handler to exit */
	bool		minor;		/* UFFDIO_CONTINUE, else UFFDIO_ZEROPAGE */
	size_t		psz;
	unsigned long	delay_ms;	/* --uffd-delay: wait this long before each resolve */
	/* the registered batch, set by main before it touches the pages */
	_Atomic uintptr_t	base;
	_Atomic size_t		len;
	/* read by main after pthread_join() */
	unsigned long	faults;
	unsigned long	errors;
	int		first_err;
	const char	*first_what;
};

static void uffd_fail(struct uffd_handler *h, const char *what, int err)
{
	if (!h->errors++) {
		h->first_err = err;
		h->first_what = what;
	}
}

static int uffd_resolve(struct uffd_handler *h, uintptr_t addr)
{
	struct uffdio_range range = { .start = addr, .len = h->psz };
	struct uffdio_continue cont = { .range = range };
	struct uffdio_zeropage zero = { .range = range };
	int tries;

	/* EAGAIN: the mm changed under the ioctl (mmap_changing), try again */
	for (tries = 0; tries < 100; tries++) {
		int ret = h->minor ? ioctl(h->uffd, UFFDIO_CONTINUE, &cont)
				   : ioctl(h->uffd, UFFDIO_ZEROPAGE, &zero);

		if (!ret)
			return 0;
		if (errno != EAGAIN)
			return errno;
	}
	return EAGAIN;
}

/*
 * If a fault cannot be resolved, unregister the whole batch: userfaultfd_unregister()
 * wakes the blocked main thread, whose fault then completes without userfaultfd.
 */
static void uffd_give_up(struct uffd_handler *h)
{
	struct uffdio_range range = {
		.start = atomic_load(&h->base),
		.len = atomic_load(&h->len),
	};

	if (ioctl(h->uffd, UFFDIO_UNREGISTER, &range))
		uffd_fail(h, "UFFDIO_UNREGISTER", errno);
}

static void uffd_handle_msg(struct uffd_handler *h, const struct uffd_msg *msg)
{
	uintptr_t addr;
	int err;

	if (msg->event != UFFD_EVENT_PAGEFAULT) {
		uffd_fail(h, "unexpected userfaultfd event", EPROTO);
		return;
	}
	addr = (uintptr_t)msg->arg.pagefault.address & ~(uintptr_t)(h->psz - 1);
	if (h->delay_ms)
		sleep_ns(h->delay_ms * 1000000UL);
	err = uffd_resolve(h, addr);
	if (!err) {
		h->faults++;
		return;
	}
	if (err == EEXIST)	/* already mapped: just wake the faulting thread */
		return;
	uffd_fail(h, h->minor ? "UFFDIO_CONTINUE" : "UFFDIO_ZEROPAGE", err);
	uffd_give_up(h);
}

static void *uffd_thread(void *arg)
{
	struct uffd_handler *h = arg;
	struct pollfd pfd[2] = {
		{ .fd = h->uffd, .events = POLLIN },
		{ .fd = h->wake_fd, .events = POLLIN },
	};

	for (;;) {
		struct uffd_msg msg;
		ssize_t n;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			uffd_fail(h, "poll", errno);
			return NULL;
		}
		if (pfd[1].revents)
			return NULL;
		if (!(pfd[0].revents & POLLIN))
			continue;
		n = read(h->uffd, &msg, sizeof(msg));
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n != sizeof(msg)) {
			uffd_fail(h, "read(userfaultfd)", n < 0 ? errno : EIO);
			continue;
		}
		uffd_handle_msg(h, &msg);
	}
}

/*
 * UFFD_USER_MODE_ONLY lets an unprivileged caller in when vm.unprivileged_userfaultfd=0,
 * where all faults come from user mode. Older kernels reject the flag with EINVAL. A fault
 * the kernel makes on our behalf (hmm_range_fault() is FAULT_FLAG_REMOTE, not _USER) would
 * get SIGBUS from such a userfaultfd: @kernel_faults asks for a plain one (root, or
 * vm.unprivileged_userfaultfd=1).
 */
static int uffd_open(struct op_stats *st, __u64 features, bool kernel_faults)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	int fd = -1;

	if (!kernel_faults)
		fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (kernel_faults || (fd < 0 && errno == EINVAL))
		fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOSYS || errno == EPERM)
			fprintf(stderr, PROG ": %s: userfaultfd unavailable: %s (%s)\n", st->name,
				strerror(errno), errno == ENOSYS ?
				"kernel built without CONFIG_USERFAULTFD" :
				"needs CAP_SYS_PTRACE or vm.unprivileged_userfaultfd=1");
		op_error(st, 0, "userfaultfd", errno, false);
		return -1;
	}
	if (ioctl(fd, UFFDIO_API, &api)) {
		/* userfaultfd_api() refuses features it does not know: not ours to fail on */
		if (errno == EINVAL && features == UFFD_FEATURE_MINOR_SHMEM)
			st->skipped = "no UFFD_FEATURE_MINOR_SHMEM in this kernel (5.14+)";
		else
			op_error(st, 0, "UFFDIO_API", errno, false);
		close(fd);
		return -1;
	}
	return fd;
}

static int uffd_register(struct uffd_handler *h, void *p, size_t len, __u64 mode)
{
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)p, .len = len },
		.mode = mode,
	};

	atomic_store(&h->base, (uintptr_t)p);
	atomic_store(&h->len, len);
	return ioctl(h->uffd, UFFDIO_REGISTER, &reg) ? errno : 0;
}

static void uffd_unregister(struct uffd_handler *h, void *p, size_t len)
{
	struct uffdio_range range = { .start = (uintptr_t)p, .len = len };

	/* ranges the handler already unregistered are skipped by the kernel */
	if (ioctl(h->uffd, UFFDIO_UNREGISTER, &range))
		uffd_fail(h, "UFFDIO_UNREGISTER", errno);
}

/*
 * MINOR batch: a memfd (shmem) populated through mapping A; mapping B of the same file
 * registered with UFFDIO_REGISTER_MODE_MINOR. Reading B's pages finds them in the page
 * cache with no PTE, so shmem_fault() hands each to userfaultfd (fault-around is off for
 * MINOR VMAs) and the handler maps it with UFFDIO_CONTINUE.
 */
static void uffd_minor_batch(struct ctx *c, struct uffd_handler *h, unsigned long iter,
			     unsigned long npages)
{
	struct op_stats *st = &c->st[OP_UFFD_MINOR];
	uint32_t seed = op_seed(OP_UFFD_MINOR, iter);
	size_t len = npages * c->psz;
	void *a = NULL, *b = NULL;
	unsigned long i, bad = 0;
	int memfd, err;

	memfd = memfd_create("hmm_workload", MFD_CLOEXEC);
	if (memfd < 0) {
		op_error(st, iter, "memfd_create", errno, false);
		return;
	}
	if (ftruncate(memfd, len)) {
		op_error(st, iter, "ftruncate(memfd)", errno, false);
		goto cleanup;
	}
	a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	b = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (a == MAP_FAILED || b == MAP_FAILED) {
		op_error(st, iter, "mmap(memfd)", errno, false);
		goto cleanup;
	}
	fill_pages(a, npages, c->psz, seed);
	err = uffd_register(h, b, len, UFFDIO_REGISTER_MODE_MINOR);
	if (err) {
		op_error(st, iter, "UFFDIO_REGISTER(MINOR)", err, false);
		goto cleanup;
	}
	for (i = 0; i < npages; i++)
		bad += !page_ok((unsigned char *)b + i * c->psz, c->psz, seed, i);
	st->pages += npages;
	op_mismatch(st, iter, bad, "data wrong through the MINOR mapping, pages");
	uffd_unregister(h, b, len);
cleanup:
	if (b && b != MAP_FAILED)
		unmap_region(c, b, len);
	if (a && a != MAP_FAILED)
		unmap_region(c, a, len);
	close(memfd);
}

/* MISSING batch: unpopulated anonymous pages, each read faults, UFFDIO_ZEROPAGE maps it. */
static void uffd_missing_batch(struct ctx *c, struct uffd_handler *h, unsigned long iter,
			       unsigned long npages)
{
	struct op_stats *st = &c->st[OP_UFFD_MISSING];
	size_t len = npages * c->psz;
	unsigned long i, bad = 0;
	void *p;
	int err;

	p = map_region(c, npages);
	if (!p) {
		op_error(st, iter, "mmap", errno, false);
		return;
	}
	err = uffd_register(h, p, len, UFFDIO_REGISTER_MODE_MISSING);
	if (err) {
		op_error(st, iter, "UFFDIO_REGISTER(MISSING)", err, false);
		goto cleanup;
	}
	for (i = 0; i < npages; i++)
		bad += !page_is_zero((unsigned char *)p + i * c->psz, c->psz);
	st->pages += npages;
	op_mismatch(st, iter, bad, "zero page is not zero, pages");
	uffd_unregister(h, p, len);
cleanup:
	unmap_region(c, p, len);
}

/* N faults in batches of M pages, one handler thread for the whole phase. */
static void run_uffd(struct ctx *c, struct op_stats *st, unsigned long n, bool minor)
{
	struct uffd_handler h = { .minor = minor, .psz = c->psz, .wake_fd = -1,
				  .delay_ms = c->uffd_delay_ms };
	unsigned long done, iter;
	pthread_t tid;
	int err;

	h.uffd = uffd_open(st, minor ? UFFD_FEATURE_MINOR_SHMEM : 0, false);
	if (h.uffd < 0)
		return;
	h.wake_fd = eventfd(0, EFD_CLOEXEC);
	if (h.wake_fd < 0) {
		op_error(st, 0, "eventfd", errno, false);
		goto cleanup;
	}
	atomic_init(&h.base, 0);
	atomic_init(&h.len, 0);
	err = start_thread(c, &tid, uffd_thread, &h);
	if (err) {
		op_error(st, 0, "pthread_create", err, false);
		goto cleanup;
	}
	for (done = 0, iter = 0; done < n; iter++) {
		unsigned long batch = n - done < c->npages ? n - done : c->npages;

		st->ops++;
		if (minor)
			uffd_minor_batch(c, &h, iter, batch);
		else
			uffd_missing_batch(c, &h, iter, batch);
		done += batch;
	}
	if (eventfd_write(h.wake_fd, 1))
		fprintf(stderr, PROG ": %s: eventfd_write: %s\n", st->name, strerror(errno));
	pthread_join(tid, NULL);

	st->uffd_faults = h.faults;
	if (h.errors) {
		op_error(st, 0, h.first_what, h.first_err, false);
		st->errors += h.errors - 1;
	}
cleanup:
	if (h.wake_fd >= 0)
		close(h.wake_fd);
	close(h.uffd);
}

/* ---- 7.x: hmm_range_fault_unlocked_timeout() through userfaultfd ----------------- */

/*
 * HMM_DMIRROR_READ_UNLOCKED of unpopulated pages registered with userfaultfd (MISSING): each
 * page's fault reaches handle_userfault(), which drops the mmap lock while the handler thread
 * resolves it (UFFDIO_ZEROPAGE, no invalidation); hmm_do_fault() then returns
 * HMM_FAULT_UNLOCKED and mm/hmm.c starts the next round (mm/hmm.c of 7.3). So a call over k
 * pages makes k + 1 rounds, k of them -EBUSY with the lock dropped: the path of 7.3's
 * hmm-tests userfaultfd_read. The device then reads zero pages.
 */
static void run_uffd_unlocked(struct ctx *c, struct op_stats *st, unsigned long n)
{
	struct uffd_handler h = { .minor = false, .psz = c->psz, .wake_fd = -1,
				  .delay_ms = c->uffd_delay_ms };
	/* the driver's unlocked calls per read: each faults its first page at least */
	unsigned long calls = chunks(c->npages, c->kp->fault_chunk), i, t0;
	struct hmmw_dmirror_cmd cmd;
	pthread_t tid;
	int err;

	h.uffd = uffd_open(st, 0, true);
	if (h.uffd < 0)
		return;
	h.wake_fd = eventfd(0, EFD_CLOEXEC);
	if (h.wake_fd < 0) {
		op_error(st, 0, "eventfd", errno, false);
		goto cleanup;
	}
	atomic_init(&h.base, 0);
	atomic_init(&h.len, 0);
	err = start_thread(c, &tid, uffd_thread, &h);
	if (err) {
		op_error(st, 0, "pthread_create", err, false);
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		void *p;

		st->ops++;
		st->pages += c->npages;
		p = map_region(c, c->npages);
		if (!p) {
			op_error(st, i, "mmap", errno, false);
			continue;
		}
		err = uffd_register(&h, p, region_len(c), UFFDIO_REGISTER_MODE_MISSING);
		if (err) {
			op_error(st, i, "UFFDIO_REGISTER(MISSING)", err, false);
			unmap_region(c, p, region_len(c));
			continue;
		}
		memset(c->bounce, 0xee, region_len(c));
		t0 = now_ns();
		err = dmirror(c, c->kp->req_read_unlocked, p, c->bounce, &cmd);
		if (err) {
			op_error(st, i, "HMM_DMIRROR_READ_UNLOCKED", err, false);
		} else {
			unsigned long k, bad = 0;

			st->ok_ops++;
			if (c->uffd_delay_ms &&
			    now_ns() - t0 >= calls * c->uffd_delay_ms * 1000000UL)
				st->slow_ops++;
			st->faults += cmd.faults;
			st->cpages += cmd.cpages;
			op_mismatch(st, i, cmd.cpages != c->npages, "cpages != pages");
			for (k = 0; k < c->npages; k++)
				bad += !page_is_zero(c->bounce + k * c->psz, c->psz);
			op_mismatch(st, i, bad, "device read of userfaultfd zero pages, pages");
		}
		uffd_unregister(&h, p, region_len(c));
		unmap_region(c, p, region_len(c));
	}
	if (eventfd_write(h.wake_fd, 1))
		fprintf(stderr, PROG ": %s: eventfd_write: %s\n", st->name, strerror(errno));
	pthread_join(tid, NULL);
	st->lock_drops = h.faults;
	if (h.errors) {
		op_error(st, 0, h.first_what, h.first_err, false);
		st->errors += h.errors - 1;
	}
cleanup:
	if (h.wake_fd >= 0)
		close(h.wake_fd);
	close(h.uffd);
}

/* ---- 7.x: a large folio to the device and back ------------------------------------ */

/* AnonHugePages of the whole process in kB (read without stdio: no malloc, no munmap). */
static long anon_huge_kb(void)
{
	static char buf[4096];
	const char *k = "AnonHugePages:";
	ssize_t n;
	char *at;
	int fd;

	fd = open("/proc/self/smaps_rollup", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	at = strstr(buf, k);
	return at ? strtol(at + strlen(k), NULL, 10) : -1;
}

/*
 * A 2 MiB-aligned MADV_HUGEPAGE region, written by the CPU (a THP where the kernel can get one:
 * counted in huge, from smaps_rollup), moved to the device and back with MIGRATE_TO_DEV and
 * MIGRATE_TO_SYS. 7.3's dmirror_migrate_to_*() ask for MIGRATE_VMA_SELECT_COMPOUND, so a THP
 * is one src[] entry (MIGRATE_PFN_COMPOUND) and one migrate_vma_setup() each way. The region is
 * placed by reserving twice its size and unmapping it, so no VMA is ever trimmed (a trim next to
 * a huge PMD would split it: an invalidation nobody counted).
 */
static void migrate_thp_one(struct ctx *c, unsigned long iter)
{
	struct op_stats *st = &c->st[OP_MIGRATE_THP];
	uint32_t seed = op_seed(OP_MIGRATE_THP, iter);
	unsigned long npages = THP_SIZE / c->psz;
	struct hmmw_dmirror_cmd cmd;
	void *res, *p;
	long kb;
	int err;

	st->ops++;
	st->pages += npages;
	res = mmap(NULL, 2 * THP_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED) {
		op_error(st, iter, "mmap (reserve)", errno, false);
		return;
	}
	unmap_region(c, res, 2 * THP_SIZE);
	p = (void *)(((uintptr_t)res + THP_SIZE - 1) & ~(uintptr_t)(THP_SIZE - 1));
	p = mmap(p, THP_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED) {
		op_error(st, iter, "mmap (aligned)", errno, false);
		return;
	}
	if (madvise(p, THP_SIZE, MADV_HUGEPAGE))
		op_error(st, iter, "madvise(MADV_HUGEPAGE)", errno, false);
	kb = anon_huge_kb();
	fill_pages(p, npages, c->psz, seed);
	if (kb >= 0 && anon_huge_kb() - kb >= (long)(THP_SIZE >> 10))
		st->huge++;

	memset(c->thp_bounce, 0, THP_SIZE);
	err = migrate_to_dev_ioctl(c, st, p, c->thp_bounce, npages, &cmd);
	if (err) {
		op_error(st, iter, "HMM_DMIRROR_MIGRATE_TO_DEV", err, false);
		goto cleanup;
	}
	st->ok_ops++;
	st->cpages += cmd.cpages;
	st->round_trips += rt_legs(c, p, npages, RT_TO_DEV);
	op_mismatch(st, iter, cmd.cpages != npages, "to-device cpages != pages");
	op_mismatch(st, iter, bad_pages(c->thp_bounce, npages, c->psz, seed),
		    "device copy has wrong data, pages");
	/* Its cmd.cpages counts src[] entries that moved (dmirror_successful_migrated_pages()):
	 * one for a large folio. The data says whether every page came back. */
	err = dmirror_n(c, c->kp->req_migrate_to_sys, p, c->thp_bounce, npages, &cmd);
	if (err) {
		op_error(st, iter, "HMM_DMIRROR_MIGRATE_TO_SYS", err, false);
	} else {
		st->sys_ok_ops++;
		st->sys_cpages += cmd.cpages;
		st->round_trips += rt_legs(c, p, npages, RT_TO_SYS);
	}
cleanup:
	op_mismatch(st, iter, bad_pages(p, npages, c->psz, seed),
		    "data wrong after the round trip, pages");
	unmap_region(c, p, THP_SIZE);
}

/* ---- 6.1+: eviction at close ------------------------------------------------------- */

/*
 * M pages moved to the device and left there: closing the device evicts them
 * (dmirror_fops_release() -> dmirror_device_evict_chunk() -> migrate_device_range() per chunk),
 * which unmaps each from this process (one MMU_NOTIFY_CLEAR per page, try_to_migrate_one())
 * and copies it back. evict_check() reads them after close().
 */
static void evict_one(struct ctx *c, unsigned long iter)
{
	struct op_stats *st = &c->st[OP_EVICT];
	uint32_t seed = op_seed(OP_EVICT, iter);
	void *p;

	st->ops++;
	st->pages += c->npages;
	if (c->nevict == MAX_EVICT) {
		op_error(st, iter, "--evict: more regions than it keeps on the device", E2BIG,
			 false);
		return;
	}
	p = map_region(c, c->npages);
	if (!p) {
		op_error(st, iter, "mmap", errno, false);
		return;
	}
	fill_pages(p, c->npages, c->psz, seed);
	if (!migrate_to_dev(c, st, iter, p, seed)) {
		unmap_region(c, p, region_len(c));
		return;
	}
	/* a leg that may close one an earlier op left open in this block; the eviction is none */
	st->round_trips += rt_legs(c, p, c->npages, RT_TO_DEV);
	c->evict[c->nevict].p = p;
	c->evict[c->nevict].seed = seed;
	c->nevict++;
}

static void evict_check(struct ctx *c)
{
	struct op_stats *st = &c->st[OP_EVICT];

	for (unsigned int i = 0; i < c->nevict; i++) {
		op_mismatch(st, i, bad_pages(c->evict[i].p, c->npages, c->psz, c->evict[i].seed),
			    "data wrong after the eviction, pages");
		unmap_region(c, c->evict[i].p, region_len(c));
	}
}

/* ---- thrashing: two ranges to the device and back, again and again ------------------- */

/*
 * --thrash A,B: two ranges of M pages, each at the start of its own 2 MiB block (the tracers'
 * range), so each is one range however the kernel steps; round i moves range 1 to the device
 * and back (MIGRATE_TO_DEV, MIGRATE_TO_SYS) if i < A, then range 2 if i < B: A and B round
 * trips. A range with at least 3 (the tracers' default --thrash-min) in the window (a second,
 * the default --thrash-ms; a round takes milliseconds) is thrashing.
 */
static bool thrash_map(struct ctx *c, struct op_stats *st)
{
	size_t len = region_len(c);
	void *res, *p;

	if (len > (1UL << RT_BLOCK_SHIFT)) {
		op_error(st, 0, "--thrash: more than 2 MiB per range", E2BIG, false);
		return false;
	}
	res = mmap(NULL, 3UL << RT_BLOCK_SHIFT, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED) {
		op_error(st, 0, "mmap (reserve)", errno, false);
		return false;
	}
	unmap_region(c, res, 3UL << RT_BLOCK_SHIFT);
	p = (void *)(((uintptr_t)res + (1UL << RT_BLOCK_SHIFT) - 1) &
		     ~(uintptr_t)((1UL << RT_BLOCK_SHIFT) - 1));
	for (int r = 0; r < 2; r++) {
		void *q = (char *)p + ((unsigned long)r << RT_BLOCK_SHIFT);

		c->thrash_p[r] = mmap(q, len, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (c->thrash_p[r] == MAP_FAILED) {
			c->thrash_p[r] = NULL;
			op_error(st, 0, "mmap (aligned)", errno, false);
			return false;
		}
		(void)madvise(c->thrash_p[r], len, MADV_NOHUGEPAGE);
		fill_pages(c->thrash_p[r], c->npages, c->psz, op_seed(OP_THRASH, r));
	}
	return true;
}

static void thrash_one(struct ctx *c, unsigned long iter)
{
	struct op_stats *st = &c->st[OP_THRASH];
	struct hmmw_dmirror_cmd cmd;
	int err;

	if (iter == 0 && !thrash_map(c, st))
		return;
	if (!c->thrash_p[0] || !c->thrash_p[1])
		return;
	for (int r = 0; r < 2; r++) {
		uint32_t seed = op_seed(OP_THRASH, r);
		void *p = c->thrash_p[r];
		unsigned long n;

		if (iter >= c->thrash_n[r])
			continue;
		st->ops++;
		st->pages += c->npages;
		if (!migrate_to_dev(c, st, iter, p, seed))
			continue;
		n = rt_legs(c, p, c->npages, RT_TO_DEV);
		err = dmirror(c, c->kp->req_migrate_to_sys, p, c->bounce, &cmd);
		if (err) {
			op_error(st, iter, "HMM_DMIRROR_MIGRATE_TO_SYS", err, false);
		} else {
			st->sys_ok_ops++;
			st->sys_cpages += cmd.cpages;
			op_mismatch(st, iter, cmd.cpages != c->npages, "to-system cpages != pages");
			n += rt_legs(c, p, c->npages, RT_TO_SYS);
		}
		st->round_trips += n;
		c->thrash_trips[r] += n;
	}
}

static void thrash_end(struct ctx *c)
{
	struct op_stats *st = &c->st[OP_THRASH];

	for (int r = 0; r < 2; r++) {
		if (!c->thrash_p[r])
			continue;
		op_mismatch(st, r, bad_pages(c->thrash_p[r], c->npages, c->psz,
					     op_seed(OP_THRASH, r)),
			    "data wrong after the round trips, pages");
		unmap_region(c, c->thrash_p[r], region_len(c));
		c->thrash_p[r] = NULL;
	}
}

/* Why this kernel cannot run op, or NULL (uffd_minor finds out from UFFDIO_API). */
static const char *skip_reason(const struct ctx *c, enum op op)
{
	const struct kprofile *kp = c->kp;

	switch (op) {
	case OP_MIGRATE_SYS:
	case OP_THRASH:
		return kp->req_migrate_to_sys ? NULL :
		       "no HMM_DMIRROR_MIGRATE_TO_SYS in this test_hmm (5.14+)";
	case OP_EXCLUSIVE:
		return kp->req_exclusive ? NULL :
		       "no HMM_DMIRROR_EXCLUSIVE in this test_hmm (5.14+)";
	case OP_READ_UNLOCKED:
	case OP_UFFD_UNLOCKED:
		return kp->req_read_unlocked ? NULL :
		       "no HMM_DMIRROR_READ_UNLOCKED in this test_hmm (7.x)";
	case OP_UNLOCKED_TIMEOUT:
		return kp->req_read_unlocked ?
		       "test_hmm passes no timeout: HMM_DMIRROR_READ_UNLOCKED calls "
		       "hmm_range_fault_unlocked_timeout() with 0 (lib/test_hmm.c, "
		       "dmirror_fops_unlocked_ioctl(), 7.3)" :
		       "no hmm_range_fault_unlocked_timeout() in this kernel (7.x)";
	case OP_MIGRATE_THP:
		if (!kp->compound)
			return "no large-folio device migration in this test_hmm "
			       "(MIGRATE_VMA_SELECT_COMPOUND, 7.x)";
		return access("/sys/kernel/mm/transparent_hugepage", F_OK) ?
		       "no transparent hugepages (CONFIG_TRANSPARENT_HUGEPAGE)" : NULL;
	case OP_EVICT:
		return kp->evicts ? NULL :
		       "closing the device evicts nothing in this test_hmm "
		       "(migrate_device_range(), 6.1+)";
	default:
		return NULL;
	}
}

/* ---- phases ---------------------------------------------------------------------- */

/* ops made of N independent rounds on fresh memory */
static void (*const one_op[OP_NR])(struct ctx *c, unsigned long iter) = {
	[OP_READ] = read_one,
	[OP_WRITE] = write_one,
	[OP_SNAPSHOT] = snapshot_one,
	[OP_MIGRATE] = migrate_one,
	[OP_MIGRATE_SYS] = migrate_sys_one,
	[OP_EXCLUSIVE] = exclusive_one,
	[OP_READ_UNLOCKED] = read_unlocked_one,
	[OP_MIGRATE_THP] = migrate_thp_one,
	[OP_EVICT] = evict_one,
	[OP_THRASH] = thrash_one,
	[OP_COW] = cow_one,
};

static unsigned long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000UL + ts.tv_nsec;
}

/*
 * CPU time of the process: where a tracer's in-kernel cost lands. run_phase() calls it exactly
 * twice, at the start and the end of the phase, and nothing else here calls getrusage():
 * tests/bench/spread-guest.sh finds the phase by those two calls.
 */
static unsigned long cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000UL +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000UL;
}

static void run_phase(struct ctx *c, enum op op, unsigned long n)
{
	struct op_stats *st = &c->st[op];
	unsigned long i, t0 = now_ns(), c0 = cpu_ns();

	st->skipped = skip_reason(c, op);
	if (st->skipped) {
		progress(c, "%s: skipped: %s", st->name, st->skipped);
		return;
	}
	if (op == OP_UFFD_MINOR || op == OP_UFFD_MISSING)
		progress(c, "%s: %lu faults in batches of %lu pages", st->name, n, c->npages);
	else
		progress(c, "%s: %lu x %lu pages", st->name, n, c->npages);
	if (op == OP_STORM || op == OP_STALL)
		run_storm(c, st, n, op == OP_STALL);
	else if (op == OP_SOFT_DIRTY)
		run_soft_dirty(c, st, n);
	else if (op == OP_UFFD_MINOR || op == OP_UFFD_MISSING)
		run_uffd(c, st, n, op == OP_UFFD_MINOR);
	else if (op == OP_UFFD_UNLOCKED)
		run_uffd_unlocked(c, st, n);
	else if (op != OP_UNLOCKED_TIMEOUT)
		for (i = 0; i < n; i++)
			one_op[op](c, i);
	if (op == OP_THRASH)
		thrash_end(c);
	if (st->skipped)
		progress(c, "%s: skipped: %s", st->name, st->skipped);
	st->ns = now_ns() - t0;
	st->cpu_ns = cpu_ns() - c0;
	progress(c, "%s: done, errors=%lu mismatches=%lu", st->name, st->errors,
		 st->mismatches);
}

/* ---- output ---------------------------------------------------------------------- */

static void put(const struct op_stats *st, const char *key, unsigned long v)
{
	printf("%s.%s=%lu\n", st->name, key, v);
}

/*
 * The migrate_vma_setup() calls toward the device, chunks per MIGRATE_TO_DEV call: each call that
 * succeeded and each that left pages behind (retried: migrate_to_dev_ioctl()).
 */
static void put_to_device(const struct op_stats *st, unsigned long chunks)
{
	put(st, "setup_calls_to_device", (st->ok_ops + st->partial) * chunks);
	put(st, "to_device_partial_calls", st->partial);
}

static void print_stats(const struct ctx *c, enum op op)
{
	const struct op_stats *st = &c->st[op];
	unsigned long fchunks = chunks(c->npages, c->kp->fault_chunk);
	unsigned long mchunks = chunks(c->npages, c->kp->migrate_chunk);
	unsigned long tchunks = chunks(THP_SIZE / c->psz, c->kp->migrate_chunk);

	if (st->skipped)
		printf("%s.skipped=%s\n", st->name, st->skipped);
	put(st, "ns", st->ns);
	put(st, "cpu_ns", st->cpu_ns);
	if (op == OP_UFFD_MINOR || op == OP_UFFD_MISSING) {
		put(st, "faults", st->uffd_faults);
		put(st, "pages", st->pages);
		put(st, "errors", st->errors);
		put(st, "mismatches", st->mismatches);
		return;
	}
	put(st, "ops", st->ops);
	put(st, "pages", st->pages);
	switch (op) {
	case OP_READ:
	case OP_WRITE:
		put(st, "driver_faults", st->faults);
		put(st, "driver_cpages", st->cpages);
		put(st, "range_fault_calls_min", st->ok_ops * fchunks);
		break;
	case OP_SNAPSHOT:
		put(st, "driver_cpages", st->cpages);
		put(st, "range_fault_calls_min", st->ok_ops * fchunks);
		break;
	case OP_MIGRATE:
		put(st, "round_trips", st->round_trips);
		put(st, "to_device_cpages", st->cpages);
		put_to_device(st, mchunks);
		put(st, "cpu_faults", st->cpu_faults);
		put(st, "pinned_pages", c->pinned);
		break;
	case OP_MIGRATE_SYS:
		put(st, "round_trips", st->round_trips);
		put(st, "to_device_cpages", st->cpages);
		put(st, "to_system_cpages", st->sys_cpages);
		put_to_device(st, mchunks);
		put(st, "setup_calls_to_system", st->sys_ok_ops * mchunks);
		break;
	case OP_STORM:
	case OP_STALL:
		put(st, "driver_faults", st->faults);
		put(st, "driver_cpages", st->cpages);
		put(st, "madvise", st->madvise);
		put(st, "mprotect", st->mprotect);
		put(st, "munmap", st->munmap);
		put(st, "ebusy", st->ebusy);
		if (op == OP_STALL)
			put(st, "fifo", st->fifo);
		break;
	case OP_EXCLUSIVE:
		put(st, "driver_cpages", st->cpages);
		break;
	case OP_COW:
		put(st, "driver_faults", st->faults);
		put(st, "driver_cpages", st->cpages);
		put(st, "ebusy", st->ebusy);
		put(st, "range_fault_calls", st->calls);
		break;
	case OP_SOFT_DIRTY:
		put(st, "mirror_reads", st->mirror_reads);
		put(st, "range_fault_calls_min", st->mirror_reads * fchunks);
		put(st, "driver_faults", st->faults);
		break;
	case OP_READ_UNLOCKED:
		/* nothing invalidates these pages meanwhile: one round per call */
		put(st, "driver_faults", st->faults);
		put(st, "driver_cpages", st->cpages);
		put(st, "unlocked_calls", st->ok_ops * fchunks);
		put(st, "rounds", st->ok_ops * fchunks);
		break;
	case OP_UFFD_UNLOCKED:
		put(st, "driver_faults", st->faults);
		put(st, "driver_cpages", st->cpages);
		put(st, "unlocked_calls", st->ok_ops * fchunks);
		put(st, "lock_drops", st->lock_drops);
		put(st, "rounds", st->ok_ops * fchunks + st->lock_drops);
		/* --uffd-delay: unlocked calls (retry chains) that lasted the delay or longer */
		put(st, "delayed_calls", st->slow_ops * fchunks);
		break;
	case OP_MIGRATE_THP:
		put(st, "huge", st->huge);
		put(st, "to_device_cpages", st->cpages);
		put(st, "to_system_driver_entries", st->sys_cpages);
		put_to_device(st, tchunks);
		put(st, "setup_calls_to_system", st->sys_ok_ops * tchunks);
		break;
	case OP_THRASH:
		put(st, "range1_round_trips", c->thrash_trips[0]);
		put(st, "range2_round_trips", c->thrash_trips[1]);
		put(st, "round_trips", st->round_trips);
		put(st, "thrashing_ranges", (c->thrash_trips[0] >= RT_THRASH_MIN) +
					    (c->thrash_trips[1] >= RT_THRASH_MIN));
		put(st, "to_device_cpages", st->cpages);
		put(st, "to_system_cpages", st->sys_cpages);
		put_to_device(st, mchunks);
		put(st, "setup_calls_to_system", st->sys_ok_ops * mchunks);
		break;
	case OP_EVICT:
		put(st, "to_device_cpages", st->cpages);
		put_to_device(st, mchunks);
		put(st, "evicted_pages", c->nevict * c->npages);
		break;
	default:
		break;
	}
	put(st, "errors", st->errors);
	if (op == OP_STORM || op == OP_STALL || op == OP_EXCLUSIVE)
		put(st, "errors_tolerated", st->tolerated);
	if (op != OP_STORM && op != OP_STALL)
		put(st, "mismatches", st->mismatches);
}

static bool stats_failed(const struct op_stats *st)
{
	return st->errors > st->tolerated || st->mismatches;
}

/* ---- command line ---------------------------------------------------------------- */

static const char *const op_names[OP_NR] = {
	[OP_READ] = "read",
	[OP_WRITE] = "write",
	[OP_SNAPSHOT] = "snapshot",
	[OP_MIGRATE] = "migrate",
	[OP_MIGRATE_SYS] = "migrate_sys",
	[OP_STORM] = "storm",
	[OP_EXCLUSIVE] = "exclusive",
	[OP_SOFT_DIRTY] = "soft_dirty",
	[OP_UFFD_MINOR] = "uffd_minor",
	[OP_UFFD_MISSING] = "uffd_missing",
	[OP_READ_UNLOCKED] = "read_unlocked",
	[OP_UFFD_UNLOCKED] = "uffd_unlocked",
	[OP_UNLOCKED_TIMEOUT] = "unlocked_timeout",
	[OP_MIGRATE_THP] = "migrate_thp",
	[OP_EVICT] = "evict",
	[OP_THRASH] = "thrash",
	[OP_STALL] = "stall",
	[OP_COW] = "cow",
};

/* long-only options carry OPT_BASE + enum op as their getopt value */
#define OPT_BASE	256
/* the long options that are not operations */
#define OPT_UFFD_DELAY	(OPT_BASE + OP_NR)
#define OPT_PIN		(OPT_BASE + OP_NR + 1)
#define OPT_HOLD	(OPT_BASE + OP_NR + 2)

static const struct option long_opts[] = {
	{ "device",		required_argument,	NULL, 'D' },
	{ "pages",		required_argument,	NULL, 'm' },
	{ "reads",		required_argument,	NULL, OPT_BASE + OP_READ },
	{ "writes",		required_argument,	NULL, OPT_BASE + OP_WRITE },
	{ "snapshots",		required_argument,	NULL, OPT_BASE + OP_SNAPSHOT },
	{ "migrate",		required_argument,	NULL, OPT_BASE + OP_MIGRATE },
	{ "migrate-sys",	required_argument,	NULL, OPT_BASE + OP_MIGRATE_SYS },
	{ "storm",		required_argument,	NULL, OPT_BASE + OP_STORM },
	{ "exclusive",		required_argument,	NULL, OPT_BASE + OP_EXCLUSIVE },
	{ "soft-dirty",		required_argument,	NULL, OPT_BASE + OP_SOFT_DIRTY },
	{ "uffd-minor",		required_argument,	NULL, OPT_BASE + OP_UFFD_MINOR },
	{ "uffd-missing",	required_argument,	NULL, OPT_BASE + OP_UFFD_MISSING },
	{ "read-unlocked",	required_argument,	NULL, OPT_BASE + OP_READ_UNLOCKED },
	{ "uffd-unlocked",	required_argument,	NULL, OPT_BASE + OP_UFFD_UNLOCKED },
	{ "unlocked-timeout",	required_argument,	NULL,
	  OPT_BASE + OP_UNLOCKED_TIMEOUT },
	{ "migrate-thp",	required_argument,	NULL, OPT_BASE + OP_MIGRATE_THP },
	{ "evict",		required_argument,	NULL, OPT_BASE + OP_EVICT },
	{ "thrash",		required_argument,	NULL, OPT_BASE + OP_THRASH },
	{ "stall",		required_argument,	NULL, OPT_BASE + OP_STALL },
	{ "cow",		required_argument,	NULL, OPT_BASE + OP_COW },
	{ "uffd-delay",		required_argument,	NULL, OPT_UFFD_DELAY },
	{ "pin",		required_argument,	NULL, OPT_PIN },
	{ "quiet",		no_argument,		NULL, 'q' },
	{ "wait-signal",	no_argument,		NULL, 'W' },
	{ "hold",		no_argument,		NULL, OPT_HOLD },
	{ "help",		no_argument,		NULL, 'h' },
	{ NULL,			0,			NULL, 0 },
};

static void usage(FILE *f)
{
	fputs("Usage: " PROG " [OPTIONS]\n"
	      "Drive the test_hmm driver and related mm paths; print key=value totals.\n"
	      "\n"
	      "  -D, --device PATH      dmirror device (default " DEFAULT_DEVICE ")\n"
	      "  -m, --pages M          pages per operation (default 64; 1..65536)\n"
	      "      --reads N          N device reads of M freshly mapped, CPU-populated pages\n"
	      "      --writes N         N device writes of M fresh pages\n"
	      "      --snapshots N      N snapshots (fault-less hmm_range_fault) of M fresh pages\n"
	      "      --migrate N        N rounds: migrate M pages to the device, then the CPU\n"
	      "                         touches every page (one device->system fault per page)\n"
	      "      --migrate-sys N    N rounds: migrate M pages to the device, then\n"
	      "                         HMM_DMIRROR_MIGRATE_TO_SYS\n"
	      "      --storm N          N device reads of M pages while a second thread keeps\n"
	      "                         invalidating (MADV_DONTNEED, mprotect, munmap)\n"
	      "      --stall N          device reads of M pages while a second thread does\n"
	      "                         nothing but MADV_DONTNEED of them, until N reads ran\n"
	      "                         into the driver's timeout (-EBUSY: stall.ebusy), or\n"
	      "                         10 N reads\n"
	      "      --cow N            N device writes of M pages the CPU only read (zero\n"
	      "                         pages): breaking copy-on-write invalidates each fault\n"
	      "                         step once per 2 MiB it covers, an -EBUSY (cow.ebusy)\n"
	      "      --exclusive N      N HMM_DMIRROR_EXCLUSIVE calls on M fresh pages\n"
	      "      --soft-dirty N     N writes of \"4\" to /proc/self/clear_refs with M\n"
	      "                         mirrored pages present\n"
	      "      --uffd-minor N     N userfaultfd MINOR faults on a shmem mapping\n"
	      "      --uffd-missing N   N userfaultfd MISSING faults on anonymous memory\n"
	      "      --read-unlocked N  N HMM_DMIRROR_READ_UNLOCKED of M fresh pages (7.x:\n"
	      "                         hmm_range_fault_unlocked_timeout(), one round a step)\n"
	      "      --uffd-unlocked N  N HMM_DMIRROR_READ_UNLOCKED of M pages behind userfaultfd\n"
	      "                         (MISSING): one mmap-lock-dropping round per page\n"
	      "      --unlocked-timeout N  a retry loop that ends by its timeout; test_hmm\n"
	      "                         offers none (it passes timeout 0): says why it skipped\n"
	      "      --migrate-thp N    N rounds: a 2 MiB THP to the device and back as one large\n"
	      "                         folio (7.x)\n"
	      "      --evict N          N rounds: M pages to the device, left there for\n"
	      "                         close() to evict (6.1+; at most 16)\n"
	      "      --thrash A,B       two ranges of M pages in two 2 MiB blocks: the first to\n"
	      "                         the device and back A times, the second B times,\n"
	      "                         interleaved (MIGRATE_TO_DEV, MIGRATE_TO_SYS; 5.14+)\n"
	      "      --uffd-delay MS    the userfaultfd handler waits MS ms before it resolves\n"
	      "                         each fault (--uffd-*; 0..60000, default 0): with\n"
	      "                         --uffd-unlocked, chains that last MS or longer\n"
	      "      --pin K            with --migrate: the first K pages of each region held in a\n"
	      "                         pipe (vmsplice) while it migrates to the device, so the\n"
	      "                         kernel leaves them behind and the call fails; let go, the\n"
	      "                         next call moves them (1..16, at most M)\n"
	      "  -q, --quiet            only the totals\n"
	      "  -W, --wait-signal      wait for SIGUSR1 before starting (a tracer can attach and\n"
	      "                         filter on this pid first)\n"
	      "      --hold             after the last operation, keep the device open until\n"
	      "                         SIGUSR1 (another one after --wait-signal's): on 6.1+\n"
	      "                         closing it evicts every process's pages from it, so\n"
	      "                         generators migrating on one device at once hold until\n"
	      "                         all are done\n"
	      "  -h, --help             this text\n"
	      "\n"
	      "Operations run in the order listed; counts are 0..10000000. An operation this\n"
	      "kernel's test_hmm cannot do is skipped: OP.skipped=REASON in the totals.\n"
	      "Exit status: 0 ok, 1 an operation failed or data did not verify, 2 usage.\n",
	      f);
}

static __attribute__((noreturn)) void usage_error(const char *fmt, const char *arg)
{
	fputs(PROG ": ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nTry '" PROG " --help'.\n", stderr);
	exit(2);
}

/* Digits only (no sign, space or base prefix), no trailing garbage, within [min, max]. */
static unsigned long parse_num(const char *opt, const char *s, unsigned long min,
			       unsigned long max)
{
	unsigned long long v;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		goto bad;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		goto bad;
	return v;
bad:
	fprintf(stderr, PROG ": %s: invalid value '%s' (expected an integer in %lu..%lu)\n",
		opt, s, min, max);
	fputs("Try '" PROG " --help'.\n", stderr);
	exit(2);
}

static const char *long_name(int val)
{
	const struct option *lo;

	for (lo = long_opts; lo->name; lo++)
		if (lo->val == val)
			return lo->name;
	return "?";
}

/*
 * Names the offending option as typed: "--foo" (without "=value") or "-x". opt: getopt_long()'s
 * optopt, the option's value where it knows the option, 0 where it does not.
 */
static __attribute__((noreturn)) void bad_option(const char *arg, int opt)
{
	char name[64];

	if (!arg)
		arg = "?";
	if (!strncmp(arg, "--", 2) || !opt || opt >= OPT_BASE)
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(arg, "="), arg);
	else
		snprintf(name, sizeof(name), "-%c", opt);
	/* getopt_long() sets optopt for a known long option given a value it takes none of */
	if (opt && !strncmp(arg, "--", 2))
		usage_error("option '%s' takes no value", name);
	usage_error("unknown option '%s'", name);
}

/*
 * "+": stop at the first non-option (reported as unexpected) instead of permuting, so
 * argv[cur] is always the element getopt_long() was looking at.
 */
static void parse_args(int argc, char **argv, struct opts *o)
{
	int ch, cur = optind;

	opterr = 0;
	for (; (ch = getopt_long(argc, argv, "+:D:m:qWh", long_opts, NULL)) != -1; cur = optind) {
		switch (ch) {
		case 'D':
			if (!optarg[0])
				usage_error("-D/--device: empty path%s", "");
			o->device = optarg;
			break;
		case 'm':
			o->npages = parse_num("-m/--pages", optarg, 1, MAX_PAGES);
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'W':
			o->wait_signal = true;
			break;
		case OPT_HOLD:
			o->hold = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			usage_error("option '%s' needs a value", argv[cur]);
		case '?':
			bad_option(argv[cur], optopt);
		default: {
			char name[32];

			snprintf(name, sizeof(name), "--%s", long_name(ch));
			if (ch == OPT_UFFD_DELAY) {
				o->uffd_delay_ms = parse_num(name, optarg, 0, 60000);
				break;
			}
			if (ch == OPT_PIN) { /* a pipe holds 16 buffers by default */
				o->pin = parse_num(name, optarg, 1, 16);
				break;
			}
			if (ch == OPT_BASE + OP_THRASH) {
				char a[32], *comma = strchr(optarg, ',');

				if (!comma || (size_t)(comma - optarg) >= sizeof(a))
					usage_error("--thrash: expected A,B, not '%s'", optarg);
				memcpy(a, optarg, comma - optarg);
				a[comma - optarg] = 0;
				o->thrash[0] = parse_num(name, a, 0, MAX_COUNT);
				o->thrash[1] = parse_num(name, comma + 1, 0, MAX_COUNT);
				o->count[OP_THRASH] = o->thrash[0] > o->thrash[1] ? o->thrash[0] :
										    o->thrash[1];
				break;
			}
			o->count[ch - OPT_BASE] = parse_num(name, optarg, 0, MAX_COUNT);
			break;
		}
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
}

static bool any_op(const struct opts *o)
{
	int op;

	for (op = 0; op < OP_NR; op++)
		if (o->count[op])
			return true;
	return false;
}

/*
 * Break copy-on-write of every writable page of the loaded objects now: the first write
 * to a .data page (file-backed) or to a .bss page that was read before (zero page) goes
 * through wp_page_copy(), an MMU_NOTIFY_CLEAR. glibc does such writes lazily (stdio
 * locks, __libc_single_threaded at the first pthread_create()), which would otherwise
 * land while the device is open. The RELRO part is read-only and skipped.
 */
static int populate_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	uintptr_t psz = *(const size_t *)arg;
	uintptr_t relro_start = 0, relro_end = 0;
	int i;

	(void)size;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_GNU_RELRO)
			continue;
		relro_start = info->dlpi_addr + ph->p_vaddr;
		relro_end = (relro_start + ph->p_memsz) & ~(psz - 1);
	}
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;
		uintptr_t end = (start + ph->p_memsz + psz - 1) & ~(psz - 1);

		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
			continue;
		if (relro_end && relro_start >= start && relro_start < end && relro_end > start)
			start = relro_end;
		start &= ~(psz - 1);
		/* MADV_POPULATE_WRITE is 5.14+; without it we only lose the guarantee */
		if (start < end)
			(void)madvise((void *)start, end - start, MADV_POPULATE_WRITE);
	}
	return 0;
}

/*
 * Everything that would otherwise invalidate our mm behind the counters' back.
 *
 * Besides the COW breaking above: whenever a VMA boundary moves (two VMAs merge, or one is
 * split by mprotect/madvise/munmap) next to a 2 MiB range inside a VMA,
 * vma_adjust_trans_huge() calls __split_huge_pmd(), which raises an MMU_NOTIFY_CLEAR even
 * when nothing is huge. So no two mappings of ours may merge: op regions are
 * MADV_NOHUGEPAGE, the bounce buffer is also MADV_DONTDUMP, the thread stack also
 * MADV_DONTFORK, and the storm scratch page keeps the default flags. Differing vm_flags
 * never merge, and only one mapping of each kind exists at a time.
 */
static int quiet_mm_setup(struct ctx *c)
{
	dl_iterate_phdr(populate_object, &c->psz);
	if (madvise(c->bounce, region_len(c), MADV_DONTDUMP))
		return -1;
	c->stack = map_region(c, THREAD_STACK_SIZE / c->psz);
	if (!c->stack || madvise(c->stack, THREAD_STACK_SIZE, MADV_DONTFORK))
		return -1;
	memset(c->stack, 0, THREAD_STACK_SIZE);
	return 0;
}

/* The row of kprofiles for the running kernel's release. */
static const struct kprofile *kernel_profile(void)
{
	unsigned int major = 0, minor = 0, v;
	struct utsname u;
	size_t i;

	if (uname(&u) == 0 && sscanf(u.release, "%u.%u", &major, &minor) == 2)
		v = major * 1000 + minor;
	else
		v = 0;
	for (i = 0; i < sizeof(kprofiles) / sizeof(kprofiles[0]) - 1; i++)
		if (v >= kprofiles[i].min_version)
			break;
	return &kprofiles[i];
}

static int open_device(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	fprintf(stderr, PROG ": %s: %s%s\n", path, strerror(errno),
		errno == ENOENT || errno == ENODEV || errno == ENXIO ?
		" (is test_hmm loaded? the lab kernel has CONFIG_TEST_HMM=y)" : "");
	exit(2);
}

int main(int argc, char **argv)
{
	struct opts o = { .device = DEFAULT_DEVICE, .npages = DEFAULT_PAGES };
	struct ctx c = { 0 };
	bool failed = false;
	sigset_t usr1;
	int op, sig;

	parse_args(argc, argv, &o);
	if (!any_op(&o))
		usage_error("no operation requested (--reads, --writes, ...%s)", "");
	if (o.pin && !o.count[OP_MIGRATE])
		usage_error("--pin holds pages back from --migrate, which was not given%s", "");
	if (o.pin > o.npages)
		usage_error("--pin: more pages than each operation has (-m)%s", "");
	/* Blocked first: a SIGUSR1 sent before sigwait() stays pending instead of killing us. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	if (o.wait_signal || o.hold)
		sigprocmask(SIG_BLOCK, &usr1, NULL);
	if (o.wait_signal) {
		fprintf(stderr, PROG ": pid %d waiting for SIGUSR1\n", (int)getpid());
		sigwait(&usr1, &sig);
	}

	c.psz = sysconf(_SC_PAGESIZE);
	c.npages = o.npages;
	c.quiet = o.quiet;
	c.uffd_delay_ms = o.uffd_delay_ms;
	c.pin = o.pin;
	c.pin_fd[0] = c.pin_fd[1] = -1;
	c.kp = kernel_profile();
	c.thrash_n[0] = o.thrash[0];
	c.thrash_n[1] = o.thrash[1];
	for (op = 0; op < OP_NR; op++)
		c.st[op].name = op_names[op];
	/* one bounce buffer for every ioctl, so per-op munmaps are only the op regions */
	c.bounce = map_region(&c, c.npages);
	if (!c.bounce || quiet_mm_setup(&c)) {
		fprintf(stderr, PROG ": mmap: %s\n", strerror(errno));
		return 1;
	}
	/* its own flags, so it merges with no other mapping (see quiet_mm_setup()) */
	if (o.count[OP_MIGRATE_THP]) {
		c.thp_bounce = map_region(&c, THP_SIZE / c.psz);
		if (!c.thp_bounce || madvise(c.thp_bounce, THP_SIZE, MADV_DONTDUMP) ||
		    madvise(c.thp_bounce, THP_SIZE, MADV_DONTFORK)) {
			fprintf(stderr, PROG ": mmap: %s\n", strerror(errno));
			return 1;
		}
		memset(c.thp_bounce, 0, THP_SIZE);
	}
	c.fd = open_device(o.device);
	progress(&c, "pid %d, device %s, %lu pages per operation, test_hmm of %s", (int)getpid(),
		 o.device, c.npages, c.kp->name);

	for (op = 0; op < OP_NR; op++)
		if (o.count[op])
			run_phase(&c, op, o.count[op]);

	unmap_region(&c, c.bounce, region_len(&c));
	if (c.thp_bounce)
		unmap_region(&c, c.thp_bounce, THP_SIZE);
	/* --hold: every operation is done; the close below would evict other processes' pages from
	 * the device too (6.1+), so it waits for whoever runs them to say that all are done. */
	if (o.hold) {
		fprintf(stderr, PROG ": pid %d holding the device until SIGUSR1\n", (int)getpid());
		sigwait(&usr1, &sig);
	}
	/* release the notifier now (dmirror_fops_release()), not during exit_mmap();
	 * c.stack is left to exit. 6.1+: this evicts what --evict left on the device. */
	close(c.fd);
	evict_check(&c);

	printf("pid=%d\n", (int)getpid());
	printf("page_size=%zu\n", c.psz);
	printf("pages_per_op=%lu\n", c.npages);
	printf("kernel_profile=%s\n", c.kp->name);
	printf("fault_step=%lu\n", c.kp->fault_chunk);
	printf("migrate_step=%lu\n", c.kp->migrate_chunk);
	for (op = 0; op < OP_NR; op++) {
		if (!o.count[op])
			continue;
		print_stats(&c, op);
		failed |= stats_failed(&c.st[op]);
	}
	{
		unsigned long trips = 0, thrashing = 0;

		for (unsigned int i = 0; i < c.nrt; i++) {
			trips += c.rt[i].trips;
			thrashing += c.rt[i].trips >= RT_THRASH_MIN;
		}
		/* every op's migrations, as one tracer of this process counts them */
		printf("round_trips=%lu\n", trips);
		printf("thrashing_ranges=%lu\n", thrashing);
		printf("round_trips_truncated=%d\n", c.rt_truncated);
	}
	printf("munmaps=%lu\n", c.munmaps);
	printf("regions=");
	for (unsigned int i = 0; i < c.nregions; i++)
		printf("%s%#lx-%#lx", i ? "," : "", c.regions[i].start, c.regions[i].end);
	printf("\nregions_truncated=%d\n", c.regions_truncated);
	printf("result=%s\n", failed ? "fail" : "ok");
	return (fflush(stdout) || failed) ? 1 : 0;
}
