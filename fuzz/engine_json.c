/*
 * Docker/Podman Engine JSON answers: a container list (GET /containers/json)
 * with each container's inspect answer, as the container backend reads them
 * to rebuild a job whose state dir is gone. Also any Engine error body. A
 * job is rebuilt (and renders) or refused, never a crash; reading changes nothing.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "fuzz.h"
#include "../backends/container/container.h"

static const kft_render_opts_t as_json = { KFT_RENDER_OPTS_VERSION, KFT_FORMAT_JSON, NULL };
static const kft_render_opts_t as_text = { KFT_RENDER_OPTS_VERSION, KFT_FORMAT_TEXT, NULL };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *list = cJSON_ParseWithLength((const char *)data, size);
	kft_job_t *job = NULL;
	char *view = NULL;
	int error;

	if (!list)
		return 0;
	error = kft__container_observe_json(&job, "x", list);
	if (error == 0 && job) {
		FUZZ_CHECK(kft_job_render(&view, job, &as_json) == 0, "render: %s",
		           kft_error_last()->message);
		kft_free(view);
		FUZZ_CHECK(kft_job_render(&view, job, &as_text) == 0, "text: %s",
		           kft_error_last()->message);
		kft_free(view);
		kft_job_free(job);
	} else {
		FUZZ_CHECK(error <= 0 && job == NULL, "error %d with a job", error);
	}
	cJSON_Delete(list);
	return 0;
}
