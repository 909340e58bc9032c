/*
 * The HTTP layer over libcurl (see http.h): client setup, unary requests,
 * streams, the multi-handle loop and error mapping, for every client.
 * Debug logging shows method, URL, status and timing - never a header.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "http.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

struct kft__http {
	kft__http_opts o;
	char *peer;
	CURL *curl;                 /* the one handle for unary requests */
	CURLSH *share;              /* connections, TLS sessions, DNS of every handle */
	struct curl_slist *connect_to;  /* tls_server_name: connect to the server's address */
	unsigned long requests;
};

/*
 * Is the server on this machine (kind, minikube, a tunnel)? There compressing
 * a 6 MB LIST costs both sides more CPU than the bytes it saves.
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

/* Every fd close-on-exec: the host program may fork and exec while we are connected. */
static curl_socket_t open_cloexec(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
	(void)clientp;
	(void)purpose;
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static void set_blob(CURL *h, CURLoption opt, const char *data, size_t len)
{
	struct curl_blob blob;

	blob.data = (void *)data;
	blob.len = len;
	blob.flags = CURL_BLOB_COPY;
	curl_easy_setopt(h, opt, &blob);
}

void kft__http_client_cert(CURL *h, const char *cert, size_t cert_len, const char *key,
                           size_t key_len)
{
	set_blob(h, CURLOPT_SSLCERT_BLOB, cert, cert_len);
	set_blob(h, CURLOPT_SSLKEY_BLOB, key, key_len);
	curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
	curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
}

/* "name:port:host:port" for CURLOPT_CONNECT_TO: the URL names the TLS name, the
 * connection goes to the server's address */
static int make_connect_to(kft__http *c)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL;
	kft__buf b = KFT__BUF_INIT;
	int error = 0;

	if (u && curl_url_set(u, CURLUPART_URL, c->o.server, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
		kft__buf_printf(&b, "%s:%s:%s:%s", c->o.tls_server_name, port, host, port);
		if (b.oom || (c->connect_to = curl_slist_append(NULL, b.ptr)) == NULL)
			error = kft__error_oom();
	}
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	kft__buf_free(&b);
	return error;
}

/* Everything a handle of c has in common: transport, TLS, proxy, identity. */
static int setup_handle(kft__http *c, CURL *h)
{
	const kft__http_opts *o = &c->o;

	curl_easy_setopt(h, CURLOPT_SHARE, c->share);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_cloexec);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "kftrainer/" KFT_VERSION_STRING);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)o->connect_timeout_ms);
	if (o->unix_socket) {
		curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, o->unix_socket);
		curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http");
		return 0;   /* no proxy, TLS or TCP options apply */
	}
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);   /* ALPN */
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 30L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 10L);
	if (o->compression == 1 || (o->compression < 0 && !server_is_loopback(o->server)))
		curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	if (o->ca)
		set_blob(h, CURLOPT_CAINFO_BLOB, o->ca, o->ca_len);
	else if (o->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
	if (o->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (o->cert && o->key)
		kft__http_client_cert(h, o->cert, o->cert_len, o->key, o->key_len);
	if (o->proxy) {
		curl_easy_setopt(h, CURLOPT_PROXY, o->proxy);
	} else {
		/* $https_proxy applies as for kubectl (Go's ProxyFromEnvironment), which never
		 * proxies loopback addresses */
		const char *np = getenv("NO_PROXY");
		kft__buf b = KFT__BUF_INIT;

		if (!np || !*np)
			np = getenv("no_proxy");
		kft__buf_printf(&b, "%s%slocalhost,127.0.0.1,::1", np && *np ? np : "",
		                np && *np ? "," : "");
		if (b.oom)
			return kft__error_oom();
		curl_easy_setopt(h, CURLOPT_NOPROXY, b.ptr);   /* curl copies it */
		kft__buf_free(&b);
	}
	if (c->connect_to)
		curl_easy_setopt(h, CURLOPT_CONNECT_TO, c->connect_to);
	return 0;
}

int kft__http_new(kft__http **out, const kft__http_opts *opts)
{
	kft__http *c;
	kft__buf peer = KFT__BUF_INIT;
	int error;

	*out = NULL;
	kft__buf_printf(&peer, "%s %s", opts->peer ? opts->peer : "the server",
	                opts->unix_socket ? opts->unix_socket : opts->server ? opts->server : "");
	if (peer.oom || (c = kft__calloc(1, sizeof(*c))) == NULL) {
		kft__buf_free(&peer);
		return kft__error_oom();
	}
	c->peer = kft__buf_detach(&peer);
	c->o = *opts;
	if (c->o.timeout_ms <= 0)
		c->o.timeout_ms = 60000;
	if (c->o.connect_timeout_ms <= 0)
		c->o.connect_timeout_ms = 10000;
	if ((c->share = curl_share_init()) == NULL || (c->curl = curl_easy_init()) == NULL) {
		kft__http_free(c);
		return kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_HTTP, "cannot create a curl handle");
	}
	curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	if ((c->o.tls_server_name && !c->o.unix_socket && (error = make_connect_to(c)) < 0) ||
	    (error = setup_handle(c, c->curl)) < 0) {
		kft__http_free(c);
		return error;
	}
	*out = c;
	return 0;
}

void kft__http_free(kft__http *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	if (c->share)
		curl_share_cleanup(c->share);
	curl_slist_free_all(c->connect_to);
	free(c->peer);
	free(c);
}

const char *kft__http_peer(const kft__http *c) { return c->peer; }
unsigned long kft__http_requests(const kft__http *c) { return c->requests; }

char *kft__http_url(const kft__http *c, const char *path)
{
	kft__buf b = KFT__BUF_INIT;

	if (c->o.tls_server_name && !c->o.unix_socket) {
		/* https://name:port (the real address goes through CURLOPT_CONNECT_TO) */
		CURLU *u = curl_url();
		char *url = NULL;

		if (u && curl_url_set(u, CURLUPART_URL, c->o.server, 0) == CURLUE_OK &&
		    curl_url_set(u, CURLUPART_HOST, c->o.tls_server_name, 0) == CURLUE_OK &&
		    curl_url_get(u, CURLUPART_URL, &url, 0) == CURLUE_OK) {
			size_t n = strlen(url);

			while (n > 0 && url[n - 1] == '/')
				url[--n] = '\0';
			kft__buf_printf(&b, "%s%s", url, path);
		}
		curl_free(url);
		curl_url_cleanup(u);
	} else {
		kft__buf_printf(&b, "%s%s", c->o.server, path);
	}
	if (b.oom || !b.ptr) {
		kft__buf_free(&b);
		return NULL;
	}
	return kft__buf_detach(&b);
}

int kft__http_escape(kft__buf *b, const char *s, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '_' || ch == '.' || ch == '~' ||
		    (keep_slash && (ch == '/' || ch == ':' || ch == '@'))) {
			kft__buf_putc(b, (char)ch);
		} else {
			kft__buf_putc(b, '%');
			kft__buf_putc(b, hex[ch >> 4]);
			kft__buf_putc(b, hex[ch & 15]);
		}
	}
	return b->oom ? kft__error_oom() : 0;
}

/* ---- one request's setup ---- */

/* Debug: one line per new connection, saying which HTTP version it speaks (HTTP/2 is
 * negotiated by ALPN when the server offers it) and its local port, which a proxy's
 * access log can match. Connections reused from the share say nothing. Only addresses
 * and versions: never a header. */
static void log_connection(const kft__http *c, CURL *h)
{
	long conns = 0, version = 0, port = 0, lport = 0;
	char *ip = NULL;
	const char *v;

	if (!kft__log_enabled(KFT_DIAG_DEBUG) ||
	    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &conns) != CURLE_OK || conns <= 0 ||
	    curl_easy_getinfo(h, CURLINFO_HTTP_VERSION, &version) != CURLE_OK || version == 0)
		return;
	switch (version) {
	case CURL_HTTP_VERSION_1_0: v = "HTTP/1.0"; break;
	case CURL_HTTP_VERSION_1_1: v = "HTTP/1.1"; break;
	case CURL_HTTP_VERSION_2_0: v = "HTTP/2"; break;
	case CURL_HTTP_VERSION_3: v = "HTTP/3"; break;
	default: v = "HTTP/?"; break;
	}
	if (c->o.unix_socket) {
		kft__log(KFT_DIAG_DEBUG, "new connection to %s: %s", c->o.unix_socket, v);
		return;
	}
	curl_easy_getinfo(h, CURLINFO_PRIMARY_IP, &ip);
	curl_easy_getinfo(h, CURLINFO_PRIMARY_PORT, &port);
	curl_easy_getinfo(h, CURLINFO_LOCAL_PORT, &lport);
	kft__log(KFT_DIAG_DEBUG, "new connection to %s:%ld from local port %ld: %s",
	         ip ? ip : "?", port, lport, v);
}

static int add_header(struct curl_slist **hdrs, const char *line)
{
	struct curl_slist *n = line ? curl_slist_append(*hdrs, line) : NULL;

	if (!n)
		return kft__error_oom();
	*hdrs = n;
	return 0;
}

int kft__http_add_bearer(struct curl_slist **hdrs, const char *token)
{
	kft__buf b = KFT__BUF_INIT;
	int error;

	kft__buf_printf(&b, "Authorization: Bearer %s", token);
	error = add_header(hdrs, b.oom ? NULL : b.ptr);
	if (b.ptr)
		explicit_bzero(b.ptr, b.len);   /* curl keeps its own copy */
	kft__buf_free(&b);
	return error;
}

/* Method, body, headers and credentials of r on h; *hdrs is the caller's to free. */
static int prepare(kft__http *c, CURL *h, struct curl_slist **hdrs, const kft__http_req *r,
                   const char *url)
{
	kft__buf ct = KFT__BUF_INIT;
	int error;

	*hdrs = NULL;
	kft__buf_printf(&ct, "Content-Type: %s",
	                r->content_type ? r->content_type : "application/json");
	/* Expect: no 1 s wait for a 100-continue before a large body */
	error = add_header(hdrs, "Accept: application/json");
	if (!error)
		error = add_header(hdrs, "Expect:");
	if (!error && r->body)
		error = add_header(hdrs, ct.oom ? NULL : ct.ptr);
	kft__buf_free(&ct);
	if (error < 0)
		return error;
	if (c->o.auth && (error = c->o.auth(h, hdrs, c->o.auth_ud)) < 0)
		return error;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs);
	curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);   /* resets any earlier body */
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
	if (r->body || !strcmp(r->method, "POST")) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
		                 (curl_off_t)(!r->body ? 0 : r->body_len ? r->body_len : strlen(r->body)));
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body ? r->body : "");
	}
	if (strcmp(r->method, "GET") && strcmp(r->method, "POST"))
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
	return 0;
}

/* ---- unary requests ---- */

typedef struct {
	kft__http *c;
	kft__buf *body;
	const kft__http_req *r;
	kft__http_res *res;
	CURL *h;
	int error;           /* the sink's, or the size limit's: stops the transfer */
} unary_ctx;

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	unary_ctx *u = ud;
	size_t n = size * nmemb;

	if (u->r->sink) {
		if (!u->res->status)
			curl_easy_getinfo(u->h, CURLINFO_RESPONSE_CODE, &u->res->status);
		if (u->res->status >= 200 && u->res->status < 300) {
			if ((u->error = u->r->sink(ptr, n, u->r->sink_ud)) < 0)
				return 0;   /* stops the transfer: CURLE_WRITE_ERROR */
			return n;
		}
	}
	if (u->body->len + n > KFT__RESPONSE_MAX) {
		u->error = kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_PARSE,
		                          "%s %s: %s sent a response of more than %d MiB",
		                          u->r->method, u->r->path, u->c->peer, KFT__RESPONSE_MAX >> 20);
		return 0;
	}
	return kft__buf_put(u->body, ptr, n) == 0 ? n : 0;
}

/* Retry-After in seconds (an HTTP date is taken as none). */
static void read_retry_after(kft__http_res *res, const char *ptr, size_t n)
{
	if (n > 12 && !strncasecmp(ptr, "Retry-After:", 12)) {
		long v = strtol(ptr + 12, NULL, 10);

		res->retry_after_s = v > 0 ? v : 0;
	}
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
	unary_ctx *u = ud;
	size_t n = size * nmemb;

	read_retry_after(u->res, ptr, n);
	if (u->r->on_header)
		u->r->on_header(ptr, n, u->r->header_ud);
	return n;
}

static void res_init(kft__http_res *res)
{
	res->status = 0;
	res->curl = CURLE_OK;
	res->os_errno = 0;
	res->retry_after_s = -1;
	res->errbuf[0] = '\0';
}

int kft__http_perform(kft__buf *resp, kft__http_res *res, kft__http *c, const kft__http_req *r)
{
	struct curl_slist *hdrs = NULL;
	unary_ctx u = { c, resp, r, res, c->curl, 0 };
	char *url = kft__http_url(c, r->path);
	int64_t t0 = kft__mono_ms(), timeout = r->timeout_ms ? r->timeout_ms : c->o.timeout_ms;
	CURL *h = c->curl;
	int error;

	res_init(res);
	kft__buf_clear(resp);
	KFT_CHECK_ALLOC(url);
	if ((error = prepare(c, h, &hdrs, r, url)) < 0)
		goto out;
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, res->errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &u);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &u);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout > 0 ? (long)timeout : 0L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, r->low_speed_s > 0 ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)(r->low_speed_s > 0 ? r->low_speed_s : 0));
	res->curl = curl_easy_perform(h);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->status);
	curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &res->os_errno);
	c->requests++;
	log_connection(c, h);
	if (kft__log_enabled(KFT_DIAG_DEBUG))
		kft__log(KFT_DIAG_DEBUG, "%s %s -> %ld%s%s (%lld ms)", r->method, url, res->status,
		         res->curl != CURLE_OK ? " curl: " : "",
		         res->curl != CURLE_OK ? curl_easy_strerror(res->curl) : "",
		         (long long)(kft__mono_ms() - t0));
	if (resp->oom)
		error = kft__error_oom();
	else if (u.error < 0)
		error = u.error;
out:
	curl_slist_free_all(hdrs);
	free(url);
	return error;
}

/* ---- errors ---- */

int kft__http_code(long status)
{
	switch (status) {
	case 404: return KFT_ENOTFOUND;
	case 409: return KFT_EEXISTS;
	case 401: case 403: return KFT_EAUTH;
	case 400: case 422: return KFT_EINVALID;
	case 429: case 500: case 502: case 503: case 504: return KFT_EUNAVAILABLE;
	default: return KFT_ERROR;
	}
}

int kft__http_transport_error(const kft__http *c, const kft__http_res *res)
{
	const char *detail = res->errbuf[0] ? res->errbuf : curl_easy_strerror(res->curl);

	switch (res->curl) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		return kft__error_set(KFT_EUNAVAILABLE, KFT_ERROR_CLASS_HTTP,
		                      "TLS: %s presented a certificate that %s does not verify (%s)",
		                      c->peer, c->o.ca_desc ? c->o.ca_desc :
		                      "the trusted certificate authorities", detail);
	case CURLE_SSL_CERTPROBLEM:
		return kft__error_set(KFT_EAUTH, KFT_ERROR_CLASS_HTTP,
		                      "TLS: the client certificate or key is unusable (%s)", detail);
	case CURLE_OPERATION_TIMEDOUT:
		return kft__error_set(KFT_ETIMEOUT, KFT_ERROR_CLASS_HTTP,
		                      "request to %s timed out (%s)", c->peer, detail);
	case CURLE_COULDNT_CONNECT:
		/* on a unix socket, curl's text names a port 80 that is not there */
		if (c->o.unix_socket && res->os_errno)
			detail = strerror((int)res->os_errno);
		/* fall through */
	default:
		return kft__error_set(KFT_EUNAVAILABLE, KFT_ERROR_CLASS_HTTP, "cannot reach %s: %s",
		                      c->peer, detail);
	}
}

int kft__http_status_error(int klass, kft__http_errbody_fn parse, long status,
                           const char *body, size_t len, const char *method, const char *what)
{
	kft__http_err e = { kft__http_code(status), status, KFT__BUF_INIT, KFT__BUF_INIT };
	int code;

	if (parse && parse(&e, body ? body : "", body ? len : 0, method, what) < 0) {
		code = kft__error_oom();
		goto out;
	}
	if (!e.message.len) {
		kft__buf_clear(&e.message);
		kft__buf_printf(&e.message, "HTTP %ld from %s %s", status, method, what);
		if (len) {
			kft__buf_puts(&e.message, ": ");
			kft__buf_put_textn(&e.message, body, len, 200, NULL);
		}
	}
	if (e.message.oom || e.reason.oom) {
		code = kft__error_oom();
		goto out;
	}
	code = kft__error_set_http(e.code, klass, (int)(e.status >= 100 && e.status < 1000 ?
	                           e.status : status), e.reason.len ? e.reason.ptr : NULL,
	                           e.message.ptr);
out:
	kft__buf_free(&e.message);
	kft__buf_free(&e.reason);
	return code;
}

int kft__http_result_error(const kft__http *c, const kft__http_res *res, const kft__buf *body,
                           const char *method, const char *what)
{
	if (res->curl != CURLE_OK)
		return kft__http_transport_error(c, res);
	if (res->status >= 200 && res->status < 300)
		return 0;
	return kft__http_status_error(c->o.klass, c->o.errbody, res->status, body->ptr, body->len,
	                              method, what);
}

/* ---- streams ---- */

static size_t on_stream(char *ptr, size_t size, size_t nmemb, void *ud)
{
	kft__http_stream *s = ud;
	size_t n = size * nmemb;

	if (!s->res.status)
		curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &s->res.status);
	if (s->res.status >= 300) {
		if (s->errbody.len < KFT__HTTP_ERRBODY_MAX)
			kft__buf_put(&s->errbody, ptr, n);
		return n;
	}
	return (s->sink_rc = s->sink(ptr, n, s->sink_ud)) != 0 ? 0 : n;
}

/* The end of a stream's response headers: the connection is known by then. */
static size_t on_stream_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
	kft__http_stream *s = ud;
	size_t n = size * nmemb;

	read_retry_after(&s->res, ptr, n);
	if ((n == 2 && ptr[0] == '\r' && ptr[1] == '\n') || (n == 1 && ptr[0] == '\n'))
		log_connection(s->c, s->h);
	return n;
}

int kft__http_stream_open(kft__http_stream *s, kft__http *c, const kft__http_req *r)
{
	int error;

	s->c = c;
	s->method = r->method;
	s->sink = r->sink;
	s->sink_ud = r->sink_ud;
	s->sink_rc = s->done = 0;
	res_init(&s->res);
	if ((s->url = kft__http_url(c, r->path)) == NULL)
		return kft__error_oom();
	if ((s->h = curl_easy_init()) == NULL)
		return kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_HTTP, "cannot create a curl handle");
	if ((error = setup_handle(c, s->h)) < 0 || (error = prepare(c, s->h, &s->hdrs, r, s->url)) < 0)
		return error;
	curl_easy_setopt(s->h, CURLOPT_PRIVATE, s);
	curl_easy_setopt(s->h, CURLOPT_ERRORBUFFER, s->res.errbuf);
	curl_easy_setopt(s->h, CURLOPT_WRITEFUNCTION, on_stream);
	curl_easy_setopt(s->h, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(s->h, CURLOPT_HEADERFUNCTION, on_stream_header);
	curl_easy_setopt(s->h, CURLOPT_HEADERDATA, s);
	/* streams started together before any connection is up (or after one was lost) wait
	 * for the first to say whether it multiplexes, instead of each opening its own */
	curl_easy_setopt(s->h, CURLOPT_PIPEWAIT, 1L);
	/* no total or low-speed timeout: a healthy watch can be silent for minutes; the
	 * server-side timeoutSeconds and TCP keepalive end dead ones */
	if (!c->o.unix_socket) {
		curl_easy_setopt(s->h, CURLOPT_TCP_KEEPIDLE, 15L);
		curl_easy_setopt(s->h, CURLOPT_TCP_KEEPINTVL, 5L);
	}
	c->requests++;
	kft__log(KFT_DIAG_DEBUG, "%s %s (stream)", r->method, s->url);
	return 0;
}

void kft__http_stream_close(kft__http_stream *s)
{
	if (s->h)
		curl_easy_cleanup(s->h);
	s->h = NULL;
	curl_slist_free_all(s->hdrs);
	s->hdrs = NULL;
	kft__buf_free(&s->errbody);
	free(s->url);
	s->url = NULL;
}

int kft__http_stream_error(const kft__http_stream *s)
{
	return kft__http_result_error(s->c, &s->res, &s->errbody, s->method, s->url);
}

/* ---- the multi-handle loop ---- */

int kft__http_multi_step(CURLM *m, kft__http_done_cb done, void *payload)
{
	CURLMsg *msg;
	CURLMcode mc;
	int running = 0, left;

	if ((mc = curl_multi_perform(m, &running)) != CURLM_OK)
		return kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_HTTP, "curl_multi_perform: %s",
		                      curl_multi_strerror(mc));
	while ((msg = curl_multi_info_read(m, &left)) != NULL) {
		kft__http_stream *s = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
		if (!s || s->done)
			continue;
		s->done = 1;
		s->res.curl = msg->data.result;
		curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &s->res.status);
		curl_easy_getinfo(s->h, CURLINFO_OS_ERRNO, &s->res.os_errno);
		kft__log(KFT_DIAG_DEBUG, "%s %s -> %ld (stream ended%s%s)", s->method, s->url,
		         s->res.status, s->res.curl != CURLE_OK ? ": " : "",
		         s->res.curl != CURLE_OK ? curl_easy_strerror(s->res.curl) : "");
		done(s, payload);
	}
	return 0;
}

int kft__http_multi_wait(CURLM *m, int64_t ms)
{
	CURLMcode mc;

	if (ms < 0)
		ms = 0;
	if (ms > 1000)
		ms = 1000;
	if ((mc = curl_multi_poll(m, NULL, 0, (int)ms, NULL)) != CURLM_OK)
		return kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_HTTP, "curl_multi_poll: %s",
		                      curl_multi_strerror(mc));
	return 0;
}
