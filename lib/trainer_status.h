/*
 * status.trainerStatus (Kubeflow Trainer's progress protocol, KEP-2779):
 * the progress-body validator, the record's rendering in the CRD's shape and
 * the metrics-history file shared by the progress server (writer) and the
 * backends (readers).
 *
 * The history file (<jobdir>/metrics.jsonl) holds one line per accepted
 * update, written with one append:
 *   {"receivedMs":<unix ms>,"trainerStatus":{<the CRD's shape>}}\n
 * It is bounded (KFT__HISTORY_MAX_BYTES): an append that would pass the bound
 * first rewrites the file (temp + rename) with the newest lines filling at
 * most half of it. Readers take complete lines only and skip lines that do not
 * parse, so a torn last record (a crash mid-write) is never an error.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef KFT_TRAINER_STATUS_H
#define KFT_TRAINER_STATUS_H

#include "internal.h"

#define KFT__PROGRESS_MAX_BODY (64 * 1024)   /* Trainer's status server: maxBodySize */
#define KFT__PROGRESS_MAX_METRICS 256        /* CRD: maxItems */
#define KFT__PROGRESS_MAX_CHARS 64           /* CRD: name/value maxLength */
#define KFT__HISTORY_MAX_BYTES (8 * 1024 * 1024)
#define KFT__STORE_TRAINER_STATUS "trainer-status.json"
#define KFT__STORE_HISTORY "metrics.jsonl"

/* a metric is the public kft_metric_t (a job's latest ones, an update's ones) */
typedef struct kft_metric kft__ts_metric;

typedef struct kft_trainer_status {
	int present;          /* the body carried a (non-null) trainerStatus */
	int64_t percent;      /* progressPercentage, < 0 absent */
	int64_t eta;          /* estimatedRemainingSeconds, < 0 absent */
	int64_t updated_ms;   /* lastUpdatedTime (Unix ms, whole seconds); 0 absent */
	kft__ts_metric *metrics;
	size_t nmetrics;
} kft__trainer_status;

#define KFT__TRAINER_STATUS_INIT { 0, -1, -1, 0, NULL, 0 }

/* How a refused body was refused (the status server's answer follows from it). */
enum {
	KFT__PROGRESS_MALFORMED = 1,   /* not the request's JSON shape: 422 "Invalid payload" */
	KFT__PROGRESS_INVALID = 2      /* breaks a CRD rule: 422 with the field's message */
};

/**
 * Validate a progress POST body as Trainer's status server and the CRD do
 * (pure: no I/O, no globals but the thread's error). 0: valid, out filled
 * (out->present 0 for a body without trainerStatus, which is accepted and
 * changes nothing). KFT_EINVALID: refused; *kind says how, and
 * kft_error_last() names the field and the rule (for KFT__PROGRESS_INVALID,
 * in the API server's words: "status.trainerStatus.progressPercentage:
 * Invalid value: 101: ... should be less than or equal to 100").
 * body need not be NUL-terminated; len > KFT__PROGRESS_MAX_BODY is refused.
 */
int kft__progress_body_parse(kft__trainer_status *out, int *kind, const char *body, size_t len);

void kft__trainer_status_clear(kft__trainer_status *ts);

/** Append ts as compact JSON in the CRD's shape (Go's field order and escaping). */
int kft__trainer_status_render(kft__buf *b, const kft__trainer_status *ts);

/** A Kubernetes Status body as Trainer's status server writes one (Go's encoder, with "\n"). */
int kft__progress_status_body(kft__buf *b, int code, const char *reason, const char *message);

/** Read a trainerStatus object (a stored record or a TrainJob's status); lenient. */
int kft__trainer_status_from_json(kft__trainer_status *out, const cJSON *obj);

/** Copy progress, ETA, metrics and lastUpdatedTime into a job. */
int kft__trainer_status_apply(kft_job_t *job, const kft__trainer_status *ts);

/** Write <jobdir>/trainer-status.json (temp + rename). */
int kft__trainer_status_store(const char *jobdir, const kft__trainer_status *ts);
/** Read <jobdir>/trainer-status.json into a job; a missing file changes nothing. */
int kft__trainer_status_load_into(kft_job_t *job, const char *jobdir);

/** Append one record to a history file (bounded by max_bytes, see above). */
int kft__history_append(const char *path, int64_t received_ms, const kft__trainer_status *ts,
                        size_t max_bytes);
/** Read a history file; a missing file is an empty history. */
int kft__history_read(kft_metrics_history_t **out, const char *path);

#endif
