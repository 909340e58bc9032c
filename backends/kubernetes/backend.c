/*
 * The kubernetes backend: TrainJobs on a cluster running Kubeflow Trainer,
 * over the REST API (http.c), configured from kubeconfig (kubeconfig.c).
 * Status is computed from the TrainJob's conditions and its pods (JobSet
 * labels) - never from a live runtime lookup, so jobs stay readable after
 * their runtime is deleted.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "k8s.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>

#define API_TRAINER "/apis/trainer.kubeflow.org/v1alpha1"
#define LBL_JOBSET "jobset.sigs.k8s.io/jobset-name"
#define LBL_RJOB "jobset.sigs.k8s.io/replicatedjob-name"
#define LBL_INDEX "batch.kubernetes.io/job-completion-index"
#define LBL_JOBINDEX "jobset.sigs.k8s.io/job-index"
#define RJOB_SET "dataset-initializer,model-initializer,launcher,node"

typedef struct {
	kft_backend_t be;
	kft__k8s k;
} k8s_backend;

static kft__k8s *K(kft_backend_t *be)
{
	return &((k8s_backend *)be)->k;
}

/* ---- paths ---- */

static char *esc(kft__k8s *k, const char *s)
{
	return kft__k8s_escape(k, s ? s : "");
}

/* "/apis/trainer.kubeflow.org/v1alpha1/namespaces/<ns>/<plural>[/<name>]" */
static char *ns_path(kft__k8s *k, const char *prefix, const char *ns, const char *plural,
                     const char *name, const char *sub)
{
	char *ens = esc(k, ns), *en = name ? esc(k, name) : NULL;
	kft__buf b = KFT__BUF_INIT;

	if (!ens || (name && !en)) {
		free(ens);
		free(en);
		return NULL;
	}
	kft__buf_printf(&b, "%s/namespaces/%s/%s", prefix, ens, plural);
	if (en)
		kft__buf_printf(&b, "/%s", en);
	if (sub)
		kft__buf_printf(&b, "/%s", sub);
	free(ens);
	free(en);
	if (b.oom) {
		kft__buf_free(&b);
		return NULL;
	}
	return kft__buf_detach(&b);
}

/* Append "&key=<escaped value>" (or "?" for the first one). */
static void add_q(kft__buf *b, kft__k8s *k, const char *key, const char *value)
{
	char *e = esc(k, value);

	if (!e) {
		b->oom = 1;
		return;
	}
	kft__buf_printf(b, "%s%s=%s", strchr(b->ptr ? b->ptr : "", '?') ? "&" : "?", key, e);
	free(e);
}

static int get_json(cJSON **out, long *status, kft__k8s *k, const char *path, const char *what)
{
	kft__k8s_req r = { "GET", path, NULL, NULL, 1, what };

	return kft__k8s_request_json(out, status, k, &r);
}

/* ---- Trainer version ---- */

/* minor version of Trainer for rendering: 0, 1, or 2 for "v2.2 and later" */
static int trainer_minor(const char *v)
{
	int major = 0, minor = 0;

	if (!v || !*v)
		return 1;   /* no ConfigMap: <= v2.1 */
	if (!strcmp(v, "dev") || !strcmp(v, "latest") || !strcmp(v, "master"))
		return 2;
	if (sscanf(v[0] == 'v' ? v + 1 : v, "%d.%d", &major, &minor) < 1)
		return 2;
	if (major > 2)
		return 2;
	if (major < 2)
		return 0;
	return minor >= 2 ? 2 : minor;
}

static int trainer_version(const char **out, kft__k8s *k)
{
	const char *sysns = getenv("KUBEFLOW_SYSTEM_NAMESPACE");
	cJSON *cm = NULL;
	long status = 0;
	char *path;
	int error;

	if (k->version_known) {
		*out = k->trainer_version;
		return 0;
	}
	if (!sysns || !*sysns)
		sysns = "kubeflow-system";
	KFT_CHECK_ALLOC(path = ns_path(k, "/api/v1", sysns, "configmaps",
	                               "kubeflow-trainer-public", NULL));
	error = get_json(&cm, &status, k, path, "get the Trainer version");
	free(path);
	if (error < 0 && (status == 404 || status == 403)) {
		kft__log(KFT_DIAG_DEBUG, "ConfigMap %s/kubeflow-trainer-public is not readable (HTTP %ld): "
		         "assuming Kubeflow Trainer v2.1 or older", sysns, status);
		kft_error_clear();
		error = 0;
	} else if (error < 0) {
		return error;
	}
	{
		const char *v = kft__json_str(kft__json_get(cm, "data"), "kubeflow_trainer_version");

		if (cm && !v)
			kft__log(KFT_DIAG_DEBUG, "ConfigMap kubeflow-trainer-public has no "
			         "kubeflow_trainer_version: assuming Kubeflow Trainer v2.1 or older");
		else if (v)
			kft__log(KFT_DIAG_DEBUG, "cluster runs Kubeflow Trainer %s", v);
		k->trainer_version = kft__strdup(v ? v : "");
	}
	cJSON_Delete(cm);
	KFT_CHECK_ALLOC(k->trainer_version);
	k->version_known = 1;
	*out = k->trainer_version;
	return 0;
}

/* ---- runtimes ---- */

static int runtime_from(kft_runtime_t **out, const cJSON *item, const char *kind)
{
	cJSON *doc = cJSON_Duplicate(item, 1);
	int error;

	*out = NULL;
	KFT_CHECK_ALLOC(doc);
	if (!kft__json_get(doc, "kind"))
		kft__json_set_str(doc, "kind", kind);
	if (!kft__json_get(doc, "apiVersion"))
		kft__json_set_str(doc, "apiVersion", "trainer.kubeflow.org/v1alpha1");
	if ((error = kft__runtime_from_json(out, doc)) < 0)
		return error;
	if ((error = kft_runtime_set_source(*out, "cluster")) < 0) {
		kft_runtime_free(*out);
		*out = NULL;
	}
	return error;
}

static int get_one_runtime(kft_runtime_t **out, long *status, kft__k8s *k, const char *name,
                           int cluster)
{
	cJSON *doc = NULL;
	char *path;
	int error;
	kft__buf b = KFT__BUF_INIT;

	if (cluster) {
		char *en = esc(k, name);

		kft__buf_printf(&b, API_TRAINER "/clustertrainingruntimes/%s", en ? en : "");
		free(en);
		if (b.oom || !en) {
			kft__buf_free(&b);
			return kft__error_oom();
		}
		path = kft__buf_detach(&b);
	} else {
		KFT_CHECK_ALLOC(path = ns_path(k, API_TRAINER, k->cfg.ns, "trainingruntimes", name, NULL));
	}
	error = get_json(&doc, status, k, path, "get runtime");
	free(path);
	if (error < 0)
		return error;
	error = runtime_from(out, doc, cluster ? "ClusterTrainingRuntime" : "TrainingRuntime");
	cJSON_Delete(doc);
	return error;
}

static int be_get_runtime(kft_runtime_t **out, kft_backend_t *be, const char *name)
{
	kft__k8s *k = K(be);
	long status = 0;
	int error;

	error = get_one_runtime(out, &status, k, name, 0);
	if (error != KFT_ENOTFOUND || status != 404)
		return error;
	error = get_one_runtime(out, &status, k, name, 1);
	if (error == KFT_ENOTFOUND && status == 404)
		return kft__error_set_status(KFT_ENOTFOUND, 404, "NotFound", "");
	return error;
}

static int runtime_get_for_error(kft_runtime_t **out, kft_backend_t *be, const char *name)
{
	int error = be_get_runtime(out, be, name);

	if (error == KFT_ENOTFOUND && kft_error_last()->http_status == 404) {
		char msg[512];

		snprintf(msg, sizeof(msg), "runtime \"%s\" not found (checked TrainingRuntime in "
		         "namespace %s and ClusterTrainingRuntime)", name, K(be)->cfg.ns);
		kft__error_set_status(KFT_ENOTFOUND, 404, "NotFound", msg);
	}
	return error;
}

static int list_items(cJSON **out, kft__k8s *k, const char *path, const char *what, long *status)
{
	return get_json(out, status, k, path, what);
}

static int list_has(const kft_runtime_list_t *l, const char *name)
{
	size_t i;

	for (i = 0; i < kft_runtime_list_count(l); i++)
		if (kft__streq(kft_runtime_name(kft_runtime_list_at(l, i)), name))
			return 1;
	return 0;
}

static int add_runtimes(kft_runtime_list_t *list, const cJSON *doc, const char *kind, int skip_dups)
{
	const cJSON *it;
	int error;

	cJSON_ArrayForEach(it, kft__json_get(doc, "items")) {
		kft_runtime_t *rt;
		const char *name = kft__json_str(kft__json_get(it, "metadata"), "name");

		if (skip_dups && list_has(list, name))
			continue;   /* a namespaced runtime of that name wins */
		if (runtime_from(&rt, it, kind) < 0) {
			kft__log(KFT_DIAG_WARN, "skipping %s %s: %s", kind, name ? name : "(unnamed)",
			         kft_error_last()->message);
			kft_error_clear();
			continue;
		}
		if ((error = kft_runtime_list_add(list, rt)) < 0)
			return error;
	}
	return 0;
}

static int be_list_runtimes(kft_runtime_list_t **out, kft_backend_t *be)
{
	kft__k8s *k = K(be);
	kft_runtime_list_t *list = NULL;
	cJSON *nsd = NULL, *cl = NULL;
	long status = 0;
	char *path;
	int error;

	KFT_CHECK_ALLOC(path = ns_path(k, API_TRAINER, k->cfg.ns, "trainingruntimes", NULL, NULL));
	error = list_items(&nsd, k, path, "list TrainingRuntimes", &status);
	free(path);
	if (error < 0 && status == 404) {   /* tolerated, as the Python SDK does */
		kft_error_clear();
		error = 0;
	}
	if (error < 0)
		goto out;
	if ((error = list_items(&cl, k, API_TRAINER "/clustertrainingruntimes",
	                        "list ClusterTrainingRuntimes", &status)) < 0)
		goto out;
	if ((error = kft_runtime_list_new(&list)) < 0 ||
	    (error = add_runtimes(list, nsd, "TrainingRuntime", 0)) < 0 ||
	    (error = add_runtimes(list, cl, "ClusterTrainingRuntime", 1)) < 0)
		goto out;
	*out = list;
	list = NULL;
out:
	kft_runtime_list_free(list);
	cJSON_Delete(nsd);
	cJSON_Delete(cl);
	return error;
}

/* ---- jobs from TrainJob + pods ---- */

typedef struct {
	const cJSON *pod;
	char step[128];
	int order;          /* 0 dataset-init, 1 model-init, 2 launcher, 3 node, 4 other */
	int64_t index;
	int64_t created;
	const char *name;
	const char *phase;
	const char *rjob;
} podinfo;

static const char *label(const cJSON *obj, const char *key)
{
	return kft__json_str(kft__json_path(obj, "metadata.labels"), key);
}

static const char *annotation(const cJSON *obj, const char *key)
{
	return kft__json_str(kft__json_path(obj, "metadata.annotations"), key);
}

static int pod_info(podinfo *pi, const cJSON *pod)
{
	const char *rjob = label(pod, LBL_RJOB);
	const char *idx = label(pod, LBL_INDEX);

	memset(pi, 0, sizeof(*pi));
	if (!idx)
		idx = annotation(pod, LBL_INDEX);
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
	const podinfo *x = a, *y = b;
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
static int collect_pods(podinfo **out, size_t *n, const cJSON *const *pods, size_t npods)
{
	podinfo *pi = NULL;
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

static int step_state(const char *phase)
{
	if (kft__streq(phase, "Running"))
		return KFT_STEP_RUNNING;
	if (kft__streq(phase, "Succeeded"))
		return KFT_STEP_SUCCEEDED;
	if (kft__streq(phase, "Failed"))
		return KFT_STEP_FAILED;
	return KFT_STEP_PENDING;
}

/* The step's main container name: the initializer's own, else "node". */
static const char *main_container(const podinfo *pi)
{
	return pi->order <= 1 ? pi->rjob : "node";
}

static const cJSON *container_status(const podinfo *pi)
{
	const cJSON *arr = kft__json_path(pi->pod, "status.containerStatuses"), *it;
	const char *want = main_container(pi);

	cJSON_ArrayForEach(it, arr)
		if (kft__streq(kft__json_str(it, "name"), want))
			return it;
	return cJSON_IsArray(arr) ? cJSON_GetArrayItem(arr, 0) : NULL;
}

static int add_pod_step(kft_job_t *job, const podinfo *pi)
{
	const cJSON *cs = container_status(pi);
	const cJSON *term = kft__json_path(cs, "state.terminated");
	const cJSON *wait = kft__json_path(cs, "state.waiting");
	const char *reason = NULL, *pod_reason = kft__json_str(kft__json_get(pi->pod, "status"),
	                                                       "reason");
	int state = step_state(pi->phase), exit_code = -1, sig = 0;

	if (term) {
		const cJSON *ec = kft__json_get(term, "exitCode"), *sg = kft__json_get(term, "signal");

		if (cJSON_IsNumber(ec))
			exit_code = (int)ec->valuedouble;
		if (cJSON_IsNumber(sg))
			sig = (int)sg->valuedouble;
		reason = kft__json_str(term, "reason");
	} else if (state == KFT_STEP_FAILED || state == KFT_STEP_RUNNING) {
		/* a restarting container: the last termination explains it */
		const cJSON *last = kft__json_path(cs, "lastState.terminated");

		if (last && state == KFT_STEP_FAILED) {
			const cJSON *ec = kft__json_get(last, "exitCode");

			if (cJSON_IsNumber(ec))
				exit_code = (int)ec->valuedouble;
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
		return (int64_t)v->valuedouble;
	if (cJSON_IsString(v)) {
		int64_t x;

		if (kft__parse_i64(&x, v->valuestring) == 0)
			return x;
	}
	return dflt;
}

/*
 * What the job view reads of a TrainJob: filled from a cJSON document (get,
 * watch) or straight from the text of a LIST item (list), so one status
 * algorithm serves both.
 */
#define TJ_MAX_CONDITIONS 16
typedef struct {
	const char *type, *status, *reason, *message, *time;
} tjcond;

typedef struct {
	const char *name, *ns, *created, *runtime;
	int64_t num_nodes;            /* -1: absent */
	tjcond cond[TJ_MAX_CONDITIONS];
	size_t ncond;
	const cJSON *trainer_status;  /* status.trainerStatus, or NULL */
} tjinfo;

static void tjinfo_from_json(tjinfo *ti, const cJSON *tj)
{
	const cJSON *meta = kft__json_get(tj, "metadata"), *it;

	memset(ti, 0, sizeof(*ti));
	ti->name = kft__json_str(meta, "name");
	ti->ns = kft__json_str(meta, "namespace");
	ti->created = kft__json_str(meta, "creationTimestamp");
	ti->runtime = kft__json_str(kft__json_path(tj, "spec.runtimeRef"), "name");
	ti->num_nodes = num_field(tj, "spec.trainer.numNodes", -1);
	cJSON_ArrayForEach(it, kft__json_path(tj, "status.conditions")) {
		tjcond *c;

		if (ti->ncond == TJ_MAX_CONDITIONS)
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

static const tjcond *condition(const tjinfo *ti, const char *type)
{
	size_t i;

	for (i = 0; i < ti->ncond; i++)
		if (kft__streq(ti->cond[i].type, type) && kft__streq(ti->cond[i].status, "True"))
			return &ti->cond[i];
	return NULL;
}

static int build_job_info(kft_job_t **out, const tjinfo *ti, const cJSON *const *pods,
                          size_t npods)
{
	const tjcond *c;
	const cJSON *ts = ti->trainer_status, *it;
	kft_job_t *job = NULL;
	podinfo *pi = NULL;
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
	    (error = collect_pods(&pi, &npi, pods, npods)) < 0)
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
	if ((c = condition(ti, "Complete")) != NULL) {
		error = kft_job_set_state(job, KFT_JOB_COMPLETE, c->reason, c->message);
		finished = kft__time_rfc3339_ms(c->time);
	} else if ((c = condition(ti, "Failed")) != NULL) {
		error = kft_job_set_state(job, KFT_JOB_FAILED, c->reason, c->message);
		finished = kft__time_rfc3339_ms(c->time);
	} else if ((c = condition(ti, "Suspended")) != NULL) {
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

static int build_job(kft_job_t **out, const cJSON *tj, const cJSON *const *pods, size_t npods)
{
	tjinfo ti;

	tjinfo_from_json(&ti, tj);
	return build_job_info(out, &ti, pods, npods);
}

static const cJSON **items_array(const cJSON *list, size_t *n)
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
	KFT_CHECK_ALLOC(path = ns_path(k, API_TRAINER, k->cfg.ns, "trainjobs", name, NULL));
	error = get_json(tj, NULL, k, path, "get TrainJob");
	free(path);
	if (error < 0)
		return error;
	if ((path = ns_path(k, "/api/v1", k->cfg.ns, "pods", NULL, NULL)) == NULL ||
	    kft__buf_puts(&q, path) < 0 ||
	    (sel = kft__strdup(LBL_JOBSET)) == NULL) {
		error = kft__error_oom();
		goto out;
	}
	{
		kft__buf s = KFT__BUF_INIT;

		kft__buf_printf(&s, LBL_JOBSET "=%s", name);
		add_q(&q, k, "labelSelector", s.ptr ? s.ptr : "");
		kft__buf_free(&s);
	}
	if (q.oom) {
		error = kft__error_oom();
		goto out;
	}
	error = get_json(pods, NULL, k, q.ptr, "list pods");
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

static int get_job_docs(kft_job_t **out, cJSON **tj_out, cJSON **pods_out, kft__k8s *k,
                        const char *name)
{
	cJSON *tj, *pods;
	const cJSON **arr;
	size_t n;
	int error;

	*out = NULL;
	if ((error = fetch(&tj, &pods, k, name)) < 0)
		return error;
	if ((arr = items_array(pods, &n)) == NULL) {
		error = kft__error_oom();
	} else {
		error = build_job(out, tj, arr, n);
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

static int be_get_job(kft_job_t **out, kft_backend_t *be, const char *name)
{
	return get_job_docs(out, NULL, NULL, K(be), name);
}

typedef struct {
	const char *jobset;
	const cJSON *pod;
} podref;

static int podref_cmp(const void *a, const void *b)
{
	return strcmp(((const podref *)a)->jobset, ((const podref *)b)->jobset);
}

/*
 * A minimal JSON scanner for big lists: the items of a 10,000-job LIST are parsed
 * one at a time (each freed before the next), so the whole document never becomes
 * one huge cJSON tree. Only the structure is scanned here; cJSON parses each item.
 */
static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	return p;
}

/* p at '"': the end of the string (after its closing quote), or NULL. */
static const char *skip_string(const char *p, const char *end)
{
	for (p++; p < end; ) {
		const char *q = memchr(p, '"', (size_t)(end - p)), *b;

		if (!q)
			return NULL;
		for (b = q; b > p && b[-1] == '\\'; b--)
			;
		if (((q - b) & 1) == 0)   /* an even run of backslashes: the quote is real */
			return q + 1;
		p = q + 1;
	}
	return NULL;
}

static const char *skip_value(const char *p, const char *end)
{
	/* the bytes that matter inside a container */
	static const unsigned char special[256] = { ['{'] = 1, ['['] = 1, ['}'] = 2, [']'] = 2,
		                                    ['"'] = 3 };
	int depth = 0;

	if (p >= end)
		return NULL;
	if (*p == '"')
		return skip_string(p, end);
	if (*p != '{' && *p != '[') {
		while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' &&
		       *p != '\r' && *p != '\t')
			p++;
		return p;
	}
	for (; p < end; p++) {
		while (p < end && !special[(unsigned char)*p])
			p++;
		if (p >= end)
			break;
		switch (special[(unsigned char)*p]) {
		case 1:
			depth++;
			break;
		case 2:
			if (--depth == 0)
				return p + 1;
			break;
		default:
			if ((p = skip_string(p, end)) == NULL)
				return NULL;
			p--;
		}
	}
	return NULL;
}

/*
 * Selective parsing: of each listed object only the fields the job view reads
 * become cJSON (a real TrainJob or Pod carries managedFields, specs and
 * annotations many times larger). A selector names the keys to keep; a NULL
 * sub keeps the whole value, a non-NULL sub descends into an object.
 */
typedef struct selector {
	const char *key;
	const struct selector *sub;
} selector;

static const selector SEL_POD_ANN[] = { { LBL_INDEX, NULL }, { NULL, NULL } };
static const selector SEL_POD_META[] = { { "name", NULL }, { "creationTimestamp", NULL },
	                                 { "labels", NULL }, { "annotations", SEL_POD_ANN },
	                                 { NULL, NULL } };
static const selector SEL_POD_STATUS[] = { { "phase", NULL }, { "reason", NULL },
	                                   { "startTime", NULL }, { "containerStatuses", NULL },
	                                   { NULL, NULL } };
static const selector SEL_POD[] = { { "metadata", SEL_POD_META }, { "status", SEL_POD_STATUS },
	                            { NULL, NULL } };

static const selector *sel_match(const selector *s, const char *key, size_t len)
{
	for (; s->key; s++)
		if (strlen(s->key) == len && !memcmp(s->key, key, len))
			return s;
	return NULL;
}

/*
 * Parse the object at p (which is '{') keeping only what sel names, into `into`.
 * Returns the end of the object, or NULL: *oom set on allocation failure, else
 * the text is not JSON.
 */
static const char *parse_select(const char *p, const char *end, const selector *sel,
                                cJSON *into, int *oom)
{
	for (p = skip_ws(p + 1, end); p < end && *p != '}'; ) {
		const char *key = p, *kend, *v;
		const selector *m;

		if (*p != '"' || (kend = skip_string(p, end)) == NULL)
			return NULL;
		p = skip_ws(kend, end);
		if (p >= end || *p != ':')
			return NULL;
		v = p = skip_ws(p + 1, end);
		m = sel_match(sel, key + 1, (size_t)(kend - key - 2));
		if (m && m->sub && p < end && *p == '{') {
			cJSON *child = cJSON_CreateObject();

			if (!child || !cJSON_AddItemToObjectCS(into, m->key, child)) {
				cJSON_Delete(child);
				*oom = 1;
				return NULL;
			}
			if ((p = parse_select(p, end, m->sub, child, oom)) == NULL)
				return NULL;
		} else {
			if ((p = skip_value(p, end)) == NULL)
				return NULL;
			if (m) {
				cJSON *item = cJSON_ParseWithLength(v, (size_t)(p - v));

				if (!item)
					return NULL;
				if (!cJSON_AddItemToObjectCS(into, m->key, item)) {
					cJSON_Delete(item);
					*oom = 1;
					return NULL;
				}
			}
		}
		p = skip_ws(p, end);
		if (p < end && *p == ',')
			p = skip_ws(p + 1, end);
		else if (p >= end || *p != '}')
			return NULL;
	}
	return p < end ? p + 1 : NULL;
}

/*
 * An item parser consumes one element of "items", the object at p, reading no
 * further than end, and returns where it ends; NULL with *error set (< 0) on
 * failure, or with *error == 0 when the text is not (yet) a whole JSON object.
 * It has no effect unless it succeeds.
 */
typedef const char *(*item_parser)(const char *p, const char *end, void *payload, int *error);

/*
 * A LIST response parsed as it arrives: the top-level object is walked member
 * by member and each element of "items" goes to the item parser as soon as it
 * is complete, so a 40 MB LIST is never held whole (and is parsed while it is
 * hot in the cache). Only the unparsed tail is buffered.
 */
enum { LS_START, LS_KEY, LS_ITEMS, LS_END };

typedef struct {
	item_parser parse;
	/* items so far, and forgetting those past n (a retried page replays its body) */
	size_t (*count)(void *payload);
	void (*truncate)(void *payload, size_t n);
	void *payload;
	size_t mark;           /* items before this page */
	char *cont;            /* metadata.continue of this page, if any */
	const char *what;
	kft__buf buf;          /* unparsed bytes */
	size_t wait_until;     /* parse again once buf is this long (an item in pieces) */
	int state, first;      /* first: no member/element yet at the current level */
	char head[200];        /* the response's first bytes, for messages */
	size_t nhead;
} list_stream;

static int ls_bad(list_stream *ls)
{
	kft__buf m = KFT__BUF_INIT;
	size_t i;
	int error;

	kft__buf_printf(&m, "the API server sent a response that is not a JSON object (%s): ",
	                ls->what);
	for (i = 0; i < ls->nhead; i++)
		kft__buf_putc(&m, (ls->head[i] >= 32 && ls->head[i] < 127) ? ls->head[i] : '?');
	error = kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_PARSE, "%s",
	                       m.ptr ? m.ptr : "invalid JSON");
	kft__buf_free(&m);
	return error;
}

/* The end of the complete value at p, NULL if it may continue past end. */
static const char *ls_value(const char *p, const char *end, int final)
{
	const char *e = skip_value(p, end);

	if (e == end && !final && *p != '"' && *p != '{' && *p != '[')
		return NULL;   /* a number or literal cut by the chunk boundary */
	return e;
}

/* Parse what is complete; final: nothing more will come. */
static int ls_run(list_stream *ls, int final)
{
	const char *base = ls->buf.ptr ? ls->buf.ptr : "", *p = base, *end = base + ls->buf.len;
	const char *step = base;
	int error = 0;

	ls->wait_until = 0;

	for (;;) {
		const char *e, *kend, *v;

		p = step = skip_ws(p, end);   /* a step is committed only when complete */
		if (ls->state == LS_END) {
			if (p < end)
				return ls_bad(ls);
			break;
		}
		if (p >= end)
			goto more;
		if (ls->state == LS_START) {
			if (*p != '{')
				return ls_bad(ls);
			p++;
			ls->state = LS_KEY;
			ls->first = 1;
			continue;
		}
		/* LS_KEY (the top-level object) or LS_ITEMS (its "items" array) */
		if (*p == (ls->state == LS_KEY ? '}' : ']')) {
			p++;
			ls->state = ls->state == LS_KEY ? LS_END : LS_KEY;
			ls->first = 0;   /* after "items", more members need a comma */
			continue;
		}
		if (!ls->first) {
			if (*p != ',')
				return ls_bad(ls);
			if ((p = skip_ws(p + 1, end)) >= end)
				goto more;
		}
		if (ls->state == LS_ITEMS) {
			if (*p != '{')
				return ls_bad(ls);
			/* parse at once: an item cut by the chunk boundary fails cleanly (its
			 * closing brace is missing) and is retried when more has come */
			if ((e = ls->parse(p, end, ls->payload, &error)) == NULL) {
				if (error < 0)
					return error;
				if (skip_value(p, end) == NULL)
					goto more;
				return ls_bad(ls);
			}
			p = e;
			ls->first = 0;
			continue;
		}
		if (*p != '"')
			return ls_bad(ls);
		if ((kend = skip_string(p, end)) == NULL)
			goto more;
		v = skip_ws(kend, end);
		if (v >= end)
			goto more;
		if (*v != ':')
			return ls_bad(ls);
		if ((v = skip_ws(v + 1, end)) >= end)
			goto more;
		if (kend - p == 7 && !memcmp(p, "\"items\"", 7) && *v == '[') {
			p = v + 1;
			ls->state = LS_ITEMS;
			ls->first = 1;
			continue;
		}
		if ((e = ls_value(v, end, final)) == NULL)
			goto more;
		if (kend - p == 10 && !memcmp(p, "\"metadata\"", 10) && *v == '{') {
			cJSON *md = cJSON_ParseWithLength(v, (size_t)(e - v));
			const char *c = kft__json_str(md, "continue");
			int want = c && *c;

			free(ls->cont);
			ls->cont = want ? kft__strdup(c) : NULL;
			cJSON_Delete(md);
			if (want && !ls->cont)
				return kft__error_oom();
		}
		p = e;
		ls->first = 0;
	}
	ls->buf.len = 0;
	return 0;
more:
	if (final)
		return ls_bad(ls);
	if (step > base) {   /* keep only the unparsed tail */
		size_t keep = (size_t)(end - step);

		memmove(ls->buf.ptr, step, keep);
		ls->buf.len = keep;
		ls->buf.ptr[keep] = '\0';
	}
	/* try again once the tail has doubled: a big item arriving in many pieces is
	 * scanned O(size) times in all, not once per piece */
	ls->wait_until = 2 * ls->buf.len;
	return 0;
}

/* etcd stores objects of at most 1.5 MiB: an unparsed tail this long is not one */
#define LS_MAX_PENDING (64 << 20)

static int ls_sink(const char *data, size_t len, void *ud)
{
	list_stream *ls = ud;
	int error;

	if (!data) {   /* (re)start */
		kft__buf_clear(&ls->buf);
		ls->wait_until = 0;
		ls->state = LS_START;
		ls->nhead = 0;
		free(ls->cont);
		ls->cont = NULL;
		ls->truncate(ls->payload, ls->mark);
		return 0;
	}
	if (ls->nhead < sizeof(ls->head)) {
		size_t n = len < sizeof(ls->head) - ls->nhead ? len : sizeof(ls->head) - ls->nhead;

		memcpy(ls->head + ls->nhead, data, n);
		ls->nhead += n;
	}
	if (kft__buf_put(&ls->buf, data, len) < 0)
		return kft__error_oom();
	if (ls->buf.len < ls->wait_until && ls->buf.len <= LS_MAX_PENDING)
		return 0;
	if ((error = ls_run(ls, 0)) == 0 && ls->buf.len > LS_MAX_PENDING)
		error = kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_PARSE,
		                       "the API server sent a %s item of more than %d MiB; a Kubernetes "
		                       "object is at most a few MiB", ls->what, LS_MAX_PENDING >> 20);
	return error;
}

/* LIST page size: $KFT_K8S_LIST_LIMIT, else 500 as kubectl; 0 lists in one response. */
static long list_limit(void)
{
	const char *v = getenv("KFT_K8S_LIST_LIMIT");
	int64_t n;

	if (v && *v && kft__parse_i64(&n, v) == 0 && n >= 0 && n <= 1000000)
		return (long)n;
	return 500;
}

/*
 * GET a LIST in pages (limit/continue, as kubectl and client-go's pager) and
 * feed its items to parse as they arrive. A continue token that expired
 * (410 Gone) restarts as one full LIST, as client-go does.
 */
static int list_stream_get(kft__k8s *k, const char *path, const char *what, item_parser parse,
                           size_t (*count)(void *), void (*truncate)(void *, size_t),
                           void *payload)
{
	long limit = list_limit(), status = 0;
	char *cont = NULL, num[32];
	int error, pages = 0;

	for (;;) {
		kft__buf q = KFT__BUF_INIT;
		kft__k8s_req r = { "GET", NULL, NULL, NULL, 1, what };
		list_stream ls;

		kft__buf_puts(&q, path);
		if (limit > 0) {
			snprintf(num, sizeof(num), "%ld", limit);
			add_q(&q, k, "limit", num);
		}
		if (cont)
			add_q(&q, k, "continue", cont);
		if (q.oom) {
			kft__buf_free(&q);
			error = kft__error_oom();
			break;
		}
		memset(&ls, 0, sizeof(ls));
		ls.parse = parse;
		ls.count = count;
		ls.truncate = truncate;
		ls.payload = payload;
		ls.mark = count(payload);
		ls.what = what;
		r.path = q.ptr;
		if ((error = kft__k8s_request_stream(&status, k, &r, ls_sink, &ls)) == 0)
			error = ls_run(&ls, 1);
		kft__buf_free(&q);
		kft__buf_free(&ls.buf);
		pages++;
		if (error < 0 && status == 410 && cont) {
			kft__log(KFT_DIAG_DEBUG, "%s: the continue token expired after %d pages; listing "
			         "again in one response", what, pages);
			truncate(payload, 0);
			free(cont);
			cont = NULL;
			free(ls.cont);
			limit = 0;
			continue;
		}
		free(cont);
		cont = ls.cont;
		if (error < 0 || !cont)
			break;
	}
	free(cont);
	return error;
}

/* Pods: the selected fields of each, appended to the cJSON array payload. */
static const char *parse_pod(const char *p, const char *end, void *payload, int *error)
{
	cJSON *item = cJSON_CreateObject();
	int oom = 0;

	*error = 0;
	if (!item) {
		*error = kft__error_oom();
		return NULL;
	}
	if ((p = parse_select(p, end, SEL_POD, item, &oom)) == NULL) {
		cJSON_Delete(item);
		if (oom)
			*error = kft__error_oom();
		return NULL;
	}
	cJSON_AddItemToArray((cJSON *)payload, item);
	return p;
}

/*
 * TrainJobs straight from the text: a forward-only walk over one LIST item
 * that keeps just what tjinfo holds, its strings unescaped into an arena.
 * No cJSON tree per job (10,000 of them are the bulk of `kft list`).
 */
typedef struct arena_chunk {
	struct arena_chunk *next;
	size_t cap, used;
	char data[];
} arena_chunk;

typedef struct {
	arena_chunk *head;
	int oom;
} arena;

static char *arena_alloc(arena *a, size_t n)
{
	arena_chunk *c = a->head;

	if (!c || c->cap - c->used < n) {
		size_t cap = n > 65536 ? n : 65536;

		if ((c = kft__malloc(sizeof(*c) + cap)) == NULL) {
			a->oom = 1;
			return NULL;
		}
		c->next = a->head;
		c->cap = cap;
		c->used = 0;
		a->head = c;
	}
	c->used += n;
	return c->data + c->used - n;
}

/* Forget everything but keep the newest chunk for the next item. */
static void arena_reset(arena *a)
{
	arena_chunk *c;

	if (!a->head)
		return;
	while ((c = a->head->next) != NULL) {
		a->head->next = c->next;
		free(c);
	}
	a->head->used = 0;
}

static void arena_free(arena *a)
{
	arena_chunk *c;

	while ((c = a->head) != NULL) {
		a->head = c->next;
		free(c);
	}
}

typedef struct {
	const char *p, *end;
	arena *mem;
	int bad;
} jwalk;

static int hexval(const char *p)
{
	int v = 0, i;

	for (i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static char *put_utf8(char *o, unsigned long cp)
{
	if (cp < 0x80) {
		*o++ = (char)cp;
	} else if (cp < 0x800) {
		*o++ = (char)(0xC0 | (cp >> 6));
		*o++ = (char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xE0 | (cp >> 12));
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
		*o++ = (char)(0x80 | (cp & 0x3F));
	} else {
		*o++ = (char)(0xF0 | (cp >> 18));
		*o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
		*o++ = (char)(0x80 | (cp & 0x3F));
	}
	return o;
}

/*
 * Skip the value at w->p. On text that is not JSON, w->bad is set and w->p stays
 * where it was: a walker never holds a NULL position, and every step after a bad
 * one (jw_member) stops.
 */
static void jw_skip(jwalk *w)
{
	const char *e = skip_value(w->p, w->end);

	if (e)
		w->p = e;
	else
		w->bad = 1;
}

/* The string value at w->p, unescaped into the arena (NULL if not a string). */
static const char *jw_string(jwalk *w)
{
	const char *p = w->p, *s, *e;
	char *out, *o;

	if (p >= w->end || *p != '"') {
		jw_skip(w);
		return NULL;
	}
	if ((e = skip_string(p, w->end)) == NULL) {
		w->bad = 1;
		return NULL;
	}
	w->p = e;
	s = p + 1;
	e--;   /* the closing quote */
	if ((out = o = arena_alloc(w->mem, (size_t)(e - s) + 1)) == NULL)
		return NULL;
	while (s < e) {
		const char *bs = memchr(s, '\\', (size_t)(e - s));
		size_t run = bs ? (size_t)(bs - s) : (size_t)(e - s);

		memcpy(o, s, run);
		o += run;
		s += run;
		if (!bs)
			break;
		if (++s >= e) {
			w->bad = 1;
			return NULL;
		}
		switch (*s++) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			long cp = e - s >= 4 ? hexval(s) : -1;

			if (cp < 0) {
				w->bad = 1;
				return NULL;
			}
			s += 4;
			if (cp >= 0xD800 && cp <= 0xDBFF && e - s >= 6 && s[0] == '\\' && s[1] == 'u') {
				long lo = hexval(s + 2);

				if (lo >= 0xDC00 && lo <= 0xDFFF) {
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					s += 6;
				}
			}
			if (cp >= 0xD800 && cp <= 0xDFFF)
				cp = 0xFFFD;   /* a lone surrogate, as encoding/json decodes it */
			if (cp == 0) {
				w->bad = 1;    /* NUL cannot live in a C string */
				return NULL;
			}
			o = put_utf8(o, (unsigned long)cp);
			break;
		}
		default:
			w->bad = 1;
			return NULL;
		}
	}
	*o = '\0';
	return out;
}

/* An integer (or a string holding one) at w->p; dflt otherwise. */
static int64_t jw_int(jwalk *w, int64_t dflt)
{
	const char *v = w->p;
	char num[32];
	int64_t x;
	size_t n;

	if (v < w->end && *v == '"') {
		const char *s = jw_string(w);

		return s && kft__parse_i64(&x, s) == 0 ? x : dflt;
	}
	jw_skip(w);
	if (w->bad)
		return dflt;
	n = (size_t)(w->p - v);
	if (n == 0 || n >= sizeof(num))
		return dflt;
	memcpy(num, v, n);
	num[n] = '\0';
	if (kft__parse_i64(&x, num) == 0)
		return x;
	{   /* 2.0 and 2e0 are numbers too (cJSON reads them as 2) */
		char *endp;
		double d = strtod(num, &endp);

		return *endp == '\0' && d >= -9.2e18 && d <= 9.2e18 ? (int64_t)d : dflt;
	}
}

/*
 * Iterate an object's members: call with *first = 1 at the '{'. Returns 1 with
 * w->p at the value, 0 at the end (w->p after the '}'), -1 if not JSON.
 */
static int jw_member(jwalk *w, int *first, const char **key, size_t *klen, int obj)
{
	const char *p, *kend;
	char close = obj ? '}' : ']';

	if (w->bad)
		return -1;
	p = skip_ws(w->p, w->end);
	if (*first) {
		if (p >= w->end || *p != (obj ? '{' : '['))
			goto bad;
		p = skip_ws(p + 1, w->end);
		if (p < w->end && *p == close) {
			w->p = p + 1;
			return 0;
		}
		*first = 0;
	} else {
		if (p < w->end && *p == close) {
			w->p = p + 1;
			return 0;
		}
		if (p >= w->end || *p != ',')
			goto bad;
		p = skip_ws(p + 1, w->end);
	}
	if (obj) {
		if (p >= w->end || *p != '"' || (kend = skip_string(p, w->end)) == NULL)
			goto bad;
		*key = p + 1;
		*klen = (size_t)(kend - p - 2);
		p = skip_ws(kend, w->end);
		if (p >= w->end || *p != ':')
			goto bad;
		p = skip_ws(p + 1, w->end);
	}
	if (p >= w->end)
		goto bad;
	w->p = p;
	return 1;
bad:
	w->bad = 1;
	return -1;
}

#define KEY_IS(k, n, lit) ((n) == sizeof(lit) - 1 && !memcmp((k), (lit), sizeof(lit) - 1))

static void walk_conditions(jwalk *w, tjinfo *ti)
{
	int first = 1, f2;
	const char *k;
	size_t n;

	if (w->p >= w->end || *w->p != '[') {
		jw_skip(w);
		return;
	}
	while (jw_member(w, &first, NULL, NULL, 0) == 1) {
		tjcond scratch, *c = ti->ncond < TJ_MAX_CONDITIONS ? &ti->cond[ti->ncond++] : &scratch;

		memset(c, 0, sizeof(*c));
		if (*w->p != '{') {
			jw_skip(w);
			continue;
		}
		for (f2 = 1; jw_member(w, &f2, &k, &n, 1) == 1 && !w->bad; ) {
			if (KEY_IS(k, n, "type"))
				c->type = jw_string(w);
			else if (KEY_IS(k, n, "status"))
				c->status = jw_string(w);
			else if (KEY_IS(k, n, "reason"))
				c->reason = jw_string(w);
			else if (KEY_IS(k, n, "message"))
				c->message = jw_string(w);
			else if (KEY_IS(k, n, "lastTransitionTime"))
				c->time = jw_string(w);
			else
				jw_skip(w);
		}
		if (w->bad)
			return;
	}
}

/* Is the value at w->p an object (to walk with jw_member)? If not, it is skipped. */
static int jw_enter(jwalk *w)
{
	if (w->p < w->end && *w->p == '{')
		return 1;
	jw_skip(w);
	return 0;
}

static void walk_metadata(jwalk *w, tjinfo *ti)
{
	const char *k;
	size_t n;
	int first = 1;

	if (!jw_enter(w))
		return;
	while (!w->bad && jw_member(w, &first, &k, &n, 1) == 1) {
		if (KEY_IS(k, n, "name"))
			ti->name = jw_string(w);
		else if (KEY_IS(k, n, "namespace"))
			ti->ns = jw_string(w);
		else if (KEY_IS(k, n, "creationTimestamp"))
			ti->created = jw_string(w);
		else
			jw_skip(w);
	}
}

static void walk_spec(jwalk *w, tjinfo *ti)
{
	const char *k, *k2;
	size_t n, n2;
	int first = 1, f2;

	if (!jw_enter(w))
		return;
	while (!w->bad && jw_member(w, &first, &k, &n, 1) == 1) {
		int rref = KEY_IS(k, n, "runtimeRef"), trainer = KEY_IS(k, n, "trainer");

		if ((!rref && !trainer) || !jw_enter(w)) {
			if (!rref && !trainer)
				jw_skip(w);
			continue;
		}
		for (f2 = 1; !w->bad && jw_member(w, &f2, &k2, &n2, 1) == 1; ) {
			if (rref && KEY_IS(k2, n2, "name"))
				ti->runtime = jw_string(w);
			else if (trainer && KEY_IS(k2, n2, "numNodes"))
				ti->num_nodes = jw_int(w, -1);
			else
				jw_skip(w);
		}
	}
}

static void walk_status(jwalk *w, tjinfo *ti, cJSON **ts)
{
	const char *k;
	size_t n;
	int first = 1;

	if (!jw_enter(w))
		return;
	while (!w->bad && jw_member(w, &first, &k, &n, 1) == 1) {
		if (KEY_IS(k, n, "conditions")) {
			walk_conditions(w, ti);
		} else if (KEY_IS(k, n, "trainerStatus") && !*ts) {
			const char *v = w->p;

			jw_skip(w);
			if (!w->bad && (*ts = cJSON_ParseWithLength(v, (size_t)(w->p - v))) == NULL)
				w->bad = 1;
		} else {
			jw_skip(w);
		}
	}
}

/* One LIST item -> tjinfo (strings in w->mem; trainerStatus parsed into *ts). */
static const char *walk_trainjob(jwalk *w, tjinfo *ti, cJSON **ts, int *oom)
{
	const char *k;
	size_t n;
	int first = 1;

	memset(ti, 0, sizeof(*ti));
	ti->num_nodes = -1;
	*ts = NULL;
	while (!w->bad && jw_member(w, &first, &k, &n, 1) == 1) {
		if (KEY_IS(k, n, "metadata"))
			walk_metadata(w, ti);
		else if (KEY_IS(k, n, "spec"))
			walk_spec(w, ti);
		else if (KEY_IS(k, n, "status"))
			walk_status(w, ti, ts);
		else
			jw_skip(w);
	}
	if (w->mem->oom) {
		*oom = 1;
		return NULL;
	}
	ti->trainer_status = *ts;
	return w->bad ? NULL : w->p;
}

typedef struct {
	kft_job_list_t *list;
	const char *runtime;
	podref *refs;
	size_t nrefs;
	const cJSON **grp;
	arena mem;
} list_ctx;

static const char *list_one(const char *p, const char *end, void *payload, int *error)
{
	list_ctx *lc = payload;
	jwalk w;
	tjinfo ti;
	cJSON *ts = NULL;
	size_t lo = 0, hi = lc->nrefs, n = 0;
	kft_job_t *job;
	int oom = 0;

	*error = 0;
	arena_reset(&lc->mem);
	w.p = p;
	w.end = end;
	w.mem = &lc->mem;
	w.bad = 0;
	if ((p = walk_trainjob(&w, &ti, &ts, &oom)) == NULL) {
		cJSON_Delete(ts);
		if (oom)
			*error = kft__error_oom();
		return NULL;
	}
	if (!ti.name || (lc->runtime && !kft__streq(ti.runtime, lc->runtime))) {
		cJSON_Delete(ts);
		return p;
	}
	while (lo < hi) {   /* the first pod whose jobset is >= name */
		size_t mid = (lo + hi) / 2;

		if (strcmp(lc->refs[mid].jobset, ti.name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo < lc->nrefs && !strcmp(lc->refs[lo].jobset, ti.name))
		lc->grp[n++] = lc->refs[lo++].pod;
	*error = build_job_info(&job, &ti, lc->grp, n);
	cJSON_Delete(ts);
	if (*error < 0 || (*error = kft_job_list_add(lc->list, job)) < 0)
		return NULL;
	return p;
}

/*
 * One LIST of TrainJobs and one LIST of the Trainer's JobSet pods (a set selector),
 * joined here: no request per job, and no live runtime lookup.
 */
static size_t count_pods(void *payload)
{
	return (size_t)cJSON_GetArraySize((cJSON *)payload);
}

static void truncate_pods(void *payload, size_t n)
{
	cJSON *arr = payload;

	while ((size_t)cJSON_GetArraySize(arr) > n)
		cJSON_DeleteItemFromArray(arr, cJSON_GetArraySize(arr) - 1);
}

static size_t count_jobs(void *payload)
{
	return kft_job_list_count(((list_ctx *)payload)->list);
}

static void truncate_jobs(void *payload, size_t n)
{
	kft__job_list_truncate(((list_ctx *)payload)->list, n);
}

static int be_list_jobs(kft_job_list_t **out, kft_backend_t *be, const char *runtime)
{
	kft__k8s *k = K(be);
	list_ctx lc;
	cJSON *pods = NULL;
	const cJSON *it;
	size_t cap;
	kft__buf q = KFT__BUF_INIT;
	char *path = NULL;
	int error;

	memset(&lc, 0, sizeof(lc));
	lc.runtime = runtime;
	/* the pods first, indexed by JobSet, so each TrainJob is joined as it streams in */
	KFT_CHECK_ALLOC(path = ns_path(k, "/api/v1", k->cfg.ns, "pods", NULL, NULL));
	kft__buf_puts(&q, path);
	add_q(&q, k, "labelSelector", LBL_JOBSET "," LBL_RJOB " in (" RJOB_SET ")");
	if (q.oom || (pods = cJSON_CreateArray()) == NULL) {
		error = kft__error_oom();
		goto out;
	}
	if ((error = list_stream_get(k, q.ptr, "list pods", parse_pod, count_pods, truncate_pods,
	                             pods)) < 0)
		goto out;
	cap = (size_t)cJSON_GetArraySize(pods);
	if ((lc.refs = kft__calloc(cap + 1, sizeof(*lc.refs))) == NULL ||
	    (lc.grp = kft__calloc(cap + 1, sizeof(*lc.grp))) == NULL) {
		error = kft__error_oom();
		goto out;
	}
	cJSON_ArrayForEach(it, pods) {
		const char *js = label(it, LBL_JOBSET);

		if (js && lc.nrefs < cap) {
			lc.refs[lc.nrefs].jobset = js;
			lc.refs[lc.nrefs++].pod = it;
		}
	}
	if (lc.nrefs)
		qsort(lc.refs, lc.nrefs, sizeof(*lc.refs), podref_cmp);
	free(path);
	if ((path = ns_path(k, API_TRAINER, k->cfg.ns, "trainjobs", NULL, NULL)) == NULL) {
		error = kft__error_oom();
		goto out;
	}
	if ((error = kft_job_list_new(&lc.list)) < 0 ||
	    (error = list_stream_get(k, path, "list TrainJobs", list_one, count_jobs, truncate_jobs,
	                             &lc)) < 0)
		goto out;
	*out = lc.list;
	lc.list = NULL;
out:
	arena_free(&lc.mem);
	kft_job_list_free(lc.list);
	free(lc.grp);
	free(lc.refs);
	free(path);
	kft__buf_free(&q);
	cJSON_Delete(pods);
	return error;
}

/* ---- submit / render ---- */

/* The exact request: path (with query) and body. */
static int build_create(char **path_out, char **body_out, kft__k8s *k, const kft_spec_t *spec,
                        uint32_t flags, const char *for_version)
{
	const cJSON *ref = kft__json_path(kft__spec_doc(spec), "spec.runtimeRef");
	const char *rtname = kft__json_str(ref, "name"), *kind = kft__json_str(ref, "kind");
	const char *ns = kft_spec_namespace(spec) ? kft_spec_namespace(spec) : k->cfg.ns;
	const char *ver = NULL;
	kft_runtime_t *rt = NULL;
	cJSON *doc = NULL;
	kft__buf q = KFT__BUF_INIT;
	char *path = NULL;
	long status = 0;
	int error, minor;

	*path_out = *body_out = NULL;
	/* for_version (kft_render_opts_t.trainer_version): that version's form, not the cluster's */
	if (for_version)
		ver = for_version;
	else if ((error = trainer_version(&ver, k)) < 0)
		return error;
	/* the cluster's runtime expands scripts/builtin trainers; absent: the catalog's */
	if (rtname) {
		error = kft__streq(kind, "TrainingRuntime") ?
		        get_one_runtime(&rt, &status, k, rtname, 0) :
		        get_one_runtime(&rt, &status, k, rtname, 1);
		if (error < 0) {
			if (status == 0 && error != KFT_EINVALID)
				return error;   /* unreachable: say so */
			kft__log(KFT_DIAG_DEBUG, "runtime %s not readable from the cluster (%s); using "
			         "the local catalog to expand the trainer", rtname,
			         kft_error_last()->message);
			kft_error_clear();
		}
	}
	if ((error = kft__spec_finalize(&doc, spec, rt)) < 0)
		goto out;
	minor = trainer_minor(ver);
	if (minor < 2 && (error = kft__spec_convert(doc, minor == 0 ? "v2.0" : "v2.1")) < 0)
		goto out;
	if ((error = kft__json_set_str(kft__json_path_mkobj(doc, "metadata"), "namespace", ns)) < 0)
		goto out;
	if ((path = ns_path(k, API_TRAINER, ns, "trainjobs", NULL, NULL)) == NULL) {
		error = kft__error_oom();
		goto out;
	}
	kft__buf_puts(&q, path);
	add_q(&q, k, "fieldValidation", "Strict");
	if (flags & KFT_TRAIN_SERVER_DRY_RUN)
		add_q(&q, k, "dryRun", "All");
	if (q.oom || (*body_out = cJSON_PrintUnformatted(doc)) == NULL) {
		error = kft__error_oom();
		goto out;
	}
	*path_out = kft__buf_detach(&q);
out:
	kft__buf_free(&q);
	free(path);
	cJSON_Delete(doc);
	kft_runtime_free(rt);
	return error;
}

static int be_submit(kft_job_t **out, kft_backend_t *be, const kft_spec_t *spec,
                     const kft_train_opts_t *opts)
{
	kft__k8s *k = K(be);
	char *path = NULL, *body = NULL;
	cJSON *created = NULL;
	int error;

	*out = NULL;
	if ((error = build_create(&path, &body, k, spec, opts ? opts->flags : 0, NULL)) < 0)
		return error;
	{
		kft__k8s_req r = { "POST", path, body, NULL, 0, "create TrainJob" };

		error = kft__k8s_request_json(&created, NULL, k, &r);
	}
	if (error == 0)
		error = build_job(out, created, NULL, 0);
	cJSON_Delete(created);
	free(path);
	free(body);
	return error;
}

static int be_render_plan(char **out, kft_backend_t *be, const kft_spec_t *spec,
                          const kft_render_opts_t *opts)
{
	kft__k8s *k = K(be);
	char *path = NULL, *body = NULL, *url = NULL;
	cJSON *root = NULL, *bd;
	int error;

	*out = NULL;
	if ((error = build_create(&path, &body, k, spec, 0, opts->trainer_version)) < 0)
		return error;
	if ((url = kft__k8s_url(k, path)) == NULL) {
		error = kft__error_oom();
		goto out;
	}
	if (opts->format == KFT_FORMAT_TEXT) {
		kft__buf b = KFT__BUF_INIT;

		kft__buf_printf(&b, "POST %s\nContent-Type: application/json\n\n%s\n", url, body);
		if (b.oom) {
			kft__buf_free(&b);
			error = kft__error_oom();
			goto out;
		}
		*out = kft__buf_detach(&b);
		goto out;
	}
	if ((root = cJSON_CreateObject()) == NULL || (bd = cJSON_Parse(body)) == NULL) {
		error = kft__error_oom();
		goto out;
	}
	cJSON_AddStringToObject(root, "method", "POST");
	cJSON_AddStringToObject(root, "url", url);
	cJSON_AddItemToObject(root, "body", bd);
	error = kft__render_doc(out, root, opts->format == KFT_FORMAT_JSON ? KFT_FORMAT_JSON :
	                        KFT_FORMAT_YAML);
out:
	cJSON_Delete(root);
	free(url);
	free(path);
	free(body);
	return error;
}

/* ---- delete / suspend ---- */

static int be_delete_job(kft_backend_t *be, const char *name, const kft_delete_opts_t *opts)
{
	kft__k8s *k = K(be);
	const char *prop = opts ? opts->propagation : NULL;
	kft__buf q = KFT__BUF_INIT;
	char *path;
	int error;

	if (prop && strcmp(prop, "Foreground") && strcmp(prop, "Background") && strcmp(prop, "Orphan"))
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "propagation: must be Foreground, Background or Orphan, got \"%s\"",
		                      prop);
	KFT_CHECK_ALLOC(path = ns_path(k, API_TRAINER, k->cfg.ns, "trainjobs", name, NULL));
	kft__buf_puts(&q, path);
	free(path);
	if (prop)
		add_q(&q, k, "propagationPolicy", prop);
	if (opts && opts->grace_period_ms >= 0) {
		char g[32];

		snprintf(g, sizeof(g), "%lld", (long long)((opts->grace_period_ms + 999) / 1000));
		add_q(&q, k, "gracePeriodSeconds", g);
	}
	if (q.oom) {
		kft__buf_free(&q);
		return kft__error_oom();
	}
	{
		kft__k8s_req r = { "DELETE", q.ptr, NULL, NULL, 1, "delete TrainJob" };
		kft__buf resp = KFT__BUF_INIT;

		error = kft__k8s_request(&resp, NULL, k, &r);
		kft__buf_free(&resp);
	}
	kft__buf_free(&q);
	return error;
}

static int be_suspend_job(kft_backend_t *be, const char *name, int suspend)
{
	kft__k8s *k = K(be);
	char *path;
	int error;
	kft__buf resp = KFT__BUF_INIT;

	KFT_CHECK_ALLOC(path = ns_path(k, API_TRAINER, k->cfg.ns, "trainjobs", name, NULL));
	{
		kft__k8s_req r = { "PATCH", path, suspend ? "{\"spec\":{\"suspend\":true}}" :
		                   "{\"spec\":{\"suspend\":false}}", "application/merge-patch+json", 1,
		                   "suspend TrainJob" };

		error = kft__k8s_request(&resp, NULL, k, &r);
	}
	kft__buf_free(&resp);
	free(path);
	return error;
}

/* ---- events ---- */

static int events_for(kft_event_list_t *list, kft__k8s *k, const char *kind, const char *name)
{
	kft__buf q = KFT__BUF_INIT, sel = KFT__BUF_INIT;
	cJSON *doc = NULL;
	const cJSON *it;
	char *path;
	int error;

	KFT_CHECK_ALLOC(path = ns_path(k, "/api/v1", k->cfg.ns, "events", NULL, NULL));
	kft__buf_puts(&q, path);
	free(path);
	kft__buf_printf(&sel, "involvedObject.kind=%s,involvedObject.name=%s", kind, name);
	add_q(&q, k, "fieldSelector", sel.ptr ? sel.ptr : "");
	kft__buf_free(&sel);
	if (q.oom) {
		kft__buf_free(&q);
		return kft__error_oom();
	}
	error = get_json(&doc, NULL, k, q.ptr, "list events");
	kft__buf_free(&q);
	if (error < 0)
		return error;
	cJSON_ArrayForEach(it, kft__json_get(doc, "items")) {
		const cJSON *io = kft__json_get(it, "involvedObject");
		const char *t = kft__json_str(it, "eventTime");
		int64_t ms = 0;

		if (t)
			ms = kft__time_rfc3339_ms(t);
		if (!ms)
			ms = kft__time_rfc3339_ms(kft__json_str(it, "firstTimestamp"));
		if (!ms)
			ms = kft__time_rfc3339_ms(kft__json_str(it, "lastTimestamp"));
		if (!ms)
			ms = kft__time_rfc3339_ms(kft__json_str(kft__json_get(it, "metadata"),
			                                    "creationTimestamp"));
		/* the selector already matched; guard against servers that ignore it */
		if (io && (!kft__streq(kft__json_str(io, "kind"), kind) ||
		           !kft__streq(kft__json_str(io, "name"), name)))
			continue;
		if ((error = kft_event_list_add(list, ms, kind, name, kft__json_str(it, "type"),
		                                kft__json_str(it, "reason"),
		                                kft__json_str(it, "message") ?
		                                kft__json_str(it, "message") : "")) < 0)
			break;
	}
	cJSON_Delete(doc);
	return error;
}

static int strv_has(const kft__strv *sv, const char *s)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], s))
			return 1;
	return 0;
}

static int be_get_events(kft_event_list_t **out, kft_backend_t *be, const char *name)
{
	kft__k8s *k = K(be);
	kft_event_list_t *list = NULL;
	cJSON *tj = NULL, *pods = NULL;
	const cJSON *it;
	kft__strv jobs = KFT__STRV_INIT;
	kft_job_t *job = NULL;
	size_t i;
	int error;

	if ((error = get_job_docs(&job, &tj, &pods, k, name)) < 0)
		return error;
	kft_job_free(job);
	cJSON_ArrayForEach(it, kft__json_get(pods, "items")) {
		const char *jn = label(it, "batch.kubernetes.io/job-name");

		if (!jn)
			jn = label(it, "job-name");
		if (jn && !strv_has(&jobs, jn) && (error = kft__strv_push(&jobs, jn)) < 0)
			goto out;
		if (!jn && label(it, LBL_RJOB)) {
			const char *ji = label(it, LBL_JOBINDEX);

			if ((error = kft__strv_pushf(&jobs, "%s-%s-%s", name, label(it, LBL_RJOB),
			                             ji ? ji : "0")) < 0)
				goto out;
			if (jobs.n > 1 && strv_has(&(kft__strv){ jobs.v, jobs.n - 1, 0 },
			                           jobs.v[jobs.n - 1])) {
				free(jobs.v[--jobs.n]);
				jobs.v[jobs.n] = NULL;
			}
		}
	}
	if ((error = kft_event_list_new(&list)) < 0 ||
	    (error = events_for(list, k, "TrainJob", name)) < 0 ||
	    (error = events_for(list, k, "JobSet", name)) < 0)
		goto out;
	for (i = 0; i < jobs.n; i++)
		if ((error = events_for(list, k, "Job", jobs.v[i])) < 0)
			goto out;
	cJSON_ArrayForEach(it, kft__json_get(pods, "items")) {
		const char *pn = kft__json_str(kft__json_get(it, "metadata"), "name");

		if (pn && (error = events_for(list, k, "Pod", pn)) < 0)
			goto out;
	}
	kft_event_list_sort(list);
	*out = list;
	list = NULL;
out:
	kft__strv_free(&jobs);
	kft_event_list_free(list);
	cJSON_Delete(tj);
	cJSON_Delete(pods);
	return error;
}

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
		         cJSON_IsNumber(code) ? (int)code->valuedouble : 0);
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

static int wanted(const kft_wait_opts_t *o, int state)
{
	uint32_t want = o && o->want ? o->want : KFT_WANT(KFT_JOB_COMPLETE);

	return (want & KFT_WANT(state)) != 0;
}

static int watch_start(kft__k8s_streams *ss, watcher *w, kft__k8s *k, const char *name,
                       int64_t left_ms)
{
	kft__buf q = KFT__BUF_INIT, sel = KFT__BUF_INIT;
	char *path = ns_path(k, w->is_pods ? "/api/v1" : API_TRAINER, k->cfg.ns,
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
	add_q(&q, k, "watch", "1");
	if (w->is_pods) {
		kft__buf_printf(&sel, LBL_JOBSET "=%s", name);
		add_q(&q, k, "labelSelector", sel.ptr ? sel.ptr : "");
	} else {
		kft__buf_printf(&sel, "metadata.name=%s", name);
		add_q(&q, k, "fieldSelector", sel.ptr ? sel.ptr : "");
	}
	kft__buf_free(&sel);
	if (w->rv)
		add_q(&q, k, "resourceVersion", w->rv);
	add_q(&q, k, "allowWatchBookmarks", "true");
	add_q(&q, k, "timeoutSeconds", tos);
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

	if ((arr = items_array(w[1].state, &n)) == NULL)
		return kft__error_oom();
	error = build_job(out, w[0].state, arr, n);
	free((void *)arr);
	return error;
}

/* 0: keep waiting; 1: done (return value in *ret) */
static int judge(int *ret, kft_job_t **job, kft_job_t **out, const char *name,
                 const kft_wait_opts_t *o)
{
	int st = kft_job_state(*job), rc;

	if (o && o->progress_cb && (rc = o->progress_cb(*job, o->payload)) != 0) {
		*ret = rc;
		return 1;
	}
	if (wanted(o, st)) {
		if (out) {
			*out = *job;
			*job = NULL;
		}
		*ret = 0;
		return 1;
	}
	if (st == KFT_JOB_FAILED) {
		*ret = kft__error_set(KFT_EJOBFAILED, KFT_ERROR_CLASS_INVALID,
		                      "TrainJob %s is Failed%s%s%s%s", name,
		                      kft_job_reason(*job) ? ": " : "",
		                      kft_job_reason(*job) ? kft_job_reason(*job) : "",
		                      kft_job_message(*job) ? ": " : "",
		                      kft_job_message(*job) ? kft_job_message(*job) : "");
		if (out) {
			*out = *job;
			*job = NULL;
		}
		return 1;
	}
	return 0;
}

/* (Re)list: GET the TrainJob and LIST its pods, and resume the watches from there. */
static int relist(kft_job_t **job, watcher *w, kft__k8s *k, const char *name)
{
	kft_job_t *fresh = NULL;
	cJSON *tj = NULL, *pods = NULL;
	int error;

	if ((error = get_job_docs(&fresh, &tj, &pods, k, name)) < 0)
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
static int be_wait(kft_job_t **out, kft_backend_t *be, const char *name, const kft_wait_opts_t *o)
{
	kft__k8s *k = K(be);
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
			ret = kft__error_set(KFT_ETIMEOUT, KFT_ERROR_CLASS_INVALID,
			                     "timed out waiting for TrainJob %s (status %s)", name,
			                     kft_job_status(job));
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
				ret = kft__error_set_status(KFT_ENOTFOUND, 404, "NotFound",
				                            "the TrainJob was deleted while waiting");
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

static int log_path(char **out, kft__k8s *k, const podinfo *pi, const kft_logs_opts_t *o,
                    int follow)
{
	kft__buf q = KFT__BUF_INIT;
	char *path = ns_path(k, "/api/v1", k->cfg.ns, "pods", pi->name, "log");
	const cJSON *containers = kft__json_path(pi->pod, "spec.containers"), *it;
	const char *cname = NULL;

	*out = NULL;
	KFT_CHECK_ALLOC(path);
	kft__buf_puts(&q, path);
	free(path);
	if (cJSON_GetArraySize(containers) > 1) {
		cJSON_ArrayForEach(it, containers)
			if (kft__streq(kft__json_str(it, "name"), main_container(pi)))
				cname = main_container(pi);
		if (cname)
			add_q(&q, k, "container", cname);
	}
	if (follow)
		add_q(&q, k, "follow", "true");
	if (o && o->tail_lines >= 0) {
		char n[32];

		snprintf(n, sizeof(n), "%lld", (long long)o->tail_lines);
		add_q(&q, k, "tailLines", n);
	}
	if (o && o->since_ms > 0) {
		char n[32];

		snprintf(n, sizeof(n), "%lld", (long long)((o->since_ms + 999) / 1000));
		add_q(&q, k, "sinceSeconds", n);
	}
	if (q.oom) {
		kft__buf_free(&q);
		return kft__error_oom();
	}
	*out = kft__buf_detach(&q);
	return 0;
}

static int step_matches(const char *want, const podinfo *pi)
{
	return !want || !strcmp(want, pi->step);
}

static int logs_once(kft__k8s *k, const podinfo *pi, size_t npi, const kft_logs_opts_t *o,
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

static int terminal_phase(const char *phase)
{
	return kft__streq(phase, "Succeeded") || kft__streq(phase, "Failed");
}

static int be_logs(kft_backend_t *be, const char *name, const kft_logs_opts_t *o, kft_log_cb cb,
                   void *payload)
{
	kft__k8s *k = K(be);
	const char *want = o ? o->step : NULL;
	int follow = o && (o->flags & KFT_LOGS_FOLLOW);
	int prefix = kft__logs_prefixed(o);
	int64_t deadline = o && o->timeout_ms > 0 ? kft__mono_ms() + o->timeout_ms : 0;
	kft__k8s_streams *ss = NULL;
	logstream **ls = NULL;
	size_t nls = 0, i;
	kft__strv done = KFT__STRV_INIT;
	int error = 0, matched = 0;

	if (!follow) {
		kft_job_t *job = NULL;
		cJSON *tj = NULL, *pods = NULL;
		const cJSON **arr = NULL;
		podinfo *pi = NULL;
		size_t n = 0, npi = 0, found = 0;

		if ((error = get_job_docs(&job, &tj, &pods, k, name)) < 0)
			return error;
		if ((arr = items_array(pods, &n)) == NULL ||
		    (error = collect_pods(&pi, &npi, arr, n)) < 0) {
			error = error ? error : kft__error_oom();
			goto once_out;
		}
		for (i = 0; i < npi; i++)
			found += step_matches(want, &pi[i]);
		if (want && !found && (kft_job_state(job) == KFT_JOB_COMPLETE ||
		                       kft_job_state(job) == KFT_JOB_FAILED)) {
			error = kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_INVALID,
			                       "TrainJob %s has no step \"%s\"", name, want);
			goto once_out;
		}
		error = logs_once(k, pi, npi, o, prefix, cb, payload);
once_out:
		free(pi);
		free((void *)arr);
		kft_job_free(job);
		cJSON_Delete(tj);
		cJSON_Delete(pods);
		return error;
	}
	if ((error = kft__k8s_streams_new(&ss, k)) < 0)
		return error;
	for (;;) {
		kft_job_t *job = NULL;
		cJSON *tj = NULL, *pods = NULL;
		const cJSON **arr = NULL;
		podinfo *pi = NULL;
		size_t n = 0, npi = 0, pending = 0, active = 0;
		int finished;

		if ((error = get_job_docs(&job, &tj, &pods, k, name)) < 0)
			break;
		finished = kft_job_state(job) == KFT_JOB_COMPLETE || kft_job_state(job) == KFT_JOB_FAILED;
		if ((arr = items_array(pods, &n)) == NULL ||
		    (error = collect_pods(&pi, &npi, arr, n)) < 0) {
			error = error ? error : kft__error_oom();
			goto round_out;
		}
		for (i = 0; i < npi; i++) {
			logstream *l, **nl;
			size_t j;
			int have = 0;

			if (!step_matches(want, &pi[i]))
				continue;
			matched = 1;
			for (j = 0; j < nls; j++)
				have |= !strcmp(ls[j]->pod, pi[i].name);
			if (have || strv_has(&done, pi[i].name))
				continue;
			if (!pi[i].phase || kft__streq(pi[i].phase, "Pending")) {
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
			snprintf(l->step, sizeof(l->step), "%s", pi[i].step);
			snprintf(l->pod, sizeof(l->pod), "%s", pi[i].name);
			l->prefix = prefix;
			l->cb = cb;
			l->payload = payload;
			if ((error = log_path((char **)&l->s.req.path, k, &pi[i], o, 1)) < 0)
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

			for (i = 0; i < npi; i++)
				if (step_matches(want, &pi[i]) && !terminal_phase(pi[i].phase))
					all_terminal = 0;
			if (all_terminal)
				goto round_out_stop;
		}
		if (!want && active == 0 && pending == 0 && done.n > 0 && npi > 0) {
			int all_terminal = 1;

			for (i = 0; i < npi; i++)
				if (!terminal_phase(pi[i].phase))
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
		free(pi);
		free((void *)arr);
		kft_job_free(job);
		cJSON_Delete(tj);
		cJSON_Delete(pods);
		continue;
round_out_stop:
		error = error < 0 ? error : 0;
round_out:
		free(pi);
		free((void *)arr);
		kft_job_free(job);
		cJSON_Delete(tj);
		cJSON_Delete(pods);
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

/* ---- backend ---- */

static void be_free(kft_backend_t *be)
{
	k8s_backend *b = (k8s_backend *)be;

	if (!b)
		return;
	kft__k8s_cleanup(&b->k);
	free(b);
}

int kft__backend_kubernetes_factory(kft_backend_t **out, const kft_client_opts_t *opts,
                                    void *payload)
{
	k8s_backend *b;
	int error;

	(void)payload;
	*out = NULL;
	KFT_CHECK_ALLOC(b = kft__calloc(1, sizeof(*b)));
	if ((error = kft__k8s_config_load(&b->k.cfg, opts ? opts->kubeconfig : NULL,
	                                  opts ? opts->context : NULL, opts ? opts->ns : NULL)) < 0 ||
	    (error = kft__k8s_init(&b->k, opts ? opts->timeout_ms : 0)) < 0) {
		be_free(&b->be);
		return error;
	}
	kft__log(KFT_DIAG_DEBUG, "kubernetes: server %s, namespace %s, from %s%s%s", b->k.cfg.server,
	         b->k.cfg.ns, b->k.cfg.origin, b->k.cfg.context ? ", context " : "",
	         b->k.cfg.context ? b->k.cfg.context : "");
	b->be.version = KFT_BACKEND_VERSION;
	b->be.name = "kubernetes";
	b->be.submit = be_submit;
	b->be.render_plan = be_render_plan;
	b->be.get_job = be_get_job;
	b->be.list_jobs = be_list_jobs;
	b->be.wait = be_wait;
	b->be.logs = be_logs;
	b->be.delete_job = be_delete_job;
	b->be.suspend_job = be_suspend_job;
	b->be.get_events = be_get_events;
	b->be.list_runtimes = be_list_runtimes;
	b->be.get_runtime = runtime_get_for_error;
	b->be.free = be_free;
	*out = &b->be;
	return 0;
}

/* For tests: a TrainJob LIST body through the streaming parser, fed in chunks. */
int kft__k8s_parse_job_list(kft_job_list_t **out, const char *text, size_t len, size_t chunk)
{
	list_ctx lc;
	list_stream ls;
	size_t off;
	int error;

	*out = NULL;
	memset(&lc, 0, sizeof(lc));
	memset(&ls, 0, sizeof(ls));
	ls.parse = list_one;
	ls.count = count_jobs;
	ls.truncate = truncate_jobs;
	ls.payload = &lc;
	ls.what = "test";
	if ((error = kft_job_list_new(&lc.list)) < 0)
		return error;
	error = ls_sink(NULL, 0, &ls);
	for (off = 0; error == 0 && off < len; off += chunk)
		error = ls_sink(text + off, len - off < chunk ? len - off : chunk, &ls);
	if (error == 0)
		error = ls_run(&ls, 1);
	kft__buf_free(&ls.buf);
	free(ls.cont);
	arena_free(&lc.mem);
	if (error < 0) {
		kft_job_list_free(lc.list);
		return error;
	}
	*out = lc.list;
	return 0;
}
