/*
 * The kubernetes backend against the fake API server (tests/fake_apiserver/server.py,
 * HTTPS on 127.0.0.1 with certificates made at start): the train/get/list/logs/wait/
 * delete/events/runtimes session, each auth method, every fault of issue 4, connection
 * reuse and secrets staying out of the debug log. Exits 77 when python3, openssl or
 * the server is missing.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "testutil.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[256];       /* the server's --dir */
static char work[256];      /* scratch files of the tests */
static pid_t srv_pid = -1;
static int port;

/* ---- the server ---- */

static void srv_start(void)
{
	char *server, *log, portfile[300];
	const char *top = getenv("KFT_TOP");
	int fd, i;
	kft__proc_opts po;
	char *argv[] = { "python3", NULL, "--dir", dir, "--token", "test-token", "--token",
	                 "second-token", NULL };

	snprintf(dir, sizeof(dir), "/tmp/kft-k8s.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(work, sizeof(work), "%.200s/work", dir);
	ck_assert_int_eq(kft__mkdir_p(work, 0700), 0);
	strcat(dir, "/srv");
	server = kft__path_join(top ? top : ".", "tests/fake_apiserver/server.py");
	argv[1] = server;
	log = kft__malloc(strlen(dir) + 20);
	sprintf(log, "%s.log", dir);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	memset(&po, 0, sizeof(po));
	po.file = "python3";
	po.argv = argv;
	po.stdin_fd = -1;
	po.stdout_fd = fd;
	po.stderr_fd = fd;
	ck_assert_kft_ok(kft__proc_spawn(&srv_pid, &po));
	close(fd);
	snprintf(portfile, sizeof(portfile), "%s/port", dir);
	for (i = 0; i < 300; i++) {
		char *text = NULL;
		size_t len;
		struct stat st;
		char kc[300];

		snprintf(kc, sizeof(kc), "%s/kubeconfig", dir);
		if (stat(kc, &st) == 0 && kft__read_file(&text, &len, portfile) == 0 && len > 0) {
			port = atoi(text);
			free(text);
			break;
		}
		free(text);
		usleep(50000);
	}
	free(server);
	free(log);
	if (port <= 0) {
		fprintf(stderr, "fake API server did not start (see %s.log)\n", dir);
		abort();
	}
}

static void srv_stop(void)
{
	char *top;

	if (srv_pid > 0) {
		kill(srv_pid, SIGTERM);
		waitpid(srv_pid, NULL, 0);
		srv_pid = -1;
	}
	top = kft__strndup(dir, strlen(dir) - 4);   /* without "/srv" */
	if (top && getenv("KFT_KEEP_TMP") == NULL)
		kft__remove_tree(top);
	free(top);
}

static size_t sink(char *p, size_t s, size_t n, void *ud)
{
	kft__buf_put(ud, p, s * n);
	return s * n;
}

/* The control API (no auth) over HTTPS; returns the HTTP status, body in out (optional). */
static long ctl(const char *method, const char *path, const char *body, char **out)
{
	CURL *h = curl_easy_init();
	kft__buf b = KFT__BUF_INIT;
	char url[512], ca[300];
	long code = 0;
	struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/json");

	snprintf(url, sizeof(url), "https://127.0.0.1:%d%s", port, path);
	snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CAINFO, ca);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(h, CURLOPT_PROXY, "");
	if (body)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(h);
	curl_slist_free_all(hd);
	if (out)
		*out = kft__buf_detach(&b);
	kft__buf_free(&b);
	return code;
}

static void faults(const char *json)
{
	ck_assert_int_eq(ctl("POST", "/_fake/faults", json, NULL), 200);
}

static int64_t stat_of(const char *key)
{
	char *body = NULL;
	cJSON *doc;
	int64_t v;

	ck_assert_int_eq(ctl("GET", "/_fake/stats", NULL, &body), 200);
	doc = cJSON_Parse(body);
	ck_assert_ptr_nonnull(doc);
	v = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(doc, key));
	cJSON_Delete(doc);
	free(body);
	return v;
}

/* Requests the server recorded since the last clear that match (substrings; NULL: any). */
static int count_requests(const char *method, const char *path, const char *query)
{
	char *body = NULL;
	cJSON *doc, *it;
	int n = 0;

	ck_assert_int_eq(ctl("GET", "/_fake/requests", NULL, &body), 200);
	doc = cJSON_Parse(body);
	ck_assert_ptr_nonnull(doc);
	cJSON_ArrayForEach(it, doc) {
		const char *m = kft__json_str(it, "method"), *p = kft__json_str(it, "path");
		const char *q = kft__json_str(it, "query");

		if ((!method || kft__streq(m, method)) && (!path || (p && strstr(p, path))) &&
		    (!query || (q && strstr(q, query))))
			n++;
	}
	cJSON_Delete(doc);
	free(body);
	return n;
}

static void clear_requests(void)
{
	ck_assert_int_eq(ctl("POST", "/_fake/requests/clear", "{}", NULL), 200);
}

/* ---- helpers ---- */

static char *wpath(const char *name)
{
	return kft__path_join(work, name);
}

static char *write_work(const char *name, const char *text, mode_t mode)
{
	char *p = wpath(name);

	ck_assert_int_eq(kft__write_file_atomic(p, text, strlen(text), mode), 0);
	return p;
}

/* A kubeconfig for the fake server with the given user block (YAML, indented 4). */
static char *kubeconfig(const char *name, const char *ca, const char *user_yaml)
{
	kft__buf b = KFT__BUF_INIT;
	char *p;

	kft__buf_printf(&b, "apiVersion: v1\nkind: Config\ncurrent-context: t\n"
	                "clusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:%d\n"
	                "    certificate-authority: %s/%s\n"
	                "contexts:\n- name: t\n  context: {cluster: c, user: u, namespace: default}\n"
	                "users:\n- name: u\n  user:\n%s", port, dir, ca ? ca : "ca.crt", user_yaml);
	p = write_work(name, b.ptr, 0600);
	kft__buf_free(&b);
	return p;
}

static int client_for(kft_client_t **c, const char *kc, const char *context)
{
	kft_client_opts_t o = KFT_CLIENT_OPTS_INIT;
	char def[300];

	snprintf(def, sizeof(def), "%s/kubeconfig", dir);
	o.backend = "kubernetes";
	o.kubeconfig = kc ? kc : def;
	o.context = context;
	return kft_client_new(c, &o);
}

static kft_spec_t *spec_for(const char *name, int nodes)
{
	kft_spec_t *s;
	const char *cmd[] = { "python", "train.py" };

	ck_assert_kft_ok(kft_spec_new(&s));
	ck_assert_kft_ok(kft_spec_set_name(s, name));
	ck_assert_kft_ok(kft_spec_set_runtime(s, "torch-distributed", NULL));
	ck_assert_kft_ok(kft_spec_set_command(s, cmd, 2));
	if (nodes > 0)
		ck_assert_kft_ok(kft_spec_set_num_nodes(s, nodes));
	return s;
}

static void train(kft_client_t *c, const char *name, int nodes, const char *ann_key,
                  const char *ann_value)
{
	kft_spec_t *s = spec_for(name, nodes);
	kft_job_t *job = NULL;

	if (ann_key)
		ck_assert_kft_ok(kft_spec_set_annotation(s, ann_key, ann_value));
	ck_assert_kft_ok(kft_train(&job, c, s, NULL));
	ck_assert_str_eq(kft_job_name(job), name);
	ck_assert_str_eq(kft_job_namespace(job), "default");
	kft_job_free(job);
	kft_spec_free(s);
}

static int collect_log(const char *chunk, size_t len, const char *step, void *payload)
{
	kft__buf_put(payload, chunk, len);
	return 0;
}

static int count_cb(const kft_job_t *job, void *payload)
{
	(*(int *)payload)++;
	return 0;
}

/* ---- the session ---- */

START_TEST(session_token)
{
	kft_client_t *c;
	kft_job_t *job = NULL;
	kft_job_list_t *list = NULL;
	kft_event_list_t *ev = NULL;
	kft_runtime_list_t *rts = NULL;
	kft_runtime_t *rt = NULL;
	kft_logs_opts_t lo = KFT_LOGS_OPTS_INIT;
	kft_wait_opts_t wo = KFT_WAIT_OPTS_INIT;
	kft__buf logs = KFT__BUF_INIT;
	int calls = 0;
	size_t i;

	ck_assert_kft_ok(client_for(&c, NULL, NULL));
	ck_assert_str_eq(kft_client_backend(c), "kubernetes");
	ck_assert_kft_ok(kft_list_runtimes(&rts, c));
	ck_assert_uint_ge(kft_runtime_list_count(rts), 3);
	ck_assert_str_eq(kft_runtime_source(kft_runtime_list_at(rts, 0)), "cluster");
	kft_runtime_list_free(rts);
	ck_assert_kft_ok(kft_get_runtime(&rt, c, "torch-distributed"));
	ck_assert_str_eq(kft_runtime_kind(rt), "ClusterTrainingRuntime");
	kft_runtime_free(rt);
	ck_assert_kft_error(kft_get_runtime(&rt, c, "no-such-runtime"), KFT_ENOTFOUND,
	                    "checked TrainingRuntime in namespace default and ClusterTrainingRuntime");

	train(c, "sess", 2, NULL, NULL);
	wo.timeout_ms = 30000;
	wo.progress_cb = count_cb;
	wo.payload = &calls;
	ck_assert_kft_ok(kft_wait(&job, c, "sess", &wo));
	ck_assert_int_ge(calls, 1);
	ck_assert_str_eq(kft_job_status(job), "Complete");
	ck_assert_uint_eq(kft_job_step_count(job), 2);
	ck_assert_str_eq(kft_step_name(kft_job_step_at(job, 0)), "node-0");
	ck_assert_str_eq(kft_step_name(kft_job_step_at(job, 1)), "node-1");
	ck_assert_str_eq(kft_step_status(kft_job_step_at(job, 1)), "Succeeded");
	ck_assert_int_eq(kft_step_exit_code(kft_job_step_at(job, 1)), 0);
	ck_assert(kft__has_prefix(kft_step_target(kft_job_step_at(job, 0)), "sess-node-0-0-"));
	ck_assert_int_eq(kft_job_num_nodes(job), 2);
	ck_assert(kft_job_created_ms(job) > 0 && kft_job_finished_ms(job) >= kft_job_created_ms(job));
	kft_job_free(job);

	ck_assert_kft_ok(kft_get_job(&job, c, "sess"));
	ck_assert_str_eq(kft_job_runtime(job), "torch-distributed");
	kft_job_free(job);
	clear_requests();
	ck_assert_kft_ok(kft_list_jobs(&list, c, NULL));
	/* one LIST of TrainJobs and one of pods (a set selector): no request per job */
	ck_assert_int_eq(count_requests(NULL, NULL, NULL), 2);
	ck_assert_int_eq(count_requests("GET", "/pods", "replicatedjob-name%20in%20%28"), 1);
	for (i = 0; i < kft_job_list_count(list); i++)
		if (!strcmp(kft_job_name(kft_job_list_at(list, i)), "sess"))
			break;
	ck_assert_uint_lt(i, kft_job_list_count(list));
	ck_assert_str_eq(kft_job_status(kft_job_list_at(list, i)), "Complete");
	ck_assert_uint_eq(kft_job_step_count(kft_job_list_at(list, i)), 2);
	kft_job_list_free(list);
	ck_assert_kft_ok(kft_list_jobs(&list, c, "deepspeed-distributed"));
	for (i = 0; i < kft_job_list_count(list); i++)
		ck_assert_str_eq(kft_job_runtime(kft_job_list_at(list, i)), "deepspeed-distributed");
	kft_job_list_free(list);

	ck_assert_kft_ok(kft_logs(c, "sess", NULL, collect_log, &logs));
	ck_assert_ptr_nonnull(strstr(logs.ptr, "node-0: rank 0 of 2"));
	ck_assert_ptr_nonnull(strstr(logs.ptr, "node-1: rank 1 of 2"));
	kft__buf_clear(&logs);
	lo.step = "node-1";
	lo.tail_lines = 1;
	ck_assert_kft_ok(kft_logs(c, "sess", &lo, collect_log, &logs));
	ck_assert_ptr_null(strstr(logs.ptr, "node-1:"));   /* one step: no prefix */
	ck_assert_ptr_null(strstr(logs.ptr, "rank"));      /* only the last line */
	ck_assert_int_eq((int)(strchr(logs.ptr, '\n') - logs.ptr) + 1, (int)logs.len);
	kft__buf_free(&logs);

	ck_assert_kft_ok(kft_get_events(&ev, c, "sess"));
	ck_assert_uint_ge(kft_event_list_count(ev), 4);
	{
		int kinds = 0;

		for (i = 0; i < kft_event_list_count(ev); i++) {
			kinds |= !strcmp(kft_event_kind(kft_event_list_at(ev, i)), "TrainJob") ? 1 : 0;
			kinds |= !strcmp(kft_event_kind(kft_event_list_at(ev, i)), "Pod") ? 2 : 0;
			kinds |= !strcmp(kft_event_kind(kft_event_list_at(ev, i)), "JobSet") ? 4 : 0;
			if (i > 0)
				ck_assert(kft_event_time_ms(kft_event_list_at(ev, i)) >= kft_event_time_ms(kft_event_list_at(ev, i - 1)));
		}
		ck_assert_int_eq(kinds, 7);
	}
	kft_event_list_free(ev);

	ck_assert_kft_ok(kft_delete_job(c, "sess", NULL));
	ck_assert_kft_error(kft_get_job(&job, c, "sess"), KFT_ENOTFOUND, "not found");
	ck_assert_int_eq(kft_error_last()->http_status, 404);
	ck_assert_str_eq(kft_error_last()->reason, "NotFound");
	kft_client_free(c);
}
END_TEST

/* Counts heartbeats (len 0) and lines; stops the follow at the third heartbeat after a line. */
typedef struct {
	int beats, lines;
	int64_t first_line_ms;
} quiet_follow;

static int stop_when_quiet(const char *chunk, size_t len, const char *step, void *payload)
{
	quiet_follow *q = payload;

	(void)chunk;
	if (len == 0) {
		ck_assert_str_eq(step, "");
		return q->lines && ++q->beats >= 3 ? 42 : 0;
	}
	if (!q->lines++)
		q->first_line_ms = kft__mono_ms();
	return 0;
}

/*
 * A quiet follow can be cancelled: the kubernetes backend calls the callback with
 * len 0 at least once a second while no line arrives (the heartbeat logs.h promises),
 * so the follow of a 30-second job whose node logs a line every few seconds stops at
 * the callback's word, within a few seconds, not when the job ends.
 */
START_TEST(quiet_follow_is_cancellable)
{
	kft_client_t *c;
	kft_logs_opts_t lo = KFT_LOGS_OPTS_INIT;
	quiet_follow q = { 0, 0, 0 };

	ck_assert_kft_ok(client_for(&c, NULL, NULL));
	train(c, "quiet", 1, "fake.kftrainer.dev/duration-ms", "30000");
	lo.flags = KFT_LOGS_FOLLOW;
	lo.step = "node-0";
	lo.timeout_ms = 25000;
	ck_assert_int_eq(kft_logs(c, "quiet", &lo, stop_when_quiet, &q), 42);
	ck_assert_int_ge(q.lines, 1);
	ck_assert_int_eq(q.beats, 3);
	/* three heartbeats after the first line, about a second apart */
	ck_assert_int_lt(kft__mono_ms() - q.first_line_ms, 4500);
	ck_assert_kft_ok(kft_delete_job(c, "quiet", NULL));
	kft_client_free(c);
}
END_TEST

START_TEST(follow_waits_for_pods)
{
	kft_client_t *c;
	kft_logs_opts_t lo = KFT_LOGS_OPTS_INIT;
	kft__buf logs = KFT__BUF_INIT;

	ck_assert_kft_ok(client_for(&c, NULL, NULL));
	ck_assert_int_eq(ctl("POST", "/_fake/controller", "{\"pendingMs\":700}", NULL), 200);
	train(c, "follow", 2, NULL, NULL);
	lo.flags = KFT_LOGS_FOLLOW;
	lo.timeout_ms = 30000;
	/* pods are Pending at first: follow waits instead of returning nothing */
	ck_assert_kft_ok(kft_logs(c, "follow", &lo, collect_log, &logs));
	ck_assert_ptr_nonnull(strstr(logs.ptr, "node-0: training complete"));
	ck_assert_ptr_nonnull(strstr(logs.ptr, "node-1: training complete"));
	kft__buf_clear(&logs);
	lo.step = "node-0";
	ck_assert_kft_ok(kft_logs(c, "follow", &lo, collect_log, &logs));
	ck_assert_ptr_nonnull(strstr(logs.ptr, "training complete"));
	ck_assert_ptr_null(strstr(logs.ptr, "rank 1"));
	kft__buf_free(&logs);
	lo.step = "node-7";   /* no such step in a finished job */
	ck_assert_kft_error(kft_logs(c, "follow", &lo, collect_log, &logs), KFT_ENOTFOUND,
	                    "no step \"node-7\"");
	lo.flags = 0;
	ck_assert_kft_error(kft_logs(c, "follow", &lo, collect_log, &logs), KFT_ENOTFOUND,
	                    "no step \"node-7\"");
	kft__buf_free(&logs);
	ck_assert_int_eq(ctl("POST", "/_fake/controller", "{\"pendingMs\":200}", NULL), 200);
	kft_client_free(c);
}
END_TEST

/* ---- auth methods ---- */

static void check_works(const char *kc)
{
	kft_client_t *c;
	kft_runtime_list_t *rts = NULL;

	ck_assert_kft_ok(client_for(&c, kc, NULL));
	ck_assert_kft_ok(kft_list_runtimes(&rts, c));
	ck_assert_uint_ge(kft_runtime_list_count(rts), 1);
	kft_runtime_list_free(rts);
	kft_client_free(c);
}

START_TEST(auth_methods)
{
	char *kc, *tok, user[1024];
	kft_client_t *c;
	kft_runtime_list_t *rts = NULL;

	/* client certificate (the server's own kubeconfig context) */
	{
		char def[300];

		snprintf(def, sizeof(def), "%s/kubeconfig", dir);
		ck_assert_kft_ok(client_for(&c, def, "fake-cert"));
		ck_assert_kft_ok(kft_list_runtimes(&rts, c));
		kft_runtime_list_free(rts);
		kft_client_free(c);
	}
	/* client certificate as inline data */
	{
		char *crt = NULL, *key = NULL, *b1, *b2, p[300];
		size_t l1, l2;
		kft__buf b = KFT__BUF_INIT;

		snprintf(p, sizeof(p), "%s/client.crt", dir);
		ck_assert_int_eq(kft__read_file(&crt, &l1, p), 0);
		snprintf(p, sizeof(p), "%s/client.key", dir);
		ck_assert_int_eq(kft__read_file(&key, &l2, p), 0);
		b1 = kft__base64_encode((unsigned char *)crt, l1);
		b2 = kft__base64_encode((unsigned char *)key, l2);
		kft__buf_printf(&b, "    client-certificate-data: %s\n    client-key-data: %s\n", b1, b2);
		kc = kubeconfig("cert-data.yaml", NULL, b.ptr);
		check_works(kc);
		free(kc);
		kft__buf_free(&b);
		free(crt);
		free(key);
		free(b1);
		free(b2);
	}
	/* tokenFile, relative to the kubeconfig, re-read when it changes */
	tok = write_work("token.txt", "test-token\n", 0600);
	kc = kubeconfig("tokfile.yaml", NULL, "    tokenFile: token.txt\n");
	ck_assert_kft_ok(client_for(&c, kc, NULL));
	ck_assert_kft_ok(kft_list_runtimes(&rts, c));
	kft_runtime_list_free(rts);
	ck_assert_int_eq(kft__write_file_atomic(tok, "nope\n", 5, 0600), 0);
	ck_assert_kft_error(kft_list_runtimes(&rts, c), KFT_EAUTH, "Unauthorized");
	ck_assert_int_eq(kft_error_last()->http_status, 401);
	ck_assert_int_eq(kft__write_file_atomic(tok, "second-token\n", 13, 0600), 0);
	ck_assert_kft_ok(kft_list_runtimes(&rts, c));   /* rotated: re-read */
	kft_runtime_list_free(rts);
	kft_client_free(c);
	free(kc);
	free(tok);
	/* a wrong static token */
	kc = kubeconfig("badtok.yaml", NULL, "    token: wrong-token\n");
	ck_assert_kft_ok(client_for(&c, kc, NULL));
	ck_assert_kft_error(kft_list_runtimes(&rts, c), KFT_EAUTH, "Unauthorized");
	ck_assert_ptr_null(strstr(kft_error_last()->message, "wrong-token"));
	kft_client_free(c);
	free(kc);
	/* exec plugin (v1 and v1beta1), argv and env reach it, never a shell */
	free(write_work("plugin.sh",
	                "#!/bin/sh\n"
	                "[ \"$1\" = \"--arg with space\" ] || { echo \"bad argv: $1\" >&2; exit 2; }\n"
	                "[ \"$PLUGIN_ENV\" = \"yes\" ] || { echo 'env missing' >&2; exit 2; }\n"
	                "case \"$KUBERNETES_EXEC_INFO\" in *ExecCredential*) ;; "
	                "*) echo 'no exec info' >&2; exit 2;; esac\n"
	                "printf '{\"apiVersion\":\"%s\",\"kind\":\"ExecCredential\","
	                "\"status\":{\"token\":\"test-token\"}}' \"$API\"\n", 0700));
	snprintf(user, sizeof(user),
	         "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
	         "      command: ./plugin.sh\n      args: [\"--arg with space\"]\n"
	         "      env: [{name: PLUGIN_ENV, value: \"yes\"}, "
	         "{name: API, value: client.authentication.k8s.io/v1}]\n"
	         "      interactiveMode: Never\n");
	kc = kubeconfig("exec.yaml", NULL, user);
	check_works(kc);
	free(kc);
	snprintf(user, sizeof(user),
	         "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
	         "      command: ./plugin.sh\n      args: [\"--arg with space\"]\n"
	         "      env: [{name: PLUGIN_ENV, value: \"yes\"}, "
	         "{name: API, value: client.authentication.k8s.io/v1beta1}]\n");
	kc = kubeconfig("exec-beta.yaml", NULL, user);
	check_works(kc);
	free(kc);
	ck_assert_ptr_null(getenv("PLUGIN_ENV"));   /* the env went to the child only */
}
END_TEST

START_TEST(exec_plugin_refresh_and_expiry)
{
	char *kc, *count = NULL, user[1024];
	size_t len;
	kft_client_t *c;
	kft_runtime_list_t *rts = NULL;
	kft_job_t *job = NULL;

	/* first run: a stale token (far expiry) -> 401 -> the plugin runs again */
	free(write_work("refresh.sh",
	                "#!/bin/sh\nn=$(cat \"$0.count\" 2>/dev/null || echo 0); n=$((n+1))\n"
	                "echo $n > \"$0.count\"\n"
	                "if [ $n -eq 1 ]; then t=stale-token; else t=test-token; fi\n"
	                "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",'\n"
	                "printf '\"kind\":\"ExecCredential\",\"status\":{\"token\":\"%s\",' $t\n"
	                "printf '\"expirationTimestamp\":\"%s\"}}' \"$EXP\"\n", 0700));
	snprintf(user, sizeof(user),
	         "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
	         "      command: ./refresh.sh\n      interactiveMode: Never\n"
	         "      env: [{name: EXP, value: \"2999-01-01T00:00:00Z\"}]\n");
	kc = kubeconfig("refresh.yaml", NULL, user);
	ck_assert_kft_ok(client_for(&c, kc, NULL));
	ck_assert_kft_ok(kft_list_runtimes(&rts, c));
	kft_runtime_list_free(rts);
	ck_assert_kft_error(kft_get_job(&job, c, "no-such-job"), KFT_ENOTFOUND, "not found");
	kft_client_free(c);
	free(kc);
	{
		char *p = wpath("refresh.sh.count");

		ck_assert_int_eq(kft__read_file(&count, &len, p), 0);
		ck_assert_int_eq(atoi(count), 2);   /* cached after the refresh */
		free(count);
		unlink(p);
		free(p);
	}
	/* an expired credential is not used again: the plugin runs for every request */
	snprintf(user, sizeof(user),
	         "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
	         "      command: ./refresh.sh\n      interactiveMode: Never\n"
	         "      env: [{name: EXP, value: \"2001-01-01T00:00:00Z\"}]\n");
	kc = kubeconfig("expired.yaml", NULL, user);
	ck_assert_kft_ok(client_for(&c, kc, NULL));
	ck_assert_kft_ok(kft_list_runtimes(&rts, c));
	kft_runtime_list_free(rts);
	{
		char *p = wpath("refresh.sh.count");
		int n1;

		ck_assert_int_eq(kft__read_file(&count, &len, p), 0);
		n1 = atoi(count);
		free(count);
		ck_assert_int_ge(n1, 3);   /* stale (401), then fresh for each request */
		ck_assert_kft_error(kft_get_job(&job, c, "no-such-job"), KFT_ENOTFOUND, "not found");
		ck_assert_kft_error(kft_get_job(&job, c, "no-such-job"), KFT_ENOTFOUND, "not found");
		ck_assert_int_eq(kft__read_file(&count, &len, p), 0);
		ck_assert_int_eq(atoi(count), n1 + 2);
		free(count);
		free(p);
	}
	kft_client_free(c);
	free(kc);
}
END_TEST

START_TEST(server_expires_token_exec_refreshes)
{
	char *kc, *tokf, user[1024];
	kft_client_t *c;
	kft_job_t *job = NULL;
	kft_runtime_list_t *rts = NULL;

	/* the plugin hands out whatever token the "identity provider" (a file) has now */
	tokf = write_work("idp-token", "test-token", 0600);
	free(write_work("idp.sh", "#!/bin/sh\nprintf '{\"apiVersion\":\"client.authentication.k8s.io/v1\","
	                "\"kind\":\"ExecCredential\",\"status\":{\"token\":\"%s\","
	                "\"expirationTimestamp\":\"2999-01-01T00:00:00Z\"}}' \"$(cat \"$(dirname \"$0\")/idp-token\")\"\n", 0700));
	snprintf(user, sizeof(user), "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
	         "      command: ./idp.sh\n      interactiveMode: Never\n");
	kc = kubeconfig("idp.yaml", NULL, user);
	ck_assert_kft_ok(client_for(&c, kc, NULL));
	train(c, "expiry", 1, "fake.kftrainer.dev/duration-ms", "20000");
	/* the server expires every credential it knows and the IdP issues a new one */
	faults("{\"expireTokens\":true}");
	ck_assert_int_eq(ctl("POST", "/_fake/tokens", "{\"token\":\"fresh-1\"}", NULL), 200);
	ck_assert_int_eq(kft__write_file_atomic(tokf, "fresh-1", 7, 0600), 0);
	ck_assert_kft_ok(kft_get_job(&job, c, "expiry"));   /* 401 -> plugin -> fresh-1 */
	kft_job_free(job);
	ck_assert_kft_ok(kft_list_runtimes(&rts, c));
	kft_runtime_list_free(rts);
	ck_assert_kft_ok(kft_delete_job(c, "expiry", NULL));
	faults("{\"expireTokens\":false}");
	kft_client_free(c);
	free(kc);
	free(tokf);
}
END_TEST

START_TEST(exec_plugin_missing_or_failing)
{
	char *kc, user[1024];
	kft_client_t *c;
	kft_runtime_list_t *rts = NULL;

	snprintf(user, sizeof(user),
	         "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
	         "      command: kft-no-such-plugin\n      interactiveMode: Never\n"
	         "      installHint: install it from example.com\n");
	kc = kubeconfig("missing.yaml", NULL, user);
	ck_assert_kft_ok(client_for(&c, kc, NULL));
	ck_assert_kft_error(kft_list_runtimes(&rts, c), KFT_EAUTH, "kft-no-such-plugin");
	ck_assert_ptr_nonnull(strstr(kft_error_last()->message, "No such file"));
	ck_assert_ptr_nonnull(strstr(kft_error_last()->message, "install it from example.com"));
	kft_client_free(c);
	free(kc);
	free(write_work("fail.sh", "#!/bin/sh\necho 'boom: the SSO session expired' >&2\nexit 3\n",
	                0700));
	snprintf(user, sizeof(user),
	         "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
	         "      command: ./fail.sh\n      interactiveMode: Never\n");
	kc = kubeconfig("fail.yaml", NULL, user);
	ck_assert_kft_ok(client_for(&c, kc, NULL));
	ck_assert_kft_error(kft_list_runtimes(&rts, c), KFT_EAUTH, "boom: the SSO session expired");
	ck_assert_ptr_nonnull(strstr(kft_error_last()->message, "exit status 3"));
	kft_client_free(c);
	free(kc);
	free(write_work("garbage.sh", "#!/bin/sh\necho 'not json'\n", 0700));
	snprintf(user, sizeof(user),
	         "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
	         "      command: ./garbage.sh\n      interactiveMode: Never\n");
	kc = kubeconfig("garbage.yaml", NULL, user);
	ck_assert_kft_ok(client_for(&c, kc, NULL));
	ck_assert_kft_error(kft_list_runtimes(&rts, c), KFT_EAUTH, "not an ExecCredential");
	kft_client_free(c);
	free(kc);
	/*
	 * The plugin's words reach the message without terminal escapes (ESC, C1 CSI as
	 * UTF-8), nor the token it handed out before: the first run gives a token the
	 * server refuses (401), the second fails and prints that token to stderr.
	 */
	free(write_work("leaky.sh",
	                "#!/bin/sh\nn=$(cat \"$0.count\" 2>/dev/null || echo 0); n=$((n+1))\n"
	                "echo $n > \"$0.count\"\n"
	                "if [ $n -eq 1 ]; then printf '{\"apiVersion\":\"client.authentication.k8s.io/"
	                "v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"stale-token\",'\n"
	                "printf '\"expirationTimestamp\":\"2999-01-01T00:00:00Z\"}}'; exit 0; fi\n"
	                "printf 'refresh of stale-token failed \\033[31mred\\033[0m \\302\\233x\\n' >&2\n"
	                "exit 4\n", 0700));
	snprintf(user, sizeof(user),
	         "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
	         "      command: ./leaky.sh\n      interactiveMode: Never\n");
	kc = kubeconfig("leaky.yaml", NULL, user);
	ck_assert_kft_ok(client_for(&c, kc, NULL));
	ck_assert_kft_error(kft_list_runtimes(&rts, c), KFT_EAUTH,
	                    "failed (exit status 4): refresh of [redacted] failed ?[31mred?[0m ?x");
	ck_assert_ptr_null(strstr(kft_error_last()->message, "stale-token"));
	ck_assert_ptr_null(strchr(kft_error_last()->message, '\033'));
	ck_assert_ptr_null(strstr(kft_error_last()->message, "\302\233"));
	kft_client_free(c);
	free(kc);
	/* kind and apiVersion quoted from the output: escapes gone */
	free(write_work("odd.sh", "#!/bin/sh\nprintf '{\"apiVersion\":\"v9\\\\u001b]0;t\\\\u0007\",'\n"
	                "printf '\"kind\":\"Exec\\\\u009bCredential\",\"status\":{\"token\":\"t\"}}'\n", 0700));
	snprintf(user, sizeof(user),
	         "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
	         "      command: ./odd.sh\n      interactiveMode: Never\n");
	kc = kubeconfig("odd.yaml", NULL, user);
	ck_assert_kft_ok(client_for(&c, kc, NULL));
	ck_assert_kft_error(kft_list_runtimes(&rts, c), KFT_EAUTH,
	                    "got kind Exec?Credential, apiVersion v9?]0;t?");
	kft_client_free(c);
	free(kc);
}
END_TEST

/* ---- transport faults ---- */

START_TEST(wrong_ca_and_unreachable)
{
	char *kc;
	kft_client_t *c;
	kft_runtime_list_t *rts = NULL;

	kc = kubeconfig("otherca.yaml", "other-ca.crt", "    token: test-token\n");
	ck_assert_kft_ok(client_for(&c, kc, NULL));
	ck_assert_kft_error(kft_list_runtimes(&rts, c), KFT_EUNAVAILABLE, "certificate");
	kft_client_free(c);
	free(kc);
	kc = write_work("down.yaml",
	                "clusters:\n- name: c\n  cluster: {server: \"https://127.0.0.1:1\"}\n"
	                "contexts:\n- name: t\n  context: {cluster: c, user: u}\n"
	                "current-context: t\nusers:\n- name: u\n  user: {token: x}\n", 0600);
	ck_assert_kft_ok(client_for(&c, kc, NULL));
	ck_assert_kft_error(kft_list_runtimes(&rts, c), KFT_EUNAVAILABLE,
	                    "cannot reach the API server https://127.0.0.1:1");
	kft_client_free(c);
	free(kc);
	/* tls-server-name is the name verified (and sent as SNI); the address stays */
	{
		const char *names[] = { "localhost", "wrong.example" };
		int i;

		for (i = 0; i < 2; i++) {
			kft__buf b = KFT__BUF_INIT;

			kft__buf_printf(&b, "clusters:\n- name: c\n  cluster: {server: \"https://127.0.0.1:%d\","
			                " certificate-authority: %s/ca.crt, tls-server-name: %s}\n"
			                "contexts:\n- name: t\n  context: {cluster: c, user: u}\n"
			                "current-context: t\nusers:\n- name: u\n  user: {token: test-token}\n",
			                port, dir, names[i]);
			kc = write_work("tsn.yaml", b.ptr, 0600);
			kft__buf_free(&b);
			if (i == 0) {
				check_works(kc);
			} else {
				ck_assert_kft_ok(client_for(&c, kc, NULL));
				ck_assert_kft_error(kft_list_runtimes(&rts, c), KFT_EUNAVAILABLE,
				                    "wrong.example");
				kft_client_free(c);
			}
			free(kc);
		}
	}
	/* insecure-skip-tls-verify accepts the unknown CA */
	{
		char user[300];
		kft__buf b = KFT__BUF_INIT;

		kft__buf_printf(&b, "clusters:\n- name: c\n  cluster: {server: \"https://127.0.0.1:%d\", "
		                "insecure-skip-tls-verify: true}\ncontexts:\n- name: t\n  context: "
		                "{cluster: c, user: u}\ncurrent-context: t\nusers:\n- name: u\n  user: "
		                "{token: test-token}\n", port);
		kc = write_work("insecure.yaml", b.ptr, 0600);
		check_works(kc);
		free(kc);
		kft__buf_free(&b);
		(void)user;
	}
}
END_TEST

START_TEST(status_errors)
{
	kft_client_t *c;
	kft_spec_t *s;
	kft_job_t *job = NULL;
	kft_train_opts_t to = KFT_TRAIN_OPTS_INIT;

	ck_assert_kft_ok(client_for(&c, NULL, NULL));
	/* 409 */
	train(c, "dup", 1, NULL, NULL);
	s = spec_for("dup", 1);
	ck_assert_kft_error(kft_train(&job, c, s, NULL), KFT_EEXISTS, "already exists");
	ck_assert_int_eq(kft_error_last()->http_status, 409);
	ck_assert_str_eq(kft_error_last()->reason, "AlreadyExists");
	kft_spec_free(s);
	/* 403 from the admission webhook / RBAC */
	faults("{\"forbidCreate\":true}");
	s = spec_for("forbidden", 1);
	ck_assert_kft_error(kft_train(&job, c, s, NULL), KFT_EAUTH, "forbidden");
	ck_assert_int_eq(kft_error_last()->http_status, 403);
	ck_assert_str_eq(kft_error_last()->reason, "Forbidden");
	faults("{\"forbidCreate\":false}");
	kft_spec_free(s);
	/* 422 with field causes (client-side validation off: the server's own checks) */
	s = spec_for("invalid", 1);
	ck_assert_kft_ok(kft_spec_set_json(s, "spec.trainer.numNodes", "-1"));
	to.flags = KFT_TRAIN_NO_VALIDATE;
	ck_assert_kft_error(kft_train(&job, c, s, &to), KFT_EINVALID, "spec.trainer.numNodes");
	ck_assert_int_eq(kft_error_last()->http_status, 422);
	ck_assert_str_eq(kft_error_last()->reason, "Invalid");
	kft_spec_free(s);
	/* the runtime must exist (webhook) */
	s = spec_for("nort", 1);
	ck_assert_kft_ok(kft_spec_set_runtime(s, "no-such-runtime", NULL));
	ck_assert_kft_error(kft_train(&job, c, s, &to), KFT_EAUTH, "must be created before");
	kft_spec_free(s);
	/* bad propagation policy is caught before sending */
	{
		kft_delete_opts_t d = KFT_DELETE_OPTS_INIT;

		d.propagation = "Sideways";
		ck_assert_kft_error(kft_delete_job(c, "dup", &d), KFT_EINVALID, "propagation");
		d.propagation = "Foreground";
		ck_assert_kft_ok(kft_delete_job(c, "dup", &d));
	}
	kft_client_free(c);
}
END_TEST

START_TEST(retries_and_garbage)
{
	kft_client_t *c;
	kft_job_t *job = NULL;
	kft_runtime_list_t *rts = NULL;
	int64_t t0;

	ck_assert_kft_ok(client_for(&c, NULL, NULL));
	train(c, "retry", 1, NULL, NULL);
	faults("{\"status5xx\":2}");
	ck_assert_kft_ok(kft_get_job(&job, c, "retry"));   /* GET is retried */
	kft_job_free(job);
	faults("{\"throttle\":1,\"retryAfter\":1}");
	t0 = kft__mono_ms();
	ck_assert_kft_ok(kft_list_runtimes(&rts, c));      /* 429: Retry-After honoured */
	kft_runtime_list_free(rts);
	ck_assert_int_ge(kft__mono_ms() - t0, 900);
	faults("{\"truncate\":1}");
	ck_assert_kft_ok(kft_get_job(&job, c, "retry"));   /* a cut-off body is retried */
	kft_job_free(job);
	faults("{\"garbage\":1}");
	ck_assert_kft_error(kft_get_job(&job, c, "retry"), KFT_ERROR, "not a JSON object");
	faults("{\"garbage\":1}");
	{
		kft_job_list_t *list = NULL;

		ck_assert_kft_error(kft_list_jobs(&list, c, NULL), KFT_ERROR, "not a JSON object");
		ck_assert_ptr_null(list);
	}
	faults("{\"garbage\":0,\"status5xx\":0,\"throttle\":0,\"truncate\":0}");
	kft_client_free(c);
}
END_TEST

START_TEST(server_dry_run_and_suspend)
{
	kft_client_t *c;
	kft_spec_t *s;
	kft_job_t *job = NULL;
	kft_train_opts_t to = KFT_TRAIN_OPTS_INIT;
	char *plan = NULL;

	ck_assert_kft_ok(client_for(&c, NULL, NULL));
	s = spec_for("dry", 1);
	to.flags = KFT_TRAIN_SERVER_DRY_RUN;
	ck_assert_kft_ok(kft_train(&job, c, s, &to));
	ck_assert_str_eq(kft_job_name(job), "dry");
	kft_job_free(job);
	ck_assert_kft_error(kft_get_job(&job, c, "dry"), KFT_ENOTFOUND, "not found");
	/* the plan is the exact request */
	ck_assert_kft_ok(kft_render_plan(&plan, c, s, as_format(KFT_FORMAT_TEXT)));
	ck_assert(kft__has_prefix(plan, "POST https://127.0.0.1:"));
	ck_assert_ptr_nonnull(strstr(plan, "/apis/trainer.kubeflow.org/v1alpha1/namespaces/default/"
	                                   "trainjobs?fieldValidation=Strict\n"));
	ck_assert_ptr_nonnull(strstr(plan, "\"namespace\":\"default\""));
	kft_free(plan);
	kft_spec_free(s);

	s = spec_for("susp", 1);
	ck_assert_kft_ok(kft_spec_set_suspend(s, 1));
	ck_assert_kft_ok(kft_train(&job, c, s, NULL));
	kft_job_free(job);
	kft_spec_free(s);
	{
		kft_wait_opts_t wo = KFT_WAIT_OPTS_INIT;

		wo.want = KFT_WANT(KFT_JOB_SUSPENDED);
		wo.timeout_ms = 10000;
		ck_assert_kft_ok(kft_wait(&job, c, "susp", &wo));
		ck_assert_str_eq(kft_job_status(job), "Suspended");
		kft_job_free(job);
		ck_assert_kft_ok(kft_suspend_job(c, "susp", 0));
		/* Suspended=False/Resumed must not freeze the status at Created (sdk#803) */
		wo.want = KFT_WANT(KFT_JOB_RUNNING) | KFT_WANT(KFT_JOB_COMPLETE);
		ck_assert_kft_ok(kft_wait(&job, c, "susp", &wo));
		kft_job_free(job);
	}
	kft_client_free(c);
}
END_TEST

START_TEST(resumed_condition_does_not_freeze)
{
	kft_client_t *c;
	kft_job_t *job = NULL;
	kft_wait_opts_t wo = KFT_WAIT_OPTS_INIT;

	ck_assert_kft_ok(client_for(&c, NULL, NULL));
	train(c, "resumed", 1, "fake.kftrainer.dev/duration-ms", "20000");
	wo.want = KFT_WANT(KFT_JOB_RUNNING);
	wo.timeout_ms = 10000;
	ck_assert_kft_ok(kft_wait(&job, c, "resumed", &wo));
	kft_job_free(job);
	ck_assert_int_eq(ctl("POST", "/_fake/trainjobs/default/resumed/status",
	                     "{\"conditions\":[{\"type\":\"Suspended\",\"status\":\"False\","
	                     "\"reason\":\"Resumed\",\"message\":\"TrainJob is resumed\"}]}", NULL), 200);
	ck_assert_kft_ok(kft_get_job(&job, c, "resumed"));
	ck_assert_str_eq(kft_job_status(job), "Running");
	kft_job_free(job);
	ck_assert_kft_ok(kft_delete_job(c, "resumed", NULL));
	kft_client_free(c);
}
END_TEST

START_TEST(wait_fails_fast_and_reasons)
{
	kft_client_t *c;
	kft_job_t *job = NULL;
	kft_wait_opts_t wo = KFT_WAIT_OPTS_INIT;
	size_t i;

	ck_assert_kft_ok(client_for(&c, NULL, NULL));
	train(c, "fails", 2, "fake.kftrainer.dev/fail-node", "1");
	wo.timeout_ms = 30000;
	ck_assert_kft_error(wait_keep_failed(&job, c, "fails", &wo), KFT_EJOBFAILED, "is Failed");
	ck_assert_ptr_nonnull(job);
	ck_assert_str_eq(kft_job_status(job), "Failed");
	ck_assert_ptr_nonnull(kft_job_reason(job));
	for (i = 0; i < kft_job_step_count(job); i++)
		if (!strcmp(kft_step_name(kft_job_step_at(job, i)), "node-1"))
			break;
	ck_assert_uint_lt(i, kft_job_step_count(job));
	ck_assert_str_eq(kft_step_status(kft_job_step_at(job, i)), "Failed");
	ck_assert_int_ne(kft_step_exit_code(kft_job_step_at(job, i)), 0);
	kft_job_free(job);
	job = NULL;
	train(c, "oom", 1, "fake.kftrainer.dev/oom-node", "0");
	ck_assert_kft_error(wait_keep_failed(&job, c, "oom", &wo), KFT_EJOBFAILED, "is Failed");
	ck_assert_str_eq(kft_step_reason(kft_job_step_at(job, 0)), "OOMKilled");
	ck_assert_int_eq(kft_step_exit_code(kft_job_step_at(job, 0)), 137);
	kft_job_free(job);
	kft_client_free(c);
}
END_TEST

static int stop_after_two(const kft_job_t *job, void *payload)
{
	return ++*(int *)payload >= 2 ? 42 : 0;
}

START_TEST(wait_callback_timeout_and_progress)
{
	kft_client_t *c;
	kft_job_t *job = NULL;
	kft_wait_opts_t wo = KFT_WAIT_OPTS_INIT;
	int calls = 0;
	int64_t t0;

	ck_assert_kft_ok(client_for(&c, NULL, NULL));
	train(c, "slow", 1, "fake.kftrainer.dev/duration-ms", "30000");
	/* the callback runs at least once a second, and its non-zero return comes back */
	wo.progress_cb = stop_after_two;
	wo.payload = &calls;
	t0 = kft__mono_ms();
	ck_assert_int_eq(kft_wait(&job, c, "slow", &wo), 42);
	ck_assert_int_le(kft__mono_ms() - t0, 2500);
	ck_assert_ptr_null(job);
	wo.progress_cb = NULL;
	wo.timeout_ms = 1200;
	t0 = kft__mono_ms();
	ck_assert_kft_error(kft_wait(&job, c, "slow", &wo), KFT_ETIMEOUT, "timed out");
	ck_assert_int_le(kft__mono_ms() - t0, 3000);
	ck_assert_kft_ok(kft_delete_job(c, "slow", NULL));
	ck_assert_kft_error(kft_wait(&job, c, "slow", &wo), KFT_ENOTFOUND, "not found");

	train(c, "progress", 1, "fake.kftrainer.dev/progress", "true");
	wo.timeout_ms = 30000;
	ck_assert_kft_ok(kft_wait(&job, c, "progress", &wo));
	ck_assert_int_ge(kft_job_progress_percent(job), 0);
	ck_assert_uint_ge(kft_job_metric_count(job), 1);
	kft_job_free(job);
	kft_client_free(c);
}
END_TEST

START_TEST(watch_dropped_and_gone)
{
	kft_client_t *c;
	kft_job_t *job = NULL;
	kft_wait_opts_t wo = KFT_WAIT_OPTS_INIT;

	ck_assert_kft_ok(client_for(&c, NULL, NULL));
	wo.timeout_ms = 30000;
	train(c, "drop", 1, "fake.kftrainer.dev/duration-ms", "1500");
	clear_requests();
	faults("{\"dropWatch\":2}");
	ck_assert_kft_ok(kft_wait(&job, c, "drop", &wo));
	ck_assert_str_eq(kft_job_status(job), "Complete");
	kft_job_free(job);
	/* two watches dropped: reconnected (4 watch requests at least), no polling */
	ck_assert_int_ge(count_requests("GET", NULL, "watch=1"), 4);
	ck_assert_int_ge(count_requests("GET", NULL, "allowWatchBookmarks=true"), 4);
	train(c, "gone", 1, "fake.kftrainer.dev/duration-ms", "1500");
	clear_requests();
	faults("{\"gone\":1}");
	ck_assert_kft_ok(kft_wait(&job, c, "gone", &wo));
	ck_assert_str_eq(kft_job_status(job), "Complete");
	kft_job_free(job);
	/* 410 Gone: relisted (the TrainJob read twice at least) */
	ck_assert_int_ge(count_requests("GET", "/trainjobs/gone", NULL), 2);
	faults("{\"dropWatch\":0,\"gone\":0}");
	kft_client_free(c);
}
END_TEST

/* ---- limits: no answer makes the client hold more than 64 MiB ---- */

static char *kubeconfig_cluster_line(const char *name, const char *line);

static void keep_diag(int level, const char *message, void *payload)
{
	(void)level;
	kft__buf_printf(payload, "%s\n", message);
}

/*
 * The fake server streams a TrainJob 1 GiB long (GET, gzip-compressed GET) or
 * 64 MiB + 1 (LIST item, watch line): each is refused with an error naming the
 * limit, and the client never holds much more than 64 MiB of it.
 */
START_TEST(oversize_answers_refused)
{
	kft_client_t *c, *gz;
	char *kc;
	kft_job_t *job = NULL;
	kft_job_list_t *list = NULL;
	kft_wait_opts_t wo = KFT_WAIT_OPTS_INIT;
	kft__buf diag = KFT__BUF_INIT;
	long before;

	ck_assert_kft_ok(client_for(&c, NULL, NULL));
	train(c, "big", 1, "fake.kftrainer.dev/duration-ms", "60000");
	before = test_rss_now_kib();
	faults("{\"oversize\":1,\"oversizeBytes\":1073741824}");
	ck_assert_kft_error(kft_get_job(&job, c, "big"), KFT_ERROR,
	                    "the API server https://127.0.0.1:");
	ck_assert_ptr_nonnull(strstr(kft_error_last()->message,
	                             "sent a response of more than 64 MiB"));
	ck_assert_ptr_null(job);
	/* gzip: 1 GiB of it is about 1 MiB on the wire; the limit counts what it expands to */
	kc = kubeconfig_cluster_line("oversize-gzip.yaml", "    disable-compression: false\n");
	ck_assert_kft_ok(client_for(&gz, kc, NULL));
	faults("{\"oversizeGzip\":1,\"oversizeBytes\":1073741824}");
	ck_assert_kft_error(kft_get_job(&job, gz, "big"), KFT_ERROR,
	                    "sent a response of more than 64 MiB");
	kft_client_free(gz);
	free(kc);
	/* 1 GiB would have come: the client stopped near the limit (ASan keeps freed memory a while) */
	ck_assert_msg(test_rss_max_kib() - before < 640 * 1024, "grew by %ld KiB",
	              test_rss_max_kib() - before);
	faults("{\"oversize\":1}");
	ck_assert_kft_error(kft_list_jobs(&list, c, NULL), KFT_ERROR, "item of more than 64 MiB");
	ck_assert_ptr_null(list);
	ck_assert_kft_ok(kft_delete_job(c, "big", NULL));
	/* a watch line: that watch fails with the limit named, the wait watches again */
	train(c, "bigw", 1, "fake.kftrainer.dev/duration-ms", "1500");
	faults("{\"oversizeWatch\":1}");
	wo.timeout_ms = 60000;
	kft_diag_set_handler(keep_diag, KFT_DIAG_DEBUG, &diag);
	ck_assert_kft_ok(kft_wait(&job, c, "bigw", &wo));
	kft_diag_set_handler(NULL, 0, NULL);
	ck_assert_str_eq(kft_job_status(job), "Complete");
	kft_job_free(job);
	ck_assert_msg(diag.ptr && strstr(diag.ptr, "watch failed: watch: the API server sent a line "
	                                 "of more than 64 MiB"), "diagnostics: %s", diag.ptr);
	kft__buf_free(&diag);
	ck_assert_msg(test_rss_max_kib() - before < 640 * 1024, "grew by %ld KiB",
	              test_rss_max_kib() - before);
	ck_assert_kft_ok(kft_delete_job(c, "bigw", NULL));
	kft_client_free(c);
}
END_TEST

START_TEST(runtime_deleted_job_still_readable)
{
	kft_client_t *c;
	kft_job_t *job = NULL;
	kft_runtime_t *rt = NULL;
	kft_runtime_list_t *rts = NULL;
	kft_spec_t *s;
	char *yaml = NULL, *body;
	const kft_runtime_t *r;
	size_t i;

	ck_assert_kft_ok(client_for(&c, NULL, NULL));
	/* a namespaced TrainingRuntime that shadows the cluster one of the same name */
	ck_assert_kft_ok(kft_get_runtime(&rt, c, "torch-distributed"));
	ck_assert_kft_ok(kft_runtime_render(&yaml, rt, as_format(KFT_FORMAT_JSON)));
	kft_runtime_free(rt);
	{
		cJSON *doc = cJSON_Parse(yaml);
		cJSON *meta = cJSON_GetObjectItem(doc, "metadata");

		cJSON_ReplaceItemInObject(doc, "kind", cJSON_CreateString("TrainingRuntime"));
		cJSON_DeleteItemFromObject(meta, "resourceVersion");
		cJSON_DeleteItemFromObject(meta, "uid");
		cJSON_DeleteItemFromObject(meta, "creationTimestamp");
		cJSON_ReplaceItemInObject(meta, "name", cJSON_CreateString("doomed"));
		body = cJSON_PrintUnformatted(doc);
		cJSON_Delete(doc);
	}
	kft_free(yaml);
	{
		char p[] = "/apis/trainer.kubeflow.org/v1alpha1/namespaces/default/trainingruntimes";
		CURL *h = curl_easy_init();
		char url[512], ca[300], auth[] = "Authorization: Bearer test-token";
		struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/json");
		long code = 0;

		hd = curl_slist_append(hd, auth);
		snprintf(url, sizeof(url), "https://127.0.0.1:%d%s", port, p);
		snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_CAINFO, ca);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
		{
			kft__buf b = KFT__BUF_INIT;

			curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
			ck_assert_int_eq(curl_easy_perform(h), CURLE_OK);
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
			ck_assert_msg(code == 201, "create TrainingRuntime: %ld %s", code, b.ptr);
			kft__buf_free(&b);
		}
		curl_easy_cleanup(h);
		curl_slist_free_all(hd);
	}
	cJSON_free(body);
	ck_assert_kft_ok(kft_list_runtimes(&rts, c));
	for (i = 0, r = NULL; i < kft_runtime_list_count(rts); i++)
		if (!strcmp(kft_runtime_name(kft_runtime_list_at(rts, i)), "doomed"))
			r = kft_runtime_list_at(rts, i);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(kft_runtime_kind(r), "TrainingRuntime");
	kft_runtime_list_free(rts);
	s = spec_for("orphan", 1);
	ck_assert_kft_ok(kft_spec_set_runtime(s, "doomed", "TrainingRuntime"));
	ck_assert_kft_ok(kft_train(&job, c, s, NULL));
	kft_job_free(job);
	kft_spec_free(s);
	{
		kft_wait_opts_t wo = KFT_WAIT_OPTS_INIT;

		wo.timeout_ms = 30000;
		ck_assert_kft_ok(kft_wait(&job, c, "orphan", &wo));
		kft_job_free(job);
	}
	ck_assert_int_eq(ctl("DELETE", "/apis/trainer.kubeflow.org/v1alpha1/namespaces/default/"
	                     "trainingruntimes/doomed", NULL, NULL) / 100, 4);   /* needs auth */
	/* delete the runtime with the library's own client session */
	{
		CURL *h = curl_easy_init();
		char url[512], ca[300];
		struct curl_slist *hd = curl_slist_append(NULL, "Authorization: Bearer test-token");
		long code = 0;
		kft__buf b = KFT__BUF_INIT;

		snprintf(url, sizeof(url), "https://127.0.0.1:%d/apis/trainer.kubeflow.org/v1alpha1/"
		         "namespaces/default/trainingruntimes/doomed", port);
		snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_CAINFO, ca);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
		ck_assert_int_eq(curl_easy_perform(h), CURLE_OK);
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
		ck_assert_int_eq(code, 200);
		curl_easy_cleanup(h);
		curl_slist_free_all(hd);
		kft__buf_free(&b);
	}
	ck_assert_kft_error(kft_get_runtime(&rt, c, "doomed"), KFT_ENOTFOUND, "not found");
	ck_assert_kft_ok(kft_get_job(&job, c, "orphan"));   /* no live runtime lookup */
	ck_assert_str_eq(kft_job_status(job), "Complete");
	ck_assert_str_eq(kft_job_runtime(job), "doomed");
	kft_job_free(job);
	kft_client_free(c);
}
END_TEST

/* Submit once: kft_train reads the runtime with ONE GET (of the kind the spec names)
 * and POSTs once; kft_render_plan reads it once too. */
START_TEST(submit_reads_runtime_once)
{
	kft_client_t *c;
	kft_job_t *job = NULL;
	kft_spec_t *s;
	kft_script_opts_t so = KFT_SCRIPT_OPTS_INIT;
	char *plan = NULL;

	ck_assert_kft_ok(client_for(&c, NULL, NULL));
	/* a script trainer: expanding it needs the runtime */
	s = spec_for("once", 2);
	so.script = "print('hi')";
	ck_assert_kft_ok(kft_spec_set_script(s, &so));
	clear_requests();
	ck_assert_kft_ok(kft_train(&job, c, s, NULL));
	ck_assert_int_eq(count_requests("GET", "runtimes/", NULL), 1);
	ck_assert_int_eq(count_requests("GET", "/clustertrainingruntimes/torch-distributed", NULL), 1);
	ck_assert_int_eq(count_requests("POST", "/trainjobs", NULL), 1);
	kft_job_free(job);

	clear_requests();
	ck_assert_kft_ok(kft_spec_set_name(s, "once-plan"));
	ck_assert_kft_ok(kft_render_plan(&plan, c, s, as_format(KFT_FORMAT_JSON)));
	ck_assert_ptr_nonnull(strstr(plan, "print('hi')"));
	ck_assert_int_eq(count_requests("GET", "runtimes/", NULL), 1);
	ck_assert_int_eq(count_requests("POST", NULL, NULL), 0);
	kft_free(plan);

	/* a runtime the cluster does not have: one GET, then the server decides */
	clear_requests();
	ck_assert_kft_ok(kft_spec_set_name(s, "once-missing"));
	ck_assert_kft_ok(kft_spec_set_runtime(s, "no-such-runtime", NULL));
	ck_assert_int_lt(kft_train(&job, c, s, NULL), 0);
	ck_assert_ptr_null(job);
	ck_assert_int_eq(count_requests("GET", "runtimes/", NULL), 1);
	kft_spec_free(s);
	kft_client_free(c);
}
END_TEST

START_TEST(one_connection_for_100_gets)
{
	kft_client_t *c;
	kft_job_t *job = NULL;
	int64_t h0, h1, r0, r1;
	int i;

	ck_assert_kft_ok(client_for(&c, NULL, NULL));
	train(c, "reuse", 1, NULL, NULL);
	kft_client_free(c);
	ck_assert_kft_ok(client_for(&c, NULL, NULL));
	h0 = stat_of("tlsHandshakesTotal");
	r0 = stat_of("requests");
	for (i = 0; i < 100; i++) {
		ck_assert_kft_ok(kft_get_job(&job, c, "reuse"));
		kft_job_free(job);
	}
	h1 = stat_of("tlsHandshakesTotal");
	r1 = stat_of("requests");
	/* each stat_of call is one handshake of its own (4 in all, 2 between the readings) */
	ck_assert_msg(h1 - h0 - 2 == 1, "kft used %lld TLS handshakes for 100 gets",
	              (long long)(h1 - h0 - 2));
	ck_assert_int_ge(r1 - r0, 200);
	kft_client_free(c);
}
END_TEST

/*
 * Compression: none to a loopback server unless the kubeconfig's
 * disable-compression says otherwise; a gzipped LIST reads the same as a plain one.
 */
static int list_accepted_gzip(kft_client_t *c, size_t *njobs)
{
	kft_job_list_t *l = NULL;
	char *body = NULL;
	cJSON *doc, *it;
	int gz = -1;

	clear_requests();
	ck_assert_kft_ok(kft_list_jobs(&l, c, NULL));
	*njobs = kft_job_list_count(l);
	kft_job_list_free(l);
	ck_assert_int_eq(ctl("GET", "/_fake/requests", NULL, &body), 200);
	ck_assert_ptr_nonnull(doc = cJSON_Parse(body));
	cJSON_ArrayForEach(it, doc) {
		const char *p = kft__json_str(it, "path");
		const char *ae = kft__json_str(kft__json_get(it, "headers"), "Accept-Encoding");

		if (p && strstr(p, "/trainjobs"))
			gz = ae && strstr(ae, "gzip");
	}
	cJSON_Delete(doc);
	free(body);
	return gz;
}

/* The token kubeconfig with one more line in its cluster entry. */
static char *kubeconfig_cluster_line(const char *name, const char *line)
{
	char *kc = kubeconfig(name, NULL, "    token: test-token\n"), *text = NULL, *at;
	kft__buf b = KFT__BUF_INIT;
	size_t len;

	ck_assert_int_eq(kft__read_file(&text, &len, kc), 0);
	ck_assert_ptr_nonnull(at = strstr(text, "    certificate-authority:"));
	kft__buf_put(&b, text, (size_t)(at - text));
	kft__buf_puts(&b, line);
	kft__buf_puts(&b, at);
	free(kc);
	kc = write_work(name, b.ptr, 0600);
	kft__buf_free(&b);
	free(text);
	return kc;
}

START_TEST(list_compression)
{
	kft_client_t *c;
	char *kc;
	size_t plain, zipped, off;

	ck_assert_int_eq(ctl("POST", "/_fake/bulk",
	                     "{\"namespace\":\"default\",\"count\":400,\"prefix\":\"gz\"}", NULL),
	                 200);
	ck_assert_kft_ok(client_for(&c, NULL, NULL));
	ck_assert_int_eq(list_accepted_gzip(c, &plain), 0);
	kft_client_free(c);
	kc = kubeconfig_cluster_line("gzip.yaml", "    disable-compression: false\n");
	ck_assert_kft_ok(client_for(&c, kc, NULL));
	ck_assert_int_eq(list_accepted_gzip(c, &zipped), 1);
	kft_client_free(c);
	ck_assert_uint_ge(plain, 400);
	ck_assert_uint_eq(plain, zipped);
	free(kc);
	kc = kubeconfig_cluster_line("nogzip.yaml", "    disable-compression: true\n");
	ck_assert_kft_ok(client_for(&c, kc, NULL));
	ck_assert_int_eq(list_accepted_gzip(c, &off), 0);
	ck_assert_uint_eq(off, plain);
	kft_client_free(c);
	free(kc);
}
END_TEST

/*
 * LIST items are read by a text walker, GET documents through cJSON: the two
 * must give the same job for escapes (the server writes \\uXXXX and surrogate
 * pairs), numbers as strings, many conditions, progress metrics and pods.
 */
START_TEST(list_matches_get)
{
	kft_client_t *c;
	kft_job_list_t *l = NULL;
	size_t i, checked = 0;
	const char *tricky =
		"{\"conditions\":["
		"{\"type\":\"Created\",\"status\":\"True\",\"reason\":\"r\\u00e9\"},"
		"{\"type\":\"Failed\",\"status\":\"True\",\"reason\":\"Quote\\\"Back\\\\slash\\/\","
		"\"message\":\"tab\\tnl\\n \\u00fcn\\u00efc\\u00f8d\\u00e9 \\ud83d\\ude00 \\u2713\","
		"\"lastTransitionTime\":\"2026-11-29T08:00:00.25+01:00\",\"extra\":{\"a\":[1,{\"b\":null}]}}],"
		"\"trainerStatus\":{\"progressPercentage\":37,\"estimatedRemainingSeconds\":\"90\","
		"\"metrics\":[{\"name\":\"loss\",\"value\":\"0.25\"},{\"name\":\"acc\",\"value\":0.5}]}}";
	char many[4096];
	int n = 0;

	ck_assert_kft_ok(client_for(&c, NULL, NULL));
	ck_assert_int_eq(ctl("POST", "/_fake/bulk",
	                     "{\"namespace\":\"default\",\"count\":3,\"prefix\":\"lmg\"}", NULL),
	                 200);
	ck_assert_int_eq(ctl("POST", "/_fake/trainjobs/default/lmg-0/status", tricky, NULL), 200);
	/* 20 conditions: only the first 16 are read, by both paths */
	n = snprintf(many, sizeof(many), "{\"conditions\":[");
	for (i = 0; i < 20; i++)
		n += snprintf(many + n, sizeof(many) - (size_t)n,
		              "%s{\"type\":\"T%zu\",\"status\":\"True\",\"message\":\"m%zu\"}",
		              i ? "," : "", i, i);
	snprintf(many + n, sizeof(many) - (size_t)n,
	         ",{\"type\":\"Complete\",\"status\":\"True\"}]}");
	ck_assert_int_eq(ctl("POST", "/_fake/trainjobs/default/lmg-1/status", many, NULL), 200);
	train(c, "lmg-pods", 2, NULL, NULL);
	for (i = 0; i < 200; i++) {   /* the simulated controller makes the pods shortly */
		kft_job_t *j = NULL;
		size_t steps;

		ck_assert_kft_ok(kft_get_job(&j, c, "lmg-pods"));
		steps = kft_job_step_count(j);
		kft_job_free(j);
		if (steps == 2)
			break;
		usleep(50000);
	}
	ck_assert_kft_ok(kft_list_jobs(&l, c, NULL));
	for (i = 0; i < kft_job_list_count(l); i++) {
		const kft_job_t *lj = kft_job_list_at(l, i);
		kft_job_t *gj = NULL;
		char *a, *b;

		if (strncmp(kft_job_name(lj), "lmg", 3))
			continue;
		ck_assert_kft_ok(kft_get_job(&gj, c, kft_job_name(lj)));
		ck_assert_kft_ok(kft_job_render(&a, lj, as_format(KFT_FORMAT_JSON)));
		ck_assert_kft_ok(kft_job_render(&b, gj, as_format(KFT_FORMAT_JSON)));
		if (strcmp(kft_job_name(lj), "lmg-pods"))   /* pods move on between the two reads */
			ck_assert_str_eq(a, b);
		else
			ck_assert_uint_eq(kft_job_step_count(lj), 2);
		if (!strcmp(kft_job_name(lj), "lmg-0")) {
			ck_assert_int_eq(kft_job_state(lj), KFT_JOB_FAILED);
			ck_assert_str_eq(kft_job_reason(lj), "Quote\"Back\\slash/");
			ck_assert_str_eq(kft_job_message(lj), "tab\tnl\n \xc3\xbcn\xc3\xaf" "c\xc3\xb8" "d\xc3\xa9 "
			                 "\xf0\x9f\x98\x80 \xe2\x9c\x93");
			ck_assert_int_eq(kft_job_progress_percent(lj), 37);
			ck_assert_int_eq(kft_job_eta_seconds(lj), 90);
			ck_assert_uint_eq(kft_job_metric_count(lj), 2);
			ck_assert_str_eq(kft_metric_value(kft_job_metric_at(lj, 1)), "0.5");
			ck_assert_ptr_nonnull(strstr(a, "\"completionTime\": \"2026-11-29T07:00:00Z\""));
		}
		if (!strcmp(kft_job_name(lj), "lmg-1"))
			ck_assert_int_eq(kft_job_state(lj), KFT_JOB_CREATED);   /* Complete is 21st */
		kft_free(a);
		kft_free(b);
		kft_job_free(gj);
		checked++;
	}
	ck_assert_uint_eq(checked, 4);
	kft_job_list_free(l);
	kft_client_free(c);
}
END_TEST

/*
 * LIST in pages (limit/continue): the same jobs as one response; a continue
 * token that expired (410) restarts as one full LIST, as client-go does.
 */
static char *list_json(kft_client_t *c)
{
	kft_job_list_t *l = NULL;
	char *out = NULL;

	ck_assert_kft_ok(kft_list_jobs(&l, c, NULL));
	ck_assert_kft_ok(kft_job_list_render(&out, l, as_format(KFT_FORMAT_JSON)));
	kft_job_list_free(l);
	return out;
}

START_TEST(list_in_pages)
{
	kft_client_opts_t o = KFT_CLIENT_OPTS_INIT;
	kft_client_t *c;
	char def[300], *whole, *paged;

	/* a namespace of its own: 23 jobs, no pods (the pods LIST is paged the same way) */
	ck_assert_int_eq(ctl("POST", "/_fake/bulk",
	                     "{\"namespace\":\"pages\",\"count\":23,\"prefix\":\"pg\"}", NULL),
	                 200);
	snprintf(def, sizeof(def), "%s/kubeconfig", dir);
	o.backend = "kubernetes";
	o.kubeconfig = def;
	o.ns = "pages";
	ck_assert_kft_ok(kft_client_new(&c, &o));
	setenv("KFT_K8S_LIST_LIMIT", "0", 1);
	clear_requests();
	whole = list_json(c);
	ck_assert_int_eq(count_requests("GET", "/trainjobs", "limit="), 0);
	ck_assert_ptr_nonnull(strstr(whole, "pg-22"));
	setenv("KFT_K8S_LIST_LIMIT", "7", 1);
	clear_requests();
	paged = list_json(c);
	ck_assert_str_eq(paged, whole);
	/* 23 jobs in pages of 7: 4 requests, the last 3 with the previous page's token */
	ck_assert_int_eq(count_requests("GET", "/trainjobs", "limit=7"), 4);
	ck_assert_int_eq(count_requests("GET", "/trainjobs", "continue="), 3);
	kft_free(paged);
	/* the second page's token has expired: one full LIST instead, the same jobs */
	ck_assert_int_eq(ctl("POST", "/_fake/faults", "{\"expireContinue\":1}", NULL), 200);
	clear_requests();
	paged = list_json(c);
	ck_assert_str_eq(paged, whole);
	ck_assert_int_eq(count_requests("GET", "/trainjobs", "continue="), 1);
	ck_assert_int_eq(count_requests("GET", "/trainjobs", NULL), 3);   /* page 1, 410, full */
	unsetenv("KFT_K8S_LIST_LIMIT");
	kft_free(paged);
	kft_free(whole);
	kft_client_free(c);
}
END_TEST

START_TEST(in_cluster_service_account)
{
	kft_client_t *c;
	kft_client_opts_t o = KFT_CLIENT_OPTS_INIT;
	kft_runtime_list_t *rts = NULL;
	kft_job_t *job = NULL;
	char *ca = NULL, p[300], portstr[16], *sa;
	size_t len;

	/* a pod's view: no kubeconfig, the service account files, the service env */
	snprintf(p, sizeof(p), "%s/ca.crt", dir);
	ck_assert_int_eq(kft__read_file(&ca, &len, p), 0);
	sa = wpath("sa");
	ck_assert_int_eq(kft__mkdir_p(sa, 0700), 0);
	free(sa);
	free(write_work("sa/ca.crt", ca, 0600));
	free(write_work("sa/token", "test-token\n", 0600));
	free(write_work("sa/namespace", "default\n", 0600));
	free(ca);
	sa = wpath("sa");
	setenv("KFT_K8S_SA_DIR", sa, 1);
	free(sa);
	sa = wpath("home");
	ck_assert_int_eq(kft__mkdir_p(sa, 0700), 0);
	setenv("HOME", sa, 1);
	free(sa);
	unsetenv("KUBECONFIG");
	snprintf(portstr, sizeof(portstr), "%d", port);
	setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", portstr, 1);
	o.backend = "kubernetes";
	ck_assert_kft_ok(kft_client_new(&c, &o));
	ck_assert_kft_ok(kft_list_runtimes(&rts, c));
	kft_runtime_list_free(rts);
	train(c, "incluster", 1, NULL, NULL);
	/* token rotation: the kubelet rewrites the file; the new token is picked up */
	free(write_work("sa/token", "second-token\n", 0600));
	ck_assert_kft_ok(kft_get_job(&job, c, "incluster"));
	kft_job_free(job);
	free(write_work("sa/token", "revoked\n", 0600));
	ck_assert_kft_error(kft_get_job(&job, c, "incluster"), KFT_EAUTH, "Unauthorized");
	kft_client_free(c);
}
END_TEST

START_TEST(basic_auth_and_proxy_url)
{
	char *kc, user[512], *pdir, *portf, *text = NULL, *log = NULL, *proxy;
	const char *top = getenv("KFT_TOP");
	kft_client_t *c;
	kft_runtime_list_t *rts = NULL;
	kft__proc_opts po;
	pid_t pid;
	size_t len;
	int i, pport = 0;
	char *argv[] = { "python3", NULL, "--dir", NULL, NULL };

	ck_assert_int_eq(ctl("POST", "/_fake/tokens", "{\"basic\":\"alice:s3cret\"}", NULL), 200);
	kc = kubeconfig("basic.yaml", NULL, "    username: alice\n    password: s3cret\n");
	check_works(kc);
	free(kc);
	kc = kubeconfig("basicbad.yaml", NULL, "    username: alice\n    password: guessed-pw\n");
	ck_assert_kft_ok(client_for(&c, kc, NULL));
	ck_assert_kft_error(kft_list_runtimes(&rts, c), KFT_EAUTH, "Unauthorized");
	ck_assert_ptr_null(strstr(kft_error_last()->message, "guessed-pw"));
	kft_client_free(c);
	free(kc);

	/* proxy-url: the requests tunnel through the proxy (CONNECT) */
	proxy = kft__path_join(top ? top : ".", "tests/fake_apiserver/proxy.py");
	if (access(proxy, R_OK) != 0) {
		free(proxy);
		return;   /* an older fake server tree: nothing to test */
	}
	pdir = wpath("proxy");
	ck_assert_int_eq(kft__mkdir_p(pdir, 0700), 0);
	argv[1] = proxy;
	argv[3] = pdir;
	memset(&po, 0, sizeof(po));
	po.file = "python3";
	po.argv = argv;
	po.stdin_fd = po.stdout_fd = po.stderr_fd = -1;
	ck_assert_kft_ok(kft__proc_spawn(&pid, &po));
	portf = kft__path_join(pdir, "proxy-port");
	for (i = 0; i < 200 && !pport; i++) {
		if (kft__read_file(&text, &len, portf) == 0 && len > 0)
			pport = atoi(text);
		free(text);
		text = NULL;
		if (!pport)
			usleep(50000);
	}
	kft_error_clear();
	ck_assert_int_gt(pport, 0);
	snprintf(user, sizeof(user), "    token: test-token\n");
	{
		kft__buf b = KFT__BUF_INIT;

		kft__buf_printf(&b, "apiVersion: v1\nkind: Config\ncurrent-context: t\n"
		                "clusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:%d\n"
		                "    certificate-authority: %s/ca.crt\n"
		                "    proxy-url: http://127.0.0.1:%d\n"
		                "contexts:\n- name: t\n  context: {cluster: c, user: u}\n"
		                "users:\n- name: u\n  user:\n%s", port, dir, pport, user);
		kc = write_work("proxied.yaml", b.ptr, 0600);
		kft__buf_free(&b);
	}
	check_works(kc);
	free(kc);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	{
		char *lp = kft__path_join(pdir, "proxy-log.jsonl");

		ck_assert_int_eq(kft__read_file(&log, &len, lp), 0);
		free(lp);
	}
	ck_assert_ptr_nonnull(strstr(log, "CONNECT"));
	ck_assert_ptr_nonnull(strstr(log, "127.0.0.1:"));
	free(log);
	free(portf);
	free(pdir);
	free(proxy);
}
END_TEST

START_TEST(request_timeout)
{
	kft_client_t *c;
	kft_client_opts_t o = KFT_CLIENT_OPTS_INIT;
	kft_runtime_list_t *rts = NULL;
	char def[300];
	int64_t t0;

	snprintf(def, sizeof(def), "%s/kubeconfig", dir);
	o.backend = "kubernetes";
	o.kubeconfig = def;
	o.timeout_ms = 700;
	ck_assert_kft_ok(kft_client_new(&c, &o));
	faults("{\"slowMs\":3000}");
	t0 = kft__mono_ms();
	ck_assert_kft_error(kft_list_runtimes(&rts, c), KFT_ETIMEOUT, "timed out");
	ck_assert_int_lt(kft__mono_ms() - t0, 2500);
	faults("{\"slowMs\":0}");
	kft_client_free(c);
}
END_TEST

static kft__buf diag_log;

static void capture(int level, const char *message, void *payload)
{
	kft__buf_puts(&diag_log, message);
	kft__buf_putc(&diag_log, '\n');
}

START_TEST(no_secrets_in_debug_output)
{
	kft_client_t *c;
	kft_runtime_list_t *rts = NULL;
	kft_job_t *job = NULL;
	char *kc, user[512];

	kft_diag_set_handler(capture, KFT_DIAG_DEBUG, NULL);
	ck_assert_kft_ok(client_for(&c, NULL, NULL));
	train(c, "secret", 1, NULL, NULL);
	ck_assert_kft_ok(kft_get_job(&job, c, "secret"));
	kft_job_free(job);
	kft_client_free(c);
	free(write_work("sec.sh", "#!/bin/sh\nprintf '{\"apiVersion\":\"client.authentication.k8s.io/"
	                "v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"second-token\"}}'\n",
	                0700));
	snprintf(user, sizeof(user), "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
	         "      command: ./sec.sh\n      interactiveMode: Never\n");
	kc = kubeconfig("sec.yaml", NULL, user);
	ck_assert_kft_ok(client_for(&c, kc, NULL));
	ck_assert_kft_ok(kft_list_runtimes(&rts, c));
	kft_runtime_list_free(rts);
	kft_client_free(c);
	free(kc);
	kft_diag_set_handler(NULL, 0, NULL);
	ck_assert_ptr_nonnull(diag_log.ptr);
	ck_assert_ptr_nonnull(strstr(diag_log.ptr, "GET https://127.0.0.1:"));   /* it did log */
	ck_assert_ptr_null(strstr(diag_log.ptr, "test-token"));
	ck_assert_ptr_null(strstr(diag_log.ptr, "second-token"));
	ck_assert_ptr_null(strstr(diag_log.ptr, "Bearer"));
	ck_assert_ptr_null(strstr(diag_log.ptr, "PRIVATE KEY"));
	kft__buf_free(&diag_log);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("kubernetes");
	TCase *tc = tcase_create("fake-apiserver");

	tcase_add_unchecked_fixture(tc, srv_start, srv_stop);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, session_token);
	tcase_add_test(tc, follow_waits_for_pods);
	tcase_add_test(tc, quiet_follow_is_cancellable);
	tcase_add_test(tc, auth_methods);
	tcase_add_test(tc, exec_plugin_refresh_and_expiry);
	tcase_add_test(tc, server_expires_token_exec_refreshes);
	tcase_add_test(tc, exec_plugin_missing_or_failing);
	tcase_add_test(tc, wrong_ca_and_unreachable);
	tcase_add_test(tc, status_errors);
	tcase_add_test(tc, retries_and_garbage);
	tcase_add_test(tc, server_dry_run_and_suspend);
	tcase_add_test(tc, resumed_condition_does_not_freeze);
	tcase_add_test(tc, wait_fails_fast_and_reasons);
	tcase_add_test(tc, wait_callback_timeout_and_progress);
	tcase_add_test(tc, watch_dropped_and_gone);
	tcase_add_test(tc, oversize_answers_refused);
	tcase_add_test(tc, runtime_deleted_job_still_readable);
	tcase_add_test(tc, one_connection_for_100_gets);
	tcase_add_test(tc, list_compression);
	tcase_add_test(tc, list_matches_get);
	tcase_add_test(tc, list_in_pages);
	tcase_add_test(tc, submit_reads_runtime_once);
	tcase_add_test(tc, no_secrets_in_debug_output);
	tcase_add_test(tc, in_cluster_service_account);
	tcase_add_test(tc, basic_auth_and_proxy_url);
	tcase_add_test(tc, request_timeout);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	const char *top = getenv("KFT_TOP");
	char *srv = kft__path_join(top ? top : ".", "tests/fake_apiserver/server.py");
	char *py = kft__which("python3"), *ossl = kft__which("openssl");
	SRunner *sr;
	int nf;

	if (!py || !ossl || access(srv, R_OK) != 0) {
		printf("skip: needs python3, openssl and %s\n", srv);
		free(srv);
		free(py);
		free(ossl);
		return 77;
	}
	free(srv);
	free(py);
	free(ossl);
	setenv("KUBEFLOW_SYSTEM_NAMESPACE", "kubeflow-system", 1);
	sr = srunner_create(make_suite());
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
