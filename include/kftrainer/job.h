/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KFTRAINER_JOB_H
#define KFTRAINER_JOB_H

#include "common.h"
#include "render.h"

KFT_BEGIN_DECL

/*
 * Jobs, steps, metrics and events. Every collection is read the same way:
 * <parent>_count() and <parent>_at(parent, i), which returns a handle
 * borrowed from the parent (NULL when i is out of range); the handle's
 * getters take that handle. Getters of a NULL handle return NULL (strings)
 * or KFT_UNSET (numbers).
 */

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
/** Parse a status name (case-insensitive) into *out; KFT_EINVALID naming the valid ones. */
KFT_EXTERN int kft_job_state_parse(int *out, const char *name);
/** "Pending", "Running", "Succeeded", "Failed"; NULL if out of range. */
KFT_EXTERN const char *kft_step_state_name(int state);

/** Free a job. NULL: no-op. */
KFT_EXTERN void kft_job_free(kft_job_t *job);
/** Deep copy of a job. Yours: kft_job_free(*out). */
KFT_EXTERN int kft_job_dup(kft_job_t **out, const kft_job_t *job);

/** The TrainJob's name. */
KFT_EXTERN const char *kft_job_name(const kft_job_t *job);
/** Its namespace; NULL for local and container jobs. */
KFT_EXTERN const char *kft_job_namespace(const kft_job_t *job);
/** The runtime it refers to (spec.runtimeRef.name); NULL if unknown. */
KFT_EXTERN const char *kft_job_runtime(const kft_job_t *job);
/** The backend that reported it ("local", "container", "kubernetes", ...). */
KFT_EXTERN const char *kft_job_backend(const kft_job_t *job);
/** kft_job_state_t; KFT_UNSET for a NULL job. */
KFT_EXTERN int kft_job_state(const kft_job_t *job);
/** The state's name ("Running", ...). */
KFT_EXTERN const char *kft_job_status(const kft_job_t *job);
/** Machine-readable reason of the state ("DeadlineExceeded", ...); NULL if none. */
KFT_EXTERN const char *kft_job_reason(const kft_job_t *job);
/** Human-readable message of the state; NULL if none. */
KFT_EXTERN const char *kft_job_message(const kft_job_t *job);
/** Number of training nodes. */
KFT_EXTERN int64_t kft_job_num_nodes(const kft_job_t *job);
/** Creation time, Unix ms; 0 when unknown. */
KFT_EXTERN int64_t kft_job_created_ms(const kft_job_t *job);
/** Start time, Unix ms; 0 when not started. */
KFT_EXTERN int64_t kft_job_started_ms(const kft_job_t *job);
/** End time (Complete or Failed), Unix ms; 0 when not finished. */
KFT_EXTERN int64_t kft_job_finished_ms(const kft_job_t *job);
/** trainerStatus progress: percent 0..100, or KFT_UNSET when unknown. */
KFT_EXTERN int64_t kft_job_progress_percent(const kft_job_t *job);
/** trainerStatus estimated remaining seconds, or KFT_UNSET when unknown. */
KFT_EXTERN int64_t kft_job_eta_seconds(const kft_job_t *job);

/** Number of trainerStatus metrics. */
KFT_EXTERN size_t kft_job_metric_count(const kft_job_t *job);
/** Metric i, borrowed from the job; NULL when out of range. */
KFT_EXTERN const kft_metric_t *kft_job_metric_at(const kft_job_t *job, size_t i);
/** The metric's name ("loss", ...). */
KFT_EXTERN const char *kft_metric_name(const kft_metric_t *metric);
/** The metric's value, as reported (a string). */
KFT_EXTERN const char *kft_metric_value(const kft_metric_t *metric);
/** Number of metadata.labels, in the order they were set. */
KFT_EXTERN size_t kft_job_label_count(const kft_job_t *job);
/** Label i, borrowed from the job; NULL when out of range. */
KFT_EXTERN const kft_label_t *kft_job_label_at(const kft_job_t *job, size_t i);
/** The label's key. */
KFT_EXTERN const char *kft_label_key(const kft_label_t *label);
/** The label's value. */
KFT_EXTERN const char *kft_label_value(const kft_label_t *label);
/** The value of the label key; NULL when the job has none. */
KFT_EXTERN const char *kft_job_label(const kft_job_t *job, const char *key);

/** Number of steps: dataset-initializer, model-initializer, launcher, node-0 ... node-N-1. */
KFT_EXTERN size_t kft_job_step_count(const kft_job_t *job);
/** Step i, borrowed from the job; NULL when out of range. */
KFT_EXTERN const kft_step_t *kft_job_step_at(const kft_job_t *job, size_t i);
/** The step's name ("node-0", "launcher", ...). */
KFT_EXTERN const char *kft_step_name(const kft_step_t *step);
/** kft_step_state_t; KFT_UNSET for a NULL step. */
KFT_EXTERN int kft_step_state(const kft_step_t *step);
/** The state's name ("Running", ...). */
KFT_EXTERN const char *kft_step_status(const kft_step_t *step);
/** Pod name (kubernetes), container name (container) or process id (local); NULL if none. */
KFT_EXTERN const char *kft_step_target(const kft_step_t *step);
/** Exit code, or KFT_UNSET when it has not exited (or was killed by a signal). */
KFT_EXTERN int kft_step_exit_code(const kft_step_t *step);
/** Terminating signal number, or 0. */
KFT_EXTERN int kft_step_signal(const kft_step_t *step);
/** Reason of the step's state ("OOMKilled", "Error", ...); NULL if none. */
KFT_EXTERN const char *kft_step_reason(const kft_step_t *step);

/**
 * Render the job (status, steps, progress) as YAML, JSON or text (opts NULL:
 * YAML). Yours: kft_free(*out).
 */
KFT_EXTERN int kft_job_render(char **out, const kft_job_t *job, const kft_render_opts_t *opts);

/** Number of jobs in a list. */
KFT_EXTERN size_t kft_job_list_count(const kft_job_list_t *list);
/** Job i, borrowed from the list; NULL when out of range. */
KFT_EXTERN const kft_job_t *kft_job_list_at(const kft_job_list_t *list, size_t i);
/** Free a list and its jobs. NULL: no-op. */
KFT_EXTERN void kft_job_list_free(kft_job_list_t *list);
/**
 * Render a list (YAML/JSON: an array of jobs; text: a table; opts NULL:
 * YAML). Yours: kft_free(*out).
 */
KFT_EXTERN int kft_job_list_render(char **out, const kft_job_list_t *list,
                                   const kft_render_opts_t *opts);

/** Number of events in a list (oldest first). */
KFT_EXTERN size_t kft_event_list_count(const kft_event_list_t *list);
/** Event i, borrowed from the list; NULL when out of range. */
KFT_EXTERN const kft_event_t *kft_event_list_at(const kft_event_list_t *list, size_t i);
/** Free an event list. NULL: no-op. */
KFT_EXTERN void kft_event_list_free(kft_event_list_t *list);
/** When it happened, Unix ms; 0 when unknown. */
KFT_EXTERN int64_t kft_event_time_ms(const kft_event_t *event);
/** Kind of the object it is about: TrainJob, JobSet, Pod, Step ... */
KFT_EXTERN const char *kft_event_kind(const kft_event_t *event);
/** Name of the object it is about. */
KFT_EXTERN const char *kft_event_object(const kft_event_t *event);
/** "Normal" or "Warning". */
KFT_EXTERN const char *kft_event_type(const kft_event_t *event);
/** Machine-readable reason ("Created", "BackoffLimitExceeded", ...). */
KFT_EXTERN const char *kft_event_reason(const kft_event_t *event);
/** Human-readable message. */
KFT_EXTERN const char *kft_event_message(const kft_event_t *event);

KFT_END_DECL
#endif
