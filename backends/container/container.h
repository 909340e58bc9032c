/*
 * Container backend internals shared with its tests.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef KFT_CONTAINER_H
#define KFT_CONTAINER_H

#include "engine.h"

/* What every container of a job shares (labels, mounts, network). */
typedef struct {
	const char *job, *runtime, *steps, *jobdir, *workspace, *network, *created, *deadline;
	const char *nodes;
	int podman, suspended;
	const cJSON *files;     /* plan files outside /workspace: bind-mounted read-only */
} body_ctx;

/** The container-create body for one plan step. */
int kft__container_body(cJSON **out, const body_ctx *c, const cJSON *step);
/** Docker time "2026-11-29T09:03:13.063631103Z" (or +hh:mm) -> Unix ms; 0 if unknown. */
int64_t kft__container_time_ms(const char *s);

#endif
