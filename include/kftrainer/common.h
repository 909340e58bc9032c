/*
 * libkftrainer - common definitions shared by every public header.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef KFTRAINER_COMMON_H
#define KFTRAINER_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
# define KFT_BEGIN_DECL extern "C" {
# define KFT_END_DECL }
#else
# define KFT_BEGIN_DECL
# define KFT_END_DECL
#endif

#if defined(__GNUC__) || defined(__clang__)
# define KFT_EXTERN extern __attribute__((visibility("default")))
#else
# define KFT_EXTERN extern
#endif

/**
 * "Not set" / "unknown": in option structs a field left at KFT_UNSET is not
 * sent; an int or int64_t getter returns KFT_UNSET when it has no value
 * (never -1, which is KFT_ERROR).
 */
#define KFT_UNSET (-2147483647 - 1)          /* int / int64_t fields and getters */
#define KFT_UNSET_DOUBLE (-1.0e308)          /* double fields: not set */

/** Output formats of the kft_*_render functions (kft_render_opts_t.format). */
typedef enum {
	KFT_FORMAT_YAML = 0,
	KFT_FORMAT_JSON = 1,
	KFT_FORMAT_TEXT = 2
} kft_format_t;

typedef struct kft_client kft_client_t;
typedef struct kft_spec kft_spec_t;
typedef struct kft_job kft_job_t;
typedef struct kft_job_list kft_job_list_t;
typedef struct kft_runtime kft_runtime_t;
typedef struct kft_runtime_list kft_runtime_list_t;
typedef struct kft_event_list kft_event_list_t;
typedef struct kft_event kft_event_t;     /* one event, borrowed from its list */
typedef struct kft_step kft_step_t;       /* one step, borrowed from its job */
typedef struct kft_metric kft_metric_t;   /* one metric, borrowed from its job */
typedef struct kft_label kft_label_t;     /* one metadata label, borrowed from its job */
typedef struct kft_backend kft_backend_t;

#endif
