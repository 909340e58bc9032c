/*
 * Kubeflow Trainer's progress protocol (status.trainerStatus): the read side
 * (the latest update is on every kft_job_t, see job.h; the history of updates
 * where a backend keeps one) and the write side for C/C++ training code.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef KFTRAINER_PROGRESS_H
#define KFTRAINER_PROGRESS_H

#include "common.h"

KFT_BEGIN_DECL

/** trainerStatus.lastUpdatedTime of the latest update (Unix ms), or 0 when none. */
KFT_EXTERN int64_t kft_job_progress_updated_ms(const kft_job_t *job);

/* ---- history: every accepted update, oldest first ---- */

typedef struct kft_metrics_history kft_metrics_history_t;
/** One update of the history (a trainerStatus), borrowed from its history. */
typedef struct kft_trainer_status kft_trainer_status_t;

/**
 * The job's history of progress updates (local and container backends keep
 * one; kubernetes keeps only the latest, on the job: KFT_ENOTSUPPORTED).
 * A job that reported nothing has an empty history. Free with
 * kft_metrics_history_free().
 */
KFT_EXTERN int kft_get_metrics_history(kft_metrics_history_t **out, kft_client_t *client,
                                       const char *name);
/** Number of updates in the history. */
KFT_EXTERN size_t kft_metrics_history_count(const kft_metrics_history_t *h);
/** Update i (a trainerStatus), borrowed from h; NULL when out of range. */
KFT_EXTERN const kft_trainer_status_t *kft_metrics_history_at(const kft_metrics_history_t *h,
                                                              size_t i);
/** Free a history. NULL: no-op. */
KFT_EXTERN void kft_metrics_history_free(kft_metrics_history_t *h);

/** The update's lastUpdatedTime (Unix ms); 0 when it had none. */
KFT_EXTERN int64_t kft_trainer_status_time_ms(const kft_trainer_status_t *ts);
/** The update's progressPercentage, or KFT_UNSET when it had none. */
KFT_EXTERN int64_t kft_trainer_status_percent(const kft_trainer_status_t *ts);
/** The update's estimatedRemainingSeconds, or KFT_UNSET when it had none. */
KFT_EXTERN int64_t kft_trainer_status_eta_seconds(const kft_trainer_status_t *ts);
/** Number of the update's metrics. */
KFT_EXTERN size_t kft_trainer_status_metric_count(const kft_trainer_status_t *ts);
/** Metric i of the update (kft_metric_name, kft_metric_value); NULL when out of range. */
KFT_EXTERN const kft_metric_t *kft_trainer_status_metric_at(const kft_trainer_status_t *ts,
                                                            size_t i);

/* ---- outputs ---- */

/**
 * Copy a file or directory out of the job's workspace, named as the job saw it
 * ("/workspace/output/model.pt", or relative to /workspace), to dest (into it
 * when it is a directory). Local and container backends; ".." and paths
 * outside /workspace are refused (KFT_EINVALID); kubernetes: KFT_ENOTSUPPORTED.
 */
KFT_EXTERN int kft_copy_from_job(kft_client_t *client, const char *name, const char *path,
                                 const char *dest);

/* ---- write side: what the Python SDK's update_trainjob_status() does ---- */

/** One progress update. Unset fields are left out of the update. */
typedef struct {
	unsigned int version;             /* KFT_PROGRESS_UPDATE_VERSION */
	int64_t percent;                  /* 0..100 (clamped); KFT_UNSET: none */
	int64_t eta_seconds;              /* >= 0 (clamped); KFT_UNSET: none */
	const char *const *metric_names;  /* metric_count names (1..64 characters) */
	const char *const *metric_values; /* metric_count values as strings (1..64) */
	size_t metric_count;              /* at most 256 are sent */
} kft_progress_update_t;
#define KFT_PROGRESS_UPDATE_VERSION 1
#define KFT_PROGRESS_UPDATE_INIT { KFT_PROGRESS_UPDATE_VERSION, KFT_UNSET, KFT_UNSET, NULL, NULL, 0 }
/** Fill update with the defaults of the given version (as KFT_PROGRESS_UPDATE_INIT). */
KFT_EXTERN int kft_progress_update_init(kft_progress_update_t *update, unsigned int version);

/** What kft_progress_report() did. */
typedef enum {
	KFT_PROGRESS_SENT = 0,      /* the server answered 200 */
	KFT_PROGRESS_SKIPPED = 1,   /* not sent: no server configured, or within 5 s of the last success */
	KFT_PROGRESS_FAILED = 2     /* sent (or tried) and refused or unanswered: kft_error_last() says why */
} kft_progress_result_t;

/**
 * Report training progress to Kubeflow Trainer's status server, as the
 * Python SDK's update_trainjob_status() does: reads
 * KUBEFLOW_TRAINER_SERVER_URL, KUBEFLOW_TRAINER_SERVER_CA_CERT and
 * KUBEFLOW_TRAINER_SERVER_TOKEN (the last two are file paths), sends one
 * POST with a 5 s timeout, and sends at most one successful update per 5 s
 * per process (a failed one does not use up the window). Never fails its
 * caller: the result (kft_progress_result_t, never negative) is for
 * information only. Works on every backend, including a real cluster.
 * Thread-safe.
 */
KFT_EXTERN int kft_progress_report(const kft_progress_update_t *update);

KFT_END_DECL
#endif
