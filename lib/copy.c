/*
 * kft_copy_from_job(): a file or directory out of a job's /workspace, named
 * as the job saw it ("/workspace/output/model.pt", or relative to
 * /workspace). Paths with "..", paths outside /workspace and symlinks that
 * resolve outside the workspace are refused. Files are streamed to a temp
 * file next to the destination and renamed into place; symlinks inside a
 * copied directory are recreated, never followed.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WS "/workspace"

/* "/workspace/a/b" or "a/b" -> "a/b" ("" for the workspace itself); NULL if refused. */
static int workspace_rel(const char **out, const char *path)
{
	const char *p = path, *c;

	if (p[0] == '/') {
		if (strncmp(p, WS, strlen(WS)) || (p[strlen(WS)] && p[strlen(WS)] != '/'))
			return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
			                      "copy: %s is outside the job's /workspace", path);
		p += strlen(WS);
	}
	while (*p == '/')
		p++;
	for (c = p; *c; ) {
		size_t n = strcspn(c, "/");

		if (n == 2 && !strncmp(c, "..", 2))
			return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
			                      "copy: %s: \"..\" is not allowed", path);
		c += n;
		while (*c == '/')
			c++;
	}
	*out = p;
	return 0;
}

static int copy_file(const char *src, const char *dst, mode_t mode)
{
	char tmp[PATH_MAX + 16], buf[65536];
	int in, out, error = 0;
	ssize_t n;

	if ((in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return kft__error_os(KFT_ERROR, "copy: cannot open %s", src);
	snprintf(tmp, sizeof(tmp), "%s.kft-XXXXXX", dst);
	if ((out = mkostemp(tmp, O_CLOEXEC)) < 0) {
		close(in);
		return kft__error_os(KFT_ERROR, "copy: cannot create a file next to %s", dst);
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		char *p = buf;

		while (n > 0) {
			ssize_t w = write(out, p, (size_t)n);

			if (w < 0) {
				if (errno == EINTR)
					continue;
				error = kft__error_os(KFT_ERROR, "copy: write %s", dst);
				goto out;
			}
			p += w;
			n -= w;
		}
	}
	if (n < 0)
		error = kft__error_os(KFT_ERROR, "copy: read %s", src);
	else if (fchmod(out, mode & 0777) < 0 || rename(tmp, dst) < 0)
		error = kft__error_os(KFT_ERROR, "copy: cannot write %s", dst);
out:
	close(in);
	close(out);
	if (error)
		unlink(tmp);
	return error;
}

static int copy_tree(const char *src, const char *dst)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	int error = 0;

	if (lstat(src, &st) < 0)
		return kft__error_os(KFT_ENOTFOUND, "copy: %s", src);
	if (S_ISREG(st.st_mode))
		return copy_file(src, dst, st.st_mode);
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlink(src, target, sizeof(target) - 1);

		if (n < 0)
			return kft__error_os(KFT_ERROR, "copy: readlink %s", src);
		target[n] = '\0';
		unlink(dst);
		return symlink(target, dst) < 0 ? kft__error_os(KFT_ERROR, "copy: symlink %s", dst) : 0;
	}
	if (!S_ISDIR(st.st_mode))
		return 0;   /* sockets, fifos, devices: not data */
	if (mkdir(dst, 0755) < 0 && errno != EEXIST)
		return kft__error_os(KFT_ERROR, "copy: mkdir %s", dst);
	if (!(d = opendir(src)))
		return kft__error_os(KFT_ERROR, "copy: %s", src);
	while (!error && (e = readdir(d)) != NULL) {
		char *s2, *d2;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		s2 = kft__path_join(src, e->d_name);
		d2 = kft__path_join(dst, e->d_name);
		error = s2 && d2 ? copy_tree(s2, d2) : kft__error_oom();
		free(s2);
		free(d2);
	}
	closedir(d);
	return error;
}

int kft__copy_out(const char *wsdir, const char *path, const char *dest)
{
	char wsreal[PATH_MAX], real[PATH_MAX];
	const char *rel = NULL;
	char *src = NULL, *target = NULL;
	struct stat st, dt;
	int error;

	KFT_ASSERT_ARG(wsdir && path && dest && *dest);
	if ((error = workspace_rel(&rel, path)) < 0)
		return error;
	if (!realpath(wsdir, wsreal))
		return kft__error_os(KFT_ENOTFOUND, "copy: the job's workspace %s", wsdir);
	KFT_CHECK_ALLOC(src = *rel ? kft__path_join(wsreal, rel) : kft__strdup(wsreal));
	/* symlinks may not lead out of the workspace */
	if (!realpath(src, real)) {
		error = kft__error_set(KFT_ENOTFOUND, KFT_ERROR_CLASS_OS, "copy: %s: %s", path,
		                       strerror(errno));
		goto out;
	}
	if (strncmp(real, wsreal, strlen(wsreal)) ||
	    (real[strlen(wsreal)] && real[strlen(wsreal)] != '/')) {
		error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
		                       "copy: %s leads outside the job's /workspace", path);
		goto out;
	}
	if (stat(real, &st) < 0) {
		error = kft__error_os(KFT_ENOTFOUND, "copy: %s", path);
		goto out;
	}
	/* into an existing directory: DEST/<basename>, as cp does */
	if (stat(dest, &dt) == 0 && S_ISDIR(dt.st_mode)) {
		const char *base = strrchr(real, '/') ? strrchr(real, '/') + 1 : real;

		target = kft__path_join(dest, *rel ? base : "workspace");
	} else {
		target = kft__strdup(dest);
	}
	error = target ? copy_tree(real, target) : kft__error_oom();
out:
	free(src);
	free(target);
	return error;
}
