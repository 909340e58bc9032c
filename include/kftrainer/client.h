/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KFTRAINER_CLIENT_H
#define KFTRAINER_CLIENT_H

#include "common.h"

KFT_BEGIN_DECL

typedef struct {
	unsigned int version;        /* KFT_CLIENT_OPTS_VERSION, always first */
	const char *backend;         /* NULL: $KFT_BACKEND, else "local" */
	const char *state_dir;       /* local/container: NULL: $KFT_STATE_DIR, else $XDG_STATE_HOME/kftrainer */
	const char *runtime_path;    /* NULL: $KFT_RUNTIME_PATH, else ~/.config/kftrainer/runtimes */
	const char *kubeconfig;      /* kubernetes: NULL: $KUBECONFIG, then ~/.kube/config */
	const char *context;         /* kubernetes: NULL: current-context */
	const char *ns;              /* kubernetes: NULL: the context's, else "default" */
	const char *container_host;  /* container: NULL: $DOCKER_HOST, $CONTAINER_HOST, known sockets */
	const char *pull_policy;     /* container: IfNotPresent (default), Always, Never */
	const char *network;         /* container: "host" (default) or "bridge" (per-job network) */
	int64_t timeout_ms;          /* per-request timeout for remote backends; 0: default */
} kft_client_opts_t;
#define KFT_CLIENT_OPTS_VERSION 1
#define KFT_CLIENT_OPTS_INIT { KFT_CLIENT_OPTS_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, \
                               NULL, NULL, NULL, 0 }
KFT_EXTERN int kft_client_opts_init(kft_client_opts_t *opts, unsigned int version);

KFT_EXTERN int kft_client_new(kft_client_t **out, const kft_client_opts_t *opts);
KFT_EXTERN void kft_client_free(kft_client_t *client);
/** Name of the backend the client uses ("local", "container", "kubernetes", ...). */
KFT_EXTERN const char *kft_client_backend(const kft_client_t *client);

#define KFT_TRAIN_SERVER_DRY_RUN (1u << 0)  /* kubernetes: ?dryRun=All, nothing is created */
#define KFT_TRAIN_NO_VALIDATE (1u << 1)     /* skip client-side validation (server checks only) */

typedef struct {
	unsigned int version;   /* KFT_TRAIN_OPTS_VERSION */
	uint32_t flags;         /* KFT_TRAIN_* */
} kft_train_opts_t;
#define KFT_TRAIN_OPTS_VERSION 1
#define KFT_TRAIN_OPTS_INIT { KFT_TRAIN_OPTS_VERSION, 0 }
KFT_EXTERN int kft_train_opts_init(kft_train_opts_t *opts, unsigned int version);

/**
 * Validate the TrainJob, then submit it (kubernetes) or start it (local,
 * container). A spec without a name gets a generated one. *out is the job
 * as just created.
 */
KFT_EXTERN int kft_train(kft_job_t **out, kft_client_t *client, const kft_spec_t *spec,
                         const kft_train_opts_t *opts);

/**
 * What kft_train would do, without doing it: the per-step argv/env/cwd plan
 * (local, container) or the request (kubernetes). Yours: kft_free(*out).
 */
KFT_EXTERN int kft_render_plan(char **out, kft_client_t *client, const kft_spec_t *spec,
                               int format);

KFT_EXTERN int kft_get_job(kft_job_t **out, kft_client_t *client, const char *name);
/** runtime NULL: every job; else only jobs of that runtime. */
KFT_EXTERN int kft_list_jobs(kft_job_list_t **out, kft_client_t *client, const char *runtime);

#define KFT_DELETE_KEEP_STATE (1u << 0)   /* local/container: keep the job's records and logs */

typedef struct {
	unsigned int version;       /* KFT_DELETE_OPTS_VERSION */
	uint32_t flags;             /* KFT_DELETE_* */
	int64_t grace_period_ms;    /* SIGTERM -> SIGKILL delay; < 0: default (10 s) */
	const char *propagation;    /* kubernetes: Foreground, Background, Orphan; NULL: server default */
} kft_delete_opts_t;
#define KFT_DELETE_OPTS_VERSION 1
#define KFT_DELETE_OPTS_INIT { KFT_DELETE_OPTS_VERSION, 0, -1, NULL }
KFT_EXTERN int kft_delete_opts_init(kft_delete_opts_t *opts, unsigned int version);

/** Cancel (stop every step) and delete a job. */
KFT_EXTERN int kft_delete_job(kft_client_t *client, const char *name, const kft_delete_opts_t *opts);
/** Suspend (1) or resume (0) a job. */
KFT_EXTERN int kft_suspend_job(kft_client_t *client, const char *name, int suspend);

KFT_EXTERN int kft_get_events(kft_event_list_t **out, kft_client_t *client, const char *name);

KFT_EXTERN int kft_list_runtimes(kft_runtime_list_t **out, kft_client_t *client);
KFT_EXTERN int kft_get_runtime(kft_runtime_t **out, kft_client_t *client, const char *name);

KFT_END_DECL
#endif
