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

enum { D_LISTEN, D_TOKEN, D_HISTORY, D_HISTORY_DAYS, D_HISTORY_MAX };

static int dashboard_set(void *ctx, const cli_flag *f, const char *v)
{
	kft_dashboard_opts_t *o = ctx;
	long long n;

	switch (f->id) {
	case D_LISTEN: o->listen = v; return 0;
	case D_TOKEN: o->token = v; return 0;
	case D_HISTORY: o->history_path = v; return 0;
	case D_HISTORY_DAYS:
		if (cli_parse_ll(&n, f, v, 1) < 0)
			return -1;
		o->history_days = n;
		return 0;
	case D_HISTORY_MAX:
		if (cli_parse_ll(&n, f, v, 1) < 0)
			return -1;
		o->history_max_jobs = n;
		return 0;
	}
	return -1;
}

static const cli_flag dashboard_flags[] = {
	{ "listen", 0, "HOST:PORT", "address (default 127.0.0.1:8080; port 0: any free port);\n"
	  "a non-loopback address needs a token", 0, NULL, 0, D_LISTEN },
	{ "token", 0, "TOKEN", "every request must carry it (Authorization: Bearer, or\n"
	  "?token= once in a browser); env KFT_DASHBOARD_TOKEN (better: argv is public)",
	  0, NULL, 0, D_TOKEN },
	{ "history", 0, "FILE", "kubernetes history database (default\n"
	  "STATE_DIR/dashboard.sqlite; \"\" for none)", CLI_COMP_FILE, NULL, 0, D_HISTORY },
	{ "history-days", 0, "N", "drop history older than N days (default 30)", 0, NULL, 0,
	  D_HISTORY_DAYS },
	{ "history-max", 0, "N", "keep at most N jobs in the history (default 10000)", 0, NULL, 0,
	  D_HISTORY_MAX },
	{ NULL, 0, NULL, NULL, 0, NULL, 0, 0 }
};
const cli_group cli_dashboard_group = { "Flags", NULL, dashboard_flags, dashboard_set };

int cli_cmd_dashboard(const cli_command *cmd, int argc, char **argv)
{
	kft_dashboard_opts_t o = KFT_DASHBOARD_OPTS_INIT;
	void *const ctx[CLI_MAX_GROUPS] = { &o };
	kft_client_opts_t co;
	kft_dashboard_t *d = NULL;
	struct sigaction sa;
	cli_args a;
	int r;

	if (cli_parse(&a, cmd, argc, argv, ctx))
		return a.exit;
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
