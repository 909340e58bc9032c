/*
 * kubernetes: TrainingRuntimes and ClusterTrainingRuntimes from the cluster.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "k8s.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
		char *en = kft__k8s_esc(k, name);

		kft__buf_printf(&b, KFT__K8S_API_TRAINER "/clustertrainingruntimes/%s", en ? en : "");
		free(en);
		if (b.oom || !en) {
			kft__buf_free(&b);
			return kft__error_oom();
		}
		path = kft__buf_detach(&b);
	} else {
		KFT_CHECK_ALLOC(path = kft__k8s_ns_path(k, KFT__K8S_API_TRAINER, k->cfg.ns, "trainingruntimes", name, NULL));
	}
	error = kft__k8s_get_json(&doc, status, k, path, "get runtime");
	free(path);
	if (error < 0)
		return error;
	error = runtime_from(out, doc, cluster ? "ClusterTrainingRuntime" : "TrainingRuntime");
	cJSON_Delete(doc);
	return error;
}

/* The runtime a runtimeRef names: one GET, of the kind it names. */
int kft__k8s_resolve_runtime(kft_runtime_t **out, kft_backend_t *be, const char *name,
                             const char *kind)
{
	long status = 0;

	return get_one_runtime(out, &status, kft__k8s_be(be), name,
	                       !kft__streq(kind, "TrainingRuntime"));
}

static int be_get_runtime(kft_runtime_t **out, kft_backend_t *be, const char *name)
{
	kft__k8s *k = kft__k8s_be(be);
	long status = 0;
	int error;

	error = get_one_runtime(out, &status, k, name, 0);
	if (error != KFT_ENOTFOUND || status != 404)
		return error;
	error = get_one_runtime(out, &status, k, name, 1);
	if (error == KFT_ENOTFOUND && status == 404)
		return kft__k8s_not_found("");
	return error;
}

int kft__k8s_get_runtime(kft_runtime_t **out, kft_backend_t *be, const char *name)
{
	int error = be_get_runtime(out, be, name);

	if (error == KFT_ENOTFOUND && kft_error_last()->http_status == 404) {
		char msg[512];

		snprintf(msg, sizeof(msg), "runtime \"%s\" not found (checked TrainingRuntime in "
		         "namespace %s and ClusterTrainingRuntime)", name, kft__k8s_be(be)->cfg.ns);
		kft__k8s_not_found(msg);
	}
	return error;
}

static int list_items(cJSON **out, kft__k8s *k, const char *path, const char *what, long *status)
{
	return kft__k8s_get_json(out, status, k, path, what);
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

int kft__k8s_list_runtimes(kft_runtime_list_t **out, kft_backend_t *be)
{
	kft__k8s *k = kft__k8s_be(be);
	kft_runtime_list_t *list = NULL;
	cJSON *nsd = NULL, *cl = NULL;
	long status = 0;
	char *path;
	int error;

	KFT_CHECK_ALLOC(path = kft__k8s_ns_path(k, KFT__K8S_API_TRAINER, k->cfg.ns, "trainingruntimes", NULL, NULL));
	error = list_items(&nsd, k, path, "list TrainingRuntimes", &status);
	free(path);
	if (error < 0 && status == 404) {   /* tolerated, as the Python SDK does */
		kft_error_clear();
		error = 0;
	}
	if (error < 0)
		goto out;
	if ((error = list_items(&cl, k, KFT__K8S_API_TRAINER "/clustertrainingruntimes",
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
