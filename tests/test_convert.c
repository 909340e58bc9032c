/*
 * kft_convert: Training Operator v1 jobs as TrainJobs. numNodes per kind,
 * the trainer from the main container, pod fields as runtime patches per
 * target version, runPolicy, every loss reported with its field path,
 * --strict, and each bad input refused with a message naming the field.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "testutil.h"

/* Reports collected as "lost PATH: MESSAGE\n" / "note PATH: MESSAGE\n". */
typedef struct {
	kft__buf text;
	int losses, notes, stop_at;
} reports;

static int collect(int report, const char *path, const char *message, void *payload)
{
	reports *r = payload;

	kft__buf_printf(&r->text, "%s %s: %s\n", report == KFT_CONVERT_LOSS ? "lost" : "note", path,
	                message);
	if (report == KFT_CONVERT_LOSS)
		r->losses++;
	else
		r->notes++;
	return r->stop_at && r->losses + r->notes == r->stop_at ? 42 : 0;
}

static int conv_opts(kft_spec_t **out, reports *r, const char *yaml, const char *runtime,
                     const char *tv, uint32_t flags)
{
	kft_convert_opts_t o = KFT_CONVERT_OPTS_INIT;

	memset(r, 0, sizeof(*r));
	o.runtime = runtime;
	o.trainer_version = tv;
	o.flags = flags;
	o.report_cb = collect;
	o.payload = r;
	return kft_convert(out, yaml, strlen(yaml), &o);
}

/* Convert (must succeed), validate, and return the rendered JSON for tv. */
static cJSON *convert_ok(reports *r, const char *yaml, const char *runtime, const char *tv)
{
	kft_render_opts_t ro = KFT_RENDER_OPTS_INIT;
	kft_spec_t *s = NULL;
	char *out = NULL;
	cJSON *j;

	ck_assert_kft_ok(conv_opts(&s, r, yaml, runtime, tv, 0));
	ck_assert_kft_ok(kft_spec_validate(s, NULL));
	ro.format = KFT_FORMAT_JSON;
	ro.trainer_version = tv;
	ck_assert_kft_ok(kft_spec_render(&out, s, &ro));
	ck_assert_ptr_nonnull(j = cJSON_Parse(out));
	kft_free(out);
	kft_spec_free(s);
	return j;
}

/* kft__json_path with list indices: "spec.runtimePatches[0].manager". */
static const cJSON *at(const cJSON *doc, const char *path)
{
	char seg[256];
	const char *p = path;

	while (doc && *p) {
		size_t n = strcspn(p, ".[");

		ck_assert_uint_lt(n, sizeof(seg));
		memcpy(seg, p, n);
		seg[n] = '\0';
		doc = n ? cJSON_GetObjectItemCaseSensitive(doc, seg) : doc;
		p += n;
		while (doc && *p == '[') {
			doc = cJSON_GetArrayItem(doc, atoi(p + 1));
			p = strchr(p, ']') + 1;
		}
		if (*p == '.')
			p++;
	}
	return doc;
}

static void want_json(const cJSON *doc, const char *path, const char *expected)
{
	const cJSON *got = at(doc, path);
	cJSON *exp = cJSON_Parse(expected);
	char *g = got ? cJSON_PrintUnformatted(got) : NULL;

	ck_assert_ptr_nonnull(exp);
	ck_assert_msg(got && cJSON_Compare(got, exp, 1), "%s = %s, want %s", path, g ? g : "(absent)",
	              expected);
	free(g);
	cJSON_Delete(exp);
}

static void want_report(const reports *r, const char *line)
{
	ck_assert_msg(r->text.ptr && strstr(r->text.ptr, line), "no report \"%s\" in:\n%s", line,
	              r->text.ptr ? r->text.ptr : "(none)");
}

static void done(reports *r, cJSON *j)
{
	kft__buf_free(&r->text);
	cJSON_Delete(j);
}

#define POD(image, cmd) \
	"      template:\n" \
	"        spec:\n" \
	"          containers:\n" \
	"          - name: pytorch\n" \
	"            image: " image "\n" \
	"            command: " cmd "\n"

static const char *pytorch_simple =
	"apiVersion: kubeflow.org/v1\n"
	"kind: PyTorchJob\n"
	"metadata: {name: pytorch-simple, namespace: kubeflow, labels: {team: a}}\n"
	"spec:\n"
	"  pytorchReplicaSpecs:\n"
	"    Master:\n"
	"      replicas: 1\n"
	"      restartPolicy: OnFailure\n"
	POD("img:1", "[python3, /mnist.py]")
	"    Worker:\n"
	"      replicas: 3\n"
	"      restartPolicy: OnFailure\n"
	POD("img:1", "[python3, /mnist.py]");

START_TEST(pytorch_master_plus_workers)
{
	reports r;
	cJSON *j = convert_ok(&r, pytorch_simple, NULL, NULL);

	want_json(j, "kind", "\"TrainJob\"");
	want_json(j, "metadata", "{\"name\":\"pytorch-simple\",\"namespace\":\"kubeflow\","
	          "\"labels\":{\"team\":\"a\"}}");
	want_json(j, "spec.runtimeRef.name", "\"torch-distributed\"");
	want_json(j, "spec.trainer", "{\"image\":\"img:1\",\"command\":[\"python3\",\"/mnist.py\"],"
	          "\"numNodes\":4}");
	want_report(&r, "lost spec.pytorchReplicaSpecs.Master.restartPolicy: OnFailure dropped");
	want_report(&r, "lost spec.pytorchReplicaSpecs.Worker.restartPolicy: OnFailure dropped");
	ck_assert_int_eq(r.losses, 2);
	ck_assert_ptr_null(kft__json_path(j, "spec.runtimePatches"));
	done(&r, j);
}
END_TEST

#define TF_POD "template: {spec: {containers: [{name: tensorflow, image: t}]}}"

START_TEST(num_nodes_per_kind)
{
	reports r;
	cJSON *j;

	/* XGBoost: Master + Worker; JAX: Worker only */
	j = convert_ok(&r, "apiVersion: kubeflow.org/v1\nkind: XGBoostJob\nmetadata: {name: x}\n"
	               "spec:\n  xgbReplicaSpecs:\n    Master: {replicas: 1, template: {spec: "
	               "{containers: [{name: xgboost, image: i}]}}}\n    Worker: {replicas: 2, "
	               "template: {spec: {containers: [{name: xgboost, image: i}]}}}\n", NULL, NULL);
	want_json(j, "spec.runtimeRef.name", "\"xgboost-distributed\"");
	want_json(j, "spec.trainer.numNodes", "3");
	done(&r, j);
	j = convert_ok(&r, "apiVersion: kubeflow.org/v1\nkind: JAXJob\nmetadata: {name: x}\n"
	               "spec:\n  jaxReplicaSpecs:\n    Worker: {replicas: 5, template: {spec: "
	               "{containers: [{name: jax, image: i}]}}}\n", NULL, NULL);
	want_json(j, "spec.runtimeRef.name", "\"jax-distributed\"");
	want_json(j, "spec.trainer.numNodes", "5");
	done(&r, j);
	/* replicas absent: the v1 default 1 */
	j = convert_ok(&r, "apiVersion: kubeflow.org/v1\nkind: PyTorchJob\nmetadata: {name: x}\n"
	               "spec:\n  pytorchReplicaSpecs:\n    Master: {template: {spec: "
	               "{containers: [{name: pytorch, image: i}]}}}\n", NULL, NULL);
	want_json(j, "spec.trainer.numNodes", "1");
	done(&r, j);
	/* TF with a named runtime: Chief + Worker; PS and Evaluator dropped, reported */
	j = convert_ok(&r, "apiVersion: kubeflow.org/v1\nkind: TFJob\nmetadata: {name: tf}\n"
	               "spec:\n  tfReplicaSpecs:\n"
	               "    Chief: {replicas: 1, " TF_POD "}\n"
	               "    PS: {replicas: 2, " TF_POD "}\n"
	               "    Evaluator: {replicas: 1, " TF_POD "}\n"
	               "    Worker: {replicas: 4, " TF_POD "}\n",
	               "my-tf", NULL);
	want_json(j, "spec.runtimeRef.name", "\"my-tf\"");
	want_json(j, "spec.trainer.numNodes", "5");
	want_report(&r, "lost spec.tfReplicaSpecs.PS: dropped with its 2 replicas");
	want_report(&r, "lost spec.tfReplicaSpecs.Evaluator: dropped with its 1 replica");
	want_report(&r, "no TF_CONFIG");
	done(&r, j);
}
END_TEST

static const char *mpijob =
	"apiVersion: kubeflow.org/v2beta1\n"
	"kind: MPIJob\n"
	"metadata: {name: mpi}\n"
	"spec:\n"
	"  slotsPerWorker: 4\n"
	"  mpiImplementation: Intel\n"
	"  runPolicy: {cleanPodPolicy: Running}\n"
	"  mpiReplicaSpecs:\n"
	"    Launcher:\n"
	"      replicas: 1\n"
	"      template: {spec: {containers: [{name: l, image: hvd, command: [mpirun], args: [python, "
	"t.py], resources: {limits: {cpu: 1}}}]}}\n"
	"    Worker:\n"
	"      replicas: 2\n"
	"      template: {spec: {nodeSelector: {gpu: 'yes'}, containers: [{name: w, image: hvd2, "
	"resources: {limits: {cpu: 2}}}]}}\n";

START_TEST(mpi_launcher_and_workers)
{
	reports r;
	cJSON *j = convert_ok(&r, mpijob, NULL, NULL);

	/* deepspeed-distributed runs the launcher as a node: Worker + 1 */
	want_json(j, "spec.runtimeRef.name", "\"deepspeed-distributed\"");
	want_json(j, "spec.trainer", "{\"image\":\"hvd\",\"command\":[\"mpirun\"],\"args\":[\"python\","
	          "\"t.py\"],\"numNodes\":3,\"numProcPerNode\":4,\"resourcesPerNode\":{\"limits\":"
	          "{\"cpu\":2}}}");
	want_json(j, "spec.runtimePatches[0].trainingRuntimeSpec.template.spec.replicatedJobs[0]",
	          "{\"name\":\"node\",\"template\":{\"spec\":{\"template\":{\"spec\":{\"nodeSelector\":"
	          "{\"gpu\":\"yes\"}}}}}}");
	want_report(&r, "note spec.runtimeRef.name: deepspeed-distributed: no generic MPI runtime");
	want_report(&r, "note spec.trainer.numNodes: 3: Worker replicas + 1");
	want_report(&r, "lost spec.mpiReplicaSpecs.Worker.template.spec.containers[0].image: differs "
	            "from the Launcher's");
	want_report(&r, "lost spec.mpiReplicaSpecs.Launcher.template.spec.containers[0].resources: "
	            "dropped");
	want_report(&r, "lost spec.mpiImplementation: Intel dropped");
	want_report(&r, "lost spec.runPolicy.cleanPodPolicy: dropped");
	done(&r, j);
	/* Trainer v2.0: its mpi-distributed runtime */
	j = convert_ok(&r, mpijob, NULL, "v2.0");
	want_json(j, "spec.runtimeRef.name", "\"mpi-distributed\"");
	want_json(j, "spec.trainer.numNodes", "3");
	done(&r, j);
	/* a runtime not known here: the Worker replicas, and a note saying what to check */
	j = convert_ok(&r, mpijob, "my-mpi", NULL);
	want_json(j, "spec.trainer.numNodes", "2");
	want_report(&r, "note spec.trainer.numNodes: 2: the Worker replicas (runtime not known here");
	done(&r, j);
}
END_TEST

static const char *pod_fields =
	"apiVersion: kubeflow.org/v1\n"
	"kind: PyTorchJob\n"
	"metadata: {name: pods}\n"
	"spec:\n"
	"  nprocPerNode: \"4\"\n"
	"  runPolicy:\n"
	"    activeDeadlineSeconds: 600\n"
	"    backoffLimit: 3\n"
	"    suspend: true\n"
	"    managedBy: kubeflow.org/training-operator\n"
	"    schedulingPolicy: {queue: q1, minAvailable: 2}\n"
	"  pytorchReplicaSpecs:\n"
	"    Worker:\n"
	"      replicas: 2\n"
	"      template:\n"
	"        metadata: {labels: {app: x}}\n"
	"        spec:\n"
	"          priorityClassName: high\n"
	"          nodeSelector: {disk: ssd}\n"
	"          tolerations: [{key: k, operator: Exists}]\n"
	"          volumes: [{name: d, emptyDir: {}}]\n"
	"          initContainers: [{name: init, image: busybox}]\n"
	"          containers:\n"
	"          - name: side\n"
	"            image: sidecar\n"
	"          - name: pytorch\n"
	"            image: img\n"
	"            env: [{name: A, value: '1'}]\n"
	"            volumeMounts: [{name: d, mountPath: /data}]\n"
	"            ports: [{containerPort: 23456}]\n";

START_TEST(pod_fields_and_run_policy)
{
	reports r;
	cJSON *j = convert_ok(&r, pod_fields, NULL, NULL);
	const char *rj = "spec.runtimePatches[0].trainingRuntimeSpec.template.spec.replicatedJobs[0]"
	                 ".template.spec.template";
	char path[256];

	want_json(j, "spec.runtimePatches[0].manager", "\"kftrainer.kubeflow.org/convert\"");
	want_json(j, "spec.runtimePatches[0].trainingRuntimeSpec.template.metadata.annotations",
	          "{\"scheduling.volcano.sh/queue-name\":\"q1\"}");
	snprintf(path, sizeof(path), "%s.metadata", rj);
	want_json(j, path, "{\"labels\":{\"app\":\"x\"}}");
	snprintf(path, sizeof(path), "%s.spec", rj);
	want_json(j, path, "{\"nodeSelector\":{\"disk\":\"ssd\"},\"tolerations\":[{\"key\":\"k\","
	          "\"operator\":\"Exists\"}],\"volumes\":[{\"name\":\"d\",\"emptyDir\":{}}],"
	          "\"containers\":[{\"name\":\"node\",\"volumeMounts\":[{\"name\":\"d\","
	          "\"mountPath\":\"/data\"}]}]}");
	want_json(j, "spec.trainer.env", "[{\"name\":\"A\",\"value\":\"1\"}]");
	want_json(j, "spec.trainer.numProcPerNode", "4");
	want_json(j, "spec.activeDeadlineSeconds", "600");
	want_json(j, "spec.suspend", "true");
	ck_assert_ptr_null(kft__json_path(j, "spec.managedBy"));
	want_report(&r, "lost spec.pytorchReplicaSpecs.Worker.template.spec.priorityClassName: "
	            "dropped");
	want_report(&r, "lost spec.pytorchReplicaSpecs.Worker.template.spec.initContainers: dropped");
	want_report(&r, "lost spec.pytorchReplicaSpecs.Worker.template.spec.containers[0]: container "
	            "\"side\" dropped");
	want_report(&r, "lost spec.pytorchReplicaSpecs.Worker.template.spec.containers[1].ports: "
	            "dropped");
	want_report(&r, "lost spec.runPolicy.backoffLimit: dropped");
	want_report(&r, "lost spec.runPolicy.schedulingPolicy.minAvailable: dropped");
	want_report(&r, "note spec.runPolicy.managedBy: kubeflow.org/training-operator dropped");
	ck_assert_int_eq(r.losses, 6);
	done(&r, j);

	/* Trainer v2.0: podSpecOverrides without pod metadata, no activeDeadlineSeconds */
	j = convert_ok(&r, pod_fields, NULL, "v2.0");
	want_json(j, "spec.podSpecOverrides[0].targetJobs", "[{\"name\":\"node\"}]");
	want_json(j, "spec.podSpecOverrides[0].nodeSelector", "{\"disk\":\"ssd\"}");
	want_json(j, "spec.annotations", "{\"scheduling.volcano.sh/queue-name\":\"q1\"}");
	ck_assert_ptr_null(kft__json_path(j, "spec.activeDeadlineSeconds"));
	want_report(&r, "lost spec.runPolicy.activeDeadlineSeconds: dropped: "
	            "spec.activeDeadlineSeconds is new in Trainer v2.2 (target: v2.0)");
	want_report(&r, "lost spec.pytorchReplicaSpecs.Worker.template.metadata.labels: dropped: "
	            "Trainer v2.0");
	done(&r, j);
}
END_TEST

START_TEST(nproc_and_managed_by)
{
	reports r;
	cJSON *j;

	j = convert_ok(&r, "apiVersion: kubeflow.org/v1\nkind: PyTorchJob\nmetadata: {name: n}\n"
	               "spec:\n  nprocPerNode: auto\n"
	               "  runPolicy: {managedBy: kueue.x-k8s.io/multikueue}\n"
	               "  pytorchReplicaSpecs:\n    Master: {template: {spec: {containers: [{name: "
	               "pytorch, image: i}]}}}\n", NULL, NULL);
	ck_assert_ptr_null(kft__json_path(j, "spec.trainer.numProcPerNode"));
	want_json(j, "spec.managedBy", "\"kueue.x-k8s.io/multikueue\"");
	want_report(&r, "lost spec.nprocPerNode: \"auto\" dropped");
	done(&r, j);
	/* the deprecated elasticPolicy.nProcPerNode is used; the policy itself is lost */
	j = convert_ok(&r, "apiVersion: kubeflow.org/v1\nkind: PyTorchJob\nmetadata: {name: n}\n"
	               "spec:\n  elasticPolicy: {nProcPerNode: 2, minReplicas: 1, maxReplicas: 3}\n"
	               "  pytorchReplicaSpecs:\n    Worker: {replicas: 2, template: {spec: "
	               "{containers: [{name: pytorch, image: i}]}}}\n", NULL, NULL);
	want_json(j, "spec.trainer.numProcPerNode", "2");
	want_report(&r, "lost spec.elasticPolicy: dropped: TrainJob has no elastic training");
	done(&r, j);
}
END_TEST

/* ---- bad input ---- */

static void refused(const char *yaml, const char *runtime, const char *tv, int code,
                    const char *needle)
{
	reports r;
	kft_spec_t *s = (kft_spec_t *)1;

	ck_assert_kft_error(conv_opts(&s, &r, yaml, runtime, tv, 0), code, needle);
	ck_assert_ptr_null(s);
	kft__buf_free(&r.text);
}

#define PT_HEAD "apiVersion: kubeflow.org/v1\nkind: PyTorchJob\nmetadata: {name: p}\n"
#define CTR "template: {spec: {containers: [{name: pytorch, image: i}]}}"

START_TEST(bad_kind_and_api_version)
{
	refused("apiVersion: kubeflow.org/v1\nkind: CaffeJob\nspec: {}\n", NULL, NULL, KFT_EINVALID,
	        "kind: expected a Training Operator v1 job (PyTorchJob, TFJob, MPIJob, XGBoostJob, "
	        "JAXJob or PaddleJob), got \"CaffeJob\"");
	refused("apiVersion: kubeflow.org/v1beta2\nkind: PyTorchJob\nspec: {}\n", NULL, NULL,
	        KFT_EINVALID,
	        "apiVersion: a PyTorchJob is kubeflow.org/v1, got \"kubeflow.org/v1beta2\"");
	refused("apiVersion: kubeflow.org/v1alpha1\nkind: MPIJob\nspec: {}\n", NULL, NULL,
	        KFT_EINVALID, "a MPIJob is kubeflow.org/v1 or kubeflow.org/v2beta1");
	refused("kind: PyTorchJob\nspec: {}\n", NULL, NULL, KFT_EINVALID, "got \"(none)\"");
	refused("- a\n- b\n", NULL, NULL, KFT_EINVALID, "the document must be a mapping");
	refused("", NULL, NULL, KFT_EINVALID, "empty document");
	refused("a: [\n", NULL, NULL, KFT_EINVALID, "v1 job");
}
END_TEST

#define MPI_POD "template: {spec: {containers: [{name: mpi}]}}"

START_TEST(bad_replica_specs)
{
	refused(PT_HEAD "spec: {}\n", NULL, NULL, KFT_EINVALID,
	        "spec.pytorchReplicaSpecs: no replica specs: a PyTorchJob needs at least one of "
	        "Master, Worker");
	refused(PT_HEAD "spec: {pytorchReplicaSpecs: {}}\n", NULL, NULL, KFT_EINVALID,
	        "spec.pytorchReplicaSpecs: no replica specs");
	refused(PT_HEAD "spec: {pytorchReplicaSpecs: [1]}\n", NULL, NULL, KFT_EINVALID,
	        "spec.pytorchReplicaSpecs: must be a mapping");
	refused(PT_HEAD "spec: {pytorchReplicaSpecs: {Chief: {" CTR "}}}\n", NULL, NULL,
	        KFT_EINVALID, "spec.pytorchReplicaSpecs.Chief: unknown replica type (a PyTorchJob has "
	        "Master, Worker)");
	refused(PT_HEAD "spec: {pytorchReplicaSpecs: {Master: {replicas: 0, " CTR "}, Worker: "
	        "{replicas: 0, " CTR "}}}\n", NULL, NULL, KFT_EINVALID,
	        "spec.pytorchReplicaSpecs: zero replicas in every replica spec");
	refused(PT_HEAD "spec: {pytorchReplicaSpecs: {Worker: {replicas: -1, " CTR "}}}\n", NULL,
	        NULL, KFT_EINVALID, "spec.pytorchReplicaSpecs.Worker.replicas: must be an integer "
	        "from 0 to 2147483647");
	refused(PT_HEAD "spec: {pytorchReplicaSpecs: {Worker: {replicas: 1.5, " CTR "}}}\n", NULL,
	        NULL, KFT_EINVALID, "Worker.replicas: must be an integer");
	refused(PT_HEAD "spec: {pytorchReplicaSpecs: {Worker: {replicas: 2, template: {spec: {}}}}}\n",
	        NULL, NULL, KFT_EINVALID, "spec.pytorchReplicaSpecs.Worker.template.spec.containers: "
	        "no containers");
	refused(PT_HEAD "spec: {pytorchReplicaSpecs: {Worker: {replicas: 2, template: {spec: "
	        "{containers: []}}}}}\n", NULL, NULL, KFT_EINVALID, "containers: no containers");
	refused(PT_HEAD "spec: {pytorchReplicaSpecs: {Worker: {replicas: 2}}}\n", NULL, NULL,
	        KFT_EINVALID, "Worker.template.spec.containers: no containers");
	refused(PT_HEAD "spec: {pytorchReplicaSpecs: {Worker: {template: {spec: {containers: "
	        "[{name: pytorch, command: python}]}}}}}\n", NULL, NULL, KFT_EINVALID,
	        "Worker.template.spec.containers[0].command: must be a list");
	refused("apiVersion: kubeflow.org/v1\nkind: MPIJob\nmetadata: {name: m}\nspec:\n"
	        "  mpiReplicaSpecs: {Worker: {replicas: 2, " MPI_POD "}}\n",
	        NULL, NULL, KFT_EINVALID, "spec.mpiReplicaSpecs.Launcher: an MPIJob needs a Launcher");
	refused("apiVersion: kubeflow.org/v1\nkind: MPIJob\nmetadata: {name: m}\nspec:\n"
	        "  mpiReplicaSpecs: {Launcher: {replicas: 2, " MPI_POD "}}\n",
	        NULL, NULL, KFT_EINVALID, "spec.mpiReplicaSpecs.Launcher.replicas: must be 1, got 2");
}
END_TEST

START_TEST(bad_names)
{
	kft_convert_opts_t o = KFT_CONVERT_OPTS_INIT;
	kft_spec_t *s = NULL;
	char long_name[128];

	refused("apiVersion: kubeflow.org/v1\nkind: PyTorchJob\nmetadata: {name: My_Job}\n"
	        "spec: {pytorchReplicaSpecs: {Worker: {" CTR "}}}\n", NULL, NULL, KFT_EINVALID,
	        "metadata.name: \"My_Job\" is not a valid TrainJob name: it must be an RFC 1035 label");
	refused("apiVersion: kubeflow.org/v1\nkind: PyTorchJob\nmetadata: {name: 1job}\n"
	        "spec: {pytorchReplicaSpecs: {Worker: {" CTR "}}}\n", NULL, NULL, KFT_EINVALID,
	        "metadata.name: \"1job\" is not a valid TrainJob name");
	memset(long_name, 'a', 64);
	long_name[64] = '\0';
	{
		char yaml[512];

		snprintf(yaml, sizeof(yaml), "apiVersion: kubeflow.org/v1\nkind: PyTorchJob\n"
		         "metadata: {name: %s}\nspec: {pytorchReplicaSpecs: {Worker: {" CTR "}}}\n",
		         long_name);
		refused(yaml, NULL, NULL, KFT_EINVALID, "at most 63 characters");
		/* opts.name renames it */
		o.name = "renamed";
		ck_assert_kft_ok(kft_convert(&s, yaml, strlen(yaml), &o));
		ck_assert_str_eq(kft_spec_name(s), "renamed");
		kft_spec_free(s);
	}
}
END_TEST

START_TEST(no_default_runtime)
{
	const char *tf = "apiVersion: kubeflow.org/v1\nkind: TFJob\nmetadata: {name: t}\nspec:\n"
	                 "  tfReplicaSpecs: {Worker: {" TF_POD "}}\n";
	const char *pd = "apiVersion: kubeflow.org/v1\nkind: PaddleJob\nmetadata: {name: t}\nspec:\n"
	                 "  paddleReplicaSpecs: {Worker: {template: {spec: {containers: [{name: paddle,"
	                 " "
	                 "image: t}]}}}}\n";
	const char *xgb = "apiVersion: kubeflow.org/v1\nkind: XGBoostJob\nmetadata: {name: t}\nspec:\n"
	                  "  xgbReplicaSpecs: {Worker: {template: {spec: {containers: [{name: xgboost, "
	                  "image: t}]}}}}\n";

	refused(tf, NULL, NULL, KFT_EINVALID, "TFJob: Kubeflow Trainer v2 ships no TensorFlow runtime");
	refused(tf, NULL, NULL, KFT_EINVALID, "--runtime NAME");
	refused(pd, NULL, NULL, KFT_EINVALID, "PaddleJob: Kubeflow Trainer v2 ships no PaddlePaddle "
	        "runtime");
	refused(xgb, NULL, "v2.1", KFT_EINVALID, "XGBoostJob: Trainer v2.1 has no xgboost-distributed "
	        "runtime (added in v2.2)");
	refused(xgb, NULL, "v3.0", KFT_EINVALID, "trainer version: expected v2.0, v2.1, v2.2 or v2.3");
}
END_TEST

static const char *two_images =
	PT_HEAD
	"spec:\n"
	"  pytorchReplicaSpecs:\n"
	"    Master:\n"
	POD("img:master", "[a]")
	"    Worker:\n"
	"      replicas: 2\n"
	POD("img:worker", "[b]");

START_TEST(different_images_and_strict)
{
	reports r;
	kft_spec_t *s = (kft_spec_t *)1;
	cJSON *j = convert_ok(&r, two_images, NULL, NULL);

	want_json(j, "spec.trainer.image", "\"img:master\"");
	want_json(j, "spec.trainer.command", "[\"a\"]");
	want_report(&r, "lost spec.pytorchReplicaSpecs.Worker.template.spec.containers[0].image: "
	            "\"img:worker\" differs from Master's \"img:master\": a TrainJob runs one image "
	            "on every node; Master's is used");
	want_report(&r, "lost spec.pytorchReplicaSpecs.Worker.template.spec.containers[0].command: "
	            "differs from Master's");
	done(&r, j);
	/* strict: the first loss is named, the count given */
	ck_assert_kft_error(conv_opts(&s, &r, two_images, NULL, NULL, KFT_CONVERT_STRICT),
	                    KFT_EINVALID, "spec.pytorchReplicaSpecs.Worker.template.spec.containers[0]"
	                    ".image: no TrainJob equivalent, and more (strict conversion: 2 fields");
	ck_assert_ptr_null(s);
	kft__buf_free(&r.text);
	/* strict with nothing lost converts */
	ck_assert_kft_ok(conv_opts(&s, &r, PT_HEAD "spec: {pytorchReplicaSpecs: {Worker: {" CTR
	                           "}}}\n", NULL, NULL, KFT_CONVERT_STRICT));
	ck_assert_int_eq(r.losses, 0);
	kft_spec_free(s);
	kft__buf_free(&r.text);
}
END_TEST

START_TEST(several_documents)
{
	const char *two = PT_HEAD "spec: {pytorchReplicaSpecs: {Worker: {" CTR "}}}\n---\n"
	                  "apiVersion: kubeflow.org/v1\nkind: JAXJob\nmetadata: {name: j}\n"
	                  "spec: {jaxReplicaSpecs: {Worker: {replicas: 3, template: {spec: "
	                  "{containers: [{name: jax, image: i}]}}}}}\n";
	const char *with_cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n"
	                      PT_HEAD "spec: {pytorchReplicaSpecs: {Worker: {" CTR "}}}\n";
	kft_convert_opts_t o = KFT_CONVERT_OPTS_INIT;
	kft_spec_t *s = NULL;
	size_t v1 = 9, docs = 9;

	ck_assert_kft_ok(kft_convert_detect(&v1, &docs, two, strlen(two)));
	ck_assert_uint_eq(v1, 2);
	ck_assert_uint_eq(docs, 2);
	ck_assert_kft_ok(kft_convert_detect(&v1, &docs, with_cm, strlen(with_cm)));
	ck_assert_uint_eq(v1, 1);
	ck_assert_uint_eq(docs, 2);
	ck_assert_kft_ok(kft_convert_detect(&v1, &docs, "apiVersion: trainer.kubeflow.org/v1alpha1\n"
	                                    "kind: TrainJob\n",
	                                    strlen("apiVersion: trainer.kubeflow.org/v1alpha1\n"
	                                           "kind: TrainJob\n")));
	ck_assert_uint_eq(v1, 0);
	ck_assert_uint_eq(docs, 1);
	refused(two, NULL, NULL, KFT_EINVALID, "2 v1 jobs among 2 YAML documents: convert one at a "
	        "time");
	o.document = 1;
	ck_assert_kft_ok(kft_convert(&s, two, strlen(two), &o));
	ck_assert_str_eq(kft_spec_name(s), "j");
	ck_assert_int_eq(kft_spec_num_nodes(s), 3);
	kft_spec_free(s);
	o.document = 2;
	ck_assert_kft_error(kft_convert(&s, two, strlen(two), &o), KFT_ENOTFOUND,
	                    "document 2: the text has 2 YAML documents");
	/* the only v1 job among other documents is taken */
	ck_assert_kft_ok(kft_convert(&s, with_cm, strlen(with_cm), NULL));
	ck_assert_str_eq(kft_spec_name(s), "p");
	kft_spec_free(s);
	o.document = 0;
	ck_assert_kft_error(kft_convert(&s, with_cm, strlen(with_cm), &o), KFT_EINVALID,
	                    "kind: expected a Training Operator v1 job");
}
END_TEST

START_TEST(callback_stops_and_versions)
{
	reports r;
	kft_spec_t *s = NULL;
	kft_convert_opts_t o = KFT_CONVERT_OPTS_INIT, o2;

	memset(&r, 0, sizeof(r));
	r.stop_at = 1;
	o.report_cb = collect;
	o.payload = &r;
	ck_assert_int_eq(kft_convert(&s, pytorch_simple, strlen(pytorch_simple), &o), 42);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(r.losses + r.notes, 1);
	kft__buf_free(&r.text);
	o.version = 99;
	ck_assert_kft_error(kft_convert(&s, pytorch_simple, strlen(pytorch_simple), &o),
	                    KFT_EVERSION,
	                    "kft_convert_opts_t");
	ck_assert_kft_ok(kft_convert_opts_init(&o2, KFT_CONVERT_OPTS_VERSION));
	ck_assert_int_eq(o2.document, KFT_UNSET);
	ck_assert_ptr_null(o2.runtime);
	ck_assert_int_eq(kft_convert_opts_init(&o2, 0), KFT_EVERSION);
	ck_assert_int_eq(kft_convert(NULL, "x", 0, NULL), KFT_EINVALID);
}
END_TEST

/* A v1 object with status, as a cluster returns it: the job view (MIGRATION.md section 9). */
static kft_job_t *v1_job(const char *json)
{
	cJSON *obj = cJSON_Parse(json);
	kft_job_t *job = NULL;

	ck_assert_ptr_nonnull(obj);
	ck_assert_kft_ok(kft__v1_job_from_json(&job, obj, "kubernetes"));
	cJSON_Delete(obj);
	return job;
}

START_TEST(v1_status_mapping)
{
	static const struct { const char *conds; int state; const char *reason; } cases[] = {
		{ "[{\"type\":\"Created\",\"status\":\"True\"},{\"type\":\"Suspended\","
		  "\"status\":\"True\",\"reason\":\"S\"}]", KFT_JOB_SUSPENDED, "S" },
		{ "[{\"type\":\"Running\",\"status\":\"False\"},{\"type\":\"Restarting\","
		  "\"status\":\"True\",\"reason\":\"R\"}]", KFT_JOB_RUNNING, "R" },
		{ "[{\"type\":\"Running\",\"status\":\"True\"},{\"type\":\"Failed\","
		  "\"status\":\"True\",\"reason\":\"F\"}]", KFT_JOB_FAILED, "F" },
		{ "[]", KFT_JOB_CREATED, NULL },
	};
	const char *kind;
	char *name = NULL, json[1024];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		kft_job_t *job;

		snprintf(json, sizeof(json), "{\"apiVersion\":\"kubeflow.org/v2beta1\",\"kind\":\"MPIJob\","
		         "\"metadata\":{\"name\":\"m\",\"namespace\":\"ns\"},\"spec\":{"
		         "\"mpiReplicaSpecs\":{\"Launcher\":{},\"Worker\":{\"replicas\":3}}},"
		         "\"status\":{\"conditions\":%s,\"replicaStatuses\":{\"Worker\":"
		         "{\"active\":2}},\"startTime\":\"2026-12-01T10:00:00Z\"}}", cases[i].conds);
		job = v1_job(json);
		ck_assert_str_eq(kft_job_name(job), "mpijob/m");
		ck_assert_str_eq(kft_job_runtime(job), "MPIJob");
		ck_assert_str_eq(kft_job_namespace(job), "ns");
		ck_assert_int_eq(kft_job_state(job), cases[i].state);
		ck_assert_int_eq(kft_job_num_nodes(job), 3);
		ck_assert_int_eq(kft_job_started_ms(job), 1796119200000LL);
		if (cases[i].reason)
			ck_assert_str_eq(kft_job_reason(job), cases[i].reason);
		ck_assert_uint_eq(kft_job_step_count(job), 1);
		ck_assert_str_eq(kft_step_name(kft_job_step_at(job, 0)), "Worker");
		ck_assert_int_eq(kft_step_state(kft_job_step_at(job, 0)), KFT_STEP_RUNNING);
		kft_job_free(job);
	}
	ck_assert_kft_ok(kft__v1_ref(&kind, &name, "PyTorchJobs/a-b"));
	ck_assert_str_eq(kind, "PyTorchJob");
	ck_assert_str_eq(name, "a-b");
	free(name);
	ck_assert_kft_ok(kft__v1_ref(&kind, &name, "xgboostjob/x"));
	ck_assert_str_eq(kind, "XGBoostJob");
	free(name);
	ck_assert_kft_error(kft__v1_ref(&kind, &name, "trainjob/x"), KFT_EINVALID,
	                    "expected KIND/NAME with a Training Operator v1 kind");
	ck_assert_kft_error(kft__v1_ref(&kind, &name, "tfjob/"), KFT_EINVALID,
	                    "the job name after tfjob/ must be 1 to 253 characters");
	ck_assert_kft_error(kft__v1_ref(&kind, &name, "tfjob/a/b"), KFT_EINVALID, "without '/'");
	ck_assert_ptr_null(name);
}
END_TEST

static Suite *convert_suite(void)
{
	Suite *s = suite_create("convert");
	TCase *tc = tcase_create("convert");

	tcase_add_test(tc, pytorch_master_plus_workers);
	tcase_add_test(tc, num_nodes_per_kind);
	tcase_add_test(tc, mpi_launcher_and_workers);
	tcase_add_test(tc, pod_fields_and_run_policy);
	tcase_add_test(tc, nproc_and_managed_by);
	tcase_add_test(tc, bad_kind_and_api_version);
	tcase_add_test(tc, bad_replica_specs);
	tcase_add_test(tc, bad_names);
	tcase_add_test(tc, no_default_runtime);
	tcase_add_test(tc, different_images_and_strict);
	tcase_add_test(tc, several_documents);
	tcase_add_test(tc, callback_stops_and_versions);
	tcase_add_test(tc, v1_status_mapping);
	suite_add_tcase(s, tc);
	return s;
}

KFT_TEST_MAIN(convert_suite)
