// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Histogram files (histfile.h): write, read, merge. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>
#include "histfile.h"
#include "hist.h"

#if __BYTE_ORDER != __LITTLE_ENDIAN
#error "histogram files are little-endian; this writer stores host order"
#endif

#define ENTRY_BYTES (16 + HMM_HISTFILE_DRIVER_LEN + 16 + 8 * HMM_HIST_SLOTS)

struct hmm_histfile *hmm_histfile__new(enum hmm_histfile_source source)
{
	struct hmm_histfile *f = calloc(1, sizeof(*f));

	if (f) {
		f->source = source;
		f->hosts = 1;
	}
	return f;
}

void hmm_histfile__free(struct hmm_histfile *f)
{
	if (!f)
		return;
	free(f->e);
	kmap_free(&f->index);
	free(f);
}

static __u64 name_hash(const char *s)
{
	__u64 h = 0xcbf29ce484222325ULL; /* FNV-1a */

	for (size_t i = 0; i < HMM_HISTFILE_DRIVER_LEN - 1 && s[i]; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	return h;
}

static bool same_entry(const struct hmm_histfile_entry *e, const struct hmm_hist_key *key,
		       const char *driver)
{
	return e->key.metric == key->metric && e->key.label == key->label &&
	       !strncmp(e->driver, driver, HMM_HISTFILE_DRIVER_LEN - 1);
}

/* The entry for (key, driver), or NULL; indexes what was read or sorted since the last call. */
static struct hmm_histfile_entry *find(struct hmm_histfile *f, const struct hmm_hist_key *key,
				       const char *driver)
{
	long i;

	for (; f->indexed < f->n; f->indexed++) {
		const struct hmm_histfile_entry *e = &f->e[f->indexed];
		__u64 a = name_hash(e->driver), b = (__u64)e->key.metric << 32 | e->key.label;

		/* the first of two equal keys (a damaged file) is the one a scan would find */
		if (kmap_get(&f->index, a, b) < 0 && kmap_put(&f->index, a, b, f->indexed))
			goto scan; /* out of memory: the index stays behind, the scan is right */
	}
	i = kmap_get(&f->index, name_hash(driver), (__u64)key->metric << 32 | key->label);
	if (i >= 0 && same_entry(&f->e[i], key, driver))
		return &f->e[i];
	if (i < 0)
		return NULL;
scan: /* two names with one hash, or no memory for the index */
	for (size_t j = 0; j < f->n; j++)
		if (same_entry(&f->e[j], key, driver))
			return &f->e[j];
	return NULL;
}

int hmm_histfile__add(struct hmm_histfile *f, const struct hmm_hist_key *key, const char *driver,
		      const struct hmm_hist *h)
{
	struct hmm_histfile_entry *e;

	if (!driver)
		driver = "none";
	e = find(f, key, driver);
	if (e) {
		f->saturated |= hmm_hist_merge(&e->h, h);
		return 0;
	}
	if (grow_array(&f->e, &f->cap, f->n + 1, sizeof(*e)))
		return -ENOMEM;
	e = &f->e[f->n++];
	memset(e, 0, sizeof(*e));
	e->key = *key;
	e->key.__pad = 0;
	snprintf(e->driver, sizeof(e->driver), "%s", driver);
	e->h = *h;
	return 0;
}

int hmm_histfile__merge(struct hmm_histfile *dst, const struct hmm_histfile *src)
{
	int err;

	for (size_t i = 0; i < HMM_C_MAX; i++) {
		if (__builtin_add_overflow(dst->counters[i], src->counters[i], &dst->counters[i])) {
			dst->counters[i] = ~0ULL;
			dst->saturated = true;
		}
	}
	dst->saturated |= src->saturated;
	for (size_t i = 0; i < src->n; i++) {
		err = hmm_histfile__add(dst, &src->e[i].key, src->e[i].driver, &src->e[i].h);
		if (err)
			return err;
	}
	dst->hosts += src->hosts;
	dst->duration_ns += src->duration_ns;
	if (!dst->start_real_ns || (src->start_real_ns && src->start_real_ns < dst->start_real_ns))
		dst->start_real_ns = src->start_real_ns;
	dst->host[0] = '\0';
	if (strcmp(dst->release, src->release))
		snprintf(dst->release, sizeof(dst->release), "mixed");
	dst->source = HMM_HISTFILE_MERGE;
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct hmm_histfile_entry *x = a, *y = b;

	if (x->key.metric != y->key.metric)
		return x->key.metric < y->key.metric ? -1 : 1;
	if (x->key.label != y->key.label)
		return x->key.label < y->key.label ? -1 : 1;
	return strcmp(x->driver, y->driver);
}

void hmm_histfile__sort(struct hmm_histfile *f)
{
	if (f->n)
		qsort(f->e, f->n, sizeof(f->e[0]), cmp_entry);
	kmap_free(&f->index); /* the entries moved */
	f->indexed = 0;
}

static void put16(unsigned char *p, __u16 v) { memcpy(p, &v, 2); }
static void put32(unsigned char *p, __u32 v) { memcpy(p, &v, 4); }
static void put64(unsigned char *p, __u64 v) { memcpy(p, &v, 8); }
static __u16 get16(const unsigned char *p) { __u16 v; memcpy(&v, p, 2); return v; }
static __u32 get32(const unsigned char *p) { __u32 v; memcpy(&v, p, 4); return v; }
static __u64 get64(const unsigned char *p) { __u64 v; memcpy(&v, p, 8); return v; }

/* The header and the counters: HEAD_BYTES at buf, zeroed by the caller. */
#define HEAD_BYTES (HMM_HISTFILE_HEADER + 8 * HMM_C_MAX)

static void serialize_head(const struct hmm_histfile *f, unsigned char *buf)
{
	memcpy(buf, HMM_HISTFILE_MAGIC, 8);
	put16(buf + 8, HMM_HISTFILE_MAJOR);
	put16(buf + 10, HMM_HISTFILE_MINOR);
	put32(buf + 12, HMM_HISTFILE_HEADER);
	put32(buf + 16, HMM_SCHEMA_VERSION);
	put16(buf + 20, HMM_HIST_SUB);
	put16(buf + 22, HMM_HIST_OCTAVES);
	put32(buf + 24, HMM_HIST_SLOTS);
	put32(buf + 28, HMM_C_MAX);
	put32(buf + 32, f->n);
	put32(buf + 36, f->hosts);
	put64(buf + 40, f->start_real_ns);
	put64(buf + 48, f->duration_ns);
	put32(buf + 56, f->source);
	put32(buf + 60, 0);
	snprintf((char *)buf + 64, HMM_HISTFILE_STR_LEN, "%s", f->host);
	snprintf((char *)buf + 144, HMM_HISTFILE_STR_LEN, "%s", f->release);
	for (size_t i = 0; i < HMM_C_MAX; i++)
		put64(buf + HMM_HISTFILE_HEADER + 8 * i, f->counters[i]);
}

/* One entry: ENTRY_BYTES at p, zeroed by the caller. */
static void serialize_entry(const struct hmm_histfile_entry *e, unsigned char *p)
{
	put64(p, e->key.driver);
	put16(p + 8, e->key.metric);
	put16(p + 10, e->key.label);
	snprintf((char *)p + 16, HMM_HISTFILE_DRIVER_LEN, "%s", e->driver);
	p += 16 + HMM_HISTFILE_DRIVER_LEN;
	put64(p, e->h.count);
	put64(p + 8, e->h.sum);
	for (size_t s = 0; s < HMM_HIST_SLOTS; s++)
		put64(p + 16 + 8 * s, e->h.slots[s]);
}

static int write_all(int fd, const unsigned char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		buf += w;
		len -= w;
	}
	return 0;
}

/*
 * The file through a buffer of some entries, the CRC kept as it goes: memory does not grow with
 * the file (thousands of drivers' histograms are tens of MB, which a whole-file buffer first
 * faulted in and then copied).
 */
#define WRITE_BUF (64u << 10)
_Static_assert(WRITE_BUF >= HEAD_BYTES && WRITE_BUF >= ENTRY_BYTES + 4, "write buffer too small");

static int write_file(const struct hmm_histfile *f, int fd)
{
	unsigned char *buf = malloc(WRITE_BUF);
	uLong crc = crc32(0, NULL, 0);
	size_t used = HEAD_BYTES;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	memset(buf, 0, HEAD_BYTES);
	serialize_head(f, buf);
	for (size_t i = 0; i < f->n && !err; i++) {
		if (used + ENTRY_BYTES > WRITE_BUF) {
			crc = crc32(crc, buf, used);
			err = write_all(fd, buf, used);
			used = 0;
		}
		memset(buf + used, 0, ENTRY_BYTES);
		serialize_entry(&f->e[i], buf + used);
		used += ENTRY_BYTES;
	}
	if (!err) {
		if (used + 4 > WRITE_BUF) {
			crc = crc32(crc, buf, used);
			err = write_all(fd, buf, used);
			used = 0;
		}
		crc = crc32(crc, buf, used);
		put32(buf + used, (__u32)crc);
		used += 4;
	}
	if (!err)
		err = write_all(fd, buf, used);
	free(buf);
	return err;
}

int hmm_histfile__write(const struct hmm_histfile *f, const char *path)
{
	char tmp[4096];
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	err = write_file(f, fd);
	if (!err && fchmod(fd, 0644))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

struct hmm_histfile *hmm_histfile__read_mem(const void *data, size_t len, int *err)
{
	const unsigned char *buf = data, *p;
	struct hmm_histfile *f = NULL;
	__u32 hdr, n, slots, counters;
	size_t off, need;

	*err = -EPROTO;
	if (len < 64 || memcmp(buf, HMM_HISTFILE_MAGIC, 8))
		return NULL;
	*err = -EPROTONOSUPPORT;
	if (get16(buf + 8) != HMM_HISTFILE_MAJOR)
		return NULL;
	hdr = get32(buf + 12);
	*err = -EBADMSG;
	if (hdr < HMM_HISTFILE_HEADER || hdr > len)
		return NULL;
	slots = get32(buf + 24);
	counters = get32(buf + 28);
	n = get32(buf + 32);
	*err = -EPROTONOSUPPORT;
	if (get32(buf + 16) != HMM_SCHEMA_VERSION || get16(buf + 20) != HMM_HIST_SUB ||
	    get16(buf + 22) != HMM_HIST_OCTAVES || slots != HMM_HIST_SLOTS)
		return NULL;
	/* Counters are appended to enum hmm_counter, never renumbered: an older writer's file has
	 * fewer (the missing ones read 0), a newer one's more (the extra ones are skipped). */
	*err = -EBADMSG;
	need = hdr + 8 * (size_t)counters + (size_t)n * ENTRY_BYTES + 4;
	if (n > (len / ENTRY_BYTES) || counters > len / 8 || need != len)
		return NULL;
	if (crc32(0, buf, len - 4) != get32(buf + len - 4))
		return NULL;
	f = hmm_histfile__new(get32(buf + 56));
	*err = -ENOMEM;
	if (!f)
		return NULL;
	f->hosts = get32(buf + 36);
	f->start_real_ns = get64(buf + 40);
	f->duration_ns = get64(buf + 48);
	snprintf(f->host, sizeof(f->host), "%.*s", HMM_HISTFILE_STR_LEN - 1, (const char *)buf + 64);
	snprintf(f->release, sizeof(f->release), "%.*s", HMM_HISTFILE_STR_LEN - 1,
		 (const char *)buf + 144);
	off = hdr;
	for (size_t i = 0; i < counters; i++, off += 8)
		if (i < HMM_C_MAX)
			f->counters[i] = get64(buf + off);
	f->e = calloc(n ? n : 1, sizeof(*f->e));
	if (!f->e) {
		hmm_histfile__free(f);
		return NULL;
	}
	f->cap = n ? n : 1;
	for (size_t i = 0; i < n; i++, off += ENTRY_BYTES) {
		struct hmm_histfile_entry *e = &f->e[f->n++];

		p = buf + off;
		e->key.driver = get64(p);
		e->key.metric = get16(p + 8);
		e->key.label = get16(p + 10);
		snprintf(e->driver, sizeof(e->driver), "%.*s", HMM_HISTFILE_DRIVER_LEN - 1,
			 (const char *)p + 16);
		p += 16 + HMM_HISTFILE_DRIVER_LEN;
		e->h.count = get64(p);
		e->h.sum = get64(p + 8);
		for (size_t s = 0; s < HMM_HIST_SLOTS; s++)
			e->h.slots[s] = get64(p + 16 + 8 * s);
	}
	*err = 0;
	return f;
}

#define HISTFILE_MAX (64u << 20)

struct hmm_histfile *hmm_histfile__read(const char *path, int *err)
{
	struct hmm_histfile *f = NULL;
	unsigned char *buf = NULL;
	struct stat st;
	size_t off = 0, cap;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*err = -errno;
		return NULL;
	}
	if (fstat(fd, &st)) {
		*err = -errno;
		goto out;
	}
	/* A fleet's file is small: refuse anything absurd before allocating. A pipe (hist merge
	 * <(ssh host cat x.hist)) has no size: it is read to its end, up to the same limit. */
	if (st.st_size > HISTFILE_MAX) {
		*err = -EFBIG;
		goto out;
	}
	cap = S_ISREG(st.st_mode) ? (size_t)st.st_size : 65536;
	buf = malloc(cap ? cap : 1);
	if (!buf) {
		*err = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t r;

		if (off == cap) {
			unsigned char *nb;

			if (S_ISREG(st.st_mode))
				break;
			if (cap >= HISTFILE_MAX || !(nb = realloc(buf, 2 * cap))) {
				*err = cap >= HISTFILE_MAX ? -EFBIG : -ENOMEM;
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + off, cap - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*err = -errno;
			goto out;
		}
		if (r == 0)
			break;
		off += r;
	}
	if (S_ISREG(st.st_mode) && off != (size_t)st.st_size) {
		*err = -EBADMSG; /* shorter than it said: changed while read */
		goto out;
	}
	f = hmm_histfile__read_mem(buf, off, err);
out:
	free(buf);
	close(fd);
	return f;
}
