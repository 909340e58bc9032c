/*
 * State-directory records another process may have torn or replaced: a job's
 * state.json, events.jsonl, trainer-status.json and metrics.jsonl (the input's
 * NUL-separated parts, in that order) read as kft get/list/events/metrics read
 * them. A record that is not one is an error naming it, never a crash; what is
 * read renders.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "fuzz.h"
#include "../backends/runner/store.h"
#include "trainer_status.h"

#include <sys/stat.h>

static const kft_render_opts_t as_json = { KFT_RENDER_OPTS_VERSION, KFT_FORMAT_JSON, NULL };

static const char *const files[] = { KFT__STORE_STATE, KFT__STORE_EVENTS,
	                             KFT__STORE_TRAINER_STATUS, KFT__STORE_HISTORY };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char jobdir[4200], path[4400], *view = NULL;
	const uint8_t *p = data, *end = data + size;
	kft_job_t *job = NULL;
	kft_job_list_t *list = NULL;
	kft_event_list_t *events = NULL;
	kft_metrics_history_t *hist = NULL;
	size_t i;
	int error;

	fuzz_clear();
	snprintf(jobdir, sizeof(jobdir), "%s/jobs", fuzz_dir());
	mkdir(jobdir, 0700);
	snprintf(jobdir, sizeof(jobdir), "%s/jobs/x", fuzz_dir());
	mkdir(jobdir, 0700);
	for (i = 0; i < 4 && p <= end; i++) {
		const uint8_t *nul = memchr(p, 0, (size_t)(end - p));
		size_t n = nul ? (size_t)(nul - p) : (size_t)(end - p);
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", jobdir, files[i]);
		if ((f = fopen(path, "wb")) == NULL || (n && fwrite(p, 1, n, f) != n) || fclose(f))
			abort();
		p += n + 1;
	}
	if ((error = kft__store_get_job(&job, fuzz_dir(), "x", "local")) == 0) {
		FUZZ_CHECK(kft_job_render(&view, job, &as_json) == 0, "render");
		kft_free(view);
		kft_job_free(job);
	} else {
		FUZZ_CHECK(error < 0 && *kft_error_last()->message, "error %d without a message", error);
	}
	if (kft__store_list_jobs(&list, fuzz_dir(), NULL, "local") == 0)
		kft_job_list_free(list);
	if (kft__store_get_events(&events, fuzz_dir(), "x") == 0)
		kft_event_list_free(events);
	if (kft__store_metrics_history(&hist, fuzz_dir(), "x") == 0)
		kft_metrics_history_free(hist);
	return 0;
}
