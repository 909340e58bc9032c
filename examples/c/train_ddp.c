/*
 * train_ddp: run the 2-node PyTorch DDP demo through libkftrainer's public
 * API only. Builds a TrainJob (runtime torch-distributed, 2 nodes, the
 * Python script embedded), starts it, streams both nodes' logs, waits for
 * the end and checks that both ranks printed the same parameter digest.
 *
 *   train_ddp [SCRIPT] [NAME]      (SCRIPT defaults to examples/ddp_train.py)
 * SPDX-License-Identifier: Apache-2.0
 */
#include <kftrainer.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	char digest[2][80];   /* "params-sha256 <hex>" of ranks 0 and 1 */
} demo_t;

static int on_log(const char *chunk, size_t len, const char *step, void *payload)
{
	demo_t *d = payload;
	const char *p = chunk, *end = chunk + len;

	fwrite(chunk, 1, len, stdout);
	fflush(stdout);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char line[512];
		int rank;
		char hex[80];
		const char *r;

		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, p, n);
		line[n] = '\0';
		if ((r = strstr(line, "rank ")) && sscanf(r, "rank %d params-sha256 %79s", &rank, hex) == 2 &&
		    rank >= 0 && rank < 2)
			snprintf(d->digest[rank], sizeof(d->digest[rank]), "%s", hex);
		p = nl ? nl + 1 : end;
	}
	(void)step;
	return 0;
}

static int fail(const char *what)
{
	fprintf(stderr, "train_ddp: %s: %s\n", what, kft_error_last()->message);
	return 1;
}

int main(int argc, char **argv)
{
	const char *script = argc > 1 ? argv[1] : "examples/ddp_train.py";
	kft_script_opts_t so = KFT_SCRIPT_OPTS_INIT;
	kft_logs_opts_t lo = KFT_LOGS_OPTS_INIT;
	kft_wait_opts_t wo = KFT_WAIT_OPTS_INIT;
	kft_client_t *client = NULL;
	kft_spec_t *spec = NULL;
	kft_job_t *job = NULL;
	demo_t demo;
	char name[64];
	int rc = 1, err;

	memset(&demo, 0, sizeof(demo));
	if (kft_client_new(&client, NULL) < 0)
		return fail("client");
	if (kft_spec_new(&spec) < 0 || kft_spec_set_runtime(spec, "torch-distributed", NULL) < 0 ||
	    kft_spec_set_num_nodes(spec, 2) < 0) {
		rc = fail("spec");
		goto out;
	}
	if (argc > 2)
		err = kft_spec_set_name(spec, argv[2]);
	else
		err = kft_spec_generate_name(spec);
	so.script_path = script;
	if (err < 0 || kft_spec_set_script(spec, &so) < 0) {
		rc = fail("script");
		goto out;
	}
	if (kft_train(&job, client, spec, NULL) < 0) {
		rc = fail("train");
		goto out;
	}
	snprintf(name, sizeof(name), "%s", kft_job_name(job));
	printf("started TrainJob %s (%s backend, %lld nodes)\n", name, kft_client_backend(client),
	       (long long)kft_job_num_nodes(job));
	kft_job_free(job);
	job = NULL;

	lo.flags = KFT_LOGS_FOLLOW;   /* all steps, "node-i: " prefixes */
	if (kft_logs(client, name, &lo, on_log, &demo) < 0) {
		rc = fail("logs");
		goto out;
	}
	/* both end states: a failed job comes back to read (with only Complete wanted,
	 * kft_wait would say KFT_EJOBFAILED and hand back no job) */
	wo.want = KFT_WANT_FINISHED;
	wo.timeout_ms = 10 * 60 * 1000;
	err = kft_wait(&job, client, name, &wo);
	if (err == 0 && kft_job_state(job) == KFT_JOB_FAILED) {
		fprintf(stderr, "train_ddp: TrainJob %s failed: %s\n%s\n", name, kft_job_reason(job),
		        kft_job_message(job) ? kft_job_message(job) : "");
		goto out;
	}
	if (err < 0) {
		rc = fail("wait");
		goto out;
	}
	printf("TrainJob %s: %s\n", name, kft_job_status(job));
	if (!demo.digest[0][0] || strcmp(demo.digest[0], demo.digest[1]) != 0) {
		fprintf(stderr, "train_ddp: parameter digests differ: rank 0 %s, rank 1 %s\n",
		        demo.digest[0][0] ? demo.digest[0] : "(none)",
		        demo.digest[1][0] ? demo.digest[1] : "(none)");
		goto out;
	}
	printf("both ranks ended with identical parameters (sha256 %s)\n", demo.digest[0]);
	rc = 0;
out:
	kft_job_free(job);
	kft_spec_free(spec);
	kft_client_free(client);
	return rc;
}
