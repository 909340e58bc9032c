/*
 * kft_spec_t setters: metadata, trainer, resources, initializers, runtime
 * patches (canonical v2.2+ form, manager = the SDK's) and the script trainer.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "spec.h"
#include "builtin.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

			error = m ? kft__json_set(m, k, kft__quantity_to_json(quantity)) : kft__error_oom();
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
	return kft__json_keyed_item(kft__json_path_mkobj(spec->doc, "spec"), "runtimePatches",
	                            "manager", KFT__SDK_MANAGER);
}

static cJSON *patch_rjob(kft_spec_t *spec, const char *rjob)
{
	cJSON *p = sdk_patch(spec);

	return p ? kft__json_keyed_item(kft__json_path_mkobj(p, "trainingRuntimeSpec.template.spec"),
	                                "replicatedJobs", "name", rjob) : NULL;
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

int kft_script_opts_init(kft_script_opts_t *opts, unsigned int version)
{
	KFT__VERSIONED_INIT(opts, version, kft_script_opts_t, KFT_SCRIPT_OPTS);
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

