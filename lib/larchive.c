/*
 * libarchive, loaded on first use. Only code-directory trainers (packing) and
 * the local initializer (extracting) need it, and linking it pulls libxml2 and
 * ICU into every program that uses libkftrainer: ~7 ms at each kft start.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "larchive.h"

#include <dlfcn.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static kft__archive_api api;
static int loaded;             /* 1 loaded, -1 unavailable */
static char why[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	void *h = dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
	const char *missing = NULL;

	if (!h)
		h = dlopen("libarchive.so", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(why, sizeof(why), "cannot load libarchive (libarchive13): %s", dlerror());
		loaded = -1;
		return;
	}
#define LOAD(f)                                                         \
	do {                                                            \
		if (!missing && !(*(void **)&api.f = dlsym(h, "archive_" #f))) \
			missing = "archive_" #f;                        \
	} while (0)
	LOAD(read_new); LOAD(read_support_filter_all); LOAD(read_support_format_all);
	LOAD(read_open_filename); LOAD(read_next_header); LOAD(read_data_block); LOAD(read_free);
	LOAD(write_disk_new); LOAD(write_disk_set_options); LOAD(write_header);
	LOAD(write_data_block); LOAD(write_finish_entry); LOAD(write_free);
	LOAD(write_new); LOAD(write_add_filter_gzip); LOAD(write_set_format_pax_restricted);
	LOAD(write_set_filter_option); LOAD(write_open2); LOAD(write_close); LOAD(write_data);
	LOAD(error_string);
	LOAD(entry_new); LOAD(entry_free); LOAD(entry_pathname); LOAD(entry_set_pathname);
	LOAD(entry_set_mode); LOAD(entry_set_size); LOAD(entry_set_mtime);
	LOAD(entry_filetype); LOAD(entry_hardlink); LOAD(filter_bytes);
#undef LOAD
	if (missing) {
		snprintf(why, sizeof(why), "libarchive lacks %s", missing);
		loaded = -1;
		return;
	}
	loaded = 1;
}

const kft__archive_api *kft__archive(void)
{
	pthread_once(&once, load);
	if (loaded < 0) {
		kft__error_set(KFT_ERROR, KFT_ERROR_CLASS_OS, "%s", why);
		return NULL;
	}
	return &api;
}

/* A relative name without "..": it stays under the directory it is unpacked into. */
static int safe_member(const char *name)
{
	const char *p = name;

	if (!name || !*name || name[0] == '/')
		return 0;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 0;
		p += n;
		if (*p == '/')
			p++;
	}
	return 1;
}

static int refuse(const char *src, const char *name, const char *reason)
{
	return kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID,
	                      "%s: refusing archive member \"%.200s\": %s", src, name ? name : "",
	                      reason);
}

int kft__archive_extract(const char *src, const char *dest, const kft__extract_limits *lim,
                         uint64_t *entries)
{
	const kft__archive_api *A = kft__archive();
	uint64_t max_bytes = lim && lim->max_bytes ? lim->max_bytes : (uint64_t)1 << 40;
	uint64_t max_entries = lim && lim->max_entries ? lim->max_entries : 10000000;
	uint64_t ratio_after = lim && lim->ratio_after ? lim->ratio_after : (uint64_t)1 << 30;
	unsigned max_ratio = lim && lim->max_ratio ? lim->max_ratio : 200;
	uint64_t written = 0, n = 0;
	struct archive *a, *w;
	struct archive_entry *e;
	int r, error = 0, cwd;

	*entries = 0;
	if (!A)
		return KFT_ERROR;
	/* relative names under dest: libarchive's checks (no "..", no symlink on the way)
	 * then cover just the members, not dest's own path */
	if ((cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || chdir(dest) < 0) {
		error = kft__error_os(KFT_ERROR, "cannot enter %s", dest);
		if (cwd >= 0)
			close(cwd);
		return error;
	}
	if ((a = A->read_new()) == NULL || (w = A->write_disk_new()) == NULL) {
		if (a)
			A->read_free(a);
		error = kft__error_oom();
		goto back;
	}
	A->read_support_filter_all(a);
	A->read_support_format_all(a);
	A->write_disk_set_options(w, ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
	                               ARCHIVE_EXTRACT_SECURE_NODOTDOT |
	                               ARCHIVE_EXTRACT_SECURE_SYMLINKS |
	                               ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
	if (A->read_open_filename(a, src, 65536) != ARCHIVE_OK) {
		error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID, "cannot open archive %s: %s",
		                       src, A->error_string(a));
		goto out;
	}
	while ((r = A->read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = A->entry_pathname(e);
		__LA_MODE_T type = A->entry_filetype(e);
		const void *buf;
		size_t size;
		la_int64_t off;

		if (!safe_member(name)) {
			error = refuse(src, name, "an absolute or \"..\" name would escape the destination");
			goto out;
		}
		if (A->entry_hardlink(e) || (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)) {
			error = refuse(src, name, "only files, directories and symbolic links are unpacked");
			goto out;
		}
		if (++n > max_entries) {
			error = refuse(src, name, "too many members");
			goto out;
		}
		if (A->write_header(w, e) != ARCHIVE_OK) {
			error = refuse(src, name, A->error_string(w));
			goto out;
		}
		while ((r = A->read_data_block(a, &buf, &size, &off)) == ARCHIVE_OK) {
			la_int64_t in = A->filter_bytes(a, -1);

			written += size;
			if (written > max_bytes) {
				error = refuse(src, name, "the archive unpacks to more than its size limit");
				goto out;
			}
			if (written > ratio_after && in > 0 && written / (uint64_t)in > max_ratio) {
				error = refuse(src, name, "the archive expands more than its ratio limit "
				               "(a zip bomb?)");
				goto out;
			}
			if (A->write_data_block(w, buf, size, off) != ARCHIVE_OK) {
				error = refuse(src, name, A->error_string(w));
				goto out;
			}
		}
		if (r != ARCHIVE_EOF) {
			error = refuse(src, name, A->error_string(a));
			goto out;
		}
		if (A->write_finish_entry(w) != ARCHIVE_OK) {
			error = refuse(src, name, A->error_string(w));
			goto out;
		}
		*entries = n;
	}
	if (r != ARCHIVE_EOF)
		error = kft__error_set(KFT_EINVALID, KFT_ERROR_CLASS_INVALID, "archive %s: %s", src,
		                       A->error_string(a));
out:
	A->read_free(a);
	A->write_free(w);
back:
	if (fchdir(cwd) < 0 && error == 0)
		error = kft__error_os(KFT_ERROR, "cannot return to the working directory");
	close(cwd);
	return error;
}
