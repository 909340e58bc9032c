/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KFTRAINER_LOGS_H
#define KFTRAINER_LOGS_H

#include "common.h"

KFT_BEGIN_DECL

/** kft_logs_opts_t.flags: keep streaming until the step(s) end. */
#define KFT_LOGS_FOLLOW (1u << 0)
/** kft_logs_opts_t.flags: each line starts with its RFC 3339 time. */
#define KFT_LOGS_TIMESTAMPS (1u << 3)   /* bits 1 and 2 were version 1's prefix flags */

/** kft_logs_opts_t.prefix: whether each line starts with "<step>: ". */
typedef enum {
	KFT_LOG_PREFIX_AUTO = 0,     /* prefix when more than one step is read (step NULL) */
	KFT_LOG_PREFIX_ALWAYS = 1,   /* prefix even for a single step */
	KFT_LOG_PREFIX_NEVER = 2     /* never prefix, even when steps are interleaved */
} kft_log_prefix_t;

/**
 * Receives log bytes. chunk is not NUL-terminated and holds whole lines
 * (a final unterminated line is delivered when its step ends). step names
 * the step. Non-zero stops kft_logs, which returns that value. While
 * following, every backend also calls cb with len 0 (and step "") at least
 * once a second while no bytes arrive, so a caller can cancel a quiet
 * follow; ignore such calls.
 */
typedef int (*kft_log_cb)(const char *chunk, size_t len, const char *step, void *payload);

/** Options of kft_logs(). Version 2 added prefix (version 1 used flag bits 1 and 2). */
typedef struct {
	unsigned int version;   /* KFT_LOGS_OPTS_VERSION, always first */
	const char *step;       /* "node-0", "launcher", "dataset-initializer", ...; NULL: all steps */
	uint32_t flags;         /* KFT_LOGS_* */
	int64_t tail_lines;     /* < 0: everything; N: the last N lines of each step */
	int64_t since_ms;       /* only lines newer than this many ms; 0: all */
	int64_t timeout_ms;     /* follow: stop after this long (KFT_ETIMEOUT); <= 0: none */
	int prefix;             /* kft_log_prefix_t (version 2) */
} kft_logs_opts_t;
/** The newest kft_logs_opts_t layout this header describes. */
#define KFT_LOGS_OPTS_VERSION 2
/** Every field of kft_logs_opts_t at its default. */
#define KFT_LOGS_OPTS_INIT { KFT_LOGS_OPTS_VERSION, NULL, 0, -1, 0, 0, KFT_LOG_PREFIX_AUTO }
/** Fill opts with the defaults of the given version; only that version's fields are written. */
KFT_EXTERN int kft_logs_opts_init(kft_logs_opts_t *opts, unsigned int version);

/**
 * Read (or, with KFT_LOGS_FOLLOW, follow) a job's logs, calling cb with
 * whole lines. Following waits for a step to start and ends when the
 * step(s) end; cb's non-zero return or opts->timeout_ms stops it earlier.
 */
KFT_EXTERN int kft_logs(kft_client_t *client, const char *name, const kft_logs_opts_t *opts,
                        kft_log_cb cb, void *payload);

KFT_END_DECL
#endif
