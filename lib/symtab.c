// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Address -> symbol and driver, from kallsyms or from a recording's HMM_REC_SYM records. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "rec.h"
#include "symtab.h"

struct hmm_symtab {
	const struct hmm_ksyms *ks;
	struct hmm_rec_sym **ent; /* open addressing by address, power-of-two size */
	size_t cap, n;
};

struct hmm_symtab *hmm_symtab__new(const struct hmm_ksyms *ks)
{
	struct hmm_symtab *st = calloc(1, sizeof(*st));

	if (st)
		st->ks = ks;
	return st;
}

void hmm_symtab__free(struct hmm_symtab *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->cap; i++)
		free(st->ent[i]);
	free(st->ent);
	free(st);
}

static size_t slot(const struct hmm_symtab *st, __u64 addr)
{
	__u64 h = addr * 0x9e3779b97f4a7c15ULL;
	size_t i = (h ^ (h >> 29)) & (st->cap - 1);

	while (st->ent[i] && st->ent[i]->addr != addr)
		i = (i + 1) & (st->cap - 1);
	return i;
}

static int insert(struct hmm_symtab *st, struct hmm_rec_sym *e)
{
	if ((st->n + 1) * 2 > st->cap) {
		struct hmm_symtab grown = { .cap = st->cap ? st->cap * 2 : 32 };

		grown.ent = calloc(grown.cap, sizeof(*grown.ent));
		if (!grown.ent)
			return -ENOMEM;
		for (size_t i = 0; i < st->cap; i++)
			if (st->ent[i])
				grown.ent[slot(&grown, st->ent[i]->addr)] = st->ent[i];
		free(st->ent);
		st->ent = grown.ent;
		st->cap = grown.cap;
	}
	st->ent[slot(st, e->addr)] = e;
	st->n++;
	return 0;
}

static void copy_str(char *dst, const char *src, size_t n)
{
	size_t l = strnlen(src, n - 1);

	memcpy(dst, src, l);
	memset(dst + l, 0, n - l);
}

const struct hmm_rec_sym *hmm_symtab__get(struct hmm_symtab *st, __u64 addr, bool *added)
{
	const struct hmm_ksym *k;
	struct hmm_rec_sym *e;

	if (added)
		*added = false;
	if (!addr)
		return NULL;
	if (st->cap && st->ent[slot(st, addr)])
		return st->ent[slot(st, addr)];
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->hdr.type = HMM_REC_SYM;
	e->hdr.size = sizeof(*e);
	e->addr = addr;
	k = st->ks ? hmm_ksyms__find(st->ks, addr) : NULL;
	if (k)
		copy_str(e->name, k->name, sizeof(e->name));
	copy_str(e->driver, st->ks ? hmm_ksyms__driver(st->ks, addr) : "unknown", sizeof(e->driver));
	if (insert(st, e)) {
		free(e);
		return NULL;
	}
	if (added)
		*added = true;
	return e;
}

int hmm_symtab__add(struct hmm_symtab *st, const struct hmm_rec_sym *sym)
{
	struct hmm_rec_sym *e;
	int err;

	if (!sym->addr || (st->cap && st->ent[slot(st, sym->addr)]))
		return 0;
	e = malloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	*e = *sym;
	e->hdr.size = sizeof(*e); /* a newer writer's longer record is cut to what we know */
	e->name[sizeof(e->name) - 1] = 0;
	e->driver[sizeof(e->driver) - 1] = 0;
	err = insert(st, e);
	if (err)
		free(e);
	return err;
}

const char *hmm_symtab__driver(struct hmm_symtab *st, __u64 addr)
{
	const struct hmm_rec_sym *e;

	if (!addr)
		return "none";
	e = hmm_symtab__get(st, addr, NULL);
	return e && e->driver[0] ? e->driver : "unknown";
}

const char *hmm_symtab__name(struct hmm_symtab *st, __u64 addr)
{
	const struct hmm_rec_sym *e = addr ? hmm_symtab__get(st, addr, NULL) : NULL;

	return e && e->name[0] ? e->name : NULL;
}

int hmm_rec_addrs(const struct hmm_rec_hdr *rec, __u64 addrs[2])
{
	const struct hmm_rec_desc *d = hmm_rec_desc(rec->type);

	return d && d->addrs ? (int)d->addrs(rec, addrs) : 0;
}
