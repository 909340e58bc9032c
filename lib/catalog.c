/*
 * The runtime catalog: builtin runtimes equivalent to Trainer v2.3's default
 * ClusterTrainingRuntimes (kept here as data), plus user runtimes read from
 * YAML files in $KFT_RUNTIME_PATH, which override builtins by name.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "internal.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define KFT__TAG "v2.3.0"
#define ANCESTOR(step) "metadata: {labels: {trainer.kubeflow.org/trainjob-ancestor-step: " step "}}"
#define HEAD(name, framework) \
	"apiVersion: trainer.kubeflow.org/v1alpha1\nkind: ClusterTrainingRuntime\n" \
	"metadata: {name: " name ", labels: {trainer.kubeflow.org/framework: " framework "}}\n"
/* The MPI runtimes (deepspeed, mlx): sshd nodes and a launcher that runs as node 0 too. */
#define MPI_SPEC(fw) \
	"spec:\n" \
	"  mlPolicy: {numNodes: 1, mpi: {numProcPerNode: 1, mpiImplementation: OpenMPI,\n" \
	"             sshAuthMountPath: /home/mpiuser/.ssh, runLauncherAsNode: true}}\n" \
	"  template: {spec: {network: {publishNotReadyAddresses: true},\n" \
	"    successPolicy: {operator: All, targetReplicatedJobs: [launcher]},\n" \
	"    replicatedJobs: [\n" \
	"    {name: node, template: {spec: {template: {spec: {securityContext: {fsGroup: 1000},\n" \
	"      containers: [{name: node, image: \"ghcr.io/kubeflow/trainer/" fw "-runtime:" KFT__TAG "\",\n" \
	"        securityContext: {runAsUser: 1000}, command: [/usr/sbin/sshd],\n" \
	"        args: [-De, -f, /home/mpiuser/.sshd_config],\n" \
	"        readinessProbe: {tcpSocket: {port: 2222}, initialDelaySeconds: 5}}]}}}}},\n" \
	"    {name: launcher, dependsOn: [{name: node, status: Ready}],\n" \
	"     template: {" ANCESTOR("trainer") ", spec: {template: {spec: {securityContext: {fsGroup: 1000},\n" \
	"      containers: [{name: node, image: \"ghcr.io/kubeflow/trainer/" fw "-runtime:" KFT__TAG "\",\n" \
	"        securityContext: {runAsUser: 1000}}]}}}}}]}}\n",
#define TORCH_IMAGE "pytorch/pytorch:2.13.0-cuda13.0-cudnn9-runtime"

static const char *const builtin_runtimes[] = {
	HEAD("torch-distributed", "torch")
	"spec:\n"
	"  mlPolicy: {numNodes: 1, torch: {}}\n"
	"  template: {spec: {replicatedJobs: [\n"
	"    {name: node, template: {" ANCESTOR("trainer") ", spec: {template: {spec: {containers: [\n"
	"      {name: node, image: \"" TORCH_IMAGE "\"}]}}}}}]}}\n",

	HEAD("deepspeed-distributed", "deepspeed")
	MPI_SPEC("deepspeed")

	HEAD("mlx-distributed", "mlx")
	MPI_SPEC("mlx")

	HEAD("jax-distributed", "jax")
	"spec:\n"
	"  mlPolicy: {numNodes: 1, jax: {}}\n"
	"  template: {spec: {replicatedJobs: [\n"
	"    {name: node, template: {" ANCESTOR("trainer") ", spec: {template: {spec: {containers: [\n"
	"      {name: node, image: \"nvcr.io/nvidia/jax:25.10-py3\"}]}}}}}]}}\n",

	HEAD("xgboost-distributed", "xgboost")
	"spec:\n"
	"  mlPolicy: {numNodes: 1, xgboost: {}}\n"
	"  template: {spec: {replicatedJobs: [\n"
	"    {name: node, template: {" ANCESTOR("trainer") ", spec: {template: {spec: {containers: [\n"
	"      {name: node, image: \"ghcr.io/kubeflow/trainer/xgboost-runtime:" KFT__TAG "\"}]}}}}}]}}\n",

#define TORCHTUNE(name, dataset_uri, model_uri, config, tokenizer) \
	HEAD(name, "torchtune") \
	"spec:\n" \
	"  mlPolicy: {numNodes: 1, torch: {}}\n" \
	"  template: {spec: {\n" \
	"    volumeClaimPolicies: [{templates: [{metadata: {name: initializer}, spec: {\n" \
	"      accessModes: [ReadWriteOnce], resources: {requests: {storage: 20Gi}}}}]}],\n" \
	"    replicatedJobs: [\n" \
	"    {name: dataset-initializer, template: {" ANCESTOR("dataset-initializer") ",\n" \
	"     spec: {template: {spec: {containers: [{name: dataset-initializer,\n" \
	"       image: \"ghcr.io/kubeflow/trainer/dataset-initializer:" KFT__TAG "\",\n" \
	"       env: [{name: STORAGE_URI, value: \"" dataset_uri "\"}],\n" \
	"       volumeMounts: [{name: initializer, mountPath: /workspace}]}]}}}}},\n" \
	"    {name: model-initializer, template: {" ANCESTOR("model-initializer") ",\n" \
	"     spec: {template: {spec: {containers: [{name: model-initializer,\n" \
	"       image: \"ghcr.io/kubeflow/trainer/model-initializer:" KFT__TAG "\",\n" \
	"       env: [{name: STORAGE_URI, value: \"" model_uri "\"}],\n" \
	"       volumeMounts: [{name: initializer, mountPath: /workspace}]}]}}}}},\n" \
	"    {name: node, dependsOn: [{name: dataset-initializer, status: Complete},\n" \
	"                             {name: model-initializer, status: Complete}],\n" \
	"     template: {" ANCESTOR("trainer") ", spec: {template: {spec: {containers: [{name: node,\n" \
	"       image: \"ghcr.io/kubeflow/trainer/torchtune-trainer:" KFT__TAG "\",\n" \
	"       command: [tune, run, \"--rdzv_endpoint=localhost:29500\", full_finetune_distributed,\n" \
	"         --config, \"" config "\", dataset=torchtune.datasets.instruct_dataset,\n" \
	"         dataset.source=parquet, dataset.data_dir=/workspace/dataset/data,\n" \
	"         output_dir=/workspace/output, " tokenizer ",\n" \
	"         checkpointer.checkpoint_dir=/workspace/model],\n" \
	"       resources: {limits: {nvidia.com/gpu: 2}},\n" \
	"       volumeMounts: [{name: initializer, mountPath: /workspace}]}]}}}}}]}}\n"

	TORCHTUNE("torchtune-llama3.2-1b", "hf://tatsu-lab/alpaca", "hf://meta-llama/Llama-3.2-1B-Instruct",
	          "llama3_2/1B_full", "tokenizer.path=/workspace/model/original/tokenizer.model"),
	TORCHTUNE("torchtune-llama3.2-3b", "hf://tatsu-lab/alpaca", "hf://meta-llama/Llama-3.2-3B-Instruct",
	          "llama3_2/3B_full", "tokenizer.path=/workspace/model/original/tokenizer.model"),
	TORCHTUNE("torchtune-qwen2.5-1.5b", "hf://tatsu-lab/alpaca", "hf://Qwen/Qwen2.5-1.5B-Instruct",
	          "qwen2_5/1.5B_full",
	          "tokenizer.path=/workspace/model/vocab.json, tokenizer.merges_file=/workspace/model/merges.txt"),

	HEAD("torch-distributed-with-cache", "torch")
	"spec:\n"
	"  mlPolicy: {numNodes: 1, torch: {}}\n"
	"  template: {spec: {replicatedJobs: [\n"
	"    {name: dataset-initializer, replicas: 1, template: {" ANCESTOR("dataset-initializer") ",\n"
	"     spec: {template: {spec: {serviceAccountName: kubeflow-trainer-cache-initializer,\n"
	"       containers: [{name: dataset-initializer,\n"
	"         image: \"ghcr.io/kubeflow/trainer/dataset-initializer:" KFT__TAG "\",\n"
	"         env: [{name: CACHE_IMAGE, value: \"ghcr.io/kubeflow/trainer/data-cache:" KFT__TAG "\"},\n"
	"               {name: TRAIN_JOB_NAME, valueFrom: {fieldRef: {apiVersion: v1,\n"
	"                fieldPath: \"metadata.labels['jobset.sigs.k8s.io/jobset-name']\"}}}]}]}}}}},\n"
	"    {name: node, dependsOn: [{name: dataset-initializer, status: Complete}],\n"
	"     template: {" ANCESTOR("trainer") ", spec: {template: {spec: {containers: [{name: node,\n"
	"       image: \"" TORCH_IMAGE "\",\n"
	"       env: [{name: TRAIN_JOB_NAME, valueFrom: {fieldRef: {apiVersion: v1,\n"
	"              fieldPath: \"metadata.labels['jobset.sigs.k8s.io/jobset-name']\"}}}]}]}}}}}]}}\n",
	NULL
};

static int load_builtins(kft_runtime_list_t *list)
{
	size_t i;
	int error;

	for (i = 0; builtin_runtimes[i]; i++) {
		kft_runtime_t *rt;
		const char *text = builtin_runtimes[i];

		if ((error = kft_runtime_parse(&rt, text, strlen(text))) < 0) {
			kft__error_prefix("builtin runtime %zu", i);
			return error;
		}
		if ((error = kft_runtime_set_source(rt, "builtin")) < 0 ||
		    (error = kft_runtime_list_add(list, rt)) < 0) {
			if (error != KFT_ENOMEM)
				kft_runtime_free(rt);
			return error;
		}
	}
	return 0;
}

static int has_yaml_ext(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && !strcmp(name + n - 5, ".yaml")) || (n > 4 && !strcmp(name + n - 4, ".yml")) ||
	       (n > 5 && !strcmp(name + n - 5, ".json"));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every runtime document in one file (a file may hold several, "---"-separated). */
static int load_file(kft_runtime_list_t *list, const char *path)
{
	char *text;
	size_t len;
	cJSON *docs, *d;
	int error;

	if ((error = kft__read_file(&text, &len, path)) < 0)
		return error;
	error = kft__yaml_parse_all(&docs, text, len, path);
	free(text);
	if (error < 0)
		return error;
	while ((d = cJSON_DetachItemFromArray(docs, 0)) != NULL) {
		const char *kind = kft__json_str(d, "kind");
		kft_runtime_t *rt;

		if (!kft__streq(kind, "ClusterTrainingRuntime") && !kft__streq(kind, "TrainingRuntime")) {
			kft__log(KFT_DIAG_DEBUG, "%s: skipping a %s document", path, kind ? kind : "kind-less");
			cJSON_Delete(d);
			continue;
		}
		if ((error = kft__runtime_from_json(&rt, d)) < 0) {
			kft__error_prefix("%s", path);
			break;
		}
		if ((error = kft_runtime_set_source(rt, "file")) < 0) {
			kft_runtime_free(rt);
			break;
		}
		if ((error = kft_runtime_list_add(list, rt)) < 0)
			break;
	}
	cJSON_Delete(docs);
	return error;
}

static int load_dir(kft_runtime_list_t *list, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	kft__strv files = KFT__STRV_INIT;
	size_t i;
	int error = 0;

	if (!d)
		return 0;   /* a missing directory is an empty one */
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || !has_yaml_ext(e->d_name))
			continue;
		if ((error = kft__strv_push_own(&files, kft__path_join(dir, e->d_name))) < 0)
			break;
	}
	closedir(d);
	if (files.n)
		qsort(files.v, files.n, sizeof(char *), cmp_str);
	for (i = 0; !error && i < files.n; i++)
		error = load_file(list, files.v[i]);
	kft__strv_free(&files);
	return error;
}

static char *default_runtime_path(void)
{
	const char *env = getenv("KFT_RUNTIME_PATH");

	return env ? kft__strdup(env) : kft__xdg_dir("XDG_CONFIG_HOME", ".config", "kftrainer/runtimes");
}

int kft__catalog_list(kft_runtime_list_t **out, const char *runtime_path)
{
	kft_runtime_list_t *list;
	char *path, *p, *save = NULL;
	int error;

	*out = NULL;
	if ((error = kft_runtime_list_new(&list)) < 0)
		return error;
	if ((error = load_builtins(list)) < 0) {
		kft_runtime_list_free(list);
		return error;
	}
	path = runtime_path ? kft__strdup(runtime_path) : default_runtime_path();
	if (!path) {
		kft_runtime_list_free(list);
		return kft__error_oom();
	}
	for (p = strtok_r(path, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
		struct stat st;

		if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
			error = load_file(list, p);
		else
			error = load_dir(list, p);
		if (error < 0)
			break;
	}
	free(path);
	if (error < 0) {
		kft_runtime_list_free(list);
		return error;
	}
	*out = list;
	return 0;
}

int kft__catalog_get(kft_runtime_t **out, const char *runtime_path, const char *name)
{
	kft_runtime_list_t *list;
	size_t i;
	int error;

	*out = NULL;
	if ((error = kft__catalog_list(&list, runtime_path)) < 0)
		return error;
	for (i = 0; i < kft_runtime_list_count(list); i++) {
		const kft_runtime_t *rt = kft_runtime_list_at(list, i);

		if (kft__streq(kft_runtime_name(rt), name)) {
			error = kft_runtime_dup(out, rt);
			kft_runtime_list_free(list);
			return error;
		}
	}
	{
		kft__buf names = KFT__BUF_INIT;

		for (i = 0; i < kft_runtime_list_count(list); i++)
			kft__buf_printf(&names, "%s%s", i ? ", " : "",
			                kft_runtime_name(kft_runtime_list_at(list, i)));
		kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_INVALID,
		               "runtime \"%s\" not found (available: %s)", name,
		               names.ptr ? names.ptr : "none");
		kft__buf_free(&names);
	}
	kft_runtime_list_free(list);
	return KFT_ENOTFOUND;
}
