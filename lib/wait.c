/*
 * The wait decision: one rule for kft_wait on every backend (the core's
 * polling fallback, the job runner's, the container engine's and the
 * kubernetes watch), so they agree on what ends a wait and what it says.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "internal.h"

int kft__wait_decide(int *rc, const kft_job_t *job, const char *name, const kft_wait_opts_t *o)
{
	uint32_t want = o && o->want ? o->want : KFT_WANT(KFT_JOB_COMPLETE);
	int st = kft_job_state(job), cb;

	if (o && o->progress_cb && (cb = o->progress_cb(job, o->payload)) != 0) {
		kft__error_set(cb < 0 ? cb : KFT_ERROR, KFT_ERROR_CLASS_CALLBACK,
		               "waiting for TrainJob %s stopped by the caller", name);
		*rc = cb;
		return 0;
	}
	if (want & KFT_WANT(st)) {
		*rc = 0;
		return 0;
	}
	if (st == KFT_JOB_FAILED) {
		const char *reason = kft_job_reason(job), *msg = kft_job_message(job);

		*rc = kft__error_set(KFT_EJOBFAILED, KFT_ERROR_CLASS_INVALID,
		                     "TrainJob %s is Failed%s%s%s%s", name, reason ? ": " : "",
		                     reason ? reason : "", msg ? ": " : "", msg ? msg : "");
		return 0;
	}
	return 1;
}

void kft__wait_hand_over(kft_job_t **out, kft_job_t **job, int rc)
{
	if (out && (rc == 0 || rc == KFT_EJOBFAILED)) {
		*out = *job;
		*job = NULL;
	}
}

int kft__wait_timed_out(const char *name, const kft_job_t *job)
{
	return kft__error_set(KFT_ETIMEOUT, KFT_ERROR_CLASS_INVALID,
	                      "timed out waiting for TrainJob %s%s%s%s", name, job ? " (status " : "",
	                      job ? kft_job_status(job) : "", job ? ")" : "");
}
