/*
 * Local backend benchmark (public API only). Measures, in one run:
 *  1. kft_train return time for a 4-node job;
 *  2. time from the last node's exit to kft_wait returning;
 *  3. whole-job overhead: train+wait of a 4-node `true` job against starting
 *     the same 4 processes from a "shell" (posix_spawn + waitpid);
 *  4. N concurrent small jobs: launch time and supervisor RSS.
 * Usage: bench_local [ROUNDS] [CONCURRENT]
 * SPDX-License-Identifier: Apache-2.0
 */
#include <kftrainer.h>

#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_ms(int clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, double *v, int n, const char *target)
{
	double sum = 0;
	int i;

	qsort(v, (size_t)n, sizeof(*v), cmp);
	for (i = 0; i < n; i++)
		sum += v[i];
	printf("%-44s median %8.2f  mean %8.2f  p90 %8.2f  min %8.2f  (n=%d)  target %s\n", what,
	       v[n / 2], sum / n, v[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1], v[0], n, target);
}

static kft_spec_t *spec(const char *name, int nodes, const char *script)
{
	const char *cmd[] = { "sh", "-c", script };
	kft_spec_t *s;

	if (kft_spec_new(&s) < 0 || kft_spec_set_name(s, name) < 0 ||
	    kft_spec_set_runtime(s, "torch-distributed", NULL) < 0 ||
	    kft_spec_set_num_nodes(s, nodes) < 0 || kft_spec_set_command(s, cmd, 3) < 0) {
		fprintf(stderr, "spec: %s\n", kft_error_last()->message);
		exit(1);
	}
	return s;
}

static void die(const char *what)
{
	fprintf(stderr, "bench: %s: %s\n", what, kft_error_last()->message);
	exit(1);
}

/* Largest "<digits>" line (date +%s%N) in a job's logs, in ms. */
typedef struct { double last; } lastexit_t;

static int on_log(const char *chunk, size_t len, const char *step, void *payload)
{
	lastexit_t *le = payload;
	char buf[256];
	const char *p = chunk, *end = chunk + len;

	(void)step;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		long long ns;

		if (n < sizeof(buf)) {
			memcpy(buf, p, n);
			buf[n] = '\0';
			if (sscanf(buf, "%lld", &ns) == 1 && ns > 1000000000000000000LL && ns / 1e6 > le->last)
				le->last = ns / 1e6;
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

static double shell_run(int nodes)
{
	double t0 = now_ms(CLOCK_MONOTONIC);
	pid_t pids[16];
	int i, st;

	for (i = 0; i < nodes; i++) {
		char *argv[] = { (char *)"sh", (char *)"-c", (char *)"true", NULL };

		if (posix_spawnp(&pids[i], "sh", NULL, NULL, argv, environ) != 0)
			exit(1);
	}
	for (i = 0; i < nodes; i++)
		waitpid(pids[i], &st, 0);
	return now_ms(CLOCK_MONOTONIC) - t0;
}

static long rss_kb(const char *pid)
{
	char path[64], line[256];
	FILE *f;
	long kb = -1;

	snprintf(path, sizeof(path), "/proc/%s/status", pid);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 20, conc = argc > 2 ? atoi(argv[2]) : 500, i;
	const char *state = getenv("KFT_STATE_DIR");
	double *train = calloc((size_t)rounds, sizeof(double));
	double *lat = calloc((size_t)rounds, sizeof(double));
	double *kjob = calloc((size_t)rounds, sizeof(double));
	double *sjob = calloc((size_t)rounds, sizeof(double));
	double *ovh = calloc((size_t)rounds, sizeof(double));
	double *tcpu = calloc((size_t)rounds, sizeof(double));
	kft_wait_opts_t wo = KFT_WAIT_OPTS_INIT;
	kft_client_t *c;
	char name[64];

	if (kft_client_new(&c, NULL) < 0)
		die("client");
	printf("local backend benchmark: %d rounds, %d concurrent jobs, state %s\n", rounds, conc,
	       state ? state : "(default)");
	wo.timeout_ms = 120000;
	/* 1 + 2: train return time; last exit -> wait return */
	for (i = 0; i < rounds; i++) {
		kft_spec_t *s;
		kft_logs_opts_t lo = KFT_LOGS_OPTS_INIT;
		lastexit_t le = { 0 };

		lo.prefix = KFT_LOG_PREFIX_NEVER;
		double t0, back;

		snprintf(name, sizeof(name), "b-lat-%d", i);
		s = spec(name, 4, "sleep 0.3; exec date +%s%N");
		{
			double c0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);

			t0 = now_ms(CLOCK_MONOTONIC);
			if (kft_train(NULL, c, s, NULL) < 0)
				die("train");
			train[i] = now_ms(CLOCK_MONOTONIC) - t0;
			tcpu[i] = now_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
		}
		if (kft_wait(NULL, c, name, &wo) < 0)
			die("wait");
		back = now_ms(CLOCK_REALTIME);
		if (kft_logs(c, name, &lo, on_log, &le) < 0)
			die("logs");
		lat[i] = back - le.last;
		kft_spec_free(s);
	}
	/* 3: whole-job overhead against a shell */
	for (i = 0; i < rounds; i++) {
		kft_spec_t *s;
		double t0;

		snprintf(name, sizeof(name), "b-ovh-%d", i);
		s = spec(name, 4, "true");
		t0 = now_ms(CLOCK_MONOTONIC);
		if (kft_train(NULL, c, s, NULL) < 0 || kft_wait(NULL, c, name, &wo) < 0)
			die("train/wait");
		kjob[i] = now_ms(CLOCK_MONOTONIC) - t0;
		sjob[i] = shell_run(4);
		ovh[i] = kjob[i] - sjob[i];
		kft_spec_free(s);
	}
	report("kft_train return, 4-node job (ms)", train, rounds, "< 5 ms");
	report("  of which CPU time in the caller (ms)", tcpu, rounds, "");
	report("last node exit -> kft_wait return (ms)", lat, rounds, "< 10 ms");
	report("4-node `true` job via kft: train+wait (ms)", kjob, rounds, "");
	report("same 4 processes from a shell (ms)", sjob, rounds, "");
	report("overhead per job (ms)", ovh, rounds, "< 10 ms");
	fflush(stdout);
	/* 4: many concurrent jobs */
	if (conc > 0) {
		double t0 = now_ms(CLOCK_MONOTONIC), launch;
		long *rss = calloc((size_t)conc, sizeof(long)), max = 0, sum = 0;
		int nrss = 0;

		for (i = 0; i < conc; i++) {
			kft_spec_t *s;

			snprintf(name, sizeof(name), "b-many-%d", i);
			s = spec(name, 1, "exec sleep 600");
			if (kft_train(NULL, c, s, NULL) < 0)
				die("train (concurrent)");
			kft_spec_free(s);
		}
		launch = now_ms(CLOCK_MONOTONIC) - t0;
		for (i = 0; i < conc; i++) {
			kft_wait_opts_t run = KFT_WAIT_OPTS_INIT;
			char path[600], pid[32], *p;
			FILE *f;

			snprintf(name, sizeof(name), "b-many-%d", i);
			run.want = KFT_WANT(KFT_JOB_RUNNING);
			run.timeout_ms = 120000;
			if (kft_wait(NULL, c, name, &run) < 0)
				die("wait Running");
			/* the supervisor's pid is in the job's state record */
			snprintf(path, sizeof(path), "%s/jobs/%s/state.json", state, name);
			if (!(f = fopen(path, "r")))
				continue;
			{
				char buf[8192];
				size_t n = fread(buf, 1, sizeof(buf) - 1, f);

				buf[n] = '\0';
				p = strstr(buf, "\"supervisorPid\":");
				if (p && sscanf(p + 16, "%31[0-9]", pid) == 1) {
					long kb = rss_kb(pid);

					if (kb > 0) {
						rss[nrss++] = kb;
						sum += kb;
						if (kb > max)
							max = kb;
					}
				}
			}
			fclose(f);
		}
		printf("%-44s %d jobs in %.0f ms (%.2f ms/job)\n", "concurrent launch", conc, launch,
		       launch / conc);
		if (nrss)
			printf("%-44s mean %ld kB  max %ld kB  (n=%d)  target < 2048 kB\n",
			       "supervisor RSS (VmRSS)", sum / nrss, max, nrss);
		t0 = now_ms(CLOCK_MONOTONIC);
		for (i = 0; i < conc; i++) {
			kft_delete_opts_t d = KFT_DELETE_OPTS_INIT;

			d.grace_period_ms = 0;
			snprintf(name, sizeof(name), "b-many-%d", i);
			if (kft_delete_job(c, name, &d) < 0)
				die("delete (concurrent)");
		}
		printf("%-44s %d running jobs in %.0f ms (%.2f ms/job)\n", "delete (stop + remove)", conc,
		       now_ms(CLOCK_MONOTONIC) - t0, (now_ms(CLOCK_MONOTONIC) - t0) / conc);
		free(rss);
	}
	kft_client_free(c);
	return 0;
}
