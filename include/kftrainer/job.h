/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KFTRAINER_JOB_H
#define KFTRAINER_JOB_H

#include "common.h"

KFT_BEGIN_DECL

/** Job status; strings exactly as Kubeflow's SDK prints them. */
typedef enum {
	KFT_JOB_CREATED = 0,
	KFT_JOB_SUSPENDED = 1,
	KFT_JOB_RUNNING = 2,
	KFT_JOB_COMPLETE = 3,
	KFT_JOB_FAILED = 4
} kft_job_state_t;

/** Step status. */
typedef enum {
	KFT_STEP_PENDING = 0,
	KFT_STEP_RUNNING = 1,
	KFT_STEP_SUCCEEDED = 2,
	KFT_STEP_FAILED = 3
} kft_step_state_t;

/** "Created", "Suspended", "Running", "Complete", "Failed"; NULL if out of range. */
KFT_EXTERN const char *kft_job_state_name(int state);
/** Parse a status name (case-insensitive); -1 if unknown. */
KFT_EXTERN int kft_job_state_parse(const char *name);
/** "Pending", "Running", "Succeeded", "Failed". */
KFT_EXTERN const char *kft_step_state_name(int state);

KFT_EXTERN void kft_job_free(kft_job_t *job);
KFT_EXTERN int kft_job_dup(kft_job_t **out, const kft_job_t *job);

KFT_EXTERN const char *kft_job_name(const kft_job_t *job);
KFT_EXTERN const char *kft_job_namespace(const kft_job_t *job);  /* NULL for local jobs */
KFT_EXTERN const char *kft_job_runtime(const kft_job_t *job);
KFT_EXTERN const char *kft_job_backend(const kft_job_t *job);
KFT_EXTERN int kft_job_state(const kft_job_t *job);             /* kft_job_state_t */
KFT_EXTERN const char *kft_job_status(const kft_job_t *job);    /* state name */
KFT_EXTERN const char *kft_job_reason(const kft_job_t *job);    /* NULL if none */
KFT_EXTERN const char *kft_job_message(const kft_job_t *job);   /* NULL if none */
KFT_EXTERN int64_t kft_job_num_nodes(const kft_job_t *job);
KFT_EXTERN int64_t kft_job_created_ms(const kft_job_t *job);    /* Unix ms; 0 unknown */
KFT_EXTERN int64_t kft_job_started_ms(const kft_job_t *job);
KFT_EXTERN int64_t kft_job_finished_ms(const kft_job_t *job);
/** trainerStatus progress: percent 0..100, or -1 when unknown. */
KFT_EXTERN int64_t kft_job_progress_percent(const kft_job_t *job);
/** estimated remaining seconds, or -1 when unknown. */
KFT_EXTERN int64_t kft_job_eta_seconds(const kft_job_t *job);
KFT_EXTERN size_t kft_job_metric_count(const kft_job_t *job);
KFT_EXTERN const char *kft_job_metric_name(const kft_job_t *job, size_t i);
KFT_EXTERN const char *kft_job_metric_value(const kft_job_t *job, size_t i);
/** metadata.labels: count, i-th key and value, or the value of key (NULL: none). */
KFT_EXTERN size_t kft_job_label_count(const kft_job_t *job);
KFT_EXTERN const char *kft_job_label_key(const kft_job_t *job, size_t i);
KFT_EXTERN const char *kft_job_label_value(const kft_job_t *job, size_t i);
KFT_EXTERN const char *kft_job_label(const kft_job_t *job, const char *key);

/* Steps: dataset-initializer, model-initializer, launcher, node-0 ... node-N-1. */
KFT_EXTERN size_t kft_job_step_count(const kft_job_t *job);
KFT_EXTERN const char *kft_job_step_name(const kft_job_t *job, size_t i);
KFT_EXTERN int kft_job_step_state(const kft_job_t *job, size_t i);          /* kft_step_state_t; -1 out of range */
KFT_EXTERN const char *kft_job_step_status(const kft_job_t *job, size_t i); /* state name */
/** Pod name (kubernetes), container name (container) or pid (local). */
KFT_EXTERN const char *kft_job_step_target(const kft_job_t *job, size_t i);
/** Exit code, or -1 when not exited (or killed by a signal). */
KFT_EXTERN int kft_job_step_exit_code(const kft_job_t *job, size_t i);
/** Terminating signal number, or 0. */
KFT_EXTERN int kft_job_step_signal(const kft_job_t *job, size_t i);
KFT_EXTERN const char *kft_job_step_reason(const kft_job_t *job, size_t i);  /* NULL if none */

/** Render the job (status, steps, progress) as YAML, JSON or text. Yours: kft_free(*out). */
KFT_EXTERN int kft_job_render(char **out, const kft_job_t *job, int format);

KFT_EXTERN size_t kft_job_list_count(const kft_job_list_t *list);
KFT_EXTERN const kft_job_t *kft_job_list_at(const kft_job_list_t *list, size_t i);
KFT_EXTERN void kft_job_list_free(kft_job_list_t *list);
/** Render a list (YAML/JSON: an array of jobs; text: a table). Yours: kft_free(*out). */
KFT_EXTERN int kft_job_list_render(char **out, const kft_job_list_t *list, int format);

/* Events, oldest first. */
KFT_EXTERN size_t kft_event_list_count(const kft_event_list_t *list);
KFT_EXTERN int64_t kft_event_time_ms(const kft_event_list_t *list, size_t i);
KFT_EXTERN const char *kft_event_kind(const kft_event_list_t *list, size_t i);    /* TrainJob, Pod, Step ... */
KFT_EXTERN const char *kft_event_object(const kft_event_list_t *list, size_t i);
KFT_EXTERN const char *kft_event_type(const kft_event_list_t *list, size_t i);    /* Normal, Warning */
KFT_EXTERN const char *kft_event_reason(const kft_event_list_t *list, size_t i);
KFT_EXTERN const char *kft_event_message(const kft_event_list_t *list, size_t i);
KFT_EXTERN void kft_event_list_free(kft_event_list_t *list);

KFT_END_DECL
#endif
