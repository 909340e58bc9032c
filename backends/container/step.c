/*
 * kft-container-step: the container runner's step process. The job's
 * kft-supervisor (backends/runner/supervisor.c) runs a container plan step by
 * spawning `kft-container-step run JOBDIR STEP` as the step's process, in its
 * own process group, with stdout+stderr on logs/STEP.log, exactly as it runs a
 * local step; this program turns the container into that process:
 *
 *  - starts the step's container (created by kft_train, named <job>-<step>);
 *    a container that already ran (resume after suspend) is removed and
 *    created again from the plan's createBody, as a pod would be; when the
 *    supervisor hands us the job's progress server (KUBEFLOW_TRAINER_SERVER_URL),
 *    it is created again with the server's variables (on a per-job network:
 *    host.docker.internal, the network's gateway) and the job's trainer/
 *    directory mounted read-only;
 *  - copies the engine's log stream (8-byte frames demultiplexed) to its
 *    stdout/stderr, i.e. the step's log file;
 *  - blocks on the engine's wait endpoint (a POST stream run beside the log
 *    stream) and exits with the container's exit code (137 = 128+9 when
 *    the container was killed, as `docker run` reports it);
 *  - SIGTERM: stops the container through the engine (POST /stop?t=grace),
 *    then goes on copying logs until it exited. The supervisor passes the
 *    grace period as the signal's value (sigqueue); a plain SIGTERM, or the
 *    supervisor's death (PR_SET_PDEATHSIG), uses DEFAULT_GRACE_MS;
 *  - the engine going away mid-job (restart): reconnects for up to
 *    ENGINE_RETRY_MS; a container still running is followed again (the log
 *    bytes already copied are skipped), one that was stopped with the engine
 *    is reported with reason EngineRestarted; no engine within that time
 *    exits 125 with reason EngineUnavailable: the job fails, never hangs;
 *  - writes what the exit status cannot carry (the container's name as the
 *    step's target, exit code, OOMKilled, a reason) to runner/STEP.json,
 *    which the supervisor reads when the step exits. This is the "program"
 *    step runner's contract: backends/runner/step.h.
 *
 * It is a program of its own, not a mode of kft-supervisor, so that the
 * long-running supervisor does not map libcurl and its TLS stack.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "engine.h"
#include "../runner/store.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_GRACE_MS 5000
#define ENGINE_RETRY_MS 30000
#define LOG_DRAIN_MS 2000
#define TICK_MS 100

/* exit codes of our own (as docker run: 125 the engine failed, 126 cannot start) */
#define EXIT_ENGINE 125
#define EXIT_START 126

static volatile sig_atomic_t term_req;
static volatile sig_atomic_t term_grace_ms = -1;

static void on_term(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (si && si->si_code == SI_QUEUE && si->si_value.sival_int >= 0)
		term_grace_ms = si->si_value.sival_int;
	term_req = 1;
}

typedef struct {
	const char *jobdir, *step, *cname;
	char *result_path;
	kft__engine *e;
	char *id;
	uint64_t seen[3], skip[3];   /* log bytes copied per stream; to skip on a re-read */
	kft__buf wait_body;
	int stop_sent, lost;
	int64_t wait_done_at;
	kft__engine_stream *logs, *wait;
} shim;

static void say(const char *fmt, ...) KFT__PRINTF(1, 2);
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("kft: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	fflush(stderr);
}

/* The result file the supervisor reads once this process exited. */
static void write_result(shim *s, int code, int oom, const char *reason, const char *what)
{
	cJSON *r = cJSON_CreateObject();

	if (!r)
		return;
	cJSON_AddStringToObject(r, "target", s->cname);
	if (s->id)
		cJSON_AddStringToObject(r, "containerId", s->id);
	cJSON_AddNumberToObject(r, "exitCode", code);
	if (code > 128 && code < 160)
		cJSON_AddNumberToObject(r, "signal", code - 128);
	if (oom)
		cJSON_AddBoolToObject(r, "oomKilled", 1);
	if (reason)
		cJSON_AddStringToObject(r, "reason", reason);
	cJSON_AddStringToObject(r, "what", what);
	if (kft__store_write_json(s->result_path, r, 0) < 0)
		say("cannot write %s: %s", s->result_path, kft_error_last()->message);
	cJSON_Delete(r);
}

static int fail(shim *s, int code, const char *reason, const char *fmt, ...) KFT__PRINTF(4, 5);
static int fail(shim *s, int code, const char *reason, const char *fmt, ...)
{
	char msg[1024], what[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	say("%s", msg);
	snprintf(what, sizeof(what), "(container %s): %s", s->cname, msg);
	write_result(s, code, 0, reason, what);
	return code;
}

static int on_log(const char *data, size_t len, int fd, void *payload)
{
	shim *s = payload;
	int f = fd == 2 ? 2 : 1;

	if (s->skip[f] > 0) {   /* a re-read after a reconnect: drop what was copied */
		size_t drop = s->skip[f] < len ? (size_t)s->skip[f] : len;

		s->skip[f] -= drop;
		data += drop;
		len -= drop;
	}
	s->seen[f] += len;
	while (len > 0) {
		ssize_t n = write(f, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;   /* a full disk must not stop the job */
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int on_wait(const char *data, size_t len, int fd, void *payload)
{
	shim *s = payload;

	(void)fd;
	return kft__buf_put(&s->wait_body, data, len) < 0 ? kft__error_oom() : 0;
}

static void do_stop(shim *s)
{
	int64_t g = term_grace_ms >= 0 ? term_grace_ms : DEFAULT_GRACE_MS;

	s->stop_sent = 1;
	/* the engine finishes a stop it accepted even if we are killed meanwhile */
	if (kft__engine_container_stop(s->e, s->id, (int)((g + 999) / 1000)) < 0)
		say("stopping container %s: %s", s->cname, kft_error_last()->message);
}

static int tick(void *payload)
{
	shim *s = payload;

	if (term_req && !s->stop_sent)
		do_stop(s);
	if (kft__engine_stream_done(s->wait)) {
		if (!s->wait_done_at)
			s->wait_done_at = kft__mono_ms();
		/* the container ended: give the log stream a moment to deliver its end */
		if (kft__engine_stream_done(s->logs) || kft__mono_ms() - s->wait_done_at > LOG_DRAIN_MS)
			return 1;
	}
	return 0;
}

/* Re-read the whole log, copying only bytes beyond those already copied. */
static void log_catch_up(shim *s, int follow)
{
	kft__buf p = KFT__BUF_INIT;
	int f;

	for (f = 0; f < 3; f++)   /* seen stays the running total */
		s->skip[f] = s->seen[f];
	kft__buf_printf(&p, "/containers/%s/logs?stdout=1&stderr=1&follow=%d", s->id, follow);
	if (!p.oom && kft__engine_stream_new(&s->logs, s->e, p.ptr, 1, on_log, s) == 0 && !follow)
		kft__engine_streams_run(s->e, &s->logs, 1, 1000, NULL, NULL);
	kft__buf_free(&p);
	if (!follow) {
		kft__engine_stream_free(s->logs);
		s->logs = NULL;
	}
}

/* Wait for the engine to answer again (ENGINE_RETRY_MS). */
static int reconnect(shim *s)
{
	int64_t until = kft__mono_ms() + ENGINE_RETRY_MS;

	say("the container engine at %s stopped answering; retrying for %d s",
	    kft__engine_socket(s->e), ENGINE_RETRY_MS / 1000);
	s->lost = 1;
	while (kft__mono_ms() < until) {
		if (kft__engine_ping(s->e) == 0)
			return 0;
		poll(NULL, 0, 250);
	}
	return KFT_EUNAVAILABLE;
}

/* Where the job's trainer/ directory (CA certificate, token) is mounted in its containers. */
#define TRAINER_DIR "/var/run/kubeflow-trainer"

static int push_str(cJSON *arr, const char *a, const char *b)
{
	kft__buf v = KFT__BUF_INIT;
	cJSON *s;

	kft__buf_printf(&v, "%s%s", a, b);
	s = v.oom ? NULL : cJSON_CreateString(v.ptr);
	kft__buf_free(&v);
	if (!s || !cJSON_AddItemToArray(arr, s)) {
		cJSON_Delete(s);
		return kft__error_oom();
	}
	return 0;
}

/* The host's name in a container on a per-job network (the server's certificate names it). */
#define HOST_NAME "host.docker.internal"

/*
 * url with its host replaced by HOST_NAME ("https://127.0.0.1:PORT/..." ->
 * "https://host.docker.internal:PORT/..."); NULL when it has no "scheme://host:" form.
 */
static char *url_for_network(const char *url)
{
	const char *h = strstr(url, "://"), *colon;
	kft__buf v = KFT__BUF_INIT;

	if (!h || !(colon = strchr(h + 3, ':')) || memchr(h + 3, '/', (size_t)(colon - h - 3)))
		return NULL;
	kft__buf_printf(&v, "%.*s" HOST_NAME "%s", (int)(h + 3 - url), url, colon);
	return kft__buf_detach(&v);
}

/*
 * The progress protocol: the supervisor started the job's server after
 * kft_train created the containers, and hands this program its URL. On the
 * host network the container reaches it as we do; on a per-job network at
 * the network's gateway (the plan's progressGateway, where the server also
 * listens), named HOST_NAME through ExtraHosts (an address, not
 * "host-gateway": dockerd without a default bridge resolves that to nothing
 * and podman 4 writes it literally). *out is a copy of body with
 * KUBEFLOW_TRAINER_SERVER_* set and JOBDIR/trainer mounted read-only (NULL:
 * nothing to add, no server or no gateway).
 */
static int progress_body(cJSON **out, const cJSON *plan, const cJSON *body, const char *jobdir)
{
	const char *url = getenv("KUBEFLOW_TRAINER_SERVER_URL"), *net = kft__json_str(plan, "network");
	const char *gw = kft__json_str(plan, "progressGateway");
	cJSON *b, *env, *hc, *binds, *hosts;
	char *nurl = NULL;
	int host = !net || kft__streq(net, "host");

	*out = NULL;
	if (!url || !*url || !body || (!host && !gw))
		return 0;
	if (!host && !(nurl = url_for_network(url))) {
		say("progress server URL %s: no host part; the containers get no progress server", url);
		return 0;
	}
	if (!(b = cJSON_Duplicate(body, 1)))
		goto oom;
	if ((!(env = (cJSON *)kft__json_get(b, "Env")) && !(env = cJSON_AddArrayToObject(b, "Env"))) ||
	    (!(hc = (cJSON *)kft__json_get(b, "HostConfig")) &&
	     !(hc = cJSON_AddObjectToObject(b, "HostConfig"))) ||
	    (!(binds = (cJSON *)kft__json_get(hc, "Binds")) &&
	     !(binds = cJSON_AddArrayToObject(hc, "Binds"))) ||
	    push_str(env, "KUBEFLOW_TRAINER_SERVER_URL=", host ? url : nurl) < 0 ||
	    push_str(env, "KUBEFLOW_TRAINER_SERVER_CA_CERT=", TRAINER_DIR "/ca.crt") < 0 ||
	    push_str(env, "KUBEFLOW_TRAINER_SERVER_TOKEN=", TRAINER_DIR "/token") < 0 ||
	    push_str(binds, jobdir, "/trainer:" TRAINER_DIR ":ro") < 0)
		goto oom;
	if (!host && (((!(hosts = (cJSON *)kft__json_get(hc, "ExtraHosts")) &&
	                !(hosts = cJSON_AddArrayToObject(hc, "ExtraHosts")))) ||
	              push_str(hosts, HOST_NAME ":", gw) < 0))
		goto oom;
	free(nurl);
	*out = b;
	return 0;
oom:
	cJSON_Delete(b);
	free(nurl);
	return kft__error_oom();
}

/* Find or (re)create the step's container; *id_out its id. fresh: never reuse one. */
static int ensure_container(shim *s, const cJSON *body, int fresh)
{
	cJSON *insp = NULL;
	const char *status;
	int error;

	error = kft__engine_container_inspect(&insp, s->e, s->cname);
	if (error < 0 && error != KFT_ENOTFOUND)
		return error;
	status = kft__json_str(kft__json_get(insp, "State"), "Status");
	if (error == 0 && !fresh && kft__streq(status, "created") && kft__json_str(insp, "Id")) {
		s->id = kft__strdup(kft__json_str(insp, "Id"));
		cJSON_Delete(insp);
		KFT_CHECK_ALLOC(s->id);
		return 0;
	}
	/* ran before (resumed after suspend), removed, or needs the progress server: a new one */
	if (error == 0 && (error = kft__engine_container_remove(s->e, s->cname)) < 0) {
		cJSON_Delete(insp);
		return error;
	}
	cJSON_Delete(insp);
	kft_error_clear();
	if (!body)
		return kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_CONTAINER,
		                      "container %s is gone and the plan has no createBody",
		                      s->cname);
	return kft__engine_container_create(&s->id, s->e, s->cname, body);
}

static int run_step(shim *s, const cJSON *plan, const cJSON *pstep)
{
	const char *sock = kft__json_str(plan, "engineSocket");
	cJSON *insp = NULL, *pbody = NULL;
	const cJSON *st;
	int error, code = -1, oom = 0, restarted = 0;
	char what[1024];

	if (!sock)
		return fail(s, EXIT_ENGINE, "EngineUnavailable", "the plan names no engine socket");
	if ((error = kft__engine_open(&s->e, sock, 0)) < 0)
		return fail(s, EXIT_ENGINE, "EngineUnavailable", "%s", kft_error_last()->message);
	if ((error = progress_body(&pbody, plan, kft__json_get(pstep, "createBody"), s->jobdir)) == 0)
		error = pbody ? ensure_container(s, pbody, 1)
		              : ensure_container(s, kft__json_get(pstep, "createBody"), 0);
	cJSON_Delete(pbody);
	if (error < 0)
		return fail(s, error == KFT_EUNAVAILABLE ? EXIT_ENGINE : EXIT_START,
		            error == KFT_EUNAVAILABLE ? "EngineUnavailable" : "CreateContainerError",
		            "%s", kft_error_last()->message);
	if (term_req)
		return fail(s, 143, "Terminated", "not started: the job is stopping");
	if ((error = kft__engine_container_start(s->e, s->id)) < 0)
		return fail(s, error == KFT_EUNAVAILABLE ? EXIT_ENGINE : EXIT_START,
		            error == KFT_EUNAVAILABLE ? "EngineUnavailable" : "StartError",
		            "%s", kft_error_last()->message);
	for (;;) {
		kft__buf wp = KFT__BUF_INIT;
		long ws;

		kft__buf_clear(&s->wait_body);
		s->wait_done_at = 0;
		log_catch_up(s, 1);
		kft__buf_printf(&wp, "/containers/%s/wait", s->id);
		if (!s->logs || wp.oom ||
		    kft__engine_stream_new(&s->wait, s->e, wp.ptr, 0, on_wait, s) < 0) {
			kft__buf_free(&wp);
			return fail(s, EXIT_ENGINE, "EngineUnavailable", "%s",
			            kft_error_last()->message[0] ? kft_error_last()->message
			                                         : "out of memory");
		}
		kft__buf_free(&wp);
		kft__engine_stream_set_post(s->wait);
		{
			kft__engine_stream *both[2] = { s->logs, s->wait };

			kft__engine_streams_run(s->e, both, 2, TICK_MS, tick, s);
		}
		ws = kft__engine_stream_status(s->wait);
		error = kft__engine_stream_done(s->wait) && ws >= 200 && ws < 300 ? 0 : -1;
		kft__engine_stream_free(s->logs);
		kft__engine_stream_free(s->wait);
		s->logs = s->wait = NULL;
		if (error == 0)
			break;
		if (ws == 404)
			return fail(s, 137, "ContainerRemoved", "the container was removed while running");
		if (ws >= 300)
			return fail(s, EXIT_ENGINE, "EngineError", "waiting for the container: %s",
			            s->wait_body.len ? s->wait_body.ptr : "(no message)");
		/* the connection broke: the engine went away (restart?) */
		if (reconnect(s) < 0)
			return fail(s, EXIT_ENGINE, "EngineUnavailable",
			            "the container engine at %s stopped answering for %d s while the "
			            "step ran; its container's state is unknown",
			            kft__engine_socket(s->e), ENGINE_RETRY_MS / 1000);
		if ((error = kft__engine_container_inspect(&insp, s->e, s->id)) == KFT_ENOTFOUND)
			return fail(s, 137, "ContainerRemoved", "the container was removed while the "
			            "engine was away");
		st = kft__json_get(insp, "State");
		if (error == 0 && !cJSON_IsTrue(kft__json_get(st, "Running")))
			restarted = 1;
		cJSON_Delete(insp);
		insp = NULL;
		if (term_req && !s->stop_sent)
			do_stop(s);
		/* still running (podman's service restarts without its containers): follow again */
	}
	log_catch_up(s, 0);   /* dockerd may end a follow before the last partial line */
	error = kft__engine_container_inspect(&insp, s->e, s->id);
	if ((error == KFT_EUNAVAILABLE || error == KFT_ETIMEOUT) && reconnect(s) == 0) {
		/* dockerd stops its containers as it shuts down, then goes away */
		restarted = 1;
		log_catch_up(s, 0);
		error = kft__engine_container_inspect(&insp, s->e, s->id);
	}
	if (error == 0) {
		const cJSON *ec;

		st = kft__json_get(insp, "State");
		ec = kft__json_get(st, "ExitCode");
		code = (int)kft__json_int(ec, INT_MIN, INT_MAX, code);
		oom = cJSON_IsTrue(kft__json_get(st, "OOMKilled"));
	}
	cJSON_Delete(insp);
	if (code < 0) {   /* inspect failed: the wait answer has the code */
		cJSON *w = cJSON_ParseWithLength(s->wait_body.ptr ? s->wait_body.ptr : "", s->wait_body.len);
		const cJSON *sc = kft__json_get(w, "StatusCode");

		code = (int)kft__json_int(sc, INT_MIN, INT_MAX, EXIT_ENGINE);
		cJSON_Delete(w);
	}
	if (code < 0 || code > 255)
		code = 255;
	if (oom) {
		snprintf(what, sizeof(what), "(container %s) was OOM-killed (exit code %d)", s->cname,
		         code);
		write_result(s, code, 1, "OOMKilled", what);
	} else if (restarted && !s->stop_sent && code != 0) {
		/* (a container that ended well while the engine was away simply succeeded) */
		snprintf(what, sizeof(what), "(container %s) was stopped by a restart of the "
		         "container engine (exit code %d)", s->cname, code);
		write_result(s, code, 0, "EngineRestarted", what);
	} else {
		snprintf(what, sizeof(what), "(container %s) exited with code %d", s->cname, code);
		write_result(s, code, 0, NULL, what);
	}
	return code;
}

static const cJSON *plan_step(const cJSON *plan, const char *name)
{
	return kft__json_find(kft__json_get(plan, "steps"), "name", name);
}

int kft__container_step_main(int argc, char **argv);
int kft__container_step_main(int argc, char **argv)
{
	struct sigaction sa;
	cJSON *plan = NULL;
	const cJSON *pstep;
	const char *ppid;
	char *plan_path = NULL, *rdir = NULL;
	shim s;
	int rc;

	if (argc != 4 || strcmp(argv[1], "run") != 0) {
		fprintf(stderr, "usage: kft-container-step run JOBDIR STEP\n"
		        "(started by kft-supervisor for the container backend)\n");
		return 2;
	}
	memset(&s, 0, sizeof(s));
	s.jobdir = argv[2];
	s.step = argv[3];
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_term;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* the supervisor dying must stop the container too (not leave it running) */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if ((ppid = getenv("KFT_SUPERVISOR_PID")) && atoi(ppid) != (int)getppid())
		term_req = 1;   /* it died before we got here */
	plan_path = kft__path_join(s.jobdir, KFT__STORE_PLAN);
	rdir = kft__path_join(s.jobdir, "runner");
	{
		kft__buf rp = KFT__BUF_INIT;

		kft__buf_printf(&rp, "%s/runner/%s.json", s.jobdir, s.step);
		s.result_path = kft__buf_detach(&rp);
	}
	s.cname = s.step;
	if (!plan_path || !rdir || !s.result_path) {
		say("out of memory");
		rc = EXIT_START;
		goto out;
	}
	if (mkdir(rdir, 0700) < 0 && errno != EEXIST)
		say("cannot create %s: %s", rdir, strerror(errno));
	if (kft__store_read_json(&plan, plan_path) < 0) {
		rc = fail(&s, EXIT_START, "PlanUnreadable", "%s", kft_error_last()->message);
		goto out;
	}
	if (!(pstep = plan_step(plan, s.step)) || !kft__json_str(pstep, "container")) {
		rc = fail(&s, EXIT_START, "PlanUnreadable", "the plan has no container step \"%s\"",
		          s.step);
		goto out;
	}
	s.cname = kft__json_str(pstep, "container");
	rc = run_step(&s, plan, pstep);
out:
	kft__engine_free(s.e);
	kft__buf_free(&s.wait_body);
	free(s.id);
	free(s.result_path);
	free(plan_path);
	free(rdir);
	cJSON_Delete(plan);
	return rc;
}
