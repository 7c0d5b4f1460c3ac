// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ksyms - kernel text address -> symbol -> driver name, from /proc/kallsyms.
 *
 * The whole file is read into one buffer that then serves as the string arena: names and
 * module names are NUL-terminated in place and the symbol table points into it. That keeps a
 * load of ~120k lines to a handful of allocations, whatever the number of symbols.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ksyms.h"
#include "kmap.h"

#define KALLSYMS_PATH	"/proc/kallsyms"
#define READ_CHUNK_MIN	(1UL << 20)
#define NAME_SLOT_EMPTY UINT32_MAX

struct hmm_ksyms {
	char *buf;	       /* file contents: the arena all names point into */
	struct hmm_ksym *syms; /* text symbols by address, then name, then module */
	size_t nr_syms;
	__u64 *stops; /* data symbol addresses, sorted: each ends the text before it */
	size_t nr_stops;
	__u32 *names; /* open-addressing hash of symbol names -> index in syms */
	size_t names_mask;
	const char **mods; /* interned module names, in order of first appearance */
	size_t nr_mods;
	__u16 *drv_cache; /* per symbol: 0 = not computed yet, else a driver id */
	bool restricted;
};

/*
 * Built-in code has no module name, so the driver is guessed from the function name. The
 * prefixes are those of the mmu notifier callbacks and helpers of each HMM user.
 */
static const struct {
	const char *prefix;
	const char *driver;
} builtin_prefixes[] = {
	{"dmirror_", "test_hmm"}, {"uvm_", "nvidia_uvm"},  {"svm_range_", "amdkfd"},
	{"kfd_", "amdkfd"},	  {"nouveau_", "nouveau"}, {"xe_", "xe"},
	{"amdgpu_", "amdgpu"},
};

#define NR_PREFIXES (sizeof(builtin_prefixes) / sizeof(builtin_prefixes[0]))

/* Driver ids in drv_cache: 0 is "not cached", then "kernel", the prefixes, the modules. */
enum {
	DRV_NONE = 0,
	DRV_KERNEL = 1,
	DRV_PREFIX0 = 2,
	DRV_MODULE0 = DRV_PREFIX0 + NR_PREFIXES,
};

/* One parsed line, before it is sorted into text symbols or stops. */
struct kline {
	__u64 addr;
	char type;
	const char *name;
	const char *module;
};

static bool is_text_type(char type)
{
	return type == 't' || type == 'T' || type == 'w' || type == 'W';
}

/* v/V (weak objects) are data too; a/A (absolute, per-CPU offsets) bound nothing. */
static bool is_data_type(char type)
{
	return type && strchr("dDbBrRvV", type);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static char *skip_blanks(char *p, const char *eol)
{
	while (p < eol && is_blank(*p))
		p++;
	return p;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Parse "ADDR TYPE NAME[\t[MODULE]]" in [p, eol). The address is hand-parsed rather than with
 * strtoull(), which would also take a sign, a 0x prefix or leading blanks: any of those means
 * the line is not kallsyms. Nothing is written until the whole line is known to be good; then
 * the name and module are NUL-terminated in place (eol is '\n' or the buffer's final NUL).
 */
static bool parse_line(char *p, char *eol, struct kline *l)
{
	char *name, *name_end, *mod = NULL, *mod_end = NULL;
	unsigned int digits = 0;
	__u64 addr = 0;
	int v;

	for (; p < eol && (v = hex_value(*p)) >= 0; p++, digits++)
		addr = addr << 4 | (__u64)v;
	if (!digits || digits > 16 || p == eol || !is_blank(*p))
		return false;

	p = skip_blanks(p, eol);
	if (p == eol || p + 1 == eol || !is_blank(p[1]))
		return false;
	l->type = *p;

	name = skip_blanks(p + 1, eol);
	for (name_end = name; name_end < eol && !is_blank(*name_end); name_end++)
		;
	if (name_end == name)
		return false;

	p = skip_blanks(name_end, eol);
	if (p < eol) {
		if (*p != '[')
			return false;
		mod = p + 1;
		mod_end = memchr(mod, ']', eol - mod);
		if (!mod_end || mod_end == mod || skip_blanks(mod_end + 1, eol) != eol)
			return false;
		*mod_end = '\0';
	}
	*name_end = '\0';

	l->addr = addr;
	l->name = name;
	l->module = mod;
	return true;
}

/* Read the whole file. /proc files report size 0, so grow by doubling until EOF. */
/* Read all of fd from its start into a NUL-terminated buffer; closes fd. */
static int read_fd(int fd, char **bufp, size_t *lenp)
{
	size_t cap = READ_CHUNK_MIN, len = 0;
	char *buf = NULL, *tmp;
	struct stat st;
	int err = 0;
	ssize_t n;

	/* A real file says its size; /proc/kallsyms says 0 and starts at READ_CHUNK_MIN. */
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_size > 0)
		cap = (size_t)st.st_size + 2;

	buf = malloc(cap);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		if (cap - len < 2) {
			tmp = realloc(buf, cap * 2);
			if (!tmp) {
				err = -ENOMEM;
				goto out;
			}
			buf = tmp;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto out;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	/* No pointer into buf exists yet, so giving back the doubling slack is free to move it. */
	tmp = realloc(buf, len + 1);
	if (tmp)
		buf = tmp;
	*bufp = buf;
	*lenp = len;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return err;
}

static int read_file(const char *path, char **bufp, size_t *lenp)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : read_fd(fd, bufp, lenp);
}

/*
 * Module names repeat on every line of a module, and a module's lines are contiguous, so the
 * last hit almost always answers; the linear scan covers the rest (a few hundred at most).
 */
static int intern_module(struct hmm_ksyms *ks, size_t *cap, size_t *last, const char **mod)
{
	size_t i;

	if (ks->nr_mods && !strcmp(ks->mods[*last], *mod)) {
		*mod = ks->mods[*last];
		return 0;
	}
	for (i = 0; i < ks->nr_mods; i++) {
		if (!strcmp(ks->mods[i], *mod)) {
			*last = i;
			*mod = ks->mods[i];
			return 0;
		}
	}
	if (grow_array(&ks->mods, cap, ks->nr_mods + 1, sizeof(*ks->mods)))
		return -ENOMEM;
	*last = ks->nr_mods;
	ks->mods[ks->nr_mods++] = *mod;
	return 0;
}

static int parse_all(struct hmm_ksyms *ks, size_t len)
{
	size_t sym_cap = 0, stop_cap = 0, mod_cap = 0, last_mod = 0, nr_lines = 0;
	char *p, *eol, *end = ks->buf + len;
	bool nonzero = false;
	struct kline l;
	int err;

	/* ~45 bytes a line in practice: size for that up front to avoid most reallocs. */
	if (grow_array(&ks->syms, &sym_cap, len / 40 + 1, sizeof(*ks->syms)))
		return -ENOMEM;

	for (p = ks->buf; p < end; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		if (!parse_line(p, eol, &l))
			continue;
		nr_lines++;
		nonzero |= l.addr != 0;

		if (is_text_type(l.type)) {
			if (l.module) {
				err = intern_module(ks, &mod_cap, &last_mod, &l.module);
				if (err)
					return err;
			}
			if (grow_array(&ks->syms, &sym_cap, ks->nr_syms + 1, sizeof(*ks->syms)))
				return -ENOMEM;
			ks->syms[ks->nr_syms++] = (struct hmm_ksym){l.addr, l.name, l.module};
		} else if (is_data_type(l.type)) {
			if (grow_array(&ks->stops, &stop_cap, ks->nr_stops + 1, sizeof(*ks->stops)))
				return -ENOMEM;
			ks->stops[ks->nr_stops++] = l.addr;
		}
	}
	ks->restricted = nr_lines && !nonzero;
	return 0;
}

static int module_cmp(const char *a, const char *b)
{
	if (a == b)
		return 0;
	if (!a || !b)
		return a ? 1 : -1;
	return strcmp(a, b);
}

/* Total order, so that the result does not depend on the order of lines in the file. */
static int sym_cmp(const void *pa, const void *pb)
{
	const struct hmm_ksym *a = pa, *b = pb;
	int r;

	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	r = strcmp(a->name, b->name);
	return r ? r : module_cmp(a->module, b->module);
}

static int u64_cmp(const void *pa, const void *pb)
{
	__u64 a = *(const __u64 *)pa, b = *(const __u64 *)pb;

	return a < b ? -1 : a > b;
}

/*
 * LSD radix sort on the address, a byte a time, skipping the bytes that all addresses share
 * (the top half of every kernel address): a few linear passes, where qsort's n log n indirect
 * comparisons cost about as much as reading /proc/kallsyms. Stable: aliases stay in file
 * order until sort_aliases().
 */
static int radix_sort(struct hmm_ksym *syms, size_t n)
{
	struct hmm_ksym *tmp, *src = syms, *dst, *swap;
	__u64 all_or = 0, all_and = ~0ULL, differ;
	size_t count[256], i, pos, k;
	unsigned int shift, c;

	tmp = malloc(n * sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		all_or |= syms[i].addr;
		all_and &= syms[i].addr;
	}
	differ = all_or ^ all_and;

	for (dst = tmp, shift = 0; shift < 64; shift += 8) {
		if (!((differ >> shift) & 0xff))
			continue;
		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[(src[i].addr >> shift) & 0xff]++;
		for (pos = 0, c = 0; c < 256; c++) {
			k = count[c];
			count[c] = pos;
			pos += k;
		}
		for (i = 0; i < n; i++)
			dst[count[(src[i].addr >> shift) & 0xff]++] = src[i];
		swap = src;
		src = dst;
		dst = swap;
	}
	if (src != syms)
		memcpy(syms, src, n * sizeof(*syms));
	free(tmp);
	return 0;
}

/* Order each run of one address by name and module; runs are short except when restricted. */
static void sort_aliases(struct hmm_ksym *syms, size_t n)
{
	size_t start, end;

	for (start = 0; start < n; start = end) {
		for (end = start + 1; end < n && syms[end].addr == syms[start].addr; end++)
			;
		if (end - start > 1)
			qsort(syms + start, end - start, sizeof(*syms), sym_cmp);
	}
}

/* The core kernel's lines come in address order; modules' lines in symbol table order. */
static int sort_syms(struct hmm_ksyms *ks)
{
	size_t i;
	int err;

	for (i = 1; i < ks->nr_syms; i++) {
		if (ks->syms[i - 1].addr > ks->syms[i].addr) {
			err = radix_sort(ks->syms, ks->nr_syms);
			if (err)
				return err;
			break;
		}
	}
	sort_aliases(ks->syms, ks->nr_syms);
	for (i = 1; i < ks->nr_stops; i++) {
		if (ks->stops[i - 1] > ks->stops[i]) {
			qsort(ks->stops, ks->nr_stops, sizeof(*ks->stops), u64_cmp);
			break;
		}
	}
	return 0;
}

/* FNV-1a: short identifiers, no adversary. */
static __u32 name_hash(const char *s)
{
	__u32 h = 2166136261u;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 16777619u;
	}
	return h;
}

/*
 * Insert in address order with linear probing: of several symbols with one name, the lowest
 * address then sits first on the shared probe sequence, which is what by_name promises.
 */
static int build_name_index(struct hmm_ksyms *ks)
{
	size_t size = 16, i, slot;

	if (ks->nr_syms >= NAME_SLOT_EMPTY / 2)
		return -EOVERFLOW;
	while (size < ks->nr_syms * 2)
		size *= 2;
	ks->names = malloc(size * sizeof(*ks->names));
	if (!ks->names)
		return -ENOMEM;
	memset(ks->names, 0xff, size * sizeof(*ks->names));
	ks->names_mask = size - 1;

	for (i = 0; i < ks->nr_syms; i++) {
		slot = name_hash(ks->syms[i].name) & ks->names_mask;
		while (ks->names[slot] != NAME_SLOT_EMPTY)
			slot = (slot + 1) & ks->names_mask;
		ks->names[slot] = (__u32)i;
	}
	return 0;
}

static struct hmm_ksyms *load(const char *path, int fd)
{
	struct hmm_ksyms *ks;
	size_t len = 0;
	int err;

	ks = calloc(1, sizeof(*ks));
	if (!ks) {
		errno = ENOMEM;
		return NULL;
	}
	if (path) {
		err = read_file(path, &ks->buf, &len);
	} else {
		/* A copy, read from the start: the caller keeps its fd for the next load. */
		int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);

		err = dup_fd < 0 ? -errno : lseek(dup_fd, 0, SEEK_SET) < 0 ? -errno : 0;
		if (!err)
			err = read_fd(dup_fd, &ks->buf, &len);
		else if (dup_fd >= 0)
			close(dup_fd);
	}
	if (!err)
		err = parse_all(ks, len);
	if (!err)
		err = sort_syms(ks);
	if (!err)
		err = build_name_index(ks);
	if (!err) {
		ks->drv_cache = calloc(ks->nr_syms ? ks->nr_syms : 1, sizeof(*ks->drv_cache));
		if (!ks->drv_cache)
			err = -ENOMEM;
	}
	if (err) {
		hmm_ksyms__free(ks);
		errno = -err;
		return NULL;
	}
	return ks;
}

struct hmm_ksyms *hmm_ksyms__load(const char *path)
{
	return load(path ? path : KALLSYMS_PATH, -1);
}

struct hmm_ksyms *hmm_ksyms__load_fd(int fd)
{
	return load(NULL, fd);
}

void hmm_ksyms__free(struct hmm_ksyms *ks)
{
	if (!ks)
		return;
	free(ks->drv_cache);
	free(ks->names);
	free(ks->mods);
	free(ks->stops);
	free(ks->syms);
	free(ks->buf);
	free(ks);
}

size_t hmm_ksyms__count(const struct hmm_ksyms *ks)
{
	return ks ? ks->nr_syms : 0;
}

bool hmm_ksyms__restricted(const struct hmm_ksyms *ks)
{
	return ks && ks->restricted;
}

/* Index of the first symbol whose address is above addr. */
static size_t syms_above(const struct hmm_ksyms *ks, __u64 addr)
{
	size_t lo = 0, hi = ks->nr_syms, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ks->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Index of the first stop above addr. */
static size_t stops_above(const struct hmm_ksyms *ks, __u64 addr)
{
	size_t lo = 0, hi = ks->nr_stops, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ks->stops[mid] <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Whether addr, at or after the text symbol starting at start, is still inside it. */
static bool within_symbol(const struct hmm_ksyms *ks, size_t next, __u64 start, __u64 addr)
{
	size_t stop = stops_above(ks, start);
	bool bounded = false;
	__u64 end = 0;

	if (addr == start)
		return true;
	if (next < ks->nr_syms) {
		end = ks->syms[next].addr;
		bounded = true;
	}
	if (stop < ks->nr_stops && (!bounded || ks->stops[stop] < end)) {
		end = ks->stops[stop];
		bounded = true;
	}
	/* Nothing after it in the file: its size is unknown, so claim no more than its start. */
	return bounded && addr < end;
}

const struct hmm_ksym *hmm_ksyms__find(const struct hmm_ksyms *ks, __u64 addr)
{
	size_t next, i;
	__u64 start;

	if (!ks || ks->restricted || !addr)
		return NULL;
	next = syms_above(ks, addr);
	if (!next)
		return NULL;
	start = ks->syms[next - 1].addr;
	/* Zero is where undefined weak symbols sit, never code. */
	if (!start || !within_symbol(ks, next, start, addr))
		return NULL;
	for (i = next - 1; i > 0 && ks->syms[i - 1].addr == start; i--)
		;
	return &ks->syms[i];
}

const struct hmm_ksym *hmm_ksyms__by_name(const struct hmm_ksyms *ks, const char *name)
{
	size_t slot;
	__u32 idx;

	if (!ks || !name || !ks->names)
		return NULL;
	slot = name_hash(name) & ks->names_mask;
	while ((idx = ks->names[slot]) != NAME_SLOT_EMPTY) {
		if (!strcmp(ks->syms[idx].name, name))
			return &ks->syms[idx];
		slot = (slot + 1) & ks->names_mask;
	}
	return NULL;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* Index into builtin_prefixes, or -1. */
static int builtin_prefix(const char *name)
{
	size_t i;

	for (i = 0; i < NR_PREFIXES; i++) {
		if (has_prefix(name, builtin_prefixes[i].prefix))
			return (int)i;
	}
	return -1;
}

const char *hmm_driver_name(const struct hmm_ksym *sym)
{
	int i;

	if (!sym)
		return "unknown";
	if (sym->module)
		return sym->module;
	if (!sym->name)
		return "kernel";
	i = builtin_prefix(sym->name);
	return i < 0 ? "kernel" : builtin_prefixes[i].driver;
}

static size_t driver_id(const struct hmm_ksyms *ks, const struct hmm_ksym *sym)
{
	size_t m;
	int i;

	if (sym->module) {
		/* Interned: pointer equality is enough. */
		for (m = 0; m < ks->nr_mods && ks->mods[m] != sym->module; m++)
			;
		return DRV_MODULE0 + m;
	}
	i = builtin_prefix(sym->name);
	return i < 0 ? DRV_KERNEL : DRV_PREFIX0 + (size_t)i;
}

static const char *driver_by_id(const struct hmm_ksyms *ks, size_t id)
{
	if (id >= DRV_MODULE0)
		return ks->mods[id - DRV_MODULE0];
	if (id >= DRV_PREFIX0)
		return builtin_prefixes[id - DRV_PREFIX0].driver;
	return "kernel";
}

/*
 * The cache is filled lazily behind a const table: relaxed atomics make concurrent readers
 * safe, and two threads racing on one slot store the same value.
 */
const char *hmm_ksyms__driver(const struct hmm_ksyms *ks, __u64 addr)
{
	const struct hmm_ksym *sym;
	__u16 *slot;
	size_t id;

	if (!addr)
		return "none";
	sym = hmm_ksyms__find(ks, addr);
	if (!sym)
		return hmm_driver_name(NULL);

	slot = &ks->drv_cache[sym - ks->syms];
	id = __atomic_load_n(slot, __ATOMIC_RELAXED);
	if (id == DRV_NONE) {
		id = driver_id(ks, sym);
		/* Past 65k modules the id does not fit: just recompute every time. */
		if (id <= UINT16_MAX)
			__atomic_store_n(slot, (__u16)id, __ATOMIC_RELAXED);
	}
	return driver_by_id(ks, id);
}
