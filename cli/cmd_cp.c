/*
 * kft cp JOB:PATH DEST: copy a file or directory out of a local or container
 * job's workspace, named as the job saw it (kft_copy_from_job).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "kft.h"

#include <stdlib.h>
#include <string.h>

int cli_cmd_cp(const cli_command *cmd, int argc, char **argv)
{
	kft_client_t *c;
	cli_args a;
	char *job, *colon;
	int rc;

	PARSE(&a, cmd, argc, argv, NULL);
	if (a.nops != 2 || !(colon = strchr(a.ops[0], ':')) || colon == a.ops[0] || !colon[1]) {
		fprintf(stderr, "kft cp: usage: kft cp JOB:PATH DEST "
		        "(e.g. kft cp my-job:/workspace/output/model.pt .)\n");
		return EXIT_USAGE;
	}
	if (!(job = strndup(a.ops[0], (size_t)(colon - a.ops[0])))) {
		fprintf(stderr, "kft cp: out of memory\n");
		return EXIT_ERR;
	}
	if ((rc = cli_open_client(&c)) == 0) {
		if (kft_copy_from_job(c, job, colon + 1, a.ops[1]) < 0)
			rc = cli_error("cp");
		kft_client_free(c);
	}
	free(job);
	return rc;
}
