// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests for cause stacks (record --stacks): the HMM_REC_STACK record built from addresses
 * and kallsyms, written and read back through a trace file, corrupt and truncated stack records,
 * and the report by stack (tools/hmmtrace/stacks.c): grouping, JSON and folded lines, exactly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/format.h"
#include "lib/stacktab.h"
#include "lib/stats.h"
#include "lib/trace.h"
#include "stacks.h"

/* A kallsyms: the BPF program (leading, dropped), the notifier and three callers. */
static const char kallsyms[] = "ffffffff81000000 T _stext\n"
			       "ffffffff81100000 T __mmu_notifier_invalidate_range_start\n"
			       "ffffffff81100400 T zap_page_range_single\n"
			       "ffffffff81100800 T do_madvise\n"
			       "ffffffff81100c00 T change_protection\n"
			       "ffffffff81101000 T do_mprotect_pkey\n"
			       "ffffffff81101400 T entry_SYSCALL_64\n"
			       "ffffffff81200000 T _etext\n"
			       "ffffffffa0001000 t bpf_prog_6deef7357e7b4530_fentry_start\t[bpf]\n";

/* The group's state: that kallsyms, loaded once for every test that names frames. */
static int ksyms_setup(void **state)
{
	char path[] = "/tmp/test_stacks.XXXXXX";
	int fd = mkstemp(path);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, kallsyms, sizeof(kallsyms) - 1);
	close(fd);
	*state = n == (ssize_t)sizeof(kallsyms) - 1 ? hmm_ksyms__load(path) : NULL;
	unlink(path);
	return *state ? 0 : -1;
}

static int ksyms_teardown(void **state)
{
	hmm_ksyms__free(*state);
	return 0;
}

union stack_buf {
	struct hmm_rec_stack rec;
	char room[sizeof(struct hmm_rec_stack) + HMM_STACK_DEPTH * sizeof(struct hmm_stack_frame)];
};

/* madvise: BPF program, an unnamed trampoline, the notifier, zap, do_madvise, syscall entry. */
static const __u64 madvise_ips[] = {
	0xffffffffa0001010, 0xffffffffa0009612, 0xffffffff81100009,
	0xffffffff811004de, 0xffffffff81100a00, 0xffffffff8110144b,
};
static const __u64 mprotect_ips[] = {
	0xffffffff81100009, 0xffffffff81100ce9, 0xffffffff8110133a, 0xffffffff8110144b,
};

static void test_fill(void **state)
{
	struct hmm_ksyms *ks = *state;
	union stack_buf b;
	char s[96];

	hmm_rec_stack_fill(&b.rec, 8, madvise_ips, 6, ks);
	assert_int_equal(b.rec.hdr.type, HMM_REC_STACK);
	assert_int_equal(b.rec.stack, 8);
	/* The two leading tracer frames are left out. */
	assert_int_equal(b.rec.depth, 4);
	assert_int_equal(b.rec.hdr.size, 24 + 4 * 64);
	assert_int_equal(hmm_rec_stack_depth(&b.rec), 4);
	assert_string_equal(b.rec.frame[0].name, "__mmu_notifier_invalidate_range_start");
	assert_int_equal(b.rec.frame[0].offset, 9);
	assert_int_equal(b.rec.frame[0].addr, 0xffffffff81100009);
	assert_string_equal(hmm_stack_frame_str(&b.rec.frame[1], true, s, sizeof(s)),
			    "zap_page_range_single+0xde");
	assert_string_equal(hmm_stack_frame_str(&b.rec.frame[2], false, s, sizeof(s)), "do_madvise");
	assert_string_equal(b.rec.frame[3].name, "entry_SYSCALL_64");
	/* No symbols at all (kallsyms restricted): every frame kept, as addresses. */
	hmm_rec_stack_fill(&b.rec, 8, madvise_ips, 6, NULL);
	assert_int_equal(b.rec.depth, 6);
	assert_string_equal(hmm_stack_frame_str(&b.rec.frame[1], true, s, sizeof(s)),
			    "0xffffffffa0009612");
	/* At most HMM_STACK_DEPTH frames. */
	{
		__u64 many[HMM_STACK_DEPTH + 5];

		for (int i = 0; i < HMM_STACK_DEPTH + 5; i++)
			many[i] = 0xffffffff81100009;
		hmm_rec_stack_fill(&b.rec, 9, many, HMM_STACK_DEPTH + 5, ks);
		assert_int_equal(b.rec.depth, HMM_STACK_DEPTH);
	}
}

/* One line per stack: hmmtop's arrows (innermost first, the notifier frames left out, names made
 * safe for a terminal) and the folded format (outermost first, separators made '_'), each cut
 * where its buffer ends. */
static void test_join(void **state)
{
	struct hmm_ksyms *ks = *state;
	union stack_buf b;
	char s[256];

	hmm_rec_stack_fill(&b.rec, 8, madvise_ips, 6, ks);
	assert_int_equal(hmm_stack_join(&b.rec, HMM_STACK_ARROWS, s, sizeof(s)), 4);
	assert_string_equal(s, "zap_page_range_single < do_madvise < entry_SYSCALL_64");
	assert_int_equal(hmm_stack_join(&b.rec, HMM_STACK_FOLDED, s, sizeof(s)), 4);
	assert_string_equal(s, "entry_SYSCALL_64;do_madvise;zap_page_range_single;"
			       "__mmu_notifier_invalidate_range_start");
	/* Cut where the buffer ends, terminated. */
	assert_int_equal(hmm_stack_join(&b.rec, HMM_STACK_ARROWS, s, 16), 4);
	assert_string_equal(s, "zap_page_range_");
	assert_int_equal(hmm_stack_join(&b.rec, HMM_STACK_FOLDED, s, 20), 4);
	assert_string_equal(s, "entry_SYSCALL_64;do");
	/* A damaged file's names: an escape sequence, a separator, a space. */
	strcpy(b.rec.frame[1].name, "zap\x1b[2Jx");
	strcpy(b.rec.frame[2].name, "do;mad vise");
	assert_int_equal(hmm_stack_join(&b.rec, HMM_STACK_ARROWS, s, sizeof(s)), 4);
	assert_string_equal(s, "zap?[2Jx < do;mad vise < entry_SYSCALL_64");
	hmm_stack_join(&b.rec, HMM_STACK_FOLDED, s, sizeof(s));
	assert_string_equal(s, "entry_SYSCALL_64;do_mad_vise;zap_[2Jx;"
			       "__mmu_notifier_invalidate_range_start");
	/* Only notifier frames: the last one stays. No frames: "". */
	b.rec.depth = 1;
	b.rec.hdr.size = hmm_rec_stack_size(1);
	assert_int_equal(hmm_stack_join(&b.rec, HMM_STACK_ARROWS, s, sizeof(s)), 1);
	assert_string_equal(s, "__mmu_notifier_invalidate_range_start");
	assert_int_equal(hmm_stack_join(NULL, HMM_STACK_FOLDED, s, sizeof(s)), 0);
	assert_string_equal(s, "");
}

/* Depth is trusted only as far as the record's size holds frames; names end inside the field. */
static void test_corrupt(void **state)
{
	struct hmm_stacktab *st = hmm_stacktab__new();
	const struct hmm_rec_stack *got;
	union stack_buf b;

	(void)state;
	memset(&b, 'x', sizeof(b));
	b.rec.hdr.type = HMM_REC_STACK;
	b.rec.stack = 5;
	b.rec.depth = 60000;
	b.rec.hdr.size = 24 + 2 * 64 + 63; /* two whole frames and part of a third */
	assert_int_equal(hmm_rec_stack_depth(&b.rec), 2);
	b.rec.hdr.size = 0xffff;
	assert_int_equal(hmm_rec_stack_depth(&b.rec), HMM_STACK_DEPTH);
	b.rec.hdr.size = 20; /* shorter than the struct */
	assert_int_equal(hmm_rec_stack_depth(&b.rec), 0);
	b.rec.hdr.size = 24 + 2 * 64;
	assert_int_equal(hmm_stacktab__add(st, &b.rec), 0);
	got = hmm_stacktab__get(st, 5);
	assert_non_null(got);
	assert_int_equal(got->depth, 2);
	assert_int_equal(strlen(got->frame[1].name), sizeof(got->frame[1].name) - 1);
	/* A stack seen again keeps its first frames; stack 0 is "none". */
	b.rec.depth = 1;
	assert_int_equal(hmm_stacktab__add(st, &b.rec), 0);
	assert_int_equal(hmm_stacktab__get(st, 5)->depth, 2);
	b.rec.stack = 0;
	assert_int_equal(hmm_stacktab__add(st, &b.rec), 0);
	assert_null(hmm_stacktab__get(st, 0));
	assert_int_equal(hmm_stacktab__count(st), 1);
	hmm_stacktab__free(st);
}

static void fault_rec(struct hmm_rec_fault *f, __u64 ts, __u64 dur, int ret, __u8 event,
		      __u32 stack)
{
	memset(f, 0, sizeof(*f));
	f->hdr = (struct hmm_rec_hdr){.type = HMM_REC_FAULT, .size = sizeof(*f), .ts = ts};
	f->dur_ns = dur;
	f->ret = ret;
	f->npages = 1;
	f->attempt = 1;
	f->caller.pid = f->caller.tid = f->owner.pid = 7;
	if (ret == -16) {
		f->cause.found = 1;
		f->cause.event = event;
		f->cause.stack = stack;
	}
}

/* Written before the records naming them, read back: the reader's table has the same frames. */
static void test_file_roundtrip(void **state)
{
	struct hmm_trace_writer_opts o = {.sz = sizeof(o)};
	struct hmm_trace_meta m = {.ncpus = 1, .page_size = 4096};
	char path[] = "/tmp/test_stacks.XXXXXX";
	struct hmm_ksyms *ks = *state;
	const struct hmm_rec_stack *got;
	const struct hmm_rec_hdr *rec;
	struct hmm_trace_writer *w;
	struct hmm_trace_reader *r;
	struct hmm_rec_fault f;
	union stack_buf b;
	int fd = mkstemp(path), err, n = 0, faults = 0;

	assert_true(fd >= 0);
	close(fd);
	for (int coding = HMM_TRACE_CODING_DELTA; coding <= HMM_TRACE_CODING_PLAIN; coding++) {
		o.coding = coding;
		w = hmm_trace_writer__open(path, &m, &o);
		assert_non_null(w);
		hmm_rec_stack_fill(&b.rec, 8, madvise_ips, 6, ks);
		b.rec.hdr.ts = 100;
		assert_int_equal(hmm_trace_writer__add(w, &b.rec.hdr), 0);
		fault_rec(&f, 100, 1000, -16, HMM_EV_CLEAR, 8);
		assert_int_equal(hmm_trace_writer__add(w, &f.hdr), 0);
		hmm_rec_stack_fill(&b.rec, 3, mprotect_ips, 4, ks);
		b.rec.hdr.ts = 200;
		assert_int_equal(hmm_trace_writer__add(w, &b.rec.hdr), 0);
		fault_rec(&f, 200, 2000, -16, HMM_EV_PROTECTION_VMA, 3);
		assert_int_equal(hmm_trace_writer__add(w, &f.hdr), 0);
		assert_int_equal(hmm_trace_writer__close(w), 0);

		r = hmm_trace_reader__open(path, &err);
		assert_non_null(r);
		n = faults = 0;
		while (hmm_trace_reader__next(r, &rec) > 0) {
			n++;
			if (rec->type != HMM_REC_FAULT)
				continue;
			/* Its stack is known by the time the record naming it comes. */
			got = hmm_stacktab__get(hmm_trace_reader__stacks(r),
						((const struct hmm_rec_fault *)rec)->cause.stack);
			assert_non_null(got);
			faults++;
		}
		assert_int_equal(n, 4);
		assert_int_equal(faults, 2);
		got = hmm_stacktab__get(hmm_trace_reader__stacks(r), 3);
		assert_int_equal(got->depth, 4);
		assert_string_equal(got->frame[1].name, "change_protection");
		assert_int_equal(got->frame[1].offset, 0xe9);
		assert_int_equal(hmm_stacktab__count(hmm_trace_reader__stacks(r)), 2);
		hmm_trace_reader__close(r);
	}
	unlink(path);
}

/* A table of three stacks: madvise (8), mprotect (3), and 4 whose functions are madvise's at
 * other offsets (folded together with 8); stack 6 is named by causes but never recorded. */
static struct hmm_stacktab *table(struct hmm_ksyms *ks)
{
	struct hmm_stacktab *st = hmm_stacktab__new();
	__u64 other[6];
	union stack_buf b;

	hmm_rec_stack_fill(&b.rec, 8, madvise_ips, 6, ks);
	assert_int_equal(hmm_stacktab__add(st, &b.rec), 0);
	hmm_rec_stack_fill(&b.rec, 3, mprotect_ips, 4, ks);
	assert_int_equal(hmm_stacktab__add(st, &b.rec), 0);
	memcpy(other, madvise_ips, sizeof(other));
	other[4] += 8;
	hmm_rec_stack_fill(&b.rec, 4, other, 6, ks);
	assert_int_equal(hmm_stacktab__add(st, &b.rec), 0);
	return st;
}

static void add_chain(struct hmm_stats *s, __u64 ts, __u64 dur, __u32 stack)
{
	struct hmm_rec_chain c = {.hdr = {.type = HMM_REC_CHAIN, .size = sizeof(c), .ts = ts}};

	c.dur_ns = dur;
	c.attempts = 2;
	c.busy = 1;
	c.caller.pid = c.caller.tid = c.owner.pid = 7;
	c.cause.found = 1;
	c.cause.event = HMM_EV_CLEAR;
	c.cause.stack = stack;
	assert_int_equal(hmm_stats__add(s, &c.hdr), 0);
}

static char *folded(const struct hmm_stats *s, const struct hmm_stacktab *st,
		    enum stacks_folded what)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(stacks_folded(f, s, st, what), 0);
	fclose(f);
	return buf;
}

static void test_report(void **state)
{
	struct hmm_ksyms *ks = *state;
	struct hmm_stacktab *st = table(ks);
	struct hmm_stats_opts o = {.sz = sizeof(o), .stacks = st, .stall_ns = 1000000};
	struct hmm_stats *s = hmm_stats__new(&o);
	const struct hmm_stats_stack **arr;
	struct hmm_rec_fault f;
	json_t *j;
	char *out;
	size_t n;

	/* Retries: 3 on madvise (8), 1 on its twin (4), 2 on mprotect (3), 1 on the unrecorded 6,
	 * 1 with no stack; a success, which has no cause. */
	static const struct { __u32 stack; __u64 dur; } busy[] = {
		{8, 100}, {3, 1000}, {8, 200}, {4, 50}, {3, 3000}, {6, 7}, {0, 5}, {8, 300},
	};
	for (size_t i = 0; i < sizeof(busy) / sizeof(busy[0]); i++) {
		fault_rec(&f, 10 + i, busy[i].dur, -16, HMM_EV_CLEAR, busy[i].stack);
		assert_int_equal(hmm_stats__add(s, &f.hdr), 0);
	}
	fault_rec(&f, 30, 40, 0, 0, 0);
	assert_int_equal(hmm_stats__add(s, &f.hdr), 0);
	/* Chains: two ended by madvise, one of them a stall (2 ms, threshold 1 ms); one by 3. */
	add_chain(s, 40, 5000, 8);
	add_chain(s, 41, 2000000, 8);
	add_chain(s, 42, 4000, 3);
	assert_ptr_equal(hmm_stats__stacktab(s), st);

	arr = stacks_sorted(s, &n);
	assert_int_equal(n, 4);
	assert_int_equal(arr[0]->stack, 8);
	assert_int_equal(arr[0]->retries, 3);
	assert_int_equal(arr[0]->lost_ns, 600);
	assert_int_equal(arr[0]->chains, 2);
	assert_int_equal(arr[0]->stalls, 1);
	assert_int_equal(arr[1]->stack, 3);
	assert_int_equal(arr[1]->retries, 2);
	assert_int_equal(arr[1]->lost_ns, 4000);
	assert_int_equal(arr[1]->chains, 1);
	assert_int_equal(arr[1]->stalls, 0);
	/* Equal retries: more time first. */
	assert_int_equal(arr[2]->stack, 4);
	assert_int_equal(arr[3]->stack, 6);
	assert_int_equal(arr[3]->lost_ns, 7);
	free(arr);

	out = folded(s, st, FOLDED_RETRIES);
	assert_string_equal(out,
			    "[stack 6] 1\n"
			    "entry_SYSCALL_64;do_madvise;zap_page_range_single;"
			    "__mmu_notifier_invalidate_range_start 4\n"
			    "entry_SYSCALL_64;do_mprotect_pkey;change_protection;"
			    "__mmu_notifier_invalidate_range_start 2\n");
	free(out);
	out = folded(s, st, FOLDED_TIME);
	assert_string_equal(out,
			    "[stack 6] 7\n"
			    "entry_SYSCALL_64;do_madvise;zap_page_range_single;"
			    "__mmu_notifier_invalidate_range_start 650\n"
			    "entry_SYSCALL_64;do_mprotect_pkey;change_protection;"
			    "__mmu_notifier_invalidate_range_start 4000\n");
	free(out);

	j = stacks_json(s, st, true);
	assert_int_equal(json_array_size(j), 4);
	out = json_dumps(json_array_get(j, 1), JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(out, "{\"stack\":3,\"retries\":2,\"lost_ns\":4000,\"chains\":1,\"stalls\":0,"
				 "\"frames\":[\"__mmu_notifier_invalidate_range_start+0x9\","
				 "\"change_protection+0xe9\",\"do_mprotect_pkey+0x33a\","
				 "\"entry_SYSCALL_64+0x4b\"]}");
	free(out);
	out = json_dumps(json_object_get(json_array_get(j, 3), "frames"), JSON_ENCODE_ANY);
	assert_string_equal(out, "null");
	free(out);
	json_decref(j);

	hmm_stats__free(s);
	hmm_stacktab__free(st);
}

/* Without stacks: no section, no lines, no JSON. */
static void test_report_none(void **state)
{
	struct hmm_stats *s = hmm_stats__new(NULL);
	struct hmm_rec_fault f;
	char *out;
	size_t n;

	(void)state;
	fault_rec(&f, 1, 10, -16, HMM_EV_CLEAR, 0);
	assert_int_equal(hmm_stats__add(s, &f.hdr), 0);
	assert_null(stacks_sorted(s, &n));
	assert_int_equal(n, 0);
	assert_null(stacks_json(s, NULL, true));
	out = folded(s, NULL, FOLDED_RETRIES);
	assert_string_equal(out, "");
	free(out);
	hmm_stats__free(s);
}

/* stat --stacks: counts from the kernel, added per stack; no chains or stalls in its JSON. */
static void test_stat_counts(void **state)
{
	struct hmm_stats *s = hmm_stats__new(NULL);
	char *out;
	json_t *j;

	(void)state;
	assert_int_equal(hmm_stats__stack_add(s, 8, 3, 600), 0);
	assert_int_equal(hmm_stats__stack_add(s, 3, 5, 100), 0);
	assert_int_equal(hmm_stats__stack_add(s, 8, 1, 50), 0);
	assert_int_equal(hmm_stats__stack_add(s, 0, 9, 9), 0); /* no stack: not a group */
	assert_int_equal(s->n_stacks, 2);
	j = stacks_json(s, NULL, false);
	out = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(out, "[{\"stack\":3,\"retries\":5,\"lost_ns\":100,\"frames\":null},"
				 "{\"stack\":8,\"retries\":4,\"lost_ns\":650,\"frames\":null}]");
	free(out);
	json_decref(j);
	hmm_stats__free(s);
}

/* A cause's JSON and text name its stack only when it has one. */
static void test_cause_fmt(void **state)
{
	struct hmm_ksyms *ks = *state;
	struct hmm_stacktab *st = table(ks);
	struct hmm_fmt fmt = {.stacks = st};
	struct hmm_cause c = {.found = 1, .event = HMM_EV_CLEAR, .stack = 8};
	char buf[128];
	json_t *j;

	j = hmm_json_cause(&fmt, &c);
	assert_int_equal(json_integer_value(json_object_get(j, "stack")), 8);
	assert_int_equal(json_array_size(json_object_get(j, "frames")), 4);
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "frames"), 2)),
			    "do_madvise+0x200");
	json_decref(j);
	hmm_text_cause(buf, sizeof(buf), &c);
	assert_non_null(strstr(buf, " stack=8"));
	c.stack = 0;
	j = hmm_json_cause(&fmt, &c);
	assert_null(json_object_get(j, "stack"));
	assert_null(json_object_get(j, "frames"));
	json_decref(j);
	hmm_text_cause(buf, sizeof(buf), &c);
	assert_null(strstr(buf, "stack"));
	hmm_stacktab__free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fill),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_file_roundtrip),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_report_none),
		cmocka_unit_test(test_stat_counts),
		cmocka_unit_test(test_cause_fmt),
	};

	return cmocka_run_group_tests(tests, ksyms_setup, ksyms_teardown);
}
