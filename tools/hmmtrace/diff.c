// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hmmtrace diff A B: two recordings side by side, as `perf diff` compares two perf.data files.
 * Each file is read once into a struct hmm_stats, as report reads one (trace_stats_load()); the
 * lines and their changes come from diff_lines.c, this file only writes them.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "hmmtrace.h"
#include "diff_lines.h"
#include "hist.h"
#include "output.h"
#include "stats.h"
#include "trace.h"

static const struct tool_opt diff_opts[] = {
	OPT_JSON("one JSON document (fields in hmmtrace(8))"),
	OPT_OUTPUT("FILE", "write to FILE (whole, or not at all) instead of standard\noutput"),
	TOOL_OPT(0, "min-change", "PCT", "leave out lines that changed by less than PCT per cent",
		 tool_opt_double, min_change, .max = 1000000000ULL),
	TOOL_OPT(0, "limit", "N", "only the N lines that changed most", tool_opt_u64, limit,
		 .min = 1, .max = 1000000),
	OPT_HELP,
	OPT_END,
};

static const struct tool_cmd diff_cmd = {
	.prog = "hmmtrace diff",
	.usage = "Usage: hmmtrace diff [--json] [-o FILE] [--min-change PCT] [--limit N] A B\n",
	.about = "Compare two recordings (hmmtrace record), as perf diff does: fault and\n"
		 "retry chain latency percentiles, -EBUSY per call and retries, migration GB/s\n"
		 "and pages per direction, invalidations per second by event, and the top owners\n"
		 "and drivers. Each line shows A, B and the change, the largest change first.",
	.opts = diff_opts,
	.epilogue = "The change is (B - A) / A; 'new': A was 0, 'gone': B is 0. Lines 0 in both\n"
		    "are left out. Recordings of other hosts or kernels are compared too, and\n"
		    "the header says so. See hmmtrace(8), DIFF.\n",
};

struct diff_in {
	const char *path;
	struct trace_stats t;
	struct diff_side side;
};

/* What a damaged or cut-short file lost (warn_damage() said it on stderr too). */
static void text_damage(FILE *f, const struct hmm_trace_read_stats *st)
{
	if (st->bad_chunks)
		fprintf(f, "   damaged: %llu chunks (%llu bytes) skipped\n",
			(unsigned long long)st->bad_chunks,
			(unsigned long long)st->bad_chunk_bytes);
	if (!st->clean)
		fprintf(f, "   not closed cleanly: %llu bytes after the last complete chunk lost\n",
			(unsigned long long)st->truncated_bytes);
	if (st->dup_chunks)
		fprintf(f, "   %llu copied chunks skipped\n", (unsigned long long)st->dup_chunks);
}

static void text_side(FILE *f, const char *which, const struct diff_in *in)
{
	const struct hmm_trace_meta *m = in->t.m;
	const struct hmm_stats *s = in->t.s;
	__u64 lost = s->c[HMM_C_RINGBUF_DROPS];
	char p[PATH_MAX], t[HMM_TRACE_CMD_LEN], d[16];

	/* Everything from the file is text anyone could choose: through hmm_term_str(). */
	fprintf(f, "%s: %s\n", which, hmm_term_str(p, sizeof(p), in->path, strlen(in->path)));
	fprintf(f, "   %s, ",
		m->host[0] ? hmm_term_str(t, sizeof(t), m->host, sizeof(m->host)) : "?");
	fprintf(f, "kernel %s, %u CPUs\n",
		m->release[0] ? hmm_term_str(t, sizeof(t), m->release, sizeof(m->release)) : "?",
		m->ncpus);
	hmm_fmt_duration(d, sizeof(d), diff_duration_ns(s));
	fprintf(f, "   %llu events over %s, lost %llu%s\n",
		(unsigned long long)(s->records - s->per_type[HMM_REC_LOST]), d,
		(unsigned long long)lost,
		lost ? " (the ring buffer was full: its counts are short)" : "");
	report_not_live(f, "   ", m);
	text_damage(f, hmm_trace_reader__stats(in->t.r));
}

static bool same_str(const char *x, const char *y, size_t n)
{
	return !strncmp(x, y, n);
}

static void text_diff(FILE *f, const struct diff_in in[2], const struct diff_result *res)
{
	const struct hmm_trace_meta *ma = in[0].t.m, *mb = in[1].t.m;
	bool host = same_str(ma->host, mb->host, sizeof(ma->host));
	bool kernel = same_str(ma->release, mb->release, sizeof(ma->release));
	char h[2][HMM_TRACE_HOST_LEN], k[2][HMM_TRACE_RELEASE_LEN];

	text_side(f, "A", &in[0]);
	text_side(f, "B", &in[1]);
	hmm_term_str(h[0], sizeof(h[0]), ma->host, sizeof(ma->host));
	hmm_term_str(h[1], sizeof(h[1]), mb->host, sizeof(mb->host));
	hmm_term_str(k[0], sizeof(k[0]), ma->release, sizeof(ma->release));
	hmm_term_str(k[1], sizeof(k[1]), mb->release, sizeof(mb->release));
	if (!host && !kernel)
		fprintf(f, "note: different hosts (%s, %s) and kernels (%s, %s): a change may be "
			   "the machine's\n",
			h[0], h[1], k[0], k[1]);
	else if (!host)
		fprintf(f, "note: different hosts (%s, %s), the same kernel\n", h[0], h[1]);
	else if (!kernel)
		fprintf(f, "note: different kernels (%s, %s), the same host\n", k[0], k[1]);

	fprintf(f, "\n%-40s %12s %12s %11s\n", "LINE", "A", "B", "CHANGE");
	for (size_t i = 0; i < res->n; i++) {
		const struct diff_line *l = &res->lines[i];
		char label[96], a[32], b[32], c[32];

		fprintf(f, "%-40s %12s %12s %11s\n", diff_label(label, sizeof(label), l),
			diff_value_str(a, sizeof(a), l->row->unit, l->a),
			diff_value_str(b, sizeof(b), l->row->unit, l->b),
			diff_change_str(c, sizeof(c), l));
	}
	if (!res->n && !res->n_hidden)
		fprintf(f, "(no lines: neither recording has what diff compares)\n");
	if (res->n_hidden)
		fprintf(f, "(%zu more lines left out: --min-change, --limit)\n", res->n_hidden);
}

/* ---- JSON ---------------------------------------------------------------------------------- */

static json_t *j_side(const struct diff_in *in)
{
	const struct hmm_trace_read_stats *st = hmm_trace_reader__stats(in->t.r);
	json_t *o = json_object(), *d = json_object();
	struct hmm_hist h;

	json_object_set_new(o, "file", hmm_json_str(in->path, strlen(in->path)));
	report_json_head(o, in->t.s, in->t.m);
	json_object_set_new(d, "clean", json_boolean(st->clean));
	json_object_set_new(d, "bad_chunks", hmm_json_u64(st->bad_chunks));
	json_object_set_new(d, "bad_chunk_bytes", hmm_json_u64(st->bad_chunk_bytes));
	json_object_set_new(d, "truncated_bytes", hmm_json_u64(st->truncated_bytes));
	json_object_set_new(d, "dup_chunks", hmm_json_u64(st->dup_chunks));
	json_object_set_new(d, "unknown_records", hmm_json_u64(st->unknown_records));
	json_object_set_new(o, "damage", d);
	hmm_stats__metric(in->t.s, HMM_M_FAULT_NS, -1, &h);
	json_object_set_new(o, "latency_ns", hmm_json_hist(&h, false));
	hmm_stats__metric(in->t.s, HMM_M_CHAIN_NS, -1, &h);
	json_object_set_new(o, "chain_latency_ns", hmm_json_hist(&h, false));
	return o;
}

/* Durations and counts are integers, the rest real numbers. */
static json_t *j_value(enum diff_unit u, double v)
{
	return u == DIFF_NS || u == DIFF_COUNT ? hmm_json_u64((__u64)v) : json_real(v);
}

static json_t *j_line(const struct diff_line *l)
{
	json_t *o = json_object();

	json_object_set_new(o, "metric", json_string(l->row->key));
	switch (l->row->dim) {
	case DIFF_ONE:
		break;
	case DIFF_BY_DIR:
		json_object_set_new(o, "direction", json_string(hmm_dir_str(l->idx)));
		break;
	case DIFF_BY_EVENT:
		json_object_set_new(o, "event", json_string(hmm_event_str(l->idx)));
		break;
	case DIFF_BY_OWNER:
		json_object_set_new(o, "owner", hmm_json_str(l->name, sizeof(l->name)));
		break;
	case DIFF_BY_DRIVER:
		json_object_set_new(o, "driver", hmm_json_str(l->name, sizeof(l->name)));
		break;
	}
	json_object_set_new(o, "unit", json_string(diff_unit_str(l->row->unit)));
	json_object_set_new(o, "a", j_value(l->row->unit, l->a));
	json_object_set_new(o, "b", j_value(l->row->unit, l->b));
	/* From 0 the change has no finite value: null, and the trend says "up". */
	json_object_set_new(o, "change_pct", isinf(l->change) ? json_null() : json_real(l->change));
	json_object_set_new(o, "trend", json_string(diff_trend(l)));
	return o;
}

static json_t *j_diff(const struct diff_in in[2], const struct diff_result *res)
{
	const struct hmm_trace_meta *ma = in[0].t.m, *mb = in[1].t.m;
	json_t *o = json_object(), *a = json_array();

	json_object_set_new(o, "a", j_side(&in[0]));
	json_object_set_new(o, "b", j_side(&in[1]));
	json_object_set_new(o, "same_host", json_boolean(same_str(ma->host, mb->host,
								    sizeof(ma->host))));
	json_object_set_new(o, "same_kernel", json_boolean(same_str(ma->release, mb->release,
								      sizeof(ma->release))));
	for (size_t i = 0; i < res->n; i++)
		json_array_append_new(a, j_line(&res->lines[i]));
	json_object_set_new(o, "lines", a);
	json_object_set_new(o, "hidden", hmm_json_u64(res->n_hidden));
	return o;
}

/* ---- diff A B ------------------------------------------------------------------------------ */

int cmd_diff(int argc, char **argv)
{
	struct diff_in in[2] = { 0 };
	struct diff_result res = { 0 };
	struct tool_opts to = { 0 };
	struct diff_opts dopts;
	struct tool_out out = { 0 };
	int first, status = EXIT_OK, err;

	first = cmd_parse(&diff_cmd, argc, argv, &to, 2, &status);
	if (first < 0)
		return status;
	if (argc - first != 2) {
		tool_err("diff: two recordings are needed, A and B (see --help)");
		return EXIT_USAGE;
	}
	/* Before reading: a bad -o is said at once, not after two long files. */
	if (tool_out_open(&out, to.output))
		return EXIT_PARTIAL;
	for (int i = 0; i < 2 && status == EXIT_OK; i++) {
		in[i].path = argv[first + i];
		status = trace_stats_load(&in[i].t, "diff", in[i].path, 0);
		in[i].side = (struct diff_side){ .s = in[i].t.s, .m = in[i].t.m };
	}
	if (status != EXIT_OK)
		goto cleanup;
	dopts = (struct diff_opts){ .min_change = to.min_change, .limit = to.limit };
	err = diff_compute(&in[0].side, &in[1].side, &dopts, &res);
	if (err) {
		tool_err("diff: out of memory");
		status = EXIT_PARTIAL;
		goto cleanup;
	}
	if (to.json) {
		json_t *o = j_diff(in, &res);

		if (!o) {
			tool_err("diff: out of memory");
			status = EXIT_PARTIAL;
		} else if (json_dumpf(o, out.f, JSON_INDENT(1) | JSON_PRESERVE_ORDER) ||
			   fputc('\n', out.f) == EOF) {
			out.err = -errno; /* the write's own errno, for tool_out_close() to say */
			status = EXIT_PARTIAL;
		}
		json_decref(o);
	} else {
		text_diff(out.f, in, &res);
	}
cleanup:
	if (out.f && tool_out_close(&out, status == EXIT_OK))
		status = EXIT_PARTIAL;
	diff_result_free(&res);
	for (int i = 0; i < 2; i++)
		trace_stats_free(&in[i].t);
	return status;
}
