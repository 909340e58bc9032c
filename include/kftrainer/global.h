/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KFTRAINER_GLOBAL_H
#define KFTRAINER_GLOBAL_H

#include "common.h"

KFT_BEGIN_DECL

/** Reference-counted global setup; > 0: number of active inits, < 0: KFT_E*. */
KFT_EXTERN int kft_init(void);
/** Drop one reference; returns the remaining count; 0 releases everything. */
KFT_EXTERN int kft_shutdown(void);
/** Free memory the library handed to the caller (char **out results). NULL: no-op. */
KFT_EXTERN void kft_free(void *ptr);

/** Diagnostic levels. */
typedef enum {
	KFT_DIAG_ERROR = 0,
	KFT_DIAG_WARN = 1,
	KFT_DIAG_INFO = 2,
	KFT_DIAG_DEBUG = 3
} kft_diag_level_t;

/** Receives the library's diagnostics (warnings, debug traces). Secrets are never passed. */
typedef void (*kft_diag_cb)(int level, const char *message, void *payload);

/**
 * Install a process-wide diagnostics handler and the most verbose level it
 * wants. NULL handler: diagnostics are dropped (the default). Not thread-safe
 * against concurrent calls of itself; call it once at start-up.
 */
KFT_EXTERN void kft_diag_set_handler(kft_diag_cb cb, int max_level, void *payload);

KFT_END_DECL
#endif
