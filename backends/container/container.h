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

#endif
