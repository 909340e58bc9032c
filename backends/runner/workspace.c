/*
 * /workspace for local (process) jobs, as the cluster has it: one private
 * mount namespace per job, shared by all its steps.
 *
 * The supervisor itself, before it starts the first step, unshares a mount
 * namespace (with a user namespace when not root), mounts a tmpfs as a new
 * root, bind-mounts every top-level directory of this machine's root into it
 * except /workspace (never created, never read), binds JOBDIR/workspace at
 * /workspace and pivot_roots into it (as bubblewrap does). Every step it
 * starts inherits that namespace: host paths stay valid inside, and /dev/shm
 * and the IPC namespace are shared (gloo, MPI shared memory). No helper
 * process, no pipe round trip, no extra exec per step: a few dozen system
 * calls in the supervisor (bench/run.sh). When the kernel refuses the
 * namespaces the job runs without them and the supervisor records a warning;
 * KFT_WORKSPACE always names the directory.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "workspace.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

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

int kft__workspace_enter(const char *jobdir, char *err, size_t errlen)
{
	char cwd[PATH_MAX];
	int have_cwd = getcwd(cwd, sizeof(cwd)) != NULL;

	if (enter_namespaces(err, errlen) < 0)
		return -1;   /* refused: the job runs in this machine's view */
	if (build_root(jobdir, err, errlen) < 0) {
		char root[PATH_MAX + 16];

		/* a private namespace now, but with this machine's root: drop a half-built one */
		snprintf(root, sizeof(root), "%s/.nsroot", jobdir);
		umount2(root, MNT_DETACH);
		return -1;
	}
	/* host paths are valid inside: stay in the same directory */
	if (!have_cwd || chdir(cwd) < 0)
		have_cwd = chdir("/");   /* "/" always exists */
	return 0;
}
