/*
 * The plan compiler: TrainJob + runtime -> ordered steps (argv, env, cwd),
 * as Trainer's controller would build the pods (see lib/plan.h for the JSON).
 *
 * Decisions for local runs, where the controller has no equivalent:
 * - Step processes inherit the submitting process's environment; "env" holds
 *   what the controller would add (runtime env, trainer.env, framework env).
 * - Runtime env entries using valueFrom are resolved when they name something
 *   local (the JobSet name label, the completion index); others are dropped.
 * - Strings that start with /workspace (or "key=/workspace...") in argv, env
 *   and cwd are mapped to the job's workspace directory.
 * - Nodes depend on the initializers when the runtime says nothing, so data
 *   is in place before training starts.
 * - MPI (local): one launcher step running mpirun with a generated hostfile
 *   ("localhost slots=<hosts x slots>"); no sshd nodes are needed on one
 *   machine. The container backend gets the sshd node steps as well.
 * - torch (local): PET_REDIRECTS=1, PET_TEE=1 and PET_MONITOR_INTERVAL=0.2
 *   are added unless set, working around Debian's torchrun on Python 3.11
 *   (crash with the default --redirects/--tee) and its 5 s poll interval.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "plan.h"
#include "builtin.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define WS "/workspace"

typedef struct {
	const cJSON *tj;
	const kft_runtime_t *rt;
	const kft__plan_opts *o;
	const char *name, *ws, *addr, *policy;
	int port, local;
	int mounts_warned;         /* local: said once that volume mounts do not apply */
	int64_t nnodes, gpus;
	char nproc[32];
	const kft__builtin_trainer *bt;
} ctx;

static int oom(void)
{
	return kft__error_oom();
}

/* "/workspace/x" -> "<ws>/x"; "k=/workspace/x" -> "k=<ws>/x"; else a copy. */
static char *map_ws(const ctx *c, const char *s)
{
	const char *eq = strchr(s, '=');
	const char *p = NULL;
	kft__buf b = KFT__BUF_INIT;

	if (kft__has_prefix(s, WS) && (s[strlen(WS)] == '/' || s[strlen(WS)] == '\0'))
		p = s;
	else if (eq && kft__has_prefix(eq + 1, WS) &&
	         (eq[1 + strlen(WS)] == '/' || eq[1 + strlen(WS)] == '\0'))
		p = eq + 1;
	if (!p || kft__streq(c->ws, WS))
		return kft__strdup(s);
	kft__buf_put(&b, s, (size_t)(p - s));
	kft__buf_puts(&b, c->ws);
	kft__buf_puts(&b, p + strlen(WS));
	return kft__buf_detach(&b);
}

/* A JSON string of s with the workspace mapped (map_ws); NULL: out of memory. */
static cJSON *mapped_string(const ctx *c, const char *s)
{
	char *m = map_ws(c, s);
	cJSON *it = m ? cJSON_CreateString(m) : NULL;

	free(m);
	return it;
}

static int add_str_mapped(const ctx *c, cJSON *arr, const char *s)
{
	cJSON *it = mapped_string(c, s);

	if (!it || !cJSON_AddItemToArray(arr, it))
		return oom();
	return 0;
}

static int env_put(const ctx *c, cJSON *env, const char *name, const char *value)
{
	cJSON *it = mapped_string(c, value);

	if (!it)
		return oom();
	if (cJSON_GetObjectItemCaseSensitive(env, name))
		cJSON_ReplaceItemInObjectCaseSensitive(env, name, it);
	else if (!cJSON_AddItemToObject(env, name, it))
		return oom();
	return 0;
}

static int env_putf(const ctx *c, cJSON *env, const char *name, const char *fmt, ...)
	KFT__PRINTF(4, 5);
static int env_putf(const ctx *c, cJSON *env, const char *name, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return env_put(c, env, name, buf);
}

/* Upsert a Kubernetes EnvVar list into env; rank for completion-index fieldRefs. */
static int env_merge(const ctx *c, cJSON *env, const cJSON *list, int64_t rank)
{
	const cJSON *e;
	int error;

	cJSON_ArrayForEach(e, list) {
		const char *n = kft__json_str(e, "name"), *v = kft__json_str(e, "value");
		const char *field = kft__json_str(kft__json_path(e, "valueFrom.fieldRef"), "fieldPath");
		char buf[32];

		if (!n)
			continue;
		if (!v && field) {
			if (strstr(field, "jobset.sigs.k8s.io/jobset-name") ||
			    kft__streq(field, "metadata.name"))
				v = c->name;
			else if (strstr(field, "job-completion-index") && rank >= 0) {
				snprintf(buf, sizeof(buf), "%lld", (long long)rank);
				v = buf;
			} else if (kft__streq(field, "metadata.namespace"))
				v = "default";
		}
		if (!v && kft__json_get(e, "valueFrom")) {
			kft__log(KFT_DIAG_WARN, "env %s: valueFrom cannot be resolved locally; dropped", n);
			continue;
		}
		if ((error = env_put(c, env, n, v ? v : "")) < 0)
			return error;
	}
	return 0;
}

/* GPU count: the first resource whose name contains "gpu" in requests, else limits. */
static int64_t gpu_count(const cJSON *res)
{
	const char *sect[] = { "requests", "limits" };
	size_t i;

	for (i = 0; i < 2; i++) {
		const cJSON *r;

		cJSON_ArrayForEach(r, kft__json_get(res, sect[i])) {
			if (r->string && strcasestr(r->string, "gpu"))
				return (int64_t)kft__quantity_json(r);
		}
	}
	return 0;
}

static const cJSON *node_resources(const ctx *c, const cJSON *container)
{
	const cJSON *r = kft__json_path(c->tj, "spec.trainer.resourcesPerNode");

	return r ? r : kft__json_get(container, "resources");
}

/* numProcPerNode (v2.2+ algorithm, reference §6.1). */
static void compute_nproc(ctx *c, const cJSON *container)
{
	const cJSON *np = kft__json_path(c->tj, "spec.trainer.numProcPerNode");
	const cJSON *res = node_resources(c, container);
	const cJSON *rnp = kft__json_path(kft__runtime_doc(c->rt), "spec.mlPolicy.torch.numProcPerNode");

	if (!np)
		np = rnp;
	c->gpus = gpu_count(res);
	if (cJSON_IsNumber(np)) {
		snprintf(c->nproc, sizeof(c->nproc), "%lld",
		         (long long)kft__json_int(np, INT64_MIN, INT64_MAX, 1));
		return;
	}
	if (cJSON_IsString(np) && strcmp(np->valuestring, "auto") && strcmp(np->valuestring, "cpu") &&
	    strcmp(np->valuestring, "gpu")) {
		snprintf(c->nproc, sizeof(c->nproc), "%s", np->valuestring);
		return;
	}
	snprintf(c->nproc, sizeof(c->nproc), "auto");
	if (c->gpus == 0) {
		double cpu = kft__quantity_json(kft__json_path(res, "requests.cpu"));
		int64_t n;

		if (cpu <= 0)
			cpu = kft__quantity_json(kft__json_path(res, "limits.cpu"));
		n = (int64_t)cpu;
		if ((double)n < cpu)
			n++;   /* ceil without libm */
		snprintf(c->nproc, sizeof(c->nproc), "%lld", (long long)(n < 1 ? 1 : n));
	}
}

static int free_port(int *out)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return kft__error_os(KFT_ERROR, "socket");
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		kft__error_os(KFT_ERROR, "cannot pick a free port on 127.0.0.1");
		close(fd);
		return KFT_ERROR;
	}
	close(fd);
	*out = ntohs(a.sin_port);
	return 0;
}

static cJSON *new_step(cJSON *steps, const char *name, const char *role)
{
	cJSON *s = cJSON_CreateObject();

	if (!s || !cJSON_AddItemToArray(steps, s))
		return NULL;
	if (!cJSON_AddStringToObject(s, "name", name) || !cJSON_AddStringToObject(s, "role", role))
		return NULL;
	return s;
}

static int add_depends(cJSON *step, const char *name, const char *status)
{
	cJSON *d = cJSON_GetObjectItemCaseSensitive(step, "dependsOn"), *e;

	if (!d && !(d = cJSON_AddArrayToObject(step, "dependsOn")))
		return oom();
	if (!(e = cJSON_CreateObject()) || !cJSON_AddItemToArray(d, e) ||
	    !cJSON_AddStringToObject(e, "name", name) || !cJSON_AddStringToObject(e, "status", status))
		return oom();
	return 0;
}

/* The pod spec a runtime patch gives the replicated job rjname, or NULL. */
static const cJSON *patch_podspec(const cJSON *patch, const char *rjname)
{
	const cJSON *rj = kft__json_find(kft__json_path(patch,
	                                 "trainingRuntimeSpec.template.spec.replicatedJobs"),
	                                 "name", rjname);

	return rj ? kft__json_path(rj, "template.spec.template.spec") : NULL;
}

static const cJSON *named(const cJSON *arr, const char *key, const char *value)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, arr)
		if (kft__streq(kft__json_str(it, key), value))
			return it;
	return NULL;
}

/*
 * Volume mounts for the container backend, from the runtime's pod template and
 * then the TrainJob's runtimePatches (later patches win; mounts are keyed by
 * mountPath, volumes by name, as the strategic merge patch keys them):
 *   "mounts": [{"target", "type": "bind"|"volume"|"tmpfs", "source" (bind),
 *               "readOnly", "volume"}]
 * hostPath volumes bind the host path (+ subPath); emptyDir is an anonymous
 * volume (tmpfs with medium Memory). Other kinds (PVCs, ConfigMaps, Secrets ...)
 * exist only in a cluster: skipped with a warning. The local backend runs
 * processes, so it warns that the mounts do not apply.
 */
static int add_mounts(ctx *c, cJSON *step, const cJSON *rjob, const char *cname)
{
	const char *rjname = kft__json_str(rjob, "name");
	const cJSON *podspecs[1 + 16], *p, *m;
	size_t n = 0, i, j;
	cJSON *mounts = NULL, *out;
	int error = 0, asked = 0;   /* asked: a mount comes from the TrainJob, not the runtime */

	if (!rjob || !cname)
		return 0;
	podspecs[n++] = kft__json_path(rjob, "template.spec.template.spec");
	cJSON_ArrayForEach(p, kft__json_path(c->tj, "spec.runtimePatches"))
		if (n < sizeof(podspecs) / sizeof(podspecs[0]) && (podspecs[n] = patch_podspec(p, rjname)))
			n++;
	/* the effective mounts of container cname: later ones replace earlier by mountPath */
	if (!(mounts = cJSON_CreateArray()))
		return oom();
	for (i = 0; i < n; i++) {
		cJSON_ArrayForEach(m, kft__json_get(named(kft__json_get(podspecs[i], "containers"),
		                                          "name", cname), "volumeMounts")) {
			const char *mp = kft__json_str(m, "mountPath");
			cJSON *old;
			int k = 0;

			if (!mp)
				continue;
			cJSON_ArrayForEach(old, mounts) {
				if (kft__streq(kft__json_str(old, "mountPath"), mp))
					break;
				k++;
			}
			if (old)
				cJSON_DeleteItemFromArray(mounts, k);
			asked |= i > 0;
			if (!cJSON_AddItemToArray(mounts, cJSON_Duplicate(m, 1))) {
				error = oom();
				goto done;
			}
		}
	}
	if (cJSON_GetArraySize(mounts) == 0)
		goto done;
	if (c->local) {
		/* the runtime's own mounts (a cluster's model cache, ...) are nobody's request here */
		if (asked && !c->mounts_warned++)
			kft__log(KFT_DIAG_WARN, "volume mounts apply in the container backend only; the "
			         "local backend runs its steps without them");
		else if (!asked)
			kft__log(KFT_DIAG_DEBUG, "the runtime's volume mounts are skipped: the local "
			         "backend runs processes");
		goto done;
	}
	if (!(out = cJSON_AddArrayToObject(step, "mounts"))) {
		error = oom();
		goto done;
	}
	cJSON_ArrayForEach(m, mounts) {
		const char *vname = kft__json_str(m, "name"), *mp = kft__json_str(m, "mountPath");
		const char *sub = kft__json_str(m, "subPath");
		const cJSON *vol = NULL, *hp, *ed;
		cJSON *o;

		for (j = n; j-- > 0 && !vol; )   /* the last definition of the volume wins */
			vol = named(kft__json_get(podspecs[j], "volumes"), "name", vname);
		hp = kft__json_get(vol, "hostPath");
		ed = kft__json_get(vol, "emptyDir");
		if (!vol || (!hp && !ed)) {
			kft__log(KFT_DIAG_WARN, "%s: volume %s at %s %s; not mounted", rjname,
			         vname ? vname : "?", mp, vol ? "exists only in a cluster" :
			         "is not defined");
			continue;
		}
		if (sub && (*sub == '/' || !strcmp(sub, "..") || kft__has_prefix(sub, "../") ||
		            strstr(sub, "/../") || (strlen(sub) >= 3 &&
		                                     !strcmp(sub + strlen(sub) - 3, "/..")))) {
			error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
			                       "volumeMounts[%s].subPath: Invalid value: \"%s\": must be "
			                       "a relative path without '..'", mp, sub);
			goto done;
		}
		if (!(o = cJSON_CreateObject()) || !cJSON_AddItemToArray(out, o) ||
		    !cJSON_AddStringToObject(o, "target", mp) ||
		    !cJSON_AddStringToObject(o, "volume", vname) ||
		    !cJSON_AddBoolToObject(o, "readOnly", cJSON_IsTrue(kft__json_get(m, "readOnly")))) {
			error = oom();
			goto done;
		}
		if (hp) {
			const char *path = kft__json_str(hp, "path");
			char *src;

			if (!path || *path != '/') {
				error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
				                       "volumes[%s].hostPath.path: Invalid value: must be an "
				                       "absolute path", vname);
				goto done;
			}
			src = sub && *sub ? kft__path_join(path, sub) : kft__strdup(path);
			if (!src || !cJSON_AddStringToObject(o, "type", "bind") ||
			    !cJSON_AddStringToObject(o, "source", src)) {
				free(src);
				error = oom();
				goto done;
			}
			free(src);
		} else if (!cJSON_AddStringToObject(o, "type",
		                                    kft__streq(kft__json_str(ed, "medium"), "Memory") ?
		                                    "tmpfs" : "volume")) {
			error = oom();
			goto done;
		}
	}
done:
	cJSON_Delete(mounts);
	return error;
}

static int add_common(ctx *c, cJSON *step, const cJSON *rjob, const cJSON *container,
                      const char *image)
{
	const char *wd = kft__json_str(container, "workingDir");
	const cJSON *res = kft__json_get(container, "resources");
	char *cwd;

	cwd = map_ws(c, wd ? wd : c->ws);
	if (!cwd || !cJSON_AddStringToObject(step, "cwd", cwd)) {
		free(cwd);
		return oom();
	}
	free(cwd);
	if (image && !cJSON_AddStringToObject(step, "image", image))
		return oom();
	if (res && cJSON_GetArraySize(res) > 0 &&
	    !cJSON_AddItemToObject(step, "resources", cJSON_Duplicate(res, 1)))
		return oom();
	return add_mounts(c, step, rjob, kft__json_str(container, "name"));
}

/* ---- initializers ---- */

static int add_initializer(ctx *c, cJSON *steps, const char *which, kft__strv *names)
{
	char rjname[64];
	const cJSON *rjob, *container, *init;
	const char *uri = NULL, *image;
	cJSON *step, *env, *argv;
	char *dest = NULL;
	int error;

	snprintf(rjname, sizeof(rjname), "%s-initializer", which);
	rjob = kft__runtime_rjob(c->rt, rjname);
	container = kft__rjob_container(rjob, rjname);
	init = kft__json_path(c->tj, which[0] == 'd' ? "spec.initializer.dataset" :
	                      "spec.initializer.model");
	if (!rjob && !init)
		return 0;
	if (!(env = cJSON_CreateObject()))
		return oom();
	if ((error = env_merge(c, env, kft__json_get(container, "env"), -1)) < 0 ||
	    (error = env_merge(c, env, kft__json_get(init, "env"), -1)) < 0)
		goto out;
	if (kft__json_str(init, "storageUri") && *kft__json_str(init, "storageUri"))
		error = env_put(c, env, "STORAGE_URI", kft__json_str(init, "storageUri"));
	if (error < 0)
		goto out;
	uri = kft__json_str(env, "STORAGE_URI");
	if (!uri || !*uri) {
		kft__log(KFT_DIAG_INFO, "%s: no storage URI; step skipped", rjname);
		goto out;
	}
	dest = kft__path_join(c->ws, which);
	if (!dest || (error = env_put(c, env, "OUTPUT_PATH", dest)) < 0) {
		error = error ? error : oom();
		goto out;
	}
	if (!(step = new_step(steps, rjname, "initializer"))) {
		error = oom();
		goto out;
	}
	if (!(argv = cJSON_AddArrayToObject(step, "argv"))) {
		error = oom();
		goto out;
	}
	if (c->local) {
		/* the supervisor program itself fetches/extracts the data (kft-supervisor initialize) */
		const char *a[] = { "initialize", which, uri, dest };
		size_t i;

		if (!c->o->initializer_program) {
			error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID, "the %s backend "
			                       "names no program to run initializers", c->o->backend);
			goto out;
		}
		cJSON_AddItemToArray(argv, cJSON_CreateString(c->o->initializer_program));
		for (i = 0; i < 4; i++)
			cJSON_AddItemToArray(argv, cJSON_CreateString(a[i]));
	} else {
		const cJSON *it;

		cJSON_ArrayForEach(it, kft__json_get(container, "command"))
			if (cJSON_IsString(it) && (error = add_str_mapped(c, argv, it->valuestring)) < 0)
				goto out;
		cJSON_ArrayForEach(it, kft__json_get(container, "args"))
			if (cJSON_IsString(it) && (error = add_str_mapped(c, argv, it->valuestring)) < 0)
				goto out;
	}
	cJSON_AddItemToObject(step, "env", env);
	env = NULL;
	image = kft__json_str(container, "image");
	if ((error = add_common(c, step, rjob, container, image)) < 0)
		goto out;
	error = kft__strv_push(names, rjname);
out:
	cJSON_Delete(env);
	free(dest);
	return error;
}

/* ---- nodes ---- */

/* The container command + args with the trainer's replacing the runtime's. */
static int base_argv(const ctx *c, kft__strv *out, const cJSON *container)
{
	const cJSON *cmd = kft__json_path(c->tj, "spec.trainer.command");
	const cJSON *args = kft__json_path(c->tj, "spec.trainer.args");
	const cJSON *it;
	int error = 0;

	if (!cmd)
		cmd = kft__json_get(container, "command");
	if (!args)
		args = kft__json_get(container, "args");
	cJSON_ArrayForEach(it, cmd)
		if (cJSON_IsString(it) && (error = kft__strv_push(out, it->valuestring)) < 0)
			return error;
	cJSON_ArrayForEach(it, args)
		if (cJSON_IsString(it) && (error = kft__strv_push(out, it->valuestring)) < 0)
			return error;
	return 0;
}

static int framework_env(const ctx *c, cJSON *env, int64_t rank)
{
	int error = 0;

	if (kft__streq(c->policy, "torch")) {
		error |= env_putf(c, env, "PET_NNODES", "%lld", (long long)c->nnodes);
		error |= env_put(c, env, "PET_NPROC_PER_NODE", c->nproc);
		error |= env_putf(c, env, "PET_NODE_RANK", "%lld", (long long)rank);
		if (!c->bt) {
			error |= env_put(c, env, "PET_MASTER_ADDR", c->addr);
			error |= env_putf(c, env, "PET_MASTER_PORT", "%d", c->port);
		}
		if (c->local) {
			if (!cJSON_GetObjectItemCaseSensitive(env, "PET_REDIRECTS"))
				error |= env_put(c, env, "PET_REDIRECTS", "1");
			if (!cJSON_GetObjectItemCaseSensitive(env, "PET_TEE"))
				error |= env_put(c, env, "PET_TEE", "1");
			if (!cJSON_GetObjectItemCaseSensitive(env, "PET_MONITOR_INTERVAL"))
				error |= env_put(c, env, "PET_MONITOR_INTERVAL", "0.2");
		}
	} else if (kft__streq(c->policy, "jax")) {
		error |= env_putf(c, env, "JAX_NUM_PROCESSES", "%lld", (long long)c->nnodes);
		error |= env_putf(c, env, "JAX_PROCESS_ID", "%lld", (long long)rank);
		error |= env_putf(c, env, "JAX_COORDINATOR_ADDRESS", "%s:%d", c->addr, c->port);
	} else if (kft__streq(c->policy, "xgboost")) {
		error |= env_put(c, env, "DMLC_TRACKER_URI", c->addr);
		error |= env_putf(c, env, "DMLC_TRACKER_PORT", "%d", c->port);
		error |= env_putf(c, env, "DMLC_TASK_ID", "%lld", (long long)rank);
		error |= env_putf(c, env, "DMLC_NUM_WORKER", "%lld",
		                  (long long)(c->nnodes * (c->gpus > 1 ? c->gpus : 1)));
	}
	return error ? oom() : 0;
}

static int add_node_deps(cJSON *step, const cJSON *rjob, const kft__strv *inits,
                         const kft__strv *known)
{
	const cJSON *d;
	size_t i;
	int any = 0, error;

	cJSON_ArrayForEach(d, kft__json_get(rjob, "dependsOn")) {
		const char *n = kft__json_str(d, "name"), *st = kft__json_str(d, "status");
		int found = 0;

		for (i = 0; n && i < known->n; i++)
			found |= kft__streq(known->v[i], n);
		any = 1;
		if (found && (error = add_depends(step, n, st ? st : "Complete")) < 0)
			return error;
	}
	for (i = 0; !any && i < inits->n; i++)
		if ((error = add_depends(step, inits->v[i], "Complete")) < 0)
			return error;
	return 0;
}

static int add_nodes(ctx *c, cJSON *steps, const kft__strv *inits)
{
	const cJSON *rjob = kft__runtime_trainer_rjob(c->rt);
	const cJSON *container = kft__rjob_container(rjob, "node");
	const char *image = kft__json_path(c->tj, "spec.trainer.image") ?
	                    kft__json_str(kft__json_path(c->tj, "spec.trainer"), "image") :
	                    kft__json_str(container, "image");
	kft__strv base = KFT__STRV_INIT;
	int64_t r;
	int error;

	if (!rjob || !container)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "runtime %s: no trainer replicated job with a container \"node\"",
		                      kft_runtime_name(c->rt));
	if ((error = base_argv(c, &base, container)) < 0)
		goto out;
	if (base.n == 0 && !(c->bt && c->bt->local_command)) {
		error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                       "spec.trainer.command: Required value: runtime %s has no command "
		                       "for its node container, so the TrainJob must set one (or use "
		                       "a script trainer)", kft_runtime_name(c->rt));
		goto out;
	}
	for (r = 0; r < c->nnodes; r++) {
		char name[32], rdzv[128];
		kft__strv argv = KFT__STRV_INIT;
		cJSON *step, *env, *arr;
		size_t i;

		snprintf(name, sizeof(name), "node-%lld", (long long)r);
		snprintf(rdzv, sizeof(rdzv), "%s:%d", c->addr, c->port);
		if (!(step = new_step(steps, name, "node")) ||
		    !cJSON_AddNumberToObject(step, "rank", (double)r)) {
			error = oom();
			goto out;
		}
		if ((error = add_node_deps(step, rjob, inits, inits)) < 0)
			goto out;
		if (c->bt && c->bt->local_command)
			error = c->bt->local_command(&argv, c->tj, c->rt, c->nnodes, c->nproc, c->gpus,
			                             rdzv, c->ws);
		else
			for (i = 0; !error && i < base.n; i++)
				error = kft__strv_push(&argv, base.v[i]);
		if (!error && !(arr = cJSON_AddArrayToObject(step, "argv")))
			error = oom();
		for (i = 0; !error && i < argv.n; i++)
			error = add_str_mapped(c, arr, argv.v[i]);
		kft__strv_free(&argv);
		if (error < 0)
			goto out;
		if (!(env = cJSON_AddObjectToObject(step, "env"))) {
			error = oom();
			goto out;
		}
		if ((error = env_merge(c, env, kft__json_get(container, "env"), r)) < 0 ||
		    (error = env_merge(c, env, kft__json_path(c->tj, "spec.trainer.env"), r)) < 0 ||
		    (error = framework_env(c, env, r)) < 0 ||
		    (error = env_putf(c, env, "JOB_COMPLETION_INDEX", "%lld", (long long)r)) < 0)
			goto out;
		if ((error = add_common(c, step, rjob, container, image)) < 0)
			goto out;
		/* the TrainJob's resourcesPerNode replaces the runtime's (as the controller does) */
		if (kft__json_path(c->tj, "spec.trainer.resourcesPerNode") &&
		    kft__json_set(step, "resources",
		                  cJSON_Duplicate(kft__json_path(c->tj,
		                                  "spec.trainer.resourcesPerNode"), 1)) < 0) {
			error = kft__error_oom();
			goto out;
		}
	}
out:
	kft__strv_free(&base);
	return error;
}

/*
 * Container MPI: the job's SSH key pair (the controller's <job>-mpi-ssh-auth
 * Secret) at sshAuthMountPath in the launcher and every sshd node; the
 * container backend makes the keys and binds them read-only.
 */
static int add_ssh_auth(cJSON *step, const char *path, const cJSON *rjob)
{
	cJSON *mounts = (cJSON *)kft__json_get(step, "mounts"), *o;
	const cJSON *fsg = kft__json_path(rjob, "template.spec.template.spec.securityContext.fsGroup");

	if ((!mounts && !(mounts = cJSON_AddArrayToObject(step, "mounts"))) ||
	    !(o = cJSON_CreateObject()) || !cJSON_AddItemToArray(mounts, o) ||
	    !cJSON_AddStringToObject(o, "target", path) ||
	    !cJSON_AddStringToObject(o, "volume", "mpi-ssh-auth") ||
	    !cJSON_AddBoolToObject(o, "readOnly", 1) ||
	    !cJSON_AddStringToObject(o, "type", "ssh-auth") ||
	    (cJSON_IsNumber(fsg) && !cJSON_AddNumberToObject(o, "fsGroup", fsg->valuedouble)))
		return oom();
	return 0;
}

/* MPI: launcher (+ sshd nodes for the container backend) and a hostfile. */
static int add_mpi(ctx *c, cJSON *plan, cJSON *steps, const kft__strv *inits)
{
	const cJSON *mpi = kft__json_path(kft__runtime_doc(c->rt), "spec.mlPolicy.mpi");
	const cJSON *launch_as_node = kft__json_get(mpi, "runLauncherAsNode");
	const cJSON *tnp = kft__json_path(c->tj, "spec.trainer.numProcPerNode");
	const cJSON *rnp = kft__json_get(mpi, "numProcPerNode");
	const cJSON *lrjob = kft__runtime_rjob(c->rt, "launcher");
	const cJSON *nrjob = kft__runtime_rjob(c->rt, "node");
	const cJSON *lcont = kft__rjob_container(lrjob, "node");
	const cJSON *ncont = kft__rjob_container(nrjob, "node");
	const cJSON *trainer_cont = lcont ? lcont : ncont;
	const char *ssh_path = kft__json_str(mpi, "sshAuthMountPath");
	const char *image;
	int64_t slots, node_pods, hosts, i;
	kft__buf hostfile = KFT__BUF_INIT;
	kft__strv base = KFT__STRV_INIT;
	char *hpath = NULL, *kdir = NULL;
	cJSON *step, *env, *arr, *files, *f;
	int error = 0;

	if (!trainer_cont)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "runtime %s: no launcher or node container \"node\"",
		                      kft_runtime_name(c->rt));
	image = kft__json_str(kft__json_path(c->tj, "spec.trainer"), "image");
	if (!image)
		image = kft__json_str(trainer_cont, "image");
	if (!ssh_path || *ssh_path != '/')
		ssh_path = "/root/.ssh";   /* the API's default */
	slots = kft__json_int(tnp, INT64_MIN, INT64_MAX, kft__json_int(rnp, INT64_MIN, INT64_MAX, 1));
	c->gpus = gpu_count(node_resources(c, trainer_cont));
	if (slots == 1 && c->gpus > 1)
		slots = c->gpus;
	if (cJSON_IsTrue(launch_as_node))
		node_pods = c->nnodes - 1 > 1 ? c->nnodes - 1 : 1;
	else
		node_pods = c->nnodes;
	hosts = node_pods + (cJSON_IsTrue(launch_as_node) ? 1 : 0);
	snprintf(c->nproc, sizeof(c->nproc), "%lld", (long long)slots);
	if (c->local) {
		kdir = kft__path_join(c->ws, ".kft");
		hpath = kdir ? kft__path_join(kdir, "hostfile") : NULL;
		kft__buf_printf(&hostfile, "localhost slots=%lld\n", (long long)(hosts * slots));
	} else {
		hpath = kft__strdup("/etc/mpi/hostfile");
		for (i = 0; i < node_pods; i++)
			kft__buf_printf(&hostfile, "%s-node-%lld slots=%lld\n", c->name, (long long)i,
			                (long long)slots);
		if (cJSON_IsTrue(launch_as_node))
			kft__buf_printf(&hostfile, "%s-launcher slots=%lld\n", c->name, (long long)slots);
	}
	if (!hpath || hostfile.oom) {
		error = oom();
		goto out;
	}
	if (!(files = cJSON_AddArrayToObject(plan, "files")) || !(f = cJSON_CreateObject()) ||
	    !cJSON_AddItemToArray(files, f) || !cJSON_AddStringToObject(f, "path", hpath) ||
	    !cJSON_AddStringToObject(f, "content", hostfile.ptr) ||
	    !cJSON_AddNumberToObject(f, "mode", 0444)) {
		error = oom();
		goto out;
	}
	/* container backend: sshd worker nodes, as in the cluster */
	for (i = 0; !c->local && ncont && i < node_pods; i++) {
		char name[32];
		kft__strv nargv = KFT__STRV_INIT;
		const cJSON *it;

		snprintf(name, sizeof(name), "node-%lld", (long long)i);
		if (!(step = new_step(steps, name, "node")) ||
		    !cJSON_AddNumberToObject(step, "rank", (double)i) ||
		    !(arr = cJSON_AddArrayToObject(step, "argv")) ||
		    !(env = cJSON_AddObjectToObject(step, "env"))) {
			error = oom();
			goto out;
		}
		cJSON_ArrayForEach(it, kft__json_get(ncont, "command"))
			kft__strv_push(&nargv, it->valuestring);
		cJSON_ArrayForEach(it, kft__json_get(ncont, "args"))
			kft__strv_push(&nargv, it->valuestring);
		for (size_t k = 0; !error && k < nargv.n; k++)
			error = add_str_mapped(c, arr, nargv.v[k]);
		kft__strv_free(&nargv);
		if (!error)
			error = env_merge(c, env, kft__json_get(ncont, "env"), i);
		if (!error)
			error = add_common(c, step, nrjob, ncont, kft__json_str(ncont, "image"));
		if (!error)
			error = add_ssh_auth(step, ssh_path, nrjob);
		if (!error)
			error = add_node_deps(step, nrjob, inits, inits);
		if (error < 0)
			goto out;
	}
	if (!(step = new_step(steps, "launcher", "launcher"))) {
		error = oom();
		goto out;
	}
	if (!c->local && ncont)
		for (i = 0; i < node_pods; i++) {
			char name[32];

			snprintf(name, sizeof(name), "node-%lld", (long long)i);
			if ((error = add_depends(step, name, "Ready")) < 0)
				goto out;
		}
	if ((error = add_node_deps(step, lrjob ? lrjob : nrjob, inits, inits)) < 0)
		goto out;
	if ((error = base_argv(c, &base, lrjob ? lcont : ncont)) < 0)
		goto out;
	if (base.n == 0) {
		error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                       "spec.trainer.command: Required value: runtime %s has no launcher "
		                       "command, so the TrainJob must set one (e.g. mpirun --hostfile "
		                       "/etc/mpi/hostfile python train.py)", kft_runtime_name(c->rt));
		goto out;
	}
	if (!(arr = cJSON_AddArrayToObject(step, "argv")) ||
	    !(env = cJSON_AddObjectToObject(step, "env"))) {
		error = oom();
		goto out;
	}
	for (i = 0; i < (int64_t)base.n; i++) {
		const char *s = base.v[i];

		if (c->local && kft__streq(s, "/etc/mpi/hostfile"))
			s = hpath;
		if ((error = add_str_mapped(c, arr, s)) < 0)
			goto out;
	}
	if ((error = env_merge(c, env, kft__json_get(trainer_cont, "env"), 0)) < 0 ||
	    (error = env_merge(c, env, kft__json_path(c->tj, "spec.trainer.env"), 0)) < 0)
		goto out;
	error |= env_put(c, env, "OMPI_MCA_orte_default_hostfile", hpath);
	error |= env_put(c, env, "OMPI_MCA_orte_keep_fqdn_hostnames", "true");
	error |= env_putf(c, env, "OMPI_MCA_orte_set_default_slots", "%lld", (long long)slots);
	error |= env_put(c, env, "OMPI_MCA_plm_rsh_args", "-o ConnectionAttempts=10");
	if (c->local && geteuid() == 0) {
		/* local runs as root: OpenMPI refuses without these */
		error |= env_put(c, env, "OMPI_ALLOW_RUN_AS_ROOT", "1");
		error |= env_put(c, env, "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
	}
	if (error < 0 ||
	    (error = add_common(c, step, lrjob ? lrjob : nrjob, trainer_cont, image)) < 0)
		goto out;
	if (!c->local && (error = add_ssh_auth(step, ssh_path, lrjob ? lrjob : nrjob)) < 0)
		goto out;
out:
	kft__buf_free(&hostfile);
	kft__strv_free(&base);
	free(hpath);
	free(kdir);
	return error;
}

int kft__plan_compile(cJSON **out, const cJSON *trainjob, const kft_runtime_t *rt,
                      const kft__plan_opts *opts)
{
	ctx c;
	cJSON *plan = NULL, *steps;
	const cJSON *nn, *deadline;
	kft__strv inits = KFT__STRV_INIT;
	int error = 0;

	KFT_ASSERT_ARG(out && trainjob && rt && opts && opts->workspace);
	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.tj = trainjob;
	c.rt = rt;
	c.o = opts;
	c.name = opts->job_name ? opts->job_name :
	         kft__json_str(kft__json_get(trainjob, "metadata"), "name");
	c.ws = opts->workspace;
	c.addr = opts->master_addr ? opts->master_addr : "127.0.0.1";
	c.local = !kft__streq(opts->backend, "container");
	c.policy = kft_runtime_policy(rt);
	c.bt = kft__builtin_for_doc(trainjob);
	if (!c.name)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "metadata.name: Required value");
	nn = kft__json_path(trainjob, "spec.trainer.numNodes");
	c.nnodes = kft__json_int(nn, INT64_MIN, INT64_MAX, kft_runtime_num_nodes(rt));
	if (c.nnodes < 1)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "spec.trainer.numNodes: must be at least 1 to run (got %lld)",
		                      (long long)c.nnodes);
	c.port = opts->master_port;
	if (c.port <= 0 && (error = free_port(&c.port)) < 0)
		return error;
	compute_nproc(&c, kft__rjob_container(kft__runtime_trainer_rjob(rt), "node"));

	if (!(plan = cJSON_CreateObject()))
		return oom();
	error |= !cJSON_AddStringToObject(plan, "apiVersion", "kftrainer.dev/v1");
	error |= !cJSON_AddStringToObject(plan, "kind", "Plan");
	error |= !cJSON_AddStringToObject(plan, "job", c.name);
	error |= !cJSON_AddStringToObject(plan, "runtime", kft_runtime_name(rt));
	error |= !cJSON_AddStringToObject(plan, "backend", c.local ? "local" : "container");
	error |= !cJSON_AddStringToObject(plan, "workspace", c.ws);
	error |= !cJSON_AddStringToObject(plan, "masterAddr", c.addr);
	error |= !cJSON_AddNumberToObject(plan, "masterPort", c.port);
	error |= !cJSON_AddStringToObject(plan, "policy", c.policy);
	error |= !cJSON_AddNumberToObject(plan, "numNodes", (double)c.nnodes);
	deadline = kft__json_path(trainjob, "spec.activeDeadlineSeconds");
	if (cJSON_IsNumber(deadline))
		error |= !cJSON_AddNumberToObject(plan, "activeDeadlineSeconds", deadline->valuedouble);
	if (cJSON_IsTrue(kft__json_path(trainjob, "spec.suspend")))
		error |= !cJSON_AddBoolToObject(plan, "suspend", 1);
	if (error || !(steps = cJSON_AddArrayToObject(plan, "steps"))) {
		error = oom();
		goto out;
	}
	if ((error = add_initializer(&c, steps, "dataset", &inits)) < 0 ||
	    (error = add_initializer(&c, steps, "model", &inits)) < 0)
		goto out;
	if (kft__streq(c.policy, "mpi"))
		error = add_mpi(&c, plan, steps, &inits);
	else
		error = add_nodes(&c, steps, &inits);
	if (error < 0)
		goto out;
	*out = plan;
	plan = NULL;
out:
	kft__strv_free(&inits);
	cJSON_Delete(plan);
	return error;
}
