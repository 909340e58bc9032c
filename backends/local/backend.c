/*
 * The local backend: TrainJobs run on this machine as processes, owned by a
 * detached kft-supervisor (backends/local/supervisor.c) and recorded in the
 * job store (backends/local/store.h). Waiting and log following are
 * event-driven (inotify on the job directory), never sleep loops.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "store.h"
#include "plan.h"
#include "builtin.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
	kft_backend_t base;
	char *state_dir;
	char *runtime_path;
	pid_t *pending;   /* supervisor launcher processes not reaped yet (our own children) */
	size_t npending, cap;
} local_be;

#define LBE(be) ((local_be *)(be))

/* Reap the short-lived first processes of the supervisors we started. */
static void reap_pending(local_be *lb, int block)
{
	size_t i = 0;

	while (i < lb->npending) {
		int status;
		pid_t r = waitpid(lb->pending[i], &status, block ? 0 : WNOHANG);

		if (r == 0 || (r < 0 && errno == EINTR)) {
			i++;
			continue;
		}
		lb->pending[i] = lb->pending[--lb->npending];
	}
}

/* ---------------- submit / plan ---------------- */

static int compile(cJSON **plan, cJSON **doc, local_be *lb, const kft_spec_t *spec,
                   const char *workspace)
{
	kft_runtime_t *rt = NULL;
	kft__plan_opts po;
	const char *rtname = kft_spec_runtime_name(spec);
	int error;

	*plan = *doc = NULL;
	if (!rtname)
		return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                      "spec.runtimeRef.name: Required value");
	if ((error = kft__catalog_get(&rt, lb->runtime_path, rtname)) < 0)
		return error;
	if ((error = kft__spec_finalize(doc, spec, rt)) < 0)
		goto out;
	memset(&po, 0, sizeof(po));
	po.job_name = kft_spec_name(spec);
	po.backend = "local";
	po.workspace = workspace;
	po.master_addr = "127.0.0.1";
	error = kft__plan_compile(plan, *doc, rt, &po);
out:
	if (error < 0) {
		cJSON_Delete(*doc);
		*doc = NULL;
	}
	kft_runtime_free(rt);
	return error;
}

static int be_render_plan(char **out, kft_backend_t *be, const kft_spec_t *spec, int format)
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
	if ((error = compile(&plan, &doc, lb, spec, ws)) < 0)
		goto out;
	error = kft__render_doc(out, plan, format == KFT_FORMAT_JSON ? KFT_FORMAT_JSON :
	                        KFT_FORMAT_YAML);
out:
	cJSON_Delete(plan);
	cJSON_Delete(doc);
	free(ws);
	free(dir);
	return error;
}

static int be_submit(kft_job_t **out, kft_backend_t *be, const kft_spec_t *spec,
                     const kft_train_opts_t *opts)
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
	if (!(ws = kft__path_join(dir, "workspace")) || !(sup = kft__supervisor_path())) {
		error = kft__error_oom();
		goto out;
	}
	if (access(sup, X_OK) < 0) {
		error = kft__error_os(KFT_ENOTFOUND, "job supervisor %s (set KFT_SUPERVISOR to the "
		                      "kft-supervisor program)", sup);
		goto out;
	}
	if ((error = compile(&plan, &doc, lb, spec, ws)) < 0)
		goto out;
	/* a builtin trainer's programs (e.g. `tune`) must exist before anything starts */
	if ((error = kft__builtin_check_local_tools(doc)) < 0)
		goto out;
	if ((error = kft__store_create(&lock_fd, lb->state_dir, name, doc, plan, "local")) < 0)
		goto out;
	reap_pending(lb, 0);
	if (lb->npending == lb->cap) {
		size_t cap = lb->cap ? lb->cap * 2 : 8;
		pid_t *p = kft__realloc(lb->pending, cap * sizeof(*p));

		if (!p) {
			close(lock_fd);
			kft__remove_tree(dir);
			error = kft__error_oom();
			goto out;
		}
		lb->pending = p;
		lb->cap = cap;
	}
	if ((error = kft__store_spawn_supervisor(&lb->pending[lb->npending], dir, lock_fd)) < 0) {
		/* nothing half-made stays behind */
		int saved = error;
		char *msg = kft__strdup(kft_error_last()->message);

		kft__remove_tree(dir);
		kft__error_set(saved, KFT_ERROR_CLASS_PROCESS, "%s", msg ? msg : "supervisor failed");
		free(msg);
		error = saved;
		goto out;
	}
	lb->npending++;
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
	reap_pending(LBE(be), 0);
	return kft__store_get_job(out, LBE(be)->state_dir, name, "local");
}

static int be_list_jobs(kft_job_list_t **out, kft_backend_t *be, const char *runtime)
{
	reap_pending(LBE(be), 0);
	return kft__store_list_jobs(out, LBE(be)->state_dir, runtime, "local");
}

static int be_get_events(kft_event_list_t **out, kft_backend_t *be, const char *name)
{
	reap_pending(LBE(be), 0);
	return kft__store_get_events(out, LBE(be)->state_dir, name);
}

/* ---------------- watching a job directory ---------------- */

typedef struct {
	int fd;   /* inotify; -1: fallback polling */
} watch_t;

#define WATCH_POLL_MS 20

/* Watch state changes (renames into dir), log writes, and the supervisor's exit. */
static int watch_open(watch_t *w, const char *dir, int logs)
{
	char path[PATH_MAX];

	w->fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (w->fd < 0) {
		struct stat sb;

		if (errno != EMFILE && errno != ENFILE && errno != ENOMEM)
			return kft__error_os(KFT_ERROR, "inotify_init1");
		/* out of inotify instances (fs.inotify.max_user_instances): poll briefly instead */
		kft__log(KFT_DIAG_WARN, "inotify unavailable (%s); polling %s every %d ms",
		         strerror(errno), dir, WATCH_POLL_MS);
		if (stat(dir, &sb) < 0)
			return kft__error_os(errno == ENOENT ? KFT_ENOTFOUND : KFT_ERROR, "%s", dir);
		return 0;
	}
	if (inotify_add_watch(w->fd, dir, IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF |
	                      IN_ONLYDIR) < 0) {
		int e = errno;

		close(w->fd);
		w->fd = -1;
		errno = e;
		return kft__error_os(e == ENOENT ? KFT_ENOTFOUND : KFT_ERROR, "cannot watch %s", dir);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, KFT__STORE_LOCK);
	inotify_add_watch(w->fd, path, IN_CLOSE_WRITE);
	if (logs) {
		snprintf(path, sizeof(path), "%s/logs", dir);
		inotify_add_watch(w->fd, path, IN_MODIFY | IN_CREATE | IN_CLOSE_WRITE);
	}
	return 0;
}

/* Sleep until something changes or timeout_ms passes (-1: forever). */
static void watch_wait(watch_t *w, int64_t timeout_ms)
{
	struct pollfd p;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	if (w->fd < 0) {
		poll(NULL, 0, (int)(timeout_ms >= 0 && timeout_ms < WATCH_POLL_MS ? timeout_ms :
		                    WATCH_POLL_MS));
		return;
	}
	p.fd = w->fd;
	p.events = POLLIN;
	if (timeout_ms > INT_MAX)
		timeout_ms = INT_MAX;
	if (poll(&p, 1, (int)timeout_ms) > 0)
		while (read(w->fd, buf, sizeof(buf)) > 0)
			;
}

static void watch_close(watch_t *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

/* ---------------- wait ---------------- */

/* Shorten *wait_ms to what is left before deadline (0: none); non-zero once it passed. */
static int clamp_to_deadline(int64_t *wait_ms, int64_t deadline)
{
	int64_t left;

	if (!deadline)
		return 0;
	left = deadline - kft__mono_ms();
	if (left <= 0)
		return 1;
	if (left < *wait_ms)
		*wait_ms = left;
	return 0;
}

static int be_wait(kft_job_t **out, kft_backend_t *be, const char *name, const kft_wait_opts_t *o)
{
	local_be *lb = LBE(be);
	uint32_t want = o && o->want ? o->want : KFT_WANT(KFT_JOB_COMPLETE);
	int64_t deadline = o && o->timeout_ms > 0 ? kft__mono_ms() + o->timeout_ms : 0;
	watch_t w = { -1 };
	char *dir = NULL;
	int error;

	reap_pending(lb, 0);
	if ((error = kft__store_job_dir(&dir, lb->state_dir, name)) < 0)
		return error;
	if ((error = watch_open(&w, dir, 0)) < 0) {
		if (error == KFT_ENOTFOUND)
			kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_STORE, "TrainJob \"%s\" not found",
			               name);
		goto out;
	}
	for (;;) {
		kft_job_t *job = NULL;
		int st;
		int64_t wait_ms = 1000;

		if ((error = kft__store_get_job(&job, lb->state_dir, name, "local")) < 0)
			break;
		st = kft_job_state(job);
		if (o && o->progress_cb && (error = o->progress_cb(job, o->payload)) != 0) {
			kft_job_free(job);
			kft__error_set(error, KFT_ERROR_CLASS_CALLBACK, "wait stopped by the callback");
			break;
		}
		if ((want & KFT_WANT(st)) || st == KFT_JOB_FAILED) {
			if (want & KFT_WANT(st))
				error = 0;
			else
				error = kft__error_set(KFT_EJOBFAILED, KFT_ERROR_CLASS_INVALID,
				                       "TrainJob %s is Failed: %s%s%s", name,
				                       kft_job_reason(job) ? kft_job_reason(job) : "",
				                       kft_job_message(job) ? ": " : "",
				                       kft_job_message(job) ? kft_job_message(job) : "");
			if (out)
				*out = job;
			else
				kft_job_free(job);
			break;
		}
		kft_job_free(job);
		if (clamp_to_deadline(&wait_ms, deadline)) {
			error = kft__error_set(KFT_ETIMEOUT, KFT_ERROR_CLASS_INVALID,
			                       "timed out waiting for TrainJob %s", name);
			break;
		}
		watch_wait(&w, wait_ms);
	}
out:
	watch_close(&w);
	free(dir);
	return error;
}

/* ---------------- logs ---------------- */

typedef struct {
	char *name;
	char *path;
	int fd;
	int done;
	kft__buf partial;
} stream_t;

typedef struct {
	kft_log_cb cb;
	void *payload;
	int prefix;
	kft__buf out;
} sink_t;

/* Deliver the whole lines of data (prefixed when asked); keep the rest in s->partial. */
static int deliver(sink_t *k, stream_t *s, const char *data, size_t len, int final)
{
	size_t start = 0, i;
	int rc;

	if (kft__buf_put(&s->partial, data, len) < 0)
		return kft__error_oom();
	kft__buf_clear(&k->out);
	for (i = 0; i < s->partial.len; i++) {
		if (s->partial.ptr[i] != '\n')
			continue;
		if (k->prefix)
			kft__buf_printf(&k->out, "%s: ", s->name);
		kft__buf_put(&k->out, s->partial.ptr + start, i + 1 - start);
		start = i + 1;
	}
	if (final && start < s->partial.len) {
		if (k->prefix)
			kft__buf_printf(&k->out, "%s: ", s->name);
		kft__buf_put(&k->out, s->partial.ptr + start, s->partial.len - start);
		kft__buf_putc(&k->out, '\n');
		start = s->partial.len;
	}
	if (k->out.oom)
		return kft__error_oom();
	if (start) {
		memmove(s->partial.ptr, s->partial.ptr + start, s->partial.len - start);
		s->partial.len -= start;
		s->partial.ptr[s->partial.len] = '\0';
	}
	if (k->out.len && (rc = k->cb(k->out.ptr, k->out.len, s->name, k->payload)) != 0)
		return kft__error_set(rc, KFT_ERROR_CLASS_CALLBACK, "logs stopped by the callback");
	return 0;
}

/* Offset where the last n lines of fd start. */
static off_t tail_offset(int fd, int64_t n)
{
	char buf[8192];
	off_t end = lseek(fd, 0, SEEK_END), pos = end;
	int64_t lines = 0;
	int first = 1;

	if (n < 0 || end <= 0)
		return 0;
	if (n == 0)
		return end;
	while (pos > 0) {
		size_t chunk = pos > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)pos;
		ssize_t r;
		size_t i;

		pos -= (off_t)chunk;
		if ((r = pread(fd, buf, chunk, pos)) <= 0)
			return 0;
		for (i = (size_t)r; i > 0; i--) {
			if (buf[i - 1] != '\n')
				continue;
			if (first && pos + (off_t)i == end) {
				first = 0;   /* the file's final newline ends the last line */
				continue;
			}
			if (++lines == n)
				return pos + (off_t)i;
		}
		first = 0;
	}
	return 0;
}

static int pump(sink_t *k, stream_t *s, int64_t tail, int final)
{
	char buf[65536];
	ssize_t n;
	int error;

	if (s->fd < 0) {
		s->fd = open(s->path, O_RDONLY | O_CLOEXEC);
		if (s->fd < 0)
			return errno == ENOENT ? 0 : kft__error_os(KFT_ERROR, "cannot open %s", s->path);
		lseek(s->fd, tail_offset(s->fd, tail), SEEK_SET);
	}
	while ((n = read(s->fd, buf, sizeof(buf))) > 0)
		if ((error = deliver(k, s, buf, (size_t)n, 0)) < 0)
			return error;
	if (final)
		return deliver(k, s, "", 0, 1);
	return 0;
}

static int be_logs(kft_backend_t *be, const char *name, const kft_logs_opts_t *o, kft_log_cb cb,
                   void *payload)
{
	local_be *lb = LBE(be);
	int follow = o && (o->flags & KFT_LOGS_FOLLOW);
	int64_t tail = o ? o->tail_lines : -1;
	int64_t deadline = follow && o->timeout_ms > 0 ? kft__mono_ms() + o->timeout_ms : 0;
	sink_t k = { cb, payload, 0, KFT__BUF_INIT };
	stream_t *ss = NULL;
	size_t n = 0, i;
	watch_t w = { -1 };
	cJSON *st = NULL;
	const cJSON *s;
	char *dir = NULL;
	int error;

	if ((error = kft__store_job_dir(&dir, lb->state_dir, name)) < 0)
		return error;
	if (follow && (error = watch_open(&w, dir, 1)) < 0) {
		if (error == KFT_ENOTFOUND)
			kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_STORE, "TrainJob \"%s\" not found",
			               name);
		goto out;
	}
	if ((error = kft__store_read_state(&st, dir, name)) < 0)
		goto out;
	k.prefix = o && (o->flags & KFT_LOGS_PREFIX) ? 1 : o && (o->flags & KFT_LOGS_NO_PREFIX) ? 0 :
	           !(o && o->step);
	if (!(ss = kft__calloc((size_t)cJSON_GetArraySize(kft__json_get(st, "steps")) + 1,
	                       sizeof(*ss)))) {
		error = kft__error_oom();
		goto out;
	}
	cJSON_ArrayForEach(s, kft__json_get(st, "steps")) {
		const char *sn = kft__json_str(s, "name");
		kft__buf p = KFT__BUF_INIT;

		if (!sn || (o && o->step && !kft__streq(o->step, sn)))
			continue;
		kft__buf_printf(&p, "%s/logs/%s.log", dir, sn);
		ss[n].name = kft__strdup(sn);
		ss[n].path = kft__buf_detach(&p);
		ss[n].fd = -1;
		if (!ss[n].name || !ss[n].path) {
			n++;
			error = kft__error_oom();
			goto out;
		}
		n++;
	}
	if (o && o->step && n == 0) {
		error = kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_STORE,
		                       "TrainJob %s has no step \"%s\"", name, o->step);
		goto out;
	}
	if (!follow) {
		for (i = 0; i < n && !error; i++)
			error = pump(&k, &ss[i], tail, 1);
		goto out;
	}
	for (;;) {
		int final = kft__store_status_final(kft__json_str(st, "status"));
		size_t open_left = 0;
		int64_t wait_ms = 1000;

		for (i = 0; i < n && !error; i++) {
			const cJSON *rec = NULL;
			const char *status;
			int finished;

			if (ss[i].done)
				continue;
			cJSON_ArrayForEach(s, kft__json_get(st, "steps"))
				if (kft__streq(kft__json_str(s, "name"), ss[i].name))
					rec = s;
			status = kft__json_str(rec, "status");
			finished = kft__streq(status, "Succeeded") || kft__streq(status, "Failed") ||
			           (final && !kft__streq(status, "Running")) || !rec;
			error = pump(&k, &ss[i], tail, finished);
			if (finished)
				ss[i].done = 1;
			else
				open_left++;
		}
		if (error || !open_left)
			break;
		if (clamp_to_deadline(&wait_ms, deadline)) {
			error = kft__error_set(KFT_ETIMEOUT, KFT_ERROR_CLASS_INVALID,
			                       "timed out following the logs of TrainJob %s", name);
			break;
		}
		watch_wait(&w, wait_ms);
		/* heartbeat: the callback is the cancellation point, at least once a second */
		{
			int rc = cb("", 0, "", payload);

			if (rc != 0) {
				error = kft__error_set(rc, KFT_ERROR_CLASS_CALLBACK, "logs stopped by the callback");
				break;
			}
		}
		cJSON_Delete(st);
		st = NULL;
		if ((error = kft__store_read_state(&st, dir, name)) < 0)
			break;
	}
out:
	for (i = 0; ss && i < n; i++) {
		if (ss[i].fd >= 0)
			close(ss[i].fd);
		free(ss[i].name);
		free(ss[i].path);
		kft__buf_free(&ss[i].partial);
	}
	free(ss);
	kft__buf_free(&k.out);
	cJSON_Delete(st);
	watch_close(&w);
	free(dir);
	return error;
}

/* ---------------- delete / suspend ---------------- */

static int be_delete_job(kft_backend_t *be, const char *name, const kft_delete_opts_t *o)
{
	local_be *lb = LBE(be);
	int64_t grace = o && o->grace_period_ms >= 0 ? o->grace_period_ms : 10000;
	watch_t w = { -1 };
	cJSON *st = NULL, *ctl = NULL;
	char *dir = NULL;
	int error, alive;

	if ((error = kft__store_job_dir(&dir, lb->state_dir, name)) < 0)
		return error;
	if ((error = watch_open(&w, dir, 0)) < 0) {
		if (error == KFT_ENOTFOUND)
			kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_STORE, "TrainJob \"%s\" not found",
			               name);
		goto out;
	}
	if ((alive = kft__store_supervisor_alive(dir)) < 0) {
		error = alive;
		goto out;
	}
	if (alive) {
		int64_t deadline = kft__mono_ms() + grace + 5000;

		if (!(ctl = cJSON_CreateObject()) || !cJSON_AddBoolToObject(ctl, "cancel", 1) ||
		    !cJSON_AddNumberToObject(ctl, "graceMs", (double)grace)) {
			error = kft__error_oom();
			goto out;
		}
		if ((error = kft__store_control(dir, ctl)) < 0)
			goto out;
		while ((alive = kft__store_supervisor_alive(dir)) > 0) {
			int64_t left = deadline - kft__mono_ms();

			if (left <= 0) {
				error = kft__error_set(KFT_ETIMEOUT, KFT_ERROR_CLASS_PROCESS,
				                       "TrainJob %s: the supervisor did not stop within %lld ms",
				                       name, (long long)(grace + 5000));
				goto out;
			}
			watch_wait(&w, left < 1000 ? left : 1000);
		}
	}
	/* a dead supervisor's leftovers are killed by the liveness check */
	if ((error = kft__store_read_state(&st, dir, name)) < 0 && error != KFT_ERROR)
		goto out;
	error = 0;
	kft_error_clear();
	if (!(o && (o->flags & KFT_DELETE_KEEP_STATE)))
		error = kft__remove_tree(dir);
out:
	watch_close(&w);
	cJSON_Delete(st);
	cJSON_Delete(ctl);
	free(dir);
	return error;
}

static int be_suspend_job(kft_backend_t *be, const char *name, int suspend)
{
	local_be *lb = LBE(be);
	cJSON *st = NULL, *ctl = NULL;
	char *dir = NULL;
	int error;

	if ((error = kft__store_job_dir(&dir, lb->state_dir, name)) < 0)
		return error;
	if ((error = kft__store_read_state(&st, dir, name)) < 0)
		goto out;
	if (kft__store_status_final(kft__json_str(st, "status"))) {
		error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                       "TrainJob %s is %s; only an unfinished job can be %s", name,
		                       kft__json_str(st, "status"), suspend ? "suspended" : "resumed");
		goto out;
	}
	if (!(ctl = cJSON_CreateObject()) || !cJSON_AddBoolToObject(ctl, "suspend", suspend != 0)) {
		error = kft__error_oom();
		goto out;
	}
	error = kft__store_control(dir, ctl);
out:
	cJSON_Delete(st);
	cJSON_Delete(ctl);
	free(dir);
	return error;
}

/* ---------------- factory ---------------- */

static void be_free(kft_backend_t *be)
{
	if (!be)
		return;
	reap_pending(LBE(be), 1);
	free(LBE(be)->pending);
	free(LBE(be)->state_dir);
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
	if ((error = kft__store_state_dir(&lb->state_dir, opts ? opts->state_dir : NULL)) < 0 ||
	    (opts && opts->runtime_path && !(lb->runtime_path = kft__strdup(opts->runtime_path)))) {
		be_free(&lb->base);
		return error < 0 ? error : kft__error_oom();
	}
	lb->base.version = KFT_BACKEND_VERSION;
	lb->base.name = "local";
	lb->base.submit = be_submit;
	lb->base.render_plan = be_render_plan;
	lb->base.get_job = be_get_job;
	lb->base.list_jobs = be_list_jobs;
	lb->base.wait = be_wait;
	lb->base.logs = be_logs;
	lb->base.delete_job = be_delete_job;
	lb->base.suspend_job = be_suspend_job;
	lb->base.get_events = be_get_events;
	lb->base.free = be_free;
	*out = &lb->base;
	return 0;
}
