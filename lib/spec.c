/*
 * kft_spec_t: one TrainJob, kept as a canonical (v2.2+ form) JSON tree, plus
 * the pending script or builtin trainer that is expanded at render time.
 * This file: life cycle, canonical form, parse, finalize, render, validate and
 * the generic getters. Setters: spec_set.c; Trainer versions: spec_version.c.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "spec.h"
#include "builtin.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cJSON *new_doc(void)
{
	cJSON *d = cJSON_CreateObject();

	if (!d)
		return NULL;
	if (!cJSON_AddStringToObject(d, "apiVersion", "trainer.kubeflow.org/v1alpha1") ||
	    !cJSON_AddStringToObject(d, "kind", "TrainJob") || !cJSON_AddObjectToObject(d, "metadata") ||
	    !cJSON_AddObjectToObject(d, "spec")) {
		cJSON_Delete(d);
		return NULL;
	}
	return d;
}

int kft_spec_new(kft_spec_t **out)
{
	kft_spec_t *s;

	KFT_ASSERT_ARG(out);
	*out = NULL;
	KFT_CHECK_ALLOC(s = kft__calloc(1, sizeof(*s)));
	if ((s->doc = new_doc()) == NULL) {
		free(s);
		return kft__error_oom();
	}
	*out = s;
	return 0;
}

void kft_spec_free(kft_spec_t *spec)
{
	if (!spec)
		return;
	cJSON_Delete(spec->doc);
	cJSON_Delete(spec->script);
	cJSON_Delete(spec->builtin);
	free(spec->builtin_name);
	free(spec);
}

int kft_spec_dup(kft_spec_t **out, const kft_spec_t *spec)
{
	kft_spec_t *s;

	KFT_ASSERT_ARG(out && spec);
	*out = NULL;
	KFT_CHECK_ALLOC(s = kft__calloc(1, sizeof(*s)));
	s->doc = cJSON_Duplicate(spec->doc, 1);
	s->script = spec->script ? cJSON_Duplicate(spec->script, 1) : NULL;
	s->builtin = spec->builtin ? cJSON_Duplicate(spec->builtin, 1) : NULL;
	s->builtin_name = spec->builtin_name ? kft__strdup(spec->builtin_name) : NULL;
	if (!s->doc || (spec->script && !s->script) || (spec->builtin && !s->builtin) ||
	    (spec->builtin_name && !s->builtin_name)) {
		kft_spec_free(s);
		return kft__error_oom();
	}
	*out = s;
	return 0;
}

const cJSON *kft__spec_doc(const kft_spec_t *spec)
{
	return spec ? spec->doc : NULL;
}

const cJSON *kft__spec_builtin(const kft_spec_t *spec, const char **name)
{
	if (name)
		*name = spec ? spec->builtin_name : NULL;
	return spec ? spec->builtin : NULL;
}

int kft__spec_set_builtin(kft_spec_t *spec, const char *name, cJSON *config)
{
	char *n = kft__strdup(name);

	if (!n) {
		cJSON_Delete(config);
		return kft__error_oom();
	}
	free(spec->builtin_name);
	cJSON_Delete(spec->builtin);
	spec->builtin_name = n;
	spec->builtin = config;
	/* a builtin trainer replaces a script trainer and explicit command/args */
	cJSON_Delete(spec->script);
	spec->script = NULL;
	return 0;
}

/* ---- canonical form: known keys first, in Kubeflow's order ---- */

static void reorder(cJSON *obj, const char *const *keys)
{
	cJSON *front = NULL, *tail = NULL;
	size_t i;

	if (!cJSON_IsObject(obj))
		return;
	for (i = 0; keys[i]; i++) {
		cJSON *it = cJSON_DetachItemFromObjectCaseSensitive(obj, keys[i]);

		if (!it)
			continue;
		it->prev = tail;
		it->next = NULL;
		if (tail)
			tail->next = it;
		else
			front = it;
		tail = it;
	}
	if (!front)
		return;
	/* splice: front..tail, then whatever remained */
	tail->next = obj->child;
	if (obj->child) {
		cJSON *last = obj->child->prev;

		obj->child->prev = tail;
		front->prev = last;
	} else {
		front->prev = tail;
	}
	obj->child = front;
}

void kft__spec_canonicalize(cJSON *doc)
{
	static const char *const top[] = { "apiVersion", "kind", "metadata", "spec", "status", NULL };
	static const char *const meta[] = { "name", "namespace", "labels", "annotations", NULL };
	static const char *const spec[] = { "runtimeRef", "initializer", "trainer", "labels",
		"annotations", "podSpecOverrides", "podTemplateOverrides", "runtimePatches", "suspend",
		"managedBy", "activeDeadlineSeconds", NULL };
	static const char *const rref[] = { "name", "kind", "apiGroup", NULL };
	static const char *const init[] = { "dataset", "model", NULL };
	static const char *const initx[] = { "storageUri", "env", "secretRef", NULL };
	static const char *const trainer[] = { "image", "command", "args", "env", "numNodes",
		"numProcPerNode", "resourcesPerNode", NULL };
	static const char *const res[] = { "limits", "requests", NULL };
	cJSON *s = cJSON_GetObjectItemCaseSensitive(doc, "spec");

	reorder(doc, top);
	reorder(cJSON_GetObjectItemCaseSensitive(doc, "metadata"), meta);
	reorder(s, spec);
	reorder(kft__json_path(s, "runtimeRef"), rref);
	reorder(kft__json_path(s, "initializer"), init);
	reorder(kft__json_path(s, "initializer.dataset"), initx);
	reorder(kft__json_path(s, "initializer.model"), initx);
	reorder(kft__json_path(s, "trainer"), trainer);
	reorder(kft__json_path(s, "trainer.resourcesPerNode"), res);
}

/* ---- parse ---- */

static int check_doc_shape(const cJSON *doc)
{
	const char *kind = kft__json_str(doc, "kind"), *api = kft__json_str(doc, "apiVersion");
	const cJSON *spec = kft__json_get(doc, "spec"), *meta = kft__json_get(doc, "metadata");

	if (!cJSON_IsObject(doc))
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE,
		                      "TrainJob: the document must be a mapping");
	if (kind && strcmp(kind, "TrainJob"))
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE,
		                      "kind: expected TrainJob, got \"%s\"", kind);
	if (api && strcmp(api, "trainer.kubeflow.org/v1alpha1"))
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE,
		                      "apiVersion: expected trainer.kubeflow.org/v1alpha1, got \"%s\"", api);
	if (meta && !cJSON_IsObject(meta))
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE, "metadata: must be a mapping");
	if (spec && !cJSON_IsObject(spec))
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE, "spec: must be a mapping");
	return 0;
}

/* Old (v2.0/v2.1) override fields -> canonical runtimePatches. */

/*
 * The TrainJob document of text. A file may hold several documents (upstream
 * examples put a runtime and the TrainJob in one file, as kubectl accepts):
 * then the one of kind TrainJob is taken.
 */
static int pick_trainjob(cJSON **out, const char *text, size_t len)
{
	cJSON *docs, *d;
	int n, found = 0, i = 0, at = 0, error;

	*out = NULL;
	if ((error = kft__yaml_parse_all(&docs, text, len, "TrainJob")) < 0)
		return error;
	n = cJSON_GetArraySize(docs);
	if (n == 1) {
		*out = cJSON_DetachItemFromArray(docs, 0);
	} else {
		cJSON_ArrayForEach(d, docs) {
			if (kft__streq(kft__json_str(d, "kind"), "TrainJob")) {
				found++;
				at = i;
			}
			i++;
		}
		if (n == 0)
			error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE,
			                       "TrainJob: empty document");
		else if (found != 1)
			error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE,
			                       "TrainJob: expected one document of kind TrainJob among the "
			                       "%d YAML documents, found %d", n, found);
		else
			*out = cJSON_DetachItemFromArray(docs, at);
	}
	cJSON_Delete(docs);
	return error;
}

int kft_spec_parse(kft_spec_t **out, const char *text, size_t len)
{
	cJSON *doc;
	kft_spec_t *s;
	int error;

	KFT_ASSERT_ARG(out && (text || len == 0));
	*out = NULL;
	if (len == 0)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE,
		                      "TrainJob: empty document (0 bytes)");
	if ((error = pick_trainjob(&doc, text, len)) < 0)
		return error;
	if ((error = check_doc_shape(doc)) < 0 || (error = kft__spec_upgrade_old_fields(doc)) < 0) {
		cJSON_Delete(doc);
		return error;
	}
	if (!kft__json_get(doc, "apiVersion"))
		cJSON_AddStringToObject(doc, "apiVersion", "trainer.kubeflow.org/v1alpha1");
	if (!kft__json_get(doc, "kind"))
		cJSON_AddStringToObject(doc, "kind", "TrainJob");
	if (!kft__json_get(doc, "metadata"))
		cJSON_AddObjectToObject(doc, "metadata");
	if (!kft__json_get(doc, "spec"))
		cJSON_AddObjectToObject(doc, "spec");
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "status");
	kft__spec_canonicalize(doc);
	if ((s = kft__calloc(1, sizeof(*s))) == NULL) {
		cJSON_Delete(doc);
		return kft__error_oom();
	}
	s->doc = doc;
	*out = s;
	return 0;
}

int kft_spec_parse_file(kft_spec_t **out, const char *path)
{
	char *text;
	size_t len;
	int error;

	KFT_ASSERT_ARG(out && path);
	*out = NULL;
	if ((error = kft__read_file(&text, &len, path)) < 0)
		return error;
	error = kft_spec_parse(out, text, len);
	free(text);
	if (error < 0)
		kft__error_prefix("%s", path);
	return error;
}

/* ---- render ---- */

int kft__spec_finalize(cJSON **out, const kft_spec_t *spec, const kft_runtime_t *rt)
{
	cJSON *doc;
	kft_runtime_t *owned = NULL;
	int error = 0;

	*out = NULL;
	KFT_CHECK_ALLOC(doc = cJSON_Duplicate(spec->doc, 1));
	if ((spec->script || spec->builtin) && !rt) {
		const char *name = kft_spec_runtime_name(spec);

		/* an unknown runtime is reported by validation; expand with defaults */
		if (kft__catalog_get(&owned, NULL, name ? name : "torch-distributed") == 0)
			rt = owned;
		kft_error_clear();
	}
	if (spec->script)
		error = kft__script_expand(doc, spec->script, rt);
	else if (spec->builtin) {
		const kft__builtin_trainer *bt = kft__builtin_find(spec->builtin_name);

		if (!bt)
			error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
			                       "unknown builtin trainer \"%s\"", spec->builtin_name);
		else
			error = bt->to_trainer(doc, spec->builtin, rt);
	}
	kft_runtime_free(owned);
	if (error < 0) {
		cJSON_Delete(doc);
		return error;
	}
	/* drop empty containers left by setters */
	{
		cJSON *s = cJSON_GetObjectItemCaseSensitive(doc, "spec");
		cJSON *t = kft__json_path(doc, "spec.trainer");

		if (t && !t->child)
			cJSON_DeleteItemFromObjectCaseSensitive(s, "trainer");
	}
	kft__spec_canonicalize(doc);
	*out = doc;
	return 0;
}

int kft_spec_render(char **out, const kft_spec_t *spec, const kft_render_opts_t *opts)
{
	kft_render_opts_t o;
	cJSON *doc;
	int error;

	KFT_ASSERT_ARG(out && spec);
	*out = NULL;
	if ((error = kft__render_opts_read(&o, opts)) < 0)
		return error;
	if ((error = kft__spec_finalize(&doc, spec, NULL)) < 0)
		return error;
	if (o.trainer_version && (error = kft__spec_convert(doc, o.trainer_version)) < 0) {
		cJSON_Delete(doc);
		return error;
	}
	error = kft__render_doc(out, doc, o.format == KFT_FORMAT_JSON ? KFT_FORMAT_JSON :
	                        KFT_FORMAT_YAML);
	cJSON_Delete(doc);
	return error;
}

int kft__spec_validate_final(const cJSON *doc, const kft_runtime_t *runtime)
{
	const cJSON *ref = kft__json_path(doc, "spec.runtimeRef");
	const char *name = kft__json_str(ref, "name");
	kft_runtime_t *owned = NULL;
	int error;

	if (!runtime && name) {
		/* a namespaced TrainingRuntime may exist only in the cluster */
		if (kft__catalog_get(&owned, NULL, name) == 0 ||
		    kft__streq(kft__json_str(ref, "kind"), "TrainingRuntime"))
			runtime = owned;
		kft_error_clear();
	}
	error = kft__validate_doc(doc, runtime);
	kft_runtime_free(owned);
	return error;
}

int kft_spec_validate(const kft_spec_t *spec, const kft_runtime_t *runtime)
{
	cJSON *doc;
	int error;

	KFT_ASSERT_ARG(spec);
	if ((error = kft__spec_finalize(&doc, spec, runtime)) == 0) {
		error = kft__spec_validate_final(doc, runtime);
		cJSON_Delete(doc);
	}
	return error;
}

int kft__spec_from_final(kft_spec_t **out, cJSON *doc)
{
	kft_spec_t *s;

	*out = NULL;
	if (!(s = kft__calloc(1, sizeof(*s)))) {
		cJSON_Delete(doc);
		return kft__error_oom();
	}
	s->doc = doc;
	*out = s;
	return 0;
}

/* ---- getters and generic access ---- */

const char *kft_spec_name(const kft_spec_t *spec)
{
	return spec ? kft__json_str(kft__json_get(spec->doc, "metadata"), "name") : NULL;
}

const char *kft_spec_namespace(const kft_spec_t *spec)
{
	return spec ? kft__json_str(kft__json_get(spec->doc, "metadata"), "namespace") : NULL;
}

const char *kft_spec_runtime_name(const kft_spec_t *spec)
{
	return spec ? kft__json_str(kft__json_path(spec->doc, "spec.runtimeRef"), "name") : NULL;
}

int64_t kft_spec_num_nodes(const kft_spec_t *spec)
{
	const cJSON *n = spec ? kft__json_path(spec->doc, "spec.trainer.numNodes") : NULL;

	return kft__json_int(n, INT64_MIN, INT64_MAX, KFT_UNSET);
}

int kft_spec_get_json(char **out, const kft_spec_t *spec, const char *path)
{
	const cJSON *it;

	KFT_ASSERT_ARG(out && spec && path);
	*out = NULL;
	if ((it = kft__json_path(spec->doc, path)) == NULL)
		return kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_INVALID, "%s: not set", path);
	KFT_CHECK_ALLOC(*out = cJSON_PrintUnformatted(it));
	return 0;
}

int kft_spec_set_json(kft_spec_t *spec, const char *path, const char *json)
{
	cJSON *v, *parent;
	char *pp, *dot;
	int error;

	KFT_ASSERT_ARG(spec && path && *path && json);
	if ((v = cJSON_Parse(json)) == NULL)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE, "%s: invalid JSON value", path);
	if ((pp = kft__strdup(path)) == NULL) {
		cJSON_Delete(v);
		return kft__error_oom();
	}
	dot = strrchr(pp, '.');
	if (dot) {
		*dot = '\0';
		parent = kft__json_path_mkobj(spec->doc, pp);
	} else {
		parent = spec->doc;
	}
	if (parent) {
		error = kft__json_set(parent, dot ? dot + 1 : pp, v);
	} else {
		cJSON_Delete(v);
		error = kft__error_oom();
	}
	free(pp);
	if (!error)
		kft__spec_canonicalize(spec->doc);
	return error;
}

int kft_spec_unset(kft_spec_t *spec, const char *path)
{
	char *pp, *dot;
	cJSON *parent;

	KFT_ASSERT_ARG(spec && path && *path);
	KFT_CHECK_ALLOC(pp = kft__strdup(path));
	dot = strrchr(pp, '.');
	if (dot) {
		*dot = '\0';
		parent = kft__json_path(spec->doc, pp);
	} else {
		parent = spec->doc;
	}
	if (parent)
		cJSON_DeleteItemFromObjectCaseSensitive(parent, dot ? dot + 1 : pp);
	free(pp);
	return 0;
}

