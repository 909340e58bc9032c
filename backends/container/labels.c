/*
 * A container job rebuilt from its containers, for when its state dir was
 * lost (or belongs to another host or user): the containers' labels and
 * inspect data become step records, and the job's status comes from the job
 * runner's one status algorithm (backends/runner/status.h), exactly as the
 * supervisor decides it. Reading changes nothing: no container is stopped
 * here (a job's steps die with its supervisor: container.h).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "container.h"
#include "../runner/status.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kft__cjob_clear(cjob *j)
{
	size_t i;

	for (i = 0; i < j->n; i++) {
		free(j->s[i].step);
		free(j->s[i].id);
		free(j->s[i].cname);
		free(j->s[i].role);
		cJSON_Delete(j->s[i].insp);
	}
	free(j->s);
	free(j->name);
	cJSON_Delete(j->labels);
	memset(j, 0, sizeof(*j));
}

const char *kft__cjob_label(const cjob *j, const char *key)
{
	return kft__json_str(j->labels, key);
}

static int cstep_fill(cstep *s)
{
	const cJSON *st = kft__json_get(s->insp, "State"), *ec = kft__json_get(st, "ExitCode");

	s->status = kft__json_str(st, "Status");
	if (!s->status)
		s->status = "unknown";
	s->exit_code = (int)kft__json_int(ec, INT_MIN, INT_MAX, -1);
	s->oom = cJSON_IsTrue(kft__json_get(st, "OOMKilled"));
	s->started = kft__time_rfc3339_ms(kft__json_str(st, "StartedAt"));
	s->finished = kft__time_rfc3339_ms(kft__json_str(st, "FinishedAt"));
	if (s->finished && s->finished < s->started)   /* docker stamps fast exits that way */
		s->finished = s->started;
	return 0;
}

/* Load one job's containers (from a container list filtered to it). */
int kft__cjob_load(cjob *j, kft__engine *e, const char *name, const cJSON *list)
{
	const cJSON *c;
	int error;

	memset(j, 0, sizeof(*j));
	if ((j->name = kft__strdup(name)) == NULL)
		return kft__error_oom();
	cJSON_ArrayForEach(c, list) {
		const cJSON *labels = kft__json_get(c, "Labels");
		const char *id = kft__json_str(c, "Id"), *step = kft__json_str(labels, L_STEP);
		const cJSON *names = kft__json_get(c, "Names");
		const char *cname = cJSON_IsArray(names) && cJSON_IsString(cJSON_GetArrayItem(names, 0))
		                    ? cJSON_GetArrayItem(names, 0)->valuestring : NULL;
		cstep *s, *grown;

		if (!id || !step || !kft__streq(kft__json_str(labels, L_JOB), name))
			continue;
		if (!(grown = kft__realloc(j->s, (j->n + 1) * sizeof(*grown))))
			return kft__error_oom();
		j->s = grown;
		s = &j->s[j->n];
		memset(s, 0, sizeof(*s));
		j->n++;
		if (cname && *cname == '/')
			cname++;
		s->step = kft__strdup(step);
		s->id = kft__strdup(id);
		s->cname = kft__strdup(cname ? cname : id);
		s->role = kft__strdup(kft__json_str(labels, L_ROLE) ? kft__json_str(labels, L_ROLE)
		                                                     : "node");
		if (!s->step || !s->id || !s->cname || !s->role)
			return kft__error_oom();
		if (!j->labels && !(j->labels = cJSON_Duplicate(labels, 1)))
			return kft__error_oom();
		if (e) {
			error = kft__engine_container_inspect(&s->insp, e, id);
		} else {   /* tests: the inspect answer rides along in the list entry */
			const cJSON *insp = kft__json_get(c, "Inspect");

			error = insp ? ((s->insp = cJSON_Duplicate(insp, 1)) ? 0 : kft__error_oom())
			             : kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_CONTAINER, "gone");
		}
		if (error == KFT_ENOTFOUND) {   /* removed meanwhile */
			s->insp = NULL;
			s->status = "removed";
			s->exit_code = -1;
			kft_error_clear();
			continue;
		}
		if (error < 0)
			return error;
		cstep_fill(s);
	}
	return 0;
}

static cstep *find_step(cjob *j, const char *step)
{
	size_t i;

	for (i = 0; i < j->n; i++)
		if (!strcmp(j->s[i].step, step))
			return &j->s[i];
	return NULL;
}

static int is_active(const cstep *s)
{
	return !strcmp(s->status, "running") || !strcmp(s->status, "restarting") ||
	       !strcmp(s->status, "paused");
}

static int is_exited(const cstep *s)
{
	return !strcmp(s->status, "exited") || !strcmp(s->status, "dead") ||
	       !strcmp(s->status, "stopped");
}

static int step_failed(const cstep *s)
{
	return (is_exited(s) && (s->exit_code != 0 || s->oom)) || !strcmp(s->status, "removed");
}

/* Stop every still-running step (grace_ms), all at once: SIGTERM first, then stop each. */
void kft__cjob_stop(kft__engine *e, cjob *j, int64_t grace_ms)
{
	int64_t deadline = kft__mono_ms() + grace_ms;
	size_t i;

	for (i = 0; i < j->n; i++) {
		kft__buf p = KFT__BUF_INIT;

		if (!is_active(&j->s[i]))
			continue;
		kft__buf_printf(&p, "/containers/%s/kill?signal=SIGTERM", j->s[i].id);
		if (!p.oom)
			kft__engine_call(NULL, e, "POST", p.ptr, NULL, 0);
		kft__buf_free(&p);
	}
	for (i = 0; i < j->n; i++) {
		int64_t left = deadline - kft__mono_ms();

		if (!is_active(&j->s[i]))
			continue;
		kft__engine_container_stop(e, j->s[i].id, left > 0 ? (int)((left + 999) / 1000) : 0);
	}
	kft_error_clear();
}

static int step_state(const cstep *s)
{
	if (!s)
		return KFT_STEP_PENDING;
	if (is_active(s))
		return KFT_STEP_RUNNING;
	if (step_failed(s))
		return KFT_STEP_FAILED;
	if (is_exited(s))
		return KFT_STEP_SUCCEEDED;
	return KFT_STEP_PENDING;
}

/* One container as a step record for the status algorithm; what[] holds its "what". */
static void run_step(kft__run_step *r, char *what, size_t size, const cstep *s)
{
	memset(r, 0, sizeof(*r));
	r->name = s->step;
	r->role = s->role;
	r->state = step_state(s);
	r->finished_ms = s->finished;
	if (s->oom) {
		r->reason = "OOMKilled";
		snprintf(what, size, "(container %s) was OOM-killed (exit code %d)", s->cname,
		         s->exit_code);
	} else if (!strcmp(s->status, "removed")) {
		r->reason = "ContainerRemoved";
		snprintf(what, size, "(container %s) was removed", s->cname);
	} else {
		snprintf(what, size, "(container %s) exited with code %d", s->cname, s->exit_code);
	}
	r->what = what;
}

/* The planned steps (label kftrainer.dev/steps, in plan order), each as a record; then
 * the containers of steps the label does not name. */
typedef struct {
	kft__run_step *r;
	const cstep **c;          /* its container, NULL when not created */
	char (*what)[256];
	char (*name)[128];
	size_t n;
} planned;

static void planned_free(planned *p)
{
	free(p->r);
	free(p->c);
	free(p->what);
	free(p->name);
}

static int planned_load(planned *p, cjob *j)
{
	const char *steps = kft__cjob_label(j, L_STEPS), *c;
	size_t cap = 1 + j->n, k;

	memset(p, 0, sizeof(*p));
	for (c = steps; c && *c; c++)
		cap += *c == ',';
	if (!(p->r = kft__calloc(cap, sizeof(*p->r))) || !(p->c = kft__calloc(cap, sizeof(*p->c))) ||
	    !(p->what = kft__calloc(cap, sizeof(*p->what))) ||
	    !(p->name = kft__calloc(cap, sizeof(*p->name))))
		return kft__error_oom();
	while (steps && *steps && p->n < cap) {
		const char *comma = strchr(steps, ',');
		size_t i = p->n++;

		snprintf(p->name[i], sizeof(p->name[i]), "%.*s",
		         (int)(comma ? comma - steps : (long)strlen(steps)), steps);
		steps = comma ? comma + 1 : NULL;
		p->c[i] = find_step(j, p->name[i]);
		if (p->c[i]) {
			run_step(&p->r[i], p->what[i], sizeof(p->what[i]), p->c[i]);
		} else {
			p->r[i].name = p->name[i];
			p->r[i].state = KFT_STEP_PENDING;
		}
	}
	/* a container of a step the label does not plan counts too (its own record) */
	for (k = 0; k < j->n && p->n < cap; k++) {
		size_t i;

		for (i = 0; i < p->n && p->c[i] != &j->s[k]; i++)
			;
		if (i < p->n)
			continue;
		i = p->n++;
		snprintf(p->name[i], sizeof(p->name[i]), "%s", j->s[k].step);
		p->c[i] = &j->s[k];
		run_step(&p->r[i], p->what[i], sizeof(p->what[i]), p->c[i]);
	}
	return 0;
}

static int build_job(kft_job_t **out, cjob *j)
{
	kft_job_t *job = NULL;
	kft__run_verdict v;
	kft__run_input in;
	planned p;
	int64_t nodes = 0, created = 0, started = 0, finished = 0, deadline_s = 0;
	size_t i;
	int error;

	*out = NULL;
	if ((error = planned_load(&p, j)) < 0)
		goto fail;
	kft__parse_i64(&nodes, kft__cjob_label(j, L_NODES));
	kft__parse_i64(&created, kft__cjob_label(j, L_CREATED));
	kft__parse_i64(&deadline_s, kft__cjob_label(j, L_DEADLINE));
	memset(&in, 0, sizeof(in));
	in.steps = p.r;
	in.n = p.n;
	in.now_ms = kft__now_ms();
	in.deadline_ms = created > 0 && deadline_s > 0 ? created + deadline_s * 1000 : 0;
	in.suspended = cJSON_IsString(kft__json_get(j->labels, L_SUSPENDED));
	kft__run_status(&v, &in);
	if ((error = kft_job_new(&job, j->name, "container")) < 0)
		goto fail;
	for (i = 0; i < j->n; i++) {
		if (j->s[i].started && (!started || j->s[i].started < started))
			started = j->s[i].started;
		if (j->s[i].finished > finished)
			finished = j->s[i].finished;
	}
	if (v.state != KFT_JOB_COMPLETE && v.state != KFT_JOB_FAILED)
		finished = 0;
	if ((error = kft_job_set_runtime(job, kft__cjob_label(j, L_RUNTIME))) < 0 ||
	    (error = kft_job_set_state(job, v.state, v.reason[0] ? v.reason : NULL,
	                               v.message[0] ? v.message : NULL)) < 0 ||
	    (error = kft_job_set_num_nodes(job, nodes)) < 0 ||
	    (error = kft_job_set_times(job, created, started, finished)) < 0)
		goto fail;
	/* steps in plan order; planned steps without a container are Pending */
	for (i = 0; i < p.n; i++) {
		const cstep *s = p.c[i];

		if (s) {
			int sig = s->exit_code > 128 && s->exit_code < 160 ? s->exit_code - 128 : 0;
			const char *reason = NULL;

			if (s->oom)
				reason = "OOMKilled";
			else if (step_failed(s))
				reason = strcmp(s->status, "removed") ? "Error" : "ContainerRemoved";
			else if (is_exited(s))
				reason = "Completed";
			error = kft_job_add_step(job, p.name[i], step_state(s), s->cname,
			                         is_exited(s) ? s->exit_code : -1,
			                         is_exited(s) ? sig : 0, reason);
		} else {
			char target[256];

			snprintf(target, sizeof(target), "%s-%s", j->name, p.name[i]);
			error = kft_job_add_step(job, p.name[i], KFT_STEP_PENDING, target, -1, 0,
			                         "NotCreated");
		}
		if (error < 0)
			goto fail;
	}
	planned_free(&p);
	*out = job;
	return 0;
fail:
	planned_free(&p);
	kft_job_free(job);
	return error;
}

int kft__cjob_find(cjob *j, cJSON **list, kft__engine *e, const char *name)
{
	kft__buf lab = KFT__BUF_INIT;
	int error;

	memset(j, 0, sizeof(*j));
	*list = NULL;
	kft__buf_printf(&lab, "%s=%s", L_JOB, name);
	if (lab.oom)
		return kft__error_oom();
	if ((error = kft__engine_container_list(list, e, lab.ptr)) == 0)
		error = kft__cjob_load(j, e, name, *list);
	kft__buf_free(&lab);
	return error;
}

int kft__container_observe(kft_job_t **out, cbackend *b, const char *name, int *found)
{
	kft__engine *e;
	cJSON *list = NULL;
	cjob j;
	int error;

	*out = NULL;
	*found = 0;
	memset(&j, 0, sizeof(j));
	if ((error = kft__container_engine(&e, b)) < 0)
		return error;
	if ((error = kft__cjob_find(&j, &list, e, name)) == 0 && j.n > 0) {
		*found = 1;
		error = build_job(out, &j);
	}
	kft__cjob_clear(&j);
	cJSON_Delete(list);
	return error;
}

int kft__container_observe_json(kft_job_t **out, const char *name, const cJSON *list)
{
	cjob j;
	int error;

	*out = NULL;
	if ((error = kft__cjob_load(&j, NULL, name, list)) == 0 && j.n > 0)
		error = build_job(out, &j);
	kft__cjob_clear(&j);
	return error;
}

int kft__container_labels_get_job(kft_job_t **out, kft_backend_t *be, const char *name)
{
	cbackend *b = (cbackend *)be;
	int found, error;

	if ((error = kft__container_observe(out, b, name, &found)) < 0)
		return error;
	if (!found)
		return kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_CONTAINER,
		                      "TrainJob %s not found in the %s engine at %s", name,
		                      kft__engine_name(b->eng), kft__engine_socket(b->eng));
	return 0;
}

/* ---- events (from container timestamps) ---- */

int kft__container_labels_get_events(kft_event_list_t **out, kft_backend_t *be,
                                     const char *name)
{
	cbackend *b = (cbackend *)be;
	kft_job_t *job = NULL;
	kft_event_list_t *ev = NULL;
	cJSON *list = NULL;
	cjob j;
	size_t i;
	int error;

	*out = NULL;
	memset(&j, 0, sizeof(j));
	if ((error = kft__container_labels_get_job(&job, be, name)) < 0)
		return error;
	if ((error = kft_event_list_new(&ev)) < 0 || (error = kft__cjob_find(&j, &list, b->eng, name)) < 0)
		goto out;
	error = kft_event_list_add(ev, kft_job_created_ms(job), "TrainJob", name, "Normal",
	                           "Created", "containers created");
	for (i = 0; !error && i < j.n; i++) {
		cstep *s = &j.s[i];
		char msg[256];

		if (s->started)
			error = kft_event_list_add(ev, s->started, "Container", s->cname, "Normal",
			                           "Started", "step started");
		if (!error && is_exited(s) && s->finished) {
			snprintf(msg, sizeof(msg), "step %s exited with code %d%s", s->step, s->exit_code,
			         s->oom ? " (OOM-killed)" : "");
			error = kft_event_list_add(ev, s->finished, "Container", s->cname,
			                           step_failed(s) ? "Warning" : "Normal",
			                           s->oom ? "OOMKilled" : step_failed(s) ? "Failed"
			                                                                 : "Completed",
			                           msg);
		}
	}
	if (!error && (kft_job_state(job) == KFT_JOB_FAILED ||
	               kft_job_state(job) == KFT_JOB_COMPLETE))
		error = kft_event_list_add(ev, kft_job_finished_ms(job), "TrainJob", name,
		                           kft_job_state(job) == KFT_JOB_FAILED ? "Warning" : "Normal",
		                           kft_job_reason(job) ? kft_job_reason(job)
		                                               : kft_job_status(job),
		                           kft_job_message(job) ? kft_job_message(job)
		                                                : kft_job_status(job));
	if (error < 0)
		goto out;
	kft_event_list_sort(ev);
	*out = ev;
	ev = NULL;
out:
	kft_event_list_free(ev);
	kft_job_free(job);
	kft__cjob_clear(&j);
	cJSON_Delete(list);
	return error;
}

/* ---- suspend/resume ---- */

int kft__container_labels_resume(kft_backend_t *be, const char *name, int suspend)
{
	cbackend *b = (cbackend *)be;
	cJSON *list = NULL;
	cjob j;
	size_t i;
	int error;

	memset(&j, 0, sizeof(j));
	if (suspend)
		return kft__error_set(KFT_ENOTSUPPORTED, KFT_ERROR_CLASS_CONTAINER,
		                      "the container backend cannot suspend a started job "
		                      "(submit it suspended with spec.suspend, then resume it)");
	if ((error = kft__container_engine(&b->eng, b)) < 0)
		return error;
	if ((error = kft__cjob_find(&j, &list, b->eng, name)) < 0)
		goto out;
	if (j.n == 0) {
		error = kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_CONTAINER,
		                       "TrainJob %s not found", name);
		goto out;
	}
	/* initializers first, waited; then the rest */
	for (i = 0; i < j.n; i++) {
		int code;

		if (strcmp(j.s[i].role, "initializer") || strcmp(j.s[i].status, "created"))
			continue;
		if ((error = kft__engine_container_start(b->eng, j.s[i].id)) < 0 ||
		    (error = kft__engine_container_wait(&code, b->eng, j.s[i].id)) < 0)
			goto out;
		if (code != 0)
			goto out;
	}
	for (i = 0; i < j.n; i++)
		if (strcmp(j.s[i].role, "initializer") != 0 && !strcmp(j.s[i].status, "created") &&
		    (error = kft__engine_container_start(b->eng, j.s[i].id)) < 0)
			goto out;
out:
	kft__cjob_clear(&j);
	cJSON_Delete(list);
	return error;
}

