/*
 * Trainer versions: render a canonical (v2.2+) TrainJob for v2.0/v2.1 clusters,
 * and read the older fields (podSpecOverrides, podTemplateOverrides, spec.labels)
 * into runtimePatches.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "spec.h"
#include "builtin.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int kft__trainer_minor(const char *v)
{
	return v ? version_minor(v) : -1;
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
				if (!kft__str_in_list(f->string, minor == 0 ? pod20 : pod21))
					return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
					                      "%s.spec.template.spec.%s: not supported by Trainer "
					                      "%s (%s has no such field)", path, f->string,
					                      version, what);
				if (strcmp(f->string, "containers") && strcmp(f->string, "initContainers"))
					continue;
				cJSON_ArrayForEach(c, f) {
					const cJSON *k;

					cJSON_ArrayForEach(k, c)
						if (!kft__str_in_list(k->string, container))
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
	kft__spec_canonicalize(doc);
	return 0;
oom:
	cJSON_Delete(patches);
	cJSON_Delete(out);
	return kft__error_oom();
}

/* podSpecOverrides (v2.0) / podTemplateOverrides (v2.1) / spec.labels -> runtimePatches */
int kft__spec_upgrade_old_fields(cJSON *doc)
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
