/*
 * Container backend: the Engine API client and container bodies.
 * Without an engine: the log demultiplexer, quantities, create bodies, times,
 * and discovery against real sockets that are missing, refuse, deny
 * permission or never answer. With KFT_TEST_DOCKER_HOST (set by
 * tests/t_container.sh, which starts a private dockerd): real engine calls.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "testutil.h"
#include "../backends/container/container.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- demux ---- */

typedef struct {
	kft__buf out[3];
	int calls;
} sink;

static int collect(const char *data, size_t len, int fd, void *payload)
{
	sink *s = payload;

	s->calls++;
	kft__buf_put(&s->out[fd >= 0 && fd <= 2 ? fd : 0], data, len);
	return 0;
}

static void frame(kft__buf *b, int fd, const char *text)
{
	size_t n = strlen(text);
	char h[8] = { (char)fd, 0, 0, 0, (char)(n >> 24), (char)(n >> 16), (char)(n >> 8), (char)n };

	kft__buf_put(b, h, 8);
	kft__buf_put(b, text, n);
}

START_TEST(demux_split_everywhere)
{
	kft__buf in = KFT__BUF_INIT;
	char big[300];
	size_t split, k;

	memset(big, 'x', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	frame(&in, 1, "hello\nwor");
	frame(&in, 2, "oops\n");
	frame(&in, 1, "");
	frame(&in, 1, "ld\n");
	frame(&in, 1, big);   /* a length byte of 0x2b: not mistaken for anything */
	/* every split point, and byte-by-byte */
	for (split = 0; split <= in.len; split++) {
		sink s;
		kft__demux d = KFT__DEMUX_INIT;

		memset(&s, 0, sizeof(s));
		ck_assert_int_eq(kft__demux_feed(&d, in.ptr, split, collect, &s), 0);
		ck_assert_int_eq(kft__demux_feed(&d, in.ptr + split, in.len - split, collect, &s), 0);
		ck_assert_uint_eq(s.out[1].len, strlen("hello\nworld\n") + strlen(big));
		ck_assert(!strncmp(s.out[1].ptr, "hello\nworld\n", 12));
		ck_assert_str_eq(s.out[2].ptr, "oops\n");
		for (k = 0; k < 3; k++)
			kft__buf_free(&s.out[k]);
	}
	{
		sink s;
		kft__demux d = KFT__DEMUX_INIT;

		memset(&s, 0, sizeof(s));
		for (k = 0; k < in.len; k++)
			ck_assert_int_eq(kft__demux_feed(&d, in.ptr + k, 1, collect, &s), 0);
		ck_assert_str_eq(s.out[2].ptr, "oops\n");
		ck_assert_uint_eq(s.out[1].len, 12 + strlen(big));
		for (k = 0; k < 3; k++)
			kft__buf_free(&s.out[k]);
	}
	kft__buf_free(&in);
}
END_TEST

START_TEST(demux_raw_stream)
{
	sink s;
	kft__demux d = KFT__DEMUX_INIT;

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(kft__demux_feed(&d, "plain tty output\n", 17, collect, &s), 0);
	ck_assert_int_eq(kft__demux_feed(&d, "\001more", 5, collect, &s), 0);
	ck_assert_uint_eq(s.out[0].len, 22);
	ck_assert(!memcmp(s.out[0].ptr, "plain tty output\n\001more", 22));
	kft__buf_free(&s.out[0]);
}
END_TEST

static int stop_at_two(const char *data, size_t len, int fd, void *payload)
{
	int *n = payload;

	(void)data; (void)len; (void)fd;
	return ++*n == 2 ? 42 : 0;
}

START_TEST(demux_callback_stops)
{
	kft__buf in = KFT__BUF_INIT;
	kft__demux d = KFT__DEMUX_INIT;
	int n = 0;

	frame(&in, 1, "a\n");
	frame(&in, 1, "b\n");
	frame(&in, 1, "c\n");
	ck_assert_int_eq(kft__demux_feed(&d, in.ptr, in.len, stop_at_two, &n), 42);
	ck_assert_int_eq(n, 2);
	kft__buf_free(&in);
}
END_TEST

/* ---- quantities ---- */

START_TEST(quantities)
{
	int64_t v;

	ck_assert_kft_ok(kft__quantity_parse(&v, "500m", 1e9, "cpu"));
	ck_assert_int_eq(v, 500000000);
	ck_assert_kft_ok(kft__quantity_parse(&v, "2", 1e9, "cpu"));
	ck_assert_int_eq(v, 2000000000);
	ck_assert_kft_ok(kft__quantity_parse(&v, "1.5", 1e9, "cpu"));
	ck_assert_int_eq(v, 1500000000);
	ck_assert_kft_ok(kft__quantity_parse(&v, "64Mi", 1, "memory"));
	ck_assert_int_eq(v, 64 * 1048576);
	ck_assert_kft_ok(kft__quantity_parse(&v, "1.5Gi", 1, "memory"));
	ck_assert_int_eq(v, 1610612736);
	ck_assert_kft_ok(kft__quantity_parse(&v, "128M", 1, "memory"));
	ck_assert_int_eq(v, 128000000);
	ck_assert_kft_ok(kft__quantity_parse(&v, "1e3", 1, "memory"));
	ck_assert_int_eq(v, 1000);
	ck_assert_kft_ok(kft__quantity_parse(&v, "1E", 1, "memory"));
	ck_assert_int_eq(v, 1000000000000000000LL);
	ck_assert_kft_error(kft__quantity_parse(&v, "-1", 1, "limits.memory"), KFT_EINVALID,
	                    "limits.memory");
	ck_assert_kft_error(kft__quantity_parse(&v, "12XB", 1, "m"), KFT_EINVALID, "\"12XB\"");
	ck_assert_kft_error(kft__quantity_parse(&v, "", 1, "m"), KFT_EINVALID, "not a valid");
	ck_assert_kft_error(kft__quantity_parse(&v, "0x10", 1, "m"), KFT_EINVALID, "not a valid");
	ck_assert_kft_error(kft__quantity_parse(&v, "inf", 1, "m"), KFT_EINVALID, "not a valid");
	ck_assert_kft_error(kft__quantity_parse(&v, "99E", 1, "m"), KFT_EINVALID, "not a valid");
}
END_TEST

START_TEST(times)
{
	ck_assert_int_eq(kft__time_rfc3339_ms("2026-11-29T09:03:13.063631103Z"), 1795942993063LL);
	ck_assert_int_eq(kft__time_rfc3339_ms("2026-11-29T10:03:13.5+01:00"), 1795942993500LL);
	ck_assert_int_eq(kft__time_rfc3339_ms("2026-11-29T09:03:13Z"), 1795942993000LL);
	ck_assert_int_eq(kft__time_rfc3339_ms("0001-01-01T00:00:00Z"), 0);
	ck_assert_int_eq(kft__time_rfc3339_ms("garbage"), 0);
	ck_assert_int_eq(kft__time_rfc3339_ms(NULL), 0);
}
END_TEST

/* ---- create bodies ---- */

static cJSON *step_json(const char *text)
{
	cJSON *j = cJSON_Parse(text);

	ck_assert_ptr_nonnull(j);
	return j;
}

static body_ctx ctx_for(const char *network, int podman)
{
	body_ctx c;

	memset(&c, 0, sizeof(c));
	c.job = "j1";
	c.runtime = "torch-distributed";
	c.steps = "node-0,node-1";
	c.jobdir = "/st/container/j1";
	c.workspace = "/st/container/j1/workspace";
	c.network = network;
	c.created = "1700000000000";
	c.nodes = "2";
	c.podman = podman;
	return c;
}

START_TEST(body_host_mode)
{
	cJSON *st = step_json("{\"name\":\"node-1\",\"role\":\"node\",\"rank\":1,"
	                      "\"argv\":[\"torchrun\",\"--nnodes=2\",\"train.py\"],"
	                      "\"env\":{\"PET_NNODES\":\"2\",\"A\":\"x=y\"},\"cwd\":\"/workspace\","
	                      "\"image\":\"localhost/kft-busybox:1\","
	                      "\"resources\":{\"limits\":{\"cpu\":\"500m\",\"memory\":\"64Mi\","
	                      "\"nvidia.com/gpu\":\"2\"},\"requests\":{\"cpu\":\"250m\","
	                      "\"memory\":\"32Mi\"}},\"mounts\":[{\"type\":\"bind\",\"source\":"
	                      "\"/srv/d\",\"target\":\"/data\",\"readOnly\":true},{\"type\":\"tmpfs\","
	                      "\"target\":\"/dev/shm\"},{\"type\":\"volume\",\"target\":\"/s\"},"
	                      "{\"type\":\"ssh-auth\",\"target\":\"/root/.ssh\",\"readOnly\":true}]}");
	body_ctx c = ctx_for("host", 0);
	cJSON *b = NULL;
	const cJSON *hc, *dr;
	char *txt;

	setenv("KFT_CONTAINER_MOUNTS", "/usr:/usr:ro,/etc/alternatives:/etc/alternatives:ro", 1);
	ck_assert_kft_ok(kft__container_body(&b, &c, st));
	unsetenv("KFT_CONTAINER_MOUNTS");
	txt = cJSON_PrintUnformatted(b);
	ck_assert_str_eq(kft__json_str(b, "Image"), "localhost/kft-busybox:1");
	ck_assert_str_eq(kft__json_str(kft__json_get(b, "Labels"),
	                               "trainer.kubeflow.org/trainjob-name"), "j1");
	ck_assert_str_eq(kft__json_str(kft__json_get(b, "Labels"), "trainer.kubeflow.org/step"),
	                 "node-1");
	ck_assert_str_eq(kft__json_str(kft__json_get(b, "Labels"), "trainer.kubeflow.org/runtime"),
	                 "torch-distributed");
	ck_assert_ptr_nonnull(strstr(txt, "\"Entrypoint\":[\"torchrun\"],\"Cmd\":[\"--nnodes=2\","
	                                  "\"train.py\"]"));
	ck_assert_ptr_nonnull(strstr(txt, "\"Env\":[\"PET_NNODES=2\",\"A=x=y\"]"));
	ck_assert_str_eq(kft__json_str(b, "WorkingDir"), "/workspace");
	hc = kft__json_get(b, "HostConfig");
	ck_assert_str_eq(kft__json_str(hc, "NetworkMode"), "host");
	ck_assert_ptr_nonnull(strstr(txt, "\"Binds\":[\"/st/container/j1/workspace:/workspace:rw\","
	                                  "\"/srv/d:/data:ro\",\"/st/container/j1/ssh:/root/.ssh:ro\","
	                                  "\"/usr:/usr:ro\","
	                                  "\"/etc/alternatives:/etc/alternatives:ro\"]"));
	ck_assert_int_eq((int64_t)kft__json_get(hc, "NanoCpus")->valuedouble, 500000000);
	ck_assert_int_eq((int64_t)kft__json_get(hc, "Memory")->valuedouble, 67108864);
	ck_assert_int_eq((int64_t)kft__json_get(hc, "MemorySwap")->valuedouble, 67108864);
	/* requests as the kubelet maps them: cpu shares, a memory soft limit */
	ck_assert_int_eq((int64_t)kft__json_get(hc, "CpuShares")->valuedouble, 256);
	ck_assert_int_eq((int64_t)kft__json_get(hc, "MemoryReservation")->valuedouble, 33554432);
	dr = cJSON_GetArrayItem(kft__json_get(hc, "DeviceRequests"), 0);
	ck_assert_str_eq(kft__json_str(dr, "Driver"), "nvidia");
	ck_assert_int_eq((int)kft__json_get(dr, "Count")->valuedouble, 2);
	ck_assert_ptr_null(kft__json_get(b, "NetworkingConfig"));
	ck_assert_ptr_nonnull(strstr(txt, "\"Mounts\":[{\"Target\":\"/dev/shm\",\"Type\":\"tmpfs\","
	                                  "\"ReadOnly\":false},{\"Target\":\"/s\",\"Type\":\"volume\""));
	cJSON_free(txt);
	cJSON_Delete(b);
	cJSON_Delete(st);
}
END_TEST

START_TEST(body_bridge_podman)
{
	cJSON *st = step_json("{\"name\":\"node-0\",\"argv\":[\"python3\"],\"image\":\"img\","
	                      "\"resources\":{\"limits\":{\"nvidia.com/gpu\":\"2\"}}}");
	cJSON *files = cJSON_Parse("[{\"path\":\"/etc/mpi/hostfile\",\"content\":\"x\"},"
	                           "{\"path\":\"/workspace/.kft/a\",\"content\":\"y\"}]");
	body_ctx c = ctx_for("j1-net", 1);
	cJSON *b = NULL;
	char *txt;

	c.files = files;
	c.deadline = "60";
	ck_assert_kft_ok(kft__container_body(&b, &c, st));
	txt = cJSON_PrintUnformatted(b);
	ck_assert_str_eq(kft__json_str(kft__json_get(b, "HostConfig"), "NetworkMode"), "j1-net");
	ck_assert_ptr_nonnull(strstr(txt, "\"EndpointsConfig\":{\"j1-net\":{\"Aliases\":"
	                                  "[\"j1-node-0\"]}}"));
	ck_assert_ptr_nonnull(strstr(txt, "\"PathOnHost\":\"nvidia.com/gpu=1\""));
	ck_assert_ptr_null(strstr(txt, "DeviceRequests"));
	ck_assert_ptr_null(strstr(txt, "CpuShares"));   /* no requests, no shares */
	/* a plan file outside /workspace is mounted read-only from the job dir */
	ck_assert_ptr_nonnull(strstr(txt, "\"/st/container/j1/files/etc/mpi/hostfile:"
	                                  "/etc/mpi/hostfile:ro\""));
	ck_assert_ptr_null(strstr(txt, ".kft/a"));
	ck_assert_str_eq(kft__json_str(kft__json_get(b, "Labels"),
	                               "kftrainer.dev/active-deadline-seconds"), "60");
	cJSON_free(txt);
	cJSON_Delete(b);
	cJSON_Delete(st);
	cJSON_Delete(files);
}
END_TEST

START_TEST(body_bad_input)
{
	cJSON *st = step_json("{\"name\":\"node-0\",\"argv\":[\"x\"],\"image\":\"img\","
	                      "\"resources\":{\"limits\":{\"memory\":\"lots\"}}}");
	cJSON *noimg = step_json("{\"name\":\"node-0\",\"argv\":[\"x\"]}");
	cJSON *badmount = step_json("{\"name\":\"node-0\",\"argv\":[\"x\"],\"image\":\"img\","
	                            "\"mounts\":[{\"type\":\"bind\",\"source\":\"/a:b\","
	                            "\"target\":\"/d\",\"volume\":\"v\"}]}");
	cJSON *badreq = step_json("{\"name\":\"node-0\",\"argv\":[\"x\"],\"image\":\"img\","
	                          "\"resources\":{\"requests\":{\"cpu\":\"-1\"}}}");
	body_ctx c = ctx_for("host", 0);
	cJSON *b = NULL;

	ck_assert_kft_error(kft__container_body(&b, &c, st), KFT_EINVALID,
	                    "steps[node-0].resources.limits.memory");
	ck_assert_ptr_null(b);
	ck_assert_kft_error(kft__container_body(&b, &c, noimg), KFT_EINVALID, "image");
	ck_assert_kft_error(kft__container_body(&b, &c, badreq), KFT_EINVALID,
	                    "steps[node-0].resources.requests.cpu");
	ck_assert_kft_error(kft__container_body(&b, &c, badmount), KFT_EINVALID, "volume v");
	cJSON_Delete(badmount);
	cJSON_Delete(badreq);
	cJSON_Delete(st);
	cJSON_Delete(noimg);
}
END_TEST

/* ---- discovery against real sockets ---- */

static char tmpdir[64];

static void mk_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kftc.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	chmod(tmpdir, 0755);
}

/*
 * The Engine's error bodies: its words and the request, and only not found,
 * exists and auth told apart - a refused create (500, 400) is the operation's
 * failure, not a busy engine to retry (kft-container-step retries on
 * KFT_EUNAVAILABLE).
 */
static int eng_error(long status, const char *body, const char *method, const char *what)
{
	return kft__engine_status_error(status, body, strlen(body), method, what);
}

START_TEST(engine_error_bodies)
{
	static const char conflict[] = "{\"message\":\"Conflict. The container name \\\"/a\\\" "
	                               "is already in use\\u001b[2J\"}";

	ck_assert_kft_error(eng_error(404, "{\"message\":\"No such container: a\"}", "GET",
	                              "/containers/a/json"), KFT_ENOTFOUND,
	                    "No such container: a (HTTP 404 from GET /containers/a/json)");
	ck_assert_int_eq(kft_error_last()->http_status, 404);
	ck_assert_int_eq(kft_error_last()->klass, KFT_ERROR_CLASS_CONTAINER);
	ck_assert_kft_error(eng_error(500, conflict, "POST", "/containers/create?name=a"),
	                    KFT_EEXISTS, "is already in use?[2J (HTTP 500 from POST");
	ck_assert_kft_error(eng_error(500, "{\"message\":\"OCI runtime create failed\"}", "POST",
	                              "/containers/a/start"), KFT_ERROR,
	                    "OCI runtime create failed (HTTP 500");
	ck_assert_kft_error(eng_error(400, "{\"message\":\"invalid mount\"}", "POST",
	                              "/containers/create"), KFT_ERROR, "invalid mount");
	ck_assert_kft_error(eng_error(503, "", "GET", "/info"), KFT_ERROR,
	                    "HTTP 503 from GET /info");
	ck_assert_kft_error(eng_error(403, "denied\n", "GET", "/info"), KFT_EAUTH,
	                    "HTTP 403 from GET /info: denied ");
}
END_TEST

START_TEST(discover_candidates)
{
	kft__strv v = KFT__STRV_INIT;

	unsetenv("DOCKER_HOST");
	unsetenv("CONTAINER_HOST");
	setenv("XDG_RUNTIME_DIR", "/run/user/1234", 1);
	ck_assert_kft_ok(kft__engine_candidates(&v, NULL));
	ck_assert_uint_eq(v.n, 3);
	ck_assert_str_eq(v.v[0], "/var/run/docker.sock");
	ck_assert_str_eq(v.v[1], "/run/user/1234/podman/podman.sock");
	ck_assert_str_eq(v.v[2], "/run/podman/podman.sock");
	kft__strv_free(&v);
	setenv("DOCKER_HOST", "unix:///a.sock", 1);
	setenv("CONTAINER_HOST", "unix:///b.sock", 1);
	ck_assert_kft_ok(kft__engine_candidates(&v, NULL));
	ck_assert_uint_eq(v.n, 2);
	ck_assert_str_eq(v.v[0], "unix:///a.sock");
	ck_assert_str_eq(v.v[1], "unix:///b.sock");
	kft__strv_free(&v);
	ck_assert_kft_ok(kft__engine_candidates(&v, "/explicit.sock"));
	ck_assert_uint_eq(v.n, 1);
	kft__strv_free(&v);
}
END_TEST

START_TEST(discover_none_answers)
{
	char missing[128], refused[128], silent[128], notsock[128], cands[700];
	kft__engine *e = NULL;
	int fd1, fd2, fd3;
	int64_t t0;

	mk_tmpdir();
	snprintf(missing, sizeof(missing), "%s/missing.sock", tmpdir);
	snprintf(refused, sizeof(refused), "%s/refused.sock", tmpdir);
	snprintf(silent, sizeof(silent), "%s/silent.sock", tmpdir);
	snprintf(notsock, sizeof(notsock), "%s/file", tmpdir);
	fd1 = unix_socket_at(refused, 0);   /* bound, never listening: refuses */
	fd2 = unix_socket_at(silent, 1);    /* listening, never answering */
	fd3 = open(notsock, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	setenv("DOCKER_HOST", "tcp://127.0.0.1:2375", 1);
	snprintf(cands, sizeof(cands), "unix://%s", missing);
	ck_assert_kft_error(kft__engine_open(&e, cands, 0), KFT_EUNAVAILABLE, "missing");
	ck_assert_ptr_null(e);
	ck_assert_kft_error(kft__engine_open(&e, refused, 0), KFT_EUNAVAILABLE,
	                    "connection refused");
	ck_assert_kft_error(kft__engine_open(&e, notsock, 0), KFT_EUNAVAILABLE, "not a socket");
	ck_assert_kft_error(kft__engine_open(&e, "tcp://127.0.0.1:1", 0), KFT_EUNAVAILABLE,
	                    "only unix://");
	t0 = kft__mono_ms();
	ck_assert_kft_error(kft__engine_open(&e, silent, 0), KFT_EUNAVAILABLE, "no answer");
	ck_assert_int_lt(kft__mono_ms() - t0, 5000);
	/* from the environment: every place tried, each with why */
	snprintf(cands, sizeof(cands), "unix://%s", missing);
	setenv("DOCKER_HOST", cands, 1);
	setenv("CONTAINER_HOST", refused, 1);
	ck_assert_kft_error(kft__engine_open(&e, NULL, 0), KFT_EUNAVAILABLE, "tried:");
	ck_assert_ptr_nonnull(strstr(kft_error_last()->message, "missing.sock (missing)"));
	ck_assert_ptr_nonnull(strstr(kft_error_last()->message,
	                             "refused.sock (connection refused"));
	unsetenv("DOCKER_HOST");
	unsetenv("CONTAINER_HOST");
	close(fd1);
	close(fd2);
	close(fd3);
	unlink(refused);
	unlink(silent);
	unlink(notsock);
	rmdir(tmpdir);
}
END_TEST

/* A socket we may not open: as root, a child drops to nobody (works under CK_FORK=no too). */
START_TEST(discover_permission_denied)
{
	char path[128];
	kft__engine *e = NULL;
	int fd, st = 0;
	pid_t pid;

	mk_tmpdir();
	snprintf(path, sizeof(path), "%s/denied.sock", tmpdir);
	fd = unix_socket_at(path, 1);
	ck_assert_int_eq(chmod(path, 0), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int rc;

		if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
			_exit(2);
		rc = kft__engine_open(&e, path, 0);
		if (rc != KFT_EUNAVAILABLE)
			_exit(3);
		if (!strstr(kft_error_last()->message, "permission denied") ||
		    !strstr(kft_error_last()->message, path)) {
			fprintf(stderr, "message: %s\n", kft_error_last()->message);
			_exit(4);
		}
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
	close(fd);
	unlink(path);
	rmdir(tmpdir);
}
END_TEST

/* A fake engine: a child that answers every request on path with one canned response. */
static pid_t fake_engine(int *lfd, const char *path, const char *headers, const char *body)
{
	pid_t pid;

	*lfd = unix_socket_at(path, 1);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		for (;;) {
			char req[4096], resp[2048];
			int c = accept(*lfd, NULL, NULL);
			ssize_t r;

			if (c < 0)
				_exit(0);
			while ((r = read(c, req, sizeof(req))) > 0) {
				int n = snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\n%s"
				                 "Content-Length: %zu\r\n\r\n%s", headers, strlen(body),
				                 body);

				if (write(c, resp, (size_t)n) != n)
					break;
			}
			close(c);
		}
	}
	return pid;
}

static void fake_stop(pid_t pid, int lfd, const char *path)
{
	int st;

	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	close(lfd);
	unlink(path);
}

START_TEST(negotiate_versions)
{
	char path[128];
	kft__engine *e = NULL;
	pid_t pid;
	int lfd;

	mk_tmpdir();
	snprintf(path, sizeof(path), "%s/fake.sock", tmpdir);
	/* a newer engine: we speak 1.41 to it; Libpod in Server means podman */
	pid = fake_engine(&lfd, path, "Api-Version: 1.52\r\nServer: Libpod/9.9.9 (linux)\r\n", "OK");
	ck_assert_kft_ok(kft__engine_open(&e, path, 0));
	ck_assert_str_eq(kft__engine_api(e), "1.41");
	ck_assert_int_eq(kft__engine_is_podman(e), 1);
	ck_assert_str_eq(kft__engine_version(e), "9.9.9");
	kft__engine_free(e);
	fake_stop(pid, lfd, path);
	/* an older one: its own version */
	pid = fake_engine(&lfd, path, "Api-Version: 1.30\r\nServer: Docker/17.06 (linux)\r\n", "OK");
	ck_assert_kft_ok(kft__engine_open(&e, path, 0));
	ck_assert_str_eq(kft__engine_api(e), "1.30");
	ck_assert_str_eq(kft__engine_name(e), "docker");
	kft__engine_free(e);
	fake_stop(pid, lfd, path);
	/* too old */
	pid = fake_engine(&lfd, path, "Api-Version: 1.12\r\n", "OK");
	ck_assert_kft_error(kft__engine_open(&e, path, 0), KFT_EVERSION, "at least 1.24");
	fake_stop(pid, lfd, path);
	/* no header: GET /version decides */
	pid = fake_engine(&lfd, path, "", "{\"ApiVersion\":\"1.40\",\"Version\":\"19.03\"}");
	ck_assert_kft_ok(kft__engine_open(&e, path, 0));
	ck_assert_str_eq(kft__engine_api(e), "1.40");
	ck_assert_str_eq(kft__engine_version(e), "19.03");
	kft__engine_free(e);
	fake_stop(pid, lfd, path);
	rmdir(tmpdir);
}
END_TEST

/*
 * An engine that answers _ping (with no API version: GET /version decides) and
 * then streams a /version answer of 1 GiB: refused past 64 MiB, with an
 * error naming the limit, and the client never holds much more than that.
 */
static pid_t oversize_engine(int *lfd, const char *path, size_t size)
{
	pid_t pid;

	*lfd = unix_socket_at(path, 1);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		static char piece[1 << 16];

		memset(piece, 'x', sizeof(piece));
		for (;;) {
			char req[4096], hdr[256];
			int c = accept(*lfd, NULL, NULL), n;
			ssize_t r;

			if (c < 0)
				_exit(0);
			while ((r = read(c, req, sizeof(req) - 1)) > 0) {
				size_t left = size;

				req[r] = '\0';
				if (strstr(req, "/_ping")) {
					n = snprintf(hdr, sizeof(hdr), "HTTP/1.1 200 OK\r\n"
					             "Content-Length: 2\r\n\r\nOK");
					if (send(c, hdr, (size_t)n, MSG_NOSIGNAL) != n)
						break;
					continue;
				}
				n = snprintf(hdr, sizeof(hdr), "HTTP/1.1 200 OK\r\nContent-Type: "
				             "application/json\r\nContent-Length: %zu\r\n\r\n", size);
				if (send(c, hdr, (size_t)n, MSG_NOSIGNAL) != n)
					break;
				while (left > 0) {
					size_t k = left < sizeof(piece) ? left : sizeof(piece);

					if ((r = send(c, piece, k, MSG_NOSIGNAL)) <= 0)
						break;
					left -= (size_t)r;
				}
				break;
			}
			close(c);
		}
	}
	return pid;
}

START_TEST(engine_answer_limit)
{
	char path[128];
	kft__engine *e = NULL;
	long before;
	pid_t pid;
	int lfd;

	mk_tmpdir();
	snprintf(path, sizeof(path), "%s/big.sock", tmpdir);
	pid = oversize_engine(&lfd, path, (size_t)1 << 30);
	before = test_rss_now_kib();
	ck_assert_kft_error(kft__engine_open(&e, path, 0), KFT_ERROR,
	                    "GET /version: the container engine at ");
	ck_assert_ptr_nonnull(strstr(kft_error_last()->message,
	                             "big.sock sent a response of more than 64 MiB"));
	ck_assert_ptr_null(e);
	ck_assert_msg(test_rss_max_kib() - before < 640 * 1024, "grew by %ld KiB",
	              test_rss_max_kib() - before);
	fake_stop(pid, lfd, path);
	rmdir(tmpdir);
}
END_TEST

/* ---- with a real engine (tests/t_container.sh) ---- */

static kft__engine *eng;

static void eng_setup(void)
{
	ck_assert_kft_ok(kft__engine_open(&eng, getenv("KFT_TEST_DOCKER_HOST"), 0));
}

static void eng_teardown(void)
{
	kft__engine_free(eng);
	eng = NULL;
}

START_TEST(engine_version_and_images)
{
	int minor = atoi(strchr(kft__engine_api(eng), '.') + 1);

	ck_assert_int_ge(minor, 24);
	ck_assert_int_le(minor, 41);
	ck_assert_kft_ok(kft__engine_ping(eng));
	{   /* the kept-alive engine connection is close-on-exec (libcurl 7.88's own
	     * wakeup socketpair is not ours to flag: only sockets peered with the engine) */
		int fd, sockets = 0;

		for (fd = 3; fd < 256; fd++) {
			struct sockaddr_un a;
			socklen_t alen = sizeof(a);

			memset(&a, 0, sizeof(a));
			if (getpeername(fd, (struct sockaddr *)&a, &alen) == 0 && a.sun_family == AF_UNIX &&
			    !strcmp(a.sun_path, kft__engine_socket(eng))) {
				sockets++;
				ck_assert_msg(fcntl(fd, F_GETFD) & FD_CLOEXEC, "socket fd %d lacks CLOEXEC", fd);
			}
		}
		ck_assert_int_ge(sockets, 1);
	}
	ck_assert_kft_ok(kft__engine_image_exists(eng, "localhost/kft-busybox:1"));
	ck_assert_kft_ok(kft__engine_image_ensure(eng, "localhost/kft-busybox:1", "Never"));
	ck_assert_kft_ok(kft__engine_image_ensure(eng, "localhost/kft-busybox:1", NULL));
	ck_assert_kft_error(kft__engine_image_ensure(eng, "localhost/kft-nope:1", "Never"),
	                    KFT_ENOTFOUND, "pull policy is Never");
	ck_assert_kft_error(kft__engine_image_ensure(eng, "x", "Sometimes"), KFT_EINVALID,
	                    "IfNotPresent, Always or Never");
	/* Always pulls: "localhost/..." names a registry on 127.0.0.1, where none runs */
	ck_assert_int_lt(kft__engine_image_ensure(eng, "localhost/kft-nope:1", "Always"), 0);
	ck_assert_ptr_nonnull(strstr(kft_error_last()->message, "localhost/kft-nope"));
}
END_TEST

static int count_lines(const char *s, size_t n)
{
	int c = 0;
	size_t i;

	for (i = 0; i < n; i++)
		c += s[i] == '\n';
	return c;
}

START_TEST(engine_container_cycle)
{
	cJSON *body = cJSON_Parse("{\"Image\":\"localhost/kft-busybox:1\",\"Entrypoint\":[\"sh\"],"
	                          "\"Cmd\":[\"-c\",\"seq 1 20000; echo to-stderr >&2; exit 3\"],"
	                          "\"Labels\":{\"kft-test\":\"cycle\"},"
	                          "\"HostConfig\":{\"NetworkMode\":\"none\"}}");
	char *id = NULL, *id2 = NULL, name[64];
	cJSON *insp = NULL, *list = NULL;
	kft__engine_stream *s = NULL;
	sink out;
	int code;

	memset(&out, 0, sizeof(out));
	snprintf(name, sizeof(name), "kft-cycle-%d", (int)getpid());
	ck_assert_kft_ok(kft__engine_container_create(&id, eng, name, body));
	/* the same name again: a clear EEXISTS naming it */
	ck_assert_kft_error(kft__engine_container_create(&id2, eng, name, body), KFT_EEXISTS, name);
	ck_assert_ptr_nonnull(strstr(kft_error_last()->message, "already in use"));
	ck_assert_kft_ok(kft__engine_container_start(eng, id));
	ck_assert_kft_ok(kft__engine_container_wait(&code, eng, id));
	ck_assert_int_eq(code, 3);
	ck_assert_kft_ok(kft__engine_container_inspect(&insp, eng, id));
	ck_assert_int_eq((int)kft__json_get(kft__json_get(insp, "State"), "ExitCode")->valuedouble, 3);
	ck_assert_kft_ok(kft__engine_container_list(&list, eng, "kft-test=cycle"));
	ck_assert_int_eq(cJSON_GetArraySize(list), 1);
	/* logs: 20000 lines through the demultiplexer, stderr apart */
	{
		char path[256];

		snprintf(path, sizeof(path), "/containers/%s/logs?stdout=1&stderr=1", id);
		ck_assert_kft_ok(kft__engine_stream_new(&s, eng, path, 1, collect, &out));
		ck_assert_int_eq(kft__engine_streams_run(eng, &s, 1, 1000, NULL, NULL), 0);
		ck_assert_int_eq(kft__engine_stream_done(s), 1);
		ck_assert_int_eq(count_lines(out.out[1].ptr, out.out[1].len), 20000);
		ck_assert(!strncmp(out.out[1].ptr, "1\n2\n3\n", 6));
		ck_assert(!strcmp(out.out[1].ptr + out.out[1].len - 6, "20000\n"));
		ck_assert_str_eq(out.out[2].ptr, "to-stderr\n");
	}
	ck_assert_kft_ok(kft__engine_container_stop(eng, id, 0));   /* stopped: not an error */
	ck_assert_kft_ok(kft__engine_container_remove(eng, id));
	ck_assert_kft_ok(kft__engine_container_remove(eng, id));    /* gone: not an error */
	cJSON_Delete(insp);
	ck_assert_kft_error(kft__engine_container_inspect(&insp, eng, "kft-no-such"),
	                    KFT_ENOTFOUND, "kft-no-such");
	kft__engine_stream_free(s);
	kft__buf_free(&out.out[1]);
	kft__buf_free(&out.out[2]);
	cJSON_Delete(insp);
	cJSON_Delete(list);
	cJSON_Delete(body);
	free(id);
}
END_TEST

START_TEST(engine_networks)
{
	cJSON *labels = cJSON_Parse("{\"kft-test\":\"net\"}"), *list = NULL;
	char name[64];

	snprintf(name, sizeof(name), "kft-net-%d", (int)getpid());
	ck_assert_kft_ok(kft__engine_network_create(NULL, eng, name, labels, 1));
	ck_assert_kft_ok(kft__engine_network_list(&list, eng, "kft-test=net"));
	ck_assert_int_eq(cJSON_GetArraySize(list), 1);
	ck_assert(cJSON_IsTrue(kft__json_get(cJSON_GetArrayItem(list, 0), "Internal")));
	ck_assert_kft_ok(kft__engine_network_remove(eng, name));
	ck_assert_kft_ok(kft__engine_network_remove(eng, name));
	cJSON_Delete(list);
	cJSON_Delete(labels);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("container");
	TCase *t = tcase_create("pure");

	tcase_add_test(t, engine_error_bodies);
	tcase_add_test(t, demux_split_everywhere);
	tcase_add_test(t, demux_raw_stream);
	tcase_add_test(t, demux_callback_stops);
	tcase_add_test(t, quantities);
	tcase_add_test(t, times);
	tcase_add_test(t, body_host_mode);
	tcase_add_test(t, body_bridge_podman);
	tcase_add_test(t, body_bad_input);
	suite_add_tcase(s, t);
	t = tcase_create("discovery");
	tcase_set_timeout(t, 30);
	tcase_add_test(t, discover_candidates);
	tcase_add_test(t, discover_none_answers);
	tcase_add_test(t, discover_permission_denied);
	tcase_add_test(t, engine_answer_limit);
	tcase_add_test(t, negotiate_versions);
	suite_add_tcase(s, t);
	if (getenv("KFT_TEST_DOCKER_HOST")) {
		t = tcase_create("engine");
		tcase_set_timeout(t, 120);
		tcase_add_checked_fixture(t, eng_setup, eng_teardown);
		tcase_add_test(t, engine_version_and_images);
		tcase_add_test(t, engine_container_cycle);
		tcase_add_test(t, engine_networks);
		suite_add_tcase(s, t);
	}
	return s;
}

KFT_TEST_MAIN(make_suite)
