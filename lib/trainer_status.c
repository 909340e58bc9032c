/*
 * status.trainerStatus: validator, rendering, stored record and metrics
 * history (see trainer_status.h). The validator answers as Trainer's status
 * server (pkg/statusserver: a Go json.Decoder into UpdateTrainJobStatusRequest,
 * then the CRD's OpenAPI + CEL rules applied by the API server) would:
 *  - keys match case-insensitively and unknown keys are ignored (Go);
 *  - data after the first JSON value is ignored (json.Decoder.Decode);
 *  - a null body or a null trainerStatus is accepted and stores nothing;
 *  - a number that is not an int32 integer, a non-string name/value/time and
 *    a time that is not RFC 3339 make the body malformed ("Invalid payload");
 *  - an empty metric name or value is "Required value" (Go omits empty strings).
 * Decided here: strings must be valid UTF-8 (Go would replace bad bytes with
 * U+FFFD); "42.0" is accepted as 42 (cJSON does not keep the literal).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "trainer_status.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TS "status.trainerStatus"

struct kft_metrics_history {
	kft__trainer_status *v;
	size_t n, cap;
};

void kft__trainer_status_clear(kft__trainer_status *ts)
{
	size_t i;

	if (!ts)
		return;
	for (i = 0; i < ts->nmetrics; i++) {
		free(ts->metrics[i].name);
		free(ts->metrics[i].value);
	}
	free(ts->metrics);
	*ts = (kft__trainer_status)KFT__TRAINER_STATUS_INIT;
}

static int malformed(int *kind, const char *fmt, const char *field)
{
	*kind = KFT__PROGRESS_MALFORMED;
	return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID, fmt, field);
}

/* The last member named key (case-insensitive, as Go matches fields). */
static const cJSON *member(const cJSON *obj, const char *key)
{
	const cJSON *c, *found = NULL;

	for (c = obj ? obj->child : NULL; c; c = c->next)
		if (c->string && !strcasecmp(c->string, key))
			found = c;
	return found;
}

/* An int32 as Go decodes one: 1 ok, 0 absent (null), -1 not an int32. */
static int get_int32(int64_t *out, const cJSON *item)
{
	double d;

	if (!item || cJSON_IsNull(item))
		return 0;
	if (!cJSON_IsNumber(item))
		return -1;
	d = item->valuedouble;
	if (d != d || d < -2147483648.0 || d > 2147483647.0 || d != (double)(int64_t)d)
		return -1;
	*out = (int64_t)d;
	return 1;
}

/* trainerStatus.key into *dst when it is there (not null): an int32, or the body is malformed. */
static int int32_member(int64_t *dst, int *kind, const cJSON *t, const char *key)
{
	int64_t n;
	int r = get_int32(&n, member(t, key));

	if (r < 0)
		return malformed(kind, "progress body: trainerStatus.%s: must be an int32 integer", key);
	if (r)
		*dst = n;
	return 0;
}

/* Code points of a valid UTF-8 string. */
static size_t utf8_chars(const char *s)
{
	size_t n;

	kft__utf8_prefix(s, (size_t)-1, &n);
	return n;
}

/* RFC 3339 as Go's time.RFC3339 layout parses it: 'T', seconds 0..59, a zone. */
static int64_t rfc3339_strict(const char *s)
{
	size_t n = strlen(s);
	const char *z;

	if (n < 20 || s[10] != 'T' || s[17] > '5')
		return 0;
	z = s[n - 1] == 'Z' ? s + n - 1 : s + n - 6;
	if (z < s + 19 || (*z != 'Z' && ((*z != '+' && *z != '-') || z[3] != ':')))
		return 0;
	return kft__time_rfc3339_ms(s);
}

static int get_string(char **out, int *kind, const cJSON *item, const char *field)
{
	*out = NULL;
	if (!item || cJSON_IsNull(item))
		return 0;
	if (!cJSON_IsString(item))
		return malformed(kind, "progress body: %s: must be a string", field);
	if (!kft__utf8_valid(item->valuestring))
		return malformed(kind, "progress body: %s: not valid UTF-8", field);
	if (!item->valuestring[0])
		return 0;   /* Go's omitempty: an empty string is as good as absent */
	KFT_CHECK_ALLOC(*out = kft__strdup(item->valuestring));
	return 0;
}

static int parse_metrics(kft__trainer_status *out, int *kind, const cJSON *arr)
{
	const cJSON *it;
	size_t n = 0;
	char field[64];
	int error;

	if (!arr || cJSON_IsNull(arr))
		return 0;
	if (!cJSON_IsArray(arr))
		return malformed(kind, "progress body: %s: must be an array", "trainerStatus.metrics");
	n = (size_t)cJSON_GetArraySize(arr);
	if (n > KFT__PROGRESS_MAX_METRICS) {
		*kind = KFT__PROGRESS_INVALID;
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      TS ".metrics: Too many: %zu: must have at most %d items", n,
		                      KFT__PROGRESS_MAX_METRICS);
	}
	if (n == 0)
		return 0;
	KFT_CHECK_ALLOC(out->metrics = kft__calloc(n, sizeof(*out->metrics)));
	cJSON_ArrayForEach(it, arr) {
		kft__ts_metric *m = &out->metrics[out->nmetrics++];

		if (!cJSON_IsObject(it) && !cJSON_IsNull(it)) {
			snprintf(field, sizeof(field), "trainerStatus.metrics[%zu]", out->nmetrics - 1);
			return malformed(kind, "progress body: %s: must be an object", field);
		}
		snprintf(field, sizeof(field), "trainerStatus.metrics[%zu].name", out->nmetrics - 1);
		if ((error = get_string(&m->name, kind, member(it, "name"), field)) < 0)
			return error;
		snprintf(field, sizeof(field), "trainerStatus.metrics[%zu].value", out->nmetrics - 1);
		if ((error = get_string(&m->value, kind, member(it, "value"), field)) < 0)
			return error;
	}
	return 0;
}

/* The CRD's rules, in the API server's words; the first broken one (INT64_MIN: absent). */
static int check_rules(const kft__trainer_status *ts, int *kind)
{
	size_t i;

	*kind = KFT__PROGRESS_INVALID;
	if (ts->percent > 100)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID, TS ".progressPercentage: "
		                      "Invalid value: %lld: " TS ".progressPercentage in body should be "
		                      "less than or equal to 100", (long long)ts->percent);
	for (i = 0; i < 2; i++) {
		const char *f = i ? "estimatedRemainingSeconds" : "progressPercentage";
		int64_t v = i ? ts->eta : ts->percent;

		if (v < 0 && v != INT64_MIN)
			return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID, TS ".%s: Invalid "
			                      "value: %lld: " TS ".%s in body should be greater than or "
			                      "equal to 0", f, (long long)v, f);
	}
	for (i = 0; i < ts->nmetrics; i++) {
		const kft__ts_metric *m = &ts->metrics[i];
		int j;

		for (j = 0; j < 2; j++) {
			const char *f = j ? "value" : "name", *s = j ? m->value : m->name;

			if (!s)
				return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
				                      TS ".metrics[%zu].%s: Required value", i, f);
			if (utf8_chars(s) > KFT__PROGRESS_MAX_CHARS)
				return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
				                      TS ".metrics[%zu].%s: Too long: may not be longer "
				                      "than %d", i, f, KFT__PROGRESS_MAX_CHARS);
		}
	}
	if (ts->updated_ms == 0)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID, TS ": Invalid value: "
		                      "\"object\": lastUpdatedTime is required when trainerStatus is "
		                      "present");
	*kind = 0;
	return 0;
}

int kft__progress_body_parse(kft__trainer_status *out, int *kind, const char *body, size_t len)
{
	kft__trainer_status ts = KFT__TRAINER_STATUS_INIT;
	cJSON *doc = NULL;
	const cJSON *t, *v;
	const char *end = NULL;
	int error = 0, k = 0;

	KFT_ASSERT_ARG(out && kind && (body || !len));
	*out = ts;
	*kind = 0;
	ts.percent = ts.eta = INT64_MIN;   /* absent, told apart from -1 until the end */
	if (len > KFT__PROGRESS_MAX_BODY)
		return malformed(kind, "progress body: %s", "larger than 65536 bytes");
	if (len == 0 || !(doc = cJSON_ParseWithLengthOpts(body, len, &end, 0))) {
		if (len && !end)
			return kft__error_oom();
		return malformed(kind, "progress body: %s", "not a JSON document");
	}
	if (cJSON_IsNull(doc))
		goto done;
	if (!cJSON_IsObject(doc)) {
		error = malformed(&k, "progress body: %s", "must be a JSON object");
		goto done;
	}
	t = member(doc, "trainerStatus");
	if (!t || cJSON_IsNull(t))
		goto done;
	if (!cJSON_IsObject(t)) {
		error = malformed(&k, "progress body: %s: must be an object", "trainerStatus");
		goto done;
	}
	ts.present = 1;
	if ((error = int32_member(&ts.percent, &k, t, "progressPercentage")) < 0 ||
	    (error = int32_member(&ts.eta, &k, t, "estimatedRemainingSeconds")) < 0 ||
	    (error = parse_metrics(&ts, &k, member(t, "metrics"))) < 0)
		goto done;
	v = member(t, "lastUpdatedTime");
	if (v && !cJSON_IsNull(v)) {
		if (!cJSON_IsString(v) || !(ts.updated_ms = rfc3339_strict(v->valuestring))) {
			error = malformed(&k, "progress body: %s: must be an RFC 3339 time "
			                  "(\"2026-01-02T15:04:05Z\")", "trainerStatus.lastUpdatedTime");
			goto done;
		}
		ts.updated_ms -= ts.updated_ms % 1000;   /* metav1.Time keeps whole seconds */
		if (ts.updated_ms == 0)
			ts.updated_ms = 1000;   /* the epoch itself is a time, not "absent" */
	}
	error = check_rules(&ts, &k);
done:
	cJSON_Delete(doc);
	if (error < 0) {
		kft__trainer_status_clear(&ts);
		*kind = k;
		return error;
	}
	/* also for a body without trainerStatus: the internal "absent" never leaks out */
	if (ts.percent == INT64_MIN)
		ts.percent = -1;
	if (ts.eta == INT64_MIN)
		ts.eta = -1;
	*out = ts;
	return 0;
}

/* A JSON string as Go's encoding/json writes it (HTML-safe escapes included). */
static void go_string(kft__buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char u[8];

	kft__buf_putc(b, '"');
	for (; *p; p++) {
		switch (*p) {
		case '"': kft__buf_puts(b, "\\\""); continue;
		case '\\': kft__buf_puts(b, "\\\\"); continue;
		case '\n': kft__buf_puts(b, "\\n"); continue;
		case '\r': kft__buf_puts(b, "\\r"); continue;
		case '\t': kft__buf_puts(b, "\\t"); continue;
		case '<': case '>': case '&':
			snprintf(u, sizeof(u), "\\u%04x", *p);
			kft__buf_puts(b, u);
			continue;
		}
		if (*p < 0x20) {
			snprintf(u, sizeof(u), "\\u%04x", *p);
			kft__buf_puts(b, u);
		} else if (*p == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)) {
			kft__buf_puts(b, p[2] == 0xA8 ? "\\u2028" : "\\u2029");
			p += 2;
		} else {
			kft__buf_putc(b, (char)*p);
		}
	}
	kft__buf_putc(b, '"');
}

int kft__trainer_status_render(kft__buf *b, const kft__trainer_status *ts)
{
	char when[64];
	size_t i;

	kft__buf_putc(b, '{');
	if (ts->percent >= 0)
		kft__buf_printf(b, "\"progressPercentage\":%lld,", (long long)ts->percent);
	if (ts->eta >= 0)
		kft__buf_printf(b, "\"estimatedRemainingSeconds\":%lld,", (long long)ts->eta);
	if (ts->nmetrics) {
		kft__buf_puts(b, "\"metrics\":[");
		for (i = 0; i < ts->nmetrics; i++) {
			kft__buf_puts(b, i ? ",{" : "{");
			if (ts->metrics[i].name) {
				kft__buf_puts(b, "\"name\":");
				go_string(b, ts->metrics[i].name);
			}
			if (ts->metrics[i].value) {
				kft__buf_puts(b, ts->metrics[i].name ? ",\"value\":" : "\"value\":");
				go_string(b, ts->metrics[i].value);
			}
			kft__buf_putc(b, '}');
		}
		kft__buf_puts(b, "],");
	}
	if (ts->updated_ms) {
		kft__time_rfc3339_format(when, sizeof(when), ts->updated_ms);
		kft__buf_printf(b, "\"lastUpdatedTime\":\"%s\"}", when);
	} else {
		kft__buf_puts(b, "\"lastUpdatedTime\":null}");
	}
	return b->oom ? kft__error_oom() : 0;
}

int kft__progress_status_body(kft__buf *b, int code, const char *reason, const char *message)
{
	kft__buf_puts(b, "{\"metadata\":{},\"status\":\"Failure\",\"message\":");
	go_string(b, message);
	kft__buf_puts(b, ",\"reason\":");
	go_string(b, reason);
	kft__buf_printf(b, ",\"code\":%d}\n", code);
	return b->oom ? kft__error_oom() : 0;
}

int kft__trainer_status_from_json(kft__trainer_status *out, const cJSON *obj)
{
	kft__trainer_status ts = KFT__TRAINER_STATUS_INIT;
	const cJSON *it, *v;

	*out = ts;
	if (!cJSON_IsObject(obj))
		return 0;
	ts.present = 1;
	ts.percent = kft__json_int(kft__json_get(obj, "progressPercentage"), 0, INT64_MAX, ts.percent);
	ts.eta = kft__json_int(kft__json_get(obj, "estimatedRemainingSeconds"), 0, INT64_MAX, ts.eta);
	ts.updated_ms = kft__time_rfc3339_ms(kft__json_str(obj, "lastUpdatedTime"));
	v = kft__json_get(obj, "metrics");
	if (cJSON_IsArray(v) && cJSON_GetArraySize(v) > 0) {
		if (!(ts.metrics = kft__calloc((size_t)cJSON_GetArraySize(v), sizeof(*ts.metrics))))
			return kft__error_oom();
		cJSON_ArrayForEach(it, v) {
			const char *n = kft__json_str(it, "name"), *val = kft__json_str(it, "value");
			char num[64];

			if (!val && cJSON_IsNumber(kft__json_get(it, "value"))) {
				snprintf(num, sizeof(num), "%g", kft__json_get(it, "value")->valuedouble);
				val = num;
			}
			if (!n || !val)
				continue;
			ts.metrics[ts.nmetrics].name = kft__strdup(n);
			ts.metrics[ts.nmetrics].value = kft__strdup(val);
			if (!ts.metrics[ts.nmetrics++].value || !ts.metrics[ts.nmetrics - 1].name) {
				kft__trainer_status_clear(&ts);
				return kft__error_oom();
			}
		}
	}
	*out = ts;
	return 0;
}

int kft__trainer_status_apply(kft_job_t *job, const kft__trainer_status *ts)
{
	size_t i;
	int error;

	if (!ts->present)
		return 0;
	if ((error = kft_job_set_progress(job, ts->percent, ts->eta)) < 0 ||
	    (error = kft__job_set_progress_time(job, ts->updated_ms)) < 0)
		return error;
	for (i = 0; i < ts->nmetrics; i++)
		if ((error = kft_job_add_metric(job, ts->metrics[i].name, ts->metrics[i].value)) < 0)
			return error;
	return 0;
}

int kft__trainer_status_store(const char *jobdir, const kft__trainer_status *ts)
{
	kft__buf b = KFT__BUF_INIT;
	char *path;
	int error;

	if ((error = kft__trainer_status_render(&b, ts)) < 0 || (error = kft__buf_putc(&b, '\n')) < 0)
		goto out;
	if (!(path = kft__path_join(jobdir, KFT__STORE_TRAINER_STATUS))) {
		error = kft__error_oom();
		goto out;
	}
	error = kft__write_file_atomic(path, b.ptr, b.len, 0600);
	free(path);
out:
	kft__buf_free(&b);
	return error;
}

int kft__trainer_status_load_into(kft_job_t *job, const char *jobdir)
{
	kft__trainer_status ts;
	char *text = NULL;
	size_t len = 0;
	cJSON *doc;
	int error;

	if ((error = kft__read_file_in(&text, &len, jobdir, KFT__STORE_TRAINER_STATUS)) < 0 || !text)
		return error;
	doc = cJSON_ParseWithLength(text, len);
	free(text);
	if (!doc)
		return 0;   /* written temp + rename: never torn; unreadable means nothing to show */
	if ((error = kft__trainer_status_from_json(&ts, doc)) == 0)
		error = kft__trainer_status_apply(job, &ts);
	kft__trainer_status_clear(&ts);
	cJSON_Delete(doc);
	return error;
}

/* ---- the history file ---- */

static int history_line(kft__buf *b, int64_t received_ms, const kft__trainer_status *ts)
{
	kft__buf_printf(b, "{\"receivedMs\":%lld,\"trainerStatus\":", (long long)received_ms);
	kft__trainer_status_render(b, ts);
	kft__buf_puts(b, "}\n");
	return b->oom ? kft__error_oom() : 0;
}

/* Keep the newest complete lines that fill at most keep bytes (temp + rename). */
static int history_compact(const char *path, size_t keep)
{
	char *text = NULL, *start;
	size_t len = 0;
	int error;

	if ((error = kft__read_file(&text, &len, path)) < 0)
		return error == KFT_ENOTFOUND ? 0 : error;
	while (len && text[len - 1] != '\n')   /* drop a torn last record */
		len--;
	start = text;
	if (len > keep) {
		start = text + (len - keep);
		while (start < text + len && start[-1] != '\n')
			start++;
	}
	error = kft__write_file_atomic(path, start, (size_t)(text + len - start), 0600);
	free(text);
	return error;
}

int kft__history_append(const char *path, int64_t received_ms, const kft__trainer_status *ts,
                        size_t max_bytes)
{
	kft__buf b = KFT__BUF_INIT;
	struct stat st;
	int fd = -1, error;

	if ((error = history_line(&b, received_ms, ts)) < 0)
		goto out;
	if (stat(path, &st) == 0 && (size_t)st.st_size + b.len > max_bytes &&
	    (error = history_compact(path, max_bytes / 2)) < 0)
		goto out;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0) {
		error = kft__error_os(KFT_ERROR, "open %s", path);
		goto out;
	}
	if (write(fd, b.ptr, b.len) != (ssize_t)b.len)
		error = kft__error_os(KFT_ERROR, "append to %s", path);
	close(fd);
out:
	kft__buf_free(&b);
	return error;
}

int kft__history_read(kft_metrics_history_t **out, const char *path)
{
	kft_metrics_history_t *h;
	char *text = NULL, *line, *nl;
	size_t len = 0;
	int error;

	*out = NULL;
	KFT_CHECK_ALLOC(h = kft__calloc(1, sizeof(*h)));
	if ((error = kft__read_file(&text, &len, path)) < 0) {
		if (error == KFT_ENOTFOUND) {
			*out = h;
			return 0;
		}
		free(h);
		return error;
	}
	for (line = text; (nl = memchr(line, '\n', len - (size_t)(line - text))); line = nl + 1) {
		cJSON *doc = cJSON_ParseWithLength(line, (size_t)(nl - line));
		kft__trainer_status ts;

		if (!doc)
			continue;   /* a torn or damaged record: skip it */
		error = kft__trainer_status_from_json(&ts, kft__json_get(doc, "trainerStatus"));
		cJSON_Delete(doc);
		if (error < 0)
			break;
		if (!ts.present)
			continue;
		if ((error = kft__grow(&h->v, &h->cap, h->n + 1, sizeof(*h->v), 16)) < 0) {
			kft__trainer_status_clear(&ts);
			break;
		}
		h->v[h->n++] = ts;
	}
	free(text);
	if (error < 0) {
		kft_metrics_history_free(h);
		return error;
	}
	*out = h;
	return 0;
}

/* ---- public history accessors ---- */

size_t kft_metrics_history_count(const kft_metrics_history_t *h) { return h ? h->n : 0; }

const kft_trainer_status_t *kft_metrics_history_at(const kft_metrics_history_t *h, size_t i)
{
	return h && i < h->n ? &h->v[i] : NULL;
}

int64_t kft_trainer_status_time_ms(const kft_trainer_status_t *ts)
{
	return ts ? ts->updated_ms : 0;
}

int64_t kft_trainer_status_percent(const kft_trainer_status_t *ts)
{
	return ts && ts->percent >= 0 ? ts->percent : KFT_UNSET;
}

int64_t kft_trainer_status_eta_seconds(const kft_trainer_status_t *ts)
{
	return ts && ts->eta >= 0 ? ts->eta : KFT_UNSET;
}

size_t kft_trainer_status_metric_count(const kft_trainer_status_t *ts)
{
	return ts ? ts->nmetrics : 0;
}

const kft_metric_t *kft_trainer_status_metric_at(const kft_trainer_status_t *ts, size_t i)
{
	return ts && i < ts->nmetrics ? &ts->metrics[i] : NULL;
}

void kft_metrics_history_free(kft_metrics_history_t *h)
{
	size_t i;

	if (!h)
		return;
	for (i = 0; i < h->n; i++)
		kft__trainer_status_clear(&h->v[i]);
	free(h->v);
	free(h);
}
