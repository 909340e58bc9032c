/*
 * kubernetes: kft_wait - watch the TrainJob and its pods.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "k8s.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>

/* ---- wait: watch the TrainJob and its pods ---- */

typedef struct {
	kft__k8s_stream s;
	char *rv;          /* last resourceVersion seen */
	int gone;          /* 410 (or another watch error): relist */
	int dirty;         /* an object changed */
	int deleted;       /* the TrainJob was deleted */
	int failures;      /* consecutive failed (re)starts */
	int active;
	int64_t started_ms;
	int is_pods;
	cJSON *state;      /* TrainJob: the object; pods: the list (its "items" kept current) */
} watcher;

static cJSON *pod_items(watcher *w)
{
	cJSON *items = cJSON_GetObjectItemCaseSensitive(w->state, "items");

	if (!items && w->state) {
		items = cJSON_CreateArray();
		if (items)
			cJSON_AddItemToObject(w->state, "items", items);
	}
	return items;
}

/* Apply one watch event to the local copy (an informer in miniature). */
static void apply_event(watcher *w, const char *type, cJSON *obj)
{
	const char *name = kft__json_str(kft__json_get(obj, "metadata"), "name");
	cJSON *items, *it;
	int i = 0;

	if (!w->is_pods) {
		if (kft__streq(type, "DELETED")) {
			w->deleted = 1;
			return;
		}
		cJSON_Delete(w->state);
		w->state = cJSON_Duplicate(obj, 1);
		if (!w->state)
			w->gone = 1;   /* out of memory: resynchronise by relisting */
		return;
	}
	if (!name || (items = pod_items(w)) == NULL)
		return;
	cJSON_ArrayForEach(it, items) {
		if (kft__streq(kft__json_str(kft__json_get(it, "metadata"), "name"), name))
			break;
		i++;
	}
	if (kft__streq(type, "DELETED")) {
		if (it)
			cJSON_DeleteItemFromArray(items, i);
		return;
	}
	if ((obj = cJSON_Duplicate(obj, 1)) == NULL) {
		w->gone = 1;
		return;
	}
	if (it)
		cJSON_ReplaceItemInArray(items, i, obj);
	else
		cJSON_AddItemToArray(items, obj);
}

static int on_watch_line(const char *line, size_t len, void *payload)
{
	watcher *w = payload;
	cJSON *ev = cJSON_ParseWithLength(line, len);
	const char *type = kft__json_str(ev, "type");
	cJSON *obj = cJSON_GetObjectItemCaseSensitive(ev, "object");
	const char *rv = kft__json_str(kft__json_get(obj, "metadata"), "resourceVersion");

	if (!ev || !type || !cJSON_IsObject(obj)) {
		/* a garbled event: we may have missed a change, so resynchronise */
		kft__log(KFT_DIAG_DEBUG, "watch: unreadable event: relisting");
		cJSON_Delete(ev);
		w->gone = 1;
		return 1;
	}
	if (kft__streq(type, "ERROR")) {
		const cJSON *code = kft__json_get(obj, "code");

		kft__log(KFT_DIAG_DEBUG, "watch: ERROR event (code %d): relisting",
		         (int)kft__json_int(code, INT_MIN, INT_MAX, 0));
		w->gone = 1;
		cJSON_Delete(ev);
		return 1;          /* stop this stream */
	}
	if (rv) {
		char *n = kft__strdup(rv);

		if (n) {
			free(w->rv);
			w->rv = n;
		}
	}
	if (kft__streq(type, "ADDED") || kft__streq(type, "MODIFIED") ||
	    kft__streq(type, "DELETED")) {
		apply_event(w, type, obj);
		w->dirty = 1;
	}
	w->failures = 0;
	cJSON_Delete(ev);
	return 0;
}

static int watch_start(kft__k8s_streams *ss, watcher *w, kft__k8s *k, const char *name,
                       int64_t left_ms)
{
	kft__buf q = KFT__BUF_INIT, sel = KFT__BUF_INIT;
	char *path = kft__k8s_ns_path(k, w->is_pods ? "/api/v1" : KFT__K8S_API_TRAINER, k->cfg.ns,
	                     w->is_pods ? "pods" : "trainjobs", NULL, NULL);
	char tos[32];
	int64_t secs = left_ms > 0 ? (left_ms + 999) / 1000 + 1 : 300;
	int error;

	KFT_CHECK_ALLOC(path);
	if (secs > 300)
		secs = 300;
	snprintf(tos, sizeof(tos), "%lld", (long long)secs);
	kft__buf_puts(&q, path);
	free(path);
	kft__k8s_add_query(&q, k, "watch", "1");
	if (w->is_pods) {
		kft__buf_printf(&sel, KFT__K8S_LBL_JOBSET "=%s", name);
		kft__k8s_add_query(&q, k, "labelSelector", sel.ptr ? sel.ptr : "");
	} else {
		kft__buf_printf(&sel, "metadata.name=%s", name);
		kft__k8s_add_query(&q, k, "fieldSelector", sel.ptr ? sel.ptr : "");
	}
	kft__buf_free(&sel);
	if (w->rv)
		kft__k8s_add_query(&q, k, "resourceVersion", w->rv);
	kft__k8s_add_query(&q, k, "allowWatchBookmarks", "true");
	kft__k8s_add_query(&q, k, "timeoutSeconds", tos);
	if (q.oom) {
		kft__buf_free(&q);
		return kft__error_oom();
	}
	free((char *)w->s.req.path);
	memset(&w->s, 0, sizeof(w->s));
	w->s.req.method = "GET";
	w->s.req.path = kft__buf_detach(&q);
	w->s.req.idempotent = 1;
	w->s.req.what = "watch";
	w->s.on_line = on_watch_line;
	w->s.payload = w;
	w->gone = 0;
	w->started_ms = kft__mono_ms();
	if ((error = kft__k8s_stream_start(ss, &w->s)) < 0) {
		kft__k8s_stream_end(ss, &w->s);
		return error;
	}
	w->active = 1;
	return 0;
}

static void watcher_free(kft__k8s_streams *ss, watcher *w)
{
	if (w->active)
		kft__k8s_stream_end(ss, &w->s);
	w->active = 0;
	free((char *)w->s.req.path);
	w->s.req.path = NULL;
	free(w->rv);
	w->rv = NULL;
	cJSON_Delete(w->state);
	w->state = NULL;
}

/* Take a freshly listed document as the watcher's state and resume from its version. */
static int reset_state(watcher *w, cJSON *doc)
{
	const char *rv = kft__json_str(kft__json_get(doc, "metadata"), "resourceVersion");
	char *n = NULL;

	if (rv && (n = kft__strdup(rv)) == NULL) {
		cJSON_Delete(doc);
		return kft__error_oom();
	}
	free(w->rv);
	w->rv = n;
	cJSON_Delete(w->state);
	w->state = doc;
	return 0;
}

static int build_from_state(kft_job_t **out, watcher *w)
{
	const cJSON **arr;
	size_t n;
	int error;

	if ((arr = kft__k8s_items(w[1].state, &n)) == NULL)
		return kft__error_oom();
	error = kft__k8s_build_job(out, w[0].state, arr, n);
	free((void *)arr);
	return error;
}

/* 0: keep waiting; 1: done (return value in *ret) */
static int judge(int *ret, kft_job_t **job, kft_job_t **out, const char *name,
                 const kft_wait_opts_t *o)
{
	if (kft__wait_decide(ret, *job, name, o))
		return 0;
	kft__wait_hand_over(out, job, *ret);
	return 1;
}

/* (Re)list: GET the TrainJob and LIST its pods, and resume the watches from there. */
static int relist(kft_job_t **job, watcher *w, kft__k8s *k, const char *name)
{
	kft_job_t *fresh = NULL;
	cJSON *tj = NULL, *pods = NULL;
	int error;

	if ((error = kft__k8s_get_job_docs(&fresh, &tj, &pods, k, name)) < 0)
		return error;
	if ((error = reset_state(&w[0], tj)) < 0 || (error = reset_state(&w[1], pods)) < 0) {
		kft_job_free(fresh);
		return error;
	}
	kft_job_free(*job);
	*job = fresh;
	return 0;
}

/*
 * Wait with two watches - the TrainJob (fieldSelector metadata.name) and its pods
 * (JobSet label) - applied to a local copy, so a change is seen as soon as the
 * event arrives. A dropped watch resumes from the last resourceVersion; 410 Gone
 * or an ERROR event relists; a watch that keeps failing falls back to polling.
 */
int kft__k8s_wait(kft_job_t **out, kft_backend_t *be, const char *name, const kft_wait_opts_t *o)
{
	kft__k8s *k = kft__k8s_be(be);
	int64_t deadline = o && o->timeout_ms > 0 ? kft__mono_ms() + o->timeout_ms : 0;
	int64_t last_cb;
	kft__k8s_streams *ss = NULL;
	watcher w[2];
	kft_job_t *job = NULL;
	int ret = 0, i, polling = 0, error;

	memset(w, 0, sizeof(w));
	w[1].is_pods = 1;
	if ((ret = relist(&job, w, k, name)) < 0)
		goto out;
	last_cb = kft__mono_ms();
	if (judge(&ret, &job, out, name, o))
		goto out;
	if ((ret = kft__k8s_streams_new(&ss, k)) < 0)
		goto out;
	for (;;) {
		int64_t now = kft__mono_ms(), slice;
		int need_relist = 0, dirty = 0;

		if (deadline && now >= deadline) {
			ret = kft__wait_timed_out(name, job);
			goto out;
		}
		for (i = 0; !polling && i < 2; i++) {
			if (w[i].active)
				continue;
			if (w[i].failures >= 3) {
				kft__log(KFT_DIAG_DEBUG, "watch keeps failing: polling TrainJob %s once a "
				         "second", name);
				polling = 1;
				break;
			}
			if (watch_start(ss, &w[i], k, name, deadline ? deadline - now : 0) < 0) {
				w[i].failures++;
				kft_error_clear();
			}
		}
		slice = 1000 - (now - last_cb);
		if (slice < 1)
			slice = 1;
		if (deadline && deadline - now < slice)
			slice = deadline - now;
		if (polling) {
			poll(NULL, 0, (int)slice);
			need_relist = 1;
		} else {
			if (kft__k8s_streams_run(ss, slice) < 0) {
				ret = KFT_ERROR;
				goto out;
			}
			for (i = 0; i < 2; i++) {
				watcher *x = &w[i];

				if (x->dirty) {
					dirty = 1;
					x->dirty = 0;
				}
				if (!x->active || !(x->s.done || x->s.stop))
					continue;
				if (x->s.error == KFT_EAUTH && kft__k8s_auth_refreshable(k)) {
					kft__k8s_auth_refresh(k, 1);
					kft_error_clear();
				}
				if (x->s.error && x->s.status < 300)   /* cut: a line past the limit, a drop */
					kft__log(KFT_DIAG_DEBUG, "watch failed: %s",
					         x->s.err_msg ? x->s.err_msg : "?");
				if (x->gone || x->s.status == 410) {
					kft__log(KFT_DIAG_DEBUG, "watch: resourceVersion expired or stream "
					         "error: relisting");
					need_relist = 1;
				} else if (x->s.error && x->s.status >= 400) {
					kft__log(KFT_DIAG_DEBUG, "watch failed: %s",
					         x->s.err_msg ? x->s.err_msg : "?");
					x->failures++;
				} else if (kft__mono_ms() - x->started_ms < 200) {
					x->failures++;   /* ends at once: do not spin */
				} else {
					kft__log(KFT_DIAG_DEBUG, "watch ended: resuming from resourceVersion %s",
					         x->rv ? x->rv : "(none)");
				}
				kft__k8s_stream_end(ss, &x->s);
				x->active = 0;
				if (x->failures)
					poll(NULL, 0, 100 * x->failures);
			}
			if (w[0].deleted) {
				ret = kft__k8s_not_found("the TrainJob was deleted while waiting");
				goto out;
			}
		}
		if (need_relist) {
			if ((error = relist(&job, w, k, name)) < 0) {
				ret = error;
				goto out;
			}
		} else if (dirty) {
			kft_job_t *fresh = NULL;

			if ((error = build_from_state(&fresh, w)) < 0) {
				ret = error;
				goto out;
			}
			kft_job_free(job);
			job = fresh;
			/*
			 * The TrainJob and pod streams are not ordered with each other: a
			 * terminal condition may arrive before the pod update that caused it.
			 * Read both afresh once, so the final job's steps are consistent.
			 */
			if ((kft_job_state(job) == KFT_JOB_COMPLETE || kft_job_state(job) == KFT_JOB_FAILED) &&
			    (error = relist(&job, w, k, name)) < 0) {
				ret = error;
				goto out;
			}
		}
		if (need_relist || dirty) {
			last_cb = kft__mono_ms();
			if (judge(&ret, &job, out, name, o))
				goto out;
		} else if (kft__mono_ms() - last_cb >= 1000) {
			int rc;

			last_cb = kft__mono_ms();
			if (o && o->progress_cb && (rc = o->progress_cb(job, o->payload)) != 0) {
				ret = rc;
				goto out;
			}
		}
	}
out:
	for (i = 0; i < 2; i++)
		watcher_free(ss, &w[i]);
	kft__k8s_streams_free(ss);
	kft_job_free(job);
	return ret;
}

int kft__k8s_watch_replay(kft_job_t **out, const char *body, size_t len, size_t chunk, int pods)
{
	watcher w[2];
	kft__k8s_stream *s = &w[pods ? 1 : 0].s;
	size_t off;
	int error = 0;

	*out = NULL;
	memset(w, 0, sizeof(w));
	w[1].is_pods = 1;
	w[0].state = cJSON_Parse("{\"metadata\":{\"name\":\"x\",\"namespace\":\"default\"}}");
	w[1].state = cJSON_Parse("{\"items\":[]}");
	if (!w[0].state || !w[1].state) {
		error = kft__error_oom();
		goto out;
	}
	s->req.what = "watch";
	s->on_line = on_watch_line;
	s->payload = &w[pods ? 1 : 0];
	for (off = 0; off < len; off += chunk)
		if (kft__k8s_stream_feed(s, body + off, len - off < chunk ? len - off : chunk) < 0)
			break;
	if (!s->stop && !s->error && s->line.len)   /* the last line, as finish() does */
		s->on_line(s->line.ptr, s->line.len, s->payload);
	if (s->error)
		error = s->error;
	else if (!w[0].deleted && w[0].state)
		error = build_from_state(out, w);
out:
	kft__buf_free(&s->line);
	free(s->err_msg);
	for (off = 0; off < 2; off++) {
		free(w[off].rv);
		cJSON_Delete(w[off].state);
	}
	return error;
}
