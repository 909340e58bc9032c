/*
 * HTTP for the kubernetes backend, over libcurl: one reused easy handle per
 * client for unary requests, a multi handle for streams (watch, log follow),
 * all sharing one connection and TLS session cache. Retries with backoff and
 * jitter on 429 (Retry-After honoured), on 5xx and connection errors for
 * idempotent requests only. Every non-2xx Status reaches kft_error_last().
 * Debug logging shows method, URL, status and timing - never headers.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "k8s.h"
#include "http.h"

#include <ctype.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_ATTEMPTS 5
#define ERRBODY_MAX (64 * 1024)
#define DEFAULT_TIMEOUT_MS 60000
#define CONNECT_TIMEOUT_MS 10000

struct kft__k8s_streams {
	kft__k8s *k;
	CURLM *m;
	kft__k8s_stream **list;
	size_t n, cap;
	int ended;             /* a stream ended in this step */
};

/*
 * Is the API server on this machine (kind, minikube, a tunnel)? There
 * compressing a 6 MB LIST costs both sides more CPU than the bytes it saves.
 */
static int server_is_loopback(const char *url)
{
	const char *h = url ? strstr(url, "://") : NULL;
	size_t n;

	if (!h)
		return 0;
	h += 3;
	if (*h == '[')
		return !strncmp(h, "[::1]", 5);
	n = strcspn(h, ":/");
	return (n == 9 && !strncasecmp(h, "localhost", 9)) ||
	       (!strncmp(h, "127.", 4) && strspn(h, "0123456789.") == n);
}

/* ---- setup ---- */

static int setup_handle(kft__k8s *k, CURL *h)
{
	const kft__k8s_config *c = &k->cfg;
	struct curl_blob blob;

	curl_easy_setopt(h, CURLOPT_SHARE, k->share);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 30L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 10L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "kftrainer/" KFT_VERSION_STRING);
	/* gzip & co. over a network; identity to a loopback server (see above) unless
	 * the kubeconfig's disable-compression says either way */
	if (c->compression == 1 || (c->compression < 0 && !server_is_loopback(c->server)))
		curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	if (c->ca) {
		blob.data = c->ca;
		blob.len = c->ca_len;
		blob.flags = CURL_BLOB_COPY;
		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (c->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (c->cert && c->key) {
		blob.data = c->cert;
		blob.len = c->cert_len;
		blob.flags = CURL_BLOB_COPY;
		curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &blob);
		curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
		blob.data = c->key;
		blob.len = c->key_len;
		curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &blob);
		curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (c->proxy_url) {
		curl_easy_setopt(h, CURLOPT_PROXY, c->proxy_url);
	} else {
		/* $https_proxy applies as for kubectl (Go's ProxyFromEnvironment), which never
		 * proxies loopback addresses */
		const char *np = getenv("NO_PROXY");
		kft__buf b = KFT__BUF_INIT;

		if (!np || !*np)
			np = getenv("no_proxy");
		kft__buf_printf(&b, "%s%slocalhost,127.0.0.1,::1", np && *np ? np : "",
		                np && *np ? "," : "");
		if (!b.oom)
			curl_easy_setopt(h, CURLOPT_NOPROXY, b.ptr);   /* curl copies it */
		kft__buf_free(&b);
	}
	if (c->tls_server_name) {
		/* verify and send SNI for tls-server-name, but connect to the server's address */
		CURLU *u = curl_url();
		char *host = NULL, *port = NULL;
		kft__buf b = KFT__BUF_INIT;
		struct curl_slist *ct;

		if (u && curl_url_set(u, CURLUPART_URL, c->server, 0) == CURLUE_OK &&
		    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
		    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
			kft__buf_printf(&b, "%s:%s:%s:%s", c->tls_server_name, port, host, port);
			if (!b.oom && (ct = curl_slist_append(NULL, b.ptr)) != NULL) {
				curl_easy_setopt(h, CURLOPT_CONNECT_TO, ct);
				/* the list must outlive the handle: keep it on the handle's private pointer */
				curl_easy_setopt(h, CURLOPT_PRIVATE, ct);
			}
		}
		curl_free(host);
		curl_free(port);
		curl_url_cleanup(u);
		kft__buf_free(&b);
	}
	return 0;
}

/* Debug: one line per new connection, saying which HTTP version it speaks (HTTP/2 is
 * negotiated by ALPN when the server offers it) and its local port, which a proxy's
 * access log can match. Connections reused from the share say nothing. Only addresses
 * and versions: never a header. */
static void log_connection(CURL *h)
{
	long conns = 0, version = 0, port = 0, lport = 0;
	char *ip = NULL;
	const char *v;

	if (!kft__log_enabled(KFT_DIAG_DEBUG) ||
	    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &conns) != CURLE_OK || conns <= 0 ||
	    curl_easy_getinfo(h, CURLINFO_HTTP_VERSION, &version) != CURLE_OK || version == 0)
		return;
	curl_easy_getinfo(h, CURLINFO_PRIMARY_IP, &ip);
	curl_easy_getinfo(h, CURLINFO_PRIMARY_PORT, &port);
	curl_easy_getinfo(h, CURLINFO_LOCAL_PORT, &lport);
	switch (version) {
	case CURL_HTTP_VERSION_1_0: v = "HTTP/1.0"; break;
	case CURL_HTTP_VERSION_1_1: v = "HTTP/1.1"; break;
	case CURL_HTTP_VERSION_2_0: v = "HTTP/2"; break;
	case CURL_HTTP_VERSION_3: v = "HTTP/3"; break;
	default: v = "HTTP/?"; break;
	}
	kft__log(KFT_DIAG_DEBUG, "new connection to %s:%ld from local port %ld: %s",
	         ip ? ip : "?", port, lport, v);
}

static void free_handle(CURL *h)
{
	struct curl_slist *ct = NULL;

	if (!h)
		return;
	curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&ct);
	curl_easy_cleanup(h);
	curl_slist_free_all(ct);
}

int kft__k8s_init(kft__k8s *k, int64_t timeout_ms)
{
	k->timeout_ms = timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS;
	if ((k->share = curl_share_init()) == NULL || (k->curl = curl_easy_init()) == NULL)
		return kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_HTTP, "cannot create a curl handle");
	curl_share_setopt(k->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	curl_share_setopt(k->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	curl_share_setopt(k->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	return setup_handle(k, k->curl);
}

void kft__k8s_cleanup(kft__k8s *k)
{
	free_handle(k->curl);
	k->curl = NULL;
	if (k->share)
		curl_share_cleanup(k->share);
	k->share = NULL;
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
	const char *base = k->cfg.server;
	kft__buf b = KFT__BUF_INIT;

	if (k->cfg.tls_server_name) {
		/* https://name:port (the real address goes through CURLOPT_CONNECT_TO) */
		CURLU *u = curl_url();
		char *url = NULL;

		if (u && curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
		    curl_url_set(u, CURLUPART_HOST, k->cfg.tls_server_name, 0) == CURLUE_OK &&
		    curl_url_get(u, CURLUPART_URL, &url, 0) == CURLUE_OK) {
			size_t n = strlen(url);

			while (n > 0 && url[n - 1] == '/')
				url[--n] = '\0';
			kft__buf_printf(&b, "%s%s", url, path);
		}
		curl_free(url);
		curl_url_cleanup(u);
		return b.oom || !b.ptr ? (kft__buf_free(&b), NULL) : kft__buf_detach(&b);
	}
	kft__buf_printf(&b, "%s%s", base, path);
	if (b.oom) {
		kft__buf_free(&b);
		return NULL;
	}
	return kft__buf_detach(&b);
}

char *kft__k8s_escape(const kft__k8s *k, const char *s)
{
	char *e = curl_easy_escape(k->curl, s, 0);
	char *r = e ? kft__strdup(e) : NULL;

	curl_free(e);
	return r;
}

/* ---- errors ---- */

static void put_snippet(kft__buf *b, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && i < 200; i++)
		kft__buf_putc(b, isprint((unsigned char)s[i]) ? s[i] : '?');
	if (len > 200)
		kft__buf_puts(b, "...");
}

static int code_for(long http)
{
	switch (http) {
	case 404: return KFT_ENOTFOUND;
	case 409: return KFT_EEXISTS;
	case 401: case 403: return KFT_EAUTH;
	case 400: case 422: return KFT_EINVALID;
	case 410: return KFT_ERROR;
	case 429: case 500: case 502: case 503: case 504: return KFT_EUNAVAILABLE;
	default: return KFT_ERROR;
	}
}

/* Set the error from a non-2xx response; returns the KFT_E* code. */
int kft__k8s_status_error(long http, const char *body, size_t len, const char *method,
                          const char *url)
{
	cJSON *doc = body && len ? cJSON_ParseWithLength(body, len) : NULL;
	int code = code_for(http);

	if (doc && kft__streq(kft__json_str(doc, "kind"), "Status")) {
		const char *msg = kft__json_str(doc, "message");
		const char *reason = kft__json_str(doc, "reason");
		const cJSON *causes = kft__json_path(doc, "details.causes"), *c;
		const cJSON *jcode = kft__json_get(doc, "code");
		kft__buf b = KFT__BUF_INIT;
		long scode = (long)kft__json_int(jcode, LONG_MIN, LONG_MAX, http);

		if (reason && strspn(reason, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		                    "0123456789") != strlen(reason))
			reason = NULL;   /* a reason is a CamelCase word (StatusReason) */
		if (scode == 409 && kft__streq(reason, "Conflict"))
			code = KFT_ERROR;   /* an update conflict, not a name clash */
		kft__buf_put_text(&b, msg && *msg ? msg : (reason ? reason : "(no message)"),
		                  (size_t)-1, NULL);
		cJSON_ArrayForEach(c, causes) {
			const char *f = kft__json_str(c, "field"), *m = kft__json_str(c, "message");

			if (!m || (msg && strstr(msg, m)))
				continue;   /* already in the message */
			kft__buf_puts(&b, "; ");
			kft__buf_put_text(&b, f ? f : "", (size_t)-1, NULL);
			kft__buf_puts(&b, f ? ": " : "");
			kft__buf_put_text(&b, m, (size_t)-1, NULL);
			if (b.len > 2000)
				break;   /* a message, not a dump: the error keeps 4 KiB */
		}
		if (b.oom) {
			cJSON_Delete(doc);
			return kft__error_oom();
		}
		kft__error_set_status(code, (int)(scode >= 100 && scode < 1000 ? scode : http), reason,
		                      b.ptr);
		kft__buf_free(&b);
	} else {
		kft__buf b = KFT__BUF_INIT;

		kft__buf_printf(&b, "HTTP %ld from %s %s", http, method, url);
		if (len) {
			kft__buf_puts(&b, ": ");
			put_snippet(&b, body, len);
		}
		kft__error_set_status(code, (int)http, NULL, b.ptr ? b.ptr : "");
		kft__buf_free(&b);
	}
	cJSON_Delete(doc);
	return code;
}

static int curl_error(CURLcode rc, const char *errbuf, const kft__k8s *k)
{
	const char *detail = errbuf && *errbuf ? errbuf : curl_easy_strerror(rc);

	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		return kft__error_set(KFT_EUNAVAILABLE, KFT_ERROR_CLASS_HTTP,
		                      "TLS: the API server %s presented a certificate that the cluster's "
		                      "certificate-authority does not verify (%s)", k->cfg.server, detail);
	case CURLE_SSL_CERTPROBLEM:
		return kft__error_set(KFT_EAUTH, KFT_ERROR_CLASS_HTTP,
		                      "TLS: the client certificate or key is unusable (%s)", detail);
	case CURLE_OPERATION_TIMEDOUT:
		return kft__error_set(KFT_ETIMEOUT, KFT_ERROR_CLASS_HTTP,
		                      "request to the API server %s timed out (%s)", k->cfg.server, detail);
	default:
		return kft__error_set(KFT_EUNAVAILABLE, KFT_ERROR_CLASS_HTTP,
		                      "cannot reach the API server %s: %s", k->cfg.server, detail);
	}
}

static int retryable_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT: case CURLE_COULDNT_RESOLVE_HOST: case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR: case CURLE_GOT_NOTHING: case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT: case CURLE_HTTP2: case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

/* ---- unary requests ---- */

typedef struct {
	kft__buf *body;
	int64_t retry_after_s;
	/* streaming: 2xx bodies go to sink as they arrive (others are buffered for the Status) */
	kft__k8s_sink sink;
	void *sink_ud;
	CURL *h;
	long http;           /* the response's status, once known; 0 before */
	int sink_error;      /* the sink's error that stopped the transfer */
} req_ctx;

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	req_ctx *rc = ud;
	size_t n = size * nmemb;

	if (rc->sink) {
		if (!rc->http)
			curl_easy_getinfo(rc->h, CURLINFO_RESPONSE_CODE, &rc->http);
		if (rc->http >= 200 && rc->http < 300) {
			if ((rc->sink_error = rc->sink(ptr, n, rc->sink_ud)) < 0)
				return 0;   /* stops the transfer: CURLE_WRITE_ERROR */
			return n;
		}
	}
	if (rc->body->len + n > KFT__RESPONSE_MAX) {
		rc->sink_error = kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_PARSE,
		                                "the API server sent a response of more than %d MiB",
		                                KFT__RESPONSE_MAX >> 20);
		return 0;   /* stops the transfer */
	}
	return kft__buf_put(rc->body, ptr, n) == 0 ? n : 0;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
	req_ctx *rc = ud;
	size_t n = size * nmemb;

	if (n > 12 && !strncasecmp(ptr, "Retry-After:", 12)) {
		long v = strtol(ptr + 12, NULL, 10);

		rc->retry_after_s = v > 0 ? v : 0;
	}
	return n;
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

static int prepare(kft__k8s *k, CURL *h, struct curl_slist **hdrs, const kft__k8s_req *r,
                   const char *url)
{
	struct curl_slist *n;
	int error;

	*hdrs = NULL;
	if ((error = kft__k8s_auth_refresh(k, 0)) < 0)
		return error;
	if (!(n = curl_slist_append(NULL, "Accept: application/json")))
		return kft__error_oom();
	*hdrs = n;
	if (r->body) {
		kft__buf b = KFT__BUF_INIT;

		kft__buf_printf(&b, "Content-Type: %s",
		                r->content_type ? r->content_type : "application/json");
		n = b.oom ? NULL : curl_slist_append(*hdrs, b.ptr);
		kft__buf_free(&b);
		if (!n)
			return kft__error_oom();
		*hdrs = n;
	}
	if ((error = kft__k8s_auth_apply(k, h, hdrs)) < 0)
		return error;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs);
	curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);   /* resets any earlier body */
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
	if (r->body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(r->body));
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body);
	}
	if (strcmp(r->method, "GET") && strcmp(r->method, "POST"))
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
	else if (!strcmp(r->method, "POST") && !r->body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
	}
	return 0;
}

static int request(kft__buf *resp, long *status, kft__k8s *k, const kft__k8s_req *r,
                   kft__k8s_sink sink, void *sink_ud)
{
	char *url = kft__k8s_url(k, r->path);
	char errbuf[CURL_ERROR_SIZE];
	int attempt, refreshed = 0, error = 0;
	int64_t deadline = kft__mono_ms() + k->timeout_ms * 2;

	if (status)
		*status = 0;
	KFT_CHECK_ALLOC(url);
	for (attempt = 0; ; attempt++) {
		struct curl_slist *hdrs = NULL;
		req_ctx rc = { resp, -1, sink, sink_ud, k->curl, 0, 0 };
		CURLcode cc;
		long http = 0;
		int64_t t0 = kft__mono_ms(), wait_ms = -1;

		kft__buf_clear(resp);
		if (sink && (error = sink(NULL, 0, sink_ud)) < 0)   /* (re)start */
			break;
		if ((error = prepare(k, k->curl, &hdrs, r, url)) < 0) {
			curl_slist_free_all(hdrs);
			break;
		}
		errbuf[0] = '\0';
		curl_easy_setopt(k->curl, CURLOPT_ERRORBUFFER, errbuf);
		curl_easy_setopt(k->curl, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(k->curl, CURLOPT_WRITEDATA, &rc);
		curl_easy_setopt(k->curl, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(k->curl, CURLOPT_HEADERDATA, &rc);
		curl_easy_setopt(k->curl, CURLOPT_TIMEOUT_MS, (long)k->timeout_ms);
		curl_easy_setopt(k->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(k->curl, CURLOPT_LOW_SPEED_TIME, 30L);
		cc = curl_easy_perform(k->curl);
		curl_easy_setopt(k->curl, CURLOPT_HTTPHEADER, NULL);
		curl_slist_free_all(hdrs);
		curl_easy_getinfo(k->curl, CURLINFO_RESPONSE_CODE, &http);
		k->requests++;
		log_connection(k->curl);
		if (kft__log_enabled(KFT_DIAG_DEBUG))
			kft__log(KFT_DIAG_DEBUG, "%s %s -> %ld%s%s (%lld ms)", r->method, url, http,
			         cc != CURLE_OK ? " curl: " : "",
			         cc != CURLE_OK ? curl_easy_strerror(cc) : "",
			         (long long)(kft__mono_ms() - t0));
		if (resp->oom) {
			error = kft__error_oom();
			break;
		}
		if (rc.sink_error < 0) {
			error = rc.sink_error;
			break;
		}
		if (cc != CURLE_OK) {
			if (r->idempotent && retryable_curl(cc) && attempt + 1 < MAX_ATTEMPTS &&
			    cc != CURLE_OPERATION_TIMEDOUT) {
				wait_ms = backoff_ms(attempt);
			} else {
				error = curl_error(cc, errbuf, k);
				break;
			}
		} else if (http == 401 && !refreshed && kft__k8s_auth_refreshable(k)) {
			refreshed = 1;
			kft__log(KFT_DIAG_DEBUG, "401 Unauthorized: refreshing the credentials");
			if ((error = kft__k8s_auth_refresh(k, 1)) < 0)
				break;
			attempt--;   /* a refresh is not a retry */
			continue;
		} else if (http == 429 && attempt + 1 < MAX_ATTEMPTS) {
			wait_ms = rc.retry_after_s >= 0 ? (rc.retry_after_s > 30 ? 30000 :
			          rc.retry_after_s * 1000) : backoff_ms(attempt);
		} else if ((http == 500 || http == 502 || http == 503 || http == 504) &&
		           r->idempotent && attempt + 1 < MAX_ATTEMPTS) {
			wait_ms = rc.retry_after_s >= 0 ? (rc.retry_after_s > 30 ? 30000 :
			          rc.retry_after_s * 1000) : backoff_ms(attempt);
		} else {
			if (status)
				*status = http;
			if (http >= 200 && http < 300)
				error = 0;
			else
				error = kft__k8s_status_error(http, resp->ptr, resp->len, r->method, url);
			break;
		}
		if (kft__mono_ms() + wait_ms > deadline) {
			error = cc != CURLE_OK ? curl_error(cc, errbuf, k) :
			        kft__k8s_status_error(http, resp->ptr, resp->len, r->method, url);
			if (status)
				*status = http;
			break;
		}
		kft__log(KFT_DIAG_DEBUG, "retrying %s %s in %lld ms", r->method, url,
		         (long long)wait_ms);
		sleep_ms(wait_ms);
	}
	curl_easy_setopt(k->curl, CURLOPT_ERRORBUFFER, NULL);
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
			put_snippet(&m, b.ptr ? b.ptr : "", b.len);
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

static size_t on_stream(char *ptr, size_t size, size_t nmemb, void *ud)
{
	kft__k8s_stream *s = ud;
	size_t n = size * nmemb;
	long http = 0;

	curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &http);
	if (http >= 300) {
		if (s->errbody.len < ERRBODY_MAX)
			kft__buf_put(&s->errbody, ptr, n);
		return n;
	}
	return kft__k8s_stream_feed(s, ptr, n) == 0 ? n : 0;
}

/* The end of a stream's response headers: the connection is known by then. */
static size_t on_stream_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
	size_t n = size * nmemb;

	if ((n == 2 && ptr[0] == '\r' && ptr[1] == '\n') || (n == 1 && ptr[0] == '\n'))
		log_connection(((kft__k8s_stream *)ud)->h);
	return n;
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
	kft__k8s *k = ss->k;
	int error;

	s->status = 0;
	s->done = s->stop = s->cb_ret = 0;
	s->error = 0;
	if ((s->url = kft__k8s_url(k, s->req.path)) == NULL)
		return kft__error_oom();
	if ((s->h = curl_easy_init()) == NULL)
		return kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_HTTP, "cannot create a curl handle");
	setup_handle(k, s->h);
	if ((error = prepare(k, s->h, &s->hdrs, &s->req, s->url)) < 0)
		return error;
	curl_easy_setopt(s->h, CURLOPT_WRITEFUNCTION, on_stream);
	curl_easy_setopt(s->h, CURLOPT_WRITEDATA, s);
	/* streams started together before any connection is up (or after one was lost) wait
	 * for the first to say whether it multiplexes, instead of each opening its own */
	curl_easy_setopt(s->h, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(s->h, CURLOPT_HEADERFUNCTION, on_stream_header);
	curl_easy_setopt(s->h, CURLOPT_HEADERDATA, s);
	/* no total or low-speed timeout: a healthy watch can be silent for minutes; the
	 * server-side timeoutSeconds and TCP keepalive end dead ones */
	curl_easy_setopt(s->h, CURLOPT_TCP_KEEPIDLE, 15L);
	curl_easy_setopt(s->h, CURLOPT_TCP_KEEPINTVL, 5L);
	if (ss->n == ss->cap) {
		kft__k8s_stream **nl = kft__realloc(ss->list, (ss->cap ? ss->cap * 2 : 4) * sizeof(*nl));

		if (!nl)
			return kft__error_oom();
		ss->list = nl;
		ss->cap = ss->cap ? ss->cap * 2 : 4;
	}
	if (curl_multi_add_handle(ss->m, s->h) != CURLM_OK)
		return kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_HTTP, "cannot start a stream");
	ss->list[ss->n++] = s;
	k->requests++;
	kft__log(KFT_DIAG_DEBUG, "%s %s (stream)", s->req.method, s->url);
	return 0;
}

static void stream_release(kft__k8s_stream *s)
{
	free_handle(s->h);
	s->h = NULL;
	curl_slist_free_all(s->hdrs);
	s->hdrs = NULL;
	kft__buf_free(&s->line);
	kft__buf_free(&s->errbody);
	free(s->url);
	s->url = NULL;
}

void kft__k8s_stream_end(kft__k8s_streams *ss, kft__k8s_stream *s)
{
	size_t i;

	for (i = 0; ss && i < ss->n; i++) {
		if (ss->list[i] == s) {
			curl_multi_remove_handle(ss->m, s->h);
			memmove(&ss->list[i], &ss->list[i + 1], (ss->n - i - 1) * sizeof(*ss->list));
			ss->n--;
			break;
		}
	}
	stream_release(s);
	free(s->err_msg);
	s->err_msg = NULL;
}

static void finish(kft__k8s_streams *ss, kft__k8s_stream *s, CURLcode cc)
{
	char *saved;

	s->done = 1;
	curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &s->status);
	kft__log(KFT_DIAG_DEBUG, "%s %s -> %ld (stream ended%s%s)", s->req.method, s->url, s->status,
	         cc != CURLE_OK ? ": " : "", cc != CURLE_OK ? curl_easy_strerror(cc) : "");
	if (s->stop || s->error)   /* stopped by on_line, or a line too long */
		return;
	if (s->status >= 300) {
		s->error = kft__k8s_status_error(s->status, s->errbody.ptr, s->errbody.len, s->req.method, s->url);
	} else if (cc != CURLE_OK) {
		s->error = curl_error(cc, NULL, ss->k);
	} else {
		if (s->line.len) {
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

/* kft__http_multi_step's report: finish the stream of that handle. */
static void stream_done(CURL *h, CURLcode result, void *payload)
{
	kft__k8s_streams *ss = payload;
	size_t i;

	for (i = 0; i < ss->n; i++)
		if (ss->list[i]->h == h && !ss->list[i]->done) {
			finish(ss, ss->list[i], result);
			ss->ended = 1;
		}
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
