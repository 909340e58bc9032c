/*
 * kubernetes: kft_get_events - the events of a TrainJob, its JobSet, Jobs and pods.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "k8s.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- events ---- */

static int events_for(kft_event_list_t *list, kft__k8s *k, const char *kind, const char *name)
{
	kft__buf q = KFT__BUF_INIT, sel = KFT__BUF_INIT;
	cJSON *doc = NULL;
	const cJSON *it;
	char *path;
	int error;

	KFT_CHECK_ALLOC(path = kft__k8s_ns_path(k, "/api/v1", k->cfg.ns, "events", NULL, NULL));
	kft__buf_puts(&q, path);
	free(path);
	kft__buf_printf(&sel, "involvedObject.kind=%s,involvedObject.name=%s", kind, name);
	kft__k8s_add_query(&q, k, "fieldSelector", sel.ptr ? sel.ptr : "");
	kft__buf_free(&sel);
	if (q.oom) {
		kft__buf_free(&q);
		return kft__error_oom();
	}
	error = kft__k8s_get_json(&doc, NULL, k, q.ptr, "list events");
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

int kft__k8s_get_events(kft_event_list_t **out, kft_backend_t *be, const char *name)
{
	kft__k8s *k = kft__k8s_be(be);
	kft_event_list_t *list = NULL;
	cJSON *tj = NULL, *pods = NULL;
	const cJSON *it;
	kft__strv jobs = KFT__STRV_INIT;
	kft_job_t *job = NULL;
	size_t i;
	int error;

	if ((error = kft__k8s_get_job_docs(&job, &tj, &pods, k, name)) < 0)
		return error;
	kft_job_free(job);
	cJSON_ArrayForEach(it, kft__json_get(pods, "items")) {
		const char *jn = kft__k8s_label(it, "batch.kubernetes.io/job-name");

		if (!jn)
			jn = kft__k8s_label(it, "job-name");
		if (jn && !kft__strv_has(&jobs, jn) && (error = kft__strv_push(&jobs, jn)) < 0)
			goto out;
		if (!jn && kft__k8s_label(it, KFT__K8S_LBL_RJOB)) {
			const char *ji = kft__k8s_label(it, KFT__K8S_LBL_JOBINDEX);

			if ((error = kft__strv_pushf(&jobs, "%s-%s-%s", name, kft__k8s_label(it, KFT__K8S_LBL_RJOB),
			                             ji ? ji : "0")) < 0)
				goto out;
			if (jobs.n > 1 && kft__strv_has(&(kft__strv){ jobs.v, jobs.n - 1, 0 },
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
