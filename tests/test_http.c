/*
 * The HTTP layer (lib/http.c) on its own, against a real server: a child
 * process on a unix socket that answers each connection with the next
 * scripted response and logs the requests it got. Request setup (method,
 * body, headers, the auth hook), the bounded body, sinks, Retry-After,
 * streams through the multi loop, and the one error mapping (transport,
 * status, a dialect hook).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "testutil.h"
#include "http.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64], sock[128], logpath[128];

static void mk_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/kft-http.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/s.sock", dir);
	snprintf(logpath, sizeof(logpath), "%s/requests", dir);
}

static void rm_dir(void)
{
	unlink(sock);
	unlink(logpath);
	rmdir(dir);
}

#define BIG "BIG"   /* a response: 200 with a body one byte over KFT__RESPONSE_MAX */

/* Read one request (head, then Content-Length bytes of body) and append it to the log. */
static void log_request(int c)
{
	char buf[65536];
	size_t len = 0;
	const char *end = NULL, *cl;
	size_t want = 0;
	FILE *f;

	while (len < sizeof(buf) - 1) {
		ssize_t r = read(c, buf + len, sizeof(buf) - 1 - len);

		if (r <= 0)
			break;
		len += (size_t)r;
		buf[len] = '\0';
		if (!end && (end = strstr(buf, "\r\n\r\n")) != NULL) {
			cl = strcasestr(buf, "\r\nContent-Length:");
			want = (size_t)(end + 4 - buf) + (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
		}
		if (end && len >= want)
			break;
	}
	if ((f = fopen(logpath, "a")) != NULL) {
		fwrite(buf, 1, len, f);
		fputs("\n----\n", f);
		fclose(f);
	}
}

/* A child answering connection i with responses[i], one request per connection. */
static pid_t serve(int *lfd, const char *const *responses, size_t n)
{
	pid_t pid;

	*lfd = unix_socket_at(sock, 1);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		size_t i;

		signal(SIGPIPE, SIG_IGN);   /* a client that stops reading */
		for (i = 0; i < n; i++) {
			int c = accept(*lfd, NULL, NULL);

			if (c < 0)
				_exit(1);
			log_request(c);
			if (!strcmp(responses[i], BIG)) {
				static char chunk[1 << 20];
				char head[128];
				size_t left = (size_t)KFT__RESPONSE_MAX + 1;
				int hn = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: "
				                  "%zu\r\nConnection: close\r\n\r\n", left);

				memset(chunk, 'x', sizeof(chunk));
				if (write(c, head, (size_t)hn) == hn)
					while (left > 0) {
						ssize_t w = write(c, chunk, left < sizeof(chunk) ?
						                  left : sizeof(chunk));

						if (w <= 0)
							break;
						left -= (size_t)w;
					}
			} else if (write(c, responses[i], strlen(responses[i])) < 0) {
				_exit(1);
			}
			close(c);
		}
		_exit(0);
	}
	return pid;
}

static void serve_end(pid_t pid, int lfd)
{
	int st;

	close(lfd);
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	unlink(sock);
}

/* A dialect: {"message": m, "reason": r, "code": n}; "teapot" makes it KFT_EUSER. */
static int test_dialect(kft__http_err *e, const char *body, size_t len, const char *method,
                        const char *what)
{
	cJSON *j = len ? cJSON_ParseWithLength(body, len) : NULL;
	const char *m = kft__json_str(j, "message"), *r = kft__json_str(j, "reason");

	(void)method;
	(void)what;
	if (m) {
		kft__buf_put_text(&e->message, m, (size_t)-1, NULL);
		if (strstr(m, "teapot"))
			e->code = KFT_EUSER;
	}
	if (r)
		kft__buf_puts(&e->reason, r);
	e->status = (long)kft__json_int(kft__json_get(j, "code"), LONG_MIN, LONG_MAX, e->status);
	cJSON_Delete(j);
	return 0;
}

static int auth_calls;

static int test_auth(CURL *h, struct curl_slist **hdrs, void *ud)
{
	(void)h;
	auth_calls++;
	return kft__http_add_bearer(hdrs, ud);
}

static kft__http *client(void)
{
	kft__http_opts o;
	kft__http *c = NULL;

	memset(&o, 0, sizeof(o));
	o.peer = "the test server at";
	o.klass = KFT_ERROR_CLASS_K8S;
	o.errbody = test_dialect;
	o.auth = test_auth;
	o.auth_ud = "s3cret";
	o.server = "http://localhost";
	o.unix_socket = sock;
	o.timeout_ms = 20000;
	ck_assert_kft_ok(kft__http_new(&c, &o));
	ck_assert_ptr_nonnull(strstr(kft__http_peer(c), "the test server at /tmp/kft-http."));
	return c;
}

START_TEST(escape_and_url)
{
	kft__buf b = KFT__BUF_INIT;
	kft__http_opts o;
	kft__http *c = NULL;
	char *u;

	ck_assert_kft_ok(kft__http_escape(&b, "a b/c:d@\xc3\xa9~_.-", 0));
	ck_assert_str_eq(b.ptr, "a%20b%2Fc%3Ad%40%C3%A9~_.-");
	kft__buf_clear(&b);
	ck_assert_kft_ok(kft__http_escape(&b, "a b/c:d@\xc3\xa9", 1));
	ck_assert_str_eq(b.ptr, "a%20b/c:d@%C3%A9");
	kft__buf_free(&b);

	memset(&o, 0, sizeof(o));
	o.peer = "the API server";
	o.server = "https://10.0.0.1:6443";
	ck_assert_kft_ok(kft__http_new(&c, &o));
	ck_assert_str_eq(kft__http_peer(c), "the API server https://10.0.0.1:6443");
	ck_assert_ptr_nonnull(u = kft__http_url(c, "/api/v1/pods?x=1"));
	ck_assert_str_eq(u, "https://10.0.0.1:6443/api/v1/pods?x=1");
	free(u);
	kft__http_free(c);
	/* tls-server-name: the URL names it (certificate check, SNI); CONNECT_TO goes to the address */
	o.tls_server_name = "kubernetes.default";
	ck_assert_kft_ok(kft__http_new(&c, &o));
	ck_assert_ptr_nonnull(u = kft__http_url(c, "/version"));
	ck_assert_str_eq(u, "https://kubernetes.default:6443/version");
	free(u);
	kft__http_free(c);
	kft__http_free(NULL);
}
END_TEST

START_TEST(status_mapping)
{
	static const struct { long status; int code; } table[] = {
		{ 404, KFT_ENOTFOUND }, { 409, KFT_EEXISTS }, { 401, KFT_EAUTH }, { 403, KFT_EAUTH },
		{ 400, KFT_EINVALID }, { 422, KFT_EINVALID }, { 429, KFT_EUNAVAILABLE },
		{ 500, KFT_EUNAVAILABLE }, { 503, KFT_EUNAVAILABLE }, { 410, KFT_ERROR },
		{ 302, KFT_ERROR }, { 501, KFT_ERROR },
	};
	char big[300];
	const kft_error_t *e;
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		ck_assert_msg(kft__http_code(table[i].status) == table[i].code, "status %ld",
		              table[i].status);
	/* no dialect, or one that says nothing: the generic text, control characters replaced
	 * (kft__buf_put_textn: escapes as ?, line breaks as spaces) */
	ck_assert_int_eq(kft__http_status_error(KFT_ERROR_CLASS_CONTAINER, NULL, 502,
	                                        "\x1b[31mbad\ngateway", 16, "GET", "/x"),
	                 KFT_EUNAVAILABLE);
	e = kft_error_last();
	ck_assert_str_eq(e->message, "HTTP 502 from GET /x: ?[31mbad gateway");
	ck_assert_int_eq(e->klass, KFT_ERROR_CLASS_CONTAINER);
	ck_assert_int_eq(e->http_status, 502);
	ck_assert_ptr_null(e->reason);
	memset(big, 'y', sizeof(big));
	ck_assert_int_eq(kft__http_status_error(KFT_ERROR_CLASS_K8S, test_dialect, 404, big,
	                                        sizeof(big), "DELETE", "/y"), KFT_ENOTFOUND);
	ck_assert_int_eq((int)strlen(kft_error_last()->message),
	                 (int)strlen("HTTP 404 from DELETE /y: ") + 200 + 3);   /* cut, "..." */
	ck_assert_int_eq(kft__http_status_error(KFT_ERROR_CLASS_K8S, test_dialect, 409, "", 0,
	                                        "POST", "/z"), KFT_EEXISTS);
	ck_assert_str_eq(kft_error_last()->message, "HTTP 409 from POST /z");
	/* the dialect's words, reason, code (a body's code in 100..999 wins) and refinement */
	ck_assert_int_eq(kft__http_status_error(KFT_ERROR_CLASS_K8S, test_dialect, 500,
	                 "{\"message\":\"I am a teapot\\u001b\",\"reason\":\"Teapot\",\"code\":418}",
	                 63, "GET", "/t"), KFT_EUSER);
	e = kft_error_last();
	ck_assert_str_eq(e->message, "I am a teapot?");
	ck_assert_str_eq(e->reason, "Teapot");
	ck_assert_int_eq(e->http_status, 418);
	ck_assert_int_eq(e->klass, KFT_ERROR_CLASS_K8S);
	ck_assert_int_eq(kft__http_status_error(KFT_ERROR_CLASS_K8S, test_dialect, 403,
	                 "{\"message\":\"no\",\"code\":7}", 24, "GET", "/t"), KFT_EAUTH);
	ck_assert_int_eq(kft_error_last()->http_status, 403);
}
END_TEST

static int refuse_sink(const char *data, size_t len, void *ud)
{
	(void)data;
	(void)len;
	(void)ud;
	return -42;
}

static void saw_header(const char *line, size_t len, void *ud)
{
	if (len > 9 && !strncmp(line, "X-Hello: ", 9))
		*(int *)ud = 1;
}

START_TEST(unary_requests)
{
	static const char *const script[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nRetry-After: 7\r\nX-Hello: yes\r\n"
		"Connection: close\r\n\r\nok",
		"HTTP/1.1 404 Not Found\r\nContent-Length: 26\r\nConnection: close\r\n\r\n"
		"{\"message\":\"no such one\"}\n",
		"HTTP/1.1 500 Oops\r\nContent-Length: 6\r\nConnection: close\r\n\r\n\x1b oops",
		BIG,
		"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nabcdef",
	};
	kft__buf resp = KFT__BUF_INIT;
	kft__http_req r;
	kft__http_res res;
	kft__http *c;
	char *log = NULL, *second;
	size_t len;
	int lfd, hello = 0;
	pid_t pid;

	mk_dir();
	pid = serve(&lfd, script, 5);
	c = client();
	auth_calls = 0;
	/* a POST with a body: its headers, the hook's, Retry-After, every header line */
	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.path = "/v1/things?x=%20";
	r.body = "{\"a\":1}";
	r.on_header = saw_header;
	r.header_ud = &hello;
	ck_assert_kft_ok(kft__http_perform(&resp, &res, c, &r));
	ck_assert_int_eq(res.curl, CURLE_OK);
	ck_assert_int_eq(res.status, 200);
	ck_assert_int_eq(res.retry_after_s, 7);
	ck_assert_int_eq(hello, 1);
	ck_assert_int_eq((int)resp.len, 2);
	ck_assert_int_eq(memcmp(resp.ptr, "ok", 2), 0);
	ck_assert_kft_ok(kft__http_result_error(c, &res, &resp, "POST", "/v1/things"));
	/* 404: the dialect's message, the status' code */
	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.path = "/v1/missing";
	ck_assert_kft_ok(kft__http_perform(&resp, &res, c, &r));
	ck_assert_int_eq(res.status, 404);
	ck_assert_int_eq(res.retry_after_s, -1);
	ck_assert_kft_error(kft__http_result_error(c, &res, &resp, "GET", "/v1/missing"),
	                    KFT_ENOTFOUND, "no such one");
	ck_assert_int_eq(kft_error_last()->http_status, 404);
	/* a DELETE without a body; a text answer */
	r.method = "DELETE";
	r.path = "/v1/things/a";
	ck_assert_kft_ok(kft__http_perform(&resp, &res, c, &r));
	ck_assert_kft_error(kft__http_result_error(c, &res, &resp, "DELETE", "/v1/things/a"),
	                    KFT_EUNAVAILABLE, "HTTP 500 from DELETE /v1/things/a: ? oops");
	/* one byte over the limit: an error, never unbounded memory */
	r.method = "GET";
	r.path = "/v1/big";
	ck_assert_kft_error(kft__http_perform(&resp, &res, c, &r), KFT_ERROR,
	                    "the test server at");
	ck_assert_ptr_nonnull(strstr(kft_error_last()->message, "more than 64 MiB"));
	ck_assert_int_eq(kft_error_last()->klass, KFT_ERROR_CLASS_PARSE);
	/* a sink's negative return stops the transfer and is returned */
	r.sink = refuse_sink;
	ck_assert_int_eq(kft__http_perform(&resp, &res, c, &r), -42);
	ck_assert_int_eq(auth_calls, 5);
	serve_end(pid, lfd);

	ck_assert_kft_ok(kft__read_file(&log, &len, logpath));
	ck_assert_ptr_nonnull(strstr(log, "POST /v1/things?x=%20 HTTP/1.1\r\n"));
	ck_assert_ptr_nonnull(strstr(log, "Content-Type: application/json\r\n"));
	ck_assert_ptr_nonnull(strstr(log, "Content-Length: 7\r\n"));
	ck_assert_ptr_nonnull(strstr(log, "\r\n\r\n{\"a\":1}\n----\n"));
	ck_assert_ptr_null(strstr(log, "Expect:"));
	ck_assert_ptr_nonnull(second = strstr(log, "GET /v1/missing HTTP/1.1\r\n"));
	ck_assert_ptr_null(strstr(second, "Content-Type:"));   /* no body, no type */
	ck_assert_ptr_nonnull(strstr(second, "Accept: application/json\r\n"));
	ck_assert_ptr_nonnull(strstr(second, "Authorization: Bearer s3cret\r\n"));
	ck_assert_ptr_nonnull(strstr(log, "DELETE /v1/things/a HTTP/1.1\r\n"));
	free(log);

	/* nothing listening: a transport error of class HTTP, naming the peer and why */
	close(unix_socket_at(sock, 0));
	r.sink = NULL;
	ck_assert_kft_ok(kft__http_perform(&resp, &res, c, &r));
	ck_assert_int_eq(res.curl, CURLE_COULDNT_CONNECT);
	ck_assert_int_eq(res.status, 0);
	ck_assert_kft_error(kft__http_result_error(c, &res, &resp, "GET", "/v1/big"),
	                    KFT_EUNAVAILABLE, "cannot reach the test server at ");
	ck_assert_ptr_nonnull(strstr(kft_error_last()->message, "s.sock: Connection refused"));
	ck_assert_int_eq(kft_error_last()->klass, KFT_ERROR_CLASS_HTTP);
	kft__buf_free(&resp);
	kft__http_free(c);
	rm_dir();
}
END_TEST

static int collect(const char *data, size_t len, void *ud)
{
	return kft__buf_put(ud, data, len);
}

static void count_done(kft__http_stream *s, void *payload)
{
	ck_assert_int_eq(s->done, 1);
	(*(int *)payload)++;
}

START_TEST(streams)
{
	static const char *const script[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: 12\r\nConnection: close\r\n\r\nline1\nline2\n",
		"HTTP/1.1 403 Forbidden\r\nContent-Length: 21\r\nConnection: close\r\n\r\n"
		"{\"message\":\"denied\"}\n",
	};
	kft__http_stream a, b;
	kft__buf got = KFT__BUF_INIT, junk = KFT__BUF_INIT;
	kft__http_req r;
	kft__http *c;
	CURLM *m;
	int lfd, ended = 0;
	int64_t until;
	pid_t pid;

	mk_dir();
	pid = serve(&lfd, script, 2);
	c = client();
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.path = "/watch";
	r.sink = collect;
	r.sink_ud = &got;
	ck_assert_kft_ok(kft__http_stream_open(&a, c, &r));
	r.path = "/denied";
	r.sink_ud = &junk;
	ck_assert_kft_ok(kft__http_stream_open(&b, c, &r));
	ck_assert_ptr_nonnull(m = curl_multi_init());
	ck_assert_int_eq(curl_multi_add_handle(m, a.h), CURLM_OK);
	ck_assert_int_eq(curl_multi_add_handle(m, b.h), CURLM_OK);
	until = kft__mono_ms() + 30000;   /* generous: the machine may be busy */
	while (ended < 2 && kft__mono_ms() < until) {
		ck_assert_kft_ok(kft__http_multi_step(m, count_done, &ended));
		if (ended < 2)
			ck_assert_kft_ok(kft__http_multi_wait(m, 1000));
	}
	ck_assert_int_eq(ended, 2);
	ck_assert_int_eq(a.res.status, 200);
	ck_assert_int_eq((int)got.len, 12);
	ck_assert_int_eq(memcmp(got.ptr, "line1\nline2\n", 12), 0);
	ck_assert_kft_ok(kft__http_stream_error(&a));
	ck_assert_int_eq(b.res.status, 403);
	ck_assert_int_eq((int)junk.len, 0);   /* an error body is not data */
	ck_assert_kft_error(kft__http_stream_error(&b), KFT_EAUTH, "denied");
	ck_assert_int_eq(kft__http_requests(c), 2);
	curl_multi_remove_handle(m, a.h);
	curl_multi_remove_handle(m, b.h);
	curl_multi_cleanup(m);
	kft__http_stream_close(&a);
	kft__http_stream_close(&b);
	kft__http_stream_close(&b);   /* twice: harmless */
	kft__buf_free(&got);
	kft__buf_free(&junk);
	kft__http_free(c);
	serve_end(pid, lfd);
	rm_dir();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("http");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, escape_and_url);
	tcase_add_test(tc, status_mapping);
	tcase_add_test(tc, unary_requests);
	tcase_add_test(tc, streams);
	suite_add_tcase(s, tc);
	return s;
}

KFT_TEST_MAIN(suite)
