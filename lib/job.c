/* Jobs, job lists and events. SPDX-License-Identifier: Apache-2.0 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct kft_step {
	char *name, *target, *reason;
	int state, exit_code, signal;   /* exit_code KFT_UNSET: not exited */
};
typedef struct kft_step kft__step;

struct kft_label {
	char *name, *value;
};
typedef struct kft_metric kft__metric;

struct kft_job {
	char *name, *ns, *runtime, *backend, *reason, *message;
	int state;
	int64_t num_nodes, created_ms, started_ms, finished_ms, percent, eta, progress_ms;
	kft__step *steps;
	size_t nsteps;
	kft__metric *metrics;
	size_t nmetrics;
	struct kft_label *labels;   /* metadata.labels, in the order set */
	size_t nlabels;
};

struct kft_job_list {
	kft_job_t **jobs;
	size_t n, cap;
};

struct kft_event {
	int64_t time_ms;
	char *kind, *object, *type, *reason, *message;
};
typedef struct kft_event kft__event;

struct kft_event_list {
	kft__event *ev;
	size_t n, cap;
};

static const char *const job_states[] = { "Created", "Suspended", "Running", "Complete", "Failed" };
static const char *const step_states[] = { "Pending", "Running", "Succeeded", "Failed" };

const char *kft_job_state_name(int state)
{
	return state >= 0 && state <= KFT_JOB_FAILED ? job_states[state] : NULL;
}

int kft_job_state_parse(int *out, const char *name)
{
	int i;

	KFT_ASSERT_ARG(out && name);
	*out = KFT_UNSET;
	for (i = 0; i <= KFT_JOB_FAILED; i++)
		if (!strcasecmp(name, job_states[i])) {
			*out = i;
			return 0;
		}
	return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
	                      "status \"%s\": not one of Created, Suspended, Running, Complete, "
	                      "Failed", name);
}

const char *kft_step_state_name(int state)
{
	return state >= 0 && state <= KFT_STEP_FAILED ? step_states[state] : NULL;
}

int kft__step_state_of(const char *status)
{
	int i;

	for (i = KFT_STEP_RUNNING; i <= KFT_STEP_FAILED; i++)
		if (kft__streq(status, step_states[i]))
			return i;
	return KFT_STEP_PENDING;
}

int kft_job_new(kft_job_t **out, const char *name, const char *backend)
{
	kft_job_t *job;

	KFT_ASSERT_ARG(out && name);
	*out = NULL;
	KFT_CHECK_ALLOC(job = kft__calloc(1, sizeof(*job)));
	job->percent = job->eta = KFT_UNSET;
	if ((job->name = kft__strdup(name)) == NULL ||
	    (backend && (job->backend = kft__strdup(backend)) == NULL)) {
		kft_job_free(job);
		return kft__error_oom();
	}
	*out = job;
	return 0;
}

void kft_job_free(kft_job_t *job)
{
	size_t i;

	if (!job)
		return;
	for (i = 0; i < job->nsteps; i++) {
		free(job->steps[i].name);
		free(job->steps[i].target);
		free(job->steps[i].reason);
	}
	for (i = 0; i < job->nmetrics; i++) {
		free(job->metrics[i].name);
		free(job->metrics[i].value);
	}
	for (i = 0; i < job->nlabels; i++) {
		free(job->labels[i].name);
		free(job->labels[i].value);
	}
	free(job->labels);
	free(job->steps);
	free(job->metrics);
	free(job->name);
	free(job->ns);
	free(job->runtime);
	free(job->backend);
	free(job->reason);
	free(job->message);
	free(job);
}

int kft_job_dup(kft_job_t **out, const kft_job_t *job)
{
	kft_job_t *j;
	size_t i;
	int error = 0;

	KFT_ASSERT_ARG(out && job);
	*out = NULL;
	if ((error = kft_job_new(&j, job->name, job->backend)) < 0)
		return error;
	error |= kft_job_set_namespace(j, job->ns);
	error |= kft_job_set_runtime(j, job->runtime);
	error |= kft_job_set_state(j, job->state, job->reason, job->message);
	j->num_nodes = job->num_nodes;
	j->created_ms = job->created_ms;
	j->started_ms = job->started_ms;
	j->finished_ms = job->finished_ms;
	j->percent = job->percent;
	j->eta = job->eta;
	j->progress_ms = job->progress_ms;
	for (i = 0; !error && i < job->nsteps; i++)
		error = kft_job_add_step(j, job->steps[i].name, job->steps[i].state, job->steps[i].target,
		                         job->steps[i].exit_code, job->steps[i].signal,
		                         job->steps[i].reason);
	for (i = 0; !error && i < job->nmetrics; i++)
		error = kft_job_add_metric(j, job->metrics[i].name, job->metrics[i].value);
	for (i = 0; !error && i < job->nlabels; i++)
		error = kft_job_set_label(j, job->labels[i].name, job->labels[i].value);
	if (error) {
		kft_job_free(j);
		return kft__error_oom();
	}
	*out = j;
	return 0;
}

int kft_job_set_namespace(kft_job_t *job, const char *ns)
{
	KFT_ASSERT_ARG(job);
	return kft__strdup_replace(&job->ns, ns);
}

int kft_job_set_runtime(kft_job_t *job, const char *runtime)
{
	KFT_ASSERT_ARG(job);
	return kft__strdup_replace(&job->runtime, runtime);
}

int kft_job_set_state(kft_job_t *job, int state, const char *reason, const char *message)
{
	KFT_ASSERT_ARG(job && state >= KFT_JOB_CREATED && state <= KFT_JOB_FAILED);
	job->state = state;
	if (kft__strdup_replace(&job->reason, reason) < 0 ||
	    kft__strdup_replace(&job->message, message) < 0)
		return kft__error_oom();
	return 0;
}

int kft_job_set_num_nodes(kft_job_t *job, int64_t n)
{
	KFT_ASSERT_ARG(job);
	job->num_nodes = n;
	return 0;
}

int kft_job_set_times(kft_job_t *job, int64_t created_ms, int64_t started_ms, int64_t finished_ms)
{
	KFT_ASSERT_ARG(job);
	job->created_ms = created_ms;
	job->started_ms = started_ms;
	job->finished_ms = finished_ms;
	return 0;
}

int kft_job_set_progress(kft_job_t *job, int64_t percent, int64_t eta_seconds)
{
	KFT_ASSERT_ARG(job);
	job->percent = percent >= 0 ? percent : KFT_UNSET;
	job->eta = eta_seconds >= 0 ? eta_seconds : KFT_UNSET;
	return 0;
}

int kft__job_set_progress_time(kft_job_t *job, int64_t updated_ms)
{
	KFT_ASSERT_ARG(job);
	job->progress_ms = updated_ms;
	return 0;
}

/* Copies of a name and a value (a metric, a label): both, or KFT_ENOMEM and neither. */
static int dup_pair(char **name, char **value, const char *n, const char *v)
{
	*name = kft__strdup(n);
	*value = kft__strdup(v);
	if (*name && *value)
		return 0;
	free(*name);
	free(*value);
	return KFT_ENOMEM;
}

int kft_job_add_metric(kft_job_t *job, const char *name, const char *value)
{
	kft__metric *m;

	KFT_ASSERT_ARG(job && name && value);
	KFT_CHECK_ALLOC(m = kft__realloc(job->metrics, (job->nmetrics + 1) * sizeof(*m)));
	job->metrics = m;
	m += job->nmetrics;
	if (dup_pair(&m->name, &m->value, name, value) < 0)
		return KFT_ENOMEM;
	job->nmetrics++;
	return 0;
}

int kft_job_set_label(kft_job_t *job, const char *key, const char *value)
{
	struct kft_label *m;
	size_t i;

	KFT_ASSERT_ARG(job && key && *key && value);
	for (i = 0; i < job->nlabels; i++)
		if (!strcmp(job->labels[i].name, key))
			return kft__strdup_replace(&job->labels[i].value, value);
	KFT_CHECK_ALLOC(m = kft__realloc(job->labels, (job->nlabels + 1) * sizeof(*m)));
	job->labels = m;
	m += job->nlabels;
	if (dup_pair(&m->name, &m->value, key, value) < 0)
		return KFT_ENOMEM;
	job->nlabels++;
	return 0;
}

size_t kft_job_label_count(const kft_job_t *job) { return job ? job->nlabels : 0; }

const kft_label_t *kft_job_label_at(const kft_job_t *job, size_t i)
{
	return job && i < job->nlabels ? &job->labels[i] : NULL;
}

const char *kft_label_key(const kft_label_t *l) { return l ? l->name : NULL; }
const char *kft_label_value(const kft_label_t *l) { return l ? l->value : NULL; }

const char *kft_job_label(const kft_job_t *job, const char *key)
{
	size_t i;

	for (i = 0; job && key && i < job->nlabels; i++)
		if (!strcmp(job->labels[i].name, key))
			return job->labels[i].value;
	return NULL;
}

int kft_job_add_step(kft_job_t *job, const char *name, int state, const char *target,
                     int exit_code, int signal, const char *reason)
{
	kft__step *s;

	KFT_ASSERT_ARG(job && name && state >= KFT_STEP_PENDING && state <= KFT_STEP_FAILED);
	s = kft__realloc(job->steps, (job->nsteps + 1) * sizeof(*s));
	KFT_CHECK_ALLOC(s);
	job->steps = s;
	s = &job->steps[job->nsteps];
	memset(s, 0, sizeof(*s));
	s->state = state;
	s->exit_code = exit_code >= 0 ? exit_code : KFT_UNSET;
	s->signal = signal;
	if ((s->name = kft__strdup(name)) == NULL ||
	    (target && (s->target = kft__strdup(target)) == NULL) ||
	    (reason && (s->reason = kft__strdup(reason)) == NULL)) {
		free(s->name);
		free(s->target);
		free(s->reason);
		return kft__error_oom();
	}
	job->nsteps++;
	return 0;
}

const char *kft_job_name(const kft_job_t *job) { return job ? job->name : NULL; }
const char *kft_job_namespace(const kft_job_t *job) { return job ? job->ns : NULL; }
const char *kft_job_runtime(const kft_job_t *job) { return job ? job->runtime : NULL; }
const char *kft_job_backend(const kft_job_t *job) { return job ? job->backend : NULL; }
int kft_job_state(const kft_job_t *job) { return job ? job->state : KFT_UNSET; }
const char *kft_job_status(const kft_job_t *job) { return job ? kft_job_state_name(job->state) : NULL; }
const char *kft_job_reason(const kft_job_t *job) { return job ? job->reason : NULL; }
const char *kft_job_message(const kft_job_t *job) { return job ? job->message : NULL; }
int64_t kft_job_num_nodes(const kft_job_t *job) { return job ? job->num_nodes : 0; }
int64_t kft_job_created_ms(const kft_job_t *job) { return job ? job->created_ms : 0; }
int64_t kft_job_started_ms(const kft_job_t *job) { return job ? job->started_ms : 0; }
int64_t kft_job_finished_ms(const kft_job_t *job) { return job ? job->finished_ms : 0; }
int64_t kft_job_progress_percent(const kft_job_t *job) { return job ? job->percent : KFT_UNSET; }
int64_t kft_job_eta_seconds(const kft_job_t *job) { return job ? job->eta : KFT_UNSET; }
int64_t kft_job_progress_updated_ms(const kft_job_t *job) { return job ? job->progress_ms : 0; }

size_t kft_job_metric_count(const kft_job_t *job) { return job ? job->nmetrics : 0; }

const kft_metric_t *kft_job_metric_at(const kft_job_t *job, size_t i)
{
	return job && i < job->nmetrics ? &job->metrics[i] : NULL;
}

const char *kft_metric_name(const kft_metric_t *m) { return m ? m->name : NULL; }
const char *kft_metric_value(const kft_metric_t *m) { return m ? m->value : NULL; }

size_t kft_job_step_count(const kft_job_t *job) { return job ? job->nsteps : 0; }

const kft_step_t *kft_job_step_at(const kft_job_t *job, size_t i)
{
	return job && i < job->nsteps ? &job->steps[i] : NULL;
}

const char *kft_step_name(const kft_step_t *s) { return s ? s->name : NULL; }
int kft_step_state(const kft_step_t *s) { return s ? s->state : KFT_UNSET; }
const char *kft_step_status(const kft_step_t *s) { return s ? kft_step_state_name(s->state) : NULL; }
const char *kft_step_target(const kft_step_t *s) { return s ? s->target : NULL; }
int kft_step_exit_code(const kft_step_t *s) { return s ? s->exit_code : KFT_UNSET; }
int kft_step_signal(const kft_step_t *s) { return s ? s->signal : 0; }
const char *kft_step_reason(const kft_step_t *s) { return s ? s->reason : NULL; }

/* Days since 1970-01-01 -> civil date (Howard Hinnant's algorithm); no locale, no tz. */
static void civil(int64_t days, int *y, int *m, int *d)
{
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static char *put2(char *p, int v)
{
	*p++ = (char)('0' + v / 10 % 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

/* "YYYY-MM-DDTHH:MM:SSZ" (RFC 3339, UTC, whole seconds); buf holds >= 21 bytes. */
void kft__time_rfc3339_format(char *buf, size_t n, int64_t ms)
{
	int64_t s = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
	int64_t days = s >= 0 ? s / 86400 : -((-s + 86399) / 86400), sod = s - days * 86400;
	int y, m, d;
	char *p = buf;

	civil(days, &y, &m, &d);
	if (n < 21 || y < 0 || y > 9999) {
		snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(sod / 3600),
		         (int)(sod / 60 % 60), (int)(sod % 60));
		return;
	}
	p = put2(put2(p, y / 100), y % 100);
	*p++ = '-';
	p = put2(p, m);
	*p++ = '-';
	p = put2(p, d);
	*p++ = 'T';
	p = put2(p, (int)(sod / 3600));
	*p++ = ':';
	p = put2(p, (int)(sod / 60 % 60));
	*p++ = ':';
	p = put2(p, (int)(sod % 60));
	*p++ = 'Z';
	*p = '\0';
}

static int add_time(cJSON *o, const char *key, int64_t ms)
{
	char buf[64];

	if (ms <= 0)
		return 0;
	kft__time_rfc3339_format(buf, sizeof(buf), ms);
	return cJSON_AddStringToObject(o, key, buf) ? 0 : -1;
}

cJSON *kft__job_to_json(const kft_job_t *job)
{
	cJSON *o = cJSON_CreateObject(), *steps, *m;
	size_t i;
	int bad = 0;

	if (!o)
		return NULL;
	bad |= !cJSON_AddStringToObject(o, "name", job->name);
	if (job->ns)
		bad |= !cJSON_AddStringToObject(o, "namespace", job->ns);
	if (job->runtime)
		bad |= !cJSON_AddStringToObject(o, "runtime", job->runtime);
	if (job->backend)
		bad |= !cJSON_AddStringToObject(o, "backend", job->backend);
	if (job->nlabels) {
		cJSON *l = cJSON_AddObjectToObject(o, "labels");
		size_t k;

		bad |= !l;
		for (k = 0; l && k < job->nlabels; k++)
			bad |= !cJSON_AddStringToObject(l, job->labels[k].name, job->labels[k].value);
	}
	bad |= !cJSON_AddStringToObject(o, "status", kft_job_state_name(job->state));
	if (job->reason)
		bad |= !cJSON_AddStringToObject(o, "reason", job->reason);
	if (job->message)
		bad |= !cJSON_AddStringToObject(o, "message", job->message);
	bad |= !cJSON_AddNumberToObject(o, "numNodes", (double)job->num_nodes);
	bad |= add_time(o, "creationTimestamp", job->created_ms) < 0;
	bad |= add_time(o, "startTime", job->started_ms) < 0;
	bad |= add_time(o, "completionTime", job->finished_ms) < 0;
	/* status.trainerStatus, in the CRD's shape */
	if (job->percent >= 0 || job->eta >= 0 || job->nmetrics || job->progress_ms) {
		cJSON *p = cJSON_AddObjectToObject(o, "trainerStatus");

		bad |= !p;
		if (p && job->percent >= 0)
			bad |= !cJSON_AddNumberToObject(p, "progressPercentage", (double)job->percent);
		if (p && job->eta >= 0)
			bad |= !cJSON_AddNumberToObject(p, "estimatedRemainingSeconds", (double)job->eta);
		if (p && job->nmetrics) {
			m = cJSON_AddArrayToObject(p, "metrics");
			for (i = 0; m && i < job->nmetrics; i++) {
				cJSON *e = cJSON_CreateObject();

				bad |= !e || !cJSON_AddStringToObject(e, "name", job->metrics[i].name) ||
				       !cJSON_AddStringToObject(e, "value", job->metrics[i].value);
				cJSON_AddItemToArray(m, e);
			}
		}
		if (p)
			bad |= add_time(p, "lastUpdatedTime", job->progress_ms) < 0;
	}
	steps = cJSON_AddArrayToObject(o, "steps");
	bad |= !steps;
	for (i = 0; steps && i < job->nsteps; i++) {
		const kft__step *s = &job->steps[i];
		cJSON *e = cJSON_CreateObject();

		if (!e) {
			bad = 1;
			break;
		}
		cJSON_AddItemToArray(steps, e);
		bad |= !cJSON_AddStringToObject(e, "name", s->name);
		bad |= !cJSON_AddStringToObject(e, "status", kft_step_state_name(s->state));
		if (s->target)
			bad |= !cJSON_AddStringToObject(e, "target", s->target);
		if (s->exit_code >= 0)
			bad |= !cJSON_AddNumberToObject(e, "exitCode", s->exit_code);
		if (s->signal > 0)
			bad |= !cJSON_AddNumberToObject(e, "signal", s->signal);
		if (s->reason)
			bad |= !cJSON_AddStringToObject(e, "reason", s->reason);
	}
	if (bad) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static void jw_time(kft__jw *w, const char *key, int64_t ms)
{
	char buf[64];

	if (ms <= 0)
		return;
	kft__time_rfc3339_format(buf, sizeof(buf), ms);
	kft__jw_str(w, key, buf);
}

/* The JSON form of kft__job_to_json, written straight into a buffer (same bytes). */
static void job_write_json(kft__jw *w, const kft_job_t *job)
{
	size_t i;

	kft__jw_open(w, NULL, 1);
	kft__jw_str(w, "name", job->name);
	if (job->ns)
		kft__jw_str(w, "namespace", job->ns);
	if (job->runtime)
		kft__jw_str(w, "runtime", job->runtime);
	if (job->backend)
		kft__jw_str(w, "backend", job->backend);
	if (job->nlabels) {
		size_t k;

		kft__jw_open(w, "labels", 1);
		for (k = 0; k < job->nlabels; k++)
			kft__jw_str(w, job->labels[k].name, job->labels[k].value);
		kft__jw_close(w);
	}
	kft__jw_str(w, "status", kft_job_state_name(job->state));
	if (job->reason)
		kft__jw_str(w, "reason", job->reason);
	if (job->message)
		kft__jw_str(w, "message", job->message);
	kft__jw_int(w, "numNodes", (long long)job->num_nodes);
	jw_time(w, "creationTimestamp", job->created_ms);
	jw_time(w, "startTime", job->started_ms);
	jw_time(w, "completionTime", job->finished_ms);
	if (job->percent >= 0 || job->eta >= 0 || job->nmetrics || job->progress_ms) {
		kft__jw_open(w, "trainerStatus", 1);
		if (job->percent >= 0)
			kft__jw_int(w, "progressPercentage", (long long)job->percent);
		if (job->eta >= 0)
			kft__jw_int(w, "estimatedRemainingSeconds", (long long)job->eta);
		if (job->nmetrics) {
			kft__jw_open(w, "metrics", 0);
			for (i = 0; i < job->nmetrics; i++) {
				kft__jw_open(w, NULL, 1);
				kft__jw_str(w, "name", job->metrics[i].name);
				kft__jw_str(w, "value", job->metrics[i].value);
				kft__jw_close(w);
			}
			kft__jw_close(w);
		}
		jw_time(w, "lastUpdatedTime", job->progress_ms);
		kft__jw_close(w);
	}
	kft__jw_open(w, "steps", 0);
	for (i = 0; i < job->nsteps; i++) {
		const kft__step *st = &job->steps[i];

		kft__jw_open(w, NULL, 1);
		kft__jw_str(w, "name", st->name);
		kft__jw_str(w, "status", kft_step_state_name(st->state));
		if (st->target)
			kft__jw_str(w, "target", st->target);
		if (st->exit_code >= 0)
			kft__jw_int(w, "exitCode", st->exit_code);
		if (st->signal > 0)
			kft__jw_int(w, "signal", st->signal);
		if (st->reason)
			kft__jw_str(w, "reason", st->reason);
		kft__jw_close(w);
	}
	kft__jw_close(w);
	kft__jw_close(w);
}

/* Detach a JSON document written with kft__jw, ending it with a newline. */
static int jw_finish(char **out, kft__buf *b)
{
	if (kft__buf_putc(b, '\n') < 0 || b->oom || (*out = kft__buf_detach(b)) == NULL) {
		kft__buf_free(b);
		return kft__error_oom();
	}
	return 0;
}

static int render_text(kft__buf *b, const kft_job_t *job)
{
	size_t i;

	kft__buf_printf(b, "Name:     %s\n", job->name);
	if (job->ns)
		kft__buf_printf(b, "Namespace: %s\n", job->ns);
	kft__buf_printf(b, "Runtime:  %s\n", job->runtime ? job->runtime : "-");
	kft__buf_printf(b, "Status:   %s\n", kft_job_state_name(job->state));
	if (job->reason)
		kft__buf_printf(b, "Reason:   %s\n", job->reason);
	if (job->message)
		kft__buf_printf(b, "Message:  %s\n", job->message);
	kft__buf_printf(b, "Nodes:    %lld\n", (long long)job->num_nodes);
	/* times: absolute (RFC 3339) and how long it ran, or has been running */
	{
		static const char *const names[] = { "Created:  ", "Started:  ", "Finished: " };
		const int64_t t[] = { job->created_ms, job->started_ms, job->finished_ms };
		char when[64], len[32];

		for (i = 0; i < 3; i++)
			if (t[i] > 0) {
				kft__time_rfc3339_format(when, sizeof(when), t[i]);
				kft__buf_printf(b, "%s%s\n", names[i], when);
			}
		if (job->started_ms > 0) {
			int done = job->finished_ms > 0;

			kft_duration_format(len, sizeof(len), (done ? job->finished_ms : kft__now_ms()) -
			                    job->started_ms);
			kft__buf_printf(b, "Duration: %s%s\n", len, done ? "" : " (so far)");
		}
	}
	if (job->percent >= 0)
		kft__buf_printf(b, "Progress: %lld%%\n", (long long)job->percent);
	if (job->eta >= 0) {
		char eta[32];

		kft_duration_format(eta, sizeof(eta), job->eta * 1000);
		kft__buf_printf(b, "ETA:      %s\n", eta);
	}
	for (i = 0; i < job->nmetrics; i++)
		kft__buf_printf(b, "Metric:   %s=%s\n", job->metrics[i].name, job->metrics[i].value);
	kft__buf_printf(b, "Steps:\n  %-22s %-10s %-6s %s\n", "STEP", "STATUS", "EXIT", "REASON");
	for (i = 0; i < job->nsteps; i++) {
		const kft__step *s = &job->steps[i];
		char exitbuf[32];

		if (s->signal > 0)
			snprintf(exitbuf, sizeof(exitbuf), "sig%d", s->signal);
		else if (s->exit_code >= 0)
			snprintf(exitbuf, sizeof(exitbuf), "%d", s->exit_code);
		else
			snprintf(exitbuf, sizeof(exitbuf), "-");
		kft__buf_printf(b, "  %-22s %-10s %-6s %s\n", s->name, kft_step_state_name(s->state),
		                exitbuf, s->reason ? s->reason : "");
	}
	return b->oom ? KFT_ENOMEM : 0;
}

int kft_job_render(char **out, const kft_job_t *job, const kft_render_opts_t *opts)
{
	kft_render_opts_t o;
	int error, format;
	cJSON *j;

	KFT_ASSERT_ARG(out && job);
	*out = NULL;
	if ((error = kft__render_opts_read(&o, opts)) < 0)
		return error;
	format = o.format;
	if (format == KFT_FORMAT_TEXT) {
		kft__buf b = KFT__BUF_INIT;

		if (render_text(&b, job) < 0 || (*out = kft__buf_detach(&b)) == NULL) {
			kft__buf_free(&b);
			return kft__error_oom();
		}
		return 0;
	}
	if (format == KFT_FORMAT_JSON) {
		kft__buf b = KFT__BUF_INIT;
		kft__jw w;

		kft__jw_init(&w, &b);
		job_write_json(&w, job);
		return jw_finish(out, &b);
	}
	KFT_CHECK_ALLOC(j = kft__job_to_json(job));
	error = kft__render_doc(out, j, format);
	cJSON_Delete(j);
	return error;
}

int kft_job_list_new(kft_job_list_t **out)
{
	KFT_ASSERT_ARG(out);
	KFT_CHECK_ALLOC(*out = kft__calloc(1, sizeof(**out)));
	return 0;
}

int kft_job_list_add(kft_job_list_t *list, kft_job_t *job)
{
	if (!list || !job) {
		kft_job_free(job);
		KFT_ASSERT_ARG(list && job);
	}
	if (kft__grow(&list->jobs, &list->cap, list->n + 1, sizeof(*list->jobs), 16) < 0) {
		kft_job_free(job);
		return KFT_ENOMEM;
	}
	list->jobs[list->n++] = job;
	return 0;
}

size_t kft_job_list_count(const kft_job_list_t *list) { return list ? list->n : 0; }

const kft_job_t *kft_job_list_at(const kft_job_list_t *list, size_t i)
{
	return list && i < list->n ? list->jobs[i] : NULL;
}

void kft__job_list_truncate(kft_job_list_t *list, size_t n)
{
	while (list && list->n > n)
		kft_job_free(list->jobs[--list->n]);
}

void kft_job_list_free(kft_job_list_t *list)
{
	size_t i;

	if (!list)
		return;
	for (i = 0; i < list->n; i++)
		kft_job_free(list->jobs[i]);
	free(list->jobs);
	free(list);
}

int kft_job_list_render(char **out, const kft_job_list_t *list, const kft_render_opts_t *opts)
{
	kft_render_opts_t o;
	int error, format;
	size_t i;

	KFT_ASSERT_ARG(out && list);
	*out = NULL;
	if ((error = kft__render_opts_read(&o, opts)) < 0)
		return error;
	format = o.format;
	if (format == KFT_FORMAT_TEXT) {
		kft__buf b = KFT__BUF_INIT;

		kft__buf_printf(&b, "%-40s %-28s %-10s %-5s %s\n", "NAME", "RUNTIME", "STATUS", "NODES",
		                "CREATED");
		for (i = 0; i < list->n; i++) {
			const kft_job_t *j = list->jobs[i];
			char when[64] = "-";

			if (j->created_ms > 0)
				kft__time_rfc3339_format(when, sizeof(when), j->created_ms);
			kft__buf_printf(&b, "%-40s %-28s %-10s %-5lld %s\n", j->name,
			                j->runtime ? j->runtime : "-", kft_job_state_name(j->state),
			                (long long)j->num_nodes, when);
		}
		if ((*out = kft__buf_detach(&b)) == NULL)
			return kft__error_oom();
		return 0;
	} else if (format == KFT_FORMAT_JSON) {
		kft__buf b = KFT__BUF_INIT;
		kft__jw w;

		kft__jw_init(&w, &b);
		kft__jw_open(&w, NULL, 0);
		for (i = 0; i < list->n; i++)
			job_write_json(&w, list->jobs[i]);
		kft__jw_close(&w);
		return jw_finish(out, &b);
	} else {
		cJSON *arr = cJSON_CreateArray();

		KFT_CHECK_ALLOC(arr);
		for (i = 0; i < list->n; i++) {
			cJSON *j = kft__job_to_json(list->jobs[i]);

			if (!j) {
				cJSON_Delete(arr);
				return kft__error_oom();
			}
			cJSON_AddItemToArray(arr, j);
		}
		error = kft__render_doc(out, arr, format);
		cJSON_Delete(arr);
		return error;
	}
}

int kft_event_list_new(kft_event_list_t **out)
{
	KFT_ASSERT_ARG(out);
	KFT_CHECK_ALLOC(*out = kft__calloc(1, sizeof(**out)));
	return 0;
}

int kft_event_list_add(kft_event_list_t *list, int64_t time_ms, const char *kind,
                       const char *object, const char *type, const char *reason,
                       const char *message)
{
	kft__event *e;

	KFT_ASSERT_ARG(list);
	if (kft__grow(&list->ev, &list->cap, list->n + 1, sizeof(*list->ev), 16) < 0)
		return KFT_ENOMEM;
	e = &list->ev[list->n];
	memset(e, 0, sizeof(*e));
	e->time_ms = time_ms;
	e->kind = kft__strdup(kind ? kind : "");
	e->object = kft__strdup(object ? object : "");
	e->type = kft__strdup(type ? type : "Normal");
	e->reason = kft__strdup(reason ? reason : "");
	e->message = kft__strdup(message ? message : "");
	if (!e->kind || !e->object || !e->type || !e->reason || !e->message) {
		free(e->kind); free(e->object); free(e->type); free(e->reason); free(e->message);
		return kft__error_oom();
	}
	list->n++;
	return 0;
}

void kft_event_list_sort(kft_event_list_t *list)
{
	size_t i, j;

	if (!list)
		return;
	/* insertion sort: stable, lists are short and nearly sorted */
	for (i = 1; i < list->n; i++) {
		kft__event tmp = list->ev[i];

		for (j = i; j > 0 && list->ev[j - 1].time_ms > tmp.time_ms; j--)
			list->ev[j] = list->ev[j - 1];
		list->ev[j] = tmp;
	}
}

size_t kft_event_list_count(const kft_event_list_t *l) { return l ? l->n : 0; }

const kft_event_t *kft_event_list_at(const kft_event_list_t *l, size_t i)
{
	return l && i < l->n ? &l->ev[i] : NULL;
}

int64_t kft_event_time_ms(const kft_event_t *e) { return e ? e->time_ms : 0; }
const char *kft_event_kind(const kft_event_t *e) { return e ? e->kind : NULL; }
const char *kft_event_object(const kft_event_t *e) { return e ? e->object : NULL; }
const char *kft_event_type(const kft_event_t *e) { return e ? e->type : NULL; }
const char *kft_event_reason(const kft_event_t *e) { return e ? e->reason : NULL; }
const char *kft_event_message(const kft_event_t *e) { return e ? e->message : NULL; }

void kft_event_list_free(kft_event_list_t *list)
{
	size_t i;

	if (!list)
		return;
	for (i = 0; i < list->n; i++) {
		free(list->ev[i].kind);
		free(list->ev[i].object);
		free(list->ev[i].type);
		free(list->ev[i].reason);
		free(list->ev[i].message);
	}
	free(list->ev);
	free(list);
}
