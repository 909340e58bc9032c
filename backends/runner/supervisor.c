/*
 * The job supervisor (runs inside the kft-supervisor program, never in the
 * host process): owns one job from start to end. Runs the plan's steps in
 * dependsOn order, each in its own process group with stdout+stderr in
 * logs/<step>.log; records every transition in state.json (temp + rename)
 * and events.jsonl; JobSet semantics (a failed step fails the job and the
 * others are terminated: SIGTERM, grace, SIGKILL); activeDeadlineSeconds;
 * suspend/resume and cancel through control.json (poked through control.fifo).
 *
 * How a step runs is a step runner (step.h), picked by the plan's "runner":
 * "process" (the local backend) or "program" (a step runner program such as
 * the container backend's kft-container-step). What the job's status is
 * follows from the steps' records by the one status algorithm (status.h);
 * this file applies it: order, fail-fast, deadline, suspend, cancel are the
 * same code for every runner.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "store.h"
#include "status.h"
#include "step.h"
#include "progress.h"
#include "workspace.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define FAIL_GRACE_MS 5000
#define LOG_TAIL_LINES 5
#define ROOT_CAUSE_BYTES (64 * 1024)   /* how much of a log's end is searched */
#define DIR_CHECK_MS 5000

typedef struct {
	const cJSON *plan;   /* the plan step */
	cJSON *rec;          /* its record in state.json */
	pid_t pid;
	int running, started, term_sent;
	off_t log_seen;      /* the log's size at the last sample (logs/<step>.times) */
	char what[1024];     /* how it ended ("exited with code 3"), for the job's reason */
	char reason[64];     /* a reason of its own (OOMKilled), for the job's reason */
} step_t;

extern char **environ;

typedef struct sup sup_t;

struct sup {
	const kft__step_runner *runner;
	char *dir, *state_path, *control_path;
	const char *name;
	cJSON *plan, *state;
	step_t *steps;
	size_t n;
	int sfd, ifd;
	int64_t deadline_at, kill_at;    /* monotonic ms; 0: none */
	int failed, stopping, suspending, suspended, cancelled, dirty;
	int resumes;          /* attempts after the first: each marks the logs where it begins */
	int evfd, dirfd;
	int64_t grace_ms;
	kft__progress_server progress;   /* the job's progress-protocol server */
};

static void slog(const char *fmt, ...) KFT__PRINTF(1, 2);
static void slog(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "kft-supervisor[%d]: ", (int)getpid());
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void save(sup_t *s)
{
	s->dirty = 0;
	if (kft__store_write_json(s->state_path, s->state, 0) < 0)
		slog("cannot write state: %s", kft_error_last()->message);
}

static void set_num(cJSON *o, const char *key, double v)
{
	kft__json_set(o, key, cJSON_CreateNumber(v));
}

static void set_str(cJSON *o, const char *key, const char *v)
{
	if (v)
		kft__json_set_str(o, key, v);
	else
		cJSON_DeleteItemFromObjectCaseSensitive(o, key);
}

static void event(sup_t *s, const char *kind, const char *object, const char *type,
                  const char *reason, const char *message)
{
	if (s->evfd < 0) {
		char *p = kft__path_join(s->dir, KFT__STORE_EVENTS);

		s->evfd = p ? open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600) : -1;
		free(p);
	}
	if (s->evfd >= 0)
		kft__store_event_fd(s->evfd, kind, object, type, reason, message);
}

static void job_status(sup_t *s, const char *status, const char *reason, const char *message)
{
	set_str(s->state, "status", status);
	set_str(s->state, "reason", reason);
	set_str(s->state, "message", message);
	if (kft__store_status_final(status))
		set_num(s->state, "finishedMs", (double)kft__now_ms());
}

static const char *step_status(const step_t *st)
{
	return kft__json_str(st->rec, "status");
}

static step_t *find_step(sup_t *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (kft__streq(kft__json_str(s->steps[i].plan, "name"), name))
			return &s->steps[i];
	return NULL;
}

/* torchrun's root-cause file for a step (TORCHELASTIC_ERROR_FILE, see job_env) */
static void error_file_path(char *path, size_t size, const sup_t *s, const char *step)
{
	snprintf(path, size, "%s/tmp/kft-error.%s.json", s->dir, step);
}

/*
 * The exception line torchrun's error file names (the first failing rank's,
 * when its entrypoint was wrapped with @record), or NULL. The file is the
 * job's own output: read without following links, bounded, parsed as hostile.
 */
static char *error_file_cause(sup_t *s, const char *step)
{
	char path[PATH_MAX], *buf, *out = NULL;
	int64_t ts;
	ssize_t n;
	int fd;

	error_file_path(path, sizeof(path), s, step);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)) < 0)
		return NULL;
	if ((buf = kft__malloc(KFT__ERROR_FILE_MAX + 1)) != NULL &&
	    (n = read(fd, buf, KFT__ERROR_FILE_MAX + 1)) > 0 &&
	    kft__root_cause_error_file(&out, &ts, buf, (size_t)n) < 0)
		slog("%s: %s", path, kft_error_last()->message);
	close(fd);
	free(buf);
	return out;
}

/*
 * A failed step's root error: the exception torchrun's error file names, else
 * from the end of its log (lib/root_cause.c): the exception line of its last
 * Python traceback (*exception 1), else its last lines (*exception 0). NULL
 * when there is neither.
 */
static char *root_cause(sup_t *s, const char *step, int *exception)
{
	char path[PATH_MAX], *buf, *out = NULL;
	ssize_t n;
	off_t size;
	int fd;

	if ((out = error_file_cause(s, step)) != NULL) {
		*exception = 1;
		return out;
	}
	*exception = 0;
	snprintf(path, sizeof(path), "%s/logs/%s.log", s->dir, step);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	size = lseek(fd, 0, SEEK_END);
	lseek(fd, size > ROOT_CAUSE_BYTES ? size - ROOT_CAUSE_BYTES : 0, SEEK_SET);
	if ((buf = kft__malloc(ROOT_CAUSE_BYTES)) != NULL &&
	    (n = read(fd, buf, ROOT_CAUSE_BYTES)) > 0) {
		int r = kft__root_cause(&out, buf, (size_t)n, LOG_TAIL_LINES);

		*exception = r == 1;
	}
	close(fd);
	free(buf);
	if (out && !*out) {
		free(out);
		out = NULL;
	}
	return out;
}

/*
 * Is process group pgid still one of ours: does a process of that group live in
 * our session? A step's leader may be long gone (reaped), and its number taken
 * by an unrelated process that leads a group of its own: on a busy machine
 * (pid_max 32768) that was somebody's shell, killed by our SIGKILL.
 */
static int group_is_ours(pid_t pgid)
{
	pid_t sid = getsid(0);
	struct dirent *e;
	DIR *d;
	int ours = 0;

	/* the common case, and cheap: the group is gone (no scan of every process on the machine) */
	if (pgid <= 1 || sid < 0 || (kill(-pgid, 0) < 0 && errno == ESRCH) || !(d = opendir("/proc")))
		return 0;
	while (!ours && (e = readdir(d)) != NULL) {
		char buf[512];
		const char *p;
		int pgrp, sess;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		/* "pid (comm) state ppid pgrp session ..." */
		if ((p = kft__proc_stat(buf, sizeof(buf), e->d_name)) != NULL &&
		    sscanf(p, " %*c %*d %d %d", &pgrp, &sess) == 2)
			ours = pgrp == pgid && sess == sid;
	}
	closedir(d);
	return ours;
}

static void signal_groups(sup_t *s, int sig)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->steps[i].started && s->steps[i].pid > 0 &&
		    (s->steps[i].running || group_is_ours(s->steps[i].pid)))
			kft__kill(s->steps[i].pid, sig, 1);
}

/* Terminate every running step (the runner's way), SIGKILL after the grace period. */
static void stop_all(sup_t *s, int64_t grace_ms)
{
	size_t i;

	if (grace_ms < 0)
		grace_ms = 0;
	s->stopping = 1;
	for (i = 0; i < s->n; i++) {
		step_t *st = &s->steps[i];

		if (st->running && !st->term_sent) {
			s->runner->terminate(st->pid, grace_ms);
			st->term_sent = 1;
		}
	}
	grace_ms += s->runner->kill_margin_ms;
	if (!s->kill_at || kft__mono_ms() + grace_ms < s->kill_at)
		s->kill_at = kft__mono_ms() + grace_ms;
}

static void fail_job(sup_t *s, const char *reason, const char *message, int64_t grace_ms)
{
	if (s->failed || kft__store_status_final(kft__json_str(s->state, "status")))
		return;
	s->failed = 1;
	job_status(s, "Failed", reason, message);
	save(s);
	event(s, "TrainJob", s->name, "Warning", kft__streq(reason, "DeadlineExceeded") ||
	      kft__streq(reason, "Cancelled") ? reason : "FailedJobs", message ? message : reason);
	stop_all(s, grace_ms);
}

/* A step failed the job (fail-fast): the verdict's message plus the step's last log lines. */
static void step_failed_job(sup_t *s, const kft__run_verdict *v)
{
	const char *name = v->cause->name;
	kft__buf msg = KFT__BUF_INIT;
	int exception;
	char *tail = root_cause(s, name, &exception), *other = NULL;
	size_t i;

	/* a rank that only saw its peer vanish: the peer's own error is the root */
	for (i = 0; (!exception || kft__root_cause_is_peer_error(tail)) && i < s->n; i++) {
		const char *oname = kft__json_str(s->steps[i].plan, "name");
		int oexc;

		if (kft__streq(oname, name) || !s->steps[i].started)
			continue;
		if ((other = root_cause(s, oname, &oexc)) && oexc &&
		    !kft__root_cause_is_peer_error(other)) {
			kft__buf_printf(&msg, "jobset failed due to one or more job failures: %s: %s "
			                "(first to exit: %s %s", oname, other, name,
			                v->cause->what ? v->cause->what : "failed");
			kft__buf_printf(&msg, exception ? ": %s)" : ")", tail);
			break;
		}
		free(other);
		other = NULL;
	}
	if (other)
		;   /* said above */
	else if (tail && exception)
		kft__buf_printf(&msg, "%s: %s", v->message, tail);
	else if (tail)
		kft__buf_printf(&msg, "%s; last lines of logs/%s.log:\n%s", v->message, name, tail);
	else
		kft__buf_puts(&msg, v->message);
	fail_job(s, v->reason, msg.ptr ? msg.ptr : v->message, FAIL_GRACE_MS);
	kft__buf_free(&msg);
	free(tail);
	free(other);
}

static int open_log(sup_t *s, const char *step)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/logs/%s.log", s->dir, step);
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

/*
 * What every step of the job gets (before the plan's own env, which may
 * override it): KFT_WORKSPACE, the job's workspace directory (/workspace
 * inside the job's namespace), and TMPDIR inside the job's directory, so that
 * nothing the job makes outlives kft delete. Process steps also get
 * TORCHELASTIC_ERROR_FILE: torchrun copies the first failing rank's error
 * file there (when the rank's entrypoint is wrapped with @record), and
 * root_cause() reads it; a previous attempt's is removed first.
 */
static int job_env(sup_t *s, kft__strv *env, const char *step)
{
	char path[PATH_MAX];
	int error;

	if (kft__streq(s->runner->name, "process")) {
		error_file_path(path, sizeof(path), s, step);
		if (unlink(path) < 0 && errno != ENOENT)
			slog("cannot remove %s: %s", path, strerror(errno));
		if ((error = kft__env_set(env, "TORCHELASTIC_ERROR_FILE", path)) < 0)
			return error;
	}

	snprintf(path, sizeof(path), "%s/workspace", s->dir);
	if ((error = kft__env_set(env, "KFT_WORKSPACE", path)) < 0)
		return error;
	snprintf(path, sizeof(path), "%s/tmp", s->dir);
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return kft__error_os(KFT_ERROR, "mkdir %s", path);
	return kft__env_set(env, "TMPDIR", path);
}

static void start_step(sup_t *s, step_t *st)
{
	const char *name = kft__json_str(st->plan, "name"), *cwd = NULL;
	kft__strv argv = KFT__STRV_INIT, env = KFT__STRV_INIT;
	kft__proc_opts o;
	char msg[1024], **e, *prog = NULL;
	int logfd, error = 0;

	/* the runner's environment: ours, the job's progress server, then the runner's */
	for (e = environ; !error && *e; e++)
		error = kft__strv_push(&env, *e);
	if (!error)
		error = kft__progress_server_env(&s->progress, &env);
	if (!error)
		error = job_env(s, &env, name);
	if (!error)
		error = s->runner->command(&argv, &env, &cwd, s->dir, s->plan, st->plan);
	if (!error && argv.n)
		error = kft__strdup_replace(&prog, argv.v[0]);
	logfd = open_log(s, name);
	/* a resumed job's steps write on: one line marks where the new attempt begins */
	if (logfd >= 0 && s->resumes > 0 && lseek(logfd, 0, SEEK_END) > 0) {
		char when[64];

		kft__time_rfc3339_format(when, sizeof(when), kft__now_ms());
		dprintf(logfd, "----- kft: attempt %d of %s, resumed at %s -----\n", s->resumes + 1,
		        name, when);
	}
	st->started = 1;
	set_num(st->rec, "startedMs", (double)kft__now_ms());
	if (error < 0 || logfd < 0 || argv.n == 0) {
		snprintf(msg, sizeof(msg), "cannot start: %s", error < 0 ? kft_error_last()->message :
		         logfd < 0 ? strerror(errno) : "empty command");
		if (error != KFT_ENOTFOUND)
			error = KFT_ERROR;
	} else {
		memset(&o, 0, sizeof(o));
		o.file = argv.v[0];
		o.argv = argv.v;
		o.env = env.v;
		o.cwd = cwd;
		o.stdin_fd = -1;
		o.stdout_fd = logfd;
		o.stderr_fd = logfd;
		o.new_pgrp = 1;
		if ((error = kft__proc_spawn(&st->pid, &o)) < 0)
			snprintf(msg, sizeof(msg), "%s", kft_error_last()->message);
	}
	if (error < 0) {
		int code = error == KFT_ENOTFOUND ? 127 : 126;

		if (logfd >= 0) {
			dprintf(logfd, "kft: %s\n", msg);
			close(logfd);
		}
		set_str(st->rec, "status", "Failed");
		set_num(st->rec, "exitCode", code);
		set_str(st->rec, "reason", msg);
		set_num(st->rec, "finishedMs", (double)kft__now_ms());
		event(s, "Step", name, "Warning", "FailedStart", msg);
		snprintf(st->what, sizeof(st->what), "failed to start (exit code %d): %.900s", code,
		         msg);
		save(s);
		goto out;
	}
	close(logfd);
	st->running = 1;
	set_str(st->rec, "status", "Running");
	set_num(st->rec, "pid", st->pid);
	set_num(st->rec, "startTicks", (double)kft__proc_start_ticks(st->pid));
	if (kft__json_str(st->plan, "target"))
		snprintf(msg, sizeof(msg), "started %s (%s pid %d)", kft__json_str(st->plan, "target"),
		         prog, (int)st->pid);
	else
		snprintf(msg, sizeof(msg), "started %s (pid %d)", prog, (int)st->pid);
	event(s, "Step", name, "Normal", "Started", msg);
out:
	free(prog);
	kft__strv_free(&argv);
	kft__strv_free(&env);
}

static int deps_met(sup_t *s, const step_t *st)
{
	const cJSON *d;

	cJSON_ArrayForEach(d, kft__json_get(st->plan, "dependsOn")) {
		step_t *dep = find_step(s, kft__json_str(d, "name"));
		const char *want = kft__json_str(d, "status");

		if (!dep)
			continue;
		if (kft__streq(want, "Ready")) {
			if (!dep->running && !kft__streq(step_status(dep), "Succeeded"))
				return 0;
		} else if (!kft__streq(step_status(dep), "Succeeded")) {
			return 0;
		}
	}
	return 1;
}

/* Start what can start (a step that cannot start ends the pass: it fails the job). */
static void schedule(sup_t *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		step_t *st = &s->steps[i];

		if (!st->started && deps_met(s, st)) {
			start_step(s, st);
			if (!st->running)
				break;
		}
	}
}

static const char *signame(int sig)
{
	const char *n = sigabbrev_np(sig);

	return n ? n : "?";
}

static void step_exited(sup_t *s, step_t *st, int status)
{
	const char *name = kft__json_str(st->plan, "name");
	kft__step_end end;
	int ok;

	memset(&end, 0, sizeof(end));
	end.exit_code = -1;
	if (WIFEXITED(status)) {
		end.exit_code = WEXITSTATUS(status);
		snprintf(end.what, sizeof(end.what), "exited with code %d", end.exit_code);
	} else {
		end.signal = WTERMSIG(status);
		snprintf(end.what, sizeof(end.what), "was killed by signal %d (SIG%s)", end.signal,
		         signame(end.signal));
	}
	if (s->runner->exited)
		s->runner->exited(s->dir, st->plan, &end);
	if (end.target[0])
		set_str(st->rec, "target", end.target);
	ok = end.exit_code == 0 && end.signal == 0;
	snprintf(st->what, sizeof(st->what), "%s", end.what);
	snprintf(st->reason, sizeof(st->reason), "%s", ok ? "" : end.reason);
	st->running = 0;
	set_num(st->rec, "finishedMs", (double)kft__now_ms());
	if (end.exit_code >= 0)
		set_num(st->rec, "exitCode", end.exit_code);
	if (end.signal > 0)
		set_num(st->rec, "signal", end.signal);
	if (ok) {
		set_str(st->rec, "status", "Succeeded");
		set_str(st->rec, "reason", "Completed");
		event(s, "Step", name, "Normal", "Completed", end.what);
	} else {
		char reason[1200];

		set_str(st->rec, "status", "Failed");
		if (st->term_sent && s->suspending)
			snprintf(reason, sizeof(reason), "Suspended: %s", end.what);
		else if (st->term_sent)
			snprintf(reason, sizeof(reason), "Terminated (%s): %s",
			         kft__json_str(s->state, "reason") ? kft__json_str(s->state, "reason") :
			         "job stopping", end.what);
		else
			snprintf(reason, sizeof(reason), "%s", end.reason[0] ? end.reason : end.what);
		set_str(st->rec, "reason", reason);
		if (!st->term_sent) {   /* the event names the root error too */
			int exception;
			char *root = root_cause(s, name, &exception);

			if (root && exception)
				snprintf(reason + strlen(reason), sizeof(reason) - strlen(reason), ": %s",
				         root);
			free(root);
		}
		event(s, "Step", name, "Warning", end.reason[0] && !st->term_sent ? end.reason :
		      "Failed", st->term_sent || !end.reason[0] ? reason : end.what);
	}
	s->dirty = 1;   /* saved once the run loop has seen every exit */
}

/* Reap every child: steps, and (as a subreaper) whatever they left behind. */
static void reap(sup_t *s)
{
	int status;
	pid_t r;

	while ((r = waitpid(-1, &status, WNOHANG)) != 0) {
		size_t i;

		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < s->n; i++)
			if (s->steps[i].running && s->steps[i].pid == r)
				step_exited(s, &s->steps[i], status);
	}
}

/* At the end: kill every step's group and reap all descendants (bounded). */
static void kill_and_reap_all(sup_t *s)
{
	int64_t until = kft__mono_ms() + 2000;

	signal_groups(s, SIGKILL);
	for (;;) {
		struct pollfd p = { s->sfd, POLLIN, 0 };
		struct signalfd_siginfo si;
		int status;
		pid_t r;

		while ((r = waitpid(-1, &status, WNOHANG)) > 0)
			;
		if (r < 0 && errno == ECHILD)
			break;
		if (kft__mono_ms() >= until)
			break;
		poll(&p, 1, (int)(until - kft__mono_ms()));
		while (read(s->sfd, &si, sizeof(si)) > 0)
			;
	}
}

/*
 * Line times: the steps write their logs directly, so a few times a second
 * the supervisor notes how far each log has grown, one "SIZE UNIX-MS" line in
 * logs/<step>.times: the bytes below SIZE were written by then. kft logs
 * --since and --timestamps read it (runner/follow.c); precision: LOG_SAMPLE_MS.
 */
#define LOG_SAMPLE_MS 250

static void sample_logs(sup_t *s)
{
	char path[PATH_MAX];
	struct stat sb;
	size_t i;

	for (i = 0; i < s->n; i++) {
		step_t *st = &s->steps[i];
		const char *name = kft__json_str(st->plan, "name");
		int fd;

		if (!st->started || !name)
			continue;
		snprintf(path, sizeof(path), "%s/logs/%s.log", s->dir, name);
		if (stat(path, &sb) < 0 || sb.st_size <= st->log_seen)
			continue;
		st->log_seen = sb.st_size;
		snprintf(path, sizeof(path), "%s/logs/%s.times", s->dir, name);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) >= 0) {
			dprintf(fd, "%lld %lld\n", (long long)sb.st_size, (long long)kft__now_ms());
			close(fd);
		}
	}
}

static int any_running(const sup_t *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->steps[i].running)
			return 1;
	return 0;
}

static void set_deadline(sup_t *s, int64_t from_wall_ms)
{
	/* at most ~285 years: the milliseconds below fit an int64 */
	int64_t ads = kft__json_int(kft__json_get(s->plan, "activeDeadlineSeconds"), 1,
	                            (int64_t)9e15 / 1000, 0);

	if (ads <= 0) {
		s->deadline_at = 0;
		return;
	}
	s->deadline_at = kft__mono_ms() + (from_wall_ms + ads * 1000 - kft__now_ms());
}

static void reset_steps(sup_t *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		step_t *st = &s->steps[i];
		const char *keys[] = { "pid", "startTicks", "startedMs", "finishedMs", "exitCode",
		                       "signal", "reason" };
		size_t k;

		st->started = st->running = st->term_sent = 0;
		st->pid = 0;
		st->what[0] = st->reason[0] = '\0';
		set_str(st->rec, "status", "Pending");
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			cJSON_DeleteItemFromObjectCaseSensitive(st->rec, keys[k]);
	}
}

static void read_control(sup_t *s)
{
	cJSON *c = NULL;
	const cJSON *v;
	const char *status = kft__json_str(s->state, "status");

	if (kft__store_read_json(&c, s->control_path) < 0)
		return;
	v = kft__json_get(c, "graceMs");
	s->grace_ms = kft__json_int(v, 0, INT64_MAX, 10000);
	if (cJSON_IsTrue(kft__json_get(c, "cancel")) && !s->cancelled) {
		s->cancelled = 1;
		slog("cancel requested (grace %lld ms)", (long long)s->grace_ms);
		if (!kft__store_status_final(status))
			fail_job(s, "Cancelled", "TrainJob was deleted", s->grace_ms);
		else
			stop_all(s, s->grace_ms);
	} else if (kft__json_get(c, "suspend") && !kft__store_status_final(status)) {
		int want = cJSON_IsTrue(kft__json_get(c, "suspend"));

		if (want && !s->suspended && !s->suspending) {
			s->suspending = 1;
			event(s, "TrainJob", s->name, "Normal", "Suspending", "TrainJob is being suspended");
			stop_all(s, s->grace_ms);
		} else if (!want && (s->suspended || s->suspending)) {
			s->suspending = 0;
			if (s->suspended) {
				s->suspended = 0;
				s->resumes++;
				s->stopping = 0;
				s->kill_at = 0;
				job_status(s, "Created", "Resumed", "TrainJob is resumed");
				set_deadline(s, kft__now_ms());
				event(s, "TrainJob", s->name, "Normal", "Resumed", "TrainJob is resumed");
				save(s);
			}
		}
	}
	cJSON_Delete(c);
}

static void write_plan_files(sup_t *s)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, kft__json_get(s->plan, "files")) {
		const char *path = kft__json_str(f, "path"), *content = kft__json_str(f, "content");
		char *dir;

		if (!path || !content)
			continue;
		if ((dir = kft__strdup(path)) != NULL && strrchr(dir, '/')) {
			*strrchr(dir, '/') = '\0';
			kft__mkdir_p(dir, 0755);
		}
		free(dir);
		if (kft__store_write(path, content, strlen(content), 0) < 0)
			slog("cannot write %s: %s", path, kft_error_last()->message);
		else
			chmod(path, 0444);
	}
}

static int setup(sup_t *s, const char *dir, int lock_fd)
{
	char *plan_path = kft__path_join(dir, KFT__STORE_PLAN);
	const cJSON *ps;
	sigset_t set;
	size_t i;
	int error, progress;

	if (lock_fd >= 0) {
		/* keep the lock only in this process: steps must not inherit it */
		fcntl(lock_fd, F_SETFD, FD_CLOEXEC);
		if (flock(lock_fd, LOCK_EX | LOCK_NB) < 0)
			slog("warning: lock fd %d: %s", lock_fd, strerror(errno));
	}
	s->dir = kft__strdup(dir);
	s->state_path = kft__path_join(dir, KFT__STORE_STATE);
	s->control_path = kft__path_join(dir, KFT__STORE_CONTROL);
	s->grace_ms = 10000;
	if (!plan_path || !s->dir || !s->state_path || !s->control_path) {
		free(plan_path);
		return kft__error_oom();
	}
	error = kft__store_read_json(&s->plan, plan_path);
	free(plan_path);
	if (error < 0 || (error = kft__store_read_json(&s->state, s->state_path)) < 0)
		return error;
	s->name = kft__json_str(s->state, "name");
	if ((error = kft__step_runner_get(&s->runner, s->plan)) < 0)
		return error;
	s->n = (size_t)cJSON_GetArraySize(kft__json_get(s->plan, "steps"));
	if (!s->name || s->n != (size_t)cJSON_GetArraySize(kft__json_get(s->state, "steps")))
		return kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_STORE, "plan and state disagree");
	KFT_CHECK_ALLOC(s->steps = kft__calloc(s->n ? s->n : 1, sizeof(*s->steps)));
	i = 0;
	cJSON_ArrayForEach(ps, kft__json_get(s->plan, "steps")) {
		s->steps[i].plan = ps;
		s->steps[i].rec = cJSON_GetArrayItem(kft__json_get(s->state, "steps"), (int)i);
		i++;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((s->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		return kft__error_os(KFT_ERROR, "signalfd");
	/*
	 * Requests arrive as control.json plus a byte on control.fifo (no inotify
	 * instance per supervisor: those are limited to 128 per user by default).
	 * O_RDWR keeps the FIFO open without EOF when writers come and go.
	 */
	{
		char *fifo = kft__path_join(dir, KFT__STORE_FIFO);

		KFT_CHECK_ALLOC(fifo);
		s->ifd = open(fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (s->ifd < 0) {
			kft__error_os(KFT_ERROR, "cannot open %s", fifo);
			free(fifo);
			return KFT_ERROR;
		}
		free(fifo);
	}
	{
		const char *sub[] = { "workspace/dataset", "workspace/model", "workspace/output" };

		for (i = 0; i < 3; i++) {
			char *p = kft__path_join(dir, sub[i]);

			if (p && mkdir(p, 0700) < 0 && errno != EEXIST)
				slog("cannot create %s: %s", p, strerror(errno));
			free(p);
		}
	}
	s->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	/*
	 * The progress server: with credentials made ahead, its socket bound here and the server
	 * started after the first steps (run()); else started now, making its certificates while
	 * the namespace is set up, and waited for below.
	 */
	progress = kft__progress_server_prebind(&s->progress, dir,
	                                        !kft__json_str(s->plan, "progressGateway")) ? 0 :
	           kft__progress_server_spawn(&s->progress, dir, s->name, "default");
	/* process steps share one mount namespace, ours: the job's /workspace */
	if (kft__streq(s->runner->name, "process") && !getenv("KFT_NO_NAMESPACES")) {
		char err[PATH_MAX + 160];

		if (kft__workspace_enter(dir, err, sizeof(err)) < 0) {
			slog("no /workspace namespace: %s", err);
			event(s, "TrainJob", s->name, "Warning", "NoWorkspaceNamespace", err);
		}
	}
	/* every step gets its URL; a program runner decides how its steps reach it */
	if (progress < 0 ||
	    kft__progress_server_ready(&s->progress, dir, s->name, "default") < 0) {
		slog("progress server: %s", kft_error_last()->message);
		event(s, "TrainJob", s->name, "Warning", "ProgressServerFailed",
		      kft_error_last()->message);
	}
	if (s->runner->write_files)
		write_plan_files(s);
	set_deadline(s, (int64_t)cJSON_GetNumberValue(kft__json_get(s->state, "createdMs")));
	set_num(s->state, "supervisorPid", getpid());
	if (cJSON_IsTrue(kft__json_get(s->plan, "suspend"))) {
		s->suspended = 1;
		s->deadline_at = 0;
		job_status(s, "Suspended", "Suspended", "TrainJob is suspended");
		event(s, "TrainJob", s->name, "Normal", "Suspended", "TrainJob is suspended");
	}
	save(s);
	read_control(s);   /* a request made before we started */
	return 0;
}

static void drain_control(sup_t *s)
{
	char buf[256];

	while (read(s->ifd, buf, sizeof(buf)) > 0)
		;
	read_control(s);
}

static void drain_signals(sup_t *s)
{
	struct signalfd_siginfo si;
	int chld = 0;

	while (read(s->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			chld = 1;
		} else if (!s->cancelled) {
			slog("signal %d: stopping the job", (int)si.ssi_signo);
			s->cancelled = 1;
			fail_job(s, "Cancelled", "the job supervisor was asked to stop", s->grace_ms);
		}
	}
	if (chld)
		reap(s);
}

/* The job's status from its steps (status.h), applied: the supervisor owns the transitions. */
static void evaluate(sup_t *s)
{
	kft__run_step *rs;
	kft__run_input in;
	kft__run_verdict v;
	size_t i;

	if (s->failed || kft__store_status_final(kft__json_str(s->state, "status")))
		return;
	if ((rs = kft__calloc(s->n ? s->n : 1, sizeof(*rs))) == NULL) {
		slog("out of memory");
		return;
	}
	for (i = 0; i < s->n; i++) {
		const step_t *st = &s->steps[i];

		rs[i].name = kft__json_str(st->plan, "name");
		rs[i].role = kft__json_str(st->plan, "role");
		rs[i].state = kft__step_state_of(kft__json_str(st->rec, "status"));
		rs[i].finished_ms = kft__json_int(kft__json_get(st->rec, "finishedMs"), 0, INT64_MAX, 0);
		rs[i].what = st->what[0] ? st->what : NULL;
		rs[i].reason = st->reason[0] ? st->reason : NULL;
		rs[i].stopped = st->term_sent;
	}
	memset(&in, 0, sizeof(in));
	in.steps = rs;
	in.n = s->n;
	in.now_ms = kft__now_ms();
	if (s->deadline_at)
		in.deadline_ms = in.now_ms + (s->deadline_at - kft__mono_ms());
	in.suspended = s->suspended || s->suspending;
	kft__run_status(&v, &in);
	switch (v.state) {
	case KFT_JOB_FAILED:
		if (v.cause)
			step_failed_job(s, &v);
		else
			fail_job(s, v.reason, v.message, FAIL_GRACE_MS);
		break;
	case KFT_JOB_COMPLETE:
		job_status(s, "Complete", v.reason, v.message);
		save(s);
		event(s, "TrainJob", s->name, "Normal", "Completed", "TrainJob completed");
		if (v.stop)   /* the launcher's sshd nodes */
			stop_all(s, FAIL_GRACE_MS);
		break;
	case KFT_JOB_SUSPENDED:
		if (s->suspending) {   /* every step stopped */
			s->suspending = 0;
			s->suspended = 1;
			s->stopping = 0;
			s->kill_at = 0;
			s->deadline_at = 0;
			reset_steps(s);
			job_status(s, "Suspended", v.reason, v.message);
			save(s);
			event(s, "TrainJob", s->name, "Normal", "Suspended", "TrainJob is suspended");
		}
		break;
	case KFT_JOB_RUNNING:
		if (kft__streq(kft__json_str(s->state, "status"), "Created") && !s->suspending) {
			job_status(s, "Running", NULL, NULL);
			if (!kft__json_get(s->state, "startedMs"))
				set_num(s->state, "startedMs", (double)kft__now_ms());
			save(s);
			event(s, "TrainJob", s->name, "Normal", "Running", "all nodes started");
		}
		break;
	default:
		break;
	}
	free(rs);
}

static int run(sup_t *s)
{
	for (;;) {
		const char *status = kft__json_str(s->state, "status");
		struct pollfd pfd[2];
		int64_t now, timeout = -1;

		if (!s->suspended && !s->suspending && !s->stopping && !kft__store_status_final(status))
			schedule(s);
		if (s->progress.lfd >= 0 &&   /* its socket is bound: the steps started, now the server */
		    kft__progress_server_spawn(&s->progress, s->dir, s->name, "default") < 0) {
			slog("progress server: %s", kft_error_last()->message);
			event(s, "TrainJob", s->name, "Warning", "ProgressServerFailed",
			      kft_error_last()->message);
		}
		evaluate(s);
		status = kft__json_str(s->state, "status");
		if (s->dirty)
			save(s);
		sample_logs(s);
		if (!any_running(s) && kft__store_status_final(status))
			break;
		now = kft__mono_ms();
		if (s->kill_at && now >= s->kill_at) {
			signal_groups(s, SIGKILL);
			s->kill_at = 0;
		}
		if (s->deadline_at && !s->failed)
			timeout = s->deadline_at - now;
		if (s->kill_at && (timeout < 0 || s->kill_at - now < timeout))
			timeout = s->kill_at - now;
		/* every few seconds: is the job directory still there? (removed behind our back) */
		if (timeout < 0 || timeout > DIR_CHECK_MS)
			timeout = DIR_CHECK_MS;
		if (any_running(s) && timeout > LOG_SAMPLE_MS)
			timeout = LOG_SAMPLE_MS;
		if (timeout > INT_MAX)
			timeout = INT_MAX;
		pfd[0].fd = s->sfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = s->ifd;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, (int)timeout) < 0 && errno != EINTR) {
			slog("poll: %s", strerror(errno));
			break;
		}
		if (pfd[0].revents)
			drain_signals(s);
		if (pfd[1].revents)
			drain_control(s);
		if (s->dirfd >= 0 && !s->cancelled) {
			struct stat sb;

			if (fstat(s->dirfd, &sb) == 0 && sb.st_nlink == 0) {
				slog("job directory %s was removed: stopping the job", s->dir);
				s->cancelled = 1;
				fail_job(s, "Cancelled", "the job's directory was removed", 1000);
			}
		}
	}
	/* updates end with the job: a post after the end is refused (connection refused) */
	kft__progress_server_stop(&s->progress);
	/* nothing a step started may outlive the job */
	kill_and_reap_all(s);
	return kft__streq(kft__json_str(s->state, "status"), "Complete") ? 0 : 1;
}

static int cmd_run(int argc, char **argv)
{
	sup_t s;
	int lock_fd = -1, rc, i;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: kft-supervisor run JOBDIR [--lock-fd N]\n");
		return 2;
	}
	for (i = 3; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--lock-fd"))
			lock_fd = atoi(argv[i + 1]);
	/* detach: the caller reaps this first process at once; the job lives on in the child */
	pid = fork();
	if (pid < 0) {
		perror("kft-supervisor: fork");
		return 1;
	}
	if (pid > 0)
		_exit(0);
	/* orphans of the steps become our children, so they are reaped and stopped with the job */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	memset(&s, 0, sizeof(s));
	s.sfd = s.ifd = s.evfd = s.dirfd = -1;
	if (setup(&s, argv[2], lock_fd) < 0) {
		slog("%s", kft_error_last()->message);
		if (s.state) {
			job_status(&s, "Failed", "SupervisorFailed", kft_error_last()->message);
			save(&s);
		}
		rc = 1;
	} else {
		rc = run(&s);
		slog("job %s: %s", s.name, kft__json_str(s.state, "status"));
	}
	cJSON_Delete(s.plan);
	cJSON_Delete(s.state);
	free(s.steps);
	free(s.dir);
	free(s.state_path);
	free(s.control_path);
	return rc;
}

int kft__supervisor_main(int argc, char **argv);
int kft__supervisor_main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "run"))
		return cmd_run(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "initialize"))
		return kft__initializer_main(argc, argv);
	fprintf(stderr, "usage: kft-supervisor run JOBDIR [--lock-fd N]\n"
	        "       kft-supervisor initialize dataset|model URI DEST\n");
	return 2;
}
