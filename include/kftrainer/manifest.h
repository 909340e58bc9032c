/*
 * A job's documents: the TrainJob as the backend holds it, and the plan the
 * local and container backends run.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef KFTRAINER_MANIFEST_H
#define KFTRAINER_MANIFEST_H

#include "common.h"
#include "render.h"

KFT_BEGIN_DECL

/** Which document kft_get_job_manifest() returns. */
typedef enum {
	KFT_MANIFEST_TRAINJOB = 0,   /* the TrainJob (kubernetes: the object, with its status) */
	KFT_MANIFEST_PLAN = 1        /* local/container: the per-step argv/env/cwd plan */
} kft_manifest_t;

/**
 * The job's TrainJob or plan (kft_manifest_t) as YAML or JSON, exactly as the
 * backend keeps it; opts (NULL: YAML) as for every kft_*_render function, its
 * trainer_version rendering a TrainJob for that Trainer release. Yours:
 * kft_free(*out); out NULL discards it. A backend without such a document:
 * KFT_ENOTSUPPORTED.
 */
KFT_EXTERN int kft_get_job_manifest(char **out, kft_client_t *client, const char *name,
                                    int what, const kft_render_opts_t *opts);

KFT_END_DECL
#endif
