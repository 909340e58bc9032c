/*
 * What the lib/spec*.c files share about kft_spec_t (not for the rest of the core,
 * which goes through internal.h's kft__spec_* functions).
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef KFT_SPEC_H
#define KFT_SPEC_H

#include "internal.h"

#define KFT__SDK_MANAGER "trainer.kubeflow.org/kubeflow-sdk"

struct kft_spec {
	cJSON *doc;
	cJSON *script;        /* pending script trainer (see script.c), or NULL */
	char *builtin_name;   /* pending builtin trainer, or NULL */
	cJSON *builtin;
};

int kft__script_expand(cJSON *doc, const cJSON *script, const kft_runtime_t *rt);
int kft__script_make(cJSON **out, const kft_script_opts_t *opts);

/** Known keys first, in Kubeflow's order (spec.c). */
void kft__spec_canonicalize(cJSON *doc);
/** podSpecOverrides (v2.0) / podTemplateOverrides (v2.1) / spec.labels -> runtimePatches
 *  (spec_version.c). */
int kft__spec_upgrade_old_fields(cJSON *doc);

#endif
