/*
 * The one spawn helper: every child (supervisor, local steps, kubeconfig exec
 * plugins) starts here. A failed exec is reported through a close-on-exec
 * pipe, as libuv does, instead of surfacing later as exit code 127.
 * Between fork and exec only async-signal-safe calls are made.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

char *kft__which(const char *file)
{
	const char *path, *p;

	if (!file || !*file)
		return NULL;
	if (strchr(file, '/'))
		return access(file, X_OK) == 0 ? kft__strdup(file) : NULL;
	path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; ; ) {
		const char *colon = strchr(p, ':');
		size_t n = colon ? (size_t)(colon - p) : strlen(p);
		char *cand = kft__malloc(n + strlen(file) + 2);
		struct stat st;

		if (!cand)
			return NULL;
		if (n == 0)
			strcpy(cand, file);
		else {
			memcpy(cand, p, n);
			cand[n] = '/';
			strcpy(cand + n + 1, file);
		}
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
			return cand;
		free(cand);
		if (!colon)
			break;
		p = colon + 1;
	}
	return NULL;
}

/* Child side: report errno on the pipe and exit. */
static void child_fail(int fd, int stage)
{
	int msg[2];
	ssize_t r;

	msg[0] = stage;
	msg[1] = errno;
	r = write(fd, msg, sizeof(msg));
	(void)r;
	_exit(127);
}

static int move_fd(int from, int to, int errfd)
{
	if (from == to) {
		int fl = fcntl(to, F_GETFD);

		if (fl < 0 || fcntl(to, F_SETFD, fl & ~FD_CLOEXEC) < 0)
			child_fail(errfd, 1);
		return 0;
	}
	if (dup2(from, to) < 0)
		child_fail(errfd, 1);
	return 0;
}

int kft__proc_spawn(pid_t *out, const kft__proc_opts *o)
{
	int pipefd[2], devnull = -1, msg[2], status;
	char *path;
	pid_t pid;
	ssize_t n;
	size_t i;

	KFT_ASSERT_ARG(out && o && o->file && o->argv);
	*out = -1;
	if ((path = kft__which(o->file)) == NULL)
		return kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_PROCESS,
		                      "exec %s: No such file or directory (not found on PATH)", o->file);
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		free(path);
		return kft__error_os(KFT_ERROR, "pipe");
	}
	if ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		free(path);
		return kft__error_os(KFT_ERROR, "open /dev/null");
	}
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		close(devnull);
		free(path);
		return kft__error_os(KFT_ERROR, "fork");
	}
	if (pid == 0) {
		sigset_t all;
		int sig;

		/* Reset signal state inherited from the host (Python, Go...). */
		for (sig = 1; sig < NSIG; sig++)
			signal(sig, SIG_DFL);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		if (o->new_session && setsid() < 0)
			child_fail(pipefd[1], 2);
		if (!o->new_session && o->new_pgrp && setpgid(0, 0) < 0)
			child_fail(pipefd[1], 2);
		for (i = 0; i < o->nkeep_fds; i++)
			move_fd(o->keep_fds[i], o->keep_fds[i], pipefd[1]);
		/* stdio last, so keep_fds never clobber them */
		move_fd(o->stdin_fd >= 0 ? o->stdin_fd : devnull, 0, pipefd[1]);
		move_fd(o->stdout_fd >= 0 ? o->stdout_fd : devnull, 1, pipefd[1]);
		move_fd(o->stderr_fd >= 0 ? o->stderr_fd : devnull, 2, pipefd[1]);
		if (o->cwd && chdir(o->cwd) < 0)
			child_fail(pipefd[1], 3);
		execve(path, o->argv, o->env ? o->env : environ);
		child_fail(pipefd[1], 4);
	}
	close(pipefd[1]);
	close(devnull);
	do {
		n = read(pipefd[0], msg, sizeof(msg));
	} while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	if (n == (ssize_t)sizeof(msg)) {
		const char *stage = msg[0] == 1 ? "redirect" : msg[0] == 2 ? "setsid/setpgid" :
		                    msg[0] == 3 ? "chdir" : "exec";
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		errno = msg[1];
		if (msg[0] == 3)
			kft__error_os(KFT_ERROR, "%s %s (for %s)", stage, o->cwd, o->file);
		else
			kft__error_os(msg[1] == ENOENT ? KFT_ENOTFOUND : KFT_ERROR, "%s %s", stage, path);
		free(path);
		return msg[1] == ENOENT && msg[0] == 4 ? KFT_ENOTFOUND : KFT_ERROR;
	}
	free(path);
	*out = pid;
	return 0;
}
