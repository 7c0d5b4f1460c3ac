// SPDX-License-Identifier: GPL-2.0
/*
 * Migration: migrate_vma_setup() -> driver copy -> migrate_vma_pages() -> migrate_vma_finalize(),
 * all on one struct migrate_vma, and since 6.1 migrate_device_range() / migrate_device_pages() /
 * migrate_device_finalize() on bare pfn arrays (eviction). One record per migration, keyed by its
 * src pfn array. migrate_vma_finalize() calls migrate_device_finalize() on the same array
 * (mm/migrate_device.c, 6.1 and 6.12), so the device hooks ignore migrations begun by setup.
 *
 * Per page, src[] carries MIGRATE_PFN_MIGRATE after setup for pages that can move, and still
 * carries it after the pages step only for pages that did move (include/linux/migrate.h:
 * MIGRATE_PFN_VALID = 1 << 0, MIGRATE_PFN_MIGRATE = 1 << 1, #defines unchanged since 4.14). An
 * unpopulated anonymous page (migrate_vma_collect_hole()) is MIGRATE without VALID: collected,
 * and moved if still marked (migrate_vma_insert_page() clears it when it fails). 7.x: an entry
 * with MIGRATE_PFN_COMPOUND stands for a whole large folio (core_fixes.bpf.h).
 */
#include "common.bpf.h"

#define MIG_SCAN_MAX 512

struct mig {
	__u64 ts; /* setup entry */
	__u64 setup_ns;
	__u64 setup_exit;
	__u64 pages_entry;
	__u64 start;
	__u64 end;
	__u64 mm;
	__u64 driver;
	__u64 caller_ip;
	struct hmm_task caller;
	struct hmm_task owner;
	__u32 npages;
	__u32 cpages;
	__u32 moved;
	__u32 scanned;
	__u32 span; /* device evictions: pfns asked for */
	__u8 dir;
	__u8 flags;
	__u8 owner_known;
	__u8 __pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64); /* src pfn array */
	__type(value, struct mig);
} migrations SEC(".maps");

struct mig_scratch {
	__u64 pfn[MIG_SCAN_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mig_scratch);
} mig_scratch SEC(".maps");

/* What a scan of a pfn array found. */
struct mig_count {
	__u32 pages;   /* base pages of the entries still marked MIGRATE */
	__u32 scanned; /* entries read */
	__u32 cw1;     /* base pages a compound entry stands for, less one; 0 before 7.x */
	__u8 large;    /* one of them a compound entry */
};

static __always_inline void mig_count_init(struct mig_count *mc)
{
	mc->pages = mc->scanned = 0;
	mc->large = 0;
	mc->cw1 = migrate_compound_known() ? migrate_compound_pages() - 1 : 0;
}

/*
 * Count n (at most MIG_SCAN_MAX) entries from src: the base pages of those marked MIGRATE. The
 * body has no data-dependent branch (see scan_pfns() in hmm.bpf.c).
 */
static __always_inline int count_chunk(__u64 src, __u32 n, struct mig_count *mc)
{
	struct mig_scratch *buf;
	__u32 zero = 0, pages = 0, large = 0, cw1 = mc->cw1;

	buf = bpf_map_lookup_elem(&mig_scratch, &zero);
	if (!buf || !src || n == 0)
		return -1;
	if (n > MIG_SCAN_MAX)
		n = MIG_SCAN_MAX;
	if (bpf_probe_read_kernel(buf->pfn, (((n - 1) & (MIG_SCAN_MAX - 1)) + 1) * sizeof(__u64),
				  (void *)src))
		return -1;
	for (__u32 i = 0; i < MIG_SCAN_MAX && i < n; i++) {
		__u32 m = (buf->pfn[i] >> 1) & 1; /* MIGRATE */
		__u32 c = (buf->pfn[i] >> MIGRATE_PFN_COMPOUND_BIT) & 1;

		pages += m * (1 + c * cw1);
		large |= m & c;
	}
	mc->pages += pages;
	mc->large |= large && cw1;
	mc->scanned += n;
	return 0;
}

/* migrate_vma_*(): src[] has npages entries, the first MIG_SCAN_MAX of them are counted. */
static __always_inline void count_migrating(__u64 src, __u32 npages, struct mig_count *mc)
{
	mig_count_init(mc);
	count_chunk(src, npages, mc);
}

struct scan_ctx {
	__u64 src;
	__u32 n;
	struct mig_count mc;
};

/*
 * One entry per callback, a chunk read into the scratch buffer at each chunk's first entry: a
 * callback with a loop inside made the verifier of 7.3, which checks a bpf_loop() callback until
 * its state converges, give up at a million instructions.
 */
static long scan_entry(__u32 idx, struct scan_ctx *ctx)
{
	__u32 zero = 0, j = idx & (MIG_SCAN_MAX - 1), n, m, c;
	struct mig_scratch *buf = bpf_map_lookup_elem(&mig_scratch, &zero);
	__u64 p;

	if (!buf || idx >= ctx->n)
		return 1;
	if (j == 0) {
		n = ctx->n - idx;
		if (n > MIG_SCAN_MAX)
			n = MIG_SCAN_MAX;
		if (bpf_probe_read_kernel(buf->pfn,
					  (((n - 1) & (MIG_SCAN_MAX - 1)) + 1) * sizeof(__u64),
					  (void *)(ctx->src + (__u64)idx * sizeof(__u64))))
			return 1;
	}
	p = buf->pfn[j];
	m = (p >> 1) & 1; /* MIGRATE */
	c = (p >> MIGRATE_PFN_COMPOUND_BIT) & 1;
	ctx->mc.pages += m * (1 + c * ctx->mc.cw1);
	ctx->mc.large |= (m & c) && ctx->mc.cw1;
	ctx->mc.scanned++;
	return 0;
}

/*
 * A device eviction's pfn array, all of it: its span is a driver's whole chunk (test_hmm: 65536
 * pages), most of it usually free. bpf_loop() (5.17) is there on every kernel with
 * migrate_device_*() (6.1), and only their programs use it. Up to EVICT_SCAN_MAX entries (16 GiB
 * of 4 KiB pages); mc.scanned says how far it got.
 */
#define EVICT_SCAN_MAX (1u << 22)

static __always_inline void count_evicting(__u64 src, __u32 npages, struct mig_count *mc)
{
	struct scan_ctx ctx = { .src = src, .n = npages };

	mig_count_init(&ctx.mc);
	if (ctx.n > EVICT_SCAN_MAX)
		ctx.n = EVICT_SCAN_MAX;
	if (src && ctx.n)
		bpf_loop(ctx.n, scan_entry, &ctx, 0);
	*mc = ctx.mc;
}

/*
 * The driver of a device page: its dev_pagemap's owner through the owner-to-driver map that faults
 * teach (hmm.bpf.c, attempt_read()), else the pagemap's own migrate_to_ram() callback, which is
 * the driver's code (the dev_pagemap_ops of every HMM driver has one). pfn to struct page is
 * vmemmap + pfn (SPARSEMEM_VMEMMAP, which ZONE_DEVICE needs); vmemmap is vmemmap_base where the
 * kernel places it at boot (x86-64 CONFIG_DYNAMIC_MEMORY_LAYOUT), else __VMEMMAP_BASE_L4. Other
 * architectures: no driver for evictions.
 */
extern const void vmemmap_base __ksym __weak;

static __always_inline __u64 pfn_driver(__u64 pfn)
{
#ifdef __TARGET_ARCH_x86
	__u64 base = 0xffffea0000000000ULL, owner, *drv;
	struct dev_pagemap *pgmap;
	struct page *page;

	if (&vmemmap_base && bpf_probe_read_kernel(&base, sizeof(base), &vmemmap_base))
		return 0;
	page = (void *)(base + pfn * bpf_core_type_size(struct page));
	pgmap = page_pgmap(page);
	if (!pgmap)
		return 0;
	owner = (__u64)BPF_CORE_READ(pgmap, owner);
	drv = owner ? bpf_map_lookup_elem(&owner_driver, &owner) : NULL;
	if (drv)
		return *drv;
	return (__u64)BPF_CORE_READ(pgmap, ops, migrate_to_ram);
#else
	return 0;
#endif
}

/*
 * Round trips and thrashing (bpf/hmmscope.h): the state of each range the program saw migrate,
 * keyed by mm and 2 MiB block. LRU: ranges that stopped moving make room. Userspace reads it for
 * the ranges thrashing now (hmm_tracer__thrashing()).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct hmm_thrash_key);
	__type(value, struct hmm_thrash);
} thrash SEC(".maps");

static struct hmm_thrash zero_thrash;

/*
 * 1 if a ring entry is the end of a round trip within win of now, else 0, without a branch. With
 * `ts && now - ts <= win`, clang branched twice per entry, and the verifier, which knows n exactly
 * on each path, followed the paths through all 8 entries in every program that inlines
 * thrash_leg(): 474,571 instructions processed for fexit_migrate_vma_finalize on 6.1, 432,787 for
 * fexit_migrate_device_range on 6.12, about 33,000 and 2,000 without the branches (the
 * limit is 1,000,000). The barriers keep clang from turning the arithmetic back into
 * comparisons. A ts a few ns after now (another CPU's clock) counts as recent.
 */
static __always_inline __u32 trip_recent(__u64 ts, __u64 now, __u64 win)
{
	__u64 neg = -ts, over = win - (now - ts); /* over < 0: older than win (both below 2^63) */

	barrier_var(neg);
	barrier_var(over);
	return ((ts | neg) >> 63) & ~(over >> 63) & 1;
}

/* A migrate_vma_*() leg that moved pages, ending at now after total ns of migrating. */
static __always_inline void thrash_leg(const struct mig *m, __u64 now, __u64 total)
{
	struct hmm_thrash_key k = { .mm = m->mm, .block = m->start >> HMM_THRASH_BLOCK_SHIFT };
	__u64 win = thrash_ns ? thrash_ns : HMM_THRASH_MS_DEFAULT * 1000000ULL;
	__u32 min = thrash_min ? thrash_min : HMM_THRASH_MIN_DEFAULT, n = 0, h;
	struct hmm_rec_round_trip *rec;
	__u64 first_ns, gap, trips;
	struct hmm_thrash *t;
	__u8 was, dir = m->dir;

	t = lookup_or_init(&thrash, &k, &zero_thrash);
	if (!t)
		return;
	/* No leg open, the same way again, or the return came too late: this leg opens a trip. */
	if (!t->leg_end || t->leg_dir == dir || now - t->leg_end > win) {
		t->leg_end = now;
		t->leg_ns = total;
		t->leg_dir = dir;
		return;
	}
	gap = now - t->leg_end;
	first_ns = t->leg_ns;
	t->leg_end = 0;
	h = t->head;
	t->trip_ts[h & (HMM_THRASH_RING - 1)] = now;
	t->head = h + 1;
	trips = ++t->trips;
	for (__u32 i = 0; i < HMM_THRASH_RING; i++) {
		n += trip_recent(t->trip_ts[i], now, win);
	}
	was = t->thrashing;
	t->thrashing = n >= min;
	if (aggregate) {
		__u64 *c = counters_get();

		if (c) {
			cnt_add(c, HMM_C_ROUND_TRIPS, 1);
			if (n >= min && !was)
				cnt_add(c, HMM_C_THRASHING, 1);
		}
		hist_add(m->driver, HMM_M_ROUND_TRIP_NS, dir, first_ns + total);
	}
	/* --min-us: its duration is the time the two legs spent migrating. */
	if (!emit_events || first_ns + total < min_dur_ns)
		return;
	rec = rec_reserve(sizeof(*rec), HMM_REC_ROUND_TRIP, now);
	if (!rec)
		return;
	rec->mm = m->mm;
	rec->start = k.block << HMM_THRASH_BLOCK_SHIFT;
	rec->end = rec->start + (1ULL << HMM_THRASH_BLOCK_SHIFT);
	rec->driver = m->driver;
	rec->legs_ns = first_ns + total;
	rec->gap_ns = gap;
	rec->caller = m->caller;
	rec->owner = m->owner;
	rec->pages = m->moved;
	rec->trips = n;
	rec->total = trips;
	rec->dir = dir;
	rec->flags = (n >= min ? HMM_RT_F_THRASHING : 0) | (n >= min && !was ? HMM_RT_F_BECAME : 0) |
		     (m->owner_known ? HMM_RT_F_OWNER_KNOWN : 0);
	rec->__pad[0] = rec->__pad[1] = 0;
	rec_submit(rec);
}

static __always_inline void mig_emit(struct mig *m, __u64 now, int setup_ret)
{
	struct hmm_rec_migrate *rec;
	__u64 total = now - m->ts, copy = 0, fin = 0;
	__u32 stayed = m->cpages > m->moved ? m->cpages - m->moved : 0;

	if (m->pages_entry) {
		copy = m->pages_entry - m->setup_exit;
		fin = now - m->pages_entry;
	}
	if (aggregate) {
		__u64 *c = counters_get();
		__u32 d = m->dir;

		/* d bounded here, where the verifier can see it: a bound on BASE + d is not. */
		if (c && d < HMM_DIR_MAX) {
			cnt_add(c, HMM_C_MIGRATIONS_BASE + d, 1);
			cnt_add(c, HMM_C_MIGRATE_NPAGES_BASE + d, m->npages);
			cnt_add(c, HMM_C_MIGRATE_CPAGES_BASE + d, m->cpages);
			cnt_add(c, HMM_C_MIGRATE_MOVED_BASE + d, m->moved);
			cnt_add(c, HMM_C_MIGRATE_STAYED_BASE + d, stayed);
			if (m->flags & HMM_MIG_F_FAULT)
				cnt_add(c, HMM_C_MIGRATE_FAULT_BASE + d, 1);
		}
		hist_add(m->driver, HMM_M_MIGRATE_NS, m->dir, total);
		hist_add(m->driver, HMM_M_MIGRATE_SETUP_NS, m->dir, m->setup_ns);
		if (m->pages_entry) {
			hist_add(m->driver, HMM_M_MIGRATE_COPY_NS, m->dir, copy);
			hist_add(m->driver, HMM_M_MIGRATE_FINALIZE_NS, m->dir, fin);
		}
	}
	if (per_owner) {
		struct hmm_owner_stats *o = owner_stats_get(&m->owner, m->owner_known);
		__u32 d = m->dir;

		if (o && d < HMM_DIR_MAX) {
			o->migrations[d]++;
			o->migrate_moved[d] += m->moved;
			o->migrate_ns += total;
		}
	}
	/* thrash_ns is read-only data: with HMM_THRASH_OFF the verifier drops the call. */
	if (thrash_ns != HMM_THRASH_OFF && m->moved && !setup_ret && !(m->flags & HMM_MIG_F_DEVICE))
		thrash_leg(m, now, total);
	if (!emit_events || total < min_dur_ns)
		return;
	rec = rec_reserve(sizeof(*rec), HMM_REC_MIGRATE, m->ts);
	if (!rec)
		return;
	rec->setup_ns = m->setup_ns;
	rec->copy_ns = copy;
	rec->finalize_ns = fin;
	rec->total_ns = total;
	rec->start = m->start;
	rec->end = m->end;
	rec->mm = m->mm;
	rec->driver = m->driver;
	rec->caller_ip = m->caller_ip;
	rec->caller = m->caller;
	rec->owner = m->owner;
	rec->npages = m->npages;
	rec->cpages = m->cpages;
	rec->moved = m->moved;
	rec->stayed = stayed;
	rec->scanned = m->scanned;
	rec->setup_ret = setup_ret;
	rec->dir = m->dir;
	rec->flags = m->flags | (m->owner_known ? HMM_MIG_F_OWNER_KNOWN : 0) |
		     (m->pages_entry ? HMM_MIG_F_PAGES : 0);
	rec->__pad = 0;
	rec->span = m->span;
	rec_submit(rec);
}

/* ---- migrate_vma_setup / _pages / _finalize ------------------------------------------------ */

static __always_inline int setup_entry(struct migrate_vma *args, __u64 ip)
{
	if (caller_filtered())
		return 0;
	stash_put(HMM_AP_MIGRATE_SETUP, (struct stash){ .setup.args = (__u64)args, .ip = ip });
	return 0;
}

/* @args: from fexit (a BTF pointer: @btf) or, for a kretprobe, NULL: the one its entry saved. */
static __always_inline int setup_exit(struct migrate_vma *args, int ret, bool btf)
{
	struct vm_area_struct *vma;
	struct mig m = {};
	__u64 src, now, owner_ptr, *drv;
	struct stash st;

	if (!stash_take(HMM_AP_MIGRATE_SETUP, &st))
		return 0;
	now = bpf_ktime_get_ns();
	if (!btf)
		args = (void *)st.setup.args;
	vma = READ(btf, args, vma);
	m.mm = (__u64)READ(btf, vma, vm_mm);
	m.owner_known = task_owner((void *)m.mm, &m.owner, btf);
	if (owner_filtered(&m.owner, m.owner_known))
		return 0;
	m.ts = st.ts;
	m.setup_ns = now - st.ts;
	m.setup_exit = now;
	m.start = READ(btf, args, start);
	m.end = READ(btf, args, end);
	m.npages = READ(btf, args, npages);
	m.cpages = READ(btf, args, cpages);
	src = (__u64)READ(btf, args, src);
	/* 7.x counts a compound entry as one page in cpages: count the base pages instead. */
	if (migrate_compound_known() && m.cpages) {
		struct mig_count mc;

		count_migrating(src, m.npages, &mc);
		m.cpages = mc.pages;
		if (mc.large)
			m.flags |= HMM_MIG_F_LARGE;
	}
	m.dir = migrate_dir(args, btf);
	m.flags |= migrate_has_fault_page(args, btf) ? HMM_MIG_F_FAULT : 0;
	m.caller_ip = st.ip;
	owner_ptr = bpf_core_field_exists(args->pgmap_owner) ?
			    (__u64)READ(btf, args, pgmap_owner) : 0;
	drv = owner_ptr ? bpf_map_lookup_elem(&owner_driver, &owner_ptr) : NULL;
	m.driver = drv ? *drv : 0;
	task_current(&m.caller);
	/* Nothing collected: drivers may skip the pages and finalize steps (amdkfd does). */
	if (ret || m.cpages == 0) {
		mig_emit(&m, now, ret);
		return 0;
	}
	if (bpf_map_update_elem(&migrations, &src, &m, BPF_ANY))
		counter_add(HMM_C_STATE_DROPS, 1);
	return 0;
}

/*
 * The pages step only needs its start time: what it moved is read from src[] when the migration
 * finalizes, which does not write src[] (mm/migrate_device.c, 6.1 and 6.12). So migrate_*_pages
 * carries one program, not two, and in fentry mode finalize carries only its fexit, which has the
 * arguments: five program runs per migration instead of eight.
 */
static __always_inline int pages_entry(__u64 src)
{
	struct mig *m = bpf_map_lookup_elem(&migrations, &src);

	if (m)
		m->pages_entry = bpf_ktime_get_ns();
	return 0;
}

/* @device: this is migrate_device_finalize(), which also runs inside migrate_vma_finalize(). */
static __always_inline int finalize_exit(__u64 src, bool device)
{
	struct mig *m = bpf_map_lookup_elem(&migrations, &src);
	__u64 now;

	if (!m)
		return 0;
	if (device && !(m->flags & HMM_MIG_F_DEVICE))
		return 0;
	now = bpf_ktime_get_ns();
	/* A driver may finalize without the pages step: then nothing moved. */
	if (m->pages_entry) {
		struct mig_count mc;

		if (device)
			count_evicting(src, m->span, &mc);
		else
			count_migrating(src, m->npages, &mc);
		m->moved = mc.pages;
		m->scanned = mc.scanned;
		if (mc.large)
			m->flags |= HMM_MIG_F_LARGE;
	}
	mig_emit(m, now, 0);
	bpf_map_delete_elem(&migrations, &src);
	return 0;
}

/* kprobe mode: a kretprobe has no arguments, so the entry keeps src for it. */
static __always_inline int finalize_kprobe_entry(__u32 ap, __u64 src)
{
	if (bpf_map_lookup_elem(&migrations, &src))
		stash_put(ap, (struct stash){ .finalize.src = src });
	return 0;
}

static __always_inline int finalize_kretprobe(__u32 ap, bool device)
{
	struct stash st;

	return stash_take(ap, &st) ? finalize_exit(st.finalize.src, device) : 0;
}

SEC("fentry/migrate_vma_setup")
int BPF_PROG(fentry_migrate_vma_setup, struct migrate_vma *args)
{
	return setup_entry(args, 0);
}

SEC("fexit/migrate_vma_setup")
int BPF_PROG(fexit_migrate_vma_setup, struct migrate_vma *args, long ret)
{
	return setup_exit(args, RET_INT(ret), true);
}

SEC("kprobe/migrate_vma_setup")
int BPF_KPROBE(kprobe_migrate_vma_setup, struct migrate_vma *args)
{
	return setup_entry(args, kprobe_ret_ip(ctx));
}

SEC("kretprobe/migrate_vma_setup")
int BPF_KRETPROBE(kretprobe_migrate_vma_setup, long ret)
{
	return setup_exit(NULL, RET_INT(ret), false);
}

SEC("fentry/migrate_vma_pages")
int BPF_PROG(fentry_migrate_vma_pages, struct migrate_vma *migrate)
{
	return pages_entry((__u64)migrate->src);
}

SEC("kprobe/migrate_vma_pages")
int BPF_KPROBE(kprobe_migrate_vma_pages, struct migrate_vma *migrate)
{
	return pages_entry((__u64)BPF_CORE_READ(migrate, src));
}

SEC("fexit/migrate_vma_finalize")
int BPF_PROG(fexit_migrate_vma_finalize, struct migrate_vma *migrate)
{
	return finalize_exit((__u64)migrate->src, false);
}

SEC("kprobe/migrate_vma_finalize")
int BPF_KPROBE(kprobe_migrate_vma_finalize, struct migrate_vma *migrate)
{
	return finalize_kprobe_entry(HMM_AP_MIGRATE_FINALIZE, (__u64)BPF_CORE_READ(migrate, src));
}

SEC("kretprobe/migrate_vma_finalize")
int BPF_KRETPROBE(kretprobe_migrate_vma_finalize)
{
	return finalize_kretprobe(HMM_AP_MIGRATE_FINALIZE, false);
}

/* ---- migrate_device_range / _pfns / _pages / _finalize (6.1+; _pfns 7.x) ------------------- */

/*
 * A driver evicting its device memory: migrate_device_range() on a pfn range (6.1), or
 * migrate_device_pfns() on a list of pfns (7.x); both lock the pages in use and unmap them
 * (migrate_device_unmap()), and src[] then says which were collected. One record each:
 *  - npages and cpages count the pages present and collected (base pages), span the pfns asked
 *    for: a chunk is mostly free, and the span says nothing about the work;
 *  - the driver is named by the first pfn's dev_pagemap (pfn_driver());
 *  - the owner is the process whose mapping the unmap invalidated first: try_to_migrate() raises
 *    an MMU_NOTIFY_CLEAR on each mm that maps a collected page (mm/rmap.c, try_to_migrate_one()),
 *    which notifier.bpf.c notes in this call's stash (eviction_saw_mm()). Pages no process maps
 *    have none, and with --paths migrate alone (no invalidation programs) none is seen.
 */
static __always_inline int device_entry(__u32 ap, unsigned long *src, __u64 first_pfn,
					__u64 npages, __u64 ip)
{
	if (caller_filtered())
		return 0;
	stash_put(ap, (struct stash){ .evict.src = (__u64)src, .evict.first_pfn = first_pfn,
				    .evict.npages = npages, .ip = ip });
	inflight_add(HMM_INFLIGHT_EVICT, 1);
	return 0;
}

/* @range: migrate_device_range(), whose pfns are contiguous; else a list (end is 0). */
static __always_inline int device_exit(__u32 ap, int ret, bool range)
{
	struct mig_count mc;
	struct mig m = {};
	struct stash st;
	__u64 now;

	if (!stash_take(ap, &st))
		return 0;
	inflight_add(HMM_INFLIGHT_EVICT, -1);
	now = bpf_ktime_get_ns();
	m.mm = st.mm;
	m.owner_known = task_owner((void *)st.mm, &m.owner, false);
	/* Without a mapping there is no owner to filter on: such evictions are left out. */
	if (targ_owner && (!m.owner_known || owner_filtered(&m.owner, true)))
		return 0;
	m.ts = st.ts;
	m.setup_ns = now - st.ts;
	m.setup_exit = now;
	m.start = st.evict.first_pfn; /* first device pfn */
	m.end = range ? st.evict.first_pfn + st.evict.npages : 0;
	m.span = st.evict.npages;
	m.dir = HMM_DIR_TO_SYSTEM;
	m.flags = HMM_MIG_F_DEVICE;
	m.caller_ip = st.ip;
	m.driver = pfn_driver(st.evict.first_pfn);
	task_current(&m.caller);
	count_evicting(st.evict.src, m.span, &mc);
	m.npages = m.cpages = mc.pages;
	m.scanned = mc.scanned;
	if (mc.large)
		m.flags |= HMM_MIG_F_LARGE;
	if (ret || m.cpages == 0) {
		mig_emit(&m, now, ret);
		return 0;
	}
	if (bpf_map_update_elem(&migrations, &st.evict.src, &m, BPF_ANY))
		counter_add(HMM_C_STATE_DROPS, 1);
	return 0;
}

SEC("fentry/migrate_device_range")
int BPF_PROG(fentry_migrate_device_range, unsigned long *src, unsigned long start,
	     unsigned long npages)
{
	return device_entry(HMM_AP_DEVICE_RANGE, src, start, npages, 0);
}

SEC("fexit/migrate_device_range")
int BPF_PROG(fexit_migrate_device_range, unsigned long *src, unsigned long start,
	     unsigned long npages, long ret)
{
	return device_exit(HMM_AP_DEVICE_RANGE, RET_INT(ret), true);
}

SEC("kprobe/migrate_device_range")
int BPF_KPROBE(kprobe_migrate_device_range, unsigned long *src, unsigned long start,
	       unsigned long npages)
{
	return device_entry(HMM_AP_DEVICE_RANGE, src, start, npages, kprobe_ret_ip(ctx));
}

SEC("kretprobe/migrate_device_range")
int BPF_KRETPROBE(kretprobe_migrate_device_range, long ret)
{
	return device_exit(HMM_AP_DEVICE_RANGE, RET_INT(ret), true);
}

/* migrate_device_pfns(src_pfns, npages): src_pfns holds plain pfns on entry (7.3
 * mm/migrate_device.c), migrate_pfn() entries on return. */
static __always_inline __u64 first_pfn(unsigned long *src)
{
	__u64 pfn = 0;

	bpf_probe_read_kernel(&pfn, sizeof(pfn), src);
	return pfn;
}

SEC("fentry/migrate_device_pfns")
int BPF_PROG(fentry_migrate_device_pfns, unsigned long *src, unsigned long npages)
{
	return device_entry(HMM_AP_DEVICE_PFNS, src, first_pfn(src), npages, 0);
}

SEC("fexit/migrate_device_pfns")
int BPF_PROG(fexit_migrate_device_pfns, unsigned long *src, unsigned long npages, long ret)
{
	return device_exit(HMM_AP_DEVICE_PFNS, RET_INT(ret), false);
}

SEC("kprobe/migrate_device_pfns")
int BPF_KPROBE(kprobe_migrate_device_pfns, unsigned long *src, unsigned long npages)
{
	return device_entry(HMM_AP_DEVICE_PFNS, src, first_pfn(src), npages, kprobe_ret_ip(ctx));
}

SEC("kretprobe/migrate_device_pfns")
int BPF_KRETPROBE(kretprobe_migrate_device_pfns, long ret)
{
	return device_exit(HMM_AP_DEVICE_PFNS, RET_INT(ret), false);
}

SEC("fentry/migrate_device_pages")
int BPF_PROG(fentry_migrate_device_pages, unsigned long *src)
{
	return pages_entry((__u64)src);
}

SEC("kprobe/migrate_device_pages")
int BPF_KPROBE(kprobe_migrate_device_pages, unsigned long *src)
{
	return pages_entry((__u64)src);
}

SEC("fexit/migrate_device_finalize")
int BPF_PROG(fexit_migrate_device_finalize, unsigned long *src)
{
	return finalize_exit((__u64)src, true);
}

SEC("kprobe/migrate_device_finalize")
int BPF_KPROBE(kprobe_migrate_device_finalize, unsigned long *src)
{
	return finalize_kprobe_entry(HMM_AP_DEVICE_FINALIZE, (__u64)src);
}

SEC("kretprobe/migrate_device_finalize")
int BPF_KRETPROBE(kretprobe_migrate_device_finalize)
{
	return finalize_kretprobe(HMM_AP_DEVICE_FINALIZE, true);
}
