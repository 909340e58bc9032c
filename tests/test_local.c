/*
 * The local backend, with real processes (sh): jobs that complete, fail, are
 * killed, time out, get deleted or suspended; the supervisor killed; many
 * readers; logs and waits. Each test has its own state directory.
 */
#include "testutil.h"
#include "../backends/runner/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char sdir[256];
static kft_client_t *client;

static void setup(void)
{
	kft_client_opts_t co = KFT_CLIENT_OPTS_INIT;

	snprintf(sdir, sizeof(sdir), "/tmp/kft-local-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(sdir));
	co.backend = "local";
	co.state_dir = sdir;
	ck_assert_kft_ok(kft_client_new(&client, &co));
}

/* Stop what a test left running, then check every supervisor's own log is free of
 * sanitizer reports (make check-san builds kft-supervisor with ASan/UBSan too). */
static void teardown(void)
{
	kft_job_list_t *l = NULL;
	size_t i;

	if (client && kft_list_jobs(&l, client, NULL) == 0) {
		kft_delete_opts_t d = KFT_DELETE_OPTS_INIT;

		d.grace_period_ms = 0;
		d.flags = KFT_DELETE_KEEP_STATE;
		for (i = 0; i < kft_job_list_count(l); i++) {
			const char *name = kft_job_name(kft_job_list_at(l, i));
			char *dir = NULL, *log = NULL, *text = NULL;

			kft_delete_job(client, name, &d);
			if (kft__store_job_dir(&dir, sdir, name) == 0 &&
			    (log = kft__path_join(dir, "supervisor.log")) != NULL &&
			    kft__read_file(&text, NULL, log) == 0)
				ck_assert_msg(!strstr(text, "Sanitizer") && !strstr(text, "runtime error:"),
				              "%s:\n%s", log, text);
			free(text);
			free(log);
			free(dir);
		}
	}
	kft_job_list_free(l);
	kft_client_free(client);
	client = NULL;
	kft__remove_tree(sdir);
}

/* A torch-distributed TrainJob whose nodes run `sh -c script`. */
static kft_spec_t *sh_spec(const char *name, int64_t nodes, const char *script)
{
	const char *cmd[] = { "sh", "-c", script };
	kft_spec_t *s;

	ck_assert_kft_ok(kft_spec_new(&s));
	ck_assert_kft_ok(kft_spec_set_name(s, name));
	ck_assert_kft_ok(kft_spec_set_runtime(s, "torch-distributed", NULL));
	ck_assert_kft_ok(kft_spec_set_num_nodes(s, nodes));
	ck_assert_kft_ok(kft_spec_set_command(s, cmd, 3));
	return s;
}

static void start(const char *name, int64_t nodes, const char *script)
{
	kft_spec_t *s = sh_spec(name, nodes, script);
	kft_job_t *job = NULL;

	ck_assert_kft_ok(kft_train(&job, client, s, NULL));
	ck_assert_str_eq(kft_job_name(job), name);
	ck_assert_int_eq((int)kft_job_step_count(job), (int)nodes);
	kft_job_free(job);
	kft_spec_free(s);
}

static int wait_for(kft_job_t **job, const char *name, uint32_t want, int64_t timeout_ms)
{
	kft_wait_opts_t wo = KFT_WAIT_OPTS_INIT;

	wo.want = want;
	wo.timeout_ms = timeout_ms;
	return wait_keep_failed(job, client, name, &wo);
}

static size_t step_index(const kft_job_t *job, const char *name)
{
	size_t i;

	for (i = 0; i < kft_job_step_count(job); i++)
		if (kft__streq(kft_step_name(kft_job_step_at(job, i)), name))
			return i;
	ck_abort_msg("no step %s", name);
	return 0;
}

static char *job_dir(const char *name)
{
	char *d;

	ck_assert_kft_ok(kft__store_job_dir(&d, sdir, name));
	return d;
}

/* Wait (bounded) until the job's supervisor has exited. */
static void wait_supervisor_gone(const char *name)
{
	char *d = job_dir(name);
	int i;

	for (i = 0; i < 500 && kft__store_supervisor_alive(d) > 0; i++)
		usleep(10000);
	ck_assert_int_eq(kft__store_supervisor_alive(d), 0);
	free(d);
}

typedef struct {
	kft__buf text;
	int calls;
	int stop_after;
} collect_t;

static int collect(const char *chunk, size_t len, const char *step, void *payload)
{
	collect_t *c = payload;

	(void)step;
	kft__buf_put(&c->text, chunk, len);
	c->calls++;
	return c->stop_after && c->calls >= c->stop_after ? 5 : 0;
}

START_TEST(job_completes)
{
	kft_job_t *job = NULL;
	kft_logs_opts_t lo = KFT_LOGS_OPTS_INIT;
	kft_event_list_t *ev = NULL;
	collect_t c = { KFT__BUF_INIT, 0, 0 };
	size_t i;
	int started = 0;

	start("ok", 2, "echo rank=$PET_NODE_RANK of $PET_NNODES at $PET_MASTER_ADDR:$PET_MASTER_PORT; "
	      "echo err >&2; pwd");
	ck_assert_kft_ok(wait_for(&job, "ok", 0, 20000));
	ck_assert_str_eq(kft_job_status(job), "Complete");
	ck_assert_str_eq(kft_job_backend(job), "local");
	ck_assert_str_eq(kft_job_runtime(job), "torch-distributed");
	ck_assert_int_gt(kft_job_finished_ms(job), 0);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(kft_step_state(kft_job_step_at(job, i)), KFT_STEP_SUCCEEDED);
		ck_assert_int_eq(kft_step_exit_code(kft_job_step_at(job, i)), 0);
		ck_assert_ptr_nonnull(kft_step_target(kft_job_step_at(job, i)));   /* the pid */
	}
	kft_job_free(job);
	ck_assert_kft_ok(kft_logs(client, "ok", &lo, collect, &c));
	ck_assert_ptr_nonnull(strstr(c.text.ptr, "node-0: rank=0 of 2 at 127.0.0.1:"));
	ck_assert_ptr_nonnull(strstr(c.text.ptr, "node-1: rank=1 of 2 at 127.0.0.1:"));
	ck_assert_ptr_nonnull(strstr(c.text.ptr, "node-1: err\n"));       /* stderr too */
	ck_assert_ptr_nonnull(strstr(c.text.ptr, "/jobs/ok/workspace\n")); /* cwd = workspace */
	kft__buf_free(&c.text);
	ck_assert_kft_ok(kft_get_events(&ev, client, "ok"));
	ck_assert_str_eq(kft_event_reason(kft_event_list_at(ev, 0)), "Created");
	for (i = 0; i < kft_event_list_count(ev); i++)
		started += kft__streq(kft_event_reason(kft_event_list_at(ev, i)), "Started");
	ck_assert_int_eq(started, 2);
	ck_assert_str_eq(kft_event_reason(kft_event_list_at(ev, kft_event_list_count(ev) - 1)), "Completed");
	kft_event_list_free(ev);
}
END_TEST

START_TEST(failing_node_fails_job_and_stops_others)
{
	kft_job_t *job = NULL;
	int64_t t0 = kft__mono_ms();
	size_t i0, i1;

	start("bad", 3, "if [ \"$PET_NODE_RANK\" = 1 ]; then echo about to fail; echo boom >&2; "
	      "exit 3; fi; exec sleep 30");
	ck_assert_int_eq(wait_for(&job, "bad", 0, 20000), KFT_EJOBFAILED);
	ck_assert_int_lt(kft__mono_ms() - t0, 10000);
	ck_assert_ptr_nonnull(job);
	ck_assert_str_eq(kft_job_status(job), "Failed");
	ck_assert_ptr_nonnull(strstr(kft_job_reason(job), "node-1"));
	ck_assert_ptr_nonnull(strstr(kft_job_reason(job), "code 3"));
	ck_assert_ptr_nonnull(strstr(kft_job_message(job), "boom"));   /* last lines of its log */
	ck_assert_ptr_nonnull(strstr(kft_error_last()->message, "node-1"));
	kft_job_free(job);
	/* the other nodes get SIGTERM */
	wait_supervisor_gone("bad");
	ck_assert_kft_ok(kft_get_job(&job, client, "bad"));
	i0 = step_index(job, "node-0");
	i1 = step_index(job, "node-1");
	ck_assert_int_eq(kft_step_exit_code(kft_job_step_at(job, i1)), 3);
	ck_assert_int_eq(kft_step_state(kft_job_step_at(job, i0)), KFT_STEP_FAILED);
	ck_assert_int_eq(kft_step_signal(kft_job_step_at(job, i0)), SIGTERM);
	ck_assert_int_eq(kft_step_signal(kft_job_step_at(job, step_index(job, "node-2"))), SIGTERM);
	ck_assert_ptr_nonnull(strstr(kft_step_reason(kft_job_step_at(job, i0)), "Terminated"));
	ck_assert_int_eq(kill(atoi(kft_step_target(kft_job_step_at(job, i0))), 0), -1);
	kft_job_free(job);
}
END_TEST

START_TEST(node_killed_by_signal)
{
	kft_job_t *job = NULL;

	start("sig", 1, "kill -KILL $$");
	ck_assert_int_eq(wait_for(&job, "sig", 0, 20000), KFT_EJOBFAILED);
	ck_assert_int_eq(kft_step_signal(kft_job_step_at(job, 0)), SIGKILL);
	ck_assert_int_eq(kft_step_exit_code(kft_job_step_at(job, 0)), KFT_UNSET);
	ck_assert_ptr_nonnull(strstr(kft_job_reason(job), "signal 9"));
	ck_assert_ptr_nonnull(strstr(kft_job_reason(job), "SIGKILL"));
	kft_job_free(job);
}
END_TEST

START_TEST(command_not_found)
{
	const char *cmd[] = { "kft-no-such-program-xyz", "--flag" };
	kft_spec_t *s;
	kft_job_t *job = NULL;
	kft_logs_opts_t lo = KFT_LOGS_OPTS_INIT;
	collect_t c = { KFT__BUF_INIT, 0, 0 };

	ck_assert_kft_ok(kft_spec_new(&s));
	ck_assert_kft_ok(kft_spec_set_name(s, "nocmd"));
	ck_assert_kft_ok(kft_spec_set_runtime(s, "torch-distributed", NULL));
	ck_assert_kft_ok(kft_spec_set_command(s, cmd, 2));
	ck_assert_kft_ok(kft_train(NULL, client, s, NULL));
	ck_assert_int_eq(wait_for(&job, "nocmd", 0, 20000), KFT_EJOBFAILED);
	ck_assert_int_eq(kft_step_exit_code(kft_job_step_at(job, 0)), 127);
	ck_assert_ptr_nonnull(strstr(kft_step_reason(kft_job_step_at(job, 0)), "kft-no-such-program-xyz"));
	ck_assert_ptr_nonnull(strstr(kft_step_reason(kft_job_step_at(job, 0)), "No such file"));
	ck_assert_ptr_nonnull(strstr(kft_job_reason(job), "127"));
	kft_job_free(job);
	lo.step = "node-0";
	ck_assert_kft_ok(kft_logs(client, "nocmd", &lo, collect, &c));
	ck_assert_ptr_nonnull(strstr(c.text.ptr, "exec kft-no-such-program-xyz"));
	ck_assert_ptr_null(strstr(c.text.ptr, "node-0: "));   /* one step: no prefix */
	kft__buf_free(&c.text);
	kft_spec_free(s);
}
END_TEST

START_TEST(name_exists)
{
	kft_spec_t *s = sh_spec("dup", 1, "true");

	ck_assert_kft_ok(kft_train(NULL, client, s, NULL));
	ck_assert_kft_error(kft_train(NULL, client, s, NULL), KFT_EEXISTS, "already exists");
	kft_spec_free(s);
}
END_TEST

START_TEST(state_dir_not_usable)
{
	kft_client_opts_t co = KFT_CLIENT_OPTS_INIT;
	kft_client_t *c2;
	kft_spec_t *s = sh_spec("nowrite", 1, "true");
	char file[300], bad[320];
	int fd;

	/* a state dir below a regular file cannot be created, even by root */
	snprintf(file, sizeof(file), "%s/plainfile", sdir);
	fd = open(file, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(bad, sizeof(bad), "%s/state", file);
	co.backend = "local";
	co.state_dir = bad;
	ck_assert_kft_ok(kft_client_new(&c2, &co));
	ck_assert_kft_error(kft_train(NULL, c2, s, NULL), KFT_ERROR, "state directory");
	ck_assert_ptr_nonnull(strstr(kft_error_last()->message, bad));
	kft_client_free(c2);
	if (geteuid() != 0) {
		/* read-only state dir: nothing half-written */
		char ro[320], jobs[340];

		snprintf(ro, sizeof(ro), "%s/ro", sdir);
		ck_assert_int_eq(mkdir(ro, 0500), 0);
		co.state_dir = ro;
		ck_assert_kft_ok(kft_client_new(&c2, &co));
		ck_assert_kft_error(kft_train(NULL, c2, s, NULL), KFT_ERROR, "state directory");
		snprintf(jobs, sizeof(jobs), "%s/jobs", ro);
		ck_assert_int_ne(access(jobs, F_OK), 0);
		kft_client_free(c2);
	}
	kft_spec_free(s);
}
END_TEST

START_TEST(malformed_record)
{
	kft_job_t *job = NULL;
	kft_job_list_t *l = NULL;
	char *d, *p;
	int fd;

	start("mal", 1, "true");
	ck_assert_kft_ok(wait_for(&job, "mal", 0, 20000));
	kft_job_free(job);
	wait_supervisor_gone("mal");
	d = job_dir("mal");
	p = kft__path_join(d, "state.json");
	fd = open(p, O_WRONLY | O_TRUNC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "{\"status\": [1,", 14), 14);
	close(fd);
	ck_assert_kft_error(kft_get_job(&job, client, "mal"), KFT_ERROR, "malformed job record");
	ck_assert_ptr_null(job);
	ck_assert_kft_ok(kft_list_jobs(&l, client, NULL));
	ck_assert_int_eq((int)kft_job_list_count(l), 1);
	ck_assert_str_eq(kft_job_status(kft_job_list_at(l, 0)), "Failed");
	ck_assert_str_eq(kft_job_reason(kft_job_list_at(l, 0)), "MalformedRecord");
	kft_job_list_free(l);
	ck_assert_kft_error(wait_for(&job, "mal", 0, 2000), KFT_ERROR, "malformed");
	free(p);
	free(d);
}
END_TEST

START_TEST(supervisor_killed)
{
	kft_job_t *job = NULL;
	cJSON *st = NULL;
	char *d = job_dir("orphan"), *p = kft__path_join(d, "state.json");
	pid_t sup, step;
	int64_t t0;

	start("orphan", 2, "exec sleep 60");
	ck_assert_kft_ok(wait_for(&job, "orphan", KFT_WANT(KFT_JOB_RUNNING), 20000));
	step = atoi(kft_step_target(kft_job_step_at(job, 0)));
	ck_assert_int_gt(step, 0);
	kft_job_free(job);
	ck_assert_kft_ok(kft__store_read_json(&st, p));
	sup = (pid_t)cJSON_GetNumberValue(kft__json_get(st, "supervisorPid"));
	cJSON_Delete(st);
	ck_assert_int_gt(sup, 1);
	ck_assert_int_eq(kill(sup, SIGKILL), 0);
	/* a waiter notices at once (the lock is released), not Running forever */
	t0 = kft__mono_ms();
	ck_assert_int_eq(wait_for(&job, "orphan", 0, 10000), KFT_EJOBFAILED);
	ck_assert_int_lt(kft__mono_ms() - t0, 3000);
	ck_assert_str_eq(kft_job_reason(job), "SupervisorDied");
	ck_assert_ptr_nonnull(strstr(kft_job_message(job), "no longer running"));
	ck_assert_int_eq(kft_step_state(kft_job_step_at(job, 0)), KFT_STEP_FAILED);
	kft_job_free(job);
	/* its orphaned steps were killed */
	t0 = kft__mono_ms();
	while (kill(step, 0) == 0 && kft__mono_ms() - t0 < 5000)
		usleep(10000);
	ck_assert_int_eq(kill(step, 0), -1);
	free(p);
	free(d);
}
END_TEST

START_TEST(caller_exits_job_goes_on)
{
	const char *build = getenv("KFT_BUILD");
	char kft[512], *argv[12];
	kft_job_t *job = NULL;
	kft__proc_opts o;
	pid_t pid;
	int status;

	if (!build) {
		fprintf(stderr, "KFT_BUILD not set (run through make check); skipping\n");
		return;
	}
	snprintf(kft, sizeof(kft), "%s/kft", build);
	argv[0] = kft;
	argv[1] = (char *)"train";
	argv[2] = (char *)"--state-dir";
	argv[3] = sdir;
	argv[4] = (char *)"-b";
	argv[5] = (char *)"local";
	argv[6] = (char *)"--runtime";
	argv[7] = (char *)"torch-distributed";
	argv[8] = (char *)"--name";
	argv[9] = (char *)"detached";
	argv[10] = (char *)"--";
	argv[11] = NULL;
	{
		char *full[16];
		int i;

		for (i = 0; i < 11; i++)
			full[i] = argv[i];
		full[11] = (char *)"sh";
		full[12] = (char *)"-c";
		full[13] = (char *)"sleep 1; echo still here";
		full[14] = NULL;
		memset(&o, 0, sizeof(o));
		o.file = kft;
		o.argv = full;
		o.stdin_fd = o.stdout_fd = o.stderr_fd = -1;
		ck_assert_kft_ok(kft__proc_spawn(&pid, &o));
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);   /* the caller is gone */
	ck_assert_kft_ok(wait_for(&job, "detached", 0, 20000));
	ck_assert_str_eq(kft_job_status(job), "Complete");
	kft_job_free(job);
}
END_TEST

/* Create an empty file in a job's workspace (what its steps wait for). */
static void touch_in_workspace(const char *name, const char *file)
{
	char *d = job_dir(name), *ws = kft__path_join(d, "workspace"), *path = kft__path_join(ws, file);
	int fd = open(path, O_WRONLY | O_CREAT, 0600);

	ck_assert_int_ge(fd, 0);
	close(fd);
	free(path);
	free(ws);
	free(d);
}

/* ---- 50 readers while the job changes state ---- */

typedef struct {
	int reads, bad;
} reader_t;

static void read_until_final(reader_t *r)
{
	kft_client_opts_t co = KFT_CLIENT_OPTS_INIT;
	kft_client_t *c;
	int64_t t0 = kft__mono_ms();

	co.backend = "local";
	co.state_dir = sdir;
	if (kft_client_new(&c, &co) < 0) {
		r->bad++;
		return;
	}
	while (kft__mono_ms() - t0 < 30000) {
		kft_job_t *job = NULL;
		int st;

		if (kft_get_job(&job, c, "busy") < 0 || kft_job_step_count(job) != 3) {
			r->bad++;
			kft_job_free(job);
			break;
		}
		r->reads++;
		st = kft_job_state(job);
		kft_job_free(job);
		if (st == KFT_JOB_COMPLETE || st == KFT_JOB_FAILED)
			break;
	}
	kft_client_free(c);
}

static void *reader_thread(void *arg)
{
	read_until_final(arg);
	return NULL;
}

START_TEST(fifty_readers)
{
	pthread_t th[25];
	reader_t r[25];
	pid_t kids[25];
	kft_job_t *job = NULL;
	int i, reads = 0;

	memset(r, 0, sizeof(r));
	/* the nodes run in the workspace; they wait for "go", then finish one by one */
	start("busy", 3, "while [ ! -e go ]; do sleep 0.02; done; sleep 0.$((PET_NODE_RANK * 2 + 1)); "
	      "echo done");
	for (i = 0; i < 25; i++) {
		if ((kids[i] = fork()) == 0) {
			reader_t me = { 0, 0 };

			read_until_final(&me);
			_exit(me.bad == 0 && me.reads > 0 ? 0 : 1);
		}
		ck_assert_int_gt(kids[i], 0);
	}
	for (i = 0; i < 25; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, reader_thread, &r[i]), 0);
	touch_in_workspace("busy", "go");
	for (i = 0; i < 25; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(r[i].bad, 0);
		reads += r[i].reads;
	}
	for (i = 0; i < 25; i++) {
		int status;

		ck_assert_int_eq(waitpid(kids[i], &status, 0), kids[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "reader process %d failed", i);
	}
	ck_assert_int_gt(reads, 25);
	ck_assert_kft_ok(wait_for(&job, "busy", 0, 20000));
	kft_job_free(job);
}
END_TEST

START_TEST(deadline_exceeded)
{
	kft_spec_t *s = sh_spec("late", 2, "exec sleep 30");
	kft_job_t *job = NULL;
	int64_t t0 = kft__mono_ms();

	ck_assert_kft_ok(kft_spec_set_active_deadline(s, 1));
	ck_assert_kft_ok(kft_train(NULL, client, s, NULL));
	ck_assert_int_eq(wait_for(&job, "late", 0, 20000), KFT_EJOBFAILED);
	ck_assert_int_ge(kft__mono_ms() - t0, 900);
	ck_assert_int_lt(kft__mono_ms() - t0, 8000);
	ck_assert_str_eq(kft_job_reason(job), "DeadlineExceeded");
	kft_job_free(job);
	wait_supervisor_gone("late");
	ck_assert_kft_ok(kft_get_job(&job, client, "late"));
	ck_assert_int_eq(kft_step_signal(kft_job_step_at(job, 0)), SIGTERM);
	kft_job_free(job);
	kft_spec_free(s);
}
END_TEST

START_TEST(delete_kills_process_groups)
{
	kft_job_t *job = NULL;
	kft_delete_opts_t d = KFT_DELETE_OPTS_INIT;
	pid_t leader;
	char *dir = job_dir("del");

	/* a child in the background: the whole process group must go */
	start("del", 1, "sleep 60 & echo child $!; sleep 60");
	ck_assert_kft_ok(wait_for(&job, "del", KFT_WANT(KFT_JOB_RUNNING), 20000));
	leader = atoi(kft_step_target(kft_job_step_at(job, 0)));
	kft_job_free(job);
	ck_assert_int_eq(kill(-leader, 0), 0);
	d.grace_period_ms = 2000;
	ck_assert_kft_ok(kft_delete_job(client, "del", &d));
	ck_assert_int_eq(kill(-leader, 0), -1);
	ck_assert_int_eq(errno, ESRCH);
	ck_assert_int_ne(access(dir, F_OK), 0);
	ck_assert_kft_error(kft_get_job(&job, client, "del"), KFT_ENOTFOUND, "not found");
	ck_assert_kft_error(kft_delete_job(client, "del", NULL), KFT_ENOTFOUND, "not found");
	/* keep state: the record stays, Failed/Cancelled */
	start("del2", 1, "exec sleep 60");
	ck_assert_kft_ok(wait_for(&job, "del2", KFT_WANT(KFT_JOB_RUNNING), 20000));
	kft_job_free(job);
	d.flags = KFT_DELETE_KEEP_STATE;
	ck_assert_kft_ok(kft_delete_job(client, "del2", &d));
	ck_assert_kft_ok(kft_get_job(&job, client, "del2"));
	ck_assert_str_eq(kft_job_status(job), "Failed");
	ck_assert_str_eq(kft_job_reason(job), "Cancelled");
	kft_job_free(job);
	free(dir);
}
END_TEST

START_TEST(logs_tail_and_follow)
{
	kft_logs_opts_t lo = KFT_LOGS_OPTS_INIT;
	collect_t c = { KFT__BUF_INIT, 0, 0 };
	kft_job_t *job = NULL;

	start("talk", 2, "echo first-$PET_NODE_RANK; sleep 0.5; "
	      "for i in 1 2 3 4 5; do echo line-$PET_NODE_RANK-$i; done; printf no-newline");
	/* follow from the start: waits for the steps, ends when they end */
	lo.flags = KFT_LOGS_FOLLOW;
	ck_assert_kft_ok(kft_logs(client, "talk", &lo, collect, &c));
	ck_assert_ptr_nonnull(strstr(c.text.ptr, "node-0: first-0\n"));
	ck_assert_ptr_nonnull(strstr(c.text.ptr, "node-1: line-1-5\n"));
	ck_assert_ptr_nonnull(strstr(c.text.ptr, "node-1: no-newline\n"));   /* final partial line */
	kft__buf_free(&c.text);
	ck_assert_kft_ok(wait_for(&job, "talk", 0, 20000));
	kft_job_free(job);
	/* tail */
	memset(&c, 0, sizeof(c));
	lo.flags = 0;
	lo.step = "node-1";
	lo.tail_lines = 2;
	ck_assert_kft_ok(kft_logs(client, "talk", &lo, collect, &c));
	ck_assert_str_eq(c.text.ptr, "line-1-5\nno-newline\n");
	kft__buf_free(&c.text);
	memset(&c, 0, sizeof(c));
	lo.step = NULL;
	lo.tail_lines = 1;
	ck_assert_kft_ok(kft_logs(client, "talk", &lo, collect, &c));
	ck_assert_str_eq(c.text.ptr, "node-0: no-newline\nnode-1: no-newline\n");
	kft__buf_free(&c.text);
	/* callback stops it; unknown step */
	memset(&c, 0, sizeof(c));
	c.stop_after = 1;
	lo.tail_lines = -1;
	ck_assert_int_eq(kft_logs(client, "talk", &lo, collect, &c), 5);
	kft__buf_free(&c.text);
	lo.step = "node-7";
	ck_assert_kft_error(kft_logs(client, "talk", &lo, collect, &c), KFT_ENOTFOUND, "node-7");
}
END_TEST

/* inotify instances this process holds (/proc/self/fd links "anon_inode:inotify"). */
static int inotify_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL) {
		char path[300], link[64];
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		if ((len = readlink(path, link, sizeof(link) - 1)) > 0) {
			link[len] = '\0';
			n += strcmp(link, "anon_inode:inotify") == 0;
		}
	}
	closedir(d);
	return n;
}

typedef struct {
	int state;
} gate_waiter_t;

static void *gate_wait_thread(void *arg)
{
	kft_client_opts_t co = KFT_CLIENT_OPTS_INIT;
	kft_wait_opts_t wo = KFT_WAIT_OPTS_INIT;
	gate_waiter_t *g = arg;
	kft_client_t *c;
	kft_job_t *job = NULL;

	co.backend = "local";
	co.state_dir = sdir;
	wo.timeout_ms = 30000;
	g->state = -1;
	if (kft_client_new(&c, &co) < 0)
		return NULL;
	if (kft_wait(&job, c, "gate", &wo) == 0)
		g->state = kft_job_state(job);
	kft_job_free(job);
	kft_client_free(c);
	return NULL;
}

/*
 * Waits and followed logs keep one idle inotify instance for the next (closing
 * one costs a kernel grace period): one after another they must each still see
 * their own job, threads at once get instances of their own, a forked child does
 * not use its parent's, and instances do not pile up.
 */
START_TEST(waits_reuse_the_watch)
{
	pthread_t th[3];
	gate_waiter_t g[3];
	kft_job_t *job = NULL;
	pid_t kid;
	int i, status;

	for (i = 0; i < 4; i++) {
		kft_logs_opts_t lo = KFT_LOGS_OPTS_INIT;
		collect_t c = { KFT__BUF_INIT, 0, 0 };
		char name[32], want[32];

		snprintf(name, sizeof(name), "seq-%d", i);
		start(name, 2, "sleep 0.2; echo hi-$PET_NODE_RANK");
		lo.flags = KFT_LOGS_FOLLOW;
		ck_assert_kft_ok(kft_logs(client, name, &lo, collect, &c));
		snprintf(want, sizeof(want), "node-1: hi-1\n");
		ck_assert_msg(c.text.ptr && strstr(c.text.ptr, want), "%s: %s", name,
		              c.text.ptr ? c.text.ptr : "(nothing)");
		kft__buf_free(&c.text);
		ck_assert_kft_ok(wait_for(&job, name, 0, 20000));
		ck_assert_str_eq(kft_job_name(job), name);
		ck_assert_str_eq(kft_job_status(job), "Complete");
		kft_job_free(job);
		job = NULL;
		ck_assert_int_le(inotify_fds(), 1);
	}
	start("gate", 2, "while [ ! -e go ]; do sleep 0.02; done; echo through");
	if ((kid = fork()) == 0) {
		gate_waiter_t me;

		gate_wait_thread(&me);
		_exit(me.state == KFT_JOB_COMPLETE ? 0 : 1);
	}
	ck_assert_int_gt(kid, 0);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, gate_wait_thread, &g[i]), 0);
	usleep(200 * 1000);   /* the waiters are (most likely) watching by now */
	touch_in_workspace("gate", "go");
	for (i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(g[i].state, KFT_JOB_COMPLETE);
	}
	ck_assert_int_eq(waitpid(kid, &status, 0), kid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the forked waiter failed");
	ck_assert_int_le(inotify_fds(), 1);
}
END_TEST

static int stop_cb(const kft_job_t *job, void *payload)
{
	int *n = payload;

	(void)job;
	return ++*n >= 2 ? 42 : 0;
}

START_TEST(wait_timeout_and_cancel)
{
	kft_wait_opts_t wo = KFT_WAIT_OPTS_INIT;
	kft_job_t *job = NULL;
	int64_t t0;
	int n = 0;

	start("slow", 1, "exec sleep 30");
	t0 = kft__mono_ms();
	ck_assert_kft_error(wait_for(&job, "slow", 0, 300), KFT_ETIMEOUT, "timed out");
	ck_assert_int_ge(kft__mono_ms() - t0, 290);
	ck_assert_int_lt(kft__mono_ms() - t0, 1500);
	ck_assert_ptr_null(job);
	/* the callback runs at least once a second and can stop the wait */
	wo.progress_cb = stop_cb;
	wo.payload = &n;
	t0 = kft__mono_ms();
	ck_assert_int_eq(kft_wait(NULL, client, "slow", &wo), 42);
	ck_assert_int_lt(kft__mono_ms() - t0, 2500);
	ck_assert_kft_error(wait_for(&job, "nosuchjob", 0, 300), KFT_ENOTFOUND, "not found");
}
END_TEST

START_TEST(suspend_and_resume)
{
	kft_spec_t *s = sh_spec("sus", 1, "echo run; sleep 0.3; echo finished");
	kft_job_t *job = NULL;

	ck_assert_kft_ok(kft_spec_set_suspend(s, 1));
	ck_assert_kft_ok(kft_train(NULL, client, s, NULL));
	ck_assert_kft_ok(wait_for(&job, "sus", KFT_WANT(KFT_JOB_SUSPENDED), 20000));
	ck_assert_int_eq(kft_step_state(kft_job_step_at(job, 0)), KFT_STEP_PENDING);
	kft_job_free(job);
	ck_assert_kft_ok(kft_suspend_job(client, "sus", 0));
	ck_assert_kft_ok(wait_for(&job, "sus", 0, 20000));
	ck_assert_str_eq(kft_job_status(job), "Complete");
	kft_job_free(job);
	ck_assert_kft_error(kft_suspend_job(client, "sus", 1), KFT_EINVALID, "Complete");
	/* suspend a running job: its steps stop, it waits, then runs again */
	start("sus2", 1, "exec sleep 30");
	ck_assert_kft_ok(wait_for(&job, "sus2", KFT_WANT(KFT_JOB_RUNNING), 20000));
	kft_job_free(job);
	ck_assert_kft_ok(kft_suspend_job(client, "sus2", 1));
	ck_assert_kft_ok(wait_for(&job, "sus2", KFT_WANT(KFT_JOB_SUSPENDED), 20000));
	kft_job_free(job);
	ck_assert_kft_ok(kft_suspend_job(client, "sus2", 0));
	ck_assert_kft_ok(wait_for(&job, "sus2", KFT_WANT(KFT_JOB_RUNNING), 20000));
	kft_job_free(job);
	kft_spec_free(s);
}
END_TEST

START_TEST(job_dir_removed_stops_job)
{
	kft_job_t *job = NULL;
	char *d = job_dir("gone");
	pid_t step;
	int64_t t0;

	start("gone", 1, "exec sleep 60");
	ck_assert_kft_ok(wait_for(&job, "gone", KFT_WANT(KFT_JOB_RUNNING), 20000));
	step = atoi(kft_step_target(kft_job_step_at(job, 0)));
	kft_job_free(job);
	ck_assert_kft_ok(kft__remove_tree(d));   /* behind the library's back */
	t0 = kft__mono_ms();
	while (kill(step, 0) == 0 && kft__mono_ms() - t0 < 15000)
		usleep(20000);
	ck_assert_msg(kill(step, 0) == -1, "the step outlived its job directory");
	free(d);
}
END_TEST

/*
 * The supervisor's "program" step runner (backends/runner/step.h), without an
 * engine: the plan's stepProgram is a script playing kft-container-step. node-1 reports an OOM kill through its
 * result file; node-0 is then stopped (SIGTERM) and reports 143. The job's and
 * steps' reasons, codes and targets come from the result files.
 */
START_TEST(container_runner_result_files)
{
	const char *fake =
		"#!/bin/sh\n"
		"dir=$2; step=$3; r=$dir/runner/$step.json\n"
		"echo \"$KFT_SUPERVISOR_PID\" >\"$dir/runner/$step.ppid\"\n"
		"if [ \"$step\" = node-1 ]; then sleep 0.3; echo oom-line\n"
		"  printf '{\"exitCode\":137,\"signal\":9,\"oomKilled\":true,\"reason\":\"OOMKilled\","
		"\"what\":\"(container x-node-1) was OOM-killed (exit code 137)\","
		"\"target\":\"x-node-1\"}' >\"$r\"; exit 137; fi\n"
		"trap 'printf \"{\\\"exitCode\\\":143,\\\"signal\\\":15,\\\"what\\\":\\\"(container "
		"x-node-0) exited with code 143\\\"}\" >\"$r\"; exit 143' TERM\n"
		"while :; do sleep 0.05; done\n";
	const char *planj =
		"{\"job\":\"x\",\"runtime\":\"rt\",\"backend\":\"container\",\"runner\":\"program\","
		"\"numNodes\":2,\"steps\":["
		"{\"name\":\"node-0\",\"role\":\"node\",\"target\":\"x-node-0\",\"argv\":[\"no\"]},"
		"{\"name\":\"node-1\",\"role\":\"node\",\"target\":\"x-node-1\",\"argv\":[\"no\"]}]}";
	char script[300], *dir = job_dir("x"), *rdir, *ppid = NULL, *state = NULL;
	cJSON *plan = cJSON_Parse(planj), *spec = cJSON_CreateObject(), *st = NULL;
	kft_job_t *job = NULL;
	size_t i0, i1;
	int lock_fd, fd;

	snprintf(script, sizeof(script), "%s/fake-step.sh", sdir);
	fd = open(script, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, fake, strlen(fake)), (ssize_t)strlen(fake));
	close(fd);
	cJSON_AddStringToObject(plan, "stepProgram", script);
	ck_assert_kft_ok(kft__store_create(&lock_fd, sdir, "x", spec, plan, "container"));
	ck_assert_ptr_nonnull(rdir = kft__path_join(dir, "runner"));
	ck_assert_int_eq(mkdir(rdir, 0700), 0);
	ck_assert_kft_ok(kft__store_spawn_supervisor(NULL, dir, lock_fd));
	ck_assert_int_eq(wait_for(&job, "x", KFT_WANT(KFT_JOB_FAILED), 20000), 0);
	ck_assert_str_eq(kft_job_reason(job), "OOMKilled");
	ck_assert_ptr_nonnull(strstr(kft_job_message(job),
	                             "node-1 (container x-node-1) was OOM-killed (exit code 137)"));
	i0 = step_index(job, "node-0");
	i1 = step_index(job, "node-1");
	ck_assert_str_eq(kft_step_reason(kft_job_step_at(job, i1)), "OOMKilled");
	ck_assert_int_eq(kft_step_exit_code(kft_job_step_at(job, i1)), 137);
	ck_assert_int_eq(kft_step_signal(kft_job_step_at(job, i1)), 9);
	ck_assert_str_eq(kft_step_target(kft_job_step_at(job, i1)), "x-node-1");
	kft_job_free(job);
	job = NULL;
	/* node-0 was told to stop (a container runner's SIGTERM), and said 143 */
	wait_supervisor_gone("x");
	ck_assert_kft_ok(kft_get_job(&job, client, "x"));
	ck_assert_int_eq(kft_step_state(kft_job_step_at(job, i0)), KFT_STEP_FAILED);
	ck_assert_int_eq(kft_step_exit_code(kft_job_step_at(job, i0)), 143);
	ck_assert_ptr_nonnull(strstr(kft_step_reason(kft_job_step_at(job, i0)), "Terminated (OOMKilled)"));
	ck_assert_ptr_nonnull(strstr(kft_step_reason(kft_job_step_at(job, i0)), "exited with code 143"));
	/* the step program knows its supervisor (to notice its death) */
	{
		char *p = kft__path_join(rdir, "node-0.ppid");

		ck_assert_kft_ok(kft__read_file(&ppid, NULL, p));
		free(p);
		p = kft__path_join(dir, "state.json");
		ck_assert_kft_ok(kft__store_read_json(&st, p));
		free(p);
		ck_assert_int_eq(atoi(ppid), (int)cJSON_GetNumberValue(kft__json_get(st, "supervisorPid")));
		ck_assert_str_eq(kft__json_str(st, "runner"), "program");
	}
	kft_job_free(job);
	cJSON_Delete(plan);
	cJSON_Delete(spec);
	cJSON_Delete(st);
	free(state);
	free(ppid);
	free(rdir);
	free(dir);
}
END_TEST

/* The plan's step runner is checked: unknown runners and a relative stepProgram fail the job. */
static void run_plan(kft_job_t **job, const char *name, const char *planj)
{
	cJSON *plan = cJSON_Parse(planj), *spec = cJSON_CreateObject();
	char *dir = job_dir(name);
	int lock_fd;

	ck_assert_ptr_nonnull(plan);
	ck_assert_kft_ok(kft__store_create(&lock_fd, sdir, name, spec, plan, "local"));
	ck_assert_kft_ok(kft__store_spawn_supervisor(NULL, dir, lock_fd));
	ck_assert_int_eq(wait_for(job, name, KFT_WANT(KFT_JOB_FAILED), 20000), 0);
	cJSON_Delete(plan);
	cJSON_Delete(spec);
	free(dir);
}

START_TEST(step_runner_checked)
{
	kft_job_t *job = NULL;

	run_plan(&job, "ur", "{\"job\":\"ur\",\"runner\":\"bogus\",\"numNodes\":1,\"steps\":["
	         "{\"name\":\"node-0\",\"role\":\"node\",\"argv\":[\"true\"]}]}");
	ck_assert_str_eq(kft_job_reason(job), "SupervisorFailed");
	ck_assert_ptr_nonnull(strstr(kft_job_message(job), "plan runner \"bogus\" is unknown"));
	kft_job_free(job);
	job = NULL;
	run_plan(&job, "rp", "{\"job\":\"rp\",\"runner\":\"program\",\"stepProgram\":"
	         "\"kft-container-step\",\"numNodes\":1,\"steps\":["
	         "{\"name\":\"node-0\",\"role\":\"node\",\"argv\":[\"true\"]}]}");
	ck_assert_ptr_nonnull(strstr(kft_job_reason(job), "node-0 failed to start"));
	ck_assert_ptr_nonnull(strstr(kft_job_message(job), "stepProgram: must be an absolute path"));
	ck_assert_int_eq(kft_step_exit_code(kft_job_step_at(job, 0)), 126);
	kft_job_free(job);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("local");
	TCase *tc = tcase_create("local");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, job_completes);
	tcase_add_test(tc, failing_node_fails_job_and_stops_others);
	tcase_add_test(tc, node_killed_by_signal);
	tcase_add_test(tc, command_not_found);
	tcase_add_test(tc, name_exists);
	tcase_add_test(tc, state_dir_not_usable);
	tcase_add_test(tc, malformed_record);
	tcase_add_test(tc, supervisor_killed);
	tcase_add_test(tc, caller_exits_job_goes_on);
	tcase_add_test(tc, fifty_readers);
	tcase_add_test(tc, deadline_exceeded);
	tcase_add_test(tc, delete_kills_process_groups);
	tcase_add_test(tc, logs_tail_and_follow);
	tcase_add_test(tc, wait_timeout_and_cancel);
	tcase_add_test(tc, waits_reuse_the_watch);
	tcase_add_test(tc, suspend_and_resume);
	tcase_add_test(tc, job_dir_removed_stops_job);
	tcase_add_test(tc, container_runner_result_files);
	tcase_add_test(tc, step_runner_checked);
	suite_add_tcase(s, tc);
	return s;
}

KFT_TEST_MAIN(make_suite)
