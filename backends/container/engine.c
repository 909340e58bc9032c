/*
 * Docker Engine API client over a unix socket. See engine.h.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "engine.h"
#include "http.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define PING_TIMEOUT_MS 2000
#define DEFAULT_TIMEOUT_MS 30000

struct kft__engine {
	kft__http *http;     /* over the socket; one reused connection */
	char *sock;
	char api[16];        /* "1.41" */
	char *version;       /* server version */
	int podman;
	int64_t timeout_ms;
	long last_status;
};

struct kft__engine_stream {
	kft__http_stream hs;
	kft__engine_data_cb cb;
	void *payload;
	int demux_on;
	kft__demux dm;
};

const char *kft__engine_socket(const kft__engine *e) { return e->sock; }
const char *kft__engine_api(const kft__engine *e) { return e->api; }
const char *kft__engine_name(const kft__engine *e) { return e->podman ? "podman" : "docker"; }
const char *kft__engine_version(const kft__engine *e) { return e->version ? e->version : ""; }
int kft__engine_is_podman(const kft__engine *e) { return e->podman; }
long kft__engine_last_status(const kft__engine *e) { return e->last_status; }

/*
 * The Engine's error body: {"message": "..."}. Its 4xx and 5xx answers are the
 * operation's failure (a create the engine refused is not retried as a busy
 * server would be): only not found, exists and auth are told apart, and podman
 * words a name clash "already in use".
 */
static int engine_errbody(kft__http_err *e, const char *body, size_t len, const char *method,
                          const char *what)
{
	cJSON *j = len && (body[0] == '{' || body[0] == '[') ? cJSON_ParseWithLength(body, len) : NULL;
	const char *m = kft__json_str(j, "message");

	if (e->code != KFT_ENOTFOUND && e->code != KFT_EEXISTS && e->code != KFT_EAUTH)
		e->code = KFT_ERROR;
	if (e->code != KFT_ENOTFOUND && m && strstr(m, "already in use"))
		e->code = KFT_EEXISTS;
	if (m) {
		kft__buf_put_text(&e->message, m, (size_t)-1, NULL);
		kft__buf_printf(&e->message, " (HTTP %ld from %s %s)", e->status, method, what);
	}
	cJSON_Delete(j);
	return e->message.oom ? KFT_ENOMEM : 0;
}

int kft__engine_status_error(long status, const char *body, size_t len, const char *method,
                             const char *what)
{
	return kft__http_status_error(KFT_ERROR_CLASS_CONTAINER, engine_errbody, status, body, len,
	                              method, what);
}

/* A client on the socket at path (ours to keep: e->sock). */
static int connect_socket(kft__engine *e, const char *path)
{
	kft__http_opts o;

	memset(&o, 0, sizeof(o));
	if ((e->sock = kft__strdup(path)) == NULL)
		return kft__error_oom();
	o.peer = "the container engine at";
	o.klass = KFT_ERROR_CLASS_CONTAINER;
	o.errbody = engine_errbody;
	o.server = "http://localhost";
	o.unix_socket = e->sock;
	o.timeout_ms = e->timeout_ms;
	o.connect_timeout_ms = PING_TIMEOUT_MS;
	return kft__http_new(&e->http, &o);
}

static void disconnect(kft__engine *e)
{
	kft__http_free(e->http);
	e->http = NULL;
	free(e->sock);
	e->sock = NULL;
}

static int do_call(cJSON **out, kft__engine *e, const char *method, const char *url_path,
                   const char *body, int64_t timeout_ms, int versioned)
{
	kft__buf path = KFT__BUF_INIT, resp = KFT__BUF_INIT;
	kft__http_req r;
	kft__http_res res;
	int error;

	if (out)
		*out = NULL;
	e->last_status = 0;
	if (versioned)
		kft__buf_printf(&path, "/v%s%s", e->api, url_path);
	else
		kft__buf_puts(&path, url_path);
	if (path.oom)
		return kft__error_oom();
	memset(&r, 0, sizeof(r));
	r.method = method;
	r.path = path.ptr;
	r.body = body;
	r.timeout_ms = timeout_ms;
	if ((error = kft__http_perform(&resp, &res, e->http, &r)) < 0)
		goto out;
	e->last_status = res.status;
	if (res.curl == CURLE_OK && res.status == 304)
		goto out;   /* not modified (stop of a stopped container): done */
	if ((error = kft__http_result_error(e->http, &res, &resp, method, url_path)) < 0)
		goto out;
	if (out && resp.len && (resp.ptr[0] == '{' || resp.ptr[0] == '['))
		*out = cJSON_ParseWithLength(resp.ptr, resp.len);
out:
	kft__buf_free(&path);
	kft__buf_free(&resp);
	return error;
}

int kft__engine_call(cJSON **out, kft__engine *e, const char *method, const char *path,
                     const char *body, int64_t timeout_ms)
{
	return do_call(out, e, method, path, body, timeout_ms, 1);
}

/* ---- discovery ---- */

int kft__engine_candidates(kft__strv *out, const char *host)
{
	const char *envs[] = { "DOCKER_HOST", "CONTAINER_HOST" };
	const char *xdg;
	size_t i;

	if (host && *host)
		return kft__strv_push(out, host);
	for (i = 0; i < 2; i++) {
		const char *v = getenv(envs[i]);

		if (v && *v && kft__strv_push(out, v) < 0)
			return KFT_ENOMEM;
	}
	if (out->n)   /* explicitly chosen engines only, like the docker CLI */
		return 0;
	if (kft__strv_push(out, "/var/run/docker.sock") < 0)
		return KFT_ENOMEM;
	xdg = getenv("XDG_RUNTIME_DIR");
	if (xdg && *xdg && kft__strv_pushf(out, "%s/podman/podman.sock", xdg) < 0)
		return KFT_ENOMEM;
	if (kft__strv_push(out, "/run/podman/podman.sock") < 0)
		return KFT_ENOMEM;
	return 0;
}

/* _ping headers: "Api-Version: 1.41", "Server: Docker/20.10.24 (linux)" or "Libpod/4.3.1". */
typedef struct {
	char api[16];
	char server[128];
} ping_hdrs;

static void ping_header(const char *buf, size_t n, void *ud)
{
	ping_hdrs *h = ud;
	size_t len;
	const char *v;
	char *dst = NULL;
	size_t cap = 0;

	if (n > 12 && !strncasecmp(buf, "Api-Version:", 12)) {
		v = buf + 12;
		dst = h->api;
		cap = sizeof(h->api);
	} else if (n > 7 && !strncasecmp(buf, "Server:", 7)) {
		v = buf + 7;
		dst = h->server;
		cap = sizeof(h->server);
	}
	if (dst) {
		while (*v == ' ' && v < buf + n)
			v++;
		len = (size_t)(buf + n - v);
		while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
			len--;
		snprintf(dst, cap, "%.*s", (int)len, v);
	}
}

/* Try one candidate: 0 and connected, -1 with why in *why, or another error (OOM). */
static int probe(kft__engine *e, const char *cand, kft__buf *why, ping_hdrs *h)
{
	const char *path = cand;
	struct stat st;
	kft__buf body = KFT__BUF_INIT;
	kft__http_req r;
	kft__http_res res;
	int error;

	if (kft__has_prefix(cand, "unix://"))
		path = cand + 7;
	else if (strstr(cand, "://")) {
		kft__buf_printf(why, "unsupported scheme (only unix:// sockets are supported)");
		return -1;
	}
	if (!*path || path[0] != '/') {
		kft__buf_printf(why, "not an absolute socket path");
		return -1;
	}
	if (strlen(path) >= 108) {
		kft__buf_printf(why, "path longer than a unix socket allows (107 bytes)");
		return -1;
	}
	if (stat(path, &st) < 0) {
		kft__buf_printf(why, "%s", errno == ENOENT ? "missing" : strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		kft__buf_printf(why, "not a socket");
		return -1;
	}
	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.path = "/_ping";
	r.timeout_ms = PING_TIMEOUT_MS;
	r.on_header = ping_header;
	r.header_ud = h;
	memset(h, 0, sizeof(*h));
	if ((error = connect_socket(e, path)) < 0 ||
	    (error = kft__http_perform(&body, &res, e->http, &r)) < 0)
		goto out;
	error = -1;
	if (res.curl == CURLE_COULDNT_CONNECT) {
		if (res.os_errno == EACCES || res.os_errno == EPERM)
			kft__buf_printf(why, "permission denied");
		else if (res.os_errno == ECONNREFUSED)
			kft__buf_printf(why, "connection refused (nothing listening)");
		else
			kft__buf_printf(why, "cannot connect: %s", res.os_errno ?
			                strerror((int)res.os_errno) : curl_easy_strerror(res.curl));
	} else if (res.curl == CURLE_OPERATION_TIMEDOUT) {
		kft__buf_printf(why, "no answer to /_ping within %d ms", PING_TIMEOUT_MS);
	} else if (res.curl != CURLE_OK) {
		kft__buf_printf(why, "%s", res.errbuf[0] ? res.errbuf : curl_easy_strerror(res.curl));
	} else if (res.status != 200) {
		kft__buf_printf(why, "answered HTTP %ld to /_ping (not a container engine?)",
		                res.status);
	} else {
		error = 0;
	}
out:
	kft__buf_free(&body);
	if (error < 0)
		disconnect(e);
	return error;
}

/* "1.41" -> 41; -1 if not "1.N". */
static int api_minor(const char *v)
{
	int64_t m;

	if (!v || strncmp(v, "1.", 2) != 0 || kft__parse_i64(&m, v + 2) < 0 || m < 0 || m > 999)
		return -1;
	return (int)m;
}

/* The API version from the _ping headers (as the docker CLI does): no slow GET /version. */
static int negotiate_ping(kft__engine *e, const ping_hdrs *h)
{
	int minor = api_minor(h->api), max = api_minor(KFT__ENGINE_API_MAX);
	const char *slash = strchr(h->server, '/');
	char ver[64];

	if (minor < 0)
		return 1;   /* not told: ask /version */
	if (minor < KFT__ENGINE_API_MIN_MINOR)
		return kft__error_set(KFT_EVERSION, KFT_ERROR_CLASS_CONTAINER,
		                      "container engine at %s speaks API %s; at least 1.%d is needed",
		                      e->sock, h->api, KFT__ENGINE_API_MIN_MINOR);
	snprintf(e->api, sizeof(e->api), "1.%d", minor < max ? minor : max);
	e->podman = kft__has_prefix(h->server, "Libpod");
	snprintf(ver, sizeof(ver), "%.*s", slash ? (int)strcspn(slash + 1, " ") : 0,
	         slash ? slash + 1 : "");
	if (*ver && (e->version = kft__strdup(ver)) == NULL)
		return kft__error_oom();
	kft__log(KFT_DIAG_INFO, "engine: %s %s at %s, API %s", e->podman ? "podman" : "docker",
	         kft__engine_version(e), e->sock, e->api);
	return 0;
}

static int negotiate(kft__engine *e)
{
	cJSON *v = NULL;
	const cJSON *comps, *c;
	const char *api, *ver;
	int minor, max = api_minor(KFT__ENGINE_API_MAX), error;

	if ((error = do_call(&v, e, "GET", "/version", NULL, 0, 0)) < 0)
		return error;   /* the message names the engine and the request */
	api = kft__json_str(v, "ApiVersion");
	minor = api_minor(api);
	if (minor < 0) {
		error = kft__error_set(KFT_EVERSION, KFT_ERROR_CLASS_CONTAINER,
		                       "container engine at %s reports no usable ApiVersion (%s)",
		                       e->sock, api ? api : "none");
		goto out;
	}
	if (minor < KFT__ENGINE_API_MIN_MINOR) {
		error = kft__error_set(KFT_EVERSION, KFT_ERROR_CLASS_CONTAINER,
		                       "container engine at %s speaks API %s; at least 1.%d is needed",
		                       e->sock, api, KFT__ENGINE_API_MIN_MINOR);
		goto out;
	}
	snprintf(e->api, sizeof(e->api), "1.%d", minor < max ? minor : max);
	ver = kft__json_str(v, "Version");
	if (ver && (e->version = kft__strdup(ver)) == NULL) {
		error = kft__error_oom();
		goto out;
	}
	comps = kft__json_get(v, "Components");
	cJSON_ArrayForEach(c, comps) {
		const char *n = kft__json_str(c, "Name");

		if (n && strstr(n, "Podman"))
			e->podman = 1;
	}
	c = kft__json_get(v, "Platform");
	if (c && kft__json_str(c, "Name") && strstr(kft__json_str(c, "Name"), "Podman"))
		e->podman = 1;
	kft__log(KFT_DIAG_INFO, "engine: %s %s at %s, API %s", e->podman ? "podman" : "docker",
	         kft__engine_version(e), e->sock, e->api);
out:
	cJSON_Delete(v);
	return error;
}

int kft__engine_open(kft__engine **out, const char *host, int64_t timeout_ms)
{
	kft__strv cands = KFT__STRV_INIT;
	kft__buf tried = KFT__BUF_INIT;
	kft__engine *e;
	ping_hdrs h;
	size_t i;
	int error;

	KFT_ASSERT_ARG(out);
	*out = NULL;
	KFT_CHECK_ALLOC(e = kft__calloc(1, sizeof(*e)));
	e->timeout_ms = timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS;
	if ((error = kft__engine_candidates(&cands, host)) < 0) {
		error = kft__error_oom();
		goto fail;
	}
	for (i = 0; i < cands.n; i++) {

		kft__buf_printf(&tried, "%s%s (", i ? ", " : "", cands.v[i]);
		if ((error = probe(e, cands.v[i], &tried, &h)) == 0)
			break;
		if (error != -1)
			goto fail;
		kft__buf_putc(&tried, ')');
	}
	if (!e->sock) {
		error = kft__error_set(KFT_EUNAVAILABLE, KFT_ERROR_CLASS_CONTAINER,
		                       "no container engine answered; tried: %s. Start dockerd or "
		                       "'podman system service', or point --container-host / "
		                       "DOCKER_HOST at its socket", tried.ptr ? tried.ptr : "nothing");
		goto fail;
	}
	if ((error = negotiate_ping(e, &h)) < 0 || (error == 1 && (error = negotiate(e)) < 0))
		goto fail;
	kft__buf_free(&tried);
	kft__strv_free(&cands);
	*out = e;
	return 0;
fail:
	kft__buf_free(&tried);
	kft__strv_free(&cands);
	kft__engine_free(e);
	return error;
}

void kft__engine_free(kft__engine *e)
{
	if (!e)
		return;
	disconnect(e);
	free(e->version);
	free(e);
}

/* ---- typed helpers ---- */

int kft__engine_ping(kft__engine *e)
{
	return do_call(NULL, e, "GET", "/_ping", NULL, PING_TIMEOUT_MS, 0);
}

static int path_with(kft__buf *p, const char *pre, const char *name, const char *post)
{
	kft__buf_puts(p, pre);
	kft__http_escape(p, name, 1);
	kft__buf_puts(p, post);
	return p->oom ? kft__error_oom() : 0;
}

int kft__engine_image_exists(kft__engine *e, const char *image)
{
	kft__buf p = KFT__BUF_INIT;
	int error;

	if ((error = path_with(&p, "/images/", image, "/json")) == 0)
		error = kft__engine_call(NULL, e, "GET", p.ptr, NULL, 0);
	kft__buf_free(&p);
	return error;
}

int kft__engine_image_pull(kft__engine *e, const char *image)
{
	kft__buf p = KFT__BUF_INIT, resp = KFT__BUF_INIT;
	const char *slash = strrchr(image, '/'), *colon = strrchr(image, ':');
	char *name = NULL;
	const char *tag = NULL;
	kft__http_req r;
	kft__http_res res;
	long status;
	int error = 0;

	/* fromImage=<repo>&tag=<tag> (a digest stays in fromImage) */
	if (!strchr(image, '@') && colon && (!slash || colon > slash)) {
		name = kft__strndup(image, (size_t)(colon - image));
		tag = colon + 1;
	} else {
		name = kft__strdup(image);
	}
	KFT_CHECK_ALLOC(name);
	kft__buf_printf(&p, "/v%s/images/create?fromImage=", e->api);
	kft__http_escape(&p, name, 0);
	kft__buf_puts(&p, "&tag=");
	kft__http_escape(&p, tag ? tag : "latest", 0);
	if (p.oom) {
		error = kft__error_oom();
		goto out;
	}
	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.path = p.ptr;
	r.timeout_ms = -1;   /* a pull takes as long as the image's size and the network make it */
	if ((error = kft__http_perform(&resp, &res, e->http, &r)) < 0)
		goto out;
	if (res.curl != CURLE_OK) {
		error = kft__http_transport_error(e->http, &res);
		kft__error_prefix("pull %s", image);
		goto out;
	}
	status = res.status;
	/* the answer is a stream of JSON progress objects; an "error" one means failure */
	{
		char *line = resp.ptr, *nl;
		const char *errmsg = NULL;
		cJSON *j = NULL;

		while (line && *line && !errmsg) {
			nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			cJSON_Delete(j);
			j = cJSON_Parse(line);
			if (j && (kft__json_str(j, "error") || (status >= 300 &&
			                                        kft__json_str(j, "message"))))
				errmsg = kft__json_str(j, "error") ? kft__json_str(j, "error") :
				         kft__json_str(j, "message");
			line = nl ? nl + 1 : NULL;
		}
		if (errmsg || status >= 300)
			error = kft__error_set(status == 404 ? KFT_ENOTFOUND : KFT_ERROR,
			                       KFT_ERROR_CLASS_CONTAINER, "pull %s: %s", image,
			                       errmsg ? errmsg : "failed");
		cJSON_Delete(j);
	}
out:
	free(name);
	kft__buf_free(&p);
	kft__buf_free(&resp);
	return error;
}

int kft__engine_image_ensure(kft__engine *e, const char *image, const char *policy)
{
	int error;

	if (!policy || !*policy)
		policy = "IfNotPresent";
	if (!strcmp(policy, "Always"))
		return kft__engine_image_pull(e, image);
	if (strcmp(policy, "IfNotPresent") != 0 && strcmp(policy, "Never") != 0)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "pull policy \"%s\": must be IfNotPresent, Always or Never",
		                      policy);
	error = kft__engine_image_exists(e, image);
	if (error != KFT_ENOTFOUND)
		return error;
	if (!strcmp(policy, "Never"))
		return kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_CONTAINER,
		                      "image %s is not present in the %s engine and the pull policy "
		                      "is Never (build or load it first, or use IfNotPresent)", image,
		                      kft__engine_name(e));
	return kft__engine_image_pull(e, image);
}

int kft__engine_container_create(char **id_out, kft__engine *e, const char *name,
                                 const cJSON *body)
{
	kft__buf p = KFT__BUF_INIT;
	char *text = NULL;
	cJSON *resp = NULL;
	const char *id;
	int error;

	*id_out = NULL;
	if ((text = cJSON_PrintUnformatted(body)) == NULL)
		return kft__error_oom();
	if ((error = path_with(&p, "/containers/create?name=", name, "")) < 0)
		goto out;
	error = kft__engine_call(&resp, e, "POST", p.ptr, text, 0);
	if (error == KFT_EEXISTS) {
		kft__error_prefix("container name %s is already in use (a leftover container? "
		                  "remove it with 'kft delete' or 'docker rm -f %s')", name, name);
		goto out;
	}
	if (error < 0)
		goto out;
	id = kft__json_str(resp, "Id");
	if (!id) {
		error = kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_CONTAINER,
		                       "create %s: the engine returned no container Id", name);
		goto out;
	}
	if ((*id_out = kft__strdup(id)) == NULL)
		error = kft__error_oom();
out:
	cJSON_Delete(resp);
	free(text);
	kft__buf_free(&p);
	return error;
}

static int container_post(kft__engine *e, const char *id, const char *verb, int64_t timeout,
                          cJSON **out)
{
	kft__buf p = KFT__BUF_INIT;
	int error;

	if ((error = path_with(&p, "/containers/", id, verb)) == 0)
		error = kft__engine_call(out, e, "POST", p.ptr, NULL, timeout);
	kft__buf_free(&p);
	return error;
}

int kft__engine_container_start(kft__engine *e, const char *id)
{
	return container_post(e, id, "/start", 0, NULL);
}

int kft__engine_container_wait(int *exit_code, kft__engine *e, const char *id)
{
	cJSON *r = NULL;
	const cJSON *sc;
	int error;

	*exit_code = -1;
	if ((error = container_post(e, id, "/wait", -1, &r)) < 0)
		return error;
	sc = kft__json_get(r, "StatusCode");
	*exit_code = (int)kft__json_int(sc, INT_MIN, INT_MAX, *exit_code);
	cJSON_Delete(r);
	return 0;
}

/* GET prefix+id+suffix (an inspect). */
static int inspect(cJSON **out, kft__engine *e, const char *prefix, const char *id,
                   const char *suffix)
{
	kft__buf p = KFT__BUF_INIT;
	int error;

	if ((error = path_with(&p, prefix, id, suffix)) == 0)
		error = kft__engine_call(out, e, "GET", p.ptr, NULL, 0);
	kft__buf_free(&p);
	return error;
}

int kft__engine_container_inspect(cJSON **out, kft__engine *e, const char *id)
{
	return inspect(out, e, "/containers/", id, "/json");
}

int kft__engine_container_stop(kft__engine *e, const char *id, int grace_s)
{
	char verb[32];
	int error;

	if (grace_s >= 0)
		snprintf(verb, sizeof(verb), "/stop?t=%d", grace_s);
	else
		snprintf(verb, sizeof(verb), "/stop");
	/* the engine answers once the container stopped: allow the grace period */
	error = container_post(e, id, verb, (grace_s >= 0 ? grace_s : 10) * 1000 + 30000, NULL);
	if (error == KFT_ENOTFOUND || (error < 0 && kft__engine_last_status(e) == 304))
		error = 0;
	return error;
}

int kft__engine_container_remove(kft__engine *e, const char *id)
{
	kft__buf p = KFT__BUF_INIT;
	int error;

	if ((error = path_with(&p, "/containers/", id, "?force=1&v=1")) == 0)
		error = kft__engine_call(NULL, e, "DELETE", p.ptr, NULL, 60000);
	kft__buf_free(&p);
	if (error == KFT_ENOTFOUND)
		error = 0;
	return error;
}

static int list_filtered(cJSON **out, kft__engine *e, const char *what, const char *label)
{
	kft__buf p = KFT__BUF_INIT, f = KFT__BUF_INIT;
	cJSON *filters = cJSON_CreateObject(), *arr;
	char *ftext = NULL;
	int error;

	*out = NULL;
	if (!filters || !(arr = cJSON_AddArrayToObject(filters, "label")) ||
	    !cJSON_AddItemToArray(arr, cJSON_CreateString(label)) ||
	    !(ftext = cJSON_PrintUnformatted(filters))) {
		error = kft__error_oom();
		goto out;
	}
	kft__buf_puts(&p, what);
	kft__buf_puts(&p, strchr(what, '?') ? "&filters=" : "?filters=");
	if ((error = kft__http_escape(&p, ftext, 0)) < 0)
		goto out;
	error = kft__engine_call(out, e, "GET", p.ptr, NULL, 0);
	if (error == 0 && !cJSON_IsArray(*out)) {
		cJSON_Delete(*out);
		*out = cJSON_CreateArray();
		if (!*out)
			error = kft__error_oom();
	}
out:
	free(ftext);
	cJSON_Delete(filters);
	kft__buf_free(&p);
	kft__buf_free(&f);
	return error;
}

int kft__engine_container_list(cJSON **out, kft__engine *e, const char *label)
{
	return list_filtered(out, e, "/containers/json?all=1", label);
}

int kft__engine_network_list(cJSON **out, kft__engine *e, const char *label)
{
	return list_filtered(out, e, "/networks", label);
}

int kft__engine_network_create(char **id_out, kft__engine *e, const char *name,
                               const cJSON *labels, int internal)
{
	cJSON *body = cJSON_CreateObject(), *resp = NULL;
	char *text = NULL;
	const char *id;
	int error = 0;

	if (id_out)
		*id_out = NULL;
	if (!body || !cJSON_AddStringToObject(body, "Name", name) ||
	    !cJSON_AddStringToObject(body, "Driver", "bridge") ||
	    !cJSON_AddBoolToObject(body, "CheckDuplicate", 1) ||
	    !cJSON_AddBoolToObject(body, "Internal", internal) ||
	    (labels && !cJSON_AddItemToObject(body, "Labels", cJSON_Duplicate(labels, 1))) ||
	    !(text = cJSON_PrintUnformatted(body))) {
		error = kft__error_oom();
		goto out;
	}
	error = kft__engine_call(&resp, e, "POST", "/networks/create", text, 0);
	if (error == KFT_EEXISTS)
		kft__error_prefix("network %s already exists (a leftover of an earlier job?)", name);
	if (error < 0)
		goto out;
	id = kft__json_str(resp, "Id");
	if (id_out && id && (*id_out = kft__strdup(id)) == NULL)
		error = kft__error_oom();
out:
	cJSON_Delete(resp);
	cJSON_Delete(body);
	free(text);
	return error;
}

int kft__engine_network_inspect(cJSON **out, kft__engine *e, const char *name)
{
	return inspect(out, e, "/networks/", name, "");
}

int kft__engine_network_remove(kft__engine *e, const char *name)
{
	kft__buf p = KFT__BUF_INIT;
	int error;

	if ((error = path_with(&p, "/networks/", name, "")) == 0)
		error = kft__engine_call(NULL, e, "DELETE", p.ptr, NULL, 0);
	kft__buf_free(&p);
	if (error == KFT_ENOTFOUND)
		error = 0;
	return error;
}

/* ---- demultiplexer ---- */

int kft__demux_feed(kft__demux *d, const char *data, size_t len, kft__engine_data_cb cb,
                    void *payload)
{
	int rc;

	while (len > 0) {
		if (d->mode == 0)   /* a framed stream starts with a header: 0, 1 or 2, then 0 0 0 */
			d->mode = ((unsigned char)data[0] <= 2) ? 1 : 2;
		if (d->mode == 2)
			return cb(data, len, 0, payload);
		if (d->remaining == 0) {
			size_t take = 8 - d->hdr_len;

			if (take > len)
				take = len;
			memcpy(d->hdr + d->hdr_len, data, take);
			d->hdr_len += take;
			data += take;
			len -= take;
			if (d->hdr_len == 8) {
				d->fd = d->hdr[0];
				d->remaining = ((uint64_t)d->hdr[4] << 24) | ((uint64_t)d->hdr[5] << 16) |
				               ((uint64_t)d->hdr[6] << 8) | (uint64_t)d->hdr[7];
				d->hdr_len = 0;
			}
			continue;
		}
		{
			size_t n = d->remaining < len ? (size_t)d->remaining : len;

			if ((rc = cb(data, n, d->fd, payload)) != 0)
				return rc;
			d->remaining -= n;
			data += n;
			len -= n;
		}
	}
	return 0;
}

/* ---- streams ---- */

/* The layer's sink for a stream's 2xx body: demultiplexed (or raw) to cb. */
static int stream_data(const char *data, size_t len, void *ud)
{
	kft__engine_stream *s = ud;

	if (s->demux_on)
		return kft__demux_feed(&s->dm, data, len, s->cb, s->payload);
	return s->cb(data, len, 0, s->payload);
}

int kft__engine_stream_new(kft__engine_stream **out, kft__engine *e, const char *path, int demux,
                           kft__engine_data_cb cb, void *payload)
{
	kft__engine_stream *s;
	kft__buf p = KFT__BUF_INIT;
	kft__demux init = KFT__DEMUX_INIT;
	kft__http_req r;
	int error;

	*out = NULL;
	KFT_CHECK_ALLOC(s = kft__calloc(1, sizeof(*s)));
	s->cb = cb;
	s->payload = payload;
	s->demux_on = demux;
	s->dm = init;
	s->hs.owner = s;
	kft__buf_printf(&p, "/v%s%s", e->api, path);
	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.path = p.ptr;
	r.sink = stream_data;
	r.sink_ud = s;
	if (p.oom)
		error = kft__error_oom();
	else
		error = kft__http_stream_open(&s->hs, e->http, &r);
	kft__buf_free(&p);
	if (error < 0) {
		kft__engine_stream_free(s);
		return error;
	}
	*out = s;
	return 0;
}

void kft__engine_stream_set_post(kft__engine_stream *s)
{
	s->hs.method = "POST";
	curl_easy_setopt(s->hs.h, CURLOPT_POST, 1L);
	curl_easy_setopt(s->hs.h, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(s->hs.h, CURLOPT_POSTFIELDSIZE, 0L);
}

void kft__engine_stream_free(kft__engine_stream *s)
{
	if (!s)
		return;
	kft__http_stream_close(&s->hs);
	free(s);
}

int kft__engine_stream_done(const kft__engine_stream *s) { return s->hs.done; }
long kft__engine_stream_status(const kft__engine_stream *s) { return s->hs.res.status; }

/* What kft__http_multi_step reports to, for one run of the engine's streams. */
typedef struct {
	CURLM *m;
	size_t active;
	int ended;
	int rc;                /* a stream's callback's return: the run stops */
} run_ctx;

static void stream_done(kft__http_stream *hs, void *payload)
{
	run_ctx *r = payload;

	curl_multi_remove_handle(r->m, hs->h);
	r->active--;
	r->ended = 1;
	if (r->rc)
		return;
	if (hs->sink_rc)
		r->rc = hs->sink_rc;
	else
		kft__http_stream_error(hs);   /* the message; the other streams go on */
}

int kft__engine_streams_run(kft__engine *e, kft__engine_stream **s, size_t n, int64_t tick_ms,
                            int (*tick)(void *payload), void *payload)
{
	run_ctx r = { NULL, 0, 0, 0 };
	int64_t next_tick;
	size_t i;
	int rc = 0;

	(void)e;
	if (!(r.m = curl_multi_init()))
		return kft__error_oom();
	if (tick_ms <= 0 || tick_ms > 1000)
		tick_ms = 1000;
	for (i = 0; i < n; i++) {
		if (s[i]->hs.done)
			continue;
		curl_multi_add_handle(r.m, s[i]->hs.h);
		r.active++;
	}
	next_tick = kft__mono_ms() + tick_ms;
	while (r.active > 0) {
		int64_t now;

		r.ended = 0;
		if ((rc = kft__http_multi_step(r.m, stream_done, &r)) < 0)
			goto out;
		if ((rc = r.rc) != 0)
			goto out;
		now = kft__mono_ms();
		if (tick && (r.ended || now >= next_tick)) {
			next_tick = now + tick_ms;
			if ((rc = tick(payload)) != 0)
				goto out;
		}
		if (r.active == 0)
			break;
		if ((rc = kft__http_multi_wait(r.m, next_tick - kft__mono_ms())) < 0)
			goto out;
	}
out:
	for (i = 0; i < n; i++)
		if (!s[i]->hs.done)
			curl_multi_remove_handle(r.m, s[i]->hs.h);
	curl_multi_cleanup(r.m);
	return rc;
}
