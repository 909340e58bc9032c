/* Runtime objects and lists. SPDX-License-Identifier: Apache-2.0 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

struct kft_runtime {
	cJSON *doc;
	char *source;
};

struct kft_runtime_list {
	kft_runtime_t **rt;
	size_t n, cap;
};

static const char *check_runtime(const cJSON *doc)
{
	const char *kind = kft__json_str(doc, "kind");

	if (!cJSON_IsObject(doc))
		return "not a mapping";
	if (!kind || (strcmp(kind, "ClusterTrainingRuntime") && strcmp(kind, "TrainingRuntime")))
		return "kind must be ClusterTrainingRuntime or TrainingRuntime";
	if (!kft__json_str(kft__json_get(doc, "metadata"), "name"))
		return "metadata.name is required";
	if (!cJSON_IsArray(kft__json_path(doc, "spec.template.spec.replicatedJobs")))
		return "spec.template.spec.replicatedJobs is required";
	return NULL;
}

int kft__runtime_from_json(kft_runtime_t **out, cJSON *doc)
{
	const char *problem;
	kft_runtime_t *rt;

	*out = NULL;
	if ((problem = check_runtime(doc)) != NULL) {
		const char *name = kft__json_str(kft__json_get(doc, "metadata"), "name");

		kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID, "runtime%s%s: %s",
		               name ? " " : "", name ? name : "", problem);
		cJSON_Delete(doc);
		return KFT_EINVALID;
	}
	if ((rt = kft__calloc(1, sizeof(*rt))) == NULL) {
		cJSON_Delete(doc);
		return kft__error_oom();
	}
	rt->doc = doc;
	*out = rt;
	return 0;
}

int kft_runtime_parse(kft_runtime_t **out, const char *text, size_t len)
{
	cJSON *doc;
	int error;

	KFT_ASSERT_ARG(out && (text || len == 0));
	*out = NULL;
	if (len == 0)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE,
		                      "runtime: empty document (0 bytes)");
	if ((error = kft__yaml_parse(&doc, text, len, "runtime")) < 0)
		return error;
	return kft__runtime_from_json(out, doc);
}

int kft_runtime_dup(kft_runtime_t **out, const kft_runtime_t *rt)
{
	cJSON *doc;
	int error;

	KFT_ASSERT_ARG(out && rt);
	*out = NULL;
	KFT_CHECK_ALLOC(doc = cJSON_Duplicate(rt->doc, 1));
	if ((error = kft__runtime_from_json(out, doc)) < 0)
		return error;
	if (rt->source && kft_runtime_set_source(*out, rt->source) < 0) {
		kft_runtime_free(*out);
		*out = NULL;
		return kft__error_oom();
	}
	return 0;
}

void kft_runtime_free(kft_runtime_t *rt)
{
	if (!rt)
		return;
	cJSON_Delete(rt->doc);
	free(rt->source);
	free(rt);
}

int kft_runtime_set_source(kft_runtime_t *rt, const char *source)
{
	KFT_ASSERT_ARG(rt);
	return kft__strdup_replace(&rt->source, source);
}

const cJSON *kft__runtime_doc(const kft_runtime_t *rt)
{
	return rt ? rt->doc : NULL;
}

const char *kft_runtime_name(const kft_runtime_t *rt)
{
	return rt ? kft__json_str(kft__json_get(rt->doc, "metadata"), "name") : NULL;
}

const char *kft_runtime_kind(const kft_runtime_t *rt)
{
	return rt ? kft__json_str(rt->doc, "kind") : NULL;
}

const char *kft_runtime_framework(const kft_runtime_t *rt)
{
	return rt ? kft__json_str(kft__json_path(rt->doc, "metadata.labels"),
	                          "trainer.kubeflow.org/framework") : NULL;
}

const char *kft_runtime_trainer_type(const kft_runtime_t *rt)
{
	if (!rt)
		return NULL;
	return kft__streq(kft_runtime_framework(rt), "torchtune") ? "BuiltinTrainer" : "CustomTrainer";
}

const char *kft_runtime_policy(const kft_runtime_t *rt)
{
	const cJSON *p;

	if (!rt)
		return NULL;
	p = kft__json_path(rt->doc, "spec.mlPolicy");
	if (kft__json_get(p, "torch"))
		return "torch";
	if (kft__json_get(p, "mpi"))
		return "mpi";
	if (kft__json_get(p, "jax"))
		return "jax";
	if (kft__json_get(p, "xgboost"))
		return "xgboost";
	if (kft__json_get(p, "flux"))
		return "flux";
	return "plain";
}

int64_t kft_runtime_num_nodes(const kft_runtime_t *rt)
{
	const cJSON *n = rt ? kft__json_path(rt->doc, "spec.mlPolicy.numNodes") : NULL;

	return kft__json_int(n, INT64_MIN, INT64_MAX, 1);
}

const cJSON *kft__runtime_rjob(const kft_runtime_t *rt, const char *name)
{
	return rt ? kft__json_find(kft__json_path(rt->doc, "spec.template.spec.replicatedJobs"), "name",
	                           name) : NULL;
}

const cJSON *kft__runtime_trainer_rjob(const kft_runtime_t *rt)
{
	const cJSON *arr = rt ? kft__json_path(rt->doc, "spec.template.spec.replicatedJobs") : NULL;
	const cJSON *r;

	cJSON_ArrayForEach(r, arr) {
		const char *step = kft__json_str(kft__json_path(r, "template.metadata.labels"),
		                                 "trainer.kubeflow.org/trainjob-ancestor-step");

		if (kft__streq(step, "trainer"))
			return r;
	}
	return kft__runtime_rjob(rt, "node");
}

const cJSON *kft__rjob_container(const cJSON *rjob, const char *cname)
{
	return kft__json_find(kft__json_path(rjob, "template.spec.template.spec.containers"), "name",
	                      cname);
}

const char *kft_runtime_image(const kft_runtime_t *rt)
{
	return kft__json_str(kft__rjob_container(kft__runtime_trainer_rjob(rt), "node"), "image");
}

const char *kft_runtime_source(const kft_runtime_t *rt)
{
	return rt ? (rt->source ? rt->source : "builtin") : NULL;
}

int kft_runtime_render(char **out, const kft_runtime_t *rt, const kft_render_opts_t *opts)
{
	kft_render_opts_t o;
	int error;

	KFT_ASSERT_ARG(out && rt);
	*out = NULL;
	if ((error = kft__render_opts_read(&o, opts)) < 0)
		return error;
	return kft__render_doc(out, rt->doc, o.format == KFT_FORMAT_JSON ? KFT_FORMAT_JSON :
	                       KFT_FORMAT_YAML);
}

int kft_runtime_list_new(kft_runtime_list_t **out)
{
	KFT_ASSERT_ARG(out);
	KFT_CHECK_ALLOC(*out = kft__calloc(1, sizeof(**out)));
	return 0;
}

int kft_runtime_list_add(kft_runtime_list_t *list, kft_runtime_t *rt)
{
	size_t i;

	if (!list || !rt) {
		kft_runtime_free(rt);
		KFT_ASSERT_ARG(list && rt);
	}
	for (i = 0; i < list->n; i++) {
		if (kft__streq(kft_runtime_name(list->rt[i]), kft_runtime_name(rt))) {
			kft_runtime_free(list->rt[i]);
			list->rt[i] = rt;
			return 0;
		}
	}
	if (kft__grow(&list->rt, &list->cap, list->n + 1, sizeof(*list->rt), 16) < 0) {
		kft_runtime_free(rt);
		return KFT_ENOMEM;
	}
	list->rt[list->n++] = rt;
	return 0;
}

size_t kft_runtime_list_count(const kft_runtime_list_t *list) { return list ? list->n : 0; }

const kft_runtime_t *kft_runtime_list_at(const kft_runtime_list_t *list, size_t i)
{
	return list && i < list->n ? list->rt[i] : NULL;
}

void kft_runtime_list_free(kft_runtime_list_t *list)
{
	size_t i;

	if (!list)
		return;
	for (i = 0; i < list->n; i++)
		kft_runtime_free(list->rt[i]);
	free(list->rt);
	free(list);
}
