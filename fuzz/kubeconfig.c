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

/* Is a secret of the document (a user's token or password, >= 6 bytes) in msg? */
static int leaks(const char *msg, const char *text, size_t len)
{
	cJSON *doc = NULL, *u, *users;
	int leak = 0;

	if (kft__yaml_parse(&doc, text, len, "kubeconfig") < 0) {
		kft_error_clear();
		return 0;
	}
	users = cJSON_GetObjectItemCaseSensitive(doc, "users");
	cJSON_ArrayForEach(u, users) {
		const cJSON *user = kft__json_get(u, "user");
		const char *keys[] = { "token", "password" };
		size_t i;

		for (i = 0; i < 2; i++) {
			const char *v = kft__json_str(user, keys[i]);

			/* (a value that is also the user's or the file's name is not a secret) */
			if (v && strlen(v) >= 6 && strstr(msg, v) &&
			    !strstr(kft__json_str(u, "name") ? kft__json_str(u, "name") : "", v))
				leak = 1;
		}
	}
	cJSON_Delete(doc);
	return leak;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kft__k8s_config c;
	const char *path = fuzz_write("config", data, size);
	char *text = fuzz_str(data, size);
	int error;

	memset(&c, 0, sizeof(c));
	error = kft__k8s_config_load(&c, path, NULL, NULL);
	if (error == 0) {
		FUZZ_CHECK(c.server && *c.server, "loaded without a server");
		FUZZ_CHECK(c.ns && *c.ns, "loaded without a namespace");
	} else {
		char msg[4096];

		FUZZ_CHECK(error < 0, "error %d", error);
		snprintf(msg, sizeof(msg), "%s", kft_error_last()->message);
		FUZZ_CHECK(!leaks(msg, text, size), "a secret in the error: %s", msg);
	}
	kft__k8s_config_free(&c);
	free(text);
	unlink(path);
	return 0;
}
