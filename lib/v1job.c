/*
 * Training Operator v1 jobs read from a cluster (MIGRATION.md section 9):
 * the kinds a cluster may serve (kft__v1_resource), a "pytorchjob/NAME"
 * reference (kft__v1_ref), and a v1 job object as a kft_job_t
 * (kft__v1_job_from_json: state from its conditions, steps from its
 * replicaStatuses). The v1 kinds table is convert.c's (v1kind.h).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "v1kind.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int kft__v1_resource(const char **kind, const char **api, const char **plural, size_t i)
{
	if (i >= kft__v1_nkinds)
		return 0;
	*kind = kft__v1_kinds[i].kind;
	*api = kft__v1_kinds[i].api;
	*plural = kft__v1_kinds[i].plural;
	return 1;
}

int kft__v1_ref(const char **kind, char **name, const char *ref)
{
	const char *slash = ref ? strchr(ref, '/') : NULL;
	size_t i, n = slash ? (size_t)(slash - ref) : 0;

	*kind = NULL;
	*name = NULL;
	for (i = 0; slash && i < kft__v1_nkinds; i++) {
		size_t k = strlen(kft__v1_kinds[i].kind);

		/* the kind, singular or plural, any case: pytorchjob, PyTorchJob, pytorchjobs */
		if ((n == k && !strncasecmp(ref, kft__v1_kinds[i].kind, k)) ||
		    (n == k + 1 && !strncasecmp(ref, kft__v1_kinds[i].plural, n)))
			*kind = kft__v1_kinds[i].kind;
	}
	if (!*kind)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "\"%s\": expected KIND/NAME with a Training Operator v1 kind "
		                      "(pytorchjob, tfjob, mpijob, xgboostjob, jaxjob, paddlejob)",
		                      ref ? ref : "");
	if (!slash[1] || strlen(slash + 1) > 253 || strchr(slash + 1, '/'))
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "\"%s\": the job name after %.*s/ must be 1 to 253 characters "
		                      "without '/'", ref, (int)n, ref);
	KFT_CHECK_ALLOC(*name = kft__strdup(slash + 1));
	return 0;
}

/* The last condition of this type with status True, or NULL. */
static const cJSON *true_condition(const cJSON *conds, const char *type)
{
	const cJSON *c, *found = NULL;

	cJSON_ArrayForEach(c, conds)
		if (kft__streq(kft__json_str(c, "type"), type) &&
		    kft__streq(kft__json_str(c, "status"), "True"))
			found = c;
	return found;
}

/* Steps: one per replica type in status.replicaStatuses (active, succeeded, failed). */
static int v1_steps(kft_job_t *job, const kft__v1_kind *k, const cJSON *obj)
{
	const cJSON *rs = kft__json_path(obj, "status.replicaStatuses");
	const char *const *r;
	int error;

	for (r = k->roles; *r; r++) {
		const cJSON *st = kft__json_get(rs, *r);
		const cJSON *spec = kft__json_get(kft__json_path(obj, "spec"), k->rkey);
		int64_t want = 1, act, ok, bad;
		int state;

		if (!st)
			continue;
		kft__v1_replicas(&want, kft__json_get(spec, *r), "");
		kft_error_clear();
		act = (int64_t)cJSON_GetNumberValue(kft__json_get(st, "active"));
		ok = (int64_t)cJSON_GetNumberValue(kft__json_get(st, "succeeded"));
		bad = (int64_t)cJSON_GetNumberValue(kft__json_get(st, "failed"));
		state = bad > 0 ? KFT_STEP_FAILED : act > 0 ? KFT_STEP_RUNNING :
		        ok > 0 && ok >= want ? KFT_STEP_SUCCEEDED : KFT_STEP_PENDING;
		if ((error = kft_job_add_step(job, *r, state, NULL, -1, 0, NULL)) < 0)
			return error;
	}
	return 0;
}

static int64_t time_of(const cJSON *obj, const char *key)
{
	return kft__time_rfc3339_ms(kft__json_str(obj, key));
}

int kft__v1_job_from_json(kft_job_t **out, const cJSON *obj, const char *backend)
{
	static const struct { const char *type; int state; } order[] = {
		{ "Succeeded", KFT_JOB_COMPLETE }, { "Failed", KFT_JOB_FAILED },
		{ "Suspended", KFT_JOB_SUSPENDED }, { "Restarting", KFT_JOB_RUNNING },
		{ "Running", KFT_JOB_RUNNING }, { "Created", KFT_JOB_CREATED } };
	const kft__v1_kind *k = kft__v1_kind_of(obj);
	const cJSON *meta = kft__json_get(obj, "metadata");
	const cJSON *st = kft__json_get(obj, "status"), *conds = kft__json_get(st, "conditions");
	const cJSON *c = NULL;
	const char *name = kft__json_str(meta, "name");
	kft_job_t *job = NULL;
	char ref[320], lower[32];
	int64_t nodes = 0;
	size_t i;
	int error, state = KFT_JOB_CREATED;

	*out = NULL;
	if (!k || !name)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE, "not a v1 job with a name");
	for (i = 0; k->kind[i] && i < sizeof(lower) - 1; i++)
		lower[i] = (char)tolower((unsigned char)k->kind[i]);
	lower[i] = '\0';
	snprintf(ref, sizeof(ref), "%s/%s", lower, name);
	for (i = 0; i < sizeof(order) / sizeof(order[0]) && !c; i++)
		if ((c = true_condition(conds, order[i].type)) != NULL)
			state = order[i].state;
	for (i = 0; k->roles[i]; i++) {
		const cJSON *rs = kft__json_get(kft__json_get(kft__json_get(obj, "spec"), k->rkey),
		                                k->roles[i]);
		int64_t n;

		if (rs && kft__v1_is_node_role(k->roles[i]) && kft__v1_replicas(&n, rs, "") == 0)
			nodes += n;
		kft_error_clear();
	}
	if ((error = kft_job_new(&job, ref, backend)) < 0 ||
	    (error = kft_job_set_namespace(job, kft__json_str(meta, "namespace"))) < 0 ||
	    (error = kft_job_set_runtime(job, k->kind)) < 0 ||
	    (error = kft_job_set_state(job, state, kft__json_str(c, "reason"),
	                               kft__json_str(c, "message"))) < 0 ||
	    (error = kft_job_set_num_nodes(job, nodes)) < 0 ||
	    (error = kft_job_set_times(job, time_of(meta, "creationTimestamp"),
	                               time_of(st, "startTime"), time_of(st, "completionTime"))) < 0 ||
	    (error = v1_steps(job, k, obj)) < 0) {
		kft_job_free(job);
		return error;
	}
	*out = job;
	return 0;
}
