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

static cli_globals G = { NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, -1, 0 };
static volatile sig_atomic_t interrupted;

static const char *global_help =
"Global flags (every command):\n"
"  -b, --backend NAME        local (default), container or kubernetes (env KFT_BACKEND)\n"
"  --state-dir DIR           local/container job store (env KFT_STATE_DIR)\n"
"  --kubeconfig FILE         kubernetes: kubeconfig (env KUBECONFIG)\n"
"  --context NAME            kubernetes: kubeconfig context\n"
"  -n, --namespace NS        kubernetes: namespace\n"
"  --container-host URI      container: engine socket (env DOCKER_HOST, CONTAINER_HOST)\n"
"  --pull-policy POLICY      container: IfNotPresent (default), Always, Never\n"
"  --network MODE            container: host (default) or bridge\n"
"  -o, --output FORMAT       text, yaml or json\n"
"  -v, --verbose             debug log to stderr (env KFT_LOG_LEVEL=debug|info|warn|error)\n"
"  -h, --help                help\n";

static void usage(FILE *f)
{
	fprintf(f,
"Usage: kft [GLOBAL FLAGS] COMMAND [ARGS]\n\n"
"Run Kubeflow Trainer v2 TrainJobs on this machine (processes or containers) or on a\n"
"Kubernetes cluster, with one API.\n\n"
"Commands:\n"
"  version                   print the library and tool version\n"
"  runtimes [NAME]           list runtimes, or show one\n"
"  render [JOB FLAGS]        print the exact TrainJob (--plan: the per-step plan)\n"
"  train [JOB FLAGS]         start a TrainJob; prints its name (--wait, --follow)\n"
"  get NAME                  show a job's status and steps\n"
"  list                      list jobs (--runtime NAME)\n"
"  logs NAME                 print logs (-f, --step STEP, --tail N)\n"
"  wait NAME                 wait for a status (--for S,..., --timeout SECONDS)\n"
"  delete NAME               stop and delete a job (--keep-state, --grace SECONDS)\n"
"  suspend NAME, resume NAME suspend or resume a job\n"
"  events NAME               show a job's events\n\n%s\n"
"Run 'kft COMMAND --help' for a command's flags.\n", global_help);
}

int cli_error(const char *what)
{
	const kft_error_t *e = kft_error_last();

	if (e->message && *e->message)
		fprintf(stderr, "kft: %s: %s\n", what, e->message);
	else
		fprintf(stderr, "kft: %s\n", what);
	return EXIT_ERR;
}

int cli_is_flag(const char *arg, const char *flag)
{
	size_t n = strlen(flag);

	return !strncmp(arg, flag, n) && (arg[n] == '\0' || (arg[n] == '=' && flag[1] == '-'));
}

const char *cli_value(int argc, char **argv, int *i, const char *flag)
{
	const char *a = argv[*i], *eq = strchr(a, '=');

	if (eq && flag[1] == '-' && !strncmp(a, flag, strlen(flag)))
		return eq + 1;
	if (*i + 1 >= argc) {
		fprintf(stderr, "kft: %s needs a value\n", flag);
		return NULL;
	}
	return argv[++*i];
}

/* Global flags may appear anywhere before "--". 1 consumed, 0 not global, -1 error. */
static int global_flag(int argc, char **argv, int *i)
{
	const char *a = argv[*i], *v;

#define GSTR(flag, field) \
	if (cli_is_flag(a, flag)) { if ((v = cli_value(argc, argv, i, flag)) == NULL) return -1; \
		G.field = v; return 1; }
	GSTR("-b", backend) GSTR("--backend", backend) GSTR("--state-dir", state_dir)
	GSTR("--kubeconfig", kubeconfig) GSTR("--context", context) GSTR("-n", ns)
	GSTR("--namespace", ns) GSTR("--container-host", container_host)
	GSTR("--pull-policy", pull_policy) GSTR("--network", network)
#undef GSTR
	if (cli_is_flag(a, "-o") || cli_is_flag(a, "--output")) {
		if ((v = cli_value(argc, argv, i, a[1] == '-' ? "--output" : "-o")) == NULL)
			return -1;
		if (!strcmp(v, "text"))
			G.output = KFT_FORMAT_TEXT;
		else if (!strcmp(v, "yaml"))
			G.output = KFT_FORMAT_YAML;
		else if (!strcmp(v, "json"))
			G.output = KFT_FORMAT_JSON;
		else {
			fprintf(stderr, "kft: --output: expected text, yaml or json, got \"%s\"\n", v);
			return -1;
		}
		return 1;
	}
	if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
		G.verbose = 1;
		return 1;
	}
	return 0;
}

static void diag(int level, const char *message, void *payload)
{
	static const char *names[] = { "error", "warning", "info", "debug" };

	(void)payload;
	fprintf(stderr, "kft: %s: %s\n", names[level < 0 || level > 3 ? 3 : level], message);
}

/* Render options for one format (the newest Trainer form). */
static const kft_render_opts_t *render_as(int format)
{
	static kft_render_opts_t ro = KFT_RENDER_OPTS_INIT;

	ro.format = format;
	return &ro;
}

static int open_client(kft_client_t **out)
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
	if (kft_client_new(out, &o) < 0)
		return cli_error("cannot open the backend");
	return 0;
}

static int want_help(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return 0;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
	}
	return 0;
}

static int bad_arg(const char *cmd, const char *arg)
{
	fprintf(stderr, "kft %s: unknown argument \"%s\" (see kft %s --help)\n", cmd, arg, cmd);
	return EXIT_USAGE;
}

/* ---------------- version ---------------- */

static int cmd_version(int argc, char **argv)
{
	if (want_help(argc, argv)) {
		printf("Usage: kft version\n\nPrint the kft and libkftrainer versions.\n\n%s", global_help);
		return 0;
	}
	if (argc > 1)
		return bad_arg("version", argv[1]);
	printf("kft %s (libkftrainer %s, API trainer.kubeflow.org/v1alpha1)\n", KFT_VERSION_STRING,
	       kft_version_string());
	return 0;
}

/* ---------------- runtimes ---------------- */

static int cmd_runtimes(int argc, char **argv)
{
	kft_client_t *c;
	const char *name = NULL;
	int i, rc = 0;

	if (want_help(argc, argv)) {
		printf("Usage: kft runtimes [NAME] [-o text|yaml|json]\n\n"
		       "List the runtimes the backend knows (builtin, $KFT_RUNTIME_PATH files, or the\n"
		       "cluster's), or print one runtime's manifest. TRAINER says whether a runtime\n"
		       "takes a builtin trainer (TorchTune config) or a custom one.\n\n%s", global_help);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-' || name)
			return bad_arg("runtimes", argv[i]);
		name = argv[i];
	}
	if ((rc = open_client(&c)) != 0)
		return rc;
	if (name) {
		kft_runtime_t *rt;
		char *s;

		if (kft_get_runtime(&rt, c, name) < 0) {
			rc = cli_error("runtime");
		} else if (kft_runtime_render(&s, rt, render_as(G.output)) < 0) {
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
				                       render_as(G.output)) < 0) {
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
	int64_t timeout;
} job_cmd_flags;

static int parse_job_command(const char *cmd, int argc, char **argv, cli_job *j,
                             job_cmd_flags *f, int *cmd_start)
{
	int i;

	*cmd_start = -1;
	for (i = 1; i < argc; i++) {
		int r;

		if (!strcmp(argv[i], "--")) {
			*cmd_start = i + 1;
			break;
		}
		if ((r = global_flag(argc, argv, &i)) < 0)
			return EXIT_USAGE;
		if (r)
			continue;
		if ((r = cli_job_flag(j, argc, argv, &i)) < 0)
			return EXIT_USAGE;
		if (r)
			continue;
		if (!strcmp(cmd, "render") && !strcmp(argv[i], "--plan")) {
			f->plan = 1;
			continue;
		}
		if (!strcmp(argv[i], "--no-validate")) {
			f->no_validate = 1;
			continue;
		}
		if (!strcmp(cmd, "train")) {
			if (!strcmp(argv[i], "--wait")) { f->wait = 1; continue; }
			if (!strcmp(argv[i], "--follow")) { f->follow = 1; continue; }
			if (!strcmp(argv[i], "--server-dry-run")) { f->server_dry_run = 1; continue; }
			if (cli_is_flag(argv[i], "--timeout")) {
				const char *v = cli_value(argc, argv, &i, "--timeout");
				char *end;

				if (!v)
					return EXIT_USAGE;
				f->timeout = strtoll(v, &end, 10);
				if (*end || f->timeout < 0) {
					fprintf(stderr, "kft: --timeout: expected seconds, got \"%s\"\n", v);
					return EXIT_USAGE;
				}
				continue;
			}
		}
		return bad_arg(cmd, argv[i]);
	}
	return 0;
}

static int cmd_render(int argc, char **argv)
{
	cli_job *j;
	job_cmd_flags f = { 0, 0, 0, 0, 0, 0 };
	kft_spec_t *spec = NULL;
	char *out = NULL;
	int rc, cmd_start;

	if (want_help(argc, argv)) {
		printf("Usage: kft render [JOB FLAGS] [--plan] [-o yaml|json] [-- CMD ARGS...]\n\n"
		       "Print the exact TrainJob that `kft train` would send (no backend contacted),\n"
		       "or with --plan the exact per-step argv/env/cwd the backend would run.\n"
		       "  --plan                    print the backend's plan instead of the TrainJob\n"
		       "  --no-validate             print even if client-side validation fails\n\n");
		cli_job_usage(stdout);
		printf("\n%s", global_help);
		return 0;
	}
	if (cli_job_new(&j) < 0)
		return EXIT_ERR;
	if ((rc = parse_job_command("render", argc, argv, j, &f, &cmd_start)) != 0)
		goto out;
	if ((rc = cli_job_build(&spec, j, argc, argv, cmd_start)) != 0)
		goto out;
	if (!kft_spec_name(spec) && kft_spec_generate_name(spec) < 0) {
		rc = cli_error("name");
		goto out;
	}
	if (f.plan) {
		kft_client_t *c;

		if ((rc = open_client(&c)) != 0)
			goto out;
		if (!f.no_validate && kft_spec_validate(spec, NULL) < 0)
			rc = cli_error("invalid TrainJob");
		else if (kft_render_plan(&out, c, spec, render_as(G.output == KFT_FORMAT_JSON ?
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
	if (interrupted)
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

	if (interrupted)
		return -6;
	n += (size_t)snprintf(line + n, sizeof(line) - n, "%s %s", kft_job_name(job),
	                      kft_job_status(job));
	for (k = 0; k < kft_job_step_count(job) && n < sizeof(line) - 1; k++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " %s=%s",
		                      kft_step_name(kft_job_step_at(job, k)),
		                      kft_step_status(kft_job_step_at(job, k)));
	if (kft_job_progress_percent(job) >= 0 && n < sizeof(line) - 1)
		snprintf(line + n, sizeof(line) - n, " %lld%%", (long long)kft_job_progress_percent(job));
	if (v->tty) {
		fprintf(stderr, "\r\033[K%s (%llds)", line, (long long)el);
		fflush(stderr);
	} else if (strcmp(line, v->last)) {
		fprintf(stderr, "%s\n", line);
	}
	memcpy(v->last, line, sizeof(line));
	return 0;
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
	} else {
		rc = cli_error(interrupted ? "interrupted" : "wait");
	}
	kft_job_free(job);
	return rc;
}

static int cmd_train(int argc, char **argv)
{
	cli_job *j;
	job_cmd_flags f = { 0, 0, 0, 0, 0, 0 };
	kft_spec_t *spec = NULL;
	kft_client_t *c = NULL;
	kft_job_t *job = NULL;
	kft_train_opts_t to = KFT_TRAIN_OPTS_INIT;
	int rc, cmd_start;

	if (want_help(argc, argv)) {
		printf("Usage: kft train [JOB FLAGS] [--wait] [--follow] [--timeout SECONDS]\n"
		       "                 [--server-dry-run] [-- CMD ARGS...]\n\n"
		       "Validate and start a TrainJob; prints the job's name.\n"
		       "  --wait                    wait until it completes (exit 3 if it fails)\n"
		       "  --follow                  stream all steps' logs until it ends\n"
		       "  --timeout SECONDS         with --wait: give up after this long (exit 4)\n"
		       "  --server-dry-run          kubernetes: send with dryRun=All, create nothing\n"
		       "  --no-validate             skip client-side validation\n\n");
		cli_job_usage(stdout);
		printf("\n%s", global_help);
		return 0;
	}
	if (cli_job_new(&j) < 0)
		return EXIT_ERR;
	if ((rc = parse_job_command("train", argc, argv, j, &f, &cmd_start)) != 0)
		goto out;
	if ((rc = cli_job_build(&spec, j, argc, argv, cmd_start)) != 0)
		goto out;
	if ((rc = open_client(&c)) != 0)
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
			rc = cli_error("logs");
	}
	if (rc == 0 && (f.wait || f.follow))
		rc = do_wait(c, kft_job_name(job), KFT_WANT(KFT_JOB_COMPLETE), f.timeout);
out:
	kft_job_free(job);
	kft_client_free(c);
	kft_spec_free(spec);
	cli_job_free(j);
	return rc;
}

/* ---------------- get / list / wait / logs / delete / events ---------------- */

/* Parse "kft CMD NAME [flags]": global flags and extra flags via cb. */
typedef int (*extra_flag_cb)(int argc, char **argv, int *i, void *ctx);

static int parse_named(const char *cmd, int argc, char **argv, const char **name, int need_name,
                       extra_flag_cb cb, void *ctx)
{
	int i;

	*name = NULL;
	for (i = 1; i < argc; i++) {
		int r;

		if ((r = global_flag(argc, argv, &i)) < 0)
			return EXIT_USAGE;
		if (r)
			continue;
		if (cb && (r = cb(argc, argv, &i, ctx)) != 0) {
			if (r < 0)
				return EXIT_USAGE;
			continue;
		}
		if (argv[i][0] != '-' && !*name) {
			*name = argv[i];
			continue;
		}
		return bad_arg(cmd, argv[i]);
	}
	if (need_name && !*name) {
		fprintf(stderr, "kft %s: a job NAME is required (see kft %s --help)\n", cmd, cmd);
		return EXIT_USAGE;
	}
	return 0;
}

static int cmd_get(int argc, char **argv)
{
	kft_client_t *c;
	kft_job_t *job;
	const char *name;
	char *s;
	int rc;

	if (want_help(argc, argv)) {
		printf("Usage: kft get NAME [-o text|yaml|json]\n\nShow a job's status, steps "
		       "(status, exit code, reason) and progress.\n\n%s", global_help);
		return 0;
	}
	if ((rc = parse_named("get", argc, argv, &name, 1, NULL, NULL)) != 0)
		return rc;
	if ((rc = open_client(&c)) != 0)
		return rc;
	if (kft_get_job(&job, c, name) < 0) {
		rc = cli_error("get");
	} else {
		if (kft_job_render(&s, job, render_as(G.output < 0 ? KFT_FORMAT_TEXT : G.output)) < 0) {
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

static int list_flag(int argc, char **argv, int *i, void *ctx)
{
	if (cli_is_flag(argv[*i], "--runtime")) {
		const char *v = cli_value(argc, argv, i, "--runtime");

		if (!v)
			return -1;
		*(const char **)ctx = v;
		return 1;
	}
	return 0;
}

static int cmd_list(int argc, char **argv)
{
	kft_client_t *c;
	kft_job_list_t *l;
	const char *extra, *runtime = NULL;
	char *s;
	int rc;

	if (want_help(argc, argv)) {
		printf("Usage: kft list [--runtime NAME] [-o text|yaml|json]\n\nList jobs.\n"
		       "  --runtime NAME            only jobs of this runtime\n\n%s", global_help);
		return 0;
	}
	if ((rc = parse_named("list", argc, argv, &extra, 0, list_flag, &runtime)) != 0)
		return rc;
	if (extra)
		return bad_arg("list", extra);
	if ((rc = open_client(&c)) != 0)
		return rc;
	if (kft_list_jobs(&l, c, runtime) < 0) {
		rc = cli_error("list");
	} else {
		if (kft_job_list_render(&s, l, render_as(G.output < 0 ? KFT_FORMAT_TEXT : G.output)) < 0) {
			rc = cli_error("render");
		} else {
			fputs(s, stdout);
			kft_free(s);
		}
		kft_job_list_free(l);
	}
	kft_client_free(c);
	return rc;
}

typedef struct {
	uint32_t want;
	int64_t timeout;
} wait_flags;

static int wait_flag(int argc, char **argv, int *i, void *ctx)
{
	wait_flags *w = ctx;

	if (cli_is_flag(argv[*i], "--for")) {
		const char *v = cli_value(argc, argv, i, "--for");
		char *copy, *tok, *save = NULL;

		if (!v || (copy = strdup(v)) == NULL)
			return -1;
		for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			int st;

			if (kft_job_state_parse(&st, tok) < 0) {
				fprintf(stderr, "kft wait: --for: unknown status \"%s\" (Created, Suspended, "
				        "Running, Complete, Failed)\n", tok);
				free(copy);
				return -1;
			}
			w->want |= KFT_WANT(st);
		}
		free(copy);
		return 1;
	}
	if (cli_is_flag(argv[*i], "--timeout")) {
		const char *v = cli_value(argc, argv, i, "--timeout");
		char *end;

		if (!v)
			return -1;
		w->timeout = strtoll(v, &end, 10);
		if (*end || w->timeout < 0 || end == v) {
			fprintf(stderr, "kft wait: --timeout: expected seconds, got \"%s\"\n", v);
			return -1;
		}
		return 1;
	}
	return 0;
}

static int cmd_wait(int argc, char **argv)
{
	kft_client_t *c;
	const char *name;
	wait_flags w = { 0, 0 };
	int rc;

	if (want_help(argc, argv)) {
		printf("Usage: kft wait NAME [--for STATUS,...] [--timeout SECONDS]\n\n"
		       "Wait until the job reaches one of the statuses (default Complete).\n"
		       "Exit 0 when reached, 3 when the job failed (and Failed was not wanted),\n"
		       "4 on timeout.\n"
		       "  --for STATUS,...          Created, Suspended, Running, Complete, Failed\n"
		       "  --timeout SECONDS         give up after this long (0: never)\n\n%s",
		       global_help);
		return 0;
	}
	if ((rc = parse_named("wait", argc, argv, &name, 1, wait_flag, &w)) != 0)
		return rc;
	if ((rc = open_client(&c)) != 0)
		return rc;
	rc = do_wait(c, name, w.want ? w.want : KFT_WANT(KFT_JOB_COMPLETE), w.timeout);
	kft_client_free(c);
	return rc;
}

typedef struct {
	const char *step;
	int follow;
	long long tail;
	long long since;
} logs_flags;

static int logs_flag(int argc, char **argv, int *i, void *ctx)
{
	logs_flags *l = ctx;
	const char *v;
	char *end;

	if (!strcmp(argv[*i], "-f") || !strcmp(argv[*i], "--follow")) {
		l->follow = 1;
		return 1;
	}
	if (cli_is_flag(argv[*i], "--step")) {
		if ((l->step = cli_value(argc, argv, i, "--step")) == NULL)
			return -1;
		return 1;
	}
	if (cli_is_flag(argv[*i], "--tail") || cli_is_flag(argv[*i], "--since")) {
		int tail = cli_is_flag(argv[*i], "--tail");

		if ((v = cli_value(argc, argv, i, tail ? "--tail" : "--since")) == NULL)
			return -1;
		*(tail ? &l->tail : &l->since) = strtoll(v, &end, 10);
		if (*end || end == v || (tail ? l->tail : l->since) < 0) {
			fprintf(stderr, "kft logs: %s: expected a non-negative integer, got \"%s\"\n",
			        tail ? "--tail" : "--since", v);
			return -1;
		}
		return 1;
	}
	return 0;
}

static int cmd_logs(int argc, char **argv)
{
	kft_client_t *c;
	const char *name;
	logs_flags l = { NULL, 0, -1, 0 };
	kft_logs_opts_t lo = KFT_LOGS_OPTS_INIT;
	int rc, err;

	if (want_help(argc, argv)) {
		printf("Usage: kft logs NAME [-f] [--step STEP] [--tail N] [--since SECONDS]\n\n"
		       "Print a job's logs: all steps with \"STEP: \" prefixes, or one step.\n"
		       "  -f, --follow              keep streaming until the steps end\n"
		       "  --step STEP               node-0, node-1, launcher, dataset-initializer, ...\n"
		       "  --tail N                  the last N lines of each step\n"
		       "  --since SECONDS           kubernetes: only lines newer than this\n\n%s",
		       global_help);
		return 0;
	}
	if ((rc = parse_named("logs", argc, argv, &name, 1, logs_flag, &l)) != 0)
		return rc;
	if ((rc = open_client(&c)) != 0)
		return rc;
	lo.step = l.step;
	lo.flags = l.follow ? KFT_LOGS_FOLLOW : 0;
	lo.tail_lines = l.tail;
	lo.since_ms = l.since * 1000;
	err = kft_logs(c, name, &lo, print_chunk, NULL);
	if (err < 0 && !(err == KFT_EUSER && interrupted))
		rc = cli_error("logs");
	kft_client_free(c);
	return rc;
}

typedef struct {
	int keep;
	long long grace;
	const char *propagation;
} delete_flags;

static int delete_flag(int argc, char **argv, int *i, void *ctx)
{
	delete_flags *d = ctx;
	const char *v;
	char *end;

	if (!strcmp(argv[*i], "--keep-state")) {
		d->keep = 1;
		return 1;
	}
	if (cli_is_flag(argv[*i], "--grace")) {
		if ((v = cli_value(argc, argv, i, "--grace")) == NULL)
			return -1;
		d->grace = strtoll(v, &end, 10);
		if (*end || end == v || d->grace < 0) {
			fprintf(stderr, "kft delete: --grace: expected seconds, got \"%s\"\n", v);
			return -1;
		}
		return 1;
	}
	if (cli_is_flag(argv[*i], "--propagation")) {
		if ((d->propagation = cli_value(argc, argv, i, "--propagation")) == NULL)
			return -1;
		return 1;
	}
	return 0;
}

static int cmd_delete(int argc, char **argv)
{
	kft_client_t *c;
	const char *name;
	delete_flags d = { 0, -1, NULL };
	kft_delete_opts_t o = KFT_DELETE_OPTS_INIT;
	int rc;

	if (want_help(argc, argv)) {
		printf("Usage: kft delete NAME [--keep-state] [--grace SECONDS] [--propagation P]\n\n"
		       "Stop every step (SIGTERM, grace period, SIGKILL) and delete the job.\n"
		       "  --keep-state              local/container: keep records and logs\n"
		       "  --grace SECONDS           SIGTERM to SIGKILL delay (default 10)\n"
		       "  --propagation P           kubernetes: Foreground, Background or Orphan\n\n%s",
		       global_help);
		return 0;
	}
	if ((rc = parse_named("delete", argc, argv, &name, 1, delete_flag, &d)) != 0)
		return rc;
	if ((rc = open_client(&c)) != 0)
		return rc;
	if (d.keep)
		o.flags |= KFT_DELETE_KEEP_STATE;
	if (d.grace >= 0)
		o.grace_period_ms = d.grace * 1000;
	o.propagation = d.propagation;
	if (kft_delete_job(c, name, &o) < 0)
		rc = cli_error("delete");
	else
		printf("%s deleted\n", name);
	kft_client_free(c);
	return rc;
}

static int cmd_suspend(int argc, char **argv, int suspend)
{
	kft_client_t *c;
	const char *name, *cmd = suspend ? "suspend" : "resume";
	int rc;

	if (want_help(argc, argv)) {
		printf("Usage: kft %s NAME\n\n%s a job.\n\n%s", cmd,
		       suspend ? "Suspend (stop the steps of)" : "Resume", global_help);
		return 0;
	}
	if ((rc = parse_named(cmd, argc, argv, &name, 1, NULL, NULL)) != 0)
		return rc;
	if ((rc = open_client(&c)) != 0)
		return rc;
	if (kft_suspend_job(c, name, suspend) < 0)
		rc = cli_error(cmd);
	kft_client_free(c);
	return rc;
}

static int cmd_events(int argc, char **argv)
{
	kft_client_t *c;
	kft_event_list_t *l;
	const char *name;
	size_t k;
	int rc;

	if (want_help(argc, argv)) {
		printf("Usage: kft events NAME [-o text|json]\n\nShow a job's events, oldest "
		       "first.\n\n%s", global_help);
		return 0;
	}
	if ((rc = parse_named("events", argc, argv, &name, 1, NULL, NULL)) != 0)
		return rc;
	if ((rc = open_client(&c)) != 0)
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
			char when[32];
			time_t t = (time_t)(kft_event_time_ms(kft_event_list_at(l, k)) / 1000);
			struct tm tm;

			gmtime_r(&t, &tm);
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
			if (G.output == KFT_FORMAT_JSON) {
				/* messages are ours or the server's; keep JSON valid */
				const char *m = kft_event_message(kft_event_list_at(l, k));

				printf("%s\n  {\"time\": \"%s\", \"type\": \"%s\", \"kind\": \"%s\", "
				       "\"object\": \"%s\", \"reason\": \"%s\", \"message\": \"", k ? "," : "",
				       when, kft_event_type(kft_event_list_at(l, k)), kft_event_kind(kft_event_list_at(l, k)), kft_event_object(kft_event_list_at(l, k)),
				       kft_event_reason(kft_event_list_at(l, k)));
				for (; *m; m++) {
					if (*m == '"' || *m == '\\')
						printf("\\%c", *m);
					else if ((unsigned char)*m < 0x20)
						printf("\\u%04x", *m);
					else
						putchar(*m);
				}
				printf("\"}");
			} else {
				printf("%-24s %-8s %-10s %-28s %-24s %s\n", when, kft_event_type(kft_event_list_at(l, k)),
				       kft_event_kind(kft_event_list_at(l, k)), kft_event_object(kft_event_list_at(l, k)), kft_event_reason(kft_event_list_at(l, k)),
				       kft_event_message(kft_event_list_at(l, k)));
			}
		}
		if (G.output == KFT_FORMAT_JSON)
			printf("\n]\n");
		kft_event_list_free(l);
	}
	kft_client_free(c);
	return rc;
}

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

int main(int argc, char **argv)
{
	const char *lvl = getenv("KFT_LOG_LEVEL");
	struct sigaction sa;
	int i, level = KFT_DIAG_WARN, rc;

	/* leading global flags */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		int r;

		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--version")) {
			argv[i] = (char *)"version";
			break;
		}
		if ((r = global_flag(argc, argv, &i)) < 0)
			return EXIT_USAGE;
		if (!r) {
			fprintf(stderr, "kft: unknown flag \"%s\" (see kft --help)\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
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
	{
		const char *cmd = argv[i];
		int cargc = argc - i;
		char **cargv = argv + i;

		if (!strcmp(cmd, "version")) rc = cmd_version(cargc, cargv);
		else if (!strcmp(cmd, "runtimes")) {
			int k;

			/* accept global flags after the command */
			for (k = 1; k < cargc; k++) {
				int r = global_flag(cargc, cargv, &k);

				if (r < 0)
					return EXIT_USAGE;
				if (r) {
					/* remove consumed args */
					continue;
				}
			}
			rc = 0;
			{
				char **kept = calloc((size_t)cargc + 1, sizeof(char *));
				int n = 0, q;

				if (!kept)
					return EXIT_ERR;
				for (q = 0; q < cargc; q++) {
					int save = q;

					if (q > 0 && global_flag(cargc, cargv, &q) == 1)
						continue;
					q = save;
					kept[n++] = cargv[q];
				}
				rc = cmd_runtimes(n, kept);
				free(kept);
			}
		}
		else if (!strcmp(cmd, "render")) rc = cmd_render(cargc, cargv);
		else if (!strcmp(cmd, "train")) rc = cmd_train(cargc, cargv);
		else if (!strcmp(cmd, "get")) rc = cmd_get(cargc, cargv);
		else if (!strcmp(cmd, "list")) rc = cmd_list(cargc, cargv);
		else if (!strcmp(cmd, "wait")) rc = cmd_wait(cargc, cargv);
		else if (!strcmp(cmd, "logs")) rc = cmd_logs(cargc, cargv);
		else if (!strcmp(cmd, "delete")) rc = cmd_delete(cargc, cargv);
		else if (!strcmp(cmd, "suspend")) rc = cmd_suspend(cargc, cargv, 1);
		else if (!strcmp(cmd, "resume")) rc = cmd_suspend(cargc, cargv, 0);
		else if (!strcmp(cmd, "events")) rc = cmd_events(cargc, cargv);
		else if (!strcmp(cmd, "help")) { usage(stdout); rc = 0; }
		else {
			fprintf(stderr, "kft: unknown command \"%s\" (see kft --help)\n", cmd);
			rc = EXIT_USAGE;
		}
	}
	kft_shutdown();
	return rc;
}
