/*
 * Kubeconfig files: loaded as `kft -b kubernetes` loads them (the harness never
 * runs an exec plugin: loading only records it). A loaded config has a server;
 * a refused one says why without quoting a token or a password.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "fuzz.h"
#include "../backends/kubernetes/k8s.h"

#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* nothing of the user's: no $KUBECONFIG, no service account */
	unsetenv("KUBECONFIG");
	setenv("KFT_K8S_SA_DIR", "/nonexistent/kft-fuzz", 1);
	return 0;
}

static int load(char *msg, size_t msglen, const void *data, size_t size)
{
	kft__k8s_config c;
	const char *path = fuzz_write("config", data, size);
	int error;

	memset(&c, 0, sizeof(c));
	error = kft__k8s_config_load(&c, path, NULL, NULL);
	if (error == 0) {
		FUZZ_CHECK(c.server && *c.server, "loaded without a server");
		FUZZ_CHECK(c.ns && *c.ns, "loaded without a namespace");
	}
	snprintf(msg, msglen, "%s", error ? kft_error_last()->message : "");
	kft__k8s_config_free(&c);
	unlink(path);
	return error;
}

/*
 * Does a secret (a user's token or password) reach the message? The same file
 * with the secrets changed (same length, other bytes) must give the same message.
 */
static int leaks(const char *msg, const uint8_t *data, size_t size)
{
	cJSON *doc = NULL, *u;
	kft__buf b = KFT__BUF_INIT;
	char other[4096];
	int changed = 0, leak = 0;

	if (kft__yaml_parse(&doc, (const char *)data, size, "kubeconfig") < 0)
		return 0;
	cJSON_ArrayForEach(u, cJSON_GetObjectItemCaseSensitive(doc, "users")) {
		static const char *const keys[] = { "token", "password" };

		changed |= fuzz_flip_secrets(cJSON_GetObjectItemCaseSensitive(u, "user"), keys, 2);
	}
	if (changed && kft__yaml_render(&b, doc) == 0)
		leak = load(other, sizeof(other), b.ptr, b.len) != 0 && strcmp(other, msg) != 0;
	kft__buf_free(&b);
	cJSON_Delete(doc);
	return leak;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char msg[4096];
	int error = load(msg, sizeof(msg), data, size);

	FUZZ_CHECK(error <= 0, "error %d", error);
	if (error < 0)
		FUZZ_CHECK(!leaks(msg, data, size), "a secret in the error: %s", msg);
	return 0;
}
