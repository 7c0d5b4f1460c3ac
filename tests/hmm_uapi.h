/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * hmmscope's own copy of the test_hmm (CONFIG_TEST_HMM, /dev/hmm_dmirrorN) ABI.
 *
 * It mirrors lib/test_hmm_uapi.h of linux-source-6.1 and linux-source-6.12 (the two
 * headers are identical), plus what 7.3 added (FLAGS, READ_UNLOCKED) and the older
 * numbering of 5.10, whose driver had only READ, WRITE, MIGRATE (to the device) and
 * SNAPSHOT, with SNAPSHOT at 0x03 where later kernels have MIGRATE_TO_SYS. Every name
 * carries an HMMW_ prefix so that it can be included next to the kernel's header:
 * tests/uapi_check.c does exactly that and _Static_asserts that each ioctl number,
 * enum value, field offset and size that kernel has matches, so the build fails if the
 * kernel ABI ever drifts from this copy.
 */
#ifndef HMMSCOPE_TESTS_HMM_UAPI_H
#define HMMSCOPE_TESTS_HMM_UAPI_H

#include <linux/types.h>
#include <linux/ioctl.h>

/*
 * Argument of every HMM_DMIRROR_* ioctl. addr, ptr and npages are inputs; the driver
 * zeroes cpages and faults before dispatching and copies the struct back only when
 * the ioctl succeeds.
 */
struct hmmw_dmirror_cmd {
	__u64	addr;		/* page-aligned user address the device accesses */
	__u64	ptr;		/* user bounce buffer (npages pages; 1 byte/page for SNAPSHOT) */
	__u64	npages;		/* number of pages at addr */
	__u64	cpages;		/* out: pages copied / migrated / snapshotted */
	__u64	faults;		/* out: device fault rounds (READ and WRITE only) */
};

#define HMMW_DMIRROR_READ		_IOWR('H', 0x00, struct hmmw_dmirror_cmd)
#define HMMW_DMIRROR_WRITE		_IOWR('H', 0x01, struct hmmw_dmirror_cmd)
#define HMMW_DMIRROR_MIGRATE_TO_DEV	_IOWR('H', 0x02, struct hmmw_dmirror_cmd)
#define HMMW_DMIRROR_MIGRATE_TO_SYS	_IOWR('H', 0x03, struct hmmw_dmirror_cmd)
#define HMMW_DMIRROR_SNAPSHOT		_IOWR('H', 0x04, struct hmmw_dmirror_cmd)
#define HMMW_DMIRROR_EXCLUSIVE		_IOWR('H', 0x05, struct hmmw_dmirror_cmd)
#define HMMW_DMIRROR_CHECK_EXCLUSIVE	_IOWR('H', 0x06, struct hmmw_dmirror_cmd)
#define HMMW_DMIRROR_RELEASE		_IOWR('H', 0x07, struct hmmw_dmirror_cmd)
/* 7.3: driver flags (cmd.npages carries them), and READ through
 * hmm_range_fault_unlocked_timeout() (cmd.faults carries the timeout in ms, 0: none). */
#define HMMW_DMIRROR_FLAGS		_IOWR('H', 0x08, struct hmmw_dmirror_cmd)
#define HMMW_DMIRROR_READ_UNLOCKED	_IOWR('H', 0x09, struct hmmw_dmirror_cmd)
#define HMMW_DMIRROR_FLAG_FAIL_ALLOC	(1ULL << 0)

/* 5.10's numbering (lib/test_hmm_uapi.h before 5.14): READ and WRITE as above. */
#define HMMW_DMIRROR_510_MIGRATE	_IOWR('H', 0x02, struct hmmw_dmirror_cmd)
#define HMMW_DMIRROR_510_SNAPSHOT	_IOWR('H', 0x03, struct hmmw_dmirror_cmd)

/* Per-page bytes written to cmd.ptr by HMM_DMIRROR_SNAPSHOT (dmirror_mkentry()). */
enum {
	HMMW_DMIRROR_PROT_ERROR			= 0xFF,
	HMMW_DMIRROR_PROT_NONE			= 0x00,
	HMMW_DMIRROR_PROT_READ			= 0x01,
	HMMW_DMIRROR_PROT_WRITE			= 0x02,
	HMMW_DMIRROR_PROT_PMD			= 0x04,
	HMMW_DMIRROR_PROT_PUD			= 0x08,
	HMMW_DMIRROR_PROT_ZERO			= 0x10,
	HMMW_DMIRROR_PROT_DEV_PRIVATE_LOCAL	= 0x20,
	HMMW_DMIRROR_PROT_DEV_PRIVATE_REMOTE	= 0x30,
	HMMW_DMIRROR_PROT_DEV_COHERENT_LOCAL	= 0x40,
	HMMW_DMIRROR_PROT_DEV_COHERENT_REMOTE	= 0x50,
};

/* Device memory types (dmirror_device.zone_device_type); 0 means uninitialised. */
enum {
	HMMW_DMIRROR_MEMORY_DEVICE_PRIVATE	= 1,
	HMMW_DMIRROR_MEMORY_DEVICE_COHERENT	= 2,
};

#endif /* HMMSCOPE_TESTS_HMM_UAPI_H */
