/*
 * kft_spec_t: one TrainJob, kept as a canonical (v2.2+ form) JSON tree, plus
 * the pending script or builtin trainer that is expanded at render time.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "internal.h"
#include "builtin.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KFT__SDK_MANAGER "trainer.kubeflow.org/kubeflow-sdk"

struct kft_spec {
	cJSON *doc;
	cJSON *script;        /* pending script trainer (see script.c), or NULL */
	char *builtin_name;   /* pending builtin trainer, or NULL */
	cJSON *builtin;
};

int kft__script_expand(cJSON *doc, const cJSON *script, const kft_runtime_t *rt);
int kft__script_make(cJSON **out, const kft_script_opts_t *opts);

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

static void canonicalize(cJSON *doc)
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
static int upgrade_old_fields(cJSON *doc);

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
	if ((error = check_doc_shape(doc)) < 0 || (error = upgrade_old_fields(doc)) < 0) {
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
	canonicalize(doc);
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
	canonicalize(doc);
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

int kft_spec_validate(const kft_spec_t *spec, const kft_runtime_t *runtime)
{
	cJSON *doc;
	kft_runtime_t *owned = NULL;
	int error;

	KFT_ASSERT_ARG(spec);
	if (!runtime && kft_spec_runtime_name(spec)) {
		const char *kind = kft__json_str(kft__json_path(spec->doc, "spec.runtimeRef"), "kind");

		/* a namespaced TrainingRuntime may exist only in the cluster */
		if (kft__catalog_get(&owned, NULL, kft_spec_runtime_name(spec)) == 0 ||
		    kft__streq(kind, "TrainingRuntime"))
			runtime = owned;
		kft_error_clear();
	}
	if ((error = kft__spec_finalize(&doc, spec, runtime)) == 0) {
		error = kft__validate_doc(doc, runtime);
		cJSON_Delete(doc);
	}
	kft_runtime_free(owned);
	return error;
}

/* ---- setters ---- */

static cJSON *meta(kft_spec_t *s) { return kft__json_path_mkobj(s->doc, "metadata"); }
static cJSON *trainer(kft_spec_t *s) { return kft__json_path_mkobj(s->doc, "spec.trainer"); }

static int set_or_delete_str(cJSON *obj, const char *key, const char *value)
{
	if (!obj)
		return kft__error_oom();
	if (!value) {
		cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
		return 0;
	}
	return kft__json_set_str(obj, key, value);
}

int kft_spec_set_name(kft_spec_t *spec, const char *name)
{
	KFT_ASSERT_ARG(spec);
	return set_or_delete_str(meta(spec), "name", name);
}

int kft_spec_generate_name(kft_spec_t *spec)
{
	unsigned char r[7];
	char name[13];
	int i;

	KFT_ASSERT_ARG(spec);
	if (kft__random_bytes(r, sizeof(r)) < 0)
		return KFT_ERROR;
	name[0] = (char)('a' + r[0] % 26);
	for (i = 0; i < 11; i++) {
		unsigned v = (r[1 + i / 2] >> ((i % 2) * 4)) & 0xf;

		name[1 + i] = "0123456789abcdef"[v];
	}
	name[12] = '\0';
	return kft_spec_set_name(spec, name);
}

int kft_spec_set_namespace(kft_spec_t *spec, const char *ns)
{
	KFT_ASSERT_ARG(spec);
	return set_or_delete_str(meta(spec), "namespace", ns);
}

static int set_map_entry(cJSON *root, const char *path, const char *key, const char *value)
{
	cJSON *m;

	if (!value) {
		m = kft__json_path(root, path);
		if (m) {
			cJSON_DeleteItemFromObjectCaseSensitive(m, key);
			if (!m->child) {
				/* remove the now-empty map */
				char *parent = kft__strdup(path), *dot;

				if (!parent)
					return kft__error_oom();
				dot = strrchr(parent, '.');
				if (dot) {
					*dot = '\0';
					cJSON_DeleteItemFromObjectCaseSensitive(kft__json_path(root, parent), dot + 1);
				} else {
					cJSON_DeleteItemFromObjectCaseSensitive(root, parent);
				}
				free(parent);
			}
		}
		return 0;
	}
	KFT_CHECK_ALLOC(m = kft__json_path_mkobj(root, path));
	return kft__json_set_str(m, key, value);
}

int kft_spec_set_label(kft_spec_t *spec, const char *key, const char *value)
{
	KFT_ASSERT_ARG(spec && key && *key);
	return set_map_entry(spec->doc, "metadata.labels", key, value);
}

int kft_spec_set_annotation(kft_spec_t *spec, const char *key, const char *value)
{
	KFT_ASSERT_ARG(spec && key && *key);
	return set_map_entry(spec->doc, "metadata.annotations", key, value);
}

int kft_spec_set_runtime(kft_spec_t *spec, const char *name, const char *kind)
{
	cJSON *r;

	KFT_ASSERT_ARG(spec && name);
	KFT_CHECK_ALLOC(r = kft__json_path_mkobj(spec->doc, "spec.runtimeRef"));
	if (kft__json_set_str(r, "name", name) < 0 ||
	    kft__json_set_str(r, "kind", kind ? kind : "ClusterTrainingRuntime") < 0)
		return kft__error_oom();
	return 0;
}

int kft_spec_set_image(kft_spec_t *spec, const char *image)
{
	KFT_ASSERT_ARG(spec);
	return set_or_delete_str(trainer(spec), "image", image);
}

static int set_str_array(cJSON *obj, const char *key, const char *const *argv, size_t argc)
{
	cJSON *arr;
	size_t i;

	if (!obj)
		return kft__error_oom();
	if (argc == 0) {
		cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
		return 0;
	}
	KFT_ASSERT_ARG(argv);
	KFT_CHECK_ALLOC(arr = cJSON_CreateArray());
	for (i = 0; i < argc; i++) {
		cJSON *s;

		if (!argv[i]) {
			cJSON_Delete(arr);
			return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
			                      "%s[%zu]: NULL string", key, i);
		}
		if ((s = cJSON_CreateString(argv[i])) == NULL) {
			cJSON_Delete(arr);
			return kft__error_oom();
		}
		cJSON_AddItemToArray(arr, s);
	}
	return kft__json_set(obj, key, arr);
}

int kft_spec_set_command(kft_spec_t *spec, const char *const *argv, size_t argc)
{
	KFT_ASSERT_ARG(spec);
	if (argc) {
		/* an explicit command replaces a script or builtin trainer */
		cJSON_Delete(spec->script);
		spec->script = NULL;
	}
	return set_str_array(trainer(spec), "command", argv, argc);
}

int kft_spec_set_args(kft_spec_t *spec, const char *const *argv, size_t argc)
{
	KFT_ASSERT_ARG(spec);
	return set_str_array(trainer(spec), "args", argv, argc);
}

/* Upsert {name, value} in an EnvVar list at path. */
static int upsert_env(cJSON *root, const char *path, const char *name, const char *value)
{
	cJSON *parent, *arr, *e, *item;
	const char *dot = strrchr(path, '.');
	char ppath[128];

	if (!dot || (size_t)(dot - path) >= sizeof(ppath))
		return kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_INVALID, "bad env path");
	memcpy(ppath, path, (size_t)(dot - path));
	ppath[dot - path] = '\0';
	arr = kft__json_path(root, path);
	if (!value) {
		int i = 0;

		cJSON_ArrayForEach(e, arr) {
			if (kft__streq(kft__json_str(e, "name"), name)) {
				cJSON_DeleteItemFromArray(arr, i);
				break;
			}
			i++;
		}
		/* removing the last one removes the list (no "env: []" left behind) */
		if (cJSON_IsArray(arr) && !arr->child)
			cJSON_DeleteItemFromObjectCaseSensitive(kft__json_path(root, ppath), dot + 1);
		return 0;
	}
	KFT_CHECK_ALLOC(parent = kft__json_path_mkobj(root, ppath));
	if (!cJSON_IsArray(arr)) {
		KFT_CHECK_ALLOC(arr = cJSON_CreateArray());
		if (kft__json_set(parent, dot + 1, arr) < 0)
			return kft__error_oom();
	}
	cJSON_ArrayForEach(e, arr) {
		if (kft__streq(kft__json_str(e, "name"), name)) {
			cJSON_DeleteItemFromObjectCaseSensitive(e, "valueFrom");
			return kft__json_set_str(e, "value", value);
		}
	}
	KFT_CHECK_ALLOC(item = cJSON_CreateObject());
	if (!cJSON_AddStringToObject(item, "name", name) ||
	    !cJSON_AddStringToObject(item, "value", value)) {
		cJSON_Delete(item);
		return kft__error_oom();
	}
	cJSON_AddItemToArray(arr, item);
	return 0;
}

int kft_spec_set_env(kft_spec_t *spec, const char *name, const char *value)
{
	KFT_ASSERT_ARG(spec && name && *name);
	return upsert_env(spec->doc, "spec.trainer.env", name, value);
}

static int set_int(cJSON *obj, const char *key, int64_t v)
{
	if (!obj)
		return kft__error_oom();
	if (v == KFT_UNSET) {
		cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
		return 0;
	}
	return kft__json_set(obj, key, cJSON_CreateNumber((double)v));
}

int kft_spec_set_num_nodes(kft_spec_t *spec, int64_t n)
{
	KFT_ASSERT_ARG(spec);
	return set_int(trainer(spec), "numNodes", n);
}

int kft_spec_set_num_proc_per_node(kft_spec_t *spec, int64_t n)
{
	KFT_ASSERT_ARG(spec);
	return set_int(trainer(spec), "numProcPerNode", n);
}

/* The SDK's resource key rules (kubeflow-sdk.md §4.1). Yours: free. */
char *kft__resource_key(const char *key);
char *kft__resource_key(const char *key)
{
	char *lower = kft__strdup(key), *p, *out;

	if (!lower)
		return NULL;
	for (p = lower; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!strcmp(lower, "gpu")) {
		free(lower);
		return kft__strdup("nvidia.com/gpu");
	}
	if (!strcmp(lower, "storage")) {
		free(lower);
		return kft__strdup("ephemeral-storage");
	}
	if (!strncmp(lower, "mig-", 4)) {
		out = kft__malloc(strlen(lower) + 12);
		if (out)
			sprintf(out, "nvidia.com/%s", lower);
		free(lower);
		return out;
	}
	if (!strcmp(lower, "cpu") || !strcmp(lower, "memory") || !strcmp(lower, "ephemeral-storage") ||
	    !strncmp(lower, "nvidia.com/mig-", 15))
		return lower;
	free(lower);
	return kft__strdup(key);
}

/* Integers are sent as JSON numbers (as the SDK sends Python ints), the rest as strings. */
static cJSON *quantity_json(const char *q)
{
	int64_t v;

	if (kft__parse_i64(&v, q) == 0 && q[0] != '+' && !(q[0] == '0' && q[1]) &&
	    v > -(1LL << 53) && v < (1LL << 53))
		return cJSON_CreateNumber((double)v);
	return cJSON_CreateString(q);
}

int kft_spec_set_resource(kft_spec_t *spec, const char *key, const char *quantity)
{
	char *k;
	int error = 0;
	const char *maps[2] = { "spec.trainer.resourcesPerNode.requests",
	                        "spec.trainer.resourcesPerNode.limits" };
	int i;

	KFT_ASSERT_ARG(spec && key && *key);
	KFT_CHECK_ALLOC(k = kft__resource_key(key));
	for (i = 0; i < 2 && !error; i++) {
		if (!quantity) {
			cJSON *m = kft__json_path(spec->doc, maps[i]);

			if (m)
				cJSON_DeleteItemFromObjectCaseSensitive(m, k);
			/* Drop emptied maps: up to v2.2 resourcesPerNode *replaces* the node
			 * container's resources, so an empty one would erase the runtime's. */
			if (m && !m->child)
				cJSON_DeleteItemFromObjectCaseSensitive(
					kft__json_path(spec->doc, "spec.trainer.resourcesPerNode"),
					strrchr(maps[i], '.') + 1);
		} else {
			cJSON *m = kft__json_path_mkobj(spec->doc, maps[i]);

			error = m ? kft__json_set(m, k, quantity_json(quantity)) : kft__error_oom();
		}
	}
	free(k);
	if (!quantity) {
		cJSON *r = kft__json_path(spec->doc, "spec.trainer.resourcesPerNode");

		if (r && !r->child)
			cJSON_DeleteItemFromObjectCaseSensitive(kft__json_path(spec->doc, "spec.trainer"),
			                                        "resourcesPerNode");
	}
	return error;
}

int kft_spec_set_suspend(kft_spec_t *spec, int suspend)
{
	cJSON *s;

	KFT_ASSERT_ARG(spec);
	KFT_CHECK_ALLOC(s = kft__json_path_mkobj(spec->doc, "spec"));
	if (suspend == KFT_UNSET) {
		cJSON_DeleteItemFromObjectCaseSensitive(s, "suspend");
		return 0;
	}
	return kft__json_set(s, "suspend", cJSON_CreateBool(suspend != 0));
}

int kft_spec_set_managed_by(kft_spec_t *spec, const char *value)
{
	KFT_ASSERT_ARG(spec);
	return set_or_delete_str(kft__json_path_mkobj(spec->doc, "spec"), "managedBy", value);
}

int kft_spec_set_active_deadline(kft_spec_t *spec, int64_t seconds)
{
	KFT_ASSERT_ARG(spec);
	return set_int(kft__json_path_mkobj(spec->doc, "spec"), "activeDeadlineSeconds", seconds);
}

static const char *init_path(int which)
{
	return which == KFT_INITIALIZER_DATASET ? "spec.initializer.dataset" :
	       which == KFT_INITIALIZER_MODEL ? "spec.initializer.model" : NULL;
}

int kft_spec_set_initializer(kft_spec_t *spec, int which, const char *storage_uri)
{
	const char *path = init_path(which);

	KFT_ASSERT_ARG(spec && path);
	if (!storage_uri) {
		cJSON *init = kft__json_path(spec->doc, "spec.initializer");

		if (init) {
			cJSON_DeleteItemFromObjectCaseSensitive(init, strrchr(path, '.') + 1);
			if (!init->child)
				cJSON_DeleteItemFromObjectCaseSensitive(kft__json_path(spec->doc, "spec"),
				                                        "initializer");
		}
		return 0;
	}
	return set_or_delete_str(kft__json_path_mkobj(spec->doc, path), "storageUri", storage_uri);
}

int kft_spec_set_initializer_env(kft_spec_t *spec, int which, const char *name, const char *value)
{
	const char *path = init_path(which);
	char full[64];

	KFT_ASSERT_ARG(spec && path && name && *name);
	snprintf(full, sizeof(full), "%s.env", path);
	return upsert_env(spec->doc, full, name, value);
}

int kft_spec_set_initializer_secret(kft_spec_t *spec, int which, const char *secret_name)
{
	const char *path = init_path(which);
	cJSON *init, *ref;

	KFT_ASSERT_ARG(spec && path);
	KFT_CHECK_ALLOC(init = kft__json_path_mkobj(spec->doc, path));
	if (!secret_name) {
		cJSON_DeleteItemFromObjectCaseSensitive(init, "secretRef");
		return 0;
	}
	KFT_CHECK_ALLOC(ref = cJSON_CreateObject());
	if (!cJSON_AddStringToObject(ref, "name", secret_name)) {
		cJSON_Delete(ref);
		return kft__error_oom();
	}
	return kft__json_set(init, "secretRef", ref);
}

/* ---- runtime patches (canonical v2.2+ form, manager = the SDK's) ---- */

static cJSON *sdk_patch(kft_spec_t *spec)
{
	cJSON *s = kft__json_path_mkobj(spec->doc, "spec"), *arr, *p, *np;

	if (!s)
		return NULL;
	arr = cJSON_GetObjectItemCaseSensitive(s, "runtimePatches");
	if (!cJSON_IsArray(arr)) {
		if ((arr = cJSON_CreateArray()) == NULL || kft__json_set(s, "runtimePatches", arr) < 0)
			return NULL;
	}
	cJSON_ArrayForEach(p, arr)
		if (kft__streq(kft__json_str(p, "manager"), KFT__SDK_MANAGER))
			return p;
	if ((np = cJSON_CreateObject()) == NULL)
		return NULL;
	if (!cJSON_AddStringToObject(np, "manager", KFT__SDK_MANAGER)) {
		cJSON_Delete(np);
		return NULL;
	}
	cJSON_AddItemToArray(arr, np);
	return np;
}

static cJSON *patch_rjob(kft_spec_t *spec, const char *rjob)
{
	cJSON *p = sdk_patch(spec), *rs, *r, *spec_;

	if (!p)
		return NULL;
	if ((spec_ = kft__json_path_mkobj(p, "trainingRuntimeSpec.template.spec")) == NULL)
		return NULL;
	rs = cJSON_GetObjectItemCaseSensitive(spec_, "replicatedJobs");
	if (!cJSON_IsArray(rs)) {
		if ((rs = cJSON_CreateArray()) == NULL || kft__json_set(spec_, "replicatedJobs", rs) < 0)
			return NULL;
	}
	cJSON_ArrayForEach(r, rs)
		if (kft__streq(kft__json_str(r, "name"), rjob))
			return r;
	if ((r = cJSON_CreateObject()) == NULL)
		return NULL;
	if (!cJSON_AddStringToObject(r, "name", rjob)) {
		cJSON_Delete(r);
		return NULL;
	}
	cJSON_AddItemToArray(rs, r);
	return r;
}

static cJSON *patch_podspec(kft_spec_t *spec, const char *rjob)
{
	cJSON *r = patch_rjob(spec, rjob ? rjob : "node");

	return r ? kft__json_path_mkobj(r, "template.spec.template.spec") : NULL;
}

static cJSON *array_in(cJSON *obj, const char *key)
{
	cJSON *a;

	if (!obj)
		return NULL;
	a = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!cJSON_IsArray(a)) {
		if ((a = cJSON_CreateArray()) == NULL || kft__json_set(obj, key, a) < 0)
			return NULL;
	}
	return a;
}

int kft_spec_set_node_selector(kft_spec_t *spec, const char *rjob, const char *key,
                               const char *value)
{
	cJSON *ps;

	KFT_ASSERT_ARG(spec && key && *key);
	KFT_CHECK_ALLOC(ps = patch_podspec(spec, rjob));
	return set_map_entry(ps, "nodeSelector", key, value);
}

int kft_spec_add_toleration(kft_spec_t *spec, const char *rjob, const char *key,
                            const char *operator_, const char *value, const char *effect)
{
	cJSON *arr, *t;

	KFT_ASSERT_ARG(spec);
	KFT_CHECK_ALLOC(arr = array_in(patch_podspec(spec, rjob), "tolerations"));
	KFT_CHECK_ALLOC(t = cJSON_CreateObject());
	if ((key && !cJSON_AddStringToObject(t, "key", key)) ||
	    !cJSON_AddStringToObject(t, "operator", operator_ ? operator_ : "Equal") ||
	    (value && !cJSON_AddStringToObject(t, "value", value)) ||
	    (effect && !cJSON_AddStringToObject(t, "effect", effect))) {
		cJSON_Delete(t);
		return kft__error_oom();
	}
	cJSON_AddItemToArray(arr, t);
	return 0;
}

int kft_spec_add_volume(kft_spec_t *spec, const char *rjob, const char *volume_json)
{
	cJSON *v, *arr;
	int error;

	KFT_ASSERT_ARG(spec && volume_json);
	if ((error = kft__yaml_parse(&v, volume_json, strlen(volume_json), "volume")) < 0)
		return error;
	if (!cJSON_IsObject(v) || !kft__json_str(v, "name")) {
		cJSON_Delete(v);
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "volume: must be an object with a \"name\"");
	}
	if ((arr = array_in(patch_podspec(spec, rjob), "volumes")) == NULL) {
		cJSON_Delete(v);
		return kft__error_oom();
	}
	cJSON_AddItemToArray(arr, v);
	return 0;
}

int kft_spec_add_volume_mount(kft_spec_t *spec, const char *rjob, const char *container,
                              const char *name, const char *mount_path, int read_only)
{
	cJSON *cs, *c, *mounts, *m;

	KFT_ASSERT_ARG(spec && name && mount_path);
	if (mount_path[0] != '/')
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "volumeMounts.mountPath: must be an absolute path, got \"%s\"",
		                      mount_path);
	if (!container)
		container = "node";
	KFT_CHECK_ALLOC(cs = array_in(patch_podspec(spec, rjob), "containers"));
	cJSON_ArrayForEach(c, cs)
		if (kft__streq(kft__json_str(c, "name"), container))
			break;
	if (!c) {
		KFT_CHECK_ALLOC(c = cJSON_CreateObject());
		cJSON_AddItemToArray(cs, c);
		if (!cJSON_AddStringToObject(c, "name", container))
			return kft__error_oom();
	}
	KFT_CHECK_ALLOC(mounts = array_in(c, "volumeMounts"));
	KFT_CHECK_ALLOC(m = cJSON_CreateObject());
	cJSON_AddItemToArray(mounts, m);
	if (!cJSON_AddStringToObject(m, "name", name) ||
	    !cJSON_AddStringToObject(m, "mountPath", mount_path) ||
	    (read_only && !cJSON_AddBoolToObject(m, "readOnly", 1)))
		return kft__error_oom();
	return 0;
}

int kft_spec_set_service_account(kft_spec_t *spec, const char *rjob, const char *name)
{
	KFT_ASSERT_ARG(spec);
	return set_or_delete_str(patch_podspec(spec, rjob), "serviceAccountName", name);
}

int kft_spec_set_pod_label(kft_spec_t *spec, const char *rjob, const char *key, const char *value)
{
	cJSON *r;

	KFT_ASSERT_ARG(spec && key && *key);
	KFT_CHECK_ALLOC(r = patch_rjob(spec, rjob ? rjob : "node"));
	return set_map_entry(r, "template.spec.template.metadata.labels", key, value);
}

int kft_spec_set_pod_annotation(kft_spec_t *spec, const char *rjob, const char *key,
                                const char *value)
{
	cJSON *r;

	KFT_ASSERT_ARG(spec && key && *key);
	KFT_CHECK_ALLOC(r = patch_rjob(spec, rjob ? rjob : "node"));
	return set_map_entry(r, "template.spec.template.metadata.annotations", key, value);
}

int kft_spec_set_template_label(kft_spec_t *spec, const char *key, const char *value)
{
	cJSON *p;

	KFT_ASSERT_ARG(spec && key && *key);
	KFT_CHECK_ALLOC(p = sdk_patch(spec));
	return set_map_entry(p, "trainingRuntimeSpec.template.metadata.labels", key, value);
}

int kft_spec_set_template_annotation(kft_spec_t *spec, const char *key, const char *value)
{
	cJSON *p;

	KFT_ASSERT_ARG(spec && key && *key);
	KFT_CHECK_ALLOC(p = sdk_patch(spec));
	return set_map_entry(p, "trainingRuntimeSpec.template.metadata.annotations", key, value);
}

/* ---- script trainer ---- */

static const kft_script_opts_t script_defaults = KFT_SCRIPT_OPTS_INIT;
static const size_t script_sizes[] = { sizeof(kft_script_opts_t) };
static const kft__opts_layout script_layout = { "kft_script_opts_t", &script_defaults,
                                                script_sizes, 1 };

int kft_script_opts_init(kft_script_opts_t *opts, unsigned int version)
{
	return kft__opts_init(opts, version, &script_layout);
}

int kft_spec_set_script(kft_spec_t *spec, const kft_script_opts_t *opts)
{
	cJSON *script;
	int error;

	KFT_ASSERT_ARG(spec && opts);
	KFT_CHECK_VERSION(opts, KFT_SCRIPT_OPTS_VERSION, "kft_script_opts_t");
	if ((error = kft__script_make(&script, opts)) < 0)
		return error;
	cJSON_Delete(spec->script);
	spec->script = script;
	cJSON_Delete(spec->builtin);
	spec->builtin = NULL;
	free(spec->builtin_name);
	spec->builtin_name = NULL;
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

	return cJSON_IsNumber(n) ? (int64_t)n->valuedouble : KFT_UNSET;
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
		canonicalize(spec->doc);
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

/* ---- versions ---- */

static int version_minor(const char *v)
{
	if (!strcmp(v, "v2.0") || kft__has_prefix(v, "v2.0."))
		return 0;
	if (!strcmp(v, "v2.1") || kft__has_prefix(v, "v2.1."))
		return 1;
	if (!strcmp(v, "v2.2") || kft__has_prefix(v, "v2.2."))
		return 2;
	if (!strcmp(v, "v2.3") || kft__has_prefix(v, "v2.3.") || !strcmp(v, "dev") ||
	    !strcmp(v, "latest"))
		return 3;
	return -1;
}

/* Move the entries of object src into object dst (dst created at key in parent). */
static int merge_map(cJSON *parent, const char *key, cJSON *src)
{
	cJSON *dst, *it;

	if (!cJSON_IsObject(src) || !src->child)
		return 0;
	dst = cJSON_GetObjectItemCaseSensitive(parent, key);
	if (!cJSON_IsObject(dst)) {
		KFT_CHECK_ALLOC(dst = cJSON_CreateObject());
		cJSON_AddItemToObject(parent, key, dst);
	}
	while ((it = src->child) != NULL) {
		char *k = kft__strdup(it->string);

		KFT_CHECK_ALLOC(k);
		cJSON_DetachItemViaPointer(src, it);
		cJSON_DeleteItemFromObjectCaseSensitive(dst, k);
		cJSON_AddItemToObject(dst, k, it);
		free(k);
	}
	return 0;
}

static int in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return 1;
	return 0;
}

/*
 * Runtime patch fields an older Trainer cannot carry: refuse them rather than
 * drop them silently. v2.2 lacks terminationGracePeriodSeconds (v2.3+); v2.1
 * podTemplateOverrides and v2.0 podSpecOverrides know fewer pod fields, only
 * {name, env, volumeMounts} per container, and no Job-level metadata.
 */
static int check_old_patch_fields(const cJSON *spec, int minor, const char *version)
{
	static const char *const pod21[] = { "affinity", "containers", "imagePullSecrets",
		"initContainers", "nodeSelector", "schedulingGates", "serviceAccountName",
		"tolerations", "volumes", NULL };
	static const char *const pod20[] = { "containers", "initContainers", "nodeSelector",
		"schedulingGates", "serviceAccountName", "tolerations", "volumes", NULL };
	static const char *const container[] = { "name", "env", "volumeMounts", NULL };
	const char *what = minor == 0 ? "podSpecOverrides" : "podTemplateOverrides";
	const cJSON *p, *r, *f, *c;
	int i = 0, j;

	cJSON_ArrayForEach(p, kft__json_get(spec, "runtimePatches")) {
		j = 0;
		cJSON_ArrayForEach(r, kft__json_path(p, "trainingRuntimeSpec.template.spec.replicatedJobs")) {
			const cJSON *ps = kft__json_path(r, "template.spec.template.spec");
			char path[160];

			snprintf(path, sizeof(path), "spec.runtimePatches[%d].trainingRuntimeSpec.template."
			         "spec.replicatedJobs[%d].template", i, j++);
			if (minor >= 2) {
				if (kft__json_get(ps, "terminationGracePeriodSeconds"))
					return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
					                      "%s.spec.template.spec.terminationGracePeriodSeconds: "
					                      "not supported by Trainer %s (added in v2.3)", path,
					                      version);
				continue;
			}
			if (kft__json_get(kft__json_get(r, "template"), "metadata"))
				return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
				                      "%s.metadata: Job labels/annotations are not supported "
				                      "by Trainer %s (%s has no Job metadata)", path, version,
				                      what);
			cJSON_ArrayForEach(f, ps) {
				if (!in_list(f->string, minor == 0 ? pod20 : pod21))
					return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
					                      "%s.spec.template.spec.%s: not supported by Trainer "
					                      "%s (%s has no such field)", path, f->string,
					                      version, what);
				if (strcmp(f->string, "containers") && strcmp(f->string, "initContainers"))
					continue;
				cJSON_ArrayForEach(c, f) {
					const cJSON *k;

					cJSON_ArrayForEach(k, c)
						if (!in_list(k->string, container))
							return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
							                      "%s.spec.template.spec.%s[].%s: not supported "
							                      "by Trainer %s (%s containers have only "
							                      "name, env and volumeMounts)", path,
							                      f->string, k->string, version, what);
				}
			}
		}
		i++;
	}
	return 0;
}

int kft__spec_convert(cJSON *doc, const char *trainer_version)
{
	int minor = version_minor(trainer_version);
	cJSON *spec = cJSON_GetObjectItemCaseSensitive(doc, "spec"), *patches, *p, *out = NULL;

	if (minor < 0)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "trainer version: expected v2.0, v2.1, v2.2 or v2.3, got \"%s\"",
		                      trainer_version);
	if (minor == 2 && spec)
		return check_old_patch_fields(spec, minor, trainer_version);
	if (minor >= 2 || !spec)
		return 0;
	if (check_old_patch_fields(spec, minor, trainer_version) < 0)
		return KFT_EINVALID;
	if (kft__json_get(spec, "activeDeadlineSeconds"))
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "spec.activeDeadlineSeconds: not supported by Trainer %s "
		                      "(added in v2.2)", trainer_version);
	patches = cJSON_DetachItemFromObjectCaseSensitive(spec, "runtimePatches");
	if (!patches)
		return 0;
	KFT_CHECK_ALLOC(out = cJSON_CreateArray());
	cJSON_ArrayForEach(p, patches) {
		cJSON *tmpl = kft__json_path(p, "trainingRuntimeSpec.template");
		cJSON *r, *rjobs = kft__json_path(tmpl, "spec.replicatedJobs");

		merge_map(spec, "labels", kft__json_path(tmpl, "metadata.labels"));
		merge_map(spec, "annotations", kft__json_path(tmpl, "metadata.annotations"));
		cJSON_ArrayForEach(r, rjobs) {
			cJSON *pod = kft__json_path(r, "template.spec.template");
			cJSON *podmeta = cJSON_GetObjectItemCaseSensitive(pod, "metadata");
			cJSON *podspec = cJSON_GetObjectItemCaseSensitive(pod, "spec");
			cJSON *o = cJSON_CreateObject(), *tj, *tjn;

			if (!o)
				goto oom;
			cJSON_AddItemToArray(out, o);
			tj = cJSON_AddArrayToObject(o, "targetJobs");
			tjn = cJSON_CreateObject();
			if (!tj || !tjn)
				goto oom;
			cJSON_AddItemToArray(tj, tjn);
			cJSON_AddStringToObject(tjn, "name", kft__json_str(r, "name"));
			if (minor == 1) {
				if (podmeta && podmeta->child)
					cJSON_AddItemToObject(o, "metadata", cJSON_Duplicate(podmeta, 1));
				if (podspec && podspec->child)
					cJSON_AddItemToObject(o, "spec", cJSON_Duplicate(podspec, 1));
			} else {
				cJSON *f;

				if (podmeta && podmeta->child) {
					cJSON_Delete(patches);
					cJSON_Delete(out);
					return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
					                      "pod labels/annotations: not supported by Trainer "
					                      "v2.0 (podSpecOverrides has no metadata)");
				}
				cJSON_ArrayForEach(f, podspec)
					cJSON_AddItemToObject(o, f->string, cJSON_Duplicate(f, 1));
			}
		}
	}
	cJSON_Delete(patches);
	if (cJSON_GetArraySize(out) > 0)
		cJSON_AddItemToObject(spec, minor == 1 ? "podTemplateOverrides" : "podSpecOverrides", out);
	else
		cJSON_Delete(out);
	canonicalize(doc);
	return 0;
oom:
	cJSON_Delete(patches);
	cJSON_Delete(out);
	return kft__error_oom();
}

/* podSpecOverrides (v2.0) / podTemplateOverrides (v2.1) / spec.labels -> runtimePatches */
static int upgrade_old_fields(cJSON *doc)
{
	cJSON *spec = cJSON_GetObjectItemCaseSensitive(doc, "spec");
	cJSON *pso, *pto, *labels, *ann, *patches, *patch, *rjobs, *o, *src;

	if (!cJSON_IsObject(spec))
		return 0;
	pso = cJSON_DetachItemFromObjectCaseSensitive(spec, "podSpecOverrides");
	pto = cJSON_DetachItemFromObjectCaseSensitive(spec, "podTemplateOverrides");
	labels = cJSON_DetachItemFromObjectCaseSensitive(spec, "labels");
	ann = cJSON_DetachItemFromObjectCaseSensitive(spec, "annotations");
	if (!pso && !pto && !labels && !ann)
		return 0;
	patches = cJSON_GetObjectItemCaseSensitive(spec, "runtimePatches");
	if (!patches) {
		patches = cJSON_AddArrayToObject(spec, "runtimePatches");
	}
	patch = cJSON_CreateObject();
	if (!patches || !patch)
		goto oom;
	cJSON_AddItemToArray(patches, patch);
	cJSON_AddStringToObject(patch, "manager", KFT__SDK_MANAGER);
	if (labels)
		cJSON_AddItemToObject(kft__json_path_mkobj(patch, "trainingRuntimeSpec.template.metadata"),
		                      "labels", labels);
	if (ann)
		cJSON_AddItemToObject(kft__json_path_mkobj(patch, "trainingRuntimeSpec.template.metadata"),
		                      "annotations", ann);
	labels = ann = NULL;
	rjobs = cJSON_AddArrayToObject(kft__json_path_mkobj(patch, "trainingRuntimeSpec.template.spec"),
	                               "replicatedJobs");
	if (!rjobs)
		goto oom;
	src = pso ? pso : pto;
	cJSON_ArrayForEach(o, src) {
		cJSON *t, *tj = cJSON_GetObjectItemCaseSensitive(o, "targetJobs");

		cJSON_ArrayForEach(t, tj) {
			cJSON *r = cJSON_CreateObject(), *pod, *f;

			if (!r)
				goto oom;
			cJSON_AddItemToArray(rjobs, r);
			cJSON_AddStringToObject(r, "name", kft__json_str(t, "name") ? kft__json_str(t, "name") : "");
			if (!(pod = kft__json_path_mkobj(r, "template.spec.template")))
				goto oom;
			if (pto) {
				if (kft__json_get(o, "metadata"))
					cJSON_AddItemToObject(pod, "metadata",
					                      cJSON_Duplicate(kft__json_get(o, "metadata"), 1));
				if (kft__json_get(o, "spec"))
					cJSON_AddItemToObject(pod, "spec", cJSON_Duplicate(kft__json_get(o, "spec"), 1));
			} else {
				cJSON *ps = cJSON_AddObjectToObject(pod, "spec");

				cJSON_ArrayForEach(f, o)
					if (strcmp(f->string, "targetJobs"))
						cJSON_AddItemToObject(ps, f->string, cJSON_Duplicate(f, 1));
			}
		}
	}
	if (!rjobs->child)
		cJSON_DeleteItemFromObjectCaseSensitive(kft__json_path(patch, "trainingRuntimeSpec.template"),
		                                        "spec");
	cJSON_Delete(pso);
	cJSON_Delete(pto);
	return 0;
oom:
	cJSON_Delete(pso);
	cJSON_Delete(pto);
	cJSON_Delete(labels);
	cJSON_Delete(ann);
	return kft__error_oom();
}
