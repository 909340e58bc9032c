/*
 * Waiting for and following a job in the store (shared by the local and
 * container backends): event-driven through inotify on the job directory
 * (state.json is replaced by rename, logs/ grows, the supervisor's lock is
 * released), never sleep loops; a short poll only when inotify is exhausted.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------- watching a job directory ---------------- */

typedef struct {
	int fd;       /* inotify; -1: fallback polling */
	int wd[3];    /* the watches, removed before the instance is kept for the next wait */
	int nwd;
} watch_t;

#define WATCH_INIT { -1, { -1, -1, -1 }, 0 }
#define WATCH_POLL_MS 20

/*
 * One idle inotify instance, kept for the next watch. Closing an instance makes
 * the kernel wait for a grace period (fsnotify_destroy_group: 10-25 ms measured
 * here, at the end of every wait or followed log); removing its watches does not
 * (inotify_rm_watch hands them to a reaper). The slot is taken and given back by
 * atomic exchange, so clients on other threads each get their own instance; the
 * pid keeps a forked child from sharing its parent's. The descriptor is
 * close-on-exec and goes with the process.
 */
static int idle_fd = -1;
static pid_t idle_pid;

static int watch_instance(void)
{
	int fd = __atomic_exchange_n(&idle_fd, -1, __ATOMIC_ACQ_REL);

	if (fd >= 0 && __atomic_load_n(&idle_pid, __ATOMIC_ACQUIRE) != getpid()) {
		close(fd);   /* the parent's: it still holds it, so this close is quick */
		fd = -1;
	}
	return fd >= 0 ? fd : inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
}

static void watch_close(watch_t *w);

static void watch_add(watch_t *w, const char *path, uint32_t mask)
{
	int wd = inotify_add_watch(w->fd, path, mask);

	if (wd >= 0 && w->nwd < (int)(sizeof(w->wd) / sizeof(w->wd[0])))
		w->wd[w->nwd++] = wd;
}

/* Watch state changes (renames into dir), log writes, and the supervisor's exit. */
static int watch_open(watch_t *w, const char *dir, int logs)
{
	char path[PATH_MAX];

	w->nwd = 0;
	w->fd = watch_instance();
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
	watch_add(w, dir, IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR);
	if (w->nwd == 0) {
		int e = errno;

		watch_close(w);   /* kept for the next watch, like any other */
		errno = e;
		return kft__error_os(e == ENOENT ? KFT_ENOTFOUND : KFT_ERROR, "cannot watch %s", dir);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, KFT__STORE_LOCK);
	watch_add(w, path, IN_CLOSE_WRITE);
	if (logs) {
		snprintf(path, sizeof(path), "%s/logs", dir);
		watch_add(w, path, IN_MODIFY | IN_CREATE | IN_CLOSE_WRITE);
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

/* Remove the watches and keep the instance for the next watch (see idle_fd). */
static void watch_close(watch_t *w)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int i, fd;

	if (w->fd < 0)
		return;
	for (i = 0; i < w->nwd; i++)
		inotify_rm_watch(w->fd, w->wd[i]);   /* gone already when the directory was removed */
	while (read(w->fd, buf, sizeof(buf)) > 0)
		;   /* what is queued (IN_IGNORED and the rest) belongs to this watch only */
	__atomic_store_n(&idle_pid, getpid(), __ATOMIC_RELEASE);
	fd = __atomic_exchange_n(&idle_fd, w->fd, __ATOMIC_ACQ_REL);
	if (fd >= 0)
		close(fd);   /* two were idle: keep one */
	w->fd = -1;
	w->nwd = 0;
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

/*
 * Where the kernel refused the job's namespaces its steps run without a
 * private /workspace: one warning per wait, through the diagnostics handler
 * (the CLI prints it, Python logs it). The supervisor records the event before
 * any step starts, so once the job is past Created the answer is known.
 * Returns 1 once decided (warned or not), 0 to look again.
 */
static int warn_no_namespace(const char *state_dir, const char *name, const kft_job_t *job)
{
	kft_event_list_t *ev = NULL;
	size_t i;
	int decided = kft_job_state(job) != KFT_JOB_CREATED;

	if (kft__store_get_events(&ev, state_dir, name) < 0)
		return 1;   /* no events to read: nothing to say */
	for (i = 0; i < kft_event_list_count(ev); i++) {
		const kft_event_t *e = kft_event_list_at(ev, i);
		char *ws = NULL;

		if (!kft__streq(kft_event_reason(e), "NoWorkspaceNamespace"))
			continue;
		if (kft__store_workspace_dir(&ws, state_dir, name) < 0)
			ws = NULL;
		kft__log(KFT_DIAG_WARN, "TrainJob %s runs without a private /workspace (%s): its "
		         "steps find their workspace at $KFT_WORKSPACE (%s)", name,
		         kft_event_message(e) ? kft_event_message(e) : "namespaces refused",
		         ws ? ws : "the job's directory");
		free(ws);
		decided = 1;
		break;
	}
	kft_event_list_free(ev);
	return decided;
}

int kft__store_wait(kft_job_t **out, const char *state_dir, const char *name,
                    const char *backend, const kft_wait_opts_t *o)
{
	int ns_decided = 0;
	int64_t deadline = o && o->timeout_ms > 0 ? kft__mono_ms() + o->timeout_ms : 0;
	watch_t w = WATCH_INIT;
	char *dir = NULL;
	int error;

	if ((error = kft__store_job_dir(&dir, state_dir, name)) < 0)
		return error;
	if ((error = watch_open(&w, dir, 0)) < 0) {
		if (error == KFT_ENOTFOUND)
			kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_STORE, "TrainJob \"%s\" not found",
			               name);
		goto out;
	}
	for (;;) {
		kft_job_t *job = NULL;
		int64_t wait_ms = 1000;

		if ((error = kft__store_get_job(&job, state_dir, name, backend)) < 0)
			break;
		if (!ns_decided)
			ns_decided = warn_no_namespace(state_dir, name, job);
		if (!kft__wait_decide(&error, job, name, o)) {
			kft__wait_hand_over(out, &job, error);
			kft_job_free(job);
			break;
		}
		if (clamp_to_deadline(&wait_ms, deadline)) {
			error = kft__wait_timed_out(name, job);
			kft_job_free(job);
			break;
		}
		kft_job_free(job);
		watch_wait(&w, wait_ms);
	}
out:
	watch_close(&w);
	free(dir);
	return error;
}

/* ---------------- logs ---------------- */

typedef struct {
	int64_t off, ms;   /* the bytes below off were written by ms (supervisor.c's samples) */
} tmark;

typedef struct {
	char *name;
	char *path;
	int fd;
	int done;
	kft__buf partial;
	int64_t base;      /* the file offset of partial.ptr[0] */
	int skip_line;     /* --since started mid-line: drop up to the first newline */
	tmark *marks;
	size_t nmarks;
} stream_t;

typedef struct {
	kft_log_cb cb;
	void *payload;
	int prefix;
	int stamps;        /* KFT_LOGS_TIMESTAMPS */
	int64_t since_ms;
	kft__buf out;
} sink_t;

/* Read logs/<step>.times (the whole file: a few lines a second of output at most). */
static void load_marks(stream_t *s)
{
	size_t len = strlen(s->path), n = 0, cap = 0;
	char *tpath = kft__malloc(len + 3), *text = NULL, *p;
	tmark *m = NULL;

	if (!tpath)
		return;
	memcpy(tpath, s->path, len - 4);   /* ".log" -> ".times" */
	strcpy(tpath + len - 4, ".times");
	if (kft__read_file(&text, NULL, tpath) == 0) {
		for (p = text; *p; ) {
			long long off, ms;

			if (sscanf(p, "%lld %lld", &off, &ms) == 2) {
				if (kft__grow(&m, &cap, n + 1, sizeof(*m), 64) < 0)
					break;
				m[n].off = off;
				m[n++].ms = ms;
			}
			p += strcspn(p, "\n");
			p += *p == '\n';
		}
	}
	free(s->marks);
	s->marks = m;
	s->nmarks = n;
	free(text);
	free(tpath);
}

/* When the byte before offset end was written: the first sample that covers it, else now. */
static int64_t written_ms(const stream_t *s, int64_t end)
{
	size_t lo = 0, hi = s->nmarks;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->marks[mid].off >= end)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo < s->nmarks ? s->marks[lo].ms : kft__now_ms();
}

/* Where --since starts: after the bytes the last sample before the cutoff covers. */
static int64_t since_offset(const stream_t *s, int64_t cutoff_ms)
{
	int64_t off = 0;
	size_t i;

	for (i = 0; i < s->nmarks && s->marks[i].ms < cutoff_ms; i++)
		off = s->marks[i].off;
	return off;
}

static void line_head(sink_t *k, stream_t *s, size_t end)
{
	if (k->prefix)
		kft__buf_printf(&k->out, "%s: ", s->name);
	if (k->stamps) {
		char when[64];

		kft__time_rfc3339_format(when, sizeof(when), written_ms(s, s->base + (int64_t)end));
		kft__buf_printf(&k->out, "%s ", when);
	}
}

/*
 * Deliver the whole lines of data (prefixed when asked); keep the rest in
 * s->partial, up to KFT__LOG_LINE_MAX (then it goes out as a line of its own).
 */
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
		if (s->skip_line) {
			s->skip_line = 0;
			start = i + 1;
			continue;
		}
		line_head(k, s, i + 1);
		kft__buf_put(&k->out, s->partial.ptr + start, i + 1 - start);
		start = i + 1;
	}
	if (s->skip_line && s->partial.len - start >= KFT__LOG_LINE_MAX)
		start = s->partial.len;   /* still dropping the line --since started in */
	if ((final || s->partial.len - start >= KFT__LOG_LINE_MAX) && start < s->partial.len &&
	    !s->skip_line) {
		line_head(k, s, s->partial.len);
		kft__buf_put(&k->out, s->partial.ptr + start, s->partial.len - start);
		kft__buf_putc(&k->out, '\n');
		start = s->partial.len;
	}
	if (k->out.oom)
		return kft__error_oom();
	s->base += (int64_t)start;
	if (start) {
		memmove(s->partial.ptr, s->partial.ptr + start, s->partial.len - start);
		s->partial.len -= start;
		s->partial.ptr[s->partial.len] = '\0';
	}
	if (k->out.len && (rc = k->cb(k->out.ptr, k->out.len, s->name, k->payload)) != 0)
		return kft__error_set(rc, KFT_ERROR_CLASS_CALLBACK, "log streaming stopped by the caller");
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
		s->base = tail_offset(s->fd, tail);
		if (k->since_ms > 0 || k->stamps)
			load_marks(s);
		if (k->since_ms > 0) {
			int64_t off = since_offset(s, kft__now_ms() - k->since_ms);
			char c = '\n';

			if (off > s->base) {
				/* a sample may fall inside a line: that line is older, drop it */
				if (pread(s->fd, &c, 1, (off_t)off - 1) == 1 && c != '\n')
					s->skip_line = 1;
				s->base = off;
			}
		}
		lseek(s->fd, (off_t)s->base, SEEK_SET);
	} else if (k->stamps) {
		load_marks(s);   /* following: the samples taken since */
	}
	while ((n = read(s->fd, buf, sizeof(buf))) > 0)
		if ((error = deliver(k, s, buf, (size_t)n, 0)) < 0)
			return error;
	if (final)
		return deliver(k, s, "", 0, 1);
	return 0;
}

int kft__store_logs(const char *state_dir, const char *name, const kft_logs_opts_t *o,
                    kft_log_cb cb, void *payload)
{
	int follow = o && (o->flags & KFT_LOGS_FOLLOW);
	int64_t tail = o ? o->tail_lines : -1;
	int64_t deadline = follow && o->timeout_ms > 0 ? kft__mono_ms() + o->timeout_ms : 0;
	sink_t k = { cb, payload, 0, 0, 0, KFT__BUF_INIT };
	stream_t *ss = NULL;
	size_t n = 0, i;
	watch_t w = WATCH_INIT;
	cJSON *st = NULL;
	const cJSON *s;
	char *dir = NULL;
	int error;

	k.stamps = o && (o->flags & KFT_LOGS_TIMESTAMPS);
	k.since_ms = o ? o->since_ms : 0;
	if ((error = kft__store_job_dir(&dir, state_dir, name)) < 0)
		return error;
	if (follow && (error = watch_open(&w, dir, 1)) < 0) {
		if (error == KFT_ENOTFOUND)
			kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_STORE, "TrainJob \"%s\" not found",
			               name);
		goto out;
	}
	if ((error = kft__store_read_state(&st, dir, name)) < 0)
		goto out;
	k.prefix = kft__logs_prefix(o);
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
		if ((error = kft__logs_heartbeat(cb, payload, NULL)) != 0)
			break;
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
		free(ss[i].marks);
		kft__buf_free(&ss[i].partial);
	}
	free(ss);
	kft__buf_free(&k.out);
	cJSON_Delete(st);
	watch_close(&w);
	free(dir);
	return error;
}

int kft__store_cancel(const char *dir, const char *name, int64_t grace_ms, int64_t extra_ms)
{
	watch_t w = WATCH_INIT;
	cJSON *ctl = NULL;
	int error, alive;

	if ((error = watch_open(&w, dir, 0)) < 0) {
		if (error == KFT_ENOTFOUND)
			kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_STORE, "TrainJob \"%s\" not found",
			               name);
		return error;
	}
	if ((alive = kft__store_supervisor_alive(dir)) < 0) {
		error = alive;
		goto out;
	}
	if (alive) {
		int64_t deadline = kft__mono_ms() + grace_ms + extra_ms;

		if (!(ctl = cJSON_CreateObject()) || !cJSON_AddBoolToObject(ctl, "cancel", 1) ||
		    !cJSON_AddNumberToObject(ctl, "graceMs", (double)grace_ms)) {
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
				                       name, (long long)(grace_ms + extra_ms));
				goto out;
			}
			watch_wait(&w, left < 1000 ? left : 1000);
		}
	}
out:
	watch_close(&w);
	cJSON_Delete(ctl);
	return error;
}

