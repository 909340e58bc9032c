/* SPDX-License-Identifier: Apache-2.0 */
#ifndef KFTRAINER_SPEC_H
#define KFTRAINER_SPEC_H

#include "common.h"
#include "render.h"

KFT_BEGIN_DECL

/*
 * kft_spec_t is one trainer.kubeflow.org/v1alpha1 TrainJob. Build it with
 * setters, or parse it from YAML/JSON; render it to canonical YAML or JSON.
 * Unset fields are omitted; explicit false/0 are kept.
 */

/** Which initializer a call refers to. */
typedef enum {
	KFT_INITIALIZER_DATASET = 0,
	KFT_INITIALIZER_MODEL = 1
} kft_initializer_t;

/** A new, empty TrainJob (apiVersion and kind set). Yours: kft_spec_free(*out). */
KFT_EXTERN int kft_spec_new(kft_spec_t **out);
/** Free a TrainJob. NULL: no-op. */
KFT_EXTERN void kft_spec_free(kft_spec_t *spec);
/** Deep copy of a TrainJob. Yours: kft_spec_free(*out). */
KFT_EXTERN int kft_spec_dup(kft_spec_t **out, const kft_spec_t *spec);

/**
 * Parse a TrainJob from YAML or JSON text of exactly len bytes (no NUL
 * needed; text may be NULL when len is 0, which is KFT_EINVALID).
 */
KFT_EXTERN int kft_spec_parse(kft_spec_t **out, const char *text, size_t len);
/** Parse a TrainJob from a YAML or JSON file. */
KFT_EXTERN int kft_spec_parse_file(kft_spec_t **out, const char *path);

/**
 * Render the exact TrainJob that would be sent (script/builtin trainers
 * expanded into command and args). Yours: kft_free(*out).
 */
KFT_EXTERN int kft_spec_render(char **out, const kft_spec_t *spec, const kft_render_opts_t *opts);

/**
 * Validate against the API server's CEL rules and Trainer's webhook rules.
 * runtime may be NULL: the runtime is looked up in the builtin and user
 * catalog ($KFT_RUNTIME_PATH); rules needing a runtime are skipped if unknown.
 * KFT_EINVALID with a message naming the field path and the rule.
 */
KFT_EXTERN int kft_spec_validate(const kft_spec_t *spec, const kft_runtime_t *runtime);

/* --- metadata --- */
KFT_EXTERN int kft_spec_set_name(kft_spec_t *spec, const char *name);
/** Set a fresh 12-character RFC 1035 name (a letter + 11 hex digits), as Kubeflow's SDK does. */
KFT_EXTERN int kft_spec_generate_name(kft_spec_t *spec);
/** metadata.namespace; NULL removes it (the backend's namespace applies). */
KFT_EXTERN int kft_spec_set_namespace(kft_spec_t *spec, const char *ns);
/** value NULL removes the label/annotation. */
KFT_EXTERN int kft_spec_set_label(kft_spec_t *spec, const char *key, const char *value);
/** metadata.annotations[key]; value NULL removes it. */
KFT_EXTERN int kft_spec_set_annotation(kft_spec_t *spec, const char *key, const char *value);

/* --- spec --- */
/** kind NULL: "ClusterTrainingRuntime" (always sent explicitly). */
KFT_EXTERN int kft_spec_set_runtime(kft_spec_t *spec, const char *name, const char *kind);
/** spec.trainer.image; NULL removes it (the runtime's image applies). */
KFT_EXTERN int kft_spec_set_image(kft_spec_t *spec, const char *image);
/** argv of argc strings; argc 0 removes the field. */
KFT_EXTERN int kft_spec_set_command(kft_spec_t *spec, const char *const *argv, size_t argc);
/** spec.trainer.args: argv of argc strings; argc 0 removes the field. */
KFT_EXTERN int kft_spec_set_args(kft_spec_t *spec, const char *const *argv, size_t argc);
/** Upsert spec.trainer.env[name]; value NULL removes it. */
KFT_EXTERN int kft_spec_set_env(kft_spec_t *spec, const char *name, const char *value);
/** n: a count, or KFT_UNSET to remove the field. */
KFT_EXTERN int kft_spec_set_num_nodes(kft_spec_t *spec, int64_t n);
/** spec.trainer.numProcPerNode: a count, or KFT_UNSET to remove it. */
KFT_EXTERN int kft_spec_set_num_proc_per_node(kft_spec_t *spec, int64_t n);
/**
 * Set a resource per node (requests and limits alike), with the SDK's aliases:
 * gpu -> nvidia.com/gpu, storage -> ephemeral-storage, mig-X -> nvidia.com/mig-X;
 * cpu/memory/gpu/storage/mig-* are case-insensitive. quantity NULL removes it.
 */
KFT_EXTERN int kft_spec_set_resource(kft_spec_t *spec, const char *key, const char *quantity);
/** spec.suspend: 1 suspended, 0 explicitly not, KFT_UNSET removes it. */
KFT_EXTERN int kft_spec_set_suspend(kft_spec_t *spec, int suspend);
/** spec.managedBy (e.g. a Kueue MultiKueue controller); NULL removes it. */
KFT_EXTERN int kft_spec_set_managed_by(kft_spec_t *spec, const char *value);
/** seconds, or KFT_UNSET to remove. */
KFT_EXTERN int kft_spec_set_active_deadline(kft_spec_t *spec, int64_t seconds);

/* --- initializers --- */
KFT_EXTERN int kft_spec_set_initializer(kft_spec_t *spec, int which, const char *storage_uri);
/** An env entry of the dataset or model initializer; value NULL removes it. */
KFT_EXTERN int kft_spec_set_initializer_env(kft_spec_t *spec, int which, const char *name,
                                            const char *value);
/** The Secret the dataset or model initializer reads credentials from. */
KFT_EXTERN int kft_spec_set_initializer_secret(kft_spec_t *spec, int which, const char *secret_name);

/* --- runtime patches (rjob NULL: "node"); rendered per target version --- */
KFT_EXTERN int kft_spec_set_node_selector(kft_spec_t *spec, const char *rjob, const char *key,
                                          const char *value);
/** operator NULL: "Equal"; value/effect may be NULL. */
KFT_EXTERN int kft_spec_add_toleration(kft_spec_t *spec, const char *rjob, const char *key,
                                       const char *operator_, const char *value, const char *effect);
/** volume_json: a core/v1 Volume object as JSON, e.g. {"name":"d","emptyDir":{}}. */
KFT_EXTERN int kft_spec_add_volume(kft_spec_t *spec, const char *rjob, const char *volume_json);
/** container NULL: "node". */
KFT_EXTERN int kft_spec_add_volume_mount(kft_spec_t *spec, const char *rjob, const char *container,
                                         const char *name, const char *mount_path, int read_only);
/** serviceAccountName of rjob's pods (a runtime patch). */
KFT_EXTERN int kft_spec_set_service_account(kft_spec_t *spec, const char *rjob, const char *name);
/** Pod template labels/annotations of rjob. */
KFT_EXTERN int kft_spec_set_pod_label(kft_spec_t *spec, const char *rjob, const char *key,
                                      const char *value);
/** An annotation of rjob's pod template (a runtime patch); value NULL removes it. */
KFT_EXTERN int kft_spec_set_pod_annotation(kft_spec_t *spec, const char *rjob, const char *key,
                                           const char *value);
/** JobSet (template) labels/annotations. */
KFT_EXTERN int kft_spec_set_template_label(kft_spec_t *spec, const char *key, const char *value);
/** An annotation of the JobSet template (a runtime patch); value NULL removes it. */
KFT_EXTERN int kft_spec_set_template_annotation(kft_spec_t *spec, const char *key,
                                                const char *value);

/* --- script and code-directory trainers --- */
typedef struct {
	unsigned int version;                /* KFT_SCRIPT_OPTS_VERSION */
	const char *script;                  /* Python source text, or NULL with script_path */
	size_t script_len;                   /* 0: strlen(script) */
	const char *script_path;             /* read at set time; its basename names the file */
	const char *const *packages;         /* pip packages to install first */
	size_t npackages;
	const char *const *pip_index_urls;   /* first: --index-url, rest: --extra-index-url */
	size_t npip_index_urls;
	const char *const *script_args;      /* arguments after the script */
	size_t nscript_args;
	const char *code_dir;                /* directory packed (tar.gz, base64) and unpacked first */
} kft_script_opts_t;
#define KFT_SCRIPT_OPTS_VERSION 1
#define KFT_SCRIPT_OPTS_INIT { KFT_SCRIPT_OPTS_VERSION, NULL, 0, NULL, NULL, 0, NULL, 0, NULL, 0, NULL }
/** Fill opts with the defaults of the given version (as KFT_SCRIPT_OPTS_INIT). */
KFT_EXTERN int kft_script_opts_init(kft_script_opts_t *opts, unsigned int version);

/**
 * Embed a local Python script (and optionally a code directory) so the job
 * needs no image build. Expanded at render time into spec.trainer.command
 * with the runtime's launcher (torchrun, python or mpirun).
 */
KFT_EXTERN int kft_spec_set_script(kft_spec_t *spec, const kft_script_opts_t *opts);

/* --- getters (borrowed; NULL when unset) --- */
KFT_EXTERN const char *kft_spec_name(const kft_spec_t *spec);
/** metadata.namespace; NULL when unset. */
KFT_EXTERN const char *kft_spec_namespace(const kft_spec_t *spec);
/** spec.runtimeRef.name; NULL when unset. */
KFT_EXTERN const char *kft_spec_runtime_name(const kft_spec_t *spec);
/** KFT_UNSET when not set. */
KFT_EXTERN int64_t kft_spec_num_nodes(const kft_spec_t *spec);

/**
 * Generic access by dotted path ("spec.trainer.numNodes"): render one field as
 * JSON (yours: kft_free), set it from JSON text, or remove it.
 */
KFT_EXTERN int kft_spec_get_json(char **out, const kft_spec_t *spec, const char *path);
/** Set the field at a dotted path from JSON text (objects on the way are created). */
KFT_EXTERN int kft_spec_set_json(kft_spec_t *spec, const char *path, const char *json);
/** Remove the field at a dotted path (0 when it was not there). */
KFT_EXTERN int kft_spec_unset(kft_spec_t *spec, const char *path);

KFT_END_DECL
#endif
