/* The plan compiler: TrainJob + runtime -> steps (argv/env/cwd) as the controller builds pods. */
#include "testutil.h"
#include "plan.h"

#include <unistd.h>

static const char *const CUSTOM_RT =
	"apiVersion: trainer.kubeflow.org/v1alpha1\n"
	"kind: ClusterTrainingRuntime\n"
	"metadata: {name: custom-torch, labels: {trainer.kubeflow.org/framework: torch}}\n"
	"spec:\n"
	"  mlPolicy: {numNodes: 2, torch: {}}\n"
	"  template: {spec: {replicatedJobs: [\n"
	"    {name: node, template: {metadata: {labels:\n"
	"      {trainer.kubeflow.org/trainjob-ancestor-step: trainer}},\n"
	"     spec: {template: {spec: {containers: [{name: node, image: img:1,\n"
	"       command: [python, /workspace/train.py], args: [--out, /workspace/output],\n"
	"       workingDir: /workspace,\n"
	"       env: [{name: A, value: rt}, {name: B, value: rt},\n"
	"             {name: JOB, valueFrom: {fieldRef:\n"
	"               {fieldPath: \"metadata.labels['jobset.sigs.k8s.io/jobset-name']\"}}}],\n"
	"       resources: {requests: {cpu: 2500m}}}]}}}}}]}}\n";

static kft_runtime_t *builtin(const char *name)
{
	kft_runtime_t *rt = NULL;

	ck_assert_kft_ok(kft__catalog_get(&rt, NULL, name));
	return rt;
}

static kft_spec_t *spec_cmd(const char *runtime, int64_t nodes, const char *const *cmd, size_t n)
{
	kft_spec_t *s;

	ck_assert_kft_ok(kft_spec_new(&s));
	ck_assert_kft_ok(kft_spec_set_name(s, "pj"));
	ck_assert_kft_ok(kft_spec_set_runtime(s, runtime, NULL));
	if (nodes > 0)
		ck_assert_kft_ok(kft_spec_set_num_nodes(s, nodes));
	if (n)
		ck_assert_kft_ok(kft_spec_set_command(s, cmd, n));
	return s;
}

static int compile(cJSON **plan, const kft_spec_t *s, const kft_runtime_t *rt, const char *backend,
                   int port)
{
	kft__plan_opts o;
	cJSON *doc;
	int error;

	ck_assert_kft_ok(kft__spec_finalize(&doc, s, rt));
	memset(&o, 0, sizeof(o));
	o.job_name = "pj";
	o.backend = backend;
	o.workspace = kft__streq(backend, "container") ? "/workspace" : "/ws/pj";
	o.master_addr = "127.0.0.1";
	o.master_port = port;
	o.initializer_program = "/opt/kft/runner";
	error = kft__plan_compile(plan, doc, rt, &o);
	cJSON_Delete(doc);
	return error;
}

static const cJSON *step(const cJSON *plan, const char *name)
{
	const cJSON *s;

	cJSON_ArrayForEach(s, kft__json_get(plan, "steps"))
		if (kft__streq(kft__json_str(s, "name"), name))
			return s;
	return NULL;
}

static const char *env(const cJSON *plan, const char *stepname, const char *var)
{
	return kft__json_str(kft__json_get(step(plan, stepname), "env"), var);
}

static const char *argv_at(const cJSON *plan, const char *stepname, int i)
{
	const cJSON *a = cJSON_GetArrayItem(kft__json_get(step(plan, stepname), "argv"), i);

	return cJSON_IsString(a) ? a->valuestring : NULL;
}

static const char *const TRAIN[] = {
	"python3", "/workspace/train.py", "--data=/workspace/dataset"
};

START_TEST(torch_env)
{
	kft_runtime_t *rt = builtin("torch-distributed");
	kft_spec_t *s = spec_cmd("torch-distributed", 2, TRAIN, 3);
	cJSON *plan;
	char port[16];

	ck_assert_kft_ok(compile(&plan, s, rt, "local", 0));
	ck_assert_int_eq(cJSON_GetArraySize(kft__json_get(plan, "steps")), 2);
	ck_assert_str_eq(kft__json_str(plan, "kind"), "Plan");
	ck_assert_str_eq(kft__json_str(plan, "workspace"), "/ws/pj");
	ck_assert_int_gt((int)cJSON_GetNumberValue(kft__json_get(plan, "masterPort")), 0);
	snprintf(port, sizeof(port), "%d", (int)cJSON_GetNumberValue(kft__json_get(plan, "masterPort")));
	ck_assert_str_eq(env(plan, "node-0", "PET_NNODES"), "2");
	ck_assert_str_eq(env(plan, "node-0", "PET_NODE_RANK"), "0");
	ck_assert_str_eq(env(plan, "node-1", "PET_NODE_RANK"), "1");
	/* a CPU job without cpu resources */
	ck_assert_str_eq(env(plan, "node-1", "PET_NPROC_PER_NODE"), "1");
	ck_assert_str_eq(env(plan, "node-1", "PET_MASTER_ADDR"), "127.0.0.1");
	ck_assert_str_eq(env(plan, "node-0", "PET_MASTER_PORT"), port);
	ck_assert_str_eq(env(plan, "node-1", "PET_MASTER_PORT"), port);
	ck_assert_str_eq(env(plan, "node-1", "PET_REDIRECTS"), "1");   /* Debian torchrun workaround */
	ck_assert_str_eq(env(plan, "node-1", "JOB_COMPLETION_INDEX"), "1");
	/* /workspace mapped, also after "key=" */
	ck_assert_str_eq(argv_at(plan, "node-0", 0), "python3");
	ck_assert_str_eq(argv_at(plan, "node-0", 1), "/ws/pj/train.py");
	ck_assert_str_eq(argv_at(plan, "node-0", 2), "--data=/ws/pj/dataset");
	ck_assert_str_eq(kft__json_str(step(plan, "node-0"), "cwd"), "/ws/pj");
	ck_assert_str_eq(kft__json_str(step(plan, "node-0"), "image"), kft_runtime_image(rt));
	ck_assert_int_eq((int)cJSON_GetNumberValue(kft__json_get(step(plan, "node-1"), "rank")), 1);
	cJSON_Delete(plan);
	/* a fixed port, and the container form keeps /workspace */
	ck_assert_kft_ok(compile(&plan, s, rt, "container", 29500));
	ck_assert_str_eq(env(plan, "node-1", "PET_MASTER_PORT"), "29500");
	ck_assert_str_eq(argv_at(plan, "node-0", 1), "/workspace/train.py");
	ck_assert_ptr_null(env(plan, "node-1", "PET_REDIRECTS"));
	cJSON_Delete(plan);
	kft_spec_free(s);
	kft_runtime_free(rt);
}
END_TEST

START_TEST(nproc_algorithm)
{
	kft_runtime_t *rt = builtin("torch-distributed");
	kft_spec_t *s = spec_cmd("torch-distributed", 1, TRAIN, 2);
	cJSON *plan;

	ck_assert_kft_ok(kft_spec_set_resource(s, "cpu", "2500m"));
	ck_assert_kft_ok(compile(&plan, s, rt, "local", 0));
	ck_assert_str_eq(env(plan, "node-0", "PET_NPROC_PER_NODE"), "3");   /* ceil(2.5) */
	cJSON_Delete(plan);
	ck_assert_kft_ok(kft_spec_set_resource(s, "gpu", "2"));
	ck_assert_kft_ok(compile(&plan, s, rt, "local", 0));
	ck_assert_str_eq(env(plan, "node-0", "PET_NPROC_PER_NODE"), "auto");   /* GPUs: auto stays */
	cJSON_Delete(plan);
	ck_assert_kft_ok(kft_spec_set_num_proc_per_node(s, 4));
	ck_assert_kft_ok(compile(&plan, s, rt, "local", 0));
	ck_assert_str_eq(env(plan, "node-0", "PET_NPROC_PER_NODE"), "4");
	cJSON_Delete(plan);
	kft_spec_free(s);
	kft_runtime_free(rt);
}
END_TEST

START_TEST(env_merge_and_runtime_command)
{
	kft_runtime_t *rt;
	kft_spec_t *s = spec_cmd("custom-torch", 0, NULL, 0);
	cJSON *plan;
	const cJSON *e;
	const char *order[8];
	int n = 0;

	ck_assert_kft_ok(kft_runtime_parse(&rt, CUSTOM_RT, strlen(CUSTOM_RT)));
	ck_assert_kft_ok(kft_spec_set_env(s, "B", "tj"));
	ck_assert_kft_ok(kft_spec_set_env(s, "C", "tj"));
	ck_assert_kft_ok(compile(&plan, s, rt, "local", 0));
	/* numNodes from mlPolicy; runtime command+args kept; workingDir mapped */
	ck_assert_int_eq(cJSON_GetArraySize(kft__json_get(plan, "steps")), 2);
	ck_assert_str_eq(argv_at(plan, "node-1", 1), "/ws/pj/train.py");
	ck_assert_str_eq(argv_at(plan, "node-1", 3), "/ws/pj/output");
	ck_assert_str_eq(kft__json_str(step(plan, "node-0"), "cwd"), "/ws/pj");
	ck_assert_str_eq(env(plan, "node-0", "A"), "rt");
	ck_assert_str_eq(env(plan, "node-0", "B"), "tj");    /* trainer.env wins */
	ck_assert_str_eq(env(plan, "node-0", "JOB"), "pj");  /* fieldRef to the JobSet name */
	ck_assert_str_eq(env(plan, "node-0", "PET_NPROC_PER_NODE"), "3");   /* runtime cpu 2500m */
	cJSON_ArrayForEach(e, kft__json_get(step(plan, "node-0"), "env"))
		if (n < 8)
			order[n++] = e->string;
	/* runtime env first, then trainer env, then framework env */
	ck_assert_str_eq(order[0], "A");
	ck_assert_str_eq(order[1], "B");
	ck_assert_str_eq(order[2], "JOB");
	ck_assert_str_eq(order[3], "C");
	ck_assert_str_eq(order[4], "PET_NNODES");
	ck_assert_ptr_nonnull(kft__json_get(step(plan, "node-0"), "resources"));
	cJSON_Delete(plan);
	/* the trainer's command replaces the runtime's command; its args stay unless set too */
	{
		const char *cmd[] = { "echo", "hi" };

		ck_assert_kft_ok(kft_spec_set_command(s, cmd, 2));
		ck_assert_kft_ok(compile(&plan, s, rt, "local", 0));
		ck_assert_str_eq(argv_at(plan, "node-0", 0), "echo");
		ck_assert_str_eq(argv_at(plan, "node-0", 1), "hi");
		ck_assert_str_eq(argv_at(plan, "node-0", 2), "--out");
		cJSON_Delete(plan);
		ck_assert_kft_ok(kft_spec_set_args(s, cmd, 1));
		ck_assert_kft_ok(compile(&plan, s, rt, "local", 0));
		ck_assert_str_eq(argv_at(plan, "node-0", 2), "echo");
		ck_assert_ptr_null(argv_at(plan, "node-0", 3));
		cJSON_Delete(plan);
	}
	kft_spec_free(s);
	kft_runtime_free(rt);
}
END_TEST

START_TEST(mpi_plan)
{
	kft_runtime_t *rt = builtin("deepspeed-distributed");
	const char *cmd[] = { "mpirun", "--hostfile", "/etc/mpi/hostfile", "python3", "/workspace/t.py" };
	kft_spec_t *s = spec_cmd("deepspeed-distributed", 3, cmd, 5);
	const cJSON *files;
	cJSON *plan;

	ck_assert_kft_ok(compile(&plan, s, rt, "local", 0));
	/* local: one launcher running mpirun over a localhost hostfile, no sshd nodes */
	ck_assert_int_eq(cJSON_GetArraySize(kft__json_get(plan, "steps")), 1);
	ck_assert_ptr_nonnull(step(plan, "launcher"));
	ck_assert_str_eq(argv_at(plan, "launcher", 2), "/ws/pj/.kft/hostfile");
	ck_assert_str_eq(argv_at(plan, "launcher", 4), "/ws/pj/t.py");
	ck_assert_str_eq(env(plan, "launcher", "OMPI_MCA_orte_default_hostfile"), "/ws/pj/.kft/hostfile");
	ck_assert_str_eq(env(plan, "launcher", "OMPI_MCA_orte_set_default_slots"), "1");
	ck_assert_str_eq(env(plan, "launcher", "OMPI_MCA_orte_keep_fqdn_hostnames"), "true");
	ck_assert_str_eq(env(plan, "launcher", "OMPI_MCA_plm_rsh_args"), "-o ConnectionAttempts=10");
	ck_assert_ptr_null(env(plan, "launcher", "PET_NNODES"));
	files = kft__json_get(plan, "files");
	ck_assert_int_eq(cJSON_GetArraySize(files), 1);
	/* runLauncherAsNode: numNodes 3 -> 2 node pods + the launcher = 3 hosts */
	ck_assert_str_eq(kft__json_str(cJSON_GetArrayItem(files, 0), "content"), "localhost slots=3\n");
	ck_assert_ptr_null(kft__json_get(step(plan, "launcher"), "mounts"));   /* no ssh locally */
	cJSON_Delete(plan);
	/* container: sshd nodes + launcher, hostfile by host name */
	ck_assert_kft_ok(compile(&plan, s, rt, "container", 0));
	ck_assert_int_eq(cJSON_GetArraySize(kft__json_get(plan, "steps")), 3);
	ck_assert_str_eq(argv_at(plan, "node-0", 0), "/usr/sbin/sshd");
	ck_assert_str_eq(kft__json_str(cJSON_GetArrayItem(kft__json_get(plan, "files"), 0), "content"),
	                 "pj-node-0 slots=1\npj-node-1 slots=1\npj-launcher slots=1\n");
	ck_assert_str_eq(kft__json_str(cJSON_GetArrayItem(kft__json_get(step(plan, "launcher"),
	                 "dependsOn"), 0), "status"), "Ready");
	{   /* the job's SSH keys at sshAuthMountPath on the launcher and every sshd node */
		const char *names[] = { "launcher", "node-0", "node-1" };
		size_t i;

		for (i = 0; i < 3; i++) {
			const cJSON *m = cJSON_GetArrayItem(kft__json_get(step(plan, names[i]), "mounts"), 0);

			ck_assert_str_eq(kft__json_str(m, "type"), "ssh-auth");
			ck_assert_str_eq(kft__json_str(m, "target"), "/home/mpiuser/.ssh");
			ck_assert(cJSON_IsTrue(kft__json_get(m, "readOnly")));
			ck_assert_int_eq((int)kft__json_get(m, "fsGroup")->valuedouble, 1000);
		}
	}
	cJSON_Delete(plan);
	kft_spec_free(s);
	kft_runtime_free(rt);
}
END_TEST

START_TEST(jax_and_xgboost)
{
	kft_runtime_t *jax = builtin("jax-distributed"), *xgb = builtin("xgboost-distributed");
	kft_spec_t *s = spec_cmd("jax-distributed", 3, TRAIN, 2);
	kft_spec_t *x = spec_cmd("xgboost-distributed", 2, TRAIN, 2);
	cJSON *plan;

	ck_assert_kft_ok(compile(&plan, s, jax, "local", 4321));
	ck_assert_str_eq(env(plan, "node-2", "JAX_NUM_PROCESSES"), "3");
	ck_assert_str_eq(env(plan, "node-2", "JAX_PROCESS_ID"), "2");
	ck_assert_str_eq(env(plan, "node-0", "JAX_COORDINATOR_ADDRESS"), "127.0.0.1:4321");
	ck_assert_ptr_null(env(plan, "node-0", "PET_NNODES"));
	cJSON_Delete(plan);
	ck_assert_kft_ok(kft_spec_set_resource(x, "gpu", "2"));
	ck_assert_kft_ok(compile(&plan, x, xgb, "local", 4322));
	ck_assert_str_eq(env(plan, "node-1", "DMLC_TRACKER_URI"), "127.0.0.1");
	ck_assert_str_eq(env(plan, "node-1", "DMLC_TRACKER_PORT"), "4322");
	ck_assert_str_eq(env(plan, "node-1", "DMLC_TASK_ID"), "1");
	ck_assert_str_eq(env(plan, "node-1", "DMLC_NUM_WORKER"), "4");   /* 2 nodes x 2 GPUs */
	cJSON_Delete(plan);
	kft_spec_free(s);
	kft_spec_free(x);
	kft_runtime_free(jax);
	kft_runtime_free(xgb);
}
END_TEST

START_TEST(initializers_and_errors)
{
	kft_runtime_t *tt = builtin("torchtune-llama3.2-1b"), *torch = builtin("torch-distributed");
	kft_spec_t *s = spec_cmd("torchtune-llama3.2-1b", 0, NULL, 0);
	kft_spec_t *empty = spec_cmd("torch-distributed", 1, NULL, 0);
	const cJSON *deps;
	cJSON *plan = NULL;

	ck_assert_kft_ok(kft_spec_set_initializer(s, KFT_INITIALIZER_DATASET, "file:///data/set"));
	ck_assert_kft_ok(compile(&plan, s, tt, "local", 0));
	ck_assert_str_eq(kft__json_str(cJSON_GetArrayItem(kft__json_get(plan, "steps"), 0), "name"),
	                 "dataset-initializer");
	ck_assert_str_eq(env(plan, "dataset-initializer", "STORAGE_URI"), "file:///data/set");
	ck_assert_str_eq(env(plan, "model-initializer", "STORAGE_URI"),
	                 "hf://meta-llama/Llama-3.2-1B-Instruct");
	ck_assert_str_eq(argv_at(plan, "dataset-initializer", 0), "/opt/kft/runner");
	ck_assert_str_eq(argv_at(plan, "dataset-initializer", 1), "initialize");
	ck_assert_str_eq(argv_at(plan, "dataset-initializer", 4), "/ws/pj/dataset");
	ck_assert_str_eq(kft__json_str(step(plan, "node-0"), "role"), "node");
	deps = kft__json_get(step(plan, "node-0"), "dependsOn");
	ck_assert_int_eq(cJSON_GetArraySize(deps), 2);
	ck_assert_str_eq(argv_at(plan, "node-0", 0), "tune");
	/* runtime tokens under /workspace mapped */
	cJSON_Delete(plan);
	ck_assert_kft_error(compile(&plan, empty, torch, "local", 0), KFT_EINVALID,
	                    "spec.trainer.command");
	ck_assert_ptr_null(plan);
	kft_spec_free(s);
	kft_spec_free(empty);
	kft_runtime_free(tt);
	kft_runtime_free(torch);
}
END_TEST

START_TEST(render_plan_via_client)
{
	kft_client_opts_t co = KFT_CLIENT_OPTS_INIT;
	kft_client_t *c;
	kft_spec_t *s = spec_cmd("torch-distributed", 2, TRAIN, 2);
	char *out = NULL;

	co.backend = "local";
	co.state_dir = "/tmp/kft-plan-test-state";
	ck_assert_kft_ok(kft_client_new(&c, &co));
	ck_assert_kft_ok(kft_render_plan(&out, c, s, as_format(KFT_FORMAT_YAML)));
	ck_assert_ptr_nonnull(strstr(out, "PET_NNODES: \"2\""));
	ck_assert_ptr_nonnull(strstr(out, "/tmp/kft-plan-test-state/jobs/pj/workspace/train.py"));
	kft_free(out);
	ck_assert_kft_ok(kft_render_plan(&out, c, s, as_format(KFT_FORMAT_JSON)));
	ck_assert_ptr_nonnull(strstr(out, "\"kind\": \"Plan\""));
	kft_free(out);
	/* rendering writes nothing */
	ck_assert_int_ne(access("/tmp/kft-plan-test-state", F_OK), 0);
	kft_client_free(c);
	kft_spec_free(s);
}
END_TEST

/* The TrainJob's resourcesPerNode replaces the runtime container's on node steps. */
/* Volumes from runtimePatches: container mounts (later patches win), local: one warning. */
static int warnings;
static char last_warning[512];

static void count_warn(int level, const char *message, void *payload)
{
	if (level == KFT_DIAG_WARN) {
		warnings++;
		snprintf(last_warning, sizeof(last_warning), "%s", message);
	}
}

START_TEST(volume_mounts)
{
	static const char doc[] =
		"apiVersion: trainer.kubeflow.org/v1alpha1\n"
		"kind: TrainJob\n"
		"metadata: {name: pj}\n"
		"spec:\n"
		"  runtimeRef: {name: torch-distributed}\n"
		"  trainer: {numNodes: 2, command: [python, train.py]}\n"
		"  runtimePatches:\n"
		"  - manager: example.io/a\n"
		"    trainingRuntimeSpec: {template: {spec: {replicatedJobs: [{name: node, template:\n"
		"      {spec: {template: {spec: {\n"
		"        volumes: [{name: data, hostPath: {path: /srv/old}}, {name: scratch, emptyDir: {}},\n"
		"                  {name: shm, emptyDir: {medium: Memory}},\n"
		"                  {name: claim, persistentVolumeClaim: {claimName: c}}],\n"
		"        containers: [{name: node, volumeMounts: [\n"
		"          {name: data, mountPath: /data, readOnly: true},\n"
		"          {name: scratch, mountPath: /scratch}, {name: shm, mountPath: /dev/shm},\n"
		"          {name: claim, mountPath: /claim}, {name: ghost, mountPath: /ghost}]}]}}}}}]}}}\n"
		"  - manager: example.io/b\n"
		"    trainingRuntimeSpec: {template: {spec: {replicatedJobs: [{name: node, template:\n"
		"      {spec: {template: {spec: {\n"
		"        volumes: [{name: data, hostPath: {path: /srv/new}}],\n"
		"        containers: [{name: node, volumeMounts: [\n"
		"          {name: data, mountPath: /data, subPath: sets/mnist}]}]}}}}}]}}}\n";
	kft_spec_t *s;
	kft_runtime_t *rt = builtin("torch-distributed");
	cJSON *plan = NULL;
	const cJSON *m;
	char *txt;

	ck_assert_kft_ok(kft_spec_parse(&s, doc, sizeof(doc) - 1));
	kft_diag_set_handler(count_warn, KFT_DIAG_WARN, NULL);
	warnings = 0;
	ck_assert_kft_ok(compile(&plan, s, rt, "container", 29500));
	m = kft__json_get(step(plan, "node-1"), "mounts");
	txt = cJSON_PrintUnformatted(m);
	/* /data: the second patch's mount and volume (subPath joined); read-write now */
	ck_assert_str_eq(txt, "[{\"target\":\"/scratch\",\"volume\":\"scratch\",\"readOnly\":false,"
	                      "\"type\":\"volume\"},{\"target\":\"/dev/shm\",\"volume\":\"shm\","
	                      "\"readOnly\":false,\"type\":\"tmpfs\"},{\"target\":\"/data\","
	                      "\"volume\":\"data\",\"readOnly\":false,\"type\":\"bind\","
	                      "\"source\":\"/srv/new/sets/mnist\"}]");
	cJSON_free(txt);
	ck_assert_int_eq(warnings, 4);   /* claim and ghost, on each of 2 nodes */
	ck_assert_ptr_nonnull(strstr(last_warning, "ghost"));
	cJSON_Delete(plan);

	warnings = 0;
	ck_assert_kft_ok(compile(&plan, s, rt, "local", 29500));
	ck_assert_ptr_null(kft__json_get(step(plan, "node-0"), "mounts"));
	ck_assert_int_eq(warnings, 1);
	ck_assert_ptr_nonnull(strstr(last_warning, "container backend only"));
	cJSON_Delete(plan);
	kft_spec_free(s);

	/* a subPath that climbs out is refused, naming the field */
	ck_assert_kft_ok(kft_spec_parse(&s, doc, sizeof(doc) - 1));
	ck_assert_kft_ok(kft_spec_add_volume(s, "node", "{\"name\":\"up\",\"hostPath\":{\"path\":\"/srv\"}}"));
	ck_assert_kft_ok(kft_spec_add_volume_mount(s, "node", NULL, "up", "/up", 0));
	ck_assert_kft_ok(compile(&plan, s, rt, "container", 29500));   /* API-added mounts work */
	txt = cJSON_PrintUnformatted(kft__json_get(step(plan, "node-0"), "mounts"));
	ck_assert_ptr_nonnull(strstr(txt, "\"target\":\"/up\",\"volume\":\"up\",\"readOnly\":false,"
	                                  "\"type\":\"bind\",\"source\":\"/srv\""));
	cJSON_free(txt);
	cJSON_Delete(plan);
	kft_spec_free(s);
	{
		kft_spec_t *bad;
		char *d2 = kft__strdup(doc), *at = strstr(d2, "sets/mnist");

		memcpy(at, "../../etc", 9);
		memmove(at + 9, at + 10, strlen(at + 10) + 1);
		ck_assert_kft_ok(kft_spec_parse(&bad, d2, strlen(d2)));
		ck_assert_kft_error(compile(&plan, bad, rt, "container", 29500), KFT_EINVALID,
		                    "subPath");
		kft_spec_free(bad);
		free(d2);
	}
	kft_diag_set_handler(NULL, 0, NULL);
	kft_runtime_free(rt);
}
END_TEST

START_TEST(trainjob_resources_win)
{
	static const char *const cmd[] = { "true" };
	kft_runtime_t *rt = builtin("torchtune-llama3.2-1b");
	kft_spec_t *s = spec_cmd("torchtune-llama3.2-1b", 0, cmd, 1);
	cJSON *plan;
	const cJSON *gpu;

	ck_assert_kft_ok(kft_spec_set_resource(s, "gpu", "1"));
	ck_assert_kft_ok(compile(&plan, s, rt, "local", 40000));
	gpu = kft__json_path(step(plan, "node-0"), "resources.limits");
	ck_assert_ptr_nonnull(gpu);
	gpu = kft__json_get(gpu, "nvidia.com/gpu");
	ck_assert(cJSON_IsNumber(gpu) && gpu->valuedouble == 1);
	cJSON_Delete(plan);
	kft_spec_free(s);
	kft_runtime_free(rt);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("plan");
	TCase *tc = tcase_create("plan");

	tcase_add_test(tc, torch_env);
	tcase_add_test(tc, nproc_algorithm);
	tcase_add_test(tc, env_merge_and_runtime_command);
	tcase_add_test(tc, mpi_plan);
	tcase_add_test(tc, jax_and_xgboost);
	tcase_add_test(tc, initializers_and_errors);
	tcase_add_test(tc, render_plan_via_client);
	tcase_add_test(tc, trainjob_resources_win);
	tcase_add_test(tc, volume_mounts);
	suite_add_tcase(s, tc);
	return s;
}

KFT_TEST_MAIN(make_suite)
