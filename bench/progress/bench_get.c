/*
 * The in-library half of bench/progress/run.sh: reads a round number per line
 * on stdin (sent once that round's progress POST was answered 200), calls
 * kft_get_job until the job's "round" metric shows it, and prints the time
 * that took in ms: the POST-to-visible figure without a `kft get` process.
 * Usage: bench_get JOB (KFT_STATE_DIR, KFT_BACKEND as for kft)
 * SPDX-License-Identifier: Apache-2.0
 */
#include <kftrainer.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int shows(const kft_job_t *job, const char *want)
{
	size_t i;

	for (i = 0; i < kft_job_metric_count(job); i++) {
		const kft_metric_t *m = kft_job_metric_at(job, i);

		if (!strcmp(kft_metric_name(m), "round") && !strcmp(kft_metric_value(m), want))
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	kft_client_t *c;
	char line[64];

	if (argc != 2) {
		fprintf(stderr, "usage: bench_get JOB\n");
		return 2;
	}
	if (kft_client_new(&c, NULL) < 0) {
		fprintf(stderr, "bench_get: %s\n", kft_error_last()->message);
		return 1;
	}
	while (fgets(line, sizeof(line), stdin)) {
		double t0 = now_ms(), give_up = t0 + 10000;
		int seen = 0;

		line[strcspn(line, "\n")] = '\0';
		while (!seen && now_ms() < give_up) {
			kft_job_t *job = NULL;

			if (kft_get_job(&job, c, argv[1]) < 0) {
				fprintf(stderr, "bench_get: %s\n", kft_error_last()->message);
				return 1;
			}
			seen = shows(job, line);
			kft_job_free(job);
		}
		if (!seen) {
			fprintf(stderr, "bench_get: round %s not visible within 10 s\n", line);
			return 1;
		}
		printf("%.3f\n", now_ms() - t0);
		fflush(stdout);
	}
	kft_client_free(c);
	return 0;
}
