/*
 * The TrainJob model: setters produce the expected JSON, version targeting,
 * parse(render(x)) == x, script and code-directory trainers run for real
 * with bash, generated names.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "testutil.h"
#include "codeignore.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- helpers ---- */

static char *render(const kft_spec_t *s, int format, const char *tv)
{
	kft_render_opts_t ro = KFT_RENDER_OPTS_INIT;
	char *out = NULL;

	ro.format = format;
	ro.trainer_version = tv;
	ck_assert_kft_ok(kft_spec_render(&out, s, &ro));
	return out;
}

static cJSON *render_json(const kft_spec_t *s, const char *tv)
{
	char *out = render(s, KFT_FORMAT_JSON, tv);
	cJSON *j = cJSON_Parse(out);

	ck_assert_msg(j != NULL, "render is not JSON: %s", out);
	kft_free(out);
	return j;
}

/* The member at path (NULL: the document) equals expected (JSON text). */
static void assert_json_at(const cJSON *doc, const char *path, const char *expected)
{
	cJSON *exp = cJSON_Parse(expected);
	const cJSON *got = path ? kft__json_path(doc, path) : doc;
	char *g = got ? cJSON_PrintUnformatted(got) : NULL;

	ck_assert_msg(exp != NULL, "bad expected JSON: %s", expected);
	ck_assert_msg(got && cJSON_Compare(got, exp, 1), "%s: got %s, want %s", path ? path : "doc",
	              g ? g : "(absent)", expected);
	free(g);
	cJSON_Delete(exp);
}

static kft_spec_t *new_job(void)
{
	kft_spec_t *s = NULL;

	ck_assert_kft_ok(kft_spec_new(&s));
	ck_assert_kft_ok(kft_spec_set_name(s, "job1"));
	ck_assert_kft_ok(kft_spec_set_runtime(s, "torch-distributed", NULL));
	return s;
}

static char tmpdir[256];

static void make_tmpdir(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/kft-test-spec.XXXXXX", base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void write_file(const char *path, const char *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* ---- setters ---- */

START_TEST(setters_basic_fields)
{
	kft_spec_t *s = new_job();
	const char *cmd[] = { "python3", "train.py" }, *args[] = { "--lr", "0.1" };
	cJSON *j;

	ck_assert_kft_ok(kft_spec_set_namespace(s, "team-a"));
	ck_assert_kft_ok(kft_spec_set_label(s, "kueue.x-k8s.io/queue-name", "q1"));
	ck_assert_kft_ok(kft_spec_set_annotation(s, "note", "x"));
	ck_assert_kft_ok(kft_spec_set_image(s, "img:1"));
	ck_assert_kft_ok(kft_spec_set_command(s, cmd, 2));
	ck_assert_kft_ok(kft_spec_set_args(s, args, 2));
	ck_assert_kft_ok(kft_spec_set_num_nodes(s, 2));
	ck_assert_kft_ok(kft_spec_set_num_proc_per_node(s, 4));
	ck_assert_kft_ok(kft_spec_set_suspend(s, 1));
	ck_assert_kft_ok(kft_spec_set_managed_by(s, "kueue.x-k8s.io/multikueue"));
	ck_assert_kft_ok(kft_spec_set_active_deadline(s, 600));
	j = render_json(s, NULL);
	assert_json_at(j, NULL,
		"{\"apiVersion\":\"trainer.kubeflow.org/v1alpha1\",\"kind\":\"TrainJob\","
		"\"metadata\":{\"name\":\"job1\",\"namespace\":\"team-a\","
		"\"labels\":{\"kueue.x-k8s.io/queue-name\":\"q1\"},\"annotations\":{\"note\":\"x\"}},"
		"\"spec\":{\"runtimeRef\":{\"name\":\"torch-distributed\","
		"\"kind\":\"ClusterTrainingRuntime\"},"
		"\"trainer\":{\"image\":\"img:1\",\"command\":[\"python3\",\"train.py\"],"
		"\"args\":[\"--lr\",\"0.1\"],\"numNodes\":2,\"numProcPerNode\":4},"
		"\"suspend\":true,\"managedBy\":\"kueue.x-k8s.io/multikueue\","
		"\"activeDeadlineSeconds\":600}}");
	cJSON_Delete(j);
	/* unset removes; the kind is explicit */
	ck_assert_kft_ok(kft_spec_set_num_nodes(s, KFT_UNSET));
	ck_assert_kft_ok(kft_spec_set_label(s, "kueue.x-k8s.io/queue-name", NULL));
	ck_assert_kft_ok(kft_spec_set_runtime(s, "mine", "TrainingRuntime"));
	j = render_json(s, NULL);
	ck_assert_ptr_null(kft__json_path(j, "spec.trainer.numNodes"));
	ck_assert_ptr_null(kft__json_path(j, "metadata.labels"));
	assert_json_at(j, "spec.runtimeRef", "{\"name\":\"mine\",\"kind\":\"TrainingRuntime\"}");
	cJSON_Delete(j);
	kft_spec_free(s);
}
END_TEST

START_TEST(resources_aliases)
{
	kft_spec_t *s = new_job();
	cJSON *j;

	/* kubeflow-sdk.md §4.1 example 1: {"gpu": 4, "CPU": 5, "Memory": "10G"} */
	ck_assert_kft_ok(kft_spec_set_resource(s, "gpu", "4"));
	ck_assert_kft_ok(kft_spec_set_resource(s, "CPU", "5"));
	ck_assert_kft_ok(kft_spec_set_resource(s, "Memory", "10G"));
	j = render_json(s, NULL);
	assert_json_at(j, "spec.trainer.resourcesPerNode",
	               "{\"requests\":{\"nvidia.com/gpu\":4,\"cpu\":5,\"memory\":\"10G\"},"
	               "\"limits\":{\"nvidia.com/gpu\":4,\"cpu\":5,\"memory\":\"10G\"}}");
	cJSON_Delete(j);
	kft_spec_free(s);

	/* example 2: {"MiG-1G.5GB": 2, "cpu": "500m"} */
	s = new_job();
	ck_assert_kft_ok(kft_spec_set_resource(s, "MiG-1G.5GB", "2"));
	ck_assert_kft_ok(kft_spec_set_resource(s, "cpu", "500m"));
	j = render_json(s, NULL);
	assert_json_at(j, "spec.trainer.resourcesPerNode.limits",
	               "{\"cpu\":\"500m\",\"nvidia.com/mig-1g.5gb\":2}");
	assert_json_at(j, "spec.trainer.resourcesPerNode.requests",
	               "{\"cpu\":\"500m\",\"nvidia.com/mig-1g.5gb\":2}");
	cJSON_Delete(j);
	kft_spec_free(s);

	/* storage aliases; other keys keep their exact case; removal */
	s = new_job();
	ck_assert_kft_ok(kft_spec_set_resource(s, "Storage", "20Gi"));
	ck_assert_kft_ok(kft_spec_set_resource(s, "EPHEMERAL-STORAGE", "21Gi"));
	ck_assert_kft_ok(kft_spec_set_resource(s, "Example.com/Custom-NPU", "1"));
	ck_assert_kft_ok(kft_spec_set_resource(s, "GPU", "1"));
	ck_assert_kft_ok(kft_spec_set_resource(s, "gpu", NULL));
	j = render_json(s, NULL);
	assert_json_at(j, "spec.trainer.resourcesPerNode.limits",
	               "{\"ephemeral-storage\":\"21Gi\",\"Example.com/Custom-NPU\":1}");
	cJSON_Delete(j);
	/* removing every resource removes resourcesPerNode (an empty one would replace
	 * the runtime's resources on Trainer <= v2.2) */
	ck_assert_kft_ok(kft_spec_set_resource(s, "storage", NULL));
	ck_assert_kft_ok(kft_spec_set_resource(s, "ephemeral-storage", NULL));
	ck_assert_kft_ok(kft_spec_set_resource(s, "Example.com/Custom-NPU", NULL));
	j = render_json(s, NULL);
	ck_assert_ptr_null(kft__json_path(j, "spec.trainer.resourcesPerNode"));
	cJSON_Delete(j);
	kft_spec_free(s);
}
END_TEST

START_TEST(env_upsert)
{
	kft_spec_t *s = new_job();
	cJSON *j;

	ck_assert_kft_ok(kft_spec_set_env(s, "A", "1"));
	ck_assert_kft_ok(kft_spec_set_env(s, "B", "2"));
	ck_assert_kft_ok(kft_spec_set_env(s, "A", "3"));
	ck_assert_kft_ok(kft_spec_set_env(s, "C", ""));
	j = render_json(s, NULL);
	assert_json_at(j, "spec.trainer.env", "[{\"name\":\"A\",\"value\":\"3\"},"
	               "{\"name\":\"B\",\"value\":\"2\"},{\"name\":\"C\",\"value\":\"\"}]");
	cJSON_Delete(j);
	ck_assert_kft_ok(kft_spec_set_env(s, "B", NULL));
	ck_assert_kft_ok(kft_spec_set_env(s, "nope", NULL));
	j = render_json(s, NULL);
	assert_json_at(j, "spec.trainer.env", "[{\"name\":\"A\",\"value\":\"3\"},"
	               "{\"name\":\"C\",\"value\":\"\"}]");
	cJSON_Delete(j);
	ck_assert_kft_ok(kft_spec_set_env(s, "A", NULL));
	ck_assert_kft_ok(kft_spec_set_env(s, "C", NULL));
	j = render_json(s, NULL);
	ck_assert_ptr_null(kft__json_path(j, "spec.trainer.env"));
	cJSON_Delete(j);
	ck_assert_kft_error(kft_spec_set_env(s, "", "x"), KFT_EINVALID, "invalid argument");
	kft_spec_free(s);
}
END_TEST

START_TEST(initializers)
{
	kft_spec_t *s = new_job();
	cJSON *j;

	ck_assert_kft_ok(kft_spec_set_initializer(s, KFT_INITIALIZER_MODEL, "hf://org/model"));
	ck_assert_kft_ok(kft_spec_set_initializer_env(s, KFT_INITIALIZER_MODEL, "IGNORE_PATTERNS",
	                                              "*.msgpack,*.h5,*.bin,*.pt,*.pth"));
	ck_assert_kft_ok(kft_spec_set_initializer_env(s, KFT_INITIALIZER_MODEL, "ACCESS_TOKEN", "t"));
	ck_assert_kft_ok(kft_spec_set_initializer(s, KFT_INITIALIZER_DATASET, "s3://bucket/data"));
	ck_assert_kft_ok(kft_spec_set_initializer_secret(s, KFT_INITIALIZER_DATASET, "s3-creds"));
	j = render_json(s, NULL);
	assert_json_at(j, "spec.initializer",
	               "{\"dataset\":{\"storageUri\":\"s3://bucket/data\","
	               "\"secretRef\":{\"name\":\"s3-creds\"}},"
	               "\"model\":{\"storageUri\":\"hf://org/model\",\"env\":["
	               "{\"name\":\"IGNORE_PATTERNS\",\"value\":\"*.msgpack,*.h5,*.bin,*.pt,*.pth\"},"
	               "{\"name\":\"ACCESS_TOKEN\",\"value\":\"t\"}]}}");
	cJSON_Delete(j);
	ck_assert_kft_ok(kft_spec_set_initializer(s, KFT_INITIALIZER_DATASET, NULL));
	ck_assert_kft_ok(kft_spec_set_initializer(s, KFT_INITIALIZER_MODEL, NULL));
	j = render_json(s, NULL);
	ck_assert_ptr_null(kft__json_path(j, "spec.initializer"));
	cJSON_Delete(j);
	ck_assert_kft_error(kft_spec_set_initializer(s, 7, "hf://a/b"), KFT_EINVALID,
	                    "invalid argument");
	kft_spec_free(s);
}
END_TEST

static kft_spec_t *job_with_patches(void)
{
	kft_spec_t *s = new_job();

	ck_assert_kft_ok(kft_spec_set_node_selector(s, NULL, "gpu", "a100"));
	ck_assert_kft_ok(kft_spec_add_toleration(s, NULL, "gpu", "Exists", NULL, "NoSchedule"));
	ck_assert_kft_ok(kft_spec_add_volume(s, NULL, "{\"name\":\"data\",\"emptyDir\":{}}"));
	ck_assert_kft_ok(kft_spec_add_volume_mount(s, NULL, NULL, "data", "/data", 1));
	ck_assert_kft_ok(kft_spec_set_service_account(s, NULL, "trainer-sa"));
	ck_assert_kft_ok(kft_spec_set_pod_label(s, NULL, "team", "ml"));
	ck_assert_kft_ok(kft_spec_set_pod_annotation(s, NULL,
	                                             "kueue.x-k8s.io/podset-required-topology",
	                                             "rack"));
	ck_assert_kft_ok(kft_spec_set_template_label(s, "tier", "gold"));
	ck_assert_kft_ok(kft_spec_set_template_annotation(s, "scheduling.volcano.sh/queue-name", "q"));
	return s;
}

#define POD_SPEC "{\"nodeSelector\":{\"gpu\":\"a100\"}," \
	"\"tolerations\":[{\"key\":\"gpu\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}]," \
	"\"volumes\":[{\"name\":\"data\",\"emptyDir\":{}}]," \
	"\"containers\":[{\"name\":\"node\",\"volumeMounts\":[{\"name\":\"data\"," \
	"\"mountPath\":\"/data\",\"readOnly\":true}]}],\"serviceAccountName\":\"trainer-sa\"}"

START_TEST(runtime_patches)
{
	kft_spec_t *s = job_with_patches();
	cJSON *j = render_json(s, NULL);

	assert_json_at(j, "spec.runtimePatches",
		"[{\"manager\":\"trainer.kubeflow.org/kubeflow-sdk\",\"trainingRuntimeSpec\":{"
		"\"template\":{\"metadata\":{\"labels\":{\"tier\":\"gold\"},\"annotations\":{"
		"\"scheduling.volcano.sh/queue-name\":\"q\"}},\"spec\":{\"replicatedJobs\":[{"
		"\"name\":\"node\",\"template\":{\"spec\":{\"template\":{"
		"\"metadata\":{\"labels\":{\"team\":\"ml\"},\"annotations\":{"
		"\"kueue.x-k8s.io/podset-required-topology\":\"rack\"}},"
		"\"spec\":" POD_SPEC "}}}}]}}}}]");
	ck_assert_ptr_null(kft__json_path(j, "spec.labels"));
	cJSON_Delete(j);
	/* a second rjob gets its own entry in the same patch */
	ck_assert_kft_ok(kft_spec_set_node_selector(s, "launcher", "cpu", "big"));
	j = render_json(s, NULL);
	{
		const cJSON *patches = kft__json_path(j, "spec.runtimePatches");
		const cJSON *rjobs = kft__json_path(cJSON_GetArrayItem(patches, 0),
		                                    "trainingRuntimeSpec.template.spec.replicatedJobs");

		ck_assert_int_eq(cJSON_GetArraySize(patches), 1);
		ck_assert_int_eq(cJSON_GetArraySize(rjobs), 2);
		assert_json_at(cJSON_GetArrayItem(rjobs, 1), NULL,
		               "{\"name\":\"launcher\",\"template\":{\"spec\":{\"template\":{"
		               "\"spec\":{\"nodeSelector\":{\"cpu\":\"big\"}}}}}}");
	}
	cJSON_Delete(j);
	kft_spec_free(s);
}
END_TEST

START_TEST(convert_v21)
{
	kft_spec_t *s = job_with_patches();
	cJSON *j = render_json(s, "v2.1");

	ck_assert_ptr_null(kft__json_path(j, "spec.runtimePatches"));
	assert_json_at(j, "spec.labels", "{\"tier\":\"gold\"}");
	assert_json_at(j, "spec.annotations", "{\"scheduling.volcano.sh/queue-name\":\"q\"}");
	assert_json_at(j, "spec.podTemplateOverrides",
		"[{\"targetJobs\":[{\"name\":\"node\"}],\"metadata\":{\"labels\":{\"team\":\"ml\"},"
		"\"annotations\":{\"kueue.x-k8s.io/podset-required-topology\":\"rack\"}},"
		"\"spec\":" POD_SPEC "}]");
	cJSON_Delete(j);
	kft_spec_free(s);
}
END_TEST

START_TEST(convert_v20)
{
	kft_spec_t *s = job_with_patches();
	cJSON *j;
	char *out = NULL;
	kft_render_opts_t ro = KFT_RENDER_OPTS_INIT;

	/* v2.0 podSpecOverrides has no pod metadata */
	ro.trainer_version = "v2.0";
	ck_assert_kft_error(kft_spec_render(&out, s, &ro), KFT_EINVALID,
	                    "pod labels/annotations: not supported by Trainer v2.0");
	ck_assert_kft_ok(kft_spec_set_pod_label(s, NULL, "team", NULL));
	ck_assert_kft_ok(kft_spec_set_pod_annotation(s, NULL,
	                                             "kueue.x-k8s.io/podset-required-topology", NULL));
	j = render_json(s, "v2.0");
	assert_json_at(j, "spec.labels", "{\"tier\":\"gold\"}");
	assert_json_at(j, "spec.podSpecOverrides",
		"[{\"targetJobs\":[{\"name\":\"node\"}],\"nodeSelector\":{\"gpu\":\"a100\"},"
		"\"tolerations\":[{\"key\":\"gpu\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}],"
		"\"volumes\":[{\"name\":\"data\",\"emptyDir\":{}}],"
		"\"containers\":[{\"name\":\"node\",\"volumeMounts\":[{\"name\":\"data\","
		"\"mountPath\":\"/data\",\"readOnly\":true}]}],\"serviceAccountName\":\"trainer-sa\"}]");
	cJSON_Delete(j);
	/* v2.2/v2.3 keep the canonical form */
	j = render_json(s, "v2.3");
	ck_assert_ptr_nonnull(kft__json_path(j, "spec.runtimePatches"));
	cJSON_Delete(j);
	ro.trainer_version = "v3.0";
	ck_assert_kft_error(kft_spec_render(&out, s, &ro), KFT_EINVALID,
	                    "trainer version: expected v2.0, v2.1, v2.2 or v2.3");
	kft_spec_free(s);
}
END_TEST

START_TEST(deadline_needs_v22)
{
	kft_spec_t *s = new_job();
	kft_render_opts_t ro = KFT_RENDER_OPTS_INIT;
	char *out = NULL;
	cJSON *j;

	ck_assert_kft_ok(kft_spec_set_active_deadline(s, 60));
	ro.trainer_version = "v2.1";
	ck_assert_kft_error(kft_spec_render(&out, s, &ro), KFT_EINVALID,
	                    "spec.activeDeadlineSeconds: not supported by Trainer v2.1");
	ro.trainer_version = "v2.0";
	ck_assert_kft_error(kft_spec_render(&out, s, &ro), KFT_EINVALID,
	                    "spec.activeDeadlineSeconds: not supported by Trainer v2.0");
	j = render_json(s, "v2.2");
	assert_json_at(j, "spec.activeDeadlineSeconds", "60");
	cJSON_Delete(j);
	kft_spec_free(s);
}
END_TEST

/* parse of an old-form document upgrades to runtimePatches, and renders back */
START_TEST(parse_v21_document)
{
	static const char v21[] =
		"apiVersion: trainer.kubeflow.org/v1alpha1\nkind: TrainJob\nmetadata: {name: old}\n"
		"spec:\n  runtimeRef: {name: torch-distributed, kind: ClusterTrainingRuntime}\n"
		"  labels: {tier: gold}\n"
		"  podTemplateOverrides:\n  - targetJobs: [{name: node}]\n"
		"    metadata: {labels: {team: ml}}\n    spec: {nodeSelector: {gpu: a100}}\n";
	kft_spec_t *s = NULL;
	cJSON *j, *orig;

	ck_assert_kft_ok(kft_spec_parse(&s, v21, strlen(v21)));
	j = render_json(s, NULL);
	ck_assert_ptr_null(kft__json_path(j, "spec.podTemplateOverrides"));
	ck_assert_ptr_null(kft__json_path(j, "spec.labels"));
	ck_assert_int_eq(cJSON_GetArraySize(kft__json_path(j, "spec.runtimePatches")), 1);
	cJSON_Delete(j);
	j = render_json(s, "v2.1");
	ck_assert_kft_ok(kft__yaml_parse(&orig, v21, strlen(v21), "v21"));
	ck_assert_msg(cJSON_Compare(j, orig, 1), "v2.1 render differs from the v2.1 input");
	cJSON_Delete(orig);
	cJSON_Delete(j);
	kft_spec_free(s);
}
END_TEST

/* Fields an older Trainer lacks are refused, not dropped. */
START_TEST(convert_refuses_newer_fields)
{
	kft_spec_t *s = new_job();
	kft_render_opts_t ro = KFT_RENDER_OPTS_INIT;
	char *out = NULL;

	ck_assert_kft_ok(kft_spec_set_json(s, "spec.runtimePatches",
		"[{\"manager\":\"example.io/a\",\"trainingRuntimeSpec\":{\"template\":{\"spec\":"
		"{\"replicatedJobs\":[{\"name\":\"node\",\"template\":{\"spec\":{\"template\":"
		"{\"spec\":{\"terminationGracePeriodSeconds\":5}}}}}]}}}}]"));
	ro.trainer_version = "v2.2";
	ck_assert_kft_error(kft_spec_render(&out, s, &ro), KFT_EINVALID,
	                    "replicatedJobs[0].template.spec.template.spec."
	                    "terminationGracePeriodSeconds: not supported by Trainer v2.2");
	ro.trainer_version = "v2.1";
	ck_assert_kft_error(kft_spec_render(&out, s, &ro), KFT_EINVALID,
	                    "terminationGracePeriodSeconds: not supported by Trainer v2.1 "
	                    "(podTemplateOverrides has no such field)");
	ro.trainer_version = "v2.3";
	ck_assert_kft_ok(kft_spec_render(&out, s, &ro));
	kft_free(out);
	ck_assert_kft_ok(kft_spec_set_json(s, "spec.runtimePatches",
		"[{\"manager\":\"example.io/a\",\"trainingRuntimeSpec\":{\"template\":{\"spec\":"
		"{\"replicatedJobs\":[{\"name\":\"node\",\"template\":{\"metadata\":{\"labels\":"
		"{\"a\":\"b\"}}}}]}}}}]"));
	ro.trainer_version = "v2.1";
	ck_assert_kft_error(kft_spec_render(&out, s, &ro), KFT_EINVALID,
	                    "template.metadata: Job labels/annotations are not supported by Trainer "
	                    "v2.1");
	ck_assert_kft_ok(kft_spec_set_json(s, "spec.runtimePatches",
		"[{\"manager\":\"example.io/a\",\"trainingRuntimeSpec\":{\"template\":{\"spec\":"
		"{\"replicatedJobs\":[{\"name\":\"node\",\"template\":{\"spec\":{\"template\":"
		"{\"spec\":{\"affinity\":{},\"containers\":[{\"name\":\"node\","
		"\"securityContext\":{}}]}}}}}]}}}}]"));
	ro.trainer_version = "v2.0";
	ck_assert_kft_error(kft_spec_render(&out, s, &ro), KFT_EINVALID,
	                    "spec.template.spec.affinity: not supported by Trainer v2.0 "
	                    "(podSpecOverrides has no such field)");
	ro.trainer_version = "v2.1";
	ck_assert_kft_error(kft_spec_render(&out, s, &ro), KFT_EINVALID,
	                    "spec.template.spec.containers[].securityContext: not supported by "
	                    "Trainer v2.1");
	kft_spec_free(s);
}
END_TEST

/* A file with a runtime and a TrainJob (as upstream examples have): the TrainJob is taken. */
START_TEST(parse_multi_document)
{
	static const char two[] =
		"apiVersion: trainer.kubeflow.org/v1alpha1\nkind: ClusterTrainingRuntime\n"
		"metadata: {name: rt}\n---\n"
		"apiVersion: trainer.kubeflow.org/v1alpha1\nkind: TrainJob\nmetadata: {name: tj}\n"
		"spec: {runtimeRef: {name: rt}}\n";
	static const char none[] = "kind: ConfigMap\n---\nkind: Secret\n";
	static const char both[] = "kind: TrainJob\n---\nkind: TrainJob\n";
	kft_spec_t *s = NULL;

	ck_assert_kft_ok(kft_spec_parse(&s, two, strlen(two)));
	ck_assert_str_eq(kft_spec_name(s), "tj");
	kft_spec_free(s);
	s = NULL;
	ck_assert_kft_error(kft_spec_parse(&s, none, strlen(none)), KFT_EINVALID,
	                    "expected one document of kind TrainJob among the 2 YAML documents, "
	                    "found 0");
	ck_assert_kft_error(kft_spec_parse(&s, both, strlen(both)), KFT_EINVALID, "found 2");
	ck_assert_ptr_null(s);
}
END_TEST

/* ---- parse(render(x)) == x ---- */

static void assert_roundtrip(const kft_spec_t *s)
{
	int f;

	for (f = KFT_FORMAT_YAML; f <= KFT_FORMAT_JSON; f++) {
		char *a = render(s, f, NULL), *b, *c;
		kft_spec_t *p = NULL;

		ck_assert_kft_ok(kft_spec_parse(&p, a, strlen(a)));
		b = render(p, f, NULL);
		ck_assert_msg(!strcmp(a, b), "format %d: render(parse(render(x))) differs:\n%s\n---\n%s",
		              f, a, b);
		/* and across formats */
		c = render(p, f == KFT_FORMAT_YAML ? KFT_FORMAT_JSON : KFT_FORMAT_YAML, NULL);
		kft_free(a);
		kft_free(b);
		kft_spec_free(p);
		ck_assert_kft_ok(kft_spec_parse(&p, c, strlen(c)));
		b = render(p, f, NULL);
		a = render(s, f, NULL);
		ck_assert_str_eq(a, b);
		kft_free(a);
		kft_free(b);
		kft_free(c);
		kft_spec_free(p);
	}
}

START_TEST(roundtrip_full)
{
	kft_spec_t *s = job_with_patches();
	const char *cmd[] = { "python3", "-c", "print('a: b')\n# 'quoted' \"x\"\n", "true", "1",
	                      "null", "yes", "", " lead", "trail ", "0x10", "1e3", "~", "- x",
	                      "héllo 日本 🎉", "tab\there" };

	ck_assert_kft_ok(kft_spec_set_command(s, cmd, sizeof(cmd) / sizeof(cmd[0])));
	ck_assert_kft_ok(kft_spec_set_env(s, "EMPTY", ""));
	ck_assert_kft_ok(kft_spec_set_env(s, "MULTI", "line1\nline2\n\n"));
	ck_assert_kft_ok(kft_spec_set_resource(s, "gpu", "1"));
	ck_assert_kft_ok(kft_spec_set_resource(s, "cpu", "0.5"));
	ck_assert_kft_ok(kft_spec_set_initializer(s, KFT_INITIALIZER_DATASET, "hf://a/b"));
	ck_assert_kft_ok(kft_spec_set_label(s, "a.b/c-d", "123"));
	ck_assert_kft_ok(kft_spec_set_active_deadline(s, 3600));
	assert_roundtrip(s);
	kft_spec_free(s);
}
END_TEST

START_TEST(roundtrip_tristate)
{
	kft_spec_t *s = new_job();
	char *y;
	cJSON *j;

	/* explicit false and 0 are kept, not dropped */
	ck_assert_kft_ok(kft_spec_set_suspend(s, 0));
	ck_assert_kft_ok(kft_spec_set_num_nodes(s, 0));
	ck_assert_kft_ok(kft_spec_add_volume_mount(s, NULL, NULL, "d", "/d", 0));
	ck_assert_kft_ok(kft_spec_set_json(s, "spec.trainer.numProcPerNode", "0"));
	assert_roundtrip(s);
	j = render_json(s, NULL);
	assert_json_at(j, "spec.suspend", "false");
	assert_json_at(j, "spec.trainer.numNodes", "0");
	assert_json_at(j, "spec.trainer.numProcPerNode", "0");
	cJSON_Delete(j);
	y = render(s, KFT_FORMAT_YAML, NULL);
	ck_assert_msg(strstr(y, "suspend: false\n") && strstr(y, "numNodes: 0\n"), "%s", y);
	kft_free(y);
	/* unset: absent */
	ck_assert_kft_ok(kft_spec_set_suspend(s, KFT_UNSET));
	j = render_json(s, NULL);
	ck_assert_ptr_null(kft__json_path(j, "spec.suspend"));
	cJSON_Delete(j);
	kft_spec_free(s);
}
END_TEST

START_TEST(roundtrip_parsed_yaml)
{
	static const char y[] =
		"apiVersion: trainer.kubeflow.org/v1alpha1\nkind: TrainJob\n"
		"metadata:\n  name: j\n  labels: {\"x.io/a\": \"true\", b: \"1\", c: \"null\"}\n"
		"spec:\n  runtimeRef: {name: torch-distributed, kind: ClusterTrainingRuntime}\n"
		"  trainer:\n    args: ['yes', \"no\", \"on\", '0o17', \"3.0\", \"\"]\n"
		"    command:\n    - bash\n    - -c\n    - |\n      echo \"$HOME\" `date`\n"
		"      exit 0\n    numNodes: 3\n  suspend: false\n";
	kft_spec_t *s = NULL;
	char *out;

	ck_assert_kft_ok(kft_spec_parse(&s, y, strlen(y)));
	assert_roundtrip(s);
	out = render(s, KFT_FORMAT_JSON, NULL);
	ck_assert_msg(strstr(out, "\"x.io/a\": \"true\"") && strstr(out, "\"0o17\"") &&
	              strstr(out, "\"suspend\": false") && strstr(out, "\"numNodes\": 3") &&
	              strstr(out, "echo \\\"$HOME\\\" `date`\\nexit 0\\n"), "%s", out);
	kft_free(out);
	kft_spec_free(s);
}
END_TEST

/* ---- script trainer, run for real ---- */

/* The stub launcher copies its first argument (the script) to $KFT_OUT. */
static void make_stub(const char *name, const char *body)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/bin", tmpdir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/bin/%s", tmpdir, name);
	write_file(path, body, strlen(body), 0755);
}

/* Render s, take spec.trainer.command, and run it (argv as is) with the stubs on PATH. */
static int run_command(const kft_spec_t *s, const char *out_path, int via_yaml)
{
	char *text = render(s, via_yaml ? KFT_FORMAT_YAML : KFT_FORMAT_JSON, NULL);
	cJSON *doc = NULL;
	const cJSON *cmd, *it;
	kft__strv argv = KFT__STRV_INIT, env = KFT__STRV_INIT;
	kft__proc_opts o;
	pid_t pid;
	int status;

	ck_assert_kft_ok(kft__yaml_parse(&doc, text, strlen(text), "render"));
	kft_free(text);
	cmd = kft__json_path(doc, "spec.trainer.command");
	ck_assert_msg(cJSON_IsArray(cmd), "no command");
	ck_assert_str_eq(cJSON_GetArrayItem(cmd, 0)->valuestring, "bash");
	ck_assert_str_eq(cJSON_GetArrayItem(cmd, 1)->valuestring, "-c");
	cJSON_ArrayForEach(it, cmd)
		ck_assert_kft_ok(kft__strv_push(&argv, it->valuestring));
	ck_assert_kft_ok(kft__strv_pushf(&env, "PATH=%s/bin:/usr/bin:/bin", tmpdir));
	ck_assert_kft_ok(kft__strv_pushf(&env, "TMPDIR=%s", tmpdir));
	ck_assert_kft_ok(kft__strv_pushf(&env, "KFT_OUT=%s", out_path));
	memset(&o, 0, sizeof(o));
	o.file = "/bin/bash";
	o.argv = argv.v;
	o.env = env.v;
	o.cwd = tmpdir;
	o.stdin_fd = -1;
	o.stdout_fd = -1;
	o.stderr_fd = 2;
	ck_assert_kft_ok(kft__proc_spawn(&pid, &o));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	kft__strv_free(&argv);
	kft__strv_free(&env);
	cJSON_Delete(doc);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

START_TEST(script_bytes_survive)
{
	static const struct { const char *text; size_t len; } scripts[] = {
#define S(x) { x, sizeof(x) - 1 }
		S("print('hello')\n"),
		S("x = \"$HOME ${PATH} $(id) `id` \\\\ \\n \\\\\\\\\"\nprint(x)\n"),
		S("s = '''\n__KFT_EMBEDDED_SCRIPT__\n'''\nprint(s)\n"),
		S("a = '''\nEOF\nEOM\n'EOF'\n__KFT_EMBEDDED_SCRIPT_1__\n'''\n"),
		S("print('no trailing newline')"),
		S("print('many trailing newlines')\n\n\n\n"),
		S("\n\n  leading blank lines and spaces   \n\ttabs\t\n"),
		S("bad = b'\xff\xfe\x80 \xc3\x28'\n"),          /* invalid UTF-8 */
		S("crlf = 1\r\nprint(crlf)\r\n"),
		S("unicode = 'héllo 日本 🎉'\n"),
		S("'single' \"double\" \\ ; & | > < * ? [ ] { } ! # %\n"),
		S(""),
#undef S
	};
	char out[512];
	size_t i;
	int via_yaml;

	make_tmpdir();
	make_stub("torchrun", "#!/bin/sh\nexec cp -- \"$1\" \"$KFT_OUT\"\n");
	snprintf(out, sizeof(out), "%s/copied.py", tmpdir);
	for (via_yaml = 0; via_yaml < 2; via_yaml++) {
		for (i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
			kft_spec_t *s = new_job();
			kft_script_opts_t so = KFT_SCRIPT_OPTS_INIT;
			char *got = NULL;
			size_t len = 0;
			int rc;

			so.script = scripts[i].text;
			so.script_len = scripts[i].len;
			ck_assert_kft_ok(kft_spec_set_script(s, &so));   /* len 0: strlen("") */
			unlink(out);
			rc = run_command(s, out, via_yaml);
			ck_assert_msg(rc == 0, "script %zu (yaml %d): bash exited %d", i, via_yaml, rc);
			ck_assert_kft_ok(kft__read_file(&got, &len, out));
			ck_assert_msg(len == scripts[i].len && !memcmp(got, scripts[i].text, len),
			              "script %zu (yaml %d): %zu bytes came out, %zu went in", i, via_yaml,
			              len, scripts[i].len);
			free(got);
			kft_spec_free(s);
		}
	}
	kft__remove_tree(tmpdir);
}
END_TEST

START_TEST(script_args_and_launchers)
{
	kft_spec_t *s = new_job();
	kft_script_opts_t so = KFT_SCRIPT_OPTS_INIT;
	const char *args[] = { "--name", "it's $HOME", "" };
	char out[512], *got = NULL;
	size_t len;
	cJSON *j;

	make_tmpdir();
	/* the stub records its argv, one per line */
	make_stub("torchrun", "#!/bin/sh\nfor a in \"$@\"; do printf '[%s]\\n' \"$a\"; done "
	          "> \"$KFT_OUT\"\n");
	snprintf(out, sizeof(out), "%s/argv", tmpdir);
	so.script = "print(1)\n";
	so.script_args = args;
	so.nscript_args = 3;
	ck_assert_kft_ok(kft_spec_set_script(s, &so));
	ck_assert_int_eq(run_command(s, out, 0), 0);
	ck_assert_kft_ok(kft__read_file(&got, &len, out));
	ck_assert_str_eq(got, "[train.py]\n[--name]\n[it's $HOME]\n[]\n");
	free(got);
	/* MPI runtimes: mpirun --hostfile ... bash -c; plain python otherwise */
	ck_assert_kft_ok(kft_spec_set_runtime(s, "deepspeed-distributed", NULL));
	j = render_json(s, NULL);
	ck_assert_str_eq(cJSON_GetArrayItem(kft__json_path(j, "spec.trainer.command"), 0)->valuestring,
	                 "mpirun");
	ck_assert_str_eq(cJSON_GetArrayItem(kft__json_path(j, "spec.trainer.command"), 2)->valuestring,
	                 "/etc/mpi/hostfile");
	cJSON_Delete(j);
	ck_assert_kft_ok(kft_spec_set_runtime(s, "jax-distributed", NULL));
	j = render_json(s, NULL);
	ck_assert_ptr_nonnull(strstr(cJSON_GetArrayItem(kft__json_path(j, "spec.trainer.command"),
	                                                2)->valuestring, "exec \"$KFT_PY\" train.py"));
	cJSON_Delete(j);
	kft_spec_free(s);
	kft__remove_tree(tmpdir);
}
END_TEST

START_TEST(script_packages)
{
	kft_spec_t *s = new_job();
	kft_script_opts_t so = KFT_SCRIPT_OPTS_INIT;
	const char *pkgs[] = { "numpy==2.0", "weird'pkg" };
	const char *idx[] = { "https://a.example/simple", "https://b.example/simple" };
	char out[512], *got = NULL, *log = NULL;
	char pylog[600];
	size_t len;

	make_tmpdir();
	make_stub("torchrun", "#!/bin/sh\nexec cp -- \"$1\" \"$KFT_OUT\"\n");
	/* a fake python3 that records the pip invocation and succeeds */
	make_stub("python3", "#!/bin/sh\nfor a in \"$@\"; do printf '[%s]' \"$a\"; done >> "
	          "\"$KFT_OUT.pip\"\necho >> \"$KFT_OUT.pip\"\n");
	snprintf(out, sizeof(out), "%s/copied.py", tmpdir);
	so.script = "import numpy\n";
	so.packages = pkgs;
	so.npackages = 2;
	so.pip_index_urls = idx;
	so.npip_index_urls = 2;
	ck_assert_kft_ok(kft_spec_set_script(s, &so));
	ck_assert_int_eq(run_command(s, out, 0), 0);
	ck_assert_kft_ok(kft__read_file(&got, &len, out));
	ck_assert_str_eq(got, "import numpy\n");
	snprintf(pylog, sizeof(pylog), "%s.pip", out);
	ck_assert_kft_ok(kft__read_file(&log, &len, pylog));
	ck_assert_msg(strstr(log, "[-m][pip][install][--quiet][--no-warn-script-location][--user]"
	                     "[--index-url][https://a.example/simple][--extra-index-url]"
	                     "[https://b.example/simple][numpy==2.0][weird'pkg]") != NULL, "%s", log);
	free(got);
	free(log);
	kft_spec_free(s);
	kft__remove_tree(tmpdir);
}
END_TEST

START_TEST(code_dir_unpacks)
{
	kft_spec_t *s = new_job();
	kft_script_opts_t so = KFT_SCRIPT_OPTS_INIT;
	char src[512], path[600], out[512], *got = NULL;
	unsigned char bin[256];
	size_t len;
	int i;

	make_tmpdir();
	/* the stub copies the whole working directory (the unpacked code) */
	make_stub("torchrun", "#!/bin/sh\nexec cp -r . \"$KFT_OUT\"\n");
	snprintf(src, sizeof(src), "%s/src", tmpdir);
	ck_assert_int_eq(mkdir(src, 0755), 0);
	snprintf(path, sizeof(path), "%s/pkg", src);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/pkg/util.py", src);
	write_file(path, "X = 1\n", 6, 0644);
	snprintf(path, sizeof(path), "%s/run.sh", src);
	write_file(path, "#!/bin/sh\n", 10, 0755);
	for (i = 0; i < 256; i++)
		bin[i] = (unsigned char)i;
	snprintf(path, sizeof(path), "%s/data.bin", src);
	write_file(path, (const char *)bin, sizeof(bin), 0644);
	snprintf(path, sizeof(path), "%s/.git", src);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	/* secrets never travel; .gitignore and .kftignore are honoured */
	{
		static const char *const never[] = { ".env", ".env.local", ".netrc", "id_ed25519",
		                                     "tls.key", "pkg/credentials.json", "data.log",
		                                     "cache/x.bin", "pkg/notes.txt" };
		static const char pem[] = "-----BEGIN EC PRIVATE KEY-----\nMHc\n"
		                          "-----END EC PRIVATE KEY-----\n";

		snprintf(path, sizeof(path), "%s/cache", src);
		ck_assert_int_eq(mkdir(path, 0755), 0);
		snprintf(path, sizeof(path), "%s/.ssh", src);
		ck_assert_int_eq(mkdir(path, 0700), 0);
		snprintf(path, sizeof(path), "%s/.ssh/config", src);
		write_file(path, "Host x\n", 7, 0600);
		for (i = 0; i < (int)(sizeof(never) / sizeof(never[0])); i++) {
			snprintf(path, sizeof(path), "%s/%s", src, never[i]);
			write_file(path, "secret\n", 7, 0600);
		}
		snprintf(path, sizeof(path), "%s/pkg/deploy.pem", src);   /* a key by its contents */
		write_file(path, pem, sizeof(pem) - 1, 0600);
		snprintf(path, sizeof(path), "%s/keep.log", src);
		write_file(path, "kept\n", 5, 0644);
		snprintf(path, sizeof(path), "%s/.gitignore", src);
		write_file(path, "# build output\n*.log\n!keep.log\ncache/\n", 38, 0644);
		/* an ignore file cannot bring a secret back */
		snprintf(path, sizeof(path), "%s/.kftignore", src);
		write_file(path, "/pkg/notes.txt\n!.env\n", 21, 0644);
	}
	snprintf(out, sizeof(out), "%s/unpacked", tmpdir);
	so.script = "from pkg.util import X\n";
	so.code_dir = src;
	ck_assert_kft_ok(kft_spec_set_script(s, &so));
	ck_assert_int_eq(run_command(s, out, 1), 0);
	snprintf(path, sizeof(path), "%s/pkg/util.py", out);
	ck_assert_kft_ok(kft__read_file(&got, &len, path));
	ck_assert_str_eq(got, "X = 1\n");
	free(got);
	snprintf(path, sizeof(path), "%s/data.bin", out);
	ck_assert_kft_ok(kft__read_file(&got, &len, path));
	ck_assert_uint_eq(len, 256);
	ck_assert(!memcmp(got, bin, 256));
	free(got);
	snprintf(path, sizeof(path), "%s/run.sh", out);
	ck_assert_int_eq(access(path, X_OK), 0);
	snprintf(path, sizeof(path), "%s/train.py", out);
	ck_assert_kft_ok(kft__read_file(&got, &len, path));
	ck_assert_str_eq(got, "from pkg.util import X\n");
	free(got);
	snprintf(path, sizeof(path), "%s/.git", out);
	ck_assert_int_ne(access(path, F_OK), 0);
	{
		static const char *const gone[] = { ".env", ".env.local", ".netrc", "id_ed25519",
		                                    "tls.key", "pkg/credentials.json", "data.log",
		                                    "cache", "pkg/notes.txt", ".ssh",
		                                    "pkg/deploy.pem" };

		for (i = 0; i < (int)(sizeof(gone) / sizeof(gone[0])); i++) {
			snprintf(path, sizeof(path), "%s/%s", out, gone[i]);
			ck_assert_msg(access(path, F_OK) != 0, "%s was shipped", gone[i]);
		}
		snprintf(path, sizeof(path), "%s/keep.log", out);
		ck_assert_int_eq(access(path, F_OK), 0);
		snprintf(path, sizeof(path), "%s/.gitignore", out);
		ck_assert_int_eq(access(path, F_OK), 0);
	}
	kft_spec_free(s);
	kft__remove_tree(tmpdir);
}
END_TEST

/* ---- nested .gitignore files, with git itself as the oracle ---- */

static char *run_capture(const char *cmd)
{
	kft__buf b = KFT__BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *f = popen(cmd, "r");

	ck_assert_ptr_nonnull(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		ck_assert_int_eq(kft__buf_put(&b, chunk, n), 0);
	ck_assert_int_eq(pclose(f), 0);
	return kft__buf_detach(&b);
}

static kft__buf skipped_log = KFT__BUF_INIT;

static void capture_skips(int level, const char *message, void *payload)
{
	(void)level;
	(void)payload;
	if (strstr(message, "skipped")) {
		kft__buf_put(&skipped_log, message, strlen(message));
		kft__buf_put(&skipped_log, "\n", 1);
	}
}

START_TEST(code_dir_nested_gitignore_as_git)
{
	static const char *const files[] = {
		"a.txt", "a.log", "keep.log", "trail.txt", "build/out.o", "build/keep.txt",
		"src/main.py", "src/util.py", "src/gen/x_pb2.py", "src/gen/keep_pb2.py",
		"src/data/big.bin", "src/data/small.bin", "src/data/sub/more.bin",
		"docs/a.md", "docs/b.txt", "docs/sub/c.md", "docs/sub/deep/d.md",
		"logs/x.txt", "logs/2024/jan.txt", "foo/bar/baz.txt", "foo/baz.txt",
		"x/foo/bar/y.txt", "x/foo/y.txt", "nested/one/keep.tmp", "nested/one/two/three/t.tmp",
		"nested/one/two/three/u.tmp", "nested/one/two/other.txt", "lit/#hash.txt",
		"lit/!bang.txt", "lit/sp ace.txt", "f1.c", "f2.c", "fa.c", "g/a/b/c/leaf.py",
		"g/a/leaf.py", "g/leaf.py", "deep/a/b/c/d/e/f/h.txt", "deep/a/b/c/d/e/f/h.dat",
		"q/one.md", "q/two.md", "q/sub/three.md", "anch/anch/z.txt", "anch/z.txt",
	};
	static const struct { const char *path, *text; } ignores[] = {
		{ ".gitignore", "# comment\n*.log\n!keep.log\ntrail.txt   \n/build/*\n"
		                "!/build/keep.txt\n*.tmp\ndocs/**/*.md\n!docs/sub/deep/\nlogs/\n"
		                "!logs/x.txt\n**/foo/bar\nf[0-9].c\n\\#hash.txt\n\\!bang.txt\n"
		                "sp\\ ace.txt\ng/**/leaf.py\n!g/a/leaf.py\n/anch/z.txt\n" },
		{ "src/.gitignore", "gen/*_pb2.py\n!gen/keep_pb2.py\n/data/big.bin\nmain.py\n"
		                    "!main.py\nutil.py\n" },
		{ "src/data/.gitignore", "*\n!.gitignore\n!small.bin\n!sub/\n" },
		{ "src/data/sub/.gitignore", "!*.bin\n" },
		{ "logs/.gitignore", "!x.txt\n" },
		{ "nested/one/two/three/.gitignore", "!t.tmp\n" },
		{ "nested/one/.gitignore", "two/*.txt\n" },
		{ "deep/a/b/.gitignore", "*.dat\n" },
		{ "deep/a/b/c/d/.gitignore", "!e/f/h.dat\n" },
		{ "q/.gitignore", "*.md\n!/sub/*.md\n" },
		{ "q/sub/.gitignore", "!two.md\n" },
		{ "anch/.gitignore", "anch/\n" },
	};
	kft_spec_t *s = new_job();
	kft_script_opts_t so = KFT_SCRIPT_OPTS_INIT;
	char src[512], path[700], out[512], cmd[2048], *git, *ours;
	size_t i;

	make_tmpdir();
	if (system("git --version >/dev/null 2>&1") != 0) {
		fprintf(stderr, "code_dir_nested_gitignore_as_git: skipped, git not found\n");
		kft__remove_tree(tmpdir);
		kft_spec_free(s);
		return;
	}
	make_stub("torchrun", "#!/bin/sh\nexec cp -r . \"$KFT_OUT\"\n");
	snprintf(src, sizeof(src), "%s/src", tmpdir);
	ck_assert_int_eq(mkdir(src, 0755), 0);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *slash;

		snprintf(path, sizeof(path), "%s/%s", src, files[i]);
		for (slash = strchr(path + strlen(src) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
			*slash = '\0';
			mkdir(path, 0755);
			*slash = '/';
		}
		write_file(path, files[i], strlen(files[i]), 0644);
	}
	for (i = 0; i < sizeof(ignores) / sizeof(ignores[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", src, ignores[i].path);
		write_file(path, ignores[i].text, strlen(ignores[i].text), 0644);
	}
	/* git's own view: untracked files it does not ignore (nothing else configured) */
	snprintf(cmd, sizeof(cmd),
	         "cd '%s' && export HOME='%s' GIT_CONFIG_NOSYSTEM=1 XDG_CONFIG_HOME='%s' && "
	         "git init -q . && git ls-files --others --exclude-standard -c | LC_ALL=C sort",
	         src, tmpdir, tmpdir);
	git = run_capture(cmd);
	snprintf(out, sizeof(out), "%s/unpacked", tmpdir);
	so.script = "print(1)\n";
	so.code_dir = src;
	kft_diag_set_handler(capture_skips, KFT_DIAG_INFO, NULL);
	ck_assert_kft_ok(kft_spec_set_script(s, &so));
	kft_diag_set_handler(NULL, 0, NULL);
	ck_assert_int_eq(run_command(s, out, 0), 0);
	snprintf(cmd, sizeof(cmd),
	         "cd '%s' && find . -type f ! -path ./train.py | sed 's|^\\./||' | LC_ALL=C sort", out);
	ours = run_capture(cmd);
	ck_assert_msg(strstr(git, "src/util.py") == NULL && strstr(git, "logs/") == NULL &&
	              strstr(git, "nested/one/two/three/t.tmp\n") != NULL,
	              "git's list is not what the patterns mean: %s", git);
	ck_assert_msg(strcmp(git, ours) == 0, "shipped:\n%s\ngit:\n%s", ours, git);
	/* -v names each skipped file or directory (the directory, not what is below it) */
	ck_assert_ptr_nonnull(skipped_log.ptr);
	kft__buf_put(&skipped_log, "", 1);
	ck_assert_msg(strstr(skipped_log.ptr, "skipped src/data/big.bin (") &&
	              strstr(skipped_log.ptr, "skipped logs/ (") &&
	              !strstr(skipped_log.ptr, "logs/x.txt") &&
	              strstr(skipped_log.ptr, "skipped deep/a/b/c/d/e/f/h.txt") == NULL,
	              "%s", skipped_log.ptr);
	kft__buf_free(&skipped_log);
	free(git);
	free(ours);
	kft_spec_free(s);
	kft__remove_tree(tmpdir);
}
END_TEST

START_TEST(code_dir_ignore_bounds)
{
	kft__ignore *ig = NULL;
	kft__buf b = KFT__BUF_INIT;
	char *text, rel[KFT__IGNORE_MAX_DEPTH * 2 + 8], special[300];
	size_t i;

	/* globs as git's wildmatch reads them */
	ck_assert(kft__ignore_glob("**/foo", "foo"));
	ck_assert(kft__ignore_glob("**/foo", "a/b/foo"));
	ck_assert(kft__ignore_glob("a/**/b", "a/b"));
	ck_assert(kft__ignore_glob("a/**/b", "a/x/y/b"));
	ck_assert(!kft__ignore_glob("a/*/b", "a/x/y/b"));
	ck_assert(kft__ignore_glob("a/**", "a/x/y"));
	ck_assert(!kft__ignore_glob("a/**", "a"));
	ck_assert(!kft__ignore_glob("a?b", "a/b"));
	ck_assert(!kft__ignore_glob("a[/]b", "a/b"));
	ck_assert(kft__ignore_glob("[[:digit:]]x[!a-c]", "1xd"));
	ck_assert(!kft__ignore_glob("[[:nope:]]", "a"));
	ck_assert(!kft__ignore_glob("abc\\", "abc"));
	/* backtracking is cut: 40 stars against a long near-miss answer at once */
	for (i = 0; i < 40; i++)
		kft__buf_put(&b, "*a", 2);
	kft__buf_put(&b, "b", 2);
	text = kft__buf_detach(&b);
	memset(rel, 'a', 200);
	rel[200] = '\0';
	ck_assert(!kft__ignore_glob(text, rel));
	free(text);
	/* each "**" component multiplies the work: past a step budget the match is refused */
	for (i = 0; i < 300; i++)
		kft__buf_put(&b, "**/", 3);
	kft__buf_put(&b, "x", 2);
	text = kft__buf_detach(&b);
	for (i = 0; i < 100; i++)
		memcpy(rel + i * 2, "a/", 2);
	memcpy(rel + 200, "b", 2);
	ck_assert_int_eq(kft__ignore_glob(text, rel), -1);
	ck_assert_int_eq(kft__ignore_glob("**/**/b", rel), 1);
	ck_assert_kft_ok(kft__ignore_new(&ig));
	ck_assert_kft_ok(kft__ignore_push_text(ig, "", text, strlen(text), ".gitignore"));
	ck_assert_kft_error(kft__ignore_match(ig, rel, 0), KFT_EINVALID,
	                    "takes too long to match a/a/");
	kft__ignore_free(ig);
	free(text);

	ck_assert_kft_ok(kft__ignore_new(&ig));
	/* a pattern too long, named by file and line */
	text = calloc(1, KFT__IGNORE_MAX_PATTERN + 16);
	ck_assert_ptr_nonnull(text);
	memcpy(text, "ok\n", 3);
	memset(text + 3, 'x', KFT__IGNORE_MAX_PATTERN + 1);
	ck_assert_kft_error(kft__ignore_push_text(ig, "", text, strlen(text), "sub/.gitignore"),
	                    KFT_EINVALID, "sub/.gitignore line 2: a pattern longer than");
	free(text);
	ck_assert_kft_error(kft__ignore_push_text(ig, "", "a\0b\n", 4, ".kftignore"), KFT_EINVALID,
	                    ".kftignore line 1: a NUL byte");
	/* too many patterns in all */
	for (i = 0; i <= KFT__IGNORE_MAX_PATTERNS; i++)
		kft__buf_put(&b, "x\n", 2);
	ck_assert_kft_error(kft__ignore_push_text(ig, "", b.ptr, b.len, ".gitignore"), KFT_EINVALID,
	                    "more than 100000 ignore patterns");
	kft__buf_free(&b);
	/* nesting */
	for (i = 0; i < KFT__IGNORE_MAX_DEPTH; i++) {
		memcpy(rel + (i ? i * 2 - 1 : 0), i ? "/d" : "d", i ? 3 : 2);
		ck_assert_kft_ok(kft__ignore_push_text(ig, rel, "*.o\n", 4, ".gitignore"));
	}
	ck_assert_kft_error(kft__ignore_push_text(ig, "deeper", NULL, 0, NULL), KFT_EINVALID,
	                    "nested deeper than 128 directories");
	ck_assert(kft__ignore_match(ig, "d/d/x.o", 0));
	ck_assert(!kft__ignore_match(ig, "x.o", 0));   /* no rule at the top level */
	kft__ignore_free(ig);
	/* an ignore file that is a FIFO (or a symlink) is not read: no hang */
	make_tmpdir();
	snprintf(special, sizeof(special), "%s/.gitignore", tmpdir);
	ck_assert_int_eq(mkfifo(special, 0600), 0);
	snprintf(special, sizeof(special), "%s/.kftignore", tmpdir);
	ck_assert_int_eq(symlink("/etc/passwd", special), 0);
	ck_assert_kft_ok(kft__ignore_new(&ig));
	ck_assert_kft_ok(kft__ignore_push(ig, tmpdir, ""));
	ck_assert(!kft__ignore_match(ig, "root", 0));
	kft__ignore_free(ig);
	kft__remove_tree(tmpdir);
}
END_TEST

START_TEST(code_dir_too_large)
{
	kft_spec_t *s = new_job();
	kft_script_opts_t so = KFT_SCRIPT_OPTS_INIT;
	char src[512], path[600];
	unsigned char *noise = malloc(1 << 20);

	ck_assert_ptr_nonnull(noise);
	make_tmpdir();
	snprintf(src, sizeof(src), "%s/big", tmpdir);
	ck_assert_int_eq(mkdir(src, 0755), 0);
	/* 1 MiB of random bytes does not compress: base64 makes it ~1.4 MB */
	ck_assert_kft_ok(kft__random_bytes(noise, 1 << 20));
	snprintf(path, sizeof(path), "%s/weights.bin", src);
	write_file(path, (const char *)noise, 1 << 20, 0644);
	so.script = "print(1)\n";
	so.code_dir = src;
	ck_assert_kft_error(kft_spec_set_script(s, &so), KFT_EINVALID,
	                    "exceeds the TrainJob argument limit");
	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	so.code_dir = path;
	ck_assert_kft_error(kft_spec_set_script(s, &so), KFT_EINVALID, "is not a directory");
	free(noise);
	kft_spec_free(s);
	kft__remove_tree(tmpdir);
}
END_TEST

START_TEST(script_file_and_errors)
{
	kft_spec_t *s = new_job();
	kft_script_opts_t so = KFT_SCRIPT_OPTS_INIT;
	char path[600], out[512], *got = NULL;
	size_t len;

	make_tmpdir();
	make_stub("torchrun", "#!/bin/sh\nprintf '%s\\n' \"$1\" > \"$KFT_OUT.name\"\n"
	          "exec cp -- \"$1\" \"$KFT_OUT\"\n");
	snprintf(path, sizeof(path), "%s/my script.py", tmpdir);
	write_file(path, "print('file')\n", 14, 0644);
	so.script_path = path;
	ck_assert_kft_ok(kft_spec_set_script(s, &so));
	snprintf(out, sizeof(out), "%s/copied.py", tmpdir);
	ck_assert_int_eq(run_command(s, out, 0), 0);
	ck_assert_kft_ok(kft__read_file(&got, &len, out));
	ck_assert_str_eq(got, "print('file')\n");
	free(got);
	snprintf(path, sizeof(path), "%s.name", out);
	ck_assert_kft_ok(kft__read_file(&got, &len, path));
	ck_assert_str_eq(got, "my script.py\n");
	free(got);
	/* a NUL byte, a missing file, nothing at all */
	so.script_path = NULL;
	so.script = "a\0b";
	so.script_len = 3;
	ck_assert_kft_error(kft_spec_set_script(s, &so), KFT_EINVALID, "NUL byte");
	so.script = NULL;
	so.script_path = "/nonexistent/x.py";
	ck_assert_kft_error(kft_spec_set_script(s, &so), KFT_ENOTFOUND, "script");
	so.script_path = NULL;
	ck_assert_kft_error(kft_spec_set_script(s, &so), KFT_EINVALID,
	                    "script or script_path is required");
	kft_spec_free(s);
	kft__remove_tree(tmpdir);
}
END_TEST

/* ---- generated names ---- */

START_TEST(generated_names)
{
	kft_spec_t *s = NULL;
	char prev[16] = "";
	int i, same = 0;

	ck_assert_kft_ok(kft_spec_new(&s));
	for (i = 0; i < 500; i++) {
		const char *n;

		ck_assert_kft_ok(kft_spec_generate_name(s));
		n = kft_spec_name(s);
		ck_assert_uint_eq(strlen(n), 12);
		ck_assert_msg(kft__is_dns1035(n), "not RFC 1035: %s", n);
		ck_assert_msg(strspn(n + 1, "0123456789abcdef") == 11, "not a letter + 11 hex: %s", n);
		same += !strcmp(prev, n);
		snprintf(prev, sizeof(prev), "%s", n);
	}
	ck_assert_int_eq(same, 0);
	kft_spec_free(s);
}
END_TEST

/* ---- generic access, dup, bad input ---- */

START_TEST(generic_access)
{
	kft_spec_t *s = new_job(), *d = NULL;
	char *out = NULL, *a, *b;

	ck_assert_kft_ok(kft_spec_set_json(s, "spec.trainer.numNodes", "3"));
	ck_assert_int_eq(kft_spec_num_nodes(s), 3);
	ck_assert_kft_ok(kft_spec_get_json(&out, s, "spec.runtimeRef"));
	ck_assert_str_eq(out, "{\"name\":\"torch-distributed\",\"kind\":\"ClusterTrainingRuntime\"}");
	kft_free(out);
	ck_assert_kft_error(kft_spec_get_json(&out, s, "spec.nothing"), KFT_ENOTFOUND, "not set");
	ck_assert_kft_error(kft_spec_set_json(s, "spec.x", "{bad"), KFT_EINVALID, "invalid JSON");
	ck_assert_kft_ok(kft_spec_unset(s, "spec.trainer.numNodes"));
	ck_assert_int_eq(kft_spec_num_nodes(s), KFT_UNSET);
	ck_assert_kft_ok(kft_spec_dup(&d, s));
	a = render(s, KFT_FORMAT_YAML, NULL);
	b = render(d, KFT_FORMAT_YAML, NULL);
	ck_assert_str_eq(a, b);
	kft_free(a);
	kft_free(b);
	kft_spec_free(d);
	kft_spec_free(s);
	kft_spec_free(NULL);
	ck_assert_kft_error(kft_spec_parse(&s, "kind: Pod\n", strlen("kind: Pod\n")), KFT_EINVALID,
	                    "kind: expected TrainJob, got \"Pod\"");
	ck_assert_ptr_null(s);
	ck_assert_kft_error(kft_spec_parse(&s, "- a\n- b\n", strlen("- a\n- b\n")), KFT_EINVALID,
	                    "the document must be a mapping");
	ck_assert_kft_error(kft_spec_parse(&s, "apiVersion: v1\n", strlen("apiVersion: v1\n")), KFT_EINVALID,
	                    "apiVersion: expected trainer.kubeflow.org/v1alpha1");
	ck_assert_kft_error(kft_spec_parse(&s, "spec: [1]\n", strlen("spec: [1]\n")), KFT_EINVALID,
	                    "spec: must be a mapping");
}
END_TEST

static Suite *spec_suite(void)
{
	Suite *s = suite_create("spec");
	TCase *tc = tcase_create("model");

	tcase_add_test(tc, setters_basic_fields);
	tcase_add_test(tc, resources_aliases);
	tcase_add_test(tc, env_upsert);
	tcase_add_test(tc, initializers);
	tcase_add_test(tc, runtime_patches);
	tcase_add_test(tc, convert_v21);
	tcase_add_test(tc, convert_v20);
	tcase_add_test(tc, deadline_needs_v22);
	tcase_add_test(tc, parse_v21_document);
	tcase_add_test(tc, convert_refuses_newer_fields);
	tcase_add_test(tc, parse_multi_document);
	tcase_add_test(tc, roundtrip_full);
	tcase_add_test(tc, roundtrip_tristate);
	tcase_add_test(tc, roundtrip_parsed_yaml);
	tcase_add_test(tc, generated_names);
	tcase_add_test(tc, generic_access);
	suite_add_tcase(s, tc);
	tc = tcase_create("script");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, script_bytes_survive);
	tcase_add_test(tc, script_args_and_launchers);
	tcase_add_test(tc, script_packages);
	tcase_add_test(tc, code_dir_unpacks);
	tcase_add_test(tc, code_dir_too_large);
	tcase_add_test(tc, code_dir_nested_gitignore_as_git);
	tcase_add_test(tc, code_dir_ignore_bounds);
	tcase_add_test(tc, script_file_and_errors);
	suite_add_tcase(s, tc);
	return s;
}

KFT_TEST_MAIN(spec_suite)
