// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hmmtrace heatmap: latency over time as a self-contained SVG, one panel per record type that has
 * one (its descriptor's heat title, lib/rec.h: faults, retry chains, read_begin waits, migrations,
 * invalidations, userfaults), Brendan Gregg's latency heat maps: time across in equal columns,
 * latency up in power-of-two rows, colour by how many events fell in the cell. Bimodal tails show
 * as two bands, periodic stalls as repeating hot columns.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hmmtrace.h"
#include "hist.h"
#include "rec.h"
#include "trace.h"

#define ROWS	  41 /* latency octaves: [2^r, 2^(r+1)) ns, r = 0 .. 40 (the last is "more") */
#define PANELS	  HMM_REC_TYPE_MAX /* at most one per record type */
#define MAX_COLS  2000
#define HEATMAP_MAX_COLS "2000" /* MAX_COLS, for --help */
#define CELL_H	  12
#define LEFT	  70  /* room for the latency axis */
#define TOP	  30
#define PANEL_GAP 50

struct heatmap {
	unsigned int cols;
	int n_panels;
	const struct hmm_rec_desc *panel[PANELS]; /* in type order */
	int panel_of[HMM_REC_TYPE_MAX];		  /* a type's panel, or -1 */
	__u64 t0, t1;		      /* time range of the events (t0 may be 0: a record can say so) */
	__u64 n;		      /* samples pass one saw: pass two draws at most these */
	__u64 *cell[PANELS];	      /* [col * ROWS + row] */
	__u64 total[PANELS];
	int lo[PANELS], hi[PANELS];   /* rows in use */
};

static const struct tool_opt heatmap_opts[] = {
	OPT_TRACE_INPUT,
	OPT_OUTPUT("OUT", "the SVG file to write"),
	TOOL_OPT('c', "columns", "N", "time columns (default 100, at most " HEATMAP_MAX_COLS ")",
		 tool_opt_u64, columns, .min = 1, .max = MAX_COLS),
	OPT_HELP,
	OPT_VERSION,
	OPT_END,
};

static const struct tool_cmd heatmap_cmd = {
	.prog = "hmmtrace heatmap",
	.usage = "Usage: hmmtrace heatmap -i FILE -o OUT.svg [--columns N]\n",
	.about = "Draw a latency heatmap of a recording as a self-contained SVG: time across (N\n"
		 "equal columns), latency up (one row per power of two), colour by event count;\n"
		 "one panel per event type with a duration (faults, retry chains, read_begin\n"
		 "waits, migrations, invalidations, userfaults).",
	.opts = heatmap_opts,
};

/* Which panel and latency a record contributes, or -1. */
static int sample(const struct heatmap *h, const struct hmm_rec_hdr *rec, __u64 *lat)
{
	const struct hmm_rec_desc *d = hmm_rec_desc(rec->type);

	if (!d || h->panel_of[rec->type] < 0)
		return -1;
	*lat = d->dur(rec);
	return h->panel_of[rec->type];
}

static int row_of(__u64 v)
{
	int r = v ? 63 - __builtin_clzll(v) : 0;

	return r < ROWS - 1 ? r : ROWS - 1;
}

/* Empty cells are light grey, so every column shows; counts go from pale yellow to dark red on
 * a log scale of the panel's largest cell. */
static void colour(char *buf, size_t n, __u64 count, __u64 max)
{
	double x;

	if (!count) {
		snprintf(buf, n, "#eeeeee");
		return;
	}
	x = max > 1 ? log((double)count) / log((double)max) : 1.0;
	snprintf(buf, n, "rgb(%d,%d,%d)", 255 - (int)(x * 80), 230 - (int)(x * 200),
		 150 - (int)(x * 150));
}

static void axis_label(char *buf, size_t n, int row)
{
	if (row >= ROWS - 1)
		snprintf(buf, n, "more");
	else
		hmm_fmt_duration(buf, n, 1ULL << row);
}

/* Text content: the command line may hold XML specials. */
static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else if ((unsigned char)*s >= 0x20)
			fputc(*s, f);
	}
}

static void write_svg(const struct heatmap *h, FILE *f, const char *title, __u64 lost)
{
	unsigned int cw = h->cols <= 100 ? 8 : h->cols <= 400 ? 3 : 2;
	unsigned int width = LEFT + h->cols * cw + 20, height = TOP, y;
	char c[48], lbl[16];
	int p, r;

	for (p = 0; p < h->n_panels; p++)
		height += (h->hi[p] - h->lo[p] + 1) * CELL_H + PANEL_GAP;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" "
		   "viewBox=\"0 0 %u %u\" font-family=\"sans-serif\" font-size=\"10\">\n"
		   "<rect x=\"0\" y=\"0\" width=\"%u\" height=\"%u\" fill=\"#ffffff\"/>\n",
		width, height, width, height, width, height);
	fprintf(f, "<text x=\"%d\" y=\"14\" font-size=\"12\">", LEFT);
	xml_text(f, title);
	fprintf(f, " &#8212; %.3f s, %u columns of %.3f ms, %llu events lost%s</text>\n",
		(h->t1 - h->t0) / 1e9, h->cols, (h->t1 - h->t0) / 1e6 / h->cols,
		(unsigned long long)lost, lost ? " (the ring buffer was full: cells are short)" : "");
	y = TOP;
	for (p = 0; p < h->n_panels; p++) {
		__u64 max = 0;
		int rows = h->hi[p] - h->lo[p] + 1;

		for (unsigned int k = 0; k < h->cols * ROWS; k++)
			if (h->cell[p][k] > max)
				max = h->cell[p][k];
		fprintf(f, "<g class=\"panel\" id=\"panel%d\">\n<text x=\"%d\" y=\"%u\">%s (%llu "
			"events)</text>\n", p, LEFT, y + 10, h->panel[p]->heat,
			(unsigned long long)h->total[p]);
		y += 16;
		for (r = h->hi[p]; r >= h->lo[p]; r--) {
			unsigned int ry = y + (h->hi[p] - r) * CELL_H;

			axis_label(lbl, sizeof(lbl), r);
			fprintf(f, "<text x=\"%d\" y=\"%u\" text-anchor=\"end\">%s</text>\n",
				LEFT - 4, ry + CELL_H - 2, lbl);
			for (unsigned int col = 0; col < h->cols; col++) {
				__u64 n = h->cell[p][col * ROWS + r];

				colour(c, sizeof(c), n, max);
				/* One pixel of white between columns keeps them countable. */
				fprintf(f, "<rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%d\" "
					"fill=\"%s\">", LEFT + col * cw, ry, cw - 1, CELL_H - 1, c);
				if (n)
					fprintf(f, "<title>%.3f s, %s: %llu</title>",
						(h->t1 - h->t0) / 1e9 * col / h->cols, lbl,
						(unsigned long long)n);
				fputs("</rect>\n", f);
			}
		}
		y += rows * CELL_H;
		fprintf(f, "<text x=\"%d\" y=\"%u\">0 s</text><text x=\"%u\" y=\"%u\" "
			"text-anchor=\"end\">%.3f s</text>\n</g>\n", LEFT, y + 12,
			LEFT + h->cols * cw, y + 12, (h->t1 - h->t0) / 1e9);
		y += PANEL_GAP - 16;
	}
	fputs("</svg>\n", f);
}

int cmd_heatmap(int argc, char **argv)
{
	struct heatmap h = { .cols = 100 };
	const char *path, *out;
	struct hmm_trace_reader *r = NULL;
	const struct hmm_rec_hdr *rec;
	struct tool_opts to = { 0 };
	struct tool_out o;
	int p, err, status = EXIT_OK;
	__u64 lat, span, later = 0;
	hmm_print_fn quiet;

	if (cmd_parse(&heatmap_cmd, argc, argv, &to, 0, &status) < 0)
		return status;
	path = to.input;
	out = to.output;
	if (to.columns)
		h.cols = to.columns;
	if (!path || !out) {
		tool_err("heatmap: -i FILE and -o OUT.svg are required (see --help)");
		return EXIT_USAGE;
	}
	r = open_trace("heatmap", path);
	if (!r)
		return EXIT_PARTIAL;
	for (p = 0; p < HMM_REC_TYPE_MAX; p++)
		h.panel_of[p] = -1;
	for (const struct hmm_rec_desc *d = hmm_rec_next(NULL); d; d = hmm_rec_next(d)) {
		if (d->heat && d->dur) {
			h.panel_of[d->type] = h.n_panels;
			h.panel[h.n_panels++] = d;
		}
	}
	for (p = 0; p < h.n_panels; p++) {
		h.cell[p] = calloc((size_t)h.cols * ROWS, sizeof(__u64));
		h.lo[p] = ROWS;
		h.hi[p] = -1;
		if (!h.cell[p]) {
			tool_err("heatmap: out of memory");
			status = EXIT_PARTIAL;
			goto cleanup;
		}
	}
	/* Pass one: the time range; pass two: the cells. */
	while ((err = hmm_trace_reader__next(r, &rec)) > 0) {
		if (sample(&h, rec, &lat) < 0)
			continue;
		if (!h.n++ || rec->ts < h.t0)
			h.t0 = rec->ts;
		if (rec->ts > h.t1)
			h.t1 = rec->ts;
	}
	if (err < 0 || (err = hmm_trace_reader__rewind(r))) {
		tool_err("heatmap: reading %s: %s", path, strerror(-err));
		status = EXIT_PARTIAL;
		goto cleanup;
	}
	if (!h.n) {
		tool_err("heatmap: %s has no events with a duration to draw", path);
		status = EXIT_PARTIAL;
		goto cleanup;
	}
	/*
	 * A file still being written grows between the passes: pass two draws the samples pass one
	 * measured and no more, and a record outside the measured range (only a file rewritten in
	 * between has one) is left out rather than drawn past the grid.
	 */
	span = h.t1 - h.t0 + 1;
	/* Pass two reads the same chunks again: its warnings were pass one's, said already. */
	quiet = hmm_set_print(NULL);
	while ((err = hmm_trace_reader__next(r, &rec)) > 0) {
		unsigned int col;
		int row;

		p = sample(&h, rec, &lat);
		if (p < 0)
			continue;
		if (!h.n || rec->ts < h.t0 || rec->ts > h.t1) {
			later++;
			continue;
		}
		h.n--;
		col = (unsigned int)((unsigned __int128)(rec->ts - h.t0) * h.cols / span);
		if (col >= h.cols)
			col = h.cols - 1;
		row = row_of(lat);
		h.cell[p][col * ROWS + row]++;
		h.total[p]++;
		if (row < h.lo[p])
			h.lo[p] = row;
		if (row > h.hi[p])
			h.hi[p] = row;
	}
	hmm_set_print(quiet);
	if (later)
		tool_err("heatmap: note: %s grew while it was read; the %llu records written after the "
			 "first pass are not drawn", path, (unsigned long long)later);
	for (p = 0; p < h.n_panels; p++)
		if (h.hi[p] < 0) /* an empty panel still shows its (empty) grid */
			h.lo[p] = h.hi[p] = 10;
	warn_damage(path, hmm_trace_reader__stats(r));
	/* Written whole or not at all (a temporary file, renamed at the end). */
	if (tool_out_open(&o, out)) {
		status = EXIT_PARTIAL;
		goto cleanup;
	}
	write_svg(&h, o.f, hmm_trace_reader__meta(r)->command[0] ?
		  hmm_trace_reader__meta(r)->command : "system-wide recording",
		  hmm_trace_reader__stats(r)->lost);
	if (tool_out_close(&o, true))
		status = EXIT_PARTIAL;
cleanup:
	for (p = 0; p < h.n_panels; p++)
		free(h.cell[p]);
	hmm_trace_reader__close(r);
	return status;
}
