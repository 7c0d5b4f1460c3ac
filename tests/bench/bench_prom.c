// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The exporter's render cost on this machine, natively: every histogram family with every value
 * of its label set for two drivers (the most series a host with two HMM drivers can have), each
 * histogram filled with 1000 values over many octaves, rendered N times (argv[1], default 2000).
 * Prints "series bytes us_per_render". Built and run by tests/bench/exporter.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "tools/hmm_exporter/prom.c"

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static struct hmm_hist h[HMM_M_MAX * 16 * 2];
	static struct prom_hist p[HMM_M_MAX * 16 * 2];
	static const char *const drv[2] = { "test_hmm", "nvidia_uvm" };
	__u64 c[HMM_C_MAX] = { 0 };
	struct prom_buf b = { 0 };
	struct prom_state s = { .counters = c, .version = "bench", .kernel_release = "bench" };
	int n = argc > 1 ? atoi(argv[1]) : 2000;
	size_t k = 0;
	double t0;

	for (int m = 0; m < HMM_M_MAX; m++)
		for (unsigned int l = 0; l < hmm_metric_label_count(m); l++)
			for (int d = 0; d < 2; d++) {
				for (int v = 0; v < 1000; v++)
					hmm_hist_add(&h[k], ((__u64)v * 7919) % 100000000);
				p[k] = (struct prom_hist){ { .driver = d + 1, .metric = m, .label = l },
							   drv[d], &h[k] };
				k++;
			}
	s.hists = p;
	s.n_hists = k;
	t0 = now();
	for (int i = 0; i < n; i++) {
		prom_buf_reset(&b);
		if (prom_render(&b, &s))
			return 1;
	}
	/* Families without a driver label merge the two drivers: count the series rendered. */
	{
		size_t series = 0;

		for (const char *q = b.data; (q = strstr(q, "_count")); q++)
			series++;
		printf("%zu %zu %.1f\n", series, b.len, (now() - t0) / n * 1e6);
	}
	prom_buf_free(&b);
	return 0;
}
