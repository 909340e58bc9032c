/*
 * The kubernetes backend: TrainJobs on a cluster running Kubeflow Trainer,
 * over the REST API (http.c), configured from kubeconfig (kubeconfig.c).
 * Status is computed from the TrainJob's conditions and its pods (JobSet
 * labels) - never from a live runtime lookup, so jobs stay readable after
 * their runtime is deleted.
 * This file: request paths, the cluster's Trainer version, delete/suspend and
 * the vtable. runtimes.c, jobs.c (the job view), list.c, submit.c, events.c,
 * watch.c (kft_wait) and logs.c hold the rest.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "k8s.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- paths ---- */

char *kft__k8s_esc(kft__k8s *k, const char *s)
{
	return kft__k8s_escape(k, s ? s : "");
}

/* "/apis/trainer.kubeflow.org/v1alpha1/namespaces/<ns>/<plural>[/<name>]" */
char *kft__k8s_ns_path(kft__k8s *k, const char *prefix, const char *ns, const char *plural,
                     const char *name, const char *sub)
{
	char *ens = kft__k8s_esc(k, ns), *en = name ? kft__k8s_esc(k, name) : NULL;
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
void kft__k8s_add_query(kft__buf *b, kft__k8s *k, const char *key, const char *value)
{
	char *e = kft__k8s_esc(k, value);

	if (!e) {
		b->oom = 1;
		return;
	}
	kft__buf_printf(b, "%s%s=%s", strchr(b->ptr ? b->ptr : "", '?') ? "&" : "?", key, e);
	free(e);
}

void kft__k8s_add_query_int(kft__buf *b, kft__k8s *k, const char *key, long long value)
{
	char v[32];

	snprintf(v, sizeof(v), "%lld", value);
	kft__k8s_add_query(b, k, key, v);
}

int kft__k8s_get_json(cJSON **out, long *status, kft__k8s *k, const char *path, const char *what)
{
	kft__k8s_req r = { "GET", path, NULL, NULL, 1, what };

	return kft__k8s_request_json(out, status, k, &r);
}

/* ---- Trainer version ---- */

/* minor version of Trainer for rendering: 0, 1, or 2 for "v2.2 and later" */
int kft__k8s_trainer_minor(const char *v)
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

int kft__k8s_trainer_version(const char **out, kft__k8s *k)
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
	KFT_CHECK_ALLOC(path = kft__k8s_ns_path(k, "/api/v1", sysns, "configmaps",
	                               "kubeflow-trainer-public", NULL));
	error = kft__k8s_get_json(&cm, &status, k, path, "get the Trainer version");
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

/* ---- delete / suspend ---- */

static int be_delete_job(kft_backend_t *be, const char *name, const kft_delete_opts_t *opts)
{
	kft__k8s *k = kft__k8s_be(be);
	const char *prop = opts ? opts->propagation : NULL;
	kft__buf q = KFT__BUF_INIT;
	char *path;
	int error;

	if (prop && strcmp(prop, "Foreground") && strcmp(prop, "Background") && strcmp(prop, "Orphan"))
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "propagation: must be Foreground, Background or Orphan, got \"%s\"",
		                      prop);
	KFT_CHECK_ALLOC(path = kft__k8s_ns_path(k, KFT__K8S_API_TRAINER, k->cfg.ns, "trainjobs", name, NULL));
	kft__buf_puts(&q, path);
	free(path);
	if (prop)
		kft__k8s_add_query(&q, k, "propagationPolicy", prop);
	if (opts && opts->grace_period_ms >= 0)
		kft__k8s_add_query_int(&q, k, "gracePeriodSeconds",
		                       (long long)((opts->grace_period_ms + 999) / 1000));
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
	kft__k8s *k = kft__k8s_be(be);
	char *path;
	int error;
	kft__buf resp = KFT__BUF_INIT;

	KFT_CHECK_ALLOC(path = kft__k8s_ns_path(k, KFT__K8S_API_TRAINER, k->cfg.ns, "trainjobs", name, NULL));
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

/* ---- backend ---- */

static void be_free(kft_backend_t *be)
{
	kft__k8s_backend *b = (kft__k8s_backend *)be;

	if (!b)
		return;
	kft__k8s_cleanup(&b->k);
	free(b);
}

/* The vtable (include/kftrainer/sys/backend.h); every client gets a copy. */
static const kft_backend_t kubernetes_backend = {
	.version = KFT_BACKEND_VERSION,
	.name = "kubernetes",
	.submit = kft__k8s_submit,
	.render_plan = kft__k8s_render_plan,
	.get_job = kft__k8s_get_job,
	.get_manifest = kft__k8s_get_manifest,
	.list_jobs = kft__k8s_list_jobs,
	.wait = kft__k8s_wait,
	.logs = kft__k8s_logs,
	.delete_job = be_delete_job,
	.suspend_job = be_suspend_job,
	.get_events = kft__k8s_get_events,
	.list_runtimes = kft__k8s_list_runtimes,
	.get_runtime = kft__k8s_get_runtime,
	.resolve_runtime = kft__k8s_resolve_runtime,
	.caps = KFT_BACKEND_CAP_REMOTE_RUNTIMES,
	.free = be_free,
};

int kft__backend_kubernetes_factory(kft_backend_t **out, const kft_client_opts_t *opts,
                                    void *payload)
{
	kft__k8s_backend *b;
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
	b->be = kubernetes_backend;
	kft__k8s_v1_methods(&b->be);
	*out = &b->be;
	return 0;
}
