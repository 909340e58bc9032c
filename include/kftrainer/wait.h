/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KFTRAINER_WAIT_H
#define KFTRAINER_WAIT_H

#include "common.h"

KFT_BEGIN_DECL

/** Bit for a kft_job_state_t in kft_wait_opts_t.want. */
#define KFT_WANT(state) (1u << (unsigned int)(state))

/**
 * Progress callback: runs on the caller's thread on every change and at
 * least once a second. A non-zero return stops the wait and is returned
 * unchanged by kft_wait; the job keeps running.
 */
typedef int (*kft_wait_cb)(const kft_job_t *job, void *payload);

typedef struct {
	unsigned int version;    /* KFT_WAIT_OPTS_VERSION */
	uint32_t want;           /* KFT_WANT(KFT_JOB_COMPLETE) | ...; 0: Complete */
	int64_t timeout_ms;      /* <= 0: no timeout; past it: KFT_ETIMEOUT */
	kft_wait_cb progress_cb; /* optional */
	void *payload;
} kft_wait_opts_t;
#define KFT_WAIT_OPTS_VERSION 1
#define KFT_WAIT_OPTS_INIT { KFT_WAIT_OPTS_VERSION, 0, 0, NULL, NULL }
KFT_EXTERN int kft_wait_opts_init(kft_wait_opts_t *opts, unsigned int version);

/**
 * Wait until the job reaches a wanted status. Returns 0 with *out the job;
 * KFT_EJOBFAILED at once when it fails and Failed is not wanted (then *out
 * still holds the failed job, so its reason can be read); KFT_ETIMEOUT; or
 * the callback's non-zero value. Event-driven, never sleep-polling locally.
 * out may be NULL.
 */
KFT_EXTERN int kft_wait(kft_job_t **out, kft_client_t *client, const char *name,
                        const kft_wait_opts_t *opts);

KFT_END_DECL
#endif
