/*
 * Builtin trainers (Kubeflow's BuiltinTrainer): a small internal registry.
 * A new trainer (TRL, Unsloth-style ...) is one file defining a
 * kft__builtin_trainer and one line in lib/builtin.c's table.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef KFT_BUILTIN_H
#define KFT_BUILTIN_H

#include "internal.h"

typedef struct kft__builtin_trainer {
	const char *name;   /* "torchtune" */
	/** Non-zero if this trainer serves runtime rt (e.g. framework label). */
	int (*serves)(const kft_runtime_t *rt);
	/**
	 * Fill trainjob's spec.trainer from config (the JSON the public setter
	 * stored): command, args, numNodes, resourcesPerNode. rt may be NULL.
	 */
	int (*to_trainer)(cJSON *trainjob, const cJSON *config, const kft_runtime_t *rt);
	/** Webhook rules for a finalized TrainJob that uses this trainer. */
	int (*validate)(const cJSON *trainjob, const kft_runtime_t *rt);
	/** Does a finalized TrainJob use this trainer (e.g. command == ["tune","run"])? */
	int (*matches)(const cJSON *trainjob);
	/**
	 * Local runs (the plan compiler): the final argv of node `rank`, as the
	 * controller would build it. nnodes = N; nproc = PET_NPROC_PER_NODE value
	 * ("auto" or an integer); gpus = GPU count per node; rdzv = "127.0.0.1:PORT";
	 * workspace replaces "/workspace" in runtime paths. Optional (NULL: the
	 * TrainJob's command/args are used as they are).
	 */
	int (*local_command)(kft__strv *argv, const cJSON *trainjob, const kft_runtime_t *rt,
	                     int64_t nnodes, const char *nproc, int64_t gpus, const char *rdzv,
	                     const char *workspace);
	/** Tools that must be on PATH for a local run (NULL-terminated), with a hint. */
	const char *const *local_tools;
	const char *local_tools_hint;
} kft__builtin_trainer;

const kft__builtin_trainer *kft__builtin_find(const char *name);
const kft__builtin_trainer *kft__builtin_for_runtime(const kft_runtime_t *rt);
/** The trainer a finalized TrainJob uses, or NULL. */
const kft__builtin_trainer *kft__builtin_for_doc(const cJSON *trainjob);

/**
 * Local runs: if trainjob uses a builtin trainer, check that its local_tools
 * are on PATH; KFT_ENOTFOUND naming the tool and the hint otherwise.
 */
int kft__builtin_check_local_tools(const cJSON *trainjob);

/** Store a builtin trainer config on a spec (takes config). */
int kft__spec_set_builtin(kft_spec_t *spec, const char *name, cJSON *config);

#endif
