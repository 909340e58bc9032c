/*
 * The job runner's status algorithm: ONE pure function that turns a job's
 * step records into the job's status, with the JobSet rules the Kubeflow
 * Trainer controller applies to a TrainJob:
 *
 *  - fail-fast: a step that failed on its own (not one the runner stopped)
 *    fails the job; the first such failure (by finish time) is the cause;
 *  - completion: every step succeeded, or (MPI, JobSet successPolicy) the
 *    launcher succeeded;
 *  - initializers before nodes: the job is Created while initializers run
 *    (the nodes wait for them: dependsOn, scheduled by the supervisor) and
 *    Running once every non-initializer step has started;
 *  - activeDeadlineSeconds: past the deadline a job that had not ended by
 *    then fails with DeadlineExceeded;
 *  - suspend: a suspended job with nothing running is Suspended.
 *
 * The events are ordered by time: a failure after the launcher's success
 * (its sshd nodes being stopped) does not fail a Complete job; a failure
 * before the deadline is the cause even when read after the deadline. So the
 * same records give the same answer whoever reads them and when: the
 * supervisor applies it as steps change (backends/runner/supervisor.c), the
 * container backend applies it to steps rebuilt from containers when the
 * job's state dir is lost (backends/container/labels.c).
 *
 * No I/O, no clock: the caller passes the time. Nothing here changes a job;
 * v->stop tells the caller that steps still run although the job ended (or is
 * being suspended), for an owner (the supervisor) to act on.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef KFT_RUNNER_STATUS_H
#define KFT_RUNNER_STATUS_H

#include "internal.h"

/* One step, as its record says. */
typedef struct {
	const char *name;
	const char *role;       /* "initializer", "launcher", else a node (NULL: node) */
	int state;              /* KFT_STEP_PENDING|RUNNING|SUCCEEDED|FAILED */
	int64_t finished_ms;    /* Unix ms it ended; 0: unknown (counts as "now") */
	const char *what;       /* how it ended, for messages: "exited with code 3"; NULL */
	const char *reason;     /* its own reason that names the job's failure ("OOMKilled"); NULL */
	int stopped;            /* the runner stopped it: its failure is no cause */
} kft__run_step;

typedef struct {
	const kft__run_step *steps;
	size_t n;
	int64_t now_ms;         /* Unix ms */
	int64_t deadline_ms;    /* activeDeadlineSeconds as a Unix ms time; 0: none */
	int suspended;          /* suspension requested (spec.suspend / kft suspend) */
} kft__run_input;

typedef struct {
	int state;              /* KFT_JOB_* */
	char reason[256];       /* "" when none */
	char message[1024];
	const kft__run_step *cause;   /* Failed by a step: that step */
	int stop;               /* steps still run that must be stopped */
} kft__run_verdict;

/** The job's status from its steps' records (see above). */
void kft__run_status(kft__run_verdict *v, const kft__run_input *in);

#endif
