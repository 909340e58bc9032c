/*
 * Docker/Podman Engine JSON answers: a container list (GET /containers/json)
 * with each container's inspect answer, as the container backend reads them
 * to rebuild a job whose state dir is gone. Also any Engine error body. A
 * job is rebuilt (and renders) or refused, never a crash; reading changes nothing.
 * As an error body (status 300-599 from the input's length), the same bytes
 * give one of the four codes the Engine's answers map to, and a message free of
 * the engine's control characters.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "fuzz.h"
#include "../backends/container/container.h"

static const kft_render_opts_t as_json = { KFT_RENDER_OPTS_VERSION, KFT_FORMAT_JSON, NULL };
static const kft_render_opts_t as_text = { KFT_RENDER_OPTS_VERSION, KFT_FORMAT_TEXT, NULL };

static void error_body(const uint8_t *data, size_t size)
{
	long status = 300 + (long)(size % 300);
	int code = kft__engine_status_error(status, (const char *)data, size, "POST",
	                                    "/containers/create?name=x");

	FUZZ_CHECK(code == KFT_ENOTFOUND || code == KFT_EEXISTS || code == KFT_EAUTH ||
	           code == KFT_ERROR, "status %ld gave code %d", status, code);
	FUZZ_CHECK(kft_error_last()->http_status == status, "http_status %d",
	           kft_error_last()->http_status);
	fuzz_check_terminal_safe(kft_error_last()->message);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *list = cJSON_ParseWithLength((const char *)data, size);
	kft_job_t *job = NULL;
	char *view = NULL;
	int error;

	error_body(data, size);
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
