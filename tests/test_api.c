/*
 * The public API's rules, one test each: versioned option structs read and
 * written only as far as the caller's version goes, backend options for an
 * out-of-tree backend, the log-prefix enum, length-taking parsers, one
 * render shape, the out rule, KFT_UNSET for "unknown", and every
 * KFT_ENOMEM with kft_error_last() set.
 */
#include "testutil.h"

/* kft_logs_opts_t as version 1 declared it, followed by bytes that must stay untouched. */
typedef struct {
	unsigned int version;
	const char *step;
	uint32_t flags;
	int64_t tail_lines;
	int64_t since_ms;
	int64_t timeout_ms;
} logs_opts_v1;

/* kft_client_opts_t as version 1 declared it. */
typedef struct {
	unsigned int version;
	const char *backend, *state_dir, *runtime_path, *kubeconfig, *context, *ns;
	const char *container_host, *pull_policy, *network;
	int64_t timeout_ms;
} client_opts_v1;

/* ---- an out-of-tree backend: "probe" records what the core hands it ---- */

typedef struct {
	kft_backend_t be;
	char endpoint[64];
} probe_backend;

static kft_logs_opts_t seen_logs;
static int seen_logs_calls;

static int probe_logs(kft_backend_t *be, const char *name, const kft_logs_opts_t *opts,
                      kft_log_cb cb, void *payload)
{
	(void)be;
	(void)name;
	seen_logs = *opts;   /* always the newest layout, whatever the caller's version */
	seen_logs_calls++;
	return cb("line\n", 5, "node-0", payload);
}

static int probe_get(kft_job_t **out, kft_backend_t *be, const char *name)
{
	(void)be;
	if (strcmp(name, "half"))
		return kft_error_set_str(KFT_ENOTFOUND, KFT_ERROR_CLASS_INVALID, "no such job");
	/* a sloppy backend: a job AND an error; the core must not hand it out */
	ck_assert_kft_ok(kft_job_new(out, name, "probe"));
	return kft_error_set_str(KFT_ERROR, KFT_ERROR_CLASS_INVALID, "half-built");
}

static void probe_free(kft_backend_t *be)
{
	free(be);
}

static int probe_factory(kft_backend_t **out, const kft_client_opts_t *opts, void *payload)
{
	const char *ep = kft_backend_option(opts, "endpoint");
	probe_backend *p;
	size_t i;

	(void)payload;
	for (i = 0; i < opts->nbackend_options; i++)
		if (strcmp(opts->backend_option_keys[i], "endpoint"))
			return kft_error_set_str(KFT_EINVALID, KFT_ERROR_CLASS_CONFIG,
			                         "probe: unknown backend option");
	p = calloc(1, sizeof(*p));
	ck_assert_ptr_nonnull(p);
	p->be.version = KFT_BACKEND_VERSION;
	p->be.name = "probe";
	p->be.logs = probe_logs;
	p->be.get_job = probe_get;
	p->be.free = probe_free;
	snprintf(p->endpoint, sizeof(p->endpoint), "%s", ep ? ep : "(none)");
	*out = &p->be;
	return 0;
}

static int sink(const char *chunk, size_t len, const char *step, void *payload)
{
	(void)chunk;
	(void)len;
	(void)step;
	(void)payload;
	return 0;
}

/* An _init of an older version writes only that version's bytes. */
START_TEST(init_writes_only_the_callers_version)
{
	unsigned char buf[sizeof(logs_opts_v1) + 32], cbuf[sizeof(client_opts_v1) + 32];
	logs_opts_v1 *o = (logs_opts_v1 *)(void *)buf;
	client_opts_v1 *co = (client_opts_v1 *)(void *)cbuf;
	kft_logs_opts_t now;
	size_t i;

	memset(buf, 0xAB, sizeof(buf));
	ck_assert_kft_ok(kft_logs_opts_init((kft_logs_opts_t *)(void *)buf, 1));
	ck_assert_uint_eq(o->version, 1);
	ck_assert_ptr_null(o->step);
	ck_assert_int_eq(o->tail_lines, -1);
	for (i = sizeof(logs_opts_v1); i < sizeof(buf); i++)
		ck_assert_msg(buf[i] == 0xAB, "byte %zu past a version-1 kft_logs_opts_t written", i);
	memset(cbuf, 0xCD, sizeof(cbuf));
	ck_assert_kft_ok(kft_client_opts_init((kft_client_opts_t *)(void *)cbuf, 1));
	ck_assert_uint_eq(co->version, 1);
	for (i = sizeof(client_opts_v1); i < sizeof(cbuf); i++)
		ck_assert_msg(cbuf[i] == 0xCD, "byte %zu past a version-1 kft_client_opts_t written", i);
	/* the current version writes everything */
	memset(&now, 0xEE, sizeof(now));
	ck_assert_kft_ok(kft_logs_opts_init(&now, KFT_LOGS_OPTS_VERSION));
	ck_assert_int_eq(now.prefix, KFT_LOG_PREFIX_AUTO);
	ck_assert_kft_error(kft_logs_opts_init(&now, 0), KFT_EVERSION, "kft_logs_opts_t version 0");
	ck_assert_kft_error(kft_logs_opts_init(&now, KFT_LOGS_OPTS_VERSION + 1), KFT_EVERSION,
	                    "knows 1 to 2");
}
END_TEST

/*
 * An older caller's struct is read only as far as its version goes: each is
 * allocated at exactly its old size, so ASan reports any read past it.
 */
START_TEST(old_layouts_are_read_not_overrun)
{
	client_opts_v1 *co = malloc(sizeof(*co));
	logs_opts_v1 *lo = malloc(sizeof(*lo));
	kft_client_t *c = NULL;

	ck_assert_ptr_nonnull(co);
	ck_assert_ptr_nonnull(lo);
	ck_assert_kft_ok(kft_backend_register("probe", probe_factory, NULL));
	ck_assert_kft_ok(kft_client_opts_init((kft_client_opts_t *)(void *)co, 1));
	co->backend = "probe";
	ck_assert_kft_ok(kft_client_new(&c, (const kft_client_opts_t *)(const void *)co));
	ck_assert_str_eq(((probe_backend *)(void *)kft__client_backend(c))->endpoint, "(none)");

	/* version 1 of kft_logs_opts_t spelled the prefix with flag bits 1 and 2 */
	ck_assert_kft_ok(kft_logs_opts_init((kft_logs_opts_t *)(void *)lo, 1));
	lo->step = "node-0";
	lo->flags = 1u << 1;   /* version 1's KFT_LOGS_PREFIX */
	ck_assert_kft_ok(kft_logs(c, "j", (const kft_logs_opts_t *)(const void *)lo, sink, NULL));
	ck_assert_int_eq(seen_logs.prefix, KFT_LOG_PREFIX_ALWAYS);
	ck_assert_uint_eq(seen_logs.flags & ~KFT_LOGS_FOLLOW, 0);
	ck_assert_str_eq(seen_logs.step, "node-0");
	lo->flags = 1u << 2;   /* version 1's KFT_LOGS_NO_PREFIX */
	lo->step = NULL;
	ck_assert_kft_ok(kft_logs(c, "j", (const kft_logs_opts_t *)(const void *)lo, sink, NULL));
	ck_assert_int_eq(seen_logs.prefix, KFT_LOG_PREFIX_NEVER);
	kft_client_free(c);
	free(co);
	free(lo);
	ck_assert_kft_ok(kft_backend_unregister("probe"));
}
END_TEST

START_TEST(log_prefix_enum)
{
	kft_client_opts_t co = KFT_CLIENT_OPTS_INIT;
	kft_logs_opts_t lo = KFT_LOGS_OPTS_INIT;
	kft_client_t *c = NULL;

	ck_assert_kft_ok(kft_backend_register("probe", probe_factory, NULL));
	co.backend = "probe";
	ck_assert_kft_ok(kft_client_new(&c, &co));
	ck_assert_kft_ok(kft_logs(c, "j", NULL, sink, NULL));
	ck_assert_int_eq(seen_logs.prefix, KFT_LOG_PREFIX_AUTO);
	ck_assert_int_eq(kft__logs_prefix(&seen_logs), 1);   /* all steps: prefixed */
	lo.step = "node-0";
	ck_assert_kft_ok(kft_logs(c, "j", &lo, sink, NULL));
	ck_assert_int_eq(kft__logs_prefix(&seen_logs), 0);   /* one step: plain */
	lo.prefix = KFT_LOG_PREFIX_ALWAYS;
	ck_assert_kft_ok(kft_logs(c, "j", &lo, sink, NULL));
	ck_assert_int_eq(kft__logs_prefix(&seen_logs), 1);
	lo.step = NULL;
	lo.prefix = KFT_LOG_PREFIX_NEVER;
	ck_assert_kft_ok(kft_logs(c, "j", &lo, sink, NULL));
	ck_assert_int_eq(kft__logs_prefix(&seen_logs), 0);
	lo.prefix = 3;
	ck_assert_kft_error(kft_logs(c, "j", &lo, sink, NULL), KFT_EINVALID, "prefix 3");
	lo.prefix = KFT_LOG_PREFIX_AUTO;
	lo.flags = 1u << 1;   /* no longer a flag in version 2 */
	ck_assert_kft_error(kft_logs(c, "j", &lo, sink, NULL), KFT_EINVALID, "unknown bits");
	kft_client_free(c);
	ck_assert_kft_ok(kft_backend_unregister("probe"));
}
END_TEST

START_TEST(backend_options)
{
	const char *keys[] = { "endpoint", "endpoint" }, *values[] = { "first", "tcp://x:1" };
	const char *bad_keys[] = { "colour" }, *bad_values[] = { "blue" };
	kft_client_opts_t co = KFT_CLIENT_OPTS_INIT;
	kft_client_t *c = NULL;

	ck_assert_kft_ok(kft_backend_register("probe", probe_factory, NULL));
	co.backend = "probe";
	co.backend_option_keys = keys;
	co.backend_option_values = values;
	co.nbackend_options = 2;
	ck_assert_kft_ok(kft_client_new(&c, &co));
	/* the last pair wins */
	ck_assert_str_eq(((probe_backend *)(void *)kft__client_backend(c))->endpoint, "tcp://x:1");
	kft_client_free(c);
	ck_assert_ptr_null(kft_backend_option(&co, "nosuch"));
	ck_assert_ptr_null(kft_backend_option(NULL, "endpoint"));
	/* the backend refuses what it does not know */
	co.backend_option_keys = bad_keys;
	co.backend_option_values = bad_values;
	co.nbackend_options = 1;
	ck_assert_kft_error(kft_client_new(&c, &co), KFT_EINVALID, "probe: unknown backend option");
	ck_assert_ptr_null(c);
	/* a count without arrays */
	co.backend_option_keys = NULL;
	ck_assert_kft_error(kft_client_new(&c, &co), KFT_EINVALID, "nbackend_options is 1");
	/* the built-in backends take none, naming the key */
	co.backend = "local";
	co.backend_option_keys = bad_keys;
	ck_assert_kft_error(kft_client_new(&c, &co), KFT_EINVALID,
	                    "backend option \"colour\": the local backend takes no backend options");
	ck_assert_kft_ok(kft_backend_unregister("probe"));
}
END_TEST

/* Parsers read exactly len bytes: no NUL needed, an empty buffer not read at all. */
START_TEST(parse_takes_a_length)
{
	static const char doc[] = "apiVersion: trainer.kubeflow.org/v1alpha1\nkind: TrainJob\n"
	                          "metadata: {name: exact}\nspec: {runtimeRef: {name: torch-distributed}}\n";
	char *exact = malloc(sizeof(doc) - 1), *empty = malloc(1);
	kft_spec_t *s = NULL;
	kft_runtime_t *rt = NULL;

	ck_assert_ptr_nonnull(exact);
	ck_assert_ptr_nonnull(empty);
	memcpy(exact, doc, sizeof(doc) - 1);   /* no NUL: ASan reports a read past it */
	ck_assert_kft_ok(kft_spec_parse(&s, exact, sizeof(doc) - 1));
	ck_assert_str_eq(kft_spec_name(s), "exact");
	kft_spec_free(s);
	/* a prefix of the buffer is a prefix of the document */
	ck_assert_kft_ok(kft_spec_parse(&s, exact, strstr(doc, "spec:") - doc));
	ck_assert_ptr_null(kft_spec_runtime_name(s));
	kft_spec_free(s);
	empty[0] = 'x';   /* not a NUL: a parser that looked would read garbage */
	ck_assert_kft_error(kft_spec_parse(&s, empty, 0), KFT_EINVALID, "empty document");
	ck_assert_ptr_null(s);
	ck_assert_kft_error(kft_spec_parse(&s, NULL, 0), KFT_EINVALID, "empty document");
	ck_assert_kft_error(kft_spec_parse(&s, NULL, 3), KFT_EINVALID, "invalid argument");
	ck_assert_kft_error(kft_runtime_parse(&rt, empty, 0), KFT_EINVALID, "empty document");
	ck_assert_ptr_null(rt);
	free(exact);
	free(empty);
}
END_TEST

/* One render shape: (out, object, opts); NULL opts is YAML; a bad format is refused. */
START_TEST(one_render_shape)
{
	kft_render_opts_t ro = KFT_RENDER_OPTS_INIT;
	kft_job_t *job;
	kft_runtime_t *rt;
	kft_spec_t *spec;
	char *s = NULL;

	ck_assert_kft_ok(kft_job_new(&job, "j1", "local"));
	ck_assert_kft_ok(kft_job_render(&s, job, NULL));
	ck_assert_ptr_nonnull(strstr(s, "name: j1"));
	kft_free(s);
	ro.format = KFT_FORMAT_JSON;
	ck_assert_kft_ok(kft_job_render(&s, job, &ro));
	ck_assert_ptr_nonnull(strstr(s, "\"name\": \"j1\""));
	kft_free(s);
	ro.format = 9;
	ck_assert_kft_error(kft_job_render(&s, job, &ro), KFT_EINVALID, "format: 9");
	ck_assert_ptr_null(s);
	ro.format = KFT_FORMAT_YAML;
	ro.version = 5;
	ck_assert_kft_error(kft_job_render(&s, job, &ro), KFT_EVERSION, "kft_render_opts_t");
	kft_job_free(job);

	ck_assert_kft_ok(kft__catalog_get(&rt, "/nonexistent", "torch-distributed"));
	ck_assert_kft_ok(kft_runtime_render(&s, rt, NULL));
	ck_assert_ptr_nonnull(strstr(s, "kind: ClusterTrainingRuntime"));
	kft_free(s);
	kft_runtime_free(rt);

	/* trainer_version reaches a TrainJob's render */
	ck_assert_kft_ok(kft_spec_new(&spec));
	ck_assert_kft_ok(kft_spec_set_runtime(spec, "torch-distributed", NULL));
	ck_assert_kft_ok(kft_spec_set_node_selector(spec, NULL, "disk", "ssd"));
	ck_assert_kft_ok(kft_render_opts_init(&ro, KFT_RENDER_OPTS_VERSION));
	ck_assert_kft_ok(kft_spec_render(&s, spec, &ro));
	ck_assert_ptr_nonnull(strstr(s, "runtimePatches"));
	kft_free(s);
	ro.trainer_version = "v2.1";
	ck_assert_kft_ok(kft_spec_render(&s, spec, &ro));
	ck_assert_ptr_null(strstr(s, "runtimePatches"));
	kft_free(s);
	kft_spec_free(spec);
}
END_TEST

/* The out rule: a failed call leaves *out NULL, even when a backend handed one back. */
START_TEST(out_is_null_on_every_error)
{
	kft_client_opts_t co = KFT_CLIENT_OPTS_INIT;
	kft_client_t *c = NULL;
	kft_job_t *job = (kft_job_t *)&co;

	ck_assert_kft_ok(kft_backend_register("probe", probe_factory, NULL));
	co.backend = "probe";
	ck_assert_kft_ok(kft_client_new(&c, &co));
	ck_assert_kft_error(kft_get_job(&job, c, "half"), KFT_ERROR, "half-built");
	ck_assert_ptr_null(job);   /* freed by the core (ASan: no leak) */
	ck_assert_kft_error(kft_get_job(NULL, c, "half"), KFT_ERROR, "half-built");
	job = (kft_job_t *)&co;
	ck_assert_kft_error(kft_get_job(&job, c, "none"), KFT_ENOTFOUND, "no such job");
	ck_assert_ptr_null(job);
	kft_client_free(c);
	ck_assert_kft_ok(kft_backend_unregister("probe"));
}
END_TEST

/* "Unknown" is KFT_UNSET, never -1 (which is KFT_ERROR). */
START_TEST(unknown_is_kft_unset)
{
	kft_job_t *job;
	int st = 0;

	ck_assert_kft_ok(kft_job_new(&job, "j", NULL));
	ck_assert_int_eq(kft_job_progress_percent(job), KFT_UNSET);
	ck_assert_int_eq(kft_job_eta_seconds(job), KFT_UNSET);
	ck_assert_kft_ok(kft_job_set_progress(job, 0, -1));
	ck_assert_int_eq(kft_job_progress_percent(job), 0);
	ck_assert_int_eq(kft_job_eta_seconds(job), KFT_UNSET);
	ck_assert_kft_ok(kft_job_add_step(job, "node-0", KFT_STEP_RUNNING, NULL, KFT_UNSET, 0, NULL));
	ck_assert_int_eq(kft_step_exit_code(kft_job_step_at(job, 0)), KFT_UNSET);
	ck_assert_ptr_null(kft_job_step_at(job, 1));
	ck_assert_int_eq(kft_step_state(NULL), KFT_UNSET);
	ck_assert_int_eq(kft_job_state(NULL), KFT_UNSET);
	ck_assert_ptr_null(kft_job_metric_at(job, 0));
	ck_assert_ptr_null(kft_metric_name(NULL));
	ck_assert_kft_error(kft_job_state_parse(&st, "Finished"), KFT_EINVALID, "Complete");
	ck_assert_int_eq(st, KFT_UNSET);
	kft_job_free(job);
}
END_TEST

/* Every KFT_ENOMEM leaves kft_error_last() saying so, on every public path tried. */
START_TEST(enomem_always_sets_the_error)
{
	static const char doc[] = "metadata: {name: a}\nspec: {runtimeRef: {name: torch-distributed},"
	                          " trainer: {numNodes: 2, env: [{name: A, value: B}]}}\n";
	long n;
	int ok_seen = 0, nomem_seen = 0;

	for (n = 0; n < 20000 && !ok_seen; n++) {
		kft_spec_t *spec = NULL, *dup = NULL;
		kft_job_t *job = NULL, *copy = NULL;
		kft_job_list_t *list = NULL;
		kft_event_list_t *ev = NULL;
		kft_runtime_t *rt = NULL;
		char *out = NULL, *out2 = NULL, *out3 = NULL;
		int rc;

		kft_error_clear();
		kft__alloc_fail_after(n);
		rc = kft_spec_parse(&spec, doc, sizeof(doc) - 1);
		if (rc == 0)
			rc = kft_spec_set_label(spec, "team", "ml");
		if (rc == 0)
			rc = kft_job_new(&job, "j", "local");
		if (rc == 0)
			rc = kft_job_add_step(job, "node-0", KFT_STEP_RUNNING, "123", KFT_UNSET, 0, NULL);
		if (rc == 0)
			rc = kft_job_add_metric(job, "loss", "0.1");
		if (rc == 0)
			rc = kft_job_render(&out, job, NULL);
		if (rc == 0)
			rc = kft_job_dup(&copy, job);
		if (rc == 0)
			rc = kft_spec_dup(&dup, spec);
		if (rc == 0)
			rc = kft_spec_set_resource(dup, "gpu", "1");
		if (rc == 0)
			rc = kft_spec_add_toleration(dup, NULL, "k", NULL, "v", "NoSchedule");
		if (rc == 0)
			rc = kft_spec_render(&out2, dup, NULL);
		if (rc == 0)
			rc = kft_job_list_new(&list);
		if (rc == 0) {
			rc = kft_job_list_add(list, copy);
			copy = NULL;   /* the list's, also on failure */
		}
		if (rc == 0)
			rc = kft_job_list_render(&out3, list, as_format(KFT_FORMAT_TEXT));
		if (rc == 0)
			rc = kft_event_list_new(&ev);
		if (rc == 0)
			rc = kft_event_list_add(ev, 1, "Pod", "p", "Normal", "Started", "started");
		if (rc == 0)
			rc = kft__catalog_get(&rt, "/nonexistent", "torch-distributed");
		if (rc == 0)
			rc = kft_spec_validate(dup, rt);
		kft__alloc_fail_after(-1);
		if (rc == KFT_ENOMEM) {
			nomem_seen++;
			ck_assert_msg(kft_error_last()->klass == KFT_ERROR_CLASS_NOMEM,
			              "allocation %ld: KFT_ENOMEM with error \"%s\" (class %d)", n,
			              kft_error_last()->message, kft_error_last()->klass);
		} else {
			ck_assert_int_eq(rc, 0);
			ok_seen = 1;
		}
		kft_free(out);
		kft_free(out2);
		kft_free(out3);
		kft_job_free(job);
		kft_job_free(copy);
		kft_job_list_free(list);
		kft_event_list_free(ev);
		kft_runtime_free(rt);
		kft_spec_free(spec);
		kft_spec_free(dup);
	}
	ck_assert(ok_seen);
	ck_assert_int_gt(nomem_seen, 5);
}
END_TEST

static Suite *api_suite(void)
{
	Suite *s = suite_create("api");
	TCase *tc = tcase_create("rules");

	tcase_add_test(tc, init_writes_only_the_callers_version);
	tcase_add_test(tc, old_layouts_are_read_not_overrun);
	tcase_add_test(tc, log_prefix_enum);
	tcase_add_test(tc, backend_options);
	tcase_add_test(tc, parse_takes_a_length);
	tcase_add_test(tc, one_render_shape);
	tcase_add_test(tc, out_is_null_on_every_error);
	tcase_add_test(tc, unknown_is_kft_unset);
	tcase_add_test(tc, enomem_always_sets_the_error);
	suite_add_tcase(s, tc);
	return s;
}

KFT_TEST_MAIN(api_suite)
