/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KFTRAINER_LOGS_H
#define KFTRAINER_LOGS_H

#include "common.h"

KFT_BEGIN_DECL

#define KFT_LOGS_FOLLOW (1u << 0)   /* keep streaming until the step(s) end */
#define KFT_LOGS_PREFIX (1u << 1)   /* prefix each line with "<step>: " (default when step is NULL) */
#define KFT_LOGS_NO_PREFIX (1u << 2)
#define KFT_LOGS_TIMESTAMPS (1u << 3) /* each line starts with its RFC 3339 time */

/**
 * Receives log bytes. chunk is not NUL-terminated and holds whole lines
 * (a final unterminated line is delivered when its step ends). step names
 * the step. Non-zero stops kft_logs, which returns that value. While
 * following, cb is also called with len 0 (and step "") at least once a
 * second, so a caller can cancel a quiet follow; ignore such calls.
 */
typedef int (*kft_log_cb)(const char *chunk, size_t len, const char *step, void *payload);

typedef struct {
	unsigned int version;   /* KFT_LOGS_OPTS_VERSION */
	const char *step;       /* "node-0", "launcher", "dataset-initializer", ...; NULL: all steps */
	uint32_t flags;         /* KFT_LOGS_* */
	int64_t tail_lines;     /* < 0: everything; N: the last N lines of each step */
	int64_t since_ms;       /* only lines newer than this many ms; 0: all */
	int64_t timeout_ms;     /* follow: stop after this long (KFT_ETIMEOUT); <= 0: none */
} kft_logs_opts_t;
#define KFT_LOGS_OPTS_VERSION 1
#define KFT_LOGS_OPTS_INIT { KFT_LOGS_OPTS_VERSION, NULL, 0, -1, 0, 0 }
KFT_EXTERN int kft_logs_opts_init(kft_logs_opts_t *opts, unsigned int version);

/** Read (or follow) a job's logs. Following waits for a step to start. */
KFT_EXTERN int kft_logs(kft_client_t *client, const char *name, const kft_logs_opts_t *opts,
                        kft_log_cb cb, void *payload);

KFT_END_DECL
#endif
