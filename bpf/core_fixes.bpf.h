/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel layout drift, in one place (libbpf-tools' core_fixes.bpf.h). Each shim names the kernel
 * version that changed the layout; everything else reads fields through these.
 */
#ifndef HMMSCOPE_CORE_FIXES_BPF_H
#define HMMSCOPE_CORE_FIXES_BPF_H

#include <bpf/bpf_core_read.h>

/*
 * p->f, CO-RE relocated. @btf (a constant after inlining) says p is a pointer the verifier knows
 * the type of: an fentry/fexit argument or a pointer read from one. Then it is a plain load;
 * otherwise (kprobe arguments, saved pointers) a bpf_probe_read_kernel() call, which costs
 * several times more.
 */
#define READ(btf, p, f) ((btf) ? (p)->f : BPF_CORE_READ(p, f))

/* 5.4: struct hmm_range had a u64 *pfns array, per-driver flag tables and no notifier; 5.8
 * replaced them with unsigned long *hmm_pfns and the HMM_PFN_* enum. */
struct hmm_range___pre58 {
	__u64 *pfns;
} __attribute__((preserve_access_index));

/* 5.7-5.8: struct migrate_vma selected the direction with src_owner instead of flags. */
struct migrate_vma___pre59 {
	void *src_owner;
} __attribute__((preserve_access_index));

/* 5.9-5.13: mmu_notifier_range::owner was called migrate_pgmap_owner. */
struct mmu_notifier_range___pre514 {
	void *migrate_pgmap_owner;
} __attribute__((preserve_access_index));

/* 6.1: struct migrate_vma::fault_page (the page a CPU fault is migrating back). @btf: see
 * READ() in common.bpf.h. */
static __always_inline bool migrate_has_fault_page(struct migrate_vma *args, bool btf)
{
	if (!bpf_core_field_exists(args->fault_page))
		return false;
	return READ(btf, args, fault_page) != NULL;
}

/* 5.9: migrate_vma::flags (MIGRATE_VMA_SELECT_SYSTEM = 1 << 0; the enum is anonymous, so its
 * value cannot be relocated: it has not changed since 5.9). Before, src_owner set meant
 * "migrate device-private pages back". */
static __always_inline __u8 migrate_dir(struct migrate_vma *args, bool btf)
{
	if (bpf_core_field_exists(args->flags))
		return (READ(btf, args, flags) & 1) ? HMM_DIR_TO_DEVICE : HMM_DIR_TO_SYSTEM;
	if (bpf_core_field_exists(((struct migrate_vma___pre59 *)args)->src_owner))
		return BPF_CORE_READ((struct migrate_vma___pre59 *)args, src_owner) ?
			       HMM_DIR_TO_SYSTEM :
			       HMM_DIR_TO_DEVICE;
	return HMM_DIR_TO_DEVICE;
}

static __always_inline __u64 notifier_range_owner(struct mmu_notifier_range *r, bool btf)
{
	struct mmu_notifier_range___pre514 *old = (void *)r;

	if (bpf_core_field_exists(r->owner))
		return (__u64)READ(btf, r, owner);
	if (bpf_core_field_exists(old->migrate_pgmap_owner))
		return (__u64)READ(btf, old, migrate_pgmap_owner);
	return 0;
}

/*
 * The driver behind an interval notifier: the callback in its ops. 7.x added two-pass notifiers
 * (include/linux/mmu_notifier.h, 7.3: invalidate_start() and invalidate_finish(); mm/mmu_notifier.c
 * calls invalidate_start when it is set, else invalidate), and a two-pass driver may leave
 * invalidate NULL. Any of the three names the same module.
 */
struct mmu_interval_notifier_ops___twopass {
	void *invalidate_start;
	void *invalidate_finish;
} __attribute__((preserve_access_index));

static __always_inline __u64 notifier_ops_fn(const struct mmu_interval_notifier_ops *ops)
{
	struct mmu_interval_notifier_ops___twopass *two = (void *)ops;
	__u64 fn;

	if (!ops)
		return 0;
	/* Always read, not loaded: a function pointer loaded from a BTF struct is untrusted memory
	 * to newer verifiers (7.3), not a value to hand to hmm_hist_add(). */
	fn = (__u64)BPF_CORE_READ(ops, invalidate);
	if (fn || !bpf_core_field_exists(two->invalidate_start))
		return fn;
	fn = (__u64)BPF_CORE_READ(two, invalidate_start);
	return fn ? fn : (__u64)BPF_CORE_READ(two, invalidate_finish);
}

/*
 * Large device folios in migration (7.x, the series that added MIGRATE_VMA_SELECT_COMPOUND,
 * MIGRATE_PFN_COMPOUND = 1 << 4 and dev_pagemap_ops::folio_split, include/linux/migrate.h and
 * memremap.h of 7.3): one src[] entry with MIGRATE_PFN_COMPOUND stands for a whole folio, the
 * entries of its other pages are 0. MIGRATE_PFN_* are #defines, so the series is recognised by its
 * folio_split member; before it, bit 4 is never set (5.10 to 6.12 define bits 0, 1, (2,) 3).
 */
struct dev_pagemap_ops___compound {
	void *folio_split;
} __attribute__((preserve_access_index));

#define MIGRATE_PFN_COMPOUND_BIT 4

static __always_inline bool migrate_compound_known(void)
{
	return bpf_core_field_exists(struct dev_pagemap_ops___compound, folio_split);
}

/*
 * The pages a compound entry stands for. migrate_vma_*() makes them only for PMD-sized folios
 * (migrate_vma_nr_pages(): HPAGE_PMD_NR), and 7.3's device-private large folios are PMD-sized too:
 * HPAGE_PMD_NR is PTRS_PER_PTE, a page of 8-byte entries, 2^(page_shift - 3) (512 with 4 KiB).
 */
static __always_inline __u32 migrate_compound_pages(void)
{
	return 1u << ((page_shift - 3) & 31);
}

/*
 * A ZONE_DEVICE page's dev_pagemap: page->pgmap up to 6.12; between 6.12 and 7.3 it moved to the
 * folio (7.3 include/linux/mm_types.h: struct folio::pgmap, read through page_pgmap()). A device
 * pfn array names head pages, where folio and page are the same address.
 */
struct folio___pgmap {
	struct dev_pagemap *pgmap;
} __attribute__((preserve_access_index));

static __always_inline struct dev_pagemap *page_pgmap(struct page *page)
{
	if (bpf_core_field_exists(page->pgmap))
		return BPF_CORE_READ(page, pgmap);
	if (bpf_core_field_exists(struct folio___pgmap, pgmap))
		return BPF_CORE_READ((struct folio___pgmap *)page, pgmap);
	return NULL;
}

/* enum mmu_notifier_event (5.2; MIGRATE 5.9, EXCLUSIVE 5.14) into our own numbering. */
static __always_inline __u8 notifier_event(struct mmu_notifier_range *r, bool btf)
{
	__u32 ev;

	if (!bpf_core_field_exists(r->event))
		return HMM_EV_UNKNOWN;
	ev = READ(btf, r, event);
	if (ev == bpf_core_enum_value(enum mmu_notifier_event, MMU_NOTIFY_UNMAP))
		return HMM_EV_UNMAP;
	if (ev == bpf_core_enum_value(enum mmu_notifier_event, MMU_NOTIFY_CLEAR))
		return HMM_EV_CLEAR;
	if (ev == bpf_core_enum_value(enum mmu_notifier_event, MMU_NOTIFY_PROTECTION_VMA))
		return HMM_EV_PROTECTION_VMA;
	if (ev == bpf_core_enum_value(enum mmu_notifier_event, MMU_NOTIFY_PROTECTION_PAGE))
		return HMM_EV_PROTECTION_PAGE;
	if (ev == bpf_core_enum_value(enum mmu_notifier_event, MMU_NOTIFY_SOFT_DIRTY))
		return HMM_EV_SOFT_DIRTY;
	if (ev == bpf_core_enum_value(enum mmu_notifier_event, MMU_NOTIFY_RELEASE))
		return HMM_EV_RELEASE;
	if (bpf_core_enum_value_exists(enum mmu_notifier_event, MMU_NOTIFY_MIGRATE) &&
	    ev == bpf_core_enum_value(enum mmu_notifier_event, MMU_NOTIFY_MIGRATE))
		return HMM_EV_MIGRATE;
	if (bpf_core_enum_value_exists(enum mmu_notifier_event, MMU_NOTIFY_EXCLUSIVE) &&
	    ev == bpf_core_enum_value(enum mmu_notifier_event, MMU_NOTIFY_EXCLUSIVE))
		return HMM_EV_EXCLUSIVE;
	return HMM_EV_UNKNOWN;
}

/*
 * VM_UFFD_* are #defines, not BTF: MISSING (0x200) and WP (0x1000) never moved, but
 * VM_UFFD_MINOR is a high bit that did (bit 37 in 6.1, 38 in 6.12). handle_userfault() gets
 * exactly one of them, so "a bit at or above 32" identifies MINOR on every kernel.
 */
static __always_inline __u8 uffd_reason(__u64 reason)
{
	if (reason == 0x200)
		return HMM_UFFD_MISSING;
	if (reason == 0x1000)
		return HMM_UFFD_WP;
	if (reason >> 32)
		return HMM_UFFD_MINOR;
	return HMM_UFFD_OTHER;
}

#endif /* HMMSCOPE_CORE_FIXES_BPF_H */
