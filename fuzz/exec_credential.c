/*
 * Exec-plugin output (an ExecCredential, from a program the kubeconfig names):
 * the harness never runs a plugin, it feeds the output to the same parser. A
 * credential is taken whole or not at all, and no secret (status.token,
 * clientKeyData) nor terminal escape (fuzz_check_terminal_safe) reaches an error message.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "fuzz.h"
#include "../backends/kubernetes/k8s.h"

static int parse(const char *text, size_t len, char *msg, size_t msglen)
{
	kft__k8s k;
	int error;

	memset(&k, 0, sizeof(k));
	k.cfg.exec.api_version = strdup("client.authentication.k8s.io/v1");
	if (!k.cfg.exec.api_version)
		abort();
	error = kft__k8s_parse_credential(&k, text, len, "fuzz-plugin");
	if (error == 0) {
		FUZZ_CHECK(k.exec_valid, "accepted but not valid");
		FUZZ_CHECK((k.token && *k.token) || (k.exec_cert && k.exec_key), "accepted, no credential");
	}
	snprintf(msg, msglen, "%s", error ? kft_error_last()->message : "");
	kft__k8s_cleanup(&k);
	return error;
}

/*
 * Does a secret reach the message? The same document with the secrets changed
 * (same length, other bytes) must give the same message.
 */
static int leaks(const char *text, size_t len, const char *msg)
{
	cJSON *doc = cJSON_ParseWithLength(text, len);
	cJSON *st = cJSON_GetObjectItemCaseSensitive(doc, "status");
	static const char *const keys[] = { "token", "clientKeyData" };
	char other[4096], *t;
	int leak = 0;

	if (fuzz_flip_secrets(st, keys, 2) && (t = cJSON_PrintUnformatted(doc)) != NULL) {
		leak = parse(t, strlen(t), other, sizeof(other)) != 0 && strcmp(other, msg) != 0;
		free(t);
	}
	cJSON_Delete(doc);
	return leak;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char msg[4096];
	int error = parse((const char *)data, size, msg, sizeof(msg));

	FUZZ_CHECK(error <= 0, "error %d", error);
	if (error < 0) {
		FUZZ_CHECK(!leaks((const char *)data, size, msg), "a secret in the error: %s", msg);
		fuzz_check_terminal_safe(msg);
	}
	return 0;
}
