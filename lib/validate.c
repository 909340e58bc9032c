/*
 * Client-side validation: the API server's CEL/OpenAPI rules and Trainer's
 * admission webhook rules (reference/kubeflow-trainer.md §2, §3; SDK rules
 * from reference/kubeflow-sdk.md §4.1), checked before anything is sent or
 * run. The first violation wins: KFT_EINVALID with a message that starts with
 * the field path and names the rule, in the API server's words where it has
 * some.
 *
 * doc is a finalized TrainJob in the canonical v2.2+ form. rt may be NULL
 * (unknown runtime, e.g. a TrainingRuntime that only exists in the cluster):
 * the rules that need the runtime are skipped.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "internal.h"
#include "builtin.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KFT__NAME_MAX 63
#define KFT__NAME_WARN 33             /* longest name that fits dataset-initializer pods */
#define KFT__STR253 253
#define KFT__ENV_MAX 128
#define KFT__IMAGE_MAX 500
#define KFT__ARGV_MAX_ITEMS 128
#define KFT__ARGV_ITEM_MAX 1048576    /* Trainer v2.3+ (#3689) */
#define KFT__ARGV_ITEM_MAX_V22 65536  /* Trainer v2.2 */
#define KFT__URI_MAX 2048
#define KFT__PATCHES_MAX 16
#define KFT__PATCH_RJOBS_MAX 100
#define KFT__INT32_MAX 2147483647LL

#define MANAGED_BY_TRAINER "trainer.kubeflow.org/trainjob-controller"
#define MANAGED_BY_MULTIKUEUE "kueue.x-k8s.io/multikueue"

/* KFT_EINVALID of class INVALID with a message naming the field and the rule */
#define invalid(...) kft__error_invalid(__VA_ARGS__)

/* ---- small typed accessors: each reports a wrong type against its path ---- */

static int want_string(const cJSON *it, const char *path)
{
	if (it && !cJSON_IsString(it))
		return invalid("%s: must be a string", path);
	return 0;
}

static int want_array(const cJSON *it, const char *path)
{
	if (it && !cJSON_IsArray(it))
		return invalid("%s: must be a list", path);
	return 0;
}

static int want_object(const cJSON *it, const char *path)
{
	if (it && !cJSON_IsObject(it))
		return invalid("%s: must be a mapping", path);
	return 0;
}

/* Has one of the items before the i-th of list the same field value? */
static int seen_before(const cJSON *list, int i, const char *field, const char *value)
{
	const cJSON *o;
	int j = 0;

	cJSON_ArrayForEach(o, list) {
		if (j++ >= i)
			break;
		if (kft__streq(kft__json_str(o, field), value))
			return 1;
	}
	return 0;
}

/* The i-th item of a list keyed by name (containers, replicated jobs), at path p. */
static int named_item(const cJSON *list, int i, const cJSON *item, const char *p)
{
	const char *name = kft__json_str(item, "name");

	if (want_object(item, p) < 0)
		return KFT_EINVALID;
	if (!name || !*name)
		return invalid("%s.name: Required value", p);
	if (seen_before(list, i, "name", name))
		return invalid("%s.name: Duplicate value: \"%s\"", p, name);
	return 0;
}

static int max_len(const cJSON *it, const char *path, size_t max)
{
	size_t n;

	if (!cJSON_IsString(it))
		return 0;
	n = strlen(it->valuestring);
	if (n > max)
		return invalid("%s: must be no more than %zu characters, got %zu", path, max, n);
	return 0;
}

static int max_items(const cJSON *arr, const char *path, int max)
{
	int n = cJSON_GetArraySize(arr);

	if (n > max)
		return invalid("%s: must have at most %d items, got %d", path, max, n);
	return 0;
}

/* An integer in [min, max]; *out set when present. Absent: 0 and *present = 0. */
static int want_int(int64_t *out, int *present, const cJSON *it, const char *path,
                    int64_t min, int64_t max)
{
	double d;

	*present = 0;
	if (!it)
		return 0;
	if (!cJSON_IsNumber(it)) {
		if (cJSON_IsString(it))
			return invalid("%s: must be an integer, got \"%s\"", path, it->valuestring);
		return invalid("%s: must be an integer", path);
	}
	d = it->valuedouble;
	if (!isfinite(d) || d != floor(d))
		return invalid("%s: must be an integer, got %g", path, d);
	if (d > (double)max)
		return invalid("%s: must be less than or equal to %lld, got %.0f", path,
		               (long long)max, d);
	if (d < (double)min)
		return invalid("%s: must be greater than or equal to %lld, got %.0f", path,
		               (long long)min, d);
	if (kft__double_i64(out, d) < 0)   /* in [min, max] but past 2^53 */
		return invalid("%s: %.0f is too large to be exact", path, d);
	*present = 1;
	return 0;
}

/* ---- text ---- */


/*
 * JSON strings are UTF-8: the API server would replace bad bytes with U+FFFD
 * and YAML cannot carry them at all. (Scripts that are not UTF-8 travel as
 * base64, so this only catches values set through the API.) path: the dotted
 * path so far, extended in place.
 */
static int check_utf8(const cJSON *j, kft__buf *path)
{
	const cJSON *c;
	size_t mark = path->len;
	int i = 0;

	if (cJSON_IsString(j) && !kft__utf8_valid(j->valuestring))
		return invalid("%s: must be valid UTF-8", path->ptr ? path->ptr : "(document)");
	for (c = j->child; c && (cJSON_IsObject(j) || cJSON_IsArray(j)); c = c->next, i++) {
		if (cJSON_IsObject(j)) {
			kft__buf_printf(path, "%s%s", path->len ? "." : "", c->string ? c->string : "");
			if (c->string && !kft__utf8_valid(c->string))
				return invalid("%s: key must be valid UTF-8", path->ptr);
		} else {
			kft__buf_printf(path, "[%d]", i);
		}
		if (path->oom)
			return kft__error_oom();
		if (check_utf8(c, path) < 0)
			return KFT_EINVALID;
		path->len = mark;
		path->ptr[mark] = '\0';
	}
	return 0;
}

/* ---- names ---- */

static size_t digits(int64_t v)
{
	size_t n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

static int runtime_run_launcher_as_node(const kft_runtime_t *rt)
{
	const cJSON *r = kft__json_path(kft__runtime_doc(rt), "spec.mlPolicy.mpi.runLauncherAsNode");

	return cJSON_IsTrue(r);
}

/* Pods one replica of rjob runs (its Job's completions), as the controller sets them. */
static int64_t rjob_pods(const kft_runtime_t *rt, const cJSON *rjob, int64_t nnodes)
{
	const char *name = kft__json_str(rjob, "name");
	int mpi = kft__streq(kft_runtime_policy(rt), "mpi");
	const cJSON *c;

	if (kft__streq(name, "node") || (!mpi && rjob == kft__runtime_trainer_rjob(rt))) {
		if (mpi && runtime_run_launcher_as_node(rt))
			return nnodes - 1 > 1 ? nnodes - 1 : 1;
		return nnodes > 1 ? nnodes : 1;
	}
	c = kft__json_path(rjob, "template.spec.completions");
	if (!cJSON_IsNumber(c))
		c = kft__json_path(rjob, "template.spec.parallelism");
	return kft__json_int(c, 1, INT64_MAX, 1);
}

static int64_t job_num_nodes(const cJSON *doc, const kft_runtime_t *rt)
{
	const cJSON *n = kft__json_path(doc, "spec.trainer.numNodes");

	if (kft__json_int(n, 1, INT64_MAX, 0) >= 1)
		return kft__json_int(n, 1, INT64_MAX, 0);
	return rt ? kft_runtime_num_nodes(rt) : 1;
}

static int runtime_has_initializers(const kft_runtime_t *rt)
{
	return kft__runtime_rjob(rt, "dataset-initializer") ||
	       kft__runtime_rjob(rt, "model-initializer");
}

static int check_name(const cJSON *doc, const kft_runtime_t *rt)
{
	const cJSON *it = kft__json_path(doc, "metadata.name");
	const char *name;
	size_t len;

	if (!it)
		return 0;   /* a name is generated before submission */
	if (want_string(it, "metadata.name") < 0)
		return KFT_EINVALID;
	name = it->valuestring;
	len = strlen(name);
	if (len > KFT__NAME_MAX)
		return invalid("metadata.name: metadata.name must be no more than 63 characters, "
		               "got %zu", len);
	if (!kft__is_dns1035(name))
		return invalid("metadata.name: metadata.name must match RFC 1035 DNS label format "
		               "(lowercase letters, digits and '-', starting with a letter and not "
		               "ending with '-'), got \"%s\"", name);
	if (rt) {
		/* JobSet pod names: <name>-<rjob>-<jobIdx>-<podIdx>-<5 random> <= 63 */
		const cJSON *rjobs = kft__json_path(kft__runtime_doc(rt),
		                                    "spec.template.spec.replicatedJobs");
		const cJSON *r;
		int64_t nnodes = job_num_nodes(doc, rt);

		cJSON_ArrayForEach(r, rjobs) {
			const char *rname = kft__json_str(r, "name");
			const cJSON *rep = kft__json_get(r, "replicas");
			int64_t replicas = kft__json_int(rep, 1, INT64_MAX, 1);
			int64_t pods = rjob_pods(rt, r, nnodes);
			size_t fixed, limit;

			if (!rname)
				continue;
			fixed = 1 + strlen(rname) + 1 + digits(replicas - 1) + 1 + digits(pods - 1) + 6;
			limit = fixed < KFT__NAME_MAX ? KFT__NAME_MAX - fixed : 0;
			if (len > limit)
				return invalid("metadata.name: must be no more than %zu characters for runtime "
				               "%s with %lld node(s), got %zu: JobSet name is too long, pod "
				               "names generated for this JobSet will exceed 63 characters "
				               "(replicated job \"%s\", %lld pod(s))", limit,
				               kft_runtime_name(rt), (long long)nnodes, len, rname,
				               (long long)pods);
		}
	}
	if (len > KFT__NAME_WARN &&
	    (rt ? runtime_has_initializers(rt) : kft__json_path(doc, "spec.initializer") != NULL))
		kft__log(KFT_DIAG_WARN, "metadata.name: \"%s\" has %zu characters; above %d the pod "
		         "names of an initializer step can exceed 63 characters", name, len,
		         KFT__NAME_WARN);
	return 0;
}

/* ---- runtimeRef ---- */

static int check_runtime_ref(const cJSON *spec)
{
	const cJSON *ref = kft__json_get(spec, "runtimeRef"), *name;
	const char *kind, *group;

	if (!ref)
		return invalid("spec.runtimeRef: Required value");
	if (want_object(ref, "spec.runtimeRef") < 0)
		return KFT_EINVALID;
	name = kft__json_get(ref, "name");
	if (!name)
		return invalid("spec.runtimeRef.name: Required value");
	if (want_string(name, "spec.runtimeRef.name") < 0)
		return KFT_EINVALID;
	if (!*name->valuestring)
		return invalid("spec.runtimeRef.name: Required value (must be at least 1 character)");
	if (max_len(name, "spec.runtimeRef.name", KFT__STR253) < 0 ||
	    want_string(kft__json_get(ref, "kind"), "spec.runtimeRef.kind") < 0 ||
	    want_string(kft__json_get(ref, "apiGroup"), "spec.runtimeRef.apiGroup") < 0)
		return KFT_EINVALID;
	kind = kft__json_str(ref, "kind");
	group = kft__json_str(ref, "apiGroup");
	if (!kind)
		kind = "ClusterTrainingRuntime";
	if (!group)
		group = "trainer.kubeflow.org";
	if ((strcmp(kind, "ClusterTrainingRuntime") && strcmp(kind, "TrainingRuntime")) ||
	    strcmp(group, "trainer.kubeflow.org"))
		return invalid("spec.runtimeRef: unsupported runtime: %s.%s (kind must be "
		               "ClusterTrainingRuntime or TrainingRuntime, apiGroup "
		               "trainer.kubeflow.org)", kind, group);
	return 0;
}

/* ---- env lists ---- */

/* valueFrom: exactly one source, and not together with a non-empty value. */
static int check_env_source(const cJSON *e, const char *p)
{
	static const char *const sources[] = { "configMapKeyRef", "secretKeyRef", "fieldRef",
		"resourceFieldRef", "fileKeyRef", NULL };
	const cJSON *from = kft__json_get(e, "valueFrom");
	const char *value = kft__json_str(e, "value");
	int n = 0, i;

	if (!from)
		return 0;
	if (!cJSON_IsObject(from))
		return invalid("%s.valueFrom: must be a mapping", p);
	if (value && *value)
		return invalid("%s.value: Invalid value: may not be specified when `valueFrom` is not "
		               "empty", p);
	for (i = 0; sources[i]; i++)
		n += kft__json_get(from, sources[i]) != NULL;
	if (n != 1)
		return invalid("%s.valueFrom: must specify exactly one of configMapKeyRef, "
		               "secretKeyRef, fieldRef, resourceFieldRef (found %d)", p, n);
	return 0;
}

static int check_env_list(const cJSON *env, const char *path)
{
	const cJSON *e;
	char p[256];
	int i = 0, error;

	if (!env)
		return 0;
	if (want_array(env, path) < 0 || max_items(env, path, KFT__ENV_MAX) < 0)
		return KFT_EINVALID;
	cJSON_ArrayForEach(e, env) {
		const char *name = kft__json_str(e, "name");

		snprintf(p, sizeof(p), "%s[%d]", path, i);
		if (want_object(e, p) < 0)
			return KFT_EINVALID;
		if (!name || !*name)
			return invalid("%s.name: Required value (an environment variable needs a "
			               "non-empty name)", p);
		if (kft__json_get(e, "value") && !cJSON_IsString(kft__json_get(e, "value")))
			return invalid("%s.value: must be a string", p);
		if (strchr(name, '='))
			return invalid("%s.name: Invalid value: \"%s\": must not contain '='", p, name);
		if ((error = check_env_source(e, p)) < 0)
			return error;
		if (seen_before(env, i, "name", name))
			return invalid("%s.name: Duplicate value: \"%s\" (names must be unique)", p, name);
		i++;
	}
	return 0;
}

/* Reserved env names per framework (Trainer webhook). NULL-terminated, sorted. */
static const char *const torch_reserved[] = { "PET_MASTER_ADDR", "PET_MASTER_PORT", "PET_NNODES",
	"PET_NODE_RANK", "PET_NPROC_PER_NODE", NULL };
static const char *const mpi_reserved[] = { "OMPI_MCA_orte_default_hostfile",
	"OMPI_MCA_orte_keep_fqdn_hostnames", "OMPI_MCA_orte_set_default_slots",
	"OMPI_MCA_plm_rsh_args", NULL };
static const char *const xgboost_reserved[] = { "DMLC_NUM_WORKER", "DMLC_TASK_ID",
	"DMLC_TRACKER_PORT", "DMLC_TRACKER_URI", NULL };

static const char *const *reserved_envs(const kft_runtime_t *rt)
{
	const char *policy = kft_runtime_policy(rt), *fw = kft_runtime_framework(rt);

	if (kft__streq(policy, "torch") || kft__streq(fw, "torch") || kft__streq(fw, "torchtune"))
		return torch_reserved;
	if (kft__streq(policy, "mpi") || kft__streq(fw, "deepspeed") || kft__streq(fw, "mlx"))
		return mpi_reserved;
	if (kft__streq(policy, "xgboost") || kft__streq(fw, "xgboost"))
		return xgboost_reserved;
	return NULL;
}

static int check_reserved_env(const cJSON *env, const kft_runtime_t *rt)
{
	const char *const *res = rt ? reserved_envs(rt) : NULL;
	kft__buf found = KFT__BUF_INIT;
	size_t i;
	int error = 0;

	if (!res)
		return 0;
	/* sorted and de-duplicated, as Go's sets.List prints them */
	for (i = 0; res[i]; i++) {
		const cJSON *e;

		cJSON_ArrayForEach(e, env) {
			if (kft__streq(kft__json_str(e, "name"), res[i])) {
				kft__buf_printf(&found, "%s%s", found.len ? " " : "", res[i]);
				break;
			}
		}
	}
	if (found.oom)
		error = kft__error_oom();
	else if (found.len)
		error = invalid("spec.trainer.env: must not have reserved envs, invalid envs "
		                "configured: [%s] (runtime %s sets them)", found.ptr,
		                kft_runtime_name(rt));
	kft__buf_free(&found);
	return error;
}

/* ---- resources ---- */

static int check_resource_map(const cJSON *m, const char *path)
{
	const cJSON *q;

	if (!m)
		return 0;
	if (want_object(m, path) < 0)
		return KFT_EINVALID;
	cJSON_ArrayForEach(q, m) {
		if (cJSON_IsNumber(q)) {
			if (!isfinite(q->valuedouble))
				return invalid("%s[%s]: must be a quantity", path, q->string);
		} else if (!cJSON_IsString(q)) {
			return invalid("%s[%s]: must be a quantity (a number or a string such as "
			               "\"500m\" or \"10Gi\")", path, q->string);
		} else if (!kft__quantity_valid(q->valuestring)) {
			return invalid("%s[%s]: quantities must match the regular expression "
			               "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$', got \"%s\"", path,
			               q->string, q->valuestring);
		}
	}
	return 0;
}

/* The SDK's rules: one MIG profile, and no GPU together with MIG. */
static int check_mig(const cJSON *res, const char *path)
{
	const char *maps[2] = { "requests", "limits" };
	kft__buf migs = KFT__BUF_INIT;
	const char *first = NULL;
	int nmig = 0, gpu = 0, i, error = 0;

	for (i = 0; i < 2; i++) {
		const cJSON *q;

		cJSON_ArrayForEach(q, kft__json_get(res, maps[i])) {
			if (!strcmp(q->string, "nvidia.com/gpu"))
				gpu = 1;
			/* a profile in both requests and limits counts once */
			if (kft__has_prefix(q->string, "nvidia.com/mig-") &&
			    !(i == 1 && kft__json_get(kft__json_get(res, "requests"), q->string))) {
				kft__buf_printf(&migs, "%s%s", nmig ? ", " : "", q->string);
				if (!first)
					first = q->string;
				nmig++;
			}
		}
	}
	if (migs.oom)
		error = kft__error_oom();
	else if (nmig > 1)
		error = invalid("%s: Multiple MIG resource types are not supported: [%s]", path,
		                migs.ptr);
	else if (nmig == 1 && gpu)
		error = invalid("%s: GPU (nvidia.com/gpu) and MIG (%s) cannot be requested together",
		                path, first);
	kft__buf_free(&migs);
	return error;
}

static int check_resources(const cJSON *res)
{
	const char *path = "spec.trainer.resourcesPerNode";

	if (!res)
		return 0;
	if (want_object(res, path) < 0 ||
	    check_resource_map(kft__json_get(res, "requests"),
	                       "spec.trainer.resourcesPerNode.requests") < 0 ||
	    check_resource_map(kft__json_get(res, "limits"),
	                       "spec.trainer.resourcesPerNode.limits") < 0)
		return KFT_EINVALID;
	return check_mig(res, path);
}

/* ---- trainer ---- */

static int check_argv(const cJSON *arr, const char *path)
{
	const cJSON *it;
	char p[128];
	int i = 0;

	if (!arr)
		return 0;
	if (want_array(arr, path) < 0 || max_items(arr, path, KFT__ARGV_MAX_ITEMS) < 0)
		return KFT_EINVALID;
	cJSON_ArrayForEach(it, arr) {
		size_t n;

		snprintf(p, sizeof(p), "%s[%d]", path, i++);
		if (want_string(it, p) < 0)
			return KFT_EINVALID;
		n = strlen(it->valuestring);
		if (n > KFT__ARGV_ITEM_MAX)
			return invalid("%s: must be no more than %d bytes (Trainer v2.3+; v2.2 allows "
			               "%d), got %zu", p, KFT__ARGV_ITEM_MAX, KFT__ARGV_ITEM_MAX_V22, n);
	}
	return 0;
}

static int check_trainer(const cJSON *spec, const kft_runtime_t *rt)
{
	const cJSON *t = kft__json_get(spec, "trainer"), *image;
	int64_t v;
	int present;

	if (!t)
		return 0;
	if (want_object(t, "spec.trainer") < 0)
		return KFT_EINVALID;
	image = kft__json_get(t, "image");
	if (want_string(image, "spec.trainer.image") < 0 ||
	    max_len(image, "spec.trainer.image", KFT__IMAGE_MAX) < 0 ||
	    check_argv(kft__json_get(t, "command"), "spec.trainer.command") < 0 ||
	    check_argv(kft__json_get(t, "args"), "spec.trainer.args") < 0 ||
	    check_env_list(kft__json_get(t, "env"), "spec.trainer.env") < 0 ||
	    check_reserved_env(kft__json_get(t, "env"), rt) < 0)
		return KFT_EINVALID;
	if (want_int(&v, &present, kft__json_get(t, "numNodes"), "spec.trainer.numNodes", 1,
	             KFT__INT32_MAX) < 0)
		return KFT_EINVALID;
	if (kft__json_get(t, "numProcPerNode")) {
		const cJSON *np = kft__json_get(t, "numProcPerNode");

		if (cJSON_IsString(np))
			return invalid("spec.trainer.numProcPerNode: must be an integer (Trainer v2.2+ "
			               "has no \"auto\"/\"cpu\"/\"gpu\"; omit it for the runtime's "
			               "default), got \"%s\"", np->valuestring);
		if (cJSON_IsNumber(np) && np->valuedouble < 1)
			return invalid("spec.trainer.numProcPerNode: numProcPerNode must be greater than "
			               "or equal to 1, got %g", np->valuedouble);
		if (want_int(&v, &present, np, "spec.trainer.numProcPerNode", 1, KFT__INT32_MAX) < 0)
			return KFT_EINVALID;
	}
	return check_resources(kft__json_get(t, "resourcesPerNode"));
}

/* ---- initializers ---- */

/* CEL (v2.3+): self == '' || self.matches('^[A-Za-z][A-Za-z0-9+.-]*://.+$') */
static int uri_ok(const char *s)
{
	const char *p = s, *sep;

	if (!*s)
		return 1;
	if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
		return 0;
	sep = strstr(s, "://");
	if (!sep)
		return 0;
	for (p = s + 1; p < sep; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '+' || *p == '.' || *p == '-'))
			return 0;
	/* ".+" in RE2 matches at least one character and no newline */
	return sep[3] != '\0' && !strchr(sep + 3, '\n');
}

static int rjob_has_container(const cJSON *rjob, const char *cname)
{
	return kft__rjob_container(rjob, cname) ||
	       kft__json_find(kft__json_path(rjob, "template.spec.template.spec.initContainers"),
	                      "name", cname);
}

static int check_initializer(const cJSON *init, const char *which, const char *input,
                             const kft_runtime_t *rt)
{
	const cJSON *i = kft__json_get(init, which), *uri, *sref;
	char path[64], p[96], step[32];

	if (!i)
		return 0;
	snprintf(path, sizeof(path), "spec.initializer.%s", which);
	snprintf(step, sizeof(step), "%s-initializer", which);
	if (want_object(i, path) < 0)
		return KFT_EINVALID;
	uri = kft__json_get(i, "storageUri");
	snprintf(p, sizeof(p), "%s.storageUri", path);
	if (want_string(uri, p) < 0 || max_len(uri, p, KFT__URI_MAX) < 0)
		return KFT_EINVALID;
	if (uri && !uri_ok(uri->valuestring))
		return invalid("%s: storageUri may be empty, or it must be a valid URI (scheme://...), "
		               "got \"%s\"%s", p, uri->valuestring,
		               uri->valuestring[0] == '/' || uri->valuestring[0] == '.' ?
		               " (a local directory is written file:///absolute/path)" : "");
	snprintf(p, sizeof(p), "%s.env", path);
	if (check_env_list(kft__json_get(i, "env"), p) < 0)
		return KFT_EINVALID;
	sref = kft__json_get(i, "secretRef");
	snprintf(p, sizeof(p), "%s.secretRef", path);
	if (want_object(sref, p) < 0)
		return KFT_EINVALID;
	if (sref && (!kft__json_str(sref, "name") || !*kft__json_str(sref, "name")))
		return invalid("%s.name: Required value (the Secret's name)", p);
	if (rt) {
		const cJSON *rjob = kft__runtime_rjob(rt, step);

		if (!rjob)
			return invalid("%s: runtime %s must have %s job when trainJob is configured with "
			               "input %s", path, kft_runtime_name(rt), step, input);
		if (!rjob_has_container(rjob, step))
			return invalid("%s: runtime %s must have container with name - %s in the %s job",
			               path, kft_runtime_name(rt), step, step);
	}
	return 0;
}

static int check_initializers(const cJSON *spec, const kft_runtime_t *rt)
{
	const cJSON *init = kft__json_get(spec, "initializer");

	if (!init)
		return 0;
	if (want_object(init, "spec.initializer") < 0 ||
	    check_initializer(init, "dataset", "datasetConfig", rt) < 0 ||
	    check_initializer(init, "model", "modelConfig", rt) < 0)
		return KFT_EINVALID;
	return 0;
}

/* ---- runtime patches ---- */

static int is_dns1123_subdomain(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (!alnum && c != '-' && c != '.')
			return 0;
		if ((i == 0 || i == n - 1) && !alnum)
			return 0;
		if (c == '.' && (s[i - 1] == '.' || s[i - 1] == '-' || s[i + 1] == '-'))
			return 0;
	}
	return 1;
}

/* Kubernetes' IsDomainPrefixedPath: "<dns-1123 subdomain>/<http path chars>". */
static int is_domain_prefixed_path(const char *s)
{
	const char *slash = strchr(s, '/'), *p;

	if (!slash || !slash[1] || !is_dns1123_subdomain(s, (size_t)(slash - s)))
		return 0;
	for (p = slash + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr("/-._~%!$&'()*+,;=:", *p)))
			return 0;
	return 1;
}

/* ---- labels and annotations (Kubernetes ObjectMeta rules) ---- */

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9], n >= 1 */
static int is_label_name(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (!alnum && ((i == 0 || i == n - 1) || (c != '-' && c != '_' && c != '.')))
			return 0;
	}
	return n > 0;
}

/* A qualified name: [<dns-1123 subdomain>/]<name <= 63>. */
static int check_qualified_key(const char *key, const char *path)
{
	const char *slash = strchr(key, '/'), *name = slash ? slash + 1 : key;
	size_t n = strlen(name);

	if (slash && (slash == key || !is_dns1123_subdomain(key, (size_t)(slash - key))))
		return invalid("%s: Invalid value: \"%s\": prefix part must be a lowercase RFC 1123 "
		               "subdomain of at most 253 characters (e.g. 'example.com')", path, key);
	if (n == 0)
		return invalid("%s: Invalid value: \"%s\": name part must be non-empty", path, key);
	if (n > 63)
		return invalid("%s: Invalid value: \"%s\": name part must be no more than 63 "
		               "characters", path, key);
	if (!is_label_name(name, n))
		return invalid("%s: Invalid value: \"%s\": name part must consist of alphanumeric "
		               "characters, '-', '_' or '.', and must start and end with an "
		               "alphanumeric character", path, key);
	return 0;
}

/* labels (keys and values) or annotations (keys; values any string) at path. */
static int check_string_map(const cJSON *m, const char *path, int label_values)
{
	const cJSON *it;

	if (!m)
		return 0;
	if (want_object(m, path) < 0)
		return KFT_EINVALID;
	cJSON_ArrayForEach(it, m) {
		const char *v;
		size_t n;

		if (check_qualified_key(it->string, path) < 0)
			return KFT_EINVALID;
		if (!cJSON_IsString(it))
			return invalid("%s[%s]: must be a string (quote it: \"%s\": \"...\")", path,
			               it->string, it->string);
		if (!label_values)
			continue;
		v = it->valuestring;
		n = strlen(v);
		if (n > 63)
			return invalid("%s[%s]: Invalid value: \"%s\": must be no more than 63 characters",
			               path, it->string, v);
		if (n && !is_label_name(v, n))
			return invalid("%s[%s]: Invalid value: \"%s\": a valid label must be an empty "
			               "string or consist of alphanumeric characters, '-', '_' or '.', and "
			               "must start and end with an alphanumeric character", path,
			               it->string, v);
	}
	return 0;
}

/* metadata{labels, annotations} at path (may be NULL). */
static int check_meta(const cJSON *meta, const char *path)
{
	char p[400];

	if (!meta)
		return 0;
	if (want_object(meta, path) < 0)
		return KFT_EINVALID;
	snprintf(p, sizeof(p), "%s.labels", path);
	if (check_string_map(kft__json_get(meta, "labels"), p, 1) < 0)
		return KFT_EINVALID;
	snprintf(p, sizeof(p), "%s.annotations", path);
	return check_string_map(kft__json_get(meta, "annotations"), p, 0);
}

static int check_metadata(const cJSON *doc)
{
	const cJSON *meta = kft__json_get(doc, "metadata"), *ns = kft__json_get(meta, "namespace");

	if (want_string(ns, "metadata.namespace") < 0)
		return KFT_EINVALID;
	if (ns && (strlen(ns->valuestring) > 63 || !*ns->valuestring ||
	           !is_dns1123_subdomain(ns->valuestring, strlen(ns->valuestring)) ||
	           strchr(ns->valuestring, '.')))
		return invalid("metadata.namespace: Invalid value: \"%s\": a lowercase RFC 1123 label "
		               "must consist of lower case alphanumeric characters or '-', start and "
		               "end with an alphanumeric character, and be at most 63 characters",
		               ns->valuestring);
	return check_meta(meta, "metadata");
}

static int check_container_patches(const cJSON *list, const char *path, const char *key,
                                   const char *rjob_name, const cJSON *rt_rjob,
                                   const kft_runtime_t *rt)
{
	const cJSON *c;
	char p[384], q[448];
	int i = 0, j;

	if (!list)
		return 0;
	if (want_array(list, path) < 0 || max_items(list, path, 64) < 0)
		return KFT_EINVALID;
	cJSON_ArrayForEach(c, list) {
		const char *cname = kft__json_str(c, "name");
		const cJSON *env = kft__json_get(c, "env"), *mounts = kft__json_get(c, "volumeMounts");
		const cJSON *m;

		snprintf(p, sizeof(p), "%s[%d]", path, i);
		if (named_item(list, i, c, p) < 0)
			return KFT_EINVALID;
		if (rt_rjob) {
			const cJSON *rc, *found = NULL;

			cJSON_ArrayForEach(rc, kft__json_path(rt_rjob, !strcmp(key, "containers") ?
			                   "template.spec.template.spec.containers" :
			                   "template.spec.template.spec.initContainers"))
				if (kft__streq(kft__json_str(rc, "name"), cname))
					found = rc;
			if (!found)
				return invalid("%s.name: must not have %s that doesn't exist in the runtime "
				               "job %s (runtime %s has no %s \"%s\" there)", p,
				               !strcmp(key, "containers") ? "container" : "initContainer",
				               rjob_name, kft_runtime_name(rt),
				               !strcmp(key, "containers") ? "container" : "initContainer",
				               cname);
		}
		if (cJSON_GetArraySize(env) > 0 &&
		    (!strcmp(cname, "node") || !strcmp(cname, "dataset-initializer") ||
		     !strcmp(cname, "model-initializer")))
			return invalid("%s.env: must not have envs for the dataset-initializer, "
			               "model-initializer, node containers (use spec.trainer.env or "
			               "spec.initializer.*.env)", p);
		snprintf(q, sizeof(q), "%s.env", p);
		if (check_env_list(env, q) < 0)
			return KFT_EINVALID;
		snprintf(q, sizeof(q), "%s.volumeMounts", p);
		if (want_array(mounts, q) < 0 || max_items(mounts, q, 128) < 0)
			return KFT_EINVALID;
		j = 0;
		cJSON_ArrayForEach(m, mounts) {
			const char *mp = kft__json_str(m, "mountPath");

			snprintf(q, sizeof(q), "%s.volumeMounts[%d]", p, j++);
			if (!kft__json_str(m, "name") || !*kft__json_str(m, "name"))
				return invalid("%s.name: Required value", q);
			if (!mp || mp[0] != '/')
				return invalid("%s.mountPath: must be an absolute path", q);
		}
		i++;
	}
	return 0;
}

static int check_pod_spec_patch(const cJSON *ps, const char *path, const char *rjob_name,
                                const cJSON *rt_rjob, const kft_runtime_t *rt)
{
	static const struct { const char *key; int max; } lists[] = {
		{ "volumes", 128 }, { "tolerations", 128 }, { "imagePullSecrets", 64 },
		{ "schedulingGates", 16 }, { NULL, 0 }
	};
	const cJSON *v;
	char p[384];
	int64_t iv;
	int present, i;

	if (!ps)
		return 0;
	if (want_object(ps, path) < 0)
		return KFT_EINVALID;
	for (i = 0; lists[i].key; i++) {
		snprintf(p, sizeof(p), "%s.%s", path, lists[i].key);
		if (want_array(kft__json_get(ps, lists[i].key), p) < 0 ||
		    max_items(kft__json_get(ps, lists[i].key), p, lists[i].max) < 0)
			return KFT_EINVALID;
	}
	i = 0;
	cJSON_ArrayForEach(v, kft__json_get(ps, "volumes")) {
		snprintf(p, sizeof(p), "%s.volumes[%d]", path, i++);
		if (!kft__json_str(v, "name") || !*kft__json_str(v, "name"))
			return invalid("%s.name: Required value", p);
	}
	snprintf(p, sizeof(p), "%s.serviceAccountName", path);
	if (want_string(kft__json_get(ps, "serviceAccountName"), p) < 0 ||
	    max_len(kft__json_get(ps, "serviceAccountName"), p, KFT__STR253) < 0)
		return KFT_EINVALID;
	snprintf(p, sizeof(p), "%s.nodeSelector", path);
	if (check_string_map(kft__json_get(ps, "nodeSelector"), p, 1) < 0)
		return KFT_EINVALID;
	snprintf(p, sizeof(p), "%s.terminationGracePeriodSeconds", path);
	if (want_int(&iv, &present, kft__json_get(ps, "terminationGracePeriodSeconds"), p, 0,
	             INT64_MAX / 2) < 0)
		return KFT_EINVALID;
	snprintf(p, sizeof(p), "%s.containers", path);
	if (check_container_patches(kft__json_get(ps, "containers"), p, "containers", rjob_name,
	                            rt_rjob, rt) < 0)
		return KFT_EINVALID;
	snprintf(p, sizeof(p), "%s.initContainers", path);
	return check_container_patches(kft__json_get(ps, "initContainers"), p, "initContainers",
	                               rjob_name, rt_rjob, rt);
}

static int check_patch(const cJSON *patch, const char *path, const kft_runtime_t *rt)
{
	const cJSON *rjobs, *r;
	char p[256], q[320];
	int i = 0;

	snprintf(p, sizeof(p), "%s.trainingRuntimeSpec", path);
	if (want_object(kft__json_get(patch, "trainingRuntimeSpec"), p) < 0)
		return KFT_EINVALID;
	snprintf(p, sizeof(p), "%s.trainingRuntimeSpec.template.metadata", path);
	if (check_meta(kft__json_path(patch, "trainingRuntimeSpec.template.metadata"), p) < 0)
		return KFT_EINVALID;
	snprintf(p, sizeof(p), "%s.trainingRuntimeSpec.template.spec.replicatedJobs", path);
	rjobs = kft__json_path(patch, "trainingRuntimeSpec.template.spec.replicatedJobs");
	if (want_array(rjobs, p) < 0 || max_items(rjobs, p, KFT__PATCH_RJOBS_MAX) < 0)
		return KFT_EINVALID;
	cJSON_ArrayForEach(r, rjobs) {
		const char *name = kft__json_str(r, "name");
		const cJSON *rt_rjob = NULL;

		snprintf(q, sizeof(q), "%s[%d]", p, i);
		if (named_item(rjobs, i, r, q) < 0)
			return KFT_EINVALID;
		if (rt && (rt_rjob = kft__runtime_rjob(rt, name)) == NULL)
			return invalid("%s.name: must not have replicated job that doesn't exist in the "
			               "runtime job template (runtime %s has no replicated job \"%s\")", q,
			               kft_runtime_name(rt), name);
		snprintf(q, sizeof(q), "%s[%d].template.metadata", p, i);
		if (check_meta(kft__json_path(r, "template.metadata"), q) < 0)
			return KFT_EINVALID;
		snprintf(q, sizeof(q), "%s[%d].template.spec.template.metadata", p, i);
		if (check_meta(kft__json_path(r, "template.spec.template.metadata"), q) < 0)
			return KFT_EINVALID;
		snprintf(q, sizeof(q), "%s[%d].template.spec.template.spec", p, i);
		if (check_pod_spec_patch(kft__json_path(r, "template.spec.template.spec"), q, name,
		                         rt_rjob, rt) < 0)
			return KFT_EINVALID;
		i++;
	}
	return 0;
}

static int check_runtime_patches(const cJSON *spec, const kft_runtime_t *rt)
{
	const cJSON *patches = kft__json_get(spec, "runtimePatches"), *pt;
	char p[64];
	int i = 0;

	if (!patches)
		return 0;
	if (want_array(patches, "spec.runtimePatches") < 0 ||
	    max_items(patches, "spec.runtimePatches", KFT__PATCHES_MAX) < 0)
		return KFT_EINVALID;
	cJSON_ArrayForEach(pt, patches) {
		const cJSON *mgr = kft__json_get(pt, "manager");

		snprintf(p, sizeof(p), "spec.runtimePatches[%d]", i);
		if (want_object(pt, p) < 0)
			return KFT_EINVALID;
		if (!mgr)
			return invalid("%s.manager: Required value", p);
		if (!cJSON_IsString(mgr) || !*mgr->valuestring)
			return invalid("%s.manager: Required value (a non-empty string)", p);
		if (strlen(mgr->valuestring) > KFT__STR253)
			return invalid("%s.manager: must be no more than 253 characters, got %zu", p,
			               strlen(mgr->valuestring));
		if (!is_domain_prefixed_path(mgr->valuestring))
			return invalid("%s.manager: must be a domain-prefixed path (such as "
			               "\"example.io/team\"), got \"%s\"", p, mgr->valuestring);
		if (seen_before(patches, i, "manager", mgr->valuestring))
			return invalid("%s.manager: Duplicate value: \"%s\" (runtimePatches is a map "
			               "keyed by manager)", p, mgr->valuestring);
		if (check_patch(pt, p, rt) < 0)
			return KFT_EINVALID;
		i++;
	}
	return 0;
}

/* ---- top-level spec fields ---- */

static int check_spec_misc(const cJSON *spec)
{
	const cJSON *mb = kft__json_get(spec, "managedBy"), *s = kft__json_get(spec, "suspend");
	int64_t v;
	int present;

	if (s && !cJSON_IsBool(s))
		return invalid("spec.suspend: must be a boolean");
	if (want_string(mb, "spec.managedBy") < 0)
		return KFT_EINVALID;
	if (mb && strcmp(mb->valuestring, MANAGED_BY_TRAINER) &&
	    strcmp(mb->valuestring, MANAGED_BY_MULTIKUEUE))
		return invalid("spec.managedBy: ManagedBy must be " MANAGED_BY_TRAINER " or "
		               MANAGED_BY_MULTIKUEUE " if set, got \"%s\"", mb->valuestring);
	return want_int(&v, &present, kft__json_get(spec, "activeDeadlineSeconds"),
	                "spec.activeDeadlineSeconds", 1, INT64_MAX / 2);
}

/* MPI: runLauncherAsNode with numNodes >= 2 needs both launcher and node rjobs. */
static int check_mpi(const cJSON *spec, const kft_runtime_t *rt)
{
	const cJSON *n = kft__json_path(spec, "trainer.numNodes");
	int64_t nnodes = kft__json_int(n, INT64_MIN, INT64_MAX, 1);

	if (!rt || !kft__streq(kft_runtime_policy(rt), "mpi") || !runtime_run_launcher_as_node(rt) ||
	    nnodes < 2)
		return 0;
	if (!kft__runtime_rjob(rt, "launcher") || !kft__runtime_rjob(rt, "node"))
		return invalid("spec.trainer.numNodes: must have 1 when MPI trainingRuntime with enabled "
		               "runLauncherAsNode does not have either launcher and node (runtime %s)",
		               kft_runtime_name(rt));
	return 0;
}

/* Builtin trainers (TorchTune ...): the runtime and the command must agree. */
static int check_builtin(const cJSON *doc, const kft_runtime_t *rt)
{
	const kft__builtin_trainer *bt = kft__builtin_for_doc(doc);
	const kft__builtin_trainer *rbt = rt ? kft__builtin_for_runtime(rt) : NULL;

	if (rt && rbt && !bt && kft__json_path(doc, "spec.trainer.command"))
		return invalid("spec.trainer.command: CustomTrainer can't be used with %s runtime (a "
		               "%s runtime runs only its builtin trainer: command [\"tune\", \"run\"] "
		               "or none)", kft_runtime_name(rt), rbt->name);
	if (rt && bt && bt != rbt)
		return invalid("spec.trainer.command: BuiltinTrainer can't be used with %s runtime "
		               "(the %s trainer needs a runtime with framework %s)",
		               kft_runtime_name(rt), bt->name, bt->name);
	if (bt && bt->validate)
		return bt->validate(doc, rt);
	return 0;
}

int kft__validate_doc(const cJSON *doc, const kft_runtime_t *rt)
{
	const cJSON *spec;
	int error;

	KFT_ASSERT_ARG(doc);
	if (!cJSON_IsObject(doc))
		return invalid("TrainJob: must be a mapping");
	if (want_object(kft__json_get(doc, "metadata"), "metadata") < 0)
		return KFT_EINVALID;
	spec = kft__json_get(doc, "spec");
	if (!spec)
		return invalid("spec: Required value");
	if (want_object(spec, "spec") < 0)
		return KFT_EINVALID;
	{
		kft__buf path = KFT__BUF_INIT;

		error = check_utf8(doc, &path);
		kft__buf_free(&path);
		if (error < 0)
			return error;
	}
	if ((error = check_runtime_ref(spec)) < 0 ||
	    (error = check_name(doc, rt)) < 0 ||
	    (error = check_metadata(doc)) < 0 ||
	    (error = check_trainer(spec, rt)) < 0 ||
	    (error = check_initializers(spec, rt)) < 0 ||
	    (error = check_runtime_patches(spec, rt)) < 0 ||
	    (error = check_spec_misc(spec)) < 0 ||
	    (error = check_mpi(spec, rt)) < 0 ||
	    (error = check_builtin(doc, rt)) < 0)
		return error;
	return 0;
}
