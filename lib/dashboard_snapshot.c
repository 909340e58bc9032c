/*
 * The dashboard's job snapshots: kft_dashboard_run() reads the job list (and,
 * for cluster backends, the jobs only the history still has) into an
 * immutable, reference-counted snapshot that every page, /events and /metrics
 * render from. A job whose row changed gets the snapshot's generation,
 * removals are remembered for live updates, and what changed on the cluster is
 * recorded in the history.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "dash.h"

#include <stdlib.h>
#include <string.h>

/* ---- snapshots ---- */

kft__dash_snap *kft__dash_snap_get(kft__dash *d)
{
	kft__dash_snap *s;

	pthread_mutex_lock(&d->lock);
	if ((s = d->snap) != NULL)
		s->refs++;
	pthread_mutex_unlock(&d->lock);
	return s;
}

void kft__dash_snap_free(kft__dash_snap *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++) {
		kft_job_free(s->v[i].job);
		free(s->v[i].sig);
	}
	free(s->v);
	free(s->by_name);
	free(s);
}

void kft__dash_snap_put(kft__dash *d, kft__dash_snap *s)
{
	int last;

	if (!s)
		return;
	pthread_mutex_lock(&d->lock);
	last = --s->refs == 0;
	pthread_mutex_unlock(&d->lock);
	if (last)
		kft__dash_snap_free(s);
}

static const kft__dash_entry *snap_by_name(const kft__dash_snap *s, const char *name, size_t *pos)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(kft_job_name(s->v[s->by_name[mid]].job), name);

		if (c == 0) {
			if (pos)
				*pos = mid;
			return &s->v[s->by_name[mid]];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const kft__dash_entry *kft__dash_snap_find(const kft__dash_snap *s, const char *name)
{
	return s && name ? snap_by_name(s, name, NULL) : NULL;
}

static int cmp_newest(const void *a, const void *b)
{
	const kft__dash_entry *x = a, *y = b;
	int64_t tx = kft_job_created_ms(x->job), ty = kft_job_created_ms(y->job);

	if (tx != ty)
		return tx > ty ? -1 : 1;
	return strcmp(kft_job_name(x->job), kft_job_name(y->job));
}

static int cmp_name_idx(const void *a, const void *b, void *arg)
{
	const kft__dash_snap *s = arg;

	return strcmp(kft_job_name(s->v[*(const size_t *)a].job),
	              kft_job_name(s->v[*(const size_t *)b].job));
}

/* Newest first, plus an index by name. */
static int snap_index(kft__dash_snap *s)
{
	size_t i;

	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), cmp_newest);
	if (!(s->by_name = kft__calloc(s->n ? s->n : 1, sizeof(size_t))))
		return kft__error_oom();
	for (i = 0; i < s->n; i++)
		s->by_name[i] = i;
	qsort_r(s->by_name, s->n, sizeof(size_t), cmp_name_idx, s);
	return 0;
}

static int snap_add(kft__dash_snap *s, size_t *cap, kft_job_t *job, int history)
{
	kft__buf sig = KFT__BUF_INIT;
	size_t i;

	if (kft__grow(&s->v, cap, s->n + 1, sizeof(*s->v), 64) < 0) {
		kft_job_free(job);
		return KFT_ENOMEM;
	}
	kft__dash_row(&sig, job, history, 0);
	/* what the row does not show changes the job too: status text, steps, metrics */
	kft__buf_printf(&sig, "%s|%s", kft_job_reason(job) ? kft_job_reason(job) : "",
	                kft_job_message(job) ? kft_job_message(job) : "");
	for (i = 0; i < kft_job_step_count(job); i++) {
		const kft_step_t *st = kft_job_step_at(job, i);

		kft__buf_printf(&sig, "|%s=%d/%d", kft_step_status(st), kft_step_exit_code(st),
		                kft_step_signal(st));
	}
	for (i = 0; i < kft_job_metric_count(job); i++) {
		const kft_metric_t *m = kft_job_metric_at(job, i);

		kft__buf_printf(&sig, "|%s=%s", kft_metric_name(m), kft_metric_value(m));
	}
	if (sig.oom) {
		kft__buf_free(&sig);
		kft_job_free(job);
		return kft__error_oom();
	}
	s->v[s->n].job = job;
	s->v[s->n].sig = kft__buf_detach(&sig);
	s->v[s->n].gen = 0;
	s->v[s->n].history = history;
	s->n++;
	return 0;
}

static void note_removed(kft__dash *d, const char *name, uint64_t gen)
{
	size_t i = (d->removed_head + d->nremoved) % KFT__DASH_MAX_REMOVED;

	if (d->nremoved == KFT__DASH_MAX_REMOVED) {
		i = d->removed_head;
		d->removed_head = (d->removed_head + 1) % KFT__DASH_MAX_REMOVED;
		d->nremoved--;
	}
	free(d->removed[i].name);
	d->removed[i].name = kft__strdup(name);
	d->removed[i].gen = gen;
	d->nremoved++;
}

static int is_final(const kft_job_t *job)
{
	return kft_job_state(job) == KFT_JOB_COMPLETE || kft_job_state(job) == KFT_JOB_FAILED;
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Read the job list (and the history), publish it as the new snapshot. */
int kft__dash_poll(kft__dash *d)
{
	kft__dash_snap *s = kft__calloc(1, sizeof(*s)), *old, *drop = NULL;
	kft_job_list_t *list = NULL, *hlist = NULL;
	size_t cap = 0, i;
	int64_t t0 = kft__mono_ms();
	int error = 0, changed = 0, fresh = 0;

	KFT_CHECK_ALLOC(s);
	s->refs = 1;
	pthread_mutex_lock(&d->client_lock);
	if (kft_list_jobs(&list, d->client, NULL) < 0) {
		/* keep showing what we had, with the error */
		char *msg = kft__strdup(kft_error_last()->message ? kft_error_last()->message :
		                        "cannot list jobs");

		pthread_mutex_unlock(&d->client_lock);
		pthread_mutex_lock(&d->lock);
		free(d->list_error);
		d->list_error = msg;
		changed = d->snap == NULL;
		pthread_mutex_unlock(&d->lock);
		if (changed)
			goto publish;   /* an empty list, with the error */
		kft__dash_snap_free(s);
		return 0;
	}
	pthread_mutex_unlock(&d->client_lock);
	pthread_mutex_lock(&d->lock);
	changed = d->list_error != NULL;
	free(d->list_error);
	d->list_error = NULL;
	pthread_mutex_unlock(&d->lock);
	for (i = 0; !error && i < kft_job_list_count(list); i++) {
		kft_job_t *job = NULL;

		if ((error = kft_job_dup(&job, kft_job_list_at(list, i))) == 0)
			error = snap_add(s, &cap, job, 0);
	}
	/* the history: jobs the cluster no longer has */
	if (!error && d->hist && kft__dash_history_list(&hlist, d->hist) == 0) {
		const char **live = kft__calloc(kft_job_list_count(list) + 1, sizeof(char *));
		size_t nlive = kft_job_list_count(list);

		for (i = 0; live && i < nlive; i++)
			live[i] = kft_job_name(kft_job_list_at(list, i));
		if (live && nlive > 1)
			qsort(live, nlive, sizeof(char *), cmp_strp);
		for (i = 0; live && !error && i < kft_job_list_count(hlist); i++) {
			const char *hn = kft_job_name(kft_job_list_at(hlist, i));
			kft_job_t *job = NULL;

			if (!bsearch(&hn, live, nlive, sizeof(char *), cmp_strp) &&
			    (error = kft_job_dup(&job, kft_job_list_at(hlist, i))) == 0)
				error = snap_add(s, &cap, job, 1);
		}
		free(live);
	}
	kft_job_list_free(hlist);
	kft_job_list_free(list);
publish:
	if (!error)
		error = snap_index(s);
	if (error) {
		kft__dash_snap_free(s);
		return error;
	}
	s->taken_ms = kft__now_ms();
	s->list_ms = kft__mono_ms() - t0;

	pthread_mutex_lock(&d->lock);
	old = d->snap;
	s->gen = d->gen + 1;
	for (i = 0; i < s->n; i++) {
		const kft__dash_entry *o = old ? snap_by_name(old, kft_job_name(s->v[i].job), NULL) :
		                           NULL;

		if (o && !strcmp(o->sig, s->v[i].sig)) {
			s->v[i].gen = o->gen;
		} else {
			s->v[i].gen = s->gen;
			changed = 1;
		}
	}
	for (i = 0; old && i < old->n; i++)
		if (!snap_by_name(s, kft_job_name(old->v[i].job), NULL)) {
			note_removed(d, kft_job_name(old->v[i].job), s->gen);
			changed = 1;
		}
	if (changed || !old) {
		d->gen = s->gen;
		d->snap = s;
		s->refs++;          /* ours, for the history below */
		fresh = 1;
		if (old && --old->refs == 0)
			drop = old;
		pthread_cond_broadcast(&d->changed);
	} else {
		/* nothing moved: keep the old list (and its generation) */
		old->taken_ms = s->taken_ms;
		old->list_ms = s->list_ms;
		old->refs++;
		drop = s;
		s = old;
	}
	pthread_mutex_unlock(&d->lock);
	kft__dash_snap_free(drop);

	/* the history records what changed on the cluster (in this list, not earlier) */
	for (i = 0; d->hist && fresh && i < s->n; i++) {
		const kft__dash_entry *e = &s->v[i];

		if (!e->history && e->gen == s->gen)
			kft__dash_history_record(d->hist, d, e->job, is_final(e->job));
		/* every change of a job's progress or metrics, the final update included */
		if (!e->history && e->gen == s->gen &&
		    (kft_job_metric_count(e->job) || kft_job_progress_percent(e->job) >= 0))
			kft__dash_history_metrics(d->hist, e->job, kft__now_ms());
	}
	kft__dash_snap_put(d, s);
	return 0;
}
