/*
 * The supervisor's side of the progress protocol: start the job's
 * kft-progress-server (backends/runner/progress_main.c), hand every step
 * KUBEFLOW_TRAINER_SERVER_URL / _CA_CERT / _TOKEN, stop the server at the end.
 * The server's stdin is a pipe whose write end only the supervisor holds
 * (close-on-exec), so the server also ends when the supervisor dies.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "progress.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define START_TIMEOUT_MS 15000

char *kft__sibling_program(const char *env_var, const char *name)
{
	const char *env = getenv(env_var);
	char exe[PATH_MAX], *slash;
	ssize_t n;

	if (env && *env)
		return kft__strdup(env);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return kft__strdup(name);
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return kft__strdup(name);
	*slash = '\0';
	return kft__path_join(exe, name);
}

/* Read "PORT\n" from fd within the timeout. */
static int read_port(int fd, unsigned *port)
{
	char buf[32];
	size_t len = 0;
	int64_t until = kft__mono_ms() + START_TIMEOUT_MS;

	while (len < sizeof(buf) - 1) {
		struct pollfd p = { fd, POLLIN, 0 };
		int64_t left = until - kft__mono_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return -1;
		if ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		if (strchr(buf, '\n'))
			break;
	}
	*port = (unsigned)strtoul(buf, NULL, 10);
	return *port > 0 && *port < 65536 ? 0 : -1;
}

char *kft__progress_spare_dir(const char *jobdir)
{
	const char *slash = strrchr(jobdir, '/');
	size_t n = slash ? (size_t)(slash - jobdir) : 0;
	kft__buf b = KFT__BUF_INIT;

	if (n < 5 || strncmp(slash - 5, "/jobs", 5))
		return NULL;
	kft__buf_printf(&b, "%.*s/progress-spare", (int)(n - 5), jobdir);
	return kft__buf_detach(&b);
}

void kft__progress_spare_slot(char *buf, size_t size, const char *spare, int i)
{
	if (i == 0)
		snprintf(buf, size, "%s/set", spare);
	else
		snprintf(buf, size, "%s/set.%d", spare, i);
}

/* The job's credentials on disk: an earlier run's, or a spare set, claimed by a rename. */
static int have_credentials(const char *jobdir)
{
	char path[PATH_MAX], claim[PATH_MAX], from[PATH_MAX + 16], to[PATH_MAX];
	char *spare;
	int ok, i, claimed = 0;

	snprintf(path, sizeof(path), "%s/trainer/token", jobdir);
	if (access(path, R_OK) == 0)
		return 1;
	if (!(spare = kft__progress_spare_dir(jobdir)))
		return 0;
	snprintf(claim, sizeof(claim), "%s/.spare", jobdir);
	for (i = 0; i < KFT__PROGRESS_SPARES && !claimed; i++) {
		kft__progress_spare_slot(from, sizeof(from), spare, i);
		claimed = rename(from, claim) == 0;
	}
	free(spare);
	if (!claimed)
		return 0;   /* none (other jobs took them): the server makes the set */
	snprintf(from, sizeof(from), "%s/trainer", claim);
	snprintf(to, sizeof(to), "%s/trainer", jobdir);
	ok = rename(from, to) == 0;
	snprintf(from, sizeof(from), "%s/progress.pem", claim);
	snprintf(to, sizeof(to), "%s/progress.pem", jobdir);
	ok = ok && rename(from, to) == 0;
	if (kft__remove_tree(claim) < 0)
		kft_error_clear();
	return ok;   /* half a set: the server makes a new one */
}

static int listen_loopback(unsigned *port)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) < 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

int kft__progress_server_prebind(kft__progress_server *ps, const char *jobdir, int allowed)
{
	memset(ps, 0, sizeof(*ps));
	ps->in_fd = ps->port_fd = ps->lfd = -1;
	if (!allowed || !have_credentials(jobdir))
		return 0;
	if ((ps->lfd = listen_loopback(&ps->port)) < 0) {
		ps->port = 0;
		return 0;
	}
	return 1;
}

int kft__progress_server_spawn(kft__progress_server *ps, const char *jobdir, const char *name,
                               const char *ns)
{
	char *prog = kft__sibling_program("KFT_PROGRESS_SERVER", "kft-progress-server");
	char fdarg[16];
	char *argv[] = { prog, (char *)jobdir, (char *)name, "--namespace", (char *)ns,
	                 NULL, NULL, NULL };
	kft__proc_opts o;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, error;

	if (!prog)
		return kft__error_oom();
	if (ps->lfd > 2) {
		snprintf(fdarg, sizeof(fdarg), "%d", ps->lfd);
		argv[5] = "--listen-fd";
		argv[6] = fdarg;
	}
	if (pipe2(in, O_CLOEXEC) < 0 || (!argv[5] && pipe2(out, O_CLOEXEC) < 0)) {
		error = kft__error_os(KFT_ERROR, "pipe");
		goto out;
	}
	memset(&o, 0, sizeof(o));
	o.file = prog;
	o.argv = argv;
	o.stdin_fd = in[0];
	o.stdout_fd = out[1];
	o.stderr_fd = 2;   /* the supervisor's log */
	if (argv[5]) {
		o.keep_fds = &ps->lfd;
		o.nkeep_fds = 1;
	}
	if ((error = kft__proc_spawn(&ps->pid, &o)) < 0)
		goto out;
	ps->in_fd = in[1];
	in[1] = -1;
	ps->port_fd = out[0];   /* -1 with a handed socket: its port is known (stdout: /dev/null) */
	out[0] = -1;
out:
	if (ps->lfd >= 0)
		close(ps->lfd);   /* the server's only: if it dies, connections are refused */
	ps->lfd = -1;
	kft__close_pair(in);
	kft__close_pair(out);
	free(prog);
	return error;
}

int kft__progress_server_ready(kft__progress_server *ps, const char *jobdir, const char *name,
                               const char *ns)
{
	unsigned port = ps->port;

	if (!port) {   /* the server binds: wait for its port */
		int rc;

		if (!ps->pid || ps->port_fd < 0)
			return kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_PROCESS,
			                      "kft-progress-server was not started");
		rc = read_port(ps->port_fd, &port);
		close(ps->port_fd);
		ps->port_fd = -1;
		if (rc < 0) {
			kft__kill(ps->pid, SIGKILL, 0);
			waitpid(ps->pid, NULL, 0);
			ps->pid = 0;
			close(ps->in_fd);
			ps->in_fd = -1;
			return kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_PROCESS,
			                      "kft-progress-server did not start (see supervisor.log)");
		}
	}
	ps->port = port;
	snprintf(ps->url, sizeof(ps->url), "https://127.0.0.1:%u/apis/trainer.kubeflow.org/v1alpha1/"
	         "namespaces/%s/trainjobs/%s/status", port, ns, name);
	snprintf(ps->ca, sizeof(ps->ca), "%s/trainer/ca.crt", jobdir);
	snprintf(ps->token, sizeof(ps->token), "%s/trainer/token", jobdir);
	return 0;
}

int kft__progress_server_env(const kft__progress_server *ps, kft__strv *env)
{
	int error;

	if (!ps->port)
		return 0;
	if ((error = kft__env_set(env, "KUBEFLOW_TRAINER_SERVER_URL", ps->url)) < 0 ||
	    (error = kft__env_set(env, "KUBEFLOW_TRAINER_SERVER_CA_CERT", ps->ca)) < 0)
		return error;
	return kft__env_set(env, "KUBEFLOW_TRAINER_SERVER_TOKEN", ps->token);
}

void kft__progress_server_stop(kft__progress_server *ps)
{
	if (ps->lfd >= 0)
		close(ps->lfd);   /* never handed over */
	ps->lfd = -1;
	ps->port = 0;
	if (!ps->pid)
		return;
	close(ps->in_fd);   /* end of file: the server stops */
	ps->in_fd = -1;
	if (kft__wait_exit(ps->pid, 2000) < 0) {
		kft__kill(ps->pid, SIGKILL, 0);
		waitpid(ps->pid, NULL, 0);
	}
	ps->pid = 0;
}
