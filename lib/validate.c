/*
 * Client-side validation: the API server's CEL rules and Trainer's webhook
 * rules (reference/kubeflow-trainer.md). Minimal first version.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "internal.h"
#include "builtin.h"

#include <string.h>

int kft__validate_doc(const cJSON *doc, const kft_runtime_t *rt)
{
	const char *name = kft__json_str(kft__json_get(doc, "metadata"), "name");

	if (name && !kft__is_dns1035(name))
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "metadata.name: must match RFC 1035 DNS label format "
		                      "(^[a-z]([-a-z0-9]*[a-z0-9])?$), got \"%s\"", name);
	if (!kft__json_str(kft__json_path(doc, "spec.runtimeRef"), "name"))
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "spec.runtimeRef.name: Required value");
	return 0;
}
