/*
 * Kubernetes API answers that are errors: a Status body (or any text) with a
 * non-2xx code. The error is set, its code negative, its message free of the
 * server's control characters (no terminal escapes reach a user's screen) and
 * its reason a plain word.
 * Input: 2 bytes of HTTP status, then the body.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "fuzz.h"
#include "../backends/kubernetes/k8s.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	long http;
	int code;
	const kft_error_t *e;
	const char *m;

	if (size < 2)
		return 0;
	http = (long)data[0] << 8 | data[1];
	if (http < 300 || http > 599)
		http = 300 + http % 300;
	code = kft__k8s_status_error(http, (const char *)data + 2, size - 2, "GET",
	                             "https://127.0.0.1:6443/apis/trainer.kubeflow.org/v1alpha1");
	e = kft_error_last();
	FUZZ_CHECK(code < 0, "status %ld gave code %d", http, code);
	FUZZ_CHECK(e->http_status >= 100 && e->http_status < 1000, "http_status %d", e->http_status);
	fuzz_check_terminal_safe(e->message);
	if (e->reason)
		for (m = e->reason; *m; m++)
			FUZZ_CHECK((*m >= 'a' && *m <= 'z') || (*m >= 'A' && *m <= 'Z') ||
			           (*m >= '0' && *m <= '9'), "reason \"%s\"", e->reason);
	return 0;
}
