/*
 * The container backend: runs a TrainJob's planned steps as containers in
 * dockerd or podman (Docker Engine API over a unix socket, engine.c).
 * SPDX-License-Identifier: Apache-2.0
 *
 * Design (DESIGN.md section 4): the job belongs to the job runner
 * (backends/runner/: store, supervisor, status algorithm), with containers as
 * its steps (kft-container-step, step.c). Files: see container.h.
 *
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
 *    The plan the supervisor runs says "runner": "program" with
 *    "stepProgram" kft-container-step (backends/runner/step.h), names the
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
 *    inspect data (labels.c: step records judged by the runner's status
 *    algorithm, the supervisor's own) and the engine's event and log streams
 *    (follow.c). No getter changes anything: a job's containers are stopped
 *    by its supervisor, or by their kft-container-step when the supervisor
 *    died (PR_SET_PDEATHSIG), or by delete.
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

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_GRACE_MS 10000
/* delete: beyond the grace period, time for the supervisor to stop every container */
#define CONTAINER_CANCEL_EXTRA_MS 15000

/* The job's store directory <state>/container/jobs/<name>. */
static int store_dir(char **out, cbackend *b, const char *name)
{
	return kft__store_job_dir(out, b->rb.root, name);
}

int kft__container_engine(kft__engine **out, cbackend *b)
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

/* spec is final and rt its runtime: the core read and expanded them once (kft_train). */
static int compile_plan(cJSON **out, cJSON **doc, cbackend *b, const kft_spec_t *spec,
                        const kft_runtime_t *rt)
{
	cJSON *tj = NULL;
	kft__plan_opts po;
	char master[128];
	int error, bridge = strcmp(net_mode(b), "host") != 0;

	*out = NULL;
	if ((error = check_net_mode(b)) < 0)
		return error;
	KFT_CHECK_ALLOC(tj = cJSON_Duplicate(kft__spec_doc(spec), 1));
	snprintf(master, sizeof(master), "%s-node-0", kft_spec_name(spec));
	memset(&po, 0, sizeof(po));
	po.job_name = kft_spec_name(spec);
	po.backend = "container";
	po.workspace = "/workspace";
	po.master_addr = bridge ? master : "127.0.0.1";
	po.master_port = bridge ? 29500 : 0;
	error = kft__plan_compile(out, tj, rt, &po);
	if (doc && error == 0) {
		*doc = tj;
		tj = NULL;
	}
	cJSON_Delete(tj);
	return error;
}

static int be_render_plan(char **out, kft_backend_t *be, const kft_spec_t *spec,
                          const kft_runtime_t *rt, const kft_render_opts_t *opts)
{
	cJSON *plan = NULL;
	int error;

	if ((error = compile_plan(&plan, NULL, (cbackend *)be, spec, rt)) < 0)
		return error;
	error = kft__render_doc(out, plan, opts->format);
	cJSON_Delete(plan);
	return error;
}


static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
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
	kft__store_children_reap(&b->rb.pending, 0);
	KFT_CHECK_ALLOC(jobs = kft__path_join(b->rb.root, "jobs"));
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
	if ((eng_error = kft__container_engine(&e, b)) == 0)
		eng_error = kft__engine_container_list(&list, e, L_JOB);
	if (eng_error < 0 && names.n == 0) {
		error = eng_error;
		goto out;
	}
	if (eng_error < 0)   /* the store's jobs are still listed; label-only ones cannot be */
		kft__log(KFT_DIAG_WARN, "container: %s; listing only the jobs in %s",
		         kft_error_last()->message, b->rb.root);
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

		if (kft__runner_in_store(&b->rb, names.v[i])) {
			r = kft__store_get_job(&job, b->rb.root, names.v[i], "container");
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
		} else if ((error = kft__container_observe(&job, b, names.v[i], &found)) < 0) {
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
/*
 * The progress protocol on a per-job network: its steps reach the host at the network's
 * gateway (IPAM Config Gateway from the engine's network inspect, an IPv4 literal), where
 * the job's progress server also listens (kft-progress-server reads the plan's
 * progressGateway; kft-container-step gives the containers host.docker.internal with that
 * address). Without one, the job runs with no progress protocol: one warning and an
 * event say so.
 */
static int progress_gateway(kft__engine *e, cJSON *plan, const char *net, const char *jobdir,
                            const char *name)
{
	cJSON *insp = NULL;
	const cJSON *c;
	const char *gw = NULL;
	char msg[512], *pp;
	struct in_addr a;
	int error;

	if ((error = kft__engine_network_inspect(&insp, e, net)) < 0)
		return error;
	cJSON_ArrayForEach(c, kft__json_get(kft__json_get(insp, "IPAM"), "Config")) {
		const char *g = kft__json_str(c, "Gateway");

		if (g && inet_pton(AF_INET, g, &a) == 1 && a.s_addr != htonl(INADDR_ANY)) {
			gw = g;
			break;
		}
	}
	if (!gw) {
		cJSON_Delete(insp);
		snprintf(msg, sizeof(msg), "network %s has no IPv4 gateway on the host: the job's "
		         "steps get no KUBEFLOW_TRAINER_SERVER_* (no progress protocol)", net);
		kft__log(KFT_DIAG_WARN, "%s", msg);
		if (kft__store_event(jobdir, "TrainJob", name, "Warning", "NoProgressServer", msg) < 0)
			kft_error_clear();   /* the job runs all the same */
		return 0;
	}
	error = kft__json_set_str(plan, "progressGateway", gw) < 0 ? kft__error_oom() : 0;
	cJSON_Delete(insp);
	if (error < 0)
		return error;
	if (!(pp = kft__path_join(jobdir, KFT__STORE_PLAN)))
		return kft__error_oom();
	error = kft__store_write_json(pp, plan, 0);   /* the supervisor has not started yet */
	free(pp);
	return error;
}

static int be_submit(kft_job_t **out, kft_backend_t *be, const kft_spec_t *spec,
                     const kft_runtime_t *rt, const kft_train_opts_t *opts)
{
	cbackend *b = (cbackend *)be;
	kft__engine *e;
	cJSON *plan = NULL, *doc = NULL, *existing = NULL;
	cJSON *st, *steps;
	const char *name = kft_spec_name(spec);
	char *jobdir = NULL, *ws = NULL, *sup = NULL, *rdir = NULL, *prog = NULL;
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
	if ((error = compile_plan(&plan, &doc, b, spec, rt)) < 0)
		goto out;
	if ((error = kft__container_engine(&e, b)) < 0)
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
		                       "(kft delete %s)", name, b->rb.root, name);
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
	if ((error = kft__supervisor_find(&sup)) < 0)
		goto out;
	if (!(ws = kft__path_join(jobdir, "workspace")) ||
	    !(rdir = kft__path_join(jobdir, "runner")) || stepnames.oom) {
		error = kft__error_oom();
		goto out;
	}
	{   /* the step runner program: kft-container-step next to kft-supervisor (or as set) */
		const char *env = getenv("KFT_CONTAINER_STEP");
		char *slash = strrchr(sup, '/');

		if (env && *env)
			prog = strchr(env, '/') ? kft__strdup(env) : kft__which(env);
		else if (slash) {
			*slash = '\0';
			prog = kft__path_join(sup, "kft-container-step");
			*slash = '/';
		} else {
			prog = kft__which("kft-container-step");
		}
		if (!prog || *prog != '/' || access(prog, X_OK) < 0) {
			error = kft__error_os(KFT_ENOTFOUND, "container step program %s (install it next "
			                      "to kft-supervisor, or set KFT_CONTAINER_STEP)",
			                      prog ? prog : env && *env ? env : "kft-container-step");
			goto out;
		}
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
	if (netname.oom || kft__json_set_str(plan, "runner", "program") < 0 ||
	    kft__json_set_str(plan, "stepProgram", prog) < 0 ||
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
		    kft__json_set_str(st, "target", cname) < 0 ||
		    kft__json_set(st, "createBody", body) < 0) {
			error = kft__error_oom();
			goto out;
		}
	}
	if ((error = kft__store_create(&lock_fd, b->rb.root, name, doc, plan, "container")) < 0)
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
		if (error < 0 || (error = progress_gateway(e, plan, netname.ptr, jobdir, name)) < 0)
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
	error = kft__store_spawn_supervisor(&b->rb.pending, jobdir, lock_fd);
	lock_fd = -1;   /* closed by the spawn, in any case */
	if (error < 0)
		goto cleanup;
	error = kft__store_get_job(out, b->rb.root, name, "container");
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
	free(prog);
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
	if ((error = kft__cjob_find(&j, &list, e, name)) < 0)
		goto out;
	if (j.n > 0) {
		*found = 1;
		if (!dir && kft__cjob_label(&j, L_JOBDIR))
			dir = kft__strdup(kft__cjob_label(&j, L_JOBDIR));
		kft__cjob_stop(e, &j, grace_ms);
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
	kft__cjob_clear(&j);
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

	kft__store_children_reap(&b->rb.pending, 0);
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
			/* a dead supervisor is recorded (its step programs stopped with it) */
			kft__store_read_state(&st, dir, name);
		}
		kft_error_clear();
	}
	if ((error = kft__container_engine(&e, b)) < 0)
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

/* ---- jobs the store does not hold: what the engine's labels say ---- */

static int labels_manifest(char **out, kft_backend_t *be, const char *name, int what)
{
	(void)be;
	(void)what;
	*out = NULL;
	return kft__error_set(KFT_ENOTSUPPORTED, KFT_ERROR_CLASS_STORE,
	                      "job %s was not started from this machine: no TrainJob or plan "
	                      "document here", name);
}

static int labels_metrics_history(kft_metrics_history_t **out, kft_backend_t *be,
                                  const char *name)
{
	(void)be;
	*out = NULL;
	return kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_STORE,
	                      "job %s has no metrics history on this machine", name);
}

/* The fallback of backends/runner/backend.h: get, wait, logs, events, suspend. */
static const kft_backend_t labels_fallback = {
	.get_job = kft__container_labels_get_job,
	.wait = kft__container_labels_wait,
	.logs = kft__container_labels_logs,
	.get_events = kft__container_labels_get_events,
	.get_manifest = labels_manifest,
	.get_metrics_history = labels_metrics_history,
	.suspend_job = kft__container_labels_resume,
};

static void be_free(kft_backend_t *be)
{
	cbackend *b = (cbackend *)be;

	kft__runner_backend_clear(&b->rb);
	kft__engine_free(b->eng);
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
	kft__runner_backend_init(&b->rb, "container", &labels_fallback);
	b->rb.base.submit = be_submit;
	b->rb.base.render_plan = be_render_plan;
	b->rb.base.list_jobs = be_list_jobs;
	b->rb.base.delete_job = be_delete_job;
	b->rb.base.free = be_free;
	if (opts) {
		b->timeout_ms = opts->timeout_ms;
		if (kft__strdup_replace(&b->host, opts->container_host) < 0 ||
		    kft__strdup_replace(&b->pull_policy, opts->pull_policy) < 0 ||
		    kft__strdup_replace(&b->network, opts->network) < 0 ||
		    kft__strdup_replace(&b->state_dir, opts->state_dir) < 0 ||
		    kft__strdup_replace(&b->runtime_path, opts->runtime_path) < 0) {
			be_free(&b->rb.base);
			return KFT_ENOMEM;
		}
	}
	if (b->pull_policy && strcmp(b->pull_policy, "IfNotPresent") &&
	    strcmp(b->pull_policy, "Always") && strcmp(b->pull_policy, "Never")) {
		be_free(&b->rb.base);
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "pull policy \"%s\": must be IfNotPresent, Always or Never",
		                      opts->pull_policy);
	}
	if (check_net_mode(b) < 0) {
		be_free(&b->rb.base);
		return KFT_EINVALID;
	}
	{
		char *sd = NULL;
		int error = kft__store_state_dir(&sd, b->state_dir);

		if (error == 0 && !(b->rb.root = kft__path_join(sd, "container")))
			error = kft__error_oom();
		free(sd);
		if (error < 0) {
			be_free(&b->rb.base);
			return error;
		}
	}
	*out = &b->rb.base;
	return 0;
}

