/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* hmm_exporter: the snapshot (main.c) and the HTTP front end (http.c). */
#ifndef HMM_EXPORTER_H
#define HMM_EXPORTER_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/socket.h>
#include "../common.h"
#include "prom.h"

/* Not in the Prometheus default port allocations list as far as we know (it could not be
 * checked from here): see hmm_exporter(8). */
#define HMM_EXPORTER_PORT 9435

/* Exit statuses, documented in hmm_exporter(8). */
enum {
	EXP_OK = 0,
	EXP_ERROR = 1, /* runtime error: cannot listen, cannot write the textfile */
	EXP_USAGE = 2,
	EXP_NONE = 3, /* the BPF programs could not be loaded (BTF, privileges) */
};

struct hist_slot {
	struct hmm_hist_key key;
	struct hmm_hist h;
};

#define DRIVER_CACHE 128

struct exporter {
	struct hmm_tracer *t;
	pthread_mutex_t lock; /* one snapshot at a time: HTTP thread and textfile loop */
	struct hist_slot *hists;
	size_t n_hists, cap_hists;
	struct prom_hist *views;
	size_t cap_views;
	struct {
		__u64 addr;
		char name[64];
	} drivers[DRIVER_CACHE];
	size_t n_drivers;
	int kallsyms_fd; /* opened before privileges were dropped: it still shows addresses */
	struct prom_procs procs; /* --per-process: procs.max_labels > 0 */
	struct prom_owner *owners;
	size_t n_owners, cap_owners;
	char release[65];
	double last_render_s;
	__u64 renders;
	__u64 stall_ns; /* --stall-ms: hmm_fault_stalls_total (prom.h) */
};

/* Read the counters and histograms now and render them into b (appending); thread-safe. */
int exporter_render(struct exporter *e, struct prom_buf *b);

struct http_server;
/* Serve on an already listening socket fd (taken over). Returns NULL with a message printed. */
struct http_server *http_start(struct exporter *e, int fd, bool ipv6);
void http_stop(struct http_server *h);

#endif
