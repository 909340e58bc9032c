/* The step runners "process" and "program" (see step.h). SPDX-License-Identifier: Apache-2.0 */
#include "step.h"
#include "store.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* program: time for the step program to stop what it runs, beyond the grace period */
#define PROGRAM_KILL_MARGIN_MS 10000

/* process: the plan's argv; the plan's env added to the environment. */
static int process_command(kft__strv *argv, kft__strv *env, const char **cwd, const char *jobdir,
                           const cJSON *plan, const cJSON *step)
{
	const cJSON *it;
	int error = 0;

	(void)jobdir;
	(void)plan;
	cJSON_ArrayForEach(it, kft__json_get(step, "env"))
		if (!error && cJSON_IsString(it))
			error = kft__env_set(env, it->string, it->valuestring);
	cJSON_ArrayForEach(it, kft__json_get(step, "argv"))
		if (!error && cJSON_IsString(it))
			error = kft__strv_push(argv, it->valuestring);
	*cwd = kft__json_str(step, "cwd");
	return error;
}

static void process_terminate(pid_t pid, int64_t grace_ms)
{
	(void)grace_ms;
	kft__kill(pid, SIGTERM, 1);
}

static const kft__step_runner process_runner = {
	"process", 1, 0, process_command, process_terminate, NULL
};

static void result_path(char *out, size_t size, const char *jobdir, const cJSON *step)
{
	snprintf(out, size, "%s/runner/%s.json", jobdir, kft__json_str(step, "name"));
}

/* program: `stepProgram run JOBDIR STEP` (what it runs is described by the plan). */
static int program_command(kft__strv *argv, kft__strv *env, const char **cwd, const char *jobdir,
                           const cJSON *plan, const cJSON *step)
{
	const char *prog = kft__json_str(plan, "stepProgram");
	char pid[32], path[PATH_MAX];
	int error;

	if (!prog || *prog != '/')
		return kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_STORE, "plan.stepProgram: must be "
		                      "an absolute path (the step runner program)");
	result_path(path, sizeof(path), jobdir, step);
	unlink(path);   /* a result of an earlier run (before a suspend) */
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	if ((error = kft__env_set(env, "KFT_SUPERVISOR_PID", pid)) == 0 &&
	    (error = kft__strv_push(argv, prog)) == 0 && (error = kft__strv_push(argv, "run")) == 0 &&
	    (error = kft__strv_push(argv, jobdir)) == 0)
		error = kft__strv_push(argv, kft__json_str(step, "name"));
	*cwd = NULL;
	return error;
}

/* SIGTERM carrying the grace period: the program stops its step with it. */
static void program_terminate(pid_t pid, int64_t grace_ms)
{
	union sigval v;

	v.sival_int = grace_ms > INT_MAX ? INT_MAX : (int)grace_ms;
	if (pid <= 1 || sigqueue(pid, SIGTERM, v) < 0)
		kft__kill(pid, SIGTERM, 1);
}

/* The program's result file: the step's exit code, a reason, what ran it. */
static void program_exited(const char *jobdir, const cJSON *step, kft__step_end *end)
{
	char path[PATH_MAX];
	cJSON *r = NULL;
	const cJSON *v;

	result_path(path, sizeof(path), jobdir, step);
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
	if (kft__json_str(r, "target"))
		snprintf(end->target, sizeof(end->target), "%s", kft__json_str(r, "target"));
	cJSON_Delete(r);
}

static const kft__step_runner program_runner = {
	"program", 0, PROGRAM_KILL_MARGIN_MS, program_command, program_terminate, program_exited
};

int kft__step_runner_get(const kft__step_runner **out, const cJSON *plan)
{
	const char *name = kft__json_str(plan, "runner");

	if (!name || !strcmp(name, "process"))
		*out = &process_runner;
	else if (!strcmp(name, "program"))
		*out = &program_runner;
	else
		return kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_STORE, "plan runner \"%s\" is unknown "
		                      "(process or program)", name);
	return 0;
}
