/*
 * /workspace for local (process) jobs, as the cluster has it: one private
 * mount namespace per job, shared by all its steps.
 *
 * The supervisor starts a holder, `kft-supervisor workspace JOBDIR`, which
 * unshares a mount namespace (with a user namespace when not root), mounts a
 * tmpfs as a new root, bind-mounts every top-level directory of this
 * machine's root into it except /workspace (never created, never read), binds
 * JOBDIR/workspace at /workspace, pivot_roots into it (as bubblewrap does),
 * says "ok" and waits for the end of its stdin. Each step is started as
 * `kft-supervisor nsenter PID CWD -- ARGV...`, which joins the holder's
 * namespaces (user first, then mount), changes to CWD and execs ARGV, so
 * every step sees the same mounts; host paths stay valid inside, and
 * /dev/shm and the IPC namespace are shared (gloo, MPI shared memory).
 * When the kernel refuses the namespaces the job runs without them and the
 * supervisor records a warning; KFT_WORKSPACE always names the directory.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "workspace.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define READY_TIMEOUT_MS 10000

/* ---- the holder (a mode of kft-supervisor) ---- */

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int enter_namespaces(char *err, size_t errlen)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char map[64];

	if (uid == 0) {
		if (unshare(CLONE_NEWNS) < 0)
			goto fail;
		return 0;
	}
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		goto fail;
	/* the same ids inside: files the job makes are the user's */
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
	if (write_file("/proc/self/uid_map", map) < 0)
		goto fail;
	write_file("/proc/self/setgroups", "deny");
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
	if (write_file("/proc/self/gid_map", map) < 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s namespaces refused: %s", uid ? "user and mount" : "mount",
	         strerror(errno));
	return -1;
}

/* Bind every entry of / but /workspace into root (symlinks copied). */
static int populate(const char *root, char *err, size_t errlen)
{
	DIR *d = opendir("/");
	struct dirent *e;
	char dst[PATH_MAX + 512], src[512], link[PATH_MAX];

	if (!d) {
		snprintf(err, errlen, "cannot read /: %s", strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		ssize_t n;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    !strcmp(e->d_name, "workspace"))
			continue;   /* this machine's own /workspace is never touched */
		snprintf(src, sizeof(src), "/%s", e->d_name);
		snprintf(dst, sizeof(dst), "%s/%s", root, e->d_name);
		if (lstat(src, &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			if ((n = readlink(src, link, sizeof(link) - 1)) > 0) {
				link[n] = '\0';
				if (symlink(link, dst) < 0)
					goto fail;
			}
			continue;
		}
		if (S_ISDIR(st.st_mode) ? mkdir(dst, 0755) < 0 :
		    close(open(dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0)
			goto fail;
		if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
			goto fail;
	}
	closedir(d);
	return 0;
fail:
	snprintf(err, errlen, "cannot bind %s: %s", src, strerror(errno));
	closedir(d);
	return -1;
}

static int build_root(const char *jobdir, char *err, size_t errlen)
{
	char root[PATH_MAX], ws[PATH_MAX], dst[PATH_MAX + 16], copy[PATH_MAX];

	snprintf(root, sizeof(root), "%s/.nsroot", jobdir);
	snprintf(ws, sizeof(ws), "%s/workspace", jobdir);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		snprintf(err, errlen, "cannot make / private: %s", strerror(errno));
		return -1;
	}
	if ((mkdir(root, 0700) < 0 && errno != EEXIST) ||
	    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0) {
		snprintf(err, errlen, "cannot mount a tmpfs on %s: %s", root, strerror(errno));
		return -1;
	}
	if (populate(root, err, errlen) < 0)
		return -1;
	snprintf(dst, sizeof(dst), "%s/workspace", root);
	if (mkdir(dst, 0755) < 0 || mount(ws, dst, NULL, MS_BIND | MS_REC, NULL) < 0) {
		snprintf(err, errlen, "cannot bind %s at /workspace: %s", ws, strerror(errno));
		return -1;
	}
	if (chdir(root) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
	    umount2(".", MNT_DETACH) < 0 || chdir("/") < 0) {
		snprintf(err, errlen, "cannot pivot_root into %s: %s", root, strerror(errno));
		return -1;
	}
	/* the bind of the job's parent directory carried a copy of the new root: drop it */
	snprintf(copy, sizeof(copy), "%s/.nsroot", jobdir);
	umount2(copy, MNT_DETACH);
	return 0;
}

int kft__workspace_main(int argc, char **argv)
{
	char err[PATH_MAX + 128] = "";
	char c;

	if (argc < 3) {
		fprintf(stderr, "usage: kft-supervisor workspace JOBDIR\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (enter_namespaces(err, sizeof(err)) < 0 || build_root(argv[2], err, sizeof(err)) < 0) {
		printf("error: %s\n", err);
		return 1;
	}
	printf("ok\n");
	fflush(stdout);
	fclose(stdout);
	while (read(0, &c, 1) > 0)   /* until the supervisor closes our stdin (or dies) */
		;
	return 0;
}

/* `kft-supervisor nsenter PID CWD -- ARGV...` */
int kft__nsenter_main(int argc, char **argv)
{
	char path[64];
	struct stat self, theirs;
	int fd;

	if (argc < 6 || strcmp(argv[4], "--")) {
		fprintf(stderr, "usage: kft-supervisor nsenter PID CWD -- ARGV...\n");
		return 127;
	}
	snprintf(path, sizeof(path), "/proc/%s/ns/user", argv[2]);
	/* join the holder's user namespace when it has its own (not root) */
	if (stat("/proc/self/ns/user", &self) == 0 && stat(path, &theirs) == 0 &&
	    self.st_ino != theirs.st_ino) {
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || setns(fd, CLONE_NEWUSER) < 0) {
			fprintf(stderr, "kft: cannot join the job's user namespace: %s\n", strerror(errno));
			return 126;
		}
		close(fd);
	}
	snprintf(path, sizeof(path), "/proc/%s/ns/mnt", argv[2]);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || setns(fd, CLONE_NEWNS) < 0) {
		fprintf(stderr, "kft: cannot join the job's mount namespace: %s\n", strerror(errno));
		return 126;
	}
	close(fd);
	if (chdir(argv[3]) < 0) {
		fprintf(stderr, "kft: cannot change to %s: %s\n", argv[3], strerror(errno));
		return 126;
	}
	execvp(argv[5], argv + 5);
	fprintf(stderr, "kft: exec %s: %s\n", argv[5], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}

/* ---- the supervisor's side ---- */

int kft__workspace_start(kft__workspace *w, const char *jobdir, char *err, size_t errlen)
{
	char self[PATH_MAX], buf[PATH_MAX + 160];
	char *argv[] = { self, "workspace", (char *)jobdir, NULL };
	kft__proc_opts o;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 };
	size_t len = 0;
	ssize_t n;
	int64_t until = kft__mono_ms() + READY_TIMEOUT_MS;

	memset(w, 0, sizeof(*w));
	w->in_fd = -1;
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0) {
		snprintf(err, errlen, "cannot find kft-supervisor: %s", strerror(errno));
		return -1;
	}
	self[n] = '\0';
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	memset(&o, 0, sizeof(o));
	o.file = self;
	o.argv = argv;
	o.stdin_fd = in[0];
	o.stdout_fd = out[1];
	o.stderr_fd = 2;
	if (kft__proc_spawn(&w->pid, &o) < 0) {
		snprintf(err, errlen, "%s", kft_error_last()->message);
		goto fail;
	}
	close(out[1]);
	out[1] = -1;
	while (len < sizeof(buf) - 1 && !memchr(buf, '\n', len)) {
		struct pollfd p = { out[0], POLLIN, 0 };
		int64_t left = until - kft__mono_ms();

		if (left <= 0 || poll(&p, 1, (int)left) <= 0 ||
		    (n = read(out[0], buf + len, sizeof(buf) - 1 - len)) <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (strncmp(buf, "ok\n", 3)) {
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(err, errlen, "%s", !strncmp(buf, "error: ", 7) ? buf + 7 :
		         "the workspace holder did not start");
		kft__kill(w->pid, SIGKILL, 0);
		waitpid(w->pid, NULL, 0);
		w->pid = 0;
		goto fail;
	}
	close(in[0]);
	close(out[0]);
	w->in_fd = in[1];
	snprintf(w->self, sizeof(w->self), "%s", self);
	return 0;
fail:
	if (in[0] >= 0)
		close(in[0]);
	if (in[1] >= 0)
		close(in[1]);
	if (out[0] >= 0)
		close(out[0]);
	if (out[1] >= 0)
		close(out[1]);
	return -1;
}

int kft__workspace_wrap(const kft__workspace *w, kft__strv *argv, const char *cwd)
{
	kft__strv nv = KFT__STRV_INIT;
	char pid[24], here[PATH_MAX];
	size_t i;
	int error = 0;

	if (!w->pid)
		return 0;
	if (!cwd)
		cwd = getcwd(here, sizeof(here)) ? here : "/";
	snprintf(pid, sizeof(pid), "%d", (int)w->pid);
	error |= kft__strv_push(&nv, w->self) | kft__strv_push(&nv, "nsenter") |
	         kft__strv_push(&nv, pid) | kft__strv_push(&nv, cwd) | kft__strv_push(&nv, "--");
	for (i = 0; !error && i < argv->n; i++)
		error = kft__strv_push(&nv, argv->v[i]);
	if (error) {
		kft__strv_free(&nv);
		return kft__error_oom();
	}
	kft__strv_free(argv);
	*argv = nv;
	return 0;
}

void kft__workspace_stop(kft__workspace *w)
{
	if (!w->pid)
		return;
	close(w->in_fd);
	w->in_fd = -1;
	kft__kill(w->pid, SIGTERM, 0);
	waitpid(w->pid, NULL, 0);
	w->pid = 0;
}
