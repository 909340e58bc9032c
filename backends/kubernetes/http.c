/*
 * The kubernetes REST client over the HTTP layer (lib/http.c), which owns the
 * connection (one reused handle, streams sharing its connections and TLS
 * sessions), TLS and request setup. What is Kubernetes' is here: credentials
 * on every request (auth.c), the Status error body, the retry policy (backoff
 * and jitter on 429 with Retry-After honoured, on 5xx and connection errors for
 * idempotent requests only; one credential refresh after a 401) and the line
 * framing of watch and log streams.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "k8s.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ATTEMPTS 5
#define DEFAULT_TIMEOUT_MS 60000
#define CONNECT_TIMEOUT_MS 10000

struct kft__k8s_streams {
	kft__k8s *k;
	CURLM *m;
	kft__k8s_stream **list;
	size_t n, cap;
	int ended;             /* a stream ended in this step */
};

/* The HTTP layer's auth hook: fresh credentials on every request. */
static int apply_auth(CURL *h, struct curl_slist **hdrs, void *ud)
{
	kft__k8s *k = ud;
	int error;

	if ((error = kft__k8s_auth_refresh(k, 0)) < 0)
		return error;
	return kft__k8s_auth_apply(k, h, hdrs);
}

/*
 * A Kubernetes error body: a Status (message, reason, code, details.causes),
 * copied in the API server's own words.
 */
static int status_body(kft__http_err *e, const char *body, size_t len, const char *method,
                       const char *what)
{
	cJSON *doc = len ? cJSON_ParseWithLength(body, len) : NULL;
	const char *msg, *reason;
	const cJSON *causes, *c;

	(void)method;
	(void)what;
	if (!doc || !kft__streq(kft__json_str(doc, "kind"), "Status")) {
		cJSON_Delete(doc);
		return 0;   /* not a Status: the generic text */
	}
	msg = kft__json_str(doc, "message");
	reason = kft__json_str(doc, "reason");
	causes = kft__json_path(doc, "details.causes");
	e->status = (long)kft__json_int(kft__json_get(doc, "code"), LONG_MIN, LONG_MAX, e->status);
	if (reason && strspn(reason, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                    "0123456789") != strlen(reason))
		reason = NULL;   /* a reason is a CamelCase word (StatusReason) */
	if (e->status == 409 && kft__streq(reason, "Conflict"))
		e->code = KFT_ERROR;   /* an update conflict, not a name clash */
	if (reason)
		kft__buf_puts(&e->reason, reason);
	kft__buf_put_text(&e->message, msg && *msg ? msg : (reason ? reason : "(no message)"),
	                  (size_t)-1, NULL);
	cJSON_ArrayForEach(c, causes) {
		const char *f = kft__json_str(c, "field"), *m = kft__json_str(c, "message");

		if (!m || (msg && strstr(msg, m)))
			continue;   /* already in the message */
		kft__buf_puts(&e->message, "; ");
		kft__buf_put_text(&e->message, f ? f : "", (size_t)-1, NULL);
		kft__buf_puts(&e->message, f ? ": " : "");
		kft__buf_put_text(&e->message, m, (size_t)-1, NULL);
		if (e->message.len > 2000)
			break;   /* a message, not a dump: the error keeps 4 KiB */
	}
	cJSON_Delete(doc);
	return e->message.oom || e->reason.oom ? KFT_ENOMEM : 0;
}

int kft__k8s_status_error(long http, const char *body, size_t len, const char *method,
                          const char *url)
{
	return kft__http_status_error(KFT_ERROR_CLASS_K8S, status_body, http, body, len, method, url);
}

/* A NotFound (404) Kubernetes Status that the backend concluded itself. */
int kft__k8s_not_found(const char *message)
{
	return kft__error_set_http(KFT_ENOTFOUND, KFT_ERROR_CLASS_K8S, 404, "NotFound", message);
}

/* ---- setup ---- */

int kft__k8s_init(kft__k8s *k, int64_t timeout_ms)
{
	const kft__k8s_config *c = &k->cfg;
	kft__http_opts o;

	memset(&o, 0, sizeof(o));
	k->timeout_ms = timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS;
	o.peer = "the API server";
	o.klass = KFT_ERROR_CLASS_K8S;
	o.errbody = status_body;
	o.auth = apply_auth;
	o.auth_ud = k;
	o.server = c->server;
	o.ca = c->ca;
	o.ca_len = c->ca_len;
	o.ca_desc = "the cluster's certificate-authority";
	o.insecure = c->insecure;
	o.cert = c->cert;   /* used when both are there */
	o.cert_len = c->cert_len;
	o.key = c->key;
	o.key_len = c->key_len;
	o.tls_server_name = c->tls_server_name;
	o.proxy = c->proxy_url;
	/* gzip & co. over a network; identity to a loopback server unless the kubeconfig's
	 * disable-compression says either way */
	o.compression = c->compression;
	o.timeout_ms = k->timeout_ms;
	o.connect_timeout_ms = CONNECT_TIMEOUT_MS;
	return kft__http_new(&k->http, &o);
}

void kft__k8s_cleanup(kft__k8s *k)
{
	kft__http_free(k->http);
	k->http = NULL;
	if (k->token)
		explicit_bzero(k->token, strlen(k->token));
	free(k->token);
	free(k->exec_cert);
	if (k->exec_key)
		explicit_bzero(k->exec_key, strlen(k->exec_key));
	free(k->exec_key);
	free(k->trainer_version);
	kft__k8s_config_free(&k->cfg);
	k->token = k->exec_cert = k->exec_key = k->trainer_version = NULL;
}

char *kft__k8s_url(const kft__k8s *k, const char *path)
{
	return kft__http_url(k->http, path);
}

char *kft__k8s_escape(const kft__k8s *k, const char *s)
{
	kft__buf b = KFT__BUF_INIT;

	(void)k;
	if (kft__http_escape(&b, s, 0) < 0) {
		kft__buf_free(&b);
		return NULL;
	}
	return kft__buf_detach(&b);   /* "" for "" */
}

/* ---- unary requests: the retry policy ---- */

static int retryable_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT: case CURLE_COULDNT_RESOLVE_HOST: case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR: case CURLE_GOT_NOTHING: case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2: case CURLE_HTTP2_STREAM: case CURLE_SSL_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

static void sleep_ms(int64_t ms)
{
	if (ms > 0)
		poll(NULL, 0, (int)ms);
}

static int64_t backoff_ms(int attempt)
{
	unsigned char r[2] = { 0, 0 };
	int64_t base = 100LL << (attempt < 6 ? attempt : 6);   /* 100, 200, 400 ... */

	if (base > 3000)
		base = 3000;
	kft__random_bytes(r, sizeof(r));
	return base / 2 + (int64_t)(((unsigned)r[0] << 8 | r[1]) % (unsigned)(base + 1));
}

/* Retry-After when the server said (at most 30 s), else backoff. */
static int64_t retry_wait_ms(const kft__http_res *res, int attempt)
{
	if (res->retry_after_s >= 0)
		return res->retry_after_s > 30 ? 30000 : res->retry_after_s * 1000;
	return backoff_ms(attempt);
}

static int request(kft__buf *resp, long *status, kft__k8s *k, const kft__k8s_req *r,
                   kft__k8s_sink sink, void *sink_ud)
{
	kft__http_req hr;
	kft__http_res res;
	char *url = NULL;
	int attempt, refreshed = 0, error = 0;
	int64_t deadline = kft__mono_ms() + k->timeout_ms * 2;

	if (status)
		*status = 0;
	memset(&hr, 0, sizeof(hr));
	hr.method = r->method;
	hr.path = r->path;
	hr.body = r->body;
	hr.content_type = r->content_type;
	hr.low_speed_s = 30;
	hr.sink = sink;
	hr.sink_ud = sink_ud;
	for (attempt = 0; ; attempt++) {
		int64_t wait_ms = -1;

		if (sink && (error = sink(NULL, 0, sink_ud)) < 0)   /* (re)start */
			break;
		if ((error = kft__http_perform(resp, &res, k->http, &hr)) < 0)
			break;
		if (res.curl != CURLE_OK) {
			if (r->idempotent && retryable_curl(res.curl) && attempt + 1 < MAX_ATTEMPTS) {
				wait_ms = backoff_ms(attempt);
			} else {
				error = kft__http_transport_error(k->http, &res);
				break;
			}
		} else if (res.status == 401 && !refreshed && kft__k8s_auth_refreshable(k)) {
			refreshed = 1;
			kft__log(KFT_DIAG_DEBUG, "401 Unauthorized: refreshing the credentials");
			if ((error = kft__k8s_auth_refresh(k, 1)) < 0)
				break;
			attempt--;   /* a refresh is not a retry */
			continue;
		} else if (res.status == 429 && attempt + 1 < MAX_ATTEMPTS) {
			wait_ms = retry_wait_ms(&res, attempt);
		} else if ((res.status == 500 || res.status == 502 || res.status == 503 ||
		            res.status == 504) && r->idempotent && attempt + 1 < MAX_ATTEMPTS) {
			wait_ms = retry_wait_ms(&res, attempt);
		} else {
			break;
		}
		if (kft__mono_ms() + wait_ms > deadline)
			break;
		kft__log(KFT_DIAG_DEBUG, "retrying %s %s in %lld ms", r->method, r->path,
		         (long long)wait_ms);
		sleep_ms(wait_ms);
	}
	if (error == 0) {
		if (status)
			*status = res.curl == CURLE_OK ? res.status : 0;
		if (res.curl != CURLE_OK || res.status < 200 || res.status >= 300) {
			if ((url = kft__k8s_url(k, r->path)) == NULL)
				return kft__error_oom();
			error = kft__http_result_error(k->http, &res, resp, r->method, url);
		}
	}
	free(url);
	return error;
}

int kft__k8s_request(kft__buf *resp, long *status, kft__k8s *k, const kft__k8s_req *r)
{
	return request(resp, status, k, r, NULL, NULL);
}

int kft__k8s_request_stream(long *status, kft__k8s *k, const kft__k8s_req *r,
                            kft__k8s_sink sink, void *ud)
{
	kft__buf errbody = KFT__BUF_INIT;
	int error = request(&errbody, status, k, r, sink, ud);

	kft__buf_free(&errbody);
	return error;
}

int kft__k8s_request_json(cJSON **out, long *status, kft__k8s *k, const kft__k8s_req *r)
{
	kft__buf b = KFT__BUF_INIT;
	int error;

	*out = NULL;
	if ((error = kft__k8s_request(&b, status, k, r)) == 0) {
		*out = b.len ? cJSON_ParseWithLength(b.ptr, b.len) : NULL;
		if (!*out || !cJSON_IsObject(*out)) {
			kft__buf m = KFT__BUF_INIT;

			cJSON_Delete(*out);
			*out = NULL;
			kft__buf_printf(&m, "the API server sent a response that is not a JSON object "
			                "(%s %s): ", r->method, r->path);
			kft__buf_put_textn(&m, b.ptr ? b.ptr : "", b.len, 200, NULL);
			error = kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_PARSE, "%s",
			                       m.ptr ? m.ptr : "invalid JSON");
			kft__buf_free(&m);
		}
	}
	kft__buf_free(&b);
	return error;
}

/* ---- streams ---- */

static int line_too_long(kft__k8s_stream *s)
{
	kft__buf_free(&s->line);
	s->error = kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_PARSE,
	                          "%s: the API server sent a line of more than %d MiB; a "
	                          "Kubernetes object is at most a few MiB",
	                          s->req.what ? s->req.what : "stream", KFT__K8S_LINE_MAX >> 20);
	free(s->err_msg);
	s->err_msg = kft__strdup(kft_error_last()->message);
	return -1;
}

int kft__k8s_stream_feed(kft__k8s_stream *s, const char *ptr, size_t n)
{
	size_t start = 0, i;

	if (s->stop || s->error)
		return -1;
	/* O(n) framing: scan only the new bytes */
	for (i = 0; i < n; i++) {
		int rc;

		if (ptr[i] != '\n')
			continue;
		if (s->line.len + (i - start) > KFT__K8S_LINE_MAX)
			return line_too_long(s);
		if (s->line.len) {
			if (kft__buf_put(&s->line, ptr + start, i - start) < 0)
				return -1;
			rc = s->on_line(s->line.ptr, s->line.len, s->payload);
			kft__buf_clear(&s->line);
		} else {
			rc = s->on_line(ptr + start, i - start, s->payload);
		}
		s->lines++;
		if (rc) {
			s->stop = 1;
			s->cb_ret = rc;
			return -1;
		}
		start = i + 1;
	}
	if (start < n && s->line.len + (n - start) > KFT__K8S_LINE_MAX)
		return line_too_long(s);
	if (start < n && kft__buf_put(&s->line, ptr + start, n - start) < 0)
		return -1;
	return 0;
}

/* The layer's sink for a 2xx stream body: lines to on_line. */
static int feed(const char *data, size_t len, void *ud)
{
	return kft__k8s_stream_feed(ud, data, len);
}

int kft__k8s_streams_new(kft__k8s_streams **out, kft__k8s *k)
{
	kft__k8s_streams *ss = kft__calloc(1, sizeof(*ss));

	KFT_CHECK_ALLOC(ss);
	ss->k = k;
	if ((ss->m = curl_multi_init()) == NULL) {
		free(ss);
		return kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_HTTP, "cannot create a curl multi handle");
	}
	*out = ss;
	return 0;
}

int kft__k8s_stream_start(kft__k8s_streams *ss, kft__k8s_stream *s)
{
	kft__http_req r;
	int error;

	s->status = 0;
	s->done = s->stop = s->cb_ret = 0;
	s->error = 0;
	memset(&r, 0, sizeof(r));
	r.method = s->req.method;
	r.path = s->req.path;
	r.body = s->req.body;
	r.content_type = s->req.content_type;
	r.sink = feed;
	r.sink_ud = s;
	s->hs.owner = s;
	if ((error = kft__http_stream_open(&s->hs, ss->k->http, &r)) < 0)
		return error;
	if (ss->n == ss->cap) {
		kft__k8s_stream **nl = kft__realloc(ss->list, (ss->cap ? ss->cap * 2 : 4) * sizeof(*nl));

		if (!nl)
			return kft__error_oom();
		ss->list = nl;
		ss->cap = ss->cap ? ss->cap * 2 : 4;
	}
	if (curl_multi_add_handle(ss->m, s->hs.h) != CURLM_OK)
		return kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_HTTP, "cannot start a stream");
	ss->list[ss->n++] = s;
	return 0;
}

void kft__k8s_stream_end(kft__k8s_streams *ss, kft__k8s_stream *s)
{
	size_t i;

	for (i = 0; ss && i < ss->n; i++) {
		if (ss->list[i] == s) {
			curl_multi_remove_handle(ss->m, s->hs.h);
			memmove(&ss->list[i], &ss->list[i + 1], (ss->n - i - 1) * sizeof(*ss->list));
			ss->n--;
			break;
		}
	}
	kft__http_stream_close(&s->hs);
	kft__buf_free(&s->line);
	free(s->err_msg);
	s->err_msg = NULL;
}

/* kft__http_multi_step's report: a stream of this set ended. */
static void stream_done(kft__http_stream *hs, void *payload)
{
	kft__k8s_streams *ss = payload;
	kft__k8s_stream *s = hs->owner;
	char *saved;

	ss->ended = 1;
	s->done = 1;
	s->status = hs->res.status;
	if (s->stop || s->error)   /* stopped by on_line, or a line too long */
		return;
	if ((s->error = kft__http_stream_error(hs)) == 0) {
		if (s->line.len) {   /* the last line had no newline */
			int rc = s->on_line(s->line.ptr, s->line.len, s->payload);

			kft__buf_clear(&s->line);
			if (rc) {
				s->stop = 1;
				s->cb_ret = rc;
			}
		}
		return;
	}
	saved = kft__strdup(kft_error_last()->message);
	free(s->err_msg);
	s->err_msg = saved;
}

int kft__k8s_streams_run(kft__k8s_streams *ss, int64_t max_ms)
{
	int64_t end = kft__mono_ms() + (max_ms > 0 ? max_ms : 0);
	unsigned long lines0 = 0;
	size_t j;

	for (j = 0; j < ss->n; j++)
		lines0 += ss->list[j]->lines;
	for (;;) {
		int any, error;
		int64_t now;
		unsigned long lines = 0;
		size_t i;

		ss->ended = 0;
		if ((error = kft__http_multi_step(ss->m, stream_done, ss)) < 0)
			return error;
		any = ss->ended;
		for (i = 0; i < ss->n; i++) {
			if (ss->list[i]->stop || ss->list[i]->done)
				any = 1;
			lines += ss->list[i]->lines;
		}
		if (lines != lines0)
			any = 1;   /* news: let the caller look at it */
		now = kft__mono_ms();
		if (any || now >= end || ss->n == 0) {
			int n = 0;

			for (i = 0; i < ss->n; i++)
				n += !ss->list[i]->done && !ss->list[i]->stop;
			return n;
		}
		if ((error = kft__http_multi_wait(ss->m, end - now)) < 0)
			return error;
	}
}

void kft__k8s_streams_free(kft__k8s_streams *ss)
{
	if (!ss)
		return;
	while (ss->n > 0)
		kft__k8s_stream_end(ss, ss->list[ss->n - 1]);
	curl_multi_cleanup(ss->m);
	free(ss->list);
	free(ss);
}
