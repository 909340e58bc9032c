/*
 * Step runners: how the supervisor runs one plan step. Every step is a
 * process that the supervisor spawns in a process group of its own, with
 * stdout+stderr appended to logs/<step>.log; the step ended when that
 * process exited. Everything else (dependsOn order, fail-fast, completion,
 * activeDeadlineSeconds, suspend, cancel: status.h and supervisor.c) is the
 * same for every runner. A runner says only:
 *
 *   command     which process: argv, environment (it arrives holding the
 *               supervisor's own and the job's progress server settings, see
 *               progress.h; the runner adds to it), working directory
 *   terminate   how to ask the running process to stop within grace_ms
 *               (SIGKILL to its group follows after grace_ms + kill_margin_ms)
 *   exited      what its exit means beyond the wait status (optional)
 *
 * The plan's "runner" picks one:
 *
 *   "process"   (default; the local backend) the plan step's own argv, env
 *               and cwd; terminate is SIGTERM to the group; the plan's
 *               "files" are written on this host before the steps run.
 *
 *   "program"   (the container backend) a step runner program, the plan's
 *               "stepProgram" (an absolute path, chosen at submit), run as
 *               `PROGRAM run JOBDIR STEP` with KFT_SUPERVISOR_PID set. The
 *               program turns something else into that process (the
 *               container backend's kft-container-step runs the step's
 *               container). Its contract:
 *                - exit with the step's exit code (128+N: killed by signal N);
 *                - on SIGTERM stop the step within the grace period that
 *                  arrives as the signal's value (sigqueue; 0 or none: its
 *                  own default), then exit; it has kill_margin_ms beyond it;
 *                - die with the supervisor (PR_SET_PDEATHSIG), stopping the
 *                  step, so that no step outlives its job's supervisor;
 *                - write what the exit status cannot carry to
 *                  JOBDIR/runner/STEP.json before exiting: {"exitCode",
 *                  "signal", "what" ("(container j-node-1) exited with code
 *                  3"), "reason" (a reason of its own, e.g. "OOMKilled"),
 *                  "target" (what ran the step, e.g. the container's name)}.
 *               The supervisor knows no program by name: a backend that
 *               needs one puts it in the plan.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef KFT_RUNNER_STEP_H
#define KFT_RUNNER_STEP_H

#include "internal.h"

/* What a step's exit means: filled from the wait status, refined by the runner. */
typedef struct {
	int exit_code, signal;   /* -1 / 0 when not known */
	char what[1024];         /* "exited with code 3", "(container j-node-1) exited with code 3" */
	char reason[64];         /* a step/job reason such as "OOMKilled"; "" for none */
	char target[256];        /* what ran the step (a container name); "" when the process */
} kft__step_end;

typedef struct {
	const char *name;
	int write_files;          /* write the plan's "files" on this host before the steps */
	int64_t kill_margin_ms;   /* after a stop request, extra time before SIGKILL */
	/* the step's argv (and env, cwd) to spawn */
	int (*command)(kft__strv *argv, kft__strv *env, const char **cwd, const char *jobdir,
	               const cJSON *plan, const cJSON *step);
	/* ask the running step (process group pid) to stop within grace_ms */
	void (*terminate)(pid_t pid, int64_t grace_ms);
	/* refine *end once the step's process exited; NULL: the wait status is all */
	void (*exited)(const char *jobdir, const cJSON *step, kft__step_end *end);
} kft__step_runner;

/** The runner the plan names ("runner"; none: "process"); KFT_ERROR if unknown. */
int kft__step_runner_get(const kft__step_runner **out, const cJSON *plan);

#endif
