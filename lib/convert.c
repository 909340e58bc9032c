/*
 * kft_convert: a Training Operator v1 job as a TrainJob.
 *
 * The mapping is the one in shared/kubeflow-training-operator-v1/MIGRATION.md
 * (section numbers below refer to it): numNodes from the replica specs (§4),
 * the main container into spec.trainer (§5), pod fields into runtimePatches
 * (§6, rendered as the older override forms by kft_spec_render), runPolicy
 * (§7). Every v1 field without a TrainJob equivalent is reported as a loss,
 * one report per field path; the converter's choices are reported as notes.
 * The TrainJob is built as JSON in canonical (v2.2+) form and parsed by
 * kft_spec_parse, so it is the same object a TrainJob file would give.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "v1kind.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* runtimePatches manager of converted jobs (a domain-prefixed path of our own, §6) */
#define CONVERT_MANAGER "kftrainer.kubeflow.org/convert"
#define PATH_MAX_LEN 512
#define REPLICAS_MAX 2147483647

static const char *const pt_roles[] = { "Master", "Worker", NULL };
static const char *const tf_roles[] = { "Chief", "Master", "Worker", "PS", "Evaluator", NULL };
static const char *const mpi_roles[] = { "Launcher", "Worker", NULL };
static const char *const jax_roles[] = { "Worker", NULL };
static const char *const pt_fields[] = { "nprocPerNode", "elasticPolicy", NULL };
static const char *const tf_fields[] = { "successPolicy", "enableDynamicWorker", NULL };
static const char *const mpi_fields[] = { "slotsPerWorker", "mainContainer", "cleanPodPolicy",
	"runLauncherAsWorker", "sshAuthMountPath", "launcherCreationPolicy", "mpiImplementation",
	NULL };
static const char *const paddle_fields[] = { "elasticPolicy", NULL };
static const char *const no_fields[] = { NULL };

const kft__v1_kind kft__v1_kinds[] = {
	{ "PyTorchJob", "kubeflow.org/v1", "pytorchjobs", "pytorchReplicaSpecs", "pytorch",
	  pt_roles, pt_fields, "torch-distributed", 0 },
	{ "TFJob", "kubeflow.org/v1", "tfjobs", "tfReplicaSpecs", "tensorflow", tf_roles, tf_fields,
	  NULL, 0 },
	{ "MPIJob", "kubeflow.org/v1", "mpijobs", "mpiReplicaSpecs", "mpi", mpi_roles, mpi_fields,
	  "deepspeed-distributed", 0 },
	{ "MPIJob", "kubeflow.org/v2beta1", "mpijobs", "mpiReplicaSpecs", "mpi", mpi_roles,
	  mpi_fields, "deepspeed-distributed", 0 },
	{ "XGBoostJob", "kubeflow.org/v1", "xgboostjobs", "xgbReplicaSpecs", "xgboost", pt_roles,
	  no_fields, "xgboost-distributed", 2 },
	{ "JAXJob", "kubeflow.org/v1", "jaxjobs", "jaxReplicaSpecs", "jax", jax_roles, no_fields,
	  "jax-distributed", 2 },
	{ "PaddleJob", "kubeflow.org/v1", "paddlejobs", "paddleReplicaSpecs", "paddle", pt_roles,
	  paddle_fields, NULL, 0 },
};
const size_t kft__v1_nkinds = sizeof(kft__v1_kinds) / sizeof(kft__v1_kinds[0]);

/* One replica spec. */
typedef struct {
	const char *name;          /* Master, Worker, ... */
	const cJSON *spec;         /* the replica spec */
	const cJSON *pod;          /* template.spec */
	const cJSON *ctr;          /* main container */
	int ctr_at;
	int64_t replicas;
	char path[64];             /* spec.<rkey>.<name> */
} role_t;

typedef struct {
	const kft_convert_opts_t *o;
	const kft__v1_kind *k;
	int minor;                 /* target Trainer v2 minor, 0..3 */
	const char *tv;            /* target version as given, for messages */
	cJSON *tj;                 /* the TrainJob being built */
	cJSON *patch;              /* our runtimePatches entry, made on first use */
	int stop;                  /* a report callback's non-zero return */
	int oom;
	int losses;
	char first_loss[PATH_MAX_LEN];
	role_t roles[8];
	size_t nroles;
} conv;

static void report(conv *c, int what, const char *path, const char *fmt, ...) KFT__PRINTF(4, 5);
static void report(conv *c, int what, const char *path, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (c->stop)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (what == KFT_CONVERT_LOSS && c->losses++ == 0)
		snprintf(c->first_loss, sizeof(c->first_loss), "%s", path);
	if (c->o && c->o->report_cb)
		c->stop = c->o->report_cb(what, path, msg, c->o->payload);
	else
		kft__log(what == KFT_CONVERT_LOSS ? KFT_DIAG_WARN : KFT_DIAG_INFO, "%s: %s: %s",
		         what == KFT_CONVERT_LOSS ? "lost" : "note", path, msg);
}

/* The input is not what the converter reads (class PARSE: the file, not a value, is wrong). */
#define bad(...) kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE, __VA_ARGS__)

/* Add a copy of src to obj as key; a failed copy is remembered. */
static void put_copy(conv *c, cJSON *obj, const char *key, const cJSON *src)
{
	cJSON *d = cJSON_Duplicate(src, 1);

	if (!d || !obj || !cJSON_AddItemToObject(obj, key, d)) {
		cJSON_Delete(d);
		c->oom = 1;
	}
}

static cJSON *mkobj(conv *c, cJSON *root, const char *path)
{
	cJSON *o = kft__json_path_mkobj(root, path);

	if (!o)
		c->oom = 1;
	return o;
}

/* ---- runtimePatches (§6) ---- */

static cJSON *our_patch(conv *c)
{
	cJSON *arr;

	if (c->patch)
		return c->patch;
	arr = cJSON_GetObjectItemCaseSensitive(kft__json_get(c->tj, "spec"), "runtimePatches");
	if (!arr)
		arr = cJSON_AddArrayToObject(cJSON_GetObjectItemCaseSensitive(c->tj, "spec"),
		                             "runtimePatches");
	if (!arr || !(c->patch = cJSON_CreateObject())) {
		c->oom = 1;
		return NULL;
	}
	cJSON_AddItemToArray(arr, c->patch);
	if (!cJSON_AddStringToObject(c->patch, "manager", CONVERT_MANAGER))
		c->oom = 1;
	return c->patch;
}

/* The pod template ({metadata, spec}) of replicated job rjob in our patch. */
static cJSON *patch_pod(conv *c, const char *rjob)
{
	cJSON *p = our_patch(c), *r;

	if (!p)
		return NULL;
	if (!(r = kft__json_keyed_item(mkobj(c, p, "trainingRuntimeSpec.template.spec"),
	                               "replicatedJobs", "name", rjob))) {
		c->oom = 1;
		return NULL;
	}
	return mkobj(c, r, "template.spec.template");
}

/* ---- reading v1 values ---- */

int kft__v1_replicas(int64_t *out, const cJSON *rs, const char *path)
{
	const cJSON *n = kft__json_get(rs, "replicas");

	*out = 1;   /* the v1 default */
	if (!n || cJSON_IsNull(n))
		return 0;
	/* (NaN from YAML's .nan fails kft__double_i64, whose tests come first) */
	if (!cJSON_IsNumber(n) || kft__double_i64(out, n->valuedouble) < 0 || *out < 0 ||
	    *out > REPLICAS_MAX)
		return bad("%s.replicas: must be an integer from 0 to %d", path, REPLICAS_MAX);
	return 0;
}

static int want_type(const cJSON *j, int array, const char *path, const char *field)
{
	if (!j)
		return 0;
	if (array ? cJSON_IsArray(j) : cJSON_IsObject(j))
		return 0;
	return bad("%s.%s: must be a %s", path, field, array ? "list" : "mapping");
}

static int want_str_list(const cJSON *j, const char *path, const char *field)
{
	const cJSON *s;

	if (want_type(j, 1, path, field) < 0)
		return KFT_EINVALID;
	cJSON_ArrayForEach(s, j)
		if (!cJSON_IsString(s))
			return bad("%s.%s: must be a list of strings", path, field);
	return 0;
}

/* Read one replica spec: replicas, its pod, its main container (§3 names, or index 0). */
static int read_role(conv *c, role_t *r, const char *mpi_main)
{
	const cJSON *tmpl, *ctrs, *x;
	const char *want = mpi_main ? mpi_main : c->k->container;
	int i = 0, error;

	if (!cJSON_IsObject(r->spec))
		return bad("%s: must be a mapping (replicas, template, restartPolicy)", r->path);
	if ((error = kft__v1_replicas(&r->replicas, r->spec, r->path)) < 0)
		return error;
	tmpl = kft__json_get(r->spec, "template");
	if ((error = want_type(tmpl, 0, r->path, "template")) < 0 ||
	    (error = want_type(kft__json_get(tmpl, "spec"), 0, r->path, "template.spec")) < 0)
		return error;
	r->pod = kft__json_get(tmpl, "spec");
	ctrs = kft__json_get(r->pod, "containers");
	if ((error = want_type(ctrs, 1, r->path, "template.spec.containers")) < 0)
		return error;
	if (!ctrs || cJSON_GetArraySize(ctrs) == 0)
		return bad("%s.template.spec.containers: no containers (a %s replica spec needs its "
		           "\"%s\" container)", r->path, c->k->kind, want);
	cJSON_ArrayForEach(x, ctrs) {
		if (!cJSON_IsObject(x))
			return bad("%s.template.spec.containers[%d]: must be a mapping", r->path, i);
		if (!r->ctr && kft__streq(kft__json_str(x, "name"), want)) {
			r->ctr = x;
			r->ctr_at = i;
		}
		i++;
	}
	if (!r->ctr) {
		r->ctr = cJSON_GetArrayItem(ctrs, 0);
		r->ctr_at = 0;
		if (r->replicas > 0)
			report(c, KFT_CONVERT_NOTE, r->path, "no container named \"%s\": containers[0] "
			       "(\"%s\") is the main container", want,
			       kft__json_str(r->ctr, "name") ? kft__json_str(r->ctr, "name") : "");
	}
	if (kft__json_get(r->ctr, "image") && !cJSON_IsString(kft__json_get(r->ctr, "image")))
		return bad("%s.template.spec.containers[%d].image: must be a string", r->path, r->ctr_at);
	{
		char cp[PATH_MAX_LEN];

		snprintf(cp, sizeof(cp), "%s.template.spec.containers[%d]", r->path, r->ctr_at);
		if (want_str_list(kft__json_get(r->ctr, "command"), cp, "command") < 0 ||
		    want_str_list(kft__json_get(r->ctr, "args"), cp, "args") < 0 ||
		    want_type(kft__json_get(r->ctr, "env"), 1, cp, "env") < 0 ||
		    want_type(kft__json_get(r->ctr, "resources"), 0, cp, "resources") < 0 ||
		    want_type(kft__json_get(r->ctr, "volumeMounts"), 1, cp, "volumeMounts") < 0)
			return KFT_EINVALID;
	}
	return 0;
}

static role_t *find_role(conv *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nroles; i++)
		if (!strcmp(c->roles[i].name, name))
			return &c->roles[i];
	return NULL;
}

static int is_mpi(const conv *c)
{
	return !strcmp(c->k->kind, "MPIJob");
}

int kft__v1_is_node_role(const char *name)
{
	return strcmp(name, "PS") && strcmp(name, "Evaluator") && strcmp(name, "Launcher");
}

/* ---- per-role losses: restartPolicy, extra keys, container fields (§4, §5) ---- */

static void role_losses(conv *c, const role_t *r)
{
	static const char *const mapped[] = { "name", "image", "command", "args", "env", "resources",
		"volumeMounts", "securityContext", NULL };
	const cJSON *x;
	int i = 0;
	char p[PATH_MAX_LEN];

	cJSON_ArrayForEach(x, r->spec) {
		if (!strcmp(x->string, "replicas") || !strcmp(x->string, "template"))
			continue;
		snprintf(p, sizeof(p), "%s.%s", r->path, x->string);
		if (!strcmp(x->string, "restartPolicy"))
			report(c, KFT_CONVERT_LOSS, p, "%s dropped: no TrainJob field; restarts follow the "
			       "runtime's JobSet failure policy",
			       cJSON_IsString(x) ? x->valuestring : "(not a string)");
		else
			report(c, KFT_CONVERT_LOSS, p, "dropped: not a v1 replica spec field");
	}
	cJSON_ArrayForEach(x, kft__json_get(r->pod, "containers")) {
		const cJSON *f;

		snprintf(p, sizeof(p), "%s.template.spec.containers[%d]", r->path, i);
		if (x != r->ctr) {
			report(c, KFT_CONVERT_LOSS, p, "container \"%s\" dropped: a TrainJob cannot add "
			       "containers to the runtime's pods", kft__json_str(x, "name") ?
			       kft__json_str(x, "name") : "");
			i++;
			continue;
		}
		cJSON_ArrayForEach(f, x) {
			char fp[PATH_MAX_LEN];

			if (kft__str_in_list(f->string, mapped) && (c->minor >= 2 ||
			                                    strcmp(f->string, "securityContext")))
				continue;
			snprintf(fp, sizeof(fp), "%s.template.spec.containers[%d].%s", r->path, i,
			         f->string);
			if (!strcmp(f->string, "securityContext"))
				report(c, KFT_CONVERT_LOSS, fp, "dropped: Trainer %s container overrides take "
				       "only env and volumeMounts (securityContext from v2.2)", c->tv);
			else
				report(c, KFT_CONVERT_LOSS, fp, "dropped: no TrainJob field (spec.trainer "
				       "has image, command, args, env and resourcesPerNode)");
		}
		i++;
	}
}

/* ---- pod fields of a role -> runtimePatches for replicated job rjob (§6) ---- */

static int pod_field_ok(int minor, const char *f)
{
	static const char *const v20[] = { "nodeSelector", "schedulingGates", "serviceAccountName",
		"tolerations", "volumes", NULL };
	static const char *const v21[] = { "affinity", "imagePullSecrets", NULL };
	static const char *const v22[] = { "securityContext", NULL };

	return kft__str_in_list(f, v20) || (minor >= 1 && kft__str_in_list(f, v21)) ||
	       (minor >= 2 && kft__str_in_list(f, v22)) ||
	       (minor >= 3 && !strcmp(f, "terminationGracePeriodSeconds"));
}

static void pod_to_patch(conv *c, const role_t *r, const char *rjob)
{
	const cJSON *f, *meta = kft__json_path(r->spec, "template.metadata");
	cJSON *pod = NULL;
	char p[PATH_MAX_LEN];

	cJSON_ArrayForEach(f, r->pod) {
		snprintf(p, sizeof(p), "%s.template.spec.%s", r->path, f->string);
		if (!strcmp(f->string, "containers"))
			continue;
		if (!strcmp(f->string, "initContainers")) {
			report(c, KFT_CONVERT_LOSS, p, "dropped: a TrainJob can patch only containers the "
			       "runtime already has");
		} else if (pod_field_ok(c->minor, f->string)) {
			if (pod || (pod = patch_pod(c, rjob)))
				put_copy(c, mkobj(c, pod, "spec"), f->string, f);
		} else {
			report(c, KFT_CONVERT_LOSS, p, "dropped: no TrainJob override for this pod field in "
			       "Trainer %s; it must come from the runtime", c->tv);
		}
	}
	/* the main container's volumeMounts and securityContext: a patch of container "node" */
	if (kft__json_get(r->ctr, "volumeMounts") ||
	    (c->minor >= 2 && kft__json_get(r->ctr, "securityContext"))) {
		cJSON *ctrs, *n, *ps;

		if (!pod && !(pod = patch_pod(c, rjob)))
			return;
		ps = mkobj(c, pod, "spec");

		ctrs = cJSON_GetObjectItemCaseSensitive(ps, "containers");
		if (!ctrs && ps)
			ctrs = cJSON_AddArrayToObject(ps, "containers");
		if (!ctrs || !(n = cJSON_CreateObject())) {
			c->oom = 1;
			return;
		}
		cJSON_AddItemToArray(ctrs, n);
		if (!cJSON_AddStringToObject(n, "name", "node"))
			c->oom = 1;
		if (kft__json_get(r->ctr, "volumeMounts"))
			put_copy(c, n, "volumeMounts", kft__json_get(r->ctr, "volumeMounts"));
		if (c->minor >= 2 && kft__json_get(r->ctr, "securityContext"))
			put_copy(c, n, "securityContext", kft__json_get(r->ctr, "securityContext"));
	}
	cJSON_ArrayForEach(f, meta) {
		snprintf(p, sizeof(p), "%s.template.metadata.%s", r->path, f->string);
		if ((strcmp(f->string, "labels") && strcmp(f->string, "annotations")))
			report(c, KFT_CONVERT_LOSS, p, "dropped: a pod template patch has only labels and "
			       "annotations");
		else if (c->minor < 1)
			report(c, KFT_CONVERT_LOSS, p, "dropped: Trainer v2.0 podSpecOverrides have no pod "
			       "metadata");
		else if (cJSON_IsObject(f) && f->child && (pod || (pod = patch_pod(c, rjob))))
			put_copy(c, mkobj(c, pod, "metadata"), f->string, f);
	}
}

/* A node role that is not the trainer role: what differs from it is lost (§10). */
static void compare_role(conv *c, const role_t *r, const role_t *t)
{
	static const char *const fields[] = { "image", "command", "args", "env", "resources",
		"volumeMounts", "securityContext", NULL };
	const cJSON *f;
	const char *const *k;
	char p[PATH_MAX_LEN];

	for (k = fields; *k; k++) {
		const cJSON *a = kft__json_get(r->ctr, *k), *b = kft__json_get(t->ctr, *k);

		if ((!a && !b) || (a && b && cJSON_Compare(a, b, 1)))
			continue;
		snprintf(p, sizeof(p), "%s.template.spec.containers[%d].%s", r->path, r->ctr_at, *k);
		if (!strcmp(*k, "image") && cJSON_IsString(a) && cJSON_IsString(b))
			report(c, KFT_CONVERT_LOSS, p, "\"%s\" differs from %s's \"%s\": a TrainJob runs "
			       "one image on every node; %s's is used", a->valuestring, t->name,
			       b->valuestring, t->name);
		else
			report(c, KFT_CONVERT_LOSS, p, "differs from %s's: a TrainJob has one trainer "
			       "for every node; %s's is used", t->name, t->name);
	}
	cJSON_ArrayForEach(f, r->pod) {
		if (!strcmp(f->string, "containers") ||
		    cJSON_Compare(f, kft__json_get(t->pod, f->string), 1))
			continue;
		snprintf(p, sizeof(p), "%s.template.spec.%s", r->path, f->string);
		report(c, KFT_CONVERT_LOSS, p, "differs from %s's: every node gets %s's pod fields",
		       t->name, t->name);
	}
	cJSON_ArrayForEach(f, t->pod) {
		if (strcmp(f->string, "containers") && !kft__json_get(r->pod, f->string)) {
			snprintf(p, sizeof(p), "%s.template.spec.%s", r->path, f->string);
			report(c, KFT_CONVERT_LOSS, p, "absent here but set for %s: every node gets %s's",
			       t->name, t->name);
		}
	}
	if (!cJSON_Compare(kft__json_path(r->spec, "template.metadata"),
	                   kft__json_path(t->spec, "template.metadata"), 1) &&
	    (kft__json_path(r->spec, "template.metadata") ||
	     kft__json_path(t->spec, "template.metadata"))) {
		snprintf(p, sizeof(p), "%s.template.metadata", r->path);
		report(c, KFT_CONVERT_LOSS, p, "differs from %s's: every node gets %s's pod labels "
		       "and annotations", t->name, t->name);
	}
}

/* An MPI Worker: its image and env must be the Launcher's; its command is the runtime's. */
static void mpi_worker(conv *c, const role_t *w, const role_t *l)
{
	static const char *const fields[] = { "image", "env", "command", "args", NULL };
	const char *const *k;
	char p[PATH_MAX_LEN];

	for (k = fields; *k; k++) {
		const cJSON *a = kft__json_get(w->ctr, *k), *b = kft__json_get(l->ctr, *k);

		snprintf(p, sizeof(p), "%s.template.spec.containers[%d].%s", w->path, w->ctr_at, *k);
		if (!strcmp(*k, "command") || !strcmp(*k, "args")) {
			if (a)
				report(c, KFT_CONVERT_LOSS, p, "dropped: the runtime's nodes run its own "
				       "command (sshd); the Launcher's is spec.trainer.%s", *k);
		} else if (a && !cJSON_Compare(a, b, 1)) {
			report(c, KFT_CONVERT_LOSS, p, "differs from the Launcher's: a TrainJob has one "
			       "%s for every node; the Launcher's is used", *k);
		}
	}
}

/* ---- spec.trainer from the main container (§5) ---- */

static void trainer_from(conv *c, const role_t *t, const role_t *res)
{
	cJSON *tr = mkobj(c, c->tj, "spec.trainer");
	static const char *const keys[] = { "image", "command", "args", "env", NULL };
	const char *const *k;

	for (k = keys; *k; k++) {
		const cJSON *v = kft__json_get(t->ctr, *k);

		if (v && !(cJSON_IsArray(v) && cJSON_GetArraySize(v) == 0))
			put_copy(c, tr, *k, v);
	}
	if (kft__json_get(res->ctr, "resources") && kft__json_get(res->ctr, "resources")->child)
		put_copy(c, tr, "resourcesPerNode", kft__json_get(res->ctr, "resources"));
}

/* ---- the runtime (§3) ---- */

static int choose_runtime(const char **out, conv *c)
{
	const char *rt = c->o && c->o->runtime ? c->o->runtime : NULL;

	*out = NULL;
	if (rt) {
		report(c, KFT_CONVERT_NOTE, "spec.runtimeRef.name", "%s (given)%s", rt,
		       c->k->runtime ? "" : "; v2 runtimes without a TensorFlow/PaddlePaddle "
		       "mlPolicy set only the node count and env (no TF_CONFIG, no Paddle "
		       "launcher variables)");
		*out = rt;
		return 0;
	}
	if (!c->k->runtime)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "%s: Kubeflow Trainer v2 ships no %s runtime (no default "
		                      "ClusterTrainingRuntime and no %s mlPolicy in any v2 release): "
		                      "name your own runtime with --runtime NAME", c->k->kind,
		                      !strcmp(c->k->kind, "TFJob") ? "TensorFlow" : "PaddlePaddle",
		                      !strcmp(c->k->kind, "TFJob") ? "TensorFlow" : "PaddlePaddle");
	if (c->minor < c->k->since_minor)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "%s: Trainer %s has no %s runtime (added in v2.%d): target "
		                      "v2.%d or later, or name a runtime with --runtime NAME",
		                      c->k->kind, c->tv, c->k->runtime, c->k->since_minor,
		                      c->k->since_minor);
	if (is_mpi(c)) {
		*out = c->minor == 0 ? "mpi-distributed" : c->k->runtime;
		if (c->minor == 0)
			report(c, KFT_CONVERT_NOTE, "spec.runtimeRef.name", "mpi-distributed: Trainer "
			       "v2.0's MPI runtime (OpenMPI); --runtime NAME picks another");
		else
			report(c, KFT_CONVERT_NOTE, "spec.runtimeRef.name", "deepspeed-distributed: no "
			       "generic MPI runtime ships after v2.0 (mpi-distributed was removed in "
			       "v2.1); deepspeed-distributed is the default OpenMPI runtime "
			       "(mlPolicy.mpi, launcher + nodes over SSH) and runs the job's own "
			       "image and command; --runtime NAME picks your own MPI runtime");
		return 0;
	}
	*out = c->k->runtime;
	return 0;
}

/*
 * Does the MPI runtime run the launcher as a node (mlPolicy.mpi.runLauncherAsNode)?
 * 1 yes, 0 no, -1 not known here. v2.0's mpi-distributed is not in the catalog
 * (removed in v2.1) but has runLauncherAsNode: true.
 */
static int launcher_as_node(const char *runtime)
{
	kft_runtime_t *rt = NULL;
	int r = -1;

	if (!strcmp(runtime, "mpi-distributed"))
		return 1;
	if (kft__catalog_get(&rt, NULL, runtime) == 0) {
		const cJSON *v = kft__json_path(kft__runtime_doc(rt),
		                                "spec.mlPolicy.mpi.runLauncherAsNode");

		r = cJSON_IsTrue(v) ? 1 : 0;
	}
	kft_error_clear();
	kft_runtime_free(rt);
	return r;
}

/* ---- runPolicy (§7) ---- */

static void run_policy(conv *c, const cJSON *rp)
{
	const cJSON *f;
	char p[PATH_MAX_LEN];

	cJSON_ArrayForEach(f, rp) {
		snprintf(p, sizeof(p), "spec.runPolicy.%s", f->string);
		if (!strcmp(f->string, "activeDeadlineSeconds")) {
			if (kft__json_int(f, 1, INT64_MAX, 0) < 1 ||
			    f->valuedouble != floor(f->valuedouble))
				report(c, KFT_CONVERT_LOSS, p, "dropped: TrainJob's activeDeadlineSeconds is a "
				       "whole number of seconds, at least 1");
			else if (c->minor < 2)
				report(c, KFT_CONVERT_LOSS, p, "dropped: spec.activeDeadlineSeconds is new in "
				       "Trainer v2.2 (target: %s)", c->tv);
			else
				put_copy(c, cJSON_GetObjectItemCaseSensitive(c->tj, "spec"),
				         "activeDeadlineSeconds", f);
		} else if (!strcmp(f->string, "suspend")) {
			if (cJSON_IsBool(f))
				put_copy(c, cJSON_GetObjectItemCaseSensitive(c->tj, "spec"), "suspend", f);
			else
				report(c, KFT_CONVERT_LOSS, p, "dropped: not true or false");
		} else if (!strcmp(f->string, "managedBy")) {
			if (kft__streq(cJSON_GetStringValue(f), "kueue.x-k8s.io/multikueue"))
				put_copy(c, cJSON_GetObjectItemCaseSensitive(c->tj, "spec"), "managedBy", f);
			else if (kft__streq(cJSON_GetStringValue(f), "kubeflow.org/training-operator") ||
			         kft__streq(cJSON_GetStringValue(f), "kubeflow.org/mpi-operator"))
				report(c, KFT_CONVERT_NOTE, p, "%s dropped: the TrainJob controller "
				       "(trainer.kubeflow.org/trainjob-controller) is the default",
				       f->valuestring);
			else
				report(c, KFT_CONVERT_LOSS, p, "dropped: TrainJob takes only "
				       "trainer.kubeflow.org/trainjob-controller or kueue.x-k8s.io/multikueue");
		} else if (!strcmp(f->string, "schedulingPolicy")) {
			const cJSON *s;

			cJSON_ArrayForEach(s, f) {
				snprintf(p, sizeof(p), "spec.runPolicy.schedulingPolicy.%s", s->string);
				if (strcmp(s->string, "queue") || !cJSON_IsString(s) || !*s->valuestring) {
					report(c, KFT_CONVERT_LOSS, p, "dropped: no TrainJob field (gang "
					       "scheduling is the runtime's podGroupPolicy)");
					continue;
				}
				if (!cJSON_AddStringToObject(mkobj(c, our_patch(c),
				        "trainingRuntimeSpec.template.metadata.annotations"),
				        "scheduling.volcano.sh/queue-name", s->valuestring))
					c->oom = 1;
				report(c, KFT_CONVERT_NOTE, p, "\"%s\": the Volcano queue annotation "
				       "scheduling.volcano.sh/queue-name (a Kueue queue is the label "
				       "kueue.x-k8s.io/queue-name in metadata.labels, which is kept)",
				       s->valuestring);
			}
		} else if (!strcmp(f->string, "cleanPodPolicy")) {
			report(c, KFT_CONVERT_LOSS, p, "dropped: no TrainJob field (pods follow the "
			       "runtime's JobSet)");
		} else if (!strcmp(f->string, "ttlSecondsAfterFinished")) {
			report(c, KFT_CONVERT_LOSS, p, "dropped: no TrainJob field (the runtime's JobSet "
			       "has its own ttlSecondsAfterFinished)");
		} else if (!strcmp(f->string, "backoffLimit")) {
			report(c, KFT_CONVERT_LOSS, p, "dropped: no TrainJob field (retries follow the "
			       "runtime's JobSet failurePolicy)");
		} else {
			report(c, KFT_CONVERT_LOSS, p, "dropped: not a v1 runPolicy field");
		}
	}
}

/* ---- kind-specific spec fields ---- */

static void set_nproc(conv *c, int64_t n)
{
	cJSON *v = cJSON_CreateNumber((double)n);

	if (!v || !cJSON_AddItemToObject(mkobj(c, c->tj, "spec.trainer"), "numProcPerNode", v)) {
		cJSON_Delete(v);
		c->oom = 1;
	}
}

static void torch_nproc(conv *c, const cJSON *spec)
{
	const cJSON *np = kft__json_get(spec, "nprocPerNode");
	const cJSON *enp = kft__json_path(spec, "elasticPolicy.nProcPerNode");
	int64_t n;

	if (cJSON_IsString(np) && kft__parse_i64(&n, np->valuestring) == 0 && n >= 1 &&
	    n <= REPLICAS_MAX)
		set_nproc(c, n);
	else if (np)
		report(c, KFT_CONVERT_LOSS, "spec.nprocPerNode", "%s%s%s dropped: TrainJob's "
		       "numProcPerNode is a number (v2.2+); without it the torch runtime derives it "
		       "from the GPUs, else the CPUs (auto)", cJSON_IsString(np) ? "\"" : "",
		       cJSON_IsString(np) ? np->valuestring : "(not a string)",
		       cJSON_IsString(np) ? "\"" : "");
	else if (kft__json_int(enp, 1, REPLICAS_MAX, 0) >= 1 &&
	         enp->valuedouble == floor(enp->valuedouble))
		set_nproc(c, kft__json_int(enp, 1, REPLICAS_MAX, 0));
}

static void kind_fields(conv *c, const cJSON *spec, int64_t nodes)
{
	const cJSON *f;
	char p[PATH_MAX_LEN];

	if (!strcmp(c->k->kind, "PyTorchJob"))
		torch_nproc(c, spec);
	cJSON_ArrayForEach(f, spec) {
		const char *s = f->string;

		snprintf(p, sizeof(p), "spec.%s", s);
		if (!strcmp(s, c->k->rkey) || !strcmp(s, "runPolicy") || !strcmp(s, "nprocPerNode"))
			continue;
		if (!kft__str_in_list(s, c->k->fields))
			report(c, KFT_CONVERT_LOSS, p, "dropped: not a field of a %s %s", c->k->api,
			       c->k->kind);
		else if (!strcmp(s, "elasticPolicy"))
			report(c, KFT_CONVERT_LOSS, p, "dropped: TrainJob has no elastic training (Trainer "
			       "v2.2 removed the runtime's elasticPolicy); the job runs on a fixed "
			       "numNodes %lld", (long long)nodes);
		else if (!strcmp(s, "slotsPerWorker")) {
			if (kft__json_int(f, 1, REPLICAS_MAX, 0) >= 1 &&
			    f->valuedouble == floor(f->valuedouble))
				set_nproc(c, kft__json_int(f, 1, REPLICAS_MAX, 0));
			else
				report(c, KFT_CONVERT_LOSS, p, "dropped: not a whole number from 1");
		} else if (!strcmp(s, "mainContainer"))
			report(c, KFT_CONVERT_NOTE, p, "used to find the main container; v2 runtimes "
			       "name it \"node\"");
		else if (!strcmp(s, "cleanPodPolicy"))
			report(c, KFT_CONVERT_LOSS, p, "dropped: no TrainJob field");
		else if (!strcmp(s, "mpiImplementation") && kft__streq(cJSON_GetStringValue(f), "OpenMPI"))
			continue;
		else if (!strcmp(s, "mpiImplementation"))
			report(c, KFT_CONVERT_LOSS, p, "%s dropped: v2 MPI runtimes are OpenMPI only",
			       cJSON_GetStringValue(f) ? cJSON_GetStringValue(f) : "(not a string)");
		else if (!strcmp(s, "runLauncherAsWorker") || !strcmp(s, "sshAuthMountPath"))
			report(c, KFT_CONVERT_LOSS, p, "dropped: a runtime field in v2 "
			       "(mlPolicy.mpi.%s), not a TrainJob field", !strcmp(s, "sshAuthMountPath") ?
			       "sshAuthMountPath" : "runLauncherAsNode");
		else if (!strcmp(s, "launcherCreationPolicy"))
			report(c, KFT_CONVERT_LOSS, p, "dropped: not a TrainJob field (the MPI runtimes' "
			       "launcher already waits for the nodes to be ready)");
		else
			report(c, KFT_CONVERT_LOSS, p, "dropped: no TrainJob field");
	}
}

/* ---- metadata ---- */

static int metadata(conv *c, const cJSON *meta)
{
	static const char *const server[] = { "uid", "resourceVersion", "generation",
		"creationTimestamp", "managedFields", "selfLink", "deletionTimestamp",
		"deletionGracePeriodSeconds", NULL };
	const char *name = c->o && c->o->name ? c->o->name : kft__json_str(meta, "name");
	cJSON *m = cJSON_GetObjectItemCaseSensitive(c->tj, "metadata");
	const cJSON *f;
	char p[PATH_MAX_LEN];

	if (meta && !cJSON_IsObject(meta))
		return bad("metadata: must be a mapping");
	if (kft__json_get(meta, "name") && !cJSON_IsString(kft__json_get(meta, "name")))
		return bad("metadata.name: must be a string");
	if (name && (strlen(name) > 63 || !kft__is_dns1035(name)))
		return bad("metadata.name: \"%s\" is not a valid TrainJob name: it must be an RFC 1035 "
		           "label (at most 63 characters: lower-case letters, digits and '-', starting "
		           "with a letter, ending with a letter or digit); rename the job%s", name,
		           c->o && c->o->name ? "" : " (kft: --name NAME)");
	if (name && !cJSON_AddStringToObject(m, "name", name))
		c->oom = 1;
	cJSON_ArrayForEach(f, meta) {
		snprintf(p, sizeof(p), "metadata.%s", f->string);
		if (!strcmp(f->string, "name"))
			continue;
		if (!strcmp(f->string, "namespace") && cJSON_IsString(f))
			put_copy(c, m, "namespace", f);
		else if ((!strcmp(f->string, "labels") || !strcmp(f->string, "annotations")) &&
		         cJSON_IsObject(f))
			put_copy(c, m, f->string, f);
		else if (kft__str_in_list(f->string, server))
			report(c, KFT_CONVERT_NOTE, p, "dropped: set by the API server");
		else
			report(c, KFT_CONVERT_LOSS, p, "dropped: not carried over to the TrainJob");
	}
	return 0;
}

/* ---- documents ---- */

const kft__v1_kind *kft__v1_kind_of(const cJSON *d)
{
	const char *kind = kft__json_str(d, "kind"), *api = kft__json_str(d, "apiVersion");
	size_t i;

	for (i = 0; i < kft__v1_nkinds; i++)
		if (kft__streq(kind, kft__v1_kinds[i].kind) && kft__streq(api, kft__v1_kinds[i].api))
			return &kft__v1_kinds[i];
	return NULL;
}

static int looks_v1(const cJSON *d)
{
	const char *kind = kft__json_str(d, "kind"), *api = kft__json_str(d, "apiVersion");
	size_t i;

	if (api && kft__has_prefix(api, "kubeflow.org/"))
		return 1;
	for (i = 0; i < kft__v1_nkinds; i++)
		if (kft__streq(kind, kft__v1_kinds[i].kind))
			return 1;
	return 0;
}

int kft_convert_detect(size_t *v1_jobs, size_t *documents, const char *text, size_t len)
{
	cJSON *docs, *d;
	size_t n = 0;
	int error;

	if (v1_jobs)
		*v1_jobs = 0;
	if (documents)
		*documents = 0;
	KFT_ASSERT_ARG(text || len == 0);
	if (len == 0)
		return 0;   /* no bytes: no documents (nothing is read) */
	if ((error = kft__yaml_parse_all(&docs, text, len, "job")) < 0)
		return error;
	cJSON_ArrayForEach(d, docs)
		n += (size_t)looks_v1(d);
	if (v1_jobs)
		*v1_jobs = n;
	if (documents)
		*documents = (size_t)cJSON_GetArraySize(docs);
	cJSON_Delete(docs);
	return 0;
}

static int unknown_kind(const cJSON *d)
{
	const char *kind = kft__json_str(d, "kind"), *api = kft__json_str(d, "apiVersion");
	size_t i;

	if (!cJSON_IsObject(d))
		return bad("the document must be a mapping");
	for (i = 0; i < kft__v1_nkinds; i++)
		if (kft__streq(kind, kft__v1_kinds[i].kind))
			return bad("apiVersion: a %s is %s%s, got \"%s\"", kind, kft__v1_kinds[i].api,
			           !strcmp(kind, "MPIJob") ? " or kubeflow.org/v2beta1" : "",
			           api ? api : "(none)");
	return bad("kind: expected a Training Operator v1 job (PyTorchJob, TFJob, MPIJob, XGBoostJob, "
	           "JAXJob or PaddleJob), got \"%s\"%s%s%s", kind ? kind : "(none)",
	           api ? " (apiVersion " : "", api ? api : "", api ? ")" : "");
}

/* The document to convert: opts->document, or the only v1 job among them. */
static int pick_doc(cJSON **out, cJSON *docs, int64_t which)
{
	int n = cJSON_GetArraySize(docs), found = 0, at = 0, i = 0;
	cJSON *d;

	*out = NULL;
	if (which != KFT_UNSET) {
		if (which < 0 || which >= n)
			return kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_INVALID,
			                      "document %lld: the text has %d YAML document%s",
			                      (long long)which, n, n == 1 ? "" : "s");
		*out = cJSON_GetArrayItem(docs, (int)which);
		return 0;
	}
	if (n == 0)
		return bad("empty document: no v1 job to convert");
	cJSON_ArrayForEach(d, docs) {
		if (looks_v1(d)) {
			found++;
			at = i;
		}
		i++;
	}
	if (n == 1 || found == 0)
		*out = cJSON_GetArrayItem(docs, 0);
	else if (found == 1)
		*out = cJSON_GetArrayItem(docs, at);
	else
		return bad("%d v1 jobs among %d YAML documents: convert one at a time (kft convert "
		           "converts each)", found, n);
	return 0;
}

/* ---- the conversion ---- */

static int read_roles(conv *c, const cJSON *spec)
{
	const cJSON *rs = kft__json_get(spec, c->k->rkey), *x;
	const char *mpi_main = is_mpi(c) ? kft__json_str(spec, "mainContainer") : NULL;
	const char *const *r;
	char names[128] = "";
	int error;

	for (r = c->k->roles; *r; r++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
		         r == c->k->roles ? "" : ", ", *r);
	if (!rs || cJSON_IsNull(rs) || (cJSON_IsObject(rs) && !rs->child))
		return bad("spec.%s: no replica specs: a %s needs at least one of %s", c->k->rkey,
		           c->k->kind, names);
	if (!cJSON_IsObject(rs))
		return bad("spec.%s: must be a mapping of replica type (%s) to replica spec",
		           c->k->rkey, names);
	cJSON_ArrayForEach(x, rs)
		if (!kft__str_in_list(x->string, c->k->roles))
			return bad("spec.%s.%s: unknown replica type (a %s has %s)", c->k->rkey, x->string,
			           c->k->kind, names);
	for (r = c->k->roles; *r; r++) {
		role_t *ro;

		if (!(x = kft__json_get(rs, *r)))
			continue;
		ro = &c->roles[c->nroles++];
		memset(ro, 0, sizeof(*ro));
		ro->name = *r;
		ro->spec = x;
		snprintf(ro->path, sizeof(ro->path), "spec.%s.%s", c->k->rkey, *r);
		if ((error = read_role(c, ro, mpi_main)) < 0)
			return error;
	}
	return 0;
}

static int convert_doc(conv *c, const cJSON *d)
{
	const cJSON *spec = kft__json_get(d, "spec");
	role_t *t = NULL, *res;
	const char *runtime;
	int64_t nodes = 0;
	size_t i;
	int error;
	cJSON *rref;

	if (!(c->k = kft__v1_kind_of(d)))
		return unknown_kind(d);
	if (!cJSON_IsObject(spec))
		return bad("spec: a %s needs a spec mapping with %s", c->k->kind, c->k->rkey);
	if ((error = metadata(c, kft__json_get(d, "metadata"))) < 0 ||
	    (error = read_roles(c, spec)) < 0 || (error = choose_runtime(&runtime, c)) < 0)
		return error;
	rref = mkobj(c, c->tj, "spec.runtimeRef");
	if (!cJSON_AddStringToObject(rref, "name", runtime) ||
	    !cJSON_AddStringToObject(rref, "kind", "ClusterTrainingRuntime"))
		c->oom = 1;

	/* the trainer role and numNodes (§4) */
	for (i = 0; i < c->nroles; i++) {
		role_t *r = &c->roles[i];

		if (!kft__v1_is_node_role(r->name))
			continue;
		nodes += r->replicas;
		if (!t && r->replicas > 0)
			t = r;
	}
	if (is_mpi(c)) {
		role_t *l = find_role(c, "Launcher"), *w = find_role(c, "Worker");
		int lan = launcher_as_node(runtime);

		if (!l)
			return bad("spec.mpiReplicaSpecs.Launcher: an MPIJob needs a Launcher (its "
			           "command becomes spec.trainer.command)");
		if (l->replicas != 1)
			return bad("spec.mpiReplicaSpecs.Launcher.replicas: must be 1, got %lld",
			           (long long)l->replicas);
		if (lan == 1) {
			nodes += 1;
			report(c, KFT_CONVERT_NOTE, "spec.trainer.numNodes", "%lld: Worker replicas + 1, "
			       "as %s runs the launcher as a node (mlPolicy.mpi.runLauncherAsNode)",
			       (long long)nodes, runtime);
		} else {
			report(c, KFT_CONVERT_NOTE, "spec.trainer.numNodes", "%lld: the Worker replicas%s",
			       (long long)nodes, lan < 0 ? " (runtime not known here: add 1 if it has "
			       "mlPolicy.mpi.runLauncherAsNode: true)" : "");
		}
		if (nodes < 1)
			return bad("spec.mpiReplicaSpecs.Worker.replicas: zero workers: a TrainJob needs "
			           "at least one node");
		t = l;
		res = w && w->replicas > 0 ? w : l;
	} else {
		if (nodes < 1)
			return bad("spec.%s: zero replicas in every replica spec: a TrainJob needs at least "
			           "one node", c->k->rkey);
		res = t;
	}
	{
		cJSON *n = cJSON_CreateNumber((double)nodes);

		if (!n || !cJSON_AddItemToObject(mkobj(c, c->tj, "spec.trainer"), "numNodes", n)) {
			cJSON_Delete(n);
			c->oom = 1;
		}
	}
	trainer_from(c, t, res);

	/* every role: its own losses, then its pod into a patch or compared with the trainer's */
	for (i = 0; i < c->nroles; i++) {
		role_t *r = &c->roles[i];

		if (!kft__v1_is_node_role(r->name) && strcmp(r->name, "Launcher")) {
			report(c, KFT_CONVERT_LOSS, r->path, "dropped with its %lld replica%s: TrainJob "
			       "has no %s role", (long long)r->replicas, r->replicas == 1 ? "" : "s",
			       !strcmp(r->name, "PS") ? "parameter-server" : "evaluator");
			continue;
		}
		if (r->replicas == 0) {
			report(c, KFT_CONVERT_NOTE, r->path, "replicas 0: not part of the TrainJob");
			continue;
		}
		role_losses(c, r);
		if (is_mpi(c)) {
			pod_to_patch(c, r, !strcmp(r->name, "Launcher") ? "launcher" : "node");
			if (r == t)
				continue;
			mpi_worker(c, r, t);
		} else if (r == t) {
			pod_to_patch(c, r, "node");
		} else {
			compare_role(c, r, t);
		}
	}
	if (is_mpi(c) && res != t && kft__json_get(t->ctr, "resources")) {
		char p[PATH_MAX_LEN];

		snprintf(p, sizeof(p), "%s.template.spec.containers[%d].resources", t->path, t->ctr_at);
		report(c, KFT_CONVERT_LOSS, p, "dropped: a TrainJob has one resourcesPerNode; the "
		       "Worker's are used");
	}
	run_policy(c, kft__json_get(spec, "runPolicy"));
	kind_fields(c, spec, nodes);
	if (kft__json_get(d, "status"))
		report(c, KFT_CONVERT_NOTE, "status", "dropped: a new TrainJob starts without status");
	{
		const cJSON *f;

		cJSON_ArrayForEach(f, d)
			if (strcmp(f->string, "apiVersion") && strcmp(f->string, "kind") &&
			    strcmp(f->string, "metadata") && strcmp(f->string, "spec") &&
			    strcmp(f->string, "status"))
				report(c, KFT_CONVERT_LOSS, f->string, "dropped: not a field of a %s",
				       c->k->kind);
	}
	return 0;
}

int kft_convert_opts_init(kft_convert_opts_t *opts, unsigned int version)
{
	KFT__VERSIONED_INIT(opts, version, kft_convert_opts_t, KFT_CONVERT_OPTS);
}

int kft_convert(kft_spec_t **out, const char *text, size_t len, const kft_convert_opts_t *opts)
{
	conv c;
	cJSON *docs = NULL, *d;
	char *json = NULL;
	int error;

	KFT_ASSERT_ARG(out && (text || len == 0));
	KFT_CHECK_VERSION(opts, KFT_CONVERT_OPTS_VERSION, "kft_convert_opts_t");
	*out = NULL;
	if (len == 0)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_PARSE,
		                      "v1 job: empty document (0 bytes)");
	memset(&c, 0, sizeof(c));
	c.o = opts;
	c.tv = opts && opts->trainer_version ? opts->trainer_version : "v2.3";
	if ((c.minor = kft__trainer_minor(c.tv)) < 0)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "trainer version: expected v2.0, v2.1, v2.2 or v2.3, got \"%s\"",
		                      c.tv);
	if ((error = kft__yaml_parse_all(&docs, text, len, "v1 job")) < 0)
		return error;
	if ((error = pick_doc(&d, docs, opts ? opts->document : KFT_UNSET)) < 0)
		goto out;
	if (!(c.tj = cJSON_Parse("{\"apiVersion\":\"trainer.kubeflow.org/v1alpha1\","
	                         "\"kind\":\"TrainJob\",\"metadata\":{},\"spec\":{}}"))) {
		error = kft__error_oom();
		goto out;
	}
	if ((error = convert_doc(&c, d)) < 0)
		goto out;
	if (c.stop) {
		error = c.stop;
		goto out;
	}
	if (c.oom) {
		error = kft__error_oom();
		goto out;
	}
	if (c.losses && opts && (opts->flags & KFT_CONVERT_STRICT)) {
		error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                       "%s: no TrainJob equivalent%s (strict conversion: %d field%s "
		                       "would be lost)", c.first_loss, c.losses > 1 ? ", and more" : "",
		                       c.losses, c.losses == 1 ? "" : "s");
		goto out;
	}
	if (!(json = cJSON_PrintUnformatted(c.tj))) {
		error = kft__error_oom();
		goto out;
	}
	error = kft_spec_parse(out, json, strlen(json));
out:
	if (json)
		cJSON_free(json);
	cJSON_Delete(c.tj);
	cJSON_Delete(docs);
	return error;
}
