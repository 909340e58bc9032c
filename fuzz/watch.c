/*
 * Kubernetes watch streams (newline-framed events, as kft wait reads them) for
 * the TrainJob or its pods, fed in every chunking: the same job view (or the
 * same refusal) as from one piece; garbled events and ERROR events make the
 * watcher relist, never crash. Input: 1 byte (odd: the pods' watch), then the body.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "fuzz.h"
#include "../backends/kubernetes/k8s.h"

static const kft_render_opts_t as_json = { KFT_RENDER_OPTS_VERSION, KFT_FORMAT_JSON, NULL };

static int replay(char **view, const uint8_t *body, size_t len, size_t chunk, int pods)
{
	kft_job_t *job = NULL;
	int error = kft__k8s_watch_replay(&job, (const char *)body, len, chunk, pods);

	*view = NULL;
	if (error < 0) {
		FUZZ_CHECK(job == NULL, "an error and a job");
		return error;
	}
	if (job) {
		FUZZ_CHECK(kft_job_render(view, job, &as_json) == 0, "render: %s",
		           kft_error_last()->message);
		kft_job_free(job);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *whole, *part;
	int pods, e1, e2;
	size_t chunk, len;

	if (size < 1)
		return 0;
	pods = data[0] & 1;
	data++;
	len = size - 1;
	e1 = replay(&whole, data, len, len ? len : 1, pods);
	for (chunk = 1; chunk < len; chunk += len <= 128 ? 1 : len / 16 + 1) {
		e2 = replay(&part, data, len, chunk, pods);
		FUZZ_CHECK(e1 == e2, "chunk %zu: %d, one piece: %d", chunk, e2, e1);
		FUZZ_CHECK((!whole && !part) || (whole && part && !strcmp(whole, part)),
		           "chunk %zu: a different job:\n%s\n---\n%s", chunk, part ? part : "(none)",
		           whole ? whole : "(none)");
		kft_free(part);
	}
	kft_free(whole);
	return 0;
}
