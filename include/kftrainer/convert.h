/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KFTRAINER_CONVERT_H
#define KFTRAINER_CONVERT_H

#include "common.h"

KFT_BEGIN_DECL

/*
 * Training Operator v1 jobs (kubeflow.org/v1 PyTorchJob, TFJob, MPIJob,
 * XGBoostJob, JAXJob, PaddleJob; mpi-operator's kubeflow.org/v2beta1 MPIJob)
 * converted to a TrainJob, field by field, for a target Trainer version.
 */

/** What a kft_convert_cb report is. */
typedef enum {
	KFT_CONVERT_LOSS = 0,   /* a v1 field with no TrainJob equivalent: dropped or changed */
	KFT_CONVERT_NOTE = 1    /* a choice the converter made (runtime, numNodes rule, ...) */
} kft_convert_report_t;

/**
 * Called once per loss or note, in document order, on the caller's thread.
 * path is the v1 field path ("spec.runPolicy.cleanPodPolicy"); message says
 * what happens to it. A non-zero return stops the conversion and is returned
 * unchanged by kft_convert.
 */
typedef int (*kft_convert_cb)(int report, const char *path, const char *message, void *payload);

/** kft_convert_opts_t.flags: any loss makes the conversion fail (KFT_EINVALID). */
#define KFT_CONVERT_STRICT (1u << 0)

typedef struct {
	unsigned int version;          /* KFT_CONVERT_OPTS_VERSION */
	uint32_t flags;                /* KFT_CONVERT_STRICT */
	const char *runtime;           /* NULL: by kind (PyTorchJob: torch-distributed, ...) */
	const char *trainer_version;   /* "v2.0" ... "v2.3"; NULL: v2.3 */
	const char *name;              /* NULL: the v1 job's metadata.name */
	int64_t document;              /* 0-based YAML document; KFT_UNSET: the only v1 job */
	kft_convert_cb report_cb;      /* NULL: losses go to the diagnostic handler */
	void *payload;
} kft_convert_opts_t;
#define KFT_CONVERT_OPTS_VERSION 1
#define KFT_CONVERT_OPTS_INIT { KFT_CONVERT_OPTS_VERSION, 0, NULL, NULL, NULL, KFT_UNSET, \
	NULL, NULL }
/** Fill opts with the defaults of the given version (as KFT_CONVERT_OPTS_INIT). */
KFT_EXTERN int kft_convert_opts_init(kft_convert_opts_t *opts, unsigned int version);

/**
 * Count the YAML documents of text (exactly len bytes; 0: none) and those
 * that are Training Operator v1 jobs (apiVersion kubeflow.org/..., or one of the v1
 * kinds). Either output may be NULL. KFT_EINVALID if the YAML is malformed.
 */
KFT_EXTERN int kft_convert_detect(size_t *v1_jobs, size_t *documents, const char *text,
                                  size_t len);

/**
 * Convert one v1 job (YAML or JSON text of exactly len bytes; 0 is
 * KFT_EINVALID) to a TrainJob in *out, in the canonical form that kft_spec_render writes for any target
 * version. Losses and notes go to opts->report_cb. The result is not
 * validated: call kft_spec_validate, as for any TrainJob.
 * KFT_EINVALID with a message naming the field for input that cannot be
 * converted; KFT_ENOTFOUND if opts->document is past the last document.
 */
KFT_EXTERN int kft_convert(kft_spec_t **out, const char *text, size_t len,
                           const kft_convert_opts_t *opts);

/**
 * kubernetes: the Training Operator v1 jobs of the namespace, of every v1 kind
 * the cluster serves. Each is named "kind/name" (pytorchjob/mnist), its runtime
 * is its kind, and its status comes from the v1 conditions (Succeeded: Complete,
 * Failed, Suspended, Running/Restarting: Running, else Created); its steps are
 * the replica types. Other backends: KFT_ENOTSUPPORTED.
 */
KFT_EXTERN int kft_list_v1_jobs(kft_job_list_t **out, kft_client_t *client);
/** One v1 job by "KIND/NAME" (the kind in any case, singular or plural: pytorchjob/x). */
KFT_EXTERN int kft_get_v1_job(kft_job_t **out, kft_client_t *client, const char *ref);

KFT_END_DECL
#endif
