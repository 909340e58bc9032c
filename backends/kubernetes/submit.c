/*
 * kubernetes: the create request - what kft_train POSTs and kft render prints.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "k8s.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- submit / render ---- */

/*
 * The exact request: path (with query) and body. spec is final (the core read the
 * runtime and expanded the trainer once, see kft_train): nothing is fetched here
 * but the cluster's Trainer version (cached per client).
 */
static int build_create(char **path_out, char **body_out, kft__k8s *k, const kft_spec_t *spec,
                        uint32_t flags, const char *for_version)
{
	const char *ns = kft_spec_namespace(spec) ? kft_spec_namespace(spec) : k->cfg.ns;
	const char *ver = NULL;
	cJSON *doc = NULL;
	kft__buf q = KFT__BUF_INIT;
	char *path = NULL;
	int error, minor;

	*path_out = *body_out = NULL;
	/* for_version (kft_render_opts_t.trainer_version): that version's form, not the cluster's */
	if (for_version)
		ver = for_version;
	else if ((error = kft__k8s_trainer_version(&ver, k)) < 0)
		return error;
	KFT_CHECK_ALLOC(doc = cJSON_Duplicate(kft__spec_doc(spec), 1));
	minor = kft__k8s_trainer_minor(ver);
	if (minor < 2 && (error = kft__spec_convert(doc, minor == 0 ? "v2.0" : "v2.1")) < 0)
		goto out;
	if ((error = kft__json_set_str(kft__json_path_mkobj(doc, "metadata"), "namespace", ns)) < 0)
		goto out;
	if ((path = kft__k8s_ns_path(k, KFT__K8S_API_TRAINER, ns, "trainjobs", NULL, NULL)) == NULL) {
		error = kft__error_oom();
		goto out;
	}
	kft__buf_puts(&q, path);
	kft__k8s_add_query(&q, k, "fieldValidation", "Strict");
	if (flags & KFT_TRAIN_SERVER_DRY_RUN)
		kft__k8s_add_query(&q, k, "dryRun", "All");
	if (q.oom || (*body_out = cJSON_PrintUnformatted(doc)) == NULL) {
		error = kft__error_oom();
		goto out;
	}
	*path_out = kft__buf_detach(&q);
out:
	kft__buf_free(&q);
	free(path);
	cJSON_Delete(doc);
	return error;
}

int kft__k8s_submit(kft_job_t **out, kft_backend_t *be, const kft_spec_t *spec,
                    const kft_runtime_t *rt, const kft_train_opts_t *opts)
{
	kft__k8s *k = kft__k8s_be(be);
	char *path = NULL, *body = NULL;
	cJSON *created = NULL;
	int error;

	*out = NULL;
	if ((error = build_create(&path, &body, k, spec, opts ? opts->flags : 0, NULL)) < 0)
		return error;
	{
		kft__k8s_req r = { "POST", path, body, NULL, 0, "create TrainJob" };

		error = kft__k8s_request_json(&created, NULL, k, &r);
	}
	if (error == 0)
		error = kft__k8s_build_job(out, created, NULL, 0);
	cJSON_Delete(created);
	free(path);
	free(body);
	return error;
}

int kft__k8s_render_plan(char **out, kft_backend_t *be, const kft_spec_t *spec,
                         const kft_runtime_t *rt, const kft_render_opts_t *opts)
{
	kft__k8s *k = kft__k8s_be(be);
	char *path = NULL, *body = NULL, *url = NULL;
	cJSON *root = NULL, *bd;
	int error;

	*out = NULL;
	if ((error = build_create(&path, &body, k, spec, 0, opts->trainer_version)) < 0)
		return error;
	if ((url = kft__k8s_url(k, path)) == NULL) {
		error = kft__error_oom();
		goto out;
	}
	if (opts->format == KFT_FORMAT_TEXT) {
		kft__buf b = KFT__BUF_INIT;

		kft__buf_printf(&b, "POST %s\nContent-Type: application/json\n\n%s\n", url, body);
		if (b.oom) {
			kft__buf_free(&b);
			error = kft__error_oom();
			goto out;
		}
		*out = kft__buf_detach(&b);
		goto out;
	}
	if ((root = cJSON_CreateObject()) == NULL || (bd = cJSON_Parse(body)) == NULL) {
		error = kft__error_oom();
		goto out;
	}
	cJSON_AddStringToObject(root, "method", "POST");
	cJSON_AddStringToObject(root, "url", url);
	cJSON_AddItemToObject(root, "body", bd);
	error = kft__render_doc(out, root, opts->format == KFT_FORMAT_JSON ? KFT_FORMAT_JSON :
	                        KFT_FORMAT_YAML);
out:
	cJSON_Delete(root);
	free(url);
	free(path);
	free(body);
	return error;
}
