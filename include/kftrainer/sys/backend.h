/*
 * For backend authors only: the backend vtable and its registry.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef KFTRAINER_SYS_BACKEND_H
#define KFTRAINER_SYS_BACKEND_H

#include "../../kftrainer.h"

KFT_BEGIN_DECL

#define KFT_BACKEND_VERSION 7   /* 2: get_metrics_history; 3: caps, resolve_runtime, and
                                   submit/render_plan take the resolved runtime;
                                   4: list_v1_jobs, get_v1_job; 5: get_manifest;
                                   6: workspace_dir;
                                   7: render_plan takes a kft_render_opts_t */
#define KFT_BACKEND_MIN_VERSION 7   /* the oldest vtable the core accepts */

/*
 * Capabilities (kft_backend.caps): how a backend differs, asked by the core
 * instead of comparing names.
 *
 * KFT_BACKEND_CAP_REMOTE_RUNTIMES: the runtimes live on a server that may not
 * let this client read them (RBAC) while still accepting jobs that name them.
 * A runtime that cannot be read is then not an error at submit: the core
 * validates without it and the server decides. An unreachable server still is.
 */
#define KFT_BACKEND_CAP_REMOTE_RUNTIMES (1u << 0)

/*
 * A backend. version first; a NULL optional method makes the core return
 * KFT_ENOTSUPPORTED (list_runtimes/get_runtime default to the local
 * catalog). free is required.
 *
 * Submit once: for kft_train and kft_render_plan the core reads the runtime
 * the spec names ONCE (resolve_runtime, else get_runtime, else the local
 * catalog), expands and canonicalizes the spec ONCE, and (kft_train, unless
 * KFT_TRAIN_NO_VALIDATE) validates it; submit and render_plan get that final
 * spec and that runtime (NULL only when KFT_BACKEND_CAP_REMOTE_RUNTIMES let
 * it be unreadable), and must not read or expand them again.
 */
struct kft_backend {
	unsigned int version;   /* KFT_BACKEND_VERSION */
	const char *name;       /* "local", "container", "kubernetes", ... */
	int (*submit)(kft_job_t **out, kft_backend_t *be, const kft_spec_t *spec,
	              const kft_runtime_t *rt, const kft_train_opts_t *opts);
	/* opts is never NULL (the core fills in defaults) */
	int (*render_plan)(char **out, kft_backend_t *be, const kft_spec_t *spec,
	                   const kft_runtime_t *rt, const kft_render_opts_t *opts);
	int (*get_job)(kft_job_t **out, kft_backend_t *be, const char *name);
	int (*list_jobs)(kft_job_list_t **out, kft_backend_t *be, const char *runtime);
	/* optional: without it the core waits by calling get_job once a second */
	int (*wait)(kft_job_t **out, kft_backend_t *be, const char *name, const kft_wait_opts_t *opts);
	int (*logs)(kft_backend_t *be, const char *name, const kft_logs_opts_t *opts, kft_log_cb cb,
	            void *payload);
	int (*delete_job)(kft_backend_t *be, const char *name, const kft_delete_opts_t *opts);
	int (*suspend_job)(kft_backend_t *be, const char *name, int suspend);
	int (*get_events)(kft_event_list_t **out, kft_backend_t *be, const char *name);
	int (*list_runtimes)(kft_runtime_list_t **out, kft_backend_t *be);
	int (*get_runtime)(kft_runtime_t **out, kft_backend_t *be, const char *name);
	void (*free)(kft_backend_t *be);
	/* version >= 2, optional: the job's progress-update history (kft_get_metrics_history) */
	int (*get_metrics_history)(kft_metrics_history_t **out, kft_backend_t *be, const char *name);
	/* version >= 3 */
	unsigned int caps;      /* KFT_BACKEND_CAP_* */
	/* optional: the runtime a runtimeRef names (kind NULL: ClusterTrainingRuntime);
	 * without it the core uses get_runtime(name) */
	int (*resolve_runtime)(kft_runtime_t **out, kft_backend_t *be, const char *name,
	                       const char *kind);
	/*
	 * version >= 4, optional: Training Operator v1 jobs (kft_list_v1_jobs, kft_get_v1_job),
	 * built with kft__v1_job_from_json; kind is canonical ("PyTorchJob", "MPIJob", ...).
	 */
	int (*list_v1_jobs)(kft_job_list_t **out, kft_backend_t *be);
	int (*get_v1_job)(kft_job_t **out, kft_backend_t *be, const char *kind, const char *name);
	/* version >= 5, optional: the job's kft_manifest_t document as JSON text (yours:
	 * kft_free); the core renders it (kft_get_job_manifest) */
	int (*get_manifest)(char **out_json, kft_backend_t *be, const char *name, int what);
	/* version >= 6, optional: the directory on this machine that the job's steps see at
	 * /workspace (yours: kft_free); kft_copy_from_job copies out of it */
	int (*workspace_dir)(char **out, kft_backend_t *be, const char *name);
};

/**
 * Makes a backend for kft_client_new(). opts is never NULL and always has
 * the current layout (the core copies an older caller's struct over the
 * defaults).
 */
typedef int (*kft_backend_factory_cb)(kft_backend_t **out, const kft_client_opts_t *opts,
                                      void *payload);

/** Register a backend factory by name (replaces one of the same name). */
KFT_EXTERN int kft_backend_register(const char *name, kft_backend_factory_cb factory, void *payload);
/** Remove a registered backend; KFT_ENOTFOUND if unknown. */
KFT_EXTERN int kft_backend_unregister(const char *name);
/**
 * The value of a backend option (kft_client_opts_t.backend_option_keys) for a
 * factory to read; NULL when the key was not given. The last pair wins.
 */
KFT_EXTERN const char *kft_backend_option(const kft_client_opts_t *opts, const char *key);

KFT_END_DECL
#endif
