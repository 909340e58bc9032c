/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KFTRAINER_WAIT_H
#define KFTRAINER_WAIT_H

#include "common.h"

KFT_BEGIN_DECL

/** Bit for a kft_job_state_t in kft_wait_opts_t.want. */
#define KFT_WANT(state) (1u << (unsigned int)(state))
/** want: return on either end state (Complete or Failed); check kft_job_state() after. */
#define KFT_WANT_FINISHED (KFT_WANT(KFT_JOB_COMPLETE) | KFT_WANT(KFT_JOB_FAILED))

/**
 * Progress callback: runs on the caller's thread on every change and at
 * least once a second. A non-zero return stops the wait and is returned
 * unchanged by kft_wait; the job keeps running.
 */
typedef int (*kft_wait_cb)(const kft_job_t *job, void *payload);

/** Options of kft_wait(). */
typedef struct {
	unsigned int version;    /* KFT_WAIT_OPTS_VERSION, always first */
	uint32_t want;           /* KFT_WANT(KFT_JOB_COMPLETE) | ...; 0: Complete */
	int64_t timeout_ms;      /* <= 0: no timeout; past it: KFT_ETIMEOUT */
	kft_wait_cb progress_cb; /* optional */
	void *payload;           /* passed to progress_cb, never looked into */
} kft_wait_opts_t;
/** The newest kft_wait_opts_t layout this header describes. */
#define KFT_WAIT_OPTS_VERSION 1
/** Every field of kft_wait_opts_t at its default. */
#define KFT_WAIT_OPTS_INIT { KFT_WAIT_OPTS_VERSION, 0, 0, NULL, NULL }
/** Fill opts with the defaults of the given version; only that version's fields are written. */
KFT_EXTERN int kft_wait_opts_init(kft_wait_opts_t *opts, unsigned int version);

/**
 * Wait until the job reaches a wanted status: 0 with *out the job. Like
 * every function, on an error *out is NULL: KFT_EJOBFAILED at once when the
 * job fails and Failed is not wanted (kft_error_last() then carries the
 * job's reason and message), KFT_ETIMEOUT, or the callback's non-zero value.
 * To read a failed job, want KFT_WANT_FINISHED and check kft_job_state().
 * Event-driven, never sleep-polling locally.
 */
KFT_EXTERN int kft_wait(kft_job_t **out, kft_client_t *client, const char *name,
                        const kft_wait_opts_t *opts);

KFT_END_DECL
#endif
