/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KFTRAINER_RUNTIME_H
#define KFTRAINER_RUNTIME_H

#include "common.h"
#include "render.h"

KFT_BEGIN_DECL

/*
 * A ClusterTrainingRuntime or TrainingRuntime. Builtin runtimes are carried
 * by the library; user runtimes are read from YAML files in $KFT_RUNTIME_PATH
 * (colon-separated directories, default ~/.config/kftrainer/runtimes) and
 * override builtins by name; the kubernetes backend reads the cluster's.
 */

/** Parse a runtime manifest (YAML or JSON) of exactly len bytes; len 0 is KFT_EINVALID. */
KFT_EXTERN int kft_runtime_parse(kft_runtime_t **out, const char *text, size_t len);
/** Deep copy of a runtime. Yours: kft_runtime_free(*out). */
KFT_EXTERN int kft_runtime_dup(kft_runtime_t **out, const kft_runtime_t *rt);
/** Free a runtime. NULL: no-op; never free one borrowed from a list. */
KFT_EXTERN void kft_runtime_free(kft_runtime_t *rt);

/** metadata.name of the runtime. */
KFT_EXTERN const char *kft_runtime_name(const kft_runtime_t *rt);
/** "ClusterTrainingRuntime" or "TrainingRuntime". */
KFT_EXTERN const char *kft_runtime_kind(const kft_runtime_t *rt);
/** Label trainer.kubeflow.org/framework (torch, deepspeed, mlx, jax, xgboost, torchtune); NULL if absent. */
KFT_EXTERN const char *kft_runtime_framework(const kft_runtime_t *rt);
/** "CustomTrainer" or "BuiltinTrainer". */
KFT_EXTERN const char *kft_runtime_trainer_type(const kft_runtime_t *rt);
/** "torch", "mpi", "jax", "xgboost", or "plain" (no mlPolicy kind). */
KFT_EXTERN const char *kft_runtime_policy(const kft_runtime_t *rt);
/** mlPolicy.numNodes, default 1. */
KFT_EXTERN int64_t kft_runtime_num_nodes(const kft_runtime_t *rt);
/** Image of the trainer container "node"; NULL if none. */
KFT_EXTERN const char *kft_runtime_image(const kft_runtime_t *rt);
/** "builtin", "file" or "cluster". */
KFT_EXTERN const char *kft_runtime_source(const kft_runtime_t *rt);
/** Render the manifest as YAML or JSON (opts NULL: YAML). Yours: kft_free(*out). */
KFT_EXTERN int kft_runtime_render(char **out, const kft_runtime_t *rt,
                                  const kft_render_opts_t *opts);

/** Number of runtimes in a list. */
KFT_EXTERN size_t kft_runtime_list_count(const kft_runtime_list_t *list);
/** Borrowed from the list; NULL when i is out of range. */
KFT_EXTERN const kft_runtime_t *kft_runtime_list_at(const kft_runtime_list_t *list, size_t i);
/** Free a list and its runtimes. NULL: no-op. */
KFT_EXTERN void kft_runtime_list_free(kft_runtime_list_t *list);

KFT_END_DECL
#endif
