/*
 * Training Operator v1 jobs on a cluster that still runs it: read-only LIST and
 * GET of kubeflow.org/v1 (and mpi-operator's v2beta1) jobs, each turned into a
 * job by kft__v1_job_from_json (lib/v1job.c), which maps the v1 status.
 * A kind whose CRD the cluster does not serve answers 404 and is skipped.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "k8s.h"

#include <stdlib.h>
#include <string.h>

/* GET one v1 collection or object; *served 0 when the API server answered 404. */
static int get_v1(cJSON **out, int *served, kft__k8s *k, const char *api, const char *plural,
                  const char *name)
{
	char prefix[64], *path;
	long status = 0;
	int error;

	*out = NULL;
	*served = 1;
	snprintf(prefix, sizeof(prefix), "/apis/%s", api);
	KFT_CHECK_ALLOC(path = kft__k8s_ns_path(k, prefix, k->cfg.ns, plural, name, NULL));
	error = kft__k8s_get_json(out, &status, k, path, name ? "get a v1 job" : "list v1 jobs");
	free(path);
	if (error < 0 && status == 404) {
		kft_error_clear();
		*served = 0;
		return 0;
	}
	return error;
}

static int be_list_v1_jobs(kft_job_list_t **out, kft_backend_t *be)
{
	kft__k8s *k = kft__k8s_be(be);
	const char *kind, *api, *plural;
	kft_job_list_t *list = NULL;
	size_t i;
	int error;

	*out = NULL;
	if ((error = kft_job_list_new(&list)) < 0)
		return error;
	for (i = 0; kft__v1_resource(&kind, &api, &plural, i); i++) {
		cJSON *doc = NULL, *it;
		int served;

		if ((error = get_v1(&doc, &served, k, api, plural, NULL)) < 0)
			break;
		cJSON_ArrayForEach(it, kft__json_get(doc, "items")) {
			kft_job_t *job;

			/* items of a list carry no apiVersion/kind: the list's resource says them */
			if (!kft__json_get(it, "kind") &&
			    (kft__json_set_str(it, "kind", kind) < 0 ||
			     kft__json_set_str(it, "apiVersion", api) < 0)) {
				error = kft__error_oom();
				break;
			}
			if ((error = kft__v1_job_from_json(&job, it, "kubernetes")) < 0 ||
			    (error = kft_job_list_add(list, job)) < 0)
				break;
		}
		cJSON_Delete(doc);
		if (error < 0)
			break;
	}
	if (error < 0) {
		kft_job_list_free(list);
		return error;
	}
	*out = list;
	return 0;
}

static int be_get_v1_job(kft_job_t **out, kft_backend_t *be, const char *want, const char *name)
{
	kft__k8s *k = kft__k8s_be(be);
	const char *kind, *api, *plural;
	size_t i;

	*out = NULL;
	/* MPIJob is served as v1 (Training Operator) or v2beta1 (mpi-operator): whichever is */
	for (i = 0; kft__v1_resource(&kind, &api, &plural, i); i++) {
		cJSON *doc = NULL;
		int served, error;

		if (strcmp(kind, want))
			continue;
		if ((error = get_v1(&doc, &served, k, api, plural, name)) < 0)
			return error;
		if (served) {
			error = kft__v1_job_from_json(out, doc, "kubernetes");
			cJSON_Delete(doc);
			return error;
		}
	}
	return kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_K8S, "%s \"%s\" not found in namespace "
	                      "%s (or the cluster serves no %s)", want, name, k->cfg.ns, want);
}

void kft__k8s_v1_methods(kft_backend_t *be)
{
	be->list_v1_jobs = be_list_v1_jobs;
	be->get_v1_job = be_get_v1_job;
}
