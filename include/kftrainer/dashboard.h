/*
 * The dashboard: a web UI, a job history and Prometheus metrics for any backend.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Threads: kft_dashboard_new() starts an HTTP server (libmicrohttpd) with one
 * thread per connection, and streaming log views run one more thread each.
 * These are the only threads the library ever starts, and only here, where
 * the caller asks for a server; kft_dashboard_free() joins them all. The
 * dashboard makes its own clients from the client options it is given, so
 * no client of the caller is touched from those threads. No signal handler
 * is installed: a program stops kft_dashboard_run() with kft_dashboard_stop(),
 * which is async-signal-safe.
 */
#ifndef KFTRAINER_DASHBOARD_H
#define KFTRAINER_DASHBOARD_H

#include "common.h"
#include "client.h"

KFT_BEGIN_DECL

typedef struct kft_dashboard kft_dashboard_t;

typedef struct {
	unsigned int version;       /* KFT_DASHBOARD_OPTS_VERSION, always first */
	const char *listen;         /* "HOST:PORT" ("[::1]:PORT"); NULL: "127.0.0.1:8080"; port 0: any */
	const char *token;          /* NULL: $KFT_DASHBOARD_TOKEN; required for a non-loopback
	                             * address; when set every request must carry it */
	const char *history_path;   /* kubernetes history (SQLite); NULL: STATE_DIR/dashboard.sqlite;
	                             * "" : no history */
	int64_t history_days;       /* drop history older than this; <= 0: 30 */
	int64_t history_max_jobs;   /* keep at most this many jobs in the history; <= 0: 10000 */
	int64_t poll_ms;            /* how often the job list is read; <= 0: 500 (raised to 4x the
	                             * time a list takes, so big stores do not spin) */
} kft_dashboard_opts_t;
#define KFT_DASHBOARD_OPTS_VERSION 1
#define KFT_DASHBOARD_OPTS_INIT { KFT_DASHBOARD_OPTS_VERSION, NULL, NULL, NULL, 0, 0, 0 }
/** Fill opts with the defaults of the given version (as KFT_DASHBOARD_OPTS_INIT). */
KFT_EXTERN int kft_dashboard_opts_init(kft_dashboard_opts_t *opts, unsigned int version);

/**
 * Bind the address, read the job list once and start serving. client_opts
 * chooses the backend exactly as for kft_client_new() (NULL: defaults).
 * A non-loopback listen address without a token is KFT_EINVALID.
 */
KFT_EXTERN int kft_dashboard_new(kft_dashboard_t **out, const kft_client_opts_t *client_opts,
                                 const kft_dashboard_opts_t *opts);
/** "http://HOST:PORT/" with the port actually bound (borrowed). */
KFT_EXTERN const char *kft_dashboard_url(const kft_dashboard_t *dash);
/**
 * Watch the backend (live updates, history, metrics) on the caller's thread
 * until kft_dashboard_stop(); returns 0 then.
 */
KFT_EXTERN int kft_dashboard_run(kft_dashboard_t *dash);
/** Make kft_dashboard_run() return soon. Thread- and async-signal-safe. */
KFT_EXTERN void kft_dashboard_stop(kft_dashboard_t *dash);
/** Stop serving, join every server thread and free. NULL: no-op. */
KFT_EXTERN void kft_dashboard_free(kft_dashboard_t *dash);

KFT_END_DECL
#endif
