/*
 * The methods a backend whose jobs run under the job runner (local, container)
 * answers from the job store: get, wait, logs, events, manifest, workspace,
 * metrics history, suspend. The backend embeds kft__runner_backend first,
 * calls kft__runner_backend_init and sets the rest of the vtable itself
 * (submit, render_plan, list_jobs, delete_job, free).
 *
 * fallback answers for a job that has no record in the store (the container
 * backend: its state dir was lost, and the engine's labels still know the
 * job); each method it leaves NULL, and every method without a fallback,
 * reads the store, which reports the job not found.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef KFT_RUNNER_BACKEND_H
#define KFT_RUNNER_BACKEND_H

#include "store.h"

typedef struct {
	kft_backend_t base;             /* first: the vtable; base.name is the store's backend */
	char *root;                     /* the job store (jobs/<name>/...) */
	kft__store_children pending;    /* supervisor first processes not reaped yet */
	const kft_backend_t *fallback;  /* for jobs the store does not hold; NULL: none */
} kft__runner_backend;

/** Fill rb->base: version, name (static text) and the store-answered methods. */
void kft__runner_backend_init(kft__runner_backend *rb, const char *name,
                              const kft_backend_t *fallback);
/** Release root and reap the pending supervisor processes (not rb itself). */
void kft__runner_backend_clear(kft__runner_backend *rb);
/** 1 if the job has a supervisor-owned record in the store, 0 if not (or on error). */
int kft__runner_in_store(kft__runner_backend *rb, const char *name);

#endif
