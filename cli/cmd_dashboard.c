/*
 * kft dashboard: serve the web UI, the job history and /metrics
 * (kft_dashboard_new/run from the library).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "kft.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

static kft_dashboard_t *running;

static void on_stop(int sig)
{
	(void)sig;
	kft_dashboard_stop(running);   /* async-signal-safe */
}

static int positive(const char *flag, const char *v, int64_t *out)
{
	char *end;
	long long n = strtoll(v, &end, 10);

	if (!*v || *end || n <= 0) {
		fprintf(stderr, "kft dashboard: %s: expected a positive number, got \"%s\"\n", flag, v);
		return -1;
	}
	*out = n;
	return 0;
}

int cli_cmd_dashboard(int argc, char **argv)
{
	kft_dashboard_opts_t o = KFT_DASHBOARD_OPTS_INIT;
	kft_client_opts_t co;
	kft_dashboard_t *d = NULL;
	struct sigaction sa;
	const char *v;
	int i, r;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("Usage: kft dashboard [--listen HOST:PORT] [--token TOKEN] [--history FILE]\n"
			       "                     [--history-days N] [--history-max N]\n\n"
			       "Serve a web UI for the backend's TrainJobs: / (the jobs, live), /jobs/NAME\n"
			       "(one job: status, steps, events, logs, metrics, actions) and /metrics\n"
			       "(Prometheus). On Kubernetes, what is observed is kept in a SQLite history,\n"
			       "so deleted TrainJobs stay visible. Stop with Ctrl-C.\n\n"
			       "  --listen HOST:PORT        address (default 127.0.0.1:8080; port 0: any free\n"
			       "                            port); a non-loopback address needs a token\n"
			       "  --token TOKEN             every request must carry it (Authorization: Bearer,\n"
			       "                            or ?token= once in a browser); env\n"
			       "                            KFT_DASHBOARD_TOKEN (prefer it: argv is public)\n"
			       "  --history FILE            kubernetes history database (default\n"
			       "                            STATE_DIR/dashboard.sqlite; \"\" for none)\n"
			       "  --history-days N          drop history older than N days (default 30)\n"
			       "  --history-max N           keep at most N jobs in the history (default 10000)\n"
			       "\n%s", cli_global_help());
			return 0;
		}
		if ((r = cli_global_flag(argc, argv, &i)) < 0)
			return EXIT_USAGE;
		if (r)
			continue;
		if (cli_is_flag(argv[i], "--listen")) {
			if (!(o.listen = cli_value(argc, argv, &i, "--listen")))
				return EXIT_USAGE;
		} else if (cli_is_flag(argv[i], "--token")) {
			if (!(o.token = cli_value(argc, argv, &i, "--token")))
				return EXIT_USAGE;
		} else if (cli_is_flag(argv[i], "--history")) {
			if (!(o.history_path = cli_value(argc, argv, &i, "--history")))
				return EXIT_USAGE;
		} else if (cli_is_flag(argv[i], "--history-days")) {
			if (!(v = cli_value(argc, argv, &i, "--history-days")) ||
			    positive("--history-days", v, &o.history_days) < 0)
				return EXIT_USAGE;
		} else if (cli_is_flag(argv[i], "--history-max")) {
			if (!(v = cli_value(argc, argv, &i, "--history-max")) ||
			    positive("--history-max", v, &o.history_max_jobs) < 0)
				return EXIT_USAGE;
		} else {
			fprintf(stderr, "kft dashboard: unknown argument \"%s\" (see kft dashboard --help)\n",
			        argv[i]);
			return EXIT_USAGE;
		}
	}
	cli_client_opts(&co);
	if (kft_dashboard_new(&d, &co, &o) < 0)
		return cli_error("dashboard");
	running = d;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	printf("kft dashboard: serving %s (backend %s)\n", kft_dashboard_url(d),
	       co.backend ? co.backend : getenv("KFT_BACKEND") ? getenv("KFT_BACKEND") : "local");
	fflush(stdout);
	r = kft_dashboard_run(d);
	running = NULL;
	kft_dashboard_free(d);
	return r < 0 ? cli_error("dashboard") : 0;
}
