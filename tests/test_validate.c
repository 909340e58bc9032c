/*
 * Client-side validation: one test per rule (bad input + the message), good
 * inputs that pass, and a few rules through the kft CLI.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "testutil.h"
#include "builtin.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#define HEAD "apiVersion: trainer.kubeflow.org/v1alpha1\nkind: TrainJob\n"
/* A TrainJob named job1 on runtime rt with the given spec.trainer (flow YAML). */
#define JOB_RT(rt, rest) HEAD "metadata: {name: job1}\nspec:\n" \
	"  runtimeRef: {name: " rt ", kind: ClusterTrainingRuntime}\n" rest
#define JOB(rest) JOB_RT("torch-distributed", rest)

/* Validate YAML against a catalog runtime (NULL: unknown runtime). */
static int validate_yaml(const char *yaml, const char *runtime)
{
	cJSON *doc = NULL;
	kft_runtime_t *rt = NULL;
	int rc;

	ck_assert_kft_ok(kft__yaml_parse(&doc, yaml, strlen(yaml), "test"));
	if (runtime)
		ck_assert_kft_ok(kft__catalog_get(&rt, NULL, runtime));
	rc = kft__validate_doc(doc, rt);
	cJSON_Delete(doc);
	kft_runtime_free(rt);
	return rc;
}

/* Validate YAML against a runtime given as YAML text. */
static int validate_with(const char *yaml, const char *runtime_yaml)
{
	cJSON *doc = NULL;
	kft_runtime_t *rt = NULL;
	int rc;

	ck_assert_kft_ok(kft__yaml_parse(&doc, yaml, strlen(yaml), "test"));
	ck_assert_kft_ok(kft_runtime_parse(&rt, runtime_yaml, strlen(runtime_yaml)));
	rc = kft__validate_doc(doc, rt);
	cJSON_Delete(doc);
	kft_runtime_free(rt);
	return rc;
}

static kft_spec_t *new_job(const char *runtime)
{
	kft_spec_t *s = NULL;
	const char *cmd[] = { "python3", "train.py" };

	ck_assert_kft_ok(kft_spec_new(&s));
	ck_assert_kft_ok(kft_spec_set_name(s, "job1"));
	ck_assert_kft_ok(kft_spec_set_runtime(s, runtime, NULL));
	ck_assert_kft_ok(kft_spec_set_command(s, cmd, 2));
	return s;
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	ck_assert_ptr_nonnull(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* ---- a custom runtime with only a model initializer, and MPI/odd runtimes ---- */

#define RT_HEAD(name, fw) "apiVersion: trainer.kubeflow.org/v1alpha1\nkind: ClusterTrainingRuntime\n" \
	"metadata: {name: " name ", labels: {trainer.kubeflow.org/framework: " fw "}}\n"
static const char rt_model_only[] = RT_HEAD("model-only", "torch")
	"spec:\n  mlPolicy: {numNodes: 1, torch: {}}\n"
	"  template: {spec: {replicatedJobs: [\n"
	"    {name: model-initializer, template: {spec: {template: {spec: {containers: [\n"
	"      {name: model-initializer, image: m}]}}}}},\n"
	"    {name: node, template: {spec: {template: {spec: {containers: [\n"
	"      {name: node, image: i}], initContainers: [{name: prep, image: i}]}}}}}]}}\n";
static const char rt_bad_dataset[] = RT_HEAD("bad-dataset", "torch")
	"spec:\n  mlPolicy: {numNodes: 1, torch: {}}\n"
	"  template: {spec: {replicatedJobs: [\n"
	"    {name: dataset-initializer, template: {spec: {template: {spec: {containers: [\n"
	"      {name: fetch, image: d}]}}}}},\n"
	"    {name: node, template: {spec: {template: {spec: {containers: [\n"
	"      {name: node, image: i}]}}}}}]}}\n";
static const char rt_mpi_launcher_only[] = RT_HEAD("mpi-launcher-only", "deepspeed")
	"spec:\n  mlPolicy: {numNodes: 1, mpi: {numProcPerNode: 1, runLauncherAsNode: true}}\n"
	"  template: {spec: {replicatedJobs: [\n"
	"    {name: launcher, template: {spec: {template: {spec: {containers: [\n"
	"      {name: node, image: i}]}}}}}]}}\n";

/* ---- metadata.name ---- */

START_TEST(name_rfc1035)
{
	ck_assert_kft_error(validate_yaml(HEAD "metadata: {name: My_Job}\nspec: {runtimeRef: "
	                                  "{name: torch-distributed}}\n", "torch-distributed"),
	                    KFT_EINVALID, "metadata.name: metadata.name must match RFC 1035 DNS label");
	ck_assert_kft_error(validate_yaml(HEAD "metadata: {name: 1job}\nspec: {runtimeRef: "
	                                  "{name: torch-distributed}}\n", NULL),
	                    KFT_EINVALID, "must match RFC 1035 DNS label format");
	ck_assert_kft_error(validate_yaml(HEAD "metadata: {name: job-}\nspec: {runtimeRef: "
	                                  "{name: torch-distributed}}\n", NULL),
	                    KFT_EINVALID, "got \"job-\"");
}
END_TEST

START_TEST(name_max_63)
{
	kft_spec_t *s = new_job("torch-distributed");
	char *name = repeat('a', 64);

	ck_assert_kft_ok(kft_spec_set_name(s, name));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "metadata.name: metadata.name must be no more than 63 characters, got 64");
	free(name);
	kft_spec_free(s);
}
END_TEST

START_TEST(name_jobset_pod_limit)
{
	kft_spec_t *s = new_job("torch-distributed");
	char *n48 = repeat('a', 48), *n49 = repeat('b', 49);

	/* torch: <name>-node-0-<podIdx>-xxxxx; 48 fits up to 10 nodes, 47 from 11 */
	ck_assert_kft_ok(kft_spec_set_name(s, n48));
	ck_assert_kft_ok(kft_spec_set_num_nodes(s, 10));
	ck_assert_kft_ok(kft_spec_validate(s, NULL));
	ck_assert_kft_ok(kft_spec_set_num_nodes(s, 11));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "metadata.name: must be no more than 47 characters for runtime "
	                    "torch-distributed with 11 node(s), got 48: JobSet name is too long");
	ck_assert_kft_ok(kft_spec_set_num_nodes(s, KFT_UNSET));
	ck_assert_kft_ok(kft_spec_set_name(s, n49));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "must be no more than 48 characters");
	/* MPI launcher: 44; torchtune dataset-initializer: 33 */
	kft_spec_free(s);
	s = new_job("deepspeed-distributed");
	n48[45] = '\0';
	ck_assert_kft_ok(kft_spec_set_name(s, n48));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "must be no more than 44 characters for runtime deepspeed-distributed");
	kft_spec_free(s);
	ck_assert_kft_ok(kft_spec_new(&s));
	ck_assert_kft_ok(kft_spec_set_runtime(s, "torchtune-llama3.2-1b", NULL));
	n48[34] = '\0';
	ck_assert_kft_ok(kft_spec_set_name(s, n48));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "must be no more than 33 characters for runtime torchtune-llama3.2-1b");
	n48[33] = '\0';
	ck_assert_kft_ok(kft_spec_set_name(s, n48));
	ck_assert_kft_ok(kft_spec_validate(s, NULL));
	kft_spec_free(s);
	free(n48);
	free(n49);
}
END_TEST

static char warned[1024];
static void capture_diag(int level, const char *msg, void *payload)
{
	(void)payload;
	if (level == KFT_DIAG_WARN)
		snprintf(warned, sizeof(warned), "%s", msg);
}

START_TEST(name_initializer_warning)
{
	char yaml[1024];

	kft_diag_set_handler(capture_diag, KFT_DIAG_WARN, NULL);
	/* model-initializer only: the limit is 35, so 34 passes with a warning */
	warned[0] = '\0';
	snprintf(yaml, sizeof(yaml), HEAD "metadata: {name: %s}\nspec: {runtimeRef: {name: "
	         "model-only}}\n", "abcdefghijabcdefghijabcdefghijabcd");
	ck_assert_kft_ok(validate_with(yaml, rt_model_only));
	ck_assert_msg(strstr(warned, "metadata.name: \"abcdefghijabcdefghijabcdefghijabcd\" has 34 "
	                     "characters") != NULL, "warning: %s", warned);
	/* unknown runtime with initializers: warned, not rejected */
	warned[0] = '\0';
	snprintf(yaml, sizeof(yaml), HEAD "metadata: {name: %s}\nspec: {runtimeRef: {name: x, "
	         "kind: TrainingRuntime}, initializer: {model: {storageUri: hf://a/b}}}\n",
	         "abcdefghijabcdefghijabcdefghijabcdefghij");
	ck_assert_kft_ok(validate_yaml(yaml, NULL));
	ck_assert_msg(strstr(warned, "above 33") != NULL, "warning: %s", warned);
	/* 33 characters: no warning */
	warned[0] = '\0';
	snprintf(yaml, sizeof(yaml), HEAD "metadata: {name: %s}\nspec: {runtimeRef: {name: "
	         "model-only}}\n", "abcdefghijabcdefghijabcdefghijabc");
	ck_assert_kft_ok(validate_with(yaml, rt_model_only));
	ck_assert_str_eq(warned, "");
	kft_diag_set_handler(NULL, 0, NULL);
}
END_TEST

/* ---- runtimeRef ---- */

START_TEST(runtime_ref_required)
{
	ck_assert_kft_error(validate_yaml(HEAD "metadata: {name: a}\nspec: {suspend: true}\n", NULL),
	                    KFT_EINVALID, "spec.runtimeRef: Required value");
	ck_assert_kft_error(validate_yaml(HEAD "metadata: {name: a}\nspec: {runtimeRef: {kind: "
	                                  "TrainingRuntime}}\n", NULL),
	                    KFT_EINVALID, "spec.runtimeRef.name: Required value");
	ck_assert_kft_error(validate_yaml(HEAD "metadata: {name: a}\nspec: {runtimeRef: {name: "
	                                  "''}}\n", NULL),
	                    KFT_EINVALID, "spec.runtimeRef.name: Required value");
	ck_assert_kft_error(validate_yaml(HEAD "metadata: {name: a}\n", NULL),
	                    KFT_EINVALID, "spec: Required value");
}
END_TEST

START_TEST(runtime_ref_name_max)
{
	char yaml[1024], *n = repeat('r', 254);

	snprintf(yaml, sizeof(yaml), HEAD "metadata: {name: a}\nspec: {runtimeRef: {name: %s}}\n", n);
	ck_assert_kft_error(validate_yaml(yaml, NULL), KFT_EINVALID,
	                    "spec.runtimeRef.name: must be no more than 253 characters, got 254");
	free(n);
}
END_TEST

START_TEST(runtime_ref_kind_group)
{
	kft_spec_t *s = new_job("torch-distributed");

	ck_assert_kft_ok(kft_spec_set_runtime(s, "torch-distributed", "Runtime"));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "spec.runtimeRef: unsupported runtime: Runtime.trainer.kubeflow.org");
	kft_spec_free(s);
	ck_assert_kft_error(validate_yaml(HEAD "metadata: {name: a}\nspec: {runtimeRef: {name: x, "
	                                  "apiGroup: example.com}}\n", NULL),
	                    KFT_EINVALID,
	                    "unsupported runtime: ClusterTrainingRuntime.example.com");
}
END_TEST

/* ---- trainer.env ---- */

START_TEST(env_reserved_torch)
{
	kft_spec_t *s = new_job("torch-distributed");

	ck_assert_kft_ok(kft_spec_set_env(s, "PET_NNODES", "4"));
	ck_assert_kft_ok(kft_spec_set_env(s, "A", "b"));
	ck_assert_kft_ok(kft_spec_set_env(s, "PET_MASTER_PORT", "1"));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "spec.trainer.env: must not have reserved envs, invalid envs configured: "
	                    "[PET_MASTER_PORT PET_NNODES]");
	/* a runtime without the torch policy (jax) has no PET_* rule */
	ck_assert_kft_ok(kft_spec_set_runtime(s, "jax-distributed", NULL));
	ck_assert_kft_ok(kft_spec_validate(s, NULL));
	kft_spec_free(s);
}
END_TEST

START_TEST(env_reserved_mpi)
{
	kft_spec_t *s = new_job("deepspeed-distributed");

	ck_assert_kft_ok(kft_spec_set_env(s, "OMPI_MCA_plm_rsh_args", "-p 22"));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "invalid envs configured: [OMPI_MCA_plm_rsh_args]");
	ck_assert_kft_ok(kft_spec_set_env(s, "OMPI_MCA_plm_rsh_args", NULL));
	ck_assert_kft_ok(kft_spec_set_env(s, "PET_NNODES", "2"));   /* not reserved for MPI */
	ck_assert_kft_ok(kft_spec_validate(s, NULL));
	kft_spec_free(s);
}
END_TEST

START_TEST(env_reserved_xgboost)
{
	kft_spec_t *s = new_job("xgboost-distributed");

	ck_assert_kft_ok(kft_spec_set_env(s, "DMLC_TRACKER_URI", "x"));
	ck_assert_kft_ok(kft_spec_set_env(s, "DMLC_NUM_WORKER", "3"));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "spec.trainer.env: must not have reserved envs, invalid envs configured: "
	                    "[DMLC_NUM_WORKER DMLC_TRACKER_URI]");
	kft_spec_free(s);
}
END_TEST

START_TEST(env_list_rules)
{
	kft_spec_t *s = new_job("torch-distributed");
	char name[16];
	int i;

	for (i = 0; i < 129; i++) {
		snprintf(name, sizeof(name), "V%d", i);
		ck_assert_kft_ok(kft_spec_set_env(s, name, "x"));
	}
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "spec.trainer.env: must have at most 128 items, got 129");
	kft_spec_free(s);
	ck_assert_kft_error(validate_yaml(JOB("  trainer: {env: [{name: A, value: '1'}, {name: A, "
	                                      "value: '2'}]}\n"), "torch-distributed"),
	                    KFT_EINVALID, "spec.trainer.env[1].name: Duplicate value: \"A\"");
	ck_assert_kft_error(validate_yaml(JOB("  trainer: {env: [{name: '', value: '1'}]}\n"),
	                                  "torch-distributed"),
	                    KFT_EINVALID, "spec.trainer.env[0].name: Required value");
	ck_assert_kft_error(validate_yaml(JOB("  initializer: {model: {storageUri: 'hf://a/b', env: "
	                                      "[{value: x}]}}\n"), NULL),
	                    KFT_EINVALID, "spec.initializer.model.env[0].name: Required value");
	ck_assert_kft_error(validate_yaml(JOB("  trainer: {env: [{name: A, value: x, valueFrom: "
	                                      "{secretKeyRef: {name: s, key: k}}}]}\n"), NULL),
	                    KFT_EINVALID, "spec.trainer.env[0].value: Invalid value: may not be "
	                    "specified when `valueFrom` is not empty");
	ck_assert_kft_error(validate_yaml(JOB("  trainer: {env: [{name: A, valueFrom: {}}]}\n"), NULL),
	                    KFT_EINVALID, "spec.trainer.env[0].valueFrom: must specify exactly one of");
	ck_assert_kft_error(validate_yaml(JOB("  trainer: {env: [{name: 'A=B', value: x}]}\n"), NULL),
	                    KFT_EINVALID, "spec.trainer.env[0].name: Invalid value: \"A=B\": must not "
	                    "contain '='");
	ck_assert_kft_ok(validate_yaml(JOB("  trainer: {env: [{name: POD, valueFrom: {fieldRef: "
	                                   "{fieldPath: metadata.name}}}]}\n"), "torch-distributed"));
}
END_TEST

/* ---- resources ---- */

START_TEST(resources_one_mig_type)
{
	kft_spec_t *s = new_job("torch-distributed");

	ck_assert_kft_ok(kft_spec_set_resource(s, "mig-1g.5gb", "1"));
	ck_assert_kft_ok(kft_spec_validate(s, NULL));
	ck_assert_kft_ok(kft_spec_set_resource(s, "MIG-2g.10gb", "1"));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "spec.trainer.resourcesPerNode: Multiple MIG resource types are not "
	                    "supported: [nvidia.com/mig-1g.5gb, nvidia.com/mig-2g.10gb]");
	kft_spec_free(s);
}
END_TEST

START_TEST(resources_gpu_mig_conflict)
{
	kft_spec_t *s = new_job("torch-distributed");

	ck_assert_kft_ok(kft_spec_set_resource(s, "GPU", "2"));
	ck_assert_kft_ok(kft_spec_set_resource(s, "nvidia.com/mig-3g.20gb", "1"));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "spec.trainer.resourcesPerNode: GPU (nvidia.com/gpu) and MIG "
	                    "(nvidia.com/mig-3g.20gb) cannot be requested together");
	kft_spec_free(s);
}
END_TEST

START_TEST(resources_quantity)
{
	kft_spec_t *s = new_job("torch-distributed");

	ck_assert_kft_ok(kft_spec_set_resource(s, "cpu", "500m"));
	ck_assert_kft_ok(kft_spec_set_resource(s, "memory", "1.5Gi"));
	ck_assert_kft_ok(kft_spec_validate(s, NULL));
	ck_assert_kft_ok(kft_spec_set_resource(s, "memory", "lots"));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "spec.trainer.resourcesPerNode.requests[memory]: quantities must match");
	kft_spec_free(s);
}
END_TEST

/* ---- counts ---- */

START_TEST(num_nodes_min)
{
	kft_spec_t *s = new_job("torch-distributed");

	ck_assert_kft_ok(kft_spec_set_num_nodes(s, 0));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "spec.trainer.numNodes: must be greater than or equal to 1, got 0");
	ck_assert_kft_ok(kft_spec_set_num_nodes(s, -3));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID, "got -3");
	kft_spec_free(s);
	ck_assert_kft_error(validate_yaml(JOB("  trainer: {numNodes: 1.5}\n"), NULL), KFT_EINVALID,
	                    "spec.trainer.numNodes: must be an integer, got 1.5");
	ck_assert_kft_error(validate_yaml(JOB("  trainer: {numNodes: '2'}\n"), NULL), KFT_EINVALID,
	                    "spec.trainer.numNodes: must be an integer, got \"2\"");
	ck_assert_kft_error(validate_yaml(JOB("  trainer: {numNodes: 4294967296}\n"), NULL),
	                    KFT_EINVALID, "spec.trainer.numNodes: must be less than or equal to");
	/* out of every integer type's range: refused before any conversion (UBSan) */
	ck_assert_kft_error(validate_yaml(JOB("  trainer: {numNodes: 1e24}\n"), NULL),
	                    KFT_EINVALID, "spec.trainer.numNodes: must be less than or equal to");
	ck_assert_kft_error(validate_yaml(JOB("  trainer: {numNodes: -1e24}\n"), NULL),
	                    KFT_EINVALID, "spec.trainer.numNodes: must be greater than or equal to 1");
}
END_TEST

START_TEST(num_proc_per_node_min)
{
	kft_spec_t *s = new_job("torch-distributed");

	ck_assert_kft_ok(kft_spec_set_num_proc_per_node(s, 0));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "spec.trainer.numProcPerNode: numProcPerNode must be greater than or "
	                    "equal to 1");
	ck_assert_kft_ok(kft_spec_set_num_proc_per_node(s, 8));
	ck_assert_kft_ok(kft_spec_validate(s, NULL));
	kft_spec_free(s);
	ck_assert_kft_error(validate_yaml(JOB("  trainer: {numProcPerNode: auto}\n"), NULL),
	                    KFT_EINVALID, "spec.trainer.numProcPerNode: must be an integer");
}
END_TEST

/* ---- initializers ---- */

START_TEST(storage_uri_scheme)
{
	kft_spec_t *s = new_job("torchtune-llama3.2-1b");
	static const char *const good[] = { "hf://tatsu-lab/alpaca", "s3://bucket/key",
		"cache://schema/table", "x+y.z-1://h", "", NULL };
	static const char *const bad[] = { "/data/set", "hf:/x", "://x", "hf://", "1hf://x",
		"h_f://x", "hf://a\nb", NULL };
	const char *tune[] = { "tune", "run" };
	int i;

	ck_assert_kft_ok(kft_spec_set_command(s, tune, 2));
	for (i = 0; good[i]; i++) {
		ck_assert_kft_ok(kft_spec_set_initializer(s, KFT_INITIALIZER_DATASET, good[i]));
		ck_assert_kft_ok(kft_spec_validate(s, NULL));
	}
	ck_assert_kft_ok(kft_spec_set_initializer(s, KFT_INITIALIZER_DATASET, "./data"));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "got \"./data\" (a local directory is written file:///absolute/path)");
	ck_assert_kft_ok(kft_spec_set_initializer(s, KFT_INITIALIZER_DATASET, "file:///data"));
	for (i = 0; bad[i]; i++) {
		ck_assert_kft_ok(kft_spec_set_initializer(s, KFT_INITIALIZER_MODEL, bad[i]));
		ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
		                    "spec.initializer.model.storageUri: storageUri may be empty, or it "
		                    "must be a valid URI (scheme://...)");
	}
	kft_spec_free(s);
}
END_TEST

START_TEST(storage_uri_max)
{
	kft_spec_t *s = new_job("torchtune-llama3.2-1b");
	char *uri = repeat('a', 2049);

	memcpy(uri, "hf://", 5);
	ck_assert_kft_ok(kft_spec_set_initializer(s, KFT_INITIALIZER_DATASET, uri));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "spec.initializer.dataset.storageUri: must be no more than 2048 "
	                    "characters, got 2049");
	uri[2048] = '\0';
	ck_assert_kft_ok(kft_spec_set_initializer(s, KFT_INITIALIZER_DATASET, uri));
	ck_assert_kft_ok(kft_spec_set_command(s, NULL, 0));
	ck_assert_kft_ok(kft_spec_validate(s, NULL));
	free(uri);
	kft_spec_free(s);
}
END_TEST

START_TEST(initializer_needs_runtime_step)
{
	kft_spec_t *s = new_job("torch-distributed");

	ck_assert_kft_ok(kft_spec_set_initializer(s, KFT_INITIALIZER_DATASET, "hf://a/b"));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "spec.initializer.dataset: runtime torch-distributed must have "
	                    "dataset-initializer job when trainJob is configured with input "
	                    "datasetConfig");
	ck_assert_kft_ok(kft_spec_set_initializer(s, KFT_INITIALIZER_DATASET, NULL));
	ck_assert_kft_ok(kft_spec_set_initializer(s, KFT_INITIALIZER_MODEL, "hf://a/b"));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "must have model-initializer job when trainJob is configured with input "
	                    "modelConfig");
	kft_spec_free(s);
	/* the rjob exists but lacks the container */
	ck_assert_kft_error(validate_with(JOB_RT("bad-dataset", "  initializer: {dataset: "
	                                         "{storageUri: 'hf://a/b'}}\n"), rt_bad_dataset),
	                    KFT_EINVALID, "spec.initializer.dataset: runtime bad-dataset must have "
	                    "container with name - dataset-initializer in the dataset-initializer "
	                    "job");
	ck_assert_kft_error(validate_yaml(JOB("  initializer: {dataset: {storageUri: 'hf://a/b', "
	                                      "secretRef: {}}}\n"), NULL),
	                    KFT_EINVALID, "spec.initializer.dataset.secretRef.name: Required value");
}
END_TEST

/* ---- spec fields ---- */

START_TEST(managed_by_values)
{
	kft_spec_t *s = new_job("torch-distributed");

	ck_assert_kft_ok(kft_spec_set_managed_by(s, "kueue.x-k8s.io/multikueue"));
	ck_assert_kft_ok(kft_spec_validate(s, NULL));
	ck_assert_kft_ok(kft_spec_set_managed_by(s, "trainer.kubeflow.org/trainjob-controller"));
	ck_assert_kft_ok(kft_spec_validate(s, NULL));
	ck_assert_kft_ok(kft_spec_set_managed_by(s, "example.com/mine"));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "spec.managedBy: ManagedBy must be trainer.kubeflow.org/trainjob-controller "
	                    "or kueue.x-k8s.io/multikueue if set");
	kft_spec_free(s);
}
END_TEST

START_TEST(active_deadline_min)
{
	kft_spec_t *s = new_job("torch-distributed");

	ck_assert_kft_ok(kft_spec_set_active_deadline(s, 0));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "spec.activeDeadlineSeconds: must be greater than or equal to 1, got 0");
	ck_assert_kft_ok(kft_spec_set_active_deadline(s, 1));
	ck_assert_kft_ok(kft_spec_validate(s, NULL));
	kft_spec_free(s);
}
END_TEST

START_TEST(image_max)
{
	kft_spec_t *s = new_job("torch-distributed");
	char *img = repeat('i', 501);

	ck_assert_kft_ok(kft_spec_set_image(s, img));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "spec.trainer.image: must be no more than 500 characters, got 501");
	img[500] = '\0';
	ck_assert_kft_ok(kft_spec_set_image(s, img));
	ck_assert_kft_ok(kft_spec_validate(s, NULL));
	free(img);
	kft_spec_free(s);
}
END_TEST

START_TEST(command_args_limits)
{
	kft_spec_t *s = new_job("torch-distributed");
	const char *argv[129];
	char *big = repeat('x', 1048577);
	int i;

	for (i = 0; i < 129; i++)
		argv[i] = "a";
	ck_assert_kft_ok(kft_spec_set_args(s, argv, 129));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "spec.trainer.args: must have at most 128 items, got 129");
	ck_assert_kft_ok(kft_spec_set_args(s, argv, 128));
	ck_assert_kft_ok(kft_spec_validate(s, NULL));
	argv[0] = "python3";
	argv[1] = big;
	ck_assert_kft_ok(kft_spec_set_command(s, argv, 2));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "spec.trainer.command[1]: must be no more than 1048576 bytes (Trainer "
	                    "v2.3+; v2.2 allows 65536), got 1048577");
	big[1048576] = '\0';
	ck_assert_kft_ok(kft_spec_set_command(s, argv, 2));
	ck_assert_kft_ok(kft_spec_validate(s, NULL));
	free(big);
	kft_spec_free(s);
}
END_TEST

/* ---- runtimePatches ---- */

#define PATCH(body) JOB("  runtimePatches:\n" body)

START_TEST(patches_max)
{
	kft__buf b = KFT__BUF_INIT;
	int i;

	kft__buf_puts(&b, JOB("  runtimePatches:\n"));
	for (i = 0; i < 17; i++)
		kft__buf_printf(&b, "  - manager: example.io/m%d\n", i);
	ck_assert_kft_error(validate_yaml(b.ptr, "torch-distributed"), KFT_EINVALID,
	                    "spec.runtimePatches: must have at most 16 items, got 17");
	kft__buf_free(&b);
}
END_TEST

START_TEST(patches_manager)
{
	ck_assert_kft_error(validate_yaml(PATCH("  - trainingRuntimeSpec: {}\n"), NULL),
	                    KFT_EINVALID, "spec.runtimePatches[0].manager: Required value");
	ck_assert_kft_error(validate_yaml(PATCH("  - manager: example.io/a\n"
	                                        "  - manager: example.io/a\n"), NULL),
	                    KFT_EINVALID,
	                    "spec.runtimePatches[1].manager: Duplicate value: \"example.io/a\"");
	ck_assert_kft_error(validate_yaml(PATCH("  - manager: myteam\n"), NULL), KFT_EINVALID,
	                    "spec.runtimePatches[0].manager: must be a domain-prefixed path");
	ck_assert_kft_error(validate_yaml(PATCH("  - manager: Example.IO/x\n"), NULL), KFT_EINVALID,
	                    "must be a domain-prefixed path");
	ck_assert_kft_ok(validate_yaml(PATCH("  - manager: kueue.x-k8s.io/manager\n"), NULL));
}
END_TEST

START_TEST(patches_rjob_exists)
{
	kft_spec_t *s = new_job("torch-distributed");

	ck_assert_kft_ok(kft_spec_set_node_selector(s, "launcher", "gpu", "a100"));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "spec.runtimePatches[0].trainingRuntimeSpec.template.spec."
	                    "replicatedJobs[0].name: must not have replicated job that doesn't exist "
	                    "in the runtime job template");
	/* unknown runtime: not checked */
	ck_assert_kft_ok(kft_spec_set_runtime(s, "custom", "TrainingRuntime"));
	ck_assert_kft_ok(kft_spec_validate(s, NULL));
	kft_spec_free(s);
	ck_assert_kft_error(validate_yaml(PATCH("  - manager: example.io/a\n"
	                                        "    trainingRuntimeSpec: {template: {spec: "
	                                        "{replicatedJobs: [{name: node}, {name: node}]}}}\n"),
	                                  NULL),
	                    KFT_EINVALID, "replicatedJobs[1].name: Duplicate value: \"node\"");
}
END_TEST

START_TEST(patches_rjobs_max)
{
	kft__buf b = KFT__BUF_INIT;
	int i;

	kft__buf_puts(&b, PATCH("  - manager: example.io/a\n    trainingRuntimeSpec: {template: "
	                        "{spec: {replicatedJobs: ["));
	for (i = 0; i < 101; i++)
		kft__buf_printf(&b, "%s{name: r%d}", i ? ", " : "", i);
	kft__buf_puts(&b, "]}}}\n");
	ck_assert_kft_error(validate_yaml(b.ptr, NULL), KFT_EINVALID,
	                    "replicatedJobs: must have at most 100 items, got 101");
	kft__buf_free(&b);
}
END_TEST

#define RJOB_PATCH(podspec) PATCH("  - manager: example.io/a\n    trainingRuntimeSpec: {template: " \
	"{spec: {replicatedJobs: [{name: node, template: {spec: {template: {spec: " podspec \
	"}}}}]}}}\n")

START_TEST(patches_env_reserved_containers)
{
	ck_assert_kft_error(validate_yaml(RJOB_PATCH("{containers: [{name: node, env: [{name: A, "
	                                             "value: b}]}]}"), "torch-distributed"),
	                    KFT_EINVALID,
	                    "replicatedJobs[0].template.spec.template.spec.containers[0].env: must not "
	                    "have envs for the dataset-initializer, model-initializer, node containers");
	/* volume mounts on node are fine */
	ck_assert_kft_ok(validate_yaml(RJOB_PATCH("{containers: [{name: node, volumeMounts: "
	                                          "[{name: d, mountPath: /d}]}], volumes: [{name: d, "
	                                          "emptyDir: {}}]}"), "torch-distributed"));
	ck_assert_kft_error(validate_yaml(PATCH("  - manager: example.io/a\n    trainingRuntimeSpec: "
	                                        "{template: {spec: {replicatedJobs: [{name: "
	                                        "dataset-initializer, template: {spec: {template: "
	                                        "{spec: {containers: [{name: dataset-initializer, "
	                                        "env: [{name: X, value: y}]}]}}}}}]}}}\n"),
	                                  "torchtune-llama3.2-1b"),
	                    KFT_EINVALID, "must not have envs for the dataset-initializer");
}
END_TEST

START_TEST(patches_container_exists)
{
	ck_assert_kft_error(validate_yaml(RJOB_PATCH("{containers: [{name: sidecar, volumeMounts: "
	                                             "[{name: d, mountPath: /d}]}]}"),
	                                  "torch-distributed"),
	                    KFT_EINVALID, "containers[0].name: must not have container that doesn't "
	                    "exist in the runtime job node");
	ck_assert_kft_error(validate_with(JOB_RT("model-only", "  runtimePatches:\n"
	                                         "  - manager: example.io/a\n    trainingRuntimeSpec: "
	                                         "{template: {spec: {replicatedJobs: [{name: node, "
	                                         "template: {spec: {template: {spec: {initContainers: "
	                                         "[{name: node, env: [{name: A, value: b}]}]}}}}}]}}}"
	                                         "\n"), rt_model_only),
	                    KFT_EINVALID, "initContainers[0].name: must not have initContainer that "
	                    "doesn't exist in the runtime job node");
	/* initContainer that exists, with env: allowed */
	ck_assert_kft_ok(validate_with(JOB_RT("model-only", "  runtimePatches:\n"
	                                      "  - manager: example.io/a\n    trainingRuntimeSpec: "
	                                      "{template: {spec: {replicatedJobs: [{name: node, "
	                                      "template: {spec: {template: {spec: {initContainers: "
	                                      "[{name: prep, env: [{name: A, value: b}]}]}}}}}]}}}\n"),
	                               rt_model_only));
}
END_TEST

START_TEST(patches_pod_lists)
{
	kft_spec_t *s = new_job("torch-distributed");
	int i;

	for (i = 0; i < 129; i++)
		ck_assert_kft_ok(kft_spec_add_toleration(s, NULL, "k", "Exists", NULL, "NoSchedule"));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "template.spec.template.spec.tolerations: must have at most 128 items, "
	                    "got 129");
	kft_spec_free(s);
	ck_assert_kft_error(validate_yaml(RJOB_PATCH("{schedulingGates: [{name: a}, {name: b}, "
	                                             "{name: c}, {name: d}, {name: e}, {name: f}, "
	                                             "{name: g}, {name: h}, {name: i}, {name: j}, "
	                                             "{name: k}, {name: l}, {name: m}, {name: n}, "
	                                             "{name: o}, {name: p}, {name: q}]}"), NULL),
	                    KFT_EINVALID, "schedulingGates: must have at most 16 items, got 17");
	ck_assert_kft_error(validate_yaml(RJOB_PATCH("{terminationGracePeriodSeconds: -1}"), NULL),
	                    KFT_EINVALID, "terminationGracePeriodSeconds: must be greater than or "
	                    "equal to 0");
	ck_assert_kft_error(validate_yaml(RJOB_PATCH("{volumes: [{emptyDir: {}}]}"), NULL),
	                    KFT_EINVALID, "volumes[0].name: Required value");
}
END_TEST

/* ---- MPI ---- */

START_TEST(mpi_launcher_as_node)
{
	ck_assert_kft_error(validate_with(JOB_RT("mpi-launcher-only", "  trainer: {numNodes: 2}\n"),
	                                  rt_mpi_launcher_only),
	                    KFT_EINVALID, "spec.trainer.numNodes: must have 1 when MPI trainingRuntime "
	                    "with enabled runLauncherAsNode does not have either launcher and node");
	ck_assert_kft_ok(validate_with(JOB_RT("mpi-launcher-only", "  trainer: {numNodes: 1}\n"),
	                               rt_mpi_launcher_only));
	ck_assert_kft_ok(validate_yaml(JOB_RT("deepspeed-distributed", "  trainer: {numNodes: 3}\n"),
	                               "deepspeed-distributed"));
}
END_TEST

/* ---- builtin trainers ---- */

START_TEST(builtin_trainer_runtime_mismatch)
{
	kft_spec_t *s = new_job("torchtune-llama3.2-1b");
	const char *tune[] = { "tune", "run" };

	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "spec.trainer.command: CustomTrainer can't be used with "
	                    "torchtune-llama3.2-1b runtime");
	ck_assert_kft_ok(kft_spec_set_command(s, tune, 2));
	ck_assert_kft_ok(kft_spec_validate(s, NULL));
	/* the builtin trainer's own webhook rules run too (torchtune: one node for 1B) */
	ck_assert_kft_ok(kft_spec_set_num_nodes(s, 2));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "spec.trainer.numNodes: Invalid value: 2: must be 1 for llama3_2/1B model");
	ck_assert_kft_ok(kft_spec_set_num_nodes(s, KFT_UNSET));
	ck_assert_kft_ok(kft_spec_set_runtime(s, "torch-distributed", NULL));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "spec.trainer.command: BuiltinTrainer can't be used with torch-distributed "
	                    "runtime");
	kft_spec_free(s);
}
END_TEST

/* ---- labels, annotations, namespace (ObjectMeta rules) ---- */

START_TEST(metadata_labels_annotations)
{
	kft_spec_t *s = new_job("torch-distributed");
	char *v64 = repeat('v', 64);

	ck_assert_kft_ok(kft_spec_set_label(s, "kueue.x-k8s.io/queue-name", "team-a.q_1"));
	ck_assert_kft_ok(kft_spec_set_label(s, "empty", ""));
	ck_assert_kft_ok(kft_spec_set_annotation(s, "note", "free text, spaces & all"));
	ck_assert_kft_ok(kft_spec_set_namespace(s, "team-a"));
	ck_assert_kft_ok(kft_spec_validate(s, NULL));
	ck_assert_kft_ok(kft_spec_set_label(s, "kueue.x-k8s.io/queue-name", "My Queue"));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "metadata.labels[kueue.x-k8s.io/queue-name]: Invalid value: \"My Queue\": "
	                    "a valid label must be an empty string or consist of alphanumeric "
	                    "characters");
	ck_assert_kft_ok(kft_spec_set_label(s, "kueue.x-k8s.io/queue-name", v64));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "must be no more than 63 characters");
	ck_assert_kft_ok(kft_spec_set_label(s, "kueue.x-k8s.io/queue-name", NULL));
	ck_assert_kft_ok(kft_spec_set_label(s, "bad key", "v"));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "metadata.labels: Invalid value: \"bad key\": name part must consist of "
	                    "alphanumeric characters");
	ck_assert_kft_ok(kft_spec_set_label(s, "bad key", NULL));
	ck_assert_kft_ok(kft_spec_set_annotation(s, "Example.COM/x", "v"));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "metadata.annotations: Invalid value: \"Example.COM/x\": prefix part must "
	                    "be a lowercase RFC 1123 subdomain");
	ck_assert_kft_ok(kft_spec_set_annotation(s, "Example.COM/x", NULL));
	ck_assert_kft_ok(kft_spec_set_namespace(s, "Team_A"));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "metadata.namespace: Invalid value: \"Team_A\": a lowercase RFC 1123 label");
	ck_assert_kft_ok(kft_spec_set_namespace(s, NULL));
	ck_assert_kft_ok(kft_spec_set_pod_label(s, NULL, "team", "ML Ops"));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "spec.runtimePatches[0].trainingRuntimeSpec.template.spec.replicatedJobs[0]"
	                    ".template.spec.template.metadata.labels[team]: Invalid value: \"ML Ops\"");
	ck_assert_kft_ok(kft_spec_set_pod_label(s, NULL, "team", NULL));
	ck_assert_kft_ok(kft_spec_set_node_selector(s, NULL, "gpu", "a100/80g"));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "template.spec.template.spec.nodeSelector[gpu]: Invalid value: \"a100/80g\"");
	kft_spec_free(s);
	free(v64);
	ck_assert_kft_error(validate_yaml(HEAD "metadata: {name: a, labels: {n: 1}}\nspec: "
	                                  "{runtimeRef: {name: x}}\n", NULL),
	                    KFT_EINVALID, "metadata.labels[n]: must be a string");
}
END_TEST

/* ---- text ---- */

START_TEST(strings_are_utf8)
{
	kft_spec_t *s = new_job("torch-distributed");

	ck_assert_kft_ok(kft_spec_set_env(s, "GREETING", "h\xc3\xa9llo \xf0\x9f\x8e\x89"));
	ck_assert_kft_ok(kft_spec_validate(s, NULL));
	ck_assert_kft_ok(kft_spec_set_env(s, "BAD", "caf\xe9"));
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID,
	                    "spec.trainer.env[1].value: must be valid UTF-8");
	ck_assert_kft_ok(kft_spec_set_env(s, "BAD", NULL));
	ck_assert_kft_ok(kft_spec_set_label(s, "k\xc0\xaf", "v"));   /* overlong '/' */
	ck_assert_kft_error(kft_spec_validate(s, NULL), KFT_EINVALID, "key must be valid UTF-8");
	kft_spec_free(s);
}
END_TEST

/* ---- good inputs ---- */

START_TEST(good_full_job)
{
	kft_spec_t *s = new_job("torch-distributed");

	ck_assert_kft_ok(kft_spec_set_num_nodes(s, 4));
	ck_assert_kft_ok(kft_spec_set_num_proc_per_node(s, 2));
	ck_assert_kft_ok(kft_spec_set_image(s, "pytorch/pytorch:2.7.1"));
	ck_assert_kft_ok(kft_spec_set_env(s, "NCCL_DEBUG", "INFO"));
	ck_assert_kft_ok(kft_spec_set_resource(s, "gpu", "2"));
	ck_assert_kft_ok(kft_spec_set_resource(s, "Memory", "10G"));
	ck_assert_kft_ok(kft_spec_set_label(s, "kueue.x-k8s.io/queue-name", "q"));
	ck_assert_kft_ok(kft_spec_set_suspend(s, 0));
	ck_assert_kft_ok(kft_spec_set_managed_by(s, "kueue.x-k8s.io/multikueue"));
	ck_assert_kft_ok(kft_spec_set_active_deadline(s, 3600));
	ck_assert_kft_ok(kft_spec_set_node_selector(s, NULL, "gpu", "a100"));
	ck_assert_kft_ok(kft_spec_add_toleration(s, NULL, "gpu", "Exists", NULL, "NoSchedule"));
	ck_assert_kft_ok(kft_spec_add_volume(s, NULL, "{\"name\":\"d\",\"emptyDir\":{}}"));
	ck_assert_kft_ok(kft_spec_add_volume_mount(s, NULL, NULL, "d", "/data", 1));
	ck_assert_kft_ok(kft_spec_set_service_account(s, NULL, "trainer"));
	ck_assert_kft_ok(kft_spec_set_pod_label(s, NULL, "team", "ml"));
	ck_assert_kft_ok(kft_spec_set_template_annotation(s, "scheduling.volcano.sh/queue-name", "q"));
	ck_assert_kft_ok(kft_spec_validate(s, NULL));
	kft_spec_free(s);
}
END_TEST

START_TEST(good_initializers_and_script)
{
	kft_spec_t *s = NULL;
	kft_script_opts_t so = KFT_SCRIPT_OPTS_INIT;

	ck_assert_kft_ok(kft_spec_new(&s));
	ck_assert_kft_ok(kft_spec_generate_name(s));
	ck_assert_kft_ok(kft_spec_set_runtime(s, "torch-distributed-with-cache", NULL));
	ck_assert_kft_ok(kft_spec_set_initializer(s, KFT_INITIALIZER_DATASET, "cache://s/t"));
	ck_assert_kft_ok(kft_spec_set_initializer_env(s, KFT_INITIALIZER_DATASET, "METADATA_LOC",
	                                              "s3://b/m.json"));
	ck_assert_kft_ok(kft_spec_set_initializer_secret(s, KFT_INITIALIZER_DATASET, "creds"));
	so.script = "print('hi')\n";
	ck_assert_kft_ok(kft_spec_set_script(s, &so));
	ck_assert_kft_ok(kft_spec_validate(s, NULL));
	kft_spec_free(s);
}
END_TEST

/* ---- through the CLI ---- */

/* Run kft with fixed arguments (no shell); capture stderr; return the exit status. */
static int run_kft(char *err, size_t errlen, const char *const *args)
{
	const char *b = getenv("KFT_BUILD");
	char kft[4096];
	char *argv[32];
	int pipefd[2], status, n = 0;
	size_t got = 0;
	ssize_t r;
	pid_t pid;
	kft__proc_opts o;

	ck_assert_msg(b != NULL, "KFT_BUILD is not set (run through make check)");
	snprintf(kft, sizeof(kft), "%s/kft", b);
	argv[n++] = kft;
	while (*args && n < 31)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	ck_assert_int_eq(pipe2(pipefd, O_CLOEXEC), 0);
	memset(&o, 0, sizeof(o));
	o.file = kft;
	o.argv = argv;
	o.stdin_fd = -1;
	o.stdout_fd = -1;
	o.stderr_fd = pipefd[1];
	ck_assert_kft_ok(kft__proc_spawn(&pid, &o));
	close(pipefd[1]);
	while (got + 1 < errlen && (r = read(pipefd[0], err + got, errlen - 1 - got)) > 0)
		got += (size_t)r;
	err[got] = '\0';
	close(pipefd[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

START_TEST(cli_rejects_bad_input)
{
	static const struct {
		const char *args[12];
		const char *needle;
	} cases[] = {
		{ { "render", "--nodes", "0", "--", "python3", "t.py", NULL },
		  "spec.trainer.numNodes: must be greater than or equal to 1, got 0" },
		{ { "render", "--nproc", "0", "--", "python3", "t.py", NULL },
		  "numProcPerNode must be greater than or equal to 1" },
		{ { "render", "--name", "Bad_Name", "--", "x", NULL },
		  "metadata.name must match RFC 1035 DNS label format" },
		{ { "render", "--env", "PET_NODE_RANK=3", "--", "x", NULL },
		  "invalid envs configured: [PET_NODE_RANK]" },
		{ { "render", "--gpu", "1", "--resource", "mig-1g.5gb=1", "--", "x", NULL },
		  "cannot be requested together" },
		{ { "render", "--runtime", "torchtune-llama3.2-1b", "--dataset", "/nonexistent/data",
		    NULL }, "--dataset: /nonexistent/data: no such file or directory" },
		{ { "render", "--runtime", "torchtune-llama3.2-1b", "--dataset", "hf:/x", NULL },
		  "storageUri may be empty, or it must be a valid URI (scheme://...)" },
		{ { "render", "--managed-by", "me", "--", "x", NULL }, "ManagedBy must be" },
		{ { "render", "--deadline", "0", "--", "x", NULL },
		  "spec.activeDeadlineSeconds: must be greater than or equal to 1" },
		{ { "render", "--runtime", "torch-distributed", "--model", "hf://a/b", "--", "x", NULL },
		  "must have model-initializer job" },
		{ { "render", "--runtime-kind", "Runtime", "--", "x", NULL },
		  "unsupported runtime: Runtime.trainer.kubeflow.org" },
		{ { "render", "--queue", "My Queue", "--", "x", NULL },
		  "metadata.labels[kueue.x-k8s.io/queue-name]: Invalid value: \"My Queue\"" },
	};
	char err[4096];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = run_kft(err, sizeof(err), cases[i].args);

		ck_assert_msg(rc == 1, "case %zu: exit %d, stderr: %s", i, rc, err);
		ck_assert_msg(strstr(err, cases[i].needle) != NULL, "case %zu: stderr \"%s\" lacks "
		              "\"%s\"", i, err, cases[i].needle);
	}
	{
		const char *ok[] = { "render", "--runtime", "torch-distributed", "--nodes", "2", "--gpu",
		                     "1", "--env", "A=B", "-o", "json", "--", "python3", "train.py",
		                     NULL };

		ck_assert_int_eq(run_kft(err, sizeof(err), ok), 0);
	}
}
END_TEST

static Suite *validate_suite(void)
{
	Suite *s = suite_create("validate");
	TCase *tc = tcase_create("rules");

	tcase_add_test(tc, name_rfc1035);
	tcase_add_test(tc, name_max_63);
	tcase_add_test(tc, name_jobset_pod_limit);
	tcase_add_test(tc, name_initializer_warning);
	tcase_add_test(tc, runtime_ref_required);
	tcase_add_test(tc, runtime_ref_name_max);
	tcase_add_test(tc, runtime_ref_kind_group);
	tcase_add_test(tc, env_reserved_torch);
	tcase_add_test(tc, env_reserved_mpi);
	tcase_add_test(tc, env_reserved_xgboost);
	tcase_add_test(tc, env_list_rules);
	tcase_add_test(tc, resources_one_mig_type);
	tcase_add_test(tc, resources_gpu_mig_conflict);
	tcase_add_test(tc, resources_quantity);
	tcase_add_test(tc, num_nodes_min);
	tcase_add_test(tc, num_proc_per_node_min);
	tcase_add_test(tc, storage_uri_scheme);
	tcase_add_test(tc, storage_uri_max);
	tcase_add_test(tc, initializer_needs_runtime_step);
	tcase_add_test(tc, managed_by_values);
	tcase_add_test(tc, active_deadline_min);
	tcase_add_test(tc, image_max);
	tcase_add_test(tc, command_args_limits);
	tcase_add_test(tc, patches_max);
	tcase_add_test(tc, patches_manager);
	tcase_add_test(tc, patches_rjob_exists);
	tcase_add_test(tc, patches_rjobs_max);
	tcase_add_test(tc, patches_env_reserved_containers);
	tcase_add_test(tc, patches_container_exists);
	tcase_add_test(tc, patches_pod_lists);
	tcase_add_test(tc, mpi_launcher_as_node);
	tcase_add_test(tc, builtin_trainer_runtime_mismatch);
	tcase_add_test(tc, metadata_labels_annotations);
	tcase_add_test(tc, strings_are_utf8);
	tcase_add_test(tc, good_full_job);
	tcase_add_test(tc, good_initializers_and_script);
	suite_add_tcase(s, tc);
	tc = tcase_create("cli");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, cli_rejects_bad_input);
	suite_add_tcase(s, tc);
	return s;
}

KFT_TEST_MAIN(validate_suite)
