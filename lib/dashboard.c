/*
 * The dashboard server: libmicrohttpd (one thread per connection), access
 * control, responses, actions (suspend, resume, delete), routing, the listen
 * address and the public functions. The job snapshots are in
 * dashboard_snapshot.c, live updates and log streams (server-sent events) in
 * dashboard_stream.c, pages in dashboard_pages.c, /metrics in
 * dashboard_metrics.c, the cluster history in dashboard_history.c.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "dash.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

int kft_dashboard_opts_init(kft_dashboard_opts_t *opts, unsigned int version)
{
	KFT__VERSIONED_INIT(opts, version, kft_dashboard_opts_t, KFT_DASHBOARD_OPTS);
}

/* ---- access control ---- */

static int const_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char diff = (unsigned char)(la != lb);

	for (i = 0; i < lb; i++)
		diff |= (unsigned char)(a[i < la ? i : 0] ^ b[i]);
	return diff == 0;
}

static const char *cookie_token(struct MHD_Connection *c)
{
	return MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "kft_dashboard_token");
}

/* 1: allowed; 0: refused (Host or token). */
static int allowed(kft__dash *d, struct MHD_Connection *c)
{
	const char *auth, *host;
	int i;

	if (d->token) {
		auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
		if (auth && !strncmp(auth, "Bearer ", 7) && const_eq(auth + 7, d->token))
			return 1;
		if (cookie_token(c) && const_eq(cookie_token(c), d->token))
			return 1;
		return 0;
	}
	/* no token: loopback only, and only our own Host names (DNS rebinding) */
	host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	for (i = 0; host && i < 3; i++)
		if (!strcmp(host, d->host_ok[i]))
			return 1;
	return 0;
}

/* ---- responses ---- */

void kft__dash_secure_headers(struct MHD_Response *r, const char *type)
{
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, "Content-Security-Policy",
	                        "default-src 'none'; script-src 'self'; style-src 'self'; "
	                        "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
	                        "frame-ancestors 'none'; base-uri 'none'");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
}

static enum MHD_Result send_buf(struct MHD_Connection *c, unsigned status, kft__buf *b,
                                const char *type)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len = b->len;
	char *p;

	if (b->oom) {
		kft__buf_free(b);
		return MHD_NO;
	}
	p = kft__buf_detach(b);
	if (!p)
		return MHD_NO;
	r = MHD_create_response_from_buffer(len, p, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(p);
		return MHD_NO;
	}
	kft__dash_secure_headers(r, type);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result kft__dash_send_error(struct MHD_Connection *c, unsigned status, const char *msg)
{
	kft__buf b = KFT__BUF_INIT;

	kft__dash_page_error(&b, (int)status, msg);
	return send_buf(c, status, &b, "text/html; charset=utf-8");
}

static enum MHD_Result send_static(struct MHD_Connection *c, const char *body, const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body,
	                                                         MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	kft__dash_secure_headers(r, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "max-age=300");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result redirect(struct MHD_Connection *c, const char *to, const char *cookie)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"",
	                                                         MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	kft__dash_secure_headers(r, "text/plain");
	MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, to);
	if (cookie)
		MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, cookie);
	ret = MHD_queue_response(c, MHD_HTTP_SEE_OTHER, r);
	MHD_destroy_response(r);
	return ret;
}
/* ---- actions: POST /jobs/NAME/{suspend,resume,delete} ---- */

typedef struct {
	struct MHD_PostProcessor *pp;
	char csrf[80];
	int confirm;
	int too_big;
	size_t bytes;
} post_state;

static enum MHD_Result post_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *filename, const char *type, const char *enc,
                                  const char *data, uint64_t off, size_t size)
{
	post_state *ps = cls;

	(void)kind; (void)filename; (void)type; (void)enc;
	if (!strcmp(key, "csrf")) {
		if (off + size >= sizeof(ps->csrf)) {
			ps->too_big = 1;
			return MHD_NO;
		}
		memcpy(ps->csrf + off, data, size);
		ps->csrf[off + size] = '\0';
	} else if (!strcmp(key, "confirm")) {
		ps->confirm = size == 1 && data[0] == '1';
	}
	return MHD_YES;
}

static enum MHD_Result do_action(kft__dash *d, struct MHD_Connection *c, const char *name,
                                 const char *action, post_state *ps)
{
	const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	kft__buf b = KFT__BUF_INIT;
	int error;

	if (ps->too_big || !const_eq(ps->csrf, d->csrf))
		return kft__dash_send_error(c, MHD_HTTP_FORBIDDEN,
		                            "missing or wrong CSRF token; reload the page");
	if (origin && strcmp(origin, "null")) {
		/* a browser says where the form came from: it must be this server */
		size_t ul = strlen(d->url) - 1;   /* without the final '/' */

		if (d->token ? 0 : (strlen(origin) != ul || strncmp(origin, d->url, ul)))
			return kft__dash_send_error(c, MHD_HTTP_FORBIDDEN, "cross-origin request refused");
	}
	if (!ps->confirm) {
		if (kft__dash_page_confirm(&b, d, name, action) < 0)
			return MHD_NO;
		return send_buf(c, MHD_HTTP_OK, &b, "text/html; charset=utf-8");
	}
	pthread_mutex_lock(&d->client_lock);
	if (!strcmp(action, "delete"))
		error = kft_delete_job(d->client, name, NULL);
	else
		error = kft_suspend_job(d->client, name, !strcmp(action, "suspend"));
	if (error < 0) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s %s: %s", action, name,
		         kft_error_last()->message ? kft_error_last()->message : kft_strerror(error));
		pthread_mutex_unlock(&d->client_lock);
		return kft__dash_send_error(c, error == KFT_ENOTFOUND ? MHD_HTTP_NOT_FOUND :
		                            MHD_HTTP_CONFLICT, msg);
	}
	pthread_mutex_unlock(&d->client_lock);
	kft__dash_poll(d);   /* the list shows the action at once */
	if (!strcmp(action, "delete"))
		return redirect(c, "/", NULL);
	kft__buf_printf(&b, "/jobs/%s", name);
	{
		enum MHD_Result ret = b.oom ? MHD_NO : redirect(c, b.ptr, NULL);

		kft__buf_free(&b);
		return ret;
	}
}

/* ---- routing ---- */

typedef struct {
	int is_post;
	post_state post;
} conn_state;

static int valid_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		      s[i] == '.'))
			return 0;
	return 1;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
	kft__dash *d = cls;
	conn_state *cs = *con_cls;
	const char *name, *slash;
	char job[254];
	kft__buf b = KFT__BUF_INIT;
	int post = !strcmp(method, MHD_HTTP_METHOD_POST);

	(void)version;
	if (!cs) {
		if (!(cs = kft__calloc(1, sizeof(*cs))))
			return MHD_NO;
		cs->is_post = post;
		*con_cls = cs;
		/* not a form (no pp): the CSRF check refuses it */
		if (post)
			cs->post.pp = MHD_create_post_processor(c, 1024, post_field, &cs->post);
		return MHD_YES;
	}
	if (post && *upload_size) {
		cs->post.bytes += *upload_size;
		if (cs->post.bytes > 8192 || !cs->post.pp)
			cs->post.too_big = 1;
		else
			MHD_post_process(cs->post.pp, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (!allowed(d, c)) {
		const char *t = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");

		/* ?token=T once: a cookie for the pages, then the page without it */
		if (d->token && t && const_eq(t, d->token) && !post) {
			enum MHD_Result ret;

			kft__buf_printf(&b, "kft_dashboard_token=%s; Path=/; HttpOnly; SameSite=Strict",
			                d->token);
			ret = b.oom ? MHD_NO : redirect(c, url[0] == '/' ? url : "/", b.ptr);
			kft__buf_free(&b);
			return ret;
		}
		return kft__dash_send_error(c, d->token ? MHD_HTTP_UNAUTHORIZED : MHD_HTTP_FORBIDDEN,
		                            d->token ? "a token is required (Authorization: Bearer, "
		                                       "or ?token=)" : "unexpected Host header");
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD) && !post)
		return kft__dash_send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
	if (!strcmp(url, "/static/app.css"))
		return send_static(c, kft__dash_css, "text/css; charset=utf-8");
	if (!strcmp(url, "/static/app.js"))
		return send_static(c, kft__dash_js, "text/javascript; charset=utf-8");
	if (!post && !strcmp(url, "/")) {
		kft__dash_filter f = { NULL, NULL, NULL, 500 };
		const char *lim = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit");

		f.status = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "status");
		f.runtime = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "runtime");
		f.q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "q");
		if (lim && strtoul(lim, NULL, 10) > 0)
			f.limit = strtoul(lim, NULL, 10) > 100000 ? 100000 : strtoul(lim, NULL, 10);
		if (kft__dash_page_index(&b, d, &f) < 0)
			return MHD_NO;
		return send_buf(c, MHD_HTTP_OK, &b, "text/html; charset=utf-8");
	}
	if (!post && !strcmp(url, "/events"))
		return kft__dash_serve_events(d, c);
	if (!post && !strcmp(url, "/metrics")) {
		if (kft__dash_metrics(&b, d) < 0)
			return kft__dash_send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot render metrics");
		return send_buf(c, MHD_HTTP_OK, &b, "text/plain; version=0.0.4; charset=utf-8");
	}
	if (!strncmp(url, "/jobs/", 6)) {
		name = url + 6;
		slash = strchr(name, '/');
		if (!valid_name(name, slash ? (size_t)(slash - name) : strlen(name)))
			return kft__dash_send_error(c, MHD_HTTP_NOT_FOUND, "not a job name");
		snprintf(job, sizeof(job), "%.*s", (int)(slash ? slash - name : (long)strlen(name)),
		         name);
		if (!slash && !post) {
			int r = kft__dash_page_job(&b, d, job);

			if (r == KFT_ENOTFOUND) {
				kft__buf_free(&b);
				return kft__dash_send_error(c, MHD_HTTP_NOT_FOUND, "no such job");
			}
			if (r < 0)
				return MHD_NO;
			return send_buf(c, MHD_HTTP_OK, &b, "text/html; charset=utf-8");
		}
		if (slash && !post && !strcmp(slash, "/logs"))
			return kft__dash_serve_logs(d, c, job);
		if (slash && post && (!strcmp(slash, "/suspend") || !strcmp(slash, "/resume") ||
		                      !strcmp(slash, "/delete")))
			return do_action(d, c, job, slash + 1, &cs->post);
	}
	return kft__dash_send_error(c, MHD_HTTP_NOT_FOUND, "not found");
}

static void request_done(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	conn_state *cs = *con_cls;

	(void)cls; (void)c; (void)toe;
	if (!cs)
		return;
	if (cs->post.pp)
		MHD_destroy_post_processor(cs->post.pp);
	free(cs);
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	kft__log(KFT_DIAG_DEBUG, "dashboard: %s", msg);
}

/* ---- the address ---- */

static int is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return 0;
}

static int parse_listen(struct sockaddr_storage *ss, const char *listen)
{
	char host[256], port[16];
	const char *colon;
	struct addrinfo hints, *res = NULL;
	int r;

	if (listen[0] == '[') {
		const char *end = strchr(listen, ']');

		if (!end || end[1] != ':' || (size_t)(end - listen - 1) >= sizeof(host))
			goto bad;
		snprintf(host, sizeof(host), "%.*s", (int)(end - listen - 1), listen + 1);
		colon = end + 1;
	} else {
		if (!(colon = strrchr(listen, ':')) || (size_t)(colon - listen) >= sizeof(host) ||
		    strchr(listen, ':') != colon)
			goto bad;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
	}
	if (!colon[1] || strlen(colon + 1) >= sizeof(port) ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1) || atoi(colon + 1) > 65535)
		goto bad;
	snprintf(port, sizeof(port), "%s", colon + 1);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	if ((r = getaddrinfo(*host ? host : "0.0.0.0", port, &hints, &res)) != 0)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "listen address \"%s\": %s", listen, gai_strerror(r));
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
bad:
	return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
	                      "listen address \"%s\": expected HOST:PORT or [IPV6]:PORT with a port "
	                      "0-65535", listen);
}

/* ---- the public functions ---- */

static int copy_client_opts(kft__dash *d, const kft_client_opts_t *o)
{
	const char *src[9];
	const char **dst[9];
	size_t i;

	if (o) {
		KFT_CHECK_VERSION(o, KFT_CLIENT_OPTS_VERSION, "kft_client_opts_t");
		d->copts = *o;
	} else if (kft_client_opts_init(&d->copts, KFT_CLIENT_OPTS_VERSION) < 0) {
		return KFT_ERROR;
	}
	src[0] = d->copts.backend; dst[0] = &d->copts.backend;
	src[1] = d->copts.state_dir; dst[1] = &d->copts.state_dir;
	src[2] = d->copts.runtime_path; dst[2] = &d->copts.runtime_path;
	src[3] = d->copts.kubeconfig; dst[3] = &d->copts.kubeconfig;
	src[4] = d->copts.context; dst[4] = &d->copts.context;
	src[5] = d->copts.ns; dst[5] = &d->copts.ns;
	src[6] = d->copts.container_host; dst[6] = &d->copts.container_host;
	src[7] = d->copts.pull_policy; dst[7] = &d->copts.pull_policy;
	src[8] = d->copts.network; dst[8] = &d->copts.network;
	for (i = 0; i < 9; i++) {
		if (!src[i])
			continue;
		KFT_CHECK_ALLOC(d->copt_str[i] = kft__strdup(src[i]));
		*dst[i] = d->copt_str[i];
	}
	return 0;
}

static int open_history(kft__dash *d, const kft_dashboard_opts_t *o)
{
	char *path = NULL, *dir;
	int error;

	if (!strcmp(d->backend, "local") || !strcmp(d->backend, "container"))
		return 0;   /* the state dir is the history */
	if (o->history_path && !*o->history_path)
		return 0;
	if (o->history_path) {
		path = kft__strdup(o->history_path);
	} else {
		const char *env = getenv("KFT_STATE_DIR");

		dir = d->copts.state_dir ? kft__strdup(d->copts.state_dir) :
		      env && *env ? kft__strdup(env) : kft__default_state_dir();
		KFT_CHECK_ALLOC(dir);
		if ((error = kft__mkdir_p(dir, 0700)) < 0) {
			free(dir);
			return error;
		}
		path = kft__path_join(dir, "dashboard.sqlite");
		free(dir);
	}
	KFT_CHECK_ALLOC(path);
	{
		kft__buf sc = KFT__BUF_INIT;

		kft__buf_printf(&sc, "%s/%s", d->copts.context ? d->copts.context : "",
		                d->copts.ns ? d->copts.ns : "");
		error = sc.oom ? kft__error_oom() : kft__dash_history_open(&d->hist, path, sc.ptr);
		kft__buf_free(&sc);
	}
	free(path);
	return error;
}

int kft_dashboard_new(kft_dashboard_t **out, const kft_client_opts_t *client_opts,
                      const kft_dashboard_opts_t *opts)
{
	kft_dashboard_opts_t defaults = KFT_DASHBOARD_OPTS_INIT;
	const kft_dashboard_opts_t *o = opts ? opts : &defaults;
	struct sockaddr_storage ss;
	unsigned char rnd[32];
	const char *listen, *tok;
	const union MHD_DaemonInfo *info;
	kft__dash *d = NULL;
	unsigned port;
	char host[INET6_ADDRSTRLEN];
	size_t i;
	int error;

	KFT_ASSERT_ARG(out);
	*out = NULL;
	KFT_CHECK_VERSION(opts, KFT_DASHBOARD_OPTS_VERSION, "kft_dashboard_opts_t");
	listen = o->listen && *o->listen ? o->listen : "127.0.0.1:8080";
	if ((error = parse_listen(&ss, listen)) < 0)
		return error;
	tok = o->token ? o->token : getenv("KFT_DASHBOARD_TOKEN");
	if (tok && !*tok)
		tok = NULL;
	if (tok && (strlen(tok) < 16 || strlen(tok) > 256 ||
	            strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                        "0123456789-._~+/=") != strlen(tok)))
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "dashboard token: must be 16 to 256 characters of "
		                      "[A-Za-z0-9-._~+/=]");
	if (!is_loopback((struct sockaddr *)&ss) && !tok)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "listen address \"%s\" is not a loopback address: a token is "
		                      "required (--token or KFT_DASHBOARD_TOKEN)", listen);
	KFT_CHECK_ALLOC(d = kft__calloc(1, sizeof(*d)));
	d->stop_fd = -1;
	pthread_mutex_init(&d->lock, NULL);
	pthread_mutex_init(&d->client_lock, NULL);
	pthread_cond_init(&d->changed, NULL);
	pthread_cond_init(&d->streams_done, NULL);
	d->loopback = is_loopback((struct sockaddr *)&ss);
	d->poll_ms = o->poll_ms > 0 ? o->poll_ms : 500;
	d->hist_days = o->history_days > 0 ? o->history_days : 30;
	d->hist_max = o->history_max_jobs > 0 ? o->history_max_jobs : 10000;
	if ((error = copy_client_opts(d, client_opts)) < 0)
		goto fail;
	if (tok && !(d->token = kft__strdup(tok))) {
		error = kft__error_oom();
		goto fail;
	}
	if (!(d->removed = kft__calloc(KFT__DASH_MAX_REMOVED, sizeof(*d->removed)))) {
		error = kft__error_oom();
		goto fail;
	}
	if ((error = kft__random_bytes(rnd, sizeof(rnd))) < 0)
		goto fail;
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(d->csrf + 2 * i, 3, "%02x", rnd[i]);
	if ((d->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		error = kft__error_os(KFT_ERROR, "eventfd");
		goto fail;
	}
	if ((error = kft_client_new(&d->client, &d->copts)) < 0)
		goto fail;
	if (!(d->backend = kft__strdup(kft_client_backend(d->client)))) {
		error = kft__error_oom();
		goto fail;
	}
	if ((error = open_history(d, o)) < 0)
		goto fail;
	if ((error = kft__dash_poll(d)) < 0)
		goto fail;

	d->mhd = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
	                          MHD_USE_POLL | MHD_USE_ITC | MHD_USE_ERROR_LOG |
	                          (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
	                          0, NULL, NULL, handle, d,
	                          MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	                          MHD_OPTION_NOTIFY_COMPLETED, request_done, d,
	                          MHD_OPTION_CONNECTION_LIMIT, (unsigned int)128,
	                          MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120,
	                          MHD_OPTION_EXTERNAL_LOGGER, mhd_log, d,
	                          MHD_OPTION_END);
	if (!d->mhd) {
		error = kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_OS,
		                       "cannot listen on %s (address in use or not available)", listen);
		goto fail;
	}
	info = MHD_get_daemon_info(d->mhd, MHD_DAEMON_INFO_BIND_PORT);
	port = info ? info->port : 0;
	if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof(host));
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof(host));
	{
		kft__buf u = KFT__BUF_INIT;

		kft__buf_printf(&u, ss.ss_family == AF_INET6 ? "http://[%s]:%u/" : "http://%s:%u/",
		                host, port);
		if (!(d->url = kft__buf_detach(&u))) {
			error = kft__error_oom();
			goto fail;
		}
	}
	snprintf(d->host_ok[0], sizeof(d->host_ok[0]), ss.ss_family == AF_INET6 ? "[%s]:%u" :
	         "%s:%u", host, port);
	snprintf(d->host_ok[1], sizeof(d->host_ok[1]), "localhost:%u", port);
	snprintf(d->host_ok[2], sizeof(d->host_ok[2]), "%s", d->host_ok[0]);
	*out = d;
	return 0;
fail:
	kft_dashboard_free(d);
	return error;
}

const char *kft_dashboard_url(const kft_dashboard_t *dash)
{
	return dash ? dash->url : NULL;
}

void kft_dashboard_stop(kft_dashboard_t *dash)
{
	uint64_t one = 1;
	ssize_t r;

	if (!dash)
		return;
	dash->stopping = 1;
	r = write(dash->stop_fd, &one, sizeof(one));
	(void)r;
}

int kft_dashboard_run(kft_dashboard_t *dash)
{
	int64_t last_prune = 0;

	KFT_ASSERT_ARG(dash);
	while (!dash->stopping) {
		struct pollfd p = { dash->stop_fd, POLLIN, 0 };
		int64_t wait, now;
		kft__dash_snap *s;

		kft__dash_poll(dash);
		now = kft__mono_ms();
		if (dash->hist && now - last_prune > 60000) {
			kft__dash_history_prune(dash->hist, dash->hist_days, dash->hist_max);
			last_prune = now;
		}
		/* a big store is not re-read back to back: at most a quarter of the time */
		s = kft__dash_snap_get(dash);
		wait = dash->poll_ms;
		if (s && s->list_ms * 4 > wait)
			wait = s->list_ms * 4;
		kft__dash_snap_put(dash, s);
		if (poll(&p, 1, (int)wait) < 0 && errno != EINTR)
			return kft__error_os(KFT_ERROR, "poll");
	}
	return 0;
}

void kft_dashboard_free(kft_dashboard_t *d)
{
	size_t i;

	if (!d)
		return;
	d->stopping = 1;
	pthread_mutex_lock(&d->lock);
	pthread_cond_broadcast(&d->changed);
	pthread_mutex_unlock(&d->lock);
	if (d->mhd)
		MHD_stop_daemon(d->mhd);
	/* log streams notice `stopping` within a second (heartbeats) */
	pthread_mutex_lock(&d->lock);
	while (d->streams > 0)
		pthread_cond_wait(&d->streams_done, &d->lock);
	pthread_mutex_unlock(&d->lock);
	kft__dash_snap_free(d->snap);
	for (i = 0; d->removed && i < KFT__DASH_MAX_REMOVED; i++)
		free(d->removed[i].name);
	free(d->removed);
	kft__dash_history_close(d->hist);
	kft_client_free(d->client);
	for (i = 0; i < 9; i++)
		free(d->copt_str[i]);
	if (d->stop_fd >= 0)
		close(d->stop_fd);
	free(d->backend);
	free(d->list_error);
	free(d->url);
	if (d->token) {
		memset(d->token, 0, strlen(d->token));
		free(d->token);
	}
	pthread_mutex_destroy(&d->lock);
	pthread_mutex_destroy(&d->client_lock);
	pthread_cond_destroy(&d->changed);
	pthread_cond_destroy(&d->streams_done);
	free(d);
}
