/*
 * The Training Operator v1 kinds, shared by the converter (convert.c, which
 * holds the one table) and the job view of v1 jobs read from a cluster
 * (v1job.c). Not for the rest of the core, which goes through internal.h's
 * kft__v1_* functions.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef KFT_V1KIND_H
#define KFT_V1KIND_H

#include "internal.h"

typedef struct {
	const char *kind, *api, *plural, *rkey, *container;
	const char *const *roles;    /* replica types, in the order they are read */
	const char *const *fields;   /* kind-specific spec fields handled by convert.c */
	const char *runtime;         /* default runtime, NULL: none ships (§3) */
	int since_minor;             /* first Trainer v2 minor that ships it */
} kft__v1_kind;

/** The table (convert.c), kft__v1_nkinds entries. */
extern const kft__v1_kind kft__v1_kinds[];
extern const size_t kft__v1_nkinds;

/** The kind of a document by its kind and apiVersion, or NULL. */
const kft__v1_kind *kft__v1_kind_of(const cJSON *d);
/** A replica spec's replicas (1 if absent); an error names path. */
int kft__v1_replicas(int64_t *out, const cJSON *rs, const char *path);
/** Roles that become TrainJob nodes (§4): not PS, Evaluator, or an MPI Launcher. */
int kft__v1_is_node_role(const char *name);

#endif
