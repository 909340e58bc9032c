/*
 * The dashboard's history of cluster jobs (a TrainJob history server): what
 * the dashboard observed (status, steps, events, the last log lines of each
 * step, the metrics over time) kept in SQLite, so that jobs deleted or
 * garbage-collected on the cluster stay browsable. Local and container
 * backends need none: their state dir is the history.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "dash.h"

#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define LOG_LINES 200         /* last lines kept per step */
#define LOG_BYTES 262144      /* and at most this many bytes per step */

struct kft__dash_history {
	sqlite3 *db;
	char *scope;              /* context/namespace the dashboard watches */
};

static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"CREATE TABLE IF NOT EXISTS jobs(scope TEXT NOT NULL, name TEXT NOT NULL, "
	"  job TEXT NOT NULL, final INTEGER NOT NULL DEFAULT 0, updated_ms INTEGER NOT NULL, "
	"  PRIMARY KEY(scope, name));"
	"CREATE TABLE IF NOT EXISTS events(scope TEXT NOT NULL, name TEXT NOT NULL, "
	"  events TEXT NOT NULL, PRIMARY KEY(scope, name));"
	"CREATE TABLE IF NOT EXISTS logs(scope TEXT NOT NULL, name TEXT NOT NULL, "
	"  step TEXT NOT NULL, text TEXT NOT NULL, PRIMARY KEY(scope, name, step));"
	"CREATE TABLE IF NOT EXISTS metrics(scope TEXT NOT NULL, name TEXT NOT NULL, "
	"  t_ms INTEGER NOT NULL, metric TEXT NOT NULL, value REAL NOT NULL);"
	"CREATE TABLE IF NOT EXISTS manifests(scope TEXT NOT NULL, name TEXT NOT NULL, "
	"  trainjob TEXT NOT NULL, PRIMARY KEY(scope, name));"
	"CREATE INDEX IF NOT EXISTS metrics_job ON metrics(scope, name, metric, t_ms);";

static int db_error(kft__dash_history *h, const char *what)
{
	return kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_STORE, "dashboard history: %s: %s", what,
	                      sqlite3_errmsg(h->db));
}

int kft__dash_history_open(kft__dash_history **out, const char *path, const char *scope)
{
	kft__dash_history *h;
	char *err = NULL;

	*out = NULL;
	KFT_CHECK_ALLOC(h = kft__calloc(1, sizeof(*h)));
	if (!(h->scope = kft__strdup(scope))) {
		free(h);
		return kft__error_oom();
	}
	if (sqlite3_open_v2(path, &h->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		int e = kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_STORE, "dashboard history %s: %s",
		                       path, h->db ? sqlite3_errmsg(h->db) : "cannot open");

		kft__dash_history_close(h);
		return e;
	}
	sqlite3_busy_timeout(h->db, 5000);
	if (sqlite3_exec(h->db, schema, NULL, NULL, &err) != SQLITE_OK) {
		int e = kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_STORE, "dashboard history %s: %s",
		                       path, err ? err : "schema");

		sqlite3_free(err);
		kft__dash_history_close(h);
		return e;
	}
	*out = h;
	return 0;
}

void kft__dash_history_close(kft__dash_history *h)
{
	if (!h)
		return;
	sqlite3_close(h->db);
	free(h->scope);
	free(h);
}

/* The job as JSON (our own record format; only this file reads it). */
static char *job_json(const kft_job_t *job)
{
	cJSON *o = cJSON_CreateObject(), *steps, *m;
	char *text = NULL;
	size_t i;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "name", kft_job_name(job));
	if (kft_job_namespace(job))
		cJSON_AddStringToObject(o, "namespace", kft_job_namespace(job));
	if (kft_job_runtime(job))
		cJSON_AddStringToObject(o, "runtime", kft_job_runtime(job));
	cJSON_AddStringToObject(o, "backend", kft_job_backend(job) ? kft_job_backend(job) : "");
	cJSON_AddNumberToObject(o, "state", kft_job_state(job));
	if (kft_job_reason(job))
		cJSON_AddStringToObject(o, "reason", kft_job_reason(job));
	if (kft_job_message(job))
		cJSON_AddStringToObject(o, "message", kft_job_message(job));
	cJSON_AddNumberToObject(o, "nodes", (double)kft_job_num_nodes(job));
	cJSON_AddNumberToObject(o, "created", (double)kft_job_created_ms(job));
	cJSON_AddNumberToObject(o, "started", (double)kft_job_started_ms(job));
	cJSON_AddNumberToObject(o, "finished", (double)kft_job_finished_ms(job));
	cJSON_AddNumberToObject(o, "percent", (double)kft_job_progress_percent(job));
	cJSON_AddNumberToObject(o, "eta", (double)kft_job_eta_seconds(job));
	m = cJSON_AddArrayToObject(o, "metrics");
	for (i = 0; m && i < kft_job_metric_count(job); i++) {
		const kft_metric_t *mt = kft_job_metric_at(job, i);
		cJSON *e = cJSON_CreateArray();

		cJSON_AddItemToArray(e, cJSON_CreateString(kft_metric_name(mt)));
		cJSON_AddItemToArray(e, cJSON_CreateString(kft_metric_value(mt)));
		cJSON_AddItemToArray(m, e);
	}
	steps = cJSON_AddArrayToObject(o, "steps");
	for (i = 0; steps && i < kft_job_step_count(job); i++) {
		const kft_step_t *st = kft_job_step_at(job, i);
		cJSON *e = cJSON_CreateObject();

		cJSON_AddStringToObject(e, "name", kft_step_name(st));
		cJSON_AddNumberToObject(e, "state", kft_step_state(st));
		if (kft_step_target(st))
			cJSON_AddStringToObject(e, "target", kft_step_target(st));
		cJSON_AddNumberToObject(e, "exitCode", kft_step_exit_code(st));
		cJSON_AddNumberToObject(e, "signal", kft_step_signal(st));
		if (kft_step_reason(st))
			cJSON_AddStringToObject(e, "reason", kft_step_reason(st));
		cJSON_AddItemToArray(steps, e);
	}
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

static int64_t jnum(const cJSON *o, const char *k, int64_t dflt)
{
	const cJSON *v = kft__json_get(o, k);

	return kft__json_int(v, INT64_MIN, INT64_MAX, dflt);
}

static int job_from_json(kft_job_t **out, const char *text)
{
	cJSON *o = cJSON_Parse(text);
	const cJSON *e;
	kft_job_t *job = NULL;
	int error;

	*out = NULL;
	if (!o || !kft__json_str(o, "name")) {
		cJSON_Delete(o);
		return kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_STORE,
		                      "dashboard history: a malformed job record");
	}
	error = kft_job_new(&job, kft__json_str(o, "name"), kft__json_str(o, "backend"));
	if (!error && kft__json_str(o, "namespace"))
		error = kft_job_set_namespace(job, kft__json_str(o, "namespace"));
	if (!error)
		error = kft_job_set_runtime(job, kft__json_str(o, "runtime"));
	if (!error)
		error = kft_job_set_state(job, (int)jnum(o, "state", KFT_JOB_FAILED),
		                          kft__json_str(o, "reason"), kft__json_str(o, "message"));
	if (!error)
		error = kft_job_set_num_nodes(job, jnum(o, "nodes", 1));
	if (!error)
		error = kft_job_set_times(job, jnum(o, "created", 0), jnum(o, "started", 0),
		                          jnum(o, "finished", 0));
	if (!error)
		error = kft_job_set_progress(job, jnum(o, "percent", -1), jnum(o, "eta", -1));
	cJSON_ArrayForEach(e, kft__json_get(o, "metrics")) {
		const cJSON *n = cJSON_GetArrayItem(e, 0), *v = cJSON_GetArrayItem(e, 1);

		if (!error && cJSON_IsString(n) && cJSON_IsString(v))
			error = kft_job_add_metric(job, n->valuestring, v->valuestring);
	}
	cJSON_ArrayForEach(e, kft__json_get(o, "steps"))
		if (!error && kft__json_str(e, "name"))
			error = kft_job_add_step(job, kft__json_str(e, "name"),
			                         (int)jnum(e, "state", KFT_STEP_FAILED),
			                         kft__json_str(e, "target"), (int)jnum(e, "exitCode", -1),
			                         (int)jnum(e, "signal", 0), kft__json_str(e, "reason"));
	cJSON_Delete(o);
	if (error) {
		kft_job_free(job);
		return error;
	}
	*out = job;
	return 0;
}

/* The last LOG_LINES lines of a step, bounded. */
typedef struct {
	kft__buf text;
	const char *step;
} tail_acc;

static int tail_cb(const char *chunk, size_t len, const char *step, void *payload)
{
	tail_acc *t = payload;

	(void)step;
	kft__buf_put(&t->text, chunk, len);
	if (t->text.len > 2 * LOG_BYTES) {
		/* keep the end */
		memmove(t->text.ptr, t->text.ptr + t->text.len - LOG_BYTES, LOG_BYTES);
		t->text.len = LOG_BYTES;
		t->text.ptr[LOG_BYTES] = '\0';
	}
	return t->text.oom ? 1 : 0;
}

static int store_logs(kft__dash_history *h, kft__dash *d, const kft_job_t *job)
{
	sqlite3_stmt *st = NULL;
	size_t i;

	if (sqlite3_prepare_v2(h->db, "INSERT OR REPLACE INTO logs(scope,name,step,text) "
	                       "VALUES(?,?,?,?)", -1, &st, NULL) != SQLITE_OK)
		return db_error(h, "logs");
	for (i = 0; i < kft_job_step_count(job); i++) {
		kft_logs_opts_t lo = KFT_LOGS_OPTS_INIT;
		tail_acc t = { KFT__BUF_INIT, NULL };
		const char *p;

		lo.step = kft_step_name(kft_job_step_at(job, i));
		lo.prefix = KFT_LOG_PREFIX_NEVER;
		lo.tail_lines = LOG_LINES;
		pthread_mutex_lock(&d->client_lock);
		kft_logs(d->client, kft_job_name(job), &lo, tail_cb, &t);
		pthread_mutex_unlock(&d->client_lock);
		p = t.text.ptr ? t.text.ptr : "";
		if (t.text.len > LOG_BYTES) {
			p += t.text.len - LOG_BYTES;
			while (*p && *p != '\n')
				p++;
		}
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, h->scope, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, kft_job_name(job), -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, kft_step_name(kft_job_step_at(job, i)), -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, p, -1, SQLITE_TRANSIENT);
		sqlite3_step(st);
		kft__buf_free(&t.text);
	}
	sqlite3_finalize(st);
	return 0;
}

/* An INSERT whose first three values are (scope, the job's name, text); NULL if it fails. */
static sqlite3_stmt *job_row(kft__dash_history *h, const char *sql, const kft_job_t *job,
                             const char *text)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return NULL;
	}
	sqlite3_bind_text(st, 1, h->scope, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, kft_job_name(job), -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, text, -1, SQLITE_TRANSIENT);
	return st;
}

static int store_events(kft__dash_history *h, kft__dash *d, const kft_job_t *job)
{
	kft_event_list_t *ev = NULL;
	cJSON *a;
	sqlite3_stmt *st = NULL;
	char *text;
	size_t i;

	pthread_mutex_lock(&d->client_lock);
	if (kft_get_events(&ev, d->client, kft_job_name(job)) < 0)
		ev = NULL;
	pthread_mutex_unlock(&d->client_lock);
	if (!ev)
		return 0;
	if (!(a = cJSON_CreateArray())) {
		kft_event_list_free(ev);
		return kft__error_oom();
	}
	for (i = 0; i < kft_event_list_count(ev) && i < 1000; i++) {
		cJSON *e = cJSON_CreateObject();

		const kft_event_t *ev_i = kft_event_list_at(ev, i);

		cJSON_AddNumberToObject(e, "t", (double)kft_event_time_ms(ev_i));
		cJSON_AddStringToObject(e, "kind", kft_event_kind(ev_i) ? kft_event_kind(ev_i) : "");
		cJSON_AddStringToObject(e, "object", kft_event_object(ev_i) ? kft_event_object(ev_i) : "");
		cJSON_AddStringToObject(e, "type", kft_event_type(ev_i) ? kft_event_type(ev_i) : "");
		cJSON_AddStringToObject(e, "reason", kft_event_reason(ev_i) ? kft_event_reason(ev_i) : "");
		cJSON_AddStringToObject(e, "message", kft_event_message(ev_i) ?
		                        kft_event_message(ev_i) : "");
		cJSON_AddItemToArray(a, e);
	}
	kft_event_list_free(ev);
	text = cJSON_PrintUnformatted(a);
	cJSON_Delete(a);
	KFT_CHECK_ALLOC(text);
	if (!(st = job_row(h, "INSERT OR REPLACE INTO events(scope,name,events) VALUES(?,?,?)", job,
	                   text))) {
		cJSON_free(text);
		return db_error(h, "events");
	}
	sqlite3_step(st);
	sqlite3_finalize(st);
	cJSON_free(text);
	return 0;
}

static void store_manifest(kft__dash_history *h, kft__dash *d, const kft_job_t *job)
{
	sqlite3_stmt *st = NULL;
	char *json = NULL, *yaml = NULL;
	cJSON *doc;

	pthread_mutex_lock(&d->client_lock);
	if (kft_get_job_manifest(&json, d->client, kft_job_name(job), KFT_MANIFEST_TRAINJOB,
	                         &kft__dash_json) < 0)
		json = NULL;
	pthread_mutex_unlock(&d->client_lock);
	if (!json || !(doc = cJSON_Parse(json))) {
		kft_free(json);
		return;
	}
	kft_free(json);
	kft__dash_redact(doc);   /* the history never holds what the page would hide */
	if (kft__render_doc(&yaml, doc, KFT_FORMAT_YAML) == 0 &&
	    (st = job_row(h, "INSERT OR REPLACE INTO manifests(scope,name,trainjob) VALUES(?,?,?)",
	                  job, yaml)) != NULL)
		sqlite3_step(st);
	sqlite3_finalize(st);
	cJSON_Delete(doc);
	kft_free(yaml);
}

char *kft__dash_history_manifest(kft__dash_history *h, const char *name)
{
	sqlite3_stmt *st = NULL;
	char *out = NULL;

	if (sqlite3_prepare_v2(h->db, "SELECT trainjob FROM manifests WHERE scope=? AND name=?",
	                       -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(st, 1, h->scope, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		out = kft__strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return out;
}

int kft__dash_history_record(kft__dash_history *h, kft__dash *d, const kft_job_t *job, int final)
{
	sqlite3_stmt *st = NULL;
	char *text = job_json(job);
	int rc;

	KFT_CHECK_ALLOC(text);
	if (!(st = job_row(h, "INSERT OR REPLACE INTO jobs(scope,name,job,final,updated_ms) "
	                   "VALUES(?,?,?,?,?)", job, text))) {
		cJSON_free(text);
		return db_error(h, "record");
	}
	sqlite3_bind_int(st, 4, final);
	sqlite3_bind_int64(st, 5, kft__now_ms());
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	cJSON_free(text);
	if (rc != SQLITE_DONE)
		return db_error(h, "record");
	/* events and the TrainJob each time the job changes; the logs' last lines once it ended */
	store_events(h, d, job);
	store_manifest(h, d, job);
	if (final)
		store_logs(h, d, job);
	return 0;
}

int kft__dash_history_list(kft_job_list_t **out, kft__dash_history *h)
{
	sqlite3_stmt *st = NULL;
	kft_job_list_t *list = NULL;
	int error;

	*out = NULL;
	if ((error = kft_job_list_new(&list)) < 0)
		return error;
	if (sqlite3_prepare_v2(h->db, "SELECT job FROM jobs WHERE scope=?", -1, &st, NULL) !=
	    SQLITE_OK) {
		kft_job_list_free(list);
		return db_error(h, "list");
	}
	sqlite3_bind_text(st, 1, h->scope, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW) {
		kft_job_t *job = NULL;

		if (job_from_json(&job, (const char *)sqlite3_column_text(st, 0)) < 0)
			continue;
		if ((error = kft_job_list_add(list, job)) < 0)
			break;
	}
	sqlite3_finalize(st);
	if (error < 0) {
		kft_job_list_free(list);
		return error;
	}
	*out = list;
	return 0;
}

int kft__dash_history_job(kft_job_t **out, kft__dash_history *h, const char *name)
{
	sqlite3_stmt *st = NULL;
	int error = KFT_ENOTFOUND;

	*out = NULL;
	if (!h)
		return kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_STORE, "TrainJob \"%s\" not found",
		                      name);
	if (sqlite3_prepare_v2(h->db, "SELECT job FROM jobs WHERE scope=? AND name=?", -1, &st,
	                       NULL) != SQLITE_OK)
		return db_error(h, "job");
	sqlite3_bind_text(st, 1, h->scope, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		error = job_from_json(out, (const char *)sqlite3_column_text(st, 0));
	else
		kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_STORE, "TrainJob \"%s\" not found", name);
	sqlite3_finalize(st);
	return error;
}

int kft__dash_history_events(kft_event_list_t **out, kft__dash_history *h, const char *name)
{
	sqlite3_stmt *st = NULL;
	kft_event_list_t *ev = NULL;
	cJSON *a = NULL;
	const cJSON *e;
	int error;

	*out = NULL;
	if ((error = kft_event_list_new(&ev)) < 0)
		return error;
	if (sqlite3_prepare_v2(h->db, "SELECT events FROM events WHERE scope=? AND name=?", -1,
	                       &st, NULL) != SQLITE_OK) {
		kft_event_list_free(ev);
		return db_error(h, "events");
	}
	sqlite3_bind_text(st, 1, h->scope, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		a = cJSON_Parse((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	cJSON_ArrayForEach(e, a)
		if (!error)
			error = kft_event_list_add(ev, jnum(e, "t", 0), kft__json_str(e, "kind"),
			                           kft__json_str(e, "object"), kft__json_str(e, "type"),
			                           kft__json_str(e, "reason"), kft__json_str(e, "message"));
	cJSON_Delete(a);
	if (error < 0) {
		kft_event_list_free(ev);
		return error;
	}
	*out = ev;
	return 0;
}

int kft__dash_history_logs(kft__dash_history *h, const char *name,
                           void (*cb)(const char *step, const char *text, void *p), void *p)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(h->db, "SELECT step, text FROM logs WHERE scope=? AND name=? "
	                       "ORDER BY step", -1, &st, NULL) != SQLITE_OK)
		return db_error(h, "logs");
	sqlite3_bind_text(st, 1, h->scope, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW)
		cb((const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
		   p);
	sqlite3_finalize(st);
	return 0;
}

int kft__dash_history_metrics(kft__dash_history *h, const kft_job_t *job, int64_t t_ms)
{
	sqlite3_stmt *st = NULL;
	size_t i;

	if (sqlite3_prepare_v2(h->db, "INSERT INTO metrics(scope,name,t_ms,metric,value) "
	                       "VALUES(?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK)
		return db_error(h, "metrics");
	for (i = 0; i <= kft_job_metric_count(job) && i < 64; i++) {
		const char *v = i ? kft_metric_value(kft_job_metric_at(job, i - 1)) : NULL;
		char *end;
		double x = v ? strtod(v, &end) : (double)kft_job_progress_percent(job);

		if (i == 0 && x < 0)
			continue;
		if (i > 0 && (!v || end == v || *end || !isfinite(x)))
			continue;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, h->scope, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, kft_job_name(job), -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, t_ms);
		/* a job's own metric named "progress" is shown next to ours, not mixed with it */
		sqlite3_bind_text(st, 4, i ? kft_metric_name(kft_job_metric_at(job, i - 1)) : "\x01progress", -1,
		                  SQLITE_TRANSIENT);
		sqlite3_bind_double(st, 5, x);
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
	return 0;
}

int kft__dash_history_prune(kft__dash_history *h, int64_t days, int64_t max_jobs)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(h->db,
	        "DELETE FROM jobs WHERE scope=?1 AND (updated_ms < ?2 OR name NOT IN "
	        "(SELECT name FROM jobs WHERE scope=?1 ORDER BY updated_ms DESC LIMIT ?3))",
	        -1, &st, NULL) != SQLITE_OK)
		return db_error(h, "prune");
	sqlite3_bind_text(st, 1, h->scope, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, kft__now_ms() - days * 86400000);
	sqlite3_bind_int64(st, 3, max_jobs);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_error(h, "prune");
	sqlite3_exec(h->db,
	             "DELETE FROM events WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE "
	             "j.scope=events.scope AND j.name=events.name);"
	             "DELETE FROM logs WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE "
	             "j.scope=logs.scope AND j.name=logs.name);"
	             "DELETE FROM manifests WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE "
	             "j.scope=manifests.scope AND j.name=manifests.name);"
	             "DELETE FROM metrics WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE "
	             "j.scope=metrics.scope AND j.name=metrics.name);", NULL, NULL, NULL);
	return 0;
}

int kft__dash_history_series(kft__dash_series_set *out, kft__dash_history *h, const char *name)
{
	sqlite3_stmt *st = NULL;
	int error = 0;

	if (sqlite3_prepare_v2(h->db, "SELECT metric, t_ms, value FROM metrics WHERE scope=? AND "
	                       "name=? ORDER BY metric, t_ms LIMIT 200000", -1, &st, NULL) !=
	    SQLITE_OK)
		return db_error(h, "metrics");
	sqlite3_bind_text(st, 1, h->scope, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
	while (!error && sqlite3_step(st) == SQLITE_ROW) {
		const char *m = (const char *)sqlite3_column_text(st, 0);

		error = kft__dash_series_add(out, m[0] == '\x01' ? "progress (%)" : m,
		                             (double)sqlite3_column_int64(st, 1),
		                             sqlite3_column_double(st, 2));
	}
	sqlite3_finalize(st);
	return error;
}
