/*
 * kft_progress_report(): the C twin of the Python SDK's
 * update_trainjob_status() (reference/kubeflow-trainer.md §10). One POST
 * of {"trainerStatus": {...}} to $KUBEFLOW_TRAINER_SERVER_URL, TLS verified
 * against $KUBEFLOW_TRAINER_SERVER_CA_CERT (else the system CAs), bearer token
 * read from the file $KUBEFLOW_TRAINER_SERVER_TOKEN. Values are clamped to
 * what the CRD accepts so that an update is never refused for being out of
 * range. At most one successful update per 5 s per process; a failure does
 * not use up the window. Never negative: the result is informative.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "trainer_status.h"
#include "http.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define REPORT_INTERVAL_MS 5000
#define REPORT_TIMEOUT_MS 5000

static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t report_last_ok_ms;   /* monotonic; 0: never */

int kft_progress_update_init(kft_progress_update_t *update, unsigned int version)
{
	KFT__VERSIONED_INIT(update, version, kft_progress_update_t, KFT_PROGRESS_UPDATE);
}

/* Copy at most max code points of s (valid UTF-8 or not: bytes past a bad one are cut). */
static char *clamp_chars(const char *s, size_t max)
{
	return kft__strndup(s, kft__utf8_prefix(s, max, NULL));
}

/* The update as a request body, clamped to the CRD's ranges. */
static int build_body(kft__buf *b, const kft_progress_update_t *u)
{
	kft__trainer_status ts = KFT__TRAINER_STATUS_INIT;
	size_t i, n = u->metric_count;
	int error = 0;

	ts.present = 1;
	if (u->percent != KFT_UNSET)
		ts.percent = u->percent < 0 ? 0 : u->percent > 100 ? 100 : u->percent;
	if (u->eta_seconds != KFT_UNSET)
		ts.eta = u->eta_seconds < 0 ? 0 : u->eta_seconds > INT32_MAX ? INT32_MAX : u->eta_seconds;
	ts.updated_ms = kft__now_ms();
	if (n > KFT__PROGRESS_MAX_METRICS)
		n = KFT__PROGRESS_MAX_METRICS;
	if (n && u->metric_names && u->metric_values &&
	    !(ts.metrics = kft__calloc(n, sizeof(*ts.metrics))))
		return kft__error_oom();
	for (i = 0; ts.metrics && i < n; i++) {
		const char *name = u->metric_names[i], *value = u->metric_values[i];
		kft__ts_metric *m = &ts.metrics[ts.nmetrics];

		if (!name || !*name || !value || !*value)
			continue;   /* the CRD requires both */
		m->name = clamp_chars(name, KFT__PROGRESS_MAX_CHARS);
		m->value = clamp_chars(value, KFT__PROGRESS_MAX_CHARS);
		ts.nmetrics++;
		if (!m->name || !m->value) {
			error = kft__error_oom();
			break;
		}
	}
	if (!error) {
		kft__buf_puts(b, "{\"trainerStatus\":");
		error = kft__trainer_status_render(b, &ts);
		kft__buf_putc(b, '}');
		if (b->oom)
			error = kft__error_oom();
	}
	kft__trainer_status_clear(&ts);
	return error;
}

/* The bearer token: the file's contents without surrounding whitespace. */
static int read_token(char **out, const char *path)
{
	char *t = NULL, *s;
	size_t len = 0;

	*out = NULL;
	if (kft__read_file(&t, &len, path) < 0)
		return kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_OS,
		                      "progress report: cannot read the token file "
		                      "(KUBEFLOW_TRAINER_SERVER_TOKEN)");
	while (len && strchr(" \t\r\n", t[len - 1]))
		t[--len] = '\0';
	for (s = t; *s && strchr(" \t\r\n", *s); s++)
		;
	if (!*s || strpbrk(s, "\r\n")) {
		free(t);
		return kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_INVALID,
		                      "progress report: the token file is empty or has several lines");
	}
	*out = kft__strdup(s);
	free(t);
	return *out ? 0 : kft__error_oom();
}

/* The HTTP layer's auth hook: the bearer token. */
static int bearer(CURL *h, struct curl_slist **hdrs, void *ud)
{
	(void)h;
	return kft__http_add_bearer(hdrs, ud);
}

/* The progress server's error answer: "HTTP <status>: <its message>". */
static int refusal(kft__http_err *e, const char *body, size_t len, const char *method,
                   const char *what)
{
	cJSON *st = len ? cJSON_ParseWithLength(body, len) : NULL;
	const char *msg = kft__json_str(st, "message"), *reason = kft__json_str(st, "reason");

	(void)method;
	(void)what;
	kft__buf_printf(&e->message, "HTTP %ld: ", e->status);
	kft__buf_put_text(&e->message, msg ? msg : "the progress server refused the update",
	                  (size_t)-1, NULL);
	if (reason)
		kft__buf_put_text(&e->reason, reason, 64, NULL);
	cJSON_Delete(st);
	return e->message.oom || e->reason.oom ? KFT_ENOMEM : 0;
}

static int post(const char *url, const char *ca, const char *token, const kft__buf *body)
{
	kft__buf answer = KFT__BUF_INIT;
	kft__http_opts o;
	kft__http_req r;
	kft__http_res res;
	kft__http *c = NULL;
	int error;

	memset(&o, 0, sizeof(o));
	o.peer = "the progress server";
	o.klass = KFT_ERROR_CLASS_HTTP;
	o.errbody = refusal;
	o.auth = bearer;
	o.auth_ud = (void *)token;
	o.server = url;
	o.ca_file = ca && *ca ? ca : NULL;
	o.timeout_ms = o.connect_timeout_ms = REPORT_TIMEOUT_MS;
	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.path = "";
	r.body = body->ptr;
	r.body_len = body->len;
	if ((error = kft__http_new(&c, &o)) == 0 &&
	    (error = kft__http_perform(&answer, &res, c, &r)) == 0)
		error = kft__http_result_error(c, &res, &answer, "POST", url);
	if (error < 0)
		kft__error_prefix("progress report");
	kft__http_free(c);
	kft__buf_free(&answer);
	return error;
}

int kft_progress_report(const kft_progress_update_t *update)
{
	const char *url = getenv("KUBEFLOW_TRAINER_SERVER_URL");
	const char *ca = getenv("KUBEFLOW_TRAINER_SERVER_CA_CERT");
	const char *tokfile = getenv("KUBEFLOW_TRAINER_SERVER_TOKEN");
	kft__buf body = KFT__BUF_INIT;
	char *token = NULL;
	int64_t now = kft__mono_ms();
	int skip;

	if (!update || update->version == 0 || update->version > KFT_PROGRESS_UPDATE_VERSION) {
		kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		               "progress report: no update, or an unknown kft_progress_update_t version");
		return KFT_PROGRESS_FAILED;
	}
	if (!url || !*url || !tokfile || !*tokfile) {
		kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_NONE, "progress report: "
		               "KUBEFLOW_TRAINER_SERVER_URL or _TOKEN is not set (no progress server)");
		return KFT_PROGRESS_SKIPPED;
	}
	pthread_mutex_lock(&report_lock);
	skip = report_last_ok_ms && now - report_last_ok_ms < REPORT_INTERVAL_MS;
	pthread_mutex_unlock(&report_lock);
	if (skip) {
		kft__error_set(KFT_OK, KFT_ERROR_CLASS_NONE,
		               "progress report: within 5 s of the last update (not sent)");
		return KFT_PROGRESS_SKIPPED;
	}
	if (build_body(&body, update) < 0 || read_token(&token, tokfile) < 0 ||
	    post(url, ca, token, &body) < 0) {
		free(token);
		kft__buf_free(&body);
		return KFT_PROGRESS_FAILED;
	}
	free(token);
	kft__buf_free(&body);
	pthread_mutex_lock(&report_lock);
	report_last_ok_ms = kft__mono_ms();
	pthread_mutex_unlock(&report_lock);
	return KFT_PROGRESS_SENT;
}
