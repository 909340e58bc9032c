/*
 * Container backend internals, shared by its files and its tests:
 *
 *   backend.c   the vtable: plan, submit (containers + store + supervisor),
 *               get/list/wait/logs/events/suspend from the store, delete
 *   body.c      the container-create body of one plan step
 *   labels.c    a job rebuilt from its containers when the state dir is lost:
 *               containers -> step records -> the runner's status algorithm
 *               (backends/runner/status.h), the same one the supervisor uses;
 *               events; resume
 *   follow.c    wait and logs of such a job (the engine's event and log streams)
 *   engine.c    the Docker Engine API client (engine.h)
 *   step.c      kft-container-step, the container step runner program
 *
 * Nothing in labels.c or follow.c changes a job: reading a job whose
 * supervisor is gone reports what its containers say. The steps of a job do
 * not outlive its supervisor: each kft-container-step has PR_SET_PDEATHSIG
 * and stops its container when the supervisor dies (step.c).
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef KFT_CONTAINER_H
#define KFT_CONTAINER_H

#include "engine.h"
#include "../runner/backend.h"

/* The labels on every container (and the network) of a job. */
#define L_JOB "trainer.kubeflow.org/trainjob-name"
#define L_STEP "trainer.kubeflow.org/step"
#define L_RUNTIME "trainer.kubeflow.org/runtime"
#define L_STEPS "kftrainer.dev/steps"
#define L_ROLE "kftrainer.dev/role"
#define L_WORKSPACE "kftrainer.dev/workspace"
#define L_JOBDIR "kftrainer.dev/job-dir"
#define L_CREATED "kftrainer.dev/created-ms"
#define L_DEADLINE "kftrainer.dev/active-deadline-seconds"
#define L_NODES "kftrainer.dev/num-nodes"
#define L_NETWORK "kftrainer.dev/network"
#define L_SUSPENDED "kftrainer.dev/suspended"

/* The backend (one per client). */
typedef struct {
	kft__runner_backend rb;   /* first; rb.root: the job store, <state dir>/container */
	kft__engine *eng;
	char *host, *pull_policy, *network, *state_dir, *runtime_path;
	int64_t timeout_ms;
} cbackend;

/* The engine, connected on first use. */
int kft__container_engine(kft__engine **out, cbackend *b);

/* What every container of a job shares (labels, mounts, network). */
typedef struct {
	const char *job, *runtime, *steps, *jobdir, *workspace, *network, *created, *deadline;
	const char *nodes;
	int podman, suspended;
	const cJSON *files;     /* plan files outside /workspace: bind-mounted read-only */
} body_ctx;

/** The container-create body for one plan step. */
int kft__container_body(cJSON **out, const body_ctx *c, const cJSON *step);

/* ---- labels.c: a job from its containers ---- */

/* One step's container, as inspected. */
typedef struct {
	char *step, *id, *cname, *role;
	cJSON *insp;              /* inspect data */
	const char *status;       /* State.Status; "removed" when it went away */
	int exit_code, oom;
	int64_t started, finished;
} cstep;

/* A job's containers. */
typedef struct {
	char *name;
	cstep *s;
	size_t n;
	cJSON *labels;            /* a copy of the first container's labels */
} cjob;

/** Load one job's containers (from a container list filtered to it); e NULL: tests (see below). */
int kft__cjob_load(cjob *j, kft__engine *e, const char *name, const cJSON *list);
/** List a job's containers (by its label, into *list) and load them. */
int kft__cjob_find(cjob *j, cJSON **list, kft__engine *e, const char *name);
void kft__cjob_clear(cjob *j);
const char *kft__cjob_label(const cjob *j, const char *key);
/** Stop every still-running container of the job, all at once, within grace_ms (delete). */
void kft__cjob_stop(kft__engine *e, cjob *j, int64_t grace_ms);

/** A job from its containers; *found 0 (and 0 returned) when it has none. Changes nothing. */
int kft__container_observe(kft_job_t **out, cbackend *b, const char *name, int *found);
/**
 * For tests: kft__container_observe from an Engine container list (GET
 * /containers/json) whose entries carry their inspect answer as "Inspect"
 * (absent: the container went away meanwhile). *out NULL when none is the job's.
 */
int kft__container_observe_json(kft_job_t **out, const char *name, const cJSON *list);
/** kft__container_observe, KFT_ENOTFOUND when the job has no container. */
int kft__container_labels_get_job(kft_job_t **out, kft_backend_t *be, const char *name);
int kft__container_labels_get_events(kft_event_list_t **out, kft_backend_t *be,
                                     const char *name);
/** Resume a job submitted suspended (start its created containers); suspend is refused. */
int kft__container_labels_resume(kft_backend_t *be, const char *name, int suspend);

/* ---- follow.c ---- */

int kft__container_labels_wait(kft_job_t **out, kft_backend_t *be, const char *name,
                               const kft_wait_opts_t *opts);
int kft__container_labels_logs(kft_backend_t *be, const char *name, const kft_logs_opts_t *opts,
                               kft_log_cb cb, void *payload);

#endif
