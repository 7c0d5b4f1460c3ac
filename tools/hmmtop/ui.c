// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hmmtop's full-screen view (ncurses): header, table, a detail pane for the selected row, a
 * help screen. Only drawing and keys live here; what is shown comes from the model (model.h).
 * The terminal is always given back through endwin() from this loop, never from a signal
 * handler: SIGINT/SIGTERM only set tool_exiting.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curses.h>
#include "format.h"
#include "hist.h"
#include "stacktab.h"
#include "top.h"

enum {
	CP_HEADER = 1, /* the table's header line */
	CP_SELECT,     /* the selected row */
	CP_TITLE,      /* section titles */
	CP_WARN,       /* lost events, attach points not live */
	CP_BAR,	       /* histogram bars */
	CP_STATUS,     /* the key line */
};

struct ui {
	struct top_app *a;
	SCREEN *scr;
	bool color;
	bool help;
	bool prompt; /* reading a pid for the filter */
	char input[16];
	size_t n_input;
	char msg[128]; /* one-off message in the key line */
};

static attr_t attr(const struct ui *u, int pair, attr_t plain)
{
	return u->color ? COLOR_PAIR(pair) : plain;
}

/* Print at (y, x), clipped to the screen width. */
static void put(int y, int x, const char *s)
{
	int room = COLS - x;

	if (y < 0 || y >= LINES || room <= 0)
		return;
	mvaddnstr(y, x, s, room);
}

static void fmt_uptime(char *buf, size_t n, __u64 ns)
{
	unsigned long long s = ns / 1000000000ULL;

	snprintf(buf, n, "%llu:%02llu:%02llu", s / 3600, s / 60 % 60, s % 60);
}

static void draw_header(struct ui *u)
{
	const struct top_model *m = u->a->m;
	char line[1024], up[32], nl[512];
	int len;

	fmt_uptime(up, sizeof(up), m->session_ns);
	len = snprintf(line, sizeof(line), "hmmtop - %s  up %s  interval %lu (%.2fs)  rows by %s",
		       u->a->what, up, m->intervals, u->a->interval_ns / 1e9,
		       m->group == TOP_BY_OWNER ? "owner" : "driver");
	if (m->pid_filter)
		len += snprintf(line + len, sizeof(line) - len, "  pid %u%s", m->pid_filter,
				m->group == TOP_BY_DRIVER ? " (owner rows only)" : "");
	if (u->a->speed != 1 && u->a->src->replay)
		len += snprintf(line + len, sizeof(line) - len, "  speed %g", u->a->speed);
	attron(A_BOLD);
	put(0, 0, line);
	attroff(A_BOLD);
	if (u->a->paused || u->a->ended) {
		const char *tag = u->a->ended ? "[END OF RECORDING]" : "[PAUSED]";
		int x = COLS - (int)strlen(tag);

		attron(attr(u, CP_WARN, A_REVERSE) | A_BOLD);
		put(0, x > 0 ? x : 0, tag); /* over a long file name if it must */
		attroff(attr(u, CP_WARN, A_REVERSE) | A_BOLD);
	}
	top_fmt_totals(m, line, sizeof(line));
	put(1, 0, line);
	top_fmt_not_live(m, nl, sizeof(nl));
	if (m->src.lost || nl[0])
		attron(attr(u, CP_WARN, A_BOLD));
	snprintf(line, sizeof(line), "lost %llu events  not live: %s",
		 (unsigned long long)m->src.lost, nl[0] ? nl : "none");
	put(2, 0, line);
	attroff(attr(u, CP_WARN, A_BOLD));
}

static void draw_table(struct ui *u, int y0, int rows)
{
	struct top_model *m = u->a->m;
	char line[1024];
	size_t top, i;
	int x = 0, c;

	top_fmt_header(line, sizeof(line), COLS);
	attron(attr(u, CP_HEADER, A_REVERSE));
	mvhline(y0, 0, ' ', COLS);
	put(y0, 0, line);
	attroff(attr(u, CP_HEADER, A_REVERSE));
	/* The sort column stands out, and its direction is shown beside the title. */
	for (c = 0; c < TOP_COL_MAX; c++) {
		const struct top_col_info *ci = top_col_info(c);
		int w = ci->width, tl = (int)strlen(ci->title);

		if (x + w > COLS)
			break;
		if (c == (int)m->sort) {
			int tx = ci->left ? x : x + w - tl;
			bool asc = ci->ascending != m->reverse;

			attron(attr(u, CP_SELECT, A_REVERSE) | A_BOLD | A_UNDERLINE);
			put(y0, tx, ci->title);
			attroff(attr(u, CP_SELECT, A_REVERSE) | A_BOLD | A_UNDERLINE);
			attron(attr(u, CP_HEADER, A_REVERSE));
			if (tx > 0 && !ci->left)
				mvaddch(y0, tx - 1, asc ? '^' : 'v');
			attroff(attr(u, CP_HEADER, A_REVERSE));
		}
		x += w + 1;
	}
	top = top_model__scroll(m, rows > 0 ? rows : 0);
	for (i = 0; (int)i < rows && top + i < m->n_rows; i++) {
		bool sel = top + i == m->selected;

		top_fmt_row(&m->rows[top + i], line, sizeof(line), COLS);
		if (sel) {
			attron(attr(u, CP_SELECT, A_REVERSE));
			mvhline(y0 + 1 + i, 0, ' ', COLS);
		}
		put(y0 + 1 + i, 0, line);
		if (sel)
			attroff(attr(u, CP_SELECT, A_REVERSE));
	}
	if (!m->n_rows && rows > 0)
		put(y0 + 1, 1,
		    m->intervals
			    ? (m->pid_filter ? "(no row for this pid)" : "(no HMM activity yet)")
			    : "(waiting for the first interval)");
}

/* The histogram as the one text chart (hist.h: a row per octave, in microseconds), cut to the
 * pane's height with a line saying how many rows did not fit. */
static void draw_hist(struct ui *u, const struct hmm_hist *h, int y, int x, int w, int hmax)
{
	struct hmm_chart_row rows[HMM_CHART_ROWS];
	int bar = w - 42, n = 0, len, i;
	size_t nrows, r;
	char line[256];
	__u64 max = 0;

	if (bar < 5 || hmax <= 1)
		return;
	nrows = hmm_hist_chart(h, false, 1000, rows);
	for (r = 0; r < nrows; r++)
		max = rows[r].count > max ? rows[r].count : max;
	snprintf(line, sizeof(line), "%24s : %-10s  %s", "usecs", "count", "distribution");
	mvaddnstr(y + n++, x, line, w);
	for (r = 0; r < nrows && n < hmax; r++) {
		if (n == hmax - 1 && r < nrows - 1) {
			snprintf(line, sizeof(line), "%24s   (%zu more rows)", "...", nrows - r);
			mvaddnstr(y + n++, x, line, w);
			break;
		}
		snprintf(line, sizeof(line), "%24.47s : %-10llu ", rows[r].label,
			 (unsigned long long)rows[r].count);
		mvaddnstr(y + n, x, line, w);
		len = max ? (int)((double)rows[r].count * bar / (double)max) : 0;
		attron(attr(u, CP_BAR, A_BOLD));
		mvaddch(y + n, x + 38, '|');
		for (i = 0; i < bar; i++)
			addch(i < len ? '*' : ' ');
		addch('|');
		attroff(attr(u, CP_BAR, A_BOLD));
		n++;
	}
}

/*
 * --stacks (or a recording made with it): "   #ID f1 < f2 < ..." for a cause's stack, innermost
 * first, without offsets, less the notifier frames every invalidation starts with. 0 when the
 * cause names no stack or its frames are unknown.
 */
static int stack_line(const struct hmm_stacktab *st, __u32 stack, char *buf, size_t n)
{
	const struct hmm_rec_stack *r = st && stack ? hmm_stacktab__get(st, stack) : NULL;
	int len;

	if (!r || !hmm_rec_stack_depth(r))
		return 0;
	len = snprintf(buf, n, "   #%u ", stack);
	if (len > 0 && (size_t)len < n)
		hmm_stack_join(r, HMM_STACK_ARROWS, buf + len, n - len);
	return 1;
}

static void draw_detail(struct ui *u, int y0, int h)
{
	const struct top_row *r = top_model__selected(u->a->m);
	const struct hmm_stats_group *g;
	int lw = COLS * 11 / 20, rx = lw + 1, rw = COLS - rx, y, ev;
	char line[512], a1[16], a2[16], name[HMM_STATS_NAME_LEN], comm[HMM_TERM_COMM_LEN];
	__u32 i, n;

	attron(attr(u, CP_TITLE, A_BOLD) | A_UNDERLINE);
	mvhline(y0, 0, ' ', COLS);
	if (!r) {
		put(y0, 0, "detail: no row selected");
		attroff(attr(u, CP_TITLE, A_BOLD) | A_UNDERLINE);
		return;
	}
	g = r->g;
	hmm_term_str(name, sizeof(name), g->name, sizeof(g->name));
	hmm_fmt_duration(a1, sizeof(a1), g->inval_ns);
	if (u->a->m->group == TOP_BY_OWNER) {
		snprintf(line, sizeof(line),
			 "pid %u %s, since start: %llu faults, %llu -EBUSY, chain %u, %llu stalls, "
			 "migrations %llu/%llu to device/system, %llu invalidations (%s)",
			 g->pid, name, (unsigned long long)g->c[HMM_C_FAULT_CALLS],
			 (unsigned long long)g->c[HMM_C_FAULT_RESULT_BASE + HMM_RES_EBUSY],
			 g->longest_chain, (unsigned long long)g->stalls,
			 (unsigned long long)g->c[HMM_C_MIGRATIONS_BASE + HMM_DIR_TO_DEVICE],
			 (unsigned long long)g->c[HMM_C_MIGRATIONS_BASE + HMM_DIR_TO_SYSTEM],
			 (unsigned long long)r->inval_total, a1);
	} else {
		snprintf(line, sizeof(line),
			 "driver %s, since start: %llu faults, %llu -EBUSY, "
			 "chain %u, %llu stalls, migrations %llu/%llu to device/system",
			 name, (unsigned long long)g->c[HMM_C_FAULT_CALLS],
			 (unsigned long long)g->c[HMM_C_FAULT_RESULT_BASE + HMM_RES_EBUSY],
			 g->longest_chain, (unsigned long long)g->stalls,
			 (unsigned long long)g->c[HMM_C_MIGRATIONS_BASE + HMM_DIR_TO_DEVICE],
			 (unsigned long long)g->c[HMM_C_MIGRATIONS_BASE + HMM_DIR_TO_SYSTEM]);
	}
	put(y0, 0, line);
	attroff(attr(u, CP_TITLE, A_BOLD) | A_UNDERLINE);

	/* Left: the fault latency histogram since the start. */
	attron(A_BOLD);
	put(y0 + 1, 0, "fault latency since start");
	attroff(A_BOLD);
	if (g->fault_ns.count)
		draw_hist(u, &g->fault_ns, y0 + 2, 0, lw, h - 2);
	else
		put(y0 + 2, 1, "(no hmm_range_fault calls)");

	/* Right: invalidations by event type, then the causes of the recent retries. */
	y = y0 + 1;
	attron(A_BOLD);
	mvaddnstr(y++, rx, "invalidations    /s    total", rw);
	attroff(A_BOLD);
	n = 0;
	for (ev = 0; ev < HMM_EV_MAX; ev++) {
		__u64 tot = g->c[HMM_C_INVAL_BASE + ev];

		if (!tot)
			continue;
		n++;
		if (y >= y0 + h - 3)
			continue;
		top_fmt_rate(a1, sizeof(a1), r->inval_ev_rate[ev]);
		snprintf(line, sizeof(line), "%-14s %6s %8llu", hmm_event_str(ev), a1,
			 (unsigned long long)tot);
		mvaddnstr(y++, rx, line, rw);
	}
	if (!n)
		mvaddnstr(y++, rx,
			  u->a->m->group == TOP_BY_OWNER ? " (none)"
							 : " (counted per owner process)",
			  rw);
	attron(A_BOLD);
	snprintf(line, sizeof(line), "recent -EBUSY causes (%u seen)", g->n_causes);
	mvaddnstr(y++, rx, line, rw);
	attroff(A_BOLD);
	if (!g->n_causes)
		mvaddnstr(y++, rx, " (none)", rw);
	for (i = 0; y < y0 + h; i++) { /* newest first */
		const struct hmm_stats_cause *c = top_row_cause(r, i);

		if (!c)
			break;
		if (c->cause.found) {
			hmm_fmt_duration(a2, sizeof(a2), c->cause.ago_ns);
			snprintf(line, sizeof(line), " tid %u try %u: %s by %u %s, %s before",
				 c->tid, c->attempt, hmm_event_str(c->cause.event),
				 c->cause.task.pid, hmm_term_comm(comm, c->cause.task.comm), a2);
		} else {
			snprintf(line, sizeof(line), " tid %u try %u: no invalidation seen", c->tid,
				 c->attempt);
		}
		mvaddnstr(y++, rx, line, rw);
		if (y < y0 + h && c->cause.found && stack_line(u->a->stacks, c->cause.stack, line,
								    sizeof(line)))
			mvaddnstr(y++, rx, line, rw);
	}
}

static const char *const help_keys[] = {
	"q            quit",
	"Up/Down      select a row; PgUp/PgDn a page; Home/End the first/last",
	"s or >       sort by the next column; < the previous column",
	"r            reverse the sort order",
	"p            filter by owner pid (empty: no filter)",
	"g            rows per owner process / per driver",
	"space        pause (live: keeps counting; replay: stops the clock)",
	"n            the next interval now (a step while paused)",
	"h or ?       this help; any key returns",
};

static void draw_help(struct ui *u)
{
	char line[256];
	int y = 2, c;
	size_t i;

	attron(A_BOLD);
	put(0, 0, "hmmtop help - keys and columns (any key returns)");
	attroff(A_BOLD);
	for (i = 0; i < sizeof(help_keys) / sizeof(help_keys[0]); i++)
		put(y++, 2, help_keys[i]);
	y++;
	attron(attr(u, CP_TITLE, A_BOLD));
	put(y++, 0, "Columns (rates are per second over the last interval)");
	attroff(attr(u, CP_TITLE, A_BOLD));
	for (c = 0; c < TOP_COL_MAX; c++) {
		snprintf(line, sizeof(line), "%-9s %s", top_col_info(c)->title,
			 top_col_info(c)->desc);
		put(y++, 2, line);
	}
}

static void draw_status(struct ui *u)
{
	char line[256];

	if (u->prompt)
		snprintf(line, sizeof(line), "filter by pid (empty: all, Esc: cancel): %.*s",
			 (int)u->n_input, u->input);
	else if (u->msg[0])
		snprintf(line, sizeof(line), "%s", u->msg);
	else
		snprintf(line, sizeof(line),
			 "q quit  arrows select  s/</> sort  r reverse  p pid  "
			 "g group  space pause  n next  h help");
	attron(attr(u, CP_STATUS, A_REVERSE));
	mvhline(LINES - 1, 0, ' ', COLS);
	put(LINES - 1, 0, line);
	attroff(attr(u, CP_STATUS, A_REVERSE));
	if (u->prompt) {
		curs_set(1);
		move(LINES - 1, (int)strlen(line) < COLS ? (int)strlen(line) : COLS - 1);
	} else {
		curs_set(0);
	}
}

static void draw(struct ui *u)
{
	int detail, rows;

	erase();
	if (COLS < TOP_MIN_COLS || LINES < TOP_MIN_LINES) {
		char line[128];

		snprintf(line, sizeof(line),
			 "terminal too small: %dx%d, hmmtop needs at least %dx%d", COLS, LINES,
			 TOP_MIN_COLS, TOP_MIN_LINES);
		put(LINES / 2, 0, line);
		refresh();
		return;
	}
	if (u->help) {
		draw_help(u);
		refresh();
		return;
	}
	draw_header(u);
	/* Header 3 lines, table header 1, key line 1; the detail pane takes a third when the
	 * terminal has room for one. */
	detail = LINES >= 24 ? LINES / 3 : 0;
	if (detail > 16)
		detail = 16;
	rows = LINES - 5 - detail;
	draw_table(u, 3, rows);
	if (detail)
		draw_detail(u, 4 + rows, detail);
	draw_status(u);
	refresh();
}

static void apply_filter(struct ui *u)
{
	unsigned long v = 0;
	char *end;

	u->input[u->n_input] = 0;
	if (!u->n_input) {
		u->a->m->pid_filter = 0;
		return;
	}
	errno = 0;
	v = strtoul(u->input, &end, 10);
	if (errno || *end || !v || v > 4194304) {
		snprintf(u->msg, sizeof(u->msg), "not a pid: '%s'", u->input);
		return;
	}
	u->a->m->pid_filter = v;
}

/* One key; returns false to quit. */
static bool key(struct ui *u, int ch)
{
	struct top_model *m = u->a->m;
	int page = LINES > 10 ? LINES / 2 : 1;

	u->msg[0] = 0;
	if (u->prompt) {
		if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
			u->prompt = false;
			apply_filter(u);
			top_model__refresh(m, u->a->s);
		} else if (ch == 27) {
			u->prompt = false;
		} else if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && u->n_input) {
			u->n_input--;
		} else if (isdigit(ch) && u->n_input < sizeof(u->input) - 1) {
			u->input[u->n_input++] = ch;
		}
		return true;
	}
	if (u->help) {
		if (ch != KEY_RESIZE)
			u->help = false;
		return ch != 'q';
	}
	switch (ch) {
	case 'q':
	case 'Q':
		return false;
	case KEY_UP:
	case 'k':
		top_model__select(m, -1);
		break;
	case KEY_DOWN:
	case 'j':
		top_model__select(m, 1);
		break;
	case KEY_PPAGE:
		top_model__select(m, -page);
		break;
	case KEY_NPAGE:
		top_model__select(m, page);
		break;
	case KEY_HOME:
		top_model__select(m, -(long)m->n_rows);
		break;
	case KEY_END:
		top_model__select(m, m->n_rows);
		break;
	case 's':
	case '>':
	case '.':
		top_model__sort_step(m, 1);
		top_model__refresh(m, u->a->s);
		break;
	case '<':
	case ',':
		top_model__sort_step(m, -1);
		top_model__refresh(m, u->a->s);
		break;
	case 'r':
	case 'R':
		m->reverse = !m->reverse;
		top_model__refresh(m, u->a->s);
		break;
	case 'g':
		top_model__set_group(m, m->group == TOP_BY_OWNER ? TOP_BY_DRIVER : TOP_BY_OWNER);
		top_model__refresh(m, u->a->s);
		break;
	case 'p':
		u->prompt = true;
		u->n_input = 0;
		break;
	case ' ':
		u->a->paused = !u->a->paused;
		if (!u->a->paused)
			top_restart_clock(u->a);
		break;
	case 'n':
		if (top_tick(u->a) == 1)
			snprintf(u->msg, sizeof(u->msg), "end of the recording");
		top_restart_clock(u->a);
		break;
	case 'h':
	case '?':
		u->help = true;
		break;
	default:
		break;
	}
	return true;
}

int top_ui_run(struct top_app *a)
{
	struct ui u = {.a = a};
	unsigned long shown = 0;
	const char *term = getenv("TERM");
	bool dirty = true, quit = false;
	int ch, ms, status = EXIT_OK;

	if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) {
		tool_err("the full-screen view needs a terminal: use -b for text output");
		return EXIT_FAIL;
	}
	u.scr = newterm(NULL, stdout, stdin);
	if (!u.scr) {
		tool_err("cannot use the terminal type '%s' (TERM): it is not in the terminfo "
			 "database; set TERM to a known type (e.g. xterm) or use -b",
			 term ? term : "");
		return EXIT_FAIL;
	}
	set_term(u.scr);
	if (COLS < TOP_MIN_COLS || LINES < TOP_MIN_LINES) {
		int cols = COLS, lines = LINES;

		endwin();
		delscreen(u.scr);
		tool_err("terminal too small: %dx%d, hmmtop needs at least %dx%d (columns x lines)",
			 cols, lines, TOP_MIN_COLS, TOP_MIN_LINES);
		return EXIT_FAIL;
	}
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	u.color = has_colors() && !getenv("NO_COLOR");
	if (u.color) {
		start_color();
		use_default_colors();
		init_pair(CP_HEADER, COLOR_BLACK, COLOR_CYAN);
		init_pair(CP_SELECT, COLOR_BLACK, COLOR_GREEN);
		init_pair(CP_TITLE, COLOR_YELLOW, -1);
		init_pair(CP_WARN, COLOR_RED, -1);
		init_pair(CP_BAR, COLOR_GREEN, -1);
		init_pair(CP_STATUS, COLOR_BLACK, COLOR_CYAN);
	}

	while (!tool_exiting && !quit) {
		if (dirty) {
			draw(&u);
			dirty = false;
		}
		/* Records are read while waiting, keys are checked after: a short slice. */
		ms = top_ms_to_due(a);
		if (ms > 50)
			ms = 50;
		top_pump(a, ms);
		timeout(0);
		while ((ch = getch()) != ERR) {
			if (ch == KEY_RESIZE)
				clearok(curscr, TRUE);
			if (!key(&u, ch)) {
				quit = true;
				break;
			}
			dirty = true;
			timeout(0);
		}
		if (quit || tool_exiting)
			break;
		if (top_ms_to_due(a) == 0) {
			int err = top_tick(a);

			if (err < 0 && err != 1) {
				status = EXIT_FAIL;
				break;
			}
			dirty = true;
			if (a->count && ++shown >= a->count)
				break;
		}
	}
	endwin();
	delscreen(u.scr);
	return status;
}
