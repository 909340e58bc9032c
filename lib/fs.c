/* Files and directories. SPDX-License-Identifier: Apache-2.0 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int kft__mkdir_p(const char *path, mode_t mode)
{
	char *p = kft__strdup(path), *s;
	int error = 0;

	KFT_CHECK_ALLOC(p);
	for (s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, mode) < 0 && errno != EEXIST) {
				error = kft__error_os(KFT_ERROR, "cannot create directory %s", p);
				break;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	free(p);
	return error;
}

int kft__read_file(char **out, size_t *len, const char *path)
{
	kft__buf b = KFT__BUF_INIT;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char chunk[65536];
	ssize_t n;

	*out = NULL;
	if (fd < 0)
		return kft__error_os(errno == ENOENT ? KFT_ENOTFOUND : KFT_ERROR, "cannot open %s", path);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n > 0 && b.len + (size_t)n > KFT__READ_FILE_MAX) {
			/* a kubeconfig naming /dev/zero as its CA, a torn record grown huge... */
			close(fd);
			kft__buf_free(&b);
			return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
			                      "%s: larger than %d MiB, more than any file kft reads",
			                      path, KFT__READ_FILE_MAX >> 20);
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			kft__error_os(KFT_ERROR, "cannot read %s", path);
			close(fd);
			kft__buf_free(&b);
			return KFT_ERROR;
		}
		if (kft__buf_put(&b, chunk, (size_t)n) < 0) {
			close(fd);
			kft__buf_free(&b);
			return KFT_ENOMEM;
		}
	}
	close(fd);
	if (len)
		*len = b.len;
	if ((*out = kft__buf_detach(&b)) == NULL)
		return kft__error_oom();
	return 0;
}

size_t kft__read_head(char *buf, size_t size, const char *path, int flags)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | flags);
	ssize_t n;

	buf[0] = '\0';
	if (fd < 0)
		return 0;
	do
		n = read(fd, buf, size - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return (size_t)n;
}

int kft__read_file_in(char **out, size_t *len, const char *dir, const char *name)
{
	char *path = kft__path_join(dir, name);
	int error;

	*out = NULL;
	KFT_CHECK_ALLOC(path);
	error = kft__read_file(out, len, path);
	free(path);
	return error == KFT_ENOTFOUND ? 0 : error;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int kft__write_file_atomic(const char *path, const char *data, size_t len, mode_t mode)
{
	size_t pl = strlen(path);
	char *tmp = kft__malloc(pl + 32);
	unsigned char rnd[4];
	int fd;

	KFT_CHECK_ALLOC(tmp);
	if (kft__random_bytes(rnd, sizeof(rnd)) < 0) {
		free(tmp);
		return KFT_ERROR;
	}
	snprintf(tmp, pl + 32, "%s.tmp.%d.%02x%02x%02x%02x", path, (int)getpid(), rnd[0], rnd[1],
	         rnd[2], rnd[3]);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		kft__error_os(KFT_ERROR, "cannot create %s", tmp);
		free(tmp);
		return KFT_ERROR;
	}
	if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		kft__error_os(KFT_ERROR, "cannot write %s", tmp);
		close(fd);
		unlink(tmp);
		free(tmp);
		return KFT_ERROR;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		kft__error_os(KFT_ERROR, "cannot replace %s", path);
		unlink(tmp);
		free(tmp);
		return KFT_ERROR;
	}
	free(tmp);
	return 0;
}

int kft__remove_tree(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	int error = 0;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : kft__error_os(KFT_ERROR, "cannot stat %s", path);
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) < 0 && errno != ENOENT)
			return kft__error_os(KFT_ERROR, "cannot remove %s", path);
		return 0;
	}
	if ((d = opendir(path)) == NULL)
		return kft__error_os(KFT_ERROR, "cannot open directory %s", path);
	while ((e = readdir(d)) != NULL) {
		char *child;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if ((child = kft__path_join(path, e->d_name)) == NULL) {
			error = kft__error_oom();
			break;
		}
		error = kft__remove_tree(child);
		free(child);
		if (error < 0)
			break;
	}
	closedir(d);
	if (!error && rmdir(path) < 0 && errno != ENOENT)
		error = kft__error_os(KFT_ERROR, "cannot remove %s", path);
	return error;
}

char *kft__path_join(const char *a, const char *b)
{
	size_t al = strlen(a), bl = strlen(b);
	char *p = kft__malloc(al + bl + 2);

	if (!p)
		return NULL;
	memcpy(p, a, al);
	if (al && a[al - 1] != '/')
		p[al++] = '/';
	memcpy(p + al, b, bl + 1);
	return p;
}

char *kft__home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h && *h)
		return kft__strdup(h);
	if ((pw = getpwuid(getuid())) != NULL && pw->pw_dir)
		return kft__strdup(pw->pw_dir);
	return kft__strdup("/");
}

char *kft__xdg_dir(const char *var, const char *home_default, const char *sub)
{
	const char *x = getenv(var);
	char *base, *p;

	if (x && *x == '/')   /* the spec: a relative value is invalid and ignored */
		return kft__path_join(x, sub);
	if ((p = kft__home_dir()) == NULL)
		return NULL;
	base = kft__path_join(p, home_default);
	free(p);
	p = base ? kft__path_join(base, sub) : NULL;
	free(base);
	return p;
}

char *kft__default_state_dir(void)
{
	return kft__xdg_dir("XDG_STATE_HOME", ".local/state", "kftrainer");
}
