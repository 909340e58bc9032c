/*
 * libkftrainer - one shape for every kft_*_render function.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef KFTRAINER_RENDER_H
#define KFTRAINER_RENDER_H

#include "common.h"

KFT_BEGIN_DECL

/**
 * Options of kft_spec_render(), kft_job_render(), kft_job_list_render(),
 * kft_runtime_render() and kft_render_plan(): every one takes
 * (char **out, <object>, const kft_render_opts_t *opts), and NULL opts means
 * KFT_RENDER_OPTS_INIT (YAML, the newest Trainer form).
 */
typedef struct {
	unsigned int version;          /* KFT_RENDER_OPTS_VERSION, always first */
	int format;                    /* kft_format_t; TEXT only for jobs, job lists and plans */
	const char *trainer_version;   /* "v2.0" .. "v2.3"; NULL: the v2.2+ form (TrainJobs, plans) */
} kft_render_opts_t;
/** The newest kft_render_opts_t layout this header describes. */
#define KFT_RENDER_OPTS_VERSION 1
/** Every field of kft_render_opts_t at its default. */
#define KFT_RENDER_OPTS_INIT { KFT_RENDER_OPTS_VERSION, KFT_FORMAT_YAML, NULL }
/**
 * Fill opts with the defaults of the given version (FFI callers: pass the
 * version you were built against; only that version's fields are written).
 */
KFT_EXTERN int kft_render_opts_init(kft_render_opts_t *opts, unsigned int version);

KFT_END_DECL
#endif
