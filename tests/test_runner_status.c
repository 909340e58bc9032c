/*
 * The job runner's one status algorithm (backends/runner/status.h), from step
 * records alone: each JobSet rule (fail-fast, completion, initializers before
 * nodes, MPI launcher completion, activeDeadlineSeconds, suspend) and the
 * ordering of events by time that lets any reader, at any time, agree with
 * the supervisor that decided it.
 */
#include "testutil.h"
#include "../backends/runner/status.h"

#define NOW 1000000

enum { P = KFT_STEP_PENDING, R = KFT_STEP_RUNNING, S = KFT_STEP_SUCCEEDED, F = KFT_STEP_FAILED };

static kft__run_step step(const char *name, const char *role, int state, int64_t fin,
                          const char *what)
{
	kft__run_step s;

	memset(&s, 0, sizeof(s));
	s.name = name;
	s.role = role;
	s.state = state;
	s.finished_ms = fin;
	s.what = what;
	return s;
}

static kft__run_verdict judge(const kft__run_step *steps, size_t n, int64_t deadline,
                              int suspended)
{
	kft__run_input in;
	kft__run_verdict v;

	memset(&in, 0, sizeof(in));
	in.steps = steps;
	in.n = n;
	in.now_ms = NOW;
	in.deadline_ms = deadline;
	in.suspended = suspended;
	kft__run_status(&v, &in);
	return v;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

START_TEST(fail_fast)
{
	kft__run_step s[3];
	kft__run_verdict v;

	s[0] = step("node-0", "node", R, 0, NULL);
	s[1] = step("node-1", "node", F, NOW - 10, "exited with code 3");
	s[2] = step("node-2", NULL, S, NOW - 20, "exited with code 0");
	v = judge(s, N(s), 0, 0);
	ck_assert_int_eq(v.state, KFT_JOB_FAILED);
	ck_assert_ptr_eq(v.cause, &s[1]);
	ck_assert_str_eq(v.reason, "node-1 exited with code 3");
	ck_assert_str_eq(v.message, "jobset failed due to one or more job failures: "
	                 "node-1 exited with code 3");
	ck_assert_int_eq(v.stop, 1);   /* node-0 still runs: the owner must stop it */

	/* a reason of the step's own names the job's failure */
	s[1].reason = "OOMKilled";
	v = judge(s, N(s), 0, 0);
	ck_assert_str_eq(v.reason, "OOMKilled");

	/* the first failure by time is the cause, whatever the order */
	s[0] = step("node-0", "node", F, NOW - 50, "was killed by signal 9 (SIGKILL)");
	v = judge(s, N(s), 0, 0);
	ck_assert_ptr_eq(v.cause, &s[0]);
	ck_assert_int_eq(v.stop, 0);

	/* a step the runner stopped is no cause (it exited because the job ended) */
	s[0].stopped = 1;
	s[1] = step("node-1", "node", R, 0, NULL);
	v = judge(s, N(s), 0, 0);
	ck_assert_int_eq(v.state, KFT_JOB_RUNNING);

	/* an unknown finish time counts as now: a later failure with a time wins */
	s[0] = step("node-0", "node", F, 0, "container j-node-0 was removed");
	s[1] = step("node-1", "node", F, NOW - 1, "exited with code 1");
	v = judge(s, N(s), 0, 0);
	ck_assert_ptr_eq(v.cause, &s[1]);
}
END_TEST

START_TEST(completion)
{
	kft__run_step s[2];
	kft__run_verdict v;

	s[0] = step("node-0", "node", S, NOW - 5, "exited with code 0");
	s[1] = step("node-1", "node", R, 0, NULL);
	v = judge(s, N(s), 0, 0);
	ck_assert_int_eq(v.state, KFT_JOB_RUNNING);
	ck_assert_str_eq(v.reason, "");
	s[1] = step("node-1", "node", S, NOW - 1, "exited with code 0");
	v = judge(s, N(s), 0, 0);
	ck_assert_int_eq(v.state, KFT_JOB_COMPLETE);
	ck_assert_str_eq(v.reason, "AllJobsCompleted");
	ck_assert_str_eq(v.message, "jobset completed successfully");
	ck_assert_int_eq(v.stop, 0);
	/* no steps at all */
	v = judge(NULL, 0, 0, 0);
	ck_assert_int_eq(v.state, KFT_JOB_COMPLETE);
	ck_assert_str_eq(v.message, "no steps to run");
}
END_TEST

START_TEST(mpi_launcher)
{
	kft__run_step s[3];
	kft__run_verdict v;

	s[0] = step("node-0", "node", R, 0, NULL);
	s[1] = step("node-1", "node", R, 0, NULL);
	s[2] = step("launcher", "launcher", R, 0, NULL);
	v = judge(s, N(s), 0, 0);
	ck_assert_int_eq(v.state, KFT_JOB_RUNNING);
	/* the launcher's success completes the job; its sshd nodes are to be stopped */
	s[2] = step("launcher", "launcher", S, NOW - 100, "exited with code 0");
	v = judge(s, N(s), 0, 0);
	ck_assert_int_eq(v.state, KFT_JOB_COMPLETE);
	ck_assert_int_eq(v.stop, 1);
	/* the nodes then exit 143 (stopped): read later, still Complete */
	s[0] = step("node-0", "node", F, NOW - 50, "exited with code 143");
	s[1] = step("node-1", "node", F, NOW - 40, "exited with code 143");
	v = judge(s, N(s), 0, 0);
	ck_assert_int_eq(v.state, KFT_JOB_COMPLETE);
	ck_assert_int_eq(v.stop, 0);
	/* a node that failed before the launcher ended failed the job */
	s[1].finished_ms = NOW - 200;
	v = judge(s, N(s), 0, 0);
	ck_assert_int_eq(v.state, KFT_JOB_FAILED);
	ck_assert_ptr_eq(v.cause, &s[1]);
}
END_TEST

START_TEST(initializers_before_nodes)
{
	kft__run_step s[3];
	kft__run_verdict v;

	s[0] = step("dataset-initializer", "initializer", R, 0, NULL);
	s[1] = step("node-0", "node", P, 0, NULL);
	s[2] = step("node-1", "node", P, 0, NULL);
	v = judge(s, N(s), 0, 0);
	ck_assert_int_eq(v.state, KFT_JOB_CREATED);
	/* initializer done, one node started: not Running until every node started */
	s[0] = step("dataset-initializer", "initializer", S, NOW - 9, "exited with code 0");
	s[1].state = R;
	v = judge(s, N(s), 0, 0);
	ck_assert_int_eq(v.state, KFT_JOB_CREATED);
	s[2].state = R;
	v = judge(s, N(s), 0, 0);
	ck_assert_int_eq(v.state, KFT_JOB_RUNNING);
	/* a failed initializer fails the job; the nodes never started */
	s[0] = step("dataset-initializer", "initializer", F, NOW - 9, "exited with code 2");
	s[1].state = s[2].state = P;
	v = judge(s, N(s), 0, 0);
	ck_assert_int_eq(v.state, KFT_JOB_FAILED);
	ck_assert_str_eq(v.reason, "dataset-initializer exited with code 2");
	ck_assert_int_eq(v.stop, 0);
	/* succeeded initializers and nodes: Complete (initializers count as steps) */
	s[0].state = s[1].state = s[2].state = S;
	s[1].finished_ms = s[2].finished_ms = NOW - 1;
	v = judge(s, N(s), 0, 0);
	ck_assert_int_eq(v.state, KFT_JOB_COMPLETE);
}
END_TEST

START_TEST(deadline)
{
	kft__run_step s[2];
	kft__run_verdict v;

	s[0] = step("node-0", "node", R, 0, NULL);
	s[1] = step("node-1", "node", R, 0, NULL);
	v = judge(s, N(s), NOW + 1, 0);
	ck_assert_int_eq(v.state, KFT_JOB_RUNNING);
	v = judge(s, N(s), NOW, 0);
	ck_assert_int_eq(v.state, KFT_JOB_FAILED);
	ck_assert_str_eq(v.reason, "DeadlineExceeded");
	ck_assert_ptr_null(v.cause);
	ck_assert_int_eq(v.stop, 1);
	/* stopped for the deadline, they exit 137 after it: still DeadlineExceeded */
	s[0] = step("node-0", "node", F, NOW - 10, "exited with code 137");
	s[1] = step("node-1", "node", F, NOW - 10, "exited with code 137");
	v = judge(s, N(s), NOW - 100, 0);
	ck_assert_str_eq(v.reason, "DeadlineExceeded");
	ck_assert_int_eq(v.stop, 0);
	/* a failure before the deadline, read after it, stays the cause */
	s[0].finished_ms = NOW - 200;
	v = judge(s, N(s), NOW - 100, 0);
	ck_assert_ptr_eq(v.cause, &s[0]);
	/* a job that completed before its deadline stays Complete */
	s[0] = step("node-0", "node", S, NOW - 300, "exited with code 0");
	s[1] = step("node-1", "node", S, NOW - 200, "exited with code 0");
	v = judge(s, N(s), NOW - 100, 0);
	ck_assert_int_eq(v.state, KFT_JOB_COMPLETE);
	/* ... and one that completed after it did not */
	v = judge(s, N(s), NOW - 250, 0);
	ck_assert_str_eq(v.reason, "DeadlineExceeded");
}
END_TEST

START_TEST(suspend)
{
	kft__run_step s[2];
	kft__run_verdict v;

	s[0] = step("node-0", "node", R, 0, NULL);
	s[1] = step("node-1", "node", P, 0, NULL);
	/* being suspended: Running until every step stopped, and they must be stopped */
	v = judge(s, N(s), 0, 1);
	ck_assert_int_eq(v.state, KFT_JOB_RUNNING);
	ck_assert_int_eq(v.stop, 1);
	s[0].state = P;
	v = judge(s, N(s), 0, 1);
	ck_assert_int_eq(v.state, KFT_JOB_SUSPENDED);
	ck_assert_str_eq(v.reason, "Suspended");
	ck_assert_int_eq(v.stop, 0);
	/* steps stopped for the suspension are no failure */
	s[0] = step("node-0", "node", F, NOW - 1, "exited with code 143");
	s[0].stopped = 1;
	v = judge(s, N(s), 0, 1);
	ck_assert_int_eq(v.state, KFT_JOB_SUSPENDED);
	/* not suspended, nothing started */
	s[0].state = P;
	v = judge(s, N(s), 0, 0);
	ck_assert_int_eq(v.state, KFT_JOB_CREATED);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("runner-status");
	TCase *tc = tcase_create("rules");

	tcase_add_test(tc, fail_fast);
	tcase_add_test(tc, completion);
	tcase_add_test(tc, mpi_launcher);
	tcase_add_test(tc, initializers_before_nodes);
	tcase_add_test(tc, deadline);
	tcase_add_test(tc, suspend);
	suite_add_tcase(s, tc);
	return s;
}

KFT_TEST_MAIN(make_suite)
