/*
 * For backend authors only: building jobs, job lists, events and runtime
 * lists. Every string is copied.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef KFTRAINER_SYS_JOB_H
#define KFTRAINER_SYS_JOB_H

#include "../../kftrainer.h"

KFT_BEGIN_DECL

/** A new job named name, status Created, reported by backend. Yours: kft_job_free(*out). */
KFT_EXTERN int kft_job_new(kft_job_t **out, const char *name, const char *backend);
/** Set the job's namespace (NULL: none). */
KFT_EXTERN int kft_job_set_namespace(kft_job_t *job, const char *ns);
/** Set the runtime the job refers to. */
KFT_EXTERN int kft_job_set_runtime(kft_job_t *job, const char *runtime);
/** Set the job's kft_job_state_t, with an optional reason and message. */
KFT_EXTERN int kft_job_set_state(kft_job_t *job, int state, const char *reason, const char *message);
/** Set the number of training nodes. */
KFT_EXTERN int kft_job_set_num_nodes(kft_job_t *job, int64_t n);
/** Unix ms; 0 leaves a time unknown. */
KFT_EXTERN int kft_job_set_times(kft_job_t *job, int64_t created_ms, int64_t started_ms,
                                 int64_t finished_ms);
/** trainerStatus progress; KFT_UNSET (or any negative value): unknown. */
KFT_EXTERN int kft_job_set_progress(kft_job_t *job, int64_t percent, int64_t eta_seconds);
/** Append a trainerStatus metric (name and value strings). */
KFT_EXTERN int kft_job_add_metric(kft_job_t *job, const char *name, const char *value);
/** Set a metadata.labels entry (a key set again gets the new value). */
KFT_EXTERN int kft_job_set_label(kft_job_t *job, const char *key, const char *value);
/**
 * Append a step; exit_code KFT_UNSET (or any negative value) and signal 0
 * when not exited; target/reason may be NULL.
 */
KFT_EXTERN int kft_job_add_step(kft_job_t *job, const char *name, int state, const char *target,
                                int exit_code, int signal, const char *reason);

/** A new, empty job list. Yours: kft_job_list_free(*out). */
KFT_EXTERN int kft_job_list_new(kft_job_list_t **out);
/** Takes ownership of job (also on failure). */
KFT_EXTERN int kft_job_list_add(kft_job_list_t *list, kft_job_t *job);

/** A new, empty event list. Yours: kft_event_list_free(*out). */
KFT_EXTERN int kft_event_list_new(kft_event_list_t **out);
/** Append an event (kind, object, type, reason, message are copied). */
KFT_EXTERN int kft_event_list_add(kft_event_list_t *list, int64_t time_ms, const char *kind,
                                  const char *object, const char *type, const char *reason,
                                  const char *message);
/** Sort events oldest first (stable). */
KFT_EXTERN void kft_event_list_sort(kft_event_list_t *list);

/** A new, empty runtime list. Yours: kft_runtime_list_free(*out). */
KFT_EXTERN int kft_runtime_list_new(kft_runtime_list_t **out);
/** Takes ownership of rt (also on failure). A runtime of the same name is replaced. */
KFT_EXTERN int kft_runtime_list_add(kft_runtime_list_t *list, kft_runtime_t *rt);
/** Record where a runtime came from ("builtin", "file", "cluster"). */
KFT_EXTERN int kft_runtime_set_source(kft_runtime_t *rt, const char *source);

/** Set this thread's last error (for backends). Returns code. */
KFT_EXTERN int kft_error_set_str(int code, int klass, const char *message);

KFT_END_DECL
#endif
