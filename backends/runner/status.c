/* The job runner's status algorithm (see status.h). SPDX-License-Identifier: Apache-2.0 */
#include "status.h"

#include <stdio.h>
#include <string.h>

static int64_t ended_at(const kft__run_step *s, int64_t now_ms)
{
	return s->finished_ms > 0 ? s->finished_ms : now_ms;
}

static int is_role(const kft__run_step *s, const char *role)
{
	return s->role && !strcmp(s->role, role);
}

void kft__run_status(kft__run_verdict *v, const kft__run_input *in)
{
	const kft__run_step *cause = NULL;
	int64_t cause_at = 0, complete_at = 0, deadline = in->deadline_ms;
	size_t i, nodes = 0, nodes_started = 0, succeeded = 0, running = 0;
	int launcher_done = 0, deadline_passed;

	memset(v, 0, sizeof(*v));
	for (i = 0; i < in->n; i++) {
		const kft__run_step *s = &in->steps[i];
		int64_t at = ended_at(s, in->now_ms);

		if (s->state == KFT_STEP_RUNNING)
			running++;
		if (s->state == KFT_STEP_SUCCEEDED)
			succeeded++;
		if (s->state == KFT_STEP_FAILED && !s->stopped && (!cause || at < cause_at)) {
			cause = s;
			cause_at = at;
		}
		if (is_role(s, "launcher") && s->state == KFT_STEP_SUCCEEDED) {
			launcher_done = 1;
			complete_at = at;
		}
		if (!is_role(s, "initializer")) {
			nodes++;
			nodes_started += s->state != KFT_STEP_PENDING;
		}
	}
	if (!launcher_done && succeeded == in->n) {
		/* every step succeeded: complete when the last one ended */
		complete_at = in->n ? 0 : in->now_ms;
		for (i = 0; i < in->n; i++)
			if (ended_at(&in->steps[i], in->now_ms) > complete_at)
				complete_at = ended_at(&in->steps[i], in->now_ms);
	}
	deadline_passed = deadline > 0 && in->now_ms >= deadline;
	/* the first of: a step's failure, completion, the deadline */
	if (cause && (!complete_at || cause_at <= complete_at) &&
	    (!deadline_passed || cause_at <= deadline)) {
		v->state = KFT_JOB_FAILED;
		v->cause = cause;
		if (cause->reason && *cause->reason)
			snprintf(v->reason, sizeof(v->reason), "%s", cause->reason);
		else
			snprintf(v->reason, sizeof(v->reason), "%s %s", cause->name,
			         cause->what ? cause->what : "failed");
		snprintf(v->message, sizeof(v->message),
		         "jobset failed due to one or more job failures: %s %s", cause->name,
		         cause->what ? cause->what : "failed");
	} else if (complete_at && (!deadline_passed || complete_at <= deadline)) {
		v->state = KFT_JOB_COMPLETE;
		snprintf(v->reason, sizeof(v->reason), "AllJobsCompleted");
		snprintf(v->message, sizeof(v->message), "%s", in->n ? "jobset completed successfully"
		         : "no steps to run");
	} else if (deadline_passed) {
		v->state = KFT_JOB_FAILED;
		snprintf(v->reason, sizeof(v->reason), "DeadlineExceeded");
		snprintf(v->message, sizeof(v->message), "TrainJob exceeded its active deadline");
	} else if (in->suspended) {
		/* being suspended: Running until every step stopped */
		v->state = running ? KFT_JOB_RUNNING : KFT_JOB_SUSPENDED;
		if (!running) {
			snprintf(v->reason, sizeof(v->reason), "Suspended");
			snprintf(v->message, sizeof(v->message), "TrainJob is suspended");
		}
		v->stop = running > 0;
		return;
	} else {
		/* initializers first: Running once every node started */
		v->state = nodes && nodes_started == nodes ? KFT_JOB_RUNNING : KFT_JOB_CREATED;
		return;
	}
	v->stop = running > 0;
}
