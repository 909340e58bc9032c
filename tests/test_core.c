/* Core: errors, utilities, catalog, spawn, client and backend registry. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[256];

static void setup_tmp(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kft-core-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown_tmp(void)
{
	kft__remove_tree(tmpdir);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(errors_basics)
{
	int c;

	for (c = 0; c >= -12; c--)
		ck_assert_ptr_nonnull(kft_strerror(c));
	ck_assert_str_eq(kft_strerror(-999), "unknown error code");
	kft_error_clear();
	ck_assert_ptr_nonnull(kft_error_last());
	ck_assert_str_eq(kft_error_last()->message, "");
	ck_assert_int_eq(kft__error_set_http(KFT_EEXISTS, KFT_ERROR_CLASS_K8S, 409, "AlreadyExists",
	                                     "x exists"),
	                 KFT_EEXISTS);
	ck_assert_int_eq(kft_error_last()->klass, KFT_ERROR_CLASS_K8S);
	ck_assert_int_eq(kft_error_last()->http_status, 409);
	ck_assert_str_eq(kft_error_last()->reason, "AlreadyExists");
	ck_assert_str_eq(kft_error_last()->message, "x exists");
	kft__error_prefix("ctx %d", 7);
	ck_assert_str_eq(kft_error_last()->message, "ctx 7: x exists");
	ck_assert_int_eq(kft_version(), KFT_VERSION_NUM);
	ck_assert_str_eq(kft_version_string(), KFT_VERSION_STRING);
}
END_TEST

START_TEST(utils)
{
	kft__buf b = KFT__BUF_INIT;
	kft__strv env = KFT__STRV_INIT;
	unsigned char *dec;
	size_t dlen;
	char *enc;
	int64_t v;

	kft__buf_printf(&b, "%s-%d", "a", 1);
	kft__buf_put_shquoted(&b, "it's $x");
	ck_assert_str_eq(b.ptr, "a-1'it'\\''s $x'");
	kft__buf_free(&b);
	ck_assert_int_eq(kft__env_set(&env, "A", "1"), 0);
	ck_assert_int_eq(kft__env_set(&env, "B", "2"), 0);
	ck_assert_int_eq(kft__env_set(&env, "A", "3"), 0);
	ck_assert_str_eq(kft__env_get(&env, "A"), "3");
	ck_assert_uint_eq(env.n, 2);
	kft__env_set(&env, "A", NULL);
	ck_assert_ptr_null(kft__env_get(&env, "A"));
	ck_assert_ptr_null(env.v[env.n]);
	kft__strv_free(&env);
	enc = kft__base64_encode((const unsigned char *)"hello\0x", 7);
	ck_assert_str_eq(enc, "aGVsbG8AeA==");
	ck_assert_int_eq(kft__base64_decode(&dec, &dlen, enc, strlen(enc)), 0);
	ck_assert_uint_eq(dlen, 7);
	ck_assert_int_eq(memcmp(dec, "hello\0x", 7), 0);
	free(dec);
	free(enc);
	ck_assert_int_eq(kft__is_dns1035("abc-1"), 1);
	ck_assert_int_eq(kft__is_dns1035("1abc"), 0);
	ck_assert_int_eq(kft__is_dns1035("abc-"), 0);
	ck_assert_int_eq(kft__is_dns1035("aBc"), 0);
	ck_assert_int_eq(kft__parse_i64(&v, "42"), 0);
	ck_assert_int_eq(v, 42);
	ck_assert_int_ne(kft__parse_i64(&v, "4x"), 0);
}
END_TEST

START_TEST(opts_versions)
{
	kft_client_opts_t co;
	kft_wait_opts_t wo;
	kft_client_t *c = NULL;
	kft_client_opts_t bad = KFT_CLIENT_OPTS_INIT;

	ck_assert_kft_error(kft_client_opts_init(&co, 99), KFT_EVERSION, "version 99");
	ck_assert_kft_ok(kft_wait_opts_init(&wo, KFT_WAIT_OPTS_VERSION));
	ck_assert_int_eq(wo.timeout_ms, 0);
	bad.version = 77;
	ck_assert_kft_error(kft_client_new(&c, &bad), KFT_EVERSION, "kft_client_opts_t");
	ck_assert_ptr_null(c);
}
END_TEST

START_TEST(catalog_builtin_and_user)
{
	kft_runtime_list_t *l;
	kft_runtime_t *rt;
	char path[512];

	ck_assert_kft_ok(kft__catalog_list(&l, tmpdir));
	ck_assert_uint_eq(kft_runtime_list_count(l), 9);
	kft_runtime_list_free(l);
	ck_assert_kft_ok(kft__catalog_get(&rt, tmpdir, "deepspeed-distributed"));
	ck_assert_str_eq(kft_runtime_policy(rt), "mpi");
	ck_assert_str_eq(kft_runtime_framework(rt), "deepspeed");
	ck_assert_ptr_nonnull(kft__runtime_rjob(rt, "launcher"));
	ck_assert_str_eq(kft__json_str(kft__runtime_trainer_rjob(rt), "name"), "launcher");
	kft_runtime_free(rt);
	ck_assert_kft_ok(kft__catalog_get(&rt, tmpdir, "torchtune-qwen2.5-1.5b"));
	ck_assert_str_eq(kft_runtime_trainer_type(rt), "BuiltinTrainer");
	kft_runtime_free(rt);

	/* a user file overrides a builtin by name and adds a new runtime */
	snprintf(path, sizeof(path), "%s/mine.yaml", tmpdir);
	write_file(path,
		"apiVersion: trainer.kubeflow.org/v1alpha1\nkind: ClusterTrainingRuntime\n"
		"metadata: {name: torch-distributed, labels: {trainer.kubeflow.org/framework: torch}}\n"
		"spec: {mlPolicy: {numNodes: 2, torch: {}}, template: {spec: {replicatedJobs: [\n"
		"  {name: node, template: {spec: {template: {spec: {containers: [{name: node, image: my/torch:1}]}}}}}]}}}\n"
		"---\n"
		"apiVersion: trainer.kubeflow.org/v1alpha1\nkind: TrainingRuntime\n"
		"metadata: {name: plain-python}\n"
		"spec: {template: {spec: {replicatedJobs: [\n"
		"  {name: node, template: {spec: {template: {spec: {containers: [{name: node, image: python:3}]}}}}}]}}}\n");
	ck_assert_kft_ok(kft__catalog_list(&l, tmpdir));
	ck_assert_uint_eq(kft_runtime_list_count(l), 10);
	kft_runtime_list_free(l);
	ck_assert_kft_ok(kft__catalog_get(&rt, tmpdir, "torch-distributed"));
	ck_assert_str_eq(kft_runtime_image(rt), "my/torch:1");
	ck_assert_int_eq(kft_runtime_num_nodes(rt), 2);
	ck_assert_str_eq(kft_runtime_source(rt), "file");
	kft_runtime_free(rt);
	ck_assert_kft_ok(kft__catalog_get(&rt, tmpdir, "plain-python"));
	ck_assert_str_eq(kft_runtime_policy(rt), "plain");
	ck_assert_str_eq(kft_runtime_kind(rt), "TrainingRuntime");
	kft_runtime_free(rt);
	ck_assert_kft_error(kft__catalog_get(&rt, tmpdir, "nope"), KFT_ENOTFOUND,
	                    "runtime \"nope\" not found (available: torch-distributed");

	/* a malformed file is reported with its name */
	snprintf(path, sizeof(path), "%s/zz-bad.yaml", tmpdir);
	write_file(path, "kind: ClusterTrainingRuntime\nmetadata: {name: x}\nspec: [\n");
	ck_assert_kft_error(kft__catalog_list(&l, tmpdir), KFT_EINVALID, "zz-bad.yaml");
	unlink(path);
	write_file(path, "kind: ClusterTrainingRuntime\nmetadata: {name: x}\nspec: {}\n");
	ck_assert_kft_error(kft__catalog_list(&l, tmpdir), KFT_EINVALID,
	                    "spec.template.spec.replicatedJobs is required");
}
END_TEST

START_TEST(spawn)
{
	char *argv_ok[] = { "sh", "-c", "exit 3", NULL };
	char *argv_missing[] = { "kft-no-such-program", NULL };
	kft__proc_opts o;
	pid_t pid;
	int st;

	memset(&o, 0, sizeof(o));
	o.stdin_fd = o.stdout_fd = o.stderr_fd = -1;
	o.file = "sh";
	o.argv = argv_ok;
	ck_assert_kft_ok(kft__proc_spawn(&pid, &o));
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 3);
	o.file = "kft-no-such-program";
	o.argv = argv_missing;
	ck_assert_kft_error(kft__proc_spawn(&pid, &o), KFT_ENOTFOUND, "exec kft-no-such-program");
	o.file = "sh";
	o.argv = argv_ok;
	o.cwd = "/nonexistent/dir";
	ck_assert_kft_error(kft__proc_spawn(&pid, &o), KFT_ERROR, "chdir /nonexistent/dir");
	/* a file that exists but cannot be executed */
	{
		char path[512];
		char *argv_noexec[] = { path, NULL };

		snprintf(path, sizeof(path), "%s/noexec", tmpdir);
		write_file(path, "#!/bin/sh\n");
		chmod(path, 0644);
		o.cwd = NULL;
		o.file = path;
		o.argv = argv_noexec;
		ck_assert_kft_error(kft__proc_spawn(&pid, &o), KFT_ENOTFOUND, "not found");
	}
}
END_TEST

/* ---- a fake backend built only from sys/ headers ---- */

typedef struct {
	kft_backend_t be;
	int submits;
	int polls;
} fake_backend;

static int fake_submit(kft_job_t **out, kft_backend_t *be, const kft_spec_t *spec,
                       const kft_runtime_t *rt, const kft_train_opts_t *opts)
{
	fake_backend *f = (fake_backend *)be;

	f->submits++;
	ck_assert_ptr_nonnull(kft_spec_name(spec));
	/* submit once: the core hands over the runtime it read and the final spec */
	ck_assert_ptr_nonnull(rt);
	ck_assert_str_eq(kft_runtime_name(rt), kft_spec_runtime_name(spec));
	return kft_job_new(out, kft_spec_name(spec), "fake");
}

static int fake_get(kft_job_t **out, kft_backend_t *be, const char *name)
{
	fake_backend *f = (fake_backend *)be;
	int rc;

	if (strcmp(name, "known"))
		return kft_error_set_str(KFT_ENOTFOUND, KFT_ERROR_CLASS_STORE, "no job");
	if ((rc = kft_job_new(out, name, "fake")) < 0)
		return rc;
	f->polls++;
	kft_job_add_step(*out, "node-0", f->polls >= 2 ? KFT_STEP_FAILED : KFT_STEP_RUNNING, "1234",
	                 f->polls >= 2 ? 3 : -1, 0, f->polls >= 2 ? "exit code 3" : NULL);
	return kft_job_set_state(*out, f->polls >= 2 ? KFT_JOB_FAILED : KFT_JOB_RUNNING,
	                         f->polls >= 2 ? "node-0 failed" : NULL, NULL);
}

static void fake_free(kft_backend_t *be)
{
	free(be);
}

static int fake_factory(kft_backend_t **out, const kft_client_opts_t *opts, void *payload)
{
	fake_backend *f = calloc(1, sizeof(*f));

	ck_assert_ptr_nonnull(f);
	f->be.version = KFT_BACKEND_VERSION;
	f->be.name = "fake";
	f->be.submit = fake_submit;
	f->be.get_job = fake_get;
	f->be.free = fake_free;
	*(int *)payload += 1;
	*out = &f->be;
	return 0;
}

static int count_cb(const kft_job_t *job, void *payload)
{
	(*(int *)payload)++;
	return 0;
}

START_TEST(client_backends)
{
	kft_client_opts_t o = KFT_CLIENT_OPTS_INIT;
	kft_client_t *c = NULL;
	kft_spec_t *spec;
	kft_job_t *job = NULL;
	kft_wait_opts_t wo = KFT_WAIT_OPTS_INIT;
	int made = 0, calls = 0;
	char *plan = NULL;

	o.backend = "nosuch";
	ck_assert_kft_error(kft_client_new(&c, &o), KFT_ENOTFOUND, "unknown backend \"nosuch\"");
	ck_assert_kft_ok(kft_backend_register("fake", fake_factory, &made));
	o.backend = "fake";
	o.runtime_path = tmpdir;
	ck_assert_kft_ok(kft_client_new(&c, &o));
	ck_assert_int_eq(made, 1);
	ck_assert_str_eq(kft_client_backend(c), "fake");

	ck_assert_kft_ok(kft_spec_new(&spec));
	ck_assert_kft_ok(kft_spec_set_runtime(spec, "torch-distributed", NULL));
	/* validation runs before the backend sees the spec */
	ck_assert_kft_ok(kft_spec_set_name(spec, "Bad_Name"));
	ck_assert_kft_error(kft_train(&job, c, spec, NULL), KFT_EINVALID, "metadata.name");
	ck_assert_ptr_null(job);
	/* no name: one is generated */
	kft_spec_set_name(spec, NULL);
	ck_assert_kft_ok(kft_train(&job, c, spec, NULL));
	ck_assert_int_eq(strlen(kft_job_name(job)), 12);
	ck_assert(kft__is_dns1035(kft_job_name(job)));
	kft_job_free(job);
	/* an unknown runtime is refused before submit */
	kft_spec_set_runtime(spec, "no-such-runtime", NULL);
	ck_assert_kft_error(kft_train(&job, c, spec, NULL), KFT_ENOTFOUND, "no-such-runtime");
	ck_assert_int_eq(((fake_backend *)0 == NULL), 1);

	/* verbs the backend lacks */
	ck_assert_kft_error(kft_render_plan(&plan, c, spec, as_format(KFT_FORMAT_YAML)), KFT_ENOTSUPPORTED,
	                    "fake backend does not support plan rendering");
	ck_assert_kft_error(kft_delete_job(c, "known", NULL), KFT_ENOTSUPPORTED, "delete");

	/* generic wait: fails fast on Failed, no job with the error (the out rule), the job's
	 * reason in kft_error_last(), callback called */
	wo.progress_cb = count_cb;
	wo.payload = &calls;
	job = (kft_job_t *)&calls;   /* overwritten: NULL on failure */
	ck_assert_kft_error(kft_wait(&job, c, "known", &wo), KFT_EJOBFAILED, "node-0 failed");
	ck_assert_ptr_null(job);
	ck_assert_str_eq(kft_error_last()->reason, "node-0 failed");
	ck_assert_int_ge(calls, 2);
	/* Failed wanted too: 0 and the failed job to read */
	wo.want = KFT_WANT_FINISHED;
	ck_assert_kft_ok(kft_wait(&job, c, "known", &wo));
	ck_assert_str_eq(kft_job_status(job), "Failed");
	ck_assert_int_eq(kft_step_exit_code(kft_job_step_at(job, 0)), 3);
	kft_job_free(job);
	ck_assert_kft_error(kft_get_job(&job, c, "unknown"), KFT_ENOTFOUND, "no job");
	/* a client verb's out may be NULL: the result is discarded (ASan: no leak) */
	ck_assert_kft_ok(kft_wait(NULL, c, "known", &wo));
	ck_assert_kft_ok(kft_get_job(NULL, c, "known"));
	ck_assert_kft_error(kft_get_job(NULL, c, "unknown"), KFT_ENOTFOUND, "no job");
	wo.want = 1u << 12;
	ck_assert_kft_error(kft_wait(&job, c, "known", &wo), KFT_EINVALID, "unknown statuses");

	kft_spec_free(spec);
	kft_client_free(c);
	ck_assert_kft_ok(kft_backend_unregister("fake"));
	ck_assert_kft_error(kft_backend_unregister("fake"), KFT_ENOTFOUND, "fake");
	kft_client_free(NULL);
}
END_TEST

START_TEST(job_render)
{
	int st;
	kft_job_t *job;
	kft_job_list_t *l;
	kft_event_list_t *ev;
	char *s;

	ck_assert_kft_ok(kft_job_new(&job, "j1", "local"));
	kft_job_set_runtime(job, "torch-distributed");
	kft_job_set_num_nodes(job, 2);
	kft_job_set_state(job, KFT_JOB_FAILED, "node-1 exited with code 3", "tail of log");
	kft_job_add_step(job, "node-0", KFT_STEP_SUCCEEDED, "100", 0, 0, NULL);
	kft_job_add_step(job, "node-1", KFT_STEP_FAILED, "101", -1, 9, "killed by signal 9");
	kft_job_set_progress(job, 42, 10);
	kft_job_add_metric(job, "loss", "0.5");
	ck_assert_kft_ok(kft_job_render(&s, job, as_format(KFT_FORMAT_JSON)));
	ck_assert_ptr_nonnull(strstr(s, "\"status\": \"Failed\""));
	ck_assert_ptr_nonnull(strstr(s, "\"signal\": 9"));
	ck_assert_ptr_nonnull(strstr(s, "\"trainerStatus\": {\n    \"progressPercentage\": 42"));
	kft_free(s);
	ck_assert_kft_ok(kft_job_render(&s, job, as_format(KFT_FORMAT_TEXT)));
	ck_assert_ptr_nonnull(strstr(s, "sig9"));
	kft_free(s);
	ck_assert_kft_ok(kft_job_state_parse(&st, "complete"));
	ck_assert_int_eq(st, KFT_JOB_COMPLETE);
	ck_assert_kft_error(kft_job_state_parse(&st, "Done"), KFT_EINVALID, "\"Done\": not one of");
	ck_assert_int_eq(st, KFT_UNSET);
	ck_assert_ptr_null(kft_step_name(kft_job_step_at(job, 5)));
	ck_assert_int_eq(kft_step_state(kft_job_step_at(job, 5)), KFT_UNSET);
	ck_assert_int_eq(kft_step_exit_code(kft_job_step_at(job, 1)), KFT_UNSET);
	ck_assert_int_eq(kft_step_signal(kft_job_step_at(job, 1)), 9);
	ck_assert_kft_ok(kft_job_list_new(&l));
	ck_assert_kft_ok(kft_job_list_add(l, job));
	ck_assert_kft_ok(kft_job_list_render(&s, l, as_format(KFT_FORMAT_YAML)));
	ck_assert_ptr_nonnull(strstr(s, "- name: j1"));
	kft_free(s);
	kft_job_list_free(l);
	ck_assert_kft_ok(kft_event_list_new(&ev));
	kft_event_list_add(ev, 30, "Step", "node-0", NULL, "Started", "b");
	kft_event_list_add(ev, 10, "TrainJob", "j1", NULL, "Created", "a");
	kft_event_list_sort(ev);
	ck_assert_str_eq(kft_event_reason(kft_event_list_at(ev, 0)), "Created");
	ck_assert_str_eq(kft_event_type(kft_event_list_at(ev, 1)), "Normal");
	kft_event_list_free(ev);
}
END_TEST

/* The streaming JSON writer gives the same bytes as the cJSON tree + kft__json_pretty. */
static void assert_same_json(const kft_job_t *job)
{
	cJSON *j = kft__job_to_json(job);
	char *tree, *direct;

	ck_assert_ptr_nonnull(j);
	ck_assert_kft_ok(kft__json_pretty(&tree, j));
	ck_assert_kft_ok(kft_job_render(&direct, job, as_format(KFT_FORMAT_JSON)));
	ck_assert_str_eq(direct, tree);
	cJSON_Delete(j);
	free(tree);
	kft_free(direct);
}

START_TEST(job_json_writer)
{
	kft_job_t *full, *bare;
	kft_job_list_t *l;
	cJSON *arr;
	char *tree, *direct;

	ck_assert_kft_ok(kft_job_new(&full, "j-full", "kubernetes"));
	kft_job_set_namespace(full, "team-a");
	kft_job_set_runtime(full, "torch-distributed");
	kft_job_set_num_nodes(full, 3);
	kft_job_set_state(full, KFT_JOB_FAILED, "Quote\"Back\\slash",
	                  "tab\tnl\ncr\rbell\a ctl\x01 ünïcødé \xe2\x9c\x93 </script>");
	/* 2000-02-29T23:59:59Z (leap day), 1970-01-01T00:00:01Z, 2026-11-29T08:00:00Z */
	kft_job_set_times(full, 951868799000LL, 1000, 1795939200500LL);
	kft_job_add_step(full, "node-0", KFT_STEP_SUCCEEDED, "pod-0", 0, 0, NULL);
	kft_job_add_step(full, "node-1", KFT_STEP_FAILED, NULL, -1, 9, "OOMKilled");
	kft_job_add_step(full, "launcher", KFT_STEP_RUNNING, "p", 255, 0, "");
	kft_job_set_progress(full, 0, 12345678901LL);
	kft_job_add_metric(full, "loss", "0.5");
	kft_job_add_metric(full, "acc\"", "");
	assert_same_json(full);
	ck_assert_kft_ok(kft_job_render(&direct, full, as_format(KFT_FORMAT_JSON)));
	ck_assert_ptr_nonnull(strstr(direct, "\"creationTimestamp\": \"2000-02-29T23:59:59Z\""));
	ck_assert_ptr_nonnull(strstr(direct, "\"startTime\": \"1970-01-01T00:00:01Z\""));
	ck_assert_ptr_nonnull(strstr(direct, "\"completionTime\": \"2026-11-29T08:00:00Z\""));
	{   /* the escaping reads back as the original bytes */
		cJSON *back = cJSON_Parse(direct);

		ck_assert_ptr_nonnull(back);
		ck_assert_str_eq(kft__json_str(back, "message"), kft_job_message(full));
		ck_assert_str_eq(kft__json_str(back, "reason"), kft_job_reason(full));
		cJSON_Delete(back);
	}
	kft_free(direct);

	ck_assert_kft_ok(kft_job_new(&bare, "j-bare", "local"));
	kft_job_set_progress(bare, -1, -1);
	assert_same_json(bare);

	ck_assert_kft_ok(kft_job_list_new(&l));
	ck_assert_kft_ok(kft_job_list_render(&direct, l, as_format(KFT_FORMAT_JSON)));
	ck_assert_str_eq(direct, "[]\n");
	kft_free(direct);
	ck_assert_kft_ok(kft_job_list_add(l, full));
	ck_assert_kft_ok(kft_job_list_add(l, bare));
	ck_assert_ptr_nonnull(arr = cJSON_CreateArray());
	cJSON_AddItemToArray(arr, kft__job_to_json(kft_job_list_at(l, 0)));
	cJSON_AddItemToArray(arr, kft__job_to_json(kft_job_list_at(l, 1)));
	ck_assert_kft_ok(kft__json_pretty(&tree, arr));
	ck_assert_kft_ok(kft_job_list_render(&direct, l, as_format(KFT_FORMAT_JSON)));
	ck_assert_str_eq(direct, tree);
	cJSON_Delete(arr);
	free(tree);
	kft_free(direct);
	kft_job_list_free(l);
}
END_TEST

/* Every allocation failure on a render path fails cleanly (no crash, no leak). */
START_TEST(alloc_failures)
{
	long n;
	int ok_seen = 0;

	for (n = 0; n < 400 && !ok_seen; n++) {
		kft_spec_t *spec = NULL;
		char *out = NULL;
		int rc;

		kft__alloc_fail_after(n);
		rc = kft_spec_new(&spec);
		if (rc == 0)
			rc = kft_spec_set_runtime(spec, "torch-distributed", NULL);
		if (rc == 0)
			rc = kft_spec_set_env(spec, "A", "B");
		if (rc == 0)
			rc = kft_spec_set_resource(spec, "gpu", "1");
		if (rc == 0)
			rc = kft_spec_set_node_selector(spec, NULL, "k", "v");
		kft__alloc_fail_after(-1);
		if (rc == 0) {
			rc = kft_spec_render(&out, spec, NULL);
			ck_assert_int_eq(rc, 0);
			ok_seen = 1;
		} else {
			ck_assert_int_lt(rc, 0);
		}
		kft_free(out);
		kft_spec_free(spec);
	}
	ck_assert(ok_seen);
}
END_TEST

/*
 * The same with cJSON's own allocations failing too (cJSON_InitHooks routes them
 * through the library's fault-injection hook): parse, validate, render (YAML and
 * JSON) and parse again a TrainJob, failing at every allocation in turn.
 */
static void *hook_malloc(size_t n)
{
	return kft__malloc(n);
}

START_TEST(alloc_failures_cjson)
{
	static const char job[] =
		"apiVersion: trainer.kubeflow.org/v1alpha1\nkind: TrainJob\nmetadata:\n  name: a\n"
		"  labels: {x: y}\nspec:\n  runtimeRef: {name: torch-distributed}\n"
		"  trainer:\n    numNodes: 2\n    command: [python3, -c, 'print(1)']\n"
		"    env: [{name: A, value: B}]\n    resourcesPerNode: {limits: {cpu: 500m}}\n";
	cJSON_Hooks hooks = { hook_malloc, free }, plain = { NULL, NULL };
	kft_spec_t *ref_spec = NULL;
	char *ref = NULL;
	long n;
	int ok_seen = 0;

	/* the answer without failures: a failure swallowed on the way would change it */
	ck_assert_kft_ok(kft_spec_parse(&ref_spec, job, sizeof(job) - 1));
	ck_assert_kft_ok(kft_spec_render(&ref, ref_spec, NULL));
	kft_spec_free(ref_spec);
	for (n = 0; n < 5000 && !ok_seen; n++) {
		kft_spec_t *spec = NULL, *back = NULL;
		kft_render_opts_t ro = KFT_RENDER_OPTS_INIT;
		char *yaml = NULL, *json = NULL;
		int rc;

		cJSON_InitHooks(&hooks);
		kft__alloc_fail_after(n);
		rc = kft_spec_parse(&spec, job, sizeof(job) - 1);
		if (rc == 0)
			rc = kft_spec_validate(spec, NULL);
		if (rc == 0)
			rc = kft_spec_render(&yaml, spec, &ro);
		ro.format = KFT_FORMAT_JSON;
		if (rc == 0)
			rc = kft_spec_render(&json, spec, &ro);
		if (rc == 0)
			rc = kft_spec_parse(&back, json, strlen(json));
		kft__alloc_fail_after(-1);
		cJSON_InitHooks(&plain);
		if (rc == 0) {
			ck_assert_msg(!strcmp(yaml, ref), "failure %ld swallowed:\n%s", n, yaml);
			ok_seen = 1;
		} else {
			ck_assert_int_lt(rc, 0);
			ck_assert_msg(*kft_error_last()->message, "failure %ld: no message", n);
		}
		kft_free(yaml);
		kft_free(json);
		kft_spec_free(back);
		kft_spec_free(spec);
	}
	ck_assert_msg(ok_seen, "never succeeded in %ld tries", n);
	kft_free(ref);
}
END_TEST

/* lib/quantity.c: one parser for every Kubernetes quantity */
START_TEST(quantities)
{
	static const struct {
		const char *s;
		int ok;
		double v;
	} cases[] = {
		{ "500m", 1, 0.5 }, { "2", 1, 2 }, { "1.5Gi", 1, 1610612736.0 }, { "+1", 1, 1 },
		{ "-2", 1, -2 }, { ".5", 1, 0.5 }, { "1.", 1, 1 }, { "1e3", 1, 1000 },
		{ "1E", 1, 1e18 }, { "2E-3", 1, 0.002 }, { "128M", 1, 128e6 }, { "64Ki", 1, 65536 },
		{ "3n", 1, 3e-9 }, { "", 0, 0 }, { ".", 0, 0 }, { "1.5.5", 0, 0 }, { "1Gb", 0, 0 },
		{ "0x10", 0, 0 }, { "inf", 0, 0 }, { "nan", 0, 0 }, { "1e", 0, 0 }, { "1e1.5", 0, 0 },
		{ "Ki", 0, 0 }, { "1 ", 0, 0 }, { "1e999", 0, 0 },
	};
	size_t i;
	int64_t n;
	cJSON *j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double v = -1;
		int rc = kft__quantity_value(&v, cases[i].s);

		ck_assert_msg((rc == 0) == cases[i].ok, "\"%s\": rc %d", cases[i].s, rc);
		ck_assert_int_eq(kft__quantity_valid(cases[i].s), cases[i].ok);
		if (cases[i].ok)
			ck_assert_double_eq_tol(v, cases[i].v, 1e-6 * (v < 0 ? -v : v) + 1e-12);
	}
	/* JSON numbers and strings; anything else counts 0 */
	j = cJSON_Parse("[4, \"250m\", \"x\", null]");
	ck_assert_double_eq(kft__quantity_json(cJSON_GetArrayItem(j, 0)), 4);
	ck_assert_double_eq_tol(kft__quantity_json(cJSON_GetArrayItem(j, 1)), 0.25, 1e-12);
	ck_assert_double_eq(kft__quantity_json(cJSON_GetArrayItem(j, 2)), 0);
	ck_assert_double_eq(kft__quantity_json(cJSON_GetArrayItem(j, 3)), 0);
	cJSON_Delete(j);
	/* as the SDK sends them: integers as numbers, the rest as strings */
	j = kft__quantity_to_json("8");
	ck_assert(cJSON_IsNumber(j) && j->valuedouble == 8);
	cJSON_Delete(j);
	j = kft__quantity_to_json("08");
	ck_assert(cJSON_IsString(j));
	cJSON_Delete(j);
	/* the container backend's limits: non-negative, scaled, rounded up */
	ck_assert_kft_ok(kft__quantity_parse(&n, "1m", 1, "cpu"));
	ck_assert_int_eq(n, 1);
	ck_assert_kft_error(kft__quantity_parse(&n, "-1", 1, "limits.cpu"), KFT_EINVALID,
	                    "limits.cpu: \"-1\" is not a valid quantity");
}
END_TEST

/* lib/util.c: one UTF-8 walker (kft__utf8_seq) under every UTF-8 rule */
START_TEST(utf8_rules)
{
	size_t n;

	ck_assert(kft__utf8_valid("caf\xc3\xa9 \xf0\x9f\x98\x80"));
	ck_assert(!kft__utf8_valid("\xc0\xaf"));            /* overlong */
	ck_assert(!kft__utf8_valid("\xed\xa0\x80"));       /* surrogate */
	ck_assert(!kft__utf8_valid("\xe2\x82"));            /* cut */
	ck_assert(kft__utf8_printable("line\n\ttab \xc3\xa9"));
	ck_assert(!kft__utf8_printable("bell\a"));
	ck_assert(!kft__utf8_printable("del\x7f"));
	ck_assert(!kft__utf8_printable("\xc0\xaf"));
	ck_assert_uint_eq(kft__utf8_prefix("a\xc3\xa9z", 2, &n), 3);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(kft__utf8_prefix("a\xc3\xa9z", 10, &n), 4);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(kft__utf8_prefix("abc", 0, NULL), 0);
}
END_TEST

/* Outside text for a terminal (kft__buf_put_text): the one cleanup for servers' and plugins' words */
START_TEST(outside_text)
{
	kft__buf b = KFT__BUF_INIT;

	kft__buf_put_text(&b, "ok \033[31mred\033[0m\a \xc2\x9b" "2J caf\xc3\xa9 \xff\xfe line\nnext\ttab",
	                  (size_t)-1, NULL);
	ck_assert_str_eq(b.ptr, "ok ?[31mred?[0m? ?2J caf\xc3\xa9 ?? line next tab");
	kft__buf_clear(&b);
	/* the secret is redacted before the text is cut, so no prefix of it shows */
	kft__buf_put_text(&b, "abcd s3cr3t-token tail s3cr3t-token", 12, "s3cr3t-token");
	ck_assert_str_eq(b.ptr, "abcd [redacted]...");
	kft__buf_clear(&b);
	kft__buf_put_text(&b, "no secret", 100, "");
	ck_assert_str_eq(b.ptr, "no secret");
	kft__buf_free(&b);
}
END_TEST

/* Files kft reads whole stop at 64 MiB: a sparse file one byte longer, and /dev/zero. */
START_TEST(file_limits)
{
	char path[512];
	int fd;
	kft_spec_t *s = NULL;
	char *text = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/huge.yaml", tmpdir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, ((off_t)64 << 20) + 1), 0);   /* no disk used */
	close(fd);
	ck_assert_kft_error(kft_spec_parse_file(&s, path), KFT_EINVALID,
	                    "huge.yaml: larger than 64 MiB, more than any file kft reads");
	ck_assert_ptr_null(s);
	/* exactly 64 MiB is read (as a TrainJob it is not one) */
	fd = open(path, O_WRONLY);
	ck_assert_int_eq(ftruncate(fd, (off_t)64 << 20), 0);
	close(fd);
	ck_assert_int_eq(kft__read_file(&text, &len, path), 0);
	ck_assert_uint_eq(len, (size_t)64 << 20);
	free(text);
	ck_assert_kft_error(kft__read_file(&text, &len, "/dev/zero"), KFT_EINVALID,
	                    "/dev/zero: larger than 64 MiB");
	ck_assert_ptr_null(text);
}
END_TEST

static int stop_at_second(const kft_job_t *job, void *payload)
{
	(void)job;
	return ++*(int *)payload >= 2 ? 7 : 0;
}

/* lib/wait.c: the one wait decision every backend's kft_wait uses */
START_TEST(wait_decision)
{
	kft_wait_opts_t o = KFT_WAIT_OPTS_INIT;
	kft_job_t *job = NULL, *out = NULL;
	int rc = 99, calls = 0;

	ck_assert_kft_ok(kft_job_new(&job, "wd", "test"));
	ck_assert_kft_ok(kft_job_set_state(job, KFT_JOB_RUNNING, NULL, NULL));
	ck_assert_int_eq(kft__wait_decide(&rc, job, "wd", NULL), 1);      /* keep waiting */
	ck_assert_kft_ok(kft_job_set_state(job, KFT_JOB_COMPLETE, NULL, NULL));
	ck_assert_int_eq(kft__wait_decide(&rc, job, "wd", NULL), 0);
	ck_assert_int_eq(rc, 0);
	/* Failed, not wanted: KFT_EJOBFAILED, reason and message in one text */
	ck_assert_kft_ok(kft_job_set_state(job, KFT_JOB_FAILED, "node-0 exited 3", "boom"));
	ck_assert_int_eq(kft__wait_decide(&rc, job, "wd", NULL), 0);
	ck_assert_int_eq(rc, KFT_EJOBFAILED);
	ck_assert_str_eq(kft_error_last()->message, "TrainJob wd is Failed: node-0 exited 3: boom");
	ck_assert_int_eq(kft_error_last()->klass, KFT_ERROR_CLASS_INVALID);
	/* the job goes with 0 and KFT_EJOBFAILED only */
	kft__wait_hand_over(&out, &job, rc);
	ck_assert_ptr_null(job);
	ck_assert_ptr_nonnull(out);
	kft__wait_hand_over(NULL, &out, 0);
	ck_assert_ptr_nonnull(out);
	/* Failed wanted */
	o.want = KFT_WANT(KFT_JOB_FAILED);
	ck_assert_int_eq(kft__wait_decide(&rc, out, "wd", &o), 0);
	ck_assert_int_eq(rc, 0);
	/* the callback stops the wait with its own value */
	o.want = 0;
	o.progress_cb = stop_at_second;
	o.payload = &calls;
	ck_assert_kft_ok(kft_job_set_state(out, KFT_JOB_RUNNING, NULL, NULL));
	ck_assert_int_eq(kft__wait_decide(&rc, out, "wd", &o), 1);
	ck_assert_int_eq(kft__wait_decide(&rc, out, "wd", &o), 0);
	ck_assert_int_eq(rc, 7);
	ck_assert_int_eq(kft_error_last()->klass, KFT_ERROR_CLASS_CALLBACK);
	ck_assert_int_eq(kft__wait_timed_out("wd", out), KFT_ETIMEOUT);
	ck_assert_str_eq(kft_error_last()->message, "timed out waiting for TrainJob wd (status Running)");
	kft_job_free(out);
}
END_TEST

static Suite *core_suite(void)
{
	Suite *s = suite_create("core");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup_tmp, teardown_tmp);
	tcase_add_test(tc, errors_basics);
	tcase_add_test(tc, utils);
	tcase_add_test(tc, opts_versions);
	tcase_add_test(tc, catalog_builtin_and_user);
	tcase_add_test(tc, spawn);
	tcase_add_test(tc, client_backends);
	tcase_add_test(tc, job_render);
	tcase_add_test(tc, job_json_writer);
	tcase_add_test(tc, alloc_failures);
	tcase_add_test(tc, alloc_failures_cjson);
	tcase_add_test(tc, quantities);
	tcase_add_test(tc, utf8_rules);
	tcase_add_test(tc, outside_text);
	tcase_add_test(tc, file_limits);
	tcase_add_test(tc, wait_decision);
	suite_add_tcase(s, tc);
	return s;
}

KFT_TEST_MAIN(core_suite)
