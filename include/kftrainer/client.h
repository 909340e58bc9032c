/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KFTRAINER_CLIENT_H
#define KFTRAINER_CLIENT_H

#include "common.h"
#include "render.h"

KFT_BEGIN_DECL

/**
 * Options of kft_client_new(). The built-in backends' settings have fields;
 * any backend, built in or registered with kft_backend_register(), also gets
 * backend_option_keys/values (version 2): string pairs it reads with
 * kft_backend_option() and checks itself (a key it does not know is refused
 * with KFT_EINVALID naming the key; the built-in backends take none).
 */
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
	const char *const *backend_option_keys;    /* version 2: any backend's own settings */
	const char *const *backend_option_values;  /* version 2: value i of key i */
	size_t nbackend_options;                   /* version 2: number of pairs */
} kft_client_opts_t;
/** The newest kft_client_opts_t layout this header describes. */
#define KFT_CLIENT_OPTS_VERSION 2
/** Every field of kft_client_opts_t at its default. */
#define KFT_CLIENT_OPTS_INIT { KFT_CLIENT_OPTS_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, \
                               NULL, NULL, NULL, 0, NULL, NULL, 0 }
/** Fill opts with the defaults of the given version; only that version's fields are written. */
KFT_EXTERN int kft_client_opts_init(kft_client_opts_t *opts, unsigned int version);

/** Make a client of the backend opts names (opts NULL: defaults). Yours: kft_client_free(*out). */
KFT_EXTERN int kft_client_new(kft_client_t **out, const kft_client_opts_t *opts);
/** Free a client (and its backend). NULL: no-op. */
KFT_EXTERN void kft_client_free(kft_client_t *client);
/** Name of the backend the client uses ("local", "container", "kubernetes", ...). */
KFT_EXTERN const char *kft_client_backend(const kft_client_t *client);

#define KFT_TRAIN_SERVER_DRY_RUN (1u << 0)  /* kubernetes: ?dryRun=All, nothing is created */
#define KFT_TRAIN_NO_VALIDATE (1u << 1)     /* skip client-side validation (server checks only) */

/** Options of kft_train(). */
typedef struct {
	unsigned int version;   /* KFT_TRAIN_OPTS_VERSION, always first */
	uint32_t flags;         /* KFT_TRAIN_* */
} kft_train_opts_t;
/** The newest kft_train_opts_t layout this header describes. */
#define KFT_TRAIN_OPTS_VERSION 1
/** Every field of kft_train_opts_t at its default. */
#define KFT_TRAIN_OPTS_INIT { KFT_TRAIN_OPTS_VERSION, 0 }
/** Fill opts with the defaults of the given version; only that version's fields are written. */
KFT_EXTERN int kft_train_opts_init(kft_train_opts_t *opts, unsigned int version);

/**
 * Validate the TrainJob, then submit it (kubernetes) or start it (local,
 * container). A spec without a name gets a generated one. *out is the job
 * as just created (out is required, as everywhere; NULL on failure).
 */
KFT_EXTERN int kft_train(kft_job_t **out, kft_client_t *client, const kft_spec_t *spec,
                         const kft_train_opts_t *opts);

/**
 * What kft_train would do, without doing it: the per-step argv/env/cwd plan
 * (local, container) or the request (kubernetes), as opts->format says
 * (opts NULL: YAML). Yours: kft_free(*out).
 */
KFT_EXTERN int kft_render_plan(char **out, kft_client_t *client, const kft_spec_t *spec,
                               const kft_render_opts_t *opts);

/** The job's current status. KFT_ENOTFOUND if there is none. Yours: kft_job_free(*out). */
KFT_EXTERN int kft_get_job(kft_job_t **out, kft_client_t *client, const char *name);
/** Every job (runtime NULL) or only jobs of that runtime. Yours: kft_job_list_free(*out). */
KFT_EXTERN int kft_list_jobs(kft_job_list_t **out, kft_client_t *client, const char *runtime);

#define KFT_DELETE_KEEP_STATE (1u << 0)   /* local/container: keep the job's records and logs */

/** Options of kft_delete_job(). */
typedef struct {
	unsigned int version;       /* KFT_DELETE_OPTS_VERSION, always first */
	uint32_t flags;             /* KFT_DELETE_* */
	int64_t grace_period_ms;    /* SIGTERM -> SIGKILL delay; < 0: default (10 s) */
	const char *propagation;    /* kubernetes: Foreground, Background, Orphan; NULL: server default */
} kft_delete_opts_t;
/** The newest kft_delete_opts_t layout this header describes. */
#define KFT_DELETE_OPTS_VERSION 1
/** Every field of kft_delete_opts_t at its default. */
#define KFT_DELETE_OPTS_INIT { KFT_DELETE_OPTS_VERSION, 0, -1, NULL }
/** Fill opts with the defaults of the given version; only that version's fields are written. */
KFT_EXTERN int kft_delete_opts_init(kft_delete_opts_t *opts, unsigned int version);

/** Cancel (stop every step) and delete a job. */
KFT_EXTERN int kft_delete_job(kft_client_t *client, const char *name, const kft_delete_opts_t *opts);
/** Suspend (1) or resume (0) a job. */
KFT_EXTERN int kft_suspend_job(kft_client_t *client, const char *name, int suspend);

/** The job's events, oldest first. Yours: kft_event_list_free(*out). */
KFT_EXTERN int kft_get_events(kft_event_list_t **out, kft_client_t *client, const char *name);

/** The runtimes the backend knows. Yours: kft_runtime_list_free(*out). */
KFT_EXTERN int kft_list_runtimes(kft_runtime_list_t **out, kft_client_t *client);
/** One runtime by name; KFT_ENOTFOUND if unknown. Yours: kft_runtime_free(*out). */
KFT_EXTERN int kft_get_runtime(kft_runtime_t **out, kft_client_t *client, const char *name);

KFT_END_DECL
#endif
