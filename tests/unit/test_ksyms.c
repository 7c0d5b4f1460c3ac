// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests for lib/ksyms.c against the fake kallsyms files in tests/unit/data, plus one
 * smoke run against this machine's /proc/kallsyms.
 *
 * Fixture directory: argv[1], else $HMMSCOPE_TESTDATA, else tests/unit/data (relative to the
 * repository root, where the Makefile runs it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/ksyms.h"

static const char *datadir = "tests/unit/data";

/* Addresses of tests/unit/data/kallsyms. */
#define STEXT		   0xffffffff81000000ULL
#define DMIRROR_INVALIDATE 0xffffffff81000100ULL
#define HMM_RANGE_FAULT	   0xffffffff81000200ULL
#define BUILTIN_SVM_RANGE  0xffffffff81000400ULL
#define ETEXT		   0xffffffff81000a00ULL
#define START_RODATA	   0xffffffff81200000ULL
#define UVM_IOCTL	   0xffffffffc0a01000ULL
#define UVM_VA_SPACE	   0xffffffffc0a01230ULL
#define UVM_DATA	   0xffffffffc0a02000ULL
#define LAST_FUNCTION	   0xffffffffc0f00000ULL
#define LAST_DATA	   0xffffffffc0f00200ULL
/* Text lines in the fixture: 15 built-in, 10 in modules; malformed and data lines excluded. */
#define FIXTURE_TEXT_SYMBOLS 25

static struct hmm_ksyms *load_fixture(const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", datadir, name);
	return hmm_ksyms__load(path);
}

/* Write content to a fresh temporary file; the caller unlinks path. */
static void write_temp(char *path, size_t size, const char *content)
{
	const char *tmp = getenv("TMPDIR");
	size_t len = strlen(content);
	int fd;

	snprintf(path, size, "%s/test_ksyms.XXXXXX", tmp ? tmp : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, len), len);
	close(fd);
}

static int group_setup(void **state)
{
	*state = load_fixture("kallsyms");
	if (!*state)
		fprintf(stderr, "cannot load %s/kallsyms: %s\n", datadir, strerror(errno));
	return *state ? 0 : -1;
}

static int group_teardown(void **state)
{
	hmm_ksyms__free(*state);
	return 0;
}

static void assert_sym(const struct hmm_ksym *sym, __u64 addr, const char *name, const char *mod)
{
	assert_non_null(sym);
	assert_int_equal(sym->addr, addr);
	assert_string_equal(sym->name, name);
	if (mod) {
		assert_non_null(sym->module);
		assert_string_equal(sym->module, mod);
	} else {
		assert_null(sym->module);
	}
}

static void test_count(void **state)
{
	const struct hmm_ksyms *ks = *state;

	assert_int_equal(hmm_ksyms__count(ks), FIXTURE_TEXT_SYMBOLS);
	assert_false(hmm_ksyms__restricted(ks));
}

static void test_find_exact_start(void **state)
{
	const struct hmm_ksyms *ks = *state;

	assert_sym(hmm_ksyms__find(ks, HMM_RANGE_FAULT), HMM_RANGE_FAULT, "hmm_range_fault", NULL);
	assert_sym(hmm_ksyms__find(ks, DMIRROR_INVALIDATE), DMIRROR_INVALIDATE,
		   "dmirror_interval_invalidate", NULL);
	assert_sym(hmm_ksyms__find(ks, UVM_IOCTL), UVM_IOCTL, "uvm_ioctl", "nvidia_uvm");
}

static void test_find_middle(void **state)
{
	const struct hmm_ksyms *ks = *state;

	assert_sym(hmm_ksyms__find(ks, HMM_RANGE_FAULT + 0x50), HMM_RANGE_FAULT, "hmm_range_fault",
		   NULL);
	/* Last byte before the next symbol still belongs to the previous one. */
	assert_sym(hmm_ksyms__find(ks, HMM_RANGE_FAULT - 1), DMIRROR_INVALIDATE,
		   "dmirror_interval_invalidate", NULL);
	assert_sym(hmm_ksyms__find(ks, UVM_VA_SPACE + 0x10), UVM_VA_SPACE,
		   "uvm_va_space_mm_invalidate", "nvidia_uvm");
	/* Module lines come out of order in the file: uvm_ioctl ends where uvm_va_space starts. */
	assert_sym(hmm_ksyms__find(ks, UVM_VA_SPACE - 1), UVM_IOCTL, "uvm_ioctl", "nvidia_uvm");
}

/* _stext, startup_64 and _text share an address: the first by name wins, wherever in it. */
static void test_find_aliases(void **state)
{
	const struct hmm_ksyms *ks = *state;

	assert_sym(hmm_ksyms__find(ks, STEXT), STEXT, "_stext", NULL);
	assert_sym(hmm_ksyms__find(ks, STEXT + 0x10), STEXT, "_stext", NULL);
	assert_sym(hmm_ksyms__by_name(ks, "startup_64"), STEXT, "startup_64", NULL);
	assert_sym(hmm_ksyms__by_name(ks, "_text"), STEXT, "_text", NULL);
}

static void test_find_before_first(void **state)
{
	const struct hmm_ksyms *ks = *state;

	assert_null(hmm_ksyms__find(ks, STEXT - 1));
	assert_null(hmm_ksyms__find(ks, 0));
	assert_null(hmm_ksyms__find(ks, 1));
	/* Per-CPU offsets (A, D) are below all text and must not be mistaken for it. */
	assert_null(hmm_ksyms__find(ks, 0x1000));
}

static void test_find_past_last(void **state)
{
	const struct hmm_ksyms *ks = *state;

	assert_sym(hmm_ksyms__find(ks, LAST_FUNCTION + 0x100), LAST_FUNCTION, "last_function",
		   "hmm_last");
	assert_sym(hmm_ksyms__find(ks, LAST_DATA - 1), LAST_FUNCTION, "last_function", "hmm_last");
	assert_null(hmm_ksyms__find(ks, LAST_DATA));
	assert_null(hmm_ksyms__find(ks, LAST_DATA + 0x1000));
	assert_null(hmm_ksyms__find(ks, UINT64_MAX));
}

static void test_data_symbols_ignored(void **state)
{
	static const char *const data[] = {
		"fixed_percpu_data", "per_cpu_thing", "__start_rodata", "local_table",
		"init_task",	     "local_data",    "__bss_start",	"local_bss",
		"nouveau_rodata",    "uvm_data",      "amdgpu_bss",	"xe_data",
		"dmirror_data",	     "last_data",
	};
	const struct hmm_ksyms *ks = *state;
	size_t i;

	for (i = 0; i < sizeof(data) / sizeof(data[0]); i++) {
		if (hmm_ksyms__by_name(ks, data[i]))
			fail_msg("data symbol %s was loaded", data[i]);
	}
	/* Data addresses resolve to nothing: a data symbol ends the function before it. */
	assert_null(hmm_ksyms__find(ks, START_RODATA));
	assert_null(hmm_ksyms__find(ks, START_RODATA + 0x100));
	assert_null(hmm_ksyms__find(ks, UVM_DATA));
	assert_sym(hmm_ksyms__find(ks, UVM_DATA - 1), UVM_VA_SPACE, "uvm_va_space_mm_invalidate",
		   "nvidia_uvm");
	/* Without sizes, the gap between _etext and .rodata is still _etext's. */
	assert_sym(hmm_ksyms__find(ks, START_RODATA - 1), ETEXT, "_etext", NULL);
}

static void test_malformed_skipped(void **state)
{
	static const char *const bad[] = {
		"bad_no_addr",
		"bad_no_space",
		"bad_long_type",
		"bad_unterminated",
		"bad_empty_module",
		"bad_trailing",
		"junk",
		"bad_after_module",
		"bad_17_digits",
		"bad_sign",
		"bad_0x",
		"bad_leading_blank",
		"#",
		"malformed",
	};
	const struct hmm_ksyms *ks = *state;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (hmm_ksyms__by_name(ks, bad[i]))
			fail_msg("malformed line for %s was loaded", bad[i]);
	}
	/* The malformed lines sit at _etext + 0x100: had one loaded, it would be found here. */
	assert_sym(hmm_ksyms__find(ks, ETEXT + 0x100), ETEXT, "_etext", NULL);
	assert_int_equal(hmm_ksyms__count(ks), FIXTURE_TEXT_SYMBOLS);
}

static void test_modules(void **state)
{
	const struct hmm_ksyms *ks = *state;
	const struct hmm_ksym *a, *b;

	a = hmm_ksyms__by_name(ks, "uvm_ioctl");
	b = hmm_ksyms__by_name(ks, "uvm_va_space_mm_invalidate");
	assert_sym(a, UVM_IOCTL, "uvm_ioctl", "nvidia_uvm");
	assert_sym(b, UVM_VA_SPACE, "uvm_va_space_mm_invalidate", "nvidia_uvm");
	/* Interned: one string per module. */
	assert_ptr_equal(a->module, b->module);

	assert_sym(hmm_ksyms__by_name(ks, "nouveau_dmem_migrate_to_ram"), 0xffffffffc0b00000ULL,
		   "nouveau_dmem_migrate_to_ram", "nouveau");
	assert_sym(hmm_ksyms__by_name(ks, "xe_svm_invalidate"), 0xffffffffc0d00000ULL,
		   "xe_svm_invalidate", "xe");
	assert_sym(hmm_ksyms__by_name(ks, "dmirror_fops_open"), 0xffffffffc0e00000ULL,
		   "dmirror_fops_open", "test_hmm");
	assert_sym(hmm_ksyms__by_name(ks, "arch_weak_hook"), 0xffffffff81000300ULL,
		   "arch_weak_hook", NULL);
	assert_sym(hmm_ksyms__by_name(ks, "local_weak_hook"), 0xffffffff81000380ULL,
		   "local_weak_hook", NULL);
}

static void test_by_name(void **state)
{
	const struct hmm_ksyms *ks = *state;

	/* Built-in and [amdgpu] both define it: the lowest address wins. */
	assert_sym(hmm_ksyms__by_name(ks, "svm_range_cpu_invalidate_pagetables"), BUILTIN_SVM_RANGE,
		   "svm_range_cpu_invalidate_pagetables", NULL);
	assert_sym(hmm_ksyms__find(ks, 0xffffffffc0c00010ULL), 0xffffffffc0c00000ULL,
		   "svm_range_cpu_invalidate_pagetables", "amdgpu");
	assert_null(hmm_ksyms__by_name(ks, "no_such_symbol"));
	assert_null(hmm_ksyms__by_name(ks, "hmm_range_faul"));
	assert_null(hmm_ksyms__by_name(ks, ""));
	assert_null(hmm_ksyms__by_name(ks, NULL));
}

static const char *driver_of(const struct hmm_ksyms *ks, const char *name)
{
	const struct hmm_ksym *sym = hmm_ksyms__by_name(ks, name);

	if (!sym)
		fail_msg("symbol %s not loaded", name);
	return hmm_driver_name(sym);
}

static void test_driver_name(void **state)
{
	const struct hmm_ksyms *ks = *state;
	struct hmm_ksym fake = {.addr = 1};

	/* Built-in: the prefix rules. */
	assert_string_equal(driver_of(ks, "dmirror_interval_invalidate"), "test_hmm");
	assert_string_equal(driver_of(ks, "uvm_builtin_callback"), "nvidia_uvm");
	assert_string_equal(driver_of(ks, "svm_range_cpu_invalidate_pagetables"), "amdkfd");
	assert_string_equal(driver_of(ks, "kfd_process_notifier_release"), "amdkfd");
	assert_string_equal(driver_of(ks, "nouveau_svm_invalidate"), "nouveau");
	assert_string_equal(driver_of(ks, "xe_vma_userptr_invalidate"), "xe");
	assert_string_equal(driver_of(ks, "amdgpu_hmm_invalidate_gfx"), "amdgpu");
	assert_string_equal(driver_of(ks, "hmm_range_fault"), "kernel");
	/* "xe_" is a whole prefix: xen_ is not Intel xe. */
	assert_string_equal(driver_of(ks, "xen_hypercall_page"), "kernel");

	/* Modules: the module name, whatever the function is called. */
	assert_string_equal(driver_of(ks, "uvm_ioctl"), "nvidia_uvm");
	assert_string_equal(driver_of(ks, "helper_without_prefix"), "nouveau");
	assert_string_equal(driver_of(ks, "amdgpu_hmm_invalidate_hsa"), "amdgpu");
	assert_string_equal(driver_of(ks, "xe_svm_invalidate"), "xe");
	assert_string_equal(driver_of(ks, "local_helper"), "test_hmm");
	assert_string_equal(driver_of(ks, "last_function"), "hmm_last");

	/* Symbols not from a table. */
	assert_string_equal(hmm_driver_name(NULL), "unknown");
	fake.name = "uvm";
	assert_string_equal(hmm_driver_name(&fake), "kernel");
	fake.name = "amdgpu_";
	assert_string_equal(hmm_driver_name(&fake), "amdgpu");
	fake.name = "svm_range";
	assert_string_equal(hmm_driver_name(&fake), "kernel");
	fake.module = "some_module";
	assert_string_equal(hmm_driver_name(&fake), "some_module");
}

static void test_driver_lookup(void **state)
{
	const struct hmm_ksyms *ks = *state;
	const char *first;

	assert_string_equal(hmm_ksyms__driver(ks, 0), "none");
	assert_string_equal(hmm_ksyms__driver(ks, STEXT - 1), "unknown");
	assert_string_equal(hmm_ksyms__driver(ks, UVM_DATA), "unknown");

	/* Twice: the second answer comes from the cache and must be the same string. */
	first = hmm_ksyms__driver(ks, UVM_VA_SPACE + 4);
	assert_string_equal(first, "nvidia_uvm");
	assert_ptr_equal(hmm_ksyms__driver(ks, UVM_VA_SPACE + 8), first);
	first = hmm_ksyms__driver(ks, DMIRROR_INVALIDATE);
	assert_string_equal(first, "test_hmm");
	assert_ptr_equal(hmm_ksyms__driver(ks, DMIRROR_INVALIDATE + 1), first);

	assert_string_equal(hmm_ksyms__driver(ks, HMM_RANGE_FAULT + 1), "kernel");
	assert_string_equal(hmm_ksyms__driver(ks, BUILTIN_SVM_RANGE + 1), "amdkfd");
	assert_string_equal(hmm_ksyms__driver(ks, 0xffffffff81000500ULL), "amdkfd");
	assert_string_equal(hmm_ksyms__driver(ks, 0xffffffff81000600ULL), "nouveau");
	assert_string_equal(hmm_ksyms__driver(ks, 0xffffffff81000700ULL), "xe");
	assert_string_equal(hmm_ksyms__driver(ks, 0xffffffff81000800ULL), "amdgpu");
	assert_string_equal(hmm_ksyms__driver(ks, 0xffffffff81000900ULL), "nvidia_uvm");
	assert_string_equal(hmm_ksyms__driver(ks, 0xffffffffc0b00180ULL), "nouveau");
	assert_string_equal(hmm_ksyms__driver(ks, 0xffffffffc0c00000ULL), "amdgpu");
	assert_string_equal(hmm_ksyms__driver(ks, 0xffffffffc0c00000ULL), "amdgpu");
	assert_string_equal(hmm_ksyms__driver(ks, 0xffffffffc0d00000ULL), "xe");
	assert_string_equal(hmm_ksyms__driver(ks, 0xffffffffc0e00000ULL), "test_hmm");
}

static void test_restricted(void **state)
{
	struct hmm_ksyms *ks = load_fixture("kallsyms-restricted");

	(void)state;
	assert_non_null(ks);
	assert_true(hmm_ksyms__restricted(ks));
	assert_int_equal(hmm_ksyms__count(ks), 4);
	assert_null(hmm_ksyms__find(ks, 0));
	assert_null(hmm_ksyms__find(ks, STEXT));
	assert_null(hmm_ksyms__find(ks, UINT64_MAX));
	/* Names still tell which drivers are there. */
	assert_sym(hmm_ksyms__by_name(ks, "uvm_ioctl"), 0, "uvm_ioctl", "nvidia_uvm");
	assert_sym(hmm_ksyms__by_name(ks, "_stext"), 0, "_stext", NULL);
	assert_null(hmm_ksyms__by_name(ks, "init_task"));
	assert_string_equal(hmm_ksyms__driver(ks, STEXT), "unknown");
	assert_string_equal(hmm_ksyms__driver(ks, 0), "none");
	hmm_ksyms__free(ks);
}

static void test_empty(void **state)
{
	struct hmm_ksyms *ks = load_fixture("kallsyms-empty");

	(void)state;
	assert_non_null(ks);
	assert_int_equal(hmm_ksyms__count(ks), 0);
	assert_false(hmm_ksyms__restricted(ks));
	assert_null(hmm_ksyms__find(ks, STEXT));
	assert_null(hmm_ksyms__by_name(ks, "_stext"));
	assert_string_equal(hmm_ksyms__driver(ks, STEXT), "unknown");
	hmm_ksyms__free(ks);
}

static void test_missing_file(void **state)
{
	(void)state;
	errno = 0;
	assert_null(load_fixture("no-such-kallsyms"));
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_null(hmm_ksyms__load(datadir));
	assert_int_equal(errno, EISDIR);
}

/* Highest entry is text, last line unterminated: its end is unknown, only its start matches. */
static void test_last_entry_is_text(void **state)
{
	struct hmm_ksyms *ks;
	char path[4096];

	(void)state;
	write_temp(path, sizeof(path),
		   "ffffffff81000100 t second\nffffffff81000000 T first\r\n"
		   "ffffffff81000100 t a_second_alias");
	ks = hmm_ksyms__load(path);
	unlink(path);
	assert_non_null(ks);
	assert_int_equal(hmm_ksyms__count(ks), 3);
	assert_sym(hmm_ksyms__find(ks, 0xffffffff81000080ULL), 0xffffffff81000000ULL, "first",
		   NULL);
	assert_sym(hmm_ksyms__find(ks, 0xffffffff81000100ULL), 0xffffffff81000100ULL,
		   "a_second_alias", NULL);
	assert_null(hmm_ksyms__find(ks, 0xffffffff81000101ULL));
	assert_sym(hmm_ksyms__by_name(ks, "second"), 0xffffffff81000100ULL, "second", NULL);
	hmm_ksyms__free(ks);
}

/* Out of order, with an undefined weak symbol at 0 so that every address byte differs. */
static void test_unsorted_input(void **state)
{
	struct hmm_ksyms *ks;
	char path[4096];

	(void)state;
	write_temp(path, sizeof(path),
		   "ffffffffc0000200 t mod_b\t[m]\n"
		   "ffffffff81000100 t core_b\n"
		   "ffffffffc0000100 t mod_a\t[m]\n"
		   "0000000000000000 w undefined_weak\n"
		   "ffffffffc0000300 d mod_data\t[m]\n"
		   "ffffffff81000000 T core_a\n");
	ks = hmm_ksyms__load(path);
	unlink(path);
	assert_non_null(ks);
	assert_int_equal(hmm_ksyms__count(ks), 5);
	assert_false(hmm_ksyms__restricted(ks));
	/* Zero is never code, and nothing below the first real symbol falls back onto it. */
	assert_null(hmm_ksyms__find(ks, 0));
	assert_null(hmm_ksyms__find(ks, 0xffffffff80000000ULL));
	assert_sym(hmm_ksyms__by_name(ks, "undefined_weak"), 0, "undefined_weak", NULL);
	assert_sym(hmm_ksyms__find(ks, 0xffffffff81000050ULL), 0xffffffff81000000ULL, "core_a",
		   NULL);
	assert_sym(hmm_ksyms__find(ks, 0xffffffffbfffffffULL), 0xffffffff81000100ULL, "core_b",
		   NULL);
	assert_sym(hmm_ksyms__find(ks, 0xffffffffc0000150ULL), 0xffffffffc0000100ULL, "mod_a", "m");
	assert_sym(hmm_ksyms__find(ks, 0xffffffffc00002ffULL), 0xffffffffc0000200ULL, "mod_b", "m");
	assert_null(hmm_ksyms__find(ks, 0xffffffffc0000300ULL));
	hmm_ksyms__free(ks);
}

#define RANDOM_SYMS   4000
#define RANDOM_PROBES 4000

struct ref_sym {
	__u64 addr;
	char name[16];
	bool text;
};

static __u64 lcg_next(__u64 *seed)
{
	*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return *seed >> 33;
}

/* The definition of find() spelled out in O(n): what the binary searches must agree with. */
static const struct ref_sym *ref_find(const struct ref_sym *refs, size_t n, __u64 addr)
{
	const struct ref_sym *best = NULL;
	bool bounded = false;
	__u64 end = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!refs[i].text || refs[i].addr > addr)
			continue;
		if (!best || refs[i].addr > best->addr ||
		    (refs[i].addr == best->addr && strcmp(refs[i].name, best->name) < 0))
			best = &refs[i];
	}
	if (!best || !best->addr || addr == best->addr)
		return best && best->addr ? best : NULL;
	for (i = 0; i < n; i++) {
		if (refs[i].addr > best->addr && (!bounded || refs[i].addr < end)) {
			end = refs[i].addr;
			bounded = true;
		}
	}
	return bounded && addr < end ? best : NULL;
}

/* Random symbols in random order, aliases and data included, checked against ref_find(). */
static void test_random_against_reference(void **state)
{
	static struct ref_sym refs[RANDOM_SYMS];
	const struct ref_sym *want;
	const struct hmm_ksym *got;
	size_t i, len = 0, size = RANDOM_SYMS * 48;
	__u64 seed = 42, base = 0xffffffffa0000000ULL, addr;
	struct hmm_ksyms *ks;
	char path[4096], *text;

	(void)state;
	text = malloc(size);
	assert_non_null(text);
	for (i = 0; i < RANDOM_SYMS; i++) {
		/* Few distinct addresses: many aliases, and data interleaved with text. */
		refs[i].addr = base + (lcg_next(&seed) % (RANDOM_SYMS / 2)) * 0x40;
		refs[i].text = lcg_next(&seed) % 4 != 0;
		snprintf(refs[i].name, sizeof(refs[i].name), "s%u", (unsigned int)lcg_next(&seed));
		len += (size_t)snprintf(text + len, size - len, "%016llx %c %s\n",
					(unsigned long long)refs[i].addr, refs[i].text ? 't' : 'd',
					refs[i].name);
	}
	write_temp(path, sizeof(path), text);
	free(text);
	ks = hmm_ksyms__load(path);
	unlink(path);
	assert_non_null(ks);

	for (i = 0; i < RANDOM_PROBES; i++) {
		addr = base - 0x100 + lcg_next(&seed) % ((RANDOM_SYMS / 2 + 8) * 0x40);
		want = ref_find(refs, RANDOM_SYMS, addr);
		got = hmm_ksyms__find(ks, addr);
		if (!want && !got)
			continue;
		if (!want || !got || want->addr != got->addr || strcmp(want->name, got->name))
			fail_msg("find(%#llx): want %s, got %s", (unsigned long long)addr,
				 want ? want->name : "NULL", got ? got->name : "NULL");
	}
	hmm_ksyms__free(ks);
}

static void test_null_safety(void **state)
{
	(void)state;
	assert_int_equal(hmm_ksyms__count(NULL), 0);
	assert_false(hmm_ksyms__restricted(NULL));
	assert_null(hmm_ksyms__find(NULL, STEXT));
	assert_null(hmm_ksyms__by_name(NULL, "_stext"));
	assert_string_equal(hmm_ksyms__driver(NULL, STEXT), "unknown");
	assert_string_equal(hmm_ksyms__driver(NULL, 0), "none");
	hmm_ksyms__free(NULL);
}

/* Smoke run on this machine's kernel; skipped where kallsyms is unreadable or hidden. */
static void test_proc_kallsyms(void **state)
{
	const struct hmm_ksym *sym, *found;
	struct hmm_ksyms *ks;

	(void)state;
	ks = hmm_ksyms__load(NULL);
	if (!ks) {
		print_message("/proc/kallsyms: %s\n", strerror(errno));
		skip();
	}
	if (hmm_ksyms__restricted(ks) || !hmm_ksyms__count(ks)) {
		hmm_ksyms__free(ks);
		skip();
	}
	sym = hmm_ksyms__by_name(ks, "_stext");
	if (!sym)
		sym = hmm_ksyms__by_name(ks, "startup_64");
	assert_non_null(sym);
	assert_true(sym->addr != 0);
	assert_null(sym->module);

	found = hmm_ksyms__find(ks, sym->addr);
	assert_non_null(found);
	assert_int_equal(found->addr, sym->addr);
	assert_string_equal(hmm_ksyms__driver(ks, sym->addr), "kernel");

	sym = hmm_ksyms__by_name(ks, "hmm_range_fault");
	if (sym) {
		found = hmm_ksyms__find(ks, sym->addr + 1);
		assert_non_null(found);
		assert_int_equal(found->addr, sym->addr);
	}
	hmm_ksyms__free(ks);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest fixture_tests[] = {
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_find_exact_start),
		cmocka_unit_test(test_find_middle),
		cmocka_unit_test(test_find_aliases),
		cmocka_unit_test(test_find_before_first),
		cmocka_unit_test(test_find_past_last),
		cmocka_unit_test(test_data_symbols_ignored),
		cmocka_unit_test(test_malformed_skipped),
		cmocka_unit_test(test_modules),
		cmocka_unit_test(test_by_name),
		cmocka_unit_test(test_driver_name),
		cmocka_unit_test(test_driver_lookup),
	};
	const struct CMUnitTest file_tests[] = {
		cmocka_unit_test(test_restricted),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_last_entry_is_text),
		cmocka_unit_test(test_unsorted_input),
		cmocka_unit_test(test_random_against_reference),
		cmocka_unit_test(test_null_safety),
		cmocka_unit_test(test_proc_kallsyms),
	};
	const char *env = getenv("HMMSCOPE_TESTDATA");
	int failed;

	if (argc > 1)
		datadir = argv[1];
	else if (env && *env)
		datadir = env;

	failed = cmocka_run_group_tests_name("ksyms_fixture", fixture_tests, group_setup,
					     group_teardown);
	failed += cmocka_run_group_tests_name("ksyms_files", file_tests, NULL, NULL);
	return failed ? 1 : 0;
}
