/*
 * kubeconfig loading for the kubernetes backend: merged KUBECONFIG lists,
 * contexts, namespaces, relative paths, inline data, exec, in-cluster, and
 * the errors for each bad input. Real files in a temp dir; no server.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "testutil.h"
#include "../backends/kubernetes/k8s.h"

#include <unistd.h>

static char tmpdir[256];

static void put(const char *name, const char *text)
{
	char *p = kft__path_join(tmpdir, name);

	char *slash;

	ck_assert_ptr_nonnull(p);
	slash = strrchr(p, '/');
	*slash = '\0';
	ck_assert_int_eq(kft__mkdir_p(p, 0700), 0);
	*slash = '/';
	ck_assert_int_eq(kft__write_file_atomic(p, text, strlen(text), 0600), 0);
	free(p);
}

static char *path(const char *name)
{
	return kft__path_join(tmpdir, name);
}

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kft-kcfg.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	unsetenv("KUBECONFIG");
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	unsetenv("KFT_K8S_SA_DIR");
	setenv("HOME", tmpdir, 1);
}

static void teardown(void)
{
	kft__remove_tree(tmpdir);
}

static const char *file_a =
	"apiVersion: v1\nkind: Config\n"
	"clusters:\n"
	"- name: c1\n  cluster:\n    server: https://a.example:6443/\n"
	"    certificate-authority: certs/ca.pem\n"
	"contexts:\n"
	"- name: ctx-a\n  context: {cluster: c1, user: u1, namespace: team-a}\n"
	"users:\n"
	"- name: u1\n  user:\n    tokenFile: tok\n";

static const char *file_b =
	"apiVersion: v1\nkind: Config\ncurrent-context: ctx-b\n"
	"clusters:\n"
	"- name: c1\n  cluster: {server: https://b-loses.example}\n"
	"- name: c2\n  cluster:\n    server: https://b.example\n"
	"    certificate-authority-data: UEVNLURBVEE=\n    insecure-skip-tls-verify: true\n"
	"    tls-server-name: api.internal\n    proxy-url: http://127.0.0.1:3128\n"
	"contexts:\n"
	"- name: ctx-a\n  context: {cluster: c2, user: u2}\n"
	"- name: ctx-b\n  context: {cluster: c2, user: u2}\n"
	"users:\n"
	"- name: u2\n  user:\n    username: alice\n    password: s3cret\n";

START_TEST(merged_list_first_wins)
{
	kft__k8s_config c;
	char *a, *b, *list;

	put("a.yaml", file_a);
	put("b.yaml", file_b);
	ck_assert_int_eq(kft__mkdir_p(tmpdir, 0700), 0);
	a = path("a.yaml");
	b = path("b.yaml");
	list = kft__malloc(strlen(a) + strlen(b) + 40);
	/* a missing file in the list is skipped, as kubectl does */
	sprintf(list, "%s:%s/missing.yaml:%s", a, tmpdir, b);
	setenv("KUBECONFIG", list, 1);
	/* current-context comes from b (a sets none) */
	ck_assert_kft_ok(kft__k8s_config_load(&c, NULL, NULL, NULL));
	ck_assert_str_eq(c.context, "ctx-b");
	ck_assert_str_eq(c.server, "https://b.example");
	ck_assert_int_eq(c.insecure, 1);
	ck_assert_str_eq(c.tls_server_name, "api.internal");
	ck_assert_str_eq(c.proxy_url, "http://127.0.0.1:3128");
	ck_assert_uint_eq(c.ca_len, 8);
	ck_assert(memcmp(c.ca, "PEM-DATA", 8) == 0);
	ck_assert_str_eq(c.username, "alice");
	ck_assert_str_eq(c.password, "s3cret");
	ck_assert_str_eq(c.ns, "default");
	kft__k8s_config_free(&c);
	/* ctx-a is defined in both: a's (the first file) wins, and so does a's cluster c1 */
	put("certs/ca.pem", "CA-FROM-FILE");
	ck_assert_kft_ok(kft__k8s_config_load(&c, NULL, "ctx-a", NULL));
	ck_assert_str_eq(c.server, "https://a.example:6443");
	ck_assert_str_eq(c.ns, "team-a");
	ck_assert_str_eq(c.ca, "CA-FROM-FILE");   /* relative to a.yaml's directory */
	ck_assert_ptr_nonnull(strstr(c.token_file, tmpdir));
	ck_assert_ptr_nonnull(strstr(c.token_file, "/tok"));
	kft__k8s_config_free(&c);
	/* the namespace option beats the context's */
	ck_assert_kft_ok(kft__k8s_config_load(&c, NULL, "ctx-a", "override"));
	ck_assert_str_eq(c.ns, "override");
	kft__k8s_config_free(&c);
	free(a);
	free(b);
	free(list);
}
END_TEST

START_TEST(relative_paths_from_the_kubeconfig_dir)
{
	kft__k8s_config c;
	char *a = path("a.yaml"), *cwd = getcwd(NULL, 0);

	put("a.yaml", file_a);
	put("certs/ca.pem", "CA");
	ck_assert_int_eq(chdir("/"), 0);   /* not the kubeconfig's directory */
	ck_assert_kft_ok(kft__k8s_config_load(&c, a, "ctx-a", NULL));
	ck_assert_str_eq(c.ca, "CA");
	kft__k8s_config_free(&c);
	ck_assert_int_eq(chdir(cwd), 0);
	free(cwd);
	free(a);
}
END_TEST

START_TEST(errors_are_clear)
{
	kft__k8s_config c;
	char *a = path("a.yaml"), *bad = path("bad.yaml"), *missing = path("nope.yaml");

	put("a.yaml", file_a);
	put("bad.yaml", "clusters: [\n  - {name: x\n");
	ck_assert_kft_error(kft__k8s_config_load(&c, missing, NULL, NULL), KFT_ENOTFOUND,
	                    "no such file");
	ck_assert_kft_error(kft__k8s_config_load(&c, bad, NULL, NULL), KFT_EINVALID, "malformed");
	/* no current-context: the message lists the contexts */
	ck_assert_kft_error(kft__k8s_config_load(&c, a, NULL, NULL), KFT_EINVALID, "ctx-a");
	ck_assert_kft_error(kft__k8s_config_load(&c, a, "prod", NULL), KFT_ENOTFOUND,
	                    "context \"prod\" not found (known contexts: ctx-a)");
	put("nocluster.yaml", "contexts:\n- name: x\n  context: {cluster: gone, user: u}\n"
	    "current-context: x\n");
	free(bad);
	bad = path("nocluster.yaml");
	ck_assert_kft_error(kft__k8s_config_load(&c, bad, NULL, NULL), KFT_ENOTFOUND,
	                    "cluster \"gone\" not found");
	put("noserver.yaml", "clusters:\n- name: c\n  cluster: {}\ncontexts:\n"
	    "- name: x\n  context: {cluster: c}\ncurrent-context: x\n");
	free(bad);
	bad = path("noserver.yaml");
	ck_assert_kft_error(kft__k8s_config_load(&c, bad, NULL, NULL), KFT_EINVALID,
	                    "server is required");
	put("badb64.yaml", "clusters:\n- name: c\n  cluster: {server: https://x, "
	    "certificate-authority-data: '!!!'}\ncontexts:\n- name: x\n  context: {cluster: c}\n"
	    "current-context: x\n");
	free(bad);
	bad = path("badb64.yaml");
	ck_assert_kft_error(kft__k8s_config_load(&c, bad, NULL, NULL), KFT_EINVALID,
	                    "certificate-authority-data is not valid base64");
	/* KUBECONFIG naming only missing files */
	setenv("KUBECONFIG", missing, 1);
	ck_assert_kft_error(kft__k8s_config_load(&c, NULL, NULL, NULL), KFT_ENOTFOUND,
	                    "none of the files in $KUBECONFIG");
	unsetenv("KUBECONFIG");
	/* nothing at all */
	ck_assert_kft_error(kft__k8s_config_load(&c, NULL, NULL, NULL), KFT_ENOTFOUND,
	                    "no kubeconfig");
	free(a);
	free(bad);
	free(missing);
}
END_TEST

START_TEST(exec_plugin_config)
{
	kft__k8s_config c;
	char *p = path("e.yaml");

	put("e.yaml",
	    "clusters:\n- name: c\n  cluster: {server: https://x}\n"
	    "contexts:\n- name: x\n  context: {cluster: c, user: e}\ncurrent-context: x\n"
	    "users:\n- name: e\n  user:\n    exec:\n"
	    "      apiVersion: client.authentication.k8s.io/v1\n"
	    "      command: ./bin/get-token\n      args: [--cluster, c1]\n"
	    "      env: [{name: FOO, value: bar}]\n      provideClusterInfo: true\n"
	    "      interactiveMode: Never\n");
	ck_assert_kft_ok(kft__k8s_config_load(&c, p, NULL, NULL));
	ck_assert_int_eq(c.has_exec, 1);
	ck_assert_ptr_nonnull(strstr(c.exec.command, tmpdir));
	ck_assert_ptr_nonnull(strstr(c.exec.command, "/bin/get-token"));
	ck_assert_uint_eq(c.exec.args.n, 2);
	ck_assert_str_eq(c.exec.args.v[1], "c1");
	ck_assert_str_eq(c.exec.env.v[0], "FOO=bar");
	ck_assert_int_eq(c.exec.provide_cluster_info, 1);
	kft__k8s_config_free(&c);
	put("e.yaml",
	    "clusters:\n- name: c\n  cluster: {server: https://x}\n"
	    "contexts:\n- name: x\n  context: {cluster: c, user: e}\ncurrent-context: x\n"
	    "users:\n- name: e\n  user:\n    exec:\n"
	    "      apiVersion: client.authentication.k8s.io/v1alpha1\n      command: x\n");
	ck_assert_kft_error(kft__k8s_config_load(&c, p, NULL, NULL), KFT_EINVALID,
	                    "exec.apiVersion must be");
	free(p);
}
END_TEST

START_TEST(in_cluster_service_account)
{
	kft__k8s_config c;

	put("sa/token", "sa-token\n");
	put("sa/ca.crt", "SA-CA");
	put("sa/namespace", "ml-team\n");
	{
		char *sa = path("sa");

		setenv("KFT_K8S_SA_DIR", sa, 1);
		free(sa);
	}
	setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	ck_assert_kft_ok(kft__k8s_config_load(&c, NULL, NULL, NULL));
	ck_assert_int_eq(c.in_cluster, 1);
	ck_assert_str_eq(c.server, "https://10.0.0.1:443");
	ck_assert_str_eq(c.ns, "ml-team");
	ck_assert_str_eq(c.ca, "SA-CA");
	ck_assert_ptr_nonnull(strstr(c.token_file, "sa/token"));
	kft__k8s_config_free(&c);
	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	ck_assert_kft_ok(kft__k8s_config_load(&c, NULL, NULL, "other"));
	ck_assert_str_eq(c.server, "https://[fd00::1]:443");
	ck_assert_str_eq(c.ns, "other");
	kft__k8s_config_free(&c);
}
END_TEST

/* Render a parsed list as JSON (NULL on a parse error). */
static char *parse_render(const char *text, size_t chunk)
{
	kft_job_list_t *l = NULL;
	char *out = NULL;

	if (kft__k8s_parse_job_list(&l, text, strlen(text), chunk) < 0)
		return NULL;
	ck_assert_kft_ok(kft_job_list_render(&out, l, as_format(KFT_FORMAT_JSON)));
	kft_job_list_free(l);
	return out;
}

/*
 * The LIST parser streams: split at every byte it gives the same jobs as in one
 * piece, and every truncation or corruption is an error, never a crash.
 */
START_TEST(list_stream_parser)
{
	static const char body[] =
		"{\"apiVersion\":\"trainer.kubeflow.org/v1alpha1\",\"kind\":\"TrainJobList\","
		"\"metadata\":{\"resourceVersion\":\"12345\",\"remainingItemCount\":0},\"items\":["
		"{\"metadata\":{\"name\":\"a\",\"namespace\":\"ns\",\"creationTimestamp\":"
		"\"2026-11-29T08:00:00Z\",\"managedFields\":[{\"f:x\":{\"k:{\\\"a\\\":1}\":{}}}]},"
		"\"spec\":{\"runtimeRef\":{\"name\":\"torch-distributed\"},\"trainer\":{\"numNodes\":12,"
		"\"command\":[\"bash\",\"-c\",\"echo \\\"}]{[\\\" \\\\\\\\ done\"]}},"
		"\"status\":{\"conditions\":[{\"type\":\"Complete\",\"status\":\"True\","
		"\"reason\":\"AllJobsCompleted\",\"message\":\"ok \\u00e9\"}]}} , "
		"{\"metadata\":{\"name\":\"b\"},\"spec\":{\"trainer\":{\"numNodes\":\"3\"}},"
		"\"status\":{\"trainerStatus\":{\"progressPercentage\":5}}},"
		"{\"metadata\":{\"name\":\"c\"},\"spec\":{\"trainer\":{\"numNodes\":2.0}},\"status\":null}"
		"] ,\"extra\":[1,2,{\"x\":true}], \"n\": -12.5e3 }\n";
	char *whole = parse_render(body, sizeof(body)), *bad;
	size_t chunk, cut;

	ck_assert_ptr_nonnull(whole);
	ck_assert_ptr_nonnull(strstr(whole, "\"numNodes\": 12"));
	ck_assert_ptr_nonnull(strstr(whole, "\"numNodes\": 3"));
	ck_assert_ptr_nonnull(strstr(whole, "\"numNodes\": 2"));
	ck_assert_ptr_nonnull(strstr(whole, "\"message\": \"ok \xc3\xa9\""));
	ck_assert_ptr_nonnull(strstr(whole, "\"progressPercentage\": 5"));
	for (chunk = 1; chunk < sizeof(body); chunk++) {
		char *got = parse_render(body, chunk);

		ck_assert_msg(got != NULL, "chunk %zu: parse failed: %s", chunk, kft_error_last()->message);
		ck_assert_str_eq(got, whole);
		kft_free(got);
	}
	/* every truncation is an error */
	for (cut = 0; cut + 2 < sizeof(body); cut++) {
		char *t = strndup(body, cut);
		kft_job_list_t *l = NULL;

		ck_assert_msg(kft__k8s_parse_job_list(&l, t, cut, 7) < 0, "cut at %zu accepted", cut);
		ck_assert_ptr_null(l);
		free(t);
	}
	/* corruption */
	ck_assert_ptr_null(bad = parse_render("{\"items\":[{\"metadata\":{\"name\":\"a\"}}] x}", 3));
	ck_assert_ptr_nonnull(strstr(kft_error_last()->message, "not a JSON object"));
	ck_assert_ptr_null(parse_render("{\"items\":[{\"metadata\":{\"name\":\"a\"}} {}]}", 5));
	ck_assert_ptr_null(parse_render("{\"items\":[1,2]}", 5));
	ck_assert_ptr_null(parse_render("[]", 1));
	ck_assert_ptr_null(parse_render("{\"items\":[{\"metadata\":{\"name\":\"a\\q\"}}]}", 4));
	ck_assert_ptr_null(parse_render("{\"items\":[]} {}", 2));
	ck_assert_ptr_null(parse_render("{\"a\" 1}", 2));
	{   /* a 3 MiB item in 16 KiB pieces parses; one past 64 MiB is refused, not buffered on */
		size_t big = 3u << 20, huge = 70u << 20, k;
		char *t = malloc(huge + 200);
		kft_job_list_t *l = NULL;

		ck_assert_ptr_nonnull(t);
		k = (size_t)sprintf(t, "{\"items\":[{\"metadata\":{\"name\":\"big\"},\"spec\":{\"x\":\"");
		memset(t + k, '}', big);
		k += big;
		k += (size_t)sprintf(t + k, "\"}}]}");
		ck_assert_kft_ok(kft__k8s_parse_job_list(&l, t, k, 16384));
		ck_assert_uint_eq(kft_job_list_count(l), 1);
		kft_job_list_free(l);
		k = (size_t)sprintf(t, "{\"items\":[{\"metadata\":{\"name\":\"huge\"},\"x\":\"");
		memset(t + k, 'a', huge);
		k += huge;
		k += (size_t)sprintf(t + k, "\"}]}");
		ck_assert_kft_error(kft__k8s_parse_job_list(&l, t, k, 16384), KFT_ERROR, "64 MiB");
		ck_assert_ptr_null(l);
		free(t);
	}
	{   /* found by fuzz/list_stream: a condition that is a broken string made the walker
	     * step on from a NULL position (SIGSEGV in `kft list`); all refused cleanly */
		static const char *const hostile[] = {
			"{\"items\":[{\"metadata\":{\"name\":\"a\"},\"status\":{\"conditions\":[\"\0\0`"
			"\300\0\3\246\300x\"}]}}]}\n",
			"{\"items\":[{\"metadata\":{\"name\":\"a\"},\"status\":{\"conditions\":[\"x}]}}]}",
			"{\"items\":[{\"metadata\":{\"name\":\"a\"},\"status\":{\"conditions\":[{\"type\":"
			"[\"}]}]}}]}",
			"{\"items\":[{\"metadata\":{\"name\":[\"}}]}",
			"{\"items\":[{\"spec\":{\"trainer\":{\"numNodes\":[\"}}}]}",
		};
		static const size_t hostile_len[] = { 77, 0, 0, 0, 0 };
		size_t i;

		for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
			size_t len = hostile_len[i] ? hostile_len[i] : strlen(hostile[i]);

			for (chunk = 1; chunk <= len; chunk++) {
				kft_job_list_t *l = NULL;

				ck_assert_msg(kft__k8s_parse_job_list(&l, hostile[i], len, chunk) < 0,
				              "hostile %zu accepted", i);
				ck_assert_ptr_null(l);
			}
		}
	}
	/* what the stream skips is JSON too (found by fuzz/list_stream against cJSON) */
	ck_assert_ptr_null(parse_render("{\"kind\":bv1,\"items\":[]}", 3));
	ck_assert_ptr_null(parse_render("{\"items\":[{\"metadata\":{\"name\":\"a\"},\"x\":[1 2]}]}", 3));
	ck_assert_ptr_null(parse_render("{\"items\":[{\"metadata\":{\"name\":\"a\"},\"y\":{\"a\" 1}}]}", 3));
	ck_assert_ptr_null(parse_render("{\"items\":[{\"metadata\":{\"name\":\"a\"},\"z\":\"\\q\"}]}", 3));
	ck_assert_ptr_null(parse_render("{\"items\":[{\"metadata\":{\"name\":\"a\"},\"z\":}]}", 3));
	ck_assert_ptr_null(parse_render("{\"items\":[{\"metadata\":{\"name\":\"a\"},\"z\":[1,]}]}", 3));
	bad = parse_render("{\"items\":[]}", 1);   /* an empty list is fine */
	ck_assert_str_eq(bad, "[]\n");
	kft_free(bad);
	kft_free(whole);
}
END_TEST

START_TEST(rfc3339_times)
{
	ck_assert(kft__time_rfc3339_ms("1970-01-01T00:00:01Z") == 1000);
	ck_assert(kft__time_rfc3339_ms("1970-01-01T00:00:01.5Z") == 1500);
	ck_assert(kft__time_rfc3339_ms("1970-01-01T00:00:01.123456789Z") == 1123);
	ck_assert(kft__time_rfc3339_ms("1970-01-01T01:00:00+01:00") == 0);
	ck_assert(kft__time_rfc3339_ms("2026-11-29T08:00:00Z") == 1795939200000LL);
	ck_assert(kft__time_rfc3339_ms("yesterday") == 0);
	ck_assert(kft__time_rfc3339_ms(NULL) == 0);
	ck_assert(kft__time_rfc3339_ms("2000-02-29T23:59:59Z") == 951868799000LL);   /* leap day */
	ck_assert(kft__time_rfc3339_ms("2100-03-01t00:00:00z") == 4107542400000LL);
	ck_assert(kft__time_rfc3339_ms("1969-12-31T23:59:59Z") == -1000);
	ck_assert(kft__time_rfc3339_ms("2026-11-29T09:30:00-01:30") == 1795950000000LL);
	ck_assert(kft__time_rfc3339_ms("2026-11-29T08:00:00") == 1795939200000LL);
	ck_assert(kft__time_rfc3339_ms("2026-02-30T08:00:00Z") == 0);
	ck_assert(kft__time_rfc3339_ms("2026-13-01T08:00:00Z") == 0);
	ck_assert(kft__time_rfc3339_ms("2026-11-29T24:00:00Z") == 0);
	ck_assert(kft__time_rfc3339_ms("2026-11-29T08:00:00.Z") == 0);
	ck_assert(kft__time_rfc3339_ms("2026-11-29T08:00:00Zjunk") == 0);
	ck_assert(kft__time_rfc3339_ms("2026-11-29T08:00:00+25:00") == 0);
	ck_assert(kft__time_rfc3339_ms("2026-1x-29T08:00:00Z") == 0);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("kubernetes-config");
	TCase *tc = tcase_create("kubeconfig");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, merged_list_first_wins);
	tcase_add_test(tc, relative_paths_from_the_kubeconfig_dir);
	tcase_add_test(tc, errors_are_clear);
	tcase_add_test(tc, exec_plugin_config);
	tcase_add_test(tc, in_cluster_service_account);
	tcase_add_test(tc, rfc3339_times);
	tcase_add_test(tc, list_stream_parser);
	suite_add_tcase(s, tc);
	return s;
}

KFT_TEST_MAIN(make_suite)
