/*
 * The local backend: TrainJobs run on this machine as processes, owned by a
 * detached kft-supervisor (backends/runner/supervisor.c) and recorded in the
 * job store (backends/runner/store.h). Waiting and log following are
 * event-driven (inotify on the job directory; backends/runner/follow.c).
 * Everything read from the store (get, wait, logs, events, suspend, ...) is
 * the runner's (backends/runner/backend.h); this file submits, lists, deletes.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../runner/backend.h"
#include "plan.h"
#include "builtin.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
	kft__runner_backend rb;   /* first; rb.root: the state dir */
	char *runtime_path;
} local_be;

#define LBE(be) ((local_be *)(be))


/* ---------------- submit / plan ---------------- */

/*
 * The plan of the job whose directory is jobdir (its workspace is jobdir/workspace). spec is
 * final and rt its runtime: the core read and expanded them once (kft_train).
 */
static int compile(cJSON **plan, cJSON **doc, const kft_spec_t *spec, const kft_runtime_t *rt,
                   const char *jobdir)
{
	kft__plan_opts po;
	char *sup = NULL, *ws = NULL;
	int error = 0;

	*plan = NULL;
	KFT_CHECK_ALLOC(*doc = cJSON_Duplicate(kft__spec_doc(spec), 1));
	memset(&po, 0, sizeof(po));
	po.job_name = kft_spec_name(spec);
	po.backend = "local";
	po.master_addr = "127.0.0.1";
	if (!(po.workspace = ws = kft__path_join(jobdir, "workspace")) ||
	    !(po.initializer_program = sup = kft__supervisor_path())) {
		error = kft__error_oom();
		goto out;
	}
	error = kft__plan_compile(plan, *doc, rt, &po);
out:
	free(sup);
	free(ws);
	if (error < 0) {
		cJSON_Delete(*doc);
		*doc = NULL;
	}
	return error;
}

static int be_render_plan(char **out, kft_backend_t *be, const kft_spec_t *spec,
                          const kft_runtime_t *rt, const kft_render_opts_t *opts)
{
	local_be *lb = LBE(be);
	char *dir = NULL;
	cJSON *plan = NULL, *doc = NULL;
	int error;

	*out = NULL;
	if ((error = kft__store_job_dir(&dir, lb->rb.root, kft_spec_name(spec))) < 0)
		return error;
	if ((error = compile(&plan, &doc, spec, rt, dir)) < 0)
		goto out;
	error = kft__render_doc(out, plan, opts->format == KFT_FORMAT_JSON ? KFT_FORMAT_JSON :
	                        KFT_FORMAT_YAML);
out:
	cJSON_Delete(plan);
	cJSON_Delete(doc);
	free(dir);
	return error;
}

static int be_submit(kft_job_t **out, kft_backend_t *be, const kft_spec_t *spec,
                     const kft_runtime_t *rt, const kft_train_opts_t *opts)
{
	local_be *lb = LBE(be);
	const char *name = kft_spec_name(spec);
	char *dir = NULL, *sup = NULL;
	cJSON *plan = NULL, *doc = NULL;
	struct stat sb;
	int lock_fd = -1, error;

	*out = NULL;
	if (opts && (opts->flags & KFT_TRAIN_SERVER_DRY_RUN))
		return kft__error_set(KFT_ENOTSUPPORTED, KFT_ERROR_CLASS_INVALID,
		                      "server dry run is for the kubernetes backend; use "
		                      "kft_render_plan to see what would run locally");
	if ((error = kft__store_job_dir(&dir, lb->rb.root, name)) < 0)
		return error;
	if (stat(dir, &sb) == 0) {
		error = kft__error_set(KFT_EEXISTS, KFT_ERROR_CLASS_STORE,
		                       "TrainJob \"%s\" already exists (in %s/jobs); delete it or "
		                       "pick another name", name, lb->rb.root);
		goto out;
	}
	if ((error = kft__supervisor_find(&sup)) < 0)
		goto out;
	if ((error = compile(&plan, &doc, spec, rt, dir)) < 0)
		goto out;
	/* a builtin trainer's programs (e.g. `tune`) must exist before anything starts */
	if ((error = kft__builtin_check_local_tools(doc)) < 0)
		goto out;
	if ((error = kft__store_create(&lock_fd, lb->rb.root, name, doc, plan, "local")) < 0)
		goto out;
	if ((error = kft__store_spawn_supervisor(&lb->rb.pending, dir, lock_fd)) < 0) {
		/* nothing half-made stays behind */
		int saved = error;
		char *msg = kft__strdup(kft_error_last()->message);

		kft__remove_tree(dir);
		kft__error_set(saved, KFT_ERROR_CLASS_PROCESS, "%s", msg ? msg : "supervisor failed");
		free(msg);
		error = saved;
		goto out;
	}
	error = kft__store_get_job(out, lb->rb.root, name, "local");
out:
	cJSON_Delete(plan);
	cJSON_Delete(doc);
	free(sup);
	free(dir);
	return error;
}

/* ---------------- list (get, wait, logs, events...: backends/runner/backend.c) ---------------- */

static int be_list_jobs(kft_job_list_t **out, kft_backend_t *be, const char *runtime)
{
	kft__store_children_reap(&LBE(be)->rb.pending, 0);
	return kft__store_list_jobs(out, LBE(be)->rb.root, runtime, "local");
}

/* ---------------- delete ---------------- */

static int be_delete_job(kft_backend_t *be, const char *name, const kft_delete_opts_t *o)
{
	local_be *lb = LBE(be);
	int64_t grace = o && o->grace_period_ms >= 0 ? o->grace_period_ms : 10000;
	cJSON *st = NULL;
	char *dir = NULL;
	int error;

	if ((error = kft__store_job_dir(&dir, lb->rb.root, name)) < 0)
		return error;
	if ((error = kft__store_cancel(dir, name, grace, 5000)) < 0)
		goto out;
	/* a dead supervisor's leftovers are killed by the liveness check */
	if ((error = kft__store_read_state(&st, dir, name)) < 0 && error != KFT_ERROR)
		goto out;
	error = 0;
	kft_error_clear();
	if (!(o && (o->flags & KFT_DELETE_KEEP_STATE)))
		error = kft__remove_tree(dir);
out:
	cJSON_Delete(st);
	free(dir);
	return error;
}

/* ---------------- factory ---------------- */

static void be_free(kft_backend_t *be)
{
	if (!be)
		return;
	kft__runner_backend_clear(&LBE(be)->rb);
	free(LBE(be)->runtime_path);
	free(be);
}

int kft__backend_local_factory(kft_backend_t **out, const kft_client_opts_t *opts, void *payload)
{
	local_be *lb = kft__calloc(1, sizeof(*lb));
	int error;

	(void)payload;
	*out = NULL;
	KFT_CHECK_ALLOC(lb);
	kft__runner_backend_init(&lb->rb, "local", NULL);
	lb->rb.base.submit = be_submit;
	lb->rb.base.render_plan = be_render_plan;
	lb->rb.base.list_jobs = be_list_jobs;
	lb->rb.base.delete_job = be_delete_job;
	lb->rb.base.free = be_free;
	if ((error = kft__store_state_dir(&lb->rb.root, opts ? opts->state_dir : NULL)) < 0 ||
	    (opts && opts->runtime_path && !(lb->runtime_path = kft__strdup(opts->runtime_path)))) {
		be_free(&lb->rb.base);
		return error < 0 ? error : kft__error_oom();
	}
	*out = &lb->rb.base;
	return 0;
}
