/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Attribution addresses (a notifier's ops->invalidate, a migration's driver or caller) and what
 * they name: the symbol and its driver. Live tools fill the table from /proc/kallsyms as new
 * addresses appear, and `hmmtrace record` writes each new entry into the file as a HMM_REC_SYM
 * record; replaying tools fill it from those records. Either way the formatters and the
 * statistics ask this table, so a replay names drivers as the recording machine did.
 */
#ifndef HMMSCOPE_SYMTAB_H
#define HMMSCOPE_SYMTAB_H

#include <stdbool.h>
#include <linux/types.h>
#include "hmmscope.h"
#include "ksyms.h"

struct hmm_symtab;

/* ks: where unknown addresses are resolved (live); NULL: only what hmm_symtab__add() gives. */
struct hmm_symtab *hmm_symtab__new(const struct hmm_ksyms *ks);
void hmm_symtab__free(struct hmm_symtab *st);

/* The entry for addr, resolving it through ksyms the first time; *added tells whether this call
 * created it (the caller then records it). NULL for addr 0 or when out of memory. */
const struct hmm_rec_sym *hmm_symtab__get(struct hmm_symtab *st, __u64 addr, bool *added);
/* Learn an entry from a HMM_REC_SYM record; a known address keeps its first entry. */
int hmm_symtab__add(struct hmm_symtab *st, const struct hmm_rec_sym *sym);

/* "none" for 0, the driver's name, or "unknown". */
const char *hmm_symtab__driver(struct hmm_symtab *st, __u64 addr);
/* The symbol's name, or NULL. */
const char *hmm_symtab__name(struct hmm_symtab *st, __u64 addr);

/* Addresses a record names, for writers that must put HMM_REC_SYM records before it: up to 2. */
int hmm_rec_addrs(const struct hmm_rec_hdr *rec, __u64 addrs[2]);

#endif
