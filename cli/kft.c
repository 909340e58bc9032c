/*
 * kft: the command-line tool, built only on the public API.
 * Exit status: 0 ok, 1 error, 2 usage, 3 job failed, 4 timeout.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "kft.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

cli_globals G = { NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, -1, 0, 0 };
volatile sig_atomic_t cli_signal;

int cli_signal_exit(void)
{
	return 128 + (cli_signal ? (int)cli_signal : SIGINT);
}

enum { G_BACKEND, G_STATE_DIR, G_KUBECONFIG, G_CONTEXT, G_NS, G_HOST, G_PULL, G_NETWORK,
       G_OUTPUT, G_VERBOSE, G_HELP };

static const cli_flag global_flags[] = {
	{ "backend", 'b', "NAME", "local (default), container or kubernetes (env KFT_BACKEND)",
	  CLI_COMP_ENUM, "local container kubernetes", CLI_F_OPEN, G_BACKEND },
	{ "state-dir", 0, "DIR", "local/container job store (env KFT_STATE_DIR)", CLI_COMP_DIR, NULL,
	  0, G_STATE_DIR },
	{ "kubeconfig", 0, "FILE", "kubernetes: kubeconfig (env KUBECONFIG)", CLI_COMP_FILE, NULL, 0,
	  G_KUBECONFIG },
	{ "context", 0, "NAME", "kubernetes: kubeconfig context", 0, NULL, 0, G_CONTEXT },
	{ "namespace", 'n', "NS", "kubernetes: namespace", 0, NULL, 0, G_NS },
	{ "container-host", 0, "URI", "container: engine socket (env DOCKER_HOST, CONTAINER_HOST)", 0,
	  NULL, 0, G_HOST },
	{ "pull-policy", 0, "POLICY", "container: IfNotPresent (default), Always, Never",
	  CLI_COMP_ENUM, "IfNotPresent Always Never", CLI_F_OPEN, G_PULL },
	{ "network", 0, "MODE", "container: host (default), bridge or internal", CLI_COMP_ENUM, "host bridge internal",
	  CLI_F_OPEN, G_NETWORK },
	{ "output", 'o', "FORMAT", "text, yaml or json (kft metrics: table, csv or json)",
	  CLI_COMP_ENUM, "text yaml json table csv", 0, G_OUTPUT },
	{ "verbose", 'v', NULL, "debug log to stderr (env KFT_LOG_LEVEL=debug|info|warn|error)", 0,
	  NULL, 0, G_VERBOSE },
	{ "help", 'h', NULL, "help", 0, NULL, 0, G_HELP },
	{ NULL, 0, NULL, NULL, 0, NULL, 0, 0 }
};

static int global_set(void *ctx, const cli_flag *f, const char *v)
{
	(void)ctx;
	switch (f->id) {
	case G_BACKEND: G.backend = v; break;
	case G_STATE_DIR: G.state_dir = v; break;
	case G_KUBECONFIG: G.kubeconfig = v; break;
	case G_CONTEXT: G.context = v; break;
	case G_NS: G.ns = v; break;
	case G_HOST: G.container_host = v; break;
	case G_PULL: G.pull_policy = v; break;
	case G_NETWORK: G.network = v; break;
	case G_OUTPUT:
		G.output = !strcasecmp(v, "json") ? KFT_FORMAT_JSON : !strcasecmp(v, "yaml") ?
		           KFT_FORMAT_YAML : KFT_FORMAT_TEXT;
		G.csv = !strcasecmp(v, "csv");
		break;
	case G_VERBOSE: G.verbose = 1; break;
	}
	return 0;
}

const cli_group cli_global_group = { "Global flags (every command)", NULL, global_flags,
                                     global_set };

int cli_error(const char *what)
{
	const kft_error_t *e = kft_error_last();

	if (e->message && *e->message)
		fprintf(stderr, "kft: %s: %s\n", what, e->message);
	else
		fprintf(stderr, "kft: %s\n", what);
	return EXIT_ERR;
}

static void diag(int level, const char *message, void *payload)
{
	static const char *names[] = { "error", "warning", "info", "debug" };

	(void)payload;
	fprintf(stderr, "kft: %s: %s\n", names[level < 0 || level > 3 ? 3 : level], message);
}

/* Render options for one format (the newest Trainer form). */
const kft_render_opts_t *cli_render_as(int format)
{
	static kft_render_opts_t ro = KFT_RENDER_OPTS_INIT;

	ro.format = format;
	return &ro;
}

void cli_client_opts(kft_client_opts_t *out)
{
	kft_client_opts_t o = KFT_CLIENT_OPTS_INIT;

	o.backend = G.backend;
	o.state_dir = G.state_dir;
	o.kubeconfig = G.kubeconfig;
	o.context = G.context;
	o.ns = G.ns;
	o.container_host = G.container_host;
	o.pull_policy = G.pull_policy;
	o.network = G.network;
	*out = o;
}

int cli_open_client(kft_client_t **out)
{
	kft_client_opts_t o;

	cli_client_opts(&o);
	if (kft_client_new(out, &o) < 0)
		return cli_error("cannot open the backend");
	return 0;
}

/* "kft CMD NAME": the one job name the command needs. */
int cli_need_name(const cli_command *cmd, const cli_args *a)
{
	if (a->nops < 1) {
		fprintf(stderr, "kft %s: a job NAME is required (see kft %s --help)\n", cmd->name,
		        cmd->name);
		return EXIT_USAGE;
	}
	return 0;
}


/* ---------------- version ---------------- */

static int cmd_version(const cli_command *cmd, int argc, char **argv)
{
	cli_args a;

	PARSE(&a, cmd, argc, argv, NULL);
	printf("kft %s (libkftrainer %s, API trainer.kubeflow.org/v1alpha1)\n", KFT_VERSION_STRING,
	       kft_version_string());
	return 0;
}

/* ---------------- runtimes ---------------- */

static int cmd_runtimes(const cli_command *cmd, int argc, char **argv)
{
	kft_client_t *c;
	const char *name;
	cli_args a;
	int rc = 0;

	PARSE(&a, cmd, argc, argv, NULL);
	name = a.nops ? a.ops[0] : NULL;
	if ((rc = cli_open_client(&c)) != 0)
		return rc;
	if (name) {
		kft_runtime_t *rt;
		char *s;

		if (kft_get_runtime(&rt, c, name) < 0) {
			rc = cli_error("runtime");
		} else if (kft_runtime_render(&s, rt, cli_render_as(G.output)) < 0) {
			rc = cli_error("render");
		} else {
			fputs(s, stdout);
			kft_free(s);
		}
		kft_runtime_free(rt);
	} else {
		kft_runtime_list_t *l;
		size_t k;

		if (kft_list_runtimes(&l, c) < 0) {
			rc = cli_error("runtimes");
		} else if (G.output == KFT_FORMAT_YAML || G.output == KFT_FORMAT_JSON) {
			/* a List of manifests */
			printf(G.output == KFT_FORMAT_JSON ? "[\n" : "");
			for (k = 0; k < kft_runtime_list_count(l); k++) {
				char *s;

				if (kft_runtime_render(&s, kft_runtime_list_at(l, k),
				                       cli_render_as(G.output)) < 0) {
					rc = cli_error("render");
					break;
				}
				if (G.output == KFT_FORMAT_JSON)
					printf("%s%s", k ? ",\n" : "", s);
				else
					printf("---\n%s", s);
				kft_free(s);
			}
			printf(G.output == KFT_FORMAT_JSON ? "]\n" : "");
		} else {
			printf("%-30s %-10s %-15s %-8s %-5s %s\n", "NAME", "FRAMEWORK", "TRAINER", "SOURCE",
			       "NODES", "IMAGE");
			for (k = 0; k < kft_runtime_list_count(l); k++) {
				const kft_runtime_t *rt = kft_runtime_list_at(l, k);
				const char *fw = kft_runtime_framework(rt), *img = kft_runtime_image(rt);

				printf("%-30s %-10s %-15s %-8s %-5lld %s\n", kft_runtime_name(rt),
				       fw ? fw : "-", kft_runtime_trainer_type(rt), kft_runtime_source(rt),
				       (long long)kft_runtime_num_nodes(rt), img ? img : "-");
			}
		}
		kft_runtime_list_free(l);
	}
	kft_client_free(c);
	return rc;
}

/* ---------------- render / train ---------------- */

typedef struct {
	int plan, wait, follow, server_dry_run, no_validate;
	long long timeout;
} job_cmd_flags;

enum { R_PLAN, R_NO_VALIDATE, R_WAIT, R_FOLLOW, R_TIMEOUT, R_SERVER_DRY_RUN };

static int job_cmd_set(void *ctx, const cli_flag *f, const char *v)
{
	job_cmd_flags *jf = ctx;

	switch (f->id) {
	case R_PLAN: jf->plan = 1; break;
	case R_NO_VALIDATE: jf->no_validate = 1; break;
	case R_WAIT: jf->wait = 1; break;
	case R_FOLLOW: jf->follow = 1; break;
	case R_SERVER_DRY_RUN: jf->server_dry_run = 1; break;
	case R_TIMEOUT: return cli_parse_ll(&jf->timeout, f, v, 0);
	}
	return 0;
}

static const cli_flag render_flags[] = {
	{ "plan", 0, NULL, "print the backend's plan instead of the TrainJob", 0, NULL, 0, R_PLAN },
	{ "no-validate", 0, NULL, "print even if client-side validation fails", 0, NULL, 0,
	  R_NO_VALIDATE },
	{ NULL, 0, NULL, NULL, 0, NULL, 0, 0 }
};
static const cli_group render_group = { "Flags", NULL, render_flags, job_cmd_set };

static const cli_flag train_flags[] = {
	{ "wait", 0, NULL, "wait until it completes (exit 3 if it fails)", 0, NULL, 0, R_WAIT },
	{ "follow", 0, NULL, "stream all steps' logs until it ends", 0, NULL, 0, R_FOLLOW },
	{ "timeout", 0, "SECONDS", "with --wait: give up after this long (exit 4)", 0, NULL, 0,
	  R_TIMEOUT },
	{ "server-dry-run", 0, NULL, "kubernetes: send with dryRun=All, create nothing", 0, NULL, 0,
	  R_SERVER_DRY_RUN },
	{ "no-validate", 0, NULL, "skip client-side validation", 0, NULL, 0, R_NO_VALIDATE },
	{ NULL, 0, NULL, NULL, 0, NULL, 0, 0 }
};
static const cli_group train_group = { "Flags", NULL, train_flags, job_cmd_set };

/*
 * The runtime against the local catalog (builtins and $KFT_RUNTIME_PATH): the
 * local and container backends run nothing else, so an unknown runtime is
 * refused; a cluster (-b kubernetes) may have runtimes of its own, so there it
 * is a warning.
 */
static int check_runtime(const kft_spec_t *spec)
{
	const char *name = kft_spec_runtime_name(spec);
	const char *be = G.backend ? G.backend : getenv("KFT_BACKEND");
	kft_client_opts_t o;
	kft_client_t *c;
	kft_runtime_t *rt = NULL;
	int error;

	if (!name)
		return 0;
	cli_client_opts(&o);
	o.backend = "local";
	if (kft_client_new(&c, &o) < 0)
		return cli_error("cannot read the runtime catalog");
	error = kft_get_runtime(&rt, c, name);
	kft_runtime_free(rt);
	kft_client_free(c);
	if (error == 0)
		return 0;
	if (error != KFT_ENOTFOUND)
		return cli_error("runtime");
	if (be && !strcmp(be, "kubernetes")) {
		fprintf(stderr, "kft: warning: runtime %s is not a builtin nor in $KFT_RUNTIME_PATH; "
		        "only the cluster knows whether it exists\n", name);
		return 0;
	}
	fprintf(stderr, "kft: runtime %s: no such runtime (`kft runtimes` lists the builtins and "
	        "those in $KFT_RUNTIME_PATH)\n", name);
	return EXIT_ERR;
}

/* The start of render and train: the job flags and the TrainJob they build. Nonzero: the
 * exit status; 0 with *spec NULL: --help was answered. *j is the caller's to free. */
static int job_cmd_begin(kft_spec_t **spec, cli_job **j, job_cmd_flags *f,
                         const cli_command *cmd, int argc, char **argv)
{
	cli_args a;

	if (cli_job_new(j) < 0)
		return EXIT_ERR;
	PARSE(&a, cmd, argc, argv, f, *j, *j);
	return cli_job_build(spec, *j, a.rest, a.nrest);
}

static int cmd_render(const cli_command *cmd, int argc, char **argv)
{
	cli_job *j = NULL;
	job_cmd_flags f = { 0, 0, 0, 0, 0, 0 };
	kft_spec_t *spec = NULL;
	char *out = NULL;
	int rc;

	if ((rc = job_cmd_begin(&spec, &j, &f, cmd, argc, argv)) != 0 || !spec)
		goto out;
	if (!kft_spec_name(spec) && kft_spec_generate_name(spec) < 0) {
		rc = cli_error("name");
		goto out;
	}
	if (!f.no_validate && (rc = check_runtime(spec)) != 0)
		goto out;
	if (f.plan) {
		kft_client_t *c;

		if ((rc = cli_open_client(&c)) != 0)
			goto out;
		if (!f.no_validate && kft_spec_validate(spec, NULL) < 0)
			rc = cli_error("invalid TrainJob");
		else if (kft_render_plan(&out, c, spec, cli_render_as(G.output == KFT_FORMAT_JSON ?
		                                                  KFT_FORMAT_JSON : KFT_FORMAT_YAML)) < 0)
			rc = cli_error("cannot render the plan");
		kft_client_free(c);
	} else {
		kft_render_opts_t ro = KFT_RENDER_OPTS_INIT;

		ro.format = G.output == KFT_FORMAT_JSON ? KFT_FORMAT_JSON : KFT_FORMAT_YAML;
		ro.trainer_version = cli_job_trainer_version(j);
		if (!f.no_validate && kft_spec_validate(spec, NULL) < 0)
			rc = cli_error("invalid TrainJob");
		else if (kft_spec_render(&out, spec, &ro) < 0)
			rc = cli_error("cannot render the TrainJob");
	}
	if (rc == 0 && out)
		fputs(out, stdout);
out:
	kft_free(out);
	kft_spec_free(spec);
	cli_job_free(j);
	return rc;
}

static int print_chunk(const char *chunk, size_t len, const char *step, void *payload)
{
	(void)step;
	(void)payload;
	if (cli_signal)
		return -6;  /* KFT_EUSER */
	fwrite(chunk, 1, len, stdout);
	fflush(stdout);
	return 0;
}

/* One live status line on a terminal, plain lines otherwise. */
typedef struct {
	int tty;
	int64_t start_ms;
	char last[512];
} wait_view;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_progress(const kft_job_t *job, void *payload)
{
	wait_view *v = payload;
	char line[512];
	size_t k, n = 0;
	int64_t el = (now_ms() - v->start_ms) / 1000;

	if (cli_signal)
		return -6;
	n += (size_t)snprintf(line + n, sizeof(line) - n, "%s %s", kft_job_name(job),
	                      kft_job_status(job));
	for (k = 0; k < kft_job_step_count(job) && n < sizeof(line) - 1; k++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " %s=%s",
		                      kft_step_name(kft_job_step_at(job, k)),
		                      kft_step_status(kft_job_step_at(job, k)));
	if (kft_job_progress_percent(job) >= 0 && n < sizeof(line) - 1)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " %lld%%",
		                      (long long)kft_job_progress_percent(job));
	if (kft_job_eta_seconds(job) >= 0 && n < sizeof(line) - 1)
		snprintf(line + n, sizeof(line) - n, " ETA %llds", (long long)kft_job_eta_seconds(job));
	if (v->tty) {
		fprintf(stderr, "\r\033[K%s (%llds)", line, (long long)el);
		fflush(stderr);
	} else if (strcmp(line, v->last)) {
		fprintf(stderr, "%s\n", line);
	}
	memcpy(v->last, line, sizeof(line));
	return 0;
}

/*
 * Ctrl-C (or SIGTERM) while following a job: the job is not ours to stop.
 * One line says so and how to get back to it; exit 128 + the signal.
 */
static int left_running(const char *name)
{
	fprintf(stderr, "kft: interrupted; job %s keeps running (follow it: kft logs -f %s; "
	        "stop it: kft delete %s)\n", name, name, name);
	return cli_signal_exit();
}

static int do_wait(kft_client_t *c, const char *name, uint32_t want, int64_t timeout_s)
{
	kft_wait_opts_t wo = KFT_WAIT_OPTS_INIT;
	wait_view v;
	kft_job_t *job = NULL;
	int err, rc = 0;

	memset(&v, 0, sizeof(v));
	v.tty = isatty(2);
	v.start_ms = now_ms();
	/* Failed is always wanted here, to print the failed job's reason (kft_wait hands
	 * back no job with KFT_EJOBFAILED) */
	if (!want)
		want = KFT_WANT(KFT_JOB_COMPLETE);
	wo.want = want | KFT_WANT(KFT_JOB_FAILED);
	wo.timeout_ms = timeout_s * 1000;
	wo.progress_cb = wait_progress;
	wo.payload = &v;
	err = kft_wait(&job, c, name, &wo);
	if (v.tty)
		fputs("\n", stderr);
	if (err == 0 && !(kft_job_state(job) == KFT_JOB_FAILED && !(want & KFT_WANT(KFT_JOB_FAILED)))) {
		fprintf(stderr, "%s: %s\n", name, kft_job_status(job));
	} else if (err == 0) {
		fprintf(stderr, "%s: Failed: %s%s%s\n", name,
		        kft_job_reason(job) ? kft_job_reason(job) : "",
		        kft_job_message(job) ? ": " : "", kft_job_message(job) ? kft_job_message(job) : "");
		rc = EXIT_JOBFAILED;
	} else if (err == KFT_ETIMEOUT) {
		cli_error("wait");
		rc = EXIT_TIMEOUT;
	} else if (cli_signal) {
		rc = left_running(name);
	} else {
		rc = cli_error("wait");
	}
	kft_job_free(job);
	return rc;
}

/*
 * `kft train` without --wait on the local backend: wait (at most 5 s) until the
 * job is past Created, so that kft_wait's one warning about a refused namespace
 * (the job's steps then find their workspace at $KFT_WORKSPACE, not /workspace)
 * reaches the person who typed the command. Nothing else is said or decided:
 * errors and time-outs here are not the command's.
 */
static void train_settle(kft_client_t *c, const char *name)
{
	kft_wait_opts_t wo = KFT_WAIT_OPTS_INIT;
	kft_job_t *job = NULL;
	const char *be = kft_client_backend(c);

	if (!be || strcmp(be, "local"))
		return;
	wo.want = KFT_WANT(KFT_JOB_SUSPENDED) | KFT_WANT(KFT_JOB_RUNNING) | KFT_WANT_FINISHED;
	wo.timeout_ms = 5000;
	(void)kft_wait(&job, c, name, &wo);
	kft_job_free(job);
}

static int cmd_train(const cli_command *cmd, int argc, char **argv)
{
	cli_job *j = NULL;
	job_cmd_flags f = { 0, 0, 0, 0, 0, 0 };
	kft_spec_t *spec = NULL;
	kft_client_t *c = NULL;
	kft_job_t *job = NULL;
	kft_train_opts_t to = KFT_TRAIN_OPTS_INIT;
	int rc;

	if ((rc = job_cmd_begin(&spec, &j, &f, cmd, argc, argv)) != 0 || !spec)
		goto out;
	if ((rc = cli_open_client(&c)) != 0)
		goto out;
	if (f.server_dry_run)
		to.flags |= KFT_TRAIN_SERVER_DRY_RUN;
	if (f.no_validate)
		to.flags |= KFT_TRAIN_NO_VALIDATE;
	if (kft_train(&job, c, spec, &to) < 0) {
		rc = cli_error("train");
		goto out;
	}
	printf("%s\n", kft_job_name(job));
	fflush(stdout);
	if (f.follow) {
		kft_logs_opts_t lo = KFT_LOGS_OPTS_INIT;

		lo.flags = KFT_LOGS_FOLLOW;
		if (kft_logs(c, kft_job_name(job), &lo, print_chunk, NULL) < 0)
			rc = cli_signal ? left_running(kft_job_name(job)) : cli_error("logs");
	}
	if (rc == 0 && (f.wait || f.follow))
		rc = do_wait(c, kft_job_name(job), KFT_WANT(KFT_JOB_COMPLETE), f.timeout);
	else if (rc == 0)
		train_settle(c, kft_job_name(job));
out:
	kft_job_free(job);
	kft_client_free(c);
	kft_spec_free(spec);
	cli_job_free(j);
	return rc;
}

/* ---------------- get / list / wait / logs / delete / events ---------------- */

static int cmd_get(const cli_command *cmd, int argc, char **argv)
{
	kft_client_t *c;
	kft_job_t *job;
	cli_args a;
	char *s;
	int rc;

	PARSE_NAME(&a, cmd, argc, argv, NULL);
	if ((rc = cli_open_client(&c)) != 0)
		return rc;
	/* KIND/NAME: a Training Operator v1 job (no TrainJob name has a '/') */
	if ((strchr(a.ops[0], '/') ? kft_get_v1_job(&job, c, a.ops[0]) :
	     kft_get_job(&job, c, a.ops[0])) < 0) {
		rc = cli_error("get");
	} else {
		if (kft_job_render(&s, job, cli_render_as(G.output < 0 ? KFT_FORMAT_TEXT :
		                                      G.output)) < 0) {
			rc = cli_error("render");
		} else {
			fputs(s, stdout);
			kft_free(s);
		}
		kft_job_free(job);
	}
	kft_client_free(c);
	return rc;
}

typedef struct {
	uint32_t want;
	long long timeout;
} wait_flags;

enum { W_FOR, W_TIMEOUT };

static int wait_set(void *ctx, const cli_flag *f, const char *v)
{
	wait_flags *w = ctx;

	if (f->id == W_TIMEOUT)
		return cli_parse_ll(&w->timeout, f, v, 0);
	w->want |= cli_status_mask(v);
	return 0;
}

static const cli_flag wait_flag_table[] = {
	{ "for", 0, "STATUS,...", "Created, Suspended, Running, Complete, Failed", CLI_COMP_ENUM,
	  CLI_STATUS_VALUES, CLI_F_LIST, W_FOR },
	{ "timeout", 0, "SECONDS", "give up after this long (0: never)", 0, NULL, 0, W_TIMEOUT },
	{ NULL, 0, NULL, NULL, 0, NULL, 0, 0 }
};
static const cli_group wait_group = { "Flags", NULL, wait_flag_table, wait_set };

static int cmd_wait(const cli_command *cmd, int argc, char **argv)
{
	kft_client_t *c;
	wait_flags w = { 0, 0 };
	cli_args a;
	int rc;

	PARSE_NAME(&a, cmd, argc, argv, &w);
	if ((rc = cli_open_client(&c)) != 0)
		return rc;
	rc = do_wait(c, a.ops[0], w.want ? w.want : KFT_WANT(KFT_JOB_COMPLETE), w.timeout);
	kft_client_free(c);
	return rc;
}

typedef struct {
	const char *step;
	int follow, timestamps;
	long long tail;
	int64_t since_ms;
} logs_flags;

enum { L_FOLLOW, L_STEP, L_TAIL, L_SINCE, L_TIMESTAMPS };

static int logs_set(void *ctx, const cli_flag *f, const char *v)
{
	logs_flags *l = ctx;

	switch (f->id) {
	case L_FOLLOW: l->follow = 1; return 0;
	case L_TIMESTAMPS: l->timestamps = 1; return 0;
	case L_STEP: l->step = v; return 0;
	case L_TAIL: return cli_parse_ll(&l->tail, f, v, 0);
	case L_SINCE:
		if (kft_duration_parse(&l->since_ms, v, strlen(v)) < 0) {
			fprintf(stderr, "kft: --%s: %s\n", f->name, kft_error_last()->message);
			return -1;
		}
		return 0;
	}
	return -1;
}

static const cli_flag logs_flag_table[] = {
	{ "follow", 'f', NULL, "keep streaming until the steps end", 0, NULL, 0, L_FOLLOW },
	{ "step", 0, "STEP", "node-0, node-1, launcher, dataset-initializer, ...", CLI_COMP_STEP,
	  NULL, 0, L_STEP },
	{ "tail", 0, "N", "the last N lines of each step", 0, NULL, 0, L_TAIL },
	{ "since", 0, "DURATION", "only lines newer than this (90s, 5m, 1h30m; a bare\n"
	  "number is seconds)", 0, NULL, 0, L_SINCE },
	{ "timestamps", 0, NULL, "start each line with the time it was written (RFC 3339)", 0,
	  NULL, 0, L_TIMESTAMPS },
	{ NULL, 0, NULL, NULL, 0, NULL, 0, 0 }
};
static const cli_group logs_group = { "Flags", NULL, logs_flag_table, logs_set };

static int cmd_logs(const cli_command *cmd, int argc, char **argv)
{
	kft_client_t *c;
	logs_flags l = { NULL, 0, 0, -1, 0 };
	kft_logs_opts_t lo = KFT_LOGS_OPTS_INIT;
	cli_args a;
	int rc, err;

	PARSE_NAME(&a, cmd, argc, argv, &l);
	if ((rc = cli_open_client(&c)) != 0)
		return rc;
	lo.step = l.step;
	lo.flags = (l.follow ? KFT_LOGS_FOLLOW : 0) | (l.timestamps ? KFT_LOGS_TIMESTAMPS : 0);
	lo.tail_lines = l.tail;
	lo.since_ms = l.since_ms;
	err = kft_logs(c, a.ops[0], &lo, print_chunk, NULL);
	if (cli_signal && l.follow)
		rc = left_running(a.ops[0]);
	else if (cli_signal)
		rc = cli_signal_exit();
	else if (err < 0)
		rc = cli_error("logs");
	kft_client_free(c);
	return rc;
}

static int cmd_suspend(const cli_command *cmd, int argc, char **argv)
{
	kft_client_t *c;
	cli_args a;
	int rc;

	PARSE_NAME(&a, cmd, argc, argv, NULL);
	if ((rc = cli_open_client(&c)) != 0)
		return rc;
	if (kft_suspend_job(c, a.ops[0], !strcmp(cmd->name, "suspend")) < 0)
		rc = cli_error(cmd->name);
	kft_client_free(c);
	return rc;
}

static int cmd_events(const cli_command *cmd, int argc, char **argv)
{
	kft_client_t *c;
	kft_event_list_t *l;
	const char *name;
	cli_args a;
	size_t k;
	int rc;

	PARSE_NAME(&a, cmd, argc, argv, NULL);
	name = a.ops[0];
	if ((rc = cli_open_client(&c)) != 0)
		return rc;
	if (kft_get_events(&l, c, name) < 0) {
		rc = cli_error("events");
	} else {
		if (G.output != KFT_FORMAT_JSON)
			printf("%-24s %-8s %-10s %-28s %-24s %s\n", "TIME", "TYPE", "KIND", "OBJECT",
			       "REASON", "MESSAGE");
		else
			printf("[");
		for (k = 0; k < kft_event_list_count(l); k++) {
			const kft_event_t *e = kft_event_list_at(l, k);
			char when[32];
			time_t t = (time_t)(kft_event_time_ms(e) / 1000);
			struct tm tm;

			gmtime_r(&t, &tm);
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
			if (G.output == KFT_FORMAT_JSON) {
				/* messages are ours or the server's; keep JSON valid */
				const char *m = kft_event_message(e);

				printf("%s\n  {\"time\": \"%s\", \"type\": \"%s\", \"kind\": \"%s\", "
				       "\"object\": \"%s\", \"reason\": \"%s\", \"message\": ", k ? "," : "",
				       when, kft_event_type(e), kft_event_kind(e), kft_event_object(e),
				       kft_event_reason(e));
				cli_json_string(stdout, m);
				printf("}");
			} else {
				printf("%-24s %-8s %-10s %-28s %-24s %s\n", when, kft_event_type(e),
				       kft_event_kind(e), kft_event_object(e), kft_event_reason(e),
				       kft_event_message(e));
			}
		}
		if (G.output == KFT_FORMAT_JSON)
			printf("\n]\n");
		kft_event_list_free(l);
	}
	kft_client_free(c);
	return rc;
}

static int cmd_completion(const cli_command *cmd, int argc, char **argv)
{
	cli_args a;

	PARSE(&a, cmd, argc, argv, NULL);
	if (a.nops != 1) {
		fprintf(stderr, "kft completion: name a shell: bash, zsh or fish\n");
		return EXIT_USAGE;
	}
	return cli_completion_script(a.ops[0]);
}

static int cmd_complete(const cli_command *cmd, int argc, char **argv)
{
	(void)cmd;
	return cli_complete(argc, argv);
}

static int cmd_help(const cli_command *cmd, int argc, char **argv)
{
	const cli_command *c;

	(void)cmd;
	if (argc > 1 && (c = cli_find_command(argv[1])) != NULL && !c->hidden)
		cli_command_help(stdout, c);
	else
		cli_usage(stdout);
	return 0;
}

/* Each command: name, operands, summary, about, operand kind, ..., flag groups, run. */
const cli_command cli_commands[] = {
	{ "version", "", "print the library and tool version",
	  "Print the kft and libkftrainer versions.", CLI_COMP_NONE, NULL, 0, 0, { NULL },
	  cmd_version, 0 },
	{ "runtimes", "[NAME]", "list runtimes, or show one",
	  "List the runtimes the backend knows (builtin, $KFT_RUNTIME_PATH files, or the\n"
	  "cluster's), or print one runtime's manifest. TRAINER says whether a runtime\n"
	  "takes a builtin trainer (TorchTune config) or a custom one.",
	  CLI_COMP_RUNTIME, NULL, 1, 0, { NULL }, cmd_runtimes, 0 },
	{ "render", "", "print the exact TrainJob (--plan: the per-step plan)",
	  "Print the exact TrainJob that `kft train` would send (no backend contacted),\n"
	  "or with --plan the exact per-step argv/env/cwd the backend would run.",
	  CLI_COMP_NONE, NULL, 0, 1, { &render_group, &cli_job_group, &cli_tt_group }, cmd_render, 0 },
	{ "train", "", "start a TrainJob; prints its name (--wait, --follow)",
	  "Validate and start a TrainJob; prints the job's name.",
	  CLI_COMP_NONE, NULL, 0, 1, { &train_group, &cli_job_group, &cli_tt_group }, cmd_train, 0 },
	{ "convert", "", "print a Training Operator v1 job (PyTorchJob, ...) as a TrainJob",
	  "Print the TrainJob for a Training Operator v1 job: a kubeflow.org/v1 PyTorchJob,\n"
	  "TFJob, MPIJob, XGBoostJob, JAXJob or PaddleJob, or a kubeflow.org/v2beta1 MPIJob,\n"
	  "validated as `kft render` validates. Every v1 field without a TrainJob\n"
	  "equivalent is reported on stderr, one line each (\"kft: lost: PATH: ...\"), as\n"
	  "are the converter's choices (\"kft: note: ...\"). A file with several YAML\n"
	  "documents gives one TrainJob per document.",
	  CLI_COMP_NONE, NULL, 0, 0, { &cli_convert_group }, cmd_convert, 0 },
	{ "get", "NAME", "show a job's status and steps",
	  "Show a job's status, steps (status, exit code, reason) and progress.\n"
	  "kubernetes: KIND/NAME (pytorchjob/mnist, mpijob/x, ...) shows a Training\n"
	  "Operator v1 job, its status mapped to TrainJob terms.",
	  CLI_COMP_JOB, NULL, 1, 0, { NULL }, cmd_get, 0 },
	{ "list", "", "list jobs, newest first (--status, --limit, -w)",
	  "List jobs, newest first: AGE since creation, DURATION of the run (so far),\n"
	  "PROGRESS as the training code reports it.",
	  CLI_COMP_NONE, NULL, 0, 0, { &cli_list_group }, cli_cmd_list, 0 },
	{ "logs", "NAME", "print logs (-f, --step STEP, --tail N)",
	  "Print a job's logs: all steps with \"STEP: \" prefixes, or one step.",
	  CLI_COMP_JOB, NULL, 1, 0, { &logs_group }, cmd_logs, 0 },
	{ "wait", "NAME", "wait for a status (--for S,..., --timeout SECONDS)",
	  "Wait until the job reaches one of the statuses (default Complete).\n"
	  "Exit 0 when reached, 3 when the job failed (and Failed was not wanted),\n"
	  "4 on timeout.", CLI_COMP_JOB, NULL, 1, 0, { &wait_group }, cmd_wait, 0 },
	{ "delete", "NAME...", "stop and delete jobs (--all, --status, --older-than)",
	  "Stop every step (SIGTERM, grace period, SIGKILL) and delete the jobs named,\n"
	  "or the jobs selected with --all, --status and --older-than; prints each one\n"
	  "deleted. On a terminal a selection is confirmed once (unless --yes).",
	  CLI_COMP_JOB, NULL, -1, 0, { &cli_delete_group }, cli_cmd_delete, 0 },
	{ "suspend", "NAME", "suspend a job (stop its steps)", "Suspend (stop the steps of) a job.",
	  CLI_COMP_JOB, NULL, 1, 0, { NULL }, cmd_suspend, 0 },
	{ "resume", "NAME", "resume a suspended job", "Resume a job.",
	  CLI_COMP_JOB, NULL, 1, 0, { NULL }, cmd_suspend, 0 },
	{ "events", "NAME", "show a job's events", "Show a job's events, oldest first.",
	  CLI_COMP_JOB, NULL, 1, 0, { NULL }, cmd_events, 0 },
	{ "cp", "JOB:PATH DEST", "copy a file or directory out of a job's /workspace",
	  "Copy a file or directory out of a local or container job's workspace,\n"
	  "named as the job saw it (JOB:/workspace/output/model.pt, or relative to\n"
	  "/workspace), to DEST (into DEST when it is a directory). \"..\" and paths\n"
	  "outside /workspace are refused.",
	  CLI_COMP_JOB, NULL, 2, 0, { NULL }, cli_cmd_cp, 0 },
	{ "metrics", "NAME", "print a job's progress and metrics history",
	  "Print every progress update the job reported (Kubeflow Trainer's progress\n"
	  "protocol: time, percent, ETA, metrics), oldest first, as a table, CSV (-o csv)\n"
	  "or JSON (-o json: trainerStatus objects). Local and container backends.",
	  CLI_COMP_JOB, NULL, 1, 0, { NULL }, cli_cmd_metrics, 0 },
	{ "dashboard", "", "serve the web UI, history and /metrics (--listen ADDR)",
	  "Serve a web UI for the backend's TrainJobs: / (the jobs, live), /jobs/NAME\n"
	  "(status, steps, events, logs, metric charts, suspend/resume/delete) and\n"
	  "/metrics (Prometheus). On Kubernetes, what is observed is kept in a SQLite\n"
	  "history, so deleted TrainJobs stay visible. Stop with Ctrl-C.",
	  CLI_COMP_NONE, NULL, 0, 0, { &cli_dashboard_group }, cli_cmd_dashboard, 0 },
	{ "completion", "SHELL", "print a completion script for bash, zsh or fish",
	  "Print a completion script: bash (source <(kft completion bash)), zsh\n"
	  "(source <(kft completion zsh)) or fish (kft completion fish | source).\n"
	  "Job names, runtimes and steps are completed from the backend.",
	  CLI_COMP_ENUM, "bash zsh fish", 1, 0, { NULL }, cmd_completion, 0 },
	{ "help", "[COMMAND]", "print this help, or a command's", "Print the usage.",
	  CLI_COMP_NONE, NULL, 1, 0, { NULL }, cmd_help, 0 },
	{ "__complete", "", "", "", CLI_COMP_NONE, NULL, -1, 0, { NULL }, cmd_complete, 1 },
	{ NULL, NULL, NULL, NULL, 0, NULL, 0, 0, { NULL }, NULL, 0 }
};

static void on_signal(int sig)
{
	cli_signal = sig;
}

int main(int argc, char **argv)
{
	const char *lvl = getenv("KFT_LOG_LEVEL");
	const cli_command *cmd;
	struct sigaction sa;
	int i, level = KFT_DIAG_WARN, rc;

	/* leading global flags */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		int r;

		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			cli_usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--version")) {
			argv[i] = (char *)"version";
			break;
		}
		if ((r = cli_global_flag(argc, argv, &i)) < 0)
			return EXIT_USAGE;
		if (!r) {
			fprintf(stderr, "kft: unknown flag \"%s\" (see kft --help)\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		cli_usage(stderr);
		return EXIT_USAGE;
	}
	if ((cmd = cli_find_command(argv[i])) == NULL) {
		fprintf(stderr, "kft: unknown command \"%s\" (see kft --help)\n", argv[i]);
		return EXIT_USAGE;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (lvl) {
		if (!strcasecmp(lvl, "debug")) level = KFT_DIAG_DEBUG;
		else if (!strcasecmp(lvl, "info")) level = KFT_DIAG_INFO;
		else if (!strcasecmp(lvl, "warn")) level = KFT_DIAG_WARN;
		else if (!strcasecmp(lvl, "error")) level = KFT_DIAG_ERROR;
	}
	/* -v anywhere in the command's arguments */
	{
		int k;

		for (k = i; k < argc && strcmp(argv[k], "--"); k++)
			if (!strcmp(argv[k], "-v") || !strcmp(argv[k], "--verbose"))
				G.verbose = 1;
	}
	if (G.verbose)
		level = KFT_DIAG_DEBUG;
	kft_diag_set_handler(diag, level, NULL);
	if (kft_init() < 0)
		return cli_error("init");
	rc = cmd->run(cmd, argc - i, argv + i);
	kft_shutdown();
	return rc;
}
