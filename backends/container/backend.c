/*
 * The container backend: runs a TrainJob's planned steps as containers in
 * dockerd or podman (Docker Engine API over a unix socket, engine.c).
 * SPDX-License-Identifier: Apache-2.0
 *
 * Design (DESIGN.md section 4): the job belongs to the local backend's store
 * and supervisor, with the supervisor's container runner:
 *
 *  - submit compiles the plan (kft__plan_compile, backend "container",
 *    workspace "/workspace"), checks every image against the pull policy
 *    before creating anything, writes the job into the store
 *    (<state_dir>/container/jobs/JOB/, see backends/runner/store.h) with the
 *    plan's files, creates the per-job network (bridge mode) and one
 *    container per step, named <job>-<step>, labelled
 *    trainer.kubeflow.org/{trainjob-name,step,runtime} plus kftrainer.dev/
 *    labels (planned steps, workspace, job dir, created time, deadline,
 *    role), then starts kft-supervisor and returns: it does not wait for
 *    initializers. Any failure before that removes everything created.
 *    The plan the supervisor runs says "runner": "container", names the
 *    engine socket, and carries each step's container name and create body.
 *  - the supervisor runs each step as kft-container-step (step.c): start
 *    the container, copy its log stream to logs/STEP.log, wait on the
 *    engine, exit with the container's code, stop it on SIGTERM. Fail-fast,
 *    activeDeadlineSeconds, dependsOn order, MPI launcher completion,
 *    suspend/resume and cancel are the supervisor's, as for local jobs, so
 *    they hold with nobody observing the job.
 *  - get/wait/logs/events read the store (event-driven, like local jobs), so
 *    get and wait always agree; when the state dir was lost, get/list/wait/
 *    logs/events fall back to rebuilding the job from container labels and
 *    inspect data (judge(), which also stops what a finished job left running,
 *    since no supervisor is left to do it) and the engine's event and log
 *    streams.
 *  - delete cancels through the supervisor (SIGTERM, grace, SIGKILL per
 *    container), then removes the containers, the network and the job
 *    directory, also for half-created jobs the store does not know.
 *
 * Network modes (client opts network / --network): "host" (default; master
 * 127.0.0.1 and a free port), "bridge" (a per-job network <job>-net with
 * container-name DNS; master <job>-node-0:29500), "internal" (the same
 * network created with Internal: true, no route out; used by the tests).
 * Extra bind mounts: $KFT_CONTAINER_MOUNTS, comma-separated docker bind
 * specs "SRC:DST[:ro]" added to every container (e.g. the host's /usr to
 * run Debian's torch in a near-empty image).
 */
#include "container.h"
#include "plan.h"
#include "../runner/store.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define L_JOB "trainer.kubeflow.org/trainjob-name"
#define L_STEP "trainer.kubeflow.org/step"
#define L_RUNTIME "trainer.kubeflow.org/runtime"
#define L_STEPS "kftrainer.dev/steps"
#define L_ROLE "kftrainer.dev/role"
#define L_WORKSPACE "kftrainer.dev/workspace"
#define L_JOBDIR "kftrainer.dev/job-dir"
#define L_CREATED "kftrainer.dev/created-ms"
#define L_DEADLINE "kftrainer.dev/active-deadline-seconds"
#define L_NODES "kftrainer.dev/num-nodes"
#define L_NETWORK "kftrainer.dev/network"
#define L_SUSPENDED "kftrainer.dev/suspended"

#define DEFAULT_GRACE_MS 10000
/* delete: beyond the grace period, time for the supervisor to stop every container */
#define CONTAINER_CANCEL_EXTRA_MS 15000

typedef struct {
	kft_backend_t base;
	kft__engine *eng;
	char *host, *pull_policy, *network, *state_dir, *runtime_path;
	char *root;               /* the job store: <state dir>/container (jobs/<name>/...) */
	int64_t timeout_ms;
	kft__store_children pending;   /* supervisor first processes not reaped yet */
} cbackend;


/* The job's store directory <state>/container/jobs/<name>. */
static int store_dir(char **out, cbackend *b, const char *name)
{
	return kft__store_job_dir(out, b->root, name);
}

/* 1 if the job has a supervisor-owned record in the store, 0 if not (or on error). */
static int in_store(cbackend *b, const char *name)
{
	char *dir = NULL, *st = NULL;
	struct stat sb;
	int r = 0;

	if (store_dir(&dir, b, name) == 0 && (st = kft__path_join(dir, KFT__STORE_STATE)) != NULL)
		r = stat(st, &sb) == 0;
	kft_error_clear();
	free(st);
	free(dir);
	return r;
}

static int engine(kft__engine **out, cbackend *b)
{
	int error;

	if (!b->eng && (error = kft__engine_open(&b->eng, b->host, b->timeout_ms)) < 0)
		return error;
	*out = b->eng;
	return 0;
}

static const char *net_mode(const cbackend *b)
{
	return b->network && *b->network ? b->network : "host";
}

static int check_net_mode(const cbackend *b)
{
	const char *m = net_mode(b);

	if (strcmp(m, "host") && strcmp(m, "bridge") && strcmp(m, "internal"))
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "network \"%s\": must be host, bridge or internal", m);
	return 0;
}

/* ---- plan ---- */

static int compile_plan(cJSON **out, cJSON **doc, cbackend *b, const kft_spec_t *spec)
{
	kft_runtime_t *rt = NULL;
	cJSON *tj = NULL;
	kft__plan_opts po;
	char master[128];
	int error, bridge = strcmp(net_mode(b), "host") != 0;

	*out = NULL;
	if ((error = check_net_mode(b)) < 0)
		return error;
	if ((error = kft__catalog_get(&rt, b->runtime_path, kft_spec_runtime_name(spec))) < 0)
		return error;
	if ((error = kft__spec_finalize(&tj, spec, rt)) < 0)
		goto out;
	snprintf(master, sizeof(master), "%s-node-0", kft_spec_name(spec));
	memset(&po, 0, sizeof(po));
	po.job_name = kft_spec_name(spec);
	po.backend = "container";
	po.workspace = "/workspace";
	po.master_addr = bridge ? master : "127.0.0.1";
	po.master_port = bridge ? 29500 : 0;
	error = kft__plan_compile(out, tj, rt, &po);
out:
	if (doc && error == 0) {
		*doc = tj;
		tj = NULL;
	}
	cJSON_Delete(tj);
	kft_runtime_free(rt);
	return error;
}

static int be_render_plan(char **out, kft_backend_t *be, const kft_spec_t *spec,
                          const kft_render_opts_t *opts)
{
	cJSON *plan = NULL;
	int error;

	if ((error = compile_plan(&plan, NULL, (cbackend *)be, spec)) < 0)
		return error;
	error = kft__render_doc(out, plan, opts->format);
	cJSON_Delete(plan);
	return error;
}

/* ---- container bodies ---- */

static int add_bind(cJSON *binds, const char *spec)
{
	cJSON *s = cJSON_CreateString(spec);

	if (!s || !cJSON_AddItemToArray(binds, s)) {
		cJSON_Delete(s);
		return kft__error_oom();
	}
	return 0;
}

/*
 * Requests as the kubelet maps them to cgroups: cpu to CpuShares (1024 per CPU,
 * at least 2), memory to a soft limit (MemoryReservation). A request never caps.
 */
static int add_requests(cJSON *hc, const cJSON *step)
{
	const cJSON *req = kft__json_path(step, "resources.requests");
	const char *names[] = { "cpu", "memory" };
	size_t i;
	int error;

	for (i = 0; i < 2; i++) {
		const cJSON *it = kft__json_get(req, names[i]);
		const char *v = cJSON_IsString(it) ? it->valuestring : NULL;
		char what[160], num[32];
		int64_t q;

		if (!it)
			continue;
		if (cJSON_IsNumber(it)) {
			snprintf(num, sizeof(num), "%.9g", it->valuedouble);
			v = num;
		}
		snprintf(what, sizeof(what), "steps[%s].resources.requests.%s",
		         kft__json_str(step, "name") ? kft__json_str(step, "name") : "?", names[i]);
		if ((error = kft__quantity_parse(&q, v, i == 0 ? 1000 : 1, what)) < 0)
			return error;
		if (i == 0) {   /* q is milli-CPUs */
			int64_t shares = q * 1024 / 1000;

			if (!cJSON_AddNumberToObject(hc, "CpuShares", (double)(shares < 2 ? 2 : shares)))
				return kft__error_oom();
		} else if (!cJSON_AddNumberToObject(hc, "MemoryReservation", (double)q)) {
			return kft__error_oom();
		}
	}
	return 0;
}

/* Resources: cpu/memory limits, GPUs (Docker device requests, podman CDI names). */
static int add_resources(cJSON *hc, const cJSON *step, int podman)
{
	const cJSON *lim = kft__json_path(step, "resources.limits"), *it;
	int error;

	if ((error = add_requests(hc, step)) < 0)
		return error;

	cJSON_ArrayForEach(it, lim) {
		const char *v = cJSON_IsString(it) ? it->valuestring : NULL;
		char what[160], num[32];
		int64_t q;

		if (cJSON_IsNumber(it)) {
			snprintf(num, sizeof(num), "%.9g", it->valuedouble);
			v = num;
		}
		snprintf(what, sizeof(what), "steps[%s].resources.limits.%s",
		         kft__json_str(step, "name") ? kft__json_str(step, "name") : "?",
		         it->string);
		if (!strcmp(it->string, "cpu")) {
			if ((error = kft__quantity_parse(&q, v, 1e9, what)) < 0)
				return error;
			if (!cJSON_AddNumberToObject(hc, "NanoCpus", (double)q))
				return kft__error_oom();
		} else if (!strcmp(it->string, "memory")) {
			if ((error = kft__quantity_parse(&q, v, 1, what)) < 0)
				return error;
			/* same swap limit: the container is OOM-killed instead of swapping */
			if (!cJSON_AddNumberToObject(hc, "Memory", (double)q) ||
			    !cJSON_AddNumberToObject(hc, "MemorySwap", (double)q))
				return kft__error_oom();
		} else if (strstr(it->string, "/gpu")) {
			cJSON *arr, *d;
			char vendor[64];
			int64_t i;

			if ((error = kft__quantity_parse(&q, v, 1, what)) < 0)
				return error;
			if (q == 0)
				continue;
			snprintf(vendor, sizeof(vendor), "%.*s", (int)(strchr(it->string, '/') -
			         it->string), it->string);
			if (podman) {   /* CDI device names: nvidia.com/gpu=0 ... */
				if (!(arr = kft__json_get(hc, "Devices") ? (cJSON *)kft__json_get(hc, "Devices")
				                                          : cJSON_AddArrayToObject(hc, "Devices")))
					return kft__error_oom();
				for (i = 0; i < q; i++) {
					char cdi[128];

					snprintf(cdi, sizeof(cdi), "%s=%lld", it->string, (long long)i);
					if (!(d = cJSON_CreateObject()) || !cJSON_AddItemToArray(arr, d) ||
					    !cJSON_AddStringToObject(d, "PathOnHost", cdi) ||
					    !cJSON_AddStringToObject(d, "PathInContainer", "") ||
					    !cJSON_AddStringToObject(d, "CgroupPermissions", "rwm"))
						return kft__error_oom();
				}
			} else {
				cJSON *caps, *cap;

				if (!(arr = kft__json_get(hc, "DeviceRequests") ?
				      (cJSON *)kft__json_get(hc, "DeviceRequests") :
				      cJSON_AddArrayToObject(hc, "DeviceRequests")))
					return kft__error_oom();
				if (!(d = cJSON_CreateObject()) || !cJSON_AddItemToArray(arr, d) ||
				    !cJSON_AddStringToObject(d, "Driver",
				                             !strcmp(vendor, "nvidia.com") ? "nvidia" : vendor) ||
				    !cJSON_AddNumberToObject(d, "Count", (double)q) ||
				    !(caps = cJSON_AddArrayToObject(d, "Capabilities")) ||
				    !(cap = cJSON_CreateStringArray((const char *[]){ "gpu" }, 1)) ||
				    !cJSON_AddItemToArray(caps, cap))
					return kft__error_oom();
			}
		}
	}
	return 0;
}

int kft__container_body(cJSON **out, const body_ctx *c, const cJSON *step)
{
	cJSON *body = cJSON_CreateObject(), *labels, *env, *hc, *binds, *ep, *arr;
	const char *name = kft__json_str(step, "name"), *image = kft__json_str(step, "image");
	const char *cwd = kft__json_str(step, "cwd"), *mounts = getenv("KFT_CONTAINER_MOUNTS");
	const cJSON *argv = kft__json_get(step, "argv"), *it;
	char host[256], bind[4200];
	int error = 0, n = 0;

	*out = NULL;
	if (!body)
		return kft__error_oom();
	if (!name || !image) {
		error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                       "plan step %s: %s is required for containers",
		                       name ? name : "(unnamed)", name ? "image" : "name");
		goto out;
	}
	snprintf(host, sizeof(host), "%s-%s", c->job, name);
	if (strlen(host) > 63)   /* a hostname label; the container name is not affected */
		host[63] = '\0';
	/* host mode keeps the host's name (resolvable from its /etc/hosts, no DNS query) */
	if (!cJSON_AddStringToObject(body, "Image", image) ||
	    (strcmp(c->network, "host") && !cJSON_AddStringToObject(body, "Hostname", host)) ||
	    !(labels = cJSON_AddObjectToObject(body, "Labels")) ||
	    !cJSON_AddStringToObject(labels, L_JOB, c->job) ||
	    !cJSON_AddStringToObject(labels, L_STEP, name) ||
	    !cJSON_AddStringToObject(labels, L_RUNTIME, c->runtime ? c->runtime : "") ||
	    !cJSON_AddStringToObject(labels, L_ROLE, kft__json_str(step, "role") ?
	                             kft__json_str(step, "role") : "node") ||
	    !cJSON_AddStringToObject(labels, L_STEPS, c->steps) ||
	    !cJSON_AddStringToObject(labels, L_JOBDIR, c->jobdir) ||
	    !cJSON_AddStringToObject(labels, L_WORKSPACE, c->workspace) ||
	    !cJSON_AddStringToObject(labels, L_CREATED, c->created) ||
	    !cJSON_AddStringToObject(labels, L_NODES, c->nodes) ||
	    !cJSON_AddStringToObject(labels, L_NETWORK, c->network) ||
	    (c->deadline && !cJSON_AddStringToObject(labels, L_DEADLINE, c->deadline)) ||
	    (c->suspended && !cJSON_AddStringToObject(labels, L_SUSPENDED, "true")) ||
	    !(env = cJSON_AddArrayToObject(body, "Env")))
		goto oom;
	cJSON_ArrayForEach(it, kft__json_get(step, "env")) {
		kft__buf kv = KFT__BUF_INIT;
		cJSON *s;

		if (!cJSON_IsString(it))
			continue;
		kft__buf_printf(&kv, "%s=%s", it->string, it->valuestring);
		if (kv.oom || !(s = cJSON_CreateString(kv.ptr)) || !cJSON_AddItemToArray(env, s)) {
			kft__buf_free(&kv);
			goto oom;
		}
		kft__buf_free(&kv);
	}
	/* argv[0] replaces the image's entrypoint, the rest its CMD (as "command" in a pod) */
	if (cJSON_GetArraySize(argv) > 0) {
		cJSON *ent = cJSON_AddArrayToObject(body, "Entrypoint");
		cJSON *cmd = cJSON_AddArrayToObject(body, "Cmd");

		if (!ent || !cmd)
			goto oom;
		cJSON_ArrayForEach(it, argv) {
			cJSON *s = cJSON_IsString(it) ? cJSON_CreateString(it->valuestring) : NULL;

			if (!s || !cJSON_AddItemToArray(n++ ? cmd : ent, s)) {
				cJSON_Delete(s);
				if (!cJSON_IsString(it)) {
					error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
					                       "plan step %s: argv[%d] is not a string",
					                       name, n - 1);
					goto out;
				}
				goto oom;
			}
		}
	}
	if (cwd && !cJSON_AddStringToObject(body, "WorkingDir", cwd))
		goto oom;
	if (!(hc = cJSON_AddObjectToObject(body, "HostConfig")) ||
	    !(binds = cJSON_AddArrayToObject(hc, "Binds")))
		goto oom;
	snprintf(bind, sizeof(bind), "%s:/workspace:rw", c->workspace);
	if ((error = add_bind(binds, bind)) < 0)
		goto out;
	cJSON_ArrayForEach(it, c->files) {
		const char *p = kft__json_str(it, "path");

		if (!p || kft__has_prefix(p, "/workspace/"))
			continue;
		snprintf(bind, sizeof(bind), "%s/files%s:%s:ro", c->jobdir, p, p);
		if ((error = add_bind(binds, bind)) < 0)
			goto out;
	}
	cJSON_ArrayForEach(it, kft__json_get(step, "mounts")) {   /* the TrainJob's volumes */
		const char *type = kft__json_str(it, "type"), *target = kft__json_str(it, "target");
		int ro = cJSON_IsTrue(kft__json_get(it, "readOnly"));

		if (!type || !target || *target != '/') {
			error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
			                       "plan step %s: a mount needs a type and an absolute target",
			                       name);
			goto out;
		}
		if (!strcmp(type, "ssh-auth")) {   /* the job's MPI keys (made at submit) */
			if ((size_t)snprintf(bind, sizeof(bind), "%s/ssh:%s:ro", c->jobdir, target) >=
			    sizeof(bind) || strchr(target, ':')) {
				error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
				                       "sshAuthMountPath %s: too long or contains ':'",
				                       target);
				goto out;
			}
			if ((error = add_bind(binds, bind)) < 0)
				goto out;
		} else if (!strcmp(type, "bind")) {
			const char *src = kft__json_str(it, "source");

			if (!src || *src != '/' || strchr(src, ':') || strchr(target, ':')) {
				error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
				                       "volume %s: host path and mount path must be absolute "
				                       "and contain no ':'", kft__json_str(it, "volume"));
				goto out;
			}
			if ((size_t)snprintf(bind, sizeof(bind), "%s:%s:%s", src, target,
			                     ro ? "ro" : "rw") >= sizeof(bind)) {
				error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
				                       "volume %s: paths too long",
				                       kft__json_str(it, "volume"));
				goto out;
			}
			if ((error = add_bind(binds, bind)) < 0)
				goto out;
		} else {   /* emptyDir: an anonymous volume, removed with the container */
			cJSON *marr = (cJSON *)kft__json_get(hc, "Mounts"), *mo;

			if ((!marr && !(marr = cJSON_AddArrayToObject(hc, "Mounts"))) ||
			    !(mo = cJSON_CreateObject()) || !cJSON_AddItemToArray(marr, mo) ||
			    !cJSON_AddStringToObject(mo, "Target", target) ||
			    !cJSON_AddStringToObject(mo, "Type", !strcmp(type, "tmpfs") ? "tmpfs" : "volume") ||
			    !cJSON_AddBoolToObject(mo, "ReadOnly", ro))
				goto oom;
		}
	}
	while (mounts && *mounts) {
		const char *comma = strchr(mounts, ',');
		size_t len = comma ? (size_t)(comma - mounts) : strlen(mounts);

		if (len > 0 && len < sizeof(bind)) {
			snprintf(bind, sizeof(bind), "%.*s", (int)len, mounts);
			if ((error = add_bind(binds, bind)) < 0)
				goto out;
		}
		mounts = comma ? comma + 1 : NULL;
	}
	if ((error = add_resources(hc, step, c->podman)) < 0)
		goto out;
	if (!strcmp(c->network, "host")) {
		if (!cJSON_AddStringToObject(hc, "NetworkMode", "host"))
			goto oom;
	} else {
		if (!cJSON_AddStringToObject(hc, "NetworkMode", c->network) ||
		    !(ep = cJSON_AddObjectToObject(body, "NetworkingConfig")) ||
		    !(ep = cJSON_AddObjectToObject(ep, "EndpointsConfig")) ||
		    !(ep = cJSON_AddObjectToObject(ep, c->network)) ||
		    !(arr = cJSON_AddArrayToObject(ep, "Aliases")) ||
		    !cJSON_AddItemToArray(arr, cJSON_CreateString(host)))
			goto oom;
	}
	*out = body;
	return 0;
oom:
	error = kft__error_oom();
out:
	cJSON_Delete(body);
	return error;
}

/* ---- job state from the engine ---- */

/* Docker time "2026-11-29T09:03:13.063631103Z" (or +hh:mm) -> Unix ms; 0 unknown/zero. */

typedef struct {
	char *step, *id, *cname, *role;
	cJSON *insp;              /* inspect data */
	const char *status;       /* State.Status */
	int exit_code, oom;
	int64_t started, finished;
} cstep;

typedef struct {
	char *name;
	cstep *s;
	size_t n;
	cJSON *labels;            /* a copy of the first container's labels */
} cjob;

static void cjob_clear(cjob *j)
{
	size_t i;

	for (i = 0; i < j->n; i++) {
		free(j->s[i].step);
		free(j->s[i].id);
		free(j->s[i].cname);
		free(j->s[i].role);
		cJSON_Delete(j->s[i].insp);
	}
	free(j->s);
	free(j->name);
	cJSON_Delete(j->labels);
	memset(j, 0, sizeof(*j));
}

static const char *label(const cjob *j, const char *key)
{
	return kft__json_str(j->labels, key);
}

static int cstep_fill(cstep *s)
{
	const cJSON *st = kft__json_get(s->insp, "State"), *ec = kft__json_get(st, "ExitCode");

	s->status = kft__json_str(st, "Status");
	if (!s->status)
		s->status = "unknown";
	s->exit_code = (int)kft__json_int(ec, INT_MIN, INT_MAX, -1);
	s->oom = cJSON_IsTrue(kft__json_get(st, "OOMKilled"));
	s->started = kft__time_rfc3339_ms(kft__json_str(st, "StartedAt"));
	s->finished = kft__time_rfc3339_ms(kft__json_str(st, "FinishedAt"));
	if (s->finished && s->finished < s->started)   /* docker stamps fast exits that way */
		s->finished = s->started;
	return 0;
}

/* Load one job's containers (from a container list filtered to it). */
static int cjob_load(cjob *j, kft__engine *e, const char *name, const cJSON *list)
{
	const cJSON *c;
	int error;

	memset(j, 0, sizeof(*j));
	if ((j->name = kft__strdup(name)) == NULL)
		return kft__error_oom();
	cJSON_ArrayForEach(c, list) {
		const cJSON *labels = kft__json_get(c, "Labels");
		const char *id = kft__json_str(c, "Id"), *step = kft__json_str(labels, L_STEP);
		const cJSON *names = kft__json_get(c, "Names");
		const char *cname = cJSON_IsArray(names) && cJSON_IsString(cJSON_GetArrayItem(names, 0))
		                    ? cJSON_GetArrayItem(names, 0)->valuestring : NULL;
		cstep *s, *grown;

		if (!id || !step || !kft__streq(kft__json_str(labels, L_JOB), name))
			continue;
		if (!(grown = kft__realloc(j->s, (j->n + 1) * sizeof(*grown))))
			return kft__error_oom();
		j->s = grown;
		s = &j->s[j->n];
		memset(s, 0, sizeof(*s));
		j->n++;
		if (cname && *cname == '/')
			cname++;
		s->step = kft__strdup(step);
		s->id = kft__strdup(id);
		s->cname = kft__strdup(cname ? cname : id);
		s->role = kft__strdup(kft__json_str(labels, L_ROLE) ? kft__json_str(labels, L_ROLE)
		                                                     : "node");
		if (!s->step || !s->id || !s->cname || !s->role)
			return kft__error_oom();
		if (!j->labels && !(j->labels = cJSON_Duplicate(labels, 1)))
			return kft__error_oom();
		error = kft__engine_container_inspect(&s->insp, e, id);
		if (error == KFT_ENOTFOUND) {   /* removed meanwhile */
			s->insp = NULL;
			s->status = "removed";
			s->exit_code = -1;
			kft_error_clear();
			continue;
		}
		if (error < 0)
			return error;
		cstep_fill(s);
	}
	return 0;
}

static cstep *find_step(cjob *j, const char *step)
{
	size_t i;

	for (i = 0; i < j->n; i++)
		if (!strcmp(j->s[i].step, step))
			return &j->s[i];
	return NULL;
}

static int is_active(const cstep *s)
{
	return !strcmp(s->status, "running") || !strcmp(s->status, "restarting") ||
	       !strcmp(s->status, "paused");
}

static int is_exited(const cstep *s)
{
	return !strcmp(s->status, "exited") || !strcmp(s->status, "dead") ||
	       !strcmp(s->status, "stopped");
}

static int step_failed(const cstep *s)
{
	return (is_exited(s) && (s->exit_code != 0 || s->oom)) || !strcmp(s->status, "removed");
}

typedef struct {
	int state;
	char reason[64];
	char message[512];
	int stop_others;          /* JobSet: the job ended; stop what still runs */
} verdict;

/* Job status from its steps (initializers, launcher, nodes). */
static void judge(verdict *v, cjob *j, int64_t now_ms)
{
	const cstep *first_fail = NULL;
	size_t i, nodes = 0, nodes_ok = 0, active = 0, created = 0, exited = 0;
	const cstep *launcher = NULL;
	int64_t created_ms = 0, deadline_s = 0, latest_end = 0;

	memset(v, 0, sizeof(*v));
	kft__parse_i64(&created_ms, label(j, L_CREATED));
	kft__parse_i64(&deadline_s, label(j, L_DEADLINE));
	for (i = 0; i < j->n; i++) {
		const cstep *s = &j->s[i];

		if (s->finished > latest_end)
			latest_end = s->finished;
		if (is_active(s))
			active++;
		else if (!strcmp(s->status, "created"))
			created++;
		else
			exited++;
		if (step_failed(s) && (!first_fail || (s->finished && s->finished < first_fail->finished)))
			first_fail = s;
		if (!strcmp(s->role, "launcher"))
			launcher = s;
		if (strcmp(s->role, "initializer") != 0) {
			nodes++;
			if (is_exited(s) && !step_failed(s))
				nodes_ok++;
		}
	}
	/*
	 * activeDeadlineSeconds: past it, a job that had not ended by then is Failed
	 * with DeadlineExceeded (also once its steps were stopped for it, which makes
	 * them exit 137 after the deadline).
	 */
	if (deadline_s > 0 && created_ms > 0 && now_ms > created_ms + deadline_s * 1000) {
		int64_t dl = created_ms + deadline_s * 1000;
		int ended_before = 0;

		if (first_fail && first_fail->finished && first_fail->finished <= dl)
			ended_before = 1;
		if (!first_fail && active == 0 && created == 0 && latest_end <= dl)
			ended_before = 1;
		if (!ended_before) {
			v->state = KFT_JOB_FAILED;
			snprintf(v->reason, sizeof(v->reason), "DeadlineExceeded");
			snprintf(v->message, sizeof(v->message),
			         "activeDeadlineSeconds (%lld) exceeded", (long long)deadline_s);
			v->stop_others = active > 0;
			return;
		}
	}
	if (first_fail) {
		v->state = KFT_JOB_FAILED;
		if (first_fail->oom) {
			snprintf(v->reason, sizeof(v->reason), "OOMKilled");
			snprintf(v->message, sizeof(v->message),
			         "step %s (container %s) was OOM-killed (exit code %d)", first_fail->step,
			         first_fail->cname, first_fail->exit_code);
		} else if (!strcmp(first_fail->status, "removed")) {
			snprintf(v->reason, sizeof(v->reason), "ContainerRemoved");
			snprintf(v->message, sizeof(v->message), "step %s: container %s was removed",
			         first_fail->step, first_fail->cname);
		} else {
			snprintf(v->reason, sizeof(v->reason), "StepFailed");
			snprintf(v->message, sizeof(v->message),
			         "step %s (container %s) exited with code %d", first_fail->step,
			         first_fail->cname, first_fail->exit_code);
		}
		v->stop_others = active > 0;
		return;
	}
	if ((launcher && is_exited(launcher)) || (nodes > 0 && nodes_ok == nodes)) {
		v->state = KFT_JOB_COMPLETE;
		v->stop_others = active > 0;
		return;
	}
	if (active > 0 || (exited > 0 && created > 0)) {
		v->state = KFT_JOB_RUNNING;
		return;
	}
	v->state = cJSON_IsString(kft__json_get(j->labels, L_SUSPENDED)) && exited == 0
	           ? KFT_JOB_SUSPENDED : KFT_JOB_CREATED;
}

/* Stop every still-running step (grace_ms), all at once: SIGTERM first, then stop each. */
static void stop_active(kft__engine *e, cjob *j, int64_t grace_ms)
{
	int64_t deadline = kft__mono_ms() + grace_ms;
	size_t i;

	for (i = 0; i < j->n; i++) {
		kft__buf p = KFT__BUF_INIT;

		if (!is_active(&j->s[i]))
			continue;
		kft__buf_printf(&p, "/containers/%s/kill?signal=SIGTERM", j->s[i].id);
		if (!p.oom)
			kft__engine_call(NULL, e, "POST", p.ptr, NULL, 0);
		kft__buf_free(&p);
	}
	for (i = 0; i < j->n; i++) {
		int64_t left = deadline - kft__mono_ms();

		if (!is_active(&j->s[i]))
			continue;
		kft__engine_container_stop(e, j->s[i].id, left > 0 ? (int)((left + 999) / 1000) : 0);
	}
	kft_error_clear();
}

static int step_state(const cstep *s)
{
	if (!s)
		return KFT_STEP_PENDING;
	if (is_active(s))
		return KFT_STEP_RUNNING;
	if (step_failed(s))
		return KFT_STEP_FAILED;
	if (is_exited(s))
		return KFT_STEP_SUCCEEDED;
	return KFT_STEP_PENDING;
}

static int build_job(kft_job_t **out, cjob *j)
{
	kft_job_t *job = NULL;
	verdict v;
	const char *steps = label(j, L_STEPS);
	int64_t nodes = 0, created = 0, started = 0, finished = 0;
	size_t i;
	int error;

	*out = NULL;
	judge(&v, j, kft__now_ms());
	if ((error = kft_job_new(&job, j->name, "container")) < 0)
		return error;
	kft__parse_i64(&nodes, label(j, L_NODES));
	kft__parse_i64(&created, label(j, L_CREATED));
	for (i = 0; i < j->n; i++) {
		if (j->s[i].started && (!started || j->s[i].started < started))
			started = j->s[i].started;
		if (j->s[i].finished > finished)
			finished = j->s[i].finished;
	}
	if (v.state != KFT_JOB_COMPLETE && v.state != KFT_JOB_FAILED)
		finished = 0;
	if ((error = kft_job_set_runtime(job, label(j, L_RUNTIME))) < 0 ||
	    (error = kft_job_set_state(job, v.state, v.reason[0] ? v.reason : NULL,
	                               v.message[0] ? v.message : NULL)) < 0 ||
	    (error = kft_job_set_num_nodes(job, nodes)) < 0 ||
	    (error = kft_job_set_times(job, created, started, finished)) < 0)
		goto fail;
	/* steps in plan order; planned steps without a container are Pending */
	while (steps && *steps) {
		const char *comma = strchr(steps, ',');
		char name[128];
		cstep *s;

		snprintf(name, sizeof(name), "%.*s", (int)(comma ? comma - steps : (long)strlen(steps)),
		         steps);
		steps = comma ? comma + 1 : NULL;
		s = find_step(j, name);
		if (s) {
			int sig = s->exit_code > 128 && s->exit_code < 160 ? s->exit_code - 128 : 0;
			const char *reason = NULL;

			if (s->oom)
				reason = "OOMKilled";
			else if (step_failed(s))
				reason = strcmp(s->status, "removed") ? "Error" : "ContainerRemoved";
			else if (is_exited(s))
				reason = "Completed";
			error = kft_job_add_step(job, name, step_state(s), s->cname,
			                         is_exited(s) ? s->exit_code : -1,
			                         is_exited(s) ? sig : 0, reason);
		} else {
			char target[256];

			snprintf(target, sizeof(target), "%s-%s", j->name, name);
			error = kft_job_add_step(job, name, KFT_STEP_PENDING, target, -1, 0,
			                         "NotCreated");
		}
		if (error < 0)
			goto fail;
	}
	*out = job;
	return 0;
fail:
	kft_job_free(job);
	return error;
}

/* Load a job, enforce JobSet semantics (stop the rest when it ended), build it. */
static int observe(kft_job_t **out, cbackend *b, const char *name, int *found)
{
	kft__engine *e;
	cJSON *list = NULL;
	kft__buf lab = KFT__BUF_INIT;
	cjob j;
	verdict v;
	int error;

	*out = NULL;
	*found = 0;
	memset(&j, 0, sizeof(j));
	if ((error = engine(&e, b)) < 0)
		return error;
	kft__buf_printf(&lab, "%s=%s", L_JOB, name);
	if (lab.oom)
		return kft__error_oom();
	if ((error = kft__engine_container_list(&list, e, lab.ptr)) < 0)
		goto out;
	if ((error = cjob_load(&j, e, name, list)) < 0)
		goto out;
	if (j.n == 0)
		goto out;
	*found = 1;
	judge(&v, &j, kft__now_ms());
	if (v.stop_others) {
		kft__log(KFT_DIAG_INFO, "container: job %s is %s; stopping its running steps", name,
		         kft_job_state_name(v.state));
		stop_active(e, &j, 5000);
		cjob_clear(&j);
		if ((error = cjob_load(&j, e, name, list)) < 0)
			goto out;
	}
	error = build_job(out, &j);
out:
	cjob_clear(&j);
	cJSON_Delete(list);
	kft__buf_free(&lab);
	return error;
}

static int labels_get_job(kft_job_t **out, kft_backend_t *be, const char *name)
{
	cbackend *b = (cbackend *)be;
	int found, error;

	if ((error = observe(out, b, name, &found)) < 0)
		return error;
	if (!found)
		return kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_CONTAINER,
		                      "TrainJob %s not found in the %s engine at %s", name,
		                      kft__engine_name(b->eng), kft__engine_socket(b->eng));
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* After a supervisor died: make sure none of the job's containers still runs. */
static void stop_leftovers(cbackend *b, const char *name)
{
	kft__buf lab = KFT__BUF_INIT;
	cJSON *list = NULL;
	const cJSON *c;

	kft__buf_printf(&lab, "%s=%s", L_JOB, name);
	if (!lab.oom && b->eng && kft__engine_container_list(&list, b->eng, lab.ptr) == 0)
		cJSON_ArrayForEach(c, list)
			if (kft__streq(kft__json_str(c, "State"), "running") && kft__json_str(c, "Id"))
				kft__engine_container_stop(b->eng, kft__json_str(c, "Id"), 0);
	cJSON_Delete(list);
	kft__buf_free(&lab);
	kft_error_clear();
}

/* A job from its store record (supervisor-owned); the liveness check applies. */
static int store_get_job(kft_job_t **out, cbackend *b, const char *name)
{
	int error = kft__store_get_job(out, b->root, name, "container");

	if (error == 0 && kft__streq(kft_job_reason(*out), "SupervisorDied")) {
		kft__engine *e;

		if (engine(&e, b) == 0)
			stop_leftovers(b, name);
		kft_error_clear();
	}
	return error;
}

static int be_get_job(kft_job_t **out, kft_backend_t *be, const char *name)
{
	cbackend *b = (cbackend *)be;

	kft__store_children_reap(&b->pending, 0);
	if (in_store(b, name))
		return store_get_job(out, b, name);
	/* the state dir was lost (or never here): the engine's labels still know the job */
	return labels_get_job(out, be, name);
}

/* Jobs in the store, and jobs only the engine's labels know; sorted by name. */
static int be_list_jobs(kft_job_list_t **out, kft_backend_t *be, const char *runtime)
{
	cbackend *b = (cbackend *)be;
	kft__engine *e = NULL;
	kft_job_list_t *jl = NULL;
	cJSON *list = NULL;
	kft__strv names = KFT__STRV_INIT;
	const cJSON *c;
	char *jobs = NULL;
	DIR *d;
	size_t i, k;
	int error = 0, eng_error;

	*out = NULL;
	kft__store_children_reap(&b->pending, 0);
	KFT_CHECK_ALLOC(jobs = kft__path_join(b->root, "jobs"));
	if ((d = opendir(jobs)) != NULL) {
		struct dirent *de;

		while (!error && (de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				error = kft__strv_push(&names, de->d_name);
		closedir(d);
	}
	free(jobs);
	if (error < 0)
		goto out;
	/* the engine is needed only for jobs outside the store */
	if ((eng_error = engine(&e, b)) == 0)
		eng_error = kft__engine_container_list(&list, e, L_JOB);
	if (eng_error < 0 && names.n == 0) {
		error = eng_error;
		goto out;
	}
	if (eng_error < 0)   /* the store's jobs are still listed; label-only ones cannot be */
		kft__log(KFT_DIAG_WARN, "container: %s; listing only the jobs in %s",
		         kft_error_last()->message, b->root);
	kft_error_clear();
	cJSON_ArrayForEach(c, list) {
		const char *n = kft__json_str(kft__json_get(c, "Labels"), L_JOB);

		if (!n)
			continue;
		for (k = 0; k < names.n && strcmp(names.v[k], n); k++)
			;
		if (k == names.n && (error = kft__strv_push(&names, n)) < 0)
			goto out;
	}
	if (names.n)
		qsort(names.v, names.n, sizeof(char *), cmp_names);
	if ((error = kft_job_list_new(&jl)) < 0)
		goto out;
	for (i = 0; i < names.n; i++) {
		kft_job_t *job = NULL;
		int found = 1, r;

		if (in_store(b, names.v[i])) {
			r = store_get_job(&job, b, names.v[i]);
			if (r == KFT_ENOTFOUND || r == KFT_EINVALID)
				continue;   /* deleted meanwhile, or not a job directory */
			if (r < 0 && (kft_job_new(&job, names.v[i], "container") < 0 ||
			              kft_job_set_state(job, KFT_JOB_FAILED, "MalformedRecord",
			                                kft_error_last()->message) < 0)) {
				kft_job_free(job);
				error = kft__error_oom();
				goto out;
			}
		} else if (!e) {
			continue;
		} else if ((error = observe(&job, b, names.v[i], &found)) < 0) {
			goto out;
		}
		if (!found || (runtime && !kft__streq(runtime, kft_job_runtime(job)))) {
			kft_job_free(job);
			continue;
		}
		if ((error = kft_job_list_add(jl, job)) < 0)
			goto out;
	}
	*out = jl;
	jl = NULL;
out:
	kft_job_list_free(jl);
	kft__strv_free(&names);
	cJSON_Delete(list);
	return error;
}

/* ---- submit ---- */

static char *job_dir(cbackend *b, const char *name)
{
	char *dir = NULL;

	if (store_dir(&dir, b, name) < 0)
		kft_error_clear();
	return dir;
}

/*
 * An MPI job's SSH key pair, as Trainer's <job>-mpi-ssh-auth Secret: ECDSA
 * P-521, in <jobdir>/ssh as id_rsa, id_rsa.pub and authorized_keys (0644);
 * with an fsGroup (and root, to chown) the files go to that group and id_rsa
 * is 0640 as the kubelet makes it, else id_rsa is 0600 (ssh refuses a private
 * key its owner's group can read). ssh-keygen runs with an argv,
 * never a shell. Nothing to do unless a step mounts "ssh-auth".
 */
static int make_ssh_auth(const char *jobdir, const char *job, const cJSON *steps)
{
	const cJSON *st, *m, *want = NULL;
	char *dir = NULL, *key = NULL, *pub = NULL, *auth = NULL, *text = NULL;
	char *argv[] = { "ssh-keygen", "-q", "-t", "ecdsa", "-b", "521", "-N", "", "-C", NULL,
	                 "-f", NULL, NULL };
	kft__proc_opts po;
	size_t len;
	pid_t pid;
	int error = 0, status = 0, gid = -1;

	cJSON_ArrayForEach(st, steps)
		cJSON_ArrayForEach(m, kft__json_get(st, "mounts"))
			if (kft__streq(kft__json_str(m, "type"), "ssh-auth"))
				want = m;
	if (!want)
		return 0;
	gid = (int)kft__json_int(kft__json_get(want, "fsGroup"), INT_MIN, INT_MAX, gid);
	dir = kft__path_join(jobdir, "ssh");
	key = dir ? kft__path_join(dir, "id_rsa") : NULL;
	pub = dir ? kft__path_join(dir, "id_rsa.pub") : NULL;
	auth = dir ? kft__path_join(dir, "authorized_keys") : NULL;
	if (!auth) {
		error = kft__error_oom();
		goto out;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		error = kft__error_os(KFT_ERROR, "cannot create %s", dir);
		goto out;
	}
	argv[9] = (char *)job;
	argv[11] = key;
	memset(&po, 0, sizeof(po));
	po.file = "ssh-keygen";
	po.argv = argv;
	po.stdin_fd = -1;
	po.stdout_fd = -1;
	po.stderr_fd = -1;
	if (kft__proc_spawn(&pid, &po) < 0) {
		error = kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_OS,
		                       "an MPI runtime in containers needs an SSH key for its nodes: "
		                       "ssh-keygen not found (install openssh-client)");
		goto out;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    kft__read_file(&text, &len, pub) < 0) {
		error = kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_OS,
		                       "ssh-keygen could not make the job's MPI SSH key in %s", dir);
		goto out;
	}
	if ((error = kft__write_file_atomic(auth, text, len, 0644)) < 0)
		goto out;
	chmod(pub, 0644);
	chmod(key, 0600);   /* ssh refuses a key its owner's group may read */
	if (gid >= 0 && geteuid() == 0) {   /* as the cluster's fsGroup: readable by the group */
		if (chown(key, 0, (gid_t)gid) < 0 || chown(pub, 0, (gid_t)gid) < 0 ||
		    chown(auth, 0, (gid_t)gid) < 0 || chmod(key, 0640) < 0)
			kft__log(KFT_DIAG_WARN, "cannot give %s to group %d: %s", dir, gid,
			         strerror(errno));
	}
out:
	free(text);
	free(dir);
	free(key);
	free(pub);
	free(auth);
	return error;
}

static int write_files(const char *jobdir, const char *ws, const cJSON *files)
{
	const cJSON *f;
	int error;

	cJSON_ArrayForEach(f, files) {
		const char *p = kft__json_str(f, "path"), *content = kft__json_str(f, "content");
		const cJSON *mode = kft__json_get(f, "mode");
		kft__buf dst = KFT__BUF_INIT;
		char *slash;

		if (!p || !content || p[0] != '/' || strstr(p, "/../"))
			return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
			                      "plan files[]: path must be absolute, without ..");
		if (kft__has_prefix(p, "/workspace/"))
			kft__buf_printf(&dst, "%s%s", ws, p + strlen("/workspace"));
		else
			kft__buf_printf(&dst, "%s/files%s", jobdir, p);
		if (dst.oom)
			return kft__error_oom();
		slash = strrchr(dst.ptr, '/');
		*slash = '\0';
		error = kft__mkdir_p(dst.ptr, 0755);
		*slash = '/';
		if (error == 0)
			error = kft__write_file_atomic(dst.ptr, content, strlen(content),
			                               cJSON_IsNumber(mode) ? (mode_t)mode->valuedouble
			                                                    : 0644);
		kft__buf_free(&dst);
		if (error < 0)
			return error;
	}
	return 0;
}

static int delete_everything(cbackend *b, kft__engine *e, const char *name, const char *jobdir,
                             int64_t grace_ms, int keep_dir, int *found);

/*
 * Submit: everything that can fail synchronously fails here, leaving nothing
 * behind (images against the pull policy, name conflicts, the engine's own
 * refusals); then the job belongs to its supervisor, which starts the
 * initializers and then the nodes (dependsOn), each through kft-container-step.
 * kft_train returns without waiting for any of them.
 */
static int be_submit(kft_job_t **out, kft_backend_t *be, const kft_spec_t *spec,
                     const kft_train_opts_t *opts)
{
	cbackend *b = (cbackend *)be;
	kft__engine *e;
	cJSON *plan = NULL, *doc = NULL, *existing = NULL;
	cJSON *st, *steps;
	const char *name = kft_spec_name(spec);
	char *jobdir = NULL, *ws = NULL, *sup = NULL, *rdir = NULL;
	kft__buf stepnames = KFT__BUF_INIT, lab = KFT__BUF_INIT, netname = KFT__BUF_INIT;
	char created[32], deadline[32], nodes[32];
	body_ctx bc;
	size_t nsteps;
	int error, created_any = 0, lock_fd = -1, found;
	struct stat sb;

	*out = NULL;
	if (opts && (opts->flags & KFT_TRAIN_SERVER_DRY_RUN))
		return kft__error_set(KFT_ENOTSUPPORTED, KFT_ERROR_CLASS_INVALID,
		                      "server dry run is for the kubernetes backend; use "
		                      "kft_render_plan to see what would run in containers");
	if ((error = store_dir(&jobdir, b, name)) < 0)
		return error;
	if ((error = compile_plan(&plan, &doc, b, spec)) < 0)
		goto out;
	if ((error = engine(&e, b)) < 0)
		goto out;
	steps = (cJSON *)kft__json_get(plan, "steps");
	nsteps = (size_t)cJSON_GetArraySize(steps);
	if (nsteps == 0) {
		error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                       "TrainJob %s: the plan has no steps to run", name);
		goto out;
	}
	/* a job of that name already in the store or in the engine? */
	if (stat(jobdir, &sb) == 0) {
		error = kft__error_set(KFT_EEXISTS, KFT_ERROR_CLASS_STORE,
		                       "TrainJob %s already exists (in %s/jobs); delete it first "
		                       "(kft delete %s)", name, b->root, name);
		goto out;
	}
	kft__buf_printf(&lab, "%s=%s", L_JOB, name);
	if (lab.oom) {
		error = kft__error_oom();
		goto out;
	}
	if ((error = kft__engine_container_list(&existing, e, lab.ptr)) < 0)
		goto out;
	if (cJSON_GetArraySize(existing) > 0) {
		error = kft__error_set(KFT_EEXISTS, KFT_ERROR_CLASS_CONTAINER,
		                       "TrainJob %s already exists in the %s engine (%d containers); "
		                       "delete it first (kft delete %s)", name, kft__engine_name(e),
		                       cJSON_GetArraySize(existing), name);
		goto out;
	}
	/* every image first, so a missing one fails before anything is created */
	cJSON_ArrayForEach(st, steps) {
		const char *img = kft__json_str(st, "image");

		if (!img || !*img) {
			error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
			                       "step %s has no image: set spec.trainer.image or use a "
			                       "runtime with one", kft__json_str(st, "name"));
			goto out;
		}
		if ((error = kft__engine_image_ensure(e, img, b->pull_policy)) < 0)
			goto out;
		kft__buf_printf(&stepnames, "%s%s", stepnames.len ? "," : "",
		                kft__json_str(st, "name"));
	}
	if (!(sup = kft__supervisor_path()) || !(ws = kft__path_join(jobdir, "workspace")) ||
	    !(rdir = kft__path_join(jobdir, "runner")) || stepnames.oom) {
		error = kft__error_oom();
		goto out;
	}
	if (access(sup, X_OK) < 0) {
		error = kft__error_os(KFT_ENOTFOUND, "job supervisor %s (set KFT_SUPERVISOR to the "
		                      "kft-supervisor program)", sup);
		goto out;
	}
	{   /* the supervisor runs kft-container-step from its own directory (or as set) */
		const char *env = getenv("KFT_CONTAINER_STEP");
		char *slash = strrchr(sup, '/'), *prog;

		if (env && *env)
			prog = kft__strdup(env);
		else if (slash) {
			*slash = '\0';
			prog = kft__path_join(sup, "kft-container-step");
			*slash = '/';
		} else {
			prog = kft__strdup("kft-container-step");
		}
		if (!prog) {
			error = kft__error_oom();
			goto out;
		}
		if (strchr(prog, '/') && access(prog, X_OK) < 0) {
			error = kft__error_os(KFT_ENOTFOUND, "container step program %s (install it next "
			                      "to kft-supervisor, or set KFT_CONTAINER_STEP)", prog);
			free(prog);
			goto out;
		}
		free(prog);
	}
	/* the create bodies go into the plan: the step program (re)creates from them */
	memset(&bc, 0, sizeof(bc));
	snprintf(created, sizeof(created), "%lld", (long long)kft__now_ms());
	snprintf(nodes, sizeof(nodes), "%lld",
	         (long long)kft__json_int(kft__json_get(plan, "numNodes"), 0, INT64_MAX, 0));
	if (cJSON_IsNumber(kft__json_get(plan, "activeDeadlineSeconds"))) {
		snprintf(deadline, sizeof(deadline), "%lld",
		         (long long)kft__json_int(kft__json_get(plan, "activeDeadlineSeconds"), 0,
		                                  INT64_MAX, 0));
		bc.deadline = deadline;
	}
	bc.job = name;
	bc.runtime = kft__json_str(plan, "runtime");
	bc.steps = stepnames.ptr;
	bc.jobdir = jobdir;
	bc.workspace = ws;
	bc.created = created;
	bc.nodes = nodes;
	bc.podman = kft__engine_is_podman(e);
	bc.suspended = cJSON_IsTrue(kft__json_get(plan, "suspend"));
	bc.files = kft__json_get(plan, "files");
	if (strcmp(net_mode(b), "host") != 0) {
		kft__buf_printf(&netname, "%s-net", name);
		bc.network = netname.ptr;
	} else {
		bc.network = "host";
	}
	if (netname.oom || kft__json_set_str(plan, "runner", "container") < 0 ||
	    kft__json_set_str(plan, "engineSocket", kft__engine_socket(e)) < 0 ||
	    kft__json_set_str(plan, "network", bc.network) < 0) {
		error = kft__error_oom();
		goto out;
	}
	cJSON_ArrayForEach(st, steps) {
		cJSON *body = NULL;
		char cname[512];

		snprintf(cname, sizeof(cname), "%s-%s", name, kft__json_str(st, "name"));
		if ((error = kft__container_body(&body, &bc, st)) < 0)
			goto out;
		if (kft__json_set_str(st, "container", cname) < 0 ||
		    kft__json_set(st, "createBody", body) < 0) {
			error = kft__error_oom();
			goto out;
		}
	}
	if ((error = kft__store_create(&lock_fd, b->root, name, doc, plan, "container")) < 0)
		goto out;
	created_any = 1;
	chmod(ws, 0755);   /* readable by a container's non-root user */
	if (mkdir(rdir, 0700) < 0 && errno != EEXIST) {
		error = kft__error_os(KFT_ERROR, "cannot create %s", rdir);
		goto cleanup;
	}
	if ((error = write_files(jobdir, ws, kft__json_get(plan, "files"))) < 0 ||
	    (error = make_ssh_auth(jobdir, name, kft__json_get(plan, "steps"))) < 0)
		goto cleanup;
	if (strcmp(net_mode(b), "host") != 0) {
		cJSON *nl = cJSON_CreateObject();

		if (!nl || !cJSON_AddStringToObject(nl, L_JOB, name) ||
		    !cJSON_AddStringToObject(nl, L_RUNTIME, bc.runtime ? bc.runtime : "") ||
		    !cJSON_AddStringToObject(nl, L_JOBDIR, jobdir)) {
			cJSON_Delete(nl);
			error = kft__error_oom();
			goto cleanup;
		}
		error = kft__engine_network_create(NULL, e, netname.ptr, nl,
		                                   !strcmp(net_mode(b), "internal"));
		cJSON_Delete(nl);
		if (error < 0)
			goto cleanup;
	}
	cJSON_ArrayForEach(st, steps) {
		char *id = NULL;

		error = kft__engine_container_create(&id, e, kft__json_str(st, "container"),
		                                     kft__json_get(st, "createBody"));
		free(id);
		if (error < 0)
			goto cleanup;
	}
	error = kft__store_spawn_supervisor(&b->pending, jobdir, lock_fd);
	lock_fd = -1;   /* closed by the spawn, in any case */
	if (error < 0)
		goto cleanup;
	error = kft__store_get_job(out, b->root, name, "container");
	goto out;
cleanup:
	if (lock_fd >= 0) {
		close(lock_fd);
		lock_fd = -1;
	}
	if (created_any) {
		char msg[4096];
		int code = error;

		/* keep the first error's message; cleanup must not replace it */
		snprintf(msg, sizeof(msg), "%s", kft_error_last()->message);
		delete_everything(b, e, name, jobdir, 0, 0, &found);
		kft__error_set(code, KFT_ERROR_CLASS_CONTAINER, "%s", msg);
		error = code;
	}
out:
	if (lock_fd >= 0)
		close(lock_fd);
	free(jobdir);
	free(ws);
	free(sup);
	free(rdir);
	cJSON_Delete(plan);
	cJSON_Delete(doc);
	cJSON_Delete(existing);
	kft__buf_free(&stepnames);
	kft__buf_free(&lab);
	kft__buf_free(&netname);
	return error;
}

/* ---- delete ---- */

static int delete_everything(cbackend *b, kft__engine *e, const char *name, const char *jobdir,
                             int64_t grace_ms, int keep_dir, int *found)
{
	kft__buf lab = KFT__BUF_INIT;
	cJSON *list = NULL, *nets = NULL;
	const cJSON *it;
	char *dir = jobdir ? kft__strdup(jobdir) : NULL;
	cjob j;
	size_t i;
	int error;

	*found = 0;
	memset(&j, 0, sizeof(j));
	kft__buf_printf(&lab, "%s=%s", L_JOB, name);
	if (lab.oom)
		return kft__error_oom();
	if ((error = kft__engine_container_list(&list, e, lab.ptr)) < 0 ||
	    (error = cjob_load(&j, e, name, list)) < 0)
		goto out;
	if (j.n > 0) {
		*found = 1;
		if (!dir && label(&j, L_JOBDIR))
			dir = kft__strdup(label(&j, L_JOBDIR));
		stop_active(e, &j, grace_ms);
		for (i = 0; i < j.n; i++)
			if ((error = kft__engine_container_remove(e, j.s[i].id)) < 0)
				goto out;
	}
	if ((error = kft__engine_network_list(&nets, e, lab.ptr)) < 0)
		goto out;
	cJSON_ArrayForEach(it, nets) {
		const char *n = kft__json_str(it, "Name");

		if (!n)
			continue;
		*found = 1;
		if (!dir && kft__json_str(kft__json_get(it, "Labels"), L_JOBDIR))
			dir = kft__strdup(kft__json_str(kft__json_get(it, "Labels"), L_JOBDIR));
		if ((error = kft__engine_network_remove(e, n)) < 0)
			goto out;
	}
	if (!dir)
		dir = job_dir(b, name);
	if (dir && access(dir, F_OK) == 0) {
		*found = 1;
		if (!keep_dir && (error = kft__remove_tree(dir)) < 0)
			goto out;
	}
out:
	free(dir);
	cjob_clear(&j);
	cJSON_Delete(list);
	cJSON_Delete(nets);
	kft__buf_free(&lab);
	return error;
}

/*
 * Delete: a supervisor-owned job is cancelled through its supervisor first
 * (it stops the containers: SIGTERM, grace, SIGKILL), then containers,
 * network and directory are removed; a job the store does not know (state
 * dir lost, half-created) is stopped and removed through the engine alone.
 */
static int be_delete_job(kft_backend_t *be, const char *name, const kft_delete_opts_t *opts)
{
	cbackend *b = (cbackend *)be;
	kft__engine *e;
	int64_t grace = opts && opts->grace_period_ms >= 0 ? opts->grace_period_ms : DEFAULT_GRACE_MS;
	int keep = opts && (opts->flags & KFT_DELETE_KEEP_STATE);
	char *dir = NULL;
	cJSON *st = NULL;
	struct stat sb;
	int found, error, owned;

	kft__store_children_reap(&b->pending, 0);
	if ((error = store_dir(&dir, b, name)) < 0)
		return error;
	owned = stat(dir, &sb) == 0;
	if (owned) {
		/* the supervisor stops the steps; a timeout is not fatal: removal forces it */
		error = kft__store_cancel(dir, name, grace, CONTAINER_CANCEL_EXTRA_MS);
		if (error == KFT_ENOTFOUND) {
			owned = 0;
		} else if (error < 0 && error != KFT_ETIMEOUT) {
			goto out;
		} else {
			/* a dead supervisor is recorded (and its step programs told to stop) */
			kft__store_read_state(&st, dir, name);
		}
		kft_error_clear();
	}
	if ((error = engine(&e, b)) < 0)
		goto out;
	if ((error = delete_everything(b, e, name, owned ? dir : NULL, grace, keep, &found)) < 0)
		goto out;
	if (!found && !owned)
		error = kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_CONTAINER,
		                       "TrainJob %s not found in the %s engine at %s", name,
		                       kft__engine_name(e), kft__engine_socket(e));
out:
	cJSON_Delete(st);
	free(dir);
	return error;
}

/* ---- wait: the engine's event stream ---- */

typedef struct {
	cbackend *b;
	const char *name;
	const kft_wait_opts_t *o;
	kft_job_t *job;           /* latest */
	int dirty;                /* an event arrived: re-read the job */
	int64_t deadline;         /* mono ms; 0 none */
	int64_t recheck_at;       /* mono ms: the job's activeDeadlineSeconds passes */
	int rechecked;            /* re-read once past it */
	int result;               /* 1: done with rc */
	int rc;
	kft__buf line;
} wait_ctx;

static int wanted(const kft_wait_opts_t *o, int state)
{
	uint32_t want = o && o->want ? o->want : KFT_WANT(KFT_JOB_COMPLETE);

	return (want & KFT_WANT(state)) != 0;
}

static int on_event(const char *data, size_t len, int fd, void *payload)
{
	wait_ctx *w = payload;

	(void)fd;
	(void)data;
	(void)len;
	w->dirty = 1;   /* any event about the job's containers: re-read it */
	return 0;
}

static int wait_eval(wait_ctx *w)
{
	kft_job_t *job = NULL;
	int st, error;

	int past = w->recheck_at && !w->rechecked && kft__mono_ms() >= w->recheck_at;

	if (w->dirty || !w->job || past) {
		w->dirty = 0;
		if (past)
			w->rechecked = 1;
		if ((error = labels_get_job(&job, &w->b->base, w->name)) < 0) {
			w->result = 1;
			w->rc = error;
			return error;
		}
		kft_job_free(w->job);
		w->job = job;
	}
	if (w->o && w->o->progress_cb && (error = w->o->progress_cb(w->job, w->o->payload)) != 0) {
		w->result = 1;
		w->rc = error;
		return error;
	}
	st = kft_job_state(w->job);
	if (wanted(w->o, st)) {
		w->result = 1;
		w->rc = 0;
		return 1;
	}
	if (st == KFT_JOB_FAILED) {
		w->result = 1;
		w->rc = kft__error_set(KFT_EJOBFAILED, KFT_ERROR_CLASS_CONTAINER,
		                       "TrainJob %s is Failed%s%s", w->name,
		                       kft_job_message(w->job) ? ": " : "",
		                       kft_job_message(w->job) ? kft_job_message(w->job) : "");
		return 1;
	}
	if (w->deadline && kft__mono_ms() >= w->deadline) {
		w->result = 1;
		w->rc = kft__error_set(KFT_ETIMEOUT, KFT_ERROR_CLASS_CONTAINER,
		                       "timed out waiting for TrainJob %s (status %s)", w->name,
		                       kft_job_status(w->job));
		return 1;
	}
	return 0;
}

static int wait_tick(void *payload)
{
	return wait_eval(payload);
}

/* Re-check when the job's activeDeadlineSeconds passes (no event marks it). */
static void schedule_deadline(wait_ctx *w)
{
	int64_t created = kft_job_created_ms(w->job), dl = 0;
	cbackend *b = w->b;
	kft__buf lab = KFT__BUF_INIT;
	cJSON *list = NULL;

	if (!created || !b->eng || w->recheck_at)
		return;
	kft__buf_printf(&lab, "%s=%s", L_JOB, w->name);
	if (!lab.oom && kft__engine_container_list(&list, b->eng, lab.ptr) == 0 &&
	    cJSON_GetArraySize(list) > 0)
		kft__parse_i64(&dl, kft__json_str(kft__json_get(cJSON_GetArrayItem(list, 0), "Labels"),
		                                  L_DEADLINE));
	if (dl > 0)
		w->recheck_at = kft__mono_ms() + (created + dl * 1000 - kft__now_ms()) + 100;
	cJSON_Delete(list);
	kft__buf_free(&lab);
	kft_error_clear();
}

static int labels_wait(kft_job_t **out, kft_backend_t *be, const char *name,
                   const kft_wait_opts_t *opts)
{
	cbackend *b = (cbackend *)be;
	wait_ctx w;
	int64_t lost_since = 0;
	int error;

	memset(&w, 0, sizeof(w));
	w.b = b;
	w.name = name;
	w.o = opts;
	w.deadline = opts && opts->timeout_ms > 0 ? kft__mono_ms() + opts->timeout_ms : 0;
	for (;;) {
		kft__engine_stream *s = NULL;
		kft__buf path = KFT__BUF_INIT, f = KFT__BUF_INIT;
		int64_t since = kft__now_ms() / 1000 - 1;

		/* subscribe first (since = a second ago), then read the state: no event is lost */
		kft__buf_printf(&f, "{\"type\":[\"container\"],\"label\":[\"%s=%s\"]}", L_JOB, name);
		kft__buf_printf(&path, "/events?since=%lld&filters=", (long long)since);
		{
			size_t k;

			for (k = 0; f.ptr && k < f.len; k++)
				kft__buf_printf(&path, "%%%02X", (unsigned char)f.ptr[k]);
		}
		w.dirty = 1;
		error = path.oom || f.oom ? kft__error_oom() : wait_eval(&w);
		if (error < 0 && error == w.rc && (error == KFT_EUNAVAILABLE || error == KFT_ETIMEOUT) &&
		    !(w.deadline && kft__mono_ms() >= w.deadline)) {
			/* the engine went away (restart?): retry for up to 30 s */
			if (!lost_since)
				lost_since = kft__mono_ms();
			if (kft__mono_ms() - lost_since < 30000) {
				kft__buf_free(&path);
				kft__buf_free(&f);
				w.result = 0;
				if (opts && opts->progress_cb && w.job &&
				    (error = opts->progress_cb(w.job, opts->payload)) != 0) {
					w.result = 1;
					w.rc = error;
					goto done;
				}
				poll(NULL, 0, 250);
				continue;
			}
			kft__error_set(KFT_EUNAVAILABLE, KFT_ERROR_CLASS_CONTAINER,
			               "the container engine stopped answering while waiting for "
			               "TrainJob %s (for 30 s); its state is unknown", name);
			w.rc = KFT_EUNAVAILABLE;
		}
		if (w.result) {
			kft__buf_free(&path);
			kft__buf_free(&f);
			goto done;
		}
		lost_since = 0;
		schedule_deadline(&w);
		if ((error = kft__engine_stream_new(&s, b->eng, path.ptr, 0, on_event, &w)) < 0) {
			kft__buf_free(&path);
			kft__buf_free(&f);
			w.rc = error;
			goto done;
		}
		kft__buf_free(&path);
		kft__buf_free(&f);
		error = kft__engine_streams_run(b->eng, &s, 1, 1000, wait_tick, &w);
		if (!w.result && kft__engine_stream_done(s) && kft__engine_stream_status(s) >= 300) {
			kft__error_prefix("events of TrainJob %s", name);
			w.rc = KFT_ERROR;
			w.result = 1;
		}
		kft__engine_stream_free(s);
		if (w.result && (w.rc == KFT_EUNAVAILABLE || w.rc == KFT_ETIMEOUT) &&
		    !(w.deadline && kft__mono_ms() >= w.deadline)) {
			w.result = 0;   /* the engine went away mid-stream: the loop retries */
			continue;
		}
		if (w.result)
			goto done;
		/* the stream ended (engine restart?): loop re-reads the job and resubscribes */
		kft__log(KFT_DIAG_INFO, "container: event stream for %s ended; re-reading", name);
	}
done:
	kft__buf_free(&w.line);
	if (out && w.job && (w.rc == 0 || w.rc == KFT_EJOBFAILED)) {
		*out = w.job;
		w.job = NULL;
	}
	kft_job_free(w.job);
	return w.rc;
}

/* ---- logs ---- */

typedef struct {
	const char *step;
	int prefix;
	kft_log_cb cb;
	void *payload;
	kft__buf part[3];         /* partial line per fd */
	uint64_t seen[3];         /* bytes received per fd */
	uint64_t skip[3];         /* catch-up pass: bytes to skip per fd */
	int rc;
} log_stream;

static int emit(log_stream *ls, const char *data, size_t len)
{
	kft__buf out = KFT__BUF_INIT;
	int rc;

	if (!ls->prefix)
		return ls->cb(data, len, ls->step, ls->payload);
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl ? (size_t)(nl - data) + 1 : len;

		kft__buf_printf(&out, "%s: ", ls->step);
		kft__buf_put(&out, data, n);
		data += n;
		len -= n;
	}
	if (out.oom) {
		kft__buf_free(&out);
		return kft__error_oom();
	}
	rc = ls->cb(out.ptr, out.len, ls->step, ls->payload);
	kft__buf_free(&out);
	return rc;
}

static int on_log(const char *data, size_t len, int fd, void *payload)
{
	log_stream *ls = payload;
	int f = fd >= 0 && fd <= 2 ? fd : 1;
	kft__buf *p = &ls->part[f];
	const char *last;

	if (ls->skip[f] > 0) {   /* catch-up pass: drop what the follow pass delivered */
		size_t drop = ls->skip[f] < len ? (size_t)ls->skip[f] : len;

		ls->skip[f] -= drop;
		data += drop;
		len -= drop;
		if (len == 0)
			return 0;
	}
	ls->seen[f] += len;

	/* whole lines only; a partial line waits for its end (or the stream's) */
	last = NULL;
	{
		size_t k;

		for (k = len; k > 0; k--)
			if (data[k - 1] == '\n') {
				last = data + k - 1;
				break;
			}
	}
	if (!last)
		return kft__buf_put(p, data, len) < 0 ? kft__error_oom() : 0;
	if (p->len) {
		kft__buf_put(p, data, (size_t)(last - data) + 1);
		if (p->oom)
			return kft__error_oom();
		ls->rc = emit(ls, p->ptr, p->len);
		kft__buf_clear(p);
	} else {
		ls->rc = emit(ls, data, (size_t)(last - data) + 1);
	}
	if (ls->rc)
		return ls->rc;
	if ((size_t)(last + 1 - data) < len)
		return kft__buf_put(p, last + 1, len - (size_t)(last + 1 - data)) < 0 ?
		       kft__error_oom() : 0;
	return 0;
}

static int flush_log(log_stream *ls)
{
	int k, rc = 0;

	for (k = 0; k < 3 && !rc; k++)
		if (ls->part[k].len) {
			rc = emit(ls, ls->part[k].ptr, ls->part[k].len);
			kft__buf_clear(&ls->part[k]);
		}
	return rc;
}

typedef struct {
	int64_t deadline;
	cbackend *b;
	const char *name;
	int64_t next_check;
	kft_log_cb cb;        /* following: the heartbeat logs.h promises */
	void *payload;
	int64_t beat;
} logs_tick_ctx;

static int logs_tick(void *payload)
{
	logs_tick_ctx *t = payload;

	if (t->deadline && kft__mono_ms() >= t->deadline)
		return kft__error_set(KFT_ETIMEOUT, KFT_ERROR_CLASS_CONTAINER,
		                      "timed out following the logs of TrainJob %s", t->name);
	return t->cb ? kft__logs_heartbeat(t->cb, t->payload, &t->beat) : 0;
}

static int labels_logs(kft_backend_t *be, const char *name, const kft_logs_opts_t *opts,
                   kft_log_cb cb, void *payload)
{
	cbackend *b = (cbackend *)be;
	kft__engine *e;
	kft_job_t *job = NULL;
	kft__engine_stream **ss = NULL;
	log_stream *ls = NULL;
	uint32_t flags = opts ? opts->flags : 0;
	const char *want = opts ? opts->step : NULL;
	int follow = (flags & KFT_LOGS_FOLLOW) != 0, prefix, error, found = 0;
	logs_tick_ctx tc;
	size_t i, n, k;

	if ((error = engine(&e, b)) < 0)
		return error;
	if ((error = labels_get_job(&job, be, name)) < 0)
		return error;
	prefix = kft__logs_prefixed(opts);
	n = kft_job_step_count(job);
	if (!(ss = kft__calloc(n ? n : 1, sizeof(*ss))) || !(ls = kft__calloc(n ? n : 1,
	                                                                      sizeof(*ls)))) {
		error = kft__error_oom();
		goto out;
	}
	memset(&tc, 0, sizeof(tc));
	tc.deadline = follow && opts && opts->timeout_ms > 0 ? kft__mono_ms() + opts->timeout_ms : 0;
	tc.b = b;
	tc.name = name;
	if (follow) {
		tc.cb = cb;
		tc.payload = payload;
	}
	for (i = 0, k = 0; i < n; i++) {
		const kft_step_t *st = kft_job_step_at(job, i);
		const char *step = kft_step_name(st);
		kft__buf path = KFT__BUF_INIT;

		if (want && strcmp(want, step) != 0)
			continue;
		found = 1;
		if (kft__streq(kft_step_reason(st), "NotCreated"))
			continue;
		ls[k].step = step;
		ls[k].prefix = prefix;
		ls[k].cb = cb;
		ls[k].payload = payload;
		kft__buf_printf(&path, "/containers/%s/logs?stdout=1&stderr=1&follow=%d",
		                kft_step_target(st), follow);
		if (opts && opts->tail_lines >= 0)
			kft__buf_printf(&path, "&tail=%lld", (long long)opts->tail_lines);
		if (path.oom) {
			error = kft__error_oom();
			goto out;
		}
		error = kft__engine_stream_new(&ss[k], e, path.ptr, 1, on_log, &ls[k]);
		kft__buf_free(&path);
		if (error < 0)
			goto out;
		k++;
	}
	if (want && !found) {
		kft__buf names = KFT__BUF_INIT;

		for (i = 0; i < n; i++)
			kft__buf_printf(&names, "%s%s", i ? ", " : "", kft_step_name(kft_job_step_at(job, i)));
		error = kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_INVALID,
		                       "TrainJob %s has no step \"%s\" (steps: %s)", name, want,
		                       names.ptr ? names.ptr : "none");
		kft__buf_free(&names);
		goto out;
	}
	if (follow) {   /* every step at once, as lines arrive */
		error = kft__engine_streams_run(e, ss, k, 1000, logs_tick, &tc);
		/*
		 * dockerd may end a follow stream before it logged the container's last,
		 * unterminated line: read the finished log once more and deliver only
		 * the bytes beyond those already seen (not with --tail: offsets differ).
		 */
		for (i = 0; i < k && !error && !(opts && opts->tail_lines >= 0); i++) {
			kft__engine_stream *again = NULL;
			kft__buf path = KFT__BUF_INIT;
			int f;

			if (!kft__engine_stream_done(ss[i]) || kft__engine_stream_status(ss[i]) >= 300)
				continue;
			for (f = 0; f < 3; f++)
				ls[i].skip[f] = ls[i].seen[f];
			kft__buf_printf(&path, "/containers/%s-%s/logs?stdout=1&stderr=1", name,
			                ls[i].step);
			if (path.oom ||
			    (error = kft__engine_stream_new(&again, e, path.ptr, 1, on_log, &ls[i])) < 0) {
				kft__buf_free(&path);
				error = error ? error : kft__error_oom();
				break;
			}
			kft__buf_free(&path);
			error = kft__engine_streams_run(e, &again, 1, 1000, logs_tick, &tc);
			kft__engine_stream_free(again);
		}
		for (i = 0; i < k && !error; i++)
			error = flush_log(&ls[i]);
	} else {        /* one step after the other, in plan order */
		for (i = 0; i < k && !error; i++) {
			error = kft__engine_streams_run(e, &ss[i], 1, 1000, logs_tick, &tc);
			if (!error)
				error = flush_log(&ls[i]);
			if (!error && kft__engine_stream_status(ss[i]) >= 300)
				error = kft_error_last()->message[0] ? KFT_ERROR : 0;
		}
	}
out:
	for (i = 0; i < n; i++) {
		if (ss && ss[i])
			kft__engine_stream_free(ss[i]);
		if (ls)
			for (k = 0; k < 3; k++)
				kft__buf_free(&ls[i].part[k]);
	}
	free(ss);
	free(ls);
	kft_job_free(job);
	return error;
}

/* ---- events (from container timestamps) ---- */

static int labels_get_events(kft_event_list_t **out, kft_backend_t *be, const char *name)
{
	kft_job_t *job = NULL;
	kft_event_list_t *ev = NULL;
	cbackend *b = (cbackend *)be;
	kft__buf lab = KFT__BUF_INIT;
	cJSON *list = NULL;
	cjob j;
	size_t i;
	int error;

	*out = NULL;
	memset(&j, 0, sizeof(j));
	if ((error = labels_get_job(&job, be, name)) < 0)
		return error;
	kft__buf_printf(&lab, "%s=%s", L_JOB, name);
	if (lab.oom || (error = kft_event_list_new(&ev)) < 0) {
		error = error ? error : kft__error_oom();
		goto out;
	}
	if ((error = kft__engine_container_list(&list, b->eng, lab.ptr)) < 0 ||
	    (error = cjob_load(&j, b->eng, name, list)) < 0)
		goto out;
	error = kft_event_list_add(ev, kft_job_created_ms(job), "TrainJob", name, "Normal",
	                           "Created", "containers created");
	for (i = 0; !error && i < j.n; i++) {
		cstep *s = &j.s[i];
		char msg[256];

		if (s->started)
			error = kft_event_list_add(ev, s->started, "Container", s->cname, "Normal",
			                           "Started", "step started");
		if (!error && is_exited(s) && s->finished) {
			snprintf(msg, sizeof(msg), "step %s exited with code %d%s", s->step, s->exit_code,
			         s->oom ? " (OOM-killed)" : "");
			error = kft_event_list_add(ev, s->finished, "Container", s->cname,
			                           step_failed(s) ? "Warning" : "Normal",
			                           s->oom ? "OOMKilled" : step_failed(s) ? "Failed"
			                                                                 : "Completed",
			                           msg);
		}
	}
	if (!error && (kft_job_state(job) == KFT_JOB_FAILED ||
	               kft_job_state(job) == KFT_JOB_COMPLETE))
		error = kft_event_list_add(ev, kft_job_finished_ms(job), "TrainJob", name,
		                           kft_job_state(job) == KFT_JOB_FAILED ? "Warning" : "Normal",
		                           kft_job_reason(job) ? kft_job_reason(job)
		                                               : kft_job_status(job),
		                           kft_job_message(job) ? kft_job_message(job)
		                                                : kft_job_status(job));
	if (error < 0)
		goto out;
	kft_event_list_sort(ev);
	*out = ev;
	ev = NULL;
out:
	kft_event_list_free(ev);
	kft_job_free(job);
	cjob_clear(&j);
	cJSON_Delete(list);
	kft__buf_free(&lab);
	return error;
}

/* ---- suspend/resume ---- */

static int labels_resume(kft_backend_t *be, const char *name, int suspend)
{
	cbackend *b = (cbackend *)be;
	kft__buf lab = KFT__BUF_INIT;
	cJSON *list = NULL;
	cjob j;
	size_t i;
	int error;

	memset(&j, 0, sizeof(j));
	if (suspend)
		return kft__error_set(KFT_ENOTSUPPORTED, KFT_ERROR_CLASS_CONTAINER,
		                      "the container backend cannot suspend a started job "
		                      "(submit it suspended with spec.suspend, then resume it)");
	if ((error = engine(&b->eng, b)) < 0)
		return error;
	kft__buf_printf(&lab, "%s=%s", L_JOB, name);
	if (lab.oom)
		return kft__error_oom();
	if ((error = kft__engine_container_list(&list, b->eng, lab.ptr)) < 0 ||
	    (error = cjob_load(&j, b->eng, name, list)) < 0)
		goto out;
	if (j.n == 0) {
		error = kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_CONTAINER,
		                       "TrainJob %s not found", name);
		goto out;
	}
	/* initializers first, waited; then the rest */
	for (i = 0; i < j.n; i++) {
		int code;

		if (strcmp(j.s[i].role, "initializer") || strcmp(j.s[i].status, "created"))
			continue;
		if ((error = kft__engine_container_start(b->eng, j.s[i].id)) < 0 ||
		    (error = kft__engine_container_wait(&code, b->eng, j.s[i].id)) < 0)
			goto out;
		if (code != 0)
			goto out;
	}
	for (i = 0; i < j.n; i++)
		if (strcmp(j.s[i].role, "initializer") != 0 && !strcmp(j.s[i].status, "created") &&
		    (error = kft__engine_container_start(b->eng, j.s[i].id)) < 0)
			goto out;
out:
	cjob_clear(&j);
	cJSON_Delete(list);
	kft__buf_free(&lab);
	return error;
}

/* ---- store or labels ---- */

static int be_wait(kft_job_t **out, kft_backend_t *be, const char *name,
                   const kft_wait_opts_t *opts)
{
	cbackend *b = (cbackend *)be;

	kft__store_children_reap(&b->pending, 0);
	if (in_store(b, name))
		return kft__store_wait(out, b->root, name, "container", opts);
	return labels_wait(out, be, name, opts);
}

static int be_logs(kft_backend_t *be, const char *name, const kft_logs_opts_t *opts,
                   kft_log_cb cb, void *payload)
{
	cbackend *b = (cbackend *)be;

	if (in_store(b, name))   /* the step program copies each container's log stream here */
		return kft__store_logs(b->root, name, opts, cb, payload);
	return labels_logs(be, name, opts, cb, payload);
}

static int be_get_events(kft_event_list_t **out, kft_backend_t *be, const char *name)
{
	cbackend *b = (cbackend *)be;

	if (in_store(b, name))
		return kft__store_get_events(out, b->root, name);
	return labels_get_events(out, be, name);
}

static int be_get_metrics_history(kft_metrics_history_t **out, kft_backend_t *be,
                                  const char *name)
{
	cbackend *b = (cbackend *)be;

	if (in_store(b, name))   /* the progress server writes the history into the store */
		return kft__store_metrics_history(out, b->root, name);
	return kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_STORE,
	                      "job %s has no metrics history on this machine", name);
}

static int be_suspend_job(kft_backend_t *be, const char *name, int suspend)
{
	cbackend *b = (cbackend *)be;
	char *dir = NULL;
	int error;

	if (!in_store(b, name))
		return labels_resume(be, name, suspend);
	if ((error = store_dir(&dir, b, name)) < 0)
		return error;
	/* the supervisor stops the containers (suspend) or starts them again (resume) */
	error = kft__store_suspend(dir, name, suspend);
	free(dir);
	return error;
}

static void be_free(kft_backend_t *be)
{
	cbackend *b = (cbackend *)be;

	kft__store_children_free(&b->pending);
	kft__engine_free(b->eng);
	free(b->root);
	free(b->host);
	free(b->pull_policy);
	free(b->network);
	free(b->state_dir);
	free(b->runtime_path);
	free(b);
}

int kft__backend_container_factory(kft_backend_t **out, const kft_client_opts_t *opts,
                                   void *payload)
{
	cbackend *b = kft__calloc(1, sizeof(*b));

	(void)payload;
	KFT_CHECK_ALLOC(b);
	b->base.version = KFT_BACKEND_VERSION;
	b->base.name = "container";
	b->base.submit = be_submit;
	b->base.render_plan = be_render_plan;
	b->base.get_job = be_get_job;
	b->base.list_jobs = be_list_jobs;
	b->base.wait = be_wait;
	b->base.logs = be_logs;
	b->base.delete_job = be_delete_job;
	b->base.suspend_job = be_suspend_job;
	b->base.get_events = be_get_events;
	b->base.get_metrics_history = be_get_metrics_history;
	b->base.free = be_free;
	if (opts) {
		b->timeout_ms = opts->timeout_ms;
		if (kft__strdup_replace(&b->host, opts->container_host) < 0 ||
		    kft__strdup_replace(&b->pull_policy, opts->pull_policy) < 0 ||
		    kft__strdup_replace(&b->network, opts->network) < 0 ||
		    kft__strdup_replace(&b->state_dir, opts->state_dir) < 0 ||
		    kft__strdup_replace(&b->runtime_path, opts->runtime_path) < 0) {
			be_free(&b->base);
			return KFT_ENOMEM;
		}
	}
	if (b->pull_policy && strcmp(b->pull_policy, "IfNotPresent") &&
	    strcmp(b->pull_policy, "Always") && strcmp(b->pull_policy, "Never")) {
		be_free(&b->base);
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "pull policy \"%s\": must be IfNotPresent, Always or Never",
		                      opts->pull_policy);
	}
	if (check_net_mode(b) < 0) {
		be_free(&b->base);
		return KFT_EINVALID;
	}
	{
		char *sd = NULL;
		int error = kft__store_state_dir(&sd, b->state_dir);

		if (error == 0 && !(b->root = kft__path_join(sd, "container")))
			error = kft__error_oom();
		free(sd);
		if (error < 0) {
			be_free(&b->base);
			return error;
		}
	}
	*out = &b->base;
	return 0;
}
