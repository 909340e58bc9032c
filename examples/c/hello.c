/*
 * hello: the smallest libkftrainer program. Prints the library version, the
 * runtimes it knows, and the TrainJob a 2-node command trainer renders to.
 * Needs no backend, so it also checks an installed library:
 *   cc hello.c $(pkg-config --cflags --libs kftrainer) -o hello && ./hello
 * SPDX-License-Identifier: Apache-2.0
 */
#include <kftrainer.h>

#include <stdio.h>

static int fail(const char *what, int error)
{
	fprintf(stderr, "hello: %s: %s (%s, code %d)\n", what, kft_error_last()->message,
	        kft_strerror(error), error);
	return 1;
}

int main(void)
{
	static const char *const argv[] = { "sh", "-c", "echo hello from node $PET_NODE_RANK" };
	kft_client_t *client = NULL;
	kft_runtime_list_t *runtimes = NULL;
	kft_spec_t *spec = NULL;
	char *yaml = NULL;
	size_t i;
	int error, rc = 1;

	if ((kft_version() >> 16) != KFT_VERSION_MAJOR) {
		fprintf(stderr, "hello: built for ABI %d, running with %s\n", KFT_VERSION_MAJOR,
		        kft_version_string());
		return 1;
	}
	printf("libkftrainer %s (headers %s)\n", kft_version_string(), KFT_VERSION_STRING);

	if ((error = kft_client_new(&client, NULL)) < 0) {
		rc = fail("kft_client_new", error);
		goto out;
	}
	if ((error = kft_list_runtimes(&runtimes, client)) < 0) {
		rc = fail("kft_list_runtimes", error);
		goto out;
	}
	printf("%zu runtimes:", kft_runtime_list_count(runtimes));
	for (i = 0; i < kft_runtime_list_count(runtimes); i++)
		printf(" %s", kft_runtime_name(kft_runtime_list_at(runtimes, i)));
	printf("\n");

	if ((error = kft_spec_new(&spec)) < 0 ||
	    (error = kft_spec_set_name(spec, "hello")) < 0 ||
	    (error = kft_spec_set_runtime(spec, "torch-distributed", NULL)) < 0 ||
	    (error = kft_spec_set_command(spec, argv, 3)) < 0 ||
	    (error = kft_spec_set_num_nodes(spec, 2)) < 0 ||
	    (error = kft_spec_validate(spec, NULL)) < 0 ||
	    (error = kft_spec_render(&yaml, spec, NULL)) < 0) {
		rc = fail("building the TrainJob", error);
		goto out;
	}
	fputs(yaml, stdout);
	rc = 0;
out:
	kft_free(yaml);
	kft_spec_free(spec);
	kft_runtime_list_free(runtimes);
	kft_client_free(client);
	return rc;
}
