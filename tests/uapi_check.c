// SPDX-License-Identifier: GPL-2.0
/*
 * Build-time proof that tests/hmm_uapi.h matches the kernel's lib/test_hmm_uapi.h.
 *
 * Compiled only, never linked or run:
 *	cc -fsyntax-only -I$KSRC/lib tests/uapi_check.c
 * Any difference in an ioctl number, enum value, struct layout or field type fails the
 * compile. Both headers are included together, which works because ours uses an HMMW_
 * prefix and a different include guard.
 */
#if defined(__has_include)
#if !__has_include("test_hmm_uapi.h")
#error "test_hmm_uapi.h not found: compile with -I<kernel source>/lib"
#endif
#endif

#include <stddef.h>

#include "test_hmm_uapi.h"	/* the kernel's, from -I$KSRC/lib */
#include "hmm_uapi.h"		/* ours, next to this file */

/* The casts keep -Wenum-compare quiet: the two sides are distinct anonymous enums. */
#define SAME(ours, theirs)							\
	_Static_assert((long long)(ours) == (long long)(theirs), #ours " != " #theirs)

/* struct layout: size, then offset, size and exact type of every field */
SAME(sizeof(struct hmmw_dmirror_cmd), sizeof(struct hmm_dmirror_cmd));
SAME(_Alignof(struct hmmw_dmirror_cmd), _Alignof(struct hmm_dmirror_cmd));

#define SAME_FIELD(f)								\
	SAME(offsetof(struct hmmw_dmirror_cmd, f), offsetof(struct hmm_dmirror_cmd, f));	\
	SAME(sizeof(((struct hmmw_dmirror_cmd *)0)->f),				\
	     sizeof(((struct hmm_dmirror_cmd *)0)->f));				\
	_Static_assert(_Generic(((struct hmm_dmirror_cmd *)0)->f, __u64: 1, default: 0),	\
		       "kernel hmm_dmirror_cmd." #f " is not __u64");		\
	_Static_assert(_Generic(((struct hmmw_dmirror_cmd *)0)->f, __u64: 1, default: 0),	\
		       "hmmw_dmirror_cmd." #f " is not __u64")

SAME_FIELD(addr);
SAME_FIELD(ptr);
SAME_FIELD(npages);
SAME_FIELD(cpages);
SAME_FIELD(faults);

/* The last field ends the struct: nothing was appended on either side. */
SAME(offsetof(struct hmm_dmirror_cmd, faults) + sizeof(__u64), sizeof(struct hmm_dmirror_cmd));
SAME(offsetof(struct hmmw_dmirror_cmd, faults) + sizeof(__u64),
     sizeof(struct hmmw_dmirror_cmd));

/* ioctl numbers (they encode the struct size too) */
SAME(HMMW_DMIRROR_READ, HMM_DMIRROR_READ);
SAME(HMMW_DMIRROR_WRITE, HMM_DMIRROR_WRITE);
#ifdef HMM_DMIRROR_MIGRATE
/* 5.10: one MIGRATE (to the device) and SNAPSHOT at 0x03; nothing past the PRIVATE protections. */
SAME(HMMW_DMIRROR_510_MIGRATE, HMM_DMIRROR_MIGRATE);
SAME(HMMW_DMIRROR_510_SNAPSHOT, HMM_DMIRROR_SNAPSHOT);
#define HMMW_UAPI_510 1
#else
SAME(HMMW_DMIRROR_MIGRATE_TO_DEV, HMM_DMIRROR_MIGRATE_TO_DEV);
SAME(HMMW_DMIRROR_MIGRATE_TO_SYS, HMM_DMIRROR_MIGRATE_TO_SYS);
SAME(HMMW_DMIRROR_SNAPSHOT, HMM_DMIRROR_SNAPSHOT);
SAME(HMMW_DMIRROR_EXCLUSIVE, HMM_DMIRROR_EXCLUSIVE);
SAME(HMMW_DMIRROR_CHECK_EXCLUSIVE, HMM_DMIRROR_CHECK_EXCLUSIVE);
SAME(HMMW_DMIRROR_RELEASE, HMM_DMIRROR_RELEASE);
#endif
#ifdef HMM_DMIRROR_READ_UNLOCKED
SAME(HMMW_DMIRROR_FLAGS, HMM_DMIRROR_FLAGS);
SAME(HMMW_DMIRROR_READ_UNLOCKED, HMM_DMIRROR_READ_UNLOCKED);
SAME(HMMW_DMIRROR_FLAG_FAIL_ALLOC, HMM_DMIRROR_FLAG_FAIL_ALLOC);
#endif

/* SNAPSHOT per-page protection bytes */
SAME(HMMW_DMIRROR_PROT_ERROR, HMM_DMIRROR_PROT_ERROR);
SAME(HMMW_DMIRROR_PROT_NONE, HMM_DMIRROR_PROT_NONE);
SAME(HMMW_DMIRROR_PROT_READ, HMM_DMIRROR_PROT_READ);
SAME(HMMW_DMIRROR_PROT_WRITE, HMM_DMIRROR_PROT_WRITE);
SAME(HMMW_DMIRROR_PROT_PMD, HMM_DMIRROR_PROT_PMD);
SAME(HMMW_DMIRROR_PROT_PUD, HMM_DMIRROR_PROT_PUD);
SAME(HMMW_DMIRROR_PROT_ZERO, HMM_DMIRROR_PROT_ZERO);
SAME(HMMW_DMIRROR_PROT_DEV_PRIVATE_LOCAL, HMM_DMIRROR_PROT_DEV_PRIVATE_LOCAL);
SAME(HMMW_DMIRROR_PROT_DEV_PRIVATE_REMOTE, HMM_DMIRROR_PROT_DEV_PRIVATE_REMOTE);
#ifndef HMMW_UAPI_510
SAME(HMMW_DMIRROR_PROT_DEV_COHERENT_LOCAL, HMM_DMIRROR_PROT_DEV_COHERENT_LOCAL);
SAME(HMMW_DMIRROR_PROT_DEV_COHERENT_REMOTE, HMM_DMIRROR_PROT_DEV_COHERENT_REMOTE);

/* device memory types */
SAME(HMMW_DMIRROR_MEMORY_DEVICE_PRIVATE, HMM_DMIRROR_MEMORY_DEVICE_PRIVATE);
SAME(HMMW_DMIRROR_MEMORY_DEVICE_COHERENT, HMM_DMIRROR_MEMORY_DEVICE_COHERENT);
#endif
