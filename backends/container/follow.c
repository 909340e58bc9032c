/*
 * Wait and logs of a container job whose state dir was lost: the engine's
 * event stream (any event about the job's containers re-reads the job
 * through labels.c) and each container's log stream. Read-only.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "container.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- wait: the engine's event stream ---- */

typedef struct {
	cbackend *b;
	const char *name;
	const kft_wait_opts_t *o;
	kft_job_t *job;           /* latest */
	int dirty;                /* an event arrived: re-read the job */
	int64_t deadline;         /* mono ms; 0 none */
	int64_t recheck_at;       /* mono ms: the job's activeDeadlineSeconds passes */
	int rechecked;            /* re-read once past it */
	int result;               /* 1: done with rc */
	int rc;
	kft__buf line;
} wait_ctx;

static int on_event(const char *data, size_t len, int fd, void *payload)
{
	wait_ctx *w = payload;

	(void)fd;
	(void)data;
	(void)len;
	w->dirty = 1;   /* any event about the job's containers: re-read it */
	return 0;
}

static int wait_eval(wait_ctx *w)
{
	kft_job_t *job = NULL;
	int error;

	int past = w->recheck_at && !w->rechecked && kft__mono_ms() >= w->recheck_at;

	if (w->dirty || !w->job || past) {
		w->dirty = 0;
		if (past)
			w->rechecked = 1;
		if ((error = kft__container_labels_get_job(&job, &w->b->rb.base, w->name)) < 0) {
			w->result = 1;
			w->rc = error;
			return error;
		}
		kft_job_free(w->job);
		w->job = job;
	}
	if (!kft__wait_decide(&w->rc, w->job, w->name, w->o)) {
		w->result = 1;
		return w->rc == 0 || w->rc == KFT_EJOBFAILED ? 1 : w->rc;
	}
	if (w->deadline && kft__mono_ms() >= w->deadline) {
		w->result = 1;
		w->rc = kft__wait_timed_out(w->name, w->job);
		return 1;
	}
	return 0;
}

static int wait_tick(void *payload)
{
	return wait_eval(payload);
}

/* Re-check when the job's activeDeadlineSeconds passes (no event marks it). */
static void schedule_deadline(wait_ctx *w)
{
	int64_t created = kft_job_created_ms(w->job), dl = 0;
	cbackend *b = w->b;
	kft__buf lab = KFT__BUF_INIT;
	cJSON *list = NULL;

	if (!created || !b->eng || w->recheck_at)
		return;
	kft__buf_printf(&lab, "%s=%s", L_JOB, w->name);
	if (!lab.oom && kft__engine_container_list(&list, b->eng, lab.ptr) == 0 &&
	    cJSON_GetArraySize(list) > 0)
		kft__parse_i64(&dl, kft__json_str(kft__json_get(cJSON_GetArrayItem(list, 0), "Labels"),
		                                  L_DEADLINE));
	if (dl > 0)
		w->recheck_at = kft__mono_ms() + (created + dl * 1000 - kft__now_ms()) + 100;
	cJSON_Delete(list);
	kft__buf_free(&lab);
	kft_error_clear();
}

int kft__container_labels_wait(kft_job_t **out, kft_backend_t *be, const char *name,
                               const kft_wait_opts_t *opts)
{
	cbackend *b = (cbackend *)be;
	wait_ctx w;
	int64_t lost_since = 0;
	int error;

	memset(&w, 0, sizeof(w));
	w.b = b;
	w.name = name;
	w.o = opts;
	w.deadline = opts && opts->timeout_ms > 0 ? kft__mono_ms() + opts->timeout_ms : 0;
	for (;;) {
		kft__engine_stream *s = NULL;
		kft__buf path = KFT__BUF_INIT, f = KFT__BUF_INIT;
		int64_t since = kft__now_ms() / 1000 - 1;

		/* subscribe first (since = a second ago), then read the state: no event is lost */
		kft__buf_printf(&f, "{\"type\":[\"container\"],\"label\":[\"%s=%s\"]}", L_JOB, name);
		kft__buf_printf(&path, "/events?since=%lld&filters=", (long long)since);
		{
			size_t k;

			for (k = 0; f.ptr && k < f.len; k++)
				kft__buf_printf(&path, "%%%02X", (unsigned char)f.ptr[k]);
		}
		w.dirty = 1;
		error = path.oom || f.oom ? kft__error_oom() : wait_eval(&w);
		if (error < 0 && error == w.rc && (error == KFT_EUNAVAILABLE || error == KFT_ETIMEOUT) &&
		    !(w.deadline && kft__mono_ms() >= w.deadline)) {
			/* the engine went away (restart?): retry for up to 30 s */
			if (!lost_since)
				lost_since = kft__mono_ms();
			if (kft__mono_ms() - lost_since < 30000) {
				kft__buf_free(&path);
				kft__buf_free(&f);
				w.result = 0;
				if (opts && opts->progress_cb && w.job &&
				    (error = opts->progress_cb(w.job, opts->payload)) != 0) {
					w.result = 1;
					w.rc = error;
					goto done;
				}
				poll(NULL, 0, 250);
				continue;
			}
			kft__error_set(KFT_EUNAVAILABLE, KFT_ERROR_CLASS_CONTAINER,
			               "the container engine stopped answering while waiting for "
			               "TrainJob %s (for 30 s); its state is unknown", name);
			w.rc = KFT_EUNAVAILABLE;
		}
		if (w.result) {
			kft__buf_free(&path);
			kft__buf_free(&f);
			goto done;
		}
		lost_since = 0;
		schedule_deadline(&w);
		if ((error = kft__engine_stream_new(&s, b->eng, path.ptr, 0, on_event, &w)) < 0) {
			kft__buf_free(&path);
			kft__buf_free(&f);
			w.rc = error;
			goto done;
		}
		kft__buf_free(&path);
		kft__buf_free(&f);
		error = kft__engine_streams_run(b->eng, &s, 1, 1000, wait_tick, &w);
		if (!w.result && kft__engine_stream_done(s) && kft__engine_stream_status(s) >= 300) {
			kft__error_prefix("events of TrainJob %s", name);
			w.rc = KFT_ERROR;
			w.result = 1;
		}
		kft__engine_stream_free(s);
		if (w.result && (w.rc == KFT_EUNAVAILABLE || w.rc == KFT_ETIMEOUT) &&
		    !(w.deadline && kft__mono_ms() >= w.deadline)) {
			w.result = 0;   /* the engine went away mid-stream: the loop retries */
			continue;
		}
		if (w.result)
			goto done;
		/* the stream ended (engine restart?): loop re-reads the job and resubscribes */
		kft__log(KFT_DIAG_INFO, "container: event stream for %s ended; re-reading", name);
	}
done:
	kft__buf_free(&w.line);
	kft__wait_hand_over(out, &w.job, w.rc);
	kft_job_free(w.job);
	return w.rc;
}


/* ---- logs ---- */

typedef struct {
	const char *step;
	int prefix;
	kft_log_cb cb;
	void *payload;
	kft__buf part[3];         /* partial line per fd */
	uint64_t seen[3];         /* bytes received per fd */
	uint64_t skip[3];         /* catch-up pass: bytes to skip per fd */
	int rc;
} log_stream;

static int emit(log_stream *ls, const char *data, size_t len)
{
	kft__buf out = KFT__BUF_INIT;
	int rc;

	if (!ls->prefix)
		return ls->cb(data, len, ls->step, ls->payload);
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl ? (size_t)(nl - data) + 1 : len;

		kft__buf_printf(&out, "%s: ", ls->step);
		kft__buf_put(&out, data, n);
		data += n;
		len -= n;
	}
	if (out.oom) {
		kft__buf_free(&out);
		return kft__error_oom();
	}
	rc = ls->cb(out.ptr, out.len, ls->step, ls->payload);
	kft__buf_free(&out);
	return rc;
}

static int on_log(const char *data, size_t len, int fd, void *payload)
{
	log_stream *ls = payload;
	int f = fd >= 0 && fd <= 2 ? fd : 1;
	kft__buf *p = &ls->part[f];
	const char *last;

	if (ls->skip[f] > 0) {   /* catch-up pass: drop what the follow pass delivered */
		size_t drop = ls->skip[f] < len ? (size_t)ls->skip[f] : len;

		ls->skip[f] -= drop;
		data += drop;
		len -= drop;
		if (len == 0)
			return 0;
	}
	ls->seen[f] += len;

	/* whole lines only; a partial line waits for its end (or the stream's) */
	last = NULL;
	{
		size_t k;

		for (k = len; k > 0; k--)
			if (data[k - 1] == '\n') {
				last = data + k - 1;
				break;
			}
	}
	if (!last) {
		if (kft__buf_put(p, data, len) < 0)
			return kft__error_oom();
		if (p->len < KFT__LOG_LINE_MAX)
			return 0;
		kft__buf_putc(p, '\n');   /* a line without end: delivered in bounded pieces */
		if (p->oom)
			return kft__error_oom();
		ls->rc = emit(ls, p->ptr, p->len);
		kft__buf_clear(p);
		return ls->rc;
	}
	if (p->len) {
		kft__buf_put(p, data, (size_t)(last - data) + 1);
		if (p->oom)
			return kft__error_oom();
		ls->rc = emit(ls, p->ptr, p->len);
		kft__buf_clear(p);
	} else {
		ls->rc = emit(ls, data, (size_t)(last - data) + 1);
	}
	if (ls->rc)
		return ls->rc;
	if ((size_t)(last + 1 - data) < len)
		return kft__buf_put(p, last + 1, len - (size_t)(last + 1 - data)) < 0 ?
		       kft__error_oom() : 0;
	return 0;
}

static int flush_log(log_stream *ls)
{
	int k, rc = 0;

	for (k = 0; k < 3 && !rc; k++)
		if (ls->part[k].len) {
			rc = emit(ls, ls->part[k].ptr, ls->part[k].len);
			kft__buf_clear(&ls->part[k]);
		}
	return rc;
}

typedef struct {
	int64_t deadline;
	cbackend *b;
	const char *name;
	int64_t next_check;
	kft_log_cb cb;        /* following: the heartbeat logs.h promises */
	void *payload;
	int64_t beat;
} logs_tick_ctx;

static int logs_tick(void *payload)
{
	logs_tick_ctx *t = payload;

	if (t->deadline && kft__mono_ms() >= t->deadline)
		return kft__error_set(KFT_ETIMEOUT, KFT_ERROR_CLASS_CONTAINER,
		                      "timed out following the logs of TrainJob %s", t->name);
	return t->cb ? kft__logs_heartbeat(t->cb, t->payload, &t->beat) : 0;
}

int kft__container_labels_logs(kft_backend_t *be, const char *name, const kft_logs_opts_t *opts,
                               kft_log_cb cb, void *payload)
{
	cbackend *b = (cbackend *)be;
	kft__engine *e;
	kft_job_t *job = NULL;
	kft__engine_stream **ss = NULL;
	log_stream *ls = NULL;
	uint32_t flags = opts ? opts->flags : 0;
	const char *want = opts ? opts->step : NULL;
	int follow = (flags & KFT_LOGS_FOLLOW) != 0, prefix, error, found = 0;
	logs_tick_ctx tc;
	size_t i, n, k;

	if ((error = kft__container_engine(&e, b)) < 0)
		return error;
	if ((error = kft__container_labels_get_job(&job, be, name)) < 0)
		return error;
	prefix = kft__logs_prefix(opts);
	n = kft_job_step_count(job);
	if (!(ss = kft__calloc(n ? n : 1, sizeof(*ss))) || !(ls = kft__calloc(n ? n : 1,
	                                                                      sizeof(*ls)))) {
		error = kft__error_oom();
		goto out;
	}
	memset(&tc, 0, sizeof(tc));
	tc.deadline = follow && opts && opts->timeout_ms > 0 ? kft__mono_ms() + opts->timeout_ms : 0;
	tc.b = b;
	tc.name = name;
	if (follow) {
		tc.cb = cb;
		tc.payload = payload;
	}
	for (i = 0, k = 0; i < n; i++) {
		const kft_step_t *st = kft_job_step_at(job, i);
		const char *step = kft_step_name(st);
		kft__buf path = KFT__BUF_INIT;

		if (want && strcmp(want, step) != 0)
			continue;
		found = 1;
		if (kft__streq(kft_step_reason(st), "NotCreated"))
			continue;
		ls[k].step = step;
		ls[k].prefix = prefix;
		ls[k].cb = cb;
		ls[k].payload = payload;
		kft__buf_printf(&path, "/containers/%s/logs?stdout=1&stderr=1&follow=%d",
		                kft_step_target(st), follow);
		if (opts && opts->tail_lines >= 0)
			kft__buf_printf(&path, "&tail=%lld", (long long)opts->tail_lines);
		if (path.oom) {
			error = kft__error_oom();
			goto out;
		}
		error = kft__engine_stream_new(&ss[k], e, path.ptr, 1, on_log, &ls[k]);
		kft__buf_free(&path);
		if (error < 0)
			goto out;
		k++;
	}
	if (want && !found) {
		kft__buf names = KFT__BUF_INIT;

		for (i = 0; i < n; i++)
			kft__buf_printf(&names, "%s%s", i ? ", " : "",
			                kft_step_name(kft_job_step_at(job, i)));
		error = kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_INVALID,
		                       "TrainJob %s has no step \"%s\" (steps: %s)", name, want,
		                       names.ptr ? names.ptr : "none");
		kft__buf_free(&names);
		goto out;
	}
	if (follow) {   /* every step at once, as lines arrive */
		error = kft__engine_streams_run(e, ss, k, 1000, logs_tick, &tc);
		/*
		 * dockerd may end a follow stream before it logged the container's last,
		 * unterminated line: read the finished log once more and deliver only
		 * the bytes beyond those already seen (not with --tail: offsets differ).
		 */
		for (i = 0; i < k && !error && !(opts && opts->tail_lines >= 0); i++) {
			kft__engine_stream *again = NULL;
			kft__buf path = KFT__BUF_INIT;
			int f;

			if (!kft__engine_stream_done(ss[i]) || kft__engine_stream_status(ss[i]) >= 300)
				continue;
			for (f = 0; f < 3; f++)
				ls[i].skip[f] = ls[i].seen[f];
			kft__buf_printf(&path, "/containers/%s-%s/logs?stdout=1&stderr=1", name,
			                ls[i].step);
			if (path.oom ||
			    (error = kft__engine_stream_new(&again, e, path.ptr, 1, on_log, &ls[i])) < 0) {
				kft__buf_free(&path);
				error = error ? error : kft__error_oom();
				break;
			}
			kft__buf_free(&path);
			error = kft__engine_streams_run(e, &again, 1, 1000, logs_tick, &tc);
			kft__engine_stream_free(again);
		}
		for (i = 0; i < k && !error; i++)
			error = flush_log(&ls[i]);
	} else {        /* one step after the other, in plan order */
		for (i = 0; i < k && !error; i++) {
			error = kft__engine_streams_run(e, &ss[i], 1, 1000, logs_tick, &tc);
			if (!error)
				error = flush_log(&ls[i]);
			if (!error && kft__engine_stream_status(ss[i]) >= 300)
				error = kft_error_last()->message[0] ? KFT_ERROR : 0;
		}
	}
out:
	for (i = 0; i < n; i++) {
		if (ss && ss[i])
			kft__engine_stream_free(ss[i]);
		if (ls)
			for (k = 0; k < 3; k++)
				kft__buf_free(&ls[i].part[k]);
	}
	free(ss);
	free(ls);
	kft_job_free(job);
	return error;
}

