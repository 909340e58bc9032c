/*
 * kubernetes: kft_logs - the pod log API, found through the JobSet labels.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "k8s.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>

/* ---- logs ---- */

typedef struct {
	kft__k8s_stream s;
	char step[128];
	char pod[256];
	int active;
	int prefix;
	kft_log_cb cb;
	void *payload;
	kft__buf out;
} logstream;

static int deliver(const char *step, int prefix, const char *line, size_t len, kft_log_cb cb,
                   void *payload, kft__buf *scratch)
{
	int rc;

	kft__buf_clear(scratch);
	if (prefix)
		kft__buf_printf(scratch, "%s: ", step);
	kft__buf_put(scratch, line, len);
	kft__buf_putc(scratch, '\n');
	if (scratch->oom)
		return kft__error_oom();
	rc = cb(scratch->ptr, scratch->len, step, payload);
	return rc;
}

static int on_log_line(const char *line, size_t len, void *payload)
{
	logstream *l = payload;

	return deliver(l->step, l->prefix, line, len, l->cb, l->payload, &l->out);
}

static int log_path(char **out, kft__k8s *k, const kft__k8s_podinfo *pi, const kft_logs_opts_t *o,
                    int follow)
{
	kft__buf q = KFT__BUF_INIT;
	char *path = kft__k8s_ns_path(k, "/api/v1", k->cfg.ns, "pods", pi->name, "log");
	const cJSON *containers = kft__json_path(pi->pod, "spec.containers"), *it;
	const char *cname = NULL;

	*out = NULL;
	KFT_CHECK_ALLOC(path);
	kft__buf_puts(&q, path);
	free(path);
	if (cJSON_GetArraySize(containers) > 1) {
		cJSON_ArrayForEach(it, containers)
			if (kft__streq(kft__json_str(it, "name"), kft__k8s_main_container(pi)))
				cname = kft__k8s_main_container(pi);
		if (cname)
			kft__k8s_add_query(&q, k, "container", cname);
	}
	if (follow)
		kft__k8s_add_query(&q, k, "follow", "true");
	if (o && o->tail_lines >= 0)
		kft__k8s_add_query_int(&q, k, "tailLines", (long long)o->tail_lines);
	if (o && (o->flags & KFT_LOGS_TIMESTAMPS))
		kft__k8s_add_query(&q, k, "timestamps", "true");
	if (o && o->since_ms > 0)
		kft__k8s_add_query_int(&q, k, "sinceSeconds", (long long)((o->since_ms + 999) / 1000));
	if (q.oom) {
		kft__buf_free(&q);
		return kft__error_oom();
	}
	*out = kft__buf_detach(&q);
	return 0;
}

static int step_matches(const char *want, const kft__k8s_podinfo *pi)
{
	return !want || !strcmp(want, pi->step);
}

static int logs_once(kft__k8s *k, const kft__k8s_podinfo *pi, size_t npi, const kft_logs_opts_t *o,
                     int prefix, kft_log_cb cb, void *payload)
{
	kft__buf body = KFT__BUF_INIT, scratch = KFT__BUF_INIT;
	size_t i;
	int error = 0;

	for (i = 0; i < npi && !error; i++) {
		char *path = NULL;
		const char *p, *end;

		if (!step_matches(o ? o->step : NULL, &pi[i]) || kft__streq(pi[i].phase, "Pending") ||
		    !pi[i].phase)
			continue;
		if ((error = log_path(&path, k, &pi[i], o, 0)) < 0)
			break;
		{
			kft__k8s_req r = { "GET", path, NULL, NULL, 1, "read logs" };

			error = kft__k8s_request(&body, NULL, k, &r);
		}
		free(path);
		if (error < 0)
			break;
		for (p = body.ptr ? body.ptr : "", end = p + body.len; p < end && !error; ) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

			error = deliver(pi[i].step, prefix, p, n, cb, payload, &scratch);
			p += n + (nl ? 1 : 0);
		}
	}
	kft__buf_free(&body);
	kft__buf_free(&scratch);
	return error;
}

/* One look at the job and its pods (kft__k8s_get_job_docs); podsnap_free in any case. */
typedef struct {
	kft_job_t *job;
	cJSON *tj, *pods;
	const cJSON **arr;
	kft__k8s_podinfo *pi;
	size_t npi;
} podsnap;

static int podsnap_get(podsnap *s, kft__k8s *k, const char *name)
{
	size_t n = 0;
	int error;

	memset(s, 0, sizeof(*s));
	if ((error = kft__k8s_get_job_docs(&s->job, &s->tj, &s->pods, k, name)) < 0)
		return error;
	if ((s->arr = kft__k8s_items(s->pods, &n)) == NULL)
		return kft__error_oom();
	return kft__k8s_collect_pods(&s->pi, &s->npi, s->arr, n);
}

static void podsnap_free(podsnap *s)
{
	free(s->pi);
	free((void *)s->arr);
	kft_job_free(s->job);
	cJSON_Delete(s->tj);
	cJSON_Delete(s->pods);
}

static int terminal_phase(const char *phase)
{
	return kft__streq(phase, "Succeeded") || kft__streq(phase, "Failed");
}

int kft__k8s_logs(kft_backend_t *be, const char *name, const kft_logs_opts_t *o, kft_log_cb cb,
                   void *payload)
{
	kft__k8s *k = kft__k8s_be(be);
	const char *want = o ? o->step : NULL;
	int follow = o && (o->flags & KFT_LOGS_FOLLOW);
	int prefix = kft__logs_prefix(o);
	int64_t deadline = o && o->timeout_ms > 0 ? kft__mono_ms() + o->timeout_ms : 0;
	kft__k8s_streams *ss = NULL;
	logstream **ls = NULL;
	size_t nls = 0, i;
	kft__strv done = KFT__STRV_INIT;
	int64_t beat = 0;
	int error = 0, matched = 0;

	if (!follow) {
		podsnap s;
		size_t found = 0;

		if ((error = podsnap_get(&s, k, name)) < 0)
			goto once_out;
		for (i = 0; i < s.npi; i++)
			found += step_matches(want, &s.pi[i]);
		if (want && !found && (kft_job_state(s.job) == KFT_JOB_COMPLETE ||
		                       kft_job_state(s.job) == KFT_JOB_FAILED)) {
			error = kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_INVALID,
			                       "TrainJob %s has no step \"%s\"", name, want);
			goto once_out;
		}
		error = logs_once(k, s.pi, s.npi, o, prefix, cb, payload);
once_out:
		podsnap_free(&s);
		return error;
	}
	if ((error = kft__k8s_streams_new(&ss, k)) < 0)
		return error;
	for (;;) {
		podsnap s;
		size_t pending = 0, active = 0;
		int finished;

		if ((error = podsnap_get(&s, k, name)) < 0)
			goto round_out;
		finished = kft_job_state(s.job) == KFT_JOB_COMPLETE ||
		           kft_job_state(s.job) == KFT_JOB_FAILED;
		for (i = 0; i < s.npi; i++) {
			logstream *l, **nl;
			size_t j;
			int have = 0;

			if (!step_matches(want, &s.pi[i]))
				continue;
			matched = 1;
			for (j = 0; j < nls; j++)
				have |= !strcmp(ls[j]->pod, s.pi[i].name);
			if (have || kft__strv_has(&done, s.pi[i].name))
				continue;
			if (!s.pi[i].phase || kft__streq(s.pi[i].phase, "Pending")) {
				pending++;
				continue;
			}
			if ((l = kft__calloc(1, sizeof(*l))) == NULL ||
			    (nl = kft__realloc(ls, (nls + 1) * sizeof(*ls))) == NULL) {
				free(l);
				error = kft__error_oom();
				goto round_out;
			}
			ls = nl;
			ls[nls++] = l;
			snprintf(l->step, sizeof(l->step), "%s", s.pi[i].step);
			snprintf(l->pod, sizeof(l->pod), "%s", s.pi[i].name);
			l->prefix = prefix;
			l->cb = cb;
			l->payload = payload;
			if ((error = log_path((char **)&l->s.req.path, k, &s.pi[i], o, 1)) < 0)
				goto round_out;
			l->s.req.method = "GET";
			l->s.req.idempotent = 1;
			l->s.req.what = "follow logs";
			l->s.on_line = on_log_line;
			l->s.payload = l;
			if ((error = kft__k8s_stream_start(ss, &l->s)) < 0)
				goto round_out;
			l->active = 1;
		}
		for (i = 0; i < nls; i++)
			active += ls[i]->active;
		/* done: the job is over, nothing is streaming and no wanted pod is still pending */
		if (finished && active == 0 && pending == 0) {
			if (want && !matched)
				error = kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_INVALID,
				                       "TrainJob %s has no step \"%s\"", name, want);
			goto round_out_stop;
		}
		if (want && active == 0 && pending == 0 && done.n > 0) {
			int all_terminal = 1;

			for (i = 0; i < s.npi; i++)
				if (step_matches(want, &s.pi[i]) && !terminal_phase(s.pi[i].phase))
					all_terminal = 0;
			if (all_terminal)
				goto round_out_stop;
		}
		if (!want && active == 0 && pending == 0 && done.n > 0 && s.npi > 0) {
			int all_terminal = 1;

			for (i = 0; i < s.npi; i++)
				if (!terminal_phase(s.pi[i].phase))
					all_terminal = 0;
			if (all_terminal && finished)
				goto round_out_stop;
		}
		if (deadline && kft__mono_ms() >= deadline) {
			error = kft__error_set(KFT_ETIMEOUT, KFT_ERROR_CLASS_INVALID,
			                       "timed out following the logs of TrainJob %s", name);
			goto round_out;
		}
		/* stream for a while (pods are re-checked every half second while waiting) */
		if (active) {
			/* stream for up to a second (lines are delivered as they come), then
			 * look at the pods again; a finished stream ends the round early */
			int64_t until = kft__mono_ms() + 1000;
			int ended = 0;

			if (deadline && deadline < until)
				until = deadline;
			while (!ended && kft__mono_ms() < until) {
				if (kft__k8s_streams_run(ss, until - kft__mono_ms()) < 0) {
					error = KFT_ERROR;
					goto round_out;
				}
				for (i = 0; i < nls; i++)
					ended |= ls[i]->active && (ls[i]->s.done || ls[i]->s.stop);
			}
		} else {
			poll(NULL, 0, 300);
		}
		/* the heartbeat logs.h promises: a quiet follow can be cancelled */
		if ((error = kft__logs_heartbeat(cb, payload, &beat)) != 0)
			goto round_out;
		for (i = 0; i < nls; i++) {
			logstream *l = ls[i];

			if (!l->active || !(l->s.done || l->s.stop))
				continue;
			if (l->s.stop) {
				error = l->s.cb_ret;
				goto round_out;
			}
			if (l->s.error && l->s.status == 400) {
				/* the container is not ready yet: retry on the next round */
				kft__k8s_stream_end(ss, &l->s);
				free((char *)l->s.req.path);
				kft__buf_free(&l->out);
				free(l);
				ls[i] = ls[--nls];
				i--;
				continue;
			}
			if (l->s.error) {
				error = kft__error_set(l->s.error, KFT_ERROR_CLASS_K8S, "logs of %s: %s",
				                       l->step, l->s.err_msg ? l->s.err_msg : "error");
				goto round_out;
			}
			kft__strv_push(&done, l->pod);
			kft__k8s_stream_end(ss, &l->s);
			l->active = 0;
		}
		podsnap_free(&s);
		continue;
round_out_stop:
		error = error < 0 ? error : 0;
round_out:
		podsnap_free(&s);
		break;
	}
	for (i = 0; i < nls; i++) {
		if (ls[i]->active)
			kft__k8s_stream_end(ss, &ls[i]->s);
		else
			kft__k8s_stream_end(NULL, &ls[i]->s);
		free((char *)ls[i]->s.req.path);
		kft__buf_free(&ls[i]->out);
		free(ls[i]);
	}
	free(ls);
	kft__strv_free(&done);
	kft__k8s_streams_free(ss);
	return error;
}
