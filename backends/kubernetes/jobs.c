/*
 * kubernetes: the job view - a kft_job_t from a TrainJob and its pods (JobSet
 * labels), one status algorithm for get, list and watch; and kft_get_job.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "k8s.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- jobs from TrainJob + pods ---- */


const char *kft__k8s_label(const cJSON *obj, const char *key)
{
	return kft__json_str(kft__json_path(obj, "metadata.labels"), key);
}

static const char *annotation(const cJSON *obj, const char *key)
{
	return kft__json_str(kft__json_path(obj, "metadata.annotations"), key);
}

static int pod_info(kft__k8s_podinfo *pi, const cJSON *pod)
{
	const char *rjob = kft__k8s_label(pod, KFT__K8S_LBL_RJOB);
	const char *idx = kft__k8s_label(pod, KFT__K8S_LBL_INDEX);

	memset(pi, 0, sizeof(*pi));
	if (!idx)
		idx = annotation(pod, KFT__K8S_LBL_INDEX);
	pi->pod = pod;
	pi->name = kft__json_str(kft__json_get(pod, "metadata"), "name");
	pi->phase = kft__json_str(kft__json_get(pod, "status"), "phase");
	pi->created = kft__time_rfc3339_ms(kft__json_str(kft__json_get(pod, "metadata"),
	                                             "creationTimestamp"));
	pi->rjob = rjob;
	pi->index = -1;
	if (!rjob || !pi->name)
		return -1;
	if (idx && kft__parse_i64(&pi->index, idx) < 0)
		pi->index = -1;
	if (!strcmp(rjob, "dataset-initializer") || !strcmp(rjob, "model-initializer")) {
		pi->order = rjob[0] == 'd' ? 0 : 1;
		snprintf(pi->step, sizeof(pi->step), "%s", rjob);
	} else if (!strcmp(rjob, "launcher")) {
		pi->order = 2;
		snprintf(pi->step, sizeof(pi->step), "launcher");
	} else if (!strcmp(rjob, "node")) {
		pi->order = 3;
		snprintf(pi->step, sizeof(pi->step), "node-%lld",
		         (long long)(pi->index >= 0 ? pi->index : 0));
	} else {
		pi->order = 4;
		if (pi->index >= 0)
			snprintf(pi->step, sizeof(pi->step), "%s-%lld", rjob, (long long)pi->index);
		else
			snprintf(pi->step, sizeof(pi->step), "%s", rjob);
	}
	return 0;
}

static int podinfo_cmp(const void *a, const void *b)
{
	const kft__k8s_podinfo *x = a, *y = b;
	int c;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	if (x->index != y->index)
		return x->index < y->index ? -1 : 1;
	if ((c = strcmp(x->step, y->step)) != 0)
		return c;
	/* newest first, so dedupe keeps it */
	if (x->created != y->created)
		return x->created > y->created ? -1 : 1;
	return strcmp(y->name, x->name);
}

/* Parse, sort and dedupe pods into steps (newest pod per step). */
int kft__k8s_collect_pods(kft__k8s_podinfo **out, size_t *n, const cJSON *const *pods, size_t npods)
{
	kft__k8s_podinfo *pi = NULL;
	size_t i, m = 0, w = 0;

	*out = NULL;
	*n = 0;
	if (npods == 0)
		return 0;
	KFT_CHECK_ALLOC(pi = kft__calloc(npods, sizeof(*pi)));
	for (i = 0; i < npods; i++)
		if (pod_info(&pi[m], pods[i]) == 0)
			m++;
	qsort(pi, m, sizeof(*pi), podinfo_cmp);
	for (i = 0; i < m; i++)
		if (w == 0 || strcmp(pi[w - 1].step, pi[i].step))
			pi[w++] = pi[i];
	*out = pi;
	*n = w;
	return 0;
}

/* The step's main container name: the initializer's own, else "node". */
const char *kft__k8s_main_container(const kft__k8s_podinfo *pi)
{
	return pi->order <= 1 ? pi->rjob : "node";
}

static const cJSON *container_status(const kft__k8s_podinfo *pi)
{
	const cJSON *arr = kft__json_path(pi->pod, "status.containerStatuses"), *it;

	if ((it = kft__json_find(arr, "name", kft__k8s_main_container(pi))) != NULL)
		return it;
	return cJSON_IsArray(arr) ? cJSON_GetArrayItem(arr, 0) : NULL;
}

static int add_pod_step(kft_job_t *job, const kft__k8s_podinfo *pi)
{
	const cJSON *cs = container_status(pi);
	const cJSON *term = kft__json_path(cs, "state.terminated");
	const cJSON *wait = kft__json_path(cs, "state.waiting");
	const char *reason = NULL, *pod_reason = kft__json_str(kft__json_get(pi->pod, "status"),
	                                                       "reason");
	int state = kft__step_state_of(pi->phase), exit_code = -1, sig = 0;

	if (term) {
		const cJSON *ec = kft__json_get(term, "exitCode"), *sg = kft__json_get(term, "signal");

		exit_code = (int)kft__json_int(ec, INT_MIN, INT_MAX, exit_code);
		sig = (int)kft__json_int(sg, INT_MIN, INT_MAX, sig);
		reason = kft__json_str(term, "reason");
	} else if (state == KFT_STEP_FAILED || state == KFT_STEP_RUNNING) {
		/* a restarting container: the last termination explains it */
		const cJSON *last = kft__json_path(cs, "lastState.terminated");

		if (last && state == KFT_STEP_FAILED) {
			const cJSON *ec = kft__json_get(last, "exitCode");

			exit_code = (int)kft__json_int(ec, INT_MIN, INT_MAX, exit_code);
		}
		if (last)
			reason = kft__json_str(last, "reason");
		if (wait && kft__json_str(wait, "reason"))
			reason = kft__json_str(wait, "reason");
	} else if (wait) {
		reason = kft__json_str(wait, "reason");
		if (kft__streq(reason, "ContainerCreating") || kft__streq(reason, "PodInitializing"))
			reason = NULL;
	}
	if (kft__streq(reason, "Completed"))
		reason = NULL;
	if (state == KFT_STEP_FAILED && pod_reason)
		reason = pod_reason;   /* Evicted, DeadlineExceeded ... */
	if (exit_code >= 0 && state != KFT_STEP_SUCCEEDED && state != KFT_STEP_FAILED)
		exit_code = -1;
	return kft_job_add_step(job, pi->step, state, pi->name, exit_code, sig, reason);
}

static int64_t num_field(const cJSON *obj, const char *path, int64_t dflt)
{
	const cJSON *v = kft__json_path(obj, path);

	if (cJSON_IsNumber(v))
		return kft__json_int(v, INT64_MIN, INT64_MAX, dflt);
	if (cJSON_IsString(v)) {
		int64_t x;

		if (kft__parse_i64(&x, v->valuestring) == 0)
			return x;
	}
	return dflt;
}


static void tjinfo_from_json(kft__k8s_tjinfo *ti, const cJSON *tj)
{
	const cJSON *meta = kft__json_get(tj, "metadata"), *it;

	memset(ti, 0, sizeof(*ti));
	ti->name = kft__json_str(meta, "name");
	ti->ns = kft__json_str(meta, "namespace");
	ti->created = kft__json_str(meta, "creationTimestamp");
	ti->runtime = kft__json_str(kft__json_path(tj, "spec.runtimeRef"), "name");
	ti->labels = kft__json_get(meta, "labels");
	ti->num_nodes = num_field(tj, "spec.trainer.numNodes", -1);
	cJSON_ArrayForEach(it, kft__json_path(tj, "status.conditions")) {
		kft__k8s_tjcond *c;

		if (ti->ncond == KFT__K8S_TJ_MAX_CONDITIONS)
			break;
		c = &ti->cond[ti->ncond++];
		c->type = kft__json_str(it, "type");
		c->status = kft__json_str(it, "status");
		c->reason = kft__json_str(it, "reason");
		c->message = kft__json_str(it, "message");
		c->time = kft__json_str(it, "lastTransitionTime");
	}
	ti->trainer_status = kft__json_path(tj, "status.trainerStatus");
}

const kft__k8s_tjcond *kft__k8s_condition(const kft__k8s_tjinfo *ti, const char *type)
{
	size_t i;

	for (i = 0; i < ti->ncond; i++)
		if (kft__streq(ti->cond[i].type, type) && kft__streq(ti->cond[i].status, "True"))
			return &ti->cond[i];
	return NULL;
}

/* metadata.labels onto the job, from the parsed object or the streamed text. */
static int set_labels(kft_job_t *job, const kft__k8s_tjinfo *ti)
{
	cJSON *parsed = NULL;
	const cJSON *l = ti->labels, *it;
	int error = 0;

	if (!l && ti->labels_json)
		l = parsed = cJSON_ParseWithLength(ti->labels_json, ti->labels_len);
	if (!cJSON_IsObject(l))
		l = NULL;
	cJSON_ArrayForEach(it, l)
		if (!error && it->string && *it->string && cJSON_IsString(it))
			error = kft_job_set_label(job, it->string, it->valuestring);
	cJSON_Delete(parsed);
	return error;
}

int kft__k8s_build_job_info(kft_job_t **out, const kft__k8s_tjinfo *ti, const cJSON *const *pods,
                          size_t npods)
{
	const kft__k8s_tjcond *c;
	const cJSON *ts = ti->trainer_status, *it;
	kft_job_t *job = NULL;
	kft__k8s_podinfo *pi = NULL;
	size_t npi = 0, i, trainer_pods = 0, trainer_ok = 0;
	int64_t want_nodes = ti->num_nodes, started = 0, finished = 0;
	int64_t node_steps = 0;
	int error;

	*out = NULL;
	if (!ti->name)
		return kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_PARSE,
		                      "the API server sent a TrainJob without metadata.name");
	if ((error = kft_job_new(&job, ti->name, "kubernetes")) < 0 ||
	    (error = kft_job_set_namespace(job, ti->ns)) < 0 ||
	    (error = kft_job_set_runtime(job, ti->runtime)) < 0 ||
	    (error = set_labels(job, ti)) < 0 ||
	    (error = kft__k8s_collect_pods(&pi, &npi, pods, npods)) < 0)
		goto out;
	for (i = 0; i < npi; i++) {
		int64_t st = kft__time_rfc3339_ms(kft__json_str(kft__json_get(pi[i].pod, "status"),
		                                            "startTime"));

		if ((error = add_pod_step(job, &pi[i])) < 0)
			goto out;
		if (pi[i].order == 2 || pi[i].order == 3) {
			trainer_pods++;
			if (kft__streq(pi[i].phase, "Running") || kft__streq(pi[i].phase, "Succeeded"))
				trainer_ok++;
			if (st && (!started || st < started))
				started = st;
		}
		node_steps += pi[i].order == 3;
	}
	if ((c = kft__k8s_condition(ti, "Complete")) != NULL) {
		error = kft_job_set_state(job, KFT_JOB_COMPLETE, c->reason, c->message);
		finished = kft__time_rfc3339_ms(c->time);
	} else if ((c = kft__k8s_condition(ti, "Failed")) != NULL) {
		error = kft_job_set_state(job, KFT_JOB_FAILED, c->reason, c->message);
		finished = kft__time_rfc3339_ms(c->time);
	} else if ((c = kft__k8s_condition(ti, "Suspended")) != NULL) {
		error = kft_job_set_state(job, KFT_JOB_SUSPENDED, c->reason, c->message);
	} else {
		/* any other condition (Suspended=False/Resumed ...) does not freeze the status */
		int running = trainer_pods > 0 && trainer_ok == trainer_pods &&
		              (want_nodes < 0 || (int64_t)trainer_pods >= want_nodes);

		error = kft_job_set_state(job, running ? KFT_JOB_RUNNING : KFT_JOB_CREATED, NULL, NULL);
	}
	if (error < 0)
		goto out;
	if ((error = kft_job_set_num_nodes(job, want_nodes >= 0 ? want_nodes : node_steps)) < 0 ||
	    (error = kft_job_set_times(job, kft__time_rfc3339_ms(ti->created), started,
	                               finished)) < 0)
		goto out;
	if (ts) {
		if ((error = kft_job_set_progress(job, num_field(ts, "progressPercentage", -1),
		                                  num_field(ts, "estimatedRemainingSeconds", -1))) < 0 ||
		    (error = kft__job_set_progress_time(job, kft__time_rfc3339_ms(
		             kft__json_str(ts, "lastUpdatedTime")))) < 0)
			goto out;
		cJSON_ArrayForEach(it, kft__json_get(ts, "metrics")) {
			const char *mn = kft__json_str(it, "name"), *mv = kft__json_str(it, "value");
			char num[64];

			if (!mv && cJSON_IsNumber(kft__json_get(it, "value"))) {
				snprintf(num, sizeof(num), "%g", kft__json_get(it, "value")->valuedouble);
				mv = num;
			}
			if (mn && mv && (error = kft_job_add_metric(job, mn, mv)) < 0)
				goto out;
		}
	}
	*out = job;
	job = NULL;
out:
	free(pi);
	kft_job_free(job);
	return error;
}

int kft__k8s_build_job(kft_job_t **out, const cJSON *tj, const cJSON *const *pods, size_t npods)
{
	kft__k8s_tjinfo ti;

	tjinfo_from_json(&ti, tj);
	return kft__k8s_build_job_info(out, &ti, pods, npods);
}

const cJSON **kft__k8s_items(const cJSON *list, size_t *n)
{
	const cJSON *it, *items = kft__json_get(list, "items");
	const cJSON **arr;
	size_t i = 0, cnt = (size_t)cJSON_GetArraySize(items);

	*n = 0;
	if (!cJSON_IsArray(items) || cnt == 0)
		return kft__calloc(1, sizeof(*arr));
	if ((arr = kft__calloc(cnt, sizeof(*arr))) == NULL)
		return NULL;
	cJSON_ArrayForEach(it, items)
		arr[i++] = it;
	*n = i;
	return arr;
}

/* GET the TrainJob and LIST its pods; the documents stay with the caller. */
static int fetch(cJSON **tj, cJSON **pods, kft__k8s *k, const char *name)
{
	kft__buf q = KFT__BUF_INIT;
	char *path, *sel = NULL;
	int error;

	*tj = *pods = NULL;
	KFT_CHECK_ALLOC(path = kft__k8s_ns_path(k, KFT__K8S_API_TRAINER, k->cfg.ns, "trainjobs", name, NULL));
	error = kft__k8s_get_json(tj, NULL, k, path, "get TrainJob");
	free(path);
	if (error < 0)
		return error;
	if ((path = kft__k8s_ns_path(k, "/api/v1", k->cfg.ns, "pods", NULL, NULL)) == NULL ||
	    kft__buf_puts(&q, path) < 0 ||
	    (sel = kft__strdup(KFT__K8S_LBL_JOBSET)) == NULL) {
		error = kft__error_oom();
		goto out;
	}
	{
		kft__buf s = KFT__BUF_INIT;

		kft__buf_printf(&s, KFT__K8S_LBL_JOBSET "=%s", name);
		kft__k8s_add_query(&q, k, "labelSelector", s.ptr ? s.ptr : "");
		kft__buf_free(&s);
	}
	if (q.oom) {
		error = kft__error_oom();
		goto out;
	}
	error = kft__k8s_get_json(pods, NULL, k, q.ptr, "list pods");
out:
	free(sel);
	free(path);
	kft__buf_free(&q);
	if (error < 0) {
		cJSON_Delete(*tj);
		cJSON_Delete(*pods);
		*tj = *pods = NULL;
	}
	return error;
}

int kft__k8s_get_job_docs(kft_job_t **out, cJSON **tj_out, cJSON **pods_out, kft__k8s *k,
                        const char *name)
{
	cJSON *tj, *pods;
	const cJSON **arr;
	size_t n;
	int error;

	*out = NULL;
	if ((error = fetch(&tj, &pods, k, name)) < 0)
		return error;
	if ((arr = kft__k8s_items(pods, &n)) == NULL) {
		error = kft__error_oom();
	} else {
		error = kft__k8s_build_job(out, tj, arr, n);
		free((void *)arr);
	}
	if (error == 0 && tj_out) {
		*tj_out = tj;
		tj = NULL;
	}
	if (error == 0 && pods_out) {
		*pods_out = pods;
		pods = NULL;
	}
	cJSON_Delete(tj);
	cJSON_Delete(pods);
	return error;
}

int kft__k8s_get_job(kft_job_t **out, kft_backend_t *be, const char *name)
{
	return kft__k8s_get_job_docs(out, NULL, NULL, kft__k8s_be(be), name);
}

int kft__k8s_get_manifest(char **out, kft_backend_t *be, const char *name, int what)
{
	kft_job_t *job = NULL;
	cJSON *tj = NULL;
	char *text;
	int error;

	*out = NULL;
	if (what != KFT_MANIFEST_TRAINJOB)
		return kft__error_set(KFT_ENOTSUPPORTED, KFT_ERROR_CLASS_INVALID,
		                      "the kubernetes backend has no plan: Trainer's controller turns "
		                      "the TrainJob into a JobSet");
	if ((error = kft__k8s_get_job_docs(&job, &tj, NULL, kft__k8s_be(be), name)) < 0)
		return error;
	kft_job_free(job);
	cJSON_DeleteItemFromObject(cJSON_GetObjectItem(tj, "metadata"), "managedFields");
	text = cJSON_PrintUnformatted(tj);
	cJSON_Delete(tj);
	KFT_CHECK_ALLOC(text);
	*out = kft__strdup(text);
	cJSON_free(text);
	KFT_CHECK_ALLOC(*out);
	return 0;
}
