/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ksyms - resolve raw kernel text addresses reported by the BPF programs (the ->invalidate
 * callback of an mmu interval notifier, a function inside a driver) to a symbol and to the
 * name of the driver that owns it, from /proc/kallsyms or a file in the same format.
 *
 * Only text symbols (types t, T, w, W) can be looked up. Data symbols (d, D, b, B, r, R, v, V)
 * are not returned but still end the text symbol before them, so an address in a module's
 * data never resolves to its last function.
 *
 * A loaded table is read-only; every function here may be called from several threads on the
 * same table at once (hmm_ksyms__driver() included).
 */
#ifndef HMMSCOPE_KSYMS_H
#define HMMSCOPE_KSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct hmm_ksym {
	__u64 addr;
	const char *name;
	const char *module; /* NULL for built-in code; interned: compare pointers or strings */
};

struct hmm_ksyms;

/*
 * Load a kallsyms-format file; NULL means /proc/kallsyms. Malformed lines are skipped. An empty
 * file gives an empty table. Returns NULL with errno set on failure (ENOENT, EACCES, ENOMEM...).
 */
struct hmm_ksyms *hmm_ksyms__load(const char *path);
/*
 * The same from an open kallsyms fd, read again from its start (the fd stays the caller's).
 * /proc/kallsyms shows addresses according to the credentials of whoever opened it, so an fd
 * opened before a tool drops its privileges keeps resolving drivers afterwards.
 */
struct hmm_ksyms *hmm_ksyms__load_fd(int fd);
void hmm_ksyms__free(struct hmm_ksyms *ks);

/* Number of text symbols in the table. */
size_t hmm_ksyms__count(const struct hmm_ksyms *ks);

/*
 * True when the file had symbols but every address was zero (kptr_restrict, or not root):
 * names are still known to hmm_ksyms__by_name(), with addr 0, but hmm_ksyms__find() fails.
 */
bool hmm_ksyms__restricted(const struct hmm_ksyms *ks);

/*
 * The text symbol containing addr: the greatest start <= addr, provided addr is below the start
 * of the next symbol (text or data). The highest symbol of the file has no known end and
 * matches only its exact address. Among aliases (same address) the first by name is returned.
 * NULL if none, for addr 0, and for a restricted table.
 */
const struct hmm_ksym *hmm_ksyms__find(const struct hmm_ksyms *ks, __u64 addr);

/* Text symbol by exact name; with duplicates (static functions), the lowest address. */
const struct hmm_ksym *hmm_ksyms__by_name(const struct hmm_ksyms *ks, const char *name);

/*
 * Driver owning a symbol: its module name when it is in a module ("nvidia_uvm", "amdgpu",
 * "nouveau", "xe", "test_hmm"...); for built-in code a name prefix table: dmirror_ -> "test_hmm",
 * uvm_ -> "nvidia_uvm", svm_range_ and kfd_ -> "amdkfd", nouveau_ -> "nouveau", xe_ -> "xe",
 * amdgpu_ -> "amdgpu"; otherwise "kernel". "unknown" for NULL. The string is static or owned
 * by the table the symbol came from.
 */
const char *hmm_driver_name(const struct hmm_ksym *sym);

/*
 * hmm_driver_name(hmm_ksyms__find(ks, addr)), with the answer cached per symbol; "none" for
 * addr 0 (no callback), "unknown" when addr resolves to no symbol.
 */
const char *hmm_ksyms__driver(const struct hmm_ksyms *ks, __u64 addr);

#endif /* HMMSCOPE_KSYMS_H */
