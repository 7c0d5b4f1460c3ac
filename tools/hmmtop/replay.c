// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hmmtop's replay source: records from a trace file (-r), an interval being interval_ns of
 * recorded time, shown every interval / speed of wall time (--speed 0: as fast as the terminal
 * takes them). The live session's filters (-p, --owner) are applied here, as the kernel would.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "hist.h"
#include "rec.h"
#include "top.h"

/* The filters of a live session, applied to a replay: caller (-p) and owner (--owner). Records
 * without them (lost events) always count. */
static bool replay_keep(const struct top_app *a, const struct hmm_rec_hdr *rec)
{
	const struct hmm_rec_desc *d = hmm_rec_desc(rec->type);

	if ((!a->pid && !a->owner) || !d)
		return true;
	if (a->pid && d->caller && d->caller(rec)->pid != a->pid)
		return false;
	return !a->owner || !d->owner || d->owner(rec)->pid == a->owner;
}

static int replay_open(struct top_app *a, unsigned int *page_shift)
{
	struct top_replay *rp = &a->replay;
	const struct hmm_trace_meta *meta;
	size_t len = 0;
	__u32 i;

	snprintf(a->what, sizeof(a->what), "replay %s", rp->path);
	/* Without read-ahead: a replay is paced, the reading is not what it waits for. */
	rp->r = tool_open_trace("replay", rp->path, false);
	if (!rp->r)
		return EXIT_FAIL;
	meta = hmm_trace_reader__meta(rp->r);
	if (meta->page_size > 1 && !(meta->page_size & (meta->page_size - 1)))
		*page_shift = __builtin_ctz(meta->page_size);
	for (i = 0; i < meta->n_aps && i < HMM_TRACE_MAX_APS; i++) {
		const struct hmm_trace_ap *ap = &meta->aps[i];

		if (ap->state == HMM_AP_ATTACHED || ap->state == HMM_AP_DISABLED)
			continue;
		len += snprintf(rp->not_live + len,
				len < sizeof(rp->not_live) ? sizeof(rp->not_live) - len : 0,
				"%s%.*s", len ? "," : "", HMM_TRACE_FUNC_LEN, ap->func);
		if (len >= sizeof(rp->not_live))
			len = sizeof(rp->not_live) - 1;
	}
	/* Drivers are named from the file's own symbols, which its reader learns. */
	a->syms = hmm_trace_reader__symtab(rp->r);
	/* and cause stacks from its stack records (record --stacks), learnt as they are read */
	a->stacks = hmm_trace_reader__stacks(rp->r);
	if (!a->syms || !a->stacks) {
		tool_err("out of memory");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int replay_start(struct top_app *a, struct hmm_tracer_opts *opts)
{
	(void)opts;
	a->next_due = tool_now_s(); /* the first interval at once */
	return EXIT_OK;
}

/*
 * Read records of the interval ending at boundary into the stats, at most max of them (0: no
 * limit). Returns 1 once the interval is complete (the next record is held for a later interval,
 * or the file ended: eof), 0 when max ran out first, or -errno.
 */
static int replay_read(struct top_app *a, unsigned long max)
{
	struct top_replay *rp = &a->replay;
	const struct hmm_rec_hdr *rec;
	unsigned long n = 0;
	int err;

	if (rp->eof)
		return 1;
	for (;;) {
		if (rp->held) {
			rec = (const void *)rp->hold;
		} else {
			if (max && n++ >= max)
				return 0;
			err = hmm_trace_reader__next(rp->r, &rec);
			if (err < 0)
				return err;
			if (err == 0) {
				rp->eof = true;
				return 1;
			}
		}
		if (!rp->started) {
			const struct hmm_trace_meta *meta = hmm_trace_reader__meta(rp->r);
			__u64 t0 = rec->ts;

			if (meta->start_mono_ns && meta->start_mono_ns <= t0)
				t0 = meta->start_mono_ns;
			rp->boundary = t0 + a->interval_ns;
			rp->started = true;
		}
		/* Records of a later interval wait; an earlier one (records are ordered by when
		 * they ended, stamped with when they began) counts in the current interval. */
		if (hmm_rec_desc(rec->type) && !hmm_rec_desc(rec->type)->event)
			continue; /* clock and symbol records: the reader learns the symbols itself */
		if (rec->ts >= rp->boundary) {
			if (!rp->held) {
				memcpy(rp->hold, rec, rec->size);
				rp->held = true;
			}
			return 1;
		}
		rp->held = false;
		rp->taken++;
		if (replay_keep(a, rec))
			hmm_stats__add(a->s, rec);
	}
}

static void replay_pump(struct top_app *a, int ms)
{
	double end = tool_now_s() + ms / 1e3;
	struct timespec ts;
	double left;
	int err;

	/* A replay reads ahead while it waits, as a live session drains the ring buffer, so the
	 * interval's end only has the model to update and the tables come out on time. */
	while (!tool_exiting && !a->ended && !a->err) {
		err = replay_read(a, 4096);
		if (err < 0) {
			a->err = err;
			break;
		}
		if (err == 1 || tool_now_s() >= end)
			break;
	}
	left = end - tool_now_s();
	if (left > 0) {
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL); /* a signal ends it early: the loop then sees the flag */
	}
}

/*
 * The next interval holds nothing and the next record is further on: unpaced (--speed 0) the empty
 * intervals between are not shown, one table each (a day's gap was 86,400 of them); paced, a gap
 * longer than GAP_S is not waited through either (a record a century ahead would never come).
 * Says so once per gap. Returns the recorded time passed over.
 */
#define GAP_S 60

static __u64 skip_gap(struct top_app *a)
{
	struct top_replay *rp = &a->replay;
	__u64 next, skip;
	char d[32];

	if (!rp->held || a->ended || rp->taken)
		return 0;
	/* The interval about to be read ends at boundary: it is empty when the next record is at
	 * or past it. Skip to the interval that holds that record. */
	next = ((const struct hmm_rec_hdr *)(const void *)rp->hold)->ts;
	if (next < rp->boundary)
		return 0;
	skip = ((next - rp->boundary) / a->interval_ns + 1) * a->interval_ns;
	if (a->speed != 0 && skip < GAP_S * 1000000000ULL)
		return 0;
	rp->boundary += skip;
	hmm_fmt_duration(d, sizeof(d), skip);
	if (a->batch)
		tool_err("replay: %s of the recording without events passed over", d);
	return skip;
}

static int replay_end_interval(struct top_app *a, __u64 *elapsed_ns, __u64 *skipped_ns)
{
	struct top_replay *rp = &a->replay;
	int err;

	if (a->ended)
		return 1;
	*skipped_ns = skip_gap(a);
	err = replay_read(a, 0);
	if (err < 0) {
		a->err = err;
		a->ended = true;
		return err;
	}
	if (rp->eof)
		a->ended = true; /* this is the last interval */
	rp->boundary += a->interval_ns;
	rp->taken = 0;
	*elapsed_ns = a->interval_ns;
	return 0;
}

static void replay_describe(const struct top_app *a, struct top_source *src)
{
	/* HMM_REC_LOST records read so far (hmm_count_record() adds them here). */
	src->lost = a->s->c[HMM_C_RINGBUF_DROPS];
	src->not_live = a->replay.not_live;
}

static double replay_step_s(const struct top_app *a)
{
	return a->speed > 0 ? a->interval_ns / 1e9 / a->speed : 0;
}

static void replay_close(struct top_app *a)
{
	hmm_trace_reader__close(a->replay.r); /* and its symbols, a->syms, and a->stacks */
	a->stacks = NULL;
	a->replay.r = NULL;
	a->syms = NULL;
}

const struct top_src_ops top_replay = {
	.replay = true,
	.open = replay_open,
	.start = replay_start,
	.pump = replay_pump,
	.end_interval = replay_end_interval,
	.describe = replay_describe,
	.step_s = replay_step_s,
	.close = replay_close,
};
