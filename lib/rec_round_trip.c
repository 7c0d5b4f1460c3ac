// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* HMM_REC_ROUND_TRIP: a range migrated one way and back within the window (bpf/migrate.bpf.c,
 * thrash_leg()); THRASHING once its round trips in the window reach thrash_min. */
#include <stdint.h>
#include <stdio.h>
#include "format.h"
#include "rec.h"
#include "stats_impl.h"

REC_TASK(caller, round_trip, caller)
REC_TASK(owner, round_trip, owner)
REC_U64(dur, round_trip, legs_ns) /* time migrating; the record's ts is the return's end */

static unsigned int addrs(const struct hmm_rec_hdr *h, __u64 a[2])
{
	const struct hmm_rec_round_trip *r = REC(round_trip, h);

	if (!r->driver)
		return 0;
	a[0] = r->driver;
	return 1;
}

static inline void count_rt(__u64 *c, const struct hmm_rec_round_trip *r)
{
	c[HMM_C_ROUND_TRIPS]++;
	if (r->flags & HMM_RT_F_BECAME)
		c[HMM_C_THRASHING]++;
}

static void count(__u64 *c, const struct hmm_rec_hdr *h, unsigned int page_shift)
{
	(void)page_shift;
	count_rt(c, REC(round_trip, h));
}

static void samples(const struct hmm_rec_hdr *h, hmm_sample_fn fn, void *ctx)
{
	const struct hmm_rec_round_trip *r = REC(round_trip, h);

	hmm_sample(fn, ctx, r->driver, HMM_M_ROUND_TRIP_NS, r->dir, r->legs_ns);
}

static void stats(struct hmm_stats *s, const struct hmm_rec_hdr *h)
{
	const struct hmm_rec_round_trip *r = REC(round_trip, h);
	struct hmm_stats_group *o, *d;
	struct hmm_stats_range *g;

	count_rt(s->c, r);
	s->priv->site = site_get(s, r->driver);
	hmm_sample(add_sample, s, r->driver, HMM_M_ROUND_TRIP_NS, r->dir, r->legs_ns);
	o = owner_group(s, &r->owner);
	d = stats_driver_group(s, r->driver);
	if (o) {
		count_rt(o->c, r);
		group_touch(o, h->ts);
	}
	if (d) {
		count_rt(d->c, r);
		group_touch(d, h->ts);
	}
	g = stats_range_get(s, r->mm, r->start);
	if (g) {
		if (!g->trips) {
			g->end = r->end;
			g->first_ts = h->ts;
		}
		g->owner = r->owner;
		stats_name_copy(g->driver, stats_driver_name(s, r->driver), sizeof(g->driver));
		g->trips++;
		if (r->trips > g->max_trips)
			g->max_trips = r->trips;
		g->thrashing += !!(r->flags & HMM_RT_F_BECAME);
		g->pages += r->pages;
		g->legs_ns += r->legs_ns;
		g->last_ts = h->ts;
	}
	stats_span(s, h->ts, 0);
}

static void text(const struct hmm_fmt *fmt, const struct hmm_rec_hdr *h, char *buf, size_t n)
{
	const struct hmm_rec_round_trip *r = REC(round_trip, h);
	char legs[16], gap[16], drv[64];

	hmm_fmt_duration(legs, sizeof(legs), r->legs_ns);
	hmm_fmt_duration(gap, sizeof(gap), r->gap_ns);
	snprintf(buf, n, "back %s %up range=0x%llx-0x%llx trips=%u total=%u legs=%s gap=%s drv=%s%s",
		 hmm_dir_str(r->dir), r->pages, (unsigned long long)r->start,
		 (unsigned long long)r->end, r->trips, r->total, legs, gap,
		 hmm_text_driver(fmt, r->driver, drv, sizeof(drv)),
		 r->flags & HMM_RT_F_BECAME	 ? " thrashing(new)" :
		 r->flags & HMM_RT_F_THRASHING ? " thrashing" :
						 "");
}

static void json(const struct hmm_fmt *fmt, const struct hmm_rec_hdr *h, json_t *o)
{
	const struct hmm_rec_round_trip *r = REC(round_trip, h);

	json_object_set_new(o, "dur_ns", json_integer(r->legs_ns));
	json_object_set_new(o, "direction", json_string(hmm_dir_str(r->dir)));
	json_object_set_new(o, "start", hmm_json_hex(r->start));
	json_object_set_new(o, "end", hmm_json_hex(r->end));
	json_object_set_new(o, "mm", hmm_json_hex(r->mm));
	json_object_set_new(o, "pages", json_integer(r->pages));
	json_object_set_new(o, "trips", json_integer(r->trips));
	json_object_set_new(o, "total", json_integer(r->total));
	json_object_set_new(o, "legs_ns", json_integer(r->legs_ns));
	json_object_set_new(o, "gap_ns", json_integer(r->gap_ns));
	json_object_set_new(o, "thrashing", json_boolean(r->flags & HMM_RT_F_THRASHING));
	json_object_set_new(o, "became_thrashing", json_boolean(r->flags & HMM_RT_F_BECAME));
	json_object_set_new(o, "driver", hmm_json_str(hmm_fmt_driver(fmt, r->driver), SIZE_MAX));
}

static const char *title(const struct hmm_rec_hdr *h, char *buf, size_t n)
{
	const struct hmm_rec_round_trip *r = REC(round_trip, h);

	snprintf(buf, n, "%s 0x%llx", r->flags & HMM_RT_F_THRASHING ? "thrashing" : "round trip",
		 (unsigned long long)r->start);
	return buf;
}

const struct hmm_rec_desc hmm_rec_round_trip = {
	.type = HMM_REC_ROUND_TRIP,
	.name = "round_trip",
	.size = sizeof(struct hmm_rec_round_trip),
	.event = true,
	.caller = caller,
	.owner = owner,
	.dur = dur,
	.addrs = addrs,
	.count = count,
	.samples = samples,
	.stats = stats,
	.text = text,
	.json = json,
	.chrome = HMM_CHROME_INSTANT,
	.title = title,
};
