/*
 * The dashboard (lib/dashboard*.c): escaping of hostile text (HTML, JSON, Prometheus
 * labels), the address and token rules, and a real server in this process (run on a
 * thread, stopped by kft_dashboard_stop) answering over HTTP: pages, Host check, CSRF.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "testutil.h"
#include "dash.h"

#include <curl/curl.h>
#include <pthread.h>

static char *html(const char *s, size_t n)
{
	kft__buf b = KFT__BUF_INIT;

	kft__dash_put_html(&b, s, n);
	return kft__buf_detach(&b);
}

START_TEST(escape_html)
{
	static const struct { const char *in; size_t n; const char *out; } cases[] = {
		{ "<script>alert(\"x\")</script>", 0,
		  "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" },
		{ "a'b&c", 0, "a&#39;b&amp;c" },
		{ "tab\tnl\n", 0, "tab\tnl\n" },
		{ "bell\a", 0, "bell\xef\xbf\xbd" },
		{ "\xff\xfe", 0, "\xef\xbf\xbd\xef\xbf\xbd" },           /* not UTF-8 */
		{ "\xc0\xaf", 0, "\xef\xbf\xbd\xef\xbf\xbd" },           /* overlong '/' */
		{ "\xed\xa0\x80", 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* a surrogate */
		{ "cut \xe2\x82", 0, "cut \xef\xbf\xbd\xef\xbf\xbd" },   /* truncated */
		{ "\xe2\x82\xac \xf0\x9f\x98\x80", 0, "\xe2\x82\xac \xf0\x9f\x98\x80" }, /* kept */
		{ "nul\0after", 9, "nul\xef\xbf\xbd" "after" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *o = html(cases[i].in, cases[i].n ? cases[i].n : strlen(cases[i].in));

		ck_assert_msg(o && !strcmp(o, cases[i].out), "case %zu: got \"%s\"", i, o);
		free(o);
	}
}
END_TEST

START_TEST(escape_json_and_labels)
{
	kft__buf b = KFT__BUF_INIT;
	const char *s = "q\"b\\n\n</script>\xff";

	kft__dash_put_json(&b, s, strlen(s));
	ck_assert_str_eq(b.ptr, "\"q\\\"b\\\\n\\n\\u003c/script>\\ufffd\"");
	kft__buf_clear(&b);
	kft__dash_put_prom_label(&b, "a\"b\\c\nd\xff");
	ck_assert_str_eq(b.ptr, "\"a\\\"b\\\\c\\nd\xef\xbf\xbd\"");
	kft__buf_clear(&b);
	{
		char big[2000];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		kft__dash_put_prom_label(&b, big);
		ck_assert_uint_eq(b.len, 256 + 2);   /* bounded, quotes included */
	}
	kft__buf_clear(&b);
	kft__dash_put_duration(&b, 3725);
	ck_assert_str_eq(b.ptr, "1h 2m");
	kft__buf_free(&b);
}
END_TEST

static int refused(const char *listen, const char *token, int want, const char *words)
{
	kft_dashboard_opts_t o = KFT_DASHBOARD_OPTS_INIT;
	kft_dashboard_t *d = (kft_dashboard_t *)1;
	int rc;

	o.listen = listen;
	o.token = token;
	rc = kft_dashboard_new(&d, NULL, &o);
	ck_assert_msg(rc == want, "%s: got %d", listen, rc);
	ck_assert_ptr_null(d);
	ck_assert_msg(strstr(kft_error_last()->message, words), "%s: \"%s\"", listen,
	              kft_error_last()->message);
	return 0;
}

START_TEST(address_and_token_rules)
{
	kft_dashboard_opts_t o;

	unsetenv("KFT_DASHBOARD_TOKEN");
	refused("0.0.0.0:0", NULL, KFT_EINVALID, "a token is required");
	refused("[::]:0", NULL, KFT_EINVALID, "not a loopback address");
	refused("nohost", NULL, KFT_EINVALID, "expected HOST:PORT");
	refused("127.0.0.1:65536", NULL, KFT_EINVALID, "0-65535");
	refused("127.0.0.1:8x", NULL, KFT_EINVALID, "expected HOST:PORT");
	refused("[::1", NULL, KFT_EINVALID, "expected HOST:PORT");
	refused("127.0.0.1:0", "short", KFT_EINVALID, "16 to 256");
	refused("127.0.0.1:0", "has space in the token 123", KFT_EINVALID, "16 to 256");
	ck_assert_int_eq(kft_dashboard_opts_init(&o, 99), KFT_EVERSION);
	ck_assert_int_eq(kft_dashboard_opts_init(&o, KFT_DASHBOARD_OPTS_VERSION), 0);
	ck_assert_ptr_null(o.listen);
	kft_dashboard_free(NULL);
	kft_dashboard_stop(NULL);
	ck_assert_ptr_null(kft_dashboard_url(NULL));
}
END_TEST

typedef struct {
	kft__buf body;
	long code;
} reply;

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
	kft__buf_put(&((reply *)ud)->body, p, sz * n);
	return sz * n;
}

static void fetch(reply *r, const char *url, const char *host, const char *post)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char hdr[128];

	ck_assert_ptr_nonnull(c);
	kft__buf_clear(&r->body);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	if (host) {
		snprintf(hdr, sizeof(hdr), "Host: %s", host);
		h = curl_slist_append(h, hdr);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	}
	if (post)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
	ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->code);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
}

static void *runner(void *arg)
{
	return (void *)(intptr_t)kft_dashboard_run(arg);
}

START_TEST(serves_and_stops)
{
	char dir[] = "/tmp/kft-test-dash.XXXXXX", url[256];
	kft_client_opts_t co = KFT_CLIENT_OPTS_INIT;
	kft_dashboard_opts_t o = KFT_DASHBOARD_OPTS_INIT;
	kft_dashboard_t *d = NULL;
	reply r = { KFT__BUF_INIT, 0 };
	pthread_t t;
	void *rc;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	co.backend = "local";
	co.state_dir = dir;
	o.listen = "127.0.0.1:0";
	o.poll_ms = 50;
	ck_assert_int_eq(kft_dashboard_new(&d, &co, &o), 0);
	ck_assert(kft__has_prefix(kft_dashboard_url(d), "http://127.0.0.1:"));
	ck_assert_int_eq(pthread_create(&t, NULL, runner, d), 0);

	fetch(&r, kft_dashboard_url(d), NULL, NULL);
	ck_assert_int_eq(r.code, 200);
	ck_assert_ptr_nonnull(strstr(r.body.ptr, "No jobs yet"));
	snprintf(url, sizeof(url), "%smetrics", kft_dashboard_url(d));
	fetch(&r, url, NULL, NULL);
	ck_assert_int_eq(r.code, 200);
	ck_assert_ptr_nonnull(strstr(r.body.ptr, "# TYPE kft_jobs gauge"));
	fetch(&r, kft_dashboard_url(d), "attacker.example", NULL);
	ck_assert_int_eq(r.code, 403);
	snprintf(url, sizeof(url), "%sjobs/x/delete", kft_dashboard_url(d));
	fetch(&r, url, NULL, "csrf=0123&confirm=1");
	ck_assert_int_eq(r.code, 403);
	snprintf(url, sizeof(url), "%sjobs/nope", kft_dashboard_url(d));
	fetch(&r, url, NULL, NULL);
	ck_assert_int_eq(r.code, 404);
	snprintf(url, sizeof(url), "%sstatic/app.js", kft_dashboard_url(d));
	fetch(&r, url, NULL, NULL);
	ck_assert_int_eq(r.code, 200);
	ck_assert_ptr_nonnull(strstr(r.body.ptr, "EventSource"));

	kft_dashboard_stop(d);
	ck_assert_int_eq(pthread_join(t, &rc), 0);
	ck_assert_int_eq((int)(intptr_t)rc, 0);
	kft_dashboard_free(d);
	kft__buf_free(&r.body);
	kft__remove_tree(dir);
}
END_TEST

static Suite *dashboard_suite(void)
{
	Suite *s = suite_create("dashboard");
	TCase *tc = tcase_create("dashboard");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, escape_html);
	tcase_add_test(tc, escape_json_and_labels);
	tcase_add_test(tc, address_and_token_rules);
	tcase_add_test(tc, serves_and_stops);
	suite_add_tcase(s, tc);
	return s;
}

KFT_TEST_MAIN(dashboard_suite)
