/*
 * The store-answered half of the local and container backends (backend.h).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "backend.h"

#include <stdlib.h>
#include <sys/stat.h>

#define RB(be) ((kft__runner_backend *)(be))

int kft__runner_in_store(kft__runner_backend *rb, const char *name)
{
	char *dir = NULL, *st = NULL;
	struct stat sb;
	int r = 0;

	if (kft__store_job_dir(&dir, rb->root, name) == 0 &&
	    (st = kft__path_join(dir, KFT__STORE_STATE)) != NULL)
		r = stat(st, &sb) == 0;
	kft_error_clear();
	free(st);
	free(dir);
	return r;
}

/* The fallback's method m when there is one and the store does not hold the job. */
#define FALLBACK(rb, m, name) \
	((rb)->fallback && (rb)->fallback->m && !kft__runner_in_store(rb, name) ? \
	 (rb)->fallback->m : NULL)

static int rb_get_job(kft_job_t **out, kft_backend_t *be, const char *name)
{
	kft__runner_backend *rb = RB(be);

	kft__store_children_reap(&rb->pending, 0);
	if (FALLBACK(rb, get_job, name))
		return rb->fallback->get_job(out, be, name);
	return kft__store_get_job(out, rb->root, name, be->name);
}

static int rb_wait(kft_job_t **out, kft_backend_t *be, const char *name, const kft_wait_opts_t *o)
{
	kft__runner_backend *rb = RB(be);

	kft__store_children_reap(&rb->pending, 0);
	if (FALLBACK(rb, wait, name))
		return rb->fallback->wait(out, be, name, o);
	return kft__store_wait(out, rb->root, name, be->name, o);
}

/* The container backend's step program copies each container's log stream into the store. */
static int rb_logs(kft_backend_t *be, const char *name, const kft_logs_opts_t *o, kft_log_cb cb,
                   void *payload)
{
	kft__runner_backend *rb = RB(be);

	if (FALLBACK(rb, logs, name))
		return rb->fallback->logs(be, name, o, cb, payload);
	return kft__store_logs(rb->root, name, o, cb, payload);
}

static int rb_get_events(kft_event_list_t **out, kft_backend_t *be, const char *name)
{
	kft__runner_backend *rb = RB(be);

	kft__store_children_reap(&rb->pending, 0);
	if (FALLBACK(rb, get_events, name))
		return rb->fallback->get_events(out, be, name);
	return kft__store_get_events(out, rb->root, name);
}

static int rb_get_manifest(char **out, kft_backend_t *be, const char *name, int what)
{
	kft__runner_backend *rb = RB(be);

	if (FALLBACK(rb, get_manifest, name))
		return rb->fallback->get_manifest(out, be, name, what);
	return kft__store_manifest(out, rb->root, name, what);
}

/* The progress server writes the history into the store. */
static int rb_get_metrics_history(kft_metrics_history_t **out, kft_backend_t *be,
                                  const char *name)
{
	kft__runner_backend *rb = RB(be);

	if (FALLBACK(rb, get_metrics_history, name))
		return rb->fallback->get_metrics_history(out, be, name);
	return kft__store_metrics_history(out, rb->root, name);
}

/* The store's workspace (bind-mounted at /workspace in every container of a container job). */
static int rb_workspace_dir(char **out, kft_backend_t *be, const char *name)
{
	return kft__store_workspace_dir(out, RB(be)->root, name);
}

/* The supervisor stops the steps (suspend) or starts them again (resume). */
static int rb_suspend_job(kft_backend_t *be, const char *name, int suspend)
{
	kft__runner_backend *rb = RB(be);
	char *dir = NULL;
	int error;

	if (FALLBACK(rb, suspend_job, name))
		return rb->fallback->suspend_job(be, name, suspend);
	if ((error = kft__store_job_dir(&dir, rb->root, name)) < 0)
		return error;
	error = kft__store_suspend(dir, name, suspend);
	free(dir);
	return error;
}

void kft__runner_backend_init(kft__runner_backend *rb, const char *name,
                              const kft_backend_t *fallback)
{
	rb->base.version = KFT_BACKEND_VERSION;
	rb->base.name = name;
	rb->base.get_job = rb_get_job;
	rb->base.wait = rb_wait;
	rb->base.logs = rb_logs;
	rb->base.get_events = rb_get_events;
	rb->base.get_manifest = rb_get_manifest;
	rb->base.get_metrics_history = rb_get_metrics_history;
	rb->base.workspace_dir = rb_workspace_dir;
	rb->base.suspend_job = rb_suspend_job;
	rb->fallback = fallback;
}

void kft__runner_backend_clear(kft__runner_backend *rb)
{
	kft__store_children_free(&rb->pending);
	free(rb->root);
	rb->root = NULL;
}
