/*
 * The job supervisor (runs inside the kft-supervisor program, never in the
 * host process): owns one job from start to end. Runs the plan's steps in
 * dependsOn order, each in its own process group with stdout+stderr in
 * logs/<step>.log; records every transition in state.json (temp + rename)
 * and events.jsonl; JobSet semantics (a failed step fails the job and the
 * others are terminated: SIGTERM, grace, SIGKILL); activeDeadlineSeconds;
 * suspend/resume and cancel through control.json (poked through control.fifo).
 *
 * How a step runs is a small runner interface (runner_t below), picked by the
 * plan's "runner": "process" (default; the local backend) spawns the step's
 * argv; "container" (the container backend) spawns kft-container-step, which
 * starts the step's container, copies its log stream to the step's log, exits
 * with its exit code and stops it on SIGTERM (grace passed as the signal's
 * value). Everything else (order, fail-fast, deadline, suspend, cancel) is the
 * same code for both.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "store.h"

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

extern char **environ;

#define FAIL_GRACE_MS 5000
#define LOG_TAIL_LINES 5
#define DIR_CHECK_MS 5000
/* container steps: time for kft-container-step to have the engine stop the container */
#define CONTAINER_KILL_MARGIN_MS 10000

typedef struct {
	const cJSON *plan;   /* the plan step */
	cJSON *rec;          /* its record in state.json */
	pid_t pid;
	int running, started, term_sent;
} step_t;

typedef struct sup sup_t;

/* What a step's exit means, refined by the runner (a container's own code, OOMKilled). */
typedef struct {
	int exit_code, signal;   /* -1 / 0 when not known */
	char what[1024];         /* "exited with code 3", "(container j-node-1) exited with code 3" */
	char reason[64];         /* a step/job reason such as "OOMKilled"; "" for none */
} step_end;

/* How steps run. */
typedef struct {
	const char *name;
	int write_files;          /* write the plan's "files" on this host before the steps */
	int64_t kill_margin_ms;   /* after a stop request, extra time before SIGKILL */
	/* the step's argv (and env, cwd) to spawn */
	int (*command)(kft__strv *argv, kft__strv *env, const char **cwd, sup_t *s, step_t *st);
	/* ask a running step to stop within grace_ms */
	void (*terminate)(sup_t *s, step_t *st, int64_t grace_ms);
	/* refine *end (filled from the wait status) once the step's process exited */
	void (*exited)(sup_t *s, step_t *st, step_end *end);
} runner_t;

struct sup {
	const runner_t *runner;
	char *dir, *state_path, *control_path;
	const char *name;
	cJSON *plan, *state;
	step_t *steps;
	size_t n;
	int sfd, ifd;
	int64_t deadline_at, kill_at;    /* monotonic ms; 0: none */
	int failed, stopping, suspending, suspended, cancelled, dirty;
	int evfd, dirfd;
	int64_t grace_ms;
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

/* The last lines of a step's log, for failure messages. */
static char *log_tail(sup_t *s, const char *step)
{
	char path[PATH_MAX], buf[2048];
	ssize_t n;
	off_t size;
	int fd, lines = 0;
	char *p;

	snprintf(path, sizeof(path), "%s/logs/%s.log", s->dir, step);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	size = lseek(fd, 0, SEEK_END);
	if (size > (off_t)sizeof(buf) - 1)
		lseek(fd, size - (off_t)sizeof(buf) + 1, SEEK_SET);
	else
		lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	for (p = buf + n; p > buf; p--)
		if (p[-1] == '\n' && ++lines == LOG_TAIL_LINES)
			break;
	return kft__strdup(p);
}

static void signal_groups(sup_t *s, int sig)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->steps[i].started && s->steps[i].pid > 0)
			kill(-s->steps[i].pid, sig);
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
			s->runner->terminate(s, st, grace_ms);
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

/* A step failed: the job fails (JobSet), reason job_reason or "<step> <what>". */
static void step_failed(sup_t *s, step_t *st, const char *what, const char *job_reason)
{
	const char *name = kft__json_str(st->plan, "name");
	char reason[1200];
	kft__buf msg = KFT__BUF_INIT;
	char *tail = log_tail(s, name);

	snprintf(reason, sizeof(reason), "%s %s", name, what);
	kft__buf_printf(&msg, "jobset failed due to one or more job failures: %s", reason);
	if (tail && *tail)
		kft__buf_printf(&msg, "; last lines of logs/%s.log:\n%s", name, tail);
	fail_job(s, job_reason && *job_reason ? job_reason : reason, msg.ptr ? msg.ptr : reason,
	         FAIL_GRACE_MS);
	kft__buf_free(&msg);
	free(tail);
}

static int open_log(sup_t *s, const char *step)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/logs/%s.log", s->dir, step);
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

/* ---- runners ---- */

/* process: the plan's argv with the supervisor's environment plus the plan's env. */
static int process_command(kft__strv *argv, kft__strv *env, const char **cwd, sup_t *s,
                           step_t *st)
{
	const cJSON *it;
	char **e;
	int error = 0;

	(void)s;
	for (e = environ; !error && *e; e++)
		error = kft__strv_push(env, *e);
	cJSON_ArrayForEach(it, kft__json_get(st->plan, "env"))
		if (!error && cJSON_IsString(it))
			error = kft__env_set(env, it->string, it->valuestring);
	cJSON_ArrayForEach(it, kft__json_get(st->plan, "argv"))
		if (!error && cJSON_IsString(it))
			error = kft__strv_push(argv, it->valuestring);
	*cwd = kft__json_str(st->plan, "cwd");
	return error;
}

static void process_terminate(sup_t *s, step_t *st, int64_t grace_ms)
{
	(void)s;
	(void)grace_ms;
	kill(-st->pid, SIGTERM);
}

static const runner_t process_runner = {
	"process", 1, 0, process_command, process_terminate, NULL
};

/* kft-container-step: $KFT_CONTAINER_STEP, else next to this program. */
static char *container_step_program(void)
{
	const char *env = getenv("KFT_CONTAINER_STEP");
	char exe[PATH_MAX], *slash;
	ssize_t n;

	if (env && *env)
		return kft__strdup(env);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return kft__strdup("kft-container-step");
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return kft__strdup("kft-container-step");
	*slash = '\0';
	return kft__path_join(exe, "kft-container-step");
}

static void result_path(char *out, size_t size, const sup_t *s, const step_t *st)
{
	snprintf(out, size, "%s/runner/%s.json", s->dir, kft__json_str(st->plan, "name"));
}

/* container: the step process is `kft-container-step run JOBDIR STEP` (the container's
 * env, cwd and command are in its create body, made by kft_train). */
static int container_command(kft__strv *argv, kft__strv *env, const char **cwd, sup_t *s,
                             step_t *st)
{
	char *prog = container_step_program(), pid[32], path[PATH_MAX];
	char **e;
	int error = 0;

	KFT_CHECK_ALLOC(prog);
	result_path(path, sizeof(path), s, st);
	unlink(path);   /* a result of an earlier run (before a suspend) */
	for (e = environ; !error && *e; e++)
		error = kft__strv_push(env, *e);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	if (!error)
		error = kft__env_set(env, "KFT_SUPERVISOR_PID", pid);
	if (!error)
		error = kft__strv_push(argv, prog);
	if (!error)
		error = kft__strv_push(argv, "run");
	if (!error)
		error = kft__strv_push(argv, s->dir);
	if (!error)
		error = kft__strv_push(argv, kft__json_str(st->plan, "name"));
	free(prog);
	*cwd = NULL;
	return error;
}

/* SIGTERM carrying the grace period: the step program stops the container with it. */
static void container_terminate(sup_t *s, step_t *st, int64_t grace_ms)
{
	union sigval v;

	(void)s;
	v.sival_int = grace_ms > INT_MAX ? INT_MAX : (int)grace_ms;
	if (sigqueue(st->pid, SIGTERM, v) < 0)
		kill(-st->pid, SIGTERM);
}

/* The step program's result file: the container's exit code, OOMKilled, a reason. */
static void container_exited(sup_t *s, step_t *st, step_end *end)
{
	char path[PATH_MAX];
	cJSON *r = NULL;
	const cJSON *v;

	result_path(path, sizeof(path), s, st);
	if (kft__store_read_json(&r, path) < 0) {
		kft_error_clear();
		return;   /* killed before it could tell: the wait status is all there is */
	}
	if (cJSON_IsNumber(v = kft__json_get(r, "exitCode"))) {
		end->exit_code = (int)kft__json_int(v, INT_MIN, INT_MAX, -1);
		end->signal = 0;
	}
	if (cJSON_IsNumber(v = kft__json_get(r, "signal")))
		end->signal = (int)kft__json_int(v, INT_MIN, INT_MAX, 0);
	if (kft__json_str(r, "what"))
		snprintf(end->what, sizeof(end->what), "%s", kft__json_str(r, "what"));
	if (kft__json_str(r, "reason") && end->exit_code != 0)
		snprintf(end->reason, sizeof(end->reason), "%s", kft__json_str(r, "reason"));
	if (kft__json_str(r, "container"))
		set_str(st->rec, "container", kft__json_str(r, "container"));
	cJSON_Delete(r);
}

static const runner_t container_runner = {
	"container", 0, CONTAINER_KILL_MARGIN_MS, container_command, container_terminate,
	container_exited
};

static void start_step(sup_t *s, step_t *st)
{
	const char *name = kft__json_str(st->plan, "name"), *cwd = NULL;
	kft__strv argv = KFT__STRV_INIT, env = KFT__STRV_INIT;
	kft__proc_opts o;
	char msg[1024];
	int logfd, error;

	error = s->runner->command(&argv, &env, &cwd, s, st);
	logfd = open_log(s, name);
	st->started = 1;
	set_num(st->rec, "startedMs", (double)kft__now_ms());
	if (error < 0 || logfd < 0 || argv.n == 0) {
		snprintf(msg, sizeof(msg), "cannot start: %s", error < 0 ? kft_error_last()->message :
		         logfd < 0 ? strerror(errno) : "empty command");
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
		char what[1200];

		if (logfd >= 0) {
			dprintf(logfd, "kft: %s\n", msg);
			close(logfd);
		}
		set_str(st->rec, "status", "Failed");
		set_num(st->rec, "exitCode", code);
		set_str(st->rec, "reason", msg);
		set_num(st->rec, "finishedMs", (double)kft__now_ms());
		event(s, "Step", name, "Warning", "FailedStart", msg);
		snprintf(what, sizeof(what), "failed to start (exit code %d): %s", code, msg);
		step_failed(s, st, what, NULL);
		save(s);
		goto out;
	}
	close(logfd);
	st->running = 1;
	set_str(st->rec, "status", "Running");
	set_num(st->rec, "pid", st->pid);
	set_num(st->rec, "startTicks", (double)kft__proc_start_ticks(st->pid));
	if (kft__json_str(st->plan, "container"))
		snprintf(msg, sizeof(msg), "started container %s (kft-container-step pid %d)",
		         kft__json_str(st->plan, "container"), (int)st->pid);
	else
		snprintf(msg, sizeof(msg), "started %s (pid %d)", argv.v[0], (int)st->pid);
	event(s, "Step", name, "Normal", "Started", msg);
out:
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

/* Start what can start; Running once every node is started. */
static void schedule(sup_t *s)
{
	size_t i;
	int changed = 0, nodes = 0, nodes_started = 0;

	for (i = 0; i < s->n && !s->failed; i++) {
		step_t *st = &s->steps[i];

		if (!st->started && deps_met(s, st)) {
			start_step(s, st);
			changed = 1;
		}
	}
	for (i = 0; i < s->n; i++) {
		if (kft__streq(kft__json_str(s->steps[i].plan, "role"), "initializer"))
			continue;
		nodes++;
		nodes_started += s->steps[i].started;
	}
	if (!s->failed && nodes && nodes == nodes_started &&
	    kft__streq(kft__json_str(s->state, "status"), "Created")) {
		job_status(s, "Running", NULL, NULL);
		if (!kft__json_get(s->state, "startedMs"))
			set_num(s->state, "startedMs", (double)kft__now_ms());
		event(s, "TrainJob", s->name, "Normal", "Running", "all nodes started");
		changed = 1;
	}
	if (changed)
		save(s);
}

static const char *signame(int sig)
{
	const char *n = sigabbrev_np(sig);

	return n ? n : "?";
}

static void step_exited(sup_t *s, step_t *st, int status)
{
	const char *name = kft__json_str(st->plan, "name");
	step_end end;
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
		s->runner->exited(s, st, &end);
	ok = end.exit_code == 0 && end.signal == 0;
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
		event(s, "Step", name, "Warning", end.reason[0] && !st->term_sent ? end.reason :
		      "Failed", st->term_sent || !end.reason[0] ? reason : end.what);
		if (!st->term_sent)
			step_failed(s, st, end.what, end.reason);
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
	int error;

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
	if (kft__streq(kft__json_str(s->plan, "runner"), "container"))
		s->runner = &container_runner;
	else if (!kft__json_str(s->plan, "runner") || kft__streq(kft__json_str(s->plan, "runner"),
	                                                           "process"))
		s->runner = &process_runner;
	else
		return kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_STORE, "plan runner \"%s\" is unknown",
		                      kft__json_str(s->plan, "runner"));
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

static int all_succeeded(const sup_t *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!kft__streq(kft__json_str(s->steps[i].rec, "status"), "Succeeded"))
			return 0;
	return 1;
}

/* MPI (JobSet successPolicy): the launcher's success completes the job. */
static int launcher_succeeded(const sup_t *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (kft__streq(kft__json_str(s->steps[i].plan, "role"), "launcher") &&
		    kft__streq(kft__json_str(s->steps[i].rec, "status"), "Succeeded"))
			return 1;
	return 0;
}

static int run(sup_t *s)
{
	for (;;) {
		const char *status = kft__json_str(s->state, "status");
		struct pollfd pfd[2];
		int64_t now, timeout = -1;

		if (!s->suspended && !s->suspending && !s->stopping && !kft__store_status_final(status))
			schedule(s);
		status = kft__json_str(s->state, "status");
		if (!s->failed && !kft__store_status_final(status) && s->n &&
		    (all_succeeded(s) || launcher_succeeded(s))) {
			job_status(s, "Complete", "AllJobsCompleted", "jobset completed successfully");
			save(s);
			event(s, "TrainJob", s->name, "Normal", "Completed", "TrainJob completed");
			status = kft__json_str(s->state, "status");
			if (any_running(s))   /* the launcher's sshd nodes */
				stop_all(s, FAIL_GRACE_MS);
		}
		if (s->dirty)
			save(s);
		if (!any_running(s)) {
			if (kft__store_status_final(status))
				break;
			if (s->suspending) {
				s->suspending = 0;
				s->suspended = 1;
				s->stopping = 0;
				s->kill_at = 0;
				s->deadline_at = 0;
				reset_steps(s);
				job_status(s, "Suspended", "Suspended", "TrainJob is suspended");
				save(s);
				event(s, "TrainJob", s->name, "Normal", "Suspended", "TrainJob is suspended");
				continue;
			}
			if (s->n == 0) {
				job_status(s, "Complete", "AllJobsCompleted", "no steps to run");
				save(s);
				break;
			}
		}
		now = kft__mono_ms();
		if (s->deadline_at && now >= s->deadline_at && !s->failed) {
			event(s, "TrainJob", s->name, "Warning", "DeadlineExceeded",
			      "TrainJob exceeded its active deadline");
			fail_job(s, "DeadlineExceeded", "TrainJob exceeded its active deadline",
			         FAIL_GRACE_MS);
			s->deadline_at = 0;
			continue;
		}
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
		return 1;
	}
	rc = run(&s);
	slog("job %s: %s", s.name, kft__json_str(s.state, "status"));
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
