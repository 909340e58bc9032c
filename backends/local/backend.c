/*
 * The local backend: TrainJobs run on this machine as processes, owned by a
 * detached kft-supervisor (backends/runner/supervisor.c) and recorded in the
 * job store (backends/runner/store.h). Waiting and log following are
 * event-driven (inotify on the job directory; backends/runner/follow.c).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "../runner/store.h"
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
	kft_backend_t base;
	char *state_dir;
	char *runtime_path;
	kft__store_children pending;   /* supervisor first processes not reaped yet */
} local_be;

#define LBE(be) ((local_be *)(be))


/* ---------------- submit / plan ---------------- */

/* spec is final and rt its runtime: the core read and expanded them once (kft_train). */
static int compile(cJSON **plan, cJSON **doc, const kft_spec_t *spec, const kft_runtime_t *rt,
                   const char *workspace)
{
	kft__plan_opts po;
	char *sup = NULL;
	int error = 0;

	*plan = NULL;
	KFT_CHECK_ALLOC(*doc = cJSON_Duplicate(kft__spec_doc(spec), 1));
	memset(&po, 0, sizeof(po));
	po.job_name = kft_spec_name(spec);
	po.backend = "local";
	po.workspace = workspace;
	po.master_addr = "127.0.0.1";
	if (!(po.initializer_program = sup = kft__supervisor_path())) {
		error = kft__error_oom();
		goto out;
	}
	error = kft__plan_compile(plan, *doc, rt, &po);
out:
	free(sup);
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
	char *dir = NULL, *ws = NULL;
	cJSON *plan = NULL, *doc = NULL;
	int error;

	*out = NULL;
	if ((error = kft__store_job_dir(&dir, lb->state_dir, kft_spec_name(spec))) < 0)
		return error;
	if (!(ws = kft__path_join(dir, "workspace"))) {
		error = kft__error_oom();
		goto out;
	}
	if ((error = compile(&plan, &doc, spec, rt, ws)) < 0)
		goto out;
	error = kft__render_doc(out, plan, opts->format == KFT_FORMAT_JSON ? KFT_FORMAT_JSON :
	                        KFT_FORMAT_YAML);
out:
	cJSON_Delete(plan);
	cJSON_Delete(doc);
	free(ws);
	free(dir);
	return error;
}

static int be_submit(kft_job_t **out, kft_backend_t *be, const kft_spec_t *spec,
                     const kft_runtime_t *rt, const kft_train_opts_t *opts)
{
	local_be *lb = LBE(be);
	const char *name = kft_spec_name(spec);
	char *dir = NULL, *ws = NULL, *sup = NULL;
	cJSON *plan = NULL, *doc = NULL;
	struct stat sb;
	int lock_fd = -1, error;

	*out = NULL;
	if (opts && (opts->flags & KFT_TRAIN_SERVER_DRY_RUN))
		return kft__error_set(KFT_ENOTSUPPORTED, KFT_ERROR_CLASS_INVALID,
		                      "server dry run is for the kubernetes backend; use "
		                      "kft_render_plan to see what would run locally");
	if ((error = kft__store_job_dir(&dir, lb->state_dir, name)) < 0)
		return error;
	if (stat(dir, &sb) == 0) {
		error = kft__error_set(KFT_EEXISTS, KFT_ERROR_CLASS_STORE,
		                       "TrainJob \"%s\" already exists (in %s/jobs); delete it or "
		                       "pick another name", name, lb->state_dir);
		goto out;
	}
	if ((error = kft__supervisor_find(&sup)) < 0)
		goto out;
	if (!(ws = kft__path_join(dir, "workspace"))) {
		error = kft__error_oom();
		goto out;
	}
	if ((error = compile(&plan, &doc, spec, rt, ws)) < 0)
		goto out;
	/* a builtin trainer's programs (e.g. `tune`) must exist before anything starts */
	if ((error = kft__builtin_check_local_tools(doc)) < 0)
		goto out;
	if ((error = kft__store_create(&lock_fd, lb->state_dir, name, doc, plan, "local")) < 0)
		goto out;
	if ((error = kft__store_spawn_supervisor(&lb->pending, dir, lock_fd)) < 0) {
		/* nothing half-made stays behind */
		int saved = error;
		char *msg = kft__strdup(kft_error_last()->message);

		kft__remove_tree(dir);
		kft__error_set(saved, KFT_ERROR_CLASS_PROCESS, "%s", msg ? msg : "supervisor failed");
		free(msg);
		error = saved;
		goto out;
	}
	error = kft__store_get_job(out, lb->state_dir, name, "local");
out:
	cJSON_Delete(plan);
	cJSON_Delete(doc);
	free(sup);
	free(ws);
	free(dir);
	return error;
}

/* ---------------- get / list / events ---------------- */

static int be_get_job(kft_job_t **out, kft_backend_t *be, const char *name)
{
	kft__store_children_reap(&LBE(be)->pending, 0);
	return kft__store_get_job(out, LBE(be)->state_dir, name, "local");
}

static int be_list_jobs(kft_job_list_t **out, kft_backend_t *be, const char *runtime)
{
	kft__store_children_reap(&LBE(be)->pending, 0);
	return kft__store_list_jobs(out, LBE(be)->state_dir, runtime, "local");
}

static int be_get_events(kft_event_list_t **out, kft_backend_t *be, const char *name)
{
	kft__store_children_reap(&LBE(be)->pending, 0);
	return kft__store_get_events(out, LBE(be)->state_dir, name);
}

static int be_get_manifest(char **out, kft_backend_t *be, const char *name, int what)
{
	return kft__store_manifest(out, LBE(be)->state_dir, name, what);
}

static int be_workspace_dir(char **out, kft_backend_t *be, const char *name)
{
	return kft__store_workspace_dir(out, LBE(be)->state_dir, name);
}

static int be_get_metrics_history(kft_metrics_history_t **out, kft_backend_t *be,
                                  const char *name)
{
	return kft__store_metrics_history(out, LBE(be)->state_dir, name);
}

/* ---------------- wait / logs (backends/runner/follow.c) ---------------- */

static int be_wait(kft_job_t **out, kft_backend_t *be, const char *name, const kft_wait_opts_t *o)
{
	kft__store_children_reap(&LBE(be)->pending, 0);
	return kft__store_wait(out, LBE(be)->state_dir, name, "local", o);
}

static int be_logs(kft_backend_t *be, const char *name, const kft_logs_opts_t *o, kft_log_cb cb,
                   void *payload)
{
	return kft__store_logs(LBE(be)->state_dir, name, o, cb, payload);
}

/* ---------------- delete / suspend ---------------- */

static int be_delete_job(kft_backend_t *be, const char *name, const kft_delete_opts_t *o)
{
	local_be *lb = LBE(be);
	int64_t grace = o && o->grace_period_ms >= 0 ? o->grace_period_ms : 10000;
	cJSON *st = NULL;
	char *dir = NULL;
	int error;

	if ((error = kft__store_job_dir(&dir, lb->state_dir, name)) < 0)
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

static int be_suspend_job(kft_backend_t *be, const char *name, int suspend)
{
	local_be *lb = LBE(be);
	char *dir = NULL;
	int error;

	if ((error = kft__store_job_dir(&dir, lb->state_dir, name)) < 0)
		return error;
	error = kft__store_suspend(dir, name, suspend);
	free(dir);
	return error;
}

/* ---------------- factory ---------------- */

static void be_free(kft_backend_t *be)
{
	if (!be)
		return;
	kft__store_children_free(&LBE(be)->pending);
	free(LBE(be)->state_dir);
	free(LBE(be)->runtime_path);
	free(be);
}

/* The vtable (include/kftrainer/sys/backend.h); every client gets a copy. */
static const kft_backend_t local_backend = {
	.version = KFT_BACKEND_VERSION,
	.name = "local",
	.submit = be_submit,
	.render_plan = be_render_plan,
	.get_job = be_get_job,
	.list_jobs = be_list_jobs,
	.wait = be_wait,
	.logs = be_logs,
	.delete_job = be_delete_job,
	.suspend_job = be_suspend_job,
	.get_events = be_get_events,
	.get_metrics_history = be_get_metrics_history,
	.workspace_dir = be_workspace_dir,
	.get_manifest = be_get_manifest,
	.free = be_free,
};

int kft__backend_local_factory(kft_backend_t **out, const kft_client_opts_t *opts, void *payload)
{
	local_be *lb = kft__calloc(1, sizeof(*lb));
	int error;

	(void)payload;
	*out = NULL;
	KFT_CHECK_ALLOC(lb);
	if ((error = kft__store_state_dir(&lb->state_dir, opts ? opts->state_dir : NULL)) < 0 ||
	    (opts && opts->runtime_path && !(lb->runtime_path = kft__strdup(opts->runtime_path)))) {
		be_free(&lb->base);
		return error < 0 ? error : kft__error_oom();
	}
	lb->base = local_backend;
	*out = &lb->base;
	return 0;
}
