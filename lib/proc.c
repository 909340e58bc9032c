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
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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

void kft__close_pair(int fd[2])
{
	int i;

	for (i = 0; i < 2; i++) {
		if (fd[i] >= 0)
			close(fd[i]);
		fd[i] = -1;
	}
}

int kft__wait_exit(pid_t pid, int64_t timeout_ms)
{
	int64_t until = kft__mono_ms() + timeout_ms;
	int pfd = -1;
	pid_t r;

	if (pid <= 0) {
		errno = EINVAL;
		return -1;
	}
#ifdef SYS_pidfd_open
	pfd = (int)syscall(SYS_pidfd_open, pid, 0);
#endif
	while ((r = waitpid(pid, NULL, WNOHANG)) == 0) {
		int64_t left = until - kft__mono_ms();

		if (left <= 0)
			break;
		if (pfd >= 0) {   /* readable when the child exits: no sleep */
			struct pollfd p = { pfd, POLLIN, 0 };

			poll(&p, 1, (int)left);
		} else {          /* a kernel before 5.3 */
			poll(NULL, 0, left < 10 ? (int)left : 10);
		}
	}
	if (pfd >= 0)
		close(pfd);
	return r == pid ? 0 : -1;
}

/*
 * posix_spawn (glibc: clone(CLONE_VM|CLONE_VFORK)) instead of fork: no
 * copy-on-write of a large host (Python, Go) and an exec failure comes back
 * as the return value. The working directory is checked first so that a bad
 * cwd and a failed exec get different messages.
 */
int kft__kill(pid_t pid, int sig, int group)
{
	if (pid <= 1) {
		errno = EINVAL;
		return -1;
	}
	return kill(group ? -pid : pid, sig);
}

int kft__proc_spawn(pid_t *out, const kft__proc_opts *o)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t all, none;
	short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
	int devnull, rc, error = 0;
	char *path;
	pid_t pid;
	size_t i;

	KFT_ASSERT_ARG(out && o && o->file && o->argv);
	*out = 0;   /* no process: never -1, which kill() reads as "every process" */
	if ((path = kft__which(o->file)) == NULL)
		return kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_PROCESS,
		                      "exec %s: No such file or directory (not found on PATH)", o->file);
	if (o->cwd) {
		struct stat st;

		if (stat(o->cwd, &st) < 0 || !S_ISDIR(st.st_mode) || access(o->cwd, X_OK) < 0) {
			if (errno == 0 || S_ISDIR(st.st_mode) == 0)
				errno = errno ? errno : ENOTDIR;
			error = kft__error_os(KFT_ERROR, "chdir %s (for %s)", o->cwd, o->file);
			free(path);
			return error;
		}
	}
	if ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
		free(path);
		return kft__error_os(KFT_ERROR, "open /dev/null");
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	sigemptyset(&none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setsigmask(&attr, &none);
	if (o->new_session)
		flags |= POSIX_SPAWN_SETSID;
	else if (o->new_pgrp) {
		flags |= POSIX_SPAWN_SETPGROUP;
		posix_spawnattr_setpgroup(&attr, 0);
	}
	posix_spawnattr_setflags(&attr, flags);
	/* dup2(fd, fd) clears FD_CLOEXEC in glibc >= 2.29: the fd is kept */
	for (i = 0; i < o->nkeep_fds; i++)
		posix_spawn_file_actions_adddup2(&fa, o->keep_fds[i], o->keep_fds[i]);
	posix_spawn_file_actions_adddup2(&fa, o->stdin_fd >= 0 ? o->stdin_fd : devnull, 0);
	posix_spawn_file_actions_adddup2(&fa, o->stdout_fd >= 0 ? o->stdout_fd : devnull, 1);
	posix_spawn_file_actions_adddup2(&fa, o->stderr_fd >= 0 ? o->stderr_fd : devnull, 2);
	if (o->cwd)
		posix_spawn_file_actions_addchdir_np(&fa, o->cwd);
	rc = posix_spawn(&pid, path, &fa, &attr, o->argv, o->env ? o->env : environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(devnull);
	if (rc != 0) {
		errno = rc;
		error = kft__error_os(rc == ENOENT ? KFT_ENOTFOUND : KFT_ERROR, "exec %s", path);
		free(path);
		return error;
	}
	free(path);
	*out = pid;
	return 0;
}
