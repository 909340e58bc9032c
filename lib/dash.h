/*
 * The dashboard's internals (lib/dashboard*.c); see include/kftrainer/dashboard.h.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef KFT_DASH_H
#define KFT_DASH_H

#include "internal.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* One job as the dashboard last saw it. */
typedef struct {
	kft_job_t *job;      /* owned */
	char *sig;           /* the row without times: changes when the job changes */
	uint64_t gen;        /* generation in which sig last changed */
	int history;         /* known only from the history (gone from the cluster) */
} kft__dash_entry;

/* An immutable list of jobs, newest first; shared by reference count. */
typedef struct {
	int refs;                  /* under dash->lock */
	uint64_t gen;
	kft__dash_entry *v;
	size_t n;
	size_t *by_name;           /* indices into v, sorted by job name */
	int64_t taken_ms;          /* when the list was read */
	int64_t list_ms;           /* how long reading it took */
} kft__dash_snap;

typedef struct kft__dash_history kft__dash_history;

#define KFT__DASH_MAX_REMOVED 4096   /* removals remembered for live updates */

struct kft_dashboard {
	kft_client_opts_t copts;   /* deep copy (strings below) */
	char *copt_str[9];
	kft_client_t *client;      /* short calls, under client_lock */
	pthread_mutex_t client_lock;
	char *backend;             /* "local", "container", "kubernetes" */
	char *url;
	char *token;               /* NULL: none */
	char csrf[65];
	char host_ok[3][80];       /* accepted Host headers when there is no token */
	int loopback;
	int64_t poll_ms;
	struct MHD_Daemon *mhd;
	int stop_fd;               /* eventfd: kft_dashboard_stop() */
	volatile int stopping;

	pthread_mutex_t lock;      /* snap, gen, removals, streams */
	pthread_cond_t changed;
	kft__dash_snap *snap;
	char *list_error;          /* the last list error, or NULL */
	uint64_t gen;
	struct { char *name; uint64_t gen; } *removed;   /* ring of recent removals */
	size_t nremoved, removed_head;
	int streams;               /* running log-stream threads */
	pthread_cond_t streams_done;

	kft__dash_history *hist;   /* NULL: no history (local, container) */
	int64_t hist_days, hist_max;
};
typedef struct kft_dashboard kft__dash;

/* snapshots (lib/dashboard_snapshot.c) */
/** Read the job list (and the history), publish it as the new snapshot. */
int kft__dash_poll(kft__dash *d);
kft__dash_snap *kft__dash_snap_get(kft__dash *d);
void kft__dash_snap_put(kft__dash *d, kft__dash_snap *s);
void kft__dash_snap_free(kft__dash_snap *s);
const kft__dash_entry *kft__dash_snap_find(const kft__dash_snap *s, const char *name);

/* responses (lib/dashboard.c) */
/** Content-Type, CSP, nosniff, no referrer, no-store: on every response. */
void kft__dash_secure_headers(struct MHD_Response *r, const char *type);
/** An error page with that status. */
enum MHD_Result kft__dash_send_error(struct MHD_Connection *c, unsigned status, const char *msg);

/* server-sent events (lib/dashboard_stream.c) */
/** GET /events: the jobs table's live updates. */
enum MHD_Result kft__dash_serve_events(kft__dash *d, struct MHD_Connection *c);
/** GET /jobs/NAME/logs: the job's logs, followed (one thread per stream). */
enum MHD_Result kft__dash_serve_logs(kft__dash *d, struct MHD_Connection *c, const char *name);

/* escaping (lib/dashboard_pages.c) */
/** HTML text/attribute escaping; invalid UTF-8 and control characters become U+FFFD. */
void kft__dash_put_html(kft__buf *b, const char *s, size_t len);
void kft__dash_puts_html(kft__buf *b, const char *s);
/** A JSON string literal (quotes included), invalid UTF-8 as U+FFFD. */
void kft__dash_put_json(kft__buf *b, const char *s, size_t len);
/** "3m 5s", "2h 4m", "-" for < 0. */
void kft__dash_put_duration(kft__buf *b, int64_t seconds);

/** Hide secret-looking values (env TOKEN/SECRET/PASSWORD/KEY/...) in a TrainJob or plan. */
void kft__dash_redact(cJSON *doc);

/* pages (lib/dashboard_pages.c) */
typedef struct {
	const char *status, *runtime, *q;   /* filters; NULL or "": any */
	size_t limit;
} kft__dash_filter;
/** One <tr> for the jobs table; now 0: no time texts (the change signature). */
void kft__dash_row(kft__buf *b, const kft_job_t *job, int history, int64_t now_ms);
int kft__dash_page_index(kft__buf *b, kft__dash *d, const kft__dash_filter *f);
int kft__dash_page_job(kft__buf *b, kft__dash *d, const char *name);
int kft__dash_page_confirm(kft__buf *b, kft__dash *d, const char *name, const char *action);
void kft__dash_page_error(kft__buf *b, int http_status, const char *message);
extern const char kft__dash_css[], kft__dash_js[];

/* charts (lib/dashboard_pages.c): one metric over time, server-side SVG */
typedef struct {
	char *name;
	double *t, *v;         /* t: Unix ms */
	size_t n, cap;
} kft__dash_series;
typedef struct {
	kft__dash_series *v;
	size_t n;
} kft__dash_series_set;
/** Append a point to the series called name (created on first use). */
int kft__dash_series_add(kft__dash_series_set *set, const char *name, double t_ms, double v);
void kft__dash_series_free(kft__dash_series_set *set);

/* /metrics (lib/dashboard_metrics.c) */
int kft__dash_metrics(kft__buf *b, kft__dash *d);
void kft__dash_put_prom_label(kft__buf *b, const char *s);

/* history (lib/dashboard_history.c): SQLite, for cluster backends */
/** scope: the context and namespace watched ("ctx/ns"); one database serves many. */
int kft__dash_history_open(kft__dash_history **out, const char *path, const char *scope);
void kft__dash_history_close(kft__dash_history *h);
/** Record a job seen on the cluster (only when its signature changed). final: also logs/events. */
int kft__dash_history_record(kft__dash_history *h, kft__dash *d, const kft_job_t *job, int final);
/** Every recorded job (for jobs gone from the cluster). */
int kft__dash_history_list(kft_job_list_t **out, kft__dash_history *h);
int kft__dash_history_job(kft_job_t **out, kft__dash_history *h, const char *name);
int kft__dash_history_events(kft_event_list_t **out, kft__dash_history *h, const char *name);
/** The recorded last log lines of each step: calls cb(step, text) per step. */
int kft__dash_history_logs(kft__dash_history *h, const char *name,
                           void (*cb)(const char *step, const char *text, void *p), void *p);
int kft__dash_history_prune(kft__dash_history *h, int64_t days, int64_t max_jobs);
/** Record a job's numeric metrics at time t (kubernetes: the metrics history). */
int kft__dash_history_metrics(kft__dash_history *h, const kft_job_t *job, int64_t t_ms);
/** The recorded TrainJob (YAML, redacted), or NULL. Yours: free(). */
char *kft__dash_history_manifest(kft__dash_history *h, const char *name);
/** The recorded metrics history of a job ("progress" is the progress percentage). */
int kft__dash_history_series(kft__dash_series_set *out, kft__dash_history *h, const char *name);

/* JSON render options for the library's documents (kft_get_job_manifest) */
extern const kft_render_opts_t kft__dash_json;

#endif
