/*
 * The plan compiler: the local twin of Trainer's controller. TrainJob +
 * runtime -> ordered steps with argv, env and cwd, exactly as the controller
 * would put them in pods, with 127.0.0.1 and a free port instead of pod DNS
 * names and 29500. Shared by the local and container backends.
 * SPDX-License-Identifier: Apache-2.0
 *
 * Plan JSON (what `kft render --plan` prints, and what the supervisor runs):
 * {
 *   "apiVersion": "kftrainer.dev/v1", "kind": "Plan",
 *   "job": "<name>", "runtime": "<runtime>", "backend": "local"|"container",
 *   "workspace": "<abs path>", "masterAddr": "127.0.0.1", "masterPort": 40123,
 *   "activeDeadlineSeconds": 600,             (only if set)
 *   "suspend": true,                          (only if spec.suspend)
 *   "policy": "torch"|"mpi"|"jax"|"xgboost"|"plain", "numNodes": 2,
 *   "files": [ {"path": "<abs>", "content": "...", "mode": 292} ],   (to write before
 *             running, e.g. the MPI hostfile; local: under <workspace>/.kft/)
 *   "steps": [                                 (start order: initializers, then nodes)
 *     { "name": "dataset-initializer" | "model-initializer" | "launcher" | "node-0" ...,
 *       "role": "initializer" | "launcher" | "node",
 *       "rank": 0,                             (nodes only)
 *       "dependsOn": [ {"name": "dataset-initializer", "status": "Complete"} ],
 *       "argv": ["torchrun", "train.py"],
 *       "env": {"PET_NNODES": "2", ...},       (ordered: runtime env, trainer env, framework env)
 *       "cwd": "<abs path>",
 *       "image": "pytorch/pytorch:...",       (the step's image; container backend)
 *       "resources": {"limits": {...}, "requests": {...}}   (if any)
 *       "mounts": [ {"target": "/data", "type": "bind"|"volume"|"tmpfs"|"ssh-auth",
 *                    "source": "/host/path" (bind), "readOnly": false,
 *                    "volume": "<name>"} ]   (container plans only: the TrainJob's
 *                    hostPath/emptyDir volumes, from the runtime and runtimePatches;
 *                    ssh-auth: the job's MPI SSH keys at sshAuthMountPath)
 *     } ]
 * Local initializer steps run `<initializer_program> initialize <dataset|model> <uri> <dest>`
 * (the local backend passes its kft-supervisor);
 * local MPI plans have one launcher step (mpirun, hostfile "localhost slots=N") and
 * no sshd nodes; container MPI plans have the sshd node steps too.
 * }
 */
#ifndef KFT_PLAN_H
#define KFT_PLAN_H

#include "internal.h"

typedef struct {
	const char *job_name;
	const char *backend;       /* "local" or "container" */
	const char *workspace;     /* local: absolute job workspace dir; container: "/workspace" */
	const char *master_addr;   /* "127.0.0.1"; container bridge mode: "<job>-node-0" */
	int master_port;           /* 0: pick a free port (bind port 0, read it back) */
	const char *initializer_program;   /* local: runs `<it> initialize <which> <uri> <dest>`
	                                    * (the backend's job runner); container: unused */
} kft__plan_opts;

/** Compile the plan for a finalized TrainJob (see kft__spec_finalize). */
int kft__plan_compile(cJSON **out, const cJSON *trainjob, const kft_runtime_t *rt,
                      const kft__plan_opts *opts);

#endif
